/*
 * test_layers_unit.c — the `layers_unit` Check suite: fast structural tests of the scalar reference
 * layers (reference/, one file per layer) that need no golden files. Each test checks a property that
 * holds exactly (bit for bit) or against a float64 computation written here, so that a failure points
 * at one building block or one piece of wiring:
 *
 *   closed_form   x = 0 with zero input bias gives exactly the output bias (lru, slru, brwkv, glru);
 *                 RWKV-4 time-mix from the empty state: first row = W_o·(r_0 ⊙ v_0), since wkv_0 = v_0
 *   blocks        dense (both layouts) and LayerNorm against float64 loops on odd sizes
 *   layout        lru interleaved = 1 equals the planar layout after permuting the rows of i_dense
 *   equivalence   glru true recurrence with K_R = 0 equals the plain layer bit for bit; rnn_wrapper with
 *                 B = 2, F = 3 equals the inner layer run per (b, f) (the intended mapping, decision 4)
 *   carry         every recurrent layer run on x[0:L1] then x[L1:L] from the returned state equals one
 *                 pass bitwise (sequential algorithm)
 *   args          algorithms a layer does not support are rejected with LRB_EINVAL
 *
 * Calls are built through the layer table (harness/lrb_layers.h), so the tensor names and shapes are
 * those of golden/FORMAT.md; data come from the harness's counter RNG, so every run is identical.
 */
#include "lrb_tests.h"

#include "../harness/lrb_layers.h"
#include "../harness/rng.h"
#include "../reference/dense.h"
#include "../reference/lrb_ref.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a call with owned buffers ---------------------------------------------------------------- */

typedef struct test_call {
    lrb_cfg cfg;
    lrb_call call;
    float *own_state_in[LRB_MAX_TENSORS];
} test_call;

static lrb_variant_fn ref_fn(const char *layer)
{
    static const struct {
        const char *layer;
        lrb_variant_fn fn;
    } fns[] = {
        {"slru", lrb_ref_slru},
        {"lru", lrb_ref_lru},
        {"brwkv", lrb_ref_brwkv},
        {"rwkv4_timemix", lrb_ref_rwkv4_timemix},
        {"rwkv4_channelmix", lrb_ref_rwkv4_channelmix},
        {"rwkv4_block", lrb_ref_rwkv4_block},
        {"glru", lrb_ref_glru},
        {"linear", lrb_ref_linear},
        {"layernorm", lrb_ref_layernorm},
        {"rnn_wrapper", lrb_ref_rnn_wrapper},
    };
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
        if (strcmp(fns[i].layer, layer) == 0)
            return fns[i].fn;
    ck_abort_msg("no reference function for layer %s", layer);
    return NULL;
}

/* A call of `layer` configured by "key=value key=value ...", every buffer allocated; outputs and
 * final states poisoned with NaN so that an unwritten element cannot pass a comparison. */
static test_call *tc_new(const char *layer, const char *keys)
{
    test_call *t = calloc(1, sizeof *t);
    ck_assert_ptr_nonnull(t);
    const lrb_layer *ly = lrb_layer_find(layer);
    ck_assert_msg(ly != NULL, "unknown layer %s", layer);
    lrb_cfg_defaults(ly, &t->cfg);
    const char *p = keys;
    char k[64], v[64], err[256];
    int used = 0;
    while (sscanf(p, " %63[^= ]=%63s%n", k, v, &used) == 2) {
        ck_assert_msg(lrb_cfg_set(&t->cfg, k, v, err, sizeof err) == 0, "%s", err);
        p += used;
    }
    lrb_call_init(&t->call, &t->cfg);
    for (int i = 0; i < t->call.n; i++) {
        const lrb_tensor_spec *s = &t->call.spec[i];
        const int64_t n = lrb_spec_count(s);
        t->call.t[i] = malloc((size_t)n * sizeof(float));
        ck_assert_ptr_nonnull(t->call.t[i]);
        const float fill = (s->role == LRB_OUTPUT || s->role == LRB_STATE) ? NAN : 0.0f;
        for (int64_t j = 0; j < n; j++)
            t->call.t[i][j] = fill;
    }
    return t;
}

