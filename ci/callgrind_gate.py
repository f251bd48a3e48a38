#!/usr/bin/python3
"""callgrind_gate.py — the deterministic CPU performance gate: instruction counts under callgrind.

    ci/callgrind_gate.py run --bench BIN --out counts.json [--filter REGEX] [--iterations 16]
                             [--method loop|total] [--golden-gate] [--bench-arg ARG]...
                             [--valgrind-arg ARG]... [--keep DIR] [--timeout S] [--jobs N]
    ci/callgrind_gate.py compare BASE.json NEW.json [--threshold 0.02] [--markdown OUT.md]

Why: wall-clock timings on the shared CI VMs need ≥ 9 repetitions and a +10 % threshold before a
regression can be told from noise (ci/perf_gate.py), and `perf stat` cannot count instructions there
(`instructions <not supported>`). Valgrind's instruction count (Ir) is the same on every run of the same
binary with the same inputs, so a +2 % threshold is safe. Valgrind 3.19 hides AVX-512 from CPUID, so the
counts measure the AVX2 path of the SIMD dispatcher — fine for a regression signal, not for speed.

run: lists the benchmarks that --filter selects (BIN --benchmark_list_tests=true), then for each one runs
    valgrind --tool=callgrind --callgrind-out-file=F BIN --benchmark_filter=^NAME$
             --lrb-fixed-iterations=16 --benchmark_min_time=0 --lrb-no-golden-gate
(one process per benchmark; --jobs of them at once) and reads the total Ir of F ("totals:" or "summary:"
line). Each process spends most of its time in valgrind's start-up (lrb_bench links the CUDA runtime and
cuBLAS, whose symbols valgrind reads), so two jobs on two cores halve the gate's time; the counts do not
depend on it.
--lrb-fixed-iterations makes lrb_bench register every benchmark with Iterations(16): no calibration, so
the iteration count, and with it Ir, does not depend on timing. Google Benchmark then names the
instances ".../iterations:16"; the list is taken with the same flag so the names match.
--lrb-no-golden-gate skips lrb_bench's start-up tier-1 conformance run, which would dominate the time
under valgrind (the per-instance first-call check against the reference still runs); --golden-gate
keeps it.

What is counted (--method):
  loop (default)  Ir(2N iterations) − Ir(N iterations): exactly the instructions of N passes of the timed
                  loop. Everything else in the process — dynamic loading, lrb_bench's start-up roofline
                  measurement (arrays of 2^25 floats), input generation, the first-call reference check —
                  is identical in both runs and cancels. This matters: measured on lrb_bench, a whole
                  process for scan/ref.seq/L:1024/B:1/D:256 counts 1.26e9 Ir of which the 16 timed
                  iterations are 4.2e7 (3 %), so a kernel twice as slow would move the total by +3 %,
                  and a +50 % kernel regression would pass a +2 % gate. Costs two valgrind runs.
  total           the total Ir of the N-iteration run alone (the plain method; dilution as above).
A benchmark that reports error_occurred, a valgrind failure, or a loop that costs nothing gets no count
(compare then fails it as missing) and run exits 1. Benchmarks with manual time (CUDA variants and the
roofline families, names ending in /manual_time) are skipped: CUDA code never runs under valgrind, and
the roofline measures memory bandwidth, not lrb code.

compare: fails a benchmark whose count grew by more than --threshold (+2 %), or that is missing from
NEW; prints a Markdown table and "callgrind-gate: N passed, M failed"; exits 1 if M > 0, else 0. Only
compare counts taken with the same --method and --iterations (the names carry the iteration count).

Bad input or usage is exit 2 with one line on stderr, checked before any valgrind run: a counts file that
is not an object of non-negative integer counts (JSON true is no count), a --threshold that is not a
finite fraction in [0, 1] (0.02 = +2 %; "--threshold 20" meant as percent would pass a 21-fold growth),
a --timeout that is not a finite number > 0, a --filter that the benchmark binary cannot compile, a
--bench that is not an executable file (an existing path is taken as a path even without a "/"; other
names are looked up on PATH), and an --out or --markdown file that cannot be written or is an input.
"""

