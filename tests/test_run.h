/*
** test_run.h - helpers shared by the tests that run the model in-process
** (test_model, test_rocketmq, test_rabbitmq, test_rolling_restart, ...):
** load a scenario from YAML text, expect its refusal, run a loaded scenario
** with its own seed, and read one summary metric, failing the test with a
** message when one goes wrong. Header-only like test_util.h; include after
** <cmocka.h>.
*/
#ifndef TEST_RUN_H
#define TEST_RUN_H

#include "io/scn_load.h"
#include "models/mq_model.h"

#include <string.h>

/* Load YAML text as the file "t.yaml" (messages name it). 0 ok; -1 with err. */
static inline int load_yaml(const char *text, mq_scenario *s, sim_err *err)
{
    return scn_load_string("t.yaml", text, strlen(text), s, err);
}

/* The text must be refused with a message holding substring (and, unless
** NULL, the position where, e.g. "t.yaml:12:7"). */
static inline void expect_reject(const char *text, const char *where, const char *substring)
{
    mq_scenario s;
    sim_err err = {{0}};
    if (load_yaml(text, &s, &err) == 0) {
        mq_scenario_free(&s);
        fail_msg("accepted; expected an error containing '%s'", substring);
    }
    if (!strstr(err.msg, substring)) fail_msg("error '%s' lacks '%s'", err.msg, substring);
    if (where && !strstr(err.msg, where)) fail_msg("error '%s' is not at %s", err.msg, where);
}

/* Run s (its own seed, replication 0) into *r; the caller frees r. */
static inline void run_scn(const mq_scenario *s, mq_result *r)
{
    sim_err err = {{0}};
    mq_run_opts o = {.seed = s->run.seed};
    if (mq_model_run(s, &o, r, &err)) fail_msg("run %s failed: %s", s->path, err.msg);
}

/* Load text (load_yaml) and run it (run_scn) into *r; the caller frees r. */
static inline void run_yaml(const char *text, mq_result *r)
{
    mq_scenario s;
    sim_err err = {{0}};
    if (load_yaml(text, &s, &err)) fail_msg("load failed: %s", err.msg);
    run_scn(&s, r);
    mq_scenario_free(&s);
}

/* A summary metric's value; fails the test when the run has no such row. */
static inline double metric(const mq_result *r, const char *name)
{
    const sim_metric *m = sim_metrics_find(&r->metrics, name);
    if (!m) fail_msg("no metric %s", name);
    return m->value;
}

#endif
