/*
 * test_simd_dense.c — Check suite "simd_dense": the simd backend's dense projections (own sgemm),
 * LayerNorm and token shift (kernels/cpu/gemm.c, dense.c, gemm_isa.c) against their scalar references
 * (reference/dense.c).
 *
 * The contract is bit-identity (DESIGN.md §6), so every comparison is a memcmp, on every ISA path the
 * host supports and on 1, 2 and 3 threads (3 does not divide the task counts evenly). Inputs include
 * ±0.0f so that an accumulator seeded with the first product instead of 0.0f, or a broadcast that loses
 * the sign of zero, shows up. Outputs live in NaN-poisoned buffers with row strides wider than the rows:
 * the columns between the row width and the stride must come back untouched, byte for byte.
 */
#include "lrb_tests.h"
#include "test_util.h"

#include "../kernels/cpu/lrb_simd.h"
#include "../reference/dense.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const int test_threads[3] = {1, 2, 3};

/* ------------------------------------------------------------------------------------------------ */
/* Helpers                                                                                           */

/* U[lo, hi), with about 1 in 16 values replaced by +0.0f or −0.0f */
static float rng_val(uint64_t *s, float lo, float hi)
{
    const uint64_t r = lrb_test_rng_next(s);
    if ((r & 15) == 0)
        return (r & 16) ? -0.0f : 0.0f;
    return lo + (hi - lo) * (float)((double)(r >> 40) * 0x1.0p-24);
}

static float *frand(size_t n, float lo, float hi, uint64_t *s)
{
    float *p = lrb_test_falloc(n);
    for (size_t i = 0; i < n; i++)
        p[i] = rng_val(s, lo, hi);
    return p;
}

/* A NaN with a payload that no arithmetic produces: an untouched element keeps exactly these bytes. */
static void poison(float *p, size_t n)
{
    const uint32_t bits = 0x7fa5a5a5u;
    for (size_t i = 0; i < n; i++)
        memcpy(p + i, &bits, sizeof bits);
}

/* Index of the first differing float, or −1. */
static int64_t first_diff(const float *a, const float *b, size_t n)
{
    if (!memcmp(a, b, n * sizeof *a))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (memcmp(a + i, b + i, sizeof *a))
            return (int64_t)i;
    return -1;
}

/* ------------------------------------------------------------------------------------------------ */
/* Dense projections                                                                                 */

static const int64_t dense_rows_v[5] = {1, 2, 7, 33, 100};
static const int64_t dense_in_v[6] = {1, 3, 16, 17, 64, 257};
static const int64_t dense_out_v[6] = {1, 5, 16, 31, 64, 130};

/* One shape: both layouts, with and without bias, tight and padded strides, against the reference on every
 * ISA and thread count. Returns the number of simd calls checked. */
