/*
** lt_capture.c - sample the management API over a window and derive the
** workload (see lt_capture.h; each derivation is documented in
** docs/CAPTURE.md).
**
** Sampling: every interval, GET the vhost's connections, channels,
** consumers and queues. The broker refreshes its statistics every
** collect_statistics_interval (5 s by default), so a counter (publish,
** ack, deliver_no_ack) steps at refreshes. Its rate is the count between
** the first and the last sample that showed a new value, over the time
** between those two samples: each end is late by less than one sample
** interval, and equally so on average, so with 1 s samples a 5-minute
** rate is within about 0.7 % (the API's own *_details.rate fields
** average over a few seconds only). A counter that moved once is taken
** from the first sample. The unacknowledged count of every channel is
** averaged over all samples. Groups are formed from the last sample.
**
** Processing time (per consumer group, concurrency 1 assumed, the AMQP
** profiles' value): L = mean unacked per consumer, X = ack rate per
** consumer, W = L / X (Little's law: the time a delivery stays unacked:
** waiting in the client's buffer plus processing). When the prefetch
** window is full (L >= 0.9 prefetch) the consumer is the bottleneck and
** works without pause, so t = 1 / X (utilisation law). With prefetch 1
** the client holds no buffer and t = W. Otherwise the
** client's buffer is treated as one M/M/1 server: W = t / (1 - X t), so
** t = W / (1 + X W). Auto-ack consumers hold nothing unacked: no estimate.
*/
#include "load/lt_capture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SATURATED_FILL 0.9

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void sleep_s(double s)
{
    if (s <= 0) return;
    struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    nanosleep(&ts, NULL);
}

/* obj.a.b... as a number (integer or real); NAN when absent. */
static double jnum(const json_t *o, const char *path)
{
    char key[64];
    const char *p = path;
    while (o && *p) {
        size_t k = strcspn(p, ".");
        if (k >= sizeof key) return NAN;
        memcpy(key, p, k);
        key[k] = '\0';
        o = json_object_get(o, key);
        p += k + (p[k] == '.');
    }
    return o && json_is_number(o) ? json_number_value(o) : NAN;
}

static const char *jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* The element of array a whose "name" is name (NULL: none). */
static json_t *by_name(const json_t *a, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
        if (!strcmp(jstr(v, "name"), name)) return v;
    return NULL;
}

void lt_capture_app(const char *conn_name, const char *product, const char *host, char *buf,
                    size_t n)
{
    if (conn_name && *conn_name) {
        size_t k = strlen(conn_name), e = k;
        while (e > 0 && conn_name[e - 1] >= '0' && conn_name[e - 1] <= '9') e--;
        /* a trailing instance number after a separator: "orders/3", "orders-3" */
        if (e < k && e > 1 && strchr("/-_.:#", conn_name[e - 1])) k = e - 1;
        snprintf(buf, n, "%.*s", (int)k, conn_name);
    } else {
        snprintf(buf, n, "%s@%s", product && *product ? product : "unknown",
                 host && *host ? host : "unknown");
    }
}

/* ---- one sample ------------------------------------------------------------ */

typedef struct sample {
    json_t *conns, *chans, *cons, *queues;
    double t, tq; /* when the channels and the queues were read */
} sample;

static void sample_free(sample *s)
{
    json_decref(s->conns);
    json_decref(s->chans);
    json_decref(s->cons);
    json_decref(s->queues);
    memset(s, 0, sizeof *s);
}

static json_t *get_array(lt_http *h, const char *path, sim_err *err)
{
    json_t *j = lt_http_get(h, path, err);
    if (j && !json_is_array(j)) {
        json_decref(j);
        sim_err_set(err, "%s%s: expected a JSON array; is this a RabbitMQ management API?",
                    lt_http_base(h), path);
        return NULL;
    }
    return j;
}

