/*
** sim.c - the engine behind sim.h: clock, scheduling checks, the run loop,
** progress reports and the trace fingerprint. The pending-event structure
** itself is sim_evq.c; this file adds only what every event pays for.
**
** Per executed event the loop does: one pop, one store of the clock, a
** counter, a per-kind counter, two multiply-xorshift steps for the
** fingerprint, the action call, and two predictable branches (sim_stop, the
** optional stop condition). The wall clock is read only every
** WALL_CHECK_EVERY events, so progress reporting costs nothing measurable.
**
** Fingerprint: h starts at the FNV-1a 64 offset basis; each event folds in
** the bit pattern of its time (with -0.0 normalised to +0.0) and then its
** kind, each step h = (h ^ x) * K; h ^= h >> 29 with K the 64-bit golden
** ratio constant. Order-sensitive and cheap; the value is part of the
** regression tests, so changing this formula changes pinned constants.
*/
#include "sim/sim.h"
#include "sim/sim_err.h"
#include "sim/sim_evq.h"
#include "sim/sim_src.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WALL_CHECK_EVERY 4096
#define FP_BASIS 0xcbf29ce484222325ULL
#define FP_MULT 0x9e3779b97f4a7c15ULL

struct sim {
    sim_evq *q;
    double now;
    uint64_t executed;
    uint64_t fp;
    bool stop_requested;
    sim_stop_fn stop_fn;
    void *stop_ud;
    sim_progress_fn prog_fn;
    void *prog_ud;
    double prog_every;
    sim_lookahead_fn ahead_fn;
    void *ahead_ud;
    sim_src src; /* the open-loop source; src.next == NULL: none */
    sim_action src_fn;
    int32_t src_prio;
    uint32_t src_kind;
    uint64_t kind_count[SIM_KIND_COUNTED];
};

sim *sim_new_queue(sim_queue_kind kind)
{
    sim *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->q = sim_evq_new(kind);
    if (!s->q) {
        free(s);
        return NULL;
    }
    s->fp = FP_BASIS;
    return s;
}

sim *sim_new(void) { return sim_new_queue(SIM_QUEUE_LADDER); }

void sim_free(sim *s)
{
    if (!s) return;
    sim_evq_free(s->q);
    sim_src_free(&s->src);
    free(s);
}

double sim_now(const sim *s) { return s->now; }

sim_handle sim_schedule_(sim *s, double t, int32_t prio, uint32_t kind,
                         sim_action fn, void *subject, uint64_t arg,
                         const char *file, int line)
{
    if (!(t >= s->now)) { /* also catches NaN */
        if (isnan(t))
            sim_fatal(file, line, "sim_schedule",
                      "event time is NaN (now %.17g s, kind %u)", s->now,
                      kind);
        sim_fatal(file, line, "sim_schedule",
                  "event scheduled in the past: t %.17g s < now %.17g s "
                  "(kind %u)", t, s->now, kind);
    }
    if (t == INFINITY)
        sim_fatal(file, line, "sim_schedule",
                  "event scheduled at infinite time (kind %u)", kind);
    if (!fn)
        sim_fatal(file, line, "sim_schedule", "NULL action (kind %u)", kind);
    return sim_evq_push(s->q, t, prio, kind, fn, subject, arg);
}

bool sim_cancel(sim *s, sim_handle h) { return sim_evq_cancel(s->q, h); }

bool sim_is_pending(const sim *s, sim_handle h)
{
    return sim_evq_is_pending(s->q, h);
}

void sim_source_set(sim *s, int32_t prio, uint32_t kind, sim_action fn, sim_next_fn next)
{
    SIM_ASSERTF(fn && next, "sim_source_set needs an action and a next function");
    SIM_ASSERTF(!s->src.next, "one source per engine");
    s->src.next = next;
    s->src_fn = fn;
    s->src_prio = prio;
    s->src_kind = kind;
}

int sim_source_add(sim *s, void *subject, double first_t)
{
    SIM_ASSERTF(s->src.next, "sim_source_add before sim_source_set");
    SIM_ASSERTF(s->executed == 0, "sim_source_add after the run has started");
    return sim_src_add(&s->src, subject, first_t);
}

void sim_set_stop_condition(sim *s, sim_stop_fn fn, void *ud)
{
    s->stop_fn = fn;
    s->stop_ud = ud;
}

void sim_stop(sim *s) { s->stop_requested = true; }

void sim_set_lookahead(sim *s, sim_lookahead_fn fn, void *ud)
{
    s->ahead_fn = fn;
    s->ahead_ud = ud;
}

