/*
 * metrics.c — conformance metrics, guard regions and NaN poisoning (see metrics.h).
 *
 * lrb_compare makes three passes over the data: classification and maxima (which also fix the
 * power-of-two scales), scaled sums of squares (accumulated per block of 1024 so that rounding grows
 * with the number of blocks, not of elements), and the elementwise bound, which needs rms(y*) from the
 * second pass. Positions where y or y* is non-finite never enter the norms: a mismatch there is counted
 * in `nonfinite` (and fails the case); a match (NaN where the oracle has NaN, the same infinity) is
 * accepted as IEEE arithmetic dictates.
 */
#include "metrics.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUM_BLOCK 1024

/* 0 finite, 1 NaN, 2 +Inf, 3 -Inf */
static int fp_class(double x)
{
    if (x == x && x - x == 0.0)
        return 0;
    if (x != x)
        return 1;
    return x > 0 ? 2 : 3;
}

/* 2^-e with 2^e just above |maxv|, so every scaled value is < 1 in magnitude and squares never overflow;
 * multiplying by a power of two is exact (short of underflow of negligible terms). */
static double scale_for(double maxv)
{
    int e = 0;
    if (!(maxv > 0.0))
        return 1.0;
    (void)frexp(maxv, &e);
    if (e > 1000)
        e = 1000;
    if (e < -1000)
        e = -1000;
    return ldexp(1.0, -e);
}

/* Float32 ulp distance between a and b, via the usual monotone mapping of the bit patterns. */
static int64_t ulp_distance(float a, float b)
{
    uint32_t ua, ub;
    int64_t ka, kb, d;
    memcpy(&ua, &a, sizeof ua);
    memcpy(&ub, &b, sizeof ub);
    ka = (ua & 0x80000000u) ? -(int64_t)(ua & 0x7fffffffu) : (int64_t)ua;
    kb = (ub & 0x80000000u) ? -(int64_t)(ub & 0x7fffffffu) : (int64_t)ub;
    d = ka - kb;
    return d < 0 ? -d : d;
}

void lrb_compare(const float *y, const double *ref, int64_t n, const lrb_tol *tol, lrb_metrics *m)
{
    int64_t i, pairs = 0;
    double max_ref = 0.0, max_out = 0.0, max_err = 0.0;
    double s_ref, s_out, s_err;
    double acc_ref = 0.0, acc_out = 0.0, acc_err = 0.0;
    double blk_ref = 0.0, blk_out = 0.0, blk_err = 0.0;
    double atol = tol ? tol->atol : 0.0, rtol = tol ? tol->rtol : 0.0;
    int in_block = 0;

    memset(m, 0, sizeof *m);
    m->n = n;
    m->max_abs_index = -1;
    m->worst_index = -1;
    m->first_nonfinite_index = -1;
    m->tol_rel_l2 = tol ? tol->rel_l2 : 0.0;
    m->elementwise = (atol != 0.0 || rtol != 0.0);
    if (n <= 0 || y == NULL || ref == NULL) {
        m->pass = 1;
        return;
    }

    /* Pass 1: classes, maxima, diagnostics. */
    for (i = 0; i < n; i++) {
        double r = ref[i], o = (double)y[i], d;
        int cr = fp_class(r), co = fp_class(o);
        if (cr != co) {
            m->nonfinite++;
            if (co == 1)
                m->unwritten++;
            if (m->first_nonfinite_index < 0) {
                m->first_nonfinite_index = i;
                m->ref_at_nonfinite = r;
                m->out_at_nonfinite = o;
            }
            continue;
        }
        if (cr != 0)
            continue; /* same non-finite class on both sides: accepted, not measured */
        pairs++;
        d = fabs(o - r);
        if (m->max_abs_index < 0 || d > max_err) {
            max_err = d;
            m->max_abs_index = i;
            m->ref_at_max = r;
            m->out_at_max = o;
        }
        if (fabs(r) > max_ref)
            max_ref = fabs(r);
        if (fabs(o) > max_out)
            max_out = fabs(o);
        if (r != 0.0 && d / fabs(r) > m->max_rel)
            m->max_rel = d / fabs(r);
        {
            int64_t u = ulp_distance(y[i], (float)r);
            if (u > m->max_ulp)
                m->max_ulp = u;
        }
    }
    m->max_abs = max_err;
    m->e_max = max_err / (max_ref > 1e-30 ? max_ref : 1e-30);

    /* Pass 2: scaled sums of squares over the finite pairs. */
    s_ref = scale_for(max_ref);
    s_out = scale_for(max_out);
    s_err = scale_for(max_err);
    for (i = 0; i < n; i++) {
        double r = ref[i], o = (double)y[i], a, b, c;
        if (fp_class(r) != 0 || fp_class(o) != 0)
            continue;
        a = r * s_ref;
        b = o * s_out;
        c = (o - r) * s_err;
        blk_ref += a * a;
        blk_out += b * b;
        blk_err += c * c;
        if (++in_block == SUM_BLOCK) {
            acc_ref += blk_ref;
            acc_out += blk_out;
            acc_err += blk_err;
            blk_ref = blk_out = blk_err = 0.0;
            in_block = 0;
        }
    }
    acc_ref += blk_ref;
    acc_out += blk_out;
    acc_err += blk_err;
    m->norm_ref = sqrt(acc_ref) / s_ref;
    m->norm_out = sqrt(acc_out) / s_out;
    m->norm_err = isinf(max_err) ? INFINITY : sqrt(acc_err) / s_err;
    m->rms_ref = pairs > 0 ? m->norm_ref / sqrt((double)pairs) : 0.0;
    if (m->norm_ref == 0.0)
        m->rel_l2 = m->norm_out > 1e-30 ? INFINITY : 0.0;
    else
        m->rel_l2 = m->norm_err / m->norm_ref;
    m->nmse = m->rel_l2 * m->rel_l2;

    /* Pass 3: the RMS-scaled elementwise bound (TOOLING.md §10). */
    if (m->elementwise) {
        double floor_term = atol * m->rms_ref;
        for (i = 0; i < n; i++) {
            double r = ref[i], o = (double)y[i], d, bound, ratio;
            if (fp_class(r) != 0 || fp_class(o) != 0)
                continue;
            d = fabs(o - r);
            bound = rtol * fabs(r);
            bound = floor_term + bound;
            if (!(d > bound))
                continue;
            m->violations++;
            ratio = bound > 0.0 ? d / bound : INFINITY;
            if (m->worst_index < 0 || ratio > m->worst_ratio) {
                m->worst_index = i;
                m->worst_ratio = ratio;
                m->worst_bound = bound;
                m->ref_at_worst = r;
                m->out_at_worst = o;
            }
        }
    }
    m->pass = m->rel_l2 <= m->tol_rel_l2 && m->violations == 0 && m->nonfinite == 0;
}

