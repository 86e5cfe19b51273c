/*
** cmd_compare.c - `mqsim compare OLD_DIR NEW_DIR`: the CI regression check
** between two results folders (simulated or measured by `mqsim load`: both
** write the same summary schema). It fails closed: anything it cannot judge
** is a failure, never a pass.
**
** Directions come from the code's metric table (models/mq_metric_info.h),
** so a folder holding only summary.csv is judged like one with
** summary.json; a metric the table lacks takes "better" from summary.json.
**
** A metric of OLD regresses when
**   - it is missing from NEW (unless the folders come from different modes,
**     sim and real, which produce different sets), or NEW did not measure it (NAN, not
**     applicable) while OLD did; or NEW did not finish it (censored) while
**     OLD measured it - the lower bound may already be worse, and if not,
**     nobody can tell, so it fails either way;
**   - or, both measured, it moved in its worse direction by more than both
**     tolerances - the relative one (|new - old| > PCT% of |old|) and the
**     absolute one for its metric or unit (so 0 -> 4 duplicates is not an
**     "infinite" regression unless 4 exceeds the absolute tolerance) - and
**     the two 95% CIs do not overlap (a value without a CI is the point
**     interval [v, v]).
** Default absolute tolerances per unit: s 0.001, msgs 10, count 10,
** ratio 0.0001, anything else 0; `--abs-tolerance KEY=X` sets one for a
** metric name or a unit (a metric name wins).
**
** Output: the verdict and the regressions first, then the full table.
** --junit FILE / --json FILE write one test case per metric of OLD.
** Exit 4 if any metric regresses, 0 if none, 2 for usage errors, a folder
** that cannot be read, or a summary without metrics.
*/
#include "cli/cli.h"
#include "io/out_verdict.h"
#include "io/report.h"
#include "models/mq_metric_info.h"
#include "sim/sim_table.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: mqsim compare OLD_DIR NEW_DIR [--tolerance PCT] [--abs-tolerance KEY=X]...\n"
               "                     [--junit FILE] [--json FILE]\n"
               "  compares every metric of two results folders (summary.json, or\n"
               "  summary.csv); exit 4 if one got worse by more than PCT %% (default 5)\n"
               "  and by more than its absolute tolerance (KEY = a metric or a unit;\n"
               "  defaults s=0.001 msgs=10 count=10 ratio=0.0001) with non-overlapping\n"
               "  95%% CIs, or if NEW lacks, did not measure or did not finish a metric\n"
               "  OLD measured; else 0. 2 for unreadable or empty folders.\n"
               "  --junit/--json write one test case per metric for CI.\n");
}

typedef struct abs_tol {
    const char *key; /* metric name or unit */
    double x;
} abs_tol;

enum { MAX_ABS = 32 };

typedef struct cmp_opts {
    double rel;      /* percent */
    abs_tol abs[MAX_ABS];
    size_t nabs;
    const char *junit, *json;
} cmp_opts;

static double abs_tolerance(const cmp_opts *o, const char *name, const char *unit)
{
    for (size_t i = 0; i < o->nabs; i++)
        if (!strcmp(o->abs[i].key, name)) return o->abs[i].x;
    for (size_t i = 0; i < o->nabs; i++)
        if (!strcmp(o->abs[i].key, unit)) return o->abs[i].x;
    static const abs_tol dflt[] = {{"s", 0.001}, {"msgs", 10}, {"count", 10}, {"ratio", 1e-4}};
    for (size_t i = 0; i < sizeof dflt / sizeof *dflt; i++)
        if (!strcmp(dflt[i].key, unit)) return dflt[i].x;
    return 0;
}

static sim_better direction(const sim_metric *o, const sim_metric *n)
{
    const mq_metric_info *inf = mq_metric_info_find(o->name);
    if (inf) return inf->better;
    return o->better != SIM_BETTER_NONE ? o->better : n ? n->better : SIM_BETTER_NONE;
}

