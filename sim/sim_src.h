/*
** sim_src.h - the engine's open-loop event source (internal to sim/; models
** use it through sim_source_set and sim_source_add in sim.h).
**
** Some events are known ahead: an open-loop client's arrival times come
** from its own random stream and a fixed rate schedule, and nothing that
** happens in the run moves or cancels them. Pushing each of them through
** the pending-event set costs a push, a sort and a pop per event, and they
** are half of all events in a busy run. A source instead asks each subject
** for its next times a window ahead, sorts the window once (a bucket pass
** and an insertion pass over an almost sorted array, O(1) per event) and
** hands the events out in order; the run loop merges them with the pending
** set at one comparison per event (sim.c).
**
** Order: by time, then by subject in the order they were added. Windows
** are cut so that each holds a few events per subject; where the cut falls
** changes only the cost, never the order.
*/
#ifndef SIM_SRC_H
#define SIM_SRC_H

#include "sim/sim.h"

#include <stddef.h>
#include <stdint.h>

typedef struct sim_src_ev {
    double t;
    uint32_t subject; /* index into the source's subjects */
    uint32_t pad;
} sim_src_ev;

typedef struct sim_src {
    sim_next_fn next;
    void **subjects; /* borrowed: the engine never frees a subject */
    double *next_t;  /* each subject's next time not yet in a window */
    size_t n, cap;
    sim_src_ev *win, *scratch; /* the current window, sorted; scratch for the sort */
    size_t *count;             /* bucket counts for the sort */
    size_t win_n, win_pos; /* window events are win[win_pos..win_n) */
    size_t carry_n;        /* after them: events of the next window already cut */
    size_t win_cap, scratch_cap, count_cap;
    double win_end; /* every event before this time is in a window already */
    double width;   /* the next window's width, adapted to hold ~SRC_PER_SUBJECT each */
} sim_src;

/* Add a subject whose first event is at first_t (INFINITY: none). Only
** before the first window is cut (sim_src_head), so that no event already
** handed out can be overtaken. 0, or -1 on out-of-memory. */
int sim_src_add(sim_src *src, void *subject, double first_t);

/* The earliest event not yet taken, cutting the next window when the
** current one is used up. NULL when no subject has an event left. The
** pointer is valid until the next sim_src_take. */
const sim_src_ev *sim_src_head(sim_src *src);

/* Take the head (the caller runs it). */
static inline void sim_src_take(sim_src *src) { src->win_pos++; }

/* The event k places after the head within the current window, or NULL
** (for prefetch hints only). */
static inline const sim_src_ev *sim_src_ahead(const sim_src *src, size_t k)
{
    return src->win_pos + k < src->win_n ? &src->win[src->win_pos + k] : NULL;
}

/* Subjects with an event still to run: what the source contributes to the
** pending count, the same figure as if each subject had its next event
** scheduled, wherever the windows were cut. O(subjects + window); for
** progress reports, not for every event. */
size_t sim_src_pending(const sim_src *src);

size_t sim_src_mem_bytes(const sim_src *src);

/* Free what the source holds (not the subjects) and zero it. */
void sim_src_free(sim_src *src);

#endif
