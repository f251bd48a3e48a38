/*
 * sgemm_compare.c — lrb's own sgemm (lrb_simd_dense_rows, y = x·Wᵀ) against OpenBLAS's cblas_sgemm on the
 * same shapes, in GFLOP/s = 2·M·N·K / time, best of several runs (PERFORMANCE.md §5.4, target C5).
 *
 * Shapes: M×N×K = 2048³, and the layer shape rows = 32768, in = out = 1024. lrb runs on every ISA path
 * this host has, on 1 and 2 threads. OpenBLAS is optional: libopenblas.so.0 is dlopen'ed and
 * cblas_sgemm / openblas_set_num_threads resolved with dlsym, so the program builds and runs without it.
 * OpenBLAS picks its kernel once, at load time, from OPENBLAS_CORETYPE; Debian 12's 0.3.21 takes Zen 5
 * for a Haswell (AVX2 kernel), so the program measures it twice: the default detection in this process,
 * then OPENBLAS_CORETYPE=SkylakeX (the AVX-512 kernel) in a fresh copy of itself (re-exec with
 * --coretype=SkylakeX), since the variable is only read when the library is loaded.
 *
 * Usage: lrb_sgemm_compare [--reps=N] [--isa=NAME] [--quick] [--no-openblas] [--coretype=NAME]
 *   --quick       2048³ only
 *   --coretype    only the OpenBLAS rows, with OPENBLAS_CORETYPE=NAME (what the re-exec runs)
 * The machine is shared: numbers are a best of N, and are comparable only within one run.
 */
#define _POSIX_C_SOURCE 200809L
#include "lrb_cpu.h"
#include "lrb_simd.h"
#include "parse.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef void (*cblas_sgemm_fn)(int order, int transa, int transb, int m, int n, int k, float alpha, const float *a,
                               int lda, const float *b, int ldb, float beta, float *c, int ldc);
typedef void (*set_threads_fn)(int n);
typedef char *(*get_core_fn)(void);

enum { CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111, CBLAS_TRANS = 112 };

typedef struct shape {
    const char *name;
    int64_t m, n, k;
} shape;

static const shape shapes[2] = {{"2048^3", 2048, 2048, 2048}, {"layer 32768x1024x1024", 32768, 1024, 1024}};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static float *rand_floats(int64_t n, uint64_t seed)
{
    float *p = malloc((size_t)n * sizeof *p);
    if (!p) {
        fprintf(stderr, "sgemm_compare: out of memory\n");
        exit(1);
    }
    uint64_t s = seed;
    for (int64_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        p[i] = (float)((double)(s >> 40) * 0x1.0p-24 * 2.0 - 1.0);
    }
    return p;
}

typedef struct bufs {
    float *x, *w, *y;
} bufs;

static bufs make_bufs(const shape *s)
{
    bufs b = {rand_floats(s->m * s->k, 1), rand_floats(s->n * s->k, 2), rand_floats(s->m * s->n, 3)};
    return b;
}

static void free_bufs(bufs *b)
{
    free(b->x);
    free(b->w);
    free(b->y);
}

/* Runs reps (the first is a warm-up and not counted) and returns the best GFLOP/s. */
static double time_lrb(const shape *s, bufs *b, int reps)
{
    double best = 1e30;
    for (int r = 0; r <= reps; r++) {
        double t0 = now();
        lrb_simd_dense_rows(b->x, s->m, s->k, s->k, b->w, NULL, s->n, b->y, s->n);
        double t = now() - t0;
        if (r > 0 && t < best)
            best = t;
    }
    return 2.0 * (double)s->m * (double)s->n * (double)s->k / best * 1e-9;
}

static double time_blas(cblas_sgemm_fn sgemm, const shape *s, bufs *b, int reps)
{
    double best = 1e30;
    for (int r = 0; r <= reps; r++) {
        double t0 = now();
        sgemm(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_TRANS, (int)s->m, (int)s->n, (int)s->k, 1.0f, b->x, (int)s->k,
              b->w, (int)s->k, 0.0f, b->y, (int)s->n);
        double t = now() - t0;
        if (r > 0 && t < best)
            best = t;
    }
    return 2.0 * (double)s->m * (double)s->n * (double)s->k / best * 1e-9;
}

static int reps_for(const shape *s, int reps)
{
    /* the layer shape is 8× the work of 2048³: fewer repetitions */
    return s->m > 2048 ? (reps + 1) / 2 : reps;
}

