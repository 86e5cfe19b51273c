/*
** test_stats.c - cmocka tests of sim/sim_stats.c: Welford against a
** two-pass reference (GSL), Welford merge, histogram bucketing error and
** quantiles against exact order statistics (gsl_sort), exact max/min/mean,
** histogram merge, edge values, the time-weighted average and the t-based
** confidence half-width against hand-computed values.
**
** Quantile reference: sim_hist_quantile(q) reports the order statistic of
** 0-based rank floor(q (n - 1)), so each quantile is checked against that
** sorted value to SIM_HIST_REL_ERR, and against GSL's interpolated
** gsl_stats_quantile_from_sorted_data to SIM_HIST_REL_ERR plus the gap to
** the next order statistic (the interpolation's own span).
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sim/sim_rng.h"
#include "sim/sim_stats.h"
#include "tests/test_util.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- Welford -------------------------------------------------------- */

static void test_welford_matches_two_pass(void **st)
{
    (void)st;
    enum { N = 100000 };
    static double x[N];
    gsl_rng *r = sim_rng_new(1, 0, 0, 0);
    sim_welford w = {0};
    for (int i = 0; i < N; i++) {
        /* a large offset makes the naive sum-of-squares formula fail */
        x[i] = 1e6 + gsl_ran_gaussian(r, 0.01);
        sim_welford_add(&w, x[i]);
    }
    double mean = gsl_stats_mean(x, 1, N);
    double var = gsl_stats_variance_m(x, 1, N, mean); /* two-pass, n-1 */
    double mn, mx;
    gsl_stats_minmax(&mn, &mx, x, 1, N);
    assert_int_equal(w.n, N);
    assert_near(w.mean, mean, 1e-7); /* 1e-5 sd; rounding at 1e6 is ~1e-8 */
    /* Welford's running mean carries rounding of ulp(1e6) per step, which
    ** costs about 1e-9 relative in m2; the naive sum of squares would be
    ** off by more than 100% here (ulp(1e17) = 16 per square vs m2 = 10). */
    assert_near(sim_welford_var(&w), var, 1e-7 * var);
    assert_near(sim_welford_sd(&w), sqrt(var), 1e-7 * sqrt(var));
    assert_near(w.min, mn, 0);
    assert_near(w.max, mx, 0);
    /* fewer than two observations: no spread */
    sim_welford one = {0};
    assert_near(sim_welford_var(&one), 0, 0);
    sim_welford_add(&one, -3.5);
    assert_near(sim_welford_var(&one), 0, 0);
    assert_near(one.mean, -3.5, 0);
    assert_near(one.min, -3.5, 0);
    assert_near(one.max, -3.5, 0);
    gsl_rng_free(r);
}

static void test_welford_merge(void **st)
{
    (void)st;
    gsl_rng *r = sim_rng_new(2, 0, 0, 0);
    sim_welford all = {0}, part[3] = {{0}}, empty = {0};
    const int cut[3] = {10, 5000, 777}; /* unequal chunks */
    for (int p = 0; p < 3; p++)
        for (int i = 0; i < cut[p]; i++) {
            double x = 50.0 + p * 3.0 + sim_rng_exp(r, 2.0);
            sim_welford_add(&all, x);
            sim_welford_add(&part[p], x);
        }
    sim_welford m = {0};
    sim_welford_merge(&m, &part[0]); /* into empty: a copy */
    sim_welford_merge(&m, &empty);   /* empty into non-empty: no-op */
    sim_welford_merge(&m, &part[1]);
    sim_welford_merge(&m, &part[2]);
    assert_int_equal(m.n, all.n);
    assert_near(m.mean, all.mean, 1e-12 * all.mean);
    assert_near(sim_welford_var(&m), sim_welford_var(&all),
                1e-10 * sim_welford_var(&all));
    assert_near(m.min, all.min, 0);
    assert_near(m.max, all.max, 0);
    gsl_rng_free(r);
}

/* ---- histogram ------------------------------------------------------ */

/* Every value of a log-spaced sweep, powers of two and their neighbours
** lands in a bucket whose midpoint is within SIM_HIST_REL_ERR of it. */
static void test_hist_bucket_error_bound(void **st)
{
    (void)st;
    sim_hist *h = sim_hist_new();
    assert_non_null(h);
    double worst = 0;
    const int steps = 20000;
    for (int k = 0; k <= steps + 120; k++) {
        double x;
        if (k <= steps)
            x = 1.0000001e-9 * pow(1e18 * 0.9999998, (double)k / steps);
        else /* powers of two around the range, and just below them */
            x = (k & 1) ? ldexp(1.0, (k - steps) / 2 - 29)
                        : nextafter(ldexp(1.0, (k - steps) / 2 - 29), 0);
        if (!(x > SIM_HIST_MIN && x < SIM_HIST_MAX)) continue;
        /* min and max far outside x, so clamping cannot hide the bucket */
        sim_hist_reset(h);
        sim_hist_add(h, 0.0);
        sim_hist_add(h, x);
        sim_hist_add(h, 2e9);
        double q = sim_hist_quantile(h, 0.5);
        double rel = fabs(q - x) / x;
        if (rel > worst) worst = rel;
        if (!(rel <= SIM_HIST_REL_ERR))
            fail_msg("x %.17g reported %.17g: rel err %g > %g", x, q, rel,
                     SIM_HIST_REL_ERR);
    }
    /* the bound is tight: a bucket's lowest value is off by nearly all */
    assert_true(worst > 0.9 * SIM_HIST_REL_ERR);
    sim_hist_free(h);
}

