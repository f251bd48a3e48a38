/*
 * params_init.h — plausible parameters for a layer call without user weights: benchmarks and the
 * profile mode fill every parameter from the shared counter RNG with the initialisation law of its
 * layer (LAYERS.md §1.1 ring initialisation for decays, §2.8 for RWKV-4 vectors, PyTorch/flax-style
 * uniform ranges for weights). Timing does not depend on the values, but the decays must be stable and
 * the activations finite so that the first call can be checked against the reference.
 */
#ifndef LRB_PARAMS_INIT_H
#define LRB_PARAMS_INIT_H

#include "lrb_call.h"

/* Fills every PARAM tensor of call from streams derived from seed. */
void lrb_params_init(lrb_call *call, uint64_t seed);
/* Fills every INPUT tensor from the case's dist specs (input j from stream seed·256 + j, as the golden
 * generator does). dist_of(name) returns the spec ("n:1" by default). Returns 0, or -1 with err. */
int lrb_inputs_init(lrb_call *call, uint64_t seed, const char *(*dist_of)(const void *ctx, const char *input),
                    const void *ctx, char *err, size_t errlen);

#endif
