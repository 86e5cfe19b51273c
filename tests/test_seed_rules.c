/*
** test_seed_rules.c - every rule and effect the two vendor documents
** (../shared/seeds/rabbitmq-shared-dedicated-conversion.txt and
** rocketmq-modify-instance-configurations.txt) state, checked as a property
** over generated configurations rather than the bundled scenarios: a full
** grid of the rules (loader), a full grid of the connection effects
** (direction x producer and consumer endpoint x client profile x stacked
** restart), and a seeded-random sample of the rest (backlog, scheduled
** messages due or expired, live delayed messages, ack mode, queues, when
** the change starts). Each property is computed from the run, never typed
** in, and compared with what the document says; docs/VALIDATION.md "Seed
** rules, property by property" lists them with the grid each runs over.
**
** Scenarios are YAML text loaded with scn_load_string and run in-process
** (tests/test_run.h), so a failure names the configuration it broke on.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "io/scn_load.h"
#include "models/mq_model.h"
#include "tests/test_run.h"
#include "tests/test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------ */

/* A growing text buffer for one scenario. */
typedef struct txt {
    char b[16384];
    size_t n;
} txt;

__attribute__((format(printf, 2, 3)))
static void put(txt *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(t->b + t->n, sizeof t->b - t->n, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= sizeof t->b - t->n) fail_msg("scenario text too long");
    t->n += (size_t)k;
}

static int load(const char *text, mq_scenario *s, sim_err *err)
{
    return scn_load_string("t.yaml", text, strlen(text), s, err);
}

/* The error starts "t.yaml:LINE:COL: KEY" (the file:line:col convention). */
static bool located_at(const char *msg, const char *key)
{
    int line = 0, col = 0, used = 0;
    if (sscanf(msg, "t.yaml:%d:%d: %n", &line, &col, &used) != 2 || used == 0) return false;
    return line > 0 && col > 0 && !strncmp(msg + used, key, strlen(key));
}

/* The value, or for a value the run cut off (censored_at_end,
** not_reached) the lower bound it shows. */
static double at_least(const mq_result *r, const char *name)
{
    const sim_metric *m = sim_metrics_find(&r->metrics, name);
    if (!m) fail_msg("no metric %s", name);
    return m->status == SIM_MEASURED ? m->value : m->bound;
}

static bool has_warning(const sim_strs *w, const char *needle)
{
    for (size_t i = 0; i < w->n; i++)
        if (strstr(w->v[i], needle)) return true;
    return false;
}

static const char *status_of(const mq_result *r, const char *name)
{
    const sim_metric *m = sim_metrics_find(&r->metrics, name);
    if (!m) fail_msg("no metric %s", name);
    return sim_status_str(m->status);
}

/* ======================================================================== */
/* RabbitMQ shared <-> dedicated conversion                                  */
/* ======================================================================== */

static const char *const EP[] = {"vpc", "public", "privatelink"};
static const char *const PROF[] = {"rabbitmq-java", "pika", "go-amqp091"};
enum { SCHED_NONE, SCHED_PENDING, SCHED_EXPIRED, SCHED_LIVE };
enum { EXTRA_NONE, EXTRA_APP_RESTART, EXTRA_SILENT, EXTRA_SOURCE_UPGRADE, EXTRA_APP_EARLY,
       EXTRA_BROKER_RESTART, NEXTRA };
static const char *const EXTRA[NEXTRA] = {
    "none", "app_restart in phase 1", "silent disconnect over phase 1",
    "source upgrade disconnect in phase 1", "app_restart while the destination is created",
    "broker_restart of every broker in phase 1"};

typedef struct rb_cfg {
    bool up;          /* shared -> dedicated */
    bool serverless;  /* the serverless series (else subscription) */
    int ep_p, ep_c;   /* producers' and consumers' endpoint */
    int prof;         /* both groups' client profile */
    bool consumers;   /* a consumer group at all */
    bool auto_ack;
    int nq;           /* queues (each with its producer and consumer group) */
    long backlog;     /* stacked messages on queue 0 at t = 0 */
    int sched;        /* SCHED_* on queue 0 */
    int extra;        /* EXTRA_*: a restart stacked on the conversion */
    bool at_source_stop; /* downgrade: server_disconnect: source_stop */
    bool delayed_ttl; /* live delayed messages expire 1 min after their send */
    double at;        /* conversion requested, s */
    double single_write; /* phase 2 length, s */
    double duration;  /* run length, s */
    unsigned seed;
} rb_cfg;

#define CREATE_S 60.0
#define DUAL_S 60.0
#define CLIENTS_PER_GROUP 2

static double t1_of(const rb_cfg *c) { return c->at + (c->up ? CREATE_S : 0); }
static double t3_of(const rb_cfg *c) { return t1_of(c) + DUAL_S + c->single_write; }
/* the scheduled messages' due time (pending case) */
static double due_of(const rb_cfg *c) { return t3_of(c) + 240; }

static void rb_describe(const rb_cfg *c, char *buf, size_t n)
{
    snprintf(buf, n, "%s %s%s, producers %s, consumers %s, %s, %s ack, %d queue(s), backlog %ld, "
             "scheduled %d%s, extra '%s', at %.0f s, single_write %.0f s, run %.0f s, seed %u",
             c->serverless ? "serverless" : "subscription", c->up ? "upgrade" : "downgrade",
             c->at_source_stop ? " (server_disconnect: source_stop)" : "",
             EP[c->ep_p], c->consumers ? EP[c->ep_c] : "-", PROF[c->prof],
             c->auto_ack ? "auto" : "manual", c->nq, c->backlog, c->sched,
             c->delayed_ttl ? " (ttl 1m)" : "", EXTRA[c->extra], c->at,
             c->single_write, c->duration, c->seed);
}

static void fmt_dur(char *b, size_t n, double s) { snprintf(b, n, "%.3fs", s); }

