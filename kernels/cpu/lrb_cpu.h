/*
 * lrb_cpu.h — run-time control of the `simd` backend: which instruction-set path runs (AVX-512,
 * AVX2+FMA or the portable one) and how many threads it uses, plus the one parallel-for that every
 * CPU kernel uses.
 *
 * ISA: chosen once from the CPU's features (the best path that is both built and supported), unless
 * the environment variable LRB_ISA (or a caller through lrb_cpu_set_isa, e.g. `--lrb-isa`) names one:
 * tests run every path the host supports, benchmarks pin one. Each kernel family is compiled once per
 * ISA from one template (kernels/cpu/<family>_isa.c, see CMakeLists.txt) into a table of function pointers
 * named <family>_kern_<isa>; LRB_CPU_KERN(family) picks the table of the ISA in use.
 *
 * Threads: LRB_THREADS (or lrb_cpu_set_threads, `--lrb-threads`), default the number of online CPUs.
 * lrb_cpu_parallel_for runs tasks 0..n−1 on a persistent pool; a task's result must not depend on
 * which thread runs it, so every variant gives the same bits for any thread count unless its entry
 * says otherwise.
 */
#ifndef LRB_CPU_H
#define LRB_CPU_H

#include <stddef.h>
#include <stdint.h>

typedef enum { LRB_ISA_PORTABLE = 0, LRB_ISA_AVX2, LRB_ISA_AVX512, LRB_NUM_ISAS } lrb_isa;

/* "portable", "avx2", "avx512" */
const char *lrb_isa_name(lrb_isa isa);
/* 0 and *isa set for a known name (also "scalar" for portable), −1 otherwise. */
int lrb_isa_parse(const char *name, lrb_isa *isa);
/* 1 if this build has the path and this CPU can run it; otherwise 0 and *why (if non-NULL) says why. */
int lrb_isa_available(lrb_isa isa, const char **why);
/* The best available path. */
lrb_isa lrb_isa_best(void);

/* Reads LRB_ISA and LRB_THREADS. Returns 0, or −1 with a one-line message in err (unknown or
 * unavailable ISA, bad thread count); mains call it and exit 2 on failure. Kernels that run without it
 * fall back to the best ISA (and the default thread count) when the variables are bad. */
int lrb_cpu_init(char *err, size_t errlen);
/* The ISA in use. */
lrb_isa lrb_cpu_isa(void);
/* Pins the ISA: 0, or −1 when it is not available (the ISA in use is unchanged). */
int lrb_cpu_set_isa(lrb_isa isa);

/* Threads in use (≥ 1) and the setter (n ≥ 1; the pool is rebuilt on the next parallel region). */
int lrb_cpu_threads(void);
int lrb_cpu_set_threads(int n);

/* Runs fn(ctx, task) for task = 0 .. ntasks−1 on up to lrb_cpu_threads() threads (the caller is one of
 * them) and returns when all have finished. Tasks are handed out dynamically; calls from inside a task
 * run serially on the calling thread. */
typedef void (*lrb_task_fn)(void *ctx, int64_t task);
void lrb_cpu_parallel_for(int64_t ntasks, lrb_task_fn fn, void *ctx);

/* The kernel table of family `fam` for the ISA in use: declare the tables with LRB_CPU_DECLARE_KERN. */
#if defined(__x86_64__) || defined(_M_X64)
#define LRB_CPU_X86 1
#define LRB_CPU_DECLARE_KERN(type, fam) extern const type fam##_kern_portable, fam##_kern_avx2, fam##_kern_avx512
#define LRB_CPU_KERN(fam)                                                                                              \
    (lrb_cpu_isa() == LRB_ISA_AVX512 ? &fam##_kern_avx512                                                              \
     : lrb_cpu_isa() == LRB_ISA_AVX2 ? &fam##_kern_avx2                                                                \
                                     : &fam##_kern_portable)
#else
#define LRB_CPU_DECLARE_KERN(type, fam) extern const type fam##_kern_portable
#define LRB_CPU_KERN(fam) (&fam##_kern_portable)
#endif

#endif
