/*
** cli_progress.h - progress of `mqsim run` on stderr while replications run,
** fed by the engine's own clock (sim_progress callbacks from every
** replication's sim_run, on whichever thread runs it), so it moves during a
** replication instead of only between them.
**
** One line says: replications done of the total, the simulated time of the
** lowest replication still running and the run length, the events per
** second summed over the running replications, and an ETA from the fraction
** of simulated time done over all replications. On a terminal the line is
** rewritten in place (carriage return) at most every 0.25 s; when stderr is
** not a terminal (a CI log) it writes plain lines, at most one every 10 s,
** plus the final one.
**
** Thread safety: the callbacks lock the progress state. Ownership:
** cli_progress_new -> cli_progress_free; a job's cli_progress_job is the
** caller's (usually on its stack) and must outlive its sim_run.
*/
#ifndef CLI_PROGRESS_H
#define CLI_PROGRESS_H

#include "sim/sim.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct cli_progress cli_progress;

/* `clock` returns wall seconds (NULL: CLOCK_MONOTONIC), for tests. NULL on
** out-of-memory. */
cli_progress *cli_progress_new(FILE *out, bool tty, const char *label, uint64_t total,
                               double (*clock)(void));
/* Print the final line (a newline on a terminal) and free. NULL is a no-op. */
void cli_progress_free(cli_progress *p);

/* The user data of one replication's sim progress callback. */
typedef struct cli_progress_job {
    cli_progress *p;
    uint64_t replication;
} cli_progress_job;

/* A sim_progress_fn; ud is a cli_progress_job. */
void cli_progress_engine(const sim_progress *sp, void *ud);

/* Minimum wall seconds between two lines: 0.25 on a terminal, 10 otherwise. */
double cli_progress_interval(bool tty);

#endif
