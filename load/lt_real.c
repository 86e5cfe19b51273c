/*
** lt_real.c - real-library clients for the load tester (see lt_real.h).
**
** One thread per client, as the emulation: it spawns the driver (fork +
** exec; the child dies with mqsim through PR_SET_PDEATHSIG), feeds a
** producer's ids on stdin at their intended times, and turns each line the
** driver prints into the run's bookkeeping:
**   UP <port>     the client's connection is up (the port names it for a
**                 server-side close of its group)
**   DOWN <why>    the library (or the application around it) noticed the
**                 loss: the cut-off window opens
**   OK <id>       sent (confirmed, with confirms on)
**   FAIL <id>     the send was given up: lost by the producer
**   REPUB <id>    the send is made again (after a failure or a confirm
**                 that timed out)
**   HELD <n>      sends the producer holds for later
**   DLV <id> <r>  processing of a delivery completed (r: redelivered flag)
**   ERR <text>    the driver cannot run: a warning of the run
** Times are taken here when a line is read (loopback pipes: well under a
** millisecond unless the machine is saturated).
**
** An app_restart event kills the driver (SIGKILL: the application dies)
** and starts a new one at the restart time. Everything is bounded: reads
** wait at most LT_SLICE_S, stdin is non-blocking with a bounded backlog,
** and at the end a driver is killed once it printed nothing for
** DRIVER_EXIT_S (its last HELD line read), at most DRIVER_EXIT_MAX_S.
*/
#define _GNU_SOURCE /* pipe2, F_SETPIPE_SZ */
#include "load/lt_real.h"
#include "load/lt_client_int.h"
#include "load/lt_endpoint.h"
#include "models/change/mq_change.h"
#include "models/mq_model.h"
#include "models/mq_profile.h"
#include "sim/sim_rng.h"
#include "sim/sim_mem.h"

#include <gsl/gsl_randist.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define JAVA_JAR "/usr/share/java/amqp-client.jar"
#define SLF4J_JARS "/usr/share/java/slf4j-api.jar:/usr/share/java/slf4j-nop.jar"
#define PYTHON "/usr/bin/python3"
#define DRIVER_EXIT_S 10.0      /* a driver's last words: silence allowed at the end ... */
#define DRIVER_EXIT_MAX_S 120.0 /* ... and the longest it is waited for while it talks */
#define OUTBUF_CAP (4u << 20) /* ids not yet taken by a stalled driver */

static bool is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* The folder holding load/clients/: the binary's folder or its parent. */
static int find_root(char *root, size_t n)
{
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) return -1;
    exe[len] = '\0';
    for (int up = 0; up < 3; up++) {
        char *sl = strrchr(exe, '/');
        if (!sl) return -1;
        *sl = '\0';
        char probe[PATH_MAX + 64];
        snprintf(probe, sizeof probe, "%s/load/clients/python/mqsim_client_pika.py", exe);
        if (is_file(probe)) {
            snprintf(root, n, "%s", exe);
            return 0;
        }
    }
    return -1;
}

static int pika_importable(void)
{
    pid_t p = fork();
    if (p == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) {
            dup2(devnull, 1);
            dup2(devnull, 2);
        }
        execl(PYTHON, PYTHON, "-c", "import pika", (char *)NULL);
        _exit(127);
    }
    if (p < 0) return -1;
    int st;
    while (waitpid(p, &st, 0) < 0 && errno == EINTR) {}
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static const char *group_lib(const char *profile)
{
    return mq_profile_library(mq_profile_find(profile ? profile : "rabbitmq-java"));
}

