/*
** lt_run.c - orchestration of a real-broker run (see lt_run.h).
**
** Threads: the caller's thread samples the timeseries; one event thread
** applies disruptions (a rabbitmqctl call takes ~0.3-0.8 s, so it must not
** hold up sampling); one thread per client. Per-group closes run one
** rabbitmqctl close_connection per connection, in parallel threads, so a
** group of N clients is cut off within one call's latency, not N.
** A connection belongs to a group by its client port: each client publishes
** its local port, `rabbitmqctl list_connections peer_port name` maps ports
** to server-side connection pids.
**
** Metrics use the simulation's names and meanings (models/mq_model.c; the
** delay and disruption rows through its shared mq_metrics_add_* builders), so
** `compare` and the validation test line them up; lost = messages intended
** and neither consumed, nor found by the final drain, nor still waiting in a
** producer. Real-only figures: broker_startup_s, disruption_lag_s (how far from the
** scenario's time the worst server-side action completed), ctl_latency_s.
*/
#include "load/lt_run.h"
#include "load/lt_broker.h"
#include "models/mq_world.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define OOM_CHECK(x) SIM_ASSERTF((x) == 0, "out of memory")

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
    if (s->rabbitmq_conversion || s->rocketmq_change)
        return sim_err_set(err, "load mode does not replay instance changes/conversions yet");
    if (s->nbacklogs || s->nscheduled)
        return sim_err_set(err, "load mode does not preload backlog or scheduled messages");
    size_t clients = 0;
    double msgs = 0;
    for (size_t i = 0; i < s->nproducers; i++) {
        const mq_producer_group *g = &s->producers[i];
        clients += (size_t)g->count;
        double mx = 0;
        for (size_t k = 0; k < g->rate.nsteps; k++) mx = fmax(mx, g->rate.steps[k].rate);
        msgs += mx * s->run.duration_s;
    }
    for (size_t i = 0; i < s->nconsumers; i++) {
        clients += (size_t)s->consumers[i].count;
        if (s->consumers[i].concurrency != 1)
            return sim_err_set(err, "consumers '%s': load mode processes one message at a time "
                               "per consumer (concurrency %d)", s->consumers[i].name,
                               s->consumers[i].concurrency);
    }
    if (clients > LT_MAX_CLIENTS)
        return sim_err_set(err, "load mode runs at most %d clients (scenario: %zu)", LT_MAX_CLIENTS, clients);
    if (msgs * 1.2 + 1000 > LT_MAX_MESSAGES)
        return sim_err_set(err, "load mode sends at most %u messages (scenario: about %.0f)",
                           LT_MAX_MESSAGES, msgs);
    for (size_t i = 0; i < s->nevents; i++)
        if (s->events[i].silent &&
            sim_strs_add(warnings, "event at %.0f s: a silent peer cannot be produced by a "
                         "server-side close; applied as a reset", s->events[i].at_s))
            return sim_err_set(err, "out of memory");
    return 0;
}

/* ---- run state ---------------------------------------------------------- */

