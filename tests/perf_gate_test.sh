#!/usr/bin/env bash
# tests/perf_gate_test.sh — tests of the performance gates on synthetic results:
#   ci/perf_gate.py (gate rule, refusals, --merge), ci/callgrind_gate.py (compare; run against a stand-in
#   benchmark binary under valgrind) and ci/perf_ab.sh (end to end in a throw-away git repository).
# The fixtures (tests/fixtures/perf_gate/*.json) come from make_fixtures.py; the first check regenerates
# them and requires identical bytes, so the committed files and the generator cannot drift apart.
# Each check compares an exit status and the final output line, or, for bad input, the one stderr line
# (expect_err; inputs made invalid on purpose are written to a temporary directory by the "bad inputs"
# step, so the fixture directory stays what make_fixtures.py writes). The parts that need g++, Google
# Benchmark, valgrind, cmake or ninja are skipped (and counted as skipped) when those are missing.
# Ends with "perf gate tests: N passed, M failed"; exit status 1 if anything failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
fx=$here/fixtures/perf_gate
py=/usr/bin/python3  # Debian's interpreter has SciPy; the first python3 on PATH does not
gate=$top/ci/perf_gate.py
cg=$top/ci/callgrind_gate.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0; failed=0; skipped=0

ok() { passed=$((passed + 1)); echo "ok    $1"; }
bad() { failed=$((failed + 1)); echo "FAIL  $1"; }
skip() { skipped=$((skipped + 1)); echo "skip  $1"; }

# expect NAME RC LAST_LINE CMD...: runs CMD; passes if it exits RC and its last stdout line is LAST_LINE.
# The output is kept in $tmp/last.out for follow-up greps.
expect() {
    local name=$1 want_rc=$2 want_last=$3 rc last
    shift 3
    "$@" > "$tmp/last.out" 2> "$tmp/last.err"
    rc=$?
    last=$(tail -n 1 "$tmp/last.out")
    if [ "$rc" = "$want_rc" ] && [ "$last" = "$want_last" ]; then
        ok "$name"
    else
        bad "$name: exit $rc (want $want_rc), last line '$last' (want '$want_last')"
        sed 's/^/      | /' "$tmp/last.out" "$tmp/last.err" | tail -n 20
    fi
}

# expect_err NAME RC PATTERN CMD...: runs CMD; passes if it exits RC, prints nothing on stdout (no table,
# no verdict) and exactly one line on stderr that matches PATTERN (a bash glob: "*" is any text). The
# project's rule for bad input: one clear line, never a traceback, never a pass.
expect_err() {
    local name=$1 want_rc=$2 want_err=$3 rc n_err err
    shift 3
    "$@" > "$tmp/last.out" 2> "$tmp/last.err"
    rc=$?
    n_err=$(wc -l < "$tmp/last.err")
    err=$(head -n 1 "$tmp/last.err")
    # shellcheck disable=SC2053  # the right-hand side is a glob on purpose
    if [ "$rc" = "$want_rc" ] && [ ! -s "$tmp/last.out" ] && [ "$n_err" -eq 1 ] && [[ $err == $want_err ]]; then
        ok "$name"
    else
        bad "$name: exit $rc (want $want_rc), $n_err stderr lines (want 1 matching '$want_err')"
        sed 's/^/      | /' "$tmp/last.out" "$tmp/last.err" | tail -n 20
    fi
}

# grep_last NAME PATTERN: the previous expect's output contains PATTERN (extended regex)
grep_last() {
    if grep -qE -- "$2" "$tmp/last.out"; then ok "$1"; else bad "$1: no line matches /$2/"; fi
}

echo "--- fixtures are what make_fixtures.py generates"
if "$py" "$fx/make_fixtures.py" "$tmp/fx" > /dev/null &&
        diff -r -x '*.py' -x '*.cc' -x '__pycache__' "$fx" "$tmp/fx" > "$tmp/diff" 2>&1; then
    ok "fixtures regenerate byte for byte"
else
    bad "fixtures differ from make_fixtures.py output"; head -n 20 "$tmp/diff"
fi

