#!/usr/bin/python3
"""selftest_oracle.py — checks the float64 oracle of gen_golden.py and the RNG of lrb_rng.py against
closed forms and independent formulations, and the committed golden set against its closed-form cases.

What is checked (LAYERS.md §6.2 and TOOLING.md §9.4 / §10):
  * RNG: the vectorised uint64 code equals a plain-integer scalar implementation; SplitMix64's known first
    output; every `dist.` kind equals a scalar re-computation of its FORMAT.md formula, bit for bit.
  * scan: zero input gives exactly 0; an impulse gives lambda^t; a constant input gives
    (1 - lambda^{t+1}) / (1 - lambda) (t+1 at lambda = 1), real and complex, nu from 0 to 200.
  * wkv4: the stable (aa, bb, pp) loop equals the plain O(L^2) definition; wkv_0 = v_0 exactly; an
    initial pp of -1e38 and of -1e30 give identical outputs.
  * brwkv: equals its unrolled definition, computed directly in O(L^2).
  * lru: interleaved=1 equals planar with the rows of i_dense permuted.
  * glru: true_recurrence with K_R = 0 equals the plain layer (tied, untied, with a carry).
  * streaming, every recurrent layer: x[:L1] then x[L1:] from the returned state equals one pass, for
    L1 in {1, L/2, L-1}, and token by token.
  * rnn_wrapper: y[b,:,f,:] equals the inner layer f on x[b,:,f,:]^T (the intended mapping, B = 2).
  * the committed golden set (if present): zero-input, impulse and constant-input scans, zero-x layers
    (output = output bias exactly), constant LayerNorm rows (output = bias exactly), wkv_0 = v_0, the
    integer reset scan (integers, recomputed by running sums), shapes against the case table.

Exits 1 if any check fails. Run with /usr/bin/python3 from anywhere.
"""

import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep golden/ free of __pycache__
sys.path.insert(0, HERE)
import gen_golden as G  # noqa: E402
import lrb_rng as R  # noqa: E402

FAILS = []
COUNT = [0]


def check(ok, what):
    COUNT[0] += 1
    if not ok:
        FAILS.append(what)
        print("FAIL:", what)


def rel(a, b):
    """max |a - b| / max |b| (0 when both are 0)."""
    a, b = np.asarray(a), np.asarray(b)
    d = np.max(np.abs(a - b)) if a.size else 0.0
    s = np.max(np.abs(b)) if b.size else 0.0
    return d / s if s > 0 else (0.0 if d == 0 else np.inf)


def make_case(layer, seed=7, regime="init", state=0, dists=None, **keys):
    """A Case built like a line of the case table."""
    toks = ["%s/selftest" % layer, layer, "tier=1", "seed=%d" % seed, "regime=" + regime,
            "state=%d" % state]
    toks += ["%s=%s" % kv for kv in keys.items()]
    toks += ["dist.%s=%s" % kv for kv in (dists or {}).items()]
    return G._parse_line(" ".join(toks), 0)


def f64(d):
    return None if d is None else {k: v.astype(np.float64) for k, v in d.items()}


def run(case, X=None, S=None, P=None):
    P32, X32, S32 = G.materialise(case)
    P = f64(P32) if P is None else P
    X = f64(X32) if X is None else X
    S = f64(S32) if S is None else S
    with np.errstate(over="ignore", under="ignore"):
        return G.oracle(case.layer, case.cfg, P, X, S), P, X, S


# ---------------------------------------------------------------------------------------------------------

