/*
** test_rng.c - cmocka tests of sim/sim_rng.c: key mixing, reproducible and
** independent streams, the GSL wrapper and the ziggurat exponential.
**
** Statistical checks use fixed seeds, so they are deterministic; bounds are
** about 5 standard errors wide, so a correct generator passes with a wide
** margin and a wrong one (a shifted mean, a missing wedge, a broken tail)
** fails. Reference values: splitmix64's first output from seed 0, FNV-1a's
** published vectors and xoshiro256**'s output from state {1, 2, 3, 4}.
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sim/sim_rng.h"
#include "tests/test_util.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <string.h>

/* Pearson correlation of n paired draws from a and b (uniforms). */
static double paired_correlation(gsl_rng *a, gsl_rng *b, int n)
{
    double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    for (int i = 0; i < n; i++) {
        double x = gsl_rng_uniform(a), y = gsl_rng_uniform(b);
        sx += x; sy += y; sxx += x * x; syy += y * y; sxy += x * y;
    }
    double cov = sxy / n - (sx / n) * (sy / n);
    double vx = sxx / n - (sx / n) * (sx / n);
    double vy = syy / n - (sy / n) * (sy / n);
    return cov / sqrt(vx * vy);
}

/* An embedded generator draws exactly what an allocated one on the same
** stream draws, through the GSL interface and the fast paths alike. */
static void test_embedded_matches_allocated(void **st)
{
    (void)st;
    sim_rng_embedded slot;
    gsl_rng *e = sim_rng_embed(&slot, 42, 3, 77, 5);
    gsl_rng *a = sim_rng_new(42, 3, 77, 5);
    assert_non_null(a);
    assert_ptr_equal(e, &slot.gen);
    assert_string_equal(gsl_rng_name(e), "mqsim");
    for (int i = 0; i < 1000; i++) {
        assert_true(sim_rng_u64(e) == sim_rng_u64(a));
        assert_true(sim_rng_exp(e, 2.0) == sim_rng_exp(a, 2.0));
        assert_true(gsl_rng_uniform(e) == gsl_rng_uniform(a));
    }
    gsl_rng *other = sim_rng_embed(&slot, 42, 3, 77, 6); /* another purpose */
    gsl_rng *ref = sim_rng_new(42, 3, 77, 5);
    int same = 0;
    for (int i = 0; i < 100; i++) same += sim_rng_u64(other) == sim_rng_u64(ref);
    assert_true(same < 2);
    gsl_rng_free(a);
    gsl_rng_free(ref);
}

static void test_mix_and_hash_reference_values(void **st)
{
    (void)st;
    /* splitmix64 seeded with 0: first output is mix(golden ratio). */
    assert_true(sim_mix64(0x9e3779b97f4a7c15ULL) == 0xe220a8397b1dcdafULL);
    /* FNV-1a 64 vectors: "" -> offset basis, "a" -> 0xaf63dc4c8601ec8c. */
    assert_true(sim_hash_str("") == sim_mix64(0xcbf29ce484222325ULL));
    assert_true(sim_hash_str("a") == sim_mix64(0xaf63dc4c8601ec8cULL));
    assert_true(sim_hash_str("arrivals") != sim_hash_str("service"));
    assert_true(sim_hash_str("arrivals") == sim_hash_str("arrivals"));
}

static void test_stream_key_order_and_zero(void **st)
{
    (void)st;
    /* Swapping arguments must change the key. */
    assert_true(sim_stream_key(1, 2, 0, 0) != sim_stream_key(2, 1, 0, 0));
    assert_true(sim_stream_key(0, 0, 5, 9) != sim_stream_key(0, 0, 9, 5));
    assert_true(sim_stream_key(7, 0, 0, 3) != sim_stream_key(7, 3, 0, 0));
    /* All-zero inputs are not degenerate (mix(0) == 0 is a fixed point). */
    assert_true(sim_stream_key(0, 0, 0, 0) != 0);
    /* Keys of a small grid are pairwise distinct. */
    uint64_t k[4 * 4 * 4];
    int m = 0;
    for (uint64_t a = 0; a < 4; a++)
        for (uint64_t b = 0; b < 4; b++)
            for (uint64_t c = 0; c < 4; c++) k[m++] = sim_stream_key(1, a, b, c);
    for (int i = 0; i < m; i++)
        for (int j = i + 1; j < m; j++) assert_true(k[i] != k[j]);
}

static void test_xoshiro_reference_vector(void **st)
{
    (void)st;
    gsl_rng *r = sim_rng_new(1, 0, 0, 0);
    assert_non_null(r);
    assert_int_equal(gsl_rng_size(r), 4 * sizeof(uint64_t));
    uint64_t s[4] = {1, 2, 3, 4};
    memcpy(r->state, s, sizeof s);
    const uint64_t want[6] = {11520ULL, 0ULL, 1509978240ULL,
                              1215971899390074240ULL, 1216172134540287360ULL,
                              607988272756665600ULL};
    for (int i = 0; i < 6; i++) assert_true(sim_rng_u64(r) == want[i]);
    gsl_rng_free(r);
}

