/*
** scn_rocketmq.h - the `rocketmq_change:` section of a scenario: its raw
** libcyaml shape (a fragment hooked into io/scn_schema.c's top level) and
** its conversion into a checked mq_rocketmq_change (called from
** io/scn_load.c once the rest of the scenario is loaded, because the rules
** and warnings look at the instance, brokers, client groups and events).
**
** Kept out of scn_load.c so the change type lives in two files of its own
** (this loader, models/mq_rocketmq.c for rules and model); the shared
** loader only gains one schema line and one call. Errors use the pre-pass
** index for "FILE:LINE:COL: rocketmq_change.<key>: message"; a broken
** change rule is reported at the key that breaks it, in the rule's words.
** The keys are documented in docs/SCENARIO.md ("RocketMQ configuration
** change").
*/
#ifndef SCN_ROCKETMQ_H
#define SCN_ROCKETMQ_H

#include "io/scn_yaml.h"
#include "models/mq_scenario.h"
#include "sim/sim_err.h"

#include <cyaml/cyaml.h>
#include <stdbool.h>

typedef struct scn_raw_rmq_to {
    int *edition, *sub_category;
    char *spec_tps;
    bool *internet;
    char *bandwidth, *storage;
} scn_raw_rmq_to;

typedef struct scn_raw_rmq_rolling {
    int *batch_size;
    char *node_downtime, *batch_interval;
} scn_raw_rmq_rolling;

typedef struct scn_raw_rmq_price {
    char *from, *to;
} scn_raw_rmq_price;

typedef struct scn_raw_rmq_billing {
    char *currency;
    scn_raw_rmq_price *price_per_month;
    char *cycle_months, *elapsed_months;
} scn_raw_rmq_billing;

typedef struct scn_raw_rocketmq {
    char *at;
    scn_raw_rmq_to *to;
    scn_raw_rmq_rolling *rolling;
    char *http_disruption;
    scn_raw_rmq_billing *billing;
} scn_raw_rocketmq;

/* Fields of the `rocketmq_change:` mapping, for the top-level schema:
**   CYAML_FIELD_MAPPING_PTR("rocketmq_change", OPTIONAL|POINTER, scn_raw,
**                           rocketmq_change, scn_rocketmq_fields) */
extern const cyaml_schema_field_t scn_rocketmq_fields[];

/* Convert and check `raw` (file = path for messages, idx = the pre-pass
** index) into a new s->rocketmq_change, appending warnings to s->warnings.
** Needs s's instance, run, brokers, groups and events loaded. 0 ok; -1 with
** err = "FILE:LINE:COL: ..." (s->rocketmq_change is then NULL or owned by s,
** freed by mq_scenario_free either way). */
int scn_rocketmq_load(const char *file, const scn_index *idx,
                      const scn_raw_rocketmq *raw, mq_scenario *s, sim_err *err);

#endif