echo "--- perf_gate.py: gate rule"
G() { "$py" "$gate" "$@"; }
cd "$fx" || exit 1
expect "identical results pass" 0 "perf-gate: 4 passed, 0 failed" G base.json identical.json
expect "20 % slower and significant fails" 1 "perf-gate: 3 passed, 1 failed" G base.json slower20.json
grep_last "  the failing row is the +20 % one" '^\| scan/ref\.seq/.*\| \+20\.0 % \| .* \| REGRESSION \|$'
grep_last "  +5 % significant but under the threshold passes" '^\| lru/.*\| \+5\.0 % \| .* \| pass \|$'
grep_last "  -20 % is reported as faster" '^\| wkv4/.*\| -20\.0 % \| .* \| faster \|$'
grep_last "  /manual_time stripped for display" '^\| glru/cuda\.chunked/L:4096/B:1/D:256 \|'
expect "--threshold 0.04 also fails the +5 % row" 1 "perf-gate: 2 passed, 2 failed" \
    G base.json slower20.json --threshold 0.04
expect "noisy, median +3 %, not significant passes" 0 "perf-gate: 4 passed, 0 failed" G base.json noisy.json
expect "noisy, median +15 % but p > alpha passes" 0 "perf-gate: 4 passed, 0 failed" \
    G noisy_base.json noisy_slow.json
expect "missing benchmark fails" 1 "perf-gate: 3 passed, 1 failed" G base.json missing.json
grep_last "  reported as missing" 'missing in contender'
expect "error_occurred fails" 1 "perf-gate: 3 passed, 1 failed" G base.json error.json
grep_last "  the error message is shown" 'error: conformance:'
expect "too few repetitions fail" 1 "perf-gate: 0 passed, 4 failed" G base.json few_reps.json
grep_last "  labelled insufficient data" 'insufficient data \(10 vs 5 reps, need 9\)'
expect "--min-reps 5 accepts 5 repetitions" 0 "perf-gate: 4 passed, 0 failed" \
    G base.json few_reps.json --min-reps 5
expect_err "different cpu_model refused (on stderr)" 3 \
    "incomparable: cpu_model differs (AMD EPYC 7B13 vs Intel(R) Xeon(R) Platinum 8480+)" G base.json other_cpu.json
expect_err "different isa refused" 3 "incomparable: isa differs (scalar vs avx2)" G base.json other_isa.json
expect_err "gpu_name on one side only refused" 3 \
    "incomparable: gpu_name differs (NVIDIA H100 80GB HBM3 vs <absent>)" G base.json no_gpu.json
expect_err "different executable refused" 3 "incomparable: executable differs (lrb_bench vs python3)" \
    G base.json other_exe.json
expect "--filter leaves the regression out" 0 "perf-gate: 3 passed, 0 failed" \
    G base.json slower20.json --filter '^(lru|wkv4|glru)/'
expect "--filter matching nothing fails" 1 "perf-gate: 0 passed, 1 failed" G base.json slower20.json --filter nomatch
expect "--markdown writes the table" 1 "perf-gate: 3 passed, 1 failed" \
    G base.json slower20.json --markdown "$tmp/gate.md"
if [ "$(tail -n 1 "$tmp/gate.md")" = "perf-gate: 3 passed, 1 failed" ] && grep -q '^| benchmark |' "$tmp/gate.md"; then
    ok "  markdown file holds table and summary"
else
    bad "  markdown file holds table and summary"
fi
expect_err "unreadable input is a usage error" 2 "perf-gate: error: $tmp/nonexistent.json: cannot read *" \
    G base.json "$tmp/nonexistent.json"

echo "--- perf_gate.py: bad input is one line on stderr and exit 2"
# bad/NAME.json: a fixture with one field made invalid (see the Python below for which)
mkdir -p "$tmp/bad"
"$py" - "$tmp/bad" <<'EOF'
import json, sys
out = sys.argv[1]
def write(src, dst, change):
    d = json.load(open(src))
    change([r for r in d["benchmarks"] if r.get("run_type") == "iteration"], d["context"])
    with open(f"{out}/{dst}", "w") as f:
        json.dump(d, f, indent=1)
def first_of_each(key, value):  # the first repetition of every benchmark
    def change(rows, _ctx):
        seen = set()
        for r in rows:
            if r["name"] not in seen:
                seen.add(r["name"]); r[key] = value
    return change
