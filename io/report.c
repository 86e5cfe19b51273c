/*
** report.c - report.md and report.html from a results folder (see report.h).
**
** Both formats are written in one pass through a tiny document writer
** (`doc`): every section calls h2()/para()/table row helpers once and each
** helper emits Markdown and HTML side by side, so the two files can never
** disagree on content. Numbers are formatted once (out_fmt_value_ci: 4
** significant digits plus unit, "[lo, hi]" when there is a CI).
**
** Recommendations are rules over the numbers in summary.json - each fires
** only when its condition holds and quotes the figures that triggered it
** (duplicates and their causes, clients still cut off per group, losses,
** a backlog that does not drain in time with the consume capacity needed,
** wide CIs) - so an uneventful run gets "no action needed", not boilerplate.
**
** Cost: linear in the size of summary.json plus the PNGs (base64 is 4/3 of
** their size).
*/
#include "io/report.h"
#include "io/change/scn_change.h"
#include "io/out_csv.h"
#include "io/out_file.h"
#include "io/out_json.h"
#include "io/out_text.h"
#include "io/units.h"
#include "models/mq_metric_info.h"
#include "models/mq_scenario.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *report_base64(const unsigned char *data, size_t n)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc(4 * ((n + 2) / 3) + 1), *o = out;
    if (!out) return NULL;
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned)data[i] << 16 | (unsigned)data[i + 1] << 8 | data[i + 2];
        *o++ = tab[v >> 18];
        *o++ = tab[(v >> 12) & 63];
        *o++ = tab[(v >> 6) & 63];
        *o++ = tab[v & 63];
    }
    if (i < n) {
        unsigned v = (unsigned)data[i] << 16 | (i + 1 < n ? (unsigned)data[i + 1] << 8 : 0);
        *o++ = tab[v >> 18];
        *o++ = tab[(v >> 12) & 63];
        *o++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
    *o = '\0';
    return out;
}

/* ---- the two-format document writer ------------------------------------ */

typedef struct doc {
    FILE *md, *html;
} doc;

/* Text from the summary (names, descriptions, warnings, labels) is data,
** never markup: both writers escape it (HTML through out_text.h). */
/* Markdown: a '<' that could open raw HTML (a tag, a closing tag, a
** comment, a processing instruction) and an '&' that could start an entity
** are written as entities, so no HTML from the data is live; "<=" and
** "a & b" stay as they read. '|' would split a table cell; a newline would
** end a list item or a cell. */
static void md_esc(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char next = (unsigned char)s[1];
        int alpha = (next | 0x20) >= 'a' && (next | 0x20) <= 'z';
        switch (*s) {
        case '|': fputs("\\|", f); break;
        case '\n': fputc(' ', f); break;
        case '<':
            fputs(alpha || next == '/' || next == '!' || next == '?' ? "&lt;" : "<", f);
            break;
        case '&': fputs(alpha || next == '#' ? "&amp;" : "&", f); break;
        default:
            if (!out_esc_ctl(f, *s)) fputc(*s, f);
        }
    }
}

static void h2(doc *d, const char *title)
{
    fputs("\n## ", d->md);
    md_esc(d->md, title);
    fputs("\n\n", d->md);
    fputs("<h2>", d->html);
    out_esc_markup(d->html, title);
    fputs("</h2>\n", d->html);
}

