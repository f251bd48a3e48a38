"""gate_cli.py — the command-line conventions both regression gates (perf_gate.py, callgrind_gate.py) share.

A gate that mistakes bad input for a verdict is worse than no gate, so bad input is one line on stderr and
exit status 2 in both, decided before any work: argparse errors without the usage block, options that
must be finite numbers (float() takes "nan", which makes every comparison false: the gate passes all),
and output files that cannot be written or would overwrite an input.
"""
import argparse
import math
import os

EXIT_USAGE = 2


class InputError(Exception):
    """Bad input or usage (exit 2)."""


class ArgParser(argparse.ArgumentParser):
    """Usage errors as one line on stderr (exit 2), not argparse's usage block; subcommand parsers inherit
    the class, so their errors read "<prog> <mode>: ..."."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: {message}\n")


def finite_float(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}")
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return v


def check_output_path(path, inputs, what):
    """Refuses an output file that cannot be written or that is one of the inputs, before any work: a
    failure after the table was printed (or after minutes of valgrind) would lose the result."""
    if os.path.isdir(path):
        raise InputError(f"{what} {path}: is a directory")
    parent = os.path.dirname(path) or "."
    if not os.path.isdir(parent):
        raise InputError(f"{what} {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK) and not os.access(path, os.W_OK):
        raise InputError(f"{what} {path}: not writable")
    for inp in inputs:
        same = os.path.realpath(path) == os.path.realpath(inp)
        if not same and os.path.exists(path) and os.path.exists(inp):
            same = os.path.samefile(path, inp)
        if same:
            raise InputError(f"{what} {path}: is an input file, would overwrite it")


def write_text(path, text, what):
    """Writes an output file; a failure is bad input (exit 2), like the checks before it."""
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise InputError(f"{what} {path}: cannot write: {e}")


def brief(v):
    """repr(v) cut to 40 characters: an error line names the bad value without quoting a whole object."""
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."
