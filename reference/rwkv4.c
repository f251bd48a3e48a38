/*
 * rwkv4.c — scalar float32 reference of the RWKV-4 layers (LAYERS.md §2): the time-mix (§2.2), the
 * channel-mix (§2.3) and the block (§2.1) that chains them with LayerNorms and residuals.
 *
 *   time-mix:    xk, xv, xr = token-shift mixes of the input a with the previous row (state att_xx)
 *                k = W_k·xk,  v = W_v·xv,  r = σ(W_r·xr),  out = W_o·(r ⊙ WKV(w, u, k, v))
 *   channel-mix: xk, xr = token-shift mixes with state ffn_xx
 *                out = σ(W'_r·xr) ⊙ (W'_v · relu(W'_k·xk)²)           (hidden width 4C)
 *   block:       [x ← LN0(x)];  x ← x + TimeMix(LN1 x);  x ← x + ChannelMix(LN2 x)   (eps 1e−5)
 *
 * No Linear has a bias. w = −expf(time_decay) is computed once per call in float32 (decision 7) and
 * the WKV recurrence is lrb_wkv4 (wkv4.h) with the requested algorithm. The token-shift state holds
 * the previous token's *input* row of the mix (the LayerNorm output inside a block), not the residual
 * stream; its final value is the last input row. States of a block are serialised in the order
 * ffn_xx, att_xx, att_aa, att_bb, att_pp (§2.6).
 */
#include "dense.h"
#include "lrb_ref.h"
#include "wkv4.h"
#include "lrb_math.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RWKV4_LN_EPS 1e-5f /* PyTorch's nn.LayerNorm default, with which the checkpoints were trained */

typedef struct timemix_params {
    const float *time_decay, *time_first; /* (C) */
    const float *mix_k, *mix_v, *mix_r;   /* (1, 1, C) */
    const float *wk, *wv, *wr, *wo;       /* (C, C) */
} timemix_params;

typedef struct channelmix_params {
    const float *mix_k, *mix_r; /* (1, 1, C) */
    const float *wk;            /* (4C, C) */
    const float *wr;            /* (C, C) */
    const float *wv;            /* (C, 4C) */
} channelmix_params;

typedef struct att_state {
    const float *xx, *aa, *bb, *pp; /* initial, each (B, C) or NULL for the empty state */
    float *xx1, *aa1, *bb1, *pp1;   /* final, each (B, C) or NULL */
} att_state;

/* Copies the last row of each sequence of a (B, L, C) into dst (B, C): the next call's token shift. */
static void last_rows(const float *a, int64_t B, int64_t L, int64_t C, float *dst)
{
    if (!dst)
        return;
    for (int64_t b = 0; b < B; b++)
        memcpy(dst + b * C, a + (b * L + L - 1) * C, (size_t)C * sizeof *dst);
}

static int timemix_params_ok(const timemix_params *p)
{
    return p->time_decay && p->time_first && p->mix_k && p->mix_v && p->mix_r && p->wk && p->wv && p->wr && p->wo;
}

static int channelmix_params_ok(const channelmix_params *p)
{
    return p->mix_k && p->mix_r && p->wk && p->wr && p->wv;
}

/* Row-wise steps, run through ops->for_rows (rows are independent, so on any thread and in one pass). */
typedef struct rows_ctx {
    const lrb_ops *ops;
    float *r, *m, *out;
    int64_t C;
} rows_ctx;

/* out = σ(r) ⊙ m (r is overwritten by σ(r)) */
static void receptance_rows(void *vctx, int64_t r0, int64_t n)
{
    const rows_ctx *g = vctx;
    float *r = g->r + r0 * g->C, *out = g->out + r0 * g->C;
    const float *m = g->m + r0 * g->C;
    const int64_t cnt = n * g->C;
    g->ops->sigmoid_n(r, r, cnt);
    for (int64_t i = 0; i < cnt; i++)
        out[i] = r[i] * m[i];
}

