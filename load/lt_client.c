/*
** lt_client.c - what every load-test client shares: the URL rule, a
** bounded connect, the message tracker, and the reconnect / window
** bookkeeping (see lt_client.h for the threading design, lt_producer.c and
** lt_consumer.c for the two kinds of client).
**
** Reconnects follow the scenario's mq_reconnect exactly as models/mq_conn.c
** does: automatic -> wait `interval` (fixed/exponential, jitter) between
** attempts, up to max_attempts; otherwise wait app_restart (or forever).
** A group under a `disconnect` event with a duration (or a change's
** outage of its endpoint) is refused until it ends; that refusal is emulated
** here (the broker has no per-group ban).
**
** The tracker also logs the tester's own stalls (a thread that woke up
** late: the host did not run it, or the broker it waited on did not
** answer) and keeps each message's delay, so that a delay statistic can be
** taken over the messages no stall reached (lt_track_unstalled_quantile):
** the model has no stalls, and a busy host must not decide a comparison
** with it.
*/
#include "load/lt_client_int.h"
#include "load/change/lt_change.h"

#include <amqp_tcp_socket.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <time.h>

#define STALLS_MAX (1u << 20) /* stall log entries; beyond, the rest of the run counts as stalled */

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

struct timeval lt_tv(double s)
{
    struct timeval tv = {.tv_sec = (time_t)s, .tv_usec = (suseconds_t)((s - floor(s)) * 1e6)};
    return tv;
}

