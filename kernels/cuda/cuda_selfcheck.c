/*
 * cuda_selfcheck.c — the fresh-random kernel checks of cuda_selfcheck.h.
 *
 * Scans: every algorithm (seq, ul, chunked) × real/complex × constant/data decay × with/without h0, on
 * shapes from one step of one chain to 100 003 steps and 4096 chains, in rows wider than the scanned
 * columns (ld > D, and a gap between the real and imaginary parts) whose other columns must keep their
 * poison. Decays stay within |a| ≤ 0.999 and ν ≥ 0.01, so the memory of a chain is at most 1000 steps,
 * and the bound is the 1e-5 relative L2 of decaying recurrences (LAYERS.md tolerance table). Each launch
 * runs twice and must give the same bits (the chunked look-back is deterministic by construction).
 * glru's gated scan: every algorithm × tied/untied × with/without h0 on the scan shapes, pre-activation rows
 * with gap columns, against a float64 loop, bound 1e-5.
 * Dense projections (cuBLAS, lrb_cuda_dense): both weight layouts, with and without bias, odd sizes first,
 * against a float64 triple loop, bound 1e-5.
 * WKV-4: seq and chunked against lrb_wkv4's sequential loop, outputs and states (compared through
 * S/Z = aa/bb and log Z = log bb + pp), bound 2e-5.
 */
#define _POSIX_C_SOURCE 200809L
#include "cuda_selfcheck.h"

#include "lrb_cuda.h"
#include "scan.h"
#include "wkv4.h"

#include <cuda_runtime_api.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* a splitmix64 stream (the checks need their own numbers, nothing more) */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double rng_u(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) * 0x1.0p-53;
}

static double rng_n(uint64_t *s)
{
    double u1 = rng_u(s), u2 = rng_u(s);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

#define TWO_PI 6.283185307179586

/* Device buffers of one check, freed together. */
typedef struct {
    void *p[16];
    int n;
} dev_set;

static float *dev_alloc(dev_set *ds, size_t n, int *err)
{
    void *p = NULL;
    if (*err || LRB_CUDA_CHECK(cudaMalloc(&p, (n ? n : 1) * sizeof(float)))) {
        *err = 1;
        return NULL;
    }
    ds->p[ds->n++] = p;
    return p;
}

static float *dev_upload(dev_set *ds, const float *h, size_t n, int *err)
{
    float *d = dev_alloc(ds, n, err);
    if (d && h && LRB_CUDA_CHECK(cudaMemcpy(d, h, n * sizeof *d, cudaMemcpyHostToDevice)))
        *err = 1;
    return d;
}

static void dev_free(dev_set *ds)
{
    for (int i = 0; i < ds->n; i++)
        LRB_CUDA_CHECK(cudaFree(ds->p[i]));
    ds->n = 0;
}

static int download(float *h, const float *d, size_t n)
{
    return LRB_CUDA_CHECK(cudaMemcpy(h, d, n * sizeof *h, cudaMemcpyDeviceToHost));
}

/* The one pass condition of every row, once its counts are in: err (a relative error, however the check
 * forms it) below tol, no non-finite or stray value, the second launch's outputs `out2` the same bits as
 * the first's, and the workspace left clean. */
static void verdict(lrb_gpu_check_row *row, const float *out, const float *out2, size_t n, double err, double tol)
{
    row->err = err;
    row->tol = tol;
    row->deterministic = memcmp(out, out2, n * sizeof *out) == 0;
    row->ok =
        row->nonfinite == 0 && row->gap_written == 0 && row->err < row->tol && row->deterministic && row->ws_dirty == 0;
}

/* Fills the verdict of one launch into row: its outputs `out` (n floats in rows of ld, of which columns
 * 0 .. D − 1 and, when im_off > 0, im_off .. im_off + D − 1 are written; every other column must keep the
 * NaN poison) and final state `hl` (ns floats) against float64 references, as one relative L2 error bound by
 * tol; out2 is a second launch's outputs, which must be the same bits. */
static void judge(lrb_gpu_check_row *row, const float *out, const float *out2, const double *ref, size_t n, int64_t ld,
                  int64_t D, int64_t im_off, const float *hl, const double *refl, size_t ns, double tol)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        const int64_t col = (int64_t)(i % (size_t)ld);
        if (!(col < D || (im_off > 0 && col >= im_off && col < im_off + D))) {
            row->gap_written += !isnan(out[i]);
            continue;
        }
        row->nonfinite += !isfinite(out[i]);
        num += (out[i] - ref[i]) * (out[i] - ref[i]);
        den += ref[i] * ref[i];
    }
    for (size_t i = 0; i < ns; i++) {
        row->nonfinite += !isfinite(hl[i]);
        num += (hl[i] - refl[i]) * (hl[i] - refl[i]);
        den += refl[i] * refl[i];
    }
    verdict(row, out, out2, n, sqrt(num / (den > 0 ? den : 1)), tol);
}

