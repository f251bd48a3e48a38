/*
 * scan.c — the scalar reference of the diagonal first-order recurrence h_t = a_t ⊙ h_{t−1} + b_t
 * (LAYERS.md §4) with its four algorithms: seq, ul (Upper/Lower, §1.5), blelloch and chunked (§4.2).
 *
 * Everything is float32 except the power tables (below). The algorithms differ only in the order of
 * the float32 operations, so they agree with each other to rounding, and bit for bit whenever every
 * intermediate is exact (e.g. integer inputs with decays in {0, 1}); each is deterministic.
 *
 * seq — the reference (decision 6), and the bit-exact model of the SIMD seq variants. Constant decay:
 *   λ = expf(−ν) once per channel (complex: e = expf(−ν), lr = e·cosf(θ), li = e·sinf(θ)), then per
 *   step, with no fused operations (the project compiles with -ffp-contract=off):
 *       real:    h = λ·h + b                           i.e. (λ·h) + b
 *       complex: hr' = lr·hr − li·hi + br              i.e. ((lr·hr) − (li·hi)) + br
 *                hi' = lr·hi + li·hr + bi              i.e. ((lr·hi) + (li·hr)) + bi
 *   Data decay uses a_t in place of λ with the same operation order. The loop starts from h = h0 (or
 *   0), so the first step is a_0·h0 + b_0 (a_0·0 + b_0 without a state). Every other algorithm uses
 *   the same complex product (re = xr·yr − xi·yi, im = xr·yi + xi·yr) wherever it multiplies.
 *
 * Power tables (constant decay, ul/blelloch/chunked): P[p] = λ^p = exp(−p·ν) (complex: times
 *   cos(pθ) + i·sin(pθ)) computed in double and rounded to float, once per call and channel, for p up
 *   to the largest power the schedule uses (P[0] = 1 exactly). This is the remedy of LAYERS.md §4.4
 *   items 1 and 2: a power is never formed by repeated float32 multiplication, and the phase p·θ is
 *   exact. The parallel algorithms use P[1] (λ computed in double and rounded) where they need λ
 *   itself, not the seq λ = expf(−ν); the two can differ by an ulp.
 *
 * How the initial state h0 enters (each choice keeps h0 on the accurate path of its algorithm):
 *   ul       folds it into the first element, b_0 ← λ·h0 + b_0 with λ = P[1] (data: a_0·h0 + b_0).
 *   blelloch sets the root of the down-sweep to the state element (A = 1, h0) instead of the identity,
 *            so every exclusive prefix already contains h0 (time-invariant: decayed by exact powers).
 *   chunked  starts the carry scan from H_{−1} = h0; chunk 0 is fixed up like any other chunk,
 *            h_t = local_t + λ^{t+1}·h0 (data: (a_0·…·a_t)·h0).
 *
 * Memory: ul and chunked work in place in h (b is first copied into h unless h == b); blelloch pads
 * each chain into a power-of-two scratch. h may alias b exactly (not partially); h_last may alias h0;
 * a is only read and may share a buffer with h in other columns (glru keeps b and a side by side).
 * Only the columns d < D (and d + im_off) of h are written. Scratch is obtained once per call with
 * malloc; LRB_ENOMEM if that fails.
 */
#include "scan.h"
#include "lrb_math.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int64_t lrb_scan_seg_len(int64_t i, int64_t len, int64_t L)
{
    int64_t lo = i - len + 1;
    if (lo >= L)
        return 0;
    int64_t hi = i < L - 1 ? i : L - 1;
    return hi - lo + 1;
}

int64_t lrb_scan_pow2_ceil(int64_t L)
{
    int64_t n = 1;
    while (n < L)
        n *= 2;
    return n;
}

/* λ^p for p = 0..M in double, rounded to float (see the header comment). pi == NULL: real. Exported
 * (scan.h) so that the simd backend's parallel algorithms use the very same powers. */
void lrb_scan_power_table(float nu, const float *theta, int64_t M, float *pr, float *pi)
{
    pr[0] = 1.0f;
    if (pi)
        pi[0] = 0.0f;
    for (int64_t p = 1; p <= M; p++) {
        /* p·ν and p·θ are exact in double for any p this code can meet (24 + 40 bits). */
        double mag = exp(-(double)p * (double)nu);
        if (pi) {
            double ang = (double)p * (double)*theta;
            pr[p] = (float)(mag * cos(ang));
            pi[p] = (float)(mag * sin(ang));
        } else {
            pr[p] = (float)mag;
        }
    }
}