__attribute__((format(printf, 3, 4)))
static void para(doc *d, const char *cls, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    md_esc(d->md, buf);
    fputs("\n\n", d->md);
    fprintf(d->html, "<p%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
    out_esc_markup(d->html, buf);
    fputs("</p>\n", d->html);
}

static void list_begin(doc *d) { fputs("<ul>\n", d->html); }
static void list_end(doc *d) { fputs("</ul>\n", d->html); fputc('\n', d->md); }

__attribute__((format(printf, 2, 3)))
static void item(doc *d, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fputs("- ", d->md);
    md_esc(d->md, buf);
    fputc('\n', d->md);
    fputs("<li>", d->html);
    out_esc_markup(d->html, buf);
    fputs("</li>\n", d->html);
}

/* Tables: table_begin(header...), row(cells...) as NULL-terminated lists. */
static void cells(doc *d, const char *const *c, size_t n, bool head)
{
    fputc('|', d->md);
    fputs("<tr>", d->html);
    for (size_t i = 0; i < n; i++) {
        fputc(' ', d->md);
        md_esc(d->md, c[i]);
        fputs(" |", d->md);
        const char *cls = !strcmp(c[i], "fail") || !strcmp(c[i], "FAIL") ? " class=\"fail\""
                        : !strcmp(c[i], "pass") ? " class=\"pass\"" : "";
        fprintf(d->html, "<%s%s>", head ? "th" : "td", cls);
        out_esc_markup(d->html, c[i]);
        fprintf(d->html, "</%s>", head ? "th" : "td");
    }
    fputc('\n', d->md);
    fputs("</tr>\n", d->html);
    if (head) {
        fputc('|', d->md);
        for (size_t i = 0; i < n; i++) fputs(" --- |", d->md);
        fputc('\n', d->md);
    }
}

static void table_begin(doc *d, const char *const *head, size_t n)
{
    fputs("<table>\n", d->html);
    cells(d, head, n, true);
}

static void table_end(doc *d)
{
    fputs("</table>\n", d->html);
    fputc('\n', d->md);
}

/* ---- number formatting ------------------------------------------------- */

static double jnum(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *jstr(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* What the baseline's deltas are the effect of (summary.json's
** baseline.effect_of; the change in a folder written before it). */
static mq_effect effect_of(json_t *base)
{
    return mq_effect_parse(json_string_value(json_object_get(base, "effect_of")));
}

static char *fmt_num(char *buf, size_t n, double v, const char *unit)
{
    units_format_human(v, unit, buf, n);
    return buf;
}

/* What a censored metric's status means, in words. */
static const char *status_words(const char *name, const char *status)
{
    bool cutoff = !strncmp(name, "disruption_", 11);
    if (!strcmp(status, "censored_at_end"))
        return cutoff ? "never reconnected" : "still going on at the end of the run";
    if (!strcmp(status, "not_reached")) return "not reached within the run";
    return "not applicable";
}

/* A metric object of summary.json as text: the value with its CI when
** measured, "≥ bound (why)" when censored, "not applicable" when there was
** nothing to measure. */
static char *fmt_metric(char *buf, size_t n, json_t *m, const char *name)
{
    const char *st = jstr(m, "status");
    if (!*st || !strcmp(st, "measured"))
        return out_singular_head(out_fmt_value_ci(buf, n, jnum(m, "value"),
                                                  jnum(m, "ci95_low"), jnum(m, "ci95_high"),
                                                  jstr(m, "unit")),
                                 jnum(m, "value"), jstr(m, "unit"));
    double b = jnum(m, "lower_bound");
    char a[64];
    if (!strcmp(st, "not_applicable") || isnan(b)) snprintf(buf, n, "%s", status_words(name, st));
    else snprintf(buf, n, "\u2265 %s (%s)", fmt_num(a, sizeof a, b, jstr(m, "unit")),
                  status_words(name, st));
    return buf;
}

static json_t *metric(json_t *metrics, const char *name)
{
    return out_metrics_find(metrics, name);
}

static double mval(json_t *metrics, const char *name)
{
    json_t *m = metric(metrics, name);
    return m ? jnum(m, "value") : NAN;
}

/* Append printf-style text to buf (cap bytes, NUL-terminated, cut to fit). */
__attribute__((format(printf, 3, 4)))
static void appendf(char *buf, size_t cap, const char *fmt, ...)
{
    size_t l = strlen(buf);
    if (l + 1 >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + l, cap - l, fmt, ap);
    va_end(ap);
}

/* Append to a group list ("a, b"), as far as it has room. */
static void list_add(char *lst, size_t n, const char *name)
{
    appendf(lst, n, "%s%s", *lst ? ", " : "", name);
}

/* The causes the metric table declares part of `total` (part_of: the base
** model's and the change type's rows) with a value above 0, appended to
** buf as "label value, ...": the label is the metric's name, or with
** `strip` (its common prefix) the rest of it in words ("requeue"). */
static void parts_list(char *buf, size_t n, json_t *metrics, const char *total, const char *strip)
{
    const mq_metric_info *part;
    for (size_t k = 0; (part = mq_metric_info_at(k)); k++) {
        double x = mval(metrics, part->name);
        if (!part->part_of || strcmp(part->part_of, total) || !(x > 0)) continue;
        char label[64], v[48];
        size_t skip = strip && !strncmp(part->name, strip, strlen(strip)) ? strlen(strip) : 0;
        snprintf(label, sizeof label, "%s", part->name + skip);
        for (char *c = label; strip && *c; c++)
            if (*c == '_') *c = ' ';
        appendf(buf, n, "%s%s %s", *buf ? ", " : "", label, fmt_num(v, sizeof v, x, ""));
    }
}

/* mq_undelivered_moves_p99 on a folder's metrics (the report reads
** summary.json): messages not delivered by the end move the p99. */
static bool undelivered_moves_p99(json_t *metrics)
{
    return mval(metrics, "undelivered_fraction") > 0 &&
           mval(metrics, "delay_all_p99_s") != mval(metrics, "delay_p99_s");
}

/* The scenario's change block as summary.json echoes it (under its
** type's key), or NULL for a run without a change. */
static json_t *change_block(json_t *root)
{
    json_t *sc = json_object_get(root, "scenario");
    for (size_t j = 0; scn_changes[j]; j++) {
        json_t *ch = json_object_get(sc, scn_changes[j]->ops->key);
        if (json_is_object(ch)) return ch;
    }
    return NULL;
}

/* "1 client" / "3 clients": a count of `noun` (singular) as text in buf
** (n bytes). A mean over replications keeps its digits ("2.5 clients"). */
static char *count_of(char *buf, size_t n, double v, const char *noun)
{
    char num[48];
    fmt_num(num, sizeof num, v, "");
    snprintf(buf, n, "%s %s%s", num, noun, v == 1 ? "" : "s");
    return buf;
}

/* Run time of what the baseline leaves out: the change's `at`, or without
** a change the first of the scenario's events; 0 when there is neither. */
static double disturbance_at(json_t *root)
{
    json_t *ch = change_block(root);
    if (ch) return jnum(ch, "at_s");
    double first = INFINITY;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(json_object_get(root, "scenario"), "events"), i, e)
        first = fmin(first, jnum(e, "at_s"));
    return isfinite(first) ? first : 0;
}

/* Seconds after midnight of a "HH:MM" clock time; NAN when it is not one. */
static double clock_of(const char *hhmm)
{
    int h, m;
    return sscanf(hhmm, "%d:%d", &h, &m) == 2 ? h * 3600.0 + m * 60.0 : NAN;
}

/* A time of day as "HH:MM" in buf (n bytes), from seconds after a
** midnight (any number of days later). */
static char *clock_text(char *buf, size_t n, double s)
{
    long sec = ((long)llround(s) % 86400 + 86400) % 86400;
    snprintf(buf, n, "%02ld:%02ld", sec / 3600, sec / 60 % 60);
    return buf;
}

/* The clients of group g still cut off at the end, as the subject of a
** sentence, in buf (n bytes): "its 1 client", "all 3 of its clients",
** "1 of its 3 clients" (a mean over replications: "1.5 of its 3 clients"). */
static char *some_of_its(char *buf, size_t n, json_t *g)
{
    double cut = jnum(g, "clients_cut_off_at_end");
    long long all = json_integer_value(json_object_get(g, "clients"));
    char part[64];
    if (cut == 1 && all == 1)
        snprintf(buf, n, "its 1 client");
    else if (cut == 2 && all == 2)
        snprintf(buf, n, "both its clients");
    else if (cut == (double)all)
        snprintf(buf, n, "all %lld of its clients", all);
    else
        snprintf(buf, n, "%s of its %lld client%s",
                 fmt_num(part, sizeof part, cut, ""), all, all == 1 ? "" : "s");
    return buf;
}

/* Clients of group g that the change refused for good at the end. */
static double refused_for_good(json_t *g)
{
    return jnum(json_object_get(g, "cut_off_at_end_why"), "refused_for_good");
}

/* Whether a start hour can matter: some producer group follows a day
** profile (a periodic rate schedule, as mq_start_has_day_profile reads
** it); without one every hour carries the same load. */
static bool day_profile(json_t *root)
{
    json_t *prods = json_object_get(json_object_get(root, "scenario"), "producers"), *p;
    size_t i;
    json_array_foreach(prods, i, p)
        if (jnum(json_object_get(p, "rate"), "period_s") > 0) return true;
    return false;
}

/* The p99 a start-time comparison judges: the delivered messages', or,
** where undelivered ones move it (as on the console), the one counting
** them; *label names it for the reader. */
static const char *start_p99_key(json_t *metrics, const char **label)
{
    bool all = undelivered_moves_p99(metrics);
    *label = all ? "p99 delay (undelivered messages counted as delayed until the end)"
                 : "p99 delay";
    return all ? "delay_all_p99_s" : "delay_p99_s";
}

/* What the start time can do about the change's own p99 delay, from what
** produced it: an overload lasts as long as the load does; a flat load is
** the same at every hour; with a day profile the start-time search (its
** result in "alternative_start") says whether the quietest hour helps. */
static const char *start_advice(json_t *root, json_t *metrics)
{
    if (mval(metrics, "throttled_sends_overload") > 0)
        return "it comes with the overload above, and a quieter hour for the change does not "
               "remove it while the load reaches more than the new capacity";
    if (!day_profile(root))
        return "the scenario's load is the same at every hour (no day profile), so it cannot "
               "show what a quieter hour would change: give the producers their day profile "
               "(rate steps with a period) to compare start hours";
    json_t *alt = json_object_get(root, "alternative_start");
    if (!json_is_object(alt))
        return "the load follows a day profile: `mqsim run --suggest-start` runs the change "
               "at the quietest hour and compares, when that hour carries at most 80 % of "
               "this window's load";
    json_t *c = json_object_get(alt, "current"), *sg = json_object_get(alt, "suggested");
    const char *label, *key = start_p99_key(metrics, &label);
    return jnum(sg, key) < 0.95 * jnum(c, key)
               ? "a quieter start hour lowers it (below)"
               : "the quietest start hour does not lower the p99 delay by 5 % or more "
                 "(start-time search)";
}

static char *mtext(char *buf, size_t n, json_t *metrics, const char *name)
{
    json_t *m = metric(metrics, name);
    if (!m) snprintf(buf, n, "not in this results folder");
    else fmt_metric(buf, n, m, name);
    return buf;
}

/* The scenario echo's producer or consumer group of a "groups" row. */
static json_t *group_cfg(json_t *root, json_t *g)
{
    json_t *sc = json_object_get(root, "scenario");
    const char *role = jstr(g, "role");
    json_t *list = json_object_get(sc, !strcmp(role, "producer") ? "producers" : "consumers");
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x)
        if (!strcmp(jstr(x, "name"), jstr(g, "group"))) return x;
    return NULL;
}

/* Clients still cut off at the end that no wait brings back (refused for
** good, no automatic reconnect and no restart due, or gave up), among
** those a cut-off metric counts: every client for NULL or a metric over
** all clients ("disruption_max_s", "disruption_client_s"), the clients of
** one endpoint for a per-endpoint one ("disruption_<endpoint>_max_s"),
** none for any other metric. */
static double never_back(json_t *root, const char *metric_name)
{
    char endpoint[32] = "";
    if (metric_name) {
        if (strncmp(metric_name, "disruption_", 11)) return 0;
        const char *rest = metric_name + 11, *tail = strstr(rest, "_max_s");
        if (tail && !tail[6]) snprintf(endpoint, sizeof endpoint, "%.*s", (int)(tail - rest), rest);
    }
    static const char *const for_good[] = {"refused_for_good", "no_recovery", "gave_up"};
    double n = 0;
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(root, "groups"), i, g) {
        if (*endpoint && strcmp(jstr(group_cfg(root, g), "endpoint"), endpoint)) continue;
        for (size_t k = 0; k < sizeof for_good / sizeof *for_good; k++) {
            double c = jnum(json_object_get(g, "cut_off_at_end_why"), for_good[k]);
            if (c > 0) n += c;
        }
    }
    return n;
}

/* Scheduled messages (scenario.scheduled) sure to expire after the end:
** their TTL, counted from the start of the run, ends after the run but
** before the earliest time the entry's deliver_at can give (a constant, or
** a uniform's low end; a distribution without a floor proves nothing). */
static double scheduled_expiring_after_end(json_t *root)
{
    json_t *sc = json_object_get(root, "scenario");
    double end = jnum(json_object_get(sc, "run"), "duration_s"), n = 0;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(sc, "scheduled"), i, e) {
        json_t *at = json_object_get(e, "deliver_at"), *par = json_object_get(at, "params");
        const char *dist = jstr(at, "dist");
        double ttl = jnum(e, "ttl_s");
        double earliest = !strcmp(dist, "constant") ? jnum(par, "value")
                        : !strcmp(dist, "uniform") ? jnum(par, "lo") : NAN;
        if (ttl > end && earliest > ttl) n += jnum(e, "messages");
    }
    return n;
}

/* The change block's Internet bandwidth (to.bandwidth_mbps), or NAN when
** the run has no change or its change leaves the bandwidth as it is. */
static double change_bandwidth(json_t *root)
{
    return jnum(json_object_get(change_block(root), "to"), "bandwidth_mbps");
}

