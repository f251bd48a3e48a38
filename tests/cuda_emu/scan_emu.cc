/* scan_emu.cc — kernels/cuda/scan.cu compiled as host C++ for the CUDA emulation test (cuda_emu.cc). */
#include "../../kernels/cuda/scan.cu"