static void rb_text(const rb_cfg *c, txt *t)
{
    char d[32];
    t->n = 0;
    fmt_dur(d, sizeof d, c->duration);
    put(t, "name: seed-rules\nrun: { duration: %s, sample_interval: 10s, seed: %u }\n", d, c->seed);
    if (c->serverless)
        put(t, "instance: { kind: rabbitmq, series: serverless, deployment: %s }\n",
            c->up ? "shared" : "dedicated");
    else
        put(t, "instance: { kind: rabbitmq, edition: %s }\n", c->up ? "professional" : "platinum");
    put(t, "clusters:\n  - name: main\n    brokers:\n      - name: b1\n      - name: b2\n");
    put(t, "queues:\n");
    for (int q = 0; q < c->nq; q++) put(t, "  - { name: q%d, broker: b%d }\n", q, q % 2 + 1);
    put(t, "producers:\n");
    for (int q = 0; q < c->nq; q++) {
        put(t, "  - { name: p%d, queue: q%d, count: %d, rate: 20, profile: %s, endpoint: %s",
            q, q, CLIENTS_PER_GROUP, PROF[c->prof], EP[c->ep_p]);
        if (c->sched == SCHED_LIVE && q == 0)
            put(t, ", delayed: { fraction: 0.05, delay: { dist: uniform, min: 4m, max: 6m }%s }",
                c->delayed_ttl ? ", ttl: 1m" : "");
        put(t, " }\n");
    }
    if (c->consumers) {
        put(t, "consumers:\n");
        for (int q = 0; q < c->nq; q++)
            put(t, "  - { name: c%d, queue: q%d, count: %d, prefetch: 10, concurrency: 1, "
                "ack: %s, profile: %s, endpoint: %s, processing: { dist: exponential, mean: 20ms } }\n",
                q, q, CLIENTS_PER_GROUP, c->auto_ack ? "auto" : "manual", PROF[c->prof],
                EP[c->ep_c]);
    }
    if (c->backlog > 0) put(t, "backlog:\n  - { queue: q0, messages: %ld }\n", c->backlog);
    if (c->sched == SCHED_PENDING || c->sched == SCHED_EXPIRED) {
        char due[32], ttl[32];
        fmt_dur(due, sizeof due, due_of(c));
        fmt_dur(ttl, sizeof ttl, fmax(1, t1_of(c)));
        put(t, "scheduled:\n  - { queue: q0, messages: 5, deliver_at: { dist: constant, value: %s }%s%s }\n",
            due, c->sched == SCHED_EXPIRED ? ", ttl: " : "", c->sched == SCHED_EXPIRED ? ttl : "");
    }
    char at[32], t1[32], sw[32];
    fmt_dur(at, sizeof at, c->at);
    fmt_dur(sw, sizeof sw, c->single_write);
    if (c->extra == EXTRA_APP_RESTART || c->extra == EXTRA_SILENT || c->extra == EXTRA_APP_EARLY) {
        double when = c->extra == EXTRA_APP_RESTART ? t1_of(c) + 30
                    : c->extra == EXTRA_SILENT ? fmax(0, t1_of(c) - 1)
                                               : c->at + CREATE_S / 2;
        fmt_dur(t1, sizeof t1, when);
        if (c->extra == EXTRA_SILENT)
            put(t, "events:\n  - { at: %s, type: disconnect, duration: 10s, detection: silent }\n", t1);
        else
            put(t, "events:\n  - { at: %s, type: app_restart, duration: 5s }\n", t1);
    }
    put(t, "rabbitmq_conversion:\n  at: %s\n", at);
    if (c->serverless) put(t, "  to: { deployment: %s }\n", c->up ? "dedicated" : "shared");
    else put(t, "  to: { edition: %s }\n", c->up ? "platinum" : "professional");
    if (c->up) put(t, "  destination: { create_time: %.0fs }\n", CREATE_S);
    put(t, "  phases: { dual_write: %.0fs, single_write: %s }\n", DUAL_S, sw);
    if (c->at_source_stop) put(t, "  server_disconnect: source_stop\n");
    if (c->extra == EXTRA_BROKER_RESTART) {
        fmt_dur(t1, sizeof t1, t1_of(c) + 30);
        put(t, "events:\n  - { at: %s, type: broker_restart, duration: 10s }\n", t1);
    }
    if (c->extra == EXTRA_SOURCE_UPGRADE) {
        fmt_dur(t1, sizeof t1, t1_of(c) + 30);
        put(t, "  source_upgrade_disconnect: { at: %s }\n", t1);
    }
}

static void rb_run(const rb_cfg *c, mq_scenario *s, mq_result *r)
{
    txt t;
    rb_text(c, &t);
    sim_err err = {{0}};
    if (load(t.b, s, &err)) {
        char d[512];
        rb_describe(c, d, sizeof d);
        fail_msg("%s: load failed: %s\n%s", d, err.msg, t.b);
    }
    run_scn(s, r);
}

/* A property check: on failure, the configuration (DESCRIBE, defined per
** section for its `c`) and the property, then the test fails. */
#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (!(cond)) {                                                     \
            char d_[512];                                                  \
            DESCRIBE(d_, sizeof d_);                                       \
            print_error("%s\n  property: ", d_);                           \
            print_error(__VA_ARGS__);                                      \
            print_error("\n");                                             \
            fail_msg("seed property violated: %s", #cond);                 \
        }                                                                  \
    } while (0)
#define DESCRIBE(buf, n) rb_describe(c, buf, n)

