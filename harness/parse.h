/*
 * parse.h — the one strict reader of decimal integers for every command-line option, environment
 * variable and case-table field. strtol alone takes " 5", "+5", "0x10" (base 0) and "5junk" (without an
 * end check) and wraps "-1" to 2^64−1 in strtoull; these read the whole string as plain decimal digits
 * (a leading '-' only where the range allows negatives) and check the range, so "4k", "", "1,", "1,,2"
 * and values past int64 are errors for the caller to report.
 */
#ifndef LRB_PARSE_H
#define LRB_PARSE_H

#include <stdint.h>

/* 0 and *out = the value when s is a whole decimal integer in [lo, hi]; -1 otherwise (*out untouched) */
int lrb_parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out);

/* the same for the whole unsigned 64-bit range (seeds) */
int lrb_parse_u64(const char *s, uint64_t *out);

/* "a,b,c": up to max integers in [lo, hi], each as lrb_parse_int reads it; the count (≥ 1), or -1 for an
 * empty list, an empty item, more than max items or an item out of range */
int lrb_parse_int_list(const char *s, int64_t lo, int64_t hi, int64_t *out, int max);

#endif
