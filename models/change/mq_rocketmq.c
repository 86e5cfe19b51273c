/*
** mq_rocketmq.c - the RocketMQ instance configuration change's effect on
** clients in virtual time (see mq_rocketmq.h for the interface,
** mq_rocketmq_rules.c for rules and warnings, docs/MODEL.md for the model).
**
** The model works through the base model's own machinery plus the hooks of
** its change-type table (mq_rocketmq_ops, models/change/mq_change.h:
** send_admit, on_ack, on_consumer_down, on_lost, on_conn_up), and keeps
** message records (MQ_CHANGE_KEEPS_RECORDS: acked ids stand for offsets).
** Its paired baseline is a second table, mq_rocketmq_limits_ops: the
** current configuration's limits (send_admit, on_lost) and nothing else.
**   - batch k of brokers restarts at at + k x batch_interval for
**     node_downtime (down_until, as a broker_restart event does);
**   - a TCP producer with send retries on a restarting broker fails over to
**     a broker that is up (RocketMQ 4.x retries on another broker, #16/#26):
**     one exception, and its stored-but-unconfirmed sends are republished
**     after the send timeout (duplicates "send_retry"); with no broker left
**     it drops like any client and its sends follow the SDK's retry timing
**     (models/mq_producer.c);
**   - a TCP consumer on a restarting broker drops (reset): its in-flight
**     messages come back (duplicates "redelivery"), its offset rolls back to
**     the last commit (duplicates "offset_rollback"), its pulls fail every
**     reconnect interval (3 s, #21; one exception each) and it resumes at the
**     first rebalance tick (every rebalance_s, #20) after the broker is back;
**   - offset commits: every commit_interval_s (#19) each consumer commits the
**     smallest offset still in flight, so the acked messages kept since are
**     the ones above it (message ids stand for offsets: they grow with
**     publish order); the list per consumer is a plain growable array, O(1)
**     per ack, O(list) per commit;
**   - HTTP clients lose access from `at` for http_disruption (#27) on every
**     broker; whether they lose sends depends on their retry settings;
**   - capacity is the instance's: one token bucket at the spec for every
**     send (the lower spec during the change, the new one after it), a byte
**     bucket at the Internet bandwidth for public-endpoint sends; Internet
**     access off keeps public-endpoint clients out (from t = 0 on an
**     instance without it, until a change enables it);
**   - a lost send is charged to its cause and producer group (on_lost), a
**     cut-off begun by the change to its group (on_conn_up); the run's
**     warnings name each group, its count and the setting behind it.
** Everything here is O(clients) per batch and O(1) per message.
*/
#include "models/change/mq_rocketmq.h"

#include "models/mq_world.h"
#include "sim/sim_err.h"
#include "sim/sim_mem.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* ------------------------------------------------------------------ */
/* the model                                                           */

typedef struct acked_list {
    uint32_t *v;
    size_t n, cap;
} acked_list;

/* Why a producer group lost sends (rocketmq_rt.lost, per group). */
enum { LOST_HTTP, LOST_INTERNET, LOST_RESTART, LOST_THROTTLED, LOST_OTHER, LOST_NWHY };

typedef struct rocketmq_rt {
    const mq_rocketmq_change *ch;
    size_t *cons_base;      /* first consumer index of each group */
    acked_list *acked;      /* per consumer: acked since the last commit */
    double bw_Bps;          /* public-endpoint byte rate; 0 = unlimited */
    double bw_tokens, bw_t;
    double cap_tps;         /* the instance's send capacity; 0 = unlimited */
    double cap_tokens, cap_t;
    bool internet;          /* Internet access on now */
    double internet_since;  /* when it came on (0: on from the start) */
    bool http_started, changing;
    double change_end;      /* end of the rolling restart */
    uint64_t cut_internet;
    uint64_t (*lost)[LOST_NWHY]; /* per producer group */
    uint64_t (*rejected)[2];     /* per producer group: sends refused by the
                                    Internet bandwidth [0], the spec [1] */
    double *cut_max;        /* per group slot: longest cut-off that began
                               in the change (INFINITY: still cut at the end) */
    double http_max;        /* longest HTTP cut-off begun by the disruption */
    bool http_open;         /* one of them still ran when the run ended */
    int nbatches;           /* planned */
    int batches_started;    /* begun within the run */
} rocketmq_rt;

static rocketmq_rt *rt_of(mq_world *w) { return w->change.state; }

static void label_on(mq_world *w, const char *label)
{
    w->active_events++;
    snprintf(w->label, sizeof w->label, "%s", label);
}

static void label_off(mq_world *w)
{
    SIM_ASSERT(w->active_events > 0);
    if (--w->active_events == 0) w->label[0] = '\0';
}

static void on_label_off(sim *s, void *subject, uint64_t arg)
{
    (void)s;
    (void)arg;
    label_off(subject);
}

static void batch_label(const rocketmq_rt *rt, int k, char *buf, size_t len)
{
    snprintf(buf, len, "restart batch %d/%d", k + 1, rt->nbatches);
}

