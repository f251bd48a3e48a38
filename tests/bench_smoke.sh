#!/usr/bin/env bash
# Smoke run of lrb_bench: a few instances with a short minimum time, then the profile mode.
# Checks that the JSON has the instances with lrb's counters and no error, that roofline rows exist, that
# a flag lrb does not know, a malformed value or a filter that does not compile or selects nothing is refused,
# and that the profile mode runs exactly the selected cases.
# usage: bench_smoke.sh LRB_BENCH TMP_DIR
set -u
bench=$1; tmp=$2
rm -rf "$tmp"; mkdir -p "$tmp"
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

filter='^(roofline/triad/threads:1|scan/ref\.(seq|ul)/L:64/B:1/|lru/ref\.(seq|chunked)/L:16/|seed_slru/ref\.seq/)'
if "$bench" --benchmark_filter="$filter" --benchmark_min_time=0.01 --benchmark_repetitions=2 \
        --benchmark_out="$tmp/bench.json" --benchmark_out_format=json > "$tmp/bench.log" 2>&1; then ok; else
    bad "lrb_bench exited non-zero"; tail -n 20 "$tmp/bench.log"; fi
/usr/bin/python3 - "$tmp/bench.json" <<'PY' && ok || bad "bench JSON content"
import json, sys
d = json.load(open(sys.argv[1]))
rows = [b for b in d["benchmarks"] if b["run_type"] == "iteration"]
names = {b["run_name"] for b in rows}
want = ["scan/ref.seq/L:64/B:1/D:256", "scan/ref.ul/L:64/B:1/D:256", "lru/ref.seq/L:16/B:1/D:64",
        "lru/ref.chunked/L:16/B:1/D:64", "seed_slru/ref.seq/L:160/B:1/D:64/F:64", "roofline/triad/threads:1/manual_time"]
missing = [w for w in want if w not in names]
assert not missing, f"missing instances {missing}; have {sorted(names)}"
for b in rows:
    assert not b.get("error_occurred"), f"{b['name']}: {b.get('error_message')}"
    if b["run_name"].startswith("roofline"):
        assert b["bytes_per_second"] > 1e8, b
        continue
    for k in ("roofline_frac", "params", "macs_dense", "macs_total", "mac_per_s", "tokens", "bytes_min",
              "items_per_second", "bytes_per_second"):
        assert k in b, f"{b['name']}: no {k}"
    assert 0 < b["roofline_frac"] < 10, b
    assert b["label"].startswith("layer="), b
seed = [b for b in rows if b["run_name"].startswith("seed_slru")][0]
assert seed["params"] == 540672 and seed["macs_dense"] == 85196800, seed
ctx = d["context"]
for k in ("cpu_model", "isa", "roofline_triad_1t_gbs", "ftz_daz", "sweep", "golden_version"):
    assert k in ctx, f"context lacks {k}"
assert len([b for b in rows if b["run_name"] == "lru/ref.seq/L:16/B:1/D:64"]) == 2, "repetitions"
PY
# the manual-time path (what GPU variants use through their timing hook) with cold caches
"$bench" --lrb-cold-cache --lrb-no-golden-gate --benchmark_filter='^scan/ref\.seq/L:256/B:1/' \
    --benchmark_min_time=0.01 --benchmark_out="$tmp/cold.json" --benchmark_out_format=json > "$tmp/cold.log" 2>&1
/usr/bin/python3 - "$tmp/cold.json" <<'PY' && ok || bad "manual time / cold cache"
import json, sys
d = json.load(open(sys.argv[1]))
rows = [b for b in d["benchmarks"] if b["run_type"] == "iteration" and not b["name"].startswith("roofline")]
assert [b["name"] for b in rows] == ["scan/ref.seq/L:256/B:1/D:256/manual_time"], [b["name"] for b in rows]
assert not rows[0].get("error_occurred") and rows[0]["real_time"] > 0, rows[0]
assert d["context"]["l2_policy"].startswith("cold") and d["context"]["golden_gate"] == "skipped", d["context"]
PY
"$bench" --bogus-flag > /dev/null 2>&1 && bad "an unknown flag was accepted" || ok
"$bench" --lrb-bogus=1 > /dev/null 2>&1 && bad "an unknown lrb flag was accepted" || ok
# malformed values are refused with exit 2 and one line, before anything runs (atoi read "abc" as 0)
for flag in --lrb-warmup=abc --lrb-warmup=-1 --lrb-fixed-iterations=5junk --lrb-fixed-iterations=0 \
            --lrb-threads=2, --lrb-threads=0 --lrb-threads=+2 "--lrb-threads=1, 2" --lrb-warmup=" 3" \
            --lrb-sweep=bogus --lrb-golden=/nonexistent; do
    timeout 120 "$bench" "$flag" --benchmark_filter='^scan/ref\.seq/L:16/B:1/' > /dev/null 2> "$tmp/err"
    rc=$?
    [ $rc -eq 2 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && ok || { bad "$flag: exit $rc, expected 2 and one line:"; cat "$tmp/err"; }
done
# a --benchmark_filter that does not compile as the library reads it (std::regex extended: "\\d" is no escape
# there) is refused before the golden gate and the rooflines, in one line with exit 2 (it was the library's
# "Could not compile" line and exit 0); one that selects nothing is exit 2, not an empty success
for f in 'scan/(' '-lru/[' '^scan/ref\.seq/L:\d+/'; do
    timeout 120 "$bench" --benchmark_filter="$f" > /dev/null 2> "$tmp/err"
    rc=$?
    [ $rc -eq 2 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] \
        && grep -q -F -- "--benchmark_filter=$f: not a valid regular expression" "$tmp/err" && ok \
        || { bad "filter '$f': exit $rc:"; cat "$tmp/err"; }
done
timeout 120 "$bench" --benchmark_filter='^nothing-matches' > /dev/null 2> "$tmp/err"
rc=$?
[ $rc -eq 2 ] && grep -q '^lrb_bench: no benchmark selected' "$tmp/err" && ok || { bad "empty selection: exit $rc"; cat "$tmp/err"; }

# profile mode: exactly the selected instances (L = 64: seq and ul at B·D = 256, 2048, 16384, the
# 131072 one exceeds the ci element cap; wkv4 chunked), one call each inside NVTX ranges
"$bench" --lrb-profile --lrb-filter='^(scan/ref\.(seq|ul)|wkv4/ref\.chunked)/L:64/' --lrb-warmup=2 > "$tmp/profile.log" 2>&1
rc=$?
n=$(grep -c ' profiled: nvtx lrb@' "$tmp/profile.log")
if [ $rc -eq 0 ] && [ "$n" -eq 7 ] && grep -q 'profiled: nvtx lrb@scan.ref.ul/L64.B8.D256' "$tmp/profile.log" \
   && grep -q '^profile: 7 instances selected, 7 profiled, 0 skipped' "$tmp/profile.log"; then ok; else
    bad "profile mode (exit $rc, $n profiled)"; cat "$tmp/profile.log"; fi
"$bench" --lrb-profile --lrb-filter='^nothing-matches' > /dev/null 2>&1; [ $? -eq 2 ] && ok || bad "empty profile selection"
echo "bench smoke: $pass passed, $fail failed"
[ $fail -eq 0 ]
