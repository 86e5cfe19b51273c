/*
** mq_rocketmq.c - the RocketMQ instance configuration change: rules,
** warnings, billing, and the change's effect on clients in virtual time
** (see mq_rocketmq.h for the interface, docs/MODEL.md for the model).
**
** The model works through the base model's own machinery plus four small,
** general hooks in mq_world (send_admit, on_ack, on_consumer_down, ext) and
** the runtime broker capacity (mq_broker_rt.capacity_tps):
**   - batch k of brokers restarts at at + k x batch_interval for
**     node_downtime (down_until, as a broker_restart event does);
**   - a TCP producer with send retries on a restarting broker fails over to
**     a broker that is up (RocketMQ 4.x retries on another broker, #16/#26):
**     one exception, and its stored-but-unconfirmed sends are republished
**     after the send timeout (duplicates "send_retry"); with no broker left
**     it drops like any client;
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
**   - when a batch's brokers come back they run at the new spec's share of
**     TPS (spec_tps / brokers; throttling = the base model's rejected sends
**     with back-off); at the end of the rolling restart the Internet
**     bandwidth cap (a byte token bucket for public-endpoint sends,
**     bandwidth / message size msgs/s) and Internet access change; Internet
**     off blocks every public-endpoint client for good.
** Everything here is O(clients) per batch and O(1) per message.
*/
#include "models/mq_rocketmq.h"

#include "models/mq_world.h"
#include "sim/sim_err.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OOM_CHECK(x) SIM_ASSERTF((x) == 0, "out of memory")

/* ------------------------------------------------------------------ */
/* the change value                                                    */

void mq_rocketmq_change_init(mq_rocketmq_change *ch)
{
    *ch = (mq_rocketmq_change){
        .batch_size = MQ_RMQ_BATCH_SIZE,
        .node_downtime_s = MQ_RMQ_NODE_DOWNTIME_S,
        .batch_interval_s = MQ_RMQ_BATCH_INTERVAL_S,
        .http_disruption_s = MQ_RMQ_HTTP_DISRUPTION_S,
    };
    ch->billing.price_from = ch->billing.price_to = NAN;
}

void mq_rocketmq_change_free(mq_rocketmq_change *ch) { free(ch); }

/* ------------------------------------------------------------------ */
/* rules                                                               */

static int edition_rank(mq_edition e)
{
    switch (e) {
    case MQ_EDITION_STANDARD: return 0;
    case MQ_EDITION_PROFESSIONAL: return 1;
    case MQ_EDITION_ENTERPRISE:
    case MQ_EDITION_PLATINUM: return 2; /* "Enterprise Platinum" */
    }
    return 0;
}

static const char *edition_name(mq_edition e)
{
    static const char *const n[] = {"Standard", "Professional", "Enterprise Platinum"};
    return n[edition_rank(e)];
}

static const char *subcat_name(mq_subcat c)
{
    switch (c) {
    case MQ_SUBCAT_STANDALONE: return "Standalone";
    case MQ_SUBCAT_CLUSTER: return "Cluster";
    case MQ_SUBCAT_NONE: break;
    }
    return "unset";
}

bool mq_rocketmq_serverless(const mq_instance *in)
{
    return in->series == MQ_SERIES_SERVERLESS || in->billing == MQ_BILL_SERVERLESS;
}

