/*
 * wkv4.c — the scalar reference of the RWKV-4 WKV operator (LAYERS.md §2.4, decision 7), float32.
 *
 * seq is the stable (aa, bb, pp) loop exactly as written in §2.4, starting from pp = −1e38 (or the given
 * state). ul, blelloch and chunked run the log-space associative operator of §2.4/§4.3 on segment
 * summaries (m, P, Q) — "the inclusive sums of the segment are P·e^m and Q·e^m" — under the three
 * schedules:
 *
 *     E1 ∘ E2:  α = m1 + n2·w;  m = max(α, m2);  A = exp(α − m);  B' = exp(m2 − m)
 *               (m, A·P1 + B'·P2, A·Q1 + B'·Q2)
 *
 * n2, the number of tokens of the later segment, is the only length the operator needs (w is the same
 * for every token), so segments do not store theirs: each schedule knows it from the positions and
 * passes n2·w, computed as (float)n2 * w. Combining a state with one token, (pp, aa, bb) ∘ (k, v, 1),
 * is operation for operation the state update of the stable loop, so the chunked local scans are that
 * loop.
 *
 * Empty segments: a summary with P = Q = 0 represents zero sums whatever its m (the padding identity
 * (−1e38, 0, 0), the empty state, and CR's pp = −1e30 empty state alike). The combine returns the other
 * operand for it instead of evaluating exponentials of differences of huge magnitudes, so the identity
 * is exact and −1e38 − (−1e38) is never formed. Real segments have Q ≥ 1 (one of A, B' is exactly 1).
 *
 * The initial state is a summary (pp0, aa0, bb0) placed before token 0; it is not a run of tokens, but
 * it decays across every later token, which the operator already does through n2·w of the later side.
 * ul folds it into token 0; blelloch seeds the down-sweep root with it (so every exclusive prefix
 * contains it); chunked starts the carry scan from it. Outputs use the exclusive state before token t
 * and the bonus e^{u+k_t}, exactly as the output step of the stable loop with pp = m, aa = P, bb = Q;
 * the final state is the inclusive state after the last token, written as (aa, bb, pp) = (P, Q, m).
 */
#include "wkv4.h"

#include "scan.h"
#include "lrb_math.h"

#include <math.h>
#include <stdlib.h>

typedef struct {
    float m, p, q;
} wkv_seg;

/* max as the CUDA kernel writes it; the arguments are never NaN for finite inputs. */
static float maxf(float x, float y)
{
    return x > y ? x : y;
}

static int seg_empty(wkv_seg e)
{
    return e.p == 0.0f && e.q == 0.0f;
}

/* E1 ∘ E2, E1 earlier; n2w = (float)n2·w with n2 the token count of E2. */
static wkv_seg combine(wkv_seg e1, float n2w, wkv_seg e2)
{
    if (seg_empty(e1))
        return e2;
    if (seg_empty(e2)) {
        e1.m = e1.m + n2w; /* n2 = 0 for every empty E2 the schedules form: e1 unchanged */
        return e1;
    }
    const float alpha = e1.m + n2w;
    const float m = maxf(alpha, e2.m);
    const float A = lrb_expf(alpha - m), Bp = lrb_expf(e2.m - m);
    wkv_seg r;
    r.m = m;
    r.p = A * e1.p + Bp * e2.p;
    r.q = A * e1.q + Bp * e2.q;
    return r;
}

/* The output step of the stable loop from the state (pp, aa, bb) = (m, P, Q) before the token. */
static float wkv_out(wkv_seg st, float uk, float v)
{
    const float q = maxf(st.m, uk);
    const float e1 = lrb_expf(st.m - q), e2 = lrb_expf(uk - q);
    return (e1 * st.p + e2 * v) / (e1 * st.q + e2);
}

static wkv_seg token(float k, float v)
{
    wkv_seg r = {k, v, 1.0f};
    return r;
}

static const wkv_seg seg_identity = {LRB_WKV4_PP_EMPTY, 0.0f, 0.0f};

/* ------------------------------------------------------------------------------------------------ */

