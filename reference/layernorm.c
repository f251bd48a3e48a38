/*
 * layernorm.c — scalar reference of the `layernorm` layer (LAYERS.md catalogue, §7.1): each of the
 * B·L rows of C values becomes (x − μ)/sqrt(σ² + eps)·weight + bias, μ and σ² the row's mean and
 * biased variance, computed in two passes in float32 by lrb_layernorm_rows (dense.c), which the
 * RWKV-4 block uses as well.
 */
#include "dense.h"
#include "lrb_ref.h"

int lrb_layernorm_run(const lrb_call *c, lrb_algo algo, const lrb_ops *ops)
{
    if (algo != LRB_DIRECT)
        return LRB_EINVAL;
    const int64_t B = lrb_cfg_int(c->cfg, "B"), L = lrb_cfg_int(c->cfg, "L"), C = lrb_cfg_int(c->cfg, "C");
    /* The key is a double; the reference adds it in float32, as a float32 framework would. */
    const float eps = (float)lrb_cfg_get(c->cfg, "eps");
    const float *w = lrb_call_get(c, "weight"), *b = lrb_call_get(c, "bias");
    const float *x = lrb_call_get(c, "x");
    float *y = lrb_call_get(c, "y");
    if (B < 1 || L < 1 || C < 1 || !w || !b || !x || !y)
        return LRB_EINVAL;
    ops->layernorm_rows(x, B * L, C, C, w, b, eps, y, C);
    return LRB_OK;
}

int lrb_ref_layernorm(const lrb_call *c, lrb_algo algo)
{
    return lrb_layernorm_run(c, algo, &lrb_ref_ops);
}
