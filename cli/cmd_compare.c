/*
** cmd_compare.c - `mqsim compare OLD_DIR NEW_DIR [--tolerance PCT]`: the CI
** regression check between two results folders (simulated or measured by
** `mqsim load`: both write the same summary schema).
**
** A metric regresses when all three hold:
**   1. it moved in its worse direction ("better" from summary.json; a folder
**      holding only summary.csv takes the direction from the other one;
**      metrics with better = none never regress);
**   2. by more than the tolerance: |new - old| > PCT% of |old| (so any
**      increase from 0 counts);
**   3. the two 95% CIs do not overlap (a value without a CI is the point
**      interval [v, v]).
** A metric that is n/a (NAN) on either side, or present in only one folder,
** is shown but never a regression. Exit 4 if any metric regresses, else 0;
** 2 for usage errors and unreadable folders.
*/
#include "cli/cli.h"
#include "io/report.h"
#include "sim/sim_table.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: mqsim compare OLD_DIR NEW_DIR [--tolerance PCT]\n"
               "  compares every metric of two results folders (summary.json, or\n"
               "  summary.csv); exit 4 if one got worse by more than PCT %% (default 5)\n"
               "  with non-overlapping 95%% CIs, else 0\n");
}

static void fmt(char *b, size_t n, double v)
{
    if (isnan(v)) snprintf(b, n, "n/a");
    else snprintf(b, n, "%.6g", v);
}

static void fmt_ci(char *b, size_t n, const sim_metric *m)
{
    if (isnan(m->ci_lo) || isnan(m->ci_hi)) snprintf(b, n, "-");
    else snprintf(b, n, "[%.4g, %.4g]", m->ci_lo, m->ci_hi);
}

int cli_compare(int argc, char **argv)
{
    const char *dirs[2] = {0};
    int nd = 0;
    double tol = 5.0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return CLI_OK;
        } else if (!strcmp(argv[i], "--tolerance")) {
            char *end;
            errno = 0;
            tol = i + 1 < argc ? strtod(argv[i + 1], &end) : -1;
            if (i + 1 >= argc || errno || *end || !(tol >= 0) || !isfinite(tol)) {
                fprintf(stderr, "mqsim compare: --tolerance expects a percentage >= 0\n");
                return CLI_USAGE;
            }
            i++;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "mqsim compare: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return CLI_USAGE;
        } else if (nd < 2) {
            dirs[nd++] = argv[i];
        } else {
            fprintf(stderr, "mqsim compare: more than two folders given\n");
            return CLI_USAGE;
        }
    }
    if (nd != 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    sim_metrics m[2] = {{0}};
    char mode[2][32];
    sim_err err = {{0}};
    for (int k = 0; k < 2; k++)
        if (report_read_metrics(dirs[k], &m[k], mode[k], sizeof mode[k], &err)) {
            fprintf(stderr, "mqsim compare: %s\n", err.msg);
            sim_metrics_free(&m[0]);
            return CLI_USAGE;
        }
    printf("old: %s (mode %s)\nnew: %s (mode %s)\ntolerance %g%%\n\n", dirs[0], mode[0], dirs[1],
           mode[1], tol);
    printf("%-30s %14s %14s %9s %21s %21s  %s\n", "metric", "old", "new", "change", "old CI",
           "new CI", "verdict");
    int regressions = 0;
    for (int pass = 0; pass < 2; pass++) {
        const sim_metrics *a = &m[pass];
        for (size_t i = 0; i < a->n; i++) {
            const sim_metric *o = pass ? NULL : &a->v[i];
            const sim_metric *n = pass ? &a->v[i] : sim_metrics_find(&m[1], a->v[i].name);
            if (pass && sim_metrics_find(&m[0], a->v[i].name)) continue; /* shown already */
            char ov[32] = "-", nv[32] = "-", ch[32] = "-", oc[48] = "-", nc[48] = "-";
            const char *verdict = pass ? "new only" : "old only";
            if (o) fmt(ov, sizeof ov, o->value), fmt_ci(oc, sizeof oc, o);
            if (n) fmt(nv, sizeof nv, n->value), fmt_ci(nc, sizeof nc, n);
            if (o && n) {
                sim_better b = o->better != SIM_BETTER_NONE ? o->better : n->better;
                double d = n->value - o->value;
                if (isnan(d)) verdict = "n/a";
                else {
                    if (o->value != 0) snprintf(ch, sizeof ch, "%+.2f%%", 100 * d / fabs(o->value));
                    else snprintf(ch, sizeof ch, d == 0 ? "0%%" : (d > 0 ? "+inf%%" : "-inf%%"));
                    int worse = (b == SIM_BETTER_LOWER && d > 0) || (b == SIM_BETTER_HIGHER && d < 0);
                    int better = (b == SIM_BETTER_LOWER && d < 0) || (b == SIM_BETTER_HIGHER && d > 0);
                    int beyond = fabs(d) > tol / 100.0 * fabs(o->value);
                    double olo = isnan(o->ci_lo) ? o->value : o->ci_lo;
                    double ohi = isnan(o->ci_hi) ? o->value : o->ci_hi;
                    double nlo = isnan(n->ci_lo) ? n->value : n->ci_lo;
                    double nhi = isnan(n->ci_hi) ? n->value : n->ci_hi;
                    int overlap = fmax(olo, nlo) <= fmin(ohi, nhi);
                    if (d == 0) verdict = "same";
                    else if (b == SIM_BETTER_NONE) verdict = "changed";
                    else if (better) verdict = "better";
                    else if (worse && beyond && !overlap) {
                        verdict = "REGRESSION";
                        regressions++;
                    } else if (worse)
                        verdict = beyond ? "worse (CIs overlap)" : "worse (within tolerance)";
                }
            }
            printf("%-30s %14s %14s %9s %21s %21s  %s\n", a->v[i].name, ov, nv, ch, oc, nc, verdict);
        }
    }
    printf("\n%d regression%s\n", regressions, regressions == 1 ? "" : "s");
    sim_metrics_free(&m[0]);
    sim_metrics_free(&m[1]);
    return regressions ? CLI_REGRESSION : CLI_OK;
}
