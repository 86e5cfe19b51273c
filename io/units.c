/*
** units.c - strict quantity parsers (see units.h for the grammar and why).
**
** Design: one scanner, decimal(), splits "DIGITS[.DIGITS]" off the front of
** the text and converts it with strtod on a bounded copy (so a 300-digit
** number cannot overflow a buffer and "1e5" is never half-read as a unit).
** The rest of the text must then be exactly one unit from a small table.
** Each public parser is a thin wrapper that picks the table, the message and
** the range. All O(length of text); no allocation.
*/
#include "io/units.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct unit {
    const char *name;
    double factor;
} unit;

static const unit duration_units[] = {
    {"us", 1e-6}, {"ms", 1e-3}, {"s", 1.0}, {"m", 60.0},
    {"h", 3600.0}, {"d", 86400.0}, {NULL, 0}
};

static const unit size_units[] = {
    {"B", 1.0}, {"KB", 1e3}, {"KiB", 1024.0}, {"MB", 1e6},
    {"MiB", 1048576.0}, {"GB", 1e9}, {"GiB", 1073741824.0}, {NULL, 0}
};

static const unit bandwidth_units[] = {
    {"Kbps", 1e-3}, {"Mbps", 1.0}, {"Gbps", 1e3}, {NULL, 0}
};

/* Scan an unsigned decimal "D+[.D*]" or ".D+" at the start of s. On success
** stores the value and returns the number of characters used; returns 0 if
** s does not start with a decimal, -1 if it has too many digits to bother. */
static int decimal(const char *s, double *v)
{
    size_t n = 0, digits = 0;
    while (s[n] >= '0' && s[n] <= '9') n++, digits++;
    if (s[n] == '.') {
        n++;
        while (s[n] >= '0' && s[n] <= '9') n++, digits++;
    }
    if (digits == 0) return 0;
    char buf[64];
    if (n >= sizeof buf) return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    *v = strtod(buf, NULL);
    return (int)n;
}

static const char *unit_list(const unit *u, char *buf, size_t len)
{
    size_t off = 0;
    buf[0] = '\0';
    for (; u->name && off < len; u++) {
        int k = snprintf(buf + off, len - off, "%s%s", off ? ", " : "", u->name);
        if (k < 0) break;
        off += (size_t)k;
    }
    return buf;
}

/* Parse DECIMAL UNIT with unit from table; `what` and `example` shape the
** messages. */
static int with_unit(const char *text, const unit *table, const char *what,
                     const char *example, double max, double *out,
                     sim_err *err)
{
    char units[96];
    unit_list(table, units, sizeof units);
    if (!text || !*text)
        return sim_err_set(err, "expected %s with a unit (%s), e.g. %s; "
                           "found an empty value", what, units, example);
    if (*text == '-' || *text == '+')
        return sim_err_set(err, "'%s': %s must be a non-negative number "
                           "without a sign, e.g. %s", text, what, example);
    double v = 0;
    int n = decimal(text, &v);
    if (n < 0)
        return sim_err_set(err, "'%.40s...': too many digits for %s", text, what);
    if (n == 0)
        return sim_err_set(err, "'%s' is not %s; expected a number with a "
                           "unit (%s), e.g. %s", text, what, units, example);
    const char *suffix = text + n;
    if (!*suffix)
        return sim_err_set(err, "'%s': expected %s with a unit (%s), e.g. %s",
                           text, what, units, example);
    for (const unit *u = table; u->name; u++) {
        if (strcmp(suffix, u->name) == 0) {
            double r = v * u->factor;
            if (!isfinite(r) || r > max)
                return sim_err_set(err, "'%s': %s out of range", text, what);
            *out = r;
            return 0;
        }
    }
    return sim_err_set(err, "'%s': unknown unit '%s' for %s; expected one of "
                       "%s, e.g. %s", text, suffix, what, units, example);
}

/* The longest unit of `table` that text starts with, or NULL. */
static const unit *unit_prefix(const char *text, const unit *table)
{
    const unit *best = NULL;
    for (const unit *u = table; u->name; u++) {
        size_t k = strlen(u->name);
        if (strncmp(text, u->name, k) == 0 && (!best || k > strlen(best->name))) best = u;
    }
    return best;
}