def test_rng():
    check(int(R.stream_z(0, 0, 1)[0]) == 0xE220A8397B1DCDAF, "SplitMix64 first output of seed 0")
    for s in (0, 1, 255, 256 * 12345 + 7, R.MASK64, R.MASK64 - 3, 1 << 63):
        for start in (0, 17, (1 << 40) + 5):
            v = R.stream_u(s, 9, start)
            ref = np.array([R.u_scalar(s, start + i) for i in range(9)])
            check(np.array_equal(v, ref), "stream_u vs scalar, stream %d start %d" % (s, start))
    # every distribution against a scalar re-computation of FORMAT.md
    seed, j, shape = 42, 1, (2, 5, 3)
    s = R.input_stream(seed, j)
    n = int(np.prod(shape))
    us = [R.u_scalar(s, i) for i in range(4 * n)]
    refs = {
        "u:-3:0.5": [-3.0 + (0.5 - (-3.0)) * us[i] for i in range(n)],
        "n:2.5": [(((us[4 * i] + us[4 * i + 1]) + us[4 * i + 2]) + us[4 * i + 3] - 2.0)
                  * (2.5 * 1.7320508075688772) for i in range(n)],
        "int:-3:3": [-3.0 + math.floor(us[i] * (3.0 - (-3.0) + 1.0)) for i in range(n)],
        "bern:0.3": [1.0 if us[i] < 0.3 else 0.0 for i in range(n)],
        "c:0.1": [0.1] * n,
    }
    for d, ref in refs.items():
        v = R.draw(d, s, shape)
        r32 = np.array(ref, dtype=np.float64).astype(np.float32).reshape(shape)
        check(v.dtype == np.float32 and np.array_equal(v.view(np.uint32), r32.view(np.uint32)),
              "dist %s bit-identical to scalar formula" % d)
    imp = R.draw("imp", s, shape)
    check(imp[:, 0].min() == 1.0 and imp[:, 1:].max() == 0.0 and imp.sum() == 2 * 3, "dist imp")
    imp = R.draw("imp", s, (2, 3, 4, 5), time_axis=3)
    check(imp[..., 0].min() == 1.0 and imp[..., 1:].max() == 0.0, "dist imp on the last axis")
    x = R.draw("n:1", R.input_stream(3, 0), (200000,)).astype(np.float64)
    check(abs(x.mean()) < 0.01 and abs(x.std() - 1.0) < 0.01, "n:1 has mean 0, std 1")
    i = R.draw("int:-3:3", R.input_stream(3, 1), (100000,))
    check(set(np.unique(i).tolist()) == set(range(-3, 4)), "int:-3:3 covers -3..3")


def _lam(nu_log, theta_log=None):
    lam = np.exp(-np.exp(nu_log))
    if theta_log is not None:
        th = np.exp(theta_log)
        lam = lam * np.cos(th) + 1j * (lam * np.sin(th))
    return lam


def test_scan_closed_forms():
    L = 300
    for cplx in (0, 1):
        for regime in ("numix", "nu0", "nu1em6", "nu200", "init") + (("numix_thmix", "nu0_th0", "nu1em3_thpi")
                                                                      if cplx else ()):
            D = 36 if "mix" in regime else 5
            for kind in ("c:0", "imp", "c:1"):
                case = make_case("scan", B=2, L=L, D=D, complex=cplx, regime=regime, dists={"b": kind})
                (h, st, _), P, X, _ = run(case)
                t = np.arange(L)[:, None]
                if cplx:
                    hc = h[..., :D] + 1j * h[..., D:]
                    u0 = 1.0 + 1.0j
                else:
                    hc, u0 = h, 1.0
                tag = "scan complex=%d %s b=%s" % (cplx, regime, kind)
                if kind == "c:0":
                    check(np.all(h == 0.0) and np.all(st["h"] == 0.0), tag + ": exactly zero")
                    continue
                with np.errstate(divide="ignore", invalid="ignore"):
                    if cplx:
                        logl = -np.exp(P["nu_log"]) + 1j * np.exp(P["theta_log"])
                    else:
                        logl = -np.exp(P["nu_log"])
                    pw = np.exp(t * logl)                      # lambda^t by exp(t log lambda)
                    if kind == "imp":
                        ref = u0 * pw
                    else:
                        # sum_{s<=t} lambda^s = expm1((t+1) log lambda) / expm1(log lambda); t+1 at lambda = 1
                        ref = u0 * np.where(logl == 0, (t + 1.0), np.expm1((t + 1) * logl) / np.expm1(logl))
                ref = np.broadcast_to(ref, hc.shape[1:])
                e = max(rel(hc[b], ref) for b in range(2))
                check(e < 1e-11, tag + ": closed form, rel err %.2e" % e)


