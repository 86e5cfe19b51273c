/*
** mq_consumer.c - consumer clients: prefetch window, processing slots, ack.
**
** A connected consumer keeps up to `prefetch` deliveries unacked. Each
** delivery travels for one round trip (ack leg + delivery leg) before it can
** be processed, which gives the classic prefetch/(RTT + t_proc) limit per
** channel. Up to `concurrency` deliveries are processed at once; processing
** time is drawn from the group's distribution on the client's own
** "processing" stream. When processing ends the message counts as consumed
** (first time) or as a duplicate (again), then it is acked.
**
** Manual ack: when the connection drops, every unacked delivery is requeued.
** Deliveries being processed carry on (the application finishes its work)
** but their ack is lost: one of the two copies that result is a duplicate,
** cause "requeue". When the server closes the connection (a reset: a
** rabbitmqctl close, a migration's disconnect), the RabbitMQ client reads
** the frames that arrived before the close first, so deliveries already in
** its buffer are processed too, as orphans (ack lost, copy requeued): more
** duplicates of the same cause, up to the prefetch. Measured with the load
** tester (docs/VALIDATION.md): the real client produced these duplicates
** where the model without this had none. Deliveries still in transit, and
** every buffered delivery when the application restarts, were never
** processed: their redelivery is not a duplicate.
** While the peer is silent (not yet detected) the broker keeps delivering
** into the dead link and acks sent into it are lost: both stay unacked until
** detection, then are requeued like the rest. The library cannot tell a
** silent peer from an idle one, so it keeps handing the application what
** had arrived before the silence (the Java client's consumer work pool,
** amqp091-go's consumer buffer goroutine, pika's pending dispatch all run
** apart from the socket): each of those is processed, its ack lost, and
** comes back as a duplicate if the silence is detected; if it ends first,
** the acks land (mq_consumer_resume).
** Whether the application still processes what its library had read when
** the server closed the connection depends on the library (the group's
** process_buffer_on_close, the profile's default unless the scenario
** overrides it; the defaults are checked against the real libraries in
** docs/VALIDATION.md): the Java client's consumer work pool keeps
** dispatching it for up to 10 s (the profile's close_drain_s: its channel
** then stops waiting and clears the pool); pika's BlockingConnection raises the close from
** _flush_output before it dispatches pending deliveries, and amqp091-go's
** consumer buffer drops what it has not handed over ("closed before
** drained, drop in-flight", consumers.go): those are only redelivered.
** A silence that ends before detection (mq_consumer_resume): acks sent
** into it land, and processing goes on with what the client holds.
** Auto ack: deliveries are acked when sent, so on a drop the client buffer
** is lost with the connection (cause "autoack_buffer").
**
** Deliveries in transit. When a slot is free and the next delivery is still
** on the wire, the slot is taken at once with its start set to the
** delivery's arrival, and the end of processing is scheduled from there:
** one event per delivery instead of a wake-up at arrival plus the end.
** This is exact, not an approximation: if the link drops or goes silent
** before the arrival, such starts are undone (the event cancelled, the
** delivery put back at the head of the buffer) and the processing times
** drawn for them are kept, in order, for the next starts, so the
** "processing" stream is consumed exactly as if each draw had waited for
** its arrival. (It removed 28% of all events in the end-to-end
** benchmark.)
*/
#include "models/mq_world.h"
#include "sim/sim_dist.h"
#include "sim/sim_err.h"
#include "sim/sim_rng.h"

#include <math.h>
#include <stdlib.h>


static void on_done(sim *s, void *subject, uint64_t arg);

/* First consumption or duplicate, at processing end by consumer c. */
static void consume(mq_world *w, mq_consumer *c, uint32_t msg)
{
    mq_msg *m = &w->msgs[msg];
    double now = sim_now(w->sim);
    if (m->fate == FATE_CONSUMED) {
        c->duplicates++;
        w->duplicates++;
        w->iv_duplicates++;
        w->dup_by_cause[m->dup_cause]++;
        return;
    }
    mq_msg_consume(w, msg);
    w->consumed++;
    w->iv_consumed++;
    if (m->measured) {
        double d = now - m->intended;
        SIM_ASSERTF(d >= 0, "negative delay %g for message %u", d, msg);
        sim_hist_add(w->delay_iv, d); /* merged into w->delay per sample */
        sim_welford_add(&w->delay_w, d);
    }
}