mq_rmq_rule mq_rocketmq_check(const mq_instance *from, const mq_rocketmq_change *ch,
                              char *msg, size_t len, mq_loc *where)
{
    *where = ch->loc;
    if (ch->has_storage) {
        *where = ch->storage_loc;
        snprintf(msg, len, "storage space cannot be changed: it is billed pay-as-you-go; "
                 "adjust the message storage duration (run.retention) to control "
                 "storage usage");
        return MQ_RMQ_STORAGE;
    }
    if (mq_rocketmq_serverless(from)) {
        const char *what = NULL;
        if (ch->has_spec_tps) what = "computing specification", *where = ch->spec_tps_loc;
        else if (ch->has_sub_category) what = "sub-category", *where = ch->sub_category_loc;
        else if (ch->has_internet) what = "Internet access", *where = ch->internet_loc;
        else if (ch->has_bandwidth) what = "Internet bandwidth", *where = ch->bandwidth_loc;
        if (what) {
            snprintf(msg, len, "serverless instances can only change the primary edition; "
                     "the %s cannot be changed", what);
            return MQ_RMQ_SERVERLESS_ONLY_EDITION;
        }
        if (ch->has_edition && (edition_rank(from->edition) > 1 || edition_rank(ch->edition) > 1)) {
            *where = ch->edition_loc;
            snprintf(msg, len, "serverless instances can only change between the Standard "
                     "and Professional editions (%s → %s)", edition_name(from->edition),
                     edition_name(ch->edition));
            return MQ_RMQ_SERVERLESS_EDITION;
        }
        return MQ_RMQ_OK; /* Standard <-> Professional, both ways */
    }
    if (ch->has_edition && edition_rank(ch->edition) < edition_rank(from->edition)) {
        *where = ch->edition_loc;
        snprintf(msg, len, "primary edition cannot be downgraded (%s → %s); editions only "
                 "go up: Standard, Professional, Enterprise Platinum",
                 edition_name(from->edition), edition_name(ch->edition));
        return MQ_RMQ_EDITION_DOWNGRADE;
    }
    if (ch->has_sub_category && ch->sub_category != from->sub_category) {
        *where = ch->sub_category_loc;
        snprintf(msg, len, "sub-category edition cannot change (%s → %s); only the primary "
                 "edition may change within the same sub-category",
                 subcat_name(from->sub_category), subcat_name(ch->sub_category));
        return MQ_RMQ_SUBCATEGORY;
    }
    bool internet = ch->has_internet ? ch->internet : from->internet;
    if (ch->has_bandwidth && ch->bandwidth_mbps > 0 && !internet) {
        *where = ch->bandwidth_loc;
        snprintf(msg, len, "Internet bandwidth needs Internet access; set to.internet: true "
                 "or remove to.bandwidth");
        return MQ_RMQ_BANDWIDTH_NO_INTERNET;
    }
    return MQ_RMQ_OK;
}

/* ------------------------------------------------------------------ */
/* timing, warnings, billing                                           */

static bool has_http(const mq_scenario *s)
{
    for (size_t i = 0; i < s->nproducers; i++)
        if (s->producers[i].protocol == MQ_PROTO_HTTP) return true;
    for (size_t i = 0; i < s->nconsumers; i++)
        if (s->consumers[i].protocol == MQ_PROTO_HTTP) return true;
    return false;
}

int mq_rocketmq_batches(const mq_scenario *s, const mq_rocketmq_change *ch)
{
    int bs = ch->batch_size > 0 ? ch->batch_size : 1;
    return (int)((s->nbrokers + (size_t)bs - 1) / (size_t)bs);
}

static double rolling_len(const mq_scenario *s, const mq_rocketmq_change *ch)
{
    int nb = mq_rocketmq_batches(s, ch);
    return nb > 0 ? (nb - 1) * ch->batch_interval_s + ch->node_downtime_s : 0;
}

double mq_rocketmq_duration(const mq_scenario *s, const mq_rocketmq_change *ch)
{
    double d = rolling_len(s, ch);
    if (has_http(s)) d = fmax(d, ch->http_disruption_s);
    return d;
}

#define WARN(...) do { if (sim_strs_add(out, __VA_ARGS__)) return -1; } while (0)

/* Append ", 'name'" to a list buffer (truncated quietly). */
static void list_add(char *buf, size_t len, const char *name)
{
    size_t n = strlen(buf);
    if (n < len) snprintf(buf + n, len - n, "%s'%s'", n ? ", " : "", name);
}