amqp_connection_state_t lt_connect(const lt_url *u, double timeout_s, const char *conn_name,
                                   sim_err *err)
{
    amqp_connection_state_t c = amqp_new_connection();
    SIM_NEED(c != NULL, "out of memory creating a connection");
    amqp_socket_t *sock = amqp_tcp_socket_new(c);
    struct timeval tv = lt_tv(timeout_s);
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
    t->delay_of = malloc((cap ? cap : 1) * sizeof *t->delay_of);
    t->redelivered_at = malloc((cap ? cap : 1) * sizeof *t->redelivered_at);
    t->stalls_full_from = INFINITY;
    if (!t->intended || !t->consumed || !t->confirmed || !t->drained || !t->delay || !t->delay_iv ||
        !t->delay_of || !t->redelivered_at || pthread_mutex_init(&t->mu, NULL)) {
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
    free(t->delay_of);
    free(t->redelivered_at);
    free(t->stalls);
    sim_hist_free(t->delay);
    sim_hist_free(t->delay_iv);
    pthread_mutex_destroy(&t->mu);
    memset(t, 0, sizeof *t);
}

uint32_t lt_track_new(lt_track *t, double intended, bool preloaded)
{
    pthread_mutex_lock(&t->mu);
    uint32_t id = UINT32_MAX;
    if (t->n < t->cap) {
        id = t->n++;
        t->intended[id] = intended;
        t->delay_of[id] = NAN;
        t->redelivered_at[id] = NAN;
        if (!preloaded) t->iv_published++;
    }
    pthread_mutex_unlock(&t->mu);
    return id;
}

void lt_track_confirmed(lt_track *t, uint32_t id)
{
    pthread_mutex_lock(&t->mu);
    if (id < t->n) {
        t->confirmed[id] = 1;
        t->confirms++;
    }
    pthread_mutex_unlock(&t->mu);
}

bool lt_track_consumed(lt_track *t, uint32_t id, double now, bool redelivered)
{
    bool dup = false;
    pthread_mutex_lock(&t->mu);
    if (id < t->n) {
        dup = t->consumed[id] != 0;
        t->redelivered += redelivered;
        if (redelivered) t->redelivered_at[id] = (float)now;
        if (dup) {
            t->duplicates++;
            /* a copy the broker requeued comes flagged; a second copy a
            ** producer republished comes unflagged */
            if (redelivered) t->dup_requeue++;
            else t->dup_republish++;
            t->iv_duplicates++;
        } else {
            t->consumed_unique++;
            t->iv_consumed++;
            double it = t->intended[id];
            if (it >= t->warmup_s) {
                double d = fmax(0, now - it);
                t->delay_of[id] = (float)d;
                sim_hist_add(t->delay, d);
                sim_hist_add(t->delay_iv, d);
                sim_welford_add(&t->delay_w, d);
            }
        }
        if (t->consumed[id] < UINT8_MAX) t->consumed[id]++;
    }
    pthread_mutex_unlock(&t->mu);
    return dup;
}

void lt_track_stall(lt_track *t, double due, double now)
{
    if (!(now - due > LT_STALL_MIN_S)) return;
    pthread_mutex_lock(&t->mu);
    if (t->nstalls == t->stalls_cap && t->stalls_cap < STALLS_MAX) {
        size_t cap = t->stalls_cap ? 2 * t->stalls_cap : 64;
        void *p = realloc(t->stalls, cap * sizeof *t->stalls);
        if (p) {
            t->stalls = p;
            t->stalls_cap = cap;
        }
    }
    if (t->nstalls < t->stalls_cap) {
        t->stalls[t->nstalls][0] = due;
        t->stalls[t->nstalls][1] = now;
        t->nstalls++;
    } else {
        t->stalls_full_from = fmin(t->stalls_full_from, due);
    }
    pthread_mutex_unlock(&t->mu);
}

static int by_from(const void *a, const void *b)
{
    const double *x = a, *y = b;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

double lt_track_unstalled_quantile(lt_track *t, double q, uint64_t *kept, uint64_t *measured)
{
    /* the stalls' reach in intended time, sorted and merged */
    for (size_t i = 0; i < t->nstalls; i++) {
        double a = t->stalls[i][0], b = t->stalls[i][1];
        t->stalls[i][0] = a - LT_STALL_PRE_S;
        t->stalls[i][1] = b + 2 * (b - a) + LT_STALL_PRE_S;
    }
    if (t->nstalls) qsort(t->stalls, t->nstalls, sizeof *t->stalls, by_from); /* NULL when none */
    size_t m = 0;
    for (size_t i = 0; i < t->nstalls; i++) {
        if (m && t->stalls[i][0] <= t->stalls[m - 1][1])
            t->stalls[m - 1][1] = fmax(t->stalls[m - 1][1], t->stalls[i][1]);
        else
            memcpy(t->stalls[m++], t->stalls[i], sizeof *t->stalls);
    }
    t->nstalls = m;
    sim_hist *h = sim_hist_new();
    if (!h) return NAN;
    *kept = *measured = 0;
    for (uint32_t id = 0; id < t->n; id++) {
        double d = t->delay_of[id], it = t->intended[id];
        if (isnan(d)) continue;
        ++*measured;
        if (it >= t->stalls_full_from - LT_STALL_PRE_S) continue;
        size_t lo = 0, hi = m; /* the last window starting at or before it */
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (t->stalls[mid][0] <= it) lo = mid + 1;
            else hi = mid;
        }
        if (lo > 0 && it <= t->stalls[lo - 1][1]) continue;
        ++*kept;
        sim_hist_add(h, d);
    }
    double v = *kept ? sim_hist_quantile(h, q) : NAN;
    sim_hist_free(h);
    return v;
}

int lt_body_format(char *buf, size_t n, uint32_t id, double intended)
{
    int len = snprintf(buf, n, "%u %.9f", id, intended);
    return len < 0 ? 0 : len >= (int)n ? (int)n - 1 : len;
}

uint32_t lt_body_id(const void *bytes, size_t len)
{
    char body[32];
    size_t n = len < sizeof body - 1 ? len : sizeof body - 1;
    memcpy(body, bytes, n);
    body[n] = '\0';
    char *end;
    errno = 0;
    unsigned long id = strtoul(body, &end, 10);
    if (errno || end == body || id >= UINT32_MAX) return UINT32_MAX;
    return (uint32_t)id;
}

/* ---- run context ----------------------------------------------------------- */

void lt_warn(lt_ctx *x, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&x->warn_mu);
    if (x->warnings) (void)sim_strs_add(x->warnings, "%s", buf);
    pthread_mutex_unlock(&x->warn_mu);
}

int lt_route_node(lt_ctx *x)
{
    return x->change ? x->change->connect_node(x->change_state) : LT_SRC;
}

