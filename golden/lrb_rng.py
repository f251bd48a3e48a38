"""lrb_rng.py — the shared counter-based RNG of lrb and the `dist.` input distributions, in NumPy.

The C harness implements the same formulas; the two must agree bit for bit (TOOLING.md §9.4,
golden/FORMAT.md). Everything here is stateless: element i of stream s is

    z = mix64(s + (i+1)*0x9E3779B97F4A7C15 mod 2^64)      (SplitMix64 finaliser)
    u = (z >> 40) * 2^-24                                  (top 24 bits, exact in float32 and float64)

so a tensor is drawn by evaluating the formula on a vector of element indices (uint64 arithmetic wraps
around; NumPy's overflow warnings are silenced). A distribution maps u to a value with float64 operations
in exactly the order written in FORMAT.md (no fused multiply-add: NumPy never contracts) and rounds once
to float32. The stream of input number j of a case is seed*256 + j.

Run as a script it prints test vectors that a C implementation can be compared against.
"""

import math
import sys

import numpy as np

GOLDEN = 0x9E3779B97F4A7C15
M1 = 0xBF58476D1CE4E5B9
M2 = 0x94D049BB133111EB
MASK64 = (1 << 64) - 1
TWO_M24 = 2.0 ** -24

# Arrays larger than this are drawn in blocks, to bound the memory of the uint64 temporaries
# (tier 2 draws tensors of millions of elements).
_BLOCK = 1 << 20


def mix64(z):
    """SplitMix64 finaliser on a uint64 array (wrap-around arithmetic)."""
    z = np.asarray(z, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = z ^ (z >> np.uint64(30))
        z = z * np.uint64(M1)
        z = z ^ (z >> np.uint64(27))
        z = z * np.uint64(M2)
        z = z ^ (z >> np.uint64(31))
    return z


def stream_z(stream, start, count):
    """Raw 64-bit values of elements start .. start+count-1 of `stream`."""
    s = np.uint64(int(stream) & MASK64)
    i1 = np.arange(start + 1, start + count + 1, dtype=np.uint64)  # i + 1
    with np.errstate(over="ignore"):
        x = s + i1 * np.uint64(GOLDEN)
    return mix64(x)


def stream_u(stream, count, start=0):
    """Uniforms u in [0, 1) (float64) of elements start .. start+count-1 of `stream`."""
    out = np.empty(count, dtype=np.float64)
    for b in range(0, count, _BLOCK):
        n = min(_BLOCK, count - b)
        z = stream_z(stream, start + b, n)
        # The top 24 bits, converted exactly, times an exact power of two.
        out[b:b + n] = (z >> np.uint64(40)).astype(np.float64) * TWO_M24
    return out


def input_stream(seed, j):
    """Stream number of input j of a case (FORMAT.md): seed*256 + j, modulo 2^64."""
    return (int(seed) * 256 + int(j)) & MASK64


class Dist:
    """A parsed `dist.` specification: kind in {u, n, c, int, bern, imp} and its float64 arguments."""

    def __init__(self, text):
        self.text = text
        parts = text.split(":")
        self.kind = parts[0]
        args = parts[1:]
        want = {"u": 2, "n": 1, "c": 1, "int": 2, "bern": 1, "imp": 0}
        if self.kind not in want:
            raise ValueError("unknown distribution %r" % text)
        if len(args) != want[self.kind]:
            raise ValueError("distribution %r needs %d argument(s)" % (text, want[self.kind]))
        # Python's float() and C's strtod() both round the decimal string correctly to float64.
        self.args = [float(a) for a in args]
        if self.kind == "int":
            if self.args[0] != math.floor(self.args[0]) or self.args[1] != math.floor(self.args[1]):
                raise ValueError("int bounds must be integers: %r" % text)
            if self.args[1] < self.args[0]:
                raise ValueError("int: HI < LO in %r" % text)

    def __repr__(self):
        return "Dist(%r)" % self.text

    def sample(self, stream, shape, time_axis=1):
        """Draw a float32 tensor of `shape` from `stream` (element index = flat C-order index)."""
        shape = tuple(int(d) for d in shape)
        n = int(np.prod(shape, dtype=np.int64))
        k = self.kind
        if k == "c":
            return np.full(shape, self.args[0], dtype=np.float64).astype(np.float32)
        if k == "imp":
            v = np.zeros(shape, dtype=np.float64)
            idx = [slice(None)] * len(shape)
            idx[time_axis] = 0
            v[tuple(idx)] = 1.0
            return v.astype(np.float32)
        if k == "n":
            # Irwin–Hall: elements 4i..4i+3, summed left to right, minus 2, times (S*sqrt(3)).
            u = stream_u(stream, 4 * n).reshape(n, 4)
            scale = self.args[0] * 1.7320508075688772
            s = ((u[:, 0] + u[:, 1]) + u[:, 2]) + u[:, 3]
            v = (s - 2.0) * scale
            return v.astype(np.float32).reshape(shape)
        u = stream_u(stream, n)
        if k == "u":
            lo, hi = self.args
            v = lo + (hi - lo) * u
        elif k == "int":
            lo, hi = self.args
            v = lo + np.floor(u * (hi - lo + 1.0))
        elif k == "bern":
            v = np.where(u < self.args[0], 1.0, 0.0)
        else:  # pragma: no cover
            raise AssertionError(k)
        return v.astype(np.float32).reshape(shape)


def draw(dist_text, stream, shape, time_axis=1):
    """Convenience: parse `dist_text` and draw."""
    return Dist(dist_text).sample(stream, shape, time_axis)


# ---- scalar reference (plain Python integers), used by the self-test to check the vectorised code ----

def mix64_scalar(z):
    z &= MASK64
    z ^= z >> 30
    z = (z * M1) & MASK64
    z ^= z >> 27
    z = (z * M2) & MASK64
    z ^= z >> 31
    return z


def u_scalar(stream, i):
    return (mix64_scalar((stream + (i + 1) * GOLDEN) & MASK64) >> 40) * TWO_M24


def _print_vectors():
    print("# lrb RNG test vectors (stream, index, z hex, u)")
    for s in (0, 1, 256, 12345 * 256 + 1, MASK64):
        for i in (0, 1, 2, 1000):
            z = int(stream_z(s, i, 1)[0])
            print("%d %d 0x%016x %.17g" % (s, i, z, (z >> 40) * TWO_M24))
    print("# dist samples, seed 7 input 0, shape (2, 3, 2); float32 printed as %.9g")
    for d in ("u:-1:1", "n:1", "n:30", "int:-3:3", "bern:0.999", "c:0.1", "imp"):
        v = draw(d, input_stream(7, 0), (2, 3, 2))
        print(d, " ".join("%.9g" % x for x in v.ravel()))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        sys.exit(0)
    _print_vectors()