/* Every property of the document that the configuration allows to be
** checked; see docs/VALIDATION.md for the list. */
static void rb_properties(const rb_cfg *c, const mq_scenario *s, const mq_result *r)
{
    (void)s;
    const double eps = 1e-6, end = c->duration;
    const int nprod = c->nq * CLIENTS_PER_GROUP, ncons = c->consumers ? nprod : 0;
    const int nclients = nprod + ncons;
    const int n_pl = (c->ep_p == 2 ? nprod : 0) + (c->ep_c == 2 ? ncons : 0);
    const int n_direct = nclients - n_pl; /* VPC or public */
    const bool autorec = c->prof == 0;
    double t1 = t1_of(c), t2 = t1 + DUAL_S, t3 = t3_of(c);

    /* -- cluster migration: upgrade creates a destination, downgrade uses the
    **    shared cluster at once */
    CHECK(metric(r, "destination_create_s") == (c->up ? CREATE_S : 0),
          "destination_create_s %g", metric(r, "destination_create_s"));
    if (c->up) CHECK(!strcmp(status_of(r, "clients_on_source_create"), "measured"), "create phase");
    else CHECK(!strcmp(status_of(r, "clients_on_source_create"), "not_applicable"), "no create phase");

    /* -- storage migration: the four phases in order, with their lengths */
    double p4 = metric(r, "phase4_start_s");
    const char *p4st = status_of(r, "phase4_start_s");
    if (t2 <= end) CHECK(fabs(metric(r, "phase1_s") - DUAL_S) < eps, "phase1_s %g", metric(r, "phase1_s"));
    if (t3 <= end)
        CHECK(fabs(metric(r, "phase2_s") - c->single_write) < eps, "phase2_s %g", metric(r, "phase2_s"));
    if (t3 > end) CHECK(!strcmp(p4st, "not_reached"), "phase 4 before phase 3 started: %s", p4st);
    if (!strcmp(p4st, "measured")) {
        CHECK(p4 >= t3 - eps, "phase 4 at %g before phase 3 at %g", p4, t3);
        CHECK(fabs(metric(r, "phase3_s") - (p4 - t3)) < eps, "phase3_s %g", metric(r, "phase3_s"));
        /* phase 3 ends only when the source is consumed: nothing unacked */
        CHECK(metric(r, "source_unacked_at_phase4") == 0, "unacked at phase 4: %g",
              metric(r, "source_unacked_at_phase4"));
        /* stacked messages left at phase 3 make it longer */
        if (metric(r, "source_backlog_at_phase3") > 0)
            CHECK(metric(r, "phase3_s") > 0, "backlog %g at phase 3, phase3_s 0",
                  metric(r, "source_backlog_at_phase3"));
        /* unscheduled messages that have not expired hold it */
        if (c->sched == SCHED_PENDING)
            CHECK(p4 >= due_of(c) - eps, "phase 4 at %g before the scheduled messages are due at %g",
                  p4, due_of(c));
        if (c->sched == SCHED_PENDING || c->sched == SCHED_EXPIRED || c->sched == SCHED_LIVE)
            CHECK(p4 >= t3 + metric(r, "source_scheduled_hold_s") - eps,
                  "phase 4 at %g before the scheduled hold %g s from %g", p4,
                  metric(r, "source_scheduled_hold_s"), t3);
    }
    if (t3 <= end) {
        /* pending: held until due; expired before phase 3: no hold */
        if (c->sched == SCHED_PENDING)
            CHECK(fabs(metric(r, "source_scheduled_hold_s") - (due_of(c) - t3)) < eps,
                  "scheduled hold %g, expected %g", metric(r, "source_scheduled_hold_s"),
                  due_of(c) - t3);
        if (c->sched == SCHED_EXPIRED)
            CHECK(metric(r, "source_scheduled_hold_s") == 0, "expired messages hold phase 3 %g s",
                  metric(r, "source_scheduled_hold_s"));
        /* no consumer: stacked messages never drain, phase 4 never comes */
        if (!c->consumers && c->backlog > 0)
            CHECK(strcmp(p4st, "measured"), "phase 4 reached with nobody consuming the stacked messages");
    }

    /* -- connection migration */
    double dropped = metric(r, "connections_dropped_by_migration");
    double left = metric(r, "clients_left_on_source");
    bool reached1 = t1 <= end;
    if (c->up && reached1) {
        /* VPC/public: the server migrates and disconnects nobody */
        CHECK(dropped == (c->extra == EXTRA_SOURCE_UPGRADE && t1 + 30 <= end ? n_direct : 0) + n_pl,
              "dropped %g (direct %d, PrivateLink %d)", dropped, n_direct, n_pl);
        /* existing connections stay on the source unless something restarts them */
        if (c->extra == EXTRA_NONE || c->extra == EXTRA_SILENT || c->extra == EXTRA_APP_EARLY)
            CHECK(left == n_direct, "left on the source %g of %d VPC/public clients", left, n_direct);
        /* an application restart in phase 1, or the source's own upgrade,
        ** moves the ones it restarts; new connections go to the destination */
        if ((c->extra == EXTRA_APP_RESTART || c->extra == EXTRA_SOURCE_UPGRADE ||
             c->extra == EXTRA_BROKER_RESTART) && t1 + 40 <= end)
            CHECK(left == 0, "left on the source %g after a restart in phase 1", left);
        if (c->extra == EXTRA_NONE)
            CHECK(metric(r, "clients_on_source_phase1") == nclients, "on the source at phase 1: %g",
                  metric(r, "clients_on_source_phase1"));
        /* the run says so plainly (the seed: restart your application) */
        CHECK(has_warning(&r->warnings, "still connected to the source cluster") == (left > 0),
              "warning about clients left on the source (left %g)", left);
    }
    if (!c->up && reached1 && c->at_source_stop) {
        /* the server's disconnect at phase 4: until then only PrivateLink
        ** clients are dropped; at phase 4 everyone still on the source */
        bool r4 = !strcmp(p4st, "measured");
        double on4 = r4 ? metric(r, "clients_on_source_phase4") : 0;
        /* (a source upgrade in phase 1 disconnects the source's clients too) */
        double also = c->extra == EXTRA_SOURCE_UPGRADE && t1 + 30 <= end ? n_direct : 0;
        CHECK(dropped == n_pl + on4 + also, "dropped %g (PrivateLink %d, on the source at phase 4 %g)",
              dropped, n_pl, on4);
        if (r4 && (c->extra == EXTRA_NONE || c->extra == EXTRA_SILENT))
            CHECK(on4 == n_direct, "on the source at phase 4: %g of %d", on4, n_direct);
        /* ... so nobody is left on it when the run ends */
        if (r4) CHECK(left == 0, "left on the source %g (%g there at phase 4)", left, on4);
    }
    if (!c->up && reached1 && !c->at_source_stop) {
        /* VPC/public: the server disconnects every existing connection */
        CHECK(dropped == nclients, "dropped %g of %d", dropped, nclients);
        if (t2 <= end)
            CHECK(metric(r, "clients_on_source_phase2") == 0, "on the source at phase 2: %g",
                  metric(r, "clients_on_source_phase2"));
        CHECK(left == 0, "left on the source %g", left);
        CHECK(!has_warning(&r->warnings, "still connected to the source cluster"), "upgrade warning");
        /* the run states the disconnect, and who does not come back alone */
        CHECK(has_warning(&r->warnings, "the server closed") == (n_direct > 0),
              "server disconnect warning (%d VPC/public clients)", n_direct);
        CHECK(has_warning(&r->warnings, "do not reconnect by themselves") == (n_direct > 0 && !autorec),
              "warning about clients without automatic reconnection");
        /* auto-reconnecting clients come back on the destination; the
        ** others stay cut off unless the application restarts */
        double cut = metric(r, "clients_cut_off_at_end");
        bool back_by_app = c->extra == EXTRA_APP_RESTART && t1 + 40 <= end;
        double pl_out = metric(r, "privatelink_outage_s");
        if (autorec && (n_pl == 0 || t1 + pl_out + 10 <= end))
            CHECK(cut == 0, "auto-reconnect clients cut off at the end: %g", cut);
        if (!autorec && !back_by_app)
            CHECK(cut == nclients, "clients without auto-reconnect back by themselves: cut off %g of %d",
                  cut, nclients);
        if (!autorec && back_by_app && n_pl == 0)
            CHECK(cut == 0, "application restart did not bring them back: %g", cut);
    }
    if (reached1 && n_pl > 0) {
        /* PrivateLink, either direction: disconnected for several minutes */
        double out = metric(r, "privatelink_outage_s");
        CHECK(out >= 120 && out <= 300, "PrivateLink outage %g s", out);
        double pl = at_least(r, "disruption_privatelink_max_s");
        CHECK(pl >= fmin(out, end - t1) - eps, "PrivateLink cut-off %g s shorter than the outage %g s",
              pl, out);
        CHECK(dropped >= n_pl, "PrivateLink clients dropped: %g of %d", dropped, n_pl);
        CHECK(has_warning(&r->warnings, "disconnected at phase 1 for"),
              "PrivateLink disconnect warning");
    }
    if (n_pl == 0 || !reached1)
        CHECK(!has_warning(&r->warnings, "disconnected at phase 1 for"),
              "PrivateLink warning without a PrivateLink cut-off");
    if (n_pl == 0 || reached1)
        CHECK(!strcmp(status_of(r, "privatelink_outage_s"), n_pl ? "measured" : "not_applicable"),
              "PrivateLink outage %s", status_of(r, "privatelink_outage_s"));
    else /* PrivateLink clients, but the run ends before the outage could begin */
        CHECK(!strcmp(status_of(r, "privatelink_outage_s"), "not_reached"), "PrivateLink outage %s",
              status_of(r, "privatelink_outage_s"));
    if (c->up && reached1 && c->extra == EXTRA_NONE && n_pl < nclients) {
        /* VPC/public clients of an upgrade are not cut off by it */
        for (int e = 0; e < 2; e++) {
            const char *m = e ? "disruption_public_max_s" : "disruption_vpc_max_s";
            if (c->ep_p == e || (c->consumers && c->ep_c == e)) CHECK(metric(r, m) == 0, "%s %g", m, metric(r, m));
        }
    }
    /* duplicates from the migration's own drops stay within its bound */
    if (c->extra == EXTRA_NONE)
        CHECK(metric(r, "duplicates_requeue") + metric(r, "duplicates_republish") <=
                  metric(r, "duplicates_bound"),
              "duplicates %g + %g over the bound %g", metric(r, "duplicates_requeue"),
              metric(r, "duplicates_republish"), metric(r, "duplicates_bound"));
}

