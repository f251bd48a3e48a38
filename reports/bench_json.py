"""bench_json.py — reading lrb_bench JSON for the targets tables (cpu_targets.py, gpu_targets.py): one place
for what a usable file and a usable median row are, and for the exit status of bad input (one line on
stderr naming the file and row, exit 2; never a traceback or a table of nothing).
"""
import json
import math
import os
import sys

UNIT_TO_US = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}


def fail(msg):
    """Bad input: one line on stderr, prefixed with the running script's name, and exit status 2."""
    print(f"{os.path.basename(sys.argv[0])}: {msg}", file=sys.stderr)
    sys.exit(2)


def read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
    except OSError as e:
        fail(f"{path}: cannot read ({e.strerror})")
    except ValueError as e:  # invalid JSON, or not UTF-8
        fail(f"{path}: not valid JSON ({e})")
    if not (isinstance(d, dict) and isinstance(d.get("benchmarks"), list) and isinstance(d.get("context", {}), dict)):
        fail(f"{path}: not lrb_bench JSON (an object with a \"benchmarks\" list and a \"context\" object)")
    if not d["benchmarks"]:
        # a run cut short leaves some rows (targets then read "not measured"); none at all is not a run
        fail(f"{path}: no benchmark rows")
    return d


def number(where, b, key, default):
    """b[key] as a finite number (JSON null, absent or NaN: default, so that one instance without a value,
    a roofline say, reads "not measured" instead of losing the whole table); fail() on anything else."""
    v = b.get(key)
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return default
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        fail(f"{where}: {key} {v!r} is not a number")
    return v


def time_us(where, b):
    """real_time in µs by the row's time_unit (FORMAT.md fixes us; a writer that omits it means us)."""
    unit = b.get("time_unit") or "us"
    if not isinstance(unit, str) or unit not in UNIT_TO_US:
        fail(f"{where}: unknown time_unit {unit!r}")
    t = number(where, b, "real_time", None)
    if t is None or t <= 0:
        fail(f"{where}: real_time {b.get('real_time')!r} is not a positive time")
    return t * UNIT_TO_US[unit]


def write_out(path, text):
    """The table to --out, or to stdout without one; an unwritable --out is bad input too."""
    if not path:
        sys.stdout.write(text)
        return
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        fail(f"{path}: cannot write ({e.strerror})")
