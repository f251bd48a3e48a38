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
 *           carries the last state from tile to tile. The tile holds each map as (A, B), real parts only for
 *           real steps (stored_map): 16 KB for real tiles, 32 KB for complex ones.
 *  chunked  One pass with a decoupled look-back carry. A block scans a tile of CH_ITEMS·S steps × CW
 *           channels: each thread (segment s, channel c) scans CH_ITEMS consecutive steps of one channel
 *           in registers and summarises them as an affine map h ↦ A·h + B; a scan over the segments
 *           (tile_scan: shuffles across the segments within a warp, then the warps' totals through shared
 *           memory) gives each segment's exclusive map and the tile's aggregate. Tiles
 *           take their index from an atomic counter (time-major), publish their aggregate, and walk back
 *           over their predecessors until one has published its inclusive prefix (the state after it);
 *           the carry is that prefix stepped forward through the aggregates of the tiles in between, and
 *           they then publish their own prefix. Every prefix is thus the same chain of affine steps
 *           whatever the walk finds, so results are identical run to run (deterministic). Finally every
 *           thread rescans its steps sequentially from the carried state, so within a segment the
 *           arithmetic is the plain recurrence. Many chains and few long chains alike fill the GPU, since
 *           tiles split L too. lookback.cuh holds the protocol and the tile geometry (shared with wkv4.cu);
 *           the look-back leaves its control words zero, so a launch is this one kernel (no memset).
 *
 * The kernels are written once against an io policy (where steps come from, where states go): scan_io is
 * the plain recurrence of lrb_cuda_scan, glru_io the gated form of glru (lrb_cuda_glru), which forms
 * (f, tanh(x)·σ(i)) from the pre-activations as it loads a step and stores tanh(h)·σ(o), so that glru's
 * gates and output gate cost no memory pass of their own.
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

/* A map as shared memory holds it: the real parts only for real steps (8 bytes, not 16) */
template <bool CPLX> struct stored_map {
    float A, B;
};
template <> struct stored_map<true> {
    amap m;
};

template <bool CPLX> __device__ __forceinline__ stored_map<CPLX> pack(amap m)
{
    if constexpr (CPLX)
        return {m};
    else
        return {m.A.r, m.B.r};
}

