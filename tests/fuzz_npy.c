/*
 * fuzz_npy.c — libFuzzer target for the strict .npy parser (harness/npy.c, TOOLING.md §9.1).
 *
 * Every input must either parse (and then describe a consistent array) or be refused with a message;
 * nothing may crash, leak, or read outside the buffer. Build and run by hand:
 *
 *   clang-14 -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *       -Iharness tests/fuzz_npy.c harness/npy.c -o fuzz_npy
 *   ./fuzz_npy -max_total_time=30 -max_len=4096 tests/fuzz_corpus/npy   (copy the corpus first to keep
 *                                                                       the committed seeds unchanged)
 *
 * The seeds in tests/fuzz_corpus/npy/ come from tests/fixtures/gen_harness_fixtures.py.
 */
#include "npy.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lrb_npy a;
    char err[256];
    err[0] = '\0';
    if (lrb_npy_parse(data, size, &a, err, sizeof err) == 0) {
        /* A parsed array must be self-consistent: recompute its size and touch every byte once. */
        int64_t count = 1;
        int i;
        size_t nbytes, k;
        unsigned sum = 0;
        if (a.ndim < 0 || a.ndim > LRB_MAX_NDIM || a.data == NULL)
            abort();
        for (i = 0; i < a.ndim; i++)
            if (a.shape[i] < 0)
                abort();
        for (i = 0; i < a.ndim; i++)
            if (a.shape[i] == 0)
                count = 0; /* (2^40, 2^40, 0) is a valid empty shape whose partial products overflow */
        for (i = 0; i < a.ndim && count != 0; i++)
            count *= a.shape[i]; /* cannot overflow: the parser checked the product */
        if (count != a.count)
            abort();
        nbytes = (size_t)count * lrb_npy_itemsize(a.dtype);
        for (k = 0; k < nbytes; k++)
            sum += ((const unsigned char *)a.data)[k];
        (void)sum;
        lrb_npy_free(&a);
    } else {
        /* A refusal must come with a one-line message. */
        if (err[0] == '\0' || strchr(err, '\n') != NULL || a.data != NULL)
            abort();
    }
    return 0;
}
