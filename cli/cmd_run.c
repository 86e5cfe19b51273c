/*
** cmd_run.c - `mqsim run FILE [options]`: simulate a scenario, with
** replications, a paired baseline, the risk budget and the report.
**
** scenario file -> scn_load -> R x mq_model_run (replication r uses streams
** derived from (seed, r)) -> sim_rep (mean, t-based 95% CI) -> outputs.
**   - Paired baseline: when the scenario has a change (timed events, a
**     change block of any type) or --baseline is given,
**     the same file is loaded a second time, the change is stripped
**     (mq_scenario_strip_change) and replication r of the baseline runs on
**     the same seed and replication index, i.e. on common random numbers.
**     The per-pair differences (change - baseline) go to summary_delta.csv.
**   - --precision X adds replications (at least 2) until every budgeted
**     metric's relative CI half-width is <= X, or --max-replications.
**   - The budget is evaluated on the aggregated metrics after all outputs
**     are written; any failing line makes the exit status 3.
**   - The start-time search (models/mq_start.h) runs the same replications
**     at the quietest hour on the job runner.
** Every replication, 0 included, is a job on the job runner (cli_par.h)
** from the start; replication 0's job also keeps its whole result, whose
** timeseries, plots and timeline are written. Tables are consumed in
** replication order, so the --precision stopping point and every output
** byte are the same for any --jobs.
** The results folder is claimed up front (out_dir.h: lock, writability,
** a temporary sibling folder). Replication 0's job writes the files that
** read its result alone (timeseries.csv and its plots, out_run_write_rep)
** into the temporary folder as soon as it has run, while the other
** replications still run on the other threads; the files of the aggregates
** follow once every run has finished and passed its accounting check, and
** the folder is swapped in whole at the end, so a failed or killed run
** leaves the previous results intact and never mixes its files with them.
**
** cli_run is a list of named steps over one run_state; each step prints its
** own error and returns the exit status (CLI_OK to go on). Options are
** parsed by parse_args(): flags from a table, options with a value in
** value_opt(); add a new option there and a field in run_args.
*/
#include "cli/cli.h"
#include "cli/cli_limits.h"
#include "cli/cli_out.h"
#include "cli/cli_text.h"
#include "cli/cli_par.h"
#include "cli/cli_progress.h"
#include "cli/cli_timing.h"
#include "io/out_csv.h"
#include "io/out_meta.h"
#include "io/out_risk.h"
#include "io/out_run.h"
#include "io/out_verdict.h"
#include "io/report.h"
#include "io/scn_load.h"
#include "io/scn_override.h"
#include "io/units.h"
#include "models/mq_metric_info.h"
#include "models/mq_budget.h"
#include "models/mq_model.h"
#include "models/mq_start.h"
#include "sim/sim_rep.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void run_usage(FILE *f)
{
    fprintf(f,
        "usage: mqsim run FILE [--seed N] [--out DIR] [--progress] [--replications R]\n"
        "                      [--precision X [--max-replications N]] [--baseline|--no-baseline]\n"
        "                      [--report] [--no-plots] [--timing]\n"
        "  FILE        scenario (YAML); see docs/SCENARIO.md\n"
        "  --seed N    master seed (default: the scenario's run.seed)\n"
        "  --out DIR   results folder (default: results/<scenario name>/)\n"
        "  --progress  show progress on stderr (default: when stderr is a terminal)\n"
        "  --at HH:MM  start the change block at this time of day (counted\n"
        "              from run.start_at, wrapping at 24h)\n"
        "  --replications R  independent replications (default 1); the summary gets\n"
        "              95%% t-intervals in ci95_low/ci95_high\n"
        "  --precision X     add replications until every budgeted metric's relative\n"
        "              CI half-width is <= X (e.g. 0.05), up to --max-replications (50)\n"
        "  --jobs N    threads for the replications (default: the number of cores);\n"
        "              the output does not depend on N\n"
        "  --baseline  also run the scenario without its change on common random\n"
        "              numbers (default when it has events or a change) and write the\n"
        "              paired deltas to summary_delta.csv; --no-baseline skips it\n"
        "  --report    also write report.html and report.md (as `mqsim report DIR`)\n"
        "  --no-plots  write no PNG plots (the report then shows none), for scripts\n"
        "              and CI where nobody looks at them\n"
        "  --timing    print on stderr the time spent starting the process (its CPU\n"
        "              time before the command), loading the scenario, running\n"
        "              (replication 0's timeseries and plots are drawn while the\n"
        "              others run) and writing the other outputs\n"
        CLI_LIMITS_USAGE
        "  --suggest-start   with a day-profile load and a change: also run the window at\n"
        "              the quietest start hour and report its p99 delay (default with\n"
        "              --report; --no-suggest-start skips it)\n"
        "  --junit FILE, --json FILE  also write the budget verdict as JUnit XML or\n"
        "              JSON, one test case per budget line (for CI)\n"
        "writes summary.csv, summary.json, timeseries.csv, delay.png, throughput.png,\n"
        "clients.png, backlog.png, percentiles.png and disruption.png, plus budget.csv\n"
        "and summary_delta.csv when they apply (every metric: docs/OUTPUT.md or\n"
        "`mqsim metrics`). exit 3 when a budget line fails.\n");
}