int lrb_scan_args_ok(const lrb_scan_args *s, int cplx)
{
    if (!s || s->B < 1 || s->L < 1 || s->D < 1 || !s->b || !s->h)
        return 0;
    if ((s->a == NULL) == (s->nu == NULL))
        return 0;
    if (cplx)
        return !(s->nu && !s->theta) && s->im_off >= s->D && s->ld >= s->im_off + s->D;
    return s->ld >= s->D;
}

static int args_ok(const lrb_scan_args *s, int cplx, lrb_algo algo)
{
    if (algo != LRB_SEQ && algo != LRB_UL && algo != LRB_BLELLOCH && algo != LRB_CHUNKED)
        return 0;
    return lrb_scan_args_ok(s, cplx) && (algo != LRB_CHUNKED || s->chunk >= 1);
}

/* Copies chain (b, d) of the input into h when they are distinct buffers (ul and chunked work in h). */
static void copy_chain(const lrb_scan_args *s, int64_t off)
{
    if (s->h == s->b)
        return;
    for (int64_t t = 0; t < s->L; t++)
        s->h[off + t * s->ld] = s->b[off + t * s->ld];
}

/* ------------------------------------------------------------------------------------------------ */
/* seq                                                                                               */

static int seq_real(const lrb_scan_args *s)
{
    const int64_t L = s->L, D = s->D, ld = s->ld;
    float *lam = NULL;
    if (s->nu) {
        lam = malloc((size_t)D * sizeof *lam);
        if (!lam)
            return LRB_ENOMEM;
        for (int64_t d = 0; d < D; d++)
            lam[d] = lrb_expf(-s->nu[d]);
    }
    /* Row by row over t, channels innermost: h_{t−1} is read back from the previous output row, which
     * holds it exactly; reading b_t before writing h_t at the same place keeps h == b correct. */
    for (int64_t bi = 0; bi < s->B; bi++) {
        const float *h0 = s->h0 ? s->h0 + bi * D : NULL;
        for (int64_t t = 0; t < L; t++) {
            const int64_t row = (bi * L + t) * ld;
            const float *prev = t > 0 ? s->h + row - ld : h0;
            const float *a = s->a ? s->a + row : NULL;
            for (int64_t d = 0; d < D; d++) {
                float hp = prev ? prev[d] : 0.0f;
                float at = a ? a[d] : lam[d];
                s->h[row + d] = at * hp + s->b[row + d];
            }
        }
        if (s->h_last)
            memcpy(s->h_last + bi * D, s->h + (bi * L + L - 1) * ld, (size_t)D * sizeof(float));
    }
    free(lam);
    return LRB_OK;
}

static int seq_complex(const lrb_scan_args *s)
{
    const int64_t L = s->L, D = s->D, ld = s->ld, io = s->im_off;
    float *lam = NULL;
    if (s->nu) {
        lam = malloc((size_t)(2 * D) * sizeof *lam);
        if (!lam)
            return LRB_ENOMEM;
        for (int64_t d = 0; d < D; d++) {
            float e = lrb_expf(-s->nu[d]);
            lam[d] = e * cosf(s->theta[d]);
            lam[D + d] = e * sinf(s->theta[d]);
        }
    }
    for (int64_t bi = 0; bi < s->B; bi++) {
        const float *h0 = s->h0 ? s->h0 + bi * 2 * D : NULL;
        for (int64_t t = 0; t < L; t++) {
            const int64_t row = (bi * L + t) * ld;
            /* prev_r/prev_i: h_{t−1} (the previous output row, or the state, planar (B, 2D)). */
            const float *prev_r = t > 0 ? s->h + row - ld : h0;
            const float *prev_i = t > 0 ? s->h + row - ld + io : (h0 ? h0 + D : NULL);
            for (int64_t d = 0; d < D; d++) {
                float hr = prev_r ? prev_r[d] : 0.0f;
                float hi = prev_i ? prev_i[d] : 0.0f;
                float lr, li;
                if (s->a) {
                    lr = s->a[row + d];
                    li = s->a[row + io + d];
                } else {
                    lr = lam[d];
                    li = lam[D + d];
                }
                float br = s->b[row + d], bim = s->b[row + io + d];
                s->h[row + d] = lr * hr - li * hi + br;
                s->h[row + io + d] = lr * hi + li * hr + bim;
            }
        }
        if (s->h_last) {
            const int64_t last = (bi * L + L - 1) * ld;
            memcpy(s->h_last + bi * 2 * D, s->h + last, (size_t)D * sizeof(float));
            memcpy(s->h_last + bi * 2 * D + D, s->h + last + io, (size_t)D * sizeof(float));
        }
    }
    free(lam);
    return LRB_OK;
}

