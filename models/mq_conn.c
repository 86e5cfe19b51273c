/*
** mq_conn.c - the client connection state machine, shared by producers and
** consumers.
**
**   UP --drop(reset)--> [client notices at once] --+--> BACKOFF (automatic)
**   UP --drop(silent)--> DETECTING --detect_silent_s--^   or CUT_OFF
**                        DETECTING --silence ends first--> UP (same connection),
**                          or, when the server reset it meanwhile, the
**                          client meets the close: BACKOFF or CUT_OFF
**   BACKOFF --timer--> attempt: reachable? UP : BACKOFF with the next wait,
**                      or CUT_OFF after max_attempts
**   CUT_OFF --app_restart_s (if set)--> attempt as above
**
** Waits are fixed or exponential (multiplier, capped at max_interval), each
** with +/- jitter drawn from the client's own "reconnect" stream. A cut-off
** window runs from the drop to the moment the client is UP again; windows
** still open at the end of the run are closed there and counted.
**
** A silence that ends before the client notices it (mq_conn_resume, from
** the event's end) is not a disconnect: DETECTING goes back to UP on the
** same connection, no reconnect; the window is the silence. Checked against
** the real libraries with the broker's VM stopped and resumed
** (docs/VALIDATION.md): none of them dropped its connection.
**
** At the end of the run mq_conn_end_state says why a client is still cut
** off (mq_end_state): a refusal by its broker first, since then no setting
** of the client would have brought it back, else its state here.
**
** Simplification (documented in docs/MODEL.md): when the peer goes silent,
** the broker notices and requeues at the same moment the client does.
*/
#include "models/mq_world.h"
#include "sim/sim_err.h"

#include <math.h>

bool mq_conn_reachable(const mq_world *w, const mq_conn *c)
{
    double now = sim_now(w->sim);
    const mq_broker_rt *b = &w->brokers[c->broker];
    return now >= b->down_until &&
           now >= b->blocked_until[mq_group_slot(w->s, c->consumer, c->group)];
}

static double jittered(mq_conn *c, double wait)
{
    double j = c->cfg->jitter;
    if (j <= 0) return wait;
    double u = gsl_rng_uniform(c->rng);
    return wait * (1.0 - j + 2.0 * j * u);
}

static void attempt(sim *s, void *subject, uint64_t arg);

static void arm(mq_world *w, mq_conn *c, double delay)
{
    sim_cancel(w->sim, c->timer);
    c->timer = sim_after(w->sim, delay, PRIO_CLIENT, K_CONN_TIMER, attempt, c, 0);
    c->timer_at = sim_now(w->sim) + delay;
}

static void set_up(mq_world *w, mq_conn *c)
{
    double now = sim_now(w->sim);
    double win = now - c->down_since;
    SIM_ASSERTF(win >= 0, "cut-off window of %g s is negative", win);
    c->total_down_s += win;
    if (win > c->max_down_s) c->max_down_s = win;
    if (w->change.ops->on_conn_up) w->change.ops->on_conn_up(w, c, win);
    c->state = CONN_UP;
    c->attempts = 0;
    c->reconnects++;
    w->reconnects++;
    if (c->consumer) w->connected_consumers++;
    else w->connected_producers++;
    mq_client_on_up(w, c);
}

/* The client knows it is disconnected: pick the way back, then let the
** client react (requeue, republish) in its new state. */
static void went_down(mq_world *w, mq_conn *c, double forced_restart_s, conn_down_cause cause)
{
    c->down_cause = forced_restart_s >= 0 ? DOWN_APP_RESTART : cause;
    c->closed = false;
    w->exceptions++;
    c->attempts = 0;
    double delay;
    if (forced_restart_s >= 0) {
        c->state = CONN_CUT_OFF;
        delay = forced_restart_s;
    } else if (c->cfg->automatic) {
        c->state = CONN_BACKOFF;
        c->wait_s = c->cfg->interval_s;
        delay = jittered(c, c->wait_s);
    } else {
        c->state = CONN_CUT_OFF; /* until the application acts, or forever */
        delay = c->cfg->app_restart_s;
    }
    mq_client_on_down(w, c);
    if (delay >= 0) arm(w, c, delay);
}

