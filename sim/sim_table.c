/*
** sim_table.c - growable metric, series, band and string tables
** (see sim_table.h). Arrays double in capacity; strings are strdup'ed;
** metric names are found through a linear-probing hash index.
*/
#include "sim/sim_table.h"
#include "sim/sim_err.h"
#include "sim/sim_mem.h"

#include <math.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (size_t)(h ^ (h >> 29));
}

/* The slot of name in m->idx: where it is, or the empty slot it would take. */
static size_t slot_of(const sim_metrics *m, const char *name)
{
    size_t mask = m->icap - 1, i = name_hash(name) & mask;
    while (m->idx[i] && strcmp(m->v[m->idx[i] - 1].name, name) != 0) i = (i + 1) & mask;
    return i;
}

/* Keep the index at most half full: rebuild it at twice the size. */
static int index_room(sim_metrics *m, size_t need)
{
    if (need * 2 <= m->icap) return 0;
    size_t cap = m->icap ? m->icap : 16;
    while (need * 2 > cap) cap *= 2;
    size_t *idx = calloc(cap, sizeof *idx);
    if (!idx) return -1;
    free(m->idx);
    m->idx = idx;
    m->icap = cap;
    for (size_t k = 0; k < m->n; k++) m->idx[slot_of(m, m->v[k].name)] = k + 1;
    return 0;
}

int sim_metrics_add(sim_metrics *m, const char *name, double value,
                    const char *unit, sim_better better)
{
    SIM_ASSERTF(!sim_metrics_find(m, name), "metric '%s' added twice", name);
    if (index_room(m, m->n + 1)) return -1;
    if (sim_grow((void **)&m->v, &m->cap, m->n + 1, sizeof *m->v)) return -1;
    char *n = strdup(name), *u = strdup(unit ? unit : "");
    if (!n || !u) { free(n); free(u); return -1; }
    m->v[m->n++] = (sim_metric){n, value, NAN, NAN, u, better, SIM_MEASURED, NAN};
    m->idx[slot_of(m, name)] = m->n;
    return 0;
}

int sim_metrics_add_censored(sim_metrics *m, const char *name, double bound,
                             const char *unit, sim_better better, sim_status status)
{
    if (sim_metrics_add(m, name, NAN, unit, better)) return -1;
    m->v[m->n - 1].status = status;
    m->v[m->n - 1].bound = status == SIM_MEASURED ? NAN : bound;
    return 0;
}

int sim_metrics_add_copy(sim_metrics *m, const sim_metric *x, const char *name)
{
    if (sim_metrics_add(m, name ? name : x->name, x->value, x->unit, x->better)) return -1;
    sim_metric *y = &m->v[m->n - 1];
    y->ci_lo = x->ci_lo;
    y->ci_hi = x->ci_hi;
    y->status = x->status;
    y->bound = x->bound;
    return 0;
}

void sim_metrics_censor(sim_metrics *m, const char *name, sim_status st, double bound)
{
    sim_metric *x = sim_metrics_find(m, name);
    SIM_ASSERTF(x != NULL, "censoring unknown metric '%s'", name);
    if (st == SIM_MEASURED) return;
    x->value = NAN;
    x->ci_lo = x->ci_hi = NAN;
    x->status = st;
    x->bound = bound;
}

static const char *const status_names[] = {"measured", "not_applicable", "censored_at_end",
                                           "not_reached"};

const char *sim_status_str(sim_status s)
{
    return (unsigned)s < sizeof status_names / sizeof *status_names ? status_names[s] : "?";
}

int sim_status_parse(const char *s)
{
    for (size_t i = 0; i < sizeof status_names / sizeof *status_names; i++)
        if (!strcmp(s, status_names[i])) return (int)i;
    return -1;
}

sim_metric *sim_metrics_find(const sim_metrics *m, const char *name)
{
    if (!m->icap) return NULL;
    size_t k = m->idx[slot_of(m, name)];
    return k ? &m->v[k - 1] : NULL;
}

void sim_metrics_free(sim_metrics *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].name);
        free(m->v[i].unit);
    }
    free(m->v);
    free(m->idx);
    *m = (sim_metrics){0};
}

int sim_series_init(sim_series *s, size_t ncols, const char *const *names)
{
    *s = (sim_series){0};
    s->cols = calloc(ncols, sizeof *s->cols);
    if (!s->cols) return -1;
    s->ncols = ncols;
    for (size_t i = 0; i < ncols; i++)
        if (!(s->cols[i] = strdup(names[i]))) { sim_series_free(s); return -1; }
    return 0;
}

int sim_series_add_row(sim_series *s, const double *values, const char *label)
{
    if (s->nrows == s->cap) { /* the labels set the pace; the rows follow */
        size_t ncap = s->cap;
        if (sim_grow((void **)&s->labels, &ncap, s->nrows + 1, sizeof *s->labels)) return -1;
        double *d = realloc(s->data, ncap * s->ncols * sizeof *d);
        if (!d) return -1;
        s->data = d;
        s->cap = ncap;
    }
    char *lab = strdup(label ? label : "");
    if (!lab) return -1;
    memcpy(s->data + s->nrows * s->ncols, values, s->ncols * sizeof *values);
    s->labels[s->nrows++] = lab;
    return 0;
}

int sim_series_col(const sim_series *s, const char *name)
{
    for (size_t i = 0; i < s->ncols; i++)
        if (strcmp(s->cols[i], name) == 0) return (int)i;
    return -1;
}

void sim_series_free(sim_series *s)
{
    for (size_t i = 0; i < s->ncols; i++) free(s->cols[i]);
    for (size_t i = 0; i < s->nrows; i++) free(s->labels[i]);
    free(s->cols);
    free(s->labels);
    free(s->data);
    *s = (sim_series){0};
}

int sim_bands_add(sim_bands *b, double t0, double t1, const char *label)
{
    SIM_ASSERTF(t1 >= t0, "band '%s' ends (%g) before it starts (%g)",
                label ? label : "", t1, t0);
    if (sim_grow((void **)&b->v, &b->cap, b->n + 1, sizeof *b->v)) return -1;
    char *l = strdup(label ? label : "");
    if (!l) return -1;
    b->v[b->n++] = (sim_band){t0, t1, l};
    return 0;
}

void sim_bands_free(sim_bands *b)
{
    for (size_t i = 0; i < b->n; i++) free(b->v[i].label);
    free(b->v);
    *b = (sim_bands){0};
}

int sim_strs_add(sim_strs *l, const char *fmt, ...)
{
    if (sim_grow((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v)) return -1;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *s = strdup(buf);
    if (!s) return -1;
    l->v[l->n++] = s;
    return 0;
}

void sim_strs_free(sim_strs *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    *l = (sim_strs){0};
}