typedef struct run {
    const mq_scenario *s;
    lt_ctx ctx;
    lt_track track;
    lt_broker *broker;       /* NULL when not ours (ctl uses the env's node) */
    lt_client *clients;
    size_t nclients, nprod;
    volatile int events_stop;
    double lead_s;           /* measured rabbitmqctl latency (s) */
    double lag_max_s;        /* worst |server-side action done - scenario time| */
    sim_strs *warnings;
    char label[128];
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

typedef struct close_job {
    const lt_broker *b;
    char pid[256];
    pthread_t th;
    int rc;
    sim_err err;
} close_job;

static void *close_one(void *arg)
{
    close_job *j = arg;
    const char *args[] = {"close_connection", j->pid, "mqsim: disconnect event", NULL};
    j->rc = lt_ctl(j->b, 15, NULL, 0, &j->err, args);
    return NULL;
}

/* The server-side pids of the selected groups' current connections, found
** by matching each client's local port with `list_connections peer_port
** pid`. Returns how many were found (<= LT_MAX_CLIENTS); *wanted = how many
** connected clients were selected. */
static size_t resolve_groups(run *r, const mq_event *ev, close_job *jobs, size_t *wanted)
{
    int ports[LT_MAX_CLIENTS];
    size_t np = 0, nj = 0;
    pthread_mutex_lock(&r->ctx.mu);
    for (size_t i = 0; i < r->nclients; i++) {
        lt_client *c = &r->clients[i];
        if (c->up && c->local_port && selected(ev, c->consumer, c->group)) ports[np++] = c->local_port;
    }
    pthread_mutex_unlock(&r->ctx.mu);
    *wanted = np;
    static char out[65536]; /* only the event thread calls this */
    const char *largs[] = {"list_connections", "-q", "--no-table-headers", "peer_port", "pid", NULL};
    sim_err e;
    if (lt_ctl(r->broker, 15, out, sizeof out, &e, largs)) {
        sim_strs_add(r->warnings, "disconnect at %.0f s: %s", ev->at_s, e.msg);
        return 0;
    }
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line && nj < LT_MAX_CLIENTS;
         line = strtok_r(NULL, "\n", &save)) {
        char *tab = strchr(line, '\t');
        if (!tab) continue;
        int port = atoi(line);
        for (size_t k = 0; k < np; k++)
            if (ports[k] == port) {
                jobs[nj].b = r->broker;
                snprintf(jobs[nj].pid, sizeof jobs[nj].pid, "%s", tab + 1);
                nj++;
                break;
            }
    }
    return nj;
}

/* Run the prepared closes in parallel and wait for them. */
static void close_jobs(run *r, const mq_event *ev, close_job *jobs, size_t nj, size_t wanted)
{
    size_t started = 0;
    for (size_t k = 0; k < nj; k++)
        if (pthread_create(&jobs[k].th, NULL, close_one, &jobs[k]) == 0) jobs[started++] = jobs[k];
    for (size_t k = 0; k < started; k++) {
        pthread_join(jobs[k].th, NULL);
        if (jobs[k].rc) sim_strs_add(r->warnings, "disconnect at %.0f s: %s", ev->at_s, jobs[k].err.msg);
    }
    if (nj < wanted)
        sim_strs_add(r->warnings, "disconnect at %.0f s: %zu of %zu connections found on the broker",
                     ev->at_s, nj, wanted);
}

static void set_label(run *r, const mq_event *ev)
{
    pthread_mutex_lock(&r->label_mu);
    snprintf(r->label, sizeof r->label, "%s", ev_label(ev));
    pthread_mutex_unlock(&r->label_mu);
}

/* Record how far from the scenario's time a server-side action landed. */
static void note_lag(run *r, const mq_event *ev)
{
    r->lag_max_s = fmax(r->lag_max_s, fabs(lt_now(&r->ctx) - ev->at_s));
}

