/*
 * vmath_kern.h — the table of the elementwise exp / sigmoid / tanh maps that kernels/cpu/vmath_isa.c
 * builds once per ISA and kernels/cpu/vmath.c dispatches to (lrb_vmath_kern_<isa>).
 */
#ifndef LRB_VMATH_KERN_H
#define LRB_VMATH_KERN_H

#include "lrb_cpu.h"

#include <stdint.h>

typedef void (*lrb_vmath_map_fn)(const float *x, float *y, int64_t n);

typedef struct {
    lrb_vmath_map_fn exp_n, sigmoid_n, tanh_n;
} lrb_vmath_kern;

LRB_CPU_DECLARE_KERN(lrb_vmath_kern, lrb_vmath);

#endif
