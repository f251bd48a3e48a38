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

/* Which checks run: the scan and WKV-4 shapes of min_elems to max_elems elements (0: no bound), and of those
 * the launches of the algorithms in `algos` (bit 1 << lrb_cuda_algo; 0: every algorithm). The projection
 * (cuBLAS) checks run only when `algos` is 0; their shapes are small and fixed. */
typedef struct lrb_gpu_check_sel {
    long long min_elems, max_elems;
    unsigned algos;
} lrb_gpu_check_sel;

/* Runs the checks `sel` selects (NULL: every check), calling emit for each row. Returns the number of failed
 * rows, or −1 when a CUDA call or an allocation failed (reported on stderr). */
int lrb_gpu_selfcheck(const lrb_gpu_check_sel *sel, lrb_gpu_check_emit emit, void *ctx);

#ifdef __cplusplus
}
#endif

#endif
