/*
 * glru.c — scalar float32 reference of the GatedLinearRNN layer (`glru`, LAYERS.md §3.1; GL @ 9bf242b):
 *
 *     z = x·K_p + b_p                         (flax layout, K_p (d_in, n·d_h); n = 3 tied, 4 untied)
 *     x̃ = tanh(z[0:d_h]);  i, [f,] o = σ(z[d_h:])   column blocks input, i, o (tied, f = 1 − i)
 *                                                     or input, i, f, o (untied)
 *     b_t = x̃_t ⊙ i_t;   h_t = f_t ⊙ h_{t−1} + b_t   (h_{−1} = the carry, state h; empty = 0)
 *     y_t = tanh(h_t) ⊙ o_t;   out = y·K_o + b_o
 *
 * Without true recurrence the gates do not depend on h, so the recurrence is the data-decay scan
 * (scan.h) with a = f, under any of the four algorithms: lrb_glru_scan_composed runs gates, scan and
 * output gate through lrb_scan_fused, unless the backend has one fused kernel for them (ops->glru_scan,
 * the cuda backend's). With true_recurrence = 1 each step adds
 * ρ_t = h_{t−1}·K_R (recurrent_proj.kernel (d_h, n·d_h), no bias) to the pre-activations, which
 * makes the layer inherently sequential: only LRB_SEQ is accepted. Both paths share the gate and
 * output arithmetic below, so with K_R = 0 the true-recurrence path reproduces the plain sequential
 * one bit for bit (GL's "train with the scan, fine-tune recurrently").
 */
#include "dense.h"
#include "lrb_ref.h"
#include "scan.h"
#include "lrb_math.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Turns one pre-activation row [input | i | (f |) o] into [b | f | ... | o] in place: block 0 gets
 * b = tanh(input) ⊙ i, block 1 the decay f (tied: 1 − i; untied: σ of block 2), block n−1 keeps o
 * (after its sigmoid). The scan then reads a = block 1 and b = block 0 of the same row. */
static void gate_row(const lrb_ops *ops, float *z, int64_t dh, int tied)
{
    /* every block but the input gets a sigmoid: i, o (tied) or i, f, o (untied) */
    ops->tanh_n(z, z, dh);
    ops->sigmoid_n(z + dh, z + dh, (tied ? 2 : 3) * dh);
    for (int64_t j = 0; j < dh; j++) {
        const float i = z[dh + j];
        z[j] = z[j] * i;
        z[dh + j] = tied ? 1.0f - i : z[2 * dh + j];
    }
}

/* Block 0 of the row becomes y = tanh(h) ⊙ o, the input of the output projection. */
static void output_row(const lrb_ops *ops, float *z, const float *h, int64_t dh, int64_t o_off)
{
    ops->tanh_n(h, z, dh);
    for (int64_t j = 0; j < dh; j++)
        z[j] = z[j] * z[o_off + j];
}

typedef struct glru_rows {
    const lrb_ops *ops;
    float *z;
    int64_t dh, nd, o_off;
    int tied;
} glru_rows;

static void glru_gate_rows(void *vctx, int64_t r0, int64_t n)
{
    const glru_rows *c = vctx;
    for (int64_t r = r0; r < r0 + n; r++)
        gate_row(c->ops, c->z + r * c->nd, c->dh, c->tied);
}

static void glru_out_rows(void *vctx, int64_t r0, int64_t n)
{
    const glru_rows *c = vctx;
    for (int64_t r = r0; r < r0 + n; r++)
        output_row(c->ops, c->z + r * c->nd, c->z + r * c->nd, c->dh, c->o_off);
}

int lrb_glru_scan_composed(const lrb_ops *ops, const lrb_glru_scan_args *g, lrb_algo algo)
{
    const int64_t dh = g->dh, nd = (g->tied ? 3 : 4) * dh;
    const lrb_scan_args sa = {
        .B = g->B,
        .L = g->L,
        .D = dh,
        .ld = nd,
        .im_off = 0,
        .b = g->z,
        .h = g->z,
        .a = g->z + dh,
        .nu = NULL,
        .theta = NULL,
        .h0 = g->h0,
        .h_last = g->h_last,
        .chunk = g->chunk,
    };
    const glru_rows rows = {ops, g->z, dh, nd, nd - dh, g->tied};
    return lrb_scan_fused(ops, &sa, 0, algo, glru_gate_rows, glru_out_rows, (void *)&rows, nd * (int64_t)sizeof(float));
}

