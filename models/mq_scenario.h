/*
** mq_scenario.h - a validated scenario: the model's whole input, in SI units.
**
** The loader (io/scn_load.c) turns a YAML file into this struct; by the time
** a model sees it, every duration is in seconds, every rate in msg/s, every
** reference (queue -> broker, group -> queue, event -> broker/groups) is
** resolved to an index, every client knob has its profile default or the
** user's override, and every range has been checked. Models never see YAML.
**
** Each entity keeps the 1-based line/column where the file defined it
** (mq_loc), so checks that run after loading (change rules, budgets) can still
** report "file:line:col: ...".
**
** Ownership: the loader allocates everything; mq_scenario_free() releases it.
*/
#ifndef MQ_SCENARIO_H
#define MQ_SCENARIO_H

#include "sim/sim_dist.h"
#include "sim/sim_err.h"
#include "sim/sim_table.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mq_loc {
    int line, col; /* 1-based; 0 when the value came from a default */
} mq_loc;

typedef enum mq_kind { MQ_KIND_ROCKETMQ, MQ_KIND_RABBITMQ } mq_kind;
typedef enum mq_edition {
    MQ_EDITION_STANDARD,
    MQ_EDITION_PROFESSIONAL,
    MQ_EDITION_ENTERPRISE,
    MQ_EDITION_PLATINUM /* RocketMQ "Enterprise Platinum"; RabbitMQ Platinum */
} mq_edition;
typedef enum mq_series { MQ_SERIES_SUBSCRIPTION, MQ_SERIES_SERVERLESS } mq_series;
typedef enum mq_subcat { MQ_SUBCAT_NONE, MQ_SUBCAT_STANDALONE, MQ_SUBCAT_CLUSTER } mq_subcat;
typedef enum mq_deploy { MQ_DEPLOY_SHARED, MQ_DEPLOY_DEDICATED } mq_deploy;
typedef enum mq_billing { MQ_BILL_SUBSCRIPTION, MQ_BILL_PAYG, MQ_BILL_SERVERLESS } mq_billing;
typedef enum mq_state { MQ_STATE_IN_SERVICE, MQ_STATE_OTHER } mq_state;
typedef enum mq_protocol { MQ_PROTO_TCP, MQ_PROTO_HTTP } mq_protocol;
typedef enum mq_endpoint { MQ_EP_VPC, MQ_EP_PUBLIC, MQ_EP_PRIVATELINK } mq_endpoint;
typedef enum mq_arrivals { MQ_ARRIVALS_POISSON, MQ_ARRIVALS_DETERMINISTIC } mq_arrivals;
typedef enum mq_ackmode { MQ_ACK_MANUAL, MQ_ACK_AUTO } mq_ackmode;
typedef enum mq_backoff { MQ_BACKOFF_FIXED, MQ_BACKOFF_EXPONENTIAL } mq_backoff;
/* What a producer does with sends while it is disconnected. */
typedef enum mq_ondown {
    MQ_ONDOWN_RETRY,  /* the send fails; the client retries up to `retries`
                         times, `retry_backoff` apart, then gives up (lost) */
    MQ_ONDOWN_BUFFER, /* sends wait in the client until it reconnects */
    MQ_ONDOWN_DROP    /* the send fails and nobody retries (lost) */
} mq_ondown;

typedef struct mq_instance {
    mq_loc loc;
    mq_kind kind;
    mq_edition edition;
    mq_series series;     /* RabbitMQ series; RocketMQ: serverless billing */
    mq_subcat sub_category;
    double spec_tps;      /* msg/s the instance is sized for; 0 = unlimited */
    mq_deploy deployment;
    mq_billing billing;
    mq_state state;
    bool internet;        /* Internet (public endpoint) access enabled */
    bool internet_unset;  /* the scenario left `internet` out: a change model infers it */
    double bandwidth_mbps;/* Internet bandwidth, Mbit/s; 0 = unlimited */
} mq_instance;