/* Apply one event. rabbitmqctl needs ~lead_s to act (an Erlang VM starts
** for every call), so server-side actions are launched lead_s early and land
** close to the scenario's time; a group close resolves its connections
** another lead_s before that. */
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
            sim_strs_add(r->warnings, "broker_restart at %.0f s: %s", ev->at_s, e.msg);
            return;
        }
        sleep_until(r, ev->at_s + d - lead); /* returns at once when stopping */
        if (lt_ctl(r->broker, 60, NULL, 0, &e, start))
            sim_strs_add(r->warnings, "broker_restart at %.0f s: %s", ev->at_s, e.msg);
        return;
    }
    case MQ_EVENT_DISCONNECT: {
        close_job jobs[LT_MAX_CLIENTS];
        size_t nj = 0, wanted = 0;
        if (ev->ngroups) {
            sleep_until(r, ev->at_s - 2 * lead - 0.2);
            nj = resolve_groups(r, ev, jobs, &wanted);
        }
        sleep_until(r, ev->at_s - lead);
        pthread_mutex_lock(&x->mu);
        for (size_t g = 0; g < s->nproducers; g++)
            if (selected(ev, false, (int)g)) x->blocked_until[g] = ev->at_s + d;
        for (size_t g = 0; g < s->nconsumers; g++)
            if (selected(ev, true, (int)g)) x->blocked_until[s->nproducers + g] = ev->at_s + d;
        pthread_mutex_unlock(&x->mu);
        set_label(r, ev);
        if (ev->ngroups) {
            close_jobs(r, ev, jobs, nj, wanted);
        } else {
            const char *args[] = {"close_all_connections", "mqsim: disconnect event", NULL};
            if (lt_ctl(r->broker, 15, NULL, 0, &e, args))
                sim_strs_add(r->warnings, "disconnect at %.0f s: %s", ev->at_s, e.msg);
        }
        note_lag(r, ev);
        return;
    }
    case MQ_EVENT_APP_RESTART:
        sleep_until(r, ev->at_s);
        set_label(r, ev);
        pthread_mutex_lock(&x->mu);
        for (size_t i = 0; i < r->nclients; i++) {
            lt_client *c = &r->clients[i];
            if (!selected(ev, c->consumer, c->group)) continue;
            c->restart_req = true;
            c->restart_at = ev->at_s + d;
        }
        pthread_mutex_unlock(&x->mu);
        return;
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
    pthread_mutex_lock(&r->label_mu);
    OOM_CHECK(sim_series_add_row(&out->series, v, r->label));
    r->label[0] = '\0';
    pthread_mutex_unlock(&r->label_mu);
    sm->backlog_area += sm->last_backlog * (t - sm->last_t);
    sm->last_t = t;
    sm->last_backlog = backlog;
    sm->backlog_max = fmax(sm->backlog_max, backlog);
}

/* basic.get every queue until empty (bounded), marking ids found. */
static int drain(run *r, double timeout_s, sim_err *err)
{
    amqp_connection_state_t c = lt_connect(&r->ctx.url, 5, "mqsim/drain", err);
    if (!c) return -1;
    double end = lt_now(&r->ctx) + timeout_s;
    uint64_t limit = (uint64_t)r->track.n * 4 + 1000;
    for (size_t q = 0; q < r->s->nqueues; q++) {
        for (uint64_t k = 0; k < limit && lt_now(&r->ctx) < end; k++) {
            amqp_maybe_release_buffers(c);
            amqp_rpc_reply_t rep = amqp_basic_get(c, 1, amqp_cstring_bytes(r->s->queues[q].name), 1);
            if (rep.reply_type != AMQP_RESPONSE_NORMAL) {
                char b[256];
                sim_err_set(err, "final drain: %s", lt_reply_text(rep, b, sizeof b));
                lt_disconnect(c, false);
                return -1;
            }
            if (rep.reply.id == AMQP_BASIC_GET_EMPTY_METHOD) break;
            amqp_message_t msg;
            rep = amqp_read_message(c, 1, &msg, 0);
            if (rep.reply_type != AMQP_RESPONSE_NORMAL) {
                lt_disconnect(c, false);
                return sim_err_set(err, "final drain: cannot read a message");
            }
            char body[64];
            size_t n = msg.body.len < sizeof body - 1 ? msg.body.len : sizeof body - 1;
            memcpy(body, msg.body.bytes, n);
            body[n] = '\0';
            unsigned long id = strtoul(body, NULL, 10);
            amqp_destroy_message(&msg);
            if (id < r->track.n) r->track.drained[id] = 1;
        }
    }
    lt_disconnect(c, true);
    return 0;
}

