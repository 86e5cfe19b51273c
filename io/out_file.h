/*
** out_file.h - atomic output files and mkdir -p.
**
** Every result file mqsim writes (CSV, JSON, PNG) goes through out_file: the
** bytes go to a temp file in the target's own directory
** (".<name>.tmp.<pid>.<n>"), which is flushed, fsync'ed, closed and then
** rename()d over the target. rename() within one file system is atomic, so a
** reader sees either the old file or the complete new one, never half of it,
** and a crash or a write error (disk full) leaves the previous result intact.
** The temp name carries the pid and a per-process counter and is created with
** O_EXCL, so concurrent writers (threads or processes) never share a temp.
**
** Usage:
**     out_file f;
**     if (out_file_open(&f, "results/x.csv", err)) return -1;
**     fprintf(f.fp, ...);                     // any stdio writes
**     if (failed) { out_file_abort(&f); return -1; }
**     return out_file_commit(&f, err);        // checks every write
**
** Writers need not check each fprintf: ferror() is checked at commit.
** After commit or abort the struct is zeroed, so abort is safe to call again.
*/
#ifndef OUT_FILE_H
#define OUT_FILE_H

#include "sim/sim_err.h"

#include <stdbool.h>
#include <stdio.h>

typedef struct out_file {
    FILE *fp;       /* the temp file, opened "wb"; write here */
    char *tmp_path; /* owned; freed by commit/abort */
    char *path;     /* owned copy of the target path */
} out_file;

/* Create the temp file next to `path`. The directory must exist (see
** out_mkdir_p). The new file gets mode 0666 & ~umask, like fopen(). On error
** returns -1, fills err with "path: cannot create ...: <strerror>" and leaves
** *f zeroed. */
int out_file_open(out_file *f, const char *path, sim_err *err);

/* Flush, check ferror, fsync, close and rename the temp over the target,
** then fsync the directory (best effort) unless the caller does that
** later (out_file_defer_dir_sync). On any failure the temp is
** unlinked, the target is untouched, and -1 is returned with err filled.
** Either way *f is released and zeroed. */
int out_file_commit(out_file *f, sim_err *err);

/* While `dir` is marked (on = true), out_file_commit of a file directly in
** it skips the directory fsync: the caller fsyncs dir once after its last
** file. out_dir.c marks its temp folder, which it fsyncs before swapping
** it in, so a run's ten or so result files cost one directory fsync instead
** of one each (on ext4 each is a journal commit, about 7 ms on this VM).
** Unmark before dir is removed. Thread-safe; up to 64 folders are marked at
** once, and a folder past that is simply not marked (every fsync is done).
** The string is copied. */
void out_file_defer_dir_sync(const char *dir, bool on);

/* Close and unlink the temp; the target is untouched. A no-op on a zeroed or
** already committed/aborted out_file (safe to call twice). */
void out_file_abort(out_file *f);

/* Open `path` for reading if it is a regular file. The open itself is
** non-blocking, so a FIFO or device planted under a results file name
** (summary.json, summary.csv, a plot) is refused with "not a regular file"
** instead of blocking the reader forever; the stream is blocking again
** when returned. NULL with err filled (errno kept: ENOENT for a missing
** file) on failure. The caller fcloses. */
FILE *out_open_read(const char *path, sim_err *err);

/* Read the whole regular file `path` (out_open_read) into a malloc'ed,
** NUL-terminated *buf of *len bytes (len may be NULL) the caller frees.
** -1 with err filled when it cannot be opened or read. */
int out_read_all(const char *path, char **buf, size_t *len, sim_err *err);

/* Create `dir` and any missing parents (mode 0777 & ~umask). An existing
** directory is fine; an existing non-directory is an error. */
int out_mkdir_p(const char *dir, sim_err *err);

#endif
