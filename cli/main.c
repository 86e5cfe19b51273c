/*
** main.c - mqsim's entry point: dispatch to a subcommand (see cli.h).
*/
#include "cli/cli.h"
#include "io/out_meta.h" /* MQSIM_VERSION */
#include "io/scn_yaml.h"

#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <string.h>


static void usage(FILE *f)
{
    fprintf(f,
        "mqsim %s - simulate what a message-queue instance change does to its clients\n"
        "\n"
        "usage: mqsim COMMAND [ARGS]\n"
        "\n"
        "commands:\n"
        "  check FILE                 validate a scenario; exit 2 with file:line:col on error\n"
        "  run FILE|- [--seed N] [--out DIR] [--progress]\n"
        "                             simulate a scenario and write summary.csv,\n"
        "                             summary.json, timeseries.csv and plots\n"
        "  report DIR                 write report.html and report.md from a results folder\n"
        "  compare OLD NEW [--tolerance PCT] [--abs-tolerance KEY=X] [--junit F] [--json F]\n"
        "                             CI regression check between two results folders\n"
        "  load FILE --broker URL | --start-broker [--duration T] [--out DIR]\n"
        "                             run the scenario against a real RabbitMQ broker\n"
        "  capture --broker http://HOST:PORT [--window T] [--out FILE]\n"
        "                             sample a live RabbitMQ's management API and write\n"
        "                             the scenario (standard output by default)\n"
        "  bench hold|cancel [...]    engine benchmarks (see `mqsim bench --help`)\n"
        "  validate [--replications R] closed-form queueing cases -> docs/VALIDATION.md\n"
        "  sweep FILE --set KEY=V1,V2 [--replications R] [--jobs N]\n"
        "                             grid of runs; mpirun -n K splits it over ranks\n"
        "  plan FILE --vary KEY --range LO..HI\n"
        "                             smallest KEY at which the budget passes (bisection);\n"
        "                             exit 3 when no value in the range passes\n"
        "  metrics [--markdown]       every summary metric: unit, direction, definition\n"
        "  version                    print the version\n"
        "\n"
        "exit status: 0 ok, 1 internal error, 2 bad input or usage, 3 budget exceeded,\n"
        "             4 regression found by compare\n",
        MQSIM_VERSION);
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off(); /* report GSL errors through statuses */
    if (argc < 2) { usage(stderr); return CLI_USAGE; }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("mqsim %s\n", MQSIM_VERSION);
        return CLI_OK;
    }
    if (!strcmp(cmd, "check")) return cli_check(argc - 1, argv + 1);
    if (!strcmp(cmd, "run")) return cli_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "bench")) return cli_bench(argc - 1, argv + 1);
    if (!strcmp(cmd, "load")) return cli_load(argc - 1, argv + 1);
    if (!strcmp(cmd, "capture")) return cli_capture(argc - 1, argv + 1);
    if (!strcmp(cmd, "report")) return cli_report(argc - 1, argv + 1);
    if (!strcmp(cmd, "compare")) return cli_compare(argc - 1, argv + 1);
    if (!strcmp(cmd, "validate")) return cli_validate(argc - 1, argv + 1);
    if (!strcmp(cmd, "sweep")) return cli_sweep(argc - 1, argv + 1);
    if (!strcmp(cmd, "plan")) return cli_plan(argc - 1, argv + 1);
    if (!strcmp(cmd, "metrics")) return cli_metrics(argc - 1, argv + 1);
    static const char *const cmds[] = {"check", "run", "bench", "load", "report", "compare",
                                       "validate", "sweep", "plan", "metrics", "version", NULL};
    const char *s = scn_suggest(cmd, cmds, sizeof cmds / sizeof *cmds - 1);
    if (s) fprintf(stderr, "mqsim: unknown command '%s'; did you mean '%s'?\n", cmd, s);
    else fprintf(stderr, "mqsim: unknown command '%s'\n", cmd);
    usage(stderr);
    return CLI_USAGE;
}
