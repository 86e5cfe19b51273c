/*
** test_rocketmq.c - the RocketMQ instance configuration change (issue 4):
** each change rule accepted or rejected with its message and line:col, the
** warnings, the seed's billing example, each duplicate cause isolated by a
** scenario in which only that cause can fire, the HTTP disruption bound,
** throttling after a downgrade below load, Internet disable, the rolling
** batches, and every bundled scenario (scenarios/rocketmq/ runs,
** scenarios/invalid/rocketmq-*.yaml is rejected with the rule in its first
** line "# expect: LINE:COL: text").
**
** Everything runs in-process (scn_load_string / scn_load_file and
** mq_model_run); cwd = repository root.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "io/scn_load.h"
#include "models/mq_model.h"
#include "models/change/mq_rocketmq.h"
#include "tests/test_run.h"
#include "tests/test_util.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A RocketMQ instance (instance keys in `inst`) with two brokers, a queue on
** each, `body` for groups and events, and `change` as the rocketmq_change
** section's body (indented 2). */
static const char *scn(const char *inst, const char *body, const char *change)
{
    static char buf[8192];
    snprintf(buf, sizeof buf,
             "name: t\n"
             "run: { duration: 3m, sample_interval: 1s, rtt: 1ms }\n"
             "instance: { kind: rocketmq, %s }\n"
             "clusters:\n  - name: main\n    brokers:\n      - name: a\n      - name: b\n"
             "queues:\n  - { name: qa, broker: a }\n  - { name: qb, broker: b }\n"
             "%s"
             "rocketmq_change:\n%s",
             inst, body, change);
    return buf;
}

static const char *const BASIC_BODY =
    "producers:\n  - { name: p, queue: qa, rate: 50 }\n"
    "consumers:\n  - { name: c, queue: qa, idempotent: true, processing: { dist: constant, value: 1ms } }\n";

static int load(const char *text, mq_scenario *s, sim_err *err)
{
    return scn_load_string("t.yaml", text, strlen(text), s, err);
}

static void must_load(const char *text, mq_scenario *s)
{
    sim_err err = {{0}};
    if (load(text, s, &err)) fail_msg("load failed: %s", err.msg);
}

/* Rejected, with `want` in the message (which starts "t.yaml:"). */
static void must_reject(const char *text, const char *want)
{
    mq_scenario s;
    sim_err err = {{0}};
    int rc = load(text, &s, &err);
    if (rc == 0) {
        mq_scenario_free(&s);
        fail_msg("accepted; expected an error containing '%s'", want);
    }
    if (!strstr(err.msg, want) || strncmp(err.msg, "t.yaml:", 7) != 0)
        fail_msg("error '%s' does not contain '%s'", err.msg, want);
}

static bool has_warning(const mq_scenario *s, const char *want)
{
    for (size_t i = 0; i < s->warnings.n; i++)
        if (strstr(s->warnings.v[i], want)) return true;
    return false;
}

static void run_text(const char *text, mq_result *r)
{
    mq_scenario s;
    must_load(text, &s);
    run_scn(&s, r);
    mq_scenario_free(&s);
}

/* ---- rules ------------------------------------------------------------ */

static void test_edition_upgrade_allowed(void **state)
{
    (void)state;
    mq_scenario s;
    must_load(scn("edition: standard, sub_category: standalone", BASIC_BODY,
                  "  at: 1m\n  to: { edition: professional, sub_category: standalone }\n"),
              &s);
    assert_non_null(mq_rocketmq_of(&s));
    assert_true(mq_rocketmq_of(&s)->has_edition);
    assert_int_equal(mq_rocketmq_of(&s)->edition, MQ_EDITION_PROFESSIONAL);
    assert_near(mq_rocketmq_of(&s)->at_s, 60, 0);
    mq_scenario_free(&s);
    must_load(scn("edition: professional", BASIC_BODY, "  at: 1m\n  to: { edition: platinum }\n"), &s);
    mq_scenario_free(&s);
}

static void test_edition_downgrade_rejected(void **state)
{
    (void)state;
    /* line 18 = "  to: ...", the edition value at column 18 */
    must_reject(scn("edition: professional", BASIC_BODY, "  at: 1m\n  to: { edition: standard }\n"),
                "t.yaml:18:18: rocketmq_change.to.edition: primary edition cannot be downgraded "
                "(Professional → Standard)");
    must_reject(scn("edition: platinum", BASIC_BODY, "  at: 1m\n  to: { edition: professional }\n"),
                "primary edition cannot be downgraded (Enterprise Platinum → Professional)");
}

static void test_subcategory_rule(void **state)
{
    (void)state;
    must_reject(scn("edition: standard, sub_category: standalone", BASIC_BODY,
                    "  at: 1m\n  to: { sub_category: cluster }\n"),
                "sub-category edition cannot change (Standalone → Cluster)");
    mq_scenario s;
    must_load(scn("edition: standard, sub_category: cluster", BASIC_BODY,
                  "  at: 1m\n  to: { edition: professional, sub_category: cluster }\n"),
              &s);
    mq_scenario_free(&s);
}

static void test_storage_rejected(void **state)
{
    (void)state;
    must_reject(scn("edition: professional", BASIC_BODY,
                    "  at: 1m\n  to: { spec_tps: 2000, storage: 500GB }\n"),
                "storage space cannot be changed: it is billed pay-as-you-go; adjust the "
                "message storage duration");
}

static void test_spec_internet_bandwidth_both_ways(void **state)
{
    (void)state;
    const char *changes[] = {
        "  at: 1m\n  to: { spec_tps: 4000 }\n",
        "  at: 1m\n  to: { spec_tps: 200 }\n",
        "  at: 1m\n  to: { internet: false }\n",
        "  at: 1m\n  to: { bandwidth: 50Mbps }\n",
        "  at: 1m\n  to: { bandwidth: 1Mbps }\n",
    };
    for (size_t i = 0; i < sizeof changes / sizeof *changes; i++) {
        mq_scenario s;
        must_load(scn("edition: professional, spec_tps: 1000, internet: true, bandwidth: 10Mbps",
                      BASIC_BODY, changes[i]),
                  &s);
        mq_scenario_free(&s);
    }
    mq_scenario s;
    must_load(scn("edition: professional, internet: false", BASIC_BODY,
                  "  at: 1m\n  to: { internet: true, bandwidth: 5Mbps }\n"),
              &s);
    mq_scenario_free(&s);
    must_reject(scn("edition: professional, internet: false", BASIC_BODY,
                    "  at: 1m\n  to: { bandwidth: 5Mbps }\n"),
                "Internet bandwidth needs Internet access");
    /* 0 is "unlimited", not "none": without Internet access it is refused too,
    ** whether the access was off already or the change turns it off */
    must_reject(scn("edition: professional, internet: false, bandwidth: 10Mbps", BASIC_BODY,
                    "  at: 1m\n  to: { bandwidth: 0 }\n"),
                "Internet bandwidth needs Internet access");
    must_reject(scn("edition: professional, internet: true, bandwidth: 10Mbps", BASIC_BODY,
                    "  at: 1m\n  to: { internet: false, bandwidth: 0 }\n"),
                "Internet bandwidth needs Internet access");
}

