/*
** test_capture.c - `mqsim capture` (load/lt_capture*.c, load/lt_http.c,
** io/rate_csv.c) and reading a scenario from standard input.
**
** Fast groups: application names, client profiles from client_properties,
** the processing-time estimators on known numbers, the day profile CSV
** (TZ fixed to UTC and to a +02:00 zone), `mqsim run -` and its
** `<stdin>:line:col` errors, and the error paths of the command: a remote
** address refused, a broker that is down, a 401 and a garbage answer (a
** tiny HTTP server on 127.0.0.1 inside this process), a password on the
** command line, a server that accepts and never answers (the request's
** time limit); each exits 2 with a clear message and writes nothing. A
** fake management API with known figures checks every derivation
** end to end (grouping, queue matching, profiles and version rules,
** heartbeat, prefetch from the global qos, saturated processing time,
** quorum type and its warning, TTL, backlog age, the day profile) and the
** pipe `mqsim capture --change FILE | mqsim run - --at HH:MM`.
**
** The real group starts the load tester's private RabbitMQ with the
** management plugin (statistics every 1 s, so a 60 s window holds as many
** samples as 5 minutes on a default broker) and drives known traffic with
** the load tester's own clients (`mqsim load` on a scenario): two producer
** groups (40 msg/s with confirms, deterministic; 30 msg/s Poisson without),
** three consumer groups (prefetch 10 saturated at 60 ms, prefetch 1 at
** 200 ms, prefetch 50 draining a pre-filled backlog at 40 ms) and a queue
** holding a pre-filled backlog of 2000. It captures 60 s and checks every
** group, rates within 10 %, prefetch and ack mode exact, the backlog within
** 1 %, processing times within 20 % and that `mqsim check` accepts the
** file. Then the captured scenario, with a server-side close of the prefetch-1
** group added, runs in `mqsim run` and in `mqsim load --start-broker`, and
** the two are compared with the tolerances of tests/test_load.c
** (docs/VALIDATION.md). About 3 minutes, mostly the traffic run and the
** real run of the captured scenario.
** TEST_FILTER=<cmocka pattern> runs only matching tests.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/test_util.h"

#include "io/out_csv.h"
#include "io/rate_csv.h"
#include "io/scn_load.h"
#include "models/change/mq_rabbitmq.h"
#include "load/lt_broker.h"
#include "load/lt_capture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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

static char scratch[64];

static const char *tmp_path(const char *name)
{
    return path_in(scratch, name);
}

static void spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* ---- pure derivations -------------------------------------------------------- */

static void test_app_names(void **state)
{
    (void)state;
    char b[128];
    lt_capture_app("orders-api/3", "RabbitMQ", "10.0.0.5", b, sizeof b);
    assert_string_equal(b, "orders-api");
    lt_capture_app("billing-12", "", "", b, sizeof b);
    assert_string_equal(b, "billing");
    lt_capture_app("worker", "", "", b, sizeof b);
    assert_string_equal(b, "worker");
    lt_capture_app("v2", "", "", b, sizeof b); /* no separator: a name, not an instance */
    assert_string_equal(b, "v2");
    lt_capture_app("", "Pika Python Client Library", "10.0.0.7", b, sizeof b);
    assert_string_equal(b, "Pika Python Client Library@10.0.0.7");
    lt_capture_app(NULL, "", "", b, sizeof b);
    assert_string_equal(b, "unknown@unknown");
}

