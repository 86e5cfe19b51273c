/*
** mq_rabbitmq.c - the shared <-> dedicated conversion: migration phases,
** storage routing, connection migration and its metrics (see mq_rabbitmq.h).
**
** The type's table is mq_rabbitmq_ops (models/change/mq_change.h); the
** base model reaches this file through it only.
**
** Destination cluster. The type's create grows the world by one broker
** (the destination, capacity mq_rabbitmq_destination_tps(): the new spec or
** what other tenants leave, whichever is lower) and by a twin of every
** scenario queue on it (queue q's twin is q + nqueues). The type's routing
** hooks (route_send, admit_broker, route_store, waiters_of, take,
** alt_queue; models/change/mq_change.h) do the routing from the phase
** flags below, so producers, consumers and the store need no knowledge of
** migrations:
**   phase 1  read_twin, dest_waits: consumers of q take from the
**            destination first, then the source (dual read), and wait in
**            the source's FIFO for either; sends go to the cluster the
**            producer is connected to (dual write);
**   phase 2  writes_to_twin: every send lands on the destination and is
**            admitted by its capacity, whoever sent it (the storing
**            queue's broker admits);
**   phase 3  nothing changes; the backlog hook watches the source and,
**            once it has no ready message, no pending scheduled message
**            and no unacked delivery taken from it (mq_queue_rt.unacked,
**            counted per origin), ends the phase (through a zero-delay
**            event, never re-entrantly);
**   phase 4  read_closed: stores and requeues that would land on the
**            source go to the destination, and consumers stop reading it.
** Consumers read destination-first, so the destination stays near empty
** and the source drains at mu - lambda: phase 3 is close to the fluid
** estimate max(fluid drain, last pending scheduled time) computed at its
** start (mq_est_world_drain: B = source and twin backlog then, the clients
** that count from their return, never when none does; a scheduled message
** pends until it is due or expires, whichever is first).
** Assumption (documented): whichever cluster a client is connected to, the
** routing layer gives it the dual read/write view above; the cluster only
** decides which connections the migration breaks and whose capacity a send
** uses.
**
** Connection migration (mq_conn.cluster, the conn_route hook):
**   - from phase 1 on, every connection attempt goes to the destination;
**   - VPC/public, shared -> dedicated: existing connections stay on the
**     source until they drop (app restart events, a source upgrade
**     disconnect); at phase 4 the ones still there keep working, served by
**     the destination (source_stop: serve, the seed's), unless a what-if
**     source_stop (reset, silent) closes them;
**   - VPC/public, dedicated -> shared: the server resets every source
**     connection (server_disconnect: start of phase 1, or of phase 4);
**     auto-recovering clients come back on the destination, the others stay
**     cut off until their application reconnects (profile app_restart);
**   - PrivateLink (either direction): at phase 1 every PrivateLink client is
**     reset and refused by every broker for one sampled outage.
** Duplicates come from the base model's mechanisms (requeue of unacked,
** republish of unconfirmed). duplicates_bound adds, for every connection
** this model drops, the consumer's prefetch or the producer's unconfirmed
** sends: the bound.
**
** Specification change (the target keeps the deployment): no twins, no
** phases; at `at` the instance's spec bucket (world.spec, enforced on the
** instance's cluster by the producers) takes to_tps.
**
** Cost: O(source queues) per backlog change during phase 3 only; one pass
** over the messages at phase 3 start (scheduled hold).
*/
#include "models/change/mq_rabbitmq.h"
#include "models/mq_estimate.h"
#include "models/mq_world.h"
#include "sim/sim_err.h"
#include "sim/sim_rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400.0

enum { PH_CREATE = 0, PH_DUAL, PH_SINGLE, PH_DRAIN, PH_DEST, NPH };
static const char *const ph_label[NPH] = {
    "creating destination", "phase 1 dual-write", "phase 2 single-write",
    "phase 3 source drain", "phase 4 destination only"};

const char *mq_rabbitmq_phase_label(int phase)
{
    return phase >= 0 && phase < NPH ? ph_label[phase] : "";
}

typedef struct rb_state {
    const mq_rabbitmq_conversion *cv;
    size_t nsrc;            /* source queues (scenario queues) */
    int dst_broker;
    int phase;              /* -1 = not started */
    double t[NPH];          /* phase start times (NAN = not reached) */
    int on_source[NPH];     /* clients connected to the source at the start */
    bool end_pending;       /* phase 3 end scheduled */
    uint64_t backlog_p3;    /* source ready copies at phase 3 start */
    double fluid_p3, sched_hold_p3;
    char never_p3[256];     /* why the source never drains, or "" */
    uint64_t bound_requeue, bound_republish;
    uint64_t dropped;       /* connections this model dropped */
    uint64_t dropped_pl;    /* of which PrivateLink clients at phase 1 */
    uint64_t dropped_server; /* of which a downgrade's server disconnect */
    uint64_t unacked_p3, unacked_p4; /* deliveries from the source unacked
                                        at phase 3 and phase 4 start */
    double privatelink_s;   /* sampled PrivateLink outage (NAN = none) */
    /* routing flags of the source queues (see the file header) */
    bool read_twin, writes_to_twin, read_closed, dest_waits;
} rb_state;

