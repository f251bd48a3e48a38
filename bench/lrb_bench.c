/*
 * lrb_bench.c — the benchmark suite (DESIGN.md §7, bench/FORMAT.md): every variant of the registry on
 * every benchmark family of the case table (tier=bench lines of golden/cases.txt), across the sweep of
 * sequence lengths (and, for scans, numbers of chains B·D), timed by Google Benchmark through the C shim
 * gbench_c.h. Counters: tokens/s, bytes/s of the minimal traffic, the fraction of a triad bandwidth
 * measured in the same process (roofline_frac), params, dense and total MACs, MAC/s.
 *
 * Conformance first: at start-up every variant (with --benchmark_filter=REGEX, those it selects and their
 * check references) runs the tier-1 golden set; a variant that fails it is reported as an error for every
 * instance and never timed. Each instance's first call runs on
 * NaN-poisoned outputs and is compared with the layer's scalar sequential reference on the same inputs.
 *
 * lrb flags (stripped before Google Benchmark parses the rest; only the --lrb-x=value form):
 *   --lrb-sweep=ci|full|gpu    element cap of an instance's largest tensor: 2^21 (ci, default), 2^26 (full),
 *                              or gpu: 2^26, and 2^30 for the families limited to backends=cuda (the sizes
 *                              of the GPU targets; ci/gpu_run.sh; a GPU with ≥ 40 GB, a host with ≥ 64 GB)
 *   --lrb-profile              profile mode: warm-up, then exactly one call per selected instance inside
 *                              NVTX ranges (domain lrb, range <layer>.<backend>.<algorithm>, nested shape
 *                              range L<L>.B<B>.D<D>); no timing loop
 *   --lrb-filter=REGEX         profile mode: instances whose benchmark name matches (POSIX ERE)
 *   --lrb-warmup=N             profile mode: warm-up calls before the profiled one (default 3)
 *   --lrb-fixed-iterations=N   every benchmark runs exactly N iterations (callgrind gate); no roofline is
 *                              measured then (no roofline_frac counter)
 *   --lrb-golden=DIR           golden set for the start-up conformance check (default: $LRB_GOLDEN_DIR, else
 *                              the source tree's, where the case table is read from either way)
 *   --lrb-manual-time          time CPU variants per call with the wall clock (the manual-time path that
 *                              GPU variants use through their lrb_timed_fn hook, with CUDA events)
 *   --lrb-cold-cache           flush the caches before every timed call (CPU: write a 64 MiB buffer; GPU
 *                              variants: their hook's L2 flush); implies manual time; the flush is not timed
 *   --lrb-isa=NAME             pin the simd backend's ISA path: portable, avx2 or avx512 (default: LRB_ISA,
 *                              else the best this CPU runs); exit 2 if this CPU cannot run it
 *   --lrb-threads=N[,N...]     thread counts of the simd variants (default: 1 and all online CPUs); each
 *                              count is its own family, named <backend>_t<N>.<algorithm> (simd_t2.seq);
 *                              its roofline_frac is against the triad at that many threads
 *   --lrb-no-golden-gate       skip that check (instruction counting under valgrind only, where it would
 *                              dominate the run; the first-call check against the reference still runs,
 *                              and the context says golden_gate=skipped)
 */
#define _POSIX_C_SOURCE 200809L
#include "gbench_c.h"

#include "bundle.h"
#include "lrb_cpu.h"
#include "cases.h"
#include "complexity_cli.h"
#include "conformance.h"
#include "lrb_layers.h"
#include "metrics.h"
#include "nvtx.h"
#include "params_init.h"
#include "parse.h"
#include "registry.h"
#include "tolerance.h"
#ifdef LRB_WITH_CUDA
#include "lrb_cuda.h"
#endif

#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define LRB_HAVE_MXCSR 1
#endif

#ifndef LRB_C_FLAGS_STR
#define LRB_C_FLAGS_STR "?"
#endif
#ifndef LRB_BUILD_TYPE
#define LRB_BUILD_TYPE "?"
#endif

/* ---- options ------------------------------------------------------------------------------------ */

static struct {
    int64_t cap; /* largest tensor, in elements */
    const char *sweep;
    int profile;
    const char *filter;
    int warmup;
    int64_t fixed_iterations;
    const char *golden;
    int golden_gate;
    const char *bench_filter; /* Google Benchmark's --benchmark_filter=, read (not consumed) for the gate */
    int manual_time, cold_cache;
    int nthreads, threads[8]; /* thread counts of the simd families */
} opt = {1 << 21, "ci", 0, NULL, 3, 0, NULL, 1, NULL, 0, 0, 0, {0}};

static int parse_threads_list(const char *v)
{
    int64_t n[8];
    opt.nthreads = lrb_parse_int_list(v, 1, 1024, n, 8);
    for (int i = 0; i < opt.nthreads; i++)
        opt.threads[i] = (int)n[i];
    return opt.nthreads > 0 ? 0 : -1;
}

