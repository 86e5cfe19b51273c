/*
** lt_client.c - URL rule, bounded connect, and the producer / consumer
** threads of the load tester (see lt_client.h for the threading design).
**
** Producer: open-loop arrivals (Poisson or deterministic at the group's
** per-client rate, read from the rate schedule at each arrival), so a send
** delayed by an outage keeps its intended time. Each message's body is
** "ID INTENDED_S". Confirms are synchronous per message (publish, then wait
** for basic.ack up to send_timeout): simple, exact, and on loopback a
** confirm takes well under a millisecond, far below the inter-send gap of a
** validation scenario. A send that cannot be made follows on_disconnect:
** retry (`retries` more attempts, `retry_backoff` apart, then lost), buffer
** (wait for the reconnect) or drop (lost), as in models/mq_producer.c.
**
** Consumer: basic.qos(prefetch), basic.consume (no_ack for ack: auto), then
** consume one delivery at a time (concurrency 1): sleep the sampled
** processing time, record the completion by id (a second completion is a
** duplicate), ack. A failed read or ack means the connection is gone.
**
** Reconnects follow the scenario's mq_reconnect exactly as models/mq_conn.c
** does: automatic -> wait `interval` (fixed/exponential, jitter) between
** attempts, up to max_attempts; otherwise wait app_restart (or forever).
** A group under a `disconnect` event with a duration is refused until it
** ends; that refusal is emulated here (the broker has no per-group ban).
*/
#include "load/lt_client.h"
#include "models/mq_world.h"
#include "sim/sim_rng.h"

#include <gsl/gsl_randist.h>

#include <amqp_tcp_socket.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <time.h>

#define CONNECT_TIMEOUT_S 3.0
#define SLICE_S 0.1
#define PENDING_CAP 65536

/* ---- URL and loopback -------------------------------------------------- */

static int copy_part(char *dst, size_t n, const char *src, size_t len)
{
    if (len >= n) return -1;
    memcpy(dst, src, len);
    dst[len] = '\0';
    return 0;
}

int lt_url_parse(const char *s, lt_url *u, sim_err *err)
{
    memset(u, 0, sizeof *u);
    strcpy(u->user, "guest");
    strcpy(u->pass, "guest");
    strcpy(u->vhost, "/");
    u->port = 5672;
    if (!s || strncmp(s, "amqp://", 7))
        return sim_err_set(err, "broker address '%s' must start with amqp://", s ? s : "");
    const char *p = s + 7;
    const char *slash = strchr(p, '/');
    const char *end = slash ? slash : p + strlen(p);
    const char *at = memchr(p, '@', (size_t)(end - p));
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        const char *ue = colon ? colon : at;
        if (copy_part(u->user, sizeof u->user, p, (size_t)(ue - p)) ||
            (colon && copy_part(u->pass, sizeof u->pass, colon + 1, (size_t)(at - colon - 1))))
            return sim_err_set(err, "broker address '%s': user or password too long", s);
        p = at + 1;
    }
    const char *hend;
    if (*p == '[') { /* [v6] */
        const char *rb = memchr(p, ']', (size_t)(end - p));
        if (!rb) return sim_err_set(err, "broker address '%s': missing ']'", s);
        if (copy_part(u->host, sizeof u->host, p + 1, (size_t)(rb - p - 1)))
            return sim_err_set(err, "broker address '%s': host too long", s);
        hend = rb + 1;
    } else {
        hend = memchr(p, ':', (size_t)(end - p));
        if (!hend) hend = end;
        if (copy_part(u->host, sizeof u->host, p, (size_t)(hend - p)))
            return sim_err_set(err, "broker address '%s': host too long", s);
    }
    if (!u->host[0]) return sim_err_set(err, "broker address '%s' has no host", s);
    if (hend < end) {
        if (*hend != ':') return sim_err_set(err, "broker address '%s': junk after the host", s);
        char *e;
        errno = 0;
        long port = strtol(hend + 1, &e, 10);
        if (errno || e != end || hend + 1 == end || port < 1 || port > 65535)
            return sim_err_set(err, "broker address '%s': port must be 1..65535", s);
        u->port = (int)port;
    }
    if (slash && slash[1]) {
        const char *v = slash + 1;
        if (!strcasecmp(v, "%2f")) strcpy(u->vhost, "/");
        else if (copy_part(u->vhost, sizeof u->vhost, v, strlen(v)))
            return sim_err_set(err, "broker address '%s': vhost too long", s);
    }
    return 0;
}

