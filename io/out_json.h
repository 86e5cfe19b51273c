/*
** out_json.h - summary.json (jansson) and the scenario-as-JSON echo.
**
** summary.json is the machine-readable twin of summary.csv plus the run's
** provenance:
**   { "mqsim_version": ..., "mode": "sim", "seed": ..., "scenario": {...},
**     "metrics": [ {"metric", "value", "ci95_low", "ci95_high", "unit",
**                   "better"} ... ],
**     "warnings": [...] }
** The top-level keys other than "metrics" come from the caller's `meta`
** object, so this module does not need to know the version string or the
** run mode. Written with JSON_INDENT(2)|JSON_SORT_KEYS|JSON_REAL_PRECISION(17)
** through out_file: byte-identical for identical inputs, and atomic.
** Non-finite numbers (NAN CI, INFINITY) are written as null; "better" is
** "lower", "higher" or "none" (compare needs it and the CSV lacks it).
*/
#ifndef OUT_JSON_H
#define OUT_JSON_H

#include "models/mq_scenario.h"
#include "sim/sim_err.h"
#include "sim/sim_table.h"

#include <jansson.h>

/* Write summary.json. meta (may be NULL) is borrowed: its keys are copied to
** the top level (e.g. mqsim_version, mode, seed, scenario, warnings); a
** "metrics" key in meta is replaced by m. */
int out_summary_json(const char *path, const sim_metrics *m, json_t *meta,
                     sim_err *err);

/* The metrics table as a JSON array (the "metrics" value above).
** New reference; caller json_decref()s. Aborts on out-of-memory. */
json_t *out_metrics_json(const sim_metrics *m);

/* The object of metric `name` in such an array (borrowed), or NULL. */
json_t *out_metrics_find(json_t *metrics, const char *name);

/* Write any JSON value atomically with the summary.json flags. value is
** borrowed. */
int out_json_file(const char *path, const json_t *value, sim_err *err);

/* Every parameter of s as a JSON object, for summary.json and reports.
** Conventions: durations in seconds under keys ending in "_s"; enums as
** lowercase names ("rocketmq", "payg", "broker_restart", ...); distributions
** as {"dist": "<kind>", "params": {<named parameters>}, "mean": m};
** references (broker, queue, group) by name; "broker": null / "groups": null
** in an event means every broker / every group; uint64 counts and the seed
** are integers (a string of digits if above INT64_MAX). Source locations are
** left out. New reference; caller json_decref()s. Aborts (sim_fatal) on
** out-of-memory. */
json_t *out_scenario_json(const mq_scenario *s);

/* Building blocks for a change type's summary JSON (io/change/): set
** o[k] = v stealing v, a new object, a number (null when not finite), a
** distribution, and the spellings of the instance's enums. Out-of-memory
** is fatal (sim_oom). */
void out_json_put(json_t *o, const char *k, json_t *v);
json_t *out_json_obj(void);
json_t *out_json_num(double v);
json_t *out_json_dist(const sim_dist *d);
const char *out_json_edition_name(mq_edition e);
const char *out_json_series_name(mq_series s);
const char *out_json_subcat_name(mq_subcat s);
const char *out_json_deploy_name(mq_deploy d);

#endif
