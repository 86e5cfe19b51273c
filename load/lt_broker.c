/*
** lt_broker.c - start, query and stop a private rabbitmq-server on loopback.
**
** Why fork/exec and not system(): the node must live in a process group we
** own, so that stopping it (normally, on error, from atexit or from a signal
** handler) is one kill(-pgid) and nothing survives, and so that every
** rabbitmqctl call can be killed after its time limit. The signal handler
** only uses async-signal-safe calls (kill, fork, execve, waitpid, _exit).
** Readiness = the AMQP port accepts a TCP connection and `rabbitmqctl
** await_startup` exits 0. Startup on a quiet machine takes about 3 s
** (measured), and over a minute on a loaded one: the wait follows the
** node's progress (lt_wait: its process group's CPU time, read from
** /proc), not a wall-clock budget.
*/
#include "load/lt_broker.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RMQ_BIN "/usr/lib/rabbitmq/bin/"
#define MAX_GUARDED 4

/* Registry read by the signal handler: plain arrays of process groups and
** temp folders (written before the signal could need them). */
static volatile pid_t guarded_pgid[MAX_GUARDED];
static char guarded_dir[MAX_GUARDED][256];
static int guards_installed;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* CPU time (s) used so far by the live processes of group pgid (their
** utime + stime in /proc/PID/stat); -1 when /proc cannot be read. */
static double group_cpu_s(pid_t pgid)
{
    DIR *d = opendir("/proc");
    if (!d) return -1;
    double ticks = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
        char path[300], buf[1024];
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        const char *rp = strrchr(buf, ')'); /* "pid (comm) state ppid pgrp ... utime stime" */
        int pgrp;
        unsigned long long ut, st;
        if (rp && sscanf(rp + 2, "%*c %*d %d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &pgrp,
                         &ut, &st) == 3 && pgrp == pgid)
            ticks += (double)(ut + st);
    }
    closedir(d);
    return ticks / (double)sysconf(_SC_CLK_TCK);
}

void lt_wait_begin(lt_wait *w, const lt_broker *b, double start, double stall_s)
{
    *w = (lt_wait){.b = b, .start = start, .moved = now_s(), .stall_s = stall_s};
    w->cpu = b && b->pgid > 0 ? group_cpu_s(b->pgid) : -1;
}

double lt_wait_elapsed(const lt_wait *w)
{
    return now_s() - w->start;
}

int lt_wait_going(lt_wait *w, const char *what, sim_err *err)
{
    double now = now_s();
    double cpu = w->b && w->b->pgid > 0 ? group_cpu_s(w->b->pgid) : -1;
    if (cpu > w->cpu) { /* one clock tick or more since the last look */
        w->moved = now;
        w->cpu = cpu;
    }
    if (now - w->start > LT_WAIT_CEILING_S)
        return sim_err_set(err, "%s: not done after %.0f s (the limit), the node still working",
                           what, now - w->start);
    if (now - w->moved > w->stall_s)
        return sim_err_set(err, "%s: not done after %.0f s, the node %s for the last %.0f s", what,
                           now - w->start, cpu < 0 ? "not observable" : "using no CPU",
                           now - w->moved);
    return 0;
}

static void rm_tree_sync(const char *dir)
{
    if (!dir[0]) return;
    pid_t p = fork();
    if (p == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) { dup2(fd, 1); dup2(fd, 2); }
        execl("/bin/rm", "rm", "-rf", "--", dir, (char *)NULL);
        _exit(127);
    }
    if (p > 0) waitpid(p, NULL, 0);
}

/* rabbitmqctl calls in flight (their process groups): a stop from the
** signal handler kills them too, or one would outlive us with its node's
** HOME deleted (it then crashes writing erl_crash.dump into the cwd).
** Slots are claimed and released with compare-and-swap, no lock, so the
** handler can read them. */
#define MAX_CTL 32
static volatile pid_t ctl_pgid[MAX_CTL];

static void ctl_track(pid_t p)
{
    for (int i = 0; i < MAX_CTL; i++)
        if (__sync_bool_compare_and_swap(&ctl_pgid[i], 0, p)) return;
}

static void ctl_untrack(pid_t p)
{
    for (int i = 0; i < MAX_CTL; i++)
        if (__sync_bool_compare_and_swap(&ctl_pgid[i], p, 0)) return;
}

static void kill_ctls(void)
{
    for (int i = 0; i < MAX_CTL; i++) {
        pid_t p = ctl_pgid[i];
        if (p > 0) kill(-p, SIGKILL);
    }
}

