/*
 * gpu_check.c — lrb_gpu_check, the self-contained GPU check (built when nvcc exists; needs only the CUDA
 * runtime, no Check and no Google Benchmark, so it runs on a GPU machine without a package registry).
 * It prints the device, then one table: every cuda variant of the registry against the tier-1 golden set
 * (lrb check's comparison, outputs NaN-poisoned before each call), and every fresh-random kernel check of
 * cuda_selfcheck.c (poisoned outputs and gap columns, final states, run-to-run identical bits).
 *
 * usage: lrb_gpu_check [--quick | --max-elems N] [--min-elems N] [--algo seq|ul|chunked]... [--kernels-only]
 *                      [--golden DIR] [--cases FILE]
 * --quick keeps the random checks to shapes of at most 65 536 elements (for compute-sanitizer runs),
 * --max-elems to N (the CPU emulation of tests/cuda_emu), --min-elems to at least N; --algo (repeatable)
 * keeps the random checks and the golden set to the kernels of those algorithms (and leaves the projection
 * checks out); --kernels-only leaves the golden set out (the emulation under ThreadSanitizer, where every
 * launch costs seconds).
 * exit: 0 every row passed; 1 a row failed; 2 usage error, unreadable golden set, no CUDA device or a selection
 * that matches no check.
 */
#define _POSIX_C_SOURCE 200809L
#include "cases.h"
#include "conformance.h"
#include "cuda_selfcheck.h"
#include "lrb_cpu.h"
#include "lrb_cuda.h"
#include "parse.h"
#include "registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the algorithm named `name`, or LRB_CUDA_DIRECT for none of them */
static lrb_cuda_algo algo_named(const char *name)
{
    for (int a = LRB_CUDA_SEQ; a <= LRB_CUDA_CHUNKED; a++)
        if (!strcmp(name, lrb_cuda_algo_name((lrb_cuda_algo)a)))
            return (lrb_cuda_algo)a;
    return LRB_CUDA_DIRECT;
}

/* a golden-set variant `<layer>.cuda.<algorithm>` of the algorithms selected (all when none is) */
static int variant_selected(const char *name, unsigned algos)
{
    const char *dot = strrchr(name, '.');
    const lrb_cuda_algo a = dot ? algo_named(dot + 1) : LRB_CUDA_DIRECT;
    return algos == 0 || (a != LRB_CUDA_DIRECT && (algos >> a & 1u));
}

static void print_row(const lrb_gpu_check_row *r, void *ctx)
{
    ++*(int *)ctx;
    printf("%-62s %10.3e %9.1e %9lld %5lld %5s %5lld  %s\n", r->what, r->err, r->tol, r->nonfinite, r->gap_written,
           r->deterministic ? "yes" : "NO", r->ws_dirty, r->ok ? "PASS" : "FAIL");
}