static void test_profiles(void **state)
{
    (void)state;
    static const struct { const char *product, *version, *platform, *profile; int automatic;
                          lt_prov_kind kind; } cases[] = {
        {"RabbitMQ", "5.20.0", "Java", "rabbitmq-java", -1, LT_MEASURED},
        {"RabbitMQ", "3.6.6", "Java", "rabbitmq-java", 0, LT_MEASURED},
        {"Pika Python Client Library", "1.3.2", "Python 3.11.2", "pika", -1, LT_MEASURED},
        {"github.com/rabbitmq/amqp091-go", "1.9.0", "golang", "go-amqp091", -1, LT_MEASURED},
        {"https://github.com/streadway/amqp", "β", "golang", "go-amqp091", -1, LT_ESTIMATED},
        {"rabbitmq-c", "0.11.0", "Linux", "pika", -1, LT_DEFAULT},
        {"RabbitMQ", "6.0.0", ".NET", "rabbitmq-java", -1, LT_DEFAULT},
        {"", "", "", "rabbitmq-java", -1, LT_DEFAULT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lt_cap_client c = {0};
        snprintf(c.product, sizeof c.product, "%s", cases[i].product);
        snprintf(c.version, sizeof c.version, "%s", cases[i].version);
        snprintf(c.platform, sizeof c.platform, "%s", cases[i].platform);
        lt_cap_profile p;
        lt_capture_profile(&c, &p);
        assert_string_equal(p.profile, cases[i].profile);
        assert_int_equal(p.automatic, cases[i].automatic);
        assert_int_equal(p.prov.kind, cases[i].kind);
        assert_true(p.prov.how[0] != '\0');
        if (cases[i].version[0]) assert_non_null(strstr(p.prov.how, cases[i].version));
    }
}

/* The estimators on queueing figures worked out by hand. */
static void test_processing_estimate(void **state)
{
    (void)state;
    lt_cap_consumer g = {.count = 2, .prefetch = 10, .ack_manual = true};
    /* saturated: unacked = prefetch; 2 consumers at 25 msg/s each -> 40 ms */
    g.unacked = 20, g.ack_rate = 50;
    lt_capture_estimate(&g);
    assert_near(g.processing_s, 0.040, 1e-12);
    assert_int_equal(g.processing_prov.kind, LT_ESTIMATED);
    assert_non_null(strstr(g.processing_prov.how, "utilisation law"));
    /* M/M/1 per consumer: t = 20 ms, X = 20/s, rho 0.4, W = t / (1 - rho),
    ** L = X W per consumer */
    double t = 0.020, X = 20, W = t / (1 - X * t);
    g.unacked = 2 * X * W, g.ack_rate = 2 * X;
    lt_capture_estimate(&g);
    assert_near(g.processing_s, t, 1e-12);
    assert_non_null(strstr(g.processing_prov.how, "M/M/1"));
    /* prefetch 1: unacked only while processed */
    g.prefetch = 1, g.unacked = 2 * 0.5, g.ack_rate = 2 * 2.5;
    lt_capture_estimate(&g);
    assert_near(g.processing_s, 0.2, 1e-12);
    /* auto-ack and no acks: no estimate, said so */
    g.ack_manual = false;
    lt_capture_estimate(&g);
    assert_true(isnan(g.processing_s));
    assert_int_equal(g.processing_prov.kind, LT_DEFAULT);
    g.ack_manual = true, g.ack_rate = 0;
    lt_capture_estimate(&g);
    assert_true(isnan(g.processing_s));
    g.ack_rate = 30, g.unacked = 0; /* never caught unacked: no zero processing time */
    lt_capture_estimate(&g);
    assert_true(isnan(g.processing_s));
    assert_int_equal(g.processing_prov.kind, LT_DEFAULT);
}

static void test_rate_csv(void **state)
{
    (void)state;
    const char *path = tmp_path("day.csv");
    mq_rate_step *s;
    size_t n;
    sim_err e = {{0}};
    setenv("TZ", "UTC", 1);
    tzset();
    /* Grafana-style: header, quoted, two days averaged, UTC instants */
    spit(path, "\"Time\",\"rate\"\n\"2026-05-01T08:00:00Z\",100\n2026-05-01T20:00:00Z,40\n"
               "2026-05-02 08:00:00Z,200\n2026-05-02T20:00:00+00:00,60\n");
    assert_int_equal(rate_csv_read(path, false, &s, &n, &e), 0);
    assert_int_equal(n, 3);
    assert_near(s[0].at_s, 0, 0);
    assert_near(s[0].rate, 50, 1e-9);      /* 00:00 carries the day's last rate */
    assert_near(s[1].at_s, 8 * 3600, 0);
    assert_near(s[1].rate, 150, 1e-9);
    assert_near(s[2].at_s, 20 * 3600, 0);
    free(s);
    /* the same instants read in a +02:00 zone move two hours */
    setenv("TZ", "XXX-2", 1);
    tzset();
    assert_int_equal(rate_csv_read(path, false, &s, &n, &e), 0);
    assert_near(s[1].at_s, 10 * 3600, 0);
    free(s);
    /* zone-less local times stay; --rate-profile-utc moves them */
    spit(path, "time,rate\n06:30,10\n18:00,30\n");
    assert_int_equal(rate_csv_read(path, false, &s, &n, &e), 0);
    assert_near(s[1].at_s, 6.5 * 3600, 0);
    free(s);
    assert_int_equal(rate_csv_read(path, true, &s, &n, &e), 0);
    assert_near(s[1].at_s, 8.5 * 3600, 0);
    free(s);
    /* Unix seconds and milliseconds */
    spit(path, "1778227200,5\n1778270400000,7\n"); /* 2026-05-08 08:00 and 20:00 UTC */
    assert_int_equal(rate_csv_read(path, false, &s, &n, &e), 0);
    assert_near(s[1].at_s, 10 * 3600, 0);
    assert_near(s[2].at_s, 22 * 3600, 0);
    free(s);
    setenv("TZ", "UTC", 1);
    tzset();
    spit(path, "time,rate\n08:00,abc\n");
    assert_int_equal(rate_csv_read(path, false, &s, &n, &e), -1);
    assert_non_null(strstr(e.msg, ":2:"));
    spit(path, "time,rate\n8 o'clock,5\n");
    assert_int_equal(rate_csv_read(path, false, &s, &n, &e), -1);
    assert_non_null(strstr(e.msg, "HH:MM"));
}

/* ---- scenario from standard input -------------------------------------------- */

static void test_run_stdin(void **state)
{
    (void)state;
    const char *good = "name: piped\nrun: { duration: 20s, seed: 3 }\ninstance: { kind: rabbitmq }\n"
                       "clusters: [ { name: c, brokers: [ { name: b1 } ] } ]\n"
                       "queues: [ { name: q } ]\nproducers: [ { name: p, rate: 50 } ]\n"
                       "consumers: [ { name: w, prefetch: 10, processing: { dist: constant, "
                       "value: 5ms } } ]\n";
    spit(tmp_path("piped.yaml"), good);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s run - --out %s < %s > %s 2>&1", mqsim_bin(), tmp_path("piped-out"),
             tmp_path("piped.yaml"), tmp_path("piped.log"));
    assert_int_equal(sh(cmd), 0);
    /* the same bytes as from the file */
    snprintf(cmd, sizeof cmd, "%s run %s --out %s > /dev/null 2>&1 && cmp -s %s/summary.csv "
             "%s/summary.csv", mqsim_bin(), tmp_path("piped.yaml"), tmp_path("file-out"),
             tmp_path("piped-out"), tmp_path("file-out"));
    assert_int_equal(sh(cmd), 0);
    spit(tmp_path("bad.yaml"), "name: bad\nrun: { duration: 20s }\ninstance: { kind: rabbitmq }\n"
                               "clusters: [ { name: c, brokers: [ { name: b1 } ] } ]\n"
                               "queues: [ { name: q } ]\nproducers: [ { name: p, rate: -5 } ]\n");
    snprintf(cmd, sizeof cmd, "%s run - < %s > %s 2>&1", mqsim_bin(), tmp_path("bad.yaml"),
             tmp_path("bad.log"));
    assert_int_equal(sh(cmd), 2);
    assert_non_null(strstr(slurp_text(tmp_path("bad.log")), "<stdin>:6:"));
}

