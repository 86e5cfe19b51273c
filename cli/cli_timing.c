/*
** cli_timing.c - the phases of one command's wall-clock time (see
** cli_timing.h).
*/
#include "cli/cli_timing.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_timing_start(cli_timing *t)
{
    *t = (cli_timing){.start_s = clock_s(CLOCK_PROCESS_CPUTIME_ID), .last = clock_s(CLOCK_MONOTONIC)};
}

void cli_timing_mark(cli_timing *t, cli_phase p)
{
    double now = clock_s(CLOCK_MONOTONIC);
    t->phase_s[p] += now - t->last;
    t->last = now;
}

void cli_timing_print(const cli_timing *t, FILE *f)
{
    double total = t->start_s;
    for (int i = 0; i < CLI_T_NPHASES; i++) total += t->phase_s[i];
    fprintf(f, "timing: process start %.3f s (CPU), scenario load %.3f s, run %.3f s, "
               "writing outputs %.3f s, total %.3f s\n",
            t->start_s, t->phase_s[CLI_T_LOAD], t->phase_s[CLI_T_RUN], t->phase_s[CLI_T_WRITE],
            total);
}