int mq_rocketmq_warnings(const mq_scenario *s, const mq_rocketmq_change *ch, sim_strs *out)
{
    double t0 = ch->at_s, t1 = ch->at_s + mq_rocketmq_duration(s, ch);
    for (size_t i = 0; i < s->nevents; i++) {
        const mq_event *ev = &s->events[i];
        if (ev->type != MQ_EVENT_RESOURCE_OP || ev->at_s < t0 || ev->at_s > t1) continue;
        WARN("events[%zu] (line %d): resource operation '%s' at %.0f s falls inside the "
             "change window (%.0f-%.0f s); do not create, delete or modify topics or "
             "groups while the change is in progress", i, ev->loc.line,
             ev->label ? ev->label : "resource_op", ev->at_s, t0, t1);
    }
    char list[512] = "";
    for (size_t i = 0; i < s->nconsumers; i++)
        if (!s->consumers[i].idempotent) list_add(list, sizeof list, s->consumers[i].name);
    if (*list)
        WARN("consumer groups %s have no message idempotence (idempotent: false) while the "
             "change is expected to duplicate messages; implement idempotence before the "
             "change", list);
    list[0] = '\0';
    for (size_t i = 0; i < s->nproducers; i++) {
        const mq_producer_group *g = &s->producers[i];
        if (g->protocol == MQ_PROTO_HTTP &&
            (g->ondown == MQ_ONDOWN_DROP || (g->ondown == MQ_ONDOWN_RETRY && g->retries == 0)))
            list_add(list, sizeof list, g->name);
    }
    for (size_t i = 0; i < s->nconsumers; i++) {
        const mq_consumer_group *g = &s->consumers[i];
        if (g->protocol == MQ_PROTO_HTTP && !g->reconnect.automatic &&
            g->reconnect.app_restart_s < 0)
            list_add(list, sizeof list, g->name);
    }
    if (*list)
        WARN("HTTP client groups %s have no retry configured; HTTP access drops for %.0f s "
             "during the change (seed: < 1 min), so their requests in that window fail",
             list, ch->http_disruption_s);
    if (ch->http_disruption_s >= 60)
        WARN("rocketmq_change.http_disruption %.0f s is not below 1 min, the documented "
             "bound (model-reference #27)", ch->http_disruption_s);
    if (ch->has_internet && !ch->internet) {
        long n = 0;
        list[0] = '\0';
        for (size_t i = 0; i < s->nproducers; i++)
            if (s->producers[i].endpoint == MQ_EP_PUBLIC) {
                n += s->producers[i].count;
                list_add(list, sizeof list, s->producers[i].name);
            }
        for (size_t i = 0; i < s->nconsumers; i++)
            if (s->consumers[i].endpoint == MQ_EP_PUBLIC) {
                n += s->consumers[i].count;
                list_add(list, sizeof list, s->consumers[i].name);
            }
        if (n > 0)
            WARN("SEVERE RISK: disabling Internet access cuts off %ld clients that use the "
                 "public endpoint, for good (groups %s)", n, list);
    }
    double peak = mq_scenario_peak_rate(s);
    if (ch->has_spec_tps && ch->spec_tps > 0 && peak > ch->spec_tps)
        WARN("the new computing specification (%g TPS) is below the offered peak load "
             "(%g msg/s): sends will be throttled and a backlog will build", ch->spec_tps,
             peak);
    return 0;
}

double mq_rocketmq_billing_delta(mq_billing method, const mq_rocketmq_billing *b)
{
    if (!b->present) return NAN;
    switch (method) {
    case MQ_BILL_SUBSCRIPTION:
        return (b->price_to - b->price_from) * (b->cycle_months - b->elapsed_months);
    case MQ_BILL_PAYG:
        return 0;
    case MQ_BILL_SERVERLESS:
        return (fmax(b->price_from, b->price_to) - b->price_from) * b->cycle_months;
    }
    return NAN;
}

/* ------------------------------------------------------------------ */
/* the model                                                           */

typedef struct acked_list {
    uint32_t *v;
    size_t n, cap;
} acked_list;

typedef struct rmq_rt {
    const mq_rocketmq_change *ch;
    size_t *cons_base;      /* first consumer index of each group */
    acked_list *acked;      /* per consumer: acked since the last commit */
    double bw_Bps;          /* public-endpoint byte rate; 0 = unlimited */
    double bw_tokens, bw_t;
    uint64_t http_lost0, http_lost1;
    bool http_started, http_counted;
    uint64_t cut_internet;
    int nbatches;
} rmq_rt;

