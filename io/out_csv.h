/*
** out_csv.h - CSV results: summary.csv (one row per metric) and
** timeseries.csv (one row per sample), written atomically through out_file,
** and summary.csv read back for `compare` and `report`.
**
** Output is byte-deterministic: identical tables give identical files.
**   summary.csv    header `metric,value,ci95_low,ci95_high,unit,status,
**                  lower_bound`. status is a sim_status name; a metric not
**                  measured has value "nan" and, when censored, its lower
**                  bound in lower_bound (empty otherwise). Numbers use
**                  the shortest of %.15g/%.16g/%.17g that reads back to the
**                  same double (so 0.1 prints as 0.1, yet every value
**                  round-trips exactly). NAN CI -> empty field; a NAN value
**                  -> "nan", infinities -> "inf"/"-inf".
**   timeseries.csv header = the series' column names, then the label column.
**                  Numbers use %.10g (compact; ten significant digits is
**                  far below simulation noise). Labels are quoted with
**                  csv_fwrite when non-empty, empty otherwise.
** Strings (names, units) are written raw when they consist only of
** [A-Za-z0-9_./%+-:] (the common case, keeps files readable) and quoted with
** csv_fwrite otherwise, so any text survives a round trip.
*/
#ifndef OUT_CSV_H
#define OUT_CSV_H

#include "sim/sim_err.h"
#include "sim/sim_table.h"

/* Format v into buf (>= 32 bytes): digits > 0 uses %.<digits>g; digits == 0
** uses the shortest round-trip form described above. NAN -> "nan",
** +-INFINITY -> "inf"/"-inf" (never "-nan"). Returns buf. */
char *out_fmt_double(char *buf, double v, int digits);

/* Write m to path as summary.csv. */
int out_summary_csv(const char *path, const sim_metrics *m, sim_err *err);

/* Write s to path as timeseries.csv; label_col names the final column (e.g.
** "phase"); NULL omits the label column. */
int out_timeseries_csv(const char *path, const sim_series *s,
                       const char *label_col, sim_err *err);

/* Read a summary.csv written by out_summary_csv (or by hand) into m, which
** must be empty (zeroed or freshly freed). A file with only the first five
** columns reads as all measured. Empty CI fields become NAN; every
** metric gets better = SIM_BETTER_NONE (the file does not record it).
** On error returns -1 with "path:line: message" (line = 1-based CSV row)
** and m is left empty. On success the caller frees m with sim_metrics_free. */
int out_read_summary_csv(const char *path, sim_metrics *m, sim_err *err);

#endif
