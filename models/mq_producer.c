/*
** mq_producer.c - open-loop producer clients.
**
** Arrivals follow the group's piecewise-constant rate schedule split evenly
** over its clients: Poisson arrivals by walking an Exp(1) "area" through the
** rate segments (exact for any schedule), deterministic ones one unit of
** area apart after a random phase. A message's intended send time is its
** arrival time; nothing the client goes through later changes it, so
** disconnects show up as delay instead of as missing load (no coordinated
** omission).
**
** Every message the producer holds counts as a copy: in the send buffer
** (waiting for the connection), in the retry ring (a failed or throttled
** send), or unconfirmed after a send that never reached the broker (peer
** silent). With confirms on, sends the broker has stored but not yet
** confirmed are remembered for rtt + confirm_latency; if the connection
** drops inside that window the client republishes them, and the broker ends
** up with a second copy: a duplicate whose cause is "republish" (RabbitMQ)
** or "send_retry" (RocketMQ: timeout after the broker stored it).
**
** The stored-but-unconfirmed sends of all clients of a group live in one
** ring per group (world.unconf), in send order, pruned at every send of the
** group: a window of a few milliseconds of the group's traffic, always in
** cache, where a ring per client was a cold cache line per send. A drop
** scans the window for the client's own entries (rare, O(window)).
*/
#include "models/mq_world.h"
#include "sim/sim_dist.h"
#include "sim/sim_err.h"
#include "sim/sim_rng.h"

#include <math.h>
#include <stdlib.h>


/* Group rate at t and the end of the segment that contains t. */
static void rate_segment(const mq_rate *r, double t, double *rate, double *end)
{
    double base = 0, tt = t;
    if (r->period_s > 0) {
        base = floor(t / r->period_s) * r->period_s;
        tt = t - base;
    }
    size_t i = r->nsteps;
    while (i-- > 1)
        if (r->steps[i].at_s <= tt) break;
    *rate = r->steps[i].rate;
    if (i + 1 < r->nsteps) *end = base + r->steps[i + 1].at_s;
    else *end = r->period_s > 0 ? base + r->period_s : INFINITY;
    if (*end <= t) *end = nextafter(t, INFINITY);
}

double mq_rate_at(const mq_rate *r, double t)
{
    double rate, end;
    rate_segment(r, t, &rate, &end);
    return rate;
}

/* A periodic schedule is a clock profile: run time t is schedule time
** start_clock + t. A one-off schedule counts from t = 0. */
static double clock_offset(const mq_scenario *s, const mq_rate *r)
{
    return r->period_s > 0 ? s->run.start_clock_s : 0;
}

double mq_rate_at_run(const mq_scenario *s, const mq_rate *r, double t)
{
    return mq_rate_at(r, t + clock_offset(s, r));
}

/* The offered rate at run time t and the run time until which it holds
** (the first rate step after t of any group). */
static double offered_segment(const mq_scenario *s, double t, double *until)
{
    double lambda = 0;
    *until = INFINITY;
    for (size_t i = 0; i < s->nproducers; i++) {
        const mq_rate *r = &s->producers[i].rate;
        double off = clock_offset(s, r), rate, end;
        rate_segment(r, t + off, &rate, &end);
        lambda += rate;
        *until = fmin(*until, end - off);
    }
    return lambda;
}

double mq_offered_rate(const mq_scenario *s, double t)
{
    double until;
    return offered_segment(s, t, &until);
}

/* The schedule time at which `area` units of per-client rate have
** accumulated after schedule time t. */
static double advance_sched(const mq_producer *p, double t, double area, double horizon)
{
    const mq_rate *r = &p->g->rate;
    for (int guard = 0; guard < 1000000 && t <= horizon; guard++) {
        double rate, end;
        rate_segment(r, t, &rate, &end);
        double rc = rate / p->g->count;
        if (rc > 0) {
            double need = area / rc;
            if (t + need <= end) return t + need;
            area -= (end - t) * rc;
        }
        if (isinf(end)) return INFINITY;
        t = end;
    }
    return INFINITY;
}

/* The same in run time. */
static double advance(const mq_producer *p, double t, double area)
{
    double off = clock_offset(p->w->s, &p->g->rate);
    return advance_sched(p, t + off, area, p->w->s->run.duration_s + off) - off;
}

