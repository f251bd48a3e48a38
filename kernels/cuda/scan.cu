/*
 * scan.cu — the CUDA scans of h_t = m_t ⊙ h_{t−1} + b_t (lrb_cuda.h): real or complex (planar),
 * constant decay (m_t = λ_d, formed in double from ν_d, θ_d) or data decay (m_t = a_t), initial state in,
 * final state out, any L ≥ 1 and any B·D. Three algorithms:
 *
 *  seq      One thread per chain (b, d), walking t. The threads of a warp hold consecutive channels, so
 *           each time step is one coalesced load per warp; SEQ_U steps are loaded into registers before
 *           any is used, so that SEQ_U loads per thread are in flight (the chain itself is serial).
 *  ul       The Upper/Lower algorithm of the seed (LAYERS.md §4.2) on tiles of UL_ELEMS elements in
 *           shared memory: T time steps × CW channels (CW = 32, or the next power of two ≥ D for narrow
 *           scans, T = UL_ELEMS / CW), log2 T levels in which every element of an upper half absorbs the
 *           last element of its lower half. One block walks the tiles of its channel group along L and
 *           carries the last state from tile to tile.
 *  chunked  One pass with a decoupled look-back carry. A block scans a tile of CH_ITEMS·S steps × CW
 *           channels: each thread (segment s, channel c) scans CH_ITEMS consecutive steps of one channel
 *           in registers and summarises them as an affine map h ↦ A·h + B; a Hillis–Steele scan over the
 *           segments in shared memory gives each segment's exclusive map and the tile's aggregate. Tiles
 *           take their index from an atomic counter (time-major), publish their aggregate, and walk back
 *           over their predecessors until one has published its inclusive prefix (the state after it);
 *           the carry is that prefix stepped forward through the aggregates of the tiles in between, and
 *           they then publish their own prefix. Every prefix is thus the same chain of affine steps
 *           whatever the walk finds, so results are identical run to run (deterministic). Finally every
 *           thread rescans its steps sequentially from the carried state, so within a segment the
 *           arithmetic is the plain recurrence. Many chains and few long chains alike fill the GPU, since
 *           tiles split L too. lookback.cuh holds the protocol and the tile geometry (shared with wkv4.cu).
 *
 * Affine maps compose as (earlier ∘ later) = (A_l·A_e, A_l·B_e + B_l); the identity is (1, 0), which also
 * pads steps past L and channels past D. A step m·h + b is one FMA per real part (two for complex);
 * these kernels are judged against the float64 oracle within LAYERS.md's tolerances, not bit for bit
 * against the CPU.
 */
#include "lrb_cuda.h"
#include "launch.cuh"
#include "lookback.cuh"

#include <cuda_runtime.h>
#include <stdint.h>

