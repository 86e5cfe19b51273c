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

#include "tests/test_util.h"

#include "io/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

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

/* A day-profile load with a change: the report recommends the quietest
** start hour, with the figures of a run that starts there. */
static void test_start_suggestion(void **state)
{
    (void)state;
    sh("rm -rf build/test-report-day && mkdir -p build/test-report-day");
    FILE *f = fopen("build/test-report-day/s.yaml", "w");
    assert_non_null(f);
    fputs("name: day\nrun: { duration: 9h, start_at: \"02:00\", sample_interval: 1m, seed: 5 }\n"
          "instance: { kind: rabbitmq, edition: professional }\n"
          "clusters: [ { name: c, brokers: [ { name: b1 } ] } ]\n"
          "queues: [ { name: q, broker: b1 } ]\n"
          "producers:\n  - name: web\n    count: 4\n    rate:\n"
          "      steps: [ {at: 0s, rate: 10}, {at: 8h, rate: 80}, {at: 20h, rate: 10} ]\n"
          "      period: 24h\n"
          "consumers: [ { name: w, count: 2, prefetch: 20, processing: { dist: exponential, mean: 5ms } } ]\n"
          "events: [ { at: 7h, type: broker_restart, broker: b1, duration: 30s } ]\n", f);
    fclose(f);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' run build/test-report-day/s.yaml --replications 2 --report "
             "--out build/test-report-day/o >/dev/null 2>&1", mqsim());
    assert_int_equal(sh(cmd), 0);
    char *md = slurp("build/test-report-day/o/report.md");
    assert_non_null(md);
    /* night rate 10 msg/s from 20:00; the window 02:00-11:00 averages more */
    if (!strstr(md, "Start at 20:00 instead of 02:00: p99 delay goes from"))
        fail_msg("no start-time recommendation in report.md");
    free(md);
    assert_int_equal(sh("grep -q '\"suggested_start\": \"20:00\"' build/test-report-day/o/summary.json"), 0);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_report_contents),
        cmocka_unit_test(test_start_suggestion),
    };
    return cmocka_run_group_tests_name("report", t, NULL, NULL);
}