/* --- offset commits --- */

static acked_list *acked_of(mq_world *w, const mq_consumer *c)
{
    rocketmq_rt *rt = rt_of(w);
    return &rt->acked[rt->cons_base[c->conn.group] + (size_t)c->conn.index];
}

static void on_ack(mq_world *w, mq_consumer *c, uint32_t msg)
{
    if (c->g->commit_interval_s <= 0) return; /* committed per ack */
    acked_list *l = acked_of(w, c);
    SIM_NEED_OK(sim_grow((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v));
    l->v[l->n++] = msg;
}

static void commit(mq_world *w, mq_consumer *c)
{
    acked_list *l = acked_of(w, c);
    uint32_t lo = UINT32_MAX; /* smallest offset still in flight */
    for (size_t i = 0; i < c->buffer.n; i++) {
        uint32_t m = mq_ring_at(&c->buffer, i)->msg;
        if (m < lo) lo = m;
    }
    for (int i = 0; i < c->g->concurrency; i++)
        if (c->slots[i].busy && !c->slots[i].orphan && c->slots[i].msg < lo) lo = c->slots[i].msg;
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i] > lo) l->v[k++] = l->v[i];
    l->n = k;
}

static void on_commit_tick(sim *s, void *subject, uint64_t arg)
{
    mq_world *w = subject;
    rocketmq_rt *rt = rt_of(w);
    const mq_consumer_group *g = &w->s->consumers[arg];
    for (int i = 0; i < g->count; i++) {
        mq_consumer *c = w->consumers[rt->cons_base[arg] + (size_t)i];
        if (c->conn.state == CONN_UP) commit(w, c);
    }
    double next = sim_now(s) + g->commit_interval_s;
    if (next <= w->s->run.duration_s)
        sim_at(s, next, PRIO_CLIENT, K_CONS_WAKE, on_commit_tick, w, arg);
}

/* A consumer lost its connection: it restarts from the last committed
** offset, so everything acked since comes back (oldest at the head). */
static void on_consumer_down(mq_world *w, mq_consumer *c)
{
    if (c->g->commit_interval_s <= 0) return;
    acked_list *l = acked_of(w, c);
    for (size_t i = l->n; i-- > 0;) {
        uint32_t m = l->v[i];
        mq_msg_copy_add(w, m); /* the broker serves it again */
        w->msgs[m].dup_cause = DUP_OFFSET_ROLLBACK;
        mq_queue_requeue(w, (uint32_t)c->g->queue, m);
    }
    l->n = 0;
}

/* --- instance capacity and Internet bandwidth --- */

/* Bursts: the spec is a per-second quota (TPS), so its bucket holds one
** second of it; the Internet bandwidth is a link rate, shaped over 100 ms
** as the base model's broker bucket. */
#define SPEC_BURST_S 1.0
#define BANDWIDTH_BURST_S 0.1

/* Token bucket holding burst_s of `rate` (at least one unit); rate 0 =
** unlimited. */
static bool bucket_take(double rate, double burst_s, double *tokens, double *t, double now,
                        double amount)
{
    if (rate <= 0) return true;
    double burst = fmax(amount, rate * burst_s);
    *tokens = fmin(burst, *tokens + (now - *t) * rate);
    *t = now;
    if (*tokens < amount) return false;
    *tokens -= amount;
    return true;
}

/* The spec is the instance's (seed line 59: TPS bought for the instance),
** whatever the brokers' load layout; a broker's own capacity_tps is checked
** by the base model before this. */
static bool send_admit(mq_world *w, mq_producer *p, double *refused_tps)
{
    rocketmq_rt *rt = rt_of(w);
    double now = sim_now(w->sim);
    int which = -1;
    if (p->g->endpoint == MQ_EP_PUBLIC &&
        !bucket_take(rt->bw_Bps, BANDWIDTH_BURST_S, &rt->bw_tokens, &rt->bw_t, now,
                     p->g->msg_size_bytes))
        which = 0;
    else if (!bucket_take(rt->cap_tps, SPEC_BURST_S, &rt->cap_tokens, &rt->cap_t, now, 1.0))
        which = 1;
    if (which < 0) return true;
    rt->rejected[p->conn.group][which]++;
    *refused_tps = which == 1 ? rt->cap_tps : NAN; /* bandwidth is bytes, not messages */
    return false;
}

static void set_bandwidth(mq_world *w, double mbps)
{
    rocketmq_rt *rt = rt_of(w);
    rt->bw_Bps = mbps > 0 ? mbps * 1e6 / 8.0 : 0;
    rt->bw_tokens = rt->bw_Bps * BANDWIDTH_BURST_S;
    rt->bw_t = sim_now(w->sim);
}

static void set_capacity(mq_world *w, double tps)
{
    rocketmq_rt *rt = rt_of(w);
    double burst = fmax(1.0, tps * SPEC_BURST_S);
    rt->cap_tokens = rt->cap_tps > 0 ? fmin(rt->cap_tokens, burst) : burst;
    rt->cap_tps = tps;
    rt->cap_t = sim_now(w->sim);
}

