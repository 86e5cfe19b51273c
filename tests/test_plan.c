/*
** test_plan.c - `mqsim plan`: on scenarios/capacity-drain.yaml the smallest
** consumer count that drains 100k messages within 20 min is 7 (the fluid
** answer: 7 x 20 - 50 = 90 msg/s -> 1111 s; 6 gives 1429 s), found with
** fewer runs than the grid; plan.csv records every evaluated value; bad
** requests exit 2.
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
        cmocka_unit_test(test_bad_requests),
    };
    return cmocka_run_group_tests_name("plan", tests, NULL, NULL);
}
