/*
 * rng.h — the shared counter-based RNG and the input distributions of the case table
 * (TOOLING.md §9.4, golden/FORMAT.md).
 *
 * Element i of stream s is z = mix64(s + (i+1)·0x9E3779B97F4A7C15 mod 2^64) with the SplitMix64
 * finaliser, and u = (z >> 40)·2^-24 ∈ [0, 1). Being stateless, the same numbers come out of the C
 * harness and of golden/lrb_rng.py (vectorised NumPy) bit for bit, in any order and on any thread, so
 * tier-2 cases regenerate their inputs in C and only the oracle outputs need Python.
 *
 * A distribution spec (`u:LO:HI`, `n:S`, `c:V`, `int:LO:HI`, `bern:P`, `imp`) is parsed once into an
 * lrb_dist and then evaluated per element. Every mapping is computed in double, one operation per
 * statement in the order FORMAT.md writes it (so no compiler can contract it into an FMA), and rounded
 * once to float32 — exactly what the NumPy side does.
 */
#ifndef LRB_RNG_H
#define LRB_RNG_H

#include <stddef.h>
#include <stdint.h>

/* The Weyl increment: 2^64 / golden ratio. */
#define LRB_RNG_GOLDEN UINT64_C(0x9E3779B97F4A7C15)

/* The SplitMix64 finaliser. */
uint64_t lrb_rng_mix64(uint64_t z);
/* Raw 64-bit element i of stream s. */
uint64_t lrb_rng_z(uint64_t stream, uint64_t i);
/* Uniform element i of stream s: the top 24 bits of lrb_rng_z, times 2^-24 (exact in float and double). */
double lrb_rng_u(uint64_t stream, uint64_t i);
/* The stream of input number `input_index` of a case: seed·256 + input_index (mod 2^64). */
uint64_t lrb_rng_stream(uint64_t seed, int input_index);

typedef enum {
    LRB_DIST_UNIFORM = 0, /* u:LO:HI   LO + (HI − LO)·u */
    LRB_DIST_NORMAL,      /* n:S       ((u1 + u2 + u3 + u4) − 2)·(S·√3), Irwin–Hall on elements 4i..4i+3 */
    LRB_DIST_CONST,       /* c:V       V */
    LRB_DIST_INT,         /* int:LO:HI LO + floor(u·(HI − LO + 1)) */
    LRB_DIST_BERN,        /* bern:P    1 where u < P, else 0 */
    LRB_DIST_IMP          /* imp       1 at t = 0, else 0 */
} lrb_dist_kind;

typedef struct lrb_dist {
    lrb_dist_kind kind;
    double a; /* LO (u, int), S (n), V (c), P (bern) */
    double b; /* HI (u, int) */
} lrb_dist;

/* The default input distribution, n:1. */
lrb_dist lrb_dist_default(void);

/* Parses a spec such as "u:-1:1" or "n:0.5". Numbers are plain decimals ([+-]digits[.digits][e[+-]digits]:
 * what Python's float() and C's strtod read identically), finite and within float32 range; n needs
 * S ≥ 0; int needs integers LO ≤ HI with |LO|, |HI| ≤ 2^31 (so every step is exact). Returns 0, or -1 with a one-line
 * message. */
int lrb_dist_parse(const char *spec, lrb_dist *out, char *err, size_t errlen);

/* Writes the canonical spec text ("u:-1:1", "n:1", "imp", ...) into buf (%.17g numbers). */
void lrb_dist_format(const lrb_dist *d, char *buf, size_t len);

/* Value of element i (flat C-order index) of a tensor drawn from d on `stream`; t is the element's time
 * index, used only by `imp`. */
float lrb_dist_at(const lrb_dist *d, uint64_t stream, int64_t i, int64_t t);

/* Fills a C-order tensor of the given shape (ndim ≥ 0 axes; count = prod(shape) elements) from d.
 * time_axis is the index of the time axis, used by `imp`: element i has
 * t = (i / prod(shape[time_axis+1..])) % shape[time_axis], e.g. 1 for (B, L, W) and 3 for the
 * (B, C, F, T) input of rnn_wrapper. It may be -1 for distributions other than imp. Returns 0, or -1 if
 * the arguments are invalid (negative extents, time_axis out of range for imp). Tensors of 2^22 elements
 * or more fill in chunks on the CPU thread pool (lrb_cpu.h), with the same bits for any thread count. */
int lrb_dist_fill(const lrb_dist *d, uint64_t stream, float *out, int ndim, const int64_t *shape, int time_axis);

#endif
