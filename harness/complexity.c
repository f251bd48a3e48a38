/*
 * complexity.c — parameter, MAC, transcendental, traffic and state counts of every layer (LAYERS.md
 * §5.2), the per-module tree of the seed printout (§1.8), and ptflops' number formatting.
 *
 * Each layer is described per token (the §5.2 table: multiply by rows = B·L) and emits its module
 * nodes; all arithmetic goes through checked helpers so an absurd shape reports an overflow instead of
 * wrapping. The per-token formulas are kept literally as the spec writes them so that a reader can
 * compare line by line.
 */
#include "complexity.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

/* UTF-8 "→", as in the spec's restated printout. */
#define ARROW "\xe2\x86\x92"

typedef struct ctx {
    lrb_cx_result *r;
    int overflow;
    int full; /* too many nodes (a programming error) */
} ctx;

static int64_t mul(ctx *c, int64_t a, int64_t b)
{
    if (a < 0 || b < 0 || (a != 0 && b > INT64_MAX / a)) {
        c->overflow = 1;
        return 0;
    }
    return a * b;
}

static int64_t add(ctx *c, int64_t a, int64_t b)
{
    if (a < 0 || b < 0 || a > INT64_MAX - b) {
        c->overflow = 1;
        return 0;
    }
    return a + b;
}

static int64_t mul3(ctx *c, int64_t a, int64_t b, int64_t d)
{
    return mul(c, mul(c, a, b), d);
}

/* Appends a node and returns its index (or -1 when the table is full). */
static int node(ctx *c, int depth, int has_numbers, int64_t params, int64_t macs, const char *fmt, ...)
{
    lrb_cx_result *r = c->r;
    lrb_cx_node *n;
    va_list ap;
    if (r->n_nodes >= LRB_CX_MAX_NODES) {
        c->full = 1;
        return -1;
    }
    n = &r->nodes[r->n_nodes];
    n->depth = depth;
    n->has_numbers = has_numbers;
    n->params = params;
    n->macs_dense = macs;
    va_start(ap, fmt);
    vsnprintf(n->label, sizeof n->label, fmt, ap);
    va_end(ap);
    return r->n_nodes++;
}

/* A Linear child: params in·out (+ out), MACs rows·params (ptflops: the bias is counted once per output
 * element). Adds its numbers to *params / *macs. */
static void linear_node(ctx *c, int depth, const char *name, int64_t in, int64_t out, int bias, int64_t rows,
                        int64_t *params, int64_t *macs)
{
    int64_t p = add(c, mul(c, in, out), bias ? out : 0);
    int64_t m = mul(c, rows, p);
    node(c, depth, 1, p, m, "%s%sLinear(%" PRId64 " " ARROW " %" PRId64 "%s)", name, name[0] ? ": " : "", in, out,
         bias ? ", bias" : "");
    *params = add(c, *params, p);
    *macs = add(c, *macs, m);
}

static void layernorm_node(ctx *c, int depth, const char *name, int64_t C, int64_t *params)
{
    int64_t p = mul(c, 2, C);
    node(c, depth, 1, p, 0, "%s%sLayerNorm(%" PRId64 ")", name, name[0] ? ": " : "", C);
    *params = add(c, *params, p);
}

static void set_totals(lrb_cx_node *n, int64_t params, int64_t macs)
{
    if (n != NULL) {
        n->params = params;
        n->macs_dense = macs;
    }
}

static lrb_cx_node *at(ctx *c, int i)
{
    return (i >= 0 && i < c->r->n_nodes) ? &c->r->nodes[i] : NULL;
}

/* Per-token accounting of one layer instance (LAYERS.md §5.2); rows multiplies it into the result. */
typedef struct tok {
    int64_t params;
    int64_t dense;   /* macs_dense per token */
    int64_t total;   /* macs_total per token */
    int64_t trans;   /* transcendentals per token */
    int64_t in, out; /* input and output floats per token */
    int64_t state;   /* state floats per sequence */
} tok;

enum { BJ_LRU = 0, BJ_SLRU, BJ_BRWKV };

static int bojone_kind(const char *name)
{
    if (name == NULL)
        return -1;
    if (strcmp(name, "lru") == 0)
        return BJ_LRU;
    if (strcmp(name, "slru") == 0)
        return BJ_SLRU;
    if (strcmp(name, "brwkv") == 0)
        return BJ_BRWKV;
    return -1;
}