/* The arrival `area` after schedule point `from`, or INFINITY past the end
** of the run. */
static double arrival_after(const mq_producer *p, double from, double area)
{
    double t = advance(p, from, area);
    return t <= p->w->s->run.duration_s ? t : INFINITY;
}

static double next_area(mq_producer *p)
{
    return p->g->rate.arrivals == MQ_ARRIVALS_POISSON ? sim_rng_exp(p->rng, 1.0) : 1.0;
}

/* The engine's source asks for arrivals ahead (sim_source_set): they use
** only the client's own random stream and the fixed schedule. */
static double next_arrival(void *subject, double t)
{
    mq_producer *p = subject;
    const mq_rate *r = &p->g->rate;
    if (r->nsteps == 1 && r->period_s == 0) {
        /* a flat rate: advance_sched's single segment, the same draw and
        ** arithmetic without the segment search (the same bytes out) */
        double area = next_area(p), rc = r->steps[0].rate / p->g->count;
        if (!(rc > 0)) return INFINITY;
        double next = t + area / rc;
        return next <= p->w->s->run.duration_s ? next : INFINITY;
    }
    return arrival_after(p, t, next_area(p));
}

/* Confirm window: a stored send awaits its confirm for rtt + latency. */
static double confirm_window(const mq_world *w, const mq_producer_group *g)
{
    return w->s->run.rtt_s + g->confirm_latency_s;
}

static mq_unconf_ring *unconf_of(const mq_world *w, const mq_producer *p)
{
    return &w->unconf[p->conn.group];
}

/* Drop the group's entries whose confirm has arrived by now (and dead ones
** at the head); each releases its pin. */
static void unconf_prune(mq_world *w, const mq_producer *p)
{
    mq_unconf_ring *r = unconf_of(w, p);
    double now = sim_now(w->sim), lat = confirm_window(w, p->g);
    while (r->n > 0) {
        mq_unconf *u = mq_unconf_ring_at(r, 0);
        if (u->producer != MQ_NONE) {
            if (u->sent_at + lat > now) break;
            mq_msg_unpin(w, u->msg);
        }
        mq_unconf_ring_pop_front(r);
    }
}

/* A stored send: remember it (and pin its message) until its confirm. */
static void unconf_push(mq_world *w, mq_producer *p, uint32_t msg, double t)
{
    unconf_prune(w, p);
    mq_msg_pin(w, msg);
    SIM_NEED_OK(mq_unconf_ring_push_back(unconf_of(w, p), (mq_unconf){msg, p->id, t}));
}

uint32_t mq_producer_unconfirmed(mq_world *w, mq_producer *p)
{
    if (!p->g->confirms) return 0;
    unconf_prune(w, p);
    const mq_unconf_ring *r = unconf_of(w, p);
    uint32_t n = 0;
    for (size_t i = 0; i < r->n; i++) n += mq_unconf_ring_at(r, i)->producer == p->id;
    return n;
}

void mq_producers_each_unconfirmed(mq_world *w, mq_held_fn fn, void *ud)
{
    for (size_t g = 0; g < w->s->nproducers; g++)
        for (size_t i = 0; i < w->unconf[g].n; i++) {
            const mq_unconf *u = mq_unconf_ring_at(&w->unconf[g], i);
            if (u->producer != MQ_NONE) fn(u->msg, true, ud);
        }
}

/* The producer lets go of its copy; with no copy left the message is lost,
** and a change model hears which producer lost it and why. */
static void drop_held(mq_world *w, mq_producer *p, uint32_t msg, int cause, mq_lost_why why)
{
    uint64_t before = w->lost_by_cause[cause];
    mq_msg_copy_drop_lost(w, msg, cause);
    if (w->change.ops->on_lost && w->lost_by_cause[cause] > before) w->change.ops->on_lost(w, p, why);
}

/* Gap between two attempts of a send while the producer is disconnected.
** A RocketMQ SDK's attempt on a lost connection returns only when its send
** timeout expires (the request goes unanswered; model-reference #16, #26),
** then the client backs off; an AMQP client throws at once on a closed
** channel (#3), so only the application's back-off separates its attempts. */
static double down_retry_gap(const mq_world *w, const mq_producer_group *g)
{
    return g->retry_backoff_s + (w->bk->attempt_waits_timeout ? g->send_timeout_s : 0);
}

