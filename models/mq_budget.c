/*
** mq_budget.c - risk budget lines in their parsed form and their verdicts
** (see mq_budget.h). The text is parsed by io/scn_budget.c; this file needs
** nothing above the model layer.
*/
#include "models/mq_budget.h"

#include "models/mq_metric_info.h"
#include "sim/sim_mem.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
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

void mq_budget_push(mq_budget *b, mq_budget_line l)
{
    SIM_NEED_OK(sim_grow((void **)&b->v, &b->cap, b->n + 1, sizeof *b->v));
    b->v[b->n++] = l;
}

const char *mq_budget_why_str(mq_budget_why why)
{
    switch (why) {
    case MQ_WHY_WITHIN: return "the whole 95% CI is within the limit";
    case MQ_WHY_BEYOND: return "the 95% CI reaches past the limit";
    case MQ_WHY_ALL_BEYOND: return "the whole 95% CI is past the limit";
    case MQ_WHY_VALUE_WITHIN: return "within the limit (one replication: no CI)";
    case MQ_WHY_VALUE_BEYOND: return "past the limit (one replication: no CI)";
    case MQ_WHY_UNFINISHED:
        return "within the limit, but the change had not completed when the run ended "
               "(change_completed), so its whole effect is not in the figure: lengthen "
               "run.duration";
    case MQ_WHY_BOUND_BEYOND: return "not finished within the run, and already past the limit";
    case MQ_WHY_BOUND_WITHIN: return "not finished within the run, and already past the limit's side";
    case MQ_WHY_UNDECIDED:
        return "not finished within the run: the run ended before the value could be known";
    case MQ_WHY_UNDELIVERED:
        return "within the limit over the delivered messages only; counting the messages not "
               "delivered by the end of the run as delayed until the end, it is not (the "
               "delay_all_ figures): judge those, or bound undelivered_fraction in a line of "
               "its own";
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
    bool ci = !isnan(x->ci_lo) && !isnan(x->ci_hi);
    if (!ci) {
        v.why = v.pass ? MQ_WHY_VALUE_WITHIN : MQ_WHY_VALUE_BEYOND;
        return v;
    }
    bool none_within = false; /* no value of the CI satisfies the line */
    switch (l->op) {
    case MQ_BUDGET_LE: none_within = v.lo > l->limit; break;
    case MQ_BUDGET_LT: none_within = v.lo >= l->limit; break;
    case MQ_BUDGET_GE: none_within = v.hi < l->limit; break;
    case MQ_BUDGET_GT: none_within = v.hi <= l->limit; break;
    case MQ_BUDGET_EQ: none_within = v.lo > l->limit || v.hi < l->limit; break;
    }
    v.why = v.pass ? MQ_WHY_WITHIN : none_within ? MQ_WHY_ALL_BEYOND : MQ_WHY_BEYOND;
    return v;
}

/* A limit from above on the delay of delivered messages only. */
static bool delivered_delay_cap(const mq_budget_line *l)
{
    return mq_metric_is_delivered_delay(l->metric) &&
           (l->op == MQ_BUDGET_LE || l->op == MQ_BUDGET_LT || l->op == MQ_BUDGET_EQ);
}

/* Whether the undelivered messages make a delivered-only delay line fail:
** judged on its delay_all_ twin where there is one (p50, p99, p999, mean,
** max), else when the undelivered share alone reaches the quantile's tail
** (u >= 1 - q; a delay metric without a quantile in its name has q = 1). */
static bool undelivered_breaks(const mq_budget_line *l, const sim_metrics *m)
{
    char twin[64];
    snprintf(twin, sizeof twin, "delay_all_%s", l->metric + 6);
    if (sim_metrics_find(m, twin)) {
        mq_budget_line t = *l;
        t.metric = twin;
        return !mq_budget_eval_line(&t, m).pass;
    }
    double q = 1;
    const char *p = l->metric + 6;
    if (*p == 'p' && isdigit((unsigned char)p[1])) {
        size_t n = strspn(p + 1, "0123456789");
        if (!strcmp(p + 1 + n, "_s")) { /* p90 -> 0.90, p9999 -> 0.9999 */
            q = strtod(p + 1, NULL);
            while (q >= 1) q /= 10;
        }
    }
    const sim_metric *uf = sim_metrics_find(m, "undelivered_fraction");
    return uf && uf->value >= 1 - q;
}

size_t mq_budget_eval(const mq_budget *b, const sim_metrics *m, mq_budget_verdict *out)
{
    if (!b) return 0;
    bool bounds_undelivered = false;
    for (size_t i = 0; i < b->n; i++)
        bounds_undelivered |= !strcmp(b->v[i].metric, "undelivered_fraction");
    bool moved = mq_undelivered_moves_p99(m);
    /* a change the run ended inside: what passed may not hold for the rest */
    const sim_metric *done = sim_metrics_find(m, "change_completed");
    bool unfinished = done && done->status == SIM_MEASURED && done->value < 1;
    size_t failed = 0;
    for (size_t i = 0; i < b->n; i++) {
        out[i] = mq_budget_eval_line(&b->v[i], m);
        if (out[i].pass && moved && !bounds_undelivered && delivered_delay_cap(&b->v[i]) &&
            undelivered_breaks(&b->v[i], m)) {
            out[i].pass = false;
            out[i].why = MQ_WHY_UNDELIVERED;
        }
        if (out[i].pass && unfinished && strcmp(b->v[i].metric, "change_completed")) {
            out[i].pass = false;
            out[i].why = MQ_WHY_UNFINISHED;
        }
        failed += !out[i].pass;
    }
    return failed;
}