/* slru, lru, brwkv (§1.2–1.4, §5.2). The layer node is "<prefix>LRU" etc. at `depth`, its Linears below;
 * the node's numbers are the Linears' (params_log, nu_log, gamma_log are held directly by the layer). */
static tok bojone(ctx *c, int kind, int64_t H, int64_t U, int bias, int eps, int64_t rows, int depth,
                  const char *prefix)
{
    static const char *const cls[] = {"LRU", "SLRU", "RWKV"};
    tok t;
    int64_t lp = 0, lm = 0, U2 = mul(c, 2, U), U3 = mul(c, 3, U);
    int self = node(c, depth, 1, 0, 0, "%s%s", prefix, cls[kind]);
    memset(&t, 0, sizeof t);
    t.in = H;
    t.out = H;
    if (kind == BJ_LRU) {
        linear_node(c, depth + 1, "i_dense", H, U2, bias, rows, &lp, &lm);
        linear_node(c, depth + 1, "o_dense", U2, H, bias, rows, &lp, &lm);
        /* dense 4HU + β(2U + H); total + 6U (U complex MACs = 4U, 2U γ products); params + 3U */
        t.dense = add(c, mul3(c, 4, H, U), bias ? add(c, U2, H) : 0);
        t.total = add(c, t.dense, mul(c, 6, U));
        t.params = add(c, t.dense, U3);
        t.state = U2;
    } else if (kind == BJ_SLRU) {
        linear_node(c, depth + 1, "i_dense", H, U, bias, rows, &lp, &lm);
        linear_node(c, depth + 1, "o_dense", U, H, bias, rows, &lp, &lm);
        /* dense 2HU + β(U + H); total + 2U; params + 2U */
        t.dense = add(c, mul3(c, 2, H, U), bias ? add(c, U, H) : 0);
        t.total = add(c, t.dense, U2);
        t.params = add(c, t.dense, U2);
        t.state = U;
    } else {
        linear_node(c, depth + 1, "rkv_dense", H, U3, bias, rows, &lp, &lm);
        linear_node(c, depth + 1, "o_dense", U, H, bias, rows, &lp, &lm);
        /* dense 4HU + β(3U + H); total + 7U (+U with eps_den); 2U transcendentals; params + 2U */
        t.dense = add(c, mul3(c, 4, H, U), bias ? add(c, U3, H) : 0);
        t.total = add(c, t.dense, mul(c, eps ? 8 : 7, U));
        t.trans = U2;
        t.params = add(c, t.dense, U2);
        t.state = U2;
    }
    set_totals(at(c, self), lp, lm);
    return t;
}

static tok timemix(ctx *c, int64_t C, int64_t rows, int depth, const char *name)
{
    tok t;
    int64_t lp = 0, lm = 0, C2 = mul(c, C, C);
    int self = node(c, depth, 1, 0, 0, "%s%sRWKV_TimeMix", name, name[0] ? ": " : "");
    linear_node(c, depth + 1, "key", C, C, 0, rows, &lp, &lm);
    linear_node(c, depth + 1, "value", C, C, 0, rows, &lp, &lm);
    linear_node(c, depth + 1, "receptance", C, C, 0, rows, &lp, &lm);
    linear_node(c, depth + 1, "output", C, C, 0, rows, &lp, &lm);
    set_totals(at(c, self), lp, lm);
    memset(&t, 0, sizeof t);
    t.params = add(c, mul(c, 4, C2), mul(c, 5, C)); /* 4C² + 5C */
    t.dense = mul(c, 4, C2);                        /* 4C² */
    t.total = add(c, t.dense, mul(c, 22, C));       /* + 3 mixes × 2 + WKV 15 + r⊙wkv 1 = 22C */
    t.trans = mul(c, 5, C);                         /* C sigmoids + 4C exp */
    t.in = C;
    t.out = C;
    t.state = mul(c, 4, C); /* att_xx, att_aa, att_bb, att_pp */
    return t;
}

static tok channelmix(ctx *c, int64_t C, int64_t rows, int depth, const char *name)
{
    tok t;
    int64_t lp = 0, lm = 0, C2 = mul(c, C, C), C4 = mul(c, 4, C);
    int self = node(c, depth, 1, 0, 0, "%s%sRWKV_ChannelMix", name, name[0] ? ": " : "");
    linear_node(c, depth + 1, "key", C, C4, 0, rows, &lp, &lm);
    linear_node(c, depth + 1, "receptance", C, C, 0, rows, &lp, &lm);
    linear_node(c, depth + 1, "value", C4, C, 0, rows, &lp, &lm);
    set_totals(at(c, self), lp, lm);
    memset(&t, 0, sizeof t);
    t.params = add(c, mul(c, 9, C2), mul(c, 2, C)); /* 9C² + 2C */
    t.dense = mul(c, 9, C2);                        /* 9C² */
    t.total = add(c, t.dense, mul(c, 13, C));       /* 2 mixes × 2 + ReLU² 8C + σ⊙kv 1 = 13C */
    t.trans = C;                                    /* C sigmoids */
    t.in = C;
    t.out = C;
    t.state = C; /* ffn_xx */
    return t;
}

