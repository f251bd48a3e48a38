/*
 * vmath_isa.c — template (compiled once per ISA, see CMakeLists.txt) of the elementwise maps
 * y[i] = f(x[i]) for f = exp, sigmoid, tanh with the vector twins of vmath.h. Whole vectors first; the
 * last n mod LRB_VW elements go through a padded vector (lrb_vload_n / lrb_vstore_n), so nothing past n
 * is read or written and the tail lanes get the same bits as the body (every lane is independent).
 * Each vector is loaded before it is stored, so y may equal x.
 */
#include "simd.h"

#include "vmath.h"
#include "vmath_kern.h"

#define VMATH_MAP(name, vfn)                                                                                           \
    static void name(const float *x, float *y, int64_t n)                                                              \
    {                                                                                                                  \
        int64_t i = 0;                                                                                                 \
        for (; i + LRB_VW <= n; i += LRB_VW)                                                                           \
            lrb_vstore(y + i, vfn(lrb_vload(x + i)));                                                                  \
        if (i < n)                                                                                                     \
            lrb_vstore_n(y + i, vfn(lrb_vload_n(x + i, (int)(n - i), 0.0f)), (int)(n - i));                            \
    }

VMATH_MAP(map_exp, lrb_vexp)
VMATH_MAP(map_sigmoid, lrb_vsigmoid)
VMATH_MAP(map_tanh, lrb_vtanh)

const lrb_vmath_kern LRB_KNAME(lrb_vmath_kern) = {map_exp, map_sigmoid, map_tanh};
