/*
** sim.h - the discrete-event engine's public API: clock, scheduling, cancel,
** run loop, progress and trace fingerprint. This is the only header models
** need from the engine besides sim_rng.h, sim_dist.h, sim_stats.h and
** sim_table.h. The engine knows nothing about brokers or messages.
**
** Events are cimba-style actions: fn(sim, subject, arg). The subject pointer
** is borrowed: the engine never frees it, and a model that frees a subject
** must first cancel the events that point at it. Every event also carries a
** small integer `kind` chosen by the model; the engine hashes (time, kind) of
** each executed event into a fingerprint so tests can pin behaviour, and
** counts events per kind for profiling.
**
** Ordering is total: (time, priority, insertion sequence). Lower priority
** values run first at equal time; equal (time, priority) runs in FIFO order.
** So the same scenario and seed replay the same way on every run.
**
** Time is a double in seconds. Scheduling before sim_now() is an invariant
** violation: the process aborts, naming the caller's file:line and both times.
*/
#ifndef SIM_H
#define SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sim sim;

/* A handle to a scheduled event, for cancelling it. {0,0} (SIM_HANDLE_NONE)
** never refers to an event. Handles are generation-checked: cancelling a
** handle whose event already ran or was cancelled is a harmless no-op that
** returns false, so models may keep stale handles to timers. */
typedef struct sim_handle {
    uint32_t slot;
    uint32_t gen;
} sim_handle;
#define SIM_HANDLE_NONE ((sim_handle){0, 0})

typedef void (*sim_action)(sim *s, void *subject, uint64_t arg);

/* Create an engine at time 0 with no events. NULL on out-of-memory.
** Caller frees with sim_free(). */
sim *sim_new(void);
/* Which pending-event structure an engine uses (sim/sim_evq.h). Both give
** the same order; the ladder queue (the default, O(1) amortised) is faster
** with many pending events, the 4-ary heap is the baseline for benchmarks
** and cross-checks. */
typedef enum sim_queue_kind {
    SIM_QUEUE_LADDER = 0,
    SIM_QUEUE_HEAP = 1
} sim_queue_kind;
/* Like sim_new() with an explicit structure. Caller frees with sim_free(). */
sim *sim_new_queue(sim_queue_kind kind);
/* Free the engine and every pending event record. Subjects are not touched.
** sim_free(NULL) is a no-op. */
void sim_free(sim *s);

double sim_now(const sim *s);

/* Schedule fn(s, subject, arg) at absolute time t. Use the macros below so a
** schedule into the past reports the caller's file:line. */
sim_handle sim_schedule_(sim *s, double t, int32_t prio, uint32_t kind,
                         sim_action fn, void *subject, uint64_t arg,
                         const char *file, int line);
#define sim_at(s, t, prio, kind, fn, subject, arg)                            \
    sim_schedule_((s), (t), (prio), (kind), (fn), (subject), (arg),           \
                  __FILE__, __LINE__)
#define sim_after(s, dt, prio, kind, fn, subject, arg)                        \
    sim_schedule_((s), sim_now(s) + (dt), (prio), (kind), (fn), (subject),    \
                  (arg), __FILE__, __LINE__)

/* Cancel a pending event in O(log n) or better. Returns true if it was
** pending and is now removed, false if it already ran or was cancelled. */
bool sim_cancel(sim *s, sim_handle h);
/* True if h refers to an event that is still pending. */
bool sim_is_pending(const sim *s, sim_handle h);

/* Why sim_run returned. */
typedef enum sim_stop_reason {
    SIM_STOP_TIME,      /* reached `until`; the clock now reads `until` */
    SIM_STOP_EMPTY,     /* no events left before `until` (clock = until) */
    SIM_STOP_CONDITION, /* the stop condition returned true */
    SIM_STOP_REQUESTED  /* an action called sim_stop() */
} sim_stop_reason;

/* Optional stop condition, evaluated after every executed event. */
typedef bool (*sim_stop_fn)(sim *s, void *ud);
void sim_set_stop_condition(sim *s, sim_stop_fn fn, void *ud);
/* Ask the loop to return after the current event. */
void sim_stop(sim *s);

