/*
** mq_model.c - build the world from a scenario, run it, measure, and prove
** the books balance.
**
** Order of work: preload the stacked backlog (oldest first) and the
** scheduled messages, start every client, schedule the scenario's events,
** the sampler (one timeseries row per sample interval) and the drain
** marker, then run the engine to the end of the run. Afterwards every open
** cut-off window is closed, the summary metrics are computed, and the
** accounting is checked against the actual contents of every queue, client
** and schedule (not against counters alone), so a message that silently
** vanished fails the run.
**
** The scenario's change runs through its type's table (mq_change.h): one
** lifecycle for every type, create -> schedule -> metrics -> destroy, and
** no change type is named here.
**
** Random streams: one per (client, purpose) keyed by the group name and the
** client index, plus one per backlog/scheduled entry; see sim_rng.h.
*/
#include "models/change/mq_change.h"
#include "models/mq_estimate.h"
#include "models/mq_metric_info.h"
#include "models/mq_world.h"
#include "sim/sim_dist.h"
#include "sim/sim_err.h"
#include "sim/sim_mem.h"
#include "sim/sim_rng.h"
#include "sim/sim_sort.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>


/* ---- lookahead --------------------------------------------------------- */

/* The engine shows us an event a few places ahead (sim_set_lookahead): start
** loading what it will touch. With a thousand clients and the messages in
** flight the working set is several times the L2 cache, and the record of a
** message finishing processing was last touched a few thousand messages
** ago; without this it was the largest single stall (on_done's first read
** of the record). Hints only: nothing is read through these addresses. */
static void lookahead(void *ud, uint32_t kind, void *subject, uint64_t arg)
{
    const mq_world *w = ud;
    const char *p = subject;
    switch (kind) {
    case K_PROC_DONE: {
        const mq_consumer *c = subject;
        uint32_t msg = mq_done_msg(arg);
        __builtin_prefetch(p);
        __builtin_prefetch(p + 64);
        __builtin_prefetch(p + 128);
        __builtin_prefetch(&c->slots[mq_done_slot(arg)]);
        if (msg < w->nmsgs) __builtin_prefetch(&w->msgs[msg]);
        break;
    }
    case K_ARRIVAL:
        for (int i = 0; i < (int)sizeof(mq_producer); i += 64) __builtin_prefetch(p + i);
        break;
    default:
        break;
    }
}

/* ---- preload ---------------------------------------------------------- */

static void preload_backlog(mq_world *w)
{
    const mq_scenario *s = w->s;
    for (size_t i = 0; i < s->nbacklogs; i++) {
        const mq_backlog *b = &s->backlogs[i];
        if (b->messages == 0) continue;
        gsl_rng *r = sim_rng_new(w->opts.seed, w->opts.replication,
                                 sim_mix64(sim_hash_str("backlog") + i), sim_hash_str("age"));
        double *age = b->messages <= SIZE_MAX / sizeof *age
                          ? sim_alloc_large(b->messages * sizeof *age)
                          : NULL;
        SIM_NEED(r && age, "out of memory for a backlog of %llu", (unsigned long long)b->messages);
        for (uint64_t k = 0; k < b->messages; k++) age[k] = fmax(0, sim_dist_sample(&b->age, r));
        SIM_NEED(sim_sort_desc(age, b->messages) == 0, /* oldest at the head */
                    "out of memory sorting a backlog of %llu", (unsigned long long)b->messages);
        mq_queue_rt *q = &w->queues[b->queue];
        /* room for as many records again: those of the messages sent while
        ** the backlog drains follow it without a copy of the whole array
        ** (which the first record past the backlog would cause) */
        mq_msg_reserve_ahead(w, b->messages, b->messages);
        SIM_NEED_OK(mq_ring_reserve(&q->ready, q->ready.n + b->messages));
        for (uint64_t k = 0; k < b->messages; k++) {
            uint32_t id = mq_msg_new(w, (uint32_t)b->queue, -age[k]);
            w->msgs[id].stored_at = -age[k];
            mq_msg_copy_add(w, id);
            SIM_NEED_OK(mq_ring_push_back(&q->ready,
                                        (mq_ent){.msg = id, .avail_at = mq_msg_no_expiry_before(w, id)}));
        }
        w->ready_total += b->messages;
        w->published += b->messages;
        w->preloaded += b->messages;
        mq_queue_arm_expiry(w, (uint32_t)b->queue);
        free(age);
        gsl_rng_free(r);
    }
    mq_backlog_changed(w);
}

