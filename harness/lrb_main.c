/*
 * lrb_main.c — the `lrb` command line (DESIGN.md §5.1): list, check, complexity, run.
 * Exit codes: 0 success; 1 conformance failure; 2 usage or input error, with one line on stderr that
 * names the argument or file and what was expected.
 */
#define _POSIX_C_SOURCE 200809L
#include "bundle.h"
#include "cases.h"
#include "conformance.h"
#include "complexity_cli.h"
#include "lrb_cpu.h"
#include "lrb_layers.h"
#include "npy.h"
#include "parse.h"
#include "registry.h"
#ifdef LRB_WITH_CUDA
#include "lrb_cuda.h"
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int usage_error(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "lrb: ");
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, "\n");
    return 2;
}

static void print_usage(FILE *f)
{
    fprintf(f, "usage: lrb <command> [options]\n"
               "  list                                   layers, variants, backends available here\n"
               "  check [--layer L] [--variant V] [--case SUBSTR] [--golden DIR] [--cases FILE] [--tier 1|2]\n"
               "        [--json FILE]                    conformance against the float64 golden set\n"
               "  complexity [--layer L] [--config k=v]... [--seq-lens L1,L2,...] [--wrapper B,C,F,T] [--json]\n"
               "                                         params, dense/total MACs, transcendentals, bytes, state\n"
               "  run --layer L [--variant V] [--config k=v]... --params DIR --input [NAME=]X.npy --output Y.npy\n"
               "      [--state-in DIR] [--state-out DIR]  run a layer on your own weights and inputs\n"
               "check and run also take [--isa portable|avx2|avx512] [--threads N]: the simd backend's ISA path\n"
               "and thread count (default: LRB_ISA / LRB_THREADS, else the best path and all online CPUs)\n");
}

/* --isa NAME and --threads N, shared by check and run: returns 1 if `a` was one of them (applied), 0 if not,
 * 2 after printing the error. */
static int cpu_option(const char *cmd, const char *a, const char *v)
{
    if (!strcmp(a, "--isa")) {
        lrb_isa isa;
        const char *why = "";
        if (lrb_isa_parse(v, &isa))
            return usage_error("%s: --isa %s: unknown ISA (expected portable, avx2 or avx512)", cmd, v);
        if (!lrb_isa_available(isa, &why) || lrb_cpu_set_isa(isa)) {
            fprintf(stderr, "lrb: %s: --isa %s: not available: %s\n", cmd, v, why);
            return 2;
        }
        return 1;
    }
    if (!strcmp(a, "--threads")) {
        int64_t n;
        if (lrb_parse_int(v, 1, 1024, &n) || lrb_cpu_set_threads((int)n))
            return usage_error("%s: --threads %s: expected an integer from 1 to 1024", cmd, v);
        return 1;
    }
    return 0;
}

/* ---- list --------------------------------------------------------------------------------------- */

static int cmd_list(void)
{
    printf("backends:\n  ref   available (portable scalar C; the definition)\n");
    printf("  simd  available: ISA path %s, %d threads (LRB_ISA, LRB_THREADS); paths:", lrb_isa_name(lrb_cpu_isa()),
           lrb_cpu_threads());
    for (int i = 0; i < LRB_NUM_ISAS; i++) {
        const char *why = "";
        if (lrb_isa_available((lrb_isa)i, &why))
            printf(" %s", lrb_isa_name((lrb_isa)i));
        else
            printf(" %s (unavailable: %s)", lrb_isa_name((lrb_isa)i), why);
    }
#ifdef LRB_WITH_CUDA
    const char *cwhy = "";
    if (lrb_cuda_available(&cwhy)) {
        char info[256];
        lrb_cuda_device_info(info, sizeof info);
        printf("\n  cuda  available: %s\n\nlayers:\n", info);
    } else {
        printf("\n  cuda  unavailable: %s (its variants are listed, and skipped by check and the benchmarks)"
               "\n\nlayers:\n",
               cwhy);
    }
#else
    printf("\n  cuda  not built (no nvcc when this binary was configured)\n\nlayers:\n");
#endif
    for (int i = 0; i < lrb_num_layers; i++) {
        const lrb_layer *l = lrb_layers[i];
        printf("  %-17s %s\n    keys:", l->name, l->summary);
        for (int k = 0; k < l->nkeys; k++) {
            const lrb_key_spec *ks = &l->keys[k];
            if (ks->choices)
                printf(" %s=%s", ks->name, ks->choices[(int)ks->def]);
            else
                printf(" %s=%g", ks->name, ks->def);
        }
        printf("\n    variants:");
        for (int v = 0; v < lrb_num_variants; v++)
            if (strcmp(lrb_variants[v].layer, l->name) == 0)
                printf(" %s", lrb_variants[v].name);
        printf("\n");
    }
    return 0;
}

