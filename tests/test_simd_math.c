/*
 * test_simd_math.c — Check suite "simd_math": lrb's own float32 exp / tanh / sigmoid
 * (reference/lrb_math.c), their vector twins (kernels/cpu/vmath.h) and the simd WKV-4 (kernels/cpu/wkv4.c).
 *
 * What it establishes:
 *   - accuracy of lrb_expf, lrb_tanhf, lrb_sigmoidf against double exp/tanh, in ulps of the float-rounded
 *     true value, over every 97th float bit pattern plus every float of the delicate windows (exp's
 *     overflow and denormal edges, tanh's switch between polynomial and exp form), and the special values
 *     (±0, ±inf, NaN, the overflow threshold, denormal results);
 *   - on every ISA path the host runs: the array maps lrb_simd_{exp,sigmoid,tanh}_n give the scalar
 *     functions' bits (memcmp), for specials, random bit patterns, NaN payloads, every tail length up to
 *     2·16+1, in place, without writing past n, and for arrays split over 1–3 threads;
 *   - simd WKV-4 seq: bit-identical outputs and final state to the reference seq on every ISA × threads
 *     {1, 2, 3} over shapes with channel tails, with and without initial state, with the state updated
 *     in place and not requested; streaming in two pieces equals one pass bitwise;
 *   - chunked, ul and logstep against a float64 stable loop within the §6.3 bounds of LAYERS.md (nominal 1e−4,
 *     stress 2e−3 in relative L2), identical across thread counts, streaming in two pieces within the
 *     same bound; ul equals the reference ul bitwise while L fits one tile;
 *   - LRB_EINVAL for bad arguments and for the algorithms not offered (blelloch, direct).
 * Set LRB_TEST_VERBOSE=1 to print the measured errors.
 */
#include "lrb_tests.h"
#include "test_util.h"

#include "../kernels/cpu/lrb_simd.h"
#include "../kernels/cpu/wkv4_kern.h"
#include "../reference/lrb_math.h"
#include "../reference/wkv4.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double *dalloc(size_t n)
{
    double *p = calloc(n ? n : 1, sizeof *p);
    ck_assert_msg(p != NULL, "out of memory");
    return p;
}