def test_wkv():
    rng_case = make_case("wkv4", B=2, L=40, C=40, regime="tdmix_tfmix", dists={"k": "n:3"})
    (y, st, _), P, X, _ = run(rng_case)
    check(np.array_equal(y[:, 0], X["v"][:, 0]), "wkv4: wkv_0 = v_0 exactly")
    # plain definition, O(L^2), in float64 (|k| small enough not to overflow)
    w, u = -np.exp(P["time_decay"]), P["time_first"]
    k, v = X["k"], X["v"]
    L = k.shape[1]
    ref = np.empty_like(y)
    for t in range(L):
        i = np.arange(t)
        ex = np.exp((t - 1 - i)[None, :, None] * w + k[:, :t])  # (B, t, C)
        num = (ex * v[:, :t]).sum(1) + np.exp(u + k[:, t]) * v[:, t]
        den = ex.sum(1) + np.exp(u + k[:, t])
        ref[:, t] = num / den
    e = rel(y, ref)
    check(e < 1e-12, "wkv4 stable loop vs plain definition: %.2e" % e)
    # state: S = aa e^pp, Z = bb e^pp against the inclusive sums
    S = (np.exp((L - 1 - np.arange(L))[None, :, None] * w + k) * v).sum(1)
    Z = np.exp((L - 1 - np.arange(L))[None, :, None] * w + k).sum(1)
    check(rel(st["aa"] * np.exp(st["pp"]), S) < 1e-12 and rel(st["bb"] * np.exp(st["pp"]), Z) < 1e-12,
          "wkv4 final state represents (S, Z)")
    # pp = -1e38 and -1e30 as the empty state: identical outputs
    B, C = 2, 40
    for pp0 in (-1e38, -1e30):
        S0 = {"aa": np.zeros((B, C)), "bb": np.zeros((B, C)), "pp": np.full((B, C), pp0)}
        y2, _, _ = G.oracle("wkv4", rng_case.cfg, P, X, S0)
        check(np.array_equal(y2, y), "wkv4 initial pp %g gives identical outputs" % pp0)
    # stress: constant k = +-100 stays finite and wkv_0 = v_0
    for kc in ("c:100", "c:-100", "n:30"):
        c2 = make_case("wkv4", B=1, L=64, C=40, regime="tdmix_tfmix", dists={"k": kc})
        (y3, _, _), _, X3, _ = run(c2)
        check(np.isfinite(y3).all() and np.array_equal(y3[:, 0], X3["v"][:, 0]), "wkv4 k=%s finite" % kc)


def test_brwkv_unrolled():
    for regime, eps in (("init", 0), ("nu1_grand", 0), ("kshift8", 1e-6), ("numix", 0), ("nu1em6", 0),
                        ("nu0", 1e-6)):
        case = make_case("brwkv", B=2, L=23, H=7, U=9, regime=regime, eps_den=eps)
        (y, st, mids), P, X, _ = run(case)
        U = 9
        rkv = G.dense(X["x"], P["rkv_dense.weight"], P["rkv_dense.bias"])
        r, k, v = G.sigmoid(rkv[..., :U]), rkv[..., U:2 * U], rkv[..., 2 * U:]
        nu = np.exp(P["nu_log"])
        g1 = np.exp(P["nu_log"] + P["gamma_log"])  # 1 + gamma
        L = 23
        o = np.empty((2, L, U))
        for t in range(L):
            i = np.arange(t)
            ex = np.exp(-(t - i)[None, :, None] * nu + k[:, :t])
            num = (ex * v[:, :t]).sum(1) + g1 * np.exp(k[:, t]) * v[:, t]
            den = (ex.sum(1) + g1 * np.exp(k[:, t])) + eps
            with np.errstate(invalid="ignore", divide="ignore"):
                o[:, t] = np.where(den == 0, 0.0, r[:, t] * num / den)  # divide-no-nan
        ref = G.dense(o, P["o_dense.weight"], P["o_dense.bias"])
        e = rel(y, ref)
        check(e < 1e-10, "brwkv %s eps=%g vs unrolled definition: %.2e" % (regime, eps, e))
        # and against the formula as written, (S_t + gamma kv_t)/(Z_t + gamma e_t), in float64
        gam = g1 - 1.0
        S, Z = mids["scan_s"], mids["scan_z"]
        e_, kv_ = np.exp(k), np.exp(k) * v
        den = Z + gam * e_ + eps
        with np.errstate(invalid="ignore", divide="ignore"):
            o2 = np.where(den == 0, 0.0, r * (S + gam * kv_) / den)
        e = rel(y, G.dense(o2, P["o_dense.weight"], P["o_dense.bias"]))
        check(e < 1e-9, "brwkv %s eps=%g vs the formula as written: %.2e" % (regime, eps, e))


