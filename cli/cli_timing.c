/*
** cli_timing.c - the phases of one command's wall-clock time (see
** cli_timing.h).
*/
#include "cli/cli_timing.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Seconds since the kernel started this process, or NAN. Field 22 of
** /proc/self/stat is the start time in clock ticks after boot; the fields
** before it follow the command name, which may hold spaces, so counting
** starts after its closing parenthesis. */
static double process_age(void)
{
    FILE *f = fopen("/proc/self/stat", "r");
    if (!f) return NAN;
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    long hz = sysconf(_SC_CLK_TCK);
    if (!p || hz <= 0) return NAN;
    for (int field = 2; field < 22 && p; field++) p = strchr(p + 1, ' ');
    if (!p) return NAN;
    double ticks = strtod(p + 1, NULL);
    return clock_s(CLOCK_BOOTTIME) - ticks / (double)hz;
}

void cli_timing_start(cli_timing *t)
{
    *t = (cli_timing){.start_s = process_age(), .last = clock_s(CLOCK_MONOTONIC)};
}

void cli_timing_mark(cli_timing *t, cli_phase p)
{
    double now = clock_s(CLOCK_MONOTONIC);
    t->phase_s[p] += now - t->last;
    t->last = now;
}

void cli_timing_print(const cli_timing *t, FILE *f)
{
    double total = isnan(t->start_s) ? 0 : t->start_s;
    for (int i = 0; i < CLI_T_NPHASES; i++) total += t->phase_s[i];
    fprintf(f, "timing: process start %.3f s, scenario load %.3f s, run %.3f s, "
               "writing outputs %.3f s, total %.3f s\n",
            t->start_s, t->phase_s[CLI_T_LOAD], t->phase_s[CLI_T_RUN], t->phase_s[CLI_T_WRITE],
            total);
}
