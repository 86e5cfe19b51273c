/*
** test_rabbitmq.c - the RabbitMQ shared <-> dedicated conversion: the rules
** (loader), the phase state machine and its phase-3 gate, connection
** migration per endpoint and direction, the duplicate bound, phase 3 against
** its fluid estimate, the time-of-day rate fix, `--at`, and every bundled
** scenario. Scenarios run in-process through mq_model_run.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "io/scn_load.h"
#include "models/mq_model.h"
#include "models/mq_rabbitmq.h"
#include "models/mq_world.h"
#include "tests/test_run.h"
#include "tests/test_util.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------ */

static void load_file(const char *path, mq_scenario *s)
{
    sim_err err = {{0}};
    if (scn_load_file(path, s, &err)) fail_msg("load %s failed: %s", path, err.msg);
}

static void run_file(const char *path, mq_result *r)
{
    mq_scenario s;
    load_file(path, &s);
    run_scn(&s, r);
    mq_scenario_free(&s);
}

/* A one-queue rabbitmq scenario: `inst` is the instance mapping's body,
** `body` the rest (clients, backlog, scheduled, rabbitmq_conversion). */
static const char *scenario(const char *run, const char *inst, const char *body)
{
    static char buf[8192];
    snprintf(buf, sizeof buf,
             "name: t\nrun: %s\ninstance: { kind: rabbitmq, %s }\n"
             "clusters:\n  - name: main\n    brokers:\n      - name: b1\n"
             "queues:\n  - name: q\n%s",
             run, inst, body);
    return buf;
}

static int load_text(const char *text, mq_scenario *s, sim_err *err)
{
    return scn_load_string("t.yaml", text, strlen(text), s, err);
}

static void run_text(const char *text, mq_result *r)
{
    mq_scenario s;
    sim_err err = {{0}};
    if (load_text(text, &s, &err)) fail_msg("load failed: %s", err.msg);
    run_scn(&s, r);
    mq_scenario_free(&s);
}

static void expect_reject(const char *text, const char *where, const char *substring)
{
    mq_scenario s;
    sim_err err = {{0}};
    int rc = load_text(text, &s, &err);
    if (rc == 0) {
        mq_scenario_free(&s);
        fail_msg("accepted; expected an error containing '%s'", substring);
    }
    if (!strstr(err.msg, substring)) fail_msg("error '%s' lacks '%s'", err.msg, substring);
    if (where && !strstr(err.msg, where)) fail_msg("error '%s' is not at %s", err.msg, where);
}

static const char *const CLIENTS =
    "producers:\n  - { name: p, count: 2, rate: 100, profile: rabbitmq-java }\n"
    "consumers:\n  - { name: c, count: 2, prefetch: 20, concurrency: 2,"
    " processing: { dist: exponential, mean: 5ms } }\n";

/* ---- rules ---------------------------------------------------------------- */

static void test_rule_cross_series(void **state)
{
    (void)state;
    char body[2048];
    snprintf(body, sizeof body, "%srabbitmq_conversion:\n  at: 1m\n"
             "  to: { series: serverless, deployment: dedicated }\n", CLIENTS);
    expect_reject(scenario("{duration: 10m}", "edition: professional", body),
                  "t.yaml:16:17: rabbitmq_conversion.to.series", "cross-series conversion is not supported");
    /* the bundled invalid file, with its rule */
    mq_scenario s;
    sim_err err = {{0}};
    assert_int_equal(scn_load_file("scenarios/invalid/rabbitmq-cross-series.yaml", &s, &err), -1);
    assert_non_null(strstr(err.msg, ":34:13: rabbitmq_conversion.to.series: cross-series"));
}

static void test_rule_not_in_service(void **state)
{
    (void)state;
    char body[2048];
    snprintf(body, sizeof body, "%srabbitmq_conversion:\n  at: 1m\n  to: { edition: platinum }\n",
             CLIENTS);
    expect_reject(scenario("{duration: 10m}", "edition: professional, state: creating", body),
                  "instance.state", "only an instance that is in service can be converted");
    mq_scenario s;
    sim_err err = {{0}};
    assert_int_equal(scn_load_file("scenarios/invalid/rabbitmq-not-in-service.yaml", &s, &err), -1);
    assert_non_null(strstr(err.msg, ":13:10: instance.state: only an instance that is in service"));
}

