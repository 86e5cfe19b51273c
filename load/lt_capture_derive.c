/*
** lt_capture_derive.c - from the samples of the management API to the
** captured workload: queues, producer groups (and which queue each one
** feeds), consumer groups and their processing time (see lt_capture.h;
** each derivation is documented in docs/CAPTURE.md).
**
** Processing time (per consumer group, concurrency 1 assumed, the AMQP
** profiles' value): L = mean unacked per consumer, X = ack rate per
** consumer, W = L / X (Little's law: the time a delivery stays unacked:
** waiting in the client's buffer plus processing). When the prefetch
** window is full (L >= 0.9 prefetch) the consumer is the bottleneck and
** works without pause, so t = 1 / X (utilisation law). With prefetch 1
** the client holds no buffer and t = W. Otherwise the client's buffer is
** treated as one M/M/1 server: W = t / (1 - X t), so t = W / (1 + X W).
** Auto-ack consumers hold nothing unacked: no estimate.
*/
#include "load/lt_capture_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define SATURATED_FILL 0.9

/* The client of connection `name` (searched in both samples). */
static void client_of(const cap_sample *a, const cap_sample *b, const char *name, char *app, size_t n,
                      lt_cap_client *cl)
{
    json_t *c = cap_by_name(b->conns, name);
    if (!c) c = cap_by_name(a->conns, name);
    json_t *cp = json_object_get(c, "client_properties");
    memset(cl, 0, sizeof *cl);
    snprintf(cl->product, sizeof cl->product, "%s", cap_jstr(cp, "product"));
    snprintf(cl->version, sizeof cl->version, "%s", cap_jstr(cp, "version"));
    snprintf(cl->platform, sizeof cl->platform, "%s", cap_jstr(cp, "platform"));
    double hb = cap_jnum(c, "timeout");
    cl->heartbeat_s = isnan(hb) ? 0 : hb;
    const char *cn = cap_jstr(c, "user_provided_name");
    if (!*cn) cn = cap_jstr(cp, "connection_name");
    lt_capture_app(cn, cl->product, c ? cap_jstr(c, "peer_host") : "", app, n);
}

static int find_queue(const lt_capture *c, const char *name)
{
    for (size_t i = 0; i < c->nqueues; i++)
        if (!strcmp(c->queues[i].name, name)) return (int)i;
    return -1;
}

static int derive_queues(lt_capture *c, const cap_sample *b, cap_tracker *tr, double t_end)
{
    size_t n = json_array_size(b->queues);
    c->queues = calloc(n ? n : 1, sizeof *c->queues);
    if (!c->queues) return -1;
    time_t now = time(NULL);
    size_t i;
    json_t *q;
    json_array_foreach(b->queues, i, q) {
        lt_cap_queue *x = &c->queues[c->nqueues++];
        snprintf(x->name, sizeof x->name, "%s", cap_jstr(q, "name"));
        snprintf(x->type, sizeof x->type, "%s", *cap_jstr(q, "type") ? cap_jstr(q, "type") : "classic");
        double r = cap_jnum(q, "messages_ready"), u = cap_jnum(q, "messages_unacknowledged");
        x->ready = isnan(r) || r < 0 ? 0 : (uint64_t)r;
        x->unacked = isnan(u) || u < 0 ? 0 : (uint64_t)u;
        double head = cap_jnum(q, "head_message_timestamp"); /* s since the epoch */
        x->oldest_age_s = isnan(head) ? NAN : fmax(0, (double)now - head);
        json_t *args = json_object_get(q, "arguments");
        double ttl = cap_jnum(args, "x-message-ttl");
        x->ttl_s = isnan(ttl) ? NAN : ttl / 1000.0;
        x->arguments = args ? json_dumps(args, JSON_COMPACT | JSON_SORT_KEYS) : strdup("{}");
        if (!x->arguments) return -1;
        x->publish_rate = cap_rate(tr, "q", x->name, C_PUBLISH, t_end);
        x->deliver_rate = cap_rate(tr, "q", x->name, C_ACK, t_end) +
                          cap_rate(tr, "q", x->name, C_NOACK, t_end);
    }
    return 0;
}

/* Producers: publishing channels grouped by application. */
static int derive_producers(lt_capture *c, const cap_sample *a, const cap_sample *b, cap_tracker *tr,
                            double t_end)
{
    size_t n = json_array_size(b->chans);
    c->producers = calloc(n ? n : 1, sizeof *c->producers);
    if (!c->producers) return -1;
    size_t i;
    json_t *ch;
    json_array_foreach(b->chans, i, ch) {
        double r = cap_rate(tr, "c", cap_jstr(ch, "name"), C_PUBLISH, t_end);
        if (!(r > 0)) continue;
        char app[LT_CAP_NAME];
        lt_cap_client cl;
        client_of(a, b, cap_jstr(json_object_get(ch, "connection_details"), "name"), app, sizeof app, &cl);
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
    if (!(W > 0)) {
        snprintf(pv->how, sizeof pv->how, "no unacked delivery in any sample: processing too "
                 "short for the statistics to see (acks %.3g msg/s per consumer)", X);
        return;
    }
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
static int derive_consumers(lt_capture *c, const cap_sample *a, const cap_sample *b, cap_tracker *tr,
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
        const char *chname = cap_jstr(chd, "name");
        int q = find_queue(c, cap_jstr(json_object_get(cs, "queue"), "name"));
        if (q < 0) continue;
        char app[LT_CAP_NAME];
        lt_cap_client cl;
        client_of(a, b, cap_jstr(chd, "connection_name"), app, sizeof app, &cl);
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
            double pf = cap_jnum(cs, "prefetch_count");
            g->prefetch = isnan(pf) ? 0 : (int)pf;
            if (g->prefetch == 0) { /* no per-consumer qos: the channel's global one */
                double gp = cap_jnum(cap_by_name(b->chans, chname), "global_prefetch_count");
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
            g->ack_rate += cap_rate(tr, "c", chname, C_ACK, t_end) +
                           cap_rate(tr, "c", chname, C_NOACK, t_end);
            g->unacked += cap_unacked(tr, chname);
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

int cap_derive(lt_capture *c, const cap_sample *first, const cap_sample *last, cap_tracker *tr)
{
    if (derive_queues(c, last, tr, last->t) || derive_producers(c, first, last, tr, last->t) ||
        derive_consumers(c, first, last, tr, last->t))
        return -1;
    assign_queues(c);
    return 0;
}
