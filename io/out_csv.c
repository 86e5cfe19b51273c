/*
** out_csv.c - summary.csv / timeseries.csv writers and the summary.csv
** reader (see out_csv.h for the formats).
**
** Writers stream straight into the out_file temp (O(rows) time, O(1) extra
** memory) and let out_file_commit catch write errors. The reader loads the
** whole file (summaries are small) and parses it in one csv_parse call, so a
** libcsv syntax error's byte offset can be turned into a line number by
** counting newlines; semantic errors report the CSV row number counted in the
** row callback.
*/
#include "io/out_csv.h"
#include "io/out_file.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUMMARY_HEADER "metric,value,ci95_low,ci95_high,unit,status,lower_bound"
/* Files written before the status columns existed have only the first 5. */
enum { SUMMARY_NCOLS = 7, SUMMARY_NCOLS_OLD = 5 };

char *out_fmt_double(char *buf, double v, int digits)
{
    if (isnan(v)) return strcpy(buf, "nan");
    if (isinf(v)) return strcpy(buf, v > 0 ? "inf" : "-inf");
    if (digits > 0) {
        snprintf(buf, 32, "%.*g", digits, v);
        return buf;
    }
    for (int d = 15; d < 17; d++) {
        snprintf(buf, 32, "%.*g", d, v);
        if (strtod(buf, NULL) == v) return buf;
    }
    snprintf(buf, 32, "%.17g", v);
    return buf;
}

/* True if s can be written unquoted and reads back unchanged. */
static int plain_text(const char *s)
{
    if (!*s) return 1;
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || strchr("_./%+-:", c)))
            return 0;
    }
    return 1;
}

static void put_text(FILE *fp, const char *s)
{
    if (plain_text(s)) fputs(s, fp);
    else csv_fwrite(fp, s, strlen(s));
}

int out_summary_csv(const char *path, const sim_metrics *m, sim_err *err)
{
    out_file f;
    if (out_file_open(&f, path, err)) return -1;
    char b[32];
    fputs(SUMMARY_HEADER "\n", f.fp);
    for (size_t i = 0; i < m->n; i++) {
        const sim_metric *x = &m->v[i];
        put_text(f.fp, x->name);
        fprintf(f.fp, ",%s,", out_fmt_double(b, x->value, 0));
        if (!isnan(x->ci_lo)) fputs(out_fmt_double(b, x->ci_lo, 0), f.fp);
        fputc(',', f.fp);
        if (!isnan(x->ci_hi)) fputs(out_fmt_double(b, x->ci_hi, 0), f.fp);
        fputc(',', f.fp);
        put_text(f.fp, x->unit ? x->unit : "");
        fprintf(f.fp, ",%s,", sim_status_str(x->status));
        if (!isnan(x->bound)) fputs(out_fmt_double(b, x->bound, 0), f.fp);
        fputc('\n', f.fp);
    }
    return out_file_commit(&f, err);
}

int out_timeseries_csv(const char *path, const sim_series *s,
                       const char *label_col, sim_err *err)
{
    out_file f;
    if (out_file_open(&f, path, err)) return -1;
    char b[32];
    for (size_t c = 0; c < s->ncols; c++) {
        if (c) fputc(',', f.fp);
        put_text(f.fp, s->cols[c]);
    }
    if (label_col) {
        if (s->ncols) fputc(',', f.fp);
        put_text(f.fp, label_col);
    }
    fputc('\n', f.fp);
    for (size_t r = 0; r < s->nrows; r++) {
        for (size_t c = 0; c < s->ncols; c++) {
            if (c) fputc(',', f.fp);
            fputs(out_fmt_double(b, sim_series_at(s, r, c), 10), f.fp);
        }
        if (label_col) {
            if (s->ncols) fputc(',', f.fp);
            const char *l = s->labels[r];
            if (l && *l) csv_fwrite(f.fp, l, strlen(l));
        }
        fputc('\n', f.fp);
    }
    return out_file_commit(&f, err);
}

/* ---- reader ------------------------------------------------------------ */

typedef struct rd_ctx {
    const char *path;
    sim_metrics *m;
    sim_err *err;
    int row;                    /* 1-based number of the row being read */
    size_t nf;                  /* fields seen in this row */
    char *f[SUMMARY_NCOLS];     /* copies of the first SUMMARY_NCOLS fields */
    size_t ncols;               /* columns of this file, from its header */
    int failed;
} rd_ctx;

static const char *const header_names[SUMMARY_NCOLS] = {
    "metric", "value", "ci95_low", "ci95_high", "unit", "status", "lower_bound"};

static void on_field(void *data, size_t len, void *p)
{
    rd_ctx *c = p;
    if (c->failed) return;
    if (c->nf < SUMMARY_NCOLS) {
        c->f[c->nf] = strndup(data ? data : "", data ? len : 0);
        SIM_NEED(c->f[c->nf] != NULL, "out of memory");
    }
    c->nf++;
}

