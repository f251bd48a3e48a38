#!/usr/bin/python3
"""render.py — turn lrb benchmark and conformance output into summary.csv, summary.md and plots.

Inputs (bench/FORMAT.md, TOOLING.md §2.4 and §11):
  --bench FILE        Google Benchmark 1.7.1 JSON from lrb_bench, or the same shape from
                      bench/torch_peer.py (backend `torch`); repeatable, the rows are merged.
  --conformance FILE  JSON lines from `lrb check --json` (keys of json_row in harness/conformance.c).
  --complexity FILE   JSON lines from `lrb complexity ... --json`, or its plain-text output
                      (`--seq-lens` tables are parsed, anything else is quoted verbatim).
  --context FILE      reports/out/context.json from the CI script (merged into the machine context).

Outputs in --out DIR: summary.csv (one row per family, variant, L, B, D[, F]), summary.md (context,
per-family latency / speed-up / crossover tables, complexity, conformance) and per family and B·D the
plots <family>_B<B>_D<D>[_F<F>]_{latency,roofline,tokens}.{png,svg}.

Runs with Debian's python3 (NumPy 1.24, Matplotlib 3.6, Agg backend) and nothing else. Output order
and the plot files are deterministic, so committed reports diff cleanly.

Every input is read before --out is created. Exit status: 0 when the report was written, 2 with one line on
stderr on bad input (a file that cannot be read or is not what its option says, a --bench file without a
usable benchmark row, --bench files of different machines, a --conformance file of unparsable lines only) or
an unwritable --out. Malformed rows among usable ones are skipped with a warning.
"""
import argparse
import csv
import json
import math
import os
import re
import sys
import textwrap

import numpy as np
import matplotlib

matplotlib.use("Agg")  # no display on CI machines or the GPU host
import matplotlib.pyplot as plt  # noqa: E402  (must follow matplotlib.use)
from matplotlib.ticker import EngFormatter, FixedLocator, FuncFormatter, LogLocator, NullLocator  # noqa: E402

from bench_json import UNIT_TO_US, fail  # noqa: E402  (the targets tables' time units and exit status)

NAN = float("nan")
SHAPE_KEYS = ("L", "B", "D", "F")
# Name segments Google Benchmark appends to an instance name that are not part of lrb's identity.
# `threads:N` is kept: the roofline families carry it in their own names (roofline/copy/threads:1).
RUN_SUFFIX_FLAGS = {"manual_time", "real_time", "process_time"}
RUN_SUFFIX_KEYS = {"repeats", "iterations", "min_time", "min_warmup_time"}
# Algorithms that are the O(L) baselines rather than parallel contenders in the crossover table.
SEQUENTIAL_ALGS = {"seq", "direct"}
BACKEND_ORDER = {"ref": 0, "simd": 1, "cuda": 2}
# the catalogue order of `lrb list` (seq, ul, blelloch, chunked), unknown algorithms after, alphabetically
ALG_ORDER = {"seq": 0, "direct": 1, "ul": 2, "blelloch": 3, "chunked": 4, "logstep": 5}


def warn(msg):
    print(f"render.py: warning: {msg}", file=sys.stderr)


def fnum(x):
    """float(x), or NaN for anything missing or unparsable (JSON null, strings, absent keys)."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return NAN
    return v


def finite(x):
    return x is not None and isinstance(x, (int, float)) and math.isfinite(x)


# ----------------------------------------------------------------------------------------------------
# Reading Google Benchmark JSON


def load_json_salvaging(path):
    """Loads a benchmark JSON file. Google Benchmark writes rows as they finish, so a run that crashed or
    timed out leaves a truncated file: cut back to the last complete row and close the brackets rather
    than lose the whole run. Returns (document, note or None)."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    if not text.strip():
        fail(f"{path}: empty file")
    try:
        return json.loads(text), None
    except json.JSONDecodeError as e:
        first_error = e
    ends = [m.start() for m in re.finditer(r"\}", text)]
    for end in reversed(ends[-50:]):  # the last "}" is normally the end of the last complete row
        try:
            doc = json.loads(text[: end + 1] + "]}")
        except json.JSONDecodeError:
            continue
        if isinstance(doc, dict) and isinstance(doc.get("benchmarks"), list) and doc["benchmarks"]:
            note = (f"truncated JSON ({first_error.msg}, char {first_error.pos}); "
                    f"{len(doc['benchmarks'])} rows salvaged")
            warn(f"{path}: {note}")
            return doc, note
    fail(f"{path}: not valid benchmark JSON ({first_error})")


def parse_run_name(run_name):
    """Splits `<family>/<backend>.<algorithm>/L:../B:../D:..[/F:..][/manual_time]` into
    (family, variant, shape dict, is_manual). Names without an L segment (the roofline families, or
    anything foreign) come back with variant None and the cleaned name as family."""
    segs = [s for s in run_name.split("/") if s]
    rest, shape, manual = [], {}, False
    for s in segs:
        if s in RUN_SUFFIX_FLAGS:
            manual = manual or s == "manual_time"
            continue
        k, sep, v = s.partition(":")
        if sep and k in RUN_SUFFIX_KEYS:
            continue
        if sep and k in SHAPE_KEYS:
            try:
                shape[k] = int(v)
                continue
            except ValueError:
                pass
        rest.append(s)
    if "L" in shape and len(rest) >= 2:
        return rest[0], "/".join(rest[1:]), shape, manual
    return "/".join(rest), None, shape, manual


def parse_label(label):
    """`layer=<layer> variant=<full variant>` -> dict; tolerant of anything else."""
    out = {}
    for tok in (label or "").split():
        k, sep, v = tok.partition("=")
        if sep:
            out[k] = v
    return out


COUNTER_KEYS = ("items_per_second", "bytes_per_second", "roofline_frac", "mac_per_s", "macs_total", "macs_dense",
                "params", "tokens", "bytes_min")


def row_problem(b):
    """Why a benchmark row cannot be read (None when it can): not an object, a name or tag that is not a string,
    a time unit that is not one of ns, us, ms, s."""
    if not isinstance(b, dict):
        return "not an object"
    for k in ("name", "run_name", "run_type", "aggregate_name", "time_unit", "label"):
        if b.get(k) is not None and not isinstance(b[k], str):
            return f"{k} {b[k]!r} is not a string"
    if (b.get("time_unit") or "us") not in UNIT_TO_US:
        return f"unknown time_unit {b['time_unit']!r}"
    return None