/* The next processing time: an undone start's first, else a fresh draw. */
static double next_processing_time(mq_consumer *c)
{
    if (c->nstash == 0) return sim_dist_sample(&c->g->processing, c->rng);
    double dt = c->stash[0];
    c->nstash--;
    for (int i = 0; i < c->nstash; i++) c->stash[i] = c->stash[i + 1];
    return dt;
}

/* Put delivery e in a free slot, processing from max(now, its arrival). */
static void start_slot(mq_world *w, mq_consumer *c, mq_ent e, bool orphan)
{
    double now = sim_now(w->sim);
    int i = 0;
    while (c->slots[i].busy) i++;
    double start = e.avail_at > now ? e.avail_at : now;
    double dt = next_processing_time(c);
    c->slots[i] = (mq_slot){
        .start_at = start, .dt = dt, .seq = c->starts++, .msg = e.msg, .busy = 1,
        .orphan = orphan, .redelivered = e.redelivered, .in_transit = start > now,
        .from_alt = e.from_alt,
        .done = sim_at(w->sim, start + dt, PRIO_CLIENT, K_PROC_DONE, on_done, c,
                       mq_done_arg(e.msg, i))};
    c->busy++;
}

/* Orphans first: the application works through the deliveries it already
** had before anything new, whatever the state of the connection (they have
** all arrived, so none starts in transit). Those read before a close that
** have not started when the library stops waiting for its dispatcher
** (orphans_until) are dropped unprocessed: only their requeued copy lives
** on, so they make no duplicate. (One whose requeued copy is already gone,
** lost or expired, is processed anyway: the books kept it pending for the
** orphan, which is all that holds it.) */
static void drop_late_orphans(mq_world *w, mq_consumer *c)
{
    size_t keep = 0;
    for (size_t i = 0; i < c->orphans.n; i++) {
        mq_ent e = *mq_ring_at(&c->orphans, i);
        const mq_msg *m = &w->msgs[e.msg];
        if (m->copies == 0 && m->fate == FATE_PENDING) *mq_ring_at(&c->orphans, keep++) = e;
        else mq_msg_unpin(w, e.msg);
    }
    c->orphans.n = keep;
}

static void start_orphans(mq_world *w, mq_consumer *c)
{
    if (c->orphans.n > 0 && sim_now(w->sim) > c->orphans_until) drop_late_orphans(w, c);
    while (c->busy < c->g->concurrency && c->orphans.n > 0)
        start_slot(w, c, mq_ring_pop_front(&c->orphans), true);
}

/* While the peer is silent the library, which cannot tell, keeps handing
** the application what had arrived before the silence began; what the
** broker sent into the silence never arrives. The buffer then holds, from
** the front: deliveries processed into the silence (attempts set, their
** acks lost), those that arrived before it, the rest. Takes the first that
** arrived and is not processed; false when there is none. */
static bool take_arrived_in_silence(mq_consumer *c, mq_ent *out)
{
    size_t k = 0;
    while (k < c->buffer.n && mq_ring_at(&c->buffer, k)->attempts) k++;
    if (k == c->buffer.n || mq_ring_at(&c->buffer, k)->avail_at > c->conn.down_since)
        return false;
    *out = *mq_ring_at(&c->buffer, k);
    for (size_t i = k; i > 0; i--) *mq_ring_at(&c->buffer, i) = *mq_ring_at(&c->buffer, i - 1);
    (void)mq_ring_pop_front(&c->buffer);
    return true;
}

