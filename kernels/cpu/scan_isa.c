/*
 * scan_isa.c — per-ISA template (compiled once per ISA, see CMakeLists.txt) of the scan kernels of the
 * simd backend; the table it exports and the meaning of each entry are in scan_kern.h, the driver
 * (validation, blocks, threads, power tables, carries) is scan.c.
 *
 * seq, chunked and ul put channels on the vector lanes and walk the time steps row by row, so every
 * lane performs exactly the scalar operations of the reference for its channel, in the same order:
 * a multiply and an add as separate instructions (the project builds with -ffp-contract=off, so the
 * vector expressions `m * h + b` below are never fused). The channels left over after the last full
 * vector run the same expression in scalar code, which never reads or writes past the block.
 *
 * logstep puts time steps on the lanes instead: a vector (or, for strided layouts, a tile of vw rows)
 * is scanned by log2(vw) Hillis–Steele steps and the carry from the previous vector is added with the
 * vector's cumulative decay. Constant decay multiplies by exact powers from the double-precision table
 * (P[k] for the step of distance k, P[i + 1] for the carry into lane i), never by repeated products.
 */
#include "simd.h"

#include "scan_kern.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Loads/stores of n channels: a full vector when n ≥ vw, otherwise the first n lanes (the rest `fill`). */
static inline lrb_vf ldv(const float *p, int64_t n, float fill)
{
    return n >= LRB_VW ? lrb_vload(p) : lrb_vload_n(p, (int)n, fill);
}
static inline void stv(float *p, lrb_vf v, int64_t n)
{
    if (n >= LRB_VW)
        lrb_vstore(p, v);
    else
        lrb_vstore_n(p, v, (int)n);
}

/* ------------------------------------------------------------------------------------------------ */
/* seq (and chunked pass 1)                                                                          */

static void seq_real(const lrb_scan_blk *k)
{
    const int64_t n = k->n, ld = k->ld, nv = n - n % LRB_VW;
    const float *a = k->a;
    const lrb_vf zero = lrb_vset1(0.0f);
    for (int64_t t = 0; t < k->rows; t++) {
        const float *bt = k->b + t * ld;
        float *ht = k->h + t * ld;
        const float *mt = a ? a + t * ld : k->lam_r; /* the multiplier row */
        const float *pv = t > 0 ? ht - ld : k->h0_r; /* h_{t−1}, or NULL for the zero state */
        int64_t j = 0;
        if (t == 0 && k->copy_first) {
            if (ht != bt)
                memcpy(ht, bt, (size_t)n * sizeof *ht);
        } else if (pv) {
            for (; j + 2 * LRB_VW <= nv; j += 2 * LRB_VW) {
                /* two vectors per iteration: both loads of b before either store keep h == b correct */
                lrb_vf y0 = lrb_vload(mt + j) * lrb_vload(pv + j) + lrb_vload(bt + j);
                lrb_vf y1 = lrb_vload(mt + j + LRB_VW) * lrb_vload(pv + j + LRB_VW) + lrb_vload(bt + j + LRB_VW);
                lrb_vstore(ht + j, y0);
                lrb_vstore(ht + j + LRB_VW, y1);
            }
            for (; j < nv; j += LRB_VW)
                lrb_vstore(ht + j, lrb_vload(mt + j) * lrb_vload(pv + j) + lrb_vload(bt + j));
            for (; j < n; j++)
                ht[j] = mt[j] * pv[j] + bt[j];
        } else {
            /* the reference multiplies the zero state too: a_0·0 + b_0 (which is not always b_0 bitwise) */
            for (; j < nv; j += LRB_VW)
                lrb_vstore(ht + j, lrb_vload(mt + j) * zero + lrb_vload(bt + j));
            for (; j < n; j++)
                ht[j] = mt[j] * 0.0f + bt[j];
        }
        if (k->prod_r && a) {
            float *pr = k->prod_r;
            if (t == 0) {
                memcpy(pr, mt, (size_t)n * sizeof *pr);
            } else {
                for (j = 0; j < nv; j += LRB_VW)
                    lrb_vstore(pr + j, lrb_vload(pr + j) * lrb_vload(mt + j));
                for (; j < n; j++)
                    pr[j] = pr[j] * mt[j];
            }
        }
    }
}