typedef struct mq_broker {
    mq_loc loc;
    char *name;
    int cluster;          /* index into mq_scenario.clusters */
    double capacity_tps;  /* msg/s it can accept; 0 = unlimited */
} mq_broker;

typedef struct mq_cluster {
    mq_loc loc;
    char *name;
} mq_cluster;

/* RabbitMQ queue type. Only classic queues are modelled; the others are
** recorded (a captured scenario keeps what the broker reported) and
** simulated as classic, with a warning. */
typedef enum mq_qtype { MQ_QTYPE_CLASSIC, MQ_QTYPE_QUORUM, MQ_QTYPE_STREAM } mq_qtype;

typedef struct mq_queue {
    mq_loc loc;
    char *name;
    int broker;           /* index into mq_scenario.brokers */
    mq_qtype type;
} mq_queue;

/* Piecewise-constant rate: steps[i].rate applies from steps[i].at_s until the
** next step. steps[0].at_s == 0. With period_s > 0 the schedule repeats
** (a 24 h day profile). */
typedef struct mq_rate_step {
    double at_s;
    double rate;          /* msg/s, for the whole group */
} mq_rate_step;

typedef struct mq_rate {
    mq_arrivals arrivals;
    size_t nsteps;
    mq_rate_step *steps;
    double period_s;      /* 0 = no repeat */
} mq_rate;

/* Client reconnect state machine parameters (see models/mq_client.h). */
typedef struct mq_reconnect {
    bool automatic;       /* auto-recovery (RabbitMQ Java) / built-in retry */
    mq_backoff backoff;
    double interval_s;    /* first (or fixed) wait before an attempt */
    double max_interval_s;/* cap for exponential backoff */
    double multiplier;    /* exponential growth factor */
    double jitter;        /* +/- fraction of each wait, 0..1 */
    int max_attempts;     /* 0 = unlimited */
    double detect_silent_s; /* time to notice a silent peer (heartbeat) */
    double app_restart_s; /* without auto-recovery: the application itself
                             reconnects after this long; < 0 = never */
} mq_reconnect;

/* Delayed (scheduled) messages sent during the run: a fraction of a
** producer group's messages, each delivered `delay` after its send. */
typedef struct mq_delayed {
    double fraction;      /* 0 = none, up to 1 */
    sim_dist delay;       /* s after the send */
    double ttl_s;         /* expiry after the send if not consumed; 0 = none */
} mq_delayed;

typedef struct mq_producer_group {
    mq_loc loc;
    mq_loc rate_loc;      /* where `rate` was written (size checks) */
    char *name;
    char *profile;        /* profile name the defaults came from */
    int count;
    int queue;
    mq_rate rate;
    double msg_size_bytes;
    mq_protocol protocol;
    mq_endpoint endpoint;
    double send_timeout_s;
    int retries;          /* extra attempts after the first */
    double retry_backoff_s;
    bool confirms;        /* publisher confirms / sync send */
    double confirm_latency_s;
    mq_ondown ondown;
    bool confirm_wait_times_out; /* the app's wait for a confirm gives up after
                                    send_timeout (profile default, overridable) */
    mq_reconnect reconnect;
    double route_refresh_s; /* RocketMQ route poll period; 0 = n/a */
    mq_delayed delayed;
} mq_producer_group;

typedef struct mq_consumer_group {
    mq_loc loc;
    char *name;
    char *profile;
    int count;
    int queue;
    int prefetch;         /* max unacked deliveries per consumer */
    int concurrency;      /* messages processed in parallel per consumer */
    sim_dist processing;  /* processing time, s */
    mq_ackmode ack;
    mq_protocol protocol;
    mq_endpoint endpoint;
    bool idempotent;      /* the application de-duplicates */
    bool process_buffer_on_close; /* deliveries read before a server-side close
                                     are still processed (profile default,
                                     overridable) */
    double close_drain_s; /* ... those that start within this long of the
                             close (the profile's; < 0: no limit) */
    double commit_interval_s; /* RocketMQ offset commit period; 0 = per-ack */
    mq_reconnect reconnect;
    double route_refresh_s; /* RocketMQ route poll period; 0 = n/a */
    double rebalance_s;     /* RocketMQ rebalance period; 0 = n/a */
    double pull_backoff_s;  /* RocketMQ delay after a failed pull; 0 = n/a */
} mq_consumer_group;