/* m = relu(m)², written so that a NaN propagates (RL: torch.square(torch.relu(k))) */
static void relu_sq_rows(void *vctx, int64_t r0, int64_t n)
{
    const rows_ctx *g = vctx;
    float *k = g->m + r0 * g->C;
    for (int64_t i = 0; i < n * g->C; i++) {
        const float t = k[i] < 0.0f ? 0.0f : k[i];
        k[i] = t * t;
    }
}

/* Time-mix of a (B, L, C) into y (B, L, C); y must not overlap a. */
static int timemix(const lrb_ops *ops, const timemix_params *p, int64_t B, int64_t L, int64_t C, const float *a,
                   float *y, const att_state *st, lrb_algo algo, int64_t chunk)
{
    /* Scratch: m (the current mix, later wkv and r ⊙ wkv), k, v, r (B, L, C); w (C); the final WKV
     * state (3 × (B, C)), so that a final-state buffer may alias the initial one. */
    const size_t n = (size_t)(B * L * C), ns = (size_t)(B * C);
    float *m = ops->scratch_alloc(4 * n + (size_t)C + 3 * ns);
    if (!m)
        return LRB_ENOMEM;
    float *k = m + n, *v = k + n, *r = v + n, *w = r + n, *aa = w + C, *bb = aa + ns, *pp = bb + ns;
    const int64_t R = B * L;

    ops->token_shift_mix(a, B, L, C, st->xx, p->mix_k, m);
    ops->dense_rows(m, R, C, C, p->wk, NULL, C, k, C);
    ops->token_shift_mix(a, B, L, C, st->xx, p->mix_v, m);
    ops->dense_rows(m, R, C, C, p->wv, NULL, C, v, C);
    ops->token_shift_mix(a, B, L, C, st->xx, p->mix_r, m);
    ops->dense_rows(m, R, C, C, p->wr, NULL, C, r, C);
    for (int64_t c = 0; c < C; c++)
        w[c] = -lrb_expf(p->time_decay[c]);

    const lrb_wkv4_args wa = {
        .B = B,
        .L = L,
        .C = C,
        .w = w,
        .u = p->time_first,
        .k = k,
        .v = v,
        .wkv = m,
        .aa0 = st->aa,
        .bb0 = st->bb,
        .pp0 = st->pp,
        .aa = aa,
        .bb = bb,
        .pp = pp,
        .chunk = chunk,
    };
    int rc = ops->wkv4(&wa, algo);
    if (rc == LRB_OK) {
        const rows_ctx g = {ops, r, m, m, C};
        ops->for_rows(R, receptance_rows, (void *)&g);
        ops->dense_rows(m, R, C, C, p->wo, NULL, C, y, C);
        last_rows(a, B, L, C, st->xx1);
        if (st->aa1)
            memcpy(st->aa1, aa, ns * sizeof *aa);
        if (st->bb1)
            memcpy(st->bb1, bb, ns * sizeof *bb);
        if (st->pp1)
            memcpy(st->pp1, pp, ns * sizeof *pp);
    }
    ops->scratch_free(m);
    return rc;
}

/* Channel-mix of c (B, L, C) into y (B, L, C) with token-shift state xx0 → xx1; y must not overlap c. */
static int channelmix(const lrb_ops *ops, const channelmix_params *p, int64_t B, int64_t L, int64_t C, const float *c,
                      float *y, const float *xx0, float *xx1)
{
    /* Scratch: m (a mix, later W'_v·k²), r (B, L, C) and the hidden k (B, L, 4C). */
    const size_t n = (size_t)(B * L * C);
    float *m = ops->scratch_alloc(6 * n);
    if (!m)
        return LRB_ENOMEM;
    float *r = m + n, *k = r + n;
    const int64_t R = B * L, C4 = 4 * C;

    ops->token_shift_mix(c, B, L, C, xx0, p->mix_k, m);
    ops->dense_rows(m, R, C, C, p->wk, NULL, C4, k, C4);
    const rows_ctx sq = {ops, NULL, k, NULL, C4};
    ops->for_rows(R, relu_sq_rows, (void *)&sq);
    ops->token_shift_mix(c, B, L, C, xx0, p->mix_r, m);
    ops->dense_rows(m, R, C, C, p->wr, NULL, C, r, C);
    ops->dense_rows(k, R, C4, C4, p->wv, NULL, C, m, C);
    last_rows(c, B, L, C, xx1);
    const rows_ctx g = {ops, r, m, y, C};
    ops->for_rows(R, receptance_rows, (void *)&g);
    ops->scratch_free(m);
    return LRB_OK;
}

