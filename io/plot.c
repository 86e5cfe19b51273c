/*
** plot.c - line and bar charts as PNG through GNU libplot (see plot.h).
**
** The user coordinate system is set to pixels (pl_fspace 0,0 .. W,H, y up),
** so layout is plain arithmetic and text sizes are in pixels. Layout is
** measured, not guessed: margins grow to fit the widest tick label
** (pl_flabelwidth_r) and the legend. Drawing order is background, bands,
** grid, lines, frame and ticks, text, legend, so tints stay under data.
**
** Cost: O(total points) to scan ranges and map points; with downsampling the
** number of vertices handed to libplot is O(lines x plot width), and paths
** are ended every PATH_CHUNK vertices so libplot never holds a huge path.
** Deterministic by construction: no clocks, no environment, no hash order.
** libplot renders a binary PNM into memory (fmemopen) and png_out.c
** encodes it as the PNG: libplot's own PNG writer spent more instructions
** than the whole simulation of a small run on compressing (docs/MODEL.md,
** "Speed") and stamped a creation time into every file.
*/
#include "io/plot.h"
#include "io/out_file.h"
#include "io/png_out.h"

#include <math.h>
#include <plot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PATH_CHUNK = 1000, MAX_TICKS = 40, MAX_LEGEND_CHARS = 40 };

#define FONT "HersheySans"
#define FONT_BOLD "HersheySans-Bold"
#define FS_TITLE 17.0
#define FS_AXIS 14.0
#define FS_TICK 12.0
#define FS_LEGEND 12.0
#define FS_BAND 11.0

typedef struct rgb { int r, g, b; } rgb;

/* Line colours: a colour-blind-friendly 10-colour qualitative palette. */
static const rgb line_pal[] = {
    {0x1f, 0x77, 0xb4}, {0xff, 0x7f, 0x0e}, {0x2c, 0xa0, 0x2c}, {0xd6, 0x27, 0x28},
    {0x94, 0x67, 0xbd}, {0x8c, 0x56, 0x4b}, {0xe3, 0x77, 0xc2}, {0x7f, 0x7f, 0x7f},
    {0xbc, 0xbd, 0x22}, {0x17, 0xbe, 0xcf}};
/* Band tints: light pastels, readable under any line colour. */
static const rgb band_pal[] = {
    {0xfd, 0xd9, 0xb5}, {0xc6, 0xdb, 0xef}, {0xc7, 0xe9, 0xc0}, {0xda, 0xda, 0xeb},
    {0xfc, 0xc5, 0xc0}, {0xff, 0xf2, 0xae}, {0xe5, 0xd8, 0xbd}, {0xd9, 0xf0, 0xf0}};
/* Band label text: a darker shade of the tint's hue. */
static const rgb band_ink[] = {
    {0xa6, 0x4b, 0x00}, {0x1f, 0x4e, 0x8c}, {0x23, 0x6b, 0x23}, {0x54, 0x4a, 0x8a},
    {0xa5, 0x1d, 0x1d}, {0x80, 0x6a, 0x00}, {0x6b, 0x55, 0x30}, {0x1d, 0x6b, 0x6b}};
#define NPAL(a) (sizeof(a) / sizeof((a)[0]))

/* A band tint halfway to white, so a long phase does not hide the data. */
static rgb light(rgb k)
{
    return (rgb){(k.r + 0xff) / 2, (k.g + 0xff) / 2, (k.b + 0xff) / 2};
}

static const rgb ink = {0x22, 0x22, 0x22}, grid_col = {0xe4, 0xe4, 0xe4},
                 frame_col = {0x55, 0x55, 0x55}, white = {0xff, 0xff, 0xff};

/* ---- canvas: plotter + atomic file ------------------------------------- */

typedef struct canvas {
    plPlotter *pl;
    plPlotterParams *pp;
    const char *path;
    FILE *mem;       /* libplot writes the binary PNM here (fmemopen on buf) */
    char *buf;
    size_t cap, len;
    double w, h;
} canvas;

/* Release everything without writing (error paths before canvas_close). */
static void canvas_discard(canvas *c)
{
    if (c->pl) pl_deletepl_r(c->pl);
    if (c->pp) pl_deleteplparams(c->pp);
    if (c->mem) fclose(c->mem);
    free(c->buf);
    *c = (canvas){0};
}

/* Finish the PNG and write it atomically; on any failure nothing replaces
** the target. */
static int canvas_close(canvas *c, sim_err *err)
{
    const char *path = c->path;
    int bad = pl_closepl_r(c->pl) < 0;
    pl_deletepl_r(c->pl);
    pl_deleteplparams(c->pp);
    c->pl = NULL;
    c->pp = NULL;
    long end = fflush(c->mem) == 0 && !ferror(c->mem) ? ftell(c->mem) : -1;
    bad |= end < 0 || (size_t)end >= c->cap; /* a full buffer: the PNM did not fit */
    c->len = end < 0 ? 0 : (size_t)end;
    bad |= fclose(c->mem) != 0;
    c->mem = NULL;
    if (bad) {
        canvas_discard(c);
        return sim_err_set(err, "%s: libplot failed to produce the PNG", path);
    }
    out_file f;
    if (out_file_open(&f, path, err)) {
        canvas_discard(c);
        return -1;
    }
    if (png_out_from_pnm(f.fp, (const unsigned char *)c->buf, c->len, path, err)) {
        out_file_abort(&f);
        canvas_discard(c);
        return -1;
    }
    canvas_discard(c);
    return out_file_commit(&f, err);
}

