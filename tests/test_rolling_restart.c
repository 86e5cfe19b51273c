/*
** test_rolling_restart.c - the third change type, a rolling broker restart
** (models/change/mq_rolling_restart.c, io/change/scn_rolling_restart.c),
** added through the change-type interface only.
**
** What must hold: each node's clients are cut off for the restart plus
** their own wait for the first reconnect attempt after the node is back
** (a fixed back-off of I without jitter: ceil(D / I) x I), and only the
** clients of the node being restarted; with confirms and buffering
** producers nothing is lost; every duplicate is a requeue of a delivery
** that was unacked at a close or a republish of a send unconfirmed at one
** (restart_unacked_at_close, restart_unconfirmed_at_close); the rules
** refuse a restart without nodes, a restart duration <= 0 and an interval
** shorter than the restart, each at its key; the paired baseline has no
** restart.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "io/scn_load.h"
#include "models/change/mq_rolling_restart.h"
#include "models/mq_model.h"
#include "tests/test_run.h"
#include "tests/test_util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Two nodes, one queue each; group a on n1 (reconnect every 5 s), group b
** on n2 (every 3 s); producers confirm and buffer while disconnected;
** consumers ack manually, processing slowly enough to hold a full
** prefetch window. `change` is the rolling_restart block (or anything else
** appended at the end). */
static const char *scenario(const char *change)
{
    static char buf[8192];
    snprintf(buf, sizeof buf,
             "name: t\nrun: { duration: 6m, sample_interval: 1s, seed: 7 }\n"
             "instance: { kind: rabbitmq }\n"
             "clusters:\n  - name: main\n    brokers:\n      - name: n1\n      - name: n2\n"
             "queues:\n  - { name: qa, broker: n1 }\n  - { name: qb, broker: n2 }\n"
             "producers:\n"
             "  - { name: pa, queue: qa, count: 3, rate: 120, profile: rabbitmq-java,"
             " confirms: true, on_disconnect: buffer,"
             " reconnect: { interval: 5s, jitter: 0 } }\n"
             "  - { name: pb, queue: qb, count: 2, rate: 60, profile: rabbitmq-java,"
             " confirms: true, on_disconnect: buffer,"
             " reconnect: { interval: 3s, jitter: 0 } }\n"
             "consumers:\n"
             "  - { name: ca, queue: qa, count: 3, prefetch: 20, profile: rabbitmq-java,"
             " processing: { dist: exponential, mean: 20ms },"
             " reconnect: { interval: 5s, jitter: 0 } }\n"
             "  - { name: cb, queue: qb, count: 2, prefetch: 20, profile: rabbitmq-java,"
             " processing: { dist: exponential, mean: 20ms },"
             " reconnect: { interval: 3s, jitter: 0 } }\n"
             "%s",
             change);
    return buf;
}

static const char *const RESTART =
    "rolling_restart:\n  at: 1m\n  restart_duration: 32s\n  interval: 90s\n";

/* ---- the model ------------------------------------------------------------ */

/* Node n1 (group a, I = 5 s) restarts at 60 s for 32 s: its clients are back
** at the first attempt at or after 92 s, 35 s after the reset; node n2
** (group b, I = 3 s) at 150 s: back after 33 s. Each client drops once. */
static void test_cutoff_per_node(void **state)
{
    (void)state;
    mq_result r;
    run_yaml(scenario(RESTART), &r);
    size_t seen = 0;
    for (size_t i = 0; i < r.noutages; i++) {
        const mq_client_outage *o = &r.outages[i];
        double want = o->group[1] == 'a' ? ceil(32.0 / 5) * 5 : ceil(32.0 / 3) * 3;
        if (o->drops != 1 || fabs(o->max_s - want) > 1e-6 || !o->connected_at_end)
            fail_msg("client %s[%d]: %d drops, cut off %.6f s (expected 1 drop of %.0f s)",
                     o->group, o->index, o->drops, o->max_s, want);
        seen++;
    }
    assert_int_equal(seen, 10);
    assert_near(metric(&r, "restart_cutoff_max_s"), 35, 1e-6);
    assert_near(metric(&r, "connections_dropped_by_restart"), 10, 0);
    assert_near(metric(&r, "restart_nodes_started"), 2, 0);
    assert_near(metric(&r, "rolling_restart_s"), 90 + 32, 1e-9);
    assert_near(metric(&r, "disruption_max_s"), 35, 1e-6);
    mq_result_free(&r);
}

