/*
** mq_world.h - the base model's internal state, shared by the models/mq_*.c
** files and by nothing else (cli/ and io/ see only mq_model.h).
**
** The world is plain arrays indexed by small integers: messages by id,
** queues, brokers, clients. Engine events carry a pointer to the entity they
** concern (subject) and an integer argument; `kind` values below name them
** for the trace fingerprint. Everything is created in mq_model_run and freed
** there, so no function here takes ownership of anything.
*/
#ifndef MQ_WORLD_H
#define MQ_WORLD_H

#include "models/change/mq_change.h"
#include "models/mq_estimate.h"
#include "models/mq_model.h"
#include "models/mq_ring.h"
#include "sim/sim_rng.h"
#include "sim/sim_stats.h"

#include <gsl/gsl_rng.h>
#include <stdbool.h>
#include <stdint.h>

/* Event kinds (fingerprint and profiling). Lower priority runs first at the
** same instant: scenario events before client activity, sampling last. */
enum {
    K_ARRIVAL = 1, K_SEND_RETRY, K_PROC_DONE, K_CONS_WAKE, K_CONN_TIMER,
    K_EVENT_START, K_EVENT_END, K_SCHED_DUE, K_SCHED_EXPIRE, K_SAMPLE, K_QUEUE_EXPIRE
};
enum { PRIO_EVENT = 0, PRIO_CLIENT = 10, PRIO_SAMPLE = 100 };

/* Where a message ended up. PENDING = still somewhere in the system.
** FREE = the record was recycled (mq_store.c) and its id awaits reuse. */
enum { FATE_PENDING = 0, FATE_CONSUMED, FATE_EXPIRED, FATE_LOST, FATE_FREE, FATE_NSTATES };
/* Why a second copy of a message exists (duplicate causes). */
/* REQUEUE: RabbitMQ unacked copy requeued; REDELIVERY: its RocketMQ
** counterpart (in-flight message redelivered); OFFSET_ROLLBACK: RocketMQ
** consumer re-reads from its last committed offset (a change type's
** rebalance, models/change/). */
enum { DUP_REQUEUE = 0, DUP_REPUBLISH, DUP_SEND_RETRY, DUP_OFFSET_ROLLBACK,
       DUP_REDELIVERY, DUP_NCAUSES };
/* What the base clients do differently per broker kind, as data
** (models/mq_kind.c holds one row per mq_kind; the world points at its
** instance's row), so no base-model file branches on the kind. */
typedef struct mq_broker_kind {
    const char *name;            /* the scenario's instance.kind spelling */
    /* A send attempt on a lost connection returns only when its send
    ** timeout expires (the request goes unanswered): the gap between two
    ** attempts is timeout + back-off, not the back-off alone. */
    bool attempt_waits_timeout;
    /* A throttled send: the SDK backs off (jittered, growing) and each
    ** retry uses one of its attempts; otherwise the application backs off
    ** by retry_backoff without using an attempt. */
    bool throttle_uses_attempts;
    /* With confirms, a send blocks until its reply (a sync send): buffered
    ** sends go out one reply apart after a reconnect, not in one instant. */
    bool sync_send;
    /* The client still processes deliveries it read before a server-side
    ** close (with the profile's process_buffer_on_close). */
    bool reads_before_close;
    /* The instance's spec_tps is one token bucket over every send stored in
    ** a scenario queue (world.spec); otherwise a change type enforces it. */
    bool spec_bucket;
    uint8_t dup_requeue;         /* cause of an unacked copy coming back */
    uint8_t dup_resend;          /* cause of a stored send sent again */
} mq_broker_kind;
const mq_broker_kind *mq_broker_kind_of(mq_kind kind);

/* Why a message was lost or expired. */
enum { LOSS_SEND_FAILED = 0, LOSS_AUTOACK_BUFFER, LOSS_NCAUSES };
enum { EXP_TTL = 0, EXP_RETENTION, EXP_NCAUSES };

