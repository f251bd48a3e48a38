/*
 * gemm_isa.c — per-ISA template (compiled once per ISA, see CMakeLists.txt) of the sgemm micro-kernel and
 * of the vector parts of LayerNorm and the RWKV-4 token shift; the table it exports is described in
 * gemm_kern.h, the drivers are gemm.c and dense.c.
 *
 * The micro-kernel keeps an MR×NR tile of y in MR·NV vector accumulators (NV = NR / LRB_VW) and, for each
 * k, multiplies one broadcast value of x by NV vectors of W and adds the products into the tile. The
 * multiply and the add are separate instructions (no FMA: the reference does not fuse, and the project
 * builds with -ffp-contract=off), so the tile needs more accumulators in flight than an FMA kernel
 * would: on Zen 5 the multiplies go to the two FMA/MUL pipes and the adds to the two FADD pipes, so
 * separate mul + add sustain the same MAC rate as FMA as long as enough independent products are
 * ready, and 24 accumulators with 2 multiplies and 2 adds per cycle leave every accumulator 12 cycles
 * per add, far above the 2-cycle add latency.
 */
#include "simd.h"

#include "gemm_kern.h"

#include <stddef.h>
#include <stdint.h>

#if defined(LRB_ISA_avx512)
#include <immintrin.h>
#endif

/* Micro-tile shapes: MR rows × NV vectors. AVX-512 has 32 registers: 24 accumulators, 4 vectors of W,
 * the broadcast and a product temporary. 6×4 needs the fewest loads and broadcasts per multiply of the
 * 24-accumulator shapes (10 per 24, against 14 for 12×2), and measured fastest on Zen 5 (about 208
 * GFLOP/s from L1 against 194 for 12×2). AVX2 and the portable (SSE) path have 16 registers: 12
 * accumulators. */
#if defined(LRB_ISA_avx512)
#ifndef LRB_GEMM_MR
#define LRB_GEMM_MR 6
#endif
#ifndef LRB_GEMM_NV
#define LRB_GEMM_NV 4
#endif
#else
#ifndef LRB_GEMM_MR
#define LRB_GEMM_MR 6
#endif
#ifndef LRB_GEMM_NV
#define LRB_GEMM_NV 2
#endif
#endif

#define MR LRB_GEMM_MR
#define NV LRB_GEMM_NV
#define NR (NV * LRB_VW)

/* The fixed-trip loops over the tile are unrolled so the accumulators live in registers. */
#if defined(__clang__)
#define LRB_UNROLL _Pragma("unroll")
#else
#define LRB_UNROLL _Pragma("GCC unroll 32")
#endif

/* A broadcast that keeps −0.0f (simd.h's lrb_vset1 adds the value to +0.0f, which turns −0.0f into +0.0f);
 * adding −0.0f is the identity for every float, and the compiler folds it into a plain broadcast. */
static inline lrb_vf bcast(float x)
{
    return -(lrb_vf){0} + x;
}

static void micro(int64_t kc, const float *restrict a, const float *restrict b, float *restrict c, int64_t ldc,
                  int first, const float *restrict bias)
{
    lrb_vf acc[MR][NV];
    if (first) {
        /* 0.0f, not the first product: 0.0f + (−0.0f) is +0.0f in the reference too */
        LRB_UNROLL for (int i = 0; i < MR; i++) LRB_UNROLL for (int v = 0; v < NV; v++) acc[i][v] = (lrb_vf){0};
    } else {
        LRB_UNROLL for (int i = 0; i < MR; i++) LRB_UNROLL for (int v = 0; v < NV; v++) acc[i][v] =
            lrb_vload(c + i * ldc + v * LRB_VW);
    }
    for (int64_t k = 0; k < kc; k++) {
        lrb_vf bv[NV];
        LRB_UNROLL for (int v = 0; v < NV; v++) bv[v] = lrb_vload(b + v * LRB_VW);
        LRB_UNROLL for (int i = 0; i < MR; i++)
        {
            const lrb_vf av = bcast(a[i]);
            LRB_UNROLL for (int v = 0; v < NV; v++) acc[i][v] = acc[i][v] + av * bv[v];
        }
        a += MR;
        b += NR;
    }
    if (bias) {
        /* bias last, after the whole sum, as in the reference */
        lrb_vf bb[NV];
        LRB_UNROLL for (int v = 0; v < NV; v++) bb[v] = lrb_vload(bias + v * LRB_VW);
        LRB_UNROLL for (int i = 0; i < MR; i++) LRB_UNROLL for (int v = 0; v < NV; v++) acc[i][v] = acc[i][v] + bb[v];
    }
    LRB_UNROLL for (int i = 0; i < MR; i++) LRB_UNROLL for (int v = 0; v < NV; v++)
        lrb_vstore(c + i * ldc + v * LRB_VW, acc[i][v]);
}