/* The device outputs of a launch and where its two runs land on the host. */
typedef struct {
    float *d_out;
    size_t n_out;
    float *d_state;
    size_t n_state;
    float *out, *out2, *state; /* the first run's outputs and state, the second run's outputs */
    long long ws_dirty;        /* set by launch_twice: control bytes of the workspace left non-zero */
} launch_io;

typedef int (*launch_fn)(const void *args, lrb_cuda_algo algo, void *work);

static int scan_launch(const void *args, lrb_cuda_algo algo, void *work)
{
    return lrb_cuda_scan_launch(args, algo, work, 0);
}

static int glru_launch(const void *args, lrb_cuda_algo algo, void *work)
{
    return lrb_cuda_glru_launch(args, algo, work, 0);
}

static int wkv4_launch(const void *args, lrb_cuda_algo algo, void *work)
{
    return lrb_cuda_wkv4_launch(args, algo, work, 0);
}

/* The one workspace of every check, zeroed once when it grows (lrb_cuda.h): each launch takes it as the
 * launches of other kinds and shapes before it left it, so a launch that does not clean up after itself
 * (the look-back's counter and flags) corrupts the launches after it. */
static lrb_cuda_block check_work;

/* The control bytes among the first `n` of the workspace that are not zero (-1: the download failed). */
static long long dirty_bytes(const void *work, size_t n)
{
    unsigned char *h = n ? malloc(n) : NULL;
    long long dirty = n && !h ? -1 : 0;
    if (h && LRB_CUDA_CHECK(cudaMemcpy(h, work, n, cudaMemcpyDeviceToHost)))
        dirty = -1;
    for (size_t i = 0; h && dirty >= 0 && i < n; i++)
        dirty += h[i] != 0;
    free(h);
    return dirty;
}

/* Runs a launch twice, each time on outputs and state (if any: n_state > 0) NaN-poisoned everywhere (gap
 * columns too), with the shared workspace of at least wb bytes, and downloads both runs' outputs and the
 * first run's state; counts into io->ws_dirty the control bytes (the first `control` of the workspace) that
 * either run left non-zero. 0, or 1 when a CUDA call or the launch failed. */
static int launch_twice(launch_fn launch, const void *args, lrb_cuda_algo algo, size_t wb, size_t control,
                        launch_io *io)
{
    void *work = wb ? lrb_cuda_block_grow(&check_work, wb, 0) : NULL;
    int err = wb && !work;
    io->ws_dirty = 0;
    for (int rep = 0; rep < 2 && !err; rep++) {
        if (LRB_CUDA_CHECK(cudaMemset(io->d_out, 0xff, io->n_out * sizeof(float))) ||
            (io->n_state && LRB_CUDA_CHECK(cudaMemset(io->d_state, 0xff, io->n_state * sizeof(float)))) ||
            launch(args, algo, work) != LRB_CUDA_OK || LRB_CUDA_CHECK(cudaDeviceSynchronize()) ||
            download(rep ? io->out2 : io->out, io->d_out, io->n_out) ||
            (rep == 0 && io->n_state && download(io->state, io->d_state, io->n_state)))
            err = 1;
        const long long dirty = err ? 0 : dirty_bytes(work, control);
        if (dirty < 0)
            err = 1;
        else if (dirty > 0) {
            io->ws_dirty += dirty;
            /* zeroed for the checks after this one, which would otherwise inherit the fault */
            err = LRB_CUDA_CHECK(cudaMemset(work, 0, control));
        }
    }
    return err;
}

