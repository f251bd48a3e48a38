/*
 * wkv4_isa.c — template (compiled once per ISA, see CMakeLists.txt) of the WKV-4 building blocks of
 * wkv4_kern.h, with channels on the vector lanes.
 *
 * loop is the reference's stable (aa, bb, pp) loop (reference/wkv4.c, seq_chain) operation for
 * operation, with lrb_vexp in place of lrb_expf, so each lane carries the reference's bits. Each of its
 * two max-normalised exponential pairs costs one lrb_vexp (lrb_vexp_pair: the larger side's exp(q − q)
 * is 1, or NaN for non-finite q, and is formed without an exp), which halves the exps per step without
 * changing a bit. Up to LRB_WKV4_NV channel vectors are stepped together: one vector's steps form a
 * dependent chain (exp → max → exp), and independent chains in flight hide that latency.
 *
 * carry and ul use the log-space operator of the reference (combine, with its empty-segment rule as
 * selects) and its output step (wkv_out). Within one ul tile the schedule is the reference's ul, so for
 * L ≤ LRB_WKV4_UL_TILE simd ul returns the reference ul's bits. logstep runs the same operator across
 * the lanes of one channel's consecutive steps instead.
 */
#include "simd.h"

#include "vmath.h"
#include "wkv4_kern.h"

#include <stdlib.h>

/* State of the lanes past nch: harmless values (no lane result is ever stored from them). */
static lrb_vf ld(const float *p, int n)
{
    return n == LRB_VW ? lrb_vload(p) : lrb_vload_n(p, n, 0.0f);
}

static void st(float *p, lrb_vf v, int n)
{
    if (n == LRB_VW)
        lrb_vstore(p, v);
    else
        lrb_vstore_n(p, v, n);
}

/* One step of the stable loop for one vector: output (when out ≠ NULL) then state update. */
static inline __attribute__((always_inline)) void step(lrb_vf w, lrb_vf u, lrb_vf kt, lrb_vf vt, lrb_vf *aa, lrb_vf *bb,
                                                       lrb_vf *pp, lrb_vf *out)
{
    lrb_vf e1, e2;
    if (out) {
        const lrb_vf uk = u + kt;
        lrb_vexp_pair(*pp, uk, &e1, &e2);
        *out = (e1 * *aa + e2 * vt) / (e1 * *bb + e2);
    }
    const lrb_vf pw = *pp + w;
    const lrb_vf q = lrb_vexp_pair(pw, kt, &e1, &e2);
    *aa = e1 * *aa + e2 * vt;
    *bb = e1 * *bb + e2;
    *pp = q;
}

static inline __attribute__((always_inline)) void loop_body(const lrb_wkv4_args *a, int64_t b, int64_t c0, int nch,
                                                            int64_t t0, int64_t t1, float *sp, float *sq, float *sm,
                                                            const int outputs)
{
    const int64_t C = a->C, L = a->L;
    const int full = nch / LRB_VW, rem = nch % LRB_VW;
    const int nv = full + (rem > 0);
    lrb_vf w[LRB_WKV4_NV], u[LRB_WKV4_NV], aa[LRB_WKV4_NV], bb[LRB_WKV4_NV], pp[LRB_WKV4_NV];
    for (int j = 0; j < nv; j++) {
        const int n = j < full ? LRB_VW : rem;
        w[j] = ld(a->w + c0 + j * LRB_VW, n);
        u[j] = ld(a->u + c0 + j * LRB_VW, n);
        aa[j] = ld(sp + j * LRB_VW, n);
        bb[j] = ld(sq + j * LRB_VW, n);
        pp[j] = ld(sm + j * LRB_VW, n);
    }
    for (int64_t t = t0; t < t1; t++) {
        const int64_t o = (b * L + t) * C + c0;
        const float *kp = a->k + o, *vp = a->v + o;
        float *yp = a->wkv + o;
        lrb_vf y;
        for (int j = 0; j < full; j++) {
            step(w[j], u[j], lrb_vload(kp + j * LRB_VW), lrb_vload(vp + j * LRB_VW), &aa[j], &bb[j], &pp[j],
                 outputs ? &y : NULL);
            if (outputs)
                lrb_vstore(yp + j * LRB_VW, y);
        }
        if (rem) {
            const int j = full;
            step(w[j], u[j], lrb_vload_n(kp + j * LRB_VW, rem, 0.0f), lrb_vload_n(vp + j * LRB_VW, rem, 0.0f), &aa[j],
                 &bb[j], &pp[j], outputs ? &y : NULL);
            if (outputs)
                lrb_vstore_n(yp + j * LRB_VW, y, rem);
        }
    }
    for (int j = 0; j < nv; j++) {
        const int n = j < full ? LRB_VW : rem;
        st(sp + j * LRB_VW, aa[j], n);
        st(sq + j * LRB_VW, bb[j], n);
        st(sm + j * LRB_VW, pp[j], n);
    }
}