static void start_processing(mq_world *w, mq_consumer *c)
{
    if (c->orphans.n > 0) start_orphans(w, c);
    if (c->conn.state == CONN_DETECTING) {
        mq_ent e;
        while (c->busy < c->g->concurrency && take_arrived_in_silence(c, &e))
            start_slot(w, c, e, false);
        return;
    }
    if (c->conn.state != CONN_UP) return;
    while (c->busy < c->g->concurrency && c->buffer.n > 0)
        start_slot(w, c, mq_ring_pop_front(&c->buffer), false);
}

/* Undo the starts of deliveries that have not arrived yet (the link broke
** before they did): back to the head of the buffer in start order, their
** processing times kept for the next starts. */
static void undo_transit_starts(mq_world *w, mq_consumer *c)
{
    double now = sim_now(w->sim);
    for (;;) {
        int last = -1; /* the latest start still in transit */
        for (int i = 0; i < c->g->concurrency; i++) {
            const mq_slot *sl = &c->slots[i];
            if (sl->busy && sl->in_transit && sl->start_at >= now &&
                (last < 0 || sl->seq > c->slots[last].seq))
                last = i;
        }
        if (last < 0) return;
        mq_slot *sl = &c->slots[last];
        SIM_ASSERT(!sl->orphan && c->nstash < c->g->concurrency);
        sim_cancel(w->sim, sl->done);
        SIM_NEED_OK(mq_ring_push_front(&c->buffer, (mq_ent){.msg = sl->msg,
                  .redelivered = sl->redelivered, .from_alt = sl->from_alt,
                  .avail_at = sl->start_at}));
        for (int k = c->nstash; k > 0; k--) c->stash[k] = c->stash[k - 1];
        c->stash[0] = sl->dt;
        c->nstash++;
        sl->busy = 0;
        c->busy--;
    }
}

/* The queue a delivery was taken from: the group's, or the change's
** alternate queue of it (alt_queue hook). */
static mq_queue_rt *origin(mq_world *w, const mq_consumer *c, bool from_alt)
{
    uint32_t q = (uint32_t)c->g->queue;
    return &w->queues[from_alt ? w->change.ops->alt_queue(w, q) : q];
}

static void accept(mq_world *w, mq_consumer *c, mq_ent e)
{
    e.avail_at = sim_now(w->sim) + w->s->run.rtt_s;
    SIM_NEED_OK(mq_ring_push_back(&c->buffer, e));
    c->unacked++;
    if (c->g->ack == MQ_ACK_MANUAL) {
        origin(w, c, e.from_alt)->unacked++;
        w->unacked_total++;
        mq_backlog_changed(w);
    }
}

/* Take deliveries while there is credit, then process what has arrived. */
static void fill(mq_world *w, mq_consumer *c)
{
    mq_ent e;
    while (c->conn.state == CONN_UP && c->unacked < c->g->prefetch &&
           mq_queue_take(w, (uint32_t)c->g->queue, c, &e))
        accept(w, c, e);
    start_processing(w, c);
}

void mq_consumer_deliver(mq_world *w, mq_consumer *c, mq_ent e)
{
    /* While the peer is silent the broker does not know and keeps pushing:
    ** those deliveries sit unacked until the drop is detected. */
    SIM_ASSERT((c->conn.state == CONN_UP || c->conn.state == CONN_DETECTING) &&
               c->unacked < c->g->prefetch);
    accept(w, c, e);
    fill(w, c);
}

static void release_unacked(mq_world *w, mq_consumer *c, uint32_t msg, bool from_alt)
{
    SIM_ASSERT(c->unacked > 0);
    c->unacked--;
    if (c->g->ack == MQ_ACK_MANUAL) {
        mq_queue_rt *q = origin(w, c, from_alt);
        SIM_ASSERT(q->unacked > 0 && w->unacked_total > 0);
        q->unacked--;
        w->unacked_total--;
        mq_backlog_changed(w);
    }
    (void)msg;
}

/* Cause of the duplicate when an unacked copy comes back: RocketMQ calls it
** a redelivery, RabbitMQ a requeue. */
static int requeue_cause(const mq_world *w)
{
    return w->bk->dup_requeue;
}

