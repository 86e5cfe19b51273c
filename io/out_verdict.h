/*
** out_verdict.h - machine-readable verdicts for CI: a list of test cases
** (one per budget line or compared metric), written as JUnit XML (which CI
** systems render natively) and as a JSON verdict.
**
**   JUnit: <testsuites><testsuite name=SUITE tests=N failures=F>
**            <testcase classname=SUITE name=CASE>[<failure message=.../>]
**   JSON:  {"tool":"mqsim","kind":KIND,"verdict":"pass"|"fail",
**           "failed":F,"total":N,"cases":[{"name","verdict","message"}]}
** Both are written atomically (out_file). Text is escaped for XML and JSON.
**
** Ownership: an out_cases starts zeroed and owns its strings; free it with
** out_cases_free (leaves it zeroed).
*/
#ifndef OUT_VERDICT_H
#define OUT_VERDICT_H

#include "sim/sim_err.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct out_case {
    char *name;
    bool failed;
    char *message; /* why it failed or passed, one line */
} out_case;

typedef struct out_cases {
    out_case *v;
    size_t n, cap;
} out_cases;

/* Append a case; the message is printf-formatted. 0, or -1 on out-of-memory. */
int out_cases_add(out_cases *c, const char *name, bool failed, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
size_t out_cases_failed(const out_cases *c);
void out_cases_free(out_cases *c);

int out_junit(const char *path, const char *suite, const out_cases *c, sim_err *err);
int out_verdict_json(const char *path, const char *kind, const out_cases *c, sim_err *err);

#endif
