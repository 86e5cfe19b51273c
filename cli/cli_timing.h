/*
** cli_timing.h - `--timing`: where the wall-clock time of one command went,
** split into process start (exec, dynamic loading, up to the command's
** entry), scenario load, run and output writing, printed on stderr.
**
** The process start is read from the kernel's start time of the process
** (/proc/self/stat, in clock ticks, usually 1/100 s), so it is only as fine
** as that; NAN where /proc is not there. The other phases use
** CLOCK_MONOTONIC. A phase may be marked more than once; its times add up.
*/
#ifndef CLI_TIMING_H
#define CLI_TIMING_H

#include <stdio.h>

typedef enum cli_phase { CLI_T_LOAD, CLI_T_RUN, CLI_T_WRITE, CLI_T_NPHASES } cli_phase;

typedef struct cli_timing {
    double start_s;                 /* process start to cli_timing_start, NAN: unknown */
    double last;                    /* monotonic time of the last mark */
    double phase_s[CLI_T_NPHASES];
} cli_timing;

/* Call at the command's entry. */
void cli_timing_start(cli_timing *t);
/* The time since the previous mark (or the start) belongs to phase p. */
void cli_timing_mark(cli_timing *t, cli_phase p);
/* "timing: process start 0.010 s, scenario load ..., run ..., writing outputs
** ..., total ..." */
void cli_timing_print(const cli_timing *t, FILE *f);

#endif