/* A message record (32 bytes). Its id is reused once the message is
** settled and nothing refers to it (mq_store.c: record lifetime). */
typedef struct mq_msg {
    double intended;   /* intended send time (backlog: minus its age) */
    double stored_at;  /* when the broker first stored it */
    double expire_at;  /* INFINITY when it never expires */
    uint32_t queue;    /* FREE: the next free id (free list link) */
    uint8_t fate;
    uint8_t dup_cause; /* cause of the latest extra copy */
    uint8_t measured : 1;  /* counts toward delay metrics (after warm-up) */
    uint8_t scheduled : 1; /* a copy waits in the broker's schedule */
    uint8_t pins : 6;  /* references that are not copies but may act on the
                          message later: an orphaned processing slot, a
                          stored send awaiting its confirm */
    uint8_t copies;    /* copies alive in queues, clients and schedules */
} mq_msg;
_Static_assert(sizeof(mq_msg) == 32, "message record must stay 32 bytes");
#define MQ_MSG_PINS_MAX 63

/* A queue or buffer entry: which message, and whether this copy is a
** redelivery. */
typedef struct mq_ent {
    uint32_t msg;
    uint8_t redelivered; /* queues/consumers: a redelivery; producers: a
                            republish of a copy the broker already has */
    uint8_t attempts;    /* producers: failed send attempts so far;
                            consumers: 1 = processed and acked into a silent
                            link (the ack lands if the link comes back) */
    uint8_t from_alt;    /* consumers: taken from the change's alternate
                            queue of the group's (alt_queue hook: a
                            migration's destination), whose unacked count
                            it holds until its ack */
    double avail_at;     /* consumers: when it reaches the client;
                            producers: when the next retry is due;
                            queues: no TTL or retention expiry before this
                            (mq_msg_no_expiry_before), so the head can be
                            checked without touching the record */
} mq_ent;

/* Rings of entries (queues, client buffers), of stored sends awaiting a
** confirm, and of waiting consumers (mq_ring.h). */
MQ_RING_DEFINE(mq_ring, mq_ent)

/* A stored send whose confirm has not arrived yet: the producer would
** republish it after a drop. One ring per producer group, in send order
** (all its clients share the confirm latency, so the head expires first);
** entries of a producer that dropped are marked dead in place. */
typedef struct mq_unconf {
    uint32_t msg;
    uint32_t producer; /* index into world.producers; MQ_NONE once dead */
    double sent_at;
} mq_unconf;
MQ_RING_DEFINE(mq_unconf_ring, mq_unconf)

struct mq_consumer;
MQ_RING_DEFINE(mq_cons_ring, struct mq_consumer *)
#define MQ_NONE UINT32_MAX

/* Connection states of the reconnect state machine (mq_conn.c). */
typedef enum conn_state {
    CONN_UP,        /* connected */
    CONN_DETECTING, /* peer silent; the client has not noticed yet */
    CONN_BACKOFF,   /* waiting before the next connection attempt */
    CONN_CUT_OFF    /* no automatic recovery (or gave up): waits for the app */
} conn_state;

/* Why the client saw its connection go down (set before the client's
** on_down): the server reset it (a close, a broker stop: the client reads
** the close after the frames before it), the silence was detected, or the
** application itself restarts (its process and buffers are gone). */
typedef enum conn_down_cause {
    DOWN_RESET,
    DOWN_SILENCE_DETECTED,
    DOWN_APP_RESTART
} conn_down_cause;

struct mq_world;

typedef struct mq_conn {
    struct mq_world *w;
    conn_state state;
    bool consumer;      /* which kind of client owns it */
    int group;          /* index into producers[] or consumers[] */
    int index;          /* client index within the group */
    int broker;
    const mq_reconnect *cfg;
    gsl_rng *rng;       /* reconnect jitter stream */
    sim_handle timer;   /* detection, backoff or app-restart timer */
    double timer_at;    /* when that timer fires (when pending) */
    double down_since;  /* start of the current cut-off window */
    uint8_t cluster;    /* 0 = the scenario's cluster; 1 = a migration's
                           destination (set by world.conn_route) */
    double wait_s;      /* current backoff wait */
    int attempts;       /* failed attempts in this outage */
    conn_down_cause down_cause; /* of the latest drop */
    bool closed;        /* the server reset it while the link was silent
                           (DETECTING): when the silence ends the client
                           meets the closed connection, not its old one */
    /* statistics */
    double total_down_s, max_down_s;
    int drops, reconnects;
} mq_conn;