static void test_serverless_rules(void **state)
{
    (void)state;
    const char *inst_pro = "edition: professional, series: serverless";
    mq_scenario s;
    must_load(scn(inst_pro, BASIC_BODY, "  at: 1m\n  to: { edition: standard }\n"), &s);
    mq_scenario_free(&s);
    must_load(scn("edition: standard, billing: serverless", BASIC_BODY,
                  "  at: 1m\n  to: { edition: professional }\n"),
              &s);
    mq_scenario_free(&s);
    must_reject(scn(inst_pro, BASIC_BODY, "  at: 1m\n  to: { spec_tps: 5000 }\n"),
                "serverless instances can only change the primary edition; the computing "
                "specification cannot be changed");
    must_reject(scn(inst_pro, BASIC_BODY, "  at: 1m\n  to: { edition: platinum }\n"),
                "serverless instances can only change between the Standard and Professional "
                "editions (Professional → Enterprise Platinum)");
}

static void test_input_errors(void **state)
{
    (void)state;
    /* not a rocketmq instance */
    char text[8192];
    snprintf(text, sizeof text, "%s", scn("edition: professional", BASIC_BODY,
                                         "  at: 1m\n  to: { spec_tps: 10 }\n"));
    char *k = strstr(text, "kind: rocketmq");
    memcpy(k, "kind: rabbitmq", 14);
    must_reject(text, "a rocketmq_change needs instance.kind: rocketmq");
    must_reject(scn("edition: professional", BASIC_BODY, "  at: 1m\n  to: { spec_tsp: 10 }\n"),
                "spec_tsp");
    must_reject(scn("edition: professional", BASIC_BODY, "  at: 10m\n  to: { spec_tps: 10 }\n"),
                "rocketmq_change.at: 10m is out of range");
    must_reject(scn("edition: professional", BASIC_BODY, "  at: 1m\n  to: {}\n"),
                "the change changes nothing");
    must_reject(scn("edition: professional", BASIC_BODY,
                    "  at: 1m\n  to: { spec_tps: 10 }\n  billing: { currency: CNY, "
                    "price_per_month: { from: 1, to: 2 }, cycle_months: 1, elapsed_months: 2 }\n"),
                "longer than the billing cycle");
}

/* ---- warnings ---------------------------------------------------------- */

static void test_warnings(void **state)
{
    (void)state;
    const char *body =
        "producers:\n"
        "  - { name: p, queue: qa, rate: 10 }\n"
        "  - { name: hp, queue: qb, profile: http, rate: 5, on_disconnect: drop }\n"
        "consumers:\n"
        "  - { name: c, queue: qa, processing: { dist: constant, value: 1ms } }\n"
        "  - { name: pub, queue: qb, count: 3, endpoint: public, idempotent: true,\n"
        "      processing: { dist: constant, value: 1ms } }\n"
        "events:\n"
        "  - { at: 70s, type: resource_op, label: create topic }\n"
        "  - { at: 170s, type: resource_op, label: outside }\n";
    mq_scenario s;
    must_load(scn("edition: professional, internet: true", body,
                  "  at: 1m\n  to: { internet: false, spec_tps: 2 }\n"),
              &s);
    assert_true(has_warning(&s, "'create topic' at 70 s falls inside the change window"));
    assert_false(has_warning(&s, "'outside'"));
    assert_true(has_warning(&s, "consumer groups 'c' have no message idempotence"));
    assert_true(has_warning(&s, "HTTP producer group 'hp' will lose sends to the 30 s HTTP "
                                "disruption: on_disconnect: drop"));
    /* 1 HTTP producer (public by profile) + 3 public consumers */
    assert_true(has_warning(&s, "SEVERE RISK: disabling Internet access cuts off 4 clients"));
    assert_true(has_warning(&s, "below the offered peak load (15 msg/s)"));
    mq_scenario_free(&s);
}

/* ---- billing ----------------------------------------------------------- */

static void test_billing_seed_example(void **state)
{
    (void)state;
    /* The seed: 1,000 TPS bought for two months, upgraded to 2,000 TPS after
    ** one month: pays the difference for the remaining month. */
    mq_scenario s;
    must_load(scn("edition: professional, billing: subscription, spec_tps: 1000", BASIC_BODY,
                  "  at: 1m\n  to: { spec_tps: 2000 }\n"
                  "  billing: { currency: CNY, price_per_month: { from: 1000, to: 2000 },\n"
                  "             cycle_months: 2, elapsed_months: 1 }\n"),
              &s);
    const mq_rocketmq_billing *b = &mq_rocketmq_of(&s)->billing;
    assert_near(mq_rocketmq_billing_delta(MQ_BILL_SUBSCRIPTION, b), 1000, 1e-9);
    /* a downgrade refunds the difference for the time left */
    mq_rocketmq_billing down = *b;
    down.price_from = 2000, down.price_to = 1000, down.elapsed_months = 0.5;
    assert_near(mq_rocketmq_billing_delta(MQ_BILL_SUBSCRIPTION, &down), -1500, 1e-9);
    assert_near(mq_rocketmq_billing_delta(MQ_BILL_PAYG, b), 0, 0);
    /* serverless: the current cycle at the highest price used */
    assert_near(mq_rocketmq_billing_delta(MQ_BILL_SERVERLESS, b), 2000, 1e-9);
    assert_near(mq_rocketmq_billing_delta(MQ_BILL_SERVERLESS, &down), 0, 0);
    mq_result r;
    run_scn(&s, &r);
    const sim_metric *m = sim_metrics_find(&r.metrics, "billing_delta");
    assert_non_null(m);
    assert_near(m->value, 1000, 1e-9);
    assert_string_equal(m->unit, "CNY");
    mq_result_free(&r);
    mq_scenario_free(&s);
}

/* ---- duplicate causes, one at a time ------------------------------------ */

static const char *const CHANGE_AT_60 =
    "  at: 60s\n  to: { spec_tps: 5000 }\n"
    "  rolling: { batch_size: 1, node_downtime: 5s, batch_interval: 30s }\n";

static void dup_counts(const mq_result *r, double *sr, double *rb, double *rd)
{
    *sr = metric(r, "duplicates_send_retry");
    *rb = metric(r, "duplicates_offset_rollback");
    *rd = metric(r, "duplicates_redelivery");
    assert_near(metric(r, "duplicates_requeue"), 0, 0);
    assert_near(metric(r, "duplicates_republish"), 0, 0);
    assert_near(metric(r, "duplicates"), *sr + *rb + *rd, 0);
}

/* Producers with a 1 s confirm window; consumers commit per ack and process
** in zero time: only the send-timeout retry can duplicate. */
static void test_dup_send_retry_only(void **state)
{
    (void)state;
    const char *body =
        "producers:\n"
        "  - { name: pa, queue: qa, count: 2, rate: 20, arrivals: deterministic, confirm_latency: 1s }\n"
        "  - { name: pb, queue: qb, count: 2, rate: 20, arrivals: deterministic, confirm_latency: 1s }\n"
        "consumers:\n"
        "  - { name: ca, queue: qa, idempotent: true, commit_interval: 0s,\n"
        "      processing: { dist: constant, value: 0s } }\n"
        "  - { name: cb, queue: qb, idempotent: true, commit_interval: 0s,\n"
        "      processing: { dist: constant, value: 0s } }\n";
    mq_result r;
    run_text(scn("edition: professional", body, CHANGE_AT_60), &r);
    double sr, rb, rd;
    dup_counts(&r, &sr, &rb, &rd);
    assert_true(sr >= 10); /* ~20 msg/s x 1 s unconfirmed per restarted broker */
    assert_near(rb, 0, 0);
    assert_near(rd, 0, 0);
    assert_near(metric(&r, "lost"), 0, 0);
    mq_result_free(&r);
}

