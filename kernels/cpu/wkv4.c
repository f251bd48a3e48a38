/*
 * wkv4.c — driver of the simd WKV-4 (lrb_simd_wkv4, lrb_simd.h): validation as the reference lrb_wkv4,
 * the choice of channel blocks, threads, and the passes of the chunked schedule. The per-ISA building
 * blocks are in wkv4_isa.c (table in wkv4_kern.h).
 *
 *  - seq: one task per (batch row, channel block) runs the reference's stable loop over all of L; the
 *    lanes are the reference's channels bit for bit, on every ISA and thread count.
 *  - chunked: reduce–then–scan along L with a->chunk steps per chunk. Pass 1 computes every chunk's
 *    summary (the stable loop from the empty state, which is the reference's chunk-local inclusive
 *    summary bit for bit), pass 2 scans the summaries of each row with the log-space operator from the
 *    initial state (the reference's carry scan), pass 3 reruns the stable loop over each chunk from its
 *    exclusive carry, writing the outputs. Passes 1 and 3 are parallel over (row, block, chunk), so long
 *    sequences with few channels still use every thread; the chunks are fixed by a->chunk, so the result
 *    does not depend on the thread count. The final state is the last inclusive carry, as in the reference.
 *    Pass 3 differs from the reference's output step (which combines the carry with the local prefix), so
 *    chunked is judged against the float64 oracle like the reference's chunked.
 *  - ul: one task per (row, single channel vector), the reference's ul schedule within tiles of
 *    LRB_WKV4_UL_TILE steps joined by a carry.
 *  - logstep: one task per (row, group of channels), each channel scanned along L LRB_VW steps per
 *    vector (wkv4_isa.c); the steps of one channel are C floats apart, so they are gathered and
 *    scattered lane by lane: this variant exists to measure the in-register log-step, not to win.
 *  - LRB_BLELLOCH is not offered: LRB_EINVAL.
 * State aliasing as in the reference: a task reads the initial state of its channels before it writes
 * their final state, and no other task touches them.
 */
#include "lrb_cpu.h"
#include "lrb_simd.h"
#include "wkv4_kern.h"

#include <stdatomic.h>
#include <stdlib.h>

typedef struct {
    const lrb_wkv4_args *a;
    const lrb_wkv4_kern *k;
    int64_t gw, ng, nc;  /* block width (channels), blocks per row, chunks per row */
    float *sp, *sq, *sm; /* chunked: (B, nc, C) planes of summaries / carries */
    atomic_int err;
} wkv_ctx;

/* State of (row b, channels c0 .. c0+n−1) into st arrays: the given initial state or the empty one. */
static void load_init(const lrb_wkv4_args *a, int64_t b, int64_t c0, int64_t n, float *sp, float *sq, float *sm)
{
    for (int64_t i = 0; i < n; i++) {
        const int64_t s = b * a->C + c0 + i;
        sp[i] = a->aa0 ? a->aa0[s] : 0.0f;
        sq[i] = a->bb0 ? a->bb0[s] : 0.0f;
        sm[i] = a->pp0 ? a->pp0[s] : LRB_WKV4_PP_EMPTY;
    }
}

static void store_fin(const lrb_wkv4_args *a, int64_t b, int64_t c0, int64_t n, const float *sp, const float *sq,
                      const float *sm)
{
    for (int64_t i = 0; i < n; i++) {
        const int64_t s = b * a->C + c0 + i;
        if (a->aa)
            a->aa[s] = sp[i];
        if (a->bb)
            a->bb[s] = sq[i];
        if (a->pp)
            a->pp[s] = sm[i];
    }
}

#define MAXG (LRB_WKV4_NV * 16)

static int64_t block_len(const wkv_ctx *x, int64_t g)
{
    const int64_t c0 = g * x->gw;
    return x->a->C - c0 < x->gw ? x->a->C - c0 : x->gw;
}

static void seq_task(void *ctx, int64_t task)
{
    const wkv_ctx *x = ctx;
    const int64_t b = task / x->ng, g = task % x->ng, c0 = g * x->gw, n = block_len(x, g);
    float sp[MAXG], sq[MAXG], sm[MAXG];
    load_init(x->a, b, c0, n, sp, sq, sm);
    x->k->loop(x->a, b, c0, (int)n, 0, x->a->L, sp, sq, sm, 1);
    store_fin(x->a, b, c0, n, sp, sq, sm);
}

/* Channels per logstep task. */
#define LOGSTEP_GROUP 16

static void logstep_task(void *ctx, int64_t task)
{
    const wkv_ctx *x = ctx;
    const int64_t ng = (x->a->C + LOGSTEP_GROUP - 1) / LOGSTEP_GROUP;
    const int64_t b = task / ng, c0 = (task % ng) * LOGSTEP_GROUP;
    const int64_t n = x->a->C - c0 < LOGSTEP_GROUP ? x->a->C - c0 : LOGSTEP_GROUP;
    float sp[LOGSTEP_GROUP], sq[LOGSTEP_GROUP], sm[LOGSTEP_GROUP];
    load_init(x->a, b, c0, n, sp, sq, sm);
    for (int64_t i = 0; i < n; i++)
        x->k->logstep(x->a, b, c0 + i, sp + i, sq + i, sm + i);
    store_fin(x->a, b, c0, n, sp, sq, sm);
}