int lrb_glru_run(const lrb_call *c, lrb_algo algo, const lrb_ops *ops)
{
    const int64_t B = lrb_cfg_int(c->cfg, "B"), L = lrb_cfg_int(c->cfg, "L");
    const int64_t din = lrb_cfg_int(c->cfg, "d_in"), dh = lrb_cfg_int(c->cfg, "d_h");
    const int64_t dm = lrb_cfg_int(c->cfg, "d_model"), chunk = lrb_cfg_int(c->cfg, "chunk");
    const int tied = lrb_cfg_int(c->cfg, "tied") != 0;
    const int true_rec = lrb_cfg_int(c->cfg, "true_recurrence") != 0;
    if (!lrb_algo_is_recurrent(algo) || (true_rec && algo != LRB_SEQ))
        return LRB_EINVAL;
    if (B < 1 || L < 1 || din < 1 || dh < 1 || dm < 1)
        return LRB_EINVAL;
    const float *Kp = lrb_call_get(c, "proj.kernel"), *bp = lrb_call_get(c, "proj.bias");
    const float *Ko = lrb_call_get(c, "out_proj.kernel"), *bo = lrb_call_get(c, "out_proj.bias");
    const float *Kr = lrb_call_get(c, "recurrent_proj.kernel");
    const float *x = lrb_call_get(c, "x"), *h0 = lrb_call_state_in(c, "h");
    float *y = lrb_call_get(c, "y"), *h_last = lrb_call_state_out(c, "h");
    if (!Kp || !bp || !Ko || !bo || !x || !y || (true_rec && !Kr))
        return LRB_EINVAL;

    const int64_t n = tied ? 3 : 4, nd = n * dh, o_off = (n - 1) * dh;
    /* Scratch: z (B, L, n·d_h), turned in place into [b→h→y | f | ... | o]; the running state h and
     * ρ for the true recurrence (B, d_h) and (B, n·d_h); the final state (B, d_h), so that h_last may
     * alias h0. */
    const size_t nz = (size_t)(B * L * nd), nh = (size_t)(B * dh);
    float *z = ops->scratch_alloc(nz + 2 * nh + (size_t)(B * nd));
    if (!z)
        return LRB_ENOMEM;
    float *h = z + nz, *hl = h + nh, *rho = hl + nh;

    ops->dense_rows_kn(x, B * L, din, din, Kp, bp, nd, z, nd);

    int rc = LRB_OK;
    if (!true_rec) {
        const lrb_glru_scan_args ga = {B, L, dh, tied, z, h0, hl, chunk};
        rc = ops->glru_scan ? ops->glru_scan(&ga, algo) : lrb_glru_scan_composed(ops, &ga, algo);
    } else {
        if (h0)
            memcpy(h, h0, nh * sizeof *h);
        else
            memset(h, 0, nh * sizeof *h);
        for (int64_t t = 0; t < L; t++) {
            /* ρ_t for every batch element from h_{t−1}; flax Dense without bias. */
            ops->dense_rows_kn(h, B, dh, dh, Kr, NULL, nd, rho, nd);
            for (int64_t b = 0; b < B; b++) {
                float *zr = z + (b * L + t) * nd;
                const float *rr = rho + b * nd;
                float *hb = h + b * dh;
                for (int64_t k = 0; k < nd; k++)
                    zr[k] = zr[k] + rr[k];
                gate_row(ops, zr, dh, tied);
                /* The scan step exactly as the sequential scan writes it: h ← a·h + b. */
                for (int64_t j = 0; j < dh; j++)
                    hb[j] = zr[dh + j] * hb[j] + zr[j];
                output_row(ops, zr, hb, dh, o_off);
            }
        }
        memcpy(hl, h, nh * sizeof *h);
    }
    if (rc == LRB_OK) {
        ops->dense_rows_kn(z, B * L, dh, nd, Ko, bo, dm, y, dm);
        if (h_last)
            memcpy(h_last, hl, nh * sizeof *hl);
    }
    ops->scratch_free(z);
    return rc;
}

int lrb_ref_glru(const lrb_call *c, lrb_algo algo)
{
    return lrb_glru_run(c, algo, &lrb_ref_ops);
}