/* Whether the producers on the public endpoint offer more bytes per second
** than the Internet bandwidth in force at the end (the change's, else the
** instance's; 0 is unlimited), at each group's highest scheduled rate (a
** group's rate is the whole group's): *offered_mbit and *limit_mbit in
** Mbit/s, *rate their msg/s, groups the groups' names. The bandwidth is
** a limit on bytes, so throttled_sends_overload (messages per second)
** never counts its refusals. */
static bool bandwidth_overload(json_t *root, double *offered_mbit, double *limit_mbit,
                               double *rate, char *groups, size_t n)
{
    json_t *sc = json_object_get(root, "scenario"), *p;
    double bw = change_bandwidth(root);
    if (isnan(bw)) bw = jnum(json_object_get(sc, "instance"), "bandwidth_mbps");
    double bytes = 0;
    size_t i;
    *rate = 0;
    groups[0] = '\0';
    json_array_foreach(json_object_get(sc, "producers"), i, p) {
        if (strcmp(jstr(p, "endpoint"), "public")) continue;
        double peak = 0;
        size_t k;
        json_t *st;
        json_array_foreach(json_object_get(json_object_get(p, "rate"), "steps"), k, st)
            peak = fmax(peak, jnum(st, "rate"));
        if (!(peak > 0)) continue;
        bytes += peak * jnum(p, "msg_size_bytes");
        *rate += peak;
        list_add(groups, n, jstr(p, "name"));
    }
    *offered_mbit = bytes * 8 / 1e6;
    *limit_mbit = bw;
    return bw > 0 && *offered_mbit > bw;
}

/* ---- sections ---------------------------------------------------------- */

/* Everything that decides the verdict, at the top: the verdict, each
** failing budget line with its value and why it failed, and every
** condition the run did not see finish (each censored metric of the
** table, in table order, and the model's warnings). */
static void sec_verdict(doc *d, json_t *root)
{
    json_t *budget = json_object_get(root, "budget");
    json_t *metrics = json_object_get(root, "metrics");
    h2(d, "Verdict");
    size_t n = json_array_size(budget), fails = 0, i;
    json_t *b;
    json_array_foreach(budget, i, b) fails += strcmp(jstr(b, "verdict"), "pass") != 0;
    long reps = (long)jnum(root, "replications");
    if (n == 0)
        para(d, "verdict none", "NO BUDGET: the scenario has no budget: section, so there is "
             "no pass/fail verdict; the numbers below are for your judgement.");
    else if (fails)
        para(d, "verdict fail", "FAIL: %zu of %zu budget lines fail. A line passes only "
             "if its whole 95%% confidence interval is within the limit (%ld replication%s).",
             fails, n, reps, reps == 1 ? ", so the interval is the single value" : "s");
    else
        para(d, "verdict pass", "PASS: all %zu budget lines hold at the bound of the 95%% "
             "confidence interval (%ld replication%s).", n, reps,
             reps == 1 ? "; with one replication the interval is the single value" : "s");
    if (fails) {
        list_begin(d);
        json_array_foreach(budget, i, b) {
            if (!strcmp(jstr(b, "verdict"), "pass")) continue;
            json_t *m = metric(metrics, jstr(b, "metric"));
            char v[160], l[64];
            if (m) fmt_metric(v, sizeof v, m, jstr(b, "metric"));
            else snprintf(v, sizeof v, "not in this results folder");
            fmt_num(l, sizeof l, jnum(b, "limit"), m ? jstr(m, "unit") : "");
            item(d, "'%s' fails: %s against %s; %s.", jstr(b, "line"), v, l,
                 *jstr(b, "why") ? jstr(b, "why") : "see the budget table");
        }
        list_end(d);
    }
    size_t unfinished = 0;
    json_t *m;
    json_array_foreach(metrics, i, m) {
        const char *st = jstr(m, "status"), *name = jstr(m, "metric");
        if (strcmp(st, "censored_at_end") && strcmp(st, "not_reached")) continue;
        if (!unfinished++) {
            para(d, NULL, "Did not finish within the run (values are lower bounds; a longer "
                 "run.duration shows the end%s):",
                 never_back(root, NULL) > 0 ? " unless a line says otherwise" : "");
            list_begin(d);
        }
        char v[160], gone[64] = "";
        double lost_for_good = !strcmp(st, "censored_at_end") ? never_back(root, name) : 0;
        if (lost_for_good > 0)
            item(d, "%s: %s; no run length shows its end: %s never %s by %s (see the "
                 "recommendations)", name, fmt_metric(v, sizeof v, m, name),
                 count_of(gone, sizeof gone, lost_for_good, "client"),
                 lost_for_good == 1 ? "reconnects" : "reconnect",
                 lost_for_good == 1 ? "itself" : "themselves");
        else
            item(d, "%s: %s", name, fmt_metric(v, sizeof v, m, name));
    }
    if (unfinished) list_end(d);
    json_t *w, *ws = json_object_get(root, "warnings");
    if (json_array_size(ws)) {
        const char *note = jstr(root, "warnings_note"); /* several replications */
        if (*note) para(d, NULL, "Warnings (%s):", note);
        else para(d, NULL, "Warnings:");
        list_begin(d);
        json_array_foreach(ws, i, w) item(d, "%s", json_string_value(w) ? json_string_value(w) : "?");
        list_end(d);
    }
    json_t *uf = metric(metrics, "undelivered_fraction");
    if (uf && jnum(uf, "value") > 0) {
        char p99[96], all[96], doomed[160] = "";
        /* name what "undelivered" holds (losses, expiries, messages due but
        ** not delivered) and what the share leaves out (messages not yet
        ** due at the end), beside the run's totals, whose pending messages
        ** include those; a pending message's fate after the end is not
        ** simulated, so it is neither called lost nor delivered */
        double expiring = scheduled_expiring_after_end(root);
        if (expiring > 0)
            snprintf(doomed, sizeof doomed, "; %.0f of them are scheduled messages whose TTL "
                     "ends after the run but before they are due, so they will expire",
                     expiring);
        para(d, NULL, "%.3g %% of the messages sent after warm-up were not delivered by the "
             "end of the run: lost, expired, or still pending although due (a delayed or "
             "scheduled message not yet due when the run ended is left out of this share). "
             "Over the whole run, preloaded and scheduled messages included: %.0f lost, %.0f "
             "expired, %.0f still pending when it ended (%.0f of them held by producers%s). "
             "What becomes of a pending message after the end is not simulated, so none is "
             "counted as lost. The undelivered ones have no delay of their own: delay p99 "
             "over the delivered messages is %s; counting each undelivered one as delayed "
             "until the end of the run, %s.",
             100 * jnum(uf, "value"), mval(metrics, "lost"), mval(metrics, "expired"),
             mval(metrics, "still_stored"), mval(metrics, "still_in_producers"), doomed,
             mtext(p99, sizeof p99, metrics, "delay_p99_s"),
             mtext(all, sizeof all, metrics, "delay_all_p99_s"));
    }
}

static void sec_budget(doc *d, json_t *root)
{
    json_t *budget = json_object_get(root, "budget");
    if (!json_is_array(budget) || json_array_size(budget) == 0) return;
    h2(d, "Risk budget");
    static const char *const head[] = {"budget line", "measured [95% CI]", "limit", "verdict",
                                       "why"};
    table_begin(d, head, 5);
    size_t i;
    json_t *b;
    json_t *metrics = json_object_get(root, "metrics");
    json_array_foreach(budget, i, b) {
        json_t *m = metric(metrics, jstr(b, "metric"));
        const char *unit = m ? jstr(m, "unit") : "";
        char v[160], l[64];
        if (m) fmt_metric(v, sizeof v, m, jstr(b, "metric"));
        else out_fmt_value_ci(v, sizeof v, jnum(b, "value"), jnum(b, "ci95_low"), jnum(b, "ci95_high"), unit);
        fmt_num(l, sizeof l, jnum(b, "limit"), unit);
        const char *row[] = {jstr(b, "line"), v, l, jstr(b, "verdict"), jstr(b, "why")};
        cells(d, row, 5, false);
    }
    table_end(d);
}

/* A paired difference as text. Censored, it is a bound only when the change
** side was cut short and the baseline measured (sim_rep.h); otherwise no
** number follows, and the words say which side the end of the run cut. */
static char *fmt_delta(char *buf, size_t n, json_t *m, json_t *change_side)
{
    const char *st = jstr(m, "status");
    if (!*st || !strcmp(st, "measured")) return fmt_metric(buf, n, m, jstr(m, "metric"));
    char a[64], c[96];
    double b = jnum(m, "lower_bound");
    if (!isnan(b))
        snprintf(buf, n, "≥ %s (the change's run: %s)", fmt_num(a, sizeof a, b, jstr(m, "unit")),
                 status_words(jstr(m, "metric"), st));
    else if (change_side && !strcmp(jstr(change_side, "status"), "measured"))
        snprintf(buf, n, "unknown: %s in the baseline (with the change: %s)",
                 status_words(jstr(m, "metric"), st),
                 fmt_metric(c, sizeof c, change_side, jstr(m, "metric")));
    else
        snprintf(buf, n, "unknown: %s in both runs", status_words(jstr(m, "metric"), st));
    return buf;
}