static void test_rule_series_and_direction(void **state)
{
    (void)state;
    char body[2048];
    /* professional -> enterprise: both shared, a spec change, not a conversion */
    snprintf(body, sizeof body, "%srabbitmq_conversion:\n  at: 1m\n  to: { edition: enterprise }\n",
             CLIENTS);
    expect_reject(scenario("{duration: 10m}", "edition: professional", body), NULL,
                  "not a shared <-> dedicated conversion");
    /* platinum is dedicated: deployment: shared contradicts it */
    snprintf(body, sizeof body, "%srabbitmq_conversion:\n  at: 1m\n  to: { edition: professional }\n",
             CLIENTS);
    expect_reject(scenario("{duration: 10m}", "edition: platinum, deployment: shared", body),
                  "instance.deployment", "platinum is dedicated");
    /* serverless names a deployment, not an edition */
    snprintf(body, sizeof body, "%srabbitmq_conversion:\n  at: 1m\n  to: { edition: platinum }\n",
             CLIENTS);
    expect_reject(scenario("{duration: 10m}", "series: serverless", body), NULL,
                  "a serverless target names its deployment");
    /* a rocketmq instance has no such conversion */
    const char *rmq =
        "name: t\nrun: {duration: 10m}\ninstance: { kind: rocketmq }\n"
        "clusters:\n  - name: main\n    brokers:\n      - name: b1\nqueues:\n  - name: q\n"
        "rabbitmq_conversion:\n  at: 1m\n  to: { edition: platinum }\n";
    expect_reject(rmq, NULL, "applies to rabbitmq instances only");
}

static void test_rule_old_instance_warns(void **state)
{
    (void)state;
    char body[2048];
    snprintf(body, sizeof body, "%srabbitmq_conversion:\n  at: 1m\n  to: { edition: platinum }\n"
             "  instance_age: old\n", CLIENTS);
    mq_scenario s;
    sim_err err = {{0}};
    assert_int_equal(load_text(scenario("{duration: 10m}", "edition: professional", body), &s, &err), 0);
    assert_int_equal(s.warnings.n, 1);
    assert_non_null(strstr(s.warnings.v[0], "older subscription instances"));
    mq_scenario_free(&s);
    /* a new instance, or a serverless one, gets no warning */
    snprintf(body, sizeof body, "%srabbitmq_conversion:\n  at: 1m\n  instance_age: old\n"
             "  to: { deployment: dedicated }\n", CLIENTS);
    assert_int_equal(load_text(scenario("{duration: 10m}", "series: serverless", body), &s, &err), 0);
    assert_int_equal(s.warnings.n, 0);
    mq_scenario_free(&s);
}

/* ---- phases ---------------------------------------------------------------- */