/* --- rolling restart --- */

static void batch_range(const mq_world *w, int k, size_t *lo, size_t *hi)
{
    size_t bs = (size_t)rt_of((mq_world *)w)->ch->batch_size;
    *lo = (size_t)k * bs;
    *hi = *lo + bs < w->s->nbrokers ? *lo + bs : w->s->nbrokers;
}

static void on_flush(sim *s, void *subject, uint64_t arg)
{
    (void)s;
    (void)arg;
    mq_producer *p = subject;
    if (p->conn.state == CONN_UP) mq_producer_up(p->w, p);
}

/* Route refresh: the producer sees its home broker again and goes back. */
static void on_route_back(sim *s, void *subject, uint64_t arg)
{
    (void)s;
    (void)arg;
    mq_producer *p = subject;
    int home = p->w->s->queues[p->g->queue].broker;
    if (p->conn.state == CONN_UP && mq_conn_reachable(p->w, &(mq_conn){.broker = home,
        .consumer = false, .group = p->conn.group})) {
        p->conn.broker = home;
        mq_routing_changed(p->w);
    }
}

/* A broker that is up, other than b, to fail over to; -1 if none. Clients
** spread over the others by their index, as RocketMQ producers spread sends
** over every broker's queues. */
static int other_broker(const mq_world *w, int b, int index)
{
    double now = sim_now(w->sim);
    size_t n = w->s->nbrokers;
    for (size_t j = 0; j + 1 < n; j++) {
        size_t o = ((size_t)b + 1 + ((size_t)index + j) % (n - 1)) % n;
        if (now >= w->brokers[o].down_until) return (int)o;
    }
    return -1;
}

static void restart_broker(mq_world *w, int b)
{
    const mq_rocketmq_change *ch = rt_of(w)->ch;
    double now = sim_now(w->sim), back = now + ch->node_downtime_s;
    mq_broker_rt *br = &w->brokers[b];
    br->down_until = fmax(br->down_until, back);
    for (size_t i = 0; i < w->nprod; i++) {
        mq_producer *p = w->producers[i];
        if (p->conn.broker != b || p->g->protocol != MQ_PROTO_TCP) continue;
        int o = p->g->retries > 0 ? other_broker(w, b, p->conn.index) : -1;
        if (o < 0 || p->conn.state != CONN_UP) {
            mq_conn_drop(w, &p->conn, false, -1);
            continue;
        }
        /* The send in flight times out; the retry goes to another broker. */
        w->exceptions++;
        p->conn.broker = o;
        mq_routing_changed(w);
        mq_producer_down(w, p); /* stored but unconfirmed -> resend */
        if (p->buffer.n > 0)
            sim_after(w->sim, p->g->send_timeout_s, PRIO_CLIENT, K_SEND_RETRY, on_flush, p, 0);
        /* back home at the first route refresh after the broker returns */
        if (o != b && w->s->queues[p->g->queue].broker == b) {
            double rr = p->g->route_refresh_s > 0 ? p->g->route_refresh_s : ch->node_downtime_s;
            double tick = ceil(back / rr) * rr;
            if (tick <= w->s->run.duration_s)
                sim_at(w->sim, tick, PRIO_CLIENT, K_CONN_TIMER, on_route_back, p, 0);
        }
    }
    const mq_scenario *s = w->s;
    for (size_t g = 0; g < s->nconsumers; g++) {
        const mq_consumer_group *cg = &s->consumers[g];
        if (cg->protocol != MQ_PROTO_TCP || cg->rebalance_s <= 0) continue;
        /* owned again at the first rebalance after the broker is back */
        double tick = ceil(back / cg->rebalance_s) * cg->rebalance_s;
        double *bu = &br->blocked_until[mq_group_slot(s, true, (int)g)];
        *bu = fmax(*bu, tick);
    }
    for (size_t i = 0; i < w->ncons; i++) {
        mq_consumer *c = w->consumers[i];
        if (c->conn.broker == b && c->g->protocol == MQ_PROTO_TCP)
            mq_conn_drop(w, &c->conn, false, -1);
    }
}

static void on_batch(sim *s, void *subject, uint64_t arg)
{
    (void)s;
    mq_world *w = subject;
    size_t lo, hi;
    batch_range(w, (int)arg, &lo, &hi);
    rt_of(w)->batches_started++;
    /* mark the whole batch down first, so nobody fails over inside it */
    double back = sim_now(w->sim) + rt_of(w)->ch->node_downtime_s;
    for (size_t b = lo; b < hi; b++) w->brokers[b].down_until = fmax(w->brokers[b].down_until, back);
    for (size_t b = lo; b < hi; b++) restart_broker(w, (int)b);
    char lab[64];
    batch_label(rt_of(w), (int)arg, lab, sizeof lab);
    label_on(w, lab);
}

/* --- HTTP disruption --- */