/* The watchdog's body: see the header. Never returns. */
static _Noreturn void watchdog_main(int rfd, pid_t pgid, const char *dir)
{
    signal(SIGINT, SIG_IGN); /* a terminal's ^C is for mqsim, which cleans up */
    signal(SIGHUP, SIG_IGN);
    signal(SIGTERM, SIG_DFL);
    for (int fd = 3; fd < 1024; fd++) /* hold nothing else of our parent's */
        if (fd != rfd) close(fd);
    char c;
    ssize_t r;
    while ((r = read(rfd, &c, 1)) < 0 && errno == EINTR) {}
    if (r == 0) { /* the parent died without stopping the node */
        /* SIGKILL at once: on SIGTERM the rabbitmq-server script's trap runs
        ** a stop through erl, which (our epmd gone with the group) starts
        ** an `epmd -daemon` that outlives everything */
        kill(-pgid, SIGKILL);
        for (int i = 0; i < 50 && kill(-pgid, 0) == 0; i++) usleep(100000);
        rm_tree_sync(dir);
    }
    _exit(0);
}

static void watchdog_start(lt_broker *b)
{
    int p[2];
    b->watchdog = 0;
    b->watch_fd = -1;
    if (pipe(p) != 0) return;
    fcntl(p[0], F_SETFD, FD_CLOEXEC);
    fcntl(p[1], F_SETFD, FD_CLOEXEC);
    pid_t w = fork();
    if (w == 0) {
        setpgid(0, 0);
        close(p[1]);
        watchdog_main(p[0], b->pgid, b->dir);
    }
    close(p[0]);
    if (w < 0) {
        close(p[1]);
        return;
    }
    b->watchdog = w;
    b->watch_fd = p[1];
}

/* A normal stop: tell the watchdog to leave, and reap it. */
static void watchdog_stop(lt_broker *b)
{
    if (b->watchdog <= 0) return; /* none started (a zeroed struct has fd 0) */
    if (b->watch_fd >= 0) {
        (void)!write(b->watch_fd, "x", 1);
        close(b->watch_fd);
        b->watch_fd = -1;
    }
    {
        while (waitpid(b->watchdog, NULL, 0) < 0 && errno == EINTR) {}
        b->watchdog = 0;
    }
}

static void on_signal(int sig)
{
    kill_ctls();
    for (int i = 0; i < MAX_GUARDED; i++)
        if (guarded_pgid[i] > 0) kill(-guarded_pgid[i], SIGKILL);
    for (int i = 0; i < MAX_GUARDED; i++)
        if (guarded_pgid[i] > 0) {
            while (waitpid(-guarded_pgid[i], NULL, 0) > 0) {} /* our children in it */
            rm_tree_sync(guarded_dir[i]);
        }
    _exit(128 + sig);
}

static void at_exit_hook(void)
{
    kill_ctls();
    for (int i = 0; i < MAX_GUARDED; i++)
        if (guarded_pgid[i] > 0) {
            kill(-guarded_pgid[i], SIGKILL);
            while (waitpid(-guarded_pgid[i], NULL, 0) > 0) {}
            rm_tree_sync(guarded_dir[i]);
            guarded_pgid[i] = 0;
        }
}

void lt_broker_install_guards(void)
{
    signal(SIGPIPE, SIG_IGN);
    if (guards_installed) return;
    guards_installed = 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    atexit(at_exit_hook);
}

/* Register a started node; -1 when MAX_GUARDED nodes already run. */
static int guard_add(const lt_broker *b)
{
    for (int i = 0; i < MAX_GUARDED; i++)
        if (guarded_pgid[i] == 0) {
            snprintf(guarded_dir[i], sizeof guarded_dir[i], "%s", b->dir);
            guarded_pgid[i] = b->pgid;
            return 0;
        }
    return -1;
}

static void guard_remove(pid_t pgid)
{
    for (int i = 0; i < MAX_GUARDED; i++)
        if (guarded_pgid[i] == pgid) guarded_pgid[i] = 0;
}

/* A free TCP port on 127.0.0.1 (bound then released: a tiny race with other
** programs picking the same port is accepted; startup then fails cleanly). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t n = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &n) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static int port_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

/* The environment rabbitmqctl needs for b (called in the child only): the
** node's HOME (Erlang cookie), its epmd, and its plugins file (so plugin
** commands such as shovel_status exist). */
static void set_ctl_env(const lt_broker *b)
{
    char buf[512];
    if (b->dir[0]) {
        setenv("HOME", b->dir, 1);
        snprintf(buf, sizeof buf, "%s/enabled_plugins", b->dir);
        setenv("RABBITMQ_ENABLED_PLUGINS_FILE", buf, 1);
        snprintf(buf, sizeof buf, "%s/erl_crash.dump", b->dir); /* never in the user's cwd */
        setenv("ERL_CRASH_DUMP", buf, 1);
    }
    if (b->epmd_port > 0) {
        snprintf(buf, sizeof buf, "%d", b->epmd_port);
        setenv("ERL_EPMD_PORT", buf, 1);
    }
}