static void get_timemix(const lrb_call *c, const char *pre, timemix_params *p)
{
    char name[LRB_NAME_MAX];
#define TM_GET(field, suffix)                                                                                          \
    do {                                                                                                               \
        snprintf(name, sizeof name, "%s%s", pre, suffix);                                                              \
        p->field = lrb_call_get(c, name);                                                                              \
    } while (0)
    TM_GET(time_decay, "time_decay");
    TM_GET(time_first, "time_first");
    TM_GET(mix_k, "time_mix_k");
    TM_GET(mix_v, "time_mix_v");
    TM_GET(mix_r, "time_mix_r");
    TM_GET(wk, "key.weight");
    TM_GET(wv, "value.weight");
    TM_GET(wr, "receptance.weight");
    TM_GET(wo, "output.weight");
#undef TM_GET
}

static void get_channelmix(const lrb_call *c, const char *pre, channelmix_params *p)
{
    char name[LRB_NAME_MAX];
    snprintf(name, sizeof name, "%stime_mix_k", pre);
    p->mix_k = lrb_call_get(c, name);
    snprintf(name, sizeof name, "%stime_mix_r", pre);
    p->mix_r = lrb_call_get(c, name);
    snprintf(name, sizeof name, "%skey.weight", pre);
    p->wk = lrb_call_get(c, name);
    snprintf(name, sizeof name, "%sreceptance.weight", pre);
    p->wr = lrb_call_get(c, name);
    snprintf(name, sizeof name, "%svalue.weight", pre);
    p->wv = lrb_call_get(c, name);
}

static void get_att_state(const lrb_call *c, att_state *st)
{
    st->xx = lrb_call_state_in(c, "att_xx");
    st->aa = lrb_call_state_in(c, "att_aa");
    st->bb = lrb_call_state_in(c, "att_bb");
    st->pp = lrb_call_state_in(c, "att_pp");
    st->xx1 = lrb_call_state_out(c, "att_xx");
    st->aa1 = lrb_call_state_out(c, "att_aa");
    st->bb1 = lrb_call_state_out(c, "att_bb");
    st->pp1 = lrb_call_state_out(c, "att_pp");
}

int lrb_rwkv4_timemix_run(const lrb_call *c, lrb_algo algo, const lrb_ops *ops)
{
    const int64_t B = lrb_cfg_int(c->cfg, "B"), L = lrb_cfg_int(c->cfg, "L"), C = lrb_cfg_int(c->cfg, "C");
    if (!lrb_algo_is_recurrent(algo) || B < 1 || L < 1 || C < 1)
        return LRB_EINVAL;
    timemix_params p;
    att_state st;
    get_timemix(c, "", &p);
    get_att_state(c, &st);
    const float *x = lrb_call_get(c, "x");
    float *y = lrb_call_get(c, "y");
    if (!timemix_params_ok(&p) || !x || !y)
        return LRB_EINVAL;
    return timemix(ops, &p, B, L, C, x, y, &st, algo, lrb_cfg_int(c->cfg, "chunk"));
}

