#!/usr/bin/env python3
"""gpu_targets.py — the GPU targets of the cuda backend (issue 5; PERFORMANCE.md §7 G1–G5), each as a figure
measured in one benchmark run (ci/gpu_run.sh), against its threshold.

Reads the lrb_bench JSON of the cuda families and writes a Markdown table: target, threshold, measured
figure, the instances it comes from, met or not. Every bandwidth figure is the instance's roofline_frac,
its minimal bytes per second over the device-to-device copy bandwidth measured at the start of the same run
(`roofline_gpu_copy_gbs`); for a layer family that is the bytes of the GPU stage that was timed (the scan,
gated scan or WKV-4; bench/FORMAT.md). Ratios are of medians over the repetitions.

Working sets: "large" is bytes_min ≥ 256 MB (G1's threshold; five times the 50 MiB L2 of an H100).

usage: gpu_targets.py --bench bench.json [--bench more.json ...] [--out targets.md]

Exit status: 0 when the table was written (whatever the verdicts), 2 with one line on stderr on bad input (a
file that is not lrb_bench JSON or holds no benchmark rows, a malformed median row) or an unwritable --out.
"""
import argparse
import re
import statistics

from bench_json import fail, number, read_json, time_us, write_out

LARGE = 256e6
REAL_SCANS = r"scan|scan_data|gpu_scan_bd"


def load(paths):
    rows, ctx = {}, {}
    for path in paths:
        d = read_json(path)
        if not ctx.get("gpu"):
            ctx = d.get("context", {})
        load_rows(path, d, rows)
    return rows, ctx


def load_rows(path, d, rows):
    for i, b in enumerate(d["benchmarks"]):
        if not isinstance(b, dict):
            fail(f"{path}: row {i}: not an object")
        # only the medians of instances that ran are read; the other rows are not checked
        if b.get("aggregate_name") != "median" or b.get("error_occurred"):
            continue
        where = f"{path}: row {i}"
        if not isinstance(b.get("run_name"), str):
            fail(f"{where}: a median row without a run_name")
        where += f" ({b['run_name']})"
        name = b["run_name"].replace("/manual_time", "")
        parts = name.split("/")
        if len(parts) < 3 or not parts[1].startswith("cuda."):
            continue  # not a cuda instance (the roofline rows, other backends): skipped, no target reads it
        try:
            shape = {k: int(v) for k, v in (s.split(":") for s in parts[2:] if ":" in s)}
        except ValueError:
            fail(f"{where}: a name segment is not <key>:<integer>")
        if "L" not in shape:
            fail(f"{where}: no L:<length> in the name")
        rows[name] = dict(family=parts[0], variant=parts[1], shape=shape, t=time_us(where, b),
                          frac=number(where, b, "roofline_frac", None), bytes=number(where, b, "bytes_min", 0.0))


def fmt(x, nd=2):
    return "–" if x is None else f"{x:.{nd}f}"


def elems(r):
    s = r["shape"]
    return s.get("B", 1) * s.get("L", 1) * s.get("D", 1)