static int parse_lrb_flags(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--benchmark_filter=", 19) == 0)
            opt.bench_filter = a + 19;
        if (strncmp(a, "--lrb-", 6) != 0)
            continue;
        const char *eq = strchr(a, '=');
        const char *v = eq ? eq + 1 : NULL;
        size_t klen = eq ? (size_t)(eq - a) : strlen(a);
        int64_t n;
#define IS(k) (klen == strlen(k) && strncmp(a, k, klen) == 0)
        if (IS("--lrb-sweep") && v && !strcmp(v, "ci")) {
            opt.cap = (int64_t)1 << 21;
            opt.sweep = "ci";
        } else if (IS("--lrb-sweep") && v && !strcmp(v, "full")) {
            opt.cap = (int64_t)1 << 26;
            opt.sweep = "full";
        } else if (IS("--lrb-sweep") && v && !strcmp(v, "gpu")) {
            opt.cap = (int64_t)1 << 26;
            opt.sweep = "gpu";
        } else if (IS("--lrb-profile") && !v) {
            opt.profile = 1;
        } else if (IS("--lrb-filter") && v) {
            opt.filter = v;
        } else if (IS("--lrb-warmup") && v && !lrb_parse_int(v, 0, 1000000, &n)) {
            opt.warmup = (int)n;
        } else if (IS("--lrb-fixed-iterations") && v && !lrb_parse_int(v, 1, (int64_t)1 << 40, &n)) {
            opt.fixed_iterations = n;
        } else if (IS("--lrb-golden") && v) {
            opt.golden = v;
        } else if (IS("--lrb-isa") && v) {
            lrb_isa isa;
            const char *why = "";
            if (lrb_isa_parse(v, &isa)) {
                fprintf(stderr, "lrb_bench: --lrb-isa=%s: unknown ISA (expected portable, avx2 or avx512)\n", v);
                return -1;
            }
            if (!lrb_isa_available(isa, &why) || lrb_cpu_set_isa(isa)) {
                fprintf(stderr, "lrb_bench: --lrb-isa=%s: not available: %s\n", v, why);
                return -1;
            }
        } else if (IS("--lrb-threads") && v) {
            if (parse_threads_list(v)) {
                fprintf(stderr,
                        "lrb_bench: --lrb-threads=%s: expected up to 8 counts from 1 to 1024, comma-separated\n", v);
                return -1;
            }
        } else if (IS("--lrb-no-golden-gate") && !v) {
            opt.golden_gate = 0;
        } else if (IS("--lrb-manual-time") && !v) {
            opt.manual_time = 1;
        } else if (IS("--lrb-cold-cache") && !v) {
            opt.cold_cache = opt.manual_time = 1;
        } else {
            fprintf(
                stderr,
                "lrb_bench: %s: unknown or malformed lrb flag (expected --lrb-sweep=ci|full|gpu, --lrb-profile, "
                "--lrb-filter=REGEX, --lrb-warmup=N, --lrb-fixed-iterations=N, --lrb-golden=DIR, "
                "--lrb-no-golden-gate, --lrb-manual-time, --lrb-cold-cache, --lrb-isa=NAME, --lrb-threads=N[,N...])\n",
                a);
            return -1;
        }
#undef IS
    }
    return 0;
}

/* ---- roofline: copy and triad bandwidth measured in this process --------------------------------- */

#define ROOF_N ((int64_t)1 << 25) /* floats per array: 128 MiB, far beyond any cache */

typedef struct roof_job {
    float *a, *b, *c;
    int64_t lo, hi;
    int triad;
} roof_job;

static void *roof_kernel(void *p)
{
    const roof_job *j = p;
    if (j->triad)
        for (int64_t i = j->lo; i < j->hi; i++)
            j->a[i] = j->b[i] + 3.0f * j->c[i];
    else
        memcpy(j->a + j->lo, j->b + j->lo, (size_t)(j->hi - j->lo) * sizeof(float));
    return NULL;
}

static float *roof_a, *roof_b, *roof_c;

/* One pass over the arrays with `threads` threads; returns seconds. */
static double roof_pass(int triad, int threads)
{
    pthread_t tid[2];
    roof_job jobs[2];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int t = 0; t < threads; t++) {
        jobs[t] = (roof_job){roof_a, roof_b, roof_c, ROOF_N * t / threads, ROOF_N * (t + 1) / threads, triad};
        if (t > 0)
            pthread_create(&tid[t], NULL, roof_kernel, &jobs[t]);
    }
    roof_kernel(&jobs[0]);
    for (int t = 1; t < threads; t++)
        pthread_join(tid[t], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
}

static int64_t roof_bytes(int triad)
{
    return (triad ? 3 : 2) * ROOF_N * (int64_t)sizeof(float);
}

/* [triad][threads - 1], GB/s: the best of ROOF_PASSES passes at start-up. The memory bandwidth of a shared
 * VM moves with its neighbours' load (20 to 56 GB/s for one copy pass here), so a roofline needs many
 * samples: the best of few understates it and pushes roofline_frac above 1. */
#define ROOF_PASSES 15
static double roof_gbs[2][2];

static int roof_init(void)
{
    roof_a = malloc((size_t)ROOF_N * sizeof(float));
    roof_b = malloc((size_t)ROOF_N * sizeof(float));
    roof_c = malloc((size_t)ROOF_N * sizeof(float));
    if (!roof_a || !roof_b || !roof_c)
        return -1;
    for (int64_t i = 0; i < ROOF_N; i++) {
        roof_a[i] = 0.0f;
        roof_b[i] = (float)(i & 1023);
        roof_c[i] = 1.0f;
    }
    for (int triad = 0; triad < 2; triad++)
        for (int th = 1; th <= 2; th++) {
            double best = INFINITY;
            for (int r = 0; r < ROOF_PASSES; r++) {
                double s = roof_pass(triad, th);
                if (s < best)
                    best = s;
            }
            roof_gbs[triad][th - 1] = (double)roof_bytes(triad) / best / 1e9;
        }
    return 0;
}

typedef struct roof_bench {
    int triad, threads;
} roof_bench;

