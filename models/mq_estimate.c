/*
** mq_estimate.c - saturated throughput of a consumer channel, consumer
** capacity, fluid drain time (see mq_estimate.h).
**
** The channel, as mq_consumer.c moves a delivery while the queue has
** messages: a delivery is taken when a credit is free, becomes processable
** one round trip D later (avail_at = now + RTT), waits FCFS for one of k
** slots, is processed for S, and its ack frees the credit at once, which
** takes the next delivery. That is a closed network of p customers: an
** infinite-server station of fixed delay D and a FCFS k-server station of
** service S. Cases:
**
**   p <= k        nobody ever waits for a slot: every credit cycles in
**                 D + S, rate p / (D + E[S]). Exact, any distribution.
**   S constant    a deterministic event graph; its cycle time is that of
**                 its slowest circuit: the k slots (t/k) or the p credits
**                 ((D + t)/p), so min(k/t, p/(D + t)) is exact here and only
**                 here.
**   S exponential the network has product form (BCMP: FCFS exponential
**                 station, infinite-server station of any distribution), so
**                 P(n at the slots) ~ D^(p-n)/(p-n)! * t^n / prod min(j, k)
**                 and the rate is sum P(n) min(n, k) / t. Exact; computed
**                 in logs, so p in the thousands is fine.
**   otherwise     no product form and no closed form. The channel's own
**                 recursion is solved numerically: with D fixed, deliveries
**                 arrive in the order the credits came back, so the n-th
**                 arrival is D after the (n-p)-th departure, and FCFS over k
**                 slots is the Kiefer-Wolfowitz recursion (start = max(arrival,
**                 earliest free slot)). Two small heaps, one draw per service,
**                 from a fixed stream (same inputs, same answer). It runs
**                 until the batch-means relative standard error of the rate
**                 (the draws' known mean serving as a control variate) is
**                 below 0.1 % (at most 4 M services); that error is returned.
**                 The rate is capped at the bound, which the true rate never
**                 exceeds (near saturation sampling alone could), and kept
**                 in a small per-process cache. Above 2000 credits the
**                 channel is first solved with 2000: the rate only grows
**                 with p, so when that already reaches the bound to within
**                 twice the target error, the bound is the answer.
**                 This is the exact law of the model's channel, so the only
**                 error is that sampling error, not an approximation (an
**                 MVA with a residual-time correction would be one, with
**                 errors of several percent at high variability).
**
** min(k/t, p/(D + t)) is the bound both circuits impose; with random S,
** slots idle while credits queue and the rate falls below it (exponential,
** p = 3, k = 1, D = 4t: 54.93 against 60 msg/s for t = 10 ms). docs/MODEL.md states the
** method, docs/VALIDATION.md compares it with the simulation.
*/
#include "models/mq_estimate.h"
#include "models/mq_world.h"
#include "sim/sim_err.h"
#include "sim/sim_rng.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *mq_est_method_name(mq_est_method m)
{
    switch (m) {
    case MQ_EST_NO_QUEUE: return "no-queue";
    case MQ_EST_CONSTANT: return "constant";
    case MQ_EST_MVA: return "mva";
    case MQ_EST_NUMERIC: return "numeric";
    case MQ_EST_SATURATED: return "saturated";
    }
    return "?";
}

double mq_est_channel_bound(double mean_s, int prefetch, int concurrency, double rtt_s)
{
    return fmin(concurrency / mean_s, prefetch / (rtt_s + mean_s));
}

double mq_est_channel_mva(double t, int p, int k, double d)
{
    SIM_ASSERTF(p >= 1 && k >= 1 && t >= 0 && d >= 0, "p %d k %d t %g d %g", p, k, t, d);
    if (t <= 0) return d > 0 ? p / d : INFINITY;
    if (d <= 0) return (p < k ? p : k) / t;
    /* log weight of n customers at the slots, n = 0..p */
    double lmax = -INFINITY, lbeta = 0;
    double *lw = malloc(((size_t)p + 1) * sizeof *lw);
    SIM_NEED(lw != NULL, "out of memory");
    for (int n = 0; n <= p; n++) {
        if (n > 0) lbeta += log(n < k ? n : k);
        int sign; /* lgamma_r: lgamma writes the global signgam, a race between jobs */
        lw[n] = (p - n) * log(d) - lgamma_r(p - n + 1.0, &sign) + n * log(t) - lbeta;
        lmax = fmax(lmax, lw[n]);
    }
    double z = 0, busy = 0;
    for (int n = 0; n <= p; n++) {
        double w = exp(lw[n] - lmax);
        z += w;
        busy += w * (n < k ? n : k);
    }
    free(lw);
    /* A deficit under 1e-12 of the bound is below what the sums resolve;
    ** the bound is then the value to the last digit. */
    double x = busy / z / t, bound = mq_est_channel_bound(t, p, k, d);
    return bound - x <= 1e-12 * bound ? bound : x;
}