static void tc_free(test_call *t)
{
    for (int i = 0; i < t->call.n; i++) {
        free(t->call.t[i]);
        free(t->own_state_in[i]);
    }
    free(t);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Uniform [lo, hi) element j of stream (seed, i). */
static float draw(uint64_t seed, int i, int64_t j, double lo, double hi)
{
    return (float)(lo + (hi - lo) * lrb_rng_u(lrb_rng_stream(seed, i), (uint64_t)j));
}

/* Fills parameters and inputs with values in ranges where every layer is well conditioned: decays in
 * the LRU ring range and faster, mixing coefficients in [0, 1], LayerNorm gains near 1, the rest
 * small and of both signs. */
static void tc_fill(test_call *t, uint64_t seed)
{
    for (int i = 0; i < t->call.n; i++) {
        const lrb_tensor_spec *s = &t->call.spec[i];
        if (s->role != LRB_PARAM && s->role != LRB_INPUT)
            continue;
        const int64_t n = lrb_spec_count(s);
        float *d = t->call.t[i];
        for (int64_t j = 0; j < n; j++) {
            double lo = -0.5, hi = 0.5;
            if (s->role == LRB_INPUT) {
                lo = -1.0, hi = 1.0;
            } else if (ends_with(s->name, "params_log")) {
                /* rows nu_log, [theta_log,] gamma_log of a (.., rows, U) tensor */
                const int64_t U = s->shape[s->ndim - 1], rows = s->shape[s->ndim - 2];
                const int64_t row = (j / U) % rows;
                if (row == 0)
                    lo = -4.0, hi = -1.0;
                else if (row == rows - 1)
                    lo = -1.0, hi = 0.0;
                else
                    lo = -1.0, hi = 1.8;
            } else if (ends_with(s->name, "nu_log")) {
                lo = -4.0, hi = -1.0;
            } else if (ends_with(s->name, "time_decay")) {
                lo = -3.0, hi = 2.0;
            } else if (ends_with(s->name, "time_first")) {
                lo = -1.0, hi = 1.0;
            } else if (strstr(s->name, "time_mix")) {
                lo = 0.0, hi = 1.0;
            } else if (s->ndim == 1 && ends_with(s->name, "weight")) {
                lo = 0.5, hi = 1.5; /* LayerNorm gains */
            }
            d[j] = draw(seed, i, j, lo, hi);
        }
    }
}

/* Gives the call a random, valid initial state (bb > 0, pp moderate), owned by t. */
static void tc_random_state(test_call *t, uint64_t seed)
{
    for (int i = 0; i < t->call.n; i++) {
        const lrb_tensor_spec *s = &t->call.spec[i];
        if (s->role != LRB_STATE)
            continue;
        const int64_t n = lrb_spec_count(s);
        free(t->own_state_in[i]);
        t->own_state_in[i] = malloc((size_t)n * sizeof(float));
        ck_assert_ptr_nonnull(t->own_state_in[i]);
        double lo = -1.0, hi = 1.0;
        if (ends_with(s->name, "pp"))
            lo = -5.0, hi = 5.0;
        else if (ends_with(s->name, "bb"))
            lo = 0.5, hi = 2.0;
        for (int64_t j = 0; j < n; j++)
            t->own_state_in[i][j] = draw(seed, 100 + i, j, lo, hi);
        t->call.state_in[i] = t->own_state_in[i];
    }
    t->call.has_state_in = 1;
}

/* dst starts from src's final states. */
static void tc_chain_state(test_call *dst, const test_call *src)
{
    for (int i = 0; i < dst->call.n; i++)
        if (dst->call.spec[i].role == LRB_STATE) {
            dst->call.state_in[i] = lrb_call_get(&src->call, dst->call.spec[i].name);
            ck_assert_ptr_nonnull(dst->call.state_in[i]);
        }
    dst->call.has_state_in = 1;
}

/* Copies every parameter of dst from the same-named tensor of src (same shapes). */
static void tc_copy_params(test_call *dst, const test_call *src)
{
    for (int i = 0; i < dst->call.n; i++) {
        const lrb_tensor_spec *s = &dst->call.spec[i];
        if (s->role != LRB_PARAM)
            continue;
        const int j = lrb_call_find(&src->call, s->name);
        ck_assert_msg(j >= 0, "parameter %s missing in the source call", s->name);
        ck_assert_int_eq(lrb_spec_count(&src->call.spec[j]), lrb_spec_count(s));
        memcpy(dst->call.t[i], src->call.t[j], (size_t)lrb_spec_count(s) * sizeof(float));
    }
}

static float *tc_get(const test_call *t, const char *name)
{
    float *p = lrb_call_get(&t->call, name);
    ck_assert_msg(p != NULL, "call of %s has no tensor %s", t->cfg.layer->name, name);
    return p;
}

static int64_t tc_count(const test_call *t, const char *name)
{
    const int i = lrb_call_find(&t->call, name);
    ck_assert_int_ge(i, 0);
    return lrb_spec_count(&t->call.spec[i]);
}

static void tc_run(test_call *t, lrb_algo algo)
{
    const int rc = ref_fn(t->cfg.layer->name)(&t->call, algo);
    ck_assert_msg(rc == LRB_OK, "%s.ref.%s returned %d", t->cfg.layer->name, lrb_algo_name(algo), rc);
}

/* Bitwise equality of n floats, naming the first differing element. */
static void expect_bits(const float *got, const float *want, int64_t n, const char *what)
{
    for (int64_t i = 0; i < n; i++)
        ck_assert_msg(memcmp(&got[i], &want[i], sizeof(float)) == 0, "%s[%lld]: got %.9g, want %.9g (bitwise)", what,
                      (long long)i, (double)got[i], (double)want[i]);
}

/* max |got − want| ≤ tol·max|want| (the relative max-error metric of LAYERS.md §6.1). */
static void expect_close(const float *got, const double *want, int64_t n, double tol, const char *what)
{
    double scale = 1e-30, err = 0.0;
    int64_t worst = 0;
    for (int64_t i = 0; i < n; i++) {
        scale = fmax(scale, fabs(want[i]));
        const double e = fabs((double)got[i] - want[i]);
        if (!(e <= err)) {
            err = e;
            worst = i;
        }
    }
    ck_assert_msg(err <= tol * scale,
                  "%s: max error %.3g relative to %.3g (tolerance %.1g) at [%lld]: got %.9g, want %.9g", what,
                  err / scale, scale, tol, (long long)worst, (double)got[worst], want[worst]);
}

static const lrb_algo recurrent_algos[] = {LRB_SEQ, LRB_UL, LRB_BLELLOCH, LRB_CHUNKED};

/* ---- closed_form -------------------------------------------------------------------------------- */

static const struct {
    const char *layer, *keys, *in_bias, *out_bias, *state;
} zero_cases[] = {
    {"slru", "B=2 L=9 H=5 U=3 chunk=4", "i_dense.bias", "o_dense.bias", "s"},
    {"lru", "B=2 L=9 H=5 U=3 chunk=4", "i_dense.bias", "o_dense.bias", "s"},
    {"brwkv", "B=2 L=9 H=5 U=3 chunk=4", "rkv_dense.bias", "o_dense.bias", "s"},
    {"glru", "B=2 L=9 d_in=5 d_h=3 d_model=4 chunk=4", "proj.bias", "out_proj.bias", "h"},
    {"glru", "B=2 L=9 d_in=5 d_h=3 d_model=4 tied=0 chunk=4", "proj.bias", "out_proj.bias", "h"},
};
#define N_ZERO_CASES ((int)(sizeof zero_cases / sizeof zero_cases[0]))

/* x = 0 and a zero input bias make every scan input exactly 0, so the output Linear sees exact zeros
 * and returns its bias exactly; the (numerator) scan state stays exactly 0. Holds for every algorithm. */
START_TEST(zero_input_gives_output_bias)
{
    const int c = _i / 4;
    const lrb_algo algo = recurrent_algos[_i % 4];
    test_call *t = tc_new(zero_cases[c].layer, zero_cases[c].keys);
    tc_fill(t, 11);
    memset(tc_get(t, "x"), 0, (size_t)tc_count(t, "x") * sizeof(float));
    memset(tc_get(t, zero_cases[c].in_bias), 0, (size_t)tc_count(t, zero_cases[c].in_bias) * sizeof(float));
    tc_run(t, algo);

    const float *y = tc_get(t, "y"), *bo = tc_get(t, zero_cases[c].out_bias);
    const int64_t W = tc_count(t, zero_cases[c].out_bias), rows = tc_count(t, "y") / W;
    char what[128];
    for (int64_t r = 0; r < rows; r++) {
        snprintf(what, sizeof what, "%s (%s) %s: y row %lld vs %s", zero_cases[c].layer, zero_cases[c].keys,
                 lrb_algo_name(algo), (long long)r, zero_cases[c].out_bias);
        expect_bits(y + r * W, bo, W, what);
    }
    const float *s = tc_get(t, zero_cases[c].state);
    for (int64_t i = 0; i < tc_count(t, zero_cases[c].state); i++)
        ck_assert_msg(s[i] == 0.0f, "%s (%s) %s: state %s[%lld] = %g, want 0", zero_cases[c].layer, zero_cases[c].keys,
                      lrb_algo_name(algo), zero_cases[c].state, (long long)i, (double)s[i]);
    tc_free(t);
}
END_TEST

/* From the empty state the token shift sees zeros (xk = μ_k ⊙ a_0) and the WKV's first output is v_0
 * (e1 = exp(−1e38 − q) = 0, e2 = 1), so y_0 = W_o·(σ(W_r·(μ_r ⊙ a_0)) ⊙ W_v·(μ_v ⊙ a_0)). */
START_TEST(timemix_first_row)
{
    const lrb_algo algo = recurrent_algos[_i];
    const int64_t B = 2, L = 3, C = 5;
    test_call *t = tc_new("rwkv4_timemix", "B=2 L=3 C=5 chunk=2");
    tc_fill(t, 12);
    tc_run(t, algo);
    const float *x = tc_get(t, "x"), *y = tc_get(t, "y");
    const float *mv = tc_get(t, "time_mix_v"), *mr = tc_get(t, "time_mix_r");
    for (int64_t b = 0; b < B; b++) {
        const float *a0 = x + b * L * C;
        float xv[5], xr[5], v[5], r[5], ro[5], want[5];
        for (int64_t c = 0; c < C; c++) {
            xv[c] = a0[c] * mv[c];
            xr[c] = a0[c] * mr[c];
        }
        lrb_dense_rows(xv, 1, C, C, tc_get(t, "value.weight"), NULL, C, v, C);
        lrb_dense_rows(xr, 1, C, C, tc_get(t, "receptance.weight"), NULL, C, r, C);
        for (int64_t c = 0; c < C; c++)
            ro[c] = lrb_sigmoidf(r[c]) * v[c];
        lrb_dense_rows(ro, 1, C, C, tc_get(t, "output.weight"), NULL, C, want, C);
        if (algo == LRB_SEQ) {
            expect_bits(y + b * L * C, want, C, "timemix y_0");
        } else {
            double wd[5];
            for (int64_t c = 0; c < C; c++)
                wd[c] = want[c];
            expect_close(y + b * L * C, wd, C, 1e-6, "timemix y_0");
        }
    }
    tc_free(t);
}
END_TEST

/* ---- blocks ------------------------------------------------------------------------------------- */

/* rows 5, in 7, out 3 with padded strides, against a float64 triple loop; both layouts, with and
 * without bias; and the two layouts agree bit for bit (same summation order by contract). */
START_TEST(dense_vs_double)
{
    enum { R = 5, IN = 7, OUT = 3, LDX = 9, LDY = 4 };
    float x[R * LDX], W[OUT * IN], K[IN * OUT], bias[OUT], y[R * LDY], yk[R * LDY];
    double want[R * OUT];
    for (int i = 0; i < R * LDX; i++)
        x[i] = draw(21, 0, i, -1.0, 1.0);
    for (int j = 0; j < OUT; j++)
        for (int k = 0; k < IN; k++)
            K[k * OUT + j] = W[j * IN + k] = draw(21, 1, j * IN + k, -1.0, 1.0);
    for (int j = 0; j < OUT; j++)
        bias[j] = draw(21, 2, j, -1.0, 1.0);

    for (int with_bias = 0; with_bias < 2; with_bias++) {
        const float *bp = with_bias ? bias : NULL;
        for (int i = 0; i < R * LDY; i++)
            y[i] = yk[i] = -7.0f; /* the padding column must stay untouched */
        lrb_dense_rows(x, R, IN, LDX, W, bp, OUT, y, LDY);
        lrb_dense_rows_kn(x, R, IN, LDX, K, bp, OUT, yk, LDY);
        float got[R * OUT], gotk[R * OUT];
        for (int r = 0; r < R; r++) {
            for (int j = 0; j < OUT; j++) {
                double acc = 0.0;
                for (int k = 0; k < IN; k++)
                    acc += (double)x[r * LDX + k] * (double)W[j * IN + k];
                want[r * OUT + j] = acc + (bp ? (double)bp[j] : 0.0);
                got[r * OUT + j] = y[r * LDY + j];
                gotk[r * OUT + j] = yk[r * LDY + j];
            }
            ck_assert(y[r * LDY + OUT] == -7.0f && yk[r * LDY + OUT] == -7.0f);
        }
        expect_close(got, want, R * OUT, 2e-6, "dense (out,in)");
        expect_close(gotk, want, R * OUT, 2e-6, "dense (in,out)");
        expect_bits(gotk, got, R * OUT, "dense layouts");
    }
}
END_TEST

/* A few rows of 17 values with a mean offset (two-pass centring matters), against float64; also in
 * place (y = x) against out of place, bitwise. */
START_TEST(layernorm_vs_double)
{
    enum { R = 3, C = 17 };
    const float eps = 1e-5f;
    float x[R * C], w[C], b[C], y[R * C], yi[R * C];
    double want[R * C];
    for (int i = 0; i < R * C; i++)
        x[i] = draw(22, 0, i, 0.0, 1.0) + (float)(i / C); /* row r: mean ≈ r + 0.5 */
    for (int c = 0; c < C; c++) {
        w[c] = draw(22, 1, c, 0.5, 1.5);
        b[c] = draw(22, 2, c, -0.5, 0.5);
    }
    lrb_layernorm_rows(x, R, C, C, w, b, eps, y, C);
    memcpy(yi, x, sizeof yi);
    lrb_layernorm_rows(yi, R, C, C, w, b, eps, yi, C);
    for (int r = 0; r < R; r++) {
        double mean = 0.0, var = 0.0;
        for (int c = 0; c < C; c++)
            mean += x[r * C + c];
        mean /= C;
        for (int c = 0; c < C; c++)
            var += ((double)x[r * C + c] - mean) * ((double)x[r * C + c] - mean);
        var /= C;
        for (int c = 0; c < C; c++)
            want[r * C + c] = ((double)x[r * C + c] - mean) / sqrt(var + (double)eps) * w[c] + b[c];
    }
    expect_close(y, want, R * C, 2e-6, "layernorm");
    expect_bits(yi, y, R * C, "layernorm in place");
}
END_TEST

/* ---- layout ------------------------------------------------------------------------------------- */

/* interleaved = 1 reads rows 2j / 2j+1 of i_dense as re / im of channel j; moving those rows to j and
 * U + j gives the planar layer with identical output and state (bitwise: each projected value is
 * computed by the same dot product either way). */
START_TEST(lru_interleaved_is_row_permutation)
{
    const int64_t H = 5, U = 3;
    test_call *il = tc_new("lru", "B=2 L=6 H=5 U=3 interleaved=1");
    test_call *pl = tc_new("lru", "B=2 L=6 H=5 U=3 interleaved=0");
    tc_fill(il, 31);
    tc_random_state(il, 32);
    tc_copy_params(pl, il);
    memcpy(tc_get(pl, "x"), tc_get(il, "x"), (size_t)tc_count(il, "x") * sizeof(float));
    pl->call.state_in[lrb_call_find(&pl->call, "s")] = lrb_call_state_in(&il->call, "s");
    pl->call.has_state_in = 1;
    const float *wi = tc_get(il, "i_dense.weight"), *bi = tc_get(il, "i_dense.bias");
    float *wp = tc_get(pl, "i_dense.weight"), *bp = tc_get(pl, "i_dense.bias");
    for (int64_t j = 0; j < U; j++) {
        memcpy(wp + j * H, wi + 2 * j * H, (size_t)H * sizeof(float));
        memcpy(wp + (U + j) * H, wi + (2 * j + 1) * H, (size_t)H * sizeof(float));
        bp[j] = bi[2 * j];
        bp[U + j] = bi[2 * j + 1];
    }
    tc_run(il, LRB_SEQ);
    tc_run(pl, LRB_SEQ);
    expect_bits(tc_get(il, "y"), tc_get(pl, "y"), tc_count(il, "y"), "lru y");
    expect_bits(tc_get(il, "s"), tc_get(pl, "s"), tc_count(il, "s"), "lru s");
    tc_free(il);
    tc_free(pl);
}
END_TEST

/* ---- equivalence -------------------------------------------------------------------------------- */

/* GL's claim that the recurrent mode with K_R = 0 is the associative mode, here bit for bit against the
 * sequential scan, tied and untied, from a non-zero carry. */
START_TEST(glru_true_recurrence_zero_kr)
{
    const int tied = _i;
    char keys[128];
    snprintf(keys, sizeof keys, "B=2 L=6 d_in=5 d_h=3 d_model=4 tied=%d true_recurrence=1", tied);
    test_call *tr = tc_new("glru", keys);
    snprintf(keys, sizeof keys, "B=2 L=6 d_in=5 d_h=3 d_model=4 tied=%d true_recurrence=0", tied);
    test_call *pl = tc_new("glru", keys);
    tc_fill(tr, 41);
    memset(tc_get(tr, "recurrent_proj.kernel"), 0, (size_t)tc_count(tr, "recurrent_proj.kernel") * sizeof(float));
    tc_random_state(tr, 42);
    tc_copy_params(pl, tr);
    memcpy(tc_get(pl, "x"), tc_get(tr, "x"), (size_t)tc_count(tr, "x") * sizeof(float));
    pl->call.state_in[lrb_call_find(&pl->call, "h")] = lrb_call_state_in(&tr->call, "h");
    pl->call.has_state_in = 1;
    tc_run(tr, LRB_SEQ);
    tc_run(pl, LRB_SEQ);
    expect_bits(tc_get(tr, "y"), tc_get(pl, "y"), tc_count(tr, "y"), "glru y");
    expect_bits(tc_get(tr, "h"), tc_get(pl, "h"), tc_count(tr, "h"), "glru h");
    tc_free(tr);
    tc_free(pl);
}
END_TEST

static const char *const wrapper_rnns[] = {"lru", "slru", "brwkv"};

/* y[b, :, f, :] = Layer_f(x[b, :, f, :]ᵀ)ᵀ for every b and f with B = 2, F = 3 (PyTorch's port mixes
 * b and f here, decision 4), including the state slices (B, F, ·). Sequential: bitwise; the other
 * algorithms within 1e−5 (a wrong mapping gives O(1) differences). */
START_TEST(rnn_wrapper_per_bin)
{
    const char *rnn = wrapper_rnns[_i / 4];
    const lrb_algo algo = recurrent_algos[_i % 4];
    const int64_t B = 2, C = 4, F = 3, T = 5;
    char keys[128];
    snprintf(keys, sizeof keys, "B=2 L=5 C=4 F=3 chunk=2 rnn=%s", rnn);
    test_call *w = tc_new("rnn_wrapper", keys);
    tc_fill(w, 51);
    tc_random_state(w, 52);
    tc_run(w, algo);
    const float *x = tc_get(w, "x"), *y = tc_get(w, "y");

    for (int64_t b = 0; b < B; b++)
        for (int64_t f = 0; f < F; f++) {
            test_call *in = tc_new(rnn, "B=1 L=5 H=4 U=4 chunk=2");
            for (int i = 0; i < in->call.n; i++) {
                const lrb_tensor_spec *s = &in->call.spec[i];
                const int64_t n = lrb_spec_count(s);
                char name[LRB_NAME_MAX + 16];
                snprintf(name, sizeof name, "rnn_layers.%s", s->name);
                if (s->role == LRB_PARAM)
                    memcpy(in->call.t[i], tc_get(w, name) + f * n, (size_t)n * sizeof(float));
            }
            tc_random_state(in, 0);
            for (int i = 0; i < in->call.n; i++) {
                const lrb_tensor_spec *s = &in->call.spec[i];
                if (s->role == LRB_STATE) {
                    const int64_t n = lrb_spec_count(s); /* (1, sw) */
                    memcpy(in->own_state_in[i], lrb_call_state_in(&w->call, s->name) + (b * F + f) * n,
                           (size_t)n * sizeof(float));
                }
            }
            float *xi = tc_get(in, "x");
            for (int64_t t = 0; t < T; t++)
                for (int64_t c = 0; c < C; c++)
                    xi[t * C + c] = x[((b * C + c) * F + f) * T + t];
            tc_run(in, algo);

            const float *yi = tc_get(in, "y");
            float got[5 * 4];
            double want[5 * 4];
            for (int64_t t = 0; t < T; t++)
                for (int64_t c = 0; c < C; c++) {
                    got[t * C + c] = y[((b * C + c) * F + f) * T + t];
                    want[t * C + c] = yi[t * C + c];
                }
            char what[96];
            snprintf(what, sizeof what, "%s wrapper y[b=%lld, f=%lld]", rnn, (long long)b, (long long)f);
            if (algo == LRB_SEQ)
                expect_bits(got, yi, T * C, what);
            else
                expect_close(got, want, T * C, 1e-5, what);
            for (int i = 0; i < in->call.n; i++) {
                const lrb_tensor_spec *s = &in->call.spec[i];
                if (s->role != LRB_STATE)
                    continue;
                const int64_t n = lrb_spec_count(s);
                const float *ws = tc_get(w, s->name) + (b * F + f) * n;
                snprintf(what, sizeof what, "%s wrapper state %s[b=%lld, f=%lld]", rnn, s->name, (long long)b,
                         (long long)f);
                if (algo == LRB_SEQ) {
                    expect_bits(ws, in->call.t[i], n, what);
                } else {
                    double sd[16];
                    ck_assert_int_le(n, 16);
                    for (int64_t j = 0; j < n; j++)
                        sd[j] = in->call.t[i][j];
                    expect_close(ws, sd, n, 1e-5, what);
                }
            }
            tc_free(in);
        }
    tc_free(w);
}
END_TEST

/* ---- carry -------------------------------------------------------------------------------------- */

static const struct {
    const char *layer, *keys;
    lrb_algo algo;
} carry_cases[] = {
    {"slru", "B=2 H=5 U=3", LRB_SEQ},
    {"slru", "B=2 H=5 U=3 use_bias=0", LRB_SEQ},
    {"lru", "B=2 H=5 U=3", LRB_SEQ},
    {"lru", "B=2 H=5 U=3 interleaved=1", LRB_SEQ},
    {"brwkv", "B=2 H=5 U=3", LRB_SEQ},
    {"brwkv", "B=2 H=5 U=3 eps_den=1e-6", LRB_SEQ},
    {"glru", "B=2 d_in=5 d_h=3 d_model=4", LRB_SEQ},
    {"glru", "B=2 d_in=5 d_h=3 d_model=4 tied=0", LRB_SEQ},
    {"glru", "B=2 d_in=5 d_h=3 d_model=4 true_recurrence=1", LRB_SEQ},
    {"glru", "B=2 d_in=5 d_h=3 d_model=4 tied=0 true_recurrence=1", LRB_SEQ},
    {"rwkv4_timemix", "B=2 C=5", LRB_SEQ},
    {"rwkv4_channelmix", "B=2 C=5", LRB_DIRECT},
    {"rwkv4_block", "B=2 C=5", LRB_SEQ},
    {"rwkv4_block", "B=2 C=5 ln0=1", LRB_SEQ},
    {"rnn_wrapper", "B=2 C=3 F=2 rnn=lru", LRB_SEQ},
    {"rnn_wrapper", "B=2 C=3 F=2 rnn=slru", LRB_SEQ},
    {"rnn_wrapper", "B=2 C=3 F=2 rnn=brwkv", LRB_SEQ},
};
#define N_CARRY_CASES ((int)(sizeof carry_cases / sizeof carry_cases[0]))
static const int carry_l1[] = {1, 3, 6}; /* L = 7: L1 ∈ {1, L/2, L − 1} */
#define CARRY_L 7

/* Copies time steps [t0, t0 + n) of a tensor whose time axis is `axis` (length Lsrc) into dst (or back,
 * with to_src) — (B, L, W) has axis 1, rnn_wrapper's (B, C, F, T) axis 3. */
static void time_slice(const lrb_tensor_spec *s, int axis, float *src, int64_t Lsrc, float *dst, int64_t t0, int64_t n,
                       int to_src)
{
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; d++)
        outer *= s->shape[d];
    for (int d = axis + 1; d < s->ndim; d++)
        inner *= s->shape[d];
    for (int64_t o = 0; o < outer; o++) {
        float *a = src + (o * Lsrc + t0) * inner, *b = dst + o * n * inner;
        if (to_src)
            memcpy(a, b, (size_t)(n * inner) * sizeof(float));
        else
            memcpy(b, a, (size_t)(n * inner) * sizeof(float));
    }
}