/* Manual time: the second thread's work is invisible to the CPU time that rates are divided by. */
static void roof_body(gb_state *st, void *user)
{
    const roof_bench *r = user;
    while (gb_keep_running(st))
        gb_set_iteration_time(st, roof_pass(r->triad, r->threads));
    gb_set_bytes_processed(st, gb_iterations(st) * roof_bytes(r->triad));
}

/* ---- benchmark families and instances --------------------------------------------------------------- */

typedef struct family {
    const lrb_case *c; /* the tier=bench line */
    const lrb_variant *v;
    const char *name; /* the family part of benchmark names: the case name without "bench/" */
    int threads;      /* simd: the thread count of this family; 0: single-threaded backend */
    char vlabel[48];  /* the variant part of benchmark names: ref.seq, simd_t2.seq */
    int golden_ok;
    char golden_msg[160];
} family;

typedef struct instance {
    family *f;
    int64_t L, B, D, F;
    /* the first-call conformance verdict, computed once: Google Benchmark calls the body again for every
     * calibration step and repetition, and the reference run can cost as much as the timed calls */
    int checked, check_ok;
    char check_msg[512];
} instance;

#define MAX_FAMILIES 1024
#define MAX_INSTANCES 16384
static family families[MAX_FAMILIES];
static int n_families;
static instance instances[MAX_INSTANCES];
static int n_instances;

static const char *width_key(const lrb_layer *l)
{
    static const char *const keys[] = {"D", "H", "C", "d_h", "in"};
    for (int i = 0; i < 5; i++)
        if (lrb_key_index(l, keys[i]) >= 0)
            return keys[i];
    return NULL;
}

static void set_key(lrb_cfg *cfg, const char *key, int64_t v)
{
    char num[32], err[256];
    snprintf(num, sizeof num, "%lld", (long long)v);
    if (lrb_cfg_set(cfg, key, num, err, sizeof err)) {
        fprintf(stderr, "lrb_bench: internal error: %s\n", err);
        abort();
    }
}

/* The configuration of an instance: the family's, with the instance's shape. Layers whose width is
 * one number in the benchmark names use it for all their widths (H = U, d_in = d_h = d_model, in = out). */
static void instance_cfg(const instance *in, lrb_cfg *cfg)
{
    *cfg = in->f->c->cfg;
    const lrb_layer *l = cfg->layer;
    set_key(cfg, "L", in->L);
    set_key(cfg, "B", in->B);
    if (in->F)
        set_key(cfg, "F", in->F);
    /* the other widths (U, out, d_model, ...) stay as the case line sets them */
    set_key(cfg, width_key(l), in->D);
}

static int64_t largest_tensor(const lrb_cfg *cfg)
{
    lrb_call call;
    lrb_call_init(&call, cfg);
    int64_t m = 0;
    for (int i = 0; i < call.n; i++) {
        int64_t n = lrb_spec_count(&call.spec[i]);
        if (n > m)
            m = n;
    }
    return m;
}

static void instance_name(const instance *in, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s/%s/L:%lld/B:%lld/D:%lld", in->f->name, in->f->vlabel, (long long)in->L,
                     (long long)in->B, (long long)in->D);
    if (in->F && n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, "/F:%lld", (long long)in->F);
}

/* Whether the family's `backends=` list (empty: all) names the variant's backend. */
static int backend_selected(const lrb_case *c, const lrb_variant *v)
{
    if (!c->backends[0])
        return 1;
    size_t n = strlen(v->backend);
    for (const char *p = c->backends; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, v->backend, n) == 0)
            return 1;
        p += len + (e ? 1 : 0);
    }
    return 0;
}

/* The variant whose results the first call of an instance is compared with: the layer's scalar sequential
 * reference, or, in a family that excludes the reference (shapes where it would take minutes), the layer's
 * simd seq/direct variant, which the golden gate has shown bit-identical to it (also for the cuda families,
 * whose own seq variant is not: a GPU is checked against the CPU). */
static const lrb_variant *check_reference(const family *f)
{
    const lrb_variant *ref = lrb_variant_default(f->v->layer);
    if (backend_selected(f->c, ref))
        return ref;
    for (int i = 0; i < lrb_num_variants; i++) {
        const lrb_variant *v = &lrb_variants[i];
        if (strcmp(v->layer, f->v->layer) == 0 && (v->algo == LRB_SEQ || v->algo == LRB_DIRECT) &&
            strcmp(v->backend, "simd") == 0)
            return v;
    }
    return ref;
}

/* ---- one instance: set-up, conformance of the first call, timing --------------------------------------- */

static const char *case_dist(const void *ctx, const char *input)
{
    return lrb_case_dist(ctx, input);
}

/* Allocates and fills a bundle for the instance. */
static int instance_setup(const instance *in, lrb_bundle *b, char *err, size_t errlen)
{
    lrb_cfg cfg;
    instance_cfg(in, &cfg);
    if (lrb_bundle_alloc(b, &cfg, err, errlen))
        return -1;
    lrb_params_init(&b->call, in->f->c->seed);
    if (lrb_inputs_init(&b->call, in->f->c->seed, case_dist, in->f->c, err, errlen)) {
        lrb_bundle_free(b);
        return -1;
    }
    return 0;
}

/* A plain final state judged on the scale of the layer's output: its relative L2 error with the norm taken
 * as the larger of its own and that of an output of its size (√n_state · rms(output)). Against a float32
 * reference (not the oracle), a state of a few elements that happens to lie near zero (one chain, a sum
 * that cancels: |h_L| = 3e−4 where the outputs are O(1)) differs from it by rounding far beyond its own
 * relative tolerance while agreeing at the scale of the sequence it summarises. All else must hold:
 * finite, written, guards intact. */
