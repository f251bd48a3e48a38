/*
 * wkv4.cu — the CUDA RWKV-4 WKV operator (LAYERS.md §2.4, lrb_cuda.h) with state in and out, any L:
 *
 *  seq      One thread per channel (b, c) running the stable (aa, bb, pp) loop of §2.4 exactly as the
 *           reference writes it; the threads of a warp hold consecutive channels (coalesced), and
 *           SEQ_U tokens of k and v are loaded into registers before they are used.
 *  chunked  The log-space associative form (§2.4, §4.3) with the decoupled look-back of scan.cu: each
 *           thread runs the stable loop over CH_ITEMS tokens from the empty state, which gives its
 *           segment summary (m, P, Q) ("the inclusive sums are P·e^m and Q·e^m") of n tokens; the scan
 *           over the segments of a tile (tile_scan of lookback.cuh) and a look-back over the tiles before it
 *           (the deterministic walk of scan.cu) give each segment the state before it; the thread then
 *           reruns the stable loop from that state and writes the outputs. So every output is the
 *           reference's output step, from a state that the operator ∘ carried across segments.
 *
 *     E1 ∘ E2 (E1 earlier, n2 tokens in E2):  α = m1 + n2·w;  m = max(α, m2);
 *                                            (m, e^{α−m}·P1 + e^{m2−m}·P2, e^{α−m}·Q1 + e^{m2−m}·Q2)
 *
 * A summary with P = Q = 0 stands for empty sums whatever its m (the identity, the empty state of
 * pp = −1e38): ∘ returns the other side for it, so −1e38 − (−1e38) is never formed (as reference/wkv4.c).
 */
#include "lrb_cuda.h"
#include "launch.cuh"
#include "lookback.cuh"

#include <cuda_runtime.h>
#include <stdint.h>

namespace
{

using namespace lrb_lookback;

constexpr float PP_EMPTY = -1e38f; /* reference/wkv4.h: LRB_WKV4_PP_EMPTY */

struct seg {
    float m, p, q; /* pp, aa, bb */
    float n;       /* tokens (exact: at most a tile's worth, or 0 for states) */
};

__device__ __forceinline__ seg seg_empty()
{
    return {PP_EMPTY, 0.0f, 0.0f, 0.0f};
}

__device__ __forceinline__ float maxf(float x, float y)
{
    return x > y ? x : y;
}

/* e1 ∘ e2, n2w = n2·w */
__device__ __forceinline__ seg combine(seg e1, float n2w, seg e2)
{
    seg r;
    r.n = e1.n + e2.n;
    if (e1.p == 0.0f && e1.q == 0.0f) {
        r.m = e2.m;
        r.p = e2.p;
        r.q = e2.q;
        return r;
    }
    if (e2.p == 0.0f && e2.q == 0.0f) {
        r.m = __fadd_rn(e1.m, n2w);
        r.p = e1.p;
        r.q = e1.q;
        return r;
    }
    /* spelled out (no contraction left to the compiler): the look-back relies on two call sites giving
     * the same bits */
    const float alpha = __fadd_rn(e1.m, n2w), m = maxf(alpha, e2.m);
    const float A = expf(__fsub_rn(alpha, m)), Bp = expf(__fsub_rn(e2.m, m));
    r.m = m;
    r.p = fmaf(A, e1.p, __fmul_rn(Bp, e2.p));
    r.q = fmaf(A, e1.q, __fmul_rn(Bp, e2.q));
    return r;
}

/* the output step of the stable loop from the state before the token */
__device__ __forceinline__ float out_step(const seg &st, float uk, float v)
{
    const float q = maxf(st.m, uk);
    const float e1 = expf(st.m - q), e2 = expf(uk - q);
    return (e1 * st.p + e2 * v) / (e1 * st.q + e2);
}

/* the state update of the stable loop: the state after one more token */
__device__ __forceinline__ void update(seg &st, float w, float k, float v)
{
    const float pw = st.m + w, q = maxf(pw, k);
    const float e1 = expf(pw - q), e2 = expf(k - q);
    st.p = e1 * st.p + e2 * v;
    st.q = e1 * st.q + e2;
    st.m = q;
}

__device__ __forceinline__ seg initial_state(const lrb_cuda_wkv4 &a, int64_t sidx)
{
    seg s = seg_empty();
    if (a.aa0)
        s.p = a.aa0[sidx];
    if (a.bb0)
        s.q = a.bb0[sidx];
    if (a.pp0)
        s.m = a.pp0[sidx];
    return s;
}

__device__ __forceinline__ void final_state(const lrb_cuda_wkv4 &a, int64_t sidx, const seg &s)
{
    if (a.aa)
        a.aa[sidx] = s.p;
    if (a.bb)
        a.bb[sidx] = s.q;
    if (a.pp)
        a.pp[sidx] = s.m;
}

/* ---- seq ------------------------------------------------------------------------------------------------ */

constexpr int SEQ_NT = 256;
constexpr int SEQ_U = 8;

__global__ void __launch_bounds__(SEQ_NT) wkv_seq_kernel(lrb_cuda_wkv4 a)
{
    const int64_t i = (int64_t)blockIdx.x * SEQ_NT + threadIdx.x;
    if (i >= a.B * a.C)
        return;
    const int64_t bi = i / a.C, c = i - bi * a.C;
    const float w = a.w[c], u = a.u[c];
    seg st = initial_state(a, i);
    int64_t o = bi * a.L * a.C + c, t = 0;
    for (; t + SEQ_U <= a.L; t += SEQ_U, o += SEQ_U * a.C) {
        float kv[SEQ_U], vv[SEQ_U];
#pragma unroll
        for (int j = 0; j < SEQ_U; j++) {
            kv[j] = a.k[o + j * a.C];
            vv[j] = a.v[o + j * a.C];
        }
#pragma unroll
        for (int j = 0; j < SEQ_U; j++) {
            a.wkv[o + j * a.C] = out_step(st, u + kv[j], vv[j]);
            update(st, w, kv[j], vv[j]);
        }
    }
    for (; t < a.L; t++, o += a.C) {
        const float k = a.k[o], v = a.v[o];
        a.wkv[o] = out_step(st, u + k, v);
        update(st, w, k, v);
    }
    final_state(a, i, st);
}

/* ---- chunked -------------------------------------------------------------------------------------------- */

constexpr int CH_NT = 256;
constexpr int CH_ITEMS = 16;

typedef tile_geo geo;

struct ws {
    int *counter, *flags;
    float4 *agg; /* per tile and channel: (m, P, Q, n) */
    float4 *pre; /* per tile and channel: the state after the tile (m, P, Q, 0) */
};

__device__ __forceinline__ void put(float4 *p, const seg &s)
{
    __stcg(p, make_float4(s.m, s.p, s.q, s.n));
}

__device__ __forceinline__ seg get(const float4 *p)
{
    const float4 v = __ldcg(p);
    return {v.x, v.y, v.z, v.w};
}

/* A chunked tile's side of the look-back (lookback.cuh) for one channel: its aggregate is the tile's summary
 * `tot`, a prefix is a state (n = 0: a state, not a run of tokens), and a state steps through a summary by ∘,
 * so the carry into a tile is the same chain of ∘ by which the tiles before it formed their own prefixes. */
struct wkv_side {
    lrb_cuda_wkv4 a;
    ws wsp;
    seg tot;
    int64_t sidx;
    float w;
    int64_t cw;
    int ch;
    bool live;

