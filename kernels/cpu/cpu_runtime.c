/*
 * cpu_runtime.c — ISA detection and override, the thread count, and the persistent thread pool behind
 * lrb_cpu_parallel_for (see lrb_cpu.h). This file is built with baseline flags: it only asks the CPU
 * what it supports and never executes an instruction of a wider ISA itself.
 *
 * The pool: threads−1 workers poll for a while, then wait on a condition variable; a parallel region
 * publishes (fn, ctx, ntasks) under a new generation number, and the workers and the caller take task indices from one
 * atomic counter until none is left. The caller returns once every worker has left the region, so a
 * region's stack data outlives its tasks.
 */
#define _POSIX_C_SOURCE 200809L
#include "lrb_cpu.h"
#include "parse.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const isa_names[LRB_NUM_ISAS] = {"portable", "avx2", "avx512"};

const char *lrb_isa_name(lrb_isa isa)
{
    return (isa >= 0 && isa < LRB_NUM_ISAS) ? isa_names[isa] : "?";
}

int lrb_isa_parse(const char *name, lrb_isa *isa)
{
    if (!name)
        return -1;
    if (strcmp(name, "scalar") == 0) {
        *isa = LRB_ISA_PORTABLE;
        return 0;
    }
    for (int i = 0; i < LRB_NUM_ISAS; i++)
        if (strcmp(name, isa_names[i]) == 0) {
            *isa = (lrb_isa)i;
            return 0;
        }
    return -1;
}

int lrb_isa_available(lrb_isa isa, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    if (isa == LRB_ISA_PORTABLE)
        return 1;
#ifdef LRB_CPU_X86
    __builtin_cpu_init();
    /* __builtin_cpu_supports returns a mask, not 1 (TOOLING.md §13 item 25) */
    if (isa == LRB_ISA_AVX2) {
        if (__builtin_cpu_supports("avx2") != 0 && __builtin_cpu_supports("fma") != 0)
            return 1;
        *why = "this CPU lacks AVX2 or FMA";
        return 0;
    }
    if (isa == LRB_ISA_AVX512) {
        if (__builtin_cpu_supports("avx512f") != 0 && __builtin_cpu_supports("avx512dq") != 0 &&
            __builtin_cpu_supports("avx512bw") != 0 && __builtin_cpu_supports("avx512vl") != 0 &&
            __builtin_cpu_supports("avx2") != 0 && __builtin_cpu_supports("fma") != 0)
            return 1;
        *why = "this CPU lacks AVX-512 F/DQ/BW/VL (under valgrind: valgrind hides AVX-512)";
        return 0;
    }
#endif
    *why = "not built for this architecture";
    return 0;
}

lrb_isa lrb_isa_best(void)
{
    for (int i = LRB_NUM_ISAS - 1; i > 0; i--)
        if (lrb_isa_available((lrb_isa)i, NULL))
            return (lrb_isa)i;
    return LRB_ISA_PORTABLE;
}

/* ---- state ------------------------------------------------------------------------------------------- */

static atomic_int cur_isa = -1;    /* −1: not chosen yet */
static atomic_int cur_threads = 0; /* 0: not chosen yet */

static int default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n >= 1 ? (int)(n > 1024 ? 1024 : n) : 1;
}

int lrb_cpu_init(char *err, size_t errlen)
{
    const char *e = getenv("LRB_ISA");
    if (e && *e) {
        lrb_isa isa;
        const char *why = "";
        if (lrb_isa_parse(e, &isa) != 0) {
            snprintf(err, errlen, "LRB_ISA=%s: unknown ISA (expected portable, avx2 or avx512)", e);
            return -1;
        }
        if (!lrb_isa_available(isa, &why)) {
            snprintf(err, errlen, "LRB_ISA=%s: not available: %s", e, why);
            return -1;
        }
        atomic_store(&cur_isa, (int)isa);
    } else {
        atomic_store(&cur_isa, (int)lrb_isa_best());
    }
    const char *t = getenv("LRB_THREADS");
    int64_t n = default_threads();
    if (t && *t && lrb_parse_int(t, 1, 1024, &n) != 0) {
        snprintf(err, errlen, "LRB_THREADS=%s: expected an integer from 1 to 1024", t);
        return -1;
    }
    atomic_store(&cur_threads, (int)n);
    return 0;
}