static int state_within_output_scale(const lrb_bundle *b, const lrb_tensor_result *r, double tol)
{
    const lrb_tensor_spec *sp = &b->call.spec[r->spec_index];
    if (sp->role != LRB_STATE || sp->state_kind != LRB_STATE_PLAIN || r->m.nonfinite || r->m.unwritten ||
        r->guard_damage)
        return 0;
    int iy = -1;
    for (int i = 0; i < b->call.n; i++)
        if (b->call.spec[i].role == LRB_OUTPUT)
            iy = i;
    if (iy < 0 || !b->ref[iy] || !b->ref[r->spec_index])
        return 0;
    const int64_t ns = lrb_spec_count(sp), ny = lrb_spec_count(&b->call.spec[iy]);
    double num = 0, own = 0, out = 0;
    for (int64_t k = 0; k < ns; k++) {
        const double d = (double)b->call.t[r->spec_index][k] - b->ref[r->spec_index][k];
        num += d * d;
        own += b->ref[r->spec_index][k] * b->ref[r->spec_index][k];
    }
    for (int64_t k = 0; k < ny; k++)
        out += b->ref[iy][k] * b->ref[iy][k];
    const double scale = fmax(own, out / (double)ny * (double)ns);
    return scale > 0 && sqrt(num / scale) <= tol;
}

/* Runs the variant once on poisoned outputs and compares output and final state with the layer's
 * sequential reference on the same inputs. Returns 0, or -1 with a message starting "conformance:". */
static int first_call_check(const instance *in, lrb_bundle *b, char *err, size_t errlen)
{
    char msg[512];
    if (lrb_bundle_run(b, in->f->v, msg, sizeof msg)) {
        snprintf(err, errlen, "conformance: first call: %s", msg);
        return -1;
    }
    const lrb_variant *ref = check_reference(in->f);
    lrb_bundle r;
    if (instance_setup(in, &r, msg, sizeof msg) || lrb_bundle_run(&r, ref, msg, sizeof msg)) {
        snprintf(err, errlen, "conformance: reference run: %s", msg);
        return -1;
    }
    /* the reference's float32 results become the oracle of this check */
    int rc = 0;
    for (int i = 0; i < b->call.n && rc == 0; i++) {
        const lrb_tensor_spec *s = &b->call.spec[i];
        if (s->role != LRB_OUTPUT && s->role != LRB_STATE)
            continue;
        int64_t n = lrb_spec_count(s);
        b->ref[i] = malloc((size_t)n * sizeof(double));
        if (!b->ref[i]) {
            snprintf(err, errlen, "conformance: out of memory");
            rc = -1;
            break;
        }
        for (int64_t k = 0; k < n; k++)
            b->ref[i][k] = (double)r.call.t[i][k];
    }
    if (rc == 0) {
        lrb_tensor_result res[LRB_MAX_TENSORS];
        double tol = lrb_tolerance_for(&b->call).rel_l2;
        int nres = lrb_bundle_compare(b, tol, res);
        for (int k = 0; k < nres; k++)
            if (!res[k].m.pass && !state_within_output_scale(b, &res[k], tol)) {
                const lrb_tensor_spec *sp = &b->call.spec[res[k].spec_index];
                lrb_metrics_describe(&res[k].m, res[k].tensor, sp->ndim, sp->shape, msg, sizeof msg);
                snprintf(err, errlen, "conformance: differs from %s on the benchmark inputs: %s", ref->name, msg);
                rc = -1;
                break;
            }
    }
    lrb_bundle_free(&r);
    return rc;
}

/* The triad bandwidth at `threads` threads (1 for single-threaded backends); measured at 1 and 2 threads,
 * more threads are compared with the 2-thread figure. */
static double triad_bytes_per_s(int threads)
{
    return roof_gbs[1][threads >= 2 ? 1 : 0] * 1e9;
}

/* launches per staged call of a GPU variant (lrb_timed_fn's n) */
#define GPU_BATCH 20

/* The GPU's device-to-device copy bandwidth (read plus write bytes), measured at start-up when a cuda
 * variant can run here; 0 otherwise. */
static double gpu_copy_gbs;
static const char *gpu_unavailable; /* why the cuda variants were left out, when they were */

/* What a family's bytes/s is divided by: the same-run roofline of the hardware it runs on. */
static double roof_bytes_per_s(const family *f)
{
    if (strcmp(f->v->backend, "cuda") == 0)
        return gpu_copy_gbs * 1e9;
    return triad_bytes_per_s(f->threads);
}

/* ---- manual time: the lrb_timed_fn of CPU variants ------------------------------------------------------- */

#define FLUSH_BYTES ((size_t)64 << 20) /* twice the largest L3 of the build machines */
static unsigned char *flush_buf;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Wall-clock time of n calls, each after an (untimed) cache flush when asked. */
static int cpu_timed(const lrb_variant *v, const lrb_call *call, int64_t n, int flush, double *seconds, double *bytes)
{
    *bytes = 0; /* the whole call */
    double total = 0;
    for (int64_t i = 0; i < n; i++) {
        if (flush) {
            if (!flush_buf && !(flush_buf = malloc(FLUSH_BYTES)))
                return LRB_ENOMEM;
            memset(flush_buf, (int)(i & 0xff), FLUSH_BYTES);
            __asm__ volatile("" : : "r"(flush_buf) : "memory");
        }
        double t0 = now_s();
        int rc = v->fn(call, v->algo);
        __asm__ volatile("" : : "r"(call) : "memory");
        total += now_s() - t0;
        if (rc)
            return rc;
    }
    *seconds = total;
    return LRB_OK;
}

