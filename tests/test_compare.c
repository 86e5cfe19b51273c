/*
** test_compare.c - `mqsim compare` exit codes (worse beyond tolerance with
** disjoint CIs -> 4; within tolerance, overlapping CIs, better -> 0), the
** summary.csv-only and mode=real folders, failing closed (empty, truncated,
** all-NaN, unreadable, censored), absolute tolerances, the verdict first,
** JUnit/JSON files, the metric table against the baselines and
** docs/OUTPUT.md, and every checked-in baseline under results/baselines/
** against a fresh run of its scenario, in both directions (see
** test_baselines).
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/test_util.h"

#include "io/report.h"
#include "models/mq_metric_info.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

static const char *mqsim(void)
{
    const char *m = getenv("MQSIM");
    return m ? m : "./mqsim";
}

/* A results folder with one lower-is-better metric and one higher-is-better. */
static void folder(const char *dir, const char *mode, double p99, double lo, double hi,
                   double consumed)
{
    char cmd[256], path[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", dir, dir);
    assert_int_equal(sh(cmd), 0);
    snprintf(path, sizeof path, "%s/summary.json", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{\"mode\": \"%s\", \"metrics\": [\n"
               " {\"metric\": \"delay_p99_s\", \"value\": %g, \"ci95_low\": %g, \"ci95_high\": %g,"
               "  \"unit\": \"s\", \"better\": \"lower\"},\n"
               " {\"metric\": \"messages_consumed\", \"value\": %g, \"ci95_low\": null,"
               "  \"ci95_high\": null, \"unit\": \"msgs\", \"better\": \"higher\"},\n"
               " {\"metric\": \"reconnects\", \"value\": 7, \"ci95_low\": null, \"ci95_high\": null,"
               "  \"unit\": \"count\", \"better\": \"none\"}]}\n", mode, p99, lo, hi, consumed);
    fclose(f);
}

static int compare(const char *a, const char *b, const char *extra)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "'%s' compare %s %s %s > build/test-cmp/out.txt 2>&1", mqsim(), a,
             b, extra);
    return sh(cmd);
}

static void test_worse_is_4(void **state)
{
    (void)state;
    sh("mkdir -p build/test-cmp");
    folder("build/test-cmp/old", "sim", 10, 9.5, 10.5, 1000);
    folder("build/test-cmp/new", "sim", 13, 12.5, 13.5, 1000);
    assert_int_equal(compare("build/test-cmp/old", "build/test-cmp/new", ""), 4);
    assert_int_equal(sh("grep -q 'delay_p99_s.*REGRESSION' build/test-cmp/out.txt"), 0);
    /* a drop in a higher-is-better metric without CIs also regresses */
    folder("build/test-cmp/new2", "sim", 10, 9.5, 10.5, 800);
    assert_int_equal(compare("build/test-cmp/old", "build/test-cmp/new2", ""), 4);
    assert_int_equal(sh("grep -q 'messages_consumed.*REGRESSION' build/test-cmp/out.txt"), 0);
}

static void test_within_tolerance_or_overlap_is_0(void **state)
{
    (void)state;
    sh("mkdir -p build/test-cmp");
    folder("build/test-cmp/old", "sim", 10, 9.5, 10.5, 1000);
    folder("build/test-cmp/tol", "sim", 10.3, 10.25, 10.35, 1000); /* +3% < 5% */
    assert_int_equal(compare("build/test-cmp/old", "build/test-cmp/tol", ""), 0);
    assert_int_equal(sh("grep -q 'worse (within tolerance)' build/test-cmp/out.txt"), 0);
    /* the same +3% is a regression with a 1% tolerance (CIs disjoint) */
    folder("build/test-cmp/narrow", "sim", 10, 9.95, 10.05, 1000);
    assert_int_equal(compare("build/test-cmp/narrow", "build/test-cmp/tol", "--tolerance 1"), 4);
    folder("build/test-cmp/ovl", "sim", 12, 10, 14, 1000); /* +20%, CIs overlap */
    assert_int_equal(compare("build/test-cmp/old", "build/test-cmp/ovl", ""), 0);
    assert_int_equal(sh("grep -q 'CIs overlap' build/test-cmp/out.txt"), 0);
}

