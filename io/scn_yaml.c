/*
** scn_yaml.c - the libyaml event pre-pass and node index (see scn_yaml.h).
**
** Design: two passes over libyaml's events (parsing is cheap next to the
** 4 MiB cap). Pass 1 checks only limits - aliases, anchors, tags, scalar
** length, depth, node count - so a resource problem is reported as such
** before any shape error, and nothing is indexed yet. Pass 2 keeps an explicit
** stack of open collections (depth is capped, so the stack is a fixed
** array) and builds the index. Each frame
** remembers the libcyaml schema of its collection, so a key can be checked
** against the schema's field list the moment it is read, and a value's shape
** and (for integers, booleans, enums, strings) its text against the field's
** schema. Errors stop the pass at once; nothing is ever expanded or built
** beyond the index, which is bounded by SCN_MAX_NODES and the file size.
**
** libyaml marks are 0-based (line, column in characters); everything stored
** and printed here is 1-based.
*/
#include "io/scn_yaml.h"
#include "sim/sim_mem.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define KEY_MAX 48   /* longer keys cannot be schema keys */
#define MAX_FIELDS 64

/* ------------------------------------------------------------------ */
/* suggestions                                                         */

size_t scn_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) return (size_t)-1 / 2;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            int ca = a[i - 1], cb = b[j - 1];
            if (ca >= 'A' && ca <= 'Z') ca += 'a' - 'A';
            if (cb >= 'A' && cb <= 'Z') cb += 'a' - 'A';
            size_t best = diag + (ca != cb);
            if (row[j] + 1 < best) best = row[j] + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            diag = row[j];
            row[j] = best;
        }
    }
    return row[lb];
}

const char *scn_suggest(const char *word, const char *const *cands, size_t n)
{
    const char *best = NULL;
    size_t bestd = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        size_t d = scn_edit_distance(word, cands[i]);
        if (d < bestd) bestd = d, best = cands[i];
    }
    size_t wl = strlen(word);
    if (best && (bestd <= 2 || bestd <= wl / 3) && bestd < wl) return best;
    return NULL;
}

void scn_join(const char *const *cands, size_t n, char *buf, size_t len)
{
    if (!buf || len == 0) return;
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int k = snprintf(buf + off, len - off, "%s%s", i ? ", " : "", cands[i]);
        if (k < 0 || (size_t)k >= len - off) {
            if (len > 4) snprintf(buf + len - 4, 4, "...");
            return;
        }
        off += (size_t)k;
    }
}

/* ------------------------------------------------------------------ */
/* index                                                               */

void scn_index_free(scn_index *idx)
{
    if (!idx) return;
    for (size_t i = 0; i < idx->n; i++) {
        free(idx->v[i].path);
        free(idx->v[i].value);
    }
    free(idx->v);
    *idx = (scn_index){0};
}

static int node_cmp(const void *a, const void *b)
{
    return strcmp(((const scn_node *)a)->path, ((const scn_node *)b)->path);
}

const scn_node *scn_index_get(const scn_index *idx, const char *path)
{
    if (!idx || !idx->n) return NULL;
    scn_node key = {.path = (char *)path};
    return bsearch(&key, idx->v, idx->n, sizeof *idx->v, node_cmp);
}

/* ------------------------------------------------------------------ */
/* the pass                                                            */

typedef struct frame {
    const cyaml_schema_value_t *schema; /* NULL: unchecked subtree */
    size_t node;                        /* index of the collection's node */
    bool is_map;
    bool want_key;
    char key[KEY_MAX + 1];              /* pending key (maps) */
    int kline, kcol;
    const cyaml_schema_value_t *child;  /* schema of the pending value */
    int field;                          /* field index of pending key, -1 */
    uint64_t seen;                      /* fields seen (maps) */
    size_t count;
} frame;

typedef struct pass {
    const char *name;
    sim_err *err;
    scn_index *idx;
    scn_poly_fn poly;
    frame stack[SCN_MAX_DEPTH + 1];
    int depth;
} pass;

static const char *shown(const char *path) { return *path ? path : "the top level"; }

