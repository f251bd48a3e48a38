#!/usr/bin/env bash
# Bad input to the `lrb` CLI and to the oracle generator gen_golden.py: every case must exit with status 2 and
# print exactly one line on stderr that names the file or argument, with no crash and no sanitizer report.
# usage: cli_errors.sh LRB FIXTURES_DIR TMP_DIR
set -u
lrb=$1; tmp=$3
rm -rf "$tmp"; mkdir -p "$tmp"
pass=0; fail=0

# mknpy PATH DESCR FORTRAN SHAPE DATA_BYTES [MAGIC]: a .npy v1.0 file written by hand (no NumPy needed)
mknpy() {
    local path=$1 descr=$2 fortran=$3 shape=$4 nbytes=$5 magic=${6:-NUMPY}
    local hdr="{'descr': '$descr', 'fortran_order': $fortran, 'shape': $shape, }"
    local total=$(( ( (10 + ${#hdr} + 1 + 63) / 64 ) * 64 ))
    local hlen=$(( total - 10 ))
    {
        printf '\x93%s\x01\x00' "$magic"
        printf "\\x$(printf %02x $((hlen & 255)))\\x$(printf %02x $((hlen >> 8)))"
        printf '%s' "$hdr"
        printf '%*s' $(( hlen - ${#hdr} - 1 )) ''
        printf '\n'
        [ "$nbytes" -gt 0 ] && head -c "$nbytes" /dev/zero
    } > "$path"
}

expect2() { # NAME WANT_SUBSTRING CMD...
    local name=$1 want=$2; shift 2
    "$@" > "$tmp/out" 2> "$tmp/err"
    local rc=$? lines
    lines=$(wc -l < "$tmp/err")
    if [ $rc -eq 2 ] && [ "$lines" -eq 1 ] && grep -q -- "$want" "$tmp/err" \
        && ! grep -qE 'AddressSanitizer|runtime error|LeakSanitizer' "$tmp/err"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL $name: exit $rc, $lines stderr line(s), expected 2, 1 line containing '$want':"
        sed 's/^/    /' "$tmp/err"
    fi
}

# a valid linear layer (in 4, out 3) and input (2, 5, 4)
p=$tmp/params; mkdir -p "$p"
mknpy "$p/weight.npy" '<f4' False '(3, 4)' 48
mknpy "$p/bias.npy" '<f4' False '(3,)' 12
mknpy "$tmp/x.npy" '<f4' False '(2, 5, 4)' 160
run=("$lrb" run --layer linear --params "$p" --output "$tmp/y.npy")

# sanity: the valid call works (otherwise every error below would be meaningless)
if "${run[@]}" --input "$tmp/x.npy" 2>/dev/null; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL valid linear run"; fi

expect2 no-command 'missing command' "$lrb"
expect2 unknown-command "unknown command 'frobnicate'" "$lrb" frobnicate
expect2 run-no-layer '--layer is required' "$lrb" run --params "$p" --input "$tmp/x.npy" --output "$tmp/y.npy"
expect2 unknown-layer "--layer nosuch" "$lrb" run --layer nosuch --params "$p" --input "$tmp/x.npy" --output "$tmp/y.npy"
expect2 unknown-variant "not a variant of layer linear" "${run[@]}" --variant lru.ref.seq --input "$tmp/x.npy"
expect2 unknown-key "unknown config key 'frob'" "${run[@]}" --config frob=1 --input "$tmp/x.npy"
expect2 bad-value "expected a finite number" "${run[@]}" --config in=yes --input "$tmp/x.npy"
expect2 bad-flag "bias=yes: expected one of 0|1" "${run[@]}" --config bias=yes --input "$tmp/x.npy"
expect2 flag-not-0-or-1 "complex=2: expected one of 0|1" "$lrb" complexity --layer scan --config complex=2
expect2 no-params-dir "--params" "$lrb" run --layer linear --params "$tmp/nope" --input "$tmp/x.npy" --output "$tmp/y.npy"
mkdir -p "$tmp/empty"
expect2 missing-param "weight.npy" "$lrb" run --layer linear --params "$tmp/empty" --input "$tmp/x.npy" --output "$tmp/y.npy"
mkdir -p "$tmp/wrongshape"; mknpy "$tmp/wrongshape/weight.npy" '<f4' False '(3, 5)' 60; cp "$p/bias.npy" "$tmp/wrongshape/"
expect2 wrong-param-shape "weight.npy: shape (3, 5), expected (3, 4)" "$lrb" run --layer linear --params "$tmp/wrongshape" --input "$tmp/x.npy" --output "$tmp/y.npy"
mknpy "$tmp/badmagic.npy" '<f4' False '(2, 5, 4)' 160 NUMPX
expect2 bad-magic "badmagic.npy" "${run[@]}" --input "$tmp/badmagic.npy"
head -c 20 "$tmp/x.npy" > "$tmp/trunc_header.npy"
expect2 truncated-header "trunc_header.npy" "${run[@]}" --input "$tmp/trunc_header.npy"
head -c 150 "$tmp/x.npy" > "$tmp/trunc_data.npy"
expect2 truncated-data "trunc_data.npy" "${run[@]}" --input "$tmp/trunc_data.npy"
mknpy "$tmp/dtype.npy" '<i2' False '(2, 5, 4)' 80
expect2 unsupported-dtype "dtype.npy: dtype '<i2', expected float32 ('<f4') or float64 ('<f8')$" "${run[@]}" --input "$tmp/dtype.npy"
mknpy "$tmp/fortran.npy" '<f4' True '(2, 5, 4)' 160
expect2 fortran-order "fortran.npy" "${run[@]}" --input "$tmp/fortran.npy"
mknpy "$tmp/neg.npy" '<f4' False '(2, -5, 4)' 0
expect2 negative-shape "neg.npy" "${run[@]}" --input "$tmp/neg.npy"
mknpy "$tmp/huge.npy" '<f4' False '(4294967296, 4294967296, 4)' 0
expect2 overflowing-shape "huge.npy" "${run[@]}" --input "$tmp/huge.npy"
mknpy "$tmp/int_param.npy" '<i4' False '(3,)' 12
mkdir -p "$tmp/intparam"; cp "$p/weight.npy" "$tmp/intparam/"; cp "$tmp/int_param.npy" "$tmp/intparam/bias.npy"
expect2 param-dtype "bias.npy: dtype '<i4', expected float32 ('<f4') or float64 ('<f8')$" "$lrb" run --layer linear --params "$tmp/intparam" --input "$tmp/x.npy" --output "$tmp/y.npy"
mknpy "$tmp/L0.npy" '<f4' False '(2, 0, 4)' 0
mknpy "$tmp/B0.npy" '<f4' False '(0, 5, 4)' 0
mknpy "$tmp/rank2.npy" '<f4' False '(5, 4)' 80
# layers with a time axis: L = 0, B = 0 and a wrong rank are rejected naming the file
mkdir -p "$tmp/wkv"; mknpy "$tmp/wkv/time_decay.npy" '<f4' False '(4,)' 16; mknpy "$tmp/wkv/time_first.npy" '<f4' False '(4,)' 16
mknpy "$tmp/k.npy" '<f4' False '(2, 5, 4)' 160
wkv=("$lrb" run --layer wkv4 --params "$tmp/wkv" --output "$tmp/y.npy")
expect2 L-zero "L0.npy" "${wkv[@]}" --input "k=$tmp/L0.npy" --input "v=$tmp/L0.npy"
expect2 B-zero "B0.npy" "${wkv[@]}" --input "k=$tmp/B0.npy" --input "v=$tmp/B0.npy"
expect2 wrong-rank "rank2.npy" "${wkv[@]}" --input "k=$tmp/rank2.npy" --input "v=$tmp/rank2.npy"
expect2 missing-input "input 'v'" "${wkv[@]}" --input "k=$tmp/k.npy"
expect2 missing-first-input "input 'k' of layer wkv4 was not given (--input k=FILE)" "${wkv[@]}" --input "v=$tmp/k.npy"
expect2 input-twice "input 'k' given twice" "${wkv[@]}" --input "k=$tmp/k.npy" --input "k=$tmp/L0.npy" --input "v=$tmp/k.npy"
expect2 input-left-over "has no input left" "${wkv[@]}" --input "$tmp/k.npy" --input "$tmp/k.npy" --input "$tmp/k.npy"
expect2 input-empty-path "--input 'k=': expected FILE or NAME=FILE" "${wkv[@]}" --input "k=" --input "v=$tmp/k.npy"
expect2 option-twice "--output given twice" "${run[@]}" --output "$tmp/y2.npy" --input "$tmp/x.npy"
expect2 config-twice "key L given twice" "${run[@]}" --config L=5 --config L=6 --input "$tmp/x.npy"
expect2 long-config-key "unknown config key 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee'" \
    "${run[@]}" --config "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee=1" --input "$tmp/x.npy"
expect2 state-in-stateless "--state-in: layer linear has no state" "${run[@]}" --state-in "$tmp/empty" --input "$tmp/x.npy"
expect2 state-out-stateless "--state-out: layer linear has no state" "${run[@]}" --state-out "$tmp/empty" --input "$tmp/x.npy"
# a state file that cannot be written: nothing is written, the earlier output stays as it was (it was
# overwritten before the states failed), and no temporary file is left behind
g1=$(cd "$(dirname "$0")/../golden" && pwd)/v1/scan/real_init_l1
mkdir -p "$tmp/so/h.npy" "$tmp/so2"; echo earlier > "$tmp/so_y.npy"
expect2 state-out-blocked "$tmp/so/h.npy: is a directory" \
    "$lrb" run --layer scan --params "$g1" --input "$g1/b.npy" --output "$tmp/so_y.npy" --state-out "$tmp/so"
if [ "$(cat "$tmp/so_y.npy")" = earlier ] && [ -z "$(find "$tmp" -name '*.lrb-part')" ]; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL state-out-blocked: the output was written or a .lrb-part file was left"; fi
expect2 output-is-state "$tmp/so2/h.npy: both the output and state h would be written there" \
    "$lrb" run --layer scan --params "$g1" --input "$g1/b.npy" --output "$tmp/so2/./h.npy" --state-out "$tmp/so2"
[ ! -e "$tmp/so2/h.npy" ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL output-is-state: h.npy written"; }
expect2 output-empty "--output: an empty value" "$lrb" run --layer scan --params "$g1" --input "$g1/b.npy" --output ""
expect2 output-is-directory "$tmp/so: is a directory" \
    "$lrb" run --layer scan --params "$g1" --input "$g1/b.npy" --output "$tmp/so"
# a device is written in place, never replaced or removed: /dev/full fails (exit 2) and stays a device
if [ -c /dev/full ]; then
    expect2 output-dev-full "/dev/full: write error" "$lrb" run --layer scan --params "$g1" --input "$g1/b.npy" --output /dev/full
    [ -c /dev/full ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL /dev/full is no longer a device"; }
fi
# shapes past int64, from --config before any file is read
expect2 config-overflow "more than 2^60 elements" "${wkv[@]}" --config L=3e9 --config B=3e9 --input "k=$tmp/k.npy" --input "v=$tmp/k.npy"
expect2 config-wraps-to-zero "more than 2^60 elements" "${wkv[@]}" --config L=4294967296 --config B=4294967296 --input "k=$tmp/k.npy" --input "v=$tmp/k.npy"
# the rows view of linear: an explicit width or length that disagrees with the file is an error, not an overrun
mknpy "$tmp/x2d.npy" '<f4' False '(100, 4)' 1600
expect2 rows-vs-config-L "x2d.npy: shape (100, 4), expected 1 rows of 4" "${run[@]}" --config L=1 --input "$tmp/x2d.npy"
expect2 rows-vs-config-B "x2d.npy: shape (100, 4), expected 200 rows of 4" "${run[@]}" --config B=2 --input "$tmp/x2d.npy"
mknpy "$tmp/x0rows.npy" '<f4' False '(0, 4)' 0
expect2 rows-none "x0rows.npy: no rows" "${run[@]}" --input "$tmp/x0rows.npy"
# flags follow the parameter files; a directory holding part of a flag's parameters is an error
mkdir -p "$tmp/scan_half"; mknpy "$tmp/scan_half/nu_log.npy" '<f4' False '(4,)' 16
mknpy "$tmp/b_odd.npy" '<f4' False '(2, 5, 3)' 120
mkdir -p "$tmp/scan_cplx"; cp "$tmp/scan_half/nu_log.npy" "$tmp/scan_cplx/"; cp "$tmp/scan_half/nu_log.npy" "$tmp/scan_cplx/theta_log.npy"
expect2 complex-odd-width "b_odd.npy: axis 2 (D) is 3, expected a positive even number" \
    "$lrb" run --layer scan --params "$tmp/scan_cplx" --input "b=$tmp/b_odd.npy" --output "$tmp/y.npy"
mkdir -p "$tmp/blk"; mknpy "$tmp/blk/ln0.weight.npy" '<f4' False '(4,)' 16
expect2 flag-params-partial "holds some of the parameters of ln0=1, not all: set --config ln0" \
    "$lrb" run --layer rwkv4_block --params "$tmp/blk" --input "$tmp/x.npy" --output "$tmp/y.npy"
expect2 config-L0 "L" "${wkv[@]}" --config L=0 --input "k=$tmp/k.npy" --input "v=$tmp/k.npy"
expect2 check-unknown-layer "--layer nosuch" "$lrb" check --layer nosuch
expect2 check-unknown-variant "--variant nosuch" "$lrb" check --variant nosuch
expect2 complexity-unknown-layer "nosuch" "$lrb" complexity --layer nosuch
expect2 complexity-bad-key "unknown config key" "$lrb" complexity --layer lru --config frob=2
expect2 complexity-bad-wrapper "--wrapper" "$lrb" complexity --wrapper 1,64,64
# counts past int64, and lengths past what a config holds, are errors, not a printout of the default L
expect2 complexity-overflow "overflows int64" "$lrb" complexity --layer scan --config B=1e9 --config L=1e9 --config D=1e9
expect2 complexity-wrapper-overflow "overflows int64" "$lrb" complexity --wrapper 100000,100000,100000,100000
expect2 complexity-seq-lens-huge "L=99999999999999999: expected an integer of at most 9e15" \
    "$lrb" complexity --layer scan --seq-lens 16,99999999999999999
expect2 complexity-seq-lens-overflow "overflows int64 for this shape (L=1000000000000000)" \
    "$lrb" complexity --layer scan --config D=100000 --seq-lens 16,1000000000000000
expect2 check-positional "unexpected argument 'scan'" "$lrb" check scan
expect2 complexity-positional "unexpected argument" "$lrb" complexity lru
expect2 complexity-config-twice "--config L=6: key L given twice" "$lrb" complexity --layer scan --config L=5 --config L=6
expect2 complexity-seq-lens-space "--seq-lens expects a comma-separated list of positive integers, got 16, 32" \
    "$lrb" complexity --layer scan --seq-lens "16, 32"
expect2 complexity-wrapper-plus "--wrapper expects B,C,F,T" "$lrb" complexity --wrapper 1,+64,64,160
# case tables: a directory, a key given twice; a long comment stays one line
expect2 cases-directory "cannot read (Is a directory)" "$lrb" check --cases "$tmp"
printf 'dup/a scan tier=1 seed=1 D=7 D=9\n' > "$tmp/dup_cases.txt"
expect2 cases-key-twice "dup_cases.txt:1: D given twice" "$lrb" check --cases "$tmp/dup_cases.txt"
# fields both readers (cases.c and gen_golden.py) must refuse: state=2 was read as 0, seed=+1 and the sweep
# BD=+256 were taken by strtoull/strtoll, chunk=1_0 by Python's float()
printf 'scan/st scan tier=1 seed=1 B=1 L=4 D=7 state=2\n' > "$tmp/state_cases.txt"
printf 'scan/sd scan tier=1 seed=+1 B=1 L=4 D=7\n' > "$tmp/seed_cases.txt"
printf 'scan/ch scan tier=1 seed=1 B=1 L=4 D=7 chunk=1_0\n' > "$tmp/chunk_cases.txt"
printf 'scan/sw scan tier=bench seed=1 L=64 BD=+256\n' > "$tmp/sweep_cases.txt"
expect2 cases-state-2 "state_cases.txt:1: state=2: expected 0 or 1" "$lrb" check --cases "$tmp/state_cases.txt"
expect2 cases-seed-plus "seed_cases.txt:1: seed=+1: expected an unsigned integer" "$lrb" check --cases "$tmp/seed_cases.txt"
expect2 cases-chunk-underscore "chunk_cases.txt:1: config chunk=1_0: expected a finite number" \
    "$lrb" check --cases "$tmp/chunk_cases.txt"
expect2 cases-sweep-plus "sweep_cases.txt:1: BD=+256: expected up to" "$lrb" check --cases "$tmp/sweep_cases.txt"
{ printf 'scan/real_init_l1 scan tier=1 seed=101 B=1 L=1 D=7 # '; head -c 3000 /dev/zero | tr '\0' c; echo; } \
    > "$tmp/long_cases.txt" # (the committed case's own line)
if "$lrb" check --cases "$tmp/long_cases.txt" --variant scan.ref.seq > /dev/null 2> "$tmp/err"; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL a case line with a 3000-character comment:"; sed 's/^/    /' "$tmp/err"; fi
# a golden set with a case's file missing: an input error (exit 2), not a conformance failure (exit 1)
golden=$(cd "$(dirname "$0")/../golden" && pwd)
mkdir -p "$tmp/gbroken/v1/scan"; cp "$golden/VERSION" "$tmp/gbroken/"; cp -r "$golden/v1/scan/real_init_l1" "$tmp/gbroken/v1/scan/"
rm "$tmp/gbroken/v1/scan/real_init_l1/b.npy"
expect2 golden-file-missing "golden files of 1 case(s) could not be read (first: .*real_init_l1/b.npy: cannot open" \
    "$lrb" check --golden "$tmp/gbroken" --cases "$tmp/long_cases.txt" --variant scan.ref.seq
mkdir -p "$tmp/glru_tr"; cp "$golden"/v1/glru/tr_tied_l33/*.kernel.npy "$golden"/v1/glru/tr_tied_l33/*.bias.npy "$tmp/glru_tr/"
expect2 unsupported-names-others "does not support this configuration (these do: glru.ref.seq glru.simd.seq" \
    "$lrb" run --layer glru --variant glru.ref.chunked --params "$tmp/glru_tr" \
    --input "$golden/v1/glru/tr_tied_l33/x.npy" --output "$tmp/y.npy"
expect2 config-hex "chunk=0x10: expected a finite number" "$lrb" complexity --layer scan --config chunk=0x10
# the simd backend's run-time choices
expect2 isa-unknown "unknown ISA" "$lrb" check --isa sse9 --layer scan
expect2 threads-zero "--threads 0" "$lrb" check --threads 0 --layer scan
expect2 threads-junk "--threads 2x" "$lrb" run --threads 2x --layer scan
expect2 threads-space "--threads  2: expected an integer" "$lrb" check --threads " 2" --layer scan
expect2 threads-plus "--threads +2: expected an integer" "$lrb" check --threads +2 --layer scan
expect2 env-threads-space "LRB_THREADS= 2" env LRB_THREADS=" 2" "$lrb" list
expect2 env-isa-unknown "LRB_ISA=sse9" env LRB_ISA=sse9 "$lrb" list
expect2 env-threads-bad "LRB_THREADS=-1" env LRB_THREADS=-1 "$lrb" list

# the oracle's command line (golden/gen_golden.py), where NumPy is installed
if /usr/bin/python3 -c 'import numpy' 2> /dev/null; then
    gen=(/usr/bin/python3 "$golden/gen_golden.py" -q)
    expect2 gen-cases-missing "--cases $tmp/nope.txt: cannot read" "${gen[@]}" --cases "$tmp/nope.txt"
    expect2 gen-bad-case "dup_cases.txt:1:" "${gen[@]}" --cases "$tmp/dup_cases.txt" --out "$tmp/gen"
    expect2 gen-state-2 "state_cases.txt:1: state must be 0 or 1" "${gen[@]}" --cases "$tmp/state_cases.txt" --out "$tmp/gen"
    expect2 gen-seed-plus "seed_cases.txt:1: seed=+1: expected an unsigned integer" \
        "${gen[@]}" --cases "$tmp/seed_cases.txt" --out "$tmp/gen"
    expect2 gen-chunk-underscore "chunk_cases.txt:1: chunk=1_0: expected a finite number" \
        "${gen[@]}" --cases "$tmp/chunk_cases.txt" --out "$tmp/gen"
    expect2 gen-only-nothing "matches --only zzz_nomatch" "${gen[@]}" --only zzz_nomatch --out "$tmp/gen"
    expect2 gen-out-file "--out $tmp/x.npy: exists and is not a directory" "${gen[@]}" --only real_init_l1 --out "$tmp/x.npy"
    expect2 gen-check-tier2 "--check compares tier 1" "${gen[@]}" --check --tier 2
    expect2 gen-bad-option "unrecognized arguments: --bogus" "${gen[@]}" --bogus
fi

echo "cli errors: $pass passed, $fail failed"
[ $fail -eq 0 ]
