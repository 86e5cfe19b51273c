/*
** cmd_load.c - `mqsim load FILE --broker amqp://HOST:PORT [--start-broker]
** [--duration T] [--out DIR] [--allow-remote] [--clients real]`: run the scenario's clients
** against a real RabbitMQ broker (load/lt_run.h) and write the same outputs
** as `mqsim run`, with "mode": "real" in summary.json.
**
** The broker address is parsed and checked against the loopback rule before
** anything connects. Exit status: 0 ok; 2 usage, bad scenario, refused
** address, or a broker that is down, unreachable, refuses the login or does
** not speak AMQP (every step has a time limit, so this never hangs);
** 1 when writing results fails. Results are written only after the run, each
** file atomically, so a failed run leaves earlier results intact.
*/
#include "cli/cli.h"
#include "cli/cli_out.h"
#include "cli/cli_text.h"
#include "io/out_meta.h"
#include "io/out_run.h"
#include "io/scn_load.h"
#include "io/units.h"
#include "load/lt_run.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void load_usage(FILE *f)
{
    fprintf(f,
        "usage: mqsim load FILE (--broker amqp://HOST:PORT | --start-broker)\n"
        "                  [--duration T] [--out DIR] [--allow-remote] [--clients real]\n"
        "  FILE            scenario (YAML); see docs/SCENARIO.md\n"
        "  --broker URL    an existing broker (loopback only unless --allow-remote)\n"
        "  --start-broker  start a private rabbitmq-server on loopback and stop it after\n"
        "  --duration T    run at most T (e.g. 45s; default: the scenario's run.duration)\n"
        "  --out DIR       results folder (default: results/<scenario name>-real/)\n"
        "  --allow-remote  permit a broker outside loopback\n"
        "  --clients real  run each group with the real library its profile names (Java\n"
        "                  client, pika, amqp091-go; load/clients/) instead of the C\n"
        "                  emulation; a library missing here is an error (exit 2)\n");
}

typedef struct load_args {
    const char *file, *out, *broker, *dur;
    lt_opts o;
} load_args;

/* The checks across options, once all are read. */
static int check_load_args(load_args *la)
{
    sim_err err = {{0}};
    if (!la->file || (!la->broker && !la->o.start_broker)) {
        load_usage(stderr);
        return -1;
    }
    if (la->broker && la->o.start_broker) { /* which broker would be measured? */
        fprintf(stderr, "mqsim load: --broker and --start-broker exclude each other: "
                        "--start-broker runs against its own private node\n");
        return -1;
    }
    if (la->broker && !la->o.start_broker) { /* the loopback rule, before anything else */
        lt_url u;
        if (lt_check_target(la->broker, la->o.allow_remote, &u, &err)) {
            fprintf(stderr, "mqsim load: %s\n", err.msg);
            return -1;
        }
    }
    if (la->dur && (units_duration(la->dur, &la->o.duration_s, &err) || la->o.duration_s <= 0)) {
        fprintf(stderr, "mqsim load: --duration: %s\n", la->o.duration_s <= 0 && !err.msg[0]
                ? "must be > 0" : err.msg);
        return -1;
    }
    la->o.broker_url = la->broker;
    return 0;
}

/* 0 ok, 1 help printed, -1 usage error (printed). Checks the broker
** address against the loopback rule before anything connects. */
static int parse_load_args(int argc, char **argv, load_args *la)
{
    *la = (load_args){0};
    lt_opts *o = &la->o;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            load_usage(stdout);
            return 1;
        } else if (!strcmp(a, "--broker") || !strcmp(a, "--out") || !strcmp(a, "--duration")) {
            if (i + 1 >= argc || !*argv[i + 1]) {
                fprintf(stderr, "mqsim load: %s expects a value\n", a);
                return -1;
            }
            const char *v = argv[++i];
            *(!strcmp(a, "--broker") ? &la->broker : !strcmp(a, "--out") ? &la->out : &la->dur) = v;
        } else if (!strcmp(a, "--start-broker")) {
            o->start_broker = true;
        } else if (!strcmp(a, "--clients")) {
            if (i + 1 >= argc || (strcmp(argv[i + 1], "real") && strcmp(argv[i + 1], "emulated"))) {
                fprintf(stderr, "mqsim load: --clients expects real or emulated\n");
                return -1;
            }
            o->real_clients = !strcmp(argv[++i], "real");
        } else if (!strcmp(a, "--allow-remote")) {
            o->allow_remote = true;
        } else if (a[0] == '-' && a[1]) {
            static const char *const flags[] = {"--broker", "--out", "--duration", "--start-broker",
                                                "--allow-remote", "--help", NULL};
            cli_unknown_option("load", a, flags);
            load_usage(stderr);
            return -1;
        } else if (!la->file) {
            la->file = a;
        } else {
            fprintf(stderr, "mqsim load: more than one scenario file given ('%s')\n", a);
            return -1;
        }
    }
    return check_load_args(la);
}

/* The console summary of a real run. */
static void print_load(const mq_scenario *sc, const mq_result *res, const lt_info *info,
                       const char *final_dir)
{
    char a[64], b[64];
    const sim_metrics *m = &res->metrics;
    printf("%s (real, %s, %.0f s)\n", sc->name, info->broker, info->duration_s);
    cli_print_flow(m, cli_metric_text);
    printf("  longest cut-off %s, clients disrupted %s\n",
           cli_metric_text(m, "disruption_max_s", a, sizeof a),
           cli_metric_text(m, "clients_disrupted", b, sizeof b));
    if (!isnan(info->broker_startup_s)) printf("  broker started in %.1f s\n", info->broker_startup_s);
    for (size_t i = 0; i < res->warnings.n; i++) printf("  warning: %s\n", res->warnings.v[i]);
    printf("  results in %s/\n", final_dir);
}

int cli_load(int argc, char **argv)
{
    load_args la;
    int pr = parse_load_args(argc, argv, &la);
    if (pr) return pr > 0 ? CLI_OK : CLI_USAGE;
    sim_err err = {{0}};
    mq_scenario sc;
    if (scn_load_file(la.file, &sc, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return CLI_USAGE;
    }
    out_dir od;
    char final_dir[4096];
    if (cli_out_begin(&od, "load", la.out, sc.name, "-real", final_dir, sizeof final_dir)) {
        mq_scenario_free(&sc);
        return CLI_USAGE;
    }
    mq_result res;
    lt_info info;
    if (lt_run(&sc, &la.o, &res, &info, &err)) {
        fprintf(stderr, "mqsim load: %s: %s\n", la.file, err.msg);
        out_dir_abort(&od);
        mq_scenario_free(&sc);
        return CLI_USAGE;
    }
    json_t *meta = out_meta_real(&sc, &res, info.broker, la.o.start_broker, info.duration_s,
                                 info.drain_s);
    int rc = CLI_OK;
    if (out_run_write(od.tmp, &res, meta, true, &err)) {
        fprintf(stderr, "mqsim load: writing results: %s\n", err.msg);
        rc = CLI_INTERNAL;
    } else if (cli_out_commit(&od, "load")) {
        rc = CLI_INTERNAL;
    } else {
        print_load(&sc, &res, &info, final_dir);
    }
    out_dir_abort(&od);
    json_decref(meta);
    mq_result_free(&res);
    mq_scenario_free(&sc);
    return rc;
}
