/*
** mq_budget.c - parsing, name checks and verdicts of risk budget lines (see
** mq_budget.h).
**
** The grammar is tiny, so the parser is a hand-written scanner over one
** string: NAME [spaces] OP [spaces] LIMIT, where NAME is [A-Za-z0-9_.]+ and
** LIMIT is either a plain number (strtod, finite, whole string consumed) or
** a duration accepted by io/units.h. Unit parsing and "did you mean" are
** reused from io/ (units.h, scn_yaml.h) rather than written a second time.
** Cost: parsing O(length); name checks O(lines x metrics x name length^2)
** through the edit distance, negligible for tens of lines.
*/
#include "models/mq_budget.h"

#include "io/scn_yaml.h"
#include "io/units.h"
#include "models/mq_model.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

mq_budget *mq_budget_new(void)
{
    return calloc(1, sizeof(mq_budget));
}

void mq_budget_free(mq_budget *b)
{
    if (!b) return;
    for (size_t i = 0; i < b->n; i++) {
        free(b->v[i].text);
        free(b->v[i].metric);
    }
    free(b->v);
    free(b);
}

const char *mq_budget_op_str(mq_budget_op op)
{
    switch (op) {
    case MQ_BUDGET_LE: return "<=";
    case MQ_BUDGET_LT: return "<";
    case MQ_BUDGET_GE: return ">=";
    case MQ_BUDGET_GT: return ">";
    case MQ_BUDGET_EQ: return "==";
    }
    return "?";
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

int mq_budget_add(mq_budget *b, const char *text, mq_loc loc, const char *path,
                  sim_err *err)
{
    SIM_ASSERT(b != NULL && text != NULL);
#define BAD(...) sim_err_at(err, path, loc.line, loc.col, __VA_ARGS__)
    const char *p = text;
    while (isspace((unsigned char)*p)) p++;
    const char *name = p;
    while (isalnum((unsigned char)*p) || *p == '_' || *p == '.') p++;
    size_t nlen = (size_t)(p - name);
    if (nlen == 0)
        return BAD("budget line '%s': expected 'metric OP limit', e.g. "
                   "'delay_p99_s <= 30', and it does not start with a metric name", text);
    while (isspace((unsigned char)*p)) p++;
    mq_budget_op op;
    if (!strncmp(p, "<=", 2)) op = MQ_BUDGET_LE, p += 2;
    else if (!strncmp(p, ">=", 2)) op = MQ_BUDGET_GE, p += 2;
    else if (!strncmp(p, "==", 2)) op = MQ_BUDGET_EQ, p += 2;
    else if (*p == '<') op = MQ_BUDGET_LT, p++;
    else if (*p == '>') op = MQ_BUDGET_GT, p++;
    else
        return BAD("budget line '%s': expected an operator (<=, <, >=, >, ==) after "
                   "'%.*s', found '%s'", text, (int)nlen, name, *p ? p : "end of line");
    while (isspace((unsigned char)*p)) p++;
    const char *lim = p;
    size_t llen = strlen(lim);
    while (llen && isspace((unsigned char)lim[llen - 1])) llen--;
    if (llen == 0) return BAD("budget line '%s': missing the limit after '%s'", text,
                              mq_budget_op_str(op));
    char *ltext = dup_n(lim, llen);
    if (!ltext) return sim_err_set(err, "out of memory");
    double limit;
    bool is_dur = false;
    errno = 0;
    char *end;
    limit = strtod(ltext, &end);
    if (end == ltext || *end || errno || !isfinite(limit) || strchr(ltext, 'x') ||
        strchr(ltext, 'X')) {
        sim_err uerr;
        if (units_duration(ltext, &limit, &uerr)) {
            int rc = BAD("budget line '%s': limit '%s' is neither a number nor a duration "
                         "with a unit (e.g. 30s, 2h): %s", text, ltext, uerr.msg);
            free(ltext);
            return rc;
        }
        is_dur = true;
    }
    free(ltext);
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 8;
        mq_budget_line *v = realloc(b->v, cap * sizeof *v);
        if (!v) return sim_err_set(err, "out of memory");
        b->v = v;
        b->cap = cap;
    }
    mq_budget_line l = {.loc = loc, .text = strdup(text), .metric = dup_n(name, nlen),
                        .op = op, .limit = limit, .is_duration = is_dur};
    if (!l.text || !l.metric) {
        free(l.text);
        free(l.metric);
        return sim_err_set(err, "out of memory");
    }
    b->v[b->n++] = l;
    return 0;
#undef BAD
}