static int parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-') return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) return -1;
    *out = v;
    return 0;
}

typedef struct run_args {
    const char *file, *out;
    uint64_t seed;
    int have_seed, progress;
    uint64_t replications, max_replications;
    int have_max;           /* --max-replications given */
    double precision;       /* 0 = off */
    int baseline;           /* -1 auto, 0 off, 1 on */
    int report;
    const char *at;         /* --at HH:MM: the change starts then */
    int suggest_start;      /* -1 auto (with --report), 0 off, 1 on */
    int jobs;               /* threads for the replications */
    int plots;              /* 0 with --no-plots */
    int timing;             /* --timing */
    mq_limits limits;       /* --max-memory, --max-events */
    const char *junit, *json; /* --junit / --json: the budget verdict for CI */
} run_args;

/* Options without a value: the int field each sets, and to what. */
static const struct {
    const char *name;
    size_t field;
    int value;
} run_flags[] = {
    {"--progress", offsetof(run_args, progress), 1},
    {"--baseline", offsetof(run_args, baseline), 1},
    {"--no-baseline", offsetof(run_args, baseline), 0},
    {"--report", offsetof(run_args, report), 1},
    {"--suggest-start", offsetof(run_args, suggest_start), 1},
    {"--no-suggest-start", offsetof(run_args, suggest_start), 0},
    {"--no-plots", offsetof(run_args, plots), 0},
    {"--timing", offsetof(run_args, timing), 1},
};

static int set_flag(const char *s, run_args *a)
{
    for (size_t k = 0; k < sizeof run_flags / sizeof *run_flags; k++)
        if (!strcmp(s, run_flags[k].name)) {
            *(int *)((char *)a + run_flags[k].field) = run_flags[k].value;
            return 1;
        }
    return 0;
}

/* An unsigned count in [lo, hi]; prints the usage error. */
static int count_arg(const char *opt, const char *val, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (!parse_u64(val, out) && *out >= lo && *out <= hi) return 0;
    fprintf(stderr, "mqsim run: %s expects an integer %" PRIu64 "..%" PRIu64 "\n", opt, lo, hi);
    return -1;
}

/* An option that takes a value: 1 taken (the value consumed), 0 not one of
** these, -1 usage error (printed). */
static int value_opt(const char *s, const char *val, run_args *a)
{
    uint64_t j;
    if (!strcmp(s, "--seed")) {
        if (parse_u64(val, &a->seed)) {
            fprintf(stderr, "mqsim run: %s expects a non-negative integer\n", s);
            return -1;
        }
        a->have_seed = 1;
    } else if (!strcmp(s, "--replications")) {
        if (count_arg(s, val, 1, 100000, &a->replications)) return -1;
    } else if (!strcmp(s, "--max-replications")) {
        if (count_arg(s, val, 2, 100000, &a->max_replications)) return -1;
        a->have_max = 1;
    } else if (!strcmp(s, "--jobs")) {
        if (count_arg(s, val, 1, 1024, &j)) return -1;
        a->jobs = (int)j;
    } else if (!strcmp(s, "--precision")) {
        char *end;
        errno = 0;
        a->precision = val ? strtod(val, &end) : 0;
        if (!val || errno || *end || !(a->precision > 0 && a->precision < 1)) {
            fprintf(stderr, "mqsim run: --precision expects a relative half-width "
                            "between 0 and 1, e.g. 0.05\n");
            return -1;
        }
    } else {
        static const struct { const char *name, *what; } text[] = {
            {"--out", "a folder"}, {"--at", "a time of day HH:MM"},
            {"--junit", "a file"}, {"--json", "a file"}};
        const char **field[] = {&a->out, &a->at, &a->junit, &a->json};
        for (size_t k = 0; k < sizeof text / sizeof *text; k++) {
            if (strcmp(s, text[k].name)) continue;
            if (!val || !*val) {
                fprintf(stderr, "mqsim run: %s expects %s\n", s, text[k].what);
                return -1;
            }
            *field[k] = val;
            return 1;
        }
        return 0;
    }
    return 1;
}

