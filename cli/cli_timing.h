/*
** cli_timing.h - `--timing`: where the wall-clock time of one command went,
** split into process start (exec, dynamic loading, up to the command's
** entry), scenario load, run and output writing, printed on stderr.
**
** The process start is the CPU time the process used before the command's
** entry (exec, dynamic loading, the libraries' constructors), to the
** nanosecond: the kernel's start time of a process (/proc/self/stat) counts
** in 1/100 s ticks, which overstated a start of a few ms by up to 10 ms.
** Waiting for a cold disk would not show in it. The other phases use
** CLOCK_MONOTONIC. A phase may be marked more than once; its times add up.
*/
#ifndef CLI_TIMING_H
#define CLI_TIMING_H

#include <stdio.h>

typedef enum cli_phase { CLI_T_LOAD, CLI_T_RUN, CLI_T_WRITE, CLI_T_NPHASES } cli_phase;

typedef struct cli_timing {
    double start_s;                 /* CPU time before cli_timing_start, s */
    double last;                    /* monotonic time of the last mark */
    double phase_s[CLI_T_NPHASES];
} cli_timing;

/* Call at the command's entry. */
void cli_timing_start(cli_timing *t);
/* The time since the previous mark (or the start) belongs to phase p. */
void cli_timing_mark(cli_timing *t, cli_phase p);
/* "timing: process start 0.003 s (CPU), scenario load ..., run ..., writing outputs
** ..., total ..." */
void cli_timing_print(const cli_timing *t, FILE *f);

#endif