static void sec_deltas(doc *d, json_t *root)
{
    json_t *base = json_object_get(root, "baseline");
    const char *of = mq_effect_words(effect_of(base));
    char title[128];
    snprintf(title, sizeof title, "Effect of %s (paired with a baseline)", of);
    h2(d, title);
    if (!json_is_object(base)) {
        para(d, NULL, "No baseline was run (the scenario has no change or events, or "
             "--no-baseline was given): the figures below include what the workload does "
             "anyway.");
        return;
    }
    if (jnum(root, "replications") < 2)
        para(d, NULL, "Baseline: %s. Each value is change - baseline of the one replication "
             "pair, with no interval: one pair cannot tell the effect of %s from chance. "
             "Run --replications 10 (or --precision 0.05) for 95%% CIs.", jstr(base, "what"),
             of);
    else
        para(d, NULL, "Baseline: %s. Each value is the mean of (change - baseline) over the "
             "replication pairs, with its 95%% CI; a CI that excludes 0 means %s itself "
             "moves the metric.", jstr(base, "what"), of);
    static const char *const head[] = {"metric", "change - baseline [95% CI]"};
    static const char *const head1[] = {"metric", "change - baseline (one pair)"};
    table_begin(d, jnum(root, "replications") < 2 ? head1 : head, 2);
    size_t i, shown = 0;
    json_t *m;
    json_array_foreach(json_object_get(base, "deltas"), i, m) {
        double v = jnum(m, "value"), lo = jnum(m, "ci95_low"), hi = jnum(m, "ci95_high");
        if (v == 0 && (isnan(lo) || (lo == 0 && hi == 0))) continue;
        if (!strcmp(jstr(m, "metric"), "sim_events")) continue;
        if (!strcmp(jstr(m, "status"), "not_applicable")) continue;
        char t[200];
        fmt_delta(t, sizeof t, m, metric(json_object_get(root, "metrics"), jstr(m, "metric")));
        const char *row[] = {jstr(m, "metric"), t};
        cells(d, row, 2, false);
        shown++;
    }
    table_end(d);
    if (!shown) para(d, NULL, "The change moved no metric in any replication pair.");
}

static void sec_timeline(doc *d, json_t *root)
{
    json_t *tl = json_object_get(root, "timeline");
    h2(d, "Timeline (phases and events, replication 0)");
    if (!json_is_array(tl) || json_array_size(tl) == 0) {
        para(d, NULL, "No phases or events in this run.");
        return;
    }
    static const char *const head[] = {"from", "to", "length", "phase / event"};
    table_begin(d, head, 4);
    /* in time order: the model lists the change's phases and the events
    ** each in its own order; a stable sort keeps equal starts as listed */
    size_t nb = json_array_size(tl);
    json_t **rows = malloc(nb * sizeof *rows);
    SIM_NEED(rows != NULL, "out of memory");
    for (size_t k = 0; k < nb; k++) {
        json_t *row = json_array_get(tl, k);
        size_t at = k;
        for (; at > 0 && jnum(rows[at - 1], "t0_s") > jnum(row, "t0_s"); at--)
            rows[at] = rows[at - 1];
        rows[at] = row;
    }
    /* with run.start_at, the time of day beside the run time */
    double clock0 = jnum(json_object_get(json_object_get(root, "scenario"), "run"),
                         "start_clock_s");
    for (size_t i = 0; i < nb; i++) {
        json_t *b = rows[i];
        char a[64], z[64], l[32];
        double t0 = jnum(b, "t0_s"), t1 = jnum(b, "t1_s");
        units_format_duration(t0, a, sizeof a);
        units_format_duration(t1, z, sizeof z);
        units_format_duration(t1 - t0, l, sizeof l);
        if (clock0 > 0) {
            for (int e = 0; e < 2; e++) {
                char *buf = e ? z : a, run_t[64], hhmm[16];
                snprintf(run_t, sizeof run_t, "%s", buf);
                snprintf(buf, 64, "%s (%.48s)",
                         clock_text(hhmm, sizeof hhmm, clock0 + (e ? t1 : t0)), run_t);
            }
        }
        /* a band the model closed at the end of the run had not ended */
        char lab[300];
        double end = jnum(json_object_get(json_object_get(root, "scenario"), "run"), "duration_s");
        snprintf(lab, sizeof lab, "%s%s", jstr(b, "label"),
                 t1 >= end ? " (still going on when the run ended)" : "");
        if (t1 >= end) {
            char len[32];
            snprintf(len, sizeof len, "%s", l);
            snprintf(l, sizeof l, "\u2265 %.24s", len);
        }
        const char *row[] = {a, z, l, lab};
        cells(d, row, 4, false);
    }
    free(rows);
    table_end(d);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* PNG files of dir: the four standard plots first, then the others by name.
** Fills names (owned strings) and returns how many (at most max). */
static size_t list_pngs(const char *dir, char **names, size_t max)
{
    static const char *const std[] = {"delay.png", "backlog.png", "clients.png",
                                      "disruption.png"};
    size_t n = 0, nstd = 0;
    DIR *dp = opendir(dir);
    if (!dp) return 0;
    struct dirent *e;
    char *other[256];
    size_t no = 0;
    bool have[4] = {0};
    while ((e = readdir(dp))) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".png") || e->d_name[0] == '.') continue;
        bool s = false;
        for (int k = 0; k < 4; k++)
            if (!strcmp(e->d_name, std[k])) have[k] = s = true;
        if (!s && no < 256) other[no++] = strdup(e->d_name);
    }
    closedir(dp);
    for (int k = 0; k < 4; k++)
        if (have[k] && n < max) names[n++] = strdup(std[k]), nstd++;
    qsort(other, no, sizeof *other, cmp_str);
    for (size_t k = 0; k < no; k++) {
        if (n < max && other[k]) names[n++] = other[k];
        else free(other[k]);
    }
    return n;
}

static void sec_plots(doc *d, const char *dir, json_t *root)
{
    h2(d, "Plots (replication 0)");
    char *names[64];
    size_t n = 0, li;
    json_t *p, *listed = json_object_get(root, "plots");
    if (json_is_array(listed)) { /* the plots this run wrote, nothing else */
        json_array_foreach(listed, li, p)
            if (n < 64 && json_string_value(p) && !strchr(json_string_value(p), '/'))
                names[n++] = strdup(json_string_value(p));
    } else {
        n = list_pngs(dir, names, 64); /* a folder from before the list */
    }
    if (!n) para(d, NULL, "No plots in this results folder.");
    for (size_t i = 0; i < n; i++) {
        if (!names[i]) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *f = out_open_read(path, NULL);
        unsigned char *buf = NULL;
        size_t len = 0;
        if (f) {
            fseek(f, 0, SEEK_END);
            long sz = ftell(f);
            fseek(f, 0, SEEK_SET);
            if (sz > 0 && (buf = malloc((size_t)sz))) len = fread(buf, 1, (size_t)sz, f);
            fclose(f);
        }
        char *b64 = len ? report_base64(buf, len) : NULL;
        free(buf);
        if (!len) { /* empty, unreadable or not a file: this plot only is left out */
            para(d, "meta", "%s is empty or unreadable; left out of this report.", names[i]);
        } else {
            SIM_NEED(b64 != NULL, "%s: out of memory encoding the plot", path);
            fputs("![", d->md);
            md_esc(d->md, names[i]);
            fprintf(d->md, "](%s)\n\n", names[i]);
            fputs("<figure><img alt=\"", d->html);
            out_esc_markup(d->html, names[i]);
            fprintf(d->html, "\" src=\"data:image/png;base64,%s\"><figcaption>", b64);
            out_esc_markup(d->html, names[i]);
            fputs("</figcaption></figure>\n", d->html);
            free(b64);
        }
        free(names[i]);
    }
}

/* One row of the cause table, then the rows the metric table declares
** part of it (mq_metric_info.part_of: the base model's causes and the
** change type's), one level deeper: the parts add up to the row above
** them, the model checks that on every run. */
static void cause_rows(doc *d, json_t *metrics, const char *name, const char *label, int depth)
{
    if (!metric(metrics, name)) return;
    /* indented with no-break spaces: Markdown and HTML both drop plain
    ** leading spaces in a table cell */
    char v[160], text[320] = "";
    for (int k = 0; k < 2 * depth; k++) appendf(text, sizeof text, "\u00a0");
    appendf(text, sizeof text, "%s", label);
    const char *row[] = {text, name, mtext(v, sizeof v, metrics, name)};
    cells(d, row, 3, false);
    const mq_metric_info *part;
    for (size_t i = 0; (part = mq_metric_info_at(i)); i++)
        if (part->part_of && !strcmp(part->part_of, name) && depth < 3)
            cause_rows(d, metrics, part->name, part->definition, depth + 1);
}

