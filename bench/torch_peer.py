#!/usr/bin/env python3
"""PyTorch peer timings for lrb: the seed's algorithms in PyTorch eager, on lrb's benchmark shapes.

lrb_bench times its C variants; this script times what a PyTorch user of the seed (LAYERS.md §1, the
PyTorch port "PT") would run on the same layers and shapes, so the report can put both side by side:

  torch.seq  the sequential recurrence as a Python loop over time (one fused op per step)
  torch.ul   the Upper/Lower scan of LAYERS.md §1.5 the way the port writes it: pad to N = 2^m, then per
             level a power table exp(p·log λ) for p = 1..h, and a block update of every upper half from
             its lower half's last element, building a new tensor per level (cat)

Families (names as bench/FORMAT.md): scan (real constant decay), scan_cplx (complex; planar input and
output), slru, lru (planar complex), brwkv (exact division, divide-no-nan), and the seed wrapper
seed_lru/seed_slru/seed_brwkv (64 independent layers on x (1, 64, 64, 160)). Parameters are random with
the init ranges of LAYERS.md §1.1 from a fixed-seed torch generator (values do not matter for timing).

Output: Google Benchmark 1.7.1-shaped JSON (per repetition an `iteration` row, then mean, median,
stddev and cv aggregate rows, as GB writes them when repetitions >= 2), times in microseconds.

usage: torch_peer.py [--out FILE.json] [--sweep ci|full] [--reps N] [--min-time S] [--threads N]
                     [--only-small] [--filter REGEX] [--list]
Without --out the JSON goes to stdout and the progress lines to stderr.
Without PyTorch it writes nothing, says so and exits 0 (the report then notes the absence).

Timing follows Google Benchmark: after a warm-up call, the first repetition grows its iteration count until
one batch lasts >= --min-time, later repetitions reuse that count; at least one call per repetition, so
slow instances simply run fewer iterations. real_time is wall time per call; cpu_time is this thread's CPU
time per call, as GB measures it (with --threads > 1 torch's worker threads are not in it). Subnormals are
flushed (torch.set_flush_denormal), as lrb's CPU timing runs do (decision 10); recorded as ftz_daz.

Skip rule: every instance gets a modelled time per call (`estimate_call_s`: ~8 µs of Python/dispatch per
loop step for torch.seq plus per-float terms; Upper/Lower per level and per padded float; constants
measured with PyTorch 1.13 on one core and rounded up). An instance whose modelled call exceeds the
sweep's per-call budget (ci 0.25 s, full 6.0 s; --call-budget) is not run, and a line "skip <name>: ..."
says so (the context's `skipped` lists them). With today's shapes and element caps nothing is skipped: the most expensive calls
are torch.ul of lru/brwkv at L = 16384 in ci (modelled 0.19 s, measured ~0.13 s) and torch.ul of scan at
L = 65536, B·D = 256 in full (modelled 1.3 s, measured 1.0 s; torch.seq of lru at L = 65536 is 0.7 s); the
modelled totals are ~55 s for ci (measured 55 s on 2 cores) and ~9 min for full. The budget is the guard
that keeps ci within 3 minutes if shapes are added.
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import socket
import statistics
import sys
import time

L_LIST = [1, 16, 64, 256, 1000, 1024, 4096, 4097, 16384, 65536]
BD_LIST = [256, 2048, 16384, 131072]
ELEM_CAP = {"ci": 1 << 21, "full": 1 << 26}
CALL_BUDGET_S = {"ci": 0.25, "full": 6.0}
DEFAULT_MIN_TIME = {"ci": 0.1, "full": 0.5}
DEFAULT_REPS = {"ci": 3, "full": 5}
LAYER_WIDTH = 64  # H = U for slru, lru, brwkv
SEED_B, SEED_C, SEED_F, SEED_T = 1, 64, 64, 160  # the seed wrapper's x (B, C, F, T)
WIDE_B, WIDE_L, WIDE_WIDTH = 8, 4096, 1024  # bench/lru_wide, bench/slru_wide
SANITY_TOL = 1e-4

# Modelled costs (seconds), measured with PyTorch 1.13 on one core of an AMD EPYC and rounded up. A Python
# loop step (slice, addcmul into a slice) costs ~5-8 µs of dispatch whatever the width; the per-float
# terms only matter at large B·D. Upper/Lower streams its (padded) tensor a few times per level.
SEQ_STEP_S = 8e-6
SEQ_FLOAT_S = 0.6e-9
UL_LEVEL_S = 30e-6
UL_FLOAT_LEVEL_S = 5e-9  # ~1.5 ns in cache, ~4.7 ns at 2^24 floats (fresh pages per level)
ELEMWISE_FLOAT_S = 5e-9
CALL_S = 5e-6  # the cheapest call (L = 1 scan) still costs a few µs of dispatch


LOG = sys.stdout  # progress lines; stderr when the JSON goes to stdout


def log(msg):
    print(msg, file=LOG, flush=True)


# ----------------------------------------------------------------------------------------------------
# The two scan algorithms. Both take u (B, L, C) (float32 or complex64) and log λ (C) of the same kind
# (real: -ν; complex: -ν + iθ) and return h with h_t = λ ⊙ h_{t-1} + u_t, h_{-1} = 0.
# ----------------------------------------------------------------------------------------------------

def seq_scan(torch, u, loglam):
    lam = torch.exp(loglam)
    out = torch.empty_like(u)
    out[:, 0] = u[:, 0]
    # One op per step, written straight into the output: the cheapest eager form (no per-step allocation,
    # no final stack), so torch.seq is charged only for the loop's dispatch and the arithmetic.
    for t in range(1, u.shape[1]):
        torch.addcmul(u[:, t], lam, out[:, t - 1], out=out[:, t])
    return out


def ul_scan(torch, u, loglam):
    B, L, C = u.shape
    m = (L - 1).bit_length()  # ceil(log2 L); 0 for L = 1 (no level runs, output = input)
    N = 1 << m
    # Pad with zeros to a power of two, as the port does (LAYERS.md §1.5 notes it is unnecessary, but the
    # peer times the seed's algorithm, padding included).
    x = torch.cat([u, u.new_zeros(B, N - L, C)], 1) if N > L else u
    for i in range(1, m + 1):
        l, h = 1 << i, 1 << (i - 1)
        # The port recomputes the power table at every level (N - 1 exponentials per channel per call);
        # p·log λ is formed in float32 like the port's exp(complex(-p·ν, p·θ)).
        p = torch.arange(1, h + 1, dtype=torch.float32)
        P = torch.exp(p[:, None] * loglam[None, :])  # (h, C)
        x = x.reshape(B, N // l, l, C)
        lower = x[:, :, :h]
        upper = x[:, :, h:] + P * lower[:, :, h - 1:h]  # every upper half += λ^p · its pivot
        x = torch.cat([lower, upper], 2)  # a new tensor per level, as the port builds it
    return x.reshape(B, N, C)[:, :L]


SCANS = {"seq": seq_scan, "ul": ul_scan}


# ----------------------------------------------------------------------------------------------------
# Layers (LAYERS.md §1.2-1.4, §4; parameter names of §7.1). `scan` is one of SCANS.
# ----------------------------------------------------------------------------------------------------

def scan_real(torch, scan, p, b):
    return scan(torch, b, -torch.exp(p["nu_log"]))


def scan_cplx(torch, scan, p, b):
    D = p["nu_log"].shape[0]
    u = torch.complex(b[..., :D], b[..., D:])  # planar (B, L, 2D) -> complex (B, L, D)
    s = scan(torch, u, torch.complex(-torch.exp(p["nu_log"]), torch.exp(p["theta_log"])))
    return torch.cat([s.real, s.imag], -1)


def slru(torch, scan, p, x):
    F = torch.nn.functional
    z = F.linear(x, p["i_dense.weight"], p["i_dense.bias"])
    s = scan(torch, z, -torch.exp(p["params_log"][0]))
    return F.linear(torch.exp(p["params_log"][1]) * s, p["o_dense.weight"], p["o_dense.bias"])


def lru(torch, scan, p, x):
    F = torch.nn.functional
    U = p["params_log"].shape[1]
    z = F.linear(x, p["i_dense.weight"], p["i_dense.bias"])
    u = torch.complex(z[..., :U], z[..., U:])  # planar layout (canonical, decision 2)
    nu_log, theta_log, gamma_log = p["params_log"]
    s = scan(torch, u, torch.complex(-torch.exp(nu_log), torch.exp(theta_log)))
    h = torch.exp(gamma_log) * s
    return F.linear(torch.cat([h.real, h.imag], -1), p["o_dense.weight"], p["o_dense.bias"])


def brwkv(torch, scan, p, x):
    F = torch.nn.functional
    U = p["nu_log"].shape[0]
    r, k, v = F.linear(x, p["rkv_dense.weight"], p["rkv_dense.bias"]).split(U, -1)
    r = torch.sigmoid(r)
    e = torch.exp(k)
    kv = e * v
    loglam = -torch.exp(p["nu_log"])
    # numerator and denominator as one scan over 2U channels (LAYERS.md §1.4)
    S, Z = scan(torch, torch.cat([kv, e], -1), torch.cat([loglam, loglam])).split(U, -1)
    g = torch.exp(p["nu_log"] + p["gamma_log"]) - 1
    num = S + g * kv
    den = Z + g * e
    # exact division with the divide-no-nan rule (decision 3), not the port's den + 1e-6
    q = torch.where(den != 0, num / den, torch.zeros_like(num))
    return F.linear(r * q, p["o_dense.weight"], p["o_dense.bias"])


LAYERS = {"slru": slru, "lru": lru, "brwkv": brwkv}


def wrapper(torch, scan, inner, plist, x):
    # (B, C, F, T): frequency bin f goes through its own layer with C features over T steps (decision 4);
    # a Python loop over the F layers, as the seed's ModuleList forward does.
    # One transposing copy up front: F.linear on the strided (T, C) view of x is ~6x slower than on
    # contiguous rows (measured 2.5 ms against 0.4 ms per layer at T = 160, C = 64), which would time
    # PyTorch's strided GEMM path rather than the layers.
    xs = x.permute(0, 2, 3, 1).contiguous()  # (B, F, T, C)
    ys = [inner(torch, scan, plist[f], xs[:, f]) for f in range(len(plist))]
    return torch.stack(ys, 1).permute(0, 3, 1, 2).contiguous()  # back to (B, C, F, T)


# ----------------------------------------------------------------------------------------------------
# Random parameters with the init ranges of LAYERS.md §1.1 (PT-style Linear init).
# ----------------------------------------------------------------------------------------------------

def nu_log_init(torch, g, n):
    xi = torch.rand(n, generator=g, dtype=torch.float64)
    r2 = xi * (0.999 ** 2 - 0.9 ** 2) + 0.9 ** 2
    return torch.log(-0.5 * torch.log(r2))  # float64 until the parameter is stored


def linear_init(torch, g, p, name, n_in, n_out):
    a = 1.0 / math.sqrt(n_in)
    p[name + ".weight"] = (torch.rand(n_out, n_in, generator=g) * 2 - 1) * a
    p[name + ".bias"] = (torch.rand(n_out, generator=g) * 2 - 1) * a


def make_params(torch, g, layer, H, U, complex_=False):
    f32 = torch.float32
    p = {}
    nu_log = nu_log_init(torch, g, U)
    nu = torch.exp(nu_log)
    theta_log = torch.log(2 * math.pi * torch.rand(U, generator=g, dtype=torch.float64).clamp_min(1e-6))
    gamma_log = torch.log(torch.sqrt(1 - torch.exp(-2 * nu)))
    if layer == "scan":
        p["nu_log"] = nu_log.to(f32)
        if complex_:
            p["theta_log"] = theta_log.to(f32)
    elif layer == "slru":
        linear_init(torch, g, p, "i_dense", H, U)
        linear_init(torch, g, p, "o_dense", U, H)
        p["params_log"] = torch.stack([nu_log, gamma_log]).to(f32)
    elif layer == "lru":
        linear_init(torch, g, p, "i_dense", H, 2 * U)
        linear_init(torch, g, p, "o_dense", 2 * U, H)
        p["params_log"] = torch.stack([nu_log, theta_log, gamma_log]).to(f32)
    elif layer == "brwkv":
        linear_init(torch, g, p, "rkv_dense", H, 3 * U)
        linear_init(torch, g, p, "o_dense", U, H)
        p["nu_log"] = nu_log.to(f32)
        p["gamma_log"] = torch.zeros(U, dtype=f32)
    return p


def param_count(layer, H, U, D=0, complex_=False):
    if layer == "scan":
        return D * (2 if complex_ else 1)
    return {"slru": 2 * H * U + 3 * U + H, "lru": 4 * H * U + 5 * U + H, "brwkv": 4 * H * U + 5 * U + H}[layer]


# ----------------------------------------------------------------------------------------------------
# Instances, cost model and skip rule
# ----------------------------------------------------------------------------------------------------

def scan_cost_s(alg, B, L, C):
    """Modelled time of one scan over B·C float32 chains (C counts floats: complex channels count 2)."""
    if alg == "seq":
        return L * (SEQ_STEP_S + SEQ_FLOAT_S * B * C)
    m = (L - 1).bit_length()
    return m * (UL_LEVEL_S + UL_FLOAT_LEVEL_S * B * (1 << m) * C)


def estimate_call_s(inst):
    fam, alg, L, B, D = inst["family"], inst["alg"], inst["L"], inst["B"], inst["D"]
    if fam == "scan":
        return CALL_S + scan_cost_s(alg, B, L, D)
    if fam == "scan_cplx":
        return CALL_S + scan_cost_s(alg, B, L, 2 * D) + ELEMWISE_FLOAT_S * 4 * B * L * D
    chans = {"slru": D, "lru": 2 * D, "brwkv": 2 * D}[inst["layer_of_inner"]]
    one = CALL_S + scan_cost_s(alg, B, L, chans) + ELEMWISE_FLOAT_S * 8 * B * L * D
    return one * inst.get("F", 1)


def build_instances(sweep, only_small):
    cap = ELEM_CAP[sweep]
    out = []

    def add(family, layer, inner, L, B, D, F=None):
        for alg in ("seq", "ul"):
            name = f"{family}/torch.{alg}/L:{L}/B:{B}/D:{D}" + (f"/F:{F}" if F else "")
            inst = dict(name=name, family=family, layer=layer, layer_of_inner=inner, alg=alg, L=L, B=B, D=D)
            if F:
                inst["F"] = F
            out.append(inst)

    for family, cplx in (("scan", False), ("scan_cplx", True)):
        for BD in BD_LIST:
            D = min(BD, 256)
            B = BD // D
            for L in L_LIST:
                if B * L * D * (2 if cplx else 1) <= cap and (not only_small or L <= 256):
                    add(family, "scan", "scan", L, B, D)
    for layer in ("slru", "lru", "brwkv"):
        for L in L_LIST:
            if L * LAYER_WIDTH <= cap and (not only_small or L <= 256):
                add(layer, layer, layer, L, 1, LAYER_WIDTH)
    for layer in ("lru", "slru", "brwkv"):
        add("seed_" + layer, "rnn_wrapper", layer, SEED_T, SEED_B, SEED_C, SEED_F)
    # the wide layers of golden/cases.txt (bench/lru_wide, bench/slru_wide): H = U = 1024, 32K tokens
    for layer in ("lru", "slru"):
        B, L, D = WIDE_B, WIDE_L, WIDE_WIDTH
        if B * L * D * (2 if layer == "lru" else 1) <= cap and not only_small:
            add(layer + "_wide", layer, layer, L, B, D)
    return out


def make_call(torch, g, inst, param_cache):
    """Build the instance's parameters (cached per shape) and inputs; return a no-argument call."""
    fam, scan, L, B, D = inst["family"], SCANS[inst["alg"]], inst["L"], inst["B"], inst["D"]
    if fam in ("scan", "scan_cplx"):
        cplx = fam == "scan_cplx"
        key = (fam, D)
        if key not in param_cache:
            param_cache[key] = make_params(torch, g, "scan", 0, D, cplx)
        p = param_cache[key]
        b = torch.randn(B, L, D * (2 if cplx else 1), generator=g)
        fn = scan_cplx if cplx else scan_real
        return lambda: fn(torch, scan, p, b)
    inner = inst["layer_of_inner"]
    if fam.startswith("seed_"):
        key = (fam,)
        if key not in param_cache:
            param_cache[key] = [make_params(torch, g, inner, D, D) for _ in range(inst["F"])]
        plist = param_cache[key]
        x = torch.randn(B, D, inst["F"], L, generator=g)
        return lambda: wrapper(torch, scan, LAYERS[inner], plist, x)
    key = (fam, D)
    if key not in param_cache:
        param_cache[key] = make_params(torch, g, inner, D, D)
    p = param_cache[key]
    x = torch.randn(B, L, D, generator=g)
    return lambda: LAYERS[inner](torch, scan, p, x)


