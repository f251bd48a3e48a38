/*
 * cuda_runtime.h (emulation) — what device code needs, for compiling lrb's .cu files as host C++ in the
 * CUDA emulation test: the qualifiers as nothing, threadIdx/blockIdx per emulated thread, barriers,
 * fences, atomics, the cache-hinted loads and stores in a weak memory (below), the rounding intrinsics as plain
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
/* lane l gets the value of lane l − delta, or its own when l < delta (every lane of mask must call it) */
float __shfl_up_sync(unsigned mask, float v, unsigned delta);
inline int __ffs(int x)
{
    return __builtin_ffs(x);
}
/* Ends this thread's window of weak memory (see __stcg below): its store buffer becomes visible, and its loads
 * after a polled flag read current values again. */
void __threadfence();
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
/* The cache-hinted loads and stores that carry the look-back's values between blocks, in a weak memory with
 * two of the reorderings that the PTX memory model allows a GPU without fences, so that a missing fence fails
 * the check here rather than now and then on a GPU (the host's own memory model would order the values
 * through the flags' atomics alone):
 * - a thread's __stcg waits in its own store buffer (its own __ldcg reads it there) until the thread runs
 *   __threadfence or its launch ends: a flag set before the values' writers fenced lets a reader find the
 *   values the words held before;
 * - a thread's __ldcg after it polled a flag (LRB_LOAD_FLAG) and before its next __threadfence returns what
 *   the word held before its latest store: a load not fenced after the flag may have been served before it.
 * The stores and loads themselves are relaxed atomics, as coherent as ld.cg/st.cg at L2 and visible to
 * ThreadSanitizer as the intended inter-block traffic. */
float lrb_emu_ldcg(const float *p);
void lrb_emu_stcg(float *p, float v);
inline float __ldcg(const float *p)
{
    return lrb_emu_ldcg(p);
}
inline void __stcg(float *p, float v)
{
    lrb_emu_stcg(p, v);
}
inline float4 __ldcg(const float4 *p)
{
    return {__ldcg(&p->x), __ldcg(&p->y), __ldcg(&p->z), __ldcg(&p->w)};
}
inline void __stcg(float4 *p, float4 v)
{
    __stcg(&p->x, v.x);
    __stcg(&p->y, v.y);
    __stcg(&p->z, v.z);
    __stcg(&p->w, v.w);
}
/* A look-back flag polled by another block (lookback.cuh's LRB_LOAD_FLAG; a volatile load on a GPU): an
 * acquire load, which opens this thread's window of stale __ldcg until its next __threadfence. */
int lrb_emu_load_flag(const int *p);
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

/* Before a look-back flag is set (lookback.cuh's LRB_FLAG_JITTER): now and then a pause of up to 200 µs, so
 * that the interleavings a GPU's hundreds of blocks produce (readers that find the flag not yet set, walks
 * past aggregates, a successor done before its predecessor's last publication) happen on three blocks too. */
void lrb_emu_jitter(void);

/* Runs body on grid blocks of `block` threads (the emulated `kern<<<grid, block>>>(...)`). */
void lrb_emu_launch(int64_t grid, int block, const std::function<void()> &body);

#endif
