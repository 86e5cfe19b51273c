/*
** cmd_capture.c - `mqsim capture --broker http://HOST:PORT [--user U
** --password-file F] [--vhost V] [--window T] [--out FILE.yaml]
** [--rate-profile FILE.csv [--rate-profile-utc]] [--duration T]
** [--name N] [--timeout T] [--allow-remote]`: sample a RabbitMQ broker's
** management API over the window (load/lt_capture.h) and write a scenario
** that `mqsim check` accepts (to FILE or standard output), so that
** `mqsim capture ... --change change.yaml | mqsim run - --at HH:MM`
** works: --change appends the planned change to the captured scenario, and
** the whole is checked before anything is written.
**
** The password is read from a file (first line), never from the command
** line where `ps` shows it; without --password-file the user must be guest
** (RabbitMQ's default guest/guest). The address follows the load tester's
** loopback rule. Every request has a time limit (--timeout, 10 s by
** default). Exit status: 0 ok; 2 usage, a refused address, a broker that
** is down, a refused login or an answer that is not the management API's
** JSON - nothing is written then (the scenario is built in memory and
** written only once complete, a file atomically); 1 when writing fails.
*/
#include "cli/cli.h"
#include "io/change/scn_change.h"
#include "io/out_file.h"
#include "io/rate_csv.h"
#include "io/scn_load.h"
#include "io/scn_yaml.h"
#include "io/units.h"
#include "load/lt_capture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void capture_usage(FILE *f)
{
    fprintf(f,
        "usage: mqsim capture --broker http://HOST:PORT [--user U --password-file F]\n"
        "                     [--vhost V] [--window T] [--out FILE.yaml]\n"
        "                     [--rate-profile FILE.csv [--rate-profile-utc]] [--duration T]\n"
        "                     [--name N] [--timeout T] [--sample-interval T] [--change FILE]\n"
        "                     [--allow-remote]\n"
        "  --broker URL        the management HTTP API (loopback only unless --allow-remote)\n"
        "  --user U            API user (default guest)\n"
        "  --password-file F   file whose first line is the password (default: guest's\n"
        "                      default password, only for the user guest)\n"
        "  --vhost V           virtual host to capture (default /)\n"
        "  --window T          sampling window (default 5m)\n"
        "  --out FILE          scenario file to write (default: standard output)\n"
        "  --rate-profile CSV  a time,rate series: the producers' rate over the day\n"
        "  --rate-profile-utc  its times without a zone are UTC (default: local time)\n"
        "  --duration T        run.duration of the scenario (default 10m)\n"
        "  --name N            scenario name (default captured)\n"
        "  --timeout T         time limit of each request (default 10s)\n"
        "  --change FILE       append this YAML (the planned change: a change block,\n"
        "                      events, budget) to the captured scenario\n");
    fprintf(f, "                      change blocks:");
    for (size_t i = 0; scn_changes[i]; i++) fprintf(f, "%s %s", i ? "," : "", scn_changes[i]->ops->key);
    fprintf(f, "\n"
        "  --sample-interval T time between samples (default 1s; keep it below the\n"
        "                      broker's statistics interval, 5 s by default: a rate is\n"
        "                      then off by at most one sample interval over the window)\n"
        "  --allow-remote      permit a broker outside loopback\n"
        "derivations: docs/CAPTURE.md\n");
}

typedef struct cap_args {
    const char *broker, *user, *pwfile, *vhost, *window, *out, *profile, *duration, *name,
        *timeout, *interval, *change;
    bool allow_remote, profile_utc;
} cap_args;

