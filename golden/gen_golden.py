#!/usr/bin/python3
"""gen_golden.py — the independent float64 NumPy oracle of lrb and the generator of its golden set.

For every case of golden/cases.txt (format: golden/FORMAT.md) of the selected tier this script

  1. draws the layer's parameters from the shared counter RNG (lrb_rng.py), stream seed*256+128+j for the
     parameter with index j in the layer's parameter list of LAYERS.md §7.1 (indices count absent biases
     too, so switching a bias off does not move the other streams), according to the case's `regime`;
  2. draws the inputs per `dist.<input>` (stream seed*256+j, FORMAT.md) and, with state=1, an initial state
     (stream seed*256+128+96+k for the layer's state number k);
  3. rounds all of them to float32, promotes exactly those values to float64 (complex128 for complex
     recurrences) and runs the oracle: straightforward sequential loops over time written from LAYERS.md,
     vectorised over batch and channels only (no chunking, no associative scan, nothing shared with C);
  4. writes v1/<name>/*.npy, VERSION, manifest.json and SHA256SUMS.

Regimes (how parameters are drawn). A regime is one word made of tokens joined by "_" (e.g.
`nu1em3_thpi_g0`); every token must be allowed for the layer, `init` is the neutral token, and the
default regime is `init`. Everything not named by a token is drawn as in `init`.

  every Linear (PyTorch layout): weight and bias ~ U(-1/sqrt(in), 1/sqrt(in)) (PyTorch's default).
  decay (scan with constant decay, slru, lru, brwkv, rnn_wrapper), per channel:
      init      the LRU ring initialisation of LAYERS.md §1.1 (nu in (0.001, 0.105]);
      nu0       nu_log = -inf, i.e. nu = 0 and |lambda| = 1 exactly;
      nu1em6, nu1em4, nu1em3, nu1, nu20, nu100, nu200
                nu = value * U(0.9, 1.1) (jittered +-10 % per channel, as in LAYERS.md §4.4);
      numix     channel c takes class c mod 9 of (0, 1e-6, 1e-4, 1e-3, init, 1, 20, 100, 200).
  phase (complex scan, lru), per channel: default theta = 2*pi*U[0,1) (theta_log = ln theta);
      th0 (theta_log = -inf, theta = 0), thpi (theta_log = ln pi), th2pim (theta = 2*pi - 1e-3),
      thmix (channel c takes class c mod 4 of (0, pi, 2*pi - 1e-3, uniform)).
  gamma: slru/lru init gamma_log = ln sqrt(1 - exp(-2 nu)) from the rounded nu_log (0 where nu = 0,
      where the formula gives -inf and would switch the channel off); brwkv init gamma_log = 0 (§1.4);
      g0 (gamma_log = 0), grand (gamma_log ~ U(-2, 2)).
  zerobias: the input projection's bias is exactly 0 (slru/lru i_dense.bias, brwkv rkv_dense.bias,
      glru proj.bias input block, and its gate blocks unless a gb token is given); with dist.x=c:0 the
      layer's output equals its output bias exactly (closed form of LAYERS.md §6.2).
  brwkv: kshift8 / kshift14 subtract 8 / 14 from the k block of rkv_dense.bias (LAYERS.md §1.4);
      kwide draws the k block of the bias from U(-25, 25) (|k| up to about 30).
  RWKV-4 (wkv4, rwkv4_timemix, rwkv4_block): init time_decay ~ U(-6, 4), time_first ~ U(-5, 5);
      tdm20, tdm10, tdm6, tdm5, td0, td3, td5, td10: time_decay = that value in every channel;
      tfm10, tfm5, tf0, tf3, tf10: time_first = that value; tdmix: channel c takes time_decay
      (-20,-10,-6,-5,0,3,5,10)[c mod 8]; tfmix: time_first (-10,-5,0,3,10)[(c div 8) mod 5] with tdmix
      (so C = 40 covers every pair), [c mod 5] without; kbig: key.weight range times 10 (k ~ N(0, 6)).
      time_mix_* ~ U(0, 1); LayerNorm weights ~ U(0.9, 1.1), biases ~ U(-0.1, 0.1).
  glru: proj.kernel ~ U(-sqrt(3/d_in), sqrt(3/d_in)) (LeCun variance), out_proj.kernel likewise with
      d_h, out_proj.bias ~ U(-1/sqrt(d_h), 1/sqrt(d_h)), proj.bias input block ~ U(-0.5, 0.5), gate blocks
      ~ U(-1, 1) in init; gb0, gb5, gbm5, gb10, gbm10, gb30, gbm30: every gate bias (i, o; untied also
      f) = that value; gbmix: channel c of gate i, f, o takes (0,5,-5,10,-10,30,-30)[(c + 0|2|4) mod 7];
      true_recurrence: recurrent_proj.kernel ~ U(-1/sqrt(d_h), 1/sqrt(d_h)), or 0 with kr0.
  layernorm (the layer): weight ~ U(0.5, 1.5), bias ~ U(-0.5, 0.5).
  rnn_wrapper: each inner parameter is drawn as one stacked (F, ...) array from its stream (j = its
      index in the inner layer's list), with the inner layer's tokens; file f holds row f.

Initial states (state=1): plain states ~ N(0, 1) (Irwin-Hall), glru h ~ U(-1, 1); RWKV-4 and brwkv
log-space/normaliser states: bb (z) ~ U(0.5, 3), aa (s) = bb * U(-1, 1), pp ~ U(-5, 5).

Decisions where the text leaves room (documented in manifest.json too): tied glru gates use
f = sigma(-z_i), the exact rewrite of 1 - sigma(z_i) that does not cancel in float64; brwkv's eps_den
is used in float64 as written in the case table, and the brwkv output is evaluated in the exactly
equivalent exclusive-sum form of LAYERS.md §1.4, (lam S_{t-1} + g kv_t)/(lam Z_{t-1} + g e_t) with
g = exp(nu_log + gamma_log), because the form as written cancels (gamma ~ -1) and would lose up to ~6
digits even in float64 at nu = 1e-6; the oracle of the glru carry starts h_{-1} = carry, and
in true-recurrence mode rho_0 = carry . K_R; the RWKV-4 token-shift states att_xx / ffn_xx hold the
previous token's input to the mix (the LayerNorm output inside rwkv4_block).

Intermediates, written only when small (<= MID_MAX elements each) to keep the committed set small:
slru/lru mid.z (input projection; lru raw, before the complex view) and mid.s (scan state before gamma,
lru planar); brwkv mid.rkv, mid.scan_s, mid.scan_z (inclusive sums), mid.o (gated quotient); glru
mid.z (projection, without the recurrent term) and mid.h; rwkv4_timemix mid.k, mid.v, mid.r (after the
sigmoid), mid.wkv; rwkv4_channelmix mid.kv, mid.r; rwkv4_block mid.ln1, mid.att, mid.ln2, mid.ffn.

Run with /usr/bin/python3 (Debian NumPy 1.24); no other dependency.
  gen_golden.py [--tier 1|2] [--out DIR] [--cases FILE] [--only SUBSTR] [--check]
"""

import argparse
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep golden/ free of __pycache__
sys.path.insert(0, HERE)
import lrb_rng  # noqa: E402

FORMAT_VERSION = 1
MID_MAX = 512           # largest intermediate tensor (elements) that is written
PARAM_BASE = 128        # parameter streams: seed*256 + 128 + j
STATE_BASE = 128 + 96   # initial-state streams: seed*256 + 224 + k

REQ = object()  # marks a configuration key without default

# ---------------------------------------------------------------------------------------------------------
# Layer tables: keys with defaults (FORMAT.md), parameter / input / output / state tensors.
# ---------------------------------------------------------------------------------------------------------