/* The checks across options, once all are read. */
static int check_args(const run_args *a)
{
    if (!a->file) {
        fprintf(stderr, "mqsim run: no scenario file given: name a YAML scenario, e.g. "
                        "`mqsim run scenarios/steady-state.yaml` (see docs/SCENARIO.md)\n");
        run_usage(stderr);
        return -1;
    }
    if (a->have_max && a->precision == 0) {
        fprintf(stderr, "mqsim run: --max-replications only applies with --precision\n");
        return -1;
    }
    if (a->precision > 0 && a->max_replications < a->replications) {
        fprintf(stderr, "mqsim run: --max-replications is below --replications\n");
        return -1;
    }
    return 0;
}

/* 0 ok, 1 help printed, -1 usage error (message printed). */
static int parse_args(int argc, char **argv, run_args *a)
{
    *a = (run_args){.progress = isatty(2), .replications = 1, .max_replications = 50,
                    .baseline = -1, .suggest_start = -1, .jobs = par_default_threads(),
                    .plots = 1, .limits = CLI_LIMITS_DEFAULT};
    for (int i = 1; i < argc; i++) {
        int l = cli_limits_arg("run", argc, argv, &i, &a->limits);
        if (l < 0) return -1;
        if (l > 0) continue;
        const char *s = argv[i];
        if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
            run_usage(stdout);
            return 1;
        }
        if (set_flag(s, a)) continue;
        int v = value_opt(s, i + 1 < argc ? argv[i + 1] : NULL, a);
        if (v < 0) return -1;
        if (v > 0) {
            i++;
        } else if (s[0] == '-' && s[1]) {
            static const char *const flags[] = {
                "--help", "--seed", "--out", "--progress", "--replications", "--max-replications",
                "--precision", "--jobs", "--baseline", "--no-baseline", "--report", "--at",
                "--suggest-start", "--no-suggest-start", "--junit", "--json", "--no-plots",
                "--timing", NULL};
            cli_unknown_option("run", s, flags);
            return -1;
        } else if (!a->file) {
            a->file = s;
        } else {
            fprintf(stderr, "mqsim run: more than one scenario file given ('%s')\n", s);
            return -1;
        }
    }
    return check_args(a);
}

/* Replication 0's part of the results folder, written by its job
** (out_run_write_rep); read by the main thread after the job runner joins. */
typedef struct rep_files {
    const char *dir;          /* the temporary folder */
    out_run_axes axes;
    int plots;
    int threads;              /* for its files: the threads no other job will use */
    int final;                /* a single replication: its metrics are the summary's */
    int rc;                   /* 0, or -1 with err filled */
    out_run_plots wrote;
    sim_err err;
} rep_files;

/* Everything one `mqsim run` holds between its steps. */
typedef struct run_state {
    const run_args *a;
    sim_err err;
    mq_scenario sc, base;
    int with_base;
    out_dir od;
    int od_open;
    int writer;               /* this process writes (MPI rank 0, cli_out.h) */
    char final_dir[4096];
    uint64_t seed, cap;       /* replications: at most cap */
    sim_rep *rep, *drep;      /* aggregates of the change and of the pairs */
    out_groups *groups;
    cli_progress *prog;
    mq_result first;          /* replication 0, whole; metrics become the means */
    uint64_t done;            /* replications consumed */
    int reached;              /* --precision target reached */
    char worst[128];
    double worst_rel;
    sim_metrics delta;        /* change - baseline, aggregated */
    mq_budget_verdict *verd;
    size_t nb, nfail;
    json_t *meta;
    rep_files files;          /* replication 0's files, written by its job */
    json_t *budget_lines;     /* the budget's lines for the plots (out_budget_json) */
    cli_timing t;
} run_state;

