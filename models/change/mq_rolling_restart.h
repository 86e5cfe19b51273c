/*
** mq_rolling_restart.h - a rolling broker restart for maintenance: the
** instance's nodes (brokers) restart one at a time, each down for
** restart_s, one node's restart starting interval_s after the previous
** one's. Clients connected to the node being restarted lose their
** connection (a server-side reset) and reconnect per their own profile
** (backoff, jitter, attempts, application restart); nothing fails over to
** another node, so a client's cut-off is the restart plus its wait for the
** first attempt after the node is back.
**
** A change type of its own (models/change/mq_change.h), written only
** against the interface: this header and models/change/mq_rolling_restart.c
** are the model half, io/change/scn_rolling_restart.c the scenario half
** (key `rolling_restart:`, rules and warnings). It has no load-tester half,
** so `mqsim load` refuses it.
**
** Ownership: the loader allocates the struct and hangs it on
** mq_scenario.change with mq_rolling_restart_ops; mq_scenario_free()
** releases it (and `nodes`) through the table. The paired baseline drops
** it whole (no restart, nothing else changes).
*/
#ifndef MQ_ROLLING_RESTART_H
#define MQ_ROLLING_RESTART_H

#include "models/change/mq_change.h"
#include "models/mq_scenario.h"

#include <stddef.h>

typedef struct mq_rolling_restart {
    mq_loc loc;
    double at_s;          /* the first node goes down (run time, s) */
    double restart_s;     /* each node is down this long, > 0 */
    double interval_s;    /* from one node's restart to the next one's,
                             >= restart_s (one node down at a time) */
    size_t nnodes;        /* >= 1 */
    int *nodes;           /* broker indexes, in restart order (owned) */
} mq_rolling_restart;

/* Release a heap-allocated change and its nodes; NULL is a no-op. */
void mq_rolling_restart_free(mq_rolling_restart *rr);

/* When the k-th node (0-based) goes down, and when the last one is back. */
double mq_rolling_restart_node_at(const mq_rolling_restart *rr, size_t k);
double mq_rolling_restart_end(const mq_rolling_restart *rr);

/* The change type (models/change/mq_changes.c lists it). */
extern const mq_change_ops mq_rolling_restart_ops;

/* The scenario's rolling restart, or NULL when it has none. */
static inline mq_rolling_restart *mq_rolling_restart_of(const mq_scenario *s)
{
    return mq_change_cfg(s, &mq_rolling_restart_ops);
}

#endif