static void lazy_init(void)
{
    if (atomic_load(&cur_isa) >= 0 && atomic_load(&cur_threads) > 0)
        return;
    char err[256];
    if (lrb_cpu_init(err, sizeof err) != 0) {
        fprintf(stderr, "lrb: warning: %s; using %s and %d threads\n", err, lrb_isa_name(lrb_isa_best()),
                default_threads());
        atomic_store(&cur_isa, (int)lrb_isa_best());
        atomic_store(&cur_threads, default_threads());
    }
}

lrb_isa lrb_cpu_isa(void)
{
    int v = atomic_load(&cur_isa);
    if (v < 0) {
        lazy_init();
        v = atomic_load(&cur_isa);
    }
    return (lrb_isa)v;
}

int lrb_cpu_set_isa(lrb_isa isa)
{
    if (isa < 0 || isa >= LRB_NUM_ISAS || !lrb_isa_available(isa, NULL))
        return -1;
    lazy_init();
    atomic_store(&cur_isa, (int)isa);
    return 0;
}

int lrb_cpu_threads(void)
{
    int v = atomic_load(&cur_threads);
    if (v <= 0) {
        lazy_init();
        v = atomic_load(&cur_threads);
    }
    return v;
}

int lrb_cpu_set_threads(int n)
{
    if (n < 1 || n > 1024)
        return -1;
    lazy_init();
    atomic_store(&cur_threads, n);
    return 0;
}

/* ---- thread pool ------------------------------------------------------------------------------------------ */

/* How long an idle worker, and the caller waiting for the workers, spin before they sleep. A futex
 * wake-up costs about 50 µs on the build machines (measured: 50 µs per region with a condition
 * variable alone), which is as long as a whole small region; a layer call opens several regions in a
 * row, so workers that keep polling for a while after a region find the next one without a wake-up. */
#define LRB_SPIN_NS 200000

typedef struct pool {
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    pthread_t *tid;
    int running;       /* workers started */
    atomic_uint gen;   /* region generation; its increment publishes fn, ctx, ntasks */
    atomic_int active; /* workers still inside the current region */
    atomic_int quit;
    int sleeping_caller; /* the caller waits on `done` (under mu): the last worker out signals it */
    lrb_task_fn fn;
    void *ctx;
    int64_t ntasks;
    atomic_llong next;
} pool;

static pool P = {.mu = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER, .done = PTHREAD_COND_INITIALIZER};
static pthread_mutex_t region_mu = PTHREAD_MUTEX_INITIALIZER; /* one region at a time */
static _Thread_local int in_region;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Spins until done(arg) holds or LRB_SPIN_NS pass; yields the core now and then, so that a spinning
 * thread does not keep a working one off the CPU when there are more threads than cores. */
static int spin_until(int (*done)(const void *), const void *arg)
{
    const int64_t t0 = now_ns();
    for (int i = 1;; i++) {
        if (done(arg))
            return 1;
        cpu_relax();
        if ((i & 255) == 0) {
            if (now_ns() - t0 > LRB_SPIN_NS)
                return 0;
            sched_yield();
        }
    }
}

static int gen_moved(const void *seen)
{
    return atomic_load_explicit(&P.gen, memory_order_acquire) != *(const unsigned *)seen ||
           atomic_load_explicit(&P.quit, memory_order_relaxed);
}

static int workers_left(const void *unused)
{
    (void)unused;
    return atomic_load_explicit(&P.active, memory_order_acquire) == 0;
}

static void run_tasks(lrb_task_fn fn, void *ctx, int64_t ntasks)
{
    in_region = 1;
    for (;;) {
        int64_t i = atomic_fetch_add(&P.next, 1);
        if (i >= ntasks)
            break;
        fn(ctx, i);
    }
    in_region = 0;
}

