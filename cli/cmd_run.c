/*
** cmd_run.c - `mqsim run FILE [--seed N] [--out DIR] [--progress]`.
**
** scenario file -> scn_load -> mq_model_run -> out_run_write. Outputs are
** written only after the model has finished and its accounting check has
** passed, and each file is replaced atomically, so a failed run leaves the
** previous contents of the results folder intact.
*/
#include "cli/cli.h"
#include "io/out_json.h"
#include "io/out_run.h"
#include "io/scn_load.h"
#include "models/mq_model.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef MQSIM_VERSION
#define MQSIM_VERSION "0.1.0"
#endif

static void run_usage(FILE *f)
{
    fprintf(f,
        "usage: mqsim run FILE [--seed N] [--out DIR] [--progress]\n"
        "  FILE        scenario (YAML); see docs/SCENARIO.md\n"
        "  --seed N    master seed (default: the scenario's run.seed)\n"
        "  --out DIR   results folder (default: results/<scenario name>/)\n"
        "  --progress  show progress on stderr (default: when stderr is a terminal)\n"
        "writes summary.csv, summary.json, timeseries.csv, delay.png, backlog.png,\n"
        "clients.png and disruption.png\n");
}

static int parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-') return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) return -1;
    *out = v;
    return 0;
}

static const char *metric_text(const sim_metrics *m, const char *name, char *buf, size_t n)
{
    const sim_metric *x = sim_metrics_find(m, name);
    if (!x) snprintf(buf, n, "-");
    else snprintf(buf, n, "%.6g%s%s", x->value, *x->unit ? " " : "", x->unit);
    return buf;
}

int cli_run(int argc, char **argv)
{
    const char *file = NULL, *out = NULL;
    uint64_t seed = 0;
    int have_seed = 0, progress = isatty(2);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            run_usage(stdout);
            return CLI_OK;
        } else if (!strcmp(a, "--seed")) {
            if (i + 1 >= argc || parse_u64(argv[++i], &seed)) {
                fprintf(stderr, "mqsim run: --seed expects a non-negative integer\n");
                return CLI_USAGE;
            }
            have_seed = 1;
        } else if (!strcmp(a, "--out")) {
            if (i + 1 >= argc || !*argv[i + 1]) {
                fprintf(stderr, "mqsim run: --out expects a folder\n");
                return CLI_USAGE;
            }
            out = argv[++i];
        } else if (!strcmp(a, "--progress")) {
            progress = 1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "mqsim run: unknown option '%s'\n", a);
            run_usage(stderr);
            return CLI_USAGE;
        } else if (!file) {
            file = a;
        } else {
            fprintf(stderr, "mqsim run: more than one scenario file given ('%s')\n", a);
            return CLI_USAGE;
        }
    }
    if (!file) {
        run_usage(stderr);
        return CLI_USAGE;
    }

    sim_err err = {{0}};
    mq_scenario sc;
    if (scn_load_file(file, &sc, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return CLI_USAGE;
    }
    mq_run_opts opts = {
        .seed = have_seed ? seed : sc.run.seed,
        .progress = progress ? sim_progress_stderr : NULL,
    };
    mq_result res;
    if (mq_model_run(&sc, &opts, &res, &err)) {
        fprintf(stderr, "mqsim run: %s: %s\n", file, err.msg);
        mq_scenario_free(&sc);
        return CLI_INTERNAL;
    }

    char dir[4096];
    if (out) snprintf(dir, sizeof dir, "%s", out);
    else snprintf(dir, sizeof dir, "results/%s", sc.name);

    json_t *meta = json_object();
    json_object_set_new(meta, "mqsim_version", json_string(MQSIM_VERSION));
    json_object_set_new(meta, "mode", json_string("sim"));
    json_object_set_new(meta, "seed", json_integer((json_int_t)opts.seed));
    json_object_set_new(meta, "replications", json_integer(1));
    char fp[32];
    snprintf(fp, sizeof fp, "%016" PRIx64, res.fingerprint);
    json_object_set_new(meta, "trace_fingerprint", json_string(fp));
    json_object_set_new(meta, "scenario", out_scenario_json(&sc));
    json_t *warn = json_array();
    for (size_t i = 0; i < sc.warnings.n; i++) json_array_append_new(warn, json_string(sc.warnings.v[i]));
    for (size_t i = 0; i < res.warnings.n; i++) json_array_append_new(warn, json_string(res.warnings.v[i]));
    json_object_set_new(meta, "warnings", warn);

    int rc = CLI_OK;
    if (out_run_write(dir, &res, meta, &err)) {
        fprintf(stderr, "mqsim run: writing results: %s\n", err.msg);
        rc = CLI_INTERNAL;
    } else {
        char a[64], b[64], c[64], d[64], e[64], f[64];
        const sim_metrics *m = &res.metrics;
        printf("%s: seed %" PRIu64 ", %" PRIu64 " events\n", sc.name, opts.seed, res.events);
        printf("  published %s, consumed %s, duplicates %s, lost %s\n",
               metric_text(m, "messages_published", a, sizeof a),
               metric_text(m, "messages_consumed", b, sizeof b),
               metric_text(m, "duplicates", c, sizeof c), metric_text(m, "lost", d, sizeof d));
        printf("  delay p50 %s, p99 %s, max %s\n", metric_text(m, "delay_p50_s", a, sizeof a),
               metric_text(m, "delay_p99_s", b, sizeof b), metric_text(m, "delay_max_s", c, sizeof c));
        printf("  longest cut-off %s, drain time %s (fluid estimate %s)\n",
               metric_text(m, "disruption_max_s", d, sizeof d),
               metric_text(m, "drain_time_s", e, sizeof e),
               metric_text(m, "drain_time_fluid_s", f, sizeof f));
        for (size_t i = 0; i < sc.warnings.n; i++) printf("  warning: %s\n", sc.warnings.v[i]);
        for (size_t i = 0; i < res.warnings.n; i++) printf("  warning: %s\n", res.warnings.v[i]);
        printf("  results in %s/\n", dir);
    }
    json_decref(meta);
    mq_result_free(&res);
    mq_scenario_free(&sc);
    return rc;
}