bool lt_host_is_loopback(const char *h)
{
    if (!strcasecmp(h, "localhost") || !strcmp(h, "::1")) return true;
    /* 127.a.b.c, each part a decimal 0..255 */
    unsigned parts[4];
    int n = 0;
    const char *p = h;
    while (n < 4) {
        if (!isdigit((unsigned char)*p)) return false;
        unsigned v = 0;
        int digits = 0;
        while (isdigit((unsigned char)*p) && digits < 4) v = v * 10 + (unsigned)(*p++ - '0'), digits++;
        if (digits > 3 || v > 255) return false;
        parts[n++] = v;
        if (n < 4) {
            if (*p != '.') return false;
            p++;
        }
    }
    return *p == '\0' && parts[0] == 127;
}

/* ---- connections --------------------------------------------------------- */

const char *lt_reply_text(amqp_rpc_reply_t r, char *buf, size_t n)
{
    switch (r.reply_type) {
    case AMQP_RESPONSE_NORMAL: snprintf(buf, n, "ok"); break;
    case AMQP_RESPONSE_NONE: snprintf(buf, n, "no reply"); break;
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
        snprintf(buf, n, "%s", amqp_error_string2(r.library_error));
        break;
    case AMQP_RESPONSE_SERVER_EXCEPTION:
        if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
            amqp_connection_close_t *m = r.reply.decoded;
            snprintf(buf, n, "server closed the connection: %u %.*s", m->reply_code,
                     (int)m->reply_text.len, (const char *)m->reply_text.bytes);
        } else if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
            amqp_channel_close_t *m = r.reply.decoded;
            snprintf(buf, n, "server closed the channel: %u %.*s", m->reply_code,
                     (int)m->reply_text.len, (const char *)m->reply_text.bytes);
        } else {
            snprintf(buf, n, "server error (method 0x%08x)", r.reply.id);
        }
        break;
    }
    return buf;
}

static struct timeval tv_of(double s)
{
    struct timeval tv = {.tv_sec = (time_t)s, .tv_usec = (suseconds_t)((s - floor(s)) * 1e6)};
    return tv;
}

amqp_connection_state_t lt_connect(const lt_url *u, double timeout_s, const char *conn_name,
                                   sim_err *err)
{
    amqp_connection_state_t c = amqp_new_connection();
    if (!c) {
        sim_err_set(err, "out of memory creating a connection");
        return NULL;
    }
    amqp_socket_t *sock = amqp_tcp_socket_new(c);
    struct timeval tv = tv_of(timeout_s);
    int st;
    if (!sock) {
        sim_err_set(err, "cannot create a socket");
        goto fail;
    }
    st = amqp_socket_open_noblock(sock, u->host, u->port, &tv);
    if (st != AMQP_STATUS_OK) {
        sim_err_set(err, "cannot connect to %s:%d: %s", u->host, u->port, amqp_error_string2(st));
        goto fail;
    }
    amqp_set_handshake_timeout(c, &tv);
    amqp_set_rpc_timeout(c, &tv);
    amqp_table_entry_t e = {.key = amqp_cstring_bytes("connection_name"),
                            .value = {.kind = AMQP_FIELD_KIND_UTF8,
                                      .value.bytes = amqp_cstring_bytes(conn_name)}};
    amqp_table_t props = {.num_entries = 1, .entries = &e};
    amqp_rpc_reply_t r = amqp_login_with_properties(c, u->vhost, 0, 131072, 0, &props,
                                                    AMQP_SASL_METHOD_PLAIN, u->user, u->pass);
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        char b[256];
        sim_err_set(err, "AMQP login to %s:%d failed: %s%s", u->host, u->port,
                    lt_reply_text(r, b, sizeof b),
                    r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
                            r.library_error == AMQP_STATUS_CONNECTION_CLOSED
                        ? " (authentication refused?)" : "");
        goto fail;
    }
    if (!amqp_channel_open(c, 1)) {
        char b[256];
        sim_err_set(err, "cannot open a channel: %s", lt_reply_text(amqp_get_rpc_reply(c), b, sizeof b));
        goto fail;
    }
    return c;