/* No confirms (nothing to resend), zero processing time (nothing in
** flight), commits every 5 s: only the offset rollback can duplicate. */
static void test_dup_offset_rollback_only(void **state)
{
    (void)state;
    const char *body =
        "producers:\n"
        "  - { name: pa, queue: qa, count: 2, rate: 20, confirms: false }\n"
        "  - { name: pb, queue: qb, count: 2, rate: 20, confirms: false }\n"
        "consumers:\n"
        "  - { name: ca, queue: qa, idempotent: true, commit_interval: 5s,\n"
        "      processing: { dist: constant, value: 0s } }\n"
        "  - { name: cb, queue: qb, idempotent: true, commit_interval: 5s,\n"
        "      processing: { dist: constant, value: 0s } }\n";
    mq_result r;
    run_text(scn("edition: professional", body, CHANGE_AT_60), &r);
    double sr, rb, rd;
    dup_counts(&r, &sr, &rb, &rd);
    assert_near(sr, 0, 0);
    assert_true(rb > 0);
    assert_true(rb <= 2 * 5.5 * 20 * 1.5); /* at most ~5 s of progress per broker */
    assert_near(rd, 0, 0);
    mq_result_free(&r);
}

/* No confirms, offsets committed per ack, 1 s processing with 4 slots:
** only the in-flight redelivery can duplicate, at most 4 per consumer. */
static void test_dup_redelivery_only(void **state)
{
    (void)state;
    const char *body =
        "producers:\n"
        "  - { name: pa, queue: qa, count: 2, rate: 20, confirms: false }\n"
        "  - { name: pb, queue: qb, count: 2, rate: 20, confirms: false }\n"
        "consumers:\n"
        "  - { name: ca, queue: qa, count: 2, idempotent: true, commit_interval: 0s,\n"
        "      concurrency: 4, prefetch: 32, processing: { dist: constant, value: 1s } }\n"
        "  - { name: cb, queue: qb, count: 2, idempotent: true, commit_interval: 0s,\n"
        "      concurrency: 4, prefetch: 32, processing: { dist: constant, value: 1s } }\n";
    mq_result r;
    run_text(scn("edition: professional", body, CHANGE_AT_60), &r);
    double sr, rb, rd;
    dup_counts(&r, &sr, &rb, &rd);
    assert_near(sr, 0, 0);
    assert_near(rb, 0, 0);
    assert_true(rd > 0);
    assert_true(rd <= 4 * 4); /* concurrency x consumers */
    mq_result_free(&r);
}

/* ---- effects ----------------------------------------------------------- */

static void test_http_disruption_bundled(void **state)
{
    (void)state;
    mq_scenario s;
    sim_err err = {{0}};
    if (scn_load_file("scenarios/rocketmq/http-clients.yaml", &s, &err)) fail_msg("%s", err.msg);
    mq_result r;
    run_scn(&s, &r);
    double d = metric(&r, "http_disruption_max_s");
    assert_true(d > 0);
    assert_true(d < 60);
    /* the fire-and-forget group (10 msg/s, no retry) loses its sends in the
    ** 30 s window; the retrying group loses none */
    double lost = metric(&r, "lost_during_http_disruption");
    assert_true(lost > 200 && lost < 400);
    assert_near(metric(&r, "lost"), lost, 0);
    mq_result_free(&r);
    mq_scenario_free(&s);
}

static void test_throttling_after_downgrade(void **state)
{
    (void)state;
    const char *body =
        "producers:\n"
        "  - { name: pa, queue: qa, rate: 150, retry_backoff: 200ms }\n"
        "  - { name: pb, queue: qb, rate: 150, retry_backoff: 200ms }\n"
        "consumers:\n"
        "  - { name: ca, queue: qa, idempotent: true, processing: { dist: constant, value: 1ms } }\n"
        "  - { name: cb, queue: qb, idempotent: true, processing: { dist: constant, value: 1ms } }\n";
    const char *down = "  at: 60s\n  to: { spec_tps: 200 }\n  rolling: { batch_interval: 10s }\n";
    const char *up = "  at: 60s\n  to: { spec_tps: 2000 }\n  rolling: { batch_interval: 10s }\n";
    mq_result rd, ru;
    run_text(scn("edition: professional, spec_tps: 1000", body, down), &rd);
    run_text(scn("edition: professional, spec_tps: 1000", body, up), &ru);
    assert_near(metric(&ru, "throttled_sends"), 0, 0);
    assert_true(metric(&rd, "throttled_sends") > 1000);
    /* the SDK gives up after its retries: the excess is lost, and said so */
    assert_true(metric(&rd, "lost_throttled") > 1000);
    assert_near(metric(&rd, "lost"), metric(&rd, "lost_throttled"), 0);
    assert_near(metric(&ru, "lost"), 0, 0);
    mq_result_free(&rd);
    mq_result_free(&ru);
}

static void test_internet_disable_cuts_public_clients(void **state)
{
    (void)state;
    const char *body =
        "producers:\n"
        "  - { name: vpc, queue: qa, count: 2, rate: 20 }\n"
        "  - { name: pub, queue: qb, count: 3, endpoint: public, rate: 20 }\n"
        "consumers:\n"
        "  - { name: cv, queue: qa, idempotent: true, processing: { dist: constant, value: 1ms } }\n"
        "  - { name: cp, queue: qb, count: 2, endpoint: public, idempotent: true,\n"
        "      processing: { dist: constant, value: 1ms } }\n";
    mq_result r;
    run_text(scn("edition: professional, internet: true", body,
                 "  at: 60s\n  to: { internet: false }\n"), &r);
    assert_near(metric(&r, "clients_cut_off_internet"), 5, 0);
    assert_near(metric(&r, "clients_cut_off_at_end"), 5, 0);
    assert_true(metric(&r, "lost") > 0); /* public sends after their retries */
    bool severe = false;
    for (size_t i = 0; i < r.warnings.n; i++)
        if (strstr(r.warnings.v[i], "SEVERE RISK")) severe = true;
    assert_true(severe);
    mq_result_free(&r);
}

