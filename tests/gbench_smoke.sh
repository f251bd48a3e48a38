#!/usr/bin/env bash
# gbench_smoke.sh — checks the C shim over Google Benchmark (bench/gbench_c.{h,cc}) end to end.
#
# Usage: tests/gbench_smoke.sh PATH/TO/gbench_smoke
#
# Runs bench/gbench_smoke.c's binary once with JSON output and checks, with /usr/bin/python3 (Debian's
# interpreter; json module only), that every shim function reached the library: names with L/B/D,
# /manual_time and /iterations:N, counters with each flag kind (values the smoke program makes exactly
# predictable), items/bytes rates, label, skip-with-error, context keys, the _min aggregate, fixed and
# batched iteration counts, that pause/resume excludes time, and that the console shows rates with "/s"
# but GB_COUNTER_UNITLESS ones without. Then checks that an unknown flag is
# rejected while --lrb-* flags are ignored. Prints "gbench smoke: N passed, M failed".
set -u

bin=${1:?usage: gbench_smoke.sh PATH/TO/gbench_smoke}
py=/usr/bin/python3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

passed=0
failed=0
check() { # check DESCRIPTION COMMAND...: runs COMMAND, counts and prints the outcome
  local what=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
    echo "PASS: $what"
  else
    failed=$((failed + 1))
    echo "FAIL: $what"
  fi
}

# --- 1. The main run -------------------------------------------------------------------------------
timeout 300 "$bin" --lrb-ignored=1 --benchmark_min_time=0.01 --benchmark_repetitions=2 \
  --benchmark_out="$TMP/out.json" --benchmark_out_format=json >"$TMP/stdout" 2>"$TMP/stderr"
rc=$?
check "smoke run exits 0 (got $rc)" test "$rc" -eq 0
check "gb_run reports 7 benchmarks run" grep -q 'gbench_smoke: 7 benchmarks run' "$TMP/stderr"
check "JSON output written" test -s "$TMP/out.json"
if [ "$rc" -ne 0 ]; then
  echo "--- stderr of the smoke run:"
  cat "$TMP/stderr"
fi

# --- 2. The JSON checks; the script prints one PASS:/FAIL: line per check --------------------------
"$py" - "$TMP/out.json" >"$TMP/checks" 2>&1 <<'EOF'
import json
import re
import sys

results = []


def check(what, ok):
    results.append((what, bool(ok)))


def close(a, b, rel=1e-6):
    return abs(a - b) <= rel * max(abs(a), abs(b))


def seconds(row):
    """real_time and cpu_time of a row, converted to seconds."""
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[row["time_unit"]]
    return row["real_time"] * scale, row["cpu_time"] * scale