int lrb_rwkv4_channelmix_run(const lrb_call *c, lrb_algo algo, const lrb_ops *ops)
{
    const int64_t B = lrb_cfg_int(c->cfg, "B"), L = lrb_cfg_int(c->cfg, "L"), C = lrb_cfg_int(c->cfg, "C");
    if (algo != LRB_DIRECT || B < 1 || L < 1 || C < 1)
        return LRB_EINVAL;
    channelmix_params p;
    get_channelmix(c, "", &p);
    const float *x = lrb_call_get(c, "x");
    float *y = lrb_call_get(c, "y");
    if (!channelmix_params_ok(&p) || !x || !y)
        return LRB_EINVAL;
    return channelmix(ops, &p, B, L, C, x, y, lrb_call_state_in(c, "ffn_xx"), lrb_call_state_out(c, "ffn_xx"));
}

int lrb_rwkv4_block_run(const lrb_call *c, lrb_algo algo, const lrb_ops *ops)
{
    const int64_t B = lrb_cfg_int(c->cfg, "B"), L = lrb_cfg_int(c->cfg, "L"), C = lrb_cfg_int(c->cfg, "C");
    const int ln0 = lrb_cfg_int(c->cfg, "ln0") != 0;
    if (!lrb_algo_is_recurrent(algo) || B < 1 || L < 1 || C < 1)
        return LRB_EINVAL;
    timemix_params tp;
    channelmix_params cp;
    att_state st;
    get_timemix(c, "att.", &tp);
    get_channelmix(c, "ffn.", &cp);
    get_att_state(c, &st);
    const float *ln0w = lrb_call_get(c, "ln0.weight"), *ln0b = lrb_call_get(c, "ln0.bias");
    const float *ln1w = lrb_call_get(c, "ln1.weight"), *ln1b = lrb_call_get(c, "ln1.bias");
    const float *ln2w = lrb_call_get(c, "ln2.weight"), *ln2b = lrb_call_get(c, "ln2.bias");
    const float *x = lrb_call_get(c, "x");
    float *y = lrb_call_get(c, "y");
    if (!timemix_params_ok(&tp) || !channelmix_params_ok(&cp) || !x || !y || !ln1w || !ln1b || !ln2w || !ln2b ||
        (ln0 && (!ln0w || !ln0b)))
        return LRB_EINVAL;

    /* The residual stream lives in y; n (a LayerNorm output) and d (a sub-layer output) are scratch. */
    const size_t n = (size_t)(B * L * C);
    float *ln = ops->scratch_alloc(2 * n);
    if (!ln)
        return LRB_ENOMEM;
    float *d = ln + n;
    const int64_t R = B * L;

    if (y != x)
        memcpy(y, x, n * sizeof *y);
    if (ln0)
        ops->layernorm_rows(y, R, C, C, ln0w, ln0b, RWKV4_LN_EPS, y, C);

    ops->layernorm_rows(y, R, C, C, ln1w, ln1b, RWKV4_LN_EPS, ln, C);
    int rc = timemix(ops, &tp, B, L, C, ln, d, &st, algo, lrb_cfg_int(c->cfg, "chunk"));
    if (rc == LRB_OK) {
        for (size_t i = 0; i < n; i++)
            y[i] = y[i] + d[i];
        ops->layernorm_rows(y, R, C, C, ln2w, ln2b, RWKV4_LN_EPS, ln, C);
        rc = channelmix(ops, &cp, B, L, C, ln, d, lrb_call_state_in(c, "ffn_xx"), lrb_call_state_out(c, "ffn_xx"));
    }
    if (rc == LRB_OK)
        for (size_t i = 0; i < n; i++)
            y[i] = y[i] + d[i];
    ops->scratch_free(ln);
    return rc;
}

int lrb_ref_rwkv4_timemix(const lrb_call *c, lrb_algo algo)
{
    return lrb_rwkv4_timemix_run(c, algo, &lrb_ref_ops);
}

int lrb_ref_rwkv4_channelmix(const lrb_call *c, lrb_algo algo)
{
    return lrb_rwkv4_channelmix_run(c, algo, &lrb_ref_ops);
}

int lrb_ref_rwkv4_block(const lrb_call *c, lrb_algo algo)
{
    return lrb_rwkv4_block_run(c, algo, &lrb_ref_ops);
}
