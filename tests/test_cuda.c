/*
 * test_cuda.c — lrb_cuda_tests, the CUDA test binary (built when nvcc exists). Check forks every test,
 * and CUDA cannot be used in a child forked after the parent initialised it (TOOLING.md §3.3), so main()
 * calls no CUDA function itself: a short-lived child probes for a device, and without one the binary
 * prints "SKIP: no CUDA device" and exits 77 (CTest: skipped), or fails when LRB_REQUIRE_GPU=1.
 *
 * Suite "cuda":
 *   - golden: every cuda variant of the registry passes the whole tier-1 golden set (lrb check's own
 *     comparison: outputs NaN-poisoned before the call, tolerances of LAYERS.md);
 *   - kernels: every check of kernels/cuda/cuda_selfcheck.c (scans and WKV-4 on fresh random data of
 *     lengths 1 … 100 003 and 1 … 4096 chains, poisoned outputs and gap columns, final states, and two
 *     launches giving identical bits) passes.
 * LRB_TEST_VERBOSE=1 prints every kernel check.
 */
#define _POSIX_C_SOURCE 200809L
#include "cases.h"
#include "conformance.h"
#include "cuda_selfcheck.h"
#include "lrb_cpu.h"
#include "registry.h"
#include "test_util.h"

#include <check.h>
#include <cuda_runtime_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static lrb_case_table cases;

/* ---- golden ------------------------------------------------------------------------------------------ */

static int cuda_variant(int k)
{
    for (int i = 0, seen = 0; i < lrb_num_variants; i++)
        if (strcmp(lrb_variants[i].backend, "cuda") == 0 && seen++ == k)
            return i;
    return -1;
}

START_TEST(test_golden)
{
    const int vi = cuda_variant(_i);
    ck_assert_int_ge(vi, 0);
    lrb_check_opts o = {.golden_dir = lrb_golden_dir(), .tier = 1, .variant = lrb_variants[vi].name};
    lrb_check_summary s;
    const int failed = lrb_check_run(&cases, &o, &s);
    ck_assert_msg(failed == 0 && s.passed > 0 && s.unavailable == 0, "%s: %d passed, %d failed, %d not run",
                  lrb_variants[vi].name, s.passed, s.failed, s.unavailable);
}
END_TEST

/* ---- kernels on fresh random data (kernels/cuda/cuda_selfcheck.c) -------------------------------------- */

typedef struct {
    int rows, failed;
    char first[384];
} tally;

static void collect(const lrb_gpu_check_row *r, void *vctx)
{
    tally *t = vctx;
    t->rows++;
    if (lrb_test_verbose())
        printf("%-60s err %.3e tol %.1e nonfinite %lld gap %lld det %d dirty %lld %s\n", r->what, r->err, r->tol,
               r->nonfinite, r->gap_written, r->deterministic, r->ws_dirty, r->ok ? "ok" : "FAIL");
    if (!r->ok && !t->failed++)
        snprintf(t->first, sizeof t->first,
                 "%s: err %.3e (tol %.1e), %lld non-finite, %lld gap written, %s, %lld workspace bytes left dirty",
                 r->what, r->err, r->tol, r->nonfinite, r->gap_written,
                 r->deterministic ? "deterministic" : "NOT deterministic", r->ws_dirty);
}

START_TEST(test_kernels)
{
    tally t = {0, 0, ""};
    const int rc = lrb_gpu_selfcheck(NULL, collect, &t);
    ck_assert_msg(rc >= 0, "a CUDA call failed (see stderr)");
    ck_assert_msg(t.rows > 0 && t.failed == 0, "%d of %d kernel checks failed, first: %s", t.failed, t.rows, t.first);
}
END_TEST

/* ---- main ---------------------------------------------------------------------------------------------- */

/* 1 when a forked child finds a CUDA device; the parent never touches CUDA */
static int probe_gpu(void)
{
    fflush(NULL);
    const pid_t pid = fork();
    if (pid < 0)
        return 0;
    if (pid == 0) {
        int n = 0;
        _exit(cudaGetDeviceCount(&n) == cudaSuccess && n > 0 ? 0 : 1);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid)
        return 0;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(void)
{
    if (!probe_gpu()) {
        const char *req = getenv("LRB_REQUIRE_GPU");
        if (req && *req && strcmp(req, "0") != 0) {
            fprintf(stderr, "lrb_cuda_tests: LRB_REQUIRE_GPU is set but no CUDA device was found\n");
            return 1;
        }
        printf("SKIP: no CUDA device\n");
        return 77;
    }
    char path[1024], err[1024];
    snprintf(path, sizeof path, "%s/cases.txt", lrb_golden_dir());
    if (lrb_cases_load(path, &cases, err, sizeof err) || lrb_cpu_init(err, sizeof err)) {
        fprintf(stderr, "lrb_cuda_tests: %s\n", err);
        return 2;
    }
    int ncuda = 0;
    for (int i = 0; i < lrb_num_variants; i++)
        ncuda += strcmp(lrb_variants[i].backend, "cuda") == 0;
    Suite *s = suite_create("cuda");
    TCase *tc = tcase_create("golden");
    tcase_set_timeout(tc, 1800);
    tcase_add_loop_test(tc, test_golden, 0, ncuda);
    suite_add_tcase(s, tc);
    tc = tcase_create("kernels");
    tcase_set_timeout(tc, 1800);
    tcase_add_test(tc, test_kernels);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    const int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    lrb_cases_free(&cases);
    return failed ? 1 : 0;
}
