/*
 * cuda_selfcheck.h — the fresh-random checks of the CUDA kernels (cuda_selfcheck.c), shared by the CUDA
 * test binary (tests/test_cuda.c, which asserts on them) and lrb_gpu_check (tools/gpu_check.c, which
 * prints them as a table on a GPU machine without Check). Each row is one kernel launch on device memory
 * whose outputs were NaN-poisoned first, compared with a float64 loop (scans) or the reference's
 * sequential loop (WKV-4).
 */
#ifndef LRB_CUDA_SELFCHECK_H
#define LRB_CUDA_SELFCHECK_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lrb_gpu_check_row {
    char what[160];        /* kernel, algorithm and shape */
    double err, tol;       /* relative L2 error of outputs and final state, and its bound */
    long long nonfinite;   /* non-finite outputs (the poison left anywhere counts) */
    long long gap_written; /* elements outside the scanned columns that changed */
    int deterministic;     /* 1: a second launch gave identical bits */
    long long ws_dirty;    /* control bytes of the workspace a launch left non-zero (lrb_cuda.h: none may) */
    int ok;
} lrb_gpu_check_row;

typedef void (*lrb_gpu_check_emit)(const lrb_gpu_check_row *row, void *ctx);

/* Runs every check on shapes of at most max_elems elements (0: all shapes), calling emit for each row.
 * Returns the number of failed rows, or −1 when a CUDA call or an allocation failed (reported on stderr). */
int lrb_gpu_selfcheck(long long max_elems, lrb_gpu_check_emit emit, void *ctx);

#ifdef __cplusplus
}
#endif

#endif