/* Whether library lib can run here; why not in err. */
static int lib_ready(const char *root, const char *lib, const char *who, const char *profile,
                     sim_err *err)
{
    char p[PATH_MAX + 64];
    if (!lib)
        return sim_err_set(err, "%s: profile '%s' names no real client library (--clients real "
                           "drives rabbitmq-java, pika and go-amqp091)", who, profile);
    if (!strcmp(lib, "java")) {
        snprintf(p, sizeof p, "%s/build/java/MqsimClientJava.class", root);
        if (!is_file(JAVA_JAR))
            return sim_err_set(err, "%s (profile %s): the RabbitMQ Java client is missing (%s); "
                               "install librabbitmq-client-java", who, profile, JAVA_JAR);
        if (access("/usr/bin/java", X_OK))
            return sim_err_set(err, "%s (profile %s): no Java runtime (/usr/bin/java); install "
                               "default-jdk-headless", who, profile);
        if (!is_file(p))
            return sim_err_set(err, "%s (profile %s): the Java driver is not built (%s); run make",
                               who, profile, p);
    } else if (!strcmp(lib, "pika")) {
        if (access(PYTHON, X_OK) || pika_importable())
            return sim_err_set(err, "%s (profile %s): %s cannot import pika; install python3-pika",
                               who, profile, PYTHON);
    } else {
        snprintf(p, sizeof p, "%s/build/mqsim-client-go", root);
        if (access(p, X_OK))
            return sim_err_set(err, "%s (profile %s): the Go driver is not built (%s); install "
                               "golang-github-rabbitmq-amqp091-go-dev and run make", who, profile, p);
    }
    return 0;
}

int lt_real_check(const mq_scenario *s, char *root, size_t n, sim_err *err)
{
    if (find_root(root, n))
        return sim_err_set(err, "--clients real: the drivers (load/clients/) are not next to the "
                           "mqsim binary");
    bool seen[3] = {false, false, false};
    for (size_t i = 0; i < s->nproducers + s->nconsumers; i++) {
        bool cons = i >= s->nproducers;
        const char *name = cons ? s->consumers[i - s->nproducers].name : s->producers[i].name;
        const char *prof = cons ? s->consumers[i - s->nproducers].profile : s->producers[i].profile;
        const char *lib = group_lib(prof);
        if (!prof) prof = "rabbitmq-java";
        if (cons && s->consumers[i - s->nproducers].processing.kind != SIM_DIST_CONSTANT &&
            s->consumers[i - s->nproducers].processing.kind != SIM_DIST_EXPONENTIAL)
            return sim_err_set(err, "consumers '%s': the real drivers process for a constant or "
                               "exponential time", name);
        int k = !lib ? -1 : !strcmp(lib, "java") ? 0 : !strcmp(lib, "pika") ? 1 : 2;
        if (k >= 0 && seen[k]) continue;
        char who[128];
        snprintf(who, sizeof who, "%s '%s'", cons ? "consumers" : "producers", name);
        if (lib_ready(root, lib, who, prof, err)) return -1;
        seen[k] = true;
    }
    return 0;
}

/* The relay is needed when connections must move (a change replayed on
** two nodes: x->nnodes > 1 after its setup) or be refused for a while (a
** disconnect event with a duration); other runs connect straight to the
** broker. */
static bool needs_endpoint(const lt_ctx *x)
{
    const mq_scenario *s = x->s;
    if (x->nnodes > 1) return true;
    for (size_t i = 0; i < s->nevents; i++)
        if (s->events[i].type == MQ_EVENT_DISCONNECT && s->events[i].duration_s > 0 &&
            !s->events[i].silent)
            return true;
    return false;
}

int lt_real_prepare(lt_ctx *x, sim_err *err)
{
    const mq_scenario *s = x->s;
    if (needs_endpoint(x) &&
        lt_endpoint_start(x, s->nproducers + s->nconsumers, &x->endpoint, err))
        return -1;
    return 0;
}

void lt_real_release(lt_ctx *x)
{
    lt_endpoint_free(x->endpoint);
    x->endpoint = NULL;
}

/* ---- one driver process ---------------------------------------------------- */

