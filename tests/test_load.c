/*
** test_load.c - the real-broker load tester (load/): broker URL parsing and
** the loopback rule (checked on the parsed address, nothing is connected),
** clear exit-2 errors for a broker that is absent, silent or answering
** garbage (fake servers on 127.0.0.1 inside this process), authentication
** refusal and clean start/stop of a private rabbitmq-server, and the three
** validation scenarios run both ways (`mqsim run` and `mqsim load
** --start-broker`) with duplicates, disruption windows and p99 delay
** compared within the tolerances justified in docs/VALIDATION.md.
**
** Every address used is loopback. The three real runs go one after the
** other (about 3.5 minutes): run in parallel they finish in ~90 s, but
** three Erlang VMs competing for the CPU inflate delays and duplicates.
** Tests run with cwd = repository root; MQSIM names the binary.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/test_util.h"

#include "io/out_csv.h"
#include "io/scn_load.h"
#include "load/lt_broker.h"
#include "load/lt_run.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A private scratch folder: other checkouts may run this test at the same
** time, so no fixed /tmp names. */
static char scratch[64];

static const char *tmp_path(const char *name)
{
    static char buf[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", scratch, name);
    return buf[k];
}

static const char *mqsim(void)
{
    const char *m = getenv("MQSIM");
    return m ? m : "./mqsim";
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static char *slurp(const char *path)
{
    static char buf[65536];
    FILE *f = fopen(path, "r");
    if (!f) return strcpy(buf, "");
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* ---- URL and loopback ---------------------------------------------------- */

static void test_url_parse(void **state)
{
    (void)state;
    lt_url u;
    sim_err e = {{0}};
    assert_int_equal(lt_url_parse("amqp://127.0.0.1", &u, &e), 0);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 5672);
    assert_string_equal(u.user, "guest");
    assert_string_equal(u.vhost, "/");
    assert_int_equal(lt_url_parse("amqp://bob:s3cret@localhost:5673/prod", &u, &e), 0);
    assert_string_equal(u.user, "bob");
    assert_string_equal(u.pass, "s3cret");
    assert_string_equal(u.host, "localhost");
    assert_int_equal(u.port, 5673);
    assert_string_equal(u.vhost, "prod");
    assert_int_equal(lt_url_parse("amqp://[::1]:5674/%2f", &u, &e), 0);
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 5674);
    assert_string_equal(u.vhost, "/");
    assert_int_equal(lt_url_parse("http://127.0.0.1:5672", &u, &e), -1);
    assert_non_null(strstr(e.msg, "amqp://"));
    assert_int_equal(lt_url_parse("amqp://127.0.0.1:99999", &u, &e), -1);
    assert_non_null(strstr(e.msg, "port"));
    assert_int_equal(lt_url_parse("amqp://127.0.0.1:56x", &u, &e), -1);
    assert_int_equal(lt_url_parse("amqp://:5672", &u, &e), -1);
}

static void test_loopback_rule(void **state)
{
    (void)state;
    assert_true(lt_host_is_loopback("127.0.0.1"));
    assert_true(lt_host_is_loopback("127.3.2.1"));
    assert_true(lt_host_is_loopback("localhost"));
    assert_true(lt_host_is_loopback("::1"));
    assert_false(lt_host_is_loopback("10.0.0.1"));
    assert_false(lt_host_is_loopback("128.0.0.1"));
    assert_false(lt_host_is_loopback("127.0.0.1.evil.example"));
    assert_false(lt_host_is_loopback("localhost.example"));
    assert_false(lt_host_is_loopback("127.0.0.256"));
    assert_false(lt_host_is_loopback("mq.example.com"));
    lt_url u;
    sim_err e = {{0}};
    /* refused on the parsed address; nothing is resolved or connected */
    assert_int_equal(lt_check_target("amqp://192.0.2.10:5672", false, &u, &e), -1);
    assert_non_null(strstr(e.msg, "refusing"));
    assert_non_null(strstr(e.msg, "--allow-remote"));
    assert_int_equal(lt_check_target("amqp://192.0.2.10:5672", true, &u, &e), 0);
    assert_int_equal(lt_check_target("amqp://127.0.0.1:5672", false, &u, &e), 0);
}

static void test_cli_refuses_remote(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s load scenarios/validation/steady.yaml --broker "
             "amqp://192.0.2.10:5672 > %s 2>&1", mqsim(), tmp_path("remote.txt"));
    double t0 = mono();
    assert_int_equal(sh(cmd), 2);
    assert_true(mono() - t0 < 5); /* refused before any connection */
    assert_non_null(strstr(slurp(tmp_path("remote.txt")), "refusing broker host '192.0.2.10'"));
}

