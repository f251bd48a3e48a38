#!/usr/bin/env bash
# ci/gpu_run.sh — everything lrb does on a GPU, for a lent H100/H200 (or any CUDA machine), in one command
# that fits a short lease. Steps, in order:
#   build      the programs: those of a carried bundle (ci/gpu_bundle.sh, built on the build machine) when
#              its source hash is this tree's and its libraries load here; else the h100 preset built here
#              (Release, CUDA, LRB_REQUIRE_GPU) unless build/h100 is built already, with Google Benchmark and
#              Check from .gpu_deps (ci/gpu_deps.sh; a GPU machine has no package registry);
#   check      lrb_gpu_check: every cuda variant on the golden set, every fresh-random kernel check, one table;
#              at most --check-limit seconds (default 240; it takes seconds on a GPU): a check cut off there
#              means a kernel that never ends, so the steps after it, which would hang the same way, are
#              not run and the lease's time is left for a rerun;
#   tests      the CUDA test binary (Check; the same golden set and kernel checks as assertions);
#   sanitizer  compute-sanitizer memcheck and racecheck on lrb_gpu_check --quick; a machine whose runtime
#              does not support it (gVisor) is reported as such, not as an error of lrb's;
#   bench      the GPU benchmark sweep, one lrb_bench per family and algorithm (cuda variants only, CUDA events,
#              L2 flushed before every timed launch unless --warm, the same-run device-to-device copy roofline),
#              one JSON each, most important first, so that a run cut short keeps what it finished;
#   render     the targets table (reports/gpu_targets.py) and the rendered report (reports/render.py, needs
#              matplotlib) from every bench_*.json of the report directory.
# --budget S bounds the whole run: each step starts only with time left, the sanitizers and every benchmark
# process are cut to what is left, and RESERVE seconds stay for render and pack; what was left out is named.
# usage: bash ci/gpu_run.sh [--out DIR] [--steps a,b,...] [--families targets|all|f1,f2,...] [--sweep ci|full|gpu]
#                           [--shapes REGEX] [--reps N] [--min-time S] [--warm] [--pack FILE.tar.gz] [--budget S]
#                           [--bundle DIR|none] [--check-limit S]
#   defaults: --out reports/<card> (h100, h200, ...: the first word with a digit in nvidia-smi's name, so
#             that an H200's figures never land among an H100's; reports/gpu without nvidia-smi)
#             --steps build,check,tests,sanitizer,bench,render --families targets
#             --sweep gpu --reps 3 --min-time 0.05 --bundle .gpu_bundle (when it exists). `targets`: the
#             families the targets table reads. --shapes narrows every benchmark run to the instances whose
#             name continues with REGEX after "<family>/cuda.<algorithm>/" (e.g. 'L:4096/'; lrb_bench's
#             regular expressions: std::regex, extended).
# The one-call recipe for a lease of 15 minutes (README, "On a GPU machine"): here, bash ci/gpu_bundle.sh and
# bash ci/gpu_deps.sh; then one device call carrying .gpu_bundle and .gpu_deps, timeout 600:
#   bash ci/gpu_run.sh --budget 540 --pack $OUT/gpu.tar.gz
# Prints one line per step and ends with "gpu run: ok" or "gpu run: FAILED (<steps>)" (exit 0 or 1), and a
# "not run:" line for what the budget or the machine left out.
set -uo pipefail
cd "$(dirname "$0")/.."
[ -d /usr/local/cuda/bin ] && export PATH="/usr/local/cuda/bin:$PATH"
out=; steps=build,check,tests,sanitizer,bench,render; families=targets; sweep=gpu; reps=3
min_time=0.05; shapes=; pack=; budget=0; bundle=.gpu_bundle; cold=--lrb-cold-cache; start=$SECONDS
check_limit=240; RESERVE=40
usage="expected --out DIR, --steps a,b,..., --families targets|all|f1,f2,..., --sweep ci|full|gpu, --shapes REGEX, --reps N, --min-time S, --warm, --pack FILE, --budget S, --bundle DIR|none, --check-limit S"
bundle_given=
while [ $# -gt 0 ]; do
    if [ "$1" = --warm ]; then cold=; shift; continue; fi
    case $1 in
        --*=*) echo "ci/gpu_run.sh: $1: give the value as a separate word (${1%%=*} ${1#*=})" >&2; exit 2 ;;
        --*) ;;
        *) echo "ci/gpu_run.sh: unexpected argument '$1' ($usage)" >&2; exit 2 ;;
    esac
    [ $# -ge 2 ] || { echo "ci/gpu_run.sh: $1 needs a value ($usage)" >&2; exit 2; }
    [ "$1" = --bundle ] && bundle_given=1
    case $1 in
        --out) out=$2; [ -n "$out" ] || { echo "ci/gpu_run.sh: --out needs a directory" >&2; exit 2; } ;;
        --steps) steps=$2 ;;
        --families) families=$2 ;;
        --sweep) sweep=$2 ;;
        --shapes) shapes=$2 ;;
        --reps) reps=$2 ;;
        --min-time) min_time=$2 ;;
        --pack) pack=$2 ;;
        --budget) budget=$2 ;;
        --bundle) bundle=$2 ;;
        --check-limit) check_limit=$2 ;;
        *) echo "ci/gpu_run.sh: unknown option $1 ($usage)" >&2; exit 2 ;;
    esac
    shift 2
