/*
** scn_change.h - the io half of a change type: how its scenario block is
** parsed, checked and written back, and the registry that lists them.
**
** The model half of a change type is its mq_change_ops table
** (models/change/mq_change.h); models/ may not include io/, so the parsing
** half lives here and points at the model half. The scenario loader
** (io/scn_load.c, io/scn_schema.c), the summary writer (io/out_json.c) and
** the report (io/report.c) loop over scn_changes[]; none names a change
** type. The block's key is ops->key.
*/
#ifndef SCN_CHANGE_H
#define SCN_CHANGE_H

#include "io/scn_yaml.h"
#include "models/change/mq_change.h"
#include "models/mq_scenario.h"
#include "sim/sim_err.h"

#include <cyaml/cyaml.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct scn_change_io {
    const mq_change_ops *ops;           /* the model half; its key names the block */
    const cyaml_schema_field_t *fields; /* the block's mapping (libcyaml) */
    size_t raw_size;                    /* the raw struct those fields fill */
    /* Convert and check raw (borrowed; file and idx give messages their
    ** line:col) into s->change (owned by s from the moment it is set, even
    ** on error), appending warnings to s->warnings. Runs after the rest of
    ** the scenario is loaded. 0 ok; -1 with err = "FILE:LINE:COL: ...". */
    int (*load)(const char *file, const scn_index *idx, const void *raw, mq_scenario *s,
                sim_err *err);
    /* The loaded change (of scenario s) as summary.json writes it under its
    ** key (a new reference; out-of-memory is fatal, as in out_json.c). */
    json_t *(*to_json)(const mq_scenario *s, const void *cfg);
    /* Optional: the report's recommendation for this change, read back from
    ** that JSON and summary.json's metrics array (out_metrics_find), into
    ** buf (n bytes); true when there is one. */
    bool (*json_advice)(json_t *change, json_t *metrics, char *buf, size_t n);
} scn_change_io;

/* The registry, NULL-terminated (io/change/scn_changes.c). */
extern const scn_change_io *const scn_changes[];
/* Room the top-level schema keeps for change blocks. */
#define SCN_MAX_CHANGES 8

/* Where a change block's loader reports: the file's name, the pre-pass
** index and the error buffer (all borrowed). */
typedef struct scn_change_ctx {
    const char *file;
    const scn_index *idx;
    sim_err *err;
} scn_change_ctx;

/* Helpers for a change type's loader, so every block reports the same way.
** path is the full key path ("rolling_restart.nodes[1]"). */
/* Position of path's value (scalars) or key (collections), or of the
** nearest enclosing node when it is absent; {1, 1} when none is. */
mq_loc scn_change_where(const scn_index *idx, const char *path);
/* err = "FILE:LINE:COL: path: message" at scn_change_where(path); -1. */
__attribute__((format(printf, 5, 6)))
int scn_change_fail(const char *file, const scn_index *idx, sim_err *err, const char *path,
                    const char *fmt, ...);
/* Append "FILE:LINE:COL: path: message" to s->warnings (out of memory
** ends the process, SIM_NEED_OK). */
__attribute__((format(printf, 5, 6)))
void scn_change_warn(const char *file, const scn_index *idx, mq_scenario *s, const char *path,
                     const char *fmt, ...);
/* A duration at path in (lo, hi] (lo_open) or [lo, hi]; text NULL leaves
** *out alone. 0, or -1 with err at path. */
int scn_change_duration(const char *file, const scn_index *idx, sim_err *err, const char *path,
                        const char *text, double lo, bool lo_open, double hi, double *out);

#endif
