/*
 * rnn_wrapper.c — scalar reference of the seed wrapper (`rnn_wrapper`, LAYERS.md §1.7, decision 4):
 * F independent bojone layers (`rnn` = lru, slru or brwkv, with H = U = C), one per frequency bin,
 * applied to x (B, C, F, T) with the intended mapping
 *
 *     y[b, :, f, :] = ( Layer_f( x[b, :, f, :]ᵀ ) )ᵀ      for every b and f,
 *
 * i.e. C is the feature axis and T the time axis. The PyTorch port mixes batch elements and
 * frequencies for B > 1; that bug is deliberately not reproduced.
 *
 * The call holds the F layers' parameters stacked, `rnn_layers.<name>` with a leading F axis, and the
 * states with F after the batch axis (s (B, F, 2C) for lru). For each f this file gathers x[:, :, f, :]
 * into a (B, T, C) scratch and the (B, ·) state slices, runs the inner layer's typed function from
 * bojone.h (the same code as lrb_ref_lru/slru/brwkv) on layer f's parameter slices, and scatters the
 * output and the final state back.
 */
#include "bojone.h"
#include "lrb_ref.h"

#include <stdlib.h>
#include <string.h>

enum { WRAP_LRU = 0, WRAP_SLRU = 1, WRAP_BRWKV = 2 }; /* the order of the `rnn` key's choices */

/* Slice f of a stacked parameter whose per-layer part has n elements (NULL stays NULL). */
static const float *slice(const float *stacked, int64_t f, int64_t n)
{
    return stacked ? stacked + f * n : NULL;
}

/* (B, F, W) → (B, W) for bin f, and back. */
static void gather_state(const float *src, int64_t B, int64_t F, int64_t W, int64_t f, float *dst)
{
    for (int64_t b = 0; b < B; b++)
        memcpy(dst + b * W, src + (b * F + f) * W, (size_t)W * sizeof *dst);
}
static void scatter_state(const float *src, int64_t B, int64_t F, int64_t W, int64_t f, float *dst)
{
    for (int64_t b = 0; b < B; b++)
        memcpy(dst + (b * F + f) * W, src + b * W, (size_t)W * sizeof *dst);
}