static void preload_scheduled(mq_world *w)
{
    const mq_scenario *s = w->s;
    for (size_t i = 0; i < s->nscheduled; i++) {
        const mq_scheduled *sc = &s->scheduled[i];
        gsl_rng *r = sim_rng_new(w->opts.seed, w->opts.replication,
                                 sim_mix64(sim_hash_str("scheduled") + i), sim_hash_str("deliver_at"));
        SIM_NEED(r != NULL, "out of memory");
        for (uint64_t k = 0; k < sc->messages; k++) {
            double due = fmax(0, sim_dist_sample(&sc->deliver_at, r));
            uint32_t id = mq_msg_new(w, (uint32_t)sc->queue, due);
            mq_msg *m = &w->msgs[id];
            m->stored_at = 0;
            if (sc->ttl_s > 0) m->expire_at = sc->ttl_s, w->may_expire = true;
            mq_queue_schedule(w, (uint32_t)sc->queue, id);
        }
        w->published += sc->messages;
        w->preloaded += sc->messages;
        gsl_rng_free(r);
    }
}

/* ---- sampling --------------------------------------------------------- */

/* Fixed columns, then one "producers_connected:<group>" per producer group
** and one "consumers_connected:<group>" per consumer group. */
enum { C_TIME, C_PUB, C_CONS, C_DUP, C_BACKLOG, C_UNACKED, C_SCHED, C_P50, C_P99,
       C_MAX, C_PRODS, C_CONSS, C_THROTTLED, NCOLS };
static const char *const col_names[NCOLS] = {
    "time_s", "published", "consumed", "duplicates", "backlog", "unacked", "scheduled",
    "delay_p50_s", "delay_p99_s", "delay_max_s", "producers_connected", "consumers_connected",
    "throttled"};

/* The timeseries' columns for scenario s. 0, or -1 on out-of-memory. */
static int series_init(sim_series *out, const mq_scenario *s)
{
    size_t ng = s->nproducers + s->nconsumers, n = NCOLS + ng;
    char **names = calloc(n, sizeof *names);
    int rc = names ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char b[256];
        if (i < NCOLS) snprintf(b, sizeof b, "%s", col_names[i]);
        else if (i - NCOLS < s->nproducers)
            snprintf(b, sizeof b, "producers_connected:%s", s->producers[i - NCOLS].name);
        else
            snprintf(b, sizeof b, "consumers_connected:%s",
                     s->consumers[i - NCOLS - s->nproducers].name);
        if (!(names[i] = strdup(b))) rc = -1;
    }
    if (rc == 0) rc = sim_series_init(out, n, (const char *const *)names);
    for (size_t i = 0; names && i < n; i++) free(names[i]);
    free(names);
    return rc;
}

static uint64_t scheduled_pending(const mq_world *w)
{
    uint64_t n = 0;
    for (size_t i = 0; i < w->nq; i++) n += w->queues[i].scheduled_pending;
    return n;
}

/* The interval's delays join the whole run's, and the interval restarts
** (one histogram add per consumption instead of two). */
static void delay_flush(mq_world *w)
{
    sim_hist_merge(w->delay, w->delay_iv);
    sim_hist_reset(w->delay_iv);
}

static void take_sample(mq_world *w)
{
    double *v = w->sample_row;
    v[C_TIME] = sim_now(w->sim);
    v[C_PUB] = (double)w->iv_published;
    v[C_CONS] = (double)w->iv_consumed;
    v[C_DUP] = (double)w->iv_duplicates;
    v[C_BACKLOG] = (double)w->ready_total;
    v[C_UNACKED] = (double)w->unacked_total;
    v[C_SCHED] = (double)scheduled_pending(w);
    bool any = sim_hist_count(w->delay_iv) > 0;
    v[C_P50] = any ? sim_hist_quantile(w->delay_iv, 0.5) : NAN;
    v[C_P99] = any ? sim_hist_quantile(w->delay_iv, 0.99) : NAN;
    v[C_MAX] = any ? sim_hist_max(w->delay_iv) : NAN;
    delay_flush(w);
    v[C_PRODS] = (double)w->connected_producers;
    v[C_CONSS] = (double)w->connected_consumers;
    v[C_THROTTLED] = (double)(w->throttled - w->throttled_at_sample);
    w->throttled_at_sample = w->throttled;
    const mq_scenario *s = w->s;
    for (size_t g = 0; g < s->nproducers + s->nconsumers; g++) v[NCOLS + g] = 0;
    for (size_t i = 0; i < w->nprod; i++)
        v[NCOLS + (size_t)(w->producers[i]->g - s->producers)] += w->producers[i]->conn.state == CONN_UP;
    for (size_t i = 0; i < w->ncons; i++)
        v[NCOLS + s->nproducers + (size_t)(w->consumers[i]->g - s->consumers)] +=
            w->consumers[i]->conn.state == CONN_UP;
    SIM_NEED_OK(sim_series_add_row(w->series, v, w->label));
    w->iv_published = w->iv_consumed = w->iv_duplicates = 0;
}