/* RocketMQ throttling (model-reference #31; Apache RocketMQ "Sending retry
** and throttling policy"): a rejected send is retried by the SDK with an
** exponential back-off, initial 1 s, x1.6, at most 120 s, jitter +/- 0.2,
** and each retry uses up one of the producer's `retries`; after the last
** one the SDK throws and the send is lost to the application. The jitter
** is drawn from the client's reconnect stream (arrivals stay untouched). */
#define THROTTLE_BACKOFF_S 1.0
#define THROTTLE_MULTIPLIER 1.6
#define THROTTLE_BACKOFF_MAX_S 120.0
#define THROTTLE_JITTER 0.2

double mq_producer_throttle_backoff(int attempt)
{
    return fmin(THROTTLE_BACKOFF_S * pow(THROTTLE_MULTIPLIER, attempt), THROTTLE_BACKOFF_MAX_S);
}

/* The offered rate at run time t, from a cache that holds while no
** group's rate schedule steps (mq_offered_rate itself walks every group). */
static double offered_at(mq_world *w, double t)
{
    if (t >= w->offered_from && t < w->offered_until) return w->offered_now;
    w->offered_now = offered_segment(w->s, t, &w->offered_until);
    w->offered_from = t;
    return w->offered_now;
}

/* The rate the producers offer at run time t to the limit that refused a
** send: the clients whose sends that limit checks now, routed as send()
** routes them. limit is a store broker's capacity or the instance's spec
** (w->spec), or NULL for the change type's own limit, which every send
** meets. A walk over the producer clients, kept in the limit until a
** rate step or a routing change (mq_routing_changed); every 1024th use of
** a kept value walks again and must find the same, so a routing change
** that was not reported stops the run instead of misclassifying sends. */
static double offered_to(mq_world *w, double t, mq_broker_rt *limit)
{
    if (!limit) return offered_at(w, t);
    bool kept = limit->offered_epoch == w->route_epoch && t >= limit->offered_from &&
                t < limit->offered_until;
    if (kept && ++w->offered_lookups % 1024) return limit->offered;
    double sum = 0, each = 0; /* each: one client's rate, the same for its whole group */
    const mq_producer_group *g = NULL;
    for (size_t i = 0; i < w->nprod; i++) {
        const mq_producer *p = w->producers[i];
        uint32_t q = mq_queue_route(w, &p->conn, (uint32_t)p->g->queue);
        bool checked = limit == &w->spec ? q < w->s->nqueues
                                          : &w->brokers[mq_queue_admit_broker(w, &p->conn, q)] == limit;
        if (!checked) continue;
        if (p->g != g) {
            g = p->g;
            each = mq_rate_at_run(w->s, &g->rate, t) / g->count;
        }
        sum += each;
    }
    SIM_ASSERTF(!kept || sum == limit->offered, "offered rate to a limit: %.17g kept, %.17g now "
                "(a routing change was not reported with mq_routing_changed)", limit->offered, sum);
    offered_at(w, t); /* the rate steps' segment around t */
    limit->offered = sum;
    limit->offered_from = w->offered_from;
    limit->offered_until = w->offered_until;
    limit->offered_epoch = w->route_epoch;
    return sum;
}

/* A send refused by a limit of refused_tps msg/s (NAN: a limit that is no
** message rate; limit: as in offered_to): counted, and counted as
** overload when the producers offer that limit more than it takes at
** this moment. The overload figures kept are the first such refusal's
** time, and the offered rate and capacity at the refusal with the highest
** offered rate (the lower capacity on a tie): one limit's pair, never two
** limits' mixed, and a limit at or above that rate refuses none of them. */
__attribute__((noinline, cold)) /* a refusal's path: kept out of send()'s */
static void note_throttled(mq_world *w, double now, double refused_tps, mq_broker_rt *limit)
{
    w->throttled++;
    if (!(refused_tps > 0) || !(offered_at(w, now) > refused_tps)) return;
    double offered = offered_to(w, now, limit);
    if (!(offered > refused_tps)) return;
    if (limit && limit != &w->spec) w->throttled_overload_broker++;
    if (!w->throttled_overload++) w->overload_from_s = now;
    else if (offered < w->overload_offered ||
             (offered == w->overload_offered && refused_tps >= w->overload_capacity))
        return;
    w->overload_offered = offered;
    w->overload_capacity = refused_tps;
}

