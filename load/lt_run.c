/*
** lt_run.c - orchestration of a real-broker run (see lt_run.h).
**
** Threads: the caller's thread samples the timeseries; one event thread
** applies disruptions (a rabbitmqctl call takes ~0.3-0.8 s, so it must not
** hold up sampling); one thread per client; a change replayed here runs
** its own threads (load/change/lt_change.h). A per-group close is one server-side close
** of the group's connections, chosen by the local ports the clients
** publish (lt_close.h). Before the clock starts: the queues are declared
** and purged (lt_admin.h) and the stacked backlog is put in
** (lt_preload.h).
**
** Metrics use the simulation's names and meanings (models/mq_model.c; the
** delay and disruption rows through its shared mq_metrics_add_* builders), so
** `compare` and the validation test line them up; lost = messages intended
** and neither consumed, nor found by the final drain, nor still waiting in a
** producer. Real-only figures: broker_startup_s, disruption_lag_s (how far from the
** scenario's time the worst server-side action completed), ctl_latency_s, and
** the consumers' state at the server's closes (close_state).
*/
#include "load/lt_run.h"
#include "load/lt_admin.h"
#include "load/lt_broker.h"
#include "load/lt_client_int.h"
#include "load/lt_close.h"
#include "load/change/lt_change.h"
#include "models/change/mq_change.h"
#include "load/lt_preload.h"
#include "load/lt_real.h"
#include "models/mq_model.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Real drivers take a moment to start (a JVM: ~0.5-1 s); the producers
** start after the consumers had that long, as the emulation starts its
** consumer threads first. */
#define REAL_START_S 2.0
#define REAL_SETTLE_S 1.0


int lt_check_target(const char *url, bool allow_remote, lt_url *out, sim_err *err)
{
    if (lt_url_parse(url, out, err)) return -1;
    if (!allow_remote && !lt_host_is_loopback(out->host))
        return sim_err_set(err, "refusing broker host '%s': not a loopback address (127.0.0.0/8, "
                           "::1, localhost); pass --allow-remote to load-test a remote broker",
                           out->host);
    return 0;
}

int lt_check_scenario(const mq_scenario *s, sim_strs *warnings, sim_err *err)
{
    if (s->instance.kind != MQ_KIND_RABBITMQ)
        return sim_err_set(err, "load mode drives RabbitMQ only (instance.kind is rocketmq)");
    if (s->nbrokers != 1)
        return sim_err_set(err, "load mode runs one broker node; the scenario has %zu", s->nbrokers);
    if (s->change.ops && !lt_change_find(s))
        return sim_err_set(err, "load mode does not replay a %s", s->change.ops->key);
    if (s->nscheduled)
        return sim_err_set(err, "load mode cannot hold scheduled messages: the delayed-message "
                           "plugin does not ship with Debian's rabbitmq-server (run the scenario "
                           "without `scheduled:`, or simulate it)");
    for (size_t i = 0; i < s->nproducers; i++)
        if (s->producers[i].delayed.fraction > 0)
            return sim_err_set(err, "producers '%s': load mode cannot send delayed messages: "
                               "the delayed-message plugin does not ship with Debian's "
                               "rabbitmq-server (simulate it)", s->producers[i].name);
    if (s->instance.spec_tps > 0 && s->instance.spec_tps < 1.5 * mq_scenario_peak_rate(s))
        return sim_err_set(err, "instance.spec_tps (%.0f msg/s) is within 1.5 x the offered peak "
                           "(%.0f msg/s): a real node has no such limit, so load mode cannot "
                           "reproduce its throttling", s->instance.spec_tps,
                           mq_scenario_peak_rate(s));
    uint64_t stacked = 0;
    for (size_t i = 0; i < s->nbacklogs; i++) stacked += s->backlogs[i].messages;
    if (stacked > LT_MAX_BACKLOG)
        return sim_err_set(err, "load mode preloads at most %u stacked messages (scenario: %llu)",
                           LT_MAX_BACKLOG, (unsigned long long)stacked);
    const lt_change_ops *chg = lt_change_find(s);
    if (chg && chg->check(s, warnings, err)) return -1;
    size_t clients = 0;
    double msgs = mq_scenario_peak_rate(s) * s->run.duration_s;
    for (size_t i = 0; i < s->nproducers; i++) clients += (size_t)s->producers[i].count;
    for (size_t i = 0; i < s->nconsumers; i++) {
        clients += (size_t)s->consumers[i].count;
        if (s->consumers[i].concurrency != 1)
            return sim_err_set(err, "consumers '%s': load mode processes one message at a time "
                               "per consumer (concurrency %d)", s->consumers[i].name,
                               s->consumers[i].concurrency);
    }
    if (clients > LT_MAX_CLIENTS)
        return sim_err_set(err, "load mode runs at most %d clients (scenario: %zu)", LT_MAX_CLIENTS, clients);
    if (msgs * 1.2 + 1000 + (double)stacked > LT_MAX_MESSAGES)
        return sim_err_set(err, "load mode sends at most %u messages (scenario: about %.0f)",
                           LT_MAX_MESSAGES, msgs);
    return 0;
}