/* One MR-row panel of x: dst[k·MR + i] = x[i·ldx + k] for i < nrow, 0.0f for nrow ≤ i < MR. A transpose;
 * it runs once per MC×KC block and is amortised over all the columns of y, but x arrives from L3 or
 * DRAM, so it has to be cheap per element. */
static void pack_a_scalar(const float *x, int64_t ldx, int64_t nrow, int64_t k0, int64_t kc, float *dst)
{
    for (int64_t i = 0; i < MR; i++)
        for (int64_t k = k0; k < kc; k++)
            dst[k * MR + i] = i < nrow ? x[i * ldx + k] : 0.0f;
}

#if defined(LRB_ISA_avx512) && MR == 6
/* AVX-512, 6 rows: 16 k at a time, 6 row vectors in, 6 vectors of the k-major stream out. First the row
 * pairs (0,1), (2,3), (4,5) are interleaved, which makes 64-bit units (x[2p][k], x[2p+1][k]); the
 * output is then the units in the order (k, pair), and each output vector of 8 units draws on the
 * three pair vectors of its half of the k range: two two-source permutes. */
static void pack_a(const float *x, int64_t ldx, int64_t nrow, int64_t kc, float *dst)
{
    int32_t ilo[16], ihi[16];
    for (int l = 0; l < 8; l++) {
        ilo[2 * l] = l, ilo[2 * l + 1] = 16 + l;
        ihi[2 * l] = 8 + l, ihi[2 * l + 1] = 24 + l;
    }
    int64_t i1[3][8], i2[3][8];
    for (int o = 0; o < 3; o++)
        for (int p = 0; p < 8; p++) {
            const int u = 8 * o + p, k = u / 3, src = u % 3;
            i1[o][p] = src == 0 ? k : src == 1 ? 8 + k : 0;
            i2[o][p] = src == 2 ? 8 + k : p;
        }
    const __m512i vlo = _mm512_loadu_si512(ilo), vhi = _mm512_loadu_si512(ihi);
    __m512i v1[3], v2[3];
    for (int o = 0; o < 3; o++) {
        v1[o] = _mm512_loadu_si512(i1[o]);
        v2[o] = _mm512_loadu_si512(i2[o]);
    }
    int64_t k = 0;
    for (; k + 16 <= kc; k += 16) {
        __m512 r[6];
        for (int i = 0; i < 6; i++)
            r[i] = i < nrow ? _mm512_loadu_ps(x + i * ldx + k) : _mm512_setzero_ps();
        __m512d lo[3], hi[3];
        for (int p = 0; p < 3; p++) {
            lo[p] = _mm512_castps_pd(_mm512_permutex2var_ps(r[2 * p], vlo, r[2 * p + 1]));
            hi[p] = _mm512_castps_pd(_mm512_permutex2var_ps(r[2 * p], vhi, r[2 * p + 1]));
        }
        float *d = dst + k * 6;
        for (int o = 0; o < 3; o++) {
            const __m512d a = _mm512_permutex2var_pd(_mm512_permutex2var_pd(lo[0], v1[o], lo[1]), v2[o], lo[2]);
            const __m512d b = _mm512_permutex2var_pd(_mm512_permutex2var_pd(hi[0], v1[o], hi[1]), v2[o], hi[2]);
            _mm512_storeu_ps(d + 16 * o, _mm512_castpd_ps(a));
            _mm512_storeu_ps(d + 48 + 16 * o, _mm512_castpd_ps(b));
        }
    }
    pack_a_scalar(x, ldx, nrow, k, kc, dst);
}
#else
static void pack_a(const float *x, int64_t ldx, int64_t nrow, int64_t kc, float *dst)
{
    pack_a_scalar(x, ldx, nrow, 0, kc, dst);
}
#endif

