/*
** mq_budget.h - risk budgets: the user's limits on summary metrics, written
** in a scenario as lines "metric OP limit" (issue 6), and their verdicts.
**
**   budget: ["duplicate_rate <= 0.001", "delay_p99_s <= 30", "lost == 0",
**            "drain_time_s <= 2h"]
**
** OP is one of <= < >= > ==; a limit on a metric in seconds may carry a
** time unit, converted to seconds. The text is parsed, and the metric names
** checked against the metric table, by io/scn_budget.h; this header holds
** the parsed lines and the verdicts only.
**
** Verdict rule (deliberately conservative): a line passes only if the whole
** 95% confidence interval satisfies it - the CI's upper bound for <= and <,
** its lower bound for >= and >, both bounds for ==. Without an interval (one
** replication) the interval is the value itself. A metric that was not
** measured fails every line, except a censored one (sim_status): its true
** value is at least its lower bound, so a lower bound already beyond a
** "<=" or "<" limit fails for certain, one already past a ">=" or ">"
** limit passes, and anything else is undecided (the run ended too early to
** tell) and fails. The verdict's `why` says which of these applied.
**
** A change the run ended inside (change_completed < 1 in any replication):
** every line that would pass fails, since the change's effect after the
** end of the run is not in the figures (a line on change_completed itself
** is judged as written).
**
** Delay over the delivered messages only (delay_p99_s, delay_mean_s, ...;
** not delay_all_*): while the messages not delivered by the end move the
** p99 (mq_undelivered_moves_p99), an upper limit on one passes only if it
** also holds counting them as delayed until the end: on its delay_all_
** twin (p50, p99, p999, mean, max), else (p90, p9999) only while the
** undelivered share stays below the quantile's tail (u < 1 - q). A budget that bounds undelivered_fraction in a line of its own
** judges those messages there, and the delay lines as written. A run that
** stranded most of its messages would otherwise pass "delay_p99_s <= 5s"
** on the few that arrived.
**
** Ownership: mq_budget_new() returns an empty budget the caller frees with
** mq_budget_free() (NULL is a no-op); the scenario owns its budget.
*/
#ifndef MQ_BUDGET_H
#define MQ_BUDGET_H

#include "models/mq_scenario.h"
#include "sim/sim_err.h"
#include "sim/sim_table.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum mq_budget_op {
    MQ_BUDGET_LE, MQ_BUDGET_LT, MQ_BUDGET_GE, MQ_BUDGET_GT, MQ_BUDGET_EQ
} mq_budget_op;

typedef struct mq_budget_line {
    mq_loc loc;        /* where the line is in the scenario file */
    char *text;        /* the line as written (owned) */
    char *metric;      /* owned */
    mq_budget_op op;
    double limit;      /* seconds when is_duration */
    bool is_duration;  /* the limit carried a time unit */
} mq_budget_line;

struct mq_budget {
    size_t n, cap;
    mq_budget_line *v;
};
typedef struct mq_budget mq_budget;

/* A new empty budget, or NULL on out-of-memory. */
mq_budget *mq_budget_new(void);
void mq_budget_free(mq_budget *b);

/* Append a parsed line; b takes ownership of l.text and l.metric. */
void mq_budget_push(mq_budget *b, mq_budget_line l);

/* "<=", "<", ">=", ">", "==". */
const char *mq_budget_op_str(mq_budget_op op);

/* Why a line passed or failed. */
typedef enum mq_budget_why {
    MQ_WHY_WITHIN,       /* the whole CI satisfies the line */
    MQ_WHY_BEYOND,       /* part of the CI violates it */
    MQ_WHY_ALL_BEYOND,   /* the whole CI violates it */
    MQ_WHY_VALUE_WITHIN, /* no CI (one replication): the value satisfies it */
    MQ_WHY_VALUE_BEYOND, /* no CI: the value violates it */
    MQ_WHY_BOUND_BEYOND, /* censored; the lower bound alone violates it */
    MQ_WHY_BOUND_WITHIN, /* censored; the lower bound alone satisfies it */
    MQ_WHY_UNDECIDED,    /* censored; the bound cannot decide: fails */
    MQ_WHY_MISSING,      /* not measured, not applicable or absent: fails */
    MQ_WHY_UNDELIVERED,  /* within over the delivered messages, but the
                            undelivered ones move the p99: fails */
    MQ_WHY_UNFINISHED    /* within, but the change had not completed when
                            the run ended (change_completed < 1): fails */
} mq_budget_why;

/* A short sentence for `why`, e.g. "the 95% CI reaches past the limit". */
const char *mq_budget_why_str(mq_budget_why why);

typedef struct mq_budget_verdict {
    double value, lo, hi; /* lo = hi = value when there is no CI */
    bool pass;
    bool measured;        /* false: metric missing or not measured */
    sim_status status;    /* the metric's status (measured when absent) */
    double bound;         /* its lower bound when censored, else NAN */
    mq_budget_why why;
} mq_budget_verdict;

/* Evaluate line `l` against metrics m (see the verdict rule above), on
** its own: the undelivered rule needs the whole budget (mq_budget_eval). */
mq_budget_verdict mq_budget_eval_line(const mq_budget_line *l, const sim_metrics *m);

/* Evaluate every line into out[0..b->n-1] (caller-provided), with every
** rule above. Returns the number of failing lines. b may be NULL
** (returns 0). */
size_t mq_budget_eval(const mq_budget *b, const sim_metrics *m, mq_budget_verdict *out);

#endif
