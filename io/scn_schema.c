/*
** scn_schema.c - libcyaml schema tables for the scenario language, and the
** libcyaml configuration (see scn_schema.h).
**
** The tables are the single source of truth for which keys exist at each
** level: the pre-pass (scn_yaml.c) reads them for unknown-key suggestions,
** required keys and enum spellings, and libcyaml reads them to build the raw
** structs. Enum string tables map straight onto the mq_* / sim_dist enums.
**
** CYAML_CFG flags, deliberately:
**   - CYAML_CFG_NO_ALIAS: aliases are rejected (the pre-pass already refuses
**     them with a position; this is defence in depth against expansion).
**   - not CYAML_CFG_IGNORE_UNKNOWN_KEYS: an unknown key must never pass
**     silently (the pre-pass reports it first, with a suggestion).
**   - not CYAML_CFG_CASE_INSENSITIVE: keys and enum words are lower case;
**     "Duration" is a typo the pre-pass points out.
** Enum values carry CYAML_FLAG_STRICT so "kind: 1" is not read as an index.
*/
#include "io/scn_schema.h"

#include "io/change/scn_change.h"
#include "models/mq_scenario.h"
#include "sim/sim_dist.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define OPT (CYAML_FLAG_OPTIONAL | CYAML_FLAG_POINTER)
#define STR_MAX 64   /* quantities: "1.5s", "10Mbps", ... */

/* Shorthands: an optional quantity string, a required name. */
#define QTY(key, st, m) CYAML_FIELD_STRING_PTR(key, OPT, st, m, 1, STR_MAX)
#define NAME(key, st, m) \
    CYAML_FIELD_STRING_PTR(key, CYAML_FLAG_POINTER, st, m, 1, SCN_NAME_MAX)
#define ONAME(key, st, m) CYAML_FIELD_STRING_PTR(key, OPT, st, m, 1, SCN_NAME_MAX)
#define ENUM_OPT(key, st, m, tab) \
    CYAML_FIELD_ENUM_PTR(key, OPT | CYAML_FLAG_STRICT, st, m, tab, CYAML_ARRAY_LEN(tab))

/* ---- enum spellings (scn_schema.h) ---- */

const char *scn_enum_str(const cyaml_strval_t *tab, size_t n, int v, const char *none)
{
    for (size_t i = 0; i < n; i++)
        if (tab[i].val == v) return tab[i].str;
    return none;
}


const cyaml_strval_t scn_kind_strs[2] = {
    {"rocketmq", MQ_KIND_ROCKETMQ}, {"rabbitmq", MQ_KIND_RABBITMQ},
};
const cyaml_strval_t scn_edition_strs[4] = {
    {"standard", MQ_EDITION_STANDARD}, {"professional", MQ_EDITION_PROFESSIONAL},
    {"enterprise", MQ_EDITION_ENTERPRISE}, {"platinum", MQ_EDITION_PLATINUM},
};
const cyaml_strval_t scn_series_strs[2] = {
    {"subscription", MQ_SERIES_SUBSCRIPTION}, {"serverless", MQ_SERIES_SERVERLESS},
};
const cyaml_strval_t scn_subcat_strs[2] = {
    {"standalone", MQ_SUBCAT_STANDALONE}, {"cluster", MQ_SUBCAT_CLUSTER},
};
const cyaml_strval_t scn_deploy_strs[2] = {
    {"shared", MQ_DEPLOY_SHARED}, {"dedicated", MQ_DEPLOY_DEDICATED},
};
const cyaml_strval_t scn_billing_strs[3] = {
    {"subscription", MQ_BILL_SUBSCRIPTION}, {"payg", MQ_BILL_PAYG},
    {"serverless", MQ_BILL_SERVERLESS},
};
const cyaml_strval_t scn_state_strs[6] = {
    {"in_service", MQ_STATE_IN_SERVICE}, {"other", MQ_STATE_OTHER},
    {"overdue", MQ_STATE_OTHER}, {"creating", MQ_STATE_OTHER},
    {"upgrading", MQ_STATE_OTHER}, {"releasing", MQ_STATE_OTHER},
};
const cyaml_strval_t scn_protocol_strs[2] = {
    {"tcp", MQ_PROTO_TCP}, {"http", MQ_PROTO_HTTP},
};
const cyaml_strval_t scn_endpoint_strs[3] = {
    {"vpc", MQ_EP_VPC}, {"public", MQ_EP_PUBLIC}, {"privatelink", MQ_EP_PRIVATELINK},
};
const cyaml_strval_t scn_arrivals_strs[2] = {
    {"poisson", MQ_ARRIVALS_POISSON}, {"deterministic", MQ_ARRIVALS_DETERMINISTIC},
};
static const cyaml_strval_t qtype_strs[] = {
    {"classic", MQ_QTYPE_CLASSIC}, {"quorum", MQ_QTYPE_QUORUM}, {"stream", MQ_QTYPE_STREAM},
};
const cyaml_strval_t scn_ack_strs[2] = {
    {"manual", MQ_ACK_MANUAL}, {"auto", MQ_ACK_AUTO},
};
const cyaml_strval_t scn_backoff_strs[2] = {
    {"fixed", MQ_BACKOFF_FIXED}, {"exponential", MQ_BACKOFF_EXPONENTIAL},
};
const cyaml_strval_t scn_ondown_strs[3] = {
    {"retry", MQ_ONDOWN_RETRY}, {"buffer", MQ_ONDOWN_BUFFER}, {"drop", MQ_ONDOWN_DROP},
};
static const cyaml_strval_t dist_strs[] = {
    {"constant", SIM_DIST_CONSTANT}, {"exponential", SIM_DIST_EXPONENTIAL},
    {"uniform", SIM_DIST_UNIFORM}, {"lognormal", SIM_DIST_LOGNORMAL},
    {"gamma", SIM_DIST_GAMMA}, {"weibull", SIM_DIST_WEIBULL},
};
const cyaml_strval_t scn_event_strs[4] = {
    {"broker_restart", MQ_EVENT_BROKER_RESTART}, {"disconnect", MQ_EVENT_DISCONNECT},
    {"app_restart", MQ_EVENT_APP_RESTART}, {"resource_op", MQ_EVENT_RESOURCE_OP},
};
static const cyaml_strval_t detection_strs[] = {
    {"reset", 0}, {"silent", 1},
};

