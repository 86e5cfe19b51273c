/*
** scn_override.c - KEY=VALUE settings on scenario YAML (see scn_override.h).
**
** The text is loaded with libyaml's document API (node tree with marks),
** each path is walked and its scalar replaced or added, and the document is
** emitted back to text with libyaml's emitter. Comments and layout are not
** preserved (they do not matter to the loader); values and structure are.
*/
#include "io/scn_override.h"
#include "io/scn_load.h"
#include "io/change/scn_change.h"
#include "sim/sim_mem.h"

#include <errno.h>
#include <stdio.h>

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define CHANGE_SEG "change" /* first segment naming the change block, any type */

typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static int write_handler(void *data, unsigned char *bytes, size_t size)
{
    buf *b = data;
    if (sim_grow((void **)&b->p, &b->cap, b->n + size + 1, 1)) return 0;
    memcpy(b->p + b->n, bytes, size);
    b->n += size;
    b->p[b->n] = '\0';
    return 1;
}

static yaml_node_t *map_get(yaml_document_t *d, yaml_node_t *map, const char *key,
                            yaml_node_pair_t **pair_out)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(d, p->key);
        if (k && k->type == YAML_SCALAR_NODE && !strcmp((char *)k->data.scalar.value, key)) {
            if (pair_out) *pair_out = p;
            return yaml_document_get_node(d, p->value);
        }
    }
    return NULL;
}

/* Resolve one segment against a node: mapping key, `[i]`, or a sequence
** item's name. Returns the node id, 0 if absent. */
static int child(yaml_document_t *d, int id, const char *seg)
{
    yaml_node_t *n = yaml_document_get_node(d, id);
    if (!n) return 0;
    if (n->type == YAML_MAPPING_NODE) {
        yaml_node_pair_t *p = NULL;
        return map_get(d, n, seg, &p) ? p->value : 0;
    }
    if (n->type != YAML_SEQUENCE_NODE) return 0;
    yaml_node_item_t *items = n->data.sequence.items.start;
    long count = n->data.sequence.items.top - items;
    if (seg[0] == '[') {
        char *end;
        long i = strtol(seg + 1, &end, 10);
        if (*end != ']' || end[1] || i < 0 || i >= count) return 0;
        return items[i];
    }
    for (long i = 0; i < count; i++) {
        yaml_node_t *it = yaml_document_get_node(d, items[i]);
        if (!it || it->type != YAML_MAPPING_NODE) continue;
        yaml_node_t *name = map_get(d, it, "name", NULL);
        if (name && name->type == YAML_SCALAR_NODE && !strcmp((char *)name->data.scalar.value, seg))
            return items[i];
    }
    return 0;
}

/* The key of the root's change block (a registered change type's key,
** scn_changes[]), or NULL when it has none. */
static const char *change_block(yaml_document_t *d)
{
    for (size_t i = 0; scn_changes[i]; i++)
        if (child(d, 1, scn_changes[i]->ops->key)) return scn_changes[i]->ops->key;
    return NULL;
}

static int set_one(yaml_document_t *d, const char *key, const char *value, sim_err *err)
{
    char path[512];
    if (strlen(key) >= sizeof path || !*key)
        return sim_err_set(err, "--set: key '%s' is empty or too long", key);
    /* split "a.b[0].c" into segments "a", "b", "[0]", "c" */
    char segs[32][128];
    int ns = 0;
    const char *p = key;
    while (*p) {
        if (ns == 32) return sim_err_set(err, "--set: key '%s' is too deep", key);
        size_t l = 0;
        if (*p == '[') {
            while (p[l] && p[l] != ']') l++;
            if (p[l] == ']') l++;
        } else {
            while (p[l] && p[l] != '.' && p[l] != '[') l++;
        }
        if (l == 0 || l >= sizeof segs[0])
            return sim_err_set(err, "--set: cannot read key '%s' (expected a.b.c or a[0].b)", key);
        memcpy(segs[ns], p, l);
        segs[ns++][l] = '\0';
        p += l;
        if (*p == '.') p++;
    }
    if (ns > 1 && !strcmp(segs[0], CHANGE_SEG) && !child(d, 1, CHANGE_SEG)) {
        const char *blk = change_block(d);
        if (!blk) return sim_err_set(err, "--set %s: the scenario has no change section", key);
        snprintf(segs[0], sizeof segs[0], "%s", blk);
    }
    int id = 1; /* root */
    path[0] = '\0';
    for (int i = 0; i < ns - 1; i++) {
        int next = child(d, id, segs[i]);
        strncat(path, segs[i], sizeof path - strlen(path) - 1);
        if (!next) return sim_err_set(err, "--set %s: the scenario has no '%s'", key, path);
        id = next;
        if (segs[i + 1][0] != '[') strncat(path, ".", sizeof path - strlen(path) - 1);
    }
    yaml_node_t *parent = yaml_document_get_node(d, id);
    const char *last = segs[ns - 1];
    int target = child(d, id, last);
    if (target) {
        yaml_node_t *t = yaml_document_get_node(d, target);
        if (t->type != YAML_SCALAR_NODE)
            return sim_err_set(err, "--set %s: that key holds a %s, not a single value", key,
                               t->type == YAML_MAPPING_NODE ? "mapping" : "list");
        yaml_char_t *v = (yaml_char_t *)strdup(value);
        SIM_NEED(v != NULL, "out of memory");
        free(t->data.scalar.value);
        t->data.scalar.value = v;
        t->data.scalar.length = strlen(value);
        t->data.scalar.style = YAML_ANY_SCALAR_STYLE;
        return 0;
    }
    if (!parent || parent->type != YAML_MAPPING_NODE || last[0] == '[')
        return sim_err_set(err, "--set %s: the scenario has no '%s%s'", key, path, last);
    int k = yaml_document_add_scalar(d, NULL, (yaml_char_t *)last, -1, YAML_ANY_SCALAR_STYLE);
    int v = yaml_document_add_scalar(d, NULL, (yaml_char_t *)value, -1, YAML_ANY_SCALAR_STYLE);
    SIM_NEED(k && v && yaml_document_append_mapping_pair(d, id, k, v), "out of memory");
    return 0;
}

