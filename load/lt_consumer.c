/*
** lt_consumer.c - the load tester's consumer thread.
**
** A consumer processes one delivery at a time (concurrency 1): it sleeps
** the sampled processing time, records the completion by id (a second
** completion is a duplicate), then acks (unless ack: auto). Deliveries are
** read from the socket(s) as they arrive into the client's own FIFO and
** processed in arrival order, as a client library's dispatch queue does; a
** connection the server closed is noticed when its close frame is read,
** and the deliveries already received before it are still processed (their
** ack cannot be sent: the broker has requeued them, so they come back as
** duplicates - the behaviour docs/VALIDATION.md measures), unless the
** group's process_buffer_on_close is false (the default of the pika and
** go-amqp091 profiles, whose libraries drop them: checked against the real
** libraries).
**
** Legs. In a plain run the consumer has one connection (its "home"): qos
** prefetch, basic.consume, push deliveries. When a change runs two nodes,
** the routing layer it emulates decides what the consumer reads (the
** model's mq_queue_take), asked before every read (lt_read_plan, an
** lt_reads): the queues it consumes by push, and whether it also pulls the
** source's: then the pushed queue comes first and the source's is pulled
** with basic.get whenever the client holds fewer than P (prefetch)
** deliveries, so one prefetch window spans both clusters and the source
** only gets the credit the other leaves, as in the model; the get is
** pipelined (sent, answered while the consumer processes) and an empty one
** is retried every PULL_IDLE_S.
** A consumer whose home is one node holds a second connection (a "leg") to
** the other while it must read there: it stands for the routing layer's
** path, not for a client connection, so the change never closes it and
** its loss only re-opens it. Losing the home connection drops every leg
** (the client is down), and reconnects follow the scenario's plan.
**
** The state at a close. When the server closes the client's connection,
** the consumer records what it held unacked at that moment: the deliveries
** read into its FIFO before the close frame (the broker requeued them all)
** and, when it processed a delivery since the last read that found the
** connection open, that delivery (its ack went into the closed
** connection), plus its own scheduling lag (how late its sleeps and polls
** woke up, at most, in the 2-4 s before). The run reports the model's duplicates
** for that recorded state (mq_consumer_close_duplicates), so a host stall
** that fills the buffer before a close changes the prediction's input the
** same way it changes the real outcome (docs/VALIDATION.md).
**
** Bounds: the FIFO holds at most FIFO_CAP(prefetch) entries (reading stops
** when full: TCP back-pressure), one basic.get is outstanding at most,
** every wait is <= LT_SLICE_S, every socket call has a timeout.
*/
#include "load/lt_client_int.h"
#include "models/mq_model.h"
#include "sim/sim_rng.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PULL_IDLE_S 0.005     /* re-poll an empty source queue this often */
#define LEG_RETRY_S 0.5       /* re-open a lost routing leg after this */
#define PUSH_CH 1             /* channel of basic.consume */
#define PULL_CH 2             /* channel of basic.get */
#define MAX_SLEEP_DEBT_S 0.05 /* a stall longer than this is not made up */
#define LATE_BUCKET_S 2.0     /* the lag before a close: the last 2-4 s */

typedef struct delivery {
    uint32_t id;
    uint32_t gen;             /* the leg's generation when it arrived */
    uint64_t tag;
    uint8_t node, channel, redelivered;
} delivery;

typedef struct leg {
    amqp_connection_state_t conn; /* NULL = closed */
    uint32_t gen;             /* bumped at every open: stale acks are skipped */
    bool pushing;             /* basic.consume active on PUSH_CH */
    bool pull_open;           /* PULL_CH open */
    bool get_pending;         /* a basic.get sent, its answer not read yet */
    char ctag[128];           /* consumer tag of the push */
    double next_open;         /* routing leg: earliest re-open */
    double next_get;          /* pull: earliest next basic.get */
} leg;

typedef struct cons {
    lt_client *c;
    lt_ctx *x;
    const mq_consumer_group *g;
    leg legs[LT_NODES];
    int home;                 /* node of the client's own connection; -1 down */
    bool pull_src;            /* the plan reads the source by basic.get */
    delivery *fifo;
    size_t head, n, cap;
    uint32_t gen_seq;
    lt_recon r;
    gsl_rng *proc;
    double sleep_debt;        /* processing slept too long by this much so far */
    double busy_since;        /* end of the last processing if more was waiting */
    int src_unacked;          /* the value last published to c->src_unacked */
    bool ack_unchecked;       /* a delivery was acked since the last read that
                                 found the home connection open */
    long late_bucket;            /* LATE_BUCKET_S bucket of the latest wake-up noted */
    double late_cur, late_prev; /* largest lateness in that bucket, the one before */
} cons;