typedef struct drv {
    lt_client *c;
    lt_ctx *x;
    pid_t pid;
    int in, out;              /* its stdin (ours to write), its stdout */
    char line[512];
    size_t nline;
    char *obuf;               /* ids waiting for a slow reader */
    size_t on, ocap;
    bool ever_up, eof;
    bool closing;             /* the run is over for it: its own close is no loss */
    lt_recon r;
    /* consumer: its log in order, for the close state (close_state) */
    struct dlv { uint32_t id; bool again; } *dlv; /* completed deliveries */
    size_t ndlv, dlvcap;
    struct mark { double t; size_t at; bool up; } marks[4 * LT_MAX_SRV_CLOSES]; /* UP/DOWN */
    size_t nmarks;
} drv;

/* A consumer's UP or DOWN line: when, and after how many completions. */
static void mark(drv *d, double now, bool up)
{
    if (!d->c->consumer || d->nmarks >= sizeof d->marks / sizeof d->marks[0]) return;
    d->marks[d->nmarks++] = (struct mark){.t = now, .at = d->ndlv, .up = up};
}

static void note_dlv(drv *d, uint32_t id, bool again)
{
    if (sim_grow((void **)&d->dlv, &d->dlvcap, d->ndlv + 1, sizeof *d->dlv)) return;
    d->dlv[d->ndlv++] = (struct dlv){.id = id, .again = again};
}

/* The deliveries each server-side close that landed on this consumer's
** connection ended (from what the broker saw: srv_close_*): the ids its
** library completed on that connection, from its UP to the library's DOWN
** after the close, in log order, kept in c->closed_ids for
** lt_real_close_state. However late the broker or the driver ran, those
** are the completions that happened on it. */
static void keep_closed(drv *d)
{
    lt_client *c = d->c;
    pthread_mutex_lock(&d->x->mu);
    int n = c->srv_closes;
    double at[LT_MAX_SRV_CLOSES];
    for (int k = 0; k < n; k++) at[k] = c->srv_close_at[k];
    pthread_mutex_unlock(&d->x->mu);
    size_t kept = 0, cap = 0;
    for (int k = 0; k < n; k++) {
        /* the first DOWN read after the close (clock conversion aside: µs),
        ** and the UP of the connection it ended */
        size_t to = d->ndlv, from = 0;
        size_t m = 0;
        while (m < d->nmarks && (d->marks[m].up || d->marks[m].t < at[k] - 0.01)) m++;
        if (m < d->nmarks) to = d->marks[m].at;
        for (size_t j = 0; j < d->nmarks && d->marks[j].t <= (m < d->nmarks ? d->marks[m].t : INFINITY);
             j++)
            if (d->marks[j].up && d->marks[j].at <= to) from = d->marks[j].at;
        if (to > from) {
            SIM_NEED(!sim_grow((void **)&c->closed_ids, &cap, kept + (to - from), sizeof *c->closed_ids),
                     "out of memory");
            for (size_t i = from; i < to; i++) c->closed_ids[kept++] = d->dlv[i].id;
        }
        c->closed_end[k] = kept;
    }
}

void lt_real_close_state(lt_client *c, const lt_track *t)
{
    const mq_consumer_group *g = &c->ctx->s->consumers[c->group];
    for (int k = 0; k < c->srv_closes; k++) {
        uint64_t busy = 0;
        for (size_t i = k ? c->closed_end[k - 1] : 0; i < c->closed_end[k]; i++) {
            uint32_t id = c->closed_ids[i];
            busy += id < t->n && t->redelivered_at[id] > c->srv_close_at[k];
        }
        uint64_t held = c->srv_close_held[k], buffered = held > busy ? held - busy : 0;
        c->closes++;
        c->close_busy += busy;
        c->close_buffered += buffered;
        c->close_dup_model += mq_consumer_close_duplicates(g, busy, buffered);
    }
    free(c->closed_ids);
    c->closed_ids = NULL;
}

typedef struct argv_b {
    char *v[40];
    char store[40][PATH_MAX + 64];
    int n;
} argv_b;