/* A silent disconnect is a frozen broker (SIGSTOP of its VM for the
** event's duration) when the broker is ours; otherwise nothing can make a
** peer silent and it is applied as a reset. */
static void check_silent(const mq_scenario *s, bool own_broker, sim_strs *warnings)
{
    for (size_t i = 0; i < s->nevents; i++) {
        const mq_event *ev = &s->events[i];
        if (!ev->silent) continue;
        int rc = 0;
        if (!own_broker || ev->type != MQ_EVENT_DISCONNECT || s->change.ops)
            rc = sim_strs_add(warnings, "event at %.0f s: a silent peer needs a broker started here "
                              "(--start-broker, no change); applied as a reset", ev->at_s);
        else if (ev->ngroups || ev->duration_s <= 0)
            rc = sim_strs_add(warnings, "event at %.0f s: a silent peer freezes the whole broker for "
                              "the event's duration (every group; %.0f s)", ev->at_s,
                              fmax(ev->duration_s, 0));
        SIM_NEED(rc == 0, "out of memory");
    }
}

/* ---- run state ---------------------------------------------------------- */

typedef struct run {
    const mq_scenario *s;
    lt_ctx ctx;
    lt_track track;
    const lt_broker *broker; /* NULL when not ours (ctl uses the env's node);
                                a change's: its source node */
    const lt_change_ops *chg; /* the change's load half, NULL if no change */
    void *chg_state;         /* its state (the nodes it started) */
    uint64_t preloaded;      /* stacked messages put in before t0 */
    lt_client *clients;
    size_t nclients, nprod;
    volatile int events_stop;
    double lead_s;           /* measured rabbitmqctl latency (s) */
    double lag_max_s;        /* worst |server-side action done - scenario time| */
    char label[128];         /* the latest event's label ... */
    double label_from, label_until; /* ... names the rows sampled in [from, until) */
    pthread_mutex_t label_mu;
} run;

static const char *ev_label(const mq_event *ev)
{
    if (ev->label && *ev->label) return ev->label;
    switch (ev->type) {
    case MQ_EVENT_BROKER_RESTART: return "broker_restart";
    case MQ_EVENT_DISCONNECT: return "disconnect";
    case MQ_EVENT_APP_RESTART: return "app_restart";
    case MQ_EVENT_RESOURCE_OP: return "resource_op";
    }
    return "event";
}

static bool selected(const mq_event *ev, bool consumer, int group)
{
    if (ev->ngroups == 0) return true;
    for (size_t i = 0; i < ev->ngroups; i++)
        if (ev->groups[i].consumer == consumer && ev->groups[i].index == group) return true;
    return false;
}

/* Whether every client ev selects is connected (its port known). */
static bool selected_up(run *r, const mq_event *ev)
{
    bool all = true;
    pthread_mutex_lock(&r->ctx.mu);
    for (size_t i = 0; i < r->nclients && all; i++) {
        const lt_client *c = &r->clients[i];
        if (selected(ev, c->consumer, c->group)) all = c->up && c->local_port;
    }
    pthread_mutex_unlock(&r->ctx.mu);
    return all;
}

static void sleep_until(run *r, double t)
{
    while (!r->events_stop) {
        double left = t - lt_now(&r->ctx);
        if (left <= 0) return;
        double s = fmin(left, 0.05);
        struct timespec ts = {0, (long)(s * 1e9)};
        nanosleep(&ts, NULL);
    }
}

/* The broker froze (true) or speaks again (false). A client connected at
** the freeze is cut off from then on (its window is the silence) without
** knowing it; at the thaw, one that has not noticed meanwhile is simply up
** again: same connection, no reconnect. One that noticed (heartbeat) went
** down through lt_went_down, which keeps the window open from the freeze. */
static void silence_clients(run *r, bool freeze)
{
    double now = lt_now(&r->ctx);
    pthread_mutex_lock(&r->ctx.mu);
    for (size_t i = 0; i < r->nclients; i++) {
        lt_client *c = &r->clients[i];
        if (freeze && c->up) {
            c->up = false;
            c->silenced = true;
            c->drops++;
            c->down_since = now;
        } else if (!freeze && c->silenced) {
            double win = now - c->down_since;
            c->total_down_s += win;
            if (win > c->max_down_s) c->max_down_s = win;
            c->up = true;
            c->silenced = false;
        }
    }
    pthread_mutex_unlock(&r->ctx.mu);
}