/* ---- the recursion, solved numerically ---------------------------------- */

/* A binary min-heap of doubles with a fixed capacity. */
typedef struct heap {
    double *v;
    int n;
} heap;

static void heap_push(heap *h, double x)
{
    int i = h->n++;
    while (i > 0 && h->v[(i - 1) / 2] > x) {
        h->v[i] = h->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->v[i] = x;
}

static double heap_pop(heap *h)
{
    SIM_ASSERT(h->n > 0);
    double top = h->v[0], x = h->v[--h->n];
    int i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= h->n) break;
        if (c + 1 < h->n && h->v[c + 1] < h->v[c]) c++;
        if (h->v[c] >= x) break;
        h->v[i] = h->v[c];
        i = c;
    }
    h->v[i] = x;
    return top;
}

#define BATCH_MIN 20 /* batches before the error is trusted */

/* E[S] including truncation: the positive normal resamples below zero. */
static double proc_mean(const sim_dist *s)
{
    if (s->kind != SIM_DIST_NORMAL_POS || s->p2 <= 0) return sim_dist_mean(s);
    double a = -s->p1 / s->p2;
    double tail = 0.5 * erfc(a / sqrt(2.0)); /* P(Z > a) */
    return s->p1 + s->p2 * exp(-0.5 * a * a) / sqrt(2.0 * M_PI) / tail;
}

/* Per batch b: u = time per returned credit, c = mean draw. The rate is
** 1 / E[u]; the draws' known mean E[S] is a control variate for u (the
** same draws drive both), which removes most of the sampling error:
** u* = mean(u) - beta (mean(c) - E[S]), beta = cov(u, c) / var(c). */
double mq_est_channel_numeric(const sim_dist *proc, double overhead_s, int p, int k, double d,
                              long services, double *rel_se)
{
    SIM_ASSERTF(p >= 1 && k >= 1 && d >= 0, "p %d k %d d %g", p, k, d);
    /* the stream: fixed, so the estimate is a function of its inputs */
    gsl_rng *r = sim_rng_new(0x6d71657374ULL, 0, sim_hash_str("mq_estimate"),
                             sim_hash_str("channel"));
    long m = 2000 + 20L * p, warm = 10L * p + 2000; /* batch size, warm-up */
    long batches = services > 0 ? services / m : 0;
    if (batches < BATCH_MIN) batches = BATCH_MIN;
    double *store = malloc(((size_t)p + (size_t)k + 2 * (size_t)batches) * sizeof *store);
    SIM_NEED(r != NULL && store != NULL, "out of memory");
    heap slots = {store, 0}, out = {store + k, 0};
    double *u = store + k + p, *c = u + batches;
    for (int i = 0; i < k; i++) heap_push(&slots, 0);
    double credit_t = 0, mark = 0;
    long n = 0;
    for (long b = -1; b < batches; b++) {
        long target = b < 0 ? warm : m;
        double drawn = 0;
        for (long j = 0; j < target; j++, n++) {
            double arrive = d;
            if (n >= p) arrive += credit_t = heap_pop(&out); /* the (n-p)-th credit */
            double start = fmax(arrive, heap_pop(&slots));
            double x = sim_dist_sample(proc, r);
            drawn += x;
            double end = start + x + overhead_s;
            heap_push(&slots, end);
            heap_push(&out, end);
        }
        if (b >= 0) {
            u[b] = (credit_t - mark) / (double)m;
            c[b] = drawn / (double)m;
        }
        mark = credit_t;
    }
    gsl_rng_free(r);
    double mu = 0, mc = 0, suc = 0, scc = 0;
    for (long b = 0; b < batches; b++) mu += u[b], mc += c[b];
    mu /= (double)batches;
    mc /= (double)batches;
    for (long b = 0; b < batches; b++) {
        suc += (u[b] - mu) * (c[b] - mc);
        scc += (c[b] - mc) * (c[b] - mc);
    }
    double beta = scc > 0 ? suc / scc : 0, es = proc_mean(proc), res = 0;
    for (long b = 0; b < batches; b++) {
        double e = (u[b] - mu) - beta * (c[b] - mc);
        res += e * e;
    }
    free(store);
    double ustar = mu - beta * (mc - es);
    double se = sqrt(res / (double)(batches - 2) / (double)batches);
    if (rel_se) *rel_se = ustar > 0 ? se / ustar : 0;
    return ustar > 0 ? 1.0 / ustar : INFINITY;
}

