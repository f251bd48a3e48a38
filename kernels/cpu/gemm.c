/*
 * gemm.c — the simd backend's dense projections (lrb_simd_dense_rows, lrb_simd_dense_rows_kn): a packed,
 * cache-blocked sgemm y = x·Wᵀ + b (or x·K + b) around the per-ISA micro-kernel of gemm_isa.c. Built with
 * baseline flags: packing and blocking only, the arithmetic is all in the micro-kernel.
 *
 * Blocking (Goto/BLIS): W is packed once per call into NR-column micro-panels holding every k (k-major, NR
 * values per k, zero-padded past `out`), so both layouts become the same panel format and the
 * micro-kernel reads W with unit stride. The output is cut into MC×NC blocks, one task each for the
 * thread pool; a task walks k in KC-sized steps, packs its MC×KC block of x into MR-row micro-panels (kept
 * in L2), and sweeps the NR-column panels (each KC×NR micro-panel stays in L1 while the MR-row panels of
 * x stream past it). Threads never split k.
 *
 * Bit-identity with reference/dense.c: every y element is accumulated over k in ascending order with a
 * separate multiply and add. The first k block starts its accumulators at 0.0f; later blocks reload the
 * partial sum the previous block stored in y, which carries it unchanged; the bias is added after the
 * last block. Tiles that stick out past `rows` or `out` run on a scratch tile (zero-padded inputs never
 * touch a real element) and only the real part is copied, so y's columns beyond `out` are never written.
 */
#include "gemm_kern.h"
#include "lrb_cpu.h"
#include "lrb_simd.h"

#include "../../reference/dense.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

LRB_CPU_DECLARE_KERN(lrb_gemm_kern, gemm);

/* Cache blocking for the AVX-512 tile (6×64): a KC×64 micro-panel of W (40 KiB at KC = 160) stays in
 * the 48 KiB L1 of Zen 5 while 6×KC panels of x stream past it from the MC×KC block (240 KiB at MC =
 * 384) in the 1 MiB L2. Tuned on the build machine (2048³: KC 128–192 and MC 384–768 within noise of
 * each other; MC 96–192 clearly slower); the narrower tiles of the other paths use the same sizes. */
#define GEMM_KC 160
#define GEMM_MC_TARGET 384
#define GEMM_TILE_MAX (16 * 64) /* mr·nr bound for the stack tile of the edges */

typedef struct gemm_ctx {
    const lrb_gemm_kern *kt;
    const float *x;
    int64_t rows, in, ldx;
    const float *w;    /* W (out, in) or K (in, out) */
    int kn;            /* 1: w is K (in, out) */
    float *bp;         /* packed W: panel p at bp + p·in·nr */
    const float *bias; /* padded to npan·nr floats, or NULL */
    float *y;
    int64_t out, ldy;
    int64_t mc, kc, nc; /* blocking (mc a multiple of mr, nc of nr) */
    int64_t nnb;        /* column blocks per row block */
    int64_t npan;       /* NR-column panels */
    int64_t pan_per_task;
    float *abufs; /* nslots scratch blocks of x, abuf_n floats each */
    int64_t abuf_n;
    atomic_int *slot_busy; /* one flag per block: at most nslots tasks run at once */
    int nslots;
} gemm_ctx;

