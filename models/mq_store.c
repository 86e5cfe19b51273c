/*
** mq_store.c - messages and broker queues.
**
** Messages live in one growable array indexed by a 32-bit id; everything
** else refers to them by id. A message is a *unique* message (what the
** application published once); the broker and clients hold *copies* of it.
** A duplicate is a second copy that gets processed. Each message counts its
** live copies, so the end-of-run accounting can prove that a message the
** books call pending really is somewhere.
**
** A queue is a FIFO ring of ready copies plus a FIFO of consumers that have
** free credit. A copy that arrives while a consumer waits goes straight to
** it; otherwise it waits in the ring. Requeued copies go to the front, as
** RabbitMQ requeues to the original position (near the head). TTL and
** retention are applied at the head, as RabbitMQ expires them: when a copy
** is about to be delivered, and by a wake-up at the head's expiry time (the
** queue process's TTL timer), so a queue nobody reads still drops what
** expires and a migration waiting for the source to empty sees it go. One
** wake-up per queue is armed at a time, for the current head only, and only
** when the head can expire at all (its entry's expiry bound is finite).
**
** Record lifetime. A record is needed while something may still act on its
** message: a copy (queue, client buffer or slot, producer, schedule) or a
** pin (an orphaned slot or buffered delivery that will still count a
** consumption, a stored send whose confirm is outstanding and that a drop
** would republish). Once the message is settled (consumed, lost or expired) and
** has neither, nothing can reach its id again, so the record goes on a LIFO
** free list and the next mq_msg_new reuses it. Memory then follows the
** messages in the system (a 5 M backlog plus what is in flight), not every
** message ever published, and the records in use stay hot in cache. Ids are
** handles, never compared or ordered by the base model, so recycling
** changes no result; a change type that keeps ids of settled messages
** (MQ_CHANGE_KEEPS_RECORDS) sets keep_records. Where a send, a store or a
** take lands when a change adds queues is the change type's routing hooks
** (models/change/mq_change.h); the store knows no migration. The end-of-run
** accounting counts recycled records by the fate they had.
*/
#include "models/mq_world.h"
#include "sim/sim_err.h"
#include "sim/sim_mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>


/* Grow the record array to hold `need` records; false if that much
** address space cannot be had (the array is unchanged then). */
static bool msgs_grow_to(mq_world *w, size_t need)
{
    if (need <= w->msgs_cap) return true;
    if (need > UINT32_MAX) return false;
    /* 64-byte aligned, so no 32-byte record straddles two cache lines
    ** (malloc's 16-byte alignment put every other one across a line), and on
    ** huge pages when large (sim_mem.h). */
    size_t ncap = (need + 1) & ~(size_t)1;
    mq_msg *m = sim_alloc_large(ncap * sizeof *m);
    if (!m) return false;
    if (w->nmsgs) memcpy(m, w->msgs, w->nmsgs * sizeof *m);
    free(w->msgs);
    w->msgs = m;
    w->msgs_cap = ncap;
    return true;
}

void mq_msg_reserve(mq_world *w, size_t more)
{
    size_t need = w->nmsgs + more;
    SIM_NEED(need <= UINT32_MAX, "more than 2^32 messages stored at once (the model's limit)");
    bool grown = msgs_grow_to(w, need);
    SIM_NEED(grown, "out of memory for %zu messages", need);
}

void mq_msg_reserve_ahead(mq_world *w, size_t more, size_t ahead)
{
    size_t need = w->nmsgs + more;
    if (ahead <= UINT32_MAX - need && msgs_grow_to(w, need + ahead)) return;
    mq_msg_reserve(w, more);
}

