/*
** lt_client.h - real AMQP 0-9-1 clients (rabbitmq-c) for the load tester:
** broker URL parsing and the loopback rule, a connect helper where every
** step has a time limit, the message tracker, the shared run context and
** the producer / consumer thread entry points (load/lt_producer.c,
** load/lt_consumer.c; helpers they share: load/lt_client_int.h).
**
** Design: one pthread per client (scenarios for `mqsim load` are small:
** at most LT_MAX_CLIENTS), each owning its own amqp connections, so no
** connection is ever shared between threads. What the threads measure goes
** into one lt_track (message records by id, histograms, counters) behind a
** single mutex: at the few hundred msg/s a validation scenario runs, one
** lock per message is negligible and keeps the accounting exact.
**
** A change replayed on real brokers (load/change/lt_change.h) may run two
** nodes, source and destination. The run context then carries both
** addresses and the active change's table, and the clients follow the
** routing it emulates by asking it neutral questions (lt_client_int.h):
** which node a new connection goes to, and which nodes a consumer may read
** now. Producers publish through an exchange (ctx->exchange) whose routing
** the change may alter on the server. The clients know no stage of any
** change.
**
** Every loop is bounded: producers stop at the run's end or when the
** tracker is full (LT message cap), consumers when told to stop, and every
** wait is sliced into <= 100 ms steps that re-check the stop flag. Every
** socket operation has a time limit (open, handshake, RPC, consume, confirm).
**
** Ownership: lt_track_init/lt_track_free bracket a tracker; lt_client
** structs are owned by the caller (lt_run.c), which starts and joins the
** threads; the tracker and run context are borrowed by every thread until
** it is joined.
*/
#ifndef LT_CLIENT_H
#define LT_CLIENT_H

#include "models/mq_scenario.h"
#include "sim/sim_err.h"
#include "sim/sim_stats.h"

#include <amqp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define LT_MAX_CLIENTS 64
#define LT_MAX_SRV_CLOSES 16 /* server-side closes recorded per client */
#define LT_MAX_MESSAGES 2000000u

typedef struct lt_url {
    char host[256];
    int port;
    char user[64], pass[64], vhost[128];
} lt_url;

/* Parse amqp://[user[:pass]@]host[:port][/vhost] (defaults guest/guest,
** port 5672, vhost "/"; "%2f" in the vhost is "/"). 0 ok, -1 with a message.
** No name is resolved: nothing touches the network. */
int lt_url_parse(const char *s, lt_url *u, sim_err *err);

/* True for a loopback address given literally: "localhost", 127.0.0.0/8,
** "::1" (bracketed or not). Any other name or address, even one that would
** resolve to loopback, counts as remote (it is never resolved). */
bool lt_host_is_loopback(const char *host);

/* Open a connection and log in, each step bounded by timeout_s
** (amqp_socket_open_noblock, handshake and RPC timeouts). conn_name is sent
** as the connection_name client property (shown by rabbitmqctl). On success
** returns a connection the caller closes with lt_disconnect; on failure NULL
** and a message (refused, timeout, auth refused, not an AMQP server). */
amqp_connection_state_t lt_connect(const lt_url *u, double timeout_s, const char *conn_name,
                                   sim_err *err);
/* Close politely (bounded by the RPC timeout) and free. NULL is a no-op. */
void lt_disconnect(amqp_connection_state_t c, bool polite);
/* Text for a failed rabbitmq-c reply. */
const char *lt_reply_text(amqp_rpc_reply_t r, char *buf, size_t n);

