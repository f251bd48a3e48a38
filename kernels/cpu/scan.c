/*
 * scan.c — driver of the simd backend's scans (lrb_simd_scan_real / lrb_simd_scan_complex, see
 * lrb_simd.h): argument checks, constant-decay multipliers and power tables, the split of the work into
 * blocks and threads, and the control flow of each algorithm. The inner loops are the per-ISA kernels
 * of scan_isa.c (table in scan_kern.h). Built with baseline flags: only scalar bookkeeping here.
 *
 * Arguments, aliasing and return codes are those of lrb_scan_real/complex (reference/scan.h): h may
 * equal b, h_last may equal h0, a may share a buffer with h in other columns, and only the columns
 * d < D (and d + im_off) of h are written. Algorithms:
 *
 *  seq      Channels on the lanes, row by row along t (the rows of a block are contiguous, which the
 *           prefetchers stream at full bandwidth; walking a narrow stripe down L does not). Tasks are
 *           (batch row × channel block); blocks shrink until there are a few tasks per thread. Every
 *           channel sees the reference's operations in the reference's order, with λ = lrb_expf(−ν)
 *           computed here by the reference's expression, so the result is bit-identical to the
 *           reference seq for every ISA, block split and thread count.
 *  logstep  Time steps on the lanes: the L-contiguous real case (D = 1, ld = 1) loads vw steps of one
 *           chain per vector; any other layout scans tiles of vw rows × vw channels along the rows,
 *           which is lane for lane the arithmetic of a transposed tile without the transposes. Tasks
 *           are chains (batch rows, channel groups). Constant decay uses the reference power table.
 *  chunked  Chunks of s->chunk steps from t = 0 (independent of the thread count). Chunks are handled
 *           in groups whose data fit in cache (about 4 MB, the share of Zen 5's L3 that two cores
 *           use comfortably; pass 2 finds its chunk there whichever thread ran pass 1): pass 1 scans
 *           every chunk of the group from zero (tasks: chunk × batch row × channel block, so threads
 *           run along L when there are few chains) and records its decay product, the carries are
 *           propagated sequentially per chain, pass 2 adds π_t·H_{c−1}. The per-element order is the
 *           reference's chunked (power table, product order, carry order), so the result equals
 *           lrb_scan_*(…, LRB_CHUNKED) bit for bit, for any thread count.
 *  ul       Upper/Lower on tiles of UL_TILE rows × a channel block (in L2), the previous tile's last
 *           row folded into the next tile's first element the way the reference folds h0. For
 *           L ≤ UL_TILE this is the reference ul bit for bit; longer scans differ from it by rounding.
 */
#include "lrb_simd.h"
#include "lrb_math.h"
#include "scan_kern.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <math.h>

#define SEQ_MAXW 2048 /* widest seq block: one row of it stays in L1 for the next step */
#define UL_TILE 256   /* ul tile rows: 256 × 64 channels × (h, A) = 128 KB */
#define CHUNK_GROUP_BYTES (4 << 20)

static int args_ok(const lrb_scan_args *s, int cplx, lrb_algo algo)
{
    if (algo != LRB_SEQ && algo != LRB_LOGSTEP && algo != LRB_CHUNKED && algo != LRB_UL)
        return 0;
    return lrb_scan_args_ok(s, cplx) && (algo != LRB_CHUNKED || s->chunk >= 1);
}

static int64_t min64(int64_t x, int64_t y)
{
    return x < y ? x : y;
}

/* Everything a task needs; one per call, shared read-only by the tasks (except the failure flag). */
typedef struct scan_job {
    const lrb_scan_args *s;
    const lrb_scan_kern *K;
    int cplx;
    int64_t S;        /* floats per batch row of a state: D or 2D */
    int64_t bw, nblk; /* channel blocks: width and count */
    float *lam;       /* seq, constant decay: λ (complex: lr[D] then li[D]) */
    float *P;         /* power table rows 0..M: P[p·D + d], complex imaginary rows at P + (M+1)·D */
    int64_t M;
    /* chunked */
    int64_t c0, g, nc;
    float *prod, *Hp; /* per (chunk of the group, batch row): S floats each */
    atomic_int failed;
} scan_job;