static void fmt(char *b, size_t n, const sim_metric *m)
{
    if (!m) snprintf(b, n, "-");
    else if (m->status >= SIM_CENSORED_AT_END && !isnan(m->bound))
        snprintf(b, n, ">=%.6g", m->bound);
    else if (m->status != SIM_MEASURED) snprintf(b, n, "%s", sim_status_str(m->status));
    else if (isnan(m->value)) snprintf(b, n, "n/a");
    else snprintf(b, n, "%.6g", m->value);
}

static void fmt_ci(char *b, size_t n, const sim_metric *m)
{
    if (!m || isnan(m->ci_lo) || isnan(m->ci_hi)) snprintf(b, n, "-");
    else snprintf(b, n, "[%.4g, %.4g]", m->ci_lo, m->ci_hi);
}

/* One compared metric. */
typedef struct cmp_row {
    const sim_metric *o, *n;
    const char *name;
    char change[48];
    const char *verdict; /* short, for the table */
    char why[256];       /* one line, for regressions, JUnit and JSON */
    bool regression;
} cmp_row;

static bool measured(const sim_metric *m)
{
    return m && m->status == SIM_MEASURED && !isnan(m->value);
}

/* Judge o (OLD) against n (NEW, may be NULL). cross_mode: the folders come
** from different modes (sim and real), which do not produce the same set of
** metrics, so a metric only one of them has is not a regression. */
static void judge(const cmp_opts *opt, cmp_row *r, bool cross_mode)
{
    const sim_metric *o = r->o, *n = r->n;
    sim_better b = direction(o, n);
    snprintf(r->change, sizeof r->change, "-");
    if (!n) {
        r->regression = measured(o) && !cross_mode;
        r->verdict = r->regression ? "REGRESSION" : "old only";
        snprintf(r->why, sizeof r->why, "%s", cross_mode ? "not produced in the new run's mode"
                                                          : "missing from the new results");
        return;
    }
    if (!measured(o)) {
        r->verdict = measured(n) ? "now measured" : "not measured in either";
        snprintf(r->why, sizeof r->why, "old: %s, new: %s", sim_status_str(o->status),
                 measured(n) ? "measured" : sim_status_str(n->status));
        return;
    }
    if (!measured(n)) {
        r->regression = true;
        r->verdict = "REGRESSION";
        if (n->status >= SIM_CENSORED_AT_END && !isnan(n->bound))
            snprintf(r->why, sizeof r->why, "the new run did not finish it (%s, >= %.6g %s; "
                     "old %.6g)", sim_status_str(n->status), n->bound, n->unit, o->value);
        else
            snprintf(r->why, sizeof r->why, "not measured in the new run (%s); old %.6g",
                     n->status == SIM_MEASURED ? "nan" : sim_status_str(n->status), o->value);
        return;
    }
    double d = n->value - o->value;
    if (o->value != 0) snprintf(r->change, sizeof r->change, "%+.2f%%", 100 * d / fabs(o->value));
    else snprintf(r->change, sizeof r->change, d == 0 ? "0" : "%+.4g (from 0)", d);
    double tol = fmax(opt->rel / 100.0 * fabs(o->value), abs_tolerance(opt, o->name, o->unit));
    bool worse = (b == SIM_BETTER_LOWER && d > 0) || (b == SIM_BETTER_HIGHER && d < 0);
    bool better = (b == SIM_BETTER_LOWER && d < 0) || (b == SIM_BETTER_HIGHER && d > 0);
    bool beyond = fabs(d) > tol;
    double olo = isnan(o->ci_lo) ? o->value : o->ci_lo, ohi = isnan(o->ci_hi) ? o->value : o->ci_hi;
    double nlo = isnan(n->ci_lo) ? n->value : n->ci_lo, nhi = isnan(n->ci_hi) ? n->value : n->ci_hi;
    bool overlap = fmax(olo, nlo) <= fmin(ohi, nhi);
    snprintf(r->why, sizeof r->why, "%.6g -> %.6g %s (%s; tolerance %.4g %s)", o->value,
             n->value, o->unit, r->change, tol, o->unit);
    if (d == 0) r->verdict = "same";
    else if (b == SIM_BETTER_NONE) r->verdict = "changed";
    else if (better) r->verdict = "better";
    else if (worse && beyond && !overlap) {
        r->verdict = "REGRESSION";
        r->regression = true;
    } else r->verdict = beyond ? "worse (CIs overlap)" : "worse (within tolerance)";
}

