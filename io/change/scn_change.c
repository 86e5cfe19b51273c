/*
** scn_change.c - what every change type's loader shares (scn_change.h):
** positions from the pre-pass index, errors and warnings at a key, and
** range-checked durations, so that all change blocks report alike.
*/
#include "io/change/scn_change.h"
#include "io/units.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

mq_loc scn_change_where(const scn_index *idx, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (;;) {
        const scn_node *nd = scn_index_get(idx, buf);
        if (nd)
            return nd->kind == SCN_SCALAR ? (mq_loc){nd->line, nd->col}
                                          : (mq_loc){nd->kline, nd->kcol};
        if (!*buf) return (mq_loc){1, 1};
        char *cut = strrchr(buf, '.');
        char *br = strrchr(buf, '[');
        if (br && (!cut || br > cut)) cut = br;
        if (!cut) cut = buf;
        *cut = '\0';
    }
}

/* Format the message and find where path is. */
static mq_loc vlocate(const scn_index *idx, const char *path, char *msg, size_t len,
                      const char *fmt, va_list ap)
{
    vsnprintf(msg, len, fmt, ap);
    return scn_change_where(idx, path);
}

int scn_change_fail(const char *file, const scn_index *idx, sim_err *err, const char *path,
                    const char *fmt, ...)
{
    char msg[SIM_ERR_LEN];
    va_list ap;
    va_start(ap, fmt);
    mq_loc l = vlocate(idx, path, msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sim_err_at(err, file, l.line, l.col, "%s: %s", path, msg);
}

void scn_change_warn(const char *file, const scn_index *idx, mq_scenario *s, const char *path,
                     const char *fmt, ...)
{
    char msg[SIM_ERR_LEN];
    va_list ap;
    va_start(ap, fmt);
    mq_loc l = vlocate(idx, path, msg, sizeof msg, fmt, ap);
    va_end(ap);
    SIM_NEED_OK(sim_strs_add(&s->warnings, "%s:%d:%d: %s: %s", file, l.line, l.col, path, msg));
}

int scn_change_duration(const char *file, const scn_index *idx, sim_err *err, const char *path,
                        const char *text, double lo, bool lo_open, double hi, double *out)
{
    if (!text) return 0;
    sim_err e;
    if (units_duration(text, out, &e) < 0)
        return scn_change_fail(file, idx, err, path, "%s", e.msg);
    if (*out < lo || (lo_open && *out <= lo) || *out > hi) {
        char a[32], b[32];
        units_format_duration(lo, a, sizeof a);
        units_format_duration(hi, b, sizeof b);
        return scn_change_fail(file, idx, err, path, "%s is out of range; expected %s %s and "
                               "at most %s", text, lo_open ? ">" : ">=", a, b);
    }
    return 0;
}