template <bool CPLX> __device__ __forceinline__ amap unpack(stored_map<CPLX> s)
{
    if constexpr (CPLX)
        return s.m;
    else
        return {{s.A, 0.0f}, {s.B, 0.0f}};
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

/* ---- where the steps come from and the outputs go ----------------------------------------------------- */

/* The kernels below are written once against an "io" policy: chain (bi, d) of B·D chains of L steps, row
 * r = bi·L + t. io.decay(d) is what a chain's constant decay is (read once per thread), io.step(r, d, λ)
 * gives the step's (m, b), io.emit(r, d, h) consumes the state after it, io.h0 / io.h_last read and
 * write the states. scan_io is the plain recurrence of lrb_cuda_scan; glru_io the gated form of
 * lrb_cuda_glru, whose steps are formed from pre-activations and whose output is tanh(h) ⊙ o, so the
 * gates cost no pass of their own. */

template <bool CPLX, bool DATA> struct scan_io {
    static constexpr bool cplx = CPLX;
    lrb_cuda_scan s;

    /* λ_d = exp(−ν_d)·(cos θ_d + i·sin θ_d), in double, rounded once */
    __device__ __forceinline__ cval decay(int64_t d) const
    {
        if constexpr (DATA) {
            return {1.0f, 0.0f};
        } else {
            const double e = exp(-(double)s.nu[d]);
            if constexpr (CPLX) {
                double sn, cs;
                sincos((double)s.theta[d], &sn, &cs);
                return {(float)(e * cs), (float)(e * sn)};
            } else {
                return {(float)e, 0.0f};
            }
        }
    }
    __device__ __forceinline__ amap step(int64_t r, int64_t d, cval lam) const
    {
        const int64_t idx = r * s.ld + d;
        return {DATA ? load<CPLX>(s.a, idx, s.im_off) : lam, load<CPLX>(s.b, idx, s.im_off)};
    }
    __device__ __forceinline__ void emit(int64_t r, int64_t d, cval h) const
    {
        store<CPLX>(s.h, r * s.ld + d, s.im_off, h);
    }
    /* states: (B, D) real, (B, 2D) planar complex */
    __device__ __forceinline__ cval h0(int64_t bi, int64_t d) const
    {
        return s.h0 ? load<CPLX>(s.h0, bi * (CPLX ? 2 * s.D : s.D) + d, s.D) : cval{0.0f, 0.0f};
    }
    __device__ __forceinline__ void h_last(int64_t bi, int64_t d, cval h) const
    {
        if (s.h_last)
            store<CPLX>(s.h_last, bi * (CPLX ? 2 * s.D : s.D) + d, s.D, h);
    }
};

__device__ __forceinline__ float sigmoid(float z)
{
    return 1.0f / (1.0f + expf(-z));
}

/* glru (LAYERS.md §3.1): b = tanh(x)·σ(z_i); the decay f = 1 − σ(z_i) (tied) or σ(z_f); y = tanh(h)·σ(z_o) */
template <bool TIED> struct glru_io {
    static constexpr bool cplx = false;
    lrb_cuda_glru g;

    __device__ __forceinline__ cval decay(int64_t) const { return {1.0f, 0.0f}; }
    __device__ __forceinline__ amap step(int64_t r, int64_t d, cval) const
    {
        const int64_t idx = r * g.ld + d;
        const float i = sigmoid(g.i[idx]);
        const float f = TIED ? 1.0f - i : sigmoid(g.f[idx]);
        return {{f, 0.0f}, {__fmul_rn(tanhf(g.x[idx]), i), 0.0f}};
    }
    __device__ __forceinline__ void emit(int64_t r, int64_t d, cval h) const
    {
        g.y[r * g.ldy + d] = __fmul_rn(tanhf(h.r), sigmoid(g.o[r * g.ld + d]));
    }
    __device__ __forceinline__ cval h0(int64_t bi, int64_t d) const { return {g.h0 ? g.h0[bi * g.D + d] : 0.0f, 0.0f}; }
    __device__ __forceinline__ void h_last(int64_t bi, int64_t d, cval h) const
    {
        if (g.h_last)
            g.h_last[bi * g.D + d] = h.r;
    }
};

/* the sizes every kernel needs, next to its io */
struct dims {
    int64_t B, L, D;
};

/* ---- seq ------------------------------------------------------------------------------------------------ */

constexpr int SEQ_NT = 256;
constexpr int SEQ_U = 8;

template <class IO> __global__ void __launch_bounds__(SEQ_NT) seq_kernel(IO io, dims n)
{
    constexpr bool C = IO::cplx;
    const int64_t c = (int64_t)blockIdx.x * SEQ_NT + threadIdx.x;
    if (c >= n.B * n.D)
        return;
    const int64_t bi = c / n.D, d = c - bi * n.D, r0 = bi * n.L;
    const cval lam = io.decay(d);
    cval h = io.h0(bi, d);
    int64_t t = 0;
    for (; t + SEQ_U <= n.L; t += SEQ_U) {
        amap e[SEQ_U];
#pragma unroll
        for (int u = 0; u < SEQ_U; u++)
            e[u] = io.step(r0 + t + u, d, lam);
#pragma unroll
        for (int u = 0; u < SEQ_U; u++) {
            h = affine<C>(e[u].A, h, e[u].B);
            io.emit(r0 + t + u, d, h);
        }
    }
    for (; t < n.L; t++) {
        const amap e = io.step(r0 + t, d, lam);
        h = affine<C>(e.A, h, e.B);
        io.emit(r0 + t, d, h);
    }
    io.h_last(bi, d, h);
}

/* ---- ul ------------------------------------------------------------------------------------------------- */

constexpr int UL_ELEMS = 2048;      /* elements per tile: T·CW */
constexpr int UL_NT = UL_ELEMS / 2; /* one thread per upper-half element */

template <class IO> __global__ void __launch_bounds__(UL_NT) ul_kernel(IO io, dims n, int cw, int64_t groups_per_b)
{
    constexpr bool C = IO::cplx;
    LRB_SHARED(stored_map<C>, tile, [UL_ELEMS]); /* [row][channel]: row·cw + channel */
    LRB_SHARED(cval, carry_sh, [32]);
    const int T = UL_ELEMS / cw, half = T / 2;
    const int tid = threadIdx.x, ch = tid % cw, j = tid / cw; /* j < T/2 */
    const int64_t grp = blockIdx.x, bi = grp / groups_per_b, d = (grp - bi * groups_per_b) * cw + ch;
    const bool live = d < n.D;
    const cval lam = live ? io.decay(d) : cval{1.0f, 0.0f};
    if (tid < cw)
        carry_sh[ch] = live ? io.h0(bi, d) : cval{0.0f, 0.0f};

    for (int64_t t0 = 0; t0 < n.L; t0 += T) {
        for (int r = j; r < T; r += half) {
            const int64_t t = t0 + r;
            tile[r * cw + ch] = pack<C>(live && t < n.L ? io.step(bi * n.L + t, d, lam) : identity_map());
        }
        __syncthreads();
        /* level with half-block size lv: the element lo (last of a lower half) is never written at this
         * level and each upper-half element has one thread, so reads and writes of a level need no
         * barrier between them, only between levels */
        for (int lv = 1; lv < T; lv *= 2) {
            const int g = j / lv, pos = j - g * lv;
            const int lo = g * 2 * lv + lv - 1, tgt = lo + 1 + pos;
            const amap e = unpack<C>(tile[lo * cw + ch]), l = unpack<C>(tile[tgt * cw + ch]);
            tile[tgt * cw + ch] = pack<C>(compose<C>(e, l));
            __syncthreads();
        }
        const cval carry = carry_sh[ch];
        for (int r = j; r < T; r += half) {
            const int64_t t = t0 + r;
            if (live && t < n.L) {
                const amap e = unpack<C>(tile[r * cw + ch]);
                io.emit(bi * n.L + t, d, affine<C>(e.A, carry, e.B));
            }
        }
        __syncthreads(); /* every thread has read carry_sh and the tile */
        if (tid < cw) {
            const amap e = unpack<C>(tile[(T - 1) * cw + ch]);
            carry_sh[ch] = affine<C>(e.A, carry, e.B);
        }
        __syncthreads();
    }
    if (tid < cw && live)
        io.h_last(bi, d, carry_sh[ch]);
}

/* ---- chunked -------------------------------------------------------------------------------------------- */

constexpr int CH_NT = 256;
constexpr int CH_ITEMS = 16;
/* blocks per SM the register budget must allow: 3 for real steps (≤ 85 registers), 2 for complex (≤ 128),
 * which keeps 16 items of every thread in flight on 768 or 512 threads per SM */
template <class IO> constexpr int CH_MIN_BLOCKS = IO::cplx ? 2 : 3;

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

/* A chunked tile's side of the look-back (lookback.cuh) for one channel: its aggregate is the tile's map `tot`,
 * a prefix is a state, and a state steps through a map by one affine step, so the carry into a tile is the
 * same chain of steps by which the tiles before it formed their own prefixes. */
template <class IO> struct chunk_side {
    static constexpr bool C = IO::cplx;
    static constexpr int NV = C ? 2 : 1; /* floats per value */
    IO io;
    chunk_ws w;
    amap tot;
    int64_t bi, d, cw;
    int ch;
    bool live;

    __device__ cval initial() const { return live ? io.h0(bi, d) : cval{0.0f, 0.0f}; }
    __device__ float *agg(int64_t q) const { return w.agg + (q * cw + ch) * 2 * NV; }
    __device__ float *pre(int64_t q) const { return w.pre + (q * cw + ch) * NV; }
    __device__ void put_agg(int64_t tile) const
    {
        put<C>(agg(tile), tot.A);
        put<C>(agg(tile) + NV, tot.B);
    }
    __device__ amap load_agg(int64_t q) const { return amap{get<C>(agg(q)), get<C>(agg(q) + NV)}; }
    __device__ cval load_pre(int64_t q) const { return get<C>(pre(q)); }
    __device__ cval step(cval h, amap q) const { return affine<C>(q.A, h, q.B); }
    __device__ cval through(cval h) const { return affine<C>(tot.A, h, tot.B); }
    __device__ void put_pre(int64_t tile, cval h) const { put<C>(pre(tile), h); }
};

template <class IO>
__global__ void __launch_bounds__(CH_NT, CH_MIN_BLOCKS<IO>) chunked_kernel(IO io, dims n, chunk_geo g, chunk_ws w)
{
    constexpr bool C = IO::cplx;
    LRB_SHARED(amap, wtot, [CH_NT]); /* [warp][channel]: the warps' totals (tile_scan) */
    LRB_SHARED(cval, carry_sh, [32]);
    LRB_SHARED(int64_t, tile_sh);
    const int tid = threadIdx.x;
    if (tid == 0)
        tile_sh = draw_tile(w.counter, g.G * g.K);
    __syncthreads();
    const int64_t tile = tile_sh, k = tile / g.G, grp = tile - k * g.G;
    const bool has_next = k < g.K - 1; /* a tile after this one in its row reads its flag */
    const int64_t bi = grp / g.groups_per_b;
    const int ch = tid % g.cw, seg = tid / g.cw;
    const int64_t d = (grp - bi * g.groups_per_b) * g.cw + ch;
    const bool live = d < n.D;
    const int64_t t0 = k * g.tl + (int64_t)seg * CH_ITEMS, r0 = bi * n.L + t0;

    const cval lam = live ? io.decay(d) : cval{1.0f, 0.0f};
    amap e[CH_ITEMS];
#pragma unroll
    for (int i = 0; i < CH_ITEMS; i++)
        e[i] = live && t0 + i < n.L ? io.step(r0 + i, d, lam) : identity_map();
    amap mine = identity_map();
#pragma unroll
    for (int i = 0; i < CH_ITEMS; i++)
        mine = {vmul<C>(e[i].A, mine.A), affine<C>(e[i].A, mine.B, e[i].B)};
    const auto sc =
        tile_scan<CH_NT>(mine, g.cw, identity_map(), wtot, [](amap ea, amap la) { return compose<C>(ea, la); });
    const amap excl = sc.excl;

    if (tid < 32) { /* warp 0: the look-back (lookback.cuh); lane < cw carries channel `lane` (ch == tid) */
        const chunk_side<IO> side = {io, w, sc.tot, bi, d, g.cw, ch, live};
        const auto c = look_back<4, amap>(side, w.flags, tile, g.G, k, has_next, tid, tid < g.cw, cval{0.0f, 0.0f});
        if (tid < g.cw) {
            if (k == g.K - 1 && live)
                io.h_last(bi, d, c.after);
            carry_sh[ch] = c.before;
        }
    }
    __syncthreads();

    if (live) {
        cval h = affine<C>(excl.A, carry_sh[ch], excl.B);
#pragma unroll
        for (int i = 0; i < CH_ITEMS; i++)
            if (t0 + i < n.L) {
                h = affine<C>(e[i].A, h, e[i].B);
                io.emit(r0 + i, d, h);
            }
    }
}

/* the look-back workspace: per tile and channel, agg holds A and B (2·NV floats), pre the state (NV) */
ws_layout chunk_ws_layout(chunk_geo g, int cplx)
{
    const size_t nt = (size_t)(g.G * g.K), nv = cplx ? 2 : 1;
    return lookback_layout(g.G * g.K, nt * g.cw * 2 * nv * sizeof(float), nt * g.cw * nv * sizeof(float));
}

/* the launch limits: one block per tile (chunked) or per SEQ_NT chains (seq) within a 31-bit grid */
bool grid_ok(dims n, lrb_cuda_algo algo, const void *work)
{
    if (algo == LRB_CUDA_CHUNKED) {
        const chunk_geo g = make_geo(n.B, n.L, n.D, CH_NT, CH_ITEMS);
        return work && g.G * g.K <= 0x7fffffff;
    }
    if (algo == LRB_CUDA_SEQ)
        return (n.B * n.D + SEQ_NT - 1) / SEQ_NT <= 0x7fffffff;
    return n.B * ((n.D + 31) / 32) <= 0x7fffffff;
}

size_t workspace(dims n, lrb_cuda_algo algo, int cplx, size_t *control)
{
    if (algo != LRB_CUDA_CHUNKED)
        return no_workspace(control);
    return report_workspace(chunk_ws_layout(make_geo(n.B, n.L, n.D, CH_NT, CH_ITEMS), cplx), control);
}

template <class IO> int launch(const IO &io, dims n, lrb_cuda_algo algo, void *work, cudaStream_t st)
{
    if (!grid_ok(n, algo, work))
        return LRB_CUDA_EINVAL;
    switch (algo) {
    case LRB_CUDA_SEQ: {
        const int64_t blocks = (n.B * n.D + SEQ_NT - 1) / SEQ_NT;
        const auto kern = seq_kernel<IO>;
        LRB_LAUNCH(kern, (unsigned)blocks, SEQ_NT, st, io, n);
        break;
    }
    case LRB_CUDA_UL: {
        const int cw = group_width(n.D);
        const int64_t gpb = (n.D + cw - 1) / cw;
        const auto kern = ul_kernel<IO>;
        LRB_LAUNCH(kern, (unsigned)(n.B * gpb), UL_NT, st, io, n, cw, gpb);
        break;
    }
    case LRB_CUDA_CHUNKED: {
        const chunk_geo g = make_geo(n.B, n.L, n.D, CH_NT, CH_ITEMS);
        const ws_layout lo = chunk_ws_layout(g, IO::cplx);
        char *base = (char *)work;
        const chunk_ws w = {(int *)base, (int *)(base + lo.flags), (float *)(base + lo.agg), (float *)(base + lo.pre)};
        const auto kern = chunked_kernel<IO>;
        LRB_LAUNCH(kern, (unsigned)(g.G * g.K), CH_NT, st, io, n, g, w);
        break;
    }
    default:
        return LRB_CUDA_EINVAL;
    }
    return LRB_CUDA_CHECK(cudaGetLastError()) ? LRB_CUDA_EDEVICE : LRB_CUDA_OK;
}

int scan_args_ok(const lrb_cuda_scan *s)
{
    if (!s || s->B < 1 || s->L < 1 || s->D < 1 || !s->b || !s->h)
        return 0;
    if (s->cplx ? (s->im_off < s->D || s->ld < s->im_off + s->D) : s->ld < s->D)
        return 0;
    return s->a != NULL || (s->nu != NULL && (!s->cplx || s->theta != NULL));
}

int glru_args_ok(const lrb_cuda_glru *g)
{
    return g && g->B >= 1 && g->L >= 1 && g->D >= 1 && g->ld >= g->D && g->ldy >= g->D && g->x && g->i && g->o &&
           g->y && (g->tied || g->f);
}

} // namespace

