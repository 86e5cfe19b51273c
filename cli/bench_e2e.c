/*
** bench_e2e.c - `mqsim bench e2e [--scale F | --curve] [--file FILE]`: the
** end-to-end benchmark. Runs scenarios/bench/e2e-conversion.yaml (a
** RabbitMQ dedicated -> shared conversion, 10 000 msg/s, 1 000 clients,
** 5 M stacked messages, 1 h) with its duration, backlog and change start
** scaled by F, on one core, and prints one line: messages, events, wall
** and CPU time, events/s, messages/s, ns per message and the process's
** peak RSS, beside the targets of issue 19 (at most 4 s and under 1 GiB
** at F = 1).
**
** --day stretches the same scenario to 24 h (about 869 M messages) and
** keeps the 5 M backlog and the change at 10 min as they are: the "day of
** real traffic" row, at most 60 s on one core and under 1 GiB. It takes
** minutes, so `make bench` runs it only with BENCH_DAY=1 (`make bench-day`).
**
** --curve runs F = 0.01, 0.1 and 1 (1x, 10x and 100x the message count),
** each in a child process of its own (peak RSS is per process, and one
** run's heap must not flatter the next), then prints the scaling table:
** if the cost grows linearly, ns per message stays flat across the rows.
** `make bench` runs it. CPU time is printed beside wall time because on a
** shared machine it is the steadier of the two.
*/
#include "cli/cli.h"
#include "io/scn_load.h"
#include "io/scn_override.h"
#include "models/mq_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TARGET_WALL_S 4.0
#define TARGET_DAY_WALL_S 60.0
#define TARGET_RSS_MIB 1024.0

typedef struct e2e_row {
    double scale, messages, events, wall_s, cpu_s, rss_mib;
} e2e_row;

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void print_row(const e2e_row *r)
{
    printf("bench e2e: scale=%g messages=%.0f events=%.0f wall_s=%.2f cpu_s=%.2f "
           "events_per_s=%.0f messages_per_s=%.0f ns_per_message=%.0f peak_rss_mib=%.0f\n",
           r->scale, r->messages, r->events, r->wall_s, r->cpu_s, r->events / r->wall_s,
           r->messages / r->wall_s, 1e9 * r->wall_s / r->messages, r->rss_mib);
}

