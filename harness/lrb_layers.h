/*
 * lrb_layers.h — the layer catalogue as data: for every layer of LAYERS.md, its configuration keys
 * with defaults, the names, roles and shapes of its tensors for a given configuration, and how `lrb run`
 * infers widths from the user's files. The table lives in harness/layers.c; nothing else in lrb
 * hard-codes a layer's tensor names.
 */
#ifndef LRB_LAYERS_H
#define LRB_LAYERS_H

#include "lrb_call.h"

typedef struct lrb_key_spec {
    const char *name;
    double def;
    int is_int;                 /* integer-valued (widths, flags, lengths) */
    double min;                 /* smallest accepted value */
    const char *const *choices; /* enumerated key: NULL-terminated names; the value is the index */
    const char *help;
} lrb_key_spec;

/* `lrb run` infers an unset width key from a tensor's axis (value = extent / div). */
typedef struct lrb_infer_rule {
    const char *key;
    const char *tensor;
    int axis; /* negative counts from the end */
    int div;
    const char *div_if; /* a flag: divide only when it is 1 (a complex scan's planar width); NULL: always */
} lrb_infer_rule;

struct lrb_layer {
    const char *name;
    const char *summary;
    int recurrent; /* has a recurrence: algorithms seq, ul, blelloch, chunked */
    int nkeys;
    lrb_key_spec keys[LRB_MAX_KEYS];
    lrb_infer_rule infer[8]; /* terminated by key == NULL */
    /* Fills out[] with the tensor specs for cfg (spec order: parameters, inputs, outputs, states);
     * returns the count. */
    int (*tensors)(const lrb_cfg *cfg, lrb_tensor_spec *out);
};

extern const lrb_layer *const lrb_layers[];
extern const int lrb_num_layers;

const lrb_layer *lrb_layer_find(const char *name);
int lrb_key_index(const lrb_layer *layer, const char *key);
/* Fills cfg with the layer's defaults. */
void lrb_cfg_defaults(const lrb_layer *layer, lrb_cfg *cfg);
/* Parses and sets "key=value" (numbers; choices by name). Returns 0, or fills err and returns -1. */
int lrb_cfg_set(lrb_cfg *cfg, const char *key, const char *value, char *err, size_t errlen);
/* The same for n "key=value" arguments (--config given n times), in order; a key given twice is an error.
 * set[k] (LRB_MAX_KEYS entries, zeroed here) marks the keys given. Returns 0, or fills err and returns -1. */
int lrb_cfg_set_kvs(lrb_cfg *cfg, const char *const *kvs, int n, int *set, char *err, size_t errlen);
/* The choices of a flag key (0|1): keys[i].choices == lrb_flag_choices */
extern const char *const lrb_flag_choices[];
/* Checks ranges (B ≥ 1, L ≥ 1, widths ≥ 1, flags 0/1). Returns 0, or fills err and returns -1. */
int lrb_cfg_validate(const lrb_cfg *cfg, char *err, size_t errlen);
/* Writes "B=2 L=17 H=48 ..." into buf. */
void lrb_cfg_format(const lrb_cfg *cfg, char *buf, size_t len);
/* Name of an enumerated key's current choice. */
const char *lrb_cfg_choice(const lrb_cfg *cfg, const char *key);

/* Builds the tensor specs of cfg into call (call->cfg = cfg, buffers NULL). */
void lrb_call_init(lrb_call *call, const lrb_cfg *cfg);
/* The element count, or -1 past LRB_MAX_ELEMS (so that a count's bytes always fit in int64). */
#define LRB_MAX_ELEMS ((int64_t)1 << 60)
int64_t lrb_spec_count(const lrb_tensor_spec *s);
/* 1 if the two shapes are the same (rank and every extent), else 0 */
int lrb_shape_equal(int ndim_a, const int64_t *a, int ndim_b, const int64_t *b);
/* The time axis of an input or output: 1 for (B, L, width), 3 for the wrapper's (B, C, F, T). */
int lrb_spec_time_axis(const lrb_tensor_spec *s);

#endif
