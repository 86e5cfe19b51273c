/*
** test_progress.c - the cadence of `mqsim run`'s progress line: fed by the
** engine's clock during a replication, one rewritten line at least every
** second on a terminal, plain lines at most every 10 s otherwise, and the
** run's own output when stderr is a file (no carriage return).
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/test_util.h"

#include "cli/cli_progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double fake_now;
static double fake_clock(void) { return fake_now; }

/* Feed one replication's engine callbacks every `dt` wall seconds for
** `wall` seconds; return what was printed (caller frees). */
static char *feed(bool tty, double dt, double wall, size_t *lines)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    fake_now = 0;
    cli_progress *p = cli_progress_new(f, tty, "mqsim run", 3, fake_clock);
    assert_non_null(p);
    cli_progress_job j = {p, 0};
    for (double t = 0; t <= wall + 1e-9; t += dt) {
        fake_now = t;
        sim_progress sp = {.now = t * 60, .until = wall * 60, .executed = (uint64_t)(t * 1e6),
                           .events_per_s = 1e6, .eta_s = -1};
        cli_progress_engine(&sp, &j);
    }
    cli_progress_free(p);
    long n = ftell(f);
    rewind(f);
    char *b = calloc(1, (size_t)n + 1);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *lines = 0;
    for (char *c = b; *c; c++) *lines += *c == (tty ? '\r' : '\n');
    return b;
}

static void test_not_a_terminal_every_10s(void **state)
{
    (void)state;
    size_t lines;
    char *out = feed(false, 0.5, 35, &lines);
    assert_null(strchr(out, '\r'));
    /* t = 0, 10, 20, 30, then the final line */
    assert_int_equal(lines, 5);
    assert_non_null(strstr(out, "0/3 replications done, replication 1 at sim 10m of 35m, "
                                "1 000 000 events/s, ETA"));
    assert_non_null(strstr(out, "mqsim run: 0/3 replications done, in 35.0 s\n"));
    free(out);
}

static void test_terminal_at_least_once_a_second(void **state)
{
    (void)state;
    size_t lines;
    char *out = feed(true, 0.1, 10, &lines);
    /* at least one update per second of a replication, at most four */
    assert_true(lines >= 10 && lines <= 41);
    assert_non_null(strstr(out, "\rmqsim run: 0/3 replications done, replication 1 at sim"));
    assert_int_equal(out[strlen(out) - 1], '\n'); /* the final line ends it */
    free(out);
}

/* The real command: progress forced into a file is plain lines. */
static void test_run_progress_in_a_log(void **state)
{
    (void)state;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' run scenarios/steady-state.yaml --out build/test-progress "
             "--replications 2 --progress 2> build/test-progress.err >/dev/null",
             getenv("MQSIM"));
    assert_int_equal(sh(cmd), 0);
    assert_int_equal(sh("! grep -q \"$(printf '\\r')\" build/test-progress.err && "
                        "grep -q '^mqsim run: 2/2 replications done, in ' build/test-progress.err"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_a_terminal_every_10s),
        cmocka_unit_test(test_terminal_at_least_once_a_second),
        cmocka_unit_test(test_run_progress_in_a_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
