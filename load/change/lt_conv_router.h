/*
** lt_conv_router.h - what a conversion on two real nodes (lt_conv.h) needs
** beyond the endpoint relay (load/lt_endpoint.h) when its clients are the
** real libraries: the destination's read routing. Started and freed by
** lt_conv.c.
**
** The seed puts the read routing on the destination cluster ("read/write
** routing is established on the destination cluster"; both clusters stay
** readable until the source is drained). The emulated consumers play it
** inside the client (a second connection reads the source, load/lt_consumer.c);
** a real library has one connection and reads one queue, so here the
** routing is a tester-side router, one per run: during phases 1-3, while a
** queue on the destination runs short of ready messages (its consumers have
** credit the destination's own messages leave unused: destination first),
** it tops that queue up to ROUTE_LOW (16) ready messages from the source
** (basic.get, publish with a confirm, then the ack on the source); a
** destination message arriving then waits behind at most that many routed
** ones. A moved message is a new publish on the destination: one the
** source had already delivered carries the header x-mqsim-redelivered,
** which the drivers read as the redelivered flag (a publish cannot set
** it); one a consumer loses unacked later comes back flagged by the
** destination, as it would from the source.
**
** A client still connected to the source reads the source's queue only:
** its one connection is on that node, and nothing routes the
** destination's messages to it (the emulation's routing leg lets it read
** both; docs/VALIDATION.md says where this shows).
**
** Phase 3 ends when the source has nothing ready and nothing unacked
** (lt_conv.c's gate): lt_conv_router_source_held adds what the router holds
** and, when a consumer is still on the source, the source's unacked count
** (rabbitmqctl list_queues, about one CLI latency per call, so phase 4
** can land up to that much later than the last ack).
**
** Ownership: lt_conv_router_start returns a router the caller frees with
** lt_conv_router_free; the context and the conversion are borrowed while
** it lives.
*/
#ifndef LT_CONV_ROUTER_H
#define LT_CONV_ROUTER_H

#include "load/change/lt_conv.h"
#include "load/lt_broker.h"
#include "load/lt_client.h"

typedef struct lt_conv_router lt_conv_router;

/* Start the router for conversion c (it waits for phase 1 and stops at
** phase 4). 0 ok. */
int lt_conv_router_start(lt_ctx *x, const lt_conv *c, lt_conv_router **out, sim_err *err);
/* Messages of the scenario's queues taken from the source and not yet
** acked there: the router's, plus (when one of clients[0..n-1] is a
** consumer connected to the source) the source's unacked count read from
** src. Called by the phase-3 gate only once the source has none ready. */
int lt_conv_router_source_held(lt_conv_router *r, const lt_broker *src, const lt_client *clients,
                             size_t n);
/* Stop and free (NULL is a no-op). */
void lt_conv_router_free(lt_conv_router *r);

#endif