typedef struct mq_producer {
    mq_conn conn;
    struct mq_world *w;
    const mq_producer_group *g;
    gsl_rng *rng;       /* arrivals: points into rng_store */
    sim_rng_embedded rng_store;
    gsl_rng *delay_rng; /* delayed messages: which, and their delay; NULL
                           when the group sends none (owned) */
    uint32_t id;        /* index into world.producers */
    mq_ring buffer;     /* sends waiting for the connection */
    mq_ring retry;      /* failed sends waiting to be retried, by due time */
    mq_ring unsent;     /* sends made into a silent link: they hold the
                           producer's copy; stored if the link comes back,
                           republished (confirms) or lost at the drop */
    sim_handle retry_timer;
    bool confirm_times_out; /* the application's wait for a confirm has a
                               timeout (profile: mq_profile.confirm_wait_times_out) */
    double retry_due;   /* when retry_timer fires */
} mq_producer;

/* A processing slot. A delivery still in transit when a slot is free gets
** the slot at once, with its start set to its arrival (mq_consumer.c). */
typedef struct mq_slot {
    double start_at;    /* when processing starts */
    double dt;          /* its processing time */
    sim_handle done;    /* the K_PROC_DONE event */
    uint32_t seq;       /* start order (undoing starts keeps FIFO order) */
    uint32_t msg;
    uint8_t busy;
    uint8_t orphan;     /* its channel closed while processing */
    uint8_t redelivered;
    uint8_t in_transit; /* started before its delivery arrived */
    uint8_t from_alt;   /* as mq_ent.from_alt */
} mq_slot;

typedef struct mq_consumer {
    mq_conn conn;
    struct mq_world *w;
    const mq_consumer_group *g;
    gsl_rng *rng;       /* processing times: points into rng_store */
    sim_rng_embedded rng_store;
    mq_ring buffer;     /* delivered, not yet being processed */
    mq_ring orphans;    /* deliveries that had arrived when the server closed
                           the channel: the application still processes them
                           (ack lost, copy requeued); each pins its message */
    int busy;           /* slots processing (incl. orphans) */
    int unacked;        /* buffer + non-orphan busy slots */
    bool waiting;       /* registered as wanting messages */
    bool buffer_on_close; /* deliveries read before a server-side close are
                             still processed (profile: process_buffer_on_close) */
    double orphans_until; /* ... if they start by then (the last close plus the
                             profile's close_drain_s); later, all are dropped */
    uint32_t starts;    /* slot starts so far (mq_slot.seq) */
    double *stash;      /* processing times drawn for starts that were undone,
                           next first: the next starts use them (<= concurrency) */
    int nstash;
    uint64_t duplicates; /* deliveries it processed that were consumed before */
    mq_slot slots[];    /* concurrency slots, inline: one allocation, and the
                           slots share cache lines with the fields above */
} mq_consumer;

typedef struct mq_queue_rt {
    mq_ring ready;
    uint64_t scheduled_pending; /* scheduled copies not yet due or expired */
    uint64_t unacked;           /* deliveries taken from this queue, unacked */
    mq_cons_ring waiting;       /* consumers with free credit, FIFO; entries
                                   whose consumer left are skipped */
    bool expiry_armed;          /* a head-expiry wake-up is pending ... */
    double expiry_at;           /* ... at this time (the earliest armed) */
} mq_queue_rt;

typedef struct mq_broker_rt {
    double down_until;          /* broker restarting until then */
    double *blocked_until;      /* per group ref (producers, then consumers) */
    double tokens, tokens_t;    /* capacity token bucket */
    double capacity_tps;        /* current capacity, msg/s (0 = unlimited);
                                   the scenario's, changed by change models */
    /* The rate the producers offer this limit (mq_producer.c offered_to),
    ** valid for run times in [offered_from, offered_until) while
    ** world.route_epoch is offered_epoch. */
    double offered, offered_from, offered_until;
    uint64_t offered_epoch;
} mq_broker_rt;

