/*
** out_run.h - write every output of one run into a results folder:
** summary.csv, timeseries.csv, summary.json and the PNG plots
** (delay.png, backlog.png, clients.png, disruption.png).
**
** Shared by `mqsim run` and, later, by the load tester, so simulated and
** measured runs produce one schema. Every file is written atomically; the
** folder is created if missing. On failure some files may already have been
** replaced by their new versions, but none is ever left half-written.
**
** Ownership: everything is borrowed; meta (may be NULL) is merged into
** summary.json's top level.
*/
#ifndef OUT_RUN_H
#define OUT_RUN_H

#include "models/mq_model.h"
#include "sim/sim_err.h"

#include <jansson.h>
#include <stdbool.h>

/* plots false (`run --no-plots`): no PNG is drawn and summary.json's
** "plots" list is empty, so the report embeds none. The whole folder: the
** two parts below, on this thread, with the axes meta describes (its
** scenario's run.start_clock_s and its "budget" lines). */
int out_run_write(const char *dir, const mq_result *r, json_t *meta, bool plots,
                  sim_err *err);

/* What the time plots share: the time of day at t = 0 (> 0 draws a wall-
** clock axis) and the budget lines drawn as limits, a JSON array as
** out_budget_json writes it (borrowed; may be NULL). */
typedef struct out_run_axes {
    double clock0_s;
    json_t *budget;
} out_run_axes;

/* The plots written, one bit each, so the two parts can be written on
** different threads and summary.json still lists them in report order. */
typedef unsigned out_run_plots;

/* Part one, from replication r alone: timeseries.csv and the delay,
** throughput, clients, backlog and disruption plots, each file a task on
** up to `threads` threads (the caller's among them; libplot's _r API and
** libpng keep their state per plot); *wrote gets the plots written. final:
** r->metrics are already the run's summary (a single replication: the
** mean of one value is that value), so the percentile and endpoint plots
** are tasks here too and part two leaves them out. Reads nothing shared
** but ax: safe on a worker thread while other replications run. On
** failure, the first failing file in that order is reported. */
int out_run_write_rep(const char *dir, const mq_result *r, const out_run_axes *ax, bool plots,
                      bool final, int threads, out_run_plots *wrote, sim_err *err);

/* Part two, from the aggregated metrics in r->metrics: summary.csv, the
** percentile and endpoint-disruption plots (unless part one wrote them),
** and summary.json (meta merged in) listing the plots of both parts
** (wrote: part one's). */
int out_run_write_summary(const char *dir, const mq_result *r, json_t *meta, bool plots,
                          out_run_plots wrote, sim_err *err);

#endif
