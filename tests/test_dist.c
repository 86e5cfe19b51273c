/*
** test_dist.c - cmocka tests of sim/sim_dist.c: every constructor's
** parameters mean what its name says (GSL's argument-order traps), sampled
** means and variances agree with sim_dist_mean / sim_dist_variance and with
** values computed here by hand, and the bookkeeping functions answer right.
**
** Each sampled check draws 10^6 values from a fixed stream (deterministic)
** and allows 5 standard errors: for the mean sqrt(var/n), for the variance
** sqrt((m4 - var^2)/n) from the sample's own fourth central moment, so
** heavy-tailed distributions get proportionally wider bounds.
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sim/sim_dist.h"
#include "sim/sim_rng.h"
#include "tests/test_util.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>

enum { N = 1000000 };

typedef struct moments {
    double mean, var, m4, min, max;
} moments;

/* Draw N values of d from r; fill m; optionally keep the draws in out. */
static moments sample(const sim_dist *d, gsl_rng *r, double *out)
{
    double *x = out ? out : malloc(N * sizeof *x);
    assert_non_null(x);
    moments m = {0, 0, 0, INFINITY, -INFINITY};
    for (int i = 0; i < N; i++) {
        x[i] = sim_dist_sample(d, r);
        m.mean += x[i];
        if (x[i] < m.min) m.min = x[i];
        if (x[i] > m.max) m.max = x[i];
    }
    m.mean /= N;
    for (int i = 0; i < N; i++) {
        double c = (x[i] - m.mean) * (x[i] - m.mean);
        m.var += c;
        m.m4 += c * c;
    }
    m.var /= N - 1;
    m.m4 /= N;
    if (!out) free(x);
    return m;
}

/* Sampled mean and variance of d within 5 standard errors of the given
** hand-computed values, and of what sim_dist_mean/variance report. */
static void check_moments(const sim_dist *d, uint64_t purpose, double mean,
                          double var)
{
    gsl_rng *r = sim_rng_new(2024, 0, 0, purpose);
    moments m = sample(d, r, NULL);
    double se_mean = sqrt(m.var / N);
    double se_var = sqrt((m.m4 - m.var * m.var) / N);
    assert_near(sim_dist_mean(d), mean, 1e-12 * fabs(mean) + 1e-15);
    assert_near(sim_dist_variance(d), var, 1e-9 * fabs(var) + 1e-15);
    assert_near(m.mean, mean, 5 * se_mean);
    assert_near(m.var, var, 5 * se_var);
    gsl_rng_free(r);
}

static void test_exponential_takes_the_mean(void **st)
{
    (void)st;
    sim_dist d = sim_dist_exponential(0.25);
    check_moments(&d, 1, 0.25, 0.0625); /* mqsim stream: ziggurat path */
    /* A foreign generator takes the gsl_ran_exponential path. */
    gsl_rng *mt = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(mt, 99);
    moments m = sample(&d, mt, NULL);
    assert_near(m.mean, 0.25, 5 * 0.25 / sqrt(N));
    assert_true(m.min >= 0);
    gsl_rng_free(mt);
}

static void test_uniform_bounds_and_moments(void **st)
{
    (void)st;
    sim_dist d = sim_dist_uniform(2.0, 5.0);
    check_moments(&d, 2, 3.5, 9.0 / 12.0);
    gsl_rng *r = sim_rng_new(2024, 1, 0, 2);
    moments m = sample(&d, r, NULL);
    assert_true(m.min >= 2.0 && m.max < 5.0);
    assert_true(m.min < 2.0001 && m.max > 4.9999);
    assert_near(sim_dist_max(&d), 5.0, 0);
    gsl_rng_free(r);
}

static void test_lognormal_median_constructor(void **st)
{
    (void)st;
    const double median = 2.0, sigma = 0.8;
    sim_dist d = sim_dist_lognormal_median(median, sigma);
    double s2 = sigma * sigma;
    check_moments(&d, 3, median * exp(s2 / 2),
                  median * median * exp(s2) * (exp(s2) - 1));
    /* The sample median: se = 1 / (2 f(median) sqrt(n)) with
    ** f(median) = 1 / (median sigma sqrt(2 pi)). */
    double *x = malloc(N * sizeof *x);
    assert_non_null(x);
    gsl_rng *r = sim_rng_new(2024, 2, 0, 3);
    sample(&d, r, x);
    gsl_sort(x, 1, N);
    double med = gsl_stats_median_from_sorted_data(x, 1, N);
    double se = median * sigma * sqrt(2 * M_PI) / (2 * sqrt((double)N));
    assert_near(med, median, 5 * se);
    free(x);
    gsl_rng_free(r);
}

