/*
 * ops.c — lrb_ref_ops, the reference backend's kernel table (lrb_ops.h): the scalar functions of
 * dense.c, scan.c and wkv4.c, and the elementwise maps as plain loops over the scalar functions of
 * lrb_math.h, which are the definition the vector maps of the simd backend reproduce bit for bit.
 */
#include "dense.h"
#include "lrb_math.h"
#include "lrb_ops.h"

#include <stdlib.h>
#include <string.h>

static void ref_exp_n(const float *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = lrb_expf(x[i]);
}

static void ref_sigmoid_n(const float *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = lrb_sigmoidf(x[i]);
}

static void ref_tanh_n(const float *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = lrb_tanhf(x[i]);
}

static void ref_for_rows(int64_t rows, lrb_rows_fn fn, void *ctx)
{
    if (rows > 0)
        fn(ctx, 0, rows);
}

static float *ref_scratch_alloc(size_t n)
{
    return malloc(n * sizeof(float));
}

static void ref_scratch_free(float *p)
{
    free(p);
}

const lrb_ops lrb_ref_ops = {
    .backend = "ref",
    .dense_rows = lrb_dense_rows,
    .dense_rows_kn = lrb_dense_rows_kn,
    .layernorm_rows = lrb_layernorm_rows,
    .token_shift_mix = lrb_token_shift_mix,
    .scan_real = lrb_scan_real,
    .scan_complex = lrb_scan_complex,
    .wkv4 = lrb_wkv4,
    .exp_n = ref_exp_n,
    .sigmoid_n = ref_sigmoid_n,
    .tanh_n = ref_tanh_n,
    .for_rows = ref_for_rows,
    .tile_bytes = LRB_FUSED_TILE_BYTES,
    .scratch_alloc = ref_scratch_alloc,
    .scratch_free = ref_scratch_free,
};

/* ---- composition helpers -------------------------------------------------------------------------------- */

typedef struct rows_at {
    lrb_rows_fn fn;
    void *ctx;
    int64_t r0; /* the first row of the tile, added to the tile-relative ranges of for_rows */
} rows_at;

static void rows_at_fn(void *vctx, int64_t r0, int64_t n)
{
    const rows_at *c = vctx;
    c->fn(c->ctx, c->r0 + r0, n);
}

static int scan_once(const lrb_ops *ops, const lrb_scan_args *sa, int cplx, lrb_algo algo)
{
    return cplx ? ops->scan_complex(sa, algo) : ops->scan_real(sa, algo);
}

int lrb_scan_fused(const lrb_ops *ops, const lrb_scan_args *sa, int cplx, lrb_algo algo, lrb_rows_fn pre,
                   lrb_rows_fn post, void *ctx, int64_t row_bytes)
{
    const int64_t B = sa->B, L = sa->L;
    if (B < 1 || L < 1 || row_bytes < 1)
        return LRB_EINVAL;
    int64_t tile = ops->tile_bytes / row_bytes;
    if (tile < 1)
        tile = 1;
    if (algo != LRB_SEQ || ops->tile_bytes <= 0 || tile >= L) {
        if (pre)
            ops->for_rows(B * L, pre, ctx);
        int rc = scan_once(ops, sa, cplx, algo);
        if (rc == LRB_OK && post)
            ops->for_rows(B * L, post, ctx);
        return rc;
    }

    /* Two carries, the state before the tile and after it, since a scan's h0 and h_last may not alias. */
    const int64_t sw = cplx ? 2 * sa->D : sa->D;
    float *carry = malloc(2 * (size_t)sw * sizeof *carry);
    if (!carry)
        return LRB_ENOMEM;
    int rc = LRB_OK;
    for (int64_t b = 0; b < B && rc == LRB_OK; b++) {
        const float *h0 = sa->h0 ? sa->h0 + b * sw : NULL;
        for (int64_t t0 = 0; t0 < L && rc == LRB_OK; t0 += tile) {
            const int64_t n = L - t0 < tile ? L - t0 : tile, r0 = b * L + t0;
            float *out = carry + (h0 == carry ? sw : 0);
            rows_at at = {pre, ctx, r0};
            if (pre)
                ops->for_rows(n, rows_at_fn, &at);
            lrb_scan_args ts = *sa;
            ts.B = 1;
            ts.L = n;
            ts.b = sa->b + r0 * sa->ld;
            ts.h = sa->h + r0 * sa->ld;
            ts.a = sa->a ? sa->a + r0 * sa->ld : NULL;
            ts.h0 = h0;
            ts.h_last = out;
            rc = scan_once(ops, &ts, cplx, algo);
            if (rc == LRB_OK && post) {
                at.fn = post;
                ops->for_rows(n, rows_at_fn, &at);
            }
            h0 = out;
        }
        if (rc == LRB_OK && sa->h_last)
            memcpy(sa->h_last + b * sw, h0, (size_t)sw * sizeof *h0);
    }
    free(carry);
    return rc;
}
