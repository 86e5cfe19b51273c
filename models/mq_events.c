/*
** mq_events.c - the scenario's timed events, applied to the world.
**
**   broker_restart  the broker is down for `duration`; every client on it
**                   loses its connection (reset, or silent if asked) and
**                   cannot reconnect until the broker is back;
**   disconnect      the listed groups (all by default) are dropped from the
**                   broker (all by default, a change's added brokers too)
**                   and refused for `duration`
**                   (or not refused at all: "until_reconnect"); a silent
**                   one with a duration is a silence: clients that have
**                   not noticed it by its end keep their connections;
**   app_restart     the listed groups' applications restart: they drop their
**                   connections and reconnect after `duration`, whatever
**                   their recovery settings;
**   resource_op     a topic/group operation: no effect on the flow here;
**                   change models warn when it falls inside a change window.
** Each event becomes a band on the plots and labels the timeseries rows it
** overlaps.
*/
#include "models/mq_world.h"
#include "sim/sim_err.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static bool selected(const mq_event *ev, bool consumer, int group)
{
    if (ev->ngroups == 0) return true;
    for (size_t i = 0; i < ev->ngroups; i++)
        if (ev->groups[i].consumer == consumer && ev->groups[i].index == group) return true;
    return false;
}

static bool on_broker(const mq_event *ev, int broker)
{
    return ev->broker < 0 || ev->broker == broker;
}

static const char *type_name(mq_event_type t)
{
    switch (t) {
    case MQ_EVENT_BROKER_RESTART: return "broker_restart";
    case MQ_EVENT_DISCONNECT: return "disconnect";
    case MQ_EVENT_APP_RESTART: return "app_restart";
    case MQ_EVENT_RESOURCE_OP: return "resource_op";
    }
    return "event";
}

static const char *label_of(const mq_event *ev)
{
    return ev->label && *ev->label ? ev->label : type_name(ev->type);
}

/* Drop every client matched by fn(ev, conn). */
static void drop_clients(mq_world *w, const mq_event *ev,
                         bool (*match)(const mq_event *, const mq_conn *),
                         double forced_restart_s)
{
    for (size_t i = 0; i < w->nprod; i++) {
        mq_conn *c = &w->producers[i]->conn;
        if (match(ev, c)) mq_conn_drop(w, c, ev->silent, forced_restart_s);
    }
    for (size_t i = 0; i < w->ncons; i++) {
        mq_conn *c = &w->consumers[i]->conn;
        if (match(ev, c)) mq_conn_drop(w, c, ev->silent, forced_restart_s);
    }
}

static bool match_broker(const mq_event *ev, const mq_conn *c)
{
    return on_broker(ev, c->broker);
}

static bool match_broker_group(const mq_event *ev, const mq_conn *c)
{
    return on_broker(ev, c->broker) && selected(ev, c->consumer, c->group);
}

static bool match_group(const mq_event *ev, const mq_conn *c)
{
    return selected(ev, c->consumer, c->group);
}

/* A silent disconnect of `duration` ends: every matched client that has
** not noticed the silence yet keeps its connection (mq_conn_resume). */
static void on_silence_end(sim *s, void *subject, uint64_t arg)
{
    (void)s;
    mq_world *w = subject;
    const mq_event *ev = &w->s->events[arg];
    for (size_t i = 0; i < w->nprod; i++) {
        mq_conn *c = &w->producers[i]->conn;
        if (match_broker_group(ev, c)) mq_conn_resume(w, c);
    }
    for (size_t i = 0; i < w->ncons; i++) {
        mq_conn *c = &w->consumers[i]->conn;
        if (match_broker_group(ev, c)) mq_conn_resume(w, c);
    }
}

static void on_end(sim *s, void *subject, uint64_t arg)
{
    (void)s;
    (void)arg;
    mq_world *w = subject;
    SIM_ASSERT(w->active_events > 0);
    if (--w->active_events == 0) snprintf(w->label, sizeof w->label, "%s", w->phase);
}

/* Rolling app restart: one client restarts (subject = its connection). */
static void on_restart_one(sim *s, void *subject, uint64_t arg)
{
    (void)s;
    mq_conn *c = subject;
    const mq_event *ev = &c->w->s->events[arg];
    mq_conn_drop(c->w, c, ev->silent, fmax(ev->duration_s, 0));
}

