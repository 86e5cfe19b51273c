/*
** test_budget.c - risk budget lines: parsing, name checks against the
** metric table, the CI-bound verdict rule, loader errors at
** file:line:col, and `mqsim run` exiting 3 with budget.csv written.
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "tests/test_util.h"

#include "io/scn_load.h"
#include "io/scn_budget.h"

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

static void test_parse_ok(void **state)
{
    (void)state;
    mq_budget *b = mq_budget_new();
    sim_err e;
    mq_loc l = {3, 5};
    assert_int_equal(scn_budget_add(b, "delay_p99_s <= 30", l, "f.yaml", &e), 0);
    assert_int_equal(scn_budget_add(b, "drain_time_s<2h", l, "f.yaml", &e), 0);
    assert_int_equal(scn_budget_add(b, "  lost == 0 ", l, "f.yaml", &e), 0);
    assert_int_equal(scn_budget_add(b, "messages_consumed >= 1e3", l, "f.yaml", &e), 0);
    assert_int_equal(scn_budget_add(b, "billing_delta > -5", l, "f.yaml", &e), 0);
    assert_int_equal(b->n, 5);
    assert_string_equal(b->v[0].metric, "delay_p99_s");
    assert_int_equal(b->v[0].op, MQ_BUDGET_LE);
    assert_near(b->v[0].limit, 30, 0);
    assert_false(b->v[0].is_duration);
    assert_int_equal(b->v[1].op, MQ_BUDGET_LT);
    assert_near(b->v[1].limit, 7200, 0);
    assert_true(b->v[1].is_duration);
    assert_string_equal(b->v[2].metric, "lost");
    assert_int_equal(b->v[2].op, MQ_BUDGET_EQ);
    assert_int_equal(b->v[3].op, MQ_BUDGET_GE);
    assert_near(b->v[3].limit, 1000, 0);
    assert_int_equal(b->v[4].op, MQ_BUDGET_GT);
    assert_near(b->v[4].limit, -5, 0);
    mq_budget_free(b);
    mq_budget_free(NULL);
}

static void test_parse_errors(void **state)
{
    (void)state;
    static const char *const bad[][2] = {
        {"delay_p99_s =< 30", "expected an operator"},
        {"delay_p99_s <= ", "missing the limit"},
        {"<= 30", "does not start with a metric name"},
        {"delay_p99_s <= 3x", "neither a number nor a duration"},
        {"delay_p99_s <= nan", "neither a number nor a duration"},
        {"delay_p99_s <= 0x10", "neither a number nor a duration"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        mq_budget *b = mq_budget_new();
        sim_err e = {{0}};
        assert_int_equal(scn_budget_add(b, bad[i][0], (mq_loc){7, 3}, "s.yaml", &e), -1);
        if (!strstr(e.msg, bad[i][1]) || strncmp(e.msg, "s.yaml:7:3: ", 12))
            fail_msg("'%s' -> '%s'", bad[i][0], e.msg);
        assert_int_equal(b->n, 0);
        mq_budget_free(b);
    }
}

static void test_eval_ci_bound(void **state)
{
    (void)state;
    sim_metrics m = {0};
    assert_int_equal(sim_metrics_add(&m, "delay_p99_s", 25, "s", SIM_BETTER_LOWER), 0);
    m.v[0].ci_lo = 20;
    m.v[0].ci_hi = 31; /* value within the limit, CI upper bound not */
    assert_int_equal(sim_metrics_add(&m, "consumed", 100, "msgs", SIM_BETTER_HIGHER), 0);
    m.v[1].ci_lo = 90;
    m.v[1].ci_hi = 110;
    assert_int_equal(sim_metrics_add(&m, "lost", 0, "msgs", SIM_BETTER_LOWER), 0);
    assert_int_equal(sim_metrics_add(&m, "drain_time_s", NAN, "s", SIM_BETTER_LOWER), 0);
    mq_budget *b = mq_budget_new();
    sim_err e;
    const char *lines[] = {"delay_p99_s <= 30", "delay_p99_s <= 31", "consumed >= 95",
                           "consumed >= 90", "lost == 0", "drain_time_s <= 2h", "consumed > 90"};
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(scn_budget_add(b, lines[i], (mq_loc){1, 1}, "x", &e), 0);
    mq_budget_verdict v[7];
    assert_int_equal(mq_budget_eval(b, &m, v), 4);
    assert_false(v[0].pass);          /* hi 31 > 30 */
    assert_near(v[0].hi, 31, 0);
    assert_true(v[1].pass);
    assert_false(v[2].pass);          /* lo 90 < 95 */
    assert_true(v[3].pass);
    assert_true(v[4].pass);           /* no CI: the value */
    assert_false(v[5].pass);          /* not measured */
    assert_false(v[5].measured);
    assert_false(v[6].pass);          /* lo 90 is not > 90 */
    /* the reason names what decided: part or all of the CI, or the value
    ** where there is no CI */
    assert_int_equal(v[0].why, MQ_WHY_BEYOND);
    assert_int_equal(v[1].why, MQ_WHY_WITHIN);
    assert_int_equal(v[4].why, MQ_WHY_VALUE_WITHIN);
    assert_non_null(strstr(mq_budget_why_str(MQ_WHY_VALUE_WITHIN), "no CI"));
    mq_budget_free(b);
    b = mq_budget_new();
    const char *more[] = {"delay_p99_s <= 19", "lost >= 1", "consumed <= 80"};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(scn_budget_add(b, more[i], (mq_loc){1, 1}, "x", &e), 0);
    assert_int_equal(mq_budget_eval(b, &m, v), 3);
    assert_int_equal(v[0].why, MQ_WHY_ALL_BEYOND); /* CI 20..31 all above 19 */
    assert_int_equal(v[1].why, MQ_WHY_VALUE_BEYOND);
    assert_int_equal(v[2].why, MQ_WHY_ALL_BEYOND); /* CI 90..110 all above 80 */
    mq_budget_free(b);
    sim_metrics_free(&m);
}

