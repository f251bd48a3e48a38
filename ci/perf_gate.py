#!/usr/bin/python3
"""perf_gate.py — the statistical performance-regression gate over Google Benchmark 1.7.1 JSON.

Gate mode:
    ci/perf_gate.py BASELINE.json CONTENDER.json [--alpha 0.01] [--threshold 0.10] [--min-reps 9]
                    [--filter REGEX] [--markdown OUT.md] [--no-scipy]
Merge mode (used by ci/perf_ab.sh to join the rounds of one side of an A/B run):
    ci/perf_gate.py --merge OUT.json IN1.json IN2.json ...
Option check (ci/perf_ab.sh runs it before building anything, so a typo fails in seconds, not after the
benchmarks): ci/perf_gate.py --check-args [--alpha A] [--threshold T] [--min-reps N] [--filter REGEX]
    validates the gate options as gate mode would, prints the --min-reps in force and exits 0 (or 2).

The rule (TOOLING.md §2.6, DESIGN.md §8). Compare.py cannot gate (it always exits 0), so the decision is
made here, from the per-repetition rows (`run_type: iteration`) of each benchmark name:

  regression  ⇔  Mann–Whitney U, two-sided, on real_time:  p < alpha
                 AND  median(contender) / median(baseline) − 1  >  threshold

Both halves are needed: the U test alone flags 2 % shifts that are real but irrelevant, the median change
alone flaps with noise (an A/A run on the CPU VMs showed single repetitions +47 % at p = 0.54).
Defaults: alpha = 0.01; threshold +10 % — right for the shared CPU VMs, whose run-to-run CVs reach 3.5 %;
on a dedicated GPU host use --threshold 0.05.

A gate that cannot decide must not pass silently, so these count as failed:
  - fewer than --min-reps (9) repetitions on either side ("insufficient data": with fewer, the U test
    cannot reach small p-values at all; 3 vs 3 never goes below p = 0.1),
  - a benchmark of the baseline that is missing from the contender,
  - a contender row with error_occurred (lrb reports conformance failures that way, exit status 0),
  - no benchmark left to compare at all (an empty baseline, a filter that matches nothing, or a
    baseline whose every benchmark errored).
Benchmarks only in the contender, or that errored only in the baseline, are listed as "new" and pass.

Results from different machines, builds or programs are not comparable: if the context keys cpu_model,
isa, gpu_name or build_type (when present on either side) or the executable's file name differ, the gate
prints "incomparable: <key> differs (<a> vs <b>)" on stderr and exits 3 (the directory of the executable
may differ: ci/perf_ab.sh builds each commit in its own worktree).

Bad input is exit 2 with one line on stderr, never a traceback and never a verdict: a file that is not
Google Benchmark JSON, an iteration row without a string name, a known time_unit or integer indices, a
row without error_occurred whose real_time is not a finite number > 0 (a NaN or 0 would make the U test
or the median change meaningless, and a NaN p-value must not read as "no difference"), an option out of
range or not finite (alpha in (0, 1); threshold a fraction in [0, 1]: 0.10 = +10 %), a bad --filter
regex, and an output file that cannot be written or is one of the inputs (checked before any work).

Without SciPy the gate falls back to a weaker rule, labelled as such in the output:
"contender min > baseline max AND median change > threshold" (--no-scipy forces it, for tests).

Output: a Markdown table (name, baseline median, contender median, change, p-value, verdict), then the
line "perf-gate: N passed, M failed". Exit status: 0 all passed, 1 any failed, 2 bad input or usage,
3 incomparable.
Names are keyed exactly as Google Benchmark writes them; the "/manual_time" suffix that manual timing
(CUDA variants) appends is dropped only for display.
"""

import importlib
import json
import math
import os
import re
import statistics
import sys

from gate_cli import ArgParser, InputError, brief, check_output_path, finite_float, write_text

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INCOMPARABLE = 0, 1, 2, 3