static void for_groups(mq_world *w, bool (*pick)(const mq_world *, bool, size_t),
                       double until, uint64_t *nclients)
{
    const mq_scenario *s = w->s;
    for (size_t b = 0; b < s->nbrokers; b++) {
        for (size_t g = 0; g < s->nproducers; g++)
            if (pick(w, false, g)) {
                double *bu = &w->brokers[b].blocked_until[mq_group_slot(s, false, (int)g)];
                *bu = fmax(*bu, until);
            }
        for (size_t g = 0; g < s->nconsumers; g++)
            if (pick(w, true, g)) {
                double *bu = &w->brokers[b].blocked_until[mq_group_slot(s, true, (int)g)];
                *bu = fmax(*bu, until);
            }
    }
    for (size_t i = 0; i < w->nprod; i++)
        if (pick(w, false, (size_t)w->producers[i]->conn.group)) {
            if (nclients) ++*nclients;
            mq_conn_drop(w, &w->producers[i]->conn, false, -1);
        }
    for (size_t i = 0; i < w->ncons; i++)
        if (pick(w, true, (size_t)w->consumers[i]->conn.group)) {
            if (nclients) ++*nclients;
            mq_conn_drop(w, &w->consumers[i]->conn, false, -1);
        }
}

static bool pick_http(const mq_world *w, bool consumer, size_t g)
{
    return (consumer ? w->s->consumers[g].protocol : w->s->producers[g].protocol) == MQ_PROTO_HTTP;
}

static bool pick_public(const mq_world *w, bool consumer, size_t g)
{
    return (consumer ? w->s->consumers[g].endpoint : w->s->producers[g].endpoint) == MQ_EP_PUBLIC;
}

static void on_http_start(sim *s, void *subject, uint64_t arg)
{
    (void)arg;
    mq_world *w = subject;
    rocketmq_rt *rt = rt_of(w);
    rt->http_started = true;
    for_groups(w, pick_http, sim_now(s) + rt->ch->http_disruption_s, NULL);
    label_on(w, "HTTP disruption");
}

/* --- Internet access, losses and cut-offs by cause --- */

/* Internet access off (at t = 0 on an instance without it, or when a change
** that disables it completes): public-endpoint clients cannot connect
** until `until` (the end of a change that enables it, or never). */
static void internet_off(mq_world *w, double until)
{
    rocketmq_rt *rt = rt_of(w);
    rt->internet = false;
    for_groups(w, pick_public, until, &rt->cut_internet);
}

static void on_internet_off_at_start(sim *s, void *subject, uint64_t arg)
{
    (void)s;
    (void)arg;
    mq_world *w = subject;
    const mq_rocketmq_change *ch = rt_of(w)->ch;
    double enabled = ch->at_s + mq_rocketmq_rolling_len(w->s, ch);
    internet_off(w, ch->has_internet && ch->internet ? enabled : INFINITY);
}

static bool http_window(const rocketmq_rt *rt, double t);

/* A producer's send was lost: charge it to the cause that kept the
** producer from sending, in this order: throttling; Internet access off
** (a public-endpoint client whose outage began before Internet access was
** on); the HTTP disruption (an HTTP client whose outage began in it); the
** restart (any other outage that began while the change ran); else an
** outage that is not the change's (an event before or after it), so the
** causes add up to lost_send_failed. */
static void on_lost(mq_world *w, mq_producer *p, mq_lost_why why)
{
    rocketmq_rt *rt = rt_of(w);
    double since = p->conn.down_since;
    bool public = p->g->endpoint == MQ_EP_PUBLIC;
    int k = why == MQ_LOST_THROTTLED ? LOST_THROTTLED
            : public && (!rt->internet || since < rt->internet_since) ? LOST_INTERNET
            : p->g->protocol == MQ_PROTO_HTTP && http_window(rt, since) ? LOST_HTTP
            : rt->changing && since >= rt->ch->at_s && since <= rt->change_end ? LOST_RESTART
                                                                               : LOST_OTHER;
    rt->lost[p->conn.group][k]++;
}

/* Whether a cut-off that began at t began because of the change. */
static bool in_change(const rocketmq_rt *rt, double t)
{
    return rt->changing && t >= rt->ch->at_s && t <= rt->change_end;
}

static bool http_window(const rocketmq_rt *rt, double t)
{
    return rt->http_started && t >= rt->ch->at_s && t <= rt->ch->at_s + rt->ch->http_disruption_s;
}

static bool is_http(const mq_conn *c)
{
    const mq_world *w = c->w;
    return (c->consumer ? w->s->consumers[c->group].protocol
                        : w->s->producers[c->group].protocol) == MQ_PROTO_HTTP;
}

static void on_conn_up(mq_world *w, mq_conn *c, double window_s)
{
    rocketmq_rt *rt = rt_of(w);
    if (in_change(rt, c->down_since)) {
        double *m = &rt->cut_max[mq_group_slot(w->s, c->consumer, c->group)];
        *m = fmax(*m, window_s);
    }
    if (is_http(c) && http_window(rt, c->down_since)) rt->http_max = fmax(rt->http_max, window_s);
}

/* --- end of the rolling restart: spec, Internet access and bandwidth --- */

