/*
** cmd_plan.c - `mqsim plan FILE --vary KEY --range LO..HI [--step S]
**              [--goal budget] [--replications R] [--jobs N] [--out DIR]`
**
** Capacity search: the smallest value of KEY in [LO, HI] (on the grid
** LO, LO+S, ...) at which every line of the scenario's budget passes with
** confidence (mq_budget's rule: the whole 95% CI within the limit). It
** assumes the budget's verdict is monotone in KEY - failing below some value,
** passing from there on, as with more consumers or a larger spec - and
** bisects, so it needs about log2(grid points) + 2 evaluations instead of
** the whole grid. The assumption is checked where it matters: the answer's
** lower neighbour is evaluated and must fail, and HI must pass (otherwise
** "no value in range passes" is reported). Each evaluation runs R
** replications (in parallel, cli_par.h) on common random numbers.
**
** Values may carry a unit suffix (`--range 1s..60s`, `--range 1000..8000`):
** the numeric part is searched, the suffix is appended back.
** Output: plan.csv (every evaluated value, its budget lines with CIs and the
** verdict) and the answer with the number of runs used, on stdout.
*/
#include "cli/cli.h"
#include "cli/cli_limits.h"
#include "cli/cli_out.h"
#include "cli/cli_par.h"
#include "io/out_csv.h"
#include "io/out_file.h"
#include "io/scn_load.h"
#include "io/scn_override.h"
#include "models/mq_metric_info.h"
#include "models/mq_budget.h"
#include "models/mq_model.h"
#include "sim/sim_rep.h"

#include <csv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EVALS 64
/* The most values evaluated in one parallel run: the range's two ends. */
#define PLAN_BATCH 2

typedef struct probe {
    double value;
    int pass;
    sim_metrics agg;
} probe;

typedef struct plan {
    const char *file, *key;
    char suffix[32];
    int reps, threads;
    mq_scenario scn[PLAN_BATCH]; /* the scenarios at the values being evaluated */
    mq_limits limits; /* each evaluated value is checked against the size ceiling */
    probe evals[MAX_EVALS];
    int nevals;
    size_t runs;
} plan;

static void plan_usage(FILE *f)
{
    fprintf(f,
        "usage: mqsim plan FILE --vary KEY --range LO..HI [--step S] [--goal budget]\n"
        "                  [--replications R] [--jobs N] [--out DIR]\n"
        "                  [--max-memory SIZE] [--max-events N]\n"
        "  finds the smallest KEY in [LO, HI] at which every budget line passes with\n"
        "  confidence, by bisection (the verdict must be monotone in KEY: failing below\n"
        "  some value, passing above). KEY is a scenario path as in `mqsim sweep`;\n"
        "  change.KEY is a key of the scenario's change block, whatever its type.\n"
        "  --step S        grid step (default 1)\n"
        "  --replications  per evaluated value (default 5)\n"
        "exit 0 with the value found, 3 when no value in the range passes, 2 on bad\n"
        "input.\n"
        "examples:\n"
        "  mqsim plan scenarios/backlog-drain.yaml --vary consumers.workers.count --range 1..16\n"
        "  mqsim plan FILE --vary instance.spec_tps --range 1000..10000 --step 500\n");
}

/* "12.5s" -> 12.5 and suffix "s". */
static int split_value(const char *text, double *v, char *suffix, size_t n)
{
    char *end;
    *v = strtod(text, &end);
    if (end == text || !isfinite(*v) || strlen(end) >= n) return -1;
    snprintf(suffix, n, "%s", end);
    return 0;
}

/* Job j: replication j % reps of the batch's value j / reps. */
static int job(size_t j, void *ctx, sim_metrics *out, sim_err *err)
{
    plan *p = ctx;
    const mq_scenario *s = &p->scn[j / (size_t)p->reps];
    return mq_model_run_metrics(s, s->run.seed, j % (size_t)p->reps, out, err);
}

static probe *cached(plan *p, double v)
{
    for (int i = 0; i < p->nevals; i++)
        if (p->evals[i].value == v) return &p->evals[i];
    return NULL;
}

