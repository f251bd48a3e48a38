/*
 * gbench_c.h — a C interface to Google Benchmark 1.7.1 (Debian libbenchmark-dev), implemented in
 * gbench_c.cc. Google Benchmark has no C API; lrb's benchmarks are C, so this thin shim exposes what
 * they need: registration of a callback with argument tuples and names, the state loop (also batched),
 * manual iteration time (for CUDA events), items/bytes processed, custom counters, labels, skip with
 * error, pause/resume, context key/values, fixed iterations, and an init that strips lrb's own flags.
 *
 * Handles: gb_bench is a benchmark family (a benchmark::Benchmark), configurable until gb_run();
 * gb_state is a benchmark::State, valid only inside the callback that received it. No allocation.
 *
 * Contracts are written as REQUIRES / NOTE, in the style of benchmark.h.
 */
#ifndef LRB_GBENCH_C_H
#define LRB_GBENCH_C_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gb_state gb_state;
typedef struct gb_bench gb_bench;
typedef void (*gb_fn)(gb_state *st, void *user);

/* Counter flags: the values of benchmark::Counter::Flags in 1.7.1, passed through unchanged
 * (#defines, not an enum: 1u << 31 does not fit an int enumerator under -Wpedantic). */
#define GB_COUNTER_DEFAULT 0u
#define GB_COUNTER_RATE (1u << 0)
#define GB_COUNTER_AVG_THREADS (1u << 1)
#define GB_COUNTER_ITERATION_INVARIANT (1u << 2)
#define GB_COUNTER_AVG_ITERATIONS (1u << 3)
#define GB_COUNTER_INVERT (1u << 31)
/* lrb's own, never passed to the library: a rate that is a pure number (a count ÷ time ÷ a reference rate,
 * such as roofline_frac), which the console then shows without the "/s" of a rate. JSON is unaffected. */
#define GB_COUNTER_UNITLESS (1u << 30)

/* Time units for gb_unit. */
#define GB_NS 0
#define GB_US 1
#define GB_MS 2
#define GB_S 3

/* Removes every argument starting with "--lrb-" from argv (they are lrb's own flags, read by the caller
 * before this call), then initialises the library and rejects any flag it does not know, and a
 * --benchmark_filter that is not a regular expression as the library reads it.
 * REQUIRES: called once, before gb_run (registration and the gb_bench configuration functions may come
 * before or after it).
 * Returns 0 on success, 1 if an unrecognised flag remains (the library has printed it) or the filter does
 * not compile (one line on stderr). */
int gb_init(int *argc, char **argv);

/* Adds a key/value pair to the "context" object of the JSON output (CPU model, ISA, commit...). */
void gb_add_context(const char *key, const char *value);

/* Registers a benchmark family named `name` whose body is fn(st, user).
 * REQUIRES: `user` outlives gb_run() (point into static tables or heap data that is never freed before).
 * NOTE: the name is copied. */
gb_bench *gb_register(const char *name, gb_fn fn, void *user);

/* Adds one instance with the argument tuple v[0..n-1] (readable with gb_range). */
void gb_args(gb_bench *b, const int64_t *v, int n);
/* Names the arguments, so instance names read ".../L:256/B:2/D:64". REQUIRES: n = tuple length. */
void gb_arg_names(gb_bench *b, const char *const *names, int n);
/* The body reports its own time per iteration with gb_set_iteration_time (appends "/manual_time"). */
void gb_use_manual_time(gb_bench *b);
void gb_unit(gb_bench *b, int unit);
/* Runs exactly n iterations (callgrind and profiling runs; appends "/iterations:n"). */
void gb_fixed_iterations(gb_bench *b, int64_t n);
/* Adds a "_min" aggregate over repetitions beside mean/median/stddev/cv. */
void gb_add_min_statistic(gb_bench *b);

/* Runs the benchmarks selected by --benchmark_filter (or lists them, with --benchmark_list_tests). Returns
 * their number: 0 when the filter selects none (the library has said so on stderr). */
size_t gb_run(void);
void gb_shutdown(void);

/* The state loop: `while (gb_keep_running(st)) { ... }`.
 * gb_keep_running_batch: `while (gb_keep_running_batch(st, n))` runs the body n iterations at a time;
 * NOTE: the total may exceed the target by up to n − 1 iterations. */
int gb_keep_running(gb_state *st);
int gb_keep_running_batch(gb_state *st, int64_t n);
int64_t gb_range(const gb_state *st, int i);
int64_t gb_iterations(const gb_state *st);
/* Manual time: seconds for the current iteration (or batch). REQUIRES: gb_use_manual_time. */
void gb_set_iteration_time(gb_state *st, double seconds);
/* Totals over all iterations; the library divides by the time to report items_per_second and
 * bytes_per_second. NOTE: rates (these two and GB_COUNTER_RATE counters) are divided by the CPU time of
 * the benchmark thread, or by the manual time with gb_use_manual_time; never by the real time. Work that
 * other threads do needs manual time. */
void gb_set_items_processed(gb_state *st, int64_t items);
void gb_set_bytes_processed(gb_state *st, int64_t bytes);
/* Sets counter `name` (a snake_case JSON key) to value with GB_COUNTER_* flags.
 * NOTE: GB_COUNTER_UNITLESS applies to the name in every run of the process. */
void gb_counter(gb_state *st, const char *name, double value, unsigned flags);
void gb_set_label(gb_state *st, const char *label);
/* Marks the run as failed ("error_occurred" in the JSON; the exit status stays 0).
 * REQUIRES: return from the callback right after (before or instead of the state loop). */
void gb_skip_with_error(gb_state *st, const char *msg);
void gb_pause_timing(gb_state *st);
void gb_resume_timing(gb_state *st);

#ifdef __cplusplus
}
#endif

#endif
