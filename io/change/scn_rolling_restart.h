/*
** scn_rolling_restart.h - the `rolling_restart:` block of a scenario: the io
** half of the rolling broker restart (models/change/mq_rolling_restart.h).
** Its raw libcyaml shape, its rules (refused at the offending key) and its
** warnings; the keys are documented in docs/SCENARIO.md ("Rolling broker
** restart").
*/
#ifndef SCN_ROLLING_RESTART_H
#define SCN_ROLLING_RESTART_H

#include "io/change/scn_change.h"

typedef struct scn_raw_rolling_restart {
    char *at, *restart_duration, *interval;
    char **nodes;
    unsigned nodes_count;
} scn_raw_rolling_restart;

/* The type's io half (io/change/scn_changes.c lists it). */
extern const scn_change_io scn_rolling_restart_io;

#endif