/* ---- scans -------------------------------------------------------------------------------------------------- */

static int algo_selected(const lrb_gpu_check_sel *sel, lrb_cuda_algo algo)
{
    return sel->algos == 0 || (sel->algos >> algo & 1u);
}

typedef struct {
    int64_t B, L, D;
} shape;

/* (1, 1200, 17) and WKV-4's (1, 1200, 20): one channel group in ten tiles of 128 steps, so consecutive tiles
 * run at once even on the emulation's three blocks and the look-back walks past aggregates */
static const shape scan_shapes[] = {
    {1, 1, 1},      {1, 2, 3},     {2, 17, 5},     {1, 4097, 1},  {3, 1000, 33}, {1, 100003, 2},
    {8, 4096, 256}, {64, 257, 64}, {1, 65536, 31}, {4096, 16, 1}, {2, 300, 40},  {1, 1200, 17},
};

static const lrb_cuda_algo scan_algos[3] = {LRB_CUDA_SEQ, LRB_CUDA_UL, LRB_CUDA_CHUNKED};

/* float64 loop over the float32 data; λ in double, as the kernels form it */
static void scan_oracle(int cplx, int data, const shape *sh, int64_t ld, int64_t io, const float *b, const float *a,
                        const float *nu, const float *th, const float *h0, double *out, double *last)
{
    const int64_t B = sh->B, L = sh->L, D = sh->D, sw = cplx ? 2 * D : D;
    for (int64_t bi = 0; bi < B; bi++)
        for (int64_t d = 0; d < D; d++) {
            double hr = h0 ? h0[bi * sw + d] : 0.0, hi = (h0 && cplx) ? h0[bi * sw + D + d] : 0.0, lr = 0, li = 0;
            if (!data) {
                const double e = exp(-(double)nu[d]);
                lr = cplx ? e * cos((double)th[d]) : e;
                li = cplx ? e * sin((double)th[d]) : 0.0;
            }
            for (int64_t t = 0; t < L; t++) {
                const int64_t i = (bi * L + t) * ld + d;
                const double mr = data ? a[i] : lr, mi = data ? (cplx ? a[i + io] : 0.0) : li;
                const double br = b[i], bim = cplx ? b[i + io] : 0.0;
                const double nr = mr * hr - mi * hi + br, ni = mr * hi + mi * hr + bim;
                hr = nr;
                hi = ni;
                out[i] = hr;
                if (cplx)
                    out[i + io] = hi;
            }
            last[bi * sw + d] = hr;
            if (cplx)
                last[bi * sw + D + d] = hi;
        }
}