/* A run that ended inside the change: a line that holds on what was
** simulated fails as unfinished (the rest of the change is not in it); a
** failing line keeps its reason; a line on change_completed is judged as
** written; a completed change (or none) leaves the verdicts alone. */
static void test_eval_change_unfinished(void **state)
{
    (void)state;
    for (int done = 0; done < 3; done++) { /* 0 unfinished, 1 completed, 2 no change */
        sim_metrics m = {0};
        assert_int_equal(sim_metrics_add(&m, "duplicates", 1000, "msgs", SIM_BETTER_LOWER), 0);
        assert_int_equal(sim_metrics_add(&m, "lost", 5, "msgs", SIM_BETTER_LOWER), 0);
        if (done < 2)
            assert_int_equal(sim_metrics_add(&m, "change_completed", done ? 1 : 0.5, "ratio",
                                             SIM_BETTER_HIGHER), 0);
        else
            assert_int_equal(sim_metrics_add_censored(&m, "change_completed", NAN, "ratio",
                                                      SIM_BETTER_HIGHER, SIM_NOT_APPLICABLE), 0);
        mq_budget *b = mq_budget_new();
        sim_err e;
        const char *lines[] = {"duplicates <= 1500", "lost == 0", "change_completed >= 0.5"};
        for (size_t i = 0; i < 3; i++)
            assert_int_equal(scn_budget_add(b, lines[i], (mq_loc){1, 1}, "x", &e), 0);
        mq_budget_verdict v[3];
        size_t failed = mq_budget_eval(b, &m, v);
        assert_int_equal(v[1].why, MQ_WHY_VALUE_BEYOND);
        if (done == 0) {
            assert_int_equal(failed, 2);
            assert_false(v[0].pass);
            assert_int_equal(v[0].why, MQ_WHY_UNFINISHED);
            assert_true(v[2].pass);
        } else {
            assert_int_equal(failed, done == 1 ? 1 : 2); /* n/a fails its own line */
            assert_true(v[0].pass);
        }
        mq_budget_free(b);
        sim_metrics_free(&m);
    }
}

