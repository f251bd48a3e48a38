/*
 * linear.c — scalar reference of the `linear` layer (LAYERS.md §0.4, §7.1): y = x·Wᵀ + b over all
 * B·L rows, W stored (out, in) as in PyTorch, the bias present only with `bias` = 1. The arithmetic
 * is lrb_dense_rows (dense.c), the one Linear of the reference; this file only maps the call.
 */
#include "dense.h"
#include "lrb_ref.h"

int lrb_linear_run(const lrb_call *c, lrb_algo algo, const lrb_ops *ops)
{
    if (algo != LRB_DIRECT)
        return LRB_EINVAL;
    const int64_t B = lrb_cfg_int(c->cfg, "B"), L = lrb_cfg_int(c->cfg, "L");
    const int64_t in = lrb_cfg_int(c->cfg, "in"), out = lrb_cfg_int(c->cfg, "out");
    const float *W = lrb_call_get(c, "weight");
    const float *bias = lrb_call_get(c, "bias"); /* NULL when bias = 0 */
    const float *x = lrb_call_get(c, "x");
    float *y = lrb_call_get(c, "y");
    if (B < 1 || L < 1 || in < 1 || out < 1 || !W || !x || !y)
        return LRB_EINVAL;
    ops->dense_rows(x, B * L, in, in, W, bias, out, y, out);
    return LRB_OK;
}

int lrb_ref_linear(const lrb_call *c, lrb_algo algo)
{
    return lrb_linear_run(c, algo, &lrb_ref_ops);
}
