/*
** lt_endpoint.h - the instance's endpoint as a real-library driver sees
** it (`mqsim load --clients real`): one loopback TCP address per client
** group, relayed byte for byte to the node the run's routing picks.
**
** Why a relay and not an address handed to the driver: a managed
** instance's clients connect to one address (the instance's endpoint) and
** never learn which cluster serves them. Java's automatic recovery and
** the reconnect loops pika's and amqp091-go's examples show all reconnect
** to the address they were given; the provider's routing layer decides
** where a new connection lands ("all new connections connect directly to
** the destination cluster", seed rabbitmq-shared-dedicated-conversion).
** So the drivers stay unchanged and unaware, as a real application is,
** and the tester plays the routing layer:
**   - a new connection goes to lt_route_node (the node the active change
**     routes new connections to; the source when none); an existing one
**     stays where it is until one side closes it;
**   - while the group is refused (x->blocked: a disconnect event's
**     duration, a change's outage of an endpoint), a new connection is
**     accepted and closed at once, which the library sees as a failed
**     connection attempt and retries on its own schedule;
**   - a server-side close (lt_close.h) closes the relay's upstream
**     connection: the close frame is passed on, then the client's side is
**     closed, as the broker would.
** lt_close.h finds connections by the peer port the broker sees, which is
** the relay's upstream port: lt_endpoint_lookup maps the port a driver
** reports (its own, toward the relay) to that port and the node.
**
** Threads: one relay thread polls every socket (at most EP_MAX_PAIRS
** open pairs; a stop is seen within 50 ms). The pair table is guarded by
** the endpoint's own mutex.
**
** Ownership: lt_endpoint_start returns an endpoint the caller frees with
** lt_endpoint_free (which stops the thread and closes every socket); the
** context is borrowed while it lives.
*/
#ifndef LT_ENDPOINT_H
#define LT_ENDPOINT_H

#include "load/lt_client.h"

typedef struct lt_endpoint lt_endpoint;

/* Listen on 127.0.0.1 for each of nslots group slots and start relaying.
** 0 ok (*out set); -1 with a message. */
int lt_endpoint_start(lt_ctx *x, size_t nslots, lt_endpoint **out, sim_err *err);
/* The port a client of group slot connects to. */
int lt_endpoint_port(const lt_endpoint *e, int slot);
/* The open relayed connection whose client port is client_port: its node
** and the port the broker sees. 0 found; -1 not (closed, or not ours). */
int lt_endpoint_lookup(lt_endpoint *e, int client_port, int *node, int *upstream_port);
/* Stop, close everything and free (NULL is a no-op). */
void lt_endpoint_free(lt_endpoint *e);

#endif
