#!/usr/bin/env bash
# The PyTorch peer script (bench/torch_peer.py): with PyTorch, a small CI sweep (L <= 256 and the seed
# wrapper, 2 repetitions of 10 ms) must produce Google-Benchmark-shaped JSON with exactly the instances
# the sweep rules give, and its seq/ul sanity check must pass; without PyTorch (or with site-packages
# hidden, `python3 -S`) it must print the skip message, write nothing and exit 0.
# usage: torch_peer_test.sh OUT_DIR
set -u
out=${1:?usage: torch_peer_test.sh OUT_DIR}
py=${PYTHON:-/usr/bin/python3}
script="$(cd "$(dirname "$0")/.." && pwd)/bench/torch_peer.py"
rm -rf "$out"; mkdir -p "$out"
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
skip_msg="torch_peer: PyTorch not installed; peer rows skipped"

check_skip() { # LABEL PYTHON_ARGS...: the no-torch path
    local label=$1; shift
    local json="$out/skip_$label.json" log="$out/skip_$label.log" rc
    "$@" "$script" --out "$json" --only-small >"$log" 2>&1; rc=$?
    [ $rc -eq 0 ] && ok || bad "$label: exit status $rc without torch"
    grep -qxF "$skip_msg" "$log" && ok || bad "$label: skip message missing: $(head -c 300 "$log")"
    [ ! -e "$json" ] && ok || bad "$label: wrote $json without torch"
}