typedef struct mq_world {
    const mq_scenario *s;
    const mq_broker_kind *bk;   /* the instance's broker kind (mq_kind.c) */
    sim *sim;
    mq_run_opts opts;
    sim_err *err;

    mq_msg *msgs;
    size_t nmsgs, msgs_cap;     /* records in use or free; allocated */
    uint32_t free_head;         /* recycled ids, LIFO (MQ_NONE = none) */
    size_t nfree;
    bool keep_records;          /* never recycle: the change type keeps ids of
                                   settled messages (MQ_CHANGE_KEEPS_RECORDS) */
    uint64_t created;           /* mq_msg_new calls */
    uint64_t freed_by_fate[FATE_NSTATES]; /* settled records recycled */

    mq_queue_rt *queues;
    mq_broker_rt *brokers;
    mq_broker_rt spec;          /* RabbitMQ: the instance's spec_tps, one token
                                   bucket over every send stored in a scenario
                                   queue (not in a change model's twin on
                                   another cluster); 0 = unlimited */
    mq_producer **producers;    /* all producer clients */
    size_t nprod;
    mq_unconf_ring *unconf;     /* per producer group (mq_producer.c) */
    mq_consumer **consumers;    /* all consumer clients */
    size_t ncons;

    /* counters */
    uint64_t published, preloaded, consumed, duplicates, redelivered;
    uint64_t dup_by_cause[DUP_NCAUSES], lost_by_cause[LOSS_NCAUSES];
    bool may_expire;            /* a copy can expire (retention, or a TTL was
                                   set): queues skip expiry work while false */
    uint64_t expired_by_cause[EXP_NCAUSES];
    uint64_t exceptions, throttled, reconnects;
    /* Throttled sends by cause: overload = refused while the producers
    ** offered the limit that refused them more than its capacity (a spec,
    ** or a broker, too small for the load); the rest came in bursts
    ** (replays, retries) the limit cannot absorb at once, or from a limit
    ** with no message rate. */
    uint64_t throttled_overload;
    uint64_t throttled_overload_broker; /* of those, by a broker's own capacity */
    double overload_from_s;     /* first overload refusal, run time */
    double overload_offered;    /* offered rate, msg/s, and capacity, msg/s, */
    double overload_capacity;   /* at the refusal with the most offered */
    double offered_now, offered_from, offered_until; /* mq_offered_rate cache */
    uint64_t route_epoch;       /* mq_routing_changed calls */
    uint64_t offered_lookups;   /* offered_to's cache hits; every 1024th is
                                   recomputed and must agree */
    uint64_t connected_producers, connected_consumers;
    uint64_t ready_total;       /* ready copies over all queues */
    uint64_t unacked_total;

    /* measurement */
    sim_hist *delay;            /* first-consumption delay, whole run, up to the
                                   last sample (delay_iv holds the rest) */
    sim_hist *delay_iv;         /* the same, current sample interval */
    sim_hist *undelivered;      /* measured messages lost or expired: run
                                   end - intended send time; the messages
                                   still pending join it at the end */
    sim_welford delay_w;
    sim_twavg backlog_tw;       /* ready copies, from warm-up on */
    sim_twavg insys_tw;         /* ready + unacked, from warm-up on */
    double backlog_max;
    double drain_done_at;       /* first time ready hit 0 after drain_from */
    uint64_t backlog_at_drain_from;
    int drain_armed;
    mq_est_drain drain_est;     /* the fluid estimate taken at drain_from */
    uint64_t iv_published, iv_consumed, iv_duplicates;
    uint64_t throttled_at_sample; /* w->throttled at the last sample */
    double *sample_row;           /* one timeseries row (series->ncols) */
    sim_series *series;
    sim_bands *bands;
    int active_events;          /* scenario events currently in effect */
    char label[128];
    /* Runtime queues and brokers are the scenario's, then any the change
    ** model adds in its create (nq, nbrk count them all). */
    size_t nq, nbrk;
    char phase[64];             /* label when no event is in effect */
    /* Hands a copy to a consumer that was waiting for it: the consumer
    ** model's mq_consumer_deliver, set by the driver (mq_model.c), so the
    ** store calls no consumer code and the two files do not call each
    ** other. */
    void (*deliver)(struct mq_world *w, struct mq_consumer *c, mq_ent e);
    /* The scenario's change at run time: its type (never NULL: the base
    ** model runs mq_change_none when there is none) and its state (owned
    ** by the type, released by ops->destroy). */
    struct {
        const mq_change_ops *ops;
        void *state;
    } change;
} mq_world;