static void seq_cplx(const lrb_scan_blk *k)
{
    const int64_t n = k->n, ld = k->ld, io = k->im_off, nv = n - n % LRB_VW;
    const float *a = k->a;
    for (int64_t t = 0; t < k->rows; t++) {
        const float *bt = k->b + t * ld;
        float *ht = k->h + t * ld;
        const float *mr = a ? a + t * ld : k->lam_r, *mi = a ? a + t * ld + io : k->lam_i;
        const float *pr = t > 0 ? ht - ld : k->h0_r, *pi = t > 0 ? ht - ld + io : k->h0_i;
        int64_t j = 0;
        if (t == 0 && k->copy_first) {
            if (ht != bt) {
                memcpy(ht, bt, (size_t)n * sizeof *ht);
                memcpy(ht + io, bt + io, (size_t)n * sizeof *ht);
            }
        } else if (pr) {
            for (; j < nv; j += LRB_VW) {
                const lrb_vf cr = lrb_vload(mr + j), ci = lrb_vload(mi + j);
                const lrb_vf hr = lrb_vload(pr + j), hi = lrb_vload(pi + j);
                const lrb_vf br = lrb_vload(bt + j), bi = lrb_vload(bt + io + j);
                lrb_vstore(ht + j, cr * hr - ci * hi + br);
                lrb_vstore(ht + io + j, cr * hi + ci * hr + bi);
            }
            for (; j < n; j++) {
                const float cr = mr[j], ci = mi[j], hr = pr[j], hi = pi[j], br = bt[j], bi = bt[io + j];
                ht[j] = cr * hr - ci * hi + br;
                ht[io + j] = cr * hi + ci * hr + bi;
            }
        } else {
            const lrb_vf z = lrb_vset1(0.0f);
            for (; j < nv; j += LRB_VW) {
                const lrb_vf cr = lrb_vload(mr + j), ci = lrb_vload(mi + j);
                const lrb_vf br = lrb_vload(bt + j), bi = lrb_vload(bt + io + j);
                lrb_vstore(ht + j, cr * z - ci * z + br);
                lrb_vstore(ht + io + j, cr * z + ci * z + bi);
            }
            for (; j < n; j++) {
                const float cr = mr[j], ci = mi[j], br = bt[j], bi = bt[io + j];
                ht[j] = cr * 0.0f - ci * 0.0f + br;
                ht[io + j] = cr * 0.0f + ci * 0.0f + bi;
            }
        }
        if (k->prod_r && a) {
            float *qr = k->prod_r, *qi = k->prod_i;
            if (t == 0) {
                memcpy(qr, mr, (size_t)n * sizeof *qr);
                memcpy(qi, mi, (size_t)n * sizeof *qi);
            } else {
                for (j = 0; j < nv; j += LRB_VW) {
                    const lrb_vf xr = lrb_vload(qr + j), xi = lrb_vload(qi + j);
                    const lrb_vf cr = lrb_vload(mr + j), ci = lrb_vload(mi + j);
                    lrb_vstore(qr + j, xr * cr - xi * ci);
                    lrb_vstore(qi + j, xr * ci + xi * cr);
                }
                for (; j < n; j++) {
                    const float xr = qr[j], xi = qi[j], cr = mr[j], ci = mi[j];
                    qr[j] = xr * cr - xi * ci;
                    qi[j] = xr * ci + xi * cr;
                }
            }
        }
    }
}

/* ------------------------------------------------------------------------------------------------ */
/* chunked pass 2: h_t = π_t·H + h_t                                                                  */

