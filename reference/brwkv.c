/*
 * brwkv.c — scalar float32 reference of bojone's RWKV-like normalised linear RNN (`brwkv`,
 * LAYERS.md §1.4; not RWKV-4):
 *
 *     [r | k | v] = x_t·W_rkvᵀ + b_rkv;   r = σ(r);   e = exp(k);   kv = e ⊙ v
 *     S_t = λ ⊙ S_{t−1} + kv_t;   Z_t = λ ⊙ Z_{t−1} + e_t          (one scan over 2U channels)
 *     o_t = r_t ⊙ (S_t + γ ⊙ kv_t) / (Z_t + γ ⊙ e_t [+ eps_den]);   y_t = o_t·W_oᵀ + b_o
 *
 * with ν = expf(nu_log) (λ = expf(−ν), formed by the scan) and γ = expf(nu_log + gamma_log) − 1,
 * once per call and channel in float32 (decision 6). The formula is evaluated as written, with its
 * cancellation (the exclusive-sum rewrite is for optimised variants). Division follows decision 3:
 * exact, and the quotient is 0 where the denominator is exactly 0 (TensorFlow's divide_no_nan);
 * eps_den ≠ 0 is added to the denominator first, reproducing the PyTorch port with 1e−6.
 * The typed function lrb_brwkv_forward (bojone.h) is shared with rnn_wrapper.
 */
#include "bojone.h"
#include "dense.h"
#include "lrb_ref.h"
#include "scan.h"
#include "lrb_math.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct brwkv_rows {
    const lrb_ops *ops;
    float *rkv, *in, *sz;
    const float *gamma;
    int64_t U;
    float eps_den;
} brwkv_rows;

/* The scan input of rows r0.. : e = exp(k), kv = e ⊙ v. */
static void brwkv_in_rows(void *vctx, int64_t r0, int64_t n)
{
    const brwkv_rows *c = vctx;
    const int64_t U = c->U;
    for (int64_t r = r0; r < r0 + n; r++) {
        const float *k = c->rkv + r * 3 * U + U, *v = k + U;
        float *kv = c->in + r * 2 * U, *e = kv + U;
        c->ops->exp_n(k, e, U);
        for (int64_t j = 0; j < U; j++)
            kv[j] = e[j] * v[j];
    }
}

/* The output of rows r0.. into the r block: o = σ(r) ⊙ (S + γ ⊙ kv) / (Z + γ ⊙ e). */
static void brwkv_out_rows(void *vctx, int64_t r0, int64_t n)
{
    const brwkv_rows *c = vctx;
    const int64_t U = c->U;
    const float *gamma = c->gamma;
    for (int64_t r = r0; r < r0 + n; r++) {
        float *o = c->rkv + r * 3 * U; /* r block, overwritten by o */
        const float *kv = c->in + r * 2 * U, *e = kv + U, *S = c->sz + r * 2 * U, *Z = S + U;
        c->ops->sigmoid_n(o, o, U);
        for (int64_t j = 0; j < U; j++) {
            const float num = S[j] + gamma[j] * kv[j];
            float den = Z[j] + gamma[j] * e[j];
            if (c->eps_den != 0.0f)
                den = den + c->eps_den;
            const float q = den == 0.0f ? 0.0f : num / den;
            o[j] = o[j] * q; /* σ(o)·q */
        }
    }
}

