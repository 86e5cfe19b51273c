/*
** out_meta.c - summary.json's provenance block (see out_meta.h).
*/
#include "io/out_meta.h"

#include "io/out_json.h"
#include "sim/sim_err.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>

/* A NULL value (jansson's answer to a non-finite real or to text that is
** not UTF-8) leaves the key out, as summary.json always has. */
static void set(json_t *o, const char *key, json_t *v)
{
    if (v) SIM_NEED_OK(json_object_set_new(o, key, v));
}

/* mqsim_version and mode first, as every summary.json has them. */
static json_t *head(const char *mode)
{
    json_t *meta = json_object();
    SIM_NEED(meta != NULL, "out of memory");
    set(meta, "mqsim_version", json_string(MQSIM_VERSION));
    set(meta, "mode", json_string(mode));
    return meta;
}

/* The scenario echo and the warnings: the scenario's, then the run's. */
static void scenario_and_warnings(json_t *meta, const mq_scenario *s, const mq_result *r)
{
    set(meta, "scenario", out_scenario_json(s));
    json_t *warn = json_array();
    SIM_NEED(warn != NULL, "out of memory");
    for (size_t i = 0; i < s->warnings.n; i++)
        json_array_append_new(warn, json_string(s->warnings.v[i]));
    for (size_t i = 0; i < r->warnings.n; i++)
        json_array_append_new(warn, json_string(r->warnings.v[i]));
    set(meta, "warnings", warn);
}

static json_t *precision_json(const out_sim_meta *m)
{
    json_t *p = json_object();
    SIM_NEED(p != NULL, "out of memory");
    set(p, "target", json_real(m->precision));
    set(p, "max_replications", json_integer((json_int_t)m->max_replications));
    set(p, "reached", json_boolean(m->reached));
    set(p, "widest_metric", json_string(m->widest));
    set(p, "widest_relative_halfwidth", isfinite(m->widest_rel) ? json_real(m->widest_rel)
                                                                  : json_null());
    return p;
}

json_t *out_meta_sim(const mq_scenario *s, const out_sim_meta *m)
{
    json_t *meta = head("sim");
    set(meta, "seed", json_integer((json_int_t)m->seed));
    set(meta, "replications", json_integer((json_int_t)m->replications));
    if (m->precision > 0) set(meta, "precision", precision_json(m));
    char fp[32];
    snprintf(fp, sizeof fp, "%016" PRIx64, m->first->fingerprint);
    set(meta, "trace_fingerprint", json_string(fp));
    scenario_and_warnings(meta, s, m->first);
    if (m->replications > 1 && m->first->warnings.n > 0)
        set(meta, "warnings_note", json_string("the run's warnings (after the scenario's) quote "
                                               "replication 0's figures; the metrics are over "
                                               "all replications"));
    set(meta, "groups", out_groups_json(m->groups));
    set(meta, "assumptions", out_assumptions_json(s));
    set(meta, "timeline", out_timeline_json(&m->first->bands));
    if (s->budget) {
        set(meta, "budget", out_budget_json(s->budget, m->verdicts));
        set(meta, "verdict", json_string(m->nfail ? "fail" : "pass"));
    }
    if (m->delta) {
        json_t *b = json_object();
        SIM_NEED(b != NULL, "out of memory");
        set(b, "what", json_string("the same scenario without its events and change, on common "
                                   "random numbers"));
        set(b, "effect_of", json_string(mq_effect_words(mq_scenario_effect(s))));
        set(b, "deltas", out_metrics_json(m->delta));
        set(meta, "baseline", b);
    }
    return meta;
}

json_t *out_meta_real(const mq_scenario *s, const mq_result *r, const char *broker,
                      bool broker_started, double duration_s, double drain_s)
{
    json_t *meta = head("real");
    set(meta, "broker", json_string(broker));
    set(meta, "broker_started", json_boolean(broker_started));
    set(meta, "duration_s", json_real(duration_s));
    set(meta, "drain_s", json_real(drain_s));
    scenario_and_warnings(meta, s, r);
    return meta;
}

json_t *out_meta_alt_start(const mq_start_choice *c, const sim_metrics *current,
                           const sim_metrics *suggested)
{
    json_t *o = json_object(), *cm = json_object(), *sm = json_object();
    SIM_NEED(o && cm && sm, "out of memory");
    char a[16], b[16];
    snprintf(a, sizeof a, "%02d:%02d", (int)(c->current_at_s / 3600) % 24,
             (int)fmod(c->current_at_s / 60, 60));
    snprintf(b, sizeof b, "%02d:00", (int)(c->best_at_s / 3600));
    set(o, "current_start", json_string(a));
    set(o, "suggested_start", json_string(b));
    set(o, "offered_rate_current", json_real(c->current_rate));
    set(o, "offered_rate_suggested", json_real(c->best_rate));
    static const char *const keys[] = {"delay_p99_s", "delay_all_p99_s", "duplicates", "lost",
                                       "disruption_max_s"};
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        const sim_metric *x = sim_metrics_find(current, keys[k]);
        const sim_metric *y = sim_metrics_find(suggested, keys[k]);
        if (x && isfinite(x->value)) set(cm, keys[k], json_real(x->value));
        if (y && isfinite(y->value)) set(sm, keys[k], json_real(y->value));
    }
    set(o, "current", cm);
    set(o, "suggested", sm);
    return o;
}