/* Evaluate the budget at the values v[0..k-1] (k <= PLAN_BATCH, none of
** them evaluated yet), all their replications in one parallel run, into
** fresh[0..k-1]: not yet recorded, so that a value the search turns out
** not to need leaves no trace. Every MPI rank gets each value's verdict
** (only rank 0 has the tables: elsewhere agg stays empty). 0, or -1 with
** err filled. */
static int evaluate_batch(plan *p, const double *v, int k, probe *fresh, sim_err *err)
{
    int loaded = 0, rc = 0;
    while (loaded < k && rc == 0) {
        char val[64];
        snprintf(val, sizeof val, "%.15g%s", v[loaded], p->suffix);
        const char *keys[1] = {p->key}, *vals[1] = {val};
        if (scn_load_with(p->file, keys, vals, 1, &p->scn[loaded], err)) {
            rc = -1;
            break;
        }
        rc = mq_size_check(&p->scn[loaded++], &p->limits, err) ? -1 : 0;
    }
    size_t njobs = (size_t)k * (size_t)p->reps;
    sim_metrics *res = NULL;
    if (rc == 0) {
        res = calloc(njobs, sizeof *res);
        SIM_NEED(res != NULL, "out of memory");
        rc = par_run(njobs, p->threads, job, p, res, NULL, err);
    }
    for (int i = 0; i < k && rc >= 0; i++) {
        fresh[i] = (probe){.value = v[i]};
        if (rc == 0) {
            sim_rep *agg = sim_rep_new();
            SIM_NEED(agg != NULL, "out of memory");
            for (int r = 0; r < p->reps; r++)
                SIM_NEED_OK(sim_rep_add(agg, &res[(size_t)i * (size_t)p->reps + (size_t)r]));
            SIM_NEED_OK(mq_rep_result(agg, &fresh[i].agg));
            sim_rep_free(agg);
            mq_budget_verdict vd[256];
            const mq_budget *b = p->scn[i].budget;
            fresh[i].pass = b && b->n <= 256 && mq_budget_eval(b, &fresh[i].agg, vd) == 0;
        }
        fresh[i].pass = par_share_decision(fresh[i].pass); /* rank 0's, on every rank */
    }
    if (res)
        for (size_t j = 0; j < njobs; j++) sim_metrics_free(&res[j]);
    free(res);
    for (int i = 0; i < loaded; i++) mq_scenario_free(&p->scn[i]);
    return rc < 0 ? -1 : 0;
}

/* Keep a fresh probe as evaluated (it moves in): counted, reported on
** stderr and written to plan.csv. */
static probe *record(plan *p, const probe *fresh)
{
    probe *pr = &p->evals[p->nevals++];
    *pr = *fresh;
    p->runs += (size_t)p->reps;
    if (par_rank() == 0)
        fprintf(stderr, "plan: %s = %.15g%s -> %s\n", p->key, pr->value, p->suffix,
                pr->pass ? "passes" : "fails");
    return pr;
}

/* Evaluate the budget at value v (cached). Returns the probe, or NULL with
** err filled. */
static probe *evaluate(plan *p, double v, sim_err *err)
{
    probe *c = cached(p, v), fresh;
    if (c) return c;
    if (p->nevals == MAX_EVALS) {
        sim_err_set(err, "more than %d evaluations", MAX_EVALS);
        return NULL;
    }
    return evaluate_batch(p, &v, 1, &fresh, err) ? NULL : record(p, &fresh);
}

static int write_csv(const char *dir, const plan *p, const mq_budget *b, sim_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/plan.csv", dir);
    out_file f;
    if (out_file_open(&f, path, err)) return -1;
    fprintf(f.fp, "value,budget_line,measured,ci95_low,ci95_high,line_verdict,value_verdict\n");
    char a[40], c[40], d[40];
    mq_budget_verdict *vs = malloc((b->n ? b->n : 1) * sizeof *vs);
    SIM_NEED(vs, "out of memory");
    for (int i = 0; i < p->nevals; i++) {
        const probe *pr = &p->evals[i];
        mq_budget_eval(b, &pr->agg, vs); /* every rule, as the probe's verdict */
        for (size_t l = 0; l < b->n; l++) {
            const mq_budget_verdict v = vs[l];
            fprintf(f.fp, "%.15g%s,", pr->value, p->suffix);
            csv_fwrite(f.fp, b->v[l].text, strlen(b->v[l].text));
            fprintf(f.fp, ",%s,%s,%s,%s,%s\n", out_fmt_double(a, v.value, 0),
                    out_fmt_double(c, v.lo, 0), out_fmt_double(d, v.hi, 0),
                    v.pass ? "pass" : "fail", pr->pass ? "pass" : "fail");
        }
    }
    free(vs);
    return out_file_commit(&f, err);
}

/* The most grid values a --range/--step may span (bisection visits ~30). */
#define PLAN_MAX_GRID 1e9

/* What the command line asks for besides the plan itself. */
typedef struct plan_args {
    const char *range, *out, *goal;
    double step, lo, hi;
    size_t n; /* grid values lo, lo + step, ... <= hi */
} plan_args;