uint32_t mq_msg_new(mq_world *w, uint32_t queue, double intended)
{
    w->created++;
    uint32_t id;
    if (w->nfree > 0) { /* the latest recycled record */
        id = w->free_head;
        SIM_ASSERT(id < w->nmsgs && w->msgs[id].fate == FATE_FREE);
        w->free_head = w->msgs[id].queue;
        w->nfree--;
    } else {
        if (w->nmsgs == w->msgs_cap) mq_msg_reserve(w, w->msgs_cap ? w->msgs_cap : 4096);
        id = (uint32_t)w->nmsgs++;
    }
    w->msgs[id] = (mq_msg){
        .intended = intended,
        .stored_at = NAN,
        .expire_at = INFINITY,
        .queue = queue,
        .fate = FATE_PENDING,
        .measured = intended >= w->s->run.warmup_s,
    };
    return id;
}

/* Recycle the record if its message is settled and nothing refers to it. */
static void msg_release_if_done(mq_world *w, uint32_t msg)
{
    mq_msg *m = &w->msgs[msg];
    if (w->keep_records || m->fate == FATE_PENDING || m->copies || m->pins) return;
    SIM_ASSERTF(m->fate != FATE_FREE && !m->scheduled, "message %u released twice", msg);
    w->freed_by_fate[m->fate]++;
    m->fate = FATE_FREE;
    m->queue = w->free_head;
    w->free_head = msg;
    w->nfree++;
}

static mq_msg *live_msg(mq_world *w, uint32_t msg)
{
    SIM_ASSERTF(msg < w->nmsgs && w->msgs[msg].fate != FATE_FREE,
                "message %u used after its record was recycled", msg);
    return &w->msgs[msg];
}

void mq_msg_copy_add(mq_world *w, uint32_t msg)
{
    mq_msg *m = live_msg(w, msg);
    SIM_ASSERTF(m->copies < UINT8_MAX, "message %u has too many copies", msg);
    m->copies++;
}

void mq_msg_copy_drop(mq_world *w, uint32_t msg)
{
    mq_msg *m = live_msg(w, msg);
    SIM_ASSERTF(m->copies > 0, "message %u: copy count would go negative", msg);
    m->copies--;
    msg_release_if_done(w, msg);
}

void mq_msg_pin(mq_world *w, uint32_t msg)
{
    mq_msg *m = live_msg(w, msg);
    SIM_ASSERTF(m->pins < MQ_MSG_PINS_MAX, "message %u has too many pins", msg);
    m->pins++;
}

void mq_msg_unpin(mq_world *w, uint32_t msg)
{
    mq_msg *m = live_msg(w, msg);
    SIM_ASSERTF(m->pins > 0, "message %u: pin count would go negative", msg);
    m->pins--;
    msg_release_if_done(w, msg);
}

void mq_msg_consume(mq_world *w, uint32_t msg)
{
    mq_msg *m = live_msg(w, msg);
    SIM_ASSERTF(m->fate == FATE_PENDING, "message %u processed after it was %s", msg,
                m->fate == FATE_LOST ? "reported lost" : "reported expired");
    SIM_ASSERTF(m->copies || m->pins, "message %u consumed with nothing holding it", msg);
    m->fate = FATE_CONSUMED;
}

/* Drop a copy; if it was the last one of a pending message, the message is
** settled with `fate` and counted under `cause`. */
static void drop_settle(mq_world *w, uint32_t msg, uint8_t fate, uint64_t *cause_count)
{
    mq_msg *m = live_msg(w, msg);
    SIM_ASSERTF(m->copies > 0, "message %u: copy count would go negative", msg);
    m->copies--;
    /* a dropped consumer's orphan still processes it: not lost (nor
    ** expired); it is consumed when the orphan ends */
    if (m->copies == 0 && m->fate == FATE_PENDING && m->pins > 0 &&
        mq_consumers_orphan_holds(w, msg))
        return;
    if (m->copies == 0 && m->fate == FATE_PENDING) {
        m->fate = fate;
        (*cause_count)++;
        double end = w->s->run.duration_s; /* never delivered: delayed to the end */
        if (m->measured && m->intended <= end) sim_hist_add(w->undelivered, end - m->intended);
    }
    msg_release_if_done(w, msg);
}

