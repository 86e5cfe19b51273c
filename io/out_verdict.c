/*
** out_verdict.c - JUnit XML and JSON verdict files (see out_verdict.h).
** The XML is written by hand: four characters need entities (out_text.h,
** shared with report.html) and nothing else of XML is used, which does not
** justify a dependency.
*/
#include "io/out_verdict.h"
#include "io/out_file.h"
#include "io/out_text.h"
#include "sim/sim_mem.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int out_cases_add(out_cases *c, const char *name, bool failed, const char *fmt, ...)
{
    if (sim_grow((void **)&c->v, &c->cap, c->n + 1, sizeof *c->v)) return -1;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    out_case k = {strdup(name), failed, strdup(buf)};
    if (!k.name || !k.message) {
        free(k.name);
        free(k.message);
        return -1;
    }
    c->v[c->n++] = k;
    return 0;
}

size_t out_cases_failed(const out_cases *c)
{
    size_t f = 0;
    for (size_t i = 0; i < c->n; i++) f += c->v[i].failed;
    return f;
}

void out_cases_free(out_cases *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].name);
        free(c->v[i].message);
    }
    free(c->v);
    *c = (out_cases){0};
}

int out_junit(const char *path, const char *suite, const out_cases *c, sim_err *err)
{
    out_file f;
    if (out_file_open(&f, path, err)) return -1;
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"", f.fp);
    out_esc_markup(f.fp, suite);
    fprintf(f.fp, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\">\n", c->n, out_cases_failed(c));
    for (size_t i = 0; i < c->n; i++) {
        fputs("    <testcase classname=\"", f.fp);
        out_esc_markup(f.fp, suite);
        fputs("\" name=\"", f.fp);
        out_esc_markup(f.fp, c->v[i].name);
        if (!c->v[i].failed) {
            fputs("\"><system-out>", f.fp);
            out_esc_markup(f.fp, c->v[i].message);
            fputs("</system-out></testcase>\n", f.fp);
            continue;
        }
        fputs("\">\n      <failure message=\"", f.fp);
        out_esc_markup(f.fp, c->v[i].message);
        fputs("\"/>\n    </testcase>\n", f.fp);
    }
    fputs("  </testsuite>\n</testsuites>\n", f.fp);
    return out_file_commit(&f, err);
}

int out_verdict_json(const char *path, const char *kind, const out_cases *c, sim_err *err)
{
    json_t *root = json_object(), *cases = json_array();
    SIM_NEED(root && cases, "%s: out of memory", path);
    size_t failed = out_cases_failed(c);
    json_object_set_new(root, "tool", json_string("mqsim"));
    json_object_set_new(root, "kind", json_string(kind));
    json_object_set_new(root, "verdict", json_string(failed ? "fail" : "pass"));
    json_object_set_new(root, "failed", json_integer((json_int_t)failed));
    json_object_set_new(root, "total", json_integer((json_int_t)c->n));
    for (size_t i = 0; i < c->n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(c->v[i].name));
        json_object_set_new(o, "verdict", json_string(c->v[i].failed ? "fail" : "pass"));
        json_object_set_new(o, "message", json_string(c->v[i].message));
        json_array_append_new(cases, o);
    }
    json_object_set_new(root, "cases", cases);
    out_file f;
    int rc = -1;
    if (out_file_open(&f, path, err) == 0) {
        if (json_dumpf(root, f.fp, JSON_INDENT(2) | JSON_SORT_KEYS) != 0) {
            out_file_abort(&f);
            sim_err_set(err, "%s: cannot serialise JSON", path);
        } else {
            fputc('\n', f.fp);
            rc = out_file_commit(&f, err);
        }
    }
    json_decref(root);
    return rc;
}
