/*
** lt_capture.h - `mqsim capture`: sample a RabbitMQ broker's management
** HTTP API over a window and derive the scenario's workload from it
** (queues, producer and consumer groups, client libraries, backlog).
**
** Split in four: lt_capture.c samples (this header's lt_capture_run),
** lt_capture_derive.c derives the workload from the samples
** (lt_capture_int.h is what they share), lt_capture_client.c maps
** client_properties to a client
** profile, lt_capture_yaml.c writes the scenario with a provenance comment
** on every value; the day profile from a CSV is io/rate_csv.h. Each derived
** value carries how it was obtained (lt_prov), which the writer prints
** beside it. The derivations are documented in docs/CAPTURE.md.
**
** Grouping: a connection's application is its connection_name client
** property with a trailing instance number removed ("orders/3", "orders-3"
** -> "orders"), else "<product>@<peer host>". Producer groups are
** (application, queue) pairs of channels that published in the window;
** consumer groups are (application, queue) pairs of consumers.
**
** Ownership: lt_capture_run fills a caller-owned lt_capture (zeroed first)
** that lt_capture_free releases; options are borrowed for the call.
*/
#ifndef LT_CAPTURE_H
#define LT_CAPTURE_H

#include "load/lt_http.h"
#include "sim/sim_err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LT_CAP_NAME 256

typedef enum lt_prov_kind { LT_MEASURED, LT_ESTIMATED, LT_DEFAULT } lt_prov_kind;

/* Where a value came from: the comment the writer puts beside it. */
typedef struct lt_prov {
    lt_prov_kind kind;
    char how[320];          /* endpoint and field, method, or the default's source */
} lt_prov;

/* What a connection says about its client library. */
typedef struct lt_cap_client {
    char product[96], version[64], platform[96];
    double heartbeat_s;     /* negotiated (connection "timeout"); 0 = off */
} lt_cap_client;

typedef struct lt_cap_queue {
    char name[LT_CAP_NAME];
    char type[16];          /* classic, quorum, stream */
    uint64_t ready, unacked;/* at the last sample */
    double oldest_age_s;    /* head message's age; NAN when the API has none */
    double ttl_s;           /* x-message-ttl; NAN = none */
    char *arguments;        /* the queue's arguments as compact JSON (owned) */
    double publish_rate;    /* msg/s into the queue over the window */
    double deliver_rate;    /* msg/s delivered (acked or auto-acked) */
} lt_cap_queue;

typedef struct lt_cap_producer {
    char app[LT_CAP_NAME];
    int queue;              /* index into lt_capture.queues; -1 = unknown */
    lt_prov queue_prov;
    int count;              /* publishing channels */
    double rate;            /* msg/s, whole group */
    bool confirms;
    lt_cap_client client;
} lt_cap_producer;

typedef struct lt_cap_consumer {
    char app[LT_CAP_NAME];
    int queue;
    int count;              /* consumers */
    int prefetch;           /* per consumer; 0 = unlimited */
    bool prefetch_global;   /* from the channel's global qos */
    bool ack_manual;
    double ack_rate;        /* msg/s, whole group (acks, or deliveries with auto-ack) */
    double unacked;         /* mean over the samples, whole group */
    double processing_s;    /* NAN when it cannot be estimated */
    lt_prov processing_prov;
    bool shared_channel;    /* a channel of the group consumes several queues */
    lt_cap_client client;
} lt_cap_consumer;

typedef struct lt_capture {
    char broker[256];       /* the API's address */
    char vhost[128];
    char rabbitmq_version[32];
    double window_s;        /* time between the first and last sample */
    int samples;
    long started_utc;       /* time(NULL) at the first sample */
    size_t nqueues;    lt_cap_queue *queues;
    size_t nproducers; lt_cap_producer *producers;
    size_t nconsumers; lt_cap_consumer *consumers;
} lt_capture;

typedef struct lt_capture_opts {
    double window_s;        /* > 0 */
    double interval_s;      /* between samples; <= 0: 1 s (window / 4 if shorter) */
    const char *vhost;      /* NULL: "/" */
} lt_capture_opts;

/* Sample h over the window and derive *out. 0 ok; -1 with a message (a
** failed request, an answer of the wrong shape, no queue in the vhost). */
int lt_capture_run(lt_http *h, const lt_capture_opts *o, lt_capture *out, sim_err *err);
void lt_capture_free(lt_capture *c);

/* The processing time of a consumer group from its count, prefetch, ack
** mode, ack_rate and unacked (fills processing_s, NAN when it cannot be
** estimated, and processing_prov; the methods are in lt_capture.c). */
void lt_capture_estimate(lt_cap_consumer *g);

/* The application of a connection (see the header comment) into buf. */
void lt_capture_app(const char *conn_name, const char *product, const char *host, char *buf,
                    size_t n);

/* The client profile a connection's client_properties point to
** (lt_capture_client.c; the table is in docs/CAPTURE.md). */
typedef struct lt_cap_profile {
    const char *profile;    /* a profile name of models/mq_profile.c */
    lt_prov prov;           /* why this one */
    int automatic;          /* reconnect.automatic to write: -1 = the profile's */
    char automatic_how[200];/* the version rule behind it */
} lt_cap_profile;

void lt_capture_profile(const lt_cap_client *c, lt_cap_profile *out);

/* What the scenario adds around the capture (lt_capture_yaml.c). */
typedef struct lt_capture_doc {
    const char *name;            /* scenario name */
    double run_s;                /* run.duration */
    double start_clock_s;        /* run.start_at: local time of day of the capture */
    const struct mq_rate_step *day; /* day profile of the total rate (NULL: none) */
    size_t nday;
    const char *day_source;      /* the CSV it came from */
} lt_capture_doc;

/* Write the scenario as YAML to f, every value with its provenance comment.
** *defaults (may be NULL) gets how many processing times could not be
** estimated and were written as a default. 0 ok; -1 on a write error. */
int lt_capture_write(FILE *f, const lt_capture *c, const lt_capture_doc *d, int *defaults,
                     sim_err *err);

#endif