/* One argument at argv[*i]: 0 taken, 1 help printed, -1 usage error. */
static int plan_arg(int argc, char **argv, int *i, plan *p, plan_args *pa)
{
    const char *a = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
        plan_usage(stdout);
        return 1;
    }
    int l = cli_limits_arg("plan", argc, argv, i, &p->limits);
    if (l != 0) return l < 0 ? -1 : 0;
    if (!strcmp(a, "--vary") && v) p->key = argv[++*i];
    else if (!strcmp(a, "--range") && v) pa->range = argv[++*i];
    else if (!strcmp(a, "--goal") && v) pa->goal = argv[++*i];
    else if (!strcmp(a, "--out") && v) pa->out = argv[++*i];
    else if (!strcmp(a, "--step") && v) pa->step = atof(argv[++*i]);
    else if (!strcmp(a, "--replications") && v) p->reps = atoi(argv[++*i]);
    else if (!strcmp(a, "--jobs") && v) p->threads = atoi(argv[++*i]);
    else if (a[0] != '-' && !p->file) p->file = a;
    else if (a[0] == '-' && !v) {
        fprintf(stderr, "mqsim plan: %s expects a value\n", a);
        plan_usage(stderr);
        return -1;
    } else if (a[0] == '-') {
        static const char *const flags[] = {"--vary", "--range", "--goal", "--out", "--step",
                                            "--replications", "--jobs", "--help", NULL};
        cli_unknown_option("plan", a, flags);
        plan_usage(stderr);
        return -1;
    } else {
        fprintf(stderr, "mqsim plan: unknown or incomplete argument '%s'\n", a);
        plan_usage(stderr);
        return -1;
    }
    return 0;
}

/* --range LO..HI with --step: the grid. 0, or -1 (printed). */
static int parse_range(plan *p, plan_args *pa)
{
    const char *range = pa->range, *dots = strstr(range, "..");
    char lo_s[64], sfx2[32];
    if (!dots || (size_t)(dots - range) >= sizeof lo_s) {
        fprintf(stderr, "mqsim plan: --range expects LO..HI, e.g. 1..16 or 1s..60s\n");
        return -1;
    }
    memcpy(lo_s, range, (size_t)(dots - range));
    lo_s[dots - range] = '\0';
    if (split_value(lo_s, &pa->lo, p->suffix, sizeof p->suffix) ||
        split_value(dots + 2, &pa->hi, sfx2, sizeof sfx2) || strcmp(p->suffix, sfx2) ||
        !(pa->hi > pa->lo)) {
        fprintf(stderr, "mqsim plan: --range expects LO..HI with LO < HI and the same unit\n");
        return -1;
    }
    /* The grid index is a size_t: a step so small (or a range so wide) that
    ** the count is not a number a size_t holds would be undefined behaviour. */
    if (!((pa->hi - pa->lo) / pa->step <= PLAN_MAX_GRID)) {
        fprintf(stderr, "mqsim plan: --range %s with --step %g is more than %.0f grid values; "
                "use a larger --step\n", range, pa->step, PLAN_MAX_GRID);
        return -1;
    }
    pa->n = (size_t)floor((pa->hi - pa->lo) / pa->step + 1e-9) + 1;
    return 0;
}

/* 0 ok, 1 help printed, -1 usage error (printed). */
static int parse_plan_args(int argc, char **argv, plan *p, plan_args *pa)
{
    for (int i = 1; i < argc; i++) {
        int r = plan_arg(argc, argv, &i, p, pa);
        if (r) return r;
    }
    if (!p->file || !p->key || !pa->range) {
        plan_usage(stderr);
        return -1;
    }
    if (strcmp(pa->goal, "budget") != 0) {
        fprintf(stderr, "mqsim plan: --goal must be 'budget' (the scenario's budget: section)\n");
        return -1;
    }
    if (p->reps < 2 || p->reps > 10000 || p->threads < 1 || !(pa->step > 0)) {
        fprintf(stderr, "mqsim plan: need --replications 2..10000 (a CI needs two), "
                        "--jobs >= 1 and --step > 0\n");
        return -1;
    }
    return parse_range(p, pa);
}

