/*
 * lookback.cuh — what the single-pass chunked kernels of scan.cu and wkv4.cu share (device code, included
 * by .cu files only): the channel-group width, the scan across a tile's segments (tile_scan), and the
 * look-back protocol below, written once (look_back) for the kernels' own values, which each supplies as a
 * small `side` struct (how a tile's aggregate and prefix are stored, loaded and stepped through).
 *
 * Protocol: tiles take their index from an atomic counter in time order (so every predecessor is already
 * running, and the walk cannot wait on a tile that is not); a tile after the first of its row publishes
 * its aggregate (ST_AGG), finds the nearest predecessor with ST_PREFIX, steps that prefix forward through
 * the aggregates in between, and publishes its own prefix (ST_PREFIX). Values are written with st.cg and
 * read with ld.cg (L2, coherent across blocks); each lane fences its values before the warp barrier after
 * which lane 0 sets the flag, and a reader fences after it has seen the flag (without either fence the
 * CPU emulation's weak memory fails the checks: tests/CMakeLists.txt builds both mutants). Warp 0 runs the look-back:
 * its 32 lanes read 32 flags at a time, and its first cw lanes carry one channel each.
 *
 * The workspace cleans itself, so that a launch is one kernel and no memset before it (a whole extra
 * operation in the latency of small scans): the block that draws the last tile index sets the counter back
 * to zero, the last tile of a row publishes nothing (no tile reads its flag), and every other tile's flag
 * is set back to ST_NONE by its successor once it holds ST_PREFIX. A reader that meets a cleared flag is not
 * misled: ST_NONE nearer than the prefix it found makes it read again, and the successor that cleared the
 * flag had published its own ST_PREFIX first, which the reader then finds. So a workspace zeroed once is
 * zero again after every launch.
 */
#ifndef LRB_LOOKBACK_CUH
#define LRB_LOOKBACK_CUH

#include <cuda_runtime.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* In a spinning wait: nothing on a GPU; on the emulation (tests/cuda_emu) a yield of the host thread. The
 * load of a flag that another block sets: volatile on a GPU (never cached in L1 or hoisted out of the wait);
 * on the emulation an atomic one, so that ThreadSanitizer sees the protocol's traffic as intended. Before a
 * flag is set: nothing on a GPU; on the emulation a pause now and then (lrb_emu_jitter). */
#ifdef LRB_CUDA_EMU
#define LRB_SPIN_WAIT() lrb_emu_spin()
#define LRB_LOAD_FLAG(p) lrb_emu_load_flag(p)
#define LRB_FLAG_JITTER() lrb_emu_jitter()
#else
#define LRB_SPIN_WAIT() ((void)0)
#define LRB_LOAD_FLAG(p) (*(const volatile int *)(p))
#define LRB_FLAG_JITTER() ((void)0)
#endif