/* A duration may be compound, "1h30m" or "2m30.5s", as the summaries print
** them (units_format_duration): parts from the largest unit to the
** smallest, each unit once. A single part goes through with_unit, so its
** messages are those of every other quantity. */
int units_duration(const char *text, double *seconds, sim_err *err)
{
    if (!text || !*text || *text == '-' || *text == '+')
        return with_unit(text, duration_units, "a duration", "30s", UNITS_MAX_DURATION_S,
                         seconds, err);
    double total = 0, last_factor = INFINITY;
    const char *p = text;
    int parts = 0;
    char units[96];
    unit_list(duration_units, units, sizeof units);
    for (;;) {
        double v = 0;
        int n = decimal(p, &v);
        const unit *u = n > 0 ? unit_prefix(p + n, duration_units) : NULL;
        /* a unit is followed by the end or by the next part's number:
        ** "5sec" is the unknown unit "sec", not "s" and a bad part */
        const char *next = u ? p + n + strlen(u->name) : NULL;
        if (next && *next && !(*next >= '0' && *next <= '9') && *next != '.') u = NULL;
        if (parts == 0 && (!u || !*next))
            return with_unit(text, duration_units, "a duration", "30s", UNITS_MAX_DURATION_S,
                             seconds, err);
        if (n < 0)
            return sim_err_set(err, "'%.40s...': too many digits for a duration", text);
        if (n > 0 && !p[n])
            return sim_err_set(err, "'%s': its last part '%s' has no unit; expected one of %s, "
                               "e.g. 1h30m", text, p, units);
        if (n > 0 && !u)
            return sim_err_set(err, "'%s': unknown unit '%s' in a compound duration; expected "
                               "one of %s, e.g. 1h30m", text, p + n, units);
        if (n == 0 || !u)
            return sim_err_set(err, "'%s': '%s' is not a part of a compound duration; expected "
                               "a number with a unit (%s) after each part, e.g. 1h30m",
                               text, p, units);
        if (!(u->factor < last_factor))
            return sim_err_set(err, "'%s': the parts of a compound duration go from the "
                               "largest unit to the smallest, each unit once, e.g. 1h30m or "
                               "2m30s", text);
        last_factor = u->factor;
        total += v * u->factor;
        parts++;
        p += n + strlen(u->name);
        if (!*p) break;
    }
    if (!isfinite(total) || total > UNITS_MAX_DURATION_S)
        return sim_err_set(err, "'%s': a duration out of range", text);
    *seconds = total;
    return 0;
}

int units_size(const char *text, double *bytes, sim_err *err)
{
    return with_unit(text, size_units, "a size", "1KiB",
                     1099511627776.0, bytes, err);
}

int units_bandwidth(const char *text, double *mbps, sim_err *err)
{
    if (text && strcmp(text, "0") == 0) {
        *mbps = 0;
        return 0;
    }
    return with_unit(text, bandwidth_units, "a bandwidth", "10Mbps", 1e9,
                     mbps, err);
}

int units_number(const char *text, double *value, sim_err *err)
{
    if (!text || !*text)
        return sim_err_set(err, "expected a number, found an empty value");
    /* Only digits, one '.', and an exponent: rejects hex, "nan", "inf". */
    for (const char *p = text; *p; p++) {
        if (!strchr("0123456789.eE+-", *p))
            return sim_err_set(err, "'%s' is not a plain number; expected "
                               "e.g. 500 or 0.25", text);
    }
    if (*text == '-')
        return sim_err_set(err, "'%s': negative values are not allowed", text);
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end)
        return sim_err_set(err, "'%s' is not a plain number; expected e.g. "
                           "500 or 0.25", text);
    if (errno == ERANGE || !isfinite(v) || v > 1e15)
        return sim_err_set(err, "'%s': number out of range (at most 1e15)", text);
    *value = v;
    return 0;
}

