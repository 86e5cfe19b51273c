/*
** out_run.c - the results folder of one run (see out_run.h).
**
** Plots read their columns from the timeseries by name, so a model that adds
** columns keeps working; a missing column just leaves its line out.
** The folder is written in two parts along what each file reads: the
** timeseries and the plots drawn from one replication's result (delay,
** throughput, clients, backlog, disruption), and the files of the aggregated
** metrics (summary.csv, percentiles, endpoint disruption, summary.json).
** The first part needs only the scenario's clock and budget lines, so
** `mqsim run` draws it on the job runner while the other replications run.
*/
#include "io/out_run.h"
#include "io/out_csv.h"
#include "io/out_file.h"
#include "io/out_json.h"
#include "io/plot.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINES 12
#define MAX_HLINES 8

/* The plots' files in report order: bit k of out_run_plots is plot_file[k]. */
static const char *const plot_file[] = {"delay.png", "throughput.png", "clients.png",
                                        "backlog.png", "percentiles.png",
                                        "disruption_endpoint.png", "disruption.png"};
enum { P_DELAY, P_THROUGHPUT, P_CLIENTS, P_BACKLOG, P_PERCENTILES, P_ENDPOINT, P_DISRUPTION,
       NPLOTS };

/* What every time plot of the run shares: the x axis (wall clock when the
** scenario sets run.start_at) and the budget limits drawn on it. */
typedef struct plot_ctx {
    const char *dir;
    const mq_result *r;
    int wall_clock;
    double clock0_s;
    json_t *budget;       /* the budget lines (out_budget_json); borrowed, may be NULL */
    out_run_plots wrote;  /* the plots written */
} plot_ctx;

/* Copy named columns of the series into plot lines; per_s divides each
** interval's count by the interval's length (counts -> rates). Returns
** lines made, or -1 on out-of-memory. xs and ys are owned by the caller. */
static int columns(const sim_series *s, const char *const *names, const char *const *labels,
                   int n, int per_s, plot_line *lines, double **xs, double **ys)
{
    int t = sim_series_col(s, "time_s"), made = 0;
    if (t < 0) return 0;
    for (int i = 0; i < n && made < MAX_LINES; i++) {
        int c = sim_series_col(s, names[i]);
        if (c < 0) continue;
        double *x = malloc((s->nrows ? s->nrows : 1) * sizeof *x);
        double *y = malloc((s->nrows ? s->nrows : 1) * sizeof *y);
        if (!x || !y) {
            free(x);
            free(y);
            return -1;
        }
        for (size_t r = 0; r < s->nrows; r++) {
            x[r] = sim_series_at(s, r, (size_t)t);
            y[r] = sim_series_at(s, r, (size_t)c);
            if (per_s) {
                double dt = x[r] - (r ? sim_series_at(s, r - 1, (size_t)t) : 0);
                y[r] = dt > 0 ? y[r] / dt : NAN;
            }
        }
        xs[made] = x;
        ys[made] = y;
        lines[made] = (plot_line){labels[i], x, y, s->nrows, NULL, NULL, 0};
        made++;
    }
    return made;
}

/* Budget lines on metrics whose name starts with `prefix` (and not with
** `except`, may be NULL) become reference lines ("budget: delay_p99_s <= 30"). */
static size_t budget_lines(const plot_ctx *pc, const char *prefix, const char *except,
                           plot_hline *hl, char (*text)[96])
{
    size_t n = 0, i;
    json_t *b;
    json_array_foreach(pc->budget, i, b) {
        const char *m = json_string_value(json_object_get(b, "metric"));
        json_t *lim = json_object_get(b, "limit");
        if (!m || strncmp(m, prefix, strlen(prefix)) || !json_is_number(lim) || n == MAX_HLINES ||
            (except && !strncmp(m, except, strlen(except))))
            continue;
        snprintf(text[n], 96, "budget: %s", json_string_value(json_object_get(b, "line")));
        hl[n] = (plot_hline){json_number_value(lim), text[n]};
        n++;
    }
    return n;
}

static int plot_columns(plot_ctx *pc, int id, const char *title,
                        const char *ylabel, int log_y, int per_s, const char *budget_prefix,
                        const char *const *names, const char *const *labels, int n,
                        sim_err *err)
{
    plot_line lines[MAX_LINES];
    double *xs[MAX_LINES] = {0}, *ys[MAX_LINES] = {0};
    const char *file = plot_file[id];
    int made = columns(&pc->r->series, names, labels, n, per_s, lines, xs, ys);
    SIM_NEED(made >= 0, "out of memory drawing %s", file);
    plot_hline hl[MAX_HLINES];
    char text[MAX_HLINES][96];
    /* the delivered-message plots leave the every-message budgets out */
    size_t nhl = budget_prefix ? budget_lines(pc, budget_prefix, "delay_all", hl, text) : 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", pc->dir, file);
    plot_spec spec = {title, "time (s)", ylabel, log_y, 0, 0, hl, nhl, pc->wall_clock,
                      pc->clock0_s};
    int rc = plot_lines_png(path, &spec, lines, (size_t)made, &pc->r->bands, err);
    if (rc == 0) pc->wrote |= 1u << id;
    for (int i = 0; i < made; i++) {
        free(xs[i]);
        free(ys[i]);
    }
    return rc;
}