/* Channel block width: up to maxw channels (a multiple of 16 but for the last block), halved while there
 * are fewer than 2 tasks per thread (none with one thread: wide rows stream best) and the blocks stay at
 * least minw wide. Any split gives the same bits: channels are independent. */
static void pick_blocks(scan_job *j, int64_t maxw, int64_t minw)
{
    const int threads = lrb_cpu_threads();
    const int64_t D = j->s->D, B = j->s->B, want = threads > 1 ? 2 * (int64_t)threads : 1;
    int64_t bw = D < maxw ? D : maxw;
    while (B * ((D + bw - 1) / bw) < want && bw / 2 >= minw) {
        const int64_t half = (bw / 2 + 15) / 16 * 16;
        if (half >= bw)
            break;
        bw = half;
    }
    j->bw = bw;
    j->nblk = (D + bw - 1) / bw;
}

/* The block of channels [d0, d0 + n) of batch row bi, rows t0 .. t0 + rows − 1. */
static lrb_scan_blk blk_at(const scan_job *j, int64_t bi, int64_t d0, int64_t n, int64_t t0, int64_t rows)
{
    const lrb_scan_args *s = j->s;
    const int64_t off = (bi * s->L + t0) * s->ld + d0;
    lrb_scan_blk k;
    memset(&k, 0, sizeof k);
    k.b = s->b + off;
    k.h = s->h + off;
    k.a = s->a ? s->a + off : NULL;
    k.ld = s->ld;
    k.im_off = s->im_off;
    k.rows = rows;
    k.n = n;
    k.P_ld = s->D;
    if (j->P) {
        k.P_r = j->P + d0;
        k.P_i = j->cplx ? j->P + (j->M + 1) * s->D + d0 : NULL;
    }
    return k;
}

/* Copies the final row of block (bi, d0, n) into h_last. */
static void store_last(const scan_job *j, int64_t bi, int64_t d0, int64_t n)
{
    const lrb_scan_args *s = j->s;
    if (!s->h_last)
        return;
    const float *row = s->h + (bi * s->L + s->L - 1) * s->ld + d0;
    memcpy(s->h_last + bi * j->S + d0, row, (size_t)n * sizeof(float));
    if (j->cplx)
        memcpy(s->h_last + bi * j->S + s->D + d0, row + s->im_off, (size_t)n * sizeof(float));
}

/* ------------------------------------------------------------------------------------------------ */
/* Power tables (constant decay): rows 0..M of the reference's table for every channel, transposed to
 * P[p·D + d] so that a kernel loads λ^p of consecutive channels as one vector. */

static void table_task(void *ctx, int64_t task)
{
    scan_job *j = ctx;
    const lrb_scan_args *s = j->s;
    const int64_t D = s->D, M = j->M, d0 = task * 16, nd = min64(16, D - d0);
    /* 16 channels at a time, so that each row p of the table is written as one 64-byte run */
    float *tmp = malloc(2 * 16 * (size_t)(M + 1) * sizeof *tmp);
    if (!tmp) {
        atomic_store(&j->failed, 1);
        return;
    }
    float *ti = tmp + 16 * (M + 1);
    for (int64_t c = 0; c < nd; c++)
        lrb_scan_power_table(s->nu[d0 + c], j->cplx ? &s->theta[d0 + c] : NULL, M, tmp + c * (M + 1),
                             j->cplx ? ti + c * (M + 1) : NULL);
    for (int64_t p = 0; p <= M; p++)
        for (int64_t c = 0; c < nd; c++) {
            j->P[p * D + d0 + c] = tmp[c * (M + 1) + p];
            if (j->cplx)
                j->P[(M + 1 + p) * D + d0 + c] = ti[c * (M + 1) + p];
        }
    free(tmp);
}

static int build_table(scan_job *j, int64_t M)
{
    const int64_t D = j->s->D;
    j->M = M;
    j->P = malloc((size_t)(M + 1) * (size_t)D * (j->cplx ? 2 : 1) * sizeof(float));
    if (!j->P)
        return LRB_ENOMEM;
    lrb_cpu_parallel_for((D + 15) / 16, table_task, j);
    return atomic_load(&j->failed) ? LRB_ENOMEM : LRB_OK;
}

/* ------------------------------------------------------------------------------------------------ */
/* seq                                                                                               */

