/*
 * test_util.h — small helpers shared by the Check suites that draw their own random problems
 * (test_scan.c, test_simd_scan.c, test_simd_math.c, test_simd_dense.c): a splitmix64 stream with
 * uniform and normal draws, a checked zeroed float allocation, a random WKV-4 problem, the LRB_TEST_VERBOSE switch for
 * printing measured errors, and saving/restoring the simd backend's ISA path and thread count. (The golden tests draw
 * from the shared counter RNG of harness/rng.h instead, which the NumPy oracle reproduces.)
 */
#ifndef LRB_TEST_UTIL_H
#define LRB_TEST_UTIL_H

#include "lrb_cpu.h"
#include "../reference/wkv4.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline int lrb_test_verbose(void)
{
    const char *e = getenv("LRB_TEST_VERBOSE");
    return e && *e && strcmp(e, "0") != 0;
}

static inline uint64_t lrb_test_rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* uniform in [0, 1) with 53 bits */
static inline double lrb_test_rng_u(uint64_t *s)
{
    return (double)(lrb_test_rng_next(s) >> 11) * 0x1.0p-53;
}

/* standard normal (Box–Muller) */
static inline double lrb_test_rng_n(uint64_t *s)
{
    double u1 = lrb_test_rng_u(s), u2 = lrb_test_rng_u(s);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * 3.14159265358979323846 * u2);
}

/* n floats (at least one), zeroed; fails the test when memory runs out */
static inline float *lrb_test_falloc(size_t n)
{
    float *p = calloc(n ? n : 1, sizeof *p);
    ck_assert_msg(p != NULL, "out of memory");
    return p;
}

/* The simd backend's ISA path and thread count, saved before a test changes them and put back after. */
typedef struct lrb_test_cpu_state {
    lrb_isa isa;
    int threads;
} lrb_test_cpu_state;

static inline lrb_test_cpu_state lrb_test_cpu_save(void)
{
    lrb_test_cpu_state s = {lrb_cpu_isa(), lrb_cpu_threads()};
    return s;
}

static inline void lrb_test_cpu_restore(lrb_test_cpu_state s)
{
    ck_assert_int_eq(lrb_cpu_set_isa(s.isa), 0);
    ck_assert_int_eq(lrb_cpu_set_threads(s.threads), 0);
}

/* A random WKV-4 problem of (B, L, C): k uniform in [−kmax, kmax] (or constant kconst when kmax is 0), v
 * standard normal, time_decay uniform in [td_lo, td_hi] (w = −exp(time_decay)), u uniform in [−10, 10]; with
 * `state`, an initial state pp ∈ [−5, 5], bb ∈ [0.5, 2], aa = bb·U[−1, 1] (else NULL: the empty state). */
typedef struct lrb_test_wkv {
    int64_t B, L, C;
    float *w, *u, *k, *v;
    float *aa0, *bb0, *pp0;
} lrb_test_wkv;

static inline size_t lrb_test_wkv_n(const lrb_test_wkv *p)
{
    return (size_t)(p->B * p->L * p->C);
}

static inline size_t lrb_test_wkv_sn(const lrb_test_wkv *p)
{
    return (size_t)(p->B * p->C);
}

static inline lrb_test_wkv lrb_test_wkv_random(int64_t B, int64_t L, int64_t C, double kmax, double kconst,
                                               double td_lo, double td_hi, int state, uint64_t seed)
{
    uint64_t rs = seed;
    lrb_test_wkv p;
    memset(&p, 0, sizeof p);
    p.B = B;
    p.L = L;
    p.C = C;
    p.w = lrb_test_falloc((size_t)C);
    p.u = lrb_test_falloc((size_t)C);
    p.k = lrb_test_falloc(lrb_test_wkv_n(&p));
    p.v = lrb_test_falloc(lrb_test_wkv_n(&p));
    for (int64_t c = 0; c < C; c++) {
        p.w[c] = -expf((float)(td_lo + (td_hi - td_lo) * lrb_test_rng_u(&rs)));
        p.u[c] = (float)(-10.0 + 20.0 * lrb_test_rng_u(&rs));
    }
    for (size_t i = 0; i < lrb_test_wkv_n(&p); i++) {
        p.k[i] = kmax > 0 ? (float)(-kmax + 2.0 * kmax * lrb_test_rng_u(&rs)) : (float)kconst;
        p.v[i] = (float)lrb_test_rng_n(&rs);
    }
    if (state) {
        p.aa0 = lrb_test_falloc(lrb_test_wkv_sn(&p));
        p.bb0 = lrb_test_falloc(lrb_test_wkv_sn(&p));
        p.pp0 = lrb_test_falloc(lrb_test_wkv_sn(&p));
        for (size_t i = 0; i < lrb_test_wkv_sn(&p); i++) {
            p.pp0[i] = (float)(-5.0 + 10.0 * lrb_test_rng_u(&rs));
            p.bb0[i] = (float)(0.5 + 1.5 * lrb_test_rng_u(&rs));
            p.aa0[i] = p.bb0[i] * (float)(-1.0 + 2.0 * lrb_test_rng_u(&rs));
        }
    }
    return p;
}

/* The arguments of one WKV-4 run on p: output y, final state aa/bb/pp (NULL: not wanted). */
static inline lrb_wkv4_args lrb_test_wkv_args(const lrb_test_wkv *p, int64_t chunk, float *y, float *aa, float *bb,
                                              float *pp)
{
    lrb_wkv4_args a;
    memset(&a, 0, sizeof a);
    a.B = p->B;
    a.L = p->L;
    a.C = p->C;
    a.w = p->w;
    a.u = p->u;
    a.k = p->k;
    a.v = p->v;
    a.wkv = y;
    a.aa0 = p->aa0;
    a.bb0 = p->bb0;
    a.pp0 = p->pp0;
    a.aa = aa;
    a.bb = bb;
    a.pp = pp;
    a.chunk = chunk;
    return a;
}

static inline void lrb_test_wkv_free(lrb_test_wkv *p)
{
    free(p->w);
    free(p->u);
    free(p->k);
    free(p->v);
    free(p->aa0);
    free(p->bb0);
    free(p->pp0);
}

#endif