/* ------------------------------------------------------------------------------------------------ */
/* Upper/Lower (§1.5), in place in h without padding: a block whose upper half starts at or after L is
 * skipped and the last one is truncated, which is bitwise identical to zero padding. The element at j
 * holds, after level i, the scan restricted to its aligned block of size 2^i, and (data decay) the
 * product A_j of the a's from that block's start to j. Combining the lower half into the upper one:
 * h_j ← A_j·h_pivot + h_j, then A_j ← A_j·A_pivot (the pivot's A is its own block-local product).
 * Constant decay: A_j = λ^{j−pivot} = P[j − pivot]. */

static void ul_real_chain(float *x, int64_t st, float *A, const float *P, int64_t L)
{
    for (int64_t hs = 1; hs < L; hs *= 2) {
        const int last_level = 2 * hs >= L; /* A is not needed after the last level */
        for (int64_t s0 = 0; s0 + hs < L; s0 += 2 * hs) {
            const int64_t piv = s0 + hs - 1;
            const int64_t end = s0 + 2 * hs < L ? s0 + 2 * hs : L;
            const float hp = x[piv * st];
            if (A) {
                const float ap = A[piv];
                for (int64_t j = piv + 1; j < end; j++) {
                    x[j * st] = A[j] * hp + x[j * st];
                    if (!last_level)
                        A[j] = A[j] * ap;
                }
            } else {
                for (int64_t j = piv + 1; j < end; j++)
                    x[j * st] = P[j - piv] * hp + x[j * st];
            }
        }
    }
}

static void ul_complex_chain(float *xr, float *xi, int64_t st, float *Ar, float *Ai, const float *Pr, const float *Pi,
                             int64_t L)
{
    for (int64_t hs = 1; hs < L; hs *= 2) {
        const int last_level = 2 * hs >= L;
        for (int64_t s0 = 0; s0 + hs < L; s0 += 2 * hs) {
            const int64_t piv = s0 + hs - 1;
            const int64_t end = s0 + 2 * hs < L ? s0 + 2 * hs : L;
            const float pr = xr[piv * st], pim = xi[piv * st];
            if (Ar) {
                const float apr = Ar[piv], api = Ai[piv];
                for (int64_t j = piv + 1; j < end; j++) {
                    const float cr = Ar[j], ci = Ai[j];
                    xr[j * st] = cr * pr - ci * pim + xr[j * st];
                    xi[j * st] = cr * pim + ci * pr + xi[j * st];
                    if (!last_level) {
                        Ar[j] = cr * apr - ci * api;
                        Ai[j] = cr * api + ci * apr;
                    }
                }
            } else {
                for (int64_t j = piv + 1; j < end; j++) {
                    const float cr = Pr[j - piv], ci = Pi[j - piv];
                    xr[j * st] = cr * pr - ci * pim + xr[j * st];
                    xi[j * st] = cr * pim + ci * pr + xi[j * st];
                }
            }
        }
    }
}

/* ------------------------------------------------------------------------------------------------ */
/* Blelloch: up-sweep and down-sweep over a chain padded to N = 2^ceil(log2 L) with the identity
 * (1, 0). The pair (A, h) stands for the map h' = A·h_in + h; (A_i, h_i) • (A_j, h_j) =
 * (A_j·A_i, A_j·h_i + h_j), the earlier element on the left. After the down-sweep x[t] is the exclusive
 * prefix, i.e. h_{t−1} (the root is seeded with the state element (1, h0), see the header comment); the
 * caller forms the inclusive result h_t = a_t·x[t] + b_t from the input. Only the up-sweep needs the A
 * parts: in the down-sweep a parent's A never reaches an h, so it is not kept. Constant decay carries
 * no A at all: the A of a subtree is λ^len, len = lrb_scan_seg_len(), read from the table. */