static void test_rolling_batches(void **state)
{
    (void)state;
    mq_result r;
    run_text(scn("edition: professional", BASIC_BODY,
                 "  at: 30s\n  to: { spec_tps: 3000 }\n"
                 "  rolling: { batch_size: 1, node_downtime: 4s, batch_interval: 50s }\n"),
             &r);
    assert_near(metric(&r, "restart_batches"), 2, 0);
    assert_near(metric(&r, "change_duration_s"), 50 + 4, 1e-9);
    size_t nb = 0;
    for (size_t i = 0; i < r.bands.n; i++)
        if (strstr(r.bands.v[i].label, "restart batch")) {
            assert_near(r.bands.v[i].t0, 30 + 50.0 * (double)nb, 1e-9);
            nb++;
        }
    assert_int_equal(nb, 2);
    assert_true(metric(&r, "exceptions_logged") > 0);
    /* the timeseries rows inside each batch carry its label */
    size_t labelled = 0;
    for (size_t i = 0; i < r.series.nrows; i++)
        if (strcmp(r.series.labels[i], "restart batch 2/2") == 0) {
            double t = sim_series_at(&r.series, i, 0);
            assert_true(t >= 80 && t <= 85);
            labelled++;
        }
    assert_true(labelled >= 4);
    mq_result_free(&r);
    /* the run ends before the second batch (30 s + 50 s > 60 s): one batch
    ** restarted, and the count says it was cut off by the end */
    char text[8192];
    snprintf(text, sizeof text, "%s", scn("edition: professional", BASIC_BODY,
             "  at: 30s\n  to: { spec_tps: 3000 }\n"
             "  rolling: { batch_size: 1, node_downtime: 4s, batch_interval: 50s }\n"));
    char *d = strstr(text, "duration: 3m");
    assert_non_null(d);
    memcpy(d, "duration: 1m", 12);
    run_text(text, &r);
    const sim_metric *x = sim_metrics_find(&r.metrics, "restart_batches");
    assert_non_null(x);
    assert_near(x->bound, 1, 0); /* at least one; the rest never began */
    assert_int_equal(x->status, SIM_CENSORED_AT_END);
    mq_result_free(&r);
}

/* ---- bundled scenarios ------------------------------------------------- */

static void test_bundled_scenarios_run(void **state)
{
    (void)state;
    static const char *const names[] = {
        "spec-upgrade", "spec-downgrade-below-load", "edition-upgrade", "internet-disable",
        "bandwidth-downgrade", "serverless-edition-change", "http-clients",
        "standalone-restart", "internet-enable", "http-default-profile",
        "spec-downgrade-above-load"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char path[256];
        snprintf(path, sizeof path, "scenarios/rocketmq/%s.yaml", names[i]);
        mq_scenario s;
        sim_err err = {{0}};
        if (scn_load_file(path, &s, &err)) fail_msg("%s", err.msg);
        assert_non_null(mq_rocketmq_of(&s));
        mq_result r;
        run_scn(&s, &r); /* includes the accounting check */
        assert_true(metric(&r, "change_duration_s") > 0);
        mq_result_free(&r);
        mq_scenario_free(&s);
    }
}

static void test_invalid_scenarios_rejected(void **state)
{
    (void)state;
    DIR *d = opendir("scenarios/invalid");
    assert_non_null(d);
    struct dirent *e;
    int seen = 0;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "rocketmq-", 9) != 0) continue;
        char path[512], line[512];
        snprintf(path, sizeof path, "scenarios/invalid/%s", e->d_name);
        mq_scenario s;
        sim_err err = {{0}};
        if (scn_load_file(path, &s, &err) == 0) {
            mq_scenario_free(&s);
            fail_msg("%s was accepted", path);
        }
        /* every leading "# expect:" line is one line of the error */
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        int nexpect = 0;
        while (fgets(line, sizeof line, f) && strncmp(line, "# expect: ", 10) == 0) {
            line[strcspn(line, "\n")] = '\0';
            char want[1024];
            snprintf(want, sizeof want, "%s:%s", path, line + 10);
            if (!strstr(err.msg, want))
                fail_msg("%s: '%s' does not contain '%s'", path, err.msg, want);
            nexpect++;
        }
        fclose(f);
        if (nexpect == 0) fail_msg("%s: no '# expect:' line", path);
        seen++;
    }
    closedir(d);
    assert_int_equal(seen, 6);
}

/* ---- issue 15: behaviour that holds in every configuration ------------- */

static bool result_warns(const mq_result *r, const char *want)
{
    for (size_t i = 0; i < r->warnings.n; i++)
        if (strstr(r->warnings.v[i], want)) return true;
    return false;
}

/* Item 14: every broken rule, one line each, at its own key and with the
** YAML path; an unset sub-category is named as such. */
static void test_every_rule_reported(void **state)
{
    (void)state;
    mq_scenario s;
    sim_err err = {{0}};
    assert_int_equal(load(scn("edition: professional, sub_category: standalone, internet: false",
                              BASIC_BODY,
                              "  at: 1m\n  to: { edition: standard, sub_category: cluster, "
                              "bandwidth: 5Mbps, storage: 1GB }\n"),
                          &s, &err),
                     -1);
    static const char *const want[] = {
        "t.yaml:18:18: rocketmq_change.to.edition: primary edition cannot be downgraded",
        "t.yaml:18:42: rocketmq_change.to.sub_category: sub-category edition cannot change",
        "t.yaml:18:62: rocketmq_change.to.bandwidth: Internet bandwidth needs Internet access",
        "t.yaml:18:78: rocketmq_change.to.storage: storage space cannot be changed",
    };
    for (size_t i = 0; i < 4; i++)
        if (!strstr(err.msg, want[i])) fail_msg("'%s' does not contain '%s'", err.msg, want[i]);
    size_t lines = 1;
    for (const char *p = err.msg; *p; p++) lines += *p == '\n';
    assert_int_equal(lines, 4);
    must_reject(scn("edition: standard", BASIC_BODY, "  at: 1m\n  to: { sub_category: cluster }\n"),
                "rocketmq_change.to.sub_category: the sub-category cannot change, and "
                "instance.sub_category is not set");
    must_load(scn("edition: standard", BASIC_BODY, "  at: 1m\n  to: { edition: professional }\n"),
              &s);
    mq_scenario_free(&s);
    err.msg[0] = '\0';
    assert_int_equal(load(scn("edition: standard", BASIC_BODY,
                              "  at: 1m\n  to: { sub_category: cluster }\n"), &s, &err), -1);
    assert_null(strstr(err.msg, "unset"));
}

/* Item 13: a change that changes nothing is rejected, not restarted. */
static void test_no_change_rejected(void **state)
{
    (void)state;
    static const char *const inst = "edition: professional, sub_category: cluster, "
                                    "spec_tps: 1000, internet: true, bandwidth: 5Mbps";
    must_reject(scn(inst, BASIC_BODY, "  at: 1m\n  to: { edition: professional }\n"),
                "t.yaml:18:3: rocketmq_change.to: no change");
    must_reject(scn(inst, BASIC_BODY, "  at: 1m\n  to: { spec_tps: 1000 }\n"), "no change");
    must_reject(scn(inst, BASIC_BODY, "  at: 1m\n  to: { internet: true }\n"), "no change");
    must_reject(scn(inst, BASIC_BODY, "  at: 1m\n  to: { bandwidth: 5Mbps }\n"), "no change");
    must_reject(scn("edition: enterprise, sub_category: cluster", BASIC_BODY,
                    "  at: 1m\n  to: { edition: platinum }\n"),
                "Enterprise and Platinum are the same edition");
    must_reject(scn("edition: platinum", BASIC_BODY, "  at: 1m\n  to: { edition: enterprise }\n"),
                "no change");
    must_reject(scn("edition: standard, series: serverless", BASIC_BODY,
                    "  at: 1m\n  to: { edition: standard }\n"),
                "no change");
    /* a no-op value beside a real change is fine */
    mq_scenario s;
    must_load(scn(inst, BASIC_BODY, "  at: 1m\n  to: { spec_tps: 1000, bandwidth: 10Mbps }\n"), &s);
    mq_scenario_free(&s);
}

/* Default-profile HTTP clients on queue qa. */
static const char *const HTTP_CLIENTS =
    "producers:\n  - { name: hp, queue: qa, count: 2, profile: http, rate: 20 }\n"
    "consumers:\n  - { name: hc, queue: qa, profile: http, idempotent: true,\n"
    "      processing: { dist: constant, value: 1ms } }\n";