static void wkv_loop(const lrb_wkv4_args *a, int64_t b, int64_t c0, int nch, int64_t t0, int64_t t1, float *sp,
                     float *sq, float *sm, int outputs)
{
    if (outputs)
        loop_body(a, b, c0, nch, t0, t1, sp, sq, sm, 1);
    else
        loop_body(a, b, c0, nch, t0, t1, sp, sq, sm, 0);
}

/* ------------------------------------------------------------------------------------------------ */
/* The log-space operator on vectors of summaries (m, P, Q)                                          */

typedef struct {
    lrb_vf m, p, q;
} vseg;

/* E1 ∘ E2 as the reference's combine: an empty E1 (P = Q = 0) gives E2, an empty E2 gives E1 with m
 * advanced by n2w; the general formula is evaluated for every lane and the selects pick. */
static inline vseg vcombine(vseg e1, lrb_vf n2w, vseg e2)
{
    const lrb_vi empty1 = (e1.p == 0.0f) & (e1.q == 0.0f);
    const lrb_vi empty2 = (e2.p == 0.0f) & (e2.q == 0.0f);
    const lrb_vf alpha = e1.m + n2w;
    lrb_vf A, Bp;
    const lrb_vf m = lrb_vexp_pair(alpha, e2.m, &A, &Bp);
    vseg r;
    r.m = lrb_vsel(empty2, alpha, m);
    r.p = lrb_vsel(empty2, e1.p, A * e1.p + Bp * e2.p);
    r.q = lrb_vsel(empty2, e1.q, A * e1.q + Bp * e2.q);
    r.m = lrb_vsel(empty1, e2.m, r.m);
    r.p = lrb_vsel(empty1, e2.p, r.p);
    r.q = lrb_vsel(empty1, e2.q, r.q);
    return r;
}

/* The reference's wkv_out: the output step of the stable loop from the exclusive state st. */
static inline lrb_vf vout(vseg s, lrb_vf uk, lrb_vf v)
{
    lrb_vf e1, e2;
    lrb_vexp_pair(s.m, uk, &e1, &e2);
    return (e1 * s.p + e2 * v) / (e1 * s.q + e2);
}

static void wkv_carry(const lrb_wkv4_args *a, int64_t c0, int nch, int64_t nc, float *sp, float *sq, float *sm,
                      int64_t stride, float *hp, float *hq, float *hm)
{
    const int64_t L = a->L, K = a->chunk;
    for (int j0 = 0; j0 < nch; j0 += LRB_VW) {
        const int n = nch - j0 < LRB_VW ? nch - j0 : LRB_VW;
        const lrb_vf w = ld(a->w + c0 + j0, n);
        vseg H = {ld(hm + j0, n), ld(hp + j0, n), ld(hq + j0, n)};
        for (int64_t ci = 0; ci < nc; ci++) {
            const int64_t s0 = ci * K, end = s0 + K < L ? s0 + K : L;
            float *p = sp + ci * stride + j0, *q = sq + ci * stride + j0, *m = sm + ci * stride + j0;
            const vseg x = {ld(m, n), ld(p, n), ld(q, n)};
            st(m, H.m, n);
            st(p, H.p, n);
            st(q, H.q, n);
            H = vcombine(H, lrb_vset1((float)(end - s0)) * w, x);
        }
        st(hm + j0, H.m, n);
        st(hp + j0, H.p, n);
        st(hq + j0, H.q, n);
    }
}

/* ul over tiles of LRB_WKV4_UL_TILE steps: within a tile exactly the reference's ul_chain (the carry
 * folded into the tile's first token, Upper/Lower levels, outputs from the exclusive states), and the
 * tile's last inclusive summary is the next tile's carry. */
static int wkv_ul(const lrb_wkv4_args *a, int64_t b, int64_t c0, int nch, float *sp, float *sq, float *sm)
{
    const int64_t L = a->L, C = a->C, T = LRB_WKV4_UL_TILE;
    vseg *x = aligned_alloc(sizeof(lrb_vf), (size_t)T * sizeof *x);
    if (!x)
        return LRB_ENOMEM;
    const lrb_vf w = ld(a->w + c0, nch), u = ld(a->u + c0, nch);
    vseg H = {ld(sm, nch), ld(sp, nch), ld(sq, nch)};
    for (int64_t s = 0; s < L; s += T) {
        const int64_t n = L - s < T ? L - s : T;
        const int64_t base = (b * L + s) * C + c0;
        for (int64_t t = 0; t < n; t++) {
            x[t].m = ld(a->k + base + t * C, nch);
            x[t].p = ld(a->v + base + t * C, nch);
            x[t].q = lrb_vset1(1.0f);
        }
        x[0] = vcombine(H, w, x[0]);
        for (int64_t hs = 1; hs < n; hs *= 2) {
            for (int64_t s0 = 0; s0 + hs < n; s0 += 2 * hs) {
                const int64_t piv = s0 + hs - 1;
                const int64_t end = s0 + 2 * hs < n ? s0 + 2 * hs : n;
                const vseg pv = x[piv];
                for (int64_t j = piv + 1; j < end; j++)
                    x[j] = vcombine(pv, lrb_vset1((float)(j - piv)) * w, x[j]);
            }
        }
        for (int64_t t = 0; t < n; t++) {
            const lrb_vf kt = ld(a->k + base + t * C, nch), vt = ld(a->v + base + t * C, nch);
            st(a->wkv + base + t * C, vout(t == 0 ? H : x[t - 1], u + kt, vt), nch);
        }
        H = x[n - 1];
    }
    st(sm, H.m, nch);
    st(sp, H.p, nch);
    st(sq, H.q, nch);
    free(x);
    return LRB_OK;
}

