/*
 * ops.c — lrb_ref_ops, the reference backend's kernel table (lrb_ops.h): the scalar functions of
 * dense.c, scan.c and wkv4.c, and the elementwise maps as plain loops over the scalar functions of
 * lrb_math.h, which are the definition the vector maps of the simd backend reproduce bit for bit.
 */
#include "dense.h"
#include "lrb_math.h"
#include "lrb_ops.h"

#include <stdlib.h>

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

static void ref_scale_cols(float *z, int64_t rows, int64_t n, int64_t ld, const float *g)
{
    for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < n; j++)
            z[r * ld + j] *= g[j];
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
    .scale_cols = ref_scale_cols,
    .scratch_alloc = ref_scratch_alloc,
    .scratch_free = ref_scratch_free,
};