def read_bench(path, file_index):
    doc, note = load_json_salvaging(path)
    if not isinstance(doc, dict):
        fail(f"{path}: top level is not an object")
    if not isinstance(doc.get("benchmarks", []), list):
        fail(f"{path}: \"benchmarks\" is not a list")
    ctx = doc.get("context") if isinstance(doc.get("context"), dict) else {}
    rows, skipped = [], []
    for i, b in enumerate(doc.get("benchmarks") or []):
        why = row_problem(b)
        if why:
            skipped.append(f"row {i}: {why}")
            continue
        run_type = b.get("run_type", "iteration")
        agg = b.get("aggregate_name")
        run_name = b.get("run_name")
        if not run_name:
            # older writers have no run_name: the aggregate suffix is the last `_<aggregate>` of name
            run_name = b.get("name") or ""
            if run_type == "aggregate" and agg and run_name.endswith("_" + agg):
                run_name = run_name[: -len(agg) - 1]
        family, variant, shape, manual = parse_run_name(run_name)
        if not family:
            skipped.append(f"row {i}: no name")
            continue
        scale = UNIT_TO_US[b.get("time_unit") or "us"]  # FORMAT.md fixes µs; a writer that omits it means µs
        # cv aggregates hold a fraction although time_unit says us (TOOLING.md §2.4): never rescale them
        is_fraction = run_type == "aggregate" and (b.get("aggregate_unit") == "percentage" or agg == "cv")
        t = fnum(b.get("real_time"))
        rows.append({
            "file": file_index, "family": family, "variant": variant, "shape": shape, "manual": manual,
            "run_type": run_type, "aggregate": agg, "real_us": t if is_fraction else t * scale,
            "repetitions": b.get("repetitions"), "error": bool(b.get("error_occurred")),
            "error_message": str(b.get("error_message") or "").strip(), "label": parse_label(b.get("label")),
            "counters": {k: fnum(b.get(k)) for k in COUNTER_KEYS if k in b},
        })
    # a file without one usable row would render as an empty report; some malformed rows among good ones are
    # dropped as a truncated file's tail is
    if not rows:
        fail(f"{path}: no usable benchmark rows" + (f" ({len(skipped)} malformed, {skipped[0]})" if skipped else ""))
    if skipped:
        warn(f"{path}: {len(skipped)} malformed row(s) skipped ({skipped[0]}" + (", ..." if len(skipped) > 1 else "")
             + ")")
    return {"path": path, "name": os.path.basename(path), "context": ctx, "rows": rows, "note": note}


# ----------------------------------------------------------------------------------------------------
# Statistics per instance


def median_of(values):
    v = [x for x in values if finite(x)]
    return float(np.median(v)) if v else NAN


def summarise(key, rows, contexts):
    """One record per (family, variant, L, B, D, F) from all its rows. Prefers per-repetition rows (the
    real distribution), else the aggregates (a file written with report_aggregates_only), else nothing
    but the error."""
    family, variant, L, B, D, F = key
    its = [r for r in rows if r["run_type"] != "aggregate" and not r["error"] and finite(r["real_us"])
           and r["real_us"] > 0]
    aggs = {}
    for r in rows:
        if r["run_type"] == "aggregate" and r["aggregate"] and not r["error"]:
            aggs.setdefault(r["aggregate"], r)  # first file wins when several carry the same aggregate
    errors = sorted({r["error_message"] or "error_occurred" for r in rows if r["error"]})
    layer = next((r["label"].get("layer") for r in rows if r["label"].get("layer")), family)
    rec = {"family": family, "layer": layer, "variant": variant, "L": L, "B": B, "D": D, "F": F,
           "reps": 0, "source": "", "median": NAN, "p10": NAN, "p90": NAN, "min": NAN, "cv": NAN,
           "error": "; ".join(errors), "manual": any(r["manual"] for r in rows)}
    counters = {}
    if its:
        t = np.array([r["real_us"] for r in its], dtype=float)
        rec.update(reps=len(t), source="repetitions" if len(t) > 1 else "single", median=float(np.median(t)),
                   min=float(t.min()))
        if len(t) > 1:
            rec["p10"], rec["p90"] = (float(x) for x in np.percentile(t, [10, 90]))
            # sample standard deviation, as Google Benchmark's own _cv aggregate
            rec["cv"] = float(np.std(t, ddof=1) / np.mean(t))
        elif "cv" in aggs:
            rec["cv"] = aggs["cv"]["real_us"]
        for k in COUNTER_KEYS:
            counters[k] = median_of([r["counters"].get(k, NAN) for r in its])
    elif aggs:
        # a latency of 0 is no measurement, as for the repetitions above (cv and stddev may be 0)
        timed = {k: r for k, r in aggs.items() if finite(r["real_us"]) and r["real_us"] > 0}
        centre = timed.get("median") or timed.get("mean")
        if centre is not None:
            rec.update(source="aggregates", median=centre["real_us"],
                       reps=int(fnum(centre.get("repetitions")) if finite(fnum(centre.get("repetitions"))) else 0))
            if "min" in timed:
                rec["min"] = timed["min"]["real_us"]
            if "cv" in aggs:
                rec["cv"] = aggs["cv"]["real_us"]
            elif "stddev" in aggs and "mean" in aggs and aggs["mean"]["real_us"] > 0:
                rec["cv"] = aggs["stddev"]["real_us"] / aggs["mean"]["real_us"]
            counters = dict(centre["counters"])
    med = rec["median"]
    have = finite(med) and med > 0
    sec = med * 1e-6 if have else NAN
    # Derived rates: the counters when the writer set them, else recomputed from their definitions in
    # FORMAT.md (tokens = B·L per call, bytes_min and macs_total per call).
    tok = counters.get("items_per_second", NAN)
    if not finite(tok) and have:
        per_call = counters.get("tokens", NAN)
        tok = (per_call if finite(per_call) else (B or 1) * L) / sec
    bps = counters.get("bytes_per_second", NAN)
    if not finite(bps) and have and finite(counters.get("bytes_min", NAN)):
        bps = counters["bytes_min"] / sec
    rf = counters.get("roofline_frac", NAN)
    if not finite(rf) and finite(bps):
        # same definition as the counter: bytes/s over the same run's 1-thread triad, if that run recorded one
        files = sorted({r["file"] for r in rows})
        triad = fnum(contexts[files[0]].get("roofline_triad_1t_gbs")) if files else NAN
        if finite(triad) and triad > 0:
            rf = bps / (triad * 1e9)
    mps = counters.get("mac_per_s", NAN)
    if not finite(mps) and have and finite(counters.get("macs_total", NAN)):
        mps = counters["macs_total"] / sec
    rec.update(tokens_per_s=tok if have else NAN, gbs=bps / 1e9 if have and finite(bps) else NAN,
               roofline_frac=rf if have else NAN, mac_per_s=mps if have else NAN)
    return rec


def variant_sort_key(v):
    b, _, a = (v or "").partition(".")
    border = BACKEND_ORDER.get(b, 90 if b == "torch" else 50)  # lrb backends first, the PyTorch peer last
    return (border, b, ALG_ORDER.get(a, 10), a)


def shape_of(rec):
    return (rec["B"], rec["D"], rec["F"])