/* ---- check -------------------------------------------------------------------------------------- */

static int cmd_check(int argc, char **argv)
{
    lrb_check_opts o = {lrb_golden_dir(), 1, NULL, NULL, NULL, stdout, NULL};
    const char *json = NULL, *cases = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0)
            return usage_error("check: unexpected argument '%s' (options are --name value)%s", a, "");
        if (i + 1 >= argc)
            return usage_error("check: option %s needs a value%s", a, "");
        const char *v = argv[++i];
        if (!strcmp(a, "--layer")) {
            if (!lrb_layer_find(v))
                return usage_error("check: --layer %s: unknown layer (see `lrb list`)%s", v, "");
            o.layer = v;
        } else if (!strcmp(a, "--variant")) {
            if (!lrb_variant_find(v))
                return usage_error("check: --variant %s: unknown variant (see `lrb list`)%s", v, "");
            o.variant = v;
        } else if (!strcmp(a, "--case"))
            o.case_filter = v;
        else if (!strcmp(a, "--golden"))
            o.golden_dir = v;
        else if (!strcmp(a, "--cases"))
            cases = v;
        else if (!strcmp(a, "--tier")) {
            if (strcmp(v, "1") && strcmp(v, "2"))
                return usage_error("check: --tier %s: expected 1 or 2%s", v, "");
            o.tier = atoi(v);
        } else if (!strcmp(a, "--json"))
            json = v;
        else {
            int c = cpu_option("check", a, v);
            if (c != 1)
                return c == 2 ? 2 : usage_error("check: unknown option %s%s", a, "");
        }
    }
    char cases_path[1024], err[1024];
    /* the case table lives beside the committed golden set, also when --golden names a tier-2 directory */
    if (cases)
        snprintf(cases_path, sizeof cases_path, "%s", cases);
    else
        snprintf(cases_path, sizeof cases_path, "%s/cases.txt", lrb_golden_dir());
    lrb_case_table t;
    if (lrb_cases_load(cases_path, &t, err, sizeof err))
        return usage_error("%s%s", err, "");
    if (json) {
        o.jsonl = fopen(json, "w");
        if (!o.jsonl) {
            lrb_cases_free(&t);
            return usage_error("--json %s: cannot write (%s)", json, strerror(errno));
        }
    }
    lrb_check_summary s;
    int failed = lrb_check_run(&t, &o, &s);
    if (o.jsonl)
        fclose(o.jsonl);
    lrb_cases_free(&t);
    if (failed < 0)
        return 2;
    lrb_check_print_summary(stdout, &s);
    if (s.rows == 0 && s.unavailable > 0) {
        fprintf(stderr, "lrb check: nothing run: the selected variants need a backend unavailable here (%s)\n",
                s.unavailable_why ? s.unavailable_why : "?");
        return 2;
    }
    if (s.rows == 0) {
        fprintf(stderr, "lrb check: no case matched the selection\n");
        return 2;
    }
    if (s.unreadable) { /* the golden set is broken, which says nothing about the variants */
        fprintf(stderr, "lrb check: the golden files of %d case(s) could not be read (first: %s)\n", s.unreadable,
                s.unreadable_why);
        return 2;
    }
    return failed ? 1 : 0;
}

/* ---- run ---------------------------------------------------------------------------------------- */

#define MAX_INPUTS 4

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The shape of an .npy file of floats, from its header (the data is not read). */
static int npy_shape(const char *path, int *ndim, int64_t *shape, char *err, size_t errlen)
{
    lrb_npy a;
    char msg[256];
    if (lrb_npy_read_float_header(path, &a, msg, sizeof msg)) {
        snprintf(err, errlen, "%.700s: %s", path, msg);
        return -1;
    }
    *ndim = a.ndim;
    memcpy(shape, a.shape, sizeof a.shape);
    lrb_npy_free(&a);
    return 0;
}

