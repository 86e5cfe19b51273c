/*
** cmd_sweep.c - `mqsim sweep FILE --set KEY=V1,V2,... [--set ...]
**                [--replications R] [--jobs N] [--seed N] [--out DIR]
**                [--metrics m1,m2,...]`
**
** Runs the grid of every combination of the --set values, R replications
** per point (streams from (seed, replication): the same replication index
** sees the same random numbers at every point, so differences between
** points are not noise between seeds), on N threads and, under mpirun, on
** every rank (cli_par.h). Writes, from rank 0 only:
**   sweep.csv   one row per (point, metric): point, the swept keys, metric,
**               mean, ci95_low, ci95_high, unit;
**   sweep_<metric>.png  each plotted metric against the first swept key,
**               one line per combination of the other keys.
** Output bytes do not depend on --jobs or the number of MPI ranks. The
** plots are drawn on the same threads, one job per metric.
*/
#include "cli/cli.h"
#include "cli/cli_limits.h"
#include "cli/cli_out.h"
#include "io/scn_yaml.h"
#include "cli/cli_par.h"
#include "cli/cli_text.h"
#include "io/out_csv.h"
#include "io/out_file.h"
#include "io/plot.h"
#include "io/scn_load.h"
#include "io/scn_override.h"
#include "io/units.h"
#include "models/mq_metric_info.h"
#include "models/mq_model.h"
#include "sim/sim_rep.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_KEYS 8
#define MAX_POINTS 100000

typedef struct sweep_key {
    char *key;
    char **vals;
    size_t nvals;
} sweep_key;

typedef struct sweep {
    const char *file;
    sweep_key keys[MAX_KEYS];
    size_t nkeys, npoints;
    int reps;
    uint64_t seed;
    int have_seed;
    mq_scenario *scn; /* one per point */
    mq_limits limits; /* every point is checked against the size ceiling */
    const char *out;  /* --out */
    int threads;      /* --jobs */
    char *metric_list, *metrics[64]; /* --metrics, split in place */
    size_t nmetrics;
} sweep;

static void sweep_usage(FILE *f)
{
    fprintf(f,
        "usage: mqsim sweep FILE --set KEY=V1,V2,... [--set KEY=...]... [options]\n"
        "  --set KEY=VALUES  a scenario key (consumers.workers.count, instance.spec_tps,\n"
        "                    run.start_at, producers[0].rate, ...) and its values;\n"
        "                    several --set give the full grid\n"
        "  --replications R  replications per point (default 5)\n"
        "  --jobs N          worker threads (default: the number of cores)\n"
        "  --seed N          master seed (default: the scenario's)\n"
        "  --out DIR         results folder (default results/<name>-sweep/)\n"
        "  --metrics LIST    metrics to plot (default delay_p99_s,duplicates,\n"
        "                    disruption_max_s,drain_time_s,lost); a name that is not\n"
        "                    a metric of the model exits 2 with the known names\n"
        CLI_LIMITS_USAGE
        "Under `mpirun -n K mqsim sweep ...` the points are split over the ranks;\n"
        "the output is byte-identical for any K and N.\n");
}

/* Point p -> index of its value for key k (first key varies slowest). */
static size_t val_index(const sweep *sw, size_t p, size_t k)
{
    size_t stride = 1;
    for (size_t j = sw->nkeys; j-- > k + 1;) stride *= sw->keys[j].nvals;
    return (p / stride) % sw->keys[k].nvals;
}

static int job(size_t j, void *ctx, sim_metrics *out, sim_err *err)
{
    sweep *sw = ctx;
    const mq_scenario *s = &sw->scn[j / (size_t)sw->reps];
    return mq_model_run_metrics(s, sw->have_seed ? sw->seed : s->run.seed,
                                j % (size_t)sw->reps, out, err);
}

