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
        char *end;
        long n = strtol(v, &end, 10);
        if (*v == '\0' || *end != '\0' || n < 1 || n > 1024 || lrb_cpu_set_threads((int)n))
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
    return failed ? 1 : 0;
}

/* ---- run ---------------------------------------------------------------------------------------- */

#define MAX_INPUTS 4

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Reads only the shape of an .npy file (the file is parsed in full: inputs are small enough). */
static int npy_shape(const char *path, int *ndim, int64_t *shape, char *err, size_t errlen)
{
    lrb_npy a;
    char msg[256];
    if (lrb_npy_read(path, &a, msg, sizeof msg)) {
        snprintf(err, errlen, "%.700s: %s", path, msg);
        return -1;
    }
    *ndim = a.ndim;
    memcpy(shape, a.shape, sizeof a.shape);
    lrb_npy_free(&a);
    return 0;
}

static int cmd_run(int argc, char **argv)
{
    const char *layer_name = NULL, *variant_name = NULL, *params = NULL, *output = NULL, *state_in = NULL,
               *state_out = NULL;
    const char *in_name[MAX_INPUTS], *in_path[MAX_INPUTS];
    const char *cfg_kv[LRB_MAX_KEYS * 2];
    int n_in = 0, n_cfg = 0, c;
    char err[1024];
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc)
            return usage_error("run: option %s needs a value%s", a, "");
        const char *v = argv[++i];
        if (!strcmp(a, "--layer"))
            layer_name = v;
        else if (!strcmp(a, "--variant"))
            variant_name = v;
        else if (!strcmp(a, "--params"))
            params = v;
        else if (!strcmp(a, "--output"))
            output = v;
        else if (!strcmp(a, "--state-in"))
            state_in = v;
        else if (!strcmp(a, "--state-out"))
            state_out = v;
        else if ((c = cpu_option("run", a, v)) != 0) {
            if (c == 2)
                return 2;
        } else if (!strcmp(a, "--config")) {
            if (n_cfg == (int)(sizeof cfg_kv / sizeof cfg_kv[0]))
                return usage_error("run: too many --config options%s%s", "", "");
            cfg_kv[n_cfg++] = v;
        } else if (!strcmp(a, "--input")) {
            if (n_in == MAX_INPUTS)
                return usage_error("run: too many --input options%s%s", "", "");
            const char *eq = strchr(v, '=');
            in_name[n_in] = eq ? v : NULL;
            in_path[n_in] = eq ? eq + 1 : v;
            n_in++;
        } else
            return usage_error("run: unknown option %s%s", a, "");
    }
    if (!layer_name)
        return usage_error("run: --layer is required (see `lrb list`)%s%s", "", "");
    const lrb_layer *layer = lrb_layer_find(layer_name);
    if (!layer)
        return usage_error("run: --layer %s: unknown layer (see `lrb list`)%s", layer_name, "");
    const lrb_variant *var = variant_name ? lrb_variant_find(variant_name) : lrb_variant_default(layer_name);
    if (!var || strcmp(var->layer, layer_name) != 0)
        return usage_error("run: --variant %s: not a variant of layer %s (see `lrb list`)",
                           variant_name ? variant_name : "?", layer_name);
    const char *why = NULL;
    if (!lrb_variant_available(var, &why))
        return usage_error("run: --variant %s: not available on this machine: %s", var->name, why ? why : "?");
    if (!params || !is_dir(params))
        return usage_error("run: --params %s: expected a directory of <name>.npy parameter files%s",
                           params ? params : "(missing)", "");
    if (n_in == 0)
        return usage_error("run: --input is required%s%s", "", "");
    if (!output)
        return usage_error("run: --output is required%s%s", "", "");
    if (state_in && !is_dir(state_in))
        return usage_error("run: --state-in %s: expected a directory of <state>.npy files%s", state_in, "");
    if (state_out && !is_dir(state_out))
        return usage_error("run: --state-out %s: expected an existing directory%s", state_out, "");

    /* configuration: defaults, then --config, then widths inferred from the files */
    lrb_cfg cfg;
    lrb_cfg_defaults(layer, &cfg);
    int explicit_key[LRB_MAX_KEYS] = {0};
    for (int i = 0; i < n_cfg; i++) {
        char kv[128];
        snprintf(kv, sizeof kv, "%s", cfg_kv[i]);
        char *eq = strchr(kv, '=');
        if (!eq)
            return usage_error("run: --config %s: expected key=value%s", cfg_kv[i], "");
        *eq = '\0';
        if (lrb_cfg_set(&cfg, kv, eq + 1, err, sizeof err))
            return usage_error("run: %s%s", err, "");
        explicit_key[lrb_key_index(layer, kv)] = 1;
    }

    /* map --input files onto the layer's input names (in order, or NAME=FILE) */
    lrb_call probe;
    lrb_call_init(&probe, &cfg);
    const char *input_names[MAX_INPUTS];
    int n_layer_inputs = 0;
    for (int i = 0; i < probe.n; i++)
        if (probe.spec[i].role == LRB_INPUT && n_layer_inputs < MAX_INPUTS)
            input_names[n_layer_inputs++] = probe.spec[i].name;
    const char *path_of[MAX_INPUTS] = {0};
    for (int i = 0; i < n_in; i++) {
        if (in_name[i]) {
            char nm[LRB_NAME_MAX];
            size_t len = (size_t)(in_path[i] - 1 - in_name[i]);
            snprintf(nm, sizeof nm, "%.*s", (int)len, in_name[i]);
            int found = -1;
            for (int k = 0; k < n_layer_inputs; k++)
                if (!strcmp(input_names[k], nm))
                    found = k;
            if (found < 0)
                return usage_error("run: --input %s: layer has no input of that name", in_name[i], "");
            path_of[found] = in_path[i];
        } else if (i < n_layer_inputs) {
            path_of[i] = in_path[i];
        } else {
            return usage_error("run: --input %s: layer %s has fewer inputs", in_path[i], layer_name);
        }
    }

    /* linear and layernorm take any leading axes as rows: view the input as (1, rows, width) */
    int lead_ndim = 0;
    int64_t lead_shape[LRB_MAX_NDIM];
    int rows_layer = !strcmp(layer_name, "linear") || !strcmp(layer_name, "layernorm");

    for (const lrb_infer_rule *r = layer->infer; r->key; r++) {
        int ki = lrb_key_index(layer, r->key);
        if (explicit_key[ki])
            continue;
        char path[1024];
        int is_input = 0;
        for (int k = 0; k < n_layer_inputs; k++)
            if (!strcmp(input_names[k], r->tensor)) {
                is_input = 1;
                if (!path_of[k])
                    return usage_error("run: input '%s' of layer %s was not given (--input %s=FILE)", r->tensor,
                                       layer_name);
                snprintf(path, sizeof path, "%s", path_of[k]);
            }
        if (!is_input)
            snprintf(path, sizeof path, "%s/%s.npy", params, r->tensor);
        int ndim;
        int64_t shape[LRB_MAX_NDIM];
        if (npy_shape(path, &ndim, shape, err, sizeof err))
            return usage_error("run: %s%s", err, "");
        if (rows_layer && is_input && ndim != 3) {
            if (ndim < 1)
                return usage_error("run: %s: expected an array with at least 1 axis (..., %s)", path, r->key);
            lead_ndim = ndim - 1;
            int64_t rows = 1;
            for (int d = 0; d < ndim - 1; d++) {
                lead_shape[d] = shape[d];
                rows *= shape[d];
            }
            int64_t view[3] = {1, rows, shape[ndim - 1]};
            ndim = 3;
            memcpy(shape, view, sizeof view);
        }
        int axis = r->axis < 0 ? ndim + r->axis : r->axis;
        if (axis < 0 || axis >= ndim)
            return usage_error("run: %s: has %s axes, fewer than the layer expects", path,
                               ndim == 0   ? "0"
                               : ndim == 1 ? "1"
                               : ndim == 2 ? "2"
                                           : "too few");
        int64_t val = shape[axis] / r->div;
        if (val < 1) {
            char msg[256];
            snprintf(msg, sizeof msg, "axis %d (%s) is %lld, expected >= 1", axis, r->key, (long long)shape[axis]);
            return usage_error("run: %s: %s", path, msg);
        }
        char num[32];
        snprintf(num, sizeof num, "%lld", (long long)val);
        if (lrb_cfg_set(&cfg, r->key, num, err, sizeof err))
            return usage_error("run: %s%s", err, "");
    }
    if (lrb_cfg_validate(&cfg, err, sizeof err))
        return usage_error("run: %s%s", err, "");
    if (!lrb_variant_supports(var, &cfg))
        return usage_error("run: variant %s does not support this configuration%s", var->name, "");

    lrb_bundle b;
    if (lrb_bundle_alloc(&b, &cfg, err, sizeof err))
        return usage_error("run: %s%s", err, "");
    int rc = 2;
    if (lrb_bundle_load(&b, params, 1u << LRB_PARAM, err, sizeof err))
        goto done;
    for (int k = 0; k < n_layer_inputs; k++) {
        if (!path_of[k]) {
            snprintf(err, sizeof err, "input '%s' of layer %s was not given (--input %s=FILE)", input_names[k],
                     layer_name, input_names[k]);
            goto done;
        }
        if (lead_ndim && k == 0) {
            /* rows view: load with the file's own shape, already checked to hold rows × width */
            lrb_npy a;
            char msg[256];
            float *f = NULL;
            if (lrb_npy_read(path_of[k], &a, msg, sizeof msg)) {
                snprintf(err, sizeof err, "%s: %s", path_of[k], msg);
                goto done;
            }
            int conv = lrb_npy_to_f32(&a, &f);
            if (conv == 0)
                memcpy(lrb_call_get(&b.call, input_names[k]), f, (size_t)a.count * sizeof(float));
            free(f);
            lrb_npy_free(&a);
            if (conv) {
                snprintf(err, sizeof err, "%s: dtype must be float32 or float64", path_of[k]);
                goto done;
            }
        } else if (lrb_bundle_load_tensor(&b, input_names[k], path_of[k], err, sizeof err)) {
            goto done;
        }
    }
    if (state_in && lrb_bundle_load_state_in(&b, state_in, "", err, sizeof err))
        goto done;
    if (lrb_bundle_run(&b, var, err, sizeof err)) {
        rc = 1;
        goto done;
    }
    if (lead_ndim) {
        /* write the output with the input's leading axes */
        int iy = lrb_call_find(&b.call, "y");
        int64_t shape[LRB_MAX_NDIM];
        memcpy(shape, lead_shape, sizeof shape);
        shape[lead_ndim] = b.call.spec[iy].shape[2];
        char msg[256];
        if (lrb_npy_write_f32(output, lead_ndim + 1, shape, b.call.t[iy], msg, sizeof msg)) {
            snprintf(err, sizeof err, "%s: %s", output, msg);
            goto done;
        }
    } else if (lrb_bundle_save(&b, output, state_out, err, sizeof err)) {
        goto done;
    }
    char cfgs[256];
    lrb_cfg_format(&cfg, cfgs, sizeof cfgs);
    fprintf(stderr, "lrb run: %s (%s) -> %s\n", var->name, cfgs, output);
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
