/*
 * rng.c — the shared counter-based RNG and the case-table distributions (see rng.h).
 *
 * Bit-identity with NumPy rests on three rules: integer arithmetic modulo 2^64 (uint64_t here, wrapping
 * uint64 arrays there); each floating-point mapping done in double, one IEEE operation per statement in
 * FORMAT.md's order, so that neither gcc (-std=c11 never contracts) nor clang (whose default
 * -ffp-contract=on fuses only within one expression) can form an FMA, plus a volatile product where a
 * multiply feeds an add; and a single rounding to float32 at the end. Spec numbers are restricted
 * to plain decimals so that strtod and Python's float() read the same double.
 */
#include "rng.h"

#include "lrb_cpu.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t lrb_rng_mix64(uint64_t z)
{
    z ^= z >> 30;
    z *= UINT64_C(0xBF58476D1CE4E5B9);
    z ^= z >> 27;
    z *= UINT64_C(0x94D049BB133111EB);
    z ^= z >> 31;
    return z;
}

uint64_t lrb_rng_z(uint64_t stream, uint64_t i)
{
    /* (i + 1) * golden wraps modulo 2^64 by the rules of unsigned arithmetic, as NumPy's uint64 does. */
    return lrb_rng_mix64(stream + (i + 1u) * LRB_RNG_GOLDEN);
}

double lrb_rng_u(uint64_t stream, uint64_t i)
{
    /* 24 bits: exact in float32 too, so u itself never rounds. */
    return (double)(lrb_rng_z(stream, i) >> 40) * (1.0 / 16777216.0);
}

uint64_t lrb_rng_stream(uint64_t seed, int input_index)
{
    return seed * 256u + (uint64_t)(int64_t)input_index;
}