/* 0 ok, 1 help shown, -1 usage error (printed). */
static int parse(int argc, char **argv, cap_args *a)
{
    memset(a, 0, sizeof *a);
    struct { const char *opt; const char **dst; } vals[] = {
        {"--broker", &a->broker}, {"--user", &a->user}, {"--password-file", &a->pwfile},
        {"--vhost", &a->vhost}, {"--window", &a->window}, {"--out", &a->out},
        {"--rate-profile", &a->profile}, {"--duration", &a->duration}, {"--name", &a->name},
        {"--timeout", &a->timeout}, {"--sample-interval", &a->interval},
        {"--change", &a->change},
    };
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
            capture_usage(stdout);
            return 1;
        }
        if (!strcmp(s, "--allow-remote")) { a->allow_remote = true; continue; }
        if (!strcmp(s, "--rate-profile-utc")) { a->profile_utc = true; continue; }
        if (!strcmp(s, "--password")) {
            fprintf(stderr, "mqsim capture: the password is never taken from the command line "
                    "(other users see it in ps): use --password-file\n");
            return -1;
        }
        size_t k = 0, nv = sizeof vals / sizeof vals[0];
        while (k < nv && strcmp(s, vals[k].opt)) k++;
        if (k == nv) {
            fprintf(stderr, "mqsim capture: unknown argument '%s'\n", s);
            capture_usage(stderr);
            return -1;
        }
        if (i + 1 >= argc || !*argv[i + 1]) {
            fprintf(stderr, "mqsim capture: %s expects a value\n", s);
            return -1;
        }
        *vals[k].dst = argv[++i];
    }
    if (!a->broker) {
        fprintf(stderr, "mqsim capture: --broker http://HOST:PORT is required\n");
        capture_usage(stderr);
        return -1;
    }
    if (a->vhost && strlen(a->vhost) > 127) {
        fprintf(stderr, "mqsim capture: --vhost: at most 127 bytes\n");
        return -1;
    }
    if (a->profile_utc && !a->profile) {
        fprintf(stderr, "mqsim capture: --rate-profile-utc needs --rate-profile\n");
        return -1;
    }
    return 0;
}

static int read_password(const char *path, char *pw, size_t n, sim_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f) return sim_err_set(err, "--password-file %s: cannot open", path);
    if (!fgets(pw, (int)n, f)) pw[0] = '\0';
    fclose(f);
    pw[strcspn(pw, "\r\n")] = '\0';
    if (!pw[0]) return sim_err_set(err, "--password-file %s: empty first line", path);
    return 0;
}

/* Append the change file to the captured text (*text, *len: a memstream's
** buffer, reallocated) and check that the whole loads. 0 ok; -1 with a
** message (nothing is written then). */
static int add_change(const char *path, char **text, size_t *len, sim_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f) return sim_err_set(err, "--change %s: cannot open", path);
    char *frag = malloc(SCN_MAX_BYTES + 1);
    SIM_NEED(frag != NULL, "out of memory");
    size_t n = fread(frag, 1, SCN_MAX_BYTES + 1, f);
    fclose(f);
    if (n > SCN_MAX_BYTES) {
        free(frag);
        return sim_err_set(err, "--change %s: larger than 4 MiB", path);
    }
    char head[600];
    int hn = snprintf(head, sizeof head, "# The change: --change %.500s (not captured)\n", path);
    char *t = realloc(*text, *len + (size_t)hn + n + 2);
    SIM_NEED(t != NULL, "out of memory");
    memcpy(t + *len, head, (size_t)hn);
    memcpy(t + *len + hn, frag, n);
    *len += (size_t)hn + n;
    if (n && frag[n - 1] != '\n') t[(*len)++] = '\n';
    t[*len] = '\0';
    *text = t;
    free(frag);
    mq_scenario s;
    char name[600];
    snprintf(name, sizeof name, "<capture + %.500s>", path);
    if (scn_load_string(name, t, *len, &s, err)) return -1;
    mq_scenario_free(&s);
    return 0;
}

/* A positive duration option into *s (default dflt when absent). */
static int opt_duration(const char *opt, const char *text, double dflt, double *s)
{
    sim_err e = {{0}};
    *s = dflt;
    if (!text) return 0;
    if (units_duration(text, s, &e) || !(*s > 0)) {
        fprintf(stderr, "mqsim capture: %s: %s\n", opt, e.msg[0] ? e.msg : "must be > 0");
        return -1;
    }
    return 0;
}