/* ---- description ----------------------------------------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t len;
    size_t k; /* characters wanted so far */
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    int r;
    va_start(ap, fmt);
    if (b->k < b->len)
        r = vsnprintf(b->p + b->k, b->len - b->k, fmt, ap);
    else
        r = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (r > 0)
        b->k += (size_t)r;
}

/* " at [1, 7, 3] (flat 259)" or " at flat index 259". */
static void sb_where(sbuf *b, int64_t idx, int ndim, const int64_t *shape)
{
    int64_t coord[16];
    int a, ok = shape != NULL && ndim > 0 && ndim <= 16;
    int64_t rest = idx;
    for (a = ndim - 1; ok && a >= 0; a--) {
        if (shape[a] <= 0) {
            ok = 0;
            break;
        }
        coord[a] = rest % shape[a];
        rest /= shape[a];
    }
    if (ok && rest == 0) {
        sb_printf(b, " at [");
        for (a = 0; a < ndim; a++)
            sb_printf(b, a ? ", %" PRId64 : "%" PRId64, coord[a]);
        sb_printf(b, "] (flat %" PRId64 ")", idx);
    } else {
        sb_printf(b, " at flat index %" PRId64, idx);
    }
}

int lrb_metrics_describe(const lrb_metrics *m, const char *case_name, int ndim, const int64_t *shape, char *buf,
                         size_t len)
{
    sbuf b;
    int nonfinite_first = m->nonfinite > 0;
    int rel_ok = m->rel_l2 <= m->tol_rel_l2;
    b.p = buf;
    b.len = len;
    b.k = 0;
    if (len > 0)
        buf[0] = '\0';
    if (case_name != NULL && case_name[0] != '\0')
        sb_printf(&b, "%s ", case_name);
    sb_printf(&b, "%s", m->pass ? "PASS" : "FAIL");
    /* Failing metrics first, in the order of the gate: non-finite, rel_l2, elementwise. */
    if (nonfinite_first) {
        sb_printf(&b, " nonfinite %" PRId64 " (unwritten %" PRId64 "), first", m->nonfinite, m->unwritten);
        sb_where(&b, m->first_nonfinite_index, ndim, shape);
        sb_printf(&b, ": ref %.9g out %.9g;", m->ref_at_nonfinite, m->out_at_nonfinite);
    }
    if (!rel_ok)
        sb_printf(&b, " rel_l2 %.3e > tol %.3e;", m->rel_l2, m->tol_rel_l2);
    if (m->violations > 0) {
        sb_printf(&b, " elementwise violations %" PRId64 ", worst", m->violations);
        sb_where(&b, m->worst_index, ndim, shape);
        sb_printf(&b, ": |err| %.3e > bound %.3e (ref %.9g out %.9g);", fabs(m->out_at_worst - m->ref_at_worst),
                  m->worst_bound, m->ref_at_worst, m->out_at_worst);
    }
    if (rel_ok)
        sb_printf(&b, " rel_l2 %.3e <= tol %.3e;", m->rel_l2, m->tol_rel_l2);
    if (m->max_abs_index >= 0) {
        sb_printf(&b, " max|err| %.3e", m->max_abs);
        sb_where(&b, m->max_abs_index, ndim, shape);
        sb_printf(&b, ": ref %.9g out %.9g;", m->ref_at_max, m->out_at_max);
    }
    sb_printf(&b, " e_max %.3e;", m->e_max);
    if (!nonfinite_first)
        sb_printf(&b, " nonfinite %" PRId64 " (unwritten %" PRId64 ")", m->nonfinite, m->unwritten);
    else
        sb_printf(&b, " n %" PRId64, m->n);
    return b.k > (size_t)0x7fffffff ? 0x7fffffff : (int)b.k;
}

