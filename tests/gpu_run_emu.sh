#!/usr/bin/env bash
# ci/gpu_run.sh itself, where no GPU is: a lease gives it one try, so its plumbing is tested here on the CPU
# emulation of CUDA. A stand-in bundle (ci/gpu_bundle.sh's layout, this tree's source hash) holds
# lrb_bench_cuda_emu as lrb_bench; the script runs its bench and render steps for wkv4 at L = 16 and packs
# the report. Checks: it ends "gpu run: ok"; it ran the algorithms wkv4 has (chunked, seq) and no other; each
# JSON names the commit and the cold-L2 policy and holds timed rows; each lrb_bench gated two variants (its
# filter's); the pack holds the JSONs, the targets table, the run summary and BUNDLE.txt. A budget that
# leaves no time runs nothing and names what it left out (exit 0); a check that hangs is cut off and nothing
# after it runs (exit 1); a bundle of other sources is refused (exit 1 without a build step); a bad option
# exits 2; without --out the report directory is named after the card.
# usage: gpu_run_emu.sh LRB_BENCH_CUDA_EMU TMP_DIR
set -u
bench=$1; tmp=$2
root=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$tmp"; mkdir -p "$tmp/bundle/bin" "$tmp/bundle/lib"
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
ln -s "$bench" "$tmp/bundle/bin/lrb_bench"
ln -s "$bench" "$tmp/bundle/bin/lrb_gpu_check" # present, not run: the check step is not among these steps
printf 'source_hash %s\ncommit 0000000\ndirty false\n' "$(bash "$root/ci/gpu_bundle.sh" --hash)" > "$tmp/bundle/BUNDLE.txt"

run() { # NAME ARGS...: runs gpu_run.sh, output in $tmp/NAME.out, exit status in $rc
    local name=$1; shift
    bash "$root/ci/gpu_run.sh" --bundle "$tmp/bundle" "$@" > "$tmp/$name.out" 2>&1
    rc=$?
}

run full --steps bench,render --families wkv4 --shapes 'L:16/B:1/' --sweep ci --reps 2 --min-time 0.01 \
    --out "$tmp/full" --pack "$tmp/full.tar.gz"
if [ $rc -eq 0 ] && grep -q '^gpu run: ok' "$tmp/full.out"; then ok; else
    bad "gpu_run.sh bench,render exited $rc"; cat "$tmp/full.out"; fi
tar tzf "$tmp/full.tar.gz" > "$tmp/full.list" 2> /dev/null
for f in bench_wkv4_chunked.json bench_wkv4_seq.json targets.md gpu_run.txt BUNDLE.txt; do
    grep -q "^\./$f\$" "$tmp/full.list" && ok || bad "the pack lacks $f"
done
# wkv4 has no ul algorithm: the script asks lrb_bench what there is instead of failing on an empty filter
grep -q 'bench_wkv4_ul' "$tmp/full.list" && bad "a run for wkv4/ul" || ok
/usr/bin/python3 - "$tmp/full" <<'PY' && ok || bad "bench JSON content"
import json, sys
for alg in ("chunked", "seq"):
    d = json.load(open(f"{sys.argv[1]}/bench_wkv4_{alg}.json"))
    ctx = d["context"]
    assert ctx.get("lrb_git_commit") not in (None, "", "unknown"), ctx.get("lrb_git_commit")
    assert ctx["l2_policy"].startswith("cold"), ctx["l2_policy"]
    rows = [b for b in d["benchmarks"] if b["run_type"] == "iteration"]
    assert rows and all(b["run_name"].startswith(f"wkv4/cuda.{alg}/L:16/B:1/") for b in rows), rows
    assert all(not b.get("error_occurred") and b["roofline_frac"] > 0 for b in rows), rows
PY
grep -q '^| wkv4.cuda.chunked, working set' "$tmp/full/targets.md" && ok || bad "targets table rows"
# a filtered lrb_bench gates only what it runs: the cuda variant and its check reference (wkv4.ref.seq)
grep -q 'golden gate: 2 variants, [1-9][0-9]* case/variant pairs passed, 0 failed' "$tmp/full/bench_wkv4_chunked.log" \
    && ok || bad "the golden gate of a filtered run: $(grep 'golden gate' "$tmp/full/bench_wkv4_chunked.log")"

# --shapes that keep no instance of a pair: the pair is named and not run (lrb_bench would refuse the filter)
run shapes --steps bench --families wkv4 --shapes 'L:7/' --sweep ci --out "$tmp/shapes"
if [ $rc -eq 1 ] && grep -q -F -- "--shapes 'L:7/' keeps no instance of: wkv4:chunked wkv4:seq" "$tmp/shapes.out" \
    && ! grep -q 'instances' "$tmp/shapes.out"; then ok; else bad "shapes that match nothing (exit $rc)"; cat "$tmp/shapes.out"; fi

