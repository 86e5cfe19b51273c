/*
** scn_budget.c - parsing and name checks of risk budget lines (see
** scn_budget.h).
**
** The grammar is tiny, so the parser is a hand-written scanner over one
** string: NAME [spaces] OP [spaces] LIMIT, where NAME is [A-Za-z0-9_.]+ and
** LIMIT is either a plain number (strtod, finite, whole string consumed) or
** a duration accepted by units.h. "Did you mean" is scn_yaml.h's, shared with
** every other scenario key. Cost: parsing O(length); name checks
** O(lines x metrics x name length^2) through the edit distance, negligible
** for tens of lines.
*/
#include "io/scn_budget.h"

#include "io/scn_yaml.h"
#include "io/units.h"
#include "models/mq_metric_info.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The limit text: a plain number, else a duration (is_dur set). */
static int parse_limit(const char *ltext, double *limit, bool *is_dur, sim_err *uerr)
{
    errno = 0;
    char *end;
    *limit = strtod(ltext, &end);
    *is_dur = false;
    if (end != ltext && !*end && !errno && isfinite(*limit) && !strchr(ltext, 'x') &&
        !strchr(ltext, 'X'))
        return 0;
    *is_dur = true;
    return units_duration(ltext, limit, uerr);
}

int scn_budget_add(mq_budget *b, const char *text, mq_loc loc, const char *path, sim_err *err)
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
    char *ltext = strndup(lim, llen);
    SIM_NEED(ltext != NULL, "out of memory");
    mq_budget_line l = {.loc = loc, .op = op};
    sim_err uerr;
    if (parse_limit(ltext, &l.limit, &l.is_duration, &uerr)) {
        int rc = BAD("budget line '%s': limit '%s' is neither a number nor a duration "
                     "with a unit (e.g. 30s, 2h): %s", text, ltext, uerr.msg);
        free(ltext);
        return rc;
    }
    free(ltext);
    l.text = strdup(text);
    l.metric = strndup(name, nlen);
    SIM_NEED(l.text && l.metric, "out of memory");
    mq_budget_push(b, l);
    return 0;
#undef BAD
}

/* Every metric name of the table, in table order, for "did you mean". */
static size_t table_names(const char **names, size_t cap)
{
    size_t n = 0;
    for (const mq_metric_info *r; n < cap && (r = mq_metric_info_at(n)); n++) names[n] = r->name;
    return n;
}

int scn_budget_check_names(const mq_budget *b, const char *path, sim_err *err)
{
    if (!b) return 0;
    const char *names[512];
    size_t nn = table_names(names, sizeof names / sizeof *names);
    for (size_t i = 0; i < b->n; i++) {
        const mq_budget_line *l = &b->v[i];
        const mq_metric_info *m = mq_metric_info_find(l->metric);
        if (!m) {
            const char *near = scn_suggest(l->metric, names, nn);
            if (near)
                return sim_err_at(err, path, l->loc.line, l->loc.col,
                                  "budget line '%s': unknown metric '%s' (did you mean '%s'?)",
                                  l->text, l->metric, near);
            char list[600];
            scn_join(names, nn, list, sizeof list);
            return sim_err_at(err, path, l->loc.line, l->loc.col,
                              "budget line '%s': unknown metric '%s'; known metrics: %s",
                              l->text, l->metric, list);
        }
        if (l->is_duration && strcmp(m->unit, "s") != 0)
            return sim_err_at(err, path, l->loc.line, l->loc.col,
                              "budget line '%s': the limit is a duration but %s is measured "
                              "in '%s'; write a plain number", l->text, l->metric,
                              *m->unit ? m->unit : "the billing currency");
    }
    return 0;
}
