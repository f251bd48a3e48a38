#!/usr/bin/env bash
# ci/perf_ab.sh — A/B performance comparison of two commits of this repository in one job.
#
#   ci/perf_ab.sh BASE_REV CONTENDER_REV [--filter REGEX] [--reps 5] [--rounds 2]
#                 [--threshold T] [--alpha A] [--min-reps N] [-- LRB_BENCH_ARGS...]
#
# Why A/B instead of a stored baseline: on shared CPU VMs the machine, its neighbours and its clock
# change between jobs, so a baseline from another job measures the VM as much as the code
# (TOOLING.md §2.6). Running both builds in the same job, alternately, exposes both to the same drift.
#
# Steps:
#   1. Each revision is checked out with `git worktree add --detach` into build/ab/<12-hex sha> (the sha,
#      not the revision's spelling, which may hold "/" or "~"), configured with `cmake --preset release`
#      and built with `--target lrb_bench`. Existing worktrees of the same sha are reused (incremental
#      builds); remove them with `git worktree remove build/ab/<sha>`. Only committed code is compared.
#   2. For round in 1..rounds: run A then B (odd rounds) or B then A (even rounds), each with
#        --benchmark_repetitions=reps --benchmark_enable_random_interleaving=true
#        --benchmark_min_time=0.1 --benchmark_min_warmup_time=0.1
#        --benchmark_display_aggregates_only=true --benchmark_out=<side>.r<round>.json
#      (display_aggregates_only keeps every repetition row in the file; report_aggregates_only would
#      drop the rows the U test needs). Each binary runs inside its own worktree, so paths it resolves
#      relative to its source tree are that commit's; LRB_GIT_COMMIT (the worktree's sha) and
#      LRB_GIT_DIRTY=no go into each run's context, so every JSON says which commit it measured.
#   3. The repetition rows of each side's rounds are joined (`ci/perf_gate.py --merge`, context of the
#      first round) and gated with this checkout's ci/perf_gate.py: reps × rounds must reach --min-reps
#      (9 by default; 5 × 2 = 10), else every benchmark would be "insufficient data".
# Before step 1 the arguments are checked, so that a typo costs seconds, not two builds and the runs:
# the gate options by `ci/perf_gate.py --check-args` (one parser, no second copy of its rules here),
# and reps × rounds against the --min-reps in force; either failing is exit 2.
# --filter is passed to lrb_bench as --benchmark_filter (Google Benchmark's POSIX extended regex, "-" negates;
# lrb_bench refuses one that does not compile or selects nothing, exit 2, before any timing);
# the gate compares whatever ran. Arguments after "--" go to both lrb_bench runs (e.g. --lrb-sweep=ci).
# Results: build/ab/results/<shaA>_<shaB>/{a,b}.r<k>.json, a.json, b.json, gate.md.
# Exit status: that of perf_gate.py (0 pass, 1 regression or undecidable, 3 incomparable);
# 2 for a usage, checkout, build or run failure. Usage errors are one line on stderr.
set -euo pipefail

die() { echo "perf-ab: $*" >&2; exit 2; }
# usage WHAT: one line, the synopsis is in the header
usage() {
    die "$1 (usage: perf_ab.sh BASE_REV CONTENDER_REV [--filter REGEX] [--reps N] [--rounds N]" \
        "[--threshold T] [--alpha A] [--min-reps N] [-- LRB_BENCH_ARGS...])"
}

[ $# -ge 2 ] || usage "need two revisions"
base_rev=$1; cont_rev=$2; shift 2
filter=""; reps=5; rounds=2; gate_args=(); bench_args=()
while [ $# -gt 0 ]; do
    case $1 in
        --filter|--reps|--rounds|--threshold|--alpha|--min-reps) [ $# -ge 2 ] || usage "$1 needs a value" ;;&
        --filter) filter=$2; shift 2 ;;
        --filter=*) filter=${1#*=}; shift ;;
        --reps) reps=$2; shift 2 ;;
        --reps=*) reps=${1#*=}; shift ;;
        --rounds) rounds=$2; shift 2 ;;
        --rounds=*) rounds=${1#*=}; shift ;;
        --threshold|--alpha|--min-reps) gate_args+=("$1" "$2"); shift 2 ;;
        --threshold=*|--alpha=*|--min-reps=*) gate_args+=("$1"); shift ;;
        --) shift; bench_args=("$@"); break ;;
        *) usage "unknown argument '$1'" ;;
    esac
done
[[ $reps =~ ^[1-9][0-9]*$ && $rounds =~ ^[1-9][0-9]*$ ]] || die "--reps and --rounds must be positive integers"

cd "$(dirname "$0")/.."
top=$PWD
py=/usr/bin/python3  # Debian's interpreter: the first python3 on PATH has no SciPy (TOOLING.md §1)
[ -x "$py" ] || py=python3

