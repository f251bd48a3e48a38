/*
 * conformance.c — the conformance runner behind `lrb check` and the golden tests. One row per (case,
 * variant): the worst of its output and final-state tensors (largest rel-L2 / tolerance), with the
 * measured error next to the tolerance, the largest absolute error and where, and the non-finite and
 * unwritten counts. A variant is also run twice and must give identical bits (determinism).
 */
#define _POSIX_C_SOURCE 200809L
#include "conformance.h"
#include "lrb_cpu.h"

#include "bundle.h"
#include "tolerance.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int lrb_golden_version_ok(const char *golden_dir, char *err, size_t errlen)
{
    char path[1024], buf[16] = "";
    snprintf(path, sizeof path, "%s/VERSION", golden_dir);
    FILE *f = fopen(path, "r");
    if (!f || !fgets(buf, sizeof buf, f)) {
        snprintf(err, errlen, "%s: cannot read (expected the golden set's VERSION file)", path);
        if (f)
            fclose(f);
        return -1;
    }
    fclose(f);
    buf[strcspn(buf, "\r\n")] = '\0';
    if (strcmp(buf, LRB_GOLDEN_VERSION) != 0) {
        snprintf(err, errlen, "%s: version '%s', this build reads version %s", path, buf, LRB_GOLDEN_VERSION);
        return -1;
    }
    return 0;
}

typedef struct row {
    lrb_tensor_result worst;
    double tol;
    char basis[96];
    int pass;
    char why[1200];
} row;

static int outputs_equal(const lrb_bundle *a, const float *const *copy)
{
    for (int i = 0; i < a->call.n; i++) {
        const lrb_tensor_spec *s = &a->call.spec[i];
        if (s->role != LRB_OUTPUT && s->role != LRB_STATE)
            continue;
        if (memcmp(a->call.t[i], copy[i], (size_t)lrb_spec_count(s) * sizeof(float)) != 0)
            return 0;
    }
    return 1;
}

/* Runs v on a loaded bundle twice; fills r. Returns -1 on an internal error. */
static int run_and_compare(lrb_bundle *b, const lrb_variant *v, row *r)
{
    lrb_tensor_result res[LRB_MAX_TENSORS];
    char err[256];
    memset(r, 0, sizeof *r);
    lrb_tolerance tol = lrb_tolerance_for(&b->call);
    r->tol = tol.rel_l2;
    snprintf(r->basis, sizeof r->basis, "%s", tol.basis);
    if (lrb_bundle_run(b, v, err, sizeof err)) {
        snprintf(r->why, sizeof r->why, "%s", err);
        snprintf(r->worst.tensor, sizeof r->worst.tensor, "-");
        r->worst.m.rel_l2 = INFINITY;
        return 0;
    }
    /* keep the first run's bits, run again, require identical results */
    float *copy[LRB_MAX_TENSORS] = {0};
    int ok = 1;
    for (int i = 0; i < b->call.n && ok; i++) {
        const lrb_tensor_spec *s = &b->call.spec[i];
        if (s->role != LRB_OUTPUT && s->role != LRB_STATE)
            continue;
        size_t bytes = (size_t)lrb_spec_count(s) * sizeof(float);
        copy[i] = malloc(bytes ? bytes : 1);
        if (!copy[i])
            ok = 0;
        else
            memcpy(copy[i], b->call.t[i], bytes);
    }
    int n = lrb_bundle_compare(b, tol.rel_l2, res);
    int deterministic = 1;
    if (ok) {
        if (lrb_bundle_run(b, v, err, sizeof err) == 0)
            deterministic = outputs_equal(b, (const float *const *)copy);
        else
            deterministic = 0;
    }
    for (int i = 0; i < b->call.n; i++)
        free(copy[i]);
    if (!ok)
        return -1;
    double worst_ratio = -1;
    int all_pass = 1;
    for (int k = 0; k < n; k++) {
        double ratio = res[k].m.rel_l2 / tol.rel_l2;
        if (isnan(ratio))
            ratio = INFINITY;
        if (!res[k].m.pass)
            all_pass = 0;
        if (ratio > worst_ratio || (!res[k].m.pass && r->worst.m.pass)) {
            worst_ratio = ratio;
            r->worst = res[k];
        }
    }
    for (int k = 0; k < n; k++)
        if (!res[k].m.pass) {
            const lrb_tensor_spec *sp = &b->call.spec[res[k].spec_index];
            lrb_metrics_describe(&res[k].m, res[k].tensor, sp->ndim, sp->shape, r->why, sizeof r->why);
            break;
        }
    if (!deterministic) {
        all_pass = 0;
        snprintf(r->why, sizeof r->why, "second run gave different bits (not deterministic)");
    }
    r->pass = all_pass && n > 0;
    if (n == 0)
        snprintf(r->why, sizeof r->why, "no oracle tensors to compare");
    return 0;
}

