/*
** lt_conv.c - the conversion on two real nodes (see lt_conv.h for what is
** real and what is emulated).
**
** Threads: one timeline thread walks the phases (sleeping in <= 50 ms
** steps, so a stop is seen at once) and owns its own AMQP control
** connection to the source; an optional second thread applies the
** source_upgrade_disconnect at its time. Server-side closes (lt_close) are
** fired from a helper thread one CLI latency early, so they land on time
** and the phase switch itself is not held up. Everything the
** timeline measures is written by it and read only after lt_conv_stop
** has joined it.
**
** Metrics carry the model's names (models/change/mq_rabbitmq.c) and meanings:
** phase lengths from the measured phase starts, the fluid estimate
** B / (mu - lambda) with B the source's ready count read at phase 3 start
** and mu, lambda from the scenario as the model computes them, and the
** clients connected to the source at each phase start.
*/
#include "load/change/lt_conv.h"
#include "load/lt_admin.h"
#include "load/lt_close.h"
#include "load/change/lt_conv_router.h"
#include "models/mq_model.h"
#include "models/mq_estimate.h"
#include "models/change/mq_rabbitmq.h"
#include "sim/sim_rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUTING_QUEUE "mqsim.to-destination" /* source's alternate exchange and queue */
#define DRAIN_POLL_S 0.1
#define STARTUP_STALL_S 90 /* a start-up fails when its node made no progress this long (lt_wait) */
#define CTL_TIMEOUT_S 20

_Static_assert(LT_NPH == MQ_RABBITMQ_NPHASES, "the load tester's phases are the model's");

struct lt_conv {
    const mq_scenario *s;
    const mq_rabbitmq_conversion *cv;
    lt_ctx *x;
    lt_broker node[LT_NODES];
    lt_client *clients;
    size_t nclients;
    pthread_t th, upgrade_th;
    bool th_ok, upgrade_ok;
    volatile int stop;
    double lead_s;                /* measured rabbitmqctl latency */
    /* written by the timeline, read after the join */
    double t[LT_NPH];             /* phase starts (NAN = not reached) */
    int on_source[LT_NPH];
    lt_phase last;                /* last phase entered */
    lt_phase phase;               /* the same, guarded by x->mu: the clients'
                                     questions read it (lt_conv_ops) */
    lt_conv_router *router;       /* real-library clients' read routing; NULL none */
    uint64_t backlog_p3;
    double fluid_p3;
    double privatelink_s;         /* NAN = no PrivateLink client */
    size_t dropped;               /* connections the migration closed */
    uint64_t bound;               /* duplicates bound of those */
    double lag_max_s;
    double upgrade_at;            /* source upgrade disconnect done (NAN = no) */
    pthread_mutex_t mu;           /* guards dropped, bound, lag_max_s */
};

lt_phase lt_conv_phase(const lt_conv *c)
{
    pthread_mutex_lock(&c->x->mu);
    lt_phase p = c->phase;
    pthread_mutex_unlock(&c->x->mu);
    return p;
}

const lt_broker *lt_conv_node(const lt_conv *c, int node)
{
    return &c->node[node];
}

/* ---- checks ----------------------------------------------------------------- */

int lt_conv_check(const mq_scenario *s, sim_strs *warnings, sim_err *err)
{
    const mq_rabbitmq_conversion *cv = mq_rabbitmq_of(s);
    /* scheduled messages are refused for every scenario (lt_check_scenario) */
    for (size_t i = 0; i < s->nevents; i++)
        if (s->events[i].type == MQ_EVENT_DISCONNECT || s->events[i].type == MQ_EVENT_BROKER_RESTART)
            return sim_err_set(err, "event at %.0f s: load mode replays a conversion with "
                               "app_restart and resource_op events only", s->events[i].at_s);
    if (!cv->migrates)
        return sim_err_set(err, "load mode replays a shared <-> dedicated migration; a "
                           "specification change within one deployment has none (simulate it)");
    double peak = mq_scenario_peak_rate(s);
    double cap = mq_rabbitmq_destination_tps(cv);
    if (cap > 0 && cap < 1.5 * peak)
        return sim_err_set(err, "the destination's capacity for this instance (%.0f msg/s) is "
                           "within 1.5 x the offered peak (%.0f msg/s): a real node has no such "
                           "limit, so load mode cannot reproduce its throttling", cap, peak);
    if (cap > 0 && sim_strs_add(warnings, "destination capacity %.0f msg/s is not enforced on the "
                                "real node (the scenario stays below 1/1.5 of it)", cap))
        sim_oom(__FILE__, __LINE__, "out of memory");
    if (cv->source_stop == MQ_RB_STOP_SILENT &&
        sim_strs_add(warnings, "source_stop: silent cannot be produced by a server-side close; "
                     "applied as a reset"))
        sim_oom(__FILE__, __LINE__, "out of memory");
    return 0;
}

