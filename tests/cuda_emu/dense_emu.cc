/* dense_emu.cc — kernels/cuda/dense.cu compiled as host C++ for the CUDA emulation test (cuda_emu.cc). */
#include "../../kernels/cuda/dense.cu"
