/*
 * registry.c — the variant table. The scalar reference (`ref`) offers seq, ul, blelloch and chunked
 * for every recurrent layer and `direct` for the others; the simd backend (kernels/cpu/, any ISA
 * path, chosen at run time) offers seq, logstep, chunked and ul, and direct. glru in true-recurrence
 * mode is sequential by nature, so only its seq variants support it. The ref variants are listed
 * first, so a layer's first entry is its reference.
 *
 * The cuda backend (kernels/cuda/, compiled in only where this file is built with LRB_WITH_CUDA; see
 * CMakeLists.txt) offers seq, ul and chunked for every layer with a scan, and seq and chunked for the
 * WKV-4 layers: the layer's composition with its scan or WKV-4 stage on the GPU and the rest on the simd
 * backend. Its variants are listed everywhere and run only where lrb_variant_available says a device is
 * present. glru's true recurrence is sequential with a projection per step, so it has no cuda variant.
 */
#include "registry.h"

#include "../kernels/cpu/lrb_simd.h"
#ifdef LRB_WITH_CUDA
#include "../kernels/cuda/lrb_cuda.h"
#include "../kernels/cuda/lrb_cuda_backend.h"
#endif
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
#define SIMD4(layer, fn, sup)                                                 \
    {layer ".simd.seq", layer, "simd", LRB_SEQ, fn, NULL, NULL},              \
    {layer ".simd.logstep", layer, "simd", LRB_LOGSTEP, fn, sup, NULL},       \
    {layer ".simd.chunked", layer, "simd", LRB_CHUNKED, fn, sup, NULL},       \
    {layer ".simd.ul", layer, "simd", LRB_UL, fn, sup, NULL}
#define SIMD_DIRECT(layer, fn) {layer ".simd.direct", layer, "simd", LRB_DIRECT, fn, NULL, NULL}
/* Every cuda variant is timed by lrb_cuda_timed: the device time of its GPU stages (the projections, by
 * cuBLAS, and the scan, WKV-4 or gated scan; the elementwise steps between them run on the CPU and are not
 * timed) and those stages' bytes. */
#define CUDA3(layer, fn, sup)                                                         \
    {layer ".cuda.seq", layer, "cuda", LRB_SEQ, fn, sup, lrb_cuda_timed},             \
    {layer ".cuda.ul", layer, "cuda", LRB_UL, fn, sup, lrb_cuda_timed},               \
    {layer ".cuda.chunked", layer, "cuda", LRB_CHUNKED, fn, sup, lrb_cuda_timed}
#define CUDA2(layer, fn, sup)                                                         \
    {layer ".cuda.seq", layer, "cuda", LRB_SEQ, fn, sup, lrb_cuda_timed},             \
    {layer ".cuda.chunked", layer, "cuda", LRB_CHUNKED, fn, sup, lrb_cuda_timed}
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
    SIMD4("scan", lrb_simd_layer_scan, NULL),
    SIMD4("slru", lrb_simd_layer_slru, NULL),
    SIMD4("lru", lrb_simd_layer_lru, NULL),
    SIMD4("brwkv", lrb_simd_layer_brwkv, NULL),
    SIMD4("wkv4", lrb_simd_layer_wkv4, NULL),
    SIMD4("rwkv4_timemix", lrb_simd_layer_rwkv4_timemix, NULL),
    SIMD_DIRECT("rwkv4_channelmix", lrb_simd_layer_rwkv4_channelmix),
    SIMD4("rwkv4_block", lrb_simd_layer_rwkv4_block, NULL),
    SIMD4("glru", lrb_simd_layer_glru, glru_parallel_ok),
    SIMD_DIRECT("linear", lrb_simd_layer_linear),
    SIMD_DIRECT("layernorm", lrb_simd_layer_layernorm),
    SIMD4("rnn_wrapper", lrb_simd_layer_rnn_wrapper, NULL),
#ifdef LRB_WITH_CUDA
    CUDA3("scan", lrb_cuda_layer_scan, NULL),
    CUDA3("slru", lrb_cuda_layer_slru, NULL),
    CUDA3("lru", lrb_cuda_layer_lru, NULL),
    CUDA3("brwkv", lrb_cuda_layer_brwkv, NULL),
    CUDA2("wkv4", lrb_cuda_layer_wkv4, NULL),
    CUDA2("rwkv4_timemix", lrb_cuda_layer_rwkv4_timemix, NULL),
    CUDA2("rwkv4_block", lrb_cuda_layer_rwkv4_block, NULL),
    CUDA3("glru", lrb_cuda_layer_glru, glru_parallel_ok),
    CUDA3("rnn_wrapper", lrb_cuda_layer_rnn_wrapper, NULL),
    {"linear.cuda.direct", "linear", "cuda", LRB_DIRECT, lrb_cuda_layer_linear, NULL, lrb_cuda_timed},
#endif
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

int lrb_variant_available(const lrb_variant *v, const char **why)
{
#ifdef LRB_WITH_CUDA
    if (strcmp(v->backend, "cuda") == 0)
        return lrb_cuda_available(why);
#endif
    (void)v;
    (void)why;
    return 1;
}