/* ---- setup ---------------------------------------------------------------- */

/* A JSON string literal of text (quotes and backslashes escaped). */
static void json_str(char *buf, size_t n, const char *text)
{
    size_t k = 0;
    if (k + 1 < n) buf[k++] = '"';
    for (; *text && k + 3 < n; text++) {
        if (*text == '"' || *text == '\\') buf[k++] = '\\';
        buf[k++] = *text;
    }
    if (k + 1 < n) buf[k++] = '"';
    buf[k] = '\0';
}

/* Declare a dynamic Shovel on the source: src_queue -> the destination's
** ingress exchange (routing key kept), acked after the destination's
** confirm. */
static int add_shovel(lt_conv *c, const char *name, const char *src_queue, sim_err *err)
{
    char q[300], def[800];
    json_str(q, sizeof q, src_queue);
    snprintf(def, sizeof def,
             "{\"src-uri\":\"amqp://\",\"src-queue\":%s,\"dest-uri\":\"amqp://guest:guest@127.0.0.1:%d\","
             "\"dest-exchange\":\"" LT_INGRESS "\",\"ack-mode\":\"on-confirm\"}",
             q, c->node[LT_DST].amqp_port);
    const char *args[] = {"set_parameter", "shovel", name, def, NULL};
    return lt_ctl(&c->node[LT_SRC], CTL_TIMEOUT_S, NULL, 0, err, args);
}

/* Wait until every shovel on the source reports running: an lt_wait on
** the source (a Shovel connects to the destination and declares its
** topology: on a loaded machine that takes as long as the nodes are let
** run). The time it took goes to *took_s. */
static int await_shovels(lt_conv *c, int want, double stall_s, double *took_s, sim_err *err)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    lt_wait w;
    lt_wait_begin(&w, &c->node[LT_SRC], (double)ts.tv_sec + ts.tv_nsec * 1e-9, stall_s);
    char *out = malloc(16384);
    SIM_NEED(out != NULL, "out of memory");
    const char *args[] = {"shovel_status", "-q", "--no-table-headers", NULL};
    int rc = 0;
    for (;;) {
        int running = 0;
        if (lt_ctl(&c->node[LT_SRC], CTL_TIMEOUT_S, out, 16384, NULL, args) == 0)
            for (const char *p = out; (p = strstr(p, "\trunning")); p++) running++;
        if (running >= want) break;
        if ((rc = lt_wait_going(&w, "the routing Shovel's start", err))) break;
        struct timespec nap = {0, 200000000};
        nanosleep(&nap, NULL);
    }
    *took_s = lt_wait_elapsed(&w);
    free(out);
    return rc;
}

/* Queues and routing on both nodes: every scenario queue bound to the
** ingress exchange by its name; on the source, the ingress exchange's
** alternate exchange feeds the routing queue. */
static int declare_topology(lt_conv *c, sim_err *err)
{
    for (int n = LT_DST; n >= LT_SRC; n--) {
        amqp_connection_state_t a = lt_connect(&c->x->nodes[n], 5, "mqsim/setup", err);
        if (!a) return -1;
        int rc = 0;
        if (n == LT_SRC)
            rc = lt_admin_exchange(a, ROUTING_QUEUE, "fanout", NULL, err) ||
                 lt_admin_queue(a, ROUTING_QUEUE, ROUTING_QUEUE, err) ||
                 lt_admin_exchange(a, LT_INGRESS, "direct", ROUTING_QUEUE, err);
        else
            rc = lt_admin_exchange(a, LT_INGRESS, "direct", NULL, err);
        for (size_t q = 0; rc == 0 && q < c->s->nqueues; q++)
            rc = lt_admin_queue(a, c->s->queues[q].name, LT_INGRESS, err);
        lt_disconnect(a, rc == 0);
        if (rc) return -1;
    }
    return 0;
}

