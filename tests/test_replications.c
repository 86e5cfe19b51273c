/*
** test_replications.c - sim_rep (mean, t-interval, non-finite rows, paired
** deltas, relative half-width) and `mqsim run --replications/--precision`
** with the paired baseline on a bundled scenario; the whole results folder
** (plots, timeseries, report, budget) byte for byte the same for --jobs 1,
** 2 and 3, a sweep's folder for --jobs 1 and 3, and --precision under
** mpirun; `--no-plots` and `--timing`.
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "tests/test_util.h"

#include "io/out_csv.h"
#include "sim/sim_rep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static const char *mqsim(void)
{
    const char *m = getenv("MQSIM");
    return m ? m : "./mqsim";
}

static void one(sim_metrics *m, double a, double b)
{
    *m = (sim_metrics){0};
    assert_int_equal(sim_metrics_add(m, "a", a, "s", SIM_BETTER_LOWER), 0);
    assert_int_equal(sim_metrics_add(m, "b", b, "msgs", SIM_BETTER_NONE), 0);
}

static void test_rep_mean_ci(void **state)
{
    (void)state;
    sim_rep *r = sim_rep_new();
    double xs[] = {1, 2, 3, 4};
    for (int i = 0; i < 4; i++) {
        sim_metrics m;
        one(&m, xs[i], i == 2 ? NAN : 5);
        assert_int_equal(sim_rep_add(r, &m), 0);
        sim_metrics_free(&m);
    }
    assert_int_equal(sim_rep_count(r), 4);
    sim_metrics out;
    assert_int_equal(sim_rep_result(r, &out), 0);
    /* mean 2.5, sd sqrt(5/3), t(0.975, 3) = 3.182446305 */
    double h = 3.182446305284263 * sqrt(5.0 / 3.0) / 2.0;
    assert_near(out.v[0].value, 2.5, 1e-12);
    assert_near(out.v[0].ci_lo, 2.5 - h, 1e-9);
    assert_near(out.v[0].ci_hi, 2.5 + h, 1e-9);
    assert_string_equal(out.v[0].unit, "s");
    assert_true(isnan(out.v[1].value)); /* not measured in one replication */
    assert_int_equal(sim_rep_nonfinite(r, "b"), 1);
    assert_near(sim_rep_rel_halfwidth(r, "a"), h / 2.5, 1e-9);
    sim_metrics_free(&out);
    sim_rep_free(r);
    sim_rep_free(NULL);
}

static void test_rep_single_and_delta(void **state)
{
    (void)state;
    sim_rep *r = sim_rep_new(), *d = sim_rep_new();
    sim_metrics a, b;
    one(&a, 10, 3);
    one(&b, 7, 3);
    assert_int_equal(sim_rep_add(r, &a), 0);
    assert_int_equal(sim_rep_add_delta(d, &a, &b), 0);
    sim_metrics out;
    assert_int_equal(sim_rep_result(r, &out), 0);
    assert_near(out.v[0].value, 10, 0);
    assert_true(isnan(out.v[0].ci_lo)); /* one replication: no interval */
    sim_metrics_free(&out);
    sim_metrics_free(&a);
    sim_metrics_free(&b);
    one(&a, 12, 3);
    one(&b, 8, 3);
    assert_int_equal(sim_rep_add_delta(d, &a, &b), 0);
    assert_int_equal(sim_rep_result(d, &out), 0);
    assert_near(out.v[0].value, 3.5, 1e-12); /* (10-7 + 12-8) / 2 */
    assert_near(out.v[1].value, 0, 0);
    assert_near(out.v[1].ci_lo, 0, 0);
    assert_near(sim_rep_rel_halfwidth(d, "b"), 0, 0);
    assert_true(isnan(sim_rep_rel_halfwidth(d, "zzz")));
    sim_metrics_free(&out);
    sim_metrics_free(&a);
    sim_metrics_free(&b);
    sim_rep_free(r);
    sim_rep_free(d);
}

static const sim_metric *get(const sim_metrics *m, const char *name)
{
    const sim_metric *x = sim_metrics_find(m, name);
    if (!x) fail_msg("metric %s missing", name);
    return x;
}

