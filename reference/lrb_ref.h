/*
 * lrb_ref.h — entry points of the scalar reference backend, one per layer, in the one calling
 * convention of harness/lrb_call.h. These are what the registry (harness/registry.c) lists as
 * <layer>.ref.<algorithm>; each maps the call's named tensors onto the layer's typed code in
 * reference/<layer>.c. Recurrent layers accept LRB_SEQ, LRB_UL, LRB_BLELLOCH and LRB_CHUNKED
 * (glru with true_recurrence = 1: LRB_SEQ only); linear, layernorm and rwkv4_channelmix: LRB_DIRECT.
 */
#ifndef LRB_REF_H
#define LRB_REF_H

#include "../harness/lrb_call.h"
#include "lrb_ops.h"

int lrb_ref_scan(const lrb_call *c, lrb_algo algo);
int lrb_ref_slru(const lrb_call *c, lrb_algo algo);
int lrb_ref_lru(const lrb_call *c, lrb_algo algo);
int lrb_ref_brwkv(const lrb_call *c, lrb_algo algo);
int lrb_ref_wkv4(const lrb_call *c, lrb_algo algo);
int lrb_ref_rwkv4_timemix(const lrb_call *c, lrb_algo algo);
int lrb_ref_rwkv4_channelmix(const lrb_call *c, lrb_algo algo);
int lrb_ref_rwkv4_block(const lrb_call *c, lrb_algo algo);
int lrb_ref_glru(const lrb_call *c, lrb_algo algo);
int lrb_ref_linear(const lrb_call *c, lrb_algo algo);
int lrb_ref_layernorm(const lrb_call *c, lrb_algo algo);
int lrb_ref_rnn_wrapper(const lrb_call *c, lrb_algo algo);

/* The layers themselves: lrb_<layer>_run(call, algo, ops) composes the layer from the kernels of
 * `ops` (lrb_ops.h); lrb_ref_<layer> is lrb_<layer>_run with lrb_ref_ops, and every other backend's
 * entry point is the same function with its own table. algo is passed to the table's recurrence
 * (scan or WKV-4), which rejects an algorithm it does not offer with LRB_EINVAL. */
int lrb_scan_run(const lrb_call *c, lrb_algo algo, const lrb_ops *ops);
int lrb_slru_run(const lrb_call *c, lrb_algo algo, const lrb_ops *ops);
int lrb_lru_run(const lrb_call *c, lrb_algo algo, const lrb_ops *ops);
int lrb_brwkv_run(const lrb_call *c, lrb_algo algo, const lrb_ops *ops);
int lrb_wkv4_run(const lrb_call *c, lrb_algo algo, const lrb_ops *ops);
int lrb_rwkv4_timemix_run(const lrb_call *c, lrb_algo algo, const lrb_ops *ops);
int lrb_rwkv4_channelmix_run(const lrb_call *c, lrb_algo algo, const lrb_ops *ops);
int lrb_rwkv4_block_run(const lrb_call *c, lrb_algo algo, const lrb_ops *ops);
int lrb_glru_run(const lrb_call *c, lrb_algo algo, const lrb_ops *ops);
int lrb_linear_run(const lrb_call *c, lrb_algo algo, const lrb_ops *ops);
int lrb_layernorm_run(const lrb_call *c, lrb_algo algo, const lrb_ops *ops);
int lrb_rnn_wrapper_run(const lrb_call *c, lrb_algo algo, const lrb_ops *ops);

#endif