/* Item 8: the default HTTP profile outlasts the default disruption (a send
** at its start is retried 10 x (5 s + 1 s) = 60 s). */
static void test_http_default_profile_rides_out(void **state)
{
    (void)state;
    mq_scenario s;
    must_load(scn("edition: professional, internet: true", HTTP_CLIENTS,
                  "  at: 60s\n  to: { spec_tps: 2000 }\n"),
              &s);
    assert_near(mq_rocketmq_of(&s)->http_disruption_s, 30, 0);
    assert_false(has_warning(&s, "will lose sends"));
    mq_result r;
    run_scn(&s, &r);
    assert_true(metric(&r, "messages_published") > 3000); /* ~600 in the window */
    assert_near(metric(&r, "lost"), 0, 0);
    assert_near(metric(&r, "lost_during_http_disruption"), 0, 0);
    double d = metric(&r, "http_disruption_max_s");
    assert_true(d >= 30 && d <= 31);
    mq_result_free(&r);
    mq_scenario_free(&s);
}

/* A run that ends inside the HTTP disruption: its longest cut-off is at
** least what had passed (censored at the end), not a measured 15 s; and the
** change had not completed (change_completed 0, with a warning). */
static void test_http_disruption_cut_by_end(void **state)
{
    (void)state;
    mq_scenario s;
    must_load(scn("edition: professional, internet: true", HTTP_CLIENTS,
                  "  at: 60s\n  to: { spec_tps: 2000 }\n"),
              &s);
    s.run.duration_s = 75; /* 15 s into the 30 s disruption */
    mq_result r;
    run_scn(&s, &r);
    const sim_metric *h = sim_metrics_find(&r.metrics, "http_disruption_max_s");
    assert_non_null(h);
    assert_int_equal(h->status, SIM_CENSORED_AT_END);
    assert_true(h->bound >= 14 && h->bound <= 15.5);
    assert_near(metric(&r, "change_completed"), 0, 0);
    assert_true(result_warns(&r, "the change did not complete within the run"));
    mq_result_free(&r);
    s.run.duration_s = 180; /* the whole change: measured, completed */
    run_scn(&s, &r);
    h = sim_metrics_find(&r.metrics, "http_disruption_max_s");
    assert_int_equal(h->status, SIM_MEASURED);
    assert_near(metric(&r, "change_completed"), 1, 0);
    assert_false(result_warns(&r, "did not complete"));
    mq_result_free(&r);
    mq_scenario_free(&s);
}

/* Item 8: a group whose own settings lose sends or stay cut off past 1 min
** is named by `check` and by the run, with the setting behind it. */
static void test_http_group_settings_named(void **state)
{
    (void)state;
    mq_scenario s;
    sim_err err = {{0}};
    if (scn_load_file("scenarios/rocketmq/http-default-profile.yaml", &s, &err))
        fail_msg("%s", err.msg);
    assert_true(has_warning(&s, "HTTP producer group 'short-retry' will lose sends to the 30 s "
                                "HTTP disruption: retries 3 x (send_timeout 5 s + retry_backoff "
                                "1 s) = 18 s"));
    assert_true(has_warning(&s, "retries >= 5"));
    assert_true(has_warning(&s, "HTTP client group 'slow-poller' stays cut off for about 65 s"));
    assert_true(has_warning(&s, "reconnect.max_interval 120 s"));
    assert_false(has_warning(&s, "'webhooks'"));
    mq_result r;
    run_scn(&s, &r);
    /* 5 msg/s x the first 12 s of the disruption, the rest is retried past it */
    double lost = metric(&r, "lost_during_http_disruption");
    assert_true(lost > 40 && lost < 90);
    assert_near(metric(&r, "lost"), lost, 0);
    char want[128];
    snprintf(want, sizeof want, "HTTP producer group 'short-retry' lost %.0f sends", lost);
    assert_true(result_warns(&r, want));
    assert_true(result_warns(&r, "client group 'slow-poller' was cut off for 65 s"));
    assert_near(metric(&r, "http_disruption_max_s"), 65, 0.5);
    mq_result_free(&r);
    mq_scenario_free(&s);
}

/* Item 8, TCP side: a consumer group whose reconnect gives up after one
** attempt is named by check and by the run, with its setting. */
static void test_tcp_cutoff_named(void **state)
{
    (void)state;
    const char *body =
        "producers:\n  - { name: p, queue: qa, count: 2, rate: 50 }\n"
        "consumers:\n  - { name: c, queue: qa, idempotent: true, reconnect: { max_attempts: 1 },\n"
        "      processing: { dist: constant, value: 1ms } }\n"
        "  - { name: c5, queue: qa, profile: rocketmq-5, idempotent: true,\n"
        "      processing: { dist: constant, value: 1ms } }\n";
    mq_scenario s;
    must_load(scn("edition: professional", body, "  at: 60s\n  to: { spec_tps: 2000 }\n"), &s);
    assert_true(has_warning(&s, "client group 'c' stays cut off for good after its broker "
                                "restarts"));
    assert_true(has_warning(&s, "reconnect.max_attempts 1: it gives up after 1 attempt,"));
    assert_false(has_warning(&s, "'c5' stays cut off"));
    mq_result r;
    run_scn(&s, &r);
    assert_true(result_warns(&r, "client group 'c' was cut off for 120 s (still cut off at "
                                 "the end of the run)"));
    assert_false(result_warns(&r, "'c5' was cut off"));
    mq_result_free(&r);
    mq_scenario_free(&s);
}

/* Item 9: losses by cause. An HTTP consumer but no HTTP producer, TCP
** producers that cannot fail over (every broker restarts at once) and a
** public one cut by Internet access off: no loss is the HTTP disruption's,
** and http_disruption_max_s is the HTTP clients' disruption only. */
static void test_losses_by_cause(void **state)
{
    (void)state;
    const char *body =
        "producers:\n"
        "  - { name: tcp, queue: qa, count: 2, rate: 50, retries: 0 }\n"
        "  - { name: pub, queue: qb, count: 1, rate: 10, endpoint: public }\n"
        "consumers:\n"
        "  - { name: hc, queue: qa, profile: http, idempotent: true,\n"
        "      processing: { dist: constant, value: 1ms } }\n";
    mq_result r;
    run_text(scn("edition: professional, internet: true", body,
                 "  at: 60s\n  to: { internet: false }\n"
                 "  rolling: { batch_size: 2, node_downtime: 5s }\n"),
             &r);
    double restart = metric(&r, "lost_during_restart"), inet = metric(&r, "lost_internet_off");
    assert_near(metric(&r, "lost_during_http_disruption"), 0, 0);
    assert_true(restart > 50);
    assert_true(inet > 500);
    assert_near(metric(&r, "lost"), restart + inet + metric(&r, "lost_throttled"), 0);
    /* the HTTP consumer is cut for good at the change's end; its disruption
    ** was the 30 s window */
    double d = metric(&r, "http_disruption_max_s");
    assert_true(d >= 30 && d <= 31);
    assert_true(result_warns(&r, "producer group 'tcp' lost"));
    assert_true(result_warns(&r, "with retries: 0 it does not fail over to another broker"));
    mq_result_free(&r);
}