#define TARGET_SE MQ_EST_TARGET_SE
#define MAX_SERVICES 4000000L

/* Numerical solutions already computed in this process (a pure function of
** its inputs, so the cache changes no result, only the time: runs of one
** scenario, replications and sweep points ask for the same channels). */
typedef struct cached {
    sim_dist proc;
    double overhead_s, rtt_s;
    int p, k;
    mq_est_rate r;
} cached;
#define NCACHE 64
static cached cache[NCACHE];
static size_t ncached, next_slot;
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;

static bool cache_get(const sim_dist *proc, double overhead_s, int p, int k, double d,
                      mq_est_rate *out)
{
    bool hit = false;
    pthread_mutex_lock(&cache_mu);
    for (size_t i = 0; i < ncached && !hit; i++) {
        const cached *c = &cache[i];
        if (c->proc.kind == proc->kind && c->proc.p1 == proc->p1 && c->proc.p2 == proc->p2 &&
            c->overhead_s == overhead_s && c->rtt_s == d && c->p == p && c->k == k) {
            *out = c->r;
            hit = true;
        }
    }
    pthread_mutex_unlock(&cache_mu);
    return hit;
}

static void cache_put(const sim_dist *proc, double overhead_s, int p, int k, double d,
                      mq_est_rate r)
{
    pthread_mutex_lock(&cache_mu);
    cache[next_slot] = (cached){*proc, overhead_s, d, p, k, r};
    next_slot = (next_slot + 1) % NCACHE;
    if (ncached < NCACHE) ncached++;
    pthread_mutex_unlock(&cache_mu);
}

#define P_CAP 2000 /* credits solved directly; more: see mq_est_channel */

/* The channel is a closed loop of p credits through a delay d (the round
** trip) and k slots. Far from its balance point one side binds alone:
** - the slots never starve when the credits in transit, about (k/t) d with
**   a variance of about (k/t) d cv^2 (the departures of a window d), leave
**   more than k for the slots by 10 standard deviations: rate k/t;
** - no credit ever waits for a slot when the credits at the slots, about
**   p t / (d + t) (binomial, variance below the mean), stay below k by 10
**   standard deviations: rate p / (d + t).
** The numerical recursion costs O(p) per batch, which for millions of
** credits with a long round trip takes minutes (it was found hanging
** `mqsim check`); the answer there is the bound to far below its error. */
static bool saturated(const sim_dist *proc, double t, int p, int k, double d, mq_est_rate *r)
{
    if (!(t > 0)) return false;
    double cv2 = fmax(1.0, sim_dist_variance(proc) / (t * t));
    double transit = (double)k / t * d;
    if ((double)p >= (double)k + transit + 10.0 * sqrt(transit * cv2) + 10.0 * sqrt((double)k)) {
        *r = (mq_est_rate){(double)k / t, 0, MQ_EST_SATURATED};
        return true;
    }
    double at_slots = (double)p * t / (d + t);
    if ((double)k >= at_slots + 10.0 * sqrt(at_slots) + 1.0) {
        *r = (mq_est_rate){(double)p / (d + t), 0, MQ_EST_SATURATED};
        return true;
    }
    return false;
}

/* The recursion, run until the error is small enough. */
static double numeric_rate(const sim_dist *proc, double overhead_s, int p, int k, double d,
                           double *se)
{
    double rate = 0;
    *se = 1;
    for (long n = 250000; *se > TARGET_SE && n <= MAX_SERVICES; n *= 4)
        rate = mq_est_channel_numeric(proc, overhead_s, p, k, d, n, se);
    return rate;
}

