/*
** out_risk.c - budget.csv and the report sections of summary.json (see
** out_risk.h).
**
** Assumptions: each client profile default carries a source string
** (models/mq_profile.c); those starting with "assumption" are the numbers
** nobody measured. A group relied on one when its value equals the
** profile's. The comparison goes through one table of (source field, value
** getter, echo key) per group kind, and the value is shown as the scenario
** echo (out_scenario_json) writes it, so no enum gets a second spelling.
** Cost: O(groups x 25 keys).
*/
#include "io/out_risk.h"
#include "io/out_verdict.h"
#include "io/out_csv.h"
#include "io/out_file.h"
#include "io/out_json.h"
#include "models/mq_profile.h"

#include <csv.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static json_t *num(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static void put(json_t *o, const char *k, json_t *v)
{
    if (!v || json_object_set_new(o, k, v))
        sim_oom(__FILE__, __LINE__, "out of memory building JSON key '%s'", k);
}

static void push(json_t *a, json_t *v)
{
    if (!v || json_array_append_new(a, v))
        sim_oom(__FILE__, __LINE__, "out of memory building JSON");
}

static json_t *must(json_t *v)
{
    if (!v) sim_oom(__FILE__, __LINE__, "out of memory building JSON");
    return v;
}

/* ---- budget ----------------------------------------------------------- */

int out_budget_csv(const char *path, const mq_budget *b, const mq_budget_verdict *v,
                   sim_err *err)
{
    out_file f;
    if (out_file_open(&f, path, err)) return -1;
    fputs("line,metric,value,ci95_low,ci95_high,limit,verdict,status,lower_bound,why\n", f.fp);
    char x[40];
    for (size_t i = 0; b && i < b->n; i++) {
        const mq_budget_line *l = &b->v[i];
        csv_fwrite(f.fp, l->text, strlen(l->text));
        fputc(',', f.fp);
        csv_fwrite(f.fp, l->metric, strlen(l->metric));
        fprintf(f.fp, ",%s,", out_fmt_double(x, v[i].value, 0));
        bool ci = v[i].measured && !(v[i].lo == v[i].value && v[i].hi == v[i].value);
        if (ci) fputs(out_fmt_double(x, v[i].lo, 0), f.fp);
        fputc(',', f.fp);
        if (ci) fputs(out_fmt_double(x, v[i].hi, 0), f.fp);
        fprintf(f.fp, ",%s,%s,%s,", out_fmt_double(x, l->limit, 0), v[i].pass ? "pass" : "fail",
                sim_status_str(v[i].status));
        if (!isnan(v[i].bound)) fputs(out_fmt_double(x, v[i].bound, 0), f.fp);
        fputc(',', f.fp);
        const char *why = mq_budget_why_str(v[i].why);
        csv_fwrite(f.fp, why, strlen(why));
        fputc('\n', f.fp);
    }
    return out_file_commit(&f, err);
}

json_t *out_budget_json(const mq_budget *b, const mq_budget_verdict *v)
{
    json_t *a = must(json_array());
    for (size_t i = 0; b && i < b->n; i++) {
        const mq_budget_line *l = &b->v[i];
        json_t *o = must(json_object());
        put(o, "line", json_string(l->text));
        put(o, "metric", json_string(l->metric));
        put(o, "op", json_string(mq_budget_op_str(l->op)));
        put(o, "limit", num(l->limit));
        if (!v) { /* the lines alone, before any verdict */
            push(a, o);
            continue;
        }
        put(o, "value", num(v[i].value));
        put(o, "ci95_low", num(v[i].lo));
        put(o, "ci95_high", num(v[i].hi));
        put(o, "verdict", json_string(v[i].pass ? "pass" : "fail"));
        put(o, "status", json_string(sim_status_str(v[i].status)));
        put(o, "lower_bound", num(v[i].bound));
        put(o, "why", json_string(mq_budget_why_str(v[i].why)));
        push(a, o);
    }
    return a;
}