static void arg(argv_b *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void arg(argv_b *a, const char *fmt, ...)
{
    if (a->n >= 39) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->store[a->n], sizeof a->store[a->n], fmt, ap);
    va_end(ap);
    a->v[a->n] = a->store[a->n];
    a->v[++a->n] = NULL;
}

/* The recovery the profile assumes: the library's own (Java), the
** application's fixed reconnect loop, or none. */
static void recovery_args(argv_b *a, const char *lib, const mq_reconnect *r)
{
    if (r->automatic) {
        arg(a, "recovery=%s", !strcmp(lib, "java") ? "auto" : "loop");
        arg(a, "interval=%g", r->interval_s);
    } else if (r->app_restart_s >= 0) {
        arg(a, "recovery=loop");
        arg(a, "interval=%g", r->app_restart_s);
    } else {
        arg(a, "recovery=none");
        arg(a, "interval=0");
    }
    double hb = mq_profile_heartbeat_s(lib, r->detect_silent_s);
    arg(a, "heartbeat=%d", hb < 1 ? 1 : (int)lround(hb));
}

static void build_argv(drv *d, argv_b *a)
{
    const lt_client *c = d->c;
    const mq_scenario *s = d->x->s;
    const char *root = d->x->real_root;
    const char *prof = c->consumer ? s->consumers[c->group].profile : s->producers[c->group].profile;
    const char *lib = group_lib(prof);
    if (!strcmp(lib, "java")) {
        arg(a, "/usr/bin/java");
        arg(a, "-Xss512k");
        arg(a, "-XX:+UseSerialGC");
        arg(a, "-cp");
        arg(a, "%s/build/java:%s:%s", root, JAVA_JAR, SLF4J_JARS);
        arg(a, "MqsimClientJava");
    } else if (!strcmp(lib, "pika")) {
        arg(a, PYTHON);
        arg(a, "%s/load/clients/python/mqsim_client_pika.py", root);
    } else {
        arg(a, "%s/build/mqsim-client-go", root);
    }
    const lt_url *u = &d->x->nodes[LT_SRC];
    const lt_endpoint *ep = d->x->endpoint;
    arg(a, "url=amqp://%s:%s@%s:%d/%s", u->user, u->pass, ep ? "127.0.0.1" : u->host,
        ep ? lt_endpoint_port(ep, c->slot) : u->port, strcmp(u->vhost, "/") ? u->vhost : "%2f");
    char name[160];
    lt_conn_name(c, NULL, name, sizeof name);
    arg(a, "name=%s", name);
    arg(a, "seed=%llu", (unsigned long long)(c->seed % 1000000007u + (uint64_t)c->index));
    if (c->consumer) {
        const mq_consumer_group *g = &s->consumers[c->group];
        arg(a, "role=consumer");
        arg(a, "queue=%s", s->queues[g->queue].name);
        arg(a, "prefetch=%d", g->prefetch > 65535 ? 65535 : g->prefetch);
        arg(a, "ack=%s", g->ack == MQ_ACK_AUTO ? "auto" : "manual");
        arg(a, "proc_kind=%s", g->processing.kind == SIM_DIST_EXPONENTIAL ? "exp" : "const");
        arg(a, "proc_mean=%.9g", sim_dist_mean(&g->processing));
        recovery_args(a, lib, &g->reconnect);
    } else {
        const mq_producer_group *g = &s->producers[c->group];
        arg(a, "role=producer");
        arg(a, "queue=%s", s->queues[g->queue].name);
        arg(a, "exchange=%s", d->x->exchange ? d->x->exchange : "");
        arg(a, "confirms=%d", g->confirms ? 1 : 0);
        arg(a, "send_timeout=%g", g->send_timeout_s);
        arg(a, "retries=%d", g->retries);
        arg(a, "backoff=%g", g->retry_backoff_s);
        arg(a, "ondown=%s", g->ondown == MQ_ONDOWN_BUFFER ? "buffer"
                            : g->ondown == MQ_ONDOWN_RETRY ? "retry" : "drop");
        recovery_args(a, lib, &g->reconnect);
    }
}