typedef struct mq_backlog {
    mq_loc loc;
    mq_loc messages_loc;  /* where `messages` was written (size checks) */
    int queue;
    uint64_t messages;
    sim_dist age;         /* age at t = 0, s */
} mq_backlog;

typedef struct mq_scheduled {
    mq_loc loc;
    mq_loc messages_loc;  /* where `messages` was written (size checks) */
    int queue;
    uint64_t messages;
    sim_dist deliver_at;  /* due time after t = 0, s */
    double ttl_s;         /* expiry after t = 0 if not consumed; 0 = none */
} mq_scheduled;

/* A reference to a client group: producers and consumers share one
** namespace of group names. */
typedef struct mq_group_ref {
    bool consumer;
    int index;
} mq_group_ref;

typedef enum mq_event_type {
    MQ_EVENT_BROKER_RESTART, /* broker down for duration_s; clients reset */
    MQ_EVENT_DISCONNECT,     /* listed groups dropped from broker */
    MQ_EVENT_APP_RESTART,    /* listed groups restart (reconnect fresh) */
    MQ_EVENT_RESOURCE_OP     /* a topic/group create/delete/modify */
} mq_event_type;

typedef struct mq_event {
    mq_loc loc;
    mq_event_type type;
    double at_s;
    int broker;           /* -1 = every broker */
    size_t ngroups;       /* 0 = every group */
    mq_group_ref *groups;
    double duration_s;    /* outage length; < 0 = until the client reconnects */
    bool silent;          /* peer goes silent (heartbeat detection) vs reset */
    char *label;
    double rolling_s;     /* app_restart: > 0 restarts the selected clients
                             one at a time, this far apart; 0 = all at once */
} mq_event;

typedef struct mq_run_cfg {
    mq_loc duration_loc, sample_loc; /* where they were written (size checks;
                                        {0, 0} when defaulted) */
    double duration_s;
    double warmup_s;      /* metrics ignore messages intended before this */
    double sample_s;      /* timeseries interval */
    double drain_from_s;  /* drain_time_s counts from here */
    double retention_s;   /* 0 = keep forever */
    double rtt_s;         /* client-broker round trip */
    double start_clock_s; /* time of day at t = 0 (seconds after 00:00) */
    uint64_t seed;
} mq_run_cfg;

/* The scenario's change (models/change/mq_change.h): its type, and the
** loaded value that type reads (owned by the scenario, released through
** ops->cfg_free). {NULL, NULL} when the scenario describes no change. */
struct mq_change_ops;
typedef struct mq_change {
    const struct mq_change_ops *ops;
    void *cfg;
} mq_change;
/* Risk budget lines (issue 6): metric OP limit. */
struct mq_budget;

/* A default of a change block that the scenario relied on (the key was
** absent): its key path, the value used (as text), and where the value
** comes from ("assumption: ..." or a seed / model-reference source). */
typedef struct mq_default {
    char *key, *value, *source;
} mq_default;

typedef struct mq_scenario {
    char *path;           /* the file it came from */
    char *name;
    char *description;
    mq_instance instance;
    mq_run_cfg run;
    size_t nclusters;  mq_cluster *clusters;
    size_t nbrokers;   mq_broker *brokers;
    size_t nqueues;    mq_queue *queues;
    size_t nproducers; mq_producer_group *producers;
    size_t nconsumers; mq_consumer_group *consumers;
    size_t nbacklogs;  mq_backlog *backlogs;
    size_t nscheduled; mq_scheduled *scheduled;
    size_t nevents;    mq_event *events;
    mq_change change;
    struct mq_budget *budget;
    /* Change-block defaults relied on, in key order of the block (owned). */
    size_t ndefaults, defaults_cap;
    mq_default *defaults;
    /* Warnings found while loading and checking rules (exit 0, printed by
    ** `check` and carried into the run's summary). */
    sim_strs warnings;
} mq_scenario;