/* The deliveries a client may hold: one prefetch window per pushing leg,
** plus stale entries of a leg just lost. */
static size_t fifo_cap(int prefetch)
{
    return 4 * (size_t)prefetch + 64;
}

static const char *queue_name(const cons *k)
{
    return k->x->s->queues[k->g->queue].name;
}

/* ---- legs ------------------------------------------------------------------ */

static bool fifo_has_leg(const cons *k, int node)
{
    for (size_t i = 0; i < k->n; i++) {
        const delivery *d = &k->fifo[(k->head + i) % k->cap];
        if (d->node == node && d->gen == k->legs[node].gen) return true;
    }
    return false;
}

static void leg_close(cons *k, int node, bool polite)
{
    leg *l = &k->legs[node];
    lt_disconnect(l->conn, polite);
    l->conn = NULL;
    l->pushing = l->pull_open = l->get_pending = false;
}

static int leg_open(cons *k, int node, double now)
{
    char name[160];
    lt_conn_name(k->c, node == k->home ? NULL : "/routing", name, sizeof name);
    leg *l = &k->legs[node];
    l->conn = lt_connect(&k->x->nodes[node], LT_CONNECT_TIMEOUT_S, name, NULL);
    if (!l->conn) {
        l->next_open = now + LEG_RETRY_S;
        return -1;
    }
    l->gen = ++k->gen_seq;
    l->pushing = l->pull_open = l->get_pending = false;
    l->next_get = now;
    return 0;
}

static int push_start(cons *k, int node)
{
    leg *l = &k->legs[node];
    int pf = k->g->prefetch > 65535 ? 65535 : k->g->prefetch;
    amqp_basic_qos(l->conn, PUSH_CH, 0, (uint16_t)pf, 0);
    if (amqp_get_rpc_reply(l->conn).reply_type != AMQP_RESPONSE_NORMAL) return -1;
    amqp_basic_consume_ok_t *ok =
        amqp_basic_consume(l->conn, PUSH_CH, amqp_cstring_bytes(queue_name(k)), amqp_empty_bytes, 0,
                           k->g->ack == MQ_ACK_AUTO, 0, amqp_empty_table);
    if (!ok || amqp_get_rpc_reply(l->conn).reply_type != AMQP_RESPONSE_NORMAL) return -1;
    size_t n = ok->consumer_tag.len < sizeof l->ctag - 1 ? ok->consumer_tag.len : sizeof l->ctag - 1;
    memcpy(l->ctag, ok->consumer_tag.bytes, n);
    l->ctag[n] = '\0';
    l->pushing = true;
    return 0;
}

/* basic.cancel: deliveries already sent stay queued in rabbitmq-c and are
** still read and processed. */
static int push_stop(cons *k, int node)
{
    leg *l = &k->legs[node];
    if (!amqp_basic_cancel(l->conn, PUSH_CH, amqp_cstring_bytes(l->ctag))) return -1;
    l->pushing = false;
    return 0;
}

static int pull_start(cons *k, int node)
{
    leg *l = &k->legs[node];
    if (!amqp_channel_open(l->conn, PULL_CH)) return -1;
    l->pull_open = true;
    return 0;
}

/* A wait that was due to end at `due` ended at `now`: keep the largest
** lateness of the current LATE_BUCKET_S bucket and of the one before, and
** log a stall of the tester when it is long (lt_track_stall). */
static void note_late(cons *k, double due, double now)
{
    long b = (long)floor(now / LATE_BUCKET_S);
    if (b != k->late_bucket) {
        k->late_prev = b == k->late_bucket + 1 ? k->late_cur : 0;
        k->late_cur = 0;
        k->late_bucket = b;
    }
    k->late_cur = fmax(k->late_cur, now - due);
    lt_track_stall(k->x->track, due, now);
}

/* The largest lateness noted in the last one to two buckets. */
static double recent_late(const cons *k, double now)
{
    long b = (long)floor(now / LATE_BUCKET_S);
    if (b == k->late_bucket) return fmax(k->late_cur, k->late_prev);
    return b == k->late_bucket + 1 ? k->late_cur : 0;
}

