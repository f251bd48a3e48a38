#!/usr/bin/env bash
# Smoke test of reports/render.py on the synthetic fixture in tests/fixtures/reports/ (gen_fixtures.py
# documents the numbers). Checks that every output exists, that summary.md holds the expected tables and
# values worked out by hand from the fixture (crossover L*, speed-ups, medians, cv, roofline fraction),
# that summary.csv has the statistics of the repetitions, that the plots are real non-empty PNG/SVG files
# whose titles carry slope and crossover, that two runs give identical files, that the edge inputs
# (aggregates only, ns unit, /repeats:N, no label, single L, truncated JSON, some malformed rows) still render,
# and that bad input is refused with exit 2 and one line on stderr, before --out is made.
# usage: render_smoke.sh OUT_DIR
set -u
out=${1:?usage: render_smoke.sh OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
fx=$here/fixtures/reports
py=/usr/bin/python3
render=$root/reports/render.py
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

if ! $py -c 'import numpy, matplotlib' 2>/dev/null; then
    echo "render smoke: SKIP (no numpy/matplotlib for $py)"; exit 77
fi
rm -rf "$out"; mkdir -p "$out"
main=$out/main
args=(--bench "$fx/bench.json" --bench "$fx/torch_peer.json" --conformance "$fx/conformance.jsonl"
      --complexity "$fx/complexity.jsonl" --complexity "$fx/complexity_slru.txt" --context "$fx/context.json"
      --title "render smoke")
if $py "$render" "${args[@]}" --out "$main" > "$out/main.log" 2>&1; then ok; else bad "render.py exited non-zero"; cat "$out/main.log"; fi
md=$main/summary.md

has() { # FILE STRING... : every string occurs as a fixed string
    local f=$1; shift
    for s in "$@"; do
        if grep -qF -- "$s" "$f" 2>/dev/null; then ok; else bad "$(basename "$f"): missing '$s'"; fi
    done
}

# --- files
for f in summary.md summary.csv; do [ -s "$main/$f" ] && ok || bad "missing $f"; done
for g in scan_B1_D256 scan_B8_D256 lru_B1_D64 linear_B1_D64; do
    for k in latency roofline tokens; do
        png=$main/${g}_$k.png; svg=$main/${g}_$k.svg
        if [ "$(stat -c %s "$png" 2>/dev/null || echo 0)" -gt 10000 ] &&
           [ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; then ok; else bad "$png: missing, small or not a PNG"; fi
        grep -q '<svg' "$svg" 2>/dev/null && ok || bad "$svg: missing or not SVG"
        has "$md" "](${g}_$k.png)"
    done
done
# every image linked from summary.md exists
for f in $(grep -o '](\([^)]*\.\(png\|svg\)\))' "$md" | sed 's/^](//; s/)$//'); do
    [ -s "$main/$f" ] && ok || bad "summary.md links missing file $f"
done

# --- machine context
has "$md" "## Machine context" "| CPU model | AMD EPYC 9R45 (fixture) |" "| ISA in use | scalar |" \
    "| threads | 1 |" "| C flags | -std=c11 -O3 -ffp-contract=off |" "| FTZ/DAZ | off |" \
    "| GPU | NVIDIA H100 80GB HBM3 |" "| GPU driver | 580.65.06 |" "| GPU SM clock, MHz | 1980 |" \
    "| git commit | 0123456789abcdef0123456789abcdef01234567 |" "| sweep | ci |" \
    "| roofline triad 1T, GB/s | 40.0 |" "| L2 policy | cold (scratch write 2x L2) |" \
    "| roofline/triad/threads:1 | 40.00 | 1 |"

# --- per-family tables (medians chosen by hand in gen_fixtures.py)
has "$md" "### scan — B=1, D=256, B·D=256" "### scan — B=8, D=256, B·D=2048" "### lru — B=1, D=64, B·D=64" \
    "### linear — B=1, D=64, B·D=64" \
    "| L | ref.seq | ref.ul | ref.chunked | torch.seq | torch.ul |"
# median 2560 µs; reps 0.98/1/1.03 x median -> cv = 2.5 %; roofline = 8 B·L·B·D / t / 40 GB/s = 8.2 %
has "$md" "| 4096 | 2560 (2.5 %) [8.2 %] | 1280 (2.5 %) [16 %] | 2000 (2.5 %) [10 %] | 7680 (2.5 %) | 2560 (2.5 %) |"
# single repetition: no cv, n=1
has "$md" "| 1024 | 280.0 (n=1) [4.7 %] |"
# the error row is shown as the error, not timed
has "$md" "error: conformance: rel_l2 3.1e-04 > tol 1.0e-05 on lru.ref.chunked (first call)"
# speed-ups at L=4096, B·D=256: ref.seq/ref.ul = 2560/1280 = 2.00, ref.seq/ref.chunked = 2560/2000 = 1.28,
# ref.seq/torch.seq = 2560/7680 = 0.33, ref.seq/torch.ul = 1.00; vs torch.seq: 7680/2560 = 3.00,
# 7680/1280 = 6.00, 7680/2000 = 3.84
has "$md" "Speed-up vs \`ref.seq\`" "| 4096 | 2.00× | 1.28× | 0.33× | 1.00× |" \
    "Speed-up vs \`torch.seq\`" "| 4096 | 3.00× | 6.00× | 3.84× |"
# crossover: ul first beats seq at L=256 (160/128 = 1.25), chunked at 1024 (640/560 = 1.14) for B·D=256;
# for B·D=2048 ul only at 4096 (20480/20000 = 1.02) and chunked never; torch.ul vs torch.seq at 64
has "$md" "| ref.ul | ref.seq | 256 | 0.50 | 0.80 | 1.25 | 1.60 | 2.00 |" \
    "| ref.chunked | ref.seq | 1024 | 0.33 | 0.67 | 0.94 | 1.14 | 1.28 |" \
    "| torch.ul | torch.seq | 64 | 0.75 | 1.20 | 1.88 | 2.40 | 3.00 |" \
    "| ref.ul | ref.seq | 4096 | 0.50 | 0.80 | 0.91 | 0.98 | 1.02 |" \
    "| ref.chunked | ref.seq | never (L ≤ 4096) |" \
    "| scan | 1 | 256 | 256 | ref.ul | ref.seq | 256 |" "| scan | 8 | 256 | 2048 | ref.ul | ref.seq | 4096 |"
# lru: chunked's crossover ignores the errored L=4096
has "$md" "| ref.chunked | ref.seq | 1024 | 0.60 | 0.79 | 0.98 | 1.03 | – |"
# slopes: seq is exactly O(L) in the fixture
has "$md" "Log-log slope at large L: ref.seq 1.00 (L ≥ 256), ref.ul 0.83 (L ≥ 256)"

# --- complexity and conformance
has "$md" "## Complexity" "### scan (B=1 D=256 complex=0 decay=const chunk=16)" \
    "| 4096 | 256 | 0 | 1 048 576 | 0 | 8 391 680 | 256 |" "### slru (B=1 H=64 U=64 use_bias=1 chunk=16)" \
    "| 160 | 8 448 | 1 331 200 | 1 351 680 | 0 | 116 224 | 64 |" "trainable parameters: 540,672"
has "$md" "## Conformance" "**16 of 18 passed, 2 failed.**" "| lru | lru.ref.chunked | 2 | 1 | 1 | 3.100e-04 | 5.000e-05 |" \
    "### Failing rows" "| lru/init_l1 | lru.ref.chunked | y | 2×1×8 | 3.100e-04 | 5.000e-05 |" \
    "cannot open golden/v1/scan/x/h.npy" "1 unparsable line(s) skipped."

# --- summary.csv: header, row count (60 instances + 2 roofline rows), p10/p90 of the repetitions
csv=$main/summary.csv
[ "$(head -1 "$csv")" = "family,layer,variant,L,B,D,F,BD,reps,stats_from,median_us,p10_us,p90_us,min_us,cv_pct,tokens_per_s,gb_per_s,roofline_frac,mac_per_s,manual_time,error" ] && ok || bad "summary.csv header"
[ "$(($(wc -l < "$csv") - 1))" -eq 62 ] && ok || bad "summary.csv: $(($(wc -l < "$csv") - 1)) rows, expected 62"
# reps 9.8, 10, 10.3: p10 = 9.84, p90 = 10.24, min 9.8; 1.6e6 tokens/s; 3.2768 GB/s; 0.08192 of triad
has "$csv" "scan,scan,ref.seq,16,1,256,,256,3,repetitions,10,9.84,10.24,9.8,2.50825,1.6e+06,3.2768,0.08192,4.096e+08,0," \
    "scan,scan,torch.seq,4096,1,256,,256,3,repetitions,7680," "lru,lru,ref.chunked,4096,1,64,,64,0,,,,,,,,,,,0,conformance:" \
    "linear,linear,ref.direct,16,1,64,,64,1,single,5,,,5,,"

# --- plot titles (SVG keeps text): slopes and crossover
has "$main/scan_B1_D256_latency.svg" "log-log slope at large L: ref.seq 1.00, ref.ul 0.83" \
    "crossover L* (beats same-backend seq): ref.ul 256, ref.chunked 1024, torch.ul 64"
has "$main/scan_B8_D256_latency.svg" "ref.ul 4096, ref.chunked never"

# --- deterministic output
if $py "$render" "${args[@]}" --out "$out/again" > /dev/null 2>&1 && diff -r -q "$main" "$out/again" > /dev/null; then ok
else bad "second run differs"; diff -r -q "$main" "$out/again" | head -5; fi

# --- edge inputs: aggregates only in ns with /repeats:3, no labels/counters, a single-L family, and a
# truncated benchmark file (a crashed run; on its own, as its machine is not bench_edge.json's)
head -c 30000 "$fx/bench.json" > "$out/truncated.json"
if $py "$render" --bench "$fx/bench_edge.json" --out "$out/edge" > "$out/edge.log" 2>&1; then ok
else bad "render.py failed on edge inputs"; cat "$out/edge.log"; fi
if $py "$render" --bench "$out/truncated.json" --out "$out/truncated" > "$out/truncated.log" 2>&1; then ok
else bad "render.py failed on a truncated file"; cat "$out/truncated.log"; fi
has "$out/truncated/summary.md" "truncated JSON"
has "$out/edge/summary.md" "### glru — B=1, D=64, B·D=64" "| 16 | 2.000 (5.0 %) |" "| 64 | 7.000 (5.0 %) |" \
    "### wkv4 — B=1, D=64, B·D=64" "| 1 | 3.500 (n=1) |" "no roofline plot" \
    "No \`ref.seq\` in this group" "| simd.logstep | simd.seq | 64 | 1.25 |"
has "$out/edge/summary.csv" "glru,glru,ref.seq,16,1,64,,64,3,aggregates,2,,,,5,8e+06,"
[ -s "$out/edge/wkv4_B1_D64_latency.png" ] && ok || bad "edge: single-L plot missing"
# some malformed rows among good ones: skipped with one warning, the rest renders
$py - "$fx/bench_edge.json" "$out/malformed_some.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["benchmarks"] += [{"name": 7}, {"name": "glru/ref.seq/L:64/B:1/D:64", "time_unit": ["us"], "real_time": 5}]
json.dump(d, open(sys.argv[2], "w"))
PY
if $py "$render" --bench "$out/malformed_some.json" --out "$out/malformed_some" > /dev/null 2> "$out/malformed.err" &&
   [ "$(wc -l < "$out/malformed.err")" -eq 1 ]; then ok; else bad "some malformed rows: $(cat "$out/malformed.err")"; fi
has "$out/malformed.err" "2 malformed row(s) skipped (row 11: name 7 is not a string, ...)"
has "$out/malformed_some/summary.md" "| 16 | 2.000 (5.0 %) |"

# a median (and mean) aggregate of 0 is no measurement: the cell is empty, not "0.000"
$py - "$fx/bench_edge.json" "$out/zero_median.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for r in d["benchmarks"]:
    if r["name"].startswith("glru/ref.seq/L:16/") and r.get("aggregate_name") in ("median", "mean"):
        r["real_time"] = 0.0
json.dump(d, open(sys.argv[2], "w"))
PY
if $py "$render" --bench "$out/zero_median.json" --out "$out/zero_median" > /dev/null 2>&1; then ok
else bad "render.py failed on a zero median"; fi
has "$out/zero_median/summary.md" "| 16 | – |" "| 64 | 7.000 (5.0 %) |"
! grep -q "| 16 | 0.000" "$out/zero_median/summary.md" && ok || bad "a zero median rendered as a latency"

# usage errors exit non-zero
$py "$render" --out "$out/x" > /dev/null 2>&1 && bad "no --bench accepted" || ok

# bad input: exit 2, one line on stderr naming the file, and no --out directory left behind
refused() { # WHAT FILE ARGS...: render.py ARGS exits 2 with one stderr line that names FILE, and makes no --out
    local what=$1 file=$2 rc n; shift 2
    rm -rf "$out/refused"
    $py "$render" "$@" --out "$out/refused" > /dev/null 2> "$out/refused.err"; rc=$?
    n=$(wc -l < "$out/refused.err")
    if [ $rc -eq 2 ] && [ "$n" -eq 1 ] && grep -qF -- "$file" "$out/refused.err" && [ ! -e "$out/refused" ]; then ok
    else bad "$what: exit $rc, $n stderr line(s)$([ -e "$out/refused" ] && echo ", --out made"):" \
             "$(head -c 300 "$out/refused.err")"; fi
}
printf '' > "$out/empty.json"
echo '{not json' > "$out/notjson.json"
echo '{}' > "$out/obj.json"
echo '{"benchmarks": [null, 1, "x"]}' > "$out/nonrows.json"
echo '{"benchmarks": [{"name": 7}, {"name": "scan/ref.seq/L:16/B:1/D:256", "time_unit": ["us"], "real_time": 5}]}' \
    > "$out/malformed.json"
printf 'not a row\n{"cut off' > "$out/conformance_bad.jsonl"
refused "empty --bench" "$out/empty.json" --bench "$out/empty.json"
refused "--bench not JSON" "$out/notjson.json" --bench "$out/notjson.json"
refused "--bench {}" "$out/obj.json" --bench "$out/obj.json"
refused "--bench rows not objects" "$out/nonrows.json" --bench "$out/nonrows.json"
refused "--bench of malformed rows only" "$out/malformed.json" --bench "$out/malformed.json"
refused "--bench a directory" "$fx" --bench "$fx"
refused "--bench missing" "$out/none.json" --bench "$out/none.json"
refused "--bench of two machines" "$fx/bench_edge.json" --bench "$fx/bench.json" --bench "$fx/bench_edge.json"
refused "--context missing" "$out/none.json" --bench "$fx/bench_edge.json" --context "$out/none.json"
refused "--context not JSON" "$out/notjson.json" --bench "$fx/bench_edge.json" --context "$out/notjson.json"
refused "--conformance unparsable" "$out/conformance_bad.jsonl" --bench "$fx/bench_edge.json" \
    --conformance "$out/conformance_bad.jsonl"

echo "render smoke: $pass passed, $fail failed"
[ $fail -eq 0 ]
