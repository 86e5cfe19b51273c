/*
** lt_admin.h - the control-plane AMQP operations of a load-test run:
** declaring the topology (durable queues, exchanges, bindings), reading a
** queue's ready count, and the final drain that tells "still stored" from
** "lost".
**
** Why over AMQP and not rabbitmqctl: these run on the measured timeline
** (a change's routing switch, its drain watch every 100 ms) where a
** rabbitmqctl call (an Erlang VM start, 0.3-0.8 s) would be far too slow;
** an AMQP method on loopback takes about a millisecond and is bounded by
** the connection's RPC timeout (lt_connect).
**
** Every function takes a connection the caller opened with lt_connect and
** still owns, uses channel 1 and returns 0 ok / -1 with a message in err
** (the channel or connection is then unusable: close it).
*/
#ifndef LT_ADMIN_H
#define LT_ADMIN_H

#include "load/lt_client.h"

/* Declare a durable queue and purge it (a clean start); with exchange
** non-NULL, bind it there with its own name as the key. */
int lt_admin_queue(amqp_connection_state_t c, const char *queue, const char *exchange,
                   sim_err *err);
/* Declare a durable exchange of type ("direct", "fanout"); alternate
** non-NULL: unroutable messages go to that exchange. */
int lt_admin_exchange(amqp_connection_state_t c, const char *name, const char *type,
                      const char *alternate, sim_err *err);
/* Remove the binding queue <- exchange (key = the queue's name). */
int lt_admin_unbind(amqp_connection_state_t c, const char *queue, const char *exchange,
                    sim_err *err);
/* Messages ready in queue (not counting unacked ones) into *ready. */
int lt_admin_ready(amqp_connection_state_t c, const char *queue, uint64_t *ready, sim_err *err);
/* basic.get every queue in queues[0..n-1] on node u until empty, marking
** the ids found in t->drained; bounded by deadline (lt_now) and by
** 4 x t->n + 1000 gets per queue. */
int lt_admin_drain(const lt_ctx *x, const lt_url *u, const char *const *queues, size_t n,
                   double deadline, sim_err *err);

#endif
