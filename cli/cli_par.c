/*
** cli_par.c - threads within a process, static split across MPI ranks
** (see cli_par.h).
**
** MPI is initialised lazily, only when the environment says mpirun started
** this process with more than one rank (OMPI_COMM_WORLD_SIZE), and is
** finalised at exit. Job results travel as text: one line per metric,
** "name<TAB>unit<TAB>better<TAB>value" with the value as a C99 hexadecimal
** float (%a), which round-trips every double exactly.
*/
#include "cli/cli_par.h"
#include "sim/sim_mem.h"

#include <math.h>
#include <mpi.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int mpi_on = -1, mpi_rank, mpi_size = 1;

static void mpi_finish(void) { MPI_Finalize(); }

static void mpi_setup(void)
{
    if (mpi_on >= 0) return;
    const char *ws = getenv("OMPI_COMM_WORLD_SIZE");
    mpi_on = ws && atoi(ws) > 1;
    if (!mpi_on) return;
    int provided;
    MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &mpi_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &mpi_size);
    atexit(mpi_finish);
}

int par_rank(void) { mpi_setup(); return mpi_rank; }
int par_size(void) { mpi_setup(); return mpi_size; }

int par_default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

typedef struct pool {
    size_t n, stride, first;   /* this rank's jobs: first, first+stride, ... */
    par_job_fn fn;
    void *ctx;
    sim_metrics *results;
    atomic_size_t next, done;
    atomic_int failed;
    size_t mine;
    sim_err err;
    pthread_mutex_t lock;
} pool;

static void *worker(void *arg)
{
    pool *p = arg;
    for (;;) {
        size_t k = atomic_fetch_add(&p->next, 1);
        if (k >= p->mine || atomic_load(&p->failed)) break;
        size_t job = p->first + k * p->stride;
        sim_err e = {{0}};
        if (p->fn(job, p->ctx, &p->results[job], &e)) {
            pthread_mutex_lock(&p->lock);
            if (!atomic_load(&p->failed)) p->err = e;
            atomic_store(&p->failed, 1);
            pthread_mutex_unlock(&p->lock);
        }
        atomic_fetch_add(&p->done, 1);
    }
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- serialisation for the gather ------------------------------------ */

static char *pack(const sim_metrics *results, size_t n, size_t first, size_t stride, int *len)
{
    size_t cap = 4096, used = 0;
    char *b = malloc(cap);
    for (size_t j = first; b && j < n; j += stride) {
        for (size_t i = 0; i <= results[j].n; i++) {
            char line[512];
            int l = i == results[j].n
                ? snprintf(line, sizeof line, "#%zu\n", j)
                : snprintf(line, sizeof line, "%s\t%s\t%d\t%a\t%d\t%a\n",
                           results[j].v[i].name, results[j].v[i].unit,
                           (int)results[j].v[i].better, results[j].v[i].value,
                           (int)results[j].v[i].status, results[j].v[i].bound);
            if (sim_grow((void **)&b, &cap, used + (size_t)l + 1, 1)) {
                free(b);
                return NULL;
            }
            memcpy(b + used, line, (size_t)l);
            used += (size_t)l;
        }
    }
    if (b) b[used] = '\0';
    *len = (int)used;
    return b;
}

/* Lines before "#j" belong to job j. */
static int unpack(char *text, sim_metrics *results, size_t n)
{
    sim_metrics cur = {0};
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#') {
            size_t j = strtoull(line + 1, NULL, 10);
            if (j >= n) return -1;
            results[j] = cur;
            cur = (sim_metrics){0};
            continue;
        }
        char *name = line, *unit = strchr(name, '\t');
        if (!unit) return -1;
        *unit++ = '\0';
        char *better = strchr(unit, '\t');
        if (!better) return -1;
        *better++ = '\0';
        char *val = strchr(better, '\t');
        if (!val) return -1;
        *val++ = '\0';
        char *status = strchr(val, '\t');
        if (!status) return -1;
        *status++ = '\0';
        char *bound = strchr(status, '\t');
        if (!bound) return -1;
        *bound++ = '\0';
        if (sim_metrics_add(&cur, name, strtod(val, NULL), unit, (sim_better)atoi(better)))
            return -1;
        cur.v[cur.n - 1].status = (sim_status)atoi(status);
        cur.v[cur.n - 1].bound = strtod(bound, NULL);
    }
    sim_metrics_free(&cur);
    return 0;
}

