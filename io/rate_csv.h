/*
** rate_csv.h - a day profile from a `time,rate` CSV, as Grafana and cloud
** monitoring consoles export a rate series, for `mqsim capture
** --rate-profile`.
**
** The time column takes "HH:MM[:SS]", "YYYY-MM-DD[T| ]HH:MM[:SS][.frac]"
** with an optional zone ("Z", "+08:00", "-0500"), or Unix time in seconds
** or milliseconds. Times with a zone and Unix times are instants, turned
** into the local time of day (the TZ of the process, the clock the
** scenario's run.start_at and `mqsim run --at` use). Times without a zone
** are local, or UTC when utc is set. A first row whose rate is not a number
** is a header. Rows at the same time of day (a series over several days)
** are averaged. The result is a step schedule over one day: one step per
** distinct time of day, ascending; when the first is after 00:00, a step at
** 00:00 carries the day's last rate (the series wraps).
**
** Ownership: *steps is allocated here and freed by the caller (free()).
*/
#ifndef RATE_CSV_H
#define RATE_CSV_H

#include "models/mq_scenario.h"
#include "sim/sim_err.h"

#include <stdbool.h>
#include <stddef.h>

#define RATE_CSV_MAX_STEPS 10000

/* 0 ok; -1 with "FILE:LINE: what was expected". */
int rate_csv_read(const char *path, bool utc, mq_rate_step **steps, size_t *n, sim_err *err);

#endif