LAYER_KEYS = {
    "scan": dict(B=REQ, L=REQ, D=REQ, complex=0, decay="const", chunk=16),
    "slru": dict(B=REQ, L=REQ, H=REQ, U=REQ, use_bias=1, chunk=16),
    "lru": dict(B=REQ, L=REQ, H=REQ, U=REQ, use_bias=1, interleaved=0, chunk=16),
    "brwkv": dict(B=REQ, L=REQ, H=REQ, U=REQ, use_bias=1, eps_den=0.0, chunk=16),
    "wkv4": dict(B=REQ, L=REQ, C=REQ, chunk=16),
    "rwkv4_timemix": dict(B=REQ, L=REQ, C=REQ, chunk=16),
    "rwkv4_channelmix": dict(B=REQ, L=REQ, C=REQ, chunk=16),
    "rwkv4_block": dict(B=REQ, L=REQ, C=REQ, ln0=0, chunk=16),
    "glru": dict(B=REQ, L=REQ, d_in=REQ, d_h=REQ, d_model=REQ, tied=1, true_recurrence=0, chunk=16),
    "linear": {"B": REQ, "L": REQ, "in": REQ, "out": REQ, "bias": 1},
    "layernorm": dict(B=REQ, L=REQ, C=REQ, eps=1e-5),
    "rnn_wrapper": dict(B=REQ, L=REQ, C=REQ, F=REQ, rnn="lru", chunk=16),
}
STRING_KEYS = {"decay": ("const", "data"), "rnn": ("lru", "slru", "brwkv")}
FLAG_KEYS = ("complex", "use_bias", "interleaved", "ln0", "tied", "true_recurrence", "bias")
RECURRENT = {"scan", "slru", "lru", "brwkv", "wkv4", "rwkv4_timemix", "rwkv4_channelmix", "rwkv4_block",
             "glru", "rnn_wrapper"}


def param_list(layer, c):
    """[(name, shape, present)] in the order of LAYERS.md §7.1; j = position in this list."""
    if layer == "scan":
        D = c["D"]
        const = c["decay"] == "const"
        return [("nu_log", (D,), const), ("theta_log", (D,), const and c["complex"] == 1)]
    if layer == "slru":
        H, U, bias = c["H"], c["U"], c["use_bias"] == 1
        return [("i_dense.weight", (U, H), True), ("i_dense.bias", (U,), bias),
                ("o_dense.weight", (H, U), True), ("o_dense.bias", (H,), bias),
                ("params_log", (2, U), True)]
    if layer == "lru":
        H, U, bias = c["H"], c["U"], c["use_bias"] == 1
        return [("i_dense.weight", (2 * U, H), True), ("i_dense.bias", (2 * U,), bias),
                ("o_dense.weight", (H, 2 * U), True), ("o_dense.bias", (H,), bias),
                ("params_log", (3, U), True)]
    if layer == "brwkv":
        H, U, bias = c["H"], c["U"], c["use_bias"] == 1
        return [("rkv_dense.weight", (3 * U, H), True), ("rkv_dense.bias", (3 * U,), bias),
                ("o_dense.weight", (H, U), True), ("o_dense.bias", (H,), bias),
                ("nu_log", (U,), True), ("gamma_log", (U,), True)]
    if layer == "wkv4":
        C = c["C"]
        return [("time_decay", (C,), True), ("time_first", (C,), True)]
    if layer == "rwkv4_timemix":
        return _timemix_params(c["C"], "")
    if layer == "rwkv4_channelmix":
        return _channelmix_params(c["C"], "")
    if layer == "rwkv4_block":
        C = c["C"]
        ln0 = c["ln0"] == 1
        return ([("ln0.weight", (C,), ln0), ("ln0.bias", (C,), ln0),
                 ("ln1.weight", (C,), True), ("ln1.bias", (C,), True),
                 ("ln2.weight", (C,), True), ("ln2.bias", (C,), True)]
                + _timemix_params(C, "att.") + _channelmix_params(C, "ffn."))
    if layer == "glru":
        n = 3 if c["tied"] == 1 else 4
        dI, dh, dm = c["d_in"], c["d_h"], c["d_model"]
        return [("proj.kernel", (dI, n * dh), True), ("proj.bias", (n * dh,), True),
                ("out_proj.kernel", (dh, dm), True), ("out_proj.bias", (dm,), True),
                ("recurrent_proj.kernel", (dh, n * dh), c["true_recurrence"] == 1)]
    if layer == "linear":
        return [("weight", (c["out"], c["in"]), True), ("bias", (c["out"],), c["bias"] == 1)]
    if layer == "layernorm":
        C = c["C"]
        return [("weight", (C,), True), ("bias", (C,), True)]
    if layer == "rnn_wrapper":
        # Stacked (F, ...) here; written as F files rnn_layers.{f}.<name>.npy.
        inner = _inner_cfg(c)
        return [(n, (c["F"],) + s, p) for (n, s, p) in param_list(c["rnn"], inner)]
    raise KeyError(layer)


def _timemix_params(C, p):
    return [(p + "time_decay", (C,), True), (p + "time_first", (C,), True),
            (p + "time_mix_k", (1, 1, C), True), (p + "time_mix_v", (1, 1, C), True),
            (p + "time_mix_r", (1, 1, C), True),
            (p + "key.weight", (C, C), True), (p + "value.weight", (C, C), True),
            (p + "receptance.weight", (C, C), True), (p + "output.weight", (C, C), True)]


def _channelmix_params(C, p):
    return [(p + "time_mix_k", (1, 1, C), True), (p + "time_mix_r", (1, 1, C), True),
            (p + "key.weight", (4 * C, C), True), (p + "receptance.weight", (C, C), True),
            (p + "value.weight", (C, 4 * C), True)]


def _inner_cfg(c):
    """Configuration of the inner layer of rnn_wrapper: H = U = C, biases on (LAYERS.md §1.7)."""
    return dict(B=c["B"], L=c["L"], H=c["C"], U=c["C"], use_bias=1, interleaved=0, eps_den=0.0,
                chunk=c["chunk"])


def input_list(layer, c):
    """[(name, shape, time_axis)]; j = position (FORMAT.md)."""
    B, L = c["B"], c["L"]
    if layer == "scan":
        w = c["D"] * (1 + c["complex"])
        ins = [("b", (B, L, w), 1)]
        if c["decay"] == "data":
            ins.append(("a", (B, L, w), 1))
        return ins
    if layer in ("slru", "lru", "brwkv"):
        return [("x", (B, L, c["H"]), 1)]
    if layer == "wkv4":
        return [("k", (B, L, c["C"]), 1), ("v", (B, L, c["C"]), 1)]
    if layer in ("rwkv4_timemix", "rwkv4_channelmix", "rwkv4_block", "layernorm"):
        return [("x", (B, L, c["C"]), 1)]
    if layer == "glru":
        return [("x", (B, L, c["d_in"]), 1)]
    if layer == "linear":
        return [("x", (B, L, c["in"]), 1)]
    if layer == "rnn_wrapper":
        return [("x", (B, c["C"], c["F"], L), 3)]
    raise KeyError(layer)


def output_of(layer, c):
    B, L = c["B"], c["L"]
    if layer == "scan":
        return "h", (B, L, c["D"] * (1 + c["complex"]))
    if layer in ("slru", "lru", "brwkv"):
        return "y", (B, L, c["H"])
    if layer == "wkv4":
        return "wkv", (B, L, c["C"])
    if layer in ("rwkv4_timemix", "rwkv4_channelmix", "rwkv4_block", "layernorm"):
        return "y", (B, L, c["C"])
    if layer == "glru":
        return "y", (B, L, c["d_model"])
    if layer == "linear":
        return "y", (B, L, c["out"])
    if layer == "rnn_wrapper":
        return "y", (B, c["C"], c["F"], L)
    raise KeyError(layer)


def state_list(layer, c):
    """[(name, shape)] in the serialisation order of the catalogue / FORMAT.md."""
    B = c["B"]
    if layer == "scan":
        return [("h", (B, c["D"] * (1 + c["complex"])))]
    if layer == "slru":
        return [("s", (B, c["U"]))]
    if layer == "lru":
        return [("s", (B, 2 * c["U"]))]
    if layer == "brwkv":
        return [("s", (B, c["U"])), ("z", (B, c["U"]))]
    if layer == "wkv4":
        C = c["C"]
        return [("aa", (B, C)), ("bb", (B, C)), ("pp", (B, C))]
    if layer == "rwkv4_timemix":
        C = c["C"]
        return [("att_xx", (B, C)), ("att_aa", (B, C)), ("att_bb", (B, C)), ("att_pp", (B, C))]
    if layer == "rwkv4_channelmix":
        return [("ffn_xx", (B, c["C"]))]
    if layer == "rwkv4_block":
        C = c["C"]
        return [("ffn_xx", (B, C)), ("att_xx", (B, C)), ("att_aa", (B, C)), ("att_bb", (B, C)),
                ("att_pp", (B, C))]
    if layer == "glru":
        return [("h", (B, c["d_h"]))]
    if layer in ("linear", "layernorm"):
        return []
    if layer == "rnn_wrapper":
        inner = state_list(c["rnn"], _inner_cfg(c))
        return [(n, (B, c["F"]) + s[1:]) for (n, s) in inner]
    raise KeyError(layer)