static int load_points(sweep *sw, sim_err *err)
{
    sw->scn = calloc(sw->npoints, sizeof *sw->scn);
    SIM_NEED(sw->scn != NULL, "out of memory");
    for (size_t p = 0; p < sw->npoints; p++) {
        const char *keys[MAX_KEYS], *vals[MAX_KEYS];
        for (size_t k = 0; k < sw->nkeys; k++) {
            keys[k] = sw->keys[k].key;
            vals[k] = sw->keys[k].vals[val_index(sw, p, k)];
        }
        if (scn_load_with(sw->file, keys, vals, sw->nkeys, &sw->scn[p], err) ||
            mq_size_check(&sw->scn[p], &sw->limits, err))
            return -1;
    }
    return 0;
}

/* Numeric x of a value: a duration, a time of day, a plain number, or the
** value's position when it is none of these. */
static double x_of(const char *v, size_t index)
{
    double x;
    if (units_number(v, &x, NULL) == 0) return x;
    if (units_duration(v, &x, NULL) == 0) return x;
    if (units_time_of_day(v, &x, NULL) == 0) return x / 3600.0; /* hours */
    return (double)index;
}

static int write_csv(const char *dir, const sweep *sw, const sim_metrics *agg, sim_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/sweep.csv", dir);
    out_file f;
    if (out_file_open(&f, path, err)) return -1;
    fputs("point", f.fp);
    for (size_t k = 0; k < sw->nkeys; k++) {
        fputc(',', f.fp);
        csv_fwrite(f.fp, sw->keys[k].key, strlen(sw->keys[k].key));
    }
    fputs(",metric,value,ci95_low,ci95_high,unit,status,lower_bound\n", f.fp);
    char a[40], b[40], c[40];
    for (size_t p = 0; p < sw->npoints; p++)
        for (size_t i = 0; i < agg[p].n; i++) {
            const sim_metric *m = &agg[p].v[i];
            fprintf(f.fp, "%zu", p);
            for (size_t k = 0; k < sw->nkeys; k++) {
                const char *v = sw->keys[k].vals[val_index(sw, p, k)];
                fputc(',', f.fp);
                csv_fwrite(f.fp, v, strlen(v));
            }
            fprintf(f.fp, ",%s,%s,%s,%s,%s,%s,", m->name, out_fmt_double(a, m->value, 0),
                    isnan(m->ci_lo) ? "" : out_fmt_double(b, m->ci_lo, 0),
                    isnan(m->ci_hi) ? "" : out_fmt_double(c, m->ci_hi, 0), m->unit,
                    sim_status_str(m->status));
            if (!isnan(m->bound)) fputs(out_fmt_double(a, m->bound, 0), f.fp);
            fputc('\n', f.fp);
        }
    return out_file_commit(&f, err);
}

/* What every plot job of a sweep reads. */
typedef struct plot_ctx {
    const char *dir;
    const sweep *sw;
    const sim_metrics *agg;
    char xlabel[300]; /* the swept key with its unit */
} plot_ctx;

