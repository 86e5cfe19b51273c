/*
** scn_load.c - scenario semantics: from libcyaml's raw structs to a
** validated mq_scenario (see scn_load.h for the pipeline).
**
** Every check here that can fail knows the YAML path of the value it is
** looking at ("producers[1].send_timeout") and asks the pre-pass's node
** index for that path's line:col, so semantic errors (units, ranges, unknown
** references, profile names, ordering) point at the offending scalar.
**
** Rules decided here (documented in docs/SCENARIO.md):
**   - defaults come from the group's client profile (models/mq_profile.c);
**     without `profile:` rabbitmq uses rabbitmq-java and rocketmq rocketmq-4;
**     each key the group sets overrides the profile's value;
**   - `queue:` (groups, backlog, scheduled) and `broker:` (queues) may be
**     omitted only when the scenario has exactly one queue / broker;
**   - producer and consumer group names share one namespace;
**   - producers[].rate is read from the index, not libcyaml (it is a number
**     or a {steps, period} mapping), see scn_schema.h.
** Name lookups use sorted tables (O(n log n) build, O(log n) lookup) so a
** file with tens of thousands of queues cannot turn the checks quadratic.
*/
#include "io/scn_budget.h"
#include "io/scn_load.h"
#include "models/mq_estimate.h"

#include "io/change/scn_change.h"
#include "io/scn_schema.h"
#include "io/scn_yaml.h"
#include "io/units.h"
#include "models/mq_budget.h"
#include "models/mq_profile.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DAY 86400.0
#define HOUR 3600.0

/* ------------------------------------------------------------------ */
/* name tables                                                         */

typedef struct nent {
    const char *name;
    int index;
    bool consumer;   /* group table only */
    const char *path;/* where the name was defined (borrowed, index-owned) */
} nent;

typedef struct ntab {
    nent *v;
    size_t n;
} ntab;

static int nent_cmp(const void *a, const void *b)
{
    const nent *x = a, *y = b;
    int r = strcmp(x->name, y->name);
    if (r) return r;
    /* same name: file order, so the duplicate reported is the later one */
    if (x->consumer != y->consumer) return x->consumer ? 1 : -1;
    return (x->index > y->index) - (x->index < y->index);
}