static void on_sample(sim *s, void *subject, uint64_t arg)
{
    (void)arg;
    mq_world *w = subject;
    take_sample(w);
    double next = sim_now(s) + w->s->run.sample_s;
    if (next <= w->s->run.duration_s + 1e-9)
        sim_at(s, fmin(next, w->s->run.duration_s), PRIO_SAMPLE, K_SAMPLE, on_sample, w, 0);
}

/* The offered rate at drain_from (the fluid estimate's lambda). */
static double rate_at_drain(const mq_world *w)
{
    return mq_offered_rate(w->s, w->s->run.drain_from_s);
}

static void on_drain_start(sim *s, void *subject, uint64_t arg)
{
    (void)s;
    (void)arg;
    mq_world *w = subject;
    w->backlog_at_drain_from = w->ready_total;
    mq_est_world_drain(w, &w->drain_est);
    w->drain_armed = 1;
    mq_backlog_changed(w); /* already empty: drained at once */
}

/* Time averages cover the measured window only: restart them at warm-up. */
static void on_warmup_end(sim *s, void *subject, uint64_t arg)
{
    (void)arg;
    mq_world *w = subject;
    double now = sim_now(s);
    sim_twavg_init(&w->backlog_tw, now, (double)w->ready_total);
    sim_twavg_init(&w->insys_tw, now, (double)(w->ready_total + w->unacked_total));
}

/* ---- metrics ---------------------------------------------------------- */

#define ADD(name, val, unit, better) \
    SIM_NEED_OK(sim_metrics_add(m, name, (double)(val), unit, better))