static int scan_checks(const shape *sh, int cplx, int data, uint64_t seed, const lrb_gpu_check_sel *sel,
                       lrb_gpu_check_emit emit, void *ctx)
{
    const int64_t B = sh->B, L = sh->L, D = sh->D, io = cplx ? D + 1 : 0, ld = cplx ? 2 * D + 3 : D + 2;
    const size_t n = (size_t)(B * L * ld), ns = (size_t)(B * D * (cplx ? 2 : 1));
    uint64_t rs = seed;
    float *b = calloc(n, sizeof *b), *a = calloc(n, sizeof *a), *nu = calloc((size_t)D, sizeof *nu);
    float *th = calloc((size_t)D, sizeof *th), *h0 = calloc(ns, sizeof *h0), *h = calloc(n, sizeof *h);
    float *h2 = calloc(n, sizeof *h2), *hl = calloc(ns, sizeof *hl);
    double *ref = calloc(n, sizeof *ref), *refl = calloc(ns, sizeof *refl);
    int failed = 0, err = !(b && a && nu && th && h0 && h && h2 && hl && ref && refl);
    dev_set ds = {{0}, 0};
    if (err) {
        fprintf(stderr, "lrb_gpu_selfcheck: out of host memory\n");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        b[i] = (float)rng_n(&rs);
        const double r = 0.5 + 0.499 * rng_u(&rs), ph = TWO_PI * rng_u(&rs);
        a[i] = (float)(cplx ? r * cos(ph) : r);
    }
    if (cplx) /* the imaginary parts: |a| ≤ 0.999 stays true */
        for (int64_t r = 0; r < B * L; r++)
            for (int64_t d = 0; d < D; d++) {
                const double re = a[r * ld + d], mag = 0.5 + 0.499 * rng_u(&rs);
                const double im = sqrt(fmax(mag * mag - re * re, 0.0));
                a[r * ld + io + d] = (float)(rng_u(&rs) < 0.5 ? -im : im);
            }
    for (int64_t d = 0; d < D; d++) {
        nu[d] = (float)(0.01 + 0.5 * rng_u(&rs));
        th[d] = (float)(TWO_PI * rng_u(&rs));
    }
    for (size_t i = 0; i < ns; i++)
        h0[i] = (float)rng_n(&rs);
    float *db = dev_upload(&ds, b, n, &err), *da = dev_upload(&ds, a, n, &err);
    float *dnu = dev_upload(&ds, nu, (size_t)D, &err), *dth = dev_upload(&ds, th, (size_t)D, &err);
    float *dh0 = dev_upload(&ds, h0, ns, &err), *dh = dev_alloc(&ds, n, &err), *dhl = dev_alloc(&ds, ns, &err);
    for (int state = 0; state <= 1 && !err; state++) {
        scan_oracle(cplx, data, sh, ld, io, b, a, nu, th, state ? h0 : NULL, ref, refl);
        for (int ai = 0; ai < 3 && !err; ai++) {
            if (!algo_selected(sel, scan_algos[ai]))
                continue;
            lrb_cuda_scan s = {.B = B,
                               .L = L,
                               .D = D,
                               .ld = ld,
                               .im_off = io,
                               .cplx = cplx,
                               .b = db,
                               .h = dh,
                               .a = data ? da : NULL,
                               .nu = data ? NULL : dnu,
                               .theta = (data || !cplx) ? NULL : dth,
                               .h0 = state ? dh0 : NULL,
                               .h_last = dhl};
            launch_io lio = {dh, n, dhl, ns, h, h2, hl, 0};
            size_t control;
            const size_t wb = lrb_cuda_scan_workspace(&s, scan_algos[ai], &control);
            if ((err = launch_twice(scan_launch, &s, scan_algos[ai], wb, control, &lio)))
                break;
            lrb_gpu_check_row row;
            memset(&row, 0, sizeof row);
            row.ws_dirty = lio.ws_dirty;
            snprintf(row.what, sizeof row.what, "scan %-7s B=%lld L=%lld D=%lld %s %s h0=%d",
                     lrb_cuda_algo_name(scan_algos[ai]), (long long)B, (long long)L, (long long)D,
                     cplx ? "complex" : "real", data ? "data" : "const", state);
            judge(&row, h, h2, ref, n, ld, D, io, hl, refl, ns, 1e-5);
            failed += !row.ok;
            emit(&row, ctx);
        }
    }
out:
    dev_free(&ds);
    free(b);
    free(a);
    free(nu);
    free(th);
    free(h0);
    free(h);
    free(h2);
    free(hl);
    free(ref);
    free(refl);
    return err ? -1 : failed;
}

/* ---- glru's gated scan ---------------------------------------------------------------------------------------- */

static double sigm(double z)
{
    return 1.0 / (1.0 + exp(-z));
}

/* Pre-activations N(0, 1.5²) (unsaturated gates; the golden set covers the saturated ones through the layer),
 * in rows of ld = n·(D + 1) + 1 floats whose blocks have a gap column each, and y in rows of D + 2, whose two
 * gap columns must keep their poison. Bound: the 1e-5 of the gated scan (LAYERS.md tolerance table). */
