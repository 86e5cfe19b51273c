/*
** mq_change.h - the plug-in point for change models: one table of function
** pointers and flags per change type (in the manner of ROSS's tw_lptype),
** and the registry that lists them.
**
** A change type is what a scenario's change block describes (a RabbitMQ
** shared <-> dedicated conversion, a RocketMQ configuration change, a
** rolling broker restart, ...). The base model (models/mq_*.c) knows none of
** them: it calls the table's functions at fixed points of a run and the
** table's hooks at fixed points of the message flow, and a hook left NULL
** costs one test. The scenario holds one change as an {ops, cfg} pair
** (mq_scenario.change), the world one {ops, state} pair (mq_world.change).
**
** Lifecycle, the same for every type (models/mq_model.c):
**   create    after the base world is built, before anything is preloaded
**             or started: allocate the state, grow the world if needed
**             (extra brokers or queues), 0 or -1 on out-of-memory;
**   schedule  after the scenario's events are scheduled: the change's own
**             engine events;
**   completed at the end: whether the change had completed within the run;
**   metrics   at the end of the summary: the change's rows and warnings;
**   destroy   when the world is torn down (also after a failed create).
** The value side: cfg_free releases the loaded change; to_baseline makes
** it the paired baseline's (issue 6), see below.
**
** The scenario-parsing half of a type lives in io/change/ (io/ may include
** models/, never the reverse), the load tester's half, if any, in
** load/change/. docs/MODEL.md, "How to add a change type", walks through it.
*/
#ifndef MQ_CHANGE_H
#define MQ_CHANGE_H

#include "models/mq_metric_info.h"
#include "models/mq_scenario.h"
#include "sim/sim_err.h"

#include <stdbool.h>
#include <stdint.h>

struct mq_world;
struct mq_result;
struct mq_conn;
struct mq_producer;
struct mq_consumer;
struct mq_ent;

/* Why a producer lost a send (told to the on_lost hook): its connection was
** down (or silent) through its attempts, or it stayed throttled. */
typedef enum mq_lost_why { MQ_LOST_DISCONNECTED, MQ_LOST_THROTTLED } mq_lost_why;

/* Flags of a change type. */
enum {
    /* Settled message records are never recycled: the change keeps ids of
    ** consumed messages (RocketMQ offsets compare them). */
    MQ_CHANGE_KEEPS_RECORDS = 1u << 0,
    /* Not a change: the paired baseline of one, applying the current
    ** configuration only (mq_scenario_has_change is false for it). */
    MQ_CHANGE_BASELINE_ONLY = 1u << 1,
};

typedef struct mq_change_ops {
    const char *key;        /* the scenario's change key, e.g. "rabbitmq_conversion" */
    unsigned flags;         /* MQ_CHANGE_* */

    /* ---- the change as a value (owned by mq_scenario.change.cfg) ---- */
    void (*cfg_free)(void *cfg);
    /* The paired baseline: turn cfg into what the baseline keeps and return
    ** the type it then is; NULL = nothing is kept (the caller frees cfg). */
    const struct mq_change_ops *(*to_baseline)(void *cfg);
    /* Where the change's start time (run time, s) is stored, for
    ** `run --at HH:MM`; NULL when it has none. */
    double *(*start_at)(void *cfg);

    /* ---- lifecycle of a run (see the file header) ---- */
    int (*create)(struct mq_world *w, const void *cfg, void **state);
    void (*schedule)(struct mq_world *w);
    void (*metrics)(struct mq_world *w, struct mq_result *out);
    /* At the end of the run: whether the change had completed within it
    ** (the base model's change_completed). NULL for a type that changes
    ** nothing (a paired baseline's). */
    bool (*completed)(struct mq_world *w);
    void (*destroy)(struct mq_world *w, void *state);
    /* The rows its metrics add to the summary, in the order it writes them
    ** (the metric table, models/mq_metric_info.h, lists them after the
    ** base model's). */
    const mq_metric_info *metrics_info;
    size_t nmetrics;

    /* ---- hooks from the base model; NULL = none ---- */
    /* Before every connection attempt: may move c to another broker. At
    ** the end of the run it is also called on a copy of a cut-off client's
    ** connection to ask where its next attempt would go, so it may change
    ** only c's own routing fields (broker, cluster). */
    void (*conn_route)(struct mq_world *w, struct mq_conn *c);
    /* After every change of a queue's ready or scheduled contents. */
    void (*backlog_changed)(struct mq_world *w);
    /* Extra admission of a send after its broker's capacity (false =
    ** throttled; *refused_tps then holds the message rate of the limit
    ** that refused it, NAN for a limit that is no message rate). */
    bool (*send_admit)(struct mq_world *w, struct mq_producer *p, double *refused_tps);
    /* A consumer acked msg. */
    void (*on_ack)(struct mq_world *w, struct mq_consumer *c, uint32_t msg);
    /* After a consumer's requeue on a drop. */
    void (*on_consumer_down)(struct mq_world *w, struct mq_consumer *c);
    /* Producer p's send was lost (its last copy). */
    void (*on_lost)(struct mq_world *w, struct mq_producer *p, mq_lost_why why);
    /* c is connected again after a cut-off of window_s. */
    void (*on_conn_up)(struct mq_world *w, struct mq_conn *c, double window_s);

    /* ---- storage routing (a change that adds queues, e.g. a migration's
    ** destination); NULL = every queue stands alone ---- */
    /* The queue a send from c to `queue` is stored in. Whatever changes
    ** the answer of this hook or the next (a phase flag, a connection's
    ** broker or cluster) calls mq_routing_changed; conn_route's moves are
    ** reported by the base model. */
    uint32_t (*route_send)(const struct mq_world *w, const struct mq_conn *c, uint32_t queue);
    /* The broker whose capacity admits a send from c stored in `stored`
    ** (NULL: the broker c is connected to). */
    int (*admit_broker)(const struct mq_world *w, const struct mq_conn *c, uint32_t stored);
    /* The queue a store or a requeue into `queue` lands in. */
    uint32_t (*route_store)(const struct mq_world *w, uint32_t queue);
    /* The queue whose FIFO holds the consumers waiting for `queue`'s
    ** messages (a copy handed to them is marked from_alt when it differs). */
    uint32_t (*waiters_of)(const struct mq_world *w, uint32_t queue);
    /* A consumer of `queue` takes a ready copy (mq_queue_take_ready on the
    ** queues it reads, setting e->from_alt for one from alt_queue); false
    ** when there is none. */
    bool (*take)(struct mq_world *w, uint32_t queue, struct mq_ent *e);
    /* The other queue whose copies consumers of `queue` read and hold
    ** (from_alt deliveries count as its unacked); MQ_NONE when none. */
    uint32_t (*alt_queue)(const struct mq_world *w, uint32_t queue);
} mq_change_ops;

/* The registry: every change type a scenario can name, NULL-terminated
** (models/change/mq_changes.c). Types only reachable through to_baseline
** are not listed. */
extern const mq_change_ops *const mq_changes[];

/* The base model's "no change": every function and hook NULL. The world
** runs it when the scenario has no change, so hooks need one test only. */
extern const mq_change_ops mq_change_none;

/* The registered type whose key is `key`; NULL if none. */
const mq_change_ops *mq_change_find(const char *key);

/* The scenario's change cfg when it is of type ops, else NULL (a typed
** accessor for a type's own code, tests and tools). */
static inline void *mq_change_cfg(const mq_scenario *s, const mq_change_ops *ops)
{
    return s->change.ops == ops ? s->change.cfg : NULL;
}

#endif
