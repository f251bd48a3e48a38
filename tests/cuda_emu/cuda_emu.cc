/*
 * cuda_emu.cc — the CPU emulation of the CUDA execution model behind lrb_cuda_emu: lrb_gpu_check
 * (kernels/cuda/gpu_check.c) built with the whole CUDA backend — kernels (scan.cu, wkv4.cu compiled as host
 * C++ against the headers of this directory), staging and timing (cuda_backend.c), the registry's cuda
 * variants — on this emulated runtime. So on every build machine, GPU or not, CI checks the kernels' index
 * arithmetic, tiling, shuffle scans and Upper/Lower levels, look-back and WKV-4 operator on fresh random data,
 * and every cuda variant, staging included, on the golden set. It is not a GPU: LRB_EMU_SLOTS blocks run at
 * once, each on blockDim.x host threads that meet at real barriers for __syncthreads, __syncwarp and the warp's votes
 * and shuffles (block slot s runs blocks s, s + LRB_EMU_SLOTS, ...), "device" memory is host memory, and the arithmetic
 * is the host's (without the GPU's FMA contraction choices). Concurrent blocks make the look-back of the chunked
 * kernels meet predecessors that are still running (it spins on them, or walks past their aggregates), as
 * on a GPU, though with a handful of blocks rather than hundreds. The values the look-back passes between
 * blocks (__stcg/__ldcg) live in a weak memory that holds stores back until their writer fences and serves
 * loads not fenced after a flag with the old value (cuda_runtime.h), so a fence missing on either side fails
 * the check here (the fence mutants of tests/CMakeLists.txt show it does); everything else is the host's
 * stronger memory model. Timing, occupancy and the GPU's own memory system are left to a real GPU (lrb_cuda_tests,
 * lrb_gpu_check, compute-sanitizer).
 */
#include "cuda_runtime.h"
#include "cublas_v2.h"

#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <atomic>
#include <map>
#include <tuple>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

thread_local lrb_emu_dim3 threadIdx, blockIdx;
thread_local int lrb_emu_slot;

namespace
{

/* the barrier of this thread's block; the warp barriers of the launch in progress by (slot, warp, mask); the
 * ballot accumulators by (slot, warp); the shuffles' exchange */
thread_local std::barrier<> *block_barrier;
std::mutex warp_mu;
std::map<std::tuple<int, unsigned, unsigned>, std::unique_ptr<std::barrier<>>> warp_barriers;
std::atomic<unsigned> ballots[LRB_EMU_SLOTS][32];
/* the values a shuffle exchanges, by (slot, warp, lane): plain memory between warp barriers */
float shuffles[LRB_EMU_SLOTS][32][32];

/* The weak memory of __stcg/__ldcg (cuda_runtime.h): this thread's stores not yet visible, in program order;
 * whether it polled a flag since its last fence; and what each word stored to held before its latest store. */
struct pending_store {
    float *p;
    float v;
};
thread_local std::vector<pending_store> store_buffer;
thread_local bool polled_since_fence;
std::mutex history_mu;
std::unordered_map<const float *, float> before_latest;

float load_word(const float *p)
{
    float v;
    __atomic_load(p, &v, __ATOMIC_RELAXED);
    return v;
}

/* this thread's buffered stores become visible, in order (each keeps the word's value before it) */
void flush_store_buffer()
{
    if (store_buffer.empty())
        return;
    std::lock_guard<std::mutex> lock(history_mu);
    for (const pending_store &st : store_buffer) {
        before_latest[st.p] = load_word(st.p);
        __atomic_store(st.p, &st.v, __ATOMIC_RELAXED);
    }
    store_buffer.clear();
}

} // namespace

/* The values reach other threads by the flush's relaxed stores, which precede (in this thread, or across the
 * warp barrier before lane 0 sets a flag) the flag's sequentially consistent exchange, which the reader's
 * acquire poll synchronises with: so the host's memory model needs no fence of its own here, and
 * ThreadSanitizer (which does not model fences) sees the same ordering. */
void __threadfence()
{
    flush_store_buffer();
    polled_since_fence = false;
}

void lrb_emu_stcg(float *p, float v)
{
    store_buffer.push_back({p, v});
}

float lrb_emu_ldcg(const float *p)
{
    for (auto it = store_buffer.rbegin(); it != store_buffer.rend(); ++it)
        if (it->p == p)
            return it->v;
    if (polled_since_fence) {
        std::lock_guard<std::mutex> lock(history_mu);
        const auto it = before_latest.find(p);
        if (it != before_latest.end())
            return it->second;
    }
    return load_word(p);
}