static int glru_checks(const shape *sh, int tied, uint64_t seed, const lrb_gpu_check_sel *sel, lrb_gpu_check_emit emit,
                       void *ctx)
{
    const int64_t B = sh->B, L = sh->L, D = sh->D, nb = tied ? 3 : 4, bw = D + 1, ld = nb * bw + 1, ldy = D + 2;
    const size_t nz = (size_t)(B * L * ld), ny = (size_t)(B * L * ldy), ns = (size_t)(B * D);
    uint64_t rs = seed;
    float *z = calloc(nz, sizeof *z), *h0 = calloc(ns, sizeof *h0), *y = calloc(ny, sizeof *y);
    float *y2 = calloc(ny, sizeof *y2), *hl = calloc(ns, sizeof *hl);
    double *ref = calloc(ny, sizeof *ref), *refl = calloc(ns, sizeof *refl);
    int failed = 0, err = !(z && h0 && y && y2 && hl && ref && refl);
    dev_set ds = {{0}, 0};
    if (err) {
        fprintf(stderr, "lrb_gpu_selfcheck: out of host memory\n");
        goto out;
    }
    for (size_t i = 0; i < nz; i++)
        z[i] = (float)(1.5 * rng_n(&rs));
    for (size_t i = 0; i < ns; i++)
        h0[i] = (float)rng_n(&rs);
    float *dz = dev_upload(&ds, z, nz, &err), *dh0 = dev_upload(&ds, h0, ns, &err);
    float *dy = dev_alloc(&ds, ny, &err), *dhl = dev_alloc(&ds, ns, &err);
    for (int state = 0; state <= 1 && !err; state++) {
        for (int64_t bi = 0; bi < B; bi++) /* the float64 oracle on the float32 pre-activations */
            for (int64_t d = 0; d < D; d++) {
                double h = state ? h0[bi * D + d] : 0.0;
                for (int64_t t = 0; t < L; t++) {
                    const float *zr = z + (bi * L + t) * ld + d;
                    const double i = sigm(zr[bw]), f = tied ? 1.0 - i : sigm(zr[2 * bw]);
                    h = f * h + tanh(zr[0]) * i;
                    ref[(bi * L + t) * ldy + d] = tanh(h) * sigm(zr[(nb - 1) * bw]);
                }
                refl[bi * D + d] = h;
            }
        for (int ai = 0; ai < 3 && !err; ai++) {
            if (!algo_selected(sel, scan_algos[ai]))
                continue;
            const lrb_cuda_glru g = {.B = B,
                                     .L = L,
                                     .D = D,
                                     .ld = ld,
                                     .ldy = ldy,
                                     .tied = tied,
                                     .x = dz,
                                     .i = dz + bw,
                                     .f = tied ? NULL : dz + 2 * bw,
                                     .o = dz + (nb - 1) * bw,
                                     .y = dy,
                                     .h0 = state ? dh0 : NULL,
                                     .h_last = dhl};
            launch_io lio = {dy, ny, dhl, ns, y, y2, hl, 0};
            size_t control;
            const size_t wb = lrb_cuda_glru_workspace(&g, scan_algos[ai], &control);
            if ((err = launch_twice(glru_launch, &g, scan_algos[ai], wb, control, &lio)))
                break;
            lrb_gpu_check_row row;
            memset(&row, 0, sizeof row);
            row.ws_dirty = lio.ws_dirty;
            snprintf(row.what, sizeof row.what, "glru_scan %-7s B=%lld L=%lld D=%lld %s h0=%d",
                     lrb_cuda_algo_name(scan_algos[ai]), (long long)B, (long long)L, (long long)D,
                     tied ? "tied" : "untied", state);
            judge(&row, y, y2, ref, ny, ldy, D, 0, hl, refl, ns, 1e-5);
            failed += !row.ok;
            emit(&row, ctx);
        }
    }
out:
    dev_free(&ds);
    free(z);
    free(h0);
    free(y);
    free(y2);
    free(hl);
    free(ref);
    free(refl);
    return err ? -1 : failed;
}

/* ---- dense projections (cuBLAS) ------------------------------------------------------------------------------ */

typedef struct {
    int64_t rows, in, out;
} dense_shape;

/* odd sizes first (the row-major/column-major swap: a transposed operand shows at once), then wider ones */
static const dense_shape dense_shapes[] = {{5, 7, 3}, {1, 1, 1}, {3, 1, 5}, {300, 65, 129}, {64, 257, 96}};

