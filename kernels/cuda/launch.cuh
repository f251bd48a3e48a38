/*
 * launch.cuh — LRB_LAUNCH(kernel, grid, block, stream, args...): `kernel<<<grid, block, 0, stream>>>(args)`
 * under nvcc, and the same launch on the CPU emulation of tests/cuda_emu (LRB_CUDA_EMU), which runs lrb's
 * kernels in CI on machines without a GPU. `kernel` must be a name without commas: bind a template
 * instance to a variable first.
 */
#ifndef LRB_LAUNCH_CUH
#define LRB_LAUNCH_CUH

#ifdef LRB_CUDA_EMU
#define LRB_LAUNCH(kernel, grid, block, stream, ...)                                                                   \
    do {                                                                                                               \
        (void)(stream);                                                                                                \
        lrb_emu_launch((int64_t)(grid), (int)(block), [&]() { kernel(__VA_ARGS__); });                                 \
    } while (0)
#else
#define LRB_LAUNCH(kernel, grid, block, stream, ...) kernel<<<(grid), (block), 0, (stream)>>>(__VA_ARGS__)
#endif

#endif
