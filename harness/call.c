/*
 * call.c — configuration values and named-tensor lookup for lrb_call (harness/lrb_call.h), and the
 * generic configuration parsing of harness/lrb_layers.h. Layer-specific data live in layers.c.
 */
#include "lrb_layers.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lrb_key_index(const lrb_layer *layer, const char *key)
{
    for (int i = 0; i < layer->nkeys; i++)
        if (strcmp(layer->keys[i].name, key) == 0)
            return i;
    return -1;
}

double lrb_cfg_get(const lrb_cfg *cfg, const char *key)
{
    int i = lrb_key_index(cfg->layer, key);
    if (i < 0) {
        /* A layer asking for a key it does not declare is a bug in lrb, not bad input. */
        fprintf(stderr, "lrb: internal error: layer %s has no key '%s'\n", cfg->layer->name, key);
        abort();
    }
    return cfg->v[i];
}

int64_t lrb_cfg_int(const lrb_cfg *cfg, const char *key)
{
    return (int64_t)lrb_cfg_get(cfg, key);
}

const char *lrb_cfg_choice(const lrb_cfg *cfg, const char *key)
{
    int i = lrb_key_index(cfg->layer, key);
    if (i < 0 || !cfg->layer->keys[i].choices)
        return NULL;
    return cfg->layer->keys[i].choices[(int)cfg->v[i]];
}

void lrb_cfg_defaults(const lrb_layer *layer, lrb_cfg *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->layer = layer;
    for (int i = 0; i < layer->nkeys; i++)
        cfg->v[i] = layer->keys[i].def;
}

int lrb_cfg_set(lrb_cfg *cfg, const char *key, const char *value, char *err, size_t errlen)
{
    const lrb_layer *layer = cfg->layer;
    int i = lrb_key_index(layer, key);
    if (i < 0) {
        char keys[256] = "";
        for (int k = 0; k < layer->nkeys; k++) {
            strncat(keys, layer->keys[k].name, sizeof keys - strlen(keys) - 1);
            if (k + 1 < layer->nkeys)
                strncat(keys, ", ", sizeof keys - strlen(keys) - 1);
        }
        snprintf(err, errlen, "unknown config key '%s' for layer %s (expected one of: %s)", key, layer->name, keys);
        return -1;
    }
    const lrb_key_spec *ks = &layer->keys[i];
    if (ks->choices) {
        for (int c = 0; ks->choices[c]; c++)
            if (strcmp(ks->choices[c], value) == 0) {
                cfg->v[i] = c;
                return 0;
            }
        char names[128] = "";
        for (int c = 0; ks->choices[c]; c++) {
            strncat(names, ks->choices[c], sizeof names - strlen(names) - 1);
            if (ks->choices[c + 1])
                strncat(names, "|", sizeof names - strlen(names) - 1);
        }
        snprintf(err, errlen, "config %s=%s: expected one of %s", key, value, names);
        return -1;
    }
    char *end = NULL;
    errno = 0;
    double v = strtod(value, &end);
    /* decimal only: strtod also takes " 16" and "0x10" */
    if (end == value || *end != '\0' || errno == ERANGE || !isfinite(v) ||
        strspn(value, "0123456789+-.eE") != strlen(value)) {
        snprintf(err, errlen, "config %s=%s: expected a finite number", key, value);
        return -1;
    }
    if (ks->is_int && v != floor(v)) {
        snprintf(err, errlen, "config %s=%s: expected an integer", key, value);
        return -1;
    }
    if (ks->is_int && fabs(v) > 9.0e15) { /* beyond 2^53 a double no longer holds every integer */
        snprintf(err, errlen, "config %s=%s: expected an integer of at most 9e15", key, value);
        return -1;
    }
    cfg->v[i] = v;
    return 0;
}

/* one "key=value": the key's index, or -1 with err filled */
static int cfg_set_kv(lrb_cfg *cfg, const char *kv, char *err, size_t errlen)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) {
        snprintf(err, errlen, "--config %s: expected key=value", kv);
        return -1;
    }
    char *key = malloc((size_t)(eq - kv) + 1); /* any length: a long key is reported as unknown, not cut */
    if (!key) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(key, kv, (size_t)(eq - kv));
    key[eq - kv] = '\0';
    int i = lrb_cfg_set(cfg, key, eq + 1, err, errlen) ? -1 : lrb_key_index(cfg->layer, key);
    free(key);
    return i;
}