static int take_sample(lt_http *h, const char *vh, sample *s, sim_err *err)
{
    char p[512];
    memset(s, 0, sizeof *s);
    snprintf(p, sizeof p, "/api/vhosts/%s/connections", vh);
    if (!(s->conns = get_array(h, p, err))) goto fail;
    double t0 = mono();
    snprintf(p, sizeof p, "/api/vhosts/%s/channels", vh);
    if (!(s->chans = get_array(h, p, err))) goto fail;
    s->t = (t0 + mono()) / 2;
    snprintf(p, sizeof p, "/api/consumers/%s", vh);
    if (!(s->cons = get_array(h, p, err))) goto fail;
    snprintf(p, sizeof p, "/api/queues/%s", vh);
    t0 = mono();
    if (!(s->queues = get_array(h, p, err))) goto fail;
    s->tq = (t0 + mono()) / 2;
    return 0;
fail:
    sample_free(s);
    return -1;
}

/* ---- counters over the window ------------------------------------------------ */

enum { C_PUBLISH, C_ACK, C_NOACK, NCTR };
static const char *const ctr_field[NCTR] = {"message_stats.publish", "message_stats.ack",
                                            "message_stats.deliver_no_ack"};

/* One counter of one object: its value at the first sample, and the first
** and last samples at which the broker's refresh showed a new value. */
typedef struct ctr {
    double prev, t0, v0, t_fc, v_fc, t_lc, v_lc;
    int changes;
} ctr;

typedef struct ent {
    ctr c[NCTR];
    double unacked_sum;
    int unacked_n;
} ent;

/* Every channel ("c:NAME") and queue ("q:NAME") seen, by key. */
typedef struct tracker {
    json_t *idx;   /* key -> index into v */
    ent *v;
    size_t n, cap;
} tracker;

static ent *track_get(tracker *tr, const char *kind, const char *name, bool *fresh)
{
    char key[600];
    snprintf(key, sizeof key, "%s:%s", kind, name);
    json_t *i = json_object_get(tr->idx, key);
    *fresh = !i;
    if (i) return &tr->v[json_integer_value(i)];
    if (tr->n == tr->cap) {
        size_t cap = tr->cap ? tr->cap * 2 : 64;
        ent *v = realloc(tr->v, cap * sizeof *v);
        if (!v) return NULL;
        tr->v = v;
        tr->cap = cap;
    }
    if (json_object_set_new(tr->idx, key, json_integer((json_int_t)tr->n))) return NULL;
    ent *e = &tr->v[tr->n++];
    memset(e, 0, sizeof *e);
    return e;
}

/* Record the counters (and for channels the unacked count) of every
** object of array a, read at time t. -1 out of memory. */
static int observe(tracker *tr, const char *kind, const json_t *a, double t)
{
    size_t i;
    json_t *o;
    json_array_foreach(a, i, o) {
        bool fresh;
        ent *e = track_get(tr, kind, jstr(o, "name"), &fresh);
        if (!e) return -1;
        for (int k = 0; k < NCTR; k++) {
            double v = jnum(o, ctr_field[k]);
            if (isnan(v)) v = 0;
            ctr *c = &e->c[k];
            if (fresh) {
                c->prev = c->v0 = v;
                c->t0 = t;
            } else if (v != c->prev) {
                if (c->changes++ == 0) c->t_fc = t, c->v_fc = v;
                c->t_lc = t;
                c->v_lc = v;
                c->prev = v;
            }
        }
        double u = jnum(o, "messages_unacknowledged");
        if (!isnan(u)) e->unacked_sum += u, e->unacked_n++;
    }
    return 0;
}

/* Rate of counter k of object (kind, name), msg/s: the count between the
** first and the last refresh seen over the time between them; with one
** refresh only, from the first sample to t_end. 0 when it never moved. */
static double rate_of(tracker *tr, const char *kind, const char *name, int k, double t_end)
{
    bool fresh;
    ent *e = track_get(tr, kind, name, &fresh);
    if (!e || fresh) return 0;
    const ctr *c = &e->c[k];
    if (c->changes >= 2 && c->t_lc > c->t_fc) return (c->v_lc - c->v_fc) / (c->t_lc - c->t_fc);
    if (c->changes == 1 && t_end > c->t0) return (c->v_lc - c->v0) / (t_end - c->t0);
    return 0;
}

