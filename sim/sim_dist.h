/*
** sim_dist.h - a probability distribution as a value: a kind and named
** parameters, sampled through GSL (or the fast paths in sim_rng.h).
**
** Scenario files describe service times, ages and deliver-at times with
** these; each constructor takes its parameters in the unit the caller works
** in (seconds for durations) and the field names say which parameter is
** which, so GSL's argument-order traps (exponential takes the mean, gamma
** shape then scale, lognormal the underlying normal's zeta and sigma) are
** handled in one place.
*/
#ifndef SIM_DIST_H
#define SIM_DIST_H

#include <gsl/gsl_rng.h>
#include <stdbool.h>

typedef enum sim_dist_kind {
    SIM_DIST_CONSTANT,    /* value */
    SIM_DIST_EXPONENTIAL, /* mean */
    SIM_DIST_UNIFORM,     /* lo, hi */
    SIM_DIST_LOGNORMAL,   /* zeta, sigma of the underlying normal */
    SIM_DIST_GAMMA,       /* shape, scale */
    SIM_DIST_WEIBULL,     /* scale, shape */
    SIM_DIST_NORMAL_POS   /* mean, sd; truncated at 0 by resampling */
} sim_dist_kind;

typedef struct sim_dist {
    sim_dist_kind kind;
    double p1, p2; /* meaning depends on kind, see the constructors */
} sim_dist;

sim_dist sim_dist_constant(double value);
sim_dist sim_dist_exponential(double mean);
sim_dist sim_dist_uniform(double lo, double hi);
/* Lognormal from its median and the sigma of the underlying normal. */
sim_dist sim_dist_lognormal_median(double median, double sigma);
/* Lognormal from its mean and the sigma of the underlying normal. */
sim_dist sim_dist_lognormal_mean(double mean, double sigma);
sim_dist sim_dist_gamma(double shape, double scale);
sim_dist sim_dist_weibull(double scale, double shape);

double sim_dist_sample(const sim_dist *d, gsl_rng *r);
double sim_dist_mean(const sim_dist *d);
double sim_dist_variance(const sim_dist *d);
/* Largest value the distribution can produce (INFINITY if unbounded). */
double sim_dist_max(const sim_dist *d);
/* Kind name for messages and JSON: "exponential", ... */
const char *sim_dist_kind_name(sim_dist_kind k);

#endif
