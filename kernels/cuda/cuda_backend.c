/*
 * cuda_backend.c — the host side of the CUDA backend: the checking functions behind LRB_CUDA_CHECK, the
 * device probe, the cuBLAS handle, and lrb_cuda_ops, the kernel table (reference/lrb_ops.h) whose dense
 * projections (cuBLAS), scans, glru's gated scan and WKV-4 run on the GPU while the elementwise steps are
 * the simd backend's. A layer's composition is written once (reference/<layer>.c), so
 * `<layer>.cuda.<algorithm>` is that composition with those stages on the GPU: each stage uploads its
 * operands (only the columns of each row that it reads, packed), runs its kernels (scan.cu, wkv4.cu,
 * cublasSgemm), and downloads the result columns into the host layout.
 *
 * Timing (lrb_cuda_timed, the registry's lrb_timed_fn of the cuda variants): the variant runs as usual,
 * but each GPU stage, once its operands are on the device, is launched once untimed and then n times
 * between CUDA events (after an L2 flush that is not timed, when asked); the hook returns the summed
 * device time of the timed launches. For `scan` and `wkv4` that is the kernel alone, never the copies.
 */
#define _POSIX_C_SOURCE 200809L
#include "lrb_cuda.h"

#include "../../harness/nvtx.h"
#include "../../reference/lrb_ops.h"
#include "../../reference/lrb_ref.h"
#include "../cpu/lrb_simd.h"
#include "lrb_cuda_backend.h"

#include <cuda_runtime_api.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(LRB_CUDA_OK == LRB_OK && LRB_CUDA_EINVAL == LRB_EINVAL && LRB_CUDA_EDEVICE == LRB_EDEVICE,
               "lrb_cuda.h return codes must equal lrb_call.h's");

int lrb_cuda_check_(int err, const char *call, const char *file, int line)
{
    if (err == (int)cudaSuccess)
        return 0;
    fprintf(stderr, "lrb: CUDA error %s (%s) in %s at %s:%d\n", cudaGetErrorName((cudaError_t)err),
            cudaGetErrorString((cudaError_t)err), call, file, line);
    return 1;
}

int lrb_cublas_check_(int status, const char *call, const char *file, int line)
{
    if (status == (int)CUBLAS_STATUS_SUCCESS)
        return 0;
    fprintf(stderr, "lrb: cuBLAS error %s (%s) in %s at %s:%d\n", cublasGetStatusName((cublasStatus_t)status),
            cublasGetStatusString((cublasStatus_t)status), call, file, line);
    return 1;
}

int lrb_cuda_available(const char **why)
{
    static int probed, ok;
    static char reason[160];
    if (!probed) {
        int n = 0;
        const cudaError_t e = cudaGetDeviceCount(&n);
        /* without a driver this is cudaErrorInsufficientDriver, not "no device" (TOOLING.md §2.3) */
        if (e != cudaSuccess)
            snprintf(reason, sizeof reason, "no usable CUDA driver or device (%s)", cudaGetErrorName(e));
        else if (n < 1)
            snprintf(reason, sizeof reason, "no CUDA device");
        ok = e == cudaSuccess && n > 0;
        probed = 1;
    }
    if (!ok && why)
        *why = reason;
    return ok;
}

void lrb_cuda_device_info(char *buf, size_t n)
{
    struct cudaDeviceProp p;
    int drv = 0, rt = 0;
    if (n)
        buf[0] = '\0';
    if (!lrb_cuda_available(NULL) || LRB_CUDA_CHECK(cudaGetDeviceProperties(&p, 0)))
        return;
    LRB_CUDA_CHECK(cudaDriverGetVersion(&drv));
    LRB_CUDA_CHECK(cudaRuntimeGetVersion(&rt));
    snprintf(buf, n, "%s, sm_%d%d, %d SMs, L2 %d MiB, %.1f GiB, driver %d.%d, runtime %d.%d", p.name, p.major, p.minor,
             p.multiProcessorCount, p.l2CacheSize >> 20, (double)p.totalGlobalMem / (1 << 30), drv / 1000,
             drv % 1000 / 10, rt / 1000, rt % 1000 / 10);
}

/* ---- device buffers ---------------------------------------------------------------------------------------- */

void *lrb_cuda_block_grow(lrb_cuda_block *b, size_t bytes, cudaStream_t st)
{
    if (b->cap >= bytes)
        return b->p;
    lrb_cuda_block_free(b);
    void *p = NULL;
    if (LRB_CUDA_CHECK(cudaMalloc(&p, bytes)))
        return NULL;
    if (LRB_CUDA_CHECK(cudaMemsetAsync(p, 0, bytes, st))) {
        LRB_CUDA_CHECK(cudaFree(p));
        return NULL;
    }
    b->p = p;
    b->cap = bytes;
    return p;
}