void sim_set_progress(sim *s, sim_progress_fn fn, void *ud,
                      double every_wall_s)
{
    s->prog_fn = fn;
    s->prog_ud = ud;
    s->prog_every = every_wall_s > 0 ? every_wall_s : 0;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static inline uint64_t fp_step(uint64_t h, uint64_t x)
{
    h = (h ^ x) * FP_MULT;
    return h ^ (h >> 29);
}

static void report(sim *s, double until, double t0, double wall0,
                   uint64_t exec0, bool done)
{
    sim_progress p;
    p.now = s->now;
    p.until = until;
    p.executed = s->executed;
    p.pending = sim_events_pending(s);
    p.wall_s = wall_now() - wall0;
    p.events_per_s = p.wall_s > 0 ? (double)(s->executed - exec0) / p.wall_s
                                   : 0.0;
    p.eta_s = -1.0;
    if (done)
        p.eta_s = 0.0;
    else if (isfinite(until) && s->now > t0 && p.wall_s > 0)
        p.eta_s = p.wall_s * (until - s->now) / (s->now - t0);
    p.done = done;
    s->prog_fn(&p, s->prog_ud);
}

sim_stop_reason sim_run(sim *s, double until)
{
    SIM_ASSERTF(until >= s->now, "sim_run until %.17g s, but now is %.17g s",
                until, s->now);
    s->stop_requested = false;
    const double t0 = s->now;
    const uint64_t exec0 = s->executed;
    double wall0 = 0, next_report = 0;
    uint64_t next_check = UINT64_MAX;
    if (s->prog_fn) {
        wall0 = wall_now();
        next_report = wall0 + s->prog_every;
        next_check = s->executed + WALL_CHECK_EVERY;
    }
    sim_evq *q = s->q;
    uint64_t fp = s->fp;
    sim_stop_reason why;
    sim_evq_item it;
    sim_src *src = &s->src;
    for (;;) {
        /* the source's head, if due by `until`, bounds what the queue may
        ** hand out; at equal (t, prio) the queue goes first */
        const sim_src_ev *sh = src->next ? sim_src_head(src) : NULL;
        if (sh && sh->t > until) sh = NULL;
        if (!sim_evq_pop_before(q, sh ? sh->t : until, sh ? s->src_prio : INT32_MAX, &it)) {
            if (!sh) {
                why = sim_evq_size(q) || (src->next && sim_src_head(src)) ? SIM_STOP_TIME
                                                                           : SIM_STOP_EMPTY;
                if (isfinite(until)) s->now = until;
                break;
            }
            it.t = sh->t;
            it.fn = s->src_fn;
            it.subject = src->subjects[sh->subject];
            it.arg = 0;
            it.kind = s->src_kind;
            sim_src_take(src);
        }
        SIM_ASSERTF(it.t >= s->now,
                    "event list returned t %.17g s before now %.17g s (kind %u)",
                    it.t, s->now, it.kind);
        s->now = it.t;
        s->executed++;
        s->kind_count[it.kind < SIM_KIND_COUNTED ? it.kind
                                                 : SIM_KIND_COUNTED - 1]++;
        uint64_t tb;
        double tt = it.t + 0.0; /* -0.0 -> +0.0 */
        memcpy(&tb, &tt, sizeof tb);
        fp = fp_step(fp_step(fp, tb), it.kind);
        s->fp = fp; /* actions may read sim_fingerprint() */
        if (s->ahead_fn) {
            uint32_t ak;
            void *asub;
            uint64_t aarg;
            if (sim_evq_ahead(q, SIM_LOOKAHEAD - 1, &ak, &asub, &aarg))
                s->ahead_fn(s->ahead_ud, ak, asub, aarg);
        }
        it.fn(s, it.subject, it.arg);
        if (s->stop_requested) {
            why = SIM_STOP_REQUESTED;
            break;
        }
        if (s->stop_fn && s->stop_fn(s, s->stop_ud)) {
            why = SIM_STOP_CONDITION;
            break;
        }
        if (s->executed >= next_check) {
            next_check = s->executed + WALL_CHECK_EVERY;
            if (wall_now() >= next_report) {
                report(s, until, t0, wall0, exec0, false);
                next_report = wall_now() + s->prog_every;
            }
        }
    }
    s->stop_requested = false;
    if (s->prog_fn) report(s, until, t0, wall0, exec0, true);
    return why;
}

void sim_progress_stderr(const sim_progress *p, void *ud)
{
    (void)ud;
    char eta[32];
    if (p->eta_s >= 0)
        snprintf(eta, sizeof eta, p->eta_s < 10 ? "%.1f s" : "%.0f s",
                 p->eta_s);
    else
        snprintf(eta, sizeof eta, "?");
    char pct[16] = "";
    if (isfinite(p->until) && p->until > 0)
        snprintf(pct, sizeof pct, " (%3.0f%%)", 100.0 * p->now / p->until);
    fprintf(stderr,
            "\rsim t=%.1f s%s  events=%llu  %.3g ev/s  pending=%zu  eta %s   ",
            p->now, pct, (unsigned long long)p->executed, p->events_per_s,
            p->pending, eta);
    if (p->done) fputc('\n', stderr);
    fflush(stderr);
}

uint64_t sim_fingerprint(const sim *s) { return s->fp; }
uint64_t sim_events_executed(const sim *s) { return s->executed; }
size_t sim_events_pending(const sim *s) { return sim_evq_size(s->q) + sim_src_pending(&s->src); }
size_t sim_bytes_per_event(void) { return sim_evq_bytes_per_event(); }
size_t sim_mem_bytes(const sim *s)
{
    return sizeof *s + sim_evq_mem_bytes(s->q) + sim_src_mem_bytes(&s->src);
}

uint64_t sim_events_of_kind(const sim *s, uint32_t kind)
{
    return s->kind_count[kind < SIM_KIND_COUNTED ? kind : SIM_KIND_COUNTED - 1];
}
