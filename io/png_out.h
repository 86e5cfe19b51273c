/*
** png_out.h - encode a binary PNM image (what libplot's "pnm" Plotter
** writes) as a PNG, with settings chosen for speed.
**
** Why not libplot's own PNG Plotter: it hands libpng every row with the
** default adaptive filter choice and zlib level 6, which cost about 40 % of
** the instructions of a whole M/M/1 run of a million customers (docs/MODEL.md,
** "Speed"), and it stamps a "Creation Time" chunk that made identical plots
** differ. Here a chart (a few dozen colours) is written as an indexed-colour
** PNG (one byte per pixel instead of three), without row filters, at zlib
** level 1; a picture with more than 256 colours falls back to RGB. Nothing
** depends on a clock or the environment: the same pixels give the same bytes.
*/
#ifndef PNG_OUT_H
#define PNG_OUT_H

#include "sim/sim_err.h"

#include <stddef.h>
#include <stdio.h>

/* Write the PNM image pnm[0..len) (P4, P5 with maxval 255, or P6 with maxval
** 255; comments allowed in the header) to fp as a PNG. 0 on success; -1 with
** err set when the PNM is malformed or libpng fails. The caller owns fp and
** pnm; nothing here keeps a pointer to either. */
int png_out_from_pnm(FILE *fp, const unsigned char *pnm, size_t len, const char *what,
                     sim_err *err);

#endif