static tok block(ctx *c, int64_t C, int ln0, int64_t rows)
{
    tok t;
    int64_t lp = 0, lm = 0, C2 = mul(c, C, C);
    int self = node(c, 0, 1, 0, 0, "Block"), sub;
    /* RL's Block.__init__ order: ln1, ln2, ln0 (block 0 only), att, ffn. */
    layernorm_node(c, 1, "ln1", C, &lp);
    layernorm_node(c, 1, "ln2", C, &lp);
    if (ln0)
        layernorm_node(c, 1, "ln0", C, &lp);
    /* The sub-layers fill in their own node totals; the block line sums them with the LayerNorms. */
    sub = c->r->n_nodes;
    (void)timemix(c, C, rows, 1, "att");
    if (at(c, sub) != NULL) {
        lp = add(c, lp, at(c, sub)->params);
        lm = add(c, lm, at(c, sub)->macs_dense);
    }
    sub = c->r->n_nodes;
    (void)channelmix(c, C, rows, 1, "ffn");
    if (at(c, sub) != NULL) {
        lp = add(c, lp, at(c, sub)->params);
        lm = add(c, lm, at(c, sub)->macs_dense);
    }
    set_totals(at(c, self), lp, lm);
    memset(&t, 0, sizeof t);
    /* 13C² + 11C (+2C for ln0) */
    t.params = add(c, add(c, mul(c, 13, C2), mul(c, 11, C)), ln0 ? mul(c, 2, C) : 0);
    t.dense = mul(c, 13, C2);
    /* 13C² + 47C: both mixes (22C + 13C), two LayerNorms (10C), two residual additions (2C); ln0 +5C */
    t.total = add(c, add(c, t.dense, mul(c, 47, C)), ln0 ? mul(c, 5, C) : 0);
    /* 6C + 2: 5C + C from the mixes, one rsqrt per LayerNorm row; ln0 +1 */
    t.trans = add(c, mul(c, 6, C), ln0 ? 3 : 2);
    t.in = C;
    t.out = C;
    t.state = mul(c, 5, C);
    return t;
}

static tok glru(ctx *c, const lrb_cx_shape *s, int64_t rows)
{
    tok t;
    int tied = s->tied != 0, tr = s->true_recurrence != 0;
    int64_t n = tied ? 3 : 4, dh = s->d_h, din = s->d_in, dm = s->d_model;
    int64_t ndh = mul(c, n, dh), rec = mul(c, ndh, dh);
    int64_t lp = 0, lm = 0;
    int self = node(c, 0, 1, 0, 0, "GatedLinearRNN(%s%s)", tied ? "tied" : "untied", tr ? ", true recurrence" : "");
    linear_node(c, 1, "proj", din, ndh, 1, rows, &lp, &lm);
    if (tr)
        linear_node(c, 1, "recurrent_proj", dh, ndh, 0, rows, &lp, &lm);
    linear_node(c, 1, "out_proj", dh, dm, 1, rows, &lp, &lm);
    set_totals(at(c, self), lp, lm);
    memset(&t, 0, sizeof t);
    /* n·d_h·d_in + n·d_h + d_h·d_model + d_model (+ n·d_h² with the true recurrence) */
    t.dense = add(c, add(c, mul(c, ndh, din), ndh), add(c, mul(c, dh, dm), dm));
    if (tr)
        t.dense = add(c, t.dense, rec);
    t.params = t.dense; /* every parameter sits in a Linear */
    /* elementwise: tied 4d_h (1 − i, x̃⊙i, scan MAC, tanh(h)⊙o), untied 3d_h; true recurrence + n·d_h (ρ_t) */
    t.total = add(c, t.dense, mul(c, tied ? 4 : 3, dh));
    if (tr)
        t.total = add(c, t.total, ndh);
    t.trans = mul(c, tied ? 4 : 5, dh);
    t.in = din;
    t.out = dm;
    t.state = dh;
    return t;
}