int lrb_rnn_wrapper_run(const lrb_call *c, lrb_algo algo, const lrb_ops *ops)
{
    const int64_t B = lrb_cfg_int(c->cfg, "B"), T = lrb_cfg_int(c->cfg, "L");
    const int64_t C = lrb_cfg_int(c->cfg, "C"), F = lrb_cfg_int(c->cfg, "F");
    const int64_t kind = lrb_cfg_int(c->cfg, "rnn"), chunk = lrb_cfg_int(c->cfg, "chunk");
    if (!lrb_algo_is_recurrent(algo) || B < 1 || T < 1 || C < 1 || F < 1)
        return LRB_EINVAL;
    if (kind != WRAP_LRU && kind != WRAP_SLRU && kind != WRAP_BRWKV)
        return LRB_EINVAL;
    const float *x = lrb_call_get(c, "x");
    float *y = lrb_call_get(c, "y");
    if (!x || !y)
        return LRB_EINVAL;

    /* Inner layer with H = U = C: widths of its projections and of its state s. */
    const int64_t U = C, H = C;
    const int64_t in_rows = kind == WRAP_LRU ? 2 * U : kind == WRAP_SLRU ? U : 3 * U;
    const int64_t out_cols = kind == WRAP_LRU ? 2 * U : U;
    const int64_t sw = kind == WRAP_LRU ? 2 * U : U;
    const char *in_w = kind == WRAP_BRWKV ? "rnn_layers.rkv_dense.weight" : "rnn_layers.i_dense.weight";
    const char *in_b = kind == WRAP_BRWKV ? "rnn_layers.rkv_dense.bias" : "rnn_layers.i_dense.bias";
    const float *wi = lrb_call_get(c, in_w), *bi = lrb_call_get(c, in_b);
    const float *wo = lrb_call_get(c, "rnn_layers.o_dense.weight"), *bo = lrb_call_get(c, "rnn_layers.o_dense.bias");
    const float *plog = lrb_call_get(c, "rnn_layers.params_log");
    const float *nu_log = lrb_call_get(c, "rnn_layers.nu_log"), *gamma_log = lrb_call_get(c, "rnn_layers.gamma_log");
    const float *s_in = lrb_call_state_in(c, "s"), *z_in = lrb_call_state_in(c, "z");
    float *s_out = lrb_call_state_out(c, "s"), *z_out = lrb_call_state_out(c, "z");
    if (!wi || !wo || (kind == WRAP_BRWKV ? (!nu_log || !gamma_log) : !plog))
        return LRB_EINVAL;

    /* Scratch: input and output of one bin (B, T, C), and the bin's state slices in and out. */
    const size_t nx = (size_t)(B * T * C), ns = (size_t)(B * sw);
    float *xs = ops->scratch_alloc(2 * nx + 4 * ns);
    if (!xs)
        return LRB_ENOMEM;
    float *ys = xs + nx, *s0 = ys + nx, *z0 = s0 + ns, *s1 = z0 + ns, *z1 = s1 + ns;

    int rc = LRB_OK;
    for (int64_t f = 0; f < F && rc == LRB_OK; f++) {
        /* x[b, c, f, t] is at ((b·C + c)·F + f)·T + t; the scratch is (b, t, c). */
        for (int64_t b = 0; b < B; b++)
            for (int64_t ch = 0; ch < C; ch++) {
                const float *src = x + ((b * C + ch) * F + f) * T;
                for (int64_t t = 0; t < T; t++)
                    xs[(b * T + t) * C + ch] = src[t];
            }
        if (s_in)
            gather_state(s_in, B, F, sw, f, s0);
        if (z_in)
            gather_state(z_in, B, F, U, f, z0);

        if (kind == WRAP_LRU) {
            const lrb_lru_params p = {
                .H = H,
                .U = U,
                .interleaved = 0,
                .wi = slice(wi, f, in_rows * H),
                .bi = slice(bi, f, in_rows),
                .wo = slice(wo, f, H * out_cols),
                .bo = slice(bo, f, H),
                .params_log = slice(plog, f, 3 * U),
            };
            rc = lrb_lru_forward(ops, &p, B, T, xs, ys, s_in ? s0 : NULL, s1, algo, chunk);
        } else if (kind == WRAP_SLRU) {
            const lrb_slru_params p = {
                .H = H,
                .U = U,
                .wi = slice(wi, f, in_rows * H),
                .bi = slice(bi, f, in_rows),
                .wo = slice(wo, f, H * out_cols),
                .bo = slice(bo, f, H),
                .params_log = slice(plog, f, 2 * U),
            };
            rc = lrb_slru_forward(ops, &p, B, T, xs, ys, s_in ? s0 : NULL, s1, algo, chunk);
        } else {
            const lrb_brwkv_params p = {
                .H = H,
                .U = U,
                .eps_den = 0.0f,
                .wrkv = slice(wi, f, in_rows * H),
                .brkv = slice(bi, f, in_rows),
                .wo = slice(wo, f, H * out_cols),
                .bo = slice(bo, f, H),
                .nu_log = slice(nu_log, f, U),
                .gamma_log = slice(gamma_log, f, U),
            };
            rc = lrb_brwkv_forward(ops, &p, B, T, xs, ys, s_in ? s0 : NULL, z_in ? z0 : NULL, s1, z1, algo, chunk);
        }
        if (rc != LRB_OK)
            break;

        for (int64_t b = 0; b < B; b++)
            for (int64_t ch = 0; ch < C; ch++) {
                float *dst = y + ((b * C + ch) * F + f) * T;
                for (int64_t t = 0; t < T; t++)
                    dst[t] = ys[(b * T + t) * C + ch];
            }
        if (s_out)
            scatter_state(s1, B, F, sw, f, s_out);
        if (z_out && kind == WRAP_BRWKV)
            scatter_state(z1, B, F, U, f, z_out);
    }
    ops->scratch_free(xs);
    return rc;
}

int lrb_ref_rnn_wrapper(const lrb_call *c, lrb_algo algo)
{
    return lrb_rnn_wrapper_run(c, algo, &lrb_ref_ops);
}