static int run_openblas(const char *label, int nshapes, int reps)
{
    void *h = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        printf("openblas: libopenblas.so.0 not loadable (%s): skipped\n", dlerror());
        return 1;
    }
    cblas_sgemm_fn sgemm = (cblas_sgemm_fn)(uintptr_t)dlsym(h, "cblas_sgemm");
    set_threads_fn set_threads = (set_threads_fn)(uintptr_t)dlsym(h, "openblas_set_num_threads");
    get_core_fn get_core = (get_core_fn)(uintptr_t)dlsym(h, "openblas_get_corename");
    if (!sgemm || !set_threads) {
        printf("openblas: cblas_sgemm or openblas_set_num_threads missing: skipped\n");
        dlclose(h);
        return 1;
    }
    const char *core = get_core ? get_core() : "?";
    for (int si = 0; si < nshapes; si++) {
        bufs b = make_bufs(&shapes[si]);
        for (int th = 1; th <= 2; th++) {
            set_threads(th);
            double gf = time_blas(sgemm, &shapes[si], &b, reps_for(&shapes[si], reps));
            printf("%-24s %-28s threads=%d  %7.1f GFLOP/s  (core %s)\n", shapes[si].name, label, th, gf, core);
            fflush(stdout);
        }
        free_bufs(&b);
    }
    dlclose(h);
    return 0;
}

int main(int argc, char **argv)
{
    int reps = 5, nshapes = 2, use_blas = 1, have_isa = 0;
    const char *coretype = NULL;
    lrb_isa only = LRB_ISA_PORTABLE;
    for (int i = 1; i < argc; i++) {
        int64_t n;
        if (!strncmp(argv[i], "--reps=", 7) && !lrb_parse_int(argv[i] + 7, 1, 1000000, &n))
            reps = (int)n;
        else if (!strcmp(argv[i], "--quick"))
            nshapes = 1;
        else if (!strcmp(argv[i], "--no-openblas"))
            use_blas = 0;
        else if (!strncmp(argv[i], "--coretype=", 11))
            coretype = argv[i] + 11;
        else if (!strncmp(argv[i], "--isa=", 6) && lrb_isa_parse(argv[i] + 6, &only) == 0)
            have_isa = 1;
        else {
            fprintf(stderr, "usage: %s [--reps=N] [--isa=NAME] [--quick] [--no-openblas] [--coretype=NAME]\n", argv[0]);
            return 2;
        }
    }

    if (coretype) {
        /* the re-exec'ed copy: OpenBLAS with a forced core type, nothing else */
        setenv("OPENBLAS_CORETYPE", coretype, 1);
        char label[64];
        snprintf(label, sizeof label, "openblas CORETYPE=%s", coretype);
        return run_openblas(label, nshapes, reps) == 0 ? 0 : 1;
    }

    char err[256];
    if (lrb_cpu_init(err, sizeof err) != 0) {
        fprintf(stderr, "sgemm_compare: %s\n", err);
        return 2;
    }
    printf("GFLOP/s = 2*M*N*K / time, best of %d runs (a shared machine: compare within one run)\n", reps);
    for (int si = 0; si < nshapes; si++) {
        bufs b = make_bufs(&shapes[si]);
        for (int isa = LRB_NUM_ISAS - 1; isa >= 0; isa--) {
            if ((have_isa && isa != (int)only) || lrb_cpu_set_isa((lrb_isa)isa) != 0)
                continue;
            for (int th = 1; th <= 2; th++) {
                lrb_cpu_set_threads(th);
                double gf = time_lrb(&shapes[si], &b, reps_for(&shapes[si], reps));
                char label[64];
                snprintf(label, sizeof label, "lrb dense_rows %s", lrb_isa_name((lrb_isa)isa));
                printf("%-24s %-28s threads=%d  %7.1f GFLOP/s\n", shapes[si].name, label, th, gf);
                fflush(stdout);
            }
        }
        free_bufs(&b);
    }
    if (!use_blas)
        return 0;

    /* OpenBLAS with its own core detection */
    const char *env = getenv("OPENBLAS_CORETYPE");
    if (env && *env)
        printf("(OPENBLAS_CORETYPE=%s in the environment: removed for the default run)\n", env);
    unsetenv("OPENBLAS_CORETYPE");
    if (run_openblas("openblas default", nshapes, reps) != 0)
        return 0;

    /* and with the AVX-512 kernel, in a fresh process */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char r[32];
        snprintf(r, sizeof r, "--reps=%d", reps);
        char *args[5] = {argv[0], r, "--coretype=SkylakeX", nshapes == 1 ? "--quick" : NULL, NULL};
        execv("/proc/self/exe", args);
        perror("sgemm_compare: execv");
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fprintf(stderr, "sgemm_compare: the OPENBLAS_CORETYPE=SkylakeX run failed\n");
    return 0;
}
