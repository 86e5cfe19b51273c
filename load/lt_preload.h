/*
** lt_preload.h - put a scenario's stacked backlog into the real broker
** before the run's clock starts, as models/mq_model.c does at t = 0.
**
** The ages come from the same random stream as the model's (seed,
** replication 0, "backlog" + entry index, "age"), sorted oldest first, so
** both runs start from the same queue: message k of entry i has the same
** intended time (-age) in both and is not measured for delay (it is
** intended before the warm-up), exactly as in the model. Only small
** backlogs are supported (LT_MAX_BACKLOG in all: publishing with confirms
** runs at a few thousand msg/s here, and the tracker holds every id).
**
** Ownership: the context (its tracker) is borrowed; nothing is kept.
*/
#ifndef LT_PRELOAD_H
#define LT_PRELOAD_H

#include "load/lt_client.h"

#define LT_MAX_BACKLOG 200000u

/* Publish every backlog entry of x->s (persistent, confirmed in windows)
** to `exchange` (routing key = the queue's name) on node u, within
** timeout_s. Each message gets a tracker id (preloaded, confirmed).
** *count = messages published. 0 ok; -1 with a message. */
int lt_preload(lt_ctx *x, const lt_url *u, const char *exchange, double timeout_s,
               uint64_t *count, sim_err *err);

#endif