void mq_rabbitmq_conversion_free(mq_rabbitmq_conversion *c)
{
    free(c);
}

double mq_rabbitmq_destination_tps(const mq_rabbitmq_conversion *c)
{
    double left = c->capacity_tps > 0 ? fmax(1.0, c->capacity_tps - c->other_tenants_tps) : 0;
    if (c->to_tps <= 0) return left;
    return left > 0 ? fmin(left, c->to_tps) : c->to_tps;
}

static double *start_at(void *cfg)
{
    return &((mq_rabbitmq_conversion *)cfg)->at_s;
}

/* ---- helpers ---------------------------------------------------------- */

static rb_state *state(mq_world *w) { return w->change.state; }

static mq_conn *conn_at(mq_world *w, size_t i)
{
    return i < w->nprod ? &w->producers[i]->conn : &w->consumers[i - w->nprod]->conn;
}

static mq_endpoint endpoint_of(const mq_world *w, const mq_conn *c)
{
    return c->consumer ? w->s->consumers[c->group].endpoint
                       : w->s->producers[c->group].endpoint;
}

static int count_on_source(mq_world *w)
{
    int n = 0;
    for (size_t i = 0; i < w->nprod + w->ncons; i++) {
        mq_conn *c = conn_at(w, i);
        n += c->state == CONN_UP && c->cluster == 0;
    }
    return n;
}

/* Drop a connection on the migration's behalf, adding its share of the
** duplicate bound. A connection whose link is silent at that moment
** (DETECTING, e.g. a silent disconnect event) is an existing connection
** too: a reset closes it, and its client meets the close when the silence
** ends instead of resuming on the source (mq_conn_drop). */
static void migration_drop(mq_world *w, mq_conn *c, bool silent)
{
    rb_state *st = state(w);
    if (c->state != CONN_UP && !(c->state == CONN_DETECTING && !silent && !c->closed)) return;
    if (c->consumer) {
        mq_consumer *k = (mq_consumer *)c;
        if (k->g->ack == MQ_ACK_MANUAL) st->bound_requeue += (uint64_t)k->g->prefetch;
    } else {
        st->bound_republish += mq_producer_unconfirmed(w, (mq_producer *)c);
    }
    st->dropped++;
    mq_conn_drop(w, c, silent, -1);
}

/* Seed, phase 3: the source must "finish consuming messages": nothing
** ready, nothing scheduled and unexpired, nothing delivered and unacked. */
static bool source_drained(mq_world *w)
{
    rb_state *st = state(w);
    for (size_t q = 0; q < st->nsrc; q++) {
        const mq_queue_rt *r = &w->queues[q];
        if (r->ready.n > 0 || r->scheduled_pending > 0 || r->unacked > 0) return false;
    }
    return true;
}

static void set_label(mq_world *w, const char *text)
{
    snprintf(w->phase, sizeof w->phase, "%s", text);
    if (w->active_events == 0) snprintf(w->label, sizeof w->label, "%s", text);
}

/* ---- routing hooks ---------------------------------------------------- */

/* A migration's queues: the source's are 0..nsrc-1, their twins follow. */
static bool pairs(const mq_world *w) { return w->change.state && state((mq_world *)w)->cv->migrates; }
static bool is_src(const rb_state *st, uint32_t q) { return q < st->nsrc; }
static uint32_t twin(const rb_state *st, uint32_t q)
{
    return is_src(st, q) ? q + (uint32_t)st->nsrc : q - (uint32_t)st->nsrc;
}

static uint32_t route_send(const mq_world *w, const mq_conn *c, uint32_t queue)
{
    if (!pairs(w)) return queue;
    const rb_state *st = state((mq_world *)w);
    if (c->cluster) queue = twin(st, queue); /* on the destination: its own copy */
    return is_src(st, queue) && (st->writes_to_twin || st->read_closed) ? twin(st, queue) : queue;
}

static int admit_broker(const mq_world *w, const mq_conn *c, uint32_t stored)
{
    if (!pairs(w)) return c->broker;
    const rb_state *st = state((mq_world *)w);
    return is_src(st, stored) ? w->s->queues[stored].broker : st->dst_broker;
}

static uint32_t route_store(const mq_world *w, uint32_t queue)
{
    if (!pairs(w)) return queue;
    const rb_state *st = state((mq_world *)w);
    return is_src(st, queue) && st->read_closed ? twin(st, queue) : queue;
}

static uint32_t waiters_of(const mq_world *w, uint32_t queue)
{
    if (!pairs(w)) return queue;
    const rb_state *st = state((mq_world *)w);
    return !is_src(st, queue) && st->dest_waits ? twin(st, queue) : queue;
}

/* Dual read: the destination first (fresh messages), then the source's. */
static bool take(mq_world *w, uint32_t queue, mq_ent *e)
{
    const rb_state *st = pairs(w) ? state(w) : NULL;
    bool src = st && is_src(st, queue);
    if (src && st->read_twin && mq_queue_take_ready(w, twin(st, queue), e)) {
        e->from_alt = 1;
        return true;
    }
    if (!(src && st->read_closed) && mq_queue_take_ready(w, queue, e)) {
        e->from_alt = 0;
        return true;
    }
    return false;
}