static int canvas_open(canvas *c, const char *path, const plot_spec *spec,
                       sim_err *err)
{
    *c = (canvas){0};
    int w = spec->width ? spec->width : 960, h = spec->height ? spec->height : 540;
    if (w < 160 || h < 120 || w > 8000 || h > 8000)
        return sim_err_set(err, "%s: plot size %dx%d out of range (160x120 .. 8000x8000)",
                           path, w, h);
    c->path = path;
    /* The PNM raster: a P6 header (under 100 bytes) and 3 bytes a pixel at
    ** most, in one buffer of that size, so it is never copied as it grows
    ** (a memstream doubles and copies) */
    c->cap = (size_t)w * (size_t)h * 3 + 1024;
    c->buf = malloc(c->cap);
    c->mem = c->buf ? fmemopen(c->buf, c->cap, "w") : NULL;
    SIM_NEED(c->mem != NULL, "%s: out of memory", path);
    char size[32];
    snprintf(size, sizeof size, "%dx%d", w, h);
    c->pp = pl_newplparams();
    SIM_NEED(c->pp != NULL, "%s: out of memory", path);
    /* Every parameter a bitmap Plotter consults; unset ones would be read
    ** from same-named environment variables. "none" is not a colour name,
    ** so TRANSPARENT_COLOR disables transparency. */
    static const char *const params[][2] = {
        {"BITMAPSIZE", NULL},  {"BG_COLOR", "white"}, {"INTERLACE", "no"},
        {"TRANSPARENT_COLOR", "none"}, {"EMULATE_COLOR", "no"},
        {"ROTATION", "no"},    {"MAX_LINE_LENGTH", "500"},
        {"PAGESIZE", "letter"}, {"GIF_ANIMATION", "no"}, {"GIF_DELAY", "0"},
        {"GIF_ITERATIONS", "0"}, {"PNM_PORTABLE", "no"}, {"META_PORTABLE", "no"},
        {"X_AUTO_FLUSH", "no"}, {"USE_DOUBLE_BUFFERING", "no"},
        {"VANISH_ON_DELETE", "no"}};
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++)
        pl_setplparam(c->pp, params[i][0],
                      (void *)(params[i][1] ? params[i][1] : size));
    /* errfile NULL: libplot must not print (library code never prints). */
    c->pl = pl_newpl_r("pnm", NULL, c->mem, NULL, c->pp);
    if (!c->pl || pl_openpl_r(c->pl) < 0) {
        canvas_discard(c);
        return sim_err_set(err, "%s: cannot start the PNG plotter", path);
    }
    c->w = w;
    c->h = h;
    pl_fspace_r(c->pl, 0, 0, w, h);
    pl_bgcolor_r(c->pl, 0xffff, 0xffff, 0xffff);
    pl_erase_r(c->pl);
    pl_fontname_r(c->pl, FONT);
    pl_joinmod_r(c->pl, "round");
    pl_capmod_r(c->pl, "butt");
    pl_linemod_r(c->pl, "solid");
    pl_filltype_r(c->pl, 0);
    return 0;
}

static void pen(canvas *c, rgb k) { pl_pencolor_r(c->pl, k.r * 257, k.g * 257, k.b * 257); }
static void fill(canvas *c, rgb k) { pl_fillcolor_r(c->pl, k.r * 257, k.g * 257, k.b * 257); }

/* Filled rectangle without outline. */
static void box(canvas *c, double x0, double y0, double x1, double y1, rgb k)
{
    pl_filltype_r(c->pl, 1);
    pl_pentype_r(c->pl, 0);
    fill(c, k);
    pl_fbox_r(c->pl, x0, y0, x1, y1);
    pl_pentype_r(c->pl, 1);
    pl_filltype_r(c->pl, 0);
}

static void seg(canvas *c, double x0, double y0, double x1, double y1)
{
    pl_fline_r(c->pl, x0, y0, x1, y1);
}

static double text_w(canvas *c, const char *s, double size)
{
    pl_ffontsize_r(c->pl, size);
    return pl_flabelwidth_r(c->pl, s);
}

/* Text at (x, y) with justification hj in "lcr", vj in "btcx" (x =
** baseline), rotated by angle degrees counter-clockwise. */
static void text(canvas *c, double x, double y, char hj, char vj, double angle,
                 double size, rgb k, const char *s)
{
    pl_ffontsize_r(c->pl, size);
    pl_ftextangle_r(c->pl, angle);
    pen(c, k);
    pl_fmove_r(c->pl, x, y);
    pl_alabel_r(c->pl, hj, vj, s);
    pl_ftextangle_r(c->pl, 0);
}

