/*
** test_out.c - cmocka tests of the result writers: io/out_file (atomic
** replace, mkdir -p), io/out_csv (summary.csv and timeseries.csv byte-exact,
** read-back round trip and its error messages) and io/out_json (summary.json
** content, key order, determinism; the scenario echo), the metric
** table's hash index (sim_table.h) at 300 000 rows, and io/out_run's two
** parts (a single replication's summary plots drawn early are the
** aggregate's).
**
** Every test works in a private directory made by mkdtemp under /tmp, which
** the group teardown removes, so tests never touch the repository.
*/
#define _XOPEN_SOURCE 700 /* nftw, for the teardown */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "io/out_csv.h"
#include "io/out_file.h"
#include "io/out_json.h"
#include "io/out_risk.h"
#include "io/out_run.h"
#include "io/scn_load.h"
#include "sim/sim_rep.h"
#include "tests/test_util.h"

#include <dirent.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[64];

/* tmpdir/name in a static rotating buffer (two live at a time). */
static const char *tpath(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

/* Whole file as a NUL-terminated string; caller frees. */
static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, fp), (size_t)n);
    b[n] = '\0';
    fclose(fp);
    return b;
}

static void spit(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void assert_file_text(const char *path, const char *want)
{
    char *got = slurp(path);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

/* Number of entries in dir whose name contains ".tmp.". */
static int count_temps(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strstr(e->d_name, ".tmp.")) n++;
    closedir(d);
    return n;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st; (void)flag; (void)f;
    return remove(p);
}

static int group_setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/mqsim_test_out_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A small known metrics table. */
static void known_metrics(sim_metrics *m)
{
    *m = (sim_metrics){0};
    assert_int_equal(sim_metrics_add(m, "delivered", 1000, "msgs", SIM_BETTER_HIGHER), 0);
    assert_int_equal(sim_metrics_add(m, "p99_delay_s", 0.1, "s", SIM_BETTER_LOWER), 0);
    m->v[1].ci_lo = 0.05;
    m->v[1].ci_hi = 0.25;
    assert_int_equal(sim_metrics_add(m, "loss ratio", 1.0 / 3, "ratio", SIM_BETTER_LOWER), 0);
}

static void test_summary_csv_exact(void **state)
{
    (void)state;
    sim_metrics m;
    known_metrics(&m);
    sim_err e = {{0}};
    const char *p = tpath("summary.csv");
    assert_int_equal(out_summary_csv(p, &m, &e), 0);
    assert_file_text(p, "metric,value,ci95_low,ci95_high,unit,status,lower_bound\n"
                        "delivered,1000,,,msgs,measured,\n"
                        "p99_delay_s,0.1,0.05,0.25,s,measured,\n"
                        "\"loss ratio\",0.3333333333333333,,,ratio,measured,\n");
    sim_metrics_free(&m);
}

static void test_summary_csv_nan_ci_empty(void **state)
{
    (void)state;
    sim_metrics m = {0};
    assert_int_equal(sim_metrics_add(&m, "a", -2.5, "", SIM_BETTER_NONE), 0);
    assert_int_equal(sim_metrics_add(&m, "b", NAN, "s", SIM_BETTER_NONE), 0);
    m.v[1].ci_lo = -INFINITY; /* only one side known */
    assert_int_equal(sim_metrics_add(&m, "c", -0.0, "%", SIM_BETTER_NONE), 0);
    sim_err e = {{0}};
    const char *p = tpath("nan.csv");
    assert_int_equal(out_summary_csv(p, &m, &e), 0);
    assert_file_text(p, "metric,value,ci95_low,ci95_high,unit,status,lower_bound\n"
                        "a,-2.5,,,,measured,\n"
                        "b,nan,-inf,,s,measured,\n"
                        "c,-0,,,%,measured,\n");
    sim_metrics_free(&m);
}

/* A censored metric is written as "nan" with its status and lower bound, so
** that nobody reads the bound as a measurement, and reads back the same; a
** file from before the status columns reads as all measured. */
static void test_summary_csv_censored(void **state)
{
    (void)state;
    sim_metrics m = {0};
    assert_int_equal(sim_metrics_add_censored(&m, "disruption_max_s", 2400, "s",
                                              SIM_BETTER_LOWER, SIM_CENSORED_AT_END), 0);
    assert_int_equal(sim_metrics_add_censored(&m, "drain_time_s", 900, "s", SIM_BETTER_LOWER,
                                              SIM_NOT_REACHED), 0);
    assert_int_equal(sim_metrics_add_censored(&m, "disruption_public_max_s", NAN, "s",
                                              SIM_BETTER_LOWER, SIM_NOT_APPLICABLE), 0);
    sim_err e = {{0}};
    const char *p = tpath("censored.csv");
    assert_int_equal(out_summary_csv(p, &m, &e), 0);
    assert_file_text(p, "metric,value,ci95_low,ci95_high,unit,status,lower_bound\n"
                        "disruption_max_s,nan,,,s,censored_at_end,2400\n"
                        "drain_time_s,nan,,,s,not_reached,900\n"
                        "disruption_public_max_s,nan,,,s,not_applicable,\n");
    sim_metrics r = {0};
    assert_int_equal(out_read_summary_csv(p, &r, &e), 0);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.v[0].status, SIM_CENSORED_AT_END);
    assert_near(r.v[0].bound, 2400, 0);
    assert_int_equal(r.v[1].status, SIM_NOT_REACHED);
    assert_int_equal(r.v[2].status, SIM_NOT_APPLICABLE);
    assert_true(isnan(r.v[2].bound) && isnan(r.v[0].value));
    sim_metrics_free(&r);
    spit(p, "metric,value,ci95_low,ci95_high,unit\nlost,3,,,msgs\n");
    assert_int_equal(out_read_summary_csv(p, &r, &e), 0);
    assert_int_equal(r.v[0].status, SIM_MEASURED);
    sim_metrics_free(&r);
    spit(p, "metric,value,ci95_low,ci95_high,unit,status,lower_bound\n"
            "lost,3,,,msgs,censored_at_end,2\n");
    assert_int_equal(out_read_summary_csv(p, &r, &e), -1); /* a bound is not a value */
    sim_metrics_free(&m);
}

