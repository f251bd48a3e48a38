/*
 * metrics.h — conformance metrics of a float32 output against the float64 oracle (DESIGN.md §6,
 * TOOLING.md §10, LAYERS.md §6.1), the guard-region and NaN-poison helpers that catch out-of-bounds and
 * missing writes, and the one-line failure description every test and `lrb check` prints.
 *
 * The gate: relative L2 error ≤ tol.rel_l2, no elementwise violation of
 * |y − y*| ≤ tol.atol·rms(y*) + tol.rtol·|y*|, and no non-finite mismatch. Everything is computed in
 * double; norms are accumulated with power-of-two scaling so that neither huge nor tiny tensors overflow
 * or underflow.
 */
#ifndef LRB_METRICS_H
#define LRB_METRICS_H

#include <stddef.h>
#include <stdint.h>

typedef struct lrb_tol {
    double rel_l2; /* bound on ‖y − y*‖₂ / ‖y*‖₂ */
    double atol;   /* elementwise absolute term, as a multiple c of rms(y*) */
    double rtol;   /* elementwise relative term */
} lrb_tol;

typedef struct lrb_metrics {
    int64_t n;             /* elements compared */
    double rel_l2;         /* ‖y − y*‖/‖y*‖ over the positions where both are finite; if ‖y*‖ = 0:
                              +inf when ‖y‖ > 1e-30, else 0 */
    double nmse;           /* rel_l2² (ggml's NMSE) */
    double e_max;          /* max|y − y*| / max(max|y*|, 1e-30) (LAYERS.md §6.1) */
    double max_abs;        /* max|y − y*| over finite pairs */
    int64_t max_abs_index; /* flat index of max_abs (first one), -1 if there is no finite pair */
    double ref_at_max;     /* y* and y at max_abs_index */
    double out_at_max;
    double max_rel;  /* max |y − y*|/|y*| over y* ≠ 0 (diagnostic only: useless for recurrences) */
    int64_t max_ulp; /* max distance in float32 ulps between y and y* rounded to float32 (diagnostic) */
    double rms_ref;  /* sqrt(mean(y*²)) over the finite pairs */
    double norm_ref; /* ‖y*‖₂, ‖y‖₂ and ‖y − y*‖₂ over finite pairs */
    double norm_out;
    double norm_err;
    int elementwise;     /* 1 if the elementwise test ran (tol.atol or tol.rtol non-zero) */
    int64_t violations;  /* elements with |y − y*| > atol·rms(y*) + rtol·|y*| */
    int64_t worst_index; /* element with the largest |y − y*| / bound, -1 if none violates */
    double worst_ratio;  /* that ratio (> 1 for a violation; +inf where the bound is 0) */
    double worst_bound;  /* the bound atol·rms(y*) + rtol·|y*| there */
    double ref_at_worst; /* y* and y at worst_index */
    double out_at_worst;
    int64_t nonfinite;             /* positions whose class (finite, NaN, +Inf, −Inf) differs between y and y* */
    int64_t unwritten;             /* of those: y is NaN where y* is not (outputs are poisoned with NaN) */
    int64_t first_nonfinite_index; /* first such position, -1 if none */
    double ref_at_nonfinite;       /* y* and y there */
    double out_at_nonfinite;
    double tol_rel_l2; /* the tolerance used, for reports */
    int pass;          /* rel_l2 ≤ tol.rel_l2 && violations == 0 && nonfinite == 0 */
} lrb_metrics;

/* Compares y (n float32 values) with ref (n float64 values). tol may be NULL (rel_l2 bound 0, no
 * elementwise test). Always fills *m. */
void lrb_compare(const float *y, const double *ref, int64_t n, const lrb_tol *tol, lrb_metrics *m);

/* Writes a one-line description into buf (always NUL-terminated, truncated if needed) and returns the
 * length it wanted, like snprintf. Example:
 *   "lru/h48_u80 FAIL rel_l2 3.1e-04 > tol 5.0e-05; max|err| 2.0e-03 at [1, 7, 3] (flat 259): ref
 *    0.51234 out 0.51434; elementwise violations 3; nonfinite 0 (unwritten 0)"
 * The failing metric comes first (non-finite, then rel_l2, then elementwise). case_name may be NULL. If
 * shape is non-NULL the worst element is also given as coordinates. */
int lrb_metrics_describe(const lrb_metrics *m, const char *case_name, int ndim, const int64_t *shape, char *buf,
                         size_t len);

/* Guarded buffers: n floats with canary words before and after (at least guard_floats on each side; the
 * leading guard is rounded up to a multiple of 16 floats and the trailing one so that the allocation
 * ends on 64 bytes, which keeps the data 64-byte aligned). Returns NULL on failure or n < 0. The data
 * is not initialised. */
float *lrb_guarded_alloc(int64_t n_floats, int64_t guard_floats);
/* Number of guard words (both sides) that no longer hold the canary. p must come from lrb_guarded_alloc;
 * its bookkeeping block sits before the leading guard and is found by stepping back over the guard, so
 * -1 is returned only when a stray write went past the whole leading guard and damaged it too. */
int64_t lrb_guard_check(const float *p);
/* Frees a guarded buffer (NULL is ignored). */
void lrb_guarded_free(float *p);

/* The canary: a signalling-NaN bit pattern no arithmetic produces. */
#define LRB_GUARD_BITS 0x7FB1A5EDu
/* The poison: a quiet NaN with a recognisable payload. */
#define LRB_POISON_BITS 0x7FC0DEADu

/* Fills p[0..n) with the poison NaN, so that any element a variant fails to write is counted as unwritten. */
void lrb_poison_nan(float *p, int64_t n);

#endif