typedef struct run_opts {
    const char *layer, *variant, *params, *output, *state_in, *state_out;
    const char *in_arg[MAX_INPUTS]; /* as given: [NAME=]FILE */
    const char *cfg_kv[LRB_MAX_KEYS * 2];
    int n_in, n_cfg;
} run_opts;

static int parse_run(int argc, char **argv, run_opts *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0)
            return usage_error("run: unexpected argument '%s' (options are --name value)%s", a, "");
        if (i + 1 >= argc)
            return usage_error("run: option %s needs a value%s", a, "");
        const char *v = argv[++i];
        const char **once = !strcmp(a, "--layer")       ? &o->layer
                            : !strcmp(a, "--variant")   ? &o->variant
                            : !strcmp(a, "--params")    ? &o->params
                            : !strcmp(a, "--output")    ? &o->output
                            : !strcmp(a, "--state-in")  ? &o->state_in
                            : !strcmp(a, "--state-out") ? &o->state_out
                                                        : NULL;
        int c;
        if (once) {
            if (*once) /* the last of two would win silently */
                return usage_error("run: %s given twice%s", a, "");
            if (!*v)
                return usage_error("run: %s: an empty value%s", a, "");
            *once = v;
        } else if ((c = cpu_option("run", a, v)) != 0) {
            if (c == 2)
                return 2;
        } else if (!strcmp(a, "--config")) {
            if (o->n_cfg == (int)(sizeof o->cfg_kv / sizeof o->cfg_kv[0]))
                return usage_error("run: too many --config options%s%s", "", "");
            o->cfg_kv[o->n_cfg++] = v;
        } else if (!strcmp(a, "--input")) {
            if (o->n_in == MAX_INPUTS)
                return usage_error("run: too many --input options%s%s", "", "");
            const char *eq = strchr(v, '=');
            if (!*v || (eq && (eq == v || !eq[1])))
                return usage_error("run: --input '%s': expected FILE or NAME=FILE%s", v, "");
            o->in_arg[o->n_in++] = v;
        } else
            return usage_error("run: unknown option %s%s", a, "");
    }
    return 0;
}

/* Maps the --input arguments onto the layer's inputs: NAME=FILE by name, plain FILEs in the order of the
 * inputs not named; each input at most once. Returns 0, or 2 after an error. */
static int map_inputs(const run_opts *o, const lrb_call *probe, const char **names, const char **path_of, int *n)
{
    *n = 0;
    for (int i = 0; i < probe->n; i++)
        if (probe->spec[i].role == LRB_INPUT && *n < MAX_INPUTS) {
            path_of[*n] = NULL;
            names[(*n)++] = probe->spec[i].name;
        }
    for (int pass = 0; pass < 2; pass++) /* the named ones first, so that plain ones take the others */
        for (int i = 0; i < o->n_in; i++) {
            const char *arg = o->in_arg[i], *eq = strchr(arg, '=');
            if ((eq != NULL) == pass) /* pass 0: NAME=FILE; pass 1: FILE */
                continue;
            int k = 0;
            if (eq) {
                while (k < *n && (strncmp(names[k], arg, (size_t)(eq - arg)) || names[k][eq - arg]))
                    k++;
                if (k == *n)
                    return usage_error("run: --input %s: layer has no input of that name", arg, "");
                if (path_of[k])
                    return usage_error("run: --input %s: input '%s' given twice", arg, names[k]);
                path_of[k] = eq + 1;
            } else {
                while (k < *n && path_of[k])
                    k++;
                if (k == *n)
                    return usage_error("run: --input %s: layer %s has no input left for it", arg,
                                       probe->cfg->layer->name);
                path_of[k] = arg;
            }
        }
    for (int k = 0; k < *n; k++)
        if (!path_of[k]) {
            char msg[256];
            snprintf(msg, sizeof msg, "input '%s' of layer %s was not given (--input %s=FILE)", names[k],
                     probe->cfg->layer->name, names[k]);
            return usage_error("run: %s%s", msg, "");
        }
    return 0;
}

/* The parameters of cfg that `other` lacks: how many, and how many of them have a file in dir. */
static void own_params(const lrb_cfg *cfg, const lrb_cfg *other, const char *dir, int *n, int *present)
{
    lrb_call a, b;
    lrb_call_init(&a, cfg);
    lrb_call_init(&b, other);
    *n = *present = 0;
    for (int i = 0; i < a.n; i++) {
        if (a.spec[i].role != LRB_PARAM || lrb_call_find(&b, a.spec[i].name) >= 0)
            continue;
        char path[1024];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s.npy", dir, a.spec[i].name);
        ++*n;
        *present += stat(path, &st) == 0;
    }
}