static void sample_privatelink(lt_conv *c)
{
    const mq_scenario *s = c->s;
    bool any = false;
    for (size_t i = 0; i < s->nproducers; i++) any |= s->producers[i].endpoint == MQ_EP_PRIVATELINK;
    for (size_t i = 0; i < s->nconsumers; i++) any |= s->consumers[i].endpoint == MQ_EP_PRIVATELINK;
    c->privatelink_s = NAN;
    if (!any) return;
    /* the model's stream (mq_rabbitmq.c privatelink_cut): the same outage */
    gsl_rng *r = sim_rng_new(s->run.seed, 0, sim_hash_str("rabbitmq_conversion"),
                             sim_hash_str("privatelink_outage"));
    SIM_NEED(r != NULL, "out of memory");
    c->privatelink_s = fmax(0, sim_dist_sample(&c->cv->privatelink_outage, r));
    gsl_rng_free(r);
}

int lt_conv_setup(const mq_scenario *s, lt_ctx *x, lt_conv **out, sim_err *err)
{
    *out = NULL;
    lt_conv *c = calloc(1, sizeof *c);
    SIM_NEED(c != NULL, "out of memory");
    c->s = s;
    c->cv = mq_rabbitmq_of(s);
    c->x = x;
    c->last = c->phase = LT_PH_NONE;
    c->upgrade_at = NAN;
    for (int i = 0; i < LT_NPH; i++) c->t[i] = NAN;
    pthread_mutex_init(&c->mu, NULL);
    const lt_node_opts src = {.tag = "s", .plugins = "rabbitmq_shovel"}, dst = {.tag = "d"};
    int rc = lt_broker_launch(&c->node[LT_SRC], &src, err);
    if (rc == 0) rc = lt_broker_launch(&c->node[LT_DST], &dst, err);
    if (rc == 0) rc = lt_broker_await(&c->node[LT_SRC], STARTUP_STALL_S, err);
    if (rc == 0) rc = lt_broker_await(&c->node[LT_DST], STARTUP_STALL_S, err);
    for (int n = 0; rc == 0 && n < LT_NODES; n++) {
        char url[64];
        snprintf(url, sizeof url, "amqp://127.0.0.1:%d", c->node[n].amqp_port);
        rc = lt_url_parse(url, &x->nodes[n], err);
    }
    x->nnodes = LT_NODES;
    x->exchange = LT_INGRESS;
    if (rc == 0) rc = declare_topology(c, err);
    if (rc == 0) { /* a call that timed out on a starved node is made again while the node works */
        lt_wait w;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        lt_wait_begin(&w, &c->node[LT_SRC], (double)ts.tv_sec + ts.tv_nsec * 1e-9, STARTUP_STALL_S);
        while ((rc = add_shovel(c, "mqsim-routing", ROUTING_QUEUE, err)) && err &&
               strstr(err->msg, "timed out") && !lt_wait_going(&w, "the Shovel's set-up", NULL)) {}
    }
    double shovel_s = 0;
    if (rc == 0) rc = await_shovels(c, 1, 30, &shovel_s, err);
    if (rc == 0 && shovel_s > 30)
        lt_warn(x, "the routing Shovel took %.0f s to start (a busy machine)", shovel_s);
    if (rc) {
        lt_conv_free(c);
        return -1;
    }
    sample_privatelink(c);
    *out = c;
    return 0;
}

size_t lt_conv_drain_queues(const lt_conv *c, int node, const char **names, size_t cap)
{
    size_t n = 0;
    for (size_t q = 0; q < c->s->nqueues && n < cap; q++) names[n++] = c->s->queues[q].name;
    if (node == LT_SRC && n < cap) names[n++] = ROUTING_QUEUE;
    return n;
}

/* ---- the timeline --------------------------------------------------------------- */

static double now_of(lt_conv *c)
{
    return lt_now(c->x);
}

/* Sleep until run time t; false when stopped or t is past the run's end. */
static bool wait_until(lt_conv *c, double t)
{
    if (t >= c->x->duration_s) return false;
    while (!c->stop) {
        double left = t - now_of(c);
        if (left <= 0) return true;
        double d = fmin(left, 0.05);
        struct timespec ts = {0, (long)(d * 1e9)};
        nanosleep(&ts, NULL);
    }
    return false;
}

static mq_endpoint endpoint_of(const lt_conv *c, const lt_client *k)
{
    return k->consumer ? c->s->consumers[k->group].endpoint : c->s->producers[k->group].endpoint;
}

static int count_on_source(lt_conv *c)
{
    int n = 0;
    pthread_mutex_lock(&c->x->mu);
    for (size_t i = 0; i < c->nclients; i++) n += c->clients[i].up && c->clients[i].home == LT_SRC;
    pthread_mutex_unlock(&c->x->mu);
    return n;
}

