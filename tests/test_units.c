/*
** test_units.c - the strict quantity parsers of io/units.h: every accepted
** form with its value in SI units, and every rejected form (bare numbers,
** signs, NaN/inf, exponents before units, unknown units, trailing junk,
** overflow) with a message that says what was expected.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/test_util.h"

#include "io/units.h"

#include <string.h>

static void dur_ok(const char *text, double want)
{
    double v = -1;
    sim_err e = {{0}};
    if (units_duration(text, &v, &e) != 0)
        fail_msg("units_duration(\"%s\") failed: %s", text, e.msg);
    assert_near(v, want, 1e-12 * (want > 1 ? want : 1));
}

static void dur_bad(const char *text, const char *substring)
{
    double v = 123;
    sim_err e = {{0}};
    if (units_duration(text, &v, &e) == 0)
        fail_msg("units_duration(\"%s\") accepted it as %g", text, v);
    if (!strstr(e.msg, substring))
        fail_msg("units_duration(\"%s\"): message '%s' lacks '%s'", text, e.msg,
                 substring);
    assert_near(v, 123, 0); /* untouched on error */
}

static void test_duration_forms(void **state)
{
    (void)state;
    dur_ok("500ms", 0.5);
    dur_ok("30s", 30);
    dur_ok("5m", 300);
    dur_ok("2h", 7200);
    dur_ok("1d", 86400);
    dur_ok("1.5s", 1.5);
    dur_ok("250us", 250e-6);
    dur_ok("0s", 0);
    dur_ok(".5s", 0.5);
    dur_ok("3650d", 3650 * 86400.0);
    /* compound, as the summaries print them */
    dur_ok("9m40s", 580);
    dur_ok("1h30m", 5400);
    dur_ok("2m30.5s", 150.5);
    dur_ok("1d2h3m4s5ms6us", 93784.005006);
    dur_ok("5m30s", 330); /* "m" then a number: minutes, not the "ms" unit */
}

/* Every duration the formatter prints reads back to itself. */
static void test_duration_round_trip(void **state)
{
    (void)state;
    static const double v[] = {90, 580, 5400, 90000, 93784, 0.5, 1.5, 3723, 86399};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        char buf[32];
        units_format_duration(v[i], buf, sizeof buf);
        dur_ok(buf, v[i]);
    }
}

static void test_duration_errors(void **state)
{
    (void)state;
    dur_bad("500", "expected a duration with a unit (us, ms, s, m, h, d), e.g. 30s");
    dur_bad("0", "with a unit");
    dur_bad("-5s", "without a sign");
    dur_bad("+5s", "without a sign");
    dur_bad("nan", "is not a duration");
    dur_bad("inf", "is not a duration");
    dur_bad("5 s", "unknown unit ' s'");
    dur_bad("5sec", "unknown unit 'sec'");
    dur_bad("1e3s", "unknown unit 'e3s'");
    dur_bad("10ms!", "unknown unit 'ms!'");
    dur_bad("", "empty");
    dur_bad("3651d", "out of range");
    dur_bad("3650d1s", "out of range");
    dur_bad("30s1m", "from the largest unit to the smallest, each unit once");
    dur_bad("5m5m", "each unit once");
    dur_bad("1h30", "its last part '30' has no unit");
    dur_bad("1h5sec", "unknown unit 'sec' in a compound duration");
    dur_bad("1m-5s", "unknown unit 'm-5s'");
    dur_bad("99999999999999999999d", "out of range");
    char many[400];
    memset(many, '9', sizeof many - 2);
    many[sizeof many - 2] = 's';
    many[sizeof many - 1] = '\0';
    dur_bad(many, "too many digits");
    dur_bad("1.2.3s", "unknown unit '.3s'");
}

static void test_sizes(void **state)
{
    (void)state;
    double v = 0;
    sim_err e;
    assert_int_equal(units_size("512B", &v, &e), 0);
    assert_near(v, 512, 0);
    assert_int_equal(units_size("1KiB", &v, &e), 0);
    assert_near(v, 1024, 0);
    assert_int_equal(units_size("4KB", &v, &e), 0);
    assert_near(v, 4000, 0);
    assert_int_equal(units_size("1MiB", &v, &e), 0);
    assert_near(v, 1048576, 0);
    assert_int_equal(units_size("1.5KiB", &v, &e), 0);
    assert_near(v, 1536, 0);
    assert_int_equal(units_size("512", &v, &e), -1);
    assert_non_null(strstr(e.msg, "with a unit"));
    assert_int_equal(units_size("1Kb", &v, &e), -1);
    assert_non_null(strstr(e.msg, "unknown unit 'Kb'"));
    assert_int_equal(units_size("2TiB", &v, &e), -1);
}

