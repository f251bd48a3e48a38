/*
 * bundle.c — memory, .npy loading, running and oracle comparison for one layer call (bundle.h).
 * Every buffer is a guarded allocation (metrics.h) so that a variant writing out of bounds is caught;
 * outputs and final states are NaN-poisoned before each run so that an unwritten element is caught.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include "bundle.h"

#include "lrb_layers.h"
#include "npy.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define GUARD_FLOATS 16

/* "(2, 5, 4)", "(4,)" */
static void shape_str(int ndim, const int64_t *shape, char *buf, size_t len)
{
    size_t pos = (size_t)snprintf(buf, len, "(");
    for (int d = 0; d < ndim && pos < len; d++)
        pos += (size_t)snprintf(buf + pos, len - pos, "%lld%s", (long long)shape[d],
                                ndim == 1      ? ","
                                : d + 1 < ndim ? ", "
                                               : "");
    if (pos < len)
        snprintf(buf + pos, len - pos, ")");
}

int lrb_bundle_alloc(lrb_bundle *b, const lrb_cfg *cfg, char *err, size_t errlen)
{
    memset(b, 0, sizeof *b);
    b->cfg = *cfg;
    lrb_call_init(&b->call, &b->cfg);
    for (int i = 0; i < b->call.n; i++) {
        const lrb_tensor_spec *s = &b->call.spec[i];
        int64_t n = lrb_spec_count(s);
        if (n < 0) {
            char shape[96];
            shape_str(s->ndim, s->shape, shape, sizeof shape);
            snprintf(err, errlen, "%s: shape %s has more than 2^60 elements", s->name, shape);
            lrb_bundle_free(b);
            return -1;
        }
        b->call.t[i] = lrb_guarded_alloc(n, GUARD_FLOATS);
        if (!b->call.t[i]) {
            snprintf(err, errlen, "out of memory allocating %s (%lld floats)", s->name, (long long)n);
            lrb_bundle_free(b);
            return -1;
        }
        if (s->role == LRB_OUTPUT || s->role == LRB_STATE)
            lrb_poison_nan(b->call.t[i], n);
        else
            memset(b->call.t[i], 0, (size_t)n * sizeof(float));
    }
    return 0;
}

void lrb_bundle_free(lrb_bundle *b)
{
    for (int i = 0; i < b->call.n; i++) {
        lrb_guarded_free(b->call.t[i]);
        free(b->state_in[i]);
        free(b->ref[i]);
    }
    memset(b, 0, sizeof *b);
}

/* Reads `path` and checks its shape against (ndim, shape). */
static int read_shaped(const char *path, int ndim, const int64_t *shape, lrb_npy *a, char *err, size_t errlen)
{
    char msg[256];
    if (lrb_npy_read_float(path, a, msg, sizeof msg)) {
        snprintf(err, errlen, "%s: %s", path, msg);
        return -1;
    }
    if (!lrb_shape_equal(a->ndim, a->shape, ndim, shape)) {
        char want[96], got[96];
        shape_str(ndim, shape, want, sizeof want);
        shape_str(a->ndim, a->shape, got, sizeof got);
        snprintf(err, errlen, "%s: shape %s, expected %s", path, got, want);
        lrb_npy_free(a);
        return -1;
    }
    return 0;
}

/* Converts a float32 or float64 file's data (lrb_npy_read_float's) into dst as float32, and frees it. */
static int copy_f32(const char *path, lrb_npy *a, float *dst, char *err, size_t errlen)
{
    float *f = NULL;
    int rc = lrb_npy_to_f32(a, &f);
    if (rc)
        snprintf(err, errlen, "%s: out of memory converting %lld values to float32", path, (long long)a->count);
    else
        memcpy(dst, f, (size_t)a->count * sizeof(float));
    free(f);
    lrb_npy_free(a);
    return rc ? -1 : 0;
}

/* Reads a float32 or float64 file of the given shape into dst as float32. */
static int load_f32(const char *path, int ndim, const int64_t *shape, float *dst, char *err, size_t errlen)
{
    lrb_npy a;
    if (read_shaped(path, ndim, shape, &a, err, errlen))
        return -1;
    return copy_f32(path, &a, dst, err, errlen);
}