static uint32_t alt_queue(const mq_world *w, uint32_t queue)
{
    return pairs(w) ? twin(state((mq_world *)w), queue) : MQ_NONE;
}

static void conn_route(mq_world *w, mq_conn *c)
{
    rb_state *st = state(w);
    if (st->phase < PH_DUAL || c->cluster) return;
    c->cluster = 1; /* a new connection goes to the destination */
    c->broker = st->dst_broker;
}

static void on_phase(sim *s, void *subject, uint64_t arg);

static void backlog_hook(mq_world *w)
{
    rb_state *st = state(w);
    if (st->phase != PH_DRAIN || st->end_pending || !source_drained(w)) return;
    st->end_pending = true; /* not re-entrantly: as an event at this instant */
    sim_at(w->sim, sim_now(w->sim), PRIO_EVENT, K_EVENT_START, on_phase, w, PH_DEST);
}

/* ---- phases ------------------------------------------------------------ */

static void fluid_at_drain(mq_world *w, rb_state *st)
{
    double now = sim_now(w->sim);
    st->backlog_p3 = 0;
    for (size_t q = 0; q < st->nsrc; q++) st->backlog_p3 += w->queues[q].ready.n;
    /* the last scheduled copy on the source: when it is due (or expires in
    ** the schedule), and when it would expire in the queue after that */
    double hold = 0, sched_expiry = now;
    for (size_t i = 0; i < w->nmsgs; i++) {
        const mq_msg *m = &w->msgs[i];
        if (!m->scheduled || m->queue >= st->nsrc) continue;
        hold = fmax(hold, fmin(m->intended, m->expire_at) - now);
        sched_expiry = fmax(sched_expiry, mq_msg_expiry(w, (uint32_t)i));
    }
    st->sched_hold_p3 = hold;
    /* Consumers read the destination first: the source's ready copies are
    ** all taken when both queues' are (the estimate counts source and
    ** twin). The phase then waits for the last delivery taken from the
    ** source to be processed and acked: it sits behind a full channel
    ** (cycle_s). A scheduled message due last is taken by an idle channel:
    ** one round trip and its processing (pass_s). Nothing on the source:
    ** the phase ends at once. */
    mq_est_drain e;
    mq_est_world_drain(w, &e);
    snprintf(st->never_p3, sizeof st->never_p3, "%s", e.never);
    double flow = st->backlog_p3 > 0 ? e.fluid_s + e.cycle_s : st->unacked_p3 > 0 ? e.cycle_s : 0;
    if (st->unacked_p3 > 0 && !(e.mu > 0)) {
        flow = INFINITY; /* requeued when their consumers' drops are noticed, then nobody */
        snprintf(st->never_p3, sizeof st->never_p3,
                 "no consumer is connected or will reconnect to process the %llu deliveries "
                 "taken from the source and not acked", (unsigned long long)st->unacked_p3);
    }
    st->fluid_p3 = fmax(flow, hold > 0 ? hold + e.pass_s : 0);
    /* What nobody consumes still leaves when it expires: the head's TTL or
    ** retention drops it (mq_store.c), so the source holds nothing past the
    ** last expiry of its ready and scheduled copies, if every one expires
    ** (deliveries taken and not acked do not). */
    double last = st->unacked_p3 > 0 ? INFINITY : sched_expiry;
    for (size_t q = 0; q < st->nsrc && last < INFINITY; q++) {
        const mq_ring *r = &w->queues[q].ready;
        for (size_t k = 0; k < r->n && last < INFINITY; k++)
            last = fmax(last, mq_msg_expiry(w, mq_ring_at(r, k)->msg));
    }
    if (last - now < st->fluid_p3) {
        st->fluid_p3 = last - now;
        st->never_p3[0] = '\0'; /* it ends: by expiry */
    }
}

static void privatelink_cut(mq_world *w, rb_state *st)
{
    const mq_scenario *s = w->s;
    bool any = false;
    for (size_t i = 0; i < w->nprod + w->ncons; i++)
        any |= endpoint_of(w, conn_at(w, i)) == MQ_EP_PRIVATELINK;
    if (!any) return;
    gsl_rng *r = sim_rng_new(w->opts.seed, w->opts.replication, sim_hash_str("rabbitmq_conversion"),
                             sim_hash_str("privatelink_outage"));
    SIM_NEED(r != NULL, "out of memory");
    double d = fmax(0, sim_dist_sample(&st->cv->privatelink_outage, r));
    gsl_rng_free(r);
    st->privatelink_s = d;
    double until = sim_now(w->sim) + d;
    for (size_t g = 0; g < s->nproducers + s->nconsumers; g++) {
        bool cons = g >= s->nproducers;
        int gi = (int)(cons ? g - s->nproducers : g);
        mq_endpoint ep = cons ? s->consumers[gi].endpoint : s->producers[gi].endpoint;
        if (ep != MQ_EP_PRIVATELINK) continue;
        for (size_t b = 0; b < w->nbrk; b++) {
            double *bu = &w->brokers[b].blocked_until[mq_group_slot(s, cons, gi)];
            *bu = fmax(*bu, until);
        }
    }
    uint64_t before = st->dropped;
    for (size_t i = 0; i < w->nprod + w->ncons; i++) {
        mq_conn *c = conn_at(w, i);
        if (endpoint_of(w, c) == MQ_EP_PRIVATELINK) migration_drop(w, c, false);
    }
    st->dropped_pl += st->dropped - before;
    SIM_NEED_OK(sim_bands_add(w->bands, sim_now(w->sim), until, "privatelink outage"));
}