/* Losses in outages that are not the change's: a disconnect event before
** the change and one after it, producers that drop while disconnected. The
** first event's losses are lost_not_change (they went uncounted among the
** causes, and the run now checks that the causes add up to
** lost_send_failed, so it would fail), the later event's too (they were
** charged to the restart); only the restart's own go to
** lost_during_restart. */
static void test_losses_outside_change(void **state)
{
    (void)state;
    const char *body =
        "producers:\n"
        "  - { name: tcp, queue: qa, count: 2, rate: 50, on_disconnect: drop }\n"
        "consumers:\n"
        "  - { name: w, queue: qa, idempotent: true, processing: { dist: constant, value: 1ms } }\n"
        "events:\n"
        "  - { at: 20s, type: disconnect, duration: 10s, groups: [tcp] }\n"
        "  - { at: 150s, type: disconnect, duration: 10s, groups: [tcp] }\n";
    mq_result r;
    run_text(scn("edition: professional", body,
                 "  at: 60s\n  to: { spec_tps: 3000 }\n"
                 "  rolling: { batch_size: 2, node_downtime: 5s }\n"),
             &r);
    double other = metric(&r, "lost_not_change"), restart = metric(&r, "lost_during_restart");
    assert_true(other > 500); /* both events lose sends (100 msg/s, cut off seconds each) */
    assert_true(restart > 100); /* the 5 s node downtime and the reconnect */
    assert_near(metric(&r, "lost_send_failed"),
                other + restart + metric(&r, "lost_throttled") +
                    metric(&r, "lost_internet_off") + metric(&r, "lost_during_http_disruption"),
                0);
    mq_result_free(&r);
    /* without the events: the restart's losses are the same draws, and
    ** nothing is charged outside the change */
    char quiet[4096];
    snprintf(quiet, sizeof quiet, "%.*s", (int)(strstr(body, "events:") - body), body);
    run_text(scn("edition: professional", quiet,
                 "  at: 60s\n  to: { spec_tps: 3000 }\n"
                 "  rolling: { batch_size: 2, node_downtime: 5s }\n"),
             &r);
    assert_near(metric(&r, "lost_not_change"), 0, 0);
    assert_near(metric(&r, "lost_during_restart"), restart, 0);
    mq_result_free(&r);
}

/* Item 10: the spec is the instance's. 400 msg/s on one of two brokers:
** 1000 -> 600 and 1000 -> 1200 throttle nothing; a broker's own
** capacity_tps still applies after the change. */
static void test_capacity_is_the_instances(void **state)
{
    (void)state;
    const char *body =
        "producers:\n  - { name: p, queue: qa, count: 4, rate: 400 }\n"
        "consumers:\n  - { name: c, queue: qa, count: 2, idempotent: true,\n"
        "      processing: { dist: constant, value: 1ms } }\n";
    static const char *const to[] = {"  at: 60s\n  to: { spec_tps: 600 }\n",
                                      "  at: 60s\n  to: { spec_tps: 1200 }\n"};
    for (size_t i = 0; i < 2; i++) {
        mq_result r;
        run_text(scn("edition: professional, spec_tps: 1000", body, to[i]), &r);
        assert_near(metric(&r, "throttled_sends"), 0, 0);
        assert_near(metric(&r, "lost"), 0, 0);
        mq_result_free(&r);
    }
    /* an upgrade of a one-broker instance whose producers buffer through the
    ** restart: the buffer goes out one sync-send reply apart, within the
    ** spec, so the upgrade throttles nothing (the paired baseline neither) */
    const char *buffered =
        "name: t\n"
        "run: { duration: 3m, sample_interval: 1s, rtt: 1ms }\n"
        "instance: { kind: rocketmq, edition: standard, sub_category: standalone, "
        "spec_tps: 1000 }\n"
        "clusters:\n  - name: main\n    brokers:\n      - name: a\n"
        "queues:\n  - { name: qa, broker: a }\n"
        "producers:\n  - { name: p, queue: qa, count: 4, rate: 400, on_disconnect: buffer }\n"
        "consumers:\n  - { name: c, queue: qa, count: 2, idempotent: true,\n"
        "      processing: { dist: constant, value: 1ms } }\n"
        "rocketmq_change:\n  at: 60s\n  to: { spec_tps: 1200 }\n";
    mq_result rb;
    run_text(buffered, &rb);
    assert_near(metric(&rb, "throttled_sends"), 0, 0);
    assert_near(metric(&rb, "lost"), 0, 0);
    mq_result_free(&rb);
    /* broker a accepts 100 msg/s of the 150 offered, before and after the
    ** change (the spec does not replace it); with the SDK's retries the
    ** excess is lost all run long: ~50 msg/s x 180 s */
    const char *capped =
        "name: t\n"
        "run: { duration: 3m, sample_interval: 1s, rtt: 1ms }\n"
        "instance: { kind: rocketmq, edition: professional, spec_tps: 1000 }\n"
        "clusters:\n  - name: main\n    brokers:\n      - { name: a, capacity_tps: 100 }\n"
        "      - name: b\n"
        "queues:\n  - { name: qa, broker: a }\n"
        "producers:\n  - { name: p, queue: qa, count: 2, rate: 150 }\n"
        "consumers:\n  - { name: c, queue: qa, idempotent: true,\n"
        "      processing: { dist: constant, value: 1ms } }\n"
        "rocketmq_change:\n  at: 20s\n  to: { spec_tps: 5000 }\n"
        "  rolling: { batch_interval: 10s }\n";
    mq_result r;
    run_text(capped, &r);
    assert_true(metric(&r, "lost_throttled") > 0.5 * 50 * 180);
    assert_true(metric(&r, "messages_consumed") < 110.0 * 180);
    mq_result_free(&r);
}

/* Item 10: "before" is the paired baseline, which keeps the current spec:
** an upgrade under a load above the old spec throttles less than it, a
** downgrade more. */
static void test_upgrade_never_throttles_more_than_before(void **state)
{
    (void)state;
    const char *body =
        "producers:\n  - { name: p, queue: qa, count: 4, rate: 1100 }\n"
        "consumers:\n  - { name: c, queue: qa, count: 4, idempotent: true,\n"
        "      processing: { dist: constant, value: 1ms } }\n";
    static const char *const to[] = {"  at: 60s\n  to: { spec_tps: 2000 }\n",
                                      "  at: 60s\n  to: { spec_tps: 600 }\n"};
    for (int i = 0; i < 2; i++) {
        const char *text = scn("edition: professional, spec_tps: 1000", body, to[i]);
        mq_scenario s, b;
        must_load(text, &s);
        must_load(text, &b);
        mq_scenario_strip_change(&b);
        assert_false(mq_scenario_has_change(&b));
        mq_result rs, rb;
        run_scn(&s, &rs);
        run_scn(&b, &rb);
        double ts = metric(&rs, "throttled_sends"), tb = metric(&rb, "throttled_sends");
        assert_true(tb > 1000); /* the current spec holds in the baseline */
        if (i == 0) assert_true(ts < tb);
        else assert_true(ts > tb);
        mq_result_free(&rs);
        mq_result_free(&rb);
        mq_scenario_free(&s);
        mq_scenario_free(&b);
    }
}

