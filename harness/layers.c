/*
 * layers.c — the layer catalogue as data (LAYERS.md catalogue and §7.1; names in golden/FORMAT.md):
 * configuration keys with defaults, and the tensors (parameters, inputs, output, states) of each
 * layer for a configuration. Every other part of lrb (CLI, golden loader, tests, benchmarks) derives
 * names and shapes from here.
 */
#include "lrb_layers.h"

#include <stdio.h>
#include <string.h>

/* ---- helpers to append specs ------------------------------------------------------------------ */

typedef struct {
    lrb_tensor_spec *out;
    int n;
} spec_list;

static lrb_tensor_spec *add(spec_list *l, const char *name, lrb_role role, int ndim, int64_t d0, int64_t d1, int64_t d2,
                            int64_t d3)
{
    lrb_tensor_spec *s = &l->out[l->n++];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->role = role;
    s->ndim = ndim;
    int64_t d[4] = {d0, d1, d2, d3};
    for (int i = 0; i < ndim; i++)
        s->shape[i] = d[i];
    return s;
}

static void p1(spec_list *l, const char *name, int64_t n)
{
    add(l, name, LRB_PARAM, 1, n, 0, 0, 0);
}
static void p2(spec_list *l, const char *name, int64_t a, int64_t b)
{
    add(l, name, LRB_PARAM, 2, a, b, 0, 0);
}
static void p3(spec_list *l, const char *name, int64_t a, int64_t b, int64_t c)
{
    add(l, name, LRB_PARAM, 3, a, b, c, 0);
}
static void seq3(spec_list *l, const char *name, lrb_role role, int64_t B, int64_t L, int64_t W)
{
    add(l, name, role, 3, B, L, W, 0);
}
static void state(spec_list *l, const char *name, int64_t B, int64_t W, float empty, lrb_state_kind kind)
{
    lrb_tensor_spec *s = add(l, name, LRB_STATE, 2, B, W, 0, 0);
    s->empty = empty;
    s->state_kind = kind;
}

#define GET(k) lrb_cfg_int(cfg, k)

static const char *const decay_choices[] = {"const", "data", NULL};
static const char *const rnn_choices[] = {"lru", "slru", "brwkv", NULL};
/* a flag is the enumeration 0|1, so that complex=2 or bias=0.5 is an error rather than "on" */
const char *const lrb_flag_choices[] = {"0", "1", NULL};

#define KEY_B                                                                                                          \
    {                                                                                                                  \
        "B", 1, 1, 1, NULL, "batch"                                                                                    \
    }
#define KEY_L                                                                                                          \
    {                                                                                                                  \
        "L", 16, 1, 1, NULL, "sequence length"                                                                         \
    }
#define KEY_CHUNK                                                                                                      \
    {                                                                                                                  \
        "chunk", 16, 1, 1, NULL, "chunk size of the chunked algorithm"                                                 \
    }
#define KEY_W(n, d, h)                                                                                                 \
    {                                                                                                                  \
        n, d, 1, 1, NULL, h                                                                                            \
    }
#define KEY_FLAG(n, d, h)                                                                                              \
    {                                                                                                                  \
        n, d, 1, 0, lrb_flag_choices, h                                                                                \
    }

/* ---- scan --------------------------------------------------------------------------------------- */

static int scan_tensors(const lrb_cfg *cfg, lrb_tensor_spec *o)
{
    spec_list l = {o, 0};
    int64_t B = GET("B"), L = GET("L"), D = GET("D"), cx = GET("complex"), data = GET("decay");
    int64_t W = cx ? 2 * D : D;
    if (!data) {
        p1(&l, "nu_log", D);
        if (cx)
            p1(&l, "theta_log", D);
    }
    seq3(&l, "b", LRB_INPUT, B, L, W);
    if (data)
        seq3(&l, "a", LRB_INPUT, B, L, W);
    seq3(&l, "h", LRB_OUTPUT, B, L, W);
    state(&l, "h", B, W, 0.0f, LRB_STATE_PLAIN);
    return l.n;
}

static const lrb_layer layer_scan = {
    "scan",
    "diagonal recurrence h_t = a_t*h_{t-1} + b_t, real or complex, constant or data decay",
    1,
    6,
    {KEY_B,
     KEY_L,
     KEY_W("D", 16, "channels"),
     KEY_FLAG("complex", 0, "complex decay (planar storage)"),
     {"decay", 0, 1, 0, decay_choices, "const: lambda from nu_log/theta_log; data: a_t is an input"},
     KEY_CHUNK},
    {{"B", "b", 0, 1, NULL}, {"L", "b", 1, 1, NULL}, {"D", "b", 2, 2, "complex"}, {NULL, NULL, 0, 0, NULL}},
    scan_tensors,
};

