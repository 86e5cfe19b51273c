/*
** test_report.c - the risk report: base64, and report.md/report.html from a
** run with a failing budget and a paired baseline (verdict, budget table,
** deltas, timeline, embedded plots, groups, assumptions, computed
** recommendations; no external URL in the HTML).
*/
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/test_util.h"

#include "cli/cli_text.h"
#include "io/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* `mqsim run FILE ARGS --report --out OUT`, which must exit `want`; OUT's
** report.md (caller frees). */
static char *run_report(const char *file, const char *args, const char *out, int want)
{
    char cmd[2048], path[1024];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && '%s' run '%s' %s --report --out '%s' "
             ">/dev/null 2>&1", out, mqsim(), file, args, out);
    assert_int_equal(sh(cmd), want);
    snprintf(path, sizeof path, "%s/report.md", out);
    char *md = slurp(path);
    assert_non_null(md);
    return md;
}

/* The instance and cluster lines of the scenarios below: one RabbitMQ
** professional instance with one broker, b1. */
#define ONE_BROKER                                                                             \
    "instance: { kind: rabbitmq, edition: professional }\n"                                  \
    "clusters: [ { name: c, brokers: [ { name: b1 } ] } ]\n"

/* DIR made afresh with yaml as DIR/s.yaml, then run_report of it into
** DIR/o; its report.md (caller frees). */
static char *report_of_yaml(const char *dir, const char *yaml, const char *args, int want)
{
    char cmd[1024], file[512], out[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    assert_int_equal(sh(cmd), 0);
    snprintf(file, sizeof file, "%s/s.yaml", dir);
    snprintf(out, sizeof out, "%s/o", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs(yaml, f);
    fclose(f);
    return run_report(file, args, out, want);
}

/* Write DIR/summary.json from a template with these parts and render the
** report; returns report.md (caller frees). */
static char *render(const char *dir, const char *metrics, const char *groups,
                    const char *producers, const char *consumers, const char *extra_sc,
                    const char *budget)
{
    char cmd[512], path[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    sh(cmd);
    snprintf(path, sizeof path, "%s/summary.json", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{\"mode\": \"sim\", \"seed\": 1, \"replications\": 1, \"mqsim_version\": \"t\",\n"
               " \"scenario\": {\"name\": \"t\", \"instance\": {\"spec_tps\": 1000},\n"
               "   \"producers\": [%s], \"consumers\": [%s]%s},\n"
               " \"groups\": [%s], \"budget\": [%s], \"warnings\": [],\n"
               " \"metrics\": [%s]}\n",
            producers, consumers, extra_sc, groups, budget, metrics);
    fclose(f);
    sim_err e = {{0}};
    if (report_write(dir, &e)) fail_msg("report_write: %s", e.msg);
    snprintf(path, sizeof path, "%s/report.md", dir);
    char *md = slurp(path);
    assert_non_null(md);
    return md;
}

#define M(name, v, unit) "{\"metric\": \"" name "\", \"value\": " #v ", \"unit\": \"" unit "\", \"better\": \"lower\", \"status\": \"measured\"}"
#define PROD(name, rate, count, autorec)                                                   \
    "{\"name\": \"" name "\", \"count\": " #count ", \"rate\": {\"steps\": [{\"at_s\": 0, \"rate\": " #rate \
    "}]}, \"reconnect\": {\"automatic\": " autorec "}}"
#define CONS(name, autorec) "{\"name\": \"" name "\", \"reconnect\": {\"automatic\": " autorec "}}"
#define GRP(name, role, clients, disrupted, cut)                                           \
    "{\"group\": \"" name "\", \"role\": \"" role "\", \"profile\": \"p\", \"clients\": " #clients \
    ", \"clients_disrupted\": " #disrupted ", \"clients_cut_off_at_end\": " #cut "}"

/* DIR/summary.json (as render wrote it) with `keys` ("\"k\": v, ...") added
** to its top level, rendered again; report.md (caller frees). */
static char *rerender_with(const char *dir, const char *keys)
{
    char path[512];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    char *js = slurp(path);
    assert_non_null(js);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{%s,\n%s", keys, strchr(js, '{') + 1);
    fclose(f);
    free(js);
    sim_err e = {{0}};
    if (report_write(dir, &e)) fail_msg("report_write: %s", e.msg);
    snprintf(path, sizeof path, "%s/report.md", dir);
    char *md = slurp(path);
    assert_non_null(md);
    return md;
}

static void expect_in(const char *md, const char *want)
{
    if (!strstr(md, want)) fail_msg("report lacks '%s':\n%s", want, md);
}

static void expect_not_in(const char *md, const char *bad)
{
    if (strstr(md, bad)) fail_msg("report says '%s' although it should not:\n%s", bad, md);
}

/* Throttling: advice follows the cause the model recorded at each refusal.
** Refusals while the offered rate was above the refusing limit get "cannot
** take the offered load" with the model's figures; refusals without one
** (bursts, a bandwidth limit) do not. */
static void test_advice_throttling(void **state)
{
    (void)state;
    const char *steady = M("throttled_sends", 5000, "count") "," M("throttled_sends_overload", 4000, "count")
        "," M("overload_from_s", 1800, "s") "," M("overload_offered_rate", 800, "msg/s")
        "," M("overload_capacity", 600, "msg/s") "," M("still_in_producers", 0, "msgs");
    char *md = render("build/test-advice/thr-steady", steady, GRP("web", "producer", 10, 0, 0),
                      PROD("web", 800, 10, "true"), "", "", "");
    expect_in(md, "specification cannot take the offered load: from 30m the producers offer up "
                  "to 800 msg/s against a specification of 600 msg/s, and 4000 of the 5000 "
                  "throttled");
    expect_in(md, "Choose a specification at or above 800 msg/s");
    free(md);
    /* refused by a broker's own capacity: no advice to buy a larger spec;
    ** by both kinds of limit: each named with its count */
#define OVERLOAD(by_broker, offered, cap)                                                      \
    M("throttled_sends", 5000, "count") "," M("throttled_sends_overload", 4000, "count") ","    \
    M("throttled_overload_broker", by_broker, "count") "," M("overload_from_s", 60, "s") ","   \
    M("overload_offered_rate", offered, "msg/s") "," M("overload_capacity", cap, "msg/s")
    static const struct { const char *dir, *met, *prod, *want, *unwanted; } by_limit[] = {
        {"build/test-advice/thr-broker", OVERLOAD(4000, 1200, 1000), PROD("web", 1200, 10, "true"),
         "A broker cannot take the load routed to it: from 60 s the producers offer one broker up "
         "to 1200 msg/s against its own capacity of 1000 msg/s", "Choose a specification"},
        {"build/test-advice/thr-both", OVERLOAD(3000, 1600, 1500), PROD("web", 1600, 10, "true"),
         "1000 of the 5000 throttled send attempts were refused by the instance's specification "
         "and 3000 by a broker's own capacity", "Choose a specification"},
    };
#undef OVERLOAD
    for (size_t i = 0; i < sizeof by_limit / sizeof *by_limit; i++) {
        md = render(by_limit[i].dir, by_limit[i].met, GRP("web", "producer", 10, 0, 0),
                    by_limit[i].prod, "", "", "");
        expect_in(md, by_limit[i].want);
        expect_not_in(md, by_limit[i].unwanted);
        free(md);
    }
    const char *burst = M("throttled_sends", 5000, "count") "," M("throttled_sends_overload", 0, "count");
    md = render("build/test-advice/thr-burst", burst, GRP("web", "producer", 10, 10, 0),
                PROD("web", 500, 10, "true"), "", "", "");
    expect_not_in(md, "cannot take the offered load");
    expect_in(md, "none of them while the producers offered more messages per second");
    free(md);
}

/* Undelivered messages are named by what they are: lost, expired, or cut
** off by the end of the run (pending), never all called "lost". */
static void test_undelivered_named(void **state)
{
    (void)state;
    const char *met = M("undelivered_fraction", 0.1, "ratio") "," M("lost", 3, "msgs") ","
        M("expired", 2, "msgs") "," M("still_stored", 120, "msgs") ","
        M("still_in_producers", 100, "msgs");
    char *md = render("build/test-advice/undelivered", met, GRP("web", "producer", 1, 0, 0),
                      PROD("web", 10, 1, "true"), "", "", "");
    expect_in(md, "10 % of the messages sent after warm-up were not delivered by the end of "
                  "the run: lost, expired, or still pending although due (a delayed or "
                  "scheduled message not yet due when the run ended is left out of this "
                  "share). Over the whole run, preloaded and scheduled messages included: 3 "
                  "lost, 2 expired, 120 still pending when it ended (100 of them held by "
                  "producers). What becomes of a pending message after the end is not "
                  "simulated, so none is counted as lost.");
    /* the share leaves out messages not yet due, the totals do not: the
    ** paragraph used to list every pending message beside the share, and
    ** call them all "not lost" */
    expect_not_in(md, "not lost");
    free(md);
    /* scheduled messages whose TTL (from the start) ends after the 1h run
    ** but before they are due (uniform 170-180 min, TTL 90 min) will
    ** expire; those due at 110-120 min without a TTL, and a TTL that ends
    ** within the run or after the due time, prove nothing */
    const char *sched =
        ", \"run\": {\"duration_s\": 3600}, \"scheduled\": ["
        "{\"messages\": 2000, \"ttl_s\": 0, \"deliver_at\": {\"dist\": \"uniform\", "
        "\"params\": {\"lo\": 6600, \"hi\": 7200}}},"
        "{\"messages\": 2000, \"ttl_s\": 5400, \"deliver_at\": {\"dist\": \"uniform\", "
        "\"params\": {\"lo\": 10200, \"hi\": 10800}}},"
        "{\"messages\": 7, \"ttl_s\": 1800, \"deliver_at\": {\"dist\": \"constant\", "
        "\"params\": {\"value\": 10200}}},"
        "{\"messages\": 9, \"ttl_s\": 5400, \"deliver_at\": {\"dist\": \"exponential\", "
        "\"params\": {\"mean\": 10200}}}]";
    md = render("build/test-advice/undelivered-ttl", met, GRP("web", "producer", 1, 0, 0),
                PROD("web", 10, 1, "true"), "", sched, "");
    expect_in(md, "(100 of them held by producers; 2000 of them are scheduled messages whose "
                  "TTL ends after the run but before they are due, so they will expire)");
    free(md);
}

/* Quiet figures beside a warning do not read "No action needed". */
static void test_quiet_with_warning(void **state)
{
    (void)state;
    char *md = render("build/test-advice/quiet", M("duplicates", 0, "msgs"),
                      GRP("web", "producer", 1, 0, 0), PROD("web", 10, 1, "true"), "", "", "");
    expect_in(md, "No action needed");
    free(md);
    const char *path = "build/test-advice/quiet/summary.json";
    char cmd[512];
    snprintf(cmd, sizeof cmd, "sed -i 's/\"warnings\": \\[\\]/\"warnings\": [\"the server "
             "closed 4 connections\"]/' %s", path);
    assert_int_equal(sh(cmd), 0);
    sim_err e = {{0}};
    if (report_write("build/test-advice/quiet", &e)) fail_msg("report_write: %s", e.msg);
    char *md2 = slurp("build/test-advice/quiet/report.md");
    assert_non_null(md2);
    expect_not_in(md2, "No action needed");
    expect_in(md2, "the warnings above still apply");
    free(md2);
}

/* The overload figures come from the run: a group's rate is the whole
** group's (10 clients at 800 msg/s offer 800 msg/s, not 8000), and the
** capacity that refused is the new spec (600), not the old (1000). */
static void test_overload_from_run(void **state)
{
    (void)state;
    const char *dir = "build/test-advice/overload-run";
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && cat > '%s/s.yaml' <<'EOF'\n"
             "name: overload\nrun: { duration: 8m, seed: 3 }\n"
             "instance: { kind: rabbitmq, edition: professional, spec_tps: 1000 }\n"
             "clusters: [ { name: shared, brokers: [ { name: b1 } ] } ]\n"
             "queues: [ { name: q, broker: b1 } ]\n"
             "producers: [ { name: web, queue: q, count: 10, rate: { steps: [ {at: 0s, rate: 400}, "
             "{at: 5m, rate: 800} ] } } ]\n"
             "consumers: [ { name: w, queue: q, count: 4, concurrency: 4, prefetch: 50, "
             "processing: { dist: exponential, mean: 10ms } } ]\n"
             "rabbitmq_conversion: { at: 2m, to: { edition: enterprise, spec_tps: 600 } }\n"
             "EOF\n'%s' run '%s/s.yaml' --no-baseline --no-plots --out '%s/out' >/dev/null 2>&1",
             dir, dir, dir, mqsim(), dir, dir);
    assert_int_equal(sh(cmd), 0);
    static const char *const want[] = {"overload_offered_rate,800,", "overload_capacity,600,",
                                       "overload_from_s,30[0-9]\\."};
    for (int i = 0; i < 3; i++) {
        snprintf(cmd, sizeof cmd, "grep -q '^%s' '%s/out/summary.csv'", want[i], dir);
        if (sh(cmd) != 0) fail_msg("summary.csv lacks %s", want[i]);
    }
    snprintf(cmd, sizeof cmd, "'%s' report '%s/out' >/dev/null && grep -q 'offer up to 800 "
             "msg/s against a specification of 600 msg/s' '%s/out/report.md'", mqsim(), dir, dir);
    assert_int_equal(sh(cmd), 0);
    /* RabbitMQ: what the figures assume of the application after a 530 */
    snprintf(cmd, sizeof cmd, "grep -q 'Make sure the producers reopen a channel the broker "
             "closed' '%s/out/report.md'", dir);
    assert_int_equal(sh(cmd), 0);
}

/* Run one scenario (YAML on stdin of a here-document) into dir/out;
** 0 when the run exits 0. */
static int run_yaml(const char *dir, const char *yaml)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && cat > '%s/s.yaml' <<'EOF'\n%sEOF\n"
             "'%s' run '%s/s.yaml' --no-baseline --no-plots --out '%s/out' >/dev/null 2>&1",
             dir, dir, dir, yaml, mqsim(), dir, dir);
    return sh(cmd);
}

static bool summary_has(const char *dir, const char *row)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "grep -q '^%s' '%s/out/summary.csv'", row, dir);
    return sh(cmd) == 0;
}