if "$py" -c 'import torch' 2>/dev/null; then
    json="$out/torch_peer.json"; log="$out/torch_peer.log"
    "$py" "$script" --sweep ci --reps 2 --min-time 0.01 --only-small --out "$json" >"$log" 2>&1; rc=$?
    [ $rc -eq 0 ] && ok || { bad "torch_peer.py exit status $rc"; tail -20 "$log"; }
    n_sanity=$(grep -c '^sanity .* ok ' "$log")
    [ "$n_sanity" -eq 8 ] && ok || bad "expected 8 passing sanity lines, got $n_sanity"
    if [ -s "$json" ]; then
        while IFS= read -r line; do
            case $line in PASS*) ok ;; *) bad "${line#FAIL }" ;; esac
        done < <("$py" - "$json" <<'PY'
import json, math, re, sys
res = []
def check(name, cond, msg=""):
    res.append(("PASS " if cond else "FAIL ") + name + ("" if cond else ": " + msg))
try:
    doc = json.load(open(sys.argv[1]))
    check("json parses", True)
except Exception as e:
    print("FAIL json parses: %s" % e); sys.exit(0)
ctx, rows = doc.get("context", {}), doc.get("benchmarks", [])
for k in ("date", "host_name", "executable", "num_cpus", "torch_version", "torch_threads", "cpu_model",
          "library_build_type"):
    check("context has " + k, k in ctx, "missing")
check("context executable", ctx.get("executable") == "torch_peer.py", str(ctx.get("executable")))
check("context torch_threads 1", ctx.get("torch_threads") == 1, str(ctx.get("torch_threads")))
check("context library_build_type", ctx.get("library_build_type") == "n/a", str(ctx.get("library_build_type")))
check("context num_cpus", isinstance(ctx.get("num_cpus"), int) and ctx["num_cpus"] >= 1, str(ctx.get("num_cpus")))

# the instances the sweep rules give: CI cap 2^21 elements, L <= 256, plus the seed wrapper
Ls = [1, 16, 64, 256, 1000, 1024, 4096, 4097, 16384, 65536]
want = []
for fam, c in (("scan", 1), ("scan_cplx", 2)):
    for BD in (256, 2048, 16384, 131072):
        D = min(BD, 256)
        want += [f"{fam}/torch.%s/L:{L}/B:{BD // D}/D:{D}" for L in Ls if L <= 256 and BD * L * c <= 1 << 21]
for layer in ("slru", "lru", "brwkv"):
    want += [f"{layer}/torch.%s/L:{L}/B:1/D:64" for L in Ls if L <= 256]
want += [f"seed_{l}/torch.%s/L:160/B:1/D:64/F:64" for l in ("lru", "slru", "brwkv")]
want = {w % a for w in want for a in ("seq", "ul")}
got = {r.get("run_name") for r in rows}
check("instance set", got == want, f"missing {sorted(want - got)[:5]}, extra {sorted(got - want)[:5]}")

name_re = re.compile(r"^(scan|scan_cplx|slru|lru|brwkv|seed_lru|seed_slru|seed_brwkv)/torch\.(seq|ul)"
                     r"/L:(\d+)/B:(\d+)/D:(\d+)(/F:64)?$")
layer_of = dict(scan="scan", scan_cplx="scan", slru="slru", lru="lru", brwkv="brwkv", seed_lru="rnn_wrapper",
                seed_slru="rnn_wrapper", seed_brwkv="rnn_wrapper")
by_run, errors = {}, []
for r in rows:
    by_run.setdefault(r.get("run_name"), []).append(r)
fam_index, seen_inst = {}, {}
for run, rs in by_run.items():
    m = name_re.match(run or "")
    if not m:
        errors.append(f"bad name {run}"); continue
    fam, alg, L, B = m.group(1), m.group(2), int(m.group(3)), int(m.group(4))
    it = [r for r in rs if r.get("run_type") == "iteration"]
    ag = [r for r in rs if r.get("run_type") == "aggregate"]
    if [r.get("repetition_index") for r in it] != [0, 1]:
        errors.append(f"{run}: iteration rows {[r.get('repetition_index') for r in it]}")
    if [r.get("aggregate_name") for r in ag] != ["mean", "median", "stddev", "cv"]:
        errors.append(f"{run}: aggregates {[r.get('aggregate_name') for r in ag]}")
    if rs != it + ag:
        errors.append(f"{run}: iteration rows must precede aggregates")
    fi = {r.get("family_index") for r in rs}; pi = {r.get("per_family_instance_index") for r in rs}
    if len(fi) != 1 or len(pi) != 1:
        errors.append(f"{run}: inconsistent indices"); continue
    fkey = run.split("/L:")[0]  # a family is one <family>/<backend>.<algorithm>
    if fam_index.setdefault(fkey, fi.pop()) != rs[0]["family_index"]:
        errors.append(f"{run}: family_index differs within family {fkey}")
    seen_inst.setdefault(fkey, []).append(pi.pop())
    label = f"layer={layer_of[fam]} variant={layer_of[fam]}.torch.{alg}"
    for r in rs:
        for k in ("name", "family_index", "per_family_instance_index", "run_name", "run_type", "repetitions",
                  "threads", "iterations", "real_time", "cpu_time", "time_unit", "items_per_second", "label"):
            if k not in r:
                errors.append(f"{r.get('name')}: no {k}")
        if r.get("repetitions") != 2 or r.get("threads") != 1 or r.get("time_unit") != "us":
            errors.append(f"{r.get('name')}: repetitions/threads/time_unit")
        if r.get("label") != label:
            errors.append(f"{r.get('name')}: label {r.get('label')!r}")
        if r.get("error_occurred"):
            errors.append(f"{r.get('name')}: error {r.get('error_message')}")
        want_name = run if r.get("run_type") == "iteration" else f"{run}_{r.get('aggregate_name')}"
        if r.get("name") != want_name:
            errors.append(f"{r.get('name')}: name should be {want_name}")
    for r in it:
        if not (isinstance(r.get("iterations"), int) and r["iterations"] >= 1 and r.get("real_time", 0) > 0
                and r.get("cpu_time", -1) >= 0):
            errors.append(f"{run}: iteration timing fields")
        elif not math.isclose(r.get("items_per_second", 0), B * L / (r["real_time"] * 1e-6), rel_tol=1e-6):
            errors.append(f"{run}: items_per_second != B*L/time")
    for r in ag:
        unit = "percentage" if r.get("aggregate_name") == "cv" else "time"
        if r.get("aggregate_unit") != unit or r.get("iterations") != 2:
            errors.append(f"{r.get('name')}: aggregate_unit/iterations")
    if len(it) == 2 and len(ag) == 4:
        t = [r["real_time"] for r in it]; mean = sum(t) / 2
        sd = abs(t[0] - t[1]) / math.sqrt(2)
        if not (math.isclose(ag[0]["real_time"], mean, rel_tol=1e-9)
                and math.isclose(ag[2]["real_time"], sd, rel_tol=1e-9, abs_tol=1e-12)
                and math.isclose(ag[3]["real_time"], sd / mean, rel_tol=1e-9, abs_tol=1e-12)):
            errors.append(f"{run}: mean/stddev/cv do not match the iteration rows")
for fkey, idx in seen_inst.items():
    if sorted(idx) != list(range(len(idx))):
        errors.append(f"{fkey}: per_family_instance_index {sorted(idx)}")
if sorted(fam_index.values()) != list(range(len(fam_index))):  # distinct, 0..n-1
    errors.append(f"family_index values {sorted(fam_index.values())}")
check("rows well-formed", not errors, "; ".join(errors[:6]) + (f" (+{len(errors) - 6})" if len(errors) > 6 else ""))
print("\n".join(res))
PY
)
    else
        bad "no JSON written ($json)"
    fi
    # the full sweep's instance list (nothing is run): L = 65536 is registered where the cap allows it
    "$py" "$script" --sweep full --list >"$out/list_full.log" 2>&1; rc=$?
    [ $rc -eq 0 ] && grep -q '^slru/torch.seq/L:65536/B:1/D:64 ' "$out/list_full.log" \
        && grep -q '^scan/torch.ul/L:65536/B:1/D:256 ' "$out/list_full.log" \
        && ! grep -q '^scan/torch.seq/L:65536/B:8/' "$out/list_full.log" && ok \
        || bad "--sweep full --list (rc $rc)"
    # the skip rule: with a vanishing per-call budget every instance is skipped, said on a line each and
    # listed in the context; the JSON is still written (with no rows)
    "$py" "$script" --only-small --call-budget 1e-9 --out "$out/all_skipped.json" >"$out/all_skipped.log" 2>&1
    rc=$?; n_skip=$(grep -c '^skip .*: modelled .* per call > budget' "$out/all_skipped.log")
    [ $rc -eq 0 ] && [ "$n_skip" -eq 80 ] && "$py" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["benchmarks"] == [] and len(d["context"]["skipped"]) == 80, (len(d["benchmarks"]), len(d["context"]["skipped"]))
' "$out/all_skipped.json" && ok || bad "skip rule (rc $rc, $n_skip skip lines)"
    # the no-torch path, with site-packages hidden (where torch lives), when that really hides it
    if ! "$py" -S -c 'import torch' 2>/dev/null; then
        check_skip nosite "$py" -S
    fi
else
    check_skip notorch "$py"
fi

echo "torch peer test: $pass passed, $fail failed"
[ $fail -eq 0 ]
