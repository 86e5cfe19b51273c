/*
** bench_e2e.c - `mqsim bench e2e [--scale F] [--file FILE]`: the end-to-end
** benchmark. Runs scenarios/bench/e2e-conversion.yaml (a RabbitMQ
** dedicated -> shared conversion, 10 000 msg/s, 1 000 clients, 5 M
** stacked messages, 1 h) with its duration, backlog and change start scaled
** by F, on one core, and prints one line with messages, events, wall time,
** events/s, messages/s and the process's peak RSS. `make bench` runs it at
** F = 0.01, 0.1 and 1 in separate processes (peak RSS is per process), which
** is the 1x / 10x / 100x scaling curve.
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
#include <time.h>

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cli_bench_e2e(int argc, char **argv)
{
    const char *file = "scenarios/bench/e2e-conversion.yaml";
    double scale = 1.0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--scale") && i + 1 < argc) scale = atof(argv[++i]);
        else if (!strcmp(argv[i], "--file") && i + 1 < argc) file = argv[++i];
        else {
            fprintf(stderr, "usage: mqsim bench e2e [--scale F (0 < F <= 10)] [--file FILE]\n");
            return CLI_USAGE;
        }
    }
    if (!(scale > 0 && scale <= 10)) {
        fprintf(stderr, "mqsim bench e2e: --scale expects 0 < F <= 10\n");
        return CLI_USAGE;
    }
    sim_err err = {{0}};
    mq_scenario s;
    if (scn_load_file(file, &s, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return CLI_USAGE;
    }
    /* scale what grows with the message count, keeping rates and clients */
    char dur[32], backlog[32], at[32];
    snprintf(dur, sizeof dur, "%.6gs", s.run.duration_s * scale);
    snprintf(backlog, sizeof backlog, "%.0f",
             s.nbacklogs ? floor((double)s.backlogs[0].messages * scale) : 0.0);
    snprintf(at, sizeof at, "%.6gs", s.run.duration_s * scale / 6.0);
    double sample = s.run.sample_s;
    mq_scenario_free(&s);
    char smp[32];
    snprintf(smp, sizeof smp, "%.6gs", fmin(sample, fmax(0.001, 3600.0 * scale / 360.0)));
    const char *keys[] = {"run.duration", "backlog[0].messages", "rabbitmq_conversion.at",
                          "run.sample_interval"};
    const char *vals[] = {dur, backlog, at, smp};
    if (scn_load_with(file, keys, vals, 4, &s, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return CLI_USAGE;
    }
    mq_run_opts o = {.seed = s.run.seed};
    mq_result r;
    double t0 = wall();
    int rc = mq_model_run(&s, &o, &r, &err);
    double el = wall() - t0;
    if (rc) {
        fprintf(stderr, "mqsim bench e2e: %s\n", err.msg);
        mq_scenario_free(&s);
        return CLI_INTERNAL;
    }
    const sim_metric *pub = sim_metrics_find(&r.metrics, "messages_published");
    double msgs = pub ? pub->value : NAN;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("bench e2e: scale=%g duration=%s clients=%d messages=%.0f events=%llu wall_s=%.2f "
           "events_per_s=%.0f messages_per_s=%.0f peak_rss_mib=%.0f\n",
           scale, dur, (int)(s.nproducers ? s.producers[0].count : 0) +
                           (int)(s.nconsumers ? s.consumers[0].count : 0),
           msgs, (unsigned long long)r.events, el, (double)r.events / el, msgs / el,
           (double)ru.ru_maxrss / 1024.0);
    mq_result_free(&r);
    mq_scenario_free(&s);
    return CLI_OK;
}
