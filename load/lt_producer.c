/*
** lt_producer.c - the load tester's producer thread.
**
** Open-loop arrivals (Poisson or deterministic at the group's per-client
** rate, read from the rate schedule at each arrival), so a send delayed by
** an outage keeps its intended time. Each message's body is "ID
** INTENDED_S". Confirms are synchronous per message (publish, then wait for
** basic.ack up to send_timeout): simple, exact, and on loopback a confirm
** takes well under a millisecond, far below the inter-send gap of a
** validation scenario; a wake-up or a confirm later than LT_STALL_MIN_S
** is logged as a stall of the tester (lt_track_stall), not of the system
** under test. A send that cannot be made follows on_disconnect:
** retry (`retries` more attempts, `retry_backoff` apart, then lost), buffer
** (wait for the reconnect) or drop (lost), as in models/mq_producer.c.
**
** Where a send lands is the server's business: the producer publishes to
** the run's exchange (ctx->exchange: the default one, or one whose routing
** a replayed change alters on the server) on the node its connection went
** to (lt_route_node), and never switches by itself.
*/
#include "load/lt_client_int.h"
#include "models/mq_model.h"
#include "sim/sim_rng.h"

#include <gsl/gsl_randist.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PENDING_CAP 65536

typedef struct pend {
    uint32_t id;
    int retries_left;
    double next_try;
} pend;

typedef struct prod {
    lt_client *c;
    const mq_producer_group *g;
    amqp_connection_state_t conn;
    uint64_t tag;              /* last delivery tag published */
    pend *q;
    size_t head, n;
    lt_recon r;
} prod;

static int publish_confirmed(prod *p, uint32_t id)
{
    lt_ctx *x = p->c->ctx;
    const mq_scenario *s = x->s;
    char body[64];
    double intended;
    pthread_mutex_lock(&x->track->mu);
    intended = x->track->intended[id];
    pthread_mutex_unlock(&x->track->mu);
    int len = lt_body_format(body, sizeof body, id, intended);
    amqp_basic_properties_t props = {._flags = AMQP_BASIC_DELIVERY_MODE_FLAG,
                                     .delivery_mode = 2}; /* persistent: survives a restart */
    amqp_bytes_t b = {.len = (size_t)len, .bytes = body};
    int st = amqp_basic_publish(p->conn, 1, amqp_cstring_bytes(x->exchange),
                                amqp_cstring_bytes(s->queues[p->g->queue].name), 0, 0, &props, b);
    if (st != AMQP_STATUS_OK) return -1;
    p->tag++;
    if (!p->g->confirms) return 0;
    double deadline = lt_now(x) + p->g->send_timeout_s;
    for (int guard = 0; guard < 1000; guard++) {
        double left = deadline - lt_now(x);
        if (left <= 0) return -1;
        struct timeval tv = lt_tv(fmin(left, LT_SLICE_S));
        amqp_frame_t f;
        st = amqp_simple_wait_frame_noblock(p->conn, &f, &tv);
        if (st == AMQP_STATUS_TIMEOUT) continue;
        if (st != AMQP_STATUS_OK) return -1;
        if (f.frame_type != AMQP_FRAME_METHOD) continue;
        if (f.payload.method.id == AMQP_BASIC_ACK_METHOD) {
            amqp_basic_ack_t *a = f.payload.method.decoded;
            if (a->delivery_tag >= p->tag || (a->multiple && a->delivery_tag >= p->tag)) return 0;
            continue;
        }
        if (f.payload.method.id == AMQP_BASIC_NACK_METHOD) return -1;
        if (f.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD ||
            f.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD)
            return -1;
    }
    return -1;
}

static void push_pend(prod *p, uint32_t id, int retries, double next)
{
    lt_track *t = p->c->ctx->track;
    if (p->n == PENDING_CAP) { /* bounded client buffer: the send is lost */
        pthread_mutex_lock(&t->mu);
        t->lost_send_failed++;
        pthread_mutex_unlock(&t->mu);
        return;
    }
    p->q[(p->head + p->n) % PENDING_CAP] = (pend){id, retries, next};
    p->n++;
}

/* The send of e failed or could not be made now: follow on_disconnect. */
static void send_failed(prod *p, pend e, double now)
{
    lt_track *t = p->c->ctx->track;
    if (p->g->ondown == MQ_ONDOWN_BUFFER) {
        push_pend(p, e.id, e.retries_left, INFINITY);
    } else if (p->g->ondown == MQ_ONDOWN_RETRY && e.retries_left > 0) {
        push_pend(p, e.id, e.retries_left - 1, now + p->g->retry_backoff_s);
    } else {
        pthread_mutex_lock(&t->mu);
        t->lost_send_failed++;
        pthread_mutex_unlock(&t->mu);
    }
}

static void prod_down(prod *p, double now)
{
    lt_disconnect(p->conn, false);
    p->conn = NULL;
    lt_went_down(p->c, &p->r, now);
}

