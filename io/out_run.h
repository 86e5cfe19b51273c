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
** "plots" list is empty, so the report embeds none. */
int out_run_write(const char *dir, const mq_result *r, json_t *meta, bool plots,
                  sim_err *err);

#endif