static int add_node(pass *ps, char *path, scn_kind kind, const yaml_mark_t *m,
                    int kline, int kcol, const char *value, size_t vlen,
                    size_t *out)
{
    scn_index *idx = ps->idx;
    if (idx->n >= SCN_MAX_NODES) {
        free(path);
        return sim_err_at(ps->err, ps->name, (int)m->line + 1, (int)m->column + 1,
                          "too many YAML nodes (more than %d); a scenario "
                          "is far smaller", SCN_MAX_NODES);
    }
    if (sim_grow((void **)&idx->v, &idx->cap, idx->n + 1, sizeof *idx->v)) {
        free(path);
        sim_oom(__FILE__, __LINE__, "out of memory");
    }
    scn_node *nd = &idx->v[idx->n];
    *nd = (scn_node){.path = path, .kind = kind, .line = (int)m->line + 1,
                     .col = (int)m->column + 1, .kline = kline, .kcol = kcol};
    if (!nd->kline) nd->kline = nd->line, nd->kcol = nd->col;
    if (value) {
        nd->value = malloc(vlen + 1);
        SIM_NEED(nd->value != NULL, "out of memory");
        memcpy(nd->value, value, vlen);
        nd->value[vlen] = '\0';
    }
    *out = idx->n++;
    return 0;
}

static char *child_path(const pass *ps, const frame *f)
{
    const char *parent = ps->idx->v[f->node].path;
    size_t n = strlen(parent) + KEY_MAX + 24;
    char *p = malloc(n);
    if (!p) return NULL;
    if (f->is_map)
        snprintf(p, n, "%s%s%s", parent, *parent ? "." : "", f->key);
    else
        snprintf(p, n, "%s[%zu]", parent, f->count);
    return p;
}

static const char *type_word(const cyaml_schema_value_t *s)
{
    switch (s->type) {
    case CYAML_INT: return "an integer";
    case CYAML_UINT: return "a non-negative integer";
    case CYAML_BOOL: return "true or false";
    case CYAML_ENUM: return "one of the listed words";
    case CYAML_FLOAT: return "a number";
    case CYAML_STRING: return "a single value";
    case CYAML_MAPPING: return "a mapping (key: value lines)";
    case CYAML_SEQUENCE:
    case CYAML_SEQUENCE_FIXED: return "a list (\"- item\" lines or [a, b])";
    default: return "a value";
    }
}

static const char *event_word(const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_MAPPING_START_EVENT: return "a mapping";
    case YAML_SEQUENCE_START_EVENT: return "a list";
    default: return "a single value";
    }
}

static bool is_null(const yaml_event_t *ev)
{
    if (ev->type != YAML_SCALAR_EVENT || !ev->data.scalar.plain_implicit)
        return false;
    if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return false;
    const char *v = (const char *)ev->data.scalar.value;
    return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
           !strcmp(v, "NULL");
}

/* Strict integer check: optional '-' (signed only), decimal digits, and the
** value fits in `size` bytes. */
static int check_int(pass *ps, const char *path, const char *v, bool is_signed,
                     size_t size, int line, int col)
{
    const char *p = v;
    bool neg = false;
    if (*p == '-' || *p == '+') neg = *p++ == '-';
    bool digits = *p != '\0';
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9') digits = false;
    if (!digits)
        return sim_err_at(ps->err, ps->name, line, col,
                          "%s: '%s' is not %s", path, v,
                          is_signed ? "an integer" : "a non-negative integer");
    if (p[0] == '0' && p[1])
        return sim_err_at(ps->err, ps->name, line, col,
                          "%s: '%s' has a leading zero; write a plain decimal "
                          "integer (YAML would read it as octal)", path, v);
    if (neg && !is_signed)
        return sim_err_at(ps->err, ps->name, line, col,
                          "%s: '%s' must not be negative", path, v);
    errno = 0;
    if (is_signed) {
        long long x = strtoll(v, NULL, 10);
        long long lim = size >= 8 ? INT64_MAX : size == 4 ? INT32_MAX
                      : size == 2 ? INT16_MAX : INT8_MAX;
        if (errno == ERANGE || x > lim || x < -lim - 1)
            return sim_err_at(ps->err, ps->name, line, col,
                              "%s: %s is out of range (at most %lld)", path, v, lim);
    } else {
        unsigned long long x = strtoull(p, NULL, 10);
        unsigned long long lim = size >= 8 ? UINT64_MAX : size == 4 ? UINT32_MAX
                               : size == 2 ? UINT16_MAX : UINT8_MAX;
        if (errno == ERANGE || x > lim)
            return sim_err_at(ps->err, ps->name, line, col,
                              "%s: %s is out of range (at most %llu)", path, v, lim);
    }
    return 0;
}

