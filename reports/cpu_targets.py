#!/usr/bin/env python3
"""cpu_targets.py — the CPU targets of the simd backend (PERFORMANCE.md §7 C1–C5 and issue 4), each as a
figure measured in one benchmark run, against its threshold.

Reads the lrb_bench JSON (and the PyTorch peer JSON and the sgemm comparison text, when given) and
writes a Markdown table: target, threshold, measured figure, the instances it comes from, met or not.
Every figure is a ratio of medians (or a roofline fraction) taken from the same run, never a figure
from elsewhere.

Regimes, from the machine's caches in the benchmark context: DRAM-sized instances move at least 8× the
last-level cache (bytes_min); L2-resident ones between 1/4 and 1× the per-core L2.

usage: cpu_targets.py --bench bench.json [--bench bench_torch.json] [--sgemm sgemm.txt] [--out targets.md]

Exit status: 0 when the table was written (whatever the verdicts), 2 with one line on stderr on bad input (a
file that is not lrb_bench JSON or holds no benchmark rows, a malformed median row or context, an unreadable
--sgemm) or an unwritable --out.
"""
import argparse
import re
import statistics

from bench_json import fail, number, read_json, time_us, write_out



def load(paths):
    """The median rows of every file by name (times in µs) and the first context with caches, with its file."""
    rows, ctx, ctx_path = {}, {}, None
    for p in paths:
        d = read_json(p)
        if not ctx and "caches" in d.get("context", {}):
            ctx, ctx_path = d["context"], p
        for i, b in enumerate(d["benchmarks"]):
            if not isinstance(b, dict):
                fail(f"{p}: row {i}: not an object")
            # only the medians of instances that ran are read; the other rows are not checked
            if b.get("aggregate_name") != "median" or b.get("error_occurred"):
                continue
            where = f"{p}: row {i}"
            if not isinstance(b.get("run_name"), str):
                fail(f"{where}: a median row without a run_name")
            where += f" ({b['run_name']})"
            name = b["run_name"].replace("/manual_time", "")
            parts = name.split("/")
            if len(parts) < 3 or "." not in parts[1]:
                continue  # not <family>/<backend>.<algorithm>/... (the roofline rows): skipped, no target reads it
            shape = dict(s.split(":", 1) for s in parts[2:] if ":" in s)
            if not all(shape.get(k, "").isdecimal() for k in ("L", "B", "D")):
                fail(f"{where}: the name lacks L:, B: or D:<integer>")
            rows[name] = dict(family=parts[0], variant=parts[1], shape=shape, t=time_us(where, b),
                              frac=number(where, b, "roofline_frac", None), bytes=number(where, b, "bytes_min", 0.0),
                              macs=number(where, b, "macs_total", 0.0))
    return rows, ctx, ctx_path


def cache_sizes(ctx, ctx_path):
    l2 = l3 = None
    caches = ctx.get("caches", [])
    if not isinstance(caches, list) or not all(isinstance(c, dict) for c in caches):
        fail(f"{ctx_path}: context caches is not a list of objects")
    for c in caches:
        if (c.get("type") in ("Unified", "Data") and c.get("level") == 2) or c.get("level") == 3:
            # a byte count: the regimes compare bytes_min with it and print it in KiB and MiB
            if isinstance(c.get("size"), bool) or not isinstance(c.get("size"), int) or c["size"] <= 0:
                fail(f"{ctx_path}: context cache size {c.get('size')!r} is not a number of bytes")
        if c.get("type") in ("Unified", "Data") and c.get("level") == 2:
            l2 = c["size"]
        if c.get("level") == 3:
            l3 = c["size"]
    return l2 or (1 << 20), l3 or (32 << 20)


def ctx_ratio(ctx, ctx_path, num, den):
    """float(ctx[num]) / float(ctx[den]) (the triad scaling), None when the run measured no triad."""
    if not ctx.get(den):
        return None
    try:
        return float(ctx[num]) / float(ctx[den])
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        fail(f"{ctx_path}: context {num} {ctx.get(num)!r} and {den} {ctx.get(den)!r} are not bandwidths")