/* Enter phase ph now; on_source = clients on the source at its start
** (before its own migration steps act, as the model counts them). */
static void enter_counted(lt_conv *c, lt_phase ph, int on_source)
{
    pthread_mutex_lock(&c->x->mu);
    c->phase = ph;
    pthread_mutex_unlock(&c->x->mu);
    c->t[ph] = now_of(c);
    c->on_source[ph] = on_source;
    c->last = ph;
}

static void enter(lt_conv *c, lt_phase ph)
{
    enter_counted(c, ph, count_on_source(c));
}

/* Which clients a migration step resets. */
typedef enum cut_kind { CUT_PHASE1, CUT_SOURCE } cut_kind;

static bool cut_picks(const lt_conv *c, cut_kind kind, const lt_client *k)
{
    bool pl = endpoint_of(c, k) == MQ_EP_PRIVATELINK;
    bool downgrade = c->cv->from == MQ_DEPLOY_DEDICATED;
    if (kind == CUT_PHASE1)
        return pl || (downgrade && c->cv->server_disconnect == MQ_RB_WHEN_START &&
                      k->home == LT_SRC);
    return !pl && k->home == LT_SRC;
}

/* One migration step's server-side closes on both nodes, fired from a
** helper thread so that the phase switch itself stays on time. */
typedef struct cut {
    lt_conv *c;
    cut_kind kind;
    const char *what;
    double target;            /* when it should land (run time) */
    pthread_t th;
    bool running;
} cut;