namespace lrb_lookback
{

constexpr int ST_NONE = 0, ST_AGG = 1, ST_PREFIX = 2;

/* Channels per group: 32, or the next power of two ≥ D when D < 32. */
inline int group_width(int64_t D)
{
    int cw = 1;
    while (cw < 32 && cw < D)
        cw *= 2;
    return cw;
}

inline size_t align256(size_t n)
{
    return (n + 255) & ~(size_t)255;
}

/* The tiles of a chunked kernel: blocks of `nt` threads, each thread `items` consecutive steps of one
 * channel; a tile is segs·items steps × cw channels of one batch row. Tiles are numbered time-major:
 * tile = k·G + group, so a tile's predecessor in its row is tile − G. */
struct tile_geo {
    int cw, segs;               /* channels per group; segments (threads per channel) */
    int64_t tl;                 /* steps per tile */
    int64_t groups_per_b, G, K; /* channel groups per batch row and in all; tiles along L */
};

inline tile_geo make_geo(int64_t B, int64_t L, int64_t D, int nt, int items)
{
    tile_geo g;
    g.cw = group_width(D);
    g.segs = nt / g.cw;
    g.tl = (int64_t)g.segs * items;
    g.groups_per_b = (D + g.cw - 1) / g.cw;
    g.G = B * g.groups_per_b;
    g.K = (L + g.tl - 1) / g.tl;
    return g;
}

/* The workspace of a look-back, by byte offsets from its (256-aligned) start: the tile counter, one flag
 * per tile, the aggregates and the prefixes (agg_bytes, pre_bytes in all), each part 256-aligned. The
 * counter and flags must be zero before a launch, and are again after it (see above); aggregates and
 * prefixes are written before they are read. */
struct ws_layout {
    size_t flags, agg, pre, total; /* the control words are the first `agg` bytes */
};

/* what the *_workspace functions of lrb_cuda.h report: total bytes, and the control words' through `control` */
inline size_t report_workspace(const ws_layout &lo, size_t *control)
{
    if (control)
        *control = lo.agg;
    return lo.total;
}

/* ... and for a launch that needs none (seq, ul, invalid arguments) */
inline size_t no_workspace(size_t *control)
{
    if (control)
        *control = 0;
    return 0;
}

inline ws_layout lookback_layout(int64_t tiles, size_t agg_bytes, size_t pre_bytes)
{
    ws_layout lo;
    lo.flags = 256;
    lo.agg = lo.flags + align256((size_t)tiles * sizeof(int));
    lo.pre = lo.agg + align256(agg_bytes);
    lo.total = lo.pre + align256(pre_bytes);
    return lo;
}

constexpr unsigned FULL_WARP = 0xffffffffu;

/* This block's tile index (thread 0 only). The block that draws the last one sets the counter back to zero:
 * every block of the launch has drawn by then. */
__device__ __forceinline__ int64_t draw_tile(int *counter, int64_t tiles)
{
    const int t = atomicAdd(counter, 1);
    if (t == tiles - 1)
        atomicExch(counter, 0);
    return t;
}

/* Once this tile has published (thread 0 only): its predecessor's flag back to ST_NONE, once it is ST_PREFIX
 * (the predecessor publishes that last, possibly after this tile found a prefix further back; it does not
 * wait on this tile, so the wait ends). `known` when the look-back already saw it so. */
__device__ __forceinline__ void retire_predecessor(int *flags, int64_t tile, int64_t G, bool known)
{
    if (tile < G)
        return;
    int *f = &flags[tile - G];
    while (!known && LRB_LOAD_FLAG(f) != ST_PREFIX)
        LRB_SPIN_WAIT();
    atomicExch(f, ST_NONE);
}

/* Called by all 32 lanes of warp 0 after those with values stored them: fence, barrier, then lane 0 sets the
 * flag. */
__device__ __forceinline__ void publish(int *flags, int64_t tile, int status, int lane)
{
    __threadfence();
    __syncwarp(FULL_WARP);
    if (lane == 0) {
        LRB_FLAG_JITTER();
        atomicExch(&flags[tile], status);
    }
}

/* The nearest predecessor of `tile` in its row (stride G) that has published its prefix, such that every tile
 * between them has published at least its aggregate; their values are visible once this returns. Called by
 * all 32 lanes of warp 0, which read the flags of 32 predecessors at once (lane l the (l+1)-th one back), so
 * that a walk past n aggregates costs n/32 round trips to L2, not n. The first tile of a row always ends
 * the walk (it publishes its prefix at once). Every lane gets the same answer. */
__device__ __forceinline__ int64_t find_prefix(const int *flags, int64_t tile, int64_t G, int lane)
{
    for (int64_t hi = tile - G;; hi -= 32 * G) {
        const int64_t j = hi - lane * G;
        for (;;) {
            /* before the row's first tile: as if published (never nearer than that tile itself) */
            const int f = j >= 0 ? LRB_LOAD_FLAG(&flags[j]) : ST_PREFIX;
            const unsigned pre = __ballot_sync(FULL_WARP, f == ST_PREFIX);
            const unsigned none = __ballot_sync(FULL_WARP, f == ST_NONE);
            const unsigned nearer = pre ? (1u << (__ffs((int)pre) - 1)) - 1u : FULL_WARP;
            if (none & nearer) { /* a tile before the nearest prefix has not even its aggregate yet */
                LRB_SPIN_WAIT();
                continue;
            }
            if (!pre)
                break; /* 32 aggregates: the next window back */
            __threadfence();
            return hi - (int64_t)(__ffs((int)pre) - 1) * G;
        }
    }
}

/* What a tile's look-back gives the lanes that carry a channel: the state before the tile, and after it. */
template <class Carry> struct carried {
    Carry before, after;
};

/* Warp 0's part of a chunked tile, after tile_scan: the protocol above, in its order. The tile publishes
 * its aggregate unless it is the last of its row, finds the nearest published prefix, steps it through the
 * aggregates in between, publishes its own prefix (again unless it is the last) and retires its
 * predecessor; the first tile of a row starts from the row's initial state and publishes only its prefix.
 * The walk steps exactly as those tiles formed their own prefixes, so the carry is the same bits wherever
 * it stops (deterministic whatever the block timing). AHEAD aggregates are loaded before any is used, so
 * their round trips to L2 overlap (the steps are a dependent chain, as they must be for the same bits).
 * All 32 lanes call it; those with `chan` carry channel `lane` and call the kernel's side `s`:
 *   Carry initial()                    the row's initial state
 *   void put_agg(int64_t tile)         this tile's aggregate into the workspace
 *   Agg load_agg(int64_t q)            tile q's aggregate
 *   Carry load_pre(int64_t q)          tile q's prefix
 *   Carry step(Carry c, Agg a)         c stepped through an aggregate
 *   Carry through(Carry c)             c stepped through this tile (its prefix)
 *   void put_pre(int64_t tile, Carry)  this tile's prefix into the workspace
 * (`through` runs on every lane, so that no branch guards it: on the others its result means nothing).
 * Call it before the block barrier that precedes the outputs: retiring after them kept `tile` and `G` live
 * through the outputs, and the real scan spilled 12 bytes. */
template <int AHEAD, class Agg, class Carry, class Side>
__device__ __forceinline__ carried<Carry> look_back(const Side &s, int *flags, int64_t tile, int64_t G, int64_t k,
                                                    bool has_next, int lane, bool chan, Carry none)
{
    Carry carry = none;
    bool pred_known = false; /* the walk saw the predecessor's ST_PREFIX */
    if (k == 0) {
        if (chan)
            carry = s.initial();
    } else {
        if (has_next) {
            if (chan)
                s.put_agg(tile);
            publish(flags, tile, ST_AGG, lane);
        }
        const int64_t j = find_prefix(flags, tile, G, lane);
        pred_known = j == tile - G;
        if (chan) {
            carry = s.load_pre(j);
            for (int64_t m = j + G; m < tile; m += AHEAD * G) {
                Agg ag[AHEAD];
#pragma unroll
                for (int u = 0; u < AHEAD; u++)
                    if (m + u * G < tile)
                        ag[u] = s.load_agg(m + u * G);
#pragma unroll
                for (int u = 0; u < AHEAD; u++)
                    if (m + u * G < tile)
                        carry = s.step(carry, ag[u]);
            }
        }
    }
    const carried<Carry> r = {carry, s.through(carry)};
    if (has_next) {
        if (chan)
            s.put_pre(tile, r.after);
        publish(flags, tile, ST_PREFIX, lane);
    }
    if (lane == 0)
        retire_predecessor(flags, tile, G, pred_known);
    return r;
}

/* v of lane − delta (own v for lane < delta), word by word: Map is a struct of floats */
template <class Map> __device__ __forceinline__ Map shfl_up(Map v, int delta)
{
    static_assert(sizeof(Map) % sizeof(float) == 0, "a map is a struct of floats");
    constexpr int NW = sizeof(Map) / sizeof(float);
    float w[NW];
    memcpy(w, &v, sizeof v);
#pragma unroll
    for (int i = 0; i < NW; i++)
        w[i] = __shfl_up_sync(FULL_WARP, w[i], (unsigned)delta);
    memcpy(&v, w, sizeof v);
    return v;
}

template <class Map> struct tile_scan_out {
    Map excl; /* the segments before this thread's, composed (identity for the first) */
    Map tot;  /* warp 0 only: every segment of channel ch, composed (the tile's aggregate) */
};

/* The scan of a tile's segment summaries across its segments: thread tid = segment·cw + channel holds its
 * segment's summary; combine(e, l) is e then l. A warp holds 32/cw consecutive segments of each of its cw
 * channels, which it scans with shuffles (log2(32/cw) levels, none when cw = 32); the last segment row of
 * every warp leaves the warp's total in `wtot` (shared, NT/32·cw entries), and after one barrier each thread
 * composes the totals of the warps before its own. Called by every thread of the block. */
template <int NT, class Map, class Combine>
__device__ __forceinline__ tile_scan_out<Map> tile_scan(Map mine, int cw, Map ident, Map *wtot, Combine combine)
{
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, ch = threadIdx.x % cw;
    Map incl = mine;
    for (int delta = cw; delta < 32; delta *= 2) {
        const Map prev = shfl_up(incl, delta);
        if (lane >= delta)
            incl = combine(prev, incl);
    }
    const Map in_warp = cw < 32 ? shfl_up(incl, cw) : ident; /* the segments before this one in the warp */
    if (lane >= 32 - cw)
        wtot[warp * cw + ch] = incl;
    __syncthreads();
    tile_scan_out<Map> r;
    r.excl = ident;
    for (int w = 0; w < warp; w++)
        r.excl = w ? combine(r.excl, wtot[w * cw + ch]) : wtot[ch];
    if (lane >= cw)
        r.excl = warp ? combine(r.excl, in_warp) : in_warp;
    r.tot = ident;
    if (warp == 0) {
        r.tot = wtot[ch];
        for (int w = 1; w < NT / 32; w++)
            r.tot = combine(r.tot, wtot[w * cw + ch]);
    }
    return r;
}

} // namespace lrb_lookback

#endif
