/*
 * layers.c — the simd backend's layers: lrb_simd_ops, the table of its kernels (scans, WKV-4, own
 * sgemm, LayerNorm, token shift, vector maps), and one entry point per layer, each the reference's
 * composition lrb_<layer>_run (reference/) over that table. With LRB_SEQ / LRB_DIRECT every kernel is
 * bit-identical to its reference twin, hence so is every layer: <layer>.simd.seq gives the bits of
 * <layer>.ref.seq. The parallel algorithms (logstep, chunked, ul) change only the recurrence.
 *
 * What is not fused: the elementwise steps between projection and scan (gates, exp, γ scaling) are
 * separate passes over the (B, L, width) activations, each vectorised and threaded. On the CPU these
 * passes cost a few percent of a layer, whose time is the projections' (PERFORMANCE.md §1.4).
 */
#include "lrb_simd.h"

#include "lrb_cpu.h"

#include "../../reference/lrb_ref.h"

#include <pthread.h>
#include <stdlib.h>

/* Scratch blocks kept between calls: a layer's activations at H = U = 1024 on 32K tokens are hundreds of
 * MB, and fresh memory from the system costs a page fault per 4 KiB on first touch (about a tenth of such
 * a layer's time here). A few blocks, because layers nest (rwkv4_block holds its own scratch while its
 * time-mix takes one). Blocks stay allocated until the process ends. */
#define SCRATCH_SLOTS 8
static struct {
    float *p;
    size_t cap;
    int busy;
} slots[SCRATCH_SLOTS];
static pthread_mutex_t slots_mu = PTHREAD_MUTEX_INITIALIZER;

static float *simd_scratch_alloc(size_t n)
{
    pthread_mutex_lock(&slots_mu);
    int best = -1, empty = -1;
    for (int i = 0; i < SCRATCH_SLOTS; i++) {
        if (slots[i].busy)
            continue;
        if (slots[i].p && slots[i].cap >= n && (best < 0 || slots[i].cap < slots[best].cap))
            best = i;
        if (empty < 0 || slots[i].cap < slots[empty].cap)
            empty = i; /* the smallest free block is the one to replace */
    }
    float *p = NULL;
    if (best >= 0) {
        slots[best].busy = 1;
        p = slots[best].p;
    } else if (empty >= 0) {
        free(slots[empty].p);
        slots[empty].p = malloc(n * sizeof(float));
        slots[empty].cap = slots[empty].p ? n : 0;
        slots[empty].busy = slots[empty].p != NULL;
        p = slots[empty].p;
    } else {
        p = malloc(n * sizeof(float)); /* every slot busy: an unpooled block */
    }
    pthread_mutex_unlock(&slots_mu);
    return p;
}

static void simd_scratch_free(float *p)
{
    pthread_mutex_lock(&slots_mu);
    int i = 0;
    while (i < SCRATCH_SLOTS && slots[i].p != p)
        i++;
    if (i < SCRATCH_SLOTS)
        slots[i].busy = 0;
    else
        free(p);
    pthread_mutex_unlock(&slots_mu);
}

/* for_rows: fixed blocks of rows, one task each; the grouping cannot change a result (lrb_ops.h). */
typedef struct rows_job {
    lrb_rows_fn fn;
    void *ctx;
    int64_t rows;
} rows_job;

#define FOR_ROWS_BLOCK 16

static void rows_task(void *vctx, int64_t t)
{
    const rows_job *j = vctx;
    const int64_t r0 = t * FOR_ROWS_BLOCK;
    j->fn(j->ctx, r0, j->rows - r0 < FOR_ROWS_BLOCK ? j->rows - r0 : FOR_ROWS_BLOCK);
}

static void simd_for_rows(int64_t rows, lrb_rows_fn fn, void *ctx)
{
    rows_job j = {fn, ctx, rows};
    lrb_cpu_parallel_for((rows + FOR_ROWS_BLOCK - 1) / FOR_ROWS_BLOCK, rows_task, &j);
}

const lrb_ops lrb_simd_ops = {
    .backend = "simd",
    .dense_rows = lrb_simd_dense_rows,
    .dense_rows_kn = lrb_simd_dense_rows_kn,
    .layernorm_rows = lrb_simd_layernorm_rows,
    .token_shift_mix = lrb_simd_token_shift_mix,
    .scan_real = lrb_simd_scan_real,
    .scan_complex = lrb_simd_scan_complex,
    .wkv4 = lrb_simd_wkv4,
    .exp_n = lrb_simd_exp_n,
    .sigmoid_n = lrb_simd_sigmoid_n,
    .tanh_n = lrb_simd_tanh_n,
    .for_rows = simd_for_rows,
    .tile_bytes = LRB_FUSED_TILE_BYTES,
    .scratch_alloc = simd_scratch_alloc,
    .scratch_free = simd_scratch_free,
};

/* clang-format off */
#define LRB_SIMD_LAYER(name) \
    int lrb_simd_layer_##name(const lrb_call *c, lrb_algo algo) { return lrb_##name##_run(c, algo, &lrb_simd_ops); }
/* clang-format on */

LRB_SIMD_LAYER(scan)
LRB_SIMD_LAYER(slru)
LRB_SIMD_LAYER(lru)
LRB_SIMD_LAYER(brwkv)
LRB_SIMD_LAYER(wkv4)
LRB_SIMD_LAYER(rwkv4_timemix)
LRB_SIMD_LAYER(rwkv4_channelmix)
LRB_SIMD_LAYER(rwkv4_block)
LRB_SIMD_LAYER(glru)
LRB_SIMD_LAYER(linear)
LRB_SIMD_LAYER(layernorm)
LRB_SIMD_LAYER(rnn_wrapper)