void lrb_cuda_block_free(lrb_cuda_block *b)
{
    if (b->p)
        LRB_CUDA_CHECK(cudaFree(b->p));
    b->p = NULL;
    b->cap = 0;
}

/* The backend's blocks, one per role, on its stream (zeroed when they grow: the chunked scans' workspace
 * must be, and for the other roles it costs once per growth). */
enum { BUF_IN, BUF_DECAY, BUF_OUT, BUF_PAR, BUF_STATE, BUF_WORK, BUF_FLUSH, BUF_WEIGHT, BUF_ONES, NBUF };
static lrb_cuda_block bufs[NBUF];
static cudaStream_t stream;
static int stream_made;

static int ensure_stream(void)
{
    if (!stream_made) {
        if (LRB_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking)))
            return -1;
        stream_made = 1;
    }
    return 0;
}

static void *dev_buf(int role, size_t bytes)
{
    return ensure_stream() ? NULL : lrb_cuda_block_grow(&bufs[role], bytes ? bytes : 256, stream);
}

/* The cuBLAS handle of the process, created once (milliseconds: never inside a timed loop), bound to `stream`,
 * in CUBLAS_DEFAULT_MATH: fp32 products stay fp32 (TF32 would be a separately named variant, TOOLING.md §7). */
static cublasHandle_t blas;
static int blas_made;

static int ensure_blas(void)
{
    if (!blas_made) {
        if (ensure_stream() || LRB_CUDA_CHECK(cublasCreate(&blas)))
            return -1;
        blas_made = 1;
        if (LRB_CUDA_CHECK(cublasSetStream(blas, stream)) ||
            LRB_CUDA_CHECK(cublasSetMathMode(blas, CUBLAS_DEFAULT_MATH)))
            return -1;
    }
    return 0;
}

/* ---- timing ----------------------------------------------------------------------------------------------- */

/* Set by lrb_cuda_timed for the duration of one variant call. */
static struct {
    int active;
    int64_t n;
    int flush;
    double seconds;
    double bytes; /* the minimal traffic of one launch of each stage of the call, summed */
} timing;

/* An L2 flush: a memset of twice the L2 size on the stream, before the timed launch. */
static int flush_l2(void)
{
    int dev = 0, l2 = 0;
    if (LRB_CUDA_CHECK(cudaGetDevice(&dev)) || LRB_CUDA_CHECK(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, dev)))
        return -1;
    const size_t bytes = 2 * (size_t)(l2 > 0 ? l2 : 64 << 20);
    void *p = dev_buf(BUF_FLUSH, bytes);
    if (!p || LRB_CUDA_CHECK(cudaMemsetAsync(p, 0x5a, bytes, stream)))
        return -1;
    return 0;
}

typedef int (*stage_fn)(const void *args, lrb_cuda_algo algo, void *work);

const char *lrb_cuda_algo_name(lrb_cuda_algo algo)
{
    static const char *const names[] = {"seq", "ul", "chunked"};
    return algo >= LRB_CUDA_SEQ && algo <= LRB_CUDA_CHUNKED ? names[algo] : NULL;
}

/* The NVTX range of a stage: "<stage>.cuda.<algorithm>" (the kernels' own names), or "<stage>.cuda" for a
 * stage without algorithms (LRB_CUDA_DIRECT), so that Nsight can select it under the variant's range. */
static int launch_stage(const char *stage, stage_fn fn, const void *args, lrb_cuda_algo algo, void *work)
{
    char name[48];
    if (algo == LRB_CUDA_DIRECT)
        snprintf(name, sizeof name, "%s.cuda", stage);
    else
        snprintf(name, sizeof name, "%s.cuda.%s", stage, lrb_cuda_algo_name(algo));
    lrb_nvtx_push(name);
    const int rc = fn(args, algo, work);
    lrb_nvtx_pop();
    return rc;
}

/* Runs one GPU stage: once, or under lrb_cuda_timed once untimed and then timing.n times between events.
 * `bytes`: the minimal traffic of one launch, counted as lrb_cx_compute counts a layer's bytes_min
 * (parameters, inputs read, outputs written, the state twice), so that a stage's bandwidth reads like a
 * layer's. */
