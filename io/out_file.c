/*
** out_file.c - atomic file replacement (temp + fsync + rename) and mkdir -p.
** See out_file.h for the contract. The temp lives in the target's directory
** because rename() is only atomic within one file system. Also the
** readers' open (regular files only).
*/
#include "io/out_file.h"
#include "sim/sim_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static atomic_ulong tmp_counter;

/* Folders whose own fsync the caller does once (out_file_defer_dir_sync). */
enum { DEFER_MAX = 64 };
static pthread_mutex_t defer_mu = PTHREAD_MUTEX_INITIALIZER;
static char *deferred[DEFER_MAX];

void out_file_defer_dir_sync(const char *dir, bool on)
{
    pthread_mutex_lock(&defer_mu);
    for (int i = 0; i < DEFER_MAX; i++) {
        if (on && !deferred[i]) {
            deferred[i] = strdup(dir);
            SIM_NEED(deferred[i] != NULL, "out of memory marking %s", dir);
            break;
        }
        if (!on && deferred[i] && !strcmp(deferred[i], dir)) {
            free(deferred[i]);
            deferred[i] = NULL;
            break;
        }
    }
    pthread_mutex_unlock(&defer_mu);
}

static bool dir_sync_deferred(const char *dir)
{
    bool yes = false;
    pthread_mutex_lock(&defer_mu);
    for (int i = 0; i < DEFER_MAX && !yes; i++) yes = deferred[i] && !strcmp(deferred[i], dir);
    pthread_mutex_unlock(&defer_mu);
    return yes;
}

/* Directory part of path ("." when there is none). Caller frees. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

int out_file_open(out_file *f, const char *path, sim_err *err)
{
    *f = (out_file){0};
    if (!path || !*path) return sim_err_set(err, "output path is empty");
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (!*base) return sim_err_set(err, "%s: output path names a directory", path);

    size_t dirlen = (size_t)(base - path);
    unsigned long n = atomic_fetch_add(&tmp_counter, 1);
    size_t cap = strlen(path) + 64;
    char *tmp = malloc(cap);
    char *dup = strdup(path);
    SIM_NEED(tmp && dup, "%s: out of memory", path);
    snprintf(tmp, cap, "%.*s.%s.tmp.%ld.%lu", (int)dirlen, path, base,
             (long)getpid(), n);

    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        free(dup);
        return sim_err_set(err, "%s: cannot create file: %s", path, strerror(e));
    }
    FILE *fp = fdopen(fd, "wb");
    if (!fp) {
        int e = errno;
        close(fd);
        unlink(tmp);
        free(tmp);
        free(dup);
        return sim_err_set(err, "%s: cannot open stream: %s", path, strerror(e));
    }
    *f = (out_file){fp, tmp, dup};
    return 0;
}

static void release(out_file *f)
{
    free(f->tmp_path);
    free(f->path);
    *f = (out_file){0};
}

int out_file_commit(out_file *f, sim_err *err)
{
    SIM_ASSERTF(f->fp, "out_file_commit on a file that is not open");
    const char *what = NULL;
    int e = 0;
    if (fflush(f->fp) != 0) what = "write failed", e = errno;
    else if (ferror(f->fp)) what = "write failed", e = EIO;
    else if (fsync(fileno(f->fp)) != 0) what = "fsync failed", e = errno;
    if (fclose(f->fp) != 0 && !what) what = "close failed", e = errno;
    f->fp = NULL;
    if (!what && rename(f->tmp_path, f->path) != 0) what = "rename failed", e = errno;
    if (what) {
        unlink(f->tmp_path);
        sim_err_set(err, "%s: %s: %s", f->path, what, strerror(e));
        release(f);
        return -1;
    }
    /* Make the rename itself durable; failure here loses nothing. */
    char *dir = dir_of(f->path);
    if (dir && !dir_sync_deferred(dir)) {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            (void)fsync(dfd);
            close(dfd);
        }
    }
    free(dir);
    release(f);
    return 0;
}

void out_file_abort(out_file *f)
{
    if (!f) return;
    if (f->fp) fclose(f->fp);
    if (f->tmp_path) unlink(f->tmp_path);
    release(f);
}

int out_read_all(const char *path, char **buf, size_t *len, sim_err *err)
{
    FILE *fp = out_open_read(path, err);
    if (!fp) return -1;
    char *b = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        SIM_NEED_OK(sim_grow((void **)&b, &cap, n + 4096 + 1, 1));
        size_t k = fread(b + n, 1, cap - n - 1, fp);
        n += k;
        if (k == 0) break;
    }
    int bad = ferror(fp);
    fclose(fp);
    if (bad) {
        free(b);
        return sim_err_set(err, "%s: read error", path);
    }
    b[n] = '\0';
    *buf = b;
    if (len) *len = n;
    return 0;
}

FILE *out_open_read(const char *path, sim_err *err)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        sim_err_set(err, "%s: cannot open: %s", path, strerror(e));
        errno = e;
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        sim_err_set(err, "%s: not a regular file", path);
        errno = EINVAL;
        return NULL;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        int e = errno;
        close(fd);
        sim_err_set(err, "%s: cannot open stream: %s", path, strerror(e));
        errno = e;
    }
    return f;
}

int out_mkdir_p(const char *dir, sim_err *err)
{
    if (!dir || !*dir) return sim_err_set(err, "directory path is empty");
    char *p = strdup(dir);
    SIM_NEED(p != NULL, "%s: out of memory", dir);
    size_t len = strlen(p);
    while (len > 1 && p[len - 1] == '/') p[--len] = '\0';
    /* Walk the components: cut at each '/', mkdir the prefix, restore. */
    for (char *s = p + 1;; s++) {
        int last = (*s == '\0');
        if (*s != '/' && !last) continue;
        char saved = *s;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            int e = errno;
            sim_err_set(err, "%s: cannot create directory: %s", p, strerror(e));
            free(p);
            return -1;
        }
        struct stat st;
        if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
            sim_err_set(err, "%s: exists and is not a directory", p);
            free(p);
            return -1;
        }
        *s = saved;
        if (last) break;
    }
    free(p);
    return 0;
}
