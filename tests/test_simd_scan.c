/* placeholder: replaced by the simd_scan tests */
#include "lrb_tests.h"
Suite *lrb_suite_simd_scan(void)
{
    return suite_create("simd_scan");
}