/* Run c and check every property on it. */
static void rb_check(const rb_cfg *c)
{
    mq_scenario s;
    mq_result r;
    rb_run(c, &s, &r);
    rb_properties(c, &s, &r);
    mq_result_free(&r);
    mq_scenario_free(&s);
}

/* The connection grid: direction x producers' endpoint x consumers'
** endpoint x profile x stacked restart x series, no backlog. */
static void test_rabbitmq_connection_grid(void **state)
{
    (void)state;
    int n = 0;
    for (int up = 0; up < 2; up++)
        for (int ep_p = 0; ep_p < 3; ep_p++)
            for (int ep_c = 0; ep_c < 3; ep_c++)
                for (int prof = 0; prof < 3; prof++)
                    for (int extra = 0; extra < NEXTRA; extra++) {
                        if (!up && extra == EXTRA_APP_EARLY) continue; /* no creation phase */
                        rb_cfg cfg = {.up = up, .serverless = (ep_p + prof + extra) % 2,
                                      .ep_p = ep_p, .ep_c = ep_c, .prof = prof,
                                      .consumers = true, .nq = 1, .extra = extra, .at = 120,
                                      .single_write = 60, .duration = 1200,
                                      .seed = (unsigned)(1 + n)};
                        rb_check(&cfg);
                        n++;
                    }
    print_message("rabbitmq connection grid: %d configurations\n", n);
}

/* A seeded-random sample over every dimension at once. */
static void test_rabbitmq_random(void **state)
{
    (void)state;
    uint64_t x = 0x5eed5eedULL;
#define NEXT(k) ((x = x * 6364136223846793005ULL + 1442695040888963407ULL), (int)((x >> 33) % (k)))
    static const double ats[] = {0, 120, 600, 1100, 1190};
    static const long backlogs[] = {0, 300, 20000};
    int n = 0;
    for (int i = 0; i < 240; i++) {
        rb_cfg cfg = {.up = NEXT(2), .serverless = NEXT(2), .ep_p = NEXT(3), .ep_c = NEXT(3),
                      .prof = NEXT(3), .consumers = NEXT(5) != 0, .auto_ack = NEXT(3) == 0,
                      .nq = 1 + NEXT(2), .backlog = backlogs[NEXT(3)], .sched = NEXT(4),
                      .extra = NEXT(NEXTRA), .at = ats[NEXT(5)], .single_write = NEXT(2) ? 60 : 240,
                      .duration = 1200, .seed = (unsigned)(100 + i)};
        if (!cfg.up && cfg.extra == EXTRA_APP_EARLY) cfg.extra = EXTRA_NONE;
        cfg.at_source_stop = !cfg.up && NEXT(3) == 0;
        if (t1_of(&cfg) + 30 > cfg.duration) cfg.extra = EXTRA_NONE; /* events within the run */
        cfg.delayed_ttl = NEXT(2);
        rb_check(&cfg);
        n++;
    }
#undef NEXT
    print_message("rabbitmq random sample: %d configurations\n", n);
}

/* Run c and read one summary metric (its value, or NAN when cut off). */
static double rb_metric_of(const rb_cfg *c, const char *name)
{
    mq_scenario s;
    mq_result r;
    rb_run(c, &s, &r);
    double v = metric(&r, name);
    mq_result_free(&r);
    mq_scenario_free(&s);
    return v;
}

/* Storage routing. Phase 2: the source accepts no writes, so with nobody
** consuming, what the source holds at phase 3 does not depend on phase 2's
** length; phase 1 writes of clients still on the source land there
** (dual-write). The source stays readable in phase 2: with consumers, a
** longer phase 2 leaves less on it. Stacked messages make phase 3 longer.
** Over direction x endpoint x queues (and ack mode). */
static void test_rabbitmq_storage_phases(void **state)
{
    (void)state;
    int n = 0;
    for (int up = 0; up < 2; up++)
        for (int ep = 0; ep < 3; ep++)
            for (int nq = 1; nq <= 2; nq++) {
                rb_cfg cfg = {.up = up, .ep_p = ep, .ep_c = ep, .prof = 0, .consumers = false,
                              .nq = nq, .backlog = 500, .at = 120, .single_write = 60,
                              .duration = 1200, .seed = (unsigned)(7 + n)};
                const rb_cfg *c = &cfg;
                double sa = rb_metric_of(c, "source_backlog_at_phase3");
                cfg.single_write = 300;
                double sb = rb_metric_of(c, "source_backlog_at_phase3");
                cfg.single_write = 60;
                CHECK(sa == sb, "source holds %g at phase 3 after a 60 s phase 2, %g after 300 s", sa, sb);
                /* an upgrade's VPC/public producers stay on the source in
                ** phase 1 and write there (dual write) */
                if (up && ep != 2)
                    CHECK(sa > 500 + 20 * nq * (t1_of(c) - 5), "phase-1 writes on the source: %g", sa);
                /* a downgrade's producers reconnect to the destination */
                if (!up)
                    CHECK(sa < 500 + 20.0 * nq * (c->at + 30), "source grew after phase 1: %g", sa);
                /* readable in phase 2 */
                cfg.consumers = true;
                cfg.backlog = 100000;
                sa = rb_metric_of(c, "source_backlog_at_phase3");
                cfg.single_write = 300;
                sb = rb_metric_of(c, "source_backlog_at_phase3");
                CHECK(sb < sa, "source not read in phase 2: %g at phase 3 after 300 s, %g after 60 s",
                      sb, sa);
                /* stacked messages make phase 3 longer (manual ack on one
                ** queue, auto ack on two) */
                cfg = (rb_cfg){.up = up, .ep_p = ep, .ep_c = ep, .prof = 0, .consumers = true,
                               .auto_ack = nq == 2, .nq = nq, .at = 120, .single_write = 60,
                               .duration = 1800, .seed = (unsigned)(50 + n)};
                double pa = rb_metric_of(c, "phase3_s");
                cfg.backlog = 60000;
                double pb = rb_metric_of(c, "phase3_s");
                CHECK(pb > pa + 60, "phase 3 with 60000 stacked: %g s, without: %g s", pb, pa);
                n++;
            }
    print_message("storage phases and stacked messages: %d configurations x 3 pairs\n", n);
}