mq_est_rate mq_est_channel(const sim_dist *proc, double overhead_s, int p, int k, double d)
{
    double t = proc_mean(proc) + overhead_s;
    if (p <= k) return (mq_est_rate){p / (d + t), 0, MQ_EST_NO_QUEUE};
    if (proc->kind == SIM_DIST_CONSTANT || (proc->kind == SIM_DIST_UNIFORM && proc->p1 == proc->p2))
        return (mq_est_rate){mq_est_channel_bound(t, p, k, d), 0, MQ_EST_CONSTANT};
    if (proc->kind == SIM_DIST_EXPONENTIAL && overhead_s == 0)
        return (mq_est_rate){mq_est_channel_mva(t, p, k, d), 0, MQ_EST_MVA};
    mq_est_rate r;
    if (p > P_CAP && saturated(proc, t, p, k, d, &r)) return r;
    if (cache_get(proc, overhead_s, p, k, d, &r)) return r;
    double bound = mq_est_channel_bound(t, p, k, d), se = 1, rate = 0;
    /* A large prefetch costs p per cycle. The rate grows with p and never
    ** passes the bound, so when P_CAP credits already reach the bound to
    ** within the target error, so do p: the bound is the answer. */
    int pc = p;
    if (p > P_CAP) {
        double r0 = numeric_rate(proc, overhead_s, P_CAP, k, d, &se);
        if (r0 >= bound * (1 - 2 * TARGET_SE)) pc = 0, rate = bound;
    }
    if (pc) rate = numeric_rate(proc, overhead_s, pc, k, d, &se);
    /* near saturation the sampling error alone could pass the bound */
    r = (mq_est_rate){fmin(rate, bound), se, MQ_EST_NUMERIC};
    cache_put(proc, overhead_s, p, k, d, r);
    return r;
}

bool mq_est_channel_tractable(const sim_dist *proc, int p, int k, double d)
{
    mq_est_rate r;
    double t = proc_mean(proc);
    return p <= MQ_EST_PREFETCH_SOLVED || p <= k || proc->kind == SIM_DIST_CONSTANT ||
           (proc->kind == SIM_DIST_UNIFORM && proc->p1 == proc->p2) ||
           proc->kind == SIM_DIST_EXPONENTIAL || saturated(proc, t, p, k, d, &r);
}

mq_est_rate mq_est_group_rate(const mq_consumer_group *g, double rtt_s, double overhead_s)
{
    return mq_est_channel(&g->processing, overhead_s, g->prefetch, g->concurrency, rtt_s);
}

/* ---- fluid drain with consumers coming back ----------------------------- */

double mq_est_fluid_drain(double backlog, double mu, double lambda)
{
    if (backlog <= 0) return 0;
    return mu > lambda ? backlog / (mu - lambda) : INFINITY;
}

static int cmp_step(const void *a, const void *b)
{
    const mq_est_step *x = a, *y = b;
    return (x->at_s > y->at_s) - (x->at_s < y->at_s);
}

double mq_est_fluid_drain_steps(double backlog, mq_est_step *steps, size_t n)
{
    if (backlog <= 0) return 0;
    if (n > 0) qsort(steps, n, sizeof *steps, cmp_step);
    double b = backlog, t = 0, net = 0; /* net: consumed minus offered, msg/s */
    for (size_t i = 0; i <= n; i++) {
        double next = i < n ? steps[i].at_s : INFINITY;
        if (net > 0 && t + b / net <= next) return t + b / net;
        if (i == n) return INFINITY; /* everyone back, and still no faster than arrivals */
        b -= net * (next - t); /* grows while too few consumers are back */
        t = next;
        net += steps[i].rate;
        b += steps[i].take;
        if (b <= 0) return t; /* a returning consumer's prefetch took the rest */
    }
    return INFINITY;
}

/* ---- when each consumer consumes again ----------------------------------- */

/* First moment the client's broker lets it in again. */
static double reachable_at(const mq_world *w, const mq_conn *c)
{
    const mq_broker_rt *b = &w->brokers[c->broker];
    return fmax(b->down_until, b->blocked_until[mq_group_slot(w->s, c->consumer, c->group)]);
}

