/*
 * dense.c — the simd backend's LayerNorm (lrb_simd_layernorm_rows) and RWKV-4 token shift
 * (lrb_simd_token_shift_mix): drivers with baseline flags around the vector kernels of gemm_isa.c,
 * bit-identical to reference/dense.c on every ISA and thread count.
 *
 * LayerNorm's mean and deviation sums run sequentially over c within a row (that order is the
 * reference's), so vectors cannot run along c there without reassociating. They run across rows
 * instead: a group of LRB_VW rows is interleaved into a scratch (c-major, one row per lane) and the
 * three sums of every row are taken at once, each lane in its row's reference order. The output pass is
 * elementwise once a row's mean, correction and 1/σ are known, so it runs along c, row by row, in place
 * when y == x. Threads take groups of rows.
 *
 * The token shift is elementwise: vectors along c, threads over blocks of (b, t) rows.
 */
#include "gemm_kern.h"
#include "lrb_cpu.h"
#include "lrb_simd.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

LRB_CPU_DECLARE_KERN(lrb_gemm_kern, gemm);

#define LN_MAX_VW 16 /* widest vector: AVX-512 */

static int64_t imin(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* ---- LayerNorm ---------------------------------------------------------------------------------------- */

typedef struct ln_ctx {
    const lrb_gemm_kern *kt;
    const float *x;
    int64_t rows, C, ldx;
    const float *weight, *bias;
    float eps;
    float *y;
    int64_t ldy;
    int64_t groups_per_task; /* of vw rows */
} ln_ctx;

/* Pass 3 and the per-row scalars, exactly as lrb_layernorm_rows writes them. */
static void ln_finish(const ln_ctx *l, int64_t r, float mean, float sd, float ss)
{
    const float fc = (float)l->C;
    const float corr = sd / fc;
    float var = ss / fc - corr * corr;
    if (var < 0.0f)
        var = 0.0f;
    const float rstd = 1.0f / sqrtf(var + l->eps);
    l->kt->ln_apply(l->x + r * l->ldx, l->C, mean, corr, rstd, l->weight, l->bias, l->y + r * l->ldy);
}

/* The reference's statistics for one row (when the interleaving scratch cannot be had). */
static void ln_row_scalar(const ln_ctx *l, int64_t r)
{
    const float *xr = l->x + r * l->ldx;
    float sum = 0.0f;
    for (int64_t c = 0; c < l->C; c++)
        sum += xr[c];
    const float mean = sum / (float)l->C;
    float sd = 0.0f, ss = 0.0f;
    for (int64_t c = 0; c < l->C; c++) {
        const float d = xr[c] - mean;
        sd += d;
        ss += d * d;
    }
    ln_finish(l, r, mean, sd, ss);
}

static void ln_task(void *vctx, int64_t task)
{
    const ln_ctx *l = vctx;
    const int64_t vw = l->kt->vw, C = l->C;
    const int64_t r0 = task * l->groups_per_task * vw, r1 = imin(l->rows, r0 + l->groups_per_task * vw);
    float *t = malloc((size_t)C * (size_t)vw * sizeof(float));
    if (!t) {
        for (int64_t r = r0; r < r1; r++)
            ln_row_scalar(l, r);
        return;
    }
    for (int64_t g = r0; g < r1; g += vw) {
        const int64_t n = imin(vw, r1 - g);
        /* interleave the group's rows; missing lanes of the last group are zeros (never written back) */
        /* in blocks of 16 columns: the block's lines of the scratch (16·vw floats) stay in L1 while
         * the rows fill their lanes, where a whole-row pass would evict them between rows */
        for (int64_t c0 = 0; c0 < C; c0 += 16) {
            const int64_t c1 = imin(C, c0 + 16);
            for (int64_t i = 0; i < n; i++) {
                const float *xr = l->x + (g + i) * l->ldx;
                for (int64_t c = c0; c < c1; c++)
                    t[c * vw + i] = xr[c];
            }
            for (int64_t i = n; i < vw; i++)
                for (int64_t c = c0; c < c1; c++)
                    t[c * vw + i] = 0.0f;
        }
        float mean[LN_MAX_VW], sd[LN_MAX_VW], ss[LN_MAX_VW];
        l->kt->ln_stats(t, C, mean, sd, ss);
        for (int64_t i = 0; i < n; i++)
            ln_finish(l, g + i, mean[i], sd[i], ss[i]);
    }
    free(t);
}

void lrb_simd_layernorm_rows(const float *x, int64_t rows, int64_t C, int64_t ldx, const float *weight,
                             const float *bias, float eps, float *y, int64_t ldy)
{
    if (rows <= 0 || C <= 0)
        return;
    ln_ctx l = {.kt = LRB_CPU_KERN(gemm),
                .x = x,
                .rows = rows,
                .C = C,
                .ldx = ldx,
                .weight = weight,
                .bias = bias,
                .eps = eps,
                .y = y,
                .ldy = ldy};
    const int64_t vw = l.kt->vw, groups = (rows + vw - 1) / vw;
    /* about 4 tasks per thread, each at least a few groups so the scratch allocation is amortised */
    const int64_t threads = lrb_cpu_threads();
    l.groups_per_task = (groups + 4 * threads - 1) / (4 * threads);
    if (l.groups_per_task < 4)
        l.groups_per_task = 4;
    lrb_cpu_parallel_for((groups + l.groups_per_task - 1) / l.groups_per_task, ln_task, &l);
}

/* ---- token shift ----------------------------------------------------------------------------------------- */

typedef struct shift_ctx {
    const lrb_gemm_kern *kt;
    const float *x, *prev, *mu;
    int64_t L, C;
    float *out;
    int64_t rows_per_task; /* (b, t) rows */
    int64_t nrows;
} shift_ctx;

static void shift_task(void *vctx, int64_t task)
{
    const shift_ctx *s = vctx;
    const int64_t r0 = task * s->rows_per_task, r1 = imin(s->nrows, r0 + s->rows_per_task);
    for (int64_t r = r0; r < r1; r++) {
        const int64_t b = r / s->L, t = r % s->L;
        const float *xt = s->x + r * s->C;
        /* the previous token: in the sequence, or the carried state at t = 0 (0.0f without one) */
        const float *xp = t > 0 ? xt - s->C : (s->prev ? s->prev + b * s->C : NULL);
        s->kt->shift_row(xt, xp, s->mu, s->C, s->out + r * s->C);
    }
}

void lrb_simd_token_shift_mix(const float *x, int64_t B, int64_t L, int64_t C, const float *prev, const float *mu,
                              float *out)
{
    if (B <= 0 || L <= 0 || C <= 0)
        return;
    shift_ctx s = {
        .kt = LRB_CPU_KERN(gemm), .x = x, .prev = prev, .mu = mu, .L = L, .C = C, .out = out, .nrows = B * L};
    /* blocks of about 64 Ki elements: enough work per task to hide the hand-out */
    s.rows_per_task = (65536 + C - 1) / C;
    lrb_cpu_parallel_for((s.nrows + s.rows_per_task - 1) / s.rows_per_task, shift_task, &s);
}
