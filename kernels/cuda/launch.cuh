/*
 * launch.cuh — LRB_LAUNCH(kernel, grid, block, stream, args...): `kernel<<<grid, block, 0, stream>>>(args)`
 * under nvcc, and the same launch on the CPU emulation of tests/cuda_emu (LRB_CUDA_EMU), which runs lrb's
 * kernels in CI on machines without a GPU. `kernel` must be a name without commas: bind a template
 * instance to a variable first. LRB_SHARED(type, name[, dims]) declares a block's shared memory: `__shared__`
 * under nvcc; on the emulation, which runs several blocks at once, one copy per concurrently running block.
 */
#ifndef LRB_LAUNCH_CUH
#define LRB_LAUNCH_CUH

#ifdef LRB_CUDA_EMU
#define LRB_LAUNCH(kernel, grid, block, stream, ...)                                                                   \
    do {                                                                                                               \
        (void)(stream);                                                                                                \
        lrb_emu_launch((int64_t)(grid), (int)(block), [&]() { kernel(__VA_ARGS__); });                                 \
    } while (0)
#define LRB_SHARED(type, name, ...)                                                                                    \
    static type name##_slots_[LRB_EMU_SLOTS] __VA_ARGS__;                                                              \
    auto &name = name##_slots_[lrb_emu_slot]
#else
#define LRB_LAUNCH(kernel, grid, block, stream, ...) kernel<<<(grid), (block), 0, (stream)>>>(__VA_ARGS__)
#define LRB_SHARED(type, name, ...) __shared__ type name __VA_ARGS__
#endif

#endif