def test_lru_interleaved():
    c0 = make_case("lru", B=2, L=19, H=7, U=9, interleaved=0, regime="numix_thmix")
    c1 = make_case("lru", B=2, L=19, H=7, U=9, interleaved=1, regime="numix_thmix")
    (y0, s0, _), P, X, _ = run(c0)
    U = 9
    perm = np.empty(2 * U, dtype=int)
    perm[0::2], perm[1::2] = np.arange(U), U + np.arange(U)  # interleaved row 2j <- planar row j, ...
    P1 = dict(P)
    P1["i_dense.weight"] = P["i_dense.weight"][perm]
    P1["i_dense.bias"] = P["i_dense.bias"][perm]
    y1, s1, _ = G.oracle("lru", c1.cfg, P1, X)
    check(np.array_equal(y0, y1) and np.array_equal(s0["s"], s1["s"]), "lru interleaved = permuted planar")


def test_glru_kr0():
    for tied in (1, 0):
        for state in (0, 1):
            ca = make_case("glru", B=2, L=29, d_in=5, d_h=7, d_model=3, tied=tied, state=state)
            cb = make_case("glru", B=2, L=29, d_in=5, d_h=7, d_model=3, tied=tied, state=state,
                           true_recurrence=1, regime="kr0")
            (ya, sa, _), P, X, S = run(ca)
            Pb = dict(P)
            Pb["recurrent_proj.kernel"] = np.zeros((7, (3 if tied else 4) * 7))
            yb, sb, _ = G.oracle("glru", cb.cfg, Pb, X, S)
            e = max(rel(yb, ya), rel(sb["h"], sa["h"]))
            check(e < 1e-15, "glru true_recurrence K_R=0 = plain (tied=%d carry=%d): %.1e" % (tied, state, e))


def test_glru_products():
    """Plain glru against the unrolled scan h_t = sum_s (prod_{r=s+1..t} f_r) b_s + (prod_{r<=t} f_r) carry
    (GL's associative mode injects the carry as b_0 += f_0 * carry), with the gates written out again."""
    for tied, regime in ((1, "init"), (0, "init"), (1, "gbmix"), (0, "gb5")):
        case = make_case("glru", B=2, L=15, d_in=4, d_h=6, d_model=3, tied=tied, state=1, regime=regime)
        (y, st, _), P, X, S = run(case)
        dh = 6
        z = X["x"] @ P["proj.kernel"] + P["proj.bias"]
        sg = lambda q: 1.0 / (1.0 + np.exp(-q))  # noqa: E731  (moderate arguments only)
        xt = np.tanh(z[..., :dh])
        i = sg(z[..., dh:2 * dh])
        f = 1.0 - i if tied else sg(z[..., 2 * dh:3 * dh])
        o = sg(z[..., -dh:])
        b = xt * i
        b[:, 0] += f[:, 0] * S["h"]
        h = np.zeros_like(b)
        for t in range(15):
            for s_ in range(t + 1):
                h[:, t] += np.prod(f[:, s_ + 1:t + 1], axis=1) * b[:, s_]
        ref = (np.tanh(h) * o) @ P["out_proj.kernel"] + P["out_proj.bias"]
        e = max(rel(y, ref), rel(st["h"], h[:, -1]))
        check(e < 1e-12, "glru tied=%d %s vs unrolled products: %.1e" % (tied, regime, e))