/* mq_store.c: messages and queues */
/* Record ids are only valid while the record is live: a record whose
** message is settled (consumed, lost or expired) with no copy and no pin
** left is recycled at once, inside the call that dropped the last one. */
uint32_t mq_msg_new(mq_world *w, uint32_t queue, double intended);
/* Room for `more` records beyond those in use (the array doubles by
** itself; a preload of known size reserves once). */
void mq_msg_reserve(mq_world *w, size_t more);
/* The same, with room for `ahead` records more if the address space is
** there (pages are only touched as records are written, so unused room
** costs no memory), else just `more`. */
void mq_msg_reserve_ahead(mq_world *w, size_t more, size_t ahead);
void mq_msg_copy_add(mq_world *w, uint32_t msg);
void mq_msg_copy_drop(mq_world *w, uint32_t msg);
/* A reference that is not a copy (see mq_msg.pins): keeps the id valid. */
void mq_msg_pin(mq_world *w, uint32_t msg);
void mq_msg_unpin(mq_world *w, uint32_t msg);
/* First processing of the message ends: it is consumed (the caller holds
** a copy or a pin, so the record stays live). */
void mq_msg_consume(mq_world *w, uint32_t msg);
/* Drop a copy; when it was the last one of a message not yet settled, the
** message is lost (expired) for that cause - unless an orphaned processing
** slot or buffered delivery of a dropped consumer still holds it: the
** application will process it, so it is not lost, and it stays pending
** until then. */
void mq_msg_copy_drop_lost(mq_world *w, uint32_t msg, int cause);
void mq_msg_copy_drop_expired(mq_world *w, uint32_t msg, int cause);
/* A time before which the message can expire neither by TTL nor by
** retention (a microsecond short of the exact threshold, so the exact test
** on the record decides near it). */
double mq_msg_no_expiry_before(const mq_world *w, uint32_t msg);
/* The broker stores a copy (a producer send or a due scheduled message). */
void mq_queue_store(mq_world *w, uint32_t queue, uint32_t msg, int redelivered);
/* A consumer with free credit asks for a message; registers as waiting when
** none is ready. Returns true and fills *e when it got one. */
bool mq_queue_take(mq_world *w, uint32_t queue, mq_consumer *c, mq_ent *e);
void mq_queue_unwait(mq_world *w, uint32_t queue, mq_consumer *c);
/* Requeue an unacked copy at the front (redelivered). */
void mq_queue_requeue(mq_world *w, uint32_t queue, uint32_t msg);
/* Arm the wake-up that drops the head of `queue` when it expires (TTL or
** retention), unless one as early is armed or the head never expires. The
** store arms it whenever the head changes; code that fills a ring without
** mq_queue_store (the preload) calls it once after. */
void mq_queue_arm_expiry(mq_world *w, uint32_t queue);
/* When a stored copy of msg expires at the head of a queue: its TTL or the
** retention period after it was stored, whichever comes first (INFINITY:
** never). */
double mq_msg_expiry(const mq_world *w, uint32_t msg);
/* The queue a send from connection c to `queue` is stored in, and the
** broker whose capacity admits it: the change type's routing hooks
** (route_send, admit_broker), else the queue itself and c's broker. */
uint32_t mq_queue_route(const mq_world *w, const mq_conn *c, uint32_t queue);
int mq_queue_admit_broker(const mq_world *w, const mq_conn *c, uint32_t stored);
/* Every answer of the two may have changed (a connection moved, a change
** type's phase rerouted sends): forgets what was derived from them. O(1). */
void mq_routing_changed(mq_world *w);
/* Take the head ready copy of `queue` (expiring what is due first); false
** when it has none. For a change type's take hook. */
bool mq_queue_take_ready(mq_world *w, uint32_t queue, mq_ent *e);
/* The broker's schedule takes a copy of msg (a scheduled or delayed
** message): it becomes ready in `queue` at its intended time, or expires
** at expire_at if that comes first. */
void mq_queue_schedule(mq_world *w, uint32_t queue, uint32_t msg);
/* Ready or unacked counts changed: update time averages, max, drain. */
void mq_backlog_changed(mq_world *w);

/* mq_conn.c: reconnect state machine */
bool mq_conn_reachable(const mq_world *w, const mq_conn *c);
/* The connection breaks now. silent: the client notices only after
** detect_silent_s. forced_restart_s >= 0: the application restarts and
** reconnects after that long, whatever its recovery settings. A reset
** (not silent) of a connection whose link is already silent closes it:
** the client meets the close when the silence ends. */
void mq_conn_drop(mq_world *w, mq_conn *c, bool silent, double forced_restart_s);
/* Called by the client when its connection comes back / goes down. */
void mq_client_on_up(mq_world *w, mq_conn *c);
void mq_client_on_down(mq_world *w, mq_conn *c);
void mq_client_on_silent(mq_world *w, mq_conn *c);
/* The silence ends before the client noticed: the same connection carries
** on (no reconnect); the cut-off window is the silence. No-op unless c is
** still DETECTING. */
void mq_conn_resume(mq_world *w, mq_conn *c);
void mq_client_on_resume(mq_world *w, mq_conn *c);
void mq_conn_finish(mq_world *w, mq_conn *c); /* close open windows at end */
/* Why c is cut off now (the end of the run; mq_end_state), without
** changing it; *refused_until is set for MQ_END_REFUSED. */
mq_end_state mq_conn_end_state(mq_world *w, const mq_conn *c, double *refused_until);

