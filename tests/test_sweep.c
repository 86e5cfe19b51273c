/*
** test_sweep.c - `mqsim sweep`: the grid's results are byte-identical for
** --jobs 1 and --jobs 2 and under `mpirun -n 2` on loopback; a swept key
** really changes the scenario (more consumers -> lower delay); bad keys are
** refused with exit 2 and a message naming the key. Also `run
** --replications` under --jobs 1 and 2. The legend label of a point never
** runs past its buffer, however long the swept values are (the label join
** once added snprintf's wanted length to its offset and wrote past a
** 256-byte heap block with three keys and a long second value). A value
** cut off by the run's end reads as a lower bound on the console.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/test_util.h"
#include "cli/cli_text.h"
#include "sim/sim_table.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];

static int setup(void **state)
{
    (void)state;
    return scratch_make(dir, sizeof dir, "sweep");
}

static int teardown(void **state)
{
    (void)state;
    return scratch_remove(dir);
}

#define GRID "scenarios/broker-restart.yaml --set consumers.workers.count=2,8 " \
             "--set events[0].duration=10s,30s --replications 3"

static void sweep_to(const char *out, const char *extra, const char *launcher)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s '%s' sweep " GRID " --out %s/%s %s >/dev/null 2>%s/%s.err",
             launcher, getenv("MQSIM"), dir, out, extra, dir, out);
    assert_int_equal(sh(cmd), 0);
}

static int same(const char *a, const char *b, const char *file)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cmp -s %s/%s/%s %s/%s/%s", dir, a, file, dir, b, file);
    return sh(cmd) == 0;
}

static void test_jobs_same_bytes(void **state)
{
    (void)state;
    sweep_to("j1", "--jobs 1", "");
    sweep_to("j2", "--jobs 2", "");
    assert_true(same("j1", "j2", "sweep.csv"));
    assert_true(same("j1", "j2", "sweep_delay_p99_s.png"));
}

static void test_mpi_same_bytes(void **state)
{
    (void)state;
    assert_int_equal(sh("command -v mpirun >/dev/null"), 0);
    /* LeakSanitizer reports OpenMPI's own allocations; not ours to fix. */
    sweep_to("mpi", "--jobs 1",
             "ASAN_OPTIONS=detect_leaks=0 mpirun --allow-run-as-root --oversubscribe -n 2");
    assert_true(same("j1", "mpi", "sweep.csv"));
    assert_true(same("j1", "mpi", "sweep_duplicates.png"));
}

/* Rows for point 0 (2 consumers) and point 2 (8 consumers): the delay p99
** mean must fall with more consumers. */
static void test_swept_key_takes_effect(void **state)
{
    (void)state;
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "awk -F, '$4==\"delay_p99_s\" && ($1==0 || $1==2) {v[$1]=$5} "
             "END {exit !(v[0] > v[2] && v[2] > 0)}' %s/j1/sweep.csv", dir);
    assert_int_equal(sh(cmd), 0);
    snprintf(cmd, sizeof cmd, "grep -c ',delay_p99_s,' %s/j1/sweep.csv | grep -qx 4", dir);
    assert_int_equal(sh(cmd), 0);
}

/* `run --replications` uses the same runner: --jobs 1 and 2 give the same
** summary, paired deltas and group table. */
static void test_run_replications_jobs_same_bytes(void **state)
{
    (void)state;
    char cmd[2048];
    for (int j = 1; j <= 2; j++) {
        snprintf(cmd, sizeof cmd, "'%s' run scenarios/broker-restart.yaml --replications 5 "
                 "--jobs %d --out %s/run%d >/dev/null 2>&1", getenv("MQSIM"), j, dir, j);
        assert_int_equal(sh(cmd), 0);
    }
    assert_true(same("run1", "run2", "summary.csv"));
    assert_true(same("run1", "run2", "summary_delta.csv"));
    assert_true(same("run1", "run2", "summary.json"));
}

static void test_bad_keys(void **state)
{
    (void)state;
    char cmd[1024];
    const char *bad[][2] = {
        {"--set consumers.nosuch.count=2", "no 'consumers.nosuch'"},
        {"--set consumers.workers=2", "holds a mapping"},
        {"--set consumers.workers.count=0", "count"},
        {"--set novalue", "KEY=V1"},
    };
    for (int i = 0; i < 4; i++) {
        snprintf(cmd, sizeof cmd, "'%s' sweep scenarios/broker-restart.yaml %s --out %s/bad "
                 "2>%s/bad.err >/dev/null", getenv("MQSIM"), bad[i][0], dir, dir);
        assert_int_equal(sh(cmd), 2);
        snprintf(cmd, sizeof cmd, "grep -q -- \"%s\" %s/bad.err", bad[i][1], dir);
        if (sh(cmd) != 0) {
            snprintf(cmd, sizeof cmd, "cat %s/bad.err >&2", dir);
            sh(cmd);
            fail_msg("expected '%s' for %s", bad[i][1], bad[i][0]);
        }
    }
}

