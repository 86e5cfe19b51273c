/*
** cli_par.h - run many independent simulation jobs (replications, sweep
** points) on every core and, under mpirun, on every rank.
**
** Jobs are numbered 0..n-1. Under OpenMPI (the process was started by
** mpirun with more than one rank) job j belongs to rank j % size - a static
** split, so which rank runs a job never depends on timing. Inside a rank,
** `threads` worker threads take that rank's jobs in order. Each job fills a
** sim_metrics table; the tables are shipped to rank 0 as exact hexadecimal
** floats and stored at their job index. Whatever the number of threads or
** ranks, rank 0 ends up with the same tables in the same order, so the
** bytes written from them are the same (tests check this).
**
** A plain `./mqsim` never initialises MPI: it runs single-process.
**
** Ownership: results[n] is caller-allocated and zeroed; on rank 0 each
** entry is filled and the caller frees each with sim_metrics_free.
*/
#ifndef CLI_PAR_H
#define CLI_PAR_H

#include "sim/sim_err.h"
#include "sim/sim_table.h"

#include <stddef.h>

/* Run job `job`; fill *out (empty on entry). 0 ok, -1 with err filled.
** Must be thread-safe with respect to other jobs. */
typedef int (*par_job_fn)(size_t job, void *ctx, sim_metrics *out, sim_err *err);

/* Returns 0 on rank 0 with results filled, 1 on any other rank (which has
** sent its share and should exit 0 without writing), -1 on error (err
** filled; on rank 0 the message of the first failing job). progress_label
** (may be NULL) turns on "label: done/total, ETA" lines on stderr. */
int par_run(size_t n, int threads, par_job_fn fn, void *ctx, sim_metrics *results,
            const char *progress_label, sim_err *err);

/* The same on this process's threads only, whatever the MPI size: for work
** that rank 0 alone decides to do after a split run (the start-time
** search). 0, or -1 with err filled. */
int par_run_threads(size_t n, int threads, par_job_fn fn, void *ctx, sim_metrics *results,
                    sim_err *err);

/* Rank 0's value of a decision made after a par_run (e.g. "the precision
** target is reached, stop"), returned on every rank; every rank must call
** it at the same point. Without mpirun it returns value. */
int par_share_decision(int value);

/* Default thread count: the number of online cores. */
int par_default_threads(void);
/* This process's MPI rank and size (0 and 1 without mpirun). */
int par_rank(void);
int par_size(void);

#endif
