/*
 * lrb_cuda.h — the CUDA backend's plain C interface (DESIGN.md §5.2): C code includes this header and
 * never a .cuh. It holds the one checking macro every CUDA runtime call goes through, the device probe,
 * and the extern "C" launchers of the scan kernels (scan.cu: plain and glru's gated form) and the WKV-4
 * kernels (wkv4.cu), which work on device pointers in the layouts of reference/scan.h and reference/wkv4.h. The host
 * side that stages a layer call's tensors to the device and back is cuda_backend.c (lrb_cuda_ops, the registry
 * entries).
 */
#ifndef LRB_CUDA_H
#define LRB_CUDA_H

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Return codes of the launchers; the same values as LRB_OK, LRB_EINVAL and LRB_EDEVICE of lrb_call.h
 * (which .cu files do not include). */
#define LRB_CUDA_OK 0
#define LRB_CUDA_EINVAL 2
#define LRB_CUDA_EDEVICE 3

/* Every CUDA runtime and cuBLAS call is written LRB_CUDA_CHECK(call): it evaluates to 0 when the call
 * returned cudaSuccess (CUBLAS_STATUS_SUCCESS), and otherwise prints one line naming the error, the call,
 * file and line on stderr and evaluates to non-zero. The status type picks the error names (_Generic in C,
 * overloads in C++); the call is evaluated once. */
