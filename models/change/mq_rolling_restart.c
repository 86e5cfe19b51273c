/*
** mq_rolling_restart.c - the rolling broker restart's effect on clients in
** virtual time (see mq_rolling_restart.h), through the change-type table
** only: the base model's broker down time (mq_broker_rt.down_until), its
** connection drops (mq_conn_drop) and its reconnect state machine do the
** work; this file schedules one engine event per node and measures.
**
** At node k's turn (at + k x interval) the node is marked down for
** restart_s and every client connected to it is reset. Before each close
** the deliveries the consumer holds unacked (manual ack: its prefetch
** window in use) and the sends a producer has stored but not had confirmed
** are counted: they are what a requeue or a republish can duplicate, so
** their sum bounds the duplicates the restart can cause
** (duplicates_bound). The on_conn_up hook charges each client's cut-off to
** the node whose restart began it; a cut-off still open at the end of the
** run is charged with its length so far and the row is marked censored.
** The on_lost hook counts, per producer group, the sends lost while a
** restart kept it cut off; the run warns with the setting behind them.
**
** Cost: O(clients) per node, O(1) per reconnect; nothing per message.
*/
#include "models/change/mq_rolling_restart.h"
#include "models/mq_world.h"
#include "sim/sim_err.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>


typedef struct rr_state {
    const mq_rolling_restart *rr;
    size_t started;          /* nodes whose restart has begun */
    uint64_t dropped;        /* connections the restart closed */
    uint64_t unacked, unconfirmed; /* held at those closes */
    double cut_max;          /* longest cut-off begun by a restart */
    bool cut_open;           /* one of them still open at the end */
    uint64_t *lost;          /* per producer group: sends lost to a restart */
} rr_state;

void mq_rolling_restart_free(mq_rolling_restart *rr)
{
    if (!rr) return;
    free(rr->nodes);
    free(rr);
}

double mq_rolling_restart_node_at(const mq_rolling_restart *rr, size_t k)
{
    return rr->at_s + (double)k * rr->interval_s;
}

double mq_rolling_restart_end(const mq_rolling_restart *rr)
{
    return mq_rolling_restart_node_at(rr, rr->nnodes - 1) + rr->restart_s;
}

static rr_state *state(mq_world *w) { return w->change.state; }

/* Whether a cut-off that began at t began with a node's restart (it starts
** at the node's turn, when its clients are reset). */
static bool by_restart(const rr_state *st, double t)
{
    const mq_rolling_restart *rr = st->rr;
    if (st->started == 0 || t < rr->at_s) return false;
    double k = floor((t - rr->at_s) / rr->interval_s);
    return k < (double)st->started && t - mq_rolling_restart_node_at(rr, (size_t)k) <= rr->restart_s;
}

static void close_client(mq_world *w, rr_state *st, mq_conn *c)
{
    if (c->state != CONN_UP) return;
    if (c->consumer) {
        mq_consumer *k = (mq_consumer *)c;
        if (k->g->ack == MQ_ACK_MANUAL) st->unacked += (uint64_t)k->unacked;
    } else {
        st->unconfirmed += mq_producer_unconfirmed(w, (mq_producer *)c);
    }
    st->dropped++;
    mq_conn_drop(w, c, false, -1);
}

static void on_label_end(sim *s, void *subject, uint64_t arg)
{
    (void)s;
    (void)arg;
    mq_world *w = subject;
    SIM_ASSERT(w->active_events > 0);
    if (--w->active_events == 0) snprintf(w->label, sizeof w->label, "%s", w->phase);
}

static void node_label(const mq_world *w, const mq_rolling_restart *rr, size_t k, char *buf,
                       size_t len)
{
    snprintf(buf, len, "restart %s (%zu/%zu)", w->s->brokers[rr->nodes[k]].name, k + 1,
             rr->nnodes);
}