static void on_change_end(sim *s, void *subject, uint64_t arg)
{
    (void)arg;
    mq_world *w = subject;
    rocketmq_rt *rt = rt_of(w);
    const mq_rocketmq_change *ch = rt->ch;
    if (ch->has_spec_tps) set_capacity(w, ch->spec_tps);
    if (ch->has_bandwidth) set_bandwidth(w, ch->bandwidth_mbps);
    if (ch->has_internet && ch->internet && !rt->internet) {
        rt->internet = true; /* the public clients' blocks end now */
        rt->internet_since = sim_now(s);
    }
    if (ch->has_internet && !ch->internet && rt->internet) internet_off(w, INFINITY);
}

/* During the change the lower of the two specs applies (the brokers come
** back one batch at a time): an upgrade never admits less than before, a
** downgrade admits its new spec from the first restart on. */
static void on_change_start(sim *s, void *subject, uint64_t arg)
{
    (void)s;
    (void)arg;
    mq_world *w = subject;
    rocketmq_rt *rt = rt_of(w);
    const mq_rocketmq_change *ch = rt->ch;
    rt->changing = true;
    double from = w->s->instance.spec_tps;
    if (ch->has_spec_tps && (from <= 0 || ch->spec_tps < from)) set_capacity(w, ch->spec_tps);
}

/* --- schedule, metrics, free --- */

static int create(mq_world *w, const void *cfg, void **out)
{
    const mq_scenario *s = w->s;
    const mq_rocketmq_change *ch = cfg;
    SIM_ASSERT(ch != NULL && ch->batch_size > 0);
    rocketmq_rt *rt = calloc(1, sizeof *rt);
    if (!rt) return -1;
    *out = rt;
    size_t nslots = s->nproducers + s->nconsumers;
    rt->ch = ch;
    rt->nbatches = mq_rocketmq_batches(s, ch);
    rt->cons_base = calloc(s->nconsumers + 1, sizeof *rt->cons_base);
    rt->acked = calloc(w->ncons + 1, sizeof *rt->acked);
    rt->lost = calloc(s->nproducers + 1, sizeof *rt->lost);
    rt->rejected = calloc(s->nproducers + 1, sizeof *rt->rejected);
    rt->cut_max = calloc(nslots + 1, sizeof *rt->cut_max);
    if (!rt->cons_base || !rt->acked || !rt->lost || !rt->rejected || !rt->cut_max) return -1;
    for (size_t g = 0; g < s->nconsumers; g++)
        rt->cons_base[g + 1] = rt->cons_base[g] + (size_t)s->consumers[g].count;
    rt->change_end = ch->at_s + mq_rocketmq_duration(s, ch);
    return 0;
}

static void schedule(mq_world *w)
{
    const mq_scenario *s = w->s;
    rocketmq_rt *rt = rt_of(w);
    const mq_rocketmq_change *ch = rt->ch;
    if (ch->baseline) { /* the current configuration's limits, nothing else */
        set_capacity(w, s->instance.spec_tps);
        set_bandwidth(w, s->instance.bandwidth_mbps);
        rt->internet = true;
        if (!s->instance.internet)
            sim_at(w->sim, 0, PRIO_EVENT, K_EVENT_START, on_internet_off_at_start, w, 0);
        return;
    }
    /* The acked lists keep ids of consumed messages and compare them as
    ** offsets: the table's MQ_CHANGE_KEEPS_RECORDS keeps records from
    ** being recycled. */
    SIM_ASSERT(w->keep_records);
    set_capacity(w, s->instance.spec_tps);
    set_bandwidth(w, s->instance.bandwidth_mbps);
    rt->internet = true;

    double end = s->run.duration_s;
    double cend = ch->at_s + mq_rocketmq_rolling_len(s, ch);
    if (!s->instance.internet)
        sim_at(w->sim, 0, PRIO_EVENT, K_EVENT_START, on_internet_off_at_start, w, 0);
    sim_at(w->sim, ch->at_s, PRIO_EVENT, K_EVENT_START, on_change_start, w, 0);
    for (size_t g = 0; g < s->nconsumers; g++) {
        double ci = s->consumers[g].commit_interval_s;
        if (ci > 0 && ci <= end) sim_at(w->sim, ci, PRIO_CLIENT, K_CONS_WAKE, on_commit_tick, w, g);
    }
    for (int k = 0; k < rt->nbatches; k++) {
        double t0 = ch->at_s + k * ch->batch_interval_s;
        if (t0 > end) break;
        char lab[64];
        batch_label(rt, k, lab, sizeof lab);
        sim_at(w->sim, t0, PRIO_EVENT, K_EVENT_START, on_batch, w, (uint64_t)k);
        double lend = t0 + fmax(ch->node_downtime_s, s->run.sample_s);
        sim_at(w->sim, lend, PRIO_EVENT, K_EVENT_END, on_label_off, w, 0);
        SIM_NEED_OK(sim_bands_add(w->bands, t0, lend, lab));
    }
    if (mq_rocketmq_has_http(s)) {
        double d = ch->http_disruption_s;
        sim_at(w->sim, ch->at_s, PRIO_EVENT, K_EVENT_START, on_http_start, w, 0);
        double lend = ch->at_s + fmax(d, s->run.sample_s);
        sim_at(w->sim, lend, PRIO_EVENT, K_EVENT_END, on_label_off, w, 0);
        SIM_NEED_OK(sim_bands_add(w->bands, ch->at_s, lend, "HTTP disruption"));
    }
    if (cend <= end) sim_at(w->sim, cend, PRIO_EVENT, K_EVENT_END, on_change_end, w, 0);
}