static float u2f(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint32_t f2u(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* Index of the first differing float (bitwise), or −1. */
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
/* Scalar accuracy                                                                                   */

/* Error of y in ulps of the float-rounded true value t (the ulp of a denormal is 2^−149). A true value
 * that rounds to ±inf counts as exact only for y = that infinity; NaN y is an infinite error. */
static double ulp_err(float y, double t)
{
    const float tf = (float)t;
    if (isinf(tf))
        return y == tf ? 0.0 : INFINITY;
    if (isnan(y))
        return INFINITY;
    int e;
    frexp(tf != 0.0f ? fabs((double)tf) : 0x1p-149, &e);
    double ulp = ldexp(1.0, e - 24);
    if (ulp < 0x1p-149)
        ulp = 0x1p-149;
    return fabs((double)y - t) / ulp;
}

typedef struct {
    double worst;
    float at;
} ulp_acc;

enum { F_EXP, F_TANH, F_SIGMOID };
static const char *const fn_names[3] = {"exp", "tanh", "sigmoid"};
static const double fn_bound[3] = {2.0, 3.0, 3.0};

/* The scalar function and its true value in double; returns 0 when x is outside the judged range
 * (NaN inputs; sigmoid results that are not normal floats). */
static int judge(int f, float x, ulp_acc *acc)
{
    if (isnan(x))
        return 0;
    float y;
    double t;
    if (f == F_EXP) {
        y = lrb_expf(x);
        t = exp((double)x);
    } else if (f == F_TANH) {
        y = lrb_tanhf(x);
        t = tanh((double)x);
    } else {
        t = 1.0 / (1.0 + exp(-(double)x));
        if (t < (double)FLT_MIN)
            return 0;
        y = lrb_sigmoidf(x);
    }
    const double e = ulp_err(y, t);
    if (!(e <= acc->worst)) {
        acc->worst = e;
        acc->at = x;
    }
    return 1;
}

static void sweep_range(int f, float lo, float hi, ulp_acc *acc)
{
    /* every float between lo and hi, which have the same sign, walking the bit patterns */
    ck_assert(signbit(lo) == signbit(hi));
    uint32_t a = f2u(lo), b = f2u(hi);
    if (a > b) {
        uint32_t t = a;
        a = b;
        b = t;
    }
    for (uint32_t u = a;; u++) {
        judge(f, u2f(u), acc);
        if (u == b)
            break;
    }
}

START_TEST(test_scalar_ulp)
{
    const int f = _i;
    ulp_acc acc = {0.0, 0.0f};
    /* every 97th bit pattern: all exponents, both signs, varied low bits (97 is odd and prime) */
    for (uint64_t u = 0; u < 0x100000000ull; u += 97)
        judge(f, u2f((uint32_t)u), &acc);
    if (f == F_EXP) {
        sweep_range(f, 88.0f, 89.5f, &acc);       /* overflow threshold */
        sweep_range(f, -87.0f, -105.0f, &acc);    /* denormal results down to 0 */
        sweep_range(f, 0x1p-12f, 0x1p-10f, &acc); /* small arguments, both signs */
        sweep_range(f, -0x1p-12f, -0x1p-10f, &acc);
    } else if (f == F_TANH) {
        sweep_range(f, 0.5f, 0.625f, &acc); /* polynomial / exp switch at 0.5625 */
        sweep_range(f, -0.5f, -0.625f, &acc);
        sweep_range(f, 8.5f, 9.5f, &acc); /* saturation to 1 */
    } else {
        sweep_range(f, -88.0f, -86.0f, &acc);  /* where the result leaves the normal range */
        sweep_range(f, -0.25f, -0.125f, &acc); /* around σ = 1/2 */
        sweep_range(f, 0.125f, 0.25f, &acc);
    }
    if (lrb_test_verbose())
        fprintf(stderr, "lrb_%sf: max %.3f ulp at %a\n", fn_names[f], acc.worst, (double)acc.at);
    ck_assert_msg(acc.worst <= fn_bound[f], "lrb_%sf: %.3f ulp at %a (bound %g)", fn_names[f], acc.worst,
                  (double)acc.at, fn_bound[f]);
}
END_TEST

START_TEST(test_scalar_specials)
{
    const float inf = INFINITY, nanv = NAN;
    /* exp */
    ck_assert(lrb_expf(0.0f) == 1.0f && lrb_expf(-0.0f) == 1.0f);
    ck_assert(lrb_expf(-inf) == 0.0f && !signbit(lrb_expf(-inf)));
    ck_assert(lrb_expf(inf) == inf);
    ck_assert(isnan(lrb_expf(nanv)) && isnan(lrb_expf(-nanv)));
    ck_assert(isfinite(lrb_expf(LRB_EXP_OVF)) && lrb_expf(LRB_EXP_OVF) > 3.4e38f);
    ck_assert(lrb_expf(nextafterf(LRB_EXP_OVF, inf)) == inf);
    ck_assert(lrb_expf(1000.0f) == inf && lrb_expf(FLT_MAX) == inf);
    ck_assert(lrb_expf(-1000.0f) == 0.0f && lrb_expf(-FLT_MAX) == 0.0f && lrb_expf(-200.0f) == 0.0f);
    const float dn = lrb_expf(-100.0f); /* 3.72e−44: a denormal, not flushed */
    ck_assert_msg(dn > 0.0f && dn < FLT_MIN, "exp(-100) = %a", (double)dn);
    ck_assert(lrb_expf(1.0f) == (float)exp(1.0));
    ck_assert(lrb_expf(0x1p-30f) == 1.0f && lrb_expf(0x1p-149f) == 1.0f);
    /* tanh */
    ck_assert(lrb_tanhf(0.0f) == 0.0f && !signbit(lrb_tanhf(0.0f)));
    ck_assert(lrb_tanhf(-0.0f) == 0.0f && signbit(lrb_tanhf(-0.0f)));
    ck_assert(lrb_tanhf(inf) == 1.0f && lrb_tanhf(-inf) == -1.0f);
    ck_assert(lrb_tanhf(20.0f) == 1.0f && lrb_tanhf(-20.0f) == -1.0f && lrb_tanhf(FLT_MAX) == 1.0f);
    ck_assert(lrb_tanhf(0x1p-149f) == 0x1p-149f && lrb_tanhf(-0x1p-140f) == -0x1p-140f);
    ck_assert(lrb_tanhf(0x1p-20f) == 0x1p-20f && lrb_tanhf(FLT_MIN) == FLT_MIN);
    ck_assert(isnan(lrb_tanhf(nanv)) && isnan(lrb_tanhf(-nanv)));
    /* sigmoid */
    ck_assert(lrb_sigmoidf(0.0f) == 0.5f && lrb_sigmoidf(-0.0f) == 0.5f);
    ck_assert(lrb_sigmoidf(inf) == 1.0f && lrb_sigmoidf(-inf) == 0.0f);
    ck_assert(lrb_sigmoidf(100.0f) == 1.0f && lrb_sigmoidf(-100.0f) == 0.0f);
    ck_assert(isnan(lrb_sigmoidf(nanv)));
    /* NaN in, the input's payload out (quieted), as the vector twins do */
    const float sn = u2f(0x7fa00123u), qn = u2f(0xffc04567u);
    ck_assert_uint_eq(f2u(lrb_expf(qn)), 0xffc04567u);
    ck_assert_uint_eq(f2u(lrb_tanhf(qn)), 0xffc04567u);
    ck_assert_uint_eq(f2u(lrb_expf(sn)), 0x7fe00123u);
}
END_TEST

/* ------------------------------------------------------------------------------------------------ */
/* Vector maps against the scalar functions                                                          */

typedef void (*map_fn)(const float *x, float *y, int64_t n);
static const map_fn maps[3] = {lrb_simd_exp_n, lrb_simd_tanh_n, lrb_simd_sigmoid_n};
static float (*const scalars[3])(float) = {lrb_expf, lrb_tanhf, lrb_sigmoidf};

/* n inputs: specials, random bit patterns (NaN payloads and denormals included), random values over the
 * interesting ranges. */
static float *map_inputs(size_t n, uint64_t seed)
{
    static const float specials[] = {0.0f,    -0.0f,     INFINITY, -INFINITY, NAN,      -NAN,    1.0f,
                                     -1.0f,   88.72283f, 88.7229f, -87.3f,    -103.97f, -104.0f, -150.0f,
                                     0.5625f, -0.5625f,  0.56249f, 9.1f,      -9.1f,    1e-30f,  -1e-45f,
                                     FLT_MAX, -FLT_MAX,  FLT_MIN,  0x1p-149f, 44.0f,    -44.0f,  89.0f};
    float *x = lrb_test_falloc(n);
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++) {
        const size_t ns = sizeof specials / sizeof *specials;
        if (i < ns)
            x[i] = specials[i];
        else if (i % 3 == 0)
            x[i] = u2f((uint32_t)lrb_test_rng_next(&s));
        else if (i % 3 == 1)
            x[i] = (float)(-110.0 + 200.0 * lrb_test_rng_u(&s));
        else
            x[i] = (float)(lrb_test_rng_n(&s) * 3.0);
    }
    x[n - 1] = u2f(0x7fa5a5a5u); /* a signalling NaN with a payload */
    return x;
}

START_TEST(test_maps_bitwise)
{
    const int f = _i;
    const lrb_test_cpu_state saved = lrb_test_cpu_save();
    lrb_isa isas[LRB_NUM_ISAS];
    const int nisa = lrb_test_isas(isas);
    const size_t N = 70001; /* > 4 blocks of the driver: threaded, with a tail */
    float *x = map_inputs(N, 77 + (uint64_t)f);
    float *ref = lrb_test_falloc(N), *y = lrb_test_falloc(N + 64), *z = lrb_test_falloc(N);
    for (size_t i = 0; i < N; i++)
        ref[i] = scalars[f](x[i]);
    const uint32_t guard = 0x7fb0b0b0u;
    for (int ii = 0; ii < nisa; ii++) {
        ck_assert_int_eq(lrb_cpu_set_isa(isas[ii]), 0);
        for (int th = 1; th <= 3; th++) {
            ck_assert_int_eq(lrb_cpu_set_threads(th), 0);
            /* every tail length up to 2·16 + 1, at several offsets; nothing written past n */
            for (int64_t n = 0; n <= 33; n++)
                for (int64_t off = 0; off < 3; off++) {
                    for (int i = 0; i < 64; i++)
                        memcpy(y + i, &guard, sizeof guard);
                    maps[f](x + off * 97, y, n);
                    ck_assert_msg(first_diff(y, ref + off * 97, (size_t)n) < 0, "%s %s n=%lld: differs",
                                  lrb_isa_name(isas[ii]), fn_names[f], (long long)n);
                    for (int i = (int)n; i < 64; i++)
                        ck_assert_msg(f2u(y[i]) == guard, "%s %s n=%lld: wrote past n", lrb_isa_name(isas[ii]),
                                      fn_names[f], (long long)n);
                }
            maps[f](x, y, (int64_t)N);
            const int64_t d = first_diff(y, ref, N);
            ck_assert_msg(d < 0, "%s threads %d %s: element %lld of x = %a: %a, scalar %a", lrb_isa_name(isas[ii]), th,
                          fn_names[f], (long long)d, d < 0 ? 0.0 : (double)x[d], d < 0 ? 0.0 : (double)y[d],
                          d < 0 ? 0.0 : (double)ref[d]);
            memcpy(z, x, N * sizeof *z); /* in place */
            maps[f](z, z, (int64_t)N);
            ck_assert_msg(first_diff(z, ref, N) < 0, "%s %s: in place differs", lrb_isa_name(isas[ii]), fn_names[f]);
        }
    }
    lrb_test_cpu_restore(saved);
    free(x);
    free(ref);
    free(y);
    free(z);
}
END_TEST

/* ------------------------------------------------------------------------------------------------ */
/* WKV-4                                                                                             */

/* Outputs and final state of one run. */
typedef struct {
    float *y, *aa, *bb, *pp;
} wkv_out;

static wkv_out out_new(const lrb_test_wkv *p)
{
    wkv_out o = {lrb_test_falloc(lrb_test_wkv_n(p)), lrb_test_falloc(lrb_test_wkv_sn(p)),
                 lrb_test_falloc(lrb_test_wkv_sn(p)), lrb_test_falloc(lrb_test_wkv_sn(p))};
    return o;
}

static void out_free(wkv_out *o)
{
    free(o->y);
    free(o->aa);
    free(o->bb);
    free(o->pp);
}

static int run_ref(const lrb_test_wkv *p, lrb_algo algo, int64_t chunk, wkv_out *o)
{
    lrb_wkv4_args a = lrb_test_wkv_args(p, chunk, o->y, o->aa, o->bb, o->pp);
    return lrb_wkv4(&a, algo);
}

static int run_simd(const lrb_test_wkv *p, lrb_algo algo, int64_t chunk, wkv_out *o)
{
    lrb_wkv4_args a = lrb_test_wkv_args(p, chunk, o->y, o->aa, o->bb, o->pp);
    return lrb_simd_wkv4(&a, algo);
}

/* 1 if outputs and state are bitwise equal. */
static int out_same(const lrb_test_wkv *p, const wkv_out *a, const wkv_out *b)
{
    return first_diff(a->y, b->y, lrb_test_wkv_n(p)) < 0 && first_diff(a->aa, b->aa, lrb_test_wkv_sn(p)) < 0 &&
           first_diff(a->bb, b->bb, lrb_test_wkv_sn(p)) < 0 && first_diff(a->pp, b->pp, lrb_test_wkv_sn(p)) < 0;
}

START_TEST(test_wkv_seq_bitwise)
{
    static const int64_t Cs[5] = {1, 3, 17, 33, 130}, Ls[4] = {1, 2, 17, 300}, Bs[2] = {1, 2};
    const lrb_test_cpu_state saved = lrb_test_cpu_save();
    lrb_isa isas[LRB_NUM_ISAS];
    const int nisa = lrb_test_isas(isas);
    int checked = 0;
    for (int ci = 0; ci < 5; ci++)
        for (int li = 0; li < 4; li++)
            for (int bi = 0; bi < 2; bi++)
                for (int state = 0; state < 2; state++) {
                    const uint64_t seed = 3000 + (uint64_t)(((ci * 4 + li) * 2 + bi) * 2 + state);
                    lrb_test_wkv p = lrb_test_wkv_random(Bs[bi], Ls[li], Cs[ci], 10.0, 0.0, -6.0, 4.0, state, seed);
                    wkv_out r = out_new(&p), s = out_new(&p);
                    ck_assert_int_eq(run_ref(&p, LRB_SEQ, 0, &r), LRB_OK);
                    for (int ii = 0; ii < nisa; ii++) {
                        ck_assert_int_eq(lrb_cpu_set_isa(isas[ii]), 0);
                        for (int th = 1; th <= 3; th++) {
                            ck_assert_int_eq(lrb_cpu_set_threads(th), 0);
                            ck_assert_int_eq(run_simd(&p, LRB_SEQ, 0, &s), LRB_OK);
                            ck_assert_msg(
                                out_same(&p, &r, &s), "seq %s threads %d B=%lld L=%lld C=%lld state %d: differs",
                                lrb_isa_name(isas[ii]), th, (long long)p.B, (long long)p.L, (long long)p.C, state);
                            checked++;
                        }
                    }
                    out_free(&r);
                    out_free(&s);
                    lrb_test_wkv_free(&p);
                }
    if (lrb_test_verbose())
        fprintf(stderr, "wkv4 simd seq: %d runs bit-identical to the reference\n", checked);
    lrb_test_cpu_restore(saved);
}
END_TEST

/* Seq with the state updated in place (final state into the initial-state buffers), without a final
 * state, with the large-magnitude stress data, and streamed in two pieces: all bitwise. */
START_TEST(test_wkv_seq_state)
{
    const lrb_test_cpu_state saved = lrb_test_cpu_save();
    lrb_isa isas[LRB_NUM_ISAS];
    const int nisa = lrb_test_isas(isas);
    lrb_test_wkv p = lrb_test_wkv_random(2, 257, 37, 100.0, 0.0, -10.0, 5.0, 1, 4100);
    const size_t n = lrb_test_wkv_n(&p), sn = lrb_test_wkv_sn(&p);
    wkv_out r = out_new(&p);
    ck_assert_int_eq(run_ref(&p, LRB_SEQ, 0, &r), LRB_OK);
    float *aa = lrb_test_falloc(sn), *bb = lrb_test_falloc(sn), *pp = lrb_test_falloc(sn), *y = lrb_test_falloc(n);
    for (int ii = 0; ii < nisa; ii++) {
        ck_assert_int_eq(lrb_cpu_set_isa(isas[ii]), 0);
        for (int th = 1; th <= 2; th++) {
            ck_assert_int_eq(lrb_cpu_set_threads(th), 0);
            /* in place */
            memcpy(aa, p.aa0, sn * sizeof *aa);
            memcpy(bb, p.bb0, sn * sizeof *bb);
            memcpy(pp, p.pp0, sn * sizeof *pp);
            lrb_wkv4_args a = lrb_test_wkv_args(&p, 0, y, aa, bb, pp);
            a.aa0 = aa;
            a.bb0 = bb;
            a.pp0 = pp;
            ck_assert_int_eq(lrb_simd_wkv4(&a, LRB_SEQ), LRB_OK);
            ck_assert(first_diff(y, r.y, n) < 0 && first_diff(aa, r.aa, sn) < 0 && first_diff(bb, r.bb, sn) < 0 &&
                      first_diff(pp, r.pp, sn) < 0);
            /* no final state */
            a = lrb_test_wkv_args(&p, 0, y, NULL, NULL, NULL);
            memset(y, 0, n * sizeof *y);
            ck_assert_int_eq(lrb_simd_wkv4(&a, LRB_SEQ), LRB_OK);
            ck_assert(first_diff(y, r.y, n) < 0);
            /* two pieces: 100 steps, then the rest from the state (rows (B, L1, C) and (B, L−L1, C)) */
            const int64_t L1 = 100, L2 = p.L - L1, C = p.C;
            lrb_test_wkv q1 = p, q2 = p;
            q1.L = L1;
            q2.L = L2;
            float *k1 = lrb_test_falloc((size_t)(p.B * L1 * C)), *v1 = lrb_test_falloc((size_t)(p.B * L1 * C));
            float *k2 = lrb_test_falloc((size_t)(p.B * L2 * C)), *v2 = lrb_test_falloc((size_t)(p.B * L2 * C));
            float *y1 = lrb_test_falloc((size_t)(p.B * L1 * C)), *y2 = lrb_test_falloc((size_t)(p.B * L2 * C));
            for (int64_t b = 0; b < p.B; b++) {
                memcpy(k1 + b * L1 * C, p.k + b * p.L * C, (size_t)(L1 * C) * sizeof *k1);
                memcpy(v1 + b * L1 * C, p.v + b * p.L * C, (size_t)(L1 * C) * sizeof *v1);
                memcpy(k2 + b * L2 * C, p.k + (b * p.L + L1) * C, (size_t)(L2 * C) * sizeof *k2);
                memcpy(v2 + b * L2 * C, p.v + (b * p.L + L1) * C, (size_t)(L2 * C) * sizeof *v2);
            }
            q1.k = k1;
            q1.v = v1;
            q2.k = k2;
            q2.v = v2;
            a = lrb_test_wkv_args(&q1, 0, y1, aa, bb, pp);
            ck_assert_int_eq(lrb_simd_wkv4(&a, LRB_SEQ), LRB_OK);
            a = lrb_test_wkv_args(&q2, 0, y2, aa, bb, pp);
            a.aa0 = aa;
            a.bb0 = bb;
            a.pp0 = pp;
            ck_assert_int_eq(lrb_simd_wkv4(&a, LRB_SEQ), LRB_OK);
            for (int64_t b = 0; b < p.B; b++) {
                ck_assert(first_diff(y1 + b * L1 * C, r.y + b * p.L * C, (size_t)(L1 * C)) < 0);
                ck_assert(first_diff(y2 + b * L2 * C, r.y + (b * p.L + L1) * C, (size_t)(L2 * C)) < 0);
            }
            ck_assert(first_diff(aa, r.aa, sn) < 0 && first_diff(bb, r.bb, sn) < 0 && first_diff(pp, r.pp, sn) < 0);
            free(k1);
            free(v1);
            free(k2);
            free(v2);
            free(y1);
            free(y2);
        }
    }
    free(aa);
    free(bb);
    free(pp);
    free(y);
    out_free(&r);
    lrb_test_wkv_free(&p);
    lrb_test_cpu_restore(saved);
}
END_TEST

/* Float64 stable loop (LAYERS.md §2.4) from the same float32 data. */
static void wkv_oracle(const lrb_test_wkv *p, double *y)
{
    for (int64_t b = 0; b < p->B; b++)
        for (int64_t c = 0; c < p->C; c++) {
            const int64_t s = b * p->C + c;
            double A = p->aa0 ? p->aa0[s] : 0.0, Bv = p->bb0 ? p->bb0[s] : 0.0, P = p->pp0 ? p->pp0[s] : -1e38;
            const double w = p->w[c], u = p->u[c];
            for (int64_t t = 0; t < p->L; t++) {
                const int64_t o = (b * p->L + t) * p->C + c;
                const double k = p->k[o], v = p->v[o];
                double q = fmax(P, u + k), e1 = exp(P - q), e2 = exp(u + k - q);
                y[o] = (e1 * A + e2 * v) / (e1 * Bv + e2);
                q = fmax(P + w, k);
                e1 = exp(P + w - q);
                e2 = exp(k - q);
                A = e1 * A + e2 * v;
                Bv = e1 * Bv + e2;
                P = q;
            }
        }
}

static double rel_l2(const float *y, const double *r, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        const double d = (double)y[i] - r[i];
        num += d * d;
        den += r[i] * r[i];
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

static size_t count_nonfinite(const float *x, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += !isfinite(x[i]);
    return c;
}

/* One problem under a parallel algorithm on every ISA: within tol of the float64 loop, finite state,
 * identical for threads 1, 2, 3; for ul while L fits one tile, equal to the reference ul. Returns the
 * largest error. */
static double wkv_par_check(const lrb_test_wkv *p, lrb_algo algo, int64_t chunk, double tol, const char *what)
{
    const lrb_test_cpu_state saved = lrb_test_cpu_save();
    lrb_isa isas[LRB_NUM_ISAS];
    const int nisa = lrb_test_isas(isas);
    const size_t n = lrb_test_wkv_n(p), sn = lrb_test_wkv_sn(p);
    double *ry = dalloc(n);
    wkv_oracle(p, ry);
    wkv_out r = out_new(p), s1 = out_new(p), s = out_new(p);
    ck_assert_int_eq(run_ref(p, algo == LRB_LOGSTEP ? LRB_SEQ : algo, chunk, &r), LRB_OK);
    double worst = 0;
    for (int ii = 0; ii < nisa; ii++) {
        ck_assert_int_eq(lrb_cpu_set_isa(isas[ii]), 0);
        for (int th = 1; th <= 3; th++) {
            ck_assert_int_eq(lrb_cpu_set_threads(th), 0);
            wkv_out *o = th == 1 ? &s1 : &s;
            ck_assert_int_eq(run_simd(p, algo, chunk, o), LRB_OK);
            if (th > 1)
                ck_assert_msg(out_same(p, &s1, o), "%s %s %s: threads %d differ from 1", what, lrb_algo_name(algo),
                              lrb_isa_name(isas[ii]), th);
        }
        ck_assert_msg(count_nonfinite(s1.y, n) == 0, "%s %s: non-finite output", what, lrb_algo_name(algo));
        ck_assert_msg(count_nonfinite(s1.aa, sn) + count_nonfinite(s1.bb, sn) + count_nonfinite(s1.pp, sn) == 0,
                      "%s %s: non-finite state", what, lrb_algo_name(algo));
        const double e = rel_l2(s1.y, ry, n);
        ck_assert_msg(e <= tol, "%s %s %s chunk %lld: rel L2 %g (bound %g)", what, lrb_algo_name(algo),
                      lrb_isa_name(isas[ii]), (long long)chunk, e, tol);
        if (algo == LRB_UL && p->L <= LRB_WKV4_UL_TILE)
            ck_assert_msg(out_same(p, &r, &s1), "%s ul %s: differs from the reference ul", what,
                          lrb_isa_name(isas[ii]));
        worst = fmax(worst, e);
    }
    if (lrb_test_verbose())
        fprintf(stderr, "  wkv4 simd %-8s %-24s chunk %-5lld rel L2 %.3g (reference %.3g)\n", lrb_algo_name(algo), what,
                (long long)chunk, worst, rel_l2(r.y, ry, n));
    out_free(&r);
    out_free(&s1);
    out_free(&s);
    free(ry);
    lrb_test_cpu_restore(saved);
    return worst;
}

static const lrb_algo par_algos[3] = {LRB_CHUNKED, LRB_UL, LRB_LOGSTEP};

START_TEST(test_wkv_par_nominal)
{
    const lrb_algo algo = par_algos[_i];
    for (int state = 0; state < 2; state++) {
        lrb_test_wkv p = lrb_test_wkv_random(2, 2000, 19, 10.0, 0.0, -6.0, 4.0, state, 5000 + (uint64_t)state);
        const int64_t chunks[4] = {64, 1, 7, 5000};
        for (int ci = 0; ci < (algo == LRB_CHUNKED ? 4 : 1); ci++)
            wkv_par_check(&p, algo, chunks[ci], 1e-4, state ? "nominal, state" : "nominal");
        lrb_test_wkv_free(&p);
    }
    for (int64_t L = 1; L <= 40; L += (L < 10 ? 1 : 9)) {
        lrb_test_wkv p = lrb_test_wkv_random(1, L, 33, 10.0, 0.0, -6.0, 4.0, (int)(L & 1), 5100 + (uint64_t)L);
        wkv_par_check(&p, algo, 4, 1e-4, "short");
        lrb_test_wkv_free(&p);
    }
}
END_TEST

START_TEST(test_wkv_par_stress)
{
    const lrb_algo algo = par_algos[_i];
    lrb_test_wkv p = lrb_test_wkv_random(1, 4096, 6, 100.0, 0.0, -10.0, 5.0, 0, 5200);
    wkv_par_check(&p, algo, 64, 2e-3, "stress k in [-100,100]");
    lrb_test_wkv_free(&p);
    for (int sgn = 0; sgn < 2; sgn++) {
        p = lrb_test_wkv_random(1, 1500, 4, 0.0, sgn ? -100.0 : 100.0, -10.0, 5.0, 1, 5210 + (uint64_t)sgn);
        wkv_par_check(&p, algo, 64, 2e-3, sgn ? "stress k = -100" : "stress k = +100");
        lrb_test_wkv_free(&p);
    }
}
END_TEST

/* Two pieces through the state against one pass, both by the same algorithm, within the nominal bound. */
START_TEST(test_wkv_par_stream)
{
    const lrb_algo algo = par_algos[_i];
    const lrb_test_cpu_state saved = lrb_test_cpu_save();
    lrb_test_wkv p = lrb_test_wkv_random(2, 1500, 21, 10.0, 0.0, -6.0, 4.0, 1, 5300);
    const int64_t C = p.C, L1 = 613, L2 = p.L - L1, chunk = 50;
    const size_t n = lrb_test_wkv_n(&p), sn = lrb_test_wkv_sn(&p);
    wkv_out one = out_new(&p);
    ck_assert_int_eq(run_simd(&p, algo, chunk, &one), LRB_OK);
    lrb_test_wkv q1 = p, q2 = p;
    q1.L = L1;
    q2.L = L2;
    q1.k = lrb_test_falloc((size_t)(p.B * L1 * C));
    q1.v = lrb_test_falloc((size_t)(p.B * L1 * C));
    q2.k = lrb_test_falloc((size_t)(p.B * L2 * C));
    q2.v = lrb_test_falloc((size_t)(p.B * L2 * C));
    for (int64_t b = 0; b < p.B; b++) {
        memcpy(q1.k + b * L1 * C, p.k + b * p.L * C, (size_t)(L1 * C) * sizeof(float));
        memcpy(q1.v + b * L1 * C, p.v + b * p.L * C, (size_t)(L1 * C) * sizeof(float));
        memcpy(q2.k + b * L2 * C, p.k + (b * p.L + L1) * C, (size_t)(L2 * C) * sizeof(float));
        memcpy(q2.v + b * L2 * C, p.v + (b * p.L + L1) * C, (size_t)(L2 * C) * sizeof(float));
    }
    float *y = lrb_test_falloc(n), *y1 = lrb_test_falloc((size_t)(p.B * L1 * C)),
          *y2 = lrb_test_falloc((size_t)(p.B * L2 * C));
    float *aa = lrb_test_falloc(sn), *bb = lrb_test_falloc(sn), *pp = lrb_test_falloc(sn);
    lrb_wkv4_args a = lrb_test_wkv_args(&q1, chunk, y1, aa, bb, pp);
    ck_assert_int_eq(lrb_simd_wkv4(&a, algo), LRB_OK);
    a = lrb_test_wkv_args(&q2, chunk, y2, aa, bb, pp);
    a.aa0 = aa;
    a.bb0 = bb;
    a.pp0 = pp;
    ck_assert_int_eq(lrb_simd_wkv4(&a, algo), LRB_OK);
    for (int64_t b = 0; b < p.B; b++) {
        memcpy(y + b * p.L * C, y1 + b * L1 * C, (size_t)(L1 * C) * sizeof *y);
        memcpy(y + (b * p.L + L1) * C, y2 + b * L2 * C, (size_t)(L2 * C) * sizeof *y);
    }
    double *d = dalloc(n);
    for (size_t i = 0; i < n; i++)
        d[i] = one.y[i];
    const double e = rel_l2(y, d, n);
    /* the final states agree as sums S = aa·e^pp, Z = bb·e^pp */
    double es = 0;
    for (size_t i = 0; i < sn; i++) {
        const double r = exp((double)pp[i] - (double)one.pp[i]);
        es = fmax(es, fabs((double)bb[i] * r - one.bb[i]) / one.bb[i]);
        es = fmax(es, fabs((double)aa[i] * r - one.aa[i]) / (one.bb[i] * 4.0));
    }
    if (lrb_test_verbose())
        fprintf(stderr, "  wkv4 simd %s two pieces vs one pass: rel L2 %.3g, state %.3g\n", lrb_algo_name(algo), e, es);
    ck_assert_msg(e <= 1e-4 && es <= 1e-4, "%s two pieces: rel L2 %g, state %g", lrb_algo_name(algo), e, es);
    free(q1.k);
    free(q1.v);
    free(q2.k);
    free(q2.v);
    free(y);
    free(y1);
    free(y2);
    free(aa);
    free(bb);
    free(pp);
    free(d);
    out_free(&one);
    lrb_test_wkv_free(&p);
    lrb_test_cpu_restore(saved);
}
END_TEST

START_TEST(test_wkv_einval)
{
    lrb_test_wkv p = lrb_test_wkv_random(1, 8, 5, 10.0, 0.0, -6.0, 4.0, 0, 5400);
    wkv_out o = out_new(&p);
    lrb_wkv4_args a = lrb_test_wkv_args(&p, 4, o.y, o.aa, o.bb, o.pp);
    ck_assert_int_eq(lrb_simd_wkv4(NULL, LRB_SEQ), LRB_EINVAL);
    static const lrb_algo bad[2] = {LRB_BLELLOCH, LRB_DIRECT};
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(lrb_simd_wkv4(&a, bad[i]), LRB_EINVAL);
    ck_assert_int_eq(lrb_simd_wkv4(&a, (lrb_algo)99), LRB_EINVAL);
    lrb_wkv4_args b = a;
    b.chunk = 0;
    ck_assert_int_eq(lrb_simd_wkv4(&b, LRB_CHUNKED), LRB_EINVAL);
    ck_assert_int_eq(lrb_simd_wkv4(&b, LRB_SEQ), LRB_OK); /* chunk is only read by chunked */
    for (int f = 0; f < 8; f++) {
        b = a;
        switch (f) {
        case 0:
            b.B = 0;
            break;
        case 1:
            b.L = 0;
            break;
        case 2:
            b.C = -1;
            break;
        case 3:
            b.w = NULL;
            break;
        case 4:
            b.u = NULL;
            break;
        case 5:
            b.k = NULL;
            break;
        case 6:
            b.v = NULL;
            break;
        default:
            b.wkv = NULL;
            break;
        }
        for (int al = 0; al < 4; al++) {
            const lrb_algo algo = al == 0 ? LRB_SEQ : al == 1 ? LRB_CHUNKED : al == 2 ? LRB_UL : LRB_LOGSTEP;
            ck_assert_int_eq(lrb_simd_wkv4(&b, algo), LRB_EINVAL);
        }
    }
    out_free(&o);
    lrb_test_wkv_free(&p);
}
END_TEST

Suite *lrb_suite_simd_math(void)
{
    Suite *s = suite_create("simd_math");
    TCase *tc = tcase_create("scalar");
    tcase_add_loop_test(tc, test_scalar_ulp, 0, 3);
    tcase_add_test(tc, test_scalar_specials);
    tcase_set_timeout(tc, 600);
    suite_add_tcase(s, tc);
    tc = tcase_create("maps");
    tcase_add_loop_test(tc, test_maps_bitwise, 0, 3);
    tcase_set_timeout(tc, 300);
    suite_add_tcase(s, tc);
    tc = tcase_create("wkv4");
    tcase_add_test(tc, test_wkv_seq_bitwise);
    tcase_add_test(tc, test_wkv_seq_state);
    tcase_add_loop_test(tc, test_wkv_par_nominal, 0, 3);
    tcase_add_loop_test(tc, test_wkv_par_stress, 0, 3);
    tcase_add_loop_test(tc, test_wkv_par_stream, 0, 3);
    tcase_add_test(tc, test_wkv_einval);
    tcase_set_timeout(tc, 600);
    suite_add_tcase(s, tc);
    return s;
}
