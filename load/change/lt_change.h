/*
** lt_change.h - the load tester's half of a change type: how a change is
** replayed on real brokers, and the registry keyed by the change type's
** key (mq_change_ops.key). load/lt_run.c drives the table and names no
** change type; a change type without a load half is refused by load mode.
**
** Lifecycle (lt_run.c): check -> setup (starts the nodes it needs) ->
** start (after the clients) -> stop -> results -> free.
**
** While the run goes, the clients ask the change three questions through
** the run context (lt_ctx.change, lt_client_int.h): where a new connection
** goes, what a consumer may read, and the label of the stage in effect.
** The answers are the change's own routing, in its own terms; the clients
** know no stage of any change. These three are called from any thread, at
** any time between setup and free (before start: the state before the
** change), and take ctx->mu themselves (the caller must not hold it).
*/
#ifndef LT_CHANGE_H
#define LT_CHANGE_H

#include "load/lt_broker.h"
#include "load/lt_client.h"
#include "models/mq_model.h"

typedef struct lt_change_ops {
    const char *key; /* the change type it replays (mq_change_ops.key) */
    /* Can this scenario's change be replayed? 0 ok (warnings appended). */
    int (*check)(const mq_scenario *s, sim_strs *warnings, sim_err *err);
    /* Start its nodes, fill x->nodes, x->nnodes and x->exchange; *out is the
    ** replay's state (released by free). 0 ok; -1 with a message. */
    int (*setup)(const mq_scenario *s, lt_ctx *x, void **out, sim_err *err);
    /* Node LT_SRC or LT_DST of the replay. */
    const lt_broker *(*node)(const void *c, int node);
    /* The queues to drain on node into names (up to cap); how many. */
    size_t (*drain_queues)(const void *c, int node, const char **names, size_t cap);
    int (*start)(void *c, lt_client *clients, size_t nclients, sim_err *err);
    void (*stop)(void *c); /* idempotent; NULL-safe */
    /* The node (LT_SRC or LT_DST) a new connection, and the sends on it,
    ** goes to now. */
    int (*connect_node)(const void *c);
    /* What a consumer whose own connection is on node home may read now. */
    void (*reads)(const void *c, int home, lt_reads *out);
    /* The label of the change's stage in effect, for timeseries rows
    ** ("" before it starts). Static storage. */
    const char *(*stage_label)(const void *c);
    /* After stop: the change's rows, bands and warnings. 0 ok, -1 OOM. */
    int (*results)(void *c, mq_result *out, double end_s, double overhead_s);
    void (*free)(void *c); /* NULL-safe */
} lt_change_ops;

/* The load half of s's change; NULL when it has none or it has no load half. */
const lt_change_ops *lt_change_find(const mq_scenario *s);

#endif