void lrb_cx_shape_init(lrb_cx_shape *s)
{
    memset(s, 0, sizeof *s);
    s->layer = "";
    s->B = 1;
    s->L = 1;
    s->use_bias = 1;
    s->tied = 1;
    s->rnn = "lru";
}

static int fail(lrb_cx_result *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof r->error, fmt, ap);
    va_end(ap);
    r->n_nodes = 0;
    return -1;
}

/* Returns 0 if every named width is ≥ 1, else fails naming the first bad one. */
static int need(lrb_cx_result *r, const lrb_cx_shape *s, const char *names)
{
    char buf[64];
    const char *p = names;
    while (*p) {
        size_t n = strcspn(p, " ");
        int64_t v;
        if (n >= sizeof buf)
            n = sizeof buf - 1;
        memcpy(buf, p, n);
        buf[n] = '\0';
        if (strcmp(buf, "D") == 0)
            v = s->D;
        else if (strcmp(buf, "H") == 0)
            v = s->H;
        else if (strcmp(buf, "U") == 0)
            v = s->U;
        else if (strcmp(buf, "C") == 0)
            v = s->C;
        else if (strcmp(buf, "F") == 0)
            v = s->F;
        else if (strcmp(buf, "d_in") == 0)
            v = s->d_in;
        else if (strcmp(buf, "d_h") == 0)
            v = s->d_h;
        else if (strcmp(buf, "d_model") == 0)
            v = s->d_model;
        else if (strcmp(buf, "in") == 0)
            v = s->in;
        else
            v = s->out;
        if (v < 1)
            return fail(r, "%s: %s = %" PRId64 " (expected >= 1)", s->layer, buf, v);
        p += n;
        while (*p == ' ')
            p++;
    }
    return 0;
}