static void set_node_env(const lt_broker *b)
{
    char buf[512];
    set_ctl_env(b);
    setenv("RABBITMQ_NODENAME", b->node, 1);
    snprintf(buf, sizeof buf, "%d", b->amqp_port);
    setenv("RABBITMQ_NODE_PORT", buf, 1);
    snprintf(buf, sizeof buf, "%s/mnesia", b->dir);
    setenv("RABBITMQ_MNESIA_BASE", buf, 1);
    snprintf(buf, sizeof buf, "%s/log", b->dir);
    setenv("RABBITMQ_LOG_BASE", buf, 1);
    snprintf(buf, sizeof buf, "%s/enabled_plugins", b->dir);
    setenv("RABBITMQ_ENABLED_PLUGINS_FILE", buf, 1);
    snprintf(buf, sizeof buf, "%s/rabbitmq", b->dir);
    setenv("RABBITMQ_CONFIG_FILE", buf, 1);
    snprintf(buf, sizeof buf, "%s/advanced.config", b->dir);
    setenv("RABBITMQ_ADVANCED_CONFIG_FILE", buf, 1);
    snprintf(buf, sizeof buf, "%s/env.conf", b->dir);
    setenv("RABBITMQ_CONF_ENV_FILE", buf, 1);
}

static void redirect_out(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) { dup2(fd, 1); dup2(fd, 2); close(fd); }
    int nul = open("/dev/null", O_RDONLY);
    if (nul >= 0) { dup2(nul, 0); close(nul); }
}

static int write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fputs(text, f);
    return fclose(f);
}

int lt_ctl(const lt_broker *b, double timeout_s, char *out, size_t outsz, sim_err *err,
           const char *const *args)
{
    char *argv[32];
    int n = 0;
    argv[n++] = (char *)RMQ_BIN "rabbitmqctl";
    if (b && b->node[0]) {
        argv[n++] = (char *)"-n";
        argv[n++] = (char *)b->node;
    }
    for (int i = 0; args[i] && n < 30; i++) argv[n++] = (char *)args[i];
    argv[n] = NULL;
    int pfd[2];
    if (pipe(pfd)) return sim_err_set(err, "pipe: %s", strerror(errno));
    /* no stop signal between the fork and the registration of the child */
    sigset_t stops, old;
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stops, &old);
    pid_t parent = getpid();
    pid_t p = fork();
    if (p < 0) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        close(pfd[0]);
        close(pfd[1]);
        return sim_err_set(err, "fork: %s", strerror(errno));
    }
    if (p == 0) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        /* a call in flight dies with us, even by SIGKILL (the watchdog only
        ** knows the node's group). The signal follows the forking thread,
        ** which waits for this call, and survives the script's execs. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);
        setpgid(0, 0);
        dup2(pfd[1], 1);
        dup2(pfd[1], 2);
        close(pfd[0]);
        close(pfd[1]);
        if (b) set_ctl_env(b);
        execv(argv[0], argv);
        _exit(127);
    }
    setpgid(p, p);
    ctl_track(p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(pfd[1]);
    size_t len = 0;
    char sink[512];
    double end = now_s() + timeout_s;
    int timed_out = 0;
    for (;;) {
        double left = end - now_s();
        if (left <= 0) { timed_out = 1; break; }
        struct pollfd pf = {.fd = pfd[0], .events = POLLIN};
        int r = poll(&pf, 1, (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) continue;
        char *dst = sink;
        size_t room = sizeof sink;
        if (out && len + 1 < outsz) { dst = out + len; room = outsz - 1 - len; }
        ssize_t k = read(pfd[0], dst, room);
        if (k <= 0) break;
        if (dst != sink) len += (size_t)k;
    }
    close(pfd[0]);
    if (out && outsz) out[len < outsz ? len : outsz - 1] = '\0';
    if (timed_out) kill(-p, SIGKILL);
    int st = 0;
    while (waitpid(p, &st, 0) < 0 && errno == EINTR) {}
    ctl_untrack(p);
    if (timed_out)
        return sim_err_set(err, "rabbitmqctl %s timed out after %.0f s", args[0], timeout_s);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return sim_err_set(err, "rabbitmqctl %s failed (exit %d)%s%s", args[0],
                           WIFEXITED(st) ? WEXITSTATUS(st) : -1, out && *out ? ": " : "",
                           out ? out : "");
    return 0;
}

/* Letters only: the tag goes into an Erlang node name. */
static int tag_ok(const char *t)
{
    for (; *t; t++)
        if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z'))) return 0;
    return 1;
}

