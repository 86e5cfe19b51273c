/*
** test_scn_load.c - the scenario loader end to end: the three bundled
** scenarios load with the values their files and the client profiles imply
** (durations in seconds, profile defaults applied, the file's overrides
** winning, references resolved to indices), and in-memory scenarios cover
** rate steps, RocketMQ profile knobs, event references and error cleanup.
** A `--set change.KEY` setting addresses the change block whatever its type
** (the same text as naming the block's own key), and is refused without one.
** Tests run with cwd = repository root.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/test_util.h"

#include "tests/test_run.h"

#include "io/scn_load.h"
#include "io/scn_override.h"
#include "models/mq_profile.h"

#include <stdlib.h>
#include <string.h>

static void load(const char *path, mq_scenario *s)
{
    sim_err e = {{0}};
    if (scn_load_file(path, s, &e) != 0) fail_msg("%s", e.msg);
}

static void load_text(const char *text, mq_scenario *s)
{
    sim_err e = {{0}};
    if (scn_load_string("mem.yaml", text, strlen(text), s, &e) != 0)
        fail_msg("%s", e.msg);
}

static void test_steady_state(void **state)
{
    (void)state;
    mq_scenario s;
    load("scenarios/steady-state.yaml", &s);
    assert_string_equal(s.name, "steady-state");
    assert_string_equal(s.path, "scenarios/steady-state.yaml");
    assert_near(s.run.duration_s, 600, 0);
    assert_near(s.run.warmup_s, 30, 0);
    assert_near(s.run.sample_s, 1, 0);
    assert_near(s.run.rtt_s, 0.001, 1e-15);    /* default */
    assert_near(s.run.retention_s, 0, 0);
    assert_true(s.run.seed == 42);
    assert_int_equal(s.instance.kind, MQ_KIND_RABBITMQ);
    assert_int_equal(s.instance.edition, MQ_EDITION_PROFESSIONAL);
    assert_int_equal(s.instance.deployment, MQ_DEPLOY_SHARED);
    assert_int_equal(s.nclusters, 1);
    assert_int_equal(s.nbrokers, 1);
    assert_string_equal(s.brokers[0].name, "b1");
    assert_int_equal(s.brokers[0].cluster, 0);
    assert_int_equal(s.nqueues, 1);
    assert_int_equal(s.queues[0].broker, 0);

    assert_int_equal(s.nproducers, 1);
    const mq_producer_group *p = &s.producers[0];
    assert_string_equal(p->profile, "rabbitmq-java");
    assert_int_equal(p->count, 10);
    assert_int_equal(p->queue, 0);
    assert_int_equal(p->rate.nsteps, 1);
    assert_near(p->rate.steps[0].rate, 200, 0);
    assert_int_equal(p->rate.arrivals, MQ_ARRIVALS_POISSON);
    assert_near(p->msg_size_bytes, 1024, 0);
    /* profile defaults (model-reference #1, #2, #5) */
    const mq_profile *java = mq_profile_find("rabbitmq-java");
    assert_non_null(java);
    assert_near(p->send_timeout_s, java->send_timeout_s, 0);
    assert_int_equal(p->retries, java->retries);
    assert_true(p->reconnect.automatic);
    assert_near(p->reconnect.interval_s, 5, 0);
    assert_near(p->reconnect.detect_silent_s, 135, 0); /* amqp-client 5.0: 2.25 x hb 60 s */
    assert_int_equal(p->reconnect.max_attempts, 0);
    assert_true(p->reconnect.app_restart_s < 0);

    assert_int_equal(s.nconsumers, 1);
    const mq_consumer_group *c = &s.consumers[0];
    assert_int_equal(c->count, 4);
    assert_int_equal(c->prefetch, 50);     /* override beats profile's 250 */
    assert_int_equal(java->prefetch, 250);
    assert_int_equal(c->concurrency, 1);
    assert_int_equal(c->processing.kind, SIM_DIST_EXPONENTIAL);
    assert_near(sim_dist_mean(&c->processing), 0.010, 1e-15);
    /* rho = lambda / (count * concurrency / mean) = 200 / 400 */
    assert_near(200.0 / (c->count * c->concurrency / sim_dist_mean(&c->processing)),
                0.5, 1e-12);
    /* locations point into the file */
    assert_true(p->loc.line > 0 && c->loc.line > p->loc.line);

    char line[512];
    scn_summary(&s, line, sizeof line);
    assert_string_equal(line,
        "steady-state: rabbitmq professional shared, 1 cluster, 1 broker, "
        "1 queue, 1 producer group (10 clients, 200 msg/s), 1 consumer group "
        "(4 clients), backlog 0, 0 events, 10m run");
    mq_scenario_free(&s);
    assert_null(s.producers);
    mq_scenario_free(&s); /* freeing twice is harmless: the struct is zeroed */
}

