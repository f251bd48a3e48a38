/*
 * registry.h — the one variant registry: every implementation of every layer that lrb can run,
 * named <layer>.<backend>.<algorithm> (DESIGN.md §2). Tests, `lrb check`, `lrb run` and the
 * benchmarks iterate over this table; adding a variant is one entry here plus its code.
 */
#ifndef LRB_REGISTRY_H
#define LRB_REGISTRY_H

#include "lrb_call.h"

typedef struct lrb_variant {
    const char *name;    /* e.g. "lru.ref.seq" */
    const char *layer;   /* e.g. "lru" */
    const char *backend; /* "ref" */
    lrb_algo algo;
    lrb_variant_fn fn;
    /* NULL when every configuration of the layer is supported; otherwise returns 0 for a
     * configuration the variant cannot run (e.g. glru true_recurrence with a parallel scan). */
    int (*supports)(const lrb_cfg *cfg);
} lrb_variant;

extern const lrb_variant lrb_variants[];
extern const int lrb_num_variants;

const lrb_variant *lrb_variant_find(const char *name);
/* The default variant of a layer: its scalar sequential (or direct) reference. */
const lrb_variant *lrb_variant_default(const char *layer);
int lrb_variant_supports(const lrb_variant *v, const lrb_cfg *cfg);

#endif