/* Close the selected groups' current connections on the broker, server
** side (by the ports the clients publish, lt_close.h; connections that are
** not the clients', such as a user's on a shared broker, are left alone),
** at the event's time on the node's clock, and record on each closed client
** what the broker held on it then and when the close landed (run time). */
static void close_groups(run *r, const mq_event *ev)
{
    int ports[LT_MAX_CLIENTS], closed[LT_MAX_CLIENTS];
    size_t who[LT_MAX_CLIENTS];
    uint64_t held[LT_MAX_CLIENTS];
    size_t np = 0, nc = 0;
    pthread_mutex_lock(&r->ctx.mu);
    for (size_t i = 0; i < r->nclients; i++) {
        lt_client *c = &r->clients[i];
        if (c->up && c->local_port && selected(ev, c->consumer, c->group)) {
            who[np] = i;
            ports[np++] = c->local_port;
        }
    }
    pthread_mutex_unlock(&r->ctx.mu);
    sim_err e;
    double landed, offset = lt_unix_offset(&r->ctx);
    if (lt_close_ports_held(r->broker, ports, np, "mqsim: disconnect event", ev->at_s + offset,
                            closed, held, &nc, &landed, &e)) {
        lt_warn(&r->ctx, "disconnect at %.0f s: %s", ev->at_s, e.msg);
        return;
    }
    if (nc < np)
        lt_warn(&r->ctx, "disconnect at %.0f s: %zu of %zu connections found on the broker",
                ev->at_s, nc, np);
    if (nc == 0) return;
    double at = landed - offset; /* the node's clock at the close, on the run's */
    r->lag_max_s = fmax(r->lag_max_s, fabs(at - ev->at_s));
    pthread_mutex_lock(&r->ctx.mu);
    for (size_t j = 0; j < nc; j++)
        for (size_t p = 0; p < np; p++) {
            lt_client *c = &r->clients[who[p]];
            if (ports[p] != closed[j] || c->srv_closes >= LT_MAX_SRV_CLOSES) continue;
            c->srv_close_at[c->srv_closes] = at;
            c->srv_close_held[c->srv_closes++] = held[j];
        }
    pthread_mutex_unlock(&r->ctx.mu);
}

/* How long an event is "in effect" for labels and bands, as the model
** (mq_events.c): its duration (a rolling restart: until the last client),
** at least one sample interval. */
static double ev_span(const run *r, const mq_event *ev)
{
    double span = fmax(ev->duration_s, 0);
    if (ev->type == MQ_EVENT_APP_RESTART && ev->rolling_s > 0) {
        size_t n = 0;
        for (size_t i = 0; i < r->nclients; i++)
            n += selected(ev, r->clients[i].consumer, r->clients[i].group);
        span += n > 0 ? (double)(n - 1) * ev->rolling_s : 0;
    }
    return fmax(span, r->s->run.sample_s);
}

static void set_label(run *r, const mq_event *ev)
{
    pthread_mutex_lock(&r->label_mu);
    snprintf(r->label, sizeof r->label, "%s", ev_label(ev));
    r->label_from = ev->at_s;
    r->label_until = ev->at_s + ev_span(r, ev);
    pthread_mutex_unlock(&r->label_mu);
}

/* Record how far from the scenario's time a server-side action landed. */
static void note_lag(run *r, const mq_event *ev)
{
    r->lag_max_s = fmax(r->lag_max_s, fabs(lt_now(&r->ctx) - ev->at_s));
}

