/*
 * bundle.h — a layer call with its memory: allocates every tensor of a configuration (outputs and
 * final states inside NaN-poisoned, guarded buffers), loads parameters, inputs and states from a
 * directory of .npy files (golden cases and `lrb run`), runs a variant and compares its output and
 * final state against float64 oracle tensors.
 */
#ifndef LRB_BUNDLE_H
#define LRB_BUNDLE_H

#include "lrb_call.h"
#include "metrics.h"
#include "registry.h"

typedef struct lrb_bundle {
    lrb_cfg cfg;
    lrb_call call;
    float *state_in[LRB_MAX_TENSORS]; /* owned initial states (NULL when empty) */
    double *ref[LRB_MAX_TENSORS];     /* oracle output / final state, when loaded */
} lrb_bundle;

/* Allocates all tensors of cfg (parameters and inputs zeroed, outputs and states poisoned). */
int lrb_bundle_alloc(lrb_bundle *b, const lrb_cfg *cfg, char *err, size_t errlen);
void lrb_bundle_free(lrb_bundle *b);

/* Loads every PARAM and INPUT tensor from `dir/<name>.npy` (rnn_wrapper parameters from
 * `dir/rnn_layers.{f}.<inner>.npy`). `which` selects roles: bit 1 << LRB_PARAM, 1 << LRB_INPUT.
 * Shapes must match exactly; float32 and float64 files are accepted. Error: "FILE: what". */
int lrb_bundle_load(lrb_bundle *b, const char *dir, unsigned which, char *err, size_t errlen);
/* Loads tensor `name` (a PARAM or INPUT) from the file `path`, with its shape checked. */
int lrb_bundle_load_tensor(lrb_bundle *b, const char *name, const char *path, char *err, size_t errlen);
/* Loads input `name` of shape (B, L, width) from a file of any shape (..., width) that holds B·L rows: the
 * rows view of linear and layernorm, whose rows are independent. */
int lrb_bundle_load_rows(lrb_bundle *b, const char *name, const char *path, char *err, size_t errlen);
/* Loads initial states from `dir/<prefix><state>.npy` (all states must be present). */
int lrb_bundle_load_state_in(lrb_bundle *b, const char *dir, const char *prefix, char *err, size_t errlen);
/* Loads the oracle output `dir/<output>.npy` and final states `dir/state_out.<state>.npy`. */
int lrb_bundle_load_ref(lrb_bundle *b, const char *dir, char *err, size_t errlen);
/* Writes the output to `path` and, if state_dir is not NULL, the final states to `state_dir/<state>.npy`:
 * all of them, or (after an error in writing) none, each file left as it was. */
int lrb_bundle_save(const lrb_bundle *b, const char *out_path, const char *state_dir, char *err, size_t errlen);

/* Poisons outputs and states, runs v, then checks guards. Returns the variant's status, or -1 if a
 * guard region was overwritten (err says which tensor). */
int lrb_bundle_run(lrb_bundle *b, const lrb_variant *v, char *err, size_t errlen);

/* Comparison of one output or final-state tensor with the oracle. */
typedef struct lrb_tensor_result {
    char tensor[LRB_NAME_MAX];
    int spec_index; /* the tensor's index in the call's spec list */
    lrb_metrics m;
    int guard_damage;
} lrb_tensor_result;

/* Compares every output and final state with the oracle under tolerance tol_rel_l2 (elementwise:
 * |y − y*| ≤ 10·tol·rms(y*) + 10·tol·|y*|). Returns the number of tensors written to res. RWKV-4
 * (aa, bb, pp) states are compared as aa·e^(pp − pp*) and bb·e^(pp − pp*) against aa*, bb*. */
int lrb_bundle_compare(const lrb_bundle *b, double tol_rel_l2, lrb_tensor_result *res);

#endif