static void blelloch_real_chain(float *x, float *A, const float *P, int64_t L, int64_t N, float root)
{
    for (int64_t d = 1; d < N; d *= 2) {
        for (int64_t i = 2 * d - 1; i < N; i += 2 * d) {
            if (A) {
                x[i] = A[i] * x[i - d] + x[i];
                A[i] = A[i] * A[i - d];
            } else {
                x[i] = P[lrb_scan_seg_len(i, d, L)] * x[i - d] + x[i];
            }
        }
    }
    x[N - 1] = root;
    for (int64_t d = N / 2; d >= 1; d /= 2) {
        for (int64_t i = 2 * d - 1; i < N; i += 2 * d) {
            const float parent = x[i], left = x[i - d];
            const float al = A ? A[i - d] : P[lrb_scan_seg_len(i - d, d, L)];
            x[i - d] = parent;
            x[i] = al * parent + left;
        }
    }
}

static void blelloch_complex_chain(float *xr, float *xi, float *Ar, float *Ai, const float *Pr, const float *Pi,
                                   int64_t L, int64_t N, float root_r, float root_i)
{
    for (int64_t d = 1; d < N; d *= 2) {
        for (int64_t i = 2 * d - 1; i < N; i += 2 * d) {
            float cr, ci;
            if (Ar) {
                cr = Ar[i];
                ci = Ai[i];
                Ar[i] = cr * Ar[i - d] - ci * Ai[i - d];
                Ai[i] = cr * Ai[i - d] + ci * Ar[i - d];
            } else {
                const int64_t n = lrb_scan_seg_len(i, d, L);
                cr = Pr[n];
                ci = Pi[n];
            }
            const float hr = xr[i - d], hi = xi[i - d];
            xr[i] = cr * hr - ci * hi + xr[i];
            xi[i] = cr * hi + ci * hr + xi[i];
        }
    }
    xr[N - 1] = root_r;
    xi[N - 1] = root_i;
    for (int64_t d = N / 2; d >= 1; d /= 2) {
        for (int64_t i = 2 * d - 1; i < N; i += 2 * d) {
            const float par_r = xr[i], par_i = xi[i], left_r = xr[i - d], left_i = xi[i - d];
            float cr, ci;
            if (Ar) {
                cr = Ar[i - d];
                ci = Ai[i - d];
            } else {
                const int64_t n = lrb_scan_seg_len(i - d, d, L);
                cr = Pr[n];
                ci = Pi[n];
            }
            xr[i - d] = par_r;
            xi[i - d] = par_i;
            xr[i] = cr * par_r - ci * par_i + left_r;
            xi[i] = cr * par_i + ci * par_r + left_i;
        }
    }
}

/* ------------------------------------------------------------------------------------------------ */
/* Chunked, in place in h: (1) scan each chunk of K from the zero state (local_t); (2) carries
 * H_c = Π_c·H_{c−1} + local_{end of c}, H_{−1} = h0, with Π_c the chunk's decay product (data: the
 * running product a_start·…·a_end in order; constant: λ^K = P[K]); (3) h_t = π_t·H_{c−1} + local_t,
 * π_t = a_start·…·a_t recomputed in the same order (constant: P[t − start + 1]). Nothing is divided by
 * a cumulative product (§4.4 item 6). Chunk 0 without a state needs no fix-up. */