/* Phases follow each other in order, with the configured lengths, in the
** timeseries label and in the plot bands. */
static void test_phase_order(void **state)
{
    (void)state;
    mq_result r;
    run_file("scenarios/rabbitmq/shared-to-dedicated-vpc.yaml", &r);
    /* at 5m + create 10m = phase 1 at 900 s; 2m; 1m; no backlog: phase 3 ~ 0 */
    assert_near(metric(&r, "phase1_s"), 120, 1e-9);
    assert_near(metric(&r, "phase2_s"), 60, 1e-9);
    assert_true(metric(&r, "phase3_s") >= 0 && metric(&r, "phase3_s") < 1);
    assert_near(metric(&r, "phase4_start_s"), 900 + 180 + metric(&r, "phase3_s"), 1e-6);
    assert_near(metric(&r, "migration_total_s"), metric(&r, "phase4_start_s") - 300, 1e-6);
    static const char *const order[] = {"creating destination", "phase 1 dual-write",
                                        "phase 2 single-write", "phase 3 source drain",
                                        "phase 4 destination only"};
    /* the phase labels appear in this order in the timeseries */
    int seen = 0;
    for (size_t i = 0; i < r.series.nrows; i++) {
        const char *l = r.series.labels[i];
        for (int k = 0; k < 5; k++)
            if (!strcmp(l, order[k])) {
                assert_true(k >= seen - 1); /* never back to an earlier phase */
                if (k >= seen) seen = k + 1;
            }
    }
    assert_int_equal(seen, 5);
    int bands = 0;
    double last = -1;
    for (size_t i = 0; i < r.bands.n; i++)
        for (int k = 0; k < 5; k++)
            if (!strcmp(r.bands.v[i].label, order[k])) {
                assert_true(r.bands.v[i].t0 >= last);
                last = r.bands.v[i].t0;
                bands++;
            }
    assert_int_equal(bands, 5);
    mq_result_free(&r);
}

/* No phase 4 while the source holds a consumable message: without consumers
** the stacked backlog never drains and the conversion stays in phase 3. */
static void test_gate_backlog(void **state)
{
    (void)state;
    const char *body =
        "producers:\n  - { name: p, count: 1, rate: 10 }\n"
        "backlog:\n  - { messages: 100 }\n"
        "rabbitmq_conversion:\n  at: 10s\n  to: { edition: professional }\n"
        "  phases: { dual_write: 10s, single_write: 10s }\n";
    mq_result r;
    run_text(scenario("{duration: 5m}", "edition: platinum", body), &r);
    assert_true(isnan(metric(&r, "phase4_start_s")));
    assert_true(isnan(metric(&r, "phase3_s")));
    assert_true(metric(&r, "source_backlog_at_phase3") >= 100); /* + phase-1 writes */
    assert_true(r.warnings.n >= 1);
    mq_result_free(&r);
}

/* A scheduled message due in 2 h holds phase 3 for 2 h, unless it expires
** first (TTL 1 h: held 1 h). */
static void test_gate_scheduled(void **state)
{
    (void)state;
    const char *fmt =
        "%s"
        "scheduled:\n  - { messages: 3, deliver_at: { dist: constant, value: 2h }%s }\n"
        "rabbitmq_conversion:\n  at: 10s\n  to: { edition: professional }\n"
        "  phases: { dual_write: 10s, single_write: 10s }\n";
    char body[2048];
    mq_result r;
    snprintf(body, sizeof body, fmt, CLIENTS, "");
    run_text(scenario("{duration: 3h, sample_interval: 1m}", "edition: platinum", body), &r);
    /* phase 3 starts at 30 s; ends right after the messages are due at 7200 s */
    assert_true(metric(&r, "phase4_start_s") >= 7200);
    assert_true(metric(&r, "phase4_start_s") < 7201);
    assert_near(metric(&r, "source_scheduled_hold_s"), 7200 - 30, 1e-6);
    mq_result_free(&r);
    snprintf(body, sizeof body, fmt, CLIENTS, ", ttl: 1h");
    run_text(scenario("{duration: 3h, sample_interval: 1m}", "edition: platinum", body), &r);
    assert_near(metric(&r, "phase4_start_s"), 3600, 1e-6);
    assert_near(metric(&r, "expired_ttl"), 3, 0);
    mq_result_free(&r);
}

