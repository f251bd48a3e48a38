/*
 * npy.c — strict .npy reader and numpy-identical writer (see npy.h and TOOLING.md §9.1).
 *
 * The reader works in three steps that the in-memory parser and the file reader share: the preamble
 * (magic, version, header length), the header dict (a tiny recursive-descent parser for the one Python
 * literal shape numpy writes: a dict with exactly the keys 'descr', 'fortran_order' and 'shape'), and
 * the size arithmetic (every product is checked for int64 and size_t overflow before it is used).
 * The file reader parses the header before it allocates anything for the data and compares the file
 * size with the header's promise first, so a 100-byte file claiming a terabyte costs nothing.
 * Every error message names what was expected; bytes from the file are sanitised before they are
 * echoed so a message stays one printable line.
 */
#define _POSIX_C_SOURCE 200809L

#include "npy.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NPY_MAGIC_LEN 6
#define NPY_ALIGN 64
/* numpy pads the header so that the first axis can grow in place to this many digits. */
#define NPY_GROWTH_DIGITS 21
/* Largest header accepted. A legitimate header for ≤ LRB_MAX_NDIM axes is a few hundred bytes; the
 * cap bounds what the file reader allocates before it has validated anything. */
#define NPY_MAX_HEADER (1u << 20)

static const unsigned char npy_magic[NPY_MAGIC_LEN] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

static const char *const dtype_names[LRB_NUM_DTYPES] = {"<f4", "<f8", "<i4", "<i8", "<u2"};
static const size_t dtype_sizes[LRB_NUM_DTYPES] = {4, 8, 4, 8, 2};

size_t lrb_npy_itemsize(int dtype)
{
    return (dtype >= 0 && dtype < LRB_NUM_DTYPES) ? dtype_sizes[dtype] : 0;
}

