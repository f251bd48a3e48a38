#!/usr/bin/env bash
# The deterministic regression gate in CI: instruction counts of 16 timed iterations of every reference
# variant and of the simd seq variants (one thread; the AVX2 path, since valgrind hides AVX-512) on small instances of the scan and layer families, under callgrind, against the committed
# baseline reports/baselines/callgrind_cpu.json; fails above +2 %. Counts are repeatable on a shared
# machine (unlike times), so this gate can run on every CI job.
# usage: callgrind_ci.sh LRB_BENCH OUT_DIR [--update]   (--update rewrites the baseline from this build)
set -u
bench=$1; out=$2; update=${3:-}
top=$(cd "$(dirname "$0")/.." && pwd)
baseline=$top/reports/baselines/callgrind_cpu.json
filter='^(scan|scan_cplx|scan_data|lru|wkv4|glru|rwkv4_block)/(ref\.[a-z]+|simd_t1\.seq)/L:64/B:1/'
command -v valgrind > /dev/null || { echo "callgrind gate: valgrind not installed: skipped"; exit 77; }
mkdir -p "$out"
/usr/bin/python3 "$top/ci/callgrind_gate.py" run --bench "$bench" --filter "$filter" --jobs 2 \
    --out "$out/callgrind.json" \
    || exit 1
if [ "$update" = --update ]; then
    cp "$out/callgrind.json" "$baseline"; echo "callgrind gate: baseline updated: $baseline"; exit 0
fi
/usr/bin/python3 "$top/ci/callgrind_gate.py" compare "$baseline" "$out/callgrind.json"
