/*
** scn_budget.h - reading risk budget lines ("metric OP limit", issue 6) from
** a scenario into the evaluated form of models/mq_budget.h.
**
**   budget: ["duplicate_rate <= 0.001", "delay_p99_s <= 30", "lost == 0",
**            "drain_time_s <= 2h"]
**
** OP is one of <= < >= > ==. The limit is a plain number ("0.001", "-5",
** "1e6") or, for metrics measured in seconds, a duration with a unit ("2h",
** "500ms"), converted to seconds.
**
** Parsing text is io's job; the model layer keeps only the parsed lines and
** their verdicts, so models/ never depends on the unit parser or the
** scenario's error-message helpers.
**
** Metric names are checked against the metric table (models/mq_metric_info.h),
** the one statement of every metric mqsim writes, so checking a budget
** never runs the model and the list of known metrics is never typed twice.
** A name the table has that a given scenario does not produce (a change
** model's metric in a scenario without that change) passes the check and
** fails its verdict as "not measured in this run".
*/
#ifndef SCN_BUDGET_H
#define SCN_BUDGET_H

#include "models/mq_budget.h"
#include "sim/sim_err.h"

/* Parse `text` and append it to b. On a syntax error returns -1 with err =
** "path:line:col: budget line '...': what was wrong" (loc is where the line
** sits in the file), b unchanged. The text is copied. */
int scn_budget_add(mq_budget *b, const char *text, mq_loc loc, const char *path, sim_err *err);

/* Check every line's metric against the metric table: an unknown name fails
** with the nearest known name as a suggestion, and a duration limit on a
** metric whose unit is not "s" fails. b may be NULL (returns 0). Errors are
** "path:line:col: ...". */
int scn_budget_check_names(const mq_budget *b, const char *path, sim_err *err);

#endif