#define ADD(name, val, unit, better) \
    SIM_NEED_OK(sim_metrics_add(&out->metrics, name, (double)(val), unit, better))
#define WARN(...) SIM_NEED_OK(sim_strs_add(&out->warnings, __VA_ARGS__))

static const char *group_name(const mq_scenario *s, size_t slot)
{
    return slot < s->nproducers ? s->producers[slot].name : s->consumers[slot - s->nproducers].name;
}

static const mq_reconnect *group_reconnect(const mq_scenario *s, size_t slot)
{
    return slot < s->nproducers ? &s->producers[slot].reconnect
                                : &s->consumers[slot - s->nproducers].reconnect;
}

static bool group_public(const mq_scenario *s, size_t slot)
{
    return (slot < s->nproducers ? s->producers[slot].endpoint
                                 : s->consumers[slot - s->nproducers].endpoint) == MQ_EP_PUBLIC;
}

/* Per producer group: its losses by cause, each with the setting behind it
** and the one that avoids it. */
/* The rolling change completes when its last batch is back. */
static bool completed(mq_world *w)
{
    const mq_rocketmq_change *ch = rt_of(w)->ch;
    return ch->at_s + mq_rocketmq_duration(w->s, ch) <= sim_now(w->sim);
}

/* The instance starts without Internet access and the change turns it on. */
static bool enables_internet(const mq_scenario *s, const mq_rocketmq_change *ch)
{
    return !s->instance.internet && ch->has_internet && ch->internet;
}

static void loss_warnings(mq_world *w, mq_result *out)
{
    const mq_scenario *s = w->s;
    rocketmq_rt *rt = rt_of(w);
    const mq_rocketmq_change *ch = rt->ch;
    for (size_t g = 0; g < s->nproducers; g++) {
        const mq_producer_group *pg = &s->producers[g];
        const uint64_t *l = rt->lost[g];
        char why[400];
        if (l[LOST_HTTP]) {
            mq_rocketmq_explain_send_loss(pg, ch->http_disruption_s, why, sizeof why);
            WARN("HTTP producer group '%s' lost %llu sends to the HTTP disruption (%g s; the "
                 "service's disruption is under 1 min, the group's own settings decide its "
                 "losses): %s", pg->name, (unsigned long long)l[LOST_HTTP],
                 ch->http_disruption_s, why);
        }
        if (l[LOST_RESTART]) {
            double out_s = mq_rocketmq_cutoff(&pg->reconnect, ch->node_downtime_s);
            mq_rocketmq_explain_send_loss(pg, out_s, why, sizeof why);
            WARN("producer group '%s' lost %llu sends while its broker restarted: %s; %s",
                 pg->name, (unsigned long long)l[LOST_RESTART],
                 s->nbrokers == 1 ? "a one-broker (Standalone) instance has no other broker "
                                    "to fail over to"
                 : pg->retries == 0 ? "with retries: 0 it does not fail over to another broker"
                                    : "no other broker was up to fail over to",
                 why);
        }
        if (l[LOST_INTERNET]) {
            /* off before the change enabled it, or off after it disabled it */
            bool enables = enables_internet(s, ch);
            WARN("producer group '%s' lost %llu sends: it uses the public endpoint and "
                 "Internet access was off%s",
                 pg->name, (unsigned long long)l[LOST_INTERNET],
                 !enables ? "; use a VPC endpoint or keep Internet access on"
                 : rt->internet ? " until the change enabled it; starting these clients after "
                                  "the change completes, or a VPC endpoint until then, avoids it"
                                : " for the whole run (the change that enables it had not "
                                  "completed); a VPC endpoint avoids it");
        }
        if (l[LOST_THROTTLED]) {
            const uint64_t *r = rt->rejected[g];
            WARN("producer group '%s' lost %llu sends to throttling: each stayed throttled "
                 "through its %d retries (SDK back-off %g s x1.6, model-reference #31), "
                 "mostly refused by %s; more retries delay the loss, a higher %s avoids it",
                 pg->name, (unsigned long long)l[LOST_THROTTLED], pg->retries,
                 mq_producer_throttle_backoff(0),
                 r[0] >= r[1] && r[0] > 0 ? "the Internet bandwidth (public endpoint)"
                 : r[1] > 0               ? "the instance's computing specification"
                                          : "its broker's own capacity_tps",
                 r[0] >= r[1] && r[0] > 0 ? "bandwidth"
                 : r[1] > 0               ? "spec_tps"
                                          : "brokers[].capacity_tps");
        }
    }
}