def every(key, value):
    def change(rows, _ctx):
        for r in rows:
            r[key] = value
    return change
def errored(rows, _ctx):
    for r in rows:
        r.update(error_occurred=True, error_message="conformance: broken", real_time=0.0)
write("slower20.json", "nan_first.json", first_of_each("real_time", float("nan")))
write("base.json", "nan_all.json", every("real_time", float("nan")))
write("base.json", "zero.json", every("real_time", 0))
write("base.json", "negative.json", first_of_each("real_time", -1.5))
write("base.json", "true.json", first_of_each("real_time", True))
write("base.json", "errored.json", errored)
write("base.json", "debug.json", lambda rows, ctx: ctx.update(build_type="Debug"))
write("base.json", "name_int.json", first_of_each("name", 7))
write("base.json", "unit_list.json", first_of_each("time_unit", ["us"]))
write("base.json", "family_str.json", first_of_each("family_index", "x"))
write("ab_a_r2.json", "ab_a_r2_nan.json", first_of_each("real_time", float("nan")))
d = json.load(open("base.json"))
d["benchmarks"].insert(1, "scan/ref.seq")  # a row that is not an object (it was skipped without a word)
json.dump(d, open(f"{out}/row_str.json", "w"), indent=1)
EOF
B=$tmp/bad
scan='scan/ref.seq/L:1024/B:1/D:256'
expect_err "a NaN repetition in a +20 % contender is an input error, not a pass" 2 \
    "perf-gate: error: $B/nan_first.json: $scan: real_time nan is not a finite number > 0" \
    G base.json "$B/nan_first.json"
expect_err "  the same with --no-scipy" 2 "perf-gate: error: $B/nan_first.json: $scan: real_time nan *" \
    G base.json "$B/nan_first.json" --no-scipy
expect_err "  NaN in the baseline" 2 "perf-gate: error: $B/nan_first.json: $scan: real_time nan *" \
    G "$B/nan_first.json" base.json
expect_err "all-NaN baseline" 2 "perf-gate: error: $B/nan_all.json: *: real_time nan *" G "$B/nan_all.json" base.json
expect_err "real_time 0 (would read -100 % faster)" 2 "perf-gate: error: $B/zero.json: *: real_time 0 is not *" \
    G base.json "$B/zero.json"
expect_err "negative real_time" 2 "perf-gate: error: $B/negative.json: *: real_time -1.5 is not *" \
    G base.json "$B/negative.json"
expect_err "JSON true as real_time" 2 "perf-gate: error: $B/true.json: *: real_time True is not *" \
    G "$B/true.json" base.json
expect_err "a row that is not an object" 2 "perf-gate: error: $B/row_str.json: benchmarks\[1\] is not an object" \
    G base.json "$B/row_str.json"
expect_err "name 7 (not a string)" 2 "perf-gate: error: $B/name_int.json: an iteration row has no string 'name' (7)" \
    G base.json "$B/name_int.json"
expect_err "  in the baseline too" 2 "perf-gate: error: $B/name_int.json: *" G "$B/name_int.json" base.json
expect_err "time_unit a list" 2 "perf-gate: error: $B/unit_list.json: *: time_unit \['us'\] is not one of ns, us, ms, s" \
    G base.json "$B/unit_list.json"
expect_err "family_index a string" 2 "perf-gate: error: $B/family_str.json: *: family_index 'x' is not an integer" \
    G "$B/family_str.json" base.json
expect "a baseline whose every benchmark errored fails" 1 "perf-gate: 4 passed, 1 failed" G "$B/errored.json" base.json
grep_last "  nothing to compare" 'nothing to compare: every baseline benchmark errored'
expect_err "Debug vs Release is incomparable" 3 "incomparable: build_type differs (Release vs Debug)" \
    G base.json "$B/debug.json"
for opt in "--threshold nan" "--threshold inf" "--alpha nan" "--alpha inf"; do
    # shellcheck disable=SC2086  # option and value split on purpose
    expect_err "$opt is refused (a NaN option switches the gate off)" 2 \
        "perf_gate.py: argument ${opt% *}: not a finite number: '${opt#* }'" G base.json slower20.json $opt