/* CPU variants on more than one thread are timed per call by the wall clock too: Google Benchmark's own
 * loop divides rates by the main thread's CPU time, which leaves out the workers. On one thread the
 * library loop is right (and the instruction-count gate, which skips manual-time rows, counts them). */
static lrb_timed_fn timer_of(const family *f)
{
    return f->v->timed ? f->v->timed : (opt.manual_time || f->threads > 1) ? cpu_timed : NULL;
}

static void bench_body(gb_state *st, void *user)
{
    const family *f = user;
    int has_f = strcmp(f->v->layer, "rnn_wrapper") == 0;
    int64_t L = gb_range(st, 0), B = gb_range(st, 1), D = gb_range(st, 2), F = has_f ? gb_range(st, 3) : 0;
    instance *in = NULL;
    for (int i = 0; i < n_instances && !in; i++)
        if (instances[i].f == f && instances[i].L == L && instances[i].B == B && instances[i].D == D &&
            instances[i].F == F)
            in = &instances[i];
    char err[1024];
    if (!in) {
        gb_skip_with_error(st, "internal error: unregistered instance");
        return;
    }
    if (!f->golden_ok) {
        snprintf(err, sizeof err, "conformance: %s", f->golden_msg);
        gb_skip_with_error(st, err);
        return;
    }
    lrb_bundle b;
    if (instance_setup(in, &b, err, sizeof err)) {
        gb_skip_with_error(st, err);
        return;
    }
    if (!in->checked) {
        in->check_ok = first_call_check(in, &b, in->check_msg, sizeof in->check_msg) == 0;
        in->checked = 1;
    }
    if (!in->check_ok) {
        lrb_bundle_free(&b);
        gb_skip_with_error(st, in->check_msg);
        return;
    }
    const lrb_variant *v = f->v;
    int iy = -1;
    for (int i = 0; i < b.call.n; i++)
        if (b.call.spec[i].role == LRB_OUTPUT)
            iy = i;
    if (f->threads > 0)
        lrb_cpu_set_threads(f->threads);
    lrb_timed_fn timed = timer_of(f);
    double stage_bytes = 0; /* set by a GPU variant's hook: the bytes of the stages it timed */
    if (timed) {
        /* GPU variants: batches of launches per staged call (the hook copies the operands to the device once
         * per call, outside the timing), so that copies do not dominate the wall time of the sweep */
        const int64_t batch = strcmp(v->backend, "cuda") == 0 ? GPU_BATCH : 1;
        while (gb_keep_running_batch(st, batch)) {
            double sec = 0;
            int rc = timed(v, &b.call, batch, opt.cold_cache, &sec, &stage_bytes);
            if (rc) {
                lrb_bundle_free(&b);
                gb_skip_with_error(st, "the timed call failed");
                return;
            }
            gb_set_iteration_time(st, sec);
        }
    } else {
        while (gb_keep_running(st)) {
            v->fn(&b.call, v->algo);
            /* keep the compiler from discarding the call's stores */
            __asm__ volatile("" : : "r"(b.call.t[iy]) : "memory");
        }
    }
    lrb_cx_shape sh;
    lrb_cx_result cx;
    lrb_cx_shape_from_cfg(&b.cfg, &sh);
    lrb_cx_compute(&sh, &cx);
    int64_t iters = gb_iterations(st), tokens = in->B * in->L;
    /* a GPU variant's time is that of its GPU stages, so its bytes are theirs (for scan and wkv4 the same
     * as the layer's bytes_min; for a layer, its scan stage's without the CPU projections) */
    const double bytes = stage_bytes > 0 ? stage_bytes : (double)cx.bytes_min;
    gb_set_items_processed(st, iters * tokens);
    gb_set_bytes_processed(st, (int64_t)((double)iters * bytes));
    /* rate counters are divided by the measured time: bytes/s ÷ the roofline's bytes/s (the triad on the
     * CPU, the device-to-device copy on a GPU) */
    if (roof_gbs[1][0] > 0 && roof_bytes_per_s(f) > 0)
        gb_counter(st, "roofline_frac", bytes * (double)iters / roof_bytes_per_s(f),
                   GB_COUNTER_RATE | GB_COUNTER_UNITLESS);
    gb_counter(st, "mac_per_s", (double)cx.macs_total, GB_COUNTER_ITERATION_INVARIANT | GB_COUNTER_RATE);
    gb_counter(st, "params", (double)cx.params, GB_COUNTER_DEFAULT);
    gb_counter(st, "macs_dense", (double)cx.macs_dense, GB_COUNTER_DEFAULT);
    gb_counter(st, "macs_total", (double)cx.macs_total, GB_COUNTER_DEFAULT);
    gb_counter(st, "tokens", (double)tokens, GB_COUNTER_DEFAULT);
    gb_counter(st, "bytes_min", bytes, GB_COUNTER_DEFAULT);
    char label[160];
    if (f->threads > 0)
        snprintf(label, sizeof label, "layer=%s variant=%s threads=%d isa=%s", v->layer, v->name, f->threads,
                 lrb_isa_name(lrb_cpu_isa()));
    else if (stage_bytes > 0)
        snprintf(label, sizeof label, "layer=%s variant=%s timed=gpu_stages", v->layer, v->name);
    else
        snprintf(label, sizeof label, "layer=%s variant=%s", v->layer, v->name);
    gb_set_label(st, label);
    lrb_bundle_free(&b);
}

/* ---- registration ------------------------------------------------------------------------------------- */