static void check_quantiles(gsl_rng *r, int lognormal)
{
    enum { N = 1000000 };
    double *x = malloc(N * sizeof *x);
    assert_non_null(x);
    sim_hist *h = sim_hist_new();
    assert_non_null(h);
    double sum = 0;
    for (int i = 0; i < N; i++) {
        x[i] = lognormal ? gsl_ran_lognormal(r, log(0.01), 1.5)
                         : sim_rng_exp(r, 0.002);
        sim_hist_add(h, x[i]);
        sum += x[i];
    }
    gsl_sort(x, 1, N);
    const double qs[] = {0.5, 0.9, 0.99, 0.999, 0.9999};
    for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
        double q = qs[k], got = sim_hist_quantile(h, q);
        size_t lhs = (size_t)floor(q * (N - 1));
        double exact = x[lhs];
        double gsl = gsl_stats_quantile_from_sorted_data(x, 1, N, q);
        double rel = fabs(got - exact) / exact;
        if (!(rel <= SIM_HIST_REL_ERR * (1 + 1e-12)))
            fail_msg("%s p%g: hist %.9g, exact %.9g, rel err %g > %g",
                     lognormal ? "lognormal" : "exponential", 100 * q, got,
                     exact, rel, SIM_HIST_REL_ERR);
        assert_near(got, gsl, SIM_HIST_REL_ERR * gsl + (x[lhs + 1] - x[lhs]));
    }
    assert_int_equal(sim_hist_count(h), N);
    assert_near(sim_hist_max(h), x[N - 1], 0);          /* exact */
    assert_near(sim_hist_quantile(h, 1.0), x[N - 1], 0); /* exact */
    assert_near(sim_hist_quantile(h, 0.0), x[0], 0);     /* exact min */
    assert_near(sim_hist_mean(h), sum / N, 1e-12 * sum / N);
    free(x);
    sim_hist_free(h);
}

static void test_hist_quantiles_exponential(void **st)
{
    (void)st;
    gsl_rng *r = sim_rng_new(3, 0, 0, sim_hash_str("latency"));
    check_quantiles(r, 0);
    gsl_rng_free(r);
}

static void test_hist_quantiles_lognormal(void **st)
{
    (void)st;
    gsl_rng *r = sim_rng_new(4, 0, 0, sim_hash_str("latency"));
    check_quantiles(r, 1);
    gsl_rng_free(r);
}

static void test_hist_merge_equals_adding_all(void **st)
{
    (void)st;
    gsl_rng *r = sim_rng_new(5, 0, 0, 0);
    sim_hist *all = sim_hist_new(), *a = sim_hist_new(), *b = sim_hist_new();
    assert_true(all && a && b);
    for (int i = 0; i < 200000; i++) {
        double x = gsl_ran_lognormal(r, 0.0, 2.0);
        sim_hist_add(all, x);
        sim_hist_add(i % 3 ? a : b, x); /* uneven split */
    }
    sim_hist_merge(a, b);
    assert_int_equal(sim_hist_count(a), sim_hist_count(all));
    assert_near(sim_hist_max(a), sim_hist_max(all), 0);
    assert_near(sim_hist_mean(a), sim_hist_mean(all),
                1e-12 * sim_hist_mean(all));
    for (double q = 0.0; q <= 1.0; q += 0.0625)
        assert_near(sim_hist_quantile(a, q), sim_hist_quantile(all, q), 0);
    assert_near(sim_hist_quantile(a, 0.9999), sim_hist_quantile(all, 0.9999), 0);
    sim_hist_free(all);
    sim_hist_free(a);
    sim_hist_free(b);
    gsl_rng_free(r);
}

