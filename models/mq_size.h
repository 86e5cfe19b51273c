/*
** mq_size.h - what one replication of a scenario will cost, estimated from
** the scenario alone, and the ceiling `check`, `run`, `sweep` and `plan`
** refuse beyond (exit 2 at the offending value's file:line:col).
**
** Why: a backlog of 1e12 messages, 1 ms samples over 30 days or 1e9 msg/s
** are each a valid scenario, and each would abort or run for days. The
** refusal has to come before the run, from figures a reader can check.
**
** The estimate is a sum of terms, each tied to the scenario value that
** causes it. The per-item costs were measured on this model (maximum
** resident set and event counts of `mqsim run`, x86-64, glibc, one
** replication) and rounded up:
**   stored message (backlog)    64 B, 1 event of preload work, and 2 events
**                               per message the consumers can take within
**                               the run (capacity x duration)  (measured 56 B)
**   scheduled message          160 B, 1 event (due) + 2 per consumable one
**                                                  (measured 148 B)
**   published message            -    2 events    (measured 2.0 per message)
**   messages piling up          48 B each: (peak rate - consumer capacity)
**                               x duration, when the peak exceeds capacity
**   timeseries sample          200 B, 1 event     (measured 184 B)
**   client                     640 B              (measured 560 B)
**   client group                12 KiB            (measured ~12 KiB)
**   fixed                       16 MiB
** Published messages are mean rate x duration over the run's own day
** profile. The event ceiling bounds run time (this machine: ~4e6 events/s,
** so 2e9 events is ~8 minutes a replication); the memory ceiling assumes a
** machine with 8 GiB of RAM and leaves half for everything else. Both are
** per replication: with --jobs N, N replications run at once.
*/
#ifndef MQ_SIZE_H
#define MQ_SIZE_H

#include "models/mq_scenario.h"
#include "sim/sim_err.h"

#define MQ_SIZE_MAX_BYTES_DEFAULT (4.0 * 1024 * 1024 * 1024) /* 4 GiB */
#define MQ_SIZE_MAX_EVENTS_DEFAULT 2e9

typedef struct mq_limits {
    double max_bytes;  /* memory ceiling of one replication */
    double max_events; /* event ceiling of one replication */
} mq_limits;

/* One cause of cost: which value, where it was written, what it costs. */
typedef struct mq_size_term {
    char what[96];   /* "backlog[0].messages: 1e+09 stored messages" */
    mq_loc loc;      /* {0, 0} when the value was a default */
    double bytes, events;
} mq_size_term;

#define MQ_SIZE_TERMS 8

typedef struct mq_size {
    double bytes, events;           /* the totals */
    double stored;                  /* messages stored at t = 0 */
    mq_size_term terms[MQ_SIZE_TERMS]; /* the largest causes, biggest first */
    size_t n;
} mq_size;

void mq_size_estimate(const mq_scenario *s, mq_size *out);

/* 0 when the estimate is within lim; else -1 with err filled as
** "FILE:LINE:COL: <the largest term>: ... the ceiling is ...". */
int mq_size_check(const mq_scenario *s, const mq_limits *lim, sim_err *err);

#endif