import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from gate_cli import ArgParser, InputError, brief, check_output_path, finite_float, write_text

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def resolve_bench(path):
    """The absolute path of the --bench executable. subprocess looks a name without a "/" up on PATH
    only, so "--bench lrb_bench" in the build directory would miss the file right there: an existing
    path is taken as a path."""
    if os.sep not in path and not os.path.exists(path):
        found = shutil.which(path)
        if found is None:
            raise InputError(f"--bench {path}: no such file, and not found on PATH")
        path = found
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        raise InputError(f"--bench {path}: not an executable file")
    return os.path.abspath(path)

# POSIX extended-regex metacharacters: Google Benchmark 1.7.1 (Debian's build) matches --benchmark_filter with
# std::regex in its extended (ERE) grammar, where an escape of anything else ("\-", "\d", "\/") is an error. Python's
# re.escape would also escape "-" and others.
ERE_SPECIAL = set(".[]()*+?{}|^$\\")


def ere_escape(s):
    return "".join("\\" + ch if ch in ERE_SPECIAL else ch for ch in s)


def skip_reason(name):
    """Why a listed benchmark is not counted, or None."""
    parts = name.split("/")
    if name.endswith("/manual_time") or (len(parts) > 1 and parts[1].startswith("cuda.")):
        return "manual time (a CUDA variant or the roofline), never run under valgrind"
    if parts[0] == "roofline":
        return "roofline: memory bandwidth, not lrb code"
    return None


