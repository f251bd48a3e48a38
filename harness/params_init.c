/*
 * params_init.c — parameters and inputs for benchmark and profile runs (params_init.h). The rule for
 * a parameter follows from its name (LAYERS.md §7.1), so every layer, the wrapper's stacked copies
 * included, is covered by one function.
 */
#include "params_init.h"

#include "lrb_layers.h"
#include "rng.h"

#include <math.h>
#include <string.h>

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* ν from the LRU ring initialisation: r² ∈ [0.81, 0.998), ν = −½ ln r². */
static double ring_nu(double u)
{
    return -0.5 * log(u * (0.998001 - 0.81) + 0.81);
}

/* Fills one parameter tensor of n floats, `rows` × `cols` viewed as its last two axes. */
static void fill_param(const lrb_tensor_spec *s, float *p, uint64_t stream)
{
    int64_t n = lrb_spec_count(s);
    int64_t cols = s->shape[s->ndim - 1];
    int64_t rows = s->ndim >= 2 ? s->shape[s->ndim - 2] : 1;
    const char *name = s->name;
    for (int64_t i = 0; i < n; i++) {
        double u = lrb_rng_u(stream, (uint64_t)i);
        int64_t col = i % cols, row = (i / cols) % rows;
        double v;
        if (ends_with(name, "params_log")) {
            /* rows nu_log, [theta_log,] gamma_log; the same channel draws the same ν in every row */
            double nu = ring_nu(lrb_rng_u(stream ^ 0x5bd1e995u, (uint64_t)(i - row * cols)));
            if (row == 0)
                v = log(nu);
            else if (row == 1 && rows == 3)
                v = log(2.0 * 3.141592653589793 * (0.01 + 0.99 * u));
            else
                v = 0.5 * log(1.0 - exp(-2.0 * nu));
        } else if (ends_with(name, "nu_log")) {
            v = log(ring_nu(u));
        } else if (ends_with(name, "theta_log")) {
            v = log(2.0 * 3.141592653589793 * (0.01 + 0.99 * u));
        } else if (ends_with(name, "gamma_log")) {
            v = 0.0; /* brwkv's initialisation */
        } else if (ends_with(name, "time_decay")) {
            v = -5.0 + 8.0 * pow((double)col / (double)(cols > 1 ? cols - 1 : 1), 0.7);
        } else if (ends_with(name, "time_first")) {
            v = log(0.3) + 0.5 * (double)((col + 1) % 3 - 1);
        } else if (strstr(name, "time_mix")) {
            v = u;
        } else if (strstr(name, "ln") && ends_with(name, ".weight")) {
            v = 1.0 + 0.2 * (u - 0.5);
        } else if (strstr(name, "ln") && ends_with(name, ".bias")) {
            v = 0.2 * (u - 0.5);
        } else if (ends_with(name, "kernel")) {
            /* flax (in, out): fan-in is the first axis */
            v = (2.0 * u - 1.0) / sqrt((double)rows);
        } else if (ends_with(name, "weight") && s->ndim >= 2) {
            v = (2.0 * u - 1.0) / sqrt((double)cols); /* PyTorch (out, in) */
        } else if (ends_with(name, "weight")) {
            v = 1.0 + 0.2 * (u - 0.5); /* layernorm gain */
        } else {
            v = 0.2 * (u - 0.5); /* biases */
        }
        p[i] = (float)v;
    }
}

void lrb_params_init(lrb_call *call, uint64_t seed)
{
    int j = 0;
    for (int i = 0; i < call->n; i++)
        if (call->spec[i].role == LRB_PARAM)
            fill_param(&call->spec[i], call->t[i], seed * 256u + 128u + (uint64_t)j++);
}

int lrb_inputs_init(lrb_call *call, uint64_t seed, const char *(*dist_of)(const void *ctx, const char *input),
                    const void *ctx, char *err, size_t errlen)
{
    int j = 0;
    for (int i = 0; i < call->n; i++) {
        const lrb_tensor_spec *s = &call->spec[i];
        if (s->role != LRB_INPUT)
            continue;
        lrb_dist d;
        if (lrb_dist_parse(dist_of(ctx, s->name), &d, err, errlen))
            return -1;
        if (lrb_dist_fill(&d, lrb_rng_stream(seed, j++), call->t[i], s->ndim, s->shape, lrb_spec_time_axis(s)))
            return -1;
    }
    return 0;
}