extern "C" size_t lrb_cuda_scan_workspace(const lrb_cuda_scan *s, lrb_cuda_algo algo, size_t *control)
{
    if (!scan_args_ok(s))
        return no_workspace(control);
    return workspace({s->B, s->L, s->D}, algo, s->cplx, control);
}

extern "C" int lrb_cuda_scan_launch(const lrb_cuda_scan *s, lrb_cuda_algo algo, void *work, cudaStream_t stream)
{
    if (!scan_args_ok(s))
        return LRB_CUDA_EINVAL;
    const dims n = {s->B, s->L, s->D};
    if (s->cplx)
        return s->a ? launch(scan_io<true, true>{*s}, n, algo, work, stream)
                    : launch(scan_io<true, false>{*s}, n, algo, work, stream);
    return s->a ? launch(scan_io<false, true>{*s}, n, algo, work, stream)
                : launch(scan_io<false, false>{*s}, n, algo, work, stream);
}

extern "C" size_t lrb_cuda_glru_workspace(const lrb_cuda_glru *g, lrb_cuda_algo algo, size_t *control)
{
    if (!glru_args_ok(g))
        return no_workspace(control);
    return workspace({g->B, g->L, g->D}, algo, 0, control);
}

extern "C" int lrb_cuda_glru_launch(const lrb_cuda_glru *g, lrb_cuda_algo algo, void *work, cudaStream_t stream)
{
    if (!glru_args_ok(g))
        return LRB_CUDA_EINVAL;
    const dims n = {g->B, g->L, g->D};
    return g->tied ? launch(glru_io<true>{*g}, n, algo, work, stream)
                   : launch(glru_io<false>{*g}, n, algo, work, stream);
}
