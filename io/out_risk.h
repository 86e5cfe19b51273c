/*
** out_risk.h - the risk-report additions to a results folder (issue 6):
** budget.csv, summary_delta.csv, and the summary.json sections a report
** needs and the metric table cannot hold: the budget verdicts, per-client-
** group results, the profile defaults marked "assumption" that the run
** relied on, and the phase/event timeline.
**
** budget.csv columns: line,metric,value,ci95_low,ci95_high,limit,verdict,
** status,lower_bound,why (verdict "pass" or "fail"; CI fields empty without
** an interval; value "nan" when the metric was not measured, then status
** says why and lower_bound holds a censored metric's bound; why is
** mq_budget_why_str). summary_delta.csv has
** summary.csv's layout (metric,value,ci95_low,ci95_high,unit) holding the
** mean paired difference change - baseline and its CI, so
** out_read_summary_csv reads it back.
**
** JSON builders return new references the caller json_decref()s (they abort
** on out-of-memory, like out_json.c). Everything else is borrowed.
*/
#ifndef OUT_RISK_H
#define OUT_RISK_H

#include "models/mq_budget.h"
#include "models/mq_model.h"
#include "sim/sim_err.h"

#include <jansson.h>

/* budget.csv from the budget and its verdicts v[0..b->n-1]. */
int out_budget_csv(const char *path, const mq_budget *b, const mq_budget_verdict *v,
                   sim_err *err);
/* [{"line","metric","op","limit","value","ci95_low","ci95_high","verdict",
**   "status","lower_bound","why"}]; v NULL: the lines alone, [{"line",
**   "metric","op","limit"}] (what the plots draw, known before any run). */
json_t *out_budget_json(const mq_budget *b, const mq_budget_verdict *v);

/* One CI test case per budget line: the line, whether it failed, and
** "value: why". 0, or -1 on out-of-memory. */
struct out_cases;
int out_budget_cases(const mq_budget *b, const mq_budget_verdict *v, struct out_cases *c);

/* Per-client-group results, averaged over the replications added. */
typedef struct out_groups out_groups;
/* NULL on out-of-memory. s is borrowed until out_groups_free. */
out_groups *out_groups_new(const mq_scenario *s);
void out_groups_add(out_groups *g, const mq_result *r);
/* The same in two steps, for replications run on other threads or ranks:
** append one replication's per-group figures to `rows` as metric rows
** ("group:<i>:<field>"; 0, or -1 on out-of-memory), then add such rows. */
int out_groups_rows(const out_groups *g, const mq_result *r, sim_metrics *rows);
void out_groups_add_rows(out_groups *g, const sim_metrics *rows);
/* [{"group","role","profile","clients","disruption_max_s",
**   "disruption_client_s","clients_disrupted","clients_cut_off_at_end",
**   "reconnects","idempotent" and "duplicates" (consumers: the duplicate
**   deliveries its clients processed)}], means over replications. */
json_t *out_groups_json(const out_groups *g);
void out_groups_free(out_groups *g);

/* Profile defaults whose source says "assumption" and whose value the
** scenario kept: [{"profile","key","value","source","groups":[...],
** "set_with":[scenario key per group, e.g. "producers.web.send_timeout"]}], then
** every change-block default the scenario relied on (profile = the block's
** key, groups empty). */
json_t *out_assumptions_json(const mq_scenario *s);

/* Bands as [{"t0_s","t1_s","label"}]. */
json_t *out_timeline_json(const sim_bands *b);

#endif
