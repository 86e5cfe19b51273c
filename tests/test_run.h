/*
** test_run.h - helpers shared by the tests that run the model in-process
** (test_model, test_rocketmq, test_rabbitmq): run a loaded scenario with its
** own seed, and read one summary metric, failing the test with a message
** when either goes wrong. Header-only like test_util.h; include after
** <cmocka.h>.
*/
#ifndef TEST_RUN_H
#define TEST_RUN_H

#include "models/mq_model.h"

/* Run s (its own seed, replication 0) into *r; the caller frees r. */
static inline void run_scn(const mq_scenario *s, mq_result *r)
{
    sim_err err = {{0}};
    mq_run_opts o = {.seed = s->run.seed};
    if (mq_model_run(s, &o, r, &err)) fail_msg("run %s failed: %s", s->path, err.msg);
}

/* A summary metric's value; fails the test when the run has no such row. */
static inline double metric(const mq_result *r, const char *name)
{
    const sim_metric *m = sim_metrics_find(&r->metrics, name);
    if (!m) fail_msg("no metric %s", name);
    return m->value;
}

#endif
