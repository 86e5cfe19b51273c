/*
** mq_scenario.c - releasing a scenario (see mq_scenario.h for ownership).
*/
#include "models/mq_scenario.h"
#include "models/mq_rabbitmq.h"
#include "models/mq_budget.h"
#include "models/mq_estimate.h"
#include "models/mq_rocketmq.h"

#include "sim/sim_dist.h"
#include "sim/sim_mem.h"
#include <string.h>

#include <math.h>
#include <stdlib.h>

double mq_scenario_peak_rate(const mq_scenario *s)
{
    double peak = 0;
    for (size_t i = 0; i < s->nproducers; i++) {
        double mx = 0;
        for (size_t k = 0; k < s->producers[i].rate.nsteps; k++)
            mx = fmax(mx, s->producers[i].rate.steps[k].rate);
        peak += mx;
    }
    return peak;
}

double mq_scenario_consume_capacity(const mq_scenario *s, double overhead_s)
{
    double mu = 0;
    for (size_t i = 0; i < s->nconsumers; i++)
        mu += s->consumers[i].count * mq_est_group_rate(&s->consumers[i], s->run.rtt_s, overhead_s).rate;
    return mu;
}

double mq_scenario_channel_cycle(const mq_scenario *s, double overhead_s)
{
    double cycle = 0;
    for (size_t i = 0; i < s->nconsumers; i++) {
        const mq_consumer_group *g = &s->consumers[i];
        cycle = fmax(cycle, g->prefetch / mq_est_group_rate(g, s->run.rtt_s, overhead_s).rate);
    }
    return cycle;
}

static void free_defaults(mq_scenario *s)
{
    for (size_t i = 0; i < s->ndefaults; i++) {
        free(s->defaults[i].key);
        free(s->defaults[i].value);
        free(s->defaults[i].source);
    }
    free(s->defaults);
    s->defaults = NULL;
    s->ndefaults = s->defaults_cap = 0;
}

int mq_scenario_add_default(mq_scenario *s, const char *key, const char *value,
                            const char *source)
{
    if (sim_grow((void **)&s->defaults, &s->defaults_cap, s->ndefaults + 1, sizeof *s->defaults))
        return -1;
    mq_default d = {strdup(key), strdup(value), strdup(source)};
    if (!d.key || !d.value || !d.source) {
        free(d.key);
        free(d.value);
        free(d.source);
        return -1;
    }
    s->defaults[s->ndefaults++] = d;
    return 0;
}

void mq_scenario_free(mq_scenario *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->nclusters; i++) free(s->clusters[i].name);
    for (size_t i = 0; i < s->nbrokers; i++) free(s->brokers[i].name);
    for (size_t i = 0; i < s->nqueues; i++) free(s->queues[i].name);
    for (size_t i = 0; i < s->nproducers; i++) {
        free(s->producers[i].name);
        free(s->producers[i].profile);
        free(s->producers[i].rate.steps);
    }
    for (size_t i = 0; i < s->nconsumers; i++) {
        free(s->consumers[i].name);
        free(s->consumers[i].profile);
    }
    for (size_t i = 0; i < s->nevents; i++) {
        free(s->events[i].groups);
        free(s->events[i].label);
    }
    mq_budget_free(s->budget);
    free_defaults(s);
    mq_rocketmq_change_free(s->rocketmq_change);
    mq_rabbitmq_conversion_free(s->rabbitmq_conversion);
    sim_strs_free(&s->warnings);
    free(s->clusters);
    free(s->brokers);
    free(s->queues);
    free(s->producers);
    free(s->consumers);
    free(s->backlogs);
    free(s->scheduled);
    free(s->events);
    free(s->path);
    free(s->name);
    free(s->description);
    *s = (mq_scenario){0};
}

void mq_scenario_strip_change(mq_scenario *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->nevents; i++) {
        free(s->events[i].groups);
        free(s->events[i].label);
    }
    free(s->events);
    s->events = NULL;
    s->nevents = 0;
    mq_rocketmq_change_to_baseline(s->rocketmq_change);
    mq_rabbitmq_conversion_free(s->rabbitmq_conversion);
    s->rabbitmq_conversion = NULL;
    free_defaults(s);
}

bool mq_scenario_has_change(const mq_scenario *s)
{
    return s->nevents > 0 || (s->rocketmq_change && !s->rocketmq_change->baseline) ||
           s->rabbitmq_conversion != NULL;
}
