/*
 * layers.c — the simd backend's layers: lrb_simd_ops, the table of its kernels (scans, WKV-4, own
 * sgemm, LayerNorm, token shift, vector maps), and one entry point per layer, each the reference's
 * composition lrb_<layer>_run (reference/) over that table. With LRB_SEQ / LRB_DIRECT every kernel is
 * bit-identical to its reference twin, hence so is every layer: <layer>.simd.seq gives the bits of
 * <layer>.ref.seq. The parallel algorithms (logstep, chunked, ul) change only the recurrence.
 *
 * What is not fused: the elementwise steps between projection and scan (gates, exp, γ scaling) are
 * separate passes over the (B, L, width) activations, each vectorised and threaded. On the CPU these
 * passes cost a few percent of a layer, whose time is the projections' (PERFORMANCE.md §1.4).
 */
#include "lrb_simd.h"

#include "../../reference/lrb_ref.h"

const lrb_ops lrb_simd_ops = {
    .backend = "simd",
    .dense_rows = lrb_simd_dense_rows,
    .dense_rows_kn = lrb_simd_dense_rows_kn,
    .layernorm_rows = lrb_simd_layernorm_rows,
    .token_shift_mix = lrb_simd_token_shift_mix,
    .scan_real = lrb_simd_scan_real,
    .scan_complex = lrb_simd_scan_complex,
    .wkv4 = lrb_simd_wkv4,
    .exp_n = lrb_simd_exp_n,
    .sigmoid_n = lrb_simd_sigmoid_n,
    .tanh_n = lrb_simd_tanh_n,
};

/* clang-format off */
#define LRB_SIMD_LAYER(name) \
    int lrb_simd_layer_##name(const lrb_call *c, lrb_algo algo) { return lrb_##name##_run(c, algo, &lrb_simd_ops); }
/* clang-format on */

LRB_SIMD_LAYER(scan)
LRB_SIMD_LAYER(slru)
LRB_SIMD_LAYER(lru)
LRB_SIMD_LAYER(brwkv)
LRB_SIMD_LAYER(wkv4)
LRB_SIMD_LAYER(rwkv4_timemix)
LRB_SIMD_LAYER(rwkv4_channelmix)
LRB_SIMD_LAYER(rwkv4_block)
LRB_SIMD_LAYER(glru)
LRB_SIMD_LAYER(linear)
LRB_SIMD_LAYER(layernorm)
LRB_SIMD_LAYER(rnn_wrapper)