/* A broker's capacity is compared with the rate offered to that broker,
** not with the whole instance's: two brokers of 1000 msg/s, each offered
** 800 msg/s, refuse a reconnect burst, never for overload (the model
** once compared 1600 with 1000). Offered 1200 and 400, the first broker
** is overloaded at 1200 msg/s, by its own capacity. The rate offered to
** a broker follows the producers that move to it. */
static void test_overload_per_broker(void **state)
{
    (void)state;
#define TWO_BROKERS(r1, r2)                                                                    \
    "name: two\nrun: { duration: 4m, seed: 3 }\n"                                             \
    "instance: { kind: rabbitmq, edition: professional }\n"                                  \
    "clusters: [ { name: c, brokers: [ { name: b1, capacity_tps: 1000 }, "                    \
    "{ name: b2, capacity_tps: 1000 } ] } ]\n"                                                \
    "queues: [ { name: q1, broker: b1 }, { name: q2, broker: b2 } ]\n"                        \
    "producers: [ { name: p1, queue: q1, count: 10, rate: " r1 " }, "                         \
    "{ name: p2, queue: q2, count: 10, rate: " r2 " } ]\n"                                    \
    "consumers: [ { name: w1, queue: q1, count: 4, concurrency: 4, prefetch: 50, "            \
    "processing: { dist: exponential, mean: 10ms } }, { name: w2, queue: q2, count: 4, "      \
    "concurrency: 4, prefetch: 50, processing: { dist: exponential, mean: 10ms } } ]\n"       \
    "events: [ { at: 1m, type: disconnect, duration: 20s } ]\n"
    const char *even = "build/test-advice/overload-even";
    assert_int_equal(run_yaml(even, TWO_BROKERS("800", "800")), 0);
    assert_false(summary_has(even, "throttled_sends,0,"));
    assert_true(summary_has(even, "throttled_sends_overload,0,"));
    assert_true(summary_has(even, "overload_offered_rate,nan,.*not_applicable"));
    const char *hot = "build/test-advice/overload-hot";
    assert_int_equal(run_yaml(hot, TWO_BROKERS("1200", "400")), 0);
    assert_true(summary_has(hot, "overload_offered_rate,1200,"));
    assert_true(summary_has(hot, "overload_capacity,1000,"));
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "awk -F, '$1 == \"throttled_sends_overload\" { o = $2 } "
             "$1 == \"throttled_overload_broker\" { b = $2 } END { exit !(o > 0 && o == b) }' "
             "'%s/out/summary.csv'", hot);
    assert_int_equal(sh(cmd), 0);