/* Different specifications within one series change smoothly: a target in
** the instance's own deployment migrates nothing and disconnects nobody,
** PrivateLink clients included; the new spec applies. Over series x
** deployment x endpoint x profile. */
static void test_rabbitmq_spec_change_grid(void **state)
{
    (void)state;
    static const struct { const char *inst, *to; } cases[] = {
        {"edition: professional, spec_tps: 1000", "{ edition: enterprise, spec_tps: 2000 }"},
        {"edition: enterprise, spec_tps: 1000", "{ edition: professional, spec_tps: 500 }"},
        {"edition: platinum, spec_tps: 1000", "{ edition: platinum, spec_tps: 3000 }"},
        {"series: serverless, deployment: shared, spec_tps: 1000", "{ deployment: shared, spec_tps: 400 }"},
        {"billing: serverless, deployment: dedicated, spec_tps: 1000",
         "{ deployment: dedicated, spec_tps: 2000 }"},
    };
    int n = 0;
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++)
        for (int ep = 0; ep < 3; ep++)
            for (int prof = 0; prof < 3; prof++) {
                txt t = {.n = 0};
                put(&t, "name: spec\nrun: { duration: 10m, seed: %d }\ninstance: { kind: rabbitmq, %s }\n"
                    "clusters:\n  - name: m\n    brokers:\n      - name: b1\nqueues:\n  - name: q\n"
                    "producers:\n  - { name: p, count: 2, rate: 100, profile: %s, endpoint: %s }\n"
                    "consumers:\n  - { name: c, count: 2, profile: %s, endpoint: %s, "
                    "processing: { dist: exponential, mean: 5ms } }\n"
                    "rabbitmq_conversion:\n  at: 2m\n  to: %s\n",
                    n + 1, cases[k].inst, PROF[prof], EP[ep], PROF[prof], EP[ep], cases[k].to);
                mq_scenario s;
                sim_err err = {{0}};
                if (load(t.b, &s, &err)) fail_msg("%s -> %s: %s", cases[k].inst, cases[k].to, err.msg);
                mq_result r;
                run_scn(&s, &r);
                double to = 0;
                sscanf(strstr(cases[k].to, "spec_tps: ") + 10, "%lf", &to);
                if (metric(&r, "connections_dropped_by_migration") != 0 ||
                    metric(&r, "clients_disrupted") != 0 || metric(&r, "spec_tps_to") != to ||
                    sim_metrics_find(&r.metrics, "phase4_start_s"))
                    fail_msg("%s -> %s over %s with %s: dropped %g, disrupted %g, spec %g",
                             cases[k].inst, cases[k].to, EP[ep], PROF[prof],
                             metric(&r, "connections_dropped_by_migration"),
                             metric(&r, "clients_disrupted"), metric(&r, "spec_tps_to"));
                mq_result_free(&r);
                mq_scenario_free(&s);
                n++;
            }
    print_message("rabbitmq specification changes: %d configurations\n", n);
}

/* PrivateLink: "disconnections lasting several minutes". An outage that can
** be shorter than a minute is a what-if, and the loader says so; the
** default (uniform 2-5 min) and outages of a minute or more are not. */
static void test_privatelink_outage_warning(void **state)
{
    (void)state;
    static const struct { const char *dist; bool warns; } cases[] = {
        {"{ dist: constant, value: 30s }", true},  {"{ dist: uniform, min: 30s, max: 3m }", true},
        {"{ dist: exponential, mean: 3m }", true}, {"{ dist: uniform, min: 2m, max: 5m }", false},
        {"{ dist: constant, value: 90s }", false}, {NULL, false},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++)
        for (int up = 0; up < 2; up++) {
            txt t = {.n = 0};
            put(&t, "name: pl\nrun: { duration: 10m }\ninstance: { kind: rabbitmq, edition: %s }\n"
                "clusters:\n  - name: m\n    brokers:\n      - name: b1\nqueues:\n  - name: q\n"
                "producers:\n  - { name: p, rate: 10, endpoint: privatelink }\n"
                "rabbitmq_conversion:\n  at: 1m\n  to: { edition: %s }\n",
                up ? "professional" : "platinum", up ? "platinum" : "professional");
            if (cases[k].dist) put(&t, "  privatelink_outage: %s\n", cases[k].dist);
            mq_scenario s;
            sim_err err = {{0}};
            if (load(t.b, &s, &err)) fail_msg("%s: %s", cases[k].dist, err.msg);
            bool w = has_warning(&s.warnings, "privatelink_outage: can be shorter than a minute");
            if (w != cases[k].warns)
                fail_msg("privatelink_outage %s: warning %d, expected %d", cases[k].dist ? cases[k].dist
                         : "(default)", w, cases[k].warns);
            mq_scenario_free(&s);
        }
}

/* ---- RabbitMQ rules ------------------------------------------------------- */