/* ---- bojone's layers ---------------------------------------------------------------------------- */

/* The parameters of slru/lru/brwkv with H = hidden, U = units; prefix "" or "rnn_layers." with a
 * leading F axis for the wrapper. */
static void bojone_params(spec_list *l, int kind, int64_t H, int64_t U, int bias, const char *prefix, int64_t F)
{
    char name[LRB_NAME_MAX];
    int64_t rows_in = kind == 0 ? 2 * U : kind == 1 ? U : 3 * U; /* lru, slru, brwkv */
    int64_t cols_out = kind == 0 ? 2 * U : U;
    const char *in_name = kind == 2 ? "rkv_dense" : "i_dense";
#define P(suffix, nd, a, b)                                                                                            \
    do {                                                                                                               \
        snprintf(name, sizeof name, "%s%s", prefix, suffix);                                                           \
        lrb_tensor_spec *s_ =                                                                                          \
            F ? add(l, name, LRB_PARAM, nd + 1, F, a, b, 0) : add(l, name, LRB_PARAM, nd, a, b, 0, 0);                 \
        s_->per_f = F ? 1 : 0;                                                                                         \
    } while (0)
    char w[40], b[40];
    snprintf(w, sizeof w, "%s.weight", in_name);
    snprintf(b, sizeof b, "%s.bias", in_name);
    P(w, 2, rows_in, H);
    if (bias)
        P(b, 1, rows_in, 0);
    P("o_dense.weight", 2, H, cols_out);
    if (bias)
        P("o_dense.bias", 1, H, 0);
    if (kind == 2) {
        P("nu_log", 1, U, 0);
        P("gamma_log", 1, U, 0);
    } else {
        P("params_log", 2, kind == 0 ? 3 : 2, U);
    }
#undef P
}

static int bojone_tensors(const lrb_cfg *cfg, lrb_tensor_spec *o, int kind)
{
    spec_list l = {o, 0};
    int64_t B = GET("B"), L = GET("L"), H = GET("H"), U = GET("U");
    bojone_params(&l, kind, H, U, (int)GET("use_bias"), "", 0);
    seq3(&l, "x", LRB_INPUT, B, L, H);
    seq3(&l, "y", LRB_OUTPUT, B, L, H);
    state(&l, "s", B, kind == 0 ? 2 * U : U, 0.0f, LRB_STATE_PLAIN);
    if (kind == 2)
        state(&l, "z", B, U, 0.0f, LRB_STATE_PLAIN);
    return l.n;
}
static int lru_tensors(const lrb_cfg *c, lrb_tensor_spec *o)
{
    return bojone_tensors(c, o, 0);
}
static int slru_tensors(const lrb_cfg *c, lrb_tensor_spec *o)
{
    return bojone_tensors(c, o, 1);
}
static int brwkv_tensors(const lrb_cfg *c, lrb_tensor_spec *o)
{
    return bojone_tensors(c, o, 2);
}

#define BOJONE_KEYS                                                                                                    \
    KEY_B, KEY_L, KEY_W("H", 64, "hidden size (input and output width)"), KEY_W("U", 64, "recurrent units"),           \
        KEY_FLAG("use_bias", 1, "biases in both Linears"), KEY_CHUNK
#define BOJONE_INFER                                                                                                   \
    {"B", "x", 0, 1, NULL}, {"L", "x", 1, 1, NULL},                                                                    \
    {                                                                                                                  \
        "H", "x", 2, 1, NULL                                                                                           \
    }

static const lrb_layer layer_slru = {
    "slru",
    "bojone's simpler LRU: Linear, real constant-decay scan, gamma scale, Linear",
    1,
    6,
    {BOJONE_KEYS},
    {BOJONE_INFER, {"U", "params_log", 1, 1, NULL}, {NULL, NULL, 0, 0, NULL}},
    slru_tensors,
};
static const lrb_layer layer_lru = {
    "lru",
    "bojone's LRU: Linear, complex constant-decay scan (planar), gamma scale, Linear",
    1,
    7,
    {BOJONE_KEYS, KEY_FLAG("interleaved", 0, "read i_dense rows 2j/2j+1 as re/im (bert4keras order)")},
    {BOJONE_INFER, {"U", "params_log", 1, 1, NULL}, {NULL, NULL, 0, 0, NULL}},
    lru_tensors,
};
static const lrb_layer layer_brwkv = {
    "brwkv",
    "bojone's RWKV-like normalised linear RNN (the seed's 'RWKV')",
    1,
    7,
    {BOJONE_KEYS, {"eps_den", 0, 0, 0, NULL, "added to the denominator (1e-6 reproduces the PyTorch port)"}},
    {BOJONE_INFER, {"U", "nu_log", 0, 1, NULL}, {NULL, NULL, 0, 0, NULL}},
    brwkv_tensors,
};