/* LayerNorm statistics of LRB_VW interleaved rows: the same sequential sums as the reference, one row
 * per lane, so each lane's order over c is the reference's order for its row. */
static void ln_stats(const float *t, int64_t C, float *mean, float *sd, float *ss)
{
    lrb_vf s = (lrb_vf){0};
    for (int64_t c = 0; c < C; c++)
        s = s + lrb_vload(t + c * LRB_VW);
    const lrb_vf m = s / bcast((float)C);
    lrb_vf d1 = (lrb_vf){0}, d2 = (lrb_vf){0};
    for (int64_t c = 0; c < C; c++) {
        const lrb_vf d = lrb_vload(t + c * LRB_VW) - m;
        d1 = d1 + d;
        d2 = d2 + d * d;
    }
    lrb_vstore(mean, m);
    lrb_vstore(sd, d1);
    lrb_vstore(ss, d2);
}

/* LayerNorm output of one row: elementwise once the row's statistics are known, so vectors run along c. */
static void ln_apply(const float *x, int64_t C, float mean, float corr, float rstd, const float *weight,
                     const float *bias, float *y)
{
    const lrb_vf vm = bcast(mean), vc = bcast(corr), vr = bcast(rstd);
    int64_t c = 0;
    /* scalar head up to a vector-aligned y (the same expression, so the same bits): every vector store
     * then stays within one cache line */
    for (; c < C && ((uintptr_t)(y + c) % sizeof(lrb_vf)) != 0; c++) {
        float v = ((x[c] - mean) - corr) * rstd;
        if (weight)
            v = v * weight[c];
        if (bias)
            v = v + bias[c];
        y[c] = v;
    }
    for (; c + LRB_VW <= C; c += LRB_VW) {
        lrb_vf v = ((lrb_vload(x + c) - vm) - vc) * vr;
        if (weight)
            v = v * lrb_vload(weight + c);
        if (bias)
            v = v + lrb_vload(bias + c);
        lrb_vstore(y + c, v);
    }
    for (; c < C; c++) {
        float v = ((x[c] - mean) - corr) * rstd;
        if (weight)
            v = v * weight[c];
        if (bias)
            v = v + bias[c];
        y[c] = v;
    }
}

static void shift_row(const float *x, const float *xp, const float *mu, int64_t C, float *out)
{
    const lrb_vf one = bcast(1.0f);
    int64_t c = 0;
    /* the missing previous token is the value 0.0f, multiplied like any other (the product's sign
     * matters when x·mu is −0); a scalar head aligns the vector stores of out */
    for (; c < C && ((uintptr_t)(out + c) % sizeof(lrb_vf)) != 0; c++) {
        const float p = xp ? xp[c] : 0.0f;
        out[c] = x[c] * mu[c] + p * (1.0f - mu[c]);
    }
    for (; c + LRB_VW <= C; c += LRB_VW) {
        const lrb_vf m = lrb_vload(mu + c);
        const lrb_vf p = xp ? lrb_vload(xp + c) : (lrb_vf){0};
        lrb_vstore(out + c, lrb_vload(x + c) * m + p * (one - m));
    }
    for (; c < C; c++) {
        const float p = xp ? xp[c] : 0.0f;
        out[c] = x[c] * mu[c] + p * (1.0f - mu[c]);
    }
}

const lrb_gemm_kern LRB_KNAME(gemm_kern) = {
    .mr = MR,
    .nr = NR,
    .vw = LRB_VW,
    .micro = micro,
    .pack_a = pack_a,
    .ln_stats = ln_stats,
    .ln_apply = ln_apply,
    .shift_row = shift_row,
};