const char *lrb_npy_dtype_name(int dtype)
{
    return (dtype >= 0 && dtype < LRB_NUM_DTYPES) ? dtype_names[dtype] : "?";
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Copies at most 24 bytes of untrusted text into out as printable ASCII ('?' for anything else, "..."
 * when cut), so that error messages stay on one line whatever the file holds. */
static void sanitize(const unsigned char *s, size_t n, char *out, size_t outlen)
{
    size_t i, k = 0, lim = n < 24 ? n : 24;
    for (i = 0; i < lim && k + 1 < outlen; i++)
        out[k++] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '?';
    if (n > lim && k + 4 < outlen) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = '\0';
}

static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* .npy data is little-endian; on a big-endian host every element is reversed in place. */
static void swap_elements(void *data, int64_t count, size_t itemsize)
{
    unsigned char *p = data;
    int64_t i;
    size_t j;
    if (itemsize < 2 || host_is_little_endian())
        return;
    for (i = 0; i < count; i++, p += itemsize) {
        for (j = 0; j < itemsize / 2; j++) {
            unsigned char t = p[j];
            p[j] = p[itemsize - 1 - j];
            p[itemsize - 1 - j] = t;
        }
    }
}

/* ---- preamble ----------------------------------------------------------------------------------- */

/* Reads magic, version and header length from the first bytes of a file. needs receives the number of
 * preamble bytes (10 for version 1.0, 12 for 2.0/3.0). Returns 0, 1 when more bytes are needed than
 * len (with *needs set), or -1 on error. */
static int parse_preamble(const unsigned char *buf, size_t len, size_t *needs, size_t *header_len, char *err,
                          size_t errlen)
{
    size_t need, m = len < NPY_MAGIC_LEN ? len : NPY_MAGIC_LEN;
    if (memcmp(buf, npy_magic, m) != 0) {
        char shown[40];
        sanitize(buf, m, shown, sizeof shown);
        set_err(err, errlen, "bad magic '%s' (expected \\x93NUMPY: not a .npy file)", shown);
        return -1;
    }
    if (len < NPY_MAGIC_LEN) {
        set_err(err, errlen, "truncated: %zu bytes, shorter than the 6-byte magic \\x93NUMPY", len);
        return -1;
    }
    if (len < 8) {
        set_err(err, errlen, "truncated: %zu bytes, the version bytes are missing (expected 1.0, 2.0 or 3.0)", len);
        return -1;
    }
    if (buf[7] != 0 || (buf[6] != 1 && buf[6] != 2 && buf[6] != 3)) {
        set_err(err, errlen, "unsupported .npy version %u.%u (expected 1.0, 2.0 or 3.0)", (unsigned)buf[6],
                (unsigned)buf[7]);
        return -1;
    }
    need = buf[6] == 1 ? 10 : 12;
    *needs = need;
    if (len < need)
        return 1;
    if (need == 10) {
        *header_len = (size_t)buf[8] | ((size_t)buf[9] << 8);
    } else {
        uint32_t h = (uint32_t)buf[8] | ((uint32_t)buf[9] << 8) | ((uint32_t)buf[10] << 16) | ((uint32_t)buf[11] << 24);
        if (h > NPY_MAX_HEADER) {
            set_err(err, errlen, "header length %" PRIu32 " bytes is too large (at most %u accepted)", h,
                    NPY_MAX_HEADER);
            return -1;
        }
        *header_len = h;
    }
    return 0;
}

/* ---- header dict ---------------------------------------------------------------------------------- */

typedef struct hdr {
    int dtype;
    int ndim;
    int64_t shape[LRB_MAX_NDIM];
    int64_t count;
    size_t nbytes;
    char refused[32]; /* when parse_descr refused the descr: it ("[" for a structured one), for read_file */
} hdr;

typedef struct cursor {
    const unsigned char *p;
    const unsigned char *end;
} cursor;

static void skip_ws(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r' || *c->p == '\f'))
        c->p++;
}

static int at(const cursor *c, char ch)
{
    return c->p < c->end && *c->p == (unsigned char)ch;
}

/* Describes what the cursor points at, for "expected X, found Y" messages. */
static void found_text(const cursor *c, char *out, size_t outlen)
{
    if (c->p >= c->end) {
        snprintf(out, outlen, "end of header");
    } else {
        char s[40];
        sanitize(c->p, (size_t)(c->end - c->p), s, sizeof s);
        snprintf(out, outlen, "'%s'", s);
    }
}

static int expect_char(cursor *c, char ch, const char *where, char *err, size_t errlen)
{
    char f[48];
    skip_ws(c);
    if (at(c, ch)) {
        c->p++;
        return 0;
    }
    found_text(c, f, sizeof f);
    set_err(err, errlen, "malformed header: expected '%c' %s, found %s", ch, where, f);
    return -1;
}

/* A Python string literal without escapes ('...' or "..."), at most outlen - 1 bytes. */
static int parse_string(cursor *c, char *out, size_t outlen, const char *what, char *err, size_t errlen)
{
    unsigned char q;
    const unsigned char *s;
    size_t n;
    char f[48];
    skip_ws(c);
    if (!(at(c, '\'') || at(c, '"'))) {
        found_text(c, f, sizeof f);
        set_err(err, errlen, "malformed header: expected a quoted string for %s, found %s", what, f);
        return -1;
    }
    q = *c->p++;
    s = c->p;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\' || *c->p < 0x20 || *c->p >= 0x7f) {
            set_err(err, errlen, "malformed header: unsupported character in the string for %s", what);
            return -1;
        }
        c->p++;
    }
    if (c->p >= c->end) {
        set_err(err, errlen, "malformed header: unterminated string for %s", what);
        return -1;
    }
    n = (size_t)(c->p - s);
    c->p++; /* closing quote */
    if (n >= outlen) {
        char shown[40];
        sanitize(s, n, shown, sizeof shown);
        set_err(err, errlen, "malformed header: %s '%s' is too long", what, shown);
        return -1;
    }
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

static int is_ident_char(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
}

/* True if the cursor is at the identifier `word` (not a prefix of a longer one); consumes it. */
static int take_word(cursor *c, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
        return 0;
    if (c->p + n < c->end && is_ident_char(c->p[n]))
        return 0;
    c->p += n;
    return 1;
}