/* The server closed the client's connection (seen at now, before any leg
** is closed): record what the client held unacked then. Buffered: the
** FIFO's deliveries of legs still open (a leg lost earlier had its
** deliveries requeued then). Busy: the delivery acked since the last read
** that found the connection open (one at most: the loop reads after every
** delivery). */
static void record_close(cons *k, double now)
{
    uint64_t buffered = 0, busy = k->ack_unchecked;
    for (size_t i = 0; i < k->n; i++) {
        const delivery *d = &k->fifo[(k->head + i) % k->cap];
        const leg *l = &k->legs[d->node];
        buffered += l->conn && d->gen == l->gen;
    }
    lt_client *c = k->c;
    c->closes++;
    c->close_busy += busy;
    c->close_buffered += buffered;
    c->close_dup_model += mq_consumer_close_duplicates(k->g, busy, buffered);
    c->close_lag_s = fmax(c->close_lag_s, recent_late(k, now));
}

/* The client's own connection is gone (closed: by the server or the
** network, not by the application): every leg with it. A library that
** does not hand over what it had read (the profile's
** process_buffer_on_close: pika, amqp091-go) loses its buffer with it. */
static void cons_down(cons *k, double now, bool closed)
{
    if (closed) record_close(k, now);
    k->ack_unchecked = false;
    for (int n = 0; n < LT_NODES; n++) leg_close(k, n, false);
    if (!mq_consumer_buffer_on_close(k->g)) k->n = 0;
    k->home = -1;
    lt_went_down(k->c, &k->r, now);
}

static void leg_failed(cons *k, int node, double now)
{
    if (node == k->home) {
        cons_down(k, now, true);
    } else {
        leg_close(k, node, false);
        k->legs[node].next_open = now + LEG_RETRY_S;
    }
}

/* Open the home connection on the node the routing layer picks. */
static int cons_connect(cons *k, double now, bool first)
{
    if (!first && lt_blocked(k->c, now)) return -1;
    int node = lt_route_node(k->x);
    k->home = node;
    if (leg_open(k, node, now)) {
        k->home = -1;
        return -1;
    }
    lt_went_up(k->c, k->legs[node].conn, node, lt_now(k->x), first);
    return 0;
}

/* Make the legs match what the routing layer lets the consumer read now. */
static void reconcile(cons *k, double now)
{
    lt_reads rd;
    lt_read_plan(k->x, k->home, &rd);
    const bool *push = rd.push;
    k->pull_src = rd.pull_src;
    for (int n = 0; n < LT_NODES && k->home >= 0; n++) {
        leg *l = &k->legs[n];
        bool pull = n == LT_SRC && k->pull_src;
        bool need = push[n] || pull || n == k->home;
        if (!l->conn) {
            if (!need || now < l->next_open || leg_open(k, n, now)) continue;
        } else if (!need) {
            if (!fifo_has_leg(k, n)) leg_close(k, n, true);
            continue;
        }
        int rc = 0;
        if (push[n] && !l->pushing) rc = push_start(k, n);
        else if (!push[n] && l->pushing) rc = push_stop(k, n);
        if (rc == 0 && pull && !l->pull_open) rc = pull_start(k, n);
        if (rc) leg_failed(k, n, now);
    }
}

/* ---- reading ------------------------------------------------------------ */

static void fifo_push(cons *k, delivery d)
{
    SIM_ASSERT(k->n < k->cap);
    k->fifo[(k->head + k->n) % k->cap] = d;
    k->n++;
}

static bool readable(amqp_connection_state_t c, int timeout_ms)
{
    if (amqp_frames_enqueued(c) || amqp_data_in_buffer(c)) return true;
    struct pollfd p = {.fd = amqp_get_sockfd(c), .events = POLLIN};
    return poll(&p, 1, timeout_ms) > 0;
}

/* A frame other than a delivery is waiting on leg node: the answer to our
** basic.get, or the server closing the channel or connection. 0 when the
** leg is still usable. */
static int read_method(cons *k, int node, double now)
{
    leg *l = &k->legs[node];
    amqp_frame_t f;
    struct timeval tv = lt_tv(LT_SLICE_S);
    if (amqp_simple_wait_frame_noblock(l->conn, &f, &tv) != AMQP_STATUS_OK ||
        (f.frame_type == AMQP_FRAME_METHOD && (f.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD ||
                                               f.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD))) {
        leg_failed(k, node, now);
        return -1;
    }
    if (f.frame_type != AMQP_FRAME_METHOD) return 0;
    if (f.payload.method.id == AMQP_BASIC_GET_EMPTY_METHOD) {
        l->get_pending = false;
        l->next_get = now + PULL_IDLE_S;
        return 0;
    }
    if (f.payload.method.id != AMQP_BASIC_GET_OK_METHOD) return 0;
    amqp_basic_get_ok_t *ok = f.payload.method.decoded;
    delivery d = {.gen = l->gen, .tag = ok->delivery_tag, .node = (uint8_t)node,
                  .channel = (uint8_t)f.channel, .redelivered = ok->redelivered};
    l->get_pending = false;
    amqp_message_t msg;
    if (amqp_read_message(l->conn, f.channel, &msg, 0).reply_type != AMQP_RESPONSE_NORMAL) {
        leg_failed(k, node, now);
        return -1;
    }
    d.id = lt_body_id(msg.body.bytes, msg.body.len);
    amqp_destroy_message(&msg);
    fifo_push(k, d);
    return 0;
}