/* ---- distributions and reconnect ---- */

static const cyaml_schema_field_t dist_fields[] = {
    CYAML_FIELD_ENUM("dist", CYAML_FLAG_STRICT, raw_dist, dist, dist_strs,
                     CYAML_ARRAY_LEN(dist_strs)),
    QTY("value", raw_dist, value),
    QTY("mean", raw_dist, mean),
    QTY("min", raw_dist, min),
    QTY("max", raw_dist, max),
    QTY("median", raw_dist, median),
    QTY("scale", raw_dist, scale),
    QTY("sigma", raw_dist, sigma),
    QTY("shape", raw_dist, shape),
    CYAML_FIELD_END
};

static const cyaml_schema_field_t reconnect_fields[] = {
    CYAML_FIELD_BOOL_PTR("automatic", OPT, raw_reconnect, automatic),
    QTY("interval", raw_reconnect, interval),
    ENUM_OPT("backoff", raw_reconnect, backoff, scn_backoff_strs),
    QTY("max_interval", raw_reconnect, max_interval),
    QTY("multiplier", raw_reconnect, multiplier),
    QTY("jitter", raw_reconnect, jitter),
    CYAML_FIELD_INT_PTR("max_attempts", OPT, raw_reconnect, max_attempts),
    QTY("heartbeat_detect", raw_reconnect, heartbeat_detect),
    QTY("app_restart", raw_reconnect, app_restart),
    CYAML_FIELD_END
};

/* ---- run, instance ---- */

static const cyaml_schema_field_t run_fields[] = {
    CYAML_FIELD_STRING_PTR("duration", CYAML_FLAG_POINTER, raw_run, duration, 1, STR_MAX),
    QTY("warmup", raw_run, warmup),
    QTY("sample_interval", raw_run, sample_interval),
    QTY("drain_from", raw_run, drain_from),
    QTY("retention", raw_run, retention),
    QTY("rtt", raw_run, rtt),
    QTY("start_at", raw_run, start_at),
    CYAML_FIELD_UINT_PTR("seed", OPT, raw_run, seed),
    CYAML_FIELD_END
};

static const cyaml_schema_field_t instance_fields[] = {
    CYAML_FIELD_ENUM("kind", CYAML_FLAG_STRICT, raw_instance, kind, scn_kind_strs,
                     CYAML_ARRAY_LEN(scn_kind_strs)),
    ENUM_OPT("edition", raw_instance, edition, scn_edition_strs),
    ENUM_OPT("series", raw_instance, series, scn_series_strs),
    ENUM_OPT("sub_category", raw_instance, sub_category, scn_subcat_strs),
    QTY("spec_tps", raw_instance, spec_tps),
    ENUM_OPT("deployment", raw_instance, deployment, scn_deploy_strs),
    ENUM_OPT("billing", raw_instance, billing, scn_billing_strs),
    ENUM_OPT("state", raw_instance, state, scn_state_strs),
    CYAML_FIELD_BOOL_PTR("internet", OPT, raw_instance, internet),
    QTY("bandwidth", raw_instance, bandwidth),
    CYAML_FIELD_END
};