static int spawn(drv *d)
{
    argv_b a = {.n = 0};
    build_argv(d, &a);
    int pin[2], pout[2];
    if (pipe2(pin, O_CLOEXEC)) return -1;
    if (pipe2(pout, O_CLOEXEC)) {
        close(pin[0]);
        close(pin[1]);
        return -1;
    }
    pid_t p = fork();
    if (p == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(pin[0], 0);
        dup2(pout[1], 1);
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) dup2(devnull, 2); /* library chatter (slf4j, pika's logger) */
        execv(a.v[0], a.v);
        _exit(127);
    }
    close(pin[0]);
    close(pout[1]);
    if (p < 0) {
        close(pin[1]);
        close(pout[0]);
        return -1;
    }
    fcntl(pin[1], F_SETFL, O_NONBLOCK);
    fcntl(pin[1], F_SETPIPE_SZ, 1 << 20);
    d->pid = p;
    d->in = pin[1];
    d->out = pout[0];
    d->nline = 0;
    d->on = 0;
    d->eof = false;
    d->closing = false;
    return 0;
}

/* Close its stdin (the driver's end of the run), let it print its last
** lines for up to wait_s, then kill and reap it. */
static void handle_line(drv *d, char *l);

/* Read what the driver printed and handle each complete line (an overlong
** one is cut). -1 at the end of its output. */
static int read_lines(drv *d)
{
    char buf[8192];
    ssize_t n = read(d->out, buf, sizeof buf);
    if (n <= 0) {
        d->eof = true;
        return -1;
    }
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] == '\n' || d->nline == sizeof d->line - 1) {
            d->line[d->nline] = '\0';
            handle_line(d, d->line);
            d->nline = 0;
        } else {
            d->line[d->nline++] = buf[i];
        }
    }
    return 0;
}

static void finish(drv *d, double wait_s, double max_s)
{
    if (d->pid <= 0) return;
    if (d->in >= 0) close(d->in);
    d->in = -1;
    d->closing = true;
    /* a driver still printing is still working through what it holds (a
    ** Java producer confirms its sends one by one, slowly on a busy
    ** machine): it is given wait_s after its last line, up to max_s, so
    ** that a producer's final HELD is read rather than its held sends
    ** counted as lost */
    double now = lt_now(d->x), end = now + wait_s, limit = now + fmax(wait_s, max_s);
    while (!d->eof && (now = lt_now(d->x)) < end) {
        struct pollfd p = {.fd = d->out, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0) continue;
        if (read_lines(d)) break;
        end = fmin(limit, lt_now(d->x) + wait_s);
    }
    kill(d->pid, SIGKILL);
    while (waitpid(d->pid, NULL, 0) < 0 && errno == EINTR) {}
    close(d->out);
    d->pid = 0;
    d->out = -1;
}

static void went_down(drv *d, double now)
{
    if (!d->ever_up) {
        d->ever_up = true; /* the window runs from 0 */
        lt_start_cut_off(d->c, &d->r);
        return;
    }
    pthread_mutex_lock(&d->x->mu);
    bool up = d->c->up || d->c->silenced;
    pthread_mutex_unlock(&d->x->mu);
    if (up) lt_went_down(d->c, &d->r, now);
}