static void *cut_main(void *arg)
{
    cut *k = arg;
    lt_conv *c = k->c;
    int port[LT_NODES][LT_MAX_CLIENTS], closed[LT_MAX_CLIENTS];
    uint64_t share[LT_NODES][LT_MAX_CLIENTS]; /* duplicates bound per port */
    size_t np[LT_NODES] = {0};
    pthread_mutex_lock(&c->x->mu);
    for (size_t i = 0; i < c->nclients; i++) {
        const lt_client *cl = &c->clients[i];
        if (!cl->up || !cl->local_port || cl->home < 0 || !cut_picks(c, k->kind, cl)) continue;
        const mq_consumer_group *g = cl->consumer ? &c->s->consumers[cl->group] : NULL;
        share[cl->home][np[cl->home]] = g ? (g->ack == MQ_ACK_MANUAL ? (uint64_t)g->prefetch : 0) : 1;
        port[cl->home][np[cl->home]++] = cl->local_port;
    }
    pthread_mutex_unlock(&c->x->mu);
    size_t ok = 0;
    uint64_t bound = 0;
    double at_unix = k->target + lt_unix_offset(c->x), landed = NAN; /* the nodes' clock */
    for (int n = 0; n < LT_NODES; n++) {
        size_t nc = 0;
        sim_err e;
        double l;
        if (lt_close_ports_held(&c->node[n], port[n], np[n], "mqsim: conversion", at_unix, closed,
                                NULL, &nc, &l, &e)) {
            lt_warn(c->x, "%s: %s", k->what, e.msg);
            continue;
        }
        if (nc) landed = isnan(landed) ? l : fmax(landed, l);
        ok += nc;
        for (size_t j = 0; j < nc; j++)
            for (size_t p = 0; p < np[n]; p++)
                if (port[n][p] == closed[j]) bound += share[n][p];
    }
    /* how far from its target the close landed, on the nodes' clock */
    double lag = isnan(landed) ? fabs(now_of(c) - k->target) : fabs(landed - at_unix);
    pthread_mutex_lock(&c->mu);
    c->dropped += ok;
    c->bound += bound;
    if (ok) c->lag_max_s = fmax(c->lag_max_s, lag);
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* Pick the clients now and close them at target: the nodes wait for it
** (lt_close_ports_held), so a launch early enough for rabbitmqctl to start
** (lt_close_lead) lands on time on a busy host too. */
static void cut_launch(lt_conv *c, cut *k, cut_kind kind, const char *what, double target)
{
    *k = (cut){.c = c, .kind = kind, .what = what, .target = target};
    k->running = pthread_create(&k->th, NULL, cut_main, k) == 0;
    if (!k->running) cut_main(k);
}

static void cut_join(cut *k)
{
    if (k->running) pthread_join(k->th, NULL);
    k->running = false;
}

/* Phase 1: the PrivateLink cut (refused for the outage) and, for a
** downgrade with server_disconnect: start, the reset of every source
** connection; both land at t1. */
static bool run_phase1(lt_conv *c, double t1)
{
    cut k;
    lt_ctx *x = c->x;
    if (!wait_until(c, fmax(t1 - lt_close_lead(c->lead_s), now_of(c)))) return false;
    int on_source = count_on_source(c);
    cut_launch(c, &k, CUT_PHASE1, "conversion phase 1", t1);
    bool on_time = wait_until(c, t1);
    /* the PrivateLink outage from t1: the cut clients' reconnects are
    ** refused until it ends (the earliest comes a reconnect delay later) */
    if (on_time && !isnan(c->privatelink_s)) {
        pthread_mutex_lock(&x->mu);
        double now = now_of(c);
        for (size_t g = 0; g < c->s->nproducers; g++)
            if (c->s->producers[g].endpoint == MQ_EP_PRIVATELINK)
                lt_block_slot(x, g, t1, t1 + c->privatelink_s, now);
        for (size_t g = 0; g < c->s->nconsumers; g++)
            if (c->s->consumers[g].endpoint == MQ_EP_PRIVATELINK)
                lt_block_slot(x, c->s->nproducers + g, t1, t1 + c->privatelink_s, now);
        pthread_mutex_unlock(&x->mu);
    }
    if (on_time) enter_counted(c, LT_PH_DUAL, on_source);
    cut_join(&k);
    return on_time;
}

/* Phase 2: unbind the source queues from the ingress exchange; from now
** on the alternate exchange and the Shovel carry every write to the
** destination. */
static void make_source_read_only(lt_conv *c, amqp_connection_state_t ctl)
{
    for (size_t q = 0; q < c->s->nqueues; q++) {
        sim_err e;
        if (!ctl || lt_admin_unbind(ctl, c->s->queues[q].name, LT_INGRESS, &e))
            lt_warn(c->x, "phase 2: the source could not be made read-only: %s",
                    ctl ? e.msg : "no control connection");
    }
}

/* Ready messages on the source now; UINT64_MAX when it cannot be read. */
static uint64_t source_ready(lt_conv *c, amqp_connection_state_t *ctl)
{
    uint64_t total = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!*ctl) *ctl = lt_connect(&c->x->nodes[LT_SRC], 3, "mqsim/conversion", NULL);
        if (!*ctl) continue;
        total = 0;
        size_t q = 0;
        for (; q < c->s->nqueues; q++) {
            uint64_t r;
            sim_err e;
            if (lt_admin_ready(*ctl, c->s->queues[q].name, &r, &e)) break;
            total += r;
        }
        if (q == c->s->nqueues) return total;
        lt_disconnect(*ctl, false);
        *ctl = NULL;
    }
    return UINT64_MAX;
}

/* The model's fluid estimate at phase 3 start (mq_rabbitmq.c
** fluid_at_drain) with every client connected: B / (mu - lambda) plus the
** last source delivery's stay in a full channel, scheduled messages aside;
** with overhead_s > 0, mu from the mean processing time plus that much
** client work per message (the measured capacity). */
static double fluid(const lt_conv *c, uint64_t backlog, double now, double overhead_s)
{
    const mq_scenario *s = c->s;
    double mu = mq_scenario_consume_capacity(s, overhead_s), lambda = mq_offered_rate(s, now);
    double t = mq_est_fluid_drain((double)backlog, mu, lambda);
    return backlog > 0 ? t + mq_scenario_channel_cycle(s, overhead_s) : t;
}

/* Phase 4: close the source for reads (a Shovel per queue carries what
** still lands there) and reset the connections still on it. */
static void run_phase4(lt_conv *c)
{
    cut k;
    const mq_rabbitmq_conversion *cv = c->cv;
    bool downgrade = cv->from == MQ_DEPLOY_DEDICATED;
    /* as the model (mq_rabbitmq.c, phase 4): a downgrade's server disconnect
    ** placed here, or an upgrade's what-if source_stop */
    bool reset = downgrade ? cv->server_disconnect == MQ_RB_WHEN_SOURCE_STOP
                           : cv->source_stop != MQ_RB_STOP_SERVE;
    double t4 = c->t[LT_PH_DEST];
    if (reset) { /* first: phase 4 is not known ahead, so this lands late */
        cut_launch(c, &k, CUT_SOURCE, "conversion phase 4", t4);
        cut_join(&k);
    }
    for (size_t q = 0; q < c->s->nqueues; q++) {
        char name[300];
        sim_err e;
        snprintf(name, sizeof name, "mqsim-closed-%s", c->s->queues[q].name);
        if (add_shovel(c, name, c->s->queues[q].name, &e))
            lt_warn(c->x, "phase 4: the source queue '%s' could not be closed: %s",
                    c->s->queues[q].name, e.msg);
    }
}