/* The attempts mq_conn.c makes from `first` on (waits at their mean, no
** jitter) until the broker is reachable at `reach`; INFINITY when it gives
** up first (max_attempts) or never gets in. */
static double attempts_until(const mq_conn *c, double first, double reach, int attempts, double wait)
{
    const mq_reconnect *r = c->cfg;
    double t = first;
    while (t < reach) {
        if (isinf(reach)) return INFINITY;
        attempts++;
        if (r->max_attempts > 0 && attempts >= r->max_attempts) return INFINITY;
        if (wait <= 0) wait = r->interval_s;
        else if (r->backoff == MQ_BACKOFF_EXPONENTIAL) wait = fmin(wait * r->multiplier, r->max_interval_s);
        if (!(wait > 0)) return reach; /* immediate retries: in at reach */
        t += wait;
    }
    return t;
}

/* When consumer c is consuming again (now if connected), INFINITY if it
** never is: its own recovery (the pending timer, then its backoff schedule
** against the broker's refusal window), or a scheduled application restart,
** whichever is first. The broker is the one the client was last on. */
static double back_at(const mq_world *w, const mq_conn *c, double now)
{
    const mq_reconnect *r = c->cfg;
    double reach = reachable_at(w, c), own = INFINITY;
    bool armed = sim_is_pending(w->sim, c->timer);
    switch (c->state) {
    case CONN_UP: return now;
    case CONN_DETECTING: {
        double noticed = armed ? c->timer_at : now;
        if (r->automatic) own = attempts_until(c, noticed + r->interval_s, reach, 0, r->interval_s);
        else if (r->app_restart_s >= 0)
            own = attempts_until(c, noticed + r->app_restart_s, reach, 0, c->wait_s);
        break;
    }
    case CONN_BACKOFF:
    case CONN_CUT_OFF:
        if (armed) own = attempts_until(c, c->timer_at, reach, c->attempts, c->wait_s);
        break;
    }
    double restart = mq_events_restart_back(w, c, now);
    return fmin(own, isinf(restart) ? restart : fmax(restart, reach));
}

static const char *state_text(const mq_conn *c)
{
    switch (c->state) {
    case CONN_UP: return "connected";
    case CONN_DETECTING: return "its peer silent, no recovery to follow";
    case CONN_BACKOFF: return "reconnecting, but it gives up before its broker lets it in";
    case CONN_CUT_OFF:
        return c->cfg->automatic ? "cut off after its last reconnect attempt"
                                 : "cut off, with no automatic recovery";
    }
    return "?";
}

/* Ready copies of scenario queue q: its own and, when a change gives it an
** alternate queue (a migration's destination), that one's (consumers of q
** read both). */
static double queue_ready(const mq_world *w, size_t q)
{
    uint32_t alt = w->change.ops->alt_queue ? w->change.ops->alt_queue(w, (uint32_t)q) : MQ_NONE;
    return (double)w->queues[q].ready.n + (alt != MQ_NONE ? (double)w->queues[alt].ready.n : 0);
}