static int run_stage(const char *stage, stage_fn fn, const void *args, lrb_cuda_algo algo, void *work, double bytes)
{
    if (!timing.active)
        return launch_stage(stage, fn, args, algo, work);
    timing.bytes += bytes;
    int rc = launch_stage(stage, fn, args, algo, work); /* warm-up, also the result the call returns */
    if (rc != LRB_OK)
        return rc;
    cudaEvent_t e0, e1;
    if (LRB_CUDA_CHECK(cudaEventCreate(&e0)))
        return LRB_EDEVICE;
    if (LRB_CUDA_CHECK(cudaEventCreate(&e1))) {
        LRB_CUDA_CHECK(cudaEventDestroy(e0));
        return LRB_EDEVICE;
    }
    /* Warm: the n launches between one pair of events, queued back to back, so that the host's launch latency
     * is not timed as a gap before each (only once, before the first). Cold: a pair per launch after the
     * flush, whose memset keeps the GPU busy while the host queues the event and the launch. */
    const int64_t per_pair = timing.flush ? 1 : timing.n;
    for (int64_t i = 0; i < timing.n && rc == LRB_OK; i += per_pair) {
        if (timing.flush && flush_l2()) {
            rc = LRB_EDEVICE;
            break;
        }
        float ms = 0.0f;
        if (LRB_CUDA_CHECK(cudaEventRecord(e0, stream)))
            rc = LRB_EDEVICE;
        for (int64_t k = 0; k < per_pair && rc == LRB_OK; k++)
            rc = launch_stage(stage, fn, args, algo, work);
        if (rc == LRB_OK && (LRB_CUDA_CHECK(cudaEventRecord(e1, stream)) || LRB_CUDA_CHECK(cudaEventSynchronize(e1)) ||
                             LRB_CUDA_CHECK(cudaEventElapsedTime(&ms, e0, e1))))
            rc = LRB_EDEVICE;
        timing.seconds += 1e-3 * (double)ms;
    }
    LRB_CUDA_CHECK(cudaEventDestroy(e0));
    LRB_CUDA_CHECK(cudaEventDestroy(e1));
    return rc;
}

double lrb_cuda_copy_gbs(void)
{
    const size_t bytes = (size_t)512 << 20;
    void *src = NULL, *dst = NULL;
    cudaEvent_t e0 = NULL, e1 = NULL;
    double best = 0.0;
    if (ensure_stream() || LRB_CUDA_CHECK(cudaMalloc(&src, bytes)) || LRB_CUDA_CHECK(cudaMalloc(&dst, bytes)) ||
        LRB_CUDA_CHECK(cudaEventCreate(&e0)) || LRB_CUDA_CHECK(cudaEventCreate(&e1)) ||
        LRB_CUDA_CHECK(cudaMemsetAsync(src, 1, bytes, stream)))
        goto out;
    for (int r = 0; r < 11; r++) { /* the first pass warms up */
        float ms = 0.0f;
        if (LRB_CUDA_CHECK(cudaEventRecord(e0, stream)) ||
            LRB_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream)) ||
            LRB_CUDA_CHECK(cudaEventRecord(e1, stream)) || LRB_CUDA_CHECK(cudaEventSynchronize(e1)) ||
            LRB_CUDA_CHECK(cudaEventElapsedTime(&ms, e0, e1)))
            break;
        const double gbs = 2.0 * (double)bytes / (1e-3 * (double)ms) / 1e9;
        if (r > 0 && ms > 0.0f && gbs > best)
            best = gbs;
    }
out:
    if (e0)
        LRB_CUDA_CHECK(cudaEventDestroy(e0));
    if (e1)
        LRB_CUDA_CHECK(cudaEventDestroy(e1));
    if (src)
        LRB_CUDA_CHECK(cudaFree(src));
    if (dst)
        LRB_CUDA_CHECK(cudaFree(dst));
    return best;
}

/* ---- scans ------------------------------------------------------------------------------------------------ */

static int map_algo(lrb_algo algo, lrb_cuda_algo *out)
{
    switch (algo) {
    case LRB_SEQ:
        *out = LRB_CUDA_SEQ;
        return 1;
    case LRB_UL:
        *out = LRB_CUDA_UL;
        return 1;
    case LRB_CHUNKED:
        *out = LRB_CUDA_CHUNKED;
        return 1;
    default:
        return 0;
    }
}

/* Copies the D columns (and, complex, the D imaginary columns) of rows·ld host floats into a packed
 * device layout of ld' = D (2D), or back. */
