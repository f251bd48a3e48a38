#!/usr/bin/env python3
"""ptxas_spills.py — the register budgets of the CUDA kernels, checked where no GPU is.

Compiles kernels/cuda/scan.cu and wkv4.cu for sm_90 (the H100 the budgets are set for) with ptxas's resource
report, prints one line per kernel (registers, spill bytes, stack frame) and fails when a kernel spills more
than it is allowed to. The bandwidth of the scans rests on their steps staying in registers: a change that makes
`chunked` or `seq` spill compiles and passes every conformance check, and only a GPU would show the loss.
Stack frames without spills (the double-precision sincos of λ's argument reduction) are reported, not judged.

usage: ptxas_spills.py NVCC KERNEL_DIR
"""
import re
import subprocess
import sys

SOURCES = ("scan.cu", "wkv4.cu")
# every kernel these sources define must show up in the report (a parse that finds nothing cannot pass)
EXPECTED = ("seq_kernel", "ul_kernel", "chunked_kernel", "wkv_seq_kernel", "wkv_chunked_kernel")
# spill bytes allowed (stores, loads), by a substring of the demangled name; every other kernel: none.
# ul on real steps with a constant decay: __launch_bounds__(1024) leaves ptxas free to aim at two blocks per SM
# (32 registers), and it spills 4 bytes (its data-decay twin, the same kernel without λ formed in double, does
# not); one block per SM would halve ul's occupancy instead. (ptxas gives the other ul kernels 32 registers
# without spills, or 35 to 40 and so one 1024-thread block per SM; pinning two blocks makes them all spill.)
ALLOWED = {"ul_kernel<(anonymous namespace)::scan_io<false, false> >": (4, 12)}


def demangle(names):
    out = subprocess.run(["c++filt"], input="\n".join(names), capture_output=True, text=True, check=True).stdout
    return out.splitlines()


def report(nvcc, path):
    cmd = [nvcc, "-cubin", "-arch=sm_90", "-O3", "-std=c++17", "-Xptxas", "-v", "-o", "/dev/null", path]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"ptxas_spills: {' '.join(cmd)} failed:\n{res.stderr}")
    kernels, cur = [], None
    for line in res.stderr.splitlines():
        m = re.search(r"Compiling entry function '([^']+)' for 'sm_90'", line)
        if m:
            cur = {"name": m.group(1)}
            kernels.append(cur)
            continue
        m = re.search(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads", line)
        if m and cur is not None and "stack" not in cur:
            cur["stack"], cur["st"], cur["ld"] = (int(g) for g in m.groups())
        m = re.search(r"Used (\d+) registers", line)
        if m and cur is not None:
            cur["regs"] = int(m.group(1))
    return kernels


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    nvcc, kdir = sys.argv[1], sys.argv[2]
    kernels = [k for src in SOURCES for k in report(nvcc, f"{kdir}/{src}")]
    for k, name in zip(kernels, demangle([k["name"] for k in kernels])):
        k["name"] = name
    failed = 0
    for k in kernels:
        if not {"stack", "regs"} <= k.keys():
            print(f"FAIL no resource report for {k['name']}")
            failed += 1
            continue
        allow = next((a for key, a in ALLOWED.items() if key in k["name"]), (0, 0))
        bad = k["st"] > allow[0] or k["ld"] > allow[1]
        failed += bad
        short = re.sub(r"\(anonymous namespace\)::|lrb_lookback::|^void ", "", k["name"]).split("(")[0]
        print(f"{'FAIL' if bad else 'ok  '} {k['regs']:4d} regs  spill {k['st']:3d}/{k['ld']:3d} B "
              f"(allowed {allow[0]}/{allow[1]})  stack {k['stack']:3d} B  {short}")
    for e in EXPECTED:
        if not any(re.search(rf"\b{e}<|\b{e}\(", k["name"]) for k in kernels):
            print(f"FAIL kernel {e} not in the ptxas report")
            failed += 1
    print(f"ptxas_spills: {len(kernels)} kernels, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