static int parse_descr(cursor *c, hdr *h, char *err, size_t errlen)
{
    char s[32];
    int i;
    skip_ws(c);
    if (at(c, '[')) {
        strcpy(h->refused, "[");
        set_err(err, errlen, "structured dtype is not supported (expected <f4, <f8, <i4, <i8 or <u2)");
        return -1;
    }
    if (parse_string(c, s, sizeof s, "'descr'", err, errlen) != 0)
        return -1;
    for (i = 0; i < LRB_NUM_DTYPES; i++) {
        if (strcmp(s, dtype_names[i]) == 0) {
            h->dtype = i;
            return 0;
        }
    }
    snprintf(h->refused, sizeof h->refused, "%s", s);
    set_err(err, errlen, "dtype '%s' is not supported (expected <f4, <f8, <i4, <i8 or <u2)", s);
    return -1;
}

static int parse_fortran(cursor *c, char *err, size_t errlen)
{
    char f[48];
    skip_ws(c);
    if (take_word(c, "False"))
        return 0;
    if (take_word(c, "True")) {
        set_err(err, errlen,
                "fortran_order is True: Fortran-order arrays are not supported (expected C order; save "
                "numpy.ascontiguousarray(a))");
        return -1;
    }
    found_text(c, f, sizeof f);
    set_err(err, errlen, "malformed header: expected True or False for 'fortran_order', found %s", f);
    return -1;
}