/* By name: the flag takes the value whose own parameters the --params directory holds: glru's recurrent
 * projection (true_recurrence=1), rwkv4_block's LN0 (ln0=1), a complex scan's θ (complex=1), biases
 * missing altogether (use_bias=0, bias=0). Otherwise a file the layer would ignore, or one it misses,
 * decides nothing: the first is an error here, the second names the file when the parameters load.
 * 1: take alt; 0: keep cfg; 2 after an error. */
static int flag_by_files(const lrb_cfg *cfg, const lrb_cfg *alt, int k, const char *dir)
{
    int n_cur, has_cur, n_alt, has_alt;
    own_params(cfg, alt, dir, &n_cur, &has_cur);
    own_params(alt, cfg, dir, &n_alt, &has_alt);
    const int cur_complete = n_cur > 0 && has_cur == n_cur, alt_complete = n_alt > 0 && has_alt == n_alt;
    const char *key = cfg->layer->keys[k].name;
    char msg[512];
    if (cur_complete && alt_complete) {
        snprintf(msg, sizeof msg, "--params %.300s holds the parameters of both %s=0 and %s=1: set --config %s", dir,
                 key, key, key);
        return usage_error("run: %s%s", msg, "");
    }
    if (alt_complete || (n_cur > 0 && has_cur == 0 && n_alt == 0))
        return 1;
    if (has_alt > 0 && !cur_complete) {
        snprintf(msg, sizeof msg, "--params %.300s holds some of the parameters of %s=%d, not all: set --config %s",
                 dir, key, (int)alt->v[k], key);
        return usage_error("run: %s%s", msg, "");
    }
    return 0;
}

/* By shape, once the widths are known, for a flag that adds no file but changes a parameter's shape (glru's
 * tied: proj.kernel and proj.bias hold 3·d_h or 4·d_h columns): when the files do not have the shapes of
 * cfg and do have those of alt, take alt (1). Anything else (0) is left to the load, which names the file
 * whose shape is wrong. */
static int flag_by_shapes(const lrb_cfg *cfg, const lrb_cfg *alt, const char *dir)
{
    lrb_call a, b;
    lrb_call_init(&a, cfg);
    lrb_call_init(&b, alt);
    int differ = 0, cur_fits = 1, alt_fits = 1;
    for (int i = 0; i < a.n; i++) {
        const lrb_tensor_spec *s = &a.spec[i];
        const int j = lrb_call_find(&b, s->name);
        if (s->role != LRB_PARAM || s->per_f || j < 0)
            continue;
        const lrb_tensor_spec *t = &b.spec[j];
        if (lrb_shape_equal(s->ndim, s->shape, t->ndim, t->shape))
            continue;
        differ = 1;
        char path[1024], err[1024];
        int ndim;
        int64_t shape[LRB_MAX_NDIM];
        snprintf(path, sizeof path, "%s/%s.npy", dir, s->name);
        if (npy_shape(path, &ndim, shape, err, sizeof err))
            return 0; /* the load reports it */
        cur_fits &= lrb_shape_equal(s->ndim, s->shape, ndim, shape);
        alt_fits &= lrb_shape_equal(t->ndim, t->shape, ndim, shape);
    }
    return differ && !cur_fits && alt_fits;
}

/* Each flag that --config left unset follows the parameter files, by their names (before the widths are
 * inferred) or by their shapes (after). Returns 0, or 2 after an error. */
static int infer_flags(lrb_cfg *cfg, const int *explicit_key, const char *dir, int by_shape)
{
    const lrb_layer *layer = cfg->layer;
    for (int k = 0; k < layer->nkeys; k++) {
        if (explicit_key[k] || layer->keys[k].choices != lrb_flag_choices)
            continue;
        lrb_cfg alt = *cfg;
        alt.v[k] = 1.0 - cfg->v[k];
        const int take = by_shape ? flag_by_shapes(cfg, &alt, dir) : flag_by_files(cfg, &alt, k, dir);
        if (take == 2)
            return 2;
        if (take)
            cfg->v[k] = alt.v[k];
    }
    return 0;
}