/* Deliveries taken from the source and not yet acked, over every client. */
static int source_unacked(lt_conv *c)
{
    int n = 0;
    pthread_mutex_lock(&c->x->mu);
    for (size_t i = 0; i < c->nclients; i++) n += c->clients[i].src_unacked;
    pthread_mutex_unlock(&c->x->mu);
    if (n == 0 && c->router) /* real clients: the router's and the source's own count */
        n = lt_conv_router_source_held(c->router, &c->node[LT_SRC], c->clients, c->nclients);
    return n;
}

static void measure_lead(lt_conv *c)
{
    const char *args[] = {"list_connections", "-q", "--no-table-headers", "pid", NULL};
    char out[4096];
    double t0 = now_of(c);
    if (lt_ctl(&c->node[LT_SRC], 15, out, sizeof out, NULL, args) == 0)
        c->lead_s = fmin(now_of(c) - t0, 3.0);
}

static void *timeline_main(void *arg)
{
    lt_conv *c = arg;
    const mq_rabbitmq_conversion *cv = c->cv;
    amqp_connection_state_t ctl = NULL;
    measure_lead(c);
    bool upgrade = cv->from == MQ_DEPLOY_SHARED;
    double t1 = cv->at_s + (upgrade ? cv->create_s : 0);
    if (upgrade) {
        if (!wait_until(c, cv->at_s)) goto out;
        enter(c, LT_PH_CREATE);
    }
    if (!run_phase1(c, t1)) goto out;
    if (!wait_until(c, c->t[LT_PH_DUAL] + cv->dual_write_s)) goto out;
    ctl = lt_connect(&c->x->nodes[LT_SRC], 3, "mqsim/conversion", NULL);
    make_source_read_only(c, ctl);
    enter(c, LT_PH_SINGLE);
    if (!wait_until(c, c->t[LT_PH_SINGLE] + cv->single_write_s)) goto out;
    enter(c, LT_PH_DRAIN);
    uint64_t b = source_ready(c, &ctl);
    c->backlog_p3 = b == UINT64_MAX ? 0 : b;
    c->fluid_p3 = fluid(c, c->backlog_p3, c->t[LT_PH_DRAIN], 0);
    if (b == UINT64_MAX) lt_warn(c->x, "phase 3: the source's queues cannot be read");
    /* bounded by the run's end (wait_until); the model's gate: nothing
    ** ready and nothing delivered but unacked on the source */
    while (b != 0 || source_unacked(c) > 0) {
        if (!wait_until(c, now_of(c) + DRAIN_POLL_S)) goto out;
        b = source_ready(c, &ctl);
    }
    enter(c, LT_PH_DEST);
    run_phase4(c);
out:
    lt_disconnect(ctl, true);
    return NULL;
}

/* source_upgrade_disconnect: every VPC/public connection still on the
** source is reset at its time. */
static void *upgrade_main(void *arg)
{
    cut k;
    lt_conv *c = arg;
    double t = c->cv->source_upgrade_at_s;
    if (!wait_until(c, fmax(t - lt_close_lead(c->lead_s), now_of(c)))) return NULL;
    cut_launch(c, &k, CUT_SOURCE, "source upgrade disconnect", t);
    cut_join(&k);
    c->upgrade_at = t;
    return NULL;
}

int lt_conv_start(lt_conv *c, lt_client *clients, size_t nclients, sim_err *err)
{
    c->clients = clients;
    c->nclients = nclients;
    if (c->x->real_root && lt_conv_router_start(c->x, c, &c->router, err)) return -1;
    c->th_ok = pthread_create(&c->th, NULL, timeline_main, c) == 0;
    if (!c->th_ok) return sim_err_set(err, "cannot start the conversion thread");
    if (c->cv->source_upgrade_at_s >= 0) {
        c->upgrade_ok = pthread_create(&c->upgrade_th, NULL, upgrade_main, c) == 0;
        if (!c->upgrade_ok) return sim_err_set(err, "cannot start the conversion thread");
    }
    return 0;
}

