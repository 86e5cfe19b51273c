/*
** cli_text.h - bounded text helpers for the subcommands' labels.
**
** cli_label joins KEY=VALUE pairs into one legend label ("a=1, b=2") in a
** fixed buffer. Keys and values come from the command line and may be far
** longer than the buffer (a scenario `description` allows 4 096 bytes), so
** the join never writes past `cap`: it stops at the buffer's end and marks
** the cut with "...". snprintf's return value is the length it *wanted* to
** write; adding it to an offset without a bound is the overflow this module
** exists to avoid.
**
** cli_metric_text writes one metric the way every command's console does
** (`run`, `load`, and `sweep` for a value that is not a plain mean): a value
** cut off by the run's end as a lower bound with its reason, never "nan".
** cli_print_flow prints the message-flow lines `run` and `load` share.
*/
#ifndef CLI_TEXT_H
#define CLI_TEXT_H

#include "sim/sim_table.h"

#include <stddef.h>

/* Write "k0=v0, k1=v1, ..." (n pairs) into buf (cap > 0 bytes, always
** NUL-terminated). Returns 1 when the text was cut to fit, else 0. */
int cli_label(char *buf, size_t cap, const char *const *keys, const char *const *vals, size_t n);

/* One metric for the console, in buf (n bytes), returned: "-" when absent;
** not measured, its status, or ">= BOUND (not reached within the run)" /
** "(not finished when the run ended)"; "never" for a time that never
** comes; else the value with its unit and 95% interval, a count of exactly
** 1 with its unit in the singular ("1 msg [0 msgs, 3 msgs]"). */
const char *cli_metric_text(const sim_metrics *m, const char *name, char *buf, size_t n);

/* How a command writes one metric for the console (NAME absent: "-"). */
typedef const char *(*cli_metric_text_fn)(const sim_metrics *m, const char *name, char *buf,
                                          size_t n);

/* The two console lines every run prints, simulated or real:
** "  published ..., consumed ..., duplicates ..., lost ..." and
** "  delay p50 ..., p99 ..., max ...", each value through `text`, and
** between them the messages still pending at the end when there are any
** (not called lost: what becomes of them after the end is not simulated);
** the delay line names the undelivered share where it moves the p99. */
void cli_print_flow(const sim_metrics *m, cli_metric_text_fn text);

#endif