static int check_scalar(pass *ps, const cyaml_schema_value_t *s, const char *path,
                        const yaml_event_t *ev)
{
    int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
    const char *v = (const char *)ev->data.scalar.value;
    if (is_null(ev))
        return sim_err_at(ps->err, ps->name, line, col,
                          "%s has no value; expected %s", path, type_word(s));
    switch (s->type) {
    case CYAML_INT:
    case CYAML_UINT:
        return check_int(ps, path, v, s->type == CYAML_INT, s->data_size, line, col);
    case CYAML_BOOL:
        if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE") ||
            !strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "FALSE"))
            return 0;
        return sim_err_at(ps->err, ps->name, line, col,
                          "%s: '%s' is not a boolean; expected true or false",
                          path, v);
    case CYAML_ENUM: {
        const char *names[32];
        size_t n = 0;
        for (uint32_t i = 0; i < s->enumeration.count && n < 32; i++) {
            if (!strcmp(v, s->enumeration.strings[i].str)) return 0;
            /* aliases with the same value are listed once */
            bool dup = false;
            for (size_t j = 0; j < n; j++)
                if (!strcmp(names[j], s->enumeration.strings[i].str)) dup = true;
            if (!dup) names[n++] = s->enumeration.strings[i].str;
        }
        char list[512];
        scn_join(names, n, list, sizeof list);
        const char *near = scn_suggest(v, names, n);
        if (near)
            return sim_err_at(ps->err, ps->name, line, col,
                              "%s: unknown value '%s'; did you mean '%s'? "
                              "expected one of: %s", path, v, near, list);
        return sim_err_at(ps->err, ps->name, line, col,
                          "%s: unknown value '%s'; expected one of: %s",
                          path, v, list);
    }
    case CYAML_FLOAT: {
        char *end = NULL;
        errno = 0;
        double d = strtod(v, &end);
        if (end == v || *end || errno == ERANGE || d != d || d - d != 0)
            return sim_err_at(ps->err, ps->name, line, col,
                              "%s: '%s' is not a finite number", path, v);
        return 0;
    }
    case CYAML_STRING: {
        size_t len = ev->data.scalar.length;
        if (len < s->string.min)
            return sim_err_at(ps->err, ps->name, line, col,
                              "%s must not be empty", path);
        if (s->string.max != CYAML_UNLIMITED && len > s->string.max)
            return sim_err_at(ps->err, ps->name, line, col,
                              "%s is too long (%zu bytes; at most %u)", path,
                              len, s->string.max);
        return 0;
    }
    default:
        return 0;
    }
}

/* The schema's field list at a mapping, for lookups and suggestions. */
static int field_index(const cyaml_schema_value_t *s, const char *key)
{
    const cyaml_schema_field_t *f = s->mapping.fields;
    for (int i = 0; f[i].key; i++)
        if (!strcmp(f[i].key, key)) return i;
    return -1;
}

static int unknown_key(pass *ps, const frame *f, const char *key, int line, int col)
{
    const char *names[MAX_FIELDS];
    size_t n = 0;
    const cyaml_schema_field_t *fl = f->schema->mapping.fields;
    for (; fl[n].key && n < MAX_FIELDS; n++) names[n] = fl[n].key;
    const char *path = shown(ps->idx->v[f->node].path);
    const char *near = scn_suggest(key, names, n);
    char list[768];
    scn_join(names, n, list, sizeof list);
    if (near)
        return sim_err_at(ps->err, ps->name, line, col,
                          "unknown key '%.64s' in %s; did you mean '%s'?",
                          key, path, near);
    return sim_err_at(ps->err, ps->name, line, col,
                      "unknown key '%.64s' in %s; known keys: %s", key, path, list);
}