/* Every instance x target of both series and every state: accepted exactly
** when the document allows it, refused at file:line:col otherwise. */
static void test_rabbitmq_rules_grid(void **state)
{
    (void)state;
    static const char *const states[] = {"in_service", "creating", "upgrading", "overdue",
                                         "releasing"};
    static const char *const sub_ed[] = {"professional", "enterprise", "platinum"};
    /* target, verdict on a subscription instance, on a serverless one:
    ** 1 accepted, 0 refused (cross-series), -1 left to the loader (a
    ** subscription target named by deployment alone), refusals located */
    static const struct { const char *to; int sub, sl; } targets[] = {
        {"{ edition: professional }", 1, 0},
        {"{ edition: enterprise }", 1, 0},
        {"{ edition: platinum }", 1, 0},
        {"{ deployment: shared }", -1, 1},
        {"{ deployment: dedicated }", -1, 1},
        {"{ series: serverless, deployment: dedicated }", 0, 1},
        {"{ series: subscription, edition: platinum }", 1, 0},
        {"{ edition: platinum, billing: serverless }", 0, 0},
        {"{ deployment: dedicated, billing: subscription }", -1, 0},
        {"{ deployment: shared, billing: serverless }", 0, 1},
    };
    int n = 0;
    for (size_t st = 0; st < sizeof states / sizeof *states; st++)
        for (int series = 0; series < 2; series++)
            for (int e = 0; e < 3; e++)
                for (size_t k = 0; k < sizeof targets / sizeof *targets; k++) {
                    if (series && e == 2) continue; /* serverless: shared, dedicated */
                    txt t = {.n = 0};
                    put(&t, "name: r\nrun: { duration: 10m }\n");
                    if (series)
                        put(&t, "instance: { kind: rabbitmq, series: serverless, deployment: %s, state: %s }\n",
                            e ? "dedicated" : "shared", states[st]);
                    else
                        put(&t, "instance: { kind: rabbitmq, edition: %s, state: %s }\n", sub_ed[e],
                            states[st]);
                    put(&t, "clusters:\n  - name: m\n    brokers:\n      - name: b1\n"
                        "queues:\n  - name: q\nproducers:\n  - { name: p, rate: 10 }\n"
                        "rabbitmq_conversion:\n  at: 1m\n  to: %s\n", targets[k].to);
                    int verdict = series ? targets[k].sl : targets[k].sub;
                    bool in_service = st == 0;
                    mq_scenario s;
                    sim_err err = {{0}};
                    int rc = load(t.b, &s, &err);
                    if (rc == 0) mq_scenario_free(&s);
                    bool want_ok = in_service && verdict == 1;
                    if ((verdict >= 0 || !in_service) && (rc == 0) != want_ok)
                        fail_msg("state %s, %s %s -> %s: %s (expected %s)", states[st],
                                 series ? "serverless" : "subscription", sub_ed[e], targets[k].to,
                                 rc == 0 ? "accepted" : err.msg, want_ok ? "accepted" : "refused");
                    if (rc != 0) {
                        if (!located_at(err.msg, in_service ? "" : "instance.state"))
                            fail_msg("state %s -> %s: error not at file:line:col KEY: %s",
                                     states[st], targets[k].to, err.msg);
                        if (!in_service && !strstr(err.msg, "in service"))
                            fail_msg("state %s: %s", states[st], err.msg);
                        if (in_service && verdict == 0 && !strstr(err.msg, "series"))
                            fail_msg("cross-series %s: %s", targets[k].to, err.msg);
                    }
                    n++;
                }
    print_message("rabbitmq rules grid: %d instance x target x state cases\n", n);
}

/* ======================================================================== */
/* RocketMQ configuration change                                             */
/* ======================================================================== */

static const char *const RQ_ED[] = {"standard", "professional", "enterprise", "platinum"};
static int rq_rank(int e) { return e >= 2 ? 2 : e; }
static const char *const RQ_BILL[] = {"subscription", "payg", "serverless"};
static const char *const RQ_EXTRA[] = {
    "", ", spec_tps: 2000", ", spec_tps: 500", ", internet: false", ", bandwidth: 20Mbps",
    ", bandwidth: 5Mbps", ", storage: 200GB", ", sub_category: cluster", ", sub_category: standalone",
};

/* Every edition pair x billing method x extra key x sub-category:
** accepted exactly when the document allows it. */
static void test_rocketmq_rules_grid(void **state)
{
    (void)state;
    int n = 0, accepted = 0;
    for (int from = 0; from < 4; from++)
        for (int to = -1; to < 4; to++)
            for (int bill = 0; bill < 3; bill++)
                for (size_t x = 0; x < sizeof RQ_EXTRA / sizeof *RQ_EXTRA; x++) {
                    txt t = {.n = 0};
                    put(&t, "name: r\nrun: { duration: 10m }\n"
                        "instance: { kind: rocketmq, edition: %s, billing: %s, sub_category: standalone, "
                        "spec_tps: 1000, internet: true, bandwidth: 10Mbps }\n"
                        "clusters:\n  - name: m\n    brokers:\n      - name: b1\n      - name: b2\n"
                        "queues:\n  - { name: q, broker: b1 }\nproducers:\n  - { name: p, rate: 10 }\n"
                        "rocketmq_change:\n  at: 1m\n  to: { %s%s%s }\n",
                        RQ_ED[from], RQ_BILL[bill], to >= 0 ? "edition: " : "",
                        to >= 0 ? RQ_ED[to] : "", to >= 0 ? RQ_EXTRA[x] : RQ_EXTRA[x] + (*RQ_EXTRA[x] ? 2 : 0));
                    if (to < 0 && !*RQ_EXTRA[x]) continue; /* an empty target */
                    bool serverless = bill == 2;
                    bool ed_change = to >= 0 && rq_rank(to) != rq_rank(from);
                    bool other = x >= 1 && x <= 5; /* spec, internet, bandwidth */
                    bool broken;
                    if (serverless)
                        broken = (to >= 0 && (rq_rank(from) > 1 || rq_rank(to) > 1)) || other ||
                                 x == 7 || x == 6;
                    else
                        broken = (to >= 0 && rq_rank(to) < rq_rank(from)) || x == 7 || x == 6;
                    bool nothing = !ed_change && !other && !broken; /* x 0 or 8 */
                    mq_scenario s;
                    sim_err err = {{0}};
                    int rc = load(t.b, &s, &err);
                    if (rc == 0) {
                        accepted++;
                        mq_scenario_free(&s);
                    }
                    bool want_ok = !broken && !nothing;
                    if ((rc == 0) != want_ok)
                        fail_msg("%s %s -> %s%s: %s (expected %s)", RQ_BILL[bill], RQ_ED[from],
                                 to >= 0 ? RQ_ED[to] : "(edition unchanged)", RQ_EXTRA[x],
                                 rc == 0 ? "accepted" : err.msg, want_ok ? "accepted" : "refused");
                    if (rc != 0 && !located_at(err.msg, "rocketmq_change.to"))
                        fail_msg("error not at file:line:col rocketmq_change.to...: %s", err.msg);
                    if (rc != 0 && nothing && !strstr(err.msg, "no change"))
                        fail_msg("a target that changes nothing: %s", err.msg);
                    n++;
                }
    print_message("rocketmq rules grid: %d cases, %d accepted\n", n, accepted);
    assert_true(accepted > 0 && accepted < n);
}