START_TEST(carry_matches_one_pass)
{
    const int c = _i / 3;
    const int64_t L1 = carry_l1[_i % 3], L = CARRY_L;
    const char *layer = carry_cases[c].layer;
    /* A small chunk so that the pieces cross chunk borders where the layer has a chunked scan. */
    const char *chunk = lrb_layer_find(layer)->recurrent ? "chunk=2" : "";
    char keys[160];
    snprintf(keys, sizeof keys, "L=%d %s %s", CARRY_L, chunk, carry_cases[c].keys);
    test_call *full = tc_new(layer, keys);
    snprintf(keys, sizeof keys, "L=%lld %s %s", (long long)L1, chunk, carry_cases[c].keys);
    test_call *p1 = tc_new(layer, keys);
    snprintf(keys, sizeof keys, "L=%lld %s %s", (long long)(L - L1), chunk, carry_cases[c].keys);
    test_call *p2 = tc_new(layer, keys);
    tc_fill(full, 61);
    tc_copy_params(p1, full);
    tc_copy_params(p2, full);

    const int ix = lrb_call_find(&full->call, "x");
    const int axis = lrb_spec_time_axis(&full->call.spec[ix]);
    time_slice(&full->call.spec[ix], axis, tc_get(full, "x"), L, tc_get(p1, "x"), 0, L1, 0);
    time_slice(&full->call.spec[ix], axis, tc_get(full, "x"), L, tc_get(p2, "x"), L1, L - L1, 0);

    tc_run(full, carry_cases[c].algo);
    tc_run(p1, carry_cases[c].algo);
    tc_chain_state(p2, p1);
    tc_run(p2, carry_cases[c].algo);

    /* Reassemble the two output pieces in the full layout and compare. */
    const int iy = lrb_call_find(&full->call, "y");
    const int64_t ny = tc_count(full, "y");
    float *joined = malloc((size_t)ny * sizeof(float));
    ck_assert_ptr_nonnull(joined);
    time_slice(&full->call.spec[iy], axis, joined, L, tc_get(p1, "y"), 0, L1, 1);
    time_slice(&full->call.spec[iy], axis, joined, L, tc_get(p2, "y"), L1, L - L1, 1);
    char what[128];
    snprintf(what, sizeof what, "%s (%s) L1=%lld: y", layer, carry_cases[c].keys, (long long)L1);
    expect_bits(joined, tc_get(full, "y"), ny, what);
    free(joined);
    for (int i = 0; i < full->call.n; i++) {
        const lrb_tensor_spec *s = &full->call.spec[i];
        if (s->role != LRB_STATE)
            continue;
        snprintf(what, sizeof what, "%s (%s) L1=%lld: state %s", layer, carry_cases[c].keys, (long long)L1, s->name);
        expect_bits(tc_get(p2, s->name), full->call.t[i], lrb_spec_count(s), what);
    }
    tc_free(full);
    tc_free(p1);
    tc_free(p2);
}
END_TEST