static void sec_causes(doc *d, json_t *metrics)
{
    h2(d, "Duplicates, losses and expiries by cause");
    para(d, NULL, "Each indented row is one cause of the row above it; they add up to it.");
    static const char *const head[] = {"cause", "metric", "value [95% CI]"};
    table_begin(d, head, 3);
    cause_rows(d, metrics, "duplicates", "duplicates delivered (total)", 0);
    cause_rows(d, metrics, "duplicate_rate", "duplicates per consumed message", 0);
    cause_rows(d, metrics, "lost", "messages lost (total)", 0);
    cause_rows(d, metrics, "expired", "messages expired (total)", 0);
    table_end(d);
}

static void sec_groups(doc *d, json_t *root, json_t *metrics)
{
    json_t *groups = json_object_get(root, "groups");
    h2(d, "Client groups");
    if (!json_is_array(groups) || json_array_size(groups) == 0) {
        para(d, NULL, "This results folder has no per-group table.");
        return;
    }
    char dl[96], du[96];
    para(d, NULL, "Means over the replications. Delay is measured for the whole run, not "
         "per group (p99 %s); the duplicates (%s in all) are counted at the consumer group "
         "that processed them (\"-\": a producer, or a folder that does not say).",
         mtext(dl, sizeof dl, metrics, "delay_p99_s"), mtext(du, sizeof du, metrics, "duplicates"));
    static const char *const head[] = {"group", "role", "profile", "clients",
                                       "longest cut-off", "client-time cut off",
                                       "clients disrupted", "still cut off at end",
                                       "duplicates processed"};
    table_begin(d, head, 9);
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g) {
        char c[32], a[96], b[64], e[32], f[32], h[32] = "-";
        snprintf(c, sizeof c, "%lld", (long long)json_integer_value(json_object_get(g, "clients")));
        /* a group with clients still cut off at the end: the cut-offs are lower bounds */
        bool open = jnum(g, "clients_cut_off_at_end") > 0;
        char am[48], bm[48];
        fmt_num(am, sizeof am, jnum(g, "disruption_max_s"), "s");
        fmt_num(bm, sizeof bm, jnum(g, "disruption_client_s"), "s");
        snprintf(a, sizeof a, "%s%s%s", open ? "\u2265 " : "", am, open ? " (never reconnected)" : "");
        snprintf(b, sizeof b, "%s%s", open ? "\u2265 " : "", bm);
        snprintf(e, sizeof e, "%.3g", jnum(g, "clients_disrupted"));
        snprintf(f, sizeof f, "%.3g", jnum(g, "clients_cut_off_at_end"));
        if (json_is_number(json_object_get(g, "duplicates")))
            snprintf(h, sizeof h, "%.4g", jnum(g, "duplicates")); /* consumers only */
        const char *row[] = {jstr(g, "group"), jstr(g, "role"), jstr(g, "profile"), c, a, b, e, f, h};
        cells(d, row, 9, false);
    }
    table_end(d);
}

static void sec_billing(doc *d, json_t *metrics)
{
    h2(d, "Billing impact");
    static const char *const head[] = {"metric", "value [95% CI]"};
    size_t i, shown = 0;
    json_t *m;
    json_array_foreach(metrics, i, m) {
        const char *name = jstr(m, "metric");
        if (strncmp(name, "billing", 7) && !strstr(name, "cost")) continue;
        if (!shown++) table_begin(d, head, 2);
        char v[160];
        const char *row[] = {name, mtext(v, sizeof v, metrics, name)};
        cells(d, row, 2, false);
    }
    if (shown) table_end(d);
    else para(d, NULL, "This run has no billing metric (no change with a price model), so the "
              "billing impact is not estimated.");
}

static void sec_assumptions(doc *d, json_t *root)
{
    json_t *as = json_object_get(root, "assumptions");
    h2(d, "Assumptions this run relied on");
    if (!json_is_array(as) || json_array_size(as) == 0) {
        para(d, NULL, "No profile default marked as an assumption was used (or the folder "
             "does not record them).");
        return;
    }
    para(d, NULL, "Client-profile defaults that are not backed by the model reference, and "
         "the change block's defaults, that the scenario did not override. Set them in the "
         "scenario if you know better: a profile's setting in the client group (e.g. "
         "producers: - reconnect: {...}), a change default under its block.");
    static const char *const head[] = {"profile", "setting", "value", "why", "groups",
                                       "override with"};
    table_begin(d, head, 6);
    size_t i;
    json_t *a;
    json_array_foreach(as, i, a) {
        char *v = json_dumps(json_object_get(a, "value"), JSON_ENCODE_ANY | JSON_REAL_PRECISION(6));
        char gl[512] = "";
        size_t k;
        json_t *g;
        json_array_foreach(json_object_get(a, "groups"), k, g)
            list_add(gl, sizeof gl, json_string_value(g));
        char sw[512] = "";
        json_array_foreach(json_object_get(a, "set_with"), k, g)
            list_add(sw, sizeof sw, json_string_value(g));
        const char *row[] = {jstr(a, "profile"), jstr(a, "key"), v ? v : "?", jstr(a, "source"), gl,
                             sw};
        cells(d, row, 6, false);
        free(v);
    }
    table_end(d);
}

/* Whether a group's clients reconnect by themselves: 1 yes, 0 no, -1 the
** folder does not say. */
static int group_auto_reconnect(json_t *root, json_t *g)
{
    json_t *r = json_object_get(json_object_get(group_cfg(root, g), "reconnect"), "automatic");
    return json_is_boolean(r) ? json_is_true(r) : -1;
}

/* Why a group's clients were cut off at the end, from the state the model
** recorded for each (groups[].cut_off_at_end_why, mq_end_state), with the
** remedy for that state only, into why; 0 when the folder (or a real run)
** does not record it. A client its broker refused is not told to reconnect
** harder: no setting of its own brings it back. */
static int cut_off_why(json_t *g, char *why, size_t n)
{
    static const char *const text[][2] = {
        {"refused_for_good", "refused for good (the change closed their endpoint or broker to "
                             "them; the warnings say why): neither reconnect settings nor a "
                             "restart bring them back; move them to an endpoint that stays open"},
        {"refused", "refused by their broker until after the end of the run (down or "
                    "closed to them): a longer run.duration shows when they return"},
        {"reconnecting", "still detecting the drop or in their reconnect back-off: a longer "
                         "run.duration shows when they return"},
        {"restart_later", "waiting for an application restart due after the end of the run"},
        {"gave_up", "gave up reconnecting (reconnect.max_attempts): raise it or let them "
                    "retry without a limit, or restart the application after the change"},
        {"no_recovery", "without automatic reconnect, and no application restart was due: "
                        "enable automatic recovery in the client, or plan the application "
                        "restart as part of the change"},
    };
    json_t *w = json_object_get(g, "cut_off_at_end_why");
    if (!json_is_object(w)) return 0;
    why[0] = '\0';
    for (size_t k = 0; k < sizeof text / sizeof *text; k++) {
        double c = jnum(w, text[k][0]);
        if (c > 0) appendf(why, n, "%s%.3g %s", *why ? "; " : "", c, text[k][1]);
    }
    /* a real run knows only that they were cut off: the caller falls back
    ** to the groups' settings when nothing else is known */
    double unknown = jnum(w, "not_recorded");
    if (*why && unknown > 0) appendf(why, n, "; %.3g more: the run does not record why", unknown);
    return *why != '\0';
}