namespace
{

using namespace lrb_lookback;

struct cval {
    float r, i;
};

/* An affine map h ↦ A·h + B. */
struct amap {
    cval A, B;
};

/* The arithmetic is spelled out with fmaf and __fmul_rn, so that no call site is contracted differently
 * from another: the look-back of `chunked` relies on two sites giving the same bits. */
template <bool CPLX> __device__ __forceinline__ cval vmul(cval x, cval y)
{
    if constexpr (CPLX)
        return {fmaf(x.r, y.r, -__fmul_rn(x.i, y.i)), fmaf(x.r, y.i, __fmul_rn(x.i, y.r))};
    else
        return {__fmul_rn(x.r, y.r), 0.0f};
}

/* m·h + b */
template <bool CPLX> __device__ __forceinline__ cval affine(cval m, cval h, cval b)
{
    if constexpr (CPLX)
        return {fmaf(m.r, h.r, fmaf(-m.i, h.i, b.r)), fmaf(m.r, h.i, fmaf(m.i, h.r, b.i))};
    else
        return {fmaf(m.r, h.r, b.r), 0.0f};
}

/* e first, then l */
template <bool CPLX> __device__ __forceinline__ amap compose(amap e, amap l)
{
    return {vmul<CPLX>(l.A, e.A), affine<CPLX>(l.A, e.B, l.B)};
}

__device__ __forceinline__ amap identity_map()
{
    return {{1.0f, 0.0f}, {0.0f, 0.0f}};
}

template <bool CPLX> __device__ __forceinline__ cval load(const float *p, int64_t idx, int64_t im_off)
{
    cval v;
    v.r = p[idx];
    v.i = CPLX ? p[idx + im_off] : 0.0f;
    return v;
}

template <bool CPLX> __device__ __forceinline__ void store(float *p, int64_t idx, int64_t im_off, cval v)
{
    p[idx] = v.r;
    if constexpr (CPLX)
        p[idx + im_off] = v.i;
}

/* λ_d = exp(−ν_d)·(cos θ_d + i·sin θ_d), in double, rounded once */
template <bool CPLX> __device__ __forceinline__ cval decay_const(const lrb_cuda_scan &s, int64_t d)
{
    const double e = exp(-(double)s.nu[d]);
    if constexpr (CPLX) {
        double sn, cs;
        sincos((double)s.theta[d], &sn, &cs);
        return {(float)(e * cs), (float)(e * sn)};
    } else {
        return {(float)e, 0.0f};
    }
}

/* the state of chain (bi, d): (B, D) real, (B, 2D) planar complex */
template <bool CPLX> __device__ __forceinline__ int64_t state_idx(const lrb_cuda_scan &s, int64_t bi, int64_t d)
{
    return bi * (CPLX ? 2 * s.D : s.D) + d;
}

template <bool CPLX> __device__ __forceinline__ cval initial_state(const lrb_cuda_scan &s, int64_t bi, int64_t d)
{
    return s.h0 ? load<CPLX>(s.h0, state_idx<CPLX>(s, bi, d), s.D) : cval{0.0f, 0.0f};
}

/* ---- seq ------------------------------------------------------------------------------------------------ */

constexpr int SEQ_NT = 256;
constexpr int SEQ_U = 8;

template <bool CPLX, bool DATA> __global__ void __launch_bounds__(SEQ_NT) seq_kernel(lrb_cuda_scan s)
{
    const int64_t c = (int64_t)blockIdx.x * SEQ_NT + threadIdx.x;
    if (c >= s.B * s.D)
        return;
    const int64_t bi = c / s.D, d = c - bi * s.D;
    cval lam = {1.0f, 0.0f};
    if constexpr (!DATA)
        lam = decay_const<CPLX>(s, d);
    cval h = initial_state<CPLX>(s, bi, d);
    int64_t idx = bi * s.L * s.ld + d;
    int64_t t = 0;
    for (; t + SEQ_U <= s.L; t += SEQ_U, idx += SEQ_U * s.ld) {
        cval bv[SEQ_U], mv[SEQ_U];
#pragma unroll
        for (int u = 0; u < SEQ_U; u++) {
            bv[u] = load<CPLX>(s.b, idx + u * s.ld, s.im_off);
            if constexpr (DATA)
                mv[u] = load<CPLX>(s.a, idx + u * s.ld, s.im_off);
            else
                mv[u] = lam;
        }
#pragma unroll
        for (int u = 0; u < SEQ_U; u++) {
            h = affine<CPLX>(mv[u], h, bv[u]);
            store<CPLX>(s.h, idx + u * s.ld, s.im_off, h);
        }
    }
    for (; t < s.L; t++, idx += s.ld) {
        const cval m = DATA ? load<CPLX>(s.a, idx, s.im_off) : lam;
        h = affine<CPLX>(m, h, load<CPLX>(s.b, idx, s.im_off));
        store<CPLX>(s.h, idx, s.im_off, h);
    }
    if (s.h_last)
        store<CPLX>(s.h_last, state_idx<CPLX>(s, bi, d), s.D, h);
}

/* ---- channel groups (ul, chunked) ----------------------------------------------------------------------- */

/* ---- ul ------------------------------------------------------------------------------------------------- */

constexpr int UL_ELEMS = 2048;      /* elements per tile: T·CW */
constexpr int UL_NT = UL_ELEMS / 2; /* one thread per upper-half element */

template <bool CPLX, bool DATA>
__global__ void __launch_bounds__(UL_NT) ul_kernel(lrb_cuda_scan s, int cw, int64_t groups_per_b)
{
    __shared__ amap tile[UL_ELEMS]; /* [row][channel]: row·cw + channel */
    __shared__ cval carry_sh[32];
    const int T = UL_ELEMS / cw, half = T / 2;
    const int tid = threadIdx.x, ch = tid % cw, j = tid / cw; /* j < T/2 */
    const int64_t grp = blockIdx.x, bi = grp / groups_per_b, d = (grp - bi * groups_per_b) * cw + ch;
    const bool live = d < s.D;
    cval lam = {1.0f, 0.0f};
    if constexpr (!DATA)
        if (live)
            lam = decay_const<CPLX>(s, d);
    if (tid < cw)
        carry_sh[ch] = live ? initial_state<CPLX>(s, bi, d) : cval{0.0f, 0.0f};

    for (int64_t t0 = 0; t0 < s.L; t0 += T) {
        for (int r = j; r < T; r += half) {
            const int64_t t = t0 + r, idx = (bi * s.L + t) * s.ld + d;
            amap e = identity_map();
            if (live && t < s.L) {
                e.B = load<CPLX>(s.b, idx, s.im_off);
                if constexpr (DATA)
                    e.A = load<CPLX>(s.a, idx, s.im_off);
                else
                    e.A = lam;
            }
            tile[r * cw + ch] = e;
        }
        __syncthreads();
        /* level with half-block size lv: the element lo (last of a lower half) is never written at this
         * level and each upper-half element has one thread, so reads and writes of a level need no
         * barrier between them, only between levels */
        for (int lv = 1; lv < T; lv *= 2) {
            const int g = j / lv, pos = j - g * lv;
            const int lo = g * 2 * lv + lv - 1, tgt = lo + 1 + pos;
            const amap e = tile[lo * cw + ch], l = tile[tgt * cw + ch];
            tile[tgt * cw + ch] = compose<CPLX>(e, l);
            __syncthreads();
        }
        const cval carry = carry_sh[ch];
        for (int r = j; r < T; r += half) {
            const int64_t t = t0 + r;
            if (live && t < s.L) {
                const amap e = tile[r * cw + ch];
                store<CPLX>(s.h, (bi * s.L + t) * s.ld + d, s.im_off, affine<CPLX>(e.A, carry, e.B));
            }
        }
        __syncthreads(); /* every thread has read carry_sh and the tile */
        if (tid < cw) {
            const amap e = tile[(T - 1) * cw + ch];
            carry_sh[ch] = affine<CPLX>(e.A, carry, e.B);
        }
        __syncthreads();
    }
    if (tid < cw && live && s.h_last)
        store<CPLX>(s.h_last, state_idx<CPLX>(s, bi, d), s.D, carry_sh[ch]);
}

/* ---- chunked -------------------------------------------------------------------------------------------- */

constexpr int CH_NT = 256;
constexpr int CH_ITEMS = 16;

typedef tile_geo chunk_geo;

struct chunk_ws {
    int *counter; /* next tile index */
    int *flags;   /* G·K */
    float *agg;   /* per tile and channel: A, B (2 floats each when complex) */
    float *pre;   /* per tile and channel: the state after the tile */
};

/* L2-coherent accesses for what other blocks read while this kernel runs */
template <bool CPLX> __device__ __forceinline__ void put(float *p, cval v)
{
    __stcg(p, v.r);
    if constexpr (CPLX)
        __stcg(p + 1, v.i);
}

template <bool CPLX> __device__ __forceinline__ cval get(const float *p)
{
    cval v;
    v.r = __ldcg(p);
    v.i = CPLX ? __ldcg(p + 1) : 0.0f;
    return v;
}

template <bool CPLX, bool DATA>
__global__ void __launch_bounds__(CH_NT) chunked_kernel(lrb_cuda_scan s, chunk_geo g, chunk_ws w)
{
    constexpr int NV = CPLX ? 2 : 1; /* floats per value */
    __shared__ amap maps[CH_NT];     /* [segment][channel] = thread index */
    __shared__ cval carry_sh[32];
    __shared__ int64_t tile_sh;
    const int tid = threadIdx.x;
    if (tid == 0)
        tile_sh = atomicAdd(w.counter, 1);
    __syncthreads();
    const int64_t tile = tile_sh, k = tile / g.G, grp = tile - k * g.G;
    const int64_t bi = grp / g.groups_per_b;
    const int ch = tid % g.cw, seg = tid / g.cw;
    const int64_t d = (grp - bi * g.groups_per_b) * g.cw + ch;
    const bool live = d < s.D;
    const int64_t t0 = k * g.tl + (int64_t)seg * CH_ITEMS, idx0 = (bi * s.L + t0) * s.ld + d;

    cval lam = {1.0f, 0.0f};
    if constexpr (!DATA)
        if (live)
            lam = decay_const<CPLX>(s, d);
    cval bv[CH_ITEMS], mv[CH_ITEMS];
#pragma unroll
    for (int i = 0; i < CH_ITEMS; i++) {
        const bool ok = live && t0 + i < s.L;
        bv[i] = ok ? load<CPLX>(s.b, idx0 + i * s.ld, s.im_off) : cval{0.0f, 0.0f};
        if constexpr (DATA)
            mv[i] = ok ? load<CPLX>(s.a, idx0 + i * s.ld, s.im_off) : cval{1.0f, 0.0f};
        else
            mv[i] = ok ? lam : cval{1.0f, 0.0f};
    }
    amap mine = identity_map();
#pragma unroll
    for (int i = 0; i < CH_ITEMS; i++)
        mine = {vmul<CPLX>(mv[i], mine.A), affine<CPLX>(mv[i], mine.B, bv[i])};
    maps[tid] = mine;
    __syncthreads();
    for (int off = 1; off < g.segs; off *= 2) {
        amap cur = maps[tid];
        const bool has = seg >= off;
        amap prev = cur;
        if (has)
            prev = maps[tid - off * g.cw];
        __syncthreads();
        if (has)
            maps[tid] = compose<CPLX>(prev, cur);
        __syncthreads();
    }
    const amap excl = seg > 0 ? maps[tid - g.cw] : identity_map();

    if (tid < g.cw) { /* warp 0: the look-back, one lane per channel */
        const amap tot = maps[(g.segs - 1) * g.cw + ch];
        cval carry;
        if (k == 0) {
            carry = live ? initial_state<CPLX>(s, bi, d) : cval{0.0f, 0.0f};
        } else {
            float *ag = w.agg + (tile * g.cw + ch) * 2 * NV;
            put<CPLX>(ag, tot.A);
            put<CPLX>(ag + NV, tot.B);
            publish(w.flags, tile, ST_AGG, ch, g.cw);
            /* the nearest published prefix, stepped forward through the aggregates in between one affine
             * step each: exactly the steps by which those tiles compute their own prefixes, so the carry
             * is the same bits whichever tile the walk stops at (deterministic whatever the block timing) */
            int64_t j = find_prefix(w.flags, tile, g.G);
            carry = get<CPLX>(w.pre + (j * g.cw + ch) * NV);
            for (j += g.G; j < tile; j += g.G) {
                const float *aj = w.agg + (j * g.cw + ch) * 2 * NV;
                carry = affine<CPLX>(get<CPLX>(aj), carry, get<CPLX>(aj + NV));
            }
        }
        const cval after = affine<CPLX>(tot.A, carry, tot.B);
        put<CPLX>(w.pre + (tile * g.cw + ch) * NV, after);
        publish(w.flags, tile, ST_PREFIX, ch, g.cw);
        if (k == g.K - 1 && live && s.h_last)
            store<CPLX>(s.h_last, state_idx<CPLX>(s, bi, d), s.D, after);
        carry_sh[ch] = carry;
    }
    __syncthreads();

    if (live) {
        cval h = affine<CPLX>(excl.A, carry_sh[ch], excl.B);
#pragma unroll
        for (int i = 0; i < CH_ITEMS; i++)
            if (t0 + i < s.L) {
                h = affine<CPLX>(mv[i], h, bv[i]);
                store<CPLX>(s.h, idx0 + i * s.ld, s.im_off, h);
            }
    }
}

chunk_geo chunk_geometry(const lrb_cuda_scan *s)
{
    return make_geo(s->B, s->L, s->D, CH_NT, CH_ITEMS);
}

/* the look-back workspace: per tile and channel, agg holds A and B (2·NV floats), pre the state (NV) */
ws_layout chunk_ws_layout(const lrb_cuda_scan *s, chunk_geo g)
{
    const size_t nt = (size_t)(g.G * g.K), nv = s->cplx ? 2 : 1;
    return lookback_layout(g.G * g.K, nt * g.cw * 2 * nv * sizeof(float), nt * g.cw * nv * sizeof(float));
}

int args_ok(const lrb_cuda_scan *s)
{
    if (!s || s->B < 1 || s->L < 1 || s->D < 1 || !s->b || !s->h)
        return 0;
    if (s->cplx ? (s->im_off < s->D || s->ld < s->im_off + s->D) : s->ld < s->D)
        return 0;
    return s->a != NULL || (s->nu != NULL && (!s->cplx || s->theta != NULL));
}

template <bool CPLX, bool DATA> int launch(const lrb_cuda_scan *s, lrb_cuda_algo algo, void *work, cudaStream_t st)
{
    switch (algo) {
    case LRB_CUDA_SEQ: {
        const int64_t chains = s->B * s->D, blocks = (chains + SEQ_NT - 1) / SEQ_NT;
        const auto kern = seq_kernel<CPLX, DATA>;
        LRB_LAUNCH(kern, (unsigned)blocks, SEQ_NT, st, *s);
        break;
    }
    case LRB_CUDA_UL: {
        const int cw = group_width(s->D);
        const int64_t gpb = (s->D + cw - 1) / cw;
        const auto kern = ul_kernel<CPLX, DATA>;
        LRB_LAUNCH(kern, (unsigned)(s->B * gpb), UL_NT, st, *s, cw, gpb);
        break;
    }
    case LRB_CUDA_CHUNKED: {
        const chunk_geo g = chunk_geometry(s);
        const ws_layout lo = chunk_ws_layout(s, g);
        char *base = (char *)work;
        const chunk_ws w = {(int *)base, (int *)(base + lo.flags), (float *)(base + lo.agg), (float *)(base + lo.pre)};
        if (LRB_CUDA_CHECK(cudaMemsetAsync(work, 0, lo.reset, st)))
            return LRB_CUDA_EDEVICE;
        const auto kern = chunked_kernel<CPLX, DATA>;
        LRB_LAUNCH(kern, (unsigned)(g.G * g.K), CH_NT, st, *s, g, w);
        break;
    }
    default:
        return LRB_CUDA_EINVAL;
    }
    return LRB_CUDA_CHECK(cudaGetLastError()) ? LRB_CUDA_EDEVICE : LRB_CUDA_OK;
}

} // namespace

extern "C" size_t lrb_cuda_scan_workspace(const lrb_cuda_scan *s, lrb_cuda_algo algo)
{
    if (algo != LRB_CUDA_CHUNKED || !args_ok(s))
        return 0;
    return chunk_ws_layout(s, chunk_geometry(s)).total;
}

extern "C" int lrb_cuda_scan_launch(const lrb_cuda_scan *s, lrb_cuda_algo algo, void *work, cudaStream_t stream)
{
    if (!args_ok(s))
        return LRB_CUDA_EINVAL;
    if (algo == LRB_CUDA_CHUNKED) {
        const chunk_geo g = chunk_geometry(s);
        if (!work || g.G * g.K > 0x7fffffff)
            return LRB_CUDA_EINVAL;
    }
    if (algo == LRB_CUDA_SEQ && (s->B * s->D + SEQ_NT - 1) / SEQ_NT > 0x7fffffff)
        return LRB_CUDA_EINVAL;
    const bool data = s->a != nullptr;
    if (s->cplx)
        return data ? launch<true, true>(s, algo, work, stream) : launch<true, false>(s, algo, work, stream);
    return data ? launch<false, true>(s, algo, work, stream) : launch<false, false>(s, algo, work, stream);
}