void lt_conv_stop(lt_conv *c)
{
    if (!c) return;
    c->stop = 1;
    if (c->th_ok) pthread_join(c->th, NULL);
    if (c->upgrade_ok) pthread_join(c->upgrade_th, NULL);
    c->th_ok = c->upgrade_ok = false;
}

/* ---- results ---------------------------------------------------------------- */

#define ADD(name, val, unit, better) \
    do { if (sim_metrics_add(m, name, (double)(val), unit, better)) return -1; } while (0)

int lt_conv_results(lt_conv *c, mq_result *out, double end_s, double overhead_s)
{
    sim_metrics *m = &out->metrics;
    const sim_better LO = SIM_BETTER_LOWER, NO = SIM_BETTER_NONE;
    const mq_rabbitmq_conversion *cv = c->cv;
    double nan = NAN, *t = c->t;
    for (int p = 0; p <= (int)c->last; p++) {
        if (isnan(t[p])) continue;
        double to = end_s;
        for (int q = p + 1; q <= (int)c->last; q++)
            if (!isnan(t[q])) { to = t[q]; break; }
        if (sim_bands_add(&out->bands, t[p], to, mq_rabbitmq_phase_label(p))) return -1;
    }
    if (!isnan(c->privatelink_s) && !isnan(t[LT_PH_DUAL]) &&
        sim_bands_add(&out->bands, t[LT_PH_DUAL], fmin(end_s, t[LT_PH_DUAL] + c->privatelink_s),
                      "privatelink outage"))
        return -1;
    if (!isnan(c->upgrade_at) &&
        sim_bands_add(&out->bands, c->upgrade_at, fmin(end_s, c->upgrade_at + c->s->run.sample_s),
                      "source upgrade disconnect"))
        return -1;
    double t1 = t[LT_PH_DUAL], t2 = t[LT_PH_SINGLE], t3 = t[LT_PH_DRAIN], t4 = t[LT_PH_DEST];
    ADD("conversion_at_s", cv->at_s, "s", NO);
    ADD("destination_create_s", cv->from == MQ_DEPLOY_SHARED ? cv->create_s : 0, "s", NO);
    ADD("phase1_s", isnan(t2) ? (isnan(t1) ? nan : end_s - t1) : t2 - t1, "s", LO);
    ADD("phase2_s", isnan(t3) ? (isnan(t2) ? nan : end_s - t2) : t3 - t2, "s", LO);
    ADD("phase3_s", isnan(t4) ? nan : t4 - t3, "s", LO);
    ADD("phase4_start_s", t4, "s", NO);
    ADD("migration_total_s", isnan(t4) ? nan : t4 - cv->at_s, "s", LO);
    ADD("source_drain_fluid_s", isnan(t3) ? nan : c->fluid_p3, "s", LO);
    ADD("source_drain_fluid_measured_s", isnan(t3) || isnan(overhead_s) ? nan :
        fluid(c, c->backlog_p3, t3, overhead_s), "s", NO);
    /* the drain as the consumers completed it: phase 3's end without the
    ** tester's polling and its own lateness in noticing (phase3_s has both) */
    double done = isnan(t4) ? nan : t3;
    for (size_t i = 0; i < c->nclients && !isnan(done); i++)
        if (c->clients[i].consumer && c->clients[i].src_done_at <= t4)
            done = fmax(done, c->clients[i].src_done_at);
    ADD("source_drained_s", c->router ? nan : done - t3, "s", NO);
    if (c->router) /* real libraries do not report their acks' node */
        sim_metrics_censor(m, "source_drained_s", SIM_NOT_APPLICABLE, NAN);
    else if (isnan(done))
        sim_metrics_censor(m, "source_drained_s", SIM_NOT_REACHED, isnan(t3) ? NAN : end_s - t3);
    ADD("source_backlog_at_phase3", isnan(t3) ? nan : (double)c->backlog_p3, "msgs", NO);
    ADD("source_scheduled_hold_s", isnan(t3) ? nan : 0, "s", NO);
    static const char *const on_src[LT_NPH] = {
        "clients_on_source_create", "clients_on_source_phase1", "clients_on_source_phase2",
        "clients_on_source_phase3", "clients_on_source_phase4"};
    for (int i = 0; i < LT_NPH; i++)
        ADD(on_src[i], isnan(t[i]) ? nan : (double)c->on_source[i], "clients", LO);
    int left = 0;
    for (size_t i = 0; i < c->nclients; i++) left += c->clients[i].up && c->clients[i].home == LT_SRC;
    ADD("clients_left_on_source", left, "clients", LO); /* at the end, as the model counts */
    static const char *const ep_metric[] = {"disruption_vpc_max_s", "disruption_public_max_s",
                                            "disruption_privatelink_max_s"};
    double ep_max[3] = {nan, nan, nan};
    for (size_t i = 0; i < c->nclients && i < out->noutages; i++) {
        int e = (int)endpoint_of(c, &c->clients[i]);
        double w = out->outages[i].max_s;
        ep_max[e] = isnan(ep_max[e]) ? w : fmax(ep_max[e], w);
    }
    for (int e = 0; e < 3; e++) ADD(ep_metric[e], ep_max[e], "s", LO);
    ADD("privatelink_outage_s", c->privatelink_s, "s", NO);
    ADD("connections_dropped_by_migration", c->dropped, "count", LO);
    ADD("duplicates_bound", c->bound, "msgs", NO);
    ADD("conversion_lag_s", c->lag_max_s, "s", NO);
    if (isnan(t4) &&
        sim_strs_add(&out->warnings, "the conversion did not reach phase 4 within the run (%s at "
                     "the end)", c->last >= 0 ? mq_rabbitmq_phase_label(c->last) : "not started"))
        return -1;
    return 0;
}