/* Reads an oracle tensor (float64, or float32) of the given shape into a new float64 buffer. */
static int load_f64(const char *path, int ndim, const int64_t *shape, double **dst, char *err, size_t errlen)
{
    lrb_npy a;
    if (read_shaped(path, ndim, shape, &a, err, errlen))
        return -1;
    int rc = lrb_npy_to_f64(&a, dst);
    if (rc)
        snprintf(err, errlen, "%s: out of memory converting %lld values to float64", path, (long long)a.count);
    lrb_npy_free(&a);
    return rc ? -1 : 0;
}

/* Loads a tensor stored either whole or (per_f) as F files rnn_layers.{f}.<inner>.npy. */
static int load_spec(const char *dir, const char *prefix, const lrb_tensor_spec *s, float *dst, char *err,
                     size_t errlen)
{
    char path[1024];
    if (!s->per_f) {
        snprintf(path, sizeof path, "%s/%s%s.npy", dir, prefix, s->name);
        return load_f32(path, s->ndim, s->shape, dst, err, errlen);
    }
    /* name is "rnn_layers.<inner>": file f is "rnn_layers.<f>.<inner>.npy", shape without the F axis */
    const char *inner = strchr(s->name, '.') + 1;
    int64_t per = 1;
    for (int d = 1; d < s->ndim; d++)
        per *= s->shape[d];
    for (int64_t f = 0; f < s->shape[0]; f++) {
        snprintf(path, sizeof path, "%s/%srnn_layers.%lld.%s.npy", dir, prefix, (long long)f, inner);
        if (load_f32(path, s->ndim - 1, s->shape + 1, dst + f * per, err, errlen))
            return -1;
    }
    return 0;
}

int lrb_bundle_load(lrb_bundle *b, const char *dir, unsigned which, char *err, size_t errlen)
{
    for (int i = 0; i < b->call.n; i++) {
        const lrb_tensor_spec *s = &b->call.spec[i];
        if (!(which & (1u << s->role)) || (s->role != LRB_PARAM && s->role != LRB_INPUT))
            continue;
        if (load_spec(dir, "", s, b->call.t[i], err, errlen))
            return -1;
    }
    return 0;
}

int lrb_bundle_load_tensor(lrb_bundle *b, const char *name, const char *path, char *err, size_t errlen)
{
    int i = lrb_call_find(&b->call, name);
    if (i < 0) {
        snprintf(err, errlen, "%s: layer %s has no tensor '%s'", path, b->cfg.layer->name, name);
        return -1;
    }
    const lrb_tensor_spec *s = &b->call.spec[i];
    return load_f32(path, s->ndim, s->shape, b->call.t[i], err, errlen);
}

int lrb_bundle_load_rows(lrb_bundle *b, const char *name, const char *path, char *err, size_t errlen)
{
    const int i = lrb_call_find(&b->call, name);
    const lrb_tensor_spec *s = &b->call.spec[i];
    const int64_t rows = s->shape[0] * s->shape[1], width = s->shape[2];
    lrb_npy a;
    char msg[256];
    if (lrb_npy_read_float(path, &a, msg, sizeof msg)) {
        snprintf(err, errlen, "%s: %s", path, msg);
        return -1;
    }
    if (a.ndim < 1 || a.shape[a.ndim - 1] != width || a.count != rows * width) {
        char got[96];
        shape_str(a.ndim, a.shape, got, sizeof got);
        snprintf(err, errlen, "%s: shape %s, expected %lld rows of %lld (any leading axes)", path, got, (long long)rows,
                 (long long)width);
        lrb_npy_free(&a);
        return -1;
    }
    return copy_f32(path, &a, b->call.t[i], err, errlen);
}

int lrb_bundle_load_state_in(lrb_bundle *b, const char *dir, const char *prefix, char *err, size_t errlen)
{
    for (int i = 0; i < b->call.n; i++) {
        const lrb_tensor_spec *s = &b->call.spec[i];
        if (s->role != LRB_STATE)
            continue;
        int64_t n = lrb_spec_count(s);
        free(b->state_in[i]);
        b->state_in[i] = malloc((size_t)n * sizeof(float));
        if (!b->state_in[i]) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        if (load_spec(dir, prefix, s, b->state_in[i], err, errlen))
            return -1;
        b->call.state_in[i] = b->state_in[i];
    }
    b->call.has_state_in = 1;
    return 0;
}

