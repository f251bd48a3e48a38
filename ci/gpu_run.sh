#!/usr/bin/env bash
# ci/gpu_run.sh — everything lrb does on a GPU, for a lent H100 (or any CUDA machine). Steps, in order:
#   build      configure and build the h100 preset (Release, CUDA, LRB_REQUIRE_GPU=ON) unless build/h100
#              is built already; the GPU machines have no package registry, so Google Benchmark and Check come
#              as Debian packages unpacked by ci/gpu_deps.sh on the build machine into .gpu_deps (carried);
#   tests      the GPU tests (ctest -L gpu: every cuda variant on the golden set, the fresh-random checks);
#   sanitizer  compute-sanitizer memcheck and racecheck on lrb_gpu_check --quick;
#   check      lrb_gpu_check (the full table) into the report directory;
#   bench      the GPU benchmark sweep: one lrb_bench per family and algorithm (cuda variants only; CUDA
#              events; the same-run device-to-device copy roofline in each context), one JSON each, so that a
#              run cut short keeps what it finished; with --budget S no new run starts after S seconds of this
#              script (so that a command with a time limit still renders and packs), and the ones left are named;
#   render     the rendered report (reports/render.py, needs matplotlib) and the targets table
#              (reports/gpu_targets.py, plain python3) from every bench_*.json of the report directory.
# usage: bash ci/gpu_run.sh [--out DIR] [--steps a,b,...] [--families targets|all|f1,f2,...] [--sweep ci|full|gpu]
#                           [--reps N] [--min-time S] [--pack FILE.tar.gz] [--budget S]
#   defaults: --out reports/h100 --steps build,tests,sanitizer,check,bench,render --families targets
#             --sweep gpu --reps 3 --min-time 0.05. `targets` is the families the targets table reads.
# A session with 10-minute commands runs it in several calls (the device tool: carry .gpu_deps; each call
# builds unless the machine kept build/h100): --steps build,tests,sanitizer,check, then
# --steps build,bench,render --budget 420 (and --families for what a call left). It never needs the network.
# Prints one line per step and ends with "gpu run: ok" or "gpu run: FAILED (<steps>)"; exit 0 or 1.
set -uo pipefail
cd "$(dirname "$0")/.."
[ -d /usr/local/cuda/bin ] && export PATH="/usr/local/cuda/bin:$PATH"
out=reports/h100; steps=build,tests,sanitizer,check,bench,render; families=targets; sweep=gpu; reps=3; min_time=0.05
pack=; budget=0; start=$SECONDS
usage="expected --out DIR, --steps a,b,..., --families targets|all|f1,f2,..., --sweep ci|full|gpu, --reps N, --min-time S, --pack FILE, --budget S"
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || { echo "ci/gpu_run.sh: $1 needs a value ($usage)" >&2; exit 2; }
    case $1 in
        --out) out=$2 ;;
        --steps) steps=$2 ;;
        --families) families=$2 ;;
        --sweep) sweep=$2 ;;
        --reps) reps=$2 ;;
        --min-time) min_time=$2 ;;
        --pack) pack=$2 ;;
        --budget) budget=$2 ;;
        *) echo "ci/gpu_run.sh: unknown option $1 ($usage)" >&2; exit 2 ;;
    esac
    shift 2
done
for s in ${steps//,/ }; do
    case $s in build|tests|sanitizer|check|bench|render) ;; *) echo "ci/gpu_run.sh: unknown step $s" >&2; exit 2 ;; esac
done
case $sweep in ci|full|gpu) ;; *) echo "ci/gpu_run.sh: --sweep $sweep ($usage)" >&2; exit 2 ;; esac
want() { [[ ",$steps," == *",$1,"* ]]; }
mkdir -p "$out" build
bin=build/h100
failed=()

if want build; then
    echo "=== build ($bin)"
    if [ ! -x $bin/lrb_gpu_check ]; then
        # a GPU machine without a package registry: Google Benchmark and Check from .gpu_deps (ci/gpu_deps.sh)
        deps=()
        if [ -d .gpu_deps/root/usr ]; then
            deps=(-DCMAKE_PREFIX_PATH="$PWD/.gpu_deps/root/usr" -DCMAKE_DISABLE_FIND_PACKAGE_PkgConfig=ON)
        fi
        { cmake --preset h100 "${deps[@]}" && cmake --build --preset h100; } > build/h100.build.log 2>&1 \
            || { tail -n 40 build/h100.build.log; echo "gpu run: FAILED (build)"; exit 1; }
        [ -x $bin/lrb_bench ] || echo "  no lrb_bench (Google Benchmark not found: run ci/gpu_deps.sh and carry .gpu_deps)"
    fi
    nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,memory.total --format=csv > "$out"/nvidia_smi.txt 2>&1
    cat "$out"/nvidia_smi.txt
