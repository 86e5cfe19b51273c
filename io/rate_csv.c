/*
** rate_csv.c - read a `time,rate` CSV into a day profile (see rate_csv.h).
**
** Parsed with libcsv (quotes, CRLF) streaming from the file in 64 KiB
** chunks, so the file size is bounded only by the row limit.
*/
#define _GNU_SOURCE /* timegm, tm_gmtoff */
#include "io/rate_csv.h"
#include "sim/sim_mem.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ROWS 1000000

typedef struct row { double tod, rate; } row;

typedef struct rd {
    const char *path;
    bool utc;
    sim_err *err;
    int line, nf, failed;
    char f[2][96];
    row *v;
    size_t n, cap;
} rd;

static void on_field(void *s, size_t len, void *p)
{
    rd *c = p;
    if (c->nf < 2) snprintf(c->f[c->nf], sizeof c->f[c->nf], "%.*s", (int)len, (const char *)s);
    c->nf++;
}

/* Offset of local time from UTC at instant t, s. */
static long local_offset(time_t t)
{
    struct tm lt;
    localtime_r(&t, &lt);
    return lt.tm_gmtoff;
}

static double tod_of_instant(double t)
{
    time_t s = (time_t)floor(t);
    struct tm lt;
    localtime_r(&s, &lt);
    return lt.tm_hour * 3600.0 + lt.tm_min * 60.0 + lt.tm_sec + (t - floor(t));
}

/* The local time of day of text; -1 when it is no time this file takes. */
static double parse_time(const rd *c, const char *text)
{
    char *end;
    int Y, M, D, h, m, n = 0;
    double sec = 0;
    if (strspn(text, "0123456789.") == strlen(text) && *text) {
        double v = strtod(text, &end);
        if (*end || v < 0) return -1;
        return tod_of_instant(v >= 1e11 ? v / 1000 : v);
    }
    const char *p = text;
    bool dated = sscanf(text, "%4d-%2d-%2d%n", &Y, &M, &D, &n) == 3;
    if (dated) {
        p += n;
        if (*p != 'T' && *p != ' ') return -1;
        p++;
    }
    if (sscanf(p, "%2d:%2d%n", &h, &m, &n) != 2 || h > 23 || m > 59) return -1;
    p += n;
    if (*p == ':') {
        sec = strtod(p + 1, &end);
        if (end == p + 1 || sec >= 61) return -1;
        p = end;
    }
    double tod = h * 3600.0 + m * 60.0 + sec;
    long zone = 0;
    bool zoned = false;
    if (*p == 'Z' && !p[1]) zoned = true;
    else if ((*p == '+' || *p == '-') && dated) {
        int zh = 0, zm = 0;
        if (sscanf(p + 1, "%2d:%2d", &zh, &zm) != 2 && sscanf(p + 1, "%2d%2d", &zh, &zm) != 2)
            return -1;
        zone = (*p == '-' ? -1 : 1) * (zh * 3600L + zm * 60L);
        zoned = true;
    } else if (*p) {
        return -1;
    }
    if (!zoned && !c->utc) return tod;
    if (!dated) { /* a UTC time of day: today's offset of the local zone */
        double t = fmod(tod + (double)local_offset(time(NULL)), 86400.0);
        return t < 0 ? t + 86400.0 : t;
    }
    struct tm u = {.tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D, .tm_hour = h, .tm_min = m};
    double inst = (double)timegm(&u) + sec - (double)zone;
    return tod_of_instant(inst);
}

