/*
** scn_rabbitmq.h - the `rabbitmq_conversion:` section of a scenario: its raw
** libcyaml shape (a fragment hooked into io/scn_schema.c's top level) and
** its conversion into a checked mq_rabbitmq_conversion (models/change/mq_rabbitmq.h).
**
** Called from io/scn_load.c after the rest of the scenario is loaded,
** because the rules look at the instance (kind, series, edition,
** deployment, state) and the run length. Each rule that fails is reported
** as "FILE:LINE:COL: <key>: <the rule in plain words>" at the key that
** breaks it (line:col from the pre-pass index); the older-instance rule is a
** warning appended to mq_scenario.warnings. Keys, units, defaults and
** sources: docs/SCENARIO.md, "RabbitMQ shared <-> dedicated conversion".
*/
#ifndef SCN_RABBITMQ_H
#define SCN_RABBITMQ_H

#include "io/change/scn_change.h"
#include "io/scn_yaml.h"
#include "models/mq_scenario.h"
#include "sim/sim_err.h"

#include <cyaml/cyaml.h>

typedef struct scn_raw_rb_to {
    int *edition, *series, *deployment, *billing;
    char *spec_tps;
} scn_raw_rb_to;

typedef struct scn_raw_rb_dest {
    char *create_time, *capacity_tps, *other_tenants_tps;
} scn_raw_rb_dest;

typedef struct scn_raw_rb_phases {
    char *dual_write, *single_write;
} scn_raw_rb_phases;

typedef struct scn_raw_rb_dist {
    int dist;             /* SIM_DIST_CONSTANT, _UNIFORM or _EXPONENTIAL */
    char *value, *min, *max, *mean;
} scn_raw_rb_dist;

typedef struct scn_raw_rb_at {
    char *at;
} scn_raw_rb_at;

typedef struct scn_raw_rabbitmq {
    char *at;
    scn_raw_rb_to *to;
    int *instance_age;    /* 0 new, 1 old */
    scn_raw_rb_dest *destination;
    scn_raw_rb_phases *phases;
    scn_raw_rb_dist *privatelink_outage;
    int *source_stop;     /* mq_rb_stop */
    int *server_disconnect; /* mq_rb_when */
    scn_raw_rb_at *source_upgrade_disconnect;
} scn_raw_rabbitmq;

/* Fields of the `rabbitmq_conversion:` mapping (scn_rabbitmq_io.fields). */
extern const cyaml_schema_field_t scn_rabbitmq_fields[];

/* The type's io half (io/change/scn_changes.c lists it): load checks the
** rules and sets s->change to the conversion. */
extern const scn_change_io scn_rabbitmq_io;

#endif
