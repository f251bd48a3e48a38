/*
 * bojone.h — typed scalar reference of bojone's three linear-RNN layers (LAYERS.md §1.2–1.4):
 * `slru` (real constant decay), `lru` (complex constant decay, planar) and `brwkv` (normalised
 * RWKV-like quotient of two constant-decay scans). lrb_ref_slru/lru/brwkv map an lrb_call onto these
 * functions, and so does rnn_wrapper, once per frequency bin with that bin's parameter slices, so the
 * seed wrapper and the plain layers run exactly the same code.
 *
 * Common conventions: x and y are (B, L, H) contiguous, row-major; parameter pointers follow LAYERS.md
 * §7.1 (PyTorch layout, W (out, in)); biases are NULL when use_bias = 0. s0 (and z0) are the initial
 * states or NULL for the empty (zero) state; s_last (and z_last) receive the final state and may be
 * NULL; a final-state buffer may be the same buffer as the corresponding initial state. The scan
 * runs with algorithm `algo` (LRB_SEQ, LRB_UL, LRB_BLELLOCH or LRB_CHUNKED, chunk size `chunk`).
 * Each function allocates its scratch once per call and returns LRB_OK, LRB_ENOMEM or LRB_EINVAL.
 */
#ifndef LRB_BOJONE_H
#define LRB_BOJONE_H

#include "../harness/lrb_call.h"
#include "lrb_ops.h"

/* slru: i_dense (U, H) + (U), o_dense (H, U) + (H), params_log (2, U) rows nu_log, gamma_log.
 * State s (B, U): the scan state before the γ scale. */
typedef struct lrb_slru_params {
    int64_t H, U;
    const float *wi, *bi;    /* i_dense.weight (U, H), i_dense.bias (U) or NULL */
    const float *wo, *bo;    /* o_dense.weight (H, U), o_dense.bias (H) or NULL */
    const float *params_log; /* (2, U) */
} lrb_slru_params;

/* lru: i_dense (2U, H) + (2U), o_dense (H, 2U) + (H), params_log (3, U) rows nu_log, theta_log,
 * gamma_log. Rows 0..U−1 of i_dense are the real parts, U..2U−1 the imaginary parts (planar,
 * decision 2); with interleaved = 1 rows 2j and 2j+1 are the real and imaginary part of channel j.
 * State s (B, 2U) planar complex. */
typedef struct lrb_lru_params {
    int64_t H, U;
    int interleaved;
    const float *wi, *bi;    /* i_dense.weight (2U, H), i_dense.bias (2U) or NULL */
    const float *wo, *bo;    /* o_dense.weight (H, 2U), o_dense.bias (H) or NULL */
    const float *params_log; /* (3, U) */
} lrb_lru_params;

/* brwkv: rkv_dense (3U, H) + (3U) in blocks r, k, v; o_dense (H, U) + (H); nu_log, gamma_log (U).
 * eps_den is added to the denominator when non-zero (decision 3). States s, z (B, U): the inclusive
 * sums S_{L−1}, Z_{L−1}. */
typedef struct lrb_brwkv_params {
    int64_t H, U;
    float eps_den;
    const float *wrkv, *brkv; /* rkv_dense.weight (3U, H), rkv_dense.bias (3U) or NULL */
    const float *wo, *bo;     /* o_dense.weight (H, U), o_dense.bias (H) or NULL */
    const float *nu_log, *gamma_log;
} lrb_brwkv_params;

/* The γ scale of slru and lru, h_t = γ ⊙ s_t, as the post-pass of lrb_scan_fused: rows r0 .. r0 + n − 1
 * of the scanned buffer z (row stride ld), in `parts` blocks of U columns (1: real; 2: real and
 * imaginary parts, which γ, being real, scales alike). */
typedef struct lrb_gamma_rows {
    float *z;
    int64_t U, ld;
    int parts;
    const float *gamma;
} lrb_gamma_rows;
void lrb_gamma_rows_fn(void *ctx, int64_t r0, int64_t n);

int lrb_slru_forward(const lrb_ops *ops, const lrb_slru_params *p, int64_t B, int64_t L, const float *x, float *y,
                     const float *s0, float *s_last, lrb_algo algo, int64_t chunk);
int lrb_lru_forward(const lrb_ops *ops, const lrb_lru_params *p, int64_t B, int64_t L, const float *x, float *y,
                    const float *s0, float *s_last, lrb_algo algo, int64_t chunk);
int lrb_brwkv_forward(const lrb_ops *ops, const lrb_brwkv_params *p, int64_t B, int64_t L, const float *x, float *y,
                      const float *s0, const float *z0, float *s_last, float *z_last, lrb_algo algo, int64_t chunk);

#endif
