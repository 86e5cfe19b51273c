/*
** sim_table.h - domain-neutral containers for what a run produces:
**   sim_metrics  named scalar results (value, optional 95% CI, unit, and which
**                direction is better), in insertion order;
**   sim_series   a timeseries table: named double columns plus one text label
**                per row (the phase or event active in that interval);
**   sim_bands    labelled time intervals (phases, restarts) for plots.
** Models fill them; writers, plots and reports read them. Keeping them free
** of broker words is what lets io/ write any model's output.
**
** Ownership: every container owns its strings (copied on add) and arrays.
** Initialise with a zero struct ({0}) or *_init; release with *_free, which
** leaves a zeroed, reusable container. Adding returns 0, or -1 on
** out-of-memory (the container is unchanged).
*/
#ifndef SIM_TABLE_H
#define SIM_TABLE_H

#include <stddef.h>

/* Which way is better, used by `compare` and budgets. */
typedef enum sim_better {
    SIM_BETTER_NONE = 0,  /* informational: never a regression */
    SIM_BETTER_LOWER = -1,
    SIM_BETTER_HIGHER = 1
} sim_better;

/* Whether a metric's value was measured. A metric whose event did not
** happen within the run is censored: its value is NAN and `bound` holds what
** the run does show, a lower bound on the true value (NAN when the run shows
** nothing). Writers print the status beside the value so that a bound never
** reads as a measurement. The order is by severity: aggregating tables keeps
** the highest status any replication had. */
typedef enum sim_status {
    SIM_MEASURED = 0,
    SIM_NOT_APPLICABLE,  /* nothing to measure (no client of that kind) */
    SIM_CENSORED_AT_END, /* still going on when the run ended (a client never
                            reconnected): true value >= bound */
    SIM_NOT_REACHED      /* the end point was never reached (a backlog never
                            drained, a phase never began): true value >= bound */
} sim_status;

/* "measured", "not_applicable", "censored_at_end", "not_reached". */
const char *sim_status_str(sim_status s);
/* The status named s; -1 when s names none. */
int sim_status_parse(const char *s);

typedef struct sim_metric {
    char *name;
    double value;        /* NAN unless status is SIM_MEASURED */
    double ci_lo, ci_hi; /* NAN when there is no interval (one replication) */
    char *unit;          /* "s", "msgs", "ratio", "CNY", ... ("" if none) */
    sim_better better;
    sim_status status;
    double bound;        /* lower bound when censored, else NAN */
} sim_metric;

/* v holds the metrics in insertion order; idx is an open-addressing hash
** index over their names (slot = position in v + 1, 0 = empty, icap a
** power of two, at most half full), so add and find cost O(1) however many
** rows a table has (16 000 client groups give ~10^5 rows). Treat v and n as
** read-only outside sim_table.c; the index follows the adds. */
typedef struct sim_metrics {
    sim_metric *v;
    size_t n, cap;
    size_t *idx;
    size_t icap;
} sim_metrics;

/* Append a metric with no CI. A name already present is an invariant
** violation (metrics are keyed by name). */
int sim_metrics_add(sim_metrics *m, const char *name, double value,
                    const char *unit, sim_better better);
/* Append a metric that was not measured: value NAN, the given status and
** lower bound (NAN for none). */
int sim_metrics_add_censored(sim_metrics *m, const char *name, double bound,
                             const char *unit, sim_better better, sim_status status);
/* Append a copy of x (value, CI, unit, better, status, bound) under `name`
** (x->name when NULL). */
int sim_metrics_add_copy(sim_metrics *m, const sim_metric *x, const char *name);
/* Mark the metric `name` (which must exist) as not measured: value NAN,
** status st, lower bound `bound` (NAN for none; ignored for measured). */
void sim_metrics_censor(sim_metrics *m, const char *name, sim_status st, double bound);
/* Find by name; NULL if absent. The pointer is valid until the next add. */
sim_metric *sim_metrics_find(const sim_metrics *m, const char *name);
void sim_metrics_free(sim_metrics *m);

typedef struct sim_series {
    size_t ncols;
    char **cols;        /* column names, first is usually "time_s" */
    size_t nrows, cap;
    double *data;       /* row-major: data[row * ncols + col] */
    char **labels;      /* one per row, "" when none */
} sim_series;

int sim_series_init(sim_series *s, size_t ncols, const char *const *names);
/* Append a row of ncols values; label may be NULL (stored as ""). */
int sim_series_add_row(sim_series *s, const double *values, const char *label);
/* Column index by name, or -1. */
int sim_series_col(const sim_series *s, const char *name);
static inline double sim_series_at(const sim_series *s, size_t row, size_t col)
{
    return s->data[row * s->ncols + col];
}
void sim_series_free(sim_series *s);

typedef struct sim_band {
    double t0, t1; /* seconds; t1 >= t0 */
    char *label;
} sim_band;

typedef struct sim_bands {
    sim_band *v;
    size_t n, cap;
} sim_bands;

int sim_bands_add(sim_bands *b, double t0, double t1, const char *label);
void sim_bands_free(sim_bands *b);

/* A list of owned strings (warnings, notes). */
typedef struct sim_strs {
    char **v;
    size_t n, cap;
} sim_strs;

int sim_strs_add(sim_strs *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sim_strs_free(sim_strs *l);

#endif