static int copy_cols(float *dst, int64_t dld, int64_t dim, const float *src, int64_t sld, int64_t sim, int64_t rows,
                     int64_t D, int cplx, enum cudaMemcpyKind kind)
{
    const size_t w = (size_t)D * sizeof(float);
    if (LRB_CUDA_CHECK(cudaMemcpy2DAsync(dst, (size_t)dld * sizeof(float), src, (size_t)sld * sizeof(float), w,
                                         (size_t)rows, kind, stream)))
        return -1;
    if (cplx && LRB_CUDA_CHECK(cudaMemcpy2DAsync(dst + dim, (size_t)dld * sizeof(float), src + sim,
                                                 (size_t)sld * sizeof(float), w, (size_t)rows, kind, stream)))
        return -1;
    return 0;
}

static int scan_stage(const void *args, lrb_cuda_algo algo, void *work)
{
    return lrb_cuda_scan_launch((const lrb_cuda_scan *)args, algo, work, stream);
}

static int cuda_scan(const lrb_scan_args *s, lrb_algo algo, int cplx)
{
    lrb_cuda_algo ca;
    if (!map_algo(algo, &ca) || !lrb_scan_args_ok(s, cplx))
        return LRB_EINVAL;
    if (ensure_stream())
        return LRB_EDEVICE;
    const int64_t rows = s->B * s->L, D = s->D, w = cplx ? 2 * D : D, sw = cplx ? 2 * D : D;
    const size_t nseq = (size_t)(rows * w), nst = (size_t)(s->B * sw);
    /* device layout: rows of w floats (real part, then imaginary part), states as on the host; the output
     * has its own buffer, so that timed repetitions all scan the same input */
    float *d_in = dev_buf(BUF_IN, nseq * sizeof(float));
    float *d_out = dev_buf(BUF_OUT, nseq * sizeof(float));
    float *d_a = s->a ? dev_buf(BUF_DECAY, nseq * sizeof(float)) : NULL;
    float *d_par = dev_buf(BUF_PAR, 2 * (size_t)D * sizeof(float));
    float *d_st = dev_buf(BUF_STATE, 2 * nst * sizeof(float));
    if (!d_in || !d_out || (s->a && !d_a) || !d_par || !d_st)
        return LRB_EDEVICE;
    lrb_cuda_scan ds = {
        .B = s->B,
        .L = s->L,
        .D = D,
        .ld = w,
        .im_off = cplx ? D : 0,
        .cplx = cplx,
        .b = d_in,
        .h = d_out,
        .a = d_a,
        .nu = s->nu ? d_par : NULL,
        .theta = s->theta ? d_par + D : NULL,
        .h0 = s->h0 ? d_st : NULL,
        .h_last = s->h_last ? d_st + nst : NULL,
    };
    if (copy_cols(d_in, w, D, s->b, s->ld, s->im_off, rows, D, cplx, cudaMemcpyHostToDevice))
        return LRB_EDEVICE;
    if (s->a && copy_cols(d_a, w, D, s->a, s->ld, s->im_off, rows, D, cplx, cudaMemcpyHostToDevice))
        return LRB_EDEVICE;
    if (s->nu &&
        LRB_CUDA_CHECK(cudaMemcpyAsync(d_par, s->nu, (size_t)D * sizeof(float), cudaMemcpyHostToDevice, stream)))
        return LRB_EDEVICE;
    if (s->theta &&
        LRB_CUDA_CHECK(cudaMemcpyAsync(d_par + D, s->theta, (size_t)D * sizeof(float), cudaMemcpyHostToDevice, stream)))
        return LRB_EDEVICE;
    if (s->h0 && LRB_CUDA_CHECK(cudaMemcpyAsync(d_st, s->h0, nst * sizeof(float), cudaMemcpyHostToDevice, stream)))
        return LRB_EDEVICE;
    const size_t wb = lrb_cuda_scan_workspace(&ds, ca, NULL);
    void *work = wb ? dev_buf(BUF_WORK, wb) : NULL;
    if (wb && !work)
        return LRB_EDEVICE;
    const double floats = (double)(s->a ? 0 : cplx ? 2 * D : D) + (double)nseq * (s->a ? 3 : 2) + 2.0 * (double)nst;
    int rc = run_stage("scan", scan_stage, &ds, ca, work, 4.0 * floats);
    if (rc == LRB_OK && copy_cols(s->h, s->ld, s->im_off, d_out, w, D, rows, D, cplx, cudaMemcpyDeviceToHost))
        rc = LRB_EDEVICE;
    if (rc == LRB_OK && s->h_last &&
        LRB_CUDA_CHECK(cudaMemcpyAsync(s->h_last, d_st + nst, nst * sizeof(float), cudaMemcpyDeviceToHost, stream)))
        rc = LRB_EDEVICE;
    if (LRB_CUDA_CHECK(cudaStreamSynchronize(stream)))
        rc = LRB_EDEVICE;
    return rc;
}