static void fix_real(const lrb_scan_blk *k)
{
    const int64_t n = k->n, ld = k->ld, nv = n - n % LRB_VW;
    const float *H = k->h0_r;
    float run[LRB_SCAN_MAXBLK]; /* π_t per channel, data decay */
    for (int64_t t = 0; t < k->rows; t++) {
        float *ht = k->h + t * ld;
        const float *m;
        if (k->a) {
            const float *at = k->a + t * ld;
            int64_t j = 0;
            if (t == 0) {
                memcpy(run, at, (size_t)n * sizeof *run);
            } else {
                for (; j < nv; j += LRB_VW)
                    lrb_vstore(run + j, lrb_vload(run + j) * lrb_vload(at + j));
                for (; j < n; j++)
                    run[j] = run[j] * at[j];
            }
            m = run;
        } else {
            m = k->P_r + (t + 1) * k->P_ld;
        }
        int64_t j = 0;
        for (; j < nv; j += LRB_VW)
            lrb_vstore(ht + j, lrb_vload(m + j) * lrb_vload(H + j) + lrb_vload(ht + j));
        for (; j < n; j++)
            ht[j] = m[j] * H[j] + ht[j];
    }
}

static void fix_cplx(const lrb_scan_blk *k)
{
    const int64_t n = k->n, ld = k->ld, io = k->im_off, nv = n - n % LRB_VW;
    const float *Hr = k->h0_r, *Hi = k->h0_i;
    float run_r[LRB_SCAN_MAXBLK], run_i[LRB_SCAN_MAXBLK];
    for (int64_t t = 0; t < k->rows; t++) {
        float *ht = k->h + t * ld;
        const float *mr, *mi;
        if (k->a) {
            const float *ar = k->a + t * ld, *ai = k->a + t * ld + io;
            int64_t j = 0;
            if (t == 0) {
                memcpy(run_r, ar, (size_t)n * sizeof *run_r);
                memcpy(run_i, ai, (size_t)n * sizeof *run_i);
            } else {
                for (; j < nv; j += LRB_VW) {
                    const lrb_vf pr = lrb_vload(run_r + j), pi = lrb_vload(run_i + j);
                    const lrb_vf cr = lrb_vload(ar + j), ci = lrb_vload(ai + j);
                    lrb_vstore(run_r + j, pr * cr - pi * ci);
                    lrb_vstore(run_i + j, pr * ci + pi * cr);
                }
                for (; j < n; j++) {
                    const float pr = run_r[j], pi = run_i[j], cr = ar[j], ci = ai[j];
                    run_r[j] = pr * cr - pi * ci;
                    run_i[j] = pr * ci + pi * cr;
                }
            }
            mr = run_r;
            mi = run_i;
        } else {
            mr = k->P_r + (t + 1) * k->P_ld;
            mi = k->P_i + (t + 1) * k->P_ld;
        }
        int64_t j = 0;
        for (; j < nv; j += LRB_VW) {
            const lrb_vf pr = lrb_vload(mr + j), pi = lrb_vload(mi + j);
            const lrb_vf hr = lrb_vload(Hr + j), hi = lrb_vload(Hi + j);
            const lrb_vf xr = lrb_vload(ht + j), xi = lrb_vload(ht + io + j);
            lrb_vstore(ht + j, pr * hr - pi * hi + xr);
            lrb_vstore(ht + io + j, pr * hi + pi * hr + xi);
        }
        for (; j < n; j++) {
            const float pr = mr[j], pi = mi[j], hr = Hr[j], hi = Hi[j], xr = ht[j], xi = ht[io + j];
            ht[j] = pr * hr - pi * hi + xr;
            ht[io + j] = pr * hi + pi * hr + xi;
        }
    }
}

/* ------------------------------------------------------------------------------------------------ */
/* logstep                                                                                           */

/* LRB_SHUP(x, f, k): lane i gets x[i − k] for i ≥ k and f[0] below (the shift of a Hillis–Steele step,
 * bringing in the identity: 0 for h, 1 for the decay). __builtin_shufflevector exists in clang and in
 * gcc ≥ 12 and compiles to one permute. */
#define LRB_SI(i, k) ((i) >= (k) ? (i) - (k) : LRB_VW)
#if LRB_VW == 16
#define LRB_SHUP(x, f, k)                                                                                              \
    __builtin_shufflevector(x, f, LRB_SI(0, k), LRB_SI(1, k), LRB_SI(2, k), LRB_SI(3, k), LRB_SI(4, k), LRB_SI(5, k),  \
                            LRB_SI(6, k), LRB_SI(7, k), LRB_SI(8, k), LRB_SI(9, k), LRB_SI(10, k), LRB_SI(11, k),      \
                            LRB_SI(12, k), LRB_SI(13, k), LRB_SI(14, k), LRB_SI(15, k))