static int prod_connect(prod *p, double now, bool first)
{
    lt_ctx *x = p->c->ctx;
    char name[160];
    lt_conn_name(p->c, NULL, name, sizeof name);
    if (!first && lt_blocked(p->c, now)) return -1;
    int node = lt_route_node(x);
    amqp_connection_state_t c = lt_connect(&x->nodes[node], LT_CONNECT_TIMEOUT_S, name, NULL);
    if (!c) return -1;
    if (p->g->confirms) {
        amqp_confirm_select(c, 1);
        if (amqp_get_rpc_reply(c).reply_type != AMQP_RESPONSE_NORMAL) {
            lt_disconnect(c, false);
            return -1;
        }
    }
    p->conn = c;
    p->tag = 0;
    lt_went_up(p->c, c, node, lt_now(x), first);
    /* buffered sends are due now */
    for (size_t i = 0; i < p->n; i++) {
        pend *e = &p->q[(p->head + i) % PENDING_CAP];
        if (isinf(e->next_try)) e->next_try = now;
    }
    return 0;
}

static double next_gap(prod *p, gsl_rng *rng, double t)
{
    const mq_scenario *s = p->c->ctx->s;
    double rate = mq_rate_at_run(s, &p->g->rate, t) / p->g->count;
    if (rate <= 0) return LT_SLICE_S; /* idle step: look again shortly */
    double u = p->g->rate.arrivals == MQ_ARRIVALS_POISSON ? gsl_ran_exponential(rng, 1.0) : 1.0;
    return u / rate;
}

void *lt_producer_main(void *arg)
{
    lt_client *c = arg;
    lt_ctx *x = c->ctx;
    prod p = {.c = c, .g = &x->s->producers[c->group]};
    p.q = malloc(PENDING_CAP * sizeof *p.q);
    gsl_rng *arr = sim_rng_new(c->seed, 0, sim_mix64(sim_hash_str(p.g->name) + (uint64_t)c->index),
                               sim_hash_str("arrivals"));
    p.r.cfg = &p.g->reconnect;
    p.r.rng = sim_rng_new(c->seed, 0, sim_mix64(sim_hash_str(p.g->name) + (uint64_t)c->index),
                          sim_hash_str("reconnect"));
    if (!p.q || !arr || !p.r.rng) goto out;
    /* random start offset so deterministic senders do not fire together */
    double t_next = next_gap(&p, arr, 0) * (p.g->rate.arrivals == MQ_ARRIVALS_POISSON ? 1.0
                                              : gsl_rng_uniform(arr));
    if (prod_connect(&p, lt_now(x), true)) lt_start_cut_off(c, &p.r);
    while (!x->stop_producers) {
        double now = lt_now(x);
        if (now >= x->duration_s) break;
        if (lt_take_restart(c, &p.r) && p.conn) prod_down(&p, now);
        if (!p.conn && now >= p.r.next_try) {
            if (prod_connect(&p, now, false)) lt_failed_attempt(&p.r, now);
            now = lt_now(x);
        }
        while (t_next <= now && t_next < x->duration_s) {
            uint32_t id = lt_track_new(x->track, t_next, false);
            if (id == UINT32_MAX) { x->stop_producers = 1; break; }
            push_pend(&p, id, p.g->retries, t_next);
            t_next += next_gap(&p, arr, t_next);
        }
        /* work through due sends, oldest first, bounded by the queue size */
        size_t todo = p.n;
        for (size_t k = 0; k < todo && p.n > 0; k++) {
            pend e = p.q[p.head];
            p.head = (p.head + 1) % PENDING_CAP;
            p.n--;
            if (e.next_try > now) { push_pend(&p, e.id, e.retries_left, e.next_try); continue; }
            double t_send = lt_now(x);
            if (p.conn && publish_confirmed(&p, e.id) == 0) {
                lt_track_confirmed(x->track, e.id);
                lt_track_stall(x->track, t_send, lt_now(x)); /* a confirm that took long */
                continue;
            }
            if (p.conn) prod_down(&p, lt_now(x));
            send_failed(&p, e, lt_now(x));
        }
        pthread_mutex_lock(&x->mu);
        c->held = p.n;
        pthread_mutex_unlock(&x->mu);
        double wake = fmin(t_next, now + LT_SLICE_S);
        if (!p.conn) wake = fmin(wake, p.r.next_try);
        for (size_t k = 0; k < p.n; k++) wake = fmin(wake, p.q[(p.head + k) % PENDING_CAP].next_try);
        double t_sleep = lt_now(x);
        lt_sleep(wake - t_sleep);
        lt_track_stall(x->track, fmax(wake, t_sleep), lt_now(x)); /* woke up late */
        if (p.conn) amqp_maybe_release_buffers(p.conn);
    }
out:
    pthread_mutex_lock(&x->mu);
    c->held = p.n;
    pthread_mutex_unlock(&x->mu);
    lt_disconnect(p.conn, true);
    free(p.q);
    gsl_rng_free(arr);
    gsl_rng_free(p.r.rng);
    return NULL;
}