/* ---- error paths ------------------------------------------------------------- */

/* `mqsim capture ARGS --out OUT` exit status, its stderr in *log; OUT must
** not exist afterwards when the status is not 0. */
static int capture_cmd(const char *args, const char **log)
{
    char cmd[1024];
    const char *out = tmp_path("err-out.yaml");
    unlink(out);
    snprintf(cmd, sizeof cmd, "%s capture %s --out %s > %s 2>&1", mqsim_bin(), args, out,
             tmp_path("err.log"));
    int rc = sh(cmd);
    *log = slurp_text(tmp_path("err.log"));
    if (rc != 0 && exists(out)) fail_msg("capture failed (%d) but wrote %s", rc, out);
    return rc;
}

static void test_refuses_remote_and_argv_password(void **state)
{
    (void)state;
    const char *log;
    double t0 = mono_s();
    assert_int_equal(capture_cmd("--broker http://10.1.2.3:15672 --window 1s", &log), 2);
    assert_true(mono_s() - t0 < 5); /* refused before any connection */
    assert_non_null(strstr(log, "refusing broker host '10.1.2.3'"));
    assert_int_equal(capture_cmd("--broker http://127.0.0.1@example.com:15672", &log), 2);
    assert_int_equal(capture_cmd("--broker amqp://127.0.0.1:5672", &log), 2);
    assert_non_null(strstr(log, "http://"));
    assert_int_equal(capture_cmd("--broker http://127.0.0.1:1 --password guest", &log), 2);
    assert_non_null(strstr(log, "--password-file"));
    assert_int_equal(capture_cmd("--broker http://127.0.0.1:1 --user bob", &log), 2);
    assert_non_null(strstr(log, "--password-file"));
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t n = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &n), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static void test_broker_down(void **state)
{
    (void)state;
    char args[128];
    snprintf(args, sizeof args, "--broker http://127.0.0.1:%d --window 2s --timeout 3s",
             free_port());
    const char *log;
    double t0 = mono_s();
    assert_int_equal(capture_cmd(args, &log), 2);
    assert_true(mono_s() - t0 < 10);
    assert_non_null(strstr(log, "cannot reach the management API"));
}

/* A tiny HTTP server on 127.0.0.1: answers every request with `reply`, or
** with what `answer` writes for the request's path into a buffer. */
typedef struct fake_http {
    int fd, port;
    const char *reply;
    void (*answer)(struct fake_http *f, const char *path, char *buf, size_t n);
    int requests;      /* of the channels and queues lists (the counters' clock) */
    pthread_t th;
    volatile int stop;
} fake_http;

static void *fake_main(void *arg)
{
    fake_http *f = arg;
    while (!f->stop) {
        struct pollfd p = {.fd = f->fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0) continue;
        int c = accept(f->fd, NULL, NULL);
        if (c < 0) continue;
        char req[4096];
        size_t got = 0;
        while (got < sizeof req - 1) { /* read up to the end of the headers */
            struct pollfd q = {.fd = c, .events = POLLIN};
            if (poll(&q, 1, 2000) <= 0) break;
            ssize_t k = read(c, req + got, sizeof req - 1 - got);
            if (k <= 0) break;
            got += (size_t)k;
            req[got] = '\0';
            if (strstr(req, "\r\n\r\n")) break;
        }
        if (f->reply && !*f->reply) { /* silent: hold the connection, answer nothing */
            while (!f->stop) usleep(20000);
            close(c);
            continue;
        }
        static char ans[8192];
        const char *reply = f->reply;
        if (f->answer) {
            char path[256] = "";
            sscanf(req, "GET %255s", path);
            f->answer(f, path, ans, sizeof ans);
            reply = ans;
        }
        for (size_t off = 0, len = strlen(reply); off < len;) {
            ssize_t w = write(c, reply + off, len - off);
            if (w <= 0) break;
            off += (size_t)w;
        }
        close(c);
    }
    return NULL;
}

