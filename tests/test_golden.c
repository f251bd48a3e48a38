/*
 * test_golden.c — the per-layer suites (one per layer, named after it) and the golden_data suite.
 *   golden:    every registry variant of the layer on every tier-1 golden case, against the float64
 *              oracle under the LAYERS.md §6.3 tolerance, with NaN poisoning, guard regions and a
 *              second run that must give identical bits (conformance.c does all of that); the
 *              integer reset scans must be exact for every algorithm;
 *              simd variants run once per ISA path the host supports (AVX-512, AVX2, portable);
 *   bit_identity: every simd seq/direct variant on every ISA path gives exactly the bits of the layer's
 *              ref seq/direct on every golden case, outputs and final states (DESIGN.md §6);
 *   streaming: x[0:L1] then x[L1:L] from the returned state equals one pass, L1 ∈ {1, L/2, L−1}:
 *              bitwise for seq and direct, within the case's tolerance for the parallel algorithms;
 *   golden_data: the golden inputs (committed tier 1, or a generated tier-2 directory) are exactly what
 *              the shared counter RNG gives for the case table's dist specs (C and NumPy
 *              bit-identical), and the catalogue is consistent.
 */
#define _POSIX_C_SOURCE 200809L
#include "lrb_tests.h"

#include "bundle.h"
#include "conformance.h"
#include "lrb_layers.h"
#include "registry.h"
#include "rng.h"
#include "tolerance.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A (case, variant) pair, and for simd variants the ISA path it runs on (every path the host supports). */
typedef struct pair {
    int ci, vi;
    int isa; /* lrb_isa, or −1: the variant does not depend on it */
} pair;

#define MAX_PAIRS 8192
static pair golden_pairs[MAX_PAIRS];
static int n_golden;
static pair bitid_pairs[MAX_PAIRS];
static int n_bitid;
static pair stream_pairs[MAX_PAIRS];
static int n_stream;

/* ---- golden -------------------------------------------------------------------------------------- */

/* The integer reset scan (TOOLING.md §10): data decays in {0, 1} and small integer inputs keep every
 * partial result an exact integer, so every algorithm must reproduce the oracle bit for bit. */
static int integer_exact(const lrb_case *c)
{
    if (strcmp(c->cfg.layer->name, "scan") != 0 || lrb_cfg_int(&c->cfg, "decay") != 1 || c->ndists == 0)
        return 0;
    for (int i = 0; i < c->ndists; i++)
        if (strncmp(c->dist_spec[i], "int:", 4) != 0 && strncmp(c->dist_spec[i], "bern:", 5) != 0)
            return 0;
    return c->ndists == 2; /* both a and b */
}

/* Runs the pair's variant on its ISA path (restored afterwards). */
static lrb_isa pair_isa_enter(const pair *p)
{
    lrb_isa prev = lrb_cpu_isa();
    if (p->isa >= 0)
        ck_assert_int_eq(lrb_cpu_set_isa((lrb_isa)p->isa), 0);
    return prev;
}

static const char *pair_isa_name(const pair *p)
{
    return p->isa >= 0 ? lrb_isa_name((lrb_isa)p->isa) : "-";
}

START_TEST(test_golden)
{
    const pair *p = &golden_pairs[_i];
    const lrb_case *c = &lrb_test_cases.cases[p->ci];
    const lrb_variant *v = &lrb_variants[p->vi];
    char msg[1024];
    double rel, tol;
    lrb_isa prev = pair_isa_enter(p);
    int rc = lrb_check_one(c, v, lrb_test_golden_dir, msg, sizeof msg, &rel, &tol);
    lrb_cpu_set_isa(prev);
    ck_assert_msg(rc >= 0, "%s [%s] on %s: could not load the case: %s", v->name, pair_isa_name(p), c->name, msg);
    ck_assert_msg(rc == 1, "[isa %s] %s (rel_l2 %.3e, tol %.3e)", pair_isa_name(p), msg, rel, tol);
    if (integer_exact(c))
        ck_assert_msg(rel == 0.0, "%s on %s: integer reset scan must be exact, rel_l2 %.3e", v->name, c->name, rel);
}
END_TEST

/* ---- bit-identity: simd seq/direct against ref seq/direct (DESIGN.md §6) --------------------------------- */