static void test_better_is_0_and_real_mode(void **state)
{
    (void)state;
    sh("mkdir -p build/test-cmp");
    folder("build/test-cmp/old", "sim", 10, 9.5, 10.5, 1000);
    folder("build/test-cmp/real", "real", 5, 4.5, 5.5, 1200);
    assert_int_equal(compare("build/test-cmp/old", "build/test-cmp/real", ""), 0);
    assert_int_equal(sh("grep -q 'mode real' build/test-cmp/out.txt"), 0);
    assert_int_equal(sh("grep -q 'delay_p99_s.*better' build/test-cmp/out.txt"), 0);
    /* usage errors */
    assert_int_equal(compare("build/test-cmp/old", "build/test-cmp/missing", ""), 2);
    assert_int_equal(compare("build/test-cmp/old", "", ""), 2);
}

static void test_csv_only_folder(void **state)
{
    (void)state;
    char cmd[512];
    sh("rm -rf build/test-cmp/run && mkdir -p build/test-cmp/csv");
    snprintf(cmd, sizeof cmd, "'%s' run scenarios/steady-state.yaml --out build/test-cmp/run "
             ">/dev/null 2>&1 && cp build/test-cmp/run/summary.csv build/test-cmp/csv/", mqsim());
    assert_int_equal(sh(cmd), 0);
    /* direction comes from the folder that has summary.json */
    assert_int_equal(compare("build/test-cmp/csv", "build/test-cmp/run", ""), 0);
    assert_int_equal(sh("grep -q 'delay_p99_s .* same' build/test-cmp/out.txt"), 0);
}

