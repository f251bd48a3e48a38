/*
 * vmath.h — the vector twins of reference/lrb_math.h for the per-ISA templates (include simd.h first):
 * lrb_vexp, lrb_vtanh and lrb_vsigmoid perform, lane by lane, exactly the float32 and integer operations
 * of lrb_expf, lrb_tanhf and lrb_sigmoidf, in the same order and with the same constants, so every lane
 * carries the scalar function's bits (NaN payloads included) on every ISA path. The scalar code's
 * ternary selects become bitwise selects on the integer masks that vector comparisons produce. Any
 * change here must be made in reference/lrb_math.c as well; tests/test_simd_math.c checks the two
 * against each other.
 *
 * Also the helpers the WKV-4 template needs: a select, a max written as the reference's maxf, and
 * lrb_vexp_pair, the two exponentials of a max-normalised pair with one call to lrb_vexp.
 */
#ifndef LRB_VMATH_H
#define LRB_VMATH_H

#include "../../reference/lrb_math.h"

/* m ? a : b, lane by lane (m is a comparison result: all ones or all zeros per lane). */
static inline lrb_vf lrb_vsel(lrb_vi m, lrb_vf a, lrb_vf b)
{
    return (lrb_vf)((m & (lrb_vi)a) | (~m & (lrb_vi)b));
}

/* x > y ? x : y, the reference's maxf (NaN in y is returned, NaN in x gives y). */
static inline lrb_vf lrb_vmaxf(lrb_vf x, lrb_vf y)
{
    return lrb_vsel(x > y, x, y);
}

static inline lrb_vi lrb_vi1(int32_t v)
{
    return (lrb_vi){0} + v;
}

static inline lrb_vf lrb_vexp(lrb_vf x)
{
    lrb_vf xc = lrb_vsel(x < LRB_EXP_LO, lrb_vset1(LRB_EXP_LO), x);
    xc = lrb_vsel(xc > LRB_EXP_HI, lrb_vset1(LRB_EXP_HI), xc);
    const lrb_vf t = xc * LRB_EXP_LOG2E + LRB_EXP_SHIFTER;
    const lrb_vf n = t - LRB_EXP_SHIFTER;
    /* n + 150 ∈ [0, 278]: the integer lanes stay small and non-negative, so the signed vector
     * arithmetic computes what the scalar unsigned arithmetic does. */
    const lrb_vi nb = (lrb_vi)t - (lrb_vi)lrb_vset1(LRB_EXP_SHIFTER) + 150;
    const lrb_vf r = (xc - n * LRB_EXP_LN2_HI) - n * LRB_EXP_LN2_LO;
    lrb_vf p = lrb_vset1(LRB_EXP_C6);
    p = p * r + LRB_EXP_C5;
    p = p * r + LRB_EXP_C4;
    p = p * r + LRB_EXP_C3;
    p = p * r + LRB_EXP_C2;
    lrb_vf y = 1.0f + (r + (r * r) * p);
    const lrb_vi h = nb >> 1;
    const lrb_vf s1 = (lrb_vf)((h + 52) << 23), s2 = (lrb_vf)((nb - h + 52) << 23);
    y = (y * s1) * s2;
    y = lrb_vsel(x > LRB_EXP_OVF, (lrb_vf)lrb_vi1(0x7f800000), y);
    return lrb_vsel(x != x, x + x, y);
}

static inline lrb_vf lrb_vtanh(lrb_vf x)
{
    const lrb_vf ax = (lrb_vf)((lrb_vi)x & 0x7fffffff);
    const lrb_vf s = ax * ax;
    lrb_vf p = lrb_vset1(LRB_TANH_T5);
    p = p * s + LRB_TANH_T4;
    p = p * s + LRB_TANH_T3;
    p = p * s + LRB_TANH_T2;
    p = p * s + LRB_TANH_T1;
    const lrb_vf small = ax + ax * (s * p);
    const lrb_vf e = lrb_vexp(ax + ax);
    const lrb_vf big = 1.0f - 2.0f / (e + 1.0f);
    lrb_vf y = lrb_vsel(ax < LRB_TANH_SMALL, small, big);
    y = (lrb_vf)((lrb_vi)y | ((lrb_vi)x & (int32_t)0x80000000u));
    return lrb_vsel(x != x, x + x, y);
}

static inline lrb_vf lrb_vsigmoid(lrb_vf z)
{
    return 1.0f / (1.0f + lrb_vexp(-z));
}

/* Returns q = lrb_vmaxf(x, y) and the pair (lrb_vexp(x − q), lrb_vexp(y − q)), bit for bit, with one exp: the
 * argument of the larger side is q − q, whose exp is 1 for finite q and NaN otherwise, exactly what
 * (q − q) + 1 gives (the NaN produced by q − q passes through both the same way); the other argument is
 * the smaller value minus q, computed as the scalar code computes it. */
static inline lrb_vf lrb_vexp_pair(lrb_vf x, lrb_vf y, lrb_vf *ex, lrb_vf *ey)
{
    const lrb_vi xbig = x > y;
    const lrb_vf q = lrb_vsel(xbig, x, y);
    const lrb_vf lo = lrb_vsel(xbig, y, x);
    const lrb_vf one = (q - q) + 1.0f;
    const lrb_vf e = lrb_vexp(lo - q);
    *ex = lrb_vsel(xbig, one, e);
    *ey = lrb_vsel(xbig, e, one);
    return q;
}

#endif