/* The range's two ends: *top, and *first (the lowest value) when the top
** passes (NULL otherwise). With more than one worker they run together:
** the bottom is needed whenever the top passes, the usual case, and its
** replications fill the workers the top's leave idle. When the top fails,
** the bottom's evaluation is dropped unrecorded, so what is written is the
** same as one after the other. 0, or -1 with err filled. */
static int ends(plan *p, const plan_args *pa, probe **top, probe **first, sim_err *err)
{
    double v[2] = {pa->lo + (double)(pa->n - 1) * pa->step, pa->lo};
    probe fresh[2];
    *first = NULL;
    int together = par_share_decision(pa->n > 1 && (p->threads > 1 || par_size() > 1));
    if (together && p->nevals + 2 <= MAX_EVALS && !cached(p, v[0]) && !cached(p, v[1]) &&
        evaluate_batch(p, v, 2, fresh, err) == 0) {
        *top = record(p, &fresh[0]);
        if ((*top)->pass) *first = record(p, &fresh[1]);
        else sim_metrics_free(&fresh[1].agg);
        return 0;
    }
    /* one at a time; after a failed batch too, so that an error is the one
    ** the search meets in order (a bottom that cannot run is no error when
    ** the top fails) */
    if (!(*top = evaluate(p, v[0], err))) return -1;
    if ((*top)->pass && !(*first = evaluate(p, v[1], err))) return -1;
    return 0;
}

/* Bisection on grid indices [0, n-1]: invariant fail(lo_i-1), pass(hi_i).
** *answer is the smallest passing value, NAN when even the largest fails.
** -1 with err filled when a probe cannot be evaluated. */
static int bisect(plan *p, const plan_args *pa, double *answer, sim_err *err)
{
    *answer = NAN;
    probe *top, *first;
    if (ends(p, pa, &top, &first, err)) return -1;
    if (!top->pass) return 0;
    size_t a = 0, b = pa->n - 1;
    if (first->pass) b = 0;
    while (b > a + 1 && !first->pass) {
        size_t m = a + (b - a) / 2;
        probe *pm = evaluate(p, pa->lo + (double)m * pa->step, err);
        if (!pm) return -1;
        if (pm->pass) b = m;
        else a = m;
    }
    *answer = pa->lo + (double)b * pa->step;
    return 0;
}

/* The answer on the console; CLI_BUDGET when no value passes. */
static int print_plan(const plan *p, const plan_args *pa, double answer, const char *final_dir)
{
    int rc = CLI_OK;
    if (isnan(answer)) {
        printf("plan: no %s in %s passes the budget (the largest, %.15g%s, fails)\n", p->key,
               pa->range, pa->lo + (double)(pa->n - 1) * pa->step, p->suffix);
        rc = CLI_BUDGET;
    } else {
        printf("plan: smallest %s that passes the budget: %.15g%s\n", p->key, answer, p->suffix);
    }
    printf("plan: %d values evaluated x %d replications = %zu runs (the full grid: %zu values, "
           "%zu runs); details in %s/plan.csv\n", p->nevals, p->reps, p->runs, pa->n,
           pa->n * (size_t)p->reps, final_dir);
    return rc;
}

int cli_plan(int argc, char **argv)
{
    plan p = {.reps = 5, .threads = par_default_threads(), .limits = CLI_LIMITS_DEFAULT};
    plan_args pa = {.goal = "budget", .step = 1};
    int pr = parse_plan_args(argc, argv, &p, &pa);
    if (pr) return pr > 0 ? CLI_OK : CLI_USAGE;
    sim_err err = {{0}};
    mq_scenario base;
    if (scn_load_file(p.file, &base, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return CLI_USAGE;
    }
    if (!base.budget || base.budget->n == 0) {
        fprintf(stderr, "%s: no budget: section; plan searches for the value where the "
                        "budget passes (see docs/SCENARIO.md)\n", p.file);
        mq_scenario_free(&base);
        return CLI_USAGE;
    }
    out_dir od;
    char final_dir[4096];
    if (cli_out_begin(&od, "plan", pa.out, base.name, "-plan", final_dir, sizeof final_dir)) {
        mq_scenario_free(&base);
        return CLI_USAGE;
    }
    const char *dir = od.tmp; /* NULL on another MPI rank (cli_out.h): rank 0 writes */
    double answer;
    int rc = CLI_OK;
    if (bisect(&p, &pa, &answer, &err) || (dir && write_csv(dir, &p, base.budget, &err))) {
        fprintf(stderr, "mqsim plan: %s\n", err.msg);
        rc = CLI_USAGE;
    } else if (dir && cli_out_commit(&od, "plan")) {
        rc = CLI_INTERNAL;
    } else if (dir) {
        rc = print_plan(&p, &pa, answer, final_dir);
    }
    out_dir_abort(&od); /* a no-op after a commit */
    for (int i = 0; i < p.nevals; i++) sim_metrics_free(&p.evals[i].agg);
    mq_scenario_free(&base);
    return rc;
}