try:
    with open(sys.argv[1]) as f:
        doc = json.load(f)  # the json module accepts the bare NaN that _cv rows can hold
    rows = doc["benchmarks"]
    ctx = doc["context"]

    def reps(name):
        return [r for r in rows if r["name"] == name and r["run_type"] == "iteration"]

    def aggregate(run_name, agg):
        return [r for r in rows if r.get("run_name") == run_name and r.get("aggregate_name") == agg]

    # Context: gb_add_context, and what gb_init did to argc/argv.
    check("context lrb_smoke == yes (gb_add_context)", ctx.get("lrb_smoke") == "yes")
    check("context lrb_flags_seen == 1 (--lrb- flag readable before gb_init)",
          ctx.get("lrb_flags_seen") == "1")
    check("context argc_after_init == 1 (lrb and benchmark flags removed)",
          ctx.get("argc_after_init") == "1")
    check("context argv_terminated == yes (argv[argc] == NULL)", ctx.get("argv_terminated") == "yes")

    # The CPU benchmark: args/names, counters with each flag kind, items/bytes, label, min statistic.
    for l, b, d in [(64, 2, 32), (256, 1, 16)]:
        name = f"smoke_cpu/ref.seq/L:{l}/B:{b}/D:{d}"
        rs = reps(name)
        check(f"{name}: 2 repetition rows", len(rs) == 2)
        m = re.search(r"/L:(\d+)/B:(\d+)/D:(\d+)", name)
        for r in rs:
            tag = f"{name} rep {r.get('repetition_index')}"
            it = r["iterations"]
            _, cpu_s = seconds(r)
            total_s = cpu_s * it  # rate counters divide by total CPU time (no manual/real time here)
            check(f"{tag}: time_unit us (gb_unit)", r["time_unit"] == "us")
            check(f"{tag}: label", r.get("label") == "layer=smoke variant=smoke.ref.seq")
            check(f"{tag}: tokens == B*L (gb_range order)",
                  r.get("tokens") == int(m.group(1)) * int(m.group(2)))
            check(f"{tag}: c_default == 42", r.get("c_default") == 42)
            check(f"{tag}: c_avg_threads == 7", r.get("c_avg_threads") == 7)
            check(f"{tag}: c_avg_iterations == 5", close(r.get("c_avg_iterations", 0), 5))
            check(f"{tag}: c_invert == 0.25", r.get("c_invert") == 0.25)
            check(f"{tag}: c_invariant == 3 * iterations", r.get("c_invariant") == 3 * it)
            check(f"{tag}: c_rate == 1000 / time", close(r.get("c_rate", 0), 1000 / total_s))
            check(f"{tag}: c_unitless_rate == 1000 / time (a rate in JSON like any other)",
                  close(r.get("c_unitless_rate", 0), 1000 / total_s))
            check(f"{tag}: c_invariant_rate == 2 * iterations / time",
                  close(r.get("c_invariant_rate", 0), 2 * it / total_s))
            check(f"{tag}: items_per_second == iterations*B*L / time",
                  close(r.get("items_per_second", 0), it * b * l / total_s))
            check(f"{tag}: bytes_per_second == iterations*2*L*B*D*4 / time",
                  close(r.get("bytes_per_second", 0), it * 2 * l * b * d * 4 / total_s))
        mins = aggregate(name, "min")
        check(f"{name}: one _min aggregate (gb_add_min_statistic)",
              len(mins) == 1 and mins[0]["name"] == name + "_min")
        if mins and rs:
            check(f"{name}_min: real_time == min over repetitions",
                  close(mins[0]["real_time"], min(r["real_time"] for r in rs), 1e-9))
        check(f"{name}: mean aggregate still present", len(aggregate(name, "mean")) == 1)

    # Batched loop.
    rs = reps("smoke_batch")
    check("smoke_batch: 2 repetition rows", len(rs) == 2)
    for r in rs:
        check("smoke_batch: iterations multiple of 8", r["iterations"] % 8 == 0)
        check("smoke_batch: gb_iterations % 8 == 0 in the body", r.get("batch_mod") == 0)
        check("smoke_batch: body ran exactly gb_iterations", r.get("body_minus_iters") == 0)
        check("smoke_batch: time_unit ns", r["time_unit"] == "ns")

    # Manual time: the name gains /manual_time and rates divide by the manual time.
    name = "smoke_manual/L:128/B:4/D:8/manual_time"
    rs = reps(name)
    check(f"{name}: 2 repetition rows", len(rs) == 2)
    for r in rs:
        real_s, _ = seconds(r)
        check(f"{name}: time_unit ms", r["time_unit"] == "ms")
        check(f"{name}: items_per_second == B*L / manual time",
              close(r.get("items_per_second", 0), 4 * 128 / real_s))

    # Fixed iterations.
    name = "smoke_fixed/iterations:37"
    rs = reps(name)
    check(f"{name}: 2 repetition rows", len(rs) == 2)
    for r in rs:
        check(f"{name}: iterations == 37", r["iterations"] == 37)
        check(f"{name}: body ran 37 times", r.get("body_iters") == 37)
        check(f"{name}: time_unit s", r["time_unit"] == "s")

    # Pause/resume: 20 us of CPU time timed + 200 us paused per iteration; a broken pause would report
    # cpu_time >= 220 us. CPU time, not real time: preemption on a loaded machine stretches the latter.
    rs = reps("smoke_pause")
    check("smoke_pause: 2 repetition rows", len(rs) == 2)
    for r in rs:
        check(f"smoke_pause: 19 us <= cpu_time ({r['cpu_time']:.1f} us) < 120 us",
              r["time_unit"] == "us" and 19 <= r["cpu_time"] < 120)

    # Skip with error.
    rs = reps("smoke_skip")
    check("smoke_skip: 2 repetition rows", len(rs) == 2)
    for r in rs:
        check("smoke_skip: error_occurred", r.get("error_occurred") is True)
        check("smoke_skip: error_message", r.get("error_message") == "conformance: smoke skip")
    check("no other row has error_occurred",
          not any(r.get("error_occurred") for r in rows if r["name"] != "smoke_skip"))
except Exception as e:  # a missing file, bad JSON or missing key is one failure, not a crash
    check(f"JSON checks ran to completion ({type(e).__name__}: {e})", False)

for what, ok in results:
    print(("PASS: " if ok else "FAIL: ") + what)
EOF
py_rc=$?
cat "$TMP/checks"
passed=$((passed + $(grep -c '^PASS: ' "$TMP/checks")))
failed=$((failed + $(grep -c '^FAIL: ' "$TMP/checks")))
check "python checker exits 0 (got $py_rc)" test "$py_rc" -eq 0

# --- 3. The console: rates end in /s, GB_COUNTER_UNITLESS ones do not ----------------------------------
cpu_rows=$(grep -E '^smoke_cpu/ref\.seq/L:[0-9]+/B:[0-9]+/D:[0-9]+ ' "$TMP/stdout")
check "console: smoke_cpu rows printed" test -n "$cpu_rows"
check "console: c_rate ends in /s on every smoke_cpu row" \
  bash -c '! grep -qvE "c_rate=[0-9.]+[a-zA-Z]?/s" <<<"$1"' _ "$cpu_rows"
check "console: c_unitless_rate without /s on every smoke_cpu row" \
  bash -c '! grep -qvE "c_unitless_rate=[0-9.]+[a-zA-Z]? " <<<"$1"' _ "$cpu_rows"

# --- 4. Flags: unknown ones fail, --lrb-* ones are ignored -----------------------------------------
timeout 60 "$bin" --lrb-ignored=1 --bogus --benchmark_filter=smoke_fixed >"$TMP/bogus.out" 2>&1
rc=$?
check "--bogus makes the binary exit non-zero (got $rc)" test "$rc" -ne 0
check "--bogus is reported as unrecognized" grep -q 'unrecognized command-line flag: --bogus' "$TMP/bogus.out"
check "--lrb-ignored=1 is not reported" bash -c "! grep -q -- '--lrb-ignored' '$TMP/bogus.out'"

timeout 60 "$bin" --lrb-a --lrb-b=2 --benchmark_filter=smoke_fixed >"$TMP/lrb.out" 2>&1
rc=$?
check "only --lrb-* flags besides benchmark ones: exit 0 (got $rc)" test "$rc" -eq 0

echo "gbench smoke: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