static double mean_unacked(tracker *tr, const char *name)
{
    bool fresh;
    ent *e = track_get(tr, "c", name, &fresh);
    return e && e->unacked_n ? e->unacked_sum / e->unacked_n : 0;
}

/* The client of connection `name` (searched in both samples). */
static void client_of(const sample *a, const sample *b, const char *name, char *app, size_t n,
                      lt_cap_client *cl)
{
    json_t *c = by_name(b->conns, name);
    if (!c) c = by_name(a->conns, name);
    json_t *cp = json_object_get(c, "client_properties");
    memset(cl, 0, sizeof *cl);
    snprintf(cl->product, sizeof cl->product, "%s", jstr(cp, "product"));
    snprintf(cl->version, sizeof cl->version, "%s", jstr(cp, "version"));
    snprintf(cl->platform, sizeof cl->platform, "%s", jstr(cp, "platform"));
    double hb = jnum(c, "timeout");
    cl->heartbeat_s = isnan(hb) ? 0 : hb;
    const char *cn = jstr(c, "user_provided_name");
    if (!*cn) cn = jstr(cp, "connection_name");
    lt_capture_app(cn, cl->product, c ? jstr(c, "peer_host") : "", app, n);
}

static int find_queue(const lt_capture *c, const char *name)
{
    for (size_t i = 0; i < c->nqueues; i++)
        if (!strcmp(c->queues[i].name, name)) return (int)i;
    return -1;
}

static int derive_queues(lt_capture *c, const sample *b, tracker *tr, double t_end)
{
    size_t n = json_array_size(b->queues);
    c->queues = calloc(n ? n : 1, sizeof *c->queues);
    if (!c->queues) return -1;
    time_t now = time(NULL);
    size_t i;
    json_t *q;
    json_array_foreach(b->queues, i, q) {
        lt_cap_queue *x = &c->queues[c->nqueues++];
        snprintf(x->name, sizeof x->name, "%s", jstr(q, "name"));
        snprintf(x->type, sizeof x->type, "%s", *jstr(q, "type") ? jstr(q, "type") : "classic");
        double r = jnum(q, "messages_ready"), u = jnum(q, "messages_unacknowledged");
        x->ready = isnan(r) || r < 0 ? 0 : (uint64_t)r;
        x->unacked = isnan(u) || u < 0 ? 0 : (uint64_t)u;
        double head = jnum(q, "head_message_timestamp"); /* s since the epoch */
        x->oldest_age_s = isnan(head) ? NAN : fmax(0, (double)now - head);
        json_t *args = json_object_get(q, "arguments");
        double ttl = jnum(args, "x-message-ttl");
        x->ttl_s = isnan(ttl) ? NAN : ttl / 1000.0;
        x->arguments = args ? json_dumps(args, JSON_COMPACT | JSON_SORT_KEYS) : strdup("{}");
        if (!x->arguments) return -1;
        x->publish_rate = rate_of(tr, "q", x->name, C_PUBLISH, t_end);
        x->deliver_rate = rate_of(tr, "q", x->name, C_ACK, t_end) +
                          rate_of(tr, "q", x->name, C_NOACK, t_end);
    }
    return 0;
}

/* Producers: publishing channels grouped by application. */
static int derive_producers(lt_capture *c, const sample *a, const sample *b, tracker *tr,
                            double t_end)
{
    size_t n = json_array_size(b->chans);
    c->producers = calloc(n ? n : 1, sizeof *c->producers);
    if (!c->producers) return -1;
    size_t i;
    json_t *ch;
    json_array_foreach(b->chans, i, ch) {
        double r = rate_of(tr, "c", jstr(ch, "name"), C_PUBLISH, t_end);
        if (!(r > 0)) continue;
        char app[LT_CAP_NAME];
        lt_cap_client cl;
        client_of(a, b, jstr(json_object_get(ch, "connection_details"), "name"), app, sizeof app, &cl);
        lt_cap_producer *p = NULL;
        for (size_t k = 0; k < c->nproducers; k++)
            if (!strcmp(c->producers[k].app, app)) p = &c->producers[k];
        if (!p) {
            p = &c->producers[c->nproducers++];
            snprintf(p->app, sizeof p->app, "%s", app);
            p->client = cl;
            p->queue = -1;
        }
        p->count++;
        p->rate += r;
        p->confirms |= json_is_true(json_object_get(ch, "confirm"));
    }
    return 0;
}