static void test_fmt_double_round_trips(void **state)
{
    (void)state;
    const double v[] = {0.1, 1.0 / 3, 1e-300, -2.5e17, 123456789.123456789,
                        5e-324, 1.7976931348623157e308, 2.0 / 3 * 1e-7};
    char b[32];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        out_fmt_double(b, v[i], 0);
        assert_true(strtod(b, NULL) == v[i]);
        assert_true(strlen(b) <= 24);
    }
    assert_string_equal(out_fmt_double(b, 0.1, 0), "0.1");
    assert_string_equal(out_fmt_double(b, -NAN, 0), "nan");
    assert_string_equal(out_fmt_double(b, 1.0 / 3, 10), "0.3333333333");
}

static void test_summary_csv_round_trip(void **state)
{
    (void)state;
    sim_metrics m;
    known_metrics(&m);
    assert_int_equal(sim_metrics_add(&m, "tiny", 1e-300, "a,b \"q\"", SIM_BETTER_NONE), 0);
    assert_int_equal(sim_metrics_add(&m, "big", -2.5e17, "", SIM_BETTER_NONE), 0);
    m.v[4].ci_lo = -3e17;
    m.v[4].ci_hi = 123456789.123456789;
    sim_err e = {{0}};
    const char *p = tpath("rt.csv");
    assert_int_equal(out_summary_csv(p, &m, &e), 0);
    sim_metrics r = {0};
    assert_int_equal(out_read_summary_csv(p, &r, &e), 0);
    assert_int_equal(r.n, m.n);
    for (size_t i = 0; i < m.n; i++) {
        assert_string_equal(r.v[i].name, m.v[i].name);
        assert_string_equal(r.v[i].unit, m.v[i].unit);
        assert_true(r.v[i].value == m.v[i].value);
        assert_int_equal(isnan(r.v[i].ci_lo), isnan(m.v[i].ci_lo));
        assert_int_equal(isnan(r.v[i].ci_hi), isnan(m.v[i].ci_hi));
        if (!isnan(m.v[i].ci_lo)) assert_near(r.v[i].ci_lo, m.v[i].ci_lo, 0);
        if (!isnan(m.v[i].ci_hi)) assert_near(r.v[i].ci_hi, m.v[i].ci_hi, 0);
    }
    sim_metrics_free(&r);
    sim_metrics_free(&m);
}