# ----------------------------------------------------------------------------------------------------
# Sanity check: torch.seq and torch.ul must agree (they are the same mathematics in a different order).
# ----------------------------------------------------------------------------------------------------

def rel_l2(torch, a, b):
    a, b = a.double(), b.double()
    n = torch.linalg.norm(b).item()
    return torch.linalg.norm(a - b).item() / (n if n > 0 else 1.0)


def sanity(torch, g):
    results = {}
    small_L = (1, 7, 1000)  # L = 1 (no level), a short ragged length, a long ragged one (padding)
    cases = [("scan", "scan"), ("scan_cplx", "scan"), ("slru", "slru"), ("lru", "lru"), ("brwkv", "brwkv")]
    for key, layer in cases:
        worst = 0.0
        for L in small_L:
            if key.startswith("scan"):
                cplx = key == "scan_cplx"
                p = make_params(torch, g, "scan", 0, 16, cplx)
                b = torch.randn(2, L, 16 * (2 if cplx else 1), generator=g)
                fn = scan_cplx if cplx else scan_real
                ys = [fn(torch, SCANS[a], p, b) for a in ("seq", "ul")]
            else:
                p = make_params(torch, g, layer, 16, 16)
                x = torch.randn(2, L, 16, generator=g)
                ys = [LAYERS[layer](torch, SCANS[a], p, x) for a in ("seq", "ul")]
            e = rel_l2(torch, ys[1], ys[0])
            worst = max(worst, e if math.isfinite(e) else math.inf)
        results[key] = worst
    # the wrapper reuses the layers; check its plumbing once at a small (B, C, F, T)
    for inner in ("lru", "slru", "brwkv"):
        plist = [make_params(torch, g, inner, 8, 8) for _ in range(3)]
        x = torch.randn(2, 8, 3, 37, generator=g)
        ys = [wrapper(torch, SCANS[a], LAYERS[inner], plist, x) for a in ("seq", "ul")]
        direct = torch.stack([LAYERS[inner](torch, SCANS["seq"], plist[f], x[:, :, f].transpose(1, 2))
                              for f in range(3)], 1).permute(0, 3, 1, 2)  # (B, F, T, C) -> (B, C, F, T)
        results["seed_" + inner] = max(rel_l2(torch, ys[1], ys[0]), rel_l2(torch, ys[0], direct))
    return results