static int register_all(const lrb_case_table *t)
{
    for (int ci = 0; ci < t->n; ci++) {
        const lrb_case *c = &t->cases[ci];
        if (c->tier != LRB_TIER_BENCH)
            continue;
        const lrb_layer *l = c->cfg.layer;
        int is_scan = strcmp(l->name, "scan") == 0;
        int64_t Ls[LRB_CASE_MAX_SWEEP], BDs[LRB_CASE_MAX_SWEEP];
        int nL = c->n_sweep_L, nBD = c->n_sweep_BD;
        memcpy(Ls, c->sweep_L, sizeof Ls);
        memcpy(BDs, c->sweep_BD, sizeof BDs);
        if (!nL)
            Ls[nL++] = lrb_cfg_int(&c->cfg, "L");
        if (!nBD)
            BDs[nBD++] = 0;
        const char *fname = strncmp(c->name, "bench/", 6) == 0 ? c->name + 6 : c->name;
        const int64_t cap = !strcmp(opt.sweep, "gpu") && !strcmp(c->backends, "cuda") ? (int64_t)1 << 30 : opt.cap;
        for (int vi = 0; vi < lrb_num_variants; vi++) {
            const lrb_variant *v = &lrb_variants[vi];
            if (strcmp(v->layer, l->name) != 0 || !lrb_variant_supports(v, &c->cfg) || !backend_selected(c, v))
                continue;
            /* instruction counting (callgrind) is for CPU kernels, and CUDA must never run under valgrind:
             * there the cuda variants are not even probed */
            if (strcmp(v->backend, "cuda") == 0 && opt.fixed_iterations)
                continue;
            const char *why = NULL;
            if (!lrb_variant_available(v, &why)) {
                gpu_unavailable = why; /* recorded in the context: left out, not failed */
                continue;
            }
            /* a threaded backend gets one family per thread count; the others run on one thread */
            int threaded = strcmp(v->backend, "simd") == 0;
            for (int ti = 0; ti < (threaded ? opt.nthreads : 1); ti++) {
                if (n_families == MAX_FAMILIES)
                    return -1;
                family *f = &families[n_families++];
                *f = (family){c, v, fname, threaded ? opt.threads[ti] : 0, "", 1, ""};
                if (threaded)
                    snprintf(f->vlabel, sizeof f->vlabel, "%s_t%d.%s", v->backend, f->threads, lrb_algo_name(v->algo));
                else
                    snprintf(f->vlabel, sizeof f->vlabel, "%s.%s", v->backend, lrb_algo_name(v->algo));
                for (int a = 0; a < nL; a++)
                    for (int k = 0; k < nBD; k++) {
                        instance in = {f, Ls[a], lrb_cfg_int(&c->cfg, "B"), 0, 0, 0, 0, ""};
                        const char *w = width_key(l);
                        in.D = lrb_cfg_int(&c->cfg, w);
                        if (is_scan && BDs[k]) {
                            in.D = BDs[k] < 256 ? BDs[k] : 256;
                            in.B = BDs[k] / in.D;
                        }
                        if (strcmp(l->name, "rnn_wrapper") == 0)
                            in.F = lrb_cfg_int(&c->cfg, "F");
                        lrb_cfg cfg;
                        instance_cfg(&in, &cfg);
                        if (largest_tensor(&cfg) > cap)
                            continue;
                        if (n_instances == MAX_INSTANCES)
                            return -1;
                        instances[n_instances++] = in;
                    }
            }
        }
    }
    /* one Google Benchmark family per (bench case, variant), one argument tuple per instance */
    for (int fi = 0; fi < n_families; fi++) {
        family *f = &families[fi];
        char name[160];
        snprintf(name, sizeof name, "%s/%s", f->name, f->vlabel);
        gb_bench *gb = NULL;
        for (int i = 0; i < n_instances; i++) {
            const instance *in = &instances[i];
            if (in->f != f)
                continue;
            if (!gb) {
                gb = gb_register(name, bench_body, f);
                static const char *const names4[] = {"L", "B", "D", "F"};
                gb_arg_names(gb, names4, in->F ? 4 : 3);
                gb_unit(gb, GB_US);
                if (timer_of(f))
                    gb_use_manual_time(gb);
                if (opt.fixed_iterations)
                    gb_fixed_iterations(gb, opt.fixed_iterations);
            }
            int64_t args[4] = {in->L, in->B, in->D, in->F};
            gb_args(gb, args, in->F ? 4 : 3);
        }
    }
    return 0;
}

/* ---- start-up conformance of every variant on the tier-1 golden set ------------------------------------- */

/* The variants a run gates: with a Google Benchmark filter (--benchmark_filter=REGEX, an ERE as the library
 * reads it, not a negative one), those of the families with an instance it selects and their check
 * references, so that a run of one family does not wait for the golden set of every variant; else all.
 * A family left out of the gate cannot be timed (golden_ok = 0), so a filter read differently here than by
 * the library costs an error row, never an unchecked timing. Returns 0 (the gate covers every variant) or 1. */
static int gated_variants(unsigned char *gate)
{
    regex_t re;
    if (!opt.bench_filter || !opt.bench_filter[0] || opt.bench_filter[0] == '-' ||
        regcomp(&re, opt.bench_filter, REG_EXTENDED | REG_NOSUB))
        return 0;
    for (int i = 0; i < n_instances; i++) {
        char name[192], timed[208];
        instance_name(&instances[i], name, sizeof name);
        snprintf(timed, sizeof timed, "%s/manual_time", name);
        if (regexec(&re, name, 0, NULL, 0) == 0 || regexec(&re, timed, 0, NULL, 0) == 0) {
            gate[instances[i].f->v - lrb_variants] = 1;
            gate[check_reference(instances[i].f) - lrb_variants] = 1;
        }
    }
    regfree(&re);
    return 1;
}

