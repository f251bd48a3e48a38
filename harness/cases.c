/*
 * cases.c — parser of the case table golden/cases.txt (golden/FORMAT.md): one case per line,
 * `<name> <layer> tier=N seed=N [regime=W] [state=0|1] [key=value]... [dist.<input>=<dist>]...`.
 */
#define _POSIX_C_SOURCE 200809L
#include "cases.h"
#include "parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef LRB_GOLDEN_DIR
#define LRB_GOLDEN_DIR "golden"
#endif

const char *lrb_golden_dir(void)
{
    const char *e = getenv("LRB_GOLDEN_DIR");
    return e && *e ? e : LRB_GOLDEN_DIR;
}

static int parse_line(char *line, lrb_case *c, char *err, size_t errlen)
{
    char *save = NULL;
    char *name = strtok_r(line, " \t", &save);
    char *layer = strtok_r(NULL, " \t", &save);
    if (!name || !layer) {
        snprintf(err, errlen, "expected '<name> <layer> key=value...'");
        return -1;
    }
    memset(c, 0, sizeof *c);
    if (strlen(name) >= sizeof c->name) {
        snprintf(err, errlen, "case name too long");
        return -1;
    }
    strcpy(c->name, name);
    const lrb_layer *l = lrb_layer_find(layer);
    if (!l) {
        snprintf(err, errlen, "unknown layer '%s'", layer);
        return -1;
    }
    lrb_cfg_defaults(l, &c->cfg);
    int have_tier = 0, have_seed = 0, nkeys = 0;
    const char *keys[64]; /* the keys so far: each at most once (the last of two would win silently) */
    for (char *tok = strtok_r(NULL, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) {
            snprintf(err, errlen, "expected key=value, got '%s'", tok);
            return -1;
        }
        *eq = '\0';
        const char *key = tok, *val = eq + 1;
        for (int k = 0; k < nkeys; k++)
            if (!strcmp(keys[k], key)) {
                snprintf(err, errlen, "%s given twice", key);
                return -1;
            }
        if (nkeys == (int)(sizeof keys / sizeof keys[0])) {
            snprintf(err, errlen, "more than %d keys", nkeys);
            return -1;
        }
        keys[nkeys++] = key;
        if (strcmp(key, "tier") == 0) {
            uint64_t t;
            if (strcmp(val, "bench") == 0) {
                t = LRB_TIER_BENCH;
            } else if (lrb_parse_u64(val, &t) || t < 1 || t > 2) {
                snprintf(err, errlen, "tier=%s: expected 1, 2 or bench", val);
                return -1;
            }
            c->tier = (int)t;
            have_tier = 1;
        } else if (strchr(val, ',') || strcmp(key, "BD") == 0) {
            /* a sweep: checked against the tier once the whole line is read */
            int *n = strcmp(key, "L") == 0 ? &c->n_sweep_L : strcmp(key, "BD") == 0 ? &c->n_sweep_BD : NULL;
            int64_t *dst = n == &c->n_sweep_L ? c->sweep_L : c->sweep_BD;
            if (!n) {
                snprintf(err, errlen, "%s=%s: only L and BD may be lists", key, val);
                return -1;
            }
            *n = lrb_parse_int_list(val, 1, INT64_MAX, dst, LRB_CASE_MAX_SWEEP);
            if (*n < 0) {
                *n = 0;
                snprintf(err, errlen, "%s=%s: expected up to %d positive integers separated by commas", key, val,
                         LRB_CASE_MAX_SWEEP);
                return -1;
            }
        } else if (strcmp(key, "seed") == 0) {
            if (lrb_parse_u64(val, &c->seed)) {
                snprintf(err, errlen, "seed=%s: expected an unsigned integer", val);
                return -1;
            }
            have_seed = 1;
        } else if (strcmp(key, "backends") == 0) {
            if (strlen(val) >= sizeof c->backends) {
                snprintf(err, errlen, "backends=%s: too long", val);
                return -1;
            }
            strcpy(c->backends, val);
        } else if (strcmp(key, "regime") == 0) {
            snprintf(c->regime, sizeof c->regime, "%s", val);
        } else if (strcmp(key, "state") == 0) {
            if (strcmp(val, "0") && strcmp(val, "1")) {
                snprintf(err, errlen, "state=%s: expected 0 or 1", val);
                return -1;
            }
            c->state = val[0] == '1';
        } else if (strncmp(key, "dist.", 5) == 0) {
            if (c->ndists == LRB_CASE_MAX_DISTS || strlen(key + 5) >= sizeof c->dist_input[0] ||
                strlen(val) >= sizeof c->dist_spec[0]) {
                snprintf(err, errlen, "too many or too long dist entries");
                return -1;
            }
            strcpy(c->dist_input[c->ndists], key + 5);
            strcpy(c->dist_spec[c->ndists], val);
            c->ndists++;
        } else if (lrb_cfg_set(&c->cfg, key, val, err, errlen)) {
            return -1;
        }
    }
    if (!have_tier || !have_seed) {
        snprintf(err, errlen, "case %s: tier= and seed= are required", c->name);
        return -1;
    }
    if (c->backends[0] && c->tier != LRB_TIER_BENCH) {
        snprintf(err, errlen, "case %s: backends= is for tier=bench only", c->name);
        return -1;
    }
    if ((c->n_sweep_L || c->n_sweep_BD) && c->tier != LRB_TIER_BENCH) {
        snprintf(err, errlen, "case %s: sweeps (lists, BD=) are for tier=bench only", c->name);
        return -1;
    }
    if (c->n_sweep_BD && strcmp(l->name, "scan") != 0) {
        snprintf(err, errlen, "case %s: BD= (chains of a scan) is for layer scan only", c->name);
        return -1;
    }
    return lrb_cfg_validate(&c->cfg, err, errlen);
}