int lrb_cx_compute(const lrb_cx_shape *s, lrb_cx_result *r)
{
    ctx c;
    tok t;
    const char *name;
    int64_t rows, inst = 1; /* instances of the layer (F for rnn_wrapper) */
    int bias;

    memset(r, 0, sizeof *r);
    c.r = r;
    c.overflow = 0;
    c.full = 0;
    memset(&t, 0, sizeof t);
    if (s == NULL || s->layer == NULL)
        return fail(r, "no layer given");
    name = s->layer;
    if (s->B < 1 || s->L < 1)
        return fail(r, "%s: B = %" PRId64 ", L = %" PRId64 " (expected B >= 1 and L >= 1)", name, s->B, s->L);
    rows = mul(&c, s->B, s->L);
    bias = s->use_bias != 0;

    if (strcmp(name, "scan") == 0) {
        int cx = s->complex != 0, data = s->decay_data != 0;
        int64_t w;
        if (need(r, s, "D"))
            return -1;
        w = mul(&c, s->D, cx ? 2 : 1);
        t.params = data ? 0 : w; /* nu_log (+ theta_log) */
        t.total = mul(&c, s->D, cx ? 4 : 1);
        t.in = data ? mul(&c, 2, w) : w;
        t.out = w;
        t.state = w;
        node(&c, 0, 1, t.params, 0, "Scan(%" PRId64 ", %s, %s decay)", s->D, cx ? "complex" : "real",
             data ? "data" : "const");
    } else if (bojone_kind(name) >= 0) {
        if (need(r, s, "H U"))
            return -1;
        t = bojone(&c, bojone_kind(name), s->H, s->U, bias, s->eps_den_nonzero != 0, rows, 0, "");
    } else if (strcmp(name, "wkv4") == 0) {
        if (need(r, s, "C"))
            return -1;
        t.params = mul(&c, 2, s->C); /* time_decay, time_first */
        t.total = mul(&c, 15, s->C); /* output step 8 + state update 7 */
        t.trans = mul(&c, 4, s->C);  /* 4 exp */
        t.in = mul(&c, 2, s->C);     /* k, v */
        t.out = s->C;
        t.state = mul(&c, 3, s->C); /* aa, bb, pp */
        node(&c, 0, 1, t.params, 0, "WKV(%" PRId64 ")", s->C);
    } else if (strcmp(name, "rwkv4_timemix") == 0) {
        if (need(r, s, "C"))
            return -1;
        t = timemix(&c, s->C, rows, 0, "");
    } else if (strcmp(name, "rwkv4_channelmix") == 0) {
        if (need(r, s, "C"))
            return -1;
        t = channelmix(&c, s->C, rows, 0, "");
    } else if (strcmp(name, "rwkv4_block") == 0) {
        if (need(r, s, "C"))
            return -1;
        t = block(&c, s->C, s->ln0 != 0, rows);
    } else if (strcmp(name, "glru") == 0) {
        if (need(r, s, "d_in d_h d_model"))
            return -1;
        t = glru(&c, s, rows);
    } else if (strcmp(name, "linear") == 0) {
        int64_t lp = 0, lm = 0;
        if (need(r, s, "in out"))
            return -1;
        linear_node(&c, 0, "", s->in, s->out, bias, rows, &lp, &lm);
        t.params = lp;
        t.dense = add(&c, mul(&c, s->in, s->out), bias ? s->out : 0);
        t.total = t.dense;
        t.in = s->in;
        t.out = s->out;
    } else if (strcmp(name, "layernorm") == 0) {
        int64_t lp = 0;
        if (need(r, s, "C"))
            return -1;
        layernorm_node(&c, 0, "", s->C, &lp);
        t.params = lp;
        t.total = mul(&c, 5, s->C); /* sum, centring, sum of squares, scaling, gain and bias */
        t.trans = 1;                /* one reciprocal square root per row */
        t.in = s->C;
        t.out = s->C;
    } else if (strcmp(name, "rnn_wrapper") == 0) {
        int kind = bojone_kind(s->rnn);
        char prefix[64];
        int root, list;
        if (kind < 0)
            return fail(r, "rnn_wrapper: rnn = '%s' (expected lru, slru or brwkv)", s->rnn ? s->rnn : "(null)");
        if (need(r, s, "C F"))
            return -1;
        inst = s->F;
        /* torch's ModuleList repr folds identical children: "(0-63): 64 x LRU", or "(0): LRU" for one. */
        if (s->F == 1)
            snprintf(prefix, sizeof prefix, "(0): ");
        else
            snprintf(prefix, sizeof prefix, "(0-%" PRId64 "): %" PRId64 " x ", s->F - 1, s->F);
        root = node(&c, 0, 1, 0, 0, "RNNWrapper");
        list = node(&c, 1, 0, 0, 0, "rnn_layers: ModuleList");
        t = bojone(&c, kind, s->C, s->C, 1, s->eps_den_nonzero != 0, rows, 2, prefix);
        if (at(&c, list + 1) != NULL) {
            int64_t lp = mul(&c, inst, at(&c, list + 1)->params);
            int64_t lm = mul(&c, inst, at(&c, list + 1)->macs_dense);
            set_totals(at(&c, root), lp, lm);
            set_totals(at(&c, list), lp, lm);
        }
    } else {
        return fail(r,
                    "unknown layer '%s' (expected scan, slru, lru, brwkv, wkv4, rwkv4_timemix, rwkv4_channelmix, "
                    "rwkv4_block, glru, linear, layernorm or rnn_wrapper)",
                    name);
    }

    /* Per token × rows × instances; parameters × instances. */
    r->params = mul(&c, inst, t.params);
    r->macs_dense = mul3(&c, inst, rows, t.dense);
    r->macs_total = mul3(&c, inst, rows, t.total);
    r->transcendentals = mul3(&c, inst, rows, t.trans);
    r->state_floats_per_seq = mul(&c, inst, t.state);
    r->state_floats = mul(&c, s->B, r->state_floats_per_seq);
    {
        int64_t io = mul3(&c, inst, rows, add(&c, t.in, t.out));
        int64_t fl = add(&c, add(&c, r->params, io), mul(&c, 2, r->state_floats));
        r->bytes_min = mul(&c, 4, fl);
    }
    if (c.overflow)
        return fail(r, "%s: a count overflows int64 for this shape", name);
    if (c.full)
        return fail(r, "%s: module tree too large (internal error)", name);
    return 0;
}

/* ---- formatting ------------------------------------------------------------------------------------- */

/* Python's str(round(x, 2)): %.2f rounds the exact binary value correctly, as round() does, and the
 * shortest repr of the result drops trailing zeros but keeps one decimal. */
static void fmt_round2(double x, char *buf, size_t len)
{
    size_t k;
    snprintf(buf, len, "%.2f", x);
    k = strlen(buf);
    if (strchr(buf, '.') == NULL)
        return;
    while (k > 0 && buf[k - 1] == '0' && k >= 2 && buf[k - 2] != '.')
        buf[--k] = '\0';
}