/* Read `text` as a summary.csv; expect failure with "<path>:<want>". */
static void expect_bad_csv(const char *name, const char *text, const char *want)
{
    const char *p = tpath(name);
    spit(p, text);
    sim_metrics m = {0};
    sim_err e = {{0}};
    assert_int_equal(out_read_summary_csv(p, &m, &e), -1);
    assert_int_equal(m.n, 0);
    char prefix[600];
    snprintf(prefix, sizeof prefix, "%s:%s", p, want);
    if (strncmp(e.msg, prefix, strlen(prefix)) != 0)
        fail_msg("error '%s' does not start with '%s'", e.msg, prefix);
}

static void test_read_summary_csv_errors(void **state)
{
    (void)state;
    const char *hdr = "metric,value,ci95_low,ci95_high,unit\n";
    char b[512];
    expect_bad_csv("b1.csv", "metric,val,ci95_low,ci95_high,unit\n", "1: bad header");
    expect_bad_csv("b2.csv", "", "1: empty file");
    snprintf(b, sizeof b, "%sa,1,,,s\nb,1x,,,s\n", hdr);
    expect_bad_csv("b3.csv", b, "3: value '1x' is not a number");
    snprintf(b, sizeof b, "%sa,1,,,s\nb,2,,s\n", hdr);
    expect_bad_csv("b4.csv", b, "3: 4 fields, expected 5");
    snprintf(b, sizeof b, "%sa,1,,,s\na,2,,,s\n", hdr);
    expect_bad_csv("b5.csv", b, "3: metric 'a' appears twice");
    snprintf(b, sizeof b, "%sa,1,,,s\nb,2,x\"y,,s\n", hdr);
    expect_bad_csv("b6.csv", b, "3: ");
    snprintf(b, sizeof b, "%sa,1,,,s\n\"b,2,,,s\n", hdr);
    expect_bad_csv("b7.csv", b, "3: ");
    snprintf(b, sizeof b, "%sa,,,,s\n", hdr);
    expect_bad_csv("b8.csv", b, "2: value is empty");
    sim_metrics m = {0};
    sim_err e = {{0}};
    assert_int_equal(out_read_summary_csv(tpath("missing.csv"), &m, &e), -1);
    assert_non_null(strstr(e.msg, "missing.csv: cannot open"));
}

static void test_timeseries_csv_exact(void **state)
{
    (void)state;
    const char *cols[] = {"time_s", "backlog"};
    sim_series s;
    assert_int_equal(sim_series_init(&s, 2, cols), 0);
    assert_int_equal(sim_series_add_row(&s, (double[]){0, 1.5}, NULL), 0);
    assert_int_equal(sim_series_add_row(&s, (double[]){10, 1.0 / 3}, "restart, broker \"a\""), 0);
    assert_int_equal(sim_series_add_row(&s, (double[]){20, NAN}, "steady"), 0);
    assert_int_equal(sim_series_add_row(&s, (double[]){1e6, 123456789012.0}, ""), 0);
    sim_err e = {{0}};
    const char *p = tpath("ts.csv");
    assert_int_equal(out_timeseries_csv(p, &s, "phase", &e), 0);
    assert_file_text(p, "time_s,backlog,phase\n"
                        "0,1.5,\n"
                        "10,0.3333333333,\"restart, broker \"\"a\"\"\"\n"
                        "20,nan,\"steady\"\n"
                        "1000000,1.23456789e+11,\n");
    /* Without a label column. */
    assert_int_equal(out_timeseries_csv(p, &s, NULL, &e), 0);
    char *t = slurp(p);
    assert_non_null(t);
    assert_true(strncmp(t, "time_s,backlog\n0,1.5\n10,0.3333333333\n", 37) == 0);
    free(t);
    sim_series_free(&s);
}

static void test_atomic_abort_keeps_old(void **state)
{
    (void)state;
    const char *p = tpath("atomic.txt");
    spit(p, "old contents\n");
    out_file f;
    sim_err e = {{0}};
    assert_int_equal(out_file_open(&f, p, &e), 0);
    assert_non_null(f.fp);
    fputs("new half-written", f.fp);
    fflush(f.fp);
    assert_int_equal(count_temps(tmpdir), 1);
    out_file_abort(&f);
    out_file_abort(&f); /* safe twice */
    assert_null(f.fp);
    assert_file_text(p, "old contents\n");
    assert_int_equal(count_temps(tmpdir), 0);
}