/* Server-side reset of every VPC/public connection still on the source. */
static void source_disconnect(mq_world *w, bool silent)
{
    for (size_t i = 0; i < w->nprod + w->ncons; i++) {
        mq_conn *c = conn_at(w, i);
        if (c->cluster == 0 && endpoint_of(w, c) != MQ_EP_PRIVATELINK) migration_drop(w, c, silent);
    }
}

static void enter(mq_world *w, rb_state *st, int ph)
{
    double now = sim_now(w->sim);
    if (st->phase >= 0)
        SIM_NEED_OK(sim_bands_add(w->bands, st->t[st->phase], now, ph_label[st->phase]));
    st->phase = ph;
    st->t[ph] = now;
    st->on_source[ph] = count_on_source(w);
    set_label(w, ph_label[ph]);
}

static void on_phase(sim *s, void *subject, uint64_t arg)
{
    mq_world *w = subject;
    rb_state *st = state(w);
    const mq_rabbitmq_conversion *cv = st->cv;
    bool downgrade = cv->from == MQ_DEPLOY_DEDICATED;
    int ph = (int)arg;
    if (ph == PH_DEST) {
        /* The gate fired on an emptied ready list; the same instant may
        ** have handed that message to a consumer (a take empties the list
        ** before the delivery counts as unacked). Still held: wait for the
        ** next change of the source's contents. */
        st->end_pending = false;
        if (!source_drained(w)) return;
    }
    enter(w, st, ph);
    switch (ph) {
    case PH_CREATE:
        break;
    case PH_DUAL:
        st->read_twin = st->dest_waits = true;
        privatelink_cut(w, st);
        if (downgrade && cv->server_disconnect == MQ_RB_WHEN_START) {
            uint64_t before = st->dropped;
            source_disconnect(w, false);
            st->dropped_server += st->dropped - before;
        }
        /* consumers waiting in the source FIFO now also see the destination */
        sim_at(s, sim_now(s) + cv->dual_write_s, PRIO_EVENT, K_EVENT_START, on_phase, w, PH_SINGLE);
        break;
    case PH_SINGLE:
        st->writes_to_twin = true;
        mq_routing_changed(w);
        sim_at(s, sim_now(s) + cv->single_write_s, PRIO_EVENT, K_EVENT_START, on_phase, w, PH_DRAIN);
        break;
    case PH_DRAIN:
        for (size_t q = 0; q < st->nsrc; q++) st->unacked_p3 += w->queues[q].unacked;
        fluid_at_drain(w, st);
        backlog_hook(w); /* already drained: phase 4 at once */
        break;
    case PH_DEST:
        /* Seed: "all sends and consumes are routed through the destination
        ** cluster". Upgrade: "the server-side does not actively disconnect
        ** existing connections", so they carry on (served by the
        ** destination) unless a what-if source_stop says otherwise;
        ** downgrade: the server's disconnect, if it was put here. */
        for (size_t q = 0; q < st->nsrc; q++) st->unacked_p4 += w->queues[q].unacked;
        st->read_closed = true;
        mq_routing_changed(w);
        if (downgrade ? cv->server_disconnect == MQ_RB_WHEN_SOURCE_STOP
                      : cv->source_stop != MQ_RB_STOP_SERVE) {
            int before = (int)st->dropped;
            source_disconnect(w, cv->source_stop == MQ_RB_STOP_SILENT);
            if (downgrade) st->dropped_server += st->dropped - (uint64_t)before;
            if (!downgrade && (int)st->dropped > before)
                SIM_NEED_OK(sim_bands_add(w->bands, sim_now(s), sim_now(s) + w->s->run.sample_s,
                                        cv->source_stop == MQ_RB_STOP_SILENT
                                            ? "source stop silent (what-if, beyond the document)"
                                            : "source stop reset (what-if, beyond the document)"));
        }
        break;
    }
}

/* A specification change within one deployment: the seed calls it smooth,
** so nothing moves and nobody is disconnected; the new spec applies. */
static void on_spec_change(sim *s, void *subject, uint64_t arg)
{
    (void)arg;
    mq_world *w = subject;
    /* the instance's bucket (world.spec) takes the new spec */
    w->spec.capacity_tps = state(w)->cv->to_tps;
    w->spec.tokens = fmin(w->spec.tokens, fmax(1.0, w->spec.capacity_tps * 0.1));
    SIM_NEED_OK(sim_bands_add(w->bands, sim_now(s), sim_now(s) + w->s->run.sample_s,
                            "specification change (smooth, no migration)"));
}

static void on_source_upgrade(sim *s, void *subject, uint64_t arg)
{
    (void)s;
    (void)arg;
    mq_world *w = subject;
    source_disconnect(w, false);
    SIM_NEED_OK(sim_bands_add(w->bands, sim_now(w->sim), sim_now(w->sim) + w->s->run.sample_s,
                            "source upgrade disconnect"));
}

