/*
 * lrb_math.c — the scalar float32 exp, tanh and sigmoid of the reference (see lrb_math.h for the
 * contract). Written as straight-line code with ternary selects so that every step has a lane-wise
 * twin in kernels/cpu/vmath.h; the two files must stay in step operation for operation.
 *
 * exp: clamp x to [−104, 89] (NaN passes the clamps untouched), n = round(x·log2 e) with the shifter
 * trick (the integer is read from the low bits of x·log2 e + 1.5·2^23, so no float-to-int conversion
 * is needed and NaN is harmless), Cody–Waite reduction r = (x − n·ln2_hi) − n·ln2_lo, a degree-6
 * polynomial for e^r, then the scaling by 2^n in two exact steps 2^n1·2^n2 (n1 = ⌊(n+150)/2⌋ − 75),
 * each built directly in the exponent bits: both factors are normal for n ∈ [−150, 128], the first
 * product is exact, and the second rounds only when the result is a denormal. Finally selects for
 * overflow (+inf) and NaN.
 *
 * tanh: for |x| < 0.5625 an odd polynomial (no cancellation near 0); above it 1 − 2/(e^{2|x|} + 1),
 * whose subtraction loses at most one bit there because the result is ≥ 0.51; the sign is copied back
 * from x. Both branches are evaluated and one selected, as the vector version does.
 */
#include "lrb_math.h"

#include <stdint.h>
#include <string.h>

static uint32_t f2u(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float u2f(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

float lrb_expf(float x)
{
    float xc = x < LRB_EXP_LO ? LRB_EXP_LO : x;
    xc = xc > LRB_EXP_HI ? LRB_EXP_HI : xc;
    const float t = xc * LRB_EXP_LOG2E + LRB_EXP_SHIFTER;
    const float n = t - LRB_EXP_SHIFTER;
    /* n + 150 ∈ [0, 278] from the bit patterns (unsigned arithmetic wraps back into range). */
    const uint32_t nb = f2u(t) - f2u(LRB_EXP_SHIFTER) + 150u;
    const float r = (xc - n * LRB_EXP_LN2_HI) - n * LRB_EXP_LN2_LO;
    float p = LRB_EXP_C6;
    p = p * r + LRB_EXP_C5;
    p = p * r + LRB_EXP_C4;
    p = p * r + LRB_EXP_C3;
    p = p * r + LRB_EXP_C2;
    float y = 1.0f + (r + (r * r) * p);
    /* biased exponents of 2^n1 and 2^n2: n1 + 127 = (nb >> 1) + 52, n2 + 127 = nb − (nb >> 1) + 52 */
    const uint32_t h = nb >> 1;
    const float s1 = u2f((h + 52u) << 23), s2 = u2f((nb - h + 52u) << 23);
    y = (y * s1) * s2;
    y = x > LRB_EXP_OVF ? u2f(0x7f800000u) : y;
    return x != x ? x + x : y;
}

float lrb_tanhf(float x)
{
    const float ax = u2f(f2u(x) & 0x7fffffffu);
    const float s = ax * ax;
    float p = LRB_TANH_T5;
    p = p * s + LRB_TANH_T4;
    p = p * s + LRB_TANH_T3;
    p = p * s + LRB_TANH_T2;
    p = p * s + LRB_TANH_T1;
    const float small = ax + ax * (s * p);
    const float e = lrb_expf(ax + ax);
    const float big = 1.0f - 2.0f / (e + 1.0f);
    float y = ax < LRB_TANH_SMALL ? small : big;
    y = u2f(f2u(y) | (f2u(x) & 0x80000000u));
    return x != x ? x + x : y;
}

float lrb_sigmoidf(float z)
{
    /* For z < −88.72 the exp overflows to +inf and the result is exactly 0. */
    return 1.0f / (1.0f + lrb_expf(-z));
}