/* One run at this scale in this process; day: 24 h with the scenario's own
** backlog, change start and sample interval (scale is then the duration
** factor, 24). 0 ok, else a CLI exit status. */
static int run_scaled(const char *file, double scale, bool day, e2e_row *row)
{
    sim_err err = {{0}};
    mq_scenario s;
    if (scn_load_file(file, &s, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return CLI_USAGE;
    }
    /* scale what grows with the message count, keeping rates and clients;
    ** `change.` is the scenario's change block, whatever its type */
    char dur[32], backlog[32], at[32], smp[32];
    snprintf(dur, sizeof dur, "%.6gs", s.run.duration_s * scale);
    snprintf(backlog, sizeof backlog, "%.0f",
             s.nbacklogs ? floor((double)s.backlogs[0].messages * scale) : 0.0);
    snprintf(at, sizeof at, "%.6gs", s.run.duration_s * scale / 6.0);
    snprintf(smp, sizeof smp, "%.6gs", fmin(s.run.sample_s, fmax(0.001, 3600.0 * scale / 360.0)));
    mq_scenario_free(&s);
    const char *keys[] = {"run.duration", "backlog[0].messages", "change.at",
                          "run.sample_interval"};
    const char *vals[] = {dur, backlog, at, smp};
    if (scn_load_with(file, keys, vals, day ? 1 : 4, &s, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return CLI_USAGE;
    }
    mq_run_opts o = {.seed = s.run.seed};
    mq_result r;
    double w0 = wall(), c0 = cpu();
    int rc = mq_model_run(&s, &o, &r, &err);
    double wall_s = wall() - w0, cpu_s = cpu() - c0;
    mq_scenario_free(&s);
    if (rc) {
        fprintf(stderr, "mqsim bench e2e: %s\n", err.msg);
        return CLI_INTERNAL;
    }
    const sim_metric *pub = sim_metrics_find(&r.metrics, "messages_published");
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    *row = (e2e_row){scale, pub ? pub->value : NAN, (double)r.events, wall_s, cpu_s,
                     (double)ru.ru_maxrss / 1024.0};
    mq_result_free(&r);
    return CLI_OK;
}

/* The scaling curve: one child per scale, rows sent back through a pipe. */
static int run_curve(const char *file)
{
    static const double scales[] = {0.01, 0.1, 1.0};
    enum { N = sizeof scales / sizeof scales[0] };
    e2e_row rows[N];
    for (int i = 0; i < N; i++) {
        int fd[2];
        if (pipe(fd)) {
            perror("mqsim bench e2e: pipe");
            return CLI_INTERNAL;
        }
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) {
            perror("mqsim bench e2e: fork");
            return CLI_INTERNAL;
        }
        if (pid == 0) {
            close(fd[0]);
            e2e_row row;
            int rc = run_scaled(file, scales[i], false, &row);
            if (rc == CLI_OK && write(fd[1], &row, sizeof row) != (ssize_t)sizeof row) rc = CLI_INTERNAL;
            _exit(rc);
        }
        close(fd[1]);
        ssize_t got = read(fd[0], &rows[i], sizeof rows[i]);
        close(fd[0]);
        int st = 0;
        waitpid(pid, &st, 0);
        if (got != (ssize_t)sizeof rows[i] || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "mqsim bench e2e: the run at scale %g failed\n", scales[i]);
            return CLI_INTERNAL;
        }
        print_row(&rows[i]);
    }
    printf("\nscaling curve (e2e-conversion; 1x = 36 s of sim time)\n");
    printf("%-6s %12s %12s %9s %9s %14s %10s %10s\n", "scale", "messages", "events", "wall_s",
           "cpu_s", "ns_per_message", "vs_1x", "rss_mib");
    double base = 1e9 * rows[0].wall_s / rows[0].messages;
    for (int i = 0; i < N; i++) {
        double ns = 1e9 * rows[i].wall_s / rows[i].messages;
        printf("%-6s %12.0f %12.0f %9.2f %9.2f %14.0f %9.2fx %10.0f\n",
               i == 0 ? "1x" : i == 1 ? "10x" : "100x", rows[i].messages, rows[i].events,
               rows[i].wall_s, rows[i].cpu_s, ns, ns / base, rows[i].rss_mib);
    }
    const e2e_row *full = &rows[N - 1];
    printf("target at 100x (1 h, %.0f M messages): wall <= %.0f s: %s (%.2f s); peak RSS < %.0f MiB: "
           "%s (%.0f MiB)\n",
           full->messages / 1e6, TARGET_WALL_S, full->wall_s <= TARGET_WALL_S ? "met" : "NOT met",
           full->wall_s, TARGET_RSS_MIB, full->rss_mib < TARGET_RSS_MIB ? "met" : "NOT met",
           full->rss_mib);
    return CLI_OK;
}

int cli_bench_e2e(int argc, char **argv)
{
    const char *file = "scenarios/bench/e2e-conversion.yaml";
    double scale = 1.0;
    bool curve = false, day = false;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--scale") && i + 1 < argc) scale = atof(argv[++i]);
        else if (!strcmp(argv[i], "--file") && i + 1 < argc) file = argv[++i];
        else if (!strcmp(argv[i], "--curve")) curve = true;
        else if (!strcmp(argv[i], "--day")) day = true;
        else {
            fprintf(stderr, "usage: mqsim bench e2e [--scale F (0 < F <= 10) | --curve | --day] "
                            "[--file FILE]\n");
            return CLI_USAGE;
        }
    }
    if (curve) return run_curve(file);
    if (day) {
        e2e_row row;
        int rc = run_scaled(file, 24.0, true, &row);
        if (rc != CLI_OK) return rc;
        print_row(&row);
        printf("target, 24 h at 10 000 msg/s (%.0f M messages, 5 M backlog): wall <= %.0f s: %s "
               "(%.2f s, cpu %.2f s); peak RSS < %.0f MiB: %s (%.0f MiB)\n",
               row.messages / 1e6, TARGET_DAY_WALL_S,
               row.wall_s <= TARGET_DAY_WALL_S ? "met" : "NOT met", row.wall_s, row.cpu_s,
               TARGET_RSS_MIB, row.rss_mib < TARGET_RSS_MIB ? "met" : "NOT met", row.rss_mib);
        return CLI_OK;
    }
    if (!(scale > 0 && scale <= 10)) {
        fprintf(stderr, "mqsim bench e2e: --scale expects 0 < F <= 10\n");
        return CLI_USAGE;
    }
    e2e_row row;
    int rc = run_scaled(file, scale, false, &row);
    if (rc == CLI_OK) print_row(&row);
    return rc;
}