/* One queue's drain: the steps of its consumers and producers. */
static double queue_drain(const mq_world *w, size_t q, const double *rate, int *live_in,
                          mq_est_step *steps, mq_est_drain *out, char *why, size_t nwhy)
{
    const mq_scenario *s = w->s;
    double now = sim_now(w->sim), mu = 0, lambda = 0;
    const mq_consumer *dead = NULL;
    size_t n = 0, live = 0, up = 0;
    for (size_t g = 0; g < s->nconsumers; g++) live_in[g] = 0;
    for (size_t i = 0; i < w->ncons; i++) {
        const mq_consumer *c = w->consumers[i];
        if ((size_t)c->g->queue != q) continue;
        double at = back_at(w, &c->conn, now);
        if (isinf(at)) {
            if (!dead) dead = c;
            continue;
        }
        double r = rate[c->conn.group];
        up += at <= now;
        out->pass_s = fmax(out->pass_s, s->run.rtt_s + proc_mean(&c->g->processing));
        /* back, it takes its free credits from the backlog at once */
        double take = at > now ? -(double)(c->g->prefetch - c->unacked) : 0;
        steps[n++] = (mq_est_step){at - now, r, take};
        mu += r;
        live_in[c->conn.group]++;
        live++;
    }
    /* Producers: a buffering one offers its sends from now (they reach the
    ** queue when it is back); one that retries offers the sends of its
    ** retry window before its return; one that drops them offers from its
    ** return; one that never returns offers nothing. */
    for (size_t i = 0; i < w->nprod; i++) {
        const mq_producer *p = w->producers[i];
        if ((size_t)p->g->queue != q) continue;
        double at = back_at(w, &p->conn, now);
        if (isinf(at)) continue;
        if (p->g->ondown == MQ_ONDOWN_BUFFER) at = now;
        else at = fmax(now, at - mq_producer_retry_span(w, p->g));
        double l = mq_rate_at_run(s, &p->g->rate, now) / p->g->count;
        steps[n++] = (mq_est_step){at - now, -l, 0};
        lambda += l;
    }
    out->lambda += lambda;
    double b = queue_ready(w, q), t = mq_est_fluid_drain_steps(b, steps, n);
    /* The last delivery taken sits behind the others in its channel: p of
    ** them (p / X by Little) when its consumer was connected all along; a
    ** consumer that comes back to a short queue holds its share of it. */
    for (size_t g = 0; g < s->nconsumers; g++) {
        const mq_consumer_group *cg = &s->consumers[g];
        if (!live_in[g] || (size_t)cg->queue != q) continue;
        int h = up ? cg->prefetch : (int)fmin(cg->prefetch, fmax(1, ceil(b / (double)live)));
        double x = h == cg->prefetch ? rate[g]
                                     : mq_est_channel(&cg->processing, 0, h, cg->concurrency,
                                                      s->run.rtt_s).rate;
        out->cycle_s = fmax(out->cycle_s, h / x);
    }
    if (isinf(t)) {
        const char *qn = s->queues[q].name;
        if (live == 0 && !dead)
            snprintf(why, nwhy, "queue '%s' has no consumer", qn);
        else if (live == 0)
            snprintf(why, nwhy,
                     "no consumer of queue '%s' is connected or will reconnect (group '%s': %s, "
                     "and no application restart is armed or scheduled)", qn, dead->g->name,
                     state_text(&dead->conn));
        else
            snprintf(why, nwhy,
                     "the consumers of queue '%s' that are connected or will reconnect take "
                     "%.6g msg/s, no more than the %.6g msg/s offered", qn, mu, lambda);
    }
    return t;
}

void mq_est_world_drain(const mq_world *w, mq_est_drain *out)
{
    const mq_scenario *s = w->s;
    *out = (mq_est_drain){0};
    /* one channel solution per group; one step per client */
    double *rate = calloc(s->nconsumers ? s->nconsumers : 1, sizeof *rate);
    int *live = calloc(s->nconsumers ? s->nconsumers : 1, sizeof *live);
    int *counted = calloc(s->nconsumers ? s->nconsumers : 1, sizeof *counted);
    mq_est_step *steps = calloc(w->ncons + w->nprod + 1, sizeof *steps);
    SIM_NEED(rate != NULL && live != NULL && counted != NULL && steps != NULL,
                "out of memory");
    out->worst_group = -1;
    for (size_t g = 0; g < s->nconsumers; g++) {
        mq_est_rate r = mq_est_group_rate(&s->consumers[g], s->run.rtt_s, 0);
        rate[g] = r.rate;
        if (r.rel_se > out->worst_se) out->worst_se = r.rel_se, out->worst_group = (int)g;
    }
    /* every queue drains on its own; the backlog is gone when the last is */
    for (size_t q = 0; q < s->nqueues; q++) {
        char why[sizeof out->never];
        double t = queue_drain(w, q, rate, live, steps, out, why, sizeof why);
        for (size_t g = 0; g < s->nconsumers; g++) counted[g] += live[g];
        if (isinf(t) && !isinf(out->fluid_s)) snprintf(out->never, sizeof out->never, "%s", why);
        out->fluid_s = fmax(out->fluid_s, t);
    }
    /* capacity per group, count x rate, as mq_scenario_consume_capacity */
    for (size_t g = 0; g < s->nconsumers; g++) out->mu += counted[g] * rate[g];
    free(rate);
    free(live);
    free(counted);
    free(steps);
}