static int check_dense_shape(int64_t rows, int64_t in, int64_t out, uint64_t seed)
{
    uint64_t s = seed;
    int calls = 0;
    const int64_t ldx_max = in + 3, ldy_max = out + 5;
    float *x = frand((size_t)(rows * ldx_max), -1.0f, 1.0f, &s);
    float *W = frand((size_t)(out * in), -1.0f, 1.0f, &s);
    float *K = lrb_test_falloc((size_t)(in * out));
    for (int64_t j = 0; j < out; j++)
        for (int64_t k = 0; k < in; k++)
            K[k * out + j] = W[j * in + k];
    float *bias = frand((size_t)out, -2.0f, 2.0f, &s);
    const size_t ny = (size_t)(rows * ldy_max);
    float *yr = lrb_test_falloc(ny), *ys = lrb_test_falloc(ny);
    lrb_isa isas[LRB_NUM_ISAS];
    const int nisa = lrb_test_isas(isas);
    for (int padded = 0; padded < 2; padded++) {
        const int64_t ldx = padded ? ldx_max : in, ldy = padded ? ldy_max : out;
        for (int with_bias = 0; with_bias < 2; with_bias++) {
            const float *b = with_bias ? bias : NULL;
            poison(yr, ny);
            lrb_dense_rows(x, rows, in, ldx, W, b, out, yr, ldy);
            /* the reference's two layouts agree (dense.h): one expected result for both */
            for (int kn = 0; kn < 2; kn++)
                for (int ii = 0; ii < nisa; ii++)
                    for (int ti = 0; ti < 3; ti++) {
                        ck_assert_int_eq(lrb_cpu_set_isa(isas[ii]), 0);
                        ck_assert_int_eq(lrb_cpu_set_threads(test_threads[ti]), 0);
                        poison(ys, ny);
                        if (kn)
                            lrb_simd_dense_rows_kn(x, rows, in, ldx, K, b, out, ys, ldy);
                        else
                            lrb_simd_dense_rows(x, rows, in, ldx, W, b, out, ys, ldy);
                        const int64_t d = first_diff(yr, ys, (size_t)((rows - 1) * ldy + out));
                        ck_assert_msg(d < 0,
                                      "dense%s %s threads=%d rows=%lld in=%lld out=%lld ldx=%lld ldy=%lld bias=%d: "
                                      "element [%lld, %lld] is %a, reference %a",
                                      kn ? "_kn" : "", lrb_isa_name(isas[ii]), test_threads[ti], (long long)rows,
                                      (long long)in, (long long)out, (long long)ldx, (long long)ldy, with_bias,
                                      (long long)(d / ldy), (long long)(d % ldy), (double)ys[d], (double)yr[d]);
                        /* the columns past `out` of every row (and past the last row) kept their poison */
                        ck_assert_msg(!memcmp(yr, ys, ny * sizeof *ys), "dense%s %s threads=%d: padding written",
                                      kn ? "_kn" : "", lrb_isa_name(isas[ii]), test_threads[ti]);
                        calls++;
                    }
        }
    }
    free(x);
    free(W);
    free(K);
    free(bias);
    free(yr);
    free(ys);
    return calls;
}

/* The brief's grid, one rows value per loop iteration. */
START_TEST(test_dense_grid)
{
    lrb_test_cpu_state sv = lrb_test_cpu_save();
    int calls = 0;
    for (int ii = 0; ii < 6; ii++)
        for (int oi = 0; oi < 6; oi++)
            calls += check_dense_shape(dense_rows_v[_i], dense_in_v[ii], dense_out_v[oi],
                                       1000u * (uint64_t)_i + 10u * (uint64_t)ii + (uint64_t)oi);
    ck_assert_int_gt(calls, 0);
    lrb_test_cpu_restore(sv);
}
END_TEST

/* Shapes with several row blocks, several k blocks and split column blocks, whatever the blocking is. */
START_TEST(test_dense_large)
{
    static const int64_t shapes[3][3] = {{300, 1000, 200}, {5, 777, 1000}, {517, 130, 67}};
    lrb_test_cpu_state sv = lrb_test_cpu_save();
    check_dense_shape(shapes[_i][0], shapes[_i][1], shapes[_i][2], 77u + (uint64_t)_i);
    lrb_test_cpu_restore(sv);
}
END_TEST

/* y is a column block of a wider row (a layer writing one projection of a fused output), twice into the
 * same rows: the other block is left as the first call wrote it. */
START_TEST(test_dense_column_block)
{
    lrb_test_cpu_state sv = lrb_test_cpu_save();
    uint64_t s = 4242;
    const int64_t rows = 37, in = 45, out = 29, ldy = 2 * out + 7;
    float *x = frand((size_t)(rows * in), -1.0f, 1.0f, &s);
    float *W1 = frand((size_t)(out * in), -1.0f, 1.0f, &s), *W2 = frand((size_t)(out * in), -1.0f, 1.0f, &s);
    float *yr = lrb_test_falloc((size_t)(rows * ldy)), *ys = lrb_test_falloc((size_t)(rows * ldy));
    poison(yr, (size_t)(rows * ldy));
    lrb_dense_rows(x, rows, in, in, W1, NULL, out, yr, ldy);
    lrb_dense_rows(x, rows, in, in, W2, W1, out, yr + out, ldy);
    lrb_isa isas[LRB_NUM_ISAS];
    const int nisa = lrb_test_isas(isas);
    for (int ii = 0; ii < nisa; ii++)
        for (int ti = 0; ti < 3; ti++) {
            lrb_cpu_set_isa(isas[ii]);
            lrb_cpu_set_threads(test_threads[ti]);
            poison(ys, (size_t)(rows * ldy));
            lrb_simd_dense_rows(x, rows, in, in, W1, NULL, out, ys, ldy);
            lrb_simd_dense_rows(x, rows, in, in, W2, W1, out, ys + out, ldy);
            ck_assert_msg(!memcmp(yr, ys, (size_t)(rows * ldy) * sizeof *ys), "%s threads=%d", lrb_isa_name(isas[ii]),
                          test_threads[ti]);
        }
    free(x);
    free(W1);
    free(W2);
    free(yr);
    free(ys);
    lrb_test_cpu_restore(sv);
}
END_TEST