static void test_scenario_limits(void **state)
{
    (void)state;
    const char *conc =
        "name: c\nrun: { duration: 10s }\ninstance: { kind: rabbitmq }\n"
        "clusters: [ { name: m, brokers: [ { name: b1 } ] } ]\nqueues: [ { name: q } ]\n"
        "producers: [ { name: p, rate: 10 } ]\n"
        "consumers: [ { name: w, concurrency: 4, prefetch: 10, processing: { dist: constant, value: 1ms } } ]\n";
    mq_scenario s;
    sim_err e = {{0}};
    assert_int_equal(scn_load_string("c.yaml", conc, strlen(conc), &s, &e), 0);
    sim_strs w = {0};
    assert_int_equal(lt_check_scenario(&s, &w, &e), -1);
    assert_non_null(strstr(e.msg, "concurrency 4"));
    mq_scenario_free(&s);
    mq_scenario v;
    assert_int_equal(scn_load_file("scenarios/validation/close-recover.yaml", &v, &e), 0);
    assert_int_equal(lt_check_scenario(&v, &w, &e), 0);
    mq_scenario_free(&v);
    sim_strs_free(&w);
}

/* ---- fake servers: absent, silent, garbage -------------------------------- */

typedef struct fake {
    int fd, port;
    int garbage; /* 1: answer every connection with HTTP; 0: say nothing */
    volatile int stop;
    pthread_t th;
} fake;

static void *fake_main(void *arg)
{
    fake *f = arg;
    int conns[16];
    int n = 0;
    double end = mono() + 60; /* bounded whatever happens */
    while (!f->stop && mono() < end && n < 16) {
        struct pollfd p = {.fd = f->fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0) continue;
        int c = accept(f->fd, NULL, NULL);
        if (c < 0) continue;
        if (f->garbage) {
            const char *g = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
            ssize_t w = write(c, g, strlen(g));
            (void)w;
        }
        conns[n++] = c;
    }
    for (int i = 0; i < n; i++) close(conns[i]);
    return NULL;
}

static void fake_start(fake *f, int garbage)
{
    memset(f, 0, sizeof *f);
    f->garbage = garbage;
    f->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(f->fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t n = sizeof a;
    assert_int_equal(bind(f->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(f->fd, 16), 0);
    assert_int_equal(getsockname(f->fd, (struct sockaddr *)&a, &n), 0);
    f->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&f->th, NULL, fake_main, f), 0);
}

static void fake_stop(fake *f)
{
    f->stop = 1;
    pthread_join(f->th, NULL);
    close(f->fd);
}

/* mqsim load against port must exit 2 quickly with msg in its stderr. */
static void expect_exit2(int port, const char *msg, double max_s)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s load scenarios/validation/steady.yaml --broker "
             "amqp://127.0.0.1:%d --out %s > %s 2>&1", mqsim(), port, tmp_path("none"),
             tmp_path("err.txt"));
    double t0 = mono();
    int rc = sh(cmd);
    double took = mono() - t0;
    const char *out = slurp(tmp_path("err.txt"));
    if (rc != 2 || !strstr(out, msg) || took > max_s)
        fail_msg("exit %d after %.1f s (want 2 within %.0f s, message '%s'): %s", rc, took,
                 max_s, msg, out);
    struct stat st;
    assert_int_not_equal(stat(tmp_path("none"), &st), 0); /* nothing written */
}

static void test_broker_down(void **state)
{
    (void)state;
    fake f;
    fake_start(&f, 0);
    int port = f.port;
    fake_stop(&f); /* the port is now closed: connection refused */
    expect_exit2(port, "cannot connect", 10);
}

static void test_broker_silent(void **state)
{
    (void)state;
    fake f;
    fake_start(&f, 0);
    expect_exit2(f.port, "login", 15);
    fake_stop(&f);
}

static void test_broker_garbage(void **state)
{
    (void)state;
    fake f;
    fake_start(&f, 1);
    expect_exit2(f.port, "login", 15);
    fake_stop(&f);
}

/* ---- a private broker: auth refused, clean stop --------------------------- */

static void test_private_broker(void **state)
{
    (void)state;
    lt_broker b;
    sim_err e = {{0}};
    if (lt_broker_start(&b, 60, &e)) fail_msg("%s", e.msg);
    pid_t pgid = b.pgid;
    char dir[256];
    snprintf(dir, sizeof dir, "%s", b.dir);
    assert_true(b.startup_s > 0 && b.startup_s < 60);
    lt_url u;
    char url[128];
    snprintf(url, sizeof url, "amqp://guest:wrong@127.0.0.1:%d", b.amqp_port);
    assert_int_equal(lt_check_target(url, false, &u, &e), 0);
    double t0 = mono();
    amqp_connection_state_t c = lt_connect(&u, 3, "mqsim/test", &e);
    assert_null(c);
    assert_true(mono() - t0 < 10);
    assert_non_null(strstr(e.msg, "login"));
    snprintf(url, sizeof url, "amqp://127.0.0.1:%d", b.amqp_port);
    assert_int_equal(lt_check_target(url, false, &u, &e), 0);
    c = lt_connect(&u, 3, "mqsim/test", &e);
    if (!c) fail_msg("%s", e.msg);
    lt_disconnect(c, true);
    lt_broker_stop(&b);
    lt_broker_stop(&b); /* idempotent */
    assert_int_equal(kill(-pgid, 0), -1); /* the whole process group is gone */
    assert_int_equal(errno, ESRCH);
    struct stat st;
    assert_int_not_equal(stat(dir, &st), 0); /* temp folder removed */
}