#undef TWO_BROKERS
    /* RocketMQ rolling restart: broker-a's producers fail over to b and c,
    ** which are then offered 300 msg/s each against 250 (never 600, the
    ** whole instance's rate), and only from the first restart (5m) on */
    const char *failover = "build/test-advice/overload-failover";
    assert_int_equal(run_yaml(failover,
        "name: failover\nrun: { duration: 8m, seed: 7 }\n"
        "instance: { kind: rocketmq, edition: professional, sub_category: cluster, spec_tps: 1000 }\n"
        "clusters: [ { name: main, brokers: [ { name: a, capacity_tps: 250 }, "
        "{ name: b, capacity_tps: 250 }, { name: c, capacity_tps: 250 } ] } ]\n"
        "queues: [ { name: qa, broker: a }, { name: qb, broker: b }, { name: qc, broker: c } ]\n"
        "producers: [ { name: pa, queue: qa, count: 4, profile: rocketmq-4, rate: 200 }, "
        "{ name: pb, queue: qb, count: 4, profile: rocketmq-4, rate: 200 }, "
        "{ name: pc, queue: qc, count: 4, profile: rocketmq-4, rate: 200 } ]\n"
        "consumers: [ { name: wa, queue: qa, count: 2, profile: rocketmq-4, processing: { dist: exponential, mean: 20ms } }, "
        "{ name: wb, queue: qb, count: 2, profile: rocketmq-4, processing: { dist: exponential, mean: 20ms } }, "
        "{ name: wc, queue: qc, count: 2, profile: rocketmq-4, processing: { dist: exponential, mean: 20ms } } ]\n"
        "rocketmq_change: { at: 5m, to: { spec_tps: 2000 }, rolling: { batch_size: 1, node_downtime: 5s, "
        "batch_interval: 60s } }\n"), 0);
    assert_true(summary_has(failover, "overload_offered_rate,300,"));
    assert_true(summary_has(failover, "overload_capacity,250,"));
    assert_true(summary_has(failover, "overload_from_s,30[0-9]\\."));
    /* RocketMQ's SDK backs off by itself: no channel to reopen */
    snprintf(cmd, sizeof cmd, "'%s' report '%s/out' >/dev/null && ! grep -q 'reopen a channel' "
             "'%s/out/report.md'", mqsim(), failover, failover);
    assert_int_equal(sh(cmd), 0);
}

/* A backlog left by consumers that never reconnected is not a reason to
** add consumers; one left by too few consumers is; one the run ended
** before, with consumers ahead of the load and no budget, is a reason to
** run longer. */
static void test_advice_drain(void **state)
{
    (void)state;
    const char *met = "{\"metric\": \"drain_time_s\", \"value\": null, \"unit\": \"s\", "
                      "\"status\": \"not_reached\", \"lower_bound\": 900},"
                      M("backlog_at_drain_start", 5000, "msgs") "," M("consume_capacity", 100, "msg/s")
                      "," M("offered_rate_at_drain_start", 90, "msg/s");
    char *md = render("build/test-advice/drain-cut", met, GRP("workers", "consumer", 3, 3, 3),
                      "", CONS("workers", "false"), "", "");
    expect_not_in(md, "Add consumers");
    expect_in(md, "because 3 consumers are disconnected");
    expect_in(md, "Restart group workers after the change: all 3 of its clients never "
                  "reconnected");
    expect_in(md, "no automatic reconnect");
    expect_in(md, "drain_time_s: \u2265 15m (not reached within the run)");
    free(md);
    md = render("build/test-advice/drain-few", met, GRP("workers", "consumer", 3, 0, 0), "",
                CONS("workers", "true"), "", "");
    /* a scenario without a change (capacity-drain): no "before the change" */
    expect_in(md, "Add consumers or concurrency before the backlog builds up.");
    free(md);
    md = render("build/test-advice/drain-few-change", met, GRP("workers", "consumer", 3, 0, 0),
                "", CONS("workers", "true"), ", \"rabbitmq_conversion\": {\"at_s\": 60}", "");
    expect_in(md, "Add consumers or concurrency before the change.");
    free(md);
    /* consumers ahead of the load, no budget on the drain, and the fluid
    ** estimate past the run's end: the run was too short, not the
    ** consumers too few */
    const char *late = "{\"metric\": \"drain_time_s\", \"value\": null, \"unit\": \"s\", "
                       "\"status\": \"not_reached\", \"lower_bound\": 900},"
                       M("backlog_at_drain_start", 100000, "msgs") "," M("consume_capacity", 100, "msg/s")
                       "," M("offered_rate_at_drain_start", 50, "msg/s") ","
                       M("drain_time_fluid_s", 2000, "s");
    md = render("build/test-advice/drain-late", late, GRP("workers", "consumer", 3, 0, 0), "",
                CONS("workers", "true"), "", "");
    expect_in(md, "does not drain within the run, but it does drain: consumers take 100 msg/s "
                  "against 50 msg/s offered, about 33m20s in all (fluid estimate)");
    expect_not_in(md, "Add consumers");
    free(md);
    /* the same with consumers slower than the load */
    const char *slow = "{\"metric\": \"drain_time_s\", \"value\": null, \"unit\": \"s\", "
                       "\"status\": \"not_reached\", \"lower_bound\": 900},"
                       M("backlog_at_drain_start", 100000, "msgs") "," M("consume_capacity", 40, "msg/s")
                       "," M("offered_rate_at_drain_start", 50, "msg/s");
    md = render("build/test-advice/drain-slow", slow, GRP("workers", "consumer", 3, 0, 0), "",
                CONS("workers", "true"), "", "");
    expect_in(md, "consumers take 40 msg/s against 50 msg/s offered, less than arrives. Add "
                  "consumers or concurrency");
    free(md);
}