/* Parse a number field; empty gives NAN when allow_empty. */
static int num_field(rd_ctx *c, const char *s, const char *col, int allow_empty,
                     double *out)
{
    if (!*s) {
        if (allow_empty) { *out = NAN; return 0; }
        return sim_err_at(c->err, c->path, c->row, 0, "%s is empty, expected a number", col);
    }
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0')
        return sim_err_at(c->err, c->path, c->row, 0,
                          "%s '%s' is not a number", col, s);
    *out = v;
    return 0;
}

static int take_row(rd_ctx *c)
{
    if (c->row == 1 && c->nf == SUMMARY_NCOLS_OLD) c->ncols = SUMMARY_NCOLS_OLD;
    if (c->nf != c->ncols)
        return sim_err_at(c->err, c->path, c->row, 0,
                          "%zu fields, expected %zu (" SUMMARY_HEADER ")",
                          c->nf, c->ncols);
    if (c->row == 1) {
        for (size_t i = 0; i < c->ncols; i++)
            if (strcmp(c->f[i], header_names[i]) != 0)
                return sim_err_at(c->err, c->path, 1, 0,
                                  "bad header column %d '%s', expected '"
                                  SUMMARY_HEADER "'", (int)i + 1, c->f[i]);
        return 0;
    }
    const char *name = c->f[0];
    if (!*name) return sim_err_at(c->err, c->path, c->row, 0, "empty metric name");
    if (sim_metrics_find(c->m, name))
        return sim_err_at(c->err, c->path, c->row, 0, "metric '%s' appears twice", name);
    double v, lo, hi, bound = NAN;
    int st = SIM_MEASURED;
    if (num_field(c, c->f[1], "value", 0, &v) ||
        num_field(c, c->f[2], "ci95_low", 1, &lo) ||
        num_field(c, c->f[3], "ci95_high", 1, &hi))
        return -1;
    if (c->ncols == SUMMARY_NCOLS) {
        if ((st = sim_status_parse(c->f[5])) < 0)
            return sim_err_at(c->err, c->path, c->row, 0,
                              "status '%s' is not measured, not_applicable, "
                              "censored_at_end or not_reached", c->f[5]);
        if (num_field(c, c->f[6], "lower_bound", 1, &bound)) return -1;
        if (st != SIM_MEASURED && !isnan(v))
            return sim_err_at(c->err, c->path, c->row, 0,
                              "value %s with status %s: a censored metric has no value",
                              c->f[1], c->f[5]);
    }
    SIM_NEED_OK(sim_metrics_add(c->m, name, v, c->f[4], SIM_BETTER_NONE));
    sim_metric *x = &c->m->v[c->m->n - 1];
    x->ci_lo = lo;
    x->ci_hi = hi;
    x->status = (sim_status)st;
    x->bound = st == SIM_MEASURED ? NAN : bound;
    return 0;
}

static void clear_fields(rd_ctx *c)
{
    for (int i = 0; i < SUMMARY_NCOLS; i++) {
        free(c->f[i]);
        c->f[i] = NULL;
    }
    c->nf = 0;
}

static void on_row(int term, void *p)
{
    (void)term;
    rd_ctx *c = p;
    if (!c->failed && take_row(c)) c->failed = 1;
    clear_fields(c);
    c->row++;
}

int out_read_summary_csv(const char *path, sim_metrics *m, sim_err *err)
{
    SIM_ASSERTF(m->n == 0, "out_read_summary_csv needs an empty table (has %zu)", m->n);
    char *buf = NULL;
    size_t len = 0;
    if (out_read_all(path, &buf, &len, err)) return -1;

    struct csv_parser p;
    SIM_NEED(csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) == 0,
             "%s: out of memory", path);
    rd_ctx c = {.path = path, .m = m, .err = err, .row = 1, .ncols = SUMMARY_NCOLS};
    size_t done = csv_parse(&p, buf, len, on_field, on_row, &c);
    int rc = 0;
    if (c.failed) {
        rc = -1;
    } else if (done < len || csv_fini(&p, on_field, on_row, &c) != 0) {
        int line = 1;
        for (size_t i = 0; i < done && i < len; i++) line += buf[i] == '\n';
        if (done >= len) line = c.row;
        rc = sim_err_at(err, path, line, 0, "malformed CSV: %s",
                        csv_strerror(csv_error(&p)));
    } else if (c.failed) {
        rc = -1;
    } else if (c.row == 1) {
        rc = sim_err_at(err, path, 1, 0, "empty file, expected header '" SUMMARY_HEADER "'");
    }
    clear_fields(&c);
    csv_free(&p);
    free(buf);
    if (rc) sim_metrics_free(m);
    return rc;
}
