/*
** out_json.c - summary.json and out_scenario_json (see out_json.h).
**
** Building JSON with jansson allocates per node; an allocation failure there
** is treated like any other out-of-memory in a writer that cannot do without
** the value: put()/num() abort through sim_fatal instead of threading a
** status through dozens of calls. The scenario echo is written as one small
** function per entity so a field added to mq_scenario.h is a one-line
** change next to its neighbours.
*/
#include "io/out_json.h"
#include "io/out_file.h"
#include "io/change/scn_change.h"
#include "io/scn_schema.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define JSON_FLAGS (JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(17))

/* Set o[k] = v, stealing v. */
static void put(json_t *o, const char *k, json_t *v)
{
    if (!v || json_object_set_new(o, k, v) != 0)
        sim_oom(__FILE__, __LINE__, "out of memory building JSON key '%s'", k);
}

static void push(json_t *a, json_t *v)
{
    if (!v || json_array_append_new(a, v) != 0)
        sim_oom(__FILE__, __LINE__, "out of memory building JSON array");
}

static json_t *obj(void)
{
    json_t *o = json_object();
    if (!o) sim_oom(__FILE__, __LINE__, "out of memory building JSON");
    return o;
}

static json_t *arr(void)
{
    json_t *a = json_array();
    if (!a) sim_oom(__FILE__, __LINE__, "out of memory building JSON");
    return a;
}

/* A number, or null when not finite (JSON has no NAN/INFINITY). */
static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *u64(uint64_t v)
{
    if (v <= (uint64_t)INT64_MAX) return json_integer((json_int_t)v);
    char b[24];
    snprintf(b, sizeof b, "%llu", (unsigned long long)v);
    return json_string(b);
}

static const char *better_name(sim_better b)
{
    switch (b) {
    case SIM_BETTER_LOWER: return "lower";
    case SIM_BETTER_HIGHER: return "higher";
    case SIM_BETTER_NONE: break;
    }
    return "none";
}

json_t *out_metrics_find(json_t *metrics, const char *name)
{
    size_t i;
    json_t *m;
    json_array_foreach(metrics, i, m) {
        const char *k = json_string_value(json_object_get(m, "metric"));
        if (k && !strcmp(k, name)) return m;
    }
    return NULL;
}

json_t *out_metrics_json(const sim_metrics *m)
{
    json_t *a = arr();
    for (size_t i = 0; i < m->n; i++) {
        const sim_metric *x = &m->v[i];
        json_t *o = obj();
        put(o, "metric", json_string(x->name));
        put(o, "value", num(x->value));
        put(o, "ci95_low", num(x->ci_lo));
        put(o, "ci95_high", num(x->ci_hi));
        put(o, "unit", json_string(x->unit ? x->unit : ""));
        put(o, "better", json_string(better_name(x->better)));
        put(o, "status", json_string(sim_status_str(x->status)));
        put(o, "lower_bound", num(x->bound));
        push(a, o);
    }
    return a;
}

int out_json_file(const char *path, const json_t *value, sim_err *err)
{
    out_file f;
    if (out_file_open(&f, path, err)) return -1;
    if (json_dumpf(value, f.fp, JSON_FLAGS) != 0) {
        out_file_abort(&f);
        return sim_err_set(err, "%s: cannot serialise JSON", path);
    }
    fputc('\n', f.fp);
    return out_file_commit(&f, err);
}

int out_summary_json(const char *path, const sim_metrics *m, json_t *meta,
                     sim_err *err)
{
    json_t *root = obj();
    if (meta && json_object_update(root, meta) != 0) {
        json_decref(root);
        return sim_err_set(err, "%s: metadata is not a JSON object", path);
    }
    put(root, "metrics", out_metrics_json(m));
    int rc = out_json_file(path, root, err);
    json_decref(root);
    return rc;
}

/* ---- scenario echo ----------------------------------------------------- */