/* Lanes moved up by d (lane i gets lane i − d), the lanes below d filled from `fill`; through memory,
 * which needs no ISA-specific shuffle. */
static inline lrb_vf shift_up(lrb_vf x, int d, float fill)
{
    float tmp[2 * LRB_VW];
    for (int i = 0; i < LRB_VW; i++)
        tmp[i] = fill;
    lrb_vstore(tmp + LRB_VW, x);
    return lrb_vload(tmp + LRB_VW - d);
}

static inline vseg seg_shift(vseg x, int d)
{
    vseg r = {shift_up(x.m, d, LRB_WKV4_PP_EMPTY), shift_up(x.p, d, 0.0f), shift_up(x.q, d, 0.0f)};
    return r;
}

/* Log-step along L: per vector of LRB_VW steps, X = the inclusive scan of the tokens across the lanes
 * (Hillis–Steele: at distance d every lane i ≥ d combines the summary of the d tokens before its own d;
 * lanes below d meet the empty identity and keep theirs), then lane i's exclusive state is the carry ∘
 * X[i − 1] (i tokens), lane 0's the carry itself; the next carry is the carry ∘ X[n − 1] (n tokens). Lanes
 * past the end of L hold the identity and are never stored. */
static void wkv_logstep(const lrb_wkv4_args *a, int64_t b, int64_t c, float *sp, float *sq, float *sm)
{
    const int64_t L = a->L, C = a->C;
    const float w = a->w[c];
    const lrb_vf vw = lrb_vset1(w), uu = lrb_vset1(a->u[c]);
    float lane[LRB_VW];
    for (int i = 0; i < LRB_VW; i++)
        lane[i] = (float)i;
    const lrb_vf iw = lrb_vload(lane) * vw; /* (float)i · w, as the reference forms n2·w */
    float H[3] = {*sm, *sp, *sq};
    for (int64_t t0 = 0; t0 < L; t0 += LRB_VW) {
        const int n = L - t0 < LRB_VW ? (int)(L - t0) : LRB_VW;
        const float *kp = a->k + (b * L + t0) * C + c, *vp = a->v + (b * L + t0) * C + c;
        float kk[LRB_VW], vv[LRB_VW], qq[LRB_VW];
        for (int i = 0; i < LRB_VW; i++) {
            kk[i] = i < n ? kp[i * C] : LRB_WKV4_PP_EMPTY;
            vv[i] = i < n ? vp[i * C] : 0.0f;
            qq[i] = i < n ? 1.0f : 0.0f;
        }
        const lrb_vf kt = lrb_vload(kk), vt = lrb_vload(vv);
        vseg x = {kt, vt, lrb_vload(qq)};
        for (int d = 1; d < LRB_VW; d *= 2)
            x = vcombine(seg_shift(x, d), lrb_vset1((float)d) * vw, x);
        const vseg hv = {lrb_vset1(H[0]), lrb_vset1(H[1]), lrb_vset1(H[2])};
        const vseg ex = vcombine(hv, iw, seg_shift(x, 1));
        float yy[LRB_VW];
        lrb_vstore(yy, vout(ex, uu + kt, vt));
        float *yp = a->wkv + (b * L + t0) * C + c;
        for (int i = 0; i < n; i++)
            yp[i * C] = yy[i];
        /* next carry: H ∘ X[n − 1] with n tokens, on lane n − 1 */
        const vseg nx = vcombine(hv, lrb_vset1((float)n) * vw, x);
        float mm[LRB_VW], pp[LRB_VW], q2[LRB_VW];
        lrb_vstore(mm, nx.m);
        lrb_vstore(pp, nx.p);
        lrb_vstore(q2, nx.q);
        H[0] = mm[n - 1];
        H[1] = pp[n - 1];
        H[2] = q2[n - 1];
    }
    *sm = H[0];
    *sp = H[1];
    *sq = H[2];
}

const lrb_wkv4_kern LRB_KNAME(lrb_wkv4_kern) = {LRB_VW, wkv_loop, wkv_carry, wkv_ul, wkv_logstep};