int lrb_cuda_check_(int err, const char *call, const char *file, int line);
int lrb_cublas_check_(int status, const char *call, const char *file, int line);
#ifndef __cplusplus
#define LRB_CUDA_CHECK(call)                                                                                           \
    _Generic((call), cublasStatus_t                                                                                    \
             : lrb_cublas_check_, default                                                                              \
             : lrb_cuda_check_)((int)(call), #call, __FILE__, __LINE__)
#endif

/* 1 when a CUDA device can be used by this process; otherwise 0 and *why (when why is non-NULL) says
 * why (no driver, no device, ...). The first call initialises the CUDA runtime: a process that forks
 * afterwards cannot use CUDA in the child (TOOLING.md §3.3). */
int lrb_cuda_available(const char **why);

/* One line about device 0 for report contexts: name, compute capability, SMs, L2, memory, driver and
 * runtime versions (empty when no device). */
void lrb_cuda_device_info(char *buf, size_t n);
/* The device-to-device copy bandwidth of device 0 in GB/s, counting read plus written bytes (the GPU
 * roofline of the benchmarks): the best of several cudaMemcpyAsync of 512 MiB timed with events; 0 on
 * failure. */
double lrb_cuda_copy_gbs(void);

/* A device block that only grows, kept between calls (cudaMalloc is far slower than a scan). A new block
 * starts zeroed in `stream` order, as a look-back workspace must (below). lrb_cuda_block_grow returns the
 * block, of at least `bytes`; NULL on a CUDA error, which leaves it empty. */
typedef struct lrb_cuda_block {
    void *p;
    size_t cap;
} lrb_cuda_block;
void *lrb_cuda_block_grow(lrb_cuda_block *b, size_t bytes, cudaStream_t stream);
void lrb_cuda_block_free(lrb_cuda_block *b);

/* The recurrence h_t = m_t ⊙ h_{t−1} + b_t on device memory, in the layout of reference/scan.h:
 * element (b, t, d) at [(b·L + t)·ld + d], complex planar with the imaginary part im_off floats later,
 * states (B, D) or (B, 2D) planar. m_t = a_t (data decay, a non-NULL) or the constant λ_d = exp(−ν_d)
 * (· (cos θ_d + i sin θ_d) when complex), which the kernels form in double precision from the float32
 * ν and θ. h may equal b. h0 (NULL: zeros) and h_last (may be NULL) are device pointers too. */
typedef struct lrb_cuda_scan {
    int64_t B, L, D, ld, im_off;
    int cplx;
    const float *b;
    float *h;
    const float *a;
    const float *nu, *theta;
    const float *h0;
    float *h_last;
} lrb_cuda_scan;

/* The algorithms of the CUDA scans (the lrb_algo values they stand for are mapped in cuda_backend.c);
 * LRB_CUDA_DIRECT: none, for a stage that is not a scan (the dense projections; the launchers reject it). */
typedef enum { LRB_CUDA_DIRECT = -1, LRB_CUDA_SEQ = 0, LRB_CUDA_UL, LRB_CUDA_CHUNKED } lrb_cuda_algo;

/* "seq", "ul", "chunked" (the last part of a variant's name); NULL for any other value */
const char *lrb_cuda_algo_name(lrb_cuda_algo algo);

/* Bytes of device workspace a launch needs (0 for seq and ul); `work` must hold that many bytes, aligned
 * to 256 (any cudaMalloc'd block), and be zeroed once before its first launch (cudaMemset). Each launch
 * that completes leaves its control words zero again, so one workspace serves every later launch on the
 * same stream whose size fits, of any kind and shape; launches that may overlap (other streams) need their
 * own. *control (when not NULL): how many leading bytes are control words (the look-back's tile counter and
 * flags); the rest is scratch, written before it is read. The checks read the control words back. */
size_t lrb_cuda_scan_workspace(const lrb_cuda_scan *s, lrb_cuda_algo algo, size_t *control);
/* Enqueues the scan on `stream`; returns LRB_CUDA_OK, LRB_CUDA_EINVAL (bad sizes) or LRB_CUDA_EDEVICE. */
int lrb_cuda_scan_launch(const lrb_cuda_scan *s, lrb_cuda_algo algo, void *work, cudaStream_t stream);

/* glru's gated scan (LAYERS.md §3.1) on device memory, fused: the pre-activations x (input), i, f (untied
 * only; NULL when tied, where f = 1 − σ(i)) and o of chain (b, d) at [(b·L + t)·ld + d] (ld ≥ D; the four
 * may be blocks of one row), the output y = tanh(h_t) ⊙ σ(o_t) at [(b·L + t)·ldy + d], where
 * h_t = f_t ⊙ h_{t−1} + tanh(x_t) ⊙ σ(i_t); h0 (NULL: zeros) and h_last (may be NULL) (B, D). The same
 * three algorithms as lrb_cuda_scan, whose kernels these are with the gates formed as the steps are loaded
 * and the output gate applied as they are stored. */
typedef struct lrb_cuda_glru {
    int64_t B, L, D, ld, ldy;
    int tied;
    const float *x, *i, *f, *o;
    float *y;
    const float *h0;
    float *h_last;
} lrb_cuda_glru;

size_t lrb_cuda_glru_workspace(const lrb_cuda_glru *g, lrb_cuda_algo algo, size_t *control);
int lrb_cuda_glru_launch(const lrb_cuda_glru *g, lrb_cuda_algo algo, void *work, cudaStream_t stream);

/* The dense projection y = x·Wᵀ + bias (kn = 0; W (out, in), PyTorch's layout) or y = x·K + bias (kn = 1;
 * K (in, out), flax's) on device memory, row-major: x (rows, in) in rows of ldx floats, y (rows, out) in rows
 * of ldy; bias may be NULL. cublasSgemm in fp32 (CUBLAS_DEFAULT_MATH) on the backend's stream and cuBLAS
 * handle (cuda_backend.c): y = bias ⊗ 1 first (a product of depth 1), then y += x·W. Returns LRB_CUDA_OK,
 * LRB_CUDA_EINVAL or LRB_CUDA_EDEVICE. */
int lrb_cuda_dense(const float *x, int64_t rows, int64_t in, int64_t ldx, const float *w, int kn, const float *bias,
                   int64_t out, float *y, int64_t ldy);

/* RWKV-4 WKV (LAYERS.md §2.4) on device memory, layout of reference/wkv4.h: k, v, wkv (B, L, C); w, u
 * (C), w = −exp(time_decay); the state (aa, bb, pp) in (B, C) each, aa0/bb0/pp0 all NULL for the empty
 * state; aa/bb/pp may be NULL. */
typedef struct lrb_cuda_wkv4 {
    int64_t B, L, C;
    const float *w, *u, *k, *v;
    float *wkv;
    const float *aa0, *bb0, *pp0;
    float *aa, *bb, *pp;
} lrb_cuda_wkv4;

size_t lrb_cuda_wkv4_workspace(const lrb_cuda_wkv4 *a, lrb_cuda_algo algo, size_t *control);
/* seq and chunked (ul is not offered for WKV-4: LRB_CUDA_EINVAL) */
int lrb_cuda_wkv4_launch(const lrb_cuda_wkv4 *a, lrb_cuda_algo algo, void *work, cudaStream_t stream);

#ifdef __cplusplus
}

inline int lrb_check_status_(cudaError_t e, const char *call, const char *file, int line)
{
    return lrb_cuda_check_((int)e, call, file, line);
}
inline int lrb_check_status_(cublasStatus_t s, const char *call, const char *file, int line)
{
    return lrb_cublas_check_((int)s, call, file, line);
}
#define LRB_CUDA_CHECK(call) lrb_check_status_((call), #call, __FILE__, __LINE__)
#endif

#endif
