/*
** cmd_run.c - `mqsim run FILE [options]`: simulate a scenario, with
** replications, a paired baseline, the risk budget and the report.
**
** scenario file -> scn_load -> R x mq_model_run (replication r uses streams
** derived from (seed, r)) -> sim_rep (mean, t-based 95% CI) -> outputs.
**   - Paired baseline: when the scenario has a change (timed events, a
**     RocketMQ spec change, a RabbitMQ conversion) or --baseline is given,
**     the same file is loaded a second time, the change is stripped
**     (mq_scenario_strip_change) and replication r of the baseline runs on
**     the same seed and replication index, i.e. on common random numbers.
**     The per-pair differences (change - baseline) go to summary_delta.csv.
**   - --precision X adds replications (at least 2) until every budgeted
**     metric's relative CI half-width is <= X, or --max-replications.
**   - The budget is evaluated on the aggregated metrics after all outputs
**     are written; any failing line makes the exit status 3.
** timeseries.csv, the plots and the timeline come from replication 0.
** The results folder is claimed up front (out_dir.h: lock, writability,
** a temporary sibling folder); outputs go into the temporary folder only
** after every run has finished and passed its accounting check, and the
** folder is swapped in whole at the end, so a failed or killed run leaves
** the previous results intact and never mixes its files with them.
**
** Options are parsed by one loop over a small table-free if-chain in
** parse_args(); add a new option there and a field in run_args.
*/
#include "cli/cli.h"
#include "cli/cli_limits.h"
#include "cli/cli_out.h"
#include "cli/cli_par.h"
#include "cli/cli_progress.h"
#include "io/out_csv.h"
#include "io/out_json.h"
#include "io/out_risk.h"
#include "io/out_run.h"
#include "io/report.h"
#include "io/out_verdict.h"
#include "io/scn_load.h"
#include "io/units.h"
#include "models/mq_budget.h"
#include "models/mq_model.h"
#include "models/mq_world.h" /* mq_rate_at_run, for the start-time search */
#include "sim/sim_rep.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef MQSIM_VERSION
#define MQSIM_VERSION "0.1.0"
#endif