/* A censored metric is decided by its lower bound where the bound alone
** decides, and fails as undecided where it cannot. */
static void test_eval_censored(void **state)
{
    (void)state;
    sim_metrics m = {0};
    /* a client never came back: cut off >= 40 min when the run ended */
    assert_int_equal(sim_metrics_add_censored(&m, "disruption_max_s", 2400, "s",
                                              SIM_BETTER_LOWER, SIM_CENSORED_AT_END), 0);
    assert_int_equal(sim_metrics_add_censored(&m, "phase4_start_s", 1200, "s",
                                              SIM_BETTER_NONE, SIM_NOT_REACHED), 0);
    assert_int_equal(sim_metrics_add_censored(&m, "disruption_public_max_s", NAN, "s",
                                              SIM_BETTER_LOWER, SIM_NOT_APPLICABLE), 0);
    mq_budget *b = mq_budget_new();
    sim_err e;
    const char *lines[] = {"disruption_max_s <= 5m", "disruption_max_s <= 2h",
                           "phase4_start_s >= 10m", "phase4_start_s >= 1h",
                           "disruption_public_max_s <= 1m", "disruption_max_s < 40m"};
    enum { N = sizeof lines / sizeof *lines };
    for (size_t i = 0; i < N; i++)
        assert_int_equal(scn_budget_add(b, lines[i], (mq_loc){1, 1}, "x", &e), 0);
    mq_budget_verdict v[N];
    assert_int_equal(mq_budget_eval(b, &m, v), 5);
    assert_false(v[0].pass);
    assert_int_equal(v[0].why, MQ_WHY_BOUND_BEYOND);
    assert_int_equal(v[0].status, SIM_CENSORED_AT_END);
    assert_near(v[0].bound, 2400, 0);
    assert_false(v[1].pass); /* >= 40 min may or may not be <= 2 h */
    assert_int_equal(v[1].why, MQ_WHY_UNDECIDED);
    assert_true(v[2].pass);  /* >= 20 min is >= 10 min for certain */
    assert_int_equal(v[2].why, MQ_WHY_BOUND_WITHIN);
    assert_false(v[3].pass);
    assert_int_equal(v[3].why, MQ_WHY_UNDECIDED);
    assert_false(v[4].pass);
    assert_int_equal(v[4].why, MQ_WHY_MISSING);
    assert_int_equal(v[4].status, SIM_NOT_APPLICABLE);
    assert_false(v[5].pass); /* >= 40 min is not < 40 min */
    assert_int_equal(v[5].why, MQ_WHY_BOUND_BEYOND);
    mq_budget_free(b);
    sim_metrics_free(&m);
}