# ---------------------------------------------------------------------------------------------------------
# The case table
# ---------------------------------------------------------------------------------------------------------

NAME_RE = re.compile(r"^([a-z0-9_]+)/([a-z0-9_]+)$")
INT_RE = re.compile(r"^[+-]?[0-9]+$")
# a finite decimal as harness/call.c reads it (float() would also take "nan", "inf", "1_0" and " 16")
NUM_RE = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")


class Case:
    def __init__(self, name, layer, tier, seed, regime, cfg, state, dists, lineno):
        self.name, self.layer, self.tier, self.seed = name, layer, tier, seed
        self.regime, self.cfg, self.state, self.dists, self.lineno = regime, cfg, state, dists, lineno

    def input_dist(self, name):
        return self.dists.get(name, "n:1")


def _parse_value(key, text):
    if key in STRING_KEYS:
        if text not in STRING_KEYS[key]:
            raise ValueError("%s must be one of %s" % (key, "|".join(STRING_KEYS[key])))
        return text
    if INT_RE.match(text):
        v = int(text)
    elif NUM_RE.match(text) and math.isfinite(float(text)):
        v = float(text)
    else:
        raise ValueError("%s=%s: expected a finite number" % (key, text))
    if key in FLAG_KEYS and v not in (0, 1):
        raise ValueError("%s must be 0 or 1" % key)
    return v


def fail(msg):
    """Bad input: one line on stderr, exit status 2."""
    print("gen_golden.py: " + msg, file=sys.stderr)
    sys.exit(2)


def parse_cases(path):
    cases, seen = [], set()
    try:
        with open(path) as fh:
            lines = fh.readlines()
    except (OSError, UnicodeDecodeError) as e:
        fail("--cases %s: cannot read (%s)" % (path, e.strerror if isinstance(e, OSError) else "not UTF-8 text"))
    for lineno, raw in enumerate(lines, 1):
        line = raw.split("#", 1)[0].strip()
        # benchmark cases (tier=bench) have no oracle; their L and BD may be sweeps (lists)
        if not line or "tier=bench" in line.split():
            continue
        try:
            cases.append(_parse_line(line, lineno))
        except (ValueError, KeyError) as e:
            fail("%s:%d: %s" % (path, lineno, e))
        if cases[-1].name in seen:
            fail("%s:%d: duplicate case name %s" % (path, lineno, cases[-1].name))
        seen.add(cases[-1].name)
    return cases


def _parse_line(line, lineno):
    f = line.split()
    if len(f) < 2:
        raise ValueError("need <name> <layer> ...")
    name, layer = f[0], f[1]
    m = NAME_RE.match(name)
    if not m or m.group(1) != layer:
        raise ValueError("name %r must be <layer>/<slug> with slug [a-z0-9_]+" % name)
    if layer not in LAYER_KEYS:
        raise ValueError("unknown layer %r" % layer)
    tier = seed = None
    regime, state, cfg, dists, given = "init", 0, {}, {}, set()
    for tok in f[2:]:
        if "=" not in tok:
            raise ValueError("expected key=value, got %r" % tok)
        k, v = tok.split("=", 1)
        # the C reader (harness/cases.c) refuses a key given twice and reads integers as plain digits
        # (int() would also take "+5" and "1_0"); both readers must accept the same lines
        if k in given:
            raise ValueError("%s given twice" % k)
        given.add(k)
        if k == "tier":
            if v not in ("1", "2"):
                raise ValueError("tier must be 1 or 2")
            tier = int(v)
        elif k == "seed":
            if not re.match(r"^[0-9]+$", v) or int(v) >= 2**64:
                raise ValueError("seed=%s: expected an unsigned integer" % v)
            seed = int(v)
        elif k == "regime":
            if not re.match(r"^[a-z0-9_]+$", v):
                raise ValueError("bad regime %r" % v)
            regime = v
        elif k == "state":
            if v not in ("0", "1"):
                raise ValueError("state must be 0 or 1")
            state = int(v)
        elif k.startswith("dist."):
            lrb_rng.Dist(v)  # validates
            dists[k[5:]] = v
        else:
            if k not in LAYER_KEYS[layer]:
                raise ValueError("layer %s has no key %r" % (layer, k))
            cfg[k] = _parse_value(k, v)
    if tier is None or seed is None:
        raise ValueError("tier= and seed= are required")
    full = {}
    for k, d in LAYER_KEYS[layer].items():
        if k in cfg:
            full[k] = cfg[k]
        elif d is REQ:
            raise ValueError("layer %s needs key %s" % (layer, k))
        else:
            full[k] = d
    for k in ("B", "L"):
        if int(full[k]) < 1:
            raise ValueError("%s must be >= 1" % k)
    inputs = [n for (n, _, _) in input_list(layer, full)]
    for d in dists:
        if d not in inputs:
            raise ValueError("layer %s has no input %r (inputs: %s)" % (layer, d, ", ".join(inputs)))
    if state == 1 and layer not in RECURRENT:
        raise ValueError("state=1 on a layer without state")
    case = Case(name, layer, tier, seed, regime, full, state, dists, lineno)
    Regime(layer, full, regime)  # validates the tokens
    return case


# ---------------------------------------------------------------------------------------------------------
# Regimes
# ---------------------------------------------------------------------------------------------------------

NU_VALUES = {"0": 0.0, "1em6": 1e-6, "1em4": 1e-4, "1em3": 1e-3, "1": 1.0, "20": 20.0, "100": 100.0,
             "200": 200.0}
NU_MIX = [0.0, 1e-6, 1e-4, 1e-3, "init", 1.0, 20.0, 100.0, 200.0]
TD_VALUES = [-20.0, -10.0, -6.0, -5.0, 0.0, 3.0, 5.0, 10.0]
TF_VALUES = [-10.0, -5.0, 0.0, 3.0, 10.0]
GB_VALUES = [0.0, 5.0, -5.0, 10.0, -10.0, 30.0, -30.0]

TOKEN_GROUPS = {
    "scan": {"nu", "th"},
    "slru": {"nu", "gamma", "zerobias"},
    "lru": {"nu", "th", "gamma", "zerobias"},
    "brwkv": {"nu", "gamma", "zerobias", "kshift", "kwide"},
    "wkv4": {"td", "tf"},
    "rwkv4_timemix": {"td", "tf", "kbig"},
    "rwkv4_channelmix": set(),
    "rwkv4_block": {"td", "tf", "kbig"},
    "glru": {"gb", "zerobias", "kr0"},
    "linear": set(),
    "layernorm": set(),
}


def _signed(tok, prefix):
    """'tdm20' -> -20.0, 'td3' -> 3.0 (m = minus)."""
    body = tok[len(prefix):]
    neg = body.startswith("m")
    body = body[1:] if neg else body
    if not body.isdigit():
        return None
    return -float(body) if neg else float(body)