/* sweep_<metric>.png for metric mi: a job on the job runner (par_job_fn;
** *out stays empty), so the plots of a sweep are drawn on every core. */
static int plot_job(size_t mi, void *vctx, sim_metrics *out, sim_err *err)
{
    (void)out;
    const plot_ctx *pc = vctx;
    const sweep *sw = pc->sw;
    const sim_metrics *agg = pc->agg;
    const char *metric = sw->metrics[mi];
    const sweep_key *k0 = &sw->keys[0];
    size_t nlines = sw->npoints / k0->nvals;
    double *x = malloc(k0->nvals * sizeof *x), *y = malloc(sw->npoints * sizeof *y);
    double *lo = malloc(sw->npoints * sizeof *lo), *hi = malloc(sw->npoints * sizeof *hi);
    double *bnd = malloc(sw->npoints * sizeof *bnd); /* censored points' lower bounds */
    plot_line *lines = calloc(2 * nlines, sizeof *lines);
    char (*labels)[256] = calloc(2 * nlines, sizeof *labels);
    SIM_NEED(x && y && lo && hi && bnd && lines && labels, "out of memory");
    for (size_t i = 0; i < k0->nvals; i++) x[i] = x_of(k0->vals[i], i);
    const char *unit = "";
    size_t nl = nlines;
    for (size_t l = 0; l < nlines; l++) {
        /* line l: the l-th combination of the other keys */
        const char *lk[MAX_KEYS], *lv[MAX_KEYS];
        for (size_t k = 1; k < sw->nkeys; k++) {
            lk[k - 1] = sw->keys[k].key;
            lv[k - 1] = sw->keys[k].vals[val_index(sw, l, k)];
        }
        cli_label(labels[l], sizeof labels[l], lk, lv, sw->nkeys - 1);
        if (sw->nkeys == 1) snprintf(labels[l], sizeof labels[l], "%s (mean)", metric);
        for (size_t i = 0; i < k0->nvals; i++) {
            const sim_metric *m = sim_metrics_find(&agg[i * nlines + l], metric);
            size_t j = l * k0->nvals + i;
            y[j] = m ? m->value : NAN;
            lo[j] = m ? m->ci_lo : NAN;
            hi[j] = m ? m->ci_hi : NAN;
            bnd[j] = m && m->status >= SIM_CENSORED_AT_END ? m->bound : NAN;
            if (m) unit = m->unit;
        }
        lines[l] = (plot_line){labels[l], x, y + l * k0->nvals, k0->nvals, lo + l * k0->nvals,
                               hi + l * k0->nvals, 1};
        /* points that did not finish: their lower bounds, as separate dots */
        bool any = false;
        for (size_t i = 0; i < k0->nvals; i++) any |= !isnan(bnd[l * k0->nvals + i]);
        if (any) {
            if (sw->nkeys == 1) snprintf(labels[nl], sizeof labels[nl], "did not finish (>= bound)");
            else snprintf(labels[nl], sizeof labels[nl], "%.200s, unfinished (>=)", labels[l]);
            lines[nl] = (plot_line){labels[nl], x, bnd + l * k0->nvals, k0->nvals, NULL, NULL, 1};
            nl++;
        }
    }
    char title[256], ylabel[256], path[4400];
    snprintf(title, sizeof title, "%s against %s (mean and 95%% CI of %d replications)", metric,
             k0->key, sw->reps);
    snprintf(ylabel, sizeof ylabel, "%s%s%s%s", metric, *unit ? " (" : "", unit,
             *unit ? ")" : "");
    snprintf(path, sizeof path, "%s/sweep_%s.png", pc->dir, metric);
    plot_spec spec = {title, pc->xlabel, ylabel, 0, 0, 0, NULL, 0, 0, 0};
    int rc = plot_lines_png(path, &spec, lines, nl, NULL, err);
    free(x);
    free(y);
    free(lo);
    free(hi);
    free(bnd);
    free(lines);
    free(labels);
    return rc;
}

/* Every sweep_<metric>.png, drawn on the sweep's threads. */
static int write_plots(const char *dir, const sweep *sw, const sim_metrics *agg, sim_err *err)
{
    plot_ctx pc = {dir, sw, agg, ""};
    /* the swept key's unit: durations are seconds (the axis picks s/min/h),
    ** times of day hours */
    const sweep_key *k0 = &sw->keys[0];
    double tmp;
    const char *v0 = k0->vals[0];
    if (units_number(v0, &tmp, NULL) == 0) snprintf(pc.xlabel, sizeof pc.xlabel, "%s", k0->key);
    else if (units_duration(v0, &tmp, NULL) == 0)
        snprintf(pc.xlabel, sizeof pc.xlabel, "%s (s)", k0->key);
    else if (units_time_of_day(v0, &tmp, NULL) == 0)
        snprintf(pc.xlabel, sizeof pc.xlabel, "%s (hour of day)", k0->key);
    else snprintf(pc.xlabel, sizeof pc.xlabel, "%s (value index)", k0->key);
    sim_metrics *none = calloc(sw->nmetrics ? sw->nmetrics : 1, sizeof *none);
    SIM_NEED(none != NULL, "out of memory");
    int rc = par_run_threads(sw->nmetrics, sw->threads, plot_job, &pc, none, err);
    free(none);
    return rc;
}

