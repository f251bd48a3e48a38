/*
 * test_simd_scan.c — Check suite "simd_scan": the simd backend's scans (kernels/cpu/scan.c) on every ISA
 * path the host supports and with 1, 2 and 3 threads, against the scalar reference (reference/scan.c)
 * and a float64 loop written here.
 *
 * What it establishes:
 *   - seq is bit-identical (memcmp of the whole buffers) to the reference seq over shapes with vector
 *     tails, strided rows (ld > D), planar complex with a gap (im_off > D), constant and data decay,
 *     with and without h0, with h_last, in place (h == b, h_last == h0), and with a sharing b's rows;
 *     the columns outside d < D (and d + im_off) keep their poison;
 *   - chunked equals the reference chunked bit for bit (same power table, product and carry order) for
 *     chunk sizes 1 … > L; ul equals the reference ul bit for bit while L fits one tile (≤ 256);
 *   - logstep, chunked and ul against the float64 loop in relative L2 within the time-invariant bound
 *     of LAYERS.md §6.3, 8u·(1 + min(L, 1/ν_min)), with 1/ν_min replaced by 1/(1 − max|a|) for data
 *     decay: a reassociated scan makes O(u) errors per step that decay with the memory of the chain, so
 *     the bound scales with that memory (≈ 5e-6 at ν ≈ 0.1), capped at 1e-5, the default tolerance of
 *     decaying recurrences (TOOLING.md §10; measured errors stay below 2e-6); results are
 *     identical for every thread count, and streaming in two pieces through h_last/h0 matches one pass
 *     within the same bound (bitwise for seq);
 *   - the logstep L-contiguous path (D = 1, ld = 1) gives the bits of its strided tile path (ld = 2);
 *   - a reset scan (decays in {0, 1}, or i, or λ = 1; small integer inputs) is exact for every algorithm;
 *   - lrb_scan_fused (pre → scan → post) on time tiles of 1, 4 and 5 rows gives the bits of three whole
 *     passes, for both backends, every algorithm, with and without h0, and h_last in place over h0;
 *   - LRB_EINVAL for bad arguments, with h untouched.
 * Set LRB_TEST_VERBOSE=1 to print the measured errors.
 */
#include "lrb_tests.h"
#include "test_util.h"

#include "../kernels/cpu/lrb_simd.h"
#include "../reference/lrb_ops.h"
#include "../reference/scan.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SS_PI 3.14159265358979323846
#define SS_U32 (5.9604644775390625e-8) /* float32 unit roundoff 2^-24 */
#define SS_POISON 0x7fc0dead           /* a quiet NaN pattern that no kernel produces */

static const int ss_threads[3] = {1, 2, 3};

/* ------------------------------------------------------------------------------------------------ */
/* Helpers                                                                                           */

static void ss_poison(float *p, size_t n)
{
    const uint32_t bits = SS_POISON;
    for (size_t i = 0; i < n; i++)
        memcpy(&p[i], &bits, sizeof bits);
}

static float *ss_dup(const float *x, size_t n)
{
    float *p = lrb_test_falloc(n);
    memcpy(p, x, n * sizeof *p);
    return p;
}

/* A scan problem in the layout of reference/scan.h. Gap columns of b hold the poison. */
typedef struct {
    int cplx, data;
    int64_t B, L, D, ld, im_off;
    float *b, *a, *nu, *theta, *h0;
} ss_prob;

static size_t ss_seq_n(const ss_prob *p)
{
    return (size_t)(p->B * p->L * p->ld);
}
static size_t ss_st_n(const ss_prob *p)
{
    return (size_t)(p->B * p->D * (p->cplx ? 2 : 1));
}
static int64_t ss_off(const ss_prob *p, int64_t b, int64_t t, int64_t d, int part)
{
    return (b * p->L + t) * p->ld + d + (part ? p->im_off : 0);
}

/* Shapes: ld = D + 3 (real), im_off = D + 2 and ld = 2D + 5 (complex), so every row has gap columns. */
static ss_prob ss_new(int cplx, int data, int64_t B, int64_t L, int64_t D)
{
    ss_prob p;
    memset(&p, 0, sizeof p);
    p.cplx = cplx;
    p.data = data;
    p.B = B;
    p.L = L;
    p.D = D;
    p.im_off = cplx ? D + 2 : 0;
    p.ld = cplx ? 2 * D + 5 : D + 3;
    p.b = lrb_test_falloc(ss_seq_n(&p));
    ss_poison(p.b, ss_seq_n(&p));
    if (data) {
        p.a = lrb_test_falloc(ss_seq_n(&p));
        ss_poison(p.a, ss_seq_n(&p));
    } else {
        p.nu = lrb_test_falloc((size_t)D);
        p.theta = cplx ? lrb_test_falloc((size_t)D) : NULL;
    }
    return p;
}

static void ss_free(ss_prob *p)
{
    free(p->b);
    free(p->a);
    free(p->nu);
    free(p->theta);
    free(p->h0);
    memset(p, 0, sizeof *p);
}

/* N(0,1) inputs, ν ∈ [0.9, 1.1]·nu and uniform phases (constant) or |a| ∈ [lo, hi] (data, complex with a
 * uniform phase), and h0 ~ N(0,1) when state is set. */
static ss_prob ss_random(int cplx, int data, int64_t B, int64_t L, int64_t D, double nu, double lo, double hi,
                         int state, uint64_t seed)
{
    uint64_t rs = seed;
    ss_prob p = ss_new(cplx, data, B, L, D);
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = 0; t < L; t++)
            for (int64_t d = 0; d < D; d++)
                for (int part = 0; part <= cplx; part++) {
                    p.b[ss_off(&p, b, t, d, part)] = (float)lrb_test_rng_n(&rs);
                    if (data && part == 0) {
                        double r = lo + (hi - lo) * lrb_test_rng_u(&rs),
                               ph = cplx ? 2.0 * SS_PI * lrb_test_rng_u(&rs) : 0.0;
                        p.a[ss_off(&p, b, t, d, 0)] = (float)(r * cos(ph));
                        if (cplx)
                            p.a[ss_off(&p, b, t, d, 1)] = (float)(r * sin(ph));
                    }
                }
    if (!data)
        for (int64_t d = 0; d < D; d++) {
            p.nu[d] = (float)(nu * (0.9 + 0.2 * lrb_test_rng_u(&rs)));
            if (cplx)
                p.theta[d] = (float)(2.0 * SS_PI * lrb_test_rng_u(&rs));
        }
    if (state) {
        p.h0 = lrb_test_falloc(ss_st_n(&p));
        for (size_t i = 0; i < ss_st_n(&p); i++)
            p.h0[i] = (float)lrb_test_rng_n(&rs);
    }
    return p;
}