static void seq_task(void *ctx, int64_t task)
{
    const scan_job *j = ctx;
    const lrb_scan_args *s = j->s;
    const int64_t bi = task / j->nblk, d0 = task % j->nblk * j->bw, n = min64(j->bw, s->D - d0);
    lrb_scan_blk k = blk_at(j, bi, d0, n, 0, s->L);
    if (!s->a) {
        k.lam_r = j->lam + d0;
        k.lam_i = j->cplx ? j->lam + s->D + d0 : NULL;
    }
    if (s->h0) {
        k.h0_r = s->h0 + bi * j->S + d0;
        k.h0_i = j->cplx ? k.h0_r + s->D : NULL;
    }
    if (j->cplx)
        j->K->seq_cplx(&k);
    else
        j->K->seq_real(&k);
    store_last(j, bi, d0, n);
}

static int run_seq(scan_job *j)
{
    const lrb_scan_args *s = j->s;
    const int64_t D = s->D;
    if (s->nu) {
        j->lam = malloc((size_t)D * (j->cplx ? 2 : 1) * sizeof(float));
        if (!j->lam)
            return LRB_ENOMEM;
        /* the reference's expressions (lrb_expf, libm's cosf/sinf), so that λ has the reference's bits */
        for (int64_t d = 0; d < D; d++) {
            if (j->cplx) {
                float e = lrb_expf(-s->nu[d]);
                j->lam[d] = e * cosf(s->theta[d]);
                j->lam[D + d] = e * sinf(s->theta[d]);
            } else {
                j->lam[d] = lrb_expf(-s->nu[d]);
            }
        }
    }
    pick_blocks(j, SEQ_MAXW, 256);
    lrb_cpu_parallel_for(s->B * j->nblk, seq_task, j);
    return LRB_OK;
}

/* ------------------------------------------------------------------------------------------------ */
/* logstep                                                                                           */

#define LOGSTEP_GROUP 4 /* vw-channel blocks per task */

static void logstep_task(void *ctx, int64_t task)
{
    const scan_job *j = ctx;
    const lrb_scan_args *s = j->s;
    const int64_t vw = j->K->vw;
    const int64_t bi = task / j->nblk, g0 = task % j->nblk * LOGSTEP_GROUP * vw;
    const int contig = !j->cplx && s->D == 1 && s->ld == 1;
    for (int64_t d0 = g0; d0 < min64(g0 + LOGSTEP_GROUP * vw, s->D); d0 += vw) {
        const int64_t n = min64(vw, s->D - d0);
        lrb_scan_blk k = blk_at(j, bi, d0, n, 0, s->L);
        if (s->h0) {
            k.h0_r = s->h0 + bi * j->S + d0;
            k.h0_i = j->cplx ? k.h0_r + s->D : NULL;
        }
        if (contig)
            j->K->logstep_contig(&k);
        else if (j->cplx)
            j->K->logstep_cplx(&k);
        else
            j->K->logstep_real(&k);
        store_last(j, bi, d0, n);
    }
}

static int run_logstep(scan_job *j)
{
    const lrb_scan_args *s = j->s;
    if (s->nu) {
        int rc = build_table(j, j->K->vw);
        if (rc)
            return rc;
    }
    const int64_t per_task = LOGSTEP_GROUP * j->K->vw;
    j->nblk = (s->D + per_task - 1) / per_task;
    lrb_cpu_parallel_for(s->B * j->nblk, logstep_task, j);
    return LRB_OK;
}

/* ------------------------------------------------------------------------------------------------ */
/* chunked                                                                                           */

/* Task → (chunk of the group ci, batch row bi, channel block d0, n). */
static void chunk_coords(const scan_job *j, int64_t task, int64_t *ci, int64_t *bi, int64_t *d0, int64_t *n)
{
    const int64_t per_chunk = j->s->B * j->nblk;
    *ci = task / per_chunk;
    *bi = task % per_chunk / j->nblk;
    *d0 = task % j->nblk * j->bw;
    *n = min64(j->bw, j->s->D - *d0);
}