int lrb_bundle_load_ref(lrb_bundle *b, const char *dir, char *err, size_t errlen)
{
    char path[1024];
    for (int i = 0; i < b->call.n; i++) {
        const lrb_tensor_spec *s = &b->call.spec[i];
        if (s->role == LRB_OUTPUT)
            snprintf(path, sizeof path, "%s/%s.npy", dir, s->name);
        else if (s->role == LRB_STATE)
            snprintf(path, sizeof path, "%s/state_out.%s.npy", dir, s->name);
        else
            continue;
        free(b->ref[i]);
        b->ref[i] = NULL;
        if (load_f64(path, s->ndim, s->shape, &b->ref[i], err, errlen))
            return -1;
    }
    return 0;
}

/* The file tensor i is saved to (suffix appended), or 0 when it is not saved. */
static int save_path(const lrb_bundle *b, int i, const char *out_path, const char *state_dir, const char *suffix,
                     char *path, size_t len)
{
    const lrb_tensor_spec *s = &b->call.spec[i];
    if (s->role == LRB_OUTPUT)
        snprintf(path, len, "%s%s", out_path, suffix);
    else if (s->role == LRB_STATE && state_dir)
        snprintf(path, len, "%s/%s.npy%s", state_dir, s->name, suffix);
    else
        return 0;
    return 1;
}

/* path with its directory resolved (./h.npy and h.npy are one file), or as given when that fails */
static void resolve_dir(const char *path, char *out, size_t len)
{
    const char *slash = strrchr(path, '/');
    char dir[1100];
    snprintf(dir, sizeof dir, "%.*s", slash ? (slash == path ? 1 : (int)(slash - path)) : 1, slash ? path : ".");
    char *real = realpath(dir, NULL);
    if (real)
        snprintf(out, len, "%s/%s", strcmp(real, "/") ? real : "", slash ? slash + 1 : path);
    else
        snprintf(out, len, "%s", path);
    free(real);
}

int lrb_bundle_save(const lrb_bundle *b, const char *out_path, const char *state_dir, char *err, size_t errlen)
{
    /* A regular file (or a new one) is written under a temporary name beside its own and renamed once all
     * are written, so that a failure (an unwritable state file, a full disk) leaves no output without its
     * states, no half-written file, and the user's earlier files as they were. Anything else (a symlink,
     * /dev/stdout, a FIFO) is written in place at the end: renaming onto it would replace it. */
    static const char part[] = ".lrb-part";
    char path[1100], final[1100], msg[256], out_real[2300], here[2300];
    int staged[LRB_MAX_TENSORS] = {0}, n = 0, failed = 0;
    /* a layer has one output and states of distinct names in one directory: only a state can meet the output */
    resolve_dir(out_path, out_real, sizeof out_real);
    for (; n < b->call.n && !failed; n++) {
        const lrb_tensor_spec *s = &b->call.spec[n];
        struct stat st;
        if (!save_path(b, n, out_path, state_dir, "", final, sizeof final))
            continue;
        if (s->role == LRB_STATE) {
            resolve_dir(final, here, sizeof here);
            if (!strcmp(here, out_real)) {
                snprintf(err, errlen, "%s: both the output and state %s would be written there", final, s->name);
                failed = 1;
                break;
            }
        }
        if (stat(final, &st) == 0 && S_ISDIR(st.st_mode)) {
            snprintf(err, errlen, "%s: is a directory", final);
            failed = 1;
        } else if (lstat(final, &st) != 0 || S_ISREG(st.st_mode)) {
            save_path(b, n, out_path, state_dir, part, path, sizeof path);
            staged[n] = 1;
            if (lrb_npy_write_f32(path, s->ndim, s->shape, b->call.t[n], msg, sizeof msg)) {
                snprintf(err, errlen, "%s: %s", final, msg);
                failed = 1; /* the writer removed its half-written file */
                staged[n] = 0;
            }
        }
    }
    /* then each staged file is renamed (or, after a failure, removed) and the others written */
    for (int j = 0; j < n; j++) {
        const lrb_tensor_spec *s = &b->call.spec[j];
        if (!save_path(b, j, out_path, state_dir, "", final, sizeof final))
            continue;
        save_path(b, j, out_path, state_dir, part, path, sizeof path);
        if (!failed && staged[j] && rename(path, final) != 0) {
            snprintf(err, errlen, "%s: cannot write (%s)", final, strerror(errno));
            failed = 1;
        } else if (!failed && !staged[j] &&
                   lrb_npy_write_f32(final, s->ndim, s->shape, b->call.t[j], msg, sizeof msg)) {
            snprintf(err, errlen, "%s: %s", final, msg);
            failed = 1;
        }
        if (failed && staged[j])
            remove(path);
    }
    return failed ? -1 : 0;
}