/* ---- topology ---- */

static const cyaml_schema_field_t broker_fields[] = {
    NAME("name", raw_broker, name),
    QTY("capacity_tps", raw_broker, capacity_tps),
    CYAML_FIELD_END
};
static const cyaml_schema_value_t broker_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, raw_broker, broker_fields),
};

static const cyaml_schema_field_t cluster_fields[] = {
    NAME("name", raw_cluster, name),
    CYAML_FIELD_SEQUENCE("brokers", CYAML_FLAG_POINTER, raw_cluster, brokers,
                         &broker_entry, 1, CYAML_UNLIMITED),
    CYAML_FIELD_END
};
static const cyaml_schema_value_t cluster_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, raw_cluster, cluster_fields),
};

static const cyaml_schema_field_t queue_fields[] = {
    NAME("name", raw_queue, name),
    ONAME("broker", raw_queue, broker),
    ENUM_OPT("type", raw_queue, type, qtype_strs),
    CYAML_FIELD_END
};
static const cyaml_schema_value_t queue_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, raw_queue, queue_fields),
};

/* ---- clients ---- */

static const cyaml_schema_field_t delayed_fields[] = {
    QTY("fraction", raw_delayed, fraction),
    CYAML_FIELD_MAPPING_PTR("delay", CYAML_FLAG_POINTER, raw_delayed, delay, dist_fields),
    QTY("ttl", raw_delayed, ttl),
    CYAML_FIELD_END
};

static const cyaml_schema_field_t producer_fields[] = {
    NAME("name", raw_producer, name),
    ONAME("queue", raw_producer, queue),
    CYAML_FIELD_INT_PTR("count", OPT, raw_producer, count),
    ONAME("profile", raw_producer, profile),
    CYAML_FIELD_IGNORE("rate", CYAML_FLAG_OPTIONAL),
    ENUM_OPT("arrivals", raw_producer, arrivals, scn_arrivals_strs),
    QTY("message_size", raw_producer, message_size),
    ENUM_OPT("protocol", raw_producer, protocol, scn_protocol_strs),
    ENUM_OPT("endpoint", raw_producer, endpoint, scn_endpoint_strs),
    QTY("send_timeout", raw_producer, send_timeout),
    CYAML_FIELD_INT_PTR("retries", OPT, raw_producer, retries),
    QTY("retry_backoff", raw_producer, retry_backoff),
    CYAML_FIELD_BOOL_PTR("confirms", OPT, raw_producer, confirms),
    QTY("confirm_latency", raw_producer, confirm_latency),
    ENUM_OPT("on_disconnect", raw_producer, on_disconnect, scn_ondown_strs),
    QTY("route_refresh", raw_producer, route_refresh),
    CYAML_FIELD_MAPPING_PTR("reconnect", OPT, raw_producer, reconnect, reconnect_fields),
    CYAML_FIELD_MAPPING_PTR("delayed", OPT, raw_producer, delayed, delayed_fields),
    CYAML_FIELD_END
};
static const cyaml_schema_value_t producer_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, raw_producer, producer_fields),
};

static const cyaml_schema_field_t consumer_fields[] = {
    NAME("name", raw_consumer, name),
    ONAME("queue", raw_consumer, queue),
    CYAML_FIELD_INT_PTR("count", OPT, raw_consumer, count),
    ONAME("profile", raw_consumer, profile),
    CYAML_FIELD_INT_PTR("prefetch", OPT, raw_consumer, prefetch),
    CYAML_FIELD_INT_PTR("concurrency", OPT, raw_consumer, concurrency),
    CYAML_FIELD_MAPPING_PTR("processing", CYAML_FLAG_POINTER, raw_consumer,
                            processing, dist_fields),
    ENUM_OPT("ack", raw_consumer, ack, scn_ack_strs),
    ENUM_OPT("protocol", raw_consumer, protocol, scn_protocol_strs),
    ENUM_OPT("endpoint", raw_consumer, endpoint, scn_endpoint_strs),
    CYAML_FIELD_BOOL_PTR("idempotent", OPT, raw_consumer, idempotent),
    QTY("commit_interval", raw_consumer, commit_interval),
    QTY("route_refresh", raw_consumer, route_refresh),
    QTY("rebalance", raw_consumer, rebalance),
    QTY("pull_backoff", raw_consumer, pull_backoff),
    CYAML_FIELD_MAPPING_PTR("reconnect", OPT, raw_consumer, reconnect, reconnect_fields),
    CYAML_FIELD_END
};
static const cyaml_schema_value_t consumer_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, raw_consumer, consumer_fields),
};