static const nent *ntab_find(const ntab *t, const char *name)
{
    if (!t->n) return NULL;
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = strcmp(t->v[mid].name, name);
        if (r == 0) return &t->v[mid];
        if (r < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* context and error helpers                                           */

typedef struct ctx {
    const char *file;
    const scn_index *idx;
    sim_err *err;
    mq_scenario *s;
    ntab brokers, queues, groups;
} ctx;

static const scn_node *find_node(const ctx *c, const char *path)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (;;) {
        const scn_node *nd = scn_index_get(c->idx, buf);
        if (nd || !*buf) return nd;
        /* fall back to the nearest enclosing node */
        char *dot = strrchr(buf, '.'), *br = strrchr(buf, '[');
        char *cut = dot > br ? dot : br;
        if (!cut) cut = buf;
        *cut = '\0';
    }
}

static mq_loc loc_of(const ctx *c, const char *path)
{
    const scn_node *nd = find_node(c, path);
    return nd ? (mq_loc){nd->line, nd->col} : (mq_loc){0, 0};
}

/* Report at path's value (scalars) or its key (collections), prefixed with
** the path so the message names what it is about. */
__attribute__((format(printf, 3, 4)))
static int fail(ctx *c, const char *path, const char *fmt, ...)
{
    const scn_node *nd = find_node(c, path);
    int line = 1, col = 1;
    if (nd) {
        line = nd->kind == SCN_SCALAR ? nd->line : nd->kline;
        col = nd->kind == SCN_SCALAR ? nd->col : nd->kcol;
    }
    char msg[SIM_ERR_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (*path)
        return sim_err_at(c->err, c->file, line, col, "%s: %s", path, msg);
    return sim_err_at(c->err, c->file, line, col, "%s", msg);
}

/* Out of memory ends the process (sim_err.h); typed int so that loaders can
** `return oom(c)` where they return an error. */
static int oom(ctx *c)
{
    (void)c;
    sim_oom(__FILE__, __LINE__, "out of memory loading the scenario");
}

static const char *join(char *buf, size_t len, const char *base, const char *key)
{
    int n = snprintf(buf, len, "%s%s%s", base, *base ? "." : "", key);
    if (n < 0) buf[0] = '\0'; /* truncation only shortens a message's path */
    return buf;
}

static char *dup_str(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* ------------------------------------------------------------------ */
/* typed getters: absent -> default; present -> parsed and range-checked */

static const char *fmt_dur(double s, char *buf, size_t len)
{
    units_format_duration(s, buf, len);
    return buf;
}

/* Duration at base.key in [lo, hi]; lo_open makes the lower bound strict. */
static int get_dur(ctx *c, const char *base, const char *key, const char *text,
                   double lo, bool lo_open, double hi, double dflt, double *out)
{
    char path[512];
    join(path, sizeof path, base, key);
    if (!text) {
        *out = dflt;
        return 0;
    }
    sim_err e;
    double v;
    if (units_duration(text, &v, &e) < 0) return fail(c, path, "%s", e.msg);
    if (v < lo || (lo_open && v <= lo) || v > hi) {
        char a[32], b[32];
        return fail(c, path, "%s is out of range; expected %s %s and at most %s",
                    text, lo_open ? ">" : ">=", fmt_dur(lo, a, sizeof a),
                    fmt_dur(hi, b, sizeof b));
    }
    *out = v;
    return 0;
}

/* Plain number at base.key in [lo, hi] (lo_open: strictly above lo). */
static int get_num(ctx *c, const char *base, const char *key, const char *text,
                   double lo, bool lo_open, double hi, double dflt, double *out)
{
    char path[512];
    join(path, sizeof path, base, key);
    if (!text) {
        *out = dflt;
        return 0;
    }
    sim_err e;
    double v;
    if (units_number(text, &v, &e) < 0) return fail(c, path, "%s", e.msg);
    if (v < lo || (lo_open && v <= lo) || v > hi)
        return fail(c, path, "%s is out of range; expected a number %s %g and "
                    "at most %g", text, lo_open ? ">" : ">=", lo, hi);
    *out = v;
    return 0;
}

static int get_int(ctx *c, const char *base, const char *key, const int *v,
                   int lo, int hi, int dflt, int *out)
{
    char path[512];
    join(path, sizeof path, base, key);
    if (!v) {
        *out = dflt;
        return 0;
    }
    if (*v < lo || *v > hi)
        return fail(c, path, "%d is out of range; expected %d..%d", *v, lo, hi);
    *out = *v;
    return 0;
}

static int get_count(ctx *c, const char *base, const char *key, uint64_t v,
                     uint64_t lo, uint64_t hi, uint64_t *out)
{
    char path[512];
    join(path, sizeof path, base, key);
    if (v < lo || v > hi)
        return fail(c, path, "%" PRIu64 " is out of range; expected %" PRIu64
                    "..%" PRIu64, v, lo, hi);
    *out = v;
    return 0;
}

#define ENUM_OR(p, dflt) ((p) ? *(p) : (dflt))
#define BOOL_OR(p, dflt) ((p) ? *(p) : (dflt))

/* ------------------------------------------------------------------ */
/* references                                                          */

/* Build a sorted name table; a duplicate is reported at the later one. */
static int ntab_build(ctx *c, ntab *t, const char *what)
{
    qsort(t->v, t->n, sizeof *t->v, nent_cmp);
    for (size_t i = 1; i < t->n; i++) {
        if (strcmp(t->v[i - 1].name, t->v[i].name) == 0) {
            mq_loc first = loc_of(c, t->v[i - 1].path);
            return fail(c, t->v[i].path, "duplicate %s name '%s' (first defined "
                        "at %d:%d); names must be unique", what, t->v[i].name,
                        first.line, first.col);
        }
    }
    return 0;
}

/* Resolve `want` (at path) in t; on failure suggest the nearest name. */
static int resolve(ctx *c, const char *path, const char *what, const ntab *t,
                   const char *want, const nent **out)
{
    const nent *e = ntab_find(t, want);
    if (e) {
        *out = e;
        return 0;
    }
    const char **names = malloc((t->n ? t->n : 1) * sizeof *names);
    if (!names) return oom(c);
    for (size_t i = 0; i < t->n; i++) names[i] = t->v[i].name;
    const char *near = scn_suggest(want, names, t->n);
    char list[384];
    scn_join(names, t->n, list, sizeof list);
    int rc;
    if (near)
        rc = fail(c, path, "unknown %s '%s'; did you mean '%s'? known: %s",
                  what, want, near, list);
    else
        rc = fail(c, path, "unknown %s '%s'; known: %s", what, want,
                  t->n ? list : "(none)");
    free(names);
    return rc;
}

/* A `queue:` key: optional iff there is exactly one queue. */
static int queue_ref(ctx *c, const char *base, const char *want, int *out)
{
    char path[512];
    join(path, sizeof path, base, "queue");
    if (!want) {
        if (c->s->nqueues == 1) {
            *out = 0;
            return 0;
        }
        return fail(c, base, "missing key 'queue'; the scenario has %zu "
                    "queues, so each entry must name one", c->s->nqueues);
    }
    const nent *e;
    if (resolve(c, path, "queue", &c->queues, want, &e) < 0) return -1;
    *out = e->index;
    return 0;
}

/* ------------------------------------------------------------------ */
/* distributions, reconnect, rate                                      */

static const char *article(const char *word)
{
    /* good enough for the words used here ("a uniform", "an exponential") */
    return word[0] && strchr("aeio", word[0]) ? "an" : "a";
}

static int get_dist(ctx *c, const char *base, const raw_dist *d, sim_dist *out)
{
    static const char *const keys[] = {"value", "mean", "min", "max", "median",
                                       "scale", "sigma", "shape"};
    const char *vals[8] = {d->value, d->mean, d->min, d->max, d->median,
                           d->scale, d->sigma, d->shape};
    /* which keys each kind takes, as bits over keys[] */
    unsigned takes;
    const char *takes_text;
    switch ((sim_dist_kind)d->dist) {
    case SIM_DIST_CONSTANT: takes = 1u << 0; takes_text = "value"; break;
    case SIM_DIST_EXPONENTIAL: takes = 1u << 1; takes_text = "mean"; break;
    case SIM_DIST_UNIFORM: takes = 1u << 2 | 1u << 3; takes_text = "min, max"; break;
    case SIM_DIST_LOGNORMAL:
        takes = 1u << 1 | 1u << 4 | 1u << 6;
        takes_text = "median or mean, and sigma";
        break;
    case SIM_DIST_GAMMA: takes = 1u << 5 | 1u << 7; takes_text = "shape, scale"; break;
    case SIM_DIST_WEIBULL: takes = 1u << 5 | 1u << 7; takes_text = "scale, shape"; break;
    default: return fail(c, base, "unsupported distribution");
    }
    const char *kname = sim_dist_kind_name((sim_dist_kind)d->dist);
    char path[512];
    for (int i = 0; i < 8; i++) {
        if (vals[i] && !(takes & (1u << i)))
            return fail(c, join(path, sizeof path, base, keys[i]),
                        "'%s' does not apply to %s %s distribution (it takes: %s)",
                        keys[i], article(kname), kname, takes_text);
    }
    for (int i = 0; i < 8; i++) {
        if (!(takes & (1u << i)) || vals[i]) continue;
        if (d->dist == SIM_DIST_LOGNORMAL && (i == 1 || i == 4)) continue;
        return fail(c, base, "%s %s distribution needs '%s' (it takes: %s)",
                    article(kname), kname, keys[i], takes_text);
    }
    double a = 0, b = 0;
    switch ((sim_dist_kind)d->dist) {
    case SIM_DIST_CONSTANT:
        if (get_dur(c, base, "value", d->value, 0, false, UNITS_MAX_DURATION_S, 0, &a) < 0)
            return -1;
        *out = sim_dist_constant(a);
        return 0;
    case SIM_DIST_EXPONENTIAL:
        if (get_dur(c, base, "mean", d->mean, 0, true, UNITS_MAX_DURATION_S, 0, &a) < 0)
            return -1;
        *out = sim_dist_exponential(a);
        return 0;
    case SIM_DIST_UNIFORM:
        if (get_dur(c, base, "min", d->min, 0, false, UNITS_MAX_DURATION_S, 0, &a) < 0 ||
            get_dur(c, base, "max", d->max, 0, false, UNITS_MAX_DURATION_S, 0, &b) < 0)
            return -1;
        if (b < a)
            return fail(c, join(path, sizeof path, base, "max"),
                        "max (%s) is below min (%s)", d->max, d->min);
        *out = sim_dist_uniform(a, b);
        return 0;
    case SIM_DIST_LOGNORMAL:
        if (d->mean && d->median)
            return fail(c, join(path, sizeof path, base, "median"),
                        "give either 'median' or 'mean' for a lognormal, not both");
        if (!d->mean && !d->median)
            return fail(c, base, "a lognormal distribution needs 'median' or "
                        "'mean', and 'sigma'");
        if (get_num(c, base, "sigma", d->sigma, 0, false, 10, 0, &b) < 0) return -1;
        if (d->median) {
            if (get_dur(c, base, "median", d->median, 0, true, UNITS_MAX_DURATION_S,
                        0, &a) < 0)
                return -1;
            *out = sim_dist_lognormal_median(a, b);
        } else {
            if (get_dur(c, base, "mean", d->mean, 0, true, UNITS_MAX_DURATION_S,
                        0, &a) < 0)
                return -1;
            *out = sim_dist_lognormal_mean(a, b);
        }
        return 0;
    case SIM_DIST_GAMMA:
    case SIM_DIST_WEIBULL:
        if (get_num(c, base, "shape", d->shape, 0, true, 1e6, 0, &a) < 0 ||
            get_dur(c, base, "scale", d->scale, 0, true, UNITS_MAX_DURATION_S, 0, &b) < 0)
            return -1;
        *out = d->dist == SIM_DIST_GAMMA ? sim_dist_gamma(a, b) : sim_dist_weibull(b, a);
        return 0;
    default:
        return fail(c, base, "unsupported distribution");
    }
}

static int get_reconnect(ctx *c, const char *group, const raw_reconnect *r,
                         const mq_reconnect *dflt, mq_reconnect *out)
{
    *out = *dflt;
    if (!r) return 0;
    char base[512];
    join(base, sizeof base, group, "reconnect");
    out->automatic = BOOL_OR(r->automatic, dflt->automatic);
    out->backoff = (mq_backoff)ENUM_OR(r->backoff, (int)dflt->backoff);
    if (get_dur(c, base, "interval", r->interval, 0, false, DAY,
                dflt->interval_s, &out->interval_s) < 0 ||
        get_dur(c, base, "max_interval", r->max_interval, 0, false, DAY,
                dflt->max_interval_s, &out->max_interval_s) < 0 ||
        get_num(c, base, "multiplier", r->multiplier, 1, false, 100,
                dflt->multiplier, &out->multiplier) < 0 ||
        get_int(c, base, "max_attempts", r->max_attempts, 0, 1000000,
                dflt->max_attempts, &out->max_attempts) < 0 ||
        get_dur(c, base, "heartbeat_detect", r->heartbeat_detect, 0, false, DAY,
                dflt->detect_silent_s, &out->detect_silent_s) < 0)
        return -1;
    if (r->jitter) {
        char path[512];
        sim_err e;
        if (units_fraction(r->jitter, &out->jitter, &e) < 0)
            return fail(c, join(path, sizeof path, base, "jitter"), "%s", e.msg);
    }
    if (r->app_restart) {
        if (strcmp(r->app_restart, "never") == 0) out->app_restart_s = -1.0;
        else if (get_dur(c, base, "app_restart", r->app_restart, 0, false, 30 * DAY,
                         0, &out->app_restart_s) < 0)
            return -1;
    }
    /* a fixed schedule uses interval; the cap only matters when it grows */
    if (out->backoff == MQ_BACKOFF_FIXED && !r->max_interval)
        out->max_interval_s = out->interval_s;
    if (out->max_interval_s < out->interval_s) {
        char path[512];
        char a[32], b[32];
        return fail(c, join(path, sizeof path, base,
                            r->max_interval ? "max_interval" : "interval"),
                    "max_interval (%s) is below interval (%s)",
                    fmt_dur(out->max_interval_s, a, sizeof a),
                    fmt_dur(out->interval_s, b, sizeof b));
    }
    /* no pause and no limit: while a broker refuses, the attempts never let
    ** the clock move (a real client that did this would spin a core) */
    if (out->automatic && out->interval_s == 0 && out->max_attempts == 0) {
        char path[512];
        return fail(c, join(path, sizeof path, base,
                            r->interval ? "interval" : r->automatic ? "automatic" : "max_attempts"),
                    "automatic reconnection with a 0 s interval and unlimited attempts "
                    "(max_attempts: 0) retries without pause while a broker refuses; expected "
                    "an interval above 0 (e.g. 1s) or a max_attempts");
    }
    return 0;
}

static int get_rate(ctx *c, const char *base, mq_rate *out)
{
    char path[512], sp[600];
    join(path, sizeof path, base, "rate");
    const scn_node *nd = scn_index_get(c->idx, path);
    if (!nd)
        return fail(c, base, "missing required key 'rate' (msg/s for the whole "
                    "group, e.g. 500, or {steps: [...], period: 24h})");
    sim_err e;
    if (nd->kind == SCN_SCALAR) {
        double r;
        if (units_number(nd->value, &r, &e) < 0)
            return fail(c, path, "%s (a rate in msg/s, or a mapping with steps)",
                        e.msg);
        if (r > 1e9) return fail(c, path, "%s msg/s is out of range (at most 1e9)",
                                 nd->value);
        out->steps = malloc(sizeof *out->steps);
        if (!out->steps) return oom(c);
        out->nsteps = 1;
        out->steps[0] = (mq_rate_step){0.0, r};
        out->period_s = 0;
        return 0;
    }
    snprintf(sp, sizeof sp, "%s.steps", path);
    const scn_node *steps = scn_index_get(c->idx, sp);
    if (!steps || steps->n == 0)   /* the pre-pass makes this unreachable */
        return fail(c, path, "a rate mapping needs 'steps'");
    out->steps = calloc(steps->n, sizeof *out->steps);
    if (!out->steps) return oom(c);
    out->nsteps = steps->n;
    for (size_t j = 0; j < steps->n; j++) {
        char sb[640], at[700], rt[700];
        snprintf(sb, sizeof sb, "%s[%zu]", sp, j);
        snprintf(at, sizeof at, "%s.at", sb);
        snprintf(rt, sizeof rt, "%s.rate", sb);
        const scn_node *an = scn_index_get(c->idx, at);
        const scn_node *rn = scn_index_get(c->idx, rt);
        if (!an || !rn) return fail(c, sb, "a step needs 'at' and 'rate'");
        mq_rate_step *st = &out->steps[j];
        if (get_dur(c, sb, "at", an->value, 0, false, UNITS_MAX_DURATION_S, 0,
                    &st->at_s) < 0 ||
            get_num(c, sb, "rate", rn->value, 0, false, 1e9, 0, &st->rate) < 0)
            return -1;
        if (j == 0 && st->at_s != 0)
            return fail(c, at, "the first step must be at 0s, found %s", an->value);
        if (j > 0 && st->at_s <= out->steps[j - 1].at_s) {
            char a[32];
            return fail(c, at, "steps must be in strictly increasing 'at' order: "
                        "%s is not after %s (steps[%zu])", an->value,
                        fmt_dur(out->steps[j - 1].at_s, a, sizeof a), j - 1);
        }
    }
    snprintf(sp, sizeof sp, "%s.period", path);
    const scn_node *pn = scn_index_get(c->idx, sp);
    out->period_s = 0;
    if (pn) {
        if (get_dur(c, path, "period", pn->value, 0, false, 366 * DAY, 0,
                    &out->period_s) < 0)
            return -1;
        double last = out->steps[out->nsteps - 1].at_s;
        if (out->period_s > 0 && out->period_s <= last) {
            char a[32];
            return fail(c, sp, "period %s must be longer than the last step's "
                        "'at' (%s)", pn->value, fmt_dur(last, a, sizeof a));
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* groups                                                              */

static int get_profile(ctx *c, const char *base, const char *name,
                       const mq_profile **out, char **saved)
{
    char path[512];
    join(path, sizeof path, base, "profile");
    mq_kind kind = c->s->instance.kind;
    const mq_profile *p = name ? mq_profile_find(name) : mq_profile_default(kind);
    if (!p) {
        const char *names[16];
        size_t n = 0;
        for (size_t i = 0; i < mq_profile_count() && n < 16; i++)
            names[n++] = mq_profile_at(i)->name;
        char list[256];
        scn_join(names, n, list, sizeof list);
        const char *near = scn_suggest(name, names, n);
        if (near)
            return fail(c, path, "unknown profile '%s'; did you mean '%s'? known: %s",
                        name, near, list);
        return fail(c, path, "unknown profile '%s'; known: %s", name, list);
    }
    if (!mq_profile_fits(p, kind))
        return fail(c, path, "profile '%s' is a %s client, but instance.kind is %s",
                    p->name, (p->kinds & MQ_PROFILE_ROCKETMQ) ? "rocketmq" : "rabbitmq",
                    kind == MQ_KIND_ROCKETMQ ? "rocketmq" : "rabbitmq");
    *out = p;
    *saved = dup_str(p->name);
    return *saved ? 0 : oom(c);
}

/* producers[i].delayed: a fraction of the sends are delayed messages. */
static int get_delayed(ctx *c, const char *base, const raw_delayed *r, mq_delayed *out)
{
    *out = (mq_delayed){0};
    if (!r) return 0;
    char b[512], db[512];
    join(b, sizeof b, base, "delayed");
    join(db, sizeof db, b, "delay");
    if (!r->fraction) return fail(c, b, "needs 'fraction' (0..1: the share of sends delayed)");
    char fb[512];
    sim_err e;
    join(fb, sizeof fb, b, "fraction"); /* a number or a percentage, as every fraction */
    if (units_fraction(r->fraction, &out->fraction, &e) < 0) return fail(c, fb, "%s", e.msg);
    if (!(out->fraction > 0))
        return fail(c, fb, "%s: expected a share above 0 and at most 1 (or 100%%)", r->fraction);
    return get_dist(c, db, r->delay, &out->delay) < 0 ||
                   get_dur(c, b, "ttl", r->ttl, 0, false, UNITS_MAX_DURATION_S, 0,
                           &out->ttl_s) < 0
               ? -1
               : 0;
}

static int load_producer(ctx *c, size_t i, const raw_producer *r, mq_producer_group *g)
{
    char base[64];
    snprintf(base, sizeof base, "producers[%zu]", i);
    const mq_profile *p;
    g->loc = loc_of(c, base);
    {
        char rb[80];
        snprintf(rb, sizeof rb, "%s.rate", base);
        g->rate_loc = loc_of(c, rb);
    }
    g->name = dup_str(r->name);
    if (!g->name) return oom(c);
    if (get_profile(c, base, r->profile, &p, &g->profile) < 0 ||
        queue_ref(c, base, r->queue, &g->queue) < 0 ||
        get_int(c, base, "count", r->count, 1, 1000000, 1, &g->count) < 0 ||
        get_rate(c, base, &g->rate) < 0)
        return -1;
    g->rate.arrivals = (mq_arrivals)ENUM_OR(r->arrivals, MQ_ARRIVALS_POISSON);
    g->msg_size_bytes = 1024;
    if (r->message_size) {
        char path[512];
        sim_err e;
        join(path, sizeof path, base, "message_size");
        if (units_size(r->message_size, &g->msg_size_bytes, &e) < 0)
            return fail(c, path, "%s", e.msg);
        if (g->msg_size_bytes < 1 || g->msg_size_bytes > 64.0 * 1048576)
            return fail(c, path, "%s is out of range; expected 1B..64MiB",
                        r->message_size);
    }
    g->protocol = (mq_protocol)ENUM_OR(r->protocol, (int)p->protocol);
    g->endpoint = (mq_endpoint)ENUM_OR(r->endpoint, (int)p->endpoint);
    g->confirms = BOOL_OR(r->confirms, p->confirms);
    g->confirm_wait_times_out = BOOL_OR(r->confirm_wait_times_out, p->confirm_wait_times_out);
    g->ondown = (mq_ondown)ENUM_OR(r->on_disconnect, (int)p->ondown);
    if (get_dur(c, base, "send_timeout", r->send_timeout, 0, true, HOUR,
                p->send_timeout_s, &g->send_timeout_s) < 0 ||
        get_int(c, base, "retries", r->retries, 0, 100, p->retries, &g->retries) < 0 ||
        get_dur(c, base, "retry_backoff", r->retry_backoff, 0, false, HOUR,
                p->retry_backoff_s, &g->retry_backoff_s) < 0 ||
        get_dur(c, base, "confirm_latency", r->confirm_latency, 0, false, 60,
                p->confirm_latency_s, &g->confirm_latency_s) < 0 ||
        get_dur(c, base, "route_refresh", r->route_refresh, 0, false, HOUR,
                p->route_refresh_s, &g->route_refresh_s) < 0 ||
        get_reconnect(c, base, r->reconnect, &p->reconnect, &g->reconnect) < 0 ||
        get_delayed(c, base, r->delayed, &g->delayed) < 0)
        return -1;
    return 0;
}

static int load_consumer(ctx *c, size_t i, const raw_consumer *r, mq_consumer_group *g)
{
    char base[64];
    snprintf(base, sizeof base, "consumers[%zu]", i);
    const mq_profile *p;
    g->loc = loc_of(c, base);
    g->name = dup_str(r->name);
    if (!g->name) return oom(c);
    if (get_profile(c, base, r->profile, &p, &g->profile) < 0 ||
        queue_ref(c, base, r->queue, &g->queue) < 0 ||
        get_int(c, base, "count", r->count, 1, 1000000, 1, &g->count) < 0 ||
        get_int(c, base, "concurrency", r->concurrency, 1, 10000, p->concurrency,
                &g->concurrency) < 0 ||
        get_int(c, base, "prefetch", r->prefetch, 1, 1000000, p->prefetch,
                &g->prefetch) < 0)
        return -1;
    if (g->prefetch < g->concurrency) {
        char path[512];
        join(path, sizeof path, base, r->prefetch ? "prefetch" : "concurrency");
        return fail(c, path, "prefetch (%d) must be at least concurrency (%d): "
                    "a consumer cannot work on more messages than it holds",
                    g->prefetch, g->concurrency);
    }
    char dbase[512];
    join(dbase, sizeof dbase, base, "processing");
    if (get_dist(c, dbase, r->processing, &g->processing) < 0) return -1;
    if (!mq_est_channel_tractable(&g->processing, g->prefetch, g->concurrency, c->s->run.rtt_s)) {
        char path[512];
        return fail(c, join(path, sizeof path, base, r->prefetch ? "prefetch" : "processing"),
                    "prefetch %d with concurrency %d and a %g s round trip is near the "
                    "channel's balance point, where this processing law has no closed form "
                    "and the numerical throughput estimate costs O(prefetch) per batch "
                    "(minutes at this size); expected a prefetch of at most %d, or "
                    "exponential or constant processing", g->prefetch, g->concurrency,
                    c->s->run.rtt_s, MQ_EST_PREFETCH_SOLVED);
    }
    g->ack = (mq_ackmode)ENUM_OR(r->ack, (int)p->ack);
    g->protocol = (mq_protocol)ENUM_OR(r->protocol, (int)p->protocol);
    g->endpoint = (mq_endpoint)ENUM_OR(r->endpoint, (int)p->endpoint);
    g->idempotent = BOOL_OR(r->idempotent, false);
    g->process_buffer_on_close = BOOL_OR(r->process_buffer_on_close, p->process_buffer_on_close);
    g->close_drain_s = p->close_drain_s;
    if (get_dur(c, base, "commit_interval", r->commit_interval, 0, false, HOUR,
                p->commit_interval_s, &g->commit_interval_s) < 0 ||
        get_dur(c, base, "route_refresh", r->route_refresh, 0, false, HOUR,
                p->route_refresh_s, &g->route_refresh_s) < 0 ||
        get_dur(c, base, "rebalance", r->rebalance, 0, false, HOUR,
                p->rebalance_s, &g->rebalance_s) < 0 ||
        get_dur(c, base, "pull_backoff", r->pull_backoff, 0, false, HOUR,
                p->pull_backoff_s, &g->pull_backoff_s) < 0 ||
        get_reconnect(c, base, r->reconnect, &p->reconnect, &g->reconnect) < 0)
        return -1;
    return 0;
}

/* ------------------------------------------------------------------ */
/* sections                                                            */

static int load_run(ctx *c, const raw_run *r, mq_run_cfg *run)
{
    const char *b = "run";
    if (get_dur(c, b, "duration", r->duration, 0, true, 30 * DAY, 0,
                &run->duration_s) < 0)
        return -1;
    double d = run->duration_s;
    run->duration_loc = loc_of(c, "run.duration");
    if (r->sample_interval) run->sample_loc = loc_of(c, "run.sample_interval");
    if (get_dur(c, b, "warmup", r->warmup, 0, false, UNITS_MAX_DURATION_S, 0,
                &run->warmup_s) < 0 ||
        get_dur(c, b, "sample_interval", r->sample_interval, 1e-3, false,
                UNITS_MAX_DURATION_S, 1.0, &run->sample_s) < 0 ||
        get_dur(c, b, "drain_from", r->drain_from, 0, false, UNITS_MAX_DURATION_S,
                0, &run->drain_from_s) < 0 ||
        get_dur(c, b, "retention", r->retention, 0, false, 3650 * DAY, 0,
                &run->retention_s) < 0 ||
        get_dur(c, b, "rtt", r->rtt, 0, false, 60, 1e-3, &run->rtt_s) < 0)
        return -1;
    char a[32], e[32];
    if (r->warmup && run->warmup_s >= d)
        return fail(c, "run.warmup", "warmup %s must be shorter than the run "
                    "duration (%s)", r->warmup, fmt_dur(d, e, sizeof e));
    if (r->sample_interval && run->sample_s > d)
        return fail(c, "run.sample_interval", "sample_interval %s is longer than "
                    "the run duration (%s)", r->sample_interval,
                    fmt_dur(d, e, sizeof e));
    if (r->drain_from && run->drain_from_s > d)
        return fail(c, "run.drain_from", "drain_from %s is after the end of the "
                    "run (%s)", r->drain_from, fmt_dur(d, e, sizeof e));
    (void)a;
    run->start_clock_s = 0;
    if (r->start_at) {
        sim_err er;
        if (units_time_of_day(r->start_at, &run->start_clock_s, &er) < 0)
            return fail(c, "run.start_at", "%s", er.msg);
    }
    run->seed = r->seed ? *r->seed : 1;
    return 0;
}

static int load_instance(ctx *c, const raw_instance *r, mq_instance *in)
{
    in->loc = loc_of(c, "instance");
    in->kind = (mq_kind)r->kind;
    in->edition = (mq_edition)ENUM_OR(r->edition, MQ_EDITION_PROFESSIONAL);
    in->series = (mq_series)ENUM_OR(r->series, MQ_SERIES_SUBSCRIPTION);
    in->sub_category = (mq_subcat)ENUM_OR(r->sub_category, MQ_SUBCAT_NONE);
    if (r->sub_category && in->kind != MQ_KIND_ROCKETMQ)
        return fail(c, "instance.sub_category", "sub_category applies to "
                    "rocketmq instances only; remove it for rabbitmq");
    in->deployment = (mq_deploy)ENUM_OR(r->deployment, MQ_DEPLOY_SHARED);
    in->billing = (mq_billing)ENUM_OR(r->billing, MQ_BILL_SUBSCRIPTION);
    /* the documents bill a serverless instance as serverless, and nothing
    ** else so: one given, the other follows; both given, they must agree */
    bool sl_series = in->series == MQ_SERIES_SERVERLESS, sl_bill = in->billing == MQ_BILL_SERVERLESS;
    if (r->series && r->billing && sl_series != sl_bill)
        return fail(c, "instance.billing", "%s contradicts instance.series (%s): a serverless "
                    "instance is billed as serverless, and only a serverless one is",
                    sl_bill ? "serverless billing" : "this billing method",
                    sl_series ? "serverless" : "subscription");
    if (sl_series && !r->billing) in->billing = MQ_BILL_SERVERLESS;
    if (sl_bill && !r->series) in->series = MQ_SERIES_SERVERLESS;
    /* the seed's table gives the RabbitMQ serverless series no editions:
    ** its instances are shared or dedicated */
    if (in->kind == MQ_KIND_RABBITMQ && in->series == MQ_SERIES_SERVERLESS && r->edition)
        return fail(c, "instance.edition", "editions belong to the RabbitMQ subscription "
                    "series; a serverless instance names its deployment (shared or "
                    "dedicated) instead");
    /* a RabbitMQ subscription edition decides the deployment (the seed's
    ** table): derived when left out, refused when it contradicts */
    mq_deploy by_edition;
    if (in->kind == MQ_KIND_RABBITMQ && in->series == MQ_SERIES_SUBSCRIPTION) {
        if (!mq_subscription_deployment(in->edition, &by_edition))
            return fail(c, "instance.edition", "%s", MQ_NOT_A_SUBSCRIPTION_EDITION);
        if (!r->deployment) in->deployment = by_edition;
        const scn_node *en = scn_index_get(c->idx, "instance.edition");
        if (r->deployment && in->deployment != by_edition)
            return fail(c, "instance.deployment", "a subscription %s instance is %s "
                        "(professional and enterprise are shared, platinum is dedicated), not %s",
                        en && en->value ? en->value : "professional",
                        by_edition == MQ_DEPLOY_DEDICATED ? "dedicated" : "shared",
                        in->deployment == MQ_DEPLOY_DEDICATED ? "dedicated" : "shared");
    }
    in->state = (mq_state)ENUM_OR(r->state, MQ_STATE_IN_SERVICE);
    in->internet = BOOL_OR(r->internet, false);
    in->internet_unset = r->internet == NULL;
    if (get_num(c, "instance", "spec_tps", r->spec_tps, 0, true, 1e9, 0,
                &in->spec_tps) < 0)
        return -1;
    in->bandwidth_mbps = 0;
    if (r->bandwidth) {
        sim_err e;
        if (units_bandwidth(r->bandwidth, &in->bandwidth_mbps, &e) < 0)
            return fail(c, "instance.bandwidth", "%s", e.msg);
    }
    return 0;
}

static int load_topology(ctx *c, const scn_raw *raw)
{
    mq_scenario *s = c->s;
    size_t nb = 0;
    for (unsigned i = 0; i < raw->clusters_count; i++) nb += raw->clusters[i].brokers_count;
    s->clusters = calloc(raw->clusters_count, sizeof *s->clusters);
    s->brokers = calloc(nb, sizeof *s->brokers);
    s->queues = calloc(raw->queues_count, sizeof *s->queues);
    ntab cl = {calloc(raw->clusters_count, sizeof(nent)), raw->clusters_count};
    c->brokers = (ntab){calloc(nb, sizeof(nent)), nb};
    c->queues = (ntab){calloc(raw->queues_count, sizeof(nent)), raw->queues_count};
    char **paths = calloc(raw->clusters_count + nb + raw->queues_count, sizeof *paths);
    int rc = -1;
    if (!s->clusters || !s->brokers || !s->queues || !cl.v || !c->brokers.v ||
        !c->queues.v || !paths) {
        rc = oom(c);
        goto out;
    }
    size_t np = 0, b = 0;
    /* name tables point at index-owned paths via these small buffers */
    for (unsigned i = 0; i < raw->clusters_count; i++) {
        const raw_cluster *rc_ = &raw->clusters[i];
        char base[64];
        snprintf(base, sizeof base, "clusters[%u]", i);
        mq_cluster *cc = &s->clusters[s->nclusters++];
        cc->loc = loc_of(c, base);
        cc->name = dup_str(rc_->name);
        paths[np] = malloc(80);
        if (!cc->name || !paths[np]) {
            rc = oom(c);
            goto out;
        }
        snprintf(paths[np], 80, "%s.name", base);
        cl.v[i] = (nent){rc_->name, (int)i, false, paths[np++]};
        for (unsigned j = 0; j < rc_->brokers_count; j++, b++) {
            char bb[96];
            snprintf(bb, sizeof bb, "clusters[%u].brokers[%u]", i, j);
            mq_broker *br = &s->brokers[s->nbrokers++];
            br->loc = loc_of(c, bb);
            br->name = dup_str(rc_->brokers[j].name);
            br->cluster = (int)i;
            paths[np] = malloc(112);
            if (!br->name || !paths[np]) {
                rc = oom(c);
                goto out;
            }
            snprintf(paths[np], 112, "%s.name", bb);
            c->brokers.v[b] = (nent){br->name, (int)b, false, paths[np++]};
            if (get_num(c, bb, "capacity_tps", rc_->brokers[j].capacity_tps, 0,
                        false, 1e9, 0, &br->capacity_tps) < 0)
                goto out;
        }
    }
    if (ntab_build(c, &cl, "cluster") < 0 || ntab_build(c, &c->brokers, "broker") < 0)
        goto out;
    for (unsigned i = 0; i < raw->queues_count; i++) {
        char base[64];
        snprintf(base, sizeof base, "queues[%u]", i);
        mq_queue *q = &s->queues[s->nqueues++];
        q->loc = loc_of(c, base);
        q->name = dup_str(raw->queues[i].name);
        paths[np] = malloc(80);
        if (!q->name || !paths[np]) {
            rc = oom(c);
            goto out;
        }
        snprintf(paths[np], 80, "%s.name", base);
        c->queues.v[i] = (nent){q->name, (int)i, false, paths[np++]};
        q->type = (mq_qtype)ENUM_OR(raw->queues[i].type, MQ_QTYPE_CLASSIC);
        if (q->type != MQ_QTYPE_CLASSIC &&
            sim_strs_add(&s->warnings, "%s:%d:%d: queue '%s' is a %s queue; the model "
                         "simulates it as a classic queue (replication and its delays "
                         "are not modelled)", c->file, q->loc.line, q->loc.col, q->name,
                         q->type == MQ_QTYPE_QUORUM ? "quorum" : "stream")) {
            rc = oom(c);
            goto out;
        }
        const char *want = raw->queues[i].broker;
        if (!want) {
            if (s->nbrokers != 1) {
                fail(c, base, "missing key 'broker'; the scenario has %zu "
                     "brokers, so each queue must name one", s->nbrokers);
                goto out;
            }
            q->broker = 0;
        } else {
            const nent *e;
            char path[96];
            snprintf(path, sizeof path, "%s.broker", base);
            if (resolve(c, path, "broker", &c->brokers, want, &e) < 0) goto out;
            q->broker = e->index;
        }
    }
    if (ntab_build(c, &c->queues, "queue") < 0) goto out;
    rc = 0;
out:
    /* the tables' path strings are only needed while reporting duplicates */
    for (size_t i = 0; i < raw->clusters_count + nb + raw->queues_count; i++)
        if (paths) free(paths[i]);
    free(paths);
    for (size_t i = 0; i < c->brokers.n; i++) c->brokers.v[i].path = NULL;
    for (size_t i = 0; i < c->queues.n; i++) c->queues.v[i].path = NULL;
    free(cl.v);
    return rc;
}

static int load_groups(ctx *c, const scn_raw *raw)
{
    mq_scenario *s = c->s;
    size_t ng = (size_t)raw->producers_count + raw->consumers_count;
    if (raw->producers_count &&
        !(s->producers = calloc(raw->producers_count, sizeof *s->producers)))
        return oom(c);
    if (raw->consumers_count &&
        !(s->consumers = calloc(raw->consumers_count, sizeof *s->consumers)))
        return oom(c);
    c->groups = (ntab){calloc(ng ? ng : 1, sizeof(nent)), ng};
    char (*paths)[48] = calloc(ng ? ng : 1, sizeof *paths);
    if (!c->groups.v || !paths) {
        free(paths);
        return oom(c);
    }
    int rc = -1;
    for (unsigned i = 0; i < raw->producers_count; i++) {
        mq_producer_group *g = &s->producers[s->nproducers++];
        if (load_producer(c, i, &raw->producers[i], g) < 0) goto out;
        snprintf(paths[i], sizeof paths[i], "producers[%u].name", i);
        c->groups.v[i] = (nent){g->name, (int)i, false, paths[i]};
    }
    for (unsigned i = 0; i < raw->consumers_count; i++) {
        mq_consumer_group *g = &s->consumers[s->nconsumers++];
        if (load_consumer(c, i, &raw->consumers[i], g) < 0) goto out;
        size_t k = raw->producers_count + i;
        snprintf(paths[k], sizeof paths[k], "consumers[%u].name", i);
        c->groups.v[k] = (nent){g->name, (int)i, true, paths[k]};
    }
    rc = ntab_build(c, &c->groups, "group");
out:
    for (size_t i = 0; i < c->groups.n; i++) c->groups.v[i].path = NULL;
    free(paths);
    return rc;
}

static int load_backlogs(ctx *c, const scn_raw *raw)
{
    mq_scenario *s = c->s;
    if (raw->backlog_count &&
        !(s->backlogs = calloc(raw->backlog_count, sizeof *s->backlogs)))
        return oom(c);
    for (unsigned i = 0; i < raw->backlog_count; i++) {
        const raw_backlog *r = &raw->backlog[i];
        mq_backlog *b = &s->backlogs[s->nbacklogs++];
        char base[64], db[80];
        snprintf(base, sizeof base, "backlog[%u]", i);
        b->loc = loc_of(c, base);
        snprintf(db, sizeof db, "%s.messages", base);
        b->messages_loc = loc_of(c, db);
        if (queue_ref(c, base, r->queue, &b->queue) < 0 ||
            get_count(c, base, "messages", r->messages, 1, 1000000000000ull,
                      &b->messages) < 0)
            return -1;
        b->age = sim_dist_constant(0);
        snprintf(db, sizeof db, "%s.age", base);
        if (r->age && get_dist(c, db, r->age, &b->age) < 0) return -1;
    }
    if (raw->scheduled_count &&
        !(s->scheduled = calloc(raw->scheduled_count, sizeof *s->scheduled)))
        return oom(c);
    for (unsigned i = 0; i < raw->scheduled_count; i++) {
        const raw_scheduled *r = &raw->scheduled[i];
        mq_scheduled *m = &s->scheduled[s->nscheduled++];
        char base[64], db[80];
        snprintf(base, sizeof base, "scheduled[%u]", i);
        snprintf(db, sizeof db, "%s.deliver_at", base);
        m->loc = loc_of(c, base);
        {
            char mb[80];
            snprintf(mb, sizeof mb, "%s.messages", base);
            m->messages_loc = loc_of(c, mb);
        }
        if (queue_ref(c, base, r->queue, &m->queue) < 0 ||
            get_count(c, base, "messages", r->messages, 1, 1000000000000ull,
                      &m->messages) < 0 ||
            get_dist(c, db, r->deliver_at, &m->deliver_at) < 0 ||
            get_dur(c, base, "ttl", r->ttl, 0, false, UNITS_MAX_DURATION_S, 0,
                    &m->ttl_s) < 0)
            return -1;
    }
    return 0;
}

static const char *event_name(mq_event_type t)
{
    switch (t) {
    case MQ_EVENT_BROKER_RESTART: return "broker_restart";
    case MQ_EVENT_DISCONNECT: return "disconnect";
    case MQ_EVENT_APP_RESTART: return "app_restart";
    case MQ_EVENT_RESOURCE_OP: return "resource_op";
    }
    return "event";
}

static int load_events(ctx *c, const scn_raw *raw)
{
    mq_scenario *s = c->s;
    if (raw->events_count && !(s->events = calloc(raw->events_count, sizeof *s->events)))
        return oom(c);
    for (unsigned i = 0; i < raw->events_count; i++) {
        const raw_event *r = &raw->events[i];
        mq_event *ev = &s->events[s->nevents++];
        char base[64], path[96];
        snprintf(base, sizeof base, "events[%u]", i);
        ev->loc = loc_of(c, base);
        ev->type = (mq_event_type)r->type;
        ev->label = dup_str(r->label ? r->label : event_name(ev->type));
        if (!ev->label) return oom(c);
        if (get_dur(c, base, "at", r->at, 0, false, UNITS_MAX_DURATION_S, 0,
                    &ev->at_s) < 0)
            return -1;
        if (ev->at_s > s->run.duration_s) {
            char a[32];
            return fail(c, join(path, sizeof path, base, "at"), "event at %s is "
                        "after the end of the run (run.duration %s)", r->at,
                        fmt_dur(s->run.duration_s, a, sizeof a));
        }
        ev->broker = -1;
        if (r->broker) {
            const nent *e;
            if (resolve(c, join(path, sizeof path, base, "broker"), "broker",
                        &c->brokers, r->broker, &e) < 0)
                return -1;
            ev->broker = e->index;
        }
        if (r->groups_count) {
            ev->groups = calloc(r->groups_count, sizeof *ev->groups);
            if (!ev->groups) return oom(c);
        }
        for (unsigned j = 0; j < r->groups_count; j++) {
            const nent *e;
            snprintf(path, sizeof path, "%s.groups[%u]", base, j);
            if (resolve(c, path, "producer or consumer group", &c->groups,
                        r->groups[j], &e) < 0)
                return -1;
            for (size_t k = 0; k < ev->ngroups; k++)
                if (ev->groups[k].consumer == e->consumer &&
                    ev->groups[k].index == e->index)
                    return fail(c, path, "group '%s' is listed twice", r->groups[j]);
            ev->groups[ev->ngroups++] = (mq_group_ref){e->consumer, e->index};
        }
        join(path, sizeof path, base, "duration");
        if (!r->duration) {
            if (ev->type == MQ_EVENT_BROKER_RESTART || ev->type == MQ_EVENT_DISCONNECT)
                return fail(c, base, "%s %s event needs 'duration' (e.g. 20s, or "
                            "until_reconnect)", article(event_name(ev->type)),
                            event_name(ev->type));
            ev->duration_s = 0;
        } else if (strcmp(r->duration, "until_reconnect") == 0) {
            ev->duration_s = -1.0;
        } else if (get_dur(c, base, "duration", r->duration, 0, false,
                           UNITS_MAX_DURATION_S, 0, &ev->duration_s) < 0) {
            return -1;
        }
        ev->silent = ENUM_OR(r->detection, 0) == 1;
        if (r->rolling && ev->type != MQ_EVENT_APP_RESTART)
            return fail(c, join(path, sizeof path, base, "rolling"), "'rolling' "
                        "applies to app_restart events only");
        if (get_dur(c, base, "rolling", r->rolling, 0, false, DAY, 0,
                    &ev->rolling_s) < 0)
            return -1;
    }
    return 0;
}

/* budget: each line parsed by scn_budget.c at its own line:col; the metric
** names are checked against the metric table (scn_budget.h). */
static int load_budget(ctx *c, const scn_raw *raw)
{
    if (!raw->budget_count) return 0;
    if (!(c->s->budget = mq_budget_new())) return oom(c);
    for (unsigned i = 0; i < raw->budget_count; i++) {
        char path[32];
        snprintf(path, sizeof path, "budget[%u]", i);
        if (scn_budget_add(c->s->budget, raw->budget[i], loc_of(c, path), c->file, c->err))
            return -1;
    }
    return scn_budget_check_names(c->s->budget, c->s->path, c->err);
}

/* Whether ch may appear in a scenario name. The name becomes a folder name
** (results/<name>), so it is one path component: letters, digits, '.', '_'
** and '-', not starting with '.' (no "..", no hidden folder). */
static int name_char(char ch, int first)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '-' || (ch == '.' && !first);
}

/* Scenario name default: the file name without directory and .yaml/.yml,
** characters check_name would refuse replaced by '_'. */
static char *default_name(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    if (n > 5 && !strcmp(b + n - 5, ".yaml")) n -= 5;
    else if (n > 4 && !strcmp(b + n - 4, ".yml")) n -= 4;
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, b, n);
        s[n] = '\0';
        for (size_t i = 0; i < n; i++) /* one safe path component, as check_name */
            if (!name_char(s[i], i == 0)) s[i] = '_';
    }
    return s;
}

static int check_name(ctx *c, const char *name)
{
    for (const char *p = name; *p; p++)
        if (!name_char(*p, p == name))
            return fail(c, "name", "'%s' cannot be a folder name: use letters, digits, '.', "
                        "'_' and '-' (not first: '.'); it names the results folder "
                        "results/<name>", name);
    return 0;
}

/* The change block, through its type's io half (io/change/): a scenario
** describes one change. */
static int load_change(ctx *c, const scn_raw *raw)
{
    const char *first = NULL;
    for (size_t i = 0; scn_changes[i]; i++) {
        if (!raw->change[i]) continue;
        const char *key = scn_changes[i]->ops->key;
        if (first)
            return fail(c, key, "a scenario describes one change; it already has `%s`", first);
        first = key;
        if (scn_changes[i]->load(c->file, c->idx, raw->change[i], c->s, c->err) < 0) return -1;
    }
    /* the delay metrics leave out what is sent during the warm-up */
    double at = mq_scenario_change_start(c->s), wu = c->s->run.warmup_s;
    if (at < wu) {
        char a[32], w[32];
        if (sim_strs_add(&c->s->warnings, "%s: the change starts at %s, inside run.warmup (%s): "
                         "the delay metrics leave out every message sent before the warm-up "
                         "ends, so they miss the change's effect on delay until then (the counts, "
                         "duplicates and losses among them, cover the whole run); a shorter "
                         "warm-up, or a later change, measures it", c->file,
                         fmt_dur(at, a, sizeof a), fmt_dur(wu, w, sizeof w)) < 0)
            return oom(c);
    }
    return 0;
}

static int convert(ctx *c, const scn_raw *raw)
{
    mq_scenario *s = c->s;
    s->path = dup_str(c->file);
    s->name = raw->name ? dup_str(raw->name) : default_name(c->file);
    if (!s->path || !s->name) return oom(c);
    if (raw->name && check_name(c, s->name)) return -1;
    if (raw->description && !(s->description = dup_str(raw->description)))
        return oom(c);
    if (load_run(c, raw->run, &s->run) < 0 ||
        load_instance(c, raw->instance, &s->instance) < 0 ||
        load_topology(c, raw) < 0 || load_groups(c, raw) < 0 ||
        load_backlogs(c, raw) < 0 || load_events(c, raw) < 0 || load_change(c, raw) < 0 ||
        load_budget(c, raw) < 0)
        return -1;
    return 0;
}

/* ------------------------------------------------------------------ */
/* public                                                              */

int scn_load_string(const char *name, const char *text, size_t len,
                    mq_scenario *out, sim_err *err)
{
    *out = (mq_scenario){0};
    scn_index idx = {0};
    scn_schema_init();
    if (scn_yaml_check(name, text, len, &scn_schema_top, scn_schema_poly, &idx,
                       err) < 0)
        return -1;

    scn_cyaml_log log = {0};
    cyaml_config_t cfg;
    scn_cyaml_config(&cfg, &log);
    scn_raw *raw = NULL;
    cyaml_err_t ce = cyaml_load_data((const uint8_t *)text, len, &cfg,
                                     &scn_schema_top, (cyaml_data_t **)&raw, NULL);
    if (ce != CYAML_OK) {
        /* a backstop: the pre-pass is meant to catch everything first */
        sim_err_at(err, name, log.line ? log.line : 1, log.line ? log.col : 1,
                   "%s", log.msg[0] ? log.msg : cyaml_strerror(ce));
        scn_index_free(&idx);
        return -1;
    }
    ctx c = {.file = name, .idx = &idx, .err = err, .s = out};
    int rc = convert(&c, raw);
    free(c.brokers.v);
    free(c.queues.v);
    free(c.groups.v);
    cyaml_free(&cfg, &scn_schema_top, raw, 0);
    scn_index_free(&idx);
    if (rc < 0) mq_scenario_free(out);
    return rc;
}

/* Read all of f (at most the limit + 1, so devices and pipes cannot run
** away) into a malloc'ed *buf the caller frees. 0 ok; -1 with a message
** naming `name`. */
static int read_capped(FILE *f, const char *name, char **buf, size_t *len, sim_err *err)
{
    size_t cap = SCN_MAX_BYTES + 1, n = 0, k;
    char *b = malloc(cap);
    SIM_NEED(b != NULL, "out of memory");
    while (n < cap && (k = fread(b + n, 1, cap - n, f)) > 0) n += k;
    if (ferror(f)) {
        free(b);
        return sim_err_at(err, name, 0, 0, "read error");
    }
    if (n > SCN_MAX_BYTES) {
        free(b);
        return sim_err_at(err, name, 0, 0, "the file is too large (more than "
                          "%zu bytes = 4 MiB)", SCN_MAX_BYTES);
    }
    *buf = b;
    *len = n;
    return 0;
}

/* Standard input ("-"), read once per process and kept: a command that
** loads its scenario twice (a run with its paired baseline) gets the same
** text both times. Freed at exit by the OS (one buffer of <= 4 MiB). */
static char *stdin_text;
static size_t stdin_len;

int scn_read_file(const char *path, char **text, size_t *len, sim_err *err)
{
    if (!strcmp(path, "-")) {
        if (!stdin_text && read_capped(stdin, "<stdin>", &stdin_text, &stdin_len, err))
            return -1;
        *text = malloc(stdin_len + 1);
        SIM_NEED(*text != NULL, "out of memory");
        memcpy(*text, stdin_text, stdin_len);
        *len = stdin_len;
        return 0;
    }
    FILE *f = fopen(path, "rb");
    if (!f)
        return sim_err_at(err, path, 0, 0, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return sim_err_at(err, path, 0, 0, "is a directory; expected a "
                          "scenario file (.yaml)");
    }
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
        (size_t)st.st_size > SCN_MAX_BYTES) {
        fclose(f);
        return sim_err_at(err, path, 0, 0, "the file is too large (%lld bytes; "
                          "at most %zu = 4 MiB)", (long long)st.st_size,
                          SCN_MAX_BYTES);
    }
    int rc = read_capped(f, path, text, len, err);
    fclose(f);
    return rc;
}

int scn_load_file(const char *path, mq_scenario *out, sim_err *err)
{
    *out = (mq_scenario){0};
    char *buf;
    size_t n;
    if (scn_read_file(path, &buf, &n, err)) return -1;
    int rc = scn_load_string(strcmp(path, "-") ? path : "<stdin>", buf, n, out, err);
    free(buf);
    return rc;
}

/* ------------------------------------------------------------------ */
/* summary                                                             */

static const char *plural(size_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

void scn_summary(const mq_scenario *s, char *buf, size_t len)
{
    if (!buf || len == 0) return;
    long long pclients = 0, cclients = 0;
    double lo = 0, hi = 0;
    for (size_t i = 0; i < s->nproducers; i++) {
        const mq_producer_group *g = &s->producers[i];
        pclients += g->count;
        double mn = INFINITY, mx = 0;
        for (size_t j = 0; j < g->rate.nsteps; j++) {
            mn = fmin(mn, g->rate.steps[j].rate);
            mx = fmax(mx, g->rate.steps[j].rate);
        }
        if (g->rate.nsteps) lo += mn, hi += mx;
    }
    for (size_t i = 0; i < s->nconsumers; i++) cclients += s->consumers[i].count;
    uint64_t backlog = 0, sched = 0;
    for (size_t i = 0; i < s->nbacklogs; i++) backlog += s->backlogs[i].messages;
    for (size_t i = 0; i < s->nscheduled; i++) sched += s->scheduled[i].messages;
    char rate[64], dur[32], extra[48] = "";
    if (lo == hi) snprintf(rate, sizeof rate, "%g msg/s", lo);
    else snprintf(rate, sizeof rate, "%g-%g msg/s", lo, hi);
    units_format_duration(s->run.duration_s, dur, sizeof dur);
    if (sched) snprintf(extra, sizeof extra, ", %" PRIu64 " scheduled", sched);
    snprintf(buf, len,
             "%s: %s %s%s%s%s %s, %zu %s, %zu %s, %zu %s, %zu producer %s (%lld "
             "clients, %s), %zu consumer %s (%lld clients), backlog %" PRIu64
             "%s, %zu %s, %s run",
             s->name ? s->name : "?", SCN_ENUM_STR(scn_kind_strs, s->instance.kind, "?"),
             SCN_ENUM_STR(scn_edition_strs, s->instance.edition, "?"),
             s->instance.sub_category ? " " : "",
             SCN_ENUM_STR(scn_subcat_strs, s->instance.sub_category, ""),
             s->instance.series == MQ_SERIES_SERVERLESS ? " serverless" : "",
             s->instance.deployment == MQ_DEPLOY_DEDICATED ? "dedicated" : "shared",
             s->nclusters, plural(s->nclusters, "cluster", "clusters"),
             s->nbrokers, plural(s->nbrokers, "broker", "brokers"),
             s->nqueues, plural(s->nqueues, "queue", "queues"),
             s->nproducers, plural(s->nproducers, "group", "groups"), pclients, rate,
             s->nconsumers, plural(s->nconsumers, "group", "groups"), cclients,
             backlog, extra, s->nevents, plural(s->nevents, "event", "events"), dur);
}