/* arg: the generation current when the worker was created (before the region that created it), so
 * that a worker which starts late still takes part in that region. */
static void *worker(void *arg)
{
    unsigned seen = (unsigned)(uintptr_t)arg;
    for (;;) {
        if (!spin_until(gen_moved, &seen)) {
            /* The caller bumps gen before it takes mu to broadcast, so a worker that still reads the
             * old generation here is inside pthread_cond_wait when the broadcast comes. */
            pthread_mutex_lock(&P.mu);
            while (!atomic_load(&P.quit) && atomic_load(&P.gen) == seen)
                pthread_cond_wait(&P.wake, &P.mu);
            pthread_mutex_unlock(&P.mu);
        }
        if (atomic_load(&P.quit))
            break;
        seen = atomic_load_explicit(&P.gen, memory_order_acquire);
        run_tasks(P.fn, P.ctx, P.ntasks);
        if (atomic_fetch_sub_explicit(&P.active, 1, memory_order_acq_rel) == 1) {
            pthread_mutex_lock(&P.mu);
            if (P.sleeping_caller)
                pthread_cond_signal(&P.done);
            pthread_mutex_unlock(&P.mu);
        }
    }
    return NULL;
}

static void pool_stop(void)
{
    pthread_mutex_lock(&P.mu);
    atomic_store(&P.quit, 1);
    pthread_cond_broadcast(&P.wake);
    pthread_mutex_unlock(&P.mu);
    for (int i = 0; i < P.running; i++)
        pthread_join(P.tid[i], NULL);
    free(P.tid);
    P.tid = NULL;
    P.running = 0;
    atomic_store(&P.quit, 0);
}

static void pool_atexit(void)
{
    pthread_mutex_lock(&region_mu);
    if (P.running)
        pool_stop();
    pthread_mutex_unlock(&region_mu);
}

/* Makes the pool have `n` workers; returns the number running (fewer if threads cannot be created). */
static int pool_resize(int n)
{
    static int registered;
    if (P.running == n)
        return n;
    if (P.running)
        pool_stop();
    if (n == 0)
        return 0;
    P.tid = malloc((size_t)n * sizeof *P.tid);
    if (!P.tid)
        return 0;
    for (int i = 0; i < n; i++) {
        if (pthread_create(&P.tid[i], NULL, worker, (void *)(uintptr_t)atomic_load(&P.gen)) != 0)
            break;
        P.running++;
    }
    if (!registered) {
        atexit(pool_atexit);
        registered = 1;
    }
    return P.running;
}

void lrb_cpu_parallel_for(int64_t ntasks, lrb_task_fn fn, void *ctx)
{
    if (ntasks <= 0)
        return;
    const int threads = lrb_cpu_threads();
    if (ntasks == 1 || threads == 1 || in_region) {
        for (int64_t i = 0; i < ntasks; i++)
            fn(ctx, i);
        return;
    }
    pthread_mutex_lock(&region_mu);
    int want = threads - 1;
    if ((int64_t)want > ntasks - 1)
        want = (int)(ntasks - 1);
    /* keep a larger pool than this region needs: idle workers find no task and leave at once */
    int have = pool_resize(P.running > want && P.running <= threads - 1 ? P.running : threads - 1);
    P.fn = fn;
    P.ctx = ctx;
    P.ntasks = ntasks;
    atomic_store(&P.next, 0);
    atomic_store(&P.active, have);
    atomic_fetch_add_explicit(&P.gen, 1, memory_order_release);
    pthread_mutex_lock(&P.mu);
    pthread_cond_broadcast(&P.wake);
    pthread_mutex_unlock(&P.mu);
    run_tasks(fn, ctx, ntasks);
    if (!spin_until(workers_left, NULL)) {
        pthread_mutex_lock(&P.mu);
        P.sleeping_caller = 1;
        while (atomic_load(&P.active) > 0)
            pthread_cond_wait(&P.done, &P.mu);
        P.sleeping_caller = 0;
        pthread_mutex_unlock(&P.mu);
    }
    pthread_mutex_unlock(&region_mu);
}
