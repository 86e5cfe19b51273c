/*
** out_run.c - the results folder of one run (see out_run.h).
**
** Plots read their columns from the timeseries by name, so a model that adds
** columns keeps working; a missing column just leaves its line out.
*/
#include "io/out_run.h"
#include "io/out_csv.h"
#include "io/out_file.h"
#include "io/out_json.h"
#include "io/plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINES 12
#define MAX_HLINES 8

/* What every time plot of the run shares: the x axis (wall clock when the
** scenario sets run.start_at) and the budget limits drawn on it. */
typedef struct plot_ctx {
    const char *dir;
    const mq_result *r;
    int wall_clock;
    double clock0_s;
    json_t *budget; /* borrowed from meta; may be NULL */
    json_t *plots;  /* the names of the plots written, in report order */
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

static int plot_columns(const plot_ctx *pc, const char *file, const char *title,
                        const char *ylabel, int log_y, int per_s, const char *budget_prefix,
                        const char *const *names, const char *const *labels, int n,
                        sim_err *err)
{
    plot_line lines[MAX_LINES];
    double *xs[MAX_LINES] = {0}, *ys[MAX_LINES] = {0};
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
    if (rc == 0) json_array_append_new(pc->plots, json_string(file));
    for (int i = 0; i < made; i++) {
        free(xs[i]);
        free(ys[i]);
    }
    return rc;
}

/* Connected clients per group, from the "<role>_connected:<group>" columns,
** so a group that never comes back stands out. */
static int plot_clients(const plot_ctx *pc, sim_err *err)
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
        return plot_columns(pc, "clients.png", "Connected clients", "clients", 0, 0, NULL, tot,
                            tl, 2, err);
    }
    return plot_columns(pc, "clients.png", "Connected clients per group", "clients", 0, 0, NULL,
                        names, lp, n, err);
}

/* An HDR-style percentile curve from the summary: delay at p50 .. p99.99
** and max against the percentile's "nines", for delivered messages and for
** every message (undelivered ones counted as delayed to the end). */
static int plot_percentiles(const plot_ctx *pc, sim_err *err)
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
    snprintf(path, sizeof path, "%s/percentiles.png", pc->dir);
    plot_spec spec = {"Delay by percentile (means over replications)",
                      "percentile in nines: 0.3 = p50, 1 = p90, 2 = p99, 3 = p99.9, 4 = p99.99",
                      "delay (s)", 1, 0, 0, hl, nhl, 0, 0};
    if (plot_lines_png(path, &spec, lines, 2, NULL, err)) return -1;
    json_array_append_new(pc->plots, json_string("percentiles.png"));
    return 0;
}

/* Longest cut-off per client group, as a bar chart. */
static int plot_disruption(const char *dir, const mq_result *r, json_t *plots, sim_err *err)
{
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
    snprintf(path, sizeof path, "%s/disruption.png", dir);
    plot_spec spec = {"Longest cut-off per client group", "client group",
                      "longest cut-off (s)", 0, 0, 0, NULL, 0, 0, 0};
    if (rc == 0) rc = plot_bars_png(path, &spec, labels, vals, per.n, err);
    if (rc == 0) json_array_append_new(plots, json_string("disruption.png"));
    free(labels);
    free(vals);
    sim_metrics_free(&per);
    return rc;
}

/* Longest cut-off per endpoint type, from the metrics a change model reports
** as disruption_<endpoint>_max_s (a change that moves clients); endpoint
** types without clients (NaN) are left out. No such metric: no chart. */
static int plot_endpoint_disruption(const char *dir, const mq_result *r, json_t *plots,
                                    sim_err *err)
{
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
    snprintf(path, sizeof path, "%s/disruption_endpoint.png", dir);
    plot_spec spec = {"Longest cut-off per endpoint type", "endpoint",
                      "longest cut-off (s)", 0, 0, 0, NULL, 0, 0, 0};
    if (plot_bars_png(path, &spec, labels, vals, n, err)) return -1;
    json_array_append_new(plots, json_string("disruption_endpoint.png"));
    return 0;
}

int out_run_write(const char *dir, const mq_result *r, json_t *meta, bool plots_wanted,
                  sim_err *err)
{
    char path[4096];
    if (out_mkdir_p(dir, err)) return -1;
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    if (out_summary_csv(path, &r->metrics, err)) return -1;
    snprintf(path, sizeof path, "%s/timeseries.csv", dir);
    if (out_timeseries_csv(path, &r->series, "phase", err)) return -1;

    json_t *sc = meta ? json_object_get(meta, "scenario") : NULL;
    json_t *clock0 = json_object_get(json_object_get(sc, "run"), "start_clock_s");
    json_t *plots = json_array();
    SIM_NEED(plots != NULL, "out of memory");
    plot_ctx pc = {dir, r, json_number_value(clock0) > 0, json_number_value(clock0),
                   meta ? json_object_get(meta, "budget") : NULL, plots};
    static const char *const delay_cols[] = {"delay_p50_s", "delay_p99_s", "delay_max_s"};
    static const char *const delay_labels[] = {"p50", "p99", "max"};
    static const char *const tp_cols[] = {"published", "consumed", "throttled"};
    static const char *const tp_labels[] = {"sent", "consumed", "throttled sends"};
    static const char *const backlog_cols[] = {"backlog", "unacked", "scheduled"};
    static const char *const backlog_labels[] = {"ready (backlog)", "unacked", "scheduled, not due"};
    int rc = plots_wanted &&
             (plot_columns(&pc, "delay.png", "End-to-end delay of delivered messages (log scale)",
                          "delay (s)", 1, 0, "delay", delay_cols, delay_labels, 3, err) ||
             plot_columns(&pc, "throughput.png", "Throughput", "messages per second", 0, 1, NULL,
                          tp_cols, tp_labels, 3, err) ||
             plot_clients(&pc, err) ||
             plot_columns(&pc, "backlog.png", "Messages waiting in the broker", "messages", 0, 0,
                          "backlog", backlog_cols, backlog_labels, 3, err) ||
             plot_percentiles(&pc, err) || plot_endpoint_disruption(dir, r, plots, err) ||
             plot_disruption(dir, r, plots, err));
    /* summary.json last, naming the plots this run wrote: the report embeds
    ** those and no other file of the folder */
    json_t *m2 = meta ? json_copy(meta) : json_object();
    SIM_NEED(m2 && json_object_set(m2, "plots", plots) == 0, "out of memory");
    snprintf(path, sizeof path, "%s/summary.json", dir);
    if (!rc) rc = out_summary_json(path, &r->metrics, m2, err);
    json_decref(m2);
    json_decref(plots);
    return rc ? -1 : 0;
}