int lrb_brwkv_forward(const lrb_ops *ops, const lrb_brwkv_params *p, int64_t B, int64_t L, const float *x, float *y,
                      const float *s0, const float *z0, float *s_last, float *z_last, lrb_algo algo, int64_t chunk)
{
    const int64_t H = p->H, U = p->U, U2 = 2 * p->U, U3 = 3 * p->U;
    if (!lrb_algo_is_recurrent(algo) || B < 1 || L < 1 || H < 1 || U < 1)
        return LRB_EINVAL;
    if (!p->wrkv || !p->wo || !p->nu_log || !p->gamma_log || !x || !y)
        return LRB_EINVAL;

    /* Scratch:
     *   rkv (B, L, 3U)  the projection [r | k | v]; later o overwrites the r block
     *   in  (B, L, 2U)  the scan input [kv | e], kept because the output step needs kv_t and e_t again
     *   sz  (B, L, 2U)  the scan output [S | Z]
     *   nu (2U, ν duplicated: both halves decay alike), gamma (U)
     *   h0, hl (B, 2U)  the initial state [s | z] and the final state, split into s_last, z_last */
    const size_t n3 = (size_t)(B * L * U3), n2 = (size_t)(B * L * U2), ns = (size_t)(B * U2);
    float *rkv = ops->scratch_alloc(n3 + 2 * n2 + (size_t)U2 + (size_t)U + 2 * ns);
    if (!rkv)
        return LRB_ENOMEM;
    float *in = rkv + n3, *sz = in + n2, *nu = sz + n2, *gamma = nu + U2, *h0 = gamma + U, *hl = h0 + ns;

    ops->dense_rows(x, B * L, H, H, p->wrkv, p->brkv, U3, rkv, U3);
    for (int64_t j = 0; j < U; j++) {
        nu[j] = lrb_expf(p->nu_log[j]);
        nu[U + j] = nu[j];
        gamma[j] = lrb_expf(p->nu_log[j] + p->gamma_log[j]) - 1.0f;
    }
    const float *h0p = NULL;
    if (s0 || z0) {
        /* One of the two may be absent (empty): its half starts from zero. */
        for (int64_t b = 0; b < B; b++)
            for (int64_t j = 0; j < U; j++) {
                h0[b * U2 + j] = s0 ? s0[b * U + j] : 0.0f;
                h0[b * U2 + U + j] = z0 ? z0[b * U + j] : 0.0f;
            }
        h0p = h0;
    }

    const lrb_scan_args sa = {
        .B = B,
        .L = L,
        .D = U2,
        .ld = U2,
        .im_off = 0,
        .b = in,
        .h = sz,
        .a = NULL,
        .nu = nu,
        .theta = NULL,
        .h0 = h0p,
        .h_last = hl,
        .chunk = chunk,
    };
    const brwkv_rows rows = {ops, rkv, in, sz, gamma, U, p->eps_den};
    int rc = lrb_scan_fused(ops, &sa, 0, algo, brwkv_in_rows, brwkv_out_rows, (void *)&rows,
                            (U3 + 2 * U2) * (int64_t)sizeof(float));
    if (rc == LRB_OK) {
        ops->dense_rows(rkv, B * L, U, U3, p->wo, p->bo, H, y, H);
        for (int64_t b = 0; b < B; b++) {
            if (s_last)
                memcpy(s_last + b * U, hl + b * U2, (size_t)U * sizeof *hl);
            if (z_last)
                memcpy(z_last + b * U, hl + b * U2 + U, (size_t)U * sizeof *hl);
        }
    }
    ops->scratch_free(rkv);
    return rc;
}

int lrb_brwkv_run(const lrb_call *c, lrb_algo algo, const lrb_ops *ops)
{
    const lrb_brwkv_params p = {
        .H = lrb_cfg_int(c->cfg, "H"),
        .U = lrb_cfg_int(c->cfg, "U"),
        .eps_den = (float)lrb_cfg_get(c->cfg, "eps_den"),
        .wrkv = lrb_call_get(c, "rkv_dense.weight"),
        .brkv = lrb_call_get(c, "rkv_dense.bias"),
        .wo = lrb_call_get(c, "o_dense.weight"),
        .bo = lrb_call_get(c, "o_dense.bias"),
        .nu_log = lrb_call_get(c, "nu_log"),
        .gamma_log = lrb_call_get(c, "gamma_log"),
    };
    return lrb_brwkv_forward(ops, &p, lrb_cfg_int(c->cfg, "B"), lrb_cfg_int(c->cfg, "L"), lrb_call_get(c, "x"),
                             lrb_call_get(c, "y"), lrb_call_state_in(c, "s"), lrb_call_state_in(c, "z"),
                             lrb_call_state_out(c, "s"), lrb_call_state_out(c, "z"), algo,
                             lrb_cfg_int(c->cfg, "chunk"));
}

int lrb_ref_brwkv(const lrb_call *c, lrb_algo algo)
{
    return lrb_brwkv_run(c, algo, &lrb_ref_ops);
}
