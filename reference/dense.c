/*
 * dense.c — float32 building blocks shared by every scalar reference layer (see dense.h): the
 * Linear in PyTorch (out, in) and flax (in, out) layouts, row LayerNorm, the sigmoid and the RWKV-4
 * token-shift mix.
 *
 * This is a reference, not a fast kernel: each output element is accumulated in float32 in one fixed
 * order (k ascending from 0.0f, bias added last), with multiply and add kept separate (the project
 * builds with -ffp-contract=off), so results are reproducible bit for bit across compilers and runs.
 * The loops are still arranged so that the innermost loop walks memory contiguously.
 */
#include "dense.h"

#include <math.h>
#include <stddef.h>

void lrb_dense_rows(const float *x, int64_t rows, int64_t in, int64_t ldx, const float *W, const float *bias,
                    int64_t out, float *y, int64_t ldy)
{
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * ldx;
        float *yr = y + r * ldy;
        for (int64_t j = 0; j < out; j++) {
            /* Row j of W is contiguous over `in`, as is the row of x: a dot product. */
            const float *wj = W + j * in;
            float acc = 0.0f;
            for (int64_t k = 0; k < in; k++)
                acc += xr[k] * wj[k];
            yr[j] = bias ? acc + bias[j] : acc;
        }
    }
}

void lrb_dense_rows_kn(const float *x, int64_t rows, int64_t in, int64_t ldx, const float *K, const float *bias,
                       int64_t out, float *y, int64_t ldy)
{
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * ldx;
        float *yr = y + r * ldy;
        /* K is contiguous over `out`, so the output row is the accumulator and k is the outer loop.
         * Every y[j] still sees the terms in order k = 0, 1, ..., in−1 starting from 0.0f, exactly the
         * sequence of lrb_dense_rows: the two layouts agree bit for bit. */
        for (int64_t j = 0; j < out; j++)
            yr[j] = 0.0f;
        for (int64_t k = 0; k < in; k++) {
            const float xk = xr[k];
            const float *kk = K + k * out;
            for (int64_t j = 0; j < out; j++)
                yr[j] += xk * kk[j];
        }
        if (bias)
            for (int64_t j = 0; j < out; j++)
                yr[j] += bias[j];
    }
}

void lrb_layernorm_rows(const float *x, int64_t rows, int64_t C, int64_t ldx, const float *weight, const float *bias,
                        float eps, float *y, int64_t ldy)
{
    const float fc = (float)C;
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * ldx;
        float *yr = y + r * ldy;
        /* Two passes over the row: the mean, then the deviations d = x − μ, never E[x²] − E[x]², which
         * cancels catastrophically when |μ| ≫ σ (the oracle is two-pass as well, LAYERS.md §6.1). The
         * second pass also sums d: that sum is the rounding error of the float32 mean (to first order,
         * the corrected two-pass algorithm of Chan, Golub and LeVeque), which otherwise shifts every
         * output by about u·|μ|/σ (2.4e−5 relative for rows drawn from U(100, 101)). */
        float sum = 0.0f;
        for (int64_t c = 0; c < C; c++)
            sum += xr[c];
        const float mean = sum / fc;
        float sd = 0.0f, ss = 0.0f;
        for (int64_t c = 0; c < C; c++) {
            const float d = xr[c] - mean;
            sd += d;
            ss += d * d;
        }
        const float corr = sd / fc;
        float var = ss / fc - corr * corr;
        if (var < 0.0f) /* rounding only: corr² ≤ ss/C mathematically */
            var = 0.0f;
        /* One reciprocal square root per row, then multiplies (as PyTorch's CPU kernel does); all reads
         * of the row happen in the two passes above or at the same index, so y may alias x. */
        const float rstd = 1.0f / sqrtf(var + eps);
        for (int64_t c = 0; c < C; c++) {
            /* x − μ is exact when x and μ are within a factor 2 of each other (Sterbenz), so the
             * correction is applied to the exact deviation. */
            float v = ((xr[c] - mean) - corr) * rstd;
            if (weight)
                v = v * weight[c];
            if (bias)
                v = v + bias[c];
            yr[c] = v;
        }
    }
}

void lrb_token_shift_mix(const float *x, int64_t B, int64_t L, int64_t C, const float *prev, const float *mu,
                         float *out)
{
    for (int64_t b = 0; b < B; b++) {
        for (int64_t t = 0; t < L; t++) {
            const float *xt = x + (b * L + t) * C;
            /* The previous token's row: in the sequence, or from the carried state at t = 0. */
            const float *xp = t > 0 ? xt - C : (prev ? prev + b * C : NULL);
            float *ot = out + (b * L + t) * C;
            for (int64_t c = 0; c < C; c++) {
                const float xbar = xp ? xp[c] : 0.0f;
                /* RL/CR order: x·μ + x̄·(1 − μ). */
                ot[c] = xt[c] * mu[c] + xbar * (1.0f - mu[c]);
            }
        }
    }
}
