/*
 * vmath.c — driver of the elementwise exp / sigmoid / tanh maps (lrb_simd.h): picks the ISA's table
 * (vmath_isa.c) and, for arrays large enough to pay for waking the pool, splits them into fixed blocks
 * handed to lrb_cpu_parallel_for. Every element is computed by the same lane-wise code whatever block
 * or thread it falls in, so the result does not depend on the thread count.
 */
#include "lrb_cpu.h"
#include "lrb_simd.h"
#include "vmath_kern.h"

/* Blocks of 16 Ki floats (64 KiB in, 64 KiB out): a few microseconds of work each, so dynamic hand-out
 * balances well, and a multiple of every LRB_VW so only the last block has a tail. Arrays below two
 * blocks run on the caller alone. */
#define VMATH_BLOCK ((int64_t)16384)

typedef struct {
    lrb_vmath_map_fn fn;
    const float *x;
    float *y;
    int64_t n;
} vmath_ctx;

static void vmath_task(void *ctx, int64_t task)
{
    const vmath_ctx *c = ctx;
    const int64_t i0 = task * VMATH_BLOCK;
    const int64_t len = c->n - i0 < VMATH_BLOCK ? c->n - i0 : VMATH_BLOCK;
    c->fn(c->x + i0, c->y + i0, len);
}

static void vmath_run(lrb_vmath_map_fn fn, const float *x, float *y, int64_t n)
{
    if (n <= 0)
        return;
    if (n < 2 * VMATH_BLOCK || lrb_cpu_threads() == 1) {
        fn(x, y, n);
        return;
    }
    vmath_ctx c = {fn, x, y, n};
    lrb_cpu_parallel_for((n + VMATH_BLOCK - 1) / VMATH_BLOCK, vmath_task, &c);
}

void lrb_simd_exp_n(const float *x, float *y, int64_t n)
{
    vmath_run(LRB_CPU_KERN(lrb_vmath)->exp_n, x, y, n);
}

void lrb_simd_sigmoid_n(const float *x, float *y, int64_t n)
{
    vmath_run(LRB_CPU_KERN(lrb_vmath)->sigmoid_n, x, y, n);
}

void lrb_simd_tanh_n(const float *x, float *y, int64_t n)
{
    vmath_run(LRB_CPU_KERN(lrb_vmath)->tanh_n, x, y, n);
}
