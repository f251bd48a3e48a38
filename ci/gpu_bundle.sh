#!/usr/bin/env bash
# ci/gpu_bundle.sh — builds here, on the build machine (nvcc compiles without a GPU), what ci/gpu_run.sh
# runs on a lent GPU machine, so that the lease's few minutes measure instead of compiling. Into DIR
# (default .gpu_bundle, ignored by git; carry it):
#   bin/   lrb_gpu_check, lrb_cuda_tests, lrb_bench and lrb of the h100 preset (Release, sm_90 machine code
#          and compute_90 PTX, LRB_REQUIRE_GPU), with the source tree's golden set found through
#          LRB_GOLDEN_DIR there;
#   lib/   the libraries they need that a CUDA image lacks (Google Benchmark, subunit); the CUDA runtime
#          and cuBLAS are the GPU machine's own;
#   BUNDLE.txt  the source hash (below), commit, toolkit, compiler, the code generated for the GPU, and
#               ptxas's registers and spills per kernel (tests/ptxas_spills.py); gpu_run.sh puts it in the report.
# The source hash covers every file the build reads (CMake files, C, C++, CUDA, the case table): gpu_run.sh
# computes it over the tree it was sent and builds from source instead when it differs, so a stale bundle
# is never measured.
# usage: bash ci/gpu_bundle.sh [DIR]      (needs what ci/deps.sh installs)
#        bash ci/gpu_bundle.sh --hash     prints the source hash of this tree
set -euo pipefail
cd "$(dirname "$0")/.."

source_hash() {
    find CMakeLists.txt CMakePresets.json harness reference kernels bench tests golden/cases.txt -type f \
        \( -name '*.c' -o -name '*.h' -o -name '*.cc' -o -name '*.cu' -o -name '*.cuh' -o -name CMakeLists.txt \
        -o -name CMakePresets.json -o -name cases.txt \) -print0 | LC_ALL=C sort -z | xargs -0 sha256sum \
        | sha256sum | cut -c1-16
}
if [ "${1:-}" = --hash ]; then
    source_hash
    exit 0
fi

case ${1:-} in
    -*) echo "ci/gpu_bundle.sh: unknown option $1 (usage: bash ci/gpu_bundle.sh [DIR] | --hash)" >&2; exit 2 ;;
esac
[ $# -le 1 ] || { echo "ci/gpu_bundle.sh: one DIR at most (usage: bash ci/gpu_bundle.sh [DIR] | --hash)" >&2; exit 2; }
out=${1:-.gpu_bundle}
[ -d /usr/local/cuda/bin ] && export PATH="/usr/local/cuda/bin:$PATH"
command -v nvcc > /dev/null || { echo "ci/gpu_bundle.sh: nvcc not found" >&2; exit 1; }
mkdir -p build
echo "gpu bundle: building the h100 preset in build/h100 (log: build/h100.build.log)"
{ cmake --preset h100 && cmake --build build/h100 -j "$(nproc)"; } > build/h100.build.log 2>&1 \
    || { tail -n 40 build/h100.build.log; echo "gpu bundle: build FAILED" >&2; exit 1; }
progs=(build/h100/lrb_gpu_check build/h100/tests/lrb_cuda_tests build/h100/lrb_bench build/h100/lrb)
for p in "${progs[@]}"; do
    [ -x "$p" ] || { echo "gpu bundle: $p was not built (Google Benchmark or Check missing: bash ci/deps.sh)" >&2; exit 1; }
done
rm -rf "$out"
mkdir -p "$out/bin" "$out/lib"
cp "${progs[@]}" "$out/bin/"
# the shared libraries outside glibc, the compiler's runtime and CUDA
for lib in $(ldd "${progs[@]}" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u); do
    case $(basename "$lib") in
        libc.so* | libm.so* | libdl.so* | libpthread.so* | librt.so* | libstdc++.so* | libgcc_s.so*) ;;
        libcudart.so* | libcublas.so* | libcublasLt.so*) ;;
        *) cp -L "$lib" "$out/lib/" ;;
    esac
done
{
    echo "source_hash $(source_hash)"
    echo "commit $(git rev-parse HEAD 2> /dev/null || echo unknown)"
    echo "dirty $(git diff --quiet HEAD 2> /dev/null && echo false || echo true)"
    echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n)"
    echo "nvcc $(nvcc --version | sed -n 's/.*release \([0-9.]*\).*/\1/p')"
    echo "compiler $(${CC:-cc} --version | head -n 1)"
    echo "cuda_code $(grep -o -- '--generate-code=[^ ]*' build/h100/build.ninja | sed 's/.*code=//' | sort -u | xargs)"
    echo "libs $(cd "$out/lib" && ls | xargs)"
    # registers and spills per kernel as ptxas reports them for sm_90, to read next to the measured bandwidth
    python3 tests/ptxas_spills.py nvcc kernels/cuda | sed 's/^/ptxas /' || true # recorded here, judged by CTest
} > "$out/BUNDLE.txt"
cat "$out/BUNDLE.txt"
echo "gpu bundle: $out ($(du -sh "$out" | cut -f1)); carry it to the GPU machine with ci/gpu_run.sh"