static rmq_rt *rt_of(mq_world *w) { return w->ext; }

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

static void batch_label(const rmq_rt *rt, int k, char *buf, size_t len)
{
    snprintf(buf, len, "restart batch %d/%d", k + 1, rt->nbatches);
}

/* --- offset commits --- */

static acked_list *acked_of(mq_world *w, const mq_consumer *c)
{
    rmq_rt *rt = rt_of(w);
    return &rt->acked[rt->cons_base[c->conn.group] + (size_t)c->conn.index];
}

static void on_ack(mq_world *w, mq_consumer *c, uint32_t msg)
{
    if (c->g->commit_interval_s <= 0) return; /* committed per ack */
    acked_list *l = acked_of(w, c);
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 64;
        uint32_t *v = realloc(l->v, ncap * sizeof *v);
        SIM_ASSERTF(v != NULL, "out of memory");
        l->v = v;
        l->cap = ncap;
    }
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
    rmq_rt *rt = rt_of(w);
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

/* --- Internet bandwidth --- */

static bool send_admit(mq_world *w, mq_producer *p)
{
    rmq_rt *rt = rt_of(w);
    if (p->g->endpoint != MQ_EP_PUBLIC || rt->bw_Bps <= 0) return true;
    double now = sim_now(w->sim), size = p->g->msg_size_bytes;
    double burst = fmax(size, rt->bw_Bps * 0.1);
    rt->bw_tokens = fmin(burst, rt->bw_tokens + (now - rt->bw_t) * rt->bw_Bps);
    rt->bw_t = now;
    if (rt->bw_tokens < size) return false;
    rt->bw_tokens -= size;
    return true;
}

static void set_bandwidth(mq_world *w, double mbps)
{
    rmq_rt *rt = rt_of(w);
    rt->bw_Bps = mbps > 0 ? mbps * 1e6 / 8.0 : 0;
    rt->bw_tokens = rt->bw_Bps * 0.1;
    rt->bw_t = sim_now(w->sim);
}

static void set_capacity(mq_world *w, size_t b, double cap)
{
    mq_broker_rt *br = &w->brokers[b];
    br->capacity_tps = cap;
    br->tokens = fmin(br->tokens, fmax(1.0, cap * 0.1));
    br->tokens_t = sim_now(w->sim);
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
        .consumer = false, .group = p->conn.group}))
        p->conn.broker = home;
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
    /* mark the whole batch down first, so nobody fails over inside it */
    double back = sim_now(w->sim) + rt_of(w)->ch->node_downtime_s;
    for (size_t b = lo; b < hi; b++) w->brokers[b].down_until = fmax(w->brokers[b].down_until, back);
    for (size_t b = lo; b < hi; b++) restart_broker(w, (int)b);
    char lab[64];
    batch_label(rt_of(w), (int)arg, lab, sizeof lab);
    label_on(w, lab);
}

static void on_batch_end(sim *s, void *subject, uint64_t arg)
{
    (void)s;
    mq_world *w = subject;
    const mq_rocketmq_change *ch = rt_of(w)->ch;
    size_t lo, hi;
    batch_range(w, (int)arg, &lo, &hi);
    if (ch->has_spec_tps)
        for (size_t b = lo; b < hi; b++)
            set_capacity(w, b, ch->spec_tps / (double)w->s->nbrokers);
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
    rmq_rt *rt = rt_of(w);
    rt->http_started = true;
    rt->http_lost0 = w->lost_by_cause[LOSS_SEND_FAILED];
    for_groups(w, pick_http, sim_now(s) + rt->ch->http_disruption_s, NULL);
    label_on(w, "HTTP disruption");
}

static void on_http_count(sim *s, void *subject, uint64_t arg)
{
    (void)s;
    (void)arg;
    mq_world *w = subject;
    rt_of(w)->http_lost1 = w->lost_by_cause[LOSS_SEND_FAILED];
    rt_of(w)->http_counted = true;
}

