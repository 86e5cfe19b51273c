/*
** mq_profile.h - client profiles: named bundles of client-library defaults
** (RocketMQ 4.x remoting, RocketMQ 5.x gRPC, RabbitMQ Java, pika, amqp091-go,
** HTTP) that a scenario's `profile:` key selects. Single keys in the group
** override single defaults.
**
** Every default carries a `source` string: a row of the shared
** model-reference ("model-reference #16") or the word "assumption" with a
** reason, so a report can say where each number came from. The table is
** static and read-only; lookups are linear (six profiles).
**
** The RocketMQ-only knobs (route refresh, rebalance, pull backoff) are carried
** by every profile; for the AMQP and HTTP profiles they are 0 = not
** applicable.
*/
#ifndef MQ_PROFILE_H
#define MQ_PROFILE_H

#include "models/mq_scenario.h"

#include <stdbool.h>
#include <stddef.h>

/* Which instance kinds a profile may be used with (bit mask). */
enum { MQ_PROFILE_ROCKETMQ = 1, MQ_PROFILE_RABBITMQ = 2 };

/* Where each default came from; same field names as the values. */
typedef struct mq_profile_src {
    const char *protocol, *endpoint;
    const char *send_timeout, *retries, *retry_backoff, *confirms,
        *confirm_latency, *ondown, *confirm_wait_times_out;
    const char *prefetch, *concurrency, *ack, *commit_interval, *process_buffer_on_close,
        *close_drain;
    const char *route_refresh, *rebalance, *pull_backoff;
    const char *automatic, *backoff, *interval, *max_interval, *multiplier,
        *jitter, *max_attempts, *detect_silent, *app_restart;
} mq_profile_src;

typedef struct mq_profile {
    const char *name;
    const char *summary;  /* one line: what client this stands for */
    unsigned kinds;       /* MQ_PROFILE_ROCKETMQ | MQ_PROFILE_RABBITMQ */
    mq_protocol protocol;
    mq_endpoint endpoint;
    /* producer side */
    double send_timeout_s;
    int retries;
    double retry_backoff_s;
    bool confirms;
    double confirm_latency_s;
    mq_ondown ondown;
    bool confirm_wait_times_out; /* the app's wait for a confirm gives up after
                                    send_timeout (and may republish) */
    /* consumer side */
    int prefetch;
    int concurrency;
    mq_ackmode ack;
    double commit_interval_s;
    bool process_buffer_on_close; /* deliveries the library had read when the
                                     server closed the connection are still
                                     handed to the application */
    double close_drain_s;         /* ... but only what starts within this long
                                     of the close (< 0: no limit) */
    /* RocketMQ client timers (0 = not applicable) */
    double route_refresh_s;
    double rebalance_s;
    double pull_backoff_s;
    /* connection recovery, both sides */
    mq_reconnect reconnect;
    mq_profile_src src;
} mq_profile;

/* The real client library a RabbitMQ profile stands for, for `mqsim load
** --clients real` (load/lt_real.c runs its driver): "java", "pika", "go",
** or NULL for a profile no driver exists for. */
const char *mq_profile_library(const mq_profile *p);
/* The heartbeat (s) that makes library lib notice a silent peer after
** detect_silent_s, by the library's own timer rule (see mq_profile.c); the
** inverse of the rule the profile's detect_silent default came from. */
double mq_profile_heartbeat_s(const char *lib, double detect_silent_s);

/* The profile called `name`, or NULL. The pointer is to static storage. */
const mq_profile *mq_profile_find(const char *name);
/* Number of profiles and the i-th one (0 <= i < count), for listings and
** "did you mean" messages. */
size_t mq_profile_count(void);
const mq_profile *mq_profile_at(size_t i);
/* The profile used when a group names none: rocketmq-4 or rabbitmq-java. */
const mq_profile *mq_profile_default(mq_kind kind);
/* Whether profile p may be used with an instance of this kind. */
bool mq_profile_fits(const mq_profile *p, mq_kind kind);

#endif