/* ---- lifecycle (mq_change.h) ------------------------------------------ */

/* The destination's queues and broker are added here; the routing hooks
** are in the table, idle until phase 1 (a specification change never
** reaches it). */
static int create(mq_world *w, const void *cfg, void **out)
{
    const mq_scenario *s = w->s;
    const mq_rabbitmq_conversion *cv = cfg;
    rb_state *st = calloc(1, sizeof *st);
    if (!st) return -1;
    *out = st;
    st->cv = cv;
    st->phase = -1;
    st->nsrc = s->nqueues;
    st->privatelink_s = NAN;
    for (int i = 0; i < NPH; i++) st->t[i] = NAN;
    if (!cv->migrates) return 0;

    mq_queue_rt *q = realloc(w->queues, 2 * st->nsrc * sizeof *q);
    if (!q) return -1;
    w->queues = q;
    memset(q + st->nsrc, 0, st->nsrc * sizeof *q);
    w->nq = 2 * st->nsrc; /* the twins: paired by index (twin()) */

    mq_broker_rt *b = realloc(w->brokers, (w->nbrk + 1) * sizeof *b);
    if (!b) return -1;
    w->brokers = b;
    mq_broker_rt *d = &b[w->nbrk];
    *d = (mq_broker_rt){0};
    size_t ngroups = s->nproducers + s->nconsumers;
    d->blocked_until = calloc(ngroups ? ngroups : 1, sizeof(double));
    if (!d->blocked_until) return -1;
    for (size_t g = 0; g < ngroups; g++) d->blocked_until[g] = -INFINITY;
    d->down_until = -INFINITY;
    d->capacity_tps = mq_rabbitmq_destination_tps(cv); /* other tenants: the whole run */
    d->tokens = fmax(1.0, d->capacity_tps * 0.1);
    st->dst_broker = (int)w->nbrk;
    w->nbrk++;
    return 0;
}

static void schedule(mq_world *w)
{
    rb_state *st = state(w);
    const mq_rabbitmq_conversion *cv = st->cv;
    bool upgrade = cv->from == MQ_DEPLOY_SHARED;
    if (!cv->migrates) {
        sim_at(w->sim, cv->at_s, PRIO_EVENT, K_EVENT_START, on_spec_change, w, 0);
        return;
    }
    if (upgrade) {
        sim_at(w->sim, cv->at_s, PRIO_EVENT, K_EVENT_START, on_phase, w, PH_CREATE);
        sim_at(w->sim, cv->at_s + cv->create_s, PRIO_EVENT, K_EVENT_START, on_phase, w, PH_DUAL);
    } else {
        sim_at(w->sim, cv->at_s, PRIO_EVENT, K_EVENT_START, on_phase, w, PH_DUAL);
    }
    if (cv->source_upgrade_at_s >= 0)
        sim_at(w->sim, cv->source_upgrade_at_s, PRIO_EVENT, K_EVENT_START, on_source_upgrade, w, 0);
}

#define ADD(name, val, unit, better) \
    SIM_NEED_OK(sim_metrics_add(&out->metrics, name, (double)(val), unit, better))

/* Mark what the run did not see end: a phase still running at the end, a
** phase never reached (lower bounds from the end of the run), rows with
** nothing to measure, and per-endpoint cut-offs still open (ep_open). */
static void censor_metrics(mq_world *w, mq_result *out, double end, const bool ep_open[3])
{
    rb_state *st = state(w);
    sim_metrics *m = &out->metrics;
    const double *t = st->t;
    static const char *const len[NPH] = {NULL, "phase1_s", "phase2_s", "phase3_s", NULL};
    for (int p = PH_DUAL; p <= PH_DRAIN; p++) {
        if (!isnan(t[p + 1])) continue;
        if (isnan(t[p])) sim_metrics_censor(m, len[p], SIM_NOT_REACHED, NAN);
        else sim_metrics_censor(m, len[p], SIM_CENSORED_AT_END, end - t[p]);
    }
    if (isnan(t[PH_DEST])) {
        sim_metrics_censor(m, "phase4_start_s", SIM_NOT_REACHED, end);
        sim_metrics_censor(m, "migration_total_s", SIM_NOT_REACHED, end - st->cv->at_s);
    }
    if (isnan(t[PH_DRAIN]))
        for (int i = 0; i < 4; i++) {
            static const char *const p3[] = {"source_drain_fluid_s", "source_backlog_at_phase3",
                                             "source_scheduled_hold_s",
                                             "source_unacked_at_phase3"};
            sim_metrics_censor(m, p3[i], SIM_NOT_REACHED, NAN);
        }
    if (isnan(t[PH_DEST])) sim_metrics_censor(m, "source_unacked_at_phase4", SIM_NOT_REACHED, NAN);
    static const char *const on_src[NPH] = {
        "clients_on_source_create", "clients_on_source_phase1", "clients_on_source_phase2",
        "clients_on_source_phase3", "clients_on_source_phase4"};
    bool upgrade = st->cv->from == MQ_DEPLOY_SHARED;
    for (int i = 0; i < NPH; i++)
        if (isnan(t[i]))
            sim_metrics_censor(m, on_src[i], i == PH_CREATE && !upgrade ? SIM_NOT_APPLICABLE
                                                                         : SIM_NOT_REACHED, NAN);
    static const char *const ep_metric[] = {"disruption_vpc_max_s", "disruption_public_max_s",
                                            "disruption_privatelink_max_s"};
    for (int e = 0; e < 3; e++) {
        sim_metric *x = sim_metrics_find(m, ep_metric[e]);
        if (isnan(x->value)) sim_metrics_censor(m, ep_metric[e], SIM_NOT_APPLICABLE, NAN);
        else if (ep_open[e]) sim_metrics_censor(m, ep_metric[e], SIM_CENSORED_AT_END, x->value);
    }
    if (isnan(st->privatelink_s)) { /* no PrivateLink client, or no phase 1 in the run */
        bool any = false;
        for (size_t i = 0; i < w->nprod + w->ncons; i++)
            any |= endpoint_of(w, conn_at(w, i)) == MQ_EP_PRIVATELINK;
        sim_metrics_censor(m, "privatelink_outage_s",
                           any && isnan(t[PH_DUAL]) ? SIM_NOT_REACHED : SIM_NOT_APPLICABLE, NAN);
    }
}