int lt_broker_launch(lt_broker *b, const lt_node_opts *o, sim_err *err)
{
    memset(b, 0, sizeof *b);
    b->watch_fd = -1;
    lt_broker_install_guards();
    const char *tag = o && o->tag ? o->tag : "";
    const char *plugins = o && o->plugins ? o->plugins : "";
    if (!tag_ok(tag) || strlen(tag) > 16 || strlen(plugins) > 200)
        return sim_err_set(err, "node tag '%s' must be up to 16 letters; plugin list up to 200 "
                           "characters", tag);
    char tmpl[] = "/tmp/mqsim-broker-XXXXXX";
    if (!mkdtemp(tmpl)) return sim_err_set(err, "cannot create a temp folder: %s", strerror(errno));
    snprintf(b->dir, sizeof b->dir, "%s", tmpl);
    snprintf(b->node, sizeof b->node, "mqsim%ld%s@localhost", (long)getpid(), tag);
    b->epmd_port = free_port();
    int dist_port = free_port();
    b->amqp_port = free_port();
    if (b->epmd_port < 0 || dist_port < 0 || b->amqp_port < 0) {
        lt_broker_stop(b);
        return sim_err_set(err, "cannot find free ports on 127.0.0.1");
    }
    /* Listen on loopback only; only the plugins asked for. */
    char conf[1024], enabled[256];
    int n = snprintf(conf, sizeof conf, "listeners.tcp.1 = 127.0.0.1:%d\nloopback_users = none\n",
                     b->amqp_port);
    if (strstr(plugins, "rabbitmq_management")) {
        b->mgmt_port = free_port();
        if (b->mgmt_port < 0) {
            lt_broker_stop(b);
            return sim_err_set(err, "cannot find free ports on 127.0.0.1");
        }
        n += snprintf(conf + n, sizeof conf - (size_t)n,
                      "management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = %d\n", b->mgmt_port);
    }
    if (o && o->stats_s > 0) /* emitted every stats_s, kept per stats_s for a minute */
        snprintf(conf + n, sizeof conf - (size_t)n,
                 "collect_statistics_interval = %d\n"
                 "management.sample_retention_policies.global.minute = %d\n"
                 "management.sample_retention_policies.global.hour = 60\n"
                 "management.sample_retention_policies.basic.minute = %d\n"
                 "management.sample_retention_policies.basic.hour = 60\n"
                 "management.sample_retention_policies.detailed.10 = %d\n",
                 o->stats_s * 1000, o->stats_s, o->stats_s, o->stats_s);
    snprintf(enabled, sizeof enabled, "[%s].\n", plugins);
    if (write_file(b->dir, "rabbitmq.conf", conf) || write_file(b->dir, "enabled_plugins", enabled) ||
        write_file(b->dir, "env.conf", "")) {
        lt_broker_stop(b);
        return sim_err_set(err, "cannot write the broker's config in %s", b->dir);
    }
    b->launched_at = now_s();
    char port[16];
    snprintf(port, sizeof port, "%d", b->epmd_port);
    pid_t epmd = fork();
    if (epmd == 0) {
        setpgid(0, 0);
        redirect_out(b->dir, "epmd.log");
        execlp("epmd", "epmd", "-port", port, (char *)NULL);
        _exit(127);
    }
    if (epmd < 0) {
        lt_broker_stop(b);
        return sim_err_set(err, "fork: %s", strerror(errno));
    }
    setpgid(epmd, epmd);
    b->pgid = epmd;
    if (guard_add(b)) {
        lt_broker_stop(b);
        return sim_err_set(err, "more than %d private nodes at once", MAX_GUARDED);
    }
    watchdog_start(b);
    /* the node must find our epmd listening, or erl starts its own daemon */
    lt_wait w;
    lt_wait_begin(&w, b, b->launched_at, 10);
    while (!port_open(b->epmd_port)) {
        if (lt_wait_going(&w, "epmd listening", err)) {
            lt_broker_stop(b);
            return -1;
        }
        usleep(20000);
    }
    pid_t srv = fork();
    if (srv == 0) {
        setpgid(0, epmd);
        set_node_env(b);
        char d[16];
        snprintf(d, sizeof d, "%d", dist_port);
        setenv("RABBITMQ_DIST_PORT", d, 1);
        redirect_out(b->dir, "server.log");
        execl(RMQ_BIN "rabbitmq-server", "rabbitmq-server", (char *)NULL);
        _exit(127);
    }
    if (srv < 0) {
        lt_broker_stop(b);
        return sim_err_set(err, "fork: %s", strerror(errno));
    }
    setpgid(srv, epmd);
    b->server_pid = srv;
    return 0;
}