# ----------------------------------------------------------------------------------------------------
# Timing (Google Benchmark's scheme) and JSON rows
# ----------------------------------------------------------------------------------------------------

def run_batch(fn, iters):
    c0, t0 = time.thread_time(), time.perf_counter()  # GB's cpu_time is the benchmark thread's CPU time
    for _ in range(iters):
        fn()
    return time.perf_counter() - t0, time.thread_time() - c0


def time_instance(fn, min_time, reps):
    t0 = time.perf_counter()
    fn()  # warm-up (allocator, first-touch, lazy init)
    t_est = time.perf_counter() - t0
    if t_est < min_time:  # a second, warm call is a better estimate and cheap here
        t_est, _ = run_batch(fn, 1)
    iters = max(1, math.ceil(1.1 * min_time / max(t_est, 1e-9)))
    results = []
    for rep in range(reps):
        while True:
            real, cpu = run_batch(fn, iters)
            if rep > 0 or real >= min_time:
                break
            # first repetition too short: grow as GB does and discard the short run; later repetitions
            # reuse the iteration count (GB 1.7 does the same)
            mult = 1.4 * min_time / max(real, 1e-9) if real / min_time > 0.1 else 10.0
            iters = max(int(mult * iters), iters + 1)
        results.append((iters, real, cpu))
    return results