static void on_node(sim *s, void *subject, uint64_t arg)
{
    mq_world *w = subject;
    rr_state *st = state(w);
    const mq_rolling_restart *rr = st->rr;
    int b = rr->nodes[arg];
    double now = sim_now(s);
    st->started = (size_t)arg + 1;
    w->brokers[b].down_until = fmax(w->brokers[b].down_until, now + rr->restart_s);
    for (size_t i = 0; i < w->nprod + w->ncons; i++) {
        mq_conn *c = i < w->nprod ? &w->producers[i]->conn : &w->consumers[i - w->nprod]->conn;
        if (c->broker == b) close_client(w, st, c);
    }
    w->active_events++;
    node_label(w, rr, (size_t)arg, w->label, sizeof w->label);
    sim_at(s, now + fmax(rr->restart_s, w->s->run.sample_s), PRIO_EVENT, K_EVENT_END,
           on_label_end, w, 0);
}

/* A send lost by a producer cut off by a restart (its retries ran out, or
** it drops sends while disconnected). */
static void on_lost(mq_world *w, mq_producer *p, mq_lost_why why)
{
    rr_state *st = state(w);
    if (why == MQ_LOST_DISCONNECTED && by_restart(st, p->conn.down_since))
        st->lost[p->conn.group]++;
}

static void on_conn_up(mq_world *w, mq_conn *c, double window_s)
{
    rr_state *st = state(w);
    if (by_restart(st, c->down_since)) st->cut_max = fmax(st->cut_max, window_s);
}

/* ---- lifecycle (mq_change.h) ------------------------------------------ */

static int create(mq_world *w, const void *cfg, void **out)
{
    rr_state *st = calloc(1, sizeof *st);
    if (!st) return -1;
    *out = st;
    st->rr = cfg;
    st->lost = calloc(w->s->nproducers + 1, sizeof *st->lost);
    return st->lost ? 0 : -1;
}

static void schedule(mq_world *w)
{
    const mq_rolling_restart *rr = state(w)->rr;
    double end = w->s->run.duration_s;
    for (size_t k = 0; k < rr->nnodes; k++) {
        double t = mq_rolling_restart_node_at(rr, k);
        if (t > end) break;
        sim_at(w->sim, t, PRIO_EVENT, K_EVENT_START, on_node, w, k);
        char lab[160];
        node_label(w, rr, k, lab, sizeof lab);
        SIM_NEED_OK(sim_bands_add(w->bands, t, t + fmax(rr->restart_s, w->s->run.sample_s), lab));
    }
}

#define ADD(name, val, unit, better) \
    SIM_NEED_OK(sim_metrics_add(&out->metrics, name, (double)(val), unit, better))

/* Every node restarted and the last one back within the run. */
static bool completed(mq_world *w)
{
    const rr_state *st = state(w);
    return st->started == st->rr->nnodes &&
           mq_rolling_restart_end(st->rr) <= w->s->run.duration_s;
}

