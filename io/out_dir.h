/*
** out_dir.h - a results folder replaced as one unit.
**
** A run owns its results folder: every file of the run goes into a fresh
** temporary sibling folder, and only when the whole set is written is it
** swapped in for the old folder with one atomic rename
** (renameat2(RENAME_EXCHANGE)), after which the previous folder is deleted.
** A reader therefore sees either the complete old folder or the complete
** new one; a run that fails or is killed at any moment leaves the old folder
** as it was, and no file of an older run can sit beside the new ones.
**
** Names, for a results folder P/B:
**   P/.B.lock        lock file; flock(LOCK_EX) held from begin to the end
**                    of commit/abort. The kernel drops it when the process
**                    dies, so a killed run never leaves a stuck lock. A
**                    second writer is refused (OUT_DIR_BUSY).
**   P/.B.tmp-PID-N   the run's temporary folder. After the exchange
**                    it holds the old folder until it is deleted.
**   P/.B.old         only on file systems without RENAME_EXCHANGE: the old
**                    folder during the two-rename fallback.
** Under the lock, any .B.tmp-* folder belongs to a run that died, so begin
** deletes it (and counts it in `stale`); a .B.old with no B is the old
** folder of an interrupted fallback swap and is renamed back. A run that
** runs out of memory (sim_oom, which _exits) deletes its own temporary
** folder first: begin registers it with sim_oom_set_hook, and the hook
** removes it with system calls only (async-signal-safe, no allocation).
** Only a run killed outright (SIGKILL, power loss) leaves one behind, for
** the next run into the same folder to delete.
**
** begin also is the up-front writability check: it creates the parent,
** the lock and the temporary folder before any simulation runs. An existing
** B that is neither empty nor an mqsim results folder (no summary.json,
** summary.csv, sweep.csv or plan.csv) is refused rather than replaced, so a
** mistyped --out can never delete a folder of other files.
**
** Usage (a run; `report` uses out_dir_lock / out_dir_unlock):
**     out_dir d;
**     if (out_dir_begin(&d, "results/x", err)) -> exit 2
**     ... write files into d.tmp ...
**     if (out_dir_commit(&d, err)) -> exit 1   (or out_dir_abort(&d))
** Ownership: the strings in out_dir are owned; commit and abort free them
** and zero the struct, so abort is safe after commit and twice.
*/
#ifndef OUT_DIR_H
#define OUT_DIR_H

#include "sim/sim_err.h"

typedef struct out_dir {
    char *final;  /* the results folder (owned) */
    char *tmp;    /* where this run writes (owned) */
    char *parent; /* final's parent folder (owned) */
    char *base;   /* final's last component (owned) */
    int lock_fd;  /* -1 when not held */
    int stale;    /* temporary folders of killed runs deleted by begin */
    int oom_slot; /* 1 + its slot in the out-of-memory cleanup list; 0 none */
} out_dir;

/* Take the lock, clean up after killed runs, create the temporary folder.
** -1 with err filled when the folder cannot be written, is locked by
** another run, or is not a results folder; *d is zeroed then. */
int out_dir_begin(out_dir *d, const char *final, sim_err *err);

/* Swap the temporary folder in and delete the previous one. On failure the
** previous folder is left in place, the temporary one is deleted and -1 is
** returned with err filled. Either way the lock is released. */
int out_dir_commit(out_dir *d, sim_err *err);

/* Delete the temporary folder and release the lock; the results folder is
** untouched. A no-op on a zeroed or finished out_dir. */
void out_dir_abort(out_dir *d);

/* For a command that adds files to an existing results folder in place
** (`report`): take the folder's lock and clean up after killed runs, so
** no run swaps the folder while the command reads and writes it, and the
** command does not write into a folder a run is replacing. No temporary
** folder is made (d->tmp is NULL). -1 with err filled when the folder does
** not exist or another process holds the lock; *d is zeroed then.
** Release with out_dir_unlock. */
int out_dir_lock(out_dir *d, const char *final, sim_err *err);
/* Release the lock of out_dir_lock. A no-op on a zeroed out_dir. */
void out_dir_unlock(out_dir *d);

#endif