#define ADD(name, val, unit, better) \
    OOM_CHECK(sim_metrics_add(m, name, (double)(val), unit, better))

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
    ADD("messages_preloaded", 0, "msgs", NO);
    ADD("messages_consumed", k->consumed_unique, "msgs", HI);
    ADD("duplicates", k->duplicates, "msgs", LO);
    ADD("duplicate_rate", k->consumed_unique ? (double)k->duplicates / (double)k->consumed_unique : 0,
        "ratio", LO);
    ADD("redelivered", k->redelivered, "msgs", LO);
    ADD("lost", lost, "msgs", LO);
    ADD("lost_send_failed", k->lost_send_failed, "msgs", LO);
    ADD("still_stored", stored, "msgs", NO);
    ADD("still_in_producers", held, "msgs", LO);
    OOM_CHECK(mq_metrics_add_delay(m, k->delay, k->delay_w.mean));
    OOM_CHECK(mq_metrics_add_disruption(m, out->outages, out->noutages));
    uint64_t reconnects = 0;
    for (size_t i = 0; i < out->noutages; i++) reconnects += (uint64_t)out->outages[i].reconnects;
    ADD("reconnects", reconnects, "count", NO);
    ADD("exceptions_logged", k->exceptions, "count", LO);
    ADD("backlog_max", sm->backlog_max, "msgs", LO);
    ADD("backlog_mean", end_t > 0 ? sm->backlog_area / end_t : 0, "msgs", LO);
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
                                             .reconnects = c->reconnects, .connected_at_end = c->up};
        if (!out->outages[i].group) return -1;
    }
    return 0;
}