/* Why messages were lost and what prevents it, from the two causes the
** model counts and the settings of the groups involved, into why (": ..."
** then "."): failed sends come from the disrupted producer groups that drop
** a failed send or stop retrying; auto-acked deliveries from consumer
** groups with ack: auto. A remedy is named only for a cause that occurred. */
static void lost_causes(json_t *root, json_t *groups, double send_failed, double autoack,
                        char *why, size_t n)
{
    char drop[256] = "", retry[256] = "", autos[256] = "", closed[256] = "";
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g) {
        json_t *cfg = group_cfg(root, g);
        if (!cfg || !(jnum(g, "clients_disrupted") > 0)) continue;
        if (!strcmp(jstr(g, "role"), "producer")) {
            const char *od = jstr(cfg, "ondown");
            if (refused_for_good(g) > 0)
                list_add(closed, sizeof closed, jstr(g, "group")); /* no setting helps */
            else if (!strcmp(od, "drop")) list_add(drop, sizeof drop, jstr(g, "group"));
            else if (!strcmp(od, "retry")) list_add(retry, sizeof retry, jstr(g, "group"));
        } else if (!strcmp(jstr(cfg, "ack"), "auto")) {
            list_add(autos, sizeof autos, jstr(g, "group"));
        }
    }
    why[0] = '\0';
    if (send_failed > 0 && *drop)
        appendf(why, n, ": producer groups %s drop a send that fails while they are "
                "disconnected: let them buffer it or retry it", drop);
    if (send_failed > 0 && *retry)
        appendf(why, n, "%s producer groups %s give up after their retries (retries, "
                "retry_backoff): let them retry for as long as a cut-off lasts, or buffer "
                "while disconnected", *why ? ";" : ":", retry);
    if (send_failed > 0 && *closed)
        appendf(why, n, "%s producer groups %s send into an endpoint the change closed to them "
                "for good: retries and buffers do not save those sends; move them to an "
                "endpoint that stays open", *why ? ";" : ":", closed);
    if (autoack > 0)
        appendf(why, n, "%s consumer groups %s acknowledge on delivery, so what a dropped "
                "consumer held is gone: use manual acks", *why ? ";" : ":",
                *autos ? autos : "with ack: auto");
    appendf(why, n, ".");
}