/* Connected clients per group, from the "<role>_connected:<group>" columns,
** so a group that never comes back stands out. */
static int plot_clients(plot_ctx *pc, sim_err *err)
{
    const sim_series *s = &pc->r->series;
    const char *names[MAX_LINES];
    char labels[MAX_LINES][96];
    const char *lp[MAX_LINES];
    int n = 0;
    for (size_t c = 0; c < s->ncols && n < MAX_LINES; c++) {
        const char *col = s->cols[c], *colon = strchr(col, ':');
        if (!colon || (strncmp(col, "producers_connected:", 20) != 0 &&
                       strncmp(col, "consumers_connected:", 20) != 0))
            continue;
        names[n] = col;
        snprintf(labels[n], sizeof labels[n], "%s %s", col[0] == 'p' ? "producers" : "consumers",
                 colon + 1);
        lp[n] = labels[n];
        n++;
    }
    if (n == 0) { /* a series without per-group columns: the totals */
        static const char *const tot[] = {"producers_connected", "consumers_connected"};
        static const char *const tl[] = {"producers", "consumers"};
        return plot_columns(pc, P_CLIENTS, "Connected clients", "clients", 0, 0, NULL, tot,
                            tl, 2, err);
    }
    return plot_columns(pc, P_CLIENTS, "Connected clients per group", "clients", 0, 0, NULL,
                        names, lp, n, err);
}

/* An HDR-style percentile curve from the summary: delay at p50 .. p99.99
** and max against the percentile's "nines", for delivered messages and for
** every message (undelivered ones counted as delayed to the end). */
static int plot_percentiles(plot_ctx *pc, sim_err *err)
{
    static const struct { const char *name; double nines; } del[] = {
        {"delay_p50_s", 0.30103}, {"delay_p90_s", 1}, {"delay_p99_s", 2}, {"delay_p999_s", 3},
        {"delay_p9999_s", 4}};
    static const struct { const char *name; double nines; } all[] = {
        {"delay_all_p50_s", 0.30103}, {"delay_all_p99_s", 2}, {"delay_all_p999_s", 3}};
    double x[2][5], y[2][5];
    size_t n[2] = {0, 0};
    for (size_t i = 0; i < 5; i++) {
        const sim_metric *m = sim_metrics_find(&pc->r->metrics, del[i].name);
        if (m && m->status == SIM_MEASURED) x[0][n[0]] = del[i].nines, y[0][n[0]++] = m->value;
    }
    for (size_t i = 0; i < 3; i++) {
        const sim_metric *m = sim_metrics_find(&pc->r->metrics, all[i].name);
        if (m && m->status == SIM_MEASURED) x[1][n[1]] = all[i].nines, y[1][n[1]++] = m->value;
    }
    if (n[0] == 0 && n[1] == 0) return 0;
    plot_line lines[2] = {{"delivered messages", x[0], y[0], n[0], NULL, NULL, 1},
                          {"all (lost = delayed to end)", x[1], y[1], n[1], NULL, NULL, 1}};
    plot_hline hl[MAX_HLINES];
    char text[MAX_HLINES][96];
    size_t nhl = budget_lines(pc, "delay", NULL, hl, text);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", pc->dir, plot_file[P_PERCENTILES]);
    plot_spec spec = {"Delay by percentile (means over replications)",
                      "percentile in nines: 0.3 = p50, 1 = p90, 2 = p99, 3 = p99.9, 4 = p99.99",
                      "delay (s)", 1, 0, 0, hl, nhl, 0, 0};
    if (plot_lines_png(path, &spec, lines, 2, NULL, err)) return -1;
    pc->wrote |= 1u << P_PERCENTILES;
    return 0;
}

