/*
 * parse.c — strict decimal integers (see parse.h). The digits are accumulated by hand rather than with
 * strtoull so that nothing but [0-9] (after an optional '-') is accepted and overflow is exact.
 */
#include "parse.h"

#include <string.h>

/* the magnitude of the digits in s[0, n): 0, or -1 when one is not a digit, n is 0 or it exceeds 2^64−1 */
static int digits_u64(const char *s, size_t n, uint64_t *out)
{
    if (n == 0)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        const uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int int_span(const char *s, size_t n, int64_t lo, int64_t hi, int64_t *out)
{
    const int neg = n > 0 && s[0] == '-';
    uint64_t mag;
    if (digits_u64(s + neg, n - (size_t)neg, &mag))
        return -1;
    int64_t v;
    if (neg) {
        if (mag > (uint64_t)INT64_MAX + 1)
            return -1;
        v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    } else {
        if (mag > (uint64_t)INT64_MAX)
            return -1;
        v = (int64_t)mag;
    }
    if (v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int lrb_parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    return s ? int_span(s, strlen(s), lo, hi, out) : -1;
}

int lrb_parse_u64(const char *s, uint64_t *out)
{
    return s ? digits_u64(s, strlen(s), out) : -1;
}

int lrb_parse_int_list(const char *s, int64_t lo, int64_t hi, int64_t *out, int max)
{
    if (!s)
        return -1;
    int n = 0;
    for (;;) {
        const char *comma = strchr(s, ',');
        const size_t len = comma ? (size_t)(comma - s) : strlen(s);
        if (n == max || int_span(s, len, lo, hi, &out[n]))
            return -1;
        n++;
        if (!comma)
            return n;
        s = comma + 1;
    }
}