/* Which queue each producer group feeds. The API does not link a
** publishing channel to a queue (publishes go to an exchange; the default
** exchange routes by a key the API does not show), so the groups are
** assigned to the queues that received publishes by matching rates: the
** assignment minimising the sum over queues of |queue rate - sum of its
** groups' rates| / max(both) (relative, so an exact match on a small queue
** is not traded for a closer miss on a large one; exhaustive up to 2e5
** assignments, else greedy, largest group first). */
static void assign_queues(lt_capture *c)
{
    int pub[64], m = 0;
    for (size_t q = 0; q < c->nqueues && m < 64; q++)
        if (c->queues[q].publish_rate > 0) pub[m++] = (int)q;
    size_t n = c->nproducers;
    if (!n) return;
    if (m <= 1) {
        for (size_t k = 0; k < n; k++) {
            lt_cap_producer *p = &c->producers[k];
            p->queue = m ? pub[0] : -1;
            p->queue_prov.kind = m ? LT_MEASURED : LT_DEFAULT;
            snprintf(p->queue_prov.how, sizeof p->queue_prov.how, "%s",
                     m ? "the only queue with publishes in the window (/api/queues "
                         "message_stats.publish)"
                       : "no queue received publishes in the window: set it by hand");
        }
        return;
    }
    double combos = pow(m, (double)n);
    int *cur = calloc(n, sizeof *cur), *best = calloc(n, sizeof *best);
    double *sum = calloc((size_t)m, sizeof *sum);
    if (!cur || !best || !sum) goto out;
    if (combos <= 2e5) {
        double best_e = INFINITY;
        for (;;) {
            for (int q = 0; q < m; q++) sum[q] = 0;
            for (size_t k = 0; k < n; k++) sum[cur[k]] += c->producers[k].rate;
            double e = 0;
            for (int q = 0; q < m; q++) {
                double r = c->queues[pub[q]].publish_rate, top = fmax(r, sum[q]);
                if (top > 0) e += fabs(sum[q] - r) / top;
            }
            if (e < best_e) {
                best_e = e;
                memcpy(best, cur, n * sizeof *cur);
            }
            size_t k = 0;
            while (k < n && ++cur[k] == m) cur[k++] = 0;
            if (k == n) break;
        }
    } else { /* greedy: largest group into the queue with the most rate unexplained */
        for (int q = 0; q < m; q++) sum[q] = c->queues[pub[q]].publish_rate;
        for (size_t done = 0; done < n; done++) {
            size_t big = 0;
            double br = -1;
            for (size_t k = 0; k < n; k++)
                if (cur[k] == 0 && c->producers[k].rate > br) br = c->producers[k].rate, big = k;
            int bq = 0;
            for (int q = 1; q < m; q++)
                if (sum[q] > sum[bq]) bq = q;
            best[big] = bq;
            sum[bq] -= br;
            cur[big] = 1;
        }
    }
    for (size_t k = 0; k < n; k++) {
        lt_cap_producer *p = &c->producers[k];
        p->queue = pub[best[k]];
        p->queue_prov.kind = LT_ESTIMATED;
        snprintf(p->queue_prov.how, sizeof p->queue_prov.how,
                 "rate matching: group publish rates against /api/queues message_stats.publish "
                 "(the API does not link a publishing channel to a queue; %s)",
                 combos <= 2e5 ? "best of every assignment" : "greedy");
    }
out:
    free(cur);
    free(best);
    free(sum);
}

