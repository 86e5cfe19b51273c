/*
** test_hostile.c - hostile inputs to the readers and the command lines
** (issue "Nothing corrupts, nothing fails open, nothing flakes", smaller
** defects). Each case failed on the code before its fix:
** - a FIFO named summary.json made `report` and `compare` block forever:
**   now exit 2 ("not a regular file") well within a 20 s timeout;
** - a zero-byte plot failed the whole report: now left out with a note;
** - report.md copied raw HTML and ANSI escapes from the scenario's
**   description: now entities and visible \xNN text, in both files;
** - invalid UTF-8 in `--set` made libyaml's emitter spin forever: now exit 2
**   naming the byte;
** - an unknown `sweep --metrics` name drew an empty plot and exited 0: now
**   exit 2 with the known names, nothing written;
** - `load --broker URL --start-broker` ignored --broker: now exit 2.
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
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static int setup(void **state)
{
    (void)state;
    if (scratch_make(dir, sizeof dir, "hostile")) return -1;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "'%s' run scenarios/broker-restart.yaml --out %s/run >/dev/null 2>&1",
             getenv("MQSIM"), dir);
    return sh(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return scratch_remove(dir);
}

/* Run `mqsim ARGS` (timeout 20 s) with stderr to dir/err; its exit status. */
static int mq(const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && timeout 20 '%s' %s >/dev/null 2>%s/err",
             getenv("MQSIM_ROOT"), getenv("MQSIM"), args, dir);
    return sh(cmd);
}

static int err_has(const char *what)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "grep -q -- '%s' %s/err", what, dir);
    return sh(cmd) == 0;
}

static void test_fifo_summary(void **state)
{
    (void)state;
    char cmd[512], args[512];
    snprintf(cmd, sizeof cmd, "cp -r %s/run %s/fifo && rm %s/fifo/summary.json && "
             "mkfifo %s/fifo/summary.json", dir, dir, dir, dir);
    assert_int_equal(sh(cmd), 0);
    snprintf(args, sizeof args, "report %s/fifo", dir);
    assert_int_equal(mq(args), 2);
    assert_true(err_has("not a regular file"));
    snprintf(args, sizeof args, "compare %s/run %s/fifo", dir, dir);
    assert_int_equal(mq(args), 2);
    assert_true(err_has("not a regular file"));
}

static void test_empty_png(void **state)
{
    (void)state;
    char cmd[512], args[512];
    snprintf(cmd, sizeof cmd, "cp -r %s/run %s/png && : > %s/png/delay.png", dir, dir, dir);
    assert_int_equal(sh(cmd), 0);
    snprintf(args, sizeof args, "report %s/png", dir);
    assert_int_equal(mq(args), 0);
    snprintf(cmd, sizeof cmd, "grep -q 'delay.png is empty or unreadable' %s/png/report.md && "
             "grep -q 'base64' %s/png/report.html", dir, dir);
    assert_int_equal(sh(cmd), 0);
}

static void test_report_escapes(void **state)
{
    (void)state;
    char cmd[1024], args[512];
    snprintf(cmd, sizeof cmd, "sed 's|^description: .*|description: \"<script>x</script> "
             "\\\\e[31mred\\\\e[0m\"|' scenarios/broker-restart.yaml > %s/esc.yaml", dir);
    assert_int_equal(sh(cmd), 0);
    snprintf(args, sizeof args, "run %s/esc.yaml --report --out %s/esc", dir, dir);
    assert_int_equal(mq(args), 0);
    snprintf(cmd, sizeof cmd, "cd %s/esc && ! grep -q '<script>' report.md && "
             "! grep -q \"$(printf '\\033')\" report.md report.html && "
             "grep -qF '&lt;script>x&lt;/script> \\x1b[31mred' report.md && "
             "grep -qF '&lt;script&gt;x&lt;/script&gt; \\x1b[31mred' report.html", dir);
    assert_int_equal(sh(cmd), 0);
}

static void test_set_invalid_utf8(void **state)
{
    (void)state;
    char args[512];
    snprintf(args, sizeof args, "sweep scenarios/broker-restart.yaml --set "
             "\"description=ab$(printf '\\377\\376')\" --replications 1 --out %s/u8", dir);
    assert_int_equal(mq(args), 2);
    assert_true(err_has("not valid UTF-8 (byte 0xff at offset 2)"));
    snprintf(args, sizeof args, "plan scenarios/capacity-drain.yaml --vary "
             "\"consumers.workers.count$(printf '\\377')\" --range 1..3 --out %s/u8p", dir);
    assert_int_equal(mq(args), 2);
    assert_true(err_has("not valid UTF-8"));
}

static void test_unknown_metric(void **state)
{
    (void)state;
    char args[512];
    snprintf(args, sizeof args, "sweep scenarios/broker-restart.yaml --set "
             "consumers.workers.count=2,4 --replications 1 --metrics lost,nosuch --out %s/m", dir);
    assert_int_equal(mq(args), 2);
    assert_true(err_has("no metric .nosuch.; known: messages_published"));
    struct stat sb;
    char path[128];
    snprintf(path, sizeof path, "%s/m", dir);
    assert_int_not_equal(stat(path, &sb), 0); /* nothing written */
}

static void test_broker_with_start_broker(void **state)
{
    (void)state;
    char args[512];
    snprintf(args, sizeof args, "load scenarios/validation/steady.yaml --start-broker "
             "--broker amqp://127.0.0.1:5672 --out %s/l", dir);
    assert_int_equal(mq(args), 2);
    assert_true(err_has("exclude each other"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_summary),
        cmocka_unit_test(test_empty_png),
        cmocka_unit_test(test_report_escapes),
        cmocka_unit_test(test_set_invalid_utf8),
        cmocka_unit_test(test_unknown_metric),
        cmocka_unit_test(test_broker_with_start_broker),
    };
    return cmocka_run_group_tests_name("hostile", tests, setup, teardown);
}