/* Every enum is written with its scenario spelling (scn_schema.h). */
static const char *kind_name(mq_kind k) { return SCN_ENUM_STR(scn_kind_strs, k, "?"); }
static const char *edition_name(mq_edition e) { return SCN_ENUM_STR(scn_edition_strs, e, "?"); }
static const char *series_name(mq_series s) { return SCN_ENUM_STR(scn_series_strs, s, "?"); }
static const char *subcat_name(mq_subcat s) { return SCN_ENUM_STR(scn_subcat_strs, s, "none"); }
static const char *billing_name(mq_billing b) { return SCN_ENUM_STR(scn_billing_strs, b, "?"); }
static const char *endpoint_name(mq_endpoint e) { return SCN_ENUM_STR(scn_endpoint_strs, e, "?"); }
static const char *ondown_name(mq_ondown o) { return SCN_ENUM_STR(scn_ondown_strs, o, "?"); }
static const char *event_name(mq_event_type t) { return SCN_ENUM_STR(scn_event_strs, t, "?"); }
static const char *deploy_name(mq_deploy d) { return SCN_ENUM_STR(scn_deploy_strs, d, "?"); }
static const char *state_name(mq_state s) { return SCN_ENUM_STR(scn_state_strs, s, "?"); }
static const char *proto_name(mq_protocol p) { return SCN_ENUM_STR(scn_protocol_strs, p, "?"); }
static const char *arrivals_name(mq_arrivals a) { return SCN_ENUM_STR(scn_arrivals_strs, a, "?"); }
static const char *ack_name(mq_ackmode a) { return SCN_ENUM_STR(scn_ack_strs, a, "?"); }
static const char *backoff_name(mq_backoff b) { return SCN_ENUM_STR(scn_backoff_strs, b, "?"); }

static json_t *str_or_null(const char *s) { return s ? json_string(s) : json_null(); }

/* Name of entity i in a table of n, or null when out of range (-1). */
#define NAME_AT(arr, n, i) \
    ((i) >= 0 && (size_t)(i) < (n) ? str_or_null((arr)[i].name) : json_null())

static json_t *dist_json(const sim_dist *d)
{
    json_t *o = obj(), *p = obj();
    put(o, "dist", json_string(sim_dist_kind_name(d->kind)));
    const char *n1 = "value", *n2 = NULL;
    switch (d->kind) {
    case SIM_DIST_CONSTANT: n1 = "value"; break;
    case SIM_DIST_EXPONENTIAL: n1 = "mean"; break;
    case SIM_DIST_UNIFORM: n1 = "lo"; n2 = "hi"; break;
    case SIM_DIST_LOGNORMAL: n1 = "zeta"; n2 = "sigma"; break;
    case SIM_DIST_GAMMA: n1 = "shape"; n2 = "scale"; break;
    case SIM_DIST_WEIBULL: n1 = "scale"; n2 = "shape"; break;
    case SIM_DIST_NORMAL_POS: n1 = "mean"; n2 = "sd"; break;
    }
    put(p, n1, num(d->p1));
    if (n2) put(p, n2, num(d->p2));
    put(o, "params", p);
    put(o, "mean", num(sim_dist_mean(d)));
    return o;
}

static json_t *instance_json(const mq_instance *in)
{
    json_t *o = obj();
    put(o, "kind", json_string(kind_name(in->kind)));
    put(o, "edition", json_string(edition_name(in->edition)));
    put(o, "series", json_string(series_name(in->series)));
    put(o, "sub_category", json_string(subcat_name(in->sub_category)));
    put(o, "spec_tps", num(in->spec_tps));
    put(o, "deployment", json_string(deploy_name(in->deployment)));
    put(o, "billing", json_string(billing_name(in->billing)));
    put(o, "state", json_string(state_name(in->state)));
    put(o, "internet", json_boolean(in->internet));
    put(o, "bandwidth_mbps", num(in->bandwidth_mbps));
    return o;
}

static json_t *run_json(const mq_run_cfg *r)
{
    json_t *o = obj();
    put(o, "duration_s", num(r->duration_s));
    put(o, "warmup_s", num(r->warmup_s));
    put(o, "sample_s", num(r->sample_s));
    put(o, "drain_from_s", num(r->drain_from_s));
    put(o, "retention_s", num(r->retention_s));
    put(o, "rtt_s", num(r->rtt_s));
    put(o, "start_clock_s", num(r->start_clock_s));
    put(o, "seed", u64(r->seed));
    return o;
}