def read_total_ir(path):
    """Total Ir of a callgrind output file: the Ir column of the "totals:" lines (one per dumped part,
    summed), or of the "summary:" lines that older valgrind versions write instead."""
    events = None
    totals, summaries = [], []
    with open(path, "r", encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("events:"):
                events = line.split()[1:]
            elif line.startswith("totals:"):
                totals.append(line.split()[1:])
            elif line.startswith("summary:"):
                summaries.append(line.split()[1:])
    rows = totals or summaries
    if not rows:
        raise ValueError(f"{path}: no 'totals:' or 'summary:' line")
    col = events.index("Ir") if events and "Ir" in events else 0
    return sum(int(r[col]) for r in rows)


def lrb_flags(args, iterations):
    flags = [f"--lrb-fixed-iterations={iterations}"]
    if not args.golden_gate:
        flags.append("--lrb-no-golden-gate")
    return flags


def list_benchmarks(args):
    cmd = ([args.bench, "--benchmark_list_tests=true", f"--benchmark_filter={args.filter}"] +
           lrb_flags(args, args.iterations) + args.bench_arg)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Google Benchmark 1.7.1 reports a filter it cannot compile on stderr, lists nothing and exits 0:
    # that is a usage error, not "no benchmark matches".
    bad_re = re.search(r"Could not compile benchmark re: *(.*)", p.stderr)
    if bad_re:
        raise InputError(f"--filter {args.filter!r}: not a valid regex: {bad_re.group(1).strip()}")
    if p.returncode != 0:
        sys.stderr.write(p.stderr[-4000:])
        raise RuntimeError(f"listing failed (exit {p.returncode}): {' '.join(cmd)}")
    # Benchmark names hold no blanks; anything else on stdout (a banner, a warning) is not a name.
    return [ln.strip() for ln in p.stdout.splitlines() if ln.strip() and not re.search(r"\s", ln.strip())
            and not ln.startswith("***")]


def callgrind_ir(args, name, iterations, workdir, tag):
    """One valgrind run of one benchmark: (total Ir, None) or (None, why not)."""
    cg_out = os.path.join(workdir, f"callgrind.{tag}.out")
    js_out = os.path.join(workdir, f"bench.{tag}.json")
    cmd = (["valgrind", "--tool=callgrind", f"--callgrind-out-file={cg_out}"] + args.valgrind_arg +
           [args.bench, f"--benchmark_filter=^{ere_escape(name)}$", "--benchmark_min_time=0",
            f"--benchmark_out={js_out}", "--benchmark_out_format=json"] +
           lrb_flags(args, iterations) + args.bench_arg)
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {args.timeout} s"
    if p.returncode != 0:
        return None, f"exit {p.returncode}: {(p.stderr or p.stdout).strip()[-800:]}"
    # The filter must have selected exactly this benchmark, and it must not have failed (a variant
    # failing conformance is skipped with an error, exit status 0, and executes far fewer instructions).
    try:
        with open(js_out, "r", encoding="utf-8") as f:
            rows = json.load(f).get("benchmarks", [])
    except (OSError, ValueError) as e:
        return None, f"no benchmark JSON: {e}"
    ran = [r for r in rows if r.get("run_type", "iteration") == "iteration"]
    if [r.get("name") for r in ran] != [name]:
        return None, f"expected one run of {name}, got {[r.get('name') for r in ran]}"
    if ran[0].get("error_occurred"):
        return None, f"error: {ran[0].get('error_message', '')}"
    if ran[0].get("iterations") != iterations:
        return None, f"ran {ran[0].get('iterations')} iterations, not {iterations}: " \
                     "does the binary honour --lrb-fixed-iterations?"
    try:
        return read_total_ir(cg_out), None
    except (OSError, ValueError) as e:
        return None, str(e)


def count_one(args, name, workdir, idx):
    """The count recorded for one benchmark (see --method)."""
    n = args.iterations
    ir, err = callgrind_ir(args, name, n, workdir, f"{idx}.n")
    if err is not None or args.method == "total":
        return ir, err
    seg = re.compile(rf"/iterations:{n}(?=/|$)")
    if not seg.search(name):
        return None, f"no '/iterations:{n}' in the name: cannot name the {2 * n}-iteration run"
    ir2, err = callgrind_ir(args, seg.sub(f"/iterations:{2 * n}", name), 2 * n, workdir, f"{idx}.2n")
    if err is not None:
        return None, err
    if ir2 <= ir:
        return None, f"{2 * n} iterations cost no more than {n} ({ir2} vs {ir} Ir)"
    return ir2 - ir, None


def cmd_run(args):
    check_output_path(args.out, (), "--out")
    if args.keep and os.path.exists(args.keep) and not os.path.isdir(args.keep):
        raise InputError(f"--keep {args.keep}: not a directory")
    args.bench = resolve_bench(args.bench)
    if shutil.which("valgrind") is None:
        raise InputError("valgrind not found on PATH")
    names = list_benchmarks(args)
    if not names:
        print(f"callgrind-gate run: no benchmark matches --filter {args.filter!r}")
        return EXIT_FAIL
    counts, failed = {}, 0
    workdir = args.keep or tempfile.mkdtemp(prefix="callgrind_gate.")
    os.makedirs(workdir, exist_ok=True)

    def count(idx_name):
        """(why skipped or None, Ir, why failed)"""
        idx, name = idx_name
        why = skip_reason(name)
        return (why, None, None) if why else (None, *count_one(args, name, workdir, idx))

    # map() yields in the order of the names, so the log reads the same for any --jobs
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for name, (skipped, ir, err) in zip(names, pool.map(count, enumerate(names))):
            if skipped:
                print(f"skip  {name}: {skipped}")
                continue
            if err is not None:
                failed += 1
                print(f"FAIL  {name}: {err}")
                continue
            counts[name] = ir
            print(f"{ir:>16,d}  {name}", flush=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(counts, f, indent=2)
        f.write("\n")
    if not args.keep:
        for fn in os.listdir(workdir):
            os.remove(os.path.join(workdir, fn))
        os.rmdir(workdir)
    print(f"callgrind-gate run: {len(counts)} counted, {failed} failed -> {args.out}")
    return EXIT_FAIL if failed or not counts else EXIT_OK


def load_counts(path):
    try:
        with open(path, "r", encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise InputError(f"{path}: cannot read counts JSON: {e}")
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected an object {{benchmark name: instruction count}}")
    for name, v in data.items():
        # bool is an int in Python: JSON true would count as 1 instruction
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise InputError(f"{path}: {name}: count {brief(v)} is not an integer >= 0 "
                             "(expected an object {benchmark name: instruction count})")
    return data


def cmd_compare(args):
    if args.markdown:
        check_output_path(args.markdown, (args.base, args.new), "--markdown")
    base = load_counts(args.base)
    new = load_counts(args.new)
    rows = []  # (name, base, new, change, verdict, failed)
    for name, b in base.items():
        n = new.get(name)
        if n is None:
            rows.append((name, b, None, None, "missing in new", True))
            continue
        change = (n / b - 1.0) if b > 0 else (0.0 if n == 0 else float("inf"))
        if change > args.threshold:
            rows.append((name, b, n, change, "REGRESSION", True))
        else:
            rows.append((name, b, n, change, "pass", False))
    rows += [(name, None, n, None, "new", False) for name, n in new.items() if name not in base]
    if not base:
        rows.append(("(none)", None, None, None, "nothing to compare: the base holds no counts", True))

    def num(v):
        return "–" if v is None else f"{v:,d}"

    def pct(c):
        if c is None:
            return "–"
        text = f"{c * 100:+.2f} %"
        return "+0.00 %" if text == "-0.00 %" else text

    lines = [f"Rule: instruction count (callgrind Ir) may grow by at most {args.threshold * 100:+.1f} %.",
             "", "| benchmark | base Ir | new Ir | change | verdict |", "|---|---:|---:|---:|---|"]
    for name, b, n, c, verdict, _ in rows:
        lines.append(f"| {name} | {num(b)} | {num(n)} | {pct(c)} | {verdict} |")
    n_failed = sum(1 for r in rows if r[5])
    lines += ["", f"callgrind-gate: {len(rows) - n_failed} passed, {n_failed} failed"]
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if args.markdown:
        write_text(args.markdown, "## Instruction-count gate\n\n" + text, "--markdown")
    return EXIT_FAIL if n_failed else EXIT_OK


def main(argv):
    ap = ArgParser(description="Deterministic instruction-count gate (valgrind/callgrind).")
    sub = ap.add_subparsers(dest="mode", required=True)
    r = sub.add_parser("run", help="count instructions of each benchmark under callgrind")
    r.add_argument("--bench", required=True, help="the lrb_bench executable")
    r.add_argument("--filter", default=".", help="--benchmark_filter regex (default: all)")
    r.add_argument("--out", required=True, help="counts JSON to write: {name: Ir}")
    r.add_argument("--iterations", type=int, default=16, help="--lrb-fixed-iterations (16)")
    r.add_argument("--method", choices=("loop", "total"), default="loop",
                   help="loop: Ir(2N) - Ir(N), the timed loop only (default); total: Ir of one run")
    r.add_argument("--golden-gate", action="store_true",
                   help="do not pass --lrb-no-golden-gate (keep lrb_bench's start-up conformance run)")
    r.add_argument("--bench-arg", action="append", default=[],
                   help="extra lrb_bench argument, repeatable (e.g. --bench-arg=--lrb-sweep=ci)")
    r.add_argument("--valgrind-arg", action="append", default=[],
                   help="extra valgrind argument, repeatable (e.g. --valgrind-arg=--toggle-collect=F)")
    r.add_argument("--keep", metavar="DIR", help="keep callgrind and JSON outputs in DIR")
    r.add_argument("--timeout", type=finite_float, default=None, help="seconds per benchmark (no limit)")
    r.add_argument("--jobs", type=int, default=1, help="valgrind processes at once (1)")
    c = sub.add_parser("compare", help="fail on an instruction-count increase above the threshold")
    c.add_argument("base")
    c.add_argument("new")
    c.add_argument("--threshold", type=finite_float, default=0.02,
                   help="allowed growth, a fraction (0.02 = +2 %%)")
    c.add_argument("--markdown", metavar="OUT.md", help="also write the table to this file")
    args = ap.parse_args(argv)
    if args.mode == "run":
        if args.iterations < 1:
            r.error("--iterations must be >= 1")
        if args.jobs < 1:
            r.error("--jobs must be >= 1")
        if args.timeout is not None and args.timeout <= 0:
            r.error(f"--timeout {args.timeout:g}: must be > 0 seconds")
        return cmd_run(args)
    # A fraction: "--threshold 20" meant as 20 % would let a 21-fold growth pass.
    if not 0 <= args.threshold <= 1:
        c.error(f"--threshold {args.threshold:g}: need a fraction 0 <= threshold <= 1 (0.02 = +2 %)")
    return cmd_compare(args)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (InputError, ValueError, RuntimeError, OSError) as e:
        print(f"callgrind-gate: error: {e}", file=sys.stderr)
        sys.exit(EXIT_USAGE)