static void golden_gate(const lrb_case_table *t)
{
    unsigned char gate[256] = {0};
    const int some = lrb_num_variants <= 256 && gated_variants(gate);
    lrb_check_summary s, one;
    lrb_check_opts o = {opt.golden, 1, NULL, NULL, NULL, NULL, NULL};
    int rc = 0, nvar = 0;
    if (!some) {
        rc = lrb_check_run(t, &o, &s);
        nvar = lrb_num_variants;
    } else {
        memset(&s, 0, sizeof s);
        for (int vi = 0; vi < lrb_num_variants && rc >= 0; vi++) {
            if (!gate[vi])
                continue;
            o.variant = lrb_variants[vi].name;
            rc = lrb_check_run(t, &o, &one);
            s.passed += one.passed;
            s.failed += one.failed;
            s.ncases[vi] = one.ncases[vi];
            s.nfailed[vi] = one.nfailed[vi];
            nvar++;
        }
    }
    for (int fi = 0; fi < n_families; fi++) {
        family *f = &families[fi];
        int vi = (int)(f->v - lrb_variants);
        if (rc < 0) {
            f->golden_ok = 0;
            snprintf(f->golden_msg, sizeof f->golden_msg, "the golden set could not be read (%s)", opt.golden);
        } else if (some && !gate[vi]) {
            f->golden_ok = 0;
            snprintf(f->golden_msg, sizeof f->golden_msg, "%s was not gated: the benchmark filter left it out",
                     f->v->name);
        } else if (s.ncases[vi] == 0 || s.nfailed[vi] > 0) {
            f->golden_ok = 0;
            snprintf(f->golden_msg, sizeof f->golden_msg, "%s failed %d of %d tier-1 golden cases", f->v->name,
                     s.nfailed[vi], s.ncases[vi]);
        }
    }
    fprintf(stderr, "lrb_bench: golden gate: %d variants, %d case/variant pairs passed, %d failed\n", nvar, s.passed,
            s.failed);
}

/* ---- profile mode ---------------------------------------------------------------------------------------- */

static int profile(void)
{
    regex_t re;
    if (opt.filter && regcomp(&re, opt.filter, REG_EXTENDED | REG_NOSUB)) {
        fprintf(stderr, "lrb_bench: --lrb-filter=%s: not a valid regular expression\n", opt.filter);
        return 2;
    }
    int selected = 0, failed = 0;
    for (int i = 0; i < n_instances; i++) {
        const instance *in = &instances[i];
        char name[192], err[1024];
        instance_name(in, name, sizeof name);
        if (opt.filter && regexec(&re, name, 0, NULL, 0) != 0)
            continue;
        selected++;
        if (!in->f->golden_ok) {
            printf("%-60s skipped: conformance: %s\n", name, in->f->golden_msg);
            failed++;
            continue;
        }
        lrb_bundle b;
        if (instance_setup(in, &b, err, sizeof err) || first_call_check(in, &b, err, sizeof err)) {
            printf("%-60s skipped: %s\n", name, err);
            failed++;
            continue;
        }
        const lrb_variant *v = in->f->v;
        if (in->f->threads > 0)
            lrb_cpu_set_threads(in->f->threads);
        for (int w = 0; w < opt.warmup; w++)
            v->fn(&b.call, v->algo);
        char shape[96];
        int n =
            snprintf(shape, sizeof shape, "L%lld.B%lld.D%lld", (long long)in->L, (long long)in->B, (long long)in->D);
        if (in->F && n > 0 && (size_t)n < sizeof shape)
            snprintf(shape + n, sizeof shape - (size_t)n, ".F%lld", (long long)in->F);
        struct timespec t0, t1;
        lrb_nvtx_push(v->name);
        lrb_nvtx_push(shape);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        v->fn(&b.call, v->algo);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        lrb_nvtx_pop();
        lrb_nvtx_pop();
        double us = 1e6 * (double)(t1.tv_sec - t0.tv_sec) + 1e-3 * (double)(t1.tv_nsec - t0.tv_nsec);
        printf("%-60s profiled: nvtx lrb@%s/%s, %.1f us\n", name, v->name, shape, us);
        lrb_bundle_free(&b);
    }
    if (opt.filter)
        regfree(&re);
    printf("profile: %d instances selected, %d profiled, %d skipped (nvtx %s)\n", selected, selected - failed, failed,
           lrb_nvtx_enabled() ? "on" : "off: built without the CUDA toolkit");
    return selected == 0 ? 2 : failed ? 1 : 0;
}

/* ---- context --------------------------------------------------------------------------------------------- */

static void add_context(void)
{
    char buf[256] = "unknown";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[512];
        while (fgets(line, sizeof line, f))
            if (strncmp(line, "model name", 10) == 0) {
                const char *p = strchr(line, ':');
                if (p) {
                    p++;
                    while (*p == ' ')
                        p++;
                    snprintf(buf, sizeof buf, "%s", p);
                    buf[strcspn(buf, "\n")] = '\0';
                }
                break;
            }
        fclose(f);
    }
    gb_add_context("cpu_model", buf);
    /* ref variants are scalar and single-threaded; simd ones run the ISA path and thread counts below */
    gb_add_context("isa", lrb_isa_name(lrb_cpu_isa()));
    char tl[64] = "";
    for (int i = 0; i < opt.nthreads; i++)
        snprintf(tl + strlen(tl), sizeof tl - strlen(tl), "%s%d", i ? "," : "", opt.threads[i]);
    gb_add_context("threads", tl);
    gb_add_context("compiler", __VERSION__);
    gb_add_context("c_flags", LRB_C_FLAGS_STR);
    gb_add_context("build_type", LRB_BUILD_TYPE);
