/*
 * complexity_cli.h — `lrb complexity`: the complexity model (complexity.h) for a layer configuration
 * given as CLI keys, per sub-module like the seed printout, and across a list of sequence lengths.
 */
#ifndef LRB_COMPLEXITY_CLI_H
#define LRB_COMPLEXITY_CLI_H

#include "complexity.h"
#include "lrb_call.h"

/* Fills a complexity shape from a layer configuration. */
void lrb_cx_shape_from_cfg(const lrb_cfg *cfg, lrb_cx_shape *s);
/* The command; returns the exit status. */
int lrb_cmd_complexity(int argc, char **argv);

#endif