/* "Shorten reconnect intervals" only for clients that reconnect by
** themselves; a library without automatic reconnect gets other advice. */
static void test_advice_reconnect(void **state)
{
    (void)state;
    const char *met = M("delay_p99_s", 400, "s") ","
                      "{\"metric\": \"disruption_max_s\", \"value\": null, \"unit\": \"s\", "
                      "\"status\": \"censored_at_end\", \"lower_bound\": 2400}";
    const char *bud = "{\"line\": \"delay_p99_s <= 30\", \"metric\": \"delay_p99_s\", "
                      "\"limit\": 30, \"value\": 400, \"verdict\": \"fail\", "
                      "\"why\": \"the 95% CI reaches past the limit\"}";
    char *md = render("build/test-advice/rec-manual", met, GRP("go", "consumer", 3, 3, 3), "",
                      CONS("go", "false"), "", bud);
    expect_not_in(md, "reconnect intervals or detection");
    expect_in(md, "groups go have no automatic reconnect");
    expect_in(md, "\u2265 40m (never reconnected)");
    expect_in(md, "'delay_p99_s <= 30' fails: 6m40s against 30 s; the 95% CI reaches past the limit");
    free(md);
    /* Java clients cut off 40 s against a 30 s limit: their intervals matter */
    const char *java_long = "{\"group\": \"java\", \"role\": \"consumer\", \"clients\": 3, "
                            "\"clients_disrupted\": 3, \"clients_cut_off_at_end\": 0, "
                            "\"disruption_max_s\": 40}";
    md = render("build/test-advice/rec-auto", met, java_long, "", CONS("java", "true"), "", bud);
    expect_in(md, "shorten their reconnect intervals");
    free(md);
    /* cut off 5 s: not why a 30 s delay budget fails */
    const char *java_short = "{\"group\": \"java\", \"role\": \"consumer\", \"clients\": 3, "
                             "\"clients_disrupted\": 3, \"clients_cut_off_at_end\": 0, "
                             "\"disruption_max_s\": 5}";
    md = render("build/test-advice/rec-auto5", met, java_short, "", CONS("java", "true"), "", bud);
    expect_not_in(md, "reconnect intervals");
    free(md);
}

