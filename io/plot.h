/*
** plot.h - PNG line and bar charts drawn in-process with GNU libplot.
**
** libplot draws lines and text but has no notion of axes, so this module adds
** the chart furniture itself: "nice" 1-2-5 ticks, tick labels with k/M/G
** suffixes, axis titles, an automatic time unit on x, optional log y, a
** legend, and shaded bands for phases (restarts, migrations). Only the
** thread-safe `_r` API is used, one Plotter per call, and every libplot
** parameter that the PNG driver reads is set explicitly, so neither other
** threads nor environment variables can change the output: identical input
** gives a byte-identical PNG. Files are written atomically (out_file).
**
** Axis conventions (plot_lines_png):
**   x  If spec->x_label ends in "(s)" the x values are seconds and the axis
**      picks its display unit from the range: s up to 10 min, min up to 4 h,
**      h beyond; the "(s)" in the label is replaced by the unit used
**      ("time (s)" -> "time (min)"). Any other x label is drawn as given.
**      The x range covers the data and the bands.
**   y  Linear: from 0 when no value is negative (counts, delays, rates), with
**      5% headroom, rounded out to ticks. Log (spec->log_y): whole decades
**      around the positive values; values <= 0 are skipped.
** Data handling: a non-finite x or y (or y <= 0 on a log axis) breaks the
** line there; an isolated point is drawn as a dot; a series with more points
** than ~4 per pixel column and non-decreasing x is reduced to first/min/max/
** last per column before drawing, so 1e6 points draw in milliseconds and
** one-sample spikes stay visible. Empty input draws the frame and "no data".
** With spec->wall_clock the x ticks read as the time of day (HH:MM, or
** HH:MM:SS for spans up to 10 min) of clock0_s + x, wrapping at 24 h.
** Whiskers (lo/hi) are drawn as vertical bars with caps; markers as dots.
** Bands are drawn first, as light tints spanning the plot height, with a thin
** line where each begins; bands with
** the same label share a tint and a number. A band's label is written at its
** top when it fits, else its number, and every distinct label is listed with
** its number and tint in the legend, so narrow bands never overlap text.
*/
#ifndef PLOT_H
#define PLOT_H

#include "sim/sim_err.h"
#include "sim/sim_table.h"

#include <stddef.h>

typedef struct plot_line {
    const char *label;   /* legend text (NULL or "" = not in the legend) */
    const double *x;     /* borrowed, n values */
    const double *y;     /* borrowed, n values */
    size_t n;
    const double *lo, *hi; /* optional whiskers (a CI) per point, or NULL */
    int markers;         /* draw a marker at every point */
} plot_line;

/* A horizontal reference line across the plot (a budget limit), dashed and
** labelled at its right end; it is included in the y range. */
typedef struct plot_hline {
    double y;
    const char *label;
} plot_hline;

typedef struct plot_spec {
    const char *title;
    const char *x_label; /* with unit, e.g. "time (s)" (see above) */
    const char *y_label; /* with unit, e.g. "delay (s)" */
    int log_y;
    int width, height;   /* pixels; 0 = 960 x 540. Range 160..8000 */
    const plot_hline *hlines; /* optional, nhlines of them */
    size_t nhlines;
    int wall_clock;      /* x in seconds: label ticks as the time of day */
    double clock0_s;     /* time of day at x = 0 (seconds after 00:00) */
} plot_spec;

/* Draw nlines lines (up to 10 distinct colours, then they repeat) over the
** optional bands (may be NULL) and write a PNG to path. All inputs are
** borrowed. Returns 0, or -1 with err filled (bad size, file errors). */
int plot_lines_png(const char *path, const plot_spec *spec,
                   const plot_line *lines, size_t nlines,
                   const sim_bands *bands, sim_err *err);

/* Vertical bar chart: bar i is labels[i] (may be NULL) with height
** values[i]; a non-finite value is drawn as "n/a". The y axis includes 0.
** spec->log_y is ignored. Long labels are drawn slanted. */
int plot_bars_png(const char *path, const plot_spec *spec,
                  const char *const *labels, const double *values, size_t n,
                  sim_err *err);

#endif
