/*
** out_meta.h - the provenance block of summary.json: how a run was made,
** for `mqsim run` (mode "sim") and `mqsim load` (mode "real"), built in one
** place so both modes share the common keys (mqsim_version, mode, scenario,
** warnings) and the CLI only passes what it decided.
**
** Keys of a simulated run: seed, replications, precision (with --precision:
** target, max_replications, reached, widest_metric,
** widest_relative_halfwidth), trace_fingerprint, groups, assumptions,
** timeline, budget and verdict (with a budget), baseline (with a paired
** baseline), alternative_start (out_meta_alt_start). Of a real run: broker,
** broker_started, duration_s, drain_s.
**
** Every builder returns a new reference the caller json_decref()s; the
** inputs are borrowed. Out-of-memory aborts (sim_err.h's policy).
*/
#ifndef OUT_META_H
#define OUT_META_H

#include "io/out_risk.h"
#include "models/mq_budget.h"
#include "models/mq_model.h"
#include "models/mq_start.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* The version summary.json records and `mqsim version` prints. */
#ifndef MQSIM_VERSION
#define MQSIM_VERSION "0.1.0"
#endif

/* What `mqsim run` decided and measured, for its summary.json. */
typedef struct out_sim_meta {
    uint64_t seed, replications;
    double precision;            /* --precision target, 0 = not given */
    uint64_t max_replications;
    bool reached;                /* the target was reached */
    const char *widest;          /* the metric with the widest relative CI */
    double widest_rel;           /* its relative half-width (NAN: none) */
    const mq_result *first;      /* replication 0: fingerprint, warnings, timeline */
    const out_groups *groups;
    const mq_budget_verdict *verdicts; /* scenario budget's, when it has one */
    size_t nfail;                /* failing budget lines */
    const sim_metrics *delta;    /* paired change - baseline; NULL: no baseline */
} out_sim_meta;

json_t *out_meta_sim(const mq_scenario *s, const out_sim_meta *m);

/* What `mqsim load` measured against a real broker. */
json_t *out_meta_real(const mq_scenario *s, const mq_result *r, const char *broker,
                      bool broker_started, double duration_s, double drain_s);

/* The start-time search's comparison: current and suggested start (HH:MM),
** their offered rates, and delay_p99_s, duplicates, lost and
** disruption_max_s at each (finite values only). */
json_t *out_meta_alt_start(const mq_start_choice *c, const sim_metrics *current,
                           const sim_metrics *suggested);

#endif
