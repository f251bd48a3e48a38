/*
 * lrb_cuda_backend.h — the CUDA backend's entries for the registry (cuda_backend.c): one function per
 * layer with a recurrence, and linear, running the layer's composition with its projections and its scan or
 * WKV-4 stage on the GPU, and
 * the timing hook that returns the device time of those stages. Only the registry's CUDA build
 * (LRB_WITH_CUDA) includes this header.
 */
#ifndef LRB_CUDA_BACKEND_H
#define LRB_CUDA_BACKEND_H

#include "../../harness/registry.h"

int lrb_cuda_layer_scan(const lrb_call *c, lrb_algo algo);
int lrb_cuda_layer_slru(const lrb_call *c, lrb_algo algo);
int lrb_cuda_layer_lru(const lrb_call *c, lrb_algo algo);
int lrb_cuda_layer_brwkv(const lrb_call *c, lrb_algo algo);
int lrb_cuda_layer_wkv4(const lrb_call *c, lrb_algo algo);
int lrb_cuda_layer_rwkv4_timemix(const lrb_call *c, lrb_algo algo);
int lrb_cuda_layer_rwkv4_block(const lrb_call *c, lrb_algo algo);
int lrb_cuda_layer_glru(const lrb_call *c, lrb_algo algo);
int lrb_cuda_layer_rnn_wrapper(const lrb_call *c, lrb_algo algo);
int lrb_cuda_layer_linear(const lrb_call *c, lrb_algo algo);

/* lrb_timed_fn of the cuda variants: the summed device time (CUDA events) of n launches of each GPU stage
 * of one call, each after an untimed L2 flush when `flush`; operands are staged once, outside the timing.
 * *bytes: the minimal traffic of one launch of each stage, summed. */
int lrb_cuda_timed(const lrb_variant *v, const lrb_call *call, int64_t n, int flush, double *seconds, double *bytes);

#endif