#elif LRB_VW == 8
#define LRB_SHUP(x, f, k)                                                                                              \
    __builtin_shufflevector(x, f, LRB_SI(0, k), LRB_SI(1, k), LRB_SI(2, k), LRB_SI(3, k), LRB_SI(4, k), LRB_SI(5, k),  \
                            LRB_SI(6, k), LRB_SI(7, k))
#else
#define LRB_SHUP(x, f, k) __builtin_shufflevector(x, f, LRB_SI(0, k), LRB_SI(1, k), LRB_SI(2, k), LRB_SI(3, k))
#endif

/* One step of distance K on the vector x (and the decay A when data-dependent). */
#define LRB_LOGSTEP_DATA(K)                                                                                            \
    do {                                                                                                               \
        x = x + A * LRB_SHUP(x, zero, K);                                                                              \
        A = A * LRB_SHUP(A, one, K);                                                                                   \
    } while (0)
#define LRB_LOGSTEP_CONST(K) (x = x + PK[K] * LRB_SHUP(x, zero, K))

static void logstep_contig(const lrb_scan_blk *k)
{
    const float *b = k->b, *a = k->a;
    float *h = k->h;
    const int64_t L = k->rows;
    const lrb_vf zero = lrb_vset1(0.0f), one = lrb_vset1(1.0f);
    lrb_vf PK[LRB_VW] = {0}; /* PK[s] = broadcast λ^s for the step distances s */
    lrb_vf powv = one;       /* lane i: λ^{i+1}, the decay from the carry to lane i */
    if (!a) {
        float tmp[LRB_VW];
        for (int i = 0; i < LRB_VW; i++)
            tmp[i] = k->P_r[(i + 1) * k->P_ld];
        powv = lrb_vload(tmp);
        for (int s = 1; s < LRB_VW; s *= 2)
            PK[s] = lrb_vset1(k->P_r[s * k->P_ld]);
    }
    float c = k->h0_r ? k->h0_r[0] : 0.0f;
    for (int64_t t0 = 0; t0 < L; t0 += LRB_VW) {
        const int64_t r = L - t0 < LRB_VW ? L - t0 : LRB_VW;
        lrb_vf x = ldv(b + t0, r, 0.0f), A;
        if (a) {
            A = ldv(a + t0, r, 1.0f);
            LRB_LOGSTEP_DATA(1);
            LRB_LOGSTEP_DATA(2);
#if LRB_VW > 4
            LRB_LOGSTEP_DATA(4);
#endif
#if LRB_VW > 8
            LRB_LOGSTEP_DATA(8);
#endif
        } else {
            A = powv;
            LRB_LOGSTEP_CONST(1);
            LRB_LOGSTEP_CONST(2);
#if LRB_VW > 4
            LRB_LOGSTEP_CONST(4);
#endif
#if LRB_VW > 8
            LRB_LOGSTEP_CONST(8);
#endif
        }
        const lrb_vf y = x + A * lrb_vset1(c);
        stv(h + t0, y, r);
        /* the next carry is y[r − 1]; computed in scalar from x and A (the same multiply and add) so the
         * loop-carried chain is one scalar multiply-add, not a broadcast and a lane extraction */
        c = x[r - 1] + A[r - 1] * c;
    }
}

/* One tile of nr rows: the Hillis–Steele steps, then the carry C. Inlined with constant nr and data for
 * full tiles so that the compiler unrolls the steps and keeps the tile in registers. */
static inline __attribute__((always_inline)) lrb_vf logstep_tile_real(lrb_vf *X, lrb_vf *A, const lrb_vf *PW, int nr,
                                                                      int data, lrb_vf C)
{
    /* descending i: X[i − s] (and A[i − s]) still hold the values before this step */
    for (int s = 1; s < nr; s *= 2)
        for (int i = nr - 1; i >= s; i--) {
            if (data) {
                X[i] = X[i] + A[i] * X[i - s];
                A[i] = A[i] * A[i - s];
            } else {
                X[i] = X[i] + PW[s] * X[i - s];
            }
        }
    for (int i = 0; i < nr; i++)
        X[i] = X[i] + (data ? A[i] : PW[i + 1]) * C;
    return X[nr - 1];
}