int main(int argc, char **argv)
{
    /* a row reaches the file as it ends: when ci/gpu_run.sh cuts off a check that hangs, the output says where */
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *golden = lrb_golden_dir(), *cases_path = NULL;
    lrb_gpu_check_sel sel = {0, 0, 0};
    int golden_set = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            sel.max_elems = 65536;
        else if (!strcmp(argv[i], "--kernels-only"))
            golden_set = 0;
        else if (i + 1 < argc && (!strcmp(argv[i], "--max-elems") || !strcmp(argv[i], "--min-elems"))) {
            long long *bound = !strcmp(argv[i], "--max-elems") ? &sel.max_elems : &sel.min_elems;
            int64_t n;
            if (lrb_parse_int(argv[i + 1], 1, INT64_MAX, &n)) {
                fprintf(stderr, "lrb_gpu_check: %s %s: expected a positive integer\n", argv[i], argv[i + 1]);
                return 2;
            }
            *bound = n;
            i++;
        } else if (i + 1 < argc && !strcmp(argv[i], "--algo")) {
            const lrb_cuda_algo a = algo_named(argv[i + 1]);
            if (a == LRB_CUDA_DIRECT) {
                fprintf(stderr, "lrb_gpu_check: unknown algorithm %s (seq, ul or chunked)\n", argv[i + 1]);
                return 2;
            }
            sel.algos |= 1u << a;
            i++;
        } else if (i + 1 < argc && !strcmp(argv[i], "--golden"))
            golden = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--cases"))
            cases_path = argv[++i];
        else if (i + 1 == argc &&
                 (!strcmp(argv[i], "--max-elems") || !strcmp(argv[i], "--min-elems") || !strcmp(argv[i], "--algo") ||
                  !strcmp(argv[i], "--golden") || !strcmp(argv[i], "--cases"))) {
            fprintf(stderr, "lrb_gpu_check: %s needs a value\n", argv[i]);
            return 2;
        } else {
            fprintf(stderr,
                    "lrb_gpu_check: unknown argument %s (usage: lrb_gpu_check [--quick | --max-elems N] "
                    "[--min-elems N] [--algo seq|ul|chunked]... [--kernels-only] [--golden DIR] [--cases FILE])\n",
                    argv[i]);
            return 2;
        }
    }
    if (sel.max_elems && sel.min_elems > sel.max_elems) { /* an empty range the dense rows would hide */
        fprintf(stderr, "lrb_gpu_check: --min-elems %lld is above the largest size selected, %lld\n", sel.min_elems,
                sel.max_elems);
        return 2;
    }
    const char *why = NULL;
    if (!lrb_cuda_available(&why)) {
        fprintf(stderr, "lrb_gpu_check: %s\n", why);
        return 2;
    }
    char info[256], path[1024], err[1024];
    lrb_cuda_device_info(info, sizeof info);
    printf("device: %s\n\n", info);
    if (lrb_cpu_init(err, sizeof err)) {
        fprintf(stderr, "lrb_gpu_check: %s\n", err);
        return 2;
    }
    snprintf(path, sizeof path, "%s/cases.txt", lrb_golden_dir());
    lrb_case_table t;
    if (lrb_cases_load(cases_path ? cases_path : path, &t, err, sizeof err)) {
        fprintf(stderr, "lrb_gpu_check: %s\n", err);
        return 2;
    }

    int failed = 0, rows = 0;
    if (golden_set)
        printf("%-30s %6s %6s %12s %11s  %s\n", "golden set, variant", "passed", "failed", "worst_rel_l2",
               "worst_ratio", "result");
    for (int vi = 0; vi < lrb_num_variants && golden_set; vi++) {
        const lrb_variant *v = &lrb_variants[vi];
        if (strcmp(v->backend, "cuda") != 0 || !variant_selected(v->name, sel.algos))
            continue;
        lrb_check_opts o = {.golden_dir = golden, .tier = 1, .variant = v->name};
        lrb_check_summary s;
        const int f = lrb_check_run(&t, &o, &s);
        if (f < 0) {
            lrb_cases_free(&t);
            return 2;
        }
        const int ok = f == 0 && s.passed > 0;
        failed += !ok;
        rows++;
        printf("%-30s %6d %6d %12.3e %11.3f  %s\n", v->name, s.passed, s.failed, s.worst[vi], s.worst_ratio[vi],
               ok ? "PASS" : "FAIL");
    }
    printf("\n%-62s %10s %9s %9s %5s %5s %5s  %s\n", "fresh random data, kernel and shape", "rel_l2", "tol",
           "nonfinite", "gap", "det", "dirty", "result");
    const int kr = lrb_gpu_selfcheck(&sel, print_row, &rows);
    lrb_cases_free(&t);
    if (kr < 0) {
        fprintf(stderr, "lrb_gpu_check: a CUDA call failed\n");
        return 1;
    }
    failed += kr;
    if (rows == 0) { /* a selection that checks nothing is not a pass */
        fprintf(stderr, "lrb_gpu_check: no check matches the selection\n");
        return 2;
    }
    printf("\ngpu check: %s (%d rows, %d failed)\n", failed ? "FAILED" : "passed", rows, failed);
    return failed ? 1 : 0;
}