/* ---- backlog, scheduled, events ---- */

static const cyaml_schema_field_t backlog_fields[] = {
    ONAME("queue", raw_backlog, queue),
    CYAML_FIELD_UINT("messages", CYAML_FLAG_DEFAULT, raw_backlog, messages),
    CYAML_FIELD_MAPPING_PTR("age", OPT, raw_backlog, age, dist_fields),
    CYAML_FIELD_END
};
static const cyaml_schema_value_t backlog_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, raw_backlog, backlog_fields),
};

static const cyaml_schema_field_t scheduled_fields[] = {
    ONAME("queue", raw_scheduled, queue),
    CYAML_FIELD_UINT("messages", CYAML_FLAG_DEFAULT, raw_scheduled, messages),
    CYAML_FIELD_MAPPING_PTR("deliver_at", CYAML_FLAG_POINTER, raw_scheduled,
                            deliver_at, dist_fields),
    QTY("ttl", raw_scheduled, ttl),
    CYAML_FIELD_END
};
static const cyaml_schema_value_t scheduled_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, raw_scheduled, scheduled_fields),
};

static const cyaml_schema_value_t group_name_entry = {
    CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 1, SCN_NAME_MAX),
};

/* budget: ["metric OP limit", ...] (parsed by models/mq_budget.c) */
static const cyaml_schema_value_t budget_line_entry = {
    CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 1, 256),
};

static const cyaml_schema_field_t event_fields[] = {
    CYAML_FIELD_STRING_PTR("at", CYAML_FLAG_POINTER, raw_event, at, 1, STR_MAX),
    CYAML_FIELD_ENUM("type", CYAML_FLAG_STRICT, raw_event, type, scn_event_strs,
                     CYAML_ARRAY_LEN(scn_event_strs)),
    ONAME("broker", raw_event, broker),
    CYAML_FIELD_SEQUENCE("groups", OPT, raw_event, groups, &group_name_entry,
                         0, CYAML_UNLIMITED),
    QTY("duration", raw_event, duration),
    ENUM_OPT("detection", raw_event, detection, detection_strs),
    CYAML_FIELD_STRING_PTR("label", OPT, raw_event, label, 0, 256),
    QTY("rolling", raw_event, rolling),
    CYAML_FIELD_END
};
static const cyaml_schema_value_t event_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, raw_event, event_fields),
};

/* ---- top level ---- */

/* The fixed keys, then one block per registered change type
** (io/change/scn_changes.c), in registry order, then `budget`: the table is
** put together once, before the first load (scn_schema_init). */
static const cyaml_schema_field_t fixed_fields[] = {
    ONAME("name", scn_raw, name),
    CYAML_FIELD_STRING_PTR("description", OPT, scn_raw, description, 0, 4096),
    CYAML_FIELD_MAPPING_PTR("run", CYAML_FLAG_POINTER, scn_raw, run, run_fields),
    CYAML_FIELD_MAPPING_PTR("instance", CYAML_FLAG_POINTER, scn_raw, instance,
                            instance_fields),
    CYAML_FIELD_SEQUENCE("clusters", CYAML_FLAG_POINTER, scn_raw, clusters,
                         &cluster_entry, 1, CYAML_UNLIMITED),
    CYAML_FIELD_SEQUENCE("queues", CYAML_FLAG_POINTER, scn_raw, queues,
                         &queue_entry, 1, CYAML_UNLIMITED),
    CYAML_FIELD_SEQUENCE("producers", OPT, scn_raw, producers, &producer_entry,
                         0, CYAML_UNLIMITED),
    CYAML_FIELD_SEQUENCE("consumers", OPT, scn_raw, consumers, &consumer_entry,
                         0, CYAML_UNLIMITED),
    CYAML_FIELD_SEQUENCE("backlog", OPT, scn_raw, backlog, &backlog_entry,
                         0, CYAML_UNLIMITED),
    CYAML_FIELD_SEQUENCE("scheduled", OPT, scn_raw, scheduled, &scheduled_entry,
                         0, CYAML_UNLIMITED),
    CYAML_FIELD_SEQUENCE("events", OPT, scn_raw, events, &event_entry,
                         0, CYAML_UNLIMITED),
};
static const cyaml_schema_field_t budget_field =
    CYAML_FIELD_SEQUENCE("budget", OPT, scn_raw, budget, &budget_line_entry, 0, 1000);