static void compute_metrics(mq_world *w, mq_result *out)
{
    sim_metrics *m = &out->metrics;
    const sim_better LO = SIM_BETTER_LOWER, HI = SIM_BETTER_HIGHER, NO = SIM_BETTER_NONE;
    uint64_t lost = 0, expired = 0, stored = 0, in_producers = 0;
    for (int i = 0; i < LOSS_NCAUSES; i++) lost += w->lost_by_cause[i];
    for (int i = 0; i < EXP_NCAUSES; i++) expired += w->expired_by_cause[i];
    stored = w->published - w->consumed - lost - expired;
    /* held sends of messages still pending: a republish of a message that
    ** was consumed meanwhile is a duplicate in waiting, not a message held */
    for (size_t i = 0; i < w->nprod; i++) {
        const mq_ring *held[2] = {&w->producers[i]->buffer, &w->producers[i]->retry};
        for (int k = 0; k < 2; k++)
            for (size_t j = 0; j < held[k]->n; j++)
                in_producers += w->msgs[mq_ring_at(held[k], j)->msg].fate == FATE_PENDING;
    }
    SIM_ASSERTF(in_producers <= stored, "producers hold %llu pending messages, more than the "
                "%llu still pending", (unsigned long long)in_producers,
                (unsigned long long)stored);
    ADD("messages_published", w->published, "msgs", NO);
    ADD("messages_preloaded", w->preloaded, "msgs", NO);
    ADD("messages_consumed", w->consumed, "msgs", HI);
    ADD("duplicates", w->duplicates, "msgs", LO);
    ADD("duplicate_rate", w->consumed ? (double)w->duplicates / (double)w->consumed : NAN, "ratio", LO);
    if (!w->consumed) /* nothing consumed: no rate to judge (0/0) */
        sim_metrics_censor(m, "duplicate_rate", SIM_NOT_APPLICABLE, NAN);
    ADD("duplicates_requeue", w->dup_by_cause[DUP_REQUEUE], "msgs", LO);
    ADD("duplicates_republish", w->dup_by_cause[DUP_REPUBLISH], "msgs", LO);
    ADD("duplicates_send_retry", w->dup_by_cause[DUP_SEND_RETRY], "msgs", LO);
    if (w->bk->dup_requeue == DUP_REDELIVERY) /* the broker kind's own requeue */
        ADD("duplicates_redelivery", w->dup_by_cause[DUP_REDELIVERY], "msgs", LO);
    ADD("redelivered", w->redelivered, "msgs", LO);
    ADD("lost", lost, "msgs", LO);
    ADD("lost_send_failed", w->lost_by_cause[LOSS_SEND_FAILED], "msgs", LO);
    ADD("lost_autoack_buffer", w->lost_by_cause[LOSS_AUTOACK_BUFFER], "msgs", LO);
    ADD("expired", expired, "msgs", LO);
    ADD("expired_ttl", w->expired_by_cause[EXP_TTL], "msgs", LO);
    ADD("expired_retention", w->expired_by_cause[EXP_RETENTION], "msgs", LO);
    ADD("still_stored", stored, "msgs", NO);
    ADD("still_in_producers", in_producers, "msgs", LO);

    delay_flush(w); /* consumptions after the last sample */
    SIM_NEED_OK(mq_metrics_add_delay(m, w->delay, w->delay_w.mean));
    double end = w->s->run.duration_s;
    for (size_t i = 0; i < w->nmsgs; i++) { /* still undelivered at the end */
        const mq_msg *x = &w->msgs[i];
        if (x->fate == FATE_PENDING && x->measured && x->intended <= end)
            sim_hist_add(w->undelivered, end - x->intended);
    }
    SIM_NEED_OK(mq_metrics_add_delay_all(m, w->delay, w->undelivered));

    SIM_NEED_OK(mq_metrics_add_disruption(m, out->outages, out->noutages));
    ADD("reconnects", w->reconnects, "count", NO);
    ADD("exceptions_logged", w->exceptions, "count", LO);
    ADD("throttled_sends", w->throttled, "count", LO);
    ADD("throttled_sends_overload", w->throttled_overload, "count", LO);
    ADD("throttled_overload_broker", w->throttled_overload_broker, "count", LO);
    static const char *const overload[] = {"overload_from_s", "overload_offered_rate",
                                           "overload_capacity"};
    bool over = w->throttled_overload > 0;
    ADD(overload[0], over ? w->overload_from_s : NAN, "s", NO);
    ADD(overload[1], over ? w->overload_offered : NAN, "msg/s", NO);
    ADD(overload[2], over ? w->overload_capacity : NAN, "msg/s", NO);
    for (int i = 0; i < 3 && !over; i++) sim_metrics_censor(m, overload[i], SIM_NOT_APPLICABLE, NAN);

    double mu = w->drain_est.mu, lambda = rate_at_drain(w), fluid = w->drain_est.fluid_s;
    double drain = w->drain_armed ? NAN : w->drain_done_at - w->s->run.drain_from_s;
    if (isinf(fluid))
        SIM_NEED_OK(sim_strs_add(&out->warnings, "drain_time_fluid_s: never: %s", w->drain_est.never));
    if (w->drain_est.worst_se > MQ_EST_TARGET_SE)
        SIM_NEED_OK(sim_strs_add(&out->warnings,
                               "consume_capacity: group '%s' processes with so heavy a tail that "
                               "its channel is solved to +/- %.2g %% only, and one run's drain "
                               "can differ from the fluid estimate by much more (a run's mean "
                               "processing time rarely reaches the distribution's)",
                               w->s->consumers[w->drain_est.worst_group].name,
                               100 * w->drain_est.worst_se));
    if (isnan(drain) && isinf(fluid))
        SIM_NEED_OK(sim_strs_add(&out->warnings, "backlog of %llu msgs did not drain within the run",
                               (unsigned long long)w->backlog_at_drain_from));
    else if (isnan(drain))
        SIM_NEED_OK(sim_strs_add(&out->warnings,
                               "backlog of %llu msgs did not drain within the run (fluid estimate %.0f s)",
                               (unsigned long long)w->backlog_at_drain_from, fluid));
    ADD("backlog_at_drain_start", w->backlog_at_drain_from, "msgs", NO);
    ADD("drain_time_s", drain, "s", LO);
    if (isnan(drain))
        sim_metrics_censor(m, "drain_time_s", SIM_NOT_REACHED,
                           sim_now(w->sim) - w->s->run.drain_from_s);
    ADD("drain_time_fluid_s", fluid, "s", LO);
    ADD("consume_capacity", mu, "msg/s", NO);
    ADD("offered_rate_at_drain_start", lambda, "msg/s", NO);
    ADD("backlog_max", w->backlog_max, "msgs", LO);
    ADD("backlog_mean", sim_twavg_mean(&w->backlog_tw, sim_now(w->sim)), "msgs", LO);
    ADD("in_system_mean", sim_twavg_mean(&w->insys_tw, sim_now(w->sim)), "msgs", LO);
    ADD("sim_events", sim_events_executed(w->sim), "events", NO);
    bool (*completed)(mq_world *) = w->change.ops->completed;
    ADD("change_completed", completed ? completed(w) : NAN, "ratio", HI);
    if (!completed) sim_metrics_censor(m, "change_completed", SIM_NOT_APPLICABLE, NAN);
    if (w->change.ops->metrics) w->change.ops->metrics(w, out);
}