void lt_read_plan(lt_ctx *x, int home, lt_reads *out)
{
    if (x->change) {
        x->change->reads(x->change_state, home, out);
        return;
    }
    *out = (lt_reads){0};
    if (home >= 0 && home < LT_NODES) out->push[home] = true;
}

/* ---- shared client helpers ----------------------------------------------- */

double lt_now(const lt_ctx *c)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9 - c->t0;
}

double lt_unix_offset(const lt_ctx *c)
{
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    double run = lt_now(c);
    return (double)wall.tv_sec + wall.tv_nsec * 1e-9 - run;
}

void lt_sleep(double s)
{
    if (s <= 0) return;
    struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - floor(s)) * 1e9)};
    while (nanosleep(&ts, &ts) && errno == EINTR) {}
}

static double jitter(lt_recon *r, double wait)
{
    double j = r->cfg->jitter;
    return j > 0 ? wait * (1.0 - j + 2.0 * j * gsl_rng_uniform(r->rng)) : wait;
}

void lt_went_down(lt_client *c, lt_recon *r, double now)
{
    lt_ctx *x = c->ctx;
    pthread_mutex_lock(&x->mu);
    if (c->up) {
        c->up = false;
        c->drops++;
        c->down_since = now;
    }
    c->silenced = false; /* noticed: the window opened at the silence goes on */
    c->local_port = 0;
    c->home = -1;
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

static int local_port(amqp_connection_state_t c)
{
    struct sockaddr_storage a;
    socklen_t n = sizeof a;
    if (getsockname(amqp_get_sockfd(c), (struct sockaddr *)&a, &n)) return 0;
    if (a.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&a)->sin_port);
    if (a.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&a)->sin6_port);
    return 0;
}

void lt_mark_up(lt_client *c, int port, int node, double now, bool first)
{
    lt_ctx *x = c->ctx;
    pthread_mutex_lock(&x->mu);
    c->up = true;
    c->silenced = false;
    c->home = node;
    c->local_port = port;
    if (!first) {
        double win = now - c->down_since;
        c->total_down_s += win;
        if (win > c->max_down_s) c->max_down_s = win;
        c->reconnects++;
    }
    pthread_mutex_unlock(&x->mu);
}

void lt_went_up(lt_client *c, amqp_connection_state_t conn, int node, double now, bool first)
{
    lt_mark_up(c, local_port(conn), node, now, first);
}

void lt_failed_attempt(lt_recon *r, double now)
{
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

void lt_start_cut_off(lt_client *c, lt_recon *r)
{
    pthread_mutex_lock(&c->ctx->mu);
    c->down_since = 0;
    c->drops++;
    pthread_mutex_unlock(&c->ctx->mu);
    lt_went_down(c, r, lt_now(c->ctx));
}

bool lt_slot_blocked(const lt_ctx *c, size_t slot, double now)
{
    return now >= c->blocked[slot].from_s && now < c->blocked[slot].until_s;
}

void lt_block_slot(lt_ctx *c, size_t slot, double from_s, double until_s, double now)
{
    lt_block *b = &c->blocked[slot];
    if (b->until_s > now && b->until_s > b->from_s) { /* open or ahead: widen */
        b->from_s = fmin(b->from_s, from_s);
        b->until_s = fmax(b->until_s, until_s);
    } else {
        *b = (lt_block){from_s, until_s};
    }
}

bool lt_blocked(lt_client *c, double now)
{
    pthread_mutex_lock(&c->ctx->mu);
    bool b = lt_slot_blocked(c->ctx, (size_t)c->slot, now);
    pthread_mutex_unlock(&c->ctx->mu);
    return b;
}

bool lt_take_restart(lt_client *c, lt_recon *r)
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

void lt_conn_name(const lt_client *c, const char *suffix, char *buf, size_t n)
{
    const mq_scenario *s = c->ctx->s;
    snprintf(buf, n, "mqsim/%s/%d%s", c->consumer ? s->consumers[c->group].name
                                                    : s->producers[c->group].name, c->index,
             suffix ? suffix : "");
}