/* Item 11: a disconnected RocketMQ producer's attempts are a send timeout
** plus the back-off apart: with every broker down 5 s, 2 retries x 3 s
** outlast it (no loss); down 12 s they do not, and check and run say why
** and which setting avoids it. */
static void test_retry_timing(void **state)
{
    (void)state;
    const char *body =
        "producers:\n  - { name: p, queue: qa, count: 2, rate: 50, retry_backoff: 0s }\n"
        "consumers:\n  - { name: c, queue: qa, idempotent: true,\n"
        "      processing: { dist: constant, value: 1ms } }\n";
    mq_result r;
    run_text(scn("edition: professional", body,
                 "  at: 60s\n  to: { spec_tps: 2000 }\n"
                 "  rolling: { batch_size: 2, node_downtime: 5s }\n"),
             &r);
    assert_near(metric(&r, "lost"), 0, 0);
    mq_result_free(&r);
    mq_scenario s;
    must_load(scn("edition: professional", body,
                  "  at: 60s\n  to: { spec_tps: 2000 }\n"
                  "  rolling: { batch_size: 2, node_downtime: 12s }\n"),
              &s);
    assert_true(has_warning(&s, "producer group 'p' can lose sends while its broker restarts "
                                "(12 s down): rolling.batch_size restarts every broker at once; "
                                "retries 2 x (send_timeout 3 s + retry_backoff 0 s) = 6 s"));
    assert_true(has_warning(&s, "retries >= 4, or on_disconnect: buffer"));
    run_scn(&s, &r);
    /* sends of the outage's first ~6 s of the 12 s, 100 msg/s */
    double lost = metric(&r, "lost_during_restart");
    assert_true(lost > 300 && lost < 1000);
    assert_true(result_warns(&r, "producer group 'p' lost"));
    mq_result_free(&r);
    mq_scenario_free(&s);
}

/* Item 11: Standalone (one broker): the bundled scenario loses only the
** group without a buffer, and says why. */
static void test_standalone_losses_explained(void **state)
{
    (void)state;
    mq_scenario s;
    sim_err err = {{0}};
    if (scn_load_file("scenarios/rocketmq/standalone-restart.yaml", &s, &err))
        fail_msg("%s", err.msg);
    assert_true(has_warning(&s, "producer group 'orders' can lose sends while its broker "
                                "restarts (12 s down): a one-broker (Standalone) instance has "
                                "no other broker to fail over to"));
    assert_false(has_warning(&s, "'payments' can lose"));
    mq_result r;
    run_scn(&s, &r);
    assert_true(metric(&r, "lost_during_restart") > 100);
    assert_true(result_warns(&r, "producer group 'orders' lost"));
    assert_true(result_warns(&r, "on_disconnect: buffer, avoids it"));
    assert_false(result_warns(&r, "group 'payments' lost"));
    mq_result_free(&r);
    mq_scenario_free(&s);
}

/* Item 11: a throttled send is retried on the SDK's back-off and given up
** after its retries: at most retries + 1 throttled attempts per send over 5
** minutes (not one every 200 ms for ever). */
static void test_throttle_retries_bounded(void **state)
{
    (void)state;
    const char *body =
        "producers:\n  - { name: p, queue: qa, count: 2, rate: 300, retry_backoff: 200ms }\n"
        "consumers:\n  - { name: c, queue: qa, idempotent: true,\n"
        "      processing: { dist: constant, value: 1ms } }\n";
    char text[8192];
    snprintf(text, sizeof text, "%s",
             scn("edition: professional, spec_tps: 1000", body,
                 "  at: 30s\n  to: { spec_tps: 200 }\n"));
    char *d = strstr(text, "duration: 3m");
    memcpy(d, "duration: 5m", 12);
    mq_result r;
    run_text(text, &r);
    double pub = metric(&r, "messages_published"), thr = metric(&r, "throttled_sends");
    assert_true(thr > 0);
    assert_true(thr <= 3 * pub);
    assert_true(metric(&r, "exceptions_logged") <= 3 * pub + 1000);
    assert_true(metric(&r, "lost_throttled") > 0);
    mq_result_free(&r);
}

/* Item 12: Internet access off: public-endpoint clients cannot connect;
** enabling it at the change lets them in once the change completes. */
static void test_internet_access(void **state)
{
    (void)state;
    const char *body =
        "producers:\n"
        "  - { name: vpc, queue: qa, rate: 20 }\n"
        "  - { name: pub, queue: qb, count: 2, endpoint: public, rate: 20 }\n"
        "consumers:\n"
        "  - { name: cv, queue: qa, idempotent: true, processing: { dist: constant, value: 1ms } }\n"
        "  - { name: cp, queue: qb, endpoint: public, idempotent: true,\n"
        "      processing: { dist: constant, value: 1ms } }\n";
    mq_result off, on;
    run_text(scn("edition: professional, internet: false", body,
                 "  at: 60s\n  to: { spec_tps: 2000 }\n"), &off);
    run_text(scn("edition: professional, internet: false", body,
                 "  at: 60s\n  to: { internet: true }\n"), &on);
    /* off all run: every public send is lost, the consumer never reads */
    assert_near(metric(&off, "clients_cut_off_internet"), 3, 0);
    assert_true(metric(&off, "lost_internet_off") > 0.9 * 20 * 180);
    assert_near(metric(&off, "lost"), metric(&off, "lost_internet_off"), 0);
    assert_true(result_warns(&off, "SEVERE RISK: Internet access is off on this instance"));
    /* enabled at the end of the change (60 + 60 + 5 s): about 2/3 lost */
    double lon = metric(&on, "lost_internet_off");
    assert_true(lon > 20 * 100 && lon < 20 * 140);
    assert_near(metric(&on, "clients_cut_off_at_end"), 0, 0);
    assert_true(result_warns(&on, "were cut off until the change enabled it"));
    /* the loss advice follows the cause: off until the change, or off */
    assert_true(result_warns(&on, "Internet access was off until the change enabled it"));
    assert_false(result_warns(&on, "keep Internet access on"));
    assert_true(result_warns(&off, "Internet access was off; use a VPC endpoint or keep "
                                   "Internet access on"));
    mq_result_free(&off);
    mq_result_free(&on);
    /* a change that has not completed when the run ends enabled nothing:
    ** the warning says the clients were cut off for the whole run */
    mq_result late;
    run_text(scn("edition: professional, internet: false", body,
                 "  at: 150s\n  to: { internet: true }\n"), &late);
    assert_true(result_warns(&late, "were cut off for the whole run: the change that enables "
                                    "it had not completed when the run ended"));
    assert_false(result_warns(&late, "until the change enabled it"));
    assert_true(result_warns(&late, "Internet access was off for the whole run (the change "
                                    "that enables it had not completed)"));
    mq_result_free(&late);
    mq_scenario s;
    must_load(scn("edition: professional, internet: false", body,
                  "  at: 60s\n  to: { internet: true }\n"), &s);
    assert_true(has_warning(&s, "cannot connect until the change that enables it completes"));
    mq_scenario_free(&s);
    /* a public HTTP producer whose retries cannot outlast the HTTP
    ** disruption loses sends to it only if it is connected when it comes */
    const char *http =
        "producers:\n  - { name: hpub, queue: qb, profile: http, endpoint: public, rate: 5,"
        " retries: 3 }\n";
    for (int before = 0; before < 2; before++)
        for (int after = 0; after < 2; after++) {
            char inst[64], change[64];
            snprintf(inst, sizeof inst, "edition: professional, internet: %s",
                     before ? "true" : "false");
            snprintf(change, sizeof change, "  at: 60s\n  to: { internet: %s }\n",
                     after ? "true" : "false");
            if (before == after) snprintf(change, sizeof change, "  at: 60s\n  to: { spec_tps: 2000 }\n");
            must_load(scn(inst, http, change), &s);
            assert_int_equal(has_warning(&s, "HTTP producer group 'hpub' will lose sends to the "
                                             "30 s HTTP disruption"), before);
            mq_scenario_free(&s);
        }
}