static void test_atomic_commit_replaces(void **state)
{
    (void)state;
    const char *p = tpath("atomic2.txt");
    spit(p, "old contents\n");
    out_file f;
    sim_err e = {{0}};
    assert_int_equal(out_file_open(&f, p, &e), 0);
    fputs("new contents\n", f.fp);
    assert_file_text(p, "old contents\n"); /* not visible before commit */
    assert_int_equal(out_file_commit(&f, &e), 0);
    assert_null(f.fp);
    assert_file_text(p, "new contents\n");
    assert_int_equal(count_temps(tmpdir), 0);
    /* A relative path in the current directory has no '/' at all. */
    char *cwd = getcwd(NULL, 0);
    assert_non_null(cwd);
    assert_int_equal(chdir(tmpdir), 0);
    assert_int_equal(out_file_open(&f, "rel.txt", &e), 0);
    fputs("rel\n", f.fp);
    assert_int_equal(out_file_commit(&f, &e), 0);
    assert_int_equal(chdir(cwd), 0);
    free(cwd);
    assert_file_text(tpath("rel.txt"), "rel\n");
}

static void test_write_into_missing_dir_fails(void **state)
{
    (void)state;
    sim_metrics m;
    known_metrics(&m);
    sim_err e = {{0}};
    const char *p = tpath("no/such/dir/summary.csv");
    assert_int_equal(out_summary_csv(p, &m, &e), -1);
    assert_non_null(strstr(e.msg, p));
    assert_non_null(strstr(e.msg, "No such file or directory"));
    assert_int_equal(out_summary_json(p, &m, NULL, &e), -1);
    assert_non_null(strstr(e.msg, p));
    out_file f;
    assert_int_equal(out_file_open(&f, "", &e), -1);
    assert_int_equal(out_file_open(&f, tpath("dir/"), &e), -1);
    assert_non_null(strstr(e.msg, "names a directory"));
    sim_metrics_free(&m);
}