static void logstep_real(const lrb_scan_blk *k)
{
    const int64_t n = k->n, ld = k->ld, L = k->rows;
    const float *a = k->a;
    lrb_vf X[LRB_VW], A[LRB_VW], PW[LRB_VW + 1];
    if (!a)
        for (int p = 0; p <= LRB_VW; p++)
            PW[p] = ldv(k->P_r + p * k->P_ld, n, 1.0f);
    lrb_vf C = k->h0_r ? ldv(k->h0_r, n, 0.0f) : lrb_vset1(0.0f);
    for (int64_t t0 = 0; t0 < L; t0 += LRB_VW) {
        const int nr = L - t0 < LRB_VW ? (int)(L - t0) : LRB_VW;
        for (int i = 0; i < nr; i++) {
            X[i] = ldv(k->b + (t0 + i) * ld, n, 0.0f);
            if (a)
                A[i] = ldv(a + (t0 + i) * ld, n, 1.0f);
        }
        if (nr == LRB_VW)
            C = a ? logstep_tile_real(X, A, PW, LRB_VW, 1, C) : logstep_tile_real(X, A, PW, LRB_VW, 0, C);
        else
            C = logstep_tile_real(X, A, PW, nr, a != NULL, C);
        for (int i = 0; i < nr; i++)
            stv(k->h + (t0 + i) * ld, X[i], n);
    }
}

static void logstep_cplx(const lrb_scan_blk *k)
{
    const int64_t n = k->n, ld = k->ld, io = k->im_off, L = k->rows;
    const float *a = k->a;
    lrb_vf Xr[LRB_VW], Xi[LRB_VW], Ar[LRB_VW], Ai[LRB_VW], PWr[LRB_VW + 1], PWi[LRB_VW + 1];
    if (!a)
        for (int p = 0; p <= LRB_VW; p++) {
            PWr[p] = ldv(k->P_r + p * k->P_ld, n, 1.0f);
            PWi[p] = ldv(k->P_i + p * k->P_ld, n, 0.0f);
        }
    lrb_vf Cr = k->h0_r ? ldv(k->h0_r, n, 0.0f) : lrb_vset1(0.0f);
    lrb_vf Ci = k->h0_i ? ldv(k->h0_i, n, 0.0f) : lrb_vset1(0.0f);
    for (int64_t t0 = 0; t0 < L; t0 += LRB_VW) {
        const int nr = L - t0 < LRB_VW ? (int)(L - t0) : LRB_VW;
        for (int i = 0; i < nr; i++) {
            const int64_t o = (t0 + i) * ld;
            Xr[i] = ldv(k->b + o, n, 0.0f);
            Xi[i] = ldv(k->b + o + io, n, 0.0f);
            if (a) {
                Ar[i] = ldv(a + o, n, 1.0f);
                Ai[i] = ldv(a + o + io, n, 0.0f);
            }
        }
        for (int s = 1; s < nr; s *= 2)
            for (int i = nr - 1; i >= s; i--) {
                const lrb_vf cr = a ? Ar[i] : PWr[s], ci = a ? Ai[i] : PWi[s];
                const lrb_vf sr = Xr[i - s], si = Xi[i - s];
                Xr[i] = Xr[i] + (cr * sr - ci * si);
                Xi[i] = Xi[i] + (cr * si + ci * sr);
                if (a) {
                    const lrb_vf qr = Ar[i - s], qi = Ai[i - s];
                    Ar[i] = cr * qr - ci * qi;
                    Ai[i] = cr * qi + ci * qr;
                }
            }
        for (int i = 0; i < nr; i++) {
            const lrb_vf cr = a ? Ar[i] : PWr[i + 1], ci = a ? Ai[i] : PWi[i + 1];
            Xr[i] = Xr[i] + (cr * Cr - ci * Ci);
            Xi[i] = Xi[i] + (cr * Ci + ci * Cr);
            const int64_t o = (t0 + i) * ld;
            stv(k->h + o, Xr[i], n);
            stv(k->h + o + io, Xi[i], n);
        }
        Cr = Xr[nr - 1];
        Ci = Xi[nr - 1];
    }
}