/* The delay and disruption rows, shared with the load tester so that
** simulated and measured runs have one schema (see mq_model.h). */
int mq_metrics_add_delay(sim_metrics *m, const sim_hist *delay, double mean)
{
    static const struct { const char *name; double q; } rows[] = {
        {"delay_p50_s", 0.50}, {"delay_p90_s", 0.90}, {"delay_p99_s", 0.99},
        {"delay_p999_s", 0.999}, {"delay_p9999_s", 0.9999}};
    bool any = sim_hist_count(delay) > 0;
    int rc = sim_metrics_add(m, "delay_mean_s", any ? mean : NAN, "s", SIM_BETTER_LOWER);
    for (size_t i = 0; rc == 0 && i < sizeof rows / sizeof rows[0]; i++)
        rc = sim_metrics_add(m, rows[i].name, any ? sim_hist_quantile(delay, rows[i].q) : NAN,
                             "s", SIM_BETTER_LOWER);
    if (rc == 0)
        rc = sim_metrics_add(m, "delay_max_s", any ? sim_hist_max(delay) : NAN, "s",
                             SIM_BETTER_LOWER);
    return rc;
}

int mq_metrics_add_delay_all(sim_metrics *m, const sim_hist *delay, const sim_hist *undelivered)
{
    uint64_t nd = sim_hist_count(delay), nu = sim_hist_count(undelivered);
    sim_hist *all = sim_hist_new();
    if (!all) return -1;
    sim_hist_merge(all, delay);
    sim_hist_merge(all, undelivered);
    static const struct { const char *name; double q; } rows[] = {
        {"delay_all_p50_s", 0.50}, {"delay_all_p99_s", 0.99}, {"delay_all_p999_s", 0.999}};
    int rc = sim_metrics_add(m, "undelivered_fraction",
                             nd + nu ? (double)nu / (double)(nd + nu) : NAN, "ratio",
                             SIM_BETTER_LOWER);
    for (size_t i = 0; rc == 0 && i < sizeof rows / sizeof rows[0]; i++)
        rc = sim_metrics_add(m, rows[i].name, nd + nu ? sim_hist_quantile(all, rows[i].q) : NAN,
                             "s", SIM_BETTER_LOWER);
    /* the mean and the maximum the same way (exact: the histogram keeps
    ** the sum and the maximum), the twins a budget line on delay_mean_s or
    ** delay_max_s is judged against when undelivered messages move the p99 */
    if (rc == 0)
        rc = sim_metrics_add(m, "delay_all_mean_s", nd + nu ? sim_hist_mean(all) : NAN, "s",
                             SIM_BETTER_LOWER);
    if (rc == 0)
        rc = sim_metrics_add(m, "delay_all_max_s", nd + nu ? sim_hist_max(all) : NAN, "s",
                             SIM_BETTER_LOWER);
    sim_hist_free(all);
    return rc;
}

int mq_metrics_add_disruption(sim_metrics *m, const mq_client_outage *o, size_t n)
{
    double dmax = 0, dsum = 0;
    uint64_t disrupted = 0, cut_at_end = 0;
    for (size_t i = 0; i < n; i++) {
        dmax = fmax(dmax, o[i].max_s);
        dsum += o[i].total_s;
        disrupted += o[i].drops > 0;
        cut_at_end += !o[i].connected_at_end;
    }
    int rc = sim_metrics_add(m, "disruption_max_s", dmax, "s", SIM_BETTER_LOWER);
    if (rc == 0) rc = sim_metrics_add(m, "disruption_client_s", dsum, "s", SIM_BETTER_LOWER);
    if (rc == 0)
        rc = sim_metrics_add(m, "clients_disrupted", (double)disrupted, "clients", SIM_BETTER_LOWER);
    if (rc == 0)
        rc = sim_metrics_add(m, "clients_cut_off_at_end", (double)cut_at_end, "clients",
                             SIM_BETTER_LOWER);
    if (rc == 0 && cut_at_end > 0) { /* an outage still open: the longest is longer */
        sim_metrics_censor(m, "disruption_max_s", SIM_CENSORED_AT_END, dmax);
        sim_metrics_censor(m, "disruption_client_s", SIM_CENSORED_AT_END, dsum);
    }
    return rc;
}