STREAM_CASES = [
    ("scan", dict(B=2, L=21, D=5), "init", {}),
    ("scan", dict(B=2, L=21, D=5, complex=1), "numix_thmix", {}),
    ("scan", dict(B=2, L=21, D=5, decay="data"), "init", {"a": "u:0:1"}),
    ("scan", dict(B=2, L=21, D=5, decay="data", complex=1), "init", {"a": "u:-0.7:0.7"}),
    ("slru", dict(B=2, L=21, H=6, U=7), "numix", {}),
    ("lru", dict(B=2, L=21, H=6, U=7), "numix_thmix", {}),
    ("lru", dict(B=2, L=21, H=6, U=7, interleaved=1), "init", {}),
    ("brwkv", dict(B=2, L=21, H=6, U=7), "numix", {}),
    ("brwkv", dict(B=2, L=21, H=6, U=7, eps_den=1e-6), "kshift14", {}),
    ("wkv4", dict(B=2, L=21, C=40), "tdmix_tfmix", {"k": "n:30"}),
    ("rwkv4_timemix", dict(B=2, L=21, C=9), "kbig", {}),
    ("rwkv4_channelmix", dict(B=2, L=21, C=9), "init", {}),
    ("rwkv4_block", dict(B=2, L=21, C=9, ln0=1), "init", {}),
    ("glru", dict(B=2, L=21, d_in=4, d_h=6, d_model=3), "gbmix", {}),
    ("glru", dict(B=2, L=21, d_in=4, d_h=6, d_model=3, tied=0, true_recurrence=1), "init", {}),
    ("rnn_wrapper", dict(B=2, L=21, C=4, F=3, rnn="lru"), "init", {}),
    ("rnn_wrapper", dict(B=2, L=21, C=4, F=2, rnn="brwkv"), "init", {}),
    ("rnn_wrapper", dict(B=2, L=21, C=4, F=2, rnn="slru"), "init", {}),
]


def _split_time(layer, X, a, b):
    ax = 3 if layer == "rnn_wrapper" else 1
    out = {}
    for k, v in X.items():
        idx = [slice(None)] * v.ndim
        idx[ax] = slice(a, b)
        out[k] = v[tuple(idx)]
    return out, ax


def _with_L(case, L):
    c = dict(case.cfg)
    c["L"] = L
    return c