/* A key scalar arrived in map frame f. */
static int on_key(pass *ps, frame *f, const yaml_event_t *ev)
{
    int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
    if (ev->type != YAML_SCALAR_EVENT)
        return sim_err_at(ps->err, ps->name, line, col,
                          "a key in %s is %s; keys must be plain words",
                          shown(ps->idx->v[f->node].path), event_word(ev));
    const char *key = (const char *)ev->data.scalar.value;
    size_t klen = ev->data.scalar.length;
    f->field = -1;
    f->child = NULL;
    if (f->schema) {
        int fi = klen <= KEY_MAX ? field_index(f->schema, key) : -1;
        if (fi < 0) return unknown_key(ps, f, key, line, col);
        if (f->seen & ((uint64_t)1 << fi)) {
            /* find where it was first given, for the message */
            const char *parent = ps->idx->v[f->node].path;
            int fl = 0, fc = 0;
            char want[1024];
            snprintf(want, sizeof want, "%s%s%s", parent, *parent ? "." : "", key);
            for (size_t i = ps->idx->n; i-- > f->node;) {
                if (!strcmp(ps->idx->v[i].path, want)) {
                    fl = ps->idx->v[i].kline;
                    fc = ps->idx->v[i].kcol;
                    break;
                }
            }
            return sim_err_at(ps->err, ps->name, line, col,
                              "duplicate key '%s' in %s (first given at %d:%d)",
                              key, shown(parent), fl, fc);
        }
        f->field = fi;
        f->child = &f->schema->mapping.fields[fi].value;
    } else if (klen > KEY_MAX) {
        return sim_err_at(ps->err, ps->name, line, col, "key too long");
    }
    memcpy(f->key, key, klen);
    f->key[klen] = '\0';
    f->kline = line;
    f->kcol = col;
    f->want_key = false;
    return 0;
}

/* A value (scalar or collection start) arrived; schema s describes its slot
** (NULL = unchecked). path is owned and consumed. */
static int on_value(pass *ps, const cyaml_schema_value_t *s, char *path,
                    const char *key, int kline, int kcol, const yaml_event_t *ev)
{
    int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
    const cyaml_schema_value_t *coll = s; /* schema for a pushed frame */
    const char *shown_path = shown(path);
    int rc = 0;

    if (s && s->type == CYAML_IGNORE) {
        coll = NULL;
        const cyaml_schema_value_t *poly = NULL;
        if (key && ps->poly) poly = ps->poly(key);
        if (ev->type == YAML_MAPPING_START_EVENT && poly) {
            coll = poly;
        } else if (ev->type == YAML_SCALAR_EVENT && is_null(ev)) {
            rc = sim_err_at(ps->err, ps->name, line, col,
                            "%s has no value", shown_path);
        } else if (poly && ev->type != YAML_SCALAR_EVENT) {
            rc = sim_err_at(ps->err, ps->name, line, col,
                            "%s must be a single value or a mapping, found %s",
                            shown_path, event_word(ev));
        }
    } else if (s) {
        bool want_map = s->type == CYAML_MAPPING;
        bool want_seq = s->type == CYAML_SEQUENCE || s->type == CYAML_SEQUENCE_FIXED;
        bool is_map = ev->type == YAML_MAPPING_START_EVENT;
        bool is_seq = ev->type == YAML_SEQUENCE_START_EVENT;
        if (want_map != is_map || want_seq != is_seq) {
            if (ev->type == YAML_SCALAR_EVENT && is_null(ev))
                rc = sim_err_at(ps->err, ps->name, line, col,
                                "%s has no value; expected %s", shown_path,
                                type_word(s));
            else if (ev->type == YAML_SCALAR_EVENT)
                rc = sim_err_at(ps->err, ps->name, line, col,
                                "%s must be %s, found the value '%.64s'",
                                shown_path, type_word(s),
                                (const char *)ev->data.scalar.value);
            else
                rc = sim_err_at(ps->err, ps->name, line, col,
                                "%s must be %s, found %s", shown_path,
                                type_word(s), event_word(ev));
        } else if (ev->type == YAML_SCALAR_EVENT) {
            rc = check_scalar(ps, s, shown_path, ev);
        }
    }
    if (rc < 0) {
        free(path);
        return rc;
    }

    size_t ni;
    if (ev->type == YAML_SCALAR_EVENT) {
        return add_node(ps, path, SCN_SCALAR, &ev->start_mark, kline, kcol,
                        (const char *)ev->data.scalar.value,
                        ev->data.scalar.length, &ni);
    }
    bool map = ev->type == YAML_MAPPING_START_EVENT;
    if (ps->depth >= SCN_MAX_DEPTH) {
        free(path);
        return sim_err_at(ps->err, ps->name, line, col,
                          "nesting deeper than %d levels; a scenario needs "
                          "fewer than 10", SCN_MAX_DEPTH);
    }
    if (add_node(ps, path, map ? SCN_MAP : SCN_SEQ, &ev->start_mark, kline,
                 kcol, NULL, 0, &ni) < 0)
        return -1;
    frame *f = &ps->stack[ps->depth++];
    *f = (frame){.schema = coll, .node = ni, .is_map = map, .want_key = map,
                 .field = -1};
    return 0;
}