/* ---- RWKV-4 ------------------------------------------------------------------------------------- */

#define PP_EMPTY (-1e38f)

static int wkv4_tensors(const lrb_cfg *cfg, lrb_tensor_spec *o)
{
    spec_list l = {o, 0};
    int64_t B = GET("B"), L = GET("L"), C = GET("C");
    p1(&l, "time_decay", C);
    p1(&l, "time_first", C);
    seq3(&l, "k", LRB_INPUT, B, L, C);
    seq3(&l, "v", LRB_INPUT, B, L, C);
    seq3(&l, "wkv", LRB_OUTPUT, B, L, C);
    state(&l, "aa", B, C, 0.0f, LRB_STATE_WKV_AA);
    state(&l, "bb", B, C, 0.0f, LRB_STATE_WKV_BB);
    state(&l, "pp", B, C, PP_EMPTY, LRB_STATE_WKV_PP);
    return l.n;
}

static void timemix_params(spec_list *l, const char *pre, int64_t C)
{
    char n[LRB_NAME_MAX];
    static const char *const vec[] = {"time_decay", "time_first"};
    static const char *const mix[] = {"time_mix_k", "time_mix_v", "time_mix_r"};
    static const char *const mat[] = {"key.weight", "value.weight", "receptance.weight", "output.weight"};
    for (int i = 0; i < 2; i++) {
        snprintf(n, sizeof n, "%s%s", pre, vec[i]);
        p1(l, n, C);
    }
    for (int i = 0; i < 3; i++) {
        snprintf(n, sizeof n, "%s%s", pre, mix[i]);
        p3(l, n, 1, 1, C);
    }
    for (int i = 0; i < 4; i++) {
        snprintf(n, sizeof n, "%s%s", pre, mat[i]);
        p2(l, n, C, C);
    }
}

static void channelmix_params(spec_list *l, const char *pre, int64_t C)
{
    char n[LRB_NAME_MAX];
    snprintf(n, sizeof n, "%stime_mix_k", pre);
    p3(l, n, 1, 1, C);
    snprintf(n, sizeof n, "%stime_mix_r", pre);
    p3(l, n, 1, 1, C);
    snprintf(n, sizeof n, "%skey.weight", pre);
    p2(l, n, 4 * C, C);
    snprintf(n, sizeof n, "%sreceptance.weight", pre);
    p2(l, n, C, C);
    snprintf(n, sizeof n, "%svalue.weight", pre);
    p2(l, n, C, 4 * C);
}

static void att_states(spec_list *l, int64_t B, int64_t C)
{
    state(l, "att_xx", B, C, 0.0f, LRB_STATE_PLAIN);
    state(l, "att_aa", B, C, 0.0f, LRB_STATE_WKV_AA);
    state(l, "att_bb", B, C, 0.0f, LRB_STATE_WKV_BB);
    state(l, "att_pp", B, C, PP_EMPTY, LRB_STATE_WKV_PP);
}

static int timemix_tensors(const lrb_cfg *cfg, lrb_tensor_spec *o)
{
    spec_list l = {o, 0};
    int64_t B = GET("B"), L = GET("L"), C = GET("C");
    timemix_params(&l, "", C);
    seq3(&l, "x", LRB_INPUT, B, L, C);
    seq3(&l, "y", LRB_OUTPUT, B, L, C);
    att_states(&l, B, C);
    return l.n;
}

static int channelmix_tensors(const lrb_cfg *cfg, lrb_tensor_spec *o)
{
    spec_list l = {o, 0};
    int64_t B = GET("B"), L = GET("L"), C = GET("C");
    channelmix_params(&l, "", C);
    seq3(&l, "x", LRB_INPUT, B, L, C);
    seq3(&l, "y", LRB_OUTPUT, B, L, C);
    state(&l, "ffn_xx", B, C, 0.0f, LRB_STATE_PLAIN);
    return l.n;
}

