/*
** lt_capture_yaml.c - write a captured workload as a scenario `mqsim check`
** accepts, with a comment on every value: "measured (...)" with the
** endpoint, field and window, "estimated (...)" with the method, or
** "default (...)" with where the default comes from.
**
** Written by hand with fprintf rather than through a YAML emitter: the
** comments beside each value are the point of the file, and libyaml's
** emitter cannot place comments. Every string from the broker (queue and
** application names) is written double-quoted with escapes, so no name can
** break the YAML.
*/
#include "load/lt_capture.h"
#include "models/mq_scenario.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_PROCESSING_S 0.01
#define NAME_MAX_BYTES 120

/* A YAML double-quoted scalar of s (control characters dropped). */
static void q(FILE *f, const char *s)
{
    fputc('"', f);
    for (size_t i = 0; s[i] && i < NAME_MAX_BYTES; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') fputc('\\', f);
        if (ch >= 0x20) fputc(ch, f);
    }
    fputc('"', f);
}

static const char *kind_word(lt_prov_kind k)
{
    return k == LT_MEASURED ? "measured" : k == LT_ESTIMATED ? "estimated" : "default";
}

/* Seconds as a duration the scenario reads ("12.3ms", "4.5s"). */
static void dur(FILE *f, double s)
{
    if (s < 1) fprintf(f, "%.4gms", s * 1e3);
    else fprintf(f, "%.6gs", s);
}

/* Unique group names: the application, else "app@queue", else "...#k". */
static void group_name(char names[][NAME_MAX_BYTES + 24], size_t k, const char *app,
                       const char *queue)
{
    snprintf(names[k], sizeof names[k], "%.*s", NAME_MAX_BYTES, app);
    for (int tries = 0;; tries++) {
        bool clash = false;
        for (size_t i = 0; i < k; i++) clash |= !strcmp(names[i], names[k]);
        if (!clash) return;
        if (tries == 0)
            snprintf(names[k], sizeof names[k], "%.60s@%.59s", app, queue);
        else
            snprintf(names[k], sizeof names[k], "%.60s@%.50s#%d", app, queue, tries + 1);
    }
}

static void write_reconnect(FILE *f, const lt_cap_client *cl, const lt_cap_profile *pf)
{
    if (pf->automatic < 0 && cl->heartbeat_s <= 0) {
        fprintf(f, "    # reconnect: the profile's (heartbeats off: negotiated 0 (/api/connections "
                "timeout), a silent peer is noticed by TCP only)\n");
        return;
    }
    fprintf(f, "    reconnect:\n");
    if (pf->automatic >= 0)
        fprintf(f, "      automatic: %s  # default (%s)\n", pf->automatic ? "true" : "false",
                pf->automatic_how);
    if (cl->heartbeat_s > 0) {
        fprintf(f, "      heartbeat_detect: ");
        dur(f, 2 * cl->heartbeat_s);
        fprintf(f, "  # estimated (negotiated heartbeat %.0f s, /api/connections timeout; "
                "a peer is declared dead after two missed heartbeats)\n", cl->heartbeat_s);
    }
}

static void write_client(FILE *f, const lt_cap_client *cl, lt_cap_profile *pf)
{
    lt_capture_profile(cl, pf);
    fprintf(f, "    profile: %s  # %s (%s)\n", pf->profile, kind_word(pf->prov.kind), pf->prov.how);
    fprintf(f, "    # client: product \"%.60s\" version \"%.40s\" platform \"%.40s\"\n",
            cl->product, cl->version, cl->platform);
}

static void write_rate(FILE *f, const lt_capture *c, const lt_cap_producer *p,
                       const lt_capture_doc *d, double total)
{
    if (!d->day || !d->nday || !(total > 0)) {
        fprintf(f, "    rate: %.6g  # measured (msg/s: /api/channels message_stats.publish over "
                "the %.1f s window)\n", p->rate, c->window_s);
        return;
    }
    double share = p->rate / total;
    fprintf(f, "    # rate: %.6g msg/s measured over the %.1f s window (/api/channels "
            "message_stats.publish)\n", p->rate, c->window_s);
    fprintf(f, "    rate:  # estimated (day profile: %.4g %% of the total in %s, this group's "
            "share of the publish rate measured in the window)\n", 100 * share, d->day_source);
    fprintf(f, "      period: 24h  # default (a day profile repeats daily)\n      steps:  # measured "
            "(time of day, rate from %s)\n", d->day_source);
    for (size_t i = 0; i < d->nday; i++)
        fprintf(f, "        - { at: %.3fs, rate: %.6g }\n", d->day[i].at_s, share * d->day[i].rate);
}

