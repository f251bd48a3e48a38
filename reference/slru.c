/*
 * slru.c — scalar float32 reference of bojone's "simpler LRU" (`slru`, LAYERS.md §1.3):
 *
 *     z_t = x_t·W_iᵀ + b_i;   s_t = λ ⊙ s_{t−1} + z_t;   h_t = γ ⊙ s_t;   y_t = h_t·W_oᵀ + b_o
 *
 * with λ = exp(−exp(nu_log)) and γ = exp(gamma_log). As decision 6 prescribes, ν = expf(nu_log) and
 * γ = expf(gamma_log) are computed once per call and channel in float32; λ = expf(−ν) is formed by
 * the scan (reference/scan.h), which runs the recurrence with the requested algorithm. The typed
 * function lrb_slru_forward (bojone.h) is shared with rnn_wrapper.
 */
#include "bojone.h"
#include "dense.h"
#include "lrb_ref.h"
#include "scan.h"
#include "lrb_math.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void lrb_gamma_rows_fn(void *vctx, int64_t r0, int64_t n)
{
    const lrb_gamma_rows *c = vctx;
    for (int64_t r = r0; r < r0 + n; r++)
        for (int p = 0; p < c->parts; p++) {
            float *zp = c->z + r * c->ld + p * c->U;
            for (int64_t j = 0; j < c->U; j++)
                zp[j] *= c->gamma[j];
        }
}

int lrb_slru_forward(const lrb_ops *ops, const lrb_slru_params *p, int64_t B, int64_t L, const float *x, float *y,
                     const float *s0, float *s_last, lrb_algo algo, int64_t chunk)
{
    const int64_t H = p->H, U = p->U;
    if (!lrb_algo_is_recurrent(algo) || B < 1 || L < 1 || H < 1 || U < 1)
        return LRB_EINVAL;
    if (!p->wi || !p->wo || !p->params_log || !x || !y)
        return LRB_EINVAL;

    /* Scratch: the (B, L, U) projection, scanned in place; ν and γ per channel; the final state, which
     * goes through scratch so that s_last may be the same buffer as s0 whatever the scan algorithm. */
    const size_t nz = (size_t)(B * L * U);
    float *z = ops->scratch_alloc(nz + 2 * (size_t)U + (size_t)(B * U));
    if (!z)
        return LRB_ENOMEM;
    float *nu = z + nz, *gamma = nu + U, *hl = gamma + U;

    ops->dense_rows(x, B * L, H, H, p->wi, p->bi, U, z, U);
    for (int64_t j = 0; j < U; j++) {
        nu[j] = lrb_expf(p->params_log[j]);
        gamma[j] = lrb_expf(p->params_log[U + j]);
    }

    const lrb_scan_args sa = {
        .B = B,
        .L = L,
        .D = U,
        .ld = U,
        .im_off = 0,
        .b = z,
        .h = z,
        .a = NULL,
        .nu = nu,
        .theta = NULL,
        .h0 = s0,
        .h_last = hl,
        .chunk = chunk,
    };
    /* γ after the scan, as bojone does (equal to scaling the input, by linearity, but not bitwise). */
    const lrb_gamma_rows gain = {z, U, U, 1, gamma};
    int rc = lrb_scan_fused(ops, &sa, 0, algo, NULL, lrb_gamma_rows_fn, (void *)&gain, U * (int64_t)sizeof(float));
    if (rc == LRB_OK) {
        ops->dense_rows(z, B * L, U, U, p->wo, p->bo, H, y, H);
        if (s_last)
            memcpy(s_last, hl, (size_t)(B * U) * sizeof *hl);
    }
    ops->scratch_free(z);
    return rc;
}

int lrb_slru_run(const lrb_call *c, lrb_algo algo, const lrb_ops *ops)
{
    const lrb_slru_params p = {
        .H = lrb_cfg_int(c->cfg, "H"),
        .U = lrb_cfg_int(c->cfg, "U"),
        .wi = lrb_call_get(c, "i_dense.weight"),
        .bi = lrb_call_get(c, "i_dense.bias"),
        .wo = lrb_call_get(c, "o_dense.weight"),
        .bo = lrb_call_get(c, "o_dense.bias"),
        .params_log = lrb_call_get(c, "params_log"),
    };
    return lrb_slru_forward(ops, &p, lrb_cfg_int(c->cfg, "B"), lrb_cfg_int(c->cfg, "L"), lrb_call_get(c, "x"),
                            lrb_call_get(c, "y"), lrb_call_state_in(c, "s"), lrb_call_state_out(c, "s"), algo,
                            lrb_cfg_int(c->cfg, "chunk"));
}

int lrb_ref_slru(const lrb_call *c, lrb_algo algo)
{
    return lrb_slru_run(c, algo, &lrb_ref_ops);
}
