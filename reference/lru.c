/*
 * lru.c — scalar float32 reference of bojone's LRU (`lru`, LAYERS.md §1.2), complex diagonal:
 *
 *     z_t = x_t·W_iᵀ + b_i (2U values);   ũ_t,j = z_t[re(j)] + i·z_t[im(j)]
 *     s_t = λ ⊙ s_{t−1} + ũ_t;   h_t = γ ⊙ s_t;   y_t = [Re h_t | Im h_t]·W_oᵀ + b_o
 *
 * with λ_j = exp(−ν_j)·(cos θ_j + i·sin θ_j), ν = exp(nu_log), θ = exp(theta_log), γ = exp(gamma_log),
 * the three computed once per call and channel in float32 (decision 6; λ itself is formed by the scan).
 * Layout (decision 2): planar, re(j) = j and im(j) = U + j; with `interleaved` the projection rows are
 * read in bert4keras order, re(j) = 2j and im(j) = 2j + 1: the rows of W_i and b_i are reordered into
 * planar order once per call, so that the projection, the scan and everything after them is the same
 * code for both. γ is applied to each time tile right after the scan wrote it (lrb_scan_fused). The
 * typed function lrb_lru_forward (bojone.h) is shared with rnn_wrapper.
 */
#include "bojone.h"
#include "dense.h"
#include "lrb_ref.h"
#include "scan.h"
#include "lrb_math.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int lrb_lru_forward(const lrb_ops *ops, const lrb_lru_params *p, int64_t B, int64_t L, const float *x, float *y,
                    const float *s0, float *s_last, lrb_algo algo, int64_t chunk)
{
    const int64_t H = p->H, U = p->U, W = 2 * p->U;
    if (!lrb_algo_is_recurrent(algo) || B < 1 || L < 1 || H < 1 || U < 1)
        return LRB_EINVAL;
    if (!p->wi || !p->wo || !p->params_log || !x || !y)
        return LRB_EINVAL;

    /* Scratch: the (B, L, 2U) planar projection, scanned in place; ν, θ, γ per channel; the final state
     * (B, 2U), so that s_last may alias s0; with `interleaved`, W_i and b_i with their rows in planar
     * order. */
    const size_t nz = (size_t)(B * L * W), nw = p->interleaved ? (size_t)(W * H + W) : 0;
    float *z = ops->scratch_alloc(nz + 3 * (size_t)U + (size_t)(B * W) + nw);
    if (!z)
        return LRB_ENOMEM;
    float *nu = z + nz, *theta = nu + U, *gamma = theta + U, *hl = gamma + U;
    const float *wi = p->wi, *bi = p->bi;
    if (p->interleaved) {
        /* Weight row 2j → j (real), 2j + 1 → U + j (imaginary). Each output element of a dense row is
         * computed independently, so projecting with the permuted rows is bit-identical to permuting
         * the projection's output, and costs O(U·H) once instead of a pass over the (B, L, 2U) output. */
        float *wp = hl + B * W, *bp = bi ? wp + W * H : NULL;
        for (int64_t j = 0; j < U; j++) {
            memcpy(wp + j * H, p->wi + 2 * j * H, (size_t)H * sizeof *wp);
            memcpy(wp + (U + j) * H, p->wi + (2 * j + 1) * H, (size_t)H * sizeof *wp);
            if (bp) {
                bp[j] = p->bi[2 * j];
                bp[U + j] = p->bi[2 * j + 1];
            }
        }
        wi = wp;
        bi = bp;
    }

    ops->dense_rows(x, B * L, H, H, wi, bi, W, z, W);
    for (int64_t j = 0; j < U; j++) {
        nu[j] = lrb_expf(p->params_log[j]);
        theta[j] = lrb_expf(p->params_log[U + j]);
        gamma[j] = lrb_expf(p->params_log[2 * U + j]);
    }

    const lrb_scan_args sa = {
        .B = B,
        .L = L,
        .D = U,
        .ld = W,
        .im_off = U,
        .b = z,
        .h = z,
        .a = NULL,
        .nu = nu,
        .theta = theta,
        .h0 = s0,
        .h_last = hl,
        .chunk = chunk,
    };
    const lrb_gamma_rows gain = {z, U, W, 2, gamma};
    int rc = lrb_scan_fused(ops, &sa, 1, algo, NULL, lrb_gamma_rows_fn, (void *)&gain, W * (int64_t)sizeof(float));
    if (rc == LRB_OK) {
        ops->dense_rows(z, B * L, W, W, p->wo, p->bo, H, y, H);
        if (s_last)
            memcpy(s_last, hl, (size_t)(B * W) * sizeof *hl);
    }
    ops->scratch_free(z);
    return rc;
}

int lrb_lru_run(const lrb_call *c, lrb_algo algo, const lrb_ops *ops)
{
    const lrb_lru_params p = {
        .H = lrb_cfg_int(c->cfg, "H"),
        .U = lrb_cfg_int(c->cfg, "U"),
        .interleaved = lrb_cfg_int(c->cfg, "interleaved") != 0,
        .wi = lrb_call_get(c, "i_dense.weight"),
        .bi = lrb_call_get(c, "i_dense.bias"),
        .wo = lrb_call_get(c, "o_dense.weight"),
        .bo = lrb_call_get(c, "o_dense.bias"),
        .params_log = lrb_call_get(c, "params_log"),
    };
    return lrb_lru_forward(ops, &p, lrb_cfg_int(c->cfg, "B"), lrb_cfg_int(c->cfg, "L"), lrb_call_get(c, "x"),
                           lrb_call_get(c, "y"), lrb_call_state_in(c, "s"), lrb_call_state_out(c, "s"), algo,
                           lrb_cfg_int(c->cfg, "chunk"));
}

int lrb_ref_lru(const lrb_call *c, lrb_algo algo)
{
    return lrb_lru_run(c, algo, &lrb_ref_ops);
}