/* Copy s into buf (cap bytes), cut to max_chars with "..." if longer. */
static const char *clip_text(char *buf, size_t cap, const char *s, size_t max_chars)
{
    if (!s) s = "";
    size_t n = strlen(s);
    if (max_chars + 1 > cap) max_chars = cap - 1;
    if (n <= max_chars) {
        memcpy(buf, s, n + 1);
    } else {
        memcpy(buf, s, max_chars - 3);
        memcpy(buf + max_chars - 3, "...", 4);
    }
    return buf;
}

/* ---- axes -------------------------------------------------------------- */

typedef struct axis {
    int log;             /* lo/hi/ticks are log10 of the value */
    int clock;           /* ticks are labelled as a time of day */
    double offset;       /* added to data values (the clock at x = 0) */
    double scale;        /* data units per display unit (60 for minutes) */
    double lo, hi;       /* display range (log10 when log) */
    double step;         /* linear tick step, display units */
    double p0, p1;       /* pixel span */
    size_t nticks;
    double ticks[MAX_TICKS]; /* display units (log10 when log) */
    int major[MAX_TICKS];    /* log: decade tick (gets a grid line + label) */
} axis;

/* Data value -> pixel. */
static double ax_px(const axis *a, double v)
{
    double d = a->log ? log10(v) : (v + a->offset) / a->scale;
    return a->p0 + (d - a->lo) / (a->hi - a->lo) * (a->p1 - a->p0);
}

/* Display tick value -> pixel. */
static double ax_tick_px(const axis *a, double t)
{
    return a->p0 + (t - a->lo) / (a->hi - a->lo) * (a->p1 - a->p0);
}