static void on_done(sim *s, void *subject, uint64_t arg)
{
    (void)s;
    mq_consumer *c = subject;
    mq_world *w = c->w;
    mq_slot *sl = &c->slots[mq_done_slot(arg)];
    SIM_ASSERT(sl->busy);
    consume(w, c, sl->msg);
    if (sl->orphan) {
        mq_msg_unpin(w, sl->msg); /* its requeued copy lives on */
    } else if (c->conn.state == CONN_DETECTING && c->g->ack == MQ_ACK_MANUAL) {
        /* The ack goes into the silent link: the broker still counts the
        ** delivery as unacked and requeues it when the drop is detected. */
        w->msgs[sl->msg].dup_cause = (uint8_t)requeue_cause(w);
        SIM_NEED_OK(mq_ring_push_front(&c->buffer, (mq_ent){.msg = sl->msg,
                  .redelivered = sl->redelivered, .attempts = 1, .from_alt = sl->from_alt}));
    } else { /* ack: the broker forgets its copy */
        release_unacked(w, c, sl->msg, sl->from_alt);
        if (w->change.ops->on_ack) w->change.ops->on_ack(w, c, sl->msg);
        mq_msg_copy_drop(w, sl->msg); /* may recycle the record */
    }
    sl->busy = 0;
    c->busy--;
    fill(w, c); /* ends in start_processing: orphans first */
}

bool mq_consumer_buffer_on_close(const mq_consumer_group *g)
{
    return g->process_buffer_on_close;
}

uint64_t mq_consumer_close_duplicates(const mq_consumer_group *g, uint64_t busy, uint64_t buffered)
{
    if (g->ack != MQ_ACK_MANUAL) return 0;
    return busy + (mq_consumer_buffer_on_close(g) ? buffered : 0);
}

mq_consumer *mq_consumer_new(mq_world *w, int group, int index)
{
    const mq_consumer_group *g = &w->s->consumers[group];
    mq_consumer *c = calloc(1, sizeof *c + (size_t)g->concurrency * sizeof c->slots[0]);
    if (!c) return NULL;
    c->w = w;
    c->g = g;
    c->stash = calloc((size_t)g->concurrency, sizeof *c->stash);
    c->buffer_on_close = mq_consumer_buffer_on_close(g);
    uint64_t entity = sim_mix64(sim_hash_str(g->name) + (uint64_t)index);
    c->rng = sim_rng_embed(&c->rng_store, w->opts.seed, w->opts.replication, entity,
                           sim_hash_str("processing"));
    c->conn = (mq_conn){
        .w = w, .state = CONN_UP, .consumer = true, .group = group, .index = index,
        .broker = w->s->queues[g->queue].broker, .cfg = &g->reconnect,
        .rng = sim_rng_new(w->opts.seed, w->opts.replication, entity, sim_hash_str("reconnect")),
    };
    if (!c->stash || !c->conn.rng) {
        mq_consumer_free(c);
        return NULL;
    }
    return c;
}

void mq_consumer_free(mq_consumer *c)
{
    if (!c) return;
    gsl_rng_free(c->conn.rng);
    mq_ring_free(&c->buffer);
    mq_ring_free(&c->orphans);
    free(c->stash);
    free(c);
}

void mq_consumer_start(mq_world *w, mq_consumer *c)
{
    w->connected_consumers++;
    fill(w, c);
}

void mq_consumer_up(mq_world *w, mq_consumer *c) { fill(w, c); }

