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

/* glru's gated scan (LAYERS.md §3.1) on its pre-activation rows: z holds B·L rows (row b·L + t) of n·dh
 * floats, blocks of dh: input, i, (f,) o (n = 3 tied, 4 untied); on return block 0 of each row holds
 * y = tanh(h) ⊙ o, the rest of the row is scratch. h0 (NULL: zeros) and h_last (may be NULL) are (B, dh). */
typedef struct lrb_glru_scan_args {
    int64_t B, L, dh;
    int tied;
    float *z;
    const float *h0;
    float *h_last;
    int64_t chunk; /* the scan's chunk (LRB_CHUNKED) */
} lrb_glru_scan_args;

/* Work on rows r0 .. r0 + n − 1 of a layer's (B·L)-row buffers (row r = b·L + t). */
typedef void (*lrb_rows_fn)(void *ctx, int64_t r0, int64_t n);

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
    /* NULL: the gated scan is composed of the maps below, for_rows and scan_real (lrb_glru_scan_composed);
     * a backend with a fused kernel for it (cuda) sets its own */
    int (*glru_scan)(const lrb_glru_scan_args *g, lrb_algo algo);
    /* y[i] = f(x[i]), i < n; y may equal x */
    void (*exp_n)(const float *x, float *y, int64_t n);
    void (*sigmoid_n)(const float *x, float *y, int64_t n);
    void (*tanh_n)(const float *x, float *y, int64_t n);
    /* Calls fn on row ranges that together cover rows 0 .. rows − 1, each row once, in any order and on
     * any thread (the reference: one call for all rows). Only for row-wise work, whose result for a
     * row does not depend on how the rows are grouped. */
    void (*for_rows)(int64_t rows, lrb_rows_fn fn, void *ctx);
    /* Scratch of a layer call (n floats, NULL when out of memory), released with scratch_free. The
     * reference mallocs; a fast backend keeps its blocks for the next call, so a call does not pay the
     * page faults of fresh memory for its activations (hundreds of MB at large shapes). */
    float *(*scratch_alloc)(size_t n);
    void (*scratch_free)(float *p);
    /* The time tile of lrb_scan_fused with LRB_SEQ, in bytes (LRB_FUSED_TILE_BYTES); 0: whole passes (a
     * backend whose scan is one device call, for which tiles would only add calls). */
    int64_t tile_bytes;
} lrb_ops;

extern const lrb_ops lrb_ref_ops;

/* A scan with the row-wise work around it: pre (which builds the scan's input rows), the scan, post
 * (which consumes its output rows), each given through ops->for_rows. With LRB_SEQ and a backend with
 * ops->tile_bytes > 0 the three run on time tiles of each batch element, the scan of a tile continuing
 * from the state the previous tile ended in, which is the sequential recurrence itself, so the result is
 * bit for bit that of whole passes. A tile is tile_bytes / row_bytes rows (row_bytes: the bytes pre, scan
 * and post touch per row); LRB_FUSED_TILE_BYTES is a quarter of the 1 MiB L2 of the build machines
 * (Zen 5), so a tile stays in L2 from pre to post with room for what else is live, and the layer reads its
 * pre-activations from memory once and writes its outputs once. The parallel algorithms need the whole
 * sequence at once and run three whole passes. pre or post may be NULL. Returns the scan's status (pre
 * and post are not run after a failure). */
#define LRB_FUSED_TILE_BYTES (256 * 1024)

int lrb_scan_fused(const lrb_ops *ops, const lrb_scan_args *sa, int cplx, lrb_algo algo, lrb_rows_fn pre,
                   lrb_rows_fn post, void *ctx, int64_t row_bytes);

/* glru's gated scan from the table's elementwise maps and its real scan, through lrb_scan_fused (glru.c). */
int lrb_glru_scan_composed(const lrb_ops *ops, const lrb_glru_scan_args *g, lrb_algo algo);

#endif
