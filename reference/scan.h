/*
 * scan.h — the scalar reference of the diagonal first-order recurrence h_t = a_t ⊙ h_{t−1} + b_t
 * (LAYERS.md §4), real or complex, with constant or data-dependent decay, and its algorithms:
 * seq (O(L)), ul (Upper/Lower, §1.5), blelloch (work-efficient up/down sweep) and chunked (two-level,
 * chunk size configurable). Every layer with a linear recurrence (scan, slru, lru, brwkv, glru,
 * rnn_wrapper) calls these functions; wkv4.h holds the RWKV-4 log-space recurrence.
 *
 * Layout: sequences are (B, L, ld) row-major: element (b, t, d) of a real tensor is at
 * [(b·L + t)·ld + d], d < D, ld ≥ D (ld > D lets a layer scan a column block of a wider tensor).
 * Complex tensors are planar: the real part of channel d at offset d, the imaginary part at offset
 * d + im_off (im_off ≥ D; the layers use im_off = D with ld ≥ 2D). States are (B, D) real or
 * (B, 2D) planar complex, contiguous.
 */
#ifndef LRB_SCAN_H
#define LRB_SCAN_H

#include "../harness/lrb_call.h"

typedef struct lrb_scan_args {
    int64_t B, L, D;
    int64_t ld;     /* row stride of b, a and h, in floats */
    int64_t im_off; /* complex only: offset of the imaginary parts within a row */
    const float *b; /* input */
    float *h;       /* output, same layout as b; may alias b (in place) */
    /* Decay: either data-dependent a (same layout as b; complex planar), or constant per channel from
     * the rate nu ≥ 0 (and the phase theta for complex): λ_d = exp(−nu_d) (· (cos θ_d + i sin θ_d)).
     * Exactly one of a and nu is non-NULL. theta is NULL for real scans. */
    const float *a;
    const float *nu;
    const float *theta;
    const float *h0; /* initial state (B, D) / (B, 2D) planar, or NULL for zeros */
    float *h_last;   /* final state, same shape as h0; may be NULL */
    int64_t chunk;   /* chunk size of LRB_CHUNKED (≥ 1) */
} lrb_scan_args;

/* Runs the real scan with algorithm algo (LRB_SEQ, LRB_UL, LRB_BLELLOCH or LRB_CHUNKED).
 * ref.seq with constant decay computes λ = expf(−nu) once per channel in float32 and then
 * h ← λ·h + b (decision 6); it is the bit-exact reference for simd.seq.
 * Returns LRB_OK, LRB_ENOMEM or LRB_EINVAL (unknown algorithm, bad sizes). */
int lrb_scan_real(const lrb_scan_args *s, lrb_algo algo);
int lrb_scan_complex(const lrb_scan_args *s, lrb_algo algo);

/* Whether s describes a scan that every backend can run (each adds its own algorithms, and chunk ≥ 1 for
 * its chunked one): positive extents, input and output, exactly one of a and nu, theta with a complex nu,
 * and a row stride that holds the channels (and, complex, the imaginary parts after im_off ≥ D). */
int lrb_scan_args_ok(const lrb_scan_args *s, int cplx);

/* Schedule helpers shared with wkv4.c. The smallest power of two ≥ L (1 for L = 1). */
int64_t lrb_scan_pow2_ceil(int64_t L);
/* Number of indices of the aligned segment [i − len + 1, i] that are < L: the length of a tree node once
 * the padding of a power-of-two schedule (identity elements at indices ≥ L) is left out. The decay of a
 * time-invariant segment is λ^len. */
int64_t lrb_scan_seg_len(int64_t i, int64_t len, int64_t L);
/* The power table of the parallel algorithms (constant decay): pr[p] (and pi[p]) = λ^p for p = 0..M,
 * computed in double from nu (and *theta) and rounded to float; pi == NULL (theta unused) for a real
 * scan. The simd backend calls it so that its powers are bit-identical to the reference's. */
void lrb_scan_power_table(float nu, const float *theta, int64_t M, float *pr, float *pi);

#endif