static int load_case(lrb_bundle *b, const lrb_case *c, const char *golden_dir, char *err, size_t errlen)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/v1/%s", golden_dir, c->name);
    if (lrb_bundle_alloc(b, &c->cfg, err, errlen))
        return -1;
    if (lrb_bundle_load(b, dir, (1u << LRB_PARAM) | (1u << LRB_INPUT), err, errlen) ||
        (c->state && lrb_bundle_load_state_in(b, dir, "state_in.", err, errlen)) ||
        lrb_bundle_load_ref(b, dir, err, errlen)) {
        lrb_bundle_free(b);
        return -1;
    }
    return 0;
}

int lrb_check_one(const lrb_case *c, const lrb_variant *v, const char *golden_dir, char *msg, size_t msglen,
                  double *rel_l2, double *tol)
{
    lrb_bundle b;
    row r;
    if (load_case(&b, c, golden_dir, msg, msglen))
        return -1;
    int rc = run_and_compare(&b, v, &r);
    lrb_bundle_free(&b);
    if (rc)
        return -1;
    *rel_l2 = r.worst.m.rel_l2;
    *tol = r.tol;
    if (!r.pass)
        snprintf(msg, msglen, "%s on %s: %s", v->name, c->name, r.why);
    return r.pass;
}

/* A JSON number, or null for NaN/Inf (JSON has neither). */
static void json_num(FILE *f, const char *key, double v)
{
    if (isfinite(v))
        fprintf(f, ", \"%s\": %.6e", key, v);
    else
        fprintf(f, ", \"%s\": null", key);
}

static void json_row(FILE *f, const lrb_case *c, const lrb_variant *v, const lrb_call *call, const row *r)
{
    char cfg[256];
    lrb_cfg_format(&c->cfg, cfg, sizeof cfg);
    const lrb_metrics *m = &r->worst.m;
    fprintf(f,
            "{\"case\": \"%s\", \"layer\": \"%s\", \"variant\": \"%s\", \"dtype\": \"float32\", "
            "\"config\": \"%s\", \"tensor\": \"%s\", \"shape\": [",
            c->name, c->cfg.layer->name, v->name, cfg, r->worst.tensor);
    if (call) {
        const lrb_tensor_spec *sp = &call->spec[r->worst.spec_index];
        for (int d = 0; d < sp->ndim; d++)
            fprintf(f, "%s%lld", d ? ", " : "", (long long)sp->shape[d]);
    }
    fprintf(f, "]");
    if (strcmp(v->backend, "simd") == 0) /* the run-time choices that shape a simd result */
        fprintf(f, ", \"isa\": \"%s\", \"threads\": %d", lrb_isa_name(lrb_cpu_isa()), lrb_cpu_threads());
    json_num(f, "rel_l2", m->rel_l2);
    json_num(f, "e_max", m->e_max);
    json_num(f, "max_abs", m->max_abs);
    json_num(f, "max_rel", m->max_rel);
    json_num(f, "nmse", m->nmse);
    fprintf(f, ", \"max_ulp\": %lld, \"nonfinite\": %lld, \"unwritten\": %lld, \"violations\": %lld",
            (long long)m->max_ulp, (long long)m->nonfinite, (long long)m->unwritten, (long long)m->violations);
    json_num(f, "tol_rel_l2", r->tol);
    fprintf(f, ", \"tol_basis\": \"%s\", \"pass\": %s", r->basis, r->pass ? "true" : "false");
    if (!r->pass) {
        fprintf(f, ", \"why\": \"");
        for (const char *p = r->why; *p; p++)
            if (*p == '"' || *p == '\\')
                fprintf(f, "\\%c", *p);
            else if ((unsigned char)*p >= 0x20)
                fputc(*p, f);
        fprintf(f, "\"");
    }
    fprintf(f, "}\n");
}