/* Offset of the first byte of s that does not start or continue a valid
** UTF-8 sequence (overlong forms, surrogates and code points above
** U+10FFFF included), or -1 when s is valid. libyaml's emitter does not
** check its scalars, and a scenario is UTF-8 text (docs/SCENARIO.md). */
static long bad_utf8(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    for (size_t i = 0; s[i];) {
        unsigned c = s[i];
        size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
                 : (c & 0xf8) == 0xf0 ? 4 : 0;
        if (!n) return (long)i;
        unsigned cp = n == 1 ? c : c & (0x7f >> n);
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xc0) != 0x80) return (long)i;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        static const unsigned min[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return (long)i;
        i += n;
    }
    return -1;
}

int scn_override_apply(const char *text, size_t len, const char *const *keys,
                       const char *const *values, size_t n, char **out,
                       size_t *outlen, sim_err *err)
{
    *out = NULL;
    for (size_t i = 0; i < n; i++) {
        long at = bad_utf8(keys[i]);
        if (at >= 0)
            return sim_err_set(err, "--set: the key is not valid UTF-8 (byte 0x%02x at "
                               "offset %ld)", (unsigned char)keys[i][at], at);
        if ((at = bad_utf8(values[i])) >= 0)
            return sim_err_set(err, "--set %s: the value is not valid UTF-8 (byte 0x%02x at "
                               "offset %ld)", keys[i], (unsigned char)values[i][at], at);
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    SIM_NEED(yaml_parser_initialize(&parser), "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        sim_err_set(err, "--set: cannot parse the scenario: %s",
                    parser.problem ? parser.problem : "unknown error");
        yaml_parser_delete(&parser);
        return -1;
    }
    yaml_parser_delete(&parser);
    if (!yaml_document_get_root_node(&doc) ||
        yaml_document_get_root_node(&doc)->type != YAML_MAPPING_NODE) {
        yaml_document_delete(&doc);
        return sim_err_set(err, "--set: the scenario is not a mapping");
    }
    for (size_t i = 0; i < n; i++)
        if (set_one(&doc, keys[i], values[i], err)) {
            yaml_document_delete(&doc);
            return -1;
        }
    yaml_emitter_t em;
    buf b = {0};
    SIM_NEED(yaml_emitter_initialize(&em), "out of memory");
    yaml_emitter_set_output(&em, write_handler, &b);
    yaml_emitter_set_unicode(&em, 1);
    int ok = yaml_emitter_open(&em);
    if (!ok) yaml_document_delete(&doc);
    /* yaml_emitter_dump deletes the document, even on failure */
    else ok = yaml_emitter_dump(&em, &doc) && yaml_emitter_close(&em);
    yaml_emitter_delete(&em);
    if (!ok || !b.p) {
        free(b.p);
        return sim_err_set(err, "--set: could not write the modified scenario");
    }
    *out = b.p;
    *outlen = b.n;
    return 0;
}

int scn_load_with(const char *path, const char *const *keys, const char *const *values,
                  size_t n, mq_scenario *out, sim_err *err)
{
    if (scn_load_file(path, out, err)) return -1;
    if (n == 0) return 0;
    mq_scenario_free(out);
    char *text;
    size_t len;
    if (scn_read_file(path, &text, &len, err)) return -1;
    char name[1024];
    int off = snprintf(name, sizeof name, "%s [", strcmp(path, "-") ? path : "<stdin>");
    for (size_t i = 0; i < n && off < (int)sizeof name; i++)
        off += snprintf(name + off, sizeof name - (size_t)off, "%s%s=%s", i ? ", " : "",
                        keys[i], values[i]);
    if (off < (int)sizeof name) snprintf(name + off, sizeof name - (size_t)off, "]");
    char *mod;
    size_t mlen;
    int rc = scn_override_apply(text, len, keys, values, n, &mod, &mlen, err);
    free(text);
    if (rc) return -1;
    rc = scn_load_string(name, mod, mlen, out, err);
    free(mod);
    return rc;
}
