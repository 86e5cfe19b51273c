/*
** sim_evq.h - the engine's pending-event set (internal to sim/; models use
** sim.h). One interface, two structures chosen at creation:
**
**   SIM_QUEUE_HEAP    a 4-ary min-heap: O(log n) push and pop, small and
**                     predictable; the baseline.
**   SIM_QUEUE_LADDER  a ladder queue (Tang, Goh & Thng 2005) with array
**                     buckets: O(1) amortised push and pop independent of
**                     n, which is what keeps 1e6 pending events fast.
**
** Order is total and the same in both: (time, priority, insertion sequence),
** lower priority first, FIFO at equal (time, priority). The ladder sorts its
** bottom rung by that full key, so ties are exact there too.
**
** Memory. Every pending event is one 40-byte pooled record (sim_evrec:
** action, subject, arg, seq, prio, kind), a 4-byte generation in a
** separate compact array, and one 16-byte index entry (sim_event: time,
** slot, generation) in the structure: 60 bytes. The time lives only in the
** index entry, so ordering work never touches the records except to break
** exact time ties; the generations are kept apart so that cancel and the
** "is this entry still live" test touch 4 MB per million slots, which stays
** in cache, instead of the 40 MB record pool. Arrays grow by doubling, so
** the allocated footprint is higher (sim_evq_mem_bytes; about 87 bytes per
** event in the 1e6 hold benchmark, about 2x that while cancelled entries
** await a purge).
**
** Cancel is O(1) and lazy, for both structures: it bumps the record's
** generation, which turns the index entry still in the structure into a
** "dead" entry. The record slot is NOT recycled until that dead entry is
** discarded (when it reaches the front, or by a purge), so a dead entry's
** key (prio, seq) stays stable and comparisons stay consistent. When dead
** entries outnumber live ones (plus a small constant), a purge rebuilds the
** structure without them: O(n), amortised O(1) per cancel, and memory stays
** bounded by about twice the live events under cancel-heavy workloads.
**
** Generations: a record's generation is odd while its event is pending and
** even otherwise, and every handle carries the odd value it was issued with.
** A handle is stale as soon as its event ran or was cancelled; it could only
** alias again after 2^31 reuses of the same slot.
**
** Out of memory while scheduling has no error channel in sim.h, so it is a
** fatal error (sim_fatal) rather than a silent drop.
*/
#ifndef SIM_EVQ_H
#define SIM_EVQ_H

#include "sim/sim.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sim_evq sim_evq;

/* What sim_evq_pop hands back: everything needed to run the event. */
typedef struct sim_evq_item {
    double t;
    sim_action fn;
    void *subject;
    uint64_t arg;
    uint32_t kind;
} sim_evq_item;

/* A new, empty queue of the given structure. NULL on out-of-memory.
** Caller frees with sim_evq_free(). */
sim_evq *sim_evq_new(sim_queue_kind kind);
/* Frees the queue and every record; subjects are not touched. NULL ok. */
void sim_evq_free(sim_evq *q);

sim_queue_kind sim_evq_kind(const sim_evq *q);
/* "heap" or "ladder". */
const char *sim_evq_kind_name(sim_queue_kind kind);

/* Insert an event. t must be finite (the caller checks order against its
** clock). Never fails: out-of-memory aborts through sim_fatal. */
sim_handle sim_evq_push(sim_evq *q, double t, int32_t prio, uint32_t kind,
                        sim_action fn, void *subject, uint64_t arg);

/* Remove the earliest pending event if its time is <= limit, fill *out and
** return true; its slot is released before returning, so the handle is
** already stale. Returns false, changing nothing visible, when the queue is
** empty or the earliest event lies after limit. */
bool sim_evq_pop(sim_evq *q, double limit, sim_evq_item *out);
/* Like sim_evq_pop, but with the limit a (time, priority) key: pops the
** earliest live event only if its time is before `limit`, or equal to it
** with a priority of at most limit_prio. sim_evq_pop(q, t, out) is
** sim_evq_pop_before(q, t, INT32_MAX, out). */
bool sim_evq_pop_before(sim_evq *q, double limit, int32_t limit_prio, sim_evq_item *out);

/* The record of the entry k places behind the front, when the structure
** has it at hand (ladder bottom); false otherwise. For lookahead hints:
** the entry may be cancelled. */
bool sim_evq_ahead(const sim_evq *q, size_t k, uint32_t *kind, void **subject, uint64_t *arg);

/* Time of the earliest pending event, INFINITY if none. */
double sim_evq_peek_time(sim_evq *q);

/* O(1) amortised. True if h was pending and is now cancelled. */
bool sim_evq_cancel(sim_evq *q, sim_handle h);
bool sim_evq_is_pending(const sim_evq *q, sim_handle h);

/* Live (not cancelled) pending events. */
size_t sim_evq_size(const sim_evq *q);
/* Cancelled entries still held in the structure awaiting a purge. */
size_t sim_evq_dead(const sim_evq *q);

/* sizeof(record) + sizeof(index entry): the per-event footprint. */
size_t sim_evq_bytes_per_event(void);
/* Bytes the queue holds right now: pools, arrays and buckets at their
** allocated capacity (not counting malloc's own headers). */
size_t sim_evq_mem_bytes(const sim_evq *q);

/* Structure self-check for tests: walks everything and aborts through
** SIM_ASSERT if an ordering or accounting invariant is broken. O(n). */
void sim_evq_check(const sim_evq *q);

#endif