int out_budget_cases(const mq_budget *b, const mq_budget_verdict *v, out_cases *c)
{
    for (size_t i = 0; b && i < b->n; i++) {
        char x[40], y[40];
        if (v[i].status >= SIM_CENSORED_AT_END)
            snprintf(x, sizeof x, ">= %s (%s)", out_fmt_double(y, v[i].bound, 0),
                     sim_status_str(v[i].status));
        else out_fmt_double(x, v[i].value, 0);
        if (out_cases_add(c, b->v[i].text, !v[i].pass, "%s %s; limit %s: %s",
                          b->v[i].metric, x, out_fmt_double(y, b->v[i].limit, 0),
                          mq_budget_why_str(v[i].why)))
            return -1;
    }
    return 0;
}

/* ---- groups ----------------------------------------------------------- */

/* One replication's per-group figures travel as metric rows named
** "group:<index>:<field>" so that replications run elsewhere (threads, MPI
** ranks; cli_par.h) can carry them in their metric table. The clients cut
** off at the end are split by why (mq_end_state; "refused" counts those a
** broker let in again later in the change, "refused_for_good" the others). */
enum {
    G_DMAX, G_DSUM, G_DISRUPTED, G_CUT, G_RECONNECTS, G_DUPS,
    G_REFUSED, G_REFUSED_FOR_GOOD, G_RECONNECTING, G_RESTART_LATER, G_GAVE_UP, G_NO_RECOVERY,
    G_NOT_RECORDED, GRP_NFIELDS
};
static const char *const grp_fields[GRP_NFIELDS] = {
    "dmax", "dsum", "disrupted", "cut", "reconnects", "dups",
    "refused", "refused_for_good", "reconnecting", "restart_later", "gave_up", "no_recovery",
    "not_recorded"};

/* sums over the replications (means when written) */
typedef struct grp_acc {
    double v[GRP_NFIELDS];
} grp_acc;

struct out_groups {
    const mq_scenario *s;
    size_t n;      /* producers then consumers */
    grp_acc *acc;
    unsigned reps;
};

out_groups *out_groups_new(const mq_scenario *s)
{
    out_groups *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->s = s;
    g->n = s->nproducers + s->nconsumers;
    g->acc = calloc(g->n ? g->n : 1, sizeof *g->acc);
    if (!g->acc) {
        free(g);
        return NULL;
    }
    return g;
}

void out_groups_free(out_groups *g)
{
    if (!g) return;
    free(g->acc);
    free(g);
}

static const char *group_name(const out_groups *g, size_t i)
{
    return i < g->s->nproducers ? g->s->producers[i].name
                                : g->s->consumers[i - g->s->nproducers].name;
}

int out_groups_rows(const out_groups *g, const mq_result *r, sim_metrics *rows)
{
    double (*one)[GRP_NFIELDS] = calloc(g->n ? g->n : 1, sizeof *one);
    if (!one) return -1;
    size_t at = 0; /* where the previous outage's group was */
    for (size_t k = 0; k < r->noutages; k++) {
        const mq_client_outage *o = &r->outages[k];
        /* outages list producers first, then consumers, in group order;
        ** names are unique across both kinds. The search starts at the
        ** previous outage's group, so the whole pass is linear in the
        ** number of groups (a scan from 0 each time was quadratic). */
        for (size_t j = 0; j < g->n; j++) {
            size_t i = (at + j) % g->n;
            if (strcmp(group_name(g, i), o->group) != 0) continue;
            at = i;
            one[i][G_DMAX] = fmax(one[i][G_DMAX], o->max_s);
            one[i][G_DSUM] += o->total_s;
            one[i][G_DISRUPTED] += o->drops > 0;
            one[i][G_CUT] += !o->connected_at_end;
            one[i][G_RECONNECTS] += o->reconnects;
            one[i][G_DUPS] += (double)o->duplicates;
            switch (o->end) {
            case MQ_END_REFUSED:
                one[i][isinf(o->refused_until) ? G_REFUSED_FOR_GOOD : G_REFUSED] += 1;
                break;
            case MQ_END_RECONNECTING: one[i][G_RECONNECTING] += 1; break;
            case MQ_END_RESTART_LATER: one[i][G_RESTART_LATER] += 1; break;
            case MQ_END_GAVE_UP: one[i][G_GAVE_UP] += 1; break;
            case MQ_END_NO_RECOVERY: one[i][G_NO_RECOVERY] += 1; break;
            case MQ_END_NOT_RECORDED: one[i][G_NOT_RECORDED] += 1; break;
            case MQ_END_CONNECTED: case MQ_END_NSTATES: break;
            }
            break;
        }
    }
    int rc = 0;
    for (size_t i = 0; i < g->n && rc == 0; i++)
        for (int f = 0; f < GRP_NFIELDS && rc == 0; f++) {
            char name[64];
            snprintf(name, sizeof name, "group:%zu:%s", i, grp_fields[f]);
            rc = sim_metrics_add(rows, name, one[i][f], "", SIM_BETTER_NONE);
        }
    free(one);
    return rc;
}