static void on_row(int term, void *p)
{
    (void)term;
    rd *c = p;
    int nf = c->nf;
    c->nf = 0;
    c->line++;
    if (c->failed || nf == 0 || (nf == 1 && !c->f[0][0])) return;
    char *end;
    double rate = nf >= 2 ? strtod(c->f[1], &end) : NAN;
    bool num = nf >= 2 && c->f[1][0] && !*end;
    if (!num && c->n == 0 && c->line == 1) return; /* header */
    if (nf != 2 || !num || !(rate >= 0) || !isfinite(rate)) {
        c->failed = 1;
        sim_err_at(c->err, c->path, c->line, 0, "expected 'time,rate' with a rate >= 0 "
                   "(msg/s), got %d field%s", nf, nf == 1 ? "" : "s");
        return;
    }
    double tod = parse_time(c, c->f[0]);
    if (tod < 0) {
        c->failed = 1;
        sim_err_at(c->err, c->path, c->line, 0, "time '%s': expected HH:MM[:SS], "
                   "YYYY-MM-DD HH:MM[:SS][Z|+HH:MM] or Unix time", c->f[0]);
        return;
    }
    if (c->n >= MAX_ROWS) {
        c->failed = 1;
        sim_err_at(c->err, c->path, c->line, 0, "more than %d rows", MAX_ROWS);
        return;
    }
    SIM_NEED(sim_grow((void **)&c->v, &c->cap, c->n + 1, sizeof *c->v) == 0, "%s: out of memory",
             c->path);
    c->v[c->n++] = (row){tod, rate};
}

static int cmp_row(const void *a, const void *b)
{
    double x = ((const row *)a)->tod, y = ((const row *)b)->tod;
    return (x > y) - (x < y);
}

/* Sorted rows -> steps (same time of day averaged, a 00:00 step added). */
static int to_steps(rd *c, mq_rate_step **steps, size_t *n)
{
    qsort(c->v, c->n, sizeof *c->v, cmp_row);
    mq_rate_step *s = malloc((c->n + 1) * sizeof *s);
    SIM_NEED(s != NULL, "%s: out of memory", c->path);
    size_t k = 1;
    for (size_t i = 0; i < c->n;) {
        size_t j = i;
        double sum = 0;
        for (; j < c->n && c->v[j].tod == c->v[i].tod; j++) sum += c->v[j].rate;
        s[k++] = (mq_rate_step){c->v[i].tod, sum / (double)(j - i)};
        i = j;
    }
    size_t first = 1;
    if (s[1].at_s > 0) { /* wrap: 00:00 continues the day's last rate */
        s[0] = (mq_rate_step){0, s[k - 1].rate};
        first = 0;
    }
    size_t m = k - first;
    if (m > RATE_CSV_MAX_STEPS) {
        free(s);
        return sim_err_set(c->err, "%s: %zu distinct times of day; at most %d (resample the "
                           "series, e.g. to 1-minute points)", c->path, m, RATE_CSV_MAX_STEPS);
    }
    memmove(s, s + first, m * sizeof *s);
    *steps = s;
    *n = m;
    return 0;
}

int rate_csv_read(const char *path, bool utc, mq_rate_step **steps, size_t *n, sim_err *err)
{
    *steps = NULL;
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return sim_err_set(err, "%s: cannot open: %s", path, strerror(errno));
    struct csv_parser p;
    SIM_NEED(csv_init(&p, CSV_APPEND_NULL) == 0, "%s: out of memory", path);
    rd c = {.path = path, .utc = utc, .err = err};
    char buf[65536];
    size_t k;
    int rc = 0;
    while (!c.failed && (k = fread(buf, 1, sizeof buf, f)) > 0)
        if (csv_parse(&p, buf, k, on_field, on_row, &c) != k) {
            rc = sim_err_set(err, "%s: malformed CSV: %s", path, csv_strerror(csv_error(&p)));
            break;
        }
    if (!rc && !c.failed && ferror(f)) rc = sim_err_set(err, "%s: read error", path);
    if (!rc && !c.failed) csv_fini(&p, on_field, on_row, &c);
    if (c.failed) rc = -1;
    if (!rc && c.n == 0) rc = sim_err_set(err, "%s: no 'time,rate' rows", path);
    if (!rc) rc = to_steps(&c, steps, n);
    csv_free(&p);
    fclose(f);
    free(c.v);
    return rc;
}