/* --- end of the rolling restart: Internet access and bandwidth --- */

static void on_change_end(sim *s, void *subject, uint64_t arg)
{
    (void)s;
    (void)arg;
    mq_world *w = subject;
    rmq_rt *rt = rt_of(w);
    const mq_rocketmq_change *ch = rt->ch;
    if (ch->has_bandwidth) set_bandwidth(w, ch->bandwidth_mbps);
    if (ch->has_internet && !ch->internet)
        for_groups(w, pick_public, INFINITY, &rt->cut_internet);
}

/* --- schedule, metrics, free --- */

void mq_rocketmq_schedule(mq_world *w)
{
    const mq_scenario *s = w->s;
    const mq_rocketmq_change *ch = s->rocketmq_change;
    SIM_ASSERT(ch != NULL && ch->batch_size > 0 && w->ext == NULL);
    rmq_rt *rt = calloc(1, sizeof *rt);
    SIM_ASSERTF(rt != NULL, "out of memory");
    rt->ch = ch;
    rt->nbatches = mq_rocketmq_batches(s, ch);
    rt->cons_base = calloc(s->nconsumers + 1, sizeof *rt->cons_base);
    rt->acked = calloc(w->ncons + 1, sizeof *rt->acked);
    SIM_ASSERTF(rt->cons_base && rt->acked, "out of memory");
    for (size_t g = 0; g < s->nconsumers; g++)
        rt->cons_base[g + 1] = rt->cons_base[g] + (size_t)s->consumers[g].count;
    w->ext = rt;
    /* The acked lists keep ids of consumed messages and compare them as
    ** offsets: records must never be recycled (none has been yet). */
    SIM_ASSERT(w->nfree == 0 && w->created == w->nmsgs);
    w->keep_records = true;
    w->send_admit = send_admit;
    w->on_ack = on_ack;
    w->on_consumer_down = on_consumer_down;

    /* Capacity follows the spec from the start: spec_tps shared evenly by
    ** brokers that have no capacity of their own. */
    if (s->instance.spec_tps > 0)
        for (size_t b = 0; b < s->nbrokers; b++)
            if (w->brokers[b].capacity_tps <= 0)
                set_capacity(w, b, s->instance.spec_tps / (double)s->nbrokers);
    set_bandwidth(w, s->instance.internet ? s->instance.bandwidth_mbps : 0);

    double end = s->run.duration_s;
    for (size_t g = 0; g < s->nconsumers; g++) {
        double ci = s->consumers[g].commit_interval_s;
        if (ci > 0 && ci <= end) sim_at(w->sim, ci, PRIO_CLIENT, K_CONS_WAKE, on_commit_tick, w, g);
    }
    for (int k = 0; k < rt->nbatches; k++) {
        double t0 = ch->at_s + k * ch->batch_interval_s;
        if (t0 > end) break;
        double t1 = t0 + ch->node_downtime_s;
        char lab[64];
        batch_label(rt, k, lab, sizeof lab);
        sim_at(w->sim, t0, PRIO_EVENT, K_EVENT_START, on_batch, w, (uint64_t)k);
        sim_at(w->sim, t1, PRIO_EVENT, K_EVENT_END, on_batch_end, w, (uint64_t)k);
        double lend = t0 + fmax(ch->node_downtime_s, s->run.sample_s);
        sim_at(w->sim, lend, PRIO_EVENT, K_EVENT_END, on_label_off, w, 0);
        OOM_CHECK(sim_bands_add(w->bands, t0, lend, lab));
    }
    if (has_http(s)) {
        double d = ch->http_disruption_s, slack = 0;
        for (size_t g = 0; g < s->nproducers; g++)
            if (s->producers[g].protocol == MQ_PROTO_HTTP)
                slack = fmax(slack, s->producers[g].retries * s->producers[g].retry_backoff_s +
                                        s->producers[g].send_timeout_s);
        sim_at(w->sim, ch->at_s, PRIO_EVENT, K_EVENT_START, on_http_start, w, 0);
        double lend = ch->at_s + fmax(d, s->run.sample_s);
        sim_at(w->sim, lend, PRIO_EVENT, K_EVENT_END, on_label_off, w, 0);
        sim_at(w->sim, fmin(ch->at_s + d + slack, end), PRIO_SAMPLE, K_EVENT_END, on_http_count, w, 0);
        OOM_CHECK(sim_bands_add(w->bands, ch->at_s, lend, "HTTP disruption"));
    }
    double cend = ch->at_s + rolling_len(s, ch);
    if (cend <= end) sim_at(w->sim, cend, PRIO_EVENT, K_EVENT_END, on_change_end, w, 0);
}

