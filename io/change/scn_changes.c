/*
** scn_changes.c - the registry of change types' io halves (scn_change.h):
** the one io file that lists them. A new change type adds one line here and
** one in models/change/mq_changes.c.
*/
#include "io/change/scn_change.h"
#include "io/change/scn_rabbitmq.h"
#include "io/change/scn_rocketmq.h"
#include "io/change/scn_rolling_restart.h"

const scn_change_io *const scn_changes[] = {
    &scn_rabbitmq_io,
    &scn_rocketmq_io,
    &scn_rolling_restart_io,
    NULL,
};