fi

if want tests; then
    echo "=== GPU tests"
    ( cd $bin && LRB_REQUIRE_GPU=1 ctest -L gpu --output-on-failure ) > "$out"/gpu_tests.log 2>&1 || failed+=(tests)
    tail -n 5 "$out"/gpu_tests.log
fi

if want sanitizer; then
    echo "=== compute-sanitizer"
    for tool in memcheck racecheck; do
        if command -v compute-sanitizer > /dev/null 2>&1; then
            # at most 5 minutes each, so that a slow racecheck cannot eat a time-limited command
            timeout 300 compute-sanitizer --tool $tool --error-exitcode 9 $bin/lrb_gpu_check --quick \
                > "$out"/sanitizer_$tool.txt 2>&1 || failed+=($tool)
            echo "  $tool: $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$out"/sanitizer_$tool.txt | tail -n 1)"
        else
            echo "  $tool: compute-sanitizer not found"; failed+=($tool)
        fi
    done
fi

if want check; then
    echo "=== lrb_gpu_check"
    $bin/lrb_gpu_check > "$out"/gpu_check.txt 2>&1 || failed+=(gpu_check)
    tail -n 1 "$out"/gpu_check.txt
fi

if want bench; then
    # the families the targets table reads (reports/gpu_targets.py), most important first, or every family
    # with cuda variants
    case $families in
        targets) fams="gpu_scan_bd scan_data gpu_glru gpu_wkv4 scan_cplx wkv4 gpu_glru_untied scan" ;;
        all) fams=$($bin/lrb_bench --lrb-sweep=$sweep --lrb-no-golden-gate --benchmark_list_tests 2> /dev/null \
                    | grep '/cuda\.' | cut -d/ -f1 | awk '!seen[$0]++' | tr '\n' ' ') ;;
        *) fams=${families//,/ } ;;
    esac
    echo "=== benchmarks: $sweep sweep, $reps repetitions, families: $fams"
    # one lrb_bench per family and algorithm (its JSON is written when it ends); the gpu_* families at the
    # targets' sizes run seq and chunked only (ul is the seed's algorithm: the crossover families have it)
    left=()
    for fam in $fams; do
        case $fam in gpu_*) algos="seq chunked" ;; *) algos="seq ul chunked" ;; esac
        for alg in $algos; do
            if [ "$budget" -gt 0 ] && [ $((SECONDS - start)) -ge "$budget" ]; then
                left+=("$fam/$alg"); continue
            fi
            t0=$SECONDS; tag=${fam}_$alg
            $bin/lrb_bench --lrb-sweep=$sweep --benchmark_filter="^$fam/cuda\\.$alg/" --benchmark_repetitions=$reps \
                --benchmark_min_time=$min_time --benchmark_display_aggregates_only=true \
                --benchmark_out="$out"/bench_$tag.json --benchmark_out_format=json > "$out"/bench_$tag.log 2>&1 \
                || failed+=(bench:$tag)
            echo "  $fam cuda.$alg: $((SECONDS - t0)) s, $(grep -c '_median' "$out"/bench_$tag.log) instances," \
                 "$(grep -c 'ERROR OCCURRED' "$out"/bench_$tag.log) errors"
        done
    done
    if [ ${#left[@]} -gt 0 ]; then
        echo "  over the budget of $budget s, not run: ${left[*]} (run them with --families)"
    fi
fi

if want render; then
    echo "=== report"
    jsons=("$out"/bench_*.json)
    if [ ! -e "${jsons[0]}" ]; then
        echo "  no bench_*.json in $out"; failed+=(render)
    else
        bargs=(); for j in "${jsons[@]}"; do bargs+=(--bench "$j"); done
        python3 reports/gpu_targets.py "${bargs[@]}" --out "$out"/targets.md || failed+=(targets)
        grep -c 'not met' "$out"/targets.md | sed 's/^/  targets not met: /'
        if python3 -c 'import matplotlib' 2> /dev/null; then
            python3 reports/render.py "${bargs[@]}" --out "$out" --title "lrb cuda ($sweep sweep)" \
                > "$out"/render.log 2>&1 || failed+=(render)
        else
            echo "  no matplotlib here: render on the build machine: /usr/bin/python3 reports/render.py ${bargs[*]} --out $out"
        fi
    fi
fi

# one file to bring the report back in (the device tool returns at most 8 files)
if [ -n "$pack" ]; then
    cp build/h100.build.log "$out"/ 2> /dev/null
    tar czf "$pack" -C "$out" . && echo "=== packed $out into $pack ($(du -h "$pack" | cut -f1))" || failed+=(pack)
fi

if [ ${#failed[@]} -eq 0 ]; then echo "gpu run: ok"; else echo "gpu run: FAILED (${failed[*]})"; exit 1; fi