static void test_backlog_drain(void **state)
{
    (void)state;
    mq_scenario s;
    load("scenarios/backlog-drain.yaml", &s);
    assert_near(s.run.duration_s, 300, 0);
    assert_near(s.run.drain_from_s, 0, 0);
    assert_int_equal(s.nbacklogs, 1);
    assert_true(s.backlogs[0].messages == 100000);
    assert_int_equal(s.backlogs[0].queue, 0);
    assert_int_equal(s.backlogs[0].age.kind, SIM_DIST_UNIFORM);
    assert_near(s.backlogs[0].age.p1, 0, 0);
    assert_near(s.backlogs[0].age.p2, 3600, 0);
    const mq_consumer_group *c = &s.consumers[0];
    assert_int_equal(c->concurrency, 5);
    assert_int_equal(c->processing.kind, SIM_DIST_CONSTANT);
    double mu = c->count * c->concurrency / sim_dist_mean(&c->processing);
    double lambda = s.producers[0].rate.steps[0].rate;
    assert_near(mu, 2000, 1e-9);
    assert_near(lambda, 100, 0);
    assert_near(100000 / (mu - lambda), 52.63, 0.01);
    mq_scenario_free(&s);
}

static void test_broker_restart(void **state)
{
    (void)state;
    mq_scenario s;
    load("scenarios/broker-restart.yaml", &s);
    assert_int_equal(s.nevents, 1);
    const mq_event *ev = &s.events[0];
    assert_int_equal(ev->type, MQ_EVENT_BROKER_RESTART);
    assert_near(ev->at_s, 120, 0);
    assert_near(ev->duration_s, 20, 0);
    assert_int_equal(ev->broker, 0);
    assert_false(ev->silent);
    assert_int_equal(ev->ngroups, 0);
    assert_string_equal(ev->label, "b1 restart");
    assert_int_equal(s.nconsumers, 2);
    const mq_consumer_group *java = &s.consumers[0], *pika = &s.consumers[1];
    assert_string_equal(java->profile, "rabbitmq-java");
    assert_true(java->reconnect.automatic);
    assert_true(java->reconnect.app_restart_s < 0);
    assert_string_equal(pika->profile, "pika");
    assert_false(pika->reconnect.automatic);           /* model-reference #12 */
    assert_near(pika->reconnect.app_restart_s, 60, 0); /* override */
    assert_near(pika->reconnect.detect_silent_s, 97.5, 0); /* pika 1.2: 1.5 x (hb 60 s + 5 s) */
    assert_int_equal(pika->queue, 1);
    assert_string_equal(s.queues[pika->queue].name, "reports");
    mq_scenario_free(&s);
}

static const char rocket[] =
    "name: rocket\n"
    "run: {duration: 1h, start_at: \"09:30\", retention: 3d}\n"
    "instance: {kind: rocketmq, edition: platinum, sub_category: cluster, spec_tps: 5000}\n"
    "clusters:\n"
    "  - name: c1\n"
    "    brokers: [{name: b1, capacity_tps: 2500}, {name: b2}]\n"
    "queues:\n"
    "  - {name: t1, broker: b2}\n"
    "producers:\n"
    "  - name: app\n"
    "    rate: {steps: [{at: 0s, rate: 100}, {at: 8h, rate: 300}], period: 24h}\n"
    "    reconnect: {backoff: exponential, interval: 1s, max_interval: 1m, multiplier: 2, jitter: 10%}\n"
    "consumers:\n"
    "  - name: c\n"
    "    processing: {dist: lognormal, median: 20ms, sigma: 0.5}\n"
    "    commit_interval: 1s\n"
    "events:\n"
    "  - {at: 10m, type: disconnect, groups: [c, app], duration: until_reconnect, detection: silent}\n";

