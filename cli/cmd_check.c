/*
** cmd_check.c - `mqsim check FILE`: load and validate a scenario, print its
** one-line summary (exit 0) or the loader's "FILE:LINE:COL: message" on
** stderr (exit 2). All the work is in io/scn_load.c; this file only parses
** the command line and prints.
*/
#include "cli/cli.h"
#include "cli/cli_limits.h"

#include "io/scn_load.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
        "usage: mqsim check FILE [--max-memory SIZE] [--max-events N]\n"
        "\n"
        "Validate a scenario file. On success print a one-line summary and\n"
        "exit 0; on error print FILE:LINE:COL: message and exit 2. A scenario\n"
        "whose estimated memory or event count is beyond the size ceiling\n"
        "(docs/SCENARIO.md, \"Size ceiling\") is an error too:\n"
        CLI_LIMITS_USAGE
        "The scenario language is described in docs/SCENARIO.md.\n");
}

int cli_check(int argc, char **argv)
{
    const char *file = NULL;
    mq_limits lim = CLI_LIMITS_DEFAULT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int l = cli_limits_arg("check", argc, argv, &i, &lim);
        if (l < 0) return CLI_USAGE;
        if (l > 0) continue;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return CLI_OK;
        }
        if (!strcmp(a, "--")) {
            if (i + 1 < argc && !file) file = argv[++i];
            if (i + 1 < argc) {
                fprintf(stderr, "mqsim check: too many arguments\n");
                usage(stderr);
                return CLI_USAGE;
            }
            break;
        }
        if (a[0] == '-' && a[1]) {
            fprintf(stderr, "mqsim check: unknown option '%s'\n", a);
            usage(stderr);
            return CLI_USAGE;
        }
        if (file) {
            fprintf(stderr, "mqsim check: too many arguments ('%s')\n", a);
            usage(stderr);
            return CLI_USAGE;
        }
        file = a;
    }
    if (!file) {
        fprintf(stderr, "mqsim check: missing FILE\n");
        usage(stderr);
        return CLI_USAGE;
    }
    mq_scenario s;
    sim_err err = {{0}};
    if (scn_load_file(file, &s, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return CLI_USAGE;
    }
    if (cli_limits_check(&s, &lim)) {
        mq_scenario_free(&s);
        return CLI_USAGE;
    }
    char line[1024];
    scn_summary(&s, line, sizeof line);
    printf("%s\n", line);
    for (size_t i = 0; i < s.warnings.n; i++) printf("warning: %s\n", s.warnings.v[i]);
    mq_scenario_free(&s);
    return CLI_OK;
}