fail:
    amqp_destroy_connection(c);
    return NULL;
}

void lt_disconnect(amqp_connection_state_t c, bool polite)
{
    if (!c) return;
    if (polite) amqp_connection_close(c, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(c);
}

static int local_port(amqp_connection_state_t c)
{
    struct sockaddr_storage a;
    socklen_t n = sizeof a;
    if (getsockname(amqp_get_sockfd(c), (struct sockaddr *)&a, &n)) return 0;
    if (a.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&a)->sin_port);
    if (a.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&a)->sin6_port);
    return 0;
}

/* ---- tracker ------------------------------------------------------------- */

int lt_track_init(lt_track *t, uint32_t cap, double warmup_s)
{
    memset(t, 0, sizeof *t);
    t->cap = cap;
    t->warmup_s = warmup_s;
    t->intended = calloc(cap ? cap : 1, sizeof *t->intended);
    t->consumed = calloc(cap ? cap : 1, 1);
    t->confirmed = calloc(cap ? cap : 1, 1);
    t->drained = calloc(cap ? cap : 1, 1);
    t->delay = sim_hist_new();
    t->delay_iv = sim_hist_new();
    if (!t->intended || !t->consumed || !t->confirmed || !t->drained || !t->delay || !t->delay_iv ||
        pthread_mutex_init(&t->mu, NULL)) {
        lt_track_free(t);
        return -1;
    }
    return 0;
}

void lt_track_free(lt_track *t)
{
    if (!t || !t->intended) return;
    free(t->intended);
    free(t->consumed);
    free(t->confirmed);
    free(t->drained);
    sim_hist_free(t->delay);
    sim_hist_free(t->delay_iv);
    pthread_mutex_destroy(&t->mu);
    memset(t, 0, sizeof *t);
}

/* A new id for a message intended at t; UINT32_MAX when the tracker is full. */
static uint32_t track_new(lt_track *t, double intended)
{
    pthread_mutex_lock(&t->mu);
    uint32_t id = UINT32_MAX;
    if (t->n < t->cap) {
        id = t->n++;
        t->intended[id] = intended;
        t->iv_published++;
    }
    pthread_mutex_unlock(&t->mu);
    return id;
}

static void track_consumed(lt_track *t, uint32_t id, double now, bool redelivered)
{
    pthread_mutex_lock(&t->mu);
    if (id < t->n) {
        t->redelivered += redelivered;
        if (t->consumed[id]) {
            t->duplicates++;
            t->iv_duplicates++;
        } else {
            t->consumed_unique++;
            t->iv_consumed++;
            double it = t->intended[id];
            if (it >= t->warmup_s) {
                double d = fmax(0, now - it);
                sim_hist_add(t->delay, d);
                sim_hist_add(t->delay_iv, d);
                sim_welford_add(&t->delay_w, d);
            }
        }
        if (t->consumed[id] < UINT8_MAX) t->consumed[id]++;
    }
    pthread_mutex_unlock(&t->mu);
}

/* ---- shared client helpers ----------------------------------------------- */