/* A metric censored in one replication is censored in the aggregate, with
** the mean of values and bounds as its lower bound and no CI; a paired delta
** keeps the status and bounds change - baseline. */
static void test_rep_censored(void **state)
{
    (void)state;
    sim_rep *r = sim_rep_new(), *d = sim_rep_new();
    sim_metrics a = {0}, b = {0}, base = {0};
    assert_int_equal(sim_metrics_add(&a, "disruption_max_s", 100, "s", SIM_BETTER_LOWER), 0);
    assert_int_equal(sim_metrics_add(&a, "lost", 5, "msgs", SIM_BETTER_LOWER), 0);
    assert_int_equal(sim_metrics_add_censored(&b, "disruption_max_s", 200, "s", SIM_BETTER_LOWER,
                                              SIM_CENSORED_AT_END), 0);
    assert_int_equal(sim_metrics_add(&b, "lost", 7, "msgs", SIM_BETTER_LOWER), 0);
    assert_int_equal(sim_metrics_add(&base, "disruption_max_s", 20, "s", SIM_BETTER_LOWER), 0);
    assert_int_equal(sim_metrics_add(&base, "lost", 1, "msgs", SIM_BETTER_LOWER), 0);
    assert_int_equal(sim_rep_add(r, &a), 0);
    assert_int_equal(sim_rep_add(r, &b), 0);
    assert_int_equal(sim_rep_add_delta(d, &b, &base), 0);
    sim_metrics out = {0}, dout = {0};
    assert_int_equal(sim_rep_result(r, &out), 0);
    assert_int_equal(sim_rep_result(d, &dout), 0);
    const sim_metric *x = sim_metrics_find(&out, "disruption_max_s");
    assert_int_equal(x->status, SIM_CENSORED_AT_END);
    assert_true(isnan(x->value) && isnan(x->ci_lo));
    assert_near(x->bound, 150, 1e-12);
    assert_int_equal(sim_metrics_find(&out, "lost")->status, SIM_MEASURED);
    assert_near(sim_metrics_find(&out, "lost")->value, 6, 1e-12);
    x = sim_metrics_find(&dout, "disruption_max_s");
    assert_int_equal(x->status, SIM_CENSORED_AT_END);
    assert_near(x->bound, 180, 1e-12);
    sim_metrics_free(&a);
    sim_metrics_free(&b);
    sim_metrics_free(&base);
    sim_metrics_free(&out);
    sim_metrics_free(&dout);
    sim_rep_free(r);
    sim_rep_free(d);
}

static void test_cli_ci_columns_and_deltas(void **state)
{
    (void)state;
    char cmd[1024];
    sh("rm -rf build/test-rep");
    snprintf(cmd, sizeof cmd, "'%s' run scenarios/broker-restart.yaml --replications 4 "
             "--out build/test-rep >/dev/null 2>&1", mqsim());
    assert_int_equal(sh(cmd), 0);
    sim_metrics m = {0}, d = {0};
    sim_err e;
    assert_int_equal(out_read_summary_csv("build/test-rep/summary.csv", &m, &e), 0);
    const sim_metric *p99 = get(&m, "delay_p99_s");
    assert_false(isnan(p99->ci_lo));
    assert_true(p99->ci_lo < p99->value && p99->value < p99->ci_hi);
    /* the change (a broker restart) against its baseline on common random
    ** numbers: the cut-off it adds is positive with a CI */
    assert_int_equal(out_read_summary_csv("build/test-rep/summary_delta.csv", &d, &e), 0);
    const sim_metric *dis = get(&d, "disruption_max_s");
    assert_true(dis->value > 0);
    assert_false(isnan(dis->ci_lo));
    assert_true(dis->ci_lo > 0);
    const sim_metric *dp = get(&d, "delay_p99_s");
    assert_true(dp->ci_lo > 0);
    /* published counts are identical on common random numbers */
    assert_near(get(&d, "messages_published")->value, 0, 0);
    sim_metrics_free(&m);
    sim_metrics_free(&d);
    assert_int_equal(sh("grep -q '\"replications\": 4' build/test-rep/summary.json"), 0);
}

/* With several replications the run's warnings quote replication 0's
** figures beside means: the console and summary.json say so; one
** replication needs no label. */
static void test_cli_warnings_name_replication(void **state)
{
    (void)state;
    char cmd[1024];
    for (int reps = 1; reps <= 2; reps++) {
        sh("rm -rf build/test-repw");
        snprintf(cmd, sizeof cmd, "'%s' run scenarios/rabbitmq/privatelink.yaml --replications %d "
                 "--no-baseline --no-plots --out build/test-repw > build/test-repw.txt 2>&1",
                 mqsim(), reps);
        assert_int_equal(sh(cmd), 0);
        assert_int_equal(sh("grep -q '^  warning (replication 0): 7 PrivateLink' "
                            "build/test-repw.txt"), reps > 1 ? 0 : 1);
        assert_int_equal(sh("grep -q '^  warning: 7 PrivateLink' build/test-repw.txt"),
                         reps > 1 ? 1 : 0);
        assert_int_equal(sh("grep -q '\"warnings_note\"' build/test-repw/summary.json"),
                         reps > 1 ? 0 : 1);
    }
}