/* DIR/NAME holds `text`. */
static void put_file(const char *dir, const char *name, const char *text)
{
    char cmd[512], path[512];
    snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
    assert_int_equal(sh(cmd), 0);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

#define HDR "metric,value,ci95_low,ci95_high,unit,status,lower_bound\n"
#define CSV_OLD HDR "delay_p99_s,0.5,,,s,measured,\nlost,0,,,msgs,measured,\n" \
                    "duplicates_republish,0,,,msgs,measured,\nreconnects,7,,,count,measured,\n"

/* compare fails closed: whatever it cannot judge gives 2 or 4, never 0. */
static void test_fails_closed(void **state)
{
    (void)state;
    sh("rm -rf build/test-cmp/fc && mkdir -p build/test-cmp/fc");
    put_file("build/test-cmp/fc/old", "summary.csv", CSV_OLD);
    put_file("build/test-cmp/fc/header", "summary.csv", HDR);
    assert_int_equal(compare("build/test-cmp/fc/old", "build/test-cmp/fc/header", ""), 2);
    put_file("build/test-cmp/fc/trunc", "summary.csv", HDR "delay_p99_s,0.5,,,s,measured,\n");
    assert_int_equal(compare("build/test-cmp/fc/old", "build/test-cmp/fc/trunc", ""), 4);
    assert_int_equal(sh("grep -q 'REGRESSION lost: missing from the new results' "
                        "build/test-cmp/out.txt"), 0);
    put_file("build/test-cmp/fc/nan", "summary.csv",
             HDR "delay_p99_s,nan,,,s,measured,\nlost,nan,,,msgs,measured,\n"
                 "duplicates_republish,nan,,,msgs,measured,\nreconnects,nan,,,count,measured,\n");
    assert_int_equal(compare("build/test-cmp/fc/old", "build/test-cmp/fc/nan", ""), 4);
    put_file("build/test-cmp/fc/empty", "summary.json", "{\"mode\": \"sim\", \"metrics\": []}\n");
    assert_int_equal(compare("build/test-cmp/fc/old", "build/test-cmp/fc/empty", ""), 2);
    /* a summary.json that cannot be read is an error, not a reason to use the CSV */
    put_file("build/test-cmp/fc/badjson", "summary.csv", CSV_OLD);
    put_file("build/test-cmp/fc/badjson", "summary.json", "{\"metrics\": [");
    assert_int_equal(compare("build/test-cmp/fc/old", "build/test-cmp/fc/badjson", ""), 2);
    /* CSV only on both sides: directions from the code's table, so 100x worse regresses */
    put_file("build/test-cmp/fc/slow", "summary.csv",
             HDR "delay_p99_s,50,,,s,measured,\nlost,0,,,msgs,measured,\n"
                 "duplicates_republish,0,,,msgs,measured,\nreconnects,7,,,count,measured,\n");
    assert_int_equal(compare("build/test-cmp/fc/old", "build/test-cmp/fc/slow", ""), 4);
    assert_int_equal(sh("grep -q 'REGRESSION delay_p99_s' build/test-cmp/out.txt"), 0);
    /* a run that did not finish what the old one measured */
    put_file("build/test-cmp/fc/cens", "summary.csv",
             HDR "delay_p99_s,nan,,,s,censored_at_end,0.2\nlost,0,,,msgs,measured,\n"
                 "duplicates_republish,0,,,msgs,measured,\nreconnects,7,,,count,measured,\n");
    assert_int_equal(compare("build/test-cmp/fc/old", "build/test-cmp/fc/cens", ""), 4);
    assert_int_equal(sh("grep -q 'did not finish' build/test-cmp/out.txt"), 0);
}

/* 0 -> 4 is judged by the absolute tolerance, not as "+inf%"; the verdict
** and the regressions come first; JUnit and JSON carry one case per metric. */
static void test_absolute_tolerance_and_ci_files(void **state)
{
    (void)state;
    sh("rm -rf build/test-cmp/abs && mkdir -p build/test-cmp/abs");
    put_file("build/test-cmp/abs/old", "summary.csv", CSV_OLD);
    put_file("build/test-cmp/abs/new", "summary.csv",
             HDR "delay_p99_s,0.19,,,s,measured,\nlost,0,,,msgs,measured,\n"
                 "duplicates_republish,4,,,msgs,measured,\nreconnects,7,,,count,measured,\n");
    assert_int_equal(compare("build/test-cmp/abs/old", "build/test-cmp/abs/new",
                             "--junit build/test-cmp/abs/j.xml --json build/test-cmp/abs/v.json"), 0);
    assert_int_equal(sh("head -1 build/test-cmp/out.txt | grep -q '^PASS: 0 regressions'"), 0);
    assert_int_equal(sh("grep -q 'inf%' build/test-cmp/out.txt"), 1);
    assert_int_equal(sh("grep -q 'duplicates_republish .*+4 (from 0).*worse (within tolerance)' "
                        "build/test-cmp/out.txt"), 0);
    assert_int_equal(sh("grep -q '<testsuite name=\"mqsim.compare\" tests=\"4\" failures=\"0\"' "
                        "build/test-cmp/abs/j.xml"), 0);
    assert_int_equal(sh("grep -q '\"verdict\": \"pass\"' build/test-cmp/abs/v.json"), 0);
    /* with no absolute slack for messages, the same 4 duplicates regress */
    assert_int_equal(compare("build/test-cmp/abs/old", "build/test-cmp/abs/new",
                             "--abs-tolerance msgs=0 --junit build/test-cmp/abs/j.xml "
                             "--json build/test-cmp/abs/v.json"), 4);
    assert_int_equal(sh("head -2 build/test-cmp/out.txt | grep -q "
                        "'^  REGRESSION duplicates_republish: 0 -> 4 msgs'"), 0);
    assert_int_equal(sh("grep -q '<failure message=\"REGRESSION: 0 -&gt; 4 msgs' "
                        "build/test-cmp/abs/j.xml"), 0);
    assert_int_equal(sh("grep -q '\"verdict\": \"fail\"' build/test-cmp/abs/v.json"), 0);
    /* a metric name's tolerance wins over its unit's */
    assert_int_equal(compare("build/test-cmp/abs/old", "build/test-cmp/abs/new",
                             "--abs-tolerance msgs=0 --abs-tolerance duplicates_republish=5"), 0);
    assert_int_equal(compare("build/test-cmp/abs/old", "build/test-cmp/abs/new",
                             "--abs-tolerance msgs"), 2);
    assert_int_equal(compare("build/test-cmp/abs/old", "build/test-cmp/abs/new", "--tolerence 3"), 2);
    assert_int_equal(sh("grep -q \"did you mean '--tolerance'\" build/test-cmp/out.txt"), 0);
}

/* The metric table in the code names every metric the bundled scenarios
** produce, with the same unit and direction, and docs/OUTPUT.md is the
** table as `mqsim metrics --markdown` prints it. */
static void test_metric_table(void **state)
{
    (void)state;
    DIR *d = opendir("results/baselines");
    assert_non_null(d);
    struct dirent *e;
    size_t checked = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char p[512];
        snprintf(p, sizeof p, "results/baselines/%s", e->d_name);
        sim_metrics m = {0};
        sim_err err = {{0}};
        if (report_read_metrics(p, &m, NULL, 0, &err)) fail_msg("%s", err.msg);
        for (size_t i = 0; i < m.n; i++) {
            const mq_metric_info *inf = mq_metric_info_find(m.v[i].name);
            if (!inf) fail_msg("%s: metric %s is not in models/mq_metric_info.c", p, m.v[i].name);
            if (*inf->unit && strcmp(inf->unit, m.v[i].unit))
                fail_msg("%s: %s unit '%s', table says '%s'", p, m.v[i].name, m.v[i].unit, inf->unit);
            if (inf->better != m.v[i].better)
                fail_msg("%s: %s direction differs from the table", p, m.v[i].name);
            checked++;
        }
        sim_metrics_free(&m);
    }
    closedir(d);
    assert_true(checked > 100);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "'%s' metrics --markdown | cmp -s - docs/OUTPUT.md", mqsim());
    if (sh(cmd) != 0) fail_msg("docs/OUTPUT.md differs from `mqsim metrics --markdown`: regenerate it");
}