done
expect_err "--threshold 10 (meant as percent) is refused" 2 \
    "perf_gate.py: --threshold 10: need a fraction 0 <= threshold <= 1 (0.10 = +10 %)" \
    G base.json slower20.json --threshold 10
expect_err "--alpha 1 is refused" 2 "perf_gate.py: --alpha 1: need 0 < alpha < 1" G base.json slower20.json --alpha 1
expect_err "a bad --filter regex is a usage error" 2 "perf_gate.py: --filter '(': not a valid regex: *" \
    G base.json slower20.json --filter '('
expect_err "a missing argument is one line, not argparse's usage block" 2 \
    "perf_gate.py: the following arguments are required: contender" G base.json
expect_err "an unknown option likewise" 2 "perf_gate.py: unrecognized arguments: --bogus" \
    G base.json slower20.json --bogus
if G --help 2>&1 | grep -q '^usage: perf_gate.py '; then ok "--help still works"; else bad "--help still works"; fi
expect_err "--markdown to a directory is refused before the table" 2 "perf-gate: error: --markdown $tmp: is a directory" \
    G base.json slower20.json --markdown "$tmp"
expect_err "--markdown into a missing directory" 2 \
    "perf-gate: error: --markdown /nonexistent/x.md: directory /nonexistent does not exist" \
    G base.json slower20.json --markdown /nonexistent/x.md
cp slower20.json "$tmp/in.json"
expect_err "--markdown onto an input file is refused" 2 \
    "perf-gate: error: --markdown $tmp/in.json: is an input file, would overwrite it" \
    G base.json "$tmp/in.json" --markdown "$tmp/in.json"
if cmp -s slower20.json "$tmp/in.json"; then ok "  the input is untouched"; else bad "  the input is untouched"; fi
expect "--check-args: valid options, prints --min-reps" 0 "5" G --check-args --threshold 0.05 --min-reps=5
expect_err "--check-args: bad options" 2 "perf_gate.py: argument --threshold: not a finite number: 'nan'" \
    G --check-args --threshold nan

echo "--- perf_gate.py: weaker rule without SciPy"
expect "--no-scipy: +20 % with disjoint ranges fails" 1 "perf-gate: 3 passed, 1 failed" \
    G base.json slower20.json --no-scipy
grep_last "  labelled weaker" 'REGRESSION \(weaker rule\)'
expect "--no-scipy: identical passes" 0 "perf-gate: 4 passed, 0 failed" G base.json identical.json --no-scipy
expect "--no-scipy: noisy +15 % passes" 0 "perf-gate: 4 passed, 0 failed" G noisy_base.json noisy_slow.json --no-scipy
if command -v python3 > /dev/null && ! python3 -c 'import scipy' 2> /dev/null; then
    expect "interpreter without SciPy falls back" 1 "perf-gate: 3 passed, 1 failed" \
        python3 "$gate" base.json slower20.json
    grep_last "  says why" 'WEAKER, SciPy is not available'
else
    skip "interpreter without SciPy falls back (no such python3 on PATH)"
fi

echo "--- perf_gate.py --merge (A/B rounds)"
expect "merge side A" 0 "perf-gate merge: 40 rows of 4 benchmarks from 2 files -> $tmp/a.json" \
    G --merge "$tmp/a.json" ab_a_r1.json ab_a_r2.json
expect "merge side B" 0 "perf-gate merge: 40 rows of 4 benchmarks from 2 files -> $tmp/b.json" \
    G --merge "$tmp/b.json" ab_b_r1.json ab_b_r2.json
if "$py" - "$tmp/a.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
rows = d["benchmarks"]
assert all(r["run_type"] == "iteration" for r in rows), "aggregate rows survived"
by = {}
for r in rows:
    by.setdefault(r["name"], []).append(r)
for name, rs in by.items():
    assert sorted(r["repetition_index"] for r in rs) == list(range(10)), name
    assert all(r["repetitions"] == 10 for r in rs), name