done
# Every mistake is caught here, before a lease's minutes go into building and checking.
if [ -z "$out" ]; then
    card=$(nvidia-smi --query-gpu=name --format=csv,noheader 2> /dev/null | head -n 1 | tr 'A-Z' 'a-z' \
           | awk '{for (i = 1; i <= NF; i++) if ($i ~ /[0-9]/) {print $i; exit}}' | tr -cd 'a-z0-9-')
    out=reports/${card:-gpu}
fi
[[ $steps =~ ^[a-z]+(,[a-z]+)*$ ]] || { echo "ci/gpu_run.sh: --steps '$steps': expected a,b,... (no spaces)" >&2; exit 2; }
for s in ${steps//,/ }; do
    case $s in build|check|tests|sanitizer|bench|render) ;; *) echo "ci/gpu_run.sh: unknown step $s" >&2; exit 2 ;; esac
done
case $sweep in ci|full|gpu) ;; *) echo "ci/gpu_run.sh: --sweep $sweep ($usage)" >&2; exit 2 ;; esac
[[ $budget =~ ^[0-9]{1,6}$ && $reps =~ ^[1-9][0-9]{0,3}$ && $check_limit =~ ^[1-9][0-9]{0,5}$ ]] \
    || { echo "ci/gpu_run.sh: --budget (seconds), --reps (at least 1) and --check-limit take whole numbers" >&2; exit 2; }
[[ $min_time =~ ^[0-9]*\.?[0-9]+$ ]] && [ "$(awk -v t="$min_time" 'BEGIN {print (t > 0)}')" = 1 ] \
    || { echo "ci/gpu_run.sh: --min-time $min_time: expected seconds > 0" >&2; exit 2; }
[[ $families =~ ^[a-z0-9_]+(,[a-z0-9_]+)*$ ]] \
    || { echo "ci/gpu_run.sh: --families '$families': expected targets, all or f1,f2,..." >&2; exit 2; }
[[ "" =~ $shapes ]]; [ $? -ne 2 ] || { echo "ci/gpu_run.sh: --shapes '$shapes': not a regular expression" >&2; exit 2; }
if [ -n "$bundle_given" ] && [ "$bundle" != none ] && [ ! -x "$bundle/bin/lrb_gpu_check" ]; then
    echo "ci/gpu_run.sh: --bundle $bundle: no bin/lrb_gpu_check there (make one with ci/gpu_bundle.sh, or --bundle none)" >&2
    exit 2
fi
if [ -n "$pack" ] && [ ! -d "$(dirname "$pack")" ]; then
    echo "ci/gpu_run.sh: --pack $pack: no directory $(dirname "$pack")" >&2; exit 2
fi
requested=$steps
want() { [[ ",$steps," == *",$1,"* ]]; }
# seconds left before the reserve for render and pack (a large number without a budget)
left() { if [ "$budget" -gt 0 ]; then echo $((budget - RESERVE - (SECONDS - start))); else echo 1000000; fi; }
{ mkdir -p "$out" build && [ -w "$out" ]; } 2> /dev/null || { echo "ci/gpu_run.sh: --out $out: cannot create or write there" >&2; exit 2; }
rm -f "$out/BUNDLE.txt"
failed=(); notrun=()