/* One non-negative decimal dimension, as Python writes it (no sign, no leading zeros, no '_'). */
static int parse_dim(cursor *c, int64_t *out, char *err, size_t errlen)
{
    int64_t v = 0;
    const unsigned char *start;
    char f[48];
    skip_ws(c);
    if (at(c, '-')) {
        const unsigned char *s = c->p;
        c->p++;
        skip_ws(c);
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
            c->p++;
        {
            char shown[40];
            sanitize(s, (size_t)(c->p - s), shown, sizeof shown);
            set_err(err, errlen, "negative dimension %s in shape (expected sizes >= 0)", shown);
        }
        return -1;
    }
    if (!(c->p < c->end && *c->p >= '0' && *c->p <= '9')) {
        found_text(c, f, sizeof f);
        set_err(err, errlen, "malformed header: expected a dimension (non-negative integer) in 'shape', found %s", f);
        return -1;
    }
    start = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        int d = *c->p - '0';
        if (v > (INT64_MAX - d) / 10) {
            const unsigned char *s = start;
            char shown[40];
            while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
                c->p++;
            sanitize(s, (size_t)(c->p - s), shown, sizeof shown);
            set_err(err, errlen, "dimension %s in shape overflows int64 (expected at most %" PRId64 ")", shown,
                    INT64_MAX);
            return -1;
        }
        v = v * 10 + d;
        c->p++;
    }
    if (c->p - start > 1 && *start == '0') {
        set_err(err, errlen, "malformed header: dimension with a leading zero in 'shape'");
        return -1;
    }
    if (c->p < c->end && is_ident_char(*c->p)) {
        found_text(c, f, sizeof f);
        set_err(err, errlen, "malformed header: unexpected %s after a dimension in 'shape'", f);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_shape(cursor *c, hdr *h, char *err, size_t errlen)
{
    int n = 0, trailing_comma = 0;
    char f[48];
    skip_ws(c);
    if (!at(c, '(')) {
        found_text(c, f, sizeof f);
        set_err(err, errlen, "malformed header: 'shape' must be a tuple such as (2, 3) or (7,) or (), found %s", f);
        return -1;
    }
    c->p++;
    skip_ws(c);
    if (at(c, ')')) {
        c->p++;
        h->ndim = 0;
        return 0;
    }
    for (;;) {
        int64_t d;
        if (parse_dim(c, &d, err, errlen) != 0)
            return -1;
        if (n >= LRB_MAX_NDIM) {
            /* Count the rest for the message; stop at anything unexpected. */
            int total = n + 1;
            for (;;) {
                skip_ws(c);
                if (!at(c, ','))
                    break;
                c->p++;
                skip_ws(c);
                if (!(c->p < c->end && *c->p >= '0' && *c->p <= '9'))
                    break;
                if (parse_dim(c, &d, err, errlen) != 0)
                    break;
                total++;
            }
            skip_ws(c);
            set_err(err, errlen, "array has %s%d dimensions (expected at most %d)", at(c, ')') ? "" : "at least ",
                    total, LRB_MAX_NDIM);
            return -1;
        }
        h->shape[n++] = d;
        trailing_comma = 0;
        skip_ws(c);
        if (at(c, ',')) {
            c->p++;
            trailing_comma = 1;
            skip_ws(c);
            if (at(c, ')')) {
                c->p++;
                break;
            }
            continue;
        }
        if (at(c, ')')) {
            c->p++;
            break;
        }
        found_text(c, f, sizeof f);
        set_err(err, errlen, "malformed header: expected ',' or ')' in 'shape', found %s", f);
        return -1;
    }
    if (n == 1 && !trailing_comma) {
        set_err(err, errlen, "malformed header: 'shape' (%" PRId64 ") is not a tuple (expected (%" PRId64 ",))",
                h->shape[0], h->shape[0]);
        return -1;
    }
    h->ndim = n;
    return 0;
}

/* The dict literal: exactly the three keys, any order, optional trailing comma, then only whitespace. */
static int parse_header_dict(const unsigned char *p, size_t n, hdr *h, char *err, size_t errlen)
{
    cursor c;
    int seen_descr = 0, seen_fortran = 0, seen_shape = 0;
    char f[48];
    c.p = p;
    c.end = p + n;
    memset(h, 0, sizeof *h);
    if (expect_char(&c, '{', "at the start of the header dict", err, errlen) != 0)
        return -1;
    skip_ws(&c);
    if (!at(&c, '}')) {
        for (;;) {
            char key[32];
            if (parse_string(&c, key, sizeof key, "a header key", err, errlen) != 0)
                return -1;
            if (expect_char(&c, ':', "after a header key", err, errlen) != 0)
                return -1;
            if (strcmp(key, "descr") == 0) {
                if (seen_descr++) {
                    set_err(err, errlen, "malformed header: key 'descr' appears twice");
                    return -1;
                }
                if (parse_descr(&c, h, err, errlen) != 0)
                    return -1;
            } else if (strcmp(key, "fortran_order") == 0) {
                if (seen_fortran++) {
                    set_err(err, errlen, "malformed header: key 'fortran_order' appears twice");
                    return -1;
                }
                if (parse_fortran(&c, err, errlen) != 0)
                    return -1;
            } else if (strcmp(key, "shape") == 0) {
                if (seen_shape++) {
                    set_err(err, errlen, "malformed header: key 'shape' appears twice");
                    return -1;
                }
                if (parse_shape(&c, h, err, errlen) != 0)
                    return -1;
            } else {
                set_err(err, errlen,
                        "unexpected key '%s' in header (expected exactly 'descr', 'fortran_order' and 'shape')", key);
                return -1;
            }
            skip_ws(&c);
            if (at(&c, ',')) {
                c.p++;
                skip_ws(&c);
                if (at(&c, '}'))
                    break;
                continue;
            }
            if (at(&c, '}'))
                break;
            found_text(&c, f, sizeof f);
            set_err(err, errlen, "malformed header: expected ',' or '}' in the header dict, found %s", f);
            return -1;
        }
    }
    c.p++; /* '}' */
    if (!seen_descr || !seen_fortran || !seen_shape) {
        set_err(err, errlen, "header lacks key%s%s%s (expected exactly 'descr', 'fortran_order' and 'shape')",
                seen_descr ? "" : " 'descr'", seen_fortran ? "" : " 'fortran_order'", seen_shape ? "" : " 'shape'");
        return -1;
    }
    skip_ws(&c);
    if (c.p != c.end) {
        found_text(&c, f, sizeof f);
        set_err(err, errlen, "malformed header: unexpected %s after the header dict (expected spaces and '\\n')", f);
        return -1;
    }
    return 0;
}

/* Writes "(2, 3)" etc. into out, as Python's repr of the tuple. */
static void shape_repr(int ndim, const int64_t *shape, char *out, size_t outlen)
{
    size_t k = 0;
    int i;
    out[0] = '\0';
    k += (size_t)snprintf(out + k, outlen - k, "(");
    for (i = 0; i < ndim && k < outlen; i++)
        k += (size_t)snprintf(out + k, outlen - k, i ? ", %" PRId64 : "%" PRId64, shape[i]);
    if (ndim == 1 && k < outlen)
        k += (size_t)snprintf(out + k, outlen - k, ",");
    if (k < outlen)
        snprintf(out + k, outlen - k, ")");
}

/* count = prod(shape), nbytes = count * itemsize, with overflow checks. A zero dimension makes the
 * array empty whatever the others are (numpy accepts (2**40, 2**40, 0)). */
static int compute_sizes(hdr *h, char *err, size_t errlen)
{
    int64_t count = 1;
    int i, has_zero = 0;
    size_t item = lrb_npy_itemsize(h->dtype);
    char sh[160];
    for (i = 0; i < h->ndim; i++)
        if (h->shape[i] == 0)
            has_zero = 1;
    if (has_zero) {
        h->count = 0;
        h->nbytes = 0;
        return 0;
    }
    for (i = 0; i < h->ndim; i++) {
        if (count > INT64_MAX / h->shape[i]) {
            shape_repr(h->ndim, h->shape, sh, sizeof sh);
            set_err(err, errlen, "shape %s overflows: the element count exceeds %" PRId64, sh, INT64_MAX);
            return -1;
        }
        count *= h->shape[i];
    }
    if ((uint64_t)count > (uint64_t)INT64_MAX / item || (uint64_t)count > SIZE_MAX / item) {
        shape_repr(h->ndim, h->shape, sh, sizeof sh);
        set_err(err, errlen, "shape %s of '%s' overflows: %" PRId64 " elements of %zu bytes exceed the address range",
                sh, lrb_npy_dtype_name(h->dtype), count, item);
        return -1;
    }
    h->count = count;
    h->nbytes = (size_t)((uint64_t)count * item);
    return 0;
}

/* Preamble and header from a buffer that holds at least the whole header. On success *data_off is where
 * the data begins. */
static int parse_head(const unsigned char *buf, size_t len, hdr *h, size_t *data_off, char *err, size_t errlen)
{
    size_t pre = 0, hl = 0;
    int r = parse_preamble(buf, len, &pre, &hl, err, errlen);
    if (r < 0)
        return -1;
    if (r > 0) {
        set_err(err, errlen, "truncated header: %zu bytes, the %zu-byte preamble is incomplete", len, pre);
        return -1;
    }
    if (hl > len - pre) {
        set_err(err, errlen, "truncated header: header length is %zu bytes but only %zu follow", hl, len - pre);
        return -1;
    }
    if (parse_header_dict(buf + pre, hl, h, err, errlen) != 0)
        return -1;
    if (compute_sizes(h, err, errlen) != 0)
        return -1;
    *data_off = pre + hl;
    return 0;
}

static void data_size_error(const hdr *h, uint64_t have, char *err, size_t errlen)
{
    char sh[160];
    shape_repr(h->ndim, h->shape, sh, sizeof sh);
    if (have < h->nbytes)
        set_err(err, errlen, "truncated data: shape %s of '%s' needs %zu bytes, found %" PRIu64, sh,
                lrb_npy_dtype_name(h->dtype), h->nbytes, have);
    else
        set_err(err, errlen, "trailing data: %" PRIu64 " bytes after the %zu bytes of shape %s of '%s'",
                have - h->nbytes, h->nbytes, sh, lrb_npy_dtype_name(h->dtype));
}

static void fill_out(lrb_npy *out, const hdr *h, void *data)
{
    int i;
    memset(out, 0, sizeof *out);
    out->dtype = h->dtype;
    out->ndim = h->ndim;
    for (i = 0; i < h->ndim; i++)
        out->shape[i] = h->shape[i];
    out->count = h->count;
    out->data = data;
}

int lrb_npy_parse(const unsigned char *buf, size_t len, lrb_npy *out, char *err, size_t errlen)
{
    hdr h;
    size_t off = 0;
    void *data;
    if (out != NULL)
        memset(out, 0, sizeof *out);
    if (buf == NULL || out == NULL) {
        set_err(err, errlen, "no input");
        return -1;
    }
    if (parse_head(buf, len, &h, &off, err, errlen) != 0)
        return -1;
    if (len - off != h.nbytes) {
        data_size_error(&h, len - off, err, errlen);
        return -1;
    }
    /* malloc(0) may return NULL; one byte keeps "data != NULL" true for empty arrays. */
    data = malloc(h.nbytes ? h.nbytes : 1);
    if (data == NULL) {
        set_err(err, errlen, "out of memory allocating %zu bytes", h.nbytes);
        return -1;
    }
    if (h.nbytes)
        memcpy(data, buf + off, h.nbytes);
    swap_elements(data, h.count, lrb_npy_itemsize(h.dtype));
    fill_out(out, &h, data);
    return 0;
}

/* Reads up to n bytes; returns the count read (short only at end of file or on error). */
static size_t read_fully(FILE *fp, unsigned char *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        size_t r = fread(p + got, 1, n - got, fp);
        if (r == 0)
            break;
        got += r;
    }
    return got;
}