static void test_mkdir_p(void **state)
{
    (void)state;
    sim_err e = {{0}};
    const char *d = tpath("a/b/c/");
    assert_int_equal(out_mkdir_p(d, &e), 0);
    assert_int_equal(out_mkdir_p(d, &e), 0); /* existing is fine */
    struct stat st;
    assert_int_equal(stat(tpath("a/b/c"), &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    spit(tpath("a/file"), "x");
    assert_int_equal(out_mkdir_p(tpath("a/file/sub"), &e), -1);
    assert_non_null(strstr(e.msg, "a/file"));
    /* Then writing into the new directory works. */
    sim_metrics m;
    known_metrics(&m);
    assert_int_equal(out_summary_csv(tpath("a/b/c/s.csv"), &m, &e), 0);
    sim_metrics_free(&m);
}

static json_t *test_meta(void)
{
    json_t *meta = json_pack("{s:s, s:s, s:I, s:[s], s:{s:s}}", "mqsim_version", "0.1.0",
                             "mode", "sim", "seed", (json_int_t)42, "warnings",
                             "rate above spec", "scenario", "name", "demo");
    assert_non_null(meta);
    return meta;
}

static void test_summary_json(void **state)
{
    (void)state;
    sim_metrics m;
    known_metrics(&m);
    json_t *meta = test_meta();
    sim_err e = {{0}};
    const char *p1 = tpath("s1.json"), *p2 = tpath("s2.json");
    assert_int_equal(out_summary_json(p1, &m, meta, &e), 0);
    assert_int_equal(out_summary_json(p2, &m, meta, &e), 0);
    char *a = slurp(p1), *b = slurp(p2);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(a, b);
    /* Sorted keys: top level and inside a metric. */
    const char *top[] = {"\"metrics\"", "\"mode\"", "\"mqsim_version\"", "\"scenario\"",
                         "\"seed\"", "\"warnings\""};
    for (size_t i = 1; i < 6; i++) {
        char *prev = strstr(a, top[i - 1]), *cur = strstr(a, top[i]);
        assert_non_null(prev);
        assert_non_null(cur);
        if (i > 1) assert_true(prev < cur);
    }
    char *m0 = strstr(a, "\"better\"");
    assert_non_null(m0);
    assert_true(m0 < strstr(a, "\"ci95_high\""));
    assert_true(strstr(a, "\"ci95_high\"") < strstr(a, "\"ci95_low\""));
    assert_true(strstr(a, "\"ci95_low\"") < strstr(a, "\"metric\":"));
    free(a);
    free(b);

    json_error_t je;
    json_t *root = json_load_file(p1, 0, &je);
    if (!root) fail_msg("%s:%d:%d: %s", p1, je.line, je.column, je.text);
    assert_string_equal(json_string_value(json_object_get(root, "mode")), "sim");
    assert_int_equal(json_integer_value(json_object_get(root, "seed")), 42);
    json_t *ms = json_object_get(root, "metrics");
    assert_int_equal(json_array_size(ms), 3);
    json_t *d = json_array_get(ms, 0);
    assert_string_equal(json_string_value(json_object_get(d, "metric")), "delivered");
    assert_near(json_number_value(json_object_get(d, "value")), 1000, 0);
    assert_true(json_is_null(json_object_get(d, "ci95_low")));
    assert_true(json_is_null(json_object_get(d, "ci95_high")));
    assert_string_equal(json_string_value(json_object_get(d, "better")), "higher");
    json_t *p99 = json_array_get(ms, 1);
    assert_near(json_number_value(json_object_get(p99, "value")), 0.1, 0);
    assert_near(json_number_value(json_object_get(p99, "ci95_low")), 0.05, 0);
    assert_near(json_number_value(json_object_get(p99, "ci95_high")), 0.25, 0);
    assert_near(json_number_value(json_object_get(json_array_get(ms, 2), "value")), 1.0 / 3, 0);
    json_decref(root);
    /* meta is borrowed: still intact and usable. */
    assert_int_equal(meta->refcount, 1);
    json_decref(meta);
    sim_metrics_free(&m);
}

static void test_scenario_json(void **state)
{
    (void)state;
    mq_cluster clusters[] = {{.name = "c1"}};
    mq_broker brokers[] = {{.name = "b1", .cluster = 0, .capacity_tps = 5000}};
    mq_queue queues[] = {{.name = "orders", .broker = 0}};
    mq_rate_step steps[] = {{0, 100}, {600, 250}};
    mq_producer_group prod[] = {{.name = "web", .profile = "java", .count = 4, .queue = 0,
                                 .rate = {MQ_ARRIVALS_POISSON, 2, steps, 86400},
                                 .ondown = MQ_ONDOWN_BUFFER, .send_timeout_s = 3}};
    mq_consumer_group cons[] = {{.name = "billing", .count = 2, .queue = 0, .prefetch = 10,
                                 .processing = sim_dist_exponential(0.02),
                                 .ack = MQ_ACK_AUTO}};
    mq_group_ref refs[] = {{true, 0}, {false, 0}};
    mq_event events[] = {
        {.type = MQ_EVENT_BROKER_RESTART, .at_s = 900, .broker = -1, .duration_s = 30,
         .label = "restart"},
        {.type = MQ_EVENT_DISCONNECT, .at_s = 1200, .broker = 0, .ngroups = 2,
         .groups = refs, .silent = true}};
    mq_backlog backlogs[] = {{.queue = 0, .messages = UINT64_MAX,
                              .age = sim_dist_uniform(0, 60)}};
    mq_scenario s = {.path = "x.yaml", .name = "demo",
                     .instance = {.kind = MQ_KIND_RABBITMQ, .billing = MQ_BILL_PAYG,
                                  .deployment = MQ_DEPLOY_DEDICATED},
                     .run = {.duration_s = 3600, .seed = 7},
                     .nclusters = 1, .clusters = clusters, .nbrokers = 1, .brokers = brokers,
                     .nqueues = 1, .queues = queues, .nproducers = 1, .producers = prod,
                     .nconsumers = 1, .consumers = cons, .nbacklogs = 1, .backlogs = backlogs,
                     .nevents = 2, .events = events};
    json_t *j = out_scenario_json(&s);
    assert_non_null(j);
    json_t *in = json_object_get(j, "instance");
    assert_string_equal(json_string_value(json_object_get(in, "kind")), "rabbitmq");
    assert_string_equal(json_string_value(json_object_get(in, "billing")), "payg");
    assert_string_equal(json_string_value(json_object_get(in, "deployment")), "dedicated");
    json_t *run = json_object_get(j, "run");
    assert_near(json_number_value(json_object_get(run, "duration_s")), 3600, 0);
    assert_int_equal(json_integer_value(json_object_get(run, "seed")), 7);
    json_t *b = json_array_get(json_object_get(j, "brokers"), 0);
    assert_string_equal(json_string_value(json_object_get(b, "cluster")), "c1");
    json_t *p = json_array_get(json_object_get(j, "producers"), 0);
    assert_string_equal(json_string_value(json_object_get(p, "queue")), "orders");
    assert_string_equal(json_string_value(json_object_get(p, "ondown")), "buffer");
    json_t *st = json_array_get(json_object_get(json_object_get(p, "rate"), "steps"), 1);
    assert_near(json_number_value(json_object_get(st, "rate")), 250, 0);
    json_t *c = json_array_get(json_object_get(j, "consumers"), 0);
    json_t *proc = json_object_get(c, "processing");
    assert_string_equal(json_string_value(json_object_get(proc, "dist")), "exponential");
    assert_near(json_number_value(json_object_get(json_object_get(proc, "params"), "mean")),
                0.02, 0);
    json_t *ev = json_object_get(j, "events");
    assert_true(json_is_null(json_object_get(json_array_get(ev, 0), "broker")));
    assert_true(json_is_null(json_object_get(json_array_get(ev, 0), "groups")));
    json_t *g = json_object_get(json_array_get(ev, 1), "groups");
    assert_string_equal(json_string_value(json_array_get(g, 0)), "billing");
    assert_string_equal(json_string_value(json_array_get(g, 1)), "web");
    json_t *bl = json_array_get(json_object_get(j, "backlogs"), 0);
    assert_string_equal(json_string_value(json_object_get(bl, "messages")),
                        "18446744073709551615");
    /* Embeds in summary.json and survives a write/parse cycle. */
    json_t *meta = json_pack("{s:o}", "scenario", j);
    assert_non_null(meta);
    sim_metrics m = {0};
    sim_err e = {{0}};
    assert_int_equal(out_summary_json(tpath("scn.json"), &m, meta, &e), 0);
    json_decref(meta);
    json_error_t je;
    json_t *root = json_load_file(tpath("scn.json"), 0, &je);
    assert_non_null(root);
    assert_int_equal(json_array_size(json_object_get(root, "metrics")), 0);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(root, "scenario"), "name")), "demo");
    json_decref(root);
}

