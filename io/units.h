/*
** units.h - strict parsers for the quantities a scenario file writes as text:
** durations, sizes, bandwidths, rates, fractions, plain numbers and times of
** day, plus a compact duration formatter for summaries.
**
** Why strict: a scenario is a prediction's input, and a silently misread
** number ("500" meaning 500 s or 500 ms?) is worse than an error. So a
** duration must carry its unit, and every parser rejects negative values,
** NaN, infinities, hex, exponents where a unit is expected, overflow and
** trailing junk. The grammar of a quantity with a unit is
**     DIGITS [ "." DIGITS ] UNIT      (or "." DIGITS UNIT)
** (a duration may chain such parts, largest unit first: "1h30m")
** with no sign, no spaces and no exponent; plain numbers (rates, sigma,
** multiplier) also accept an exponent ("1e6") but never a sign on durations.
**
** Errors: every function returns 0 on success, or -1 with `err` (may be
** NULL) holding a message WITHOUT a location prefix ("expected a duration
** with a unit ..."); the scenario loader prefixes "file:line:col: ".
** Nothing here allocates. O(length of text).
*/
#ifndef UNITS_H
#define UNITS_H

#include "sim/sim_err.h"

#include <stddef.h>

/* Largest duration any parser accepts: 3650 d. Fields narrow it further. */
#define UNITS_MAX_DURATION_S (3650.0 * 86400.0)

/* "500ms", "30s", "5m", "2h", "1d", "1.5s", "250us", "0s" -> seconds, and
** compound "1h30m", "9m40s", "1d2h" (largest unit first, each once: what
** units_format_duration prints reads back). A bare number is an error. */
int units_duration(const char *text, double *seconds, sim_err *err);

/* "512B", "4KB" (1000), "1KiB" (1024), "MB"/"MiB", "GB"/"GiB" -> bytes.
** A bare number is an error. At most 1 TiB. */
int units_size(const char *text, double *bytes, sim_err *err);

/* "10Mbps", "1.5Gbps", "512Kbps" -> megabits per second; "0" (bare zero)
** is accepted and means unlimited. */
int units_bandwidth(const char *text, double *mbps, sim_err *err);

/* A finite, non-negative plain number ("500", "12.5", "1e6"). Used for rates
** in msg/s (no unit suffix) and for dimensionless parameters. */
int units_number(const char *text, double *value, sim_err *err);

/* A fraction in [0, 1], written "0.1" or "10%". */
int units_fraction(const char *text, double *value, sim_err *err);

/* Time of day "HH:MM" (00:00 .. 23:59) -> seconds after midnight. */
int units_time_of_day(const char *text, double *seconds, sim_err *err);

/* Write `seconds` compactly: "10m", "1h30m", "1.5s", "250ms", "0s".
** Truncates to fit `len` (always NUL-terminated when len > 0). */
void units_format_duration(double seconds, char *buf, size_t len);

/* A value with its unit as people write it: "n/a" for NAN; seconds from
** 120 s up as a duration ("15m", "1h30m"); magnitudes from 10 000 up
** rounded in groups of three digits ("2 361 820 msgs"); anything else with
** four significant digits ("1.2 s", "0.0944 s", "400 msg/s"). A "ratio"
** unit is not printed. Truncates to fit `len`. */
void units_format_human(double v, const char *unit, char *buf, size_t len);

#endif