void mq_msg_copy_drop_lost(mq_world *w, uint32_t msg, int cause)
{
    drop_settle(w, msg, FATE_LOST, &w->lost_by_cause[cause]);
}

void mq_msg_copy_drop_expired(mq_world *w, uint32_t msg, int cause)
{
    drop_settle(w, msg, FATE_EXPIRED, &w->expired_by_cause[cause]);
}

void mq_backlog_changed(mq_world *w)
{
    double now = sim_now(w->sim);
    double b = (double)w->ready_total;
    sim_twavg_set(&w->backlog_tw, now, b);
    sim_twavg_set(&w->insys_tw, now, b + (double)w->unacked_total);
    if (b > w->backlog_max) w->backlog_max = b;
    if (w->drain_armed && w->ready_total == 0 && now >= w->s->run.drain_from_s) {
        w->drain_done_at = now;
        w->drain_armed = 0;
    }
    if (w->change.ops->backlog_changed) w->change.ops->backlog_changed(w);
}

void mq_routing_changed(mq_world *w)
{
    w->route_epoch++;
}

uint32_t mq_queue_route(const mq_world *w, const mq_conn *c, uint32_t queue)
{
    return w->change.ops->route_send ? w->change.ops->route_send(w, c, queue) : queue;
}

int mq_queue_admit_broker(const mq_world *w, const mq_conn *c, uint32_t stored)
{
    return w->change.ops->admit_broker ? w->change.ops->admit_broker(w, c, stored) : c->broker;
}

/* The queue a store or requeue lands in, and whose waiting consumers get
** it (the change type's hooks; the queue itself without them). */
static uint32_t store_target(const mq_world *w, uint32_t queue)
{
    return w->change.ops->route_store ? w->change.ops->route_store(w, queue) : queue;
}

static uint32_t waiters_of(const mq_world *w, uint32_t queue)
{
    return w->change.ops->waiters_of ? w->change.ops->waiters_of(w, queue) : queue;
}

/* Start loading the consumers next in line: the one after next (its
** struct), and the next one (its struct was requested at the previous pop,
** so its buffer slot can be located now). A delivery then finds both in
** cache instead of stalling on a client last touched a hundred ms ago. */
static void wait_prefetch(const mq_queue_rt *q)
{
    if (q->waiting.n > 1) {
        const char *c2 = (const char *)*mq_cons_ring_at(&q->waiting, 1);
        __builtin_prefetch(c2);
        __builtin_prefetch(c2 + 64);
        __builtin_prefetch(c2 + 128);
        __builtin_prefetch(c2 + 192);
    }
    if (q->waiting.n > 0) {
        const mq_consumer *c = *mq_cons_ring_at(&q->waiting, 0);
        const mq_ring *b = &c->buffer;
        if (b->cap) __builtin_prefetch(&b->v[(b->head + b->n) & (b->cap - 1)], 1);
    }
}

static mq_consumer *wait_pop(mq_queue_rt *q)
{
    while (q->waiting.n > 0) {
        mq_consumer *c = mq_cons_ring_pop_front(&q->waiting);
        if (c->waiting) {
            c->waiting = false;
            wait_prefetch(q);
            return c;
        }
    }
    return NULL;
}

double mq_msg_no_expiry_before(const mq_world *w, uint32_t msg)
{
    const mq_msg *m = &w->msgs[msg];
    double ret = w->s->run.retention_s, d = m->expire_at;
    if (ret > 0) {
        double r = m->stored_at + ret;
        d = fmin(d, r - (1e-6 + 1e-12 * fabs(r))); /* margin >> rounding */
    }
    return d;
}