double lt_now(const lt_ctx *c)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9 - c->t0;
}

static void sleep_s(double s)
{
    if (s <= 0) return;
    struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - floor(s)) * 1e9)};
    while (nanosleep(&ts, &ts) && errno == EINTR) {}
}

typedef struct recon {
    const mq_reconnect *cfg;
    gsl_rng *rng;
    double next_try;   /* INFINITY = cut off for good */
    double wait_s;
    int attempts;
} recon;

static double jitter(recon *r, double wait)
{
    double j = r->cfg->jitter;
    return j > 0 ? wait * (1.0 - j + 2.0 * j * gsl_rng_uniform(r->rng)) : wait;
}

/* The connection was lost (noticed now): open the window, plan the way back. */
static void went_down(lt_client *c, recon *r, double now)
{
    lt_ctx *x = c->ctx;
    pthread_mutex_lock(&x->mu);
    if (c->up) {
        c->up = false;
        c->drops++;
        c->down_since = now;
        c->local_port = 0;
    }
    bool restart = c->restart_req;
    double restart_at = c->restart_at;
    c->restart_req = false;
    pthread_mutex_unlock(&x->mu);
    pthread_mutex_lock(&x->track->mu);
    x->track->exceptions++;
    pthread_mutex_unlock(&x->track->mu);
    r->attempts = 0;
    if (restart) {
        r->next_try = restart_at;
    } else if (r->cfg->automatic) {
        r->wait_s = r->cfg->interval_s;
        r->next_try = now + jitter(r, r->wait_s);
    } else {
        r->next_try = r->cfg->app_restart_s >= 0 ? now + r->cfg->app_restart_s : INFINITY;
    }
}

static void went_up(lt_client *c, amqp_connection_state_t conn, double now, bool first)
{
    lt_ctx *x = c->ctx;
    pthread_mutex_lock(&x->mu);
    c->up = true;
    c->local_port = local_port(conn);
    if (!first) {
        double win = now - c->down_since;
        c->total_down_s += win;
        if (win > c->max_down_s) c->max_down_s = win;
        c->reconnects++;
    }
    pthread_mutex_unlock(&x->mu);
}

static void failed_attempt(lt_client *c, recon *r, double now)
{
    (void)c;
    r->attempts++;
    const mq_reconnect *k = r->cfg;
    if (k->max_attempts > 0 && r->attempts >= k->max_attempts) {
        r->next_try = INFINITY;
        return;
    }
    if (r->wait_s <= 0) r->wait_s = k->interval_s;
    else if (k->backoff == MQ_BACKOFF_EXPONENTIAL)
        r->wait_s = fmin(r->wait_s * k->multiplier, k->max_interval_s);
    r->next_try = now + jitter(r, r->wait_s);
}

static bool blocked(lt_client *c, double now)
{
    pthread_mutex_lock(&c->ctx->mu);
    bool b = c->ctx->blocked_until[c->slot] > now;
    pthread_mutex_unlock(&c->ctx->mu);
    return b;
}

/* An app restart asked by the run (app_restart event). Connected: returns
** true and the caller drops the connection (went_down then plans the
** restart). Already down: the restart time replaces the current plan. */
static bool take_restart(lt_client *c, recon *r)
{
    pthread_mutex_lock(&c->ctx->mu);
    bool req = c->restart_req, up = c->up;
    if (req && !up) {
        c->restart_req = false;
        r->next_try = c->restart_at;
        r->attempts = 0;
    }
    pthread_mutex_unlock(&c->ctx->mu);
    return req && up;
}

static void conn_name(const lt_client *c, char *buf, size_t n)
{
    const mq_scenario *s = c->ctx->s;
    snprintf(buf, n, "mqsim/%s/%d", c->consumer ? s->consumers[c->group].name
                                                  : s->producers[c->group].name, c->index);
}

