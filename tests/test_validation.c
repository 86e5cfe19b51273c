/*
** test_validation.c - the closed-form cases of `mqsim validate`, run with
** fewer replications than `make validate` and a statistically sound
** criterion: each of the 10 checks must lie inside its 99.9% t-interval
** (a correct model fails one by chance with probability < 1%, and the seeds
** are fixed, so the outcome is reproducible) and within 5% of the closed
** form. The document goes to a temp file and must contain the table.
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

static void test_closed_forms(void **state)
{
    (void)state;
    const char *mq = getenv("MQSIM");
    assert_non_null(mq);
    char out[] = "/tmp/mqsim-val-XXXXXX";
    int fd = mkstemp(out);
    assert_true(fd >= 0);
    close(fd);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "'%s' validate --replications 10 --tolerance 5 --confidence 99.9 --out %s "
             ">/dev/null 2>&1", mq, out);
    assert_int_equal(sh(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "grep -c '| pass |' %s | grep -qx 10 && ! grep -q FAIL %s && "
             "grep -q 'mm4-rho08' %s && grep -q 'closed-form:end' %s", out, out, out, out);
    assert_int_equal(sh(cmd), 0);
    unlink(out);
}

/* A case a closed form cannot describe is refused with exit 2. */
static void test_rejects_unknown_queue(void **state)
{
    (void)state;
    const char *mq = getenv("MQSIM");
    char dir[] = "/tmp/mqsim-val-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cp scenarios/broker-restart.yaml %s/ && '%s' validate --dir %s "
             "--out '' >/dev/null 2>&1", dir, mq, dir);
    assert_int_equal(sh(cmd), 2);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    sh(cmd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_closed_forms),
        cmocka_unit_test(test_rejects_unknown_queue),
    };
    return cmocka_run_group_tests_name("validation", tests, NULL, NULL);
}