void mq_scenario_free(mq_scenario *s);

/* Record that the change block's `key` was absent and `value` (text) was
** used, with its source. Strings are copied. 0, or -1 on out-of-memory. */
int mq_scenario_add_default(mq_scenario *s, const char *key, const char *value,
                            const char *source);

/* The paired baseline of a change (issue 6): remove everything that makes
** the scenario a change - the timed events and the change - freeing them,
** so the same workload can be run without the change on common random
** numbers. A change type may keep part of itself as the baseline's
** (mq_change_ops.to_baseline, e.g. the instance's current configuration
** with nothing changing).
** NULL is a no-op. */
void mq_scenario_strip_change(mq_scenario *s);
/* `mqsim run --at HH:MM`: make the change start at time of day clock_s
** (seconds after 00:00), counted from run.start_at and wrapping at 24 h.
** 0 ok; -1 (err filled) when the change has no start time (or there is no
** change) or the start falls after the end of the run. */
int mq_scenario_start_change_at_clock(mq_scenario *s, double clock_s, sim_err *err);
/* The change block's start (run time, s); NAN when there is none or the
** change type has no start time. */
double mq_scenario_change_start(const mq_scenario *s);
/* A RabbitMQ subscription edition's deployment (seed: Professional and
** Enterprise are shared, Platinum is dedicated); false for Standard, which
** is no RabbitMQ edition. */
bool mq_subscription_deployment(mq_edition e, mq_deploy *out);
/* The loaders' words when mq_subscription_deployment returns false. */
#define MQ_NOT_A_SUBSCRIPTION_EDITION                                            \
    "'standard' is not a RabbitMQ subscription edition: the series has "         \
    "professional and enterprise (shared) and platinum (dedicated)"
/* Whether s has anything mq_scenario_strip_change would remove. */
bool mq_scenario_has_change(const mq_scenario *s);
/* What a paired baseline (s without what mq_scenario_strip_change removes)
** measures the effect of: the change block, the scenario's events, both, or
** nothing (a forced baseline). */
typedef enum {
    MQ_EFFECT_NOTHING,
    MQ_EFFECT_CHANGE,
    MQ_EFFECT_EVENTS,
    MQ_EFFECT_BOTH,
} mq_effect;
mq_effect mq_scenario_effect(const mq_scenario *s);
/* The words for a sentence ("the change", "the scenario's events", "the
** change and the scenario's events", "nothing"), as summary.json's
** baseline.effect_of stores them. A static string. */
const char *mq_effect_words(mq_effect e);
/* The inverse of mq_effect_words; MQ_EFFECT_CHANGE for NULL or unknown words
** (a results folder written before effect_of existed measured the change). */
mq_effect mq_effect_parse(const char *words);

/* Figures of the workload shared by the model, its rules and the load
** tester, so that they agree by construction:
** the offered peak, msg/s: every producer group at its highest step;
** the consumers' capacity mu, msg/s: every client of every group, each at
** its channel's saturated throughput (mq_estimate.h) with overhead_s added
** to each processing time (0 for the model; the load tester adds its
** measured client cost). */
double mq_scenario_peak_rate(const mq_scenario *s);
double mq_scenario_consume_capacity(const mq_scenario *s, double overhead_s);
/* The longest stay of a delivery in a full consumer channel, p / X (Little),
** over the groups: how long after the last take the last delivery taken is
** processed. */
double mq_scenario_channel_cycle(const mq_scenario *s, double overhead_s);

#endif