void mq_queue_store(mq_world *w, uint32_t queue, uint32_t msg, int redelivered)
{
    mq_msg *m = &w->msgs[msg];
    if (isnan(m->stored_at)) m->stored_at = sim_now(w->sim);
    mq_msg_copy_add(w, msg);
    mq_ent e = {.msg = msg, .redelivered = (uint8_t)redelivered,
                .avail_at = mq_msg_no_expiry_before(w, msg)};
    queue = store_target(w, queue);
    m->queue = queue; /* where its latest copy lives (requeues go back there) */
    uint32_t wqi = waiters_of(w, queue);
    mq_queue_rt *q = &w->queues[queue];
    mq_consumer *c = wait_pop(&w->queues[wqi]);
    if (c) {
        e.from_alt = wqi != queue; /* the waiters belong to the other queue */
        w->deliver(w, c, e);
        return;
    }
    SIM_NEED_OK(mq_ring_push_back(&q->ready, e));
    w->ready_total++;
    if (w->may_expire && q->ready.n == 1) mq_queue_arm_expiry(w, queue); /* the head */
    mq_backlog_changed(w);
}

/* A scheduled copy is due (or expires): it moves from the schedule into
** its queue. */
static void on_sched(sim *s, void *subject, uint64_t arg)
{
    (void)s;
    mq_world *w = subject;
    uint32_t id = (uint32_t)arg;
    mq_msg *m = &w->msgs[id];
    mq_queue_rt *q = &w->queues[m->queue];
    SIM_ASSERT(q->scheduled_pending > 0);
    q->scheduled_pending--;
    m->scheduled = 0;
    if (sim_now(w->sim) >= m->expire_at) {
        mq_msg_copy_drop_expired(w, id, EXP_TTL);
    } else { /* the copy moves from the schedule into the queue */
        mq_queue_store(w, m->queue, id, 0);
        mq_msg_copy_drop(w, id);
    }
    mq_backlog_changed(w); /* the schedule changed (change models watch it) */
}

void mq_queue_schedule(mq_world *w, uint32_t queue, uint32_t msg)
{
    mq_msg *m = &w->msgs[msg];
    SIM_ASSERTF(!m->scheduled, "message %u scheduled twice", msg);
    if (isnan(m->stored_at)) m->stored_at = sim_now(w->sim);
    mq_msg_copy_add(w, msg); /* held by the broker's schedule */
    m->scheduled = 1;
    m->queue = queue;
    w->queues[queue].scheduled_pending++;
    double due = m->intended, t = fmax(sim_now(w->sim), fmin(due, m->expire_at));
    sim_at(w->sim, t, PRIO_CLIENT, t < due ? K_SCHED_EXPIRE : K_SCHED_DUE, on_sched, w, msg);
}

void mq_queue_requeue(mq_world *w, uint32_t queue, uint32_t msg)
{
    /* The copy moves from the consumer back to the broker: its count is
    ** unchanged. A waiting consumer gets it at once. */
    w->redelivered++;
    mq_ent e = {.msg = msg, .redelivered = 1, .avail_at = mq_msg_no_expiry_before(w, msg)};
    queue = store_target(w, queue);
    w->msgs[msg].queue = queue;
    uint32_t wqi = waiters_of(w, queue);
    mq_queue_rt *q = &w->queues[queue];
    mq_consumer *c = wait_pop(&w->queues[wqi]);
    if (c) {
        e.from_alt = wqi != queue; /* the waiters belong to the other queue */
        w->deliver(w, c, e);
        return;
    }
    SIM_NEED_OK(mq_ring_push_front(&q->ready, e));
    w->ready_total++;
    if (w->may_expire) mq_queue_arm_expiry(w, queue); /* it is the head */
    mq_backlog_changed(w);
}