/* `instance.internet` left out: read from the rest of the scenario, never
** as "off", which would cut off the public clients the user describes as
** working today; the assumption is stated. */
static void test_internet_unset_inferred(void **state)
{
    (void)state;
    const char *body =
        "producers:\n"
        "  - { name: pub, queue: qb, endpoint: public, rate: 20 }\n"
        "consumers:\n"
        "  - { name: cp, queue: qb, endpoint: public, idempotent: true,\n"
        "      processing: { dist: constant, value: 1ms } }\n";
    mq_result r;
    run_text(scn("edition: professional", body, "  at: 60s\n  to: { spec_tps: 2000 }\n"), &r);
    assert_near(metric(&r, "clients_cut_off_internet"), 0, 0);
    assert_near(metric(&r, "lost_internet_off"), 0, 0);
    mq_result_free(&r);
    mq_scenario s;
    must_load(scn("edition: professional", body, "  at: 60s\n  to: { spec_tps: 2000 }\n"), &s);
    assert_true(s.instance.internet);
    assert_true(has_warning(&s, "instance.internet is not set; assumed on"));
    mq_scenario_free(&s);
    /* a change that enables access says it is off today */
    must_load(scn("edition: professional", body, "  at: 60s\n  to: { internet: true }\n"), &s);
    assert_false(s.instance.internet);
    assert_true(has_warning(&s, "assumed off because rocketmq_change.to.internet enables it"));
    mq_scenario_free(&s);
    /* a bandwidth change with VPC clients only: the bandwidth is an
    ** Internet access's, so access is on today (it was read as off and the
    ** change refused) */
    must_load(scn("edition: professional", "producers:\n  - { name: v, queue: qa, rate: 20 }\n",
                  "  at: 60s\n  to: { bandwidth: 20Mbps }\n"),
              &s);
    assert_true(s.instance.internet);
    assert_true(has_warning(&s, "assumed on because rocketmq_change.to.bandwidth changes the "
                                "Internet bandwidth"));
    mq_scenario_free(&s);
}

/* Item 15: the seed's advice in the check summary (and so in the run's
** warnings and the report), and a price table against the direction. */
static void test_advice_and_prices(void **state)
{
    (void)state;
    mq_scenario s;
    must_load(scn("edition: professional, billing: payg, spec_tps: 1000", BASIC_BODY,
                  "  at: 1m\n  to: { spec_tps: 2000 }\n"), &s);
    assert_true(has_warning(&s, "set up CloudMonitor alerts on critical business metrics before "
                                "the change starts"));
    assert_true(has_warning(&s, "do not create, delete or modify topics"));
    assert_true(has_warning(&s, "pay-as-you-go charges the new configuration from the change on; "
                                "make sure the Alibaba Cloud account has a sufficient balance"));
    mq_result r;
    run_scn(&s, &r);
    mq_result_free(&r);
    mq_scenario_free(&s);
    must_load(scn("edition: standard, series: serverless", BASIC_BODY,
                  "  at: 1m\n  to: { edition: professional }\n"), &s);
    assert_true(has_warning(&s, "serverless charges the current cycle at the highest "
                                "specification used"));
    mq_scenario_free(&s);
    must_load(scn("edition: professional, billing: subscription, spec_tps: 1000", BASIC_BODY,
                  "  at: 1m\n  to: { spec_tps: 2000 }\n"), &s);
    assert_false(has_warning(&s, "sufficient balance"));
    mq_scenario_free(&s);
    /* an upgrade priced as a refund, a downgrade priced as a payment */
    must_load(scn("edition: professional, billing: subscription, spec_tps: 1000", BASIC_BODY,
                  "  at: 1m\n  to: { spec_tps: 2000 }\n"
                  "  billing: { currency: CNY, price_per_month: { from: 2000, to: 1000 } }\n"),
              &s);
    assert_true(has_warning(&s, "the change is an upgrade but price_per_month goes from 2000 "
                                "to 1000 CNY"));
    mq_scenario_free(&s);
    must_load(scn("edition: professional, billing: subscription, spec_tps: 1000", BASIC_BODY,
                  "  at: 1m\n  to: { spec_tps: 500 }\n"
                  "  billing: { currency: CNY, price_per_month: { from: 1000, to: 1500 } }\n"),
              &s);
    assert_true(has_warning(&s, "the change is a downgrade but price_per_month"));
    mq_scenario_free(&s);
    must_load(scn("edition: professional, billing: subscription, spec_tps: 1000", BASIC_BODY,
                  "  at: 1m\n  to: { spec_tps: 2000 }\n"
                  "  billing: { currency: CNY, price_per_month: { from: 1000, to: 2000 } }\n"),
              &s);
    assert_false(has_warning(&s, "price_per_month goes"));
    mq_scenario_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edition_upgrade_allowed),
        cmocka_unit_test(test_losses_outside_change),
        cmocka_unit_test(test_edition_downgrade_rejected),
        cmocka_unit_test(test_subcategory_rule),
        cmocka_unit_test(test_storage_rejected),
        cmocka_unit_test(test_spec_internet_bandwidth_both_ways),
        cmocka_unit_test(test_serverless_rules),
        cmocka_unit_test(test_input_errors),
        cmocka_unit_test(test_warnings),
        cmocka_unit_test(test_billing_seed_example),
        cmocka_unit_test(test_dup_send_retry_only),
        cmocka_unit_test(test_dup_offset_rollback_only),
        cmocka_unit_test(test_dup_redelivery_only),
        cmocka_unit_test(test_http_disruption_bundled),
        cmocka_unit_test(test_throttling_after_downgrade),
        cmocka_unit_test(test_internet_disable_cuts_public_clients),
        cmocka_unit_test(test_rolling_batches),
        cmocka_unit_test(test_bundled_scenarios_run),
        cmocka_unit_test(test_invalid_scenarios_rejected),
        cmocka_unit_test(test_every_rule_reported),
        cmocka_unit_test(test_no_change_rejected),
        cmocka_unit_test(test_http_default_profile_rides_out),
        cmocka_unit_test(test_http_group_settings_named),
        cmocka_unit_test(test_http_disruption_cut_by_end),
        cmocka_unit_test(test_tcp_cutoff_named),
        cmocka_unit_test(test_losses_by_cause),
        cmocka_unit_test(test_capacity_is_the_instances),
        cmocka_unit_test(test_upgrade_never_throttles_more_than_before),
        cmocka_unit_test(test_retry_timing),
        cmocka_unit_test(test_standalone_losses_explained),
        cmocka_unit_test(test_throttle_retries_bounded),
        cmocka_unit_test(test_internet_access),
        cmocka_unit_test(test_internet_unset_inferred),
        cmocka_unit_test(test_advice_and_prices),
    };
    return cmocka_run_group_tests_name("rocketmq", tests, NULL, NULL);
}