static void test_bandwidth(void **state)
{
    (void)state;
    double v = -1;
    sim_err e;
    assert_int_equal(units_bandwidth("10Mbps", &v, &e), 0);
    assert_near(v, 10, 0);
    assert_int_equal(units_bandwidth("1Gbps", &v, &e), 0);
    assert_near(v, 1000, 0);
    assert_int_equal(units_bandwidth("0", &v, &e), 0);
    assert_near(v, 0, 0);
    assert_int_equal(units_bandwidth("10", &v, &e), -1);
    assert_int_equal(units_bandwidth("10MB", &v, &e), -1);
}

static void test_numbers(void **state)
{
    (void)state;
    double v = -1;
    sim_err e;
    assert_int_equal(units_number("500", &v, &e), 0);
    assert_near(v, 500, 0);
    assert_int_equal(units_number("12.5", &v, &e), 0);
    assert_near(v, 12.5, 0);
    assert_int_equal(units_number("1e6", &v, &e), 0);
    assert_near(v, 1e6, 0);
    assert_int_equal(units_number("-1", &v, &e), -1);
    assert_non_null(strstr(e.msg, "negative"));
    assert_int_equal(units_number("0x10", &v, &e), -1);
    assert_int_equal(units_number("nan", &v, &e), -1);
    assert_int_equal(units_number("inf", &v, &e), -1);
    assert_int_equal(units_number("1e400", &v, &e), -1);
    assert_non_null(strstr(e.msg, "out of range"));
    assert_int_equal(units_number("5/s", &v, &e), -1);
    assert_int_equal(units_number("", &v, &e), -1);
    assert_int_equal(units_number("1-2", &v, &e), -1);
}

static void test_fractions(void **state)
{
    (void)state;
    double v = -1;
    sim_err e;
    assert_int_equal(units_fraction("10%", &v, &e), 0);
    assert_near(v, 0.1, 1e-15);
    assert_int_equal(units_fraction("0.25", &v, &e), 0);
    assert_near(v, 0.25, 0);
    assert_int_equal(units_fraction("0", &v, &e), 0);
    assert_near(v, 0, 0);
    assert_int_equal(units_fraction("100%", &v, &e), 0);
    assert_near(v, 1, 0);
    assert_int_equal(units_fraction("150%", &v, &e), -1);
    assert_non_null(strstr(e.msg, "[0, 1]"));
    assert_int_equal(units_fraction("1.5", &v, &e), -1);
    assert_int_equal(units_fraction("-5%", &v, &e), -1);
    assert_int_equal(units_fraction("%", &v, &e), -1);
}

static void test_time_of_day(void **state)
{
    (void)state;
    double v = -1;
    sim_err e;
    assert_int_equal(units_time_of_day("00:00", &v, &e), 0);
    assert_near(v, 0, 0);
    assert_int_equal(units_time_of_day("09:30", &v, &e), 0);
    assert_near(v, 34200, 0);
    assert_int_equal(units_time_of_day("23:59", &v, &e), 0);
    assert_near(v, 86340, 0);
    assert_int_equal(units_time_of_day("24:00", &v, &e), -1);
    assert_non_null(strstr(e.msg, "out of range"));
    assert_int_equal(units_time_of_day("12:60", &v, &e), -1);
    assert_int_equal(units_time_of_day("9:30", &v, &e), -1);
    assert_non_null(strstr(e.msg, "HH:MM"));
    assert_int_equal(units_time_of_day("ab:cd", &v, &e), -1);
    assert_int_equal(units_time_of_day("09:30:00", &v, &e), -1);
}

static void fmt_is(double s, const char *want)
{
    char buf[32];
    units_format_duration(s, buf, sizeof buf);
    assert_string_equal(buf, want);
}

static void test_format(void **state)
{
    (void)state;
    fmt_is(600, "10m");
    fmt_is(90, "1m30s");
    fmt_is(0.5, "500ms");
    fmt_is(0, "0s");
    fmt_is(3600, "1h");
    fmt_is(1.5, "1.5s");
    fmt_is(90000, "1d1h");
    fmt_is(250e-6, "250us");
    /* round trip through the parser for whole units */
    double v;
    sim_err e;
    assert_int_equal(units_duration("2h", &v, &e), 0);
    fmt_is(v, "2h");
    char tiny[4];
    units_format_duration(90000, tiny, sizeof tiny);
    assert_true(strlen(tiny) < sizeof tiny);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration_forms),
        cmocka_unit_test(test_duration_errors),
        cmocka_unit_test(test_duration_round_trip),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_bandwidth),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_fractions),
        cmocka_unit_test(test_time_of_day),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests_name("units", tests, NULL, NULL);
}