#define ADD(name, val, unit, better) \
    OOM_CHECK(sim_metrics_add(&out->metrics, name, (double)(val), unit, better))

void mq_rocketmq_metrics(mq_world *w, mq_result *out)
{
    const mq_scenario *s = w->s;
    const mq_rocketmq_change *ch = s->rocketmq_change;
    rmq_rt *rt = rt_of(w);
    SIM_ASSERT(ch != NULL && rt != NULL);
    const sim_better LO = SIM_BETTER_LOWER, NO = SIM_BETTER_NONE;
    double http_max = 0;
    bool http_open = false; /* an HTTP client still cut off at the end */
    for (size_t i = 0; i < w->nprod; i++)
        if (w->producers[i]->g->protocol == MQ_PROTO_HTTP) {
            http_max = fmax(http_max, w->producers[i]->conn.max_down_s);
            http_open |= w->producers[i]->conn.state != CONN_UP;
        }
    for (size_t i = 0; i < w->ncons; i++)
        if (w->consumers[i]->g->protocol == MQ_PROTO_HTTP) {
            http_max = fmax(http_max, w->consumers[i]->conn.max_down_s);
            http_open |= w->consumers[i]->conn.state != CONN_UP;
        }
    uint64_t http_lost = 0;
    if (rt->http_started)
        http_lost = (rt->http_counted ? rt->http_lost1 : w->lost_by_cause[LOSS_SEND_FAILED]) -
                    rt->http_lost0;
    mq_billing method = mq_rocketmq_serverless(&s->instance) ? MQ_BILL_SERVERLESS
                                                             : s->instance.billing;
    const mq_rocketmq_billing *b = &ch->billing;
    ADD("duplicates_offset_rollback", w->dup_by_cause[DUP_OFFSET_ROLLBACK], "msgs", LO);
    ADD("duplicates_redelivery", w->dup_by_cause[DUP_REDELIVERY], "msgs", LO);
    ADD("http_disruption_max_s", http_max, "s", LO);
    if (!has_http(s))
        sim_metrics_censor(&out->metrics, "http_disruption_max_s", SIM_NOT_APPLICABLE, NAN);
    else if (http_open)
        sim_metrics_censor(&out->metrics, "http_disruption_max_s", SIM_CENSORED_AT_END, http_max);
    ADD("lost_during_http_disruption", http_lost, "msgs", LO);
    ADD("clients_cut_off_internet", rt->cut_internet, "clients", LO);
    ADD("restart_batches", rt->nbatches, "count", NO);
    ADD("change_duration_s", mq_rocketmq_duration(s, ch), "s", LO);
    ADD("billing_delta", mq_rocketmq_billing_delta(method, b), b->present ? b->currency : "",
        LO);
    if (rt->cut_internet > 0)
        OOM_CHECK(sim_strs_add(&out->warnings,
                               "SEVERE RISK: Internet access disabled; %llu public-endpoint "
                               "clients were cut off for good",
                               (unsigned long long)rt->cut_internet));
}

void mq_rocketmq_free(mq_world *w)
{
    rmq_rt *rt = w->ext;
    if (!rt || !w->s->rocketmq_change) return;
    for (size_t i = 0; i < w->ncons; i++) free(rt->acked[i].v);
    free(rt->acked);
    free(rt->cons_base);
    free(rt);
    w->ext = NULL;
}