static int cuda_scan_real(const lrb_scan_args *s, lrb_algo algo)
{
    return cuda_scan(s, algo, 0);
}

static int cuda_scan_complex(const lrb_scan_args *s, lrb_algo algo)
{
    return cuda_scan(s, algo, 1);
}

/* ---- WKV-4 ------------------------------------------------------------------------------------------------ */

static int wkv4_stage(const void *args, lrb_cuda_algo algo, void *work)
{
    return lrb_cuda_wkv4_launch((const lrb_cuda_wkv4 *)args, algo, work, stream);
}

static int cuda_wkv4(const lrb_wkv4_args *a, lrb_algo algo)
{
    lrb_cuda_algo ca;
    if (!a || !map_algo(algo, &ca) || ca == LRB_CUDA_UL || a->B < 1 || a->L < 1 || a->C < 1)
        return LRB_EINVAL;
    if (!a->w || !a->u || !a->k || !a->v || !a->wkv)
        return LRB_EINVAL;
    if (ensure_stream())
        return LRB_EDEVICE;
    const size_t n = (size_t)(a->B * a->L * a->C), ns = (size_t)(a->B * a->C), C = (size_t)a->C;
    float *d_in = dev_buf(BUF_IN, 2 * n * sizeof(float));     /* k | v */
    float *d_out = dev_buf(BUF_OUT, n * sizeof(float));       /* wkv */
    float *d_par = dev_buf(BUF_PAR, 2 * C * sizeof(float));   /* w | u */
    float *d_st = dev_buf(BUF_STATE, 6 * ns * sizeof(float)); /* aa0 bb0 pp0 | aa bb pp */
    if (!d_in || !d_out || !d_par || !d_st)
        return LRB_EDEVICE;
    const float *h_src[5] = {a->k, a->v, a->w, a->u, NULL};
    float *d_dst[4] = {d_in, d_in + n, d_par, d_par + C};
    const size_t cnt[4] = {n, n, C, C};
    for (int i = 0; i < 4; i++)
        if (LRB_CUDA_CHECK(cudaMemcpyAsync(d_dst[i], h_src[i], cnt[i] * sizeof(float), cudaMemcpyHostToDevice, stream)))
            return LRB_EDEVICE;
    const float *st0[3] = {a->aa0, a->bb0, a->pp0};
    for (int i = 0; i < 3; i++)
        if (st0[i] && LRB_CUDA_CHECK(cudaMemcpyAsync(d_st + (size_t)i * ns, st0[i], ns * sizeof(float),
                                                     cudaMemcpyHostToDevice, stream)))
            return LRB_EDEVICE;
    lrb_cuda_wkv4 da = {
        .B = a->B,
        .L = a->L,
        .C = a->C,
        .w = d_par,
        .u = d_par + C,
        .k = d_in,
        .v = d_in + n,
        .wkv = d_out,
        .aa0 = a->aa0 ? d_st : NULL,
        .bb0 = a->bb0 ? d_st + ns : NULL,
        .pp0 = a->pp0 ? d_st + 2 * ns : NULL,
        .aa = a->aa ? d_st + 3 * ns : NULL,
        .bb = a->bb ? d_st + 4 * ns : NULL,
        .pp = a->pp ? d_st + 5 * ns : NULL,
    };
    const size_t wb = lrb_cuda_wkv4_workspace(&da, ca, NULL);
    void *work = wb ? dev_buf(BUF_WORK, wb) : NULL;
    if (wb && !work)
        return LRB_EDEVICE;
    int rc = run_stage("wkv4", wkv4_stage, &da, ca, work, 4.0 * (2.0 * (double)C + 3.0 * (double)n + 6.0 * (double)ns));
    if (rc == LRB_OK &&
        LRB_CUDA_CHECK(cudaMemcpyAsync(a->wkv, d_out, n * sizeof(float), cudaMemcpyDeviceToHost, stream)))
        rc = LRB_EDEVICE;
    float *st1[3] = {a->aa, a->bb, a->pp};
    for (int i = 0; i < 3 && rc == LRB_OK; i++)
        if (st1[i] && LRB_CUDA_CHECK(cudaMemcpyAsync(st1[i], d_st + (size_t)(3 + i) * ns, ns * sizeof(float),
                                                     cudaMemcpyDeviceToHost, stream)))
            rc = LRB_EDEVICE;
    if (LRB_CUDA_CHECK(cudaStreamSynchronize(stream)))
        rc = LRB_EDEVICE;
    return rc;
}

