/*
 * wkv4_kern.h — the table of the WKV-4 building blocks that kernels/cpu/wkv4_isa.c builds once per ISA
 * (lrb_wkv4_kern_<isa>) and kernels/cpu/wkv4.c composes into seq, chunked and ul.
 *
 * A channel block is nch consecutive channels c0 .. c0+nch−1 of one batch row; its state (P, Q, m) =
 * (aa, bb, pp) lives in three float arrays of nch entries each, read at the start and written back at
 * the end of a call. Lanes never interact, so a result does not depend on how channels are blocked.
 */
#ifndef LRB_WKV4_KERN_H
#define LRB_WKV4_KERN_H

#include "../../reference/wkv4.h"
#include "lrb_cpu.h"

#include <stdint.h>

/* Channel vectors per block of `loop` (a block is at most LRB_WKV4_NV·vw channels). */
#define LRB_WKV4_NV 4
/* Tile length of ul along L (the log-depth schedule runs inside a tile, a carry joins tiles). */
#define LRB_WKV4_UL_TILE 512

typedef struct {
    int vw; /* float lanes of the ISA */
    /* The stable loop of the reference over steps [t0, t1) of batch row b, starting from and updating
     * the state (sp, sq, sm); with outputs ≠ 0 it also writes wkv for those steps. nch ≤ NV·vw. */
    void (*loop)(const lrb_wkv4_args *a, int64_t b, int64_t c0, int nch, int64_t t0, int64_t t1, float *sp, float *sq,
                 float *sm, int outputs);
    /* The carry scan over the nc chunk summaries of a block, stored with stride `stride` between chunks
     * in (sp, sq, sm): replaces each by the exclusive state before its chunk, starting from the state
     * (hp, hq, hm), which it replaces by the inclusive state after the last chunk. nch ≤ NV·vw. */
    void (*carry)(const lrb_wkv4_args *a, int64_t c0, int nch, int64_t nc, float *sp, float *sq, float *sm,
                  int64_t stride, float *hp, float *hq, float *hm);
    /* The ul schedule for the whole row b, tiled along L with carry, from and updating the state; nch ≤ vw.
     * Returns LRB_OK or LRB_ENOMEM (its tile scratch). */
    int (*ul)(const lrb_wkv4_args *a, int64_t b, int64_t c0, int nch, float *sp, float *sq, float *sm);
    /* The in-register log-step schedule for one channel c of row b: LRB_VW consecutive steps per vector,
     * a Hillis–Steele scan across the lanes with the log-space operator, the carry joining the vectors;
     * from and updating the state (*sp, *sq, *sm). */
    void (*logstep)(const lrb_wkv4_args *a, int64_t b, int64_t c, float *sp, float *sq, float *sm);
} lrb_wkv4_kern;

LRB_CPU_DECLARE_KERN(lrb_wkv4_kern, lrb_wkv4);

#endif