/* Read every delivery that has arrived, destination first. A read error
** (the server's close, a reset) takes the leg down. */
static void pump(cons *k, double now)
{
    static const int order[LT_NODES] = {LT_DST, LT_SRC};
    for (int i = 0; i < LT_NODES; i++) {
        int n = order[i];
        leg *l = &k->legs[n];
        for (size_t guard = 0; l->conn && k->n < k->cap && guard < k->cap; guard++) {
            if (!readable(l->conn, 0)) break;
            amqp_envelope_t env;
            struct timeval tv = lt_tv(LT_SLICE_S);
            amqp_rpc_reply_t rep = amqp_consume_message(l->conn, &env, &tv, 0);
            if (rep.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
                rep.library_error == AMQP_STATUS_TIMEOUT)
                break;
            if (rep.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
                rep.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
                if (read_method(k, n, now)) break; /* the leg is gone */
                continue;
            }
            if (rep.reply_type != AMQP_RESPONSE_NORMAL) {
                leg_failed(k, n, now);
                break;
            }
            fifo_push(k, (delivery){.id = lt_body_id(env.message.body.bytes, env.message.body.len),
                                    .gen = l->gen, .tag = env.delivery_tag, .node = (uint8_t)n,
                                    .channel = PUSH_CH, .redelivered = env.redelivered});
            amqp_destroy_envelope(&env);
        }
        if (l->conn) amqp_maybe_release_buffers(l->conn);
    }
    if (k->home >= 0) k->ack_unchecked = false; /* read to the end: still open */
}

/* Dual read: while the window has room, ask the source for one message.
** The basic.get is sent without waiting (its answer is read by pump), so
** processing never waits for the round trip; one is outstanding at most. */
static void pull(cons *k, double now)
{
    leg *l = &k->legs[LT_SRC];
    if (!k->pull_src || !l->conn || !l->pull_open || l->get_pending || now < l->next_get ||
        k->n >= (size_t)k->g->prefetch)
        return;
    amqp_basic_get_t req = {.queue = amqp_cstring_bytes(queue_name(k)),
                            .no_ack = k->g->ack == MQ_ACK_AUTO};
    if (amqp_send_method(l->conn, PULL_CH, AMQP_BASIC_GET_METHOD, &req) != AMQP_STATUS_OK) {
        leg_failed(k, LT_SRC, now);
        return;
    }
    l->get_pending = true;
}

/* Wait (<= until) for something to read on any open leg. */
static void wait_input(cons *k, double until)
{
    struct pollfd p[LT_NODES];
    int np = 0;
    for (int n = 0; n < LT_NODES; n++) {
        amqp_connection_state_t c = k->legs[n].conn;
        if (!c) continue;
        if (amqp_frames_enqueued(c) || amqp_data_in_buffer(c)) return;
        p[np++] = (struct pollfd){.fd = amqp_get_sockfd(c), .events = POLLIN};
    }
    double t0 = lt_now(k->x), left = fmin(until - t0, LT_SLICE_S);
    if (left <= 0) return;
    if (np == 0) {
        lt_sleep(left);
        note_late(k, t0 + left, lt_now(k->x));
        return;
    }
    int ms = (int)(left * 1000) + 1, rc;
    while ((rc = poll(p, (nfds_t)np, ms)) < 0 && errno == EINTR) {}
    if (rc == 0) note_late(k, t0 + ms * 1e-3, lt_now(k->x));
}

/* ---- processing ------------------------------------------------------------ */

/* Deliveries taken from the source and not acked yet (manual ack): the
** received ones of the live source leg, plus busy (being processed, or
** NULL), published for a change that waits until the source holds none.
** Deliveries still on the wire are not seen: such a wait can end at most
** one transit early. */
static void publish_src_unacked(cons *k, const delivery *busy)
{
    if (k->x->nnodes < 2) return; /* one node: nobody reads it */
    const leg *l = &k->legs[LT_SRC];
    int n = 0;
    if (k->g->ack == MQ_ACK_MANUAL && l->conn) {
        for (size_t i = 0; i < k->n; i++) {
            const delivery *d = &k->fifo[(k->head + i) % k->cap];
            n += d->node == LT_SRC && d->gen == l->gen;
        }
        n += busy && busy->node == LT_SRC && busy->gen == l->gen;
    }
    if (n == k->src_unacked) return;
    k->src_unacked = n;
    pthread_mutex_lock(&k->x->mu);
    k->c->src_unacked = n;
    pthread_mutex_unlock(&k->x->mu);
}