/* The document's migration impacts, stated for this run: a downgrade's
** server-side disconnect (who comes back by itself, who does not) and the
** PrivateLink cut-off. */
static void effect_warnings(mq_world *w, mq_result *out)
{
    rb_state *st = state(w);
    const mq_scenario *s = w->s;
    if (st->dropped_server > 0) {
        char manual[512] = "";
        size_t k = 0;
        const mq_conn *prev = NULL;
        for (size_t i = 0; i < w->nprod + w->ncons; i++) { /* a group's clients are adjacent */
            const mq_conn *c = conn_at(w, i);
            bool seen = prev && prev->consumer == c->consumer && prev->group == c->group;
            prev = c;
            if (seen || endpoint_of(w, c) == MQ_EP_PRIVATELINK || c->cfg->automatic ||
                k >= sizeof manual)
                continue;
            const char *name = c->consumer ? s->consumers[c->group].name : s->producers[c->group].name;
            k += (size_t)snprintf(manual + k, sizeof manual - k, "%s%s", k ? ", " : "", name);
        }
        SIM_NEED_OK(sim_strs_add(
            &out->warnings,
            "the server closed %llu connections on the source (dedicated -> shared: the "
            "dedicated cluster is revoked); clients with automatic reconnection come back on "
            "the destination%s%s%s. Run the change off-peak with a robust reconnection mechanism",
            (unsigned long long)st->dropped_server, *manual ? "; groups " : "", manual,
            *manual ? " do not reconnect by themselves and stay cut off until their "
                      "application restarts" : ""));
    }
    if (st->dropped_pl > 0) {
        /* the outage ends for everyone; a client without recovery stays away */
        unsigned long long still = 0;
        for (size_t i = 0; i < w->nprod + w->ncons; i++)
            still += endpoint_of(w, conn_at(w, i)) == MQ_EP_PRIVATELINK &&
                     conn_at(w, i)->state != CONN_UP;
        char away[160] = "";
        if (still > 0)
            snprintf(away, sizeof away, "; %llu of them were still cut off when the run ended "
                     "(groups[].cut_off_at_end_why says why)", still);
        bool past_end = st->t[PH_DUAL] + st->privatelink_s > sim_now(w->sim);
        SIM_NEED_OK(sim_strs_add(
            &out->warnings,
            "%llu PrivateLink connection%s disconnected at phase 1 for %.0f s (a draw from "
            "rabbitmq_conversion.privatelink_outage%s; the document: disconnections lasting "
            "several minutes during the migration)%s. Run the migration off-peak with a robust "
            "reconnection mechanism",
            (unsigned long long)st->dropped_pl, st->dropped_pl == 1 ? " was" : "s were",
            st->privatelink_s, past_end ? ", lasting past the end of the run" : "", away));
    }
}