void lt_capture_estimate(lt_cap_consumer *g)
{
    lt_prov *pv = &g->processing_prov;
    g->processing_s = NAN;
    pv->kind = LT_DEFAULT;
    if (!g->ack_manual) {
        snprintf(pv->how, sizeof pv->how, "auto-ack: the broker holds nothing unacked, so "
                 "Little's law has nothing to count; measure it in the application");
        return;
    }
    if (g->shared_channel) {
        snprintf(pv->how, sizeof pv->how, "a channel of this group consumes several queues: "
                 "its unacked count cannot be split between them");
        return;
    }
    double X = g->ack_rate / g->count, L = g->unacked / g->count;
    if (!(X > 0)) {
        snprintf(pv->how, sizeof pv->how, "no acks in the window: nothing to estimate from");
        return;
    }
    double W = L / X;
    pv->kind = LT_ESTIMATED;
    if (g->prefetch == 1) {
        g->processing_s = W;
        snprintf(pv->how, sizeof pv->how,
                 "Little's law: prefetch 1, so a delivery is unacked exactly while it is "
                 "processed: t = W = unacked / ack rate = %.3g / %.3g per consumer", L, X);
    } else if (g->prefetch > 0 && L >= SATURATED_FILL * g->prefetch) {
        g->processing_s = 1.0 / X;
        snprintf(pv->how, sizeof pv->how,
                 "utilisation law: prefetch window full (unacked %.1f of %d per consumer), the "
                 "consumer never waits, t = 1 / ack rate per consumer (%.3g msg/s)", L,
                 g->prefetch, X);
    } else {
        g->processing_s = W / (1 + X * W);
        snprintf(pv->how, sizeof pv->how,
                 "Little's law: W = unacked / ack rate = %.3g / %.3g = %.4g s per consumer, "
                 "less the wait in the client's buffer (one M/M/1 server): t = W / (1 + X W)",
                 L, X, W);
    }
}

/* Consumers: /api/consumers grouped by (application, queue); their
** channels give the ack rate and the unacked count. */
static int derive_consumers(lt_capture *c, const sample *a, const sample *b, tracker *tr,
                            double t_end)
{
    size_t n = json_array_size(b->cons);
    c->consumers = calloc(n ? n : 1, sizeof *c->consumers);
    json_t *seen = json_object();         /* channel -> queue name */
    json_t *grp_chans = json_array();     /* per group: object of its channels */
    if (!c->consumers || !seen || !grp_chans) goto oom;
    size_t i;
    json_t *cs;
    json_array_foreach(b->cons, i, cs) {
        json_t *chd = json_object_get(cs, "channel_details");
        const char *chname = jstr(chd, "name");
        int q = find_queue(c, jstr(json_object_get(cs, "queue"), "name"));
        if (q < 0) continue;
        char app[LT_CAP_NAME];
        lt_cap_client cl;
        client_of(a, b, jstr(chd, "connection_name"), app, sizeof app, &cl);
        lt_cap_consumer *g = NULL;
        size_t gi = 0;
        for (size_t k = 0; k < c->nconsumers; k++)
            if (!strcmp(c->consumers[k].app, app) && c->consumers[k].queue == q) g = &c->consumers[gi = k];
        if (!g) {
            gi = c->nconsumers;
            g = &c->consumers[c->nconsumers++];
            snprintf(g->app, sizeof g->app, "%s", app);
            g->queue = q;
            g->client = cl;
            g->ack_manual = json_is_true(json_object_get(cs, "ack_required"));
            double pf = jnum(cs, "prefetch_count");
            g->prefetch = isnan(pf) ? 0 : (int)pf;
            if (g->prefetch == 0) { /* no per-consumer qos: the channel's global one */
                double gp = jnum(by_name(b->chans, chname), "global_prefetch_count");
                g->prefetch = isnan(gp) ? 0 : (int)gp;
                g->prefetch_global = g->prefetch > 0;
            }
            json_array_append_new(grp_chans, json_object());
        }
        g->count++;
        const char *prev = json_string_value(json_object_get(seen, chname));
        if (prev && strcmp(prev, c->queues[q].name)) g->shared_channel = true;
        json_object_set_new(seen, chname, json_string(c->queues[q].name));
        json_object_set_new(json_array_get(grp_chans, gi), chname, json_true());
    }
    for (size_t k = 0; k < c->nconsumers; k++) {
        lt_cap_consumer *g = &c->consumers[k];
        const char *chname;
        json_t *v;
        json_object_foreach(json_array_get(grp_chans, k), chname, v) {
            (void)v;
            g->ack_rate += rate_of(tr, "c", chname, C_ACK, t_end) +
                           rate_of(tr, "c", chname, C_NOACK, t_end);
            g->unacked += mean_unacked(tr, chname);
        }
        lt_capture_estimate(g);
    }
    json_decref(seen);
    json_decref(grp_chans);
    return 0;
oom:
    json_decref(seen);
    json_decref(grp_chans);
    return -1;
}