/* What every thread records into, by message id. */
typedef struct lt_track {
    pthread_mutex_t mu;
    uint32_t cap, n;          /* ids 0..n-1 handed out */
    double *intended;         /* intended send time, s after t0 */
    uint8_t *consumed;        /* processing completions (saturating) */
    uint8_t *confirmed;       /* broker confirmed at least once */
    uint8_t *drained;         /* found by the final drain */
    double warmup_s;
    sim_hist *delay, *delay_iv;
    sim_welford delay_w;
    uint64_t consumed_unique, duplicates, redelivered, confirms, lost_send_failed;
    uint64_t iv_published, iv_consumed, iv_duplicates;
    uint64_t exceptions;
    uint64_t dup_requeue, dup_republish; /* duplicates by the copy's flag */
    uint64_t republished;     /* sends made again after a failed or timed-out one */
    float *delay_of;          /* delay of each measured id's first completion (s); NAN when none */
    float *redelivered_at;    /* run time of each id's last completion of a
                                 redelivered copy (s); NAN when none */
    double (*stalls)[2];      /* the tester's own stalls [from, to] (lt_track_stall) */
    size_t nstalls, stalls_cap;
    double stalls_full_from;  /* the log overflowed: all from here counts as stalled (INFINITY) */
} lt_track;

/* A tester thread's wake-up this much later than due is a stall (of the
** host, or of the broker it waited on), not the system under test. */
#define LT_STALL_MIN_S 0.02
/* A stall reaches the messages intended this long before it (those already
** waiting: longer than the steady validation scenario's p99 delay, 80 ms)
** and, after it, twice its length plus this (the queue it left drains). */
#define LT_STALL_PRE_S 0.1

int lt_track_init(lt_track *t, uint32_t cap, double warmup_s);
void lt_track_free(lt_track *t);
/* A new id for a message intended at `intended` (s after t0, negative for
** a stacked backlog); counted in the current sample interval's published
** unless preloaded. UINT32_MAX when the tracker is full. */
uint32_t lt_track_new(lt_track *t, double intended, bool preloaded);
/* The broker confirmed id. */
void lt_track_confirmed(lt_track *t, uint32_t id);
/* A tester thread due to run at `due` ran at `now`: noted as a stall when
** later by more than LT_STALL_MIN_S. Any thread. */
void lt_track_stall(lt_track *t, double due, double now);
/* Quantile q of the delays of the measured messages whose intended time is
** outside every stall's reach: from LT_STALL_PRE_S before it (a message
** already waiting) to twice its length plus LT_STALL_PRE_S after it (the
** queue it left behind drains), a window chosen by the intended time only,
** so a message's own delay never decides whether it counts. *kept is the
** number of messages that count, *measured the number measured. NAN when
** none counts. Call after every thread is joined. */
double lt_track_unstalled_quantile(lt_track *t, double q, uint64_t *kept, uint64_t *measured);
/* A message body is "ID INTENDED_S": write one into buf (returns its
** length), or parse one (the id, or UINT32_MAX if it is not one). */
int lt_body_format(char *buf, size_t n, uint32_t id, double intended);
uint32_t lt_body_id(const void *bytes, size_t len);

/* Nodes of a run: one, or a change's source and destination. */
enum { LT_SRC = 0, LT_DST = 1, LT_NODES = 2 };

/* What the routing layer lets a consumer read now: push[n], consume node
** n's queue (deliveries pushed, one prefetch window); pull_src, also take
** from the source's queue by basic.get while that window has credit left
** (the other nodes first, then the source). */
typedef struct lt_reads {
    bool push[LT_NODES];
    bool pull_src;
} lt_reads;

struct lt_change_ops;

/* Shared run context every client reads. */
/* A window [from_s, until_s) of run time in which a client group's new
** connections are refused (a disconnect event's duration, a change's
** outage of an endpoint); until_s <= from_s: none. */
typedef struct lt_block {
    double from_s, until_s;
} lt_block;

typedef struct lt_ctx {
    const mq_scenario *s;
    lt_url nodes[LT_NODES];    /* [LT_SRC] is the broker of a plain run */
    int nnodes;                /* 1, or 2 for a change that runs two nodes */
    const char *exchange;      /* producers publish here ("" = default) */
    lt_track *track;
    double t0;                 /* CLOCK_MONOTONIC at run start */
    double duration_s;
    volatile int stop_producers, stop_consumers;
    pthread_mutex_t mu;        /* guards blocked, client state and the
                                  change's routing state */
    /* the active change's load half and its state (NULL: none), asked
    ** where new connections go and what consumers read (lt_client_int.h) */
    const struct lt_change_ops *change;
    void *change_state;
    lt_block *blocked;         /* per group slot (producers, then consumers):
                                  when its new connections are refused */
    pthread_mutex_t warn_mu;   /* guards warnings */
    sim_strs *warnings;        /* the run's warnings (the result's) */
    const char *real_root;     /* --clients real: the drivers' root (lt_real.h); NULL = emulated */
    struct lt_endpoint *endpoint;   /* real clients' endpoint relay (lt_endpoint.h); NULL = direct */
} lt_ctx;