static void test_cli_precision(void **state)
{
    (void)state;
    char cmd[1024];
    sh("rm -rf build/test-prec && mkdir -p build/test-prec");
    sh("(cat scenarios/broker-restart.yaml; printf '\\nbudget: [\"delay_max_s <= 10m\"]\\n') "
       "> build/test-prec/s.yaml");
    snprintf(cmd, sizeof cmd, "'%s' run build/test-prec/s.yaml --precision 0.2 "
             "--max-replications 6 --out build/test-prec/o > build/test-prec/out.txt 2>&1",
             mqsim());
    assert_int_equal(sh(cmd), 0);
    assert_int_equal(sh("grep -q '\"reached\": true' build/test-prec/o/summary.json"), 0);
    assert_int_equal(sh("grep -q 'precision 0.2 reached' build/test-prec/out.txt"), 0);
    /* a target that cannot be met stops at the cap and says so */
    snprintf(cmd, sizeof cmd, "'%s' run build/test-prec/s.yaml --precision 0.00001 "
             "--max-replications 3 --out build/test-prec/o2 > build/test-prec/out2.txt 2>&1",
             mqsim());
    assert_int_equal(sh(cmd), 0);
    assert_int_equal(sh("grep -q '\"reached\": false' build/test-prec/o2/summary.json"), 0);
    assert_int_equal(sh("grep -q '\"replications\": 3' build/test-prec/o2/summary.json"), 0);
}

/* --precision under mpirun: only rank 0 sees the tables, so every rank must
** follow its decision into the next chunk. A target that is not reached
** takes three chunks of two here; the ranks finish (a hang is killed after
** 120 s) and the summary is the single process's, byte for byte. */
static void test_mpi_precision(void **state)
{
    (void)state;
    char cmd[1024];
    assert_int_equal(sh("command -v mpirun >/dev/null && command -v timeout >/dev/null"), 0);
    sh("rm -rf build/test-mpiprec && mkdir -p build/test-mpiprec");
    const char *args = "scenarios/demo/conversion.yaml --precision 0.0001 "
                       "--max-replications 6 --jobs 1 --no-plots";
    snprintf(cmd, sizeof cmd, "'%s' run %s --out build/test-mpiprec/one "
             "> build/test-mpiprec/one.txt 2>&1", mqsim(), args);
    int single = sh(cmd);
    snprintf(cmd, sizeof cmd, "ASAN_OPTIONS=detect_leaks=0 timeout 120 mpirun "
             "--allow-run-as-root --oversubscribe -n 2 '%s' run %s "
             "--out build/test-mpiprec/mpi > build/test-mpiprec/mpi.txt 2>&1", mqsim(), args);
    int mpi = sh(cmd);
    assert_int_not_equal(mpi, 124);
    assert_int_equal(mpi, single);
    assert_int_equal(sh("grep -q 'NOT reached (cap) after 6 replications' "
                        "build/test-mpiprec/mpi.txt"), 0);
    assert_int_equal(sh("cmp -s build/test-mpiprec/one/summary.csv "
                        "build/test-mpiprec/mpi/summary.csv"), 0);
}

/* Run `mqsim ARGS` (ARGS printf-style) through the shell; its exit status. */
static int mq(const char *fmt, ...)
{
    char args[1024], cmd[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "'%s' %s", mqsim(), args);
    return sh(cmd);
}

/* Run `run ARGS --jobs J --out build/test-jobs/jJ` for each J and diff the
** folders, and the console lines, recursively. */
static void jobs_same_bytes(const char *args, const int *jobs, int n)
{
    char cmd[2048];
    sh("rm -rf build/test-jobs && mkdir -p build/test-jobs");
    for (int i = 0; i < n; i++) {
        int rc = mq("run %s --jobs %d --out build/test-jobs/j%d 2>/dev/null | "
                    "sed 's|build/test-jobs/j%d|DIR|' > build/test-jobs/out%d.txt",
                    args, jobs[i], jobs[i], jobs[i], jobs[i]);
        assert_true(rc == 0 || rc == 3);
    }
    for (int i = 1; i < n; i++) {
        snprintf(cmd, sizeof cmd, "diff -r build/test-jobs/j%d build/test-jobs/j%d >&2 && "
                 "diff build/test-jobs/out%d.txt build/test-jobs/out%d.txt >&2",
                 jobs[0], jobs[i], jobs[0], jobs[i]);
        if (sh(cmd)) fail_msg("`run %s`: --jobs %d and --jobs %d differ", args, jobs[0], jobs[i]);
    }
    /* the folders hold the plots, the timeseries and the report */
    assert_int_equal(sh("test -s build/test-jobs/j1/delay.png && "
                        "test -s build/test-jobs/j1/timeseries.csv && "
                        "test -s build/test-jobs/j1/report.html"), 0);
}