static void fake_start(fake_http *f, const char *reply)
{
    memset(f, 0, sizeof *f);
    f->reply = reply;
    f->answer = NULL;
    f->fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(f->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t n = sizeof a;
    assert_int_equal(bind(f->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(f->fd, 8), 0);
    assert_int_equal(getsockname(f->fd, (struct sockaddr *)&a, &n), 0);
    f->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&f->th, NULL, fake_main, f), 0);
}

static void fake_stop(fake_http *f)
{
    f->stop = 1;
    pthread_join(f->th, NULL);
    close(f->fd);
}

static void test_401_and_garbage(void **state)
{
    (void)state;
    static const char *const replies[] = {
        "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: 49\r\n"
        "Connection: close\r\n\r\n{\"error\":\"not_authorised\",\"reason\":\"Login failed\"}",
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n"
        "<html><body>It works!</body></html>",
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
        "{\"hello\": \"world\"}",
        "\x16\x03\x01 not http at all\r\n\r\n",
        "", /* silent: the request's time limit ends it */
    };
    static const char *const want[] = {"refused the login (HTTP 401)", "is not JSON",
                                       "no rabbitmq_version", "cannot reach", "no answer from"};
    spit(tmp_path("pw"), "secret\n");
    for (size_t i = 0; i < sizeof replies / sizeof replies[0]; i++) {
        fake_http f;
        fake_start(&f, replies[i]);
        char args[256];
        snprintf(args, sizeof args, "--broker http://127.0.0.1:%d --user bob --password-file %s "
                 "--window 2s --timeout 1s", f.port, tmp_path("pw"));
        const char *log;
        double t0 = mono_s();
        int rc = capture_cmd(args, &log);
        fake_stop(&f);
        if (rc != 2 || !strstr(log, want[i]))
            fail_msg("reply %zu: exit %d, wanted 2 and '%s': %s", i, rc, want[i], log);
        assert_true(mono_s() - t0 < 10);
    }
}

static const mq_producer_group *find_prod(const mq_scenario *s, const char *name);
static const mq_consumer_group *find_cons(const mq_scenario *s, const char *name);