/* ---- dense projections (cuBLAS) --------------------------------------------------------------------------- */

/* y (rows × out, row-major, ld ldy) = x (rows × in, ld ldx) · Wᵀ (W: out × in, PyTorch's layout) or · K
 * (K: in × out, flax's), + bias, on device memory. Row-major products are column-major ones transposed
 * (TOOLING.md §7): cuBLAS computes yᵀ (out × rows) = op(W or K) · xᵀ with (m, n, k) = (out, rows, in), the
 * weight first, leading dimensions the row-major row lengths. The bias is a product of depth 1 first,
 * yᵀ = bias · 1ᵀ, which the main product then accumulates onto (β = 1). Rows go in blocks that fit
 * cuBLAS's int. */
#define DENSE_ROW_BLOCK ((int64_t)1 << 30)

typedef struct {
    const float *x, *w, *bias, *ones;
    float *y;
    int64_t rows, in, ldx, out, ldy;
    int kn;
} dense_args;

/* A device vector of at least n ones, grown and filled when a call needs more. */
static const float *dev_ones(int64_t n)
{
    static int64_t have;
    if (n > have) {
        float *d = dev_buf(BUF_ONES, (size_t)n * sizeof(float)), *h = malloc((size_t)n * sizeof *h);
        int bad = !d || !h;
        for (int64_t i = 0; !bad && i < n; i++)
            h[i] = 1.0f;
        /* on the backend's stream (ordered before the products that read it), complete before h is freed */
        bad = bad || LRB_CUDA_CHECK(cudaMemcpyAsync(d, h, (size_t)n * sizeof(float), cudaMemcpyHostToDevice, stream)) ||
              LRB_CUDA_CHECK(cudaStreamSynchronize(stream));
        free(h);
        if (bad)
            return NULL;
        have = n;
    }
    return bufs[BUF_ONES].p;
}

static int dense_stage(const void *args, lrb_cuda_algo algo, void *work)
{
    const dense_args *a = args;
    const float one = 1.0f, zero = 0.0f;
    (void)algo;
    (void)work;
    for (int64_t r0 = 0; r0 < a->rows; r0 += DENSE_ROW_BLOCK) {
        const int n = (int)(a->rows - r0 < DENSE_ROW_BLOCK ? a->rows - r0 : DENSE_ROW_BLOCK);
        float *y = a->y + r0 * a->ldy;
        if (a->bias && LRB_CUDA_CHECK(cublasSgemm(blas, CUBLAS_OP_N, CUBLAS_OP_N, (int)a->out, n, 1, &one, a->bias,
                                                  (int)a->out, a->ones, 1, &zero, y, (int)a->ldy)))
            return LRB_EDEVICE;
        if (LRB_CUDA_CHECK(cublasSgemm(blas, a->kn ? CUBLAS_OP_N : CUBLAS_OP_T, CUBLAS_OP_N, (int)a->out, n, (int)a->in,
                                       &one, a->w, (int)(a->kn ? a->out : a->in), a->x + r0 * a->ldx, (int)a->ldx,
                                       a->bias ? &one : &zero, y, (int)a->ldy)))
            return LRB_EDEVICE;
    }
    return LRB_OK;
}

int lrb_cuda_dense(const float *x, int64_t rows, int64_t in, int64_t ldx, const float *w, int kn, const float *bias,
                   int64_t out, float *y, int64_t ldy)
{
    if (!x || !w || !y || rows < 1 || in < 1 || out < 1 || in > 0x7fffffff || out > 0x7fffffff || ldx < in ||
        ldy < out || ldx > 0x7fffffff || ldy > 0x7fffffff)
        return LRB_EINVAL;
    const float *ones = NULL;
    if (ensure_blas() || (bias && !(ones = dev_ones(rows < DENSE_ROW_BLOCK ? rows : DENSE_ROW_BLOCK))))
        return LRB_EDEVICE;
    const dense_args a = {x, w, bias, ones, y, rows, in, ldx, out, ldy, kn};
    return dense_stage(&a, LRB_CUDA_DIRECT, NULL);
}

/* The projection of the kernel table: x and the weights go up (x packed to ld = in), the product comes back
 * into y's rows; `kn` selects the weight layout. */
