/*
 * wkv4.h — the scalar reference of the RWKV-4 WKV operator (LAYERS.md §2.4): the stable (aa, bb, pp)
 * sequential loop (seq; decision 7) and the log-space associative form (n, m, P, Q) under the
 * ul, blelloch and chunked schedules (§4.3). Used by the wkv4 layer and by rwkv4_timemix/_block.
 *
 * Layout: k, v, wkv are (B, L, C) contiguous; w = −exp(time_decay) and u = time_first are (C);
 * states aa, bb, pp are (B, C). The empty state is aa = bb = 0, pp = −1e38.
 */
#ifndef LRB_WKV4_H
#define LRB_WKV4_H

#include "../harness/lrb_call.h"

#define LRB_WKV4_PP_EMPTY (-1e38f)

typedef struct lrb_wkv4_args {
    int64_t B, L, C;
    const float *w; /* (C): w = −exp(time_decay), computed once per call in float32 by the caller */
    const float *u; /* (C): time_first */
    const float *k, *v;
    float *wkv;
    const float *aa0, *bb0, *pp0; /* initial state, all NULL for the empty state */
    float *aa, *bb, *pp;          /* final state (may be NULL) */
    int64_t chunk;
} lrb_wkv4_args;

int lrb_wkv4(const lrb_wkv4_args *a, lrb_algo algo);

#endif