# a budget inside the reserve for render and pack: nothing starts, and what was left is named
run budget --steps bench,render --families wkv4 --sweep ci --budget 41 --out "$tmp/budget"
if [ $rc -eq 0 ] && grep -q '^not run: bench wkv4/chunked bench wkv4/seq render' "$tmp/budget.out"; then ok; else
    bad "budget run (exit $rc)"; cat "$tmp/budget.out"; fi

# a check that never ends (a kernel that hangs) is cut off at --check-limit; the steps after it are not run
# (they would hang the same way), the rows it finished are in the pack
hb=$tmp/hang_bundle; mkdir -p "$hb/bin" "$hb/lib"; cp "$tmp/bundle/BUNDLE.txt" "$hb/"
printf '#!/bin/sh\necho "device: stand-in"\necho "scan seq B=1 L=1 D=1 PASS"\nexec sleep 600\n' > "$hb/bin/lrb_gpu_check"
chmod +x "$hb/bin/lrb_gpu_check"; ln -s "$bench" "$hb/bin/lrb_bench"
t0=$SECONDS
run hang --bundle "$hb" --steps check,tests,bench,render --check-limit 2 --out "$tmp/hang" --pack "$tmp/hang.tar.gz"
if [ $rc -eq 1 ] && grep -q '^gpu run: FAILED (gpu_check)' "$tmp/hang.out" \
    && grep -q 'cut off after 2 s; the last row it finished: scan seq B=1 L=1 D=1 PASS' "$tmp/hang.out" \
    && grep -q '^not run: tests (the check was cut off) bench (the check was cut off) render' "$tmp/hang.out" \
    && [ $((SECONDS - t0)) -lt 60 ]; then ok; else
    bad "hanging check (exit $rc, $((SECONDS - t0)) s)"; cat "$tmp/hang.out"; fi
tar xzOf "$tmp/hang.tar.gz" ./gpu_check.txt 2> /dev/null | grep -q '^scan seq B=1' && ok || bad "the pack lacks the check's rows"

# a bundle built from other sources is not measured
sed -i 's/^source_hash .*/source_hash 0000000000000000/' "$tmp/bundle/BUNDLE.txt"
run stale --steps bench --out "$tmp/stale"
if [ $rc -eq 1 ] && grep -q 'built from other sources' "$tmp/stale.out"; then ok; else
    bad "stale bundle (exit $rc)"; cat "$tmp/stale.out"; fi

run badopt --steps nosuch --out "$tmp/badopt"
[ $rc -eq 2 ] && ok || bad "unknown step: exit $rc, expected 2"
# mistakes a lease would pay for are refused before anything is built or checked
sed -i "s/^source_hash .*/source_hash $(bash "$root/ci/gpu_bundle.sh" --hash)/" "$tmp/bundle/BUNDLE.txt"
: > "$tmp/a_file"
early() { # WANT ARGS...: gpu_run.sh ARGS exits 2 within seconds, saying WANT
    local want=$1 t0=$SECONDS; shift
    run early --out "$tmp/early" "$@"
    if [ $rc -eq 2 ] && grep -q -F -- "$want" "$tmp/early.out" && [ $((SECONDS - t0)) -lt 30 ]; then ok; else
        bad "$*: exit $rc, expected 2 and '$want'"; cat "$tmp/early.out"; fi
}
early "no cuda benchmarks of family wkv5" --steps check,bench --families wkv5
early "expected a,b,... (no spaces)" --steps "bench render"
early "--reps (at least 1)" --reps 0
early "--min-time abc: expected seconds" --min-time abc
early "cannot create or write there" --out "$tmp/a_file"
early "--shapes '[': not a regular expression" --shapes "["
early "--shapes '\\d': not a regular expression as lrb_bench reads it" --shapes '\d' # bash's =~ takes it
early "--bundle $tmp/nope: no bin/lrb_gpu_check" --bundle "$tmp/nope"
early "--out needs a directory" --out ""

# without --out the report goes to reports/<card>, named by nvidia-smi: an H200's run is not filed as an H100's
# (in a copy of the script, whose tree is a scratch directory; no programs, so it stops after making it)
mkdir -p "$tmp/tree/ci" "$tmp/smi"; cp "$root/ci/gpu_run.sh" "$tmp/tree/ci/"
printf '#!/bin/sh\necho "NVIDIA H200"\n' > "$tmp/smi/nvidia-smi"; chmod +x "$tmp/smi/nvidia-smi"
PATH="$tmp/smi:$PATH" bash "$tmp/tree/ci/gpu_run.sh" --steps render --bundle none > "$tmp/card.out" 2>&1
if [ -d "$tmp/tree/reports/h200" ] && [ "$(ls "$tmp/tree/reports")" = h200 ]; then ok; else
    bad "the default report directory: $(ls "$tmp/tree/reports" 2>&1)"; cat "$tmp/card.out"; fi

echo "gpu_run emulation: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
