/*
 * lrb_ops.h — the kernels a layer is composed of, as a table: dense projections, LayerNorm, token
 * shift, the scans, WKV-4 and the elementwise exp / sigmoid / tanh maps. Each layer's code in
 * reference/ is written once against this table; the reference backend passes lrb_ref_ops (the scalar
 * definitions), the simd backend lrb_simd_ops (kernels/cpu/), and later backends their own. So a
 * layer's composition — which projection feeds which scan, in which order, with which elementwise
 * steps — exists in exactly one place, and a fast backend differs from the reference only in kernels
 * that each carry their own contract (bit-identical in seq/direct form, see kernels/cpu/lrb_simd.h).
 */
#ifndef LRB_OPS_H
#define LRB_OPS_H

#include "scan.h"
#include "wkv4.h"

#include <stddef.h>
#include <stdint.h>

typedef struct lrb_ops {
    const char *backend; /* "ref", "simd" */
    void (*dense_rows)(const float *x, int64_t rows, int64_t in, int64_t ldx, const float *W, const float *bias,
                       int64_t out, float *y, int64_t ldy);
    void (*dense_rows_kn)(const float *x, int64_t rows, int64_t in, int64_t ldx, const float *K, const float *bias,
                          int64_t out, float *y, int64_t ldy);
    void (*layernorm_rows)(const float *x, int64_t rows, int64_t C, int64_t ldx, const float *weight, const float *bias,
                           float eps, float *y, int64_t ldy);
    void (*token_shift_mix)(const float *x, int64_t B, int64_t L, int64_t C, const float *prev, const float *mu,
                            float *out);
    int (*scan_real)(const lrb_scan_args *s, lrb_algo algo);
    int (*scan_complex)(const lrb_scan_args *s, lrb_algo algo);
    int (*wkv4)(const lrb_wkv4_args *a, lrb_algo algo);
    /* y[i] = f(x[i]), i < n; y may equal x */
    void (*exp_n)(const float *x, float *y, int64_t n);
    void (*sigmoid_n)(const float *x, float *y, int64_t n);
    void (*tanh_n)(const float *x, float *y, int64_t n);
    /* z[r·ld + j] = z[r·ld + j]·g[j] for r < rows, j < n (a per-channel gain, e.g. LRU's γ) */
    void (*scale_cols)(float *z, int64_t rows, int64_t n, int64_t ld, const float *g);
    /* Scratch of a layer call (n floats, NULL when out of memory), released with scratch_free. The
     * reference mallocs; a fast backend keeps its blocks for the next call, so a call does not pay the
     * page faults of fresh memory for its activations (hundreds of MB at large shapes). */
    float *(*scratch_alloc)(size_t n);
    void (*scratch_free)(float *p);
} lrb_ops;

extern const lrb_ops lrb_ref_ops;

#endif