static void test_same_key_reproduces(void **st)
{
    (void)st;
    gsl_rng *a = sim_rng_new(42, 1, 7, 3), *b = sim_rng_new(42, 1, 7, 3);
    uint64_t first[1000];
    for (int i = 0; i < 1000; i++) {
        first[i] = sim_rng_u64(a);
        assert_true(first[i] == sim_rng_u64(b));
    }
    /* Reseeding with the stream's key restarts it. */
    sim_rng_reseed(a, sim_stream_key(42, 1, 7, 3));
    for (int i = 0; i < 1000; i++) assert_true(sim_rng_u64(a) == first[i]);
    /* Golden value: derivation and generator must not drift between
    ** versions, or saved scenario results stop reproducing. */
    assert_true(sim_stream_key(42, 1, 7, 3) == 0xb1950fd52e540099ULL);
    assert_true(first[0] == 0x97c6750d5ec9a607ULL);
    assert_true(first[2] == 0xee1140a9f9e74e1bULL);
    gsl_rng_free(a);
    gsl_rng_free(b);
}

static void test_different_streams_uncorrelated(void **st)
{
    (void)st;
    const uint64_t base[4] = {42, 1, 7, 3};
    gsl_rng *ref = sim_rng_new(base[0], base[1], base[2], base[3]);
    for (int which = 0; which < 4; which++) {
        uint64_t a[4];
        memcpy(a, base, sizeof a);
        a[which] += 1;
        gsl_rng *o = sim_rng_new(a[0], a[1], a[2], a[3]);
        sim_rng_reseed(ref, sim_stream_key(base[0], base[1], base[2], base[3]));
        uint64_t x = sim_rng_u64(ref), y = sim_rng_u64(o);
        assert_true(x != y);
        double c = paired_correlation(ref, o, 1000000); /* se 0.001 */
        if (!(fabs(c) < 0.01))
            fail_msg("argument %d: correlation %g of paired uniforms", which, c);
        gsl_rng_free(o);
    }
    gsl_rng_free(ref);
}

static void test_seed_bits_above_32_matter(void **st)
{
    (void)st;
    const uint64_t hi = 1ULL << 32;
    gsl_rng *a = sim_rng_new(1, 0, 0, 0), *b = sim_rng_new(1 + hi, 0, 0, 0);
    gsl_rng *c = sim_rng_new(1, 0, 5 + hi, 0), *d = sim_rng_new(1, 0, 5, 0);
    int same_ab = 0, same_cd = 0;
    for (int i = 0; i < 100; i++) {
        same_ab += sim_rng_u64(a) == sim_rng_u64(b);
        same_cd += sim_rng_u64(c) == sim_rng_u64(d);
    }
    assert_int_equal(same_ab, 0);
    assert_int_equal(same_cd, 0);
    /* Even GSL's own seeding path keeps the high bits (set() mixes the
    ** whole unsigned long), unlike gsl_rng_mt19937's 32-bit seeds. */
    gsl_rng_set(a, 1);
    gsl_rng_set(b, 1 + hi);
    same_ab = 0;
    for (int i = 0; i < 100; i++) same_ab += sim_rng_u64(a) == sim_rng_u64(b);
    assert_int_equal(same_ab, 0);
    gsl_rng_free(a);
    gsl_rng_free(b);
    gsl_rng_free(c);
    gsl_rng_free(d);
}

static void test_gsl_wrapper(void **st)
{
    (void)st;
    gsl_rng *r = sim_rng_new(3, 0, 0, sim_hash_str("gauss"));
    assert_string_equal(gsl_rng_name(r), "mqsim");
    assert_true(gsl_rng_max(r) == 0xffffffffUL);
    assert_true(gsl_rng_min(r) == 0);
    const int n = 1000000;
    double s = 0, s2 = 0, umin = 1, umax = 0;
    unsigned long gmax = 0;
    for (int i = 0; i < n; i++) {
        double g = gsl_ran_gaussian(r, 2.0);
        s += g;
        s2 += g * g;
        double u = gsl_rng_uniform(r);
        if (u < umin) umin = u;
        if (u > umax) umax = u;
        unsigned long v = gsl_rng_get(r);
        if (v > gmax) gmax = v;
    }
    double mean = s / n, var = s2 / n - mean * mean;
    /* N(0, 4): se(mean) = 2/1000; se(var) = 4*sqrt(2/n) = 0.0057. */
    assert_near(mean, 0.0, 5 * 0.002);
    assert_near(var, 4.0, 5 * 0.0057);
    assert_true(umin >= 0.0 && umin < 1e-4);
    assert_true(umax < 1.0 && umax > 1 - 1e-4);
    assert_true(gmax <= 0xffffffffUL && gmax > 0xffff0000UL);
    /* gsl_rng_uniform_int over 10 values: each about n/10. */
    long cnt[10] = {0};
    for (int i = 0; i < n; i++) cnt[gsl_rng_uniform_int(r, 10)]++;
    for (int k = 0; k < 10; k++) assert_near(cnt[k], n / 10.0, 5 * 300.0);
    gsl_rng_free(r);
}