static int run_clients(run *r, const lt_opts *o, mq_result *out, lt_info *info, sim_err *err)
{
    const mq_scenario *s = r->s;
    lt_ctx *x = &r->ctx;
    /* declare (durable: a broker restart keeps them) and purge the queues:
    ** a clean start */
    amqp_connection_state_t ctl = lt_connect(&x->url, 5, "mqsim/control", err);
    if (!ctl) return -1;
    for (size_t q = 0; q < s->nqueues; q++) {
        amqp_bytes_t name = amqp_cstring_bytes(s->queues[q].name);
        amqp_queue_declare(ctl, 1, name, 0, 1, 0, 0, amqp_empty_table); /* durable */
        amqp_rpc_reply_t rep = amqp_get_rpc_reply(ctl);
        if (rep.reply_type == AMQP_RESPONSE_NORMAL) {
            amqp_queue_purge(ctl, 1, name);
            rep = amqp_get_rpc_reply(ctl);
        }
        if (rep.reply_type != AMQP_RESPONSE_NORMAL) {
            char b[256];
            sim_err_set(err, "declaring queue '%s': %s", s->queues[q].name, lt_reply_text(rep, b, sizeof b));
            lt_disconnect(ctl, false);
            return -1;
        }
    }
    lt_disconnect(ctl, true);

    r->nclients = 0;
    for (size_t g = 0; g < s->nproducers; g++) r->nclients += (size_t)s->producers[g].count;
    r->nprod = r->nclients;
    for (size_t g = 0; g < s->nconsumers; g++) r->nclients += (size_t)s->consumers[g].count;
    r->clients = calloc(r->nclients ? r->nclients : 1, sizeof *r->clients);
    if (!r->clients) return sim_err_set(err, "out of memory");
    size_t k = 0;
    for (size_t g = 0; g < s->nproducers; g++)
        for (int i = 0; i < s->producers[g].count; i++, k++)
            r->clients[k] = (lt_client){.ctx = x, .group = (int)g, .index = i, .slot = (int)g,
                                        .seed = s->run.seed, .restart_at = -1};
    for (size_t g = 0; g < s->nconsumers; g++)
        for (int i = 0; i < s->consumers[g].count; i++, k++)
            r->clients[k] = (lt_client){.ctx = x, .consumer = true, .group = (int)g, .index = i,
                                        .slot = (int)(s->nproducers + g), .seed = s->run.seed,
                                        .restart_at = -1};
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    x->t0 = (double)ts.tv_sec + ts.tv_nsec * 1e-9;
    int rc = 0;
    /* consumers first, so the first messages find someone */
    for (size_t i = r->nprod; i < r->nclients; i++)
        r->clients[i].started = pthread_create(&r->clients[i].th, NULL, lt_consumer_main, &r->clients[i]) == 0;
    for (size_t i = 0; i < r->nprod; i++)
        r->clients[i].started = pthread_create(&r->clients[i].th, NULL, lt_producer_main, &r->clients[i]) == 0;
    pthread_t evt;
    bool evt_ok = pthread_create(&evt, NULL, event_main, r) == 0;
    for (size_t i = 0; i < r->nclients; i++)
        if (!r->clients[i].started) rc = sim_err_set(err, "cannot start a client thread");
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
    double end_t = fmin(lt_now(x), dur);
    if (evt_ok) {
        r->events_stop = 1; /* a pending start_app still runs: the drain needs the broker */
        pthread_join(evt, NULL);
    }
    if (rc) return rc;
    if (collect_outages(r, out, dur)) return sim_err_set(err, "out of memory");
    double d0 = lt_now(x);
    if (drain(r, o->drain_timeout_s > 0 ? o->drain_timeout_s : 60, err)) return -1;
    info->drain_s = lt_now(x) - d0;
    (void)end_t;
    compute(r, out, &sm, dur, info->broker_startup_s);
    for (size_t i = 0; i < s->nevents; i++) {
        const mq_event *ev = &s->events[i];
        if (ev->at_s >= dur) continue;
        OOM_CHECK(sim_bands_add(&out->bands, ev->at_s,
                                fmin(dur, ev->at_s + fmax(fmax(ev->duration_s, 0), s->run.sample_s)),
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
    run r = {.s = s};
    r.warnings = &out->warnings;
    r.ctx.s = s;
    r.ctx.duration_s = o->duration_s > 0 ? fmin(o->duration_s, s->run.duration_s) : s->run.duration_s;
    info->duration_s = r.ctx.duration_s;
    lt_broker broker = {0};
    if (o->start_broker) {
        if (lt_broker_start(&broker, 60, err)) return -1;
        info->broker_startup_s = broker.startup_s;
        snprintf(info->broker, sizeof info->broker, "amqp://127.0.0.1:%d", broker.amqp_port);
        r.broker = &broker;
    } else {
        snprintf(info->broker, sizeof info->broker, "%s", o->broker_url ? o->broker_url : "");
    }
    int rc = -1;
    if (lt_check_target(info->broker, o->allow_remote || o->start_broker, &r.ctx.url, err)) goto done;
    if (!o->start_broker && !getenv("RABBITMQ_NODENAME"))
        for (size_t i = 0; i < s->nevents; i++)
            if (s->events[i].type == MQ_EVENT_DISCONNECT || s->events[i].type == MQ_EVENT_BROKER_RESTART) {
                sim_err_set(err, "the scenario closes connections or restarts the broker, which needs "
                            "rabbitmqctl on the broker's node: set RABBITMQ_NODENAME (and HOME with "
                            "its Erlang cookie), or use --start-broker");
                goto done;
            }
    double maxrate = 0;
    for (size_t i = 0; i < s->nproducers; i++)
        for (size_t k = 0; k < s->producers[i].rate.nsteps; k++)
            maxrate += s->producers[i].rate.steps[k].rate;
    double cap = maxrate * r.ctx.duration_s * 1.2 + 1000;
    if (cap > LT_MAX_MESSAGES) cap = LT_MAX_MESSAGES;
    r.ctx.blocked_until = calloc(s->nproducers + s->nconsumers + 1, sizeof(double));
    if (!r.ctx.blocked_until || lt_track_init(&r.track, (uint32_t)cap, s->run.warmup_s) ||
        sim_series_init(&out->series, NCOLS, col_names)) {
        sim_err_set(err, "out of memory");
        goto done;
    }
    r.ctx.track = &r.track;
    pthread_mutex_init(&r.ctx.mu, NULL);
    pthread_mutex_init(&r.label_mu, NULL);
    rc = run_clients(&r, o, out, info, err);
    pthread_mutex_destroy(&r.ctx.mu);
    pthread_mutex_destroy(&r.label_mu);
done:
    free(r.clients);
    free(r.ctx.blocked_until);
    lt_track_free(&r.track);
    lt_broker_stop(&broker);
    if (rc) mq_result_free(out);
    return rc;
}