def gb_row(inst, run_type, reps, iterations, real_us, cpu_us, extra, repetition_index=None, aggregate=None):
    """One benchmarks[] entry, keys in the order Google Benchmark 1.7.1's JSON reporter writes them."""
    r = dict(name=inst["name"] + (f"_{aggregate[0]}" if aggregate else ""),
             family_index=inst["family_index"], per_family_instance_index=inst["instance_index"],
             run_name=inst["name"], run_type=run_type, repetitions=reps)
    if repetition_index is not None:
        r["repetition_index"] = repetition_index
    r["threads"] = 1
    if aggregate:
        r["aggregate_name"], r["aggregate_unit"] = aggregate
    r.update(iterations=iterations, real_time=real_us, cpu_time=cpu_us, time_unit="us")
    r.update(extra)
    return r


def label_of(inst):
    return f"layer={inst['layer']} variant={inst['layer']}.torch.{inst['alg']}"


def rows_for(inst, results, reps):
    tokens = inst["B"] * inst["L"]  # items = tokens = B·L per call (bench/FORMAT.md)
    rows = []
    for i, (iters, real, cpu) in enumerate(results):
        rt = real / iters
        extra = dict(items_per_second=tokens / rt, label=label_of(inst), params=inst["params"], tokens=tokens)
        rows.append(gb_row(inst, "iteration", reps, iters, rt * 1e6, cpu / iters * 1e6, extra, repetition_index=i))
    if len(rows) < 2:  # GB reports aggregates only for two or more repetitions
        return rows
    keys = ["real_time", "cpu_time", "items_per_second", "params", "tokens"]
    cols = {k: [r[k] for r in rows] for k in keys}
    mean = {k: statistics.fmean(v) for k, v in cols.items()}
    sd = {k: statistics.stdev(v) for k, v in cols.items()}  # sample standard deviation, as GB
    aggs = [(("mean", "time"), mean),
            (("median", "time"), {k: statistics.median(v) for k, v in cols.items()}),
            (("stddev", "time"), sd),
            (("cv", "percentage"), {k: (sd[k] / mean[k] if mean[k] else 0.0) for k in keys})]  # a fraction, as GB
    for agg, v in aggs:
        extra = dict(items_per_second=v["items_per_second"], label=label_of(inst), params=v["params"],
                     tokens=v["tokens"])
        rows.append(gb_row(inst, "aggregate", reps, len(results), v["real_time"], v["cpu_time"], extra,
                           aggregate=agg))
    return rows


