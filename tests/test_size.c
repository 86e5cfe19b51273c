/*
** test_size.c - `check` refuses what `run` cannot do (models/mq_size.h).
**
** - Each hostile scenario of the security review passes the loader's own
**   ranges but not the size ceiling: a backlog of 1e9 and 1e12 messages,
**   1e12 scheduled messages, 1 ms samples over 30 days, 1e9 msg/s, and
**   (events only) 1000 msg/s for 30 days. `check` and `run` exit 2 with
**   file:line:col at the offending value's line.
** - --max-memory raises the ceiling; `run` and `check` agree on it.
** - Every bundled scenario passes (the ceiling refuses nothing real).
** - A run that still runs out of memory (address space capped with
**   `ulimit -v` below what a 1e7-message backlog needs) exits 1 with
**   "out of memory", not 134 (abort), and leaves no temporary results
**   folder behind. Skipped for sanitizer builds, whose
**   shadow memory cannot live under ulimit -v.
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

static char dir[64];

static int setup(void **state)
{
    (void)state;
    return scratch_make(dir, sizeof dir, "size");
}

static int teardown(void **state)
{
    (void)state;
    return scratch_remove(dir);
}

/* dir/NAME.yaml := scenarios/backlog-drain.yaml through the sed script. */
static void make_scn(const char *name, const char *sed)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "sed %s scenarios/backlog-drain.yaml > %s/%s.yaml", sed, dir, name);
    assert_int_equal(sh(cmd), 0);
}

/* `mqsim SUB dir/NAME.yaml EXTRA` exits 2 and names line LINE and `what`. */
static void refused(const char *sub, const char *name, const char *extra, int line,
                    const char *what)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' %s %s/%s.yaml %s%s%s >/dev/null 2>%s/err",
             getenv("MQSIM"), sub, dir, name, extra, strcmp(sub, "run") ? "" : " --out ",
             strcmp(sub, "run") ? "" : dir, dir);
    int rc = sh(cmd);
    if (rc != 2) fail_msg("%s %s: exit %d, expected 2", sub, name, rc);
    snprintf(cmd, sizeof cmd, "grep -q '%s.yaml:%d:[0-9]*: .*%s' %s/err", name, line, what, dir);
    if (sh(cmd) != 0) {
        snprintf(cmd, sizeof cmd, "cat %s/err >&2", dir);
        sh(cmd);
        fail_msg("%s %s: expected line %d and '%s'", sub, name, line, what);
    }
}

static void test_hostile_refused(void **state)
{
    (void)state;
    /* backlog-drain.yaml: line 9 duration, 12 sample_interval, 30 rate,
    ** 41 backlog messages */
    make_scn("b1e9", "'s/messages: 100000$/messages: 1000000000/'");
    make_scn("b1e12", "'s/messages: 100000$/messages: 1000000000000/'");
    make_scn("s1e12", "'s/^backlog:/scheduled:/; s/messages: 100000$/messages: 1000000000000/; "
                      "s/age: .*/deliver_at: { dist: constant, value: 1s }/'");
    make_scn("ms30d", "'s/duration: 5m/duration: 30d/; s/sample_interval: 1s/sample_interval: 1ms/'");
    make_scn("r1e9", "'s/rate: 100$/rate: 1000000000/'");
    refused("check", "b1e9", "", 41, "backlog\\[0\\].messages.*memory");
    refused("check", "b1e12", "", 41, "2^32");
    refused("check", "s1e12", "", 41, "scheduled\\[0\\].messages");
    refused("check", "ms30d", "", 12, "run.sample_interval.*memory");
    refused("check", "r1e9", "", 30, "producers\\[0\\].rate");
    refused("run", "b1e9", "", 41, "backlog\\[0\\].messages");
    refused("run", "r1e9", "", 30, "producers\\[0\\].rate");
    /* the event ceiling alone: 1000 msg/s that the consumers (2000 msg/s)
    ** keep up with, for 30 days: 2.6e9 messages, ~5e9 events */
    make_scn("long", "'s/duration: 5m/duration: 30d/; s/rate: 100$/rate: 1000/'");
    refused("check", "long", "", 30, "producers\\[0\\].rate.*events");
    refused("run", "long", "", 30, "events");
}

static void test_max_memory_raises(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "'%s' check %s/b1e9.yaml --max-memory 100GiB >/dev/null 2>&1",
             getenv("MQSIM"), dir);
    assert_int_equal(sh(cmd), 0);
    snprintf(cmd, sizeof cmd, "'%s' check %s/b1e9.yaml --max-memory lots >/dev/null 2>&1",
             getenv("MQSIM"), dir);
    assert_int_equal(sh(cmd), 2);
}

static void test_bundled_pass(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "for f in $(find scenarios -name '*.yaml' -not -path "
             "'scenarios/invalid/*'); do '%s' check $f >/dev/null || exit 1; done",
             getenv("MQSIM"));
    assert_int_equal(sh(cmd), 0);
}

static void test_runtime_oom_exit_1(void **state)
{
    (void)state;
    make_scn("b1e7", "'s/messages: 100000$/messages: 10000000/; s/duration: 5m/duration: 1s/'");
    /* an address-space limit starves the process; AddressSanitizer reserves
    ** terabytes of shadow at start-up, so under it the allocator's own limit
    ** makes the same large allocations fail instead */
    const char *limit = strstr(getenv("MQSIM"), "/asan/")
                            ? "export ASAN_OPTIONS=allocator_may_return_null=1:"
                              "max_allocation_size_mb=100"
                            : "ulimit -v 250000";
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s; '%s' run %s/b1e7.yaml --no-baseline "
             "--out %s/oom >/dev/null 2>%s/oom.err", limit, getenv("MQSIM"), dir, dir, dir);
    assert_int_equal(sh(cmd), 1);
    snprintf(cmd, sizeof cmd, "grep -q '^mqsim: out of memory' %s/oom.err", dir);
    assert_int_equal(sh(cmd), 0);
    /* the run deleted its temporary results folder on the way out (and
    ** there was no earlier results folder to keep) */
    snprintf(cmd, sizeof cmd, "ls -a %s | grep -q '^\\.oom\\.tmp-'", dir);
    assert_int_equal(sh(cmd), 1);
    snprintf(cmd, sizeof cmd, "test -e %s/oom", dir);
    assert_int_equal(sh(cmd), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_refused),
        cmocka_unit_test(test_max_memory_raises),
        cmocka_unit_test(test_bundled_pass),
        cmocka_unit_test(test_runtime_oom_exit_1),
    };
    return cmocka_run_group_tests_name("size", tests, setup, teardown);
}