static void vhost_path(const char *vh, char *out, size_t n)
{
    size_t k = 0;
    for (; *vh && k + 4 < n; vh++) {
        unsigned char ch = (unsigned char)*vh;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            strchr("-_.~", ch))
            out[k++] = (char)ch;
        else
            k += (size_t)snprintf(out + k, n - k, "%%%02X", ch);
    }
    out[k] = '\0';
}

int lt_capture_run(lt_http *h, const lt_capture_opts *o, lt_capture *out, sim_err *err)
{
    memset(out, 0, sizeof *out);
    const char *vh = o->vhost ? o->vhost : "/";
    char vp[400];
    vhost_path(vh, vp, sizeof vp);
    snprintf(out->broker, sizeof out->broker, "%s", lt_http_base(h));
    snprintf(out->vhost, sizeof out->vhost, "%s", vh);
    json_t *ov = lt_http_get(h, "/api/overview", err);
    if (!ov) return -1;
    if (!json_is_object(ov) || !*jstr(ov, "rabbitmq_version")) {
        json_decref(ov);
        return sim_err_set(err, "%s/api/overview: no rabbitmq_version; is this a RabbitMQ "
                           "management API?", lt_http_base(h));
    }
    snprintf(out->rabbitmq_version, sizeof out->rabbitmq_version, "%s", jstr(ov, "rabbitmq_version"));
    json_decref(ov);
    double iv = o->interval_s > 0 ? o->interval_s : fmin(1, o->window_s / 4);
    int n = (int)ceil(o->window_s / iv);
    if (n < 1) n = 1;
    sample first = {0}, last = {0}, cur;
    tracker tr = {.idx = json_object()};
    if (!tr.idx) return sim_err_set(err, "out of memory");
    out->started_utc = (long)time(NULL);
    double t_start = mono();
    int rc = 0;
    for (int i = 0; i <= n && !rc; i++) {
        sleep_s(t_start + i * iv - mono());
        if (take_sample(h, vp, &cur, err)) {
            rc = -1;
            break;
        }
        out->samples++;
        if (observe(&tr, "c", cur.chans, cur.t) || observe(&tr, "q", cur.queues, cur.tq))
            rc = sim_err_set(err, "out of memory");
        if (i == 0) first = cur;
        else {
            sample_free(&last);
            last = cur;
        }
    }
    if (!rc) {
        out->window_s = last.t - first.t;
        if (json_array_size(last.queues) == 0)
            rc = sim_err_set(err, "vhost '%s' has no queues: nothing to capture", vh);
        else if (derive_queues(out, &last, &tr, last.t) ||
                 derive_producers(out, &first, &last, &tr, last.t) ||
                 derive_consumers(out, &first, &last, &tr, last.t))
            rc = sim_err_set(err, "out of memory");
        else
            assign_queues(out);
    }
    sample_free(&first);
    sample_free(&last);
    json_decref(tr.idx);
    free(tr.v);
    if (rc) lt_capture_free(out);
    return rc;
}

void lt_capture_free(lt_capture *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->nqueues; i++) free(c->queues[i].arguments);
    free(c->queues);
    free(c->producers);
    free(c->consumers);
    memset(c, 0, sizeof *c);
}