/* Jobs first, first + stride, ... < n on `threads` threads of this process;
** 1 if one failed (err filled), else 0. */
static int run_pool(size_t n, size_t first, size_t stride, int threads, par_job_fn fn,
                    void *ctx, sim_metrics *results, const char *progress_label, sim_err *err)
{
    if (threads < 1) threads = 1;
    pool p = {.n = n, .stride = stride, .first = first, .fn = fn, .ctx = ctx,
              .results = results};
    p.mine = n > p.first ? (n - p.first + p.stride - 1) / p.stride : 0;
    atomic_init(&p.next, 0);
    atomic_init(&p.done, 0);
    atomic_init(&p.failed, 0);
    pthread_mutex_init(&p.lock, NULL);
    int nt = threads < (int)p.mine ? threads : (int)(p.mine ? p.mine : 1);
    pthread_t *tid = calloc((size_t)nt, sizeof *tid);
    int started = 0;
    for (int i = 0; tid && i < nt; i++)
        if (pthread_create(&tid[i], NULL, worker, &p) == 0) started++;
    if (started == 0) worker(&p); /* no threads: do it here */
    double t0 = now_s(), last = t0;
    int show = progress_label && mpi_rank == 0 && isatty(2);
    /* without a progress line the threads are simply joined */
    while (show && started && atomic_load(&p.done) < p.mine && !atomic_load(&p.failed)) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
        double t = now_s();
        size_t d = atomic_load(&p.done);
        if (show && t - last >= 0.5 && d > 0) {
            last = t;
            fprintf(stderr, "\r%s: %zu/%zu jobs, ETA %.0f s   ", progress_label, d, p.mine,
                    (t - t0) / (double)d * (double)(p.mine - d));
        }
    }
    for (int i = 0; i < started; i++) pthread_join(tid[i], NULL);
    if (show) fprintf(stderr, "\r%s: %zu/%zu jobs in %.1f s          \n", progress_label,
                      (size_t)atomic_load(&p.done), p.mine, now_s() - t0);
    free(tid);
    pthread_mutex_destroy(&p.lock);
    int failed = atomic_load(&p.failed);
    if (failed && err) *err = p.err;
    return failed;
}

int par_share_decision(int value)
{
    mpi_setup();
    if (mpi_on) MPI_Bcast(&value, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return value;
}

int par_run_threads(size_t n, int threads, par_job_fn fn, void *ctx, sim_metrics *results,
                    sim_err *err)
{
    return run_pool(n, 0, 1, threads, fn, ctx, results, NULL, err) ? -1 : 0;
}

int par_run(size_t n, int threads, par_job_fn fn, void *ctx, sim_metrics *results,
            const char *progress_label, sim_err *err)
{
    mpi_setup();
    int failed = run_pool(n, (size_t)mpi_rank, (size_t)mpi_size, threads, fn, ctx, results,
                          progress_label, err);
    if (!mpi_on) return failed ? -1 : 0;

    /* Everyone learns whether any rank failed, then rank 0 gathers. */
    int any = 0;
    MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (any) {
        if (!failed) sim_err_set(err, "a job failed on another MPI rank");
        return -1;
    }
    int len = 0;
    char *mine = pack(results, n, (size_t)mpi_rank, (size_t)mpi_size, &len);
    if (!mine) len = 0;
    int *lens = NULL, *displs = NULL;
    char *all = NULL;
    if (mpi_rank == 0) {
        lens = calloc((size_t)mpi_size, sizeof *lens);
        displs = calloc((size_t)mpi_size, sizeof *displs);
    }
    MPI_Gather(&len, 1, MPI_INT, lens, 1, MPI_INT, 0, MPI_COMM_WORLD);
    size_t total = 0;
    if (mpi_rank == 0) {
        for (int r = 0; r < mpi_size; r++) {
            displs[r] = (int)total;
            total += (size_t)lens[r];
        }
        all = malloc(total + 1);
    }
    MPI_Gatherv(mine, len, MPI_CHAR, all, lens, displs, MPI_CHAR, 0, MPI_COMM_WORLD);
    free(mine);
    int rc = 0;
    if (mpi_rank == 0) {
        all[total] = '\0';
        /* rank 0's own tables are already in place; take the others' */
        for (int r = 1; r < mpi_size && rc == 0; r++) {
            char *part = malloc((size_t)lens[r] + 1);
            memcpy(part, all + displs[r], (size_t)lens[r]);
            part[lens[r]] = '\0';
            if (unpack(part, results, n)) rc = sim_err_set(err, "corrupt results from rank %d", r);
            free(part);
        }
        free(all);
        free(lens);
        free(displs);
        return rc;
    }
    return 1;
}