/* ---- sim vs real ------------------------------------------------------------ */

static const char *const scen[3] = {"steady", "close-recover", "close-app-restart"};
/* consumers whose connections the scenario closes (duplicate tolerance) */
static const int closed_consumers[3] = {0, 2, 2};

static double metric(const sim_metrics *m, const char *name)
{
    const sim_metric *x = sim_metrics_find(m, name);
    if (!x) fail_msg("metric %s missing", name);
    return x->value;
}

static void test_sim_vs_real(void **state)
{
    (void)state;
    const char *tmpl = scratch;
    char cmd[4096];
    int n = 0;
    for (int i = 0; i < 3; i++)
        n += snprintf(cmd + n, sizeof cmd - (size_t)n,
                      "(%s load scenarios/validation/%s.yaml --start-broker --out %s/%s-real "
                      "> %s/%s-real.log 2>&1; echo $? > %s/%s.rc); ",
                      mqsim(), scen[i], tmpl, scen[i], tmpl, scen[i], tmpl, scen[i]);
    snprintf(cmd + n, sizeof cmd - (size_t)n, "true");
    double t0 = mono();
    assert_int_equal(sh(cmd), 0);
    double real_s = mono() - t0;
    print_message("# three real runs, one after the other, took %.1f s\n", real_s);
    for (int i = 0; i < 3; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s.rc", tmpl, scen[i]);
        if (atoi(slurp(path)) != 0) {
            snprintf(path, sizeof path, "%s/%s-real.log", tmpl, scen[i]);
            fail_msg("mqsim load %s failed: %s", scen[i], slurp(path));
        }
        snprintf(cmd, sizeof cmd, "%s run scenarios/validation/%s.yaml --out %s/%s-sim > /dev/null",
                 mqsim(), scen[i], tmpl, scen[i]);
        assert_int_equal(sh(cmd), 0);
        sim_metrics sm = {0}, rl = {0};
        sim_err e = {{0}};
        snprintf(path, sizeof path, "%s/%s-sim/summary.csv", tmpl, scen[i]);
        if (out_read_summary_csv(path, &sm, &e)) fail_msg("%s", e.msg);
        snprintf(path, sizeof path, "%s/%s-real/summary.csv", tmpl, scen[i]);
        if (out_read_summary_csv(path, &rl, &e)) fail_msg("%s", e.msg);
        snprintf(path, sizeof path, "%s/%s-real/summary.json", tmpl, scen[i]);
        assert_non_null(strstr(slurp(path), "\"mode\": \"real\""));
        double ds = metric(&sm, "duplicates"), dr = metric(&rl, "duplicates");
        double ws = metric(&sm, "disruption_max_s"), wr = metric(&rl, "disruption_max_s");
        double ps = metric(&sm, "delay_p99_s"), pr = metric(&rl, "delay_p99_s");
        print_message("# %-18s duplicates sim %g real %g | window sim %.3f real %.3f s | "
                      "p99 sim %.4f real %.4f s | lost sim %g real %g\n", scen[i], ds, dr, ws, wr,
                      ps, pr, metric(&sm, "lost"), metric(&rl, "lost"));
        /* tolerances: docs/VALIDATION.md, "Simulation vs real broker" */
        assert_near(dr, ds, 3.0 * closed_consumers[i]);
        assert_near(wr, ws, 0.5);
        assert_near(pr, ps, 0.25 * ps + 0.005);
        assert_near(metric(&rl, "lost"), metric(&sm, "lost"), 0);
        sim_metrics_free(&sm);
        sim_metrics_free(&rl);
    }
}

static int scratch_setup(void **state)
{
    (void)state;
    snprintf(scratch, sizeof scratch, "/tmp/mqsim-tl-XXXXXX");
    return mkdtemp(scratch) ? 0 : -1;
}

static int scratch_teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", scratch);
    return sh(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_parse),
        cmocka_unit_test(test_loopback_rule),
        cmocka_unit_test(test_cli_refuses_remote),
        cmocka_unit_test(test_scenario_limits),
        cmocka_unit_test(test_broker_down),
        cmocka_unit_test(test_broker_silent),
        cmocka_unit_test(test_broker_garbage),
        cmocka_unit_test(test_private_broker),
        cmocka_unit_test(test_sim_vs_real),
    };
    return cmocka_run_group_tests_name("load", tests, scratch_setup, scratch_teardown);
}