/* The recommendations, each derived from the figures and the cause the
** run recorded for them. */
static void sec_recommend(doc *d, json_t *root, json_t *metrics)
{
    h2(d, "Recommendations");
    list_begin(d);
    int n = 0;
    double dup = mval(metrics, "duplicates");
    json_t *groups = json_object_get(root, "groups");
    size_t i;
    json_t *g;
    if (dup > 0) {
        /* the groups the duplicates reach (a folder that does not say
        ** where they went: every group that does not de-duplicate) */
        char names[512] = "";
        json_array_foreach(groups, i, g) {
            json_t *gd = json_object_get(g, "duplicates");
            if (strcmp(jstr(g, "role"), "consumer") || json_is_true(json_object_get(g, "idempotent")) ||
                (json_is_number(gd) && !(json_number_value(gd) > 0)))
                continue;
            char v[48];
            if (json_is_number(gd))
                appendf(names, sizeof names, "%s%s: %s", *names ? ", " : "", jstr(g, "group"),
                        fmt_num(v, sizeof v, json_number_value(gd), ""));
            else list_add(names, sizeof names, jstr(g, "group"));
        }
        /* every cause the model counted (the rows part of "duplicates":
        ** the base model's and the change's), so the parts add up to it */
        char causes[512] = "", v[48];
        parts_list(causes, sizeof causes, metrics, "duplicates", "duplicates_");
        if (*names)
            item(d, "Make consumers idempotent (%s): %s duplicate%s expected (%s).", names,
                 fmt_num(v, sizeof v, dup, ""), dup == 1 ? "" : "s", causes),
                n++;
        else
            item(d, "Keep the consumers' de-duplication on: every consumer group is idempotent and "
                 "absorbs the %s duplicate%s of this run (%s).",
                 fmt_num(v, sizeof v, dup, ""), dup == 1 ? "" : "s", causes),
                n++;
    }
    /* throttling, by the cause the model recorded at each refusal: the
    ** offered rate above the limit that refused it (overload), or not
    ** (a burst of replays and retries, or a bandwidth limit) */
    double thr = mval(metrics, "throttled_sends");
    double over = mval(metrics, "throttled_sends_overload");
    double by_broker = mval(metrics, "throttled_overload_broker");
    if (!(by_broker > 0)) by_broker = 0;
    double bw_offered, bw_limit, bw_rate;
    char bw_groups[256];
    if (thr > 0 && over > 0) {
        char from[48];
        double offered = mval(metrics, "overload_offered_rate");
        fmt_num(from, sizeof from, mval(metrics, "overload_from_s"), "s");
        if (by_broker == 0)
            item(d, "The instance's specification cannot take the offered load: from %s the "
                 "producers offer up to %.4g msg/s against a specification of %.4g msg/s, and "
                 "%.0f of the %.0f throttled send attempts were refused for that. Choose a "
                 "specification at or above %.4g msg/s, or move load to other hours.", from,
                 offered, mval(metrics, "overload_capacity"), over, thr, offered),
                n++;
        else if (by_broker == over)
            item(d, "A broker cannot take the load routed to it: from %s the producers offer one "
                 "broker up to %.4g msg/s against its own capacity of %.4g msg/s, and %.0f of the "
                 "%.0f throttled send attempts were refused for that. Give that broker at least "
                 "%.4g msg/s (brokers[].capacity_tps; in a conversion, a destination cluster with "
                 "that much room left), or move queues to other brokers.", from, offered,
                 mval(metrics, "overload_capacity"), over, thr, offered),
                n++;
        else
            item(d, "The load is above the limits that refuse it: from %s, %.0f of the %.0f "
                 "throttled send attempts were refused by the instance's specification and %.0f "
                 "by a broker's own capacity, each while the producers offered it more than it "
                 "takes (at most %.4g msg/s against %.4g msg/s). Raise both: the specification "
                 "and the brokers' capacity to the rates their producers offer.", from,
                 over - by_broker, thr, by_broker, offered, mval(metrics, "overload_capacity")),
                n++;
    } else if (thr > 0 && bandwidth_overload(root, &bw_offered, &bw_limit, &bw_rate, bw_groups,
                                             sizeof bw_groups))
        item(d, "%.0f send attempts were throttled, none of them for too many messages per second, and "
             "the producers on the public endpoint (%s) offer up to %.4g Mbit/s (%.4g msg/s) "
             "against an Internet bandwidth of %.4g Mbit/s%s: a lasting overload of the "
             "bandwidth, not a burst. Raise the Internet bandwidth to at least %.4g Mbit/s, or "
             "move those producers to a VPC endpoint; reconnect jitter and a larger "
             "message-rate specification do not help.", thr, bw_groups, bw_offered, bw_rate,
             bw_limit, isnan(change_bandwidth(root)) ? "" : " after the change", bw_offered),
            n++;
    else if (thr > 0)
        item(d, "%.0f send attempts were throttled, none of them while the producers offered "
             "more messages per second than the limit that refused them: they came in bursts "
             "(clients reconnecting together replay what they held) or from a limit on bytes, "
             "not messages (Internet bandwidth; see the warnings). For bursts, add jitter to "
             "reconnect intervals or cap the producers' replay rate; a larger message-rate "
             "specification does not help.", thr),
            n++;
    /* what the throttling figures assume of a RabbitMQ application */
    json_t *inst = json_object_get(json_object_get(root, "scenario"), "instance");
    if (thr > 0 && !strcmp(jstr(inst, "kind"), "rabbitmq"))
        item(d, "Make sure the producers reopen a channel the broker closed: ApsaraMQ for "
             "RabbitMQ answers a refused publish with 530 and closes its channel, and automatic "
             "recovery does not reopen it. The figures above assume the application reopens "
             "it and publishes again; a producer that does not stops sending at its first "
             "refusal."),
            n++;
    /* the change's own advice (its io half, io/change/) */
    for (size_t j = 0; scn_changes[j]; j++) {
        json_t *ch = json_object_get(json_object_get(root, "scenario"), scn_changes[j]->ops->key);
        char adv[1024];
        if (json_is_object(ch) && scn_changes[j]->json_advice &&
            scn_changes[j]->json_advice(ch, metrics, adv, sizeof adv))
            item(d, "%s", adv), n++;
    }
    /* clients that never came back, with the reason the model had */
    json_array_foreach(groups, i, g) {
        double cut = jnum(g, "clients_cut_off_at_end");
        if (!(cut > 0)) continue;
        char why[1024], who[96];
        if (cut_off_why(g, why, sizeof why)) {
            item(d, "Group %s: %s %s still cut off when the run ended: %s.", jstr(g, "group"),
                 some_of_its(who, sizeof who, g), cut == 1 ? "was" : "were", why),
                n++;
            continue;
        }
        /* a folder written before the model recorded why: from settings */
        int autorec = group_auto_reconnect(root, g);
        item(d, "Restart group %s after the change: %s never reconnected (still cut off at "
             "the end of the run) because %s.", jstr(g, "group"), some_of_its(who, sizeof who, g),
             autorec == 0 ? "its client library has no automatic reconnect; enable automatic "
                            "recovery in the client, or plan the application restart as part of "
                            "the change"
             : autorec == 1 ? "its clients gave up reconnecting (reconnect.max_attempts); raise "
                              "it or let them retry without a limit"
                            : "the folder does not record why"),
            n++;
    }
    double lost = mval(metrics, "lost");
    if (lost > 0) {
        char a[48], b[48], c[48], why[1024];
        lost_causes(root, groups, mval(metrics, "lost_send_failed"),
                    mval(metrics, "lost_autoack_buffer"), why, sizeof why);
        /* the failed sends by the causes the change type counted (its rows
        ** part of lost_send_failed), so the remedy below reads against them */
        char by[512] = "";
        parts_list(by, sizeof by, metrics, "lost_send_failed", NULL);
        item(d, "%s %s lost (%s failed sends, %s auto-acked in a dropped consumer%s%s)%s",
             count_of(a, sizeof a, lost, "msg"), lost == 1 ? "is" : "are", fmt_num(b, sizeof b, mval(metrics, "lost_send_failed"), ""),
             fmt_num(c, sizeof c, mval(metrics, "lost_autoack_buffer"), ""),
             *by ? "; the failed sends by cause: " : "", by, why),
            n++;
    }
    double drain = mval(metrics, "drain_time_s"), bl = mval(metrics, "backlog_at_drain_start");
    double mu = mval(metrics, "consume_capacity"), lam = mval(metrics, "offered_rate_at_drain_start");
    json_t *budget = json_object_get(root, "budget"), *b;
    double drain_limit = NAN;
    json_array_foreach(budget, i, b)
        if (!strcmp(jstr(b, "metric"), "drain_time_s") && strcmp(jstr(b, "verdict"), "pass"))
            drain_limit = jnum(b, "limit");
    double cons_cut = 0;
    json_array_foreach(groups, i, g)
        if (!strcmp(jstr(g, "role"), "consumer")) cons_cut += fmax(jnum(g, "clients_cut_off_at_end"), 0);
    bool undrained = !strcmp(jstr(metric(metrics, "drain_time_s"), "status"), "not_reached") ||
                     isnan(drain);
    if (bl > 0 && (undrained || !isnan(drain_limit))) {
        char need[64] = "", fl[48];
        double fluid = mval(metrics, "drain_time_fluid_s");
        if (!isnan(drain_limit) && drain_limit > 0)
            snprintf(need, sizeof need, "; about %.4g msg/s would drain it in the budget",
                     bl / drain_limit + lam);
        if (cons_cut > 0)
            item(d, "The backlog of %.0f messages %s because %.3g consumers are disconnected "
                 "(never reconnected), not because there are too few: bring them back (see "
                 "the restart advice above) before adding any.", bl,
                 undrained ? "does not drain within the run" : "drains too slowly for the budget",
                 cons_cut),
                n++;
        else if (undrained && isnan(drain_limit) && mu > lam && isfinite(fluid) &&
                 fluid > jnum(metric(metrics, "drain_time_s"), "lower_bound"))
            /* no budget on the drain, and the consumers keep ahead of the
            ** load: the run ends before the fluid estimate says the drain
            ** does; nothing says the drain is too slow */
            item(d, "The backlog of %.0f messages does not drain within the run, but it does "
                 "drain: consumers take %.4g msg/s against %.4g msg/s offered, about %s in all "
                 "(fluid estimate). Lengthen run.duration to see the drain, or add a "
                 "drain_time_s budget line if that is too long.", bl, mu, lam,
                 fmt_num(fl, sizeof fl, fluid, "s")),
                n++;
        else
            item(d, "The backlog of %.0f messages %s: consumers take %.4g msg/s against %.4g "
                 "msg/s offered%s%s. Add consumers or concurrency before %s.", bl,
                 undrained ? "does not drain within the run" : "drains too slowly for the budget",
                 mu, lam, mu > lam ? "" : ", less than arrives", need,
                 change_block(root) ? "the change" : "the backlog builds up"),
                n++;
    }
    json_array_foreach(budget, i, b) {
        if (!strcmp(jstr(b, "verdict"), "pass") || !strcmp(jstr(b, "metric"), "drain_time_s"))
            continue;
        if (!strncmp(jstr(b, "metric"), "delay", 5)) {
            /* shorter intervals help only clients that reconnect by themselves,
            ** and only when their cut-offs reach half the limit or more */
            char dm[96], am[48], manual[256] = "", autos_l[256] = "";
            double auto_max = 0, lim = jnum(b, "limit");
            size_t k;
            json_array_foreach(groups, k, g) {
                /* a group refused for good is cut off by the change, not by
                ** its intervals (its own item says so) */
                if (!(jnum(g, "clients_disrupted") > 0) ||
                    refused_for_good(g) > 0)
                    continue;
                int a = group_auto_reconnect(root, g);
                char *lst = a == 1 ? autos_l : a == 0 ? manual : NULL;
                if (!lst) continue;
                list_add(lst, sizeof manual, jstr(g, "group"));
                if (a == 1) auto_max = fmax(auto_max, jnum(g, "disruption_max_s"));
            }
            mtext(dm, sizeof dm, metrics, "disruption_max_s");
            if (*autos_l && !(auto_max < 0.5 * lim))
                item(d, "'%s' fails: clients that reconnect by themselves (%s) are cut off up to "
                     "%s; shorten their reconnect intervals or detection (heartbeat) so they "
                     "come back sooner.", jstr(b, "line"), autos_l,
                     fmt_num(am, sizeof am, auto_max, "s")),
                    n++;
            double uf = mval(metrics, "undelivered_fraction");
            if (!strncmp(jstr(b, "metric"), "delay_all", 9) && uf > 0)
                item(d, "'%s' fails partly because %.3g %% of the messages were never delivered "
                     "(lost, or stuck where no consumer reads them) and count as delayed to "
                     "the end of the run: bring back the consumers of those queues and stop "
                     "the losses first.", jstr(b, "line"), 100 * uf),
                    n++;
            if (*manual)
                item(d, "'%s' fails: the longest client cut-off is %s; groups %s have no "
                     "automatic reconnect, so reconnect intervals do not apply: enable "
                     "automatic recovery in their client library or restart them as soon as "
                     "the change disconnects them.", jstr(b, "line"), dm, manual),
                    n++;
        }
    }
    json_t *base = json_object_get(root, "baseline");
    if (json_is_object(base)) {
        json_t *dd = metric(json_object_get(base, "deltas"), "delay_p99_s");
        /* only an effect that is both real (CI above 0) and material (at
        ** least 1 ms and 5% of the p99 with the change) */
        double dv = dd ? jnum(dd, "value") : NAN, p99 = mval(metrics, "delay_p99_s");
        if (dd && dv > 0.001 && dv >= 0.05 * p99 && !(jnum(dd, "ci95_low") <= 0)) {
            char t[128], all[160] = "";
            /* where undelivered messages move the p99 (as on the console),
            ** the figure is the delivered messages' and says so */
            json_t *da = metric(json_object_get(base, "deltas"), "delay_all_p99_s");
            if (da && undelivered_moves_p99(metrics)) {
                char u[128];
                snprintf(all, sizeof all, " over the delivered messages (%s counting the "
                         "undelivered ones as delayed until the end)",
                         out_fmt_value_ci(u, sizeof u, jnum(da, "value"), jnum(da, "ci95_low"),
                                          jnum(da, "ci95_high"), "s"));
            }
            /* the baseline also leaves the scenario's events out: name them */
            mq_effect eff = effect_of(base);
            const char *of = mq_effect_words(eff);
            bool change_alone = eff == MQ_EFFECT_CHANGE;
            item(d, "%c%s %s %s to the p99 delay%s compared with the same workload without "
                 "%s; %s.", toupper((unsigned char)*of), of + 1,
                 change_alone ? "itself adds" : eff == MQ_EFFECT_BOTH ? "together add" : "add",
                 out_fmt_value_ci(t, sizeof t, jnum(dd, "value"), jnum(dd, "ci95_low"),
                         jnum(dd, "ci95_high"), "s"),
                 all, change_alone ? "it" : "them", start_advice(root, metrics)),
                n++;
        }
    }
    json_t *alt = json_object_get(root, "alternative_start");
    if (json_is_object(alt)) {
        json_t *c = json_object_get(alt, "current"), *sg = json_object_get(alt, "suggested");
        const char *label, *key = start_p99_key(metrics, &label);
        /* the search moves the whole run window (current_start and
        ** suggested_start are its first minute), and the change or the
        ** events keep their place in it: the advice names their clock time */
        double offset = disturbance_at(root);
        double from = clock_of(jstr(alt, "current_start")) + offset;
        double to = clock_of(jstr(alt, "suggested_start")) + offset;
        /* the three figures alike: means, no intervals (the search keeps none) */
        const char *const keys[] = {key, "duplicates", "lost"}, *const units[] = {"s", "", ""};
        char fig[3][2][48];
        bool better = false;
        for (int k = 0; k < 3; k++) {
            double now = jnum(c, keys[k]), moved = jnum(sg, keys[k]);
            better |= moved < 0.95 * now;
            fmt_num(fig[k][0], sizeof fig[k][0], now, units[k]);
            fmt_num(fig[k][1], sizeof fig[k][1], moved, units[k]);
        }
        if (better && !isnan(from) && !isnan(to)) {
            char at[16], was[16];
            item(d, "%s %s instead of %s (the run window from %s instead of %s): %s goes "
                 "from %s to %s, duplicates from %s to %s, lost from %s to %s (%s %.0f "
                 "replication%s at each start; offered load %.4g -> %.4g msg/s over the run "
                 "window).",
                 change_block(root) ? "Make the change at" : "Schedule the scenario's events from",
                 clock_text(at, sizeof at, to), clock_text(was, sizeof was, from),
                 jstr(alt, "suggested_start"), jstr(alt, "current_start"), label,
                 fig[0][0], fig[0][1], fig[1][0], fig[1][1], fig[2][0], fig[2][1],
                 jnum(root, "replications") == 1 ? "the same" : "means of the same",
                 jnum(root, "replications"), jnum(root, "replications") == 1 ? "" : "s",
                 jnum(alt, "offered_rate_current"),
                 jnum(alt, "offered_rate_suggested")),
                n++;
        }
    }
    json_t *prec = json_object_get(root, "precision");
    if (json_is_object(prec) && json_is_false(json_object_get(prec, "reached")))
        item(d, "The precision target %.3g was not reached in %lld replications (widest: %s); "
             "raise --max-replications before trusting close verdicts.", jnum(prec, "target"),
             (long long)jnum(prec, "max_replications"), jstr(prec, "widest_metric")),
            n++;
    if (json_array_size(budget) > 0 && jnum(root, "replications") < 2)
        item(d, "Verdicts rest on a single replication: rerun with --replications 10 or "
             "--precision 0.05 to get confidence intervals."),
            n++;
    /* the run's warnings state the documents' impacts (a downgrade's
    ** disconnects, PrivateLink cut-offs): quiet figures do not cancel them */
    if (!n && json_array_size(json_object_get(root, "warnings")))
        item(d, "Nothing to add from the figures (no duplicates, no losses, every client "
             "reconnected, the backlog drained within its budget), but the warnings above "
             "still apply.");
    else if (!n)
        item(d, "No action needed: no duplicates, no losses, every client reconnected and "
             "the backlog drained within its budget.");
    list_end(d);
}

