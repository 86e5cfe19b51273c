/*
** mq_size.c - the up-front cost estimate of one replication and its
** ceiling; the per-item costs and where they come from are in mq_size.h.
** Terms of one kind are summed into one term (blamed on the largest
** contributor of that kind), so a file of 16 000 groups gives one term.
*/
#include "models/mq_size.h"
#include "models/mq_model.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define B_STORED 64.0
#define EV_STORED 2.0 /* per consumed stored message, + 1 preload */
#define B_SCHED 160.0
#define EV_SCHED 2.0 /* per consumed scheduled message, + 1 due */
#define EV_PUBLISHED 2.0
#define B_PILED 48.0
#define B_SAMPLE 200.0
#define EV_SAMPLE 1.0
#define B_CLIENT 640.0
#define B_GROUP (12.0 * 1024)
#define B_FIXED (16.0 * 1024 * 1024)

__attribute__((format(printf, 5, 6)))
static void add(mq_size *z, mq_loc loc, double bytes, double events, const char *fmt, ...)
{
    z->bytes += bytes;
    z->events += events;
    if (z->n == MQ_SIZE_TERMS) return;
    mq_size_term *t = &z->terms[z->n++];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->what, sizeof t->what, fmt, ap);
    va_end(ap);
    t->loc = loc;
    t->bytes = bytes;
    t->events = events;
}

/* Mean offered rate of one group over the run (msg/s), its day profile
** read at the run's own clock; 1000 midpoints. */
static double mean_rate(const mq_scenario *s, const mq_rate *r)
{
    double sum = 0;
    for (int k = 0; k < 1000; k++) sum += mq_rate_at_run(s, r, s->run.duration_s * (k + 0.5) / 1000);
    return sum / 1000;
}

/* The sum of n `messages` fields `stride` bytes apart (backlog[] or
** scheduled[]), and in *at the index of the largest. first is not read
** when n is 0. */
static double sum_messages(const uint64_t *first, size_t n, size_t stride, size_t *at)
{
    double sum = 0, big = -1;
    *at = 0;
    for (size_t i = 0; i < n; i++) {
        double m = (double)*(const uint64_t *)((const char *)first + i * stride);
        sum += m;
        if (m > big) big = m, *at = i;
    }
    return sum;
}

void mq_size_estimate(const mq_scenario *s, mq_size *z)
{
    *z = (mq_size){0};
    double d = s->run.duration_s;
    add(z, (mq_loc){0, 0}, B_FIXED, 0, "the model itself");

    /* consumption bounds the events of stored messages: only those the
    ** consumers can take within the run cost their delivery events; every
    ** stored message costs one unit of preload work */
    double can_consume = mq_scenario_consume_capacity(s, 0) * d;
    size_t at;
    double stored = sum_messages(s->nbacklogs ? &s->backlogs[0].messages : NULL, s->nbacklogs,
                                 sizeof *s->backlogs, &at);
    if (s->nbacklogs)
        add(z, s->backlogs[at].messages_loc, stored * B_STORED,
            stored + EV_STORED * fmin(stored, can_consume),
            "backlog[%zu].messages: %.4g stored messages in all", at, stored);
    double sched = sum_messages(s->nscheduled ? &s->scheduled[0].messages : NULL, s->nscheduled,
                                sizeof *s->scheduled, &at);
    if (s->nscheduled)
        add(z, s->scheduled[at].messages_loc, sched * B_SCHED,
            sched + EV_SCHED * fmin(sched, can_consume),
            "scheduled[%zu].messages: %.4g scheduled messages in all", at, sched);
    z->stored = stored + sched;

    double samples = s->run.sample_s > 0 ? floor(d / s->run.sample_s) + 1 : 1;
    mq_loc sl = s->run.sample_loc.line ? s->run.sample_loc : s->run.duration_loc;
    add(z, sl, samples * B_SAMPLE, samples * EV_SAMPLE,
        "run.sample_interval: %.4g timeseries samples", samples);

    double published = 0, top = -1;
    at = 0;
    for (size_t i = 0; i < s->nproducers; i++) {
        double m = mean_rate(s, &s->producers[i].rate) * d;
        published += m;
        if (m > top) top = m, at = i;
    }
    if (s->nproducers) {
        add(z, s->producers[at].rate_loc, 0, published * EV_PUBLISHED,
            "producers[%zu].rate: %.4g messages published in all", at, published);
        double pile = (mq_scenario_peak_rate(s) - mq_scenario_consume_capacity(s, 0)) * d;
        if (pile > 0)
            add(z, s->producers[at].rate_loc, pile * B_PILED, 0,
                "producers[%zu].rate: %.4g messages piling up beyond the consumers' capacity",
                at, pile);
    }

    double clients = 0, most = -1;
    mq_loc gl = {0, 0};
    for (size_t i = 0; i < s->nproducers; i++) {
        clients += s->producers[i].count;
        if (s->producers[i].count > most) most = s->producers[i].count, gl = s->producers[i].loc;
    }
    for (size_t i = 0; i < s->nconsumers; i++) {
        clients += s->consumers[i].count;
        if (s->consumers[i].count > most) most = s->consumers[i].count, gl = s->consumers[i].loc;
    }
    double groups = (double)(s->nproducers + s->nconsumers);
    add(z, gl, clients * B_CLIENT + groups * B_GROUP, 0, "%.0f client groups with %.0f clients",
        groups, clients);
}