bool mq_capacity_admit(mq_world *w, mq_broker_rt *b)
{
    double cap = b->capacity_tps;
    if (cap <= 0) return true;
    double now = sim_now(w->sim), burst = fmax(1.0, cap * 0.1);
    b->tokens = fmin(burst, b->tokens + (now - b->tokens_t) * cap);
    b->tokens_t = now;
    if (b->tokens < 1.0) return false;
    b->tokens -= 1.0;
    return true;
}

/* A send to queue q passes the capacity of the cluster that stores it, the
** instance's spec and the change type's own limits; refused, *refused_tps
** is the message rate of the limit that refused it (NAN: a limit that is
** no message rate) and *limit that limit (as in offered_to). */
static bool admit_send(mq_world *w, mq_producer *p, uint32_t q, double *refused_tps,
                       mq_broker_rt **limit)
{
    mq_broker_rt *store = &w->brokers[mq_queue_admit_broker(w, &p->conn, q)];
    *refused_tps = NAN;
    *limit = NULL;
    if (!mq_capacity_admit(w, store)) *limit = store;
    else if (q < w->s->nqueues && !mq_capacity_admit(w, &w->spec)) *limit = &w->spec;
    else return !w->change.ops->send_admit || w->change.ops->send_admit(w, p, refused_tps);
    *refused_tps = (*limit)->capacity_tps;
    return false;
}

/* How long before its reconnection a disconnected producer's send still
** gets through with the retries above (MQ_ONDOWN_RETRY); the fluid drain
** estimate (mq_estimate.c) counts its sends from then. */
double mq_producer_retry_span(const mq_world *w, const mq_producer_group *g)
{
    return g->ondown == MQ_ONDOWN_RETRY ? g->retries * fmax(down_retry_gap(w, g), 0) : 0;
}

static void on_retry(sim *s, void *subject, uint64_t arg);

/* Into the retry ring, kept in due-time order (back-offs differ by cause
** and attempt, so a new entry may be due before the last ones: it moves
** forward past them, O(entries it passes)). */
static void retry_push(mq_world *w, mq_producer *p, mq_ent e)
{
    SIM_NEED_OK(mq_ring_push_back(&p->retry, e));
    for (size_t i = p->retry.n - 1; i > 0; i--) {
        mq_ent *a = mq_ring_at(&p->retry, i - 1), *b = mq_ring_at(&p->retry, i);
        if (a->avail_at <= b->avail_at) break;
        mq_ent t = *a;
        *a = *b;
        *b = t;
    }
    double due = mq_ring_at(&p->retry, 0)->avail_at;
    if (sim_is_pending(w->sim, p->retry_timer) && due < p->retry_due) {
        sim_cancel(w->sim, p->retry_timer);
        p->retry_timer = SIM_HANDLE_NONE;
    }
    if (!sim_is_pending(w->sim, p->retry_timer)) {
        p->retry_due = due;
        p->retry_timer = sim_at(w->sim, due, PRIO_CLIENT, K_SEND_RETRY, on_retry, p, 0);
    }
}