/* What a float-only read says of any other dtype, known to the reader or not */
static void float_only_error(const char *descr, char *err, size_t errlen)
{
    if (descr[0] == '[')
        set_err(err, errlen, "structured dtype, expected float32 ('<f4') or float64 ('<f8')");
    else
        set_err(err, errlen, "dtype '%s', expected float32 ('<f4') or float64 ('<f8')", descr);
}

/* lrb_npy_read, or (with_data 0) lrb_npy_read_header; float_only: the lrb_npy_read_float variants */
static int read_file(const char *path, lrb_npy *out, int with_data, int float_only, char *err, size_t errlen)
{
    FILE *fp;
    unsigned char pre[12];
    unsigned char *head = NULL;
    size_t got, need = 0, hl = 0, off = 0;
    hdr h;
    struct stat st;
    void *data = NULL;
    int r;

    if (out != NULL)
        memset(out, 0, sizeof *out);
    if (path == NULL || out == NULL) {
        set_err(err, errlen, "no input");
        return -1;
    }
    fp = fopen(path, "rb");
    if (fp == NULL) {
        set_err(err, errlen, "cannot open: %s", strerror(errno));
        return -1;
    }
    got = read_fully(fp, pre, sizeof pre);
    r = parse_preamble(pre, got, &need, &hl, err, errlen);
    if (r != 0) {
        if (r > 0)
            set_err(err, errlen, "truncated header: %zu bytes, the %zu-byte preamble is incomplete", got, need);
        goto fail;
    }
    /* Re-assemble preamble + header in one buffer so that parse_head sees the same bytes as in memory. */
    head = malloc((need + hl > sizeof pre ? need + hl : sizeof pre) + 1);
    if (head == NULL) {
        set_err(err, errlen, "out of memory reading a %zu-byte header", hl);
        goto fail;
    }
    memcpy(head, pre, got);
    if (got < need + hl) {
        got += read_fully(fp, head + got, need + hl - got);
    } else {
        /* The 12-byte probe already holds data bytes (version 1.0 with a tiny header): put them back. */
        if (fseek(fp, (long)(need + hl), SEEK_SET) != 0) {
            set_err(err, errlen, "cannot seek: %s", strerror(errno));
            goto fail;
        }
        got = need + hl;
    }
    memset(&h, 0, sizeof h);
    if (parse_head(head, got, &h, &off, err, errlen) != 0) {
        if (float_only && h.refused[0])
            float_only_error(h.refused, err, errlen);
        goto fail;
    }
    if (float_only && h.dtype != LRB_F4 && h.dtype != LRB_F8) {
        float_only_error(lrb_npy_dtype_name(h.dtype), err, errlen);
        goto fail;
    }
    free(head);
    head = NULL;
    /* For regular files the size is known: refuse before allocating what the header claims. */
    if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode)) {
        uint64_t size = (uint64_t)st.st_size;
        uint64_t have = size >= off ? size - off : 0;
        if (have != (uint64_t)h.nbytes) {
            data_size_error(&h, have, err, errlen);
            goto fail;
        }
    }
    if (!with_data) {
        fclose(fp);
        fill_out(out, &h, NULL);
        return 0;
    }
    data = malloc(h.nbytes ? h.nbytes : 1);
    if (data == NULL) {
        set_err(err, errlen, "out of memory allocating %zu bytes", h.nbytes);
        goto fail;
    }
    got = read_fully(fp, data, h.nbytes);
    if (got != h.nbytes) {
        if (ferror(fp))
            set_err(err, errlen, "read error: %s", strerror(errno));
        else
            data_size_error(&h, got, err, errlen);
        goto fail;
    }
    if (fgetc(fp) != EOF) {
        size_t extra = 1;
        while (fgetc(fp) != EOF)
            extra++;
        data_size_error(&h, h.nbytes + extra, err, errlen);
        goto fail;
    }
    fclose(fp);
    swap_elements(data, h.count, lrb_npy_itemsize(h.dtype));
    fill_out(out, &h, data);
    return 0;