/* --junit / --json: one test case per budget line (none without a budget). */
static int write_ci_verdict(const run_args *a, const mq_budget *b, const mq_budget_verdict *v,
                            sim_err *err)
{
    out_cases cases = {0};
    SIM_NEED_OK(out_budget_cases(b, v, &cases));
    int rc = 0;
    if (a->junit) rc = out_junit(a->junit, "mqsim.budget", &cases, err);
    if (!rc && a->json) rc = out_verdict_json(a->json, "budget", &cases, err);
    out_cases_free(&cases);
    return rc;
}

/* Whether every budgeted metric has reached the precision target. Metrics
** that are not finite (never measured) cannot improve with more runs and
** are skipped. With no budget, every metric with better != none counts. */
static int precise_enough(const sim_rep *rep, const mq_budget *b, const sim_metrics *names,
                          double target, char *worst, size_t wlen, double *worst_rel)
{
    int ok = 1;
    *worst_rel = 0;
    snprintf(worst, wlen, "-");
    size_t n = b ? b->n : names->n;
    for (size_t i = 0; i < n; i++) {
        const char *name = b ? b->v[i].metric : names->v[i].name;
        if (!b && names->v[i].better == SIM_BETTER_NONE) continue;
        if (sim_rep_nonfinite(rep, name) > 0) continue;
        double rel = sim_rep_rel_halfwidth(rep, name);
        if (isnan(rel)) rel = INFINITY;
        if (rel > *worst_rel || (i == 0 && rel >= *worst_rel)) {
            *worst_rel = rel;
            snprintf(worst, wlen, "%s", name);
        }
        if (rel > target) ok = 0;
    }
    return ok;
}

/* ---- replications as jobs ------------------------------------------ */

/* With a baseline, replication r is two jobs: 2r runs the change and 2r+1
** the baseline, so the two cores share a replication's halves and the last
** job of a run is half as long. Without one, job r is replication r. The
** change's table carries, after its metrics, its per-group figures
** ("group:<i>:<field>", out_groups_rows), so any thread or MPI rank can run
** it and it is taken apart in replication order. */
typedef struct rep_ctx {
    const mq_scenario *sc, *base;
    uint64_t seed;
    const out_groups *groups; /* read-only in jobs */
    uint64_t first;           /* replication index of job 0 */
    cli_progress *prog;       /* NULL: no progress */
    mq_result *keep;          /* replication 0's whole result goes here (only its
                              ** job writes it; MPI puts job 0 on rank 0) */
    rep_files *files;         /* replication 0's own files; NULL: not this rank's */
} rep_ctx;

/* Jobs per replication. */
static size_t rep_jobs(const rep_ctx *c) { return c->base ? 2 : 1; }

static int rep_job(size_t j, void *vctx, sim_metrics *out, sim_err *err)
{
    const rep_ctx *c = vctx;
    uint64_t r = c->first + j / rep_jobs(c);
    if (c->base && j % 2) return mq_model_run_metrics(c->base, c->seed, r, out, err);
    cli_progress_job pj = {c->prog, r};
    mq_run_opts o = {.seed = c->seed, .replication = r,
                     .progress = c->prog ? cli_progress_engine : NULL, .progress_ud = &pj};
    mq_result own, *res = r == 0 && c->keep ? c->keep : &own;
    if (mq_model_run(c->sc, &o, res, err)) return -1;
    if (res == &own) {
        *out = own.metrics; /* take the table */
        own.metrics = (sim_metrics){0};
    } else {
        for (size_t i = 0; i < res->metrics.n; i++)
            SIM_NEED_OK(sim_metrics_add_copy(out, &res->metrics.v[i], NULL));
    }
    SIM_NEED_OK(out_groups_rows(c->groups, res, out));
    if (res == &own) mq_result_free(&own);
    else if (c->files) /* an output error is reported where the others are, after the runs */
        c->files->rc = out_run_write_rep(c->files->dir, res, &c->files->axes, c->files->plots,
                                         c->files->final, c->files->threads, &c->files->wrote,
                                         &c->files->err);
    return 0;
}

