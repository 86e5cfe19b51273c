/*
** sim_rep.h - statistics over independent replications: each replication
** yields a sim_metrics table; sim_rep keeps one Welford accumulator per
** metric and produces the mean with a t-based 95% confidence interval
** (sim_ci95_halfwidth). Fed with differences of two tables
** (sim_rep_add_delta) it gives paired deltas on common random numbers: the
** CI of the mean difference, which is much tighter than the difference of
** two independent CIs when the runs share their random streams.
**
** Rules:
**   - the first table added fixes the metrics (names, units, better) and
**     their order; later tables are matched by name (a metric missing from
**     a later table counts as not measured in that replication);
**   - a non-finite value (NAN "not measured", INFINITY) in any replication
**     makes the aggregate non-finite: INFINITY if every non-finite value was
**     +INFINITY and nothing else is known, NAN otherwise, with no CI. The
**     number of such replications is kept (sim_rep_nonfinite) so reports can
**     say "did not drain in 3 of 10 replications";
**   - a metric censored (sim_status) in any replication is censored in the
**     aggregate, with the highest status seen and the mean over the
**     replications of the value, or of the lower bound where censored, as
**     its bound (a lower bound on the mean); no CI. A paired delta is
**     censored when either side is, bounded only when the change side is
**     censored and the baseline measured;
**   - with one replication the value is that replication's and the CI is
**     NAN (no interval), as everywhere in sim_table.h.
** Cost: O(metrics) per add with a name lookup per metric (linear, tables
** are tens of rows).
**
** Ownership: sim_rep_new() -> caller frees with sim_rep_free() (NULL is a
** no-op). Added tables are borrowed for the call only.
*/
#ifndef SIM_REP_H
#define SIM_REP_H

#include "sim/sim_table.h"

#include <stddef.h>
#include <stdint.h>

typedef struct sim_rep sim_rep;

sim_rep *sim_rep_new(void);
void sim_rep_free(sim_rep *r);

/* Add one replication's table. 0, or -1 on out-of-memory. */
int sim_rep_add(sim_rep *r, const sim_metrics *m);
/* Add the paired difference a - b of every metric present in both (names,
** units and better taken from a). 0, or -1 on out-of-memory. */
int sim_rep_add_delta(sim_rep *r, const sim_metrics *a, const sim_metrics *b);

/* Replications added so far. */
uint64_t sim_rep_count(const sim_rep *r);
/* Replications in which `name` was non-finite or missing; 0 if unknown. */
uint64_t sim_rep_nonfinite(const sim_rep *r, const char *name);

/* Mean and 95% CI of every metric into out (must be empty). 0, or -1 on
** out-of-memory (out left empty). Caller frees out with sim_metrics_free. */
int sim_rep_result(const sim_rep *r, sim_metrics *out);

/* Relative half-width |ci95 half-width / mean| of `name`: 0 when the mean
** and the spread are both 0, INFINITY when only the mean is 0, NAN with
** fewer than 2 replications, an unknown name or a non-finite metric. */
double sim_rep_rel_halfwidth(const sim_rep *r, const char *name);

#endif