def bd_of(rec):
    B, D = rec["B"], rec["D"]
    return B * D if B is not None and D is not None else None


def build_model(benches):
    grouped, others = {}, {}
    for bf in benches:
        for r in bf["rows"]:
            if r["variant"] is None:
                others.setdefault(r["family"], []).append(r)
                continue
            s = r["shape"]
            key = (r["family"], r["variant"], s["L"], s.get("B"), s.get("D"), s.get("F"))
            grouped.setdefault(key, []).append(r)
    contexts = [bf["context"] for bf in benches]
    recs = [summarise(k, v, contexts) for k, v in grouped.items()]
    none_last = lambda x: (x is None, x if x is not None else 0)  # noqa: E731
    recs.sort(key=lambda r: (r["family"], none_last(bd_of(r)), none_last(r["B"]), none_last(r["D"]),
                             none_last(r["F"]), variant_sort_key(r["variant"]), r["L"]))
    other_recs = []
    for name in sorted(others):
        rows = others[name]
        its = [r for r in rows if r["run_type"] != "aggregate" and not r["error"] and finite(r["real_us"])]
        med_row = next((r for r in rows if r["aggregate"] == "median"), None)
        t = [r["real_us"] for r in its] if its else ([med_row["real_us"]] if med_row else [])
        bps = median_of([r["counters"].get("bytes_per_second", NAN) for r in (its or ([med_row] if med_row else []))])
        errs = sorted({r["error_message"] or "error_occurred" for r in rows if r["error"]})
        other_recs.append({"family": name, "layer": "", "variant": "", "L": None, "B": None, "D": None, "F": None,
                           "reps": len(t), "source": "repetitions" if len(t) > 1 else ("single" if t else ""),
                           "median": median_of(t), "p10": NAN, "p90": NAN, "min": min(t) if t else NAN,
                           "cv": float(np.std(t, ddof=1) / np.mean(t)) if len(t) > 1 else NAN,
                           "tokens_per_s": NAN, "gbs": bps / 1e9 if finite(bps) else NAN, "roofline_frac": NAN,
                           "mac_per_s": NAN, "error": "; ".join(errs), "manual": False})
    return recs, other_recs


# ----------------------------------------------------------------------------------------------------
# Formatting


def fmt_us(x):
    if not finite(x):
        return "–"
    if x >= 1000:
        return f"{x:.0f}"
    if x >= 100:
        return f"{x:.1f}"
    if x >= 10:
        return f"{x:.2f}"
    if x >= 1:
        return f"{x:.3f}"
    return f"{x:.3g}"  # sub-µs: significant digits, not zeros


def fmt_ratio(x):
    if not finite(x):
        return "–"
    return f"{x:.2f}×" if x >= 0.1 else f"{x:.2g}×"


def fmt_pct(frac):
    if not finite(frac):
        return "–"
    p = frac * 100
    return f"{p:.1f} %" if abs(p) < 10 else f"{p:.0f} %"


def fmt_sci(x):
    if not finite(x):
        return "–"
    return f"{x:.3g}" if 1e-3 <= abs(x) < 1e6 or x == 0 else f"{x:.3e}"


def fmt_int(x):
    try:
        return f"{int(x):,}".replace(",", " ")
    except (TypeError, ValueError):
        return "–"


