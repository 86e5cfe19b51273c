/*
** lt_real.h - `mqsim load --clients real`: each client of the scenario is
** the real client library its group's profile names (the RabbitMQ Java
** client, pika, amqp091-go), run as a small driver process in that
** library's own language (load/clients/), instead of the rabbitmq-c
** emulation (lt_producer.c, lt_consumer.c).
**
** Why processes and a line log: the point is to measure the libraries
** themselves, so nothing of their behaviour (heartbeat timers, recovery,
** what happens to buffered deliveries) may be re-implemented here. The
** driver reports facts; this side keeps the run's bookkeeping exactly as
** the emulated clients do (the same lt_track, the same connection windows,
** the same server-side close by local port), so the rest of lt_run is
** unchanged. The shared log format is in load/clients/README.md.
**
** Where a driver connects: the broker itself, or, when the scenario moves
** or refuses connections (a change replayed on two nodes, a disconnect
** event with a duration), its group's port on the endpoint relay
** (lt_endpoint.h); a change that routes reads between its nodes runs its
** own router for the real libraries (load/change/). A driver's UP port is mapped
** through the relay to the port the broker sees, so server-side closes
** (lt_close.h) find it.
**
** A producer's arrivals stay here (the scenario's rate schedule, the same
** random stream as lt_producer.c): each message id is written to the
** driver's stdin at its intended time and the driver publishes it as the
** profile's application would (confirms, send timeout, on_disconnect).
**
** Ownership: lt_real_check writes the drivers' root folder into a
** caller-owned buffer; the threads borrow their lt_client like the
** emulated ones and own their driver process (killed and reaped before the
** thread returns).
*/
#ifndef LT_REAL_H
#define LT_REAL_H

#include "load/lt_client.h"

/* Can every group of s run with its real library on this machine? Finds
** the drivers' root (the folder holding load/clients/, next to the mqsim
** binary or one above it) and checks each group's library: the Java
** client jar and the built driver classes, /usr/bin/python3 with pika, the
** built Go driver. 0 ok (root filled); -1 naming the group, its profile and
** what is missing (never a silent fallback to the emulation). */
int lt_real_check(const mq_scenario *s, char *root, size_t n, sim_err *err);

/* After the nodes are known, before the clients start: the endpoint relay
** (lt_endpoint.h) when the scenario moves or refuses connections (a
** change replayed on two nodes, a disconnect event with a duration), into
** x. 0 ok; -1 with a message. */
int lt_real_prepare(lt_ctx *x, sim_err *err);
/* Stop and free what lt_real_prepare started (idempotent). */
void lt_real_release(lt_ctx *x);

/* Thread entry points, as lt_producer_main / lt_consumer_main. */
void *lt_real_producer_main(void *arg);
void *lt_real_consumer_main(void *arg);
/* After every consumer thread is joined: the close state of real consumer
** c (lt_client.h: closes, close_busy, close_buffered, close_dup_model) for
** each server-side close that landed on its connection. Busy: the
** deliveries its library completed on the closed connection that came back
** redelivered after the close, to any consumer (t->redelivered_at): the
** library completed them but the broker never got their acks. Buffered:
** the rest of what the broker held then, which the profile's rule
** (mq_consumer_close_duplicates) says the library processes again or
** drops. Frees c->closed_ids. */
void lt_real_close_state(lt_client *c, const lt_track *t);

#endif