/* ---- producer ------------------------------------------------------------ */

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
    recon r;
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
    int len = snprintf(body, sizeof body, "%u %.9f", id, intended);
    amqp_basic_properties_t props = {._flags = AMQP_BASIC_DELIVERY_MODE_FLAG,
                                     .delivery_mode = 2}; /* persistent: survives a restart */
    amqp_bytes_t b = {.len = (size_t)len, .bytes = body};
    int st = amqp_basic_publish(p->conn, 1, amqp_empty_bytes,
                                amqp_cstring_bytes(s->queues[p->g->queue].name), 0, 0, &props, b);
    if (st != AMQP_STATUS_OK) return -1;
    p->tag++;
    if (!p->g->confirms) return 0;
    double deadline = lt_now(x) + p->g->send_timeout_s;
    for (int guard = 0; guard < 1000; guard++) {
        double left = deadline - lt_now(x);
        if (left <= 0) return -1;
        struct timeval tv = tv_of(fmin(left, SLICE_S));
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
    went_down(p->c, &p->r, now);
}

static int prod_connect(prod *p, double now, bool first)
{
    lt_ctx *x = p->c->ctx;
    char name[160];
    conn_name(p->c, name, sizeof name);
    if (!first && blocked(p->c, now)) return -1;
    amqp_connection_state_t c = lt_connect(&x->url, CONNECT_TIMEOUT_S, name, NULL);
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
    went_up(p->c, c, lt_now(x), first);
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
    if (rate <= 0) return SLICE_S; /* idle step: look again shortly */
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
    /* random phase so deterministic senders do not fire together */
    double t_next = next_gap(&p, arr, 0) * (p.g->rate.arrivals == MQ_ARRIVALS_POISSON ? 1.0
                                              : gsl_rng_uniform(arr));
    if (prod_connect(&p, lt_now(x), true)) {
        pthread_mutex_lock(&x->mu);
        c->down_since = 0;
        c->drops++;
        pthread_mutex_unlock(&x->mu);
        went_down(c, &p.r, lt_now(x));
    }
    while (!x->stop_producers) {
        double now = lt_now(x);
        if (now >= x->duration_s) break;
        if (take_restart(c, &p.r) && p.conn) prod_down(&p, now);
        if (!p.conn && now >= p.r.next_try) {
            if (prod_connect(&p, now, false)) failed_attempt(c, &p.r, now);
            now = lt_now(x);
        }
        while (t_next <= now && t_next < x->duration_s) {
            uint32_t id = track_new(x->track, t_next);
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
            if (p.conn && publish_confirmed(&p, e.id) == 0) {
                pthread_mutex_lock(&x->track->mu);
                x->track->confirmed[e.id] = 1;
                x->track->confirms++;
                pthread_mutex_unlock(&x->track->mu);
                continue;
            }
            if (p.conn) prod_down(&p, lt_now(x));
            send_failed(&p, e, lt_now(x));
        }
        pthread_mutex_lock(&x->mu);
        c->held = p.n;
        pthread_mutex_unlock(&x->mu);
        double wake = fmin(t_next, now + SLICE_S);
        if (!p.conn) wake = fmin(wake, p.r.next_try);
        for (size_t k = 0; k < p.n; k++) wake = fmin(wake, p.q[(p.head + k) % PENDING_CAP].next_try);
        sleep_s(wake - lt_now(x));
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

/* ---- consumer ------------------------------------------------------------ */

static amqp_connection_state_t cons_connect(lt_client *c, double now, bool first)
{
    lt_ctx *x = c->ctx;
    const mq_consumer_group *g = &x->s->consumers[c->group];
    if (!first && blocked(c, now)) return NULL;
    char name[160];
    conn_name(c, name, sizeof name);
    amqp_connection_state_t conn = lt_connect(&x->url, CONNECT_TIMEOUT_S, name, NULL);
    if (!conn) return NULL;
    amqp_basic_qos(conn, 1, 0, (uint16_t)(g->prefetch > 65535 ? 65535 : g->prefetch), 0);
    if (amqp_get_rpc_reply(conn).reply_type != AMQP_RESPONSE_NORMAL) goto fail;
    amqp_basic_consume(conn, 1, amqp_cstring_bytes(x->s->queues[g->queue].name), amqp_empty_bytes,
                       0, g->ack == MQ_ACK_AUTO, 0, amqp_empty_table);
    if (amqp_get_rpc_reply(conn).reply_type != AMQP_RESPONSE_NORMAL) goto fail;
    went_up(c, conn, lt_now(x), first);
    return conn;
fail:
    lt_disconnect(conn, false);
    return NULL;
}

void *lt_consumer_main(void *arg)
{
    lt_client *c = arg;
    lt_ctx *x = c->ctx;
    const mq_consumer_group *g = &x->s->consumers[c->group];
    uint64_t entity = sim_mix64(sim_hash_str(g->name) + (uint64_t)c->index);
    gsl_rng *proc = sim_rng_new(c->seed, 0, entity, sim_hash_str("processing"));
    recon r = {.cfg = &g->reconnect, .rng = sim_rng_new(c->seed, 0, entity, sim_hash_str("reconnect"))};
    amqp_connection_state_t conn = NULL;
    if (!proc || !r.rng) goto out;
    conn = cons_connect(c, lt_now(x), true);
    if (!conn) {
        pthread_mutex_lock(&x->mu);
        c->down_since = 0;
        c->drops++;
        pthread_mutex_unlock(&x->mu);
        went_down(c, &r, lt_now(x));
    }
    while (!x->stop_consumers) {
        double now = lt_now(x);
        if (take_restart(c, &r) && conn) {
            lt_disconnect(conn, false);
            conn = NULL;
            went_down(c, &r, now);
        }
        if (!conn) {
            if (now >= r.next_try) {
                conn = cons_connect(c, now, false);
                if (!conn) failed_attempt(c, &r, now);
            } else {
                sleep_s(fmin(SLICE_S, r.next_try - now));
            }
            continue;
        }
        amqp_maybe_release_buffers(conn);
        amqp_envelope_t env;
        struct timeval tv = tv_of(SLICE_S);
        amqp_rpc_reply_t rep = amqp_consume_message(conn, &env, &tv, 0);
        if (rep.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && rep.library_error == AMQP_STATUS_TIMEOUT)
            continue;
        if (rep.reply_type != AMQP_RESPONSE_NORMAL) {
            lt_disconnect(conn, false);
            conn = NULL;
            went_down(c, &r, lt_now(x));
            continue;
        }
        char body[64];
        size_t n = env.message.body.len < sizeof body - 1 ? env.message.body.len : sizeof body - 1;
        memcpy(body, env.message.body.bytes, n);
        body[n] = '\0';
        unsigned long id = strtoul(body, NULL, 10);
        uint64_t tag = env.delivery_tag;
        bool redelivered = env.redelivered;
        amqp_destroy_envelope(&env);
        pthread_mutex_lock(&x->mu);
        c->in_flight = 1;
        pthread_mutex_unlock(&x->mu);
        sleep_s(fmax(0, sim_dist_sample(&g->processing, proc)));
        track_consumed(x->track, (uint32_t)id, lt_now(x), redelivered);
        pthread_mutex_lock(&x->mu);
        c->in_flight = 0;
        pthread_mutex_unlock(&x->mu);
        if (g->ack == MQ_ACK_MANUAL && amqp_basic_ack(conn, 1, tag, 0) != AMQP_STATUS_OK) {
            lt_disconnect(conn, false);
            conn = NULL;
            went_down(c, &r, lt_now(x));
        }
    }
out:
    lt_disconnect(conn, true);
    gsl_rng_free(proc);
    gsl_rng_free(r.rng);
    return NULL;
}
