/*
** cli_progress.c - the progress line of `mqsim run` (see cli_progress.h).
** Running replications sit in a small table of slots keyed by replication
** index; a slot is freed when its sim_run reports done.
*/
#include "cli/cli_progress.h"
#include "io/units.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { SLOTS = 256 };

typedef struct slot {
    bool used;
    uint64_t rep;
    double now, until, events_per_s;
} slot;

struct cli_progress {
    FILE *out;
    bool tty;
    const char *label;
    uint64_t total, done;
    double (*clock)(void);
    double t0, last; /* wall clock at start and at the last line */
    size_t lines;
    pthread_mutex_t lock;
    slot s[SLOTS];
};

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double cli_progress_interval(bool tty)
{
    return tty ? 0.25 : 10.0;
}

cli_progress *cli_progress_new(FILE *out, bool tty, const char *label, uint64_t total,
                               double (*clock)(void))
{
    cli_progress *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->out = out;
    p->tty = tty;
    p->label = label;
    p->total = total ? total : 1;
    p->clock = clock ? clock : mono;
    p->t0 = p->clock();
    p->last = -INFINITY;
    pthread_mutex_init(&p->lock, NULL);
    return p;
}

/* Print the line (lock held). */
static void print_line(cli_progress *p, double t, bool final)
{
    double frac_sum = (double)p->done, eps = 0;
    const slot *low = NULL;
    for (int i = 0; i < SLOTS; i++) {
        const slot *x = &p->s[i];
        if (!x->used) continue;
        if (x->until > 0) frac_sum += fmin(1, x->now / x->until);
        eps += x->events_per_s;
        if (!low || x->rep < low->rep) low = x;
    }
    double el = t - p->t0, f = frac_sum / (double)p->total;
    char line[256], a[32], b[32], e[48], eta[32];
    int k = snprintf(line, sizeof line, "%s: %llu/%llu replications done", p->label,
                     (unsigned long long)p->done, (unsigned long long)p->total);
    if (low && !final) {
        units_format_duration(low->now, a, sizeof a);
        units_format_duration(low->until, b, sizeof b);
        units_format_human(eps, "events/s", e, sizeof e);
        k += snprintf(line + k, sizeof line - (size_t)k, ", replication %llu at sim %s of %s, %s",
                      (unsigned long long)low->rep + 1, a, b, e);
    }
    if (final) snprintf(eta, sizeof eta, "in %.1f s", el);
    else if (f > 0.001) snprintf(eta, sizeof eta, "ETA %.0f s", el * (1 - f) / f);
    else snprintf(eta, sizeof eta, "ETA ?");
    snprintf(line + k, sizeof line - (size_t)k, ", %s", eta);
    if (p->tty) fprintf(p->out, "\r%-100s%s", line, final ? "\n" : "");
    else fprintf(p->out, "%s\n", line);
    fflush(p->out);
    p->last = t;
    p->lines++;
}

void cli_progress_engine(const sim_progress *sp, void *ud)
{
    const cli_progress_job *j = ud;
    cli_progress *p = j->p;
    pthread_mutex_lock(&p->lock);
    slot *x = &p->s[j->replication % SLOTS];
    if (sp->done) {
        if (x->used && x->rep == j->replication) x->used = false;
        p->done++;
    } else {
        *x = (slot){true, j->replication, sp->now, sp->until, sp->events_per_s};
    }
    double t = p->clock();
    if (t - p->last >= cli_progress_interval(p->tty) && p->done < p->total) print_line(p, t, false);
    pthread_mutex_unlock(&p->lock);
}

void cli_progress_free(cli_progress *p)
{
    if (!p) return;
    print_line(p, p->clock(), true);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