/* One send attempt of a copy the producer holds. */
static void send(mq_world *w, mq_producer *p, mq_ent e)
{
    const mq_producer_group *g = p->g;
    double now = sim_now(w->sim);
    switch (p->conn.state) {
    case CONN_UP: {
        mq_msg *m = &w->msgs[e.msg];
        if (m->scheduled && m->intended > now) {
            /* A republished copy of a delayed message whose first copy still
            ** waits in the broker's schedule (which holds one copy): the
            ** producer holds it until the due time, when it lands next to
            ** the first, as the broker would deliver both. */
            e.avail_at = m->intended;
            retry_push(w, p, e);
            return;
        }
        uint32_t q = mq_queue_route(w, &p->conn, (uint32_t)g->queue);
        double refused_tps;
        mq_broker_rt *limit;
        if (!admit_send(w, p, q, &refused_tps, &limit)) {
            note_throttled(w, now, refused_tps, limit);
            w->exceptions++;
            if (w->bk->throttle_uses_attempts) {
                /* the SDK's back-off; each throttled retry uses an attempt */
                if (e.attempts >= g->retries) {
                    drop_held(w, p, e.msg, LOSS_SEND_FAILED, MQ_LOST_THROTTLED);
                    return;
                }
                double j = 1.0 + THROTTLE_JITTER * (2.0 * gsl_rng_uniform(p->conn.rng) - 1.0);
                e.avail_at = now + j * mq_producer_throttle_backoff(e.attempts);
                e.attempts++;
            } else {
                /* AMQP: back off and retry without using up an attempt */
                e.avail_at = now + fmax(g->retry_backoff_s, 0.05);
            }
            retry_push(w, p, e);
            return;
        }
        if (e.redelivered)
            w->msgs[e.msg].dup_cause = w->bk->dup_resend;
        /* The copy moves to the broker (stored before the producer's copy
        ** is dropped, so the record stays live throughout); a delayed
        ** message not yet due goes to the broker's schedule. */
        if (m->intended > now) mq_queue_schedule(w, q, e.msg);
        else mq_queue_store(w, q, e.msg, 0);
        if (g->confirms) unconf_push(w, p, e.msg, now);
        mq_msg_copy_drop(w, e.msg);
        return;
    }
    case CONN_DETECTING: /* the client does not know yet: into the silent link */
        SIM_NEED_OK(mq_ring_push_back(&p->unsent, (mq_ent){.msg = e.msg, .avail_at = now}));
        return;
    case CONN_BACKOFF:
    case CONN_CUT_OFF:
        switch (g->ondown) {
        case MQ_ONDOWN_BUFFER:
            SIM_NEED_OK(mq_ring_push_back(&p->buffer, e));
            return;
        case MQ_ONDOWN_RETRY:
            w->exceptions++;
            if (e.attempts < g->retries) {
                e.attempts++;
                e.avail_at = now + down_retry_gap(w, g);
                retry_push(w, p, e);
            } else {
                drop_held(w, p, e.msg, LOSS_SEND_FAILED, MQ_LOST_DISCONNECTED);
            }
            return;
        case MQ_ONDOWN_DROP:
            w->exceptions++;
            drop_held(w, p, e.msg, LOSS_SEND_FAILED, MQ_LOST_DISCONNECTED);
            return;
        }
    }
}

static void on_retry(sim *s, void *subject, uint64_t arg)
{
    (void)arg;
    mq_producer *p = subject;
    mq_world *w = p->w;
    p->retry_timer = SIM_HANDLE_NONE;
    double now = sim_now(s);
    /* Sends that fail again land at the back with a later due time, so only
    ** the entries due now are taken. */
    size_t due = 0;
    while (due < p->retry.n && mq_ring_at(&p->retry, due)->avail_at <= now) due++;
    for (size_t i = 0; i < due; i++) send(w, p, mq_ring_pop_front(&p->retry));
    if (p->retry.n > 0 && !sim_is_pending(s, p->retry_timer)) {
        p->retry_due = mq_ring_at(&p->retry, 0)->avail_at;
        p->retry_timer = sim_at(s, p->retry_due, PRIO_CLIENT, K_SEND_RETRY, on_retry, p, 0);
    }
}

/* A delayed message (a `delayed:` fraction of the group's sends): it is
** meant to be delivered `delay` after its send, so its intended time, from
** which its delay is measured, moves there; the broker holds it in its
** schedule until then. A TTL counts from the send. */
static void delay_message(mq_producer *p, mq_msg *m, double now)
{
    const mq_delayed *d = &p->g->delayed;
    if (gsl_rng_uniform(p->delay_rng) >= d->fraction) return;
    double delay = fmax(0, sim_dist_sample(&d->delay, p->delay_rng));
    m->intended = now + delay;
    m->measured = m->intended >= p->w->s->run.warmup_s;
    if (d->ttl_s > 0) m->expire_at = now + d->ttl_s, p->w->may_expire = true;
}