int lrb_cases_load(const char *path, lrb_case_table *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open (%s)", path, strerror(errno));
        return -1;
    }
    char *line = NULL; /* any length: a long comment is not a second line */
    size_t line_cap = 0;
    int lineno = 0, cap = 0;
    while (getline(&line, &line_cap, f) >= 0) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        line[strcspn(line, "\r\n")] = '\0';
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            continue;
        if (t->n == cap) {
            cap = cap ? 2 * cap : 256;
            lrb_case *nc = realloc(t->cases, (size_t)cap * sizeof *nc);
            if (!nc) {
                snprintf(err, errlen, "%s: out of memory", path);
                goto fail;
            }
            t->cases = nc;
        }
        char msg[512];
        if (parse_line(p, &t->cases[t->n], msg, sizeof msg)) {
            snprintf(err, errlen, "%s:%d: %s", path, lineno, msg);
            goto fail;
        }
        if (lrb_case_find(t, t->cases[t->n].name)) {
            snprintf(err, errlen, "%s:%d: duplicate case name %s", path, lineno, t->cases[t->n].name);
            goto fail;
        }
        t->n++;
    }
    if (ferror(f)) { /* a directory opens, and fails here */
        snprintf(err, errlen, "%s: cannot read (%s)", path, strerror(errno));
        goto fail;
    }
    free(line);
    fclose(f);
    return 0;
fail:
    free(line);
    fclose(f);
    lrb_cases_free(t);
    return -1;
}

void lrb_cases_free(lrb_case_table *t)
{
    free(t->cases);
    t->cases = NULL;
    t->n = 0;
}

const lrb_case *lrb_case_find(const lrb_case_table *t, const char *name)
{
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->cases[i].name, name) == 0)
            return &t->cases[i];
    return NULL;
}

const char *lrb_case_dist(const lrb_case *c, const char *input)
{
    for (int i = 0; i < c->ndists; i++)
        if (strcmp(c->dist_input[i], input) == 0)
            return c->dist_spec[i];
    return "n:1";
}