static void test_hist_edges_add_n_reset(void **st)
{
    (void)st;
    sim_hist *h = sim_hist_new(), *g = sim_hist_new();
    assert_true(h && g);
    /* empty */
    assert_int_equal(sim_hist_count(h), 0);
    assert_true(isnan(sim_hist_quantile(h, 0.5)));
    assert_true(isnan(sim_hist_mean(h)));
    assert_true(isnan(sim_hist_max(h)));
    /* at or below the floor: reported as 0 */
    sim_hist_add(h, 0.0);
    sim_hist_add(h, SIM_HIST_MIN);
    sim_hist_add(h, 1e-12);
    sim_hist_add(h, 5.0);
    assert_near(sim_hist_quantile(h, 0.5), 0.0, 0);
    assert_near(sim_hist_quantile(h, 0.0), 0.0, 0);
    /* above the ceiling: counted in the top bucket, max stays exact */
    sim_hist_add(h, 1e12);
    sim_hist_add(h, 3e12);
    sim_hist_add(h, 2e12);
    assert_int_equal(sim_hist_count(h), 7);
    assert_near(sim_hist_max(h), 3e12, 0);
    /* rank floor(0.9 * 6) = 5 is 2e12, reported as the top bucket (~MAX) */
    assert_near(sim_hist_quantile(h, 0.9), SIM_HIST_MAX,
                SIM_HIST_MAX * SIM_HIST_REL_ERR);
    /* add_n equals n adds */
    sim_hist_reset(h);
    assert_int_equal(sim_hist_count(h), 0);
    assert_true(isnan(sim_hist_max(h)));
    sim_hist_add_n(h, 0.125, 1000);
    sim_hist_add_n(h, 3.0, 10);
    for (int i = 0; i < 1000; i++) sim_hist_add(g, 0.125);
    for (int i = 0; i < 10; i++) sim_hist_add(g, 3.0);
    assert_int_equal(sim_hist_count(h), sim_hist_count(g));
    assert_near(sim_hist_mean(h), (125.0 + 30.0) / 1010.0, 1e-15);
    assert_near(sim_hist_mean(g), (125.0 + 30.0) / 1010.0, 1e-15);
    for (double q = 0.0; q <= 1.0; q += 0.01)
        assert_near(sim_hist_quantile(h, q), sim_hist_quantile(g, q), 0);
    assert_near(sim_hist_quantile(h, 0.5), 0.125, 0.125 * SIM_HIST_REL_ERR);
    sim_hist_free(h);
    sim_hist_free(g);
    sim_hist_free(NULL); /* no-op */
}

/* ---- time-weighted average ------------------------------------------ */

static void test_twavg_hand_computed(void **st)
{
    (void)st;
    sim_twavg a;
    sim_twavg_init(&a, 10.0, 2.0);
    assert_near(sim_twavg_mean(&a, 10.0), 2.0, 0); /* empty window */
    sim_twavg_set(&a, 12.0, 5.0);
    sim_twavg_set(&a, 15.0, 0.0);
    sim_twavg_set(&a, 15.0, 7.0); /* zero-width step is allowed */
    /* [10,12) 2, [12,15) 5, [15,20) 7: (4 + 15 + 35) / 10 */
    assert_near(sim_twavg_mean(&a, 20.0), 5.4, 1e-12);
    /* mean() does not change the state */
    assert_near(sim_twavg_mean(&a, 15.0), 19.0 / 5.0, 1e-12);
    assert_near(a.max, 7.0, 0);
    assert_near(a.area, 19.0, 1e-12);
}

static void test_twavg_rejects_time_going_backwards(void **st)
{
    (void)st;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        freopen("/dev/null", "w", stderr); /* the abort message */
        sim_twavg a;
        sim_twavg_init(&a, 0.0, 1.0);
        sim_twavg_set(&a, 5.0, 2.0);
        sim_twavg_set(&a, 4.0, 3.0); /* must abort */
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
}

/* ---- confidence interval -------------------------------------------- */

static void test_ci95_hand_computed(void **st)
{
    (void)st;
    /* n = 10, sd = 2: t_{0.975,9} = 2.2621571627409915,
    ** 2 * 2.2621571627409915 / sqrt(10) = 1.4307138119051445. */
    assert_near(sim_ci95_halfwidth(10, 2.0), 1.4307138119051445, 1e-6);
    /* df = 1 has a closed form: t = tan(pi (0.975 - 1/2)) = 12.706204736;
    ** n = 2, sd = 1: 12.706204736174696 / sqrt(2) = 8.984643532093754. */
    assert_near(sim_ci95_halfwidth(2, 1.0), 8.984643532093754, 1e-6);
    /* df = 2: t = (2p - 1) sqrt(2 / (4 p (1 - p))) = 4.3026527297494639;
    ** n = 3, sd = 3: t * 3 / sqrt(3) = 7.4524131352509932. */
    assert_near(sim_ci95_halfwidth(3, 3.0), 7.4524131352509932, 1e-6);
    assert_true(isnan(sim_ci95_halfwidth(1, 1.0)));
    assert_true(isnan(sim_ci95_halfwidth(0, 1.0)));
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_welford_matches_two_pass),
        cmocka_unit_test(test_welford_merge),
        cmocka_unit_test(test_hist_bucket_error_bound),
        cmocka_unit_test(test_hist_quantiles_exponential),
        cmocka_unit_test(test_hist_quantiles_lognormal),
        cmocka_unit_test(test_hist_merge_equals_adding_all),
        cmocka_unit_test(test_hist_edges_add_n_reset),
        cmocka_unit_test(test_twavg_hand_computed),
        cmocka_unit_test(test_twavg_rejects_time_going_backwards),
        cmocka_unit_test(test_ci95_hand_computed),
    };
    return cmocka_run_group_tests_name("sim_stats", t, NULL, NULL);
}