/* Confirms and buffering: nothing lost. Duplicates come only from what was
** unacked or unconfirmed at the closes, and there are some. */
static void test_nothing_lost_duplicates_bounded(void **state)
{
    (void)state;
    mq_result r;
    run_yaml(scenario(RESTART), &r);
    assert_near(metric(&r, "lost"), 0, 0);
    assert_near(metric(&r, "expired"), 0, 0);
    double dup = metric(&r, "duplicates"), rq = metric(&r, "duplicates_requeue"),
           rp = metric(&r, "duplicates_republish");
    double unacked = metric(&r, "restart_unacked_at_close"),
           unconf = metric(&r, "restart_unconfirmed_at_close");
    if (!(dup > 0)) fail_msg("no duplicates: the restart should requeue unacked deliveries");
    assert_near(dup, rq + rp, 0);
    if (rq > unacked || rp > unconf)
        fail_msg("duplicates %g requeue + %g republish exceed unacked %g / unconfirmed %g at "
                 "the closes", rq, rp, unacked, unconf);
    assert_near(metric(&r, "restart_duplicates_bound"), unacked + unconf, 0);
    /* every client's prefetch window was in use at its close */
    if (!(unacked > 0)) fail_msg("no unacked deliveries at the closes");
    mq_result_free(&r);
}

/* Without the restart (the paired baseline) nobody is cut off. */
static void test_baseline(void **state)
{
    (void)state;
    mq_scenario s;
    sim_err err = {{0}};
    if (load_yaml(scenario(RESTART), &s, &err)) fail_msg("%s", err.msg);
    assert_non_null(mq_rolling_restart_of(&s));
    assert_true(mq_scenario_has_change(&s));
    mq_scenario_strip_change(&s);
    assert_false(mq_scenario_has_change(&s));
    assert_null(s.change.ops);
    mq_result r;
    run_scn(&s, &r);
    assert_near(metric(&r, "disruption_max_s"), 0, 0);
    assert_near(metric(&r, "duplicates"), 0, 0);
    assert_null(sim_metrics_find(&r.metrics, "restart_cutoff_max_s"));
    mq_result_free(&r);
    mq_scenario_free(&s);
}

/* ---- rules and warnings ----------------------------------------------------- */

static void test_rules(void **state)
{
    (void)state;
    expect_reject(scenario("rolling_restart:\n  at: 1m\n  restart_duration: 30s\n  nodes: []\n"),
                  "t.yaml:", "expected at least one node");
    expect_reject(scenario("rolling_restart:\n  at: 1m\n  restart_duration: 0s\n"),
                  "rolling_restart.restart_duration", "out of range");
    expect_reject(scenario("rolling_restart:\n  at: 1m\n  restart_duration: 30s\n"
                           "  interval: 20s\n"),
                  "rolling_restart.interval", "shorter than restart_duration");
    expect_reject(scenario("rolling_restart:\n  at: 1m\n  restart_duration: 30s\n"
                           "  nodes: [n1, n9]\n"),
                  "rolling_restart.nodes[1]", "no broker named 'n9'");
    expect_reject(scenario("rolling_restart:\n  at: 1m\n  restart_duration: 30s\n"
                           "  nodes: [n2, n2]\n"),
                  "rolling_restart.nodes[1]", "listed twice");
    expect_reject(scenario("rolling_restart:\n  at: 9m\n  restart_duration: 30s\n"),
                  "rolling_restart.at", "out of range");
    /* one change per scenario */
    expect_reject(scenario("rolling_restart:\n  at: 1m\n  restart_duration: 30s\n"
                           "rabbitmq_conversion:\n  at: 1m\n  to: { deployment: dedicated }\n"),
                  "t.yaml:", "describes one change");
    /* the position is the offending key's line */
    mq_scenario s;
    sim_err err = {{0}};
    assert_int_not_equal(load_yaml(scenario("rolling_restart:\n  at: 1m\n"
                                            "  restart_duration: 30s\n  interval: 10s\n"),
                                   &s, &err), 0);
    assert_non_null(strstr(err.msg, "t.yaml:21:13:"));
}

/* The bundled invalid scenarios are refused with the "# expect:" line (the
** error's line:col and words) each opens with. */
static void test_invalid_scenarios(void **state)
{
    (void)state;
    static const char *const files[] = {"scenarios/invalid/rolling-restart-overlap.yaml",
                                        "scenarios/invalid/rolling-restart-no-nodes.yaml"};
    for (size_t i = 0; i < 2; i++) {
        mq_scenario s;
        sim_err err = {{0}};
        if (scn_load_file(files[i], &s, &err) == 0) {
            mq_scenario_free(&s);
            fail_msg("%s was accepted", files[i]);
        }
        char line[512] = "", want[1024];
        FILE *f = fopen(files[i], "r");
        assert_non_null(f);
        assert_non_null(fgets(line, sizeof line, f));
        fclose(f);
        line[strcspn(line, "\n")] = '\0';
        assert_int_equal(strncmp(line, "# expect: ", 10), 0);
        snprintf(want, sizeof want, "%s:%s", files[i], line + 10);
        if (!strstr(err.msg, want)) fail_msg("'%s' lacks '%s'", err.msg, want);
    }
}