static void metrics(mq_world *w, mq_result *out)
{
    rr_state *st = state(w);
    const mq_rolling_restart *rr = st->rr;
    const sim_better LO = SIM_BETTER_LOWER, NO = SIM_BETTER_NONE;
    double now = sim_now(w->sim);
    for (size_t i = 0; i < w->nprod + w->ncons; i++) { /* cut-offs still open */
        mq_conn *c = i < w->nprod ? &w->producers[i]->conn : &w->consumers[i - w->nprod]->conn;
        if (c->state == CONN_UP || !by_restart(st, c->down_since)) continue;
        st->cut_max = fmax(st->cut_max, now - c->down_since);
        st->cut_open = true;
    }
    ADD("restart_nodes", rr->nnodes, "count", NO);
    ADD("restart_nodes_started", st->started, "count", NO);
    ADD("rolling_restart_s", mq_rolling_restart_end(rr) - rr->at_s, "s", LO);
    ADD("connections_dropped_by_restart", st->dropped, "count", LO);
    ADD("restart_cutoff_max_s", st->dropped ? st->cut_max : NAN, "s", LO);
    ADD("restart_unacked_at_close", st->unacked, "msgs", NO);
    ADD("restart_unconfirmed_at_close", st->unconfirmed, "msgs", NO);
    ADD("restart_duplicates_bound", st->unacked + st->unconfirmed, "msgs", NO);
    if (!st->dropped)
        sim_metrics_censor(&out->metrics, "restart_cutoff_max_s", SIM_NOT_APPLICABLE, NAN);
    else if (st->cut_open)
        sim_metrics_censor(&out->metrics, "restart_cutoff_max_s", SIM_CENSORED_AT_END, st->cut_max);
    for (size_t g = 0; g < w->s->nproducers; g++) {
        const mq_producer_group *pg = &w->s->producers[g];
        if (!st->lost[g]) continue;
        if (pg->ondown == MQ_ONDOWN_RETRY)
            SIM_NEED_OK(sim_strs_add(&out->warnings,
                                   "producer group '%s' lost %llu sends while its node restarted: "
                                   "its %d retries cover about %.3g s, less than the cut-off; "
                                   "more retries or on_disconnect: buffer avoid it", pg->name,
                                   (unsigned long long)st->lost[g], pg->retries,
                                   mq_producer_retry_span(w, pg)));
        else
            SIM_NEED_OK(sim_strs_add(&out->warnings,
                                   "producer group '%s' lost %llu sends while its node restarted "
                                   "(it drops sends while disconnected; on_disconnect: buffer "
                                   "avoids it)", pg->name, (unsigned long long)st->lost[g]));
    }
    if (!completed(w))
        SIM_NEED_OK(sim_strs_add(&out->warnings,
                               "the rolling restart did not finish within the run (%zu of %zu "
                               "nodes started; the last is back at %.0f s, the run ends at "
                               "%.0f s)", st->started, rr->nnodes, mq_rolling_restart_end(rr),
                               w->s->run.duration_s));
}

static void destroy(mq_world *w, void *state_)
{
    (void)w;
    rr_state *st = state_;
    if (st) free(st->lost);
    free(st);
}

/* ---- the type's table --------------------------------------------------- */

static const mq_metric_info metric_rows[] = {
    {"restart_nodes", "count", MQ_MI_NO, "", "rolling restart: nodes (brokers) it restarts", NULL},
    {"restart_nodes_started", "count", MQ_MI_NO, "", "rolling restart: nodes whose restart began within the run", NULL},
    {"rolling_restart_s", "s", MQ_MI_LO, "", "rolling restart: from the first node down to the last node back (planned)", NULL},
    {"connections_dropped_by_restart", "count", MQ_MI_LO, "", "rolling restart: client connections reset by a node's restart", NULL},
    {"restart_cutoff_max_s", "s", MQ_MI_LO, MQ_MI_NA " " MQ_MI_CEN, "rolling restart: longest client cut-off begun by a node's restart (restart plus the client's wait for its first attempt after it)", NULL},
    {"restart_unacked_at_close", "msgs", MQ_MI_NO, "", "rolling restart: unacked deliveries (manual ack) the reset consumers held at their close", NULL},
    {"restart_unconfirmed_at_close", "msgs", MQ_MI_NO, "", "rolling restart: stored sends awaiting a confirm the reset producers held at their close", NULL},
    {"restart_duplicates_bound", "msgs", MQ_MI_NO, "", "rolling restart: upper bound on its duplicates (unacked plus unconfirmed at the closes)", NULL},
};

static void cfg_free(void *cfg) { mq_rolling_restart_free(cfg); }

static double *start_at(void *cfg) { return &((mq_rolling_restart *)cfg)->at_s; }

const mq_change_ops mq_rolling_restart_ops = {
    .key = "rolling_restart",
    .cfg_free = cfg_free,
    .start_at = start_at,
    .create = create,
    .schedule = schedule,
    .metrics = metrics,
    .completed = completed,
    .destroy = destroy,
    .metrics_info = metric_rows,
    .nmetrics = sizeof metric_rows / sizeof *metric_rows,
    .on_lost = on_lost,
    .on_conn_up = on_conn_up,
};
