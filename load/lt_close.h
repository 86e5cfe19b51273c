/*
** lt_close.h - server-side close of chosen client connections on one node:
** the `disconnect` event of a group, and the connection resets a replayed
** change makes (load/change/).
**
** Clients are chosen by the local port of their own connection, which
** every client publishes (lt_client.local_port). The close is one
** `rabbitmqctl eval` that calls rabbit_networking:close_connection - what
** `rabbitmqctl close_connection` calls - for every connection of the node
** whose peer port is in the list, and prints the ports it closed. Why one
** eval and not one close_connection per connection: every rabbitmqctl
** call starts an Erlang VM (0.3-0.8 s); six of them in parallel on two
** cores took up to 2.4 s to land (measured), one call lands in one
** latency for any number of connections. Connections of other ports (the
** Shovel's, the tester's own control connections, a user's) are never
** touched.
**
** Ownership: nothing is kept; the broker is borrowed for the call.
*/
#ifndef LT_CLOSE_H
#define LT_CLOSE_H

#include "load/lt_broker.h"
#include "load/lt_client.h"

#include <stdint.h>

/* Close the connections of node b (NULL: the environment's node) whose
** client port is in ports[0..n-1], showing reason to the clients. The ports
** actually closed are written to closed[] (room for n) and counted in
** *nclosed. 0 ok (a client already gone is simply not closed); -1 when
** rabbitmqctl failed (message in err). */
int lt_close_ports(const lt_broker *b, const int *ports, size_t n, const char *reason,
                   int *closed, size_t *nclosed, sim_err *err);
/* The same at a given moment, and what the broker saw at the close: the
** node waits until at_unix_s (CLOCK_REALTIME, s; NAN: at once) before it
** picks and closes the connections, so a call made early lands on time
** however long rabbitmqctl takes to start; held[i] (room for n; may be
** NULL) the deliveries closed[i]'s channels held unacknowledged just
** before it was closed (they are requeued), *landed_unix_s (may be NULL)
** the node's CLOCK_REALTIME when the closes began, s (NAN when nothing was
** asked). */
int lt_close_ports_held(const lt_broker *b, const int *ports, size_t n, const char *reason,
                        double at_unix_s, int *closed, uint64_t *held, size_t *nclosed,
                        double *landed_unix_s, sim_err *err);
/* How early a timed close is launched (lt_close_ports_held waits in the
** node until its target), given one measured rabbitmqctl latency, s: four
** latencies, 3 to 8 s. A busy 2-core host was seen to delay a close by
** 3-7 s when it was launched one latency early. The connections to close
** are picked at the launch, so a client that reconnects in those seconds
** is missed: the cap keeps that window short. */
double lt_close_lead(double ctl_latency_s);

#endif