static int64_t imin(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

static void *alloc_floats(int64_t n)
{
    /* 64-byte alignment: every packed micro-panel row is a whole number of vectors */
    size_t bytes = ((size_t)n * sizeof(float) + 63) & ~(size_t)63;
    return aligned_alloc(64, bytes ? bytes : 64);
}

/* ---- packing of W ------------------------------------------------------------------------------------- */

/* Panel p: dst[k·nr + j] = W[j0 + j, k] (or K[k, j0 + j]) for j < nj, 0 for the padding columns. */
static void pack_b_task(void *vctx, int64_t task)
{
    const gemm_ctx *g = vctx;
    const int64_t nr = g->kt->nr, in = g->in;
    const int64_t p0 = task * g->pan_per_task, p1 = imin(g->npan, p0 + g->pan_per_task);
    for (int64_t p = p0; p < p1; p++) {
        float *dst = g->bp + p * in * nr;
        const int64_t j0 = p * nr, nj = imin(nr, g->out - j0);
        if (g->kn) {
            /* K rows are contiguous over out: one copy per k */
            for (int64_t k = 0; k < in; k++) {
                memcpy(dst + k * nr, g->w + k * g->out + j0, (size_t)nj * sizeof(float));
                for (int64_t j = nj; j < nr; j++)
                    dst[k * nr + j] = 0.0f;
            }
        } else {
            /* a transpose: blocks of 16 k keep the nj source rows' lines and the destination in L1 */
            for (int64_t k0 = 0; k0 < in; k0 += 16) {
                const int64_t kn = imin(16, in - k0);
                for (int64_t j = 0; j < nj; j++) {
                    const float *src = g->w + (j0 + j) * in + k0;
                    /* nr rows read one line at a time: fetch each row's line after next */
                    if (k0 + 32 < in)
                        __builtin_prefetch(src + 32, 0, 3);
                    for (int64_t kk = 0; kk < kn; kk++)
                        dst[(k0 + kk) * nr + j] = src[kk];
                }
                for (int64_t kk = 0; kk < kn; kk++)
                    for (int64_t j = nj; j < nr; j++)
                        dst[(k0 + kk) * nr + j] = 0.0f;
            }
        }
    }
}

/* ---- packing of x ---------------------------------------------------------------------------------------- */

/* Rows i0 .. i0+mi−1, columns pc .. pc+kc−1 of x into MR-row micro-panels: panel q at dst + q·mr·kc,
 * dst[k·mr + i]; rows past mi are zeros. */
static void pack_a(const gemm_ctx *g, int64_t i0, int64_t mi, int64_t pc, int64_t kc, float *dst)
{
    const int64_t mr = g->kt->mr;
    for (int64_t ir = 0; ir < mi; ir += mr, dst += mr * kc) {
        const int64_t nrow = imin(mr, mi - ir);
        /* x comes from L3 or DRAM in short row pieces (kc floats each, ldx apart) that the hardware
         * prefetchers do not pick up: request the next panel's rows while this one is copied. */
        for (int64_t i = 0; i < imin(mr, mi - ir - mr); i++)
            for (int64_t k = 0; k < kc; k += 16)
                __builtin_prefetch(g->x + (i0 + ir + mr + i) * g->ldx + pc + k, 0, 3);
        g->kt->pack_a(g->x + (i0 + ir) * g->ldx + pc, g->ldx, nrow, kc, dst);
    }
}

/* ---- the blocks ------------------------------------------------------------------------------------------ */

static void gemm_task(void *vctx, int64_t task)
{
    const gemm_ctx *g = vctx;
    const lrb_gemm_kern *kt = g->kt;
    const int64_t mr = kt->mr, nr = kt->nr, in = g->in;
    const int64_t i0 = (task / g->nnb) * g->mc, mi = imin(g->mc, g->rows - i0);
    const int64_t j0 = (task % g->nnb) * g->nc, nj = imin(g->nc, g->out - j0);
    /* a free scratch block: no more tasks than threads run at once, so one is always free */
    int slot = 0;
    for (;; slot = (slot + 1) % g->nslots)
        if (!atomic_exchange(&g->slot_busy[slot], 1))
            break;
    float *abuf = g->abufs + (int64_t)slot * g->abuf_n;
    float tile[GEMM_TILE_MAX] __attribute__((aligned(64)));
    for (int64_t pc = 0; pc < in; pc += g->kc) {
        const int64_t kc = imin(g->kc, in - pc);
        const int first = pc == 0, last = pc + kc >= in;
        pack_a(g, i0, mi, pc, kc, abuf);
        for (int64_t jr = 0; jr < nj; jr += nr) {
            const int64_t ncol = imin(nr, nj - jr);
            const float *bpan = g->bp + ((j0 + jr) / nr) * in * nr + pc * nr;
            const float *bias = last && g->bias ? g->bias + j0 + jr : NULL;
            for (int64_t ir = 0; ir < mi; ir += mr) {
                const int64_t nrow = imin(mr, mi - ir);
                const float *apan = abuf + (ir / mr) * mr * kc;
                float *c = g->y + (i0 + ir) * g->ldy + j0 + jr;
                /* The partial sums of the next tile down come back from L2 or L3 in scattered rows that
                 * the hardware prefetchers do not predict: ask for them one micro-kernel call ahead. */
                if (!first && ir + mr < mi)
                    for (int64_t i = 0; i < imin(mr, mi - ir - mr); i++)
                        for (int64_t j = 0; j < ncol; j += 16)
                            __builtin_prefetch(c + (mr + i) * g->ldy + j, 1, 3);
                if (nrow == mr && ncol == nr) {
                    kt->micro(kc, apan, bpan, c, g->ldy, first, bias);
                    continue;
                }
                /* an edge tile: through the scratch tile, so nothing outside rows × out is read or written */
                if (!first)
                    for (int64_t i = 0; i < nrow; i++)
                        memcpy(tile + i * nr, c + i * g->ldy, (size_t)ncol * sizeof(float));
                kt->micro(kc, apan, bpan, tile, nr, first, bias);
                for (int64_t i = 0; i < nrow; i++)
                    memcpy(c + i * g->ldy, tile + i * nr, (size_t)ncol * sizeof(float));
            }
        }
    }
    atomic_store(&g->slot_busy[slot], 0);
}

/* The packing scratch of one call (packed W, padded bias, one block of x per thread) is one allocation,
 * kept for the next call: a fresh multi-megabyte buffer would be mapped anew every call and its page
 * faults and zeroing cost several per cent of a 2048³ product. One cached arena, taken and returned
 * with atomic exchanges, so concurrent callers each get their own (the loser of a race frees one). */
typedef struct arena {
    size_t n; /* floats in data */
    float *data;
} arena;

static _Atomic(arena *) arena_cache;

static arena *arena_take(size_t n)
{
    arena *a = atomic_exchange(&arena_cache, NULL);
    if (a && a->n >= n)
        return a;
    if (a) {
        free(a->data);
        free(a);
    }
    a = malloc(sizeof *a);
    if (!a)
        return NULL;
    a->n = n;
    a->data = alloc_floats((int64_t)n);
    if (!a->data) {
        free(a);
        return NULL;
    }
    return a;
}

static void arena_give(arena *a)
{
    arena *old = atomic_exchange(&arena_cache, a);
    if (old) {
        free(old->data);
        free(old);
    }
}

static void gemm(const float *x, int64_t rows, int64_t in, int64_t ldx, const float *w, int kn, const float *bias,
                 int64_t out, float *y, int64_t ldy)
{
    if (rows <= 0 || out <= 0)
        return;
    if (in <= 0) {
        /* the empty sum is 0.0f, then the bias */
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = 0; j < out; j++)
                y[i * ldy + j] = bias ? 0.0f + bias[j] : 0.0f;
        return;
    }
    gemm_ctx g = {.kt = LRB_CPU_KERN(gemm),
                  .x = x,
                  .rows = rows,
                  .in = in,
                  .ldx = ldx,
                  .w = w,
                  .kn = kn,
                  .y = y,
                  .out = out,
                  .ldy = ldy};
    const int64_t mr = g.kt->mr, nr = g.kt->nr;
    const int threads = lrb_cpu_threads();
    g.npan = ceil_div(out, nr);
    /* KC: the k range split into equal blocks of at most GEMM_KC (a short last block would pay the
     * reload of the partial sums for little work) */
    g.kc = ceil_div(in, ceil_div(in, GEMM_KC));
    /* MC: a multiple of mr near the target, shrunk for few rows */
    g.mc = imin(ceil_div(GEMM_MC_TARGET, mr) * mr, ceil_div(rows, mr) * mr);
    const int64_t nmb = ceil_div(rows, g.mc);
    /* Enough tasks for the dynamic schedule to balance (about 4 per thread): split the columns when the
     * row blocks alone are too few. Splitting repeats the packing of x, so only as far as needed. */
    int64_t nnb = 1;
    if (nmb < 4 * threads)
        nnb = imin(g.npan, ceil_div(4 * threads, nmb));
    g.nc = ceil_div(g.npan, nnb) * nr;
    g.nnb = ceil_div(out, g.nc);

    /* scratch: packed W, padded bias, one x block per thread (each rounded to whole cache lines) */
    const int64_t nb = g.npan * nr * in, nbias = bias ? ceil_div(g.npan * nr, 16) * 16 : 0;
    g.abuf_n = ceil_div(g.mc * g.kc, 16) * 16;
    g.nslots = threads;
    atomic_int *busy = calloc((size_t)threads, sizeof *busy);
    arena *ar = busy ? arena_take((size_t)(ceil_div(nb, 16) * 16 + nbias + g.nslots * g.abuf_n)) : NULL;
    if (!ar) {
        free(busy);
        if (kn)
            lrb_dense_rows_kn(x, rows, in, ldx, w, bias, out, y, ldy);
        else
            lrb_dense_rows(x, rows, in, ldx, w, bias, out, y, ldy);
        return;
    }
    g.bp = ar->data;
    float *pbias = bias ? g.bp + ceil_div(nb, 16) * 16 : NULL;
    g.abufs = g.bp + ceil_div(nb, 16) * 16 + nbias;
    g.slot_busy = busy;
    if (pbias) {
        memcpy(pbias, bias, (size_t)out * sizeof(float));
        for (int64_t j = out; j < g.npan * nr; j++)
            pbias[j] = 0.0f;
    }
    g.bias = pbias;

    /* packing W: a few panels per task */
    g.pan_per_task = ceil_div(g.npan, 4 * threads);
    lrb_cpu_parallel_for(ceil_div(g.npan, g.pan_per_task), pack_b_task, &g);
    lrb_cpu_parallel_for(nmb * g.nnb, gemm_task, &g);

    arena_give(ar);
    free(busy);
}

void lrb_simd_dense_rows(const float *x, int64_t rows, int64_t in, int64_t ldx, const float *W, const float *bias,
                         int64_t out, float *y, int64_t ldy)
{
    gemm(x, rows, in, ldx, W, 0, bias, out, y, ldy);
}

void lrb_simd_dense_rows_kn(const float *x, int64_t rows, int64_t in, int64_t ldx, const float *K, const float *bias,
                            int64_t out, float *y, int64_t ldy)
{
    gemm(x, rows, in, ldx, K, 1, bias, out, y, ldy);
}