/* Drop ready copies at the head that have expired (TTL) or outlived the
** retention period. Messages with another copy elsewhere keep their fate. */
static void expire_head(mq_world *w, mq_queue_rt *q)
{
    double now = sim_now(w->sim);
    double ret = w->s->run.retention_s;
    while (q->ready.n > 0) {
        mq_ent *e = mq_ring_at(&q->ready, 0);
        if (now < e->avail_at) break; /* cannot have expired: skip the record */
        mq_msg *m = &w->msgs[e->msg];
        int cause;
        if (now >= m->expire_at) cause = EXP_TTL;
        else if (ret > 0 && now >= m->stored_at + ret) cause = EXP_RETENTION;
        else break;
        mq_ent gone = mq_ring_pop_front(&q->ready);
        w->ready_total--;
        mq_msg_copy_drop_expired(w, gone.msg, cause);
    }
}

/* When the head of q expires (the time expire_head drops it at); INFINITY
** when q is empty or its head never expires (read from the entry's bound
** first, so a queue without TTL or retention never touches the record). */
static double head_expiry(const mq_world *w, mq_queue_rt *q)
{
    if (q->ready.n == 0) return INFINITY;
    const mq_ent *e = mq_ring_at(&q->ready, 0);
    return e->avail_at == INFINITY ? INFINITY : mq_msg_expiry(w, e->msg);
}

double mq_msg_expiry(const mq_world *w, uint32_t msg)
{
    const mq_msg *m = &w->msgs[msg];
    double ret = w->s->run.retention_s;
    return ret > 0 && !isnan(m->stored_at) ? fmin(m->expire_at, m->stored_at + ret)
                                           : m->expire_at;
}

static void on_queue_expiry(sim *s, void *subject, uint64_t arg)
{
    mq_world *w = subject;
    mq_queue_rt *q = &w->queues[arg];
    if (q->expiry_armed && sim_now(s) >= q->expiry_at) q->expiry_armed = false;
    size_t before = q->ready.n;
    expire_head(w, q);
    if (q->ready.n != before) mq_backlog_changed(w);
    mq_queue_arm_expiry(w, (uint32_t)arg);
}

void mq_queue_arm_expiry(mq_world *w, uint32_t queue)
{
    mq_queue_rt *q = &w->queues[queue];
    double t = head_expiry(w, q);
    if (t == INFINITY || (q->expiry_armed && q->expiry_at <= t)) return;
    t = fmax(t, sim_now(w->sim));
    q->expiry_armed = true;
    q->expiry_at = t;
    sim_at(w->sim, t, PRIO_CLIENT, K_QUEUE_EXPIRE, on_queue_expiry, w, queue);
}

static bool take_ready(mq_world *w, uint32_t queue, mq_ent *e)
{
    mq_queue_rt *q = &w->queues[queue];
    size_t before = q->ready.n;
    if (w->may_expire) expire_head(w, q);
    if (q->ready.n == 0) {
        if (before) mq_backlog_changed(w); /* expiry emptied it */
        return false;
    }
    *e = mq_ring_pop_front(&q->ready);
    w->ready_total--;
    if (w->may_expire) mq_queue_arm_expiry(w, queue); /* a new head */
    mq_backlog_changed(w);
    return true;
}

bool mq_queue_take_ready(mq_world *w, uint32_t queue, mq_ent *e)
{
    return take_ready(w, queue, e);
}

bool mq_queue_take(mq_world *w, uint32_t queue, mq_consumer *c, mq_ent *e)
{
    mq_queue_rt *q = &w->queues[queue];
    if (w->change.ops->take ? w->change.ops->take(w, queue, e) : take_ready(w, queue, e)) {
        if (!w->change.ops->take) e->from_alt = 0;
        return true;
    }
    if (!c->waiting) {
        SIM_NEED_OK(mq_cons_ring_push_back(&q->waiting, c));
        c->waiting = true;
    }
    return false;
}

void mq_queue_unwait(mq_world *w, uint32_t queue, mq_consumer *c)
{
    (void)w;
    (void)queue;
    c->waiting = false; /* its slot in the FIFO is skipped when popped */
}
