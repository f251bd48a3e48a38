/*
 * complexity.h — the complexity model of LAYERS.md §5.2 and the seed printout of §1.8.
 *
 * For a layer and a shape given as plain numbers (no dependency on the configuration machinery, so the
 * CLI, the benchmarks and the tests can all call it), lrb_cx_compute returns the parameter count,
 * `macs_dense` (ptflops convention: a Linear costs rows·(in·out + out), everything else 0),
 * `macs_total` (dense plus scan and elementwise work, one per multiply/add/MAC/division/max),
 * `transcendentals`, the minimal DRAM traffic and the state size, plus a per-module tree in the shape
 * of ptflops' printout. lrb_cx_print_tree prints that tree with ptflops' number formatting; for
 * rnn_wrapper at (B, C, F, T) = (1, 64, 64, 160) it reproduces every number of the seed printout.
 *
 * Tree conventions (ptflops' pytorch backend, LAYERS.md §1.8): a Linear or LayerNorm line shows its own
 * parameters and MACs; a container line shows the sum over its child modules only, so parameters held
 * directly by a layer (params_log, nu_log, time_mix_*, ...) appear in no line but in the total, which is
 * the denominator of every parameter percentage. A layer without child modules (scan, wkv4, linear,
 * layernorm) is a single line with all of its parameters. MAC percentages are shares of macs_dense.
 */
#ifndef LRB_COMPLEXITY_H
#define LRB_COMPLEXITY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A layer and its shape. Only the fields the layer uses are read (LAYERS.md key names):
 *   scan: B, L, D, complex, decay_data     slru/lru/brwkv: B, L, H, U, use_bias (+ eps_den_nonzero)
 *   wkv4, rwkv4_timemix, rwkv4_channelmix, layernorm: B, L, C     rwkv4_block: B, L, C, ln0
 *   glru: B, L, d_in, d_h, d_model, tied, true_recurrence         linear: B, L, in, out, use_bias
 *   rnn_wrapper: B, L (= T), C, F, rnn (the inner layers have H = U = C and biases, whatever use_bias)
 * Flags are 0 or non-zero. Call lrb_cx_shape_init first for the catalogue defaults. */
typedef struct lrb_cx_shape {
    const char *layer;
    int64_t B, L, D, H, U, C, F, d_in, d_h, d_model, in, out;
    int use_bias;
    int complex;
    int decay_data;
    int tied;
    int true_recurrence;
    int ln0;
    int eps_den_nonzero;
    const char *rnn; /* "lru", "slru" or "brwkv" */
} lrb_cx_shape;

#define LRB_CX_MAX_NODES 24
#define LRB_CX_LABEL_MAX 96

typedef struct lrb_cx_node {
    int depth;                    /* 0 for the layer itself */
    char label[LRB_CX_LABEL_MAX]; /* e.g. "i_dense: Linear(64 → 128, bias)" (UTF-8 arrow) */
    int has_numbers;              /* 0 for a plain list container (ModuleList), printed without numbers */
    int64_t params;               /* per instance (a "(0-63): 64 x LRU" line counts one LRU) */
    int64_t macs_dense;           /* per instance */
} lrb_cx_node;

typedef struct lrb_cx_result {
    int64_t params;          /* every parameter (trainable parameters) */
    int64_t macs_dense;      /* ptflops convention */
    int64_t macs_total;      /* macs_dense + scan and elementwise work */
    int64_t transcendentals; /* exp, log, sigmoid, tanh, sin, cos, sqrt, rsqrt calls */
    int64_t bytes_min;       /* 4·(params + inputs + initial state + outputs + final state) */
    int64_t state_floats;    /* state floats of the whole batch: B · state_floats_per_seq */
    int64_t state_floats_per_seq;
    int n_nodes;
    lrb_cx_node nodes[LRB_CX_MAX_NODES]; /* pre-order */
    char error[160];                     /* set when lrb_cx_compute fails */
} lrb_cx_result;

/* Catalogue defaults: B = L = 1, widths 0 (must be set), use_bias = tied = 1, rnn = "lru", other flags 0. */
void lrb_cx_shape_init(lrb_cx_shape *s);

/* Fills *r. Returns 0, or -1 with r->error set (unknown layer or rnn, a needed width < 1, B or L < 1,
 * or a count that overflows int64). */
int lrb_cx_compute(const lrb_cx_shape *s, lrb_cx_result *r);

/* ptflops number formatting (LAYERS.md §1.8): "1.07 M", "8.32 k", "192"; "169.74 MMac", "665.6 KMac",
 * "512 Mac"; "0.775%" (share num/den with three decimals; den 0 gives "0.000%"); "1,073,152". Each
 * writes into buf (always NUL-terminated) and returns buf. */
char *lrb_cx_fmt_params(int64_t params, char *buf, size_t len);
char *lrb_cx_fmt_macs(int64_t macs, char *buf, size_t len);
char *lrb_cx_fmt_pct(int64_t num, int64_t den, char *buf, size_t len);
char *lrb_cx_fmt_thousands(int64_t v, char *buf, size_t len);

/* One printed line of the tree (node i), or the totals line, into buf without a newline; return the
 * length wanted, like snprintf. Lines look like
 *   "      i_dense: Linear(64 → 128, bias)   8.32 k   0.775% Params     1.33 MMac    0.784% MACs"
 *   "total MACs: 169.74 MMac        total parameters: 1.07 M        trainable parameters: 1,073,152" */
int lrb_cx_format_node(const lrb_cx_result *r, int i, char *buf, size_t len);
int lrb_cx_format_totals(const lrb_cx_result *r, char *buf, size_t len);

/* Prints every node line and the totals line, one per line. */
void lrb_cx_print_tree(FILE *fp, const lrb_cx_result *r);

#endif