static json_t *rate_json(const mq_rate *r)
{
    json_t *o = obj(), *steps = arr();
    put(o, "arrivals", json_string(arrivals_name(r->arrivals)));
    for (size_t i = 0; i < r->nsteps; i++) {
        json_t *st = obj();
        put(st, "at_s", num(r->steps[i].at_s));
        put(st, "rate", num(r->steps[i].rate));
        push(steps, st);
    }
    put(o, "steps", steps);
    put(o, "period_s", num(r->period_s));
    return o;
}

static json_t *reconnect_json(const mq_reconnect *r)
{
    json_t *o = obj();
    put(o, "automatic", json_boolean(r->automatic));
    put(o, "backoff", json_string(backoff_name(r->backoff)));
    put(o, "interval_s", num(r->interval_s));
    put(o, "max_interval_s", num(r->max_interval_s));
    put(o, "multiplier", num(r->multiplier));
    put(o, "jitter", num(r->jitter));
    put(o, "max_attempts", json_integer(r->max_attempts));
    put(o, "detect_silent_s", num(r->detect_silent_s));
    put(o, "app_restart_s", num(r->app_restart_s));
    return o;
}

static json_t *producer_json(const mq_scenario *s, const mq_producer_group *g)
{
    json_t *o = obj();
    put(o, "name", str_or_null(g->name));
    put(o, "profile", str_or_null(g->profile));
    put(o, "count", json_integer(g->count));
    put(o, "queue", NAME_AT(s->queues, s->nqueues, g->queue));
    put(o, "rate", rate_json(&g->rate));
    put(o, "msg_size_bytes", num(g->msg_size_bytes));
    put(o, "protocol", json_string(proto_name(g->protocol)));
    put(o, "endpoint", json_string(endpoint_name(g->endpoint)));
    put(o, "send_timeout_s", num(g->send_timeout_s));
    put(o, "retries", json_integer(g->retries));
    put(o, "retry_backoff_s", num(g->retry_backoff_s));
    put(o, "confirms", json_boolean(g->confirms));
    put(o, "confirm_latency_s", num(g->confirm_latency_s));
    put(o, "ondown", json_string(ondown_name(g->ondown)));
    put(o, "reconnect", reconnect_json(&g->reconnect));
    put(o, "route_refresh_s", num(g->route_refresh_s));
    return o;
}

static json_t *consumer_json(const mq_scenario *s, const mq_consumer_group *g)
{
    json_t *o = obj();
    put(o, "name", str_or_null(g->name));
    put(o, "profile", str_or_null(g->profile));
    put(o, "count", json_integer(g->count));
    put(o, "queue", NAME_AT(s->queues, s->nqueues, g->queue));
    put(o, "prefetch", json_integer(g->prefetch));
    put(o, "concurrency", json_integer(g->concurrency));
    put(o, "processing", dist_json(&g->processing));
    put(o, "ack", json_string(ack_name(g->ack)));
    put(o, "protocol", json_string(proto_name(g->protocol)));
    put(o, "endpoint", json_string(endpoint_name(g->endpoint)));
    put(o, "idempotent", json_boolean(g->idempotent));
    put(o, "commit_interval_s", num(g->commit_interval_s));
    put(o, "reconnect", reconnect_json(&g->reconnect));
    put(o, "route_refresh_s", num(g->route_refresh_s));
    put(o, "rebalance_s", num(g->rebalance_s));
    put(o, "pull_backoff_s", num(g->pull_backoff_s));
    return o;
}

static json_t *event_json(const mq_scenario *s, const mq_event *e)
{
    json_t *o = obj();
    put(o, "type", json_string(event_name(e->type)));
    put(o, "at_s", num(e->at_s));
    put(o, "broker", NAME_AT(s->brokers, s->nbrokers, e->broker));
    if (e->ngroups == 0) {
        put(o, "groups", json_null());
    } else {
        json_t *g = arr();
        for (size_t i = 0; i < e->ngroups; i++) {
            const mq_group_ref *r = &e->groups[i];
            push(g, r->consumer ? NAME_AT(s->consumers, s->nconsumers, r->index)
                                : NAME_AT(s->producers, s->nproducers, r->index));
        }
        put(o, "groups", g);
    }
    put(o, "duration_s", num(e->duration_s));
    put(o, "silent", json_boolean(e->silent));
    put(o, "label", str_or_null(e->label));
    return o;
}