static int block_tensors(const lrb_cfg *cfg, lrb_tensor_spec *o)
{
    spec_list l = {o, 0};
    int64_t B = GET("B"), L = GET("L"), C = GET("C");
    if (GET("ln0")) {
        p1(&l, "ln0.weight", C);
        p1(&l, "ln0.bias", C);
    }
    p1(&l, "ln1.weight", C);
    p1(&l, "ln1.bias", C);
    p1(&l, "ln2.weight", C);
    p1(&l, "ln2.bias", C);
    timemix_params(&l, "att.", C);
    channelmix_params(&l, "ffn.", C);
    seq3(&l, "x", LRB_INPUT, B, L, C);
    seq3(&l, "y", LRB_OUTPUT, B, L, C);
    state(&l, "ffn_xx", B, C, 0.0f, LRB_STATE_PLAIN);
    att_states(&l, B, C);
    return l.n;
}

#define RWKV_INFER                                                                                                     \
    {"B", "x", 0, 1, NULL}, {"L", "x", 1, 1, NULL}, {"C", "x", 2, 1, NULL},                                            \
    {                                                                                                                  \
        NULL, NULL, 0, 0, NULL                                                                                         \
    }

static const lrb_layer layer_wkv4 = {
    "wkv4",
    "RWKV-4 WKV operator, stable (aa, bb, pp) form",
    1,
    4,
    {KEY_B, KEY_L, KEY_W("C", 64, "channels"), KEY_CHUNK},
    {{"B", "k", 0, 1, NULL}, {"L", "k", 1, 1, NULL}, {"C", "k", 2, 1, NULL}, {NULL, NULL, 0, 0, NULL}},
    wkv4_tensors,
};
static const lrb_layer layer_timemix = {
    "rwkv4_timemix",
    "RWKV-4 time-mix: token shift, k/v/r projections, WKV, receptance gate, output",
    1,
    4,
    {KEY_B, KEY_L, KEY_W("C", 64, "embedding width"), KEY_CHUNK},
    {RWKV_INFER},
    timemix_tensors,
};
static const lrb_layer layer_channelmix = {
    "rwkv4_channelmix",
    "RWKV-4 channel-mix: token shift, squared-ReLU FFN (4C), receptance gate",
    0,
    3,
    {KEY_B, KEY_L, KEY_W("C", 64, "embedding width")},
    {RWKV_INFER},
    channelmix_tensors,
};
static const lrb_layer layer_block = {
    "rwkv4_block",
    "RWKV-4 block: [LN0], x + TimeMix(LN1 x), x + ChannelMix(LN2 x)",
    1,
    5,
    {KEY_B, KEY_L, KEY_W("C", 64, "embedding width"), KEY_FLAG("ln0", 0, "LN0 at the input (block 0 only)"), KEY_CHUNK},
    {RWKV_INFER},
    block_tensors,
};

/* ---- GatedLinearRNN ----------------------------------------------------------------------------- */

static int glru_tensors(const lrb_cfg *cfg, lrb_tensor_spec *o)
{
    spec_list l = {o, 0};
    int64_t B = GET("B"), L = GET("L"), din = GET("d_in"), dh = GET("d_h"), dm = GET("d_model");
    int64_t n = GET("tied") ? 3 : 4;
    p2(&l, "proj.kernel", din, n * dh);
    p1(&l, "proj.bias", n * dh);
    p2(&l, "out_proj.kernel", dh, dm);
    p1(&l, "out_proj.bias", dm);
    if (GET("true_recurrence"))
        p2(&l, "recurrent_proj.kernel", dh, n * dh);
    seq3(&l, "x", LRB_INPUT, B, L, din);
    seq3(&l, "y", LRB_OUTPUT, B, L, dm);
    state(&l, "h", B, dh, 0.0f, LRB_STATE_PLAIN);
    return l.n;
}

static const lrb_layer layer_glru = {
    "glru",
    "GatedLinearRNN: tanh input, sigmoid gates (tied/untied), gated diagonal scan, output gate",
    1,
    8,
    {KEY_B, KEY_L, KEY_W("d_in", 64, "input width"), KEY_W("d_h", 64, "recurrent width"),
     KEY_W("d_model", 64, "output width"), KEY_FLAG("tied", 1, "forget gate f = 1 - i"),
     KEY_FLAG("true_recurrence", 0, "recurrent projection (sequential only)"), KEY_CHUNK},
    {{"B", "x", 0, 1, NULL},
     {"L", "x", 1, 1, NULL},
     {"d_in", "x", 2, 1, NULL},
     {"d_h", "out_proj.kernel", 0, 1, NULL},
     {"d_model", "out_proj.kernel", 1, 1, NULL},
     {NULL, NULL, 0, 0, NULL}},
    glru_tensors,
};