int mq_budget_check_names(const mq_budget *b, const sim_metrics *known,
                          const char *path, sim_err *err)
{
    if (!b) return 0;
    const char **names = malloc((known->n ? known->n : 1) * sizeof *names);
    if (!names) return sim_err_set(err, "out of memory");
    for (size_t i = 0; i < known->n; i++) names[i] = known->v[i].name;
    int rc = 0;
    for (size_t i = 0; i < b->n && !rc; i++) {
        const mq_budget_line *l = &b->v[i];
        const sim_metric *m = sim_metrics_find(known, l->metric);
        if (!m) {
            const char *near = scn_suggest(l->metric, names, known->n);
            if (near)
                rc = sim_err_at(err, path, l->loc.line, l->loc.col,
                                "budget line '%s': unknown metric '%s' (did you mean '%s'?)",
                                l->text, l->metric, near);
            else {
                char list[600];
                scn_join(names, known->n, list, sizeof list);
                rc = sim_err_at(err, path, l->loc.line, l->loc.col,
                                "budget line '%s': unknown metric '%s'; known metrics: %s",
                                l->text, l->metric, list);
            }
        } else if (l->is_duration && strcmp(m->unit, "s") != 0) {
            rc = sim_err_at(err, path, l->loc.line, l->loc.col,
                            "budget line '%s': the limit is a duration but %s is measured "
                            "in '%s'; write a plain number", l->text, l->metric, m->unit);
        }
    }
    free(names);
    return rc;
}

int mq_budget_check_scenario(const mq_scenario *s, sim_err *err)
{
    if (!s->budget || s->budget->n == 0) return 0;
    /* A shallow copy that runs for zero seconds: clients are built and the
    ** metric table is computed, but nothing is preloaded. */
    mq_scenario probe = *s;
    probe.run.duration_s = 0;
    probe.run.warmup_s = 0;
    probe.run.drain_from_s = 0;
    probe.nbacklogs = 0;
    probe.nscheduled = 0;
    mq_run_opts o = {.seed = s->run.seed};
    mq_result r;
    sim_err perr;
    if (mq_model_run(&probe, &o, &r, &perr))
        return sim_err_at(err, s->path, 0, 0,
                          "cannot list the model's metrics to check the budget: %s", perr.msg);
    int rc = mq_budget_check_names(s->budget, &r.metrics, s->path, err);
    mq_result_free(&r);
    return rc;
}

const char *mq_budget_why_str(mq_budget_why why)
{
    switch (why) {
    case MQ_WHY_WITHIN: return "the whole 95% CI is within the limit";
    case MQ_WHY_BEYOND: return "the 95% CI reaches past the limit";
    case MQ_WHY_BOUND_BEYOND: return "not finished within the run, and already past the limit";
    case MQ_WHY_BOUND_WITHIN: return "not finished within the run, and already past the limit's side";
    case MQ_WHY_UNDECIDED:
        return "not finished within the run: the run ended before the value could be known";
    case MQ_WHY_MISSING: break;
    }
    return "not measured in this run";
}

/* A censored metric: the true value is >= bound. */
static mq_budget_verdict eval_censored(const mq_budget_line *l, mq_budget_verdict v)
{
    double b = v.bound;
    bool beyond = false, within = false;
    if (!isnan(b)) switch (l->op) {
        case MQ_BUDGET_LE: beyond = b > l->limit; break;
        case MQ_BUDGET_LT: beyond = b >= l->limit; break;
        case MQ_BUDGET_GE: within = b >= l->limit; break;
        case MQ_BUDGET_GT: within = b > l->limit; break;
        case MQ_BUDGET_EQ: beyond = b > l->limit; break;
        }
    v.pass = within;
    v.why = beyond ? MQ_WHY_BOUND_BEYOND : within ? MQ_WHY_BOUND_WITHIN : MQ_WHY_UNDECIDED;
    return v;
}

mq_budget_verdict mq_budget_eval_line(const mq_budget_line *l, const sim_metrics *m)
{
    mq_budget_verdict v = {NAN, NAN, NAN, false, false, SIM_MEASURED, NAN, MQ_WHY_MISSING};
    const sim_metric *x = sim_metrics_find(m, l->metric);
    if (!x) return v;
    v.status = x->status;
    if (x->status >= SIM_CENSORED_AT_END) {
        v.bound = x->bound;
        return eval_censored(l, v);
    }
    if (isnan(x->value)) return v;
    v.measured = true;
    v.value = x->value;
    v.lo = isnan(x->ci_lo) ? x->value : x->ci_lo;
    v.hi = isnan(x->ci_hi) ? x->value : x->ci_hi;
    switch (l->op) {
    case MQ_BUDGET_LE: v.pass = v.hi <= l->limit; break;
    case MQ_BUDGET_LT: v.pass = v.hi < l->limit; break;
    case MQ_BUDGET_GE: v.pass = v.lo >= l->limit; break;
    case MQ_BUDGET_GT: v.pass = v.lo > l->limit; break;
    case MQ_BUDGET_EQ: v.pass = v.lo == l->limit && v.hi == l->limit; break;
    }
    v.why = v.pass ? MQ_WHY_WITHIN : MQ_WHY_BEYOND;
    return v;
}

size_t mq_budget_eval(const mq_budget *b, const sim_metrics *m, mq_budget_verdict *out)
{
    if (!b) return 0;
    size_t failed = 0;
    for (size_t i = 0; i < b->n; i++) {
        out[i] = mq_budget_eval_line(&b->v[i], m);
        failed += !out[i].pass;
    }
    return failed;
}