/* Add one replication's tables (the change's; the baseline's, or NULL) to
** the aggregates. */
static void consume_replication(run_state *st, const sim_metrics *tab, const sim_metrics *base)
{
    sim_metrics main = {0};
    for (size_t i = 0; i < tab->n; i++)
        if (strncmp(tab->v[i].name, "group:", 6))
            SIM_NEED_OK(sim_metrics_add_copy(&main, &tab->v[i], NULL));
    SIM_NEED_OK(sim_rep_add(st->rep, &main));
    if (st->drep) SIM_NEED_OK(sim_rep_add_delta(st->drep, &main, base));
    out_groups_add_rows(st->groups, tab);
    sim_metrics_free(&main);
}

/* Run replications 0.. in chunks on the job runner and consume them in
** order until cap or the precision target. CLI_OK, CLI_INTERNAL, or -1 on
** an MPI rank other than 0 (it has sent its shares; rank 0 writes). Only
** rank 0 sees the tables, so it alone decides whether the precision target
** is reached, and every rank follows that decision into the next chunk. */
static int run_replications(run_state *st)
{
    const run_args *A = st->a;
    rep_ctx ctx = {&st->sc, st->with_base ? &st->base : NULL, st->seed, st->groups, 0,
                   st->prog, &st->first, st->writer ? &st->files : NULL};
    size_t per = rep_jobs(&ctx);
    for (uint64_t r = 0; r < st->cap && !st->reached;) {
        size_t n = (size_t)(st->cap - r);
        if (A->precision > 0 && n > (size_t)A->jobs * 2) n = (size_t)A->jobs * 2;
        sim_metrics *tabs = calloc(n * per, sizeof *tabs);
        SIM_NEED(tabs != NULL, "out of memory");
        ctx.first = r;
        int par = par_run(n * per, A->jobs, rep_job, &ctx, tabs, NULL, &st->err);
        if (par == 1) { /* another MPI rank: its share is sent */
            for (size_t i = 0; i < n * per; i++) sim_metrics_free(&tabs[i]);
            free(tabs);
            r += n;
            if (par_share_decision(0) || r >= st->cap) return -1;
            continue;
        }
        if (par) {
            for (size_t i = 0; i < n * per; i++) sim_metrics_free(&tabs[i]);
            free(tabs);
            fprintf(stderr, "mqsim run: %s: %s\n", A->file, st->err.msg);
            return CLI_INTERNAL;
        }
        for (size_t i = 0; i < n && !st->reached; i++) {
            consume_replication(st, &tabs[i * per], per == 2 ? &tabs[i * per + 1] : NULL);
            st->done = ++r;
            if (A->precision > 0 && st->done >= A->replications && st->done >= 2 &&
                precise_enough(st->rep, st->sc.budget, &st->first.metrics, A->precision,
                               st->worst, sizeof st->worst, &st->worst_rel))
                st->reached = 1;
        }
        for (size_t i = 0; i < n * per; i++) sim_metrics_free(&tabs[i]);
        free(tabs);
        st->reached = par_share_decision(st->reached);
    }
    return CLI_OK;
}

/* ---- the start-time search ----------------------------------------- */

typedef struct alt_ctx {
    const mq_scenario *sc;
    uint64_t seed;
} alt_ctx;

static int alt_job(size_t j, void *vctx, sim_metrics *out, sim_err *err)
{
    const alt_ctx *c = vctx;
    return mq_model_run_metrics(c->sc, c->seed, j, out, err);
}

/* With a day-profile load and a change (--suggest-start, default with
** --report): the same replications (same seeds) at the quietest hour, when
** it carries at most 80% of the current window's load; their comparison
** goes into summary.json as "alternative_start". */
static int suggest_start(run_state *st)
{
    const run_args *A = st->a;
    int want = A->suggest_start == 1 || (A->suggest_start == -1 && A->report);
    if (!want || !st->with_base || !mq_start_has_day_profile(&st->sc)) return CLI_OK;
    mq_start_choice c = mq_start_quietest(&st->sc);
    if (!c.worth) return CLI_OK;
    mq_scenario alt = st->sc; /* shallow: only run.start_clock_s differs */
    alt.run.start_clock_s = c.best_at_s;
    alt_ctx ctx = {&alt, st->seed};
    size_t n = (size_t)st->done;
    sim_metrics *tabs = calloc(n, sizeof *tabs), agg;
    sim_rep *rep = sim_rep_new();
    SIM_NEED(tabs && rep, "out of memory");
    int rc = par_run_threads(n, A->jobs, alt_job, &ctx, tabs, &st->err);
    for (size_t i = 0; i < n; i++) {
        if (!rc) SIM_NEED_OK(sim_rep_add(rep, &tabs[i]));
        sim_metrics_free(&tabs[i]);
    }
    free(tabs);
    if (rc) {
        sim_rep_free(rep);
        fprintf(stderr, "mqsim run: %s: start-time search: %s\n", A->file, st->err.msg);
        return CLI_INTERNAL;
    }
    SIM_NEED_OK(mq_rep_result(rep, &agg));
    sim_rep_free(rep);
    json_object_set_new(st->meta, "alternative_start",
                        out_meta_alt_start(&c, &st->first.metrics, &agg));
    sim_metrics_free(&agg);
    return CLI_OK;
}