/* summary.json records the change that was evaluated: its block with the
** values used, and each default it relied on with its source. */
static void test_summary_records_change(void **state)
{
    (void)state;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf build/test-advice/chg && '%s' run "
             "scenarios/rabbitmq/dedicated-to-shared-no-autoreconnect.yaml --out "
             "build/test-advice/chg --no-baseline >/dev/null 2>&1", mqsim());
    sh(cmd);
    char *js = slurp("build/test-advice/chg/summary.json");
    assert_non_null(js);
    expect_in(js, "\"rabbitmq_conversion\": {");
    expect_in(js, "\"dual_write_s\": 120.0");
    expect_in(js, "\"other_tenants_tps\": 12000.0");
    expect_in(js, "\"key\": \"rabbitmq_conversion.phases.dual_write\",\n"
                  "        \"source\": \"assumption\",\n        \"value\": \"2m\"");
    expect_in(js, "\"key\": \"rabbitmq_conversion.source_stop\"");
    /* set in the file: not a default */
    expect_not_in(js, "\"key\": \"rabbitmq_conversion.destination.capacity_tps\"");
    free(js);
    /* the demo: a phase still open at the end reads as a lower bound, with
    ** the time of day from run.start_at */
    char *md = run_report("scenarios/demo/conversion.yaml", "", "build/test-advice/demo", 3);
    expect_in(md, "| 02:08 (8m) | 02:20 (20m) | \u2265 12m | phase 3 source drain (still going on "
                  "when the run ended) |");
    expect_in(md, "| rabbitmq-java | send_timeout_s | 5.0 |");
    expect_in(md, "producers.web.send_timeout");
    free(md);
    snprintf(cmd, sizeof cmd, "rm -rf build/test-advice/rk && '%s' run "
             "scenarios/rocketmq/spec-upgrade.yaml --out build/test-advice/rk --no-baseline "
             ">/dev/null 2>&1", mqsim());
    sh(cmd);
    js = slurp("build/test-advice/rk/summary.json");
    assert_non_null(js);
    expect_in(js, "\"rocketmq_change\": {");
    expect_in(js, "\"key\": \"rocketmq_change.http_disruption\"");
    free(js);
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
    const char *want[] = {"FAIL: 1 of 2 budget lines fail.", "- 'lost == 0' fails: ",
                          "## Risk budget",
                          "| lost == 0 |", "## Effect of the scenario's events", "disruption_max_s",
                          "b1 restart", "![delay.png](delay.png)", "duplicates_requeue",
                          "| workers | consumer | rabbitmq-java |", "assumption:",
                          "Make consumers idempotent (workers: 3.333): 3.333 duplicates expected (requeue 3.333).",
                          "msgs are lost",
                          /* 3000 lost move the p99: the delay effect says whose it is */
                          "to the p99 delay over the delivered messages ("};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr(md, want[i])) fail_msg("report.md lacks '%s'", want[i]);
    /* six plots embedded (delay, backlog, throughput, clients per group,
    ** percentiles, cut-off per group), nothing fetched from the network */
    size_t imgs = 0;
    for (const char *p = html; (p = strstr(p, "<img ")); p++) imgs++;
    assert_int_equal(imgs, 6);
    assert_non_null(strstr(html, "src=\"data:image/png;base64,iVBORw0KGgo"));
    assert_null(strstr(html, "http://"));
    assert_null(strstr(html, "https://"));
    assert_null(strstr(html, "<script"));
    free(md);
    free(html);
    /* a plot another run left in the folder is not this run's: not embedded */
    sh("cp build/test-report/o/delay.png build/test-report/o/old-run.png && "
       ": > build/test-report/o/empty.png");
    snprintf(cmd, sizeof cmd, "'%s' report build/test-report/o >/dev/null 2>&1", mqsim());
    assert_int_equal(sh(cmd), 0);
    md = slurp("build/test-report/o/report.md");
    assert_non_null(md);
    expect_not_in(md, "old-run.png");
    free(md);
    sh("rm -f build/test-report/o/old-run.png build/test-report/o/empty.png");
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
    char *md = report_of_yaml("build/test-report-day",
        "name: day\nrun: { duration: 9h, start_at: \"02:00\", sample_interval: 1m, seed: 5 }\n"
        ONE_BROKER
        "queues: [ { name: q, broker: b1 } ]\n"
        "producers:\n  - name: web\n    count: 4\n    rate:\n"
        "      steps: [ {at: 0s, rate: 10}, {at: 8h, rate: 80}, {at: 20h, rate: 10} ]\n"
        "      period: 24h\n"
        "consumers: [ { name: w, count: 2, prefetch: 20, processing: { dist: exponential, mean: 5ms } } ]\n"
        "events: [ { at: 7h, type: broker_restart, broker: b1, duration: 30s } ]\n",
        "--replications 2", 0);
    /* night rate 10 msg/s from 20:00; the window 02:00-11:00 averages more.
    ** The restart is 7h into the window: 09:00, and 03:00 moved with it
    ** (the advice used to name the window's start as the restart's) */
    if (!strstr(md, "Schedule the scenario's events from 03:00 instead of 09:00 (the run window "
                    "from 20:00 instead of 02:00): p99 delay"))
        fail_msg("no start-time recommendation in report.md:\n%s", md);
    free(md);
    assert_int_equal(sh("grep -q '\"suggested_start\": \"20:00\"' build/test-report-day/o/summary.json"), 0);
    /* producers that drop while a 5-minute restart lasts: 2 % of the
    ** messages lost, which moves the p99, so the hours are compared on the
    ** p99 that counts them (the delivered-only one hides the loss) */
    md = report_of_yaml("build/test-report-day",
        "name: day\nrun: { duration: 9h, start_at: \"02:00\", sample_interval: 1m, seed: 5 }\n"
        ONE_BROKER
        "queues: [ { name: q, broker: b1 } ]\n"
        "producers:\n  - name: web\n    count: 4\n    on_disconnect: drop\n    rate:\n"
        "      steps: [ {at: 0s, rate: 10}, {at: 8h, rate: 80}, {at: 20h, rate: 10} ]\n"
        "      period: 24h\n"
        "consumers: [ { name: w, count: 2, prefetch: 20, processing: { dist: exponential, mean: 5ms } } ]\n"
        "events: [ { at: 7h, type: broker_restart, broker: b1, duration: 5m } ]\n",
        "--replications 2", 0);
    if (!strstr(md, "from 20:00 instead of 02:00): p99 delay (undelivered messages counted as "
                    "delayed until the end) goes from"))
        fail_msg("the start-time recommendation does not judge the p99 counting the lost "
                 "messages:\n%s", md);
    free(md);
}

/* The change's own p99 delay and what the start time can do about it,
** derived from the load: a consumer group cut off for 2 min delays about
** 3 % of an hour's messages by up to 2 min at any rate. With a flat load
** the model cannot compare hours, and says so; with a day profile the
** start-time search ran the change
** at 20:00 (a quarter of the load) and the p99 stayed: the report used to
** advise "schedule it in a quiet hour" in both. */
static void test_start_advice_from_load(void **state)
{
    (void)state;
    const char *base =
        "name: sa\nrun: { duration: 1h, start_at: \"02:00\", sample_interval: 1m, seed: 5 }\n"
        ONE_BROKER
        "queues: [ { name: q, broker: b1 } ]\n"
        "consumers: [ { name: w, count: 2, prefetch: 20, processing: { dist: exponential, "
        "mean: 5ms } } ]\n"
        "events: [ { at: 10m, type: disconnect, duration: 2m, groups: [w] } ]\n"
        "producers:\n  - name: web\n    count: 4\n";
    const char *rate[2] = {
        "    rate: 40\n",
        "    rate:\n      steps: [ {at: 0s, rate: 40}, {at: 8h, rate: 80}, {at: 20h, rate: 10} ]\n"
        "      period: 24h\n"};
    const char *want[2] = {
        "the scenario's load is the same at every hour (no day profile), so it cannot show "
        "what a quieter hour would change: give the producers their day profile",
        "the quietest start hour does not lower the p99 delay by 5 % or more (start-time "
        "search)."};
    for (int i = 0; i < 2; i++) {
        char yaml[2048];
        snprintf(yaml, sizeof yaml, "%s%s", base, rate[i]);
        char *md = report_of_yaml("build/test-advice-start", yaml, "--replications 2", 0);
        expect_in(md, "The scenario's events add"); /* a disconnect event, no change */
        expect_in(md, want[i]);
        expect_not_in(md, "quiet hour");
        expect_not_in(md, "(the run window from ");
        free(md);
    }
}

/* Lost messages: the remedy follows the cause the model counted and the
** settings of the groups involved. Producers that retry (3 times, 2 s
** apart) and a consumer group with manual acks, busy (40 msg/s offered,
** 20 msg/s taken, so their buffers are full), all cut off for 2 min:
** only the retries are named. Producers that drop and a consumer group
** with auto acks: both, each with its own remedy. The report used to say
** "let producers buffer or retry ..., and use manual acks" to both. */
static void test_lost_advice_from_cause(void **state)
{
    (void)state;
    const char *yaml =
        "name: lost\nrun: { duration: 30m, sample_interval: 1m, seed: 5 }\n"
        ONE_BROKER
        "queues: [ { name: q, broker: b1 } ]\n"
        "producers: [ { name: web, count: 4, rate: 40%s } ]\n"
        "consumers: [ { name: w, count: 2, prefetch: 20%s, processing: { dist: exponential, "
        "mean: 100ms } } ]\n"
        "events: [ { at: 10m, type: disconnect, duration: 2m } ]\n";
    const char *var[2][2] = {{"", ""}, {", on_disconnect: drop", ", ack: auto"}};
    for (int i = 0; i < 2; i++) {
        char text[2048];
        snprintf(text, sizeof text, yaml, var[i][0], var[i][1]);
        char *md = report_of_yaml("build/test-advice-lost", text, "--no-baseline", 0);
        expect_in(md, "msgs are lost (");
        if (i == 0) {
            expect_in(md, "auto-acked in a dropped consumer): producer groups web give up "
                          "after their retries");
            expect_not_in(md, "manual acks");
            expect_not_in(md, "drop a send");
        } else {
            expect_in(md, "producer groups web drop a send that fails while they are "
                          "disconnected: let them buffer it or retry it; consumer groups w "
                          "acknowledge on delivery");
            expect_in(md, "use manual acks.");
            expect_not_in(md, "give up after their retries");
        }
        free(md);
    }
}

