/*
** report.h - the pre-change risk report: report.md and report.html, written
** from the files of a results folder (summary.json, plus every *.png).
**
** The report is built only from what `mqsim run` (or `mqsim load`) wrote,
** never from the model, so `mqsim report DIR` works on any results folder
** of the shared schema, later and elsewhere. Sections: verdict, budget
** table, change effect (paired deltas), phase/event timeline, plots,
** duplicates/losses by cause, per-client-group table, billing, assumptions
** the run relied on, recommendations computed from the numbers, all metrics
** with their CIs, and warnings. Sections whose data the folder lacks say so.
**
** report.html is one self-contained file: inline CSS, no script, the plots
** embedded as base64 PNG data: URIs, no external URL, so it opens offline
** in any browser. report.md refers to the PNGs next to it by file name.
** Both are written atomically (out_file).
*/
#ifndef REPORT_H
#define REPORT_H

#include "sim/sim_err.h"
#include "sim/sim_table.h"

#include <stddef.h>

/* Write DIR/report.md and DIR/report.html. 0, or -1 with err filled
** ("DIR/summary.json: ..." for a missing or malformed summary). */
int report_write(const char *dir, sim_err *err);

/* Read a results folder's metrics into m (must be empty): from
** summary.json when present (with "better" and the run mode), else from
** summary.csv (every metric better = none, mode "unknown"). A summary.json
** that exists but cannot be opened or parsed is an error, never a reason
** to read the CSV instead. mode (may be
** NULL) receives "sim", "real", ... (truncated to mlen). 0, or -1 with err
** filled. Caller frees m with sim_metrics_free. */
int report_read_metrics(const char *dir, sim_metrics *m, char *mode, size_t mlen,
                        sim_err *err);

/* Standard base64 (RFC 4648, padded) of n bytes into a new NUL-terminated
** string the caller frees; NULL on out-of-memory. */
char *report_base64(const unsigned char *data, size_t n);

#endif