assert d["context"]["lrb_merged_inputs"] == 2
assert d["context"]["executable"].endswith("/1111111/build/release/bench/lrb_bench")
EOF
then ok "  merged file: iteration rows only, 10 repetitions renumbered, first context"
else bad "  merged file: iteration rows only, 10 repetitions renumbered, first context"; fi
expect "single rounds (5 reps) are insufficient" 1 "perf-gate: 0 passed, 4 failed" G ab_a_r1.json ab_b_r1.json
expect "merged A vs B finds the +25 % benchmark" 1 "perf-gate: 3 passed, 1 failed" G "$tmp/a.json" "$tmp/b.json"
grep_last "  it is scan" '^\| scan/ref\.seq/.*\| \+25\.0 % \| .* \| REGRESSION \|$'
expect "merged A vs A passes" 0 "perf-gate: 4 passed, 0 failed" G "$tmp/a.json" "$tmp/a.json"
c2=2222222222222222222222222222222222222222 c3=3333333333333333333333333333333333333333
expect_err "merge refuses rounds of different commits" 3 \
    "incomparable: lrb_git_commit differs ($c2 vs $c3) in ab_b_r2_other_commit.json" \
    G --merge "$tmp/bad.json" ab_b_r1.json ab_b_r2_other_commit.json
expect_err "merge refuses another machine" 3 \
    "incomparable: cpu_model differs (AMD EPYC 7B13 vs Intel(R) Xeon(R) Platinum 8480+)" \
    G --merge "$tmp/bad.json" base.json other_cpu.json
expect_err "merge refuses a NaN real_time (no bare NaN passed on)" 2 \
    "perf-gate: error: $B/ab_a_r2_nan.json: *: real_time nan is not a finite number > 0" \
    G --merge "$tmp/bad.json" ab_a_r1.json "$B/ab_a_r2_nan.json"
expect_err "merge into a missing directory is refused before reading" 2 \
    "perf-gate: error: --merge /nonexistent/m.json: directory /nonexistent does not exist" \
    G --merge /nonexistent/m.json ab_a_r1.json ab_a_r2.json
expect_err "merge onto one of its inputs is refused" 2 \
    "perf-gate: error: --merge $tmp/a.json: is an input file, would overwrite it" \
    G --merge "$tmp/a.json" "$tmp/a.json" ab_a_r2.json

echo "--- callgrind_gate.py compare"
C() { "$py" "$cg" "$@"; }
expect "same counts pass" 0 "callgrind-gate: 3 passed, 0 failed" C compare cg_base.json cg_base.json
expect "+1 % passes" 0 "callgrind-gate: 3 passed, 0 failed" C compare cg_base.json cg_plus1.json
expect "+3 % fails (a -5 % passes)" 1 "callgrind-gate: 2 passed, 1 failed" C compare cg_base.json cg_plus3.json
grep_last "  the +3 % row" '^\| lru/.*\| \+3\.00 % \| REGRESSION \|$'
expect "missing benchmark fails" 1 "callgrind-gate: 2 passed, 1 failed" C compare cg_base.json cg_missing.json
grep_last "  reported as missing" 'missing in new'
expect "--threshold 0.005 fails the +1 % rows" 1 "callgrind-gate: 0 passed, 3 failed" \
    C compare cg_base.json cg_plus1.json --threshold 0.005
expect_err "a benchmark JSON is not a counts file" 2 "callgrind-gate: error: base.json: context: count * is not *" \
    C compare cg_base.json base.json
printf '{"a": 100}\n' > "$tmp/cg_a.json"
printf '{"a": 1000}\n' > "$tmp/cg_10x.json"
printf '{"a": true}\n' > "$tmp/cg_true.json"
expect "a tenfold count fails" 1 "callgrind-gate: 0 passed, 1 failed" C compare "$tmp/cg_a.json" "$tmp/cg_10x.json"
expect_err "--threshold nan is refused (it passed the tenfold count)" 2 \
    "callgrind_gate.py compare: argument --threshold: not a finite number: 'nan'" \
    C compare "$tmp/cg_a.json" "$tmp/cg_10x.json" --threshold nan
expect_err "--threshold 20 (meant as percent) is refused" 2 \
    "callgrind_gate.py compare: --threshold 20: need a fraction 0 <= threshold <= 1 (0.02 = +2 %)" \
    C compare "$tmp/cg_a.json" "$tmp/cg_10x.json" --threshold 20
expect_err "JSON true is no count" 2 "callgrind-gate: error: $tmp/cg_true.json: a: count True is not an integer >= 0 *" \
    C compare "$tmp/cg_a.json" "$tmp/cg_true.json"
