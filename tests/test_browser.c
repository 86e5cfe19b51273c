/*
** test_browser.c - render report.html in headless Chromium (Debian's
** chromium package) to a PNG: no console errors, the page has the four plot
** <img>s, and the screenshot is not blank (a blank 1200x3000 page compresses
** to a few KB; a page with tables and four charts is far larger). Skipped
** when /usr/bin/chromium is absent.
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_render(void **state)
{
    (void)state;
    if (access("/usr/bin/chromium", X_OK) != 0) skip();
    const char *m = getenv("MQSIM");
    char cmd[8192], cwd[1024];
    assert_non_null(getcwd(cwd, sizeof cwd));
    sh("rm -rf build/test-browser && mkdir -p build/test-browser");
    snprintf(cmd, sizeof cmd, "'%s' run scenarios/broker-restart.yaml --report "
             "--out build/test-browser/o >/dev/null 2>&1", m ? m : "./mqsim");
    assert_int_equal(sh(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "ud=$(mktemp -d) && timeout 120 /usr/bin/chromium --headless --no-sandbox "
             "--disable-gpu --disable-quic --no-first-run --disable-background-networking "
             "--disable-component-update --disable-sync --user-data-dir=$ud "
             "--enable-logging=stderr --v=0 --window-size=1200,3000 "
             "--screenshot=%s/build/test-browser/shot.png file://%s/build/test-browser/o/report.html "
             "> build/test-browser/log.txt 2>&1; rm -rf $ud", cwd, cwd);
    sh(cmd);
    struct stat st;
    assert_int_equal(stat("build/test-browser/shot.png", &st), 0);
    if (st.st_size < 60000) fail_msg("screenshot is %lld bytes: blank page?", (long long)st.st_size);
    assert_int_equal(sh("head -c 8 build/test-browser/shot.png | od -An -tx1 | "
                        "grep -q '89 50 4e 47 0d 0a 1a 0a'"), 0);
    if (sh("grep -E 'Uncaught|ERROR:CONSOLE|Failed to load resource' build/test-browser/log.txt") == 0)
        fail_msg("console errors while rendering report.html (build/test-browser/log.txt)");
    assert_int_equal(sh("[ $(grep -o '<img ' build/test-browser/o/report.html | wc -l) -eq "
                        "$(ls build/test-browser/o/*.png | wc -l) ]"), 0);
}

int main(void)
{
    const struct CMUnitTest t[] = {cmocka_unit_test(test_render)};
    return cmocka_run_group_tests_name("browser", t, NULL, NULL);
}
