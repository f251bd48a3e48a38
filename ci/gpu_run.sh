#!/usr/bin/env bash
# ci/gpu_run.sh — everything lrb does on a GPU, in one command for a lent H100 (or any CUDA machine):
#   1. configure and build the h100 preset (Release, CUDA, LRB_REQUIRE_GPU=ON), or reuse build/h100 when
#      it was carried there already built (the GPU machines have no package registry: Google Benchmark and
#      Check must come with the build);
#   2. the GPU tests (ctest -L gpu: every cuda variant on the golden set, the fresh-random kernel checks);
#   3. compute-sanitizer memcheck and racecheck on lrb_gpu_check --quick;
#   4. lrb_gpu_check (the full table) into the report directory;
#   5. the GPU benchmark sweep of the cuda families (CUDA events, the same-run device-to-device copy
#      roofline in the context) and the rendered report.
# usage: bash ci/gpu_run.sh [--out DIR] [--sweep ci|full] [--reps N]   (default reports/h100, full, 5)
# Prints one line per step and ends with "gpu run: ok" or "gpu run: FAILED (<steps>)"; exit 0 or 1.
set -uo pipefail
cd "$(dirname "$0")/.."
[ -d /usr/local/cuda/bin ] && export PATH="/usr/local/cuda/bin:$PATH"
out=reports/h100; sweep=full; reps=5
while [ $# -gt 0 ]; do
    case $1 in
        --out) out=$2; shift ;;
        --sweep) sweep=$2; shift ;;
        --reps) reps=$2; shift ;;
        *) echo "ci/gpu_run.sh: unknown option $1 (expected --out DIR, --sweep ci|full, --reps N)" >&2; exit 2 ;;
    esac
    shift
done
mkdir -p "$out" build
bin=build/h100
failed=()

echo "=== build ($bin)"
if [ ! -x $bin/lrb_gpu_check ]; then
    { cmake --preset h100 && cmake --build --preset h100; } > build/h100.build.log 2>&1 \
        || { tail -n 40 build/h100.build.log; echo "gpu run: FAILED (build)"; exit 1; }
fi
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,memory.total --format=csv > "$out"/nvidia_smi.txt 2>&1
cat "$out"/nvidia_smi.txt

echo "=== GPU tests"
( cd $bin && LRB_REQUIRE_GPU=1 ctest -L gpu --output-on-failure ) > "$out"/gpu_tests.log 2>&1 || failed+=(tests)
tail -n 5 "$out"/gpu_tests.log

echo "=== compute-sanitizer"
for tool in memcheck racecheck; do
    if command -v compute-sanitizer > /dev/null 2>&1; then
        compute-sanitizer --tool $tool --error-exitcode 9 $bin/lrb_gpu_check --quick > "$out"/sanitizer_$tool.txt 2>&1 \
            || failed+=($tool)
        echo "  $tool: $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$out"/sanitizer_$tool.txt | tail -n 1)"
    else
        echo "  $tool: compute-sanitizer not found"; failed+=($tool)
    fi
done

echo "=== lrb_gpu_check"
$bin/lrb_gpu_check > "$out"/gpu_check.txt 2>&1 || failed+=(gpu_check)
tail -n 1 "$out"/gpu_check.txt

echo "=== benchmarks: cuda families, $sweep sweep, $reps repetitions"
$bin/lrb_bench --lrb-sweep=$sweep --benchmark_filter='/cuda\.' --benchmark_repetitions=$reps \
    --benchmark_min_time=0.1 --benchmark_display_aggregates_only=true \
    --benchmark_out="$out"/bench.json --benchmark_out_format=json > "$out"/bench.log 2>&1 || failed+=(bench)
tail -n 3 "$out"/bench.log
if command -v python3 > /dev/null 2>&1 && python3 -c 'import matplotlib' 2> /dev/null; then
    python3 reports/render.py --bench "$out"/bench.json --out "$out" --title "lrb cuda ($sweep sweep)" \
        > "$out"/render.log 2>&1 || failed+=(render)
else
    echo "  no python3 with matplotlib here: render $out/bench.json on the build machine (reports/render.py)"
fi

if [ ${#failed[@]} -eq 0 ]; then echo "gpu run: ok"; else echo "gpu run: FAILED (${failed[*]})"; exit 1; fi