def test_streaming():
    for layer, keys, regime, dists in STREAM_CASES:
        for state in (0, 1):
            case = make_case(layer, regime=regime, state=state, dists=dists, **keys)
            (y, st, _), P, X, S = run(case)
            L = case.cfg["L"]
            tag = "streaming %s %s %s state=%d" % (layer, keys, regime, state)
            for L1 in (1, L // 2, L - 1):
                X1, ax = _split_time(layer, X, 0, L1)
                X2, _ = _split_time(layer, X, L1, L)
                y1, s1, _ = G.oracle(layer, _with_L(case, L1), P, X1, S)
                y2, s2, _ = G.oracle(layer, _with_L(case, L - L1), P, X2, s1)
                yy = np.concatenate([y1, y2], axis=ax)
                e = max([rel(yy, y)] + [rel(s2[n], st[n]) for n in st])
                check(e < 1e-13, tag + " L1=%d: %.1e" % (L1, e))
            # token by token (RNN mode against one pass)
            s, ys = S, []
            for t in range(L):
                Xt, ax = _split_time(layer, X, t, t + 1)
                yt, s, _ = G.oracle(layer, _with_L(case, 1), P, Xt, s)
                ys.append(yt)
            e = rel(np.concatenate(ys, axis=ax), y)
            check(e < 1e-13, tag + " token by token: %.1e" % e)


def test_wrapper_mapping():
    for rnn in ("lru", "slru", "brwkv"):
        case = make_case("rnn_wrapper", B=2, L=17, C=8, F=3, rnn=rnn, state=1)
        (y, st, _), P, X, S = run(case)
        ic = G._inner_cfg(case.cfg)
        ok = True
        for b in range(2):
            for f in range(3):
                Pf = {n: v[f] for n, v in P.items()}
                Sf = {n: v[b:b + 1, f] for n, v in S.items()}
                yf, sf, _ = G.oracle(rnn, dict(ic, B=1), Pf, {"x": X["x"][b:b + 1, :, f, :].transpose(0, 2, 1)}, Sf)
                ok &= np.array_equal(yf[0].T, y[b, :, f, :])
                for n in sf:
                    ok &= np.array_equal(sf[n][0], st[n][b, f])
        check(ok, "rnn_wrapper %s: y[b,:,f,:] = Layer_f(x[b,:,f,:]^T)^T, states (B, F, ...)" % rnn)


def test_zero_x_layers():
    for layer, keys in (("slru", dict(H=5, U=7)), ("lru", dict(H=5, U=7)), ("brwkv", dict(H=5, U=7)),
                        ("glru", dict(d_in=5, d_h=7, d_model=3)), ("glru", dict(d_in=5, d_h=7, d_model=3, tied=0))):
        for regime in ("zerobias", "zerobias_nu0") if layer != "glru" else ("zerobias", "zerobias_gb30"):
            case = make_case(layer, B=2, L=13, regime=regime, dists={"x": "c:0"}, **keys)
            (y, _, _), P, _, _ = run(case)
            bias = P["out_proj.bias"] if layer == "glru" else P["o_dense.bias"]
            check(np.array_equal(y, np.broadcast_to(bias, y.shape)), "%s %s x=0: output = output bias" %
                  (layer, regime))


def test_layernorm():
    case = make_case("layernorm", B=2, L=5, C=33, dists={"x": "u:100:101"})
    (y, _, _), P, X, _ = run(case)
    x = X["x"]
    ref = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5) * P["weight"] + P["bias"]
    check(rel(y, ref) < 1e-12, "layernorm vs np.var")


def test_timemix_first_token():
    case = make_case("rwkv4_timemix", B=2, L=5, C=9)
    (y, _, m), P, X, _ = run(case)
    xv = P["time_mix_v"][0] * X["x"][:, 0]
    xr = P["time_mix_r"][0] * X["x"][:, 0]
    v0 = xv @ P["value.weight"].T
    r0 = G.sigmoid(xr @ P["receptance.weight"].T)
    ref = (r0 * v0) @ P["output.weight"].T
    check(rel(y[:, 0], ref) < 1e-14, "rwkv4_timemix first token: W_o (r_0 * v_0)")


# ---------------------------------------------------------------------------------------------------------

def _load_case(name, root):
    d = os.path.join(root, "v1", name)
    return {f[:-4]: np.load(os.path.join(d, f)) for f in os.listdir(d)}