def error_row(inst, reps, msg):
    return gb_row(inst, "iteration", reps, 0, 0.0, 0.0,
                  dict(label=label_of(inst), error_occurred=True, error_message=msg), repetition_index=0)


def cpuinfo():
    model, mhz = "unknown", 0
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                k, _, v = line.partition(":")
                k, v = k.strip(), v.strip()
                if k == "model name" and model == "unknown":
                    model = v
                elif k == "cpu MHz" and not mhz:
                    mhz = int(float(v))
    except OSError:
        pass
    return model, mhz


def caches():
    out = []
    base = "/sys/devices/system/cpu/cpu0/cache"
    try:
        for d in sorted(os.listdir(base)):
            if not d.startswith("index"):
                continue

            def rd(n):
                with open(os.path.join(base, d, n)) as f:
                    return f.read().strip()
            size = rd("size")
            mult = 1024 * 1024 if size.endswith("M") else 1024 if size.endswith("K") else 1
            shared = rd("shared_cpu_list")
            nshare = sum((int(b) - int(a) + 1) if "-" in r else 1
                         for r in shared.split(",") for a, _, b in [r.partition("-")])
            out.append(dict(type=rd("type"), level=int(rd("level")), size=int(size.rstrip("KM")) * mult,
                            num_sharing=nshare))
    except (OSError, ValueError):
        pass
    return out