/* A management API with known figures: a Java 3.6 producer (connection
** "orders-api/1", confirms, heartbeat 30 s) publishing 10 per channels
** request into a quorum queue with a TTL and a 2-minute-old backlog; a Go
** producer ("billing-2", 3 per request) into a classic queue; a pika
** consumer (no connection name, global prefetch 20, 20 unacked: saturated,
** 5 acks per request). The counters advance with every channels (queues)
** request, i.e. with every sample. */
static void fake_api(fake_http *f, const char *path, char *buf, size_t n)
{
    char body[6000];
    long now = (long)time(NULL);
    if (!strcmp(path, "/api/overview")) {
        snprintf(body, sizeof body, "{\"rabbitmq_version\": \"3.12.0\"}");
    } else if (strstr(path, "/connections")) {
        snprintf(body, sizeof body, "["
            "{\"name\": \"c1\", \"user_provided_name\": \"orders-api/1\", \"peer_host\": \"10.0.0.5\","
            " \"timeout\": 30, \"client_properties\": {\"product\": \"RabbitMQ\", \"version\": \"3.6.6\","
            " \"platform\": \"Java\"}},"
            "{\"name\": \"c2\", \"peer_host\": \"10.0.0.6\", \"timeout\": 60, \"client_properties\":"
            " {\"product\": \"Pika Python Client Library\", \"version\": \"1.3.2\", \"platform\": \"Python 3.11\"}},"
            "{\"name\": \"c3\", \"user_provided_name\": \"billing-2\", \"peer_host\": \"10.0.0.7\", \"timeout\": 0,"
            " \"client_properties\": {\"product\": \"github.com/rabbitmq/amqp091-go\", \"version\": \"1.9.0\"}}]");
    } else if (strstr(path, "/channels")) {
        int k = f->requests++;
        snprintf(body, sizeof body, "["
            "{\"name\": \"c1 (1)\", \"connection_details\": {\"name\": \"c1\"}, \"confirm\": true,"
            " \"messages_unacknowledged\": 0, \"message_stats\": {\"publish\": %d}},"
            "{\"name\": \"c3 (1)\", \"connection_details\": {\"name\": \"c3\"}, \"confirm\": false,"
            " \"messages_unacknowledged\": 0, \"message_stats\": {\"publish\": %d}},"
            "{\"name\": \"c2 (1)\", \"connection_details\": {\"name\": \"c2\"}, \"prefetch_count\": 0,"
            " \"global_prefetch_count\": 20, \"messages_unacknowledged\": 20,"
            " \"message_stats\": {\"ack\": %d}}]", 10 * k, 3 * k, 5 * k);
    } else if (strstr(path, "/api/consumers")) {
        snprintf(body, sizeof body, "[{\"channel_details\": {\"name\": \"c2 (1)\", \"connection_name\":"
            " \"c2\"}, \"queue\": {\"name\": \"orders\"}, \"ack_required\": true, \"prefetch_count\": 0}]");
    } else if (strstr(path, "/api/queues")) {
        int k = f->requests; /* read just after the channels */
        snprintf(body, sizeof body, "["
            "{\"name\": \"orders\", \"type\": \"quorum\", \"messages_ready\": 500,"
            " \"messages_unacknowledged\": 20, \"head_message_timestamp\": %ld,"
            " \"arguments\": {\"x-message-ttl\": 60000, \"x-queue-type\": \"quorum\"},"
            " \"message_stats\": {\"publish\": %d, \"ack\": %d}},"
            "{\"name\": \"billing\", \"type\": \"classic\", \"messages_ready\": 0,"
            " \"messages_unacknowledged\": 0, \"arguments\": {},"
            " \"message_stats\": {\"publish\": %d}}]", now - 120, 10 * k, 5 * k, 3 * k);
    } else {
        snprintf(buf, n, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return;
    }
    snprintf(buf, n, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
             "Connection: close\r\n\r\n%s", strlen(body), body);
}

static void test_capture_fake_api(void **state)
{
    (void)state;
    fake_http f;
    fake_start(&f, NULL);
    f.answer = fake_api;
    /* the planned change, appended; the run starts it 3 minutes from now */
    spit(tmp_path("conv.yaml"), "rabbitmq_conversion:\n  at: 1m\n  to: { edition: platinum, "
         "deployment: dedicated }\n");
    spit(tmp_path("day.csv"), "time,rate\n00:00,26\n08:00,52\n"); /* half the window's total at night */
    time_t soon = time(NULL) + 180;
    struct tm lt;
    localtime_r(&soon, &lt);
    char at[8], cmd[1024], mqsim_abs[512];
    if (mqsim_bin()[0] == '/') snprintf(mqsim_abs, sizeof mqsim_abs, "%s", mqsim_bin());
    else assert_non_null(realpath(mqsim_bin(), mqsim_abs));
    snprintf(at, sizeof at, "%02d:%02d", lt.tm_hour, lt.tm_min);
    int w = snprintf(cmd, sizeof cmd, "cd %s && %s capture --broker http://localhost:%d --window 2s "
             "--sample-interval 0.25s --duration 10m --change conv.yaml --rate-profile day.csv 2> fk.err | tee fk.yaml | "
             "%s run - --at %s --out fk-run > fk-run.log 2>&1", scratch, mqsim_abs, f.port,
             mqsim_abs, at);
    assert_true(w > 0 && (size_t)w < sizeof cmd);
    int rc = sh(cmd);
    fake_stop(&f);
    static char y[1 << 17];
    snprintf(y, sizeof y, "%s", slurp_text(tmp_path("fk.yaml")));
    if (rc != 0) {
        print_message("capture: %s\n", slurp_text(tmp_path("fk.err")));
        print_message("scenario:\n%s\n", y);
        fail_msg("capture | run - --at %s failed (%d): %s", at, rc, slurp_text(tmp_path("fk-run.log")));
    }
    assert_true(exists(path_in(tmp_path("fk-run"), "summary.csv")));
    mq_scenario s;
    sim_err e = {{0}};
    if (scn_load_file(tmp_path("fk.yaml"), &s, &e)) fail_msg("%s", e.msg);
    assert_non_null(mq_rabbitmq_of(&s));
    assert_int_equal(s.nqueues, 2);
    assert_int_equal(s.queues[0].type, MQ_QTYPE_QUORUM);
    assert_true(s.warnings.n >= 1 && strstr(s.warnings.v[0], "quorum"));
    assert_non_null(strstr(y, "# message TTL 60 s"));
    assert_non_null(strstr(y, "\"x-queue-type\":\"quorum\""));
    const mq_producer_group *o = find_prod(&s, "orders-api"), *b = find_prod(&s, "billing");
    assert_string_equal(s.queues[o->queue].name, "orders");
    assert_string_equal(s.queues[b->queue].name, "billing");
    /* 10 and 3 per sample, a sample every 0.25 s: 40 and 12 msg/s; the day
    ** profile gives each group its share of the CSV's total */
    assert_int_equal(o->rate.nsteps, 2);
    assert_near(o->rate.period_s, 86400, 0);
    assert_near(o->rate.steps[1].at_s, 8 * 3600, 0);
    assert_near(o->rate.steps[1].rate, 40, 4);
    assert_near(o->rate.steps[0].rate, 20, 2);
    assert_near(b->rate.steps[1].rate, 12, 1.2);
    assert_near(o->rate.steps[1].rate + b->rate.steps[1].rate, 52, 1e-3);
    assert_true(o->confirms);
    assert_false(b->confirms);
    assert_string_equal(o->profile, "rabbitmq-java");
    assert_false(o->reconnect.automatic);             /* Java 3.6: off by default */
    assert_near(o->reconnect.detect_silent_s, 60, 0); /* 2 x heartbeat 30 s */
    assert_string_equal(b->profile, "go-amqp091");
    assert_non_null(strstr(y, "heartbeats off"));
    const mq_consumer_group *c = find_cons(&s, "Pika Python Client Library@10.0.0.6");
    assert_string_equal(c->profile, "pika");
    assert_int_equal(c->prefetch, 20);                /* the channel's global qos */
    assert_near(sim_dist_mean(&c->processing), 0.050, 0.005); /* saturated: 1 / 20 per s */
    assert_near(c->reconnect.detect_silent_s, 120, 0);
    assert_int_equal(s.nbacklogs, 1);
    assert_int_equal(s.backlogs[0].messages, 520);
    assert_near(sim_dist_max(&s.backlogs[0].age), 120, 5);
    mq_scenario_free(&s);
    /* a change that does not fit: refused, nothing written */
    spit(tmp_path("bad-change.yaml"), "rabbitmq_conversion:\n  at: 1m\n  to: { edition: gold }\n");
    fake_start(&f, NULL);
    f.answer = fake_api;
    char args[512];
    snprintf(args, sizeof args, "--broker http://127.0.0.1:%d --window 1s --sample-interval 0.25s "
             "--change %s", f.port, tmp_path("bad-change.yaml"));
    const char *log;
    rc = capture_cmd(args, &log);
    fake_stop(&f);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(log, "<capture + "));
}