fail:
    free(head);
    free(data);
    fclose(fp);
    return -1;
}

int lrb_npy_read(const char *path, lrb_npy *out, char *err, size_t errlen)
{
    return read_file(path, out, 1, 0, err, errlen);
}

int lrb_npy_read_header(const char *path, lrb_npy *out, char *err, size_t errlen)
{
    return read_file(path, out, 0, 0, err, errlen);
}

int lrb_npy_read_float(const char *path, lrb_npy *out, char *err, size_t errlen)
{
    return read_file(path, out, 1, 1, err, errlen);
}

int lrb_npy_read_float_header(const char *path, lrb_npy *out, char *err, size_t errlen)
{
    return read_file(path, out, 0, 1, err, errlen);
}

void lrb_npy_free(lrb_npy *a)
{
    if (a == NULL)
        return;
    free(a->data);
    memset(a, 0, sizeof *a);
}

int lrb_npy_to_f32(const lrb_npy *a, float **out)
{
    int64_t i;
    float *p;
    *out = NULL;
    if (a == NULL || a->data == NULL || (a->dtype != LRB_F4 && a->dtype != LRB_F8) || a->count < 0 ||
        (uint64_t)a->count > SIZE_MAX / sizeof(float))
        return -1;
    p = malloc(a->count ? (size_t)a->count * sizeof(float) : 1);
    if (p == NULL)
        return -1;
    if (a->dtype == LRB_F4) {
        memcpy(p, a->data, (size_t)a->count * sizeof(float));
    } else {
        const double *d = a->data;
        for (i = 0; i < a->count; i++)
            p[i] = (float)d[i];
    }
    *out = p;
    return 0;
}