static void chunked_real_chain(float *x, int64_t st, const float *a, const float *P, int64_t L, int64_t K, float *carry,
                               int have_h0, float h0)
{
    const int64_t nc = (L + K - 1) / K;
    /* (1) local scans; the chunk's decay product goes to carry[c] for now. */
    for (int64_t c = 0; c < nc; c++) {
        const int64_t s0 = c * K, end = s0 + K < L ? s0 + K : L;
        float prod = a ? a[s0 * st] : P[end - s0];
        for (int64_t t = s0 + 1; t < end; t++) {
            const float at = a ? a[t * st] : P[1];
            x[t * st] = at * x[(t - 1) * st] + x[t * st];
            if (a)
                prod = prod * at;
        }
        carry[c] = prod;
    }
    /* (2) carries: carry[c] becomes H_c. */
    float H = have_h0 ? h0 : 0.0f;
    for (int64_t c = 0; c < nc; c++) {
        const int64_t end = c * K + K < L ? c * K + K : L;
        H = carry[c] * H + x[(end - 1) * st];
        carry[c] = H;
    }
    /* (3) fix-up with H_{c−1}. */
    for (int64_t c = 0; c < nc; c++) {
        const int64_t s0 = c * K, end = s0 + K < L ? s0 + K : L;
        if (c == 0 && !have_h0)
            continue;
        const float Hp = c == 0 ? h0 : carry[c - 1];
        float pi = 1.0f;
        for (int64_t t = s0; t < end; t++) {
            if (a)
                pi = t == s0 ? a[t * st] : pi * a[t * st];
            else
                pi = P[t - s0 + 1];
            x[t * st] = pi * Hp + x[t * st];
        }
    }
}

static void chunked_complex_chain(float *xr, float *xi, int64_t st, const float *ar, const float *ai, const float *Pr,
                                  const float *Pi, int64_t L, int64_t K, float *carry, int have_h0, float h0r,
                                  float h0i)
{
    const int64_t nc = (L + K - 1) / K;
    /* carry[4c .. 4c+3]: the chunk product (re, im), then H_c (re, im). */
    for (int64_t c = 0; c < nc; c++) {
        const int64_t s0 = c * K, end = s0 + K < L ? s0 + K : L;
        float pr, pim;
        if (ar) {
            pr = ar[s0 * st];
            pim = ai[s0 * st];
        } else {
            const int64_t n = end - s0;
            pr = Pr[n];
            pim = Pi[n];
        }
        for (int64_t t = s0 + 1; t < end; t++) {
            float cr, ci;
            if (ar) {
                cr = ar[t * st];
                ci = ai[t * st];
            } else {
                cr = Pr[1];
                ci = Pi[1];
            }
            const float hr = xr[(t - 1) * st], hi = xi[(t - 1) * st];
            xr[t * st] = cr * hr - ci * hi + xr[t * st];
            xi[t * st] = cr * hi + ci * hr + xi[t * st];
            if (ar) {
                const float qr = pr * cr - pim * ci, qi = pr * ci + pim * cr;
                pr = qr;
                pim = qi;
            }
        }
        carry[4 * c] = pr;
        carry[4 * c + 1] = pim;
    }
    float Hr = have_h0 ? h0r : 0.0f, Hi = have_h0 ? h0i : 0.0f;
    for (int64_t c = 0; c < nc; c++) {
        const int64_t end = c * K + K < L ? c * K + K : L;
        const float cr = carry[4 * c], ci = carry[4 * c + 1];
        const float nr = cr * Hr - ci * Hi + xr[(end - 1) * st];
        const float ni = cr * Hi + ci * Hr + xi[(end - 1) * st];
        Hr = nr;
        Hi = ni;
        carry[4 * c + 2] = Hr;
        carry[4 * c + 3] = Hi;
    }
    for (int64_t c = 0; c < nc; c++) {
        const int64_t s0 = c * K, end = s0 + K < L ? s0 + K : L;
        if (c == 0 && !have_h0)
            continue;
        const float Hpr = c == 0 ? h0r : carry[4 * (c - 1) + 2];
        const float Hpi = c == 0 ? h0i : carry[4 * (c - 1) + 3];
        float pr = 1.0f, pim = 0.0f;
        for (int64_t t = s0; t < end; t++) {
            if (ar) {
                if (t == s0) {
                    pr = ar[t * st];
                    pim = ai[t * st];
                } else {
                    const float cr = ar[t * st], ci = ai[t * st];
                    const float qr = pr * cr - pim * ci, qi = pr * ci + pim * cr;
                    pr = qr;
                    pim = qi;
                }
            } else {
                pr = Pr[t - s0 + 1];
                pim = Pi[t - s0 + 1];
            }
            xr[t * st] = pr * Hpr - pim * Hpi + xr[t * st];
            xi[t * st] = pr * Hpi + pim * Hpr + xi[t * st];
        }
    }
}