static void run_usage(FILE *f)
{
    fprintf(f,
        "usage: mqsim run FILE [--seed N] [--out DIR] [--progress] [--replications R]\n"
        "                      [--precision X [--max-replications N]] [--baseline|--no-baseline]\n"
        "                      [--report]\n"
        "  FILE        scenario (YAML); see docs/SCENARIO.md\n"
        "  --seed N    master seed (default: the scenario's run.seed)\n"
        "  --out DIR   results folder (default: results/<scenario name>/)\n"
        "  --progress  show progress on stderr (default: when stderr is a terminal)\n"
        "  --at HH:MM  start the change (e.g. a conversion) at this time of day (counted\n"
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
    double precision;       /* 0 = off */
    int baseline;           /* -1 auto, 0 off, 1 on */
    int report;
    const char *at;         /* --at HH:MM: the conversion starts then */
    int suggest_start;      /* -1 auto (with --report), 0 off, 1 on */
    int jobs;               /* threads for replications 1.. */
    mq_limits limits;       /* --max-memory, --max-events */
    const char *junit, *json; /* --junit / --json: the budget verdict for CI */
} run_args;

/* 0 ok, 1 help printed, -1 usage error (message printed). */
static int parse_args(int argc, char **argv, run_args *a)
{
    *a = (run_args){.progress = isatty(2), .replications = 1, .max_replications = 50,
                    .baseline = -1, .suggest_start = -1, .jobs = par_default_threads(),
                    .limits = CLI_LIMITS_DEFAULT};
    int have_max = 0;
    for (int i = 1; i < argc; i++) {
        int l = cli_limits_arg("run", argc, argv, &i, &a->limits);
        if (l < 0) return -1;
        if (l > 0) continue;
        const char *s = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
            run_usage(stdout);
            return 1;
        } else if (!strcmp(s, "--seed")) {
            if (parse_u64(val, &a->seed)) goto bad_int;
            a->have_seed = 1;
            i++;
        } else if (!strcmp(s, "--out")) {
            if (!val || !*val) {
                fprintf(stderr, "mqsim run: --out expects a folder\n");
                return -1;
            }
            a->out = val;
            i++;
        } else if (!strcmp(s, "--progress")) {
            a->progress = 1;
        } else if (!strcmp(s, "--replications")) {
            if (parse_u64(val, &a->replications) || a->replications < 1 ||
                a->replications > 100000) {
                fprintf(stderr, "mqsim run: --replications expects an integer 1..100000\n");
                return -1;
            }
            i++;
        } else if (!strcmp(s, "--max-replications")) {
            if (parse_u64(val, &a->max_replications) || a->max_replications < 2 ||
                a->max_replications > 100000) {
                fprintf(stderr, "mqsim run: --max-replications expects an integer 2..100000\n");
                return -1;
            }
            have_max = 1;
            i++;
        } else if (!strcmp(s, "--precision")) {
            char *end;
            errno = 0;
            a->precision = val ? strtod(val, &end) : 0;
            if (!val || errno || *end || !(a->precision > 0 && a->precision < 1)) {
                fprintf(stderr, "mqsim run: --precision expects a relative half-width "
                                "between 0 and 1, e.g. 0.05\n");
                return -1;
            }
            i++;
        } else if (!strcmp(s, "--jobs")) {
            uint64_t j;
            if (parse_u64(val, &j) || j < 1 || j > 1024) {
                fprintf(stderr, "mqsim run: --jobs expects an integer 1..1024\n");
                return -1;
            }
            a->jobs = (int)j;
            i++;
        } else if (!strcmp(s, "--baseline")) {
            a->baseline = 1;
        } else if (!strcmp(s, "--no-baseline")) {
            a->baseline = 0;
        } else if (!strcmp(s, "--report")) {
            a->report = 1;
        } else if (!strcmp(s, "--at")) {
            if (!val || !*val) {
                fprintf(stderr, "mqsim run: --at expects a time of day HH:MM\n");
                return -1;
            }
            a->at = val;
            i++;
        } else if (!strcmp(s, "--suggest-start")) {
            a->suggest_start = 1;
        } else if (!strcmp(s, "--no-suggest-start")) {
            a->suggest_start = 0;
        } else if (!strcmp(s, "--junit") || !strcmp(s, "--json")) {
            if (!val || !*val) {
                fprintf(stderr, "mqsim run: %s expects a file\n", s);
                return -1;
            }
            *(!strcmp(s, "--junit") ? &a->junit : &a->json) = val;
            i++;
        } else if (s[0] == '-' && s[1]) {
            static const char *const flags[] = {
                "--help", "--seed", "--out", "--progress", "--replications", "--max-replications",
                "--precision", "--jobs", "--baseline", "--no-baseline", "--report", "--at",
                "--suggest-start", "--no-suggest-start", "--junit", "--json", NULL};
            cli_unknown_option("run", s, flags);
            return -1;
        } else if (!a->file) {
            a->file = s;
        } else {
            fprintf(stderr, "mqsim run: more than one scenario file given ('%s')\n", s);
            return -1;
        }
        continue;
    bad_int:
        fprintf(stderr, "mqsim run: %s expects a non-negative integer\n", s);
        return -1;
    }
    if (!a->file) {
        fprintf(stderr, "mqsim run: no scenario file given: name a YAML scenario, e.g. "
                        "`mqsim run scenarios/steady-state.yaml` (see docs/SCENARIO.md)\n");
        run_usage(stderr);
        return -1;
    }
    if (have_max && a->precision == 0) {
        fprintf(stderr, "mqsim run: --max-replications only applies with --precision\n");
        return -1;
    }
    if (a->precision > 0 && a->max_replications < a->replications) {
        fprintf(stderr, "mqsim run: --max-replications is below --replications\n");
        return -1;
    }
    return 0;
}

static const char *metric_text(const sim_metrics *m, const char *name, char *buf, size_t n)
{
    const sim_metric *x = sim_metrics_find(m, name);
    char v[48], lo[48], hi[48];
    if (!x) {
        snprintf(buf, n, "-");
    } else if (x->status != SIM_MEASURED) {
        units_format_human(x->bound, x->unit, v, sizeof v);
        if (isnan(x->bound)) snprintf(buf, n, "%s", sim_status_str(x->status));
        else snprintf(buf, n, ">= %s (%s)", v, x->status == SIM_NOT_REACHED
                                                   ? "not reached within the run"
                                                   : "not finished when the run ended");
    } else if (isinf(x->value) && x->value > 0 && !strcmp(x->unit, "s")) {
        snprintf(buf, n, "never"); /* a time that never comes: its warning says why */
    } else {
        units_format_human(x->value, x->unit, v, sizeof v);
        /* the interval only where it fits whole */
        if (isnan(x->ci_lo) || (x->ci_lo == x->value && x->ci_hi == x->value) ||
            snprintf(buf, n, "%s [%s, %s]", v,
                     (units_format_human(x->ci_lo, x->unit, lo, sizeof lo), lo),
                     (units_format_human(x->ci_hi, x->unit, hi, sizeof hi), hi)) >= (int)n)
            snprintf(buf, n, "%s", v);
    }
    return buf;
}

