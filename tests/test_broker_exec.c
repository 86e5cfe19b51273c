/*
** test_broker_exec.c - the two executables (cli/cli_broker_exec.c): mqsim
** loads neither rabbitmq-c nor libcurl (their thirty-odd libraries cost
** every start some 6 ms), mqsim-broker beside it has both, and `mqsim load`
** and `mqsim capture` reach the real commands through it, by any path to
** mqsim (a symlink too); a mqsim copied without it says what is missing and
** exits 1 instead of failing obscurely.
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

/* The NEEDED entries of mqsim (broker 0) or of mqsim-broker beside it
** (broker 1) name lib ("rabbitmq", "curl"): 0 yes, 1 no. */
static int needs(int broker, const char *lib)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "f='%s'; [ %d = 1 ] && f=$(dirname \"$f\")/mqsim-broker; "
             "readelf -d \"$f\" | grep NEEDED | grep -q 'lib%s'", mqsim_bin(), broker, lib);
    return sh(cmd);
}

static void test_libraries(void **state)
{
    (void)state;
    assert_int_equal(sh("command -v readelf >/dev/null"), 0);
    assert_int_equal(needs(0, "rabbitmq"), 1);
    assert_int_equal(needs(0, "curl"), 1);
    assert_int_equal(needs(0, "cyaml"), 0); /* the check itself reads NEEDED */
    assert_int_equal(needs(1, "rabbitmq"), 0);
    assert_int_equal(needs(1, "curl"), 0);
}

static void test_commands_reach_broker(void **state)
{
    (void)state;
    char dir[64], cmd[2048];
    assert_int_equal(scratch_make(dir, sizeof dir, "exec"), 0);
    /* the real commands: their own usage, their own argument errors */
    snprintf(cmd, sizeof cmd, "'%s' load --help | grep -q '^usage: mqsim load FILE'", mqsim_bin());
    assert_int_equal(sh(cmd), 0);
    snprintf(cmd, sizeof cmd, "'%s' capture --bogus 2> %s/err >/dev/null", mqsim_bin(), dir);
    assert_int_equal(sh(cmd), 2);
    snprintf(cmd, sizeof cmd, "grep -q \"unknown argument '--bogus'\" %s/err", dir);
    assert_int_equal(sh(cmd), 0);
    /* through a symlink in another folder: found beside the real file */
    snprintf(cmd, sizeof cmd, "ln -s \"$(readlink -f '%s')\" %s/link && %s/link load --help "
             "| grep -q '^usage: mqsim load'", mqsim_bin(), dir, dir);
    assert_int_equal(sh(cmd), 0);
    /* a copy without mqsim-broker: exit 1, naming what is missing */
    snprintf(cmd, sizeof cmd, "cp '%s' %s/mqsim && %s/mqsim load x.yaml --start-broker "
             "2> %s/err2", mqsim_bin(), dir, dir, dir);
    assert_int_equal(sh(cmd), 1);
    snprintf(cmd, sizeof cmd, "grep -q 'cannot start %s/mqsim-broker' %s/err2 && "
             "grep -q 'must be beside it' %s/err2", dir, dir, dir);
    assert_int_equal(sh(cmd), 0);
    assert_int_equal(scratch_remove(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_libraries),
        cmocka_unit_test(test_commands_reach_broker),
    };
    return cmocka_run_group_tests_name("broker_exec", tests, NULL, NULL);
}