/* 1-2-5 step giving about `target` intervals over span. */
static double nice_step(double span, int target)
{
    double raw = span / target;
    double mag = pow(10, floor(log10(raw)));
    double f = raw / mag;
    return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

/* Linear axis over [dmin, dmax] in display units. zero: include 0 when all
** values are >= 0. round_out: extend to whole ticks (y) or keep the data
** range exactly (x). */
static void ax_linear(axis *a, double dmin, double dmax, int zero, double headroom,
                      int round_out, int target)
{
    if (!(dmin <= dmax)) dmin = 0, dmax = 1;
    if (zero && dmin >= 0) dmin = 0;
    if (dmax - dmin <= 0) {
        double pad = dmax == 0 ? 1 : fabs(dmax) * 0.1;
        if (zero && dmin >= 0) dmax += pad;
        else dmin -= pad, dmax += pad;
    }
    dmax += (dmax - dmin) * headroom;
    a->log = 0;
    a->step = nice_step(dmax - dmin, target);
    if (!(a->step > 0) || !isfinite(a->step)) a->step = 1;
    a->lo = round_out ? floor(dmin / a->step) * a->step : dmin;
    a->hi = round_out ? ceil(dmax / a->step) * a->step : dmax;
    if (!(a->hi > a->lo)) a->hi = a->lo + a->step;
    a->nticks = 0;
    double k0 = ceil(a->lo / a->step - 1e-9), k1 = floor(a->hi / a->step + 1e-9);
    for (double k = k0; k <= k1 && a->nticks < MAX_TICKS; k++) {
        double t = k * a->step;
        if (fabs(t) < a->step * 1e-9) t = 0; /* no "-0" */
        a->major[a->nticks] = 1;
        a->ticks[a->nticks++] = t;
    }
}

/* Log axis over positive values [vmin, vmax]: whole decades. */
static void ax_log(axis *a, double vmin, double vmax)
{
    if (!(vmin > 0 && vmin <= vmax)) vmin = 1, vmax = 10;
    a->log = 1;
    a->scale = 1;
    a->lo = floor(log10(vmin));
    a->hi = ceil(log10(vmax));
    if (a->hi <= a->lo) a->hi = a->lo + 1;
    double decades = a->hi - a->lo;
    double every = decades > 8 ? ceil(decades / 8) : 1;
    a->step = every;
    a->nticks = 0;
    for (double d = a->lo; d <= a->hi && a->nticks < MAX_TICKS; d += every) {
        a->major[a->nticks] = 1;
        a->ticks[a->nticks++] = d;
        if (decades <= 2 && d < a->hi) {
            static const double minor[] = {2, 5};
            for (int i = 0; i < 2 && a->nticks < MAX_TICKS; i++) {
                a->major[a->nticks] = 0;
                a->ticks[a->nticks++] = d + log10(minor[i]);
            }
        }
    }
}

/* Tick label for display value v on axis a. Large ranges get k/M/G/T
** suffixes; decimals follow the step so labels are as short as possible. */
static void tick_label(char *buf, size_t cap, const axis *a, double t)
{
    if (a->clock) {
        long sec = (long)llround(t * a->scale) % 86400;
        if (sec < 0) sec += 86400;
        if (a->scale == 1)
            snprintf(buf, cap, "%02ld:%02ld:%02ld", sec / 3600, sec / 60 % 60, sec % 60);
        else snprintf(buf, cap, "%02ld:%02ld", sec / 3600, sec / 60 % 60);
        return;
    }
    double v = a->log ? pow(10, t) : t;
    double step = a->log ? v : a->step;
    if (a->log) v = (double)(float)v; /* 10^-3 prints as 0.001, not 0.00099... */
    if (v == 0) { snprintf(buf, cap, "0"); return; }
    double amax = a->log ? pow(10, a->hi) : fmax(fabs(a->lo), fabs(a->hi));
    static const char *const sfx[] = {"", "k", "M", "G", "T"};
    int s = 0;
    if (a->log) amax = fabs(v); /* per label: 100, 1k, 10k */
    if (amax >= (a->log ? 1e3 : 1e4))
        while (s < 4 && amax / pow(1000, s) >= 1000) s++;
    double div = pow(1000, s);
    v /= div;
    step /= div;
    if (amax < 1e-3 && !a->log) {
        snprintf(buf, cap, "%.3g", v);
        return;
    }
    int dec = (int)ceil(-log10(step) - 1e-9);
    if (dec < 0) dec = 0;
    if (dec > 9) { snprintf(buf, cap, "%.3g%s", v, sfx[s]); return; }
    snprintf(buf, cap, "%.*f%s", dec, v, sfx[s]);
}

/* Widest tick label on a, in pixels. */
static double ax_label_w(canvas *c, const axis *a)
{
    double w = 0;
    char b[48];
    for (size_t i = 0; i < a->nticks; i++) {
        if (!a->major[i]) continue;
        tick_label(b, sizeof b, a, a->ticks[i]);
        w = fmax(w, text_w(c, b, FS_TICK));
    }
    return w;
}

/* If label ends in "(s)", pick a time unit for a span of `span_s` seconds
** and write the relabelled text into out; returns the scale (1, 60, 3600). */
static double time_unit(const char *label, double span_s, char *out, size_t cap)
{
    size_t n = label ? strlen(label) : 0;
    if (n < 3 || strcmp(label + n - 3, "(s)") != 0) {
        snprintf(out, cap, "%s", label ? label : "");
        return 1;
    }
    double scale = 1;
    const char *u = "s";
    if (span_s > 4 * 3600.0) scale = 3600, u = "h";
    else if (span_s > 600) scale = 60, u = "min";
    snprintf(out, cap, "%.*s(%s)", (int)(n - 3), label, u);
    return scale;
}

typedef struct frame {
    double x0, y0, x1, y1; /* plot area in pixels */
} frame;

/* Grid lines at major ticks (under the data). */
static void draw_grid(canvas *c, const frame *fr, const axis *ax, const axis *ay)
{
    pen(c, grid_col);
    pl_flinewidth_r(c->pl, 1);
    for (size_t i = 0; i < ax->nticks; i++) {
        double p = ax_tick_px(ax, ax->ticks[i]);
        if (p > fr->x0 + 0.5 && p < fr->x1 - 0.5) seg(c, p, fr->y0, p, fr->y1);
    }
    for (size_t i = 0; i < ay->nticks; i++) {
        double p = ax_tick_px(ay, ay->ticks[i]);
        if (ay->major[i] && p > fr->y0 + 0.5 && p < fr->y1 - 0.5) seg(c, fr->x0, p, fr->x1, p);
    }
}

/* Frame, ticks, tick labels and axis titles. ax may be NULL (bar charts
** label their own categories). */
static void draw_axes(canvas *c, const frame *fr, const axis *ax, const axis *ay,
                      const char *xtitle, const char *ytitle, double ytitle_x)
{
    char b[48];
    pen(c, frame_col);
    pl_flinewidth_r(c->pl, 1);
    pl_fbox_r(c->pl, fr->x0, fr->y0, fr->x1, fr->y1);
    if (ax) {
        for (size_t i = 0; i < ax->nticks; i++) {
            double p = ax_tick_px(ax, ax->ticks[i]);
            pen(c, frame_col);
            seg(c, p, fr->y0, p, fr->y0 - 5);
            tick_label(b, sizeof b, ax, ax->ticks[i]);
            text(c, p, fr->y0 - 8, 'c', 't', 0, FS_TICK, ink, b);
        }
    }
    for (size_t i = 0; i < ay->nticks; i++) {
        double p = ax_tick_px(ay, ay->ticks[i]);
        pen(c, frame_col);
        seg(c, fr->x0, p, fr->x0 - (ay->major[i] ? 5 : 3), p);
        if (!ay->major[i]) continue;
        tick_label(b, sizeof b, ay, ay->ticks[i]);
        text(c, fr->x0 - 8, p, 'r', 'c', 0, FS_TICK, ink, b);
    }
    if (xtitle && *xtitle)
        text(c, (fr->x0 + fr->x1) / 2, 8, 'c', 'b', 0, FS_AXIS, ink, xtitle);
    if (ytitle && *ytitle)
        text(c, ytitle_x, (fr->y0 + fr->y1) / 2, 'c', 't', 90, FS_AXIS, ink, ytitle);
}

static void draw_title(canvas *c, const char *title)
{
    if (!title || !*title) return;
    pl_fontname_r(c->pl, FONT_BOLD);
    text(c, c->w / 2, c->h - 10, 'c', 't', 0, FS_TITLE, ink, title);
    pl_fontname_r(c->pl, FONT);
}

/* ---- line chart -------------------------------------------------------- */

/* Usable point? */
static int ok_point(double x, double y, int log_y)
{
    return isfinite(x) && isfinite(y) && (!log_y || y > 0);
}

/* Streams mapped points of one line into libplot paths, breaking at gaps and
** every PATH_CHUNK vertices; a run of one point becomes a dot. */
typedef struct pather {
    canvas *c;
    size_t run, chunk;
    double lx, ly;
} pather;

static void path_point(pather *p, double x, double y)
{
    if (p->run > 0 && x == p->lx && y == p->ly) return;
    if (p->run == 0) {
        pl_fmove_r(p->c->pl, x, y);
    } else {
        if (p->chunk >= PATH_CHUNK) {
            pl_endpath_r(p->c->pl);
            pl_fmove_r(p->c->pl, p->lx, p->ly);
            p->chunk = 0;
        }
        pl_fcont_r(p->c->pl, x, y);
    }
    p->run++;
    p->chunk++;
    p->lx = x;
    p->ly = y;
}

static void path_break(pather *p, rgb k)
{
    if (p->run == 1) {
        pl_filltype_r(p->c->pl, 1);
        fill(p->c, k);
        pl_fcircle_r(p->c->pl, p->lx, p->ly, 2.5);
        pl_filltype_r(p->c->pl, 0);
    } else if (p->run > 1) {
        pl_endpath_r(p->c->pl);
    }
    p->run = p->chunk = 0;
}

/* Per-pixel-column reduction: first, min, max, last of the column. */
typedef struct column {
    int have;
    long col;
    double first, lo, hi, last;
} column;

static void column_flush(column *cl, pather *p)
{
    if (!cl->have) return;
    double x = (double)cl->col + 0.5;
    path_point(p, x, cl->first);
    path_point(p, x, cl->lo);
    path_point(p, x, cl->hi);
    path_point(p, x, cl->last);
    cl->have = 0;
}

static void draw_line(canvas *c, const frame *fr, const axis *ax, const axis *ay,
                      const plot_line *ln, int log_y, rgb k)
{
    if (!ln->x || !ln->y || ln->n == 0) return;
    pen(c, k);
    pl_flinewidth_r(c->pl, 2);
    /* Downsample only when x never goes back (time series). */
    int sorted = 1;
    double prev = -INFINITY;
    for (size_t i = 0; i < ln->n && sorted; i++) {
        if (!ok_point(ln->x[i], ln->y[i], log_y)) continue;
        if (ln->x[i] < prev) sorted = 0;
        prev = ln->x[i];
    }
    int reduce = sorted && ln->n > 4 * (size_t)(fr->x1 - fr->x0);
    pather p = {.c = c};
    column cl = {0};
    for (size_t i = 0; i < ln->n; i++) {
        if (!ok_point(ln->x[i], ln->y[i], log_y)) {
            column_flush(&cl, &p);
            path_break(&p, k);
            continue;
        }
        double px = ax_px(ax, ln->x[i]);
        double py = fmin(fmax(ax_px(ay, ln->y[i]), fr->y0), fr->y1);
        if (!reduce) {
            path_point(&p, px, py);
            continue;
        }
        long col = (long)floor(px);
        if (cl.have && col != cl.col) column_flush(&cl, &p);
        if (!cl.have) cl = (column){1, col, py, py, py, py};
        cl.lo = fmin(cl.lo, py);
        cl.hi = fmax(cl.hi, py);
        cl.last = py;
    }
    column_flush(&cl, &p);
    path_break(&p, k);
}

/* Markers and whiskers of one line. */
static void draw_points(canvas *c, const frame *fr, const axis *ax, const axis *ay,
                        const plot_line *ln, int log_y, rgb k)
{
    if (!ln->x || !ln->y || (!ln->markers && !ln->lo && !ln->hi)) return;
    pen(c, k);
    pl_flinewidth_r(c->pl, 1.5);
    for (size_t i = 0; i < ln->n; i++) {
        if (!ok_point(ln->x[i], ln->y[i], log_y)) continue;
        double px = ax_px(ax, ln->x[i]);
        double py = fmin(fmax(ax_px(ay, ln->y[i]), fr->y0), fr->y1);
        if (ln->lo && ln->hi && ok_point(ln->x[i], ln->lo[i], log_y) &&
            ok_point(ln->x[i], ln->hi[i], log_y)) {
            double a = fmin(fmax(ax_px(ay, ln->lo[i]), fr->y0), fr->y1);
            double b = fmin(fmax(ax_px(ay, ln->hi[i]), fr->y0), fr->y1);
            seg(c, px, a, px, b);
            seg(c, px - 4, a, px + 4, a);
            seg(c, px - 4, b, px + 4, b);
        }
        if (ln->markers) {
            pl_filltype_r(c->pl, 1);
            fill(c, k);
            pl_fcircle_r(c->pl, px, py, 3.5);
            pl_filltype_r(c->pl, 0);
        }
    }
}

/* A dashed horizontal reference line, labelled at its right end. */
static void draw_hline(canvas *c, const frame *fr, const axis *ay, const plot_hline *h, int log_y)
{
    if (!ok_point(0, h->y, log_y)) return;
    static const rgb limit_col = {0xc0, 0x00, 0x00};
    double py = ax_px(ay, h->y);
    if (py < fr->y0 || py > fr->y1) return;
    pen(c, limit_col);
    pl_flinewidth_r(c->pl, 1.5);
    pl_linemod_r(c->pl, "longdashed");
    seg(c, fr->x0, py, fr->x1, py);
    pl_linemod_r(c->pl, "solid");
    /* below the line, where the band labels at the top cannot be */
    if (h->label && *h->label) text(c, fr->x1 - 4, py - 3, 'r', 't', 0, FS_BAND, limit_col, h->label);
}

/* Distinct band labels in order of first appearance; returns the count and
** fills idx[i] with band i's label number (0-based). */
static size_t band_groups(const sim_bands *b, size_t *idx, size_t *first)
{
    size_t ng = 0;
    for (size_t i = 0; i < b->n; i++) {
        size_t g = 0;
        while (g < ng && strcmp(b->v[first[g]].label, b->v[i].label) != 0) g++;
        if (g == ng) first[ng++] = i;
        idx[i] = g;
    }
    return ng;
}

typedef struct legend_item {
    const char *label;
    rgb k;
    int is_band;
    size_t number;    /* band number, 1-based */
    size_t max_chars; /* labels are cut to this many characters */
} legend_item;

static void legend_text(char *buf, size_t cap, const legend_item *it)
{
    char t[MAX_LEGEND_CHARS + 1];
    clip_text(t, sizeof t, it->label, it->max_chars);
    if (it->is_band) snprintf(buf, cap, "%zu %s", it->number, t);
    else snprintf(buf, cap, "%s", t);
}

static double legend_width(canvas *c, const legend_item *it, size_t n)
{
    if (n == 0) return 0;
    double w = 0;
    char b[MAX_LEGEND_CHARS + 24];
    for (size_t i = 0; i < n; i++) {
        legend_text(b, sizeof b, &it[i]);
        w = fmax(w, text_w(c, b, FS_LEGEND));
    }
    return w + 26 + 16; /* swatch + gap, box padding */
}

static void draw_legend(canvas *c, double x, double ytop, double w,
                        const legend_item *it, size_t n)
{
    if (n == 0) return;
    const double row = 18;
    double h = (double)n * row + 8;
    pl_filltype_r(c->pl, 1);
    fill(c, white);
    pen(c, frame_col);
    pl_flinewidth_r(c->pl, 1);
    pl_fbox_r(c->pl, x, ytop - h, x + w, ytop);
    pl_filltype_r(c->pl, 0);
    char b[MAX_LEGEND_CHARS + 24];
    for (size_t i = 0; i < n; i++) {
        double y = ytop - 4 - row * ((double)i + 0.5);
        if (it[i].is_band) {
            box(c, x + 8, y - 6, x + 28, y + 6, it[i].k);
        } else {
            pen(c, it[i].k);
            pl_flinewidth_r(c->pl, 3);
            seg(c, x + 8, y, x + 28, y);
            pl_flinewidth_r(c->pl, 1);
        }
        legend_text(b, sizeof b, &it[i]);
        text(c, x + 34, y, 'l', 'c', 0, FS_LEGEND, ink, b);
    }
}

int plot_lines_png(const char *path, const plot_spec *spec,
                   const plot_line *lines, size_t nlines,
                   const sim_bands *bands, sim_err *err)
{
    SIM_ASSERT(spec && (lines || nlines == 0));
    size_t nb = bands ? bands->n : 0;
    /* Data ranges (seconds on x), skipping unusable points. */
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    size_t npts = 0;
    for (size_t l = 0; l < nlines; l++) {
        const plot_line *ln = &lines[l];
        if (!ln->x || !ln->y) continue;
        for (size_t i = 0; i < ln->n; i++) {
            if (!ok_point(ln->x[i], ln->y[i], spec->log_y)) continue;
            xmin = fmin(xmin, ln->x[i]);
            xmax = fmax(xmax, ln->x[i]);
            ymin = fmin(ymin, ln->y[i]);
            ymax = fmax(ymax, ln->y[i]);
            npts++;
        }
    }
    for (size_t l = 0; l < nlines; l++)
        for (size_t i = 0; lines[l].x && i < lines[l].n; i++)
            for (int w = 0; w < 2; w++) {
                const double *e = w ? lines[l].hi : lines[l].lo;
                if (e && ok_point(lines[l].x[i], e[i], spec->log_y))
                    ymin = fmin(ymin, e[i]), ymax = fmax(ymax, e[i]);
            }
    for (size_t h = 0; h < spec->nhlines; h++)
        if (ok_point(0, spec->hlines[h].y, spec->log_y))
            ymin = fmin(ymin, spec->hlines[h].y), ymax = fmax(ymax, spec->hlines[h].y);
    for (size_t i = 0; i < nb; i++) {
        if (!isfinite(bands->v[i].t0) || !isfinite(bands->v[i].t1)) continue;
        xmin = fmin(xmin, bands->v[i].t0);
        xmax = fmax(xmax, bands->v[i].t1);
    }
    if (!(xmin <= xmax)) xmin = 0, xmax = 1;

    canvas c;
    if (canvas_open(&c, path, spec, err)) return -1;

    size_t *bidx = calloc(nb + 1, sizeof *bidx), *bfirst = calloc(nb + 1, sizeof *bfirst);
    legend_item *items = calloc(nlines + nb + 1, sizeof *items);
    SIM_NEED(bidx && bfirst && items, "%s: out of memory", path);
    size_t ngroups = nb ? band_groups(bands, bidx, bfirst) : 0;
    size_t nitems = 0;
    for (size_t l = 0; l < nlines; l++)
        if (lines[l].label && *lines[l].label)
            items[nitems++] = (legend_item){lines[l].label, line_pal[l % NPAL(line_pal)], 0, 0,
                                            MAX_LEGEND_CHARS};
    for (size_t g = 0; g < ngroups; g++)
        items[nitems++] = (legend_item){bands->v[bfirst[g]].label,
                                        band_pal[g % NPAL(band_pal)], 1, g + 1,
                                        MAX_LEGEND_CHARS};

    /* Axes, then margins measured from the labels they need. */
    char xtitle[256];
    axis ax = {0}, ay = {0};
    ax.scale = time_unit(spec->x_label, xmax - xmin, xtitle, sizeof xtitle);
    if (spec->wall_clock) {
        ax.clock = 1;
        ax.offset = spec->clock0_s;
        snprintf(xtitle, sizeof xtitle, "time of day");
    }
    if (spec->log_y) ax_log(&ay, ymin, ymax);
    else {
        ay.scale = 1;
        ax_linear(&ay, npts ? ymin : 0, npts ? ymax : 1, 1, 0.05, 1, 6);
    }
    /* The legend may take at most 35% of the width: cut labels until it fits. */
    double legend_w = 0;
    for (size_t mc = MAX_LEGEND_CHARS; mc >= 6; mc -= 2) {
        for (size_t i = 0; i < nitems; i++) items[i].max_chars = mc;
        legend_w = legend_width(&c, items, nitems);
        if (legend_w <= c.w * 0.35) break;
    }
    frame fr;
    fr.x0 = 12 + FS_AXIS + 10 + ax_label_w(&c, &ay) + 10;
    fr.x1 = c.w - 16 - (legend_w > 0 ? legend_w + 12 : 0);
    fr.y0 = 8 + FS_AXIS + 10 + FS_TICK + 12;
    fr.y1 = c.h - (spec->title && *spec->title ? 10 + FS_TITLE + 14 : 16);
    int xtarget = (int)fmax(2, fmin(10, (fr.x1 - fr.x0) / 90));
    ax_linear(&ax, (xmin + ax.offset) / ax.scale, (xmax + ax.offset) / ax.scale, 0, 0, 0, xtarget);
    ax.p0 = fr.x0; ax.p1 = fr.x1;
    ay.p0 = fr.y0; ay.p1 = fr.y1;

    /* Bands first (under everything), each at least 2 px wide. */
    for (size_t i = 0; i < nb; i++) {
        const sim_band *b = &bands->v[i];
        if (!isfinite(b->t0) || !isfinite(b->t1)) continue;
        double p0 = fmax(ax_px(&ax, b->t0), fr.x0), p1 = fmin(ax_px(&ax, b->t1), fr.x1);
        if (p1 - p0 < 2) { double m = (p0 + p1) / 2; p0 = m - 1; p1 = m + 1; }
        box(&c, p0, fr.y0, p1, fr.y1, light(band_pal[bidx[i] % NPAL(band_pal)]));
        pen(&c, band_ink[bidx[i] % NPAL(band_ink)]);
        pl_flinewidth_r(c.pl, 1);
        if (p0 > fr.x0 + 0.5) seg(&c, p0, fr.y0, p0, fr.y1);
    }
    draw_grid(&c, &fr, &ax, &ay);
    for (size_t h = 0; h < spec->nhlines; h++) draw_hline(&c, &fr, &ay, &spec->hlines[h], spec->log_y);
    for (size_t l = 0; l < nlines; l++) {
        rgb k = line_pal[l % NPAL(line_pal)];
        draw_line(&c, &fr, &ax, &ay, &lines[l], spec->log_y, k);
        draw_points(&c, &fr, &ax, &ay, &lines[l], spec->log_y, k);
    }
    /* Band labels at the top: the label if it fits, else the number; skip
    ** text that would run into the previous one. */
    double last_right = -INFINITY;
    for (size_t i = 0; i < nb; i++) {
        const sim_band *b = &bands->v[i];
        if (!isfinite(b->t0) || !isfinite(b->t1)) continue;
        double p0 = fmax(ax_px(&ax, b->t0), fr.x0), p1 = fmin(ax_px(&ax, b->t1), fr.x1);
        char num[24], lab[MAX_LEGEND_CHARS + 1];
        snprintf(num, sizeof num, "%zu", bidx[i] + 1);
        clip_text(lab, sizeof lab, b->label, MAX_LEGEND_CHARS);
        const char *s = lab;
        double w = text_w(&c, lab, FS_BAND);
        if (w + 6 > p1 - p0) s = num, w = text_w(&c, num, FS_BAND);
        double mid = (p0 + p1) / 2;
        if (mid - w / 2 < last_right + 3) continue;
        text(&c, mid, fr.y1 - 4, 'c', 't', 0, FS_BAND, band_ink[bidx[i] % NPAL(band_ink)], s);
        last_right = mid + w / 2;
    }
    if (npts == 0) text(&c, (fr.x0 + fr.x1) / 2, (fr.y0 + fr.y1) / 2, 'c', 'c', 0,
                        FS_AXIS, frame_col, "no data");
    draw_axes(&c, &fr, &ax, &ay, xtitle, spec->y_label, 10);
    draw_title(&c, spec->title);
    draw_legend(&c, fr.x1 + 12, fr.y1, legend_w, items, nitems);
    free(bidx);
    free(bfirst);
    free(items);
    return canvas_close(&c, err);
}

/* ---- bar chart --------------------------------------------------------- */

int plot_bars_png(const char *path, const plot_spec *spec,
                  const char *const *labels, const double *values, size_t n,
                  sim_err *err)
{
    SIM_ASSERT(spec && (values || n == 0));
    double vmin = 0, vmax = 0;
    size_t nvals = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(values[i])) continue;
        vmin = fmin(vmin, values[i]);
        vmax = fmax(vmax, values[i]);
        nvals++;
    }
    canvas c;
    if (canvas_open(&c, path, spec, err)) return -1;

    axis ay = {0};
    ay.scale = 1;
    ax_linear(&ay, vmin, vmax, 1, 0.1, 1, 6);
    frame fr;
    fr.x0 = 12 + FS_AXIS + 10 + ax_label_w(&c, &ay) + 10;
    fr.x1 = c.w - 20;
    fr.y1 = c.h - (spec->title && *spec->title ? 10 + FS_TITLE + 14 : 16);
    double slot = n ? (fr.x1 - fr.x0) / (double)n : fr.x1 - fr.x0;

    /* Category labels: horizontal if they all fit their slot, else slanted
    ** 30 degrees, and the bottom margin grows to hold them. */
    char lab[MAX_LEGEND_CHARS + 1];
    double maxw = 0;
    for (size_t i = 0; i < n; i++) {
        clip_text(lab, sizeof lab, labels ? labels[i] : "", 24);
        maxw = fmax(maxw, text_w(&c, lab, FS_TICK));
    }
    int slant = maxw + 6 > slot;
    if (slant && n > 0) {
        /* The first label runs left from its bar's centre: widen the left
        ** margin until it stays inside the image. */
        double need = 6 + maxw * 0.866, k = 1.0 / (2.0 * (double)n);
        double x0 = (need - fr.x1 * k) / (1 - k);
        fr.x0 = fmax(fr.x0, fmin(x0, fr.x1 - 40 * (double)n));
        slot = (fr.x1 - fr.x0) / (double)n;
    }
    double lab_h = slant ? maxw * 0.5 + FS_TICK : FS_TICK;
    fr.y0 = 8 + FS_AXIS + 10 + lab_h + 12;
    if (fr.y0 > fr.y1 - 60) fr.y0 = fr.y1 - 60;
    ay.p0 = fr.y0; ay.p1 = fr.y1;

    axis none = {0};
    draw_grid(&c, &fr, &none, &ay);
    double zero = ax_tick_px(&ay, 0);
    char b[48];
    for (size_t i = 0; i < n; i++) {
        double mid = fr.x0 + slot * ((double)i + 0.5);
        double half = fmin(slot * 0.3, 60);
        clip_text(lab, sizeof lab, labels ? labels[i] : "", 24);
        if (slant) text(&c, mid, fr.y0 - 8, 'r', 't', 30, FS_TICK, ink, lab);
        else text(&c, mid, fr.y0 - 8, 'c', 't', 0, FS_TICK, ink, lab);
        if (!isfinite(values[i])) {
            text(&c, mid, zero + 4, 'c', 'b', 0, FS_TICK, frame_col, "n/a");
            continue;
        }
        double top = ax_tick_px(&ay, values[i]);
        box(&c, mid - half, fmin(zero, top), mid + half, fmax(zero, top), line_pal[0]);
        snprintf(b, sizeof b, "%.4g", values[i]);
        if (values[i] >= 0) text(&c, mid, top + 3, 'c', 'b', 0, FS_TICK, ink, b);
        else text(&c, mid, top - 3, 'c', 't', 0, FS_TICK, ink, b);
    }
    if (nvals == 0 && n == 0)
        text(&c, (fr.x0 + fr.x1) / 2, (fr.y0 + fr.y1) / 2, 'c', 'c', 0, FS_AXIS,
             frame_col, "no data");
    pen(&c, frame_col);
    seg(&c, fr.x0, zero, fr.x1, zero);
    draw_axes(&c, &fr, NULL, &ay, spec->x_label, spec->y_label, 10);
    draw_title(&c, spec->title);
    return canvas_close(&c, err);
}