static void seq_chain(const lrb_wkv4_args *a, int64_t base, int64_t c, wkv_seg init, wkv_seg *fin)
{
    const int64_t C = a->C;
    const float w = a->w[c], u = a->u[c];
    float aa = init.p, bb = init.q, pp = init.m;
    for (int64_t t = 0; t < a->L; t++) {
        const int64_t o = base + t * C;
        const float kt = a->k[o], vt = a->v[o];
        const float uk = u + kt;
        /* output */
        float q = maxf(pp, uk);
        float e1 = lrb_expf(pp - q);
        float e2 = lrb_expf(uk - q);
        a->wkv[o] = (e1 * aa + e2 * vt) / (e1 * bb + e2);
        /* state update */
        const float pw = pp + w;
        q = maxf(pw, kt);
        e1 = lrb_expf(pw - q);
        e2 = lrb_expf(kt - q);
        aa = e1 * aa + e2 * vt;
        bb = e1 * bb + e2;
        pp = q;
    }
    fin->m = pp;
    fin->p = aa;
    fin->q = bb;
}

/* Upper/Lower over x[0..L): after level i, x[j] is the summary of the aligned block of 2^i containing
 * j, from the block's start to j; the upper element at distance p from the pivot spans p tokens. */
static void ul_chain(const lrb_wkv4_args *a, int64_t base, int64_t c, wkv_seg init, wkv_seg *x, wkv_seg *fin)
{
    const int64_t L = a->L, C = a->C;
    const float w = a->w[c], u = a->u[c];
    for (int64_t t = 0; t < L; t++)
        x[t] = token(a->k[base + t * C], a->v[base + t * C]);
    x[0] = combine(init, w, x[0]); /* n2 = 1 */
    for (int64_t hs = 1; hs < L; hs *= 2) {
        for (int64_t s0 = 0; s0 + hs < L; s0 += 2 * hs) {
            const int64_t piv = s0 + hs - 1;
            const int64_t end = s0 + 2 * hs < L ? s0 + 2 * hs : L;
            const wkv_seg pv = x[piv];
            for (int64_t j = piv + 1; j < end; j++)
                x[j] = combine(pv, (float)(j - piv) * w, x[j]);
        }
    }
    for (int64_t t = 0; t < L; t++) {
        const int64_t o = base + t * C;
        a->wkv[o] = wkv_out(t == 0 ? init : x[t - 1], u + a->k[o], a->v[o]);
    }
    *fin = x[L - 1];
}

/* Blelloch over x[0..N), padded with the identity; the down-sweep root is the initial state, so x[t]
 * ends as the exclusive state before token t. */
static void blelloch_chain(const lrb_wkv4_args *a, int64_t base, int64_t c, wkv_seg init, wkv_seg *x, wkv_seg *fin)
{
    const int64_t L = a->L, C = a->C, N = lrb_scan_pow2_ceil(L);
    const float w = a->w[c], u = a->u[c];
    for (int64_t t = 0; t < N; t++)
        x[t] = t < L ? token(a->k[base + t * C], a->v[base + t * C]) : seg_identity;
    for (int64_t d = 1; d < N; d *= 2)
        for (int64_t i = 2 * d - 1; i < N; i += 2 * d)
            x[i] = combine(x[i - d], (float)lrb_scan_seg_len(i, d, L) * w, x[i]);
    x[N - 1] = init;
    for (int64_t d = N / 2; d >= 1; d /= 2) {
        for (int64_t i = 2 * d - 1; i < N; i += 2 * d) {
            const wkv_seg parent = x[i], left = x[i - d];
            x[i - d] = parent;
            x[i] = combine(parent, (float)lrb_scan_seg_len(i - d, d, L) * w, left);
        }
    }
    for (int64_t t = 0; t < L; t++) {
        const int64_t o = base + t * C;
        a->wkv[o] = wkv_out(x[t], u + a->k[o], a->v[o]);
    }
    const int64_t last = base + (L - 1) * C;
    *fin = combine(x[L - 1], w, token(a->k[last], a->v[last]));
}

/* Chunked: x[t] = the chunk-local inclusive summary (the stable loop from the empty state), carry[c] =
 * the inclusive state after chunk c; the exclusive state before t is carry[c−1] ∘ x[t−1] (t − start
 * tokens), or carry[c−1] itself at the chunk start. */
