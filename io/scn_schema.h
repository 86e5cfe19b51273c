/*
** scn_schema.h - the raw shape of a scenario file, as libcyaml loads it.
**
** The raw structs mirror the YAML one to one: quantities with units
** (durations, sizes, rates, fractions) stay strings here and are converted
** by scn_load.c with io/units.h, so a bad unit is reported at the scalar's
** own line:col. Integers, booleans and enums are typed (cyaml converts them
** after the pre-pass in scn_yaml.c has checked them strictly). Optional
** scalars are pointers: NULL means "absent, use the default".
**
** The one thing libcyaml cannot express is a key whose value is either a
** scalar or a mapping: producers[].rate ("500" or {steps, period}). The
** schema marks it CYAML_FIELD_IGNORE; scn_schema_poly() gives the pre-pass
** the mapping shape to validate, and scn_load.c reads the rate from the
** pre-pass's node index.
**
** Ownership: a scn_raw comes from cyaml_load_data() with scn_cyaml_config
** and scn_schema_top, and is released with cyaml_free() on the same pair.
*/
#ifndef SCN_SCHEMA_H
#define SCN_SCHEMA_H

#include <cyaml/cyaml.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct raw_dist {
    int dist;             /* SIM_DIST_* (enum checked by the pre-pass) */
    char *value, *mean, *min, *max, *median, *scale; /* durations */
    char *sigma, *shape;  /* plain numbers */
} raw_dist;

typedef struct raw_reconnect {
    bool *automatic;
    int *backoff;
    char *interval, *max_interval, *multiplier, *jitter;
    int *max_attempts;
    char *heartbeat_detect, *app_restart;
} raw_reconnect;

typedef struct raw_run {
    char *duration, *warmup, *sample_interval, *drain_from, *retention, *rtt;
    char *start_at;
    uint64_t *seed;
} raw_run;

typedef struct raw_instance {
    int kind;
    int *edition, *series, *sub_category, *deployment, *billing, *state;
    char *spec_tps;
    bool *internet;
    char *bandwidth;
} raw_instance;

typedef struct raw_broker {
    char *name;
    char *capacity_tps;
} raw_broker;

typedef struct raw_cluster {
    char *name;
    raw_broker *brokers;
    unsigned brokers_count;
} raw_cluster;

typedef struct raw_queue {
    char *name;
    char *broker;
    int *type;
} raw_queue;

typedef struct raw_delayed {
    char *fraction;
    raw_dist *delay;
    char *ttl;
} raw_delayed;

typedef struct raw_producer {
    char *name, *queue, *profile;
    int *count;
    int *arrivals;
    char *message_size;
    int *protocol, *endpoint;
    char *send_timeout;
    int *retries;
    char *retry_backoff;
    bool *confirms;
    bool *confirm_wait_times_out;
    char *confirm_latency;
    int *on_disconnect;
    char *route_refresh;
    raw_reconnect *reconnect;
    raw_delayed *delayed;
} raw_producer;

typedef struct raw_consumer {
    char *name, *queue, *profile;
    int *count, *prefetch, *concurrency;
    raw_dist *processing;
    int *ack, *protocol, *endpoint;
    bool *idempotent;
    bool *process_buffer_on_close;
    char *commit_interval, *route_refresh, *rebalance, *pull_backoff;
    raw_reconnect *reconnect;
} raw_consumer;

typedef struct raw_backlog {
    char *queue;
    uint64_t messages;
    raw_dist *age;
} raw_backlog;

typedef struct raw_scheduled {
    char *queue;
    uint64_t messages;
    raw_dist *deliver_at;
    char *ttl;
} raw_scheduled;

typedef struct raw_event {
    char *at;
    int type;             /* mq_event_type */
    char *broker;
    char **groups;
    unsigned groups_count;
    char *duration;
    int *detection;       /* 0 reset, 1 silent */
    char *label;
    char *rolling;        /* app_restart: gap between clients (duration) */
} raw_event;

typedef struct scn_raw {
    char *name, *description;
    raw_run *run;
    raw_instance *instance;
    raw_cluster *clusters;   unsigned clusters_count;
    raw_queue *queues;       unsigned queues_count;
    raw_producer *producers; unsigned producers_count;
    raw_consumer *consumers; unsigned consumers_count;
    raw_backlog *backlog;    unsigned backlog_count;
    raw_scheduled *scheduled; unsigned scheduled_count;
    raw_event *events;       unsigned events_count;
    void *change[8];         /* change blocks, by registry index
                                (io/change/scn_changes.c; SCN_MAX_CHANGES) */
    char **budget;           unsigned budget_count; /* "metric OP limit" */
} scn_raw;

/* Longest name (cluster, broker, queue, group) in bytes. */
#define SCN_NAME_MAX 128

/* The top level. Its table includes every registered change type's block
** and is put together by scn_schema_init(), which must run before the
** first use (idempotent, thread-safe). */
extern const cyaml_schema_value_t scn_schema_top;
void scn_schema_init(void);

/* The one spelling table of each scenario enum: the schema reads them, the
** change sections (io/change/) reuse them, and the
** scenario echo of summary.json and `check`'s summary line write them. A
** value spelled several ways (mq_state) is written with its first entry. */
extern const cyaml_strval_t scn_kind_strs[2], scn_edition_strs[4], scn_series_strs[2],
    scn_subcat_strs[2], scn_deploy_strs[2], scn_billing_strs[3], scn_state_strs[6],
    scn_protocol_strs[2], scn_endpoint_strs[3], scn_arrivals_strs[2], scn_ack_strs[2],
    scn_backoff_strs[2], scn_ondown_strs[3], scn_event_strs[4];

/* The spelling of value v in tab[0..n), or `none` when it has none. */
const char *scn_enum_str(const cyaml_strval_t *tab, size_t n, int v, const char *none);
#define SCN_ENUM_STR(tab, v, none) scn_enum_str(tab, CYAML_ARRAY_LEN(tab), (int)(v), none)

/* For a CYAML_FIELD_IGNORE key that the pre-pass validates itself, the
** mapping shape it may take (NULL if the key is not polymorphic). A scalar
** is always accepted for such keys; scn_load.c checks its value. */
const cyaml_schema_value_t *scn_schema_poly(const char *key);

/* The libcyaml configuration the loader uses (log captured by log_fn into
** the user data, which must be a struct scn_cyaml_log). */
typedef struct scn_cyaml_log {
    char msg[256];        /* first error message */
    int line, col;        /* first "(line: L, column: C)" in the backtrace */
} scn_cyaml_log;

void scn_cyaml_config(cyaml_config_t *cfg, scn_cyaml_log *log);

#endif