static size_t split(char *s, char **out, size_t max)
{
    size_t n = 0;
    for (char *t = strtok(s, ","); t && n < max; t = strtok(NULL, ",")) out[n++] = t;
    return n;
}

/* --set KEY=V1,V2,...: one more key of the grid. 0, or -1 (printed). */
static int parse_set(sweep *sw, const char *v)
{
    const char *eq = strchr(v, '=');
    if (!eq || eq == v || !eq[1] || sw->nkeys == MAX_KEYS) {
        fprintf(stderr, "mqsim sweep: --set expects KEY=V1,V2,... (at most %d keys)\n", MAX_KEYS);
        return -1;
    }
    sweep_key *k = &sw->keys[sw->nkeys++];
    k->key = strndup(v, (size_t)(eq - v));
    char *list = strdup(eq + 1);
    k->vals = calloc(strlen(eq + 1) + 1, sizeof *k->vals);
    SIM_NEED(k->key && list && k->vals, "out of memory");
    size_t n = 0;
    for (char *t = strtok(list, ","); t; t = strtok(NULL, ",")) k->vals[n++] = strdup(t);
    k->nvals = n;
    free(list);
    if (n > 0) return 0;
    fprintf(stderr, "mqsim sweep: --set %s has no values\n", k->key);
    return -1;
}

/* An option that takes a value (v, never NULL): 1 taken, 0 not one of
** these, -1 usage error (printed). */
static int value_opt(sweep *sw, const char *a, const char *v)
{
    if (!strcmp(a, "--set")) return parse_set(sw, v) ? -1 : 1;
    if (!strcmp(a, "--replications")) {
        sw->reps = atoi(v);
        if (sw->reps >= 1 && sw->reps <= 100000) return 1;
        fprintf(stderr, "mqsim sweep: --replications expects 1..100000\n");
        return -1;
    }
    if (!strcmp(a, "--jobs")) {
        sw->threads = atoi(v);
        if (sw->threads >= 1 && sw->threads <= 1024) return 1;
        fprintf(stderr, "mqsim sweep: --jobs expects 1..1024\n");
        return -1;
    }
    if (!strcmp(a, "--seed")) {
        char *end;
        errno = 0;
        sw->seed = strtoull(v, &end, 10);
        if (errno || *end || *v == '-') {
            fprintf(stderr, "mqsim sweep: --seed expects a non-negative integer\n");
            return -1;
        }
        sw->have_seed = 1;
        return 1;
    }
    if (!strcmp(a, "--out")) {
        sw->out = v;
        return 1;
    }
    if (!strcmp(a, "--metrics")) {
        free(sw->metric_list);
        sw->metric_list = strdup(v);
        return 1;
    }
    return 0;
}

/* The grid's size and the metric list, once all options are read. */
static int check_sweep(sweep *sw)
{
    if (!sw->file || sw->nkeys == 0) {
        sweep_usage(stderr);
        return -1;
    }
    sw->npoints = 1;
    for (size_t k = 0; k < sw->nkeys; k++) {
        sw->npoints *= sw->keys[k].nvals;
        if (sw->npoints > MAX_POINTS) {
            fprintf(stderr, "mqsim sweep: more than %d grid points\n", MAX_POINTS);
            return -1;
        }
    }
    if (!sw->metric_list)
        sw->metric_list = strdup("delay_p99_s,duplicates,disruption_max_s,drain_time_s,lost");
    SIM_NEED(sw->metric_list != NULL, "out of memory");
    sw->nmetrics = split(sw->metric_list, sw->metrics, 64);
    return 0;
}

