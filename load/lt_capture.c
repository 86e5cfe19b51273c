/*
** lt_capture.c - sample the management API over a window (see
** lt_capture.h; docs/CAPTURE.md).
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
** The derivation from the samples is lt_capture_derive.c.
*/
#include "load/lt_capture_int.h"
#include "sim/sim_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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

static void sample_free(cap_sample *s)
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

static int take_sample(lt_http *h, const char *vh, cap_sample *s, sim_err *err)
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

static const char *const ctr_field[NCTR] = {"message_stats.publish", "message_stats.ack",
                                            "message_stats.deliver_no_ack"};


static cap_ent *track_get(cap_tracker *tr, const char *kind, const char *name, bool *fresh)
{
    char key[600];
    snprintf(key, sizeof key, "%s:%s", kind, name);
    json_t *i = json_object_get(tr->idx, key);
    *fresh = !i;
    if (i) return &tr->v[json_integer_value(i)];
    if (sim_grow((void **)&tr->v, &tr->cap, tr->n + 1, sizeof *tr->v)) return NULL;
    if (json_object_set_new(tr->idx, key, json_integer((json_int_t)tr->n))) return NULL;
    cap_ent *e = &tr->v[tr->n++];
    memset(e, 0, sizeof *e);
    return e;
}

/* Record the counters (and for channels the unacked count) of every
** object of array a, read at time t. -1 out of memory. */
static int observe(cap_tracker *tr, const char *kind, const json_t *a, double t)
{
    size_t i;
    json_t *o;
    json_array_foreach(a, i, o) {
        bool fresh;
        cap_ent *e = track_get(tr, kind, cap_jstr(o, "name"), &fresh);
        if (!e) return -1;
        for (int k = 0; k < NCTR; k++) {
            double v = cap_jnum(o, ctr_field[k]);
            if (isnan(v)) v = 0;
            cap_ctr *c = &e->c[k];
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
        double u = cap_jnum(o, "messages_unacknowledged");
        if (!isnan(u)) e->unacked_sum += u, e->unacked_n++;
    }
    return 0;
}

double cap_rate(cap_tracker *tr, const char *kind, const char *name, int k, double t_end)
{
    bool fresh;
    cap_ent *e = track_get(tr, kind, name, &fresh);
    if (!e || fresh) return 0;
    const cap_ctr *c = &e->c[k];
    if (c->changes >= 2 && c->t_lc > c->t_fc) return (c->v_lc - c->v_fc) / (c->t_lc - c->t_fc);
    if (c->changes == 1 && t_end > c->t0) return (c->v_lc - c->v0) / (t_end - c->t0);
    return 0;
}

double cap_unacked(cap_tracker *tr, const char *name)
{
    bool fresh;
    cap_ent *e = track_get(tr, "c", name, &fresh);
    return e && e->unacked_n ? e->unacked_sum / e->unacked_n : 0;
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
    if (!json_is_object(ov) || !*cap_jstr(ov, "rabbitmq_version")) {
        json_decref(ov);
        return sim_err_set(err, "%s/api/overview: no rabbitmq_version; is this a RabbitMQ "
                           "management API?", lt_http_base(h));
    }
    snprintf(out->rabbitmq_version, sizeof out->rabbitmq_version, "%s", cap_jstr(ov, "rabbitmq_version"));
    json_decref(ov);
    double iv = o->interval_s > 0 ? o->interval_s : fmin(1, o->window_s / 4);
    int n = (int)ceil(o->window_s / iv);
    if (n < 1) n = 1;
    cap_sample first = {0}, last = {0}, cur;
    cap_tracker tr = {.idx = json_object()};
    SIM_NEED(tr.idx != NULL, "out of memory");
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
        SIM_NEED(!observe(&tr, "c", cur.chans, cur.t) && !observe(&tr, "q", cur.queues, cur.tq),
                 "out of memory");
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
        else
            SIM_NEED(cap_derive(out, &first, &last, &tr) == 0, "out of memory");
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