/* mq_producer.c */
/* Take one send from b's capacity token bucket (burst: 100 ms of it);
** false = throttled. Unlimited (capacity_tps 0) always admits. */
bool mq_capacity_admit(mq_world *w, mq_broker_rt *b);
/* A group's total rate (msg/s) at schedule time t. */
double mq_rate_at(const mq_rate *r, double t);
/* mq_rate_at_run and mq_offered_rate (the same at run time): mq_model.h. */
mq_producer *mq_producer_new(mq_world *w, int group, int index);
void mq_producer_free(mq_producer *p);
/* Register the producers' arrivals as the engine's open-loop source;
** call once before mq_producer_start. */
void mq_producers_source(mq_world *w);
void mq_producer_start(mq_world *w, mq_producer *p);
void mq_producer_up(mq_world *w, mq_producer *p);
void mq_producer_down(mq_world *w, mq_producer *p);
/* The silent link came back after silence_s: what was sent into it lands. */
void mq_producer_resume(mq_world *w, mq_producer *p, double silence_s);
/* RocketMQ SDK back-off before retry number attempt + 1 of a throttled
** send (attempt = retries used so far), s. */
double mq_producer_throttle_backoff(int attempt);
/* Visit every message the producer still holds (buffer, retry, sends into a
** silent link), pin = false. */
typedef void (*mq_held_fn)(uint32_t msg, bool pin, void *ud);
void mq_producer_each_held(mq_producer *p, mq_held_fn fn, void *ud);
/* Visit every stored send awaiting its confirm, of every producer (pin). */
void mq_producers_each_unconfirmed(mq_world *w, mq_held_fn fn, void *ud);
/* Stored sends of p whose confirm is still outstanding now. */
uint32_t mq_producer_unconfirmed(mq_world *w, mq_producer *p);
/* Retry window of a disconnected producer's sends (mq_producer.c). */
double mq_producer_retry_span(const mq_world *w, const mq_producer_group *g);

/* mq_consumer.c */
/* The end-of-processing event's argument: the slot, and the message (a
** hint for the lookahead prefetch, mq_model.c; the slot is authoritative). */
static inline uint64_t mq_done_arg(uint32_t msg, int slot)
{
    return (uint64_t)msg << 32 | (uint32_t)slot;
}
static inline int mq_done_slot(uint64_t arg) { return (int)(uint32_t)arg; }
static inline uint32_t mq_done_msg(uint64_t arg) { return (uint32_t)(arg >> 32); }
mq_consumer *mq_consumer_new(mq_world *w, int group, int index);
void mq_consumer_free(mq_consumer *c);
void mq_consumer_start(mq_world *w, mq_consumer *c);
void mq_consumer_up(mq_world *w, mq_consumer *c);
void mq_consumer_down(mq_world *w, mq_consumer *c);
/* The link went silent (not yet detected): deliveries in transit never arrive. */
void mq_consumer_silent(mq_world *w, mq_consumer *c);
/* The silent link came back: acks sent into it land, processing goes on. */
void mq_consumer_resume(mq_world *w, mq_consumer *c);
/* The queue has a message for a waiting consumer. */
void mq_consumer_deliver(mq_world *w, mq_consumer *c, mq_ent e);
/* Copies in the buffer and busy slots (pin = false), orphaned slots (pin). */
void mq_consumer_each_held(mq_consumer *c, mq_held_fn fn, void *ud);
/* Whether some consumer's orphaned slot or orphaned buffered delivery holds
** msg (the application will still process it). Linear in the consumers'
** slots and orphans: asked only when a message's last copy goes. */
bool mq_consumers_orphan_holds(const mq_world *w, uint32_t msg);

/* mq_events.c: the scenario's timed events */
void mq_events_schedule(mq_world *w);
/* End of the next scheduled app_restart that reconnects c (at or after now);
** INFINITY if none (mq_estimate.c counts the consumers that come back). */
double mq_events_restart_back(const mq_world *w, const mq_conn *c, double now);

/* Group reference -> index into broker_rt.blocked_until. */
static inline size_t mq_group_slot(const mq_scenario *s, bool consumer, int g)
{
    return consumer ? s->nproducers + (size_t)g : (size_t)g;
}

#endif
