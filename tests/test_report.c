/*
** test_report.c - the risk report: base64, and report.md/report.html from a
** run with a failing budget and a paired baseline (verdict, budget table,
** deltas, timeline, embedded plots, groups, assumptions, computed
** recommendations; no external URL in the HTML).
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "io/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static int sh(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *mqsim(void)
{
    const char *m = getenv("MQSIM");
    return m ? m : "./mqsim";
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    size_t k = fread(b, 1, (size_t)n, f);
    b[k] = '\0';
    fclose(f);
    return b;
}

static void test_base64(void **state)
{
    (void)state;
    static const char *const v[][2] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="},
                                       {"foo", "Zm9v"}, {"foob", "Zm9vYg=="},
                                       {"foobar", "Zm9vYmFy"}};
    for (size_t i = 0; i < 6; i++) {
        char *s = report_base64((const unsigned char *)v[i][0], strlen(v[i][0]));
        assert_string_equal(s, v[i][1]);
        free(s);
    }
}

static void test_report_contents(void **state)
{
    (void)state;
    char cmd[1024];
    sh("rm -rf build/test-report && mkdir -p build/test-report");
    sh("(cat scenarios/broker-restart.yaml; printf '\\nbudget: [\"lost == 0\", "
       "\"disruption_max_s <= 2m\"]\\n') > build/test-report/s.yaml");
    snprintf(cmd, sizeof cmd, "'%s' run build/test-report/s.yaml --replications 3 --report "
             "--out build/test-report/o >/dev/null 2>&1", mqsim());
    assert_int_equal(sh(cmd), 3);
    char *md = slurp("build/test-report/o/report.md");
    char *html = slurp("build/test-report/o/report.html");
    assert_non_null(md);
    assert_non_null(html);
    const char *want[] = {"FAIL: 1 of 2 budget lines fail ('lost == 0')", "## Risk budget",
                          "| lost == 0 |", "## Effect of the change", "disruption_max_s",
                          "b1 restart", "![delay.png](delay.png)", "duplicates_requeue",
                          "| workers | consumer | rabbitmq-java |", "assumption:",
                          "Make consumers idempotent (workers, reports)", "messages are lost"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr(md, want[i])) fail_msg("report.md lacks '%s'", want[i]);
    /* four plots embedded, nothing fetched from the network */
    size_t imgs = 0;
    for (const char *p = html; (p = strstr(p, "<img ")); p++) imgs++;
    assert_int_equal(imgs, 4);
    assert_non_null(strstr(html, "src=\"data:image/png;base64,iVBORw0KGgo"));
    assert_null(strstr(html, "http://"));
    assert_null(strstr(html, "https://"));
    assert_null(strstr(html, "<script"));
    free(md);
    free(html);
    /* `mqsim report DIR` rewrites the same files; a folder without a summary fails */
    snprintf(cmd, sizeof cmd, "cp build/test-report/o/report.md build/test-report/r1.md && "
             "'%s' report build/test-report/o >/dev/null && "
             "cmp -s build/test-report/o/report.md build/test-report/r1.md", mqsim());
    assert_int_equal(sh(cmd), 0);
    snprintf(cmd, sizeof cmd, "'%s' report build/test-report/nowhere 2>/dev/null", mqsim());
    assert_int_equal(sh(cmd), 2);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_report_contents),
    };
    return cmocka_run_group_tests_name("report", t, NULL, NULL);
}
