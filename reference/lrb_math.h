/*
 * lrb_math.h — lrb's own float32 exp, tanh and sigmoid, used by every scalar reference layer instead of
 * libm's expf/tanhf, so that the reference's transcendentals are defined by lrb and not by whichever C
 * library the binary links.
 *
 * Each function is a fixed sequence of float32 operations (separate multiplies and adds, the project
 * builds with -ffp-contract=off), integer operations on the bit patterns and selects, with no branch
 * that depends on the data. kernels/cpu/vmath.h performs the same operations lane by lane on vectors,
 * so lrb_vexp, lrb_vtanh and lrb_vsigmoid return exactly these bits on every ISA path; changing one
 * side means changing the other (tests/test_simd_math.c checks bit identity).
 *
 * Accuracy (measured against double exp/tanh, in units of the last place of the float-rounded true
 * value, tests/test_simd_math.c): lrb_expf ≤ 2 ulp, lrb_tanhf ≤ 3 ulp, lrb_sigmoidf ≤ 3 ulp wherever the
 * result is a normal float. Over all 2^32 inputs the measured maxima are 0.99, 1.41 and 2.48 ulp (exp's
 * denormal results counted in units of 2^−149).
 *
 * Special values: NaN in gives NaN out (the input, quieted). lrb_expf(−inf) = +0, lrb_expf(+inf) = +inf
 * and lrb_expf(x) = +inf for every x > 88.7228317 (the largest float whose exp is below FLT_MAX). Results
 * below FLT_MIN are gradual-underflow denormals (not flushed), rounded once from the polynomial value;
 * they reach +0 below x ≈ −103.97. lrb_tanhf(±0) = ±0, tanh(x) = x for tiny x, ±1 for |x| ≥ 9.1 and ±inf.
 * lrb_sigmoidf(z) = 1/(1 + lrb_expf(−z)): exactly 1 for large z, exactly 0 for z < −88.72 (where the true
 * value is a denormal below 1.2e−39).
 */
#ifndef LRB_MATH_H
#define LRB_MATH_H

/* The constants shared with the vector twins (kernels/cpu/vmath.h). */
#define LRB_EXP_LO (-104.0f)             /* inputs are clamped to [LO, HI] before reduction */
#define LRB_EXP_HI (89.0f)               /* (both clamps keep the exponent n in [−150, 128]) */
#define LRB_EXP_OVF (0x1.62e42ep6f)      /* 88.7228317: the largest x with a finite exp */
#define LRB_EXP_LOG2E (0x1.715476p+0f)   /* log2(e) */
#define LRB_EXP_SHIFTER (0x1.8p23f)      /* adding it rounds to an integer, kept in the low bits */
#define LRB_EXP_LN2_HI (0x1.62e4p-1f)    /* ln 2 to 16 bits: n·LN2_HI is exact for |n| ≤ 256 */
#define LRB_EXP_LN2_LO (0x1.7f7d1cp-20f) /* ln 2 − LN2_HI */
/* exp(r) ≈ 1 + r + r²·(C2 + r·(C3 + r·(C4 + r·(C5 + r·C6)))) on |r| ≤ ln2/2: a near-minimax fit of
 * (e^r − 1 − r)/r², relative error of the fit 3e−9 (0.06 ulp after rounding the coefficients). */
#define LRB_EXP_C2 (0x1.fffffcp-2f)
#define LRB_EXP_C3 (0x1.555492p-3f)
#define LRB_EXP_C4 (0x1.5558f2p-5f)
#define LRB_EXP_C5 (0x1.1239d4p-7f)
#define LRB_EXP_C6 (0x1.6a244ep-10f)
/* tanh(x) ≈ x + x·s·(T1 + s·(T2 + s·(T3 + s·(T4 + s·T5)))), s = x², on |x| < LRB_TANH_SMALL: a near-minimax
 * fit of (tanh x − x)/x³ in s, relative error 0.04 ulp after rounding the coefficients. */
#define LRB_TANH_SMALL (0.5625f)
#define LRB_TANH_T1 (-0x1.555548p-2f)
#define LRB_TANH_T2 (0x1.110c72p-3f)
#define LRB_TANH_T3 (-0x1.b90946p-5f)
#define LRB_TANH_T4 (0x1.582faep-6f)
#define LRB_TANH_T5 (-0x1.950012p-8f)

float lrb_expf(float x);
float lrb_tanhf(float x);
/* σ(z) = 1/(1 + lrb_expf(−z)) in float32 (the one sigmoid of the reference). */
float lrb_sigmoidf(float z);

#endif