static void handle_line(drv *d, char *l)
{
    lt_ctx *x = d->x;
    lt_track *t = x->track;
    double now = lt_now(x);
    char *rest = strchr(l, ' ');
    if (rest) *rest++ = '\0';
    else rest = l + strlen(l);
    unsigned long v = strtoul(rest, NULL, 10);
    if (!strcmp(l, "UP")) {
        /* through the endpoint relay: the node and the port the broker sees */
        int node = LT_SRC, port = (int)v;
        if (x->endpoint && lt_endpoint_lookup(x->endpoint, (int)v, &node, &port))
            lt_warn(x, "client %s/%d: its connection is not the endpoint's", d->c->consumer ?
                    "consumer" : "producer", d->c->index);
        pthread_mutex_lock(&x->mu);
        bool up = d->c->up || d->c->silenced;
        pthread_mutex_unlock(&x->mu);
        mark(d, now, true);
        if (!up) lt_mark_up(d->c, port, node, now, !d->ever_up);
        else { /* a new connection without a DOWN first: just its port */
            pthread_mutex_lock(&x->mu);
            d->c->local_port = port;
            d->c->home = node;
            pthread_mutex_unlock(&x->mu);
        }
        d->ever_up = true;
    } else if (!strcmp(l, "DOWN")) {
        mark(d, now, false);
        if (!d->closing) went_down(d, now);
    } else if (!strcmp(l, "OK")) {
        lt_track_confirmed(t, (uint32_t)v);
    } else if (!strcmp(l, "FAIL") || !strcmp(l, "REPUB")) {
        pthread_mutex_lock(&t->mu);
        if (l[0] == 'F') t->lost_send_failed++;
        else t->republished++;
        pthread_mutex_unlock(&t->mu);
    } else if (!strcmp(l, "HELD")) {
        pthread_mutex_lock(&x->mu);
        d->c->held = v;
        pthread_mutex_unlock(&x->mu);
    } else if (!strcmp(l, "DLV")) {
        char *r = strchr(rest, ' ');
        bool again = r && atoi(r + 1) == 1;
        if (lt_track_consumed(t, (uint32_t)v, now, again)) d->c->duplicates++;
        if (d->c->consumer) note_dlv(d, (uint32_t)v, again);
    } else if (!strcmp(l, "ERR")) {
        lt_warn(x, "client %s/%d: %s", d->c->consumer ? "consumer" : "producer", d->c->index, rest);
    }
}

/* Read what the driver printed, waiting at most until `until`. */
static void pump(drv *d, double until)
{
    if (d->out < 0 || d->eof) {
        lt_sleep(fmin(LT_SLICE_S, until - lt_now(d->x)));
        return;
    }
    struct pollfd p[2] = {{.fd = d->out, .events = POLLIN}, {.fd = d->in, .events = POLLOUT}};
    int np = d->on > 0 && d->in >= 0 ? 2 : 1;
    double left = fmin(until - lt_now(d->x), LT_SLICE_S);
    int rc = poll(p, (nfds_t)np, left > 0 ? (int)(left * 1000) + 1 : 0);
    if (rc <= 0) return;
    if (np == 2 && (p[1].revents & POLLOUT)) {
        ssize_t w = write(d->in, d->obuf, d->on);
        if (w > 0) {
            memmove(d->obuf, d->obuf + w, d->on - (size_t)w);
            d->on -= (size_t)w;
        }
    }
    if (!(p[0].revents & (POLLIN | POLLHUP))) return;
    read_lines(d);
}

/* Queue "id intended" for the driver; written as its stdin takes it. */
static void feed(drv *d, uint32_t id, double intended)
{
    char b[64];
    int n = lt_body_format(b, sizeof b - 1, id, intended);
    b[n++] = '\n';
    if (d->on + (size_t)n > OUTBUF_CAP ||
        sim_grow((void **)&d->obuf, &d->ocap, d->on + (size_t)n, 1)) {
        pthread_mutex_lock(&d->x->track->mu);
        d->x->track->lost_send_failed++; /* the application never got it */
        pthread_mutex_unlock(&d->x->track->mu);
        return;
    }
    memcpy(d->obuf + d->on, b, (size_t)n);
    d->on += (size_t)n;
    if (d->in >= 0) {
        ssize_t w = write(d->in, d->obuf, d->on);
        if (w > 0) {
            memmove(d->obuf, d->obuf + w, d->on - (size_t)w);
            d->on -= (size_t)w;
        }
    }
}