static int on_end(pass *ps)
{
    frame *f = &ps->stack[--ps->depth];
    scn_node *nd = &ps->idx->v[f->node];
    nd->n = f->count;
    const cyaml_schema_value_t *s = f->schema;
    if (!s) return 0;
    if (f->is_map) {
        const cyaml_schema_field_t *fl = s->mapping.fields;
        for (int i = 0; fl[i].key; i++) {
            if (fl[i].value.flags & CYAML_FLAG_OPTIONAL) continue;
            if (f->seen & ((uint64_t)1 << i)) continue;
            return sim_err_at(ps->err, ps->name, nd->kline, nd->kcol,
                              "missing required key '%s' in %s", fl[i].key,
                              shown(nd->path));
        }
    } else if (s->type == CYAML_SEQUENCE || s->type == CYAML_SEQUENCE_FIXED) {
        if (f->count < s->sequence.min)
            return sim_err_at(ps->err, ps->name, nd->kline, nd->kcol,
                              "%s needs at least %u entr%s, found %zu",
                              shown(nd->path), s->sequence.min,
                              s->sequence.min == 1 ? "y" : "ies", f->count);
        if (s->sequence.max != CYAML_UNLIMITED && f->count > s->sequence.max)
            return sim_err_at(ps->err, ps->name, nd->kline, nd->kcol,
                              "%s has too many entries (%zu; at most %u)",
                              shown(nd->path), f->count, s->sequence.max);
    }
    return 0;
}

