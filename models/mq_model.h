/*
** mq_model.h - the base message-flow model: build a world from a validated
** scenario, run it on the engine, and return what it measured.
**
** What is modelled (details in each models/ file's header):
**   - producers: open-loop arrivals from a piecewise rate schedule; each
**     message carries its intended send time, so a send delayed by a
**     disconnect still counts its delay from then (no coordinated omission);
**     confirms, republish of unconfirmed sends, retry/buffer/drop while down;
**   - brokers: per-queue FIFO of ready messages, scheduled messages that
**     become visible at their due time, TTL expiry, retention, restarts;
**   - consumers: prefetch window and processing concurrency, sampled
**     processing time, ack; on a drop, unacked deliveries are requeued and the
**     ones already being processed become duplicates when redelivered;
**   - connections: the reconnect state machine (detection, backoff with
**     jitter and cap, max attempts, application restart).
**
** Accounting is checked at the end of every run: every unique message is
** consumed, still stored (broker or producer), expired or lost, and every
** message the books call "stored" is found in some container. A violation is
** reported through the error buffer and the run fails (exit 1 in the CLI).
**
** Ownership: mq_model_run fills *out, which the caller releases with
** mq_result_free(). The scenario is borrowed for the duration of the call.
*/
#ifndef MQ_MODEL_H
#define MQ_MODEL_H

#include "models/mq_scenario.h"
#include "sim/sim.h"
#include "sim/sim_err.h"
#include "sim/sim_stats.h"
#include "sim/sim_table.h"

#include <stdint.h>

typedef struct mq_run_opts {
    uint64_t seed;          /* master seed (the scenario's unless overridden) */
    uint64_t replication;   /* replication index, 0 for a single run */
    sim_progress_fn progress; /* optional */
    void *progress_ud;
} mq_run_opts;

/* Why a client was still cut off when the run ended: what the report's
** advice for it follows from. A client its broker does not let in is
** REFUSED whatever its own settings (no setting of the client brings it
** back); the others by the state of their reconnect machine (mq_conn.c). */
typedef enum mq_end_state {
    MQ_END_CONNECTED = 0,
    MQ_END_REFUSED,       /* its broker (or the broker a new connection goes
                             to) is down or closed to it at the end */
    MQ_END_RECONNECTING,  /* still detecting the drop or in its back-off */
    MQ_END_RESTART_LATER, /* an application restart is due after the end */
    MQ_END_GAVE_UP,       /* automatic reconnect stopped at max_attempts */
    MQ_END_NO_RECOVERY,   /* no automatic reconnect, no restart due */
    MQ_END_NOT_RECORDED,  /* cut off, why not known (a real broker run) */
    MQ_END_NSTATES
} mq_end_state;

/* One client's cut-off windows, for plots and per-group tables. */
typedef struct mq_client_outage {
    char *group;            /* owned */
    int index;              /* client index within the group */
    double total_s, max_s;  /* time cut off, summed and longest */
    int drops, reconnects;
    int connected_at_end;
    mq_end_state end;       /* why it was cut off at the end (CONNECTED if not) */
    double refused_until;   /* END_REFUSED: when its broker lets it in again
                               (INFINITY: for good) */
    uint64_t duplicates;    /* a consumer's deliveries of messages it or another
                               consumer had already processed (0: producer) */
} mq_client_outage;

typedef struct mq_result {
    sim_metrics metrics;    /* summary rows, in report order */
    sim_series series;      /* timeseries, label column = phase/event */
    sim_bands bands;        /* events and phases, for plots */
    sim_strs warnings;
    mq_client_outage *outages;
    size_t noutages;
    uint64_t fingerprint;   /* engine trace fingerprint */
    uint64_t events;        /* events executed */
} mq_result;

/* Run s once. 0 ok; -1 with err when the accounting check fails (out of
** memory ends the process, SIM_NEED). */
int mq_model_run(const mq_scenario *s, const mq_run_opts *o, mq_result *out,
                 sim_err *err);
void mq_result_free(mq_result *r);

/* A producer group's total rate (msg/s) at run time t: a periodic schedule
** (a day profile) is read at the time of day run.start_clock_s + t, a
** one-off schedule at t. */
double mq_rate_at_run(const mq_scenario *s, const mq_rate *r, double t);
/* The offered rate at run time t, summed over every producer group (msg/s):
** the arrival rate lambda of the fluid estimates and the start-time search. */
double mq_offered_rate(const mq_scenario *s, double t);

/* Run one replication and keep only its summary metrics (for replications,
** sweeps and searches that need nothing else). *out must be empty; the
** caller frees it with sim_metrics_free(). */
/* Summary rows every run writes, simulated or measured (the load tester
** uses them too): delay_mean_s, delay_p50/p90/p99/p999/p9999_s and
** delay_max_s from a delay histogram and its exact mean (NAN rows when it
** is empty); disruption_max_s, disruption_client_s, clients_disrupted and
** clients_cut_off_at_end from the clients' outage windows. 0, or -1 on
** out-of-memory. */
int mq_metrics_add_delay(sim_metrics *m, const sim_hist *delay, double mean);
int mq_metrics_add_disruption(sim_metrics *m, const mq_client_outage *o, size_t n);
/* Delay over every intended message, so that losing messages cannot lower
** a percentile: undelivered_fraction (messages lost, expired or still
** undelivered at the end of the run, per message sent after warm-up) and
** delay_all_p50_s, _p99_s, _p999_s over the delivered messages' delays
** (`delay`) together with the undelivered ones counted as delayed to the
** end of the run (`undelivered`: run end - intended send time). 0, or -1 on
** out-of-memory. */
int mq_metrics_add_delay_all(sim_metrics *m, const sim_hist *delay, const sim_hist *undelivered);

int mq_model_run_metrics(const mq_scenario *s, uint64_t seed, uint64_t replication,
                         sim_metrics *out, sim_err *err);

/* The library of group g still hands to the application what it had read
** when the server closed the connection (the group's
** process_buffer_on_close: the profile's default unless the scenario sets
** it). */
bool mq_consumer_buffer_on_close(const mq_consumer_group *g);
/* The model's duplicates-per-close rule for a server-side close (a reset)
** of a RabbitMQ consumer's connection, given what the consumer held then:
** `busy` deliveries being processed and `buffered` read into its buffer,
** all unacked. Manual ack: every busy one finishes, its ack is lost and
** its requeued copy comes back (one duplicate each); the buffered ones do
** the same when the library processes its buffer on close (the simulation
** further drops those that would start later than the profile's
** close_drain_s after the close: the rule holds while the buffer's
** processing fits in it, as in every validation cell). Auto ack: none
** (the buffer is lost instead). mq_consumer_down applies this rule; the
** load tester applies it to the state it records at a real close. */
uint64_t mq_consumer_close_duplicates(const mq_consumer_group *g, uint64_t busy, uint64_t buffered);

#endif
