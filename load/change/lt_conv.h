/*
** lt_conv.h - a RabbitMQ shared <-> dedicated conversion replayed on two
** real nodes (seed rabbitmq-shared-dedicated-conversion.txt), doing what
** models/change/mq_rabbitmq.c simulates, phase by phase, so the two can be
** compared.
**
** Two private rabbitmq-server nodes run on loopback: the source (the
** instance's current cluster, with the Shovel plugin) and the destination.
** Each scenario queue exists on both. What is real and what is emulated:
**   - routing layer for writes: producers publish to the exchange
**     `mqsim.ingress`, which routes to the queue on the node they are
**     connected to (phase 1, dual write). At phase 2 the source's binding is
**     removed: its ingress exchange then hands every message to its
**     alternate exchange, whose queue a Shovel (declared at setup, idle
**     until then) moves to the destination's ingress. So the source is
**     read-only for real, on the server, and a producer still connected
**     there has its sends stored on the destination (the model's
**     writes_to_twin).
**   - routing layer for reads: emulated in the consumers (lt_consumer.c,
**     told what to read by lt_conv_ops.reads; real libraries: a tester-side
**     router, lt_conv_router.h):
**     destination first, then source, through a second connection. RabbitMQ
**     cannot read another node's queue on demand, and a shovel would move
**     the whole source backlog at once, making phase 3 vanish.
**   - phase 3 ends when the source queues hold no ready message and the
**     consumers hold no unacked delivery taken from the source (counted by
**     the consumers, lt_client.src_unacked; one still on the wire is not
**     seen), the queues read every
**     DRAIN_POLL_S over AMQP (passive declare); scheduled messages are not
**     supported (refused by lt_conv_check).
**   - phase 4: reads stop on the source; a second Shovel per queue moves
**     anything that still lands there (deliveries requeued by clients reset
**     at the source stop) to the destination (the model's read_closed).
**   - connection migration: new connections go to the destination from
**     phase 1 (lt_conv_ops.connect_node, asked by the clients through
**     lt_route_node); existing ones stay until they drop. Server-
**     side resets (downgrade's server_disconnect, source_stop,
**     source_upgrade_disconnect, the PrivateLink cut) are real server-side
**     closes of the clients' own connections (lt_close.h), launched one
**     measured CLI latency early at scheduled times; at phase 4 (not known
**     in advance) they land one CLI latency late (conversion_lag_s). The
**     PrivateLink
**     refusal for the outage is enforced by the clients, as a disconnect
**     event's duration is (real libraries: by their endpoint relay,
**     lt_endpoint.h, which also routes their new connections).
**   - destination creation (upgrade): both nodes are started before the
**     run; "creating" is a wait of create_time.
** Not reproduced (refused): destination capacity below 1.5 x the offered
** peak (a real node has no token bucket), scheduled messages (no delayed-
** message plugin ships with Debian's rabbitmq-server), broker events
** (disconnect, broker_restart) during a conversion, source_stop: silent
** (applied as a reset, with a warning).
**
** Ownership: lt_conv_setup returns an lt_conv the caller releases with
** lt_conv_free (which stops both nodes); the scenario, context and
** clients are borrowed while it lives.
*/
#ifndef LT_CONV_H
#define LT_CONV_H

#include "load/change/lt_change.h"
#include "load/lt_broker.h"
#include "load/lt_client.h"
#include "models/mq_model.h"

#define LT_INGRESS "mqsim.ingress"

typedef struct lt_conv lt_conv;

/* The conversion's phases, as models/change/mq_rabbitmq.c numbers them;
** NONE before it starts. */
typedef enum lt_phase {
    LT_PH_NONE = -1, LT_PH_CREATE, LT_PH_DUAL, LT_PH_SINGLE, LT_PH_DRAIN, LT_PH_DEST, LT_NPH
} lt_phase;

/* The phase in effect (any thread; takes the run context's mu). */
lt_phase lt_conv_phase(const lt_conv *c);

/* The routing layer in phase ph, as the clients are told it
** (lt_conv_ops.connect_node and .reads answer with the phase in effect):
** the node a new connection goes to, and what a consumer whose own
** connection is on node home may read. */
int lt_conv_connect_node_in(lt_phase ph);
void lt_conv_reads_in(lt_phase ph, int home, lt_reads *out);

/* Can this scenario's conversion be replayed (lt_check_scenario has
** checked the rest)? 0 ok (warnings appended); -1 with why. */
int lt_conv_check(const mq_scenario *s, sim_strs *warnings, sim_err *err);

/* Start the two nodes (in parallel), declare the queues and routing on both
** and the routing Shovel, and fill x->nodes, x->nnodes and x->exchange.
** 0 ok (*out set); -1 with a message (nothing left running). */
int lt_conv_setup(const mq_scenario *s, lt_ctx *x, lt_conv **out, sim_err *err);

/* Node LT_SRC or LT_DST (for readiness figures and the final drain). */
const lt_broker *lt_conv_node(const lt_conv *c, int node);

/* The queues to drain on node (scenario queues, plus the routing queue on
** the source) into names (up to cap); returns how many. */
size_t lt_conv_drain_queues(const lt_conv *c, int node, const char **names, size_t cap);

/* Start the phase timeline (after the clients started at x->t0), and
** with real-library clients (x->real_root) the read router
** (lt_conv_router.h). 0 ok. */
int lt_conv_start(lt_conv *c, lt_client *clients, size_t nclients, sim_err *err);
/* Stop the timeline and wait for it (idempotent). */
void lt_conv_stop(lt_conv *c);

/* After lt_conv_stop: the model's conversion rows (phase lengths, fluid
** estimate, clients left on the source, per-endpoint windows, ...), the
** phase bands, and a warning when phase 4 was not reached; plus the
** real-only source_drain_fluid_measured_s (the fluid estimate with the
** consumers' measured per-message overhead_s added, NAN: unknown) and
** conversion_lag_s. end_s = the run's end; out->outages must be filled.
** 0 ok, -1 out of memory. */
int lt_conv_results(lt_conv *c, mq_result *out, double end_s, double overhead_s);

/* Stop the read router and both nodes, and free (NULL is a no-op). */
void lt_conv_free(lt_conv *c);

/* The functions above as the change type's load half (registered in
** load/change/lt_changes.c under "rabbitmq_conversion"). */
extern const lt_change_ops lt_conv_ops;

#endif
