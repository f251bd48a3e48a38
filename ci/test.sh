#!/usr/bin/env bash
# ci/test.sh — the test command (README): installs missing Debian packages, builds the release preset
# (with CUDA when nvcc exists) and the ASan/UBSan CPU preset, runs every CTest test in both, the CUDA
# emulation's kernel checks under ThreadSanitizer, a short libFuzzer session on the .npy reader, and ends
# with one summary line "tests: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD
bash ci/deps.sh || { echo "tests: 0 passed, 1 failed (dependency installation)"; exit 1; }
[ -d /usr/local/cuda/bin ] && export PATH="/usr/local/cuda/bin:$PATH"
mkdir -p build
passed=0; failed=0; skipped=0

# count_ctest LOG: adds the per-test outcomes of one ctest log to the totals, from the progress lines only
# (ctest names a failed test again in its closing list). "Not Run" is a test whose program is missing: failed.
count_ctest() {
    local p f s re='^ *[0-9]+/[0-9]+ Test +#[0-9]+: '
    p=$(grep -cE "$re.* +Passed" "$1")
    s=$(grep -cE "$re.*\*\*\*Skipped" "$1")
    f=$(grep -cE "$re.*\*\*\*(Failed|Timeout|Exception|Not Run)" "$1")
    [ $((p + s + f)) -gt 0 ] || { echo "ctest ran no test ($1)"; f=1; }
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}

build_and_test() { # PRESET [ctest args...]
    local preset=$1; shift
    echo "=== $preset: configure and build"
    if ! cmake --preset "$preset" > "build/$preset.configure.log" 2>&1; then
        cat "build/$preset.configure.log"; failed=$((failed + 1)); return
    fi
    grep -E '^-- lrb:' "build/$preset.configure.log" || true
    if ! cmake --build --preset "$preset" > "build/$preset.build.log" 2>&1; then
        tail -n 60 "build/$preset.build.log"; failed=$((failed + 1)); return
    fi
    echo "=== $preset: tests"
    ctest --preset "$preset" --output-junit "$top/build/$preset.junit.xml" "$@" 2>&1 | tee "build/$preset.ctest.log"
    count_ctest "build/$preset.ctest.log"
}

build_and_test release
# The sanitizer build runs every suite; the oracle regeneration and the tier-2 long cases (pure NumPy
# and already run by the release build) are left to the release build, and so is the callgrind gate
# (instruction counts belong to the release binary, and ASan does not run under valgrind).
# bench.cuda_emulation too: the CUDA backend is under ASan in cuda.emulation, and lrb_bench in bench.smoke
build_and_test asan -E 'golden\.(regenerate|tier2_.*)|gate\.callgrind|bench\.cuda_emulation'

# The kernels of scan.cu and wkv4.cu on the CUDA emulation under ThreadSanitizer: the emulated threads of a
# block share its memory between barriers, so a missing __syncthreads or __syncwarp is a data race here
# (compute-sanitizer's racecheck, where no GPU is). Kernel checks only, in two runs: every kernel up to 4097
# elements (K <= 2 tiles per row; 172 rows, about 8 minutes here), and the chunked kernels on the shapes of
# 4098 to 24000 elements, where rows of 3 to 10 tiles walk past aggregates and retire predecessors that are
# not the row's first tile (26 rows, about a minute). Under TSan a launch costs about a second, and every
# warp shuffle of the chunked kernels is two warp barriers. Then the look-back protocol's hand-laid cases
# (lrb_lookback_protocol: one emulated warp walking back while host threads publish late flags; 12 cases, 1 s).
tsan_run() { # NAME PROGRAM ARGS...: one program of build/tsan/tests under TSan, counted as one test
    local name=$1 prog=$2; shift 2
    if TSAN_OPTIONS="halt_on_error=1 exitcode=66" "build/tsan/tests/$prog" "$@" > "build/tsan.$name.log" 2>&1; then
        echo "  $name: $(tail -n 1 "build/tsan.$name.log")"
        passed=$((passed + 1))
    else
        grep -A 30 -m 1 'WARNING: ThreadSanitizer' "build/tsan.$name.log" || tail -n 40 "build/tsan.$name.log"
        failed=$((failed + 1))
    fi
}
echo "=== tsan: the CUDA emulation's kernel checks and the look-back protocol under ThreadSanitizer"
if cmake --preset tsan > build/tsan.configure.log 2>&1 && cmake --build --preset tsan > build/tsan.build.log 2>&1; then
    tsan_run small lrb_cuda_emu --kernels-only --max-elems 4097
    tsan_run lookback lrb_cuda_emu --kernels-only --algo chunked --min-elems 4098 --max-elems 24000
    tsan_run protocol lrb_lookback_protocol
else
    tail -n 40 build/tsan.configure.log build/tsan.build.log; failed=$((failed + 1))
fi

echo "=== fuzz: .npy reader (libFuzzer, ASan+UBSan, 60 s)"
fuzz_bin=build/fuzz_npy
if clang -g -O1 -std=c11 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        -Iharness tests/fuzz_npy.c harness/npy.c -o "$fuzz_bin" > build/fuzz.build.log 2>&1; then
    rm -rf build/fuzz_corpus && mkdir -p build/fuzz_corpus && cp tests/fuzz_corpus/npy/* build/fuzz_corpus/
    if "$fuzz_bin" -max_total_time=60 -print_final_stats=1 build/fuzz_corpus > build/fuzz.log 2>&1; then
        grep -E 'stat::number_of_executed_units|Done' build/fuzz.log | tail -n 2
        passed=$((passed + 1))
    else
        tail -n 40 build/fuzz.log; failed=$((failed + 1))
    fi
else
    cat build/fuzz.build.log; failed=$((failed + 1))
fi

echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