/* ------------------------------------------------------------------------------------------------ */
/* LayerNorm                                                                                         */

/* rows × C values at x (stride ldx) drawn around `offset`; compares every ISA and thread count, out of place
 * (poisoned y with stride ldy) and in place (on a copy of x, ldy = ldx). */
static void check_layernorm(int64_t rows, int64_t C, int64_t ldx, int64_t ldy, float offset, int with_w, int with_b,
                            uint64_t seed)
{
    uint64_t s = seed;
    float *x = frand((size_t)(rows * ldx), offset - 1.0f, offset + 1.0f, &s);
    float *w = with_w ? frand((size_t)C, 0.5f, 1.5f, &s) : NULL;
    float *b = with_b ? frand((size_t)C, -1.0f, 1.0f, &s) : NULL;
    const float eps = 1e-5f;
    const size_t ny = (size_t)(rows * ldy), nx = (size_t)(rows * ldx);
    float *yr = lrb_test_falloc(ny), *ys = lrb_test_falloc(ny), *xr = lrb_test_falloc(nx), *xs = lrb_test_falloc(nx);
    poison(yr, ny);
    lrb_layernorm_rows(x, rows, C, ldx, w, b, eps, yr, ldy);
    memcpy(xr, x, nx * sizeof *x);
    lrb_layernorm_rows(xr, rows, C, ldx, w, b, eps, xr, ldx);
    lrb_isa isas[LRB_NUM_ISAS];
    const int nisa = lrb_test_isas(isas);
    for (int ii = 0; ii < nisa; ii++)
        for (int ti = 0; ti < 3; ti++) {
            ck_assert_int_eq(lrb_cpu_set_isa(isas[ii]), 0);
            ck_assert_int_eq(lrb_cpu_set_threads(test_threads[ti]), 0);
            poison(ys, ny);
            lrb_simd_layernorm_rows(x, rows, C, ldx, w, b, eps, ys, ldy);
            const int64_t d = first_diff(yr, ys, ny);
            ck_assert_msg(d < 0,
                          "layernorm %s threads=%d rows=%lld C=%lld ldx=%lld ldy=%lld offset=%g w=%d b=%d: "
                          "element %lld is %a, reference %a",
                          lrb_isa_name(isas[ii]), test_threads[ti], (long long)rows, (long long)C, (long long)ldx,
                          (long long)ldy, (double)offset, with_w, with_b, (long long)d, (double)ys[d], (double)yr[d]);
            memcpy(xs, x, nx * sizeof *x);
            lrb_simd_layernorm_rows(xs, rows, C, ldx, w, b, eps, xs, ldx);
            ck_assert_msg(!memcmp(xr, xs, nx * sizeof *xs), "layernorm in place %s threads=%d rows=%lld C=%lld",
                          lrb_isa_name(isas[ii]), test_threads[ti], (long long)rows, (long long)C);
        }
    free(x);
    free(w);
    free(b);
    free(yr);
    free(ys);
    free(xr);
    free(xs);
}