/* Add a run warning from any thread (out of memory: the warning is lost). */
void lt_warn(lt_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One client and its connection window bookkeeping (guarded by ctx->mu
** where noted; the rest is private to its thread). */
typedef struct lt_client {
    lt_ctx *ctx;
    bool consumer;
    int group, index, slot;
    pthread_t th;
    bool started;
    uint64_t seed;
    /* guarded by ctx->mu */
    bool up;
    bool silenced;             /* up when the broker froze: a silence, not yet noticed */
    int home;                  /* node of the client's own connection; -1 down */
    int local_port;            /* of the current connection, 0 when down */
    double down_since, total_down_s, max_down_s;
    int drops, reconnects;
    uint64_t duplicates;     /* consumer: deliveries of ids already consumed (its thread) */
    double restart_at;         /* app restart requested: reconnect at this time; <0 none */
    bool restart_req;
    int in_flight;             /* consumer: deliveries being processed */
    int src_unacked;           /* consumer, manual ack: deliveries taken from
                                  the source node and not acked yet (a change
                                  may wait for none before closing it) */
    uint64_t held;             /* producer: sends waiting (retry/buffer) */
    double src_done_at;        /* consumer, manual ack, its thread only (read
                                  after the join): when it last acked a
                                  delivery taken from the source node; NAN:
                                  never */
    /* consumer, its thread only (read after the join): service times
    ** measured back to back (processing + the client's own per-message
    ** work), the processing times drawn for them, and their count */
    double busy_s, busy_drawn_s;
    uint64_t busy_n;
    /* consumer, its thread only (read after the join): the server-side
    ** closes of its connection it saw, what it held unacked at them
    ** (summed: the delivery whose ack went into the closed connection, and
    ** the deliveries read into its buffer), the model's duplicates for that
    ** state (mq_consumer_close_duplicates) and its largest scheduling lag
    ** (late wake-up) in the 2-4 s before a close (lt_consumer.c) */
    int closes;
    uint64_t close_busy, close_buffered, close_dup_model;
    double close_lag_s;
    /* guarded by ctx->mu: the server-side closes of a disconnect event that
    ** landed on its connection, as the broker saw them (lt_close_ports_held):
    ** when (run time) and the deliveries it held unacked then.
    ** lt_real_close_state turns them into the close state above. */
    int srv_closes;
    double srv_close_at[LT_MAX_SRV_CLOSES];
    uint64_t srv_close_held[LT_MAX_SRV_CLOSES];
    /* real consumer: the ids its library completed on each connection the
    ** server closed (close k: closed_ids[closed_end[k-1] .. closed_end[k])),
    ** kept by its thread for lt_real_close_state, which frees them */
    uint32_t *closed_ids;
    size_t closed_end[LT_MAX_SRV_CLOSES];
} lt_client;

double lt_now(const lt_ctx *c); /* seconds since ctx->t0 */
/* Whether group slot's new connections are refused at run time now; and
** refuse them over [from_s, until_s). A window still open or ahead at now
** is widened to cover both, never narrowed: a second event launched
** before the first one's window ends keeps the first in force. Both with
** c->mu held. */
bool lt_slot_blocked(const lt_ctx *c, size_t slot, double now);
void lt_block_slot(lt_ctx *c, size_t slot, double from_s, double until_s, double now);
/* What to add to a run time (lt_now) to get the broker nodes' clock
** (CLOCK_REALTIME, which rabbitmqctl's Erlang side reads), s: both clocks
** read side by side now. Subtract it to bring a node's time onto the run. */
double lt_unix_offset(const lt_ctx *c);
void *lt_producer_main(void *arg);
void *lt_consumer_main(void *arg);

#endif
