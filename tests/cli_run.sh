#!/usr/bin/env bash
# `lrb run` on user-supplied files, for every layer: the parameters, inputs and initial state of a
# golden case are handed over as a user would (a directory of <name>.npy parameter files, input files,
# a state directory), and the output and final state must agree with the oracle's. Widths are
# inferred from the files; also checked with ref.chunked and the simd variants (seq on its portable path
# with 3 threads, direct, chunked).
# usage: cli_run.sh LRB GOLDEN_DIR TMP_DIR
set -u
lrb=$1; golden=$2; tmp=$3
py=/usr/bin/python3
rm -rf "$tmp"; mkdir -p "$tmp"
pass=0; fail=0

compare() { # OUT.npy REF.npy LABEL
    if ! $py -c 'import numpy' 2>/dev/null; then
        # without NumPy, at least the output must exist and be a valid .npy of the right size
        [ "$(stat -c %s "$1")" -gt 128 ]; return
    fi
    $py - "$1" "$2" "$3" <<'PY'
import sys, numpy as np
y = np.load(sys.argv[1]).astype(np.float64); r = np.load(sys.argv[2])
if y.shape != r.shape:
    print(f"{sys.argv[3]}: shape {y.shape} != {r.shape}"); sys.exit(1)
n = np.linalg.norm(r); e = np.linalg.norm(y - r) / (n if n > 0 else 1.0)
if not np.isfinite(y).all() or e > 2e-3:
    print(f"{sys.argv[3]}: rel_l2 {e:.3e} (finite: {np.isfinite(y).all()})"); sys.exit(1)
PY
}

# for every layer: its first tier-1 case with an initial state if there is one, else its first case
layers=$(awk '!/^#/ && NF && /tier=1/ {print $2}' "$golden/cases.txt" | sort -u)
for layer in $layers; do
    line=$(awk -v l="$layer" '!/^#/ && $2 == l && /tier=1/ && /state=1/ {print; exit}' "$golden/cases.txt")
    [ -n "$line" ] || line=$(awk -v l="$layer" '!/^#/ && $2 == l && /tier=1/ {print; exit}' "$golden/cases.txt")
    name=$(echo "$line" | awk '{print $1}')
    dir="$golden/v1/$name"
    # the configuration a user states: everything that is not a width (widths are inferred from files)
    cfg=()
    for kv in $(echo "$line" | awk '{for (i = 3; i <= NF; i++) print $i}'); do
        case "${kv%%=*}" in
            tier|seed|regime|state|dist.*|B|L|D|H|U|C|F|d_in|d_h|d_model|in|out) ;;
            *) cfg+=(--config "$kv") ;;
        esac
    done
    inputs=()
    case $layer in
        scan) inputs+=(--input "b=$dir/b.npy"); [ -f "$dir/a.npy" ] && inputs+=(--input "a=$dir/a.npy") ;;
        wkv4) inputs+=(--input "k=$dir/k.npy" --input "v=$dir/v.npy") ;;
        *) inputs+=(--input "$dir/x.npy") ;;
    esac
    out=y; [ "$layer" = scan ] && out=h; [ "$layer" = wkv4 ] && out=wkv
    # user parameter directory: only the parameter files
    pdir="$tmp/$layer/params"; sdir="$tmp/$layer/state_in"; odir="$tmp/$layer/state_out"
    mkdir -p "$pdir" "$sdir" "$odir"
    for f in "$dir"/*.npy; do
        b=$(basename "$f")
        case $b in
            state_in.*) cp "$f" "$sdir/${b#state_in.}" ;;
            state_out.*|mid.*|x.npy|b.npy|a.npy|k.npy|v.npy|"$out.npy") ;;
            *) cp "$f" "$pdir/" ;;
        esac
    done
    st=()
    ls "$sdir"/*.npy > /dev/null 2>&1 && st=(--state-in "$sdir")
    for variant in "" "$layer.ref.chunked" "$layer.simd.seq" "$layer.simd.direct" "$layer.simd.chunked"; do
        vopt=()
        if [ -n "$variant" ]; then
            grep -q " $variant\b" <("$lrb" list) || continue
            vopt=(--variant "$variant")
            # the simd seq variant on its portable path with 3 threads: the options of lrb run
            [ "$variant" = "$layer.simd.seq" ] && vopt+=(--isa portable --threads 3)
        fi
        rm -f "$odir"/*.npy
        if "$lrb" run --layer "$layer" "${vopt[@]}" "${cfg[@]}" --params "$pdir" "${inputs[@]}" "${st[@]}" \
               --output "$tmp/$layer/y.npy" --state-out "$odir" 2> "$tmp/err" \
           && compare "$tmp/$layer/y.npy" "$dir/$out.npy" "$name ${variant:-default} output"; then
            ok=1
            for s in "$dir"/state_out.*.npy; do
                [ -f "$s" ] || continue
                sn=$(basename "$s"); sn=${sn#state_out.}
                case $sn in *aa.npy|*bb.npy|*pp.npy) [ -f "$odir/$sn" ] || ok=0; continue ;; esac
                compare "$odir/$sn" "$s" "$name ${variant:-default} state $sn" || ok=0
            done
            [ $ok -eq 1 ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL $name ${variant:-default}: state"; }
        else
            fail=$((fail + 1)); echo "FAIL $name ${variant:-default}:"; sed 's/^/    /' "$tmp/err"
        fi
    done
done
echo "cli run: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -ge 36 ]