static void chunked_chain(const lrb_wkv4_args *a, int64_t base, int64_t c, wkv_seg init, wkv_seg *x, wkv_seg *carry,
                          wkv_seg *fin)
{
    const int64_t L = a->L, C = a->C, K = a->chunk;
    const int64_t nc = (L + K - 1) / K;
    const float w = a->w[c], u = a->u[c];
    for (int64_t ci = 0; ci < nc; ci++) {
        const int64_t s0 = ci * K, end = s0 + K < L ? s0 + K : L;
        x[s0] = token(a->k[base + s0 * C], a->v[base + s0 * C]);
        for (int64_t t = s0 + 1; t < end; t++)
            x[t] = combine(x[t - 1], w, token(a->k[base + t * C], a->v[base + t * C]));
    }
    wkv_seg H = init;
    for (int64_t ci = 0; ci < nc; ci++) {
        const int64_t s0 = ci * K, end = s0 + K < L ? s0 + K : L;
        H = combine(H, (float)(end - s0) * w, x[end - 1]);
        carry[ci] = H;
    }
    for (int64_t ci = 0; ci < nc; ci++) {
        const int64_t s0 = ci * K, end = s0 + K < L ? s0 + K : L;
        const wkv_seg Hp = ci == 0 ? init : carry[ci - 1];
        for (int64_t t = s0; t < end; t++) {
            const int64_t o = base + t * C;
            const wkv_seg st = t == s0 ? Hp : combine(Hp, (float)(t - s0) * w, x[t - 1]);
            a->wkv[o] = wkv_out(st, u + a->k[o], a->v[o]);
        }
    }
    *fin = carry[nc - 1];
}

int lrb_wkv4(const lrb_wkv4_args *a, lrb_algo algo)
{
    if (!a || a->B < 1 || a->L < 1 || a->C < 1 || !a->w || !a->u || !a->k || !a->v || !a->wkv)
        return LRB_EINVAL;
    if (algo != LRB_SEQ && algo != LRB_UL && algo != LRB_BLELLOCH && algo != LRB_CHUNKED)
        return LRB_EINVAL;
    if (algo == LRB_CHUNKED && a->chunk < 1)
        return LRB_EINVAL;
    const int64_t L = a->L;
    size_t n = 0;
    if (algo == LRB_UL)
        n = (size_t)L;
    else if (algo == LRB_BLELLOCH)
        n = (size_t)lrb_scan_pow2_ceil(L);
    else if (algo == LRB_CHUNKED)
        n = (size_t)L + (size_t)((L + a->chunk - 1) / a->chunk);
    wkv_seg *scr = NULL;
    if (n) {
        scr = malloc(n * sizeof *scr);
        if (!scr)
            return LRB_ENOMEM;
    }
    for (int64_t b = 0; b < a->B; b++) {
        for (int64_t c = 0; c < a->C; c++) {
            const int64_t sidx = b * a->C + c;
            /* The state may be read and written through the same buffers: init is read first. */
            wkv_seg init;
            init.m = a->pp0 ? a->pp0[sidx] : LRB_WKV4_PP_EMPTY;
            init.p = a->aa0 ? a->aa0[sidx] : 0.0f;
            init.q = a->bb0 ? a->bb0[sidx] : 0.0f;
            const int64_t base = b * L * a->C + c;
            wkv_seg fin;
            switch (algo) {
            case LRB_SEQ:
                seq_chain(a, base, c, init, &fin);
                break;
            case LRB_UL:
                ul_chain(a, base, c, init, scr, &fin);
                break;
            case LRB_BLELLOCH:
                blelloch_chain(a, base, c, init, scr, &fin);
                break;
            default:
                chunked_chain(a, base, c, init, scr, scr + L, &fin);
                break;
            }
            if (a->aa)
                a->aa[sidx] = fin.p;
            if (a->bb)
                a->bb[sidx] = fin.q;
            if (a->pp)
                a->pp[sidx] = fin.m;
        }
    }
    free(scr);
    return LRB_OK;
}