static void write_consumer(FILE *f, const lt_capture *c, const lt_cap_consumer *g,
                           const char *name, int *defaults)
{
    lt_cap_profile pf;
    fprintf(f, "  - name: ");
    q(f, name);
    fprintf(f, "  # measured (application: connection name or product@host)\n    queue: ");
    q(f, c->queues[g->queue].name);
    fprintf(f, "  # measured (/api/consumers queue.name)\n");
    fprintf(f, "    count: %d  # measured (consumers in /api/consumers at the last sample)\n",
            g->count);
    write_client(f, &g->client, &pf);
    if (g->prefetch > 0)
        fprintf(f, "    prefetch: %d  # measured (/api/consumers prefetch_count%s)\n", g->prefetch,
                g->prefetch_global ? " 0; the channel's global_prefetch_count" : "");
    else
        fprintf(f, "    prefetch: 1000000  # measured: unlimited (prefetch_count 0), the model's "
                "largest value\n");
    fprintf(f, "    concurrency: 1  # default (profile %s: the broker cannot see how many "
            "deliveries the application works on at once)\n", pf.profile);
    fprintf(f, "    ack: %s  # measured (/api/consumers ack_required)\n",
            g->ack_manual ? "manual" : "auto");
    double t = g->processing_s;
    if (isnan(t)) {
        (*defaults)++;
        t = DEFAULT_PROCESSING_S;
    }
    fprintf(f, "    processing: { dist: exponential, mean: ");
    dur(f, t);
    fprintf(f, " }  # %s (%s)%s\n", kind_word(g->processing_prov.kind), g->processing_prov.how,
            isnan(g->processing_s) ? "; mqsim capture's placeholder 10ms: set it" :
            "; exponential assumed");
    fprintf(f, "    # measured over the %.1f s window: ack rate %.6g msg/s (/api/channels "
            "message_stats.ack), unacked %.4g on average (messages_unacknowledged, %d "
            "samples)\n", c->window_s, g->ack_rate, g->unacked, c->samples);
    write_reconnect(f, &g->client, &pf);
}