static void test_rocketmq_defaults_and_refs(void **state)
{
    (void)state;
    mq_scenario s;
    load_text(rocket, &s);
    assert_near(s.run.start_clock_s, 34200, 0);
    assert_near(s.run.retention_s, 3 * 86400, 0);
    assert_true(s.run.seed == 1);
    assert_int_equal(s.instance.sub_category, MQ_SUBCAT_CLUSTER);
    assert_near(s.instance.spec_tps, 5000, 0);
    assert_int_equal(s.nbrokers, 2);
    assert_near(s.brokers[0].capacity_tps, 2500, 0);
    assert_int_equal(s.queues[0].broker, 1);  /* b2 */
    /* default profile for rocketmq and its knobs (model-reference #16-#22) */
    const mq_producer_group *p = &s.producers[0];
    assert_string_equal(p->profile, "rocketmq-4");
    assert_near(p->send_timeout_s, 3, 0);
    assert_int_equal(p->retries, 2);
    assert_near(p->route_refresh_s, 30, 0);
    assert_int_equal(p->queue, 0);  /* only queue: may be omitted */
    assert_int_equal(p->rate.nsteps, 2);
    assert_near(p->rate.steps[1].at_s, 8 * 3600, 0);
    assert_near(p->rate.steps[1].rate, 300, 0);
    assert_near(p->rate.period_s, 86400, 0);
    assert_int_equal(p->reconnect.backoff, MQ_BACKOFF_EXPONENTIAL);
    assert_near(p->reconnect.max_interval_s, 60, 0);
    assert_near(p->reconnect.multiplier, 2, 0);
    assert_near(p->reconnect.jitter, 0.1, 1e-15);
    const mq_consumer_group *c = &s.consumers[0];
    assert_int_equal(c->prefetch, 1000);
    assert_int_equal(c->concurrency, 20);
    assert_near(c->commit_interval_s, 1, 0);   /* override of 5 s */
    assert_near(c->rebalance_s, 20, 0);
    assert_near(c->pull_backoff_s, 3, 0);
    assert_near(c->route_refresh_s, 30, 0);
    assert_int_equal(c->processing.kind, SIM_DIST_LOGNORMAL);
    assert_near(c->processing.p1, log(0.020), 1e-12); /* zeta = ln(median) */
    assert_near(c->processing.p2, 0.5, 0);
    const mq_event *ev = &s.events[0];
    assert_int_equal(ev->type, MQ_EVENT_DISCONNECT);
    assert_int_equal(ev->broker, -1);
    assert_true(ev->duration_s < 0);
    assert_true(ev->silent);
    assert_int_equal(ev->ngroups, 2);
    assert_true(ev->groups[0].consumer && ev->groups[0].index == 0);
    assert_true(!ev->groups[1].consumer && ev->groups[1].index == 0);
    assert_string_equal(ev->label, "disconnect");
    char line[512];
    scn_summary(&s, line, sizeof line);
    assert_non_null(strstr(line, "rocket: rocketmq platinum cluster shared, 1 cluster, 2 brokers"));
    assert_non_null(strstr(line, "(1 clients, 100-300 msg/s)"));
    assert_non_null(strstr(line, "1 event, 1h run"));
    mq_scenario_free(&s);
}

static void test_error_leaves_empty(void **state)
{
    (void)state;
    /* fails late (event reference), after much has been allocated */
    char text[sizeof rocket + 16];
    snprintf(text, sizeof text, "%s", rocket);
    char *g = strstr(text, "groups: [c, app]");
    assert_non_null(g);
    memcpy(g, "groups: [c, apx]", 16);
    mq_scenario s;
    sim_err e = {{0}};
    assert_int_equal(scn_load_string("mem.yaml", text, strlen(text), &s, &e), -1);
    assert_null(s.producers);
    assert_null(s.name);
    assert_int_equal(s.nconsumers, 0);
    assert_non_null(strstr(e.msg, "mem.yaml:18:"));
    assert_non_null(strstr(e.msg, "unknown producer or consumer group 'apx'; did you mean 'app'?"));
}

