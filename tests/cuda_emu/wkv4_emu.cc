/* wkv4_emu.cc — kernels/cuda/wkv4.cu compiled as host C++ for the CUDA emulation test (cuda_emu.cc). */
#include "../../kernels/cuda/wkv4.cu"