static int cmd_run(int argc, char **argv)
{
    run_opts o;
    int rc = parse_run(argc, argv, &o);
    if (rc)
        return rc;
    char err[1024];
    if (!o.layer)
        return usage_error("run: --layer is required (see `lrb list`)%s%s", "", "");
    const lrb_layer *layer = lrb_layer_find(o.layer);
    if (!layer)
        return usage_error("run: --layer %s: unknown layer (see `lrb list`)%s", o.layer, "");
    const lrb_variant *var = o.variant ? lrb_variant_find(o.variant) : lrb_variant_default(o.layer);
    if (!var || strcmp(var->layer, o.layer) != 0)
        return usage_error("run: --variant %s: not a variant of layer %s (see `lrb list`)", o.variant ? o.variant : "?",
                           o.layer);
    const char *why = NULL;
    if (!lrb_variant_available(var, &why))
        return usage_error("run: --variant %s: not available on this machine: %s", var->name, why ? why : "?");
    if (!o.params || !is_dir(o.params))
        return usage_error("run: --params %s: expected a directory of <name>.npy parameter files%s",
                           o.params ? o.params : "(missing)", "");
    if (o.n_in == 0)
        return usage_error("run: --input is required%s%s", "", "");
    if (!o.output)
        return usage_error("run: --output is required%s%s", "", "");
    if (o.state_in && !is_dir(o.state_in))
        return usage_error("run: --state-in %s: expected a directory of <state>.npy files%s", o.state_in, "");
    if (o.state_out && !is_dir(o.state_out))
        return usage_error("run: --state-out %s: expected an existing directory%s", o.state_out, "");

    /* configuration: defaults, then --config, then flags and widths inferred from the files */
    lrb_cfg cfg;
    lrb_cfg_defaults(layer, &cfg);
    int explicit_key[LRB_MAX_KEYS];
    if (lrb_cfg_set_kvs(&cfg, o.cfg_kv, o.n_cfg, explicit_key, err, sizeof err))
        return usage_error("run: %s%s", err, "");
    if ((rc = infer_flags(&cfg, explicit_key, o.params, 0)) != 0)
        return rc;

    lrb_call probe;
    lrb_call_init(&probe, &cfg);
    int has_state = 0;
    for (int i = 0; i < probe.n; i++)
        has_state |= probe.spec[i].role == LRB_STATE;
    if (!has_state && (o.state_in || o.state_out))
        return usage_error("run: %s: layer %s has no state", o.state_in ? "--state-in" : "--state-out", o.layer);
    const char *input_names[MAX_INPUTS], *path_of[MAX_INPUTS];
    int n_inputs;
    if ((rc = map_inputs(&o, &probe, input_names, path_of, &n_inputs)) != 0)
        return rc;

    /* linear and layernorm take any leading axes as rows: such an input is viewed as (1, rows, width) */
    int rows_view = 0, lead_ndim = 0;
    int64_t lead_shape[LRB_MAX_NDIM];
    if (!strcmp(o.layer, "linear") || !strcmp(o.layer, "layernorm")) {
        int ndim;
        if (npy_shape(path_of[0], &ndim, lead_shape, err, sizeof err))
            return usage_error("run: %s%s", err, "");
        rows_view = ndim >= 1 && ndim != 3;
        lead_ndim = ndim - 1;
    }
    for (const lrb_infer_rule *r = layer->infer; r->key; r++) {
        if (explicit_key[lrb_key_index(layer, r->key)])
            continue;
        char path[1024];
        int input = -1;
        for (int k = 0; k < n_inputs; k++)
            if (!strcmp(input_names[k], r->tensor))
                input = k;
        if (input >= 0)
            snprintf(path, sizeof path, "%s", path_of[input]);
        else
            snprintf(path, sizeof path, "%s/%s.npy", o.params, r->tensor);
        int ndim;
        int64_t shape[LRB_MAX_NDIM];
        if (npy_shape(path, &ndim, shape, err, sizeof err))
            return usage_error("run: %s%s", err, "");
        if (rows_view && input == 0) {
            int64_t rows = 1;
            for (int d = 0; d < ndim - 1; d++)
                rows *= shape[d];
            if (rows < 1)
                return usage_error("run: %s: no rows (an axis before the last is 0)%s", path, "");
            const int64_t view[3] = {1, rows, shape[ndim - 1]};
            ndim = 3;
            memcpy(shape, view, sizeof view);
        }
        const int axis = r->axis < 0 ? ndim + r->axis : r->axis;
        if (axis < 0 || axis >= ndim) {
            snprintf(err, sizeof err, "%.900s: %d axes, expected at least %d (%s is axis %d)", path, ndim,
                     r->axis < 0 ? -r->axis : r->axis + 1, r->key, r->axis);
            return usage_error("run: %s%s", err, "");
        }
        const int div = r->div_if && !lrb_cfg_int(&cfg, r->div_if) ? 1 : r->div;
        const int64_t val = shape[axis] / div;
        if (val < 1 || shape[axis] % div) {
            snprintf(err, sizeof err, "%.900s: axis %d (%s) is %lld, expected %s", path, axis, r->key,
                     (long long)shape[axis], div == 1 ? "at least 1" : "a positive even number (re, im planes)");
            return usage_error("run: %s%s", err, "");
        }
        char num[32];
        snprintf(num, sizeof num, "%lld", (long long)val);
        if (lrb_cfg_set(&cfg, r->key, num, err, sizeof err))
            return usage_error("run: %s%s", err, "");
    }
    (void)infer_flags(&cfg, explicit_key, o.params, 1); /* by shape it only sets flags: never an error */
    if (lrb_cfg_validate(&cfg, err, sizeof err))
        return usage_error("run: %s%s", err, "");
    if (!lrb_variant_supports(var, &cfg)) { /* name the variants that do (glru's true recurrence: seq only) */
        char those[512] = "";
        for (int i = 0; i < lrb_num_variants; i++)
            if (!strcmp(lrb_variants[i].layer, o.layer) && lrb_variant_supports(&lrb_variants[i], &cfg) &&
                lrb_variant_available(&lrb_variants[i], NULL) && strlen(those) + 64 < sizeof those)
                snprintf(those + strlen(those), sizeof those - strlen(those), " %s", lrb_variants[i].name);
        return usage_error("run: variant %s does not support this configuration (these do:%s)", var->name, those);
    }

    lrb_bundle b;
    if (lrb_bundle_alloc(&b, &cfg, err, sizeof err))
        return usage_error("run: %s%s", err, "");
    rc = 2;
    if (lrb_bundle_load(&b, o.params, 1u << LRB_PARAM, err, sizeof err))
        goto done;
    for (int k = 0; k < n_inputs; k++)
        if (rows_view && k == 0 ? lrb_bundle_load_rows(&b, input_names[k], path_of[k], err, sizeof err)
                                : lrb_bundle_load_tensor(&b, input_names[k], path_of[k], err, sizeof err))
            goto done;
    if (o.state_in && lrb_bundle_load_state_in(&b, o.state_in, "", err, sizeof err))
        goto done;
    if (lrb_bundle_run(&b, var, err, sizeof err)) {
        rc = 1;
        goto done;
    }
    if (rows_view) {
        /* the output is saved with the input's leading axes: the same elements, (1, rows, out) viewed back */
        lrb_tensor_spec *y = &b.call.spec[lrb_call_find(&b.call, "y")];
        lead_shape[lead_ndim] = y->shape[2];
        y->ndim = lead_ndim + 1;
        memcpy(y->shape, lead_shape, sizeof y->shape);
    }
    if (lrb_bundle_save(&b, o.output, o.state_out, err, sizeof err))
        goto done;
    char cfgs[256];
    lrb_cfg_format(&cfg, cfgs, sizeof cfgs);
    fprintf(stderr, "lrb run: %s (%s) -> %s\n", var->name, cfgs, o.output);
    rc = 0;
done:
    if (rc)
        fprintf(stderr, "lrb: run: %s\n", err);
    lrb_bundle_free(&b);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("missing command (expected list, check, complexity or run; see lrb --help)%s%s", "", "");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        print_usage(stdout);
        return 0;
    }
    const char *cmd = argv[1];
    char ierr[256];
    if (lrb_cpu_init(ierr, sizeof ierr))
        return usage_error("%s%s", ierr, "");
    if (!strcmp(cmd, "list"))
        return argc == 2 ? cmd_list() : usage_error("list takes no arguments%s%s", "", "");
    if (!strcmp(cmd, "check"))
        return cmd_check(argc - 2, argv + 2);
    if (!strcmp(cmd, "run"))
        return cmd_run(argc - 2, argv + 2);
    if (!strcmp(cmd, "complexity"))
        return lrb_cmd_complexity(argc - 2, argv + 2);
    return usage_error("unknown command '%s' (expected list, check, complexity or run)%s", cmd, "");
}
