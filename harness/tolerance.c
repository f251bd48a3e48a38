/*
 * tolerance.c — LAYERS.md §6.3 as code. The bounds apply to the relative L2 error against the float64
 * oracle. Where the table states a condition (H, U ≤ 256, L ≤ 4096, k ranges), the bound is chosen from
 * the data of the case itself, so a case outside the condition falls back to the wider rule and says so
 * in `basis`.
 */
#include "tolerance.h"

#include "lrb_layers.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define U32 (1.0 / 16777216.0) /* float32 unit roundoff 2^-24 */

static double max_abs(const float *p, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++)
        if (fabs((double)p[i]) > m)
            m = fabs((double)p[i]);
    return m;
}

static int64_t count_of(const lrb_call *c, const char *name)
{
    int i = lrb_call_find(c, name);
    return i < 0 ? 0 : lrb_spec_count(&c->spec[i]);
}

/* Smallest decay rate nu = exp(nu_log) over the tensor `name` (row `row` of `rows` for params_log). */
static double nu_min_of(const float *nu_log, int64_t n)
{
    double m = INFINITY;
    for (int64_t i = 0; i < n; i++) {
        double nu = exp((double)nu_log[i]);
        if (nu < m)
            m = nu;
    }
    return m;
}

/* The time-invariant scan bound 8u(1 + min(L, 1/nu_min)). */
static double ti_bound(double L, double nu_min)
{
    double r = nu_min > 0 ? 1.0 / nu_min : INFINITY;
    return 8.0 * U32 * (1.0 + (L < r ? L : r));
}

/* nu_min of the layer's constant decays (slru/lru: row 0 of params_log; brwkv, scan: nu_log;
 * wrapper: the stacked copies). Returns INFINITY when the layer has none. */
static double layer_nu_min(const lrb_call *c)
{
    const char *names[] = {"nu_log", "params_log", "rnn_layers.nu_log", "rnn_layers.params_log"};
    for (int k = 0; k < 4; k++) {
        int i = lrb_call_find(c, names[k]);
        if (i < 0)
            continue;
        const lrb_tensor_spec *s = &c->spec[i];
        if (strstr(names[k], "params_log")) {
            /* (rows, U) or (F, rows, U): row 0 is nu_log */
            int64_t U = s->shape[s->ndim - 1], rows = s->shape[s->ndim - 2];
            int64_t F = s->ndim == 3 ? s->shape[0] : 1;
            double m = INFINITY;
            for (int64_t f = 0; f < F; f++) {
                double v = nu_min_of(c->t[i] + f * rows * U, U);
                if (v < m)
                    m = v;
            }
            return m;
        }
        return nu_min_of(c->t[i], lrb_spec_count(s));
    }
    return INFINITY;
}

static lrb_tolerance make(double v, const char *basis)
{
    lrb_tolerance t;
    t.rel_l2 = v;
    snprintf(t.basis, sizeof t.basis, "%s", basis);
    return t;
}

/* RWKV-4: nominal when |k| pre-activations stay small and time_decay ∈ [-6, 4]; else stress. */
static int rwkv_nominal(const lrb_call *c, const char *td_name, const char *k_name)
{
    const float *td = lrb_call_get(c, td_name);
    int64_t n = count_of(c, td_name);
    for (int64_t i = 0; i < n; i++)
        if (td[i] < -6.0f || td[i] > 4.0f)
            return 0;
    if (k_name) {
        const float *k = lrb_call_get(c, k_name);
        if (max_abs(k, count_of(c, k_name)) > 10.0)
            return 0;
    }
    return 1;
}

lrb_tolerance lrb_tolerance_for(const lrb_call *c)
{
    const char *layer = c->cfg->layer->name;
    double L = (double)lrb_cfg_int(c->cfg, "L");
    char basis[96];

    if (strcmp(layer, "linear") == 0)
        return lrb_cfg_int(c->cfg, "in") <= 256 ? make(2e-6, "linear, in <= 256") : make(1e-5, "linear, in <= 4096");
    if (strcmp(layer, "layernorm") == 0)
        return make(1e-5, "TOOLING.md §10 default fp32 gate");
    if (strcmp(layer, "scan") == 0) {
        if (lrb_cfg_int(c->cfg, "decay") == 1) {
            double t = 2e-5 * fmax(1.0, sqrt(L / 1024.0));
            if (t > 3.2e-5)
                t = 3.2e-5;
            return make(t, "data-decay scan: 2e-5*max(1, sqrt(L/1024)), cap 3.2e-5");
        }
        double nu = layer_nu_min(c);
        snprintf(basis, sizeof basis, "time-invariant scan 8u(1+min(L,1/nu_min)), nu_min=%.3g", nu);
        return make(ti_bound(L, nu), basis);
    }
    if (strcmp(layer, "slru") == 0 || strcmp(layer, "lru") == 0 || strcmp(layer, "brwkv") == 0 ||
        strcmp(layer, "rnn_wrapper") == 0) {
        double nu = layer_nu_min(c), scan = ti_bound(L, nu);
        if (scan > 5e-5) {
            snprintf(basis, sizeof basis, "scan bound at nu_min=%.3g (above the 5e-5 layer row)", nu);
            return make(scan, basis);
        }
        return make(5e-5, "full layer row of §6.3");
    }
    if (strcmp(layer, "wkv4") == 0)
        return rwkv_nominal(c, "time_decay", "k") ? make(1e-4, "WKV nominal") : make(2e-3, "WKV stress");
    if (strcmp(layer, "rwkv4_timemix") == 0)
        return rwkv_nominal(c, "time_decay", NULL) ? make(2e-4, "RWKV-4 block row (nominal)")
                                                   : make(2e-3, "RWKV-4 stress row");
    if (strcmp(layer, "rwkv4_block") == 0)
        return rwkv_nominal(c, "att.time_decay", NULL) ? make(2e-4, "RWKV-4 block row (nominal)")
                                                       : make(2e-3, "RWKV-4 stress row");
    if (strcmp(layer, "rwkv4_channelmix") == 0)
        return make(2e-4, "RWKV-4 block row");
    if (strcmp(layer, "glru") == 0) {
        int64_t dh = lrb_cfg_int(c->cfg, "d_h");
        const float *pb = lrb_call_get(c, "proj.bias");
        /* gate biases are the columns after the first d_h (the input block) */
        double gmax = max_abs(pb + dh, count_of(c, "proj.bias") - dh);
        return gmax <= 1.0 ? make(1e-5, "GatedLinearRNN unsaturated") : make(2e-4, "GatedLinearRNN saturated gates");
    }
    return make(1e-5, "TOOLING.md §10 default fp32 gate");
}