class Regime:
    """The parsed tokens of a regime word; attributes hold the settings (None = as in init)."""

    def __init__(self, layer, cfg, word):
        self.word = word
        self.nu = self.th = self.gamma = self.td = self.tf = self.gb = None
        self.zerobias = self.kwide = self.kbig = self.kr0 = False
        self.kshift = 0.0
        if layer == "rnn_wrapper":
            layer = cfg["rnn"]
        allowed = TOKEN_GROUPS[layer]
        for tok in word.split("_"):
            if tok == "init":
                continue
            group = self._apply(tok)
            if group is None:
                raise ValueError("unknown regime token %r in %r" % (tok, word))
            if group not in allowed:
                raise ValueError("regime token %r does not apply to layer %s" % (tok, layer))
            if group == "th" and layer == "scan" and not (cfg["complex"] == 1 and cfg["decay"] == "const"):
                raise ValueError("phase tokens need complex=1 decay=const")
            if group == "nu" and layer == "scan" and cfg["decay"] != "const":
                raise ValueError("decay tokens need decay=const")
            if group == "kshift" and cfg.get("use_bias", 1) != 1:
                raise ValueError("kshift needs use_bias=1")

    def _apply(self, tok):
        if tok.startswith("nu"):
            if tok == "numix":
                self.nu = "mix"
                return "nu"
            if tok[2:] in NU_VALUES:
                self.nu = NU_VALUES[tok[2:]]
                return "nu"
            return None
        if tok in ("th0", "thpi", "th2pim", "thmix"):
            self.th = tok[2:]
            return "th"
        if tok in ("g0", "grand"):
            self.gamma = tok[1:]
            return "gamma"
        if tok == "zerobias":
            self.zerobias = True
            return "zerobias"
        if tok in ("kshift8", "kshift14"):
            self.kshift = -float(tok[6:])
            return "kshift"
        if tok == "kwide":
            self.kwide = True
            return "kwide"
        if tok == "kbig":
            self.kbig = True
            return "kbig"
        if tok == "kr0":
            self.kr0 = True
            return "kr0"
        # time_decay, time_first, gate bias: "<prefix>mix" or "<prefix><signed value of the table>"
        for group, values in (("td", TD_VALUES), ("tf", TF_VALUES), ("gb", GB_VALUES)):
            if tok.startswith(group):
                v = "mix" if tok == group + "mix" else _signed(tok, group)
                if v != "mix" and (v is None or v not in values):
                    return None
                setattr(self, group, v)
                return group
        return None


# ---------------------------------------------------------------------------------------------------------
# Parameter draws
# ---------------------------------------------------------------------------------------------------------

class ParamRng:
    """Parameter j of a case draws its u's from stream seed*256 + 128 + j, element = flat C index."""

    def __init__(self, seed, base=PARAM_BASE):
        self.seed, self.base = seed, base

    def u(self, j, shape):
        n = int(np.prod(shape, dtype=np.int64))
        s = (self.seed * 256 + self.base + j) & lrb_rng.MASK64
        return lrb_rng.stream_u(s, n).reshape(shape)

    def unif(self, j, shape, lo, hi):
        return lo + (hi - lo) * self.u(j, shape)

    def normal(self, j, shape, std):
        n = int(np.prod(shape, dtype=np.int64))
        s = (self.seed * 256 + self.base + j) & lrb_rng.MASK64
        u = lrb_rng.stream_u(s, 4 * n).reshape(n, 4)
        return ((((u[:, 0] + u[:, 1]) + u[:, 2]) + u[:, 3]) - 2.0).reshape(shape) * (std * math.sqrt(3.0))


def _chan(shape):
    """Channel index (last axis) broadcast to `shape`."""
    return np.broadcast_to(np.arange(shape[-1]), shape)


def _nu_log(u, reg):
    """nu_log per element from uniforms u (channel = last axis) under the decay setting of reg."""
    ring_r2 = u * (0.999 ** 2 - 0.9 ** 2) + 0.9 ** 2
    ring = np.log(-0.5 * np.log(ring_r2))

    def fixed(v):
        if v == 0.0:
            return np.full(u.shape, -np.inf)
        return np.log(v * (0.9 + 0.2 * u))

    if reg.nu is None:
        return ring
    if reg.nu == "mix":
        cls = _chan(u.shape) % len(NU_MIX)
        out = np.empty(u.shape)
        for i, v in enumerate(NU_MIX):
            sel = cls == i
            out[sel] = (ring if v == "init" else fixed(v))[sel]
        return out
    return fixed(reg.nu)


def _theta_log(u, reg):
    with np.errstate(divide="ignore"):
        uniform = np.log(2.0 * math.pi * u)  # u = 0 gives -inf (theta = 0), harmless
    vals = {"0": np.full(u.shape, -np.inf), "pi": np.full(u.shape, math.log(math.pi)),
            "2pim": np.full(u.shape, math.log(2.0 * math.pi - 1e-3))}
    if reg.th is None:
        return uniform
    if reg.th == "mix":
        cls = _chan(u.shape) % 4
        return np.select([cls == 0, cls == 1, cls == 2], [vals["0"], vals["pi"], vals["2pim"]], uniform)
    return vals[reg.th]


def _f32(a):
    return np.asarray(a, dtype=np.float64).astype(np.float32)


def _gamma_log_lru(nu_log_f32, u, reg):
    """slru/lru gamma_log: init ln sqrt(1 - e^{-2 nu}) from the rounded nu_log; g0; grand."""
    if reg.gamma == "0":
        return np.zeros(u.shape)
    if reg.gamma == "rand":
        return -2.0 + 4.0 * u
    nu = np.exp(nu_log_f32.astype(np.float64))
    with np.errstate(divide="ignore"):
        g = 0.5 * np.log(-np.expm1(-2.0 * nu))
    return np.where(nu == 0.0, 0.0, g)


def _linear(rng, j, shape, fan_in, scale=1.0):
    a = scale / math.sqrt(fan_in)
    return rng.unif(j, shape, -a, a)


def draw_params(layer, c, reg, rng, lead=()):
    """float64 parameter values (before rounding) for the present parameters, by name. `lead` is a
    leading shape (rnn_wrapper: (F,)) under which every parameter is drawn stacked from one stream."""
    if layer == "rnn_wrapper":
        return draw_params(c["rnn"], _inner_cfg(c), reg, rng, (c["F"],))
    assert lead == () or layer in ("slru", "lru", "brwkv")
    plist = [(n, tuple(lead) + tuple(s), p) for (n, s, p) in param_list(layer, c)]
    P = {}
    idx = {n: j for j, (n, _, _) in enumerate(plist)}
    shp = {n: s for (n, s, _) in plist}
    present = {n for (n, _, p) in plist if p}

    def lin(name, fan_in, scale=1.0):
        P[name] = _linear(rng, idx[name], shp[name], fan_in, scale)

    if layer == "scan":
        if "nu_log" in present:
            P["nu_log"] = _nu_log(rng.u(0, shp["nu_log"]), reg)
        if "theta_log" in present:
            P["theta_log"] = _theta_log(rng.u(1, shp["theta_log"]), reg)
    elif layer in ("slru", "lru"):
        H, U = c["H"], c["U"]
        lin("i_dense.weight", H)
        if "i_dense.bias" in present:
            lin("i_dense.bias", H)
            if reg.zerobias:
                P["i_dense.bias"] = np.zeros(shp["i_dense.bias"])
        w_o_in = U if layer == "slru" else 2 * U
        lin("o_dense.weight", w_o_in)
        if "o_dense.bias" in present:
            lin("o_dense.bias", w_o_in)
        s = shp["params_log"]
        u = rng.u(idx["params_log"], s)
        pl = np.empty(s)
        pl[..., 0, :] = _nu_log(u[..., 0, :], reg)
        nu_f32 = _f32(pl[..., 0, :])
        if layer == "lru":
            pl[..., 1, :] = _theta_log(u[..., 1, :], reg)
        pl[..., -1, :] = _gamma_log_lru(nu_f32, u[..., -1, :], reg)
        P["params_log"] = pl
    elif layer == "brwkv":
        H, U = c["H"], c["U"]
        lin("rkv_dense.weight", H)
        if "rkv_dense.bias" in present:
            s = shp["rkv_dense.bias"]
            u = rng.u(idx["rkv_dense.bias"], s)
            a = 1.0 / math.sqrt(H)
            b = -a + 2.0 * a * u
            if reg.zerobias:
                b = np.zeros(s)
            if reg.kwide:
                b[..., U:2 * U] = -25.0 + 50.0 * u[..., U:2 * U]
            b[..., U:2 * U] += reg.kshift
            P["rkv_dense.bias"] = b
        lin("o_dense.weight", U)
        if "o_dense.bias" in present:
            lin("o_dense.bias", U)
        P["nu_log"] = _nu_log(rng.u(idx["nu_log"], shp["nu_log"]), reg)
        ug = rng.u(idx["gamma_log"], shp["gamma_log"])
        P["gamma_log"] = (-2.0 + 4.0 * ug) if reg.gamma == "rand" else np.zeros(ug.shape)
    elif layer == "wkv4":
        _draw_wkv(P, rng, idx, shp, reg, "")
    elif layer == "rwkv4_timemix":
        _draw_timemix(P, rng, idx, shp, reg, c["C"], "")
    elif layer == "rwkv4_channelmix":
        _draw_channelmix(P, rng, idx, shp, c["C"], "")
    elif layer == "rwkv4_block":
        C = c["C"]
        for ln in ("ln0", "ln1", "ln2"):
            if ln + ".weight" in present:
                P[ln + ".weight"] = rng.unif(idx[ln + ".weight"], (C,), 0.9, 1.1)
                P[ln + ".bias"] = rng.unif(idx[ln + ".bias"], (C,), -0.1, 0.1)
        _draw_timemix(P, rng, idx, shp, reg, C, "att.")
        _draw_channelmix(P, rng, idx, shp, C, "ffn.")
    elif layer == "glru":
        dI, dh, dm = c["d_in"], c["d_h"], c["d_model"]
        n = 3 if c["tied"] == 1 else 4
        a = math.sqrt(3.0 / dI)
        P["proj.kernel"] = rng.unif(idx["proj.kernel"], shp["proj.kernel"], -a, a)
        u = rng.u(idx["proj.bias"], (n * dh,))
        b = np.empty(n * dh)
        b[:dh] = 0.0 if reg.zerobias else -0.5 + 1.0 * u[:dh]
        if reg.gb is None:
            b[dh:] = 0.0 if reg.zerobias else -1.0 + 2.0 * u[dh:]
        elif reg.gb == "mix":
            ch = np.arange(dh)
            for g in range(1, n):  # gate blocks: tied i, o; untied i, f, o
                off = {1: 0, 2: 2, 3: 4}[g] if n == 4 else {1: 0, 2: 4}[g]
                b[g * dh:(g + 1) * dh] = np.array(GB_VALUES)[(ch + off) % 7]
        else:
            b[dh:] = reg.gb
        P["proj.bias"] = b
        a = math.sqrt(3.0 / dh)
        P["out_proj.kernel"] = rng.unif(idx["out_proj.kernel"], shp["out_proj.kernel"], -a, a)
        P["out_proj.bias"] = _linear(rng, idx["out_proj.bias"], (dm,), dh)
        if "recurrent_proj.kernel" in present:
            if reg.kr0:
                P["recurrent_proj.kernel"] = np.zeros(shp["recurrent_proj.kernel"])
            else:
                lin("recurrent_proj.kernel", dh)
    elif layer == "linear":
        lin("weight", c["in"])
        if "bias" in present:
            lin("bias", c["in"])
    elif layer == "layernorm":
        P["weight"] = rng.unif(0, (c["C"],), 0.5, 1.5)
        P["bias"] = rng.unif(1, (c["C"],), -0.5, 0.5)
    else:
        raise KeyError(layer)
    return P


