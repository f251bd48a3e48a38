/*
 * registry.c — the variant table. The scalar reference (`ref`) offers seq, ul, blelloch and chunked
 * for every recurrent layer and `direct` for the others; glru in true-recurrence mode is sequential
 * by nature, so only its seq variant supports it.
 */
#include "registry.h"

#include "../reference/lrb_ref.h"
#include "lrb_layers.h"

#include <string.h>

static int glru_parallel_ok(const lrb_cfg *cfg)
{
    return lrb_cfg_int(cfg, "true_recurrence") == 0;
}

/* clang-format off */
#define REF4(layer, fn, sup)                                                  \
    {layer ".ref.seq", layer, "ref", LRB_SEQ, fn, NULL, NULL},                \
    {layer ".ref.ul", layer, "ref", LRB_UL, fn, sup, NULL},                   \
    {layer ".ref.blelloch", layer, "ref", LRB_BLELLOCH, fn, sup, NULL},       \
    {layer ".ref.chunked", layer, "ref", LRB_CHUNKED, fn, sup, NULL}
#define REF_DIRECT(layer, fn) {layer ".ref.direct", layer, "ref", LRB_DIRECT, fn, NULL, NULL}
/* clang-format on */

const lrb_variant lrb_variants[] = {
    REF4("scan", lrb_ref_scan, NULL),
    REF4("slru", lrb_ref_slru, NULL),
    REF4("lru", lrb_ref_lru, NULL),
    REF4("brwkv", lrb_ref_brwkv, NULL),
    REF4("wkv4", lrb_ref_wkv4, NULL),
    REF4("rwkv4_timemix", lrb_ref_rwkv4_timemix, NULL),
    REF_DIRECT("rwkv4_channelmix", lrb_ref_rwkv4_channelmix),
    REF4("rwkv4_block", lrb_ref_rwkv4_block, NULL),
    REF4("glru", lrb_ref_glru, glru_parallel_ok),
    REF_DIRECT("linear", lrb_ref_linear),
    REF_DIRECT("layernorm", lrb_ref_layernorm),
    REF4("rnn_wrapper", lrb_ref_rnn_wrapper, NULL),
};
const int lrb_num_variants = (int)(sizeof lrb_variants / sizeof lrb_variants[0]);

const lrb_variant *lrb_variant_find(const char *name)
{
    for (int i = 0; i < lrb_num_variants; i++)
        if (strcmp(lrb_variants[i].name, name) == 0)
            return &lrb_variants[i];
    return NULL;
}

const lrb_variant *lrb_variant_default(const char *layer)
{
    for (int i = 0; i < lrb_num_variants; i++)
        if (strcmp(lrb_variants[i].layer, layer) == 0)
            return &lrb_variants[i]; /* seq or direct is listed first */
    return NULL;
}

int lrb_variant_supports(const lrb_variant *v, const lrb_cfg *cfg)
{
    return v->supports == NULL || v->supports(cfg);
}
