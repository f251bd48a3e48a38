/*
 * cuda_emu.cc — lrb_cuda_emu_tests: lrb's CUDA kernels (kernels/cuda/scan.cu, wkv4.cu, compiled as host C++
 * against the emulation headers of this directory) run on the CPU under an emulation of the CUDA execution
 * model, and the fresh-random checks of kernels/cuda/cuda_selfcheck.c judge them. It runs on every build
 * machine, GPU or not, so the kernels' index arithmetic, tiling, Hillis–Steele and Upper/Lower levels,
 * look-back and WKV-4 operator are checked in CI; it is not a GPU: blocks run one after another, each on
 * blockDim.x host threads that meet at real barriers for __syncthreads and __syncwarp, "device" memory is
 * host memory, and the arithmetic is the host's (without the GPU's FMA contraction choices). So the
 * look-back always finds its predecessor's prefix published, and timing, memory-model and occupancy
 * questions are left to a real GPU (lrb_cuda_tests, lrb_gpu_check, compute-sanitizer).
 */
#include "cuda_runtime.h"

#include "cuda_selfcheck.h"

#include <barrier>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

thread_local lrb_emu_dim3 threadIdx, blockIdx;

namespace
{

/* the barriers of the launch in progress */
std::barrier<> *block_barrier;
std::mutex warp_mu;
std::map<unsigned, std::unique_ptr<std::barrier<>>> warp_barriers;

} // namespace

void __syncthreads()
{
    block_barrier->arrive_and_wait();
}

void __syncwarp(unsigned mask)
{
    std::barrier<> *b;
    {
        std::lock_guard<std::mutex> lock(warp_mu);
        auto &slot = warp_barriers[mask];
        if (!slot)
            slot = std::make_unique<std::barrier<>>(__builtin_popcount(mask));
        b = slot.get();
    }
    b->arrive_and_wait();
}

void lrb_emu_launch(int64_t grid, int block, const std::function<void()> &body)
{
    std::barrier<> bar(block);
    block_barrier = &bar;
    warp_barriers.clear();
    std::vector<std::thread> threads;
    for (int t = 0; t < block; t++)
        threads.emplace_back([&, t] {
            threadIdx = {(unsigned)t, 0, 0};
            for (int64_t b = 0; b < grid; b++) {
                blockIdx = {(unsigned)b, 0, 0};
                body();
                bar.arrive_and_wait(); /* the block is over: its shared memory is the next one's */
            }
        });
    for (auto &th : threads)
        th.join();
    block_barrier = nullptr;
}

/* ---- the runtime API on host memory ------------------------------------------------------------------- */

extern "C" {

cudaError_t cudaMalloc(void **p, size_t bytes)
{
    *p = malloc(bytes ? bytes : 1);
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
int lrb_cuda_check_(int err, const char *call, const char *file, int line)
{
    if (err == cudaSuccess)
        return 0;
    fprintf(stderr, "lrb: CUDA error %d in %s at %s:%d (emulation)\n", err, call, file, line);
    return 1;
}

} // extern "C"

/* ---- main ---------------------------------------------------------------------------------------------- */

namespace
{

int rows_seen, rows_failed;

void print_row(const lrb_gpu_check_row *r, void *)
{
    rows_seen++;
    rows_failed += !r->ok;
    printf("%-62s %10.3e %9.1e %9lld %5lld %5s  %s\n", r->what, r->err, r->tol, r->nonfinite, r->gap_written,
           r->deterministic ? "yes" : "NO", r->ok ? "PASS" : "FAIL");
}

} // namespace

int main()
{
    /* shapes of at most 50 000 elements: an emulated block of 1024 threads costs milliseconds per barrier */
    const int rc = lrb_gpu_selfcheck(50000, print_row, nullptr);
    printf("cuda emulation: %d rows, %d failed%s\n", rows_seen, rows_failed, rc < 0 ? ", a call failed" : "");
    return (rc == 0 && rows_seen > 0 && rows_failed == 0) ? 0 : 1;
}