static int parse_args(int argc, char **argv, const char *dirs[2], cmp_opts *o)
{
    int nd = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 1;
        } else if (!strcmp(a, "--tolerance") || !strcmp(a, "--abs-tolerance")) {
            bool rel = !strcmp(a, "--tolerance");
            const char *num = v;
            if (!rel && v) num = strchr(v, '=') ? strchr(v, '=') + 1 : NULL;
            char *end;
            errno = 0;
            double x = num ? strtod(num, &end) : -1;
            if (!num || errno || end == num || *end || !(x >= 0) || !isfinite(x) ||
                (!rel && (num == v + 1 || o->nabs == MAX_ABS))) {
                fprintf(stderr, "mqsim compare: %s\n", rel ? "--tolerance expects a percentage >= 0"
                        : "--abs-tolerance expects KEY=X (a metric or unit, X >= 0)");
                return -1;
            }
            if (rel) o->rel = x;
            else o->abs[o->nabs++] = (abs_tol){v, x}; /* key ends at '=': compared below */
            i++;
        } else if (!strcmp(a, "--junit") || !strcmp(a, "--json")) {
            if (!v) {
                fprintf(stderr, "mqsim compare: %s expects a file\n", a);
                return -1;
            }
            *(!strcmp(a, "--junit") ? &o->junit : &o->json) = v;
            i++;
        } else if (a[0] == '-' && a[1]) {
            static const char *const flags[] = {"--tolerance", "--abs-tolerance", "--junit",
                                                "--json", "--help", NULL};
            cli_unknown_option("compare", a, flags);
            usage(stderr);
            return -1;
        } else if (nd < 2) {
            dirs[nd++] = a;
        } else {
            fprintf(stderr, "mqsim compare: more than two folders given\n");
            return -1;
        }
    }
    if (nd != 2) {
        usage(stderr);
        return -1;
    }
    return 0;
}

/* Both folders' metrics and run modes. 0, or -1 (printed; m freed). */
static int read_both(const char *const dirs[2], sim_metrics m[2], char mode[2][32])
{
    sim_err err = {{0}};
    for (int k = 0; k < 2; k++) {
        if (report_read_metrics(dirs[k], &m[k], mode[k], sizeof mode[k], &err)) {
            fprintf(stderr, "mqsim compare: %s\n", err.msg);
            sim_metrics_free(&m[0]);
            return -1;
        }
        if (m[k].n == 0) {
            fprintf(stderr, "mqsim compare: %s: the summary holds no metrics; nothing to "
                    "compare, so no pass\n", dirs[k]);
            sim_metrics_free(&m[0]);
            sim_metrics_free(&m[1]);
            return -1;
        }
    }
    return 0;
}

/* One row per metric of the old folder (judged), then the new folder's
** metrics the old lacks. Returns the row count; counts regressions and
** metrics with a direction. */
static size_t build_rows(const cmp_opts *opt, sim_metrics m[2], bool cross_mode, cmp_row *rows,
                         size_t *regressions, size_t *directed)
{
    size_t nr = 0;
    for (size_t i = 0; i < m[0].n; i++) {
        cmp_row *r = &rows[nr++];
        r->o = &m[0].v[i];
        r->n = sim_metrics_find(&m[1], r->o->name);
        r->name = r->o->name;
        judge(opt, r, cross_mode);
        *regressions += r->regression;
        *directed += direction(r->o, r->n) != SIM_BETTER_NONE;
    }
    for (size_t i = 0; i < m[1].n; i++) {
        if (sim_metrics_find(&m[0], m[1].v[i].name)) continue;
        cmp_row *r = &rows[nr++];
        r->n = &m[1].v[i];
        r->name = r->n->name;
        r->verdict = "new only";
        snprintf(r->change, sizeof r->change, "-");
    }
    return nr;
}

