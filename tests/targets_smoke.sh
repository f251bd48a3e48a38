#!/usr/bin/env bash
# Test of reports/cpu_targets.py on a synthetic benchmark JSON whose figures are chosen by hand: a DRAM-sized
# scan instance (ref.seq 10 ms, simd_t1.seq 2 ms at roofline 0.95, simd_t2.seq 1 ms), a wkv4 pair at 9×, a
# scan_chain pair where logstep is 2× (below the 2.5× target), and the lru_wide layer against its two
# projections (1.05×). Checks each row's figure and verdict.
# usage: targets_smoke.sh OUT_DIR
set -u
out=${1:?usage: targets_smoke.sh OUT_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
py=/usr/bin/python3
mkdir -p "$out"
$py - "$out/bench.json" <<'PY'
import json, sys
rows = []
def add(name, t_us, frac=None, nbytes=0.0, macs=0.0):
    r = dict(name=name + "_median", run_name=name, run_type="aggregate", aggregate_name="median",
             real_time=t_us, cpu_time=t_us, time_unit="us", bytes_min=nbytes, macs_total=macs)
    if frac is not None:
        r["roofline_frac"] = frac
    rows.append(r)
big = 1e9  # bytes: DRAM-sized for an L3 of 32 MiB
add("scan/ref.seq/L:4096/B:64/D:256", 10000, 0.3, big)
add("scan/simd_t1.seq/L:4096/B:64/D:256", 2000, 0.95, big)
add("scan/simd_t2.seq/L:4096/B:64/D:256/manual_time", 1000, 0.92, big)
add("wkv4/ref.seq/L:4096/B:1/D:64", 9000, 0.01, 1e6)
add("wkv4/simd_t1.seq/L:4096/B:1/D:64", 1000, 0.1, 1e6)
add("scan_chain/ref.seq/L:65536/B:1/D:1", 400, 0.05, 5e5)
add("scan_chain/simd_t1.logstep/L:65536/B:1/D:1", 200, 0.1, 5e5)
add("lru_wide/simd_t1.seq/L:4096/B:8/D:1024", 1050e3, 0.01, 1e9, 1e11)
add("lru_wide_proj_in/simd_t1.direct/L:4096/B:8/D:1024", 500e3, 0.01, 1e9, 68.7e9)
add("lru_wide_proj_out/simd_t1.direct/L:4096/B:8/D:2048", 500e3, 0.01, 1e9, 68.7e9)
ctx = dict(cpu_model="fixture", isa="avx512", roofline_triad_1t_gbs="40", roofline_triad_2t_gbs="80",
           caches=[dict(type="Unified", level=2, size=1 << 20, num_sharing=1),
                   dict(type="Unified", level=3, size=32 << 20, num_sharing=2)])
json.dump(dict(context=ctx, benchmarks=rows), open(sys.argv[1], "w"))
PY
printf '2048^3                   lrb dense_rows avx512        threads=1    191.0 GFLOP/s\n' > "$out/sgemm.txt"
$py "$root/reports/cpu_targets.py" --bench "$out/bench.json" --sgemm "$out/sgemm.txt" --out "$out/targets.md" \
    || { echo "targets smoke: cpu_targets.py failed"; exit 1; }
pass=0; fail=0
want() { # ROW_PREFIX SUBSTRING
    local line
    line=$(grep -F -- "| $1" "$out/targets.md" | head -n1)
    if [ -n "$line" ] && grep -qF -- "$2" <<< "$line"; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL: row '$1' should contain '$2': ${line:-<missing>}"; fi
}
want "C1 scan seq, DRAM-sized, 1 thread " "median 0.95, min 0.95 (n=1) "
want "C1 scan seq, DRAM-sized, 1 thread " "| met |"
want "C1 scan seq, DRAM-sized, 2 threads" "median 0.92"
want "C2 simd.seq ÷ ref.seq, DRAM-sized" "median 5.00"
want "C2 simd.seq ÷ ref.seq, DRAM-sized" "| met |"
want "C2 simd.seq ÷ ref.seq, L2-resident" "not measured"
want "wkv4 simd.seq ÷ ref.seq" "median 9.00"
want "C4 2 threads ÷ 1 thread" "median 2.00"
want "C4 2 threads ÷ 1 thread" "triad scaled 2.00×"
want "C3 logstep ÷ ref.seq, scan_chain" "median 2.00"
want "C3 logstep ÷ ref.seq, scan_chain" "not met"
want "C5 lru_wide layer ÷ its projections, 1 thread" "1.050 (1050.0 ms vs 1000.0 ms"
want "C5 lru_wide layer ÷ its projections, 1 thread" "| met |"
want "C5 sgemm 2048³" "191.0 GFLOP/s"
echo "targets smoke: $pass passed, $fail failed"
[ $fail -eq 0 ]