static void metrics(mq_world *w, mq_result *out)
{
    rb_state *st = state(w);
    const sim_better LO = SIM_BETTER_LOWER, NO = SIM_BETTER_NONE;
    double end = sim_now(w->sim);
    ADD("conversion_at_s", st->cv->at_s, "s", NO);
    ADD("spec_tps_from", st->cv->from_tps, "msg/s", NO);
    ADD("spec_tps_to", st->cv->to_tps, "msg/s", NO);
    if (!st->cv->migrates) { /* a spec change: no phases, nobody moved */
        ADD("connections_dropped_by_migration", st->dropped, "count", LO);
        return;
    }
    ADD("destination_tps", mq_rabbitmq_destination_tps(st->cv), "msg/s", NO);
    if (st->phase >= 0) /* close the open phase's band at the end of the run */
        SIM_NEED_OK(sim_bands_add(w->bands, st->t[st->phase], end, ph_label[st->phase]));
    double t1 = st->t[PH_DUAL], t2 = st->t[PH_SINGLE], t3 = st->t[PH_DRAIN], t4 = st->t[PH_DEST];
    double nan = NAN;
    ADD("destination_create_s", st->cv->from == MQ_DEPLOY_SHARED ? st->cv->create_s : 0, "s", NO);
    ADD("phase1_s", isnan(t2) ? (isnan(t1) ? nan : end - t1) : t2 - t1, "s", LO);
    ADD("phase2_s", isnan(t3) ? (isnan(t2) ? nan : end - t2) : t3 - t2, "s", LO);
    ADD("phase3_s", isnan(t4) ? nan : t4 - t3, "s", LO);
    ADD("phase4_start_s", t4, "s", NO);
    ADD("migration_total_s", isnan(t4) ? nan : t4 - st->cv->at_s, "s", LO);
    ADD("source_drain_fluid_s", isnan(t3) ? nan : st->fluid_p3, "s", LO);
    ADD("source_backlog_at_phase3", isnan(t3) ? nan : (double)st->backlog_p3, "msgs", NO);
    ADD("source_scheduled_hold_s", isnan(t3) ? nan : st->sched_hold_p3, "s", NO);
    ADD("source_unacked_at_phase3", isnan(t3) ? nan : (double)st->unacked_p3, "msgs", NO);
    ADD("source_unacked_at_phase4", isnan(t4) ? nan : (double)st->unacked_p4, "msgs", LO);
    static const char *const on_src[NPH] = {
        "clients_on_source_create", "clients_on_source_phase1", "clients_on_source_phase2",
        "clients_on_source_phase3", "clients_on_source_phase4"};
    for (int i = 0; i < NPH; i++)
        ADD(on_src[i], isnan(st->t[i]) ? nan : (double)st->on_source[i], "clients", LO);
    int left = count_on_source(w); /* at the end: a restart after phase 4 moved some */
    ADD("clients_left_on_source", left, "clients", LO);
    static const char *const ep_metric[] = {"disruption_vpc_max_s", "disruption_public_max_s",
                                            "disruption_privatelink_max_s"};
    double ep_max[3] = {nan, nan, nan};
    for (size_t i = 0; i < w->nprod + w->ncons; i++) {
        mq_conn *c = conn_at(w, i);
        int e = (int)endpoint_of(w, c);
        ep_max[e] = isnan(ep_max[e]) ? c->max_down_s : fmax(ep_max[e], c->max_down_s);
    }
    bool ep_open[3] = {false, false, false};
    for (size_t i = 0; i < w->nprod + w->ncons; i++)
        if (conn_at(w, i)->state != CONN_UP) ep_open[endpoint_of(w, conn_at(w, i))] = true;
    for (int e = 0; e < 3; e++) ADD(ep_metric[e], ep_max[e], "s", LO);
    ADD("privatelink_outage_s", st->privatelink_s, "s", NO);
    censor_metrics(w, out, end, ep_open);
    ADD("connections_dropped_by_migration", st->dropped, "count", LO);
    ADD("duplicates_bound", st->bound_requeue + st->bound_republish, "msgs", NO);
    if (!isnan(t3) && isinf(st->fluid_p3))
        SIM_NEED_OK(sim_strs_add(&out->warnings, "source_drain_fluid_s: never: %s", st->never_p3));
    effect_warnings(w, out);
    if (left > 0 && st->cv->from == MQ_DEPLOY_SHARED && st->phase >= PH_DUAL &&
        (isnan(t4) || st->cv->source_stop == MQ_RB_STOP_SERVE)) {
        char at_p4[64] = "";
        if (!isnan(t4) && st->on_source[PH_DEST] != left)
            snprintf(at_p4, sizeof at_p4, " (%d at phase 4)", st->on_source[PH_DEST]);
        SIM_NEED_OK(sim_strs_add(
            &out->warnings,
            "%d clients are still connected to the source cluster at the end of the run%s: in "
            "a shared -> dedicated conversion the server does not move or disconnect existing "
            "connections; they move to the destination only when the application or the "
            "server side restarts (a source-cluster upgrade may disconnect them "
            "unexpectedly). Restart the applications during off-peak hours to complete the "
            "switch",
            left, at_p4));
    }
    if (isnan(t4))
        SIM_NEED_OK(sim_strs_add(&out->warnings,
                               "the conversion did not reach phase 4 within the run (%s at the end)",
                               st->phase >= 0 ? ph_label[st->phase] : "not started"));
}

static void destroy(mq_world *w, void *st)
{
    (void)w;
    free(st);
}

static void cfg_free(void *cfg) { mq_rabbitmq_conversion_free(cfg); }

/* ---- its metrics (models/mq_metric_info.h) ---- */