/* Automatic reconnection with no pause and no limit never lets the clock
** move while a broker refuses (a run hung at the restart): refused at the
** key that made it so; a limited number of immediate attempts is fine. */
static void test_reconnect_without_pause(void **state)
{
    (void)state;
    const char *head =
        "name: t\nrun: { duration: 2m }\ninstance: { kind: rocketmq }\n"
        "clusters: [ { name: c0, brokers: [ { name: b0 } ] } ]\nqueues: [ { name: q0 } ]\n"
        "consumers:\n  - name: c1\n    processing: { dist: constant, value: 30ms }\n";
    char text[1024];
    snprintf(text, sizeof text, "%s    reconnect: { backoff: fixed, interval: 0s }\n", head);
    expect_reject(text, "t.yaml:9:44: consumers[0].reconnect.interval",
                  "automatic reconnection with a 0 s interval and unlimited attempts");
    snprintf(text, sizeof text, "%s    reconnect: { backoff: exponential, interval: 0s }\n", head);
    expect_reject(text, "consumers[0].reconnect.interval", "retries without pause");
    snprintf(text, sizeof text, "%s    reconnect: { interval: 0s, max_attempts: 3 }\n", head);
    mq_scenario s;
    sim_err e = {{0}};
    assert_int_equal(scn_load_string("t.yaml", text, strlen(text), &s, &e), 0);
    mq_scenario_free(&s);
}

/* A channel whose throughput estimate cannot be had in bounded time is
** refused at its prefetch: a million credits over a 1-minute round trip at
** the balance point with gamma processing (the numerical estimate would
** take minutes; `mqsim check` hung). Away from the balance point, or with
** a closed-form law, the same prefetch loads at once. */
static void test_prefetch_estimate_bounded(void **state)
{
    (void)state;
    const char *fmt =
        "name: t\nrun: { duration: 15m, rtt: 1m }\ninstance: { kind: rabbitmq }\n"
        "clusters: [ { name: c0, brokers: [ { name: b0 } ] } ]\nqueues: [ { name: q0 } ]\n"
        "consumers:\n  - { name: c0, concurrency: %d, prefetch: 1000000, processing: %s }\n";
    char text[1024];
    snprintf(text, sizeof text, fmt, 666, "{ dist: gamma, shape: 1, scale: 40ms }");
    expect_reject(text, "t.yaml:7:45: consumers[0].prefetch",
                  "is near the channel's balance point");
    const char *ok[][2] = {{"100", "{ dist: gamma, shape: 1, scale: 40ms }"},
                           {"666", "{ dist: exponential, mean: 40ms }"},
                           {"666", "{ dist: constant, value: 40ms }"}};
    for (size_t i = 0; i < 3; i++) {
        snprintf(text, sizeof text, fmt, atoi(ok[i][0]), ok[i][1]);
        mq_scenario s;
        sim_err e = {{0}};
        if (scn_load_string("t.yaml", text, strlen(text), &s, &e))
            fail_msg("case %zu refused: %s", i, e.msg);
        mq_scenario_free(&s);
    }
}

static void test_missing_file(void **state)
{
    (void)state;
    mq_scenario s;
    sim_err e = {{0}};
    assert_int_equal(scn_load_file("no/such/file.yaml", &s, &e), -1);
    assert_non_null(strstr(e.msg, "no/such/file.yaml: cannot open"));
    assert_int_equal(scn_load_file("scenarios", &s, &e), -1);
    assert_non_null(strstr(e.msg, "scenarios: is a directory"));
}

