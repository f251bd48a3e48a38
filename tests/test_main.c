/*
 * test_main.c — entry point of lrb_tests. Loads the case table once, builds every suite and runs the
 * one named by CK_RUN_SUITE (CTest runs one process per suite), or all of them.
 */
#include "lrb_tests.h"

#include "lrb_layers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef LRB_GOLDEN_DIR
#define LRB_GOLDEN_DIR "golden"
#endif

lrb_case_table lrb_test_cases;
const char *lrb_test_golden_dir = LRB_GOLDEN_DIR;
int lrb_test_tier = 1;

int lrb_test_isas(lrb_isa isas[LRB_NUM_ISAS])
{
    int n = 0;
    for (int i = 0; i < LRB_NUM_ISAS; i++)
        if (lrb_isa_available((lrb_isa)i, NULL))
            isas[n++] = (lrb_isa)i;
    return n;
}

int main(void)
{
    /* LRB_GOLDEN_DIR and LRB_TEST_TIER=2 point the golden_data suite at a generated tier-2 set; the case
     * table always comes from the source tree's golden/ */
    const char *g = getenv("LRB_GOLDEN_DIR"), *tier = getenv("LRB_TEST_TIER");
    if (g && *g)
        lrb_test_golden_dir = g;
    if (tier && !strcmp(tier, "2"))
        lrb_test_tier = 2;
    char path[1024], err[1024];
    snprintf(path, sizeof path, "%s/cases.txt", LRB_GOLDEN_DIR);
    if (lrb_cases_load(path, &lrb_test_cases, err, sizeof err)) {
        fprintf(stderr, "lrb_tests: %s\n", err);
        return 2;
    }
    if (lrb_cpu_init(err, sizeof err)) {
        fprintf(stderr, "lrb_tests: %s\n", err);
        return 2;
    }
    SRunner *sr = srunner_create(lrb_suite_harness());
    srunner_add_suite(sr, lrb_suite_scan_algos());
    srunner_add_suite(sr, lrb_suite_layers_unit());
    srunner_add_suite(sr, lrb_suite_golden_data());
    srunner_add_suite(sr, lrb_suite_simd_scan());
    srunner_add_suite(sr, lrb_suite_simd_math());
    srunner_add_suite(sr, lrb_suite_simd_dense());
    for (int i = 0; i < lrb_num_layers; i++)
        srunner_add_suite(sr, lrb_suite_layer(lrb_layers[i]->name));
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    lrb_cases_free(&lrb_test_cases);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