/* stacked-and-scheduled.yaml: phase 3 against max(B/(mu-lambda), hold). The
** shipped file is scheduled-bound; without its scheduled entries it is
** backlog-bound. Both within 2 %. */
static void test_stacked_fluid(void **state)
{
    (void)state;
    mq_scenario s;
    mq_result r;
    load_file("scenarios/rabbitmq/stacked-and-scheduled.yaml", &s);
    run_scn(&s, &r);
    double p3 = metric(&r, "phase3_s"), fl = metric(&r, "source_drain_fluid_s");
    print_message("stacked-and-scheduled: phase3 %.1f s, fluid %.1f s (%.3f %%)\n", p3, fl,
                  100 * (p3 - fl) / fl);
    assert_true(fl > 6000);
    assert_near(p3, fl, 0.02 * fl);
    mq_result_free(&r);
    s.nscheduled = 0; /* backlog only */
    run_scn(&s, &r);
    p3 = metric(&r, "phase3_s");
    fl = metric(&r, "source_drain_fluid_s");
    print_message("  backlog only: phase3 %.1f s, fluid %.1f s (%.3f %%)\n", p3, fl,
                  100 * (p3 - fl) / fl);
    assert_true(fl > 500 && fl < 2000);
    assert_near(metric(&r, "source_scheduled_hold_s"), 0, 0);
    assert_near(p3, fl, 0.02 * fl);
    mq_result_free(&r);
    mq_scenario_free(&s);
}

/* ---- connection migration ------------------------------------------------ */

/* VPC, shared -> dedicated, no restarts: nobody moves until the source stops
** serving; then all are reset; Java back in ~5 s, pika after its 60 s. */
static void test_vpc_upgrade_stays_on_source(void **state)
{
    (void)state;
    mq_result r;
    run_file("scenarios/rabbitmq/shared-to-dedicated-vpc.yaml", &r);
    assert_near(metric(&r, "clients_on_source_phase1"), 16, 0);
    assert_near(metric(&r, "clients_on_source_phase3"), 16, 0);
    assert_near(metric(&r, "clients_left_on_source"), 16, 0);
    assert_near(metric(&r, "connections_dropped_by_migration"), 16, 0);
    assert_near(metric(&r, "disruption_vpc_max_s"), 60, 1e-6); /* pika app_restart 60s */
    assert_near(metric(&r, "clients_cut_off_at_end"), 0, 0);
    mq_result_free(&r);
}

/* The optional source-upgrade disconnect moves everybody during phase 1
** (Java in 5 s, pika after its 60 s); source_stop: serve leaves them all on
** the source, uncut. */
static void test_vpc_upgrade_source_events(void **state)
{
    (void)state;
    mq_scenario s;
    mq_result r;
    load_file("scenarios/rabbitmq/shared-to-dedicated-vpc.yaml", &s);
    s.rabbitmq_conversion->source_upgrade_at_s = 930; /* phase 1: 900..1020 */
    run_scn(&s, &r);
    assert_near(metric(&r, "clients_on_source_phase1"), 16, 0);
    assert_near(metric(&r, "clients_on_source_phase2"), 0, 0);
    assert_near(metric(&r, "clients_left_on_source"), 0, 0);
    assert_near(metric(&r, "connections_dropped_by_migration"), 16, 0);
    assert_near(metric(&r, "disruption_vpc_max_s"), 60, 1e-6);
    mq_result_free(&r);
    s.rabbitmq_conversion->source_upgrade_at_s = -1;
    s.rabbitmq_conversion->source_stop = MQ_RB_STOP_SERVE;
    run_scn(&s, &r);
    assert_near(metric(&r, "clients_left_on_source"), 16, 0);
    assert_near(metric(&r, "connections_dropped_by_migration"), 0, 0);
    assert_near(metric(&r, "disruption_vpc_max_s"), 0, 0);
    assert_near(metric(&r, "lost"), 0, 0);
    mq_result_free(&r);
    mq_scenario_free(&s);
}

/* A public endpoint behaves like VPC: a downgrade resets it, Java AR is back
** in 5 s; nothing is reported for endpoint types nobody uses. */
static void test_public_endpoint(void **state)
{
    (void)state;
    const char *body =
        "producers:\n  - { name: p, count: 2, rate: 100, endpoint: public }\n"
        "consumers:\n  - { name: c, count: 2, prefetch: 20, endpoint: public,"
        " processing: { dist: exponential, mean: 5ms } }\n"
        "rabbitmq_conversion:\n  at: 1m\n  to: { edition: professional }\n";
    mq_result r;
    run_text(scenario("{duration: 10m}", "edition: platinum", body), &r);
    assert_near(metric(&r, "disruption_public_max_s"), 5, 1e-6);
    assert_near(metric(&r, "connections_dropped_by_migration"), 4, 0);
    assert_true(isnan(metric(&r, "disruption_vpc_max_s")));
    assert_true(isnan(metric(&r, "disruption_privatelink_max_s")));
    mq_result_free(&r);
}