int lrb_npy_to_f64(const lrb_npy *a, double **out)
{
    int64_t i;
    double *p;
    *out = NULL;
    if (a == NULL || a->data == NULL || (a->dtype != LRB_F4 && a->dtype != LRB_F8) || a->count < 0 ||
        (uint64_t)a->count > SIZE_MAX / sizeof(double))
        return -1;
    p = malloc(a->count ? (size_t)a->count * sizeof(double) : 1);
    if (p == NULL)
        return -1;
    if (a->dtype == LRB_F8) {
        memcpy(p, a->data, (size_t)a->count * sizeof(double));
    } else {
        const float *f = a->data;
        for (i = 0; i < a->count; i++)
            p[i] = (double)f[i];
    }
    *out = p;
    return 0;
}

/* ---- writer ---------------------------------------------------------------------------------------- */

size_t lrb_npy_format_header(int dtype, int ndim, const int64_t *shape, unsigned char *buf, size_t buflen)
{
    char dict[512];
    char sh[200];
    int n, i;
    size_t hlen, padlen, total;
    if (dtype < 0 || dtype >= LRB_NUM_DTYPES || ndim < 0 || ndim > LRB_MAX_NDIM || (ndim > 0 && shape == NULL))
        return 0;
    for (i = 0; i < ndim; i++)
        if (shape[i] < 0)
            return 0;
    shape_repr(ndim, shape, sh, sizeof sh);
    /* numpy 1.24 format._write_array_header: keys sorted, "'key': repr(value), " each, then "}", then
     * spaces so that shape[0] can grow to 21 digits in place, then _wrap_header's alignment padding. */
    n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", dtype_names[dtype], sh);
    if (n < 0 || (size_t)n >= sizeof dict)
        return 0;
    if (ndim > 0) {
        char first[24];
        int fl = snprintf(first, sizeof first, "%" PRId64, shape[0]);
        int pad = NPY_GROWTH_DIGITS - fl;
        for (i = 0; i < pad && (size_t)n + 1 < sizeof dict; i++)
            dict[n++] = ' ';
        dict[n] = '\0';
    }
    hlen = (size_t)n + 1; /* + '\n' */
    padlen = NPY_ALIGN - ((NPY_MAGIC_LEN + 2 + 2 + hlen) % NPY_ALIGN);
    total = 10 + hlen + padlen;
    if (hlen + padlen > 65535 || total > buflen)
        return 0;
    memcpy(buf, npy_magic, NPY_MAGIC_LEN);
    buf[6] = 1;
    buf[7] = 0;
    buf[8] = (unsigned char)((hlen + padlen) & 0xff);
    buf[9] = (unsigned char)((hlen + padlen) >> 8);
    memcpy(buf + 10, dict, (size_t)n);
    memset(buf + 10 + n, ' ', padlen);
    buf[total - 1] = '\n';
    return total;
}