/* lrb_cuda_dense's arguments, so that launch_twice can run it */
typedef struct {
    const float *x;
    int64_t rows, in, ldx;
    const float *w;
    int kn;
    const float *bias;
    int64_t out;
    float *y;
    int64_t ldy;
} dense_args;

static int dense_launch(const void *args, lrb_cuda_algo algo, void *work)
{
    (void)algo;
    (void)work;
    const dense_args *a = args;
    return lrb_cuda_dense(a->x, a->rows, a->in, a->ldx, a->w, a->kn, a->bias, a->out, a->y, a->ldy);
}

/* y = x·Wᵀ + b (kn = 0) or x·K + b (kn = 1), with and without bias, x and y in rows wider than their columns
 * (the gap columns of y must keep their poison), against a float64 triple loop; bound 1e-5 (fp32 products of
 * at most 257 terms). */
static int dense_checks(const dense_shape *sh, int kn, uint64_t seed, lrb_gpu_check_emit emit, void *ctx)
{
    const int64_t R = sh->rows, I = sh->in, O = sh->out, ldx = I + 3, ldy = O + 2;
    const size_t nx = (size_t)(R * ldx), ny = (size_t)(R * ldy), nw = (size_t)(I * O);
    uint64_t rs = seed;
    float *x = calloc(nx, sizeof *x), *w = calloc(nw, sizeof *w), *b = calloc((size_t)O, sizeof *b);
    float *y = calloc(ny, sizeof *y), *y2 = calloc(ny, sizeof *y2);
    double *ref = calloc(ny, sizeof *ref), refl = 0.0;
    int failed = 0, err = !(x && w && b && y && y2 && ref);
    dev_set ds = {{0}, 0};
    if (err) {
        fprintf(stderr, "lrb_gpu_selfcheck: out of host memory\n");
        goto out;
    }
    for (size_t i = 0; i < nx; i++)
        x[i] = (float)rng_n(&rs);
    for (size_t i = 0; i < nw; i++)
        w[i] = (float)(rng_n(&rs) / sqrt((double)I));
    for (int64_t j = 0; j < O; j++)
        b[j] = (float)rng_n(&rs);
    float *dx = dev_upload(&ds, x, nx, &err), *dw = dev_upload(&ds, w, nw, &err);
    float *db = dev_upload(&ds, b, (size_t)O, &err), *dy = dev_alloc(&ds, ny, &err);
    for (int bias = 0; bias <= 1 && !err; bias++) {
        for (int64_t r = 0; r < R; r++)
            for (int64_t j = 0; j < O; j++) {
                double acc = bias ? b[j] : 0.0;
                for (int64_t p = 0; p < I; p++)
                    acc += (double)x[r * ldx + p] * (kn ? w[p * O + j] : w[j * I + p]);
                ref[r * ldy + j] = acc;
            }
        const dense_args da = {dx, R, I, ldx, dw, kn, bias ? db : NULL, O, dy, ldy};
        launch_io lio = {dy, ny, NULL, 0, y, y2, NULL, 0};
        if ((err = launch_twice(dense_launch, &da, LRB_CUDA_DIRECT, 0, 0, &lio)))
            break;
        lrb_gpu_check_row row;
        memset(&row, 0, sizeof row);
        snprintf(row.what, sizeof row.what, "dense rows=%lld in=%lld out=%lld %s bias=%d", (long long)R, (long long)I,
                 (long long)O, kn ? "x*K" : "x*W^T", bias);
        judge(&row, y, y2, ref, ny, ldy, O, 0, NULL, &refl, 0, 1e-5);
        failed += !row.ok;
        emit(&row, ctx);
    }
out:
    dev_free(&ds);
    free(x);
    free(w);
    free(b);
    free(y);
    free(y2);
    free(ref);
    return err ? -1 : failed;
}

/* ---- WKV-4 -------------------------------------------------------------------------------------------------- */

static const shape wkv_shapes[] = {{1, 1, 1},      {2, 33, 5},   {1, 70001, 3}, {4, 4096, 64},
                                   {16, 129, 768}, {2, 600, 40}, {1, 1200, 20}};