# Context keys that identify the machine and the build; a difference in any of them makes the runs
# incomparable (a Debug build against a Release one measures the build type, not the change). Not
# "sweep": an instance name fixes its shape whichever sweep registered it.
MACHINE_KEYS = ("cpu_model", "isa", "gpu_name", "build_type")

# Google Benchmark's time_unit values, in nanoseconds.
UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


class Incomparable(Exception):
    """Two results that must not be compared (exit 3)."""


def is_timing(v):
    """A finite number > 0. Not a bool: JSON true is an int to Python, but no timing."""
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        return False
    try:
        return math.isfinite(v) and v > 0
    except OverflowError:  # an integer literal beyond float range
        return False


def load(path):
    """Reads one Google Benchmark JSON file; checks only the shape this script relies on."""
    try:
        with open(path, "r", encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise InputError(f"{path}: cannot read benchmark JSON: {e}")
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
        raise InputError(f"{path}: not Google Benchmark JSON (no 'benchmarks' list)")
    if not isinstance(data.get("context", {}), dict):
        raise InputError(f"{path}: 'context' is not an object")
    for i, row in enumerate(data["benchmarks"]):
        if not isinstance(row, dict):
            raise InputError(f"{path}: benchmarks[{i}] is not an object")
    return data


def is_iteration(row):
    # Files written without repetitions may lack run_type; such rows are single iterations.
    return row.get("run_type", "iteration") == "iteration"


def row_name(row):
    return row.get("name") or row.get("run_name") or ""


def check_row(path, row):
    """Checks the fields of one iteration row that this script uses; returns its name."""
    name = row_name(row)
    if not isinstance(name, str) or not name:
        raise InputError(f"{path}: an iteration row has no string 'name' ({brief(name)})")
    unit = row.get("time_unit", "ns")
    if not isinstance(unit, str) or unit not in UNIT_NS:
        raise InputError(f"{path}: {name}: time_unit {brief(unit)} is not one of {', '.join(UNIT_NS)}")
    for key in ("family_index", "per_family_instance_index"):
        if key in row and not (isinstance(row[key], int) and not isinstance(row[key], bool)):
            raise InputError(f"{path}: {name}: {key} {brief(row[key])} is not an integer")
    # An errored row's real_time is 0 by Google Benchmark's convention and is never used.
    if not row.get("error_occurred"):
        t = row.get("real_time")
        if not is_timing(t):
            raise InputError(f"{path}: {name}: real_time {brief(t)} is not a finite number > 0")
    return name


def display_name(name):
    return name[: -len("/manual_time")] if name.endswith("/manual_time") else name


def executable_name(ctx):
    exe = ctx.get("executable")
    return None if exe is None else os.path.basename(str(exe))


def check_comparable(ctx_a, ctx_b):
    """Raises Incomparable for the first identifying key that differs (absent on one side counts)."""
    pairs = [(k, ctx_a.get(k), ctx_b.get(k)) for k in MACHINE_KEYS]
    pairs.append(("executable", executable_name(ctx_a), executable_name(ctx_b)))
    for key, a, b in pairs:
        if a is None and b is None:
            continue
        if a != b:
            raise Incomparable(f"incomparable: {key} differs ({fmt_ctx(a)} vs {fmt_ctx(b)})")


def fmt_ctx(v):
    return "<absent>" if v is None else str(v)


class Series:
    """The per-repetition rows of one benchmark name on one side."""

    def __init__(self):
        self.times_ns = []  # real_time of the rows without error, in ns
        self.errors = []  # error messages of rows with error_occurred
        self.unit = None  # time_unit of the first row, for display
        self.order = None  # (family_index, per_family_instance_index): registration order


def collect(path, data, name_filter):
    """Groups the iteration rows of one file by name, in first-seen order."""
    out = {}
    for row in data["benchmarks"]:
        if not is_iteration(row):
            continue
        # every row, also those the filter leaves out: a file holding invalid timings is not trusted
        name = check_row(path, row)
        if name_filter is not None and not name_filter.search(name):
            continue
        s = out.setdefault(name, Series())
        if s.order is None:
            s.order = (row.get("family_index", 1 << 30), row.get("per_family_instance_index", 0))
        unit = row.get("time_unit", "ns")
        if s.unit is None:
            s.unit = unit
        if row.get("error_occurred"):
            s.errors.append(str(row.get("error_message", "")))
            continue
        s.times_ns.append(float(row["real_time"]) * UNIT_NS[unit])
    # Random interleaving mixes the rows; list benchmarks in registration order (as compare.py sorts).
    return dict(sorted(out.items(), key=lambda kv: kv[1].order))


def fmt_time(ns, unit):
    if ns is None:
        return "–"
    v = ns / UNIT_NS.get(unit, 1.0)
    if abs(v) >= 100:
        text = f"{v:.1f}"
    elif abs(v) >= 1:
        text = f"{v:.3f}"
    else:
        text = f"{v:.4g}"
    return f"{text} {unit}"


def fmt_p(p):
    if p is None:
        return "–"
    if isinstance(p, str):
        return p
    return f"{p:.2g}" if p < 0.001 else f"{p:.4f}"


def fmt_change(c):
    if c is None:
        return "–"
    text = f"{c * 100:+.1f} %"
    return "+0.0 %" if text == "-0.0 %" else text


def mannwhitney_p(base, cont):
    """Two-sided U test p-value, as compare.py computes it (gbench/report.py: calc_utest)."""
    from scipy.stats import mannwhitneyu  # imported here: the fallback must work without SciPy

    p = float(mannwhitneyu(base, cont, alternative="two-sided").pvalue)
    # All 2n values equal: the tie-corrected variance is 0 and SciPy returns NaN. Identical samples are
    # no evidence of a difference.
    return 1.0 if math.isnan(p) else p


def have_scipy():
    try:
        importlib.import_module("scipy.stats")
    except ImportError:
        return False
    return True


def judge(name, b, c, args, use_scipy):
    """One table row: (name, base median, contender median, change, p, verdict, failed, unit)."""
    unit = (b.unit if b else None) or (c.unit if c else None) or "ns"
    if b is None or (not b.times_ns and b.errors):
        # Only in the contender, or broken in the baseline: nothing to compare against. Still shown;
        # a contender error fails regardless (it is a broken benchmark now).
        if c is not None and c.errors:
            return (name, None, None, None, None, f"error: {c.errors[0]}", True, unit)
        med_c = statistics.median(c.times_ns) if c and c.times_ns else None
        if b is None:
            why = "new"
        elif c is None:
            why = "baseline error, absent in contender"
        else:
            why = "new (baseline error)"
        return (name, None, med_c, None, None, why, False, unit)
    med_b = statistics.median(b.times_ns) if b.times_ns else None
    if c is None:
        return (name, med_b, None, None, None, "missing in contender", True, unit)
    if c.errors:
        return (name, med_b, None, None, None, f"error: {c.errors[0]}", True, unit)
    med_c = statistics.median(c.times_ns) if c.times_ns else None
    n_b, n_c = len(b.times_ns), len(c.times_ns)
    if n_b < args.min_reps or n_c < args.min_reps:
        change = (med_c / med_b - 1.0) if med_b and med_c is not None else None
        return (name, med_b, med_c, change, None,
                f"insufficient data ({n_b} vs {n_c} reps, need {args.min_reps})", True, unit)
    change = med_c / med_b - 1.0 if med_b > 0 else math.inf
    if use_scipy:
        p = mannwhitney_p(b.times_ns, c.times_ns)
        significant = p < args.alpha
    else:
        p = "n/a"
        significant = min(c.times_ns) > max(b.times_ns)
    if significant and change > args.threshold:
        verdict = "REGRESSION" if use_scipy else "REGRESSION (weaker rule)"
        return (name, med_b, med_c, change, p, verdict, True, unit)
    if use_scipy and significant and change < -args.threshold:
        verdict = "faster"
    else:
        verdict = "pass"
    return (name, med_b, med_c, change, p, verdict, False, unit)


def md_cell(text):
    return str(text).replace("|", "\\|")


def gate(args):
    if args.markdown:
        check_output_path(args.markdown, (args.baseline, args.contender), "--markdown")
    base = load(args.baseline)
    cont = load(args.contender)
    check_comparable(base.get("context", {}), cont.get("context", {}))

    name_filter = re.compile(args.filter) if args.filter else None
    bs = collect(args.baseline, base, name_filter)
    cs = collect(args.contender, cont, name_filter)
    use_scipy = not args.no_scipy and have_scipy()

    names = list(bs) + [n for n in cs if n not in bs]
    rows = [judge(n, bs.get(n), cs.get(n), args, use_scipy) for n in names]
    if not any(s.times_ns for s in bs.values()):
        if bs:
            what = "every baseline benchmark errored"
        elif args.filter:
            what = f"no baseline benchmark matches --filter {args.filter!r}"
        else:
            what = "the baseline holds no benchmark rows"
        rows.append(("(none)", None, None, None, None, f"nothing to compare: {what}", True, "ns"))

    lines = []
    if use_scipy:
        lines.append(f"Rule: Mann–Whitney U two-sided p < {args.alpha:g} and median change > "
                     f"{args.threshold * 100:+.1f} %; ≥ {args.min_reps} repetitions per side; real_time.")
    else:
        why = "--no-scipy" if args.no_scipy else "SciPy is not available"
        lines.append(f"Rule (WEAKER, {why}): contender min > baseline max and median change > "
                     f"{args.threshold * 100:+.1f} %; ≥ {args.min_reps} repetitions per side; real_time.")
    lines.append("")
    lines.append("| benchmark | baseline median | contender median | change | p-value | verdict |")
    lines.append("|---|---:|---:|---:|---:|---|")
    for name, mb, mc, ch, p, verdict, _failed, unit in rows:
        lines.append("| " + " | ".join(md_cell(x) for x in (
            display_name(name), fmt_time(mb, unit), fmt_time(mc, unit), fmt_change(ch), fmt_p(p),
            verdict)) + " |")
    n_failed = sum(1 for r in rows if r[6])
    n_passed = len(rows) - n_failed
    lines.append("")
    lines.append(f"perf-gate: {n_passed} passed, {n_failed} failed")
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if args.markdown:
        write_text(args.markdown, f"## Performance gate: `{os.path.basename(args.baseline)}` vs "
                                  f"`{os.path.basename(args.contender)}`\n\n" + text, "--markdown")
    return EXIT_FAIL if n_failed else EXIT_OK


def merge(out_path, in_paths):
    """Joins the per-repetition rows of several runs of one binary into one file.

    The context is the first file's (plus lrb_merged_inputs). Aggregate rows are dropped: they describe
    one run each and would be wrong for the union. repetition_index is renumbered per name and
    `repetitions` set to the merged count, so the file reads like one run with more repetitions.
    Refuses (exit 3) inputs whose machine keys, executable name or lrb_git_commit differ: the rounds of
    one side must come from one build on one machine. Rows are checked as the gate checks them (exit 2),
    so an invalid real_time is refused here rather than passed on to the gate.
    """
    check_output_path(out_path, in_paths, "--merge")
    datas = [load(p) for p in in_paths]
    ctx0 = dict(datas[0].get("context", {}))
    for p, d in zip(in_paths[1:], datas[1:]):
        ctx = d.get("context", {})
        check_comparable(ctx0, ctx)
        a, b = ctx0.get("lrb_git_commit"), ctx.get("lrb_git_commit")
        if a != b:
            raise Incomparable(f"incomparable: lrb_git_commit differs ({fmt_ctx(a)} vs {fmt_ctx(b)})"
                               f" in {p}")
    rows = []
    for p, d in zip(in_paths, datas):
        for r in d["benchmarks"]:
            if is_iteration(r):
                check_row(p, r)
                rows.append(r)
    counts = {}
    for r in rows:
        counts[row_name(r)] = counts.get(row_name(r), 0) + 1
    seen = {}
    merged = []
    for r in rows:
        r = dict(r)
        name = row_name(r)
        r["repetition_index"] = seen.get(name, 0)
        seen[name] = r["repetition_index"] + 1
        r["repetitions"] = counts[name]
        merged.append(r)
    ctx0["lrb_merged_inputs"] = len(in_paths)
    # Other fields keep what Google Benchmark wrote, bare NaN included (bench/FORMAT.md: a counter may
    # be NaN, which Google Benchmark itself writes that way and Python's json reads).
    write_text(out_path, json.dumps({"context": ctx0, "benchmarks": merged}, indent=2) + "\n", "--merge")
    print(f"perf-gate merge: {len(merged)} rows of {len(counts)} benchmarks from {len(in_paths)} files"
          f" -> {out_path}")
    return EXIT_OK


def main(argv):
    if argv and argv[0] == "--merge":
        if len(argv) < 3:
            print("usage: perf_gate.py --merge OUT.json IN1.json [IN2.json ...]", file=sys.stderr)
            return EXIT_USAGE
        return merge(argv[1], argv[2:])

    ap = ArgParser(
        description="Mann–Whitney + median-threshold regression gate over Google Benchmark JSON "
                    "(or --merge OUT.json IN.json... to join runs; --check-args OPTIONS... to "
                    "validate the options alone).")
    ap.add_argument("baseline")
    ap.add_argument("contender")
    ap.add_argument("--alpha", type=finite_float, default=0.01, help="U-test significance level (0.01)")
    ap.add_argument("--threshold", type=finite_float, default=0.10,
                    help="median slowdown that counts (0.10 = +10 %%, shared CPU VMs; "
                         "use 0.05 on dedicated GPU hosts)")
    ap.add_argument("--min-reps", type=int, default=9,
                    help="repetitions needed on each side, else 'insufficient data' (9)")
    ap.add_argument("--filter", help="Python regex searched in benchmark names")
    ap.add_argument("--markdown", metavar="OUT.md", help="also write the table to this file")
    ap.add_argument("--no-scipy", action="store_true",
                    help="use the weaker min/max rule even if SciPy is present (tests)")
    check_only = bool(argv) and argv[0] == "--check-args"
    if check_only:
        # stand-in file names: the check reads no file, and the options may come in any order
        argv = ["BASELINE", "CONTENDER"] + argv[1:]
    args = ap.parse_args(argv)
    if not 0 < args.alpha < 1:
        ap.error(f"--alpha {args.alpha:g}: need 0 < alpha < 1")
    # A fraction: "--threshold 10" meant as 10 % would let a tenfold slowdown pass.
    if not 0 <= args.threshold <= 1:
        ap.error(f"--threshold {args.threshold:g}: need a fraction 0 <= threshold <= 1 (0.10 = +10 %)")
    if args.min_reps < 2:
        ap.error(f"--min-reps {args.min_reps}: need >= 2")
    if args.filter:
        try:
            re.compile(args.filter)
        except re.error as e:
            ap.error(f"--filter {args.filter!r}: not a valid regex: {e}")
    if check_only:
        print(args.min_reps)
        return EXIT_OK
    return gate(args)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Incomparable as e:
        print(str(e), file=sys.stderr)
        sys.exit(EXIT_INCOMPARABLE)
    except InputError as e:
        print(f"perf-gate: error: {e}", file=sys.stderr)
        sys.exit(EXIT_USAGE)