def bd(r):
    return r["shape"].get("B", 1) * r["shape"].get("D", 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", action="append", required=True, help="lrb_bench JSON (repeatable)")
    ap.add_argument("--out")
    ap.error = fail  # one line and exit 2, not argparse's usage block
    a = ap.parse_args()
    rows, ctx = load(a.bench)

    def sel(fam_re, alg, pred=lambda r: True):
        return [r for r in rows.values()
                if re.fullmatch(fam_re, r["family"]) and r["variant"] == f"cuda.{alg}" and pred(r)]

    def twin(r, alg):
        key = "/".join([r["family"], f"cuda.{alg}"] + [f"{k}:{v}" for k, v in r["shape"].items()])
        return rows.get(key)

    lines = []

    def row(target, thr, vals, where, ok, unit=""):
        if not vals:
            lines.append(f"| {target} | {thr} | not measured | {where} | – |")
            return
        med, lo, hi = statistics.median(vals), min(vals), max(vals)
        lines.append(f"| {target} | {thr} | median {fmt(med)}{unit}, min {fmt(lo)}{unit}, max {fmt(hi)}{unit} "
                     f"(n={len(vals)}) | {where} | {'met' if ok(lo, hi) else 'not met'} |")

    fr = lambda rs: [r["frac"] for r in rs if r["frac"] is not None]
    large = lambda r: r["bytes"] >= LARGE
    row("scan.cuda.chunked, real scans, working set ≥ 256 MB", "≥ 0.80 of copy", fr(sel(REAL_SCANS, "chunked", large)),
        "scan, scan_data, gpu_scan_bd", lambda lo, hi: lo >= 0.80)
    g2 = sel(REAL_SCANS, "chunked", lambda r: r["shape"]["L"] >= 4096 and 256 <= bd(r) <= 262144)
    row("scan.cuda.chunked, every B·D in 256 … 262144 at L ≥ 4096", "≥ 0.70 of copy", fr(g2),
        f"B·D = {', '.join(str(x) for x in sorted({bd(r) for r in g2})) or '–'}", lambda lo, hi: lo >= 0.70)
    small = sel(r"scan|scan_cplx|scan_data|gpu_scan_bd", "chunked", lambda r: elems(r) <= 1 << 20)
    row("scan.cuda.chunked latency, ≤ 1 M elements", "≤ 10 µs", [r["t"] for r in small], "scan families",
        lambda lo, hi: hi <= 10.0, " µs")
    row("scan.cuda.chunked, complex (LRU, 16 B per element), working set ≥ 256 MB", "≥ 0.75 of copy",
        fr(sel("scan_cplx", "chunked", large)), "scan_cplx", lambda lo, hi: lo >= 0.75)
    row("glru.cuda.chunked gated scan (16 or 20 B per element), working set ≥ 256 MB", "≥ 0.75 of copy",
        fr(sel(r"glru|glru_untied|gpu_glru|gpu_glru_untied", "chunked", large)), "glru families (stage bytes)",
        lambda lo, hi: lo >= 0.75)
    row("wkv4.cuda.chunked, working set ≥ 256 MB", "≥ 0.70 of copy", fr(sel(r"wkv4|gpu_wkv4", "chunked", large)),
        "wkv4, gpu_wkv4", lambda lo, hi: lo >= 0.70)
    sp = []
    for r in sel(r"wkv4|gpu_wkv4", "chunked", lambda r: bd(r) <= 4096 and r["shape"]["L"] >= 4096):
        o = twin(r, "seq")
        if o:
            sp.append(o["t"] / r["t"])
    row("wkv4.cuda.chunked ÷ wkv4.cuda.seq (time of seq ÷ time of chunked), B·C ≤ 4096, L ≥ 4096", "≥ 10×", sp,
        "wkv4, gpu_wkv4", lambda lo, hi: lo >= 10)

    # G5: the crossover, per scan family and B·D: the least L of the sweep from which the parallel algorithm
    # is faster than seq at every longer L of the sweep
    xo = []
    for fam in ("scan", "scan_data", "scan_cplx"):
        for want in (256, 2048, 16384, 131072):
            for alg in ("chunked", "ul"):
                pts = sorted((r["shape"]["L"], twin(r, "seq")["t"] / r["t"])
                             for r in sel(fam, alg, lambda r: bd(r) == want) if twin(r, "seq"))
                if not pts:
                    continue
                star = None
                for i, (L, ratio) in enumerate(pts):
                    if all(q > 1.0 for _, q in pts[i:]):
                        star = L
                        break
                where = ", ".join(f"L={L}: {q:.2f}×" for L, q in pts)
                verdict = (f"L* = {star}" if star is not None and star != pts[0][0] else
                           f"faster at every L of the sweep (from {pts[0][0]})" if star is not None else
                           "seq is faster at the longest L")
                xo.append(f"| {fam}, B·D = {want}, {alg} vs seq | {verdict} | {where} |")

    gpu = ctx.get("gpu", "?")
    head = ["# GPU targets of the cuda backend, measured in one run", "",
            f"Device: {gpu}; same-run device-to-device copy {ctx.get('roofline_gpu_copy_gbs', '?')} GB/s (read plus "
            f"written bytes); sweep `{ctx.get('sweep', '?')}`; l2 `{ctx.get('l2_policy', '?')}`; commit "
            f"{ctx.get('lrb_git_commit', '?')}.", "",
            "Fractions are minimal bytes per second (of the timed GPU stage) over the copy bandwidth, medians of the "
            "repetitions; `min` and `max` run over the instances the row names.", "",
            "| target | threshold | measured | instances | verdict |", "|---|---|---|---|---|"]
    tail = ["", "## Crossover of seq and the parallel algorithms (G5)", "",
            "Time of cuda.seq ÷ time of the parallel algorithm at each L of the sweep (> 1: the parallel one is "
            "faster); L* is the least L from which it stays faster.", "",
            "| scan | crossover | ratios |", "|---|---|---|"] + (xo or ["| – | not measured | – |"])
    text = "\n".join(head + lines + tail) + "\n"
    write_out(a.out, text)


if __name__ == "__main__":
    main()