int lrb_bundle_run(lrb_bundle *b, const lrb_variant *v, char *err, size_t errlen)
{
    for (int i = 0; i < b->call.n; i++) {
        const lrb_tensor_spec *s = &b->call.spec[i];
        if (s->role == LRB_OUTPUT || s->role == LRB_STATE)
            lrb_poison_nan(b->call.t[i], lrb_spec_count(s));
    }
    int rc = v->fn(&b->call, v->algo);
    if (rc != LRB_OK) {
        snprintf(err, errlen, "%s returned %s", v->name, rc == LRB_ENOMEM ? "out of memory" : "an error");
        return rc;
    }
    for (int i = 0; i < b->call.n; i++) {
        int64_t bad = lrb_guard_check(b->call.t[i]);
        if (bad) {
            snprintf(err, errlen, "%s overwrote %lld guard words around %s", v->name, (long long)bad,
                     b->call.spec[i].name);
            return -1;
        }
    }
    return 0;
}

/* RWKV-4 states are compared through S = aa·e^pp and Z = bb·e^pp, rescaled to the oracle's pp*. */
static void wkv_state_view(const lrb_bundle *b, int i, float *view)
{
    const lrb_tensor_spec *s = &b->call.spec[i];
    const char *pp_name = strncmp(s->name, "att_", 4) == 0 ? "att_pp" : "pp";
    int ipp = lrb_call_find(&b->call, pp_name);
    int64_t n = lrb_spec_count(s);
    for (int64_t k = 0; k < n; k++) {
        double scale = exp((double)b->call.t[ipp][k] - b->ref[ipp][k]);
        view[k] = (float)((double)b->call.t[i][k] * scale);
    }
}

int lrb_bundle_compare(const lrb_bundle *b, double tol_rel_l2, lrb_tensor_result *res)
{
    int nres = 0;
    lrb_tol tol = {tol_rel_l2, 10.0 * tol_rel_l2, 10.0 * tol_rel_l2};
    for (int i = 0; i < b->call.n; i++) {
        const lrb_tensor_spec *s = &b->call.spec[i];
        if ((s->role != LRB_OUTPUT && s->role != LRB_STATE) || !b->ref[i])
            continue;
        if (s->state_kind == LRB_STATE_WKV_PP)
            continue; /* folded into the aa and bb comparisons */
        lrb_tensor_result *r = &res[nres++];
        memset(r, 0, sizeof *r);
        snprintf(r->tensor, sizeof r->tensor, "%s%s", s->role == LRB_STATE ? "state:" : "", s->name);
        r->spec_index = i;
        int64_t n = lrb_spec_count(s);
        if (s->state_kind == LRB_STATE_WKV_AA || s->state_kind == LRB_STATE_WKV_BB) {
            float *view = malloc((size_t)n * sizeof(float));
            if (!view) {
                r->m.nonfinite = n;
                continue;
            }
            wkv_state_view(b, i, view);
            lrb_compare(view, b->ref[i], n, &tol, &r->m);
            free(view);
        } else {
            lrb_compare(b->call.t[i], b->ref[i], n, &tol, &r->m);
        }
    }
    return nres;
}
