/*
 * cuda_runtime.h (emulation) — what device code needs, for compiling lrb's .cu files as host C++ in the
 * CUDA emulation test: the qualifiers as nothing, threadIdx/blockIdx per emulated thread, barriers,
 * fences, atomics, the cache-hinted loads and stores as volatile ones, the rounding intrinsics as plain
 * float arithmetic, float4. LRB_EMU_SLOTS blocks of a launch run at once, each on blockDim.x host threads
 * (see cuda_emu.cc); shared memory is declared with LRB_SHARED (launch.cuh), one copy per slot.
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

/* Blocks of a launch that run at once (each on its own blockDim.x host threads), and the one this thread
 * belongs to, which selects its copy of shared memory (LRB_SHARED in launch.cuh). */
#define LRB_EMU_SLOTS 3
extern thread_local int lrb_emu_slot;

void __syncthreads();
void __syncwarp(unsigned mask);
/* the lanes of `mask` in this thread's warp whose pred is non-zero (every lane of mask must call it) */
unsigned __ballot_sync(unsigned mask, int pred);
inline int __ffs(int x)
{
    return __builtin_ffs(x);
}
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
    const volatile float *q = (const volatile float *)p;
    return {q[0], q[1], q[2], q[3]};
}
inline void __stcg(float4 *p, float4 v)
{
    volatile float *q = (volatile float *)p;
    q[0] = v.x;
    q[1] = v.y;
    q[2] = v.z;
    q[3] = v.w;
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

/* A spinning wait's turn: yields the host thread (emulated blocks outnumber the cores). */
void lrb_emu_spin(void);

/* Runs body on grid blocks of `block` threads (the emulated `kern<<<grid, block>>>(...)`). */
void lrb_emu_launch(int64_t grid, int block, const std::function<void()> &body);

#endif