START_TEST(test_layernorm)
{
    static const int64_t rows_v[6] = {1, 5, 16, 17, 40, 333};
    static const int64_t C_v[6] = {1, 7, 16, 33, 100, 1024};
    lrb_test_cpu_state sv = lrb_test_cpu_save();
    for (int ci = 0; ci < 6; ci++)
        for (int wb = 0; wb < 4; wb++) {
            const int64_t C = C_v[ci];
            /* alternate tight and padded strides; offset 0 and a large mean (|μ| ≫ σ) */
            const int64_t ldx = (wb & 1) ? C + 3 : C, ldy = (wb & 2) ? C + 5 : C;
            const uint64_t seed = 100u * (uint64_t)_i + 10u * (uint64_t)ci + (uint64_t)wb;
            check_layernorm(rows_v[_i], C, ldx, ldy, 0.0f, wb & 1, (wb >> 1) & 1, seed);
            check_layernorm(rows_v[_i], C, ldx, ldy, 1000.0f, (wb >> 1) & 1, wb & 1, seed + 7);
        }
    lrb_test_cpu_restore(sv);
}
END_TEST

/* ------------------------------------------------------------------------------------------------ */
/* Token shift                                                                                       */

START_TEST(test_token_shift)
{
    static const int64_t B_v[2] = {1, 3}, L_v[3] = {1, 2, 9}, C_v[6] = {1, 7, 16, 37, 100, 4100};
    lrb_test_cpu_state sv = lrb_test_cpu_save();
    lrb_isa isas[LRB_NUM_ISAS];
    const int nisa = lrb_test_isas(isas);
    uint64_t s = 99;
    for (int bi = 0; bi < 2; bi++)
        for (int li = 0; li < 3; li++)
            for (int ci = 0; ci < 6; ci++)
                for (int with_prev = 0; with_prev < 2; with_prev++) {
                    const int64_t B = B_v[bi], L = L_v[li], C = C_v[ci];
                    const size_t n = (size_t)(B * L * C);
                    float *x = frand(n, -3.0f, 3.0f, &s);
                    float *prev = with_prev ? frand((size_t)(B * C), -3.0f, 3.0f, &s) : NULL;
                    /* mu in [0, 1] with zeros, plus a few out of range (1 − mu then changes sign) */
                    float *mu = frand((size_t)C, -0.25f, 1.25f, &s);
                    float *outr = lrb_test_falloc(n), *outs = lrb_test_falloc(n);
                    poison(outr, n);
                    lrb_token_shift_mix(x, B, L, C, prev, mu, outr);
                    for (int ii = 0; ii < nisa; ii++)
                        for (int ti = 0; ti < 3; ti++) {
                            ck_assert_int_eq(lrb_cpu_set_isa(isas[ii]), 0);
                            ck_assert_int_eq(lrb_cpu_set_threads(test_threads[ti]), 0);
                            poison(outs, n);
                            lrb_simd_token_shift_mix(x, B, L, C, prev, mu, outs);
                            const int64_t d = first_diff(outr, outs, n);
                            ck_assert_msg(d < 0,
                                          "token shift %s threads=%d B=%lld L=%lld C=%lld prev=%d: element %lld is "
                                          "%a, reference %a",
                                          lrb_isa_name(isas[ii]), test_threads[ti], (long long)B, (long long)L,
                                          (long long)C, with_prev, (long long)d, (double)outs[d], (double)outr[d]);
                        }
                    free(x);
                    free(prev);
                    free(mu);
                    free(outr);
                    free(outs);
                }
    lrb_test_cpu_restore(sv);
}
END_TEST

Suite *lrb_suite_simd_dense(void)
{
    Suite *s = suite_create("simd_dense");
    TCase *tc = tcase_create("dense");
    tcase_add_loop_test(tc, test_dense_grid, 0, 5);
    tcase_add_loop_test(tc, test_dense_large, 0, 3);
    tcase_add_test(tc, test_dense_column_block);
    /* generous for Debug + sanitizer builds; Release runs the suite in a few seconds */
    tcase_set_timeout(tc, 300);
    suite_add_tcase(s, tc);

    tc = tcase_create("layernorm");
    tcase_add_loop_test(tc, test_layernorm, 0, 6);
    tcase_set_timeout(tc, 300);
    suite_add_tcase(s, tc);

    tc = tcase_create("token_shift");
    tcase_add_test(tc, test_token_shift);
    tcase_set_timeout(tc, 300);
    suite_add_tcase(s, tc);
    return s;
}