typedef int (*ss_fn)(const lrb_scan_args *s, lrb_algo algo);

static lrb_scan_args ss_args(const ss_prob *p, const float *b, float *h, const float *h0, float *hlast, int64_t chunk)
{
    lrb_scan_args s;
    memset(&s, 0, sizeof s);
    s.B = p->B;
    s.L = p->L;
    s.D = p->D;
    s.ld = p->ld;
    s.im_off = p->im_off;
    s.b = b;
    s.h = h;
    s.a = p->a;
    s.nu = p->data ? NULL : p->nu;
    s.theta = p->data ? NULL : p->theta;
    s.h0 = h0;
    s.h_last = hlast;
    s.chunk = chunk;
    return s;
}

/* Runs p out of place into poisoned buffers; returns h and the final state in *hl. */
static float *ss_solve(const ss_prob *p, int simd, lrb_algo algo, int64_t chunk, float **hl)
{
    float *h = lrb_test_falloc(ss_seq_n(p));
    ss_poison(h, ss_seq_n(p));
    *hl = lrb_test_falloc(ss_st_n(p));
    ss_poison(*hl, ss_st_n(p));
    lrb_scan_args s = ss_args(p, p->b, h, p->h0, *hl, chunk);
    ss_fn f =
        simd ? (p->cplx ? lrb_simd_scan_complex : lrb_simd_scan_real) : (p->cplx ? lrb_scan_complex : lrb_scan_real);
    int rc = f(&s, algo);
    ck_assert_int_eq(rc, LRB_OK);
    return h;
}

/* Float64 sequential loop from the same float32 data (λ = exp(−ν)(cos θ + i sin θ) in double). */
static void ss_oracle(const ss_prob *p, double *out, double *olast)
{
    for (int64_t b = 0; b < p->B; b++)
        for (int64_t d = 0; d < p->D; d++) {
            double hr = 0, hi = 0, lr = 0, li = 0;
            if (p->h0) {
                hr = p->h0[b * p->D * (p->cplx ? 2 : 1) + d];
                hi = p->cplx ? p->h0[b * 2 * p->D + p->D + d] : 0.0;
            }
            if (!p->data) {
                double e = exp(-(double)p->nu[d]);
                lr = p->cplx ? e * cos((double)p->theta[d]) : e;
                li = p->cplx ? e * sin((double)p->theta[d]) : 0.0;
            }
            for (int64_t t = 0; t < p->L; t++) {
                double ar = lr, ai = li;
                if (p->data) {
                    ar = p->a[ss_off(p, b, t, d, 0)];
                    ai = p->cplx ? p->a[ss_off(p, b, t, d, 1)] : 0.0;
                }
                double br = p->b[ss_off(p, b, t, d, 0)], bi = p->cplx ? p->b[ss_off(p, b, t, d, 1)] : 0.0;
                double nr = ar * hr - ai * hi + br, ni = ar * hi + ai * hr + bi;
                hr = nr;
                hi = ni;
                out[ss_off(p, b, t, d, 0)] = hr;
                if (p->cplx)
                    out[ss_off(p, b, t, d, 1)] = hi;
            }
            olast[b * p->D * (p->cplx ? 2 : 1) + d] = hr;
            if (p->cplx)
                olast[b * 2 * p->D + p->D + d] = hi;
        }
}