static void test_lognormal_mean_constructor(void **st)
{
    (void)st;
    const double mean = 3.0, sigma = 0.5;
    sim_dist d = sim_dist_lognormal_mean(mean, sigma);
    check_moments(&d, 4, mean, mean * mean * (exp(sigma * sigma) - 1));
}

static void test_gamma_shape_then_scale(void **st)
{
    (void)st;
    sim_dist d = sim_dist_gamma(2.0, 3.0); /* mean k theta, var k theta^2 */
    check_moments(&d, 5, 6.0, 18.0);
    sim_dist e = sim_dist_gamma(0.5, 0.1); /* shape < 1 takes another path */
    check_moments(&e, 6, 0.05, 0.005);
}

static void test_weibull_scale_then_shape(void **st)
{
    (void)st;
    /* scale 2, shape 1.5: mean 2 G(1 + 1/1.5), var 4 (G(1 + 2/1.5) - G^2) */
    sim_dist d = sim_dist_weibull(2.0, 1.5);
    double g1 = tgamma(1.0 + 1.0 / 1.5), g2 = tgamma(1.0 + 2.0 / 1.5);
    assert_near(g1, 0.90274529295093, 1e-12); /* Gamma(5/3), tabulated */
    check_moments(&d, 7, 2.0 * g1, 4.0 * (g2 - g1 * g1));
    /* shape 1 is the exponential with mean = scale */
    sim_dist e = sim_dist_weibull(0.7, 1.0);
    check_moments(&e, 8, 0.7, 0.49);
}

static void test_constant(void **st)
{
    (void)st;
    sim_dist d = sim_dist_constant(1.25);
    gsl_rng *r = sim_rng_new(2024, 0, 0, 9);
    moments m = sample(&d, r, NULL);
    assert_near(m.min, 1.25, 0);
    assert_near(m.max, 1.25, 0);
    assert_near(sim_dist_mean(&d), 1.25, 0);
    assert_near(sim_dist_variance(&d), 0, 0);
    assert_near(sim_dist_max(&d), 1.25, 0);
    gsl_rng_free(r);
}

static void test_normal_pos_never_negative(void **st)
{
    (void)st;
    /* No constructor yet; the struct is public. mean 1, sd 1: about 16% of
    ** raw draws are negative and must be redrawn. */
    sim_dist d = {SIM_DIST_NORMAL_POS, 1.0, 1.0};
    gsl_rng *r = sim_rng_new(2024, 0, 0, 10);
    moments m = sample(&d, r, NULL);
    assert_true(m.min >= 0.0);
    /* Truncated normal mean: mu + sd phi(a) / (1 - Phi(a)), a = -1:
    ** 1 + 0.2419707245 / 0.8413447461 = 1.2875999709. */
    assert_near(m.mean, 1.2875999709, 5 * sqrt(m.var / N));
    gsl_rng_free(r);
}

static void test_max_and_names(void **st)
{
    (void)st;
    sim_dist e = sim_dist_exponential(1), l = sim_dist_lognormal_median(1, 1);
    assert_true(isinf(sim_dist_max(&e)) && isinf(sim_dist_max(&l)));
    assert_string_equal(sim_dist_kind_name(SIM_DIST_CONSTANT), "constant");
    assert_string_equal(sim_dist_kind_name(SIM_DIST_EXPONENTIAL), "exponential");
    assert_string_equal(sim_dist_kind_name(SIM_DIST_UNIFORM), "uniform");
    assert_string_equal(sim_dist_kind_name(SIM_DIST_LOGNORMAL), "lognormal");
    assert_string_equal(sim_dist_kind_name(SIM_DIST_GAMMA), "gamma");
    assert_string_equal(sim_dist_kind_name(SIM_DIST_WEIBULL), "weibull");
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_exponential_takes_the_mean),
        cmocka_unit_test(test_uniform_bounds_and_moments),
        cmocka_unit_test(test_lognormal_median_constructor),
        cmocka_unit_test(test_lognormal_mean_constructor),
        cmocka_unit_test(test_gamma_shape_then_scale),
        cmocka_unit_test(test_weibull_scale_then_shape),
        cmocka_unit_test(test_constant),
        cmocka_unit_test(test_normal_pos_never_negative),
        cmocka_unit_test(test_max_and_names),
    };
    return cmocka_run_group_tests_name("sim_dist", t, NULL, NULL);
}