void out_groups_add_rows(out_groups *g, const sim_metrics *rows)
{
    for (size_t i = 0; i < g->n; i++) {
        double v[GRP_NFIELDS] = {0};
        for (int f = 0; f < GRP_NFIELDS; f++) {
            char name[64];
            snprintf(name, sizeof name, "group:%zu:%s", i, grp_fields[f]);
            const sim_metric *m = sim_metrics_find(rows, name);
            SIM_ASSERTF(m != NULL, "replication table lacks %s", name);
            v[f] = m->value;
        }
        for (int f = 0; f < GRP_NFIELDS; f++) g->acc[i].v[f] += v[f];
    }
    g->reps++;
}

void out_groups_add(out_groups *g, const mq_result *r)
{
    sim_metrics rows = {0};
    SIM_NEED_OK(out_groups_rows(g, r, &rows));
    out_groups_add_rows(g, &rows);
    sim_metrics_free(&rows);
}

json_t *out_groups_json(const out_groups *g)
{
    json_t *a = must(json_array());
    double n = g->reps ? g->reps : 1;
    for (size_t i = 0; i < g->n; i++) {
        bool cons = i >= g->s->nproducers;
        json_t *o = must(json_object());
        put(o, "group", json_string(group_name(g, i)));
        put(o, "role", json_string(cons ? "consumer" : "producer"));
        if (cons) {
            const mq_consumer_group *c = &g->s->consumers[i - g->s->nproducers];
            put(o, "profile", json_string(c->profile ? c->profile : ""));
            put(o, "clients", json_integer(c->count));
            put(o, "idempotent", json_boolean(c->idempotent));
        } else {
            const mq_producer_group *p = &g->s->producers[i];
            put(o, "profile", json_string(p->profile ? p->profile : ""));
            put(o, "clients", json_integer(p->count));
        }
        const double *v = g->acc[i].v;
        put(o, "disruption_max_s", num(v[G_DMAX] / n));
        put(o, "disruption_client_s", num(v[G_DSUM] / n));
        put(o, "clients_disrupted", num(v[G_DISRUPTED] / n));
        put(o, "clients_cut_off_at_end", num(v[G_CUT] / n));
        json_t *why = must(json_object()); /* adds up to clients_cut_off_at_end */
        for (int f = G_REFUSED; f <= G_NOT_RECORDED; f++)
            put(why, grp_fields[f], num(v[f] / n));
        put(o, "cut_off_at_end_why", why);
        put(o, "reconnects", num(v[G_RECONNECTS] / n));
        if (cons) put(o, "duplicates", num(v[G_DUPS] / n));
        push(a, o);
    }
    return a;
}

/* ---- assumptions ------------------------------------------------------ */

/* One client setting: its source string in the profile, its value in the
** profile and in a group (as doubles: enums and booleans compare as their
** integers), its key in the scenario echo ("reconnect.jitter") and in a
** client group of the scenario file ("reconnect.detect_silent"; the profile
** source's field has the same name). */
typedef struct setting {
    size_t src_off;  /* offsetof(mq_profile_src, field) */
    double (*prof)(const mq_profile *);
    double (*grp)(const void *group);
    const char *echo;
    const char *scn;
} setting;

