/* placeholder: replaced by the simd_dense tests */
#include "lrb_tests.h"
Suite *lrb_suite_simd_dense(void)
{
    return suite_create("simd_dense");
}