def _time_values(u, setting, values, base_lo, base_hi, mix_index):
    if setting is None:
        return base_lo + (base_hi - base_lo) * u
    if setting == "mix":
        return np.array(values)[mix_index % len(values)] + 0.0 * u
    return np.full(u.shape, setting)


def _draw_wkv(P, rng, idx, shp, reg, p):
    C = shp[p + "time_decay"][-1]
    ch = np.arange(C)
    P[p + "time_decay"] = _time_values(rng.u(idx[p + "time_decay"], (C,)), reg.td, TD_VALUES, -6.0, 4.0, ch)
    tf_idx = ch // 8 if reg.td == "mix" else ch
    P[p + "time_first"] = _time_values(rng.u(idx[p + "time_first"], (C,)), reg.tf, TF_VALUES, -5.0, 5.0,
                                       tf_idx)


def _draw_timemix(P, rng, idx, shp, reg, C, p):
    _draw_wkv(P, rng, idx, shp, reg, p)
    for m in ("k", "v", "r"):
        n = p + "time_mix_" + m
        P[n] = rng.unif(idx[n], (1, 1, C), 0.0, 1.0)
    for w in ("key", "value", "receptance", "output"):
        n = p + w + ".weight"
        P[n] = _linear(rng, idx[n], (C, C), C, 10.0 if (w == "key" and reg.kbig) else 1.0)


def _draw_channelmix(P, rng, idx, shp, C, p):
    for m in ("k", "r"):
        n = p + "time_mix_" + m
        P[n] = rng.unif(idx[n], (1, 1, C), 0.0, 1.0)
    P[p + "key.weight"] = _linear(rng, idx[p + "key.weight"], (4 * C, C), C)
    P[p + "receptance.weight"] = _linear(rng, idx[p + "receptance.weight"], (C, C), C)
    P[p + "value.weight"] = _linear(rng, idx[p + "value.weight"], (C, 4 * C), 4 * C)


def draw_state(layer, c, seed):
    """float64 initial state (before rounding), by state name; stream seed*256 + 224 + k."""
    rng = ParamRng(seed, STATE_BASE)
    sl = state_list(layer, c)
    S = {}
    base = c["rnn"] if layer == "rnn_wrapper" else layer
    for k, (name, shape) in enumerate(sl):
        if base == "glru":
            S[name] = rng.unif(k, shape, -1.0, 1.0)
        elif name in ("bb", "att_bb") or (base == "brwkv" and name == "z"):
            S[name] = rng.unif(k, shape, 0.5, 3.0)
        elif name in ("pp", "att_pp"):
            S[name] = rng.unif(k, shape, -5.0, 5.0)
        elif name in ("aa", "att_aa") or (base == "brwkv" and name == "s"):
            pass  # needs the normaliser: below
        else:
            S[name] = rng.normal(k, shape, 1.0)
    for k, (name, shape) in enumerate(sl):
        partner = {"aa": "bb", "att_aa": "att_bb"}.get(name)
        if base == "brwkv" and name == "s":
            partner = "z"
        if partner:
            S[name] = S[partner] * rng.unif(k, shape, -1.0, 1.0)
    return S


# ---------------------------------------------------------------------------------------------------------
# The oracle (float64 / complex128, sequential over time)
# ---------------------------------------------------------------------------------------------------------

