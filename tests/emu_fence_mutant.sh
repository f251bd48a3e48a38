#!/usr/bin/env bash
# emu_fence_mutant.sh — the CPU emulation's weak memory catches a missing fence: lrb_cuda_emu built with
# kernels/cuda/lookback.cuh less one of its fences (tests/CMakeLists.txt makes these mutants) must report
# failed rows of the chunked kernels, and end as a failed check rather than a crash or a hang.
#
# Usage: tests/emu_fence_mutant.sh PATH/TO/lrb_cuda_emu_no_<fence>_fence
set -u
bin=${1:?usage: emu_fence_mutant.sh PATH/TO/lrb_cuda_emu_no_FENCE_fence}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$bin" --kernels-only --algo chunked --max-elems 50000 > "$out" 2>&1
rc=$?
last=$(tail -n 1 "$out")
failed=$(grep -cE '^(scan|glru_scan|wkv4) +chunked .* FAIL$' "$out")
echo "exit $rc; $failed chunked rows failed; last line: $last"
if [ "$rc" -eq 1 ] && [ "$failed" -gt 0 ] && [[ $last == "gpu check: FAILED ("* ]]; then
    echo "PASS: the missing fence is caught"
    exit 0
fi
cat "$out"
echo "FAIL: the mutant passed the check, or did not end as a failed check"
exit 1