static const mq_metric_info metric_rows[] = {
    {"conversion_at_s", "s", MQ_MI_NO, "", "when the RabbitMQ conversion was requested (run time)", NULL},
    {"spec_tps_from", "msg/s", MQ_MI_NO, "", "RabbitMQ: the instance's specification before the change, msg/s (0 = unlimited)", NULL},
    {"spec_tps_to", "msg/s", MQ_MI_NO, "", "RabbitMQ: the specification after the change, msg/s (0 = unlimited)", NULL},
    {"destination_tps", "msg/s", MQ_MI_NO, "", "RabbitMQ conversion: capacity the destination gives this instance, msg/s (0 = unlimited)", NULL},
    {"destination_create_s", "s", MQ_MI_NO, "", "upgrade: time to create the destination cluster", NULL},
    {"phase1_s", "s", MQ_MI_LO, MQ_MI_CEN " " MQ_MI_NR, "length of phase 1 (dual-write, dual-read)", NULL},
    {"phase2_s", "s", MQ_MI_LO, MQ_MI_CEN " " MQ_MI_NR, "length of phase 2 (single-write)", NULL},
    {"phase3_s", "s", MQ_MI_LO, MQ_MI_CEN " " MQ_MI_NR, "length of phase 3 (waiting for the source to drain)", NULL},
    {"phase4_start_s", "s", MQ_MI_NO, MQ_MI_NR, "when phase 4 (destination only) began (run time)", NULL},
    {"migration_total_s", "s", MQ_MI_LO, MQ_MI_NR, "from the conversion request to phase 4", NULL},
    {"source_drain_fluid_s", "s", MQ_MI_LO, MQ_MI_NR, "fluid estimate of the source's drain at the start of phase 3", NULL},
    {"source_backlog_at_phase3", "msgs", MQ_MI_NO, MQ_MI_NR, "ready messages on the source when phase 3 began", NULL},
    {"source_scheduled_hold_s", "s", MQ_MI_NO, MQ_MI_NR, "how long scheduled messages on the source hold phase 3 open", NULL},
    {"source_unacked_at_phase3", "msgs", MQ_MI_NO, MQ_MI_NR, "deliveries taken from the source still unacked when phase 3 began", NULL},
    {"source_unacked_at_phase4", "msgs", MQ_MI_LO, MQ_MI_NR, "deliveries taken from the source still unacked when phase 4 began", NULL},
    {"clients_on_source_create", "clients", MQ_MI_LO, MQ_MI_NA " " MQ_MI_NR, "clients connected to the source at destination creation (upgrade only)", NULL},
    {"clients_on_source_phase1", "clients", MQ_MI_LO, MQ_MI_NR, "clients connected to the source when phase 1 began", NULL},
    {"clients_on_source_phase2", "clients", MQ_MI_LO, MQ_MI_NR, "clients connected to the source when phase 2 began", NULL},
    {"clients_on_source_phase3", "clients", MQ_MI_LO, MQ_MI_NR, "clients connected to the source when phase 3 began", NULL},
    {"clients_on_source_phase4", "clients", MQ_MI_LO, MQ_MI_NR, "clients connected to the source when phase 4 began", NULL},
    {"clients_left_on_source", "clients", MQ_MI_LO, "", "clients still connected to the source when the run ended (a restart after phase 4 moves them; clients_on_source_phase4 counts phase 4)", NULL},
    {"disruption_vpc_max_s", "s", MQ_MI_LO, MQ_MI_NA " " MQ_MI_CEN, "longest cut-off of a VPC-endpoint client", NULL},
    {"disruption_public_max_s", "s", MQ_MI_LO, MQ_MI_NA " " MQ_MI_CEN, "longest cut-off of a public-endpoint client", NULL},
    {"disruption_privatelink_max_s", "s", MQ_MI_LO, MQ_MI_NA " " MQ_MI_CEN, "longest cut-off of a PrivateLink client", NULL},
    {"privatelink_outage_s", "s", MQ_MI_NO, MQ_MI_NA " " MQ_MI_NR, "the sampled PrivateLink cut-off of this conversion (not reached: phase 1 is after the end of the run)", NULL},
    {"connections_dropped_by_migration", "count", MQ_MI_LO, "", "connections the conversion closed", NULL},
    {"duplicates_bound", "msgs", MQ_MI_NO, "", "upper bound on duplicates from the connections the conversion dropped", NULL},
    /* measured by `mqsim load` only (load/change/lt_conv.c) */
    {"source_drain_fluid_measured_s", "s", MQ_MI_LO, MQ_MI_NR, "load tester: source drain estimate with the measured client cost", NULL},
    {"conversion_lag_s", "s", MQ_MI_NO, "", "load tester: largest lag of a conversion step behind its schedule", NULL},
    {"source_drained_s", "s", MQ_MI_NO, MQ_MI_NA " " MQ_MI_NR, "load tester: phase 3 as the consumers completed it, from its start to their last ack of a source delivery (phase3_s adds the tester's polling and its lateness in noticing); not_applicable with real client libraries, not_reached when phase 4 never came", NULL},
};

/* A migration completes when phase 4 begins; a spec change takes effect at
** its start. */
static bool completed(mq_world *w)
{
    const rb_state *st = state(w);
    return st->cv->migrates ? !isnan(st->t[PH_DEST]) : st->cv->at_s <= sim_now(w->sim);
}

const mq_change_ops mq_rabbitmq_ops = {
    .key = "rabbitmq_conversion",
    .cfg_free = cfg_free,
    .start_at = start_at,
    .create = create,
    .schedule = schedule,
    .metrics = metrics,
    .completed = completed,
    .destroy = destroy,
    .metrics_info = metric_rows,
    .nmetrics = sizeof metric_rows / sizeof *metric_rows,
    .conn_route = conn_route,
    .backlog_changed = backlog_hook,
    .route_send = route_send,
    .admit_broker = admit_broker,
    .route_store = route_store,
    .waiters_of = waiters_of,
    .take = take,
    .alt_queue = alt_queue,
};