/* ------------------------------------------------------------------------------------------------ */
/* Drivers of the parallel algorithms: per channel d the power table, then every batch row's chain. */

/* Largest table index each algorithm reads (≥ 1: P[1] is λ). */
static int64_t table_max(const lrb_scan_args *s, lrb_algo algo)
{
    int64_t M = 1;
    if (algo == LRB_UL || algo == LRB_BLELLOCH)
        M = lrb_scan_pow2_ceil(s->L) / 2;
    else if (algo == LRB_CHUNKED)
        M = s->chunk < s->L ? s->chunk : s->L;
    return M > 1 ? M : 1;
}

static int parallel_real(const lrb_scan_args *s, lrb_algo algo)
{
    const int64_t L = s->L, D = s->D, ld = s->ld;
    const int64_t N = lrb_scan_pow2_ceil(L);
    const int64_t M = table_max(s, algo);
    const int64_t K = s->chunk;
    size_t n_scr = 0;
    if (!s->a)
        n_scr += (size_t)M + 1; /* power table */
    if (algo == LRB_UL && s->a)
        n_scr += (size_t)L; /* block products */
    if (algo == LRB_BLELLOCH)
        n_scr += (size_t)N * (s->a ? 2 : 1); /* padded (A, h) */
    if (algo == LRB_CHUNKED)
        n_scr += (size_t)((L + K - 1) / K); /* chunk products / carries */
    float *scr = malloc(n_scr * sizeof *scr);
    if (!scr)
        return LRB_ENOMEM;
    float *P = s->a ? NULL : scr;
    float *w = scr + (s->a ? 0 : M + 1); /* work area after the table */

    for (int64_t d = 0; d < D; d++) {
        if (P)
            lrb_scan_power_table(s->nu[d], NULL, M, P, NULL);
        for (int64_t bi = 0; bi < s->B; bi++) {
            const int64_t off = bi * L * ld + d; /* element t of the chain is at off + t·ld */
            const int have_h0 = s->h0 != NULL;
            const float h0 = have_h0 ? s->h0[bi * D + d] : 0.0f;
            float *x = s->h + off;
            const float *a = s->a ? s->a + off : NULL;
            if (algo == LRB_UL) {
                copy_chain(s, off);
                if (have_h0)
                    x[0] = (a ? a[0] : P[1]) * h0 + x[0];
                float *A = NULL;
                if (a) {
                    A = w;
                    for (int64_t t = 0; t < L; t++)
                        A[t] = a[t * ld];
                }
                ul_real_chain(x, ld, A, P, L);
            } else if (algo == LRB_BLELLOCH) {
                float *xs = w, *A = a ? w + N : NULL;
                for (int64_t t = 0; t < N; t++) {
                    xs[t] = t < L ? s->b[off + t * ld] : 0.0f;
                    if (A)
                        A[t] = t < L ? a[t * ld] : 1.0f;
                }
                blelloch_real_chain(xs, A, P, L, N, h0);
                /* Inclusive result from the exclusive prefix; b_t is read before h_t is written. */
                for (int64_t t = 0; t < L; t++) {
                    const float at = a ? a[t * ld] : P[1];
                    x[t * ld] = at * xs[t] + s->b[off + t * ld];
                }
            } else {
                copy_chain(s, off);
                chunked_real_chain(x, ld, a, P, L, K, w, have_h0, h0);
            }
            if (s->h_last)
                s->h_last[bi * D + d] = x[(L - 1) * ld];
        }
    }
    free(scr);
    return LRB_OK;
}

