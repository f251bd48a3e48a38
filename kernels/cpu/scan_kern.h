/*
 * scan_kern.h — the per-ISA kernel table behind the simd backend's scans (driver: kernels/cpu/scan.c;
 * template: kernels/cpu/scan_isa.c).
 *
 * Every kernel works on one block of channels of one batch row: n channels starting at column d0, `rows`
 * consecutive time steps, row stride ld (the layout of reference/scan.h; complex data planar with the
 * imaginary part im_off floats after the real one). The driver decides the blocks and the threads; the
 * kernels never touch a column outside the block, so a kernel may run on any thread. The arithmetic of
 * each kernel is spelled out next to its entry because the bit-identity claims of scan.c rest on it.
 */
#ifndef LRB_SCAN_KERN_H
#define LRB_SCAN_KERN_H

#include "lrb_cpu.h"

#include <stdint.h>

/* The widest channel block a kernel accepts: the kernels keep per-channel running products on the stack. */
#define LRB_SCAN_MAXBLK 512

typedef struct lrb_scan_blk {
    const float *b; /* element (t0, d0) of the input (imaginary part at + im_off) */
    float *h;       /* the same element of the output; may equal b */
    const float *a; /* data decay at (t0, d0), or NULL for constant decay */
    int64_t ld, im_off, rows, n;
    /* Constant decay: the multiplier of each of the n channels (seq, chunked pass 1). */
    const float *lam_r, *lam_i;
    /* The state the block starts from (n values, imaginary parts in h0_i), or NULL for zero. */
    const float *h0_r, *h0_i;
    /* Constant decay: λ^p of block channel j at P[p·P_ld + j] (rows 0.. of the reference power table). */
    const float *P_r, *P_i;
    int64_t P_ld;
    /* seq with data decay: when non-NULL, receives a_0·a_1·…·a_{rows−1} multiplied in that order (complex:
     * the reference's product order), the decay of the whole block (chunked pass 1). */
    float *prod_r, *prod_i;
    /* 1: the first row is copied from b (a local scan from the zero state, as the reference's chunked
     * pass 1 does), instead of a_0·h0 + b_0. */
    int copy_first;
    /* ul: tile length (a power of two) and scratch for the decay products of one tile (tile·n floats,
     * twice that for complex) */
    int64_t tile;
    float *work;
} lrb_scan_blk;

typedef void (*lrb_scan_blk_fn)(const lrb_scan_blk *k);

typedef struct lrb_scan_kern {
    int vw; /* float lanes of the ISA */
    /* seq: row by row, every channel h_t = (m_t·h_{t−1}) + b_t with m_t = a_t or lam (complex:
     * ((mr·hr) − (mi·hi)) + br and ((mr·hi) + (mi·hr)) + bi), h_{−1} = h0 or 0, exactly the reference's
     * seq; copy_first and prod_* as described above. */
    lrb_scan_blk_fn seq_real, seq_cplx;
    /* chunked pass 2: h_t = (π_t·H) + h_t with H = h0 (the carry into the block) and π_t = a_0·…·a_t
     * (running product, same order as the reference) or P[t + 1]. */
    lrb_scan_blk_fn fix_real, fix_cplx;
    /* logstep, one real chain with unit stride (n = 1, ld = 1): vw steps per vector, P rows 0..vw. */
    lrb_scan_blk_fn logstep_contig;
    /* logstep for any layout, n ≤ vw channels: tiles of vw rows × n channels scanned along the rows by
     * Hillis–Steele steps, the carry h_{t0−1} applied as h_t += A_t·carry. Same arithmetic, lane for
     * lane, as logstep_contig (and as transposing the tile). P rows 0..vw for constant decay. */
    lrb_scan_blk_fn logstep_real, logstep_cplx;
    /* ul: Upper/Lower on tiles of `tile` rows, the previous tile's last row (or h0) folded into the
     * tile's first element as the reference folds h0; P rows 0..tile/2. n ≤ LRB_SCAN_MAXBLK. */
    lrb_scan_blk_fn ul_real, ul_cplx;
} lrb_scan_kern;

LRB_CPU_DECLARE_KERN(lrb_scan_kern, scan);

#endif