/* Relative L2 error over the valid entries. */
static double ss_rel(const ss_prob *p, const float *h, const double *ref)
{
    double num = 0, den = 0;
    for (int64_t b = 0; b < p->B; b++)
        for (int64_t t = 0; t < p->L; t++)
            for (int64_t d = 0; d < p->D; d++)
                for (int part = 0; part <= p->cplx; part++) {
                    int64_t o = ss_off(p, b, t, d, part);
                    double e = (double)h[o] - ref[o];
                    num += e * e;
                    den += ref[o] * ref[o];
                }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

/* 1 if every valid entry of x equals y as a value (−0 == +0), and every other entry still holds the
 * poison. */
static int ss_same_values(const ss_prob *p, const float *x, const float *y)
{
    size_t n = ss_seq_n(p);
    for (size_t i = 0; i < n; i++) {
        int64_t col = (int64_t)(i % (size_t)p->ld);
        int valid = col < p->D || (p->cplx && col >= p->im_off && col < p->im_off + p->D);
        if (valid ? !(x[i] == y[i]) : memcmp(&x[i], &y[i], sizeof x[i]) != 0)
            return 0;
    }
    return 1;
}

/* 1 if every entry outside the valid columns of h still holds the poison. */
static int ss_gaps_poisoned(const ss_prob *p, const float *h)
{
    size_t n = ss_seq_n(p);
    for (size_t i = 0; i < n; i++) {
        int64_t col = (int64_t)(i % (size_t)p->ld);
        int valid = col < p->D || (p->cplx && col >= p->im_off && col < p->im_off + p->D);
        uint32_t bits;
        memcpy(&bits, &h[i], sizeof bits);
        if (!valid && bits != SS_POISON)
            return 0;
    }
    return 1;
}

/* The configurations every test runs: each ISA the host supports × 1, 2, 3 threads. Tests save the ISA and
 * thread count first and restore both at the end. */
typedef struct {
    lrb_isa isa;
    int threads;
} ss_cfg;

static int ss_configs(ss_cfg cfg[3 * LRB_NUM_ISAS])
{
    lrb_isa isas[LRB_NUM_ISAS];
    int ni = lrb_test_isas(isas), n = 0;
    for (int i = 0; i < ni; i++)
        for (int t = 0; t < 3; t++) {
            cfg[n].isa = isas[i];
            cfg[n].threads = ss_threads[t];
            n++;
        }
    return n;
}

static void ss_apply(ss_cfg c)
{
    ck_assert_int_eq(lrb_cpu_set_isa(c.isa), 0);
    ck_assert_int_eq(lrb_cpu_set_threads(c.threads), 0);
}

/* ------------------------------------------------------------------------------------------------ */
/* (a) seq bit-identical to the reference                                                            */

static const int64_t ss_Ds[] = {1, 3, 7, 16, 17, 33, 100};
static const int64_t ss_Ls[] = {1, 2, 3, 17, 100, 1000};

/* _i: 0..3 = (cplx, data) */
START_TEST(test_seq_bitexact)
{
    const int cplx = _i / 2, data = _i % 2;
    const lrb_isa old_isa = lrb_cpu_isa();
    const int old_threads = lrb_cpu_threads();
    ss_cfg cfg[3 * LRB_NUM_ISAS];
    const int ncfg = ss_configs(cfg);
    int bad = 0, cases = 0;
    char what[256] = "";
    for (size_t di = 0; di < sizeof ss_Ds / sizeof *ss_Ds; di++)
        for (size_t li = 0; li < sizeof ss_Ls / sizeof *ss_Ls; li++)
            for (int64_t B = 1; B <= 3; B += 2) {
                const int64_t D = ss_Ds[di], L = ss_Ls[li];
                const int state = (int)((di + li + (size_t)B) % 2);
                ss_prob p = ss_random(cplx, data, B, L, D, 0.05, 0.5, 1.0, state,
                                      1000u + 97u * di + 13u * li + (uint64_t)B + 7u * (uint64_t)_i);
                float *rl, *ref = ss_solve(&p, 0, LRB_SEQ, 0, &rl);
                const size_t n = ss_seq_n(&p), ns = ss_st_n(&p);
                for (int c = 0; c < ncfg; c++) {
                    ss_apply(cfg[c]);
                    float *hl, *h = ss_solve(&p, 1, LRB_SEQ, 0, &hl);
                    int ok = memcmp(h, ref, n * sizeof *h) == 0 && memcmp(hl, rl, ns * sizeof *hl) == 0;
                    /* in place: h == b, h_last == h0 (the gap columns of b hold the poison too) */
                    float *hb = ss_dup(p.b, n), *st = NULL;
                    if (p.h0)
                        st = ss_dup(p.h0, ns);
                    float *hl2 = st ? st : lrb_test_falloc(ns);
                    lrb_scan_args s = ss_args(&p, hb, hb, st, hl2, 0);
                    ok = ok && (cplx ? lrb_simd_scan_complex(&s, LRB_SEQ) : lrb_simd_scan_real(&s, LRB_SEQ)) == LRB_OK;
                    ok = ok && memcmp(hb, ref, n * sizeof *hb) == 0 && memcmp(hl2, rl, ns * sizeof *hl2) == 0;
                    free(hb);
                    free(hl2);
                    free(h);
                    free(hl);
                    cases++;
                    if (!ok && !bad++)
                        snprintf(what, sizeof what, "isa %s threads %d B %lld L %lld D %lld h0 %d",
                                 lrb_isa_name(cfg[c].isa), cfg[c].threads, (long long)B, (long long)L, (long long)D,
                                 state);
                }
                free(ref);
                free(rl);
                ss_free(&p);
            }
    lrb_cpu_set_isa(old_isa);
    lrb_cpu_set_threads(old_threads);
    if (lrb_test_verbose())
        printf("simd seq bitexact cplx=%d data=%d: %d runs, %d mismatches\n", cplx, data, cases, bad);
    ck_assert_msg(bad == 0, "seq (cplx %d, data %d) differs from the reference in %d of %d runs, first: %s", cplx, data,
                  bad, cases, what);
}
END_TEST

/* a shares b's rows (glru: [b | a] side by side), h == b: every algorithm reads a while writing h. */
START_TEST(test_shared_buffer)
{
    const lrb_isa old_isa = lrb_cpu_isa();
    const int old_threads = lrb_cpu_threads();
    ss_cfg cfg[3 * LRB_NUM_ISAS];
    const int ncfg = ss_configs(cfg);
    const int64_t B = 2, L = 300, D = 37, ld = 2 * D;
    uint64_t rs = 77;
    float *buf = lrb_test_falloc((size_t)(B * L * ld));
    for (int64_t i = 0; i < B * L; i++)
        for (int64_t d = 0; d < D; d++) {
            buf[i * ld + d] = (float)lrb_test_rng_n(&rs);
            buf[i * ld + D + d] = (float)(0.5 + 0.45 * lrb_test_rng_u(&rs));
        }
    /* the reference on separate buffers */
    float *b = lrb_test_falloc((size_t)(B * L * D)), *a = lrb_test_falloc((size_t)(B * L * D)),
          *ref = lrb_test_falloc((size_t)(B * L * D));
    for (int64_t i = 0; i < B * L; i++)
        for (int64_t d = 0; d < D; d++) {
            b[i * D + d] = buf[i * ld + d];
            a[i * D + d] = buf[i * ld + D + d];
        }
    lrb_scan_args s;
    memset(&s, 0, sizeof s);
    s.B = B;
    s.L = L;
    s.D = D;
    s.ld = D;
    s.b = b;
    s.h = ref;
    s.a = a;
    s.chunk = 32;
    ck_assert_int_eq(lrb_scan_real(&s, LRB_SEQ), LRB_OK);
    const lrb_algo algos[4] = {LRB_SEQ, LRB_LOGSTEP, LRB_CHUNKED, LRB_UL};
    for (int c = 0; c < ncfg; c++) {
        ss_apply(cfg[c]);
        for (int ai = 0; ai < 4; ai++) {
            float *w = ss_dup(buf, (size_t)(B * L * ld));
            s.ld = ld;
            s.b = w;
            s.h = w;
            s.a = w + D;
            ck_assert_int_eq(lrb_simd_scan_real(&s, algos[ai]), LRB_OK);
            double num = 0, den = 0;
            int a_kept = 1;
            for (int64_t i = 0; i < B * L; i++)
                for (int64_t d = 0; d < D; d++) {
                    double e = (double)w[i * ld + d] - ref[i * D + d];
                    num += e * e;
                    den += (double)ref[i * D + d] * ref[i * D + d];
                    a_kept &= w[i * ld + D + d] == buf[i * ld + D + d];
                }
            const double err = sqrt(num / den);
            ck_assert_msg(a_kept, "%s wrote into a's columns", lrb_algo_name(algos[ai]));
            if (algos[ai] == LRB_SEQ)
                ck_assert_msg(err == 0.0, "seq with a beside b: error %g", err);
            else
                ck_assert_msg(err <= 2e-6, "%s with a beside b: error %g", lrb_algo_name(algos[ai]), err);
            free(w);
        }
    }
    lrb_cpu_set_isa(old_isa);
    lrb_cpu_set_threads(old_threads);
    free(buf);
    free(b);
    free(a);
    free(ref);
}
END_TEST

/* ------------------------------------------------------------------------------------------------ */
/* (b) the parallel algorithms                                                                       */

typedef struct {
    lrb_algo algo;
    int64_t chunk;
} ss_variant;

/* The bound of the header comment for problem p. */
static double ss_bound(const ss_prob *p, double max_a)
{
    double mem;
    if (p->data) {
        mem = 1.0 / (1.0 - max_a);
    } else {
        double m = INFINITY;
        for (int64_t d = 0; d < p->D; d++)
            m = p->nu[d] < m ? p->nu[d] : m;
        mem = 1.0 / m;
    }
    if (mem > (double)p->L)
        mem = (double)p->L;
    const double b = 8.0 * SS_U32 * (1.0 + mem);
    return b < 1e-5 ? b : 1e-5;
}

/* Runs variant v of p on every configuration: identical bits across thread counts (per ISA), within
 * the bound of the float64 loop, and (chunked always, ul while L ≤ one tile) bit-identical to the
 * reference's own algorithm. Returns the largest error seen. */
static double ss_check_variant(const ss_prob *p, ss_variant v, double bound, const char *tag)
{
    const lrb_isa old_isa = lrb_cpu_isa();
    const int old_threads = lrb_cpu_threads();
    ss_cfg cfg[3 * LRB_NUM_ISAS];
    const int ncfg = ss_configs(cfg);
    const size_t n = ss_seq_n(p), ns = ss_st_n(p);
    double *oh = malloc(n * sizeof *oh), *ol = malloc(ns * sizeof *ol);
    ck_assert(oh && ol);
    for (size_t i = 0; i < n; i++)
        oh[i] = 0.0;
    ss_oracle(p, oh, ol);
    float *rl = NULL, *ref = NULL;
    const int ref_exact = v.algo == LRB_CHUNKED || (v.algo == LRB_UL && p->L <= 256);
    if (ref_exact)
        ref = ss_solve(p, 0, v.algo, v.chunk, &rl);
    float *first = NULL, *first_l = NULL;
    double worst = 0.0;
    for (int c = 0; c < ncfg; c++) {
        ss_apply(cfg[c]);
        float *hl, *h = ss_solve(p, 1, v.algo, v.chunk, &hl);
        const double err = ss_rel(p, h, oh);
        if (err > worst)
            worst = err;
        ck_assert_msg(err <= bound, "%s %s chunk %lld isa %s threads %d: rel L2 %g > %g", tag, lrb_algo_name(v.algo),
                      (long long)v.chunk, lrb_isa_name(cfg[c].isa), cfg[c].threads, err, bound);
        /* the final state is the last row: bitwise equal to it */
        for (int64_t b = 0; b < p->B; b++)
            for (int64_t d = 0; d < p->D; d++)
                for (int part = 0; part <= p->cplx; part++) {
                    float last = h[ss_off(p, b, p->L - 1, d, part)];
                    float got = hl[b * p->D * (p->cplx ? 2 : 1) + part * p->D + d];
                    ck_assert_msg(memcmp(&last, &got, sizeof got) == 0, "%s %s: h_last is not the last row", tag,
                                  lrb_algo_name(v.algo));
                }
        ck_assert_msg(ss_gaps_poisoned(p, h), "%s %s: wrote outside the valid columns", tag, lrb_algo_name(v.algo));
        if (ref_exact)
            ck_assert_msg(memcmp(h, ref, n * sizeof *h) == 0 && memcmp(hl, rl, ns * sizeof *hl) == 0,
                          "%s %s chunk %lld isa %s threads %d: not the reference's bits", tag, lrb_algo_name(v.algo),
                          (long long)v.chunk, lrb_isa_name(cfg[c].isa), cfg[c].threads);
        if (cfg[c].threads == 1) {
            free(first);
            free(first_l);
            first = h;
            first_l = hl;
        } else {
            ck_assert_msg(memcmp(h, first, n * sizeof *h) == 0 && memcmp(hl, first_l, ns * sizeof *hl) == 0,
                          "%s %s chunk %lld isa %s: %d threads differ from 1 thread", tag, lrb_algo_name(v.algo),
                          (long long)v.chunk, lrb_isa_name(cfg[c].isa), cfg[c].threads);
            free(h);
            free(hl);
        }
    }
    free(first);
    free(first_l);
    free(ref);
    free(rl);
    free(oh);
    free(ol);
    lrb_cpu_set_isa(old_isa);
    lrb_cpu_set_threads(old_threads);
    if (lrb_test_verbose())
        printf("simd %s %s chunk %lld: rel L2 %.3g (bound %.3g)\n", tag, lrb_algo_name(v.algo), (long long)v.chunk,
               worst, bound);
    return worst;
}

/* _i: 0..3 = (cplx, data). Shapes with tails and gaps; chunk sizes 1, 5, 64, L and > L. */
START_TEST(test_parallel_accuracy)
{
    const int cplx = _i / 2, data = _i % 2;
    const struct {
        int64_t B, L, D;
        double nu;
        int state;
    } shapes[] = {
        {1, 1, 1, 0.1, 1}, {3, 17, 3, 0.1, 0}, {2, 100, 17, 0.05, 1}, {1, 1000, 33, 0.1, 1}, {2, 700, 1, 0.02, 0},
    };
    for (size_t si = 0; si < sizeof shapes / sizeof *shapes; si++) {
        ss_prob p = ss_random(cplx, data, shapes[si].B, shapes[si].L, shapes[si].D, shapes[si].nu, 0.5, 0.99,
                              shapes[si].state, 4242u + 31u * si + (uint64_t)_i);
        const double bound = ss_bound(&p, 0.99);
        const int64_t L = shapes[si].L;
        const ss_variant vs[] = {{LRB_LOGSTEP, 0},  {LRB_UL, 0},      {LRB_CHUNKED, 1},    {LRB_CHUNKED, 5},
                                 {LRB_CHUNKED, 64}, {LRB_CHUNKED, L}, {LRB_CHUNKED, L + 3}};
        char tag[96];
        snprintf(tag, sizeof tag, "cplx %d data %d B %lld L %lld D %lld", cplx, data, (long long)shapes[si].B,
                 (long long)L, (long long)shapes[si].D);
        for (size_t vi = 0; vi < sizeof vs / sizeof *vs; vi++)
            ss_check_variant(&p, vs[vi], bound, tag);
        ss_free(&p);
    }
}
END_TEST

/* Long chains: ul across several tiles, logstep's contiguous path, many chunk groups. _i as above. */
START_TEST(test_parallel_long)
{
    const int cplx = _i / 2, data = _i % 2;
    ss_prob p = ss_random(cplx, data, 2, 5000, cplx ? 2 : 5, 0.01, 0.9, 0.999, 1, 999u + (uint64_t)_i);
    const double bound = ss_bound(&p, 0.999);
    const ss_variant vs[] = {{LRB_LOGSTEP, 0}, {LRB_UL, 0}, {LRB_CHUNKED, 16}, {LRB_CHUNKED, 777}};
    for (size_t vi = 0; vi < sizeof vs / sizeof *vs; vi++)
        ss_check_variant(&p, vs[vi], bound, cplx ? "long complex" : "long real");
    ss_free(&p);
}
END_TEST

/* logstep's L-contiguous real path (D = 1, ld = 1) against the float64 loop, and bit for bit against its
 * strided tile path (the same chains stored with ld = 2). _i: data. */
START_TEST(test_logstep_contiguous)
{
    const int data = _i;
    const lrb_isa old_isa = lrb_cpu_isa();
    const int old_threads = lrb_cpu_threads();
    ss_cfg cfg[3 * LRB_NUM_ISAS];
    const int ncfg = ss_configs(cfg);
    const int64_t Ls[] = {1, 5, 16, 17, 1000, 4099};
    for (size_t li = 0; li < sizeof Ls / sizeof *Ls; li++) {
        const int64_t B = 3, L = Ls[li];
        uint64_t rs = 5150u + li + 100u * (uint64_t)data;
        float *b = lrb_test_falloc((size_t)(B * L)), *a = data ? lrb_test_falloc((size_t)(B * L)) : NULL, nu = 0.02f;
        float *b2 = lrb_test_falloc((size_t)(2 * B * L)), *a2 = data ? lrb_test_falloc((size_t)(2 * B * L)) : NULL;
        float h0[3];
        for (int64_t i = 0; i < B * L; i++) {
            b[i] = b2[2 * i] = b2[2 * i + 1] = (float)lrb_test_rng_n(&rs);
            if (a)
                a[i] = a2[2 * i] = a2[2 * i + 1] = (float)(0.9 + 0.099 * lrb_test_rng_u(&rs));
        }
        for (int i = 0; i < 3; i++)
            h0[i] = (float)lrb_test_rng_n(&rs);
        /* float64 loop */
        double *o = malloc((size_t)(B * L) * sizeof *o), num = 0, den = 0;
        ck_assert(o != NULL);
        const double lam = exp(-(double)nu);
        for (int64_t bi = 0; bi < B; bi++) {
            double hh = h0[bi];
            for (int64_t t = 0; t < L; t++) {
                hh = (a ? (double)a[bi * L + t] : lam) * hh + b[bi * L + t];
                o[bi * L + t] = hh;
            }
        }
        for (int c = 0; c < ncfg; c++) {
            ss_apply(cfg[c]);
            float *h = lrb_test_falloc((size_t)(B * L)), *h2 = lrb_test_falloc((size_t)(2 * B * L)), hl[3], hl2[3];
            ss_poison(h2, (size_t)(2 * B * L));
            lrb_scan_args s;
            memset(&s, 0, sizeof s);
            s.B = B;
            s.L = L;
            s.D = 1;
            s.ld = 1;
            s.b = b;
            s.h = h;
            s.a = a;
            s.nu = a ? NULL : &nu;
            s.h0 = h0;
            s.h_last = hl;
            ck_assert_int_eq(lrb_simd_scan_real(&s, LRB_LOGSTEP), LRB_OK);
            s.ld = 2;
            s.b = b2;
            s.h = h2;
            s.a = a2;
            s.h_last = hl2;
            ck_assert_int_eq(lrb_simd_scan_real(&s, LRB_LOGSTEP), LRB_OK);
            num = den = 0;
            int same = memcmp(hl, hl2, sizeof hl) == 0, gap = 1;
            for (int64_t i = 0; i < B * L; i++) {
                double e = (double)h[i] - o[i];
                num += e * e;
                den += o[i] * o[i];
                same &= memcmp(&h[i], &h2[2 * i], sizeof h[i]) == 0;
                uint32_t bits;
                memcpy(&bits, &h2[2 * i + 1], sizeof bits);
                gap &= bits == SS_POISON;
            }
            const double err = sqrt(num / den), bound = 8.0 * SS_U32 * (1.0 + (data ? 1000.0 : 50.0));
            ck_assert_msg(err <= bound, "logstep contiguous L %lld isa %s: rel L2 %g > %g", (long long)L,
                          lrb_isa_name(cfg[c].isa), err, bound);
            ck_assert_msg(same, "logstep L %lld isa %s: contiguous and strided paths differ", (long long)L,
                          lrb_isa_name(cfg[c].isa));
            ck_assert_msg(gap, "logstep strided wrote outside D");
            ck_assert_msg(memcmp(&hl[B - 1], &h[B * L - 1], sizeof(float)) == 0, "logstep h_last");
            free(h);
            free(h2);
        }
        free(o);
        free(b);
        free(a);
        free(b2);
        free(a2);
    }
    lrb_cpu_set_isa(old_isa);
    lrb_cpu_set_threads(old_threads);
}
END_TEST

/* Streaming: the first L1 steps, then the rest from h_last, against one pass. seq: bitwise; the others
 * within the bound. _i: 0..3 = (cplx, data). */
START_TEST(test_streaming)
{
    const int cplx = _i / 2, data = _i % 2;
    const lrb_isa old_isa = lrb_cpu_isa();
    const int old_threads = lrb_cpu_threads();
    ss_cfg cfg[3 * LRB_NUM_ISAS];
    const int ncfg = ss_configs(cfg);
    const int64_t B = 2, L = 600, D = 19, L1 = 237;
    ss_prob p = ss_random(cplx, data, B, L, D, 0.05, 0.5, 0.99, 1, 8080u + (uint64_t)_i);
    const double bound = ss_bound(&p, 0.99);
    ss_prob p1 = p, p2 = p; /* views of the two pieces: same ld, L1 and L − L1 rows */
    const ss_variant vs[] = {{LRB_SEQ, 0}, {LRB_LOGSTEP, 0}, {LRB_UL, 0}, {LRB_CHUNKED, 50}};
    for (int c = 0; c < ncfg; c++) {
        ss_apply(cfg[c]);
        for (size_t vi = 0; vi < sizeof vs / sizeof *vs; vi++) {
            float *hl, *one = ss_solve(&p, 1, vs[vi].algo, vs[vi].chunk, &hl);
            /* pieces: copy the rows of each batch row into contiguous buffers of L1 and L − L1 rows */
            float *mid = NULL, *hl2 = NULL;
            double num = 0, den = 0;
            int bitwise = 1;
            float *hs[2] = {NULL, NULL};
            for (int piece = 0; piece < 2; piece++) {
                ss_prob *q = piece ? &p2 : &p1;
                const int64_t t0 = piece ? L1 : 0, Lq = piece ? L - L1 : L1;
                q->L = Lq;
                q->b = lrb_test_falloc((size_t)(B * Lq * p.ld));
                q->a = data ? lrb_test_falloc((size_t)(B * Lq * p.ld)) : NULL;
                for (int64_t bi = 0; bi < B; bi++) {
                    memcpy(q->b + bi * Lq * p.ld, p.b + (bi * L + t0) * p.ld, (size_t)(Lq * p.ld) * sizeof(float));
                    if (data)
                        memcpy(q->a + bi * Lq * p.ld, p.a + (bi * L + t0) * p.ld, (size_t)(Lq * p.ld) * sizeof(float));
                }
                q->h0 = piece ? mid : p.h0;
                hs[piece] = ss_solve(q, 1, vs[vi].algo, vs[vi].chunk, piece ? &hl2 : &mid);
            }
            bitwise &= memcmp(hl2, hl, ss_st_n(&p) * sizeof *hl) == 0;
            for (int64_t bi = 0; bi < B; bi++)
                for (int64_t t = 0; t < L; t++)
                    for (int64_t d = 0; d < D; d++)
                        for (int part = 0; part <= cplx; part++) {
                            const int piece = t >= L1;
                            const int64_t Lq = piece ? L - L1 : L1, tq = piece ? t - L1 : t;
                            const float x = hs[piece][(bi * Lq + tq) * p.ld + d + (part ? p.im_off : 0)];
                            const float y = one[ss_off(&p, bi, t, d, part)];
                            bitwise &= memcmp(&x, &y, sizeof x) == 0;
                            num += ((double)x - y) * ((double)x - y);
                            den += (double)y * y;
                        }
            const double err = sqrt(num / den);
            if (vs[vi].algo == LRB_SEQ)
                ck_assert_msg(bitwise, "seq streaming is not bitwise (isa %s)", lrb_isa_name(cfg[c].isa));
            else
                ck_assert_msg(err <= bound, "%s streaming: %g > %g", lrb_algo_name(vs[vi].algo), err, bound);
            for (int piece = 0; piece < 2; piece++) {
                ss_prob *q = piece ? &p2 : &p1;
                free(q->b);
                free(q->a);
                free(hs[piece]);
            }
            free(mid);
            free(hl2);
            free(one);
            free(hl);
        }
    }
    ss_free(&p);
    lrb_cpu_set_isa(old_isa);
    lrb_cpu_set_threads(old_threads);
}
END_TEST

/* ------------------------------------------------------------------------------------------------ */
/* (c) exactness                                                                                     */

/* Reset scans: data decays in {0, 1} (complex: {0, 1, i}), or constant λ = 1 (ν = 0, θ = 0), small integer
 * inputs and state: every intermediate is an integer < 2^24, so every algorithm is exact. _i: 0..3 =
 * (cplx, data). */
START_TEST(test_reset_exact)
{
    const int cplx = _i / 2, data = _i % 2;
    const lrb_isa old_isa = lrb_cpu_isa();
    const int old_threads = lrb_cpu_threads();
    ss_cfg cfg[3 * LRB_NUM_ISAS];
    const int ncfg = ss_configs(cfg);
    const int64_t B = 2, L = 777, D = 21;
    uint64_t rs = 31337u + (uint64_t)_i;
    ss_prob p = ss_new(cplx, data, B, L, D);
    for (int64_t bi = 0; bi < B; bi++)
        for (int64_t t = 0; t < L; t++)
            for (int64_t d = 0; d < D; d++)
                for (int part = 0; part <= cplx; part++) {
                    p.b[ss_off(&p, bi, t, d, part)] = (float)((int)(lrb_test_rng_next(&rs) % 7) - 3);
                    if (data && part == 0) {
                        const int k = (int)(lrb_test_rng_next(&rs) % (cplx ? 5 : 4));
                        /* mostly 1 so that sums grow, sometimes a reset (0) or a rotation (i) */
                        const float re = k == 0 ? 0.0f : k == 4 ? 0.0f : 1.0f, im = k == 4 ? 1.0f : 0.0f;
                        p.a[ss_off(&p, bi, t, d, 0)] = re;
                        if (cplx)
                            p.a[ss_off(&p, bi, t, d, 1)] = im;
                    }
                }
    if (!data)
        for (int64_t d = 0; d < D; d++) {
            p.nu[d] = 0.0f;
            if (cplx)
                p.theta[d] = 0.0f;
        }
    p.h0 = lrb_test_falloc(ss_st_n(&p));
    for (size_t i = 0; i < ss_st_n(&p); i++)
        p.h0[i] = (float)((int)(lrb_test_rng_next(&rs) % 9) - 4);
    float *rl, *ref = ss_solve(&p, 0, LRB_SEQ, 0, &rl);
    const ss_variant vs[] = {{LRB_SEQ, 0},     {LRB_LOGSTEP, 0},  {LRB_UL, 0},        {LRB_CHUNKED, 1},
                             {LRB_CHUNKED, 7}, {LRB_CHUNKED, 64}, {LRB_CHUNKED, 1000}};
    for (int c = 0; c < ncfg; c++) {
        ss_apply(cfg[c]);
        for (size_t vi = 0; vi < sizeof vs / sizeof *vs; vi++) {
            float *hl, *h = ss_solve(&p, 1, vs[vi].algo, vs[vi].chunk, &hl);
            int ok = ss_same_values(&p, h, ref);
            for (size_t i = 0; i < ss_st_n(&p); i++)
                ok &= hl[i] == rl[i];
            ck_assert_msg(ok, "reset scan cplx %d data %d: %s chunk %lld isa %s threads %d is not exact", cplx, data,
                          lrb_algo_name(vs[vi].algo), (long long)vs[vi].chunk, lrb_isa_name(cfg[c].isa),
                          cfg[c].threads);
            free(h);
            free(hl);
        }
    }
    free(ref);
    free(rl);
    ss_free(&p);
    lrb_cpu_set_isa(old_isa);
    lrb_cpu_set_threads(old_threads);
}
END_TEST

/* ------------------------------------------------------------------------------------------------ */
/* (d) bad arguments                                                                                 */

START_TEST(test_einval)
{
    const int64_t B = 1, L = 4, D = 2;
    float b[16] = {0}, a[16] = {0}, nu[2] = {0.1f, 0.2f}, th[2] = {0.3f, 0.4f}, h[16];
    const uint32_t bits = SS_POISON;
    for (int i = 0; i < 16; i++)
        memcpy(&h[i], &bits, sizeof bits);
    lrb_scan_args ok;
    memset(&ok, 0, sizeof ok);
    ok.B = B;
    ok.L = L;
    ok.D = D;
    ok.ld = 2 * D;
    ok.im_off = D;
    ok.b = b;
    ok.h = h;
    ok.nu = nu;
    ok.theta = th;
    ok.chunk = 2;
    const lrb_algo good[4] = {LRB_SEQ, LRB_LOGSTEP, LRB_CHUNKED, LRB_UL};
    for (int g = 0; g < 4; g++) {
        ck_assert_int_eq(lrb_simd_scan_real(&ok, good[g]), LRB_OK);
        ck_assert_int_eq(lrb_simd_scan_complex(&ok, good[g]), LRB_OK);
    }
    for (int i = 0; i < 16; i++)
        memcpy(&h[i], &bits, sizeof bits);
    for (int g = 0; g < 4; g++) {
        const lrb_algo al = good[g];
        lrb_scan_args s;
        ck_assert_int_eq(lrb_simd_scan_real(NULL, al), LRB_EINVAL);
        ck_assert_int_eq(lrb_simd_scan_complex(NULL, al), LRB_EINVAL);
#define SS_BAD(field, value, cplx_only)                                                                                \
    do {                                                                                                               \
        s = ok;                                                                                                        \
        s.field = value;                                                                                               \
        ck_assert_int_eq(lrb_simd_scan_complex(&s, al), LRB_EINVAL);                                                   \
        if (!(cplx_only))                                                                                              \
            ck_assert_int_eq(lrb_simd_scan_real(&s, al), LRB_EINVAL);                                                  \
    } while (0)
        SS_BAD(B, 0, 0);
        SS_BAD(L, 0, 0);
        SS_BAD(D, 0, 0);
        SS_BAD(L, -3, 0);
        SS_BAD(b, NULL, 0);
        SS_BAD(h, NULL, 0);
        SS_BAD(nu, NULL, 0); /* neither a nor nu */
        SS_BAD(a, a, 0);     /* both */
        SS_BAD(theta, NULL, 1);
        SS_BAD(im_off, D - 1, 1);
        SS_BAD(ld, 2 * D - 1, 1);
        SS_BAD(ld, D - 1, 0);
        if (al == LRB_CHUNKED) {
            SS_BAD(chunk, 0, 0);
            SS_BAD(chunk, -1, 0);
        }
#undef SS_BAD
    }
    ck_assert_int_eq(lrb_simd_scan_real(&ok, LRB_BLELLOCH), LRB_EINVAL);
    ck_assert_int_eq(lrb_simd_scan_complex(&ok, LRB_BLELLOCH), LRB_EINVAL);
    ck_assert_int_eq(lrb_simd_scan_real(&ok, LRB_DIRECT), LRB_EINVAL);
    ck_assert_int_eq(lrb_simd_scan_real(&ok, LRB_NUM_ALGOS), LRB_EINVAL);
    ck_assert_int_eq(lrb_simd_scan_real(&ok, (lrb_algo)-1), LRB_EINVAL);
    for (int i = 0; i < 16; i++) {
        uint32_t got;
        memcpy(&got, &h[i], sizeof got);
        ck_assert_msg(got == bits, "a rejected call wrote h[%d]", i);
    }
}
END_TEST

/* ------------------------------------------------------------------------------------------------ */
/* lrb_scan_fused                                                                                    */

typedef struct {
    const ss_prob *p;
    float *b, *h, *out; /* the scan's input (built by pre from p->b), output, and post's output */
} ss_rows;

/* pre: b = 2·src on the valid columns */
static void ss_pre(void *vctx, int64_t r0, int64_t n)
{
    const ss_rows *c = vctx;
    for (int64_t r = r0; r < r0 + n; r++)
        for (int64_t d = 0; d < c->p->D; d++)
            for (int part = 0; part <= c->p->cplx; part++) {
                const int64_t i = r * c->p->ld + d + (part ? c->p->im_off : 0);
                c->b[i] = 2.0f * c->p->b[i];
            }
}

/* post: out = 3·h − b (reads the scan's output and input of the same rows) */
static void ss_post(void *vctx, int64_t r0, int64_t n)
{
    const ss_rows *c = vctx;
    for (int64_t r = r0; r < r0 + n; r++)
        for (int64_t d = 0; d < c->p->D; d++)
            for (int part = 0; part <= c->p->cplx; part++) {
                const int64_t i = r * c->p->ld + d + (part ? c->p->im_off : 0);
                c->out[i] = 3.0f * c->h[i] - c->b[i];
            }
}

/* _i: 0..3 = (cplx, data) */
START_TEST(test_fused_tiles)
{
    const int cplx = _i / 2, data = _i % 2;
    const lrb_test_cpu_state saved = lrb_test_cpu_save();
    ck_assert_int_eq(lrb_cpu_set_threads(2), 0);
    const lrb_algo algos[] = {LRB_SEQ, LRB_UL, LRB_CHUNKED};
    const int64_t tiles[] = {1, 4, 5};
    int runs = 0;
    for (int state = 0; state <= 1; state++) {
        ss_prob p =
            ss_random(cplx, data, 3, 37, 13, 0.05, 0.5, 1.0, state, 4242u + 31u * (uint64_t)_i + (uint64_t)state);
        const size_t n = ss_seq_n(&p), ns = ss_st_n(&p);
        for (int be = 0; be < 2; be++) {
            const lrb_ops *ops = be ? &lrb_simd_ops : &lrb_ref_ops;
            for (size_t ai = 0; ai < sizeof algos / sizeof *algos; ai++) {
                /* whole passes */
                float *b = lrb_test_falloc(n), *out = lrb_test_falloc(n), *hl = lrb_test_falloc(ns);
                ss_rows whole = {&p, b, b, out};
                ss_pre(&whole, 0, p.B * p.L);
                lrb_scan_args s = ss_args(&p, b, b, p.h0, hl, 8);
                ck_assert_int_eq((cplx ? ops->scan_complex : ops->scan_real)(&s, algos[ai]), LRB_OK);
                ss_post(&whole, 0, p.B * p.L);
                for (size_t ti = 0; ti < sizeof tiles / sizeof *tiles; ti++) {
                    float *tb = lrb_test_falloc(n), *tout = lrb_test_falloc(n);
                    float *thl = p.h0 ? ss_dup(p.h0, ns) : lrb_test_falloc(ns); /* h_last over h0 */
                    ss_rows tiled = {&p, tb, tb, tout};
                    lrb_scan_args ts = ss_args(&p, tb, tb, p.h0 ? thl : NULL, thl, 8);
                    ck_assert_int_eq(lrb_scan_fused(ops, &ts, cplx, algos[ai], ss_pre, ss_post, &tiled,
                                                    LRB_FUSED_TILE_BYTES / tiles[ti]),
                                     LRB_OK);
                    ck_assert_msg(memcmp(tout, out, n * sizeof *out) == 0 && memcmp(thl, hl, ns * sizeof *hl) == 0,
                                  "fused %s algo %d tile %lld (cplx %d data %d h0 %d) differs from whole passes",
                                  ops->backend, (int)algos[ai], (long long)tiles[ti], cplx, data, state);
                    free(tb);
                    free(tout);
                    free(thl);
                    runs++;
                }
                free(b);
                free(out);
                free(hl);
            }
        }
        ss_free(&p);
    }
    lrb_test_cpu_restore(saved);
    if (lrb_test_verbose())
        printf("fused tiles cplx=%d data=%d: %d runs equal to whole passes\n", cplx, data, runs);
}
END_TEST

Suite *lrb_suite_simd_scan(void)
{
    Suite *s = suite_create("simd_scan");
    TCase *tc = tcase_create("seq");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_seq_bitexact, 0, 4);
    tcase_add_test(tc, test_shared_buffer);
    suite_add_tcase(s, tc);

    tc = tcase_create("parallel");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_parallel_accuracy, 0, 4);
    tcase_add_loop_test(tc, test_parallel_long, 0, 4);
    tcase_add_loop_test(tc, test_logstep_contiguous, 0, 2);
    tcase_add_loop_test(tc, test_streaming, 0, 4);
    suite_add_tcase(s, tc);

    tc = tcase_create("exact_and_args");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_reset_exact, 0, 4);
    tcase_add_test(tc, test_einval);
    tcase_add_loop_test(tc, test_fused_tiles, 0, 4);
    suite_add_tcase(s, tc);
    return s;
}