/* Per group: a cut-off begun by the change that lasted over a minute (or
** still runs at the end), with the reconnect setting behind it. */
static void cutoff_warnings(mq_world *w, mq_result *out)
{
    const mq_scenario *s = w->s;
    rocketmq_rt *rt = rt_of(w);
    double now = sim_now(w->sim);
    size_t nslots = s->nproducers + s->nconsumers;
    bool *open = calloc(nslots + 1, sizeof *open);
    SIM_NEED(open != NULL, "out of memory");
    for (size_t i = 0; i < w->nprod + w->ncons; i++) {
        mq_conn *c = i < w->nprod ? &w->producers[i]->conn : &w->consumers[i - w->nprod]->conn;
        if (c->state == CONN_UP) continue;
        if (is_http(c) && http_window(rt, c->down_since)) {
            /* a public client that Internet access off kept out: the
            ** disruption's share is when its reconnect would have landed */
            double win = now - c->down_since;
            size_t k = mq_group_slot(s, c->consumer, c->group);
            if (group_public(s, k) && !rt->internet)
                win = fmin(win, mq_rocketmq_cutoff(group_reconnect(s, k), rt->ch->http_disruption_s));
            else
                rt->http_open = true; /* its end is not known */
            rt->http_max = fmax(rt->http_max, win);
        }
        if (!in_change(rt, c->down_since)) continue;
        size_t k = mq_group_slot(s, c->consumer, c->group);
        rt->cut_max[k] = fmax(rt->cut_max[k], now - c->down_since);
        open[k] = true;
    }
    for (size_t k = 0; k < nslots; k++) {
        /* Internet access off has its own SEVERE RISK line */
        if (rt->cut_max[k] <= 60.0 || (group_public(s, k) && !rt->internet)) continue;
        char why[300];
        mq_rocketmq_explain_reconnect(group_reconnect(s, k), why, sizeof why);
        WARN("client group '%s' was cut off for %.0f s%s by the change, over 1 min (the "
             "seed expects transient disconnects, and under 1 min for HTTP access): %s",
             group_name(s, k), rt->cut_max[k],
             open[k] ? " (still cut off at the end of the run)" : "", why);
    }
    free(open);
}

static void metrics(mq_world *w, mq_result *out)
{
    const mq_scenario *s = w->s;
    rocketmq_rt *rt = rt_of(w);
    const mq_rocketmq_change *ch = rt ? rt->ch : NULL;
    SIM_ASSERT(ch != NULL && rt != NULL);
    if (ch->baseline) return; /* the base rows say it all */
    const sim_better LO = SIM_BETTER_LOWER, NO = SIM_BETTER_NONE;
    cutoff_warnings(w, out);
    uint64_t lost[LOST_NWHY] = {0};
    for (size_t g = 0; g < s->nproducers; g++)
        for (int k = 0; k < LOST_NWHY; k++) lost[k] += rt->lost[g][k];
    mq_billing method = mq_rocketmq_serverless(&s->instance) ? MQ_BILL_SERVERLESS
                                                             : s->instance.billing;
    const mq_rocketmq_billing *b = &ch->billing;
    ADD("duplicates_offset_rollback", w->dup_by_cause[DUP_OFFSET_ROLLBACK], "msgs", LO);
    ADD("http_disruption_max_s", rt->http_max, "s", LO);
    if (!mq_rocketmq_has_http(s)) /* no HTTP client: nothing to measure */
        sim_metrics_censor(&out->metrics, "http_disruption_max_s", SIM_NOT_APPLICABLE, NAN);
    else if (rt->http_open) /* at least this long */
        sim_metrics_censor(&out->metrics, "http_disruption_max_s", SIM_CENSORED_AT_END,
                           rt->http_max);
    ADD("lost_during_http_disruption", lost[LOST_HTTP], "msgs", LO);
    ADD("lost_internet_off", lost[LOST_INTERNET], "msgs", LO);
    ADD("lost_during_restart", lost[LOST_RESTART], "msgs", LO);
    ADD("lost_throttled", lost[LOST_THROTTLED], "msgs", LO);
    ADD("lost_not_change", lost[LOST_OTHER], "msgs", LO);
    ADD("clients_cut_off_internet", rt->cut_internet, "clients", LO);
    ADD("restart_batches", rt->batches_started, "count", NO);
    if (rt->batches_started < rt->nbatches) /* the run ended before the last batch */
        sim_metrics_censor(&out->metrics, "restart_batches", SIM_CENSORED_AT_END,
                           rt->batches_started);
    ADD("change_duration_s", mq_rocketmq_duration(s, ch), "s", LO);
    ADD("billing_delta", mq_rocketmq_billing_delta(method, b), b->present ? b->currency : "",
        LO);
    if (!b->present) /* no price table: nothing to compute */
        sim_metrics_censor(&out->metrics, "billing_delta", SIM_NOT_APPLICABLE, NAN);
    double end = sim_now(w->sim);
    if (!completed(w)) { /* the run ends inside the change */
        sim_metrics_censor(&out->metrics, "change_duration_s", SIM_CENSORED_AT_END,
                           fmax(0, end - ch->at_s));
        WARN("the change did not complete within the run (%llu of %llu restart batches "
             "begun; it ends at %.0f s, the run at %.0f s): its effects after the end are not in "
             "these figures, and every budget line fails; lengthen run.duration",
             (unsigned long long)rt->batches_started, (unsigned long long)rt->nbatches,
             ch->at_s + mq_rocketmq_duration(s, ch), end);
    }
    bool enables = enables_internet(s, ch);
    if (rt->cut_internet > 0)
        WARN("SEVERE RISK: Internet access %s; %llu public-endpoint clients were cut off%s",
             s->instance.internet ? "disabled" : "is off on this instance",
             (unsigned long long)rt->cut_internet,
             !enables      ? " for good"
             : rt->internet ? " until the change enabled it"
                            : " for the whole run: the change that enables it had not "
                              "completed when the run ended");
    loss_warnings(w, out);
}