int units_fraction(const char *text, double *value, sim_err *err)
{
    double v;
    size_t n = text ? strlen(text) : 0;
    if (n > 1 && text[n - 1] == '%') {
        char buf[64];
        if (n >= sizeof buf)
            return sim_err_set(err, "'%.40s...': too long for a percentage", text);
        memcpy(buf, text, n - 1);
        buf[n - 1] = '\0';
        if (units_number(buf, &v, err) < 0)
            return sim_err_set(err, "'%s' is not a percentage; expected e.g. "
                               "10%% or 0.1", text);
        v /= 100.0;
    } else if (units_number(text, &v, err) < 0) {
        return sim_err_set(err, "'%s' is not a fraction; expected a number in "
                           "[0, 1] or a percentage, e.g. 0.1 or 10%%",
                           text ? text : "");
    }
    if (v > 1.0)
        return sim_err_set(err, "'%s': a fraction must be in [0, 1] (0%%..100%%)",
                           text);
    *value = v;
    return 0;
}

int units_time_of_day(const char *text, double *seconds, sim_err *err)
{
    const char *s = text ? text : "";
    int ok = strlen(s) == 5 && s[2] == ':';
    for (int i = 0; ok && i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9')) ok = 0;
    if (!ok)
        return sim_err_set(err, "'%s' is not a time of day; expected HH:MM, "
                           "e.g. \"09:30\"", s);
    int h = (s[0] - '0') * 10 + (s[1] - '0');
    int m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 23 || m > 59)
        return sim_err_set(err, "'%s': time of day out of range (00:00..23:59)", s);
    *seconds = h * 3600.0 + m * 60.0;
    return 0;
}

void units_format_duration(double seconds, char *buf, size_t len)
{
    if (!buf || len == 0) return;
    if (!isfinite(seconds)) {
        snprintf(buf, len, "%s", seconds < 0 ? "-inf" : "inf");
        return;
    }
    if (seconds < 0) {
        snprintf(buf, len, "%gs", seconds);
        return;
    }
    if (seconds == 0) {
        snprintf(buf, len, "0s");
        return;
    }
    if (seconds < 1e-3) {
        snprintf(buf, len, "%gus", seconds * 1e6);
        return;
    }
    if (seconds < 1.0) {
        snprintf(buf, len, "%gms", seconds * 1e3);
        return;
    }
    /* Whole seconds split into d/h/m/s; a fractional part prints as "1.5s". */
    double whole = floor(seconds);
    if (seconds != whole && seconds < 60.0) {
        snprintf(buf, len, "%gs", seconds);
        return;
    }
    static const struct { const char *u; double f; } parts[] = {
        {"d", 86400}, {"h", 3600}, {"m", 60}, {"s", 1}
    };
    size_t off = 0;
    double rest = whole;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof parts / sizeof parts[0] && off < len; i++) {
        double q = floor(rest / parts[i].f);
        if (q <= 0) continue;
        rest -= q * parts[i].f;
        int k = snprintf(buf + off, len - off, "%.0f%s", q, parts[i].u);
        if (k < 0) break;
        off += (size_t)k;
    }
}

/* |v| rounded, in groups of three digits ("2 361 820"). */
static void format_grouped(double v, char *buf, size_t len)
{
    char d[32], out[48];
    snprintf(d, sizeof d, "%.0f", fabs(v));
    size_t n = strlen(d), k = 0;
    if (v < 0) out[k++] = '-';
    for (size_t i = 0; i < n && k + 2 < sizeof out; i++) {
        if (i && (n - i) % 3 == 0) out[k++] = ' ';
        out[k++] = d[i];
    }
    out[k] = '\0';
    snprintf(buf, len, "%s", out);
}

void units_format_human(double v, const char *u, char *buf, size_t len)
{
    const char *unit_s = !u || !strcmp(u, "ratio") ? "" : u;
    const char *sp = *unit_s ? " " : "";
    if (isnan(v)) {
        snprintf(buf, len, "n/a");
    } else if (isinf(v)) {
        snprintf(buf, len, "%s%s%s", v > 0 ? "inf" : "-inf", sp, unit_s);
    } else if (!strcmp(unit_s, "s") && fabs(v) >= 120) {
        char d[32];
        units_format_duration(fabs(v), d, sizeof d);
        snprintf(buf, len, "%s%s", v < 0 ? "-" : "", d);
    } else if (fabs(v) >= 1e4 && fabs(v) < 1e15) {
        char g[48];
        format_grouped(v, g, sizeof g);
        snprintf(buf, len, "%s%s%s", g, sp, unit_s);
    } else {
        snprintf(buf, len, "%.4g%s%s", v, sp, unit_s);
    }
}
