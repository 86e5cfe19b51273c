/*
** test_sort.c - cmocka tests of sim/sim_sort.c: the radix sort gives the
** same order as a comparison sort on random, tied, zero (including -0.0)
** and extreme values, for sizes below and above the insertion-sort cutoff.
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sim/sim_rng.h"
#include "sim/sim_sort.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* Sort v both ways and require identical results. */
static void check_against_qsort(double *v, size_t n)
{
    double *ref = malloc((n ? n : 1) * sizeof *ref);
    assert_non_null(ref);
    memcpy(ref, v, n * sizeof *v);
    qsort(ref, n, sizeof *ref, cmp_desc);
    assert_int_equal(sim_sort_desc(v, n), 0);
    for (size_t i = 0; i < n; i++) {
        if (v[i] != ref[i]) fail_msg("index %zu of %zu: %.17g vs qsort %.17g", i, n, v[i], ref[i]);
        if (i && v[i] > v[i - 1]) fail_msg("not descending at %zu", i);
    }
    free(ref);
}

static void test_random_sizes(void **st)
{
    (void)st;
    gsl_rng *r = sim_rng_new(1, 0, 2, 3);
    size_t sizes[] = {0, 1, 2, 63, 64, 65, 1000, 100003};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        double *v = malloc((n ? n : 1) * sizeof *v);
        assert_non_null(v);
        for (size_t i = 0; i < n; i++) v[i] = sim_rng_exp(r, 3600.0);
        check_against_qsort(v, n);
        free(v);
    }
    gsl_rng_free(r);
}

static void test_ties_zeros_and_extremes(void **st)
{
    (void)st;
    size_t n = 5000;
    double *v = malloc(n * sizeof *v);
    assert_non_null(v);
    double pool[] = {0.0, -0.0, 1.0, 1.0, DBL_MIN, 5e-324, DBL_MAX, INFINITY, 3600.0, 0.5};
    for (size_t i = 0; i < n; i++) v[i] = pool[(i * 7919) % (sizeof pool / sizeof pool[0])];
    check_against_qsort(v, n);
    for (size_t i = 0; i < n; i++) v[i] = 42.0; /* every digit pass skipped */
    check_against_qsort(v, n);
    for (size_t i = 0; i < n; i++) v[i] = (double)i; /* already ascending */
    check_against_qsort(v, n);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_sizes),
        cmocka_unit_test(test_ties_zeros_and_extremes),
    };
    return cmocka_run_group_tests_name("sim_sort", tests, NULL, NULL);
}
