/*
** mq_scenario.c - releasing a scenario (see mq_scenario.h for ownership),
** its paired baseline, and the workload figures shared by model, rules and
** load tester. The change is reached through its type's table only
** (models/change/mq_change.h), so no change type is named here.
*/
#include "models/mq_scenario.h"
#include "models/change/mq_change.h"
#include "models/mq_budget.h"
#include "models/mq_estimate.h"

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
    if (s->change.ops) s->change.ops->cfg_free(s->change.cfg);
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
    const mq_change_ops *ops = s->change.ops;
    const mq_change_ops *keep = ops && ops->to_baseline ? ops->to_baseline(s->change.cfg) : NULL;
    if (keep) {
        s->change.ops = keep;
    } else if (ops) {
        ops->cfg_free(s->change.cfg);
        s->change = (mq_change){0};
    }
    free_defaults(s);
}

double mq_scenario_change_start(const mq_scenario *s)
{
    double *at = s->change.ops && s->change.ops->start_at ? s->change.ops->start_at(s->change.cfg)
                                                          : NULL;
    return at ? *at : NAN;
}

int mq_scenario_start_change_at_clock(mq_scenario *s, double clock_s, sim_err *err)
{
    const char *path = s->path ? s->path : "scenario";
    double *at = s->change.ops && s->change.ops->start_at ? s->change.ops->start_at(s->change.cfg)
                                                          : NULL;
    if (!at) return sim_err_set(err, "%s: --at needs a change section with a start time", path);
    double t = fmod(clock_s - s->run.start_clock_s + 86400.0, 86400.0);
    if (t > s->run.duration_s)
        return sim_err_set(err, "%s: --at starts the change %.0f s after run.start_at, after the "
                           "end of the run (%.0f s)", path, t, s->run.duration_s);
    *at = t;
    return 0;
}

bool mq_subscription_deployment(mq_edition e, mq_deploy *out)
{
    switch (e) {
    case MQ_EDITION_PROFESSIONAL:
    case MQ_EDITION_ENTERPRISE: *out = MQ_DEPLOY_SHARED; return true;
    case MQ_EDITION_PLATINUM: *out = MQ_DEPLOY_DEDICATED; return true;
    case MQ_EDITION_STANDARD: break;
    }
    return false;
}

static bool has_change_block(const mq_scenario *s)
{
    return s->change.ops && !(s->change.ops->flags & MQ_CHANGE_BASELINE_ONLY);
}

bool mq_scenario_has_change(const mq_scenario *s)
{
    return s->nevents > 0 || has_change_block(s);
}

mq_effect mq_scenario_effect(const mq_scenario *s)
{
    bool change = has_change_block(s), events = s->nevents > 0;
    return change && events ? MQ_EFFECT_BOTH
           : change         ? MQ_EFFECT_CHANGE
           : events         ? MQ_EFFECT_EVENTS
                            : MQ_EFFECT_NOTHING;
}

static const char *const effect_words[] = {
    [MQ_EFFECT_NOTHING] = "nothing",
    [MQ_EFFECT_CHANGE] = "the change",
    [MQ_EFFECT_EVENTS] = "the scenario's events",
    [MQ_EFFECT_BOTH] = "the change and the scenario's events",
};

const char *mq_effect_words(mq_effect e)
{
    return effect_words[e];
}

mq_effect mq_effect_parse(const char *words)
{
    for (int e = 0; e < (int)(sizeof effect_words / sizeof *effect_words); e++)
        if (words && !strcmp(words, effect_words[e])) return (mq_effect)e;
    return MQ_EFFECT_CHANGE;
}