static void test_jobs_whole_folder(void **state)
{
    (void)state;
    static const int j12[] = {1, 2}, j13[] = {1, 3};
    /* replication 0's timeseries, plots and timeline whatever thread ran it */
    jobs_same_bytes("scenarios/broker-restart.yaml --replications 5 --report", j12, 2);
    /* --precision consumes chunks of 2 x jobs: the stopping point is the same */
    jobs_same_bytes("scenarios/broker-restart.yaml --precision 0.05 --max-replications 7 "
                    "--report", j13, 2);
    /* one replication: its timeseries and plots are drawn on every thread */
    jobs_same_bytes("scenarios/broker-restart.yaml --no-baseline --report", j13, 2);
    /* the start-time search's replications run on the job runner too */
    jobs_same_bytes("scenarios/rabbitmq/peak-vs-offpeak.yaml --replications 3 --report "
                    "--suggest-start", j12, 2);
    assert_int_equal(sh("grep -q alternative_start build/test-jobs/j1/summary.json"), 0);
    /* a sweep's folder (sweep.csv, its plots drawn on the job runner) and
    ** its console lines */
    for (int j = 1; j <= 3; j += 2)
        assert_int_equal(mq("sweep scenarios/broker-restart.yaml --set "
                            "consumers.workers.count=2,8 --set events[0].duration=10s,30s "
                            "--replications 2 --jobs %d --out build/test-jobs/s%d 2>/dev/null | "
                            "sed 's|build/test-jobs/s%d|DIR|' > build/test-jobs/sweep%d.txt",
                            j, j, j, j), 0);
    assert_int_equal(sh("diff -r build/test-jobs/s1 build/test-jobs/s3 >&2 && "
                        "diff build/test-jobs/sweep1.txt build/test-jobs/sweep3.txt >&2 && "
                        "ls build/test-jobs/s1/sweep_*.png | wc -l | grep -qx 5"), 0);
}

static void test_no_plots_and_timing(void **state)
{
    (void)state;
    const char *np = "build/test-np";
    sh("rm -rf build/test-np && mkdir -p build/test-np");
    assert_int_equal(mq("run scenarios/broker-restart.yaml --no-plots --report --timing --out "
                        "%s/o > %s/out.txt 2> %s/err.txt", np, np, np), 0);
    assert_int_equal(sh("ls build/test-np/o/*.png 2>/dev/null | grep -q ."), 1);
    assert_int_equal(sh("grep -q '\"plots\": \\[\\]' build/test-np/o/summary.json"), 0);
    assert_int_equal(sh("test -s build/test-np/o/report.html && "
                        "test -s build/test-np/o/timeseries.csv"), 0);
    /* every phase on one line on stderr; stdout as without --timing */
    assert_int_equal(sh("grep -Eq '^timing: process start [0-9.]+ s \\(CPU\\), scenario load [0-9.]+ s, "
                        "run [0-9.]+ s, writing outputs [0-9.]+ s, total [0-9.]+ s$' "
                        "build/test-np/err.txt"), 0);
    assert_int_equal(mq("run scenarios/broker-restart.yaml --report --out %s/p 2>/dev/null | "
                        "sed 's|test-np/p/|test-np/o/|' | diff - %s/out.txt", np, np), 0);
    /* the same summary with and without plots */
    assert_int_equal(sh("cmp build/test-np/o/summary.csv build/test-np/p/summary.csv"), 0);
    assert_int_equal(sh("ls build/test-np/p/*.png | grep -q delay.png"), 0);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_rep_mean_ci),
        cmocka_unit_test(test_rep_single_and_delta),
        cmocka_unit_test(test_rep_censored),
        cmocka_unit_test(test_cli_ci_columns_and_deltas),
        cmocka_unit_test(test_cli_precision),
        cmocka_unit_test(test_cli_warnings_name_replication),
        cmocka_unit_test(test_mpi_precision),
        cmocka_unit_test(test_jobs_whole_folder),
        cmocka_unit_test(test_no_plots_and_timing),
    };
    return cmocka_run_group_tests_name("replications", t, NULL, NULL);
}
