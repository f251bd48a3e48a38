#!/usr/bin/env bash
# gpu_check_select.sh — lrb_gpu_check's selection flags (--algo, --min-elems, --max-elems), on the CPU
# emulation's build of it (lrb_cuda_emu): each selection runs exactly the rows it names (kernel, algorithm,
# size), the golden set follows --algo, a selection that matches nothing exits 2 instead of passing, and a
# bound that is not a positive integer exits 2 with the reason.
#
# Usage: tests/gpu_check_select.sh PATH/TO/lrb_cuda_emu
set -u
bin=${1:?usage: gpu_check_select.sh PATH/TO/lrb_cuda_emu}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "PASS: $1"; }
bad() { failed=$((failed + 1)); echo "FAIL: $1"; }

# the random-check rows of a run: "<kernel> <algorithm> B=.. L=.. D|C=.." (dense rows name no algorithm)
rows() { grep -E ' (PASS|FAIL)$' "$1" | grep -E '^(scan|glru_scan|wkv4) ' || true; }
# the number of elements B·L·D of a row
elems() { sed -E 's/.* B=([0-9]+) L=([0-9]+) [DC]=([0-9]+).*/\1 \2 \3/' | awk '{print $1 * $2 * $3}'; }

"$bin" --kernels-only --algo chunked --min-elems 4098 --max-elems 24000 > "$tmp/a" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "--algo chunked, 4098..24000 elements: exit 0" || bad "--algo chunked: exit $rc"
n=$(rows "$tmp/a" | wc -l)
[ "$n" -gt 0 ] && ok "it ran $n rows" || bad "it ran no row"
rows "$tmp/a" | grep -qvE '^(scan|glru_scan|wkv4) +chunked ' && bad "a row of another algorithm ran" \
    || ok "every row is a chunked kernel's"
grep -q '^dense ' "$tmp/a" && bad "projection rows with --algo" || ok "no projection row"
out=$(rows "$tmp/a" | elems | awk '$1 < 4098 || $1 > 24000' | wc -l)
[ "$out" -eq 0 ] && ok "every row's shape is within 4098..24000 elements" || bad "$out rows outside the bounds"
rows "$tmp/a" | grep -q '^wkv4 ' && rows "$tmp/a" | grep -q '^glru_scan ' && ok "scan, glru and wkv4 rows" \
    || bad "a kernel family is missing"

"$bin" --algo ul --max-elems 20 > "$tmp/b" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "--algo ul with the golden set: exit 0" || bad "--algo ul: exit $rc"
golden=$(sed -n '/^golden set, variant/,/^$/p' "$tmp/b" | grep -E '\.cuda\.' || true)
[ -n "$golden" ] && ! grep -qvE '^[a-z0-9_]+\.cuda\.ul ' <<< "$golden" && ok "golden rows: only *.cuda.ul variants" \
    || bad "golden rows of other variants, or none"

"$bin" --kernels-only --algo seq --min-elems 1000000000 > "$tmp/c" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q 'no check matches the selection' "$tmp/c" && ok "an empty selection exits 2" \
    || bad "an empty selection: exit $rc"
"$bin" --algo blelloch > "$tmp/d" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q 'unknown algorithm blelloch' "$tmp/d" && ok "an unknown algorithm exits 2" \
    || bad "--algo blelloch: exit $rc"

for v in 0 4k -5 x 99999999999999999999 +5 " 5"; do
    "$bin" --kernels-only --max-elems "$v" > "$tmp/e" 2>&1
    rc=$?
    [ $rc -eq 2 ] && grep -q "^lrb_gpu_check: --max-elems $v: expected a positive integer" "$tmp/e" \
        && ok "--max-elems $v: exit 2, says why" || bad "--max-elems $v: exit $rc"
done
"$bin" --kernels-only --min-elems 12abc > "$tmp/e" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q -- '--min-elems 12abc: expected a positive integer' "$tmp/e" && ok "--min-elems 12abc: exit 2" \
    || bad "--min-elems 12abc: exit $rc"
"$bin" --kernels-only --max-elems 100 --min-elems 2000 > "$tmp/e" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q -- '--min-elems 2000 is above the largest size selected, 100' "$tmp/e" \
    && ok "--min-elems above --max-elems: exit 2" || bad "--min-elems above --max-elems: exit $rc"
"$bin" --kernels-only --algo > "$tmp/e" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q -- '--algo needs a value' "$tmp/e" && ok "--algo without a value: exit 2" \
    || bad "--algo without a value: exit $rc"

echo "gpu_check selection: $passed passed, $failed failed"
[ $failed -eq 0 ]