/* Apply one event. rabbitmqctl needs ~lead_s to act (an Erlang VM starts
** for every call): a broker restart is launched lead_s early and lands
** close to the scenario's time; a disconnect's closes wait in the node
** until it (lt_close_lead) and the lag is the node's. */
static void apply_event(run *r, const mq_event *ev)
{
    lt_ctx *x = &r->ctx;
    const mq_scenario *s = r->s;
    double d = fmax(ev->duration_s, 0), lead = r->lead_s;
    sim_err e;
    switch (ev->type) {
    case MQ_EVENT_BROKER_RESTART: {
        const char *stop[] = {"stop_app", NULL}, *start[] = {"start_app", NULL};
        sleep_until(r, ev->at_s - lead);
        set_label(r, ev);
        int rc = lt_ctl(r->broker, 30, NULL, 0, &e, stop);
        note_lag(r, ev);
        if (rc) {
            lt_warn(x, "broker_restart at %.0f s: %s", ev->at_s, e.msg);
            return;
        }
        sleep_until(r, ev->at_s + d - lead); /* returns at once when stopping */
        if (lt_ctl(r->broker, 60, NULL, 0, &e, start))
            lt_warn(x, "broker_restart at %.0f s: %s", ev->at_s, e.msg);
        return;
    }
    case MQ_EVENT_DISCONNECT: {
        if (ev->silent && r->broker && r->broker->pgid > 0 && !r->chg_state) {
            /* the broker goes silent for the duration, then speaks again */
            sleep_until(r, ev->at_s);
            set_label(r, ev);
            if (lt_broker_freeze(r->broker, true, &e)) {
                lt_warn(x, "silence at %.0f s: %s", ev->at_s, e.msg);
                return;
            }
            /* the silence lasts its duration from when the VM stopped: a
            ** freeze that lands late (the tester starved) is not shortened */
            double frozen = lt_now(x);
            silence_clients(r, true);
            note_lag(r, ev);
            sleep_until(r, frozen + d);
            if (lt_broker_freeze(r->broker, false, &e))
                lt_warn(x, "silence at %.0f s: %s", ev->at_s, e.msg);
            silence_clients(r, false);
            return;
        }
        /* the closes wait in the node until at_s (close_groups), launched
        ** early enough for rabbitmqctl to start on a busy host; the groups'
        ** reconnects are refused from at_s, set now so that the refusal is
        ** in place before the close lands */
        sleep_until(r, ev->at_s - lt_close_lead(lead));
        /* the close picks its clients at the launch: ones still connecting
        ** (an event early in the run) are waited for, down to one CLI
        ** latency before the event */
        while (!r->events_stop && lt_now(x) < ev->at_s - lead && !selected_up(r, ev))
            lt_sleep(0.05);
        pthread_mutex_lock(&x->mu);
        double now = lt_now(x);
        for (size_t g = 0; g < s->nproducers; g++)
            if (selected(ev, false, (int)g)) lt_block_slot(x, g, ev->at_s, ev->at_s + d, now);
        for (size_t g = 0; g < s->nconsumers; g++)
            if (selected(ev, true, (int)g))
                lt_block_slot(x, s->nproducers + g, ev->at_s, ev->at_s + d, now);
        pthread_mutex_unlock(&x->mu);
        set_label(r, ev);
        close_groups(r, ev); /* no groups: every client's connection */
        return;
    }
    case MQ_EVENT_APP_RESTART: {
        /* all at once, or (rolling) the k-th selected client - producers,
        ** then consumers, in group order, as the model - at at + k * rolling */
        sleep_until(r, ev->at_s);
        set_label(r, ev);
        size_t k = 0;
        for (size_t i = 0; i < r->nclients && !r->events_stop; i++) {
            lt_client *c = &r->clients[i];
            if (!selected(ev, c->consumer, c->group)) continue;
            double at = ev->at_s + (double)k++ * fmax(ev->rolling_s, 0);
            sleep_until(r, at);
            pthread_mutex_lock(&x->mu);
            c->restart_req = true;
            c->restart_at = at + d;
            pthread_mutex_unlock(&x->mu);
        }
        return;
    }
    case MQ_EVENT_RESOURCE_OP:
        sleep_until(r, ev->at_s);
        set_label(r, ev);
        return;
    }
}

static void *event_main(void *arg)
{
    run *r = arg;
    const mq_scenario *s = r->s;
    /* events are few: apply them in time order (stable for equal times) */
    size_t n = s->nevents;
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!order) return NULL;
    for (size_t i = 0; i < n; i++) order[i] = i;
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && s->events[order[j]].at_s < s->events[order[j - 1]].at_s; j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    bool ctl = false;
    for (size_t i = 0; i < n; i++)
        ctl |= s->events[i].type == MQ_EVENT_DISCONNECT || s->events[i].type == MQ_EVENT_BROKER_RESTART;
    if (ctl) { /* measure one rabbitmqctl call: the lead for server-side actions */
        const char *args[] = {"list_connections", "-q", "--no-table-headers", "pid", NULL};
        double t0 = lt_now(&r->ctx);
        char out[4096];
        if (lt_ctl(r->broker, 15, out, sizeof out, NULL, args) == 0)
            r->lead_s = fmin(lt_now(&r->ctx) - t0, 3.0);
    }
    for (size_t i = 0; i < n && !r->events_stop; i++) {
        const mq_event *ev = &s->events[order[i]];
        if (ev->at_s >= r->ctx.duration_s) break;
        apply_event(r, ev);
    }
    free(order);
    return NULL;
}

/* ---- sampling and results ------------------------------------------------ */

enum { C_TIME, C_PUB, C_CONS, C_DUP, C_BACKLOG, C_UNACKED, C_SCHED, C_P50, C_P99,
       C_MAX, C_PRODS, C_CONSS, NCOLS };
static const char *const col_names[NCOLS] = {
    "time_s", "published", "consumed", "duplicates", "backlog", "unacked", "scheduled",
    "delay_p50_s", "delay_p99_s", "delay_max_s", "producers_connected", "consumers_connected"};

typedef struct sampler {
    double backlog_max, backlog_area, last_t, last_backlog;
} sampler;

