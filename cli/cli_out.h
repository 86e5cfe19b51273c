/*
** cli_out.h - how every subcommand claims its results folder.
**
** One call shared by run, sweep, plan and load (and a lock for report,
** which adds files to a finished folder), so the rules are the same
** everywhere: the folder is --out or results/<scenario name><suffix>; it is
** claimed through out_dir (lock, writability, temporary sibling folder)
** before any simulation or load starts; a failure prints
** "mqsim CMD: --out: why" and the command exits 2. Stale temporary folders
** of killed runs that out_dir deleted are reported on stderr. Under mpirun
** only rank 0 writes, so the other ranks get an empty out_dir (commit and
** abort are no-ops on it) and claim nothing.
*/
#ifndef CLI_OUT_H
#define CLI_OUT_H

#include "io/out_dir.h"

#include <stddef.h>

/* Fill final[flen] with the results folder's path and claim it into *od.
** 0 ok, -1 after printing the error (exit with CLI_USAGE). */
int cli_out_begin(out_dir *od, const char *cmd, const char *out, const char *name,
                  const char *suffix, char *final, size_t flen);

/* `report`: lock the existing folder dir into *od (out_dir_lock), with the
** same messages. 0 ok, -1 after printing the error (exit with CLI_USAGE). */
int cli_out_lock(out_dir *od, const char *cmd, const char *dir);

/* Swap the folder in; prints "mqsim CMD: writing results: why" and returns
** -1 on failure (exit with CLI_INTERNAL). */
int cli_out_commit(out_dir *od, const char *cmd);

#endif