static void *stop_node(void *arg)
{
    lt_broker_stop(arg);
    return NULL;
}

void lt_conv_free(lt_conv *c)
{
    if (!c) return;
    lt_conv_stop(c);
    lt_conv_router_free(c->router);
    /* both at once: a graceful stop takes seconds, mostly waiting */
    pthread_t th;
    bool par = pthread_create(&th, NULL, stop_node, &c->node[LT_DST]) == 0;
    lt_broker_stop(&c->node[LT_SRC]);
    if (par) pthread_join(th, NULL);
    else lt_broker_stop(&c->node[LT_DST]);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* ---- the change type's load half (lt_change.h) -------------------------- */

static int ops_setup(const mq_scenario *s, lt_ctx *x, void **out, sim_err *err)
{
    lt_conv *c;
    int rc = lt_conv_setup(s, x, &c, err);
    *out = c;
    return rc;
}
static const lt_broker *ops_node(const void *c, int node) { return lt_conv_node(c, node); }
static size_t ops_drain(const void *c, int node, const char **names, size_t cap)
{
    return lt_conv_drain_queues(c, node, names, cap);
}
static int ops_start(void *c, lt_client *cl, size_t n, sim_err *err)
{
    return lt_conv_start(c, cl, n, err);
}
static void ops_stop(void *c) { lt_conv_stop(c); }
static int ops_results(void *c, mq_result *out, double end_s, double overhead_s)
{
    return lt_conv_results(c, out, end_s, overhead_s);
}
static void ops_free(void *c) { lt_conv_free(c); }

int lt_conv_connect_node_in(lt_phase ph)
{
    /* "new connections connect directly to the destination" from phase 1 */
    return ph >= LT_PH_DUAL ? LT_DST : LT_SRC;
}

void lt_conv_reads_in(lt_phase ph, int home, lt_reads *out)
{
    *out = (lt_reads){0};
    if (ph < LT_PH_DUAL) { /* before phase 1: the queue on the client's own node */
        if (home >= 0 && home < LT_NODES) out->push[home] = true;
    } else { /* phases 1-3: destination first, then the source; 4: destination only */
        out->push[LT_DST] = true;
        out->pull_src = ph <= LT_PH_DRAIN;
    }
}

/* The clients' questions (lt_change.h), answered from the phase in effect. */
static int ops_connect_node(const void *c)
{
    return lt_conv_connect_node_in(lt_conv_phase(c));
}
static void ops_reads(const void *c, int home, lt_reads *out)
{
    lt_conv_reads_in(lt_conv_phase(c), home, out);
}
static const char *ops_stage_label(const void *c)
{
    return mq_rabbitmq_phase_label(lt_conv_phase(c));
}

const lt_change_ops lt_conv_ops = {
    .key = "rabbitmq_conversion",
    .check = lt_conv_check,
    .setup = ops_setup,
    .node = ops_node,
    .drain_queues = ops_drain,
    .start = ops_start,
    .stop = ops_stop,
    .connect_node = ops_connect_node,
    .reads = ops_reads,
    .stage_label = ops_stage_label,
    .results = ops_results,
    .free = ops_free,
};