/* ---- accounting ------------------------------------------------------- */

/* What the walk over every container found, per record id. */
typedef struct seen_refs {
    uint8_t *copies, *pins;
} seen_refs;

static void count_ref(uint32_t msg, bool pin, void *ud)
{
    seen_refs *sr = ud;
    uint8_t *v = pin ? sr->pins : sr->copies;
    if (v[msg] < UINT8_MAX) v[msg]++;
}

static int check_accounting(mq_world *w, sim_err *err)
{
    size_t n = w->nmsgs ? w->nmsgs : 1;
    seen_refs sr = {calloc(n, 1), calloc(n, 1)};
    SIM_NEED(sr.copies && sr.pins, "out of memory");
    for (size_t q = 0; q < w->nq; q++) {
        mq_ring *r = &w->queues[q].ready;
        for (size_t i = 0; i < r->n; i++) count_ref(mq_ring_at(r, i)->msg, false, &sr);
    }
    for (size_t i = 0; i < w->nprod; i++) mq_producer_each_held(w->producers[i], count_ref, &sr);
    mq_producers_each_unconfirmed(w, count_ref, &sr);
    for (size_t i = 0; i < w->ncons; i++) mq_consumer_each_held(w->consumers[i], count_ref, &sr);
    uint64_t fate[FATE_NSTATES] = {0};
    uint64_t sched = 0, bad = 0, vanished = 0;
    for (size_t i = 0; i < w->nmsgs; i++) {
        const mq_msg *m = &w->msgs[i];
        fate[m->fate]++;
        unsigned held = sr.copies[i] + m->scheduled; /* schedule holds one copy */
        sched += m->scheduled;
        if (held != m->copies || sr.pins[i] != m->pins) bad++;
        /* pending with no copy: only an orphan's pin may hold it */
        if (m->fate == FATE_PENDING && m->copies == 0 && sr.pins[i] == 0) vanished++;
        /* a settled message with nothing left should have been recycled */
        if (!w->keep_records && m->fate != FATE_PENDING && m->fate != FATE_FREE &&
            m->copies == 0 && m->pins == 0)
            bad++;
    }
    free(sr.copies);
    free(sr.pins);
    uint64_t lost = 0, expired = 0;
    for (int i = 0; i < LOSS_NCAUSES; i++) lost += w->lost_by_cause[i];
    for (int i = 0; i < EXP_NCAUSES; i++) expired += w->expired_by_cause[i];
    uint64_t sched_pending = scheduled_pending(w);
    /* settled messages: the live records plus the recycled ones */
    uint64_t consumed_n = fate[FATE_CONSUMED] + w->freed_by_fate[FATE_CONSUMED];
    uint64_t lost_n = fate[FATE_LOST] + w->freed_by_fate[FATE_LOST];
    uint64_t expired_n = fate[FATE_EXPIRED] + w->freed_by_fate[FATE_EXPIRED];
    uint64_t freed = w->freed_by_fate[FATE_CONSUMED] + w->freed_by_fate[FATE_LOST] +
                     w->freed_by_fate[FATE_EXPIRED];
    if (consumed_n != w->consumed || lost_n != lost || expired_n != expired ||
        w->created != w->published || fate[FATE_FREE] != w->nfree ||
        freed != w->created - (w->nmsgs - w->nfree) || bad || vanished ||
        sched != sched_pending ||
        w->published != w->consumed + fate[FATE_PENDING] + expired + lost)
        return sim_err_set(err,
            "accounting violated: published %llu (records made %llu, %zu held, %zu free, "
            "%llu recycled) vs consumed %llu (records %llu) + still stored %llu + expired %llu "
            "(records %llu) + lost %llu (records %llu); %llu messages with a copy or pin "
            "count that does not match the queues and clients, %llu pending messages found "
            "nowhere, scheduled %llu vs %llu",
            (unsigned long long)w->published, (unsigned long long)w->created, w->nmsgs,
            w->nfree, (unsigned long long)freed, (unsigned long long)w->consumed,
            (unsigned long long)consumed_n, (unsigned long long)fate[FATE_PENDING],
            (unsigned long long)expired, (unsigned long long)expired_n,
            (unsigned long long)lost, (unsigned long long)lost_n,
            (unsigned long long)bad, (unsigned long long)vanished,
            (unsigned long long)sched, (unsigned long long)sched_pending);
    uint64_t dups = 0; /* the duplicates the consumers processed are all of them */
    for (size_t i = 0; i < w->ncons; i++) dups += w->consumers[i]->duplicates;
    if (dups != w->duplicates)
        return sim_err_set(err, "accounting violated: %llu duplicates, %llu of them by consumer",
                           (unsigned long long)w->duplicates, (unsigned long long)dups);
    return 0;
}