static void take_sample(run *r, mq_result *out, sampler *sm, double t)
{
    lt_track *k = &r->track;
    double v[NCOLS];
    int prods = 0, conss = 0, inflight = 0;
    pthread_mutex_lock(&r->ctx.mu);
    for (size_t i = 0; i < r->nclients; i++) {
        const lt_client *c = &r->clients[i];
        if (c->up) c->consumer ? conss++ : prods++;
        inflight += c->in_flight;
    }
    pthread_mutex_unlock(&r->ctx.mu);
    pthread_mutex_lock(&k->mu);
    v[C_TIME] = t;
    v[C_PUB] = (double)k->iv_published;
    v[C_CONS] = (double)k->iv_consumed;
    v[C_DUP] = (double)k->iv_duplicates;
    double backlog = fmax(0, (double)k->confirms - (double)k->consumed_unique - inflight);
    v[C_BACKLOG] = backlog;
    v[C_UNACKED] = inflight;
    v[C_SCHED] = 0;
    bool any = sim_hist_count(k->delay_iv) > 0;
    v[C_P50] = any ? sim_hist_quantile(k->delay_iv, 0.5) : NAN;
    v[C_P99] = any ? sim_hist_quantile(k->delay_iv, 0.99) : NAN;
    v[C_MAX] = any ? sim_hist_max(k->delay_iv) : NAN;
    k->iv_published = k->iv_consumed = k->iv_duplicates = 0;
    sim_hist_reset(k->delay_iv);
    pthread_mutex_unlock(&k->mu);
    v[C_PRODS] = prods;
    v[C_CONSS] = conss;
    /* an event in effect names the row, else the change's stage */
    const char *stage = r->chg ? r->chg->stage_label(r->chg_state) : "";
    pthread_mutex_lock(&r->label_mu);
    bool ev_on = r->label[0] && t >= r->label_from && t < r->label_until;
    SIM_NEED_OK(sim_series_add_row(&out->series, v, ev_on ? r->label : stage));
    pthread_mutex_unlock(&r->label_mu);
    sm->backlog_area += sm->last_backlog * (t - sm->last_t);
    sm->last_t = t;
    sm->last_backlog = backlog;
    sm->backlog_max = fmax(sm->backlog_max, backlog);
}

/* Drain every queue (a change's two nodes: the source's first, then the
** destination's, so nothing the change moves meanwhile is missed). */
static int drain(run *r, double timeout_s, sim_err *err)
{
    double end = lt_now(&r->ctx) + timeout_s;
    for (int n = 0; n < r->ctx.nnodes; n++) {
        const char *names[64];
        size_t k = 0;
        if (r->chg_state) {
            k = r->chg->drain_queues(r->chg_state, n, names, 64);
        } else {
            for (size_t q = 0; q < r->s->nqueues && k < 64; q++) names[k++] = r->s->queues[q].name;
        }
        if (lt_admin_drain(&r->ctx, &r->ctx.nodes[n], names, k, end, err)) return -1;
    }
    return 0;
}

/* What a real consumer spends per message beyond its processing time
** (the ack's send, reads, wake-up), from service times measured back to
** back; NAN when fewer than 100 were. */
static double consumer_overhead(const run *r)
{
    double busy_s = 0, drawn_s = 0;
    uint64_t busy_n = 0;
    for (size_t i = r->nprod; i < r->nclients; i++) {
        busy_s += r->clients[i].busy_s;
        drawn_s += r->clients[i].busy_drawn_s;
        busy_n += r->clients[i].busy_n;
    }
    return busy_n >= 100 ? (busy_s - drawn_s) / (double)busy_n : NAN;
}

#define ADD(name, val, unit, better) \
    SIM_NEED_OK(sim_metrics_add(m, name, (double)(val), unit, better))

/* One close_state row: measured, or not applicable. */
static void add_known(sim_metrics *m, const char *name, bool known, double v, const char *unit)
{
    SIM_NEED_OK(known ? sim_metrics_add(m, name, v, unit, SIM_BETTER_NONE)
                    : sim_metrics_add_censored(m, name, NAN, unit, SIM_BETTER_NONE,
                                               SIM_NOT_APPLICABLE));
}

/* What the consumers held when the server closed their connections, and
** the model's duplicates for that state: an emulated consumer records it
** itself (lt_consumer.c); for a real library lt_real_close_state derives
** it, once every consumer is joined, from the broker's count at a
** disconnect event's close and the deliveries the library completed on the
** closed connection that came back redelivered to any consumer. Not
** applicable: real clients in a change (its closes are not recorded), and
** the scheduling lag before a close for real clients (their threads are
** not the tester's) or when no close happened. */
static void close_state(const run *r, sim_metrics *m)
{
    uint64_t closes = 0, busy = 0, buffered = 0, dup = 0;
    double lag = 0;
    for (size_t i = r->nprod; i < r->nclients; i++) {
        const lt_client *c = &r->clients[i];
        closes += (uint64_t)c->closes;
        busy += c->close_busy;
        buffered += c->close_buffered;
        dup += c->close_dup_model;
        lag = fmax(lag, c->close_lag_s);
    }
    bool real = r->ctx.real_root != NULL, known = !real || !r->chg;
    add_known(m, "consumer_closes", known, (double)closes, "count");
    add_known(m, "close_held_unacked", known, (double)(busy + buffered), "msgs");
    add_known(m, "close_held_buffered", known, (double)buffered, "msgs");
    add_known(m, "duplicates_given_close_state", known, (double)dup, "msgs");
    add_known(m, "close_lag_s", !real && closes, lag, "s");
}