/* --junit / --json: one test case per budget line (none without a budget). */
static int write_ci_verdict(const run_args *a, const mq_budget *b, const mq_budget_verdict *v,
                            sim_err *err)
{
    out_cases cases = {0};
    int rc = out_budget_cases(b, v, &cases) ? sim_err_set(err, "out of memory") : 0;
    if (!rc && a->junit) rc = out_junit(a->junit, "mqsim.budget", &cases, err);
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

/* Mean offered rate (msg/s, all producers) over the run window when the
** run starts at time of day `clock_s`. Sampled at 1000 points. */
static double window_rate(const mq_scenario *s, double clock_s)
{
    mq_scenario alt = *s; /* shallow: only run.start_clock_s differs */
    alt.run.start_clock_s = clock_s;
    double sum = 0;
    for (int k = 0; k < 1000; k++) {
        double t = s->run.duration_s * (k + 0.5) / 1000.0;
        for (size_t i = 0; i < s->nproducers; i++)
            sum += mq_rate_at_run(&alt, &s->producers[i].rate, t);
    }
    return sum / 1000.0;
}

static int has_day_profile(const mq_scenario *s)
{
    for (size_t i = 0; i < s->nproducers; i++)
        if (s->producers[i].rate.period_s > 0) return 1;
    return 0;
}

/* The start-time search: the whole hour whose run window carries the least
** offered load; if it is at most 80% of the current window's, run the same
** replications (same seeds) starting there and return the comparison as
** JSON, else NULL. Errors return NULL with *failed set. */
static json_t *suggest_start(const mq_scenario *s, uint64_t seed, uint64_t reps,
                             const sim_metrics *cur, int *failed, sim_err *err)
{
    double cur_rate = window_rate(s, s->run.start_clock_s), best = INFINITY, best_at = 0;
    for (int h = 0; h < 24; h++) {
        double r = window_rate(s, h * 3600.0);
        if (r < best - 1e-9) best = r, best_at = h * 3600.0;
    }
    if (!(best <= 0.8 * cur_rate)) return NULL;
    mq_scenario alt = *s;
    alt.run.start_clock_s = best_at;
    sim_rep *rep = sim_rep_new();
    SIM_NEED(rep != NULL, "out of memory");
    for (uint64_t r = 0; r < reps; r++) {
        mq_run_opts o = {.seed = seed, .replication = r};
        mq_result res;
        if (mq_model_run(&alt, &o, &res, err)) {
            *failed = 1;
            sim_rep_free(rep);
            return NULL;
        }
        SIM_NEED(sim_rep_add(rep, &res.metrics) == 0, "out of memory");
        mq_result_free(&res);
    }
    sim_metrics m;
    SIM_NEED(sim_rep_result(rep, &m) == 0, "out of memory");
    sim_rep_free(rep);
    json_t *o = json_object();
    char a[16], b[16];
    snprintf(a, sizeof a, "%02d:%02d", (int)(s->run.start_clock_s / 3600) % 24,
             (int)fmod(s->run.start_clock_s / 60, 60));
    snprintf(b, sizeof b, "%02d:00", (int)(best_at / 3600));
    json_object_set_new(o, "current_start", json_string(a));
    json_object_set_new(o, "suggested_start", json_string(b));
    json_object_set_new(o, "offered_rate_current", json_real(cur_rate));
    json_object_set_new(o, "offered_rate_suggested", json_real(best));
    json_t *cm = json_object(), *sm = json_object();
    static const char *const keys[] = {"delay_p99_s", "duplicates", "lost", "disruption_max_s"};
    for (size_t k = 0; k < 4; k++) {
        const sim_metric *x = sim_metrics_find(cur, keys[k]), *y = sim_metrics_find(&m, keys[k]);
        if (x && isfinite(x->value)) json_object_set_new(cm, keys[k], json_real(x->value));
        if (y && isfinite(y->value)) json_object_set_new(sm, keys[k], json_real(y->value));
    }
    json_object_set_new(o, "current", cm);
    json_object_set_new(o, "suggested", sm);
    sim_metrics_free(&m);
    return o;
}

/* ---- replications as jobs ------------------------------------------ */

/* A replication's table carries, after its metrics, its per-group figures
** ("group:<i>:<field>", out_groups_rows) and, with a baseline, the
** baseline's metrics prefixed "baseline:", so it can run on any thread or
** MPI rank and be taken apart in replication order. */
#define BASE_PREFIX "baseline:"

typedef struct rep_ctx {
    const mq_scenario *sc, *base;
    uint64_t seed;
    out_groups *groups; /* read-only in jobs */
    uint64_t first;     /* replication index of job 0 */
    cli_progress *prog; /* NULL: no progress */
} rep_ctx;

static int baseline_rows(const mq_scenario *base, uint64_t seed, uint64_t r, sim_metrics *out,
                         sim_err *err)
{
    sim_metrics b = {0};
    if (mq_model_run_metrics(base, seed, r, &b, err)) return -1;
    int rc = 0;
    for (size_t i = 0; i < b.n && rc == 0; i++) {
        char name[256];
        snprintf(name, sizeof name, BASE_PREFIX "%s", b.v[i].name);
        rc = sim_metrics_add_copy(out, &b.v[i], name);
    }
    sim_metrics_free(&b);
    return rc ? sim_err_set(err, "out of memory") : 0;
}

static int rep_job(size_t j, void *vctx, sim_metrics *out, sim_err *err)
{
    const rep_ctx *c = vctx;
    uint64_t r = c->first + j;
    cli_progress_job pj = {c->prog, r};
    mq_run_opts o = {.seed = c->seed, .replication = r,
                     .progress = c->prog ? cli_progress_engine : NULL, .progress_ud = &pj};
    mq_result res;
    if (mq_model_run(c->sc, &o, &res, err)) return -1;
    *out = res.metrics;
    res.metrics = (sim_metrics){0};
    int rc = out_groups_rows(c->groups, &res, out);
    mq_result_free(&res);
    if (rc) return sim_err_set(err, "out of memory");
    return c->base ? baseline_rows(c->base, c->seed, r, out, err) : 0;
}

/* Split one replication's table and add it to the aggregates. */
static int consume_replication(sim_rep *rep, sim_rep *drep, out_groups *groups,
                               const sim_metrics *tab)
{
    sim_metrics main = {0}, base = {0};
    int rc = 0;
    size_t plen = strlen(BASE_PREFIX);
    for (size_t i = 0; i < tab->n && rc == 0; i++) {
        const sim_metric *m = &tab->v[i];
        if (!strncmp(m->name, "group:", 6)) continue;
        if (!strncmp(m->name, BASE_PREFIX, plen))
            rc = sim_metrics_add_copy(&base, m, m->name + plen);
        else
            rc = sim_metrics_add_copy(&main, m, NULL);
    }
    if (rc == 0) rc = sim_rep_add(rep, &main);
    if (rc == 0 && drep) rc = sim_rep_add_delta(drep, &main, &base);
    if (rc == 0) out_groups_add_rows(groups, tab);
    sim_metrics_free(&main);
    sim_metrics_free(&base);
    return rc;
}

int cli_run(int argc, char **argv)
{
    run_args A;
    int pr = parse_args(argc, argv, &A);
    if (pr) return pr > 0 ? CLI_OK : CLI_USAGE;

    sim_err err = {{0}};
    mq_scenario sc, base = {0};
    if (scn_load_file(A.file, &sc, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return CLI_USAGE;
    }
    if (cli_limits_check(&sc, &A.limits)) {
        mq_scenario_free(&sc);
        return CLI_USAGE;
    }
    int with_base = A.baseline == 1 || (A.baseline == -1 && mq_scenario_has_change(&sc));
    if (with_base) {
        if (scn_load_file(A.file, &base, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            mq_scenario_free(&sc);
            return CLI_USAGE;
        }
        mq_scenario_strip_change(&base);
    }
    if (A.at) { /* the change's start as a time of day (after run.start_at) */
        double clock;
        if (units_time_of_day(A.at, &clock, &err) < 0 ||
            mq_scenario_start_change_at_clock(&sc, clock, &err) < 0) {
            fprintf(stderr, "mqsim run: --at: %s\n", err.msg);
            mq_scenario_free(&sc);
            mq_scenario_free(&base);
            return CLI_USAGE;
        }
    }
    /* The results folder is claimed before any simulation: a folder that
    ** cannot be written, or that another run holds, fails now with exit 2. */
    out_dir od;
    char final_dir[4096];
    if (cli_out_begin(&od, "run", A.out, sc.name, "", final_dir, sizeof final_dir)) {
        mq_scenario_free(&sc);
        mq_scenario_free(&base);
        return CLI_USAGE;
    }
    const char *dir = od.tmp;
    uint64_t seed = A.have_seed ? A.seed : sc.run.seed;
    uint64_t cap = A.precision > 0 ? A.max_replications : A.replications;

    sim_rep *rep = sim_rep_new(), *drep = with_base ? sim_rep_new() : NULL;
    out_groups *groups = out_groups_new(&sc);
    if (!rep || (with_base && !drep) || !groups) {
        fprintf(stderr, "mqsim run: out of memory\n");
        out_dir_abort(&od);
        sim_rep_free(rep);
        sim_rep_free(drep);
        out_groups_free(groups);
        mq_scenario_free(&sc);
        mq_scenario_free(&base);
        return CLI_INTERNAL;
    }
    mq_result first = {0};
    int rc = CLI_OK, reached = 0;
    double worst_rel = NAN;
    cli_progress *prog = A.progress && par_rank() == 0
                             ? cli_progress_new(stderr, isatty(2), "mqsim run", cap, NULL) : NULL;
    cli_progress_job pj0 = {prog, 0};
    char worst[128] = "-";
    uint64_t done = 0;
    /* Replication 0 runs here and keeps its whole result (timeseries,
    ** plots, timeline). The others run as jobs on --jobs threads (and MPI
    ** ranks; cli_par.h) in chunks, and their tables are consumed in
    ** replication order, so the --precision stopping point and every output
    ** byte are the same for any --jobs. */
    rep_ctx ctx = {&sc, with_base ? &base : NULL, seed, groups, 1, prog};
    for (uint64_t r = 0; r < cap && !reached && rc == CLI_OK;) {
        sim_metrics *tabs = NULL;
        size_t n = 1;
        if (r == 0) {
            mq_run_opts opts = {
                .seed = seed, .replication = 0,
                .progress = prog ? cli_progress_engine : NULL, .progress_ud = &pj0,
            };
            tabs = calloc(1, sizeof *tabs);
            if (!tabs || mq_model_run(&sc, &opts, &first, &err) ||
                out_groups_rows(groups, &first, tabs) ||
                (with_base && baseline_rows(&base, seed, 0, tabs, &err))) {
                fprintf(stderr, "mqsim run: %s: replication 0: %s\n", A.file,
                        tabs ? err.msg : "out of memory");
                rc = CLI_INTERNAL;
                free(tabs);
                break;
            }
            /* the metrics themselves go first, as in every other table */
            sim_metrics joined = {0};
            for (size_t i = 0; i < first.metrics.n && rc == CLI_OK; i++) {
                const sim_metric *m = &first.metrics.v[i];
                if (sim_metrics_add_copy(&joined, m, NULL)) rc = CLI_INTERNAL;
            }
            for (size_t i = 0; i < tabs[0].n && rc == CLI_OK; i++) {
                const sim_metric *m = &tabs[0].v[i];
                if (sim_metrics_add_copy(&joined, m, NULL)) rc = CLI_INTERNAL;
            }
            sim_metrics_free(&tabs[0]);
            tabs[0] = joined;
        } else {
            n = (size_t)(cap - r);
            if (A.precision > 0 && n > (size_t)A.jobs * 2) n = (size_t)A.jobs * 2;
            tabs = calloc(n, sizeof *tabs);
            ctx.first = r;
            int par = tabs ? par_run(n, A.jobs, rep_job, &ctx, tabs, NULL, &err) : -1;
            if (par == 1) { /* another MPI rank: rank 0 writes */
                free(tabs);
                mq_result_free(&first);
                rc = CLI_OK;
                goto out;
            }
            if (par) {
                fprintf(stderr, "mqsim run: %s: %s\n", A.file, tabs ? err.msg : "out of memory");
                rc = CLI_INTERNAL;
            }
        }
        for (size_t i = 0; i < n && rc == CLI_OK && !reached; i++) {
            if (consume_replication(rep, drep, groups, &tabs[i])) {
                fprintf(stderr, "mqsim run: out of memory\n");
                rc = CLI_INTERNAL;
                break;
            }
            done = ++r;
            if (A.precision > 0 && done >= A.replications && done >= 2 &&
                precise_enough(rep, sc.budget, &first.metrics, A.precision, worst, sizeof worst,
                               &worst_rel))
                reached = 1;
        }
        for (size_t i = 0; tabs && i < n; i++) sim_metrics_free(&tabs[i]);
        free(tabs);
    }
    cli_progress_free(prog);
    prog = NULL;
    if (rc) {
        mq_result_free(&first);
        goto out;
    }

    /* aggregate: replication 0's result carries the means and CIs */
    sim_metrics agg, delta = {0};
    if (sim_rep_result(rep, &agg) || (with_base && sim_rep_result(drep, &delta))) {
        fprintf(stderr, "mqsim run: out of memory\n");
        sim_metrics_free(&agg);
        mq_result_free(&first);
        rc = CLI_INTERNAL;
        goto out;
    }
    sim_metrics_free(&first.metrics);
    first.metrics = agg;

    size_t nb = sc.budget ? sc.budget->n : 0, nfail = 0;
    mq_budget_verdict *verd = calloc(nb ? nb : 1, sizeof *verd);
    SIM_NEED(verd != NULL, "out of memory");
    nfail = mq_budget_eval(sc.budget, &first.metrics, verd);

    json_t *meta = json_object();
    json_object_set_new(meta, "mqsim_version", json_string(MQSIM_VERSION));
    json_object_set_new(meta, "mode", json_string("sim"));
    json_object_set_new(meta, "seed", json_integer((json_int_t)seed));
    json_object_set_new(meta, "replications", json_integer((json_int_t)done));
    if (A.precision > 0) {
        json_t *p = json_object();
        json_object_set_new(p, "target", json_real(A.precision));
        json_object_set_new(p, "max_replications", json_integer((json_int_t)A.max_replications));
        json_object_set_new(p, "reached", json_boolean(reached));
        json_object_set_new(p, "widest_metric", json_string(worst));
        json_object_set_new(p, "widest_relative_halfwidth",
                            isfinite(worst_rel) ? json_real(worst_rel) : json_null());
        json_object_set_new(meta, "precision", p);
    }
    char fp[32];
    snprintf(fp, sizeof fp, "%016" PRIx64, first.fingerprint);
    json_object_set_new(meta, "trace_fingerprint", json_string(fp));
    json_object_set_new(meta, "scenario", out_scenario_json(&sc));
    json_t *warn = json_array();
    for (size_t i = 0; i < sc.warnings.n; i++) json_array_append_new(warn, json_string(sc.warnings.v[i]));
    for (size_t i = 0; i < first.warnings.n; i++) json_array_append_new(warn, json_string(first.warnings.v[i]));
    json_object_set_new(meta, "warnings", warn);
    json_object_set_new(meta, "groups", out_groups_json(groups));
    json_object_set_new(meta, "assumptions", out_assumptions_json(&sc));
    json_object_set_new(meta, "timeline", out_timeline_json(&first.bands));
    if (sc.budget) {
        json_object_set_new(meta, "budget", out_budget_json(sc.budget, verd));
        json_object_set_new(meta, "verdict", json_string(nfail ? "fail" : "pass"));
    }
    if (with_base) {
        json_t *b = json_object();
        json_object_set_new(b, "what", json_string("the same scenario without its events and "
                                                   "change, on common random numbers"));
        json_object_set_new(b, "deltas", out_metrics_json(&delta));
        json_object_set_new(meta, "baseline", b);
    }

    int want_alt = A.suggest_start == 1 || (A.suggest_start == -1 && A.report);
    if (want_alt && with_base && has_day_profile(&sc)) {
        int failed = 0;
        json_t *alt = suggest_start(&sc, seed, done, &first.metrics, &failed, &err);
        if (failed) {
            fprintf(stderr, "mqsim run: %s: start-time search: %s\n", A.file, err.msg);
            json_decref(meta);
            free(verd);
            sim_metrics_free(&delta);
            mq_result_free(&first);
            rc = CLI_INTERNAL;
            goto out;
        }
        if (alt) json_object_set_new(meta, "alternative_start", alt);
    }

    char path[4200];
    if (!dir) { /* another MPI rank (cli_out.h): rank 0 writes */
    } else if (out_run_write(dir, &first, meta, &err)) {
        fprintf(stderr, "mqsim run: writing results: %s\n", err.msg);
        rc = CLI_INTERNAL;
    } else if (snprintf(path, sizeof path, "%s/budget.csv", dir),
               sc.budget && out_budget_csv(path, sc.budget, verd, &err)) {
        fprintf(stderr, "mqsim run: writing results: %s\n", err.msg);
        rc = CLI_INTERNAL;
    } else if (snprintf(path, sizeof path, "%s/summary_delta.csv", dir),
               with_base && out_summary_csv(path, &delta, &err)) {
        fprintf(stderr, "mqsim run: writing results: %s\n", err.msg);
        rc = CLI_INTERNAL;
    } else if (A.report && report_write(dir, &err)) {
        fprintf(stderr, "mqsim run: writing the report: %s\n", err.msg);
        rc = CLI_INTERNAL;
    } else if ((A.junit || A.json) && write_ci_verdict(&A, sc.budget, verd, &err)) {
        fprintf(stderr, "mqsim run: %s\n", err.msg);
        rc = CLI_USAGE;
    } else if (cli_out_commit(&od, "run")) {
        rc = CLI_INTERNAL;
    } else {
        char a[96], b[96], c[96], d[96], e[96], f[96];
        const sim_metrics *m = &first.metrics;
        printf("%s: seed %" PRIu64 ", %" PRIu64 " replication%s, %" PRIu64 " events in replication 0\n",
               sc.name, seed, done, done == 1 ? "" : "s", first.events);
        if (A.precision > 0)
            printf("  precision %g %s after %" PRIu64 " replications (widest: %s, %.3g)\n",
                   A.precision, reached ? "reached" : "NOT reached (cap)", done, worst, worst_rel);
        printf("  published %s, consumed %s, duplicates %s, lost %s\n",
               metric_text(m, "messages_published", a, sizeof a),
               metric_text(m, "messages_consumed", b, sizeof b),
               metric_text(m, "duplicates", c, sizeof c), metric_text(m, "lost", d, sizeof d));
        printf("  delay p50 %s, p99 %s, max %s\n", metric_text(m, "delay_p50_s", a, sizeof a),
               metric_text(m, "delay_p99_s", b, sizeof b), metric_text(m, "delay_max_s", c, sizeof c));
        printf("  longest cut-off %s, drain time %s (fluid estimate %s)\n",
               metric_text(m, "disruption_max_s", d, sizeof d),
               metric_text(m, "drain_time_s", e, sizeof e),
               metric_text(m, "drain_time_fluid_s", f, sizeof f));
        if (with_base)
            printf("  change - baseline: delay p99 %s, longest cut-off %s, duplicates %s\n",
                   metric_text(&delta, "delay_p99_s", a, sizeof a),
                   metric_text(&delta, "disruption_max_s", b, sizeof b),
                   metric_text(&delta, "duplicates", c, sizeof c));
        for (size_t i = 0; i < nb; i++)
            printf("  budget %s: %s (%s: %s)\n", verd[i].pass ? "pass" : "FAIL",
                   sc.budget->v[i].text,
                   metric_text(m, sc.budget->v[i].metric, a, sizeof a),
                   mq_budget_why_str(verd[i].why));
        for (size_t i = 0; i < sc.warnings.n; i++) printf("  warning: %s\n", sc.warnings.v[i]);
        for (size_t i = 0; i < first.warnings.n; i++) printf("  warning: %s\n", first.warnings.v[i]);
        printf("  results in %s/\n", final_dir);
        if (nb) printf("verdict: %s: %zu of %zu budget line%s fail%s\n", nfail ? "FAIL" : "PASS",
                       nfail, nb, nb == 1 ? "" : "s", nfail == 1 ? "s" : "");
        if (A.report) printf("report: %s/report.html\n", final_dir);
        if (nfail) {
            fprintf(stderr, "mqsim run: %zu of %zu budget line%s failed\n", nfail, nb,
                    nb == 1 ? "" : "s");
            rc = CLI_BUDGET;
        }
    }
    json_decref(meta);
    free(verd);
    sim_metrics_free(&delta);
    mq_result_free(&first);
out:
    out_dir_abort(&od); /* a no-op after a commit */
    cli_progress_free(prog);
    sim_rep_free(rep);
    sim_rep_free(drep);
    out_groups_free(groups);
    mq_scenario_free(&sc);
    mq_scenario_free(&base);
    return rc;
}
