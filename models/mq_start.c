/*
** mq_start.c - the start-time search (see mq_start.h). 24 candidate hours x
** 1000 samples of the summed rate schedule: microseconds, so no cleverness.
*/
#include "models/mq_start.h"

#include "models/mq_model.h"

#include <math.h>

bool mq_start_has_day_profile(const mq_scenario *s)
{
    for (size_t i = 0; i < s->nproducers; i++)
        if (s->producers[i].rate.period_s > 0) return true;
    return false;
}

/* Mean offered rate (msg/s, all producers) over the run window when the
** run starts at time of day clock_s. */
static double window_rate(const mq_scenario *s, double clock_s)
{
    mq_scenario alt = *s; /* shallow: only run.start_clock_s differs */
    alt.run.start_clock_s = clock_s;
    double sum = 0;
    for (int k = 0; k < 1000; k++) sum += mq_offered_rate(&alt, s->run.duration_s * (k + 0.5) / 1000.0);
    return sum / 1000.0;
}

mq_start_choice mq_start_quietest(const mq_scenario *s)
{
    mq_start_choice c = {.current_at_s = s->run.start_clock_s, .best_rate = INFINITY};
    c.current_rate = window_rate(s, s->run.start_clock_s);
    for (int h = 0; h < 24; h++) {
        double r = window_rate(s, h * 3600.0);
        if (r < c.best_rate - 1e-9) c.best_rate = r, c.best_at_s = h * 3600.0;
    }
    c.worth = c.best_rate <= 0.8 * c.current_rate;
    return c;
}