/* ---- the steps of cli_run ------------------------------------------ */

/* Load the scenario (and its baseline, without the change), apply --at
** and the limits, and claim the results folder. */
static int load_step(run_state *st)
{
    const run_args *A = st->a;
    if (scn_load_file(A->file, &st->sc, &st->err)) {
        fprintf(stderr, "%s\n", st->err.msg);
        return CLI_USAGE;
    }
    if (cli_limits_check(&st->sc, &A->limits)) return CLI_USAGE;
    st->with_base = A->baseline == 1 || (A->baseline == -1 && mq_scenario_has_change(&st->sc));
    if (st->with_base) {
        if (scn_load_file(A->file, &st->base, &st->err)) {
            fprintf(stderr, "%s\n", st->err.msg);
            return CLI_USAGE;
        }
        mq_scenario_strip_change(&st->base);
    }
    if (A->at) { /* the change's start as a time of day (after run.start_at) */
        double clock;
        if (units_time_of_day(A->at, &clock, &st->err) < 0 ||
            mq_scenario_start_change_at_clock(&st->sc, clock, &st->err) < 0) {
            fprintf(stderr, "mqsim run: --at: %s\n", st->err.msg);
            return CLI_USAGE;
        }
        /* loaded again with change.at set, so that every rule and warning
        ** that depends on the start (a source upgrade before the migration
        ** begins, the change inside the warm-up, ...) is checked on it */
        char at[64];
        snprintf(at, sizeof at, "%.17gs", mq_scenario_change_start(&st->sc));
        const char *key = "change.at", *val = at;
        mq_scenario_free(&st->sc);
        if (scn_load_with(A->file, &key, &val, 1, &st->sc, &st->err)) {
            fprintf(stderr, "mqsim run: --at: %s\n", st->err.msg);
            return CLI_USAGE;
        }
    }
    /* The results folder is claimed before any simulation: a folder that
    ** cannot be written, or that another run holds, fails now with exit 2. */
    if (cli_out_begin(&st->od, "run", A->out, st->sc.name, "", st->final_dir,
                      sizeof st->final_dir))
        return CLI_USAGE;
    st->od_open = 1;
    st->writer = st->od.tmp != NULL;
    return CLI_OK;
}

/* Replications, aggregates and the budget's verdicts. -1 on an MPI rank
** other than 0. */
static int simulate_step(run_state *st)
{
    const run_args *A = st->a;
    st->seed = A->have_seed ? A->seed : st->sc.run.seed;
    st->cap = A->precision > 0 ? A->max_replications : A->replications;
    st->rep = sim_rep_new();
    st->drep = st->with_base ? sim_rep_new() : NULL;
    st->groups = out_groups_new(&st->sc);
    SIM_NEED(st->rep && (!st->with_base || st->drep) && st->groups, "out of memory");
    if (A->progress && par_rank() == 0)
        st->prog = cli_progress_new(stderr, isatty(2), "mqsim run", st->cap, NULL);
    if (st->sc.budget) st->budget_lines = out_budget_json(st->sc.budget, NULL);
    /* replication 0's files take the threads the first chunk's jobs leave
    ** idle (a single replication: every thread but its own) */
    uint64_t first = A->precision > 0 && st->cap > 2 * (uint64_t)A->jobs ? 2 * (uint64_t)A->jobs
                                                                         : st->cap;
    uint64_t njobs = first * (st->with_base ? 2 : 1);
    st->files = (rep_files){.dir = st->od.tmp, .plots = A->plots, .final = st->cap == 1,
                            .threads = (uint64_t)A->jobs > njobs ? A->jobs - (int)njobs + 1 : 1,
                            .axes = {st->sc.run.start_clock_s, st->budget_lines}};
    int rc = run_replications(st);
    cli_progress_free(st->prog);
    st->prog = NULL;
    if (rc) return rc;
    /* replication 0's result carries the means and CIs */
    sim_metrics agg;
    SIM_NEED_OK(mq_rep_result(st->rep, &agg));
    if (st->with_base) SIM_NEED_OK(sim_rep_result(st->drep, &st->delta));
    sim_metrics_free(&st->first.metrics);
    st->first.metrics = agg;
    st->nb = st->sc.budget ? st->sc.budget->n : 0;
    st->verd = calloc(st->nb ? st->nb : 1, sizeof *st->verd);
    SIM_NEED(st->verd != NULL, "out of memory");
    st->nfail = mq_budget_eval(st->sc.budget, &st->first.metrics, st->verd);
    return CLI_OK;
}

