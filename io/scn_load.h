/*
** scn_load.h - load a scenario file into a validated mq_scenario.
**
** Three stages, each in its own file: scn_yaml.c (libyaml event pre-pass:
** text, syntax, limits, shape, keys, with line:col and a node index),
** scn_schema.c (libcyaml tables: typed raw structs), and scn_load.c
** (semantics: units, ranges, defaults from client profiles, references
** between entities, cross-checks). The language is documented key by key in
** docs/SCENARIO.md.
**
** Every error is one line "FILE:LINE:COL: what was wrong and what was
** expected" (or "FILE: ..." for whole-file problems such as a missing file,
** a directory, or an empty or oversized file). Nothing prints.
*/
#ifndef SCN_LOAD_H
#define SCN_LOAD_H

#include "models/mq_scenario.h"
#include "sim/sim_err.h"

#include <stddef.h>

/* Load and validate FILE into *out (zeroed first). 0 ok; -1 with err filled
** as "FILE:LINE:COL: what was wrong and what was expected". On error *out is
** left empty (everything freed). On success the caller owns *out and frees
** it with mq_scenario_free(). PATH "-" reads standard input (messages then
** name "<stdin>"); it is read once per process and reused by later loads. */
int scn_load_file(const char *path, mq_scenario *out, sim_err *err);

/* The text of the scenario at PATH ("-": standard input, as scn_load_file
** reads it) in a malloc'ed buffer of *len bytes the caller frees; the
** loader's size limit applies. 0 ok; -1 with err filled. */
int scn_read_file(const char *path, char **text, size_t *len, sim_err *err);

/* Same from a memory buffer of len bytes (need not be NUL-terminated);
** `name` is used as the path in messages and for the default scenario
** name. The buffer is borrowed for the call only. */
int scn_load_string(const char *name, const char *text, size_t len,
                    mq_scenario *out, sim_err *err);

/* One-line human summary, e.g. "steady-state: rabbitmq professional shared,
** 1 cluster, 2 brokers, 1 queue, 2 producer groups (10 clients, 500 msg/s),
** 1 consumer group (4 clients), backlog 0, 0 events, 10m run".
** Truncated to fit len; always NUL-terminated when len > 0. */
void scn_summary(const mq_scenario *s, char *buf, size_t len);

#endif
