/*
** sim_stats.h - streaming statistics for one run, and confidence intervals
** over replications.
**
**   sim_welford  count, mean, variance, min, max in one pass (Welford).
**   sim_hist     log-bucketed histogram (HDR-style): quantiles with bounded
**                relative error, exact max, mergeable across replications.
**   sim_twavg    time-weighted average of a step function (backlog size,
**                connected clients).
**   sim_ci95     t-based 95% confidence half-width (gsl_cdf_tdist_Pinv).
**
** Histogram error: values are bucketed by exponent and SIM_HIST_SUB_BITS
** mantissa bits; a quantile is reported as its bucket's midpoint, so the
** relative error of any reported quantile is at most 2^-(SUB_BITS+1) (see
** SIM_HIST_REL_ERR). Values <= SIM_HIST_MIN are counted in bucket 0 and
** reported as 0.
*/
#ifndef SIM_STATS_H
#define SIM_STATS_H

#include <stddef.h>
#include <stdint.h>

typedef struct sim_welford {
    uint64_t n;
    double mean, m2, min, max;
} sim_welford;

void sim_welford_add(sim_welford *w, double x);
double sim_welford_var(const sim_welford *w); /* sample variance, n-1 */
double sim_welford_sd(const sim_welford *w);
/* Merge b into a (Chan et al. parallel formula). */
void sim_welford_merge(sim_welford *a, const sim_welford *b);

#define SIM_HIST_SUB_BITS 7
#define SIM_HIST_REL_ERR (1.0 / (double)(1u << (SIM_HIST_SUB_BITS + 1)))
#define SIM_HIST_MIN 1e-9 /* seconds: 1 ns resolution floor */
#define SIM_HIST_MAX 1e9  /* larger values are clamped into the top bucket */

typedef struct sim_hist sim_hist;

/* Caller frees with sim_hist_free(). NULL on out-of-memory. */
sim_hist *sim_hist_new(void);
void sim_hist_free(sim_hist *h);
void sim_hist_add(sim_hist *h, double x);
void sim_hist_add_n(sim_hist *h, double x, uint64_t n);
uint64_t sim_hist_count(const sim_hist *h);
/* q in [0,1]; NAN when empty. q = 1 returns the exact max. */
double sim_hist_quantile(const sim_hist *h, double q);
double sim_hist_max(const sim_hist *h);
double sim_hist_mean(const sim_hist *h); /* exact (kept alongside) */
void sim_hist_reset(sim_hist *h);
/* Add b's counts into a. */
void sim_hist_merge(sim_hist *a, const sim_hist *b);

typedef struct sim_twavg {
    double t0;     /* start of the averaging window */
    double last_t; /* time of the last change */
    double value;  /* current value of the step function */
    double area;   /* integral from t0 to last_t */
    double max;
} sim_twavg;

void sim_twavg_init(sim_twavg *a, double t0, double value);
/* The function takes `value` from time t on (t >= last_t). */
void sim_twavg_set(sim_twavg *a, double t, double value);
/* Average over [t0, t]. */
double sim_twavg_mean(const sim_twavg *a, double t);

/* Half-width of the two-sided 95% t-interval for the mean of n samples with
** sample standard deviation sd. NAN if n < 2. */
double sim_ci95_halfwidth(uint64_t n, double sd);

#endif
