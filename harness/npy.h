/*
 * npy.h — strict reader and writer for NumPy's .npy format (TOOLING.md §9.1).
 *
 * lrb reads golden tensors, user weights and user inputs from .npy files, so the reader is the first
 * thing that sees untrusted bytes. It accepts exactly what the golden set and `lrb run` need: version
 * 1.0 (2.0 and 3.0 too, which differ only in a 4-byte header length), C order, little-endian '<f4',
 * '<f8', '<i4', '<i8' and '<u2' (bf16 bit patterns), at most LRB_MAX_NDIM axes, and a data section of
 * exactly prod(shape) * itemsize bytes. Anything else is refused with a one-line message in `err`
 * naming what was expected; callers prefix the file name. No input makes it crash or read out of
 * bounds: tests/fuzz_npy.c runs lrb_npy_parse under ASan/UBSan.
 *
 * The writer produces byte-for-byte what numpy 1.24's np.save writes for a C-contiguous array
 * (version 1.0, keys sorted, growth padding, data at a multiple of 64 bytes).
 */
#ifndef LRB_NPY_H
#define LRB_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "lrb_call.h" /* LRB_MAX_NDIM */

/* Element types the reader accepts, by their .npy descr. */
typedef enum {
    LRB_F4 = 0, /* '<f4' float32 */
    LRB_F8,     /* '<f8' float64 */
    LRB_I4,     /* '<i4' int32 */
    LRB_I8,     /* '<i8' int64 */
    LRB_U2,     /* '<u2' uint16 (bf16 bit patterns) */
    LRB_NUM_DTYPES
} lrb_dtype;

typedef struct lrb_npy {
    int dtype;                   /* an lrb_dtype */
    int ndim;                    /* 0 (scalar) .. LRB_MAX_NDIM */
    int64_t shape[LRB_MAX_NDIM]; /* entries past ndim are 0 */
    int64_t count;               /* prod(shape); 1 for 0-D, 0 for empty arrays */
    void *data;                  /* count elements in host byte order, malloc'd; never NULL after success */
} lrb_npy;

/* Size in bytes of one element (0 for an invalid dtype). */
size_t lrb_npy_itemsize(int dtype);
/* The descr string, e.g. "<f4" ("?" for an invalid dtype). */
const char *lrb_npy_dtype_name(int dtype);

/* Parses a whole .npy image held in memory. On success fills *out (data is a fresh copy; release it
 * with lrb_npy_free) and returns 0. On failure returns -1, leaves *out empty (data NULL) and writes a
 * one-line message into err (when err is non-NULL and errlen > 0). */
int lrb_npy_parse(const unsigned char *buf, size_t len, lrb_npy *out, char *err, size_t errlen);

/* Reads the file at path: the header is parsed before anything is allocated for the data, and the file
 * size must match it exactly. Returns 0, or -1 with a message (without the file name) in err. */
int lrb_npy_read(const char *path, lrb_npy *out, char *err, size_t errlen);

/* The same without the data (out->data is NULL): dtype and shape of a file of any size, read from its
 * header; a regular file whose size disagrees with the header is still an error. */
int lrb_npy_read_header(const char *path, lrb_npy *out, char *err, size_t errlen);

/* lrb_npy_read and lrb_npy_read_header for a tensor of floats (every tensor lrb loads): the same, except that
 * any other dtype, one of the reader's or not, is refused as "dtype '<i4', expected float32 ('<f4') or
 * float64 ('<f8')" rather than with the list of what the reader knows. */
int lrb_npy_read_float(const char *path, lrb_npy *out, char *err, size_t errlen);
int lrb_npy_read_float_header(const char *path, lrb_npy *out, char *err, size_t errlen);

/* Frees out->data and empties *out. Safe on an empty or already freed struct. */
void lrb_npy_free(lrb_npy *a);

/* Converts a '<f4' or '<f8' array to a fresh malloc'd float32 (double → float rounds to nearest) or
 * float64 buffer of a->count elements (never NULL on success; free with free()). Returns 0, or -1 for
 * other dtypes or out of memory (*out is then NULL). */
int lrb_npy_to_f32(const lrb_npy *a, float **out);
int lrb_npy_to_f64(const lrb_npy *a, double **out);

/* Writes a C-order array as a version 1.0 .npy file. ndim is 0 .. LRB_MAX_NDIM; shape entries ≥ 0;
 * data holds prod(shape) elements (may be NULL when that is 0). Returns 0, or -1 with a message. */
int lrb_npy_write(const char *path, int dtype, int ndim, const int64_t *shape, const void *data, char *err,
                  size_t errlen);
int lrb_npy_write_f32(const char *path, int ndim, const int64_t *shape, const float *data, char *err, size_t errlen);
int lrb_npy_write_f64(const char *path, int ndim, const int64_t *shape, const double *data, char *err, size_t errlen);

/* The .npy header (magic through the final '\n') that lrb_npy_write emits for this dtype and shape, into
 * buf; returns its length, or 0 if it does not fit or the arguments are invalid. */
size_t lrb_npy_format_header(int dtype, int ndim, const int64_t *shape, unsigned char *buf, size_t buflen);

#endif