    __device__ seg initial() const { return live ? initial_state(a, sidx) : seg_empty(); }
    __device__ void put_agg(int64_t tile) const { put(wsp.agg + tile * cw + ch, tot); }
    __device__ seg load_agg(int64_t q) const { return get(wsp.agg + q * cw + ch); }
    __device__ seg load_pre(int64_t q) const { return get(wsp.pre + q * cw + ch); }
    __device__ seg step(seg cr, seg ag) const
    {
        cr = combine(cr, __fmul_rn(ag.n, w), ag);
        cr.n = 0.0f;
        return cr;
    }
    __device__ seg through(seg cr) const { return step(cr, tot); }
    __device__ void put_pre(int64_t tile, seg cr) const { put(wsp.pre + tile * cw + ch, cr); }
};

/* 2 blocks per SM: with the look-back's aggregates read ahead (lookback.cuh) this kernel takes about 100
 * registers (cuda.ptxas_spills reports them), and 3 blocks' budget of 85 spilled (36 bytes at 97) */
__global__ void __launch_bounds__(CH_NT, 2) wkv_chunked_kernel(lrb_cuda_wkv4 a, geo g, ws wsp)
{
    LRB_SHARED(seg, wtot, [CH_NT]); /* [warp][channel]: the warps' totals (tile_scan) */
    LRB_SHARED(seg, carry_sh, [32]);
    LRB_SHARED(int64_t, tile_sh);
    const int tid = threadIdx.x;
    if (tid == 0)
        tile_sh = draw_tile(wsp.counter, g.G * g.K);
    __syncthreads();
    const int64_t tile = tile_sh, k = tile / g.G, grp = tile - k * g.G, bi = grp / g.groups_per_b;
    const bool has_next = k < g.K - 1; /* a tile after this one in its row reads its flag */
    const int ch = tid % g.cw, sg = tid / g.cw;
    const int64_t c = (grp - bi * g.groups_per_b) * g.cw + ch;
    const bool live = c < a.C;
    const int64_t t0 = k * g.tl + (int64_t)sg * CH_ITEMS, o0 = (bi * a.L + t0) * a.C + c;
    const float w = live ? a.w[c] : 0.0f, u = live ? a.u[c] : 0.0f;

    float kv[CH_ITEMS], vv[CH_ITEMS];
    int nvalid = 0;
#pragma unroll
    for (int j = 0; j < CH_ITEMS; j++) {
        const bool ok = live && t0 + j < a.L;
        kv[j] = ok ? a.k[o0 + j * a.C] : 0.0f;
        vv[j] = ok ? a.v[o0 + j * a.C] : 0.0f;
        nvalid += ok ? 1 : 0;
    }
    seg mine = seg_empty();
#pragma unroll
    for (int j = 0; j < CH_ITEMS; j++)
        if (j < nvalid)
            update(mine, w, kv[j], vv[j]);
    mine.n = (float)nvalid;
    const auto then = [w](seg e, seg l) { return combine(e, __fmul_rn(l.n, w), l); };
    const auto sc = tile_scan<CH_NT>(mine, g.cw, seg_empty(), wtot, then);
    const seg excl = sc.excl;

    if (tid < 32) { /* warp 0: the look-back (lookback.cuh); lane < cw carries channel `lane` (ch == tid) */
        const int64_t sidx = bi * a.C + c;
        const wkv_side side = {a, wsp, sc.tot, sidx, w, g.cw, ch, live};
        const auto cr = look_back<4, seg>(side, wsp.flags, tile, g.G, k, has_next, tid, tid < g.cw, seg_empty());
        if (tid < g.cw) {
            if (k == g.K - 1 && live)
                final_state(a, sidx, cr.after);
            carry_sh[ch] = cr.before;
        }
    }
    __syncthreads();

    if (live) {
        seg st = combine(carry_sh[ch], __fmul_rn(excl.n, w), excl);
#pragma unroll
        for (int j = 0; j < CH_ITEMS; j++)
            if (j < nvalid) {
                a.wkv[o0 + j * a.C] = out_step(st, u + kv[j], vv[j]);
                update(st, w, kv[j], vv[j]);
            }
    }
}

geo geometry(const lrb_cuda_wkv4 *a)
{
    return make_geo(a->B, a->L, a->C, CH_NT, CH_ITEMS);
}

/* the look-back workspace: one float4 per tile and channel each for agg and pre */
ws_layout wkv_ws_layout(geo g)
{
    const size_t n = (size_t)(g.G * g.K) * g.cw * sizeof(float4);
    return lookback_layout(g.G * g.K, n, n);
}

int args_ok(const lrb_cuda_wkv4 *a)
{
    return a && a->B >= 1 && a->L >= 1 && a->C >= 1 && a->w && a->u && a->k && a->v && a->wkv;
}

} // namespace

