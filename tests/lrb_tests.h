/*
 * lrb_tests.h — the Check suites of lrb_tests, and the data shared by them: the case table, parsed
 * once in the parent process before Check forks (read-only afterwards).
 */
#ifndef LRB_TESTS_H
#define LRB_TESTS_H

#include "cases.h"

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

#endif
