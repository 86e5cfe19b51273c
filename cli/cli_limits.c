/*
** cli_limits.c - parsing and applying the size ceiling; see cli_limits.h.
*/
#include "cli/cli_limits.h"
#include "io/units.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_limits_arg(const char *cmd, int argc, char **argv, int *i, mq_limits *l)
{
    const char *a = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    int mem = !strcmp(a, "--max-memory");
    if (!mem && strcmp(a, "--max-events")) return 0;
    sim_err err = {{0}};
    if (mem) {
        if (!v || units_size(v, &l->max_bytes, &err) || !(l->max_bytes > 0)) {
            fprintf(stderr, "mqsim %s: --max-memory expects a size such as 16GiB%s%s\n", cmd,
                    err.msg[0] ? ": " : "", err.msg);
            return -1;
        }
    } else {
        char *end = NULL;
        errno = 0;
        l->max_events = v ? strtod(v, &end) : 0;
        if (!v || errno || *end || !(l->max_events >= 1) || l->max_events > 1e18) {
            fprintf(stderr, "mqsim %s: --max-events expects a number of events such as 1e10\n",
                    cmd);
            return -1;
        }
    }
    (*i)++;
    return 1;
}

int cli_limits_check(const mq_scenario *s, const mq_limits *l)
{
    sim_err err = {{0}};
    if (mq_size_check(s, l, &err) == 0) return 0;
    fprintf(stderr, "%s\n", err.msg);
    return -1;
}