/* summary.json's provenance, with the start-time search. */
static int meta_step(run_state *st)
{
    const run_args *A = st->a;
    out_sim_meta m = {.seed = st->seed, .replications = st->done, .precision = A->precision,
                      .max_replications = A->max_replications, .reached = st->reached,
                      .widest = st->worst, .widest_rel = st->worst_rel, .first = &st->first,
                      .groups = st->groups, .verdicts = st->verd, .nfail = st->nfail,
                      .delta = st->with_base ? &st->delta : NULL};
    st->meta = out_meta_sim(&st->sc, &m);
    return suggest_start(st);
}

/* Every output into the temporary folder, then the swap. */
static int write_step(run_state *st)
{
    const run_args *A = st->a;
    const char *dir = st->od.tmp;
    char path[4200];
    if (!st->writer) return CLI_OK; /* another MPI rank (cli_out.h): rank 0 writes */
    const char *what = "writing results";
    int rc = st->files.rc;
    if (rc) st->err = st->files.err;
    else rc = out_run_write_summary(dir, &st->first, st->meta, A->plots, st->files.wrote,
                                    &st->err);
    if (!rc && st->sc.budget) {
        snprintf(path, sizeof path, "%s/budget.csv", dir);
        rc = out_budget_csv(path, st->sc.budget, st->verd, &st->err);
    }
    if (!rc && st->with_base) {
        snprintf(path, sizeof path, "%s/summary_delta.csv", dir);
        rc = out_summary_csv(path, &st->delta, &st->err);
    }
    if (!rc && A->report && (rc = report_write(dir, &st->err))) what = "writing the report";
    if (rc) {
        fprintf(stderr, "mqsim run: %s: %s\n", what, st->err.msg);
        return CLI_INTERNAL;
    }
    if ((A->junit || A->json) && write_ci_verdict(A, st->sc.budget, st->verd, &st->err)) {
        fprintf(stderr, "mqsim run: %s\n", st->err.msg);
        return CLI_USAGE;
    }
    return cli_out_commit(&st->od, "run") ? CLI_INTERNAL : CLI_OK;
}

