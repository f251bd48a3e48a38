/*
 * cuda_runtime.h (emulation) — what device code needs, for compiling lrb's .cu files as host C++ in the
 * CUDA emulation test: the qualifiers as nothing, threadIdx/blockIdx per emulated thread, barriers,
 * fences, atomics, the cache-hinted loads and stores as plain ones, the rounding intrinsics as plain
 * float arithmetic, float4. Blocks of a launch run one after another, each on blockDim.x host threads
 * (see cuda_emu.cc), so __shared__ storage (static here) is the block's while it runs.
 */
#ifndef LRB_EMU_CUDA_RUNTIME_H
#define LRB_EMU_CUDA_RUNTIME_H

#include "cuda_runtime_api.h"

#include <atomic>
#include <cmath>
#include <functional>
#include <math.h>
#include <stdint.h>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static

struct lrb_emu_dim3 {
    unsigned x, y, z;
};
extern thread_local lrb_emu_dim3 threadIdx, blockIdx;

void __syncthreads();
void __syncwarp(unsigned mask);
inline void __threadfence()
{
    std::atomic_thread_fence(std::memory_order_seq_cst);
}
inline int atomicAdd(int *p, int v)
{
    return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}
inline int atomicExch(int *p, int v)
{
    return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
}

struct float4 {
    float x, y, z, w;
};
inline float4 make_float4(float x, float y, float z, float w)
{
    return {x, y, z, w};
}
template <class T> inline T __ldcg(const T *p)
{
    return *(const volatile T *)p;
}
template <class T> inline void __stcg(T *p, T v)
{
    *(volatile T *)p = v;
}
inline float4 __ldcg(const float4 *p)
{
    return *p; /* blocks run one after another: no other block writes meanwhile */
}
inline void __stcg(float4 *p, float4 v)
{
    *p = v;
}
inline float __fmul_rn(float a, float b)
{
    return a * b;
}
inline float __fadd_rn(float a, float b)
{
    return a + b;
}
inline float __fsub_rn(float a, float b)
{
    return a - b;
}
inline void sincos(double x, double *s, double *c)
{
    *s = std::sin(x);
    *c = std::cos(x);
}

/* Runs body on grid blocks of `block` threads (the emulated `kern<<<grid, block>>>(...)`). */
void lrb_emu_launch(int64_t grid, int block, const std::function<void()> &body);

#endif
