/*
 * simd.h — what every per-ISA kernel template (kernels/cpu/<family>_isa.c) includes first: the vector type of
 * the ISA being compiled (GCC/Clang vector extensions, LRB_VW float lanes), unaligned loads and stores,
 * a broadcast, and LRB_KNAME, which appends the ISA to a symbol so that one template yields one table
 * per ISA. The build compiles each template once per ISA with that ISA's flags (CMakeLists.txt) and
 * defines LRB_ISA_<name>.
 *
 * Vector arithmetic here is plain IEEE float32, lane by lane, and the project builds with
 * -ffp-contract=off: `a * b + c` on these types is a multiply then an add, exactly like the scalar
 * reference, which is what makes the seq variants bit-identical to it.
 */
#ifndef LRB_SIMD_H
#define LRB_SIMD_H

#include <stdint.h>
#include <string.h>

#if defined(LRB_ISA_avx512)
#define LRB_VW 16
#define LRB_ISA_SUFFIX avx512
#elif defined(LRB_ISA_avx2)
#define LRB_VW 8
#define LRB_ISA_SUFFIX avx2
#elif defined(LRB_ISA_portable)
#define LRB_VW 4
#define LRB_ISA_SUFFIX portable
#else
#error "simd.h is for the per-ISA templates: the build defines LRB_ISA_<isa>"
#endif

#define LRB_CAT2_(a, b) a##_##b
#define LRB_CAT2(a, b) LRB_CAT2_(a, b)
/* name_<isa>, e.g. LRB_KNAME(scan_kern) → scan_kern_avx512 */
#define LRB_KNAME(name) LRB_CAT2(name, LRB_ISA_SUFFIX)

typedef float lrb_vf __attribute__((vector_size(LRB_VW * 4)));
typedef int32_t lrb_vi __attribute__((vector_size(LRB_VW * 4)));
/* unaligned, aliasing-safe views for loads and stores */
typedef float lrb_vf_u __attribute__((vector_size(LRB_VW * 4), aligned(4), may_alias));
typedef int32_t lrb_vi_u __attribute__((vector_size(LRB_VW * 4), aligned(4), may_alias));

static inline lrb_vf lrb_vload(const float *p)
{
    return *(const lrb_vf_u *)p;
}
static inline void lrb_vstore(float *p, lrb_vf v)
{
    *(lrb_vf_u *)p = v;
}
static inline lrb_vf lrb_vset1(float x)
{
    /* −0 + x is x for every x, −0 included (+0 + −0 would give +0); compilers fold it into a broadcast */
    return -(lrb_vf){0} + x;
}
/* Loads n < LRB_VW floats (the rest of the lanes are `fill`) and stores the first n lanes: the tails of
 * a channel block, without reading or writing past the end of a row. */
static inline lrb_vf lrb_vload_n(const float *p, int n, float fill)
{
    float tmp[LRB_VW];
    for (int i = 0; i < LRB_VW; i++)
        tmp[i] = i < n ? p[i] : fill;
    return lrb_vload(tmp);
}
static inline void lrb_vstore_n(float *p, lrb_vf v, int n)
{
    float tmp[LRB_VW];
    lrb_vstore(tmp, v);
    memcpy(p, tmp, (size_t)n * sizeof *p);
}

#endif
