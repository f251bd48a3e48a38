/*
 * lrb_call.h — the one calling convention shared by every layer variant.
 *
 * A layer call is a configuration (named numeric keys such as B, L, U, use_bias) plus a set of named
 * float32 tensors whose names and shapes are those of LAYERS.md §7.1 (parameters), the layer's input
 * names (x; scan: b, a; wkv4: k, v), its output name (y; scan: h; wkv4: wkv) and its state names
 * (catalogue of LAYERS.md). Every variant of every backend receives an lrb_call and writes the output
 * and the final state; the registry, the CLI, the tests and the benchmarks only ever see this struct.
 *
 * Layer-specific reference code keeps its own typed parameter structs; a small adapter per layer maps
 * an lrb_call onto them (see reference/lrb_ref.h).
 */
#ifndef LRB_CALL_H
#define LRB_CALL_H

#include <stddef.h>
#include <stdint.h>

#define LRB_MAX_NDIM 5
#define LRB_MAX_TENSORS 40
#define LRB_MAX_KEYS 12
#define LRB_NAME_MAX 64

typedef enum { LRB_PARAM = 0, LRB_INPUT, LRB_OUTPUT, LRB_STATE } lrb_role;

/* How a state tensor is compared: plainly, or as the (aa, bb, pp) log-space triple of RWKV-4, which
 * is not unique (LAYERS.md §2.4) and is compared through aa·e^pp and bb·e^pp. */
typedef enum { LRB_STATE_PLAIN = 0, LRB_STATE_WKV_AA, LRB_STATE_WKV_BB, LRB_STATE_WKV_PP } lrb_state_kind;

typedef struct lrb_tensor_spec {
    char name[LRB_NAME_MAX];
    lrb_role role;
    int ndim;
    int64_t shape[LRB_MAX_NDIM];
    /* rnn_wrapper parameters: held stacked with a leading F axis, stored as F files
     * `rnn_layers.{f}.<name>.npy` each without that axis. */
    int per_f;
    /* STATE only: the value of the empty state (0, or -1e38 for RWKV-4's pp). */
    float empty;
    lrb_state_kind state_kind;
} lrb_tensor_spec;

typedef struct lrb_layer lrb_layer; /* harness/lrb_layers.h */

/* A configuration: the values of the layer's keys, in the order of its key table. Enumerated keys
 * (e.g. rnn = lru|slru|brwkv) hold the index of the choice. */
typedef struct lrb_cfg {
    const lrb_layer *layer;
    double v[LRB_MAX_KEYS];
} lrb_cfg;

/* Value of key `key` (aborts with a message if the layer has no such key: a programming error). */
double lrb_cfg_get(const lrb_cfg *cfg, const char *key);
int64_t lrb_cfg_int(const lrb_cfg *cfg, const char *key);

typedef struct lrb_call {
    const lrb_cfg *cfg;
    int n; /* number of tensors, in spec order */
    lrb_tensor_spec spec[LRB_MAX_TENSORS];
    float *t[LRB_MAX_TENSORS];              /* PARAM, INPUT: read; OUTPUT: written; STATE: final state written */
    const float *state_in[LRB_MAX_TENSORS]; /* STATE: initial state, or NULL for the empty state */
    int has_state_in;                       /* 1 if every STATE entry has state_in set, 0 if none has */
} lrb_call;

/* The buffer of the first tensor called `name` (parameter, input or output; for a state whose name no
 * other tensor has, its final-state buffer), or NULL if the call has no such tensor (e.g. a bias with
 * use_bias = 0). A state can share its name with the output (scan: h): use lrb_call_state_out. */
float *lrb_call_get(const lrb_call *call, const char *name);
/* The initial state `name`, or NULL when the call starts from the empty state. */
const float *lrb_call_state_in(const lrb_call *call, const char *name);
/* The final-state buffer of state `name`, or NULL. */
float *lrb_call_state_out(const lrb_call *call, const char *name);
/* Index of tensor `name` in the spec list, or -1. */
int lrb_call_find(const lrb_call *call, const char *name);

/* Algorithms of a recurrence (DESIGN.md §2). LRB_LOGSTEP is the in-register log-step scan along L of the
 * simd backend (chunks of one SIMD width scanned by Hillis–Steele steps, carried between chunks); the
 * reference does not offer it. LRB_DIRECT is used by layers without a recurrence. */
typedef enum { LRB_SEQ = 0, LRB_UL, LRB_BLELLOCH, LRB_CHUNKED, LRB_LOGSTEP, LRB_DIRECT, LRB_NUM_ALGOS } lrb_algo;
const char *lrb_algo_name(lrb_algo a);
/* 1 for the algorithms of a recurrence (everything but LRB_DIRECT); whether a backend offers one is
 * for its scan or WKV-4 kernel to say (LRB_EINVAL). */
int lrb_algo_is_recurrent(lrb_algo a);

/* Result of a variant: 0 on success, LRB_ENOMEM if scratch memory could not be obtained, LRB_EINVAL if
 * the configuration is outside what the variant supports (the registry's supports() should prevent it),
 * LRB_EDEVICE if a GPU call failed (the CUDA backend printed which). */
#define LRB_OK 0
#define LRB_ENOMEM 1
#define LRB_EINVAL 2
#define LRB_EDEVICE 3

typedef int (*lrb_variant_fn)(const lrb_call *call, lrb_algo algo);

#endif
