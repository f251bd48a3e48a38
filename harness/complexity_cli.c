/*
 * complexity_cli.c — `lrb complexity [--layer L] [--config k=v]... [--seq-lens L1,L2,...]
 * [--wrapper B,C,F,T] [--json]`. Without --layer or --wrapper it prints the seed configuration
 * (rnn_wrapper, (B, C, F, T) = (1, 64, 64, 160)) for lru, slru and brwkv, which reproduces the
 * seed's published printout (LAYERS.md §1.8).
 */
#define _POSIX_C_SOURCE 200809L
#include "complexity_cli.h"

#include "lrb_layers.h"
#include "parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int has(const lrb_cfg *c, const char *k)
{
    return lrb_key_index(c->layer, k) >= 0;
}

void lrb_cx_shape_from_cfg(const lrb_cfg *cfg, lrb_cx_shape *s)
{
    lrb_cx_shape_init(s);
    s->layer = cfg->layer->name;
#define INT_KEY(field, key)                                                                                            \
    if (has(cfg, key))                                                                                                 \
        s->field = lrb_cfg_int(cfg, key);
    INT_KEY(B, "B")
    INT_KEY(L, "L")
    INT_KEY(D, "D")
    INT_KEY(H, "H")
    INT_KEY(U, "U")
    INT_KEY(C, "C")
    INT_KEY(F, "F")
    INT_KEY(d_in, "d_in")
    INT_KEY(d_h, "d_h")
    INT_KEY(d_model, "d_model")
    INT_KEY(in, "in")
    INT_KEY(out, "out")
    INT_KEY(use_bias, "use_bias")
    INT_KEY(use_bias, "bias")
    INT_KEY(complex, "complex")
    INT_KEY(decay_data, "decay")
    INT_KEY(tied, "tied")
    INT_KEY(true_recurrence, "true_recurrence")
    INT_KEY(ln0, "ln0")
#undef INT_KEY
    if (has(cfg, "eps_den"))
        s->eps_den_nonzero = lrb_cfg_get(cfg, "eps_den") != 0.0;
    if (has(cfg, "rnn"))
        s->rnn = lrb_cfg_choice(cfg, "rnn");
}

static int err2(const char *msg, const char *arg)
{
    fprintf(stderr, "lrb: complexity: %s%s\n", msg, arg);
    return 2;
}

/* Prints one configuration; 2 (after a one-line error) when a count does not fit int64. */
static int print_one(const lrb_cfg *cfg, int json)
{
    lrb_cx_shape sh;
    lrb_cx_result r;
    lrb_cx_shape_from_cfg(cfg, &sh);
    char cfgs[256];
    lrb_cfg_format(cfg, cfgs, sizeof cfgs);
    if (lrb_cx_compute(&sh, &r)) {
        fprintf(stderr, "lrb: complexity: %s (%s)\n", r.error, cfgs);
        return 2;
    }
    if (json) {
        printf("{\"layer\": \"%s\", \"config\": \"%s\", \"params\": %lld, \"macs_dense\": %lld, \"macs_total\": %lld, "
               "\"transcendentals\": %lld, \"bytes_min\": %lld, \"state_floats\": %lld}\n",
               cfg->layer->name, cfgs, (long long)r.params, (long long)r.macs_dense, (long long)r.macs_total,
               (long long)r.transcendentals, (long long)r.bytes_min, (long long)r.state_floats);
        return 0;
    }
    printf("%s (%s)\n", cfg->layer->name, cfgs);
    lrb_cx_print_tree(stdout, &r);
    char t[32];
    printf("params %s, macs_dense %lld, macs_total %lld, transcendentals %lld, bytes_min %lld, state floats %lld\n\n",
           lrb_cx_fmt_thousands(r.params, t, sizeof t), (long long)r.macs_dense, (long long)r.macs_total,
           (long long)r.transcendentals, (long long)r.bytes_min, (long long)r.state_floats);
    return 0;
}