static void on_arrival(sim *s, void *subject, uint64_t arg)
{
    (void)arg;
    mq_producer *p = subject;
    mq_world *w = p->w;
    double now = sim_now(s);
    uint32_t msg = mq_msg_new(w, (uint32_t)p->g->queue, now);
    if (p->delay_rng) delay_message(p, &w->msgs[msg], now);
    mq_msg_copy_add(w, msg); /* held by the producer until sent */
    w->published++;
    w->iv_published++;
    send(w, p, (mq_ent){.msg = msg});
}

void mq_producers_source(mq_world *w)
{
    sim_source_set(w->sim, PRIO_CLIENT, K_ARRIVAL, on_arrival, next_arrival);
}

mq_producer *mq_producer_new(mq_world *w, int group, int index)
{
    mq_producer *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    const mq_producer_group *g = &w->s->producers[group];
    p->w = w;
    p->g = g;
    uint64_t entity = sim_mix64(sim_hash_str(g->name) + (uint64_t)index);
    p->confirm_times_out = g->confirm_wait_times_out;
    p->rng = sim_rng_embed(&p->rng_store, w->opts.seed, w->opts.replication, entity,
                           sim_hash_str("arrivals"));
    p->conn = (mq_conn){
        .w = w, .state = CONN_UP, .consumer = false, .group = group, .index = index,
        .broker = w->s->queues[g->queue].broker, .cfg = &g->reconnect,
        .rng = sim_rng_new(w->opts.seed, w->opts.replication, entity, sim_hash_str("reconnect")),
    };
    if (g->delayed.fraction > 0)
        p->delay_rng = sim_rng_new(w->opts.seed, w->opts.replication, entity, sim_hash_str("delayed"));
    if (!p->conn.rng || (g->delayed.fraction > 0 && !p->delay_rng)) {
        mq_producer_free(p);
        return NULL;
    }
    return p;
}

void mq_producer_free(mq_producer *p)
{
    if (!p) return;
    gsl_rng_free(p->conn.rng);
    gsl_rng_free(p->delay_rng);
    mq_ring_free(&p->buffer);
    mq_ring_free(&p->retry);
    mq_ring_free(&p->unsent);
    free(p);
}

void mq_producer_start(mq_world *w, mq_producer *p)
{
    w->connected_producers++;
    double area = p->g->rate.arrivals == MQ_ARRIVALS_POISSON
                      ? sim_rng_exp(p->rng, 1.0)
                      : gsl_rng_uniform_pos(p->rng); /* random phase */
    SIM_NEED_OK(sim_source_add(w->sim, p, arrival_after(p, 0.0, area)));
}

void mq_producer_up(mq_world *w, mq_producer *p)
{
    size_t n = p->buffer.n; /* sends made while flushing may buffer again */
    if (w->bk->sync_send && p->g->confirms) {
        /* A RocketMQ sync send blocks until its reply (model-reference #16):
        ** the buffered sends go out one reply apart, not in one instant. */
        double gap = confirm_window(w, p->g), t = sim_now(w->sim);
        for (size_t i = 0; i < n; i++) {
            mq_ent e = mq_ring_pop_front(&p->buffer);
            e.avail_at = t + (double)i * gap;
            retry_push(w, p, e);
        }
        return;
    }
    for (size_t i = 0; i < n && p->conn.state == CONN_UP; i++)
        send(w, p, mq_ring_pop_front(&p->buffer));
}