/* ---- a real broker, real clients ---------------------------------------------- */

/* The traffic the load tester's clients drive (see the header comment). */
static const char *const traffic_yaml =
    "name: capture-traffic\n"
    "run: { duration: 95s, seed: 5 }\n"
    "instance: { kind: rabbitmq }\n"
    "clusters: [ { name: c, brokers: [ { name: b1 } ] } ]\n"
    "queues: [ { name: cap-a }, { name: cap-b }, { name: cap-c }, { name: cap-d } ]\n"
    "producers:\n"
    "  - { name: fast, queue: cap-a, rate: 40, arrivals: deterministic, confirms: true }\n"
    "  - { name: slow, queue: cap-b, rate: 30, confirms: false }\n"
    "consumers:\n"
    "  - { name: heavy, queue: cap-a, count: 2, prefetch: 10, processing: { dist: exponential, mean: 60ms } }\n"
    "  - { name: light, queue: cap-b, count: 8, prefetch: 1, processing: { dist: exponential, mean: 200ms } }\n"
    "  - { name: drain, queue: cap-c, count: 1, prefetch: 50, processing: { dist: exponential, mean: 40ms } }\n"
    "backlog:\n"
    "  - { queue: cap-c, messages: 6000 }\n"
    "  - { queue: cap-d, messages: 2000 }\n";

static const struct { const char *name, *queue; double rate; bool confirms; } want_prod[] = {
    {"mqsim/fast", "cap-a", 40, true}, {"mqsim/slow", "cap-b", 30, false},
};
static const struct { const char *name, *queue; int count, prefetch; double t; } want_cons[] = {
    {"mqsim/heavy", "cap-a", 2, 10, 0.060}, {"mqsim/light", "cap-b", 8, 1, 0.200},
    {"mqsim/drain", "cap-c", 1, 50, 0.040},
};
#define STACKED_D 2000

/* The management API lists n consumers (polled up to timeout_s). */
static bool wait_consumers(int mport, size_t n, double timeout_s)
{
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", mport);
    sim_err e = {{0}};
    lt_http *h = lt_http_open(base, "guest", "guest", 5, &e);
    assert_non_null(h);
    double end = mono_s() + timeout_s;
    bool ok = false;
    while (!ok && mono_s() < end) {
        json_t *j = lt_http_get(h, "/api/consumers", &e);
        ok = j && json_array_size(j) >= n;
        json_decref(j);
        if (!ok) usleep(500000);
    }
    lt_http_close(h);
    return ok;
}

static const mq_producer_group *find_prod(const mq_scenario *s, const char *name)
{
    for (size_t i = 0; i < s->nproducers; i++)
        if (!strcmp(s->producers[i].name, name)) return &s->producers[i];
    fail_msg("producer group %s not captured", name);
    return NULL;
}

static const mq_consumer_group *find_cons(const mq_scenario *s, const char *name)
{
    for (size_t i = 0; i < s->nconsumers; i++)
        if (!strcmp(s->consumers[i].name, name)) return &s->consumers[i];
    fail_msg("consumer group %s not captured", name);
    return NULL;
}

static double metric(const sim_metrics *m, const char *name)
{
    const sim_metric *x = sim_metrics_find(m, name);
    if (!x) fail_msg("metric %s missing", name);
    return x->value;
}