/* ---- guard regions -------------------------------------------------------------------------------- */

#define GUARD_ALIGN 64
#define GUARD_MAX ((int64_t)1 << 20)             /* floats per side */
#define GUARD_MAGIC UINT64_C(0x4C52424755415244) /* "LRBGUARD" */

/* Bookkeeping block of one 64-byte line just before the leading guard. */
typedef struct guard_hdr {
    uint64_t magic;
    uint64_t user; /* the data pointer, to reject a stale or foreign block */
    int64_t n;
    int64_t lead;
    int64_t trail;
    uint64_t check;
    uint64_t pad[2];
} guard_hdr;

static uint64_t guard_checksum(const guard_hdr *h)
{
    uint64_t z = h->magic ^ (h->user * UINT64_C(0x9E3779B97F4A7C15));
    z ^= (uint64_t)h->n * UINT64_C(0xBF58476D1CE4E5B9);
    z ^= (uint64_t)h->lead * UINT64_C(0x94D049BB133111EB);
    z ^= (uint64_t)h->trail + UINT64_C(0x2545F4914F6CDD1D);
    return z ^ (z >> 29);
}

static void fill_bits(float *p, int64_t n, uint32_t bits)
{
    int64_t i;
    for (i = 0; i < n; i++)
        memcpy(&p[i], &bits, sizeof bits);
}

float *lrb_guarded_alloc(int64_t n_floats, int64_t guard_floats)
{
    int64_t lead, trail;
    size_t total;
    unsigned char *base;
    float *user;
    guard_hdr h;
    if (n_floats < 0 || guard_floats < 0 || guard_floats > GUARD_MAX ||
        (uint64_t)n_floats > (SIZE_MAX - GUARD_ALIGN) / sizeof(float) - 4 * (uint64_t)GUARD_MAX)
        return NULL;
    lead = (guard_floats + 15) / 16 * 16;
    trail = (n_floats + guard_floats + 15) / 16 * 16 - n_floats;
    total = GUARD_ALIGN + (size_t)(lead + n_floats + trail) * sizeof(float);
    base = aligned_alloc(GUARD_ALIGN, total);
    if (base == NULL)
        return NULL;
    user = (float *)(void *)(base + GUARD_ALIGN + (size_t)lead * sizeof(float));
    memset(&h, 0, sizeof h);
    h.magic = GUARD_MAGIC;
    h.user = (uint64_t)(uintptr_t)user;
    h.n = n_floats;
    h.lead = lead;
    h.trail = trail;
    h.check = guard_checksum(&h);
    memcpy(base, &h, sizeof h);
    fill_bits(user - lead, lead, LRB_GUARD_BITS);
    fill_bits(user + n_floats, trail, LRB_GUARD_BITS);
    return user;
}

/* Finds the bookkeeping block of p by stepping back one 64-byte line at a time over the leading guard. */
static int find_header(const float *p, guard_hdr *out, unsigned char **base)
{
    int64_t k;
    const unsigned char *up = (const unsigned char *)p;
    if (p == NULL || ((uintptr_t)p % GUARD_ALIGN) != 0)
        return -1;
    for (k = 0; k <= GUARD_MAX / 16; k++) {
        const unsigned char *cand = up - GUARD_ALIGN - k * GUARD_ALIGN;
        guard_hdr h;
        memcpy(&h, cand, sizeof h);
        if (h.magic == GUARD_MAGIC && h.user == (uint64_t)(uintptr_t)p && h.check == guard_checksum(&h) &&
            h.lead == 16 * k) {
            *out = h;
            *base = (unsigned char *)(uintptr_t)cand;
            return 0;
        }
    }
    return -1;
}

static int64_t count_changed(const float *p, int64_t n)
{
    int64_t i, bad = 0;
    for (i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &p[i], sizeof u);
        bad += (u != LRB_GUARD_BITS);
    }
    return bad;
}

int64_t lrb_guard_check(const float *p)
{
    guard_hdr h;
    unsigned char *base;
    if (find_header(p, &h, &base) != 0)
        return -1;
    return count_changed(p - h.lead, h.lead) + count_changed(p + h.n, h.trail);
}

void lrb_guarded_free(float *p)
{
    guard_hdr h;
    unsigned char *base;
    if (p == NULL)
        return;
    if (find_header(p, &h, &base) != 0)
        return; /* not ours or damaged beyond repair: leaking beats freeing a wrong pointer */
    memset(base, 0, sizeof h);
    free(base);
}

void lrb_poison_nan(float *p, int64_t n)
{
    fill_bits(p, n, LRB_POISON_BITS);
}