int lrb_check_run(const lrb_case_table *t, const lrb_check_opts *o, lrb_check_summary *s)
{
    memset(s, 0, sizeof *s);
    char err[1024];
    if (lrb_golden_version_ok(o->golden_dir, err, sizeof err)) {
        fprintf(stderr, "lrb check: %s\n", err);
        return -1;
    }
    if (o->table)
        fprintf(o->table, "%-44s %-26s %-12s %10s %10s %10s %9s %6s  %s\n", "case", "variant", "tensor", "rel_l2",
                "tol", "e_max", "nonfinite", "unwrit", "result");
    for (int ci = 0; ci < t->n; ci++) {
        const lrb_case *c = &t->cases[ci];
        if (c->tier != o->tier || (o->layer && strcmp(o->layer, c->cfg.layer->name) != 0) ||
            (o->case_filter && !strstr(c->name, o->case_filter)))
            continue;
        lrb_bundle b;
        int loaded = load_case(&b, c, o->golden_dir, err, sizeof err) == 0;
        if (!loaded && s->unreadable++ == 0)
            snprintf(s->unreadable_why, sizeof s->unreadable_why, "%s", err);
        for (int vi = 0; vi < lrb_num_variants && vi < 256; vi++) {
            const lrb_variant *v = &lrb_variants[vi];
            if (strcmp(v->layer, c->cfg.layer->name) != 0 || (o->variant && strcmp(o->variant, v->name) != 0))
                continue;
            if (loaded && !lrb_variant_supports(v, &c->cfg)) {
                s->skipped++;
                continue;
            }
            const char *why = NULL;
            if (!lrb_variant_available(v, &why)) {
                s->unavailable++;
                s->unavailable_why = why;
                continue;
            }
            row r;
            memset(&r, 0, sizeof r);
            if (!loaded) {
                snprintf(r.why, sizeof r.why, "%s", err);
                snprintf(r.worst.tensor, sizeof r.worst.tensor, "-");
                r.worst.m.rel_l2 = NAN;
            } else if (run_and_compare(&b, v, &r)) {
                snprintf(r.why, sizeof r.why, "out of memory");
            }
            s->rows++;
            if (r.pass) {
                s->passed++;
            } else {
                s->failed++;
                s->nfailed[vi]++;
            }
            double ratio = r.tol > 0 ? r.worst.m.rel_l2 / r.tol : INFINITY;
            if (s->ncases[vi] == 0 || !(ratio <= s->worst_ratio[vi])) {
                s->worst_ratio[vi] = ratio;
            }
            if (s->ncases[vi] == 0 || !(r.worst.m.rel_l2 <= s->worst[vi])) {
                s->worst[vi] = r.worst.m.rel_l2;
                s->worst_tol[vi] = r.tol;
            }
            s->ncases[vi]++;
            if (o->table)
                fprintf(o->table, "%-44s %-26s %-12s %10.3e %10.3e %10.3e %9lld %6lld  %s%s%s\n", c->name, v->name,
                        r.worst.tensor, r.worst.m.rel_l2, r.tol, r.worst.m.e_max, (long long)r.worst.m.nonfinite,
                        (long long)r.worst.m.unwritten, r.pass ? "PASS" : "FAIL", r.pass ? "" : ": ",
                        r.pass ? "" : r.why);
            if (o->jsonl)
                json_row(o->jsonl, c, v, loaded ? &b.call : NULL, &r);
        }
        if (loaded)
            lrb_bundle_free(&b);
    }
    return s->failed;
}

void lrb_check_print_summary(FILE *f, const lrb_check_summary *s)
{
    /* worst_rel_l2 and the tolerance of the case where it occurred; worst_ratio: the largest rel_l2/tol */
    fprintf(f, "\n%-30s %6s %12s %12s %11s\n", "variant", "cases", "worst_rel_l2", "tol_there", "worst_ratio");
    for (int vi = 0; vi < lrb_num_variants && vi < 256; vi++) {
        if (!s->ncases[vi])
            continue;
        fprintf(f, "%-30s %6d %12.3e %12.3e %11.3f\n", lrb_variants[vi].name, s->ncases[vi], s->worst[vi],
                s->worst_tol[vi], s->worst_ratio[vi]);
    }
    fprintf(f, "conformance: %d passed, %d failed (%d case/variant pairs not applicable)\n", s->passed, s->failed,
            s->skipped);
    if (s->unavailable)
        fprintf(f, "not run: %d case/variant pairs of an unavailable backend (%s)\n", s->unavailable,
                s->unavailable_why ? s->unavailable_why : "unavailable");
}
