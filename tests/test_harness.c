/*
 * test_harness.c — the `harness` Check suite: the .npy reader and writer, the shared counter RNG and
 * the input distributions, the conformance metrics with guard regions and NaN poisoning, and the
 * complexity model with the seed printout of LAYERS.md §1.8, and the strict integer parser every option
 * and case field goes through.
 *
 * Fixtures live in tests/fixtures/{npy,rng}/ (written by tests/fixtures/gen_harness_fixtures.py with
 * NumPy and golden/lrb_rng.py); their directory comes from the LRB_TEST_FIXTURES environment variable,
 * else the LRB_TEST_FIXTURES macro (set by CMake), else "tests/fixtures" relative to the working
 * directory. Every expected count in the complexity tests is worked out by hand in a comment beside it.
 */
#define _POSIX_C_SOURCE 200809L

#include "complexity.h"
#include "metrics.h"
#include "npy.h"
#include "parse.h"
#include "rng.h"

#include <check.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#ifndef LRB_TEST_FIXTURES
#define LRB_TEST_FIXTURES "tests/fixtures"
#endif

Suite *lrb_suite_harness(void);

/* ---- helpers --------------------------------------------------------------------------------------- */

static const char *fixtures_dir(void)
{
    const char *e = getenv("LRB_TEST_FIXTURES");
    return (e != NULL && *e) ? e : LRB_TEST_FIXTURES;
}

static void fixture_path(const char *rel, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", fixtures_dir(), rel);
}

/* Whole file into a malloc'd buffer (the test fails if it cannot be read). */
static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    unsigned char *buf;
    long n;
    ck_assert_msg(fp != NULL, "cannot open fixture %s (set LRB_TEST_FIXTURES)", path);
    ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
    n = ftell(fp);
    ck_assert_int_ge(n, 0);
    ck_assert_int_eq(fseek(fp, 0, SEEK_SET), 0);
    buf = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    *len = (size_t)n;
    return buf;
}

/* A private temporary directory per test (Check runs each test in its own child). */
static char tmp_dir[256];

static void make_tmp_dir(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/lrb_harness_XXXXXX", (t != NULL && *t) ? t : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(tmp_dir));
}

static void tmp_path(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", tmp_dir, name);
}

static void remove_tmp(const char *name)
{
    char p[512];
    tmp_path(name, p, sizeof p);
    remove(p);
}

/* An in-memory .npy image: preamble (version 1.0, or 2.0 when v2) + header text + '\n' + nbytes zero
 * bytes. Caller frees. */
static unsigned char *build_npy(const char *header, size_t nbytes, int v2, size_t *len)
{
    size_t hl = strlen(header) + 1, pre = v2 ? 12 : 10;
    unsigned char *b = calloc(pre + hl + nbytes + 1, 1);
    ck_assert_ptr_nonnull(b);
    memcpy(b, "\x93NUMPY", 6);
    b[6] = v2 ? 2 : 1;
    b[7] = 0;
    b[8] = (unsigned char)(hl & 0xff);
    b[9] = (unsigned char)((hl >> 8) & 0xff);
    if (v2) {
        b[10] = (unsigned char)((hl >> 16) & 0xff);
        b[11] = (unsigned char)((hl >> 24) & 0xff);
    }
    memcpy(b + pre, header, hl - 1);
    b[pre + hl - 1] = '\n';
    *len = pre + hl + nbytes;
    return b;
}

/* ---- npy ------------------------------------------------------------------------------------------ */