/* Execute events in order while their time is <= until. On SIM_STOP_TIME and
** SIM_STOP_EMPTY the clock is advanced to `until`. May be called again to
** continue (until must not be before sim_now()). SIM_STOP_EMPTY means no
** event is pending at all, SIM_STOP_TIME that the next one lies after
** `until`. until = INFINITY runs until the queue empties and leaves the clock
** at the last event's time. A NaN `until` aborts. */
sim_stop_reason sim_run(sim *s, double until);

/* Progress reporting: fn is called at most every `every_wall_s` seconds of
** wall time (and once at the end of sim_run). */
typedef struct sim_progress {
    double now;          /* sim time, s */
    double until;        /* the run's target time, s */
    uint64_t executed;   /* events executed so far */
    size_t pending;      /* events pending */
    double wall_s;       /* wall time since this sim_run started */
    double events_per_s; /* executed / wall_s over this sim_run */
    double eta_s;        /* estimated wall seconds to `until`; <0 unknown */
    bool done;           /* true on the one call at the end of sim_run */
} sim_progress;
typedef void (*sim_progress_fn)(const sim_progress *p, void *ud);
void sim_set_progress(sim *s, sim_progress_fn fn, void *ud,
                      double every_wall_s);
/* A ready-made progress printer: one carriage-returned line on stderr. */
void sim_progress_stderr(const sim_progress *p, void *ud);

/* Lookahead hint: before running an event, the engine calls
** fn(ud, kind, subject, arg) for an event SIM_LOOKAHEAD places later in
** the order when it already holds that event's record in cache (the
** ladder's sorted bottom), so a model can prefetch what that event will
** touch. A hint only: fn must not change any state, may be called for a
** cancelled event, and is not called at all near bucket boundaries or
** with the heap; results never depend on it. NULL turns it off. */
#define SIM_LOOKAHEAD 4
typedef void (*sim_lookahead_fn)(void *ud, uint32_t kind, void *subject, uint64_t arg);
void sim_set_lookahead(sim *s, sim_lookahead_fn fn, void *ud);

/* Open-loop source: events known ahead, that nothing in the run moves or
** cancels (an open-loop client's arrivals, drawn from its own random
** stream on a fixed schedule). Instead of scheduling each one, the model
** adds its subjects once, before the first sim_run, and the engine runs
** fn(s, subject, 0) at each subject's times, merged into the total order
** as events of priority prio and this kind (counted and fingerprinted like
** any other). next(subject, t) returns the subject's next time after its
** event at t (>= t; INFINITY: no more) and is called ahead of time, a few
** events per subject at once, so it may only use the subject's own state
** and fixed data. At equal (time, priority) a scheduled event runs before
** a source event, and source events run in the order their subjects were
** added. Such events cannot be cancelled. One source per engine; see
** sim/sim_src.h for how it is merged. */
typedef double (*sim_next_fn)(void *subject, double t);
void sim_source_set(sim *s, int32_t prio, uint32_t kind, sim_action fn, sim_next_fn next);
/* Add a subject with its first time (>= 0; INFINITY: none). 0, or -1 on
** out-of-memory. The subject is borrowed, like an event's. */
int sim_source_add(sim *s, void *subject, double first_t);

/* 64-bit hash over (time bits, kind) of every executed event, in order. */
uint64_t sim_fingerprint(const sim *s);
uint64_t sim_events_executed(const sim *s);
size_t sim_events_pending(const sim *s);
/* Bytes of engine memory per pending event record (pool + index), for bench. */
size_t sim_bytes_per_event(void);
/* Bytes the engine's event structures hold now, at allocated capacity
** (pool, index arrays, buckets); divide by pending for the real footprint. */
size_t sim_mem_bytes(const sim *s);
/* Events of this kind executed so far. Kinds >= SIM_KIND_COUNTED - 1 share
** the last counter, which is returned for any of them. */
#define SIM_KIND_COUNTED 64
uint64_t sim_events_of_kind(const sim *s, uint32_t kind);

#endif
