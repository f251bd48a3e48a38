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

# user_dirs CASE_DIR OUTPUT_NAME PARAMS_DIR STATE_DIR: a golden case as a user holds it, a directory of only the
# parameter files and one of the initial states
user_dirs() {
    mkdir -p "$3" "$4"
    for f in "$1"/*.npy; do
        b=$(basename "$f")
        case $b in
            state_in.*) cp "$f" "$4/${b#state_in.}" ;;
            state_out.*|mid.*|x.npy|b.npy|a.npy|k.npy|v.npy|"$2.npy") ;;
            *) cp "$f" "$3/" ;;
        esac
    done
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
    pdir="$tmp/$layer/params"; sdir="$tmp/$layer/state_in"; odir="$tmp/$layer/state_out"
    user_dirs "$dir" "$out" "$pdir" "$sdir"
    mkdir -p "$odir"
    st=()
    ls "$sdir"/*.npy > /dev/null 2>&1 && st=(--state-in "$sdir")
    ls "$dir"/state_out.*.npy > /dev/null 2>&1 && st+=(--state-out "$odir") # (a layer without state refuses it)
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
               --output "$tmp/$layer/y.npy" 2> "$tmp/err" \
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
# No --config at all: the flags follow from which parameter files the directory holds (a complex scan's
# theta_log, glru's recurrent projection, rwkv4_block's LN0, no biases) or from their shapes (glru's untied
# gates: proj.kernel of 4·d_h columns, not 3), and a complex scan's D from b's planar width
for spec in scan/cplx_init_l5:b:h glru/tr_tied_l33:x:y rwkv4_block/ln0_l33:x:y slru/nobias_l64:x:y \
            linear/in8_out9_nobias:x:y glru/untied_l33:x:y glru/tr_untied_carry_l8:x:y; do
    name=${spec%%:*}; rest=${spec#*:}; in=${rest%%:*}; out=${rest#*:}; dir="$golden/v1/$name"
    pdir="$tmp/inferred/$name/params"; sdir="$tmp/inferred/$name/state_in"
    user_dirs "$dir" "$out" "$pdir" "$sdir"
    st=(); ls "$sdir"/*.npy > /dev/null 2>&1 && st=(--state-in "$sdir")
    if "$lrb" run --layer "${name%%/*}" --params "$pdir" --input "$in=$dir/$in.npy" "${st[@]}" \
           --output "$tmp/inferred/$name/y.npy" 2> "$tmp/err" \
       && compare "$tmp/inferred/$name/y.npy" "$dir/$out.npy" "$name inferred flags"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1)); echo "FAIL $name, flags inferred:"; sed 's/^/    /' "$tmp/err"
    fi
done

# linear and layernorm take any leading axes (also none): x of (B, L, in) as (B·L, in) and as (B, 1, L, in)
if $py -c 'import numpy' 2>/dev/null; then
    for name in linear/in3_out7 layernorm/c1 linear/in1_out1; do
        dir="$golden/v1/$name"; w="$tmp/rows/$name"
        user_dirs "$dir" y "$w/params" "$w/state_in"
        $py - "$dir" "$w" <<'PY'
import sys, numpy as np
d, w = sys.argv[1:]
x, y = np.load(f"{d}/x.npy"), np.load(f"{d}/y.npy")
B, L = x.shape[:2]
for tag, lead in (("2d", (B * L,)), ("4d", (B, 1, L)), ("1d", ())):
    if tag == "1d" and B * L != 1:
        continue
    np.save(f"{w}/x_{tag}.npy", x.reshape(lead + x.shape[2:]))
    np.save(f"{w}/y_{tag}.npy", y.reshape(lead + y.shape[2:]))
PY
        for xf in "$w"/x_*.npy; do
            tag=${xf##*/x_}; tag=${tag%.npy}
            if "$lrb" run --layer "${name%%/*}" --params "$w/params" --input "$xf" --output "$w/out_$tag.npy" \
                   2> "$tmp/err" && compare "$w/out_$tag.npy" "$w/y_$tag.npy" "$name rows $tag"; then
                pass=$((pass + 1))
            else
                fail=$((fail + 1)); echo "FAIL $name, x as $tag:"; sed 's/^/    /' "$tmp/err"
            fi
        done
    done
fi

# the output through a symlink (the link stays a link) and to a pipe (/dev/stdout)
dir="$golden/v1/scan/real_init_l1"; w="$tmp/links"; mkdir -p "$w"; : > "$w/target.npy"; ln -sfn "$w/target.npy" "$w/y.npy"
if "$lrb" run --layer scan --params "$dir" --input "$dir/b.npy" --output "$w/y.npy" 2> "$tmp/err" && [ -L "$w/y.npy" ] \
   && compare "$w/target.npy" "$dir/h.npy" "output through a symlink"; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL output through a symlink:"; sed 's/^/    /' "$tmp/err"; ls -l "$w"; fi
if "$lrb" run --layer scan --params "$dir" --input "$dir/b.npy" --output /dev/stdout 2> "$tmp/err" > "$w/piped.npy" \
   && compare "$w/piped.npy" "$dir/h.npy" "output to /dev/stdout"; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL output to /dev/stdout:"; sed 's/^/    /' "$tmp/err"; fi

echo "cli run: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -ge 36 ]