/* The term with the largest share of `bytes` (which = 0) or `events` (1). */
static const mq_size_term *largest(const mq_size *z, int which)
{
    const mq_size_term *best = &z->terms[0];
    for (size_t i = 1; i < z->n; i++) {
        double a = which ? z->terms[i].events : z->terms[i].bytes;
        double b = which ? best->events : best->bytes;
        if (a > b) best = &z->terms[i];
    }
    return best;
}

static const char *human_bytes(double b, char *buf, size_t n)
{
    if (b >= 1024.0 * 1024 * 1024) snprintf(buf, n, "%.1f GiB", b / (1024.0 * 1024 * 1024));
    else snprintf(buf, n, "%.0f MiB", b / (1024.0 * 1024));
    return buf;
}

int mq_size_check(const mq_scenario *s, const mq_limits *lim, sim_err *err)
{
    mq_size z;
    mq_size_estimate(s, &z);
    char a[32], b[32], c[32];
    if (z.stored > (double)UINT32_MAX) {
        const mq_size_term *t = &z.terms[1]; /* the backlog, or the schedule */
        for (size_t i = 1; i < z.n; i++)
            if (!strncmp(z.terms[i].what, "backlog", 7) || !strncmp(z.terms[i].what, "sched", 5)) {
                t = &z.terms[i];
                break;
            }
        return sim_err_at(err, s->path, t->loc.line, t->loc.col,
                          "%s; %.4g messages stored at t = 0 are more than the model holds "
                          "at once (2^32 = 4294967295)", t->what, z.stored);
    }
    if (z.bytes > lim->max_bytes) {
        const mq_size_term *t = largest(&z, 0);
        return sim_err_at(err, s->path, t->loc.line, t->loc.col,
                          "%s need about %s of memory (the whole run: about %s); the "
                          "ceiling is %s a replication (docs/SCENARIO.md, \"Size ceiling\"; "
                          "--max-memory raises it)", t->what, human_bytes(t->bytes, a, sizeof a),
                          human_bytes(z.bytes, b, sizeof b),
                          human_bytes(lim->max_bytes, c, sizeof c));
    }
    if (z.events > lim->max_events) {
        const mq_size_term *t = largest(&z, 1);
        return sim_err_at(err, s->path, t->loc.line, t->loc.col,
                          "%s make about %.3g events (the whole run: about %.3g); the "
                          "ceiling is %.3g events a replication, minutes of run time "
                          "(docs/SCENARIO.md, \"Size ceiling\"; --max-events raises it)",
                          t->what, t->events, z.events, lim->max_events);
    }
    return 0;
}