static int parallel_complex(const lrb_scan_args *s, lrb_algo algo)
{
    const int64_t L = s->L, D = s->D, ld = s->ld, io = s->im_off;
    const int64_t N = lrb_scan_pow2_ceil(L);
    const int64_t M = table_max(s, algo);
    const int64_t K = s->chunk;
    size_t n_scr = 0;
    if (!s->a)
        n_scr += 2 * ((size_t)M + 1);
    if (algo == LRB_UL && s->a)
        n_scr += 2 * (size_t)L;
    if (algo == LRB_BLELLOCH)
        n_scr += (size_t)N * (s->a ? 4 : 2);
    if (algo == LRB_CHUNKED)
        n_scr += 4 * (size_t)((L + K - 1) / K);
    float *scr = malloc(n_scr * sizeof *scr);
    if (!scr)
        return LRB_ENOMEM;
    float *Pr = s->a ? NULL : scr, *Pi = s->a ? NULL : scr + M + 1;
    float *w = scr + (s->a ? 0 : 2 * (M + 1));

    for (int64_t d = 0; d < D; d++) {
        if (Pr)
            lrb_scan_power_table(s->nu[d], &s->theta[d], M, Pr, Pi);
        for (int64_t bi = 0; bi < s->B; bi++) {
            const int64_t off = bi * L * ld + d;
            const int have_h0 = s->h0 != NULL;
            const float h0r = have_h0 ? s->h0[bi * 2 * D + d] : 0.0f;
            const float h0i = have_h0 ? s->h0[bi * 2 * D + D + d] : 0.0f;
            float *xr = s->h + off, *xi = s->h + off + io;
            const float *ar = s->a ? s->a + off : NULL, *ai = s->a ? s->a + off + io : NULL;
            if (algo == LRB_UL) {
                copy_chain(s, off);
                copy_chain(s, off + io);
                if (have_h0) {
                    const float cr = ar ? ar[0] : Pr[1], ci = ar ? ai[0] : Pi[1];
                    const float nr = cr * h0r - ci * h0i + xr[0];
                    const float ni = cr * h0i + ci * h0r + xi[0];
                    xr[0] = nr;
                    xi[0] = ni;
                }
                float *Ar = NULL, *Ai = NULL;
                if (ar) {
                    Ar = w;
                    Ai = w + L;
                    for (int64_t t = 0; t < L; t++) {
                        Ar[t] = ar[t * ld];
                        Ai[t] = ai[t * ld];
                    }
                }
                ul_complex_chain(xr, xi, ld, Ar, Ai, Pr, Pi, L);
            } else if (algo == LRB_BLELLOCH) {
                float *sr = w, *si = w + N;
                float *Ar = ar ? w + 2 * N : NULL, *Ai = ar ? w + 3 * N : NULL;
                for (int64_t t = 0; t < N; t++) {
                    sr[t] = t < L ? s->b[off + t * ld] : 0.0f;
                    si[t] = t < L ? s->b[off + io + t * ld] : 0.0f;
                    if (Ar) {
                        Ar[t] = t < L ? ar[t * ld] : 1.0f;
                        Ai[t] = t < L ? ai[t * ld] : 0.0f;
                    }
                }
                blelloch_complex_chain(sr, si, Ar, Ai, Pr, Pi, L, N, h0r, h0i);
                for (int64_t t = 0; t < L; t++) {
                    const float cr = ar ? ar[t * ld] : Pr[1], ci = ar ? ai[t * ld] : Pi[1];
                    const float br = s->b[off + t * ld], bim = s->b[off + io + t * ld];
                    xr[t * ld] = cr * sr[t] - ci * si[t] + br;
                    xi[t * ld] = cr * si[t] + ci * sr[t] + bim;
                }
            } else {
                copy_chain(s, off);
                copy_chain(s, off + io);
                chunked_complex_chain(xr, xi, ld, ar, ai, Pr, Pi, L, K, w, have_h0, h0r, h0i);
            }
            if (s->h_last) {
                s->h_last[bi * 2 * D + d] = xr[(L - 1) * ld];
                s->h_last[bi * 2 * D + D + d] = xi[(L - 1) * ld];
            }
        }
    }
    free(scr);
    return LRB_OK;
}

int lrb_scan_real(const lrb_scan_args *s, lrb_algo algo)
{
    if (!args_ok(s, 0, algo))
        return LRB_EINVAL;
    return algo == LRB_SEQ ? seq_real(s) : parallel_real(s, algo);
}

int lrb_scan_complex(const lrb_scan_args *s, lrb_algo algo)
{
    if (!args_ok(s, 1, algo))
        return LRB_EINVAL;
    return algo == LRB_SEQ ? seq_complex(s) : parallel_complex(s, algo);
}
