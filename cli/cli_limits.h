/*
** cli_limits.h - the size ceiling on the command line: `--max-memory SIZE`
** and `--max-events N`, shared by check, run, sweep and plan so that `check`
** refuses exactly what `run` would refuse (models/mq_size.h has the
** estimate and the default ceiling).
*/
#ifndef CLI_LIMITS_H
#define CLI_LIMITS_H

#include "models/mq_size.h"

#define CLI_LIMITS_DEFAULT {MQ_SIZE_MAX_BYTES_DEFAULT, MQ_SIZE_MAX_EVENTS_DEFAULT}
#define CLI_LIMITS_USAGE                                                               \
    "  --max-memory SIZE  raise the memory ceiling of one replication (default 4GiB;\n" \
    "              docs/SCENARIO.md, \"Size ceiling\")\n"                             \
    "  --max-events N     raise the event ceiling of one replication (default 2e9)\n"

/* If argv[*i] is --max-memory or --max-events, parse its value into *l and
** advance *i past it: 1. Not one of them: 0. A bad value: -1 after
** printing "mqsim CMD: ..." (exit 2). */
int cli_limits_arg(const char *cmd, int argc, char **argv, int *i, mq_limits *l);

/* mq_size_check; on refusal prints the file:line:col message: -1 (exit 2). */
int cli_limits_check(const mq_scenario *s, const mq_limits *l);

#endif