def natural_key(s):
    """Sort key that orders "B=8" before "B=16"."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", str(s))]


def md_escape(s):
    return str(s).replace("|", "\\|").replace("\n", " ")


def csv_num(x):
    if x is None:
        return ""
    if isinstance(x, bool):
        return "1" if x else "0"
    if isinstance(x, int):
        return str(x)
    return f"{x:.6g}" if finite(x) else ""


_NUMERIC_CELL = re.compile(r"^[-+]?[\d ]*\.?\d+([eE][-+]?\d+)?( ?[×%])?( \(.*\))?( \[.*\])?$|^[–-]$|^n/a$")


def table(header, rows):
    """Markdown table; a column is right-aligned when every cell in it reads as a number (or –)."""
    def numeric(i):
        return bool(rows) and all(_NUMERIC_CELL.match(str(r[i]).strip()) for r in rows)
    align = ["---" if i == 0 or not numeric(i) else "---:" for i in range(len(header))]
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    out += ["| " + " | ".join(md_escape(c) for c in r) + " |" for r in rows]
    return out


def safe(s):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(s)).strip("_") or "x"


def group_title(family, B, D, F):
    parts = []
    if B is not None:
        parts.append(f"B={B}")
    if D is not None:
        parts.append(f"D={D}")
    if F is not None:
        parts.append(f"F={F}")
    if B is not None and D is not None:
        parts.append(f"B·D={B * D}")
    return f"{family} — " + ", ".join(parts) if parts else family


def group_stem(family, B, D, F):
    s = safe(family)
    for k, v in (("B", B), ("D", D), ("F", F)):
        if v is not None:
            s += f"_{k}{v}"
    return s


# ----------------------------------------------------------------------------------------------------
# Analysis: speed-ups, crossover, slopes


def crossover(seq, par, Ls):
    """First L (ascending) where the parallel median beats the same backend's seq median, plus whether
    it loses again at a larger L, and the seq/parallel ratio at every L."""
    ratios = {}
    for L in Ls:
        s, p = seq.get(L), par.get(L)
        if s and p and finite(s["median"]) and finite(p["median"]) and p["median"] > 0:
            ratios[L] = s["median"] / p["median"]
    first = next((L for L in Ls if ratios.get(L, 0) > 1), None)
    relapse = None
    if first is not None:
        relapse = next((L for L in Ls if L > first and L in ratios and ratios[L] <= 1), None)
    return first, relapse, ratios


def fmt_crossover(first, relapse, ratios):
    if first is None:
        return f"never (L ≤ {max(ratios)})" if ratios else "n/a"
    return f"{first} (loses again at {relapse})" if relapse is not None else str(first)


def fit_slope(points, Ls_all):
    """Log-log slope at large L: a least-squares line through the points with L at or above the geometric
    middle of the group's L range (at least the variant's last two points). Slope 1 is O(L) work at
    constant bandwidth; below 1 means the small-L end is still latency- or overhead-bound."""
    pts = sorted((L, t) for L, t in points if L > 0 and finite(t) and t > 0)
    if len(pts) < 2:
        return NAN, None
    pos = [L for L in Ls_all if L > 0]
    mid = math.sqrt(min(pos) * max(pos))
    sel = [p for p in pts if p[0] >= mid]
    if len(sel) < 2:
        sel = pts[-2:]
    x = np.log2([p[0] for p in sel])
    y = np.log2([p[1] for p in sel])
    if np.ptp(x) == 0:
        return NAN, None
    return float(np.polyfit(x, y, 1)[0]), sel[0][0]


# ----------------------------------------------------------------------------------------------------
# Plots

_COLOURS = plt.get_cmap("tab10").colors
_MARKERS = "osD^v<>pXh*"


def style_for(variants_all):
    """Fixed colour and marker per variant across every plot of the report (sorted variant list)."""
    st = {}
    for i, v in enumerate(variants_all):
        st[v] = {"color": _COLOURS[i % len(_COLOURS)], "marker": _MARKERS[i % len(_MARKERS)],
                 "linestyle": "--" if v.startswith("torch.") else "-"}
    return st


def base2_axis(ax, Ls):
    """log2 x axis with integer tick labels at powers of two spanning the sweep; every other power when
    the sweep covers more than 9 octaves so the labels do not collide."""
    Ls = [L for L in Ls if L > 0]  # an L:0 instance can be tabulated but not placed on a log axis
    ax.set_xlabel("sequence length L")
    if not Ls:
        return
    ax.set_xscale("log", base=2)
    lo, hi = min(Ls), max(Ls)
    k0, k1 = int(math.floor(math.log2(lo))), int(math.ceil(math.log2(hi)))
    step = 1 if k1 - k0 <= 8 else 2
    ticks = [2.0 ** k for k in range(k0, k1 + 1, step)]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{int(round(v))}"))
    ax.xaxis.set_minor_locator(NullLocator())
    pad = 2 ** 0.3
    ax.set_xlim(lo / pad, hi * pad)


def save(fig, outdir, stem):
    # deterministic files: no timestamp in the SVG, fixed hash salt for its element ids
    fig.savefig(os.path.join(outdir, stem + ".png"), dpi=110, metadata={"Software": None})
    fig.savefig(os.path.join(outdir, stem + ".svg"), metadata={"Date": None})
    plt.close(fig)


def value_axis(ax, values, eng=False, log_ok=True):
    """y axis that stays labelled whatever the data range: log with 1-2-5 ticks when the data span more
    than a factor 4, else linear from 0; engineering labels (12k, 3.4M) either way."""
    v = [x for x in values if finite(x) and x > 0]
    if log_ok and v and max(v) / min(v) > 4:
        # limits from the data alone, so guides drawn later are clipped instead of stretching the axis
        ax.set_yscale("log")
        ax.set_ylim(min(v) / 1.4, max(v) * 1.4)
        decades = math.log10(max(v) / min(v))
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0) if decades <= 2.5 else (1.0,)))
        ax.yaxis.set_minor_locator(NullLocator())
    elif v:
        ax.set_ylim(0, max(v) * 1.15)
    # tokens/s read best as 1.2M; latencies in µs as plain numbers (an SI "m" on µs would mislead)
    ax.yaxis.set_major_formatter(EngFormatter(sep="") if eng else FuncFormatter(lambda y, _: f"{y:g}"))


def series(cells, v, Ls, field):
    return [(L, cells[v][L]) for L in Ls if L in cells[v] and finite(cells[v][L][field])]


def plot_group(outdir, stem, title, variants, cells, Ls, styles, slopes, xovers):
    """Latency (with p10–p90 bars, a slope-1 guide and the crossover marked), roofline fraction and
    tokens/s against L for one family and shape; returns {kind: file stem} of what was written."""
    files = {}
    line = {"linewidth": 1.6, "markersize": 5}
    # --- latency
    fig, ax = plt.subplots(figsize=(8.2, 5.8))
    ys = []
    for v in variants:
        pts = series(cells, v, Ls, "median")
        errs = [L for L in Ls if L in cells[v] and cells[v][L]["error"] and not finite(cells[v][L]["median"])]
        lab = v + (f" [error at L={','.join(map(str, errs))}]" if errs else "")
        if not pts:
            ax.plot([], [], label=lab + " [no timings]", **styles[v])
            continue
        x = [p[0] for p in pts]
        y = [p[1]["median"] for p in pts]
        lo = [max(0.0, c["median"] - c["p10"]) if finite(c["p10"]) else 0.0 for _, c in pts]
        hi = [max(0.0, c["p90"] - c["median"]) if finite(c["p90"]) else 0.0 for _, c in pts]
        ax.errorbar(x, y, yerr=[lo, hi], capsize=3, label=lab, **line, **styles[v])
        ys += y + [c["p10"] for _, c in pts] + [c["p90"] for _, c in pts]
    value_axis(ax, ys)
    if not ys:
        ax.text(0.5, 0.5, "no timings: every instance failed", transform=ax.transAxes, ha="center", va="center")
    # slope-1 guide: through half the fastest time at the largest L, so it runs parallel to (not on top
    # of) an O(L) line and the eye can compare slopes; the axis limits are already set, so it is clipped
    ends = [series(cells, v, Ls, "median")[-1] for v in variants if series(cells, v, Ls, "median")]
    if ends and len(Ls) > 1 and min(Ls) > 0:
        Lx = max(L for L, _ in ends)
        t_end = min(c["median"] for L, c in ends if L == Lx) / 2
        gx = np.array([min(Ls), max(Ls)], dtype=float)
        ax.plot(gx, t_end * gx / Lx, color="0.4", linestyle=(0, (5, 4)), linewidth=1.0, label="slope 1 (time ∝ L)")
    base2_axis(ax, Ls)
    for v, L in xovers.items():
        if not isinstance(L, int):
            continue
        ax.axvline(L, color=styles[v]["color"], linestyle=":", linewidth=1.3)
        ax.annotate(f"L* {v}", xy=(L, 1.0), xycoords=("data", "axes fraction"), xytext=(3, -4),
                    textcoords="offset points", rotation=90, va="top", ha="left", fontsize=7.5,
                    color=styles[v]["color"])
    ax.set_ylabel("latency per call, µs (median; bars p10–p90)")
    ax.grid(True, which="major", alpha=0.3)
    sl = ", ".join(f"{v} {slopes[v][0]:.2f}" for v in variants if finite(slopes.get(v, (NAN,))[0]))
    cx = ", ".join(f"{v} {L}" for v, L in xovers.items()) or "no parallel variant here"
    lines = [f"{title}: latency vs L"]
    lines += textwrap.wrap(f"log-log slope at large L: {sl or 'n/a'}", 115)
    lines += textwrap.wrap(f"crossover L* (beats same-backend seq): {cx}", 115)
    ax.set_title("\n".join(lines), fontsize=9)
    ax.legend(fontsize=8, loc="upper left", framealpha=0.9)
    fig.tight_layout()
    save(fig, outdir, stem + "_latency")
    files["latency"] = stem + "_latency"

    # --- roofline fraction (only when some variant has it)
    rvals = [100 * c["roofline_frac"] for v in variants for c in cells[v].values() if finite(c["roofline_frac"])]
    if rvals:
        fig, ax = plt.subplots(figsize=(8.2, 4.6))
        for v in variants:
            pts = series(cells, v, Ls, "roofline_frac")
            if pts:
                ax.plot([p[0] for p in pts], [100 * c["roofline_frac"] for _, c in pts], label=v, **line, **styles[v])
        top = max(rvals) * 1.15
        # the 100 % line only when the data come near it: scalar reference kernels sit at a few per cent
        # and would be squashed flat under a fixed 0–100 axis
        # cuda rows are fractions of the device-to-device copy (bench/FORMAT.md), the others of the triad
        gpu = all(v.startswith("cuda.") for v in variants)
        roof = "device-to-device copy" if gpu else "triad"
        if top >= 70:
            ax.axhline(100, color="0.4", linestyle=(0, (5, 4)), linewidth=1.0, label=f"100 % = same-run {roof}")
            top = max(top, 110)
        ax.set_ylim(0, top)
        base2_axis(ax, Ls)
        ax.set_ylabel("minimal bytes/s ÷ same-run device copy, %" if gpu else "minimal bytes/s ÷ same-run triad, %")
        ax.grid(True, alpha=0.3)
        ax.set_title(f"{title}: roofline fraction vs L", fontsize=9)
        ax.legend(fontsize=8, framealpha=0.9)
        fig.tight_layout()
        save(fig, outdir, stem + "_roofline")
        files["roofline"] = stem + "_roofline"

    # --- tokens/s
    tvals = [c["tokens_per_s"] for v in variants for c in cells[v].values() if finite(c["tokens_per_s"])]
    if tvals:
        fig, ax = plt.subplots(figsize=(8.2, 4.6))
        for v in variants:
            pts = series(cells, v, Ls, "tokens_per_s")
            if pts:
                ax.plot([p[0] for p in pts], [c["tokens_per_s"] for _, c in pts], label=v, **line, **styles[v])
        value_axis(ax, tvals, eng=True)
        base2_axis(ax, Ls)
        ax.set_ylabel("tokens/s (B·L per call ÷ median)")
        ax.grid(True, which="major", alpha=0.3)
        ax.set_title(f"{title}: throughput vs L", fontsize=9)
        ax.legend(fontsize=8, framealpha=0.9)
        fig.tight_layout()
        save(fig, outdir, stem + "_tokens")
        files["tokens"] = stem + "_tokens"
    return files


# ----------------------------------------------------------------------------------------------------
# Machine context

CONTEXT_FIELDS = [
    ("CPU model", ("cpu_model",)),
    ("CPUs", ("num_cpus", "nproc")),
    ("MHz per CPU", ("mhz_per_cpu",)),
    ("CPU scaling enabled", ("cpu_scaling_enabled",)),
    ("caches", ("caches",)),
    ("ISA in use", ("isa",)),
    ("threads", ("threads",)),
    ("compiler", ("compiler",)),
    ("C flags", ("c_flags",)),
    ("build type", ("build_type",)),
    ("benchmark library build", ("library_build_type",)),
    ("FTZ/DAZ", ("ftz_daz",)),
    ("GPU", ("gpu_name",)),
    ("GPU compute capability", ("gpu_cc",)),
    ("GPU SMs", ("gpu_sms",)),
    ("GPU L2 bytes", ("gpu_l2_bytes",)),
    ("GPU driver", ("gpu_driver", "driver_version")),
    ("GPU SM clock, MHz", ("gpu_clock_mhz", "gpu_sm_clock_mhz", "clocks_sm")),
    ("GPU max clock, MHz", ("gpu_max_clock_mhz", "clocks_max_sm")),
    ("GPU power limit", ("gpu_power_limit", "power_limit")),
    ("CUDA runtime", ("cuda_runtime",)),
    ("CUDA driver API", ("cuda_driver_api",)),
    ("TF32 override", ("tf32_override",)),
    ("L2 policy", ("l2_policy",)),
    ("git commit", ("lrb_git_commit", "git_commit")),
    ("git dirty", ("lrb_git_dirty", "git_dirty")),
    ("sweep", ("sweep",)),
    ("golden version", ("golden_version",)),
    ("roofline copy 1T, GB/s", ("roofline_copy_1t_gbs",)),
    ("roofline copy 2T, GB/s", ("roofline_copy_2t_gbs",)),
    ("roofline triad 1T, GB/s", ("roofline_triad_1t_gbs",)),
    ("roofline triad 2T, GB/s", ("roofline_triad_2t_gbs",)),
    ("date", ("date",)),
    ("host", ("host_name",)),
    ("executable", ("executable",)),
]
CONTEXT_SKIP = {"load_avg"}


def fmt_ctx_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        if v and all(isinstance(c, dict) and "level" in c for c in v):  # Google Benchmark's caches[]
            return ", ".join(f"L{c.get('level')} {str(c.get('type', '')).lower()} {fmt_bytes(c.get('size'))}"
                             + (f" ×{c.get('num_sharing')} sharing" if (c.get("num_sharing") or 1) > 1 else "")
                             for c in v)
        return ", ".join(str(x) for x in v)
    if isinstance(v, dict):
        return json.dumps(v, sort_keys=True)
    return str(v)


def fmt_bytes(n):
    n = fnum(n)
    if not finite(n):
        return "?"
    for unit, div in (("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if n >= div and n % div == 0:
            return f"{int(n // div)} {unit}"
    return f"{int(n)} B"


def context_rows(sources):
    """sources: [(name, dict)]. One row per known field (aliases merged), then every other scalar key;
    where sources disagree, each value is tagged with the file it came from."""
    rows, used = [], set()

    def values_for(keys):
        vals = []
        for name, ctx in sources:
            for k in keys:
                if k in ctx and ctx[k] not in (None, ""):
                    vals.append((name, fmt_ctx_value(ctx[k])))
                    break
        return vals

    def render(vals):
        distinct = []
        for _, v in vals:
            if v not in distinct:
                distinct.append(v)
        if len(distinct) == 1:
            return distinct[0]
        return "; ".join(f"{v} ({n})" for n, v in vals)

    for label, keys in CONTEXT_FIELDS:
        used.update(keys)
        vals = values_for(keys)
        if vals:
            rows.append((label, render(vals)))
    extra = sorted({k for _, ctx in sources for k in ctx if k not in used and k not in CONTEXT_SKIP})
    for k in extra:
        vals = values_for((k,))
        if vals:
            rows.append((k, render(vals)))
    return rows


# ----------------------------------------------------------------------------------------------------
# Complexity and conformance inputs


def parse_complexity(paths):
    """Returns (groups, verbatim): groups maps (layer, config without L) -> {L: row}; verbatim is a list of
    (file name, text) for plain-text output that is not a --seq-lens table (the seed tree printouts)."""
    groups, verbatim = {}, []

    def add(layer, config, L, vals):
        base = re.sub(r"\s*\bL=\d+\b", "", config).strip()
        groups.setdefault((layer, base), {})[L] = vals

    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        leftover, bad = [], 0
        lines = text.splitlines()
        i = 0
        while i < len(lines):
            ln = lines[i]
            s = ln.strip()
            if s.startswith("{"):
                try:
                    o = json.loads(s)
                    cfg = str(o.get("config", ""))
                    m = re.search(r"\bL=(\d+)\b", cfg)
                    add(str(o.get("layer", "?")), cfg, int(m.group(1)) if m else None,
                        {k: o.get(k) for k in ("params", "macs_dense", "macs_total", "transcendentals", "bytes_min",
                                               "state_floats")})
                except (json.JSONDecodeError, AttributeError):
                    bad += 1
                i += 1
                continue
            m = re.match(r"^(\S+) \((.*)\) across sequence lengths$", s)
            if m and i + 1 < len(lines) and lines[i + 1].split()[:1] == ["L"]:
                cols = lines[i + 1].split()
                i += 2
                while i < len(lines) and re.match(r"^\s*\d+(\s+-?\d+)+\s*$", lines[i]):
                    nums = [int(x) for x in lines[i].split()]
                    d = dict(zip(cols, nums))
                    add(m.group(1), m.group(2), d.get("L"), {k: d.get(k) for k in cols if k != "L"})
                    i += 1
                continue
            leftover.append(ln)
            i += 1
        if bad:
            warn(f"{path}: {bad} unparsable JSON lines skipped")
        rest = "\n".join(leftover).strip()
        if rest:
            verbatim.append((os.path.basename(path), rest))
    return groups, verbatim


def read_conformance(paths):
    rows, bad = [], 0
    for path in paths:
        good, bad_here = 0, 0
        with open(path, encoding="utf-8", errors="replace") as f:
            for ln in f:
                ln = ln.strip()
                if not ln:
                    continue
                try:
                    o = json.loads(ln)
                except json.JSONDecodeError:
                    bad_here += 1
                    continue
                if isinstance(o, dict):
                    rows.append(o)
                    good += 1
                else:
                    bad_here += 1  # JSON, but not a row
        # a stray line is reported and skipped (a check cut off mid-line); a file of nothing else is not its output
        if bad_here and not good:
            fail(f"{path}: not lrb check --json output ({bad_here} unparsable line(s), no row)")
        bad += bad_here
    if bad:
        warn(f"conformance: {bad} unparsable lines skipped")
    return rows, bad


def conformance_section(rows, bad, names):
    out = ["## Conformance", "", f"Source: {', '.join(names)}. One row per (case, variant): its worst tensor's "
           "relative L2 error against the float64 oracle and the case's tolerance (TOOLING.md §10)."]
    if bad:
        out.append(f"{bad} unparsable line(s) skipped.")
    out.append("")
    if not rows:
        return out + ["No conformance rows.", ""]
    per = {}
    for r in rows:
        per.setdefault((str(r.get("layer", "?")), str(r.get("variant", "?"))), []).append(r)
    body = []
    for (layer, var) in sorted(per, key=lambda k: (k[0], variant_sort_key(k[1].split(".", 1)[-1]), k[1])):
        rs = per[(layer, var)]
        passed = sum(1 for r in rs if r.get("pass") is True)

        def badness(r):
            e, t = fnum(r.get("rel_l2")), fnum(r.get("tol_rel_l2"))
            if not finite(e):
                return math.inf  # no measurement (load failure): worse than any number
            return e / t if finite(t) and t > 0 else math.inf

        worst = max(rs, key=lambda r: (fnum(r.get("rel_l2")) if finite(fnum(r.get("rel_l2"))) else math.inf))
        worst_ratio = max(rs, key=badness)
        body.append([layer, var, str(len(rs)), str(passed), str(len(rs) - passed),
                     fmt_sci(fnum(worst.get("rel_l2"))) if finite(fnum(worst.get("rel_l2"))) else "n/a",
                     fmt_sci(fnum(worst.get("tol_rel_l2"))), str(worst.get("case", "?")),
                     fmt_sci(badness(worst_ratio)) if finite(badness(worst_ratio)) else "n/a"])
    npass = sum(1 for r in rows if r.get("pass") is True)
    out.append(f"**{npass} of {len(rows)} passed, {len(rows) - npass} failed.**")
    out.append("")
    out += table(["layer", "variant", "cases", "passed", "failed", "worst rel_l2", "tolerance there", "worst case",
                  "worst rel_l2/tol"], body)
    fails = [r for r in rows if r.get("pass") is not True]
    out.append("")
    if fails:
        out += ["### Failing rows", ""]
        fb = []
        for r in sorted(fails, key=lambda r: (str(r.get("layer")), str(r.get("variant")), str(r.get("case")))):
            shape = r.get("shape")
            fb.append([str(r.get("case", "?")), str(r.get("variant", "?")), str(r.get("tensor", "?")),
                       "×".join(str(x) for x in shape) if isinstance(shape, list) and shape else "–",
                       fmt_sci(fnum(r.get("rel_l2"))) if finite(fnum(r.get("rel_l2"))) else "n/a",
                       fmt_sci(fnum(r.get("tol_rel_l2"))), str(r.get("nonfinite", "–")),
                       str(r.get("unwritten", "–")), str(r.get("violations", "–")), str(r.get("why", ""))])
        out += table(["case", "variant", "tensor", "shape", "rel_l2", "tolerance", "nonfinite", "unwritten",
                      "violations", "why"], fb)
        out.append("")
    else:
        out += ["No failing rows.", ""]
    return out


def complexity_section(groups, verbatim, names):
    out = ["## Complexity", "", f"Source: {', '.join(names)} (`lrb complexity`; LAYERS.md §5.2 conventions). "
           "Per call; MAC/byte = macs_total ÷ bytes_min (low values are memory-bound).", ""]
    for (layer, cfg) in sorted(groups, key=lambda k: (k[0], natural_key(k[1]))):
        rows = groups[(layer, cfg)]
        m = re.search(r"\bB=(\d+)\b", cfg)
        B = int(m.group(1)) if m else None
        out += [f"### {layer} ({cfg})", ""]
        body = []
        for L in sorted(rows, key=lambda x: (x is None, x or 0)):
            v = rows[L]
            mt, bm = fnum(v.get("macs_total")), fnum(v.get("bytes_min"))
            tokens = B * L if B and L else None
            body.append([str(L) if L is not None else "–", fmt_int(v.get("params")), fmt_int(v.get("macs_dense")),
                         fmt_int(v.get("macs_total")), fmt_int(v.get("transcendentals")), fmt_int(v.get("bytes_min")),
                         fmt_int(v.get("state_floats")),
                         f"{mt / tokens:.6g}" if tokens and finite(mt) else "–",
                         f"{bm / tokens:.6g}" if tokens and finite(bm) else "–",
                         f"{mt / bm:.3f}" if finite(mt) and finite(bm) and bm > 0 else "–"])
        out += table(["L", "params", "macs_dense", "macs_total", "transcendentals", "bytes_min", "state floats",
                      "MACs/token", "bytes/token", "MAC/byte"], body)
        out.append("")
    for name, text in verbatim:
        out += [f"### {name}", "", "```", text, "```", ""]
    if not groups and not verbatim:
        out += ["No complexity rows.", ""]
    return out


# ----------------------------------------------------------------------------------------------------
# Main report


CSV_COLUMNS = ["family", "layer", "variant", "L", "B", "D", "F", "BD", "reps", "stats_from", "median_us", "p10_us",
               "p90_us", "min_us", "cv_pct", "tokens_per_s", "gb_per_s", "roofline_frac", "mac_per_s", "manual_time",
               "error"]


def write_csv(path, recs, others):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(CSV_COLUMNS)
        for r in recs + others:
            w.writerow([r["family"], r["layer"], r["variant"] or "", csv_num(r["L"]), csv_num(r["B"]), csv_num(r["D"]),
                        csv_num(r["F"]), csv_num(bd_of(r)), csv_num(r["reps"]), r["source"], csv_num(r["median"]),
                        csv_num(r["p10"]), csv_num(r["p90"]), csv_num(r["min"]),
                        csv_num(r["cv"] * 100 if finite(r["cv"]) else NAN), csv_num(r["tokens_per_s"]),
                        csv_num(r["gbs"]), csv_num(r["roofline_frac"]), csv_num(r["mac_per_s"]),
                        csv_num(bool(r["manual"])), r["error"]])


def cell_text(c):
    """Latency cell: median µs (cv %) [roofline %], or the error."""
    if c is None:
        return "–"
    if not finite(c["median"]):
        return f"error: {c['error']}" if c["error"] else "–"
    spread = f"({c['cv'] * 100:.1f} %)" if finite(c["cv"]) else f"(n={c['reps']})"
    s = f"{fmt_us(c['median'])} {spread}"
    if finite(c["roofline_frac"]):
        s += f" [{fmt_pct(c['roofline_frac'])}]"
    if c["error"]:
        s += f" (some runs: error: {c['error']})"
    return s


def ratio_of(cells, num, den, L):
    a, b = cells[num].get(L), cells[den].get(L)
    if a and b and finite(a["median"]) and finite(b["median"]) and b["median"] > 0:
        return a["median"] / b["median"]
    return NAN


def group_section(fam, shape, grecs, outdir, styles):
    """summary.md lines for one family and (B, D, F): latency table, speed-ups, crossover, slopes and
    plot links; also the rows this group adds to the crossover overview."""
    B, D, F = shape
    variants = sorted({r["variant"] for r in grecs}, key=variant_sort_key)
    Ls = sorted({r["L"] for r in grecs})
    cells = {v: {r["L"]: r for r in grecs if r["variant"] == v} for v in variants}
    title = group_title(fam, B, D, F)
    md = [f"### {title}", ""]
    md += table(["L"] + variants, [[str(L)] + [cell_text(cells[v].get(L)) for v in variants] for L in Ls])
    md.append("")

    # one speed-up table per reference: ref.seq against every other variant (the peer included), then
    # each PyTorch peer variant against every lrb variant
    base = "ref.seq"
    lrb_vars = [v for v in variants if not v.startswith("torch.")]
    torch_vars = [v for v in variants if v.startswith("torch.")]
    for ref in ([base] if base in variants else []) + torch_vars:
        cols = [v for v in (variants if ref == base else lrb_vars) if v != ref]
        if any(finite(ratio_of(cells, ref, v, L)) for v in cols for L in Ls):
            md += [f"Speed-up vs `{ref}` (`{ref}` median ÷ variant median; > 1: faster than `{ref}`):", ""]
            md += table(["L"] + cols, [[str(L)] + [fmt_ratio(ratio_of(cells, ref, v, L)) for v in cols] for L in Ls])
            md.append("")
    if base not in variants and len(variants) > 1:
        md += [f"No `{base}` in this group: no speed-up vs `{base}`.", ""]

    # crossover: every parallel algorithm against the sequential scan of its own backend
    xrows, xovers, overview = [], {}, []
    bd = B * D if B is not None and D is not None else None
    for v in variants:
        be, _, alg = v.partition(".")
        seqv = f"{be}.seq"
        if alg in SEQUENTIAL_ALGS:
            continue
        if seqv not in variants:
            xrows.append([v, "–", f"n/a (no {seqv} here)"] + ["–"] * len(Ls))
            continue
        first, relapse, ratios = crossover(cells[seqv], cells[v], Ls)
        xovers[v] = first if first is not None else ("never" if ratios else "n/a")  # plot title
        xs = fmt_crossover(first, relapse, ratios)
        xrows.append([v, seqv, xs] + [f"{ratios[L]:.2f}" if L in ratios else "–" for L in Ls])
        overview.append([fam] + ["–" if x is None else str(x) for x in (B, D, bd)] + [v, seqv, xs])
    if xrows:
        md += ["O(L) vs O(log L) crossover (seq ÷ parallel median at each L):", ""]
        md += table(["variant", "vs", "crossover L*"] + [f"L={L}" for L in Ls], xrows)
        md.append("")

    slopes = {v: fit_slope([(L, c["median"]) for L, c in cells[v].items()], Ls) for v in variants}
    sl = [f"{v} {slopes[v][0]:.2f} (L ≥ {slopes[v][1]})" for v in variants if finite(slopes[v][0])]
    if sl:
        md += ["Log-log slope at large L: " + ", ".join(sl) + ".", ""]
    files = plot_group(outdir, group_stem(fam, B, D, F), title, variants, cells, Ls, styles, slopes, xovers)
    for kind, label in (("latency", "latency vs L"), ("roofline", "roofline fraction vs L"),
                        ("tokens", "tokens/s vs L")):
        if kind in files:
            md += [f"![{title}: {label}]({files[kind]}.png) ([SVG]({files[kind]}.svg))", ""]
    if "roofline" not in files:
        md += ["(No roofline_frac in the input for this group: no roofline plot.)", ""]
    return md, overview


READING_GUIDE = [
    "## How to read this report", "",
    "- Latency cells: **median µs (cv %) [roofline %]** over the repetitions (cv = sample standard deviation ÷ "
    "mean; `n=1` when there was a single repetition). Roofline % is `roofline_frac`: the minimal bytes/s ÷ the "
    "same run's memory bandwidth (the triad at the variant's thread count; for cuda rows the device-to-device "
    "copy), measured on arrays far larger than any cache: a working set (`bytes_min`) that fits in the caches "
    "can exceed 100 %.",
    "- Speed-up vs R = median of R ÷ median of the variant, same family and shape (> 1: faster than R). R is "
    "`ref.seq` and, where the PyTorch peer ran, each `torch.*` variant.",
    "- Crossover L*: the first L of the sweep where a parallel algorithm's median beats the median of `seq` of "
    "the *same backend*; the ratio columns are seq ÷ parallel at every L (> 1: the parallel one wins).",
    "- Slope: least-squares slope of log latency vs log L over the upper half (geometric) of the L range; 1 means "
    "time ∝ L.",
    "- A variant that failed conformance is not timed; its cells read `error: <message>`.", ""]


def header_section(a, benches, ctx_sources, others):
    def names(paths, what):
        return f", {what} " + ", ".join(f"`{os.path.basename(p)}`" for p in paths) if paths else ""
    md = [f"# {a.title}", "",
          "Inputs: " + ", ".join(f"`{b['name']}`" for b in benches) + names(a.conformance, "conformance")
          + names(a.complexity, "complexity") + names(a.context, "context") + "."]
    md += [f"**Warning:** `{b['name']}`: {b['note']}." for b in benches if b["note"]]
    md += ["", "## Machine context", ""]
    md += table(["field", "value"], context_rows(ctx_sources))
    roof = [o for o in others if o["family"].startswith("roofline/")]
    if roof:
        md += ["", "Same-run roofline benchmarks (median of the repetitions):", ""]
        md += table(["benchmark", "GB/s", "reps"],
                    [[o["family"], f"{o['gbs']:.2f}" if finite(o["gbs"]) else "–", str(o["reps"])] for o in roof])
    rest = [o for o in others if not o["family"].startswith("roofline/")]
    if rest:
        md += ["", "Benchmarks without an `L:` segment (not tabulated per family):", ""]
        md += table(["name", "median µs", "error"], [[o["family"], fmt_us(o["median"]), o["error"]] for o in rest])
    return md + [""]


def read_context(path):
    try:
        with open(path, encoding="utf-8") as f:
            c = json.load(f)
    except ValueError as e:  # invalid JSON, or not UTF-8 (an unreadable file is main()'s OSError)
        fail(f"{path}: not valid context JSON ({e})")
    if not isinstance(c, dict):
        fail(f"{path}: context is not a JSON object")
    return c


def same_machine(benches):
    """Rows of different machines must not be pooled: every --bench file whose context names the CPU model
    (`cpu_model`) or the device (the name that `gpu` starts with; lrb_bench writes `none` when it had none) must
    name the same as the first file that does. The PyTorch peer names no device; the files of one run
    (ci/gpu_run.sh writes one per family) all name the same."""
    seen = {}
    for b in benches:
        gpu = b["context"].get("gpu")
        for key, v in (("cpu_model", b["context"].get("cpu_model")),
                       ("gpu", gpu.split(",")[0] if isinstance(gpu, str) and gpu != "none" else None)):
            if not isinstance(v, str) or not v.strip():
                continue
            v = " ".join(v.split())  # /proc/cpuinfo's padding, kept by some writers and stripped by others
            first = seen.setdefault(key, (b["path"], v))
            if first[1] != v:
                fail(f"{b['path']}: measured on another machine than {first[0]} ({key} {v!r} vs {first[1]!r}); "
                     "render each machine's files separately")


def main(argv=None):
    ap = argparse.ArgumentParser(description="Render lrb benchmark/conformance output into summary.csv, "
                                 "summary.md and plots.")
    ap.add_argument("--bench", action="append", required=True, help="Google Benchmark JSON (repeatable)")
    ap.add_argument("--conformance", action="append", default=[], help="lrb check --json output (repeatable)")
    ap.add_argument("--complexity", action="append", default=[],
                    help="lrb complexity --json output or its text output (repeatable)")
    ap.add_argument("--context", action="append", default=[], help="context.json from the CI script (repeatable)")
    ap.add_argument("--out", required=True, help="output directory (created)")
    ap.add_argument("--title", default="lrb benchmark report")
    ap.error = fail  # one line and exit 2, not argparse's usage block
    a = ap.parse_args(argv)
    try:
        return render(a)
    except OSError as e:
        fail(f"{e.filename or ''}: {e.strerror or e}")


def render(a):
    plt.rcParams["svg.hashsalt"] = "lrb-report"
    # SVG text stays text (searchable, smaller; titles can be checked by the smoke test)
    plt.rcParams["svg.fonttype"] = "none"

    # every input first: a run that fails on one leaves no half-made --out
    benches = [read_bench(p, i) for i, p in enumerate(a.bench)]
    same_machine(benches)
    ctx_sources = [(b["name"], b["context"]) for b in benches]
    ctx_sources += [(os.path.basename(p), read_context(p)) for p in a.context]
    if a.complexity:
        groups, verbatim = parse_complexity(a.complexity)
    if a.conformance:
        crows, bad = read_conformance(a.conformance)

    os.makedirs(a.out, exist_ok=True)
    recs, others = build_model(benches)
    write_csv(os.path.join(a.out, "summary.csv"), recs, others)
    styles = style_for(sorted({r["variant"] for r in recs}, key=variant_sort_key))

    fam_md, overview = [], []
    families = list(dict.fromkeys(r["family"] for r in recs))  # recs are sorted: deterministic order
    for fam in families:
        frecs = [r for r in recs if r["family"] == fam]
        layers = sorted({r["layer"] for r in frecs})
        fam_md += [f"## {fam}" + (f" (layer {', '.join(layers)})" if layers != [fam] else ""), ""]
        for shape in dict.fromkeys(shape_of(r) for r in frecs):
            lines, ov = group_section(fam, shape, [r for r in frecs if shape_of(r) == shape], a.out, styles)
            fam_md += lines
            overview += ov

    errors = [r for r in recs if r["error"]]
    md = header_section(a, benches, ctx_sources, others) + READING_GUIDE
    md += ["## Overview", "", f"{len(families)} families, {len(recs)} instances, {len(errors)} with errors."]
    if overview:
        md += ["", "Crossover L* per family, B·D and parallel variant (details under each family):", ""]
        md += table(["family", "B", "D", "B·D", "variant", "vs", "crossover L*"], overview)
    if errors:
        md += ["", "Instances with errors:", ""]
        md += table(["family", "variant", "L", "B", "D", "error"],
                    [[r["family"], r["variant"], str(r["L"]), str(r["B"]), str(r["D"]), r["error"]] for r in errors])
    md.append("")
    if not recs:
        md += ["No benchmark rows with an `L:` segment in the input.", ""]
    md += fam_md
    if a.complexity:
        md += complexity_section(groups, verbatim, [os.path.basename(p) for p in a.complexity])
    if a.conformance:
        md += conformance_section(crows, bad, [os.path.basename(p) for p in a.conformance])
    with open(os.path.join(a.out, "summary.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(md).rstrip() + "\n")
    print(f"render.py: wrote {a.out}/summary.md, summary.csv and plots for {len(families)} families")
    return 0


if __name__ == "__main__":
    sys.exit(main())
