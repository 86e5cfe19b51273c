/*
** mq_metric_info.h - the table of every summary metric mqsim writes
** (simulated by the model or measured by `mqsim load`): name, unit, which
** direction is better, the statuses it can take besides "measured", and a
** one-line definition.
**
** It is the code's single statement of what each metric means. `compare`
** takes directions from it (so folders holding only summary.csv are judged
** the same way as those with summary.json), `mqsim metrics` prints it, and
** docs/OUTPUT.md is generated from it (tests/test_compare.c checks that the
** document and the table agree, and that every metric of every bundled
** scenario's baseline has a row with the same unit and direction, so a
** metric added by a model without a row fails the suite).
*/
#ifndef MQ_METRIC_INFO_H
#define MQ_METRIC_INFO_H

#include "sim/sim_err.h"
#include "sim/sim_rep.h"
#include "sim/sim_table.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct mq_metric_info {
    const char *name;
    const char *unit;     /* as the model writes it; "" = the currency given */
    sim_better better;
    const char *statuses; /* statuses besides measured, "" = always measured */
    const char *definition;
    const char *part_of;  /* the total this row is one cause of ("lost"), or
                             NULL: a total's parts add up to it on every run
                             (mq_metric_parts_check), and the report lists
                             them under it */
} mq_metric_info;

/* Shorthands for writing rows (this table's and each change type's). */
#define MQ_MI_LO SIM_BETTER_LOWER
#define MQ_MI_HI SIM_BETTER_HIGHER
#define MQ_MI_NO SIM_BETTER_NONE
#define MQ_MI_CEN "censored_at_end"
#define MQ_MI_NR "not_reached"
#define MQ_MI_NA "not_applicable"

/* The row of `name`, or NULL. */
const mq_metric_info *mq_metric_info_find(const char *name);
/* Row i of n (table order), NULL past the end. */
const mq_metric_info *mq_metric_info_at(size_t i);

/* Every total whose parts (rows with part_of) the run wrote adds up to
** them exactly: 0, or -1 with err saying which and by how much. For one
** replication's metrics (counts), before any averaging. */
int mq_metric_parts_check(const sim_metrics *m, sim_err *err);

/* Whether messages not delivered by the end (lost, expired or still
** pending) move the p99 delay: delay_all_p99_s, which counts them as
** delayed until the end, differs from the delivered-only delay_p99_s.
** Then a delivered-only delay figure does not describe the run on its own
** (the console says so; a budget line on one cannot pass, mq_budget.h). */
bool mq_undelivered_moves_p99(const sim_metrics *m);
/* Whether `name` is a delay of the delivered messages only (delay_*, not
** the delay_all_* figures that count the undelivered ones too). */
bool mq_metric_is_delivered_delay(const char *name);

/* The replications' means and 95% t-intervals (sim_rep_result, same
** ownership) of per-run metrics, with the interval of a quantity that
** cannot be negative (its unit is a count, a rate, a duration or a ratio)
** cut at 0: the t-interval of a few replications of a small count reaches
** below 0 ("2.3 msgs [-1.5, 6.1]"), a value no such mean can take. Paired
** deltas (sim_rep_add_delta) can be negative: use sim_rep_result. */
int mq_rep_result(const sim_rep *r, sim_metrics *out);

#endif