/* ------------------------------------------------------------------------------------------------ */
/* Upper/Lower on tiles of k->tile rows                                                               */

static void ul_real(const lrb_scan_blk *k)
{
    const int64_t n = k->n, ld = k->ld, L = k->rows, T = k->tile, nv = n - n % LRB_VW;
    const float *a = k->a;
    float *W = k->work; /* W[j·n + c]: block-local decay product of tile row j (data decay) */
    for (int64_t t0 = 0; t0 < L; t0 += T) {
        const int64_t Tl = L - t0 < T ? L - t0 : T;
        float *x = k->h + t0 * ld;
        const float *bx = k->b + t0 * ld, *ax = a ? a + t0 * ld : NULL;
        for (int64_t j = 0; j < Tl; j++) {
            if (x != bx)
                memcpy(x + j * ld, bx + j * ld, (size_t)n * sizeof *x);
            if (ax)
                memcpy(W + j * n, ax + j * ld, (size_t)n * sizeof *W);
        }
        /* the carry (the previous tile's last row, final by now, or h0) enters like the reference's h0 */
        const float *cv = t0 > 0 ? x - ld : k->h0_r;
        if (cv) {
            const float *m = ax ? ax : k->P_r + k->P_ld;
            int64_t c = 0;
            for (; c < nv; c += LRB_VW)
                lrb_vstore(x + c, lrb_vload(m + c) * lrb_vload(cv + c) + lrb_vload(x + c));
            for (; c < n; c++)
                x[c] = m[c] * cv[c] + x[c];
        }
        for (int64_t hs = 1; hs < Tl; hs *= 2) {
            const int last_level = 2 * hs >= Tl;
            for (int64_t s0 = 0; s0 + hs < Tl; s0 += 2 * hs) {
                const int64_t piv = s0 + hs - 1, end = s0 + 2 * hs < Tl ? s0 + 2 * hs : Tl;
                const float *hp = x + piv * ld, *Ap = ax ? W + piv * n : NULL;
                for (int64_t j = piv + 1; j < end; j++) {
                    float *xj = x + j * ld;
                    float *Aj = ax ? W + j * n : NULL;
                    const float *m = ax ? Aj : k->P_r + (j - piv) * k->P_ld;
                    int64_t c = 0;
                    for (; c < nv; c += LRB_VW) {
                        const lrb_vf mj = lrb_vload(m + c);
                        lrb_vstore(xj + c, mj * lrb_vload(hp + c) + lrb_vload(xj + c));
                        if (ax && !last_level)
                            lrb_vstore(Aj + c, mj * lrb_vload(Ap + c));
                    }
                    for (; c < n; c++) {
                        const float mj = m[c];
                        xj[c] = mj * hp[c] + xj[c];
                        if (ax && !last_level)
                            Aj[c] = mj * Ap[c];
                    }
                }
            }
        }
    }
}