/* Delay over the delivered messages, while the undelivered ones move the
** p99 (here 30 % stranded: delivered p99 50 ms, 8 min counting them): an
** upper limit passes only if it also holds counting them - on its
** delay_all_ twin, else while the undelivered share stays below the
** quantile's tail (p90: 10 %; here the mean has no twin: none) - unless the
** budget bounds undelivered_fraction itself. delay_all_ lines and lower
** limits are judged as written, and where the undelivered messages do not
** move the p99 nothing changes. It used to pass "delay_p99_s <= 5s" on the
** messages that arrived. */
static void test_eval_undelivered(void **state)
{
    (void)state;
    static const char *const lines[] = {"delay_p99_s <= 5s", "delay_mean_s < 1s",
                                        "delay_p90_s <= 5s", "delay_p99_s <= 10m",
                                        "delay_all_p99_s <= 10m", "delay_p99_s >= 1ms",
                                        "undelivered_fraction <= 0.5"};
    enum { N = sizeof lines / sizeof *lines };
    static const struct {
        double uf, all;   /* undelivered share, delay_all_p99_s */
        size_t nlines;    /* N: the budget bounds undelivered_fraction */
        bool pass[N - 1];
    } cases[] = {
        {0.3, 480, N - 1, {false, false, false, true, true, true}},
        {0.05, 480, N - 1, {false, false, true, true, true, true}}, /* p90 untouched */
        {0.3, 480, N, {true, true, true, true, true, true}},
        {0.3, 0.05, N - 1, {true, true, true, true, true, true}}, /* the p99 did not move */
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        sim_metrics m = {0};
        assert_int_equal(sim_metrics_add(&m, "undelivered_fraction", cases[k].uf, "ratio",
                                         SIM_BETTER_LOWER), 0);
        assert_int_equal(sim_metrics_add(&m, "delay_p99_s", 0.05, "s", SIM_BETTER_LOWER), 0);
        assert_int_equal(sim_metrics_add(&m, "delay_p90_s", 0.03, "s", SIM_BETTER_LOWER), 0);
        assert_int_equal(sim_metrics_add(&m, "delay_mean_s", 0.01, "s", SIM_BETTER_LOWER), 0);
        assert_int_equal(sim_metrics_add(&m, "delay_all_p99_s", cases[k].all, "s",
                                         SIM_BETTER_LOWER), 0);
        mq_budget *b = mq_budget_new();
        sim_err e;
        for (size_t i = 0; i < cases[k].nlines; i++)
            assert_int_equal(scn_budget_add(b, lines[i], (mq_loc){1, 1}, "x", &e), 0);
        mq_budget_verdict v[N];
        mq_budget_eval(b, &m, v);
        for (size_t i = 0; i < N - 1; i++) {
            if (v[i].pass != cases[k].pass[i])
                fail_msg("case %zu, '%s': %s", k, lines[i], v[i].pass ? "passes" : "fails");
            if (!v[i].pass) assert_int_equal(v[i].why, MQ_WHY_UNDELIVERED);
        }
        mq_budget_free(b);
        sim_metrics_free(&m);
    }
    assert_non_null(strstr(mq_budget_why_str(MQ_WHY_UNDELIVERED), "delivered messages only"));
}

static void test_names_from_model(void **state)
{
    (void)state;
    mq_scenario s;
    sim_err e = {{0}};
    char yaml[8192];
    FILE *f = fopen("scenarios/broker-restart.yaml", "rb");
    assert_non_null(f);
    size_t n = fread(yaml, 1, sizeof yaml - 200, f);
    fclose(f);
    yaml[n] = '\0';
    char good[8400], bad[8400], dur[8400];
    snprintf(good, sizeof good, "%s\nbudget: [\"delay_p99_s <= 30s\", \"lost == 0\"]\n", yaml);
    snprintf(bad, sizeof bad, "%s\nbudget:\n  - \"lost == 0\"\n  - \"dely_p99_s <= 30\"\n", yaml);
    snprintf(dur, sizeof dur, "%s\nbudget: [\"duplicates <= 2h\"]\n", yaml);
    assert_int_equal(scn_load_string("g.yaml", good, strlen(good), &s, &e), 0);
    assert_non_null(s.budget);
    assert_int_equal(s.budget->n, 2);
    mq_scenario_free(&s);
    assert_int_equal(scn_load_string("b.yaml", bad, strlen(bad), &s, &e), -1);
    /* the second list entry, two lines below "budget:" */
    int line = 0;
    for (const char *p = bad; *p; p++) line += *p == '\n';
    char want[64];
    snprintf(want, sizeof want, "b.yaml:%d:5: ", line);
    if (strncmp(e.msg, want, strlen(want)) || !strstr(e.msg, "did you mean 'delay_p99_s'"))
        fail_msg("got '%s', want prefix '%s' and a suggestion", e.msg, want);
    assert_int_equal(scn_load_string("d.yaml", dur, strlen(dur), &s, &e), -1);
    assert_non_null(strstr(e.msg, "measured in 'msgs'"));
}