#ifdef LRB_HAVE_MXCSR
    gb_add_context("ftz_daz", "on");
#else
    gb_add_context("ftz_daz", "off");
#endif
    gb_add_context("sweep", opt.sweep);
    gb_add_context("timing", opt.manual_time ? "manual: wall clock per call (CPU), the variant's hook otherwise"
                                             : "library loop (CPU); the variant's hook for GPU variants");
    gb_add_context("l2_policy", opt.cold_cache ? "cold: caches flushed before every timed call" : "warm");
    const char *commit = getenv("LRB_GIT_COMMIT"), *dirty = getenv("LRB_GIT_DIRTY");
    gb_add_context("lrb_git_commit", commit && *commit ? commit : "unknown");
    gb_add_context("lrb_git_dirty", dirty && *dirty ? dirty : "unknown");
    gb_add_context("golden_version", LRB_GOLDEN_VERSION);
    gb_add_context("golden_gate", opt.golden_gate ? "passed variants only" : "skipped");
    static const char *const keys[2][2] = {{"roofline_copy_1t_gbs", "roofline_copy_2t_gbs"},
                                           {"roofline_triad_1t_gbs", "roofline_triad_2t_gbs"}};
    for (int t = 0; t < 2 && roof_gbs[1][0] > 0; t++)
        for (int th = 0; th < 2; th++) {
            snprintf(buf, sizeof buf, "%.2f", roof_gbs[t][th]);
            gb_add_context(keys[t][th], buf);
        }
#ifdef LRB_WITH_CUDA
    if (gpu_unavailable) {
        gb_add_context("gpu", "none");
        gb_add_context("cuda_variants", gpu_unavailable);
    } else if (lrb_cuda_available(NULL)) {
        lrb_cuda_device_info(buf, sizeof buf);
        gb_add_context("gpu", buf);
        if (gpu_copy_gbs > 0) {
            snprintf(buf, sizeof buf, "%.1f", gpu_copy_gbs);
            gb_add_context("roofline_gpu_copy_gbs", buf);
        }
    }
#endif
}

int main(int argc, char **argv)
{
    char ierr[256];
    if (lrb_cpu_init(ierr, sizeof ierr)) {
        fprintf(stderr, "lrb_bench: %s\n", ierr);
        return 2;
    }
    opt.golden = lrb_golden_dir();
    if (parse_lrb_flags(argc, argv))
        return 2;
    if (!opt.nthreads) {
        opt.threads[opt.nthreads++] = 1;
        if (lrb_cpu_threads() > 1)
            opt.threads[opt.nthreads++] = lrb_cpu_threads();
    }
#ifdef LRB_HAVE_MXCSR
    /* decision 10: CPU timing runs flush denormals (FTZ) and treat them as zero (DAZ), and say so */
    _mm_setcsr(_mm_getcsr() | 0x8040u);
#endif
    if (gb_init(&argc, argv))
        return 2;
    char path[1024], err[1024];
    snprintf(path, sizeof path, "%s/cases.txt", lrb_golden_dir());
    lrb_case_table t;
    if (lrb_cases_load(path, &t, err, sizeof err)) {
        fprintf(stderr, "lrb_bench: %s\n", err);
        return 2;
    }
    /* fixed-iteration runs count instructions (callgrind): no roofline there, it would dominate the count */
    if (!opt.profile && !opt.fixed_iterations) {
        if (roof_init()) {
            fprintf(stderr, "lrb_bench: cannot allocate the roofline arrays\n");
            return 2;
        }
        /* the roofline families run first, on the same quiet machine as what they are compared with */
        static roof_bench roofs[4] = {{0, 1}, {0, 2}, {1, 1}, {1, 2}};
        for (int i = 0; i < 4; i++) {
            char name[64];
            snprintf(name, sizeof name, "roofline/%s/threads:%d", roofs[i].triad ? "triad" : "copy", roofs[i].threads);
            gb_bench *gb = gb_register(name, roof_body, &roofs[i]);
            gb_use_manual_time(gb);
            gb_unit(gb, GB_US);
            if (opt.fixed_iterations)
                gb_fixed_iterations(gb, opt.fixed_iterations);
        }
    }
    if (register_all(&t)) {
        fprintf(stderr, "lrb_bench: too many benchmark families or instances\n");
        return 2;
    }
#ifdef LRB_WITH_CUDA
    /* the GPU roofline, once, when some cuda family was registered (that is, a device is present) */
    if (!opt.profile && !opt.fixed_iterations && !gpu_unavailable && lrb_cuda_available(NULL))
        gpu_copy_gbs = lrb_cuda_copy_gbs();
#endif
    if (opt.golden_gate) {
        if (lrb_golden_version_ok(opt.golden, err, sizeof err)) { /* not a failure of every variant */
            fprintf(stderr, "lrb_bench: the golden set (--lrb-golden=DIR, or --lrb-no-golden-gate): %s\n", err);
            lrb_cases_free(&t);
            return 2;
        }
        golden_gate(&t);
    }
    if (opt.profile)
        return profile();
    add_context();
    const size_t ran = gb_run();
    gb_shutdown();
    lrb_cases_free(&t);
    if (ran == 0) { /* a filter that selects nothing is a mistake, not an empty success */
        fprintf(stderr, "lrb_bench: no benchmark selected (--benchmark_list_tests lists this build's)\n");
        return 2;
    }
    return 0;
}