/* The metric table's hash index: 300 000 rows (what ~60 000 client groups
** give) are added and each found again, in insertion order, within an
** alarm of 30 s. A linear search needs ~4.5e10 name compares for this
** (minutes); the index needs ~1e6 (well under a second). */
static void test_metrics_index(void **state)
{
    (void)state;
    enum { N = 300000 };
    sim_metrics m = {0};
    char name[32];
    alarm(30);
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "group:%d:dmax", i);
        assert_int_equal(sim_metrics_add(&m, name, i, "s", SIM_BETTER_LOWER), 0);
    }
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "group:%d:dmax", i);
        const sim_metric *x = sim_metrics_find(&m, name);
        assert_non_null(x);
        assert_true(x == &m.v[i]);
        assert_true(x->value == i);
    }
    alarm(0);
    assert_null(sim_metrics_find(&m, "group:300000:dmax"));
    assert_null(sim_metrics_find(&m, ""));
    sim_metrics_free(&m);
    assert_null(sim_metrics_find(&m, "group:1:dmax")); /* empty table */
}

/* A results folder costs one directory fsync, not one per file: the files
** inside out_dir's temp folder skip their own (out_file_defer_dir_sync), so a
** run makes at most (files + 2) fsyncs: one per file's data, the temp folder
** once, its parent once. Counted with strace; skipped where it is missing.
** LeakSanitizer cannot run under a tracer, so leak checking is off for the
** traced run (the suite's other runs of the same command check leaks). */
static void test_results_folder_one_dir_sync(void **state)
{
    (void)state;
    if (sh("command -v strace >/dev/null 2>&1") != 0) skip();
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "ASAN_OPTIONS=\"$ASAN_OPTIONS:detect_leaks=0\" "
             "strace -f -qq -e trace=fsync -o '%s' '%s' run scenarios/steady-state.yaml "
             "--no-baseline --out '%s' >/dev/null 2>&1",
             tpath("strace.txt"), mqsim_bin(), tpath("fs-run"));
    assert_int_equal(sh(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "n=$(grep -c 'fsync(' '%s'); f=$(ls -A '%s' | wc -l); test \"$f\" -ge 5 && "
             "test \"$n\" -le $((f + 2))",
             tpath("strace.txt"), tpath("fs-run"));
    assert_int_equal(sh(cmd), 0);
}