#define GET(kind, field)                                                      \
    static double p_##kind##_##field##_(const mq_profile *p) { return (double)p->field; } \
    static double g_##kind##_##field##_(const void *g) { return (double)((const kind *)g)->field; }
#define GETR(kind, field)                                                     \
    static double p_##kind##_r_##field##_(const mq_profile *p) { return (double)p->reconnect.field; } \
    static double g_##kind##_r_##field##_(const void *g) { return (double)((const kind *)g)->reconnect.field; }
#define S(kind, src, field, echo)                                             \
    {offsetof(mq_profile_src, src), p_##kind##_##field##_, g_##kind##_##field##_, echo, #src}
#define SR(kind, src, field)                                                  \
    {offsetof(mq_profile_src, src), p_##kind##_r_##field##_, g_##kind##_r_##field##_,          \
     "reconnect." #field, "reconnect." #src}

#define COMMON(kind)                                                          \
    GET(kind, protocol) GET(kind, endpoint) GET(kind, route_refresh_s)        \
    GETR(kind, automatic) GETR(kind, backoff) GETR(kind, interval_s)          \
    GETR(kind, max_interval_s) GETR(kind, multiplier) GETR(kind, jitter)      \
    GETR(kind, max_attempts) GETR(kind, detect_silent_s) GETR(kind, app_restart_s)
#define COMMON_ROWS(kind)                                                     \
    S(kind, protocol, protocol, "protocol"), S(kind, endpoint, endpoint, "endpoint"), \
    S(kind, route_refresh, route_refresh_s, "route_refresh_s"),               \
    SR(kind, automatic, automatic), SR(kind, backoff, backoff),               \
    SR(kind, interval, interval_s), SR(kind, max_interval, max_interval_s),   \
    SR(kind, multiplier, multiplier), SR(kind, jitter, jitter),               \
    SR(kind, max_attempts, max_attempts), SR(kind, detect_silent, detect_silent_s), \
    SR(kind, app_restart, app_restart_s)

COMMON(mq_producer_group)
GET(mq_producer_group, send_timeout_s) GET(mq_producer_group, retries)
GET(mq_producer_group, retry_backoff_s) GET(mq_producer_group, confirms)
GET(mq_producer_group, confirm_latency_s) GET(mq_producer_group, ondown)
COMMON(mq_consumer_group)
GET(mq_consumer_group, prefetch) GET(mq_consumer_group, concurrency)
GET(mq_consumer_group, ack) GET(mq_consumer_group, commit_interval_s)
GET(mq_consumer_group, rebalance_s) GET(mq_consumer_group, pull_backoff_s)

static const setting producer_settings[] = {
    COMMON_ROWS(mq_producer_group),
    S(mq_producer_group, send_timeout, send_timeout_s, "send_timeout_s"),
    S(mq_producer_group, retries, retries, "retries"),
    S(mq_producer_group, retry_backoff, retry_backoff_s, "retry_backoff_s"),
    S(mq_producer_group, confirms, confirms, "confirms"),
    S(mq_producer_group, confirm_latency, confirm_latency_s, "confirm_latency_s"),
    S(mq_producer_group, ondown, ondown, "ondown"),
};
static const setting consumer_settings[] = {
    COMMON_ROWS(mq_consumer_group),
    S(mq_consumer_group, prefetch, prefetch, "prefetch"),
    S(mq_consumer_group, concurrency, concurrency, "concurrency"),
    S(mq_consumer_group, ack, ack, "ack"),
    S(mq_consumer_group, commit_interval, commit_interval_s, "commit_interval_s"),
    S(mq_consumer_group, rebalance, rebalance_s, "rebalance_s"),
    S(mq_consumer_group, pull_backoff, pull_backoff_s, "pull_backoff_s"),
};

static json_t *echo_value(json_t *group_echo, const char *key)
{
    const char *dot = strchr(key, '.');
    if (!dot) return json_object_get(group_echo, key);
    char head[64];
    snprintf(head, sizeof head, "%.*s", (int)(dot - key), key);
    return json_object_get(json_object_get(group_echo, head), dot + 1);
}

/* Add group `name` to the entry for (profile, key), creating it; `set`
** is the scenario key that overrides the default ("producers.web.retries"). */
static void note(json_t *list, const char *profile, const char *key, json_t *value,
                 const char *source, const char *name, const char *set)
{
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
        if (!strcmp(json_string_value(json_object_get(e, "profile")), profile) &&
            !strcmp(json_string_value(json_object_get(e, "key")), key) &&
            json_equal(json_object_get(e, "value"), value)) {
            push(json_object_get(e, "groups"), json_string(name));
            push(json_object_get(e, "set_with"), json_string(set));
            return;
        }
    }
    e = must(json_object());
    put(e, "profile", json_string(profile));
    put(e, "key", json_string(key));
    put(e, "value", json_deep_copy(value ? value : json_null()));
    put(e, "source", json_string(source));
    json_t *g = must(json_array()), *w = must(json_array());
    push(g, json_string(name));
    push(w, json_string(set));
    put(e, "groups", g);
    put(e, "set_with", w);
    push(list, e);
}

static void scan(json_t *list, const char *role, const char *name, const char *pname,
                 const void *group, json_t *echo, const setting *tab, size_t n)
{
    const mq_profile *p = pname ? mq_profile_find(pname) : NULL;
    if (!p) return;
    for (size_t k = 0; k < n; k++) {
        const char *src = *(const char *const *)((const char *)&p->src + tab[k].src_off);
        if (!src || strncmp(src, "assumption", 10) != 0) continue;
        double a = tab[k].prof(p), b = tab[k].grp(group);
        if (!(a == b || (isnan(a) && isnan(b)))) continue;
        char set[300];
        snprintf(set, sizeof set, "%s.%s.%s", role, name, tab[k].scn);
        note(list, p->name, tab[k].echo, echo_value(echo, tab[k].echo), src, name, set);
    }
}

json_t *out_assumptions_json(const mq_scenario *s)
{
    json_t *list = must(json_array());
    json_t *echo = out_scenario_json(s);
    json_t *pe = json_object_get(echo, "producers"), *ce = json_object_get(echo, "consumers");
    for (size_t i = 0; i < s->nproducers; i++)
        scan(list, "producers", s->producers[i].name, s->producers[i].profile, &s->producers[i],
             json_array_get(pe, i), producer_settings,
             sizeof producer_settings / sizeof *producer_settings);
    for (size_t i = 0; i < s->nconsumers; i++)
        scan(list, "consumers", s->consumers[i].name, s->consumers[i].profile, &s->consumers[i],
             json_array_get(ce, i), consumer_settings,
             sizeof consumer_settings / sizeof *consumer_settings);
    json_decref(echo);
    for (size_t i = 0; i < s->ndefaults; i++) { /* the change block's defaults */
        const mq_default *d = &s->defaults[i];
        const char *dot = strchr(d->key, '.');
        json_t *o = must(json_object());
        put(o, "profile", json_stringn(d->key, dot ? (size_t)(dot - d->key) : strlen(d->key)));
        put(o, "key", json_string(dot ? dot + 1 : d->key));
        put(o, "value", json_string(d->value));
        put(o, "source", json_string(d->source));
        put(o, "groups", must(json_array()));
        json_t *w = must(json_array());
        push(w, json_string(d->key));
        put(o, "set_with", w);
        push(list, o);
    }
    return list;
}

json_t *out_timeline_json(const sim_bands *b)
{
    json_t *a = must(json_array());
    for (size_t i = 0; i < b->n; i++) {
        json_t *o = must(json_object());
        put(o, "t0_s", num(b->v[i].t0));
        put(o, "t1_s", num(b->v[i].t1));
        put(o, "label", json_string(b->v[i].label));
        push(a, o);
    }
    return a;
}