json_t *out_scenario_json(const mq_scenario *s)
{
    json_t *o = obj(), *a;
    put(o, "path", str_or_null(s->path));
    put(o, "name", str_or_null(s->name));
    put(o, "description", str_or_null(s->description));
    put(o, "instance", instance_json(&s->instance));
    put(o, "run", run_json(&s->run));

    a = arr();
    for (size_t i = 0; i < s->nclusters; i++) {
        json_t *c = obj();
        put(c, "name", str_or_null(s->clusters[i].name));
        push(a, c);
    }
    put(o, "clusters", a);

    a = arr();
    for (size_t i = 0; i < s->nbrokers; i++) {
        const mq_broker *b = &s->brokers[i];
        json_t *c = obj();
        put(c, "name", str_or_null(b->name));
        put(c, "cluster", NAME_AT(s->clusters, s->nclusters, b->cluster));
        put(c, "capacity_tps", num(b->capacity_tps));
        push(a, c);
    }
    put(o, "brokers", a);

    a = arr();
    for (size_t i = 0; i < s->nqueues; i++) {
        const mq_queue *q = &s->queues[i];
        json_t *c = obj();
        put(c, "name", str_or_null(q->name));
        put(c, "broker", NAME_AT(s->brokers, s->nbrokers, q->broker));
        push(a, c);
    }
    put(o, "queues", a);

    a = arr();
    for (size_t i = 0; i < s->nproducers; i++) push(a, producer_json(s, &s->producers[i]));
    put(o, "producers", a);

    a = arr();
    for (size_t i = 0; i < s->nconsumers; i++) push(a, consumer_json(s, &s->consumers[i]));
    put(o, "consumers", a);

    a = arr();
    for (size_t i = 0; i < s->nbacklogs; i++) {
        const mq_backlog *b = &s->backlogs[i];
        json_t *c = obj();
        put(c, "queue", NAME_AT(s->queues, s->nqueues, b->queue));
        put(c, "messages", u64(b->messages));
        put(c, "age", dist_json(&b->age));
        push(a, c);
    }
    put(o, "backlogs", a);

    a = arr();
    for (size_t i = 0; i < s->nscheduled; i++) {
        const mq_scheduled *b = &s->scheduled[i];
        json_t *c = obj();
        put(c, "queue", NAME_AT(s->queues, s->nqueues, b->queue));
        put(c, "messages", u64(b->messages));
        put(c, "deliver_at", dist_json(&b->deliver_at));
        put(c, "ttl_s", num(b->ttl_s));
        push(a, c);
    }
    put(o, "scheduled", a);

    a = arr();
    for (size_t i = 0; i < s->nevents; i++) push(a, event_json(s, &s->events[i]));
    put(o, "events", a);

    for (size_t i = 0; scn_changes[i]; i++) /* the change under its own key */
        if (s->change.ops == scn_changes[i]->ops)
            put(o, s->change.ops->key, scn_changes[i]->to_json(s, s->change.cfg));
    a = arr();
    for (size_t i = 0; i < s->ndefaults; i++) {
        json_t *d = obj();
        put(d, "key", json_string(s->defaults[i].key));
        put(d, "value", json_string(s->defaults[i].value));
        put(d, "source", json_string(s->defaults[i].source));
        push(a, d);
    }
    put(o, "change_defaults", a);
    return o;
}

/* The helpers above, for the change types' own JSON (io/change/). */
void out_json_put(json_t *o, const char *k, json_t *v) { put(o, k, v); }
json_t *out_json_obj(void) { return obj(); }
json_t *out_json_num(double v) { return num(v); }
json_t *out_json_dist(const sim_dist *d) { return dist_json(d); }
const char *out_json_edition_name(mq_edition e) { return edition_name(e); }
const char *out_json_series_name(mq_series s) { return series_name(s); }
const char *out_json_subcat_name(mq_subcat s) { return subcat_name(s); }
const char *out_json_deploy_name(mq_deploy d) { return deploy_name(d); }