/* The p99 delay over the messages no stall of the tester reached
** (lt_track_unstalled_quantile), and how many those are. Real client
** libraries (lt_real.c) do not log their stalls: not applicable. */
static void unstalled_delay(run *r, sim_metrics *m)
{
    uint64_t kept = 0, measured = 0;
    double p99 = lt_track_unstalled_quantile(&r->track, 0.99, &kept, &measured);
    bool known = !r->ctx.real_root;
    add_known(m, "delay_p99_unstalled_s", known && kept, p99, "s");
    add_known(m, "delays_unstalled", known, (double)kept, "msgs");
    add_known(m, "delays_measured", known, (double)measured, "msgs");
}

static void compute(run *r, mq_result *out, const sampler *sm, double end_t, double startup_s)
{
    sim_metrics *m = &out->metrics;
    const sim_better LO = SIM_BETTER_LOWER, HI = SIM_BETTER_HIGHER, NO = SIM_BETTER_NONE;
    lt_track *k = &r->track;
    uint64_t stored = 0, held = 0;
    for (uint32_t i = 0; i < k->n; i++) stored += !k->consumed[i] && k->drained[i];
    for (size_t i = 0; i < r->nclients; i++) held += r->clients[i].held;
    uint64_t lost = k->n - k->consumed_unique - stored;
    lost = lost > held ? lost - held : 0;
    ADD("messages_published", k->n, "msgs", NO);
    ADD("messages_preloaded", r->preloaded, "msgs", NO);
    ADD("messages_consumed", k->consumed_unique, "msgs", HI);
    ADD("duplicates", k->duplicates, "msgs", LO);
    ADD("duplicate_rate", k->consumed_unique ? (double)k->duplicates / (double)k->consumed_unique : 0,
        "ratio", LO);
    ADD("duplicates_requeue", k->dup_requeue, "msgs", LO);
    ADD("duplicates_republish", k->dup_republish, "msgs", LO);
    ADD("redelivered", k->redelivered, "msgs", LO);
    ADD("republished", k->republished, "msgs", NO);
    ADD("lost", lost, "msgs", LO);
    ADD("lost_send_failed", k->lost_send_failed, "msgs", LO);
    ADD("still_stored", stored, "msgs", NO);
    ADD("still_in_producers", held, "msgs", LO);
    SIM_NEED_OK(mq_metrics_add_delay(m, k->delay, k->delay_w.mean));
    /* every message intended after warm-up and never processed: delayed to
    ** the end, as in the model (one schema for simulated and measured runs) */
    sim_hist *undelivered = sim_hist_new();
    SIM_NEED_OK(undelivered ? 0 : -1);
    for (uint32_t i = 0; i < k->n; i++)
        if (!k->consumed[i] && k->intended[i] >= k->warmup_s && k->intended[i] <= end_t)
            sim_hist_add(undelivered, end_t - k->intended[i]);
    SIM_NEED_OK(mq_metrics_add_delay_all(m, k->delay, undelivered));
    sim_hist_free(undelivered);
    SIM_NEED_OK(mq_metrics_add_disruption(m, out->outages, out->noutages));
    uint64_t reconnects = 0;
    for (size_t i = 0; i < out->noutages; i++) reconnects += (uint64_t)out->outages[i].reconnects;
    ADD("reconnects", reconnects, "count", NO);
    ADD("exceptions_logged", k->exceptions, "count", LO);
    ADD("backlog_max", sm->backlog_max, "msgs", LO);
    ADD("backlog_mean", end_t > 0 ? sm->backlog_area / end_t : 0, "msgs", LO);
    ADD("consumer_overhead_s", consumer_overhead(r), "s", NO);
    close_state(r, m);
    unstalled_delay(r, m);
    ADD("broker_startup_s", startup_s, "s", NO);
    ADD("disruption_lag_s", r->lag_max_s, "s", NO);
    ADD("ctl_latency_s", r->lead_s, "s", NO);
}

static int collect_outages(run *r, mq_result *out, double end_t)
{
    out->noutages = r->nclients;
    out->outages = calloc(r->nclients ? r->nclients : 1, sizeof *out->outages);
    if (!out->outages) return -1;
    for (size_t i = 0; i < r->nclients; i++) {
        lt_client *c = &r->clients[i];
        double total = c->total_down_s, mx = c->max_down_s;
        if (!c->up) { /* close the open window at the end of the run */
            double win = fmax(0, end_t - c->down_since);
            total += win;
            mx = fmax(mx, win);
        }
        const char *g = c->consumer ? r->s->consumers[c->group].name : r->s->producers[c->group].name;
        out->outages[i] = (mq_client_outage){.group = strdup(g), .index = c->index, .total_s = total,
                                             .max_s = mx, .drops = c->drops,
                                             .reconnects = c->reconnects, .connected_at_end = c->up,
                                             .end = c->up ? MQ_END_CONNECTED : MQ_END_NOT_RECORDED,
                                             .duplicates = c->duplicates};
        if (!out->outages[i].group) return -1;
    }
    return 0;
}

