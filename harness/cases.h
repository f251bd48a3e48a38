/*
 * cases.h — the one case table (golden/cases.txt, format in golden/FORMAT.md), parsed for the C side.
 * The NumPy generator reads the same file; tests, `lrb check` and the benchmarks iterate over it.
 * Golden cases have tier 1 (committed) or 2 (generated at test time); benchmark families have
 * tier=bench, where L and BD may be comma-separated sweeps.
 */
#ifndef LRB_CASES_H
#define LRB_CASES_H

#include "lrb_call.h"
#include "lrb_layers.h"

#define LRB_CASE_MAX_DISTS 4
#define LRB_CASE_MAX_SWEEP 16
#define LRB_TIER_BENCH 3 /* tier=bench: a benchmark family, without an oracle */

typedef struct lrb_case {
    char name[96];
    int tier;
    uint64_t seed;
    char regime[32];
    int state; /* the case carries an initial state */
    lrb_cfg cfg;
    int ndists;
    char dist_input[LRB_CASE_MAX_DISTS][16];
    char dist_spec[LRB_CASE_MAX_DISTS][48];
    /* tier=bench only: L and BD (number of chains B·D of a scan) may be lists; the benchmark registers
     * one instance per element (n_sweep_* = 0: not a sweep) */
    int n_sweep_L, n_sweep_BD;
    int64_t sweep_L[LRB_CASE_MAX_SWEEP], sweep_BD[LRB_CASE_MAX_SWEEP];
    /* tier=bench only: `backends=simd,cuda` limits the family to those backends (e.g. shapes where the
     * scalar reference would take minutes per call); empty: every backend */
    char backends[32];
} lrb_case;

typedef struct lrb_case_table {
    int n;
    lrb_case *cases;
} lrb_case_table;

/* The committed golden set (tier 1, beside golden/cases.txt) a program reads unless told otherwise:
 * $LRB_GOLDEN_DIR when set, else the source tree's golden/ named at build time (so a binary carried to
 * another machine, e.g. by ci/gpu_bundle.sh, finds the checkout there through the variable). */
const char *lrb_golden_dir(void);

/* Parses FILE. On error returns -1 with "FILE:LINE: message" in err. */
int lrb_cases_load(const char *path, lrb_case_table *t, char *err, size_t errlen);
void lrb_cases_free(lrb_case_table *t);
const lrb_case *lrb_case_find(const lrb_case_table *t, const char *name);
/* The distribution spec of input `name` ("n:1" when the case does not set one). */
const char *lrb_case_dist(const lrb_case *c, const char *input);

#endif