/* The scenario text (with --change appended) to --out or standard output,
** and what was captured on stderr. */
static int emit_scenario(const cap_args *a, const lt_capture *cap, const lt_capture_doc *d)
{
    sim_err err = {{0}};
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    SIM_NEED(mem != NULL, "out of memory");
    int defaults = 0;
    int rc = CLI_OK;
    if (lt_capture_write(mem, cap, d, &defaults, &err)) {
        fprintf(stderr, "mqsim capture: %s\n", err.msg);
        rc = CLI_INTERNAL;
    }
    fclose(mem);
    if (rc == CLI_OK && a->change && add_change(a->change, &text, &len, &err)) {
        fprintf(stderr, "mqsim capture: %s\n", err.msg);
        rc = CLI_USAGE;
    }
    if (rc == CLI_OK) {
        if (a->out) {
            out_file f;
            if (out_file_open(&f, a->out, &err) ||
                (fwrite(text, 1, len, f.fp), out_file_commit(&f, &err))) {
                fprintf(stderr, "mqsim capture: %s\n", err.msg);
                rc = CLI_INTERNAL;
            }
        } else if (fwrite(text, 1, len, stdout) != len || fflush(stdout)) {
            fprintf(stderr, "mqsim capture: writing to standard output failed\n");
            rc = CLI_INTERNAL;
        }
    }
    if (rc == CLI_OK) {
        fprintf(stderr, "mqsim capture: %zu queues, %zu producer groups, %zu consumer groups "
                "over %.1f s (%d samples)%s%s\n", cap->nqueues, cap->nproducers, cap->nconsumers,
                cap->window_s, cap->samples, a->out ? " -> " : "", a->out ? a->out : "");
        if (defaults)
            fprintf(stderr, "mqsim capture: warning: %d processing time%s could not be "
                    "estimated and got a placeholder (see the comments)\n", defaults,
                    defaults == 1 ? "" : "s");
    }
    free(text);
    return rc;
}

int cli_capture(int argc, char **argv)
{
    cap_args a;
    int pr = parse(argc, argv, &a);
    if (pr) return pr > 0 ? CLI_OK : CLI_USAGE;
    sim_err err = {{0}};
    char base[300];
    if (lt_http_check_target(a.broker, a.allow_remote, base, sizeof base, &err)) {
        fprintf(stderr, "mqsim capture: %s\n", err.msg);
        return CLI_USAGE;
    }
    double window_s, run_s, timeout_s, interval_s;
    if (opt_duration("--window", a.window, 300, &window_s) ||
        opt_duration("--duration", a.duration, 600, &run_s) ||
        opt_duration("--timeout", a.timeout, 10, &timeout_s) ||
        opt_duration("--sample-interval", a.interval, 0, &interval_s))
        return CLI_USAGE;
    const char *user = a.user ? a.user : "guest";
    char pw[256] = "guest";
    if (a.pwfile) {
        if (read_password(a.pwfile, pw, sizeof pw, &err)) {
            fprintf(stderr, "mqsim capture: %s\n", err.msg);
            return CLI_USAGE;
        }
    } else if (strcmp(user, "guest")) {
        fprintf(stderr, "mqsim capture: --user %s needs --password-file\n", user);
        return CLI_USAGE;
    }
    mq_rate_step *day = NULL;
    size_t nday = 0;
    if (a.profile && rate_csv_read(a.profile, a.profile_utc, &day, &nday, &err)) {
        fprintf(stderr, "mqsim capture: --rate-profile: %s\n", err.msg);
        return CLI_USAGE;
    }
    lt_http *h = lt_http_open(base, user, pw, timeout_s, &err);
    memset(pw, 0, sizeof pw);
    if (!h) {
        fprintf(stderr, "mqsim capture: %s\n", err.msg);
        free(day);
        return CLI_USAGE;
    }
    lt_capture cap;
    lt_capture_opts o = {.window_s = window_s, .interval_s = interval_s, .vhost = a.vhost};
    int rc = lt_capture_run(h, &o, &cap, &err);
    lt_http_close(h);
    if (rc) {
        fprintf(stderr, "mqsim capture: %s\n", err.msg);
        free(day);
        return CLI_USAGE;
    }
    time_t now = time(NULL);
    struct tm lt;
    localtime_r(&now, &lt);
    lt_capture_doc d = {.name = a.name ? a.name : "captured", .run_s = run_s,
                        .start_clock_s = lt.tm_hour * 3600.0 + lt.tm_min * 60.0,
                        .day = day, .nday = nday, .day_source = a.profile};
    rc = emit_scenario(&a, &cap, &d);
    free(day);
    lt_capture_free(&cap);
    return rc;
}
