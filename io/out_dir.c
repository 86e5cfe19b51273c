/*
** out_dir.c - results folders swapped in whole; see out_dir.h for the
** contract and the names on disk. The swap is renameat2(RENAME_EXCHANGE),
** which Linux performs atomically on one file system; where a file system
** refuses it (EINVAL), two renames through P/.B.old stand in, and begin
** repairs a swap interrupted between them. The out-of-memory cleanup works
** with system calls only, because sim_oom may run with the heap exhausted.
*/
#define _GNU_SOURCE /* renameat2, RENAME_EXCHANGE */
#include "io/out_dir.h"
#include "io/out_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* "P/.B<suffix>" (malloc'ed; NULL when out of memory). */
static char *sibling(const out_dir *d, const char *suffix)
{
    size_t n = strlen(d->parent) + strlen(d->base) + strlen(suffix) + 4;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s/.%s%s", d->parent, d->base, suffix);
    return s;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return (flag == FTW_DP ? rmdir(path) : unlink(path)) == 0 || errno == ENOENT ? 0 : -1;
}

/* rm -rf path (never follows symbolic links). */
static int rm_tree(const char *path)
{
    return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- the out-of-memory path -------------------------------------------- */

/* Temporary folders of the out_dirs in progress, for sim_oom to delete
** (a sweep or plan holds one out_dir; a few slots spare). A slot's path is
** written before the slot is marked used and is not touched while used. */
#define TMP_CLEANUP_SLOTS 4
static char oom_tmp[TMP_CLEANUP_SLOTS][PATH_MAX];
static volatile sig_atomic_t oom_used[TMP_CLEANUP_SLOTS];

/* rm -rf of entry `name` of folder dfd with system calls only (openat,
** getdents64, unlinkat, lseek, close): async-signal-safe, no allocation,
** at most `depth` folder levels deep, never following a symbolic link. A
** folder is rescanned from its start until a pass removes nothing. */
static void rm_at(int dfd, const char *name, int depth)
{
    if (unlinkat(dfd, name, 0) == 0 || errno != EISDIR) return;
    int fd = depth > 0 ? openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
    for (int pass = 0, removed = 1; fd >= 0 && removed && pass < 16; pass++) {
        char buf[2048];
        long n;
        removed = 0;
        lseek(fd, 0, SEEK_SET);
        while ((n = (long)getdents64(fd, buf, sizeof buf)) > 0)
            for (long off = 0; off < n;) {
                struct dirent64 *e = (struct dirent64 *)(void *)(buf + off);
                off += e->d_reclen;
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
                rm_at(fd, e->d_name, depth - 1);
                removed = 1;
            }
    }
    if (fd >= 0) close(fd);
    unlinkat(dfd, name, AT_REMOVEDIR);
}

/* sim_oom's hook: delete every temporary folder in progress. */
static void oom_cleanup(void)
{
    for (int i = 0; i < TMP_CLEANUP_SLOTS; i++)
        if (oom_used[i]) rm_at(AT_FDCWD, oom_tmp[i], 8);
}

/* Register d->tmp for oom_cleanup (silently not, when every slot is taken
** or the path is too long: the next run into the folder deletes it). */
static void oom_register(out_dir *d)
{
    sim_oom_set_hook(oom_cleanup);
    size_t n = strlen(d->tmp);
    for (int i = 0; i < TMP_CLEANUP_SLOTS && n < PATH_MAX; i++) {
        if (oom_used[i]) continue;
        memcpy(oom_tmp[i], d->tmp, n + 1);
        oom_used[i] = 1;
        d->oom_slot = i + 1;
        return;
    }
}

static void release(out_dir *d)
{
    if (d->oom_slot) oom_used[d->oom_slot - 1] = 0;
    if (d->lock_fd >= 0) close(d->lock_fd); /* drops the flock */
    free(d->final);
    free(d->tmp);
    free(d->parent);
    free(d->base);
    *d = (out_dir){.lock_fd = -1};
}

/* Split final (trailing slashes removed; a symbolic link resolved) into
** parent and base. */
static int split_path(out_dir *d, const char *final, sim_err *err)
{
    char *f = strdup(final);
    SIM_NEED(f != NULL, "%s: out of memory", final);
    size_t len = strlen(f);
    while (len > 1 && f[len - 1] == '/') f[--len] = '\0';
    struct stat st;
    if (lstat(f, &st) == 0 && S_ISLNK(st.st_mode)) {
        char *r = realpath(f, NULL);
        if (!r) {
            free(f);
            return sim_err_set(err, "%s: dangling symbolic link", final);
        }
        free(f);
        f = r;
    }
    char *slash = strrchr(f, '/');
    const char *b = slash ? slash + 1 : f;
    if (!*b || !strcmp(b, ".") || !strcmp(b, "..")) {
        free(f);
        return sim_err_set(err, "%s: name a results folder of its own, not '.', '..' or '/'",
                           final);
    }
    d->final = f;
    d->base = strdup(b);
    d->parent = !slash ? strdup(".") : slash == f ? strdup("/") : strndup(f, (size_t)(slash - f));
    SIM_NEED(d->base && d->parent, "%s: out of memory", final);
    return 0;
}

static const char *const results_files[] = {"summary.json", "summary.csv", "sweep.csv",
                                            "plan.csv"};

/* 0 when final is missing, an empty folder or a results folder. */
static int owned(const out_dir *d, sim_err *err)
{
    struct stat st;
    if (stat(d->final, &st) != 0) return 0;
    if (!S_ISDIR(st.st_mode)) return sim_err_set(err, "%s: exists and is not a folder", d->final);
    DIR *dp = opendir(d->final);
    if (!dp) return sim_err_set(err, "%s: cannot read folder: %s", d->final, strerror(errno));
    int entries = 0, results = 0;
    for (struct dirent *e; (e = readdir(dp));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        entries++;
        for (size_t i = 0; i < sizeof results_files / sizeof *results_files; i++)
            if (!strcmp(e->d_name, results_files[i])) results = 1;
    }
    closedir(dp);
    if (entries && !results)
        return sim_err_set(err, "%s: holds files that are not mqsim results (no summary.json, "
                           "summary.csv, sweep.csv or plan.csv); choose another folder or "
                           "remove it", d->final);
    return 0;
}

/* Under the lock: delete .B.tmp-* of dead runs, undo an interrupted
** two-rename swap. */
static int recover(out_dir *d, sim_err *err)
{
    char *old = sibling(d, ".old");
    SIM_NEED(old != NULL, "out of memory");
    struct stat st;
    if (lstat(old, &st) == 0) {
        if (lstat(d->final, &st) != 0) {
            if (rename(old, d->final) != 0) {
                sim_err_set(err, "%s: cannot restore the previous results from %s: %s",
                            d->final, old, strerror(errno));
                free(old);
                return -1;
            }
        } else {
            rm_tree(old);
            d->stale++;
        }
    }
    free(old);
    DIR *dp = opendir(d->parent);
    if (!dp) return sim_err_set(err, "%s: cannot read folder: %s", d->parent, strerror(errno));
    size_t blen = strlen(d->base);
    for (struct dirent *e; (e = readdir(dp));) {
        const char *n = e->d_name;
        if (n[0] != '.' || strncmp(n + 1, d->base, blen) || strncmp(n + 1 + blen, ".tmp-", 5))
            continue;
        size_t cap = strlen(d->parent) + strlen(n) + 2;
        char *p = malloc(cap);
        if (!p) break;
        snprintf(p, cap, "%s/%s", d->parent, n);
        if (rm_tree(p) == 0) d->stale++;
        free(p);
    }
    closedir(dp);
    return 0;
}

/* Split final, take its lock (refused when another process holds it) and
** clean up after killed runs. *d holds the lock on success. */
static int take_lock(out_dir *d, const char *final, sim_err *err)
{
    if (!final || !*final) return sim_err_set(err, "results folder path is empty");
    if (split_path(d, final, err) || out_mkdir_p(d->parent, err)) return -1;
    char *lock = sibling(d, ".lock");
    SIM_NEED(lock != NULL, "out of memory");
    d->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (d->lock_fd < 0) {
        sim_err_set(err, "%s: cannot write here: %s", d->final, strerror(errno));
        free(lock);
        return -1;
    }
    free(lock);
    if (flock(d->lock_fd, LOCK_EX | LOCK_NB) != 0)
        return sim_err_set(err, "%s: another mqsim run is writing this results folder", d->final);
    return recover(d, err);
}

int out_dir_lock(out_dir *d, const char *final, sim_err *err)
{
    *d = (out_dir){.lock_fd = -1};
    struct stat st;
    if (!final || stat(final, &st) != 0 || !S_ISDIR(st.st_mode))
        return sim_err_set(err, "%s: no such results folder", final ? final : "(null)");
    if (take_lock(d, final, err)) {
        release(d);
        return -1;
    }
    return 0;
}

int out_dir_begin(out_dir *d, const char *final, sim_err *err)
{
    *d = (out_dir){.lock_fd = -1};
    if (take_lock(d, final, err) || owned(d, err)) goto fail;
    /* mkdir, not mkdtemp: the folder gets 0777 & ~umask like any other */
    for (unsigned n = 0; !d->tmp; n++) {
        char suffix[48];
        snprintf(suffix, sizeof suffix, ".tmp-%ld-%u", (long)getpid(), n);
        SIM_NEED((d->tmp = sibling(d, suffix)) != NULL, "out of memory");
        if (mkdir(d->tmp, 0777) == 0) break;
        int e = errno;
        free(d->tmp);
        d->tmp = NULL;
        if (e != EEXIST || n > 1000) {
            sim_err_set(err, "%s: cannot write here: %s", d->final, strerror(e));
            goto fail;
        }
    }
    out_file_defer_dir_sync(d->tmp, true); /* synced once, in commit */
    oom_register(d);
    return 0;
fail:
    release(d);
    return -1;
}

static void sync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

int out_dir_commit(out_dir *d, sim_err *err)
{
    SIM_ASSERTF(d->tmp && d->lock_fd >= 0, "out_dir_commit without out_dir_begin");
    sync_dir(d->tmp); /* the one sync of its files' names (out_file_defer_dir_sync) */
    out_file_defer_dir_sync(d->tmp, false);
    int rc = 0;
    struct stat st;
    if (lstat(d->final, &st) != 0) {
        if (rename(d->tmp, d->final) != 0)
            rc = sim_err_set(err, "%s: cannot move the results in place: %s", d->final,
                             strerror(errno));
    } else if (renameat2(AT_FDCWD, d->tmp, AT_FDCWD, d->final, RENAME_EXCHANGE) == 0) {
        rm_tree(d->tmp); /* the previous results */
    } else if (errno == EINVAL || errno == ENOSYS) {
        char *old = sibling(d, ".old");
        SIM_NEED(old != NULL, "out of memory");
        if (rename(d->final, old) != 0)
            rc = sim_err_set(err, "%s: cannot move the previous results aside: %s", d->final,
                             strerror(errno));
        else if (rename(d->tmp, d->final) != 0) {
            rc = sim_err_set(err, "%s: cannot move the results in place: %s", d->final,
                             strerror(errno));
            (void)rename(old, d->final);
        } else
            rm_tree(old);
        free(old);
    } else
        rc = sim_err_set(err, "%s: cannot swap the results in: %s", d->final, strerror(errno));
    if (rc) rm_tree(d->tmp);
    else sync_dir(d->parent);
    release(d);
    return rc;
}

void out_dir_abort(out_dir *d)
{
    if (!d || !d->final) return; /* zeroed, or already finished */
    if (d->tmp) {
        out_file_defer_dir_sync(d->tmp, false);
        rm_tree(d->tmp);
    }
    release(d);
}

void out_dir_unlock(out_dir *d)
{
    if (d && d->final) release(d);
}