static int run_clients(run *r, const lt_opts *o, mq_result *out, lt_info *info, sim_err *err)
{
    const mq_scenario *s = r->s;
    lt_ctx *x = &r->ctx;
    /* declare (durable: a broker restart keeps them) and purge the queues:
    ** a clean start (a change's nodes were set up by the change) */
    if (!r->chg_state) {
        amqp_connection_state_t ctl = lt_connect(&x->nodes[LT_SRC], 5, "mqsim/control", err);
        if (!ctl) return -1;
        for (size_t q = 0; q < s->nqueues; q++)
            if (lt_admin_queue(ctl, s->queues[q].name, NULL, err)) {
                lt_disconnect(ctl, false);
                return -1;
            }
        lt_disconnect(ctl, true);
    }
    /* the stacked backlog, before the clock starts (the model's t = 0) */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    x->t0 = (double)ts.tv_sec + ts.tv_nsec * 1e-9;
    if (lt_preload(x, &x->nodes[LT_SRC], x->exchange, 120, &r->preloaded, err)) return -1;

    r->nclients = 0;
    for (size_t g = 0; g < s->nproducers; g++) r->nclients += (size_t)s->producers[g].count;
    r->nprod = r->nclients;
    for (size_t g = 0; g < s->nconsumers; g++) r->nclients += (size_t)s->consumers[g].count;
    r->clients = calloc(r->nclients ? r->nclients : 1, sizeof *r->clients);
    SIM_NEED(r->clients != NULL, "out of memory");
    size_t k = 0;
    for (size_t g = 0; g < s->nproducers; g++)
        for (int i = 0; i < s->producers[g].count; i++, k++)
            r->clients[k] = (lt_client){.ctx = x, .group = (int)g, .index = i, .slot = (int)g,
                                        .seed = s->run.seed, .restart_at = -1, .src_done_at = NAN};
    for (size_t g = 0; g < s->nconsumers; g++)
        for (int i = 0; i < s->consumers[g].count; i++, k++)
            r->clients[k] = (lt_client){.ctx = x, .consumer = true, .group = (int)g, .index = i,
                                        .slot = (int)(s->nproducers + g), .seed = s->run.seed,
                                        .restart_at = -1, .src_done_at = NAN};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    x->t0 = (double)ts.tv_sec + ts.tv_nsec * 1e-9;
    int rc = 0;
    /* consumers first, so the first messages find someone */
    void *(*cons_main)(void *) = x->real_root ? lt_real_consumer_main : lt_consumer_main;
    void *(*prod_main)(void *) = x->real_root ? lt_real_producer_main : lt_producer_main;
    for (size_t i = r->nprod; i < r->nclients; i++)
        r->clients[i].started = pthread_create(&r->clients[i].th, NULL, cons_main, &r->clients[i]) == 0;
    if (x->real_root) lt_sleep(REAL_START_S);
    for (size_t i = 0; i < r->nprod; i++)
        r->clients[i].started = pthread_create(&r->clients[i].th, NULL, prod_main, &r->clients[i]) == 0;
    pthread_t evt;
    bool evt_ok = pthread_create(&evt, NULL, event_main, r) == 0;
    for (size_t i = 0; i < r->nclients; i++)
        if (!r->clients[i].started) rc = sim_err_set(err, "cannot start a client thread");
    if (rc == 0 && r->chg_state) rc = r->chg->start(r->chg_state, r->clients, r->nclients, err);
    sampler sm = {0};
    double dur = x->duration_s;
    for (double t = fmin(s->run.sample_s, dur); rc == 0; ) {
        double left;
        while ((left = t - lt_now(x)) > 0) {
            struct timespec sl = {(time_t)left, (long)((left - floor(left)) * 1e9)};
            nanosleep(&sl, NULL);
        }
        take_sample(r, out, &sm, t);
        if (t >= dur) break;
        t = fmin(t + s->run.sample_s, dur);
    }
    x->stop_producers = 1;
    for (size_t i = 0; i < r->nprod; i++)
        if (r->clients[i].started) pthread_join(r->clients[i].th, NULL);
    x->stop_consumers = 1;
    for (size_t i = r->nprod; i < r->nclients; i++)
        if (r->clients[i].started) pthread_join(r->clients[i].th, NULL);
    if (x->real_root) /* a close's redelivered copies may have gone to any consumer */
        for (size_t i = r->nprod; i < r->nclients; i++) lt_real_close_state(&r->clients[i], x->track);
    if (evt_ok) {
        r->events_stop = 1; /* a pending start_app still runs: the drain needs the broker */
        pthread_join(evt, NULL);
    }
    if (r->chg) r->chg->stop(r->chg_state);
    if (rc) return rc;
    SIM_NEED(collect_outages(r, out, dur) == 0, "out of memory");
    /* a real driver's connection closes with its process: give the broker a
    ** moment to requeue what it held unacked, or the drain misses it */
    if (x->real_root) lt_sleep(REAL_SETTLE_S);
    double d0 = lt_now(x);
    if (drain(r, o->drain_timeout_s > 0 ? o->drain_timeout_s : 60, err)) return -1;
    info->drain_s = lt_now(x) - d0;
    compute(r, out, &sm, dur, info->broker_startup_s);
    if (r->chg_state && r->chg->results(r->chg_state, out, dur, consumer_overhead(r)))
        sim_oom(__FILE__, __LINE__, "out of memory");
    for (size_t i = 0; i < s->nevents; i++) {
        const mq_event *ev = &s->events[i];
        if (ev->at_s >= dur) continue;
        SIM_NEED_OK(sim_bands_add(&out->bands, ev->at_s, fmin(dur, ev->at_s + ev_span(r, ev)),
                                ev_label(ev)));
    }
    return 0;
}

