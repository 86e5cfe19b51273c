/*
** sim_rep.c - replication statistics (see sim_rep.h). One Welford
** accumulator per metric of the first table, matched by name afterwards.
*/
#include "sim/sim_rep.h"
#include "sim/sim_stats.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct sim_rep {
    sim_metrics proto;   /* names, units, better of the first table */
    sim_welford *w;      /* one per proto row */
    uint64_t *nonfinite; /* replications where the row was NAN/INF/missing */
    bool *other;         /* some non-finite value was not +INFINITY */
    sim_status *status;  /* the highest status any replication had */
    double *lb;          /* sum over replications of the value, or of the
                            lower bound where censored (NAN: none known) */
    uint64_t count;
};

sim_rep *sim_rep_new(void)
{
    return calloc(1, sizeof(sim_rep));
}

void sim_rep_free(sim_rep *r)
{
    if (!r) return;
    sim_metrics_free(&r->proto);
    free(r->w);
    free(r->nonfinite);
    free(r->other);
    free(r->status);
    free(r->lb);
    free(r);
}

static int init_from(sim_rep *r, const sim_metrics *m)
{
    size_t n = m->n ? m->n : 1;
    r->w = calloc(n, sizeof *r->w);
    r->nonfinite = calloc(n, sizeof *r->nonfinite);
    r->other = calloc(n, sizeof *r->other);
    r->status = calloc(n, sizeof *r->status);
    r->lb = calloc(n, sizeof *r->lb);
    if (!r->w || !r->nonfinite || !r->other || !r->status || !r->lb) return -1;
    for (size_t i = 0; i < m->n; i++)
        if (sim_metrics_add(&r->proto, m->v[i].name, 0, m->v[i].unit, m->v[i].better))
            return -1;
    return 0;
}

/* One replication's row i: value v (NAN when not measured), its status
** and lower bound. */
static void add_value(sim_rep *r, size_t i, bool present, double v, sim_status st,
                      double bound)
{
    if (!present) st = SIM_NOT_APPLICABLE;
    if (st > r->status[i]) r->status[i] = st;
    r->lb[i] += st == SIM_MEASURED ? v : bound;
    if (present && isfinite(v)) {
        sim_welford_add(&r->w[i], v);
        return;
    }
    r->nonfinite[i]++;
    if (!present || !(isinf(v) && v > 0)) r->other[i] = true;
}

static int ensure_init(sim_rep *r, const sim_metrics *m)
{
    if (r->count > 0 || r->w) return 0;
    if (init_from(r, m)) {
        free(r->w);
        free(r->nonfinite);
        free(r->other);
        free(r->status);
        free(r->lb);
        r->w = NULL;
        r->nonfinite = NULL;
        r->other = NULL;
        r->status = NULL;
        r->lb = NULL;
        sim_metrics_free(&r->proto);
        return -1;
    }
    return 0;
}

int sim_rep_add(sim_rep *r, const sim_metrics *m)
{
    if (ensure_init(r, m)) return -1;
    for (size_t i = 0; i < r->proto.n; i++) {
        const sim_metric *x = sim_metrics_find(m, r->proto.v[i].name);
        add_value(r, i, x != NULL, x ? x->value : NAN, x ? x->status : SIM_MEASURED,
                  x ? x->bound : NAN);
    }
    r->count++;
    return 0;
}

int sim_rep_add_delta(sim_rep *r, const sim_metrics *a, const sim_metrics *b)
{
    if (r->count == 0 && !r->w) {
        /* the proto is a's metrics that b also has */
        sim_metrics both = {0};
        for (size_t i = 0; i < a->n; i++)
            if (sim_metrics_find(b, a->v[i].name) &&
                sim_metrics_add(&both, a->v[i].name, 0, a->v[i].unit, a->v[i].better)) {
                sim_metrics_free(&both);
                return -1;
            }
        int rc = ensure_init(r, &both);
        sim_metrics_free(&both);
        if (rc) return -1;
    }
    for (size_t i = 0; i < r->proto.n; i++) {
        const sim_metric *x = sim_metrics_find(a, r->proto.v[i].name);
        const sim_metric *y = sim_metrics_find(b, r->proto.v[i].name);
        bool present = x && y;
        sim_status st = present ? (x->status > y->status ? x->status : y->status) : SIM_MEASURED;
        /* a censored change over a measured baseline: change - baseline is
        ** at least bound - baseline; anything else censored bounds nothing */
        double lb = present && x->status >= SIM_CENSORED_AT_END && y->status == SIM_MEASURED
                        ? x->bound - y->value : NAN;
        add_value(r, i, present, present ? x->value - y->value : NAN, st, lb);
    }
    r->count++;
    return 0;
}

uint64_t sim_rep_count(const sim_rep *r)
{
    return r->count;
}

static long find_row(const sim_rep *r, const char *name)
{
    for (size_t i = 0; i < r->proto.n; i++)
        if (!strcmp(r->proto.v[i].name, name)) return (long)i;
    return -1;
}

uint64_t sim_rep_nonfinite(const sim_rep *r, const char *name)
{
    long i = find_row(r, name);
    return i < 0 ? 0 : r->nonfinite[i];
}

int sim_rep_result(const sim_rep *r, sim_metrics *out)
{
    *out = (sim_metrics){0};
    for (size_t i = 0; i < r->proto.n; i++) {
        const sim_metric *p = &r->proto.v[i];
        const sim_welford *w = &r->w[i];
        double value, lo = NAN, hi = NAN;
        if (r->status[i] != SIM_MEASURED) {
            double bound = r->status[i] == SIM_NOT_APPLICABLE ? NAN : r->lb[i] / (double)r->count;
            if (sim_metrics_add_censored(out, p->name, bound, p->unit, p->better, r->status[i])) {
                sim_metrics_free(out);
                return -1;
            }
            continue;
        }
        if (r->nonfinite[i] > 0) {
            value = (r->nonfinite[i] == r->count && !r->other[i]) ? INFINITY : NAN;
        } else {
            value = w->mean;
            if (w->n >= 2) {
                double h = sim_ci95_halfwidth(w->n, sim_welford_sd(w));
                lo = value - h;
                hi = value + h;
            }
        }
        if (sim_metrics_add(out, p->name, value, p->unit, p->better)) {
            sim_metrics_free(out);
            return -1;
        }
        out->v[out->n - 1].ci_lo = lo;
        out->v[out->n - 1].ci_hi = hi;
    }
    return 0;
}

double sim_rep_rel_halfwidth(const sim_rep *r, const char *name)
{
    long i = find_row(r, name);
    if (i < 0 || r->nonfinite[i] > 0 || r->w[i].n < 2) return NAN;
    double h = sim_ci95_halfwidth(r->w[i].n, sim_welford_sd(&r->w[i]));
    double mean = fabs(r->w[i].mean);
    if (mean == 0) return h == 0 ? 0 : INFINITY;
    return h / mean;
}