/* Longest cut-off per client group, as a bar chart. */
static int plot_disruption(plot_ctx *pc, sim_err *err)
{
    const mq_result *r = pc->r;
    /* the longest outage per group, keyed by group name in first-seen order
    ** (a hashed table: 16 000 groups must not cost n^2 name compares) */
    sim_metrics per = {0};
    for (size_t i = 0; i < r->noutages; i++) {
        const mq_client_outage *o = &r->outages[i];
        sim_metric *m = sim_metrics_find(&per, o->group);
        if (!m && sim_metrics_add(&per, o->group, 0, "s", SIM_BETTER_LOWER) == 0)
            m = &per.v[per.n - 1];
        SIM_NEED(m != NULL, "out of memory drawing disruption.png");
        if (o->max_s > m->value) m->value = o->max_s;
    }
    const char **labels = calloc(per.n ? per.n : 1, sizeof *labels);
    double *vals = calloc(per.n ? per.n : 1, sizeof *vals);
    int rc = 0;
    SIM_NEED(labels && vals, "out of memory drawing disruption.png");
    for (size_t k = 0; rc == 0 && k < per.n; k++) {
        labels[k] = per.v[k].name;
        vals[k] = per.v[k].value;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", pc->dir, plot_file[P_DISRUPTION]);
    plot_spec spec = {"Longest cut-off per client group", "client group",
                      "longest cut-off (s)", 0, 0, 0, NULL, 0, 0, 0};
    if (rc == 0) rc = plot_bars_png(path, &spec, labels, vals, per.n, err);
    if (rc == 0) pc->wrote |= 1u << P_DISRUPTION;
    free(labels);
    free(vals);
    sim_metrics_free(&per);
    return rc;
}

/* Longest cut-off per endpoint type, from the metrics a change model reports
** as disruption_<endpoint>_max_s (a change that moves clients); endpoint
** types without clients (NaN) are left out. No such metric: no chart. */
static int plot_endpoint_disruption(plot_ctx *pc, sim_err *err)
{
    const mq_result *r = pc->r;
    static const char *const eps[] = {"vpc", "public", "privatelink"};
    static const char *const lab_open[] = {"vpc (never back: >=)", "public (never back: >=)",
                                           "privatelink (never back: >=)"};
    const char *labels[3];
    double vals[3];
    size_t n = 0;
    for (size_t i = 0; i < 3; i++) {
        char name[64];
        snprintf(name, sizeof name, "disruption_%s_max_s", eps[i]);
        const sim_metric *m = sim_metrics_find(&r->metrics, name);
        if (!m) continue;
        double v = m->status >= SIM_CENSORED_AT_END ? m->bound : m->value;
        if (v != v) continue; /* not applicable: no client of that type */
        labels[n] = m->status >= SIM_CENSORED_AT_END ? lab_open[i] : eps[i];
        vals[n++] = v;
    }
    if (n == 0) return 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", pc->dir, plot_file[P_ENDPOINT]);
    plot_spec spec = {"Longest cut-off per endpoint type", "endpoint",
                      "longest cut-off (s)", 0, 0, 0, NULL, 0, 0, 0};
    if (plot_bars_png(path, &spec, labels, vals, n, err)) return -1;
    pc->wrote |= 1u << P_ENDPOINT;
    return 0;
}

/* Part one's files as tasks, the costliest first so the threads finish
** close together: the time plots (libplot's wide lines), the summary plots
** of a single replication, the bar chart, then timeseries.csv. */
enum { T_DELAY, T_THROUGHPUT, T_CLIENTS, T_BACKLOG, T_PERCENTILES, T_ENDPOINT, T_DISRUPTION,
       T_SERIES, NTASKS };

typedef struct rep_tasks {
    const char *dir;
    const mq_result *r;
    const out_run_axes *ax;
    int task[NTASKS], ntasks; /* T_SERIES only without plots; T_PERCENTILES and
                              ** T_ENDPOINT only for a run's final metrics */
    atomic_int next;
    int rc[NTASKS];
    out_run_plots wrote[NTASKS];
    sim_err err[NTASKS];
} rep_tasks;

static int rep_task(rep_tasks *t, int k)
{
    static const char *const delay_cols[] = {"delay_p50_s", "delay_p99_s", "delay_max_s"};
    static const char *const delay_labels[] = {"p50", "p99", "max"};
    static const char *const tp_cols[] = {"published", "consumed", "throttled"};
    static const char *const tp_labels[] = {"sent", "consumed", "throttled sends"};
    static const char *const backlog_cols[] = {"backlog", "unacked", "scheduled"};
    static const char *const backlog_labels[] = {"ready (backlog)", "unacked", "scheduled, not due"};
    plot_ctx pc = {t->dir, t->r, t->ax->clock0_s > 0, t->ax->clock0_s, t->ax->budget, 0};
    sim_err *err = &t->err[k];
    int rc = 0;
    char path[4096];
    switch (k) {
    case T_SERIES:
        snprintf(path, sizeof path, "%s/timeseries.csv", t->dir);
        rc = out_timeseries_csv(path, &t->r->series, "phase", err);
        break;
    case T_DELAY:
        rc = plot_columns(&pc, P_DELAY, "End-to-end delay of delivered messages (log scale)",
                          "delay (s)", 1, 0, "delay", delay_cols, delay_labels, 3, err);
        break;
    case T_THROUGHPUT:
        rc = plot_columns(&pc, P_THROUGHPUT, "Throughput", "messages per second", 0, 1, NULL,
                          tp_cols, tp_labels, 3, err);
        break;
    case T_CLIENTS: rc = plot_clients(&pc, err); break;
    case T_BACKLOG:
        rc = plot_columns(&pc, P_BACKLOG, "Messages waiting in the broker", "messages", 0, 0,
                          "backlog", backlog_cols, backlog_labels, 3, err);
        break;
    case T_DISRUPTION: rc = plot_disruption(&pc, err); break;
    case T_PERCENTILES: rc = plot_percentiles(&pc, err); break;
    default: rc = plot_endpoint_disruption(&pc, err); break;
    }
    t->wrote[k] = pc.wrote;
    return rc;
}

static void *rep_worker(void *arg)
{
    rep_tasks *t = arg;
    for (int k; (k = atomic_fetch_add(&t->next, 1)) < t->ntasks;)
        t->rc[t->task[k]] = rep_task(t, t->task[k]);
    return NULL;
}

int out_run_write_rep(const char *dir, const mq_result *r, const out_run_axes *ax, bool plots,
                      bool final, int threads, out_run_plots *wrote, sim_err *err)
{
    *wrote = 0;
    if (out_mkdir_p(dir, err)) return -1;
    rep_tasks t = {.dir = dir, .r = r, .ax = ax};
    for (int k = 0; k < NTASKS; k++)
        if (k == T_SERIES || (plots && (final || (k != T_PERCENTILES && k != T_ENDPOINT))))
            t.task[t.ntasks++] = k;
    atomic_init(&t.next, 0);
    pthread_t tid[NTASKS];
    int started = 0;
    while (started + 1 < threads && started + 1 < t.ntasks &&
           pthread_create(&tid[started], NULL, rep_worker, &t) == 0)
        started++;
    rep_worker(&t); /* this thread takes tasks too */
    for (int i = 0; i < started; i++) pthread_join(tid[i], NULL);
    /* every task ran; the first failure in task order is the one reported,
    ** whichever thread met it */
    for (int k = 0; k < NTASKS; k++) {
        if (t.rc[k]) {
            *err = t.err[k];
            return -1;
        }
        *wrote |= t.wrote[k];
    }
    return 0;
}

int out_run_write_summary(const char *dir, const mq_result *r, json_t *meta, bool plots,
                          out_run_plots wrote, sim_err *err)
{
    char path[4096];
    if (out_mkdir_p(dir, err)) return -1;
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    if (out_summary_csv(path, &r->metrics, err)) return -1;
    plot_ctx pc = {dir, r, 0, 0, meta ? json_object_get(meta, "budget") : NULL, wrote};
    /* unless part one drew them from a single replication's final metrics */
    int rc = plots && ((!(wrote & 1u << P_PERCENTILES) && plot_percentiles(&pc, err)) ||
                       (!(wrote & 1u << P_ENDPOINT) && plot_endpoint_disruption(&pc, err)));
    /* summary.json last, naming the plots this run wrote in report order:
    ** the report embeds those and no other file of the folder */
    json_t *names = json_array();
    SIM_NEED(names != NULL, "out of memory");
    for (int k = 0; k < NPLOTS; k++)
        if (pc.wrote & (1u << k))
            SIM_NEED_OK(json_array_append_new(names, json_string(plot_file[k])));
    json_t *m2 = meta ? json_copy(meta) : json_object();
    SIM_NEED(m2 && json_object_set_new(m2, "plots", names) == 0, "out of memory");
    snprintf(path, sizeof path, "%s/summary.json", dir);
    if (!rc) rc = out_summary_json(path, &r->metrics, m2, err);
    json_decref(m2);
    return rc ? -1 : 0;
}

/* The axes summary.json's provenance block (out_meta.h) describes. */
static out_run_axes axes_of(json_t *meta)
{
    json_t *sc = meta ? json_object_get(meta, "scenario") : NULL;
    json_t *clock0 = json_object_get(json_object_get(sc, "run"), "start_clock_s");
    return (out_run_axes){json_number_value(clock0),
                          meta ? json_object_get(meta, "budget") : NULL};
}

int out_run_write(const char *dir, const mq_result *r, json_t *meta, bool plots, sim_err *err)
{
    out_run_plots wrote = 0;
    out_run_axes ax = axes_of(meta);
    if (out_run_write_rep(dir, r, &ax, plots, true, 1, &wrote, err)) return -1;
    return out_run_write_summary(dir, r, meta, plots, wrote, err);
}