int lrb_npy_write(const char *path, int dtype, int ndim, const int64_t *shape, const void *data, char *err,
                  size_t errlen)
{
    unsigned char head[1024];
    size_t hn, item, done = 0;
    hdr h;
    int i, regular;
    struct stat st;
    FILE *fp;

    if (dtype < 0 || dtype >= LRB_NUM_DTYPES) {
        set_err(err, errlen, "cannot write dtype %d (expected one of <f4, <f8, <i4, <i8, <u2)", dtype);
        return -1;
    }
    if (ndim < 0 || ndim > LRB_MAX_NDIM || (ndim > 0 && shape == NULL)) {
        set_err(err, errlen, "cannot write %d dimensions (expected 0 to %d)", ndim, LRB_MAX_NDIM);
        return -1;
    }
    memset(&h, 0, sizeof h);
    h.dtype = dtype;
    h.ndim = ndim;
    for (i = 0; i < ndim; i++) {
        if (shape[i] < 0) {
            set_err(err, errlen, "cannot write negative dimension %" PRId64 " (axis %d)", shape[i], i);
            return -1;
        }
        h.shape[i] = shape[i];
    }
    if (compute_sizes(&h, err, errlen) != 0)
        return -1;
    if (h.nbytes > 0 && data == NULL) {
        set_err(err, errlen, "no data for a non-empty array");
        return -1;
    }
    hn = lrb_npy_format_header(dtype, ndim, shape, head, sizeof head);
    if (hn == 0) {
        set_err(err, errlen, "cannot format the header");
        return -1;
    }
    fp = fopen(path, "wb");
    if (fp == NULL) {
        set_err(err, errlen, "cannot create: %s", strerror(errno));
        return -1;
    }
    /* after a write error a truncated regular file would read as data: it is removed (a device or a FIFO
     * is not ours to remove) */
    regular = fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode);
    if (fwrite(head, 1, hn, fp) != hn)
        goto io_fail;
    item = lrb_npy_itemsize(dtype);
    if (host_is_little_endian() || item == 1) {
        if (h.nbytes && fwrite(data, 1, h.nbytes, fp) != h.nbytes)
            goto io_fail;
    } else {
        /* Big-endian host: write through a small byte-reversing buffer. */
        unsigned char tmp[4096];
        const unsigned char *src = data;
        while (done < h.nbytes) {
            size_t chunk = h.nbytes - done < sizeof tmp ? h.nbytes - done : sizeof tmp, j, b;
            for (j = 0; j < chunk; j += item)
                for (b = 0; b < item; b++)
                    tmp[j + b] = src[done + j + item - 1 - b];
            if (fwrite(tmp, 1, chunk, fp) != chunk)
                goto io_fail;
            done += chunk;
        }
    }
    if (fclose(fp) != 0) {
        set_err(err, errlen, "write error: %s", strerror(errno));
        if (regular)
            remove(path);
        return -1;
    }
    return 0;

io_fail:
    set_err(err, errlen, "write error: %s", strerror(errno));
    fclose(fp);
    if (regular)
        remove(path);
    return -1;
}

int lrb_npy_write_f32(const char *path, int ndim, const int64_t *shape, const float *data, char *err, size_t errlen)
{
    return lrb_npy_write(path, LRB_F4, ndim, shape, data, err, errlen);
}

int lrb_npy_write_f64(const char *path, int ndim, const int64_t *shape, const double *data, char *err, size_t errlen)
{
    return lrb_npy_write(path, LRB_F8, ndim, shape, data, err, errlen);
}