/* The client knows its link is gone: every send still waiting for its
** confirm fails in the application, which then follows on_disconnect like
** any failed send (buffer it, retry it `retries` times `retry_backoff`
** apart, or drop it). Stored-but-unconfirmed sends (oldest first) are made
** again as a new copy (a duplicate of cause "republish" once both land),
** except when dropped: the broker's copy stays, nothing is lost. Sends made
** into a silence never reached the broker: dropping one loses it. Checked
** against the real Java client after a freeze longer than its heartbeat
** detection: the application's retries run out while the broker is still
** unreachable, and those sends are lost (docs/VALIDATION.md). Called with
** the connection still UP (a change type moves a timed-out send to another
** broker, models/change/), the copies wait in the buffer for the caller's
** flush. */
void mq_producer_down(mq_world *w, mq_producer *p)
{
    const mq_producer_group *g = p->g;
    /* Still UP: a RocketMQ send timed out and goes to another broker; the
    ** caller flushes the buffer after the timeout. */
    bool up = p->conn.state == CONN_UP;
    if (g->confirms) {
        /* taken out of the group's window first: a send may push to it */
        mq_ring again = {0};
        unconf_prune(w, p);
        mq_unconf_ring *r = unconf_of(w, p);
        for (size_t i = 0; i < r->n; i++) { /* the window: a few ms of the group's sends */
            mq_unconf *u = mq_unconf_ring_at(r, i);
            if (u->producer != p->id) continue;
            u->producer = MQ_NONE;
            SIM_NEED_OK(mq_ring_push_back(&again, (mq_ent){.msg = u->msg, .redelivered = 1}));
        }
        for (size_t i = 0; i < again.n; i++) {
            uint32_t msg = mq_ring_at(&again, i)->msg;
            if (up) { /* resent after the caller's timeout (the change type's) */
                mq_msg_copy_add(w, msg);
                SIM_NEED_OK(mq_ring_push_back(&p->buffer, (mq_ent){.msg = msg, .redelivered = 1}));
            } else if (g->ondown != MQ_ONDOWN_DROP) {
                mq_msg_copy_add(w, msg); /* a new copy to republish */
                send(w, p, (mq_ent){.msg = msg, .redelivered = 1});
            }
            mq_msg_unpin(w, msg);
        }
        mq_ring_free(&again);
    }
    size_t n = p->unsent.n;
    for (size_t i = 0; i < n; i++) {
        mq_ent e = mq_ring_pop_front(&p->unsent);
        if (g->confirms) send(w, p, (mq_ent){.msg = e.msg});
        else drop_held(w, p, e.msg, LOSS_SEND_FAILED, MQ_LOST_DISCONNECTED); /* nobody knows it failed */
    }
}

/* The silence ended before detection: the sends made into it were kept by
** the network (or the frozen peer's socket) and land now, in order. An
** application that waits for each confirm with a timeout (Java's
** waitForConfirms(timeout), a Go select on the deferred confirmation) stalls
** on one send at a time: the k-th wait times out k x send_timeout into the
** silence, so ceil(silence / send_timeout) - 1 of them end before it does
** (a wait still running when the peer speaks again gets its confirm;
** measured with 5 s: 5 for a 30 s silence, 1 for 8 s), and each of those
** messages, with retries left, is published again: both copies land, a
** duplicate of cause "republish". pika's BlockingChannel waits for
** the confirm without a timeout (blocking_connection.py basic_publish), so
** nothing is republished. */
void mq_producer_resume(mq_world *w, mq_producer *p, double silence_s)
{
    const mq_producer_group *g = p->g;
    size_t timeouts = 0;
    if (g->confirms && p->confirm_times_out && g->send_timeout_s > 0 &&
        g->ondown == MQ_ONDOWN_RETRY && g->retries > 0)
        timeouts = (size_t)fmax(0, ceil(silence_s / g->send_timeout_s) - 1);
    size_t n = p->unsent.n; /* sends made now cannot land back in unsent (UP) */
    for (size_t i = 0; i < n && p->conn.state == CONN_UP; i++) {
        mq_ent e = mq_ring_pop_front(&p->unsent);
        bool again = i < timeouts;
        if (again) mq_msg_copy_add(w, e.msg); /* the copy the application republished */
        send(w, p, (mq_ent){.msg = e.msg});
        if (again) send(w, p, (mq_ent){.msg = e.msg, .redelivered = 1});
    }
}

void mq_producer_each_held(mq_producer *p, mq_held_fn fn, void *ud)
{
    for (size_t i = 0; i < p->buffer.n; i++) fn(mq_ring_at(&p->buffer, i)->msg, false, ud);
    for (size_t i = 0; i < p->retry.n; i++) fn(mq_ring_at(&p->retry, i)->msg, false, ud);
    for (size_t i = 0; i < p->unsent.n; i++) fn(mq_ring_at(&p->unsent, i)->msg, false, ud);
}
