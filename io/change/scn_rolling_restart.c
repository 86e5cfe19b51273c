/*
** scn_rolling_restart.c - load, check and write back the `rolling_restart:`
** block (see scn_rolling_restart.h):
**
**   rolling_restart:
**     at: 5m                  # the first node goes down (required)
**     restart_duration: 30s   # each node is down this long (required, > 0)
**     interval: 2m            # one node's restart to the next one's
**                             # (default 2 x restart_duration)
**     nodes: [b1, b2]         # brokers in restart order (default: every
**                             # broker, in the order declared)
**
** Rules, each refused at its key: at least one node; every node a declared
** broker, none twice; restart_duration > 0; interval >= restart_duration
** (one node down at a time: a shorter interval takes the next node down
** before the previous one is back); `at` within the run. Warnings: the
** restart runs past the end of the run; a one-broker instance (every
** client is cut off); a group on a restarted node that does not reconnect
** by itself; a producer group on one that drops its sends while
** disconnected.
*/
#include "io/change/scn_rolling_restart.h"
#include "io/out_json.h"
#include "io/units.h"
#include "models/change/mq_rolling_restart.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROOT "rolling_restart"
#define OPT (CYAML_FLAG_OPTIONAL | CYAML_FLAG_POINTER)

static const cyaml_schema_value_t node_entry = {
    CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 1, 128),
};

static const cyaml_schema_field_t fields[] = {
    CYAML_FIELD_STRING_PTR("at", CYAML_FLAG_POINTER, scn_raw_rolling_restart, at, 1, 64),
    CYAML_FIELD_STRING_PTR("restart_duration", CYAML_FLAG_POINTER, scn_raw_rolling_restart,
                           restart_duration, 1, 64),
    CYAML_FIELD_STRING_PTR("interval", OPT, scn_raw_rolling_restart, interval, 1, 64),
    CYAML_FIELD_SEQUENCE("nodes", OPT, scn_raw_rolling_restart, nodes, &node_entry, 0, 10000),
    CYAML_FIELD_END
};

typedef struct rctx {
    const char *file;
    const scn_index *idx;
    sim_err *err;
    mq_scenario *s;
} rctx;

static int find_broker(const mq_scenario *s, const char *name)
{
    for (size_t i = 0; i < s->nbrokers; i++)
        if (strcmp(s->brokers[i].name, name) == 0) return (int)i;
    return -1;
}

/* The restart order: the listed brokers, or every broker. */
static int load_nodes(const rctx *c, const scn_raw_rolling_restart *raw, mq_rolling_restart *rr)
{
    const mq_scenario *s = c->s;
    /* `nodes: []` loads as no list at all: the index tells them apart */
    bool listed = scn_index_get(c->idx, ROOT ".nodes") != NULL;
    size_t n = listed ? raw->nodes_count : s->nbrokers;
    if (n < 1)
        return scn_change_fail(c->file, c->idx, c->err, ROOT ".nodes",
                               "expected at least one node (broker) to restart");
    if (!(rr->nodes = calloc(n, sizeof *rr->nodes)))
        sim_oom(__FILE__, __LINE__, "out of memory");
    rr->nnodes = n;
    for (size_t k = 0; k < n; k++) {
        if (!listed) {
            rr->nodes[k] = (int)k;
            continue;
        }
        char path[64];
        snprintf(path, sizeof path, ROOT ".nodes[%zu]", k);
        int b = find_broker(s, raw->nodes[k]);
        if (b < 0)
            return scn_change_fail(c->file, c->idx, c->err, path,
                                   "no broker named '%s' in `clusters`", raw->nodes[k]);
        for (size_t j = 0; j < k; j++)
            if (rr->nodes[j] == b)
                return scn_change_fail(c->file, c->idx, c->err, path,
                                       "node '%s' is listed twice (nodes[%zu])", raw->nodes[k], j);
        rr->nodes[k] = b;
    }
    return 0;
}

static bool restarted(const mq_rolling_restart *rr, int broker)
{
    for (size_t k = 0; k < rr->nnodes; k++)
        if (rr->nodes[k] == broker) return true;
    return false;
}

