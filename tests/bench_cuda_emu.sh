#!/usr/bin/env bash
# The GPU benchmark path on the CPU emulation of CUDA (lrb_bench_cuda_emu: lrb_bench with the cuda backend on
# tests/cuda_emu): a few small cuda instances of scan, scan_data, glru, glru_untied and wkv4, then
# reports/gpu_targets.py on the JSON. Checks that the cuda rows were timed by the device hook (manual time,
# label timed=gpu_stages), that their bytes are the timed stages' (for glru its two projections and the gated
# scan, not the layer's bytes_min),
# that the GPU copy roofline is in the context and every row has its fraction, that --lrb-sweep=gpu registers
# the 2^30-element instance of the cuda-only families and no larger instance elsewhere, and that the targets
# table has its rows. The emulation's times say nothing about a GPU; only the plumbing is tested.
# usage: bench_cuda_emu.sh LRB_BENCH_CUDA_EMU TMP_DIR
set -u
bench=$1; tmp=$2
root=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$tmp"; mkdir -p "$tmp"
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

# the golden gate is skipped: cuda.emulation runs every cuda variant on the golden set already, and the gate
# on the emulation costs minutes; the first-call check against simd/ref still runs on every instance
filter='^(scan|scan_data)/cuda\.(seq|chunked)/L:(16|1000)/B:1/|^(glru|glru_untied|wkv4)/cuda\.(seq|chunked)/L:16/B:1/'
if "$bench" --lrb-no-golden-gate --benchmark_filter="$filter" --benchmark_min_time=0.01 --benchmark_repetitions=2 \
        --benchmark_out="$tmp/bench.json" --benchmark_out_format=json > "$tmp/bench.log" 2>&1; then ok; else
    bad "lrb_bench_cuda_emu exited non-zero"; tail -n 20 "$tmp/bench.log"; fi
/usr/bin/python3 - "$tmp/bench.json" <<'PY' && ok || bad "bench JSON content"
import json, sys
d = json.load(open(sys.argv[1]))
ctx = d["context"]
assert "emulation" in ctx.get("gpu", ""), ctx.get("gpu")
assert float(ctx["roofline_gpu_copy_gbs"]) > 0, ctx
rows = [b for b in d["benchmarks"] if b["run_type"] == "iteration"]
names = {b["run_name"] for b in rows}
want = {f"{f}/cuda.{a}/L:{L}/B:1/D:{D}/manual_time" for f, D, Ls in (("scan", 256, (16, 1000)), ("scan_data", 256, (16, 1000)),
        ("glru", 64, (16,)), ("glru_untied", 64, (16,)), ("wkv4", 64, (16,))) for a in ("seq", "chunked") for L in Ls}
assert want <= names, f"missing {sorted(want - names)}"
for b in rows:
    assert not b.get("error_occurred"), f"{b['name']}: {b.get('error_message')}"
    assert "timed=gpu_stages" in b["label"], b["label"]
    assert b["roofline_frac"] > 0 and b["bytes_per_second"] > 0, b
# the stage bytes (parameters, inputs, outputs, the state twice; floats of 4 bytes), at L = 16
def dense(rows, i, o):                                   # x, W, bias, y
    return rows * i + i * o + o + rows * o
stage = {"scan": 256 + 16 * 256 * 2 + 2 * 256,           # ν; b, h; h0, h_last
         "scan_data": 16 * 256 * 3 + 2 * 256,            # b, a, h; states
         # glru (d_in = d_h = d_model = 64): the input projection to z, the gated scan (z (input, i, (f,) o)
         # read, y written, states), the output projection
         "glru": dense(16, 64, 192) + 16 * 64 * (3 + 1) + 2 * 64 + dense(16, 64, 64),
         "glru_untied": dense(16, 64, 256) + 16 * 64 * (4 + 1) + 2 * 64 + dense(16, 64, 64),
         "wkv4": 2 * 64 + 16 * 64 * 3 + 6 * 64}          # w, u; k, v, wkv; (aa, bb, pp) twice
for b in rows:
    fam = b["run_name"].split("/")[0]
    if "/L:16/" in b["run_name"]:
        assert b["bytes_min"] == 4 * stage[fam], (b["run_name"], b["bytes_min"], 4 * stage[fam])
PY
/usr/bin/python3 "$root/reports/gpu_targets.py" --bench "$tmp/bench.json" --out "$tmp/targets.md" \
    && ok || bad "gpu_targets.py failed"
/usr/bin/python3 - "$tmp/targets.md" <<'PY' && ok || bad "targets table content"
import sys
t = open(sys.argv[1]).read()
assert "emulation" in t.split("\n")[2], t.split("\n")[2]
rows = {l.split(" | ")[0].strip("| "): l for l in t.splitlines() if l.startswith("| ")}
lat = rows["scan.cuda.chunked latency, ≤ 1 M elements"]
assert "median" in lat and "(n=4)" in lat, lat  # scan and scan_data at L = 16 and 1000
assert "not measured" in rows["scan.cuda.chunked, real scans, working set ≥ 256 MB"]
xo = [l for l in t.splitlines() if l.startswith("| scan, B·D = 256, chunked vs seq")]
assert len(xo) == 1 and "L=16:" in xo[0] and "L=1000:" in xo[0], xo
PY
# the gpu sweep: the cuda-only families up to 2^30 elements, the others at the full sweep's 2^26
"$bench" --lrb-sweep=gpu --lrb-no-golden-gate --benchmark_list_tests > "$tmp/list.txt" 2> "$tmp/list.log"
if grep -q '^gpu_scan_bd/cuda.chunked/L:4096/B:1024/D:256/' "$tmp/list.txt" \
        && grep -q '^scan_data/cuda.chunked/L:256/B:512/D:256/' "$tmp/list.txt" \
        && ! grep -q '^scan_data/cuda.chunked/L:1000/B:512/D:256/' "$tmp/list.txt"; then ok; else
    bad "--lrb-sweep=gpu instances"; fi
echo "bench cuda emulation: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
