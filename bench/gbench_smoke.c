/*
 * gbench_smoke.c — exercises every function of bench/gbench_c.h from C11, for tests/gbench_smoke.sh.
 *
 * Each benchmark sets values the test script can predict exactly from the JSON output (counters with
 * every flag kind, items and bytes processed, labels, names with L/B/D, iteration counts), so the script
 * checks the shim's plumbing rather than timings. The only timing check is the pause test, whose paused
 * CPU-time spin is ten times its timed one.
 *
 * The caller reads its own --lrb-* flags before gb_init (here it only counts them); gb_init removes them.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */

#include "gbench_c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Keeps the compiler from deleting work whose result is only written to memory: an empty asm that
 * "reads" the pointer and clobbers memory forces the stores before it to happen. -std=c11 has no `asm`
 * keyword, hence `__asm__`. */
static void keep(const void *p)
{
    __asm__ volatile("" : : "r"(p) : "memory");
}

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
static double now_s(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

/* Burns `s` seconds of this thread's CPU time. CPU time rather than wall time, so that the pause check
 * holds on a loaded machine (preemption stretches wall time, not CPU time); busy rather than asleep,
 * because a sleeping thread uses no CPU time. */
static void spin_cpu(double s)
{
    const double end = clock_s(CLOCK_THREAD_CPUTIME_ID) + s;
    while (clock_s(CLOCK_THREAD_CPUTIME_ID) < end) {
    }
}

/* A scan-like pass over B·D chains of length L: enough work to time, cheap enough to run often. */
static void work(float *x, int64_t l, int64_t bd)
{
    for (int64_t c = 0; c < bd; ++c) {
        float h = 0.0f;
        for (int64_t t = 0; t < l; ++t) {
            h = 0.5f * h + x[t * bd + c];
            x[t * bd + c] = h;
        }
    }
    keep(x);
}

typedef struct {
    const char *label; /* set with gb_set_label */
    const char *error; /* message for gb_skip_with_error */
} smoke_user;

static const smoke_user k_cpu = {"layer=smoke variant=smoke.ref.seq", NULL};
static const smoke_user k_skip = {NULL, "conformance: smoke skip"};

/* The CPU benchmark: args (L, B, D), every counter flag, items/bytes, label, pause/resume. */
static void bm_cpu(gb_state *st, void *user)
{
    const smoke_user *u = user;
    const int64_t l = gb_range(st, 0), b = gb_range(st, 1), d = gb_range(st, 2);
    const size_t n = (size_t)(l * b * d);
    float *x = malloc(n * sizeof *x);
    if (!x) {
        gb_skip_with_error(st, "out of memory");
        return;
    }
    while (gb_keep_running(st)) {
        /* Refilling the input is set-up, not the measured operation. */
        gb_pause_timing(st);
        for (size_t i = 0; i < n; ++i)
            x[i] = (float)(i % 7u) - 3.0f;
        gb_resume_timing(st);
        work(x, l, b * d);
    }
    const int64_t it = gb_iterations(st);
    gb_set_items_processed(st, it * b * l);
    gb_set_bytes_processed(st, it * (int64_t)(2 * n * sizeof *x));
    gb_counter(st, "c_default", 42.0, GB_COUNTER_DEFAULT);
    gb_counter(st, "c_rate", 1000.0, GB_COUNTER_RATE);
    gb_counter(st, "c_avg_threads", 7.0, GB_COUNTER_AVG_THREADS);
    gb_counter(st, "c_invariant", 3.0, GB_COUNTER_ITERATION_INVARIANT);
    gb_counter(st, "c_avg_iterations", 5.0 * (double)it, GB_COUNTER_AVG_ITERATIONS);
    gb_counter(st, "c_invert", 4.0, GB_COUNTER_INVERT);
    gb_counter(st, "c_invariant_rate", 2.0, GB_COUNTER_ITERATION_INVARIANT | GB_COUNTER_RATE);
    gb_counter(st, "c_unitless_rate", 1000.0, GB_COUNTER_RATE | GB_COUNTER_UNITLESS);
    gb_counter(st, "tokens", (double)(b * l), GB_COUNTER_DEFAULT);
    gb_set_label(st, u->label);
    free(x);
}

/* Batched loop: 8 iterations per gb_keep_running_batch; the total is a multiple of 8. */
static void bm_batch(gb_state *st, void *user)
{
    (void)user;
    float x[64] = {0};
    int64_t body_iters = 0;
    while (gb_keep_running_batch(st, 8)) {
        for (int k = 0; k < 8; ++k)
            work(x, 8, 8);
        body_iters += 8;
    }
    gb_counter(st, "batch_mod", (double)(gb_iterations(st) % 8), GB_COUNTER_DEFAULT);
    gb_counter(st, "body_minus_iters", (double)(body_iters - gb_iterations(st)), GB_COUNTER_DEFAULT);
}

/* Manual time, as a CUDA benchmark would report event times: here clock_gettime around the work. */
static void bm_manual(gb_state *st, void *user)
{
    (void)user;
    const int64_t l = gb_range(st, 0), b = gb_range(st, 1), d = gb_range(st, 2);
    float *x = calloc((size_t)(l * b * d), sizeof *x);
    if (!x) {
        gb_skip_with_error(st, "out of memory");
        return;
    }
    while (gb_keep_running(st)) {
        const double t0 = now_s();
        work(x, l, b * d);
        gb_set_iteration_time(st, now_s() - t0);
    }
    gb_set_items_processed(st, gb_iterations(st) * b * l);
    free(x);
}

/* Fixed iterations: the library must run exactly the registered count. */
static void bm_fixed(gb_state *st, void *user)
{
    (void)user;
    float x[64] = {0};
    int64_t body_iters = 0;
    while (gb_keep_running(st)) {
        work(x, 8, 8);
        ++body_iters;
    }
    gb_counter(st, "body_iters", (double)body_iters, GB_COUNTER_DEFAULT);
}

/* Pause check: 20 µs of CPU time timed, 200 µs paused per iteration; cpu_time must be near 20 µs. */
static void bm_pause(gb_state *st, void *user)
{
    (void)user;
    while (gb_keep_running(st)) {
        gb_pause_timing(st);
        spin_cpu(200e-6);
        gb_resume_timing(st);
        spin_cpu(20e-6);
    }
}

/* Skipped before the loop, as lrb does for a variant that fails conformance. */
static void bm_skip(gb_state *st, void *user)
{
    const smoke_user *u = user;
    gb_skip_with_error(st, u->error);
}

int main(int argc, char **argv)
{
    /* lrb's own flags are read before gb_init strips them. */
    int lrb_flags = 0;
    for (int i = 1; i < argc; ++i)
        if (strncmp(argv[i], "--lrb-", 6) == 0)
            ++lrb_flags;
    /* First of the gb_ calls, as gbench_c.h requires (only gb_register may precede it). */
    if (gb_init(&argc, argv) != 0)
        return 1;

    static const char *const names[] = {"L", "B", "D"};
    static const int64_t cpu_args[][3] = {{64, 2, 32}, {256, 1, 16}};

    gb_bench *b = gb_register("smoke_cpu/ref.seq", bm_cpu, (void *)&k_cpu);
    for (size_t i = 0; i < sizeof cpu_args / sizeof cpu_args[0]; ++i)
        gb_args(b, cpu_args[i], 3);
    gb_arg_names(b, names, 3);
    gb_unit(b, GB_US);
    gb_add_min_statistic(b);

    b = gb_register("smoke_batch", bm_batch, NULL);
    gb_unit(b, GB_NS);

    static const int64_t manual_args[3] = {128, 4, 8};
    b = gb_register("smoke_manual", bm_manual, NULL);
    gb_args(b, manual_args, 3);
    gb_arg_names(b, names, 3);
    gb_use_manual_time(b);
    gb_unit(b, GB_MS);

    b = gb_register("smoke_fixed", bm_fixed, NULL);
    gb_fixed_iterations(b, 37);
    gb_unit(b, GB_S);

    b = gb_register("smoke_pause", bm_pause, NULL);
    gb_unit(b, GB_US);

    gb_register("smoke_skip", bm_skip, (void *)&k_skip);

    char buf[32];
    gb_add_context("lrb_smoke", "yes");
    snprintf(buf, sizeof buf, "%d", lrb_flags);
    gb_add_context("lrb_flags_seen", buf);
    snprintf(buf, sizeof buf, "%d", argc);
    gb_add_context("argc_after_init", buf);
    gb_add_context("argv_terminated", argv[argc] == NULL ? "yes" : "no");

    const size_t ran = gb_run();
    fprintf(stderr, "gbench_smoke: %zu benchmarks run\n", ran);
    gb_shutdown();
    return ran > 0 ? 0 : 1;
}