static void ul_task(void *ctx, int64_t task)
{
    wkv_ctx *x = ctx;
    const int64_t b = task / x->ng, g = task % x->ng, c0 = g * x->gw, n = block_len(x, g);
    float sp[MAXG], sq[MAXG], sm[MAXG];
    load_init(x->a, b, c0, n, sp, sq, sm);
    if (x->k->ul(x->a, b, c0, (int)n, sp, sq, sm) != LRB_OK) {
        atomic_store(&x->err, LRB_ENOMEM);
        return;
    }
    store_fin(x->a, b, c0, n, sp, sq, sm);
}

/* Chunked pass 1 (summary from the empty state) and pass 3 (outputs from the exclusive carry); task =
 * (b, g, ci) with ci fastest, so consecutive tasks walk one block along L. */
static void chunk_task(const wkv_ctx *x, int64_t task, int outputs)
{
    const lrb_wkv4_args *a = x->a;
    const int64_t ci = task % x->nc, bg = task / x->nc, b = bg / x->ng, g = bg % x->ng;
    const int64_t c0 = g * x->gw, n = block_len(x, g);
    const int64_t s0 = ci * a->chunk, end = s0 + a->chunk < a->L ? s0 + a->chunk : a->L;
    const int64_t off = (b * x->nc + ci) * a->C + c0;
    float *sp = x->sp + off, *sq = x->sq + off, *sm = x->sm + off;
    if (!outputs)
        for (int64_t i = 0; i < n; i++) {
            sp[i] = 0.0f;
            sq[i] = 0.0f;
            sm[i] = LRB_WKV4_PP_EMPTY;
        }
    x->k->loop(a, b, c0, (int)n, s0, end, sp, sq, sm, outputs);
}

static void reduce_task(void *ctx, int64_t task)
{
    chunk_task(ctx, task, 0);
}

static void out_task(void *ctx, int64_t task)
{
    chunk_task(ctx, task, 1);
}

static void carry_task(void *ctx, int64_t task)
{
    const wkv_ctx *x = ctx;
    const lrb_wkv4_args *a = x->a;
    const int64_t b = task / x->ng, g = task % x->ng, c0 = g * x->gw, n = block_len(x, g);
    float hp[MAXG], hq[MAXG], hm[MAXG];
    load_init(a, b, c0, n, hp, hq, hm);
    const int64_t off = b * x->nc * a->C + c0;
    x->k->carry(a, c0, (int)n, x->nc, x->sp + off, x->sq + off, x->sm + off, a->C, hp, hq, hm);
    store_fin(a, b, c0, n, hp, hq, hm);
}

int lrb_simd_wkv4(const lrb_wkv4_args *a, lrb_algo algo)
{
    if (!a || a->B < 1 || a->L < 1 || a->C < 1 || !a->w || !a->u || !a->k || !a->v || !a->wkv)
        return LRB_EINVAL;
    if (algo != LRB_SEQ && algo != LRB_UL && algo != LRB_CHUNKED && algo != LRB_LOGSTEP)
        return LRB_EINVAL;
    if (algo == LRB_CHUNKED && a->chunk < 1)
        return LRB_EINVAL;
    wkv_ctx x = {0};
    x.a = a;
    x.k = LRB_CPU_KERN(lrb_wkv4);
    atomic_init(&x.err, LRB_OK);
    const int64_t vw = x.k->vw, nvec = (a->C + vw - 1) / vw;
    /* Blocks of up to LRB_WKV4_NV vectors for latency hiding, narrowed while that would leave a thread
     * idle (block width never changes a lane's result). ul steps one vector at a time. */
    int64_t nv = algo == LRB_UL ? 1 : LRB_WKV4_NV;
    const int64_t par = algo == LRB_CHUNKED ? (a->L + a->chunk - 1) / a->chunk : 1;
    while (nv > 1 && a->B * ((nvec + nv - 1) / nv) * par < 2 * (int64_t)lrb_cpu_threads())
        nv /= 2;
    x.gw = nv * vw;
    x.ng = (a->C + x.gw - 1) / x.gw;
    const int64_t rows = a->B * x.ng;
    if (algo == LRB_SEQ) {
        lrb_cpu_parallel_for(rows, seq_task, &x);
        return LRB_OK;
    }
    if (algo == LRB_LOGSTEP) {
        lrb_cpu_parallel_for(a->B * ((a->C + LOGSTEP_GROUP - 1) / LOGSTEP_GROUP), logstep_task, &x);
        return LRB_OK;
    }
    if (algo == LRB_UL) {
        lrb_cpu_parallel_for(rows, ul_task, &x);
        return atomic_load(&x.err);
    }
    x.nc = par;
    const size_t plane = (size_t)a->B * (size_t)x.nc * (size_t)a->C;
    float *s = malloc(3 * plane * sizeof *s);
    if (!s)
        return LRB_ENOMEM;
    x.sp = s;
    x.sq = s + plane;
    x.sm = s + 2 * plane;
    lrb_cpu_parallel_for(rows * x.nc, reduce_task, &x);
    lrb_cpu_parallel_for(rows, carry_task, &x);
    lrb_cpu_parallel_for(rows * x.nc, out_task, &x);
    free(s);
    return LRB_OK;
}