/* ---- args --------------------------------------------------------------------------------------- */

START_TEST(unsupported_algorithms_rejected)
{
    test_call *g = tc_new("glru", "B=1 L=4 d_in=3 d_h=2 d_model=3 true_recurrence=1");
    tc_fill(g, 71);
    for (int a = 1; a < 4; a++)
        ck_assert_int_eq(lrb_ref_glru(&g->call, recurrent_algos[a]), LRB_EINVAL);
    ck_assert_int_eq(lrb_ref_glru(&g->call, LRB_DIRECT), LRB_EINVAL);
    tc_free(g);

    test_call *s = tc_new("slru", "B=1 L=4 H=3 U=2");
    tc_fill(s, 72);
    ck_assert_int_eq(lrb_ref_slru(&s->call, LRB_DIRECT), LRB_EINVAL);
    tc_free(s);

    test_call *l = tc_new("linear", "B=1 L=2 in=3 out=2");
    tc_fill(l, 73);
    ck_assert_int_eq(lrb_ref_linear(&l->call, LRB_SEQ), LRB_EINVAL);
    ck_assert_int_eq(lrb_ref_linear(&l->call, LRB_DIRECT), LRB_OK);
    tc_free(l);

    test_call *m = tc_new("rwkv4_channelmix", "B=1 L=2 C=3");
    tc_fill(m, 74);
    ck_assert_int_eq(lrb_ref_rwkv4_channelmix(&m->call, LRB_SEQ), LRB_EINVAL);
    tc_free(m);
}
END_TEST