static void ul_cplx(const lrb_scan_blk *k)
{
    const int64_t n = k->n, ld = k->ld, io = k->im_off, L = k->rows, T = k->tile, nv = n - n % LRB_VW;
    const float *a = k->a;
    float *Wr = k->work, *Wi = a ? k->work + T * n : NULL;
    for (int64_t t0 = 0; t0 < L; t0 += T) {
        const int64_t Tl = L - t0 < T ? L - t0 : T;
        float *x = k->h + t0 * ld;
        const float *bx = k->b + t0 * ld, *ax = a ? a + t0 * ld : NULL;
        for (int64_t j = 0; j < Tl; j++) {
            if (x != bx) {
                memcpy(x + j * ld, bx + j * ld, (size_t)n * sizeof *x);
                memcpy(x + j * ld + io, bx + j * ld + io, (size_t)n * sizeof *x);
            }
            if (ax) {
                memcpy(Wr + j * n, ax + j * ld, (size_t)n * sizeof *Wr);
                memcpy(Wi + j * n, ax + j * ld + io, (size_t)n * sizeof *Wi);
            }
        }
        const float *cvr = t0 > 0 ? x - ld : k->h0_r, *cvi = t0 > 0 ? x - ld + io : k->h0_i;
        if (cvr) {
            const float *mr = ax ? ax : k->P_r + k->P_ld, *mi = ax ? ax + io : k->P_i + k->P_ld;
            int64_t c = 0;
            for (; c < nv; c += LRB_VW) {
                const lrb_vf cr = lrb_vload(mr + c), ci = lrb_vload(mi + c);
                const lrb_vf hr = lrb_vload(cvr + c), hi = lrb_vload(cvi + c);
                const lrb_vf xr = lrb_vload(x + c), xi = lrb_vload(x + io + c);
                lrb_vstore(x + c, cr * hr - ci * hi + xr);
                lrb_vstore(x + io + c, cr * hi + ci * hr + xi);
            }
            for (; c < n; c++) {
                const float cr = mr[c], ci = mi[c], hr = cvr[c], hi = cvi[c], xr = x[c], xi = x[io + c];
                x[c] = cr * hr - ci * hi + xr;
                x[io + c] = cr * hi + ci * hr + xi;
            }
        }
        for (int64_t hs = 1; hs < Tl; hs *= 2) {
            const int last_level = 2 * hs >= Tl;
            for (int64_t s0 = 0; s0 + hs < Tl; s0 += 2 * hs) {
                const int64_t piv = s0 + hs - 1, end = s0 + 2 * hs < Tl ? s0 + 2 * hs : Tl;
                const float *hpr = x + piv * ld, *hpi = x + piv * ld + io;
                const float *Apr = ax ? Wr + piv * n : NULL, *Api = ax ? Wi + piv * n : NULL;
                for (int64_t j = piv + 1; j < end; j++) {
                    float *xr = x + j * ld, *xi = x + j * ld + io;
                    float *Ajr = ax ? Wr + j * n : NULL, *Aji = ax ? Wi + j * n : NULL;
                    const float *mr = ax ? Ajr : k->P_r + (j - piv) * k->P_ld;
                    const float *mi = ax ? Aji : k->P_i + (j - piv) * k->P_ld;
                    int64_t c = 0;
                    for (; c < nv; c += LRB_VW) {
                        const lrb_vf cr = lrb_vload(mr + c), ci = lrb_vload(mi + c);
                        const lrb_vf pr = lrb_vload(hpr + c), pi = lrb_vload(hpi + c);
                        lrb_vstore(xr + c, cr * pr - ci * pi + lrb_vload(xr + c));
                        lrb_vstore(xi + c, cr * pi + ci * pr + lrb_vload(xi + c));
                        if (ax && !last_level) {
                            const lrb_vf qr = lrb_vload(Apr + c), qi = lrb_vload(Api + c);
                            lrb_vstore(Ajr + c, cr * qr - ci * qi);
                            lrb_vstore(Aji + c, cr * qi + ci * qr);
                        }
                    }
                    for (; c < n; c++) {
                        const float cr = mr[c], ci = mi[c], pr = hpr[c], pi = hpi[c];
                        xr[c] = cr * pr - ci * pi + xr[c];
                        xi[c] = cr * pi + ci * pr + xi[c];
                        if (ax && !last_level) {
                            const float qr = Apr[c], qi = Api[c];
                            Ajr[c] = cr * qr - ci * qi;
                            Aji[c] = cr * qi + ci * qr;
                        }
                    }
                }
            }
        }
    }
}

const lrb_scan_kern LRB_KNAME(scan_kern) = {
    .vw = LRB_VW,
    .seq_real = seq_real,
    .seq_cplx = seq_cplx,
    .fix_real = fix_real,
    .fix_cplx = fix_cplx,
    .logstep_contig = logstep_contig,
    .logstep_real = logstep_real,
    .logstep_cplx = logstep_cplx,
    .ul_real = ul_real,
    .ul_cplx = ul_cplx,
};
