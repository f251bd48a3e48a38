/* placeholder: replaced by the simd_math tests */
#include "lrb_tests.h"
Suite *lrb_suite_simd_math(void)
{
    return suite_create("simd_math");
}