/* ---- the suite ---------------------------------------------------------------------------------- */

Suite *lrb_suite_layers_unit(void)
{
    Suite *s = suite_create("layers_unit");

    TCase *tc = tcase_create("closed_form");
    tcase_add_loop_test(tc, zero_input_gives_output_bias, 0, N_ZERO_CASES * 4);
    tcase_add_loop_test(tc, timemix_first_row, 0, 4);
    suite_add_tcase(s, tc);

    tc = tcase_create("blocks");
    tcase_add_test(tc, dense_vs_double);
    tcase_add_test(tc, layernorm_vs_double);
    suite_add_tcase(s, tc);

    tc = tcase_create("layout");
    tcase_add_test(tc, lru_interleaved_is_row_permutation);
    suite_add_tcase(s, tc);

    tc = tcase_create("equivalence");
    tcase_add_loop_test(tc, glru_true_recurrence_zero_kr, 0, 2);
    tcase_add_loop_test(tc, rnn_wrapper_per_bin, 0, 3 * 4);
    suite_add_tcase(s, tc);

    tc = tcase_create("carry");
    tcase_add_loop_test(tc, carry_matches_one_pass, 0, N_CARRY_CASES * 3);
    suite_add_tcase(s, tc);

    tc = tcase_create("args");
    tcase_add_test(tc, unsupported_algorithms_rejected);
    suite_add_tcase(s, tc);

    return s;
}