/* With a rolling app restart after phase 1 began, every client reconnects to
** the destination; none is left for phase 4 and the migration drops nobody. */
static void test_vpc_upgrade_rolling_restart(void **state)
{
    (void)state;
    mq_result r;
    run_file("scenarios/rabbitmq/shared-to-dedicated-vpc-restart.yaml", &r);
    assert_near(metric(&r, "clients_on_source_phase1"), 16, 0);
    assert_near(metric(&r, "clients_on_source_phase2"), 0, 0);
    assert_near(metric(&r, "clients_left_on_source"), 0, 0);
    assert_near(metric(&r, "connections_dropped_by_migration"), 0, 0);
    assert_near(metric(&r, "disruption_vpc_max_s"), 5, 1e-6); /* the restart itself */
    mq_result_free(&r);
}

/* Dedicated -> shared: the server closes every connection; Java AR is back
** in 5 s; pika/Go stay cut off until the application restarts (12m). */
static void test_downgrade_disconnects(void **state)
{
    (void)state;
    mq_result r;
    run_file("scenarios/rabbitmq/dedicated-to-shared-autoreconnect.yaml", &r);
    assert_near(metric(&r, "connections_dropped_by_migration"), 14, 0);
    assert_near(metric(&r, "disruption_vpc_max_s"), 5, 1e-6);
    assert_near(metric(&r, "clients_cut_off_at_end"), 0, 0);
    mq_result_free(&r);
    run_file("scenarios/rabbitmq/dedicated-to-shared-no-autoreconnect.yaml", &r);
    assert_near(metric(&r, "connections_dropped_by_migration"), 14, 0);
    assert_near(metric(&r, "disruption_vpc_max_s"), 720 + 10 - 300, 1e-6);
    assert_true(metric(&r, "lost") > 0); /* pika drops sends while cut off */
    mq_result_free(&r);
}

/* PrivateLink: every PrivateLink client is cut off for the sampled outage
** (uniform 2-5 min); the VPC clients of the same upgrade are not. */
static void test_privatelink(void **state)
{
    (void)state;
    mq_result r;
    run_file("scenarios/rabbitmq/privatelink.yaml", &r);
    double out = metric(&r, "privatelink_outage_s");
    assert_true(out >= 120 && out <= 300);
    double pl = metric(&r, "disruption_privatelink_max_s");
    assert_true(pl >= out && pl <= out + 6); /* + at most one 5 s AR interval */
    assert_true(metric(&r, "disruption_vpc_max_s") < 10);
    mq_result_free(&r);
}

/* Duplicates from the migration's own drops stay within the bound: the
** prefetch of every dropped consumer plus the unconfirmed publishes. */
static void test_duplicate_bound(void **state)
{
    (void)state;
    mq_result r;
    run_file("scenarios/rabbitmq/dedicated-to-shared-autoreconnect.yaml", &r);
    double dups = metric(&r, "duplicates_requeue") + metric(&r, "duplicates_republish");
    double bound = metric(&r, "duplicates_bound");
    print_message("dedicated-to-shared-autoreconnect: duplicates %.0f, bound %.0f\n", dups, bound);
    assert_true(dups > 0);
    assert_true(dups <= bound);
    assert_true(bound <= 4 * 50 + 400 * 0.25); /* prefetch 4 x 50 + rate x confirm window */
    assert_near(metric(&r, "duplicates"), dups, 0); /* no other cause here */
    mq_result_free(&r);
}

/* ---- time of day, --at, loader extras ----------------------------------- */