/* ---- build, run, tear down -------------------------------------------- */

static void world_free(mq_world *w)
{
    if (w->change.ops->destroy) w->change.ops->destroy(w, w->change.state);
    w->change.state = NULL;
    for (size_t i = 0; i < w->nprod; i++) mq_producer_free(w->producers[i]);
    for (size_t i = 0; i < w->ncons; i++) mq_consumer_free(w->consumers[i]);
    free(w->producers);
    free(w->consumers);
    if (w->unconf)
        for (size_t g = 0; g < w->s->nproducers; g++) mq_unconf_ring_free(&w->unconf[g]);
    free(w->unconf);
    if (w->queues)
        for (size_t i = 0; i < w->nq; i++) {
            mq_ring_free(&w->queues[i].ready);
            mq_cons_ring_free(&w->queues[i].waiting);
        }
    if (w->brokers)
        for (size_t i = 0; i < w->nbrk; i++) free(w->brokers[i].blocked_until);
    free(w->queues);
    free(w->brokers);
    free(w->msgs);
    sim_hist_free(w->delay);
    sim_hist_free(w->delay_iv);
    sim_hist_free(w->undelivered);
    free(w->sample_row);
    sim_free(w->sim);
}

static int build(mq_world *w)
{
    const mq_scenario *s = w->s;
    w->sim = sim_new();
    w->delay = sim_hist_new();
    w->delay_iv = sim_hist_new();
    w->undelivered = sim_hist_new();
    w->queues = calloc(s->nqueues, sizeof *w->queues);
    w->brokers = calloc(s->nbrokers, sizeof *w->brokers);
    if (!w->sim || !w->delay || !w->delay_iv || !w->undelivered || !w->queues || !w->brokers)
        return -1;
    w->nq = s->nqueues;
    w->may_expire = s->run.retention_s > 0;
    w->nbrk = s->nbrokers;
    size_t ngroups = s->nproducers + s->nconsumers;
    for (size_t b = 0; b < s->nbrokers; b++) {
        w->brokers[b].blocked_until = calloc(ngroups ? ngroups : 1, sizeof(double));
        if (!w->brokers[b].blocked_until) return -1;
        w->brokers[b].tokens = fmax(1.0, s->brokers[b].capacity_tps * 0.1);
        w->brokers[b].capacity_tps = s->brokers[b].capacity_tps;
        w->brokers[b].down_until = -INFINITY;
        for (size_t g = 0; g < ngroups; g++) w->brokers[b].blocked_until[g] = -INFINITY;
    }
    if (w->bk->spec_bucket) {
        w->spec.capacity_tps = s->instance.spec_tps;
        w->spec.tokens = fmax(1.0, s->instance.spec_tps * 0.1);
    }
    for (size_t g = 0; g < s->nproducers; g++) w->nprod += (size_t)s->producers[g].count;
    for (size_t g = 0; g < s->nconsumers; g++) w->ncons += (size_t)s->consumers[g].count;
    w->producers = calloc(w->nprod ? w->nprod : 1, sizeof *w->producers);
    w->consumers = calloc(w->ncons ? w->ncons : 1, sizeof *w->consumers);
    w->unconf = calloc(s->nproducers ? s->nproducers : 1, sizeof *w->unconf);
    if (!w->producers || !w->consumers || !w->unconf) return -1;
    SIM_ASSERTF(w->nprod < MQ_NONE, "too many producer clients");
    size_t k = 0;
    for (size_t g = 0; g < s->nproducers; g++)
        for (int i = 0; i < s->producers[g].count; i++) {
            if (!(w->producers[k] = mq_producer_new(w, (int)g, i))) return -1;
            w->producers[k]->id = (uint32_t)k;
            k++;
        }
    k = 0;
    for (size_t g = 0; g < s->nconsumers; g++)
        for (int i = 0; i < s->consumers[g].count; i++)
            if (!(w->consumers[k++] = mq_consumer_new(w, (int)g, i))) return -1;
    return 0;
}