/* ---- linear, layernorm -------------------------------------------------------------------------- */

static int linear_tensors(const lrb_cfg *cfg, lrb_tensor_spec *o)
{
    spec_list l = {o, 0};
    int64_t B = GET("B"), L = GET("L"), in = GET("in"), out = GET("out");
    p2(&l, "weight", out, in);
    if (GET("bias"))
        p1(&l, "bias", out);
    seq3(&l, "x", LRB_INPUT, B, L, in);
    seq3(&l, "y", LRB_OUTPUT, B, L, out);
    return l.n;
}

static int layernorm_tensors(const lrb_cfg *cfg, lrb_tensor_spec *o)
{
    spec_list l = {o, 0};
    int64_t B = GET("B"), L = GET("L"), C = GET("C");
    p1(&l, "weight", C);
    p1(&l, "bias", C);
    seq3(&l, "x", LRB_INPUT, B, L, C);
    seq3(&l, "y", LRB_OUTPUT, B, L, C);
    return l.n;
}

static const lrb_layer layer_linear = {
    "linear",
    "y = x W^T + b (PyTorch layout)",
    0,
    5,
    {KEY_B, KEY_L, KEY_W("in", 64, "input features"), KEY_W("out", 64, "output features"),
     KEY_FLAG("bias", 1, "with bias")},
    {{"B", "x", 0, 1, NULL},
     {"L", "x", 1, 1, NULL},
     {"in", "x", 2, 1, NULL},
     {"out", "weight", 0, 1, NULL},
     {NULL, NULL, 0, 0, NULL}},
    linear_tensors,
};
static const lrb_layer layer_layernorm = {
    "layernorm",
    "(x - mean)/sqrt(var + eps)*weight + bias over the last axis",
    0,
    4,
    {KEY_B, KEY_L, KEY_W("C", 64, "features"), {"eps", 1e-5, 0, 0, NULL, "variance epsilon"}},
    {{"B", "x", 0, 1, NULL}, {"L", "x", 1, 1, NULL}, {"C", "x", 2, 1, NULL}, {NULL, NULL, 0, 0, NULL}},
    layernorm_tensors,
};

/* ---- rnn_wrapper -------------------------------------------------------------------------------- */

static int wrapper_tensors(const lrb_cfg *cfg, lrb_tensor_spec *o)
{
    spec_list l = {o, 0};
    int64_t B = GET("B"), T = GET("L"), C = GET("C"), F = GET("F"), kind = GET("rnn");
    bojone_params(&l, (int)kind, C, C, 1, "rnn_layers.", F);
    add(&l, "x", LRB_INPUT, 4, B, C, F, T);
    add(&l, "y", LRB_OUTPUT, 4, B, C, F, T);
    lrb_tensor_spec *s = add(&l, "s", LRB_STATE, 3, B, F, kind == 0 ? 2 * C : C, 0);
    s->state_kind = LRB_STATE_PLAIN;
    if (kind == 2)
        add(&l, "z", LRB_STATE, 3, B, F, C, 0);
    return l.n;
}

static const lrb_layer layer_wrapper = {
    "rnn_wrapper",
    "the seed wrapper: (B,C,F,T), F independent lru/slru/brwkv layers with H = U = C",
    1,
    6,
    {KEY_B,
     {"L", 160, 1, 1, NULL, "time steps T"},
     KEY_W("C", 64, "channels = hidden size"),
     KEY_W("F", 64, "frequency bins = number of layers"),
     {"rnn", 0, 1, 0, rnn_choices, "inner layer: lru, slru or brwkv"},
     KEY_CHUNK},
    {{"B", "x", 0, 1, NULL},
     {"C", "x", 1, 1, NULL},
     {"F", "x", 2, 1, NULL},
     {"L", "x", 3, 1, NULL},
     {NULL, NULL, 0, 0, NULL}},
    wrapper_tensors,
};

/* ---- the table ---------------------------------------------------------------------------------- */

const lrb_layer *const lrb_layers[] = {
    &layer_scan,       &layer_slru,  &layer_lru,  &layer_brwkv,  &layer_wkv4,      &layer_timemix,
    &layer_channelmix, &layer_block, &layer_glru, &layer_linear, &layer_layernorm, &layer_wrapper,
};
const int lrb_num_layers = (int)(sizeof lrb_layers / sizeof lrb_layers[0]);

const lrb_layer *lrb_layer_find(const char *name)
{
    for (int i = 0; i < lrb_num_layers; i++)
        if (strcmp(lrb_layers[i]->name, name) == 0)
            return lrb_layers[i];
    return NULL;
}