/* Duplicates are counted at the consumer group that processed them: two
** groups on two queues, only "orders" (and its queue's producers) cut off,
** so only "orders" is asked to de-duplicate; "audit" processed none and is
** left out (the report used to name every group that does not
** de-duplicate). The per-group counts add up to the run's total (the
** model checks that on every run). */
static void test_duplicates_per_group(void **state)
{
    (void)state;
    char *md = report_of_yaml("build/test-advice-dups",
        "name: twog\nrun: { duration: 5m, sample_interval: 10s, seed: 3 }\n"
        ONE_BROKER
        "queues: [ { name: q1, broker: b1 }, { name: q2, broker: b1 } ]\n"
        "producers: [ { name: p1, queue: q1, count: 2, rate: 50 }, "
        "{ name: p2, queue: q2, count: 2, rate: 50 } ]\n"
        "consumers:\n"
        "  - { name: orders, queue: q1, count: 2, prefetch: 50, processing: "
        "{ dist: exponential, mean: 20ms } }\n"
        "  - { name: audit, queue: q2, count: 2, prefetch: 50, processing: "
        "{ dist: exponential, mean: 20ms } }\n"
        "events: [ { at: 1m, type: disconnect, duration: 10s, groups: [orders, p1] } ]\n",
        "--replications 2", 0);
    expect_in(md, "- Make consumers idempotent (orders: ");
    expect_not_in(md, "audit: ");
    expect_in(md, "| audit | consumer | rabbitmq-java | 2 | 0 s | 0 s | 0 | 0 | 0 |");
    free(md);
    assert_int_equal(sh("grep -q '\"duplicates\": 0.0' build/test-advice-dups/o/summary.json"), 0);
}

/* Clients still cut off at the end: the advice follows the state the model
** recorded for each client, not the group's settings. One client per
** state: in its back-off (60 s interval, dropped 20 s before the end),
** refused by its broker past the end (a 2-minute disconnect 20 s before
** it), no automatic reconnect (pika), an application restart due after the
** end, and gave up (max_attempts 2 within a 1-minute refusal). Then
** RocketMQ clients on the public endpoint when Internet access is turned
** off: refused for good, so neither "restart" nor "retry longer" is
** advised. The report used to tell every one of them to restart, and the
** last ones to raise reconnect.max_attempts and retry longer. */
#define PROC ", processing: { dist: exponential, mean: 5ms }"
static void test_cut_off_why(void **state)
{
    (void)state;
    char *md = report_of_yaml("build/test-advice-why",
        "name: why\nrun: { duration: 10m, sample_interval: 10s, seed: 4 }\n"
        ONE_BROKER
        "queues: [ { name: q, broker: b1 } ]\n"
        "producers: [ { name: web, count: 2, rate: 20 } ]\n"
        "consumers:\n"
        "  - { name: late, count: 1, reconnect: { interval: 60s }" PROC " }\n"
        "  - { name: down, count: 1" PROC " }\n"
        "  - { name: nope, count: 1, profile: pika" PROC " }\n"
        "  - { name: later, count: 1, profile: pika, reconnect: { app_restart: 10m }" PROC " }\n"
        "  - { name: quit, count: 1, reconnect: { max_attempts: 2, interval: 1s }" PROC " }\n"
        "events:\n"
        "  - { at: 580s, type: disconnect, duration: 5s, groups: [late] }\n"
        "  - { at: 580s, type: disconnect, duration: 2m, groups: [down] }\n"
        "  - { at: 5m, type: disconnect, duration: 1m, groups: [nope, later, quit] }\n",
        "--no-baseline", 0);
    static const char *const want[][2] = {
        {"late", "1 still detecting the drop or in their reconnect back-off: a longer "
                 "run.duration shows when they return."},
        {"down", "1 refused by their broker until after the end of the run"},
        {"nope", "1 without automatic reconnect, and no application restart was due: enable "
                 "automatic recovery"},
        {"later", "1 waiting for an application restart due after the end of the run."},
        {"quit", "1 gave up reconnecting (reconnect.max_attempts)"},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        char line[512];
        snprintf(line, sizeof line, "- Group %s: its 1 client was still cut off when the "
                 "run ended: %s", want[i][0], want[i][1]);
        expect_in(md, line);
    }
    expect_not_in(md, "Restart group");
    free(md);
    md = report_of_yaml("build/test-advice-why",
        "name: closed\nrun: { duration: 5m, sample_interval: 10s, seed: 4 }\n"
        "instance: { kind: rocketmq, edition: standard, sub_category: cluster, billing: payg, "
        "spec_tps: 2000, internet: true }\n"
        "clusters: [ { name: c, brokers: [ { name: a } ] } ]\n"
        "queues: [ { name: q, broker: a } ]\n"
        "producers: [ { name: web, count: 2, rate: 20, profile: rocketmq-5, endpoint: public } ]\n"
        "consumers: [ { name: w, count: 1, profile: rocketmq-5, idempotent: true" PROC " } ]\n"
        "rocketmq_change: { at: 1m, to: { internet: false } }\n",
        "--no-baseline", 0);
    expect_in(md, "- Group web: both its clients were still cut off when the run ended: 2 "
                  "refused for good");
    /* refused for good: no run length ends their cut-off */
    expect_in(md, "- disruption_max_s: \u2265 ");
    expect_in(md, "no run length shows its end: 2 clients never reconnect by themselves");
    expect_in(md, "producer groups web send into an endpoint the change closed to them for good");
    expect_in(md, "; the failed sends by cause: lost_internet_off ");
    expect_not_in(md, "Restart group");
    expect_not_in(md, "give up after their retries");
    expect_not_in(md, "raise it or let them retry");
    /* the change's loss causes sit under the total they are part of */
    expect_in(md, "| \u00a0\u00a0sends that failed for good (no retry or buffer left) | "
                  "lost_send_failed |");
    expect_in(md, "| \u00a0\u00a0\u00a0\u00a0RocketMQ: sends of public-endpoint clients lost "
                  "because Internet access was off | lost_internet_off |");
    free(md);
}

