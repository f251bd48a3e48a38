#!/usr/bin/env bash
# Test of reports/cpu_targets.py on a synthetic benchmark JSON whose figures are chosen by hand: a DRAM-sized
# scan instance (ref.seq 10 ms, simd_t1.seq 2 ms at roofline 0.95, simd_t2.seq 1 ms), a wkv4 pair at 9×, a
# scan_chain pair where logstep is 2× (below the 2.5× target), and the lru_wide layer against its two
# projections (1.05×), some of them in ns and ms (read as µs). Checks each row's figure and verdict; that
# reports/gpu_targets.py reads time_unit too; and that both refuse bad input with exit 2 and one line on stderr.
# usage: targets_smoke.sh OUT_DIR
set -u
out=${1:?usage: targets_smoke.sh OUT_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
py=/usr/bin/python3
mkdir -p "$out"
$py - "$out/bench.json" <<'PY'
import json, sys
rows = []
def add(name, t_us, frac=None, nbytes=0.0, macs=0.0, unit="us"):
    t = t_us * {"ns": 1e3, "us": 1, "ms": 1e-3}[unit]
    r = dict(name=name + "_median", run_name=name, run_type="aggregate", aggregate_name="median",
             real_time=t, cpu_time=t, time_unit=unit, bytes_min=nbytes, macs_total=macs)
    if frac is not None:
        r["roofline_frac"] = frac
    rows.append(r)
big = 1e9  # bytes: DRAM-sized for an L3 of 32 MiB
add("scan/ref.seq/L:4096/B:64/D:256", 10000, 0.3, big)
add("scan/simd_t1.seq/L:4096/B:64/D:256", 2000, 0.95, big)
add("scan/simd_t2.seq/L:4096/B:64/D:256/manual_time", 1000, 0.92, big)
add("wkv4/ref.seq/L:4096/B:1/D:64", 9000, 0.01, 1e6, unit="ns")
add("wkv4/simd_t1.seq/L:4096/B:1/D:64", 1000, 0.1, 1e6)
add("scan_chain/ref.seq/L:65536/B:1/D:1", 400, 0.05, 5e5)
add("scan_chain/simd_t1.logstep/L:65536/B:1/D:1", 200, 0.1, 5e5)
add("lru_wide/simd_t1.seq/L:4096/B:8/D:1024", 1050e3, 0.01, 1e9, 1e11, unit="ms")
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
table=$out/targets.md
want() { # ROW_PREFIX SUBSTRING
    local line
    line=$(grep -F -- "| $1" "$table" | head -n1)
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

# gpu_targets.py: a cuda median of 5000 ns is 5 µs (within the 10 µs of the latency target)
$py - "$out/gpu.json" <<'PY'
import json, sys
name = "scan/cuda.chunked/L:16/B:1/D:256/manual_time"
r = dict(name=name + "_median", run_name=name, run_type="aggregate", aggregate_name="median", real_time=5000,
         time_unit="ns", bytes_min=35840.0, roofline_frac=0.5)
json.dump(dict(context=dict(gpu="fixture"), benchmarks=[r]), open(sys.argv[1], "w"))
PY
$py "$root/reports/gpu_targets.py" --bench "$out/gpu.json" --out "$out/gpu_targets.md" \
    || { echo "targets smoke: gpu_targets.py failed"; exit 1; }
table=$out/gpu_targets.md
want "scan.cuda.chunked latency" "median 5.00 µs"
want "scan.cuda.chunked latency" "| met |"

# bad input: exit 2 and one line on stderr that names the file
refused() { # WHAT FILE SCRIPT ARGS...
    local what=$1 file=$2 script=$3 rc n; shift 3
    $py "$root/reports/$script" "$@" > /dev/null 2> "$out/refused.err"; rc=$?
    n=$(wc -l < "$out/refused.err")
    if [ $rc -eq 2 ] && [ "$n" -eq 1 ] && grep -qF -- "$file" "$out/refused.err"; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL: $script, $what: exit $rc, $n stderr line(s): $(head -c 300 "$out/refused.err")"
    fi
}
$py - "$out/bench.json" "$out" <<'PY'
import copy, json, sys
d = json.load(open(sys.argv[1]))
def bad(name, change):
    e = copy.deepcopy(d)
    change(e, e["benchmarks"][0])
    json.dump(e, open(f"{sys.argv[2]}/{name}.json", "w"))
bad("norows", lambda e, r: e.update(benchmarks=[]))
bad("nullrow", lambda e, r: e["benchmarks"].append(None))
bad("time0", lambda e, r: r.update(real_time=0))
bad("nan", lambda e, r: r.update(real_time=float("nan")))
bad("unitlist", lambda e, r: r.update(time_unit=["us"]))
bad("noL", lambda e, r: r.update(run_name="scan/ref.seq/B:64/D:256"))
bad("cache1M", lambda e, r: e["context"]["caches"][0].update(size="1M"))
bad("norunname", lambda e, r: r.pop("run_name"))
PY
printf '' > "$out/empty.json"
echo '{}' > "$out/obj.json"
for t in cpu_targets.py gpu_targets.py; do
    refused "empty file" "$out/empty.json" $t --bench "$out/empty.json"
    refused "{}" "$out/obj.json" $t --bench "$out/obj.json"
    refused "a directory" "$out" $t --bench "$out"
    refused "missing file" "$out/none.json" $t --bench "$out/none.json"
    refused "no benchmark rows" "$out/norows.json" $t --bench "$out/norows.json"
    refused "a null row" "$out/nullrow.json" $t --bench "$out/nullrow.json"
    refused "--out a directory" "$out" $t --bench "$out/bench.json" --out "$out"
done
for f in time0 nan unitlist noL norunname cache1M; do
    refused "$f" "$out/$f.json" cpu_targets.py --bench "$out/$f.json"
done
refused "--sgemm a directory" "$out" cpu_targets.py --bench "$out/bench.json" --sgemm "$out"
$py - "$out/gpu.json" "$out" <<'PY'
import copy, json, sys
d = json.load(open(sys.argv[1]))
for name, change in (("gpu_time0", dict(real_time=0)), ("gpu_bytes", dict(bytes_min="big")),
                     ("gpu_noL", dict(run_name="scan/cuda.chunked/B:1/D:256")),
                     ("gpu_Labc", dict(run_name="scan/cuda.chunked/L:abc/B:1/D:256"))):
    e = copy.deepcopy(d)
    e["benchmarks"][0].update(change)
    json.dump(e, open(f"{sys.argv[2]}/{name}.json", "w"))
PY
for f in gpu_time0 gpu_Labc gpu_noL gpu_bytes; do
    refused "$f" "$out/$f.json" gpu_targets.py --bench "$out/$f.json"
done
echo "targets smoke: $pass passed, $fail failed"
[ $fail -eq 0 ]