static void destroy(mq_world *w, void *state)
{
    rocketmq_rt *rt = state;
    if (!rt) return;
    for (size_t i = 0; rt->acked && i < w->ncons; i++) free(rt->acked[i].v);
    free(rt->acked);
    free(rt->cons_base);
    free(rt->lost);
    free(rt->rejected);
    free(rt->cut_max);
    free(rt);
}

/* --- the change-type tables --- */

static void cfg_free(void *cfg) { mq_rocketmq_change_free(cfg); }

/* ---- its metrics (models/mq_metric_info.h) ---- */

static const mq_metric_info metric_rows[] = {
    {"duplicates_offset_rollback", "msgs", MQ_MI_LO, "", "RocketMQ: duplicates from consumer offsets rolled back by a broker restart", "duplicates"},
    {"http_disruption_max_s", "s", MQ_MI_LO, MQ_MI_NA " " MQ_MI_CEN, "RocketMQ: longest HTTP cut-off begun by the HTTP disruption (not applicable without HTTP clients; censored when one was still going on when the run ended)", NULL},
    {"lost_during_http_disruption", "msgs", MQ_MI_LO, "", "RocketMQ: sends lost while HTTP access was down", "lost_send_failed"},
    {"lost_internet_off", "msgs", MQ_MI_LO, "", "RocketMQ: sends of public-endpoint clients lost because Internet access was off", "lost_send_failed"},
    {"lost_during_restart", "msgs", MQ_MI_LO, "", "RocketMQ: sends lost while brokers restarted", "lost_send_failed"},
    {"lost_throttled", "msgs", MQ_MI_LO, "", "RocketMQ: sends lost after their retries were throttled", "lost_send_failed"},
    {"lost_not_change", "msgs", MQ_MI_LO, "", "RocketMQ: sends lost in outages that are not the change's (events before or after it)", "lost_send_failed"},
    {"clients_cut_off_internet", "clients", MQ_MI_LO, "", "RocketMQ: public-endpoint clients cut off for good by disabling Internet access", NULL},
    {"restart_batches", "count", MQ_MI_NO, MQ_MI_CEN, "RocketMQ: batches of brokers the change restarted within the run; censored when the run ended before its last planned batch", NULL},
    {"change_duration_s", "s", MQ_MI_LO, MQ_MI_CEN, "RocketMQ: planned length of the rolling change (censored when the run ends inside it)", NULL},
    {"billing_delta", "", MQ_MI_LO, MQ_MI_NA, "RocketMQ: price difference of the change over the rest of the billing cycle, in billing.currency", NULL},
};

static double *start_at(void *cfg) { return &((mq_rocketmq_change *)cfg)->at_s; }

static const mq_change_ops *to_baseline(void *cfg)
{
    mq_rocketmq_change_to_baseline(cfg);
    return &mq_rocketmq_limits_ops;
}

const mq_change_ops mq_rocketmq_ops = {
    .key = "rocketmq_change",
    .flags = MQ_CHANGE_KEEPS_RECORDS,
    .cfg_free = cfg_free,
    .to_baseline = to_baseline,
    .start_at = start_at,
    .create = create,
    .schedule = schedule,
    .metrics = metrics,
    .completed = completed,
    .destroy = destroy,
    .metrics_info = metric_rows,
    .nmetrics = sizeof metric_rows / sizeof *metric_rows,
    .send_admit = send_admit,
    .on_ack = on_ack,
    .on_consumer_down = on_consumer_down,
    .on_lost = on_lost,
    .on_conn_up = on_conn_up,
};

const mq_change_ops mq_rocketmq_limits_ops = {
    .key = "rocketmq_change",
    .flags = MQ_CHANGE_BASELINE_ONLY,
    .cfg_free = cfg_free,
    .create = create,
    .schedule = schedule,
    .metrics = metrics,
    .destroy = destroy,
    .send_admit = send_admit,
    .on_lost = on_lost,
};
