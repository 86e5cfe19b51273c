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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINES 6

/* Copy named columns of the series into plot lines. Returns lines made, or
** -1 on out-of-memory. xs and ys are owned by the caller afterwards. */
static int columns(const sim_series *s, const char *const *names, const char *const *labels,
                   int n, plot_line *lines, double **xs, double **ys)
{
    int t = sim_series_col(s, "time_s"), made = 0;
    if (t < 0) return 0;
    for (int i = 0; i < n; i++) {
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
        }
        xs[made] = x;
        ys[made] = y;
        lines[made] = (plot_line){labels[i], x, y, s->nrows};
        made++;
    }
    return made;
}

static int plot_columns(const char *dir, const char *file, const mq_result *r,
                        const char *title, const char *ylabel, int log_y,
                        const char *const *names, const char *const *labels, int n,
                        sim_err *err)
{
    plot_line lines[MAX_LINES];
    double *xs[MAX_LINES] = {0}, *ys[MAX_LINES] = {0};
    int made = columns(&r->series, names, labels, n, lines, xs, ys);
    if (made < 0) return sim_err_set(err, "out of memory drawing %s", file);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    plot_spec spec = {title, "time (s)", ylabel, log_y, 0, 0};
    int rc = plot_lines_png(path, &spec, lines, (size_t)made, &r->bands, err);
    for (int i = 0; i < made; i++) {
        free(xs[i]);
        free(ys[i]);
    }
    return rc;
}

/* Longest cut-off per client group, as a bar chart. */
static int plot_disruption(const char *dir, const mq_result *r, sim_err *err)
{
    /* the longest outage per group, keyed by group name in first-seen order
    ** (a hashed table: 16 000 groups must not cost n^2 name compares) */
    sim_metrics per = {0};
    for (size_t i = 0; i < r->noutages; i++) {
        const mq_client_outage *o = &r->outages[i];
        sim_metric *m = sim_metrics_find(&per, o->group);
        if (!m && sim_metrics_add(&per, o->group, 0, "s", SIM_BETTER_LOWER) == 0)
            m = &per.v[per.n - 1];
        if (!m) {
            sim_metrics_free(&per);
            return sim_err_set(err, "out of memory drawing disruption.png");
        }
        if (o->max_s > m->value) m->value = o->max_s;
    }
    const char **labels = calloc(per.n ? per.n : 1, sizeof *labels);
    double *vals = calloc(per.n ? per.n : 1, sizeof *vals);
    int rc = 0;
    if (!labels || !vals) rc = sim_err_set(err, "out of memory drawing disruption.png");
    for (size_t k = 0; rc == 0 && k < per.n; k++) {
        labels[k] = per.v[k].name;
        vals[k] = per.v[k].value;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/disruption.png", dir);
    plot_spec spec = {"Longest cut-off per client group", "client group",
                      "longest cut-off (s)", 0, 0, 0};
    if (rc == 0) rc = plot_bars_png(path, &spec, labels, vals, per.n, err);
    free(labels);
    free(vals);
    sim_metrics_free(&per);
    return rc;
}

/* Longest cut-off per endpoint type, from the metrics a change model reports
** as disruption_<endpoint>_max_s (e.g. the RabbitMQ conversion); endpoint
** types without clients (NaN) are left out. No such metric: no chart. */
static int plot_endpoint_disruption(const char *dir, const mq_result *r, sim_err *err)
{
    static const char *const eps[] = {"vpc", "public", "privatelink"};
    const char *labels[3];
    double vals[3];
    size_t n = 0;
    for (size_t i = 0; i < 3; i++) {
        char name[64];
        snprintf(name, sizeof name, "disruption_%s_max_s", eps[i]);
        const sim_metric *m = sim_metrics_find(&r->metrics, name);
        if (!m || m->value != m->value) continue; /* absent or NaN */
        labels[n] = eps[i];
        vals[n++] = m->value;
    }
    if (n == 0) return 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/disruption_endpoint.png", dir);
    plot_spec spec = {"Longest cut-off per endpoint type", "endpoint",
                      "longest cut-off (s)", 0, 0, 0};
    return plot_bars_png(path, &spec, labels, vals, n, err);
}

int out_run_write(const char *dir, const mq_result *r, json_t *meta, sim_err *err)
{
    char path[4096];
    if (out_mkdir_p(dir, err)) return -1;
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    if (out_summary_csv(path, &r->metrics, err)) return -1;
    snprintf(path, sizeof path, "%s/timeseries.csv", dir);
    if (out_timeseries_csv(path, &r->series, "phase", err)) return -1;
    snprintf(path, sizeof path, "%s/summary.json", dir);
    if (out_summary_json(path, &r->metrics, meta, err)) return -1;

    static const char *const delay_cols[] = {"delay_p50_s", "delay_p99_s", "delay_max_s"};
    static const char *const delay_labels[] = {"p50", "p99", "max"};
    if (plot_columns(dir, "delay.png", r, "End-to-end delay (from intended send time)",
                     "delay (s)", 0, delay_cols, delay_labels, 3, err))
        return -1;
    static const char *const backlog_cols[] = {"backlog", "unacked", "scheduled"};
    static const char *const backlog_labels[] = {"ready (backlog)", "unacked", "scheduled, not due"};
    if (plot_columns(dir, "backlog.png", r, "Messages waiting in the broker", "messages", 0,
                     backlog_cols, backlog_labels, 3, err))
        return -1;
    static const char *const client_cols[] = {"producers_connected", "consumers_connected"};
    static const char *const client_labels[] = {"producers", "consumers"};
    if (plot_columns(dir, "clients.png", r, "Connected clients", "clients", 0, client_cols,
                     client_labels, 2, err))
        return -1;
    if (plot_endpoint_disruption(dir, r, err)) return -1;
    return plot_disruption(dir, r, err);
}