static void chunk_pass1(void *ctx, int64_t task)
{
    const scan_job *j = ctx;
    const lrb_scan_args *s = j->s;
    int64_t ci, bi, d0, n;
    chunk_coords(j, task, &ci, &bi, &d0, &n);
    const int64_t t0 = (j->c0 + ci) * s->chunk;
    lrb_scan_blk k = blk_at(j, bi, d0, n, t0, min64(s->chunk, s->L - t0));
    k.copy_first = 1;
    if (s->a) {
        k.prod_r = j->prod + (ci * s->B + bi) * j->S + d0;
        k.prod_i = j->cplx ? k.prod_r + s->D : NULL;
    } else {
        /* the reference's chunked multiplies by P[1] inside a chunk */
        k.lam_r = k.P_r + s->D;
        k.lam_i = j->cplx ? k.P_i + s->D : NULL;
    }
    if (j->cplx)
        j->K->seq_cplx(&k);
    else
        j->K->seq_real(&k);
}

static void chunk_pass2(void *ctx, int64_t task)
{
    const scan_job *j = ctx;
    const lrb_scan_args *s = j->s;
    int64_t ci, bi, d0, n;
    chunk_coords(j, task, &ci, &bi, &d0, &n);
    if (j->c0 + ci == 0 && !s->h0)
        return; /* chunk 0 from the zero state is final after pass 1 */
    const int64_t t0 = (j->c0 + ci) * s->chunk;
    lrb_scan_blk k = blk_at(j, bi, d0, n, t0, min64(s->chunk, s->L - t0));
    k.h0_r = j->Hp + (ci * s->B + bi) * j->S + d0;
    k.h0_i = j->cplx ? k.h0_r + s->D : NULL;
    if (j->cplx)
        j->K->fix_cplx(&k);
    else
        j->K->fix_real(&k);
}

/* Carries of the chunks of the group, in chunk order per chain: Hp ← H_{c−1}, H ← Π_c·H + local_end,
 * the reference's order. H holds the running carry of every chain (S floats per batch row). */
static void chunk_carries(scan_job *j, float *H)
{
    const lrb_scan_args *s = j->s;
    const int64_t D = s->D, K = s->chunk;
    for (int64_t ci = 0; ci < j->g; ci++) {
        const int64_t c = j->c0 + ci, end = min64(c * K + K, s->L), len = end - c * K;
        for (int64_t bi = 0; bi < s->B; bi++) {
            const float *xe = s->h + (bi * s->L + end - 1) * s->ld;
            float *Hb = H + bi * j->S, *hp = j->Hp + (ci * s->B + bi) * j->S;
            memcpy(hp, Hb, (size_t)j->S * sizeof *hp);
            if (c == j->nc - 1)
                continue; /* the carry out of the last chunk is not used (h_last is its last row) */
            const float *pr = s->a ? j->prod + (ci * s->B + bi) * j->S : j->P + len * D;
            if (j->cplx) {
                const float *pi = s->a ? pr + D : j->P + (j->M + 1 + len) * D;
                for (int64_t d = 0; d < D; d++) {
                    const float cr = pr[d], ci_ = pi[d], hr = Hb[d], hi = Hb[D + d];
                    Hb[d] = cr * hr - ci_ * hi + xe[d];
                    Hb[D + d] = cr * hi + ci_ * hr + xe[s->im_off + d];
                }
            } else {
                for (int64_t d = 0; d < D; d++)
                    Hb[d] = pr[d] * Hb[d] + xe[d];
            }
        }
    }
}