static void print_rows(const cmp_row *rows, size_t nr)
{
    for (size_t i = 0; i < nr; i++)
        if (rows[i].regression) printf("  REGRESSION %s: %s\n", rows[i].name, rows[i].why);
    printf("\n%-30s %14s %14s %16s %21s %21s  %s\n", "metric", "old", "new", "change", "old CI",
           "new CI", "verdict");
    for (size_t i = 0; i < nr; i++) {
        char ov[32], nv[32], oc[48], nc[48];
        fmt(ov, sizeof ov, rows[i].o);
        fmt(nv, sizeof nv, rows[i].n);
        fmt_ci(oc, sizeof oc, rows[i].o);
        fmt_ci(nc, sizeof nc, rows[i].n);
        printf("%-30s %14s %14s %16s %21s %21s  %s\n", rows[i].name, ov, nv, rows[i].change, oc,
               nc, rows[i].verdict);
    }
}

/* --junit / --json: one case per compared metric. rc, or CLI_USAGE when a
** file cannot be written (printed). */
static int write_cases(const cmp_opts *opt, const cmp_row *rows, size_t nr, size_t directed,
                       int rc)
{
    out_cases cases = {0};
    for (size_t i = 0; i < nr; i++)
        if (rows[i].o)
            SIM_NEED_OK(out_cases_add(&cases, rows[i].name, rows[i].regression, "%s: %s",
                                      rows[i].verdict, rows[i].why));
    if (!directed) SIM_NEED_OK(out_cases_add(&cases, "directions", true,
                                             "no metric has a known direction"));
    sim_err err = {{0}};
    if ((opt->junit && out_junit(opt->junit, "mqsim.compare", &cases, &err)) ||
        (opt->json && out_verdict_json(opt->json, "compare", &cases, &err))) {
        fprintf(stderr, "mqsim compare: %s\n", err.msg);
        rc = CLI_USAGE;
    }
    out_cases_free(&cases);
    return rc;
}

int cli_compare(int argc, char **argv)
{
    const char *dirs[2] = {0};
    cmp_opts opt = {.rel = 5.0};
    int pa = parse_args(argc, argv, dirs, &opt);
    if (pa) return pa > 0 ? CLI_OK : CLI_USAGE;
    /* keys were stored as "key=x": cut them at the '=' in a private copy */
    char keys[MAX_ABS][128];
    for (size_t i = 0; i < opt.nabs; i++) {
        snprintf(keys[i], sizeof keys[i], "%.*s", (int)(strchr(opt.abs[i].key, '=') - opt.abs[i].key),
                 opt.abs[i].key);
        opt.abs[i].key = keys[i];
    }
    sim_metrics m[2] = {{0}};
    char mode[2][32];
    if (read_both(dirs, m, mode)) return CLI_USAGE;
    cmp_row *rows = calloc(m[0].n + m[1].n, sizeof *rows);
    SIM_NEED(rows != NULL, "out of memory");
    size_t regressions = 0, directed = 0;
    bool cross_mode = strcmp(mode[0], "unknown") && strcmp(mode[1], "unknown") &&
                      strcmp(mode[0], mode[1]);
    size_t nr = build_rows(&opt, m, cross_mode, rows, &regressions, &directed);
    int rc = regressions ? CLI_REGRESSION : CLI_OK;
    if (!directed) {
        fprintf(stderr, "mqsim compare: no metric of %s has a known direction (none is in the "
                "metric table and no summary.json says which way is better): cannot judge\n",
                dirs[0]);
        rc = CLI_USAGE;
    }
    printf("%s: %zu regression%s (old: %s, mode %s; new: %s, mode %s; tolerance %g%% and the "
           "absolute tolerance per metric)\n",
           rc == CLI_OK ? "PASS" : rc == CLI_REGRESSION ? "FAIL" : "CANNOT JUDGE", regressions,
           regressions == 1 ? "" : "s", dirs[0], mode[0], dirs[1], mode[1], opt.rel);
    print_rows(rows, nr);
    rc = write_cases(&opt, rows, nr, directed, rc);
    free(rows);
    sim_metrics_free(&m[0]);
    sim_metrics_free(&m[1]);
    return rc;
}