expect_err "--markdown onto an input is refused" 2 \
    "callgrind-gate: error: --markdown $tmp/cg_a.json: is an input file, would overwrite it" \
    C compare "$tmp/cg_a.json" "$tmp/cg_10x.json" --markdown "$tmp/cg_a.json"
expect_err "a missing argument is one line" 2 "callgrind_gate.py compare: the following arguments are required: new" \
    C compare cg_base.json
expect_err "run --timeout -1 is refused" 2 "callgrind_gate.py run: --timeout -1: must be > 0 seconds" \
    C run --bench /bin/true --out "$tmp/cg_t.json" --timeout -1
expect_err "run --out into a missing directory is refused before any valgrind run" 2 \
    "callgrind-gate: error: --out /nonexistent/c.json: directory /nonexistent does not exist" \
    C run --bench /bin/true --out /nonexistent/c.json
# in_dir DIR CMD...: CMD run in DIR (a subshell), for the relative --bench paths
in_dir() { (cd "$1" && shift && "$@"); }
mkdir -p "$tmp/adir"
expect_err "run --bench naming a relative directory is not looked up on PATH" 2 \
    "callgrind-gate: error: --bench adir: not an executable file" \
    in_dir "$tmp" "$py" "$cg" run --bench adir --out "$tmp/cg_t.json"

echo "--- callgrind_gate.py run (stand-in benchmark under valgrind)"
fake=$tmp/fake_bench
have_fake=no
if command -v g++ > /dev/null && [ -f /usr/include/benchmark/benchmark.h ] &&
        g++ -std=c++17 -O2 -o "$fake" "$fx/fake_bench.cc" -lbenchmark -lpthread 2> "$tmp/fake.log"; then
    have_fake=yes
fi
if [ $have_fake = yes ] && command -v valgrind > /dev/null; then
    expect "run counts every CPU benchmark, skips the CUDA one" 0 \
        "callgrind-gate run: 3 counted, 0 failed -> $tmp/cg1.json" C run --bench "$fake" --out "$tmp/cg1.json"
    grep_last "  manual-time benchmark not run under valgrind" '^skip  glru/cuda\.chunked/.*/iterations:16/manual_time'
    # run_then_compare OUT [RUN ARGS...]: a second `run`, compared with the first one's counts
    run_then_compare() {
        local out=$1; shift
        "$py" "$cg" run --bench "$fake" --out "$out" "$@" > /dev/null && "$py" "$cg" compare "$tmp/cg1.json" "$out"
    }
    expect "a rerun is within +2 % (deterministic)" 0 "callgrind-gate: 3 passed, 0 failed" \
        run_then_compare "$tmp/cg2.json"
    expect "more work in one benchmark fails compare" 1 "callgrind-gate: 2 passed, 1 failed" \
        run_then_compare "$tmp/cg3.json" --bench-arg=--lrb-work-scale=120
    grep_last "  it is scan, by the work's +20 % (the loop method counts only the timed loop)" \
        '^\| scan/ref\.seq/.*\| \+(19\.[5-9]|20\.[0-4])[0-9] % \| REGRESSION \|$'
    expect "--method total counts more than the loop (start-up included)" 1 "callgrind-gate: 0 passed, 3 failed" \
        run_then_compare "$tmp/cg6.json" --method total
    expect "a benchmark with error_occurred gets no count" 1 \
        "callgrind-gate run: 1 counted, 1 failed -> $tmp/cg4.json" \
        C run --bench "$fake" --filter '^(lru|wkv4)/' --out "$tmp/cg4.json" --bench-arg=--lrb-fail=wkv4
    expect "a filter matching nothing fails" 1 "callgrind-gate run: no benchmark matches --filter 'nomatch'" \
        C run --bench "$fake" --filter nomatch --out "$tmp/cg5.json"
    expect_err "a filter the benchmark cannot compile is a usage error" 2 \
        "callgrind-gate: error: --filter '[': not a valid regex: *" C run --bench "$fake" --filter '[' --out "$tmp/cg5.json"
    expect "a relative --bench without a slash is that file" 1 \
        "callgrind-gate run: no benchmark matches --filter 'nomatch'" \
        in_dir "$tmp" "$py" "$cg" run --bench fake_bench --filter nomatch --out cg5.json