static void cuda_dense(const float *x, int64_t rows, int64_t in, int64_t ldx, const float *W, const float *bias,
                       int64_t out, float *y, int64_t ldy, int kn)
{
    if (rows < 1 || in < 1 || out < 1 || in > 0x7fffffff || out > 0x7fffffff)
        return; /* the layers only ask for valid shapes; nothing to do for an empty one */
    const size_t nx = (size_t)(rows * in), ny = (size_t)(rows * out), nw = (size_t)(in * out);
    float *d_x = NULL, *d_y = NULL, *d_w = NULL;
    int rc = ensure_blas() ? LRB_EDEVICE : LRB_OK;
    if (rc == LRB_OK) {
        d_x = dev_buf(BUF_IN, nx * sizeof(float));
        d_y = dev_buf(BUF_OUT, ny * sizeof(float));
        d_w = dev_buf(BUF_WEIGHT, (nw + (size_t)out) * sizeof(float));
        if (!d_x || !d_y || !d_w)
            rc = LRB_EDEVICE;
    }
    if (rc == LRB_OK && (copy_cols(d_x, in, 0, x, ldx, 0, rows, in, 0, cudaMemcpyHostToDevice) ||
                         LRB_CUDA_CHECK(cudaMemcpyAsync(d_w, W, nw * sizeof(float), cudaMemcpyHostToDevice, stream)) ||
                         (bias && LRB_CUDA_CHECK(cudaMemcpyAsync(d_w + nw, bias, (size_t)out * sizeof(float),
                                                                 cudaMemcpyHostToDevice, stream)))))
        rc = LRB_EDEVICE;
    if (rc == LRB_OK) {
        const float *ones = bias ? dev_ones(rows < DENSE_ROW_BLOCK ? rows : DENSE_ROW_BLOCK) : NULL;
        const dense_args a = {d_x, d_w, bias ? d_w + nw : NULL, ones, d_y, rows, in, in, out, out, kn};
        const double bytes = 4.0 * ((double)nx + (double)nw + (bias ? (double)out : 0.0) + (double)ny);
        rc = bias && !ones ? LRB_EDEVICE : run_stage("dense", dense_stage, &a, LRB_CUDA_DIRECT, NULL, bytes);
    }
    if (rc == LRB_OK && copy_cols(y, ldy, 0, d_y, out, 0, rows, out, 0, cudaMemcpyDeviceToHost))
        rc = LRB_EDEVICE;
    if (LRB_CUDA_CHECK(cudaStreamSynchronize(stream)))
        rc = LRB_EDEVICE;
    /* the table's projections return nothing: a device failure leaves NaN, which every check rejects */
    if (rc != LRB_OK)
        for (int64_t r = 0; r < rows; r++)
            for (int64_t j = 0; j < out; j++)
                y[r * ldy + j] = NAN;
}

static void cuda_dense_rows(const float *x, int64_t rows, int64_t in, int64_t ldx, const float *W, const float *bias,
                            int64_t out, float *y, int64_t ldy)
{
    cuda_dense(x, rows, in, ldx, W, bias, out, y, ldy, 0);
}

static void cuda_dense_rows_kn(const float *x, int64_t rows, int64_t in, int64_t ldx, const float *K, const float *bias,
                               int64_t out, float *y, int64_t ldy)
{
    cuda_dense(x, rows, in, ldx, K, bias, out, y, ldy, 1);
}

/* ---- glru's gated scan ----------------------------------------------------------------------------------- */

static int glru_stage(const void *args, lrb_cuda_algo algo, void *work)
{
    return lrb_cuda_glru_launch((const lrb_cuda_glru *)args, algo, work, stream);
}

/* The pre-activation rows go up whole (the kernel reads the input, i, (f,) o blocks in place); y comes back
 * into block 0 of each row, as lrb_glru_scan_args asks. */