/* Pass 1, limits only (no schema): aliases, anchors, foreign tags, scalar
** length, nesting depth and node count. Runs over the whole file before the
** schema pass, so a resource problem is reported as such even where the
** schema would have complained first. */
static int limits(pass *ps, const yaml_event_t *ev, size_t *nodes)
{
    int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
    if (ev->type == YAML_ALIAS_EVENT)
        return sim_err_at(ps->err, ps->name, line, col,
                          "aliases (*%s) are not allowed in scenario files; "
                          "write the value out", (const char *)ev->data.alias.anchor);
    const yaml_char_t *anchor = NULL, *tag = NULL;
    if (ev->type == YAML_SCALAR_EVENT)
        anchor = ev->data.scalar.anchor, tag = ev->data.scalar.tag;
    else if (ev->type == YAML_SEQUENCE_START_EVENT)
        anchor = ev->data.sequence_start.anchor, tag = ev->data.sequence_start.tag;
    else if (ev->type == YAML_MAPPING_START_EVENT)
        anchor = ev->data.mapping_start.anchor, tag = ev->data.mapping_start.tag;
    if (anchor)
        return sim_err_at(ps->err, ps->name, line, col,
                          "anchors (&%s) are not allowed in scenario files",
                          (const char *)anchor);
    if (tag && strncmp((const char *)tag, "tag:yaml.org,2002:", 18) != 0)
        return sim_err_at(ps->err, ps->name, line, col,
                          "unknown tag '%s'; scenario files use no tags",
                          (const char *)tag);
    if (ev->type == YAML_SCALAR_EVENT && ev->data.scalar.length > SCN_MAX_SCALAR)
        return sim_err_at(ps->err, ps->name, line, col,
                          "value too long (%zu bytes; at most %d)",
                          ev->data.scalar.length, SCN_MAX_SCALAR);
    if (ev->type == YAML_SEQUENCE_START_EVENT || ev->type == YAML_MAPPING_START_EVENT) {
        if (ps->depth >= SCN_MAX_DEPTH)
            return sim_err_at(ps->err, ps->name, line, col,
                              "nesting deeper than %d levels; a scenario needs "
                              "fewer than 10", SCN_MAX_DEPTH);
        ps->depth++;
    } else if (ev->type == YAML_SEQUENCE_END_EVENT ||
               ev->type == YAML_MAPPING_END_EVENT) {
        ps->depth--;
    }
    if (ev->type == YAML_SCALAR_EVENT || ev->type == YAML_SEQUENCE_START_EVENT ||
        ev->type == YAML_MAPPING_START_EVENT) {
        if (++*nodes > SCN_MAX_NODES)
            return sim_err_at(ps->err, ps->name, line, col,
                              "too many YAML nodes (more than %d); a scenario "
                              "is far smaller", SCN_MAX_NODES);
    }
    return 0;
}

/* Pass 2: one event of the document body against the schema. */
static int on_event(pass *ps, const cyaml_schema_value_t *top, const yaml_event_t *ev)
{
    int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
    if (ev->type == YAML_MAPPING_END_EVENT || ev->type == YAML_SEQUENCE_END_EVENT) {
        if (on_end(ps) < 0) return -1;
        if (ps->depth > 0) {
            frame *p = &ps->stack[ps->depth - 1];
            p->count++;
            if (p->is_map) p->want_key = true;
        }
        return 0;
    }

    if (ps->depth == 0) {
        /* the root */
        if (ev->type != YAML_MAPPING_START_EVENT)
            return sim_err_at(ps->err, ps->name, line, col,
                              "the file must be a mapping of keys (run, "
                              "instance, clusters, queues, ...), found %s",
                              event_word(ev));
        char *path = strdup("");
        SIM_NEED(path != NULL, "out of memory");
        return on_value(ps, top, path, NULL, 0, 0, ev);
    }

    frame *f = &ps->stack[ps->depth - 1];
    if (f->is_map && f->want_key) return on_key(ps, f, ev);

    char *path = child_path(ps, f);
    SIM_NEED(path != NULL, "out of memory");
    const cyaml_schema_value_t *s = NULL;
    if (f->schema)
        s = f->is_map ? f->child : f->schema->sequence.entry;
    bool collection = ev->type != YAML_SCALAR_EVENT;
    int rc;
    if (f->is_map) {
        if (f->field >= 0) f->seen |= (uint64_t)1 << f->field;
        rc = on_value(ps, s, path, f->key, f->kline, f->kcol, ev);
    } else {
        rc = on_value(ps, s, path, NULL, 0, 0, ev);
    }
    if (rc < 0) return rc;
    if (!collection) {
        f->count++;
        if (f->is_map) f->want_key = true;
    }
    return 0;
}

/* libyaml's reader errors (bad encoding, control characters) carry a byte
** offset instead of a mark; turn it into line:col counting characters. */
static void offset_to_mark(const char *text, size_t len, size_t off,
                           int *line, int *col)
{
    *line = 1, *col = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n') (*line)++, *col = 1;
        else if ((c & 0xC0) != 0x80) (*col)++;
    }
}