/* A 256-byte label with a guard after it: a 300-byte second value must be
** cut (and marked) without touching the guard. */
static void test_label_bounded(void **state)
{
    (void)state;
    struct { char label[256]; char guard[64]; } b;
    memset(b.guard, 0x5a, sizeof b.guard);
    char longv[301];
    memset(longv, 'x', 300);
    longv[300] = '\0';
    const char *keys[] = {"consumers.workers.count", "description", "events[0].duration"};
    const char *vals[] = {"2", longv, "10s"};
    assert_int_equal(cli_label(b.label, sizeof b.label, keys, vals, 3), 1);
    assert_int_equal(strlen(b.label), 255);
    assert_string_equal(b.label + 252, "...");
    for (size_t i = 0; i < sizeof b.guard; i++) assert_int_equal(b.guard[i], 0x5a);
    assert_int_equal(cli_label(b.label, sizeof b.label, keys, vals + 2, 1), 0);
    assert_string_equal(b.label, "consumers.workers.count=10s");
}

/* The same through the command line: three keys, the second one 300 bytes
** long (under ASan the unbounded join was a heap WRITE of 9 bytes). */
static void test_long_value_sweep(void **state)
{
    (void)state;
    char longv[301], cmd[2048];
    memset(longv, 'x', 300);
    longv[300] = '\0';
    snprintf(cmd, sizeof cmd, "'%s' sweep scenarios/broker-restart.yaml "
             "--set consumers.workers.count=2 --set description=%s "
             "--set events[0].duration=10s --replications 1 --metrics lost "
             "--out %s/long >/dev/null 2>%s/long.err", getenv("MQSIM"), longv, dir, dir);
    assert_int_equal(sh(cmd), 0);
}

/* A value cut off by the run's end says so on the console, as `run` does:
** the demo's report workers never reconnect, so their cut-off is at least
** the rest of the run, not "nan". */
static void test_console_censored(void **state)
{
    (void)state;
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' sweep scenarios/demo/conversion.yaml --set run.duration=20m,25m "
             "--replications 2 --metrics disruption_max_s,lost --out %s/cens > %s/cens.txt 2>&1",
             getenv("MQSIM"), dir, dir);
    assert_int_equal(sh(cmd), 0);
    snprintf(cmd, sizeof cmd, "grep -q 'run.duration=20m  disruption_max_s=>= 15m (not finished "
             "when the run ended) lost=0$' %s/cens.txt && grep -q 'run.duration=25m  "
             "disruption_max_s=>= 20m (not finished' %s/cens.txt && ! grep -q nan %s/cens.txt",
             dir, dir, dir);
    if (sh(cmd)) fail_msg("console in %s/cens.txt", dir);
    /* with the delay shown: its report workers strand messages, so the
    ** delivered-only p99 says whose it is, with the p99 that counts them */
    snprintf(cmd, sizeof cmd, "'%s' sweep scenarios/demo/conversion.yaml --set run.duration=20m "
             "--metrics delay_p99_s --out %s/cens2 > %s/cens2.txt 2>&1 && grep -Eq "
             "'run.duration=20m  delay_p99_s=[0-9.]+  \\(delays over the delivered messages: "
             "undelivered_fraction=0\\.[0-9]+, delay_all_p99_s=[0-9.]+\\)$' %s/cens2.txt",
             getenv("MQSIM"), dir, dir, dir);
    if (sh(cmd)) fail_msg("console in %s/cens2.txt", dir);
}

/* A censored value without a bound (a paired difference of one) is words
** on the console, not a status name: "longest cut-off censored_at_end" read
** like a value. */
static void test_console_unbounded_status(void **state)
{
    (void)state;
    sim_metrics m = {0};
    const char *names[] = {"a", "b", "c", "d"};
    for (int i = 0; i < 4; i++)
        assert_int_equal(sim_metrics_add(&m, names[i], 1.0, "s", SIM_BETTER_LOWER), 0);
    sim_metrics_censor(&m, "a", SIM_CENSORED_AT_END, NAN);
    sim_metrics_censor(&m, "b", SIM_NOT_REACHED, NAN);
    sim_metrics_censor(&m, "c", SIM_NOT_APPLICABLE, NAN);
    sim_metrics_censor(&m, "d", SIM_CENSORED_AT_END, 240);
    char buf[96];
    assert_string_equal(cli_metric_text(&m, "a", buf, sizeof buf),
                        "unknown (the baseline's was still going on when the run ended)");
    assert_string_equal(cli_metric_text(&m, "b", buf, sizeof buf),
                        "unknown (not reached within the run)");
    assert_string_equal(cli_metric_text(&m, "c", buf, sizeof buf), "not applicable");
    assert_string_equal(cli_metric_text(&m, "d", buf, sizeof buf),
                        ">= 4m (not finished when the run ended)");
    sim_metrics_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jobs_same_bytes),
        cmocka_unit_test(test_mpi_same_bytes),
        cmocka_unit_test(test_swept_key_takes_effect),
        cmocka_unit_test(test_run_replications_jobs_same_bytes),
        cmocka_unit_test(test_bad_keys),
        cmocka_unit_test(test_label_bounded),
        cmocka_unit_test(test_long_value_sweep),
        cmocka_unit_test(test_console_censored),
        cmocka_unit_test(test_console_unbounded_status),
    };
    return cmocka_run_group_tests_name("sweep", tests, setup, teardown);
}
