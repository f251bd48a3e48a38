/*
 * dense.cu — the one kernel of the dense projections that cuBLAS does not do: adding the bias to every row
 * of the product (cuda_backend.c forms the product with cublasSgemm, lrb_cuda.h).
 */
#include "launch.cuh"
#include "lrb_cuda.h"

#include <cuda_runtime.h>
#include <stdint.h>

namespace
{

constexpr int BIAS_NT = 256;

/* one block per row, its threads across the columns (coalesced) */
__global__ void __launch_bounds__(BIAS_NT) add_bias_kernel(float *y, int64_t n, int64_t ldy, const float *bias)
{
    const int64_t r = blockIdx.x;
    for (int64_t j = threadIdx.x; j < n; j += BIAS_NT)
        y[r * ldy + j] += bias[j];
}

} // namespace

extern "C" int lrb_cuda_add_bias_launch(float *y, int64_t rows, int64_t n, int64_t ldy, const float *bias,
                                        cudaStream_t stream)
{
    if (!y || !bias || rows < 1 || n < 1 || ldy < n || rows > 0x7fffffff)
        return LRB_CUDA_EINVAL;
    LRB_LAUNCH(add_bias_kernel, (unsigned)rows, BIAS_NT, stream, y, n, ldy, bias);
    return LRB_CUDA_CHECK(cudaGetLastError()) ? LRB_CUDA_EDEVICE : LRB_CUDA_OK;
}
