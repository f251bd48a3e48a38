/*
 * tolerance.h — the float32 tolerances of LAYERS.md §6.3 (and TOOLING.md §10 where §6.3 has no row),
 * chosen from the configuration and from the case's actual parameters and inputs (smallest decay
 * rate, gate bias magnitude, RWKV-4 nominal or stress range), with a one-line reason that reports print.
 */
#ifndef LRB_TOLERANCE_H
#define LRB_TOLERANCE_H

#include "lrb_call.h"

typedef struct lrb_tolerance {
    double rel_l2;
    char basis[96];
} lrb_tolerance;

/* call must hold the case's parameters and inputs. */
lrb_tolerance lrb_tolerance_for(const lrb_call *call);

#endif
