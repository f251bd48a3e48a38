/*
 * lrb_tests.h — the Check suites of lrb_tests, and the data shared by them: the case table, parsed
 * once in the parent process before Check forks (read-only afterwards).
 */
#ifndef LRB_TESTS_H
#define LRB_TESTS_H

#include "cases.h"
#include "lrb_cpu.h"

#include <check.h>

extern lrb_case_table lrb_test_cases;
extern const char *lrb_test_golden_dir;
extern int lrb_test_tier; /* tier checked by golden_data (LRB_TEST_TIER, default 1) */

Suite *lrb_suite_harness(void);
Suite *lrb_suite_scan_algos(void);
Suite *lrb_suite_layers_unit(void);
Suite *lrb_suite_golden_data(void);
/* One suite per layer, named after it: every variant on every tier-1 golden case (with the
 * determinism check), and streaming in pieces against one pass. */
Suite *lrb_suite_layer(const char *layer);
/* The simd backend's kernels on every ISA path the host supports: scans (test_simd_scan.c), vector
 * math and WKV-4 (test_simd_math.c), dense projections, LayerNorm and token shift (test_simd_dense.c). */
Suite *lrb_suite_simd_scan(void);
Suite *lrb_suite_simd_math(void);
Suite *lrb_suite_simd_dense(void);

/* The ISA paths this host can run, best last; returns their number (≥ 1: portable always runs). Tests
 * of simd code loop over them with lrb_cpu_set_isa and restore the previous ISA afterwards. */
int lrb_test_isas(lrb_isa isas[LRB_NUM_ISAS]);

#endif