/* A refused scenario through the binary: exit 2 and FILE:LINE:COL. */
static void test_cli_refusal(void **state)
{
    (void)state;
    char dir[128];
    assert_int_equal(scratch_make(dir, sizeof dir, "seedrules"), 0);
    static const char *const bad[] = {
        "instance: { kind: rocketmq, edition: professional }\nclusters:\n  - name: m\n"
        "    brokers:\n      - name: b1\nqueues:\n  - name: q\nrocketmq_change:\n  at: 1m\n"
        "  to: { edition: standard }\n",
        "instance: { kind: rabbitmq, edition: professional, state: creating }\nclusters:\n"
        "  - name: m\n    brokers:\n      - name: b1\nqueues:\n  - name: q\n"
        "rabbitmq_conversion:\n  at: 1m\n  to: { edition: platinum }\n",
        /* a source upgrade before the migration begins migrates nobody */
        "instance: { kind: rabbitmq, edition: professional }\nclusters:\n"
        "  - name: m\n    brokers:\n      - name: b1\nqueues:\n  - name: q\n"
        "rabbitmq_conversion:\n  at: 2m\n  to: { edition: platinum }\n"
        "  source_upgrade_disconnect: { at: 1m }\n",
        /* a serverless instance is billed as serverless (both documents) */
        "instance: { kind: rocketmq, edition: professional, series: serverless, billing: "
        "subscription }\nclusters:\n  - name: m\n    brokers:\n      - name: b1\nqueues:\n"
        "  - name: q\nrocketmq_change:\n  at: 1m\n  to: { edition: standard }\n",
    };
    static const char *const where[] = {":12:18: rocketmq_change.to.edition", ":3:59: instance.state",
                                        ":13:36: rabbitmq_conversion.source_upgrade_disconnect.at",
                                        ":3:81: instance.billing"};
    for (int i = 0; i < 4; i++) {
        const char *f = path_in(dir, "bad.yaml");
        FILE *o = fopen(f, "w");
        assert_non_null(o);
        fprintf(o, "name: bad\nrun: { duration: 10m }\n%s", bad[i]);
        fclose(o);
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "'%s' check '%s' 2>'%s' >/dev/null", mqsim_bin(), f,
                 path_in(dir, "err.txt"));
        assert_int_equal(sh(cmd), 2);
        char want[256];
        snprintf(want, sizeof want, "%s%s", f, where[i]);
        const char *got = slurp_text(path_in(dir, "err.txt"));
        if (!strstr(got, want)) fail_msg("stderr lacks '%s': %s", want, got);
    }
    assert_int_equal(scratch_remove(dir), 0);
}

typedef struct rq_cfg {
    int from, to;        /* editions; to < 0: unchanged */
    int bill;
    int extra;           /* RQ_EXTRA index among 0..5 */
    int nbrokers;        /* 1 (standalone) or 2..3 */
    bool http;           /* an HTTP producer and consumer (default http profile) */
    bool tcp5;           /* rocketmq-5 instead of rocketmq-4 */
    bool tcp_public;     /* the TCP clients use the public endpoint */
    bool batch_all;      /* rolling.batch_size: every broker at once */
    bool priced;         /* a billing: block (a price table) */
    bool idempotent;
    double at, duration;
    int resource_op;     /* 0 none, 1 inside the change window, 2 before it */
    unsigned seed;
} rq_cfg;

static void rq_describe(const rq_cfg *c, char *b, size_t n)
{
    snprintf(b, n, "rocketmq %s %s -> %s%s, %d broker(s)%s, http %d, %s over %s, at %.0f s, "
             "run %.0f s, resource_op %d, seed %u", RQ_BILL[c->bill], RQ_ED[c->from],
             c->to >= 0 ? RQ_ED[c->to] : "=", RQ_EXTRA[c->extra], c->nbrokers,
             c->batch_all ? " all restarted at once" : "", c->http, c->tcp5 ? "rocketmq-5" : "rocketmq-4",
             c->tcp_public ? "public" : "vpc", c->at, c->duration, c->resource_op, c->seed);
}

#undef DESCRIBE
#define DESCRIBE(buf, n) rq_describe(c, buf, n)

static void rq_text(const rq_cfg *c, txt *t)
{
    t->n = 0;
    put(t, "name: rq\nrun: { duration: %.0fs, sample_interval: 5s, seed: %u }\n", c->duration, c->seed);
    put(t, "instance: { kind: rocketmq, edition: %s, billing: %s, spec_tps: 1000, internet: true, "
        "bandwidth: 10Mbps }\n", RQ_ED[c->from], RQ_BILL[c->bill]);
    put(t, "clusters:\n  - name: m\n    brokers:\n");
    for (int b = 0; b < c->nbrokers; b++) put(t, "      - name: b%d\n", b);
    put(t, "queues:\n  - { name: q, broker: b0 }\n");
    const char *prof = c->tcp5 ? "rocketmq-5" : "rocketmq-4";
    const char *ep = c->tcp_public ? "public" : "vpc";
    put(t, "producers:\n  - { name: p, count: 2, rate: 50, profile: %s, endpoint: %s }\n", prof, ep);
    if (c->http) put(t, "  - { name: ph, count: 2, rate: 10, profile: http }\n");
    put(t, "consumers:\n  - { name: c, count: 2, profile: %s, endpoint: %s, idempotent: %s, "
        "processing: { dist: exponential, mean: 10ms } }\n", prof, ep, c->idempotent ? "true" : "false");
    if (c->http)
        put(t, "  - { name: ch, count: 1, profile: http, idempotent: %s, "
            "processing: { dist: exponential, mean: 10ms } }\n", c->idempotent ? "true" : "false");
    if (c->resource_op)
        put(t, "events:\n  - { at: %.0fs, type: resource_op, label: create-topic }\n",
            c->resource_op == 1 ? c->at + 1 : c->at >= 30 ? c->at - 30 : c->at + 200);
    put(t, "rocketmq_change:\n  at: %.0fs\n  to: { %s%s%s }\n", c->at,
        c->to >= 0 ? "edition: " : "", c->to >= 0 ? RQ_ED[c->to] : "",
        c->to >= 0 ? RQ_EXTRA[c->extra] : RQ_EXTRA[c->extra] + 2);
    if (c->batch_all) put(t, "  rolling: { batch_size: %d }\n", c->nbrokers);
    if (c->priced)
        put(t, "  billing: { currency: CNY, price_per_month: { from: 1000, to: 1600 }, "
            "cycle_months: 3, elapsed_months: 1 }\n");
}