/* Start times of a rolling restart: the k-th matching client (producers,
** then consumers, in group order) restarts at at + k * rolling. Returns how
** many clients it scheduled (or would schedule, when sched is false). */
static size_t rolling(mq_world *w, size_t evi, bool sched)
{
    const mq_event *ev = &w->s->events[evi];
    size_t k = 0;
    for (size_t i = 0; i < w->nprod + w->ncons; i++) {
        mq_conn *c = i < w->nprod ? &w->producers[i]->conn : &w->consumers[i - w->nprod]->conn;
        if (!match_group(ev, c)) continue;
        if (sched)
            sim_at(w->sim, ev->at_s + (double)k * ev->rolling_s, PRIO_EVENT, K_EVENT_START,
                   on_restart_one, c, evi);
        k++;
    }
    return k;
}

static void on_start(sim *s, void *subject, uint64_t arg)
{
    mq_world *w = subject;
    const mq_scenario *sc = w->s;
    const mq_event *ev = &sc->events[arg];
    double now = sim_now(s);
    double d = fmax(ev->duration_s, 0);
    switch (ev->type) {
    case MQ_EVENT_BROKER_RESTART:
        for (size_t b = 0; b < sc->nbrokers; b++)
            if (on_broker(ev, (int)b))
                w->brokers[b].down_until = fmax(w->brokers[b].down_until, now + d);
        drop_clients(w, ev, match_broker, -1);
        break;
    case MQ_EVENT_DISCONNECT:
        /* "every broker" includes one a change added (a conversion's
        ** destination): a client that lands there is refused as well */
        for (size_t b = 0; b < (ev->broker < 0 ? w->nbrk : sc->nbrokers); b++) {
            if (!on_broker(ev, (int)b)) continue;
            for (size_t g = 0; g < sc->nproducers; g++)
                if (selected(ev, false, (int)g))
                    w->brokers[b].blocked_until[mq_group_slot(sc, false, (int)g)] = now + d;
            for (size_t g = 0; g < sc->nconsumers; g++)
                if (selected(ev, true, (int)g))
                    w->brokers[b].blocked_until[mq_group_slot(sc, true, (int)g)] = now + d;
        }
        drop_clients(w, ev, match_broker_group, -1);
        if (ev->silent && ev->duration_s > 0)
            sim_at(s, now + d, PRIO_EVENT, K_EVENT_END, on_silence_end, w, arg);
        break;
    case MQ_EVENT_APP_RESTART:
        if (ev->rolling_s > 0) {
            size_t n = rolling(w, arg, true);
            d += n > 0 ? (double)(n - 1) * ev->rolling_s : 0; /* label spans all */
        } else {
            drop_clients(w, ev, match_group, d);
        }
        break;
    case MQ_EVENT_RESOURCE_OP:
        break;
    }
    w->active_events++;
    snprintf(w->label, sizeof w->label, "%s", label_of(ev));
    sim_at(s, now + fmax(d, sc->run.sample_s), PRIO_EVENT, K_EVENT_END, on_end, w, arg);
}

/* The earliest end of an app_restart still to come (at or after now) that
** includes client c, INFINITY if none: the application reconnects then,
** whatever its recovery settings. A rolling restart reaches c at its turn. */
double mq_events_restart_back(const mq_world *w, const mq_conn *c, double now)
{
    double best = INFINITY;
    for (size_t i = 0; i < w->s->nevents; i++) {
        const mq_event *ev = &w->s->events[i];
        if (ev->type != MQ_EVENT_APP_RESTART || !match_group(ev, c)) continue;
        double t = ev->at_s;
        if (ev->rolling_s > 0) {
            size_t k = 0; /* c's turn, counted as rolling() counts */
            for (size_t j = 0; j < w->nprod + w->ncons; j++) {
                const mq_conn *o = j < w->nprod ? &w->producers[j]->conn
                                                : &w->consumers[j - w->nprod]->conn;
                if (o == c) break;
                k += match_group(ev, o);
            }
            t += (double)k * ev->rolling_s;
        }
        if (t >= now) best = fmin(best, t + fmax(ev->duration_s, 0));
    }
    return best;
}

void mq_events_schedule(mq_world *w)
{
    const mq_scenario *sc = w->s;
    for (size_t i = 0; i < sc->nevents; i++) {
        const mq_event *ev = &sc->events[i];
        sim_at(w->sim, ev->at_s, PRIO_EVENT, K_EVENT_START, on_start, w, i);
        double span = fmax(ev->duration_s, 0);
        if (ev->type == MQ_EVENT_APP_RESTART && ev->rolling_s > 0) {
            size_t n = rolling(w, i, false);
            span += n > 0 ? (double)(n - 1) * ev->rolling_s : 0;
        }
        double end = ev->at_s + fmax(span, sc->run.sample_s);
        SIM_NEED_OK(sim_bands_add(w->bands, ev->at_s, end, label_of(ev)));
    }
}