static void attempt(sim *s, void *subject, uint64_t arg)
{
    (void)s;
    (void)arg;
    mq_conn *c = subject;
    mq_world *w = c->w;
    c->timer = SIM_HANDLE_NONE;
    if (c->state == CONN_DETECTING) { /* the silence is noticed now */
        went_down(w, c, -1, DOWN_SILENCE_DETECTED);
        return;
    }
    SIM_ASSERT(c->state == CONN_BACKOFF || c->state == CONN_CUT_OFF);
    if (w->change.ops->conn_route) { /* a migration may move it */
        w->change.ops->conn_route(w, c);
        mq_routing_changed(w);
    }
    if (mq_conn_reachable(w, c)) {
        set_up(w, c);
        return;
    }
    w->exceptions++;
    c->attempts++;
    const mq_reconnect *r = c->cfg;
    if (r->max_attempts > 0 && c->attempts >= r->max_attempts) {
        c->state = CONN_CUT_OFF; /* gave up; only the application can help */
        return;
    }
    c->state = CONN_BACKOFF;
    if (c->wait_s <= 0) c->wait_s = r->interval_s;
    else if (r->backoff == MQ_BACKOFF_EXPONENTIAL)
        c->wait_s = fmin(c->wait_s * r->multiplier, r->max_interval_s);
    arm(w, c, jittered(c, c->wait_s));
}

void mq_conn_drop(mq_world *w, mq_conn *c, bool silent, double forced_restart_s)
{
    if (c->state == CONN_UP) {
        c->drops++;
        c->down_since = sim_now(w->sim);
        if (c->consumer) {
            SIM_ASSERT(w->connected_consumers > 0);
            w->connected_consumers--;
        } else {
            SIM_ASSERT(w->connected_producers > 0);
            w->connected_producers--;
        }
        if (silent && forced_restart_s < 0) {
            c->state = CONN_DETECTING;
            mq_client_on_silent(w, c);
            arm(w, c, c->cfg->detect_silent_s);
            return;
        }
        went_down(w, c, forced_restart_s, DOWN_RESET);
        return;
    }
    /* Already down. A server-side reset of a link that is silent closes
    ** the connection: the client meets the close when the silence ends
    ** (mq_conn_resume), or notices the silence first. An application
    ** restart still brings it back. */
    if (c->state == CONN_DETECTING && !silent) c->closed = true;
    if (forced_restart_s >= 0) {
        if (c->state == CONN_DETECTING) {
            went_down(w, c, forced_restart_s, DOWN_APP_RESTART);
        } else {
            c->state = CONN_CUT_OFF;
            arm(w, c, forced_restart_s);
        }
    }
}

void mq_conn_resume(mq_world *w, mq_conn *c)
{
    if (c->state != CONN_DETECTING) return;
    sim_cancel(w->sim, c->timer); /* the detection that will not happen */
    c->timer = SIM_HANDLE_NONE;
    if (c->closed) { /* the server reset it meanwhile: the client sees that now */
        went_down(w, c, -1, DOWN_RESET);
        return;
    }
    double win = sim_now(w->sim) - c->down_since;
    c->total_down_s += win;
    if (win > c->max_down_s) c->max_down_s = win;
    c->state = CONN_UP;
    if (c->consumer) w->connected_consumers++;
    else w->connected_producers++;
    mq_client_on_resume(w, c);
}

mq_end_state mq_conn_end_state(mq_world *w, const mq_conn *c, double *refused_until)
{
    *refused_until = NAN;
    if (c->state == CONN_UP) return MQ_END_CONNECTED;
    /* where its next attempt would go: the change's routing, on a copy */
    mq_conn next = *c;
    if (w->change.ops->conn_route) w->change.ops->conn_route(w, &next);
    if (!mq_conn_reachable(w, &next)) {
        const mq_broker_rt *b = &w->brokers[next.broker];
        *refused_until =
            fmax(b->down_until, b->blocked_until[mq_group_slot(w->s, next.consumer, next.group)]);
        return MQ_END_REFUSED;
    }
    if (c->state == CONN_DETECTING || c->state == CONN_BACKOFF) return MQ_END_RECONNECTING;
    if (c->timer_at > sim_now(w->sim)) return MQ_END_RESTART_LATER; /* CUT_OFF, restart armed */
    return c->cfg->automatic ? MQ_END_GAVE_UP : MQ_END_NO_RECOVERY;
}

void mq_conn_finish(mq_world *w, mq_conn *c)
{
    if (c->state == CONN_UP) return;
    double win = sim_now(w->sim) - c->down_since;
    c->total_down_s += win;
    if (win > c->max_down_s) c->max_down_s = win;
}
