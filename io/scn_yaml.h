/*
** scn_yaml.h - the libyaml event pre-pass over a scenario file, and the node
** index it builds.
**
** libcyaml loads a well-formed file into typed structs, but it cannot report
** syntax errors, duplicate keys or resource limits well, and its messages
** lack suggestions. So before libcyaml sees a byte, scn_yaml_check() walks
** libyaml's event stream alongside the libcyaml schema and rejects, each at
** its own 1-based line:col:
**   - bytes that are not UTF-8 text (NUL, invalid sequences), files over
**     SCN_MAX_BYTES, nesting over SCN_MAX_DEPTH, more than SCN_MAX_NODES
**     nodes, scalars over SCN_MAX_SCALAR bytes, anchors and aliases (no
**     "billion laughs": nothing is ever expanded), several documents;
**   - YAML syntax errors (libyaml's problem and context);
**   - unknown keys, with "did you mean" from the schema's keys at that level;
**   - duplicate keys, with the first one's position;
**   - a mapping, list or single value where the schema wants another shape;
**   - integers, booleans and enum values that do not parse strictly (libcyaml
**     itself would read "1.5" as 1 and "maybe" as true);
**   - missing required keys, too few or too many list entries.
** Whatever it accepts, libcyaml loads without error (its log is still
** captured as a backstop).
**
** The index maps every node's path ("producers[1].rate.steps[0].at", "" for
** the root) to its marks, kind, child count and scalar text, so checks that
** run after the typed load can report the exact line:col, and polymorphic
** keys (rate) can be read from it. Lookups are O(log n) after the pass
** sorts it. Cost of the pass: O(file size + nodes log nodes).
*/
#ifndef SCN_YAML_H
#define SCN_YAML_H

#include "sim/sim_err.h"

#include <cyaml/cyaml.h>
#include <stddef.h>

#define SCN_MAX_BYTES ((size_t)4 << 20) /* 4 MiB */
#define SCN_MAX_DEPTH 64
#define SCN_MAX_NODES 100000
#define SCN_MAX_SCALAR 65536

typedef enum scn_kind { SCN_SCALAR, SCN_SEQ, SCN_MAP } scn_kind;

typedef struct scn_node {
    char *path;          /* owned */
    scn_kind kind;
    int line, col;       /* where the value starts, 1-based */
    int kline, kcol;     /* where its key starts; = line, col if none */
    char *value;         /* scalar text (owned), NULL for collections */
    size_t n;            /* number of entries (sequence) or keys (mapping) */
} scn_node;

typedef struct scn_index {
    scn_node *v;
    size_t n, cap;
} scn_index;

/* For a key whose schema is CYAML_IGNORE: the mapping schema its value may
** take instead of a single value, or NULL (then a collection is an error). */
typedef const cyaml_schema_value_t *(*scn_poly_fn)(const char *key);

/* Validate `text` (len bytes; need not be NUL-terminated) against `top`,
** filling idx (its previous contents are discarded, not freed: pass a zeroed
** one). `name` is the path used in messages; `poly` may be NULL.
** 0 ok; -1 with err = "name:line:col: message" (or "name: message" for
** whole-file problems). On error idx is freed. */
int scn_yaml_check(const char *name, const char *text, size_t len,
                   const cyaml_schema_value_t *top, scn_poly_fn poly,
                   scn_index *idx, sim_err *err);

/* The node at `path`, or NULL. Borrowed until scn_index_free. */
const scn_node *scn_index_get(const scn_index *idx, const char *path);

void scn_index_free(scn_index *idx);

/* Levenshtein distance, case-insensitive (ASCII). O(|a|·|b|); strings over
** 64 bytes count as "far" (returns a large number). */
size_t scn_edit_distance(const char *a, const char *b);

/* The candidate nearest to `word` if it is close enough to be a likely typo
** (distance <= 2, or <= a third of the word's length), else NULL. */
const char *scn_suggest(const char *word, const char *const *cands, size_t n);

/* Write "a, b, c" into buf (truncated with "..." if it does not fit). */
void scn_join(const char *const *cands, size_t n, char *buf, size_t len);

#endif