static void test_run_exit_3(void **state)
{
    (void)state;
    char cmd[2048];
    sh("rm -rf build/test-budget && mkdir -p build/test-budget");
    sh("(cat scenarios/broker-restart.yaml; printf '\\nbudget: [\"lost == 0\", "
       "\"disruption_max_s <= 2m\"]\\n') > build/test-budget/fail.yaml");
    sh("(cat scenarios/broker-restart.yaml; printf '\\nbudget: [\"disruption_max_s <= 2m\"]\\n')"
       " > build/test-budget/pass.yaml");
    snprintf(cmd, sizeof cmd, "'%s' run build/test-budget/fail.yaml --out build/test-budget/f "
             ">/dev/null 2>&1", mqsim());
    assert_int_equal(sh(cmd), 3);
    /* outputs are written before the exit */
    FILE *f = fopen("build/test-budget/f/budget.csv", "r");
    assert_non_null(f);
    char buf[1024] = {0};
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    assert_non_null(strstr(buf, "line,metric,value,ci95_low,ci95_high,limit,verdict,status,"
                                "lower_bound,why\n"));
    assert_non_null(strstr(buf, "\"lost == 0\",\"lost\","));
    assert_non_null(strstr(buf, ",0,fail,measured,,\"past the limit (one replication: no CI)\"\n"));
    assert_non_null(strstr(buf, ",120,pass,measured,,"));
    assert_int_equal(sh("grep -q '\"verdict\": \"fail\"' build/test-budget/f/summary.json"), 0);
    /* the same verdict for CI: one JUnit test case and one JSON case per line */
    snprintf(cmd, sizeof cmd, "'%s' run build/test-budget/fail.yaml --out build/test-budget/f "
             "--junit build/test-budget/j.xml --json build/test-budget/v.json >/dev/null 2>&1",
             mqsim());
    assert_int_equal(sh(cmd), 3);
    assert_int_equal(sh("grep -q '<testsuite name=\"mqsim.budget\" tests=\"2\" failures=\"1\"' "
                        "build/test-budget/j.xml && grep -q '<testcase classname=\"mqsim.budget\" "
                        "name=\"lost == 0\">' build/test-budget/j.xml && grep -q '<failure "
                        "message=\"lost ' build/test-budget/j.xml"), 0);
    assert_int_equal(sh("grep -q '\"verdict\": \"fail\"' build/test-budget/v.json && "
                        "grep -q '\"failed\": 1' build/test-budget/v.json && "
                        "grep -q '\"total\": 2' build/test-budget/v.json"), 0);
    /* command-line help: a typo gets a suggestion, a missing file says so */
    snprintf(cmd, sizeof cmd, "'%s' run build/test-budget/fail.yaml --replicatons 2 2>&1 | "
             "grep -q \"did you mean '--replications'\"", mqsim());
    assert_int_equal(sh(cmd), 0);
    snprintf(cmd, sizeof cmd, "'%s' run 2>&1 | grep -q 'no scenario file given'", mqsim());
    assert_int_equal(sh(cmd), 0);
    snprintf(cmd, sizeof cmd, "'%s' run build/test-budget/pass.yaml --out build/test-budget/p "
             ">/dev/null 2>&1", mqsim());
    assert_int_equal(sh(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_eval_ci_bound),
        cmocka_unit_test(test_eval_censored),
        cmocka_unit_test(test_eval_change_unfinished),
        cmocka_unit_test(test_eval_undelivered),
        cmocka_unit_test(test_names_from_model),
        cmocka_unit_test(test_run_exit_3),
    };
    return cmocka_run_group_tests_name("budget", t, NULL, NULL);
}