def scaling_enabled():
    try:
        with open("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor") as f:
            return f.read().strip() != "performance"
    except OSError:
        return False


# ----------------------------------------------------------------------------------------------------

def main(argv=None):
    global LOG
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="write the JSON here (default: stdout)")
    ap.add_argument("--sweep", choices=("ci", "full"), default="ci")
    ap.add_argument("--reps", type=int, help="repetitions (default 3 ci, 5 full)")
    ap.add_argument("--min-time", type=float, help="seconds per repetition (default 0.1 ci, 0.5 full)")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    ap.add_argument("--only-small", action="store_true", help="only L <= 256 and the seed configuration")
    ap.add_argument("--filter", help="regular expression on the benchmark name (re.search)")
    ap.add_argument("--call-budget", type=float,
                    help="skip instances modelled above this many seconds per call (default 0.25 ci, 2.0 full)")
    ap.add_argument("--list", action="store_true", help="list instances and skip decisions, run nothing")
    a = ap.parse_args(argv)
    if a.out is None:
        LOG = sys.stderr
    reps = a.reps if a.reps is not None else DEFAULT_REPS[a.sweep]
    min_time = a.min_time if a.min_time is not None else DEFAULT_MIN_TIME[a.sweep]
    if reps < 1 or min_time <= 0 or a.threads < 1:
        ap.error("--reps, --min-time and --threads must be positive")

    try:
        import torch
    except ImportError:
        print("torch_peer: PyTorch not installed; peer rows skipped")
        return 0

    t_start = time.perf_counter()
    torch.set_num_threads(a.threads)
    try:
        torch.set_num_interop_threads(a.threads)
    except RuntimeError:
        pass
    # lrb's CPU timing runs flush subnormals (decision 10); do the same so decays that underflow cost alike
    ftz = torch.set_flush_denormal(True)
    g = torch.Generator().manual_seed(20240517)

    insts = build_instances(a.sweep, a.only_small)
    if a.filter:
        insts = [i for i in insts if re.search(a.filter, i["name"])]
    budget = a.call_budget if a.call_budget is not None else CALL_BUDGET_S[a.sweep]
    run, skipped = [], []
    for inst in insts:
        inst["params"] = (param_count("scan", 0, 0, inst["D"], inst["family"] == "scan_cplx")
                          if inst["layer"] == "scan" else
                          param_count(inst["layer_of_inner"], inst["D"], inst["D"]) * inst.get("F", 1))
        est = estimate_call_s(inst)
        inst["est_s"] = est
        if est > budget:
            reason = f"modelled {est:.3g} s per call > budget {budget:g} s"
            skipped.append(dict(name=inst["name"], reason=reason))
            log(f"skip {inst['name']}: {reason}")
        else:
            run.append(inst)
    if a.list:
        for inst in run:
            log(f"{inst['name']}  (modelled {inst['est_s'] * 1e3:.2f} ms per call)")
        return 0

    # family = one <family>/<backend>.<algorithm> (one GB registration), indices over registered instances
    fam_of = {}
    for inst in run:
        fam = inst["name"].split("/L:")[0]
        fam_of.setdefault(fam, [len(fam_of), 0])
        inst["family_index"], inst["instance_index"] = fam_of[fam][0], fam_of[fam][1]
        fam_of[fam][1] += 1

    with torch.no_grad():
        san = sanity(torch, g)
        bad = set()
        for k, e in san.items():
            ok = e < SANITY_TOL
            log(f"sanity {k}: torch.seq vs torch.ul rel_l2 {e:.2e} {'ok' if ok else 'FAIL'} (< {SANITY_TOL:g})")
            if not ok:
                bad.add(k)

        benchmarks = []
        cache = {}
        for inst in run:
            if inst["family"] in bad:
                msg = f"conformance: torch.seq and torch.ul disagree (rel_l2 {san[inst['family']]:.2e})"
                benchmarks.append(error_row(inst, reps, msg))
                log(f"{inst['name']}: {msg}")
                continue
            call = make_call(torch, g, inst, cache)
            res = time_instance(call, min_time, reps)
            del call
            benchmarks.extend(rows_for(inst, res, reps))
            med = statistics.median(r / n for n, r, _ in res) * 1e6
            log(f"{inst['name']:<48} {med:12.1f} us  ({res[0][0]} it x {reps})")

    model, mhz = cpuinfo()
    ctx = dict(
        date=datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        host_name=socket.gethostname(), executable="torch_peer.py", num_cpus=os.cpu_count() or 1,
        mhz_per_cpu=mhz, cpu_scaling_enabled=scaling_enabled(), caches=caches(),
        load_avg=list(os.getloadavg()) if hasattr(os, "getloadavg") else [],
        library_build_type="n/a",
        torch_version=torch.__version__, torch_threads=torch.get_num_threads(), threads=torch.get_num_threads(),
        cpu_model=model, python_version=platform.python_version(), sweep=a.sweep, only_small=a.only_small,
        min_time_s=min_time, repetitions=reps, ftz_daz="on" if ftz else "off", isa="torch",
        call_budget_s=budget, sanity_rel_l2=san, skipped=skipped)
    doc = json.dumps(dict(context=ctx, benchmarks=benchmarks), indent=2)
    if a.out:
        with open(a.out, "w") as f:
            f.write(doc + "\n")
    else:
        sys.stdout.write(doc + "\n")
    log(f"torch_peer: {len(run)} instances timed, {len(skipped)} skipped, "
        f"{time.perf_counter() - t_start:.1f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
