/*
 * ref_scan_layers.c — the reference entry points of the layers `scan` and `wkv4` (reference/lrb_ref.h):
 * each maps an lrb_call (names and keys of golden/FORMAT.md) onto the typed functions of scan.h and
 * wkv4.h. The per-call preprocessing of the parameters happens here, once per call and channel in
 * float32: scan ν = expf(nu_log) (nu_log = −inf gives ν = 0, λ = 1) and θ = expf(theta_log) (decision
 * 6); wkv4 w = −expf(time_decay) (decision 7).
 */
#include "lrb_ref.h"

#include "scan.h"
#include "wkv4.h"
#include "lrb_math.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int lrb_scan_run(const lrb_call *c, lrb_algo algo, const lrb_ops *ops)
{
    if (!lrb_algo_is_recurrent(algo))
        return LRB_EINVAL;
    const lrb_cfg *cfg = c->cfg;
    const int64_t D = lrb_cfg_int(cfg, "D");
    const int cplx = lrb_cfg_int(cfg, "complex") != 0;
    const int data = lrb_cfg_int(cfg, "decay") != 0; /* choice index: 0 = const, 1 = data */

    lrb_scan_args s;
    memset(&s, 0, sizeof s);
    s.B = lrb_cfg_int(cfg, "B");
    s.L = lrb_cfg_int(cfg, "L");
    s.D = D;
    s.ld = cplx ? 2 * D : D;
    s.im_off = cplx ? D : 0;
    s.chunk = lrb_cfg_int(cfg, "chunk");
    /* the output and the state are both named h: lrb_call_get finds the output, the state
     * accessors the state */
    s.b = lrb_call_get(c, "b");
    s.h = lrb_call_get(c, "h");
    if (!s.b || !s.h)
        return LRB_EINVAL;
    s.h0 = lrb_call_state_in(c, "h");
    s.h_last = lrb_call_state_out(c, "h");

    float *par = NULL;
    if (data) {
        s.a = lrb_call_get(c, "a");
        if (!s.a)
            return LRB_EINVAL;
    } else {
        const float *nu_log = lrb_call_get(c, "nu_log");
        const float *theta_log = cplx ? lrb_call_get(c, "theta_log") : NULL;
        if (!nu_log || (cplx && !theta_log))
            return LRB_EINVAL;
        par = malloc((size_t)D * (cplx ? 2 : 1) * sizeof *par);
        if (!par)
            return LRB_ENOMEM;
        for (int64_t d = 0; d < D; d++) {
            par[d] = lrb_expf(nu_log[d]);
            if (cplx)
                par[D + d] = lrb_expf(theta_log[d]);
        }
        s.nu = par;
        s.theta = cplx ? par + D : NULL;
    }
    const int rc = cplx ? ops->scan_complex(&s, algo) : ops->scan_real(&s, algo);
    free(par);
    return rc;
}

int lrb_wkv4_run(const lrb_call *c, lrb_algo algo, const lrb_ops *ops)
{
    if (!lrb_algo_is_recurrent(algo))
        return LRB_EINVAL;
    const lrb_cfg *cfg = c->cfg;
    lrb_wkv4_args a;
    memset(&a, 0, sizeof a);
    a.B = lrb_cfg_int(cfg, "B");
    a.L = lrb_cfg_int(cfg, "L");
    a.C = lrb_cfg_int(cfg, "C");
    a.chunk = lrb_cfg_int(cfg, "chunk");
    const float *time_decay = lrb_call_get(c, "time_decay");
    a.u = lrb_call_get(c, "time_first");
    a.k = lrb_call_get(c, "k");
    a.v = lrb_call_get(c, "v");
    a.wkv = lrb_call_get(c, "wkv");
    if (!time_decay || !a.u || !a.k || !a.v || !a.wkv)
        return LRB_EINVAL;
    a.aa = lrb_call_state_out(c, "aa");
    a.bb = lrb_call_state_out(c, "bb");
    a.pp = lrb_call_state_out(c, "pp");
    a.aa0 = lrb_call_state_in(c, "aa");
    a.bb0 = lrb_call_state_in(c, "bb");
    a.pp0 = lrb_call_state_in(c, "pp");

    float *w = malloc((size_t)a.C * sizeof *w);
    if (!w)
        return LRB_ENOMEM;
    for (int64_t i = 0; i < a.C; i++)
        w[i] = -lrb_expf(time_decay[i]);
    a.w = w;
    const int rc = ops->wkv4(&a, algo);
    free(w);
    return rc;
}

int lrb_ref_scan(const lrb_call *c, lrb_algo algo)
{
    return lrb_scan_run(c, algo, &lrb_ref_ops);
}

int lrb_ref_wkv4(const lrb_call *c, lrb_algo algo)
{
    return lrb_wkv4_run(c, algo, &lrb_ref_ops);
}
