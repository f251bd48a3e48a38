/*
 * dense.h — the shared float32 building blocks of the scalar reference layers: the Linear in
 * PyTorch layout (y = x·Wᵀ + b, W stored (out, in)) and in flax layout (y = x·K + b, K stored
 * (in, out)), LayerNorm over rows, the logistic sigmoid and RWKV-4's token-shift mix.
 *
 * These are the only places in reference/ where these operations are written; every layer calls
 * them, so a layer's operation order is defined here once. The order is part of the contract:
 * optimised "seq"/"direct" variants that claim bit-identity with the reference must reproduce it
 * (DESIGN.md §6: simd.seq is bit-identical to ref.seq). In particular a dense output element is
 *
 *     acc = 0.0f;  for k = 0 .. in−1:  acc = acc + x[k]·w[k]   (separate multiply and add, no FMA)
 *     y = acc + b                                              (bias added last, when present)
 *
 * in both layouts, so lrb_dense_rows(x, W) and lrb_dense_rows_kn(x, Wᵀ) give identical bits.
 *
 * Strides (ldx, ldy) are in floats and let a layer read or write a column block of a wider row.
 * Outputs must not overlap the inputs unless a function says otherwise.
 */
#ifndef LRB_DENSE_H
#define LRB_DENSE_H

#include "lrb_math.h"

#include <stdint.h>

/* y[r, j] = Σ_k x[r, k]·W[j, k] + bias[j] for r < rows, j < out. W is (out, in) row-major (PyTorch
 * nn.Linear); bias may be NULL. x row r starts at x + r·ldx, y row r at y + r·ldy. */
void lrb_dense_rows(const float *x, int64_t rows, int64_t in, int64_t ldx, const float *W, const float *bias,
                    int64_t out, float *y, int64_t ldy);

/* The same function with a flax/Keras kernel K stored (in, out) row-major: y = x·K + bias. The
 * summation order per output element is the same as lrb_dense_rows (k ascending, bias last). */
void lrb_dense_rows_kn(const float *x, int64_t rows, int64_t in, int64_t ldx, const float *K, const float *bias,
                       int64_t out, float *y, int64_t ldy);

/* LayerNorm of each row over its C values: y = (x − μ)·rstd·weight + bias, rstd = 1/sqrtf(σ² + eps),
 * σ² the biased variance. Two passes over the row: the float32 mean m, then d = x − m, summing d and
 * d²; Σd/C corrects the rounding error of m (corrected two-pass algorithm), so x − μ is evaluated as
 * (x − m) − Σd/C and σ² as Σd²/C − (Σd/C)². weight and bias may be NULL (gain 1, offset 0). y may
 * equal x (in place) when ldy == ldx. */
void lrb_layernorm_rows(const float *x, int64_t rows, int64_t C, int64_t ldx, const float *weight, const float *bias,
                        float eps, float *y, int64_t ldy);

/* The sigmoid, lrb_sigmoidf(z) = 1/(1 + lrb_expf(−z)), is defined in lrb_math.h (included above). */

/* RWKV-4 token shift (LAYERS.md §2.2, §2.3), for x (B, L, C) contiguous:
 *     out[b, t, c] = mu[c]·x[b, t, c] + (1 − mu[c])·x̄[b, t, c]
 * with x̄[b, t] = x[b, t−1] for t ≥ 1 and x̄[b, 0] = prev[b] (the state *_xx, (B, C)), or 0 when prev
 * is NULL (the empty state). out is (B, L, C) contiguous and must not overlap x. */
void lrb_token_shift_mix(const float *x, int64_t B, int64_t L, int64_t C, const float *prev, const float *mu,
                         float *out);

#endif