static void test_uniform_pos_open_interval(void **st)
{
    (void)st;
    gsl_rng *r = sim_rng_new(5, 0, 0, 0);
    const int n = 1000000;
    double s = 0, lo = 1, hi = 0;
    for (int i = 0; i < n; i++) {
        double u = sim_rng_uniform_pos(r);
        assert_true(u > 0.0 && u < 1.0);
        s += u;
        if (u < lo) lo = u;
        if (u > hi) hi = u;
    }
    /* se(mean) = sqrt(1/12/n) = 2.9e-4 */
    assert_near(s / n, 0.5, 5 * 2.9e-4);
    assert_true(lo < 1e-4 && hi > 1 - 1e-4);
    gsl_rng_free(r);
}

static void test_fast_exponential_moments_and_tail(void **st)
{
    (void)st;
    gsl_rng *r = sim_rng_new(11, 0, 0, sim_hash_str("exp"));
    const int n = 1000000;
    const double mean = 2.5;
    double s = 0, s2 = 0;
    long over3 = 0, over8 = 0;
    double tail_sum = 0;
    for (int i = 0; i < n; i++) {
        double x = sim_rng_exp(r, mean) / mean;
        assert_true(x >= 0.0);
        s += x;
        s2 += x * x;
        over3 += x > 3.0;
        if (x > 8.0) { /* only reachable through the tail beyond r = 7.697 */
            over8++;
            tail_sum += x;
        }
    }
    double m = s / n, v = s2 / n - m * m;
    /* Exp(1): se(mean) = 1e-3, se(var) = sqrt(8/n) = 2.8e-3 */
    assert_near(m, 1.0, 5 * 1e-3);
    assert_near(v, 1.0, 5 * 2.8e-3);
    /* binomial counts, 5 sigma */
    double p3 = exp(-3.0), p8 = exp(-8.0);
    assert_near(over3, n * p3, 5 * sqrt(n * p3 * (1 - p3)));
    assert_near(over8, n * p8, 5 * sqrt(n * p8 * (1 - p8)));
    /* memoryless: E[X | X > 8] = 9, se = 1/sqrt(count) */
    assert_near(tail_sum / over8, 9.0, 5 / sqrt((double)over8));
    gsl_rng_free(r);
}

/* Chi-square over 64 equiprobable bins: catches a wrong wedge or layer
** table, which moves mass between neighbouring bins without shifting the
** mean much. df = 63: mean 63, sd 11.2; fail above mean + 5 sd. */
static void test_fast_exponential_chi_square(void **st)
{
    (void)st;
    enum { BINS = 64 };
    gsl_rng *r = sim_rng_new(12, 0, 0, sim_hash_str("exp"));
    const int n = 2000000;
    long cnt[BINS] = {0};
    for (int i = 0; i < n; i++) {
        double x = sim_rng_exp(r, 1.0);
        /* CDF 1 - e^-x is uniform; bin by it */
        int b = (int)((1.0 - exp(-x)) * BINS);
        if (b >= BINS) b = BINS - 1;
        cnt[b]++;
    }
    double e = (double)n / BINS, chi2 = 0;
    for (int b = 0; b < BINS; b++) chi2 += (cnt[b] - e) * (cnt[b] - e) / e;
    if (!(chi2 < 63 + 5 * 11.2)) fail_msg("chi-square %g over 63 df", chi2);
    gsl_rng_free(r);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_mix_and_hash_reference_values),
        cmocka_unit_test(test_embedded_matches_allocated),
        cmocka_unit_test(test_stream_key_order_and_zero),
        cmocka_unit_test(test_xoshiro_reference_vector),
        cmocka_unit_test(test_same_key_reproduces),
        cmocka_unit_test(test_different_streams_uncorrelated),
        cmocka_unit_test(test_seed_bits_above_32_matter),
        cmocka_unit_test(test_gsl_wrapper),
        cmocka_unit_test(test_uniform_pos_open_interval),
        cmocka_unit_test(test_fast_exponential_moments_and_tail),
        cmocka_unit_test(test_fast_exponential_chi_square),
    };
    return cmocka_run_group_tests_name("sim_rng", t, NULL, NULL);
}