static bool has_warning(const mq_scenario *s, const char *sub)
{
    for (size_t i = 0; i < s->warnings.n; i++)
        if (strstr(s->warnings.v[i], sub)) return true;
    return false;
}

static void test_warnings_and_defaults(void **state)
{
    (void)state;
    mq_scenario s;
    sim_err err = {{0}};
    /* default interval (2 x restart), default nodes (every broker), a run
    ** too short for the whole restart */
    if (load_yaml(scenario("rolling_restart:\n  at: 5m\n  restart_duration: 40s\n"), &s, &err))
        fail_msg("%s", err.msg);
    const mq_rolling_restart *rr = mq_rolling_restart_of(&s);
    assert_non_null(rr);
    assert_near(rr->interval_s, 80, 0);
    assert_int_equal(rr->nnodes, 2);
    assert_int_equal(rr->nodes[0], 0);
    assert_int_equal(rr->nodes[1], 1);
    assert_true(has_warning(&s, "after the end of the run"));
    assert_false(has_warning(&s, "one-node instance"));
    assert_int_equal(s.ndefaults, 1);
    assert_string_equal(s.defaults[0].key, "rolling_restart.interval");
    mq_scenario_free(&s);

    /* a group that does not reconnect by itself, on a restarted node */
    char text[8192];
    snprintf(text, sizeof text, "%s", scenario("rolling_restart:\n  at: 1m\n"
                                              "  restart_duration: 30s\n  nodes: [n2]\n"));
    char *p = strstr(text, "name: cb, queue: qb");
    assert_non_null(p);
    char *prof = strstr(p, "profile: rabbitmq-java");
    memcpy(prof, "profile: pika         ", strlen("profile: rabbitmq-java"));
    if (load_yaml(text, &s, &err)) fail_msg("%s", err.msg);
    assert_true(has_warning(&s, "group 'cb' does not reconnect by itself"));
    assert_false(has_warning(&s, "group 'ca'"));
    mq_scenario_free(&s);
}

/* Producers that retry (the rabbitmq-java profile: 3 retries, 2 s apart)
** instead of buffering lose what they send early in a 32 s restart, and the
** run says which group and why. */
static void test_lost_sends_warned(void **state)
{
    (void)state;
    char text[8192];
    snprintf(text, sizeof text, "%s", scenario(RESTART));
    char *p;
    while ((p = strstr(text, "on_disconnect: buffer"))) memcpy(p, "on_disconnect: retry ", 21);
    mq_result r;
    run_yaml(text, &r);
    if (!(metric(&r, "lost") > 0)) fail_msg("retrying producers lost nothing to a 32 s restart");
    bool warned = false;
    for (size_t i = 0; i < r.warnings.n; i++)
        warned |= strstr(r.warnings.v[i], "producer group 'pa' lost") != NULL &&
                  strstr(r.warnings.v[i], "3 retries cover about 6 s") != NULL;
    if (!warned) fail_msg("no warning naming group pa and its retry window");
    mq_result_free(&r);
}

/* The bundled scenario: three nodes, 30 s each, fixed 5 s recovery. */
static void test_bundled(void **state)
{
    (void)state;
    mq_scenario s;
    sim_err err = {{0}};
    if (scn_load_file("scenarios/maintenance/rolling-restart.yaml", &s, &err))
        fail_msg("%s", err.msg);
    mq_result r;
    run_scn(&s, &r);
    assert_near(metric(&r, "restart_nodes_started"), 3, 0);
    assert_near(metric(&r, "lost"), 0, 0);
    assert_near(metric(&r, "restart_cutoff_max_s"), 30, 1e-6);
    assert_true(metric(&r, "duplicates") <= metric(&r, "restart_duplicates_bound"));
    assert_near(metric(&r, "clients_cut_off_at_end"), 0, 0);
    mq_result_free(&r);
    mq_scenario_free(&s);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_cutoff_per_node),
        cmocka_unit_test(test_nothing_lost_duplicates_bounded),
        cmocka_unit_test(test_baseline),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_invalid_scenarios),
        cmocka_unit_test(test_warnings_and_defaults),
        cmocka_unit_test(test_lost_sends_warned),
        cmocka_unit_test(test_bundled),
    };
    return cmocka_run_group_tests_name("rolling_restart", t, NULL, NULL);
}