static void test_profiles_table(void **state)
{
    (void)state;
    assert_true(mq_profile_count() >= 6);
    static const char *const want[] = {"rocketmq-4", "rocketmq-5", "rabbitmq-java",
                                       "pika", "go-amqp091", "http"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        assert_non_null(mq_profile_find(want[i]));
    assert_null(mq_profile_find("pikka"));
    /* every default has a source */
    for (size_t i = 0; i < mq_profile_count(); i++) {
        const mq_profile *p = mq_profile_at(i);
        const char *const *src = (const char *const *)&p->src;
        for (size_t k = 0; k < sizeof p->src / sizeof(char *); k++)
            if (!src[k] || !*src[k]) fail_msg("%s: source %zu missing", p->name, k);
    }
    const mq_profile *r5 = mq_profile_find("rocketmq-5");
    assert_near(r5->reconnect.multiplier, 1.6, 0);
    assert_near(r5->reconnect.max_interval_s, 120, 0);
    const mq_profile *h = mq_profile_find("http");
    assert_int_equal(h->protocol, MQ_PROTO_HTTP);
    assert_int_equal(h->endpoint, MQ_EP_PUBLIC);
    assert_true(h->retries > 0);
    assert_true(mq_profile_fits(h, MQ_KIND_ROCKETMQ) && mq_profile_fits(h, MQ_KIND_RABBITMQ));
    assert_false(mq_profile_fits(mq_profile_find("pika"), MQ_KIND_ROCKETMQ));
    assert_false(mq_profile_find("go-amqp091")->reconnect.automatic);
    assert_near(mq_profile_find("go-amqp091")->reconnect.detect_silent_s, 15, 0); /* 1.5 x hb 10 s */
    /* what each library does with deliveries it had read at a server-side
    ** close, and whether its confirm wait times out (docs/VALIDATION.md) */
    assert_true(mq_profile_find("rabbitmq-java")->process_buffer_on_close);
    assert_false(mq_profile_find("pika")->process_buffer_on_close);
    assert_false(mq_profile_find("go-amqp091")->process_buffer_on_close);
    assert_true(mq_profile_find("rabbitmq-java")->confirm_wait_times_out);
    assert_false(mq_profile_find("pika")->confirm_wait_times_out);
}

/* The library-behaviour settings of a profile are scenario keys of a
** group, like confirms or prefetch: the profile's value unless the group
** says otherwise; a value that is not a boolean is a file:line:col error. */
static const char lib_keys[] =
    "name: lib-keys\n"
    "run: { duration: 60s, seed: 3 }\n"
    "instance: { kind: rabbitmq }\n"
    "clusters: [ { name: main, brokers: [ { name: b1 } ] } ]\n"
    "queues: [ { name: q } ]\n"
    "producers:\n"
    "  - { name: plain, profile: pika, rate: 30, confirms: true }\n"
    "  - name: timed\n"
    "    profile: pika\n"
    "    rate: 30\n"
    "    confirm_wait_times_out: true\n"
    "consumers:\n"
    "  - name: drops\n"
    "    profile: pika\n"
    "    prefetch: 50\n"
    "    processing: { dist: constant, value: 20ms }\n"
    "    reconnect: { automatic: true, interval: 5s }\n"
    "  - name: keeps\n"
    "    profile: pika\n"
    "    prefetch: 50\n"
    "    processing: { dist: constant, value: 20ms }\n"
    "    process_buffer_on_close: true\n"
    "    reconnect: { automatic: true, interval: 5s }\n"
    "backlog: [ { queue: q, messages: 3000 } ]\n"
    "events:\n"
    "  - { at: 15s, type: disconnect, groups: [drops, keeps], duration: until_reconnect, detection: reset }\n";

static void test_library_keys(void **state)
{
    (void)state;
    mq_scenario s;
    load_text(lib_keys, &s);
    assert_false(s.producers[0].confirm_wait_times_out); /* pika's default */
    assert_true(s.producers[1].confirm_wait_times_out);
    assert_false(s.consumers[0].process_buffer_on_close);
    assert_true(s.consumers[1].process_buffer_on_close);
    mq_scenario_free(&s);

    static const struct { const char *from, *to, *where, *what; } bad[] = {
        {"confirm_wait_times_out: true", "confirm_wait_times_out: 5s", "mem.yaml:11:29:",
         "producers[1].confirm_wait_times_out: '5s' is not a boolean"},
        {"process_buffer_on_close: true", "process_buffer_on_close: maybe", "mem.yaml:22:30:",
         "consumers[1].process_buffer_on_close: 'maybe' is not a boolean"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[sizeof lib_keys + 32], *at;
        snprintf(text, sizeof text, "%s", lib_keys);
        assert_non_null(at = strstr(text, bad[i].from));
        size_t tail = strlen(at + strlen(bad[i].from));
        memmove(at + strlen(bad[i].to), at + strlen(bad[i].from), tail + 1);
        memcpy(at, bad[i].to, strlen(bad[i].to));
        sim_err e = {{0}};
        assert_int_equal(scn_load_string("mem.yaml", text, strlen(text), &s, &e), -1);
        if (!strstr(e.msg, bad[i].where) || !strstr(e.msg, bad[i].what)) fail_msg("%s", e.msg);
    }
}

/* The override reaches the model: a pika consumer that keeps processing
** its buffer after a server-side close turns that buffer into duplicates
** (requeued by the broker, processed anyway), one that drops it does not. */
static void test_library_keys_model(void **state)
{
    (void)state;
    mq_scenario s;
    load_text(lib_keys, &s);
    mq_result r;
    run_scn(&s, &r);
    /* 'drops' drops its buffer; 'keeps' processes ~prefetch deliveries the
    ** broker has requeued: they come back as duplicates */
    assert_true(metric(&r, "duplicates_requeue") >= 40);
    mq_result_free(&r);
    s.consumers[1].process_buffer_on_close = false;
    run_scn(&s, &r);
    assert_true(metric(&r, "duplicates_requeue") <= 6);
    mq_result_free(&r);
    mq_scenario_free(&s);
}

/* `change.at` sets the change block's `at`, found through the registry:
** the same modified text as the block's own key; no change block: refused. */
static void test_override_change_block(void **state)
{
    (void)state;
    static const char conv[] = "run: { duration: 10m }\nrabbitmq_conversion:\n  at: 1m\n";
    static const char roll[] = "run: { duration: 10m }\nrolling_restart:\n  at: 1m\n";
    static const char none[] = "run: { duration: 10m }\n";
    sim_err e = {{0}};
    const char *v[] = {"42s"};
    char *a = NULL, *b = NULL;
    size_t na, nb;
    const char *own[] = {"rabbitmq_conversion.at"}, *any[] = {"change.at"};
    assert_int_equal(scn_override_apply(conv, strlen(conv), own, v, 1, &a, &na, &e), 0);
    assert_int_equal(scn_override_apply(conv, strlen(conv), any, v, 1, &b, &nb, &e), 0);
    assert_string_equal(a, b);
    assert_non_null(strstr(b, "42s"));
    free(a);
    free(b);
    const char *rown[] = {"rolling_restart.at"};
    assert_int_equal(scn_override_apply(roll, strlen(roll), rown, v, 1, &a, &na, &e), 0);
    assert_int_equal(scn_override_apply(roll, strlen(roll), any, v, 1, &b, &nb, &e), 0);
    assert_string_equal(a, b);
    free(a);
    free(b);
    assert_int_equal(scn_override_apply(none, strlen(none), any, v, 1, &b, &nb, &e), -1);
    assert_null(b);
    assert_non_null(strstr(e.msg, "no change section"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_override_change_block),
        cmocka_unit_test(test_steady_state),
        cmocka_unit_test(test_backlog_drain),
        cmocka_unit_test(test_broker_restart),
        cmocka_unit_test(test_rocketmq_defaults_and_refs),
        cmocka_unit_test(test_error_leaves_empty),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_reconnect_without_pause),
        cmocka_unit_test(test_prefetch_estimate_bounded),
        cmocka_unit_test(test_profiles_table),
        cmocka_unit_test(test_library_keys),
        cmocka_unit_test(test_library_keys_model),
    };
    return cmocka_run_group_tests_name("scn_load", tests, NULL, NULL);
}