def fmt(x, nd=2):
    return "–" if x is None else f"{x:.{nd}f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", action="append", required=True)
    ap.add_argument("--sgemm")
    ap.add_argument("--out")
    ap.error = fail  # one line and exit 2, not argparse's usage block
    a = ap.parse_args()
    rows, ctx, ctx_path = load(a.bench)
    l2, l3 = cache_sizes(ctx, ctx_path)
    dram = lambda r: r["bytes"] >= 8 * l3
    l2res = lambda r: l2 / 4 <= r["bytes"] <= l2

    def sel(fam_re, var, pred=lambda r: True):
        return {k: r for k, r in rows.items() if re.fullmatch(fam_re, r["family"]) and r["variant"] == var and pred(r)}

    def twin(r, var):
        key = "/".join([r["family"], var] + [f"{k}:{v}" for k, v in r["shape"].items()])
        return rows.get(key)

    def ratios(fam_re, num_var, den_var, pred):
        """median and min over instances of time(den_var) / time(num_var) (> 1: num_var is faster)"""
        out = []
        for r in sel(fam_re, num_var, pred).values():
            o = twin(r, den_var)
            if o:
                out.append(o["t"] / r["t"])
        return out

    lines = []

    def row(target, thr, vals, where, ok):
        if not vals:
            lines.append(f"| {target} | {thr} | not measured | {where} | – |")
            return
        med, lo = statistics.median(vals), min(vals)
        lines.append(f"| {target} | {thr} | median {fmt(med)}, min {fmt(lo)} (n={len(vals)}) | {where} | "
                     f"{'met' if ok(med, lo) else 'not met'} |")

    scans = r"scan|scan_cplx|scan_data"
    for t in (1, 2):
        v = f"simd_t{t}.seq"
        fr = [r["frac"] for r in sel(scans, v, dram).values() if r["frac"]]
        row(f"C1 scan seq, DRAM-sized, {t} thread{'s' * (t > 1)}", "≥ 0.90 of the triad", fr,
            f"{v}, bytes ≥ {8 * l3 >> 20} MiB", lambda m, lo: lo >= 0.9)
        fr = [r["frac"] for r in sel(scans, v, l2res).values() if r["frac"]]
        row(f"C1 scan seq, L2-resident, {t} thread{'s' * (t > 1)}", "≥ 0.80 of the triad", fr,
            f"{v}, {l2 >> 12} KiB ≤ bytes ≤ {l2 >> 10} KiB", lambda m, lo: lo >= 0.8)
    row("C2 simd.seq ÷ ref.seq, DRAM-sized (1 thread)", "≥ 4×", ratios(scans, "simd_t1.seq", "ref.seq", dram),
        "scan families", lambda m, lo: lo >= 4)
    row("C2 simd.seq ÷ ref.seq, L2-resident (1 thread)", "≥ 6×", ratios(scans, "simd_t1.seq", "ref.seq", l2res),
        "scan families", lambda m, lo: lo >= 6)
    row("wkv4 simd.seq ÷ ref.seq (1 thread, L ≥ 1024)", "≥ 8×",
        ratios("wkv4", "simd_t1.seq", "ref.seq", lambda r: int(r["shape"]["L"]) >= 1024), "wkv4 family (B=1, C=64)",
        lambda m, lo: lo >= 8)
    sp = []
    for r in sel(scans, "simd_t1.seq", dram).values():
        o = twin(r, "simd_t2.seq")
        if o:
            sp.append(r["t"] / o["t"])
    tri = ctx_ratio(ctx, ctx_path, "roofline_triad_2t_gbs", "roofline_triad_1t_gbs")
    row("C4 2 threads ÷ 1 thread, scan seq, DRAM-sized", f"≥ 1.8× (this run's triad scaled {fmt(tri)}×)", sp,
        "simd_t2.seq vs simd_t1.seq", lambda m, lo: lo >= 1.8)
    for fam in ("scan_chain", "scan_rows"):
        row(f"C3 logstep ÷ ref.seq, {fam} (D = 1, L contiguous, 1 thread)", "≥ 2.5×",
            ratios(fam, "simd_t1.logstep", "ref.seq", lambda r: int(r["shape"]["L"]) >= 1024), fam,
            lambda m, lo: lo >= 2.5)
    for fam in ("scan_chain", "scan_rows"):
        for alg in ("chunked", "logstep"):
            vals = []
            for r in sel(fam, f"simd_t1.{alg}").values():
                o = twin(r, f"simd_t2.{alg}")
                if o:
                    vals.append(r["t"] / o["t"])
            row(f"C4 {alg} on few chains, 2 threads ÷ 1 ({fam})", "(L-split scaling)", vals, fam,
                lambda m, lo: lo >= 1.8)
    never = []
    for r in sel(scans, "simd_t1.logstep", lambda r: int(r["shape"]["B"]) * int(r["shape"]["D"]) >= 64).values():
        o = twin(r, "simd_t1.seq")
        if o:
            never.append(o["t"] / r["t"])
    row("C3 logstep never beats channel-SIMD seq at B·D ≥ 64 (seq time ÷ logstep time)", "< 1 everywhere", never,
        "scan families, 1 thread", lambda m, lo: max(never) < 1)
    # projections and whole layers
    for t in (1, 2):
        lay, proj = [], []
        for fam, projs in (("lru_wide", ("lru_wide_proj_in", "lru_wide_proj_out")),
                           ("slru_wide", ("slru_wide_proj", "slru_wide_proj"))):
            r = rows.get(f"{fam}/simd_t{t}.seq/L:4096/B:8/D:1024")
            ps = [next((x for k, x in rows.items() if x["family"] == p and x["variant"] == f"simd_t{t}.direct"), None)
                  for p in projs]
            if r and all(ps):
                ratio = r["t"] / sum(p["t"] for p in ps)
                (lay if fam == "lru_wide" else proj).append(ratio)
                gf = [2 * p["macs"] / (p["t"] * 1e-6) / 1e9 for p in ps]
                lines.append(f"| C5 {fam} layer ÷ its projections, {t} thread{'s' * (t > 1)} | ≤ 1.1× (lru) | "
                             f"{fmt(ratio, 3)} ({fmt(r['t'] / 1e3, 1)} ms vs {fmt(sum(p['t'] for p in ps) / 1e3, 1)} ms; "
                             f"projections at {', '.join(fmt(g, 0) for g in gf)} GFLOP/s) | {fam} | "
                             f"{('met' if ratio <= 1.1 else 'not met') if fam == 'lru_wide' else '(not a target)'} |")
    if a.sgemm:
        try:
            with open(a.sgemm, encoding="utf-8", errors="replace") as f:
                sgemm = f.readlines()
        except OSError as e:
            fail(f"{a.sgemm}: cannot read ({e.strerror})")
        for line in sgemm:
            m = re.match(r"^(\S+\^3|layer \S+)\s+(.+?)\s+threads=(\d)\s+([\d.]+) GFLOP/s", line)
            if m and m.group(1).startswith("2048") and "avx512" in m.group(2) and m.group(3) == "1":
                g = float(m.group(4))
                lines.append(f"| C5 sgemm 2048³, 1 thread (lrb, avx512) | ≥ 180 GFLOP/s | {g:.1f} GFLOP/s | "
                             f"{a.sgemm.split('/')[-1]} | {'met' if g >= 180 else 'not met'} |")
    # PyTorch peers
    for fam in ("seed_lru", "seed_slru", "seed_brwkv", "lru_wide", "slru_wide"):
        for t in (1, 2):
            r = next((x for x in rows.values() if x["family"] == fam and x["variant"] == f"simd_t{t}.seq"), None)
            if not r:
                continue
            for peer in ("torch.seq", "torch.ul"):
                o = next((x for x in rows.values() if x["family"] == fam and x["variant"] == peer), None)
                if o:
                    lines.append(f"| PyTorch eager {peer} ÷ simd_t{t}.seq, {fam} | report | {fmt(o['t'] / r['t'])}× "
                                 f"({fmt(o['t'] / 1e3, 2)} ms vs {fmt(r['t'] / 1e3, 2)} ms) | {fam} | – |")
    head = ["# CPU targets of the simd backend, measured in one run", "",
            f"Machine: {ctx.get('cpu_model', '?')}; ISA path `{ctx.get('isa', '?')}`; same-run triad "
            f"{ctx.get('roofline_triad_1t_gbs', '?')} GB/s (1 thread), {ctx.get('roofline_triad_2t_gbs', '?')} GB/s "
            f"(2 threads); L2 {l2 >> 10} KiB, L3 {l3 >> 20} MiB; commit {ctx.get('lrb_git_commit', '?')}.", "",
            "Ratios are of medians over the repetitions (> 1: the first-named is faster); `min` is the least "
            "favourable instance.", "",
            "| target | threshold | measured | instances | verdict |", "|---|---|---|---|---|"]
    text = "\n".join(head + lines) + "\n"
    write_out(a.out, text)


if __name__ == "__main__":
    main()