static int wkv_checks(const shape *sh, int state, uint64_t seed, const lrb_gpu_check_sel *sel, lrb_gpu_check_emit emit,
                      void *ctx)
{
    const int64_t B = sh->B, L = sh->L, C = sh->D;
    const size_t n = (size_t)(B * L * C), ns = (size_t)(B * C);
    uint64_t rs = seed;
    float *k = calloc(n, sizeof *k), *v = calloc(n, sizeof *v), *w = calloc((size_t)C, sizeof *w);
    float *u = calloc((size_t)C, sizeof *u), *ref = calloc(n, sizeof *ref), *out = calloc(n, sizeof *out);
    float *out2 = calloc(n, sizeof *out2), *st0 = calloc(3 * ns, sizeof *st0), *rst = calloc(3 * ns, sizeof *rst);
    float *gst = calloc(3 * ns, sizeof *gst);
    int failed = 0, err = !(k && v && w && u && ref && out && out2 && st0 && rst && gst);
    dev_set ds = {{0}, 0};
    if (err) {
        fprintf(stderr, "lrb_gpu_selfcheck: out of host memory\n");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        k[i] = (float)(2.0 * rng_n(&rs));
        v[i] = (float)rng_n(&rs);
    }
    for (int64_t c = 0; c < C; c++) {
        w[c] = (float)-exp(-3.0 + 4.0 * rng_u(&rs));
        u[c] = (float)rng_n(&rs);
    }
    for (size_t i = 0; i < ns; i++) { /* a state a run of tokens can reach: bb ≥ 1, |aa| ≤ bb·max|v| */
        st0[ns + i] = (float)(1.0 + 3.0 * rng_u(&rs));
        st0[i] = (float)(st0[ns + i] * fmin(fmax(rng_n(&rs), -3.0), 3.0));
        st0[2 * ns + i] = (float)(2.0 * rng_n(&rs));
    }
    lrb_wkv4_args ra = {.B = B,
                        .L = L,
                        .C = C,
                        .w = w,
                        .u = u,
                        .k = k,
                        .v = v,
                        .wkv = ref,
                        .aa = rst,
                        .bb = rst + ns,
                        .pp = rst + 2 * ns};
    if (state) {
        ra.aa0 = st0;
        ra.bb0 = st0 + ns;
        ra.pp0 = st0 + 2 * ns;
    }
    if (lrb_wkv4(&ra, LRB_SEQ) != LRB_OK) {
        fprintf(stderr, "lrb_gpu_selfcheck: the reference WKV-4 failed\n");
        err = 1;
        goto out;
    }
    float *dk = dev_upload(&ds, k, n, &err), *dv = dev_upload(&ds, v, n, &err);
    float *dw = dev_upload(&ds, w, (size_t)C, &err), *du = dev_upload(&ds, u, (size_t)C, &err);
    float *dout = dev_alloc(&ds, n, &err), *dst0 = dev_upload(&ds, st0, 3 * ns, &err);
    float *dst = dev_alloc(&ds, 3 * ns, &err);
    const lrb_cuda_algo walgos[2] = {LRB_CUDA_SEQ, LRB_CUDA_CHUNKED};
    for (int ai = 0; ai < 2 && !err; ai++) {
        if (!algo_selected(sel, walgos[ai]))
            continue;
        lrb_cuda_wkv4 ga = {.B = B,
                            .L = L,
                            .C = C,
                            .w = dw,
                            .u = du,
                            .k = dk,
                            .v = dv,
                            .wkv = dout,
                            .aa = dst,
                            .bb = dst + ns,
                            .pp = dst + 2 * ns};
        if (state) {
            ga.aa0 = dst0;
            ga.bb0 = dst0 + ns;
            ga.pp0 = dst0 + 2 * ns;
        }
        launch_io lio = {dout, n, dst, 3 * ns, out, out2, gst, 0};
        size_t control;
        const size_t wb = lrb_cuda_wkv4_workspace(&ga, walgos[ai], &control);
        if ((err = launch_twice(wkv4_launch, &ga, walgos[ai], wb, control, &lio)))
            break;
        lrb_gpu_check_row row;
        memset(&row, 0, sizeof row);
        row.ws_dirty = lio.ws_dirty;
        snprintf(row.what, sizeof row.what, "wkv4 %-7s B=%lld L=%lld C=%lld state=%d", lrb_cuda_algo_name(walgos[ai]),
                 (long long)B, (long long)L, (long long)C, state);
        double num = 0, den = 0, snum = 0, sden = 0;
        for (size_t i = 0; i < n; i++) {
            row.nonfinite += !isfinite(out[i]);
            num += (out[i] - (double)ref[i]) * (out[i] - (double)ref[i]);
            den += (double)ref[i] * ref[i];
        }
        for (size_t i = 0; i < ns; i++) {
            const double zr = rst[ns + i], zg = gst[ns + i];
            const double sr = rst[i] / zr, sg = gst[i] / zg;
            const double lz = log(zg) + gst[2 * ns + i] - (log(zr) + rst[2 * ns + i]);
            row.nonfinite += !isfinite(gst[i]) || !isfinite(gst[ns + i]) || !isfinite(gst[2 * ns + i]);
            snum += (sg - sr) * (sg - sr) + lz * lz;
            sden += sr * sr + 1.0;
        }
        verdict(&row, out, out2, n, fmax(sqrt(num / (den > 0 ? den : 1)), sqrt(snum / sden)), 2e-5);
        failed += !row.ok;
        emit(&row, ctx);
    }
out:
    dev_free(&ds);
    free(k);
    free(v);
    free(w);
    free(u);
    free(ref);
    free(out);
    free(out2);
    free(st0);
    free(rst);
    free(gst);
    return err ? -1 : failed;
}