static void rq_properties(const rq_cfg *c, const mq_scenario *s, const mq_result *r)
{
    const double eps = 1e-6;
    /* billing per method: subscription pays the difference for the rest of
    ** the cycle; pay-as-you-go none; serverless: the highest spec of the
    ** cycle */
    double want = c->bill == 0 ? (1600 - 1000) * (3 - 1) : c->bill == 1 ? 0 : (1600 - 1000) * 3;
    if (c->priced)
        CHECK(fabs(metric(r, "billing_delta") - want) < eps, "billing_delta %g, expected %g",
              metric(r, "billing_delta"), want);
    else /* no price table: not estimated, and said so */
        CHECK(!strcmp(status_of(r, "billing_delta"), "not_applicable"), "billing_delta %s",
              status_of(r, "billing_delta"));
    /* advice, always; the balance only where the method charges it */
    CHECK(has_warning(&s->warnings, "CloudMonitor"), "CloudMonitor advice");
    CHECK(has_warning(&s->warnings, "do not create, delete or modify topics"), "topics advice");
    CHECK(has_warning(&s->warnings, "sufficient balance") == (c->bill != 0), "balance advice");
    CHECK(has_warning(&s->warnings, "falls inside the change window") == (c->resource_op == 1),
          "resource operation warning (op %d)", c->resource_op);
    CHECK(has_warning(&s->warnings, "no message idempotence") == !c->idempotent, "idempotence warning");
    /* the planned length: batches one minute apart, 5 s down each, or
    ** the HTTP disruption when longer; cut off by the end of the run */
    int batches = c->batch_all ? 1 : c->nbrokers;
    double dur = fmax((batches - 1) * 60.0 + 5, c->http ? 30 : 0);
    bool cut = c->at + dur > c->duration;
    CHECK(!strcmp(status_of(r, "change_duration_s"), cut ? "censored_at_end" : "measured"),
          "change_duration_s %s (planned %g s from %g s)", status_of(r, "change_duration_s"), dur, c->at);
    if (cut) return; /* the run does not see the change end */
    CHECK(fabs(metric(r, "change_duration_s") - dur) < eps, "change_duration_s %g, planned %g",
          metric(r, "change_duration_s"), dur);
    /* transient disconnections on the service nodes: exceptions logged,
    ** every batch restarted, automatic retry brings everyone back */
    CHECK(metric(r, "restart_batches") == (c->batch_all ? 1 : c->nbrokers), "restart batches %g",
          metric(r, "restart_batches"));
    CHECK(metric(r, "exceptions_logged") > 0, "no exception logged");
    /* Internet access off cuts off the public-endpoint (HTTP) clients for
    ** good, and says so; everyone else comes back */
    int npublic = (c->http ? 3 : 0) + (c->tcp_public ? 4 : 0);
    bool off = c->extra == 3 && npublic > 0;
    CHECK(metric(r, "clients_cut_off_internet") == (off ? npublic : 0), "cut off by Internet access: %g",
          metric(r, "clients_cut_off_internet"));
    CHECK(has_warning(&s->warnings, "SEVERE RISK") == off, "Internet-off warning");
    CHECK(metric(r, "clients_cut_off_at_end") == (off ? npublic : 0), "clients cut off at the end: %g",
          metric(r, "clients_cut_off_at_end"));
    /* on a cluster of several nodes retries fail over: nothing lost */
    if (c->nbrokers > 1 && !c->batch_all && !off)
        CHECK(metric(r, "lost_during_restart") == 0, "lost during the restart: %g",
              metric(r, "lost_during_restart"));
    /* HTTP: a disruption under 1 minute; clients configured to retry lose
    ** nothing */
    if (c->http) {
        double h = metric(r, "http_disruption_max_s");
        CHECK(h >= 30 - eps && h < 60, "HTTP disruption %g s", h);
        if (!off)
            CHECK(metric(r, "lost_during_http_disruption") == 0, "HTTP sends lost: %g",
              metric(r, "lost_during_http_disruption"));
    } else {
        CHECK(!strcmp(status_of(r, "http_disruption_max_s"), "not_applicable"), "HTTP row");
    }
}

/* Accepted changes of every billing method, edition path and kind of
** target, with and without HTTP clients, on one to three nodes, at the
** start, in the middle and near the end of the run. */
static void test_rocketmq_effects_grid(void **state)
{
    (void)state;
    int n = 0;
    static const double ats[] = {0, 120, 560};
    uint64_t x = 0xfeedULL; /* the other dimensions, drawn independently */
#define NEXT(k) ((x = x * 6364136223846793005ULL + 1442695040888963407ULL), (int)((x >> 33) % (k)))
    for (int bill = 0; bill < 3; bill++)
        for (int from = 0; from < 4; from++)
            for (int to = -1; to < 4; to++)
                for (int extra = 0; extra < 6; extra++) {
                    bool serverless = bill == 2;
                    if (to < 0 && extra == 0) continue;
                    if (to >= 0 && rq_rank(to) == rq_rank(from) && extra == 0) continue;
                    if (serverless && (extra || to < 0 || rq_rank(from) > 1 || rq_rank(to) > 1)) continue;
                    if (!serverless && to >= 0 && rq_rank(to) < rq_rank(from)) continue;
                    rq_cfg cfg = {.from = from, .to = to, .bill = bill, .extra = extra,
                                  .nbrokers = 1 + NEXT(3), .http = NEXT(2), .tcp5 = NEXT(2),
                                  .idempotent = NEXT(5) != 0, .at = ats[NEXT(3)], .duration = 600,
                                  .resource_op = NEXT(3), .seed = (unsigned)(300 + n)};
                    cfg.tcp_public = NEXT(3) == 0;
                    cfg.batch_all = cfg.nbrokers > 1 && NEXT(3) == 0;
                    cfg.priced = NEXT(4) != 0;
                    const rq_cfg *c = &cfg;
                    txt t;
                    rq_text(c, &t);
                    mq_scenario s;
                    sim_err err = {{0}};
                    if (load(t.b, &s, &err)) {
                        char d[512];
                        rq_describe(c, d, sizeof d);
                        fail_msg("%s: load failed: %s", d, err.msg);
                    }
                    mq_result r;
                    run_scn(&s, &r);
                    rq_properties(c, &s, &r);
                    mq_result_free(&r);
                    mq_scenario_free(&s);
                    n++;
                }
#undef NEXT
    print_message("rocketmq effects grid: %d configurations\n", n);
    assert_true(n > 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rabbitmq_rules_grid),
        cmocka_unit_test(test_rocketmq_rules_grid),
        cmocka_unit_test(test_cli_refusal),
        cmocka_unit_test(test_rabbitmq_connection_grid),
        cmocka_unit_test(test_rabbitmq_storage_phases),
        cmocka_unit_test(test_rabbitmq_random),
        cmocka_unit_test(test_rabbitmq_spec_change_grid),
        cmocka_unit_test(test_privatelink_outage_warning),
        cmocka_unit_test(test_rocketmq_effects_grid),
    };
    return cmocka_run_group_tests_name("seed_rules", tests, NULL, NULL);
}