int lt_broker_await(lt_broker *b, double stall_s, sim_err *err)
{
    pid_t srv = b->server_pid;
    lt_wait w;
    lt_wait_begin(&w, b, b->launched_at, stall_s);
    char what[96];
    snprintf(what, sizeof what, "rabbitmq-server opening port %d", b->amqp_port);
    while (!port_open(b->amqp_port)) {
        int st;
        if (waitpid(srv, &st, WNOHANG) == srv) {
            b->server_pid = 0;
            lt_broker_stop(b);
            return sim_err_set(err, "rabbitmq-server exited during startup (is rabbitmq-server "
                               "installed? run scripts/deps.sh)");
        }
        if (lt_wait_going(&w, what, err)) {
            lt_broker_stop(b);
            return -1;
        }
        usleep(100000);
    }
    /* await_startup can fail while the node is still registering with epmd
    ** (seen on a loaded machine): retry while the node works. */
    const char *args[] = {"await_startup", NULL};
    char out[1024];
    for (;;) {
        sim_err last = {{0}};
        if (lt_ctl(b, stall_s, out, sizeof out, &last, args) == 0) break;
        int st;
        if (waitpid(srv, &st, WNOHANG) == srv) {
            b->server_pid = 0;
            lt_broker_stop(b);
            return sim_err_set(err, "rabbitmq-server exited during startup");
        }
        sim_err why;
        if (lt_wait_going(&w, "rabbitmq-server start-up", &why)) {
            lt_broker_stop(b);
            return sim_err_set(err, "%s (last: %s)", why.msg, last.msg);
        }
        usleep(500000);
    }
    b->startup_s = now_s() - b->launched_at;
    return 0;
}

int lt_broker_start(lt_broker *b, double stall_s, sim_err *err)
{
    if (lt_broker_launch(b, NULL, err)) return -1;
    return lt_broker_await(b, stall_s, err);
}

void lt_broker_stop(lt_broker *b)
{
    if (!b) return;
    if (b->pgid > 0) {
        if (b->server_pid > 0) {
            const char *args[] = {"stop", NULL};
            if (lt_ctl(b, 15, NULL, 0, NULL, args) == 0) {
                for (int i = 0; i < 100; i++) { /* up to 10 s for the VM to exit */
                    if (waitpid(b->server_pid, NULL, WNOHANG) == b->server_pid) {
                        b->server_pid = 0;
                        break;
                    }
                    usleep(100000);
                }
            }
        }
        kill(-b->pgid, SIGTERM);
        usleep(200000);
        kill(-b->pgid, SIGKILL);
        while (waitpid(-b->pgid, NULL, 0) > 0 || errno == EINTR) {}
        guard_remove(b->pgid);
        watchdog_stop(b);
        b->pgid = 0;
        b->server_pid = 0;
    }
    if (b->dir[0]) {
        rm_tree_sync(b->dir);
        b->dir[0] = '\0';
    }
}

int lt_broker_freeze(const lt_broker *b, bool freeze, sim_err *err)
{
    if (!b || b->pgid <= 0) return sim_err_set(err, "the broker was not started here: cannot freeze it");
    DIR *d = opendir("/proc");
    if (!d) return sim_err_set(err, "/proc: %s", strerror(errno));
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || pid <= 0 || getpgid((pid_t)pid) != b->pgid) continue;
        char path[64], comm[64] = "";
        snprintf(path, sizeof path, "/proc/%ld/comm", pid);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        if (!fgets(comm, sizeof comm, f)) comm[0] = '\0';
        fclose(f);
        if (strncmp(comm, "beam", 4) != 0) continue;
        if (kill((pid_t)pid, freeze ? SIGSTOP : SIGCONT) == 0) n++;
    }
    closedir(d);
    return n > 0 ? 0 : sim_err_set(err, "no Erlang VM (beam) found in the broker's process group");
}