else
    skip "callgrind_gate.py run (needs g++, libbenchmark-dev and valgrind)"
fi

echo "--- perf_ab.sh end to end (throw-away repository, stand-in lrb_bench)"
if [ $have_fake = yes ] && command -v cmake > /dev/null && command -v ninja > /dev/null && command -v git > /dev/null; then
    repo=$tmp/abrepo
    mkdir -p "$repo/ci" "$repo/bench"
    cp "$top/ci/perf_ab.sh" "$top/ci/perf_gate.py" "$top/ci/gate_cli.py" "$repo/ci/"
    cp "$fx/fake_bench.cc" "$repo/bench/lrb_bench.cc"
    cat > "$repo/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.25)
project(abtest CXX)
find_package(benchmark REQUIRED)
add_executable(lrb_bench bench/lrb_bench.cc)
target_link_libraries(lrb_bench PRIVATE benchmark::benchmark)
EOF
    cat > "$repo/CMakePresets.json" <<'EOF'
{"version": 6,
 "configurePresets": [{"name": "release", "generator": "Ninja", "binaryDir": "${sourceDir}/build/release",
                       "cacheVariables": {"CMAKE_BUILD_TYPE": "Release"}}],
 "buildPresets": [{"name": "release", "configurePreset": "release"}]}
EOF
    printf 'build/\n' > "$repo/.gitignore"
    g() { git -C "$repo" -c user.name=t -c user.email=t@t -c commit.gpgsign=false "$@"; }
    g init -q && g add -A && g commit -qm base
    # the contender does twice the scan work: a regression no VM noise can hide
    sed -i 's/static long work_scale = 100;/static long work_scale = 200;/' "$repo/bench/lrb_bench.cc"
    g commit -qam slower
    # argument errors come before anything is checked out or built
    expect_err "perf_ab.sh: a bad gate option fails up front" 2 \
        "perf_gate.py: argument --threshold: not a finite number: 'nan'" \
        bash "$repo/ci/perf_ab.sh" HEAD~1 HEAD --threshold nan
    expect_err "perf_ab.sh: reps × rounds below --min-reps fails up front" 2 \
        "perf-ab: 4 reps × 2 rounds = 8 per side, below --min-reps 9: *" \
        bash "$repo/ci/perf_ab.sh" HEAD~1 HEAD --reps 4
    expect_err "perf_ab.sh: ... against the --min-reps given" 2 "perf-ab: 3 reps × 2 rounds = 6 per side, below --min-reps 7: *" \
        bash "$repo/ci/perf_ab.sh" HEAD~1 HEAD --reps 3 --min-reps=7
    expect_err "perf_ab.sh: an unknown option is one line" 2 "perf-ab: unknown argument '--bogus' (usage: *" \
        bash "$repo/ci/perf_ab.sh" HEAD~1 HEAD --bogus
    if [ ! -e "$repo/build/ab" ]; then ok "  nothing was checked out or built"; else bad "  nothing was checked out or built"; fi
    expect "perf_ab.sh: scan twice as slow fails" 1 "perf-gate: 0 passed, 1 failed" \
        bash "$repo/ci/perf_ab.sh" HEAD~1 HEAD --filter '^scan/' --reps 5 --rounds 2
    grep_last "  10 vs 10 repetitions were compared" '^\| scan/ref\.seq/.*\| REGRESSION \|$'
    n_wt=$(g worktree list | wc -l)
    res_dir=$repo/build/ab/results/$(g rev-parse --short=12 HEAD~1)_$(g rev-parse --short=12 HEAD)
    if [ "$n_wt" -eq 3 ] && [ -f "$res_dir/gate.md" ]; then
        ok "  two worktrees under build/ab, gate.md written"
    else
        bad "  two worktrees under build/ab, gate.md written ($n_wt worktrees)"
    fi
    expect "perf_ab.sh: unknown revision is a usage error" 2 "" bash "$repo/ci/perf_ab.sh" nosuchrev HEAD
else
    skip "perf_ab.sh end to end (needs g++, libbenchmark-dev, cmake, ninja, git)"
fi

[ "$skipped" -eq 0 ] || echo "perf gate tests: $skipped skipped"
echo "perf gate tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