static int cuda_glru_scan(const lrb_glru_scan_args *g, lrb_algo algo)
{
    lrb_cuda_algo ca;
    if (!g || !map_algo(algo, &ca) || g->B < 1 || g->L < 1 || g->dh < 1 || !g->z)
        return LRB_EINVAL;
    if (ensure_stream())
        return LRB_EDEVICE;
    const int64_t rows = g->B * g->L, dh = g->dh, nd = (g->tied ? 3 : 4) * dh;
    const size_t nz = (size_t)(rows * nd), ny = (size_t)(rows * dh), ns = (size_t)(g->B * dh);
    float *d_z = dev_buf(BUF_IN, nz * sizeof(float));
    float *d_y = dev_buf(BUF_OUT, ny * sizeof(float));
    float *d_st = dev_buf(BUF_STATE, 2 * ns * sizeof(float));
    if (!d_z || !d_y || !d_st)
        return LRB_EDEVICE;
    const lrb_cuda_glru dg = {
        .B = g->B,
        .L = g->L,
        .D = dh,
        .ld = nd,
        .ldy = dh,
        .tied = g->tied,
        .x = d_z,
        .i = d_z + dh,
        .f = g->tied ? NULL : d_z + 2 * dh,
        .o = d_z + nd - dh,
        .y = d_y,
        .h0 = g->h0 ? d_st : NULL,
        .h_last = g->h_last ? d_st + ns : NULL,
    };
    if (LRB_CUDA_CHECK(cudaMemcpyAsync(d_z, g->z, nz * sizeof(float), cudaMemcpyHostToDevice, stream)))
        return LRB_EDEVICE;
    if (g->h0 && LRB_CUDA_CHECK(cudaMemcpyAsync(d_st, g->h0, ns * sizeof(float), cudaMemcpyHostToDevice, stream)))
        return LRB_EDEVICE;
    const size_t wb = lrb_cuda_glru_workspace(&dg, ca, NULL);
    void *work = wb ? dev_buf(BUF_WORK, wb) : NULL;
    if (wb && !work)
        return LRB_EDEVICE;
    int rc = run_stage("glru_scan", glru_stage, &dg, ca, work, 4.0 * ((double)nz + (double)ny + 2.0 * (double)ns));
    if (rc == LRB_OK && copy_cols(g->z, nd, 0, d_y, dh, 0, rows, dh, 0, cudaMemcpyDeviceToHost))
        rc = LRB_EDEVICE;
    if (rc == LRB_OK && g->h_last &&
        LRB_CUDA_CHECK(cudaMemcpyAsync(g->h_last, d_st + ns, ns * sizeof(float), cudaMemcpyDeviceToHost, stream)))
        rc = LRB_EDEVICE;
    if (LRB_CUDA_CHECK(cudaStreamSynchronize(stream)))
        rc = LRB_EDEVICE;
    return rc;
}

/* ---- the kernel table and the layer entry points --------------------------------------------------------- */

static lrb_ops cuda_ops;

static const lrb_ops *ops_table(void)
{
    if (!cuda_ops.backend) {
        cuda_ops = lrb_simd_ops;
        cuda_ops.backend = "cuda";
        cuda_ops.scan_real = cuda_scan_real;
        cuda_ops.scan_complex = cuda_scan_complex;
        cuda_ops.wkv4 = cuda_wkv4;
        cuda_ops.glru_scan = cuda_glru_scan;
        cuda_ops.dense_rows = cuda_dense_rows;
        cuda_ops.dense_rows_kn = cuda_dense_rows_kn;
        cuda_ops.tile_bytes = 0; /* one GPU call per scan, never time tiles */
    }
    return &cuda_ops;
}

#define LRB_CUDA_LAYER(name)                                                                                           \
    int lrb_cuda_layer_##name(const lrb_call *c, lrb_algo algo)                                                        \
    {                                                                                                                  \
        const char *why;                                                                                               \
        if (!lrb_cuda_available(&why)) {                                                                               \
            fprintf(stderr, "lrb: cuda backend: %s\n", why);                                                           \
            return LRB_EDEVICE;                                                                                        \
        }                                                                                                              \
        return lrb_##name##_run(c, algo, ops_table());                                                                 \
    }

LRB_CUDA_LAYER(scan)
LRB_CUDA_LAYER(slru)
LRB_CUDA_LAYER(lru)
LRB_CUDA_LAYER(brwkv)
LRB_CUDA_LAYER(wkv4)
LRB_CUDA_LAYER(rwkv4_timemix)
LRB_CUDA_LAYER(rwkv4_block)
LRB_CUDA_LAYER(glru)
LRB_CUDA_LAYER(rnn_wrapper)
LRB_CUDA_LAYER(linear)

int lrb_cuda_timed(const lrb_variant *v, const lrb_call *call, int64_t n, int flush, double *seconds, double *bytes)
{
    timing.active = 1;
    timing.n = n;
    timing.flush = flush;
    timing.seconds = 0.0;
    timing.bytes = 0.0;
    const int rc = v->fn(call, v->algo);
    timing.active = 0;
    *seconds = timing.seconds;
    *bytes = timing.bytes;
    return rc;
}
