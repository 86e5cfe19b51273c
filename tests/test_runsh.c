/*
** test_runsh.c - tests/run.sh counts a cmocka skip as skipped, not failed.
**
** cmocka writes a skipped test as "not ok N # SKIP name" in TAP; run.sh once
** counted every "not ok" line as a failure, so a deliberate skip made the
** suite red. This binary doubles as the fixture: with --fixture it is a
** cmocka group of one passing and one skipped test. The test copies run.sh
** into a scratch tree whose build/tests/test_fixture runs this binary with
** --fixture, runs it, and expects exit 0 and "1 passed, 0 failed, 1 skipped".
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
#include <unistd.h>

static char self[4096];

static void fixture_pass(void **state) { (void)state; }
static void fixture_skip(void **state) { (void)state; skip(); }

static void test_skip_is_not_a_failure(void **state)
{
    (void)state;
    char dir[] = "/tmp/mqsim-runsh-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s/tests %s/b/tests && cp '%s/tests/run.sh' %s/tests/ && "
             "printf '#!/bin/sh\\nexec \"%s\" --fixture\\n' > %s/b/tests/test_fixture && "
             "chmod +x %s/b/tests/test_fixture && "
             "MQSIM=/bin/true bash %s/tests/run.sh b > %s/out.txt 2>&1 && "
             "tail -n 1 %s/out.txt | grep -qx '1 passed, 0 failed, 1 skipped'",
             dir, dir, getenv("MQSIM_ROOT"), dir, self, dir, dir, dir, dir, dir);
    int rc = sh(cmd);
    if (rc != 0) {
        snprintf(cmd, sizeof cmd, "cat %s/out.txt >&2", dir);
        sh(cmd);
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    sh(cmd);
    assert_int_equal(rc, 0);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--fixture")) {
        const struct CMUnitTest f[] = {cmocka_unit_test(fixture_pass),
                                       cmocka_unit_test(fixture_skip)};
        return cmocka_run_group_tests_name("fixture", f, NULL, NULL);
    }
    if (!realpath(argv[0], self)) return 1;
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_skip_is_not_a_failure)};
    return cmocka_run_group_tests_name("runsh", tests, NULL, NULL);
}