def test_committed(root):
    if not os.path.isdir(os.path.join(root, "v1")):
        print("(no committed golden set under %s: skipped)" % root)
        return
    cases = G.parse_cases(os.path.join(HERE, "cases.txt"))
    for case in cases:
        if case.tier != 1:
            continue
        d = os.path.join(root, "v1", case.name)
        check(os.path.isdir(d), "committed case %s exists" % case.name)
        if not os.path.isdir(d):
            continue
        F = _load_case(case.name, root)
        c = case.cfg
        # shapes and dtypes against the case table
        oname, oshape = G.output_of(case.layer, c)
        ok = F[oname].shape == tuple(oshape) and F[oname].dtype == np.dtype("<f8")
        for j, (n, shape, _) in enumerate(G.input_list(case.layer, c)):
            ok &= F[n].shape == tuple(shape) and F[n].dtype == np.dtype("<f4")
        for n, shape in G.state_list(case.layer, c):
            ok &= F["state_out." + n].shape == tuple(shape)
            if case.state:
                ok &= F["state_in." + n].shape == tuple(shape) and F["state_in." + n].dtype == np.dtype("<f4")
        for n, shape, present in G.param_list(case.layer, c):
            if case.layer == "rnn_wrapper":
                for f in range(c["F"]):
                    key = "rnn_layers.%d.%s" % (f, n)
                    ok &= (key in F) == present and (not present or F[key].shape == tuple(shape[1:]))
            else:
                ok &= (n in F) == present and (not present or F[n].shape == tuple(shape))
        check(ok, "committed %s: files, shapes and dtypes match the case table" % case.name)
        # inputs are reproducible from the RNG alone (what the C side does)
        for j, (n, shape, ax) in enumerate(G.input_list(case.layer, c)):
            x = R.draw(case.input_dist(n), R.input_stream(case.seed, j), shape, ax)
            check(np.array_equal(x.view(np.uint32), F[n].view(np.uint32)), "committed %s: %s from RNG" %
                  (case.name, n))
        layer = case.layer
        if layer == "scan" and case.dists.get("b") == "c:0":
            check(np.all(F["h"] == 0), "committed %s: zero input gives 0" % case.name)
        if layer == "scan" and case.dists.get("b") in ("imp", "c:1") and c["decay"] == "const":
            D, L = c["D"], c["L"]
            nl = F["nu_log"].astype(np.float64)
            logl = -np.exp(nl) + (1j * np.exp(F["theta_log"].astype(np.float64)) if c["complex"] else 0)
            t = np.arange(L)[:, None]
            with np.errstate(divide="ignore", invalid="ignore"):
                if case.dists["b"] == "imp":
                    ref = np.exp(t * logl)
                else:
                    ref = np.where(logl == 0, t + 1.0, np.expm1((t + 1) * logl) / np.expm1(logl))
            h = F["h"][0]
            hc = h[:, :D] + 1j * h[:, D:] if c["complex"] else h
            u0 = (1 + 1j) if c["complex"] else 1.0
            e = rel(hc, u0 * ref)
            check(e < 1e-11, "committed %s: closed form, %.1e" % (case.name, e))
        if case.regime.startswith("zerobias") and case.dists.get("x") == "c:0":
            bias = F["out_proj.bias"] if layer == "glru" else F["o_dense.bias"]
            check(np.array_equal(F["y"], np.broadcast_to(bias.astype(np.float64), F["y"].shape)),
                  "committed %s: x = 0 gives the output bias exactly" % case.name)
        if layer == "layernorm" and case.dists.get("x", "").startswith("c:"):
            check(np.array_equal(F["y"], np.broadcast_to(F["bias"].astype(np.float64), F["y"].shape)),
                  "committed %s: constant rows give the bias exactly" % case.name)
        if layer == "wkv4" and not case.state:
            check(np.array_equal(F["wkv"][:, 0], F["v"][:, 0].astype(np.float64)),
                  "committed %s: wkv_0 = v_0" % case.name)
        if layer == "scan" and case.dists.get("a", "").startswith("bern"):
            a, b, h = F["a"], F["b"], F["h"]
            ok = np.all(h == np.round(h)) and np.abs(h).max() < 2 ** 24
            run_ = np.zeros(h.shape[::2])
            ref = np.empty_like(h)
            for t in range(h.shape[1]):  # reset where a = 0, else a running sum
                run_ = np.where(a[:, t] == 0, 0.0, run_) + b[:, t]
                ref[:, t] = run_
            check(ok and np.array_equal(ref, h), "committed %s: integer reset scan exact" % case.name)


def main():
    np.seterr(over="ignore", under="ignore")
    for fn in (test_rng, test_scan_closed_forms, test_wkv, test_brwkv_unrolled, test_lru_interleaved,
               test_glru_kr0, test_glru_products, test_streaming, test_wrapper_mapping, test_zero_x_layers, test_layernorm,
               test_timemix_first_token):
        fn()
    root = sys.argv[1] if len(sys.argv) > 1 else HERE
    test_committed(root)
    print("%d checks, %d failed" % (COUNT[0], len(FAILS)))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