/* One row per length; stops at the first length that is not a valid L or whose counts do not fit (2). */
static int print_seq_lens(const lrb_cfg *base, const int64_t *lens, int n, int json)
{
    char cfgs[256];
    lrb_cfg_format(base, cfgs, sizeof cfgs);
    if (!json)
        printf("%s (%s) across sequence lengths\n%8s %14s %16s %16s %16s %16s %12s\n", base->layer->name, cfgs, "L",
               "params", "macs_dense", "macs_total", "transcendentals", "bytes_min", "state_floats");
    for (int i = 0; i < n; i++) {
        lrb_cfg c = *base;
        char num[32], err[256];
        snprintf(num, sizeof num, "%lld", (long long)lens[i]);
        if (lrb_cfg_set(&c, "L", num, err, sizeof err))
            return err2("--seq-lens: ", err);
        if (json) {
            if (print_one(&c, 1))
                return 2;
            continue;
        }
        lrb_cx_shape sh;
        lrb_cx_result r;
        lrb_cx_shape_from_cfg(&c, &sh);
        if (lrb_cx_compute(&sh, &r)) {
            fprintf(stderr, "lrb: complexity: %s (L=%lld)\n", r.error, (long long)lens[i]);
            return 2;
        }
        printf("%8lld %14lld %16lld %16lld %16lld %16lld %12lld\n", (long long)lens[i], (long long)r.params,
               (long long)r.macs_dense, (long long)r.macs_total, (long long)r.transcendentals, (long long)r.bytes_min,
               (long long)r.state_floats);
    }
    if (!json)
        printf("\n");
    return 0;
}

int lrb_cmd_complexity(int argc, char **argv)
{
    const char *layer_name = NULL, *seq = NULL, *wrapper = NULL;
    const char *kv[LRB_MAX_KEYS * 2];
    int nkv = 0, json = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json")) {
            json = 1;
            continue;
        }
        if (strncmp(a, "--", 2) != 0)
            return err2("unexpected argument (options are --name value): ", a);
        if (i + 1 >= argc)
            return err2("option needs a value: ", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--layer"))
            layer_name = v;
        else if (!strcmp(a, "--seq-lens"))
            seq = v;
        else if (!strcmp(a, "--wrapper"))
            wrapper = v;
        else if (!strcmp(a, "--config")) {
            if (nkv == (int)(sizeof kv / sizeof kv[0]))
                return err2("too many --config options", "");
            kv[nkv++] = v;
        } else
            return err2("unknown option ", a);
    }
    if (wrapper && layer_name && strcmp(layer_name, "rnn_wrapper") != 0)
        return err2("--wrapper describes rnn_wrapper; it cannot be combined with --layer ", layer_name);
    if (wrapper)
        layer_name = "rnn_wrapper";
    int seed_default = !layer_name;
    if (seed_default)
        layer_name = "rnn_wrapper";
    const lrb_layer *layer = lrb_layer_find(layer_name);
    if (!layer)
        return err2("unknown layer (see `lrb list`): ", layer_name);

    lrb_cfg cfg;
    char err[512];
    lrb_cfg_defaults(layer, &cfg);
    if (wrapper || seed_default) {
        int64_t v[4] = {1, 64, 64, 160};
        if (wrapper && lrb_parse_int_list(wrapper, 1, INT64_MAX, v, 4) != 4)
            return err2("--wrapper expects B,C,F,T (four positive integers), got ", wrapper);
        const char *keys[4] = {"B", "C", "F", "L"};
        for (int k = 0; k < 4; k++) {
            char num[32];
            snprintf(num, sizeof num, "%lld", (long long)v[k]);
            if (lrb_cfg_set(&cfg, keys[k], num, err, sizeof err))
                return err2("--wrapper: ", err);
        }
    }
    int set[LRB_MAX_KEYS];
    if (lrb_cfg_set_kvs(&cfg, kv, nkv, set, err, sizeof err))
        return err2(err, "");
    const int rnn_key = lrb_key_index(layer, "rnn");
    const int rnn_set = rnn_key >= 0 && set[rnn_key];
    if (lrb_cfg_validate(&cfg, err, sizeof err))
        return err2(err, "");
    int64_t lens[64];
    int nlens = 0;
    if (seq && (nlens = lrb_parse_int_list(seq, 1, INT64_MAX, lens, 64)) < 1)
        return err2("--seq-lens expects a comma-separated list of positive integers, got ", seq);

    /* the seed printout covers the three inner layers unless one was chosen */
    int nrnn = (seed_default || wrapper) && !rnn_set ? 3 : 1;
    for (int r = 0; r < nrnn; r++) {
        lrb_cfg c = cfg;
        if (nrnn == 3) {
            static const char *const rnns[] = {"lru", "slru", "brwkv"};
            lrb_cfg_set(&c, "rnn", rnns[r], err, sizeof err);
        }
        if (nlens ? print_seq_lens(&c, lens, nlens, json) : print_one(&c, json))
            return 2;
    }
    return 0;
}