int lrb_emu_load_flag(const int *p)
{
    polled_since_fence = true;
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

void __syncthreads()
{
    block_barrier->arrive_and_wait();
}

void __syncwarp(unsigned mask)
{
    std::barrier<> *b;
    {
        std::lock_guard<std::mutex> lock(warp_mu);
        auto &slot = warp_barriers[{lrb_emu_slot, threadIdx.x / 32, mask}];
        if (!slot)
            slot = std::make_unique<std::barrier<>>(__builtin_popcount(mask));
        b = slot.get();
    }
    b->arrive_and_wait();
}

unsigned __ballot_sync(unsigned mask, int pred)
{
    const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    std::atomic<unsigned> &acc = ballots[lrb_emu_slot][warp];
    if (pred)
        acc.fetch_or(1u << lane);
    __syncwarp(mask);
    const unsigned votes = acc.load() & mask;
    __syncwarp(mask); /* every lane has read the votes before the lowest lane clears them */
    if (lane == (unsigned)__builtin_ctz(mask))
        acc.store(0);
    __syncwarp(mask);
    return votes;
}

float __shfl_up_sync(unsigned mask, float v, unsigned delta)
{
    const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    float *xch = shuffles[lrb_emu_slot][warp];
    xch[lane] = v;
    __syncwarp(mask);
    const float r = lane >= delta ? xch[lane - delta] : v;
    __syncwarp(mask); /* every lane has read before any writes the next exchange */
    return r;
}

void lrb_emu_spin(void)
{
    std::this_thread::yield();
}

void lrb_emu_jitter(void)
{
    static std::atomic<uint64_t> seeds{1};
    thread_local uint64_t s = seeds.fetch_add(0x9E3779B97F4A7C15ull);
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    const unsigned r = (unsigned)(s >> 33);
    if (r % 4 == 0) /* one flag in four */
        std::this_thread::sleep_for(std::chrono::microseconds(r / 4 % 200));
}

void lrb_emu_launch(int64_t grid, int block, const std::function<void()> &body)
{
    const int slots = (int)(grid < LRB_EMU_SLOTS ? grid : LRB_EMU_SLOTS);
    std::vector<std::unique_ptr<std::barrier<>>> bars;
    for (int s = 0; s < slots; s++)
        bars.push_back(std::make_unique<std::barrier<>>(block));
    warp_barriers.clear();
    std::vector<std::thread> threads;
    for (int s = 0; s < slots; s++)
        for (int t = 0; t < block; t++)
            threads.emplace_back([&, s, t] {
                lrb_emu_slot = s;
                block_barrier = bars[s].get();
                threadIdx = {(unsigned)t, 0, 0};
                for (int64_t b = s; b < grid; b += slots) {
                    blockIdx = {(unsigned)b, 0, 0};
                    polled_since_fence = false; /* a new block: new GPU threads */
                    body();
                    block_barrier->arrive_and_wait(); /* the block is over: its shared memory is the next one's */
                }
                flush_store_buffer(); /* the launch is over: every store is visible after it */
            });
    for (auto &th : threads)
        th.join();
}

/* ---- the runtime API on host memory ------------------------------------------------------------------- */

extern "C" {

cudaError_t cudaMalloc(void **p, size_t bytes)
{
    *p = malloc(bytes ? bytes : 1);
    if (*p) /* as undefined as the GPU's: code that relies on fresh memory being zero fails here too */
        memset(*p, 0xa5, bytes);
    return *p ? cudaSuccess : cudaErrorMemoryAllocation;
}
cudaError_t cudaFree(void *p)
{
    free(p);
    return cudaSuccess;
}
cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, enum cudaMemcpyKind)
{
    memcpy(dst, src, bytes);
    return cudaSuccess;
}
cudaError_t cudaMemset(void *p, int value, size_t bytes)
{
    memset(p, value, bytes);
    return cudaSuccess;
}
cudaError_t cudaMemsetAsync(void *p, int value, size_t bytes, cudaStream_t)
{
    memset(p, value, bytes);
    return cudaSuccess;
}
cudaError_t cudaDeviceSynchronize(void)
{
    return cudaSuccess;
}
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, enum cudaMemcpyKind, cudaStream_t)
{
    memcpy(dst, src, bytes);
    return cudaSuccess;
}
cudaError_t cudaMemcpy2DAsync(void *dst, size_t dpitch, const void *src, size_t spitch, size_t width, size_t height,
                              enum cudaMemcpyKind, cudaStream_t)
{
    if (width > dpitch || width > spitch)
        return 11; /* cudaErrorInvalidValue, as the runtime answers */
    for (size_t r = 0; r < height; r++)
        memcpy((char *)dst + r * dpitch, (const char *)src + r * spitch, width);
    return cudaSuccess;
}
cudaError_t cudaStreamCreateWithFlags(cudaStream_t *s, unsigned)
{
    *s = nullptr;
    return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t)
{
    return cudaSuccess;
}
/* events: a host clock reading each */
cudaError_t cudaEventCreate(cudaEvent_t *e)
{
    *e = new double(0.0);
    return cudaSuccess;
}
cudaError_t cudaEventDestroy(cudaEvent_t e)
{
    delete (double *)e;
    return cudaSuccess;
}
cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t)
{
    *(double *)e = (double)std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::steady_clock::now().time_since_epoch())
                       .count();
    return cudaSuccess;
}
cudaError_t cudaEventSynchronize(cudaEvent_t)
{
    return cudaSuccess;
}
cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t e0, cudaEvent_t e1)
{
    *ms = (float)((*(double *)e1 - *(double *)e0) * 1e-6);
    return cudaSuccess;
}
cudaError_t cudaGetDeviceCount(int *n)
{
    *n = 1;
    return cudaSuccess;
}
cudaError_t cudaGetDevice(int *d)
{
    *d = 0;
    return cudaSuccess;
}
cudaError_t cudaDeviceGetAttribute(int *v, enum cudaDeviceAttr, int)
{
    *v = 1 << 20; /* a small L2, so that a flush stays cheap */
    return cudaSuccess;
}
cudaError_t cudaGetDeviceProperties(struct cudaDeviceProp *p, int)
{
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "CPU emulation of the CUDA execution model");
    p->l2CacheSize = 1 << 20;
    return cudaSuccess;
}
cudaError_t cudaDriverGetVersion(int *v)
{
    *v = 0;
    return cudaSuccess;
}
cudaError_t cudaRuntimeGetVersion(int *v)
{
    *v = 0;
    return cudaSuccess;
}
cudaError_t cudaGetLastError(void)
{
    return cudaSuccess;
}
const char *cudaGetErrorName(cudaError_t)
{
    return "cudaErrorEmulated";
}
const char *cudaGetErrorString(cudaError_t)
{
    return "error in the CUDA emulation";
}
/* ---- cuBLAS: cublasSgemm by the BLAS definition (column-major) ------------------------------------------ */