def sigmoid(z):
    """Logistic function without overflow: exp of a non-positive argument only."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def dense(x, W, b=None):
    """PyTorch Linear: x . W^T + b, W (out, in)."""
    y = np.matmul(x, W.T)
    return y if b is None else y + b


def layer_norm(x, w, b, eps):
    """Two-pass LayerNorm over the last axis with the biased variance."""
    mu = x.mean(axis=-1, keepdims=True)
    d = x - mu
    var = (d * d).mean(axis=-1, keepdims=True)
    return d / np.sqrt(var + eps) * w + b


def linear_scan(a, b, h0):
    """h_t = a_t * h_{t-1} + b_t along axis 1 of b (B, L, D); a is (D,) (constant) or like b.

    Plain sequential loop, one multiply and one add per step (real or complex)."""
    const = a.ndim == 1
    bt = np.moveaxis(b, 1, 0)
    at = None if const else np.moveaxis(a, 1, 0)
    out = np.empty(bt.shape, dtype=np.result_type(a, b, h0))
    h = np.array(h0, dtype=out.dtype)
    for t in range(bt.shape[0]):
        h = (a if const else at[t]) * h + bt[t]
        out[t] = h
    return np.ascontiguousarray(np.moveaxis(out, 0, 1)), h


def _planar_to_complex(x):
    n = x.shape[-1] // 2
    return x[..., :n] + 1j * x[..., n:]


def _complex_to_planar(z):
    return np.concatenate([z.real, z.imag], axis=-1)


def wkv_stable(w, u, k, v, aa, bb, pp):
    """RWKV-4 WKV, the stable (aa, bb, pp) loop of LAYERS.md §2.4; k, v (B, L, C); w = -exp(time_decay)."""
    L = k.shape[1]
    out = np.empty(k.shape)
    aa, bb, pp = aa.copy(), bb.copy(), pp.copy()
    for t in range(L):
        kt, vt = k[:, t], v[:, t]
        ww = u + kt
        q = np.maximum(pp, ww)
        e1 = np.exp(pp - q)
        e2 = np.exp(ww - q)
        out[:, t] = (e1 * aa + e2 * vt) / (e1 * bb + e2)
        ww = pp + w
        q = np.maximum(ww, kt)
        e1 = np.exp(ww - q)
        e2 = np.exp(kt - q)
        aa = e1 * aa + e2 * vt
        bb = e1 * bb + e2
        pp = q
    return out, aa, bb, pp


def _empty_state(layer, c):
    S = {}
    for name, shape in state_list(layer, c):
        S[name] = np.full(shape, -1e38 if name in ("pp", "att_pp") else 0.0)
    return S


def oracle(layer, c, P, X, S0=None):
    """Run layer `layer` with configuration c on float64 parameters P and inputs X from state S0 (None:
    the empty state). Returns (output, final states by name, intermediates by name), all float64."""
    if S0 is None:
        S0 = _empty_state(layer, c)
    fn = globals()["_oracle_" + layer]
    return fn(c, P, X, S0)


def _oracle_scan(c, P, X, S0):
    b = X["b"]
    cplx = c["complex"] == 1
    h0 = S0["h"]
    if cplx:
        b, h0 = _planar_to_complex(b), _planar_to_complex(h0)
    if c["decay"] == "const":
        nu = np.exp(P["nu_log"])
        a = np.exp(-nu)
        if cplx:
            th = np.exp(P["theta_log"])
            a = a * np.cos(th) + 1j * (a * np.sin(th))
    else:
        a = _planar_to_complex(X["a"]) if cplx else X["a"]
    h, hl = linear_scan(a, b, h0)
    if cplx:
        h, hl = _complex_to_planar(h), _complex_to_planar(hl)
    return h, {"h": hl}, {}


def _oracle_slru(c, P, X, S0):
    z = dense(X["x"], P["i_dense.weight"], P.get("i_dense.bias"))
    nu_log, gamma_log = P["params_log"][0], P["params_log"][1]
    lam = np.exp(-np.exp(nu_log))
    s, sl = linear_scan(lam, z, S0["s"])
    h = np.exp(gamma_log) * s
    y = dense(h, P["o_dense.weight"], P.get("o_dense.bias"))
    return y, {"s": sl}, {"z": z, "s": s}


def _oracle_lru(c, P, X, S0):
    U = c["U"]
    z = dense(X["x"], P["i_dense.weight"], P.get("i_dense.bias"))
    if c["interleaved"] == 1:
        zc = z[..., 0::2] + 1j * z[..., 1::2]   # bert4keras order: rows 2j, 2j+1
    else:
        zc = z[..., :U] + 1j * z[..., U:]       # planar (canonical)
    nu = np.exp(P["params_log"][0])
    th = np.exp(P["params_log"][1])
    gam = np.exp(P["params_log"][2])
    mag = np.exp(-nu)
    lam = mag * np.cos(th) + 1j * (mag * np.sin(th))
    s, sl = linear_scan(lam, zc, _planar_to_complex(S0["s"]))
    h = gam * s
    y = dense(_complex_to_planar(h), P["o_dense.weight"], P.get("o_dense.bias"))
    return y, {"s": _complex_to_planar(sl)}, {"z": z, "s": _complex_to_planar(s)}


def _oracle_brwkv(c, P, X, S0):
    U = c["U"]
    rkv = dense(X["x"], P["rkv_dense.weight"], P.get("rkv_dense.bias"))
    r = sigmoid(rkv[..., :U])
    e = np.exp(rkv[..., U:2 * U])
    kv = e * rkv[..., 2 * U:]
    lam = np.exp(-np.exp(P["nu_log"]))
    g = np.exp(P["nu_log"] + P["gamma_log"])   # 1 + gamma, gamma = exp(nu_log + gamma_log) - 1
    # One scan over 2U channels: [S | Z], the inclusive sums (states and mid.scan_*).
    s0 = np.concatenate([S0["s"], S0["z"]], axis=-1)
    sz, szl = linear_scan(np.concatenate([lam, lam]), np.concatenate([kv, e], axis=-1), s0)
    S, Z = sz[..., :U], sz[..., U:]
    # The output in the exactly equivalent exclusive-sum form of LAYERS.md sec. 1.4,
    #   (S_t + gamma kv_t) / (Z_t + gamma e_t) = (lam S_{t-1} + g kv_t) / (lam Z_{t-1} + g e_t),
    # which does not cancel: as written, gamma = nu - 1 ~ -1 at small nu loses ~|log10 nu| digits even in
    # float64, enough to make the oracle depend on last-bit differences of exp between NumPy builds.
    prev = np.concatenate([s0[:, None, :], sz[:, :-1, :]], axis=1)
    num = lam * prev[..., :U] + g * kv
    den = lam * prev[..., U:] + g * e
    if c["eps_den"] != 0:
        den = den + float(c["eps_den"])
    q = np.zeros(den.shape)
    np.divide(num, den, out=q, where=den != 0)  # divide-no-nan: 0 where the denominator is exactly 0
    o = r * q
    y = dense(o, P["o_dense.weight"], P.get("o_dense.bias"))
    return y, {"s": szl[..., :U], "z": szl[..., U:]}, {"rkv": rkv, "scan_s": S, "scan_z": Z, "o": o}


def _oracle_wkv4(c, P, X, S0):
    w = -np.exp(P["time_decay"])
    out, aa, bb, pp = wkv_stable(w, P["time_first"], X["k"], X["v"], S0["aa"], S0["bb"], S0["pp"])
    return out, {"aa": aa, "bb": bb, "pp": pp}, {}


def _shift(x, prev):
    """Token shift: row t sees row t-1; row 0 sees the state `prev` (B, C)."""
    return np.concatenate([prev[:, None, :], x[:, :-1, :]], axis=1)


def _timemix(P, p, a, S0):
    prev = _shift(a, S0["att_xx"])
    mk, mv, mr = P[p + "time_mix_k"], P[p + "time_mix_v"], P[p + "time_mix_r"]
    xk = mk * a + (1.0 - mk) * prev
    xv = mv * a + (1.0 - mv) * prev
    xr = mr * a + (1.0 - mr) * prev
    k = dense(xk, P[p + "key.weight"])
    v = dense(xv, P[p + "value.weight"])
    r = sigmoid(dense(xr, P[p + "receptance.weight"]))
    w = -np.exp(P[p + "time_decay"])
    wkv, aa, bb, pp = wkv_stable(w, P[p + "time_first"], k, v, S0["att_aa"], S0["att_bb"], S0["att_pp"])
    out = dense(r * wkv, P[p + "output.weight"])
    st = {"att_xx": a[:, -1, :].copy(), "att_aa": aa, "att_bb": bb, "att_pp": pp}
    return out, st, {"k": k, "v": v, "r": r, "wkv": wkv}


def _channelmix(P, p, x, S0):
    prev = _shift(x, S0["ffn_xx"])
    mk, mr = P[p + "time_mix_k"], P[p + "time_mix_r"]
    xk = mk * x + (1.0 - mk) * prev
    xr = mr * x + (1.0 - mr) * prev
    kk = np.maximum(dense(xk, P[p + "key.weight"]), 0.0)
    kv = dense(kk * kk, P[p + "value.weight"])
    r = sigmoid(dense(xr, P[p + "receptance.weight"]))
    return r * kv, {"ffn_xx": x[:, -1, :].copy()}, {"kv": kv, "r": r}


def _oracle_rwkv4_timemix(c, P, X, S0):
    return _timemix(P, "", X["x"], S0)


def _oracle_rwkv4_channelmix(c, P, X, S0):
    return _channelmix(P, "", X["x"], S0)


LN_EPS_RWKV = 1e-5


def _oracle_rwkv4_block(c, P, X, S0):
    x = X["x"]
    if c["ln0"] == 1:
        x = layer_norm(x, P["ln0.weight"], P["ln0.bias"], LN_EPS_RWKV)
    a = layer_norm(x, P["ln1.weight"], P["ln1.bias"], LN_EPS_RWKV)
    att, st_a, _ = _timemix(P, "att.", a, S0)
    x1 = x + att
    cc = layer_norm(x1, P["ln2.weight"], P["ln2.bias"], LN_EPS_RWKV)
    ffn, st_f, _ = _channelmix(P, "ffn.", cc, S0)
    y = x1 + ffn
    st = {"ffn_xx": st_f["ffn_xx"]}
    st.update(st_a)
    return y, st, {"ln1": a, "att": att, "ln2": cc, "ffn": ffn}


def _glru_gates(zt, dh, tied):
    xt = np.tanh(zt[..., :dh])
    if tied:
        zi = zt[..., dh:2 * dh]
        i, f, o = sigmoid(zi), sigmoid(-zi), sigmoid(zt[..., 2 * dh:3 * dh])  # f = 1 - sigma(z_i)
    else:
        i = sigmoid(zt[..., dh:2 * dh])
        f = sigmoid(zt[..., 2 * dh:3 * dh])
        o = sigmoid(zt[..., 3 * dh:4 * dh])
    return xt, i, f, o


def _oracle_glru(c, P, X, S0):
    dh = c["d_h"]
    tied = c["tied"] == 1
    z = np.matmul(X["x"], P["proj.kernel"]) + P["proj.bias"]   # flax Dense: kernel (in, out)
    h = S0["h"].copy()
    L = z.shape[1]
    hs = np.empty(z.shape[:2] + (dh,))
    os_ = np.empty(z.shape[:2] + (dh,))
    if c["true_recurrence"] == 1:
        KR = P["recurrent_proj.kernel"]
        for t in range(L):
            xt, i, f, o = _glru_gates(z[:, t] + np.matmul(h, KR), dh, tied)
            h = f * h + xt * i
            hs[:, t], os_[:, t] = h, o
    else:
        xt, i, f, o = _glru_gates(z, dh, tied)
        hs, h = linear_scan(f, xt * i, h)
        os_ = o
    y = np.tanh(hs) * os_
    out = np.matmul(y, P["out_proj.kernel"]) + P["out_proj.bias"]
    return out, {"h": h}, {"z": z, "h": hs}


def _oracle_linear(c, P, X, S0):
    return dense(X["x"], P["weight"], P.get("bias")), {}, {}


def _oracle_layernorm(c, P, X, S0):
    return layer_norm(X["x"], P["weight"], P["bias"], float(c["eps"])), {}, {}


def _oracle_rnn_wrapper(c, P, X, S0):
    """y[b, :, f, :] = Layer_f(x[b, :, f, :]^T)^T (LAYERS.md §1.7, intended mapping for every B)."""
    inner, ic = c["rnn"], _inner_cfg(c)
    x = X["x"]
    y = np.empty(x.shape)
    states = {n: np.empty(s) for (n, s) in state_list("rnn_wrapper", c)}
    for f in range(c["F"]):
        Pf = {n: v[f] for n, v in P.items()}
        Sf = {n: v[:, f] for n, v in S0.items()}
        yf, sf, _ = oracle(inner, ic, Pf, {"x": np.ascontiguousarray(x[:, :, f, :].transpose(0, 2, 1))}, Sf)
        y[:, :, f, :] = yf.transpose(0, 2, 1)
        for n, v in sf.items():
            states[n][:, f] = v
    return y, states, {}


# ---------------------------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------------------------

def _save(path, arr, dtype):
    np.save(path, np.ascontiguousarray(np.asarray(arr).astype(dtype)))


def materialise(case):
    """Draw and round everything of a case. Returns (P32, X32, S32 or None) as float32 dicts."""
    c, layer = case.cfg, case.layer
    reg = Regime(layer, c, case.regime)
    P = draw_params(layer, c, reg, ParamRng(case.seed))
    P32 = {n: _f32(v) for n, v in P.items()}
    X32 = {}
    for j, (name, shape, taxis) in enumerate(input_list(layer, c)):
        X32[name] = lrb_rng.Dist(case.input_dist(name)).sample(lrb_rng.input_stream(case.seed, j), shape,
                                                                taxis)
    S32 = None
    if case.state == 1:
        S32 = {n: _f32(v) for n, v in draw_state(layer, c, case.seed).items()}
    return P32, X32, S32


def run_case(case):
    P32, X32, S32 = materialise(case)
    P = {n: v.astype(np.float64) for n, v in P32.items()}
    X = {n: v.astype(np.float64) for n, v in X32.items()}
    S = None if S32 is None else {n: v.astype(np.float64) for n, v in S32.items()}
    with np.errstate(over="ignore", under="ignore"):
        out, st, mids = oracle(case.layer, case.cfg, P, X, S)
    return P32, X32, S32, out, st, mids


def write_case(case, root):
    d = os.path.join(root, "v1", case.name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    P32, X32, S32, out, st, mids = run_case(case)
    files = []

    def put(fname, arr, dtype, role):
        _save(os.path.join(d, fname), arr, dtype)
        files.append({"file": fname, "role": role, "dtype": dtype, "shape": list(np.shape(arr))})

    if case.layer == "rnn_wrapper":
        for n, v in P32.items():
            for f in range(case.cfg["F"]):
                put("rnn_layers.%d.%s.npy" % (f, n), v[f], "<f4", "param")
    else:
        for n, v in P32.items():
            put(n + ".npy", v, "<f4", "param")
    for n, v in X32.items():
        put(n + ".npy", v, "<f4", "input")
    if S32 is not None:
        for n, v in S32.items():
            put("state_in.%s.npy" % n, v, "<f4", "state_in")
    oname, oshape = output_of(case.layer, case.cfg)
    assert out.shape == tuple(oshape), (case.name, out.shape, oshape)
    put(oname + ".npy", out, "<f8", "output")
    for n, shape in state_list(case.layer, case.cfg):
        assert st[n].shape == tuple(shape), (case.name, n, st[n].shape, shape)
        put("state_out.%s.npy" % n, st[n], "<f8", "state_out")
    for n, v in mids.items():
        if v.size <= MID_MAX:
            put("mid.%s.npy" % n, v, "<f8", "mid")
    return files


def manifest_entry(case, files):
    reg = Regime(case.layer, case.cfg, case.regime)
    ins = input_list(case.layer, case.cfg)
    return {
        "name": case.name,
        "layer": case.layer,
        "tier": case.tier,
        "seed": case.seed,
        "regime": case.regime,
        "regime_tokens": [t for t in case.regime.split("_")],
        "config": case.cfg,
        "state": case.state,
        "dists": {n: case.input_dist(n) for (n, _, _) in ins},
        "input_streams": {n: lrb_rng.input_stream(case.seed, j) for j, (n, _, _) in enumerate(ins)},
        "param_streams": "seed*256+128+j, j = index in the layer's parameter list (LAYERS.md 7.1)",
        "files": sorted(files, key=lambda f: f["file"]),
        "oracle": _ORACLE_NOTES.get(case.layer, ""),
        "zero_input_bias": reg.zerobias,
    }


_ORACLE_NOTES = {
    "scan": "float64/complex128 sequential h_t = a_t h_{t-1} + b_t; lambda = exp(-exp(nu_log)) "
            "[* exp(i exp(theta_log))]",
    "slru": "float64 sequential; s = scan state before gamma; mid.z input projection, mid.s scan",
    "lru": "complex128 sequential, planar (interleaved reads rows 2j, 2j+1); s planar [re|im]",
    "brwkv": "float64 sequential; output in the exclusive-sum form (lam S_{t-1} + g kv)/(lam Z_{t-1} + g e), "
             "g = 1 + gamma = exp(nu_log+gamma_log); divide-no-nan; eps_den in float64; s, z inclusive sums",
    "wkv4": "float64 stable (aa, bb, pp) loop, empty pp = -1e38, w = -exp(time_decay)",
    "rwkv4_timemix": "float64; token shift from att_xx; stable WKV",
    "rwkv4_channelmix": "float64; token shift from ffn_xx; squared ReLU",
    "rwkv4_block": "float64; LayerNorm eps 1e-5 two-pass biased variance; state order ffn_xx, att_*",
    "glru": "float64 sequential; tied f = sigmoid(-z_i); true recurrence adds h_{t-1} K_R before "
            "the activations",
    "linear": "float64 x W^T + b",
    "layernorm": "float64 two-pass, biased variance",
    "rnn_wrapper": "intended mapping y[b,:,f,:] = Layer_f(x[b,:,f,:]^T)^T; states (B, F, ...)",
}


def git_hash():
    try:
        r = subprocess.run(["git", "-C", HERE, "rev-parse", "HEAD"], capture_output=True, text=True,
                           timeout=10)
        return r.stdout.strip() if r.returncode == 0 and r.stdout.strip() else None
    except (OSError, subprocess.SubprocessError):
        return None


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_sums(root, case_names):
    lines = []
    for name in case_names:
        d = os.path.join(root, "v1", name)
        if not os.path.isdir(d):
            continue
        for fn in os.listdir(d):
            rel = "v1/%s/%s" % (name, fn)
            lines.append((rel, sha256_file(os.path.join(root, rel))))
    lines.sort()
    with open(os.path.join(root, "SHA256SUMS"), "w") as fh:
        for rel, hx in lines:
            fh.write("%s  %s\n" % (hx, rel))


def generate(cases, root, tier, only, verbose=True):
    sel = [k for k in cases if k.tier == tier and (only is None or only in k.name)]
    os.makedirs(root, exist_ok=True)
    if only is None and os.path.isdir(os.path.join(root, "v1")):
        shutil.rmtree(os.path.join(root, "v1"))  # full regeneration: no stale case directories
    mpath = os.path.join(root, "manifest.json")
    entries = {}
    if only is not None and os.path.exists(mpath):
        with open(mpath) as fh:
            old = json.load(fh)
        if old.get("tier") == tier:
            entries = {e["name"]: e for e in old.get("cases", [])}
    t0 = time.time()
    for k in sel:
        t1 = time.time()
        files = write_case(k, root)
        entries[k.name] = manifest_entry(k, files)
        if verbose:
            print("  %-48s %6.2f s" % (k.name, time.time() - t1), flush=True)
    names_in_table = [k.name for k in cases if k.tier == tier]
    entries = {n: entries[n] for n in names_in_table if n in entries}
    with open(os.path.join(root, "VERSION"), "w") as fh:
        fh.write("1\n")
    manifest = {
        "format_version": FORMAT_VERSION,
        "tier": tier,
        "numpy_version": np.__version__,
        "generator": "golden/gen_golden.py",
        "generator_git_hash": git_hash(),
        "rng": "lrb_rng.py: SplitMix64 counter RNG, TOOLING.md 9.4; inputs stream seed*256+j, "
               "parameters seed*256+128+j, initial states seed*256+224+k",
        "cases": [entries[n] for n in names_in_table if n in entries],
    }
    _write_manifest(mpath, manifest)
    write_sums(root, names_in_table)
    return len(sel), time.time() - t0


DECISIONS = [
    "oracle: float64 (complex128) from the float32-rounded parameters, inputs and initial states",
    "glru tied: f = sigmoid(-z_i), the exact rewrite of 1 - sigmoid(z_i) without cancellation",
    "glru carry: h_{-1} = carry; with true_recurrence rho_0 = carry . K_R",
    "brwkv: eps_den is added to the denominator in float64 exactly as written in the case table; "
    "quotient 0 where the (shifted) denominator is exactly 0",
    "brwkv: the oracle evaluates the output in the exactly equivalent cancellation-free exclusive-sum form "
    "of LAYERS.md 1.4 (the form as written loses digits in float64 at small nu); states are the inclusive "
    "sums S, Z",
    "slru/lru init gamma_log where nu = 0 (nu_log = -inf): 0 instead of -inf",
    "rwkv4 states: att_xx / ffn_xx hold the previous token's input to the mix (the LayerNorm output)",
    "mid.* intermediates only where a tensor has at most %d elements" % MID_MAX,
    "rnn_wrapper parameters: one stacked (F, ...) draw per inner parameter name, row f -> file f",
]


def _write_manifest(path, manifest):
    """JSON with one case per line: small, and diffs stay readable."""
    head = {k: v for k, v in manifest.items() if k != "cases"}
    head["decisions"] = DECISIONS
    with open(path, "w") as fh:
        fh.write("{\n")
        for k in sorted(head):
            fh.write(" %s: %s,\n" % (json.dumps(k), json.dumps(head[k], sort_keys=True)))
        fh.write(' "cases": [\n')
        rows = [json.dumps(e, sort_keys=True, separators=(",", ":")) for e in manifest["cases"]]
        fh.write(",\n".join("  " + r for r in rows))
        fh.write("\n ]\n}\n")


def _load(path):
    return np.load(path, allow_pickle=False)


def check(cases, committed, only):
    """Regenerate tier 1 into a temporary directory and compare with `committed`."""
    bad = 0
    with tempfile.TemporaryDirectory(prefix="lrb_golden_check_") as tmp:
        n, dt = generate(cases, tmp, 1, only, verbose=False)
        print("regenerated %d tier-1 cases in %.1f s" % (n, dt))
        for k in cases:
            if k.tier != 1 or (only is not None and only not in k.name):
                continue
            dn, dc = os.path.join(tmp, "v1", k.name), os.path.join(committed, "v1", k.name)
            if not os.path.isdir(dc):
                print("MISSING case %s" % k.name)
                bad += 1
                continue
            fn, fc = set(os.listdir(dn)), set(os.listdir(dc))
            if fn != fc:
                print("FILES differ in %s: new-only %s, committed-only %s" % (k.name, sorted(fn - fc),
                                                                              sorted(fc - fn)))
                bad += 1
            for f in sorted(fn & fc):
                a, b = _load(os.path.join(dn, f)), _load(os.path.join(dc, f))
                why = _compare(a, b)
                if why:
                    print("MISMATCH %s/%s: %s" % (k.name, f, why))
                    bad += 1
        # The committed checksum file must describe the committed files.
        sums = os.path.join(committed, "SHA256SUMS")
        if only is None and os.path.exists(sums):
            with open(sums) as fh:
                for line in fh:
                    hx, rel = line.rstrip("\n").split("  ", 1)
                    p = os.path.join(committed, rel)
                    if not os.path.exists(p) or sha256_file(p) != hx:
                        print("SHA256 mismatch: %s" % rel)
                        bad += 1
    print("check: %s (%d problem(s))" % ("OK" if bad == 0 else "FAILED", bad))
    return bad == 0


def _compare(a, b):
    if a.dtype != b.dtype:
        return "dtype %s vs %s" % (a.dtype, b.dtype)
    if a.shape != b.shape:
        return "shape %s vs %s" % (a.shape, b.shape)
    if a.dtype == np.float32:
        if not np.array_equal(a.view(np.uint32), b.view(np.uint32)):
            return "float32 values differ (must be bit-identical)"
        return None
    fa, fb = np.isfinite(a), np.isfinite(b)
    if not np.array_equal(fa, fb) or not np.array_equal(a[~fa], b[~fb], equal_nan=True):
        return "non-finite values differ"
    if a.size == 0:
        return None
    diff = np.max(np.abs(a[fa] - b[fb])) if fa.any() else 0.0
    scale = np.max(np.abs(b[fb])) if fb.any() else 0.0
    if diff > 1e-15 * scale or (scale == 0.0 and diff != 0.0):
        return "max abs diff %.3g relative %.3g > 1e-15" % (diff, diff / scale if scale else np.inf)
    return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tier", type=int, choices=(1, 2), default=1)
    ap.add_argument("--out", default=HERE, help="output directory (default: golden/)")
    ap.add_argument("--cases", default=os.path.join(HERE, "cases.txt"))
    ap.add_argument("--only", default=None, help="only cases whose name contains SUBSTR")
    ap.add_argument("--check", action="store_true",
                    help="regenerate tier 1 into a temporary directory and compare with --out")
    ap.add_argument("-q", "--quiet", action="store_true")
    ap.error = lambda msg: fail(msg)  # one line, exit 2 (argparse prints its usage too)
    a = ap.parse_args(argv)
    cases = parse_cases(a.cases)
    if a.check and a.tier != 1:
        fail("--check compares tier 1 (the committed set); tier 2 is generated, not committed")
    # a selection that matches nothing would rewrite the manifest and report success
    if not any(k.tier == a.tier and (a.only is None or a.only in k.name) for k in cases):
        fail("no tier-%d case in %s%s" % (a.tier, a.cases, "" if a.only is None else " matches --only " + a.only))
    if a.check:
        if not os.path.isdir(a.out):
            fail("--out %s: not a directory (--check compares with a generated golden set)" % a.out)
        return 0 if check(cases, a.out, a.only) else 1
    if os.path.exists(a.out) and not os.path.isdir(a.out):
        fail("--out %s: exists and is not a directory" % a.out)
    try:
        os.makedirs(a.out, exist_ok=True)
    except OSError as e:
        fail("--out %s: cannot create (%s)" % (a.out, e.strerror))
    n, dt = generate(cases, a.out, a.tier, a.only, verbose=not a.quiet)
    print("generated %d tier-%d case(s) into %s in %.1f s" % (n, a.tier, a.out, dt))
    return 0


if __name__ == "__main__":
    sys.exit(main())