_Static_assert(sizeof ((scn_raw *)0)->change / sizeof(void *) == SCN_MAX_CHANGES,
               "scn_raw.change holds one block per registered change type");
#define NFIXED (sizeof fixed_fields / sizeof fixed_fields[0])
static cyaml_schema_field_t top_fields[NFIXED + SCN_MAX_CHANGES + 2];
static pthread_once_t top_once = PTHREAD_ONCE_INIT;

static void top_init(void)
{
    size_t n = 0;
    for (size_t i = 0; i < NFIXED; i++) top_fields[n++] = fixed_fields[i];
    for (size_t i = 0; scn_changes[i] && i < SCN_MAX_CHANGES; i++) {
        const scn_change_io *c = scn_changes[i];
        top_fields[n++] = (cyaml_schema_field_t){
            .key = c->ops->key,
            .data_offset = offsetof(scn_raw, change) + i * sizeof(void *),
            .value = {.type = CYAML_MAPPING, .flags = (enum cyaml_flag)OPT,
                      .data_size = (uint32_t)c->raw_size, .mapping = {.fields = c->fields}},
        };
    }
    top_fields[n++] = budget_field;
    top_fields[n] = (cyaml_schema_field_t){.key = NULL};
}

void scn_schema_init(void)
{
    pthread_once(&top_once, top_init);
}

const cyaml_schema_value_t scn_schema_top = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, scn_raw, top_fields),
};

/* ---- the polymorphic rate (pre-pass only; scn_load.c reads the index) ---- */

typedef struct rate_step_shape { char *at, *rate; } rate_step_shape;
typedef struct rate_shape {
    rate_step_shape *steps;
    unsigned steps_count;
    char *period;
} rate_shape;

static const cyaml_schema_field_t rate_step_fields[] = {
    CYAML_FIELD_STRING_PTR("at", CYAML_FLAG_POINTER, rate_step_shape, at, 1, STR_MAX),
    CYAML_FIELD_STRING_PTR("rate", CYAML_FLAG_POINTER, rate_step_shape, rate, 1, STR_MAX),
    CYAML_FIELD_END
};
static const cyaml_schema_value_t rate_step_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, rate_step_shape, rate_step_fields),
};
static const cyaml_schema_field_t rate_fields[] = {
    CYAML_FIELD_SEQUENCE("steps", CYAML_FLAG_POINTER, rate_shape, steps,
                         &rate_step_entry, 1, 10000),
    QTY("period", rate_shape, period),
    CYAML_FIELD_END
};
static const cyaml_schema_value_t rate_schema = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, rate_shape, rate_fields),
};

const cyaml_schema_value_t *scn_schema_poly(const char *key)
{
    return key && strcmp(key, "rate") == 0 ? &rate_schema : NULL;
}

/* ---- libcyaml configuration and log capture ---- */

static void log_fn(cyaml_log_t level, void *ctx, const char *fmt, va_list args)
{
    scn_cyaml_log *log = ctx;
    if (!log || level < CYAML_LOG_ERROR) return;
    char line[512];
    vsnprintf(line, sizeof line, fmt, args);
    line[strcspn(line, "\n")] = '\0';
    const char *text = line;
    if (!strncmp(text, "Load: ", 6)) text += 6;
    unsigned l, c;
    const char *at = strstr(text, "(line: ");
    if (at && !log->line && sscanf(at, "(line: %u, column: %u)", &l, &c) == 2) {
        log->line = (int)l;
        log->col = (int)c;
    } else if (!log->msg[0] && strncmp(text, "Backtrace", 9) != 0) {
        size_t n = strlen(text);
        if (n >= sizeof log->msg) n = sizeof log->msg - 1;
        memcpy(log->msg, text, n);
        log->msg[n] = '\0';
    }
}

void scn_cyaml_config(cyaml_config_t *cfg, scn_cyaml_log *log)
{
    *cfg = (cyaml_config_t){
        .log_fn = log_fn,
        .log_ctx = log,
        .mem_fn = cyaml_mem,
        .log_level = CYAML_LOG_ERROR,
        .flags = CYAML_CFG_NO_ALIAS,
    };
}