struct lrb_emu_cublas {
    cudaStream_t stream;
};

cublasStatus_t cublasCreate(cublasHandle_t *handle)
{
    *handle = new lrb_emu_cublas{nullptr};
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasDestroy(cublasHandle_t handle)
{
    delete handle;
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetStream(cublasHandle_t handle, cudaStream_t stream)
{
    handle->stream = stream;
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetMathMode(cublasHandle_t, cublasMath_t)
{
    return CUBLAS_STATUS_SUCCESS;
}
/* C (m × n, ld ldc) = α·op(A)·op(B) + β·C; op(A) is m × k: A[i + p·lda] (N) or A[p + i·lda] (T); op(B) is
 * k × n: B[p + j·ldb] (N) or B[j + p·ldb] (T). The leading dimensions must cover the rows, as cuBLAS asks. */
cublasStatus_t cublasSgemm(cublasHandle_t handle, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                           const float *alpha, const float *A, int lda, const float *B, int ldb, const float *beta,
                           float *C, int ldc)
{
    if (!handle)
        return CUBLAS_STATUS_NOT_INITIALIZED;
    if (m < 0 || n < 0 || k < 0 || lda < (ta == CUBLAS_OP_N ? m : k) || lda < 1 || ldb < (tb == CUBLAS_OP_N ? k : n) ||
        ldb < 1 || ldc < m || ldc < 1)
        return CUBLAS_STATUS_INVALID_VALUE;
    for (int j = 0; j < n; j++)
        for (int i = 0; i < m; i++) {
            float acc = 0.0f;
            for (int p = 0; p < k; p++) {
                const float a = ta == CUBLAS_OP_N ? A[i + (size_t)p * lda] : A[p + (size_t)i * lda];
                const float b = tb == CUBLAS_OP_N ? B[p + (size_t)j * ldb] : B[j + (size_t)p * ldb];
                acc += a * b;
            }
            float *c = &C[i + (size_t)j * ldc];
            *c = *beta == 0.0f ? *alpha * acc : *alpha * acc + *beta * *c;
        }
    return CUBLAS_STATUS_SUCCESS;
}
const char *cublasGetStatusName(cublasStatus_t status)
{
    return status == CUBLAS_STATUS_SUCCESS         ? "CUBLAS_STATUS_SUCCESS"
           : status == CUBLAS_STATUS_INVALID_VALUE ? "CUBLAS_STATUS_INVALID_VALUE"
                                                   : "CUBLAS_STATUS_NOT_INITIALIZED";
}
const char *cublasGetStatusString(cublasStatus_t)
{
    return "error in the cuBLAS emulation";
}

} // extern "C"