static int collect_outages(mq_world *w, mq_result *out)
{
    out->noutages = w->nprod + w->ncons;
    out->outages = calloc(out->noutages ? out->noutages : 1, sizeof *out->outages);
    if (!out->outages) return -1;
    for (size_t i = 0; i < out->noutages; i++) {
        mq_conn *c = i < w->nprod ? &w->producers[i]->conn : &w->consumers[i - w->nprod]->conn;
        mq_conn_finish(w, c);
        double refused_until;
        mq_end_state end = mq_conn_end_state(w, c, &refused_until);
        const char *g = c->consumer ? w->s->consumers[c->group].name : w->s->producers[c->group].name;
        out->outages[i] = (mq_client_outage){
            .group = strdup(g), .index = c->index, .total_s = c->total_down_s,
            .max_s = c->max_down_s, .drops = c->drops, .reconnects = c->reconnects,
            .connected_at_end = c->state == CONN_UP, .end = end, .refused_until = refused_until,
            .duplicates = i < w->nprod ? 0 : w->consumers[i - w->nprod]->duplicates};
        if (!out->outages[i].group) return -1;
    }
    return 0;
}

int mq_model_run(const mq_scenario *s, const mq_run_opts *o, mq_result *out, sim_err *err)
{
    *out = (mq_result){0};
    const mq_change_ops *chg = s->change.ops ? s->change.ops : &mq_change_none;
    mq_world w = {.s = s, .bk = mq_broker_kind_of(s->instance.kind), .opts = *o, .err = err,
                  .drain_done_at = NAN,
                  .free_head = MQ_NONE, .change.ops = chg, .deliver = mq_consumer_deliver,
                  .keep_records = (chg->flags & MQ_CHANGE_KEEPS_RECORDS) != 0};
    w.series = &out->series;
    w.bands = &out->bands;
    int rc = -1;
    SIM_NEED(series_init(&out->series, s) == 0 &&
                 (w.sample_row = calloc(out->series.ncols, sizeof *w.sample_row)) != NULL &&
                 build(&w) == 0 &&
                 !(chg->create && chg->create(&w, s->change.cfg, &w.change.state)),
             "out of memory building the model");
    sim_twavg_init(&w.backlog_tw, 0, 0);
    sim_twavg_init(&w.insys_tw, 0, 0);
    if (s->run.warmup_s > 0)
        sim_at(w.sim, s->run.warmup_s, PRIO_EVENT, K_EVENT_START, on_warmup_end, &w, 0);
    preload_backlog(&w);
    preload_scheduled(&w);
    mq_producers_source(&w);
    for (size_t i = 0; i < w.nprod; i++) mq_producer_start(&w, w.producers[i]);
    for (size_t i = 0; i < w.ncons; i++) mq_consumer_start(&w, w.consumers[i]);
    mq_events_schedule(&w);
    if (chg->schedule) chg->schedule(&w);
    sim_at(w.sim, s->run.drain_from_s, PRIO_EVENT, K_EVENT_START, on_drain_start, &w, 0);
    sim_at(w.sim, fmin(s->run.sample_s, s->run.duration_s), PRIO_SAMPLE, K_SAMPLE, on_sample, &w, 0);
    if (o->progress) sim_set_progress(w.sim, o->progress, o->progress_ud, 0.5);
    sim_set_lookahead(w.sim, lookahead, &w);
    sim_run(w.sim, s->run.duration_s);

    SIM_NEED(collect_outages(&w, out) == 0, "out of memory collecting results");
    compute_metrics(&w, out);
    out->fingerprint = sim_fingerprint(w.sim);
    out->events = sim_events_executed(w.sim);
    if (check_accounting(&w, err) || mq_metric_parts_check(&out->metrics, err)) goto done;
    rc = 0;
done:
    world_free(&w);
    if (rc) mq_result_free(out);
    return rc;
}

void mq_result_free(mq_result *r)
{
    if (!r) return;
    sim_metrics_free(&r->metrics);
    sim_series_free(&r->series);
    sim_bands_free(&r->bands);
    sim_strs_free(&r->warnings);
    for (size_t i = 0; i < r->noutages; i++) free(r->outages[i].group);
    free(r->outages);
    *r = (mq_result){0};
}

int mq_model_run_metrics(const mq_scenario *s, uint64_t seed, uint64_t replication,
                         sim_metrics *out, sim_err *err)
{
    mq_run_opts o = {.seed = seed, .replication = replication};
    mq_result r;
    if (mq_model_run(s, &o, &r, err)) return -1;
    *out = r.metrics; /* take the table; free the rest */
    r.metrics = (sim_metrics){0};
    mq_result_free(&r);
    return 0;
}