/* One warning per client group on a restarted node whose own settings make
** the restart cost more than a short cut-off. */
static void group_warnings(const rctx *c, const mq_rolling_restart *rr)
{
    const mq_scenario *s = c->s;
    for (size_t i = 0; i < s->nproducers + s->nconsumers; i++) {
        bool cons = i >= s->nproducers;
        size_t g = cons ? i - s->nproducers : i;
        const char *name = cons ? s->consumers[g].name : s->producers[g].name;
        int q = cons ? s->consumers[g].queue : s->producers[g].queue;
        const mq_reconnect *r = cons ? &s->consumers[g].reconnect : &s->producers[g].reconnect;
        if (!restarted(rr, s->queues[q].broker)) continue;
        const char *node = s->brokers[s->queues[q].broker].name;
        if (!r->automatic && r->app_restart_s < 0)
            scn_change_warn(c->file, c->idx, c->s, ROOT,
                            "group '%s' does not reconnect by itself (no automatic recovery, "
                            "no application restart): it stays cut off once node '%s' restarts",
                            name, node);
        if (!cons && s->producers[g].ondown == MQ_ONDOWN_DROP)
            scn_change_warn(c->file, c->idx, c->s, ROOT,
                            "producer group '%s' drops its sends while disconnected "
                            "(on_disconnect: drop): what it sends while node '%s' restarts "
                            "is lost", name, node);
    }
}

static void warnings(const rctx *c, const mq_rolling_restart *rr)
{
    const mq_scenario *s = c->s;
    double end = mq_rolling_restart_end(rr);
    if (end > s->run.duration_s)
        scn_change_warn(c->file, c->idx, c->s, ROOT,
                        "the last node is back at %.0f s, after the end of the run (%.0f s): "
                        "the run sees only part of the restart", end, s->run.duration_s);
    if (s->nbrokers == 1)
        scn_change_warn(c->file, c->idx, c->s, ROOT,
                        "a one-node instance: every client is cut off while the node restarts "
                        "(no other node serves)");
    group_warnings(c, rr);
}

static int load(const char *file, const scn_index *idx, const void *raw_v, mq_scenario *s,
                sim_err *err)
{
    const scn_raw_rolling_restart *raw = raw_v;
    rctx c = {file, idx, err, s};
    mq_rolling_restart *rr = calloc(1, sizeof *rr);
    SIM_NEED(rr != NULL, "out of memory");
    s->change = (mq_change){&mq_rolling_restart_ops, rr}; /* owned by s from here */
    rr->loc = scn_change_where(idx, ROOT);
    if (scn_change_duration(file, idx, err, ROOT ".at", raw->at, 0, false, s->run.duration_s,
                            &rr->at_s) < 0 ||
        scn_change_duration(file, idx, err, ROOT ".restart_duration", raw->restart_duration, 0,
                            true, 1e9, &rr->restart_s) < 0)
        return -1;
    rr->interval_s = 2 * rr->restart_s;
    if (raw->interval) {
        if (scn_change_duration(file, idx, err, ROOT ".interval", raw->interval, 0, true, 1e9,
                                &rr->interval_s) < 0)
            return -1;
        if (rr->interval_s < rr->restart_s) {
            char a[32], b[32];
            units_format_duration(rr->interval_s, a, sizeof a);
            units_format_duration(rr->restart_s, b, sizeof b);
            return scn_change_fail(file, idx, err, ROOT ".interval",
                                   "%s is shorter than restart_duration (%s): the next node "
                                   "would go down before the previous one is back", a, b);
        }
    } else {
        char v[32];
        units_format_duration(rr->interval_s, v, sizeof v);
        if (mq_scenario_add_default(s, ROOT ".interval", v,
                                    "assumption: a pause as long as the restart between nodes"))
            sim_oom(__FILE__, __LINE__, "out of memory");
    }
    if (load_nodes(&c, raw, rr) < 0) return -1;
    warnings(&c, rr);
    return 0;
}

static json_t *to_json(const mq_scenario *s, const void *cfg)
{
    const mq_rolling_restart *rr = cfg;
    json_t *o = out_json_obj(), *nodes = json_array();
    if (!nodes) sim_oom(__FILE__, __LINE__, "out of memory building JSON");
    out_json_put(o, "at_s", out_json_num(rr->at_s));
    out_json_put(o, "restart_duration_s", out_json_num(rr->restart_s));
    out_json_put(o, "interval_s", out_json_num(rr->interval_s));
    for (size_t k = 0; k < rr->nnodes; k++) {
        json_t *n = json_string(s->brokers[rr->nodes[k]].name);
        if (!n || json_array_append_new(nodes, n))
            sim_oom(__FILE__, __LINE__, "out of memory building JSON");
    }
    out_json_put(o, "nodes", nodes);
    return o;
}

const scn_change_io scn_rolling_restart_io = {
    .ops = &mq_rolling_restart_ops,
    .fields = fields,
    .raw_size = sizeof(scn_raw_rolling_restart),
    .load = load,
    .to_json = to_json,
};