static int syntax_error(const char *name, const char *text, size_t len,
                        const yaml_parser_t *p, sim_err *err)
{
    int line = (int)p->problem_mark.line + 1;
    int col = (int)p->problem_mark.column + 1;
    if (p->error == YAML_READER_ERROR) {
        offset_to_mark(text, len, p->problem_offset, &line, &col);
        return sim_err_at(err, name, line, col, "YAML syntax error: %s",
                          p->problem ? p->problem : "?");
    }
    if (p->context)
        return sim_err_at(err, name, line, col,
                          "YAML syntax error: %s (%s at line %d)",
                          p->problem ? p->problem : "?", p->context,
                          (int)p->context_mark.line + 1);
    return sim_err_at(err, name, line, col, "YAML syntax error: %s",
                      p->problem ? p->problem : "?");
}

/* Check that text is UTF-8 without NUL bytes; report the first bad byte. */
static int check_text(const char *name, const unsigned char *t, size_t len,
                      sim_err *err)
{
    int line = 1, col = 1;
    size_t i = 0;
    while (i < len) {
        unsigned c = t[i];
        size_t n = 0;
        unsigned cp = 0;
        if (c == 0)
            return sim_err_at(err, name, line, col,
                              "binary data (a NUL byte); a scenario must be "
                              "UTF-8 YAML text");
        if (c < 0x80) n = 1, cp = c;
        else if (c >= 0xC2 && c <= 0xDF) n = 2, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF) n = 3, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4) n = 4, cp = c & 0x07;
        bool ok = n > 0 && i + n <= len;
        for (size_t k = 1; ok && k < n; k++) {
            if ((t[i + k] & 0xC0) != 0x80) ok = false;
            else cp = (cp << 6) | (t[i + k] & 0x3F);
        }
        if (ok && ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
                   (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))))
            ok = false;
        if (!ok)
            return sim_err_at(err, name, line, col,
                              "invalid UTF-8 (byte 0x%02x); the file must be "
                              "UTF-8 encoded text", c);
        if (c == '\n') line++, col = 1;
        else col++;
        i += n;
    }
    return 0;
}

int scn_yaml_check(const char *name, const char *text, size_t len,
                   const cyaml_schema_value_t *top, scn_poly_fn poly,
                   scn_index *idx, sim_err *err)
{
    *idx = (scn_index){0};
    if (len > SCN_MAX_BYTES)
        return sim_err_at(err, name, 0, 0, "the file is too large (%zu bytes; "
                          "at most %zu = 4 MiB)", len, SCN_MAX_BYTES);
    if (check_text(name, (const unsigned char *)text, len, err) < 0) return -1;

    pass *ps = calloc(1, sizeof *ps);
    SIM_NEED(ps != NULL, "out of memory");
    ps->name = name;
    ps->err = err;
    ps->idx = idx;
    ps->poly = poly;
    int rc = 0;
    for (int round = 1; round <= 2 && rc == 0; round++) {
        yaml_parser_t parser;
        SIM_NEED(yaml_parser_initialize(&parser), "out of memory");
        yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
        ps->depth = 0;
        size_t nodes = 0;
        int docs = 0;
        for (bool done = false; !done && rc == 0;) {
            yaml_event_t ev;
            if (!yaml_parser_parse(&parser, &ev)) {
                rc = syntax_error(name, text, len, &parser, err);
                break;
            }
            switch (ev.type) {
            case YAML_STREAM_START_EVENT:
            case YAML_DOCUMENT_END_EVENT:
                break;
            case YAML_STREAM_END_EVENT:
                done = true;
                if (docs == 0)
                    rc = sim_err_at(err, name, 0, 0,
                                    "the file is empty (no YAML document, only "
                                    "comments or blanks); expected a mapping "
                                    "with run, instance, clusters and queues");
                break;
            case YAML_DOCUMENT_START_EVENT:
                if (++docs > 1)
                    rc = sim_err_at(err, name, (int)ev.start_mark.line + 1,
                                    (int)ev.start_mark.column + 1,
                                    "a second YAML document; a scenario file "
                                    "holds exactly one");
                break;
            default:
                rc = round == 1 ? limits(ps, &ev, &nodes) : on_event(ps, top, &ev);
                break;
            }
            yaml_event_delete(&ev);
        }
        yaml_parser_delete(&parser);
    }
    free(ps);
    if (rc < 0) {
        scn_index_free(idx);
        return -1;
    }
    qsort(idx->v, idx->n, sizeof *idx->v, node_cmp);
    return 0;
}