static void test_time_of_day_and_at(void **state)
{
    (void)state;
    mq_scenario s;
    load_file("scenarios/rabbitmq/peak-vs-offpeak.yaml", &s);
    const mq_rate *rt = &s.producers[0].rate;
    /* start_at 02:00: t = 0 is night, t = 6h is 08:00 (peak) */
    assert_near(mq_rate_at_run(&s, rt, 0), 20, 0);
    assert_near(mq_rate_at_run(&s, rt, 6 * 3600 - 1), 20, 0);
    assert_near(mq_rate_at_run(&s, rt, 6 * 3600), 100, 0);
    sim_err err = {{0}};
    assert_int_equal(mq_rabbitmq_start_at_clock(&s, 3 * 3600, &err), 0);
    assert_near(s.rabbitmq_conversion->at_s, 3600, 1e-9);
    assert_int_equal(mq_rabbitmq_start_at_clock(&s, 23 * 3600, &err), -1);
    assert_non_null(strstr(err.msg, "after the end of the run"));
    mq_scenario_free(&s);
    /* rolling applies to app_restart only */
    char body[2048];
    snprintf(body, sizeof body, "%sevents:\n  - { at: 1m, type: disconnect, duration: 5s, rolling: 5s }\n",
             CLIENTS);
    expect_reject(scenario("{duration: 10m}", "edition: professional", body), NULL,
                  "'rolling' applies to app_restart events only");
}

/* Off-peak (03:00) versus peak (09:00) start: the peak start republishes
** more unconfirmed sends. */
static void test_peak_vs_offpeak(void **state)
{
    (void)state;
    mq_scenario s;
    mq_result peak, off;
    load_file("scenarios/rabbitmq/peak-vs-offpeak.yaml", &s);
    run_scn(&s, &peak);
    sim_err err = {{0}};
    assert_int_equal(mq_rabbitmq_start_at_clock(&s, 3 * 3600, &err), 0);
    run_scn(&s, &off);
    print_message("republish duplicates: peak %.0f, off-peak %.0f\n",
                  metric(&peak, "duplicates_republish"), metric(&off, "duplicates_republish"));
    assert_true(metric(&peak, "duplicates_republish") > metric(&off, "duplicates_republish"));
    assert_near(metric(&off, "conversion_at_s"), 3600, 1e-9);
    mq_result_free(&peak);
    mq_result_free(&off);
    mq_scenario_free(&s);
}

/* Every bundled rabbitmq scenario loads and runs (accounting checked). */
static void test_bundled_scenarios_run(void **state)
{
    (void)state;
    DIR *d = opendir("scenarios/rabbitmq");
    assert_non_null(d);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".yaml")) continue;
        char path[512];
        snprintf(path, sizeof path, "scenarios/rabbitmq/%s", e->d_name);
        mq_result r;
        run_file(path, &r);
        assert_false(isnan(metric(&r, "phase4_start_s")));
        mq_result_free(&r);
        n++;
    }
    closedir(d);
    assert_int_equal(n, 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_cross_series),
        cmocka_unit_test(test_rule_not_in_service),
        cmocka_unit_test(test_rule_series_and_direction),
        cmocka_unit_test(test_rule_old_instance_warns),
        cmocka_unit_test(test_phase_order),
        cmocka_unit_test(test_gate_backlog),
        cmocka_unit_test(test_gate_scheduled),
        cmocka_unit_test(test_stacked_fluid),
        cmocka_unit_test(test_vpc_upgrade_stays_on_source),
        cmocka_unit_test(test_vpc_upgrade_rolling_restart),
        cmocka_unit_test(test_vpc_upgrade_source_events),
        cmocka_unit_test(test_public_endpoint),
        cmocka_unit_test(test_downgrade_disconnects),
        cmocka_unit_test(test_privatelink),
        cmocka_unit_test(test_duplicate_bound),
        cmocka_unit_test(test_time_of_day_and_at),
        cmocka_unit_test(test_peak_vs_offpeak),
        cmocka_unit_test(test_bundled_scenarios_run),
    };
    return cmocka_run_group_tests_name("rabbitmq", tests, NULL, NULL);
}