/* An app_restart was asked for this client, connected or not (a real
** application restarts either way); when down, the plan takes its time. */
static bool restart_due(drv *d)
{
    lt_client *c = d->c;
    pthread_mutex_lock(&c->ctx->mu);
    bool req = c->restart_req, up = c->up;
    pthread_mutex_unlock(&c->ctx->mu);
    if (req && !up) lt_take_restart(c, &d->r);
    return req;
}

/* An app_restart: the application dies now and starts again at the
** restart time (the window stays open until the new driver is UP). */
static void restart(drv *d, volatile int *stop)
{
    finish(d, 0, 0);
    went_down(d, lt_now(d->x)); /* when up: plans the restart time */
    while (!*stop && lt_now(d->x) < d->r.next_try) lt_sleep(fmin(LT_SLICE_S, d->r.next_try - lt_now(d->x)));
    if (!*stop && spawn(d)) lt_warn(d->x, "cannot restart a real client: %s", strerror(errno));
}

static void drv_init(drv *d, lt_client *c, const mq_reconnect *cfg, const char *stream)
{
    *d = (drv){.c = c, .x = c->ctx, .in = -1, .out = -1};
    d->r = (lt_recon){.cfg = cfg, .rng = sim_rng_new(c->seed, 0, sim_hash_str(stream) + (uint64_t)c->index,
                                                     sim_hash_str("reconnect"))};
}

void *lt_real_producer_main(void *arg)
{
    lt_client *c = arg;
    lt_ctx *x = c->ctx;
    const mq_producer_group *g = &x->s->producers[c->group];
    drv d;
    drv_init(&d, c, &g->reconnect, g->name);
    gsl_rng *arr = sim_rng_new(c->seed, 0, sim_mix64(sim_hash_str(g->name) + (uint64_t)c->index),
                               sim_hash_str("arrivals"));
    if (!arr || !d.r.rng || spawn(&d)) {
        lt_warn(x, "cannot start the real client of producers '%s'", g->name);
        goto out;
    }
    bool poisson = g->rate.arrivals == MQ_ARRIVALS_POISSON;
    double rate0 = mq_rate_at_run(x->s, &g->rate, 0) / g->count;
    double t_next = rate0 > 0 ? (poisson ? gsl_ran_exponential(arr, 1.0) : gsl_rng_uniform(arr)) / rate0
                              : LT_SLICE_S;
    while (!x->stop_producers) {
        double now = lt_now(x);
        if (now >= x->duration_s) break;
        if (restart_due(&d)) restart(&d, &x->stop_producers);
        while (t_next <= now && t_next < x->duration_s) {
            uint32_t id = lt_track_new(x->track, t_next, false);
            if (id == UINT32_MAX) { x->stop_producers = 1; break; }
            feed(&d, id, t_next);
            double rate = mq_rate_at_run(x->s, &g->rate, t_next) / g->count;
            t_next += rate > 0 ? (poisson ? gsl_ran_exponential(arr, 1.0) : 1.0) / rate : LT_SLICE_S;
        }
        pump(&d, fmin(t_next, x->duration_s));
    }
out:
    finish(&d, DRIVER_EXIT_S, DRIVER_EXIT_MAX_S);
    free(d.obuf);
    gsl_rng_free(arr);
    gsl_rng_free(d.r.rng);
    return NULL;
}

void *lt_real_consumer_main(void *arg)
{
    lt_client *c = arg;
    lt_ctx *x = c->ctx;
    const mq_consumer_group *g = &x->s->consumers[c->group];
    drv d;
    drv_init(&d, c, &g->reconnect, g->name);
    if (!d.r.rng || spawn(&d)) {
        lt_warn(x, "cannot start the real client of consumers '%s'", g->name);
        goto out;
    }
    while (!x->stop_consumers) {
        if (restart_due(&d)) restart(&d, &x->stop_consumers);
        pump(&d, lt_now(x) + LT_SLICE_S);
    }
out:
    finish(&d, 2.0, 2.0);
    keep_closed(&d);
    free(d.dlv);
    gsl_rng_free(d.r.rng);
    return NULL;
}