int lrb_cfg_set_kvs(lrb_cfg *cfg, const char *const *kvs, int n, int *set, char *err, size_t errlen)
{
    memset(set, 0, LRB_MAX_KEYS * sizeof *set);
    for (int i = 0; i < n; i++) {
        const int k = cfg_set_kv(cfg, kvs[i], err, errlen);
        if (k < 0)
            return -1;
        if (set[k]) {
            snprintf(err, errlen, "--config %s: key %s given twice", kvs[i], cfg->layer->keys[k].name);
            return -1;
        }
        set[k] = 1;
    }
    return 0;
}

int lrb_cfg_validate(const lrb_cfg *cfg, char *err, size_t errlen)
{
    const lrb_layer *layer = cfg->layer;
    for (int i = 0; i < layer->nkeys; i++) {
        const lrb_key_spec *ks = &layer->keys[i];
        if (ks->choices)
            continue;
        if (cfg->v[i] < ks->min) {
            snprintf(err, errlen, "config %s=%g: expected %s ≥ %g", ks->name, cfg->v[i], ks->name, ks->min);
            return -1;
        }
    }
    return 0;
}

void lrb_cfg_format(const lrb_cfg *cfg, char *buf, size_t len)
{
    size_t pos = 0;
    buf[0] = '\0';
    for (int i = 0; i < cfg->layer->nkeys && pos < len; i++) {
        const lrb_key_spec *ks = &cfg->layer->keys[i];
        int n;
        if (ks->choices)
            n = snprintf(buf + pos, len - pos, "%s%s=%s", i ? " " : "", ks->name, ks->choices[(int)cfg->v[i]]);
        else
            n = snprintf(buf + pos, len - pos, "%s%s=%g", i ? " " : "", ks->name, cfg->v[i]);
        if (n < 0)
            break;
        pos += (size_t)n;
    }
}

int lrb_call_find(const lrb_call *call, const char *name)
{
    for (int i = 0; i < call->n; i++)
        if (strcmp(call->spec[i].name, name) == 0)
            return i;
    return -1;
}

float *lrb_call_get(const lrb_call *call, const char *name)
{
    int i = lrb_call_find(call, name);
    return i < 0 ? NULL : call->t[i];
}

/* A state may share its name with the output (scan: h), so state lookups match the role too. */
static int find_state(const lrb_call *call, const char *name)
{
    for (int i = 0; i < call->n; i++)
        if (call->spec[i].role == LRB_STATE && strcmp(call->spec[i].name, name) == 0)
            return i;
    return -1;
}

const float *lrb_call_state_in(const lrb_call *call, const char *name)
{
    int i = find_state(call, name);
    return i < 0 ? NULL : call->state_in[i];
}

float *lrb_call_state_out(const lrb_call *call, const char *name)
{
    int i = find_state(call, name);
    return i < 0 ? NULL : call->t[i];
}

int64_t lrb_spec_count(const lrb_tensor_spec *s)
{
    int64_t n = 1;
    for (int d = 0; d < s->ndim; d++)
        if (s->shape[d] < 0 || __builtin_mul_overflow(n, s->shape[d], &n) || n > LRB_MAX_ELEMS)
            return -1;
    return n;
}

int lrb_shape_equal(int ndim_a, const int64_t *a, int ndim_b, const int64_t *b)
{
    int same = ndim_a == ndim_b;
    for (int d = 0; same && d < ndim_a; d++)
        same = a[d] == b[d];
    return same;
}

int lrb_spec_time_axis(const lrb_tensor_spec *s)
{
    return s->ndim == 4 ? 3 : 1;
}

void lrb_call_init(lrb_call *call, const lrb_cfg *cfg)
{
    memset(call, 0, sizeof *call);
    call->cfg = cfg;
    call->n = cfg->layer->tensors(cfg, call->spec);
}

const char *lrb_algo_name(lrb_algo a)
{
    static const char *const names[] = {"seq", "ul", "blelloch", "chunked", "logstep", "direct"};
    return (a >= 0 && a < LRB_NUM_ALGOS) ? names[a] : "?";
}

int lrb_algo_is_recurrent(lrb_algo a)
{
    return a == LRB_SEQ || a == LRB_UL || a == LRB_BLELLOCH || a == LRB_CHUNKED || a == LRB_LOGSTEP;
}