int lt_run(const mq_scenario *s, const lt_opts *o, mq_result *out, lt_info *info, sim_err *err)
{
    *out = (mq_result){0};
    memset(info, 0, sizeof *info);
    info->broker_startup_s = NAN;
    lt_broker_install_guards();
    if (lt_check_scenario(s, &out->warnings, err)) return -1;
    check_silent(s, o->start_broker, &out->warnings);
    char real_root[PATH_MAX];
    if (o->real_clients && lt_real_check(s, real_root, sizeof real_root, err)) return -1;
    run r = {.s = s};
    r.ctx.real_root = o->real_clients ? real_root : NULL;
    r.ctx.s = s;
    r.ctx.nnodes = 1;
    r.ctx.exchange = "";
    r.ctx.warnings = &out->warnings;
    pthread_mutex_init(&r.ctx.mu, NULL);
    pthread_mutex_init(&r.ctx.warn_mu, NULL);
    pthread_mutex_init(&r.label_mu, NULL);
    r.ctx.duration_s = o->duration_s > 0 ? fmin(o->duration_s, s->run.duration_s) : s->run.duration_s;
    info->duration_s = r.ctx.duration_s;
    lt_broker broker = {0};
    int rc = -1;
    r.chg = lt_change_find(s);
    if (r.chg) {
        if (!o->start_broker) {
            sim_err_set(err, "the change (%s) runs on private nodes started here: use --start-broker",
                        r.chg->key);
            goto done;
        }
        if (r.chg->setup(s, &r.ctx, &r.chg_state, err)) goto done;
        r.ctx.change = r.chg;
        r.ctx.change_state = r.chg_state;
        const lt_broker *src = r.chg->node(r.chg_state, LT_SRC), *dst = r.chg->node(r.chg_state, LT_DST);
        info->broker_startup_s = fmax(src->startup_s, dst->startup_s);
        snprintf(info->broker, sizeof info->broker, "amqp://127.0.0.1:%d (source), "
                 "amqp://127.0.0.1:%d (destination)", src->amqp_port, dst->amqp_port);
        r.broker = src;
    } else if (o->start_broker) {
        if (lt_broker_start(&broker, 60, err)) goto done;
        info->broker_startup_s = broker.startup_s;
        snprintf(info->broker, sizeof info->broker, "amqp://127.0.0.1:%d", broker.amqp_port);
        r.broker = &broker;
        if (lt_check_target(info->broker, true, &r.ctx.nodes[LT_SRC], err)) goto done;
    } else {
        snprintf(info->broker, sizeof info->broker, "%s", o->broker_url ? o->broker_url : "");
        if (lt_check_target(info->broker, o->allow_remote, &r.ctx.nodes[LT_SRC], err)) goto done;
    }
    if (!o->start_broker && !getenv("RABBITMQ_NODENAME"))
        for (size_t i = 0; i < s->nevents; i++)
            if (s->events[i].type == MQ_EVENT_DISCONNECT || s->events[i].type == MQ_EVENT_BROKER_RESTART) {
                sim_err_set(err, "the scenario closes connections or restarts the broker, which needs "
                            "rabbitmqctl on the broker's node: set RABBITMQ_NODENAME (and HOME with "
                            "its Erlang cookie), or use --start-broker");
                goto done;
            }
    double cap = mq_scenario_peak_rate(s) * r.ctx.duration_s * 1.2 + 1000;
    for (size_t i = 0; i < s->nbacklogs; i++) cap += (double)s->backlogs[i].messages;
    if (cap > LT_MAX_MESSAGES) cap = LT_MAX_MESSAGES;
    r.ctx.blocked = calloc(s->nproducers + s->nconsumers + 1, sizeof *r.ctx.blocked);
    SIM_NEED(r.ctx.blocked && !lt_track_init(&r.track, (uint32_t)cap, s->run.warmup_s) &&
                 !sim_series_init(&out->series, NCOLS, col_names),
             "out of memory");
    r.ctx.track = &r.track;
    if (!r.ctx.real_root || lt_real_prepare(&r.ctx, err) == 0) rc = run_clients(&r, o, out, info, err);
done:
    lt_real_release(&r.ctx);
    if (r.chg) r.chg->free(r.chg_state); /* stops its nodes */
    lt_broker_stop(&broker);
    free(r.clients);
    free(r.ctx.blocked);
    lt_track_free(&r.track);
    pthread_mutex_destroy(&r.ctx.mu);
    pthread_mutex_destroy(&r.ctx.warn_mu);
    pthread_mutex_destroy(&r.label_mu);
    if (rc) mq_result_free(out);
    return rc;
}