/* Replace every `from` in text by `to` (into a static buffer). */
static const char *replace_all(const char *text, const char *from, const char *to)
{
    static char out[1 << 17];
    size_t n = 0, lf = strlen(from), lt = strlen(to);
    for (const char *p = text; *p;) {
        if (!strncmp(p, from, lf)) {
            assert_true(n + lt < sizeof out);
            memcpy(out + n, to, lt);
            n += lt;
            p += lf;
        } else {
            assert_true(n + 1 < sizeof out);
            out[n++] = *p++;
        }
    }
    out[n] = '\0';
    return out;
}

static void test_capture_real(void **state)
{
    (void)state;
    lt_broker b;
    sim_err e = {{0}};
    const lt_node_opts o = {.plugins = "rabbitmq_management", .stats_s = 1};
    if (lt_broker_launch(&b, &o, &e) || lt_broker_await(&b, 120, &e)) fail_msg("%s", e.msg);
    assert_true(b.mgmt_port > 0);
    char cmd[2048];
    spit(tmp_path("traffic.yaml"), traffic_yaml);
    pid_t load = fork();
    assert_true(load >= 0);
    if (load == 0) {
        int fd = open(tmp_path("traffic.log"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) { dup2(fd, 1); dup2(fd, 2); }
        char url[64];
        snprintf(url, sizeof url, "amqp://127.0.0.1:%d", b.amqp_port);
        execl(mqsim_bin(), mqsim_bin(), "load", tmp_path("traffic.yaml"), "--broker", url, "--out",
              tmp_path("traffic-out"), (char *)NULL);
        _exit(127);
    }
    if (!wait_consumers(b.mgmt_port, 11, 60)) {
        kill(load, SIGKILL);
        waitpid(load, NULL, 0);
        lt_broker_stop(&b);
        fail_msg("the traffic's consumers did not show up: %s", slurp_text(tmp_path("traffic.log")));
    }
    sleep(5); /* the saturated groups fill their prefetch windows */
    snprintf(cmd, sizeof cmd, "%s capture --broker http://127.0.0.1:%d --window 60s "
             "--duration 40s --name captured-test --out %s 2> %s", mqsim_bin(), b.mgmt_port,
             tmp_path("cap.yaml"), tmp_path("cap.log"));
    int rc = sh(cmd);
    int st = 0;
    waitpid(load, &st, 0);
    lt_broker_stop(&b);
    if (rc != 0) fail_msg("capture exited %d: %s", rc, slurp_text(tmp_path("cap.log")));
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_msg("the traffic run failed: %s", slurp_text(tmp_path("traffic.log")));

    /* the file passes check as it stands */
    snprintf(cmd, sizeof cmd, "%s check %s > %s 2>&1", mqsim_bin(), tmp_path("cap.yaml"),
             tmp_path("check.log"));
    if (sh(cmd) != 0) fail_msg("check: %s", slurp_text(tmp_path("check.log")));
    mq_scenario s;
    if (scn_load_file(tmp_path("cap.yaml"), &s, &e)) fail_msg("%s", e.msg);
    const char *text = slurp_text(tmp_path("cap.yaml"));
    assert_non_null(strstr(text, "# measured ("));
    assert_non_null(strstr(text, "# estimated ("));
    assert_non_null(strstr(text, "# default ("));
    assert_int_equal(s.nproducers, 2);
    assert_int_equal(s.nconsumers, 3);
    for (size_t i = 0; i < 2; i++) {
        const mq_producer_group *p = find_prod(&s, want_prod[i].name);
        double r = p->rate.steps[0].rate;
        print_message("# producers %-12s rate %.2f msg/s (driven %.0f), queue %s, confirms %d\n",
                      p->name, r, want_prod[i].rate, s.queues[p->queue].name, p->confirms);
        assert_string_equal(s.queues[p->queue].name, want_prod[i].queue);
        assert_near(r, want_prod[i].rate, 0.10 * want_prod[i].rate);
        assert_int_equal(p->confirms, want_prod[i].confirms);
    }
    for (size_t i = 0; i < 3; i++) {
        const mq_consumer_group *g = find_cons(&s, want_cons[i].name);
        double t = sim_dist_mean(&g->processing);
        print_message("# consumers %-12s processing %.2f ms (driven %.0f), prefetch %d, count %d, "
                      "ack %s\n", g->name, t * 1e3, want_cons[i].t * 1e3, g->prefetch, g->count,
                      g->ack == MQ_ACK_MANUAL ? "manual" : "auto");
        assert_string_equal(s.queues[g->queue].name, want_cons[i].queue);
        assert_int_equal(g->prefetch, want_cons[i].prefetch);
        assert_int_equal(g->count, want_cons[i].count);
        assert_int_equal(g->ack, MQ_ACK_MANUAL);
        assert_near(t, want_cons[i].t, 0.20 * want_cons[i].t);
    }
    bool found = false;
    for (size_t i = 0; i < s.nbacklogs; i++)
        if (!strcmp(s.queues[s.backlogs[i].queue].name, "cap-d")) {
            print_message("# backlog cap-d %llu messages (pre-filled %d)\n",
                          (unsigned long long)s.backlogs[i].messages, STACKED_D);
            assert_near((double)s.backlogs[i].messages, STACKED_D, 0.01 * STACKED_D);
            found = true;
        }
    assert_true(found);
    mq_scenario_free(&s);

    /* the captured scenario with a server-side close of the prefetch-1
    ** group at 15 s, simulated and run for real. The broker sees the
    ** rabbitmq-c library the load tester drives, and capture gives it the
    ** fallback profile (pika: no recovery); the drivers emulated the Java
    ** client's automatic recovery, which the broker cannot see, so the
    ** comparison runs with the profile the drivers used. */
    const char *cmp = replace_all(text, "profile: pika", "profile: rabbitmq-java");
    char yaml[1 << 17];
    int w = snprintf(yaml, sizeof yaml, "%sevents:\n  - { at: 15s, type: disconnect, groups: "
             "[\"mqsim/light\"], duration: until_reconnect, detection: reset, label: \"server "
             "close\" }\n", cmp);
    assert_true(w > 0 && (size_t)w < sizeof yaml);
    spit(tmp_path("cap-close.yaml"), yaml);
    static const char *const mode[2] = {"run", "load"}, *const tail[2] = {"", " --start-broker"};
    sim_metrics m[2] = {{0}};
    for (int k = 0; k < 2; k++) { /* one after the other: a busy host inflates delays */
        char out[256], log[256], path[300];
        snprintf(out, sizeof out, "%s/close-%s", scratch, mode[k]);
        snprintf(log, sizeof log, "%s/close-%s.log", scratch, mode[k]);
        snprintf(cmd, sizeof cmd, "%s %s %s/cap-close.yaml%s --out %s > %s 2>&1", mqsim_bin(), mode[k],
                 scratch, tail[k], out, log);
        if (sh(cmd) != 0) fail_msg("mqsim %s of the captured scenario failed: %s", mode[k], slurp_text(log));
        snprintf(path, sizeof path, "%s/summary.csv", out);
        if (out_read_summary_csv(path, &m[k], &e)) fail_msg("%s", e.msg);
    }
    sim_metrics sm = m[0], rl = m[1];
    double ds = metric(&sm, "duplicates"), dr = metric(&rl, "duplicates");
    double dg = metric(&rl, "duplicates_given_close_state");
    double ws = metric(&sm, "disruption_max_s"), wr = metric(&rl, "disruption_max_s");
    double ps = metric(&sm, "delay_p99_s"), pr = metric(&rl, "delay_p99_s");
    print_message("# captured + close: duplicates real %g, model given the close state %g "
                  "(held %g), sim %g | window sim %.3f real %.3f s | "
                  "p99 sim %.3f real %.3f s | lost sim %g real %g | consumed sim %g real %g\n",
                  dr, dg, metric(&rl, "close_held_unacked"), ds, ws, wr, ps, pr,
                  metric(&sm, "lost"), metric(&rl, "lost"),
                  metric(&sm, "messages_consumed"), metric(&rl, "messages_consumed"));
    /* tolerances: docs/VALIDATION.md, "Simulation vs real broker" (8 closed
    ** consumers); the duplicates against the model's rule applied to what
    ** the closed consumers held (tests/test_load.c, compare_run) */
    assert_int_equal((int)metric(&rl, "consumer_closes"), want_cons[1].count);
    assert_near(dr, dg, 3.0 * want_cons[1].count);
    assert_near(wr, ws, 0.5);
    assert_near(pr, ps, 0.25 * ps + 0.005);
    assert_near(metric(&rl, "lost"), metric(&sm, "lost"), 0);
    sim_metrics_free(&sm);
    sim_metrics_free(&rl);
}

static int scratch_setup(void **state)
{
    (void)state;
    snprintf(scratch, sizeof scratch, "/tmp/mqsim-tc-XXXXXX");
    return mkdtemp(scratch) ? 0 : -1;
}

static int scratch_teardown(void **state)
{
    (void)state;
    char cmd[128];
    if (getenv("KEEP_SCRATCH")) return 0; /* to read a failed test's files */
    snprintf(cmd, sizeof cmd, "rm -rf %s", scratch);
    return sh(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    lt_broker_install_guards();
    if (getenv("TEST_FILTER")) cmocka_set_test_filter(getenv("TEST_FILTER"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_app_names),
        cmocka_unit_test(test_profiles),
        cmocka_unit_test(test_processing_estimate),
        cmocka_unit_test(test_rate_csv),
        cmocka_unit_test(test_run_stdin),
        cmocka_unit_test(test_refuses_remote_and_argv_password),
        cmocka_unit_test(test_broker_down),
        cmocka_unit_test(test_401_and_garbage),
        cmocka_unit_test(test_capture_fake_api),
        cmocka_unit_test(test_capture_real),
    };
    return cmocka_run_group_tests_name("capture", tests, scratch_setup, scratch_teardown);
}