# perf_gate.py prints its own one-line error; it answers with the --min-reps in force
min_reps=$("$py" ci/perf_gate.py --check-args ${gate_args[@]+"${gate_args[@]}"}) || exit 2
if [ $((reps * rounds)) -lt "$min_reps" ]; then
    die "$reps reps × $rounds rounds = $((reps * rounds)) per side, below --min-reps $min_reps:" \
        "the gate could only answer 'insufficient data'"
fi

resolve() {
    git rev-parse --verify --quiet "$1^{commit}" || die "not a commit: $1"
}
sha_a=$(resolve "$base_rev")
sha_b=$(resolve "$cont_rev")
short_a=${sha_a:0:12}
short_b=${sha_b:0:12}

# checkout_and_build SHA: prints the path of that commit's lrb_bench
checkout_and_build() {
    local sha=$1 dir="$top/build/ab/${1:0:12}" log
    git worktree prune
    if [ -e "$dir" ] && [ "$(git -C "$dir" rev-parse HEAD 2>/dev/null || true)" != "$sha" ]; then
        # a stale or foreign directory: start over rather than build the wrong code
        git worktree remove --force "$dir" 2>/dev/null || rm -rf "$dir"
        git worktree prune
    fi
    if [ ! -e "$dir" ]; then
        mkdir -p "$top/build/ab"
        git worktree add --detach --quiet "$dir" "$sha" >&2 || die "git worktree add failed for $sha"
    fi
    log="$dir.build.log"
    echo "perf-ab: building ${sha:0:12} in build/ab/${sha:0:12} (log: ${log#"$top/"})" >&2
    if ! (cd "$dir" && cmake --preset release && cmake --build --preset release --target lrb_bench) \
            > "$log" 2>&1; then
        tail -n 40 "$log" >&2
        die "build of ${sha:0:12} failed (does that commit have the lrb_bench target?)"
    fi
    local bin
    bin=$(find "$dir/build/release" -type f -name lrb_bench -perm -u+x -print -quit)
    [ -n "$bin" ] || die "no lrb_bench executable under ${dir#"$top/"}/build/release"
    echo "$bin"
}

bin_a=$(checkout_and_build "$sha_a")
bin_b=$(checkout_and_build "$sha_b")

res="$top/build/ab/results/${short_a}_${short_b}"
rm -rf "$res"
mkdir -p "$res"

common=(--benchmark_repetitions="$reps" --benchmark_enable_random_interleaving=true
        --benchmark_min_time=0.1 --benchmark_min_warmup_time=0.1
        --benchmark_display_aggregates_only=true --benchmark_out_format=json)
[ -n "$filter" ] && common+=(--benchmark_filter="$filter")

# run_side SIDE BIN ROUND: one lrb_bench run, console output to a log
run_side() {
    local side=$1 bin=$2 round=$3 out="$res/$1.r$3.json"
    echo "perf-ab: round $round/$rounds, side $side (${bin#"$top/"})" >&2
    if ! (cd "$(dirname "$bin")" && cd "$(git rev-parse --show-toplevel)" &&
          LRB_GIT_COMMIT=$(git rev-parse HEAD) LRB_GIT_DIRTY=no \
          "$bin" "${common[@]}" --benchmark_out="$out" ${bench_args[@]+"${bench_args[@]}"}) \
            > "$res/$side.r$round.log" 2>&1; then
        tail -n 40 "$res/$side.r$round.log" >&2
        die "lrb_bench failed (side $side, round $round)"
    fi
    [ -s "$out" ] || die "no JSON written by side $side, round $round"
}

a_files=(); b_files=()
# A B, then B A, then A B ...: a steady drift of the machine (thermal, neighbours) then weighs on both
# sides alike instead of always favouring the side that runs first
for round in $(seq 1 "$rounds"); do
    if [ $((round % 2)) -eq 1 ]; then
        run_side a "$bin_a" "$round"; run_side b "$bin_b" "$round"
    else
        run_side b "$bin_b" "$round"; run_side a "$bin_a" "$round"
    fi
    a_files+=("$res/a.r$round.json"); b_files+=("$res/b.r$round.json")
done

"$py" ci/perf_gate.py --merge "$res/a.json" "${a_files[@]}" || exit 2
"$py" ci/perf_gate.py --merge "$res/b.json" "${b_files[@]}" || exit 2
echo "perf-ab: A = $short_a ($base_rev), B = $short_b ($cont_rev), $reps reps × $rounds rounds per side"
set +e
"$py" ci/perf_gate.py "$res/a.json" "$res/b.json" --markdown "$res/gate.md" ${gate_args[@]+"${gate_args[@]}"}
exit $?
