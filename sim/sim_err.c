/*
** sim_err.c - formatting for the two error conventions (see sim_err.h).
*/
#include "sim/sim_err.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int sim_err_set(sim_err *e, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int sim_err_at(sim_err *e, const char *path, int line, int col,
               const char *fmt, ...)
{
    if (!e) return -1;
    int n;
    if (line > 0 && col > 0)
        n = snprintf(e->msg, sizeof e->msg, "%s:%d:%d: ", path, line, col);
    else if (line > 0)
        n = snprintf(e->msg, sizeof e->msg, "%s:%d: ", path, line);
    else
        n = snprintf(e->msg, sizeof e->msg, "%s: ", path);
    if (n < 0 || (size_t)n >= sizeof e->msg) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg + n, sizeof e->msg - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

_Noreturn void sim_fatal(const char *file, int line, const char *func,
                         const char *fmt, ...)
{
    fflush(stdout);
    fprintf(stderr, "%s:%d: %s: ", file, line, func);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

static sim_oom_hook oom_hook;

void sim_oom_set_hook(sim_oom_hook fn) { oom_hook = fn; }

_Noreturn void sim_oom(const char *file, int line, const char *fmt, ...)
{
    fflush(stdout);
    fputs("mqsim: ", stderr);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (%s:%d)\nmqsim: the run needs more memory than this machine gave it; "
            "`mqsim check` estimates a scenario's memory (docs/SCENARIO.md, \"Size "
            "ceiling\")\n", file, line);
    if (oom_hook) oom_hook();
    _exit(SIM_EXIT_OOM); /* from any thread; atexit handlers could allocate */
}