lrb_dist lrb_dist_default(void)
{
    lrb_dist d;
    d.kind = LRB_DIST_NORMAL;
    d.a = 1.0;
    d.b = 0.0;
    return d;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Length of a plain decimal number at s ([+-]? (digits [. digits*] | . digits) ([eE] [+-]? digits)?),
 * or 0 if s does not start with one. */
static size_t decimal_len(const char *s, int allow_fraction)
{
    size_t k = 0, digits = 0;
    if (s[k] == '+' || s[k] == '-')
        k++;
    while (s[k] >= '0' && s[k] <= '9') {
        k++;
        digits++;
    }
    if (!allow_fraction)
        return digits ? k : 0;
    if (s[k] == '.') {
        k++;
        while (s[k] >= '0' && s[k] <= '9') {
            k++;
            digits++;
        }
    }
    if (digits == 0)
        return 0;
    if (s[k] == 'e' || s[k] == 'E') {
        size_t e = k + 1, ed = 0;
        if (s[e] == '+' || s[e] == '-')
            e++;
        while (s[e] >= '0' && s[e] <= '9') {
            e++;
            ed++;
        }
        if (ed == 0)
            return 0;
        k = e;
    }
    return k;
}

/* Parses one number field of the spec at *p, ending at ':' or the end of the string. */
static int parse_field(const char **p, int integer, double *out, const char *spec, const char *what, char *err,
                       size_t errlen)
{
    const char *s = *p;
    size_t n = decimal_len(s, !integer);
    char buf[64];
    double v;
    if (n == 0 || (s[n] != ':' && s[n] != '\0') || n >= sizeof buf) {
        set_err(err, errlen, "distribution '%s': %s is not %s", spec, what,
                integer ? "an integer" : "a plain decimal number (e.g. -1, 0.5, 1e-3)");
        return -1;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    v = strtod(buf, NULL);
    if (!(fabs(v) <= (integer ? 2147483648.0 : (double)FLT_MAX))) {
        set_err(err, errlen, "distribution '%s': %s %s is out of range (expected |value| <= %s)", spec, what, buf,
                integer ? "2^31" : "FLT_MAX");
        return -1;
    }
    *out = v;
    *p = s + n;
    return 0;
}

static int expect_sep(const char **p, const char *spec, char *err, size_t errlen)
{
    if (**p != ':') {
        set_err(err, errlen, "distribution '%s': expected ':' between fields", spec);
        return -1;
    }
    (*p)++;
    return 0;
}

static int expect_end(const char *p, const char *spec, char *err, size_t errlen)
{
    if (*p != '\0') {
        set_err(err, errlen, "distribution '%s': unexpected text after the last field", spec);
        return -1;
    }
    return 0;
}

int lrb_dist_parse(const char *spec, lrb_dist *out, char *err, size_t errlen)
{
    const char *p;
    lrb_dist d;
    d.a = 0.0;
    d.b = 0.0;
    if (spec == NULL || out == NULL) {
        set_err(err, errlen, "no distribution given");
        return -1;
    }
    if (strncmp(spec, "u:", 2) == 0) {
        d.kind = LRB_DIST_UNIFORM;
        p = spec + 2;
        if (parse_field(&p, 0, &d.a, spec, "LO", err, errlen) || expect_sep(&p, spec, err, errlen) ||
            parse_field(&p, 0, &d.b, spec, "HI", err, errlen) || expect_end(p, spec, err, errlen))
            return -1;
        if (!(d.a <= d.b)) {
            set_err(err, errlen, "distribution '%s': expected LO <= HI", spec);
            return -1;
        }
    } else if (strncmp(spec, "n:", 2) == 0) {
        d.kind = LRB_DIST_NORMAL;
        p = spec + 2;
        if (parse_field(&p, 0, &d.a, spec, "S", err, errlen) || expect_end(p, spec, err, errlen))
            return -1;
        if (d.a < 0.0) {
            set_err(err, errlen, "distribution '%s': the standard deviation S must be >= 0", spec);
            return -1;
        }
    } else if (strncmp(spec, "c:", 2) == 0) {
        d.kind = LRB_DIST_CONST;
        p = spec + 2;
        if (parse_field(&p, 0, &d.a, spec, "V", err, errlen) || expect_end(p, spec, err, errlen))
            return -1;
    } else if (strncmp(spec, "int:", 4) == 0) {
        d.kind = LRB_DIST_INT;
        p = spec + 4;
        if (parse_field(&p, 1, &d.a, spec, "LO", err, errlen) || expect_sep(&p, spec, err, errlen) ||
            parse_field(&p, 1, &d.b, spec, "HI", err, errlen) || expect_end(p, spec, err, errlen))
            return -1;
        if (!(d.a <= d.b)) {
            set_err(err, errlen, "distribution '%s': expected LO <= HI", spec);
            return -1;
        }
    } else if (strncmp(spec, "bern:", 5) == 0) {
        d.kind = LRB_DIST_BERN;
        p = spec + 5;
        if (parse_field(&p, 0, &d.a, spec, "P", err, errlen) || expect_end(p, spec, err, errlen))
            return -1;
    } else if (strcmp(spec, "imp") == 0) {
        d.kind = LRB_DIST_IMP;
    } else {
        set_err(err, errlen, "unknown distribution '%s' (expected u:LO:HI, n:S, c:V, int:LO:HI, bern:P or imp)", spec);
        return -1;
    }
    *out = d;
    return 0;
}

void lrb_dist_format(const lrb_dist *d, char *buf, size_t len)
{
    if (len == 0)
        return;
    switch (d->kind) {
    case LRB_DIST_UNIFORM:
        snprintf(buf, len, "u:%.17g:%.17g", d->a, d->b);
        break;
    case LRB_DIST_NORMAL:
        snprintf(buf, len, "n:%.17g", d->a);
        break;
    case LRB_DIST_CONST:
        snprintf(buf, len, "c:%.17g", d->a);
        break;
    case LRB_DIST_INT:
        snprintf(buf, len, "int:%.0f:%.0f", d->a, d->b);
        break;
    case LRB_DIST_BERN:
        snprintf(buf, len, "bern:%.17g", d->a);
        break;
    case LRB_DIST_IMP:
        snprintf(buf, len, "imp");
        break;
    default:
        snprintf(buf, len, "?");
        break;
    }
}

float lrb_dist_at(const lrb_dist *d, uint64_t stream, int64_t i, int64_t t)
{
    uint64_t k = (uint64_t)i;
    double u, v, w;
    switch (d->kind) {
    case LRB_DIST_UNIFORM:
        /* LO + (HI - LO)*u: subtract, multiply, add, each rounded in double. This is the one mapping
         * with a multiply feeding an add; the volatile product keeps it unfused even under
         * -ffp-contract=fast, which (unlike the default) fuses across statements. */
        {
            volatile double prod;
            u = lrb_rng_u(stream, k);
            w = d->b - d->a;
            prod = w * u;
            v = d->a + prod;
        }
        return (float)v;
    case LRB_DIST_NORMAL: {
        /* ((u1 + u2 + u3 + u4) - 2) * (S * sqrt(3)), left to right. No multiply feeds an add here
         * except u = k·2^-24, which is exact, so even a fused scaling cannot change a bit. */
        double s;
        s = lrb_rng_u(stream, 4u * k);
        s = s + lrb_rng_u(stream, 4u * k + 1u);
        s = s + lrb_rng_u(stream, 4u * k + 2u);
        s = s + lrb_rng_u(stream, 4u * k + 3u);
        s = s - 2.0;
        w = d->a * 1.7320508075688772;
        v = s * w;
        return (float)v;
    }
    case LRB_DIST_CONST:
        return (float)d->a;
    case LRB_DIST_INT:
        /* LO + floor(u * (HI - LO + 1)); with |LO|, |HI| <= 2^31 every step but the product is exact,
         * as with Python integers on the NumPy side. */
        u = lrb_rng_u(stream, k);
        w = d->b - d->a;
        w = w + 1.0;
        w = u * w;
        w = floor(w);
        v = d->a + w;
        return (float)v;
    case LRB_DIST_BERN:
        u = lrb_rng_u(stream, k);
        return u < d->a ? 1.0f : 0.0f;
    case LRB_DIST_IMP:
        return t == 0 ? 1.0f : 0.0f;
    default:
        return 0.0f;
    }
}

typedef struct {
    const lrb_dist *d;
    uint64_t stream;
    float *out;
    int64_t count, inner, len_t;
    int64_t chunk; /* elements per task */
} fill_job;

#define FILL_CHUNK ((int64_t)1 << 16)
#define FILL_PARALLEL_MIN ((int64_t)1 << 22)

static void fill_chunk(void *ctx, int64_t task)
{
    const fill_job *j = ctx;
    const int64_t end = (task + 1) * j->chunk < j->count ? (task + 1) * j->chunk : j->count;
    for (int64_t i = task * j->chunk; i < end; i++) {
        int64_t t = j->d->kind == LRB_DIST_IMP ? (i / j->inner) % j->len_t : 0;
        j->out[i] = lrb_dist_at(j->d, j->stream, i, t);
    }
}

int lrb_dist_fill(const lrb_dist *d, uint64_t stream, float *out, int ndim, const int64_t *shape, int time_axis)
{
    int64_t count = 1, inner = 1, len_t = 1;
    int a;
    if (d == NULL || ndim < 0 || (ndim > 0 && shape == NULL))
        return -1;
    for (a = 0; a < ndim; a++) {
        if (shape[a] < 0)
            return -1;
        if (shape[a] == 0)
            return 0; /* empty tensor: nothing to write */
    }
    for (a = 0; a < ndim; a++) {
        if (count > INT64_MAX / shape[a])
            return -1;
        count *= shape[a];
    }
    if (d->kind == LRB_DIST_IMP) {
        if (time_axis < 0 || time_axis >= ndim)
            return -1;
        len_t = shape[time_axis];
        for (a = time_axis + 1; a < ndim; a++)
            inner *= shape[a];
    }
    if (count > 0 && out == NULL)
        return -1;
    /* element i depends on i alone, so chunks of a large tensor fill on the CPU pool with the same bits as
     * one loop (a benchmark's 2^30-element inputs would otherwise take a core minutes); a smaller one fills
     * in one task on this thread, so that instruction counts (ci/callgrind_gate.py) never see the pool */
    fill_job job = {d, stream, out, count, inner, len_t, count < FILL_PARALLEL_MIN ? count : FILL_CHUNK};
    lrb_cpu_parallel_for(count ? (count + job.chunk - 1) / job.chunk : 0, fill_chunk, &job);
    return 0;
}
