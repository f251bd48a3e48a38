/*
 * registry.h — the one variant registry: every implementation of every layer that lrb can run,
 * named <layer>.<backend>.<algorithm> (DESIGN.md §2). Tests, `lrb check`, `lrb run` and the
 * benchmarks iterate over this table; adding a variant is one entry here plus its code.
 */
#ifndef LRB_REGISTRY_H
#define LRB_REGISTRY_H

#include "lrb_call.h"

struct lrb_variant;

/* Timing hook: runs n back-to-back calls of the variant on `call` and returns their elapsed time in
 * *seconds, flushing the caches before each call when `flush` (the flushes are not counted). GPU variants
 * implement it with CUDA events around the launches of their GPU stages (device time; the flush is a
 * memset of a buffer of twice the L2 size on the same stream), and set *bytes to the minimal traffic of
 * one call's timed stages, counted as a layer's bytes_min (harness/complexity.h) is, since what they time
 * is those stages, not the layer's CPU projections. CPU variants leave the hook NULL: the benchmark times
 * them with Google Benchmark's own loop, or with lrb_bench's wall-clock implementation (which sets *bytes
 * to 0: the whole call, the layer's bytes_min) under --lrb-manual-time or --lrb-cold-cache. Returns 0, or
 * an LRB_E* code. */
typedef int (*lrb_timed_fn)(const struct lrb_variant *v, const lrb_call *call, int64_t n, int flush, double *seconds,
                            double *bytes);

typedef struct lrb_variant {
    const char *name;    /* e.g. "lru.ref.seq" */
    const char *layer;   /* e.g. "lru" */
    const char *backend; /* "ref" */
    lrb_algo algo;
    lrb_variant_fn fn;
    /* NULL when every configuration of the layer is supported; otherwise returns 0 for a
     * configuration the variant cannot run (e.g. glru true_recurrence with a parallel scan). */
    int (*supports)(const lrb_cfg *cfg);
    lrb_timed_fn timed; /* NULL: timed by the benchmark's loop (see lrb_timed_fn) */
} lrb_variant;

extern const lrb_variant lrb_variants[];
extern const int lrb_num_variants;

const lrb_variant *lrb_variant_find(const char *name);
/* The default variant of a layer: its scalar sequential (or direct) reference. */
const lrb_variant *lrb_variant_default(const char *layer);
int lrb_variant_supports(const lrb_variant *v, const lrb_cfg *cfg);
/* 1 when this machine can run v; otherwise 0 and *why (when non-NULL) says why (e.g. no CUDA device).
 * Callers list an unavailable variant as skipped with the reason, never as passed or failed. The first
 * call for a cuda variant initialises the CUDA runtime. */
int lrb_variant_available(const lrb_variant *v, const char **why);

#endif
