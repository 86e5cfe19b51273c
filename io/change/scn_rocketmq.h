/*
** scn_rocketmq.h - the `rocketmq_change:` section of a scenario: its raw
** libcyaml shape (a fragment hooked into io/scn_schema.c's top level) and
** its conversion into a checked mq_rocketmq_change (called from
** io/scn_load.c once the rest of the scenario is loaded, because the rules
** and warnings look at the instance, brokers, client groups and events).
**
** Kept out of scn_load.c so the change type lives in files of its own
** (this loader, models/change/mq_rocketmq*.c for rules and model); the
** shared loader reaches it through the registry (io/change/scn_changes.c). Errors use the pre-pass
** index for "FILE:LINE:COL: rocketmq_change.<key>: message"; a broken
** change rule is reported at the key that breaks it, in the rule's words.
** The keys are documented in docs/SCENARIO.md ("RocketMQ configuration
** change").
*/
#ifndef SCN_ROCKETMQ_H
#define SCN_ROCKETMQ_H

#include "io/change/scn_change.h"
#include "io/scn_yaml.h"
#include "models/mq_scenario.h"
#include "sim/sim_err.h"

#include <cyaml/cyaml.h>
#include <stdbool.h>

typedef struct scn_raw_rocketmq_to {
    int *edition, *sub_category;
    char *spec_tps;
    bool *internet;
    char *bandwidth, *storage;
} scn_raw_rocketmq_to;

typedef struct scn_raw_rocketmq_rolling {
    int *batch_size;
    char *node_downtime, *batch_interval;
} scn_raw_rocketmq_rolling;

typedef struct scn_raw_rocketmq_price {
    char *from, *to;
} scn_raw_rocketmq_price;

typedef struct scn_raw_rocketmq_billing {
    char *currency;
    scn_raw_rocketmq_price *price_per_month;
    char *cycle_months, *elapsed_months;
} scn_raw_rocketmq_billing;

typedef struct scn_raw_rocketmq {
    char *at;
    scn_raw_rocketmq_to *to;
    scn_raw_rocketmq_rolling *rolling;
    char *http_disruption;
    scn_raw_rocketmq_billing *billing;
} scn_raw_rocketmq;

/* Fields of the `rocketmq_change:` mapping (scn_rocketmq_io.fields). */
extern const cyaml_schema_field_t scn_rocketmq_fields[];

/* The type's io half (io/change/scn_changes.c lists it): load converts and
** checks the block (it needs s's instance, run, brokers, groups and events)
** into s->change, appending warnings to s->warnings. */
extern const scn_change_io scn_rocketmq_io;

#endif