/* Shared -> dedicated (the seed: existing connections stay; "restart your
** application to reconnect"): the restart advice follows who is on the source
** when the run ends. A restart after phase 4 moved them all: no advice. A
** restart while the destination is still being created reconnects them to the
** source, and the advice says a restart must come after phase 1. */
static void test_restart_advice_follows_the_end(void **state)
{
    (void)state;
    const char *base =
        "name: t\nrun: { duration: 10m, warmup: 0s, sample_interval: 5s, seed: 2 }\n"
        "instance: { kind: rabbitmq, edition: professional, deployment: shared }\n"
        "clusters: [ { name: sh, brokers: [ { name: b1 } ] } ]\n"
        "queues: [ { name: q, broker: b1 } ]\n"
        "producers: [ { name: p, count: 2, profile: rabbitmq-java, rate: 20 } ]\n"
        "consumers: [ { name: c, count: 2, profile: rabbitmq-java, prefetch: 20,"
        " processing: { dist: exponential, mean: 10ms } } ]\n"
        "%s"
        "rabbitmq_conversion:\n  at: %s\n  to: { edition: platinum }\n"
        "  destination: { create_time: %s }\n  phases: { dual_write: 1m, single_write: 1m }\n";
    char yaml[2048];
    /* phase 4 at 3m30s; everyone restarts at 6m */
    snprintf(yaml, sizeof yaml, base, "events: [ { at: 6m, type: app_restart, duration: 10s } ]\n",
             "30s", "1m");
    char *md = report_of_yaml("build/test-advice/restart-after-p4", yaml, "--no-plots", 0);
    expect_not_in(md, "Restart the applications");
    expect_not_in(md, "still connected to the source cluster");
    free(md);
    /* the same without the restart: all 4 stay, and the advice says so */
    snprintf(yaml, sizeof yaml, base, "", "30s", "1m");
    md = report_of_yaml("build/test-advice/no-restart", yaml, "--no-plots", 0);
    expect_in(md, "Restart the applications during off-peak hours: 4 clients are still "
                  "connected to the source cluster when the run ends");
    free(md);
    /* conversion at 8m with a 10 m creation: a restart at 9m is before phase 1 */
    snprintf(yaml, sizeof yaml, base, "events: [ { at: 9m, type: app_restart, duration: 10s } ]\n",
             "8m", "10m");
    md = report_of_yaml("build/test-advice/restart-before-p1", yaml, "--no-plots", 0);
    expect_in(md, "The migration had not begun when the run ended");
    expect_in(md, "a restart before phase 1 reconnects them there");
    free(md);
}

/* The start-time advice names the change's clock time, now and moved,
** beside the run window's: peak-vs-offpeak's window starts at 02:00 and
** its change is 7h in (09:00); the quietest window starts at 20:00, so the
** change would be at 03:00 (the advice said "Start at 20:00 instead of
** 02:00"). Its three figures are written alike, 4 significant digits
** (duplicates were rounded to whole numbers beside a 4-digit delay). */
static void test_start_names_change_clock(void **state)
{
    (void)state;
    const char *dir = "build/test-advice/start-clock";
    char *md = render(dir, M("delay_p99_s", 0.0935, "s"), GRP("web", "producer", 4, 0, 0),
                      PROD("web", 40, 4, "true"), "",
                      ", \"run\": {\"start_clock_s\": 7200, \"duration_s\": 32400}, "
                      "\"rabbitmq_conversion\": {\"at_s\": 25200}", "");
    free(md);
    md = rerender_with(dir, "\"alternative_start\": {\"current_start\": \"02:00\", "
                            "\"suggested_start\": \"20:00\", \"offered_rate_current\": 46.64, "
                            "\"offered_rate_suggested\": 20, \"current\": {\"delay_p99_s\": "
                            "0.09351, \"duplicates\": 18, \"lost\": 2.5}, \"suggested\": "
                            "{\"delay_p99_s\": 0.09318, \"duplicates\": 3.3333333, "
                            "\"lost\": 0}}");
    expect_in(md, "- Make the change at 03:00 instead of 09:00 (the run window from 20:00 "
                  "instead of 02:00): p99 delay goes from 0.09351 s to 0.09318 s, duplicates "
                  "from 18 to 3.333, lost from 2.5 to 0 (the same 1 replication at each start");
    expect_not_in(md, "Start at 20:00");
    free(md);
}

/* Clients that never come back by themselves (no automatic reconnect, or
** refused for good) end no cut-off however long the run: the cut-off
** metrics they hold open say so, instead of "a longer run.duration shows
** the end"; a client still in its back-off is not one of them. */
static void test_never_back(void **state)
{
    (void)state;
    const char *met = "{\"metric\": \"disruption_max_s\", \"value\": null, \"unit\": \"s\", "
                      "\"status\": \"censored_at_end\", \"lower_bound\": 720}";
#define WHY_GRP(state)                                                                     \
    "{\"group\": \"idle\", \"role\": \"consumer\", \"profile\": \"pika\", \"clients\": 1, " \
    "\"clients_disrupted\": 1, \"clients_cut_off_at_end\": 1, \"cut_off_at_end_why\": {\"" \
    state "\": 1}}"
    char *md = render("build/test-advice/never-back", met, WHY_GRP("no_recovery"), "",
                      CONS("idle", "false"), "", "");
    expect_in(md, "Did not finish within the run (values are lower bounds; a longer "
                  "run.duration shows the end unless a line says otherwise):");
    expect_in(md, "- disruption_max_s: \u2265 12m (never reconnected); no run length shows its "
                  "end: 1 client never reconnects by itself");
    free(md);
    md = render("build/test-advice/back-later", met, WHY_GRP("reconnecting"), "",
                CONS("idle", "true"), "", "");
    expect_in(md, "a longer run.duration shows the end):");
    expect_not_in(md, "no run length");
    free(md);
#undef WHY_GRP
}

/* Throttling by the Internet bandwidth: 200 msg/s of 1000 bytes on the
** public endpoint is 1.6 Mbit/s against 1 Mbit/s after the change, a
** lasting overload that only more bandwidth removes (the report used to
** advise jitter for bursts: the bandwidth's refusals are never counted
** as message-rate overload). Under the bandwidth, the burst advice stays. */
static void test_bandwidth_overload(void **state)
{
    (void)state;
    const char *met = M("throttled_sends", 29877, "count") "," M("throttled_sends_overload", 0, "count");
    const char *prods = "{\"name\": \"devices\", \"count\": 2, \"endpoint\": \"public\", "
                        "\"msg_size_bytes\": 1000, \"rate\": {\"steps\": [{\"at_s\": 0, "
                        "\"rate\": 150}, {\"at_s\": 60, \"rate\": 200}]}}, "
                        "{\"name\": \"backend\", \"count\": 2, \"endpoint\": \"vpc\", "
                        "\"msg_size_bytes\": 1024, \"rate\": {\"steps\": [{\"at_s\": 0, "
                        "\"rate\": 100}]}}";
    const char *to1 = ", \"instance\": {\"bandwidth_mbps\": 20}, "
                      "\"rocketmq_change\": {\"at_s\": 120, \"to\": {\"bandwidth_mbps\": 1}}";
    char *md = render("build/test-advice/bandwidth", met, GRP("devices", "producer", 2, 0, 0),
                      prods, "", to1, "");
    expect_in(md, "- 29877 send attempts were throttled, none of them for too many messages per "
                  "second, and the producers on the public endpoint (devices) offer up to 1.6 Mbit/s "
                  "(200 msg/s) against an Internet bandwidth of 1 Mbit/s after the change: a "
                  "lasting overload of the bandwidth, not a burst. Raise the Internet bandwidth "
                  "to at least 1.6 Mbit/s");
    expect_not_in(md, "add jitter");
    free(md);
    const char *to2 = ", \"instance\": {\"bandwidth_mbps\": 20}, "
                      "\"rocketmq_change\": {\"at_s\": 120, \"to\": {\"bandwidth_mbps\": 2}}";
    md = render("build/test-advice/bandwidth-room", met, GRP("devices", "producer", 2, 0, 0),
                prods, "", to2, "");
    expect_in(md, "add jitter to reconnect intervals");
    expect_not_in(md, "Raise the Internet bandwidth");
    free(md);
}