/* Runs `v` on the case's golden inputs (and initial state); the bundle keeps the outputs. */
static void run_case(const lrb_case *c, const lrb_variant *v, lrb_bundle *b)
{
    char dir[1024], err[1024];
    snprintf(dir, sizeof dir, "%s/v1/%s", lrb_test_golden_dir, c->name);
    ck_assert_msg(lrb_bundle_alloc(b, &c->cfg, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(lrb_bundle_load(b, dir, (1u << LRB_PARAM) | (1u << LRB_INPUT), err, sizeof err) == 0, "%s", err);
    if (c->state)
        ck_assert_msg(lrb_bundle_load_state_in(b, dir, "state_in.", err, sizeof err) == 0, "%s", err);
    ck_assert_msg(lrb_bundle_run(b, v, err, sizeof err) == 0, "%s: %s", v->name, err);
}

START_TEST(test_bit_identity)
{
    const pair *p = &bitid_pairs[_i];
    const lrb_case *c = &lrb_test_cases.cases[p->ci];
    const lrb_variant *v = &lrb_variants[p->vi];
    const lrb_variant *ref = lrb_variant_default(v->layer);
    lrb_bundle r, b;
    run_case(c, ref, &r);
    lrb_isa prev = pair_isa_enter(p);
    run_case(c, v, &b);
    lrb_cpu_set_isa(prev);
    for (int i = 0; i < b.call.n; i++) {
        const lrb_tensor_spec *sp = &b.call.spec[i];
        if (sp->role != LRB_OUTPUT && sp->role != LRB_STATE)
            continue;
        int64_t n = lrb_spec_count(sp), first = -1;
        for (int64_t k = 0; k < n && first < 0; k++)
            if (memcmp(&b.call.t[i][k], &r.call.t[i][k], sizeof(float)) != 0)
                first = k;
        ck_assert_msg(first < 0, "%s [isa %s] on %s: %s differs from %s at element %lld (%.9g vs %.9g)", v->name,
                      pair_isa_name(p), c->name, sp->name, ref->name, (long long)first,
                      first < 0 ? 0.0 : (double)b.call.t[i][first], first < 0 ? 0.0 : (double)r.call.t[i][first]);
    }
    lrb_bundle_free(&b);
    lrb_bundle_free(&r);
}
END_TEST

/* ---- streaming ----------------------------------------------------------------------------------- */

/* Copies time steps [t0, t0 + n) of a sequence tensor of spec `full` into `dst` of spec `part`
 * (or back, when to_full). */
static void slice_time(const lrb_tensor_spec *full, float *fbuf, const lrb_tensor_spec *part, float *pbuf, int64_t t0,
                       int to_full)
{
    int ax = lrb_spec_time_axis(full);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < ax; d++)
        outer *= full->shape[d];
    for (int d = ax + 1; d < full->ndim; d++)
        inner *= full->shape[d];
    int64_t Lf = full->shape[ax], Lp = part->shape[ax];
    for (int64_t o = 0; o < outer; o++) {
        float *f = fbuf + (o * Lf + t0) * inner;
        float *q = pbuf + o * Lp * inner;
        if (to_full)
            memcpy(f, q, (size_t)(Lp * inner) * sizeof(float));
        else
            memcpy(q, f, (size_t)(Lp * inner) * sizeof(float));
    }
}

/* Runs the pieces [0, L1) and [L1, L) of `whole` with state carry into out_full; returns 0 or -1. */
static int run_pieces(const lrb_bundle *whole, const lrb_variant *v, int64_t L1, float *out_full, char *err,
                      size_t errlen)
{
    int64_t L = lrb_cfg_int(&whole->cfg, "L");
    int iy = -1;
    for (int i = 0; i < whole->call.n; i++)
        if (whole->call.spec[i].role == LRB_OUTPUT)
            iy = i;
    float *carry[LRB_MAX_TENSORS] = {0};
    int rc = 0;
    for (int piece = 0; piece < 2 && rc == 0; piece++) {
        int64_t t0 = piece ? L1 : 0, n = piece ? L - L1 : L1;
        lrb_cfg cfg = whole->cfg;
        char num[32];
        snprintf(num, sizeof num, "%lld", (long long)n);
        lrb_cfg_set(&cfg, "L", num, err, errlen);
        lrb_bundle b;
        if (lrb_bundle_alloc(&b, &cfg, err, errlen))
            return -1;
        for (int i = 0; i < b.call.n; i++) {
            const lrb_tensor_spec *s = &b.call.spec[i];
            if (s->role == LRB_PARAM)
                memcpy(b.call.t[i], whole->call.t[i], (size_t)lrb_spec_count(s) * sizeof(float));
            else if (s->role == LRB_INPUT)
                slice_time(&whole->call.spec[i], whole->call.t[i], s, b.call.t[i], t0, 0);
            else if (s->role == LRB_STATE)
                b.call.state_in[i] = piece ? carry[i] : whole->call.state_in[i];
        }
        b.call.has_state_in = piece ? 1 : whole->call.has_state_in;
        rc = lrb_bundle_run(&b, v, err, errlen);
        if (rc == 0) {
            slice_time(&whole->call.spec[iy], out_full, &b.call.spec[iy], b.call.t[iy], t0, 1);
            for (int i = 0; i < b.call.n; i++) {
                const lrb_tensor_spec *s = &b.call.spec[i];
                if (s->role != LRB_STATE)
                    continue;
                size_t bytes = (size_t)lrb_spec_count(s) * sizeof(float);
                free(carry[i]);
                carry[i] = malloc(bytes);
                if (carry[i])
                    memcpy(carry[i], b.call.t[i], bytes);
                else
                    rc = -1;
            }
        }
        lrb_bundle_free(&b);
    }
    for (int i = 0; i < LRB_MAX_TENSORS; i++)
        free(carry[i]);
    return rc;
}

START_TEST(test_streaming)
{
    const pair *p = &stream_pairs[_i];
    const lrb_case *c = &lrb_test_cases.cases[p->ci];
    const lrb_variant *v = &lrb_variants[p->vi];
    char dir[1024], err[1024];
    snprintf(dir, sizeof dir, "%s/v1/%s", lrb_test_golden_dir, c->name);
    lrb_bundle whole;
    ck_assert_msg(lrb_bundle_alloc(&whole, &c->cfg, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(lrb_bundle_load(&whole, dir, (1u << LRB_PARAM) | (1u << LRB_INPUT), err, sizeof err) == 0, "%s", err);
    if (c->state)
        ck_assert_msg(lrb_bundle_load_state_in(&whole, dir, "state_in.", err, sizeof err) == 0, "%s", err);
    ck_assert_msg(lrb_bundle_run(&whole, v, err, sizeof err) == 0, "%s", err);
    int iy = -1;
    for (int i = 0; i < whole.call.n; i++)
        if (whole.call.spec[i].role == LRB_OUTPUT)
            iy = i;
    int64_t n = lrb_spec_count(&whole.call.spec[iy]);
    int64_t L = lrb_cfg_int(&c->cfg, "L");
    int64_t splits[3] = {1, L / 2, L - 1};
    double tol = lrb_tolerance_for(&whole.call).rel_l2;
    float *pieces = malloc((size_t)n * sizeof(float));
    ck_assert_ptr_nonnull(pieces);
    for (int k = 0; k < 3; k++) {
        ck_assert_msg(run_pieces(&whole, v, splits[k], pieces, err, sizeof err) == 0, "%s", err);
        const float *y = whole.call.t[iy];
        if (v->algo == LRB_SEQ || v->algo == LRB_DIRECT) {
            int64_t first = -1;
            for (int64_t i = 0; i < n && first < 0; i++)
                if (memcmp(&y[i], &pieces[i], sizeof(float)) != 0)
                    first = i;
            ck_assert_msg(first < 0, "%s on %s: split at L1=%lld differs from one pass at element %lld (%.9g vs %.9g)",
                          v->name, c->name, (long long)splits[k], (long long)first,
                          first < 0 ? 0.0 : (double)pieces[first], first < 0 ? 0.0 : (double)y[first]);
        } else {
            double num = 0, den = 0;
            for (int64_t i = 0; i < n; i++) {
                double d = (double)pieces[i] - (double)y[i];
                num += d * d;
                den += (double)y[i] * (double)y[i];
            }
            double rel = den > 0 ? sqrt(num / den) : sqrt(num);
            ck_assert_msg(rel <= tol, "%s on %s: split at L1=%lld: rel_l2 %.3e vs one pass > tol %.3e", v->name,
                          c->name, (long long)splits[k], rel, tol);
        }
    }
    free(pieces);
    lrb_bundle_free(&whole);
}
END_TEST

/* ---- golden data ----------------------------------------------------------------------------------- */

/* The golden_data suite checks the tier in lrb_test_tier (1: the committed set; 2: a directory written
 * by gen_golden.py --tier 2, named by LRB_GOLDEN_DIR). */
static int n_of_tier(void)
{
    int n = 0;
    for (int i = 0; i < lrb_test_cases.n; i++)
        n += lrb_test_cases.cases[i].tier == lrb_test_tier;
    return n;
}

static const lrb_case *case_of_tier(int k)
{
    for (int i = 0; i < lrb_test_cases.n; i++)
        if (lrb_test_cases.cases[i].tier == lrb_test_tier && k-- == 0)
            return &lrb_test_cases.cases[i];
    return NULL;
}

START_TEST(test_rng_parity)
{
    const lrb_case *c = case_of_tier(_i);
    char dir[1024], err[1024];
    snprintf(dir, sizeof dir, "%s/v1/%s", lrb_test_golden_dir, c->name);
    lrb_bundle b;
    ck_assert_msg(lrb_bundle_alloc(&b, &c->cfg, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(lrb_bundle_load(&b, dir, 1u << LRB_INPUT, err, sizeof err) == 0, "%s", err);
    int j = 0;
    for (int i = 0; i < b.call.n; i++) {
        const lrb_tensor_spec *s = &b.call.spec[i];
        if (s->role != LRB_INPUT)
            continue;
        lrb_dist d;
        ck_assert_msg(lrb_dist_parse(lrb_case_dist(c, s->name), &d, err, sizeof err) == 0, "%s: %s", c->name, err);
        int64_t n = lrb_spec_count(s);
        float *mine = malloc((size_t)n * sizeof(float));
        ck_assert_ptr_nonnull(mine);
        ck_assert_int_eq(lrb_dist_fill(&d, lrb_rng_stream(c->seed, j), mine, s->ndim, s->shape, lrb_spec_time_axis(s)),
                         0);
        int64_t first = -1;
        for (int64_t k = 0; k < n && first < 0; k++)
            if (memcmp(&mine[k], &b.call.t[i][k], sizeof(float)) != 0)
                first = k;
        ck_assert_msg(first < 0, "%s: input %s element %lld: C RNG gives %.9g, committed file has %.9g", c->name,
                      s->name, (long long)first, first < 0 ? 0.0 : (double)mine[first],
                      first < 0 ? 0.0 : (double)b.call.t[i][first]);
        free(mine);
        j++;
    }
    lrb_bundle_free(&b);
}
END_TEST

START_TEST(test_golden_version)
{
    char err[1024];
    ck_assert_msg(lrb_golden_version_ok(lrb_test_golden_dir, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(n_of_tier() > 0, "the case table has no tier-%d case", lrb_test_tier);
}
END_TEST

/* The catalogue itself: key counts match the key tables, every layer has a default (seq or direct)
 * variant, every variant names a layer of the catalogue, and within a role no two tensors share a name. */
START_TEST(test_catalogue)
{
    for (int i = 0; i < lrb_num_layers; i++) {
        const lrb_layer *l = lrb_layers[i];
        int n = 0;
        while (n < LRB_MAX_KEYS && l->keys[n].name)
            n++;
        ck_assert_msg(n == l->nkeys, "layer %s: nkeys %d but %d keys listed", l->name, l->nkeys, n);
        const lrb_variant *v = lrb_variant_default(l->name);
        ck_assert_msg(v && (v->algo == LRB_SEQ || v->algo == LRB_DIRECT), "layer %s: no default variant", l->name);
        lrb_cfg cfg;
        lrb_call call;
        lrb_cfg_defaults(l, &cfg);
        lrb_call_init(&call, &cfg);
        ck_assert_int_gt(call.n, 0);
        for (int a = 0; a < call.n; a++)
            for (int b = a + 1; b < call.n; b++)
                ck_assert_msg(call.spec[a].role != call.spec[b].role || strcmp(call.spec[a].name, call.spec[b].name),
                              "layer %s: two tensors named %s", l->name, call.spec[a].name);
    }
    for (int i = 0; i < lrb_num_variants; i++)
        ck_assert_msg(lrb_layer_find(lrb_variants[i].layer) != NULL, "variant %s: unknown layer", lrb_variants[i].name);
}
END_TEST

Suite *lrb_suite_golden_data(void)
{
    Suite *s = suite_create("golden_data");
    TCase *tcat = tcase_create("catalogue");
    tcase_add_test(tcat, test_catalogue);
    suite_add_tcase(s, tcat);
    TCase *tc = tcase_create("rng_parity");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_golden_version);
    tcase_add_loop_test(tc, test_rng_parity, 0, n_of_tier());
    suite_add_tcase(s, tc);
    return s;
}

/* ---- per-layer suites ------------------------------------------------------------------------------ */

#define STREAM_CASES_PER_LAYER 4

static int golden_per_layer[64];

/* A layer without golden cases would make its suite vacuous: fail instead. */
START_TEST(test_layer_has_cases)
{
    ck_assert_msg(golden_per_layer[_i] > 0, "layer %s has no tier-1 golden case with a runnable variant",
                  lrb_layers[_i]->name);
}
END_TEST

Suite *lrb_suite_layer(const char *layer)
{
    int g0 = n_golden, s0 = n_stream, b0 = n_bitid, nstream_cases = 0;
    for (int ci = 0; ci < lrb_test_cases.n; ci++) {
        const lrb_case *c = &lrb_test_cases.cases[ci];
        if (c->tier != 1 || strcmp(c->cfg.layer->name, layer) != 0)
            continue;
        int streaming = c->cfg.layer->recurrent || strcmp(layer, "rwkv4_channelmix") == 0;
        int64_t L = lrb_cfg_int(&c->cfg, "L");
        int take_stream = streaming && L >= 4 && L <= 1100 && nstream_cases < STREAM_CASES_PER_LAYER;
        nstream_cases += take_stream;
        lrb_isa isas[LRB_NUM_ISAS];
        const int nisa = lrb_test_isas(isas);
        for (int vi = 0; vi < lrb_num_variants; vi++) {
            const lrb_variant *v = &lrb_variants[vi];
            if (strcmp(v->layer, layer) != 0 || !lrb_variant_supports(v, &c->cfg))
                continue;
            /* simd variants run on every ISA path; streaming on the default one */
            const int per_isa = strcmp(v->backend, "simd") == 0;
            for (int k = 0; k < (per_isa ? nisa : 1); k++) {
                const pair pr = {ci, vi, per_isa ? (int)isas[k] : -1};
                if (n_golden < MAX_PAIRS)
                    golden_pairs[n_golden++] = pr;
                if (per_isa && (v->algo == LRB_SEQ || v->algo == LRB_DIRECT) && n_bitid < MAX_PAIRS)
                    bitid_pairs[n_bitid++] = pr;
            }
            if (take_stream && n_stream < MAX_PAIRS)
                stream_pairs[n_stream++] = (pair){ci, vi, -1};
        }
    }
    int li = 0;
    while (li < lrb_num_layers && strcmp(lrb_layers[li]->name, layer) != 0)
        li++;
    golden_per_layer[li] = n_golden - g0;
    Suite *s = suite_create(layer);
    TCase *tg = tcase_create("golden");
    tcase_set_timeout(tg, 120);
    tcase_add_loop_test(tg, test_layer_has_cases, li, li + 1);
    tcase_add_loop_test(tg, test_golden, g0, n_golden);
    suite_add_tcase(s, tg);
    if (n_bitid > b0) {
        TCase *tb = tcase_create("bit_identity");
        tcase_set_timeout(tb, 120);
        tcase_add_loop_test(tb, test_bit_identity, b0, n_bitid);
        suite_add_tcase(s, tb);
    }
    if (n_stream > s0) {
        TCase *ts = tcase_create("streaming");
        tcase_set_timeout(ts, 120);
        tcase_add_loop_test(ts, test_streaming, s0, n_stream);
        suite_add_tcase(s, ts);
    }
    return s;
}
