/*
 * conformance.h — conformance: runs every variant of the registry on every golden case of the case table
 * and compares with the float64 oracle (DESIGN.md §6). Used by `lrb check` and by the golden tests.
 */
#ifndef LRB_CONFORMANCE_H
#define LRB_CONFORMANCE_H

#include "cases.h"
#include "registry.h"

#include <stdio.h>

#define LRB_GOLDEN_VERSION "1"

typedef struct lrb_check_opts {
    const char *golden_dir;  /* holds VERSION and v1/<case>/ */
    int tier;                /* 1 or 2 */
    const char *layer;       /* NULL: all */
    const char *variant;     /* NULL: all */
    const char *case_filter; /* substring of the case name, NULL: all */
    FILE *table;             /* per-row table (NULL: none) */
    FILE *jsonl;             /* conformance.jsonl rows (NULL: none) */
} lrb_check_opts;

typedef struct lrb_check_summary {
    int rows, passed, failed, skipped;
    /* (case, variant) pairs not run because the variant's backend is unavailable here, and why */
    int unavailable;
    const char *unavailable_why;
    /* cases whose golden files could not be read (their rows fail), and the first reason: an input error */
    int unreadable;
    char unreadable_why[1024];
    /* per variant: number of cases, worst rel-L2 and its tolerance at that case */
    int ncases[256], nfailed[256];
    double worst[256], worst_tol[256], worst_ratio[256];
} lrb_check_summary;

/* Checks golden/VERSION against LRB_GOLDEN_VERSION. Returns 0, or -1 with a message. */
int lrb_golden_version_ok(const char *golden_dir, char *err, size_t errlen);

/* Runs one case against one variant. Returns 1 pass, 0 fail (reason in msg), -1 input error. */
int lrb_check_one(const lrb_case *c, const lrb_variant *v, const char *golden_dir, char *msg, size_t msglen,
                  double *rel_l2, double *tol);

/* Runs the selection; prints rows and a summary. Returns the number of failures, or -1 on bad input. */
int lrb_check_run(const lrb_case_table *t, const lrb_check_opts *o, lrb_check_summary *s);
void lrb_check_print_summary(FILE *f, const lrb_check_summary *s);

#endif
