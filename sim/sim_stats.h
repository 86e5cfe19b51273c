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
** SIM_HIST_REL_ERR; 1/256 = 0.39% with 7 bits). Values <= SIM_HIST_MIN
** (including negatives) are counted in bucket 0 and reported as 0; values
** above SIM_HIST_MAX are counted in the top bucket (reported near
** SIM_HIST_MAX) while sim_hist_max stays exact. Reported quantiles are also
** clamped to the exact min and max, which only ever reduces the error.
** Quantile q is the order statistic of 0-based rank floor(q (n - 1)), the
** lower neighbour GSL's gsl_stats_quantile_from_sorted_data interpolates
** from. Cost: sim_hist_add is O(1) (bit arithmetic, no loop, no log);
** quantile and merge are O(buckets) = 7655 with the defaults; one histogram
** holds about 60 KB of counts.
*/
#ifndef SIM_STATS_H
#define SIM_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Zero-initialise (sim_welford w = {0}) before the first add. min and max
** are meaningful once n > 0. */
typedef struct sim_welford {
    uint64_t n;
    double mean, m2, min, max;
} sim_welford;

void sim_welford_add(sim_welford *w, double x);
/* Sample variance (n-1 denominator); 0 when n < 2 (no spread observed -
** check n to tell "one sample" from "no variation"). */
double sim_welford_var(const sim_welford *w);
double sim_welford_sd(const sim_welford *w);
/* Merge b into a (Chan et al. parallel formula); b is unchanged. Either may
** be empty. */
void sim_welford_merge(sim_welford *a, const sim_welford *b);

#define SIM_HIST_SUB_BITS 7
#define SIM_HIST_REL_ERR (1.0 / (double)(1u << (SIM_HIST_SUB_BITS + 1)))
#define SIM_HIST_MIN 1e-9 /* seconds: 1 ns resolution floor */
#define SIM_HIST_MAX 1e9  /* larger values are clamped into the top bucket */

typedef struct sim_hist sim_hist;

/* An empty histogram. Caller frees with sim_hist_free() (NULL is a no-op).
** NULL on out-of-memory. */
sim_hist *sim_hist_new(void);
void sim_hist_free(sim_hist *h);
/* Count x (NaN is an invariant violation). add_n counts it n times. */
void sim_hist_add(sim_hist *h, double x);
void sim_hist_add_n(sim_hist *h, double x, uint64_t n);
uint64_t sim_hist_count(const sim_hist *h);
/* q in [0,1] (outside is an invariant violation); NAN when empty. q = 1
** returns the exact max and q = 0 the exact min. */
double sim_hist_quantile(const sim_hist *h, double q);
double sim_hist_max(const sim_hist *h);  /* exact; NAN when empty */
/* Exact (Kahan-compensated sum kept alongside); NAN when empty. */
double sim_hist_mean(const sim_hist *h);
void sim_hist_reset(sim_hist *h);
/* Add b's counts, sum, min and max into a; b is unchanged. */
void sim_hist_merge(sim_hist *a, const sim_hist *b);

typedef struct sim_twavg {
    double t0;     /* start of the averaging window */
    double last_t; /* time of the last change */
    double value;  /* current value of the step function */
    double area;   /* integral from t0 to last_t */
    double max;
} sim_twavg;

/* Start the window at t0 with the function at `value`. */
void sim_twavg_init(sim_twavg *a, double t0, double value);
/* The function takes `value` from time t on. t < last_t (time going
** backwards) is an invariant violation and aborts; t == last_t is fine. */
void sim_twavg_set(sim_twavg *a, double t, double value);
/* Average over [t0, t] (t >= last_t; the state is not changed). For an
** empty window (t == t0) returns the current value. */
double sim_twavg_mean(const sim_twavg *a, double t);

/* Half-width of the two-sided 95% t-interval for the mean of n samples with
** sample standard deviation sd. NAN if n < 2. */
double sim_ci95_halfwidth(uint64_t n, double sd);

#endif