static int run_chunked(scan_job *j)
{
    const lrb_scan_args *s = j->s;
    const int64_t K = s->chunk, nc = (s->L + K - 1) / K;
    if (s->nu) {
        /* rows 1..K for the fix-up and the chunk decays; a single chunk from the zero state needs only
         * λ = P[1] (the table costs (K + 1)·D double exponentials) */
        int rc = build_table(j, nc == 1 && !s->h0 ? 1 : min64(K, s->L));
        if (rc)
            return rc;
    }
    pick_blocks(j, 256, 256);
    /* Chunks per group: as many as fit the cache budget, at least enough for two tasks per thread. */
    const int64_t per_el = (s->a ? 3 : 2) * (int64_t)sizeof(float) * (j->cplx ? 2 : 1);
    const int64_t chunk_bytes = min64(K, s->L) * s->B * s->D * per_el;
    int64_t G = CHUNK_GROUP_BYTES / (chunk_bytes > 0 ? chunk_bytes : 1);
    const int64_t min_g = (2 * (int64_t)lrb_cpu_threads() + s->B * j->nblk - 1) / (s->B * j->nblk);
    if (G < min_g)
        G = min_g;
    if (G > nc)
        G = nc;
    if (G < 1)
        G = 1;
    const size_t st = (size_t)(s->B * j->S);
    float *H = malloc(st * sizeof *H);
    j->prod = malloc((size_t)G * st * sizeof(float));
    j->Hp = malloc((size_t)G * st * sizeof(float));
    if (!H || !j->prod || !j->Hp) {
        free(H);
        return LRB_ENOMEM;
    }
    /* H_{−1} = h0, read before anything is written (h_last may alias h0) */
    if (s->h0)
        memcpy(H, s->h0, st * sizeof *H);
    else
        memset(H, 0, st * sizeof *H);
    j->nc = nc;
    for (j->c0 = 0; j->c0 < nc; j->c0 += G) {
        j->g = min64(G, nc - j->c0);
        const int64_t ntask = j->g * s->B * j->nblk;
        lrb_cpu_parallel_for(ntask, chunk_pass1, j);
        chunk_carries(j, H);
        lrb_cpu_parallel_for(ntask, chunk_pass2, j);
    }
    free(H);
    for (int64_t bi = 0; bi < s->B; bi++)
        store_last(j, bi, 0, s->D);
    return LRB_OK;
}

/* ------------------------------------------------------------------------------------------------ */
/* ul                                                                                                */

static void ul_task(void *ctx, int64_t task)
{
    scan_job *j = ctx;
    const lrb_scan_args *s = j->s;
    const int64_t bi = task / j->nblk, d0 = task % j->nblk * j->bw, n = min64(j->bw, s->D - d0);
    const int64_t T = min64(UL_TILE, lrb_scan_pow2_ceil(s->L));
    float *work = NULL;
    if (s->a) {
        work = malloc((size_t)(T * n) * (j->cplx ? 2 : 1) * sizeof *work);
        if (!work) {
            atomic_store(&j->failed, 1);
            return;
        }
    }
    lrb_scan_blk k = blk_at(j, bi, d0, n, 0, s->L);
    k.tile = T;
    k.work = work;
    if (s->h0) {
        k.h0_r = s->h0 + bi * j->S + d0;
        k.h0_i = j->cplx ? k.h0_r + s->D : NULL;
    }
    if (j->cplx)
        j->K->ul_cplx(&k);
    else
        j->K->ul_real(&k);
    store_last(j, bi, d0, n);
    free(work);
}

static int run_ul(scan_job *j)
{
    const lrb_scan_args *s = j->s;
    const int64_t T = min64(UL_TILE, lrb_scan_pow2_ceil(s->L));
    if (s->nu) {
        int rc = build_table(j, T / 2 > 1 ? T / 2 : 1);
        if (rc)
            return rc;
    }
    pick_blocks(j, 4 * (int64_t)j->K->vw, (int64_t)j->K->vw);
    lrb_cpu_parallel_for(s->B * j->nblk, ul_task, j);
    return atomic_load(&j->failed) ? LRB_ENOMEM : LRB_OK;
}

/* ------------------------------------------------------------------------------------------------ */

static int run(const lrb_scan_args *s, lrb_algo algo, int cplx)
{
    if (!args_ok(s, cplx, algo))
        return LRB_EINVAL;
    scan_job j;
    memset(&j, 0, sizeof j);
    j.s = s;
    j.K = LRB_CPU_KERN(scan);
    j.cplx = cplx;
    j.S = cplx ? 2 * s->D : s->D;
    atomic_init(&j.failed, 0);
    int rc;
    switch (algo) {
    case LRB_SEQ:
        rc = run_seq(&j);
        break;
    case LRB_LOGSTEP:
        rc = run_logstep(&j);
        break;
    case LRB_CHUNKED:
        rc = run_chunked(&j);
        break;
    default:
        rc = run_ul(&j);
        break;
    }
    free(j.lam);
    free(j.P);
    free(j.prod);
    free(j.Hp);
    return rc;
}

int lrb_simd_scan_real(const lrb_scan_args *s, lrb_algo algo)
{
    return run(s, algo, 0);
}

int lrb_simd_scan_complex(const lrb_scan_args *s, lrb_algo algo)
{
    return run(s, algo, 1);
}
