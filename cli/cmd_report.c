/*
** cmd_report.c - `mqsim report DIR`: write DIR/report.html and DIR/report.md
** from a results folder (io/report.h does the work; this parses the
** command line, holds the folder's lock while the report is written, and
** prints). A folder another mqsim process is writing is refused (exit 2).
*/
#include "cli/cli.h"
#include "cli/cli_out.h"
#include "io/report.h"

#include <stdio.h>
#include <string.h>

int cli_report(int argc, char **argv)
{
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("usage: mqsim report DIR\n"
                   "  writes DIR/report.html (self-contained, plots embedded) and\n"
                   "  DIR/report.md from the summary.json and plots of a results folder\n");
            return CLI_OK;
        }
        if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "mqsim report: unknown option '%s'\n", argv[i]);
            return CLI_USAGE;
        }
        if (dir) {
            fprintf(stderr, "mqsim report: more than one folder given ('%s')\n", argv[i]);
            return CLI_USAGE;
        }
        dir = argv[i];
    }
    if (!dir) {
        fprintf(stderr, "usage: mqsim report DIR\n");
        return CLI_USAGE;
    }
    /* the folder's lock: no run swaps the folder while the report reads
    ** and writes it; a folder a run is writing is refused, not waited for */
    out_dir od;
    if (cli_out_lock(&od, "report", dir)) return CLI_USAGE;
    sim_err err = {{0}};
    int rc = report_write(dir, &err);
    out_dir_unlock(&od);
    if (rc) {
        fprintf(stderr, "mqsim report: %s\n", err.msg);
        return CLI_USAGE;
    }
    printf("%s/report.html\n%s/report.md\n", dir, dir);
    return CLI_OK;
}