static void sec_metrics(doc *d, json_t *metrics)
{
    h2(d, "All metrics");
    static const char *const head[] = {"metric", "value [95% CI]", "better"};
    table_begin(d, head, 3);
    size_t i;
    json_t *m;
    json_array_foreach(metrics, i, m) {
        char v[160];
        const char *row[] = {jstr(m, "metric"), fmt_metric(v, sizeof v, m, jstr(m, "metric")),
                             jstr(m, "better")};
        cells(d, row, 3, false);
    }
    table_end(d);
}

static const char *css =
    "body{font-family:sans-serif;max-width:1100px;margin:1em auto;padding:0 1em;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #bbb;padding:3px 8px;"
    "text-align:left;font-size:14px}th{background:#eee}.fail{background:#fdd;color:#900;"
    "font-weight:bold}.pass{background:#dfd;color:#060}.verdict{font-size:20px;padding:8px;"
    "border:2px solid #888}p.fail{border-color:#c00;background:#fee}p.pass{border-color:#080;"
    "background:#efe}figure{margin:1em 0}img{max-width:100%;border:1px solid #ccc}";

/* Parse a summary.json that is a regular file (out_open_read). NULL with
** err filled; errno ENOENT when the file does not exist. */
static json_t *load_summary(const char *path, sim_err *err)
{
    FILE *f = out_open_read(path, err);
    if (!f) return NULL;
    json_error_t je;
    json_t *root = json_loadf(f, 0, &je);
    fclose(f);
    if (!root) {
        if (je.line > 0) sim_err_at(err, path, je.line, je.column, "%s", je.text);
        else sim_err_set(err, "%s: %s", path, je.text);
        errno = EINVAL;
    }
    return root;
}

int report_write(const char *dir, sim_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    json_t *root = load_summary(path, err);
    if (!root) return -1;
    json_t *metrics = json_object_get(root, "metrics");
    if (!json_is_object(root) || !json_is_array(metrics)) {
        json_decref(root);
        return sim_err_set(err, "%s: not an mqsim summary (no \"metrics\" list)", path);
    }
    out_file md, html;
    snprintf(path, sizeof path, "%s/report.md", dir);
    if (out_file_open(&md, path, err)) {
        json_decref(root);
        return -1;
    }
    snprintf(path, sizeof path, "%s/report.html", dir);
    if (out_file_open(&html, path, err)) {
        out_file_abort(&md);
        json_decref(root);
        return -1;
    }
    doc d = {md.fp, html.fp};
    json_t *sc = json_object_get(root, "scenario");
    const char *name = jstr(sc, "name");
    if (!*name) name = jstr(root, "name");
    fputs("# Pre-change risk report: ", d.md);
    md_esc(d.md, name);
    fputs("\n\n", d.md);
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<title>mqsim report: ", d.html);
    out_esc_markup(d.html, name);
    fprintf(d.html, "</title><style>%s</style></head><body>\n<h1>Pre-change risk report: ", css);
    out_esc_markup(d.html, name);
    fputs("</h1>\n", d.html);
    if (*jstr(sc, "description")) para(&d, NULL, "%s", jstr(sc, "description"));
    para(&d, "meta", "mode %s, seed %.0f, %.0f replication%s, mqsim %s. Values are means with "
         "95%% t-intervals in brackets; plots and the timeline show replication 0.",
         *jstr(root, "mode") ? jstr(root, "mode") : "?", jnum(root, "seed"),
         jnum(root, "replications"), jnum(root, "replications") == 1 ? "" : "s",
         jstr(root, "mqsim_version"));

    sec_verdict(&d, root);
    sec_budget(&d, root);
    sec_recommend(&d, root, metrics);
    sec_deltas(&d, root);
    sec_timeline(&d, root);
    sec_plots(&d, dir, root);
    sec_causes(&d, metrics);
    sec_groups(&d, root, metrics);
    sec_billing(&d, metrics);
    sec_assumptions(&d, root);
    sec_metrics(&d, metrics);
    fputs("</body></html>\n", d.html);
    json_decref(root);
    if (out_file_commit(&md, err)) {
        out_file_abort(&html);
        return -1;
    }
    return out_file_commit(&html, err);
}

int report_read_metrics(const char *dir, sim_metrics *m, char *mode, size_t mlen,
                        sim_err *err)
{
    *m = (sim_metrics){0};
    char path[4096];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    json_t *root = load_summary(path, err);
    if (!root && errno == ENOENT) { /* no JSON: the CSV; there but unreadable: an error */
        if (mode && mlen) snprintf(mode, mlen, "unknown");
        snprintf(path, sizeof path, "%s/summary.csv", dir);
        return out_read_summary_csv(path, m, err);
    }
    if (!root) return -1;
    json_t *ms = json_object_get(root, "metrics");
    if (!json_is_array(ms)) {
        json_decref(root);
        return sim_err_set(err, "%s: not an mqsim summary (no \"metrics\" list)", path);
    }
    if (mode && mlen) snprintf(mode, mlen, "%s", *jstr(root, "mode") ? jstr(root, "mode") : "unknown");
    size_t i;
    json_t *x;
    json_array_foreach(ms, i, x) {
        const char *name = jstr(x, "metric"), *b = jstr(x, "better");
        if (!*name || sim_metrics_find(m, name)) {
            sim_metrics_free(m);
            json_decref(root);
            return sim_err_set(err, "%s: metrics[%zu]: missing or repeated metric name", path, i);
        }
        sim_better bt = !strcmp(b, "lower") ? SIM_BETTER_LOWER
                      : !strcmp(b, "higher") ? SIM_BETTER_HIGHER : SIM_BETTER_NONE;
        json_t *v = json_object_get(x, "value");
        double val = json_is_number(v) ? json_number_value(v) : NAN;
        SIM_NEED_OK(sim_metrics_add(m, name, val, jstr(x, "unit"), bt));
        m->v[m->n - 1].ci_lo = jnum(x, "ci95_low");
        m->v[m->n - 1].ci_hi = jnum(x, "ci95_high");
        int st = *jstr(x, "status") ? sim_status_parse(jstr(x, "status")) : SIM_MEASURED;
        if (st < 0) {
            sim_metrics_free(m);
            json_decref(root);
            return sim_err_set(err, "%s: metrics[%zu]: unknown status '%s'", path, i,
                               jstr(x, "status"));
        }
        m->v[m->n - 1].status = (sim_status)st;
        m->v[m->n - 1].bound = st == SIM_MEASURED ? NAN : jnum(x, "lower_bound");
    }
    json_decref(root);
    return 0;
}