int lt_capture_write(FILE *f, const lt_capture *c, const lt_capture_doc *d, int *defaults,
                     sim_err *err)
{
    int dummy = 0;
    if (!defaults) defaults = &dummy;
    *defaults = 0;
    char when[32];
    time_t t0 = (time_t)c->started_utc;
    struct tm u;
    gmtime_r(&t0, &u);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &u);
    fprintf(f, "# Captured by mqsim capture from %s, vhost \"%s\", RabbitMQ %s.\n", c->broker,
            c->vhost, c->rabbitmq_version);
    fprintf(f, "# Window: %.1f s from %s, %d samples. Each value says where it comes from:\n"
            "# measured (endpoint, field, window), estimated (method) or default (source).\n"
            "# Derivations: docs/CAPTURE.md.\n", c->window_s, when, c->samples);
    fprintf(f, "name: ");
    q(f, d->name);
    fprintf(f, "  # default (mqsim capture --name)\ndescription: \"captured from the live broker\"  "
            "# default\nrun:\n  duration: ");
    dur(f, d->run_s);
    fprintf(f, "  # default (mqsim capture --duration)\n");
    int hh = (int)(d->start_clock_s / 3600), mm = (int)fmod(d->start_clock_s / 60, 60);
    fprintf(f, "  start_at: \"%02d:%02d\"  # measured (local time of day at the capture)\n", hh, mm);
    fprintf(f, "instance:\n  kind: rabbitmq  # measured (/api/overview rabbitmq_version %s)\n",
            c->rabbitmq_version);
    fprintf(f, "  edition: professional  # default (docs/SCENARIO.md; the management API does "
            "not show the managed edition: set yours)\n");
    fprintf(f, "  deployment: shared  # default (docs/SCENARIO.md; not visible in the API: "
            "set yours)\n");
    fprintf(f, "clusters:\n  - name: captured  # default (one cluster)\n    brokers:\n"
            "      - name: b1  # default (one broker; its capacity unlimited, the API does not "
            "show a managed instance's limit)\n");
    fprintf(f, "queues:\n");
    for (size_t i = 0; i < c->nqueues; i++) {
        const lt_cap_queue *x = &c->queues[i];
        fprintf(f, "  - name: ");
        q(f, x->name);
        fprintf(f, "  # measured (/api/queues name)\n    type: %s  # measured (/api/queues type)%s\n",
                x->type, strcmp(x->type, "classic") ? "; simulated as classic (mqsim check warns)"
                : "");
        if (!isnan(x->ttl_s))
            fprintf(f, "    # message TTL %.6g s: measured (arguments x-message-ttl); not "
                    "modelled: run.retention is the model's only expiry\n", x->ttl_s);
        fprintf(f, "    # arguments: %.400s (measured, /api/queues arguments)\n", x->arguments);
        fprintf(f, "    # publish %.6g msg/s, delivered %.6g msg/s (measured over the window)\n",
                x->publish_rate, x->deliver_rate);
    }
    size_t ng = c->nproducers + c->nconsumers;
    char (*names)[NAME_MAX_BYTES + 24] = calloc(ng ? ng : 1, sizeof *names);
    SIM_NEED(names != NULL, "out of memory");
    double total = 0;
    for (size_t i = 0; i < c->nproducers; i++) total += c->producers[i].rate;
    size_t k = 0;
    if (c->nproducers) fprintf(f, "producers:\n");
    for (size_t i = 0; i < c->nproducers; i++) {
        const lt_cap_producer *p = &c->producers[i];
        if (p->queue < 0) {
            fprintf(f, "  # group \"%.100s\" (%.6g msg/s) left out: %s\n", p->app, p->rate,
                    p->queue_prov.how);
            continue;
        }
        group_name(names, k, p->app, c->queues[p->queue].name);
        lt_cap_profile pf;
        fprintf(f, "  - name: ");
        q(f, names[k++]);
        fprintf(f, "  # measured (application: connection name or product@host)\n    queue: ");
        q(f, c->queues[p->queue].name);
        fprintf(f, "  # %s (%s)\n", kind_word(p->queue_prov.kind), p->queue_prov.how);
        fprintf(f, "    count: %d  # measured (channels that published in the window)\n", p->count);
        write_client(f, &p->client, &pf);
        write_rate(f, c, p, d, total);
        fprintf(f, "    confirms: %s  # measured (/api/channels confirm)\n",
                p->confirms ? "true" : "false");
        write_reconnect(f, &p->client, &pf);
    }
    if (c->nconsumers) fprintf(f, "consumers:\n");
    for (size_t i = 0; i < c->nconsumers; i++) {
        const lt_cap_consumer *g = &c->consumers[i];
        group_name(names, k, g->app, c->queues[g->queue].name);
        write_consumer(f, c, g, names[k++], defaults);
    }
    free(names);
    bool any = false;
    for (size_t i = 0; i < c->nqueues; i++) {
        const lt_cap_queue *x = &c->queues[i];
        if (x->ready + x->unacked == 0) continue;
        if (!any) fprintf(f, "backlog:\n");
        any = true;
        fprintf(f, "  - queue: ");
        q(f, x->name);
        fprintf(f, "  # measured (/api/queues name)\n    messages: %llu  # measured (/api/queues messages_ready %llu + "
                "messages_unacknowledged %llu at the last sample)\n",
                (unsigned long long)(x->ready + x->unacked), (unsigned long long)x->ready,
                (unsigned long long)x->unacked);
        if (isnan(x->oldest_age_s))
            fprintf(f, "    # age: default constant 0s (no head_message_timestamp: the messages "
                    "carry no timestamp property)\n");
        else
            fprintf(f, "    age: { dist: uniform, min: 0s, max: %.6gs }  # estimated (oldest "
                    "from head_message_timestamp; uniform assumes a steady build-up)\n",
                    x->oldest_age_s);
    }
    fflush(f);
    if (ferror(f)) return sim_err_set(err, "write error");
    return 0;
}
