#!/usr/bin/env bash
# `lrb complexity` reproduces the seed printout (LAYERS.md §1.8) for (B, C, F, T) = (1, 64, 64, 160):
# every count, percentage and rounded string, plus macs_total and transcendentals of §5.2; and the
# default invocation prints all three layers.
# usage: cli_complexity.sh LRB
set -u
lrb=$1
pass=0; fail=0
want() { # RNN STRING...
    local rnn=$1; shift
    local out
    out=$("$lrb" complexity --wrapper 1,64,64,160 --config rnn="$rnn")
    for s in "$@"; do
        if grep -qF -- "$s" <<< "$out"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $rnn: missing '$s'"; fi
    done
}
want lru "RNNWrapper" "1.06 M" "98.855% Params" "169.74 MMac" "100.000% MACs" "(0-63): 64 x LRU" "16.58 k" \
    "1.545% Params" "2.65 MMac" "1.562% MACs" "i_dense: Linear(64 → 128, bias)" "8.32 k" "0.775% Params" "1.33 MMac" \
    "0.784% MACs" "o_dense: Linear(128 → 64, bias)" "8.26 k" "0.769% Params" "1.32 MMac" "0.778% MACs" \
    "total MACs: 169.74 MMac" "total parameters: 1.07 M" "trainable parameters: 1,073,152" \
    "macs_dense 169738240" "macs_total 173670400" "transcendentals 0"
want slru "532.48 k" "98.485% Params" "85.2 MMac" "(0-63): 64 x SLRU" "8.32 k" "1.539% Params" "1.33 MMac" \
    "4.16 k" "0.769% Params" "665.6 KMac" "0.781% MACs" "total parameters: 540.67 k" "trainable parameters: 540,672" \
    "macs_dense 85196800" "macs_total 86507520"
want brwkv "99.237% Params" "170.39 MMac" "(0-63): 64 x RWKV" "16.64 k" "1.551% Params" "2.66 MMac" \
    "rkv_dense: Linear(64 → 192, bias)" "12.48 k" "1.163% Params" "2.0 MMac" "1.172% MACs" "0.388% Params" \
    "0.391% MACs" "total parameters: 1.07 M" "trainable parameters: 1,073,152" "macs_dense 170393600" \
    "macs_total 174981120" "transcendentals 1310720"
# the default invocation is the seed configuration, all three layers
n=$("$lrb" complexity | grep -c 'trainable parameters')
[ "$n" -eq 3 ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL default: $n totals lines, expected 3"; }
# across sequence lengths: dense MACs scale with L (lru, H = U = 64: 16960 - 6U = 16576 MACs per token)
row=$("$lrb" complexity --layer lru --config H=64 --config U=64 --seq-lens 1,1000 | awk '$1 == 1000 {print $3}')
[ "$row" = 16576000 ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL seq-lens: macs_dense at L=1000 is '$row'"; }
echo "cli complexity: $pass passed, $fail failed"
[ $fail -eq 0 ]