/* 0 ok, 1 help printed, -1 usage error (printed). */
static int parse_sweep_args(int argc, char **argv, sweep *sw)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int l = cli_limits_arg("sweep", argc, argv, &i, &sw->limits);
        if (l < 0) return -1;
        if (l > 0) continue;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            sweep_usage(stdout);
            return 1;
        }
        int o = v ? value_opt(sw, a, v) : 0;
        if (o < 0) return -1;
        if (o > 0) {
            i++;
        } else if (a[0] == '-') {
            static const char *const flags[] = {"--set", "--replications", "--jobs", "--seed",
                                                "--out", "--metrics", "--help", NULL};
            if (v || !scn_suggest(a, flags, 6)) cli_unknown_option("sweep", a, flags);
            else fprintf(stderr, "mqsim sweep: %s expects a value\n", a);
            sweep_usage(stderr);
            return -1;
        } else if (!sw->file) {
            sw->file = a;
        } else {
            fprintf(stderr, "mqsim sweep: more than one scenario file ('%s')\n", a);
            return -1;
        }
    }
    return check_sweep(sw);
}

/* Every point's replications on the job runner, then each point's means
** into agg[p]. CLI_OK, CLI_INTERNAL (printed), or -1 on an MPI rank other
** than 0 (its share is sent; rank 0 writes). */
static int run_points(sweep *sw, sim_metrics *res, sim_metrics *agg, sim_err *err)
{
    size_t njobs = sw->npoints * (size_t)sw->reps;
    int pr = par_run(njobs, sw->threads, job, sw, res, "sweep", err);
    if (pr == 1) return -1;
    if (pr < 0) {
        fprintf(stderr, "mqsim sweep: %s\n", err->msg);
        return CLI_INTERNAL;
    }
    for (size_t p = 0; p < sw->npoints; p++) {
        sim_rep *r = sim_rep_new();
        SIM_NEED(r != NULL, "out of memory");
        for (int k = 0; k < sw->reps; k++)
            SIM_NEED_OK(sim_rep_add(r, &res[p * (size_t)sw->reps + (size_t)k]));
        SIM_NEED_OK(mq_rep_result(r, &agg[p]));
        sim_rep_free(r);
    }
    return CLI_OK;
}

/* Every --metrics name must be a metric of the model (they are the same at
** every point): an unknown one would draw an empty plot. */
static int check_metrics(const sweep *sw, const sim_metrics *agg0)
{
    for (size_t mi = 0; mi < sw->nmetrics; mi++) {
        if (sim_metrics_find(agg0, sw->metrics[mi])) continue;
        fprintf(stderr, "mqsim sweep: --metrics: no metric '%s'; known:", sw->metrics[mi]);
        for (size_t i = 0; i < agg0->n; i++) fprintf(stderr, " %s", agg0->v[i].name);
        fputc('\n', stderr);
        return -1;
    }
    return 0;
}