# ---- the programs: a carried bundle, or a build here -------------------------------------------------------
bin=
if [ "$bundle" != none ] && [ -x "$bundle/bin/lrb_gpu_check" ]; then
    have=$(sed -n 's/^source_hash //p' "$bundle/BUNDLE.txt" 2> /dev/null); here=$(bash ci/gpu_bundle.sh --hash)
    libdirs="$(cd "$bundle" && pwd)/lib"
    for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do [ -d $d ] && libdirs="$libdirs:$d"; done
    missing() { LD_LIBRARY_PATH="$libdirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ldd "$bundle"/bin/* 2>&1 \
                    | awk '/not found/ {print $1}' | sort -u; }
    # the CUDA runtime or cuBLAS outside the loader's path (a toolkit elsewhere, a Python wheel's copy)
    for lib in $(missing); do
        found=$(find /usr/local /opt /usr/lib /usr/lib64 -name "$lib" 2> /dev/null | head -n 1)
        [ -n "$found" ] && libdirs="$libdirs:$(dirname "$found")"
    done
    missing=$(missing | xargs)
    if [ "$have" != "$here" ]; then
        echo "=== bundle $bundle: built from other sources ($have, this tree $here): building here instead"
    elif [ -n "$missing" ]; then
        echo "=== bundle $bundle: libraries missing here ($missing): building here instead"
    else
        bin=$bundle/bin
        export LD_LIBRARY_PATH="$libdirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" LRB_GOLDEN_DIR="$PWD/golden"
        cp "$bundle/BUNDLE.txt" "$out/"
        echo "=== bundle $bundle: $(grep -E '^(commit|dirty|nvcc|cuda_code)' "$bundle/BUNDLE.txt" | xargs)"
    fi
fi
if [ -z "$bin" ]; then
    bin=build/h100
    if [ ! -x $bin/lrb_gpu_check ]; then
        want build || { echo "gpu run: FAILED (no programs: no usable bundle, and build is not among the steps)"; exit 1; }
        echo "=== build ($bin)"
        deps=()
        if [ -d .gpu_deps/root/usr ]; then
            deps=(-DCMAKE_PREFIX_PATH="$PWD/.gpu_deps/root/usr" -DCMAKE_DISABLE_FIND_PACKAGE_PkgConfig=ON)
        fi
        t0=$SECONDS
        { cmake --preset h100 "${deps[@]}" && cmake --build --preset h100; } > build/h100.build.log 2>&1 \
            || { tail -n 40 build/h100.build.log; echo "gpu run: FAILED (build)"; exit 1; }
        echo "  built in $((SECONDS - t0)) s"
        cp build/h100.build.log "$out/"
    fi
    [ -x $bin/lrb_bench ] || echo "  no lrb_bench (Google Benchmark not found: run ci/gpu_deps.sh and carry .gpu_deps)"
fi
# the commit every JSON names: git's where the tree came with its history, else the bundle's
if git rev-parse HEAD > /dev/null 2>&1; then
    LRB_GIT_COMMIT=$(git rev-parse HEAD)
    LRB_GIT_DIRTY=$([ -z "$(git status --porcelain --untracked-files=no)" ] && echo false || echo true)
elif [ -f "$out/BUNDLE.txt" ]; then
    LRB_GIT_COMMIT=$(sed -n 's/^commit //p' "$out/BUNDLE.txt"); LRB_GIT_DIRTY=$(sed -n 's/^dirty //p' "$out/BUNDLE.txt")
fi
export LRB_GIT_COMMIT=${LRB_GIT_COMMIT:-unknown} LRB_GIT_DIRTY=${LRB_GIT_DIRTY:-unknown}
if command -v nvidia-smi > /dev/null; then
    nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,clocks.mem,power.limit,memory.total \
        --format=csv > "$out"/nvidia_smi.txt 2>&1
    sed 's/^/  /' "$out"/nvidia_smi.txt
fi
cuda_tests=$bin/lrb_cuda_tests; [ -x "$cuda_tests" ] || cuda_tests=$bin/tests/lrb_cuda_tests
# family:algorithm pairs this lrb_bench has (at this sweep); a family named in --families that it lacks is a
# typo, said now rather than after the checks. `shaped`: the pairs with an instance that --shapes keeps (lrb_bench
# refuses a filter that selects nothing), as lrb_bench itself selects them: its regular expressions are not
# bash's (`\d` is one in bash, an error in std::regex), so a --shapes it cannot read is refused here too
avail=; shaped=
pairs() { cut -d/ -f1-2 | sed 's#/cuda\.#:#' | awk '!seen[$0]++' | xargs; }
if want bench && [ -x $bin/lrb_bench ]; then
    list() { $bin/lrb_bench --lrb-sweep=$sweep --lrb-no-golden-gate --benchmark_list_tests "$@"; }
    avail=" $(list 2> /dev/null | grep '/cuda\.' | pairs) "
    shaped=$(list --benchmark_filter="^[^/]+/cuda\.[a-z]+/$shapes" 2>&1)
    if [[ $shaped == *"not a valid regular expression"* ]]; then
        echo "ci/gpu_run.sh: --shapes '$shapes': not a regular expression as lrb_bench reads it (std::regex, extended)" >&2
        exit 2
    fi
    shaped=" $(grep -E '^[a-z0-9_]+/cuda\.' <<< "$shaped" | pairs) "
    if [ "$families" != targets ] && [ "$families" != all ] && [ "$avail" != "  " ]; then
        for f in ${families//,/ }; do
            [[ $avail == *" $f:"* ]] || { echo "gpu run: FAILED (--families: no cuda benchmarks of family $f here)"; exit 2; }
        done
    fi
fi
want bench && rm -f "$out"/bench_*.json "$out"/bench_*.log # a report is of one run (a typo above keeps the last)

# ---- correctness ----------------------------------------------------------------------------------------------
if want check; then
    echo "=== lrb_gpu_check"
    cap=$(left); [ "$cap" -gt "$check_limit" ] && cap=$check_limit
    if [ "$(left)" -lt 10 ]; then
        echo "  no time left"; notrun+=(check)
    else
        t0=$SECONDS
        timeout "$cap" $bin/lrb_gpu_check > "$out"/gpu_check.txt 2>&1
        rc=$?
        if [ $rc -eq 124 ]; then
            # it prints a row as each check ends: the one after the last row is the one that did not
            echo "  cut off after $cap s; the last row it finished: $(tail -n 1 "$out"/gpu_check.txt)"
            failed+=(gpu_check)
            for s in tests sanitizer bench; do want $s && notrun+=("$s (the check was cut off)"); done
            steps=$(echo ",$steps," | sed 's/,tests,/,/; s/,sanitizer,/,/; s/,bench,/,/; s/^,//; s/,$//')
        else
            [ $rc -eq 0 ] || failed+=(gpu_check)
            echo "  $(tail -n 1 "$out"/gpu_check.txt) ($((SECONDS - t0)) s)"
        fi
    fi
fi

if want tests; then
    echo "=== GPU tests"
    if [ "$(left)" -lt 30 ]; then
        notrun+=(tests)
    else
        t0=$SECONDS
        mkdir -p "$out/tap"
        CK_RUN_SUITE=cuda CK_TAP_LOG_FILE_NAME="$out/tap/lrb_cuda_tests.tap" LRB_REQUIRE_GPU=1 \
            timeout "$(left)" "$cuda_tests" > "$out"/gpu_tests.log 2>&1 || failed+=(tests)
        echo "  $(grep -E '^[0-9]+%: Checks' "$out"/gpu_tests.log | tail -n 1) ($((SECONDS - t0)) s)"
    fi
fi

if want sanitizer; then
    echo "=== compute-sanitizer"
    for tool in memcheck racecheck; do
        # each at most 3 minutes and a third of what is left, so that the benchmarks keep most of a budget
        cap=$(($(left) / 3)); [ $cap -gt 180 ] && cap=180
        if ! command -v compute-sanitizer > /dev/null 2>&1; then
            echo "  $tool: compute-sanitizer not found"; notrun+=("$tool (no compute-sanitizer)"); continue
        fi
        if [ $cap -lt 30 ]; then
            echo "  $tool: no time left"; notrun+=("$tool (budget)"); continue
        fi
        t0=$SECONDS
        timeout $cap compute-sanitizer --tool $tool --error-exitcode 9 $bin/lrb_gpu_check --quick \
            > "$out"/sanitizer_$tool.txt 2>&1
        rc=$?
        if grep -q -E 'Device not supported|not supported on this (platform|device)' "$out"/sanitizer_$tool.txt; then
            echo "  $tool: this machine's runtime does not support compute-sanitizer"
            notrun+=("$tool (unsupported here)")
        elif [ $rc -eq 124 ]; then
            echo "  $tool: cut off after $cap s"; notrun+=("$tool (cut off after $cap s)")
        else
            [ $rc -eq 0 ] || failed+=($tool)
            echo "  $tool: $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$out"/sanitizer_$tool.txt | tail -n 1)" \
                 "(exit $rc, $((SECONDS - t0)) s)"
        fi
    done
fi

# ---- benchmarks -----------------------------------------------------------------------------------------------
if want bench; then
    # the order to run the pairs in: for `targets` what the targets table needs most first (G1/G2: gpu_scan_bd,
    # scan_data; the latency and the crossover: scan_data, scan; G3: gpu_wkv4; G4: scan_cplx, gpu_glru), else
    # chunked, seq, ul of each family named
    case $families in
        targets) order="gpu_scan_bd:chunked scan_data:chunked scan_data:seq gpu_wkv4:chunked gpu_wkv4:seq
                        scan_cplx:chunked gpu_glru:chunked gpu_scan_bd:seq scan_data:ul scan:chunked scan:seq
                        scan_cplx:seq wkv4:chunked wkv4:seq gpu_glru_untied:chunked gpu_glru:seq scan:ul
                        scan_cplx:ul gpu_glru_untied:seq" ;;
        all) order=$avail ;;
        *) order=$(for f in ${families//,/ }; do echo "$f:chunked $f:seq $f:ul"; done) ;;
    esac
    runs=; unshaped=
    for r in $order; do
        [[ $avail == *" $r "* ]] || continue
        if [[ $shaped == *" $r "* ]]; then runs="$runs $r"; else unshaped="$unshaped $r"; fi
    done
    [ -z "$unshaped" ] || echo "  --shapes '$shapes' keeps no instance of:$unshaped"
    [ -n "$runs" ] || { echo "  no cuda benchmarks for --families $families${shapes:+ and --shapes '$shapes'} (is there a CUDA device?)"; failed+=(bench); }
    echo "=== benchmarks: $sweep sweep, $reps repetitions, $([ -n "$cold" ] && echo "L2 flushed before every timed launch" || echo "warm L2")"
    for run in $runs; do
        fam=${run%%:*}; alg=${run#*:}; tag=${fam}_$alg
        if [ "$(left)" -lt 20 ]; then
            notrun+=("bench $fam/$alg"); continue
        fi
        t0=$SECONDS
        timeout "$(left)" $bin/lrb_bench --lrb-sweep=$sweep $cold --benchmark_filter="^$fam/cuda\\.$alg/$shapes" \
            --benchmark_repetitions=$reps --benchmark_min_time=$min_time --benchmark_display_aggregates_only=true \
            --benchmark_out="$out"/bench_$tag.json --benchmark_out_format=json > "$out"/bench_$tag.log 2>&1
        rc=$?
        if [ $rc -eq 124 ]; then
            rm -f "$out"/bench_$tag.json; notrun+=("bench $fam/$alg (cut off)")
        elif [ $rc -ne 0 ]; then
            failed+=(bench:$tag)
        fi
        echo "  $fam cuda.$alg: $((SECONDS - t0)) s, $(grep -c '_median' "$out"/bench_$tag.log) instances," \
             "$(grep -c 'ERROR OCCURRED' "$out"/bench_$tag.log) errors$([ $rc -eq 0 ] || echo ", exit $rc")"
    done
fi

# ---- report ---------------------------------------------------------------------------------------------------
if want render; then
    echo "=== report"
    # a JSON without rows (an lrb_bench that stopped at once) would make the whole table an input error
    bargs=()
    for j in "$out"/bench_*.json; do
        [ -e "$j" ] || continue
        grep -q '"run_name"' "$j" && bargs+=(--bench "$j") || echo "  $j: no rows, left out"
    done
    if [ ${#bargs[@]} -eq 0 ]; then
        echo "  no bench_*.json with rows in $out"; notrun+=(render)
    else
        # the first python with matplotlib (the GPU image's, or Debian's here); gpu_targets.py needs none
        py=; for p in python3 /usr/bin/python3; do $p -c 'import matplotlib' 2> /dev/null && { py=$p; break; }; done
        ${py:-python3} reports/gpu_targets.py "${bargs[@]}" --out "$out"/targets.md || failed+=(targets)
        echo "  targets: $(grep -c '| met |' "$out"/targets.md) met, $(grep -c '| not met |' "$out"/targets.md) not met," \
             "$(grep -c '| not measured |' "$out"/targets.md) not measured"
        if [ -n "$py" ]; then
            $py reports/render.py "${bargs[@]}" --out "$out" --title "lrb cuda ($sweep sweep)" \
                > "$out"/render.log 2>&1 || failed+=(render)
        else
            echo "  no matplotlib here: render on the build machine: /usr/bin/python3 reports/render.py ${bargs[*]} --out $out"
        fi
    fi
fi

{
    echo "steps $requested; budget $budget s; ran $((SECONDS - start)) s"
    echo "failed: ${failed[*]:-none}"
    echo "not run: ${notrun[*]:-none}"
} > "$out"/gpu_run.txt
# one file to bring the report back in (the device tool returns at most 8 files)
if [ -n "$pack" ]; then
    tar czf "$pack" -C "$out" . && echo "=== packed $out into $pack ($(du -h "$pack" | cut -f1))" || failed+=(pack)
fi
[ ${#notrun[@]} -eq 0 ] || echo "not run: ${notrun[*]}"
if [ ${#failed[@]} -eq 0 ]; then echo "gpu run: ok ($((SECONDS - start)) s)"; else echo "gpu run: FAILED (${failed[*]})"; exit 1; fi
