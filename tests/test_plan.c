/*
** test_plan.c - `mqsim plan`: on scenarios/capacity-drain.yaml the smallest
** consumer count that drains 100k messages within 20 min is 7 (the fluid
** answer: 7 x 20 - 50 = 90 msg/s -> 1111 s; 6 gives 1429 s), found with
** fewer runs than the grid; plan.csv records every evaluated value, the
** same for any number of threads or MPI ranks; bad requests exit 2.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* `mqsim plan` on capacity-drain over consumers.workers.count in `range`,
** writing into dir (stdout in dir/out.txt); its exit status. */
/* Results in DIR/res (the run owns that folder), stdout in DIR/out.txt. */
static int plan_consumers(const char *dir, const char *range, int reps)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "'%s' plan scenarios/capacity-drain.yaml --vary consumers.workers.count "
             "--range %s --replications %d --out %s/res > %s/out.txt 2>/dev/null",
             getenv("MQSIM"), range, reps, dir, dir);
    return sh(cmd);
}

/* The same search as `launcher mqsim plan ... --jobs J` into dir/NAME
** (stdout in NAME.out, the evaluations on stderr in NAME.err); its exit
** status. timeout: a rank left behind must fail the test, not hang it. */
static int plan_run(const char *dir, const char *name, const char *launcher, int jobs,
                    const char *range)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "ASAN_OPTIONS=detect_leaks=0 timeout 300 %s '%s' plan scenarios/capacity-drain.yaml "
             "--vary consumers.workers.count --range %s --replications 3 --jobs %d --out %s/%s "
             "> %s/%s.out 2> %s/%s.err", launcher, getenv("MQSIM"), range, jobs, dir, name, dir,
             name, dir, name);
    return sh(cmd);
}

/* What a plan writes and the evaluations it reports do not depend on the
** number of threads or MPI ranks: with more than one worker the range's
** two ends run together, and when the top fails the bottom's run is
** dropped without a trace. Under mpirun every rank follows the search
** (each learns rank 0's verdicts); a rank that stopped after the first
** value used to leave rank 0 waiting for ever. */
static void test_same_for_any_jobs_and_ranks(void **state)
{
    (void)state;
    char dir[] = "/tmp/mqsim-plan-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cmd[2048];
    assert_int_equal(plan_run(dir, "j1", "", 1, "1..16"), 0);
    assert_int_equal(plan_run(dir, "j2", "", 2, "1..16"), 0);
    assert_int_equal(sh("command -v mpirun >/dev/null"), 0);
    assert_int_equal(plan_run(dir, "mpi", "mpirun --allow-run-as-root --oversubscribe -n 2", 1,
                              "1..16"), 0);
    for (int i = 0; i < 2; i++) {
        const char *other = i ? "mpi" : "j2";
        snprintf(cmd, sizeof cmd, "cmp -s %s/j1/plan.csv %s/%s/plan.csv && "
                 "grep '^plan: consumers' %s/j1.err > %s/a && "
                 "grep '^plan: consumers' %s/%s.err > %s/b && cmp -s %s/a %s/b && "
                 "grep -q 'passes the budget: 7$' %s/%s.out",
                 dir, dir, other, dir, dir, dir, other, dir, dir, dir, dir, other);
        if (sh(cmd)) fail_msg("--jobs 1 and %s differ (in %s)", other, dir);
    }
    /* the top (3) fails: one value evaluated and reported, at any --jobs */
    assert_int_equal(plan_run(dir, "f2", "", 2, "1..3"), 3);
    snprintf(cmd, sizeof cmd, "[ $(grep -c '^plan: consumers' %s/f2.err) -eq 1 ] && "
             "grep -q '^plan: 1 values evaluated x 3 replications = 3 runs' %s/f2.out && "
             "[ $(tail -n +2 %s/f2/plan.csv | cut -d, -f1 | sort -u) = 3 ]", dir, dir, dir);
    assert_int_equal(sh(cmd), 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    sh(cmd);
}

static void test_finds_fewest_consumers(void **state)
{
    (void)state;
    char dir[] = "/tmp/mqsim-plan-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cmd[2048];
    assert_int_equal(plan_consumers(dir, "1..16", 4), 0);
    snprintf(cmd, sizeof cmd, "grep -q 'passes the budget: 7$' %s/out.txt", dir);
    assert_int_equal(sh(cmd), 0);
    /* bisection: at most log2(16) + 2 values, not 16 */
    snprintf(cmd, sizeof cmd,
             "n=$(cut -d, -f1 %s/res/plan.csv | tail -n +2 | sort -u | wc -l); "
             "[ $n -ge 3 ] && [ $n -le 6 ] && grep -q '^6,.*,fail$' %s/res/plan.csv && "
             "grep -q '^7,.*,pass$' %s/res/plan.csv", dir, dir, dir);
    assert_int_equal(sh(cmd), 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    sh(cmd);
}

/* No value in the range passes: exit 3, as a failing budget does, never 0. */
static void test_nothing_passes_is_3(void **state)
{
    (void)state;
    char dir[] = "/tmp/mqsim-plan-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cmd[2048];
    assert_int_equal(plan_consumers(dir, "1..3", 2), 3);
    snprintf(cmd, sizeof cmd, "grep -q 'no consumers.workers.count in 1..3 passes' %s/out.txt", dir);
    assert_int_equal(sh(cmd), 0);
    snprintf(cmd, sizeof cmd, "'%s' plan scenarios/capacity-drain.yaml --vray x --range 1..3 "
             "2>&1 | grep -q \"did you mean '--vary'\"", getenv("MQSIM"));
    assert_int_equal(sh(cmd), 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    sh(cmd);
}

static void test_bad_requests(void **state)
{
    (void)state;
    const char *bad[] = {
        "scenarios/steady-state.yaml --vary consumers[0].count --range 1..4", /* no budget */
        "scenarios/capacity-drain.yaml --vary consumers.workers.count --range 4..1",
        "scenarios/capacity-drain.yaml --vary consumers.workers.count --range 1s..4",
        "scenarios/capacity-drain.yaml --vary consumers.nosuch.count --range 1..4",
        "scenarios/capacity-drain.yaml --range 1..4",
        /* a grid count no size_t holds: was a float-to-integer overflow (UB) */
        "scenarios/capacity-drain.yaml --vary consumers.workers.count --range 1..16 "
        "--step 1e-300",
    };
    char cmd[1024];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(cmd, sizeof cmd, "'%s' plan %s --out /tmp/mqsim-plan-bad >/dev/null 2>&1",
                 getenv("MQSIM"), bad[i]);
        if (sh(cmd) != 2) fail_msg("expected exit 2 for: %s", bad[i]);
    }
    sh("rm -rf /tmp/mqsim-plan-bad");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_finds_fewest_consumers),
        cmocka_unit_test(test_nothing_passes_is_3),
        cmocka_unit_test(test_same_for_any_jobs_and_ranks),
        cmocka_unit_test(test_bad_requests),
    };
    return cmocka_run_group_tests_name("plan", tests, NULL, NULL);
}
