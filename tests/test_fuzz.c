/*
** test_fuzz.c - the smoke run of every libFuzzer harness (tests/fuzz/):
** each target runs for FUZZ_SMOKE_SECONDS (15 by default) from a scratch
** copy of its committed seed corpus (tests/corpus/fuzz/<target>/, which
** stays untouched), under ASan and UBSan. Any crash, leak, sanitizer report
** or timeout fails the target. `make test` builds the harnesses
** (build/fuzz/, `make fuzz-bin`); without clang the test is skipped.
** The long runs are `make fuzz` (FUZZ_SECONDS, 30 min per target).
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

static void smoke(const char *target)
{
    const char *root = getenv("MQSIM_ROOT") ? getenv("MQSIM_ROOT") : ".";
    char bin[4096], cmd[16384];
    snprintf(bin, sizeof bin, "%s/build/fuzz/fuzz_%s", root, target);
    if (access(bin, X_OK) != 0) {
        if (sh("command -v clang >/dev/null") != 0) skip();
        fail_msg("%s missing: run `make fuzz-bin`", bin);
    }
    const char *secs = getenv("FUZZ_SMOKE_SECONDS") ? getenv("FUZZ_SMOKE_SECONDS") : "15";
    char dir[] = "/tmp/mqsim-fuzz-XXXXXX";
    assert_non_null(mkdtemp(dir));
    snprintf(cmd, sizeof cmd,
             "cp -r '%s/tests/corpus/fuzz/%s' %s/corpus && cd %s && "
             "ASAN_OPTIONS=detect_leaks=1 '%s' -max_total_time=%s -timeout=10 "
             "-artifact_prefix=%s/ %s/corpus > %s/log 2>&1",
             root, target, dir, dir, bin, secs, dir, dir, dir);
    int rc = sh(cmd);
    if (rc != 0) {
        snprintf(cmd, sizeof cmd, "grep -E 'ERROR|SUMMARY|#[0-9]+ *DONE|Test unit' %s/log | "
                 "head -20 >&2; ls %s >&2", dir, dir);
        sh(cmd);
    } else {
        snprintf(cmd, sizeof cmd, "grep -E '^Done [0-9]+ runs' %s/log | sed 's/^/# fuzz_%s: /'", dir,
                 target);
        sh(cmd);
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    sh(cmd);
    if (rc != 0) fail_msg("fuzz_%s failed (exit %d)", target, rc);
}

static void test_scenario(void **state) { (void)state; smoke("scenario"); }
static void test_set(void **state) { (void)state; smoke("set"); }
static void test_summary(void **state) { (void)state; smoke("summary"); }
static void test_budget(void **state) { (void)state; smoke("budget"); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scenario),
        cmocka_unit_test(test_set),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_budget),
    };
    return cmocka_run_group_tests_name("fuzz", tests, NULL, NULL);
}