START_TEST(test_npy_roundtrip_f4_3d)
{
    /* Same values as the NumPy fixture f4_3d.npy (0.5*i - 3), so the writer's bytes can be compared. */
    float v[24];
    int64_t shape[3] = {2, 3, 4};
    char path[512], err[256], fx[512];
    lrb_npy a;
    unsigned char *mine, *theirs;
    size_t nm, nt;
    int i;
    for (i = 0; i < 24; i++) {
        float t = (float)i * 0.5f;
        v[i] = t - 3.0f;
    }
    make_tmp_dir();
    tmp_path("f4.npy", path, sizeof path);
    ck_assert_msg(lrb_npy_write_f32(path, 3, shape, v, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(lrb_npy_read(path, &a, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(a.dtype, LRB_F4);
    ck_assert_int_eq(a.ndim, 3);
    ck_assert_int_eq(a.shape[0], 2);
    ck_assert_int_eq(a.shape[1], 3);
    ck_assert_int_eq(a.shape[2], 4);
    ck_assert_int_eq(a.count, 24);
    ck_assert_int_eq(memcmp(a.data, v, sizeof v), 0);
    lrb_npy_free(&a);
    ck_assert_ptr_null(a.data);
    /* Byte-identical to np.save. */
    mine = slurp(path, &nm);
    fixture_path("npy/f4_3d.npy", fx, sizeof fx);
    theirs = slurp(fx, &nt);
    ck_assert_uint_eq(nm, nt);
    ck_assert_int_eq(memcmp(mine, theirs, nm), 0);
    ck_assert_uint_eq(nm, 128 + 96); /* data at offset 128 (TOOLING.md §9.1) */
    free(mine);
    free(theirs);
    remove_tmp("f4.npy");
    rmdir(tmp_dir);
}
END_TEST

START_TEST(test_npy_roundtrip_f8_1d)
{
    double v[7];
    int64_t shape[1] = {7};
    char path[512], err[256], fx[512];
    lrb_npy a;
    unsigned char *mine, *theirs;
    size_t nm, nt;
    int i;
    for (i = 0; i < 7; i++) {
        double t = (double)i * 0.1; /* separate statements: no contraction, like NumPy */
        v[i] = t - 0.25;
    }
    make_tmp_dir();
    tmp_path("f8.npy", path, sizeof path);
    ck_assert_msg(lrb_npy_write_f64(path, 1, shape, v, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(lrb_npy_read(path, &a, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(a.dtype, LRB_F8);
    ck_assert_int_eq(a.ndim, 1);
    ck_assert_int_eq(a.shape[0], 7);
    ck_assert_int_eq(memcmp(a.data, v, sizeof v), 0);
    lrb_npy_free(&a);
    mine = slurp(path, &nm);
    fixture_path("npy/f8_1d.npy", fx, sizeof fx);
    theirs = slurp(fx, &nt);
    ck_assert_uint_eq(nm, nt);
    ck_assert_int_eq(memcmp(mine, theirs, nm), 0);
    free(mine);
    free(theirs);
    remove_tmp("f8.npy");
    rmdir(tmp_dir);
}
END_TEST

START_TEST(test_npy_roundtrip_0d_and_empty)
{
    float s = 3.25f;
    int64_t eshape[3] = {2, 0, 3};
    char path[512], err[256], fx[512];
    lrb_npy a;
    unsigned char *mine, *theirs;
    size_t nm, nt;
    make_tmp_dir();
    /* 0-D: shape (), one element. */
    tmp_path("s.npy", path, sizeof path);
    ck_assert_msg(lrb_npy_write_f32(path, 0, NULL, &s, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(lrb_npy_read(path, &a, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(a.ndim, 0);
    ck_assert_int_eq(a.count, 1);
    ck_assert(((float *)a.data)[0] == 3.25f);
    lrb_npy_free(&a);
    mine = slurp(path, &nm);
    fixture_path("npy/f4_0d.npy", fx, sizeof fx);
    theirs = slurp(fx, &nt);
    ck_assert_uint_eq(nm, nt);
    ck_assert_int_eq(memcmp(mine, theirs, nm), 0);
    free(mine);
    free(theirs);
    remove_tmp("s.npy");
    /* Empty: shape (2, 0, 3), no data bytes, a non-NULL data pointer. */
    tmp_path("e.npy", path, sizeof path);
    ck_assert_msg(lrb_npy_write_f32(path, 3, eshape, NULL, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(lrb_npy_read(path, &a, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(a.ndim, 3);
    ck_assert_int_eq(a.shape[1], 0);
    ck_assert_int_eq(a.count, 0);
    ck_assert_ptr_nonnull(a.data);
    lrb_npy_free(&a);
    mine = slurp(path, &nm);
    fixture_path("npy/f4_empty.npy", fx, sizeof fx);
    theirs = slurp(fx, &nt);
    ck_assert_uint_eq(nm, nt);
    ck_assert_int_eq(memcmp(mine, theirs, nm), 0);
    free(mine);
    free(theirs);
    remove_tmp("e.npy");
    rmdir(tmp_dir);
}
END_TEST

START_TEST(test_npy_read_numpy_files)
{
    char path[512], err[256];
    lrb_npy a;
    float *f = NULL;
    double *d = NULL;
    int i;

    /* f4 3-D: values 0.5*i - 3; to_f64 widens exactly. */
    fixture_path("npy/f4_3d.npy", path, sizeof path);
    ck_assert_msg(lrb_npy_read(path, &a, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(lrb_npy_to_f64(&a, &d), 0);
    for (i = 0; i < 24; i++)
        ck_assert(d[i] == 0.5 * i - 3.0);
    free(d);
    lrb_npy_free(&a);

    /* f8 1-D: to_f32 rounds each value once. */
    fixture_path("npy/f8_1d.npy", path, sizeof path);
    ck_assert_msg(lrb_npy_read(path, &a, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(lrb_npy_to_f32(&a, &f), 0);
    for (i = 0; i < 7; i++) {
        double t = (double)i * 0.1;
        t = t - 0.25;
        ck_assert(f[i] == (float)t);
    }
    free(f);
    lrb_npy_free(&a);

    /* Version 2.0 header (4-byte length) of the same 3-D array. */
    fixture_path("npy/f4_v2.npy", path, sizeof path);
    ck_assert_msg(lrb_npy_read(path, &a, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(a.ndim, 3);
    ck_assert(((float *)a.data)[23] == 8.5f);
    lrb_npy_free(&a);

    /* Integer and bf16 dtypes load, but do not convert to floats. */
    fixture_path("npy/i4_2d.npy", path, sizeof path);
    ck_assert_msg(lrb_npy_read(path, &a, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(a.dtype, LRB_I4);
    ck_assert_int_eq(((int32_t *)a.data)[3], 2147483647);
    ck_assert_int_eq(((int32_t *)a.data)[4], -2147483647 - 1);
    ck_assert_int_eq(lrb_npy_to_f32(&a, &f), -1);
    ck_assert_ptr_null(f);
    ck_assert_int_eq(lrb_npy_to_f64(&a, &d), -1);
    lrb_npy_free(&a);

    fixture_path("npy/i8_1d.npy", path, sizeof path);
    ck_assert_msg(lrb_npy_read(path, &a, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(a.dtype, LRB_I8);
    ck_assert(((int64_t *)a.data)[1] == ((int64_t)1 << 40));
    lrb_npy_free(&a);

    fixture_path("npy/u2_1d.npy", path, sizeof path);
    ck_assert_msg(lrb_npy_read(path, &a, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(a.dtype, LRB_U2);
    ck_assert_uint_eq(((uint16_t *)a.data)[0], 0x3F80);
    ck_assert_uint_eq(((uint16_t *)a.data)[2], 0x7F80);
    lrb_npy_free(&a);

    fixture_path("npy/f4_rank5.npy", path, sizeof path);
    ck_assert_msg(lrb_npy_read(path, &a, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(a.ndim, 5);
    ck_assert_int_eq(a.count, 32);
    ck_assert(((float *)a.data)[31] == 31.0f);
    lrb_npy_free(&a);
}
END_TEST

/* Each malformed fixture and the message it must produce (the caller adds the file name). */
static const struct {
    const char *file;
    const char *want;
} bad_files[] = {
    {"npy/fortran.npy", "fortran_order is True"},
    {"npy/i2.npy", "dtype '<i2' is not supported (expected <f4, <f8, <i4, <i8 or <u2)"},
    {"npy/big_endian.npy", "dtype '>f4' is not supported"},
    {"npy/bad_magic.npy", "bad magic"},
    {"npy/trunc_header.npy", "truncated header: header length is 118 bytes but only 30 follow"},
    {"npy/trunc_data.npy", "truncated data: shape (2, 3, 4) of '<f4' needs 96 bytes, found 92"},
    {"npy/trailing_data.npy", "trailing data: 4 bytes after the 96 bytes of shape (2, 3, 4)"},
    {"npy/neg_shape.npy", "negative dimension -3"},
    {"npy/overflow_dim.npy", "dimension 99999999999999999999 in shape overflows int64"},
    {"npy/overflow_shape.npy", "shape (4294967296, 4294967296, 4) overflows"},
    {"npy/rank6.npy", "array has 6 dimensions (expected at most 5)"},
    {"npy/bad_version.npy", "unsupported .npy version 4.0 (expected 1.0, 2.0 or 3.0)"},
    {"npy/missing_key.npy", "unexpected key 'fortran_ordex'"},
};

START_TEST(test_npy_malformed_files)
{
    char path[512], err[256];
    lrb_npy a;
    unsigned char *buf;
    size_t len;
    fixture_path(bad_files[_i].file, path, sizeof path);
    err[0] = '\0';
    ck_assert_int_eq(lrb_npy_read(path, &a, err, sizeof err), -1);
    ck_assert_ptr_null(a.data);
    ck_assert_msg(strstr(err, bad_files[_i].want) != NULL, "%s: got \"%s\", want \"%s\"", bad_files[_i].file, err,
                  bad_files[_i].want);
    ck_assert_ptr_null(strchr(err, '\n'));
    /* The in-memory parser gives the same verdict and message. */
    buf = slurp(path, &len);
    err[0] = '\0';
    ck_assert_int_eq(lrb_npy_parse(buf, len, &a, err, sizeof err), -1);
    ck_assert_msg(strstr(err, bad_files[_i].want) != NULL, "%s (memory): got \"%s\"", bad_files[_i].file, err);
    free(buf);
}
END_TEST

/* Header variants built in memory: what a strict reader accepts and refuses. */
static const struct {
    const char *header;
    size_t nbytes;
    const char *want; /* NULL: must parse */
} headers[] = {
    {"{'shape': (2,), 'fortran_order': False, 'descr': '<f4'}", 8, NULL},            /* any order, no trailing , */
    {"{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (1, 2)}", 16, NULL}, /* double quotes */
    {"{'descr':'<i4','fortran_order':False,'shape':(3,),}   ", 12, NULL},            /* no spaces, padding */
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776, 0), }", 0, NULL},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (7), }", 28, "is not a tuple (expected (7,))"},
    {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (), }", 4, "key 'descr' appears twice"},
    {"{'descr': '<f4', 'shape': (2,), }", 8, "header lacks key 'fortran_order'"},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } x", 8,
     "after the header dict (expected spaces and '\\n')"},
    {"{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }", 8, "expected True or False for 'fortran_order'"},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 03), }", 24, "leading zero"},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,,), }", 8, "expected a dimension"},
    {"{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", 2, "dtype '|u1' is not supported"},
    {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 8, "structured dtype"},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1), }", 4,
     "array has 7 dimensions (expected at most 5)"},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': [2], }", 8, "'shape' must be a tuple"},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", 8, "unexpected key 'extra'"},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (2L,), }", 8, "unexpected 'L,)"},
    {"", 0, "expected '{' at the start of the header dict"},
    {"{'descr': '<f4\\x', 'fortran_order': False, 'shape': (2,), }", 8, "unsupported character"},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 4, "truncated data"},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 12, "trailing data: 4 bytes"},
};

START_TEST(test_npy_headers)
{
    size_t len;
    unsigned char *b = build_npy(headers[_i].header, headers[_i].nbytes, 0, &len);
    lrb_npy a;
    char err[256];
    int r;
    err[0] = '\0';
    r = lrb_npy_parse(b, len, &a, err, sizeof err);
    if (headers[_i].want == NULL) {
        ck_assert_msg(r == 0, "header %d refused: %s", _i, err);
        lrb_npy_free(&a);
    } else {
        ck_assert_msg(r == -1, "header %d accepted", _i);
        ck_assert_msg(strstr(err, headers[_i].want) != NULL, "header %d: got \"%s\", want \"%s\"", _i, err,
                      headers[_i].want);
    }
    free(b);
    /* Version 2.0 framing gives the same verdict. */
    b = build_npy(headers[_i].header, headers[_i].nbytes, 1, &len);
    r = lrb_npy_parse(b, len, &a, err, sizeof err);
    ck_assert_int_eq(r, headers[_i].want == NULL ? 0 : -1);
    if (r == 0)
        lrb_npy_free(&a);
    free(b);
}
END_TEST

START_TEST(test_npy_prefixes_and_mutations)
{
    /* Every proper prefix of a valid file is refused; deterministic byte mutations never crash (the
     * fuzz target does this at scale; this keeps a cheap version in every ASan test run). */
    char path[512], err[256];
    unsigned char *buf, *m;
    size_t len, k;
    lrb_npy a;
    int i;
    fixture_path("npy/f4_3d.npy", path, sizeof path);
    buf = slurp(path, &len);
    for (k = 0; k < len; k++) {
        m = malloc(k ? k : 1); /* an exact-size copy, so ASan sees any over-read */
        ck_assert_ptr_nonnull(m);
        memcpy(m, buf, k);
        ck_assert_msg(lrb_npy_parse(m, k, &a, err, sizeof err) == -1, "prefix %zu accepted", k);
        free(m);
    }
    ck_assert_int_eq(lrb_npy_parse(buf, len, &a, err, sizeof err), 0);
    lrb_npy_free(&a);
    m = malloc(len);
    ck_assert_ptr_nonnull(m);
    for (i = 0; i < 5000; i++) {
        uint64_t z = lrb_rng_z(99, (uint64_t)i);
        memcpy(m, buf, len);
        m[(z & 0xffff) % 128] = (unsigned char)(z >> 16); /* somewhere in the header */
        m[((z >> 24) & 0xffff) % 128] = (unsigned char)(z >> 40);
        if (lrb_npy_parse(m, len, &a, err, sizeof err) == 0)
            lrb_npy_free(&a);
        else
            ck_assert_msg(err[0] != '\0', "mutation %d refused without a message", i);
    }
    free(m);
    free(buf);
}
END_TEST

START_TEST(test_npy_write_errors)
{
    char err[256];
    int64_t neg[2] = {2, -1};
    float v = 0.0f;
    unsigned char head[256];
    int64_t shape[3] = {2, 3, 4};
    char fx[512];
    unsigned char *theirs;
    size_t nt;
    ck_assert_int_eq(lrb_npy_write_f32("/nonexistent-dir/x.npy", 1, shape, &v, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "cannot create"));
    ck_assert_int_eq(lrb_npy_write_f32("/tmp/never.npy", 2, neg, &v, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "negative dimension"));
    ck_assert_int_eq(lrb_npy_write_f32("/tmp/never.npy", 6, shape, &v, err, sizeof err), -1);
    {
        lrb_npy a;
        ck_assert_int_eq(lrb_npy_read("/nonexistent-dir/x.npy", &a, err, sizeof err), -1);
        ck_assert_ptr_nonnull(strstr(err, "cannot open: "));
        ck_assert_ptr_null(a.data);
    }
    /* The header alone equals the first 128 bytes numpy wrote. */
    ck_assert_uint_eq(lrb_npy_format_header(LRB_F4, 3, shape, head, sizeof head), 128);
    fixture_path("npy/f4_3d.npy", fx, sizeof fx);
    theirs = slurp(fx, &nt);
    ck_assert_int_eq(memcmp(head, theirs, 128), 0);
    free(theirs);
    /* A shape whose header ends exactly on a 64-byte boundary before padding: numpy then pads a whole
     * extra 64 bytes (padlen = 64 - 0), which only the exact growth padding (21 − digits of shape[0])
     * reproduces. np.save writes 192 bytes with header length 182 for (1, 10^8, 10^7, 10^7, 10^7). */
    {
        int64_t edge[5] = {1, 100000000, 10000000, 10000000, 10000000};
        ck_assert_uint_eq(lrb_npy_format_header(LRB_F4, 5, edge, head, sizeof head), 192);
        ck_assert_uint_eq(head[8] | (head[9] << 8), 182);
        ck_assert_uint_eq(head[191], '\n');
        ck_assert_uint_eq(head[190], ' ');
    }
    ck_assert_str_eq(lrb_npy_dtype_name(LRB_U2), "<u2");
    ck_assert_uint_eq(lrb_npy_itemsize(LRB_I8), 8);
    ck_assert_uint_eq(lrb_npy_itemsize(99), 0);
}
END_TEST

/* A write that fails part-way (here: past a file-size limit, as on a full disk) leaves no truncated file
 * that a later read would take for data. */
START_TEST(test_npy_write_fails_midway)
{
    char path[] = "/tmp/lrb_npy_midwayXXXXXX", err[256];
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    static float big[4096];
    const int64_t shape[1] = {4096};
    struct rlimit old, lim;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 1000;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN); /* EFBIG instead of the signal */
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    const int rc = lrb_npy_write_f32(path, 1, shape, big, err, sizeof err);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, old_handler);
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strstr(err, "write error") != NULL, "%s", err);
    ck_assert_msg(access(path, F_OK) != 0, "%s: a half-written file was left", path);
    remove(path);
}
END_TEST

START_TEST(test_npy_read_header)
{
    char fx[512], err[256];
    lrb_npy a;
    fixture_path("npy/f4_3d.npy", fx, sizeof fx);
    ck_assert_int_eq(lrb_npy_read_header(fx, &a, err, sizeof err), 0);
    ck_assert_int_eq(a.dtype, LRB_F4);
    ck_assert_int_eq(a.ndim, 3);
    ck_assert(a.shape[0] == 2 && a.shape[1] == 3 && a.shape[2] == 4 && a.count == 24);
    ck_assert_ptr_null(a.data);
    lrb_npy_free(&a);
    /* the size check still holds: a file cut short is an error without reading its data */
    char cut[] = "/tmp/lrb_npy_cutXXXXXX";
    int fd = mkstemp(cut);
    ck_assert_int_ge(fd, 0);
    size_t n;
    unsigned char *whole = slurp(fx, &n);
    ck_assert_int_eq((int)write(fd, whole, n - 4), (int)(n - 4));
    close(fd);
    free(whole);
    ck_assert_int_eq(lrb_npy_read_header(cut, &a, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "truncated data") != NULL, "%s", err);
    remove(cut);
}
END_TEST

/* The float-only reads (every tensor lrb loads): a dtype other than <f4 or <f8, whether the reader knows it or
 * not, is refused as what a float tensor needs; other mistakes keep the reader's message. NULL: must read. */
static const struct {
    const char *file;
    const char *want;
} float_files[] = {
    {"npy/f4_3d.npy", NULL},
    {"npy/f8_1d.npy", NULL},
    {"npy/i4_2d.npy", "dtype '<i4', expected float32 ('<f4') or float64 ('<f8')"},
    {"npy/u2_1d.npy", "dtype '<u2', expected float32 ('<f4') or float64 ('<f8')"},
    {"npy/i2.npy", "dtype '<i2', expected float32 ('<f4') or float64 ('<f8')"},
    {"npy/big_endian.npy", "dtype '>f4', expected float32 ('<f4') or float64 ('<f8')"},
    {"structured", "structured dtype, expected float32 ('<f4') or float64 ('<f8')"},
    {"npy/fortran.npy", "fortran_order is True"},
    {"npy/trunc_data.npy", "truncated data"},
};

START_TEST(test_npy_read_float)
{
    char path[512], err[256];
    lrb_npy a, whole;
    int fd = -1;
    if (strcmp(float_files[_i].file, "structured") == 0) { /* no fixture: written here */
        size_t len;
        unsigned char *b = build_npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 8, 0, &len);
        snprintf(path, sizeof path, "/tmp/lrb_npy_structXXXXXX");
        fd = mkstemp(path);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq((int)write(fd, b, len), (int)len);
        close(fd);
        free(b);
    } else {
        fixture_path(float_files[_i].file, path, sizeof path);
    }
    for (int header_only = 0; header_only < 2; header_only++) {
        err[0] = '\0';
        const int r = header_only ? lrb_npy_read_float_header(path, &a, err, sizeof err)
                                  : lrb_npy_read_float(path, &a, err, sizeof err);
        if (float_files[_i].want == NULL) {
            ck_assert_msg(r == 0, "%s: %s", float_files[_i].file, err);
            ck_assert_int_eq(lrb_npy_read(path, &whole, err, sizeof err), 0);
            ck_assert_int_eq(a.dtype, whole.dtype);
            ck_assert(a.count == whole.count);
            if (header_only)
                ck_assert_ptr_null(a.data);
            else
                ck_assert_int_eq(memcmp(a.data, whole.data, (size_t)a.count * lrb_npy_itemsize(a.dtype)), 0);
            lrb_npy_free(&whole);
            lrb_npy_free(&a);
        } else {
            ck_assert_int_eq(r, -1);
            ck_assert_ptr_null(a.data);
            ck_assert_msg(strstr(err, float_files[_i].want) != NULL, "%s: got \"%s\", want \"%s\"",
                          float_files[_i].file, err, float_files[_i].want);
        }
    }
    if (fd >= 0)
        remove(path);
}
END_TEST

/* ---- rng ------------------------------------------------------------------------------------------ */

START_TEST(test_rng_known_values)
{
    /* Computed with an independent plain-Python big-integer implementation of the SplitMix64
     * finaliser (z ^= z>>30; z = z*0xBF58476D1CE4E5B9 mod 2^64; z ^= z>>27;
     * z = z*0x94D049BB133111EB mod 2^64; z ^= z>>31). mix64(golden) = 0xE220A8397B1DCDAF is also the
     * well-known first output of SplitMix64 seeded with 0. */
    ck_assert(lrb_rng_mix64(0) == 0);
    ck_assert(lrb_rng_mix64(1) == UINT64_C(0x5692161D100B05E5));
    ck_assert(lrb_rng_mix64(UINT64_C(0x9E3779B97F4A7C15)) == UINT64_C(0xE220A8397B1DCDAF));
    ck_assert(lrb_rng_mix64(UINT64_C(0xFFFFFFFFFFFFFFFF)) == UINT64_C(0xB4D055FCF2CBBD7B));
    ck_assert(lrb_rng_mix64(UINT64_C(0x0123456789ABCDEF)) == UINT64_C(0xB2C058E4EBB5112C));
    /* Element i of stream s: z = mix64(s + (i+1)*golden), u = (z >> 40) / 2^24. */
    ck_assert(lrb_rng_z(0, 0) == UINT64_C(0xE220A8397B1DCDAF));
    ck_assert(lrb_rng_z(0, 1) == UINT64_C(0x6E789E6AA1B965F4));
    ck_assert(lrb_rng_u(0, 0) == 14819496.0 / 16777216.0); /* 0.8833107948303223 */
    ck_assert(lrb_rng_u(0, 1) == 7239838.0 / 16777216.0);
    /* stream 1792 = seed 7 * 256 + input 0 */
    ck_assert(lrb_rng_stream(7, 0) == 1792);
    ck_assert(lrb_rng_z(1792, 0) == UINT64_C(0x7747B9EE5062B087));
    ck_assert(lrb_rng_u(1792, 0) == 7817145.0 / 16777216.0);
    /* wrap-around of s + (i+1)*golden */
    ck_assert(lrb_rng_z(UINT64_C(0xFFFFFFFFFFFFFFFF), 0) == UINT64_C(0xE4D971771B652C20));
    ck_assert(lrb_rng_u(UINT64_C(0xFFFFFFFFFFFFFFFF), 99) == 15128115.0 / 16777216.0);
    ck_assert(lrb_rng_stream(UINT64_C(0x0100000000000000), 3) == 3); /* seed*256 wraps */
}
END_TEST

/* The same table as RNG_CASES in tests/fixtures/gen_harness_fixtures.py. */
static const struct {
    const char *file;
    const char *dist;
    uint64_t seed;
    int input;
    int ndim;
    int64_t shape[4];
    int time_axis;
} rng_cases[] = {
    {"rng/u_m1_1.npy", "u:-1:1", 7, 0, 3, {2, 3, 5}, 1},
    {"rng/n_1.npy", "n:1", 7, 0, 3, {2, 3, 5}, 1},
    {"rng/n_30.npy", "n:30", 123456789, 1, 2, {4, 33}, 0},
    {"rng/int_m3_3.npy", "int:-3:3", 1, 0, 2, {3, 17}, 1},
    {"rng/bern_0p1.npy", "bern:0.1", 42, 2, 1, {64}, 0},
    {"rng/c_0p1.npy", "c:0.1", 0, 0, 1, {5}, 0},
    {"rng/imp.npy", "imp", 3, 0, 3, {2, 4, 3}, 1},
    {"rng/imp_wrapper.npy", "imp", 3, 0, 4, {1, 2, 3, 4}, 3},
    {"rng/u_small.npy", "u:0.9:0.999", (UINT64_C(1) << 55) + 3, 1, 1, {1000}, 0},
};

START_TEST(test_rng_matches_numpy)
{
    char path[512], err[256];
    lrb_npy a;
    lrb_dist d;
    float *mine;
    int k;
    fixture_path(rng_cases[_i].file, path, sizeof path);
    ck_assert_msg(lrb_npy_read(path, &a, err, sizeof err) == 0, "%s: %s", path, err);
    ck_assert_int_eq(a.dtype, LRB_F4);
    ck_assert_int_eq(a.ndim, rng_cases[_i].ndim);
    for (k = 0; k < a.ndim; k++)
        ck_assert_int_eq(a.shape[k], rng_cases[_i].shape[k]);
    ck_assert_msg(lrb_dist_parse(rng_cases[_i].dist, &d, err, sizeof err) == 0, "%s", err);
    mine = malloc((size_t)a.count * sizeof(float));
    ck_assert_ptr_nonnull(mine);
    ck_assert_int_eq(lrb_dist_fill(&d, lrb_rng_stream(rng_cases[_i].seed, rng_cases[_i].input), mine,
                                   rng_cases[_i].ndim, rng_cases[_i].shape, rng_cases[_i].time_axis),
                     0);
    for (k = 0; k < a.count; k++) {
        float theirs = ((float *)a.data)[k];
        ck_assert_msg(memcmp(&mine[k], &theirs, sizeof theirs) == 0, "%s element %d: C %.9g, NumPy %.9g",
                      rng_cases[_i].dist, k, (double)mine[k], (double)theirs);
    }
    free(mine);
    lrb_npy_free(&a);
}
END_TEST

START_TEST(test_rng_uniform_streams)
{
    char path[512], err[256];
    lrb_npy a;
    const char *files[2] = {"rng/u_stream0.npy", "rng/u_stream_max.npy"};
    uint64_t streams[2] = {0, UINT64_C(0xFFFFFFFFFFFFFFFF)};
    int f, i;
    for (f = 0; f < 2; f++) {
        fixture_path(files[f], path, sizeof path);
        ck_assert_msg(lrb_npy_read(path, &a, err, sizeof err) == 0, "%s", err);
        ck_assert_int_eq(a.count, 100);
        for (i = 0; i < 100; i++)
            ck_assert_msg(((double *)a.data)[i] == lrb_rng_u(streams[f], (uint64_t)i), "%s[%d]", files[f], i);
        lrb_npy_free(&a);
    }
}
END_TEST

START_TEST(test_dist_parse)
{
    static const struct {
        const char *spec;
        const char *want; /* NULL: valid */
    } specs[] = {
        {"u:-1:1", NULL},
        {"u:.5:1e1", NULL},
        {"n:1", NULL},
        {"n:0", NULL},
        {"c:-2.5e-3", NULL},
        {"int:-3:3", NULL},
        {"bern:0.999", NULL},
        {"imp", NULL},
        {"x:1", "unknown distribution 'x:1' (expected u:LO:HI, n:S, c:V, int:LO:HI, bern:P or imp)"},
        {"u:1", "expected ':' between fields"},
        {"u:a:b", "LO is not a plain decimal number"},
        {"u:1:0", "expected LO <= HI"},
        {"u:0x1p3:9", "LO is not a plain decimal number"},
        {"n:-1", "S must be >= 0"},
        {"n:inf", "S is not a plain decimal number"},
        {"c:1e39", "out of range"},
        {"int:0.5:2", "LO is not an integer"},
        {"int:0:3000000000", "HI 3000000000 is out of range"},
        {"imp:3", "unknown distribution"},
        {"bern:0.5:1", "unexpected text after the last field"},
        {"", "unknown distribution"},
    };
    size_t k;
    for (k = 0; k < sizeof specs / sizeof specs[0]; k++) {
        lrb_dist d;
        char err[256];
        int r;
        err[0] = '\0';
        r = lrb_dist_parse(specs[k].spec, &d, err, sizeof err);
        if (specs[k].want == NULL) {
            ck_assert_msg(r == 0, "'%s' refused: %s", specs[k].spec, err);
        } else {
            ck_assert_msg(r == -1, "'%s' accepted", specs[k].spec);
            ck_assert_msg(strstr(err, specs[k].want) != NULL, "'%s': got \"%s\"", specs[k].spec, err);
        }
    }
}
END_TEST

START_TEST(test_dist_fill)
{
    lrb_dist d;
    char err[128], txt[64];
    float v[2 * 5 * 3];
    int64_t shape[3] = {2, 5, 3};
    int64_t i;
    double sum = 0.0, sq = 0.0;
    float *big;
    const int64_t n = 200000;
    /* imp on (B, L, W) with the time axis 1: 1 exactly where (i / W) % L == 0. */
    ck_assert_int_eq(lrb_dist_parse("imp", &d, err, sizeof err), 0);
    ck_assert_int_eq(lrb_dist_fill(&d, 0, v, 3, shape, 1), 0);
    for (i = 0; i < 30; i++)
        ck_assert(v[i] == (((i / 3) % 5) == 0 ? 1.0f : 0.0f));
    ck_assert_int_eq(lrb_dist_fill(&d, 0, v, 3, shape, 3), -1); /* imp needs a valid time axis */
    ck_assert_int_eq(lrb_dist_fill(&d, 0, v, 3, shape, -1), -1);
    /* the default, n:1, has mean 0 and variance 1 (Irwin–Hall of 4, rescaled). */
    d = lrb_dist_default();
    lrb_dist_format(&d, txt, sizeof txt);
    ck_assert_str_eq(txt, "n:1");
    big = malloc((size_t)n * sizeof(float));
    ck_assert_ptr_nonnull(big);
    ck_assert_int_eq(lrb_dist_fill(&d, lrb_rng_stream(5, 0), big, 1, &n, -1), 0);
    for (i = 0; i < n; i++) {
        sum += big[i];
        sq += (double)big[i] * big[i];
        ck_assert(fabsf(big[i]) <= 2.0f * 1.7320508f + 1e-6f);
    }
    ck_assert_msg(fabs(sum / n) < 0.01, "mean %g", sum / n);
    ck_assert_msg(fabs(sq / n - 1.0) < 0.02, "variance %g", sq / n);
    free(big);
    /* int:-3:3 hits every value and nothing else; u stays in [LO, HI]. */
    {
        int seen[7] = {0};
        float w[1000];
        int64_t m = 1000;
        ck_assert_int_eq(lrb_dist_parse("int:-3:3", &d, err, sizeof err), 0);
        ck_assert_int_eq(lrb_dist_fill(&d, 11, w, 1, &m, 0), 0);
        for (i = 0; i < m; i++) {
            ck_assert(w[i] == floorf(w[i]) && w[i] >= -3.0f && w[i] <= 3.0f);
            seen[(int)w[i] + 3] = 1;
        }
        for (i = 0; i < 7; i++)
            ck_assert(seen[i]);
        ck_assert_int_eq(lrb_dist_parse("u:-0.5:0.25", &d, err, sizeof err), 0);
        ck_assert_int_eq(lrb_dist_fill(&d, 12, w, 1, &m, 0), 0);
        for (i = 0; i < m; i++)
            ck_assert(w[i] >= -0.5f && w[i] < 0.25f);
        lrb_dist_format(&d, txt, sizeof txt);
        ck_assert_str_eq(txt, "u:-0.5:0.25");
    }
    /* Empty tensors write nothing; element values do not depend on the tensor shape. */
    {
        int64_t e[2] = {3, 0};
        float one;
        ck_assert_int_eq(lrb_dist_fill(&d, 0, NULL, 2, e, 1), 0);
        one = lrb_dist_at(&d, 12, 17, 0);
        ck_assert(one == lrb_dist_at(&d, 12, 17, 5));
    }
}
END_TEST

/* ---- metrics -------------------------------------------------------------------------------------- */

START_TEST(test_metrics_identical)
{
    float y[5] = {1.0f, -2.0f, 0.5f, 0.0f, 3.0f};
    double r[5] = {1.0, -2.0, 0.5, 0.0, 3.0};
    lrb_tol tol = {1e-5, 1e-5, 1e-4};
    lrb_metrics m;
    char line[512];
    lrb_compare(y, r, 5, &tol, &m);
    ck_assert(m.rel_l2 == 0.0);
    ck_assert(m.e_max == 0.0);
    ck_assert(m.max_abs == 0.0);
    ck_assert_int_eq(m.violations, 0);
    ck_assert_int_eq(m.nonfinite, 0);
    ck_assert_int_eq(m.max_ulp, 0);
    ck_assert(m.pass);
    /* rms = sqrt((1 + 4 + 0.25 + 0 + 9) / 5) = sqrt(2.85) */
    ck_assert(fabs(m.rms_ref - sqrt(2.85)) < 1e-15);
    lrb_metrics_describe(&m, "id", 1, NULL, line, sizeof line);
    ck_assert_msg(strstr(line, "id PASS rel_l2 0.000e+00 <= tol 1.000e-05;") == line, "%s", line);
    /* n = 0 passes trivially */
    lrb_compare(y, r, 0, &tol, &m);
    ck_assert(m.pass);
}
END_TEST

START_TEST(test_metrics_scaled)
{
    /* y = 1.5·y*: every error is 0.5·|y*|, so rel_l2 = 0.5 exactly (in exact arithmetic;
     * the float64 computation is within an ulp), nmse = 0.25, e_max = 2/4 = 0.5; the worst element is
     * the last one (|6 − 4| = 2). */
    float y[4] = {1.5f, 3.0f, 4.5f, 6.0f};
    double r[4] = {1.0, 2.0, 3.0, 4.0};
    lrb_tol tol = {0.6, 0.0, 0.0};
    lrb_metrics m;
    lrb_compare(y, r, 4, &tol, &m);
    ck_assert_msg(fabs(m.rel_l2 - 0.5) < 1e-15, "rel_l2 %.17g", m.rel_l2);
    ck_assert(fabs(m.nmse - 0.25) < 1e-15);
    ck_assert(m.e_max == 0.5);
    ck_assert(m.max_abs == 2.0);
    ck_assert_int_eq(m.max_abs_index, 3);
    ck_assert(m.ref_at_max == 4.0 && m.out_at_max == 6.0);
    ck_assert(m.max_rel == 0.5);
    ck_assert(!m.elementwise);
    ck_assert(m.pass); /* 0.5 ≤ 0.6 and no elementwise test */
    tol.rel_l2 = 0.4;
    lrb_compare(y, r, 4, &tol, &m);
    ck_assert(!m.pass);
}
END_TEST

START_TEST(test_metrics_elementwise)
{
    /* y* = [1, 2, 3, 4], y = [1, 2, 3.5, 4]: rms(y*) = sqrt(30/4) = 2.7386..., with atol c = 0.1 and
     * rtol = 0.05 the bound at index 2 is 0.27386 + 0.15 = 0.42386 < 0.5: one violation, ratio 1.1796;
     * rel_l2 = 0.5/sqrt(30) = 0.0912870929. */
    float y[4] = {1.0f, 2.0f, 3.5f, 4.0f};
    double r[4] = {1.0, 2.0, 3.0, 4.0};
    lrb_tol tol = {0.1, 0.1, 0.05};
    lrb_metrics m;
    char line[512];
    int64_t shape[2] = {2, 2};
    double bound = 0.1 * sqrt(7.5) + 0.15;
    lrb_compare(y, r, 4, &tol, &m);
    ck_assert(fabs(m.rel_l2 - 0.5 / sqrt(30.0)) < 1e-15);
    ck_assert(m.elementwise);
    ck_assert_int_eq(m.violations, 1);
    ck_assert_int_eq(m.worst_index, 2);
    ck_assert(fabs(m.worst_bound - bound) < 1e-15);
    ck_assert(fabs(m.worst_ratio - 0.5 / bound) < 1e-12);
    ck_assert(!m.pass); /* rel_l2 passes, the elementwise test does not */
    lrb_metrics_describe(&m, "lru/x", 2, shape, line, sizeof line);
    ck_assert_msg(strstr(line, "lru/x FAIL elementwise violations 1, worst at [1, 0] (flat 2)") == line, "%s", line);
    ck_assert_msg(strstr(line, "ref 3 out 3.5") != NULL, "%s", line);
    ck_assert_msg(strstr(line, "rel_l2 9.129e-02 <= tol 1.000e-01") != NULL, "%s", line);
    ck_assert_msg(strstr(line, "nonfinite 0 (unwritten 0)") != NULL, "%s", line);
    /* A looser tolerance passes. */
    tol.rtol = 0.1;
    lrb_compare(y, r, 4, &tol, &m);
    ck_assert_int_eq(m.violations, 0);
    ck_assert(m.pass);
}
END_TEST

START_TEST(test_metrics_nonfinite)
{
    float y[8];
    double r[8] = {1.0, 2.0, 3.0, NAN, INFINITY, INFINITY, -INFINITY, 4.0};
    lrb_tol tol = {1e-5, 1e-5, 1e-4};
    lrb_metrics m;
    char line[512];
    int i;
    for (i = 0; i < 8; i++)
        y[i] = (float)r[i];
    lrb_poison_nan(y + 1, 1); /* unwritten: NaN where the oracle is finite */
    y[2] = INFINITY;          /* overflow where the oracle is finite */
    y[3] = NAN;               /* NaN where the oracle has NaN: accepted */
    y[4] = INFINITY;          /* same infinity: accepted */
    y[5] = -INFINITY;         /* wrong infinity: counted, not unwritten */
    y[6] = 0.0f;              /* finite where the oracle is infinite: counted */
    lrb_compare(y, r, 8, &tol, &m);
    ck_assert_int_eq(m.nonfinite, 4);
    ck_assert_int_eq(m.unwritten, 1);
    ck_assert_int_eq(m.first_nonfinite_index, 1);
    ck_assert(m.ref_at_nonfinite == 2.0 && isnan(m.out_at_nonfinite));
    ck_assert(m.rel_l2 == 0.0); /* the finite pairs (0 and 7) agree */
    ck_assert(!m.pass);
    lrb_metrics_describe(&m, "c", 1, NULL, line, sizeof line);
    ck_assert_msg(strstr(line, "c FAIL nonfinite 4 (unwritten 1), first at flat index 1: ref 2 out nan") == line, "%s",
                  line);
    /* An output left entirely unwritten. */
    lrb_poison_nan(y, 8);
    lrb_compare(y, r, 8, &tol, &m);
    ck_assert_int_eq(m.unwritten, 7); /* all but the NaN of the oracle */
    ck_assert(!m.pass);
}
END_TEST

START_TEST(test_metrics_zero_and_extreme_reference)
{
    float y[3] = {0.0f, 0.0f, 0.0f};
    double r[3] = {0.0, 0.0, 0.0};
    double tiny[3] = {1e-200, -2e-200, 3e-200};
    lrb_tol tol = {1e-5, 0.0, 0.0};
    lrb_metrics m;
    lrb_compare(y, r, 3, &tol, &m);
    ck_assert(m.rel_l2 == 0.0 && m.pass);
    y[1] = 1e-20f; /* ‖y‖ > 1e-30 against a zero reference */
    lrb_compare(y, r, 3, &tol, &m);
    ck_assert(isinf(m.rel_l2) && !m.pass);
    y[1] = 1e-31f; /* below the 1e-30 floor: treated as zero */
    lrb_compare(y, r, 3, &tol, &m);
    ck_assert(m.rel_l2 == 0.0 && m.pass);
    /* A reference far below float range: y = 0 is off by 100 %, and the scaled sums do not underflow. */
    y[1] = 0.0f;
    lrb_compare(y, tiny, 3, &tol, &m);
    ck_assert_msg(fabs(m.rel_l2 - 1.0) < 1e-15, "rel_l2 %.17g", m.rel_l2);
    /* e_max divides by max(max|y*|, 1e-30) = 1e-30 here (LAYERS.md §6.1): 3e-200/1e-30 = 3e-170. */
    ck_assert(m.e_max > 2.9e-170 && m.e_max < 3.1e-170);
}
END_TEST

START_TEST(test_guards)
{
    float *p = lrb_guarded_alloc(10, 16), *q;
    uint32_t bits;
    int i;
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq((uintptr_t)p % 64, 0);
    ck_assert_int_eq(lrb_guard_check(p), 0);
    for (i = 0; i < 10; i++)
        p[i] = (float)i; /* in bounds: no change */
    ck_assert_int_eq(lrb_guard_check(p), 0);
    p[10] = 1.0f; /* one past the end */
    ck_assert_int_eq(lrb_guard_check(p), 1);
    p[-1] = 1.0f; /* one before the start */
    ck_assert_int_eq(lrb_guard_check(p), 2);
    p[-16] = 0.0f;
    p[25] = 0.0f;
    ck_assert_int_eq(lrb_guard_check(p), 4);
    lrb_guarded_free(p);
    /* guard 5 is rounded up, never down; n = 0 works */
    q = lrb_guarded_alloc(3, 5);
    ck_assert_ptr_nonnull(q);
    q[3 + 4] = 2.0f;
    ck_assert_int_eq(lrb_guard_check(q), 1);
    lrb_guarded_free(q);
    q = lrb_guarded_alloc(0, 1);
    ck_assert_ptr_nonnull(q);
    ck_assert_int_eq(lrb_guard_check(q), 0);
    q[0] = 1.0f;
    ck_assert_int_eq(lrb_guard_check(q), 1);
    lrb_guarded_free(q);
    lrb_guarded_free(NULL);
    ck_assert_ptr_null(lrb_guarded_alloc(-1, 4));
    /* poison */
    q = lrb_guarded_alloc(4, 16);
    lrb_poison_nan(q, 4);
    for (i = 0; i < 4; i++) {
        memcpy(&bits, &q[i], sizeof bits);
        ck_assert_uint_eq(bits, LRB_POISON_BITS);
        ck_assert(isnan(q[i]));
    }
    ck_assert_int_eq(lrb_guard_check(q), 0);
    lrb_guarded_free(q);
}
END_TEST

/* ---- complexity ----------------------------------------------------------------------------------- */

static lrb_cx_result wrapper(const char *rnn)
{
    lrb_cx_shape s;
    lrb_cx_result r;
    lrb_cx_shape_init(&s);
    s.layer = "rnn_wrapper";
    s.B = 1;
    s.C = 64;
    s.F = 64;
    s.L = 160;
    s.rnn = rnn;
    ck_assert_msg(lrb_cx_compute(&s, &r) == 0, "%s", r.error);
    return r;
}

static void assert_line(const lrb_cx_result *r, int i, const char *want)
{
    char line[256];
    lrb_cx_format_node(r, i, line, sizeof line);
    ck_assert_msg(strcmp(line, want) == 0, "node %d:\n got  \"%s\"\n want \"%s\"", i, line, want);
}

static void assert_contains(const lrb_cx_result *r, int i, const char *const *want)
{
    char line[256];
    lrb_cx_format_node(r, i, line, sizeof line);
    for (; *want; want++)
        ck_assert_msg(strstr(line, *want) != NULL, "node %d \"%s\" lacks \"%s\"", i, line, *want);
}

START_TEST(test_cx_seed_lru)
{
    lrb_cx_result r = wrapper("lru");
    char line[256];
    /* LAYERS.md §1.8: 64·16 768 = 1 073 152 parameters; 64·2 652 160 = 169 738 240 dense MACs;
     * §5.2: macs_total = 10 240 · 16 960 = 173 670 400, no transcendentals. */
    ck_assert_int_eq(r.params, 1073152);
    ck_assert_int_eq(r.macs_dense, 169738240);
    ck_assert_int_eq(r.macs_total, 173670400);
    ck_assert_int_eq(r.transcendentals, 0);
    /* state: s (B, F, 2C) = 1·64·128 */
    ck_assert_int_eq(r.state_floats, 8192);
    /* bytes: 4·(1 073 152 params + 2·655 360 in/out + 2·8 192 state) = 9 601 024 */
    ck_assert_int_eq(r.bytes_min, 9601024);
    ck_assert_int_eq(r.n_nodes, 5);
    /* The spec's restated printout, line for line. */
    assert_line(&r, 0, "RNNWrapper                              1.06 M  98.855% Params   169.74 MMac  100.000% MACs");
    assert_line(&r, 1, "  rnn_layers: ModuleList");
    assert_line(&r, 2, "    (0-63): 64 x LRU                   16.58 k   1.545% Params     2.65 MMac    1.562% MACs");
    assert_line(
        &r, 3,
        "      i_dense: Linear(64 \xe2\x86\x92 128, bias)   8.32 k   0.775% Params     1.33 MMac    0.784% MACs");
    assert_line(
        &r, 4,
        "      o_dense: Linear(128 \xe2\x86\x92 64, bias)   8.26 k   0.769% Params     1.32 MMac    0.778% MACs");
    lrb_cx_format_totals(&r, line, sizeof line);
    ck_assert_str_eq(line,
                     "total MACs: 169.74 MMac        total parameters: 1.07 M        trainable parameters: 1,073,152");
    /* Node numbers: 8 320 and 8 256 params; 1 331 200 and 1 320 960 MACs; the layer 16 576 / 2 652 160. */
    ck_assert_int_eq(r.nodes[3].params, 8320);
    ck_assert_int_eq(r.nodes[3].macs_dense, 1331200);
    ck_assert_int_eq(r.nodes[4].params, 8256);
    ck_assert_int_eq(r.nodes[4].macs_dense, 1320960);
    ck_assert_int_eq(r.nodes[2].params, 16576);
    ck_assert_int_eq(r.nodes[2].macs_dense, 2652160);
    ck_assert_int_eq(r.nodes[0].params, 1060864);
}
END_TEST

START_TEST(test_cx_seed_slru_brwkv)
{
    lrb_cx_result r = wrapper("slru");
    char line[256];
    static const char *const s0[] = {"532.48 k", "98.485%", "85.2 MMac", "100.000%", NULL};
    static const char *const s2[] = {"64 x SLRU", "8.32 k", "1.539%", "1.33 MMac", "1.562%", NULL};
    static const char *const s3[] = {
        "i_dense: Linear(64 \xe2\x86\x92 64, bias)", "4.16 k", "0.769%", "665.6 KMac", "0.781%", NULL};
    static const char *const b0[] = {"1.06 M", "99.237%", "170.39 MMac", "100.000%", NULL};
    static const char *const b2[] = {"64 x RWKV", "16.64 k", "1.551%", "2.66 MMac", "1.562%", NULL};
    static const char *const b3[] = {
        "rkv_dense: Linear(64 \xe2\x86\x92 192, bias)", "12.48 k", "1.163%", "2.0 MMac", "1.172%", NULL};
    static const char *const b4[] = {
        "o_dense: Linear(64 \xe2\x86\x92 64, bias)", "4.16 k", "0.388%", "665.6 KMac", "0.391%", NULL};
    /* SLRU: 64·8 448 = 540 672; 64·1 331 200 = 85 196 800; total 10 240 · 8 448 = 86 507 520. */
    ck_assert_int_eq(r.params, 540672);
    ck_assert_int_eq(r.macs_dense, 85196800);
    ck_assert_int_eq(r.macs_total, 86507520);
    ck_assert_int_eq(r.transcendentals, 0);
    assert_contains(&r, 0, s0);
    assert_contains(&r, 2, s2);
    assert_contains(&r, 3, s3);
    assert_contains(&r, 4, s3 + 1);
    lrb_cx_format_totals(&r, line, sizeof line);
    ck_assert_str_eq(line,
                     "total MACs: 85.2 MMac        total parameters: 540.67 k        trainable parameters: 540,672");
    /* RWKV (brwkv): 1 073 152; 170 393 600; 10 240 · 17 088 = 174 981 120; 10 240 · 128 = 1 310 720 exp+σ. */
    r = wrapper("brwkv");
    ck_assert_int_eq(r.params, 1073152);
    ck_assert_int_eq(r.macs_dense, 170393600);
    ck_assert_int_eq(r.macs_total, 174981120);
    ck_assert_int_eq(r.transcendentals, 1310720);
    ck_assert_int_eq(r.state_floats, 8192); /* s, z (B, F, C) each */
    assert_contains(&r, 0, b0);
    assert_contains(&r, 2, b2);
    assert_contains(&r, 3, b3);
    assert_contains(&r, 4, b4);
    lrb_cx_format_totals(&r, line, sizeof line);
    ck_assert_str_eq(line,
                     "total MACs: 170.39 MMac        total parameters: 1.07 M        trainable parameters: 1,073,152");
}
END_TEST

START_TEST(test_cx_format)
{
    char b[64];
    /* §1.8: 1.9968 → "2.0", 665.60 → "665.6", 85.1968 → "85.2" */
    ck_assert_str_eq(lrb_cx_fmt_macs(1996800, b, sizeof b), "2.0 MMac");
    ck_assert_str_eq(lrb_cx_fmt_macs(665600, b, sizeof b), "665.6 KMac");
    ck_assert_str_eq(lrb_cx_fmt_macs(85196800, b, sizeof b), "85.2 MMac");
    ck_assert_str_eq(lrb_cx_fmt_macs(1234567890, b, sizeof b), "1.23 GMac");
    ck_assert_str_eq(lrb_cx_fmt_macs(999, b, sizeof b), "999 Mac");
    ck_assert_str_eq(lrb_cx_fmt_macs(1000, b, sizeof b), "1.0 KMac");
    ck_assert_str_eq(lrb_cx_fmt_params(192, b, sizeof b), "192");
    ck_assert_str_eq(lrb_cx_fmt_params(16576, b, sizeof b), "16.58 k");
    ck_assert_str_eq(lrb_cx_fmt_params(1060864, b, sizeof b), "1.06 M");
    ck_assert_str_eq(lrb_cx_fmt_params(540672, b, sizeof b), "540.67 k");
    ck_assert_str_eq(lrb_cx_fmt_pct(1060864, 1073152, b, sizeof b), "98.855%");
    ck_assert_str_eq(lrb_cx_fmt_pct(1, 64, b, sizeof b), "1.562%"); /* 1.5625 → half-even on exact binary */
    ck_assert_str_eq(lrb_cx_fmt_pct(5, 0, b, sizeof b), "0.000%");
    ck_assert_str_eq(lrb_cx_fmt_thousands(0, b, sizeof b), "0");
    ck_assert_str_eq(lrb_cx_fmt_thousands(999, b, sizeof b), "999");
    ck_assert_str_eq(lrb_cx_fmt_thousands(1000, b, sizeof b), "1,000");
    ck_assert_str_eq(lrb_cx_fmt_thousands(-1234567, b, sizeof b), "-1,234,567");
}
END_TEST

static lrb_cx_shape base_shape(const char *layer)
{
    lrb_cx_shape s;
    lrb_cx_shape_init(&s);
    s.layer = layer;
    s.B = 2;
    s.L = 10; /* rows R = B·L = 20 throughout */
    return s;
}

static lrb_cx_result compute(const lrb_cx_shape *s)
{
    lrb_cx_result r;
    ck_assert_msg(lrb_cx_compute(s, &r) == 0, "%s: %s", s->layer, r.error);
    return r;
}

START_TEST(test_cx_lru_h_ne_u)
{
    lrb_cx_shape s = base_shape("lru");
    lrb_cx_result r;
    s.H = 48;
    s.U = 80;
    /* With biases:
     *   params = 4HU + 5U + H = 4·48·80 + 400 + 48 = 15 360 + 448 = 15 808
     *   dense/token = 4HU + 2U + H = 15 360 + 160 + 48 = 15 568; × 20 rows = 311 360
     *   total/token = 15 568 + 6U = 16 048; × 20 = 320 960
     *   state 2U = 160 per sequence, × B = 320
     *   bytes = 4·(15 808 + 20·(48 + 48) + 2·320) = 4·18 368 = 73 472 */
    r = compute(&s);
    ck_assert_int_eq(r.params, 15808);
    ck_assert_int_eq(r.macs_dense, 311360);
    ck_assert_int_eq(r.macs_total, 320960);
    ck_assert_int_eq(r.transcendentals, 0);
    ck_assert_int_eq(r.state_floats_per_seq, 160);
    ck_assert_int_eq(r.state_floats, 320);
    ck_assert_int_eq(r.bytes_min, 73472);
    ck_assert_int_eq(r.n_nodes, 3);
    ck_assert_str_eq(r.nodes[1].label, "i_dense: Linear(48 \xe2\x86\x92 160, bias)");
    ck_assert_int_eq(r.nodes[1].params, 48 * 160 + 160);
    /* Without biases:
     *   params = 4HU + 3U = 15 360 + 240 = 15 600
     *   dense = 20·15 360 = 307 200; total = 20·(15 360 + 480) = 316 800
     *   bytes = 4·(15 600 + 1 920 + 640) = 4·18 160 = 72 640 */
    s.use_bias = 0;
    r = compute(&s);
    ck_assert_int_eq(r.params, 15600);
    ck_assert_int_eq(r.macs_dense, 307200);
    ck_assert_int_eq(r.macs_total, 316800);
    ck_assert_int_eq(r.bytes_min, 72640);
    ck_assert_str_eq(r.nodes[2].label, "o_dense: Linear(160 \xe2\x86\x92 48)");
    /* slru, same shape, biases: params 2HU + 3U + H = 7 680 + 240 + 48 = 7 968;
     * dense 20·(7 680 + 80 + 48) = 156 160; total + 20·160 = 159 360 */
    s = base_shape("slru");
    s.H = 48;
    s.U = 80;
    r = compute(&s);
    ck_assert_int_eq(r.params, 7968);
    ck_assert_int_eq(r.macs_dense, 156160);
    ck_assert_int_eq(r.macs_total, 159360);
    /* brwkv with eps_den ≠ 0: params 4HU + 5U + H = 15 808; dense 20·(15 360 + 240 + 48) = 312 960;
     * total 20·(15 648 + 8U) = 20·16 288 = 325 760; transcendentals 20·2U = 3 200 */
    s = base_shape("brwkv");
    s.H = 48;
    s.U = 80;
    s.eps_den_nonzero = 1;
    r = compute(&s);
    ck_assert_int_eq(r.params, 15808);
    ck_assert_int_eq(r.macs_dense, 312960);
    ck_assert_int_eq(r.macs_total, 325760);
    ck_assert_int_eq(r.transcendentals, 3200);
}
END_TEST

START_TEST(test_cx_glru)
{
    lrb_cx_shape s = base_shape("glru");
    lrb_cx_result r;
    s.d_in = 5;
    s.d_h = 7;
    s.d_model = 3;
    s.tied = 0;
    s.true_recurrence = 1;
    /* Untied (n = 4), true recurrence:
     *   proj 4·7·5 + 28 = 168; recurrent_proj 4·7·7 = 196; out_proj 7·3 + 3 = 24; params = 388
     *   dense/token = 388 (every parameter is a Linear weight or bias); × 20 = 7 760
     *   total/token = 388 + 3·d_h + n·d_h = 388 + 21 + 28 = 437; × 20 = 8 740
     *   transcendentals/token = 5·d_h = 35; × 20 = 700
     *   state d_h = 7, × B = 14; bytes = 4·(388 + 20·(5 + 3) + 2·14) = 4·576 = 2 304 */
    r = compute(&s);
    ck_assert_int_eq(r.params, 388);
    ck_assert_int_eq(r.macs_dense, 7760);
    ck_assert_int_eq(r.macs_total, 8740);
    ck_assert_int_eq(r.transcendentals, 700);
    ck_assert_int_eq(r.state_floats, 14);
    ck_assert_int_eq(r.bytes_min, 2304);
    ck_assert_int_eq(r.n_nodes, 4);
    ck_assert_str_eq(r.nodes[1].label, "proj: Linear(5 \xe2\x86\x92 28, bias)");
    ck_assert_str_eq(r.nodes[2].label, "recurrent_proj: Linear(7 \xe2\x86\x92 28)");
    ck_assert_str_eq(r.nodes[3].label, "out_proj: Linear(7 \xe2\x86\x92 3, bias)");
    ck_assert_int_eq(r.nodes[2].params, 196);
    /* §3.1 examples, d_in = d_model = d_h = 256: tied 263 168, untied 328 960, recurrent extra 196 608. */
    s.d_in = s.d_h = s.d_model = 256;
    s.tied = 1;
    s.true_recurrence = 0;
    r = compute(&s);
    ck_assert_int_eq(r.params, 263168);
    /* tied: total/token = dense + 4·d_h; transcendentals 4·d_h */
    ck_assert_int_eq(r.macs_total, 20 * (263168 + 4 * 256));
    ck_assert_int_eq(r.transcendentals, 20 * 4 * 256);
    s.tied = 0;
    r = compute(&s);
    ck_assert_int_eq(r.params, 328960);
    s.true_recurrence = 1;
    r = compute(&s);
    ck_assert_int_eq(r.params, 328960 + 4 * 256 * 256);
    s.tied = 1;
    r = compute(&s);
    ck_assert_int_eq(r.params, 263168 + 196608);
}
END_TEST

START_TEST(test_cx_rwkv4)
{
    lrb_cx_shape s = base_shape("rwkv4_block");
    lrb_cx_result r;
    s.C = 8;
    s.ln0 = 1;
    /* Block, C = 8, ln0:
     *   params 13C² + 11C + 2C = 832 + 88 + 16 = 936
     *   dense 20·13C² = 20·832 = 16 640
     *   total 20·(13C² + 47C + 5C) = 20·(832 + 376 + 40) = 20·1 248 = 24 960
     *   transcendentals 20·(6C + 3) = 20·51 = 1 020
     *   state 5C = 40 per sequence, 80 in all; bytes 4·(936 + 20·16 + 2·80) = 4·1 416 = 5 664 */
    r = compute(&s);
    ck_assert_int_eq(r.params, 936);
    ck_assert_int_eq(r.macs_dense, 16640);
    ck_assert_int_eq(r.macs_total, 24960);
    ck_assert_int_eq(r.transcendentals, 1020);
    ck_assert_int_eq(r.state_floats, 80);
    ck_assert_int_eq(r.bytes_min, 5664);
    /* Tree: Block, ln1, ln2, ln0, att (+4 Linears), ffn (+3 Linears) = 13 nodes; the block line shows the
     * LayerNorms' 48 and the Linears' 13C² = 832 (time_* vectors are held directly: 936 − 56 = 880). */
    ck_assert_int_eq(r.n_nodes, 13);
    ck_assert_int_eq(r.nodes[0].params, 880);
    ck_assert_str_eq(r.nodes[3].label, "ln0: LayerNorm(8)");
    ck_assert_str_eq(r.nodes[4].label, "att: RWKV_TimeMix");
    ck_assert_int_eq(r.nodes[4].depth, 1);
    ck_assert_str_eq(r.nodes[9].label, "ffn: RWKV_ChannelMix");
    ck_assert_str_eq(r.nodes[10].label, "key: Linear(8 \xe2\x86\x92 32)");
    ck_assert_int_eq(r.nodes[10].depth, 2);
    /* Without ln0: 13C² + 11C = 920; total 20·(832 + 376) = 24 160; transcendentals 20·50 = 1 000. */
    s.ln0 = 0;
    r = compute(&s);
    ck_assert_int_eq(r.params, 920);
    ck_assert_int_eq(r.macs_total, 24160);
    ck_assert_int_eq(r.transcendentals, 1000);
    /* RWKV-4-Pile-169M block, C = 768: 13·589 824 + 11·768 = 7 676 160 (§2.1). */
    s.C = 768;
    r = compute(&s);
    ck_assert_int_eq(r.params, 7676160);
    /* timemix C = 8: params 4C² + 5C = 296; total 20·(256 + 176) = 8 640; trans 20·40 = 800; state 4C */
    s = base_shape("rwkv4_timemix");
    s.C = 8;
    r = compute(&s);
    ck_assert_int_eq(r.params, 296);
    ck_assert_int_eq(r.macs_dense, 5120);
    ck_assert_int_eq(r.macs_total, 8640);
    ck_assert_int_eq(r.transcendentals, 800);
    ck_assert_int_eq(r.state_floats, 64);
    /* channelmix C = 8: params 9C² + 2C = 592; dense 20·576 = 11 520; total 20·(576 + 104) = 13 600;
     * trans 20·8 = 160 */
    s.layer = "rwkv4_channelmix";
    r = compute(&s);
    ck_assert_int_eq(r.params, 592);
    ck_assert_int_eq(r.macs_dense, 11520);
    ck_assert_int_eq(r.macs_total, 13600);
    ck_assert_int_eq(r.transcendentals, 160);
    /* wkv4 C = 8: params 2C = 16; total 20·15C = 2 400; trans 20·4C = 640; state 3C = 24 (48);
     * bytes 4·(16 + 20·3C + 2·48) = 4·(16 + 480 + 96) = 2 368 */
    s.layer = "wkv4";
    r = compute(&s);
    ck_assert_int_eq(r.params, 16);
    ck_assert_int_eq(r.macs_dense, 0);
    ck_assert_int_eq(r.macs_total, 2400);
    ck_assert_int_eq(r.transcendentals, 640);
    ck_assert_int_eq(r.state_floats, 48);
    ck_assert_int_eq(r.bytes_min, 2368);
}
END_TEST

START_TEST(test_cx_simple_layers)
{
    lrb_cx_shape s = base_shape("scan");
    lrb_cx_result r;
    char line[256];
    /* scan D = 4 complex, constant decay: params 2D = 8 (nu_log, theta_log); total 20·4D = 320;
     * state 2D = 8 (16); bytes 4·(8 + 20·(8 + 8) + 2·16) = 4·360 = 1 440 */
    s.D = 4;
    s.complex = 1;
    r = compute(&s);
    ck_assert_int_eq(r.params, 8);
    ck_assert_int_eq(r.macs_dense, 0);
    ck_assert_int_eq(r.macs_total, 320);
    ck_assert_int_eq(r.bytes_min, 1440);
    /* real, data decay: no parameters; total 20·D = 80; inputs b and a: bytes 4·(20·(4 + 4 + 4) + 2·8) = 1 024 */
    s.complex = 0;
    s.decay_data = 1;
    r = compute(&s);
    ck_assert_int_eq(r.params, 0);
    ck_assert_int_eq(r.macs_total, 80);
    ck_assert_int_eq(r.bytes_min, 1024);
    lrb_cx_format_node(&r, 0, line, sizeof line);
    ck_assert_ptr_nonnull(strstr(line, "Scan(4, real, data decay)"));
    /* linear 3 → 5 with bias: params 20; dense = total = 20·20 = 400; no state */
    s = base_shape("linear");
    s.in = 3;
    s.out = 5;
    r = compute(&s);
    ck_assert_int_eq(r.params, 20);
    ck_assert_int_eq(r.macs_dense, 400);
    ck_assert_int_eq(r.macs_total, 400);
    ck_assert_int_eq(r.state_floats, 0);
    ck_assert_str_eq(r.nodes[0].label, "Linear(3 \xe2\x86\x92 5, bias)");
    /* layernorm C = 8: params 2C = 16; total 20·5C = 800; 20 rsqrt */
    s = base_shape("layernorm");
    s.C = 8;
    r = compute(&s);
    ck_assert_int_eq(r.params, 16);
    ck_assert_int_eq(r.macs_total, 800);
    ck_assert_int_eq(r.transcendentals, 20);
    /* rnn_wrapper with F = 1 prints torch's "(0): LRU"; B = 2 doubles the MACs and the state. */
    s = base_shape("rnn_wrapper");
    s.C = 4;
    s.F = 1;
    s.rnn = "slru";
    r = compute(&s);
    ck_assert_str_eq(r.nodes[2].label, "(0): SLRU");
    /* slru H = U = 4 with biases: params 2·16 + 3·4 + 4 = 48; dense 20·(32 + 8) = 800 */
    ck_assert_int_eq(r.params, 48);
    ck_assert_int_eq(r.macs_dense, 800);
    ck_assert_int_eq(r.state_floats, 8);
}
END_TEST

START_TEST(test_cx_errors)
{
    lrb_cx_shape s = base_shape("nosuch");
    lrb_cx_result r;
    ck_assert_int_eq(lrb_cx_compute(&s, &r), -1);
    ck_assert_ptr_nonnull(strstr(r.error, "unknown layer 'nosuch'"));
    s = base_shape("lru");
    s.H = 4;
    ck_assert_int_eq(lrb_cx_compute(&s, &r), -1);
    ck_assert_str_eq(r.error, "lru: U = 0 (expected >= 1)");
    s.U = 4;
    s.L = 0;
    ck_assert_int_eq(lrb_cx_compute(&s, &r), -1);
    ck_assert_ptr_nonnull(strstr(r.error, "expected B >= 1 and L >= 1"));
    s.L = INT64_C(1) << 40;
    s.B = INT64_C(1) << 40;
    ck_assert_int_eq(lrb_cx_compute(&s, &r), -1);
    ck_assert_ptr_nonnull(strstr(r.error, "overflows"));
    s = base_shape("rnn_wrapper");
    s.C = 4;
    s.F = 2;
    s.rnn = "gru";
    ck_assert_int_eq(lrb_cx_compute(&s, &r), -1);
    ck_assert_ptr_nonnull(strstr(r.error, "rnn = 'gru'"));
}
END_TEST

START_TEST(test_cx_print_tree)
{
    lrb_cx_result r = wrapper("lru");
    FILE *fp = tmpfile();
    char buf[2048];
    size_t n;
    ck_assert_ptr_nonnull(fp);
    lrb_cx_print_tree(fp, &r);
    rewind(fp);
    n = fread(buf, 1, sizeof buf - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    ck_assert_ptr_nonnull(strstr(buf, "RNNWrapper"));
    ck_assert_ptr_nonnull(strstr(buf, "\n  rnn_layers: ModuleList\n"));
    ck_assert_ptr_nonnull(strstr(buf, "trainable parameters: 1,073,152\n"));
    /* 5 node lines + the totals line */
    {
        int lines = 0;
        char *p;
        for (p = buf; *p; p++)
            lines += (*p == '\n');
        ck_assert_int_eq(lines, 6);
    }
}
END_TEST

/* ---- strict integers ------------------------------------------------------------------------------ */

START_TEST(test_parse_int)
{
    static const struct {
        const char *s;
        int64_t lo, hi;
        int ok;
        int64_t v;
    } cases[] = {
        {"0", 0, 10, 1, 0},
        {"7", 1, 10, 1, 7},
        {"10", 1, 10, 1, 10},
        {"11", 1, 10, 0, 0},
        {"0", 1, 10, 0, 0},
        {"-3", -5, 5, 1, -3},
        {"-3", 0, 5, 0, 0},
        {"007", 0, 10, 1, 7},
        {"9223372036854775807", 0, INT64_MAX, 1, INT64_MAX},
        {"9223372036854775808", 0, INT64_MAX, 0, 0},
        {"-9223372036854775808", INT64_MIN, 0, 1, INT64_MIN},
        {"-9223372036854775809", INT64_MIN, 0, 0, 0},
        {"99999999999999999999999", 0, INT64_MAX, 0, 0},
        /* what strtol would take or half-read */
        {"", 0, 10, 0, 0},
        {" 5", 0, 10, 0, 0},
        {"5 ", 0, 10, 0, 0},
        {"+5", 0, 10, 0, 0},
        {"0x10", 0, 100, 0, 0},
        {"5junk", 0, 10, 0, 0},
        {"4k", 0, 10000, 0, 0},
        {"1e3", 0, 10000, 0, 0},
        {"-", -5, 5, 0, 0},
        {"--1", -5, 5, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t v = 42;
        const int rc = lrb_parse_int(cases[i].s, cases[i].lo, cases[i].hi, &v);
        ck_assert_msg((rc == 0) == cases[i].ok, "'%s' in [%lld, %lld]: rc %d", cases[i].s, (long long)cases[i].lo,
                      (long long)cases[i].hi, rc);
        ck_assert_msg(v == (cases[i].ok ? cases[i].v : 42), "'%s': value %lld", cases[i].s, (long long)v);
    }
    ck_assert_int_eq(lrb_parse_int(NULL, 0, 1, &(int64_t){0}), -1);

    uint64_t u = 1;
    ck_assert_int_eq(lrb_parse_u64("18446744073709551615", &u), 0);
    ck_assert(u == UINT64_MAX);
    ck_assert_int_eq(lrb_parse_u64("18446744073709551616", &u), -1);
    ck_assert_int_eq(lrb_parse_u64("-1", &u), -1); /* strtoull wraps it to 2^64 − 1 */
    ck_assert_int_eq(lrb_parse_u64(" 1", &u), -1);
    ck_assert_int_eq(lrb_parse_u64("", &u), -1);
    ck_assert(u == UINT64_MAX);
}
END_TEST

START_TEST(test_parse_int_list)
{
    int64_t v[4] = {0};
    ck_assert_int_eq(lrb_parse_int_list("5", 1, 100, v, 4), 1);
    ck_assert(v[0] == 5);
    ck_assert_int_eq(lrb_parse_int_list("1,20,3", 1, 100, v, 4), 3);
    ck_assert(v[0] == 1 && v[1] == 20 && v[2] == 3);
    ck_assert_int_eq(lrb_parse_int_list("1,2,3,4", 1, 100, v, 4), 4);
    ck_assert(v[3] == 4);
    static const char *const bad[] = {"", ",", "1,", ",1", "1,,2", "1, 2", "1,2,3,4,5", "1,0", "1,101", "1;2", "a"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(lrb_parse_int_list(bad[i], 1, 100, v, 4) == -1, "'%s' accepted", bad[i]);
    ck_assert_int_eq(lrb_parse_int_list(NULL, 1, 100, v, 4), -1);
}
END_TEST

Suite *lrb_suite_harness(void)
{
    Suite *s = suite_create("harness");
    TCase *npy = tcase_create("npy");
    TCase *rng = tcase_create("rng");
    TCase *met = tcase_create("metrics");
    TCase *cx = tcase_create("complexity");
    TCase *parse = tcase_create("parse");

    tcase_add_test(npy, test_npy_roundtrip_f4_3d);
    tcase_add_test(npy, test_npy_roundtrip_f8_1d);
    tcase_add_test(npy, test_npy_roundtrip_0d_and_empty);
    tcase_add_test(npy, test_npy_read_numpy_files);
    tcase_add_loop_test(npy, test_npy_malformed_files, 0, (int)(sizeof bad_files / sizeof bad_files[0]));
    tcase_add_loop_test(npy, test_npy_headers, 0, (int)(sizeof headers / sizeof headers[0]));
    tcase_add_test(npy, test_npy_prefixes_and_mutations);
    tcase_add_test(npy, test_npy_write_errors);
    tcase_add_test(npy, test_npy_write_fails_midway);
    tcase_add_test(npy, test_npy_read_header);
    tcase_add_loop_test(npy, test_npy_read_float, 0, (int)(sizeof float_files / sizeof float_files[0]));
    tcase_set_timeout(npy, 30);
    suite_add_tcase(s, npy);

    tcase_add_test(rng, test_rng_known_values);
    tcase_add_loop_test(rng, test_rng_matches_numpy, 0, (int)(sizeof rng_cases / sizeof rng_cases[0]));
    tcase_add_test(rng, test_rng_uniform_streams);
    tcase_add_test(rng, test_dist_parse);
    tcase_add_test(rng, test_dist_fill);
    tcase_set_timeout(rng, 30);
    suite_add_tcase(s, rng);

    tcase_add_test(met, test_metrics_identical);
    tcase_add_test(met, test_metrics_scaled);
    tcase_add_test(met, test_metrics_elementwise);
    tcase_add_test(met, test_metrics_nonfinite);
    tcase_add_test(met, test_metrics_zero_and_extreme_reference);
    tcase_add_test(met, test_guards);
    suite_add_tcase(s, met);

    tcase_add_test(cx, test_cx_seed_lru);
    tcase_add_test(cx, test_cx_seed_slru_brwkv);
    tcase_add_test(cx, test_cx_format);
    tcase_add_test(cx, test_cx_lru_h_ne_u);
    tcase_add_test(cx, test_cx_glru);
    tcase_add_test(cx, test_cx_rwkv4);
    tcase_add_test(cx, test_cx_simple_layers);
    tcase_add_test(cx, test_cx_errors);
    tcase_add_test(cx, test_cx_print_tree);
    suite_add_tcase(s, cx);

    tcase_add_test(parse, test_parse_int);
    tcase_add_test(parse, test_parse_int_list);
    suite_add_tcase(s, parse);
    return s;
}