static void print_sweep(const sweep *sw, const sim_metrics *agg, const char *final_dir)
{
    printf("sweep: %zu points x %d replications = %zu runs; results in %s/\n", sw->npoints,
           sw->reps, sw->npoints * (size_t)sw->reps, final_dir);
    for (size_t p = 0; p < sw->npoints; p++) {
        printf("  ");
        for (size_t k = 0; k < sw->nkeys; k++)
            printf("%s=%s ", sw->keys[k].key, sw->keys[k].vals[val_index(sw, p, k)]);
        bool delivered_delay = false; /* a delay of the delivered messages only is shown */
        for (size_t mi = 0; mi < sw->nmetrics; mi++) {
            const sim_metric *m = sim_metrics_find(&agg[p], sw->metrics[mi]);
            char t[160];
            if (!m) continue;
            delivered_delay |= mq_metric_is_delivered_delay(m->name);
            /* the mean alone, or what a value cut off by the run's end is */
            if (m->status == SIM_MEASURED && isfinite(m->value)) printf(" %s=%.4g", m->name, m->value);
            else printf(" %s=%s", m->name, cli_metric_text(&agg[p], m->name, t, sizeof t));
        }
        /* a delivered-only delay beside a point that stranded messages */
        if (delivered_delay && mq_undelivered_moves_p99(&agg[p]))
            printf("  (delays over the delivered messages: undelivered_fraction=%.3g, "
                   "delay_all_p99_s=%.4g)", sim_metrics_find(&agg[p], "undelivered_fraction")->value,
                   sim_metrics_find(&agg[p], "delay_all_p99_s")->value);
        printf("\n");
    }
}

static void free_sweep(sweep *sw)
{
    for (size_t k = 0; k < sw->nkeys; k++) {
        for (size_t i = 0; i < sw->keys[k].nvals; i++) free(sw->keys[k].vals[i]);
        free(sw->keys[k].vals);
        free(sw->keys[k].key);
    }
    for (size_t p = 0; sw->scn && p < sw->npoints; p++) mq_scenario_free(&sw->scn[p]);
    free(sw->scn);
    free(sw->metric_list);
}

/* Load the points, run them, write sweep.csv and the plots. */
static int sweep_run(sweep *sw, out_dir *od, const char *final_dir, sim_err *err)
{
    if (load_points(sw, err)) {
        fprintf(stderr, "%s\n", err->msg);
        return CLI_USAGE;
    }
    size_t njobs = sw->npoints * (size_t)sw->reps;
    sim_metrics *res = calloc(njobs, sizeof *res), *agg = calloc(sw->npoints, sizeof *agg);
    SIM_NEED(res && agg, "out of memory");
    int rc = run_points(sw, res, agg, err);
    if (rc == -1) {
        rc = CLI_OK; /* another rank */
    } else if (rc == CLI_OK && check_metrics(sw, &agg[0])) {
        rc = CLI_USAGE;
    } else if (rc == CLI_OK && (write_csv(od->tmp, sw, agg, err) ||
                                write_plots(od->tmp, sw, agg, err))) {
        fprintf(stderr, "mqsim sweep: %s\n", err->msg);
        rc = CLI_INTERNAL;
    } else if (rc == CLI_OK && cli_out_commit(od, "sweep")) {
        rc = CLI_INTERNAL;
    } else if (rc == CLI_OK) {
        print_sweep(sw, agg, final_dir);
    }
    for (size_t j = 0; j < njobs; j++) sim_metrics_free(&res[j]);
    for (size_t p = 0; p < sw->npoints; p++) sim_metrics_free(&agg[p]);
    free(res);
    free(agg);
    return rc;
}

int cli_sweep(int argc, char **argv)
{
    sweep sw = {.reps = 5, .limits = CLI_LIMITS_DEFAULT, .threads = par_default_threads()};
    out_dir od = {.lock_fd = -1};
    int rc = parse_sweep_args(argc, argv, &sw);
    if (rc) {
        free_sweep(&sw);
        return rc > 0 ? CLI_OK : CLI_USAGE;
    }
    sim_err err = {{0}};
    mq_scenario base;
    if (scn_load_file(sw.file, &base, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        free_sweep(&sw);
        return CLI_USAGE;
    }
    char final_dir[4096];
    int claimed = cli_out_begin(&od, "sweep", sw.out, base.name, "-sweep", final_dir,
                                sizeof final_dir) == 0;
    mq_scenario_free(&base);
    rc = claimed ? sweep_run(&sw, &od, final_dir, &err) : CLI_USAGE;
    out_dir_abort(&od); /* a no-op after a commit */
    free_sweep(&sw);
    return rc;
}
