/*
 * nvtx.h — NVTX3 ranges for Nsight (DESIGN.md §9): domain "lrb", a range named after the variant
 * (<layer>.<backend>.<algorithm>, never a '/': ncu uses '/' between nested ranges) with a nested shape
 * range such as "L4096.B8.D1024". Compiled to nothing without the CUDA toolkit (LRB_HAVE_NVTX unset);
 * NVTX3 is header-only and costs next to nothing when no tool is attached.
 */
#ifndef LRB_NVTX_H
#define LRB_NVTX_H

void lrb_nvtx_push(const char *name);
void lrb_nvtx_pop(void);
/* 1 when built with NVTX (the ranges reach a profiler), 0 when the calls are no-ops. */
int lrb_nvtx_enabled(void);

#endif
