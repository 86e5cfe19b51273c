/*
** mq_start.h - the start-time search: for a scenario whose load follows a
** day profile, the whole hour at which the run window carries the least
** offered load, and whether moving the change there is worth a second look.
**
** The search reads only the producers' rate schedules (mq_offered_rate:
** the mean over the run window, 1000 midpoints, at each whole hour) and
** never runs the model: the caller runs the replications at the suggested
** start (on the job runner, with the same seeds) and compares. A start is
** worth suggesting when its window's mean offered rate is at most 80% of
** the current window's; ties go to the earliest hour.
*/
#ifndef MQ_START_H
#define MQ_START_H

#include "models/mq_scenario.h"

#include <stdbool.h>

typedef struct mq_start_choice {
    double current_at_s, current_rate; /* run.start_clock_s and its window's rate */
    double best_at_s, best_rate;       /* the quietest whole hour, msg/s */
    bool worth;                        /* best_rate <= 0.8 x current_rate */
} mq_start_choice;

/* Whether some producer group follows a day profile (a periodic schedule);
** without one, every start hour carries the same load. */
bool mq_start_has_day_profile(const mq_scenario *s);

/* Search the 24 whole hours. */
mq_start_choice mq_start_quietest(const mq_scenario *s);

#endif
