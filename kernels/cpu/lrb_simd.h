/*
 * lrb_simd.h — entry points of the `simd` backend (x86-64 AVX-512 / AVX2+FMA / portable, chosen at run
 * time, threads; see lrb_cpu.h). Two levels:
 *
 *  - kernels with the reference's typed signatures (reference/scan.h, wkv4.h, dense.h), which the
 *    layers compose: scans, WKV-4, dense projections (own sgemm), LayerNorm, token shift, and
 *    elementwise exp / sigmoid / tanh over arrays;
 *  - one lrb_variant_fn per layer (what the registry lists as <layer>.simd.<algorithm>).
 *
 * Bit-identity contract (DESIGN.md §6): with LRB_SEQ (LRB_DIRECT for layers without a recurrence)
 * every function here returns exactly the bits of its reference twin, on every ISA path and for
 * every thread count. The other algorithms reassociate and are judged against the float64 oracle.
 */
#ifndef LRB_SIMD_H_
#define LRB_SIMD_H_

#include "../../harness/lrb_call.h"
#include "../../reference/lrb_ops.h"
#include "../../reference/scan.h"
#include "../../reference/wkv4.h"

#include <stdint.h>

/* ---- scans (kernels/cpu/scan.c): same arguments and aliasing rules as lrb_scan_real/complex; algo is
 * LRB_SEQ, LRB_LOGSTEP, LRB_CHUNKED (threads along L; s->chunk is the chunk length) or LRB_UL. */
int lrb_simd_scan_real(const lrb_scan_args *s, lrb_algo algo);
int lrb_simd_scan_complex(const lrb_scan_args *s, lrb_algo algo);

/* ---- WKV-4 (kernels/cpu/wkv4.c): same arguments as lrb_wkv4. */
int lrb_simd_wkv4(const lrb_wkv4_args *a, lrb_algo algo);

/* ---- dense building blocks (kernels/cpu/gemm.c, dense.c): same contracts as reference/dense.h. */
void lrb_simd_dense_rows(const float *x, int64_t rows, int64_t in, int64_t ldx, const float *W, const float *bias,
                         int64_t out, float *y, int64_t ldy);
void lrb_simd_dense_rows_kn(const float *x, int64_t rows, int64_t in, int64_t ldx, const float *K, const float *bias,
                            int64_t out, float *y, int64_t ldy);
void lrb_simd_layernorm_rows(const float *x, int64_t rows, int64_t C, int64_t ldx, const float *weight,
                             const float *bias, float eps, float *y, int64_t ldy);
void lrb_simd_token_shift_mix(const float *x, int64_t B, int64_t L, int64_t C, const float *prev, const float *mu,
                              float *out);

/* ---- elementwise maps (kernels/cpu/vmath.c): y[i] = f(x[i]) for i < n, bit-identical to the scalar
 * functions of reference/lrb_math.h; y may equal x. */
void lrb_simd_exp_n(const float *x, float *y, int64_t n);
void lrb_simd_sigmoid_n(const float *x, float *y, int64_t n);
void lrb_simd_tanh_n(const float *x, float *y, int64_t n);

/* ---- the layers (kernels/cpu/layers.c): the reference's compositions (lrb_<layer>_run) over
 * lrb_simd_ops; what the registry lists as <layer>.simd.<algorithm>. */
extern const lrb_ops lrb_simd_ops;
int lrb_simd_layer_scan(const lrb_call *c, lrb_algo algo);
int lrb_simd_layer_slru(const lrb_call *c, lrb_algo algo);
int lrb_simd_layer_lru(const lrb_call *c, lrb_algo algo);
int lrb_simd_layer_brwkv(const lrb_call *c, lrb_algo algo);
int lrb_simd_layer_wkv4(const lrb_call *c, lrb_algo algo);
int lrb_simd_layer_rwkv4_timemix(const lrb_call *c, lrb_algo algo);
int lrb_simd_layer_rwkv4_channelmix(const lrb_call *c, lrb_algo algo);
int lrb_simd_layer_rwkv4_block(const lrb_call *c, lrb_algo algo);
int lrb_simd_layer_glru(const lrb_call *c, lrb_algo algo);
int lrb_simd_layer_linear(const lrb_call *c, lrb_algo algo);
int lrb_simd_layer_layernorm(const lrb_call *c, lrb_algo algo);
int lrb_simd_layer_rnn_wrapper(const lrb_call *c, lrb_algo algo);

#endif