/* The timeline in time order, equal starts as listed: the model lists the
** events after the change's phases (a blip at 8m30s came before a
** restart batch at 5m). */
static void test_timeline_order(void **state)
{
    (void)state;
    const char *dir = "build/test-advice/timeline";
    free(render(dir, M("duplicates", 0, "msgs"), GRP("web", "producer", 1, 0, 0),
                PROD("web", 10, 1, "true"), "", ", \"run\": {\"duration_s\": 600}", ""));
    char *md = rerender_with(dir, "\"timeline\": ["
        "{\"label\": \"batch 1\", \"t0_s\": 300, \"t1_s\": 305},"
        "{\"label\": \"batch 2\", \"t0_s\": 360, \"t1_s\": 365},"
        "{\"label\": \"restart\", \"t0_s\": 60, \"t1_s\": 90},"
        "{\"label\": \"blip\", \"t0_s\": 510, \"t1_s\": 550},"
        "{\"label\": \"also at 5m\", \"t0_s\": 300, \"t1_s\": 310}]");
    const char *order[] = {"| restart |", "| batch 1 |", "| also at 5m |", "| batch 2 |",
                           "| blip |"};
    const char *at = md;
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        const char *hit = strstr(at, order[i]);
        if (!hit) fail_msg("timeline: '%s' missing or out of order:\n%s", order[i], md);
        at = hit;
    }
    free(md);
}

/* A count of exactly 1 takes the singular: "1 msg", "its 1 client" (the
** report and the console printed "1 msgs" and "1 of its 1 clients were"). */
static void test_singular_counts(void **state)
{
    (void)state;
    char *md = render("build/test-advice/one", M("lost", 1, "msgs") "," M("lost_send_failed", 1, "msgs"),
                      GRP("web", "producer", 1, 1, 0), PROD("web", 10, 1, "true"), "", "", "");
    expect_in(md, "- 1 msg is lost (1 failed sends");
    expect_in(md, "| lost | 1 msg | lower |");
    expect_not_in(md, "1 msgs");
    free(md);
    sim_metrics m = {0};
    assert_int_equal(sim_metrics_add(&m, "still_stored", 1, "msgs", SIM_BETTER_NONE), 0);
    m.v[0].ci_lo = 0;
    m.v[0].ci_hi = 3.484;
    assert_int_equal(sim_metrics_add(&m, "backlog_max", 2, "msgs", SIM_BETTER_LOWER), 0);
    assert_int_equal(sim_metrics_add(&m, "offered", 1, "msg/s", SIM_BETTER_NONE), 0);
    char buf[96];
    assert_string_equal(cli_metric_text(&m, "still_stored", buf, sizeof buf),
                        "1 msg [0 msgs, 3.484 msgs]");
    assert_string_equal(cli_metric_text(&m, "backlog_max", buf, sizeof buf), "2 msgs");
    assert_string_equal(cli_metric_text(&m, "offered", buf, sizeof buf), "1 msg/s");
    sim_metrics_free(&m);
}

/* The console's pending line: their fate after the end is unknown, so it
** does not say "not lost" (scheduled messages among them may expire). */
static void test_console_pending(void **state)
{
    (void)state;
    sim_metrics m = {0};
    assert_int_equal(sim_metrics_add(&m, "still_stored", 4001, "msgs", SIM_BETTER_NONE), 0);
    fflush(stdout);
    int saved = dup(1);
    FILE *f = fopen("build/test-advice/flow.txt", "w");
    assert_non_null(f);
    dup2(fileno(f), 1);
    cli_print_flow(&m, cli_metric_text);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    fclose(f);
    sim_metrics_free(&m);
    char *out = slurp("build/test-advice/flow.txt");
    assert_non_null(out);
    expect_in(out, "  still pending when the run ended 4001 msgs (their fate after the end is "
                   "not simulated; not counted as lost)\n");
    expect_not_in(out, "not lost");
    free(out);
}

/* A paired difference the end of the run cut: with the baseline's side
** cut and the change's measured it is unknown and the words say so (not
** "never reconnected", which the change's clients did); with the change's
** side cut it is a bound. Warnings carry their note when there is one. */
static void test_delta_censored_words(void **state)
{
    (void)state;
    const char *dir = "build/test-report-delta";
    char *md = render(dir, M("disruption_max_s", 201, "s"), GRP("g", "consumer", 1, 1, 0), "",
                      CONS("g", "true"), "", "");
    free(md);
    md = rerender_with(dir, "\"baseline\": {\"effect_of\": \"the change\", \"what\": \"w\", "
                            "\"deltas\": [{\"metric\": \"disruption_max_s\", \"value\": null, "
                            "\"unit\": \"s\", \"status\": \"censored_at_end\", "
                            "\"lower_bound\": null}, {\"metric\": \"drain_time_s\", "
                            "\"value\": null, \"unit\": \"s\", \"status\": \"censored_at_end\", "
                            "\"lower_bound\": 30}]}, \"warnings_note\": \"NOTE\"");
    expect_in(md, "| disruption_max_s | unknown: never reconnected in the baseline (with the "
                  "change: 3m21s) |");
    expect_in(md, "| drain_time_s | \u2265 30 s (the change's run: still going on at the end of "
                  "the run) |");
    free(md);
    sh("sed -i 's/\"warnings\": \\[\\]/\"warnings\": [\"w1\"]/' build/test-report-delta/summary.json");
    md = rerender_with(dir, "\"x\": 0");
    expect_in(md, "Warnings (NOTE):");
    free(md);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_advice_throttling),
        cmocka_unit_test(test_overload_from_run),
        cmocka_unit_test(test_overload_per_broker),
        cmocka_unit_test(test_undelivered_named),
        cmocka_unit_test(test_quiet_with_warning),
        cmocka_unit_test(test_advice_drain),
        cmocka_unit_test(test_advice_reconnect),
        cmocka_unit_test(test_summary_records_change),
        cmocka_unit_test(test_report_contents),
        cmocka_unit_test(test_start_suggestion),
        cmocka_unit_test(test_start_advice_from_load),
        cmocka_unit_test(test_lost_advice_from_cause),
        cmocka_unit_test(test_duplicates_per_group),
        cmocka_unit_test(test_cut_off_why),
        cmocka_unit_test(test_restart_advice_follows_the_end),
        cmocka_unit_test(test_start_names_change_clock),
        cmocka_unit_test(test_never_back),
        cmocka_unit_test(test_bandwidth_overload),
        cmocka_unit_test(test_timeline_order),
        cmocka_unit_test(test_delta_censored_words),
        cmocka_unit_test(test_singular_counts),
        cmocka_unit_test(test_console_pending),
    };
    return cmocka_run_group_tests_name("report", t, NULL, NULL);
}