static int shape_selected(const shape *sh, const lrb_gpu_check_sel *sel)
{
    const long long n = sh->B * sh->L * sh->D;
    return n >= sel->min_elems && (sel->max_elems <= 0 || n <= sel->max_elems);
}

static int run_checks(const lrb_gpu_check_sel *sel, lrb_gpu_check_emit emit, void *ctx)
{
    int failed = 0;
    for (size_t si = 0; si < sizeof scan_shapes / sizeof *scan_shapes; si++)
        for (int kind = 0; kind < 4 && shape_selected(&scan_shapes[si], sel); kind++) {
            const int r =
                scan_checks(&scan_shapes[si], kind / 2, kind % 2, 77u + 4u * si + (uint64_t)kind, sel, emit, ctx);
            if (r < 0)
                return -1;
            failed += r;
        }
    for (size_t si = 0; si < sizeof scan_shapes / sizeof *scan_shapes; si++)
        for (int tied = 1; tied >= 0 && shape_selected(&scan_shapes[si], sel); tied--) {
            const int r = glru_checks(&scan_shapes[si], tied, 5003u + 2u * si + (uint64_t)tied, sel, emit, ctx);
            if (r < 0)
                return -1;
            failed += r;
        }
    for (size_t si = 0; si < sizeof dense_shapes / sizeof *dense_shapes && sel->algos == 0; si++)
        for (int kn = 0; kn <= 1; kn++) {
            const int r = dense_checks(&dense_shapes[si], kn, 7001u + 2u * si + (uint64_t)kn, emit, ctx);
            if (r < 0)
                return -1;
            failed += r;
        }
    for (size_t si = 0; si < sizeof wkv_shapes / sizeof *wkv_shapes; si++)
        for (int state = 0; state <= 1 && shape_selected(&wkv_shapes[si], sel); state++) {
            const int r = wkv_checks(&wkv_shapes[si], state, 991u + 2u * si + (uint64_t)state, sel, emit, ctx);
            if (r < 0)
                return -1;
            failed += r;
        }
    return failed;
}

int lrb_gpu_selfcheck(const lrb_gpu_check_sel *sel, lrb_gpu_check_emit emit, void *ctx)
{
    const lrb_gpu_check_sel all = {0, 0, 0};
    const int r = run_checks(sel ? sel : &all, emit, ctx);
    lrb_cuda_block_free(&check_work);
    return r;
}