void mq_consumer_down(mq_world *w, mq_consumer *c)
{
    uint32_t q = (uint32_t)c->g->queue;
    mq_queue_unwait(w, q, c);
    undo_transit_starts(w, c);
    if (c->g->ack == MQ_ACK_AUTO) {
        /* Already acked: what sat in the client buffer is gone. */
        while (c->buffer.n > 0) {
            mq_ent e = mq_ring_pop_front(&c->buffer);
            release_unacked(w, c, e.msg, e.from_alt);
            mq_msg_copy_drop_lost(w, e.msg, LOSS_AUTOACK_BUFFER);
        }
        if (w->change.ops->on_consumer_down) w->change.ops->on_consumer_down(w, c);
        return;
    }
    /* Requeue in reverse so the oldest delivery ends up at the head. After
    ** a reset the client still processes the ones that had arrived. */
    bool read_before_close = c->conn.down_cause == DOWN_RESET &&
                             w->bk->reads_before_close && c->buffer_on_close;
    double now = sim_now(w->sim);
    if (read_before_close)
        c->orphans_until = c->g->close_drain_s < 0 ? INFINITY : now + c->g->close_drain_s;
    while (c->buffer.n > 0) {
        mq_ent e = *mq_ring_at(&c->buffer, c->buffer.n - 1);
        c->buffer.n--;
        release_unacked(w, c, e.msg, e.from_alt);
        if (read_before_close && e.avail_at <= now) {
            mq_msg_pin(w, e.msg);
            w->msgs[e.msg].dup_cause = (uint8_t)requeue_cause(w);
            SIM_NEED_OK(mq_ring_push_front(&c->orphans, e));
        }
        mq_queue_requeue(w, w->msgs[e.msg].queue, e.msg); /* back where it came from */
    }
    for (int i = c->g->concurrency; i-- > 0;) {
        mq_slot *sl = &c->slots[i];
        if (!sl->busy || sl->orphan) continue;
        sl->orphan = 1; /* the app finishes it; the ack will be lost */
        mq_msg_pin(w, sl->msg); /* its copy goes back to the queue */
        release_unacked(w, c, sl->msg, sl->from_alt);
        w->msgs[sl->msg].dup_cause = (uint8_t)requeue_cause(w);
        mq_queue_requeue(w, w->msgs[sl->msg].queue, sl->msg);
    }
    if (c->orphans.n > 0) start_orphans(w, c);
    if (w->change.ops->on_consumer_down) w->change.ops->on_consumer_down(w, c);
}

void mq_consumer_silent(mq_world *w, mq_consumer *c) { undo_transit_starts(w, c); }

void mq_consumer_resume(mq_world *w, mq_consumer *c)
{
    /* The acks sent into the silence land now: those deliveries are done. */
    size_t keep = 0;
    for (size_t i = 0; i < c->buffer.n; i++) {
        mq_ent e = *mq_ring_at(&c->buffer, i);
        if (!e.attempts) { /* not acked into the silence */
            *mq_ring_at(&c->buffer, keep++) = e;
            continue;
        }
        release_unacked(w, c, e.msg, e.from_alt);
        if (w->change.ops->on_ack) w->change.ops->on_ack(w, c, e.msg);
        mq_msg_copy_drop(w, e.msg);
    }
    c->buffer.n = keep;
    fill(w, c);
}

bool mq_consumers_orphan_holds(const mq_world *w, uint32_t msg)
{
    for (size_t k = 0; k < w->ncons; k++) {
        const mq_consumer *c = w->consumers[k];
        for (size_t i = 0; i < c->orphans.n; i++)
            if (mq_ring_at(&c->orphans, i)->msg == msg) return true;
        for (int i = 0; i < c->g->concurrency; i++)
            if (c->slots[i].busy && c->slots[i].orphan && c->slots[i].msg == msg) return true;
    }
    return false;
}

void mq_consumer_each_held(mq_consumer *c, mq_held_fn fn, void *ud)
{
    for (size_t i = 0; i < c->buffer.n; i++) fn(mq_ring_at(&c->buffer, i)->msg, false, ud);
    for (size_t i = 0; i < c->orphans.n; i++) fn(mq_ring_at(&c->orphans, i)->msg, true, ud);
    for (int i = 0; i < c->g->concurrency; i++)
        if (c->slots[i].busy) fn(c->slots[i].msg, c->slots[i].orphan, ud);
}