/* Every results/baselines/NAME/ holds scenario.txt (the scenario's path);
** a fresh run of that scenario must match the baseline in both directions:
** `compare baseline fresh` finds no regression (the model got no worse) and
** `compare fresh baseline` finds none either (the model got no better
** beyond tolerance, which would leave a stale baseline that can no longer
** catch the next regression). A baseline whose scenario.txt is missing or
** names a scenario that is not there fails: a moved scenario would
** otherwise drop out of the check without a word. So does a bundled
** scenario without a baseline. */
static void test_baselines(void **state)
{
    (void)state;
    DIR *d = opendir("results/baselines");
    assert_non_null(d);
    struct dirent *e;
    int checked = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char p[512], scn[512] = {0};
        snprintf(p, sizeof p, "results/baselines/%s/scenario.txt", e->d_name);
        FILE *f = fopen(p, "r");
        if (!f) fail_msg("%s: missing; run `make baselines`", p);
        if (!fgets(scn, sizeof scn, f)) scn[0] = '\0';
        fclose(f);
        scn[strcspn(scn, "\n")] = '\0';
        struct stat st;
        if (stat(scn, &st) != 0)
            fail_msg("baseline %s names scenario '%s', which does not exist (moved or "
                     "removed?); run `make baselines` and commit", e->d_name, scn);
        char cmd[2048];
        snprintf(cmd, sizeof cmd, "rm -rf build/test-cmp/b && '%s' run '%s' --out build/test-cmp/b "
                 ">/dev/null 2>&1; r=$?; [ $r -eq 0 ] || [ $r -eq 3 ]", mqsim(), scn);
        assert_int_equal(sh(cmd), 0);
        snprintf(p, sizeof p, "results/baselines/%s", e->d_name);
        int rc = compare(p, "build/test-cmp/b", "");
        if (rc != 0) {
            sh("cat build/test-cmp/out.txt | grep -E 'REGRESSION|old:|new:'");
            fail_msg("%s regressed against its baseline (exit %d); if the change is deliberate, "
                     "run `make baselines` and commit", scn, rc);
        }
        rc = compare("build/test-cmp/b", p, "");
        if (rc != 0) {
            sh("cat build/test-cmp/out.txt | grep -E 'REGRESSION|old:|new:'");
            fail_msg("%s improved beyond tolerance on its baseline (the reverse compare exits "
                     "%d): the baseline is stale; run `make baselines` and commit", scn, rc);
        }
        checked++;
    }
    closedir(d);
    assert_true(checked > 0);
    /* every bundled scenario has a baseline (the names `make baselines` uses) */
    assert_int_equal(sh("for f in $(find scenarios -name '*.yaml' -not -path 'scenarios/invalid/*' "
                        "-not -path 'scenarios/bench/*'); do n=$(echo ${f#scenarios/} | "
                        "sed 's|\\.yaml$||; s|/|-|g'); [ -f results/baselines/$n/scenario.txt ] "
                        "|| { echo \"no baseline for $f\" >&2; exit 1; }; done"), 0);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_worse_is_4),
        cmocka_unit_test(test_within_tolerance_or_overlap_is_0),
        cmocka_unit_test(test_better_is_0_and_real_mode),
        cmocka_unit_test(test_csv_only_folder),
        cmocka_unit_test(test_fails_closed),
        cmocka_unit_test(test_absolute_tolerance_and_ci_files),
        cmocka_unit_test(test_metric_table),
        cmocka_unit_test(test_baselines),
    };
    return cmocka_run_group_tests_name("compare", t, NULL, NULL);
}
