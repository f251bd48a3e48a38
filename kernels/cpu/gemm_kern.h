/*
 * gemm_kern.h — the per-ISA kernel table behind the simd backend's dense projections, LayerNorm and
 * token shift (drivers: kernels/cpu/gemm.c and dense.c; template: kernels/cpu/gemm_isa.c).
 *
 * The sgemm is Goto/BLIS style: the drivers pack a block of x into MR-row micro-panels (k-major, MR
 * values per k) and W into NR-column micro-panels (k-major, NR values per k), and the micro-kernel
 * computes one MR×NR tile of y over a range of k. Every tile element is accumulated over k in
 * ascending order with a separate multiply and add, starting from 0.0f on the first k block and from
 * the partial sum stored in y on the later ones; the bias is added after the last block. That is the
 * reference's order (reference/dense.h), so the result is bit-identical to it whatever the blocking,
 * the ISA or the thread count.
 */
#ifndef LRB_GEMM_KERN_H
#define LRB_GEMM_KERN_H

#include "lrb_cpu.h"

#include <stdint.h>

typedef struct lrb_gemm_kern {
    int mr, nr; /* micro-tile: rows of x, columns of y (nr is a multiple of the vector width) */
    int vw;     /* float lanes of the ISA */
    /* c[i·ldc + j] for i < mr, j < nr: (first ? 0 : c) + Σ_{k<kc} a[k·mr + i]·b[k·nr + j] term by term in
     * k order, then + bias[j] when bias is non-NULL. a and b are packed micro-panels. */
    void (*micro)(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, int first, const float *bias);
    /* One micro-panel of x: dst[k·mr + i] = x[i·ldx + k] for i < nrow, k < kc, and 0.0f for the rows
     * nrow ≤ i < mr. */
    void (*pack_a)(const float *x, int64_t ldx, int64_t nrow, int64_t kc, float *dst);
    /* Pass 1 and 2 of LayerNorm for vw rows at once, from t[c·vw + lane] (the rows interleaved):
     * mean[lane] = (Σ_c x)/C, sd[lane] = Σ_c (x − mean), ss[lane] = Σ_c (x − mean)², each sum
     * sequential over c from 0.0f, exactly as lrb_layernorm_rows. */
    void (*ln_stats)(const float *t, int64_t C, float *mean, float *sd, float *ss);
    /* Pass 3 of LayerNorm for one row: y[c] = ((x[c] − mean) − corr)·rstd, then ·weight[c] and
     * + bias[c] when those are non-NULL. y may equal x. */
    void (*ln_apply)(const float *x, int64_t C, float mean, float corr, float rstd, const float *weight,
                     const float *bias, float *y);
    /* One token of the RWKV-4 shift: out[c] = x[c]·mu[c] + xp[c]·(1 − mu[c]), with xp[c] read as 0.0f
     * when xp is NULL. */
    void (*shift_row)(const float *x, const float *xp, const float *mu, int64_t C, float *out);
} lrb_gemm_kern;

LRB_CPU_DECLARE_KERN(lrb_gemm_kern, gemm);

#endif