char *lrb_cx_fmt_params(int64_t params, char *buf, size_t len)
{
    char num[64];
    if (len == 0)
        return buf;
    if (params >= 1000000) {
        fmt_round2((double)params / 1e6, num, sizeof num);
        snprintf(buf, len, "%s M", num);
    } else if (params >= 1000) {
        fmt_round2((double)params / 1e3, num, sizeof num);
        snprintf(buf, len, "%s k", num);
    } else {
        snprintf(buf, len, "%" PRId64, params);
    }
    return buf;
}

char *lrb_cx_fmt_macs(int64_t macs, char *buf, size_t len)
{
    char num[64];
    if (len == 0)
        return buf;
    if (macs >= 1000000000) {
        fmt_round2((double)macs / 1e9, num, sizeof num);
        snprintf(buf, len, "%s GMac", num);
    } else if (macs >= 1000000) {
        fmt_round2((double)macs / 1e6, num, sizeof num);
        snprintf(buf, len, "%s MMac", num);
    } else if (macs >= 1000) {
        fmt_round2((double)macs / 1e3, num, sizeof num);
        snprintf(buf, len, "%s KMac", num);
    } else {
        snprintf(buf, len, "%" PRId64 " Mac", macs);
    }
    return buf;
}

char *lrb_cx_fmt_pct(int64_t num, int64_t den, char *buf, size_t len)
{
    double q;
    if (len == 0)
        return buf;
    /* '{:.3%}'.format(num / den): the quotient, then * 100 in double, then three decimals. */
    q = den != 0 ? (double)num / (double)den : 0.0;
    q = q * 100.0;
    snprintf(buf, len, "%.3f%%", q);
    return buf;
}

char *lrb_cx_fmt_thousands(int64_t v, char *buf, size_t len)
{
    char digits[32], out[48];
    int n, i, k = 0, neg = v < 0;
    uint64_t u = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    if (len == 0)
        return buf;
    n = snprintf(digits, sizeof digits, "%" PRIu64, u);
    if (neg)
        out[k++] = '-';
    for (i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            out[k++] = ',';
        out[k++] = digits[i];
    }
    out[k] = '\0';
    snprintf(buf, len, "%s", out);
    return buf;
}

/* Display width of a UTF-8 string (continuation bytes take no column). */
static int display_width(const char *s)
{
    int w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            w++;
    return w;
}

/* Column layout of the spec's restated printout: parameters right-aligned to column 46, then the
 * percentage in 9 columns, " Params", the MACs in 14 columns, the percentage in 10, " MACs". */
#define COL_PARAMS_END 46

int lrb_cx_format_node(const lrb_cx_result *r, int i, char *buf, size_t len)
{
    const lrb_cx_node *n;
    char p[32], pp[32], m[32], mp[32];
    int indent, w, pad, k;
    if (len > 0)
        buf[0] = '\0';
    if (i < 0 || i >= r->n_nodes)
        return 0;
    n = &r->nodes[i];
    indent = 2 * n->depth;
    if (!n->has_numbers)
        return snprintf(buf, len, "%*s%s", indent, "", n->label);
    lrb_cx_fmt_params(n->params, p, sizeof p);
    lrb_cx_fmt_pct(n->params, r->params, pp, sizeof pp);
    lrb_cx_fmt_macs(n->macs_dense, m, sizeof m);
    lrb_cx_fmt_pct(n->macs_dense, r->macs_dense, mp, sizeof mp);
    w = indent + display_width(n->label);
    pad = COL_PARAMS_END - w - (int)strlen(p);
    if (pad < 1)
        pad = 1;
    k = snprintf(buf, len, "%*s%s%*s%s %8s Params %13s %9s MACs", indent, "", n->label, pad, "", p, pp, m, mp);
    return k;
}

int lrb_cx_format_totals(const lrb_cx_result *r, char *buf, size_t len)
{
    char m[32], p[32], t[48];
    lrb_cx_fmt_macs(r->macs_dense, m, sizeof m);
    lrb_cx_fmt_params(r->params, p, sizeof p);
    lrb_cx_fmt_thousands(r->params, t, sizeof t);
    return snprintf(buf, len, "total MACs: %s        total parameters: %s        trainable parameters: %s", m, p, t);
}

void lrb_cx_print_tree(FILE *fp, const lrb_cx_result *r)
{
    char line[256];
    int i;
    for (i = 0; i < r->n_nodes; i++) {
        lrb_cx_format_node(r, i, line, sizeof line);
        fprintf(fp, "%s\n", line);
    }
    lrb_cx_format_totals(r, line, sizeof line);
    fprintf(fp, "%s\n", line);
}
