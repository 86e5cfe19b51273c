/*
** sim_dist.c - sampling and moments of sim_dist values (see sim_dist.h).
** Exponential draws take the fast ziggurat path in sim_rng.c when the
** generator is mqsim's own; everything else goes through gsl_ran_*.
*/
#include "sim/sim_dist.h"
#include "sim/sim_err.h"
#include "sim/sim_rng.h"

#include <gsl/gsl_randist.h>
#include <math.h>

sim_dist sim_dist_constant(double v) { return (sim_dist){SIM_DIST_CONSTANT, v, 0}; }
sim_dist sim_dist_exponential(double mean) { return (sim_dist){SIM_DIST_EXPONENTIAL, mean, 0}; }
sim_dist sim_dist_uniform(double lo, double hi) { return (sim_dist){SIM_DIST_UNIFORM, lo, hi}; }
sim_dist sim_dist_lognormal_median(double median, double sigma)
{
    return (sim_dist){SIM_DIST_LOGNORMAL, log(median), sigma};
}
sim_dist sim_dist_lognormal_mean(double mean, double sigma)
{
    return (sim_dist){SIM_DIST_LOGNORMAL, log(mean) - 0.5 * sigma * sigma, sigma};
}
sim_dist sim_dist_gamma(double shape, double scale) { return (sim_dist){SIM_DIST_GAMMA, shape, scale}; }
sim_dist sim_dist_weibull(double scale, double shape) { return (sim_dist){SIM_DIST_WEIBULL, scale, shape}; }

double sim_dist_sample(const sim_dist *d, gsl_rng *r)
{
    switch (d->kind) {
    case SIM_DIST_CONSTANT: return d->p1;
    case SIM_DIST_EXPONENTIAL:
        return r->type == sim_rng_type ? sim_rng_exp(r, d->p1)
                                       : gsl_ran_exponential(r, d->p1);
    case SIM_DIST_UNIFORM: return d->p1 + (d->p2 - d->p1) * gsl_rng_uniform(r);
    case SIM_DIST_LOGNORMAL: return gsl_ran_lognormal(r, d->p1, d->p2);
    case SIM_DIST_GAMMA: return gsl_ran_gamma(r, d->p1, d->p2);
    case SIM_DIST_WEIBULL: return gsl_ran_weibull(r, d->p1, d->p2);
    case SIM_DIST_NORMAL_POS:
        for (;;) {
            double x = d->p1 + gsl_ran_gaussian(r, d->p2);
            if (x >= 0) return x;
        }
    }
    sim_fatal(__FILE__, __LINE__, __func__, "unknown distribution kind %d", (int)d->kind);
}

double sim_dist_mean(const sim_dist *d)
{
    switch (d->kind) {
    case SIM_DIST_CONSTANT: return d->p1;
    case SIM_DIST_EXPONENTIAL: return d->p1;
    case SIM_DIST_UNIFORM: return 0.5 * (d->p1 + d->p2);
    case SIM_DIST_LOGNORMAL: return exp(d->p1 + 0.5 * d->p2 * d->p2);
    case SIM_DIST_GAMMA: return d->p1 * d->p2;
    case SIM_DIST_WEIBULL: return d->p1 * tgamma(1.0 + 1.0 / d->p2);
    case SIM_DIST_NORMAL_POS: return d->p1; /* approximate when sd ~ mean */
    }
    return NAN;
}

double sim_dist_variance(const sim_dist *d)
{
    switch (d->kind) {
    case SIM_DIST_CONSTANT: return 0;
    case SIM_DIST_EXPONENTIAL: return d->p1 * d->p1;
    case SIM_DIST_UNIFORM: return (d->p2 - d->p1) * (d->p2 - d->p1) / 12.0;
    case SIM_DIST_LOGNORMAL: {
        double s2 = d->p2 * d->p2;
        return (exp(s2) - 1.0) * exp(2.0 * d->p1 + s2);
    }
    case SIM_DIST_GAMMA: return d->p1 * d->p2 * d->p2;
    case SIM_DIST_WEIBULL: {
        double g1 = tgamma(1.0 + 1.0 / d->p2), g2 = tgamma(1.0 + 2.0 / d->p2);
        return d->p1 * d->p1 * (g2 - g1 * g1);
    }
    case SIM_DIST_NORMAL_POS: return d->p2 * d->p2;
    }
    return NAN;
}

double sim_dist_max(const sim_dist *d)
{
    switch (d->kind) {
    case SIM_DIST_CONSTANT: return d->p1;
    case SIM_DIST_UNIFORM: return d->p2;
    default: return INFINITY;
    }
}

const char *sim_dist_kind_name(sim_dist_kind k)
{
    switch (k) {
    case SIM_DIST_CONSTANT: return "constant";
    case SIM_DIST_EXPONENTIAL: return "exponential";
    case SIM_DIST_UNIFORM: return "uniform";
    case SIM_DIST_LOGNORMAL: return "lognormal";
    case SIM_DIST_GAMMA: return "gamma";
    case SIM_DIST_WEIBULL: return "weibull";
    case SIM_DIST_NORMAL_POS: return "normal";
    }
    return "?";
}