extern "C" size_t lrb_cuda_wkv4_workspace(const lrb_cuda_wkv4 *a, lrb_cuda_algo algo, size_t *control)
{
    if (algo != LRB_CUDA_CHUNKED || !args_ok(a))
        return no_workspace(control);
    return report_workspace(wkv_ws_layout(geometry(a)), control);
}

extern "C" int lrb_cuda_wkv4_launch(const lrb_cuda_wkv4 *a, lrb_cuda_algo algo, void *work, cudaStream_t stream)
{
    if (!args_ok(a))
        return LRB_CUDA_EINVAL;
    if (algo == LRB_CUDA_SEQ) {
        const int64_t blocks = (a->B * a->C + SEQ_NT - 1) / SEQ_NT;
        if (blocks > 0x7fffffff)
            return LRB_CUDA_EINVAL;
        LRB_LAUNCH(wkv_seq_kernel, (unsigned)blocks, SEQ_NT, stream, *a);
    } else if (algo == LRB_CUDA_CHUNKED) {
        const geo g = geometry(a);
        if (!work || g.G * g.K > 0x7fffffff)
            return LRB_CUDA_EINVAL;
        const ws_layout lo = wkv_ws_layout(g);
        char *base = (char *)work;
        const ws w = {(int *)base, (int *)(base + lo.flags), (float4 *)(base + lo.agg), (float4 *)(base + lo.pre)};
        LRB_LAUNCH(wkv_chunked_kernel, (unsigned)(g.G * g.K), CH_NT, stream, *a, g, w);
    } else {
        return LRB_CUDA_EINVAL;
    }
    return LRB_CUDA_CHECK(cudaGetLastError()) ? LRB_CUDA_EDEVICE : LRB_CUDA_OK;
}