/* The console summary; CLI_BUDGET when a budget line failed. */
static int print_step(const run_state *st)
{
    const run_args *A = st->a;
    if (!st->writer) return CLI_OK;
    char a[96], b[96], c[96], d[96], e[96], f[96];
    const sim_metrics *m = &st->first.metrics, *dl = &st->delta;
    uint64_t done = st->done;
    size_t nb = st->nb, nfail = st->nfail;
    printf("%s: seed %" PRIu64 ", %" PRIu64 " replication%s, %" PRIu64 " events in replication 0\n",
           st->sc.name, st->seed, done, done == 1 ? "" : "s", st->first.events);
    if (A->precision > 0)
        printf("  precision %g %s after %" PRIu64 " replications (widest: %s, %.3g)\n",
               A->precision, st->reached ? "reached" : "NOT reached (cap)", done, st->worst,
               st->worst_rel);
    cli_print_flow(m, cli_metric_text);
    const sim_metric *bl = sim_metrics_find(m, "backlog_at_drain_start");
    if (bl && bl->status == SIM_MEASURED && bl->value == 0) /* a mean of counts: all 0 */
        printf("  longest cut-off %s, drain time: no backlog at run.drain_from\n",
               cli_metric_text(m, "disruption_max_s", d, sizeof d));
    else
        printf("  longest cut-off %s, drain time %s (fluid estimate %s)\n",
               cli_metric_text(m, "disruption_max_s", d, sizeof d),
               cli_metric_text(m, "drain_time_s", e, sizeof e),
               cli_metric_text(m, "drain_time_fluid_s", f, sizeof f));
    if (st->with_base) {
        mq_effect eff = mq_scenario_effect(&st->sc);
        if (eff == MQ_EFFECT_CHANGE)
            printf("  the change's own effect (change - baseline, paired): delay p99 %s",
                   cli_metric_text(dl, "delay_p99_s", a, sizeof a));
        else /* events are in it: say so, the baseline leaves them out too */
            printf("  the effect of %s (paired with a baseline without them): delay p99 %s",
                   mq_effect_words(eff),
                   cli_metric_text(dl, "delay_p99_s", a, sizeof a));
        if (mq_undelivered_moves_p99(m)) /* see cli_print_flow */
            printf(" over the delivered messages (%s counting the undelivered as delayed until "
                   "the end)", cli_metric_text(dl, "delay_all_p99_s", a, sizeof a));
        printf(", longest cut-off %s, duplicates %s\n",
               cli_metric_text(dl, "disruption_max_s", b, sizeof b),
               cli_metric_text(dl, "duplicates", c, sizeof c));
    }
    for (size_t i = 0; i < nb; i++)
        printf("  budget %s: %s (%s: %s)\n", st->verd[i].pass ? "pass" : "FAIL",
               st->sc.budget->v[i].text, cli_metric_text(m, st->sc.budget->v[i].metric, a, sizeof a),
               mq_budget_why_str(st->verd[i].why));
    for (size_t i = 0; i < st->sc.warnings.n; i++) printf("  warning: %s\n", st->sc.warnings.v[i]);
    for (size_t i = 0; i < st->first.warnings.n; i++) /* replication 0's own figures */
        printf("  warning%s: %s\n", done > 1 ? " (replication 0)" : "", st->first.warnings.v[i]);
    printf("  results in %s/\n", st->final_dir);
    if (nb) printf("verdict: %s: %zu of %zu budget line%s fail%s\n", nfail ? "FAIL" : "PASS",
                   nfail, nb, nb == 1 ? "" : "s", nfail == 1 ? "s" : "");
    if (A->report) printf("report: %s/report.html\n", st->final_dir);
    if (!nfail) return CLI_OK;
    fprintf(stderr, "mqsim run: %zu of %zu budget line%s failed\n", nfail, nb, nb == 1 ? "" : "s");
    return CLI_BUDGET;
}

static void free_state(run_state *st)
{
    if (st->od_open) out_dir_abort(&st->od); /* a no-op after a commit */
    cli_progress_free(st->prog);
    json_decref(st->meta);
    json_decref(st->budget_lines);
    free(st->verd);
    sim_metrics_free(&st->delta);
    mq_result_free(&st->first);
    sim_rep_free(st->rep);
    sim_rep_free(st->drep);
    out_groups_free(st->groups);
    mq_scenario_free(&st->sc);
    mq_scenario_free(&st->base);
}

int cli_run(int argc, char **argv)
{
    run_args A;
    int pr = parse_args(argc, argv, &A);
    if (pr) return pr > 0 ? CLI_OK : CLI_USAGE;
    run_state st = {.a = &A, .worst = "-", .worst_rel = NAN};
    cli_timing_start(&st.t);
    int rc = load_step(&st);
    cli_timing_mark(&st.t, CLI_T_LOAD);
    if (rc == CLI_OK) rc = simulate_step(&st);
    cli_timing_mark(&st.t, CLI_T_RUN);
    if (rc == CLI_OK) rc = meta_step(&st);
    cli_timing_mark(&st.t, CLI_T_RUN);
    if (rc == CLI_OK) rc = write_step(&st);
    cli_timing_mark(&st.t, CLI_T_WRITE);
    if (rc == CLI_OK) rc = print_step(&st);
    if (rc == -1) rc = CLI_OK; /* another MPI rank: nothing to write or print */
    if (A.timing && par_rank() == 0) cli_timing_print(&st.t, stderr);
    free_state(&st);
    return rc;
}
