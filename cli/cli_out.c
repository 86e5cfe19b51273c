/*
** cli_out.c - the subcommands' results-folder claim; see cli_out.h.
*/
#include "cli/cli_out.h"
#include "cli/cli_par.h"

#include <stdio.h>

static void report_stale(const out_dir *od, const char *cmd)
{
    if (od->stale)
        fprintf(stderr, "mqsim %s: removed %d unfinished results folder%s of killed runs "
                "beside %s\n", cmd, od->stale, od->stale == 1 ? "" : "s", od->final);
}

int cli_out_begin(out_dir *od, const char *cmd, const char *out, const char *name,
                  const char *suffix, char *final, size_t flen)
{
    *od = (out_dir){.lock_fd = -1};
    if (out) snprintf(final, flen, "%s", out);
    else snprintf(final, flen, "results/%s%s", name, suffix);
    if (par_rank() != 0) return 0;
    sim_err err = {{0}};
    if (out_dir_begin(od, final, &err)) {
        fprintf(stderr, "mqsim %s: --out: %s\n", cmd, err.msg);
        return -1;
    }
    report_stale(od, cmd);
    return 0;
}

int cli_out_lock(out_dir *od, const char *cmd, const char *dir)
{
    sim_err err = {{0}};
    if (out_dir_lock(od, dir, &err)) {
        fprintf(stderr, "mqsim %s: %s\n", cmd, err.msg);
        return -1;
    }
    report_stale(od, cmd);
    return 0;
}

int cli_out_commit(out_dir *od, const char *cmd)
{
    sim_err err = {{0}};
    if (!od->final) return 0;
    if (out_dir_commit(od, &err)) {
        fprintf(stderr, "mqsim %s: writing results: %s\n", cmd, err.msg);
        return -1;
    }
    return 0;
}