static void process_one(cons *k)
{
    lt_ctx *x = k->x;
    delivery d = k->fifo[k->head];
    k->head = (k->head + 1) % k->cap;
    k->n--;
    pthread_mutex_lock(&x->mu);
    k->c->in_flight = 1;
    pthread_mutex_unlock(&x->mu);
    publish_src_unacked(k, &d);
    /* Processing is emulated by a sleep, which wakes ~0.1 ms late on this
    ** kind of machine (timer slack plus wake-up): carry the excess over to
    ** the next sleeps so that the mean processing time is the scenario's. */
    double want = fmax(0, sim_dist_sample(&k->g->processing, k->proc));
    double t0 = lt_now(x);
    lt_sleep(want - k->sleep_debt);
    double now = lt_now(x);
    note_late(k, t0 + fmax(want - k->sleep_debt, 0), now);
    k->sleep_debt = fmin(fmax(k->sleep_debt + (now - t0) - want, 0), MAX_SLEEP_DEBT_S);
    if (k->busy_since > 0) { /* back to back: one whole service time */
        k->c->busy_s += now - k->busy_since;
        k->c->busy_drawn_s += want;
        k->c->busy_n++;
    }
    k->busy_since = k->n > 0 ? now : 0;
    if (d.id != UINT32_MAX && lt_track_consumed(x->track, d.id, now, d.redelivered))
        k->c->duplicates++;
    pthread_mutex_lock(&x->mu);
    k->c->in_flight = 0;
    pthread_mutex_unlock(&x->mu);
    leg *l = &k->legs[d.node];
    if (k->g->ack != MQ_ACK_MANUAL || !l->conn || l->gen != d.gen) return; /* stale: requeued */
    k->ack_unchecked = true;
    if (amqp_basic_ack(l->conn, d.channel, d.tag, 0) != AMQP_STATUS_OK) leg_failed(k, d.node, now);
    else if (d.node == LT_SRC) k->c->src_done_at = now;
    publish_src_unacked(k, NULL);
}

void *lt_consumer_main(void *arg)
{
    lt_client *c = arg;
    lt_ctx *x = c->ctx;
    const mq_consumer_group *g = &x->s->consumers[c->group];
    uint64_t entity = sim_mix64(sim_hash_str(g->name) + (uint64_t)c->index);
    cons k = {.c = c, .x = x, .g = g, .home = -1, .cap = fifo_cap(g->prefetch)};
    k.proc = sim_rng_new(c->seed, 0, entity, sim_hash_str("processing"));
    k.r = (lt_recon){.cfg = &g->reconnect, .rng = sim_rng_new(c->seed, 0, entity, sim_hash_str("reconnect"))};
    k.fifo = malloc(k.cap * sizeof *k.fifo);
    if (!k.proc || !k.r.rng || !k.fifo) goto out;
    if (cons_connect(&k, lt_now(x), true)) lt_start_cut_off(c, &k.r);
    while (!x->stop_consumers) {
        double now = lt_now(x);
        if (lt_take_restart(c, &k.r) && k.home >= 0) cons_down(&k, now, false);
        publish_src_unacked(&k, NULL); /* a lost source leg holds nothing */
        if (k.home < 0) {
            if (now >= k.r.next_try) {
                if (cons_connect(&k, now, false)) lt_failed_attempt(&k.r, now);
            } else if (k.n > 0) {
                process_one(&k); /* received before the loss: the app finishes them */
            } else {
                lt_sleep(fmin(LT_SLICE_S, k.r.next_try - now));
            }
            continue;
        }
        reconcile(&k, now);
        if (k.home < 0) continue;
        pump(&k, now);
        if (k.home < 0) continue;
        pull(&k, lt_now(x));
        publish_src_unacked(&k, NULL); /* what pump and pull received */
        if (k.n > 0) {
            process_one(&k);
            continue;
        }
        leg *src = &k.legs[LT_SRC];
        bool will_pull = k.pull_src && src->conn && src->pull_open && !src->get_pending;
        wait_input(&k, will_pull ? src->next_get : now + LT_SLICE_S);
    }
out:
    for (int n = 0; n < LT_NODES; n++) leg_close(&k, n, true);
    free(k.fifo);
    gsl_rng_free(k.proc);
    gsl_rng_free(k.r.rng);
    return NULL;
}