/* Whether two files hold the same bytes (both must exist). */
static int same_file(const char *a, const char *b)
{
    char *x = slurp(a), *y = slurp(b);
    assert_non_null(x);
    assert_non_null(y);
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    fseek(fa, 0, SEEK_END);
    fseek(fb, 0, SEEK_END);
    long na = ftell(fa), nb = ftell(fb);
    fclose(fa);
    fclose(fb);
    int same = na == nb && memcmp(x, y, (size_t)na) == 0;
    free(x);
    free(y);
    return same;
}

/* A single replication's percentile and endpoint plots are drawn with its
** own plots, from its own metrics (out_run_write_rep's `final`), before the
** aggregate exists: they must be the plots the aggregate of that one
** replication gives (sim_rep's mean of one value is the value). A scenario
** with a budget (its lines on the percentile plot) and every endpoint type. */
static void test_single_replication_summary_plots(void **state)
{
    (void)state;
    mq_scenario sc;
    sim_err err = {{0}};
    assert_int_equal(scn_load_file("scenarios/rabbitmq/privatelink.yaml", &sc, &err), 0);
    mq_budget *b = mq_budget_new();
    assert_non_null(b);
    mq_budget_push(b, (mq_budget_line){.text = strdup("delay_p99_s <= 2"),
                                       .metric = strdup("delay_p99_s"), .op = MQ_BUDGET_LE,
                                       .limit = 2});
    json_t *lines = out_budget_json(b, NULL), *meta = json_object();
    assert_int_equal(json_object_set(meta, "budget", lines), 0);
    mq_run_opts o = {.seed = 7};
    mq_result res;
    assert_int_equal(mq_model_run(&sc, &o, &res, &err), 0);
    out_run_axes ax = {0, lines};
    out_run_plots wrote = 0;
    /* the shortcut: every plot in part one */
    assert_int_equal(out_run_write_rep(tpath("one"), &res, &ax, true, true, 2, &wrote, &err), 0);
    assert_int_equal(out_run_write_summary(tpath("one"), &res, meta, true, wrote, &err), 0);
    /* the aggregate of the one replication, drawn in part two */
    sim_rep *rep = sim_rep_new();
    sim_metrics agg;
    assert_int_equal(sim_rep_add(rep, &res.metrics), 0);
    assert_int_equal(sim_rep_result(rep, &agg), 0);
    mq_result viaagg = res;
    viaagg.metrics = agg;
    assert_int_equal(out_run_write_rep(tpath("agg"), &res, &ax, true, false, 1, &wrote, &err), 0);
    assert_int_equal(out_run_write_summary(tpath("agg"), &viaagg, meta, true, wrote, &err), 0);
    assert_true(same_file(tpath("one/percentiles.png"), tpath("agg/percentiles.png")));
    assert_true(same_file(tpath("one/disruption_endpoint.png"),
                          tpath("agg/disruption_endpoint.png")));
    sim_metrics_free(&agg);
    sim_rep_free(rep);
    mq_result_free(&res);
    json_decref(meta);
    json_decref(lines);
    mq_budget_free(b);
    mq_scenario_free(&sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary_csv_exact),
        cmocka_unit_test(test_summary_csv_nan_ci_empty),
        cmocka_unit_test(test_summary_csv_censored),
        cmocka_unit_test(test_fmt_double_round_trips),
        cmocka_unit_test(test_summary_csv_round_trip),
        cmocka_unit_test(test_read_summary_csv_errors),
        cmocka_unit_test(test_timeseries_csv_exact),
        cmocka_unit_test(test_atomic_abort_keeps_old),
        cmocka_unit_test(test_atomic_commit_replaces),
        cmocka_unit_test(test_write_into_missing_dir_fails),
        cmocka_unit_test(test_mkdir_p),
        cmocka_unit_test(test_summary_json),
        cmocka_unit_test(test_scenario_json),
        cmocka_unit_test(test_metrics_index),
        cmocka_unit_test(test_results_folder_one_dir_sync),
        cmocka_unit_test(test_single_replication_summary_plots),
    };
    return cmocka_run_group_tests_name("out", tests, group_setup, group_teardown);
}
