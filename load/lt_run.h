/*
** lt_run.h - run a scenario against a real RabbitMQ broker and measure it
** into the same mq_result the simulation produces (so io/out_run.c writes
** the same summary.csv, timeseries.csv, summary.json and plots).
**
** Flow: [start a private broker, or the nodes a replayed change needs
** (load/change/lt_change.h)]
** -> declare and purge the queues -> put in the stacked backlog
** (lt_preload.h) -> start one thread per client -> apply the scenario's
** events at their times from an event thread (a server-side close of
** the selected groups' connections, lt_close.h /
** stop_app + start_app for a broker restart; app restarts and per-group
** refusal windows are emulated in the clients) and the change's own steps
** from its own threads -> sample the timeseries every sample_interval -> at
** the end stop producers, then consumers -> drain every queue with
** basic.get to tell "still stored" from "lost" -> build the result ->
** [stop the broker(s)].
**
** What a scenario may use in load mode (checked by lt_check_scenario before
** anything starts): a rabbitmq instance with one broker, consumers with
** concurrency 1, at most LT_MAX_BACKLOG stacked messages and no scheduled
** ones, a change only when it has a load half (load/change/lt_changes.c),
** with --start-broker and within the limits of its check, at most LT_MAX_CLIENTS clients and LT_MAX_MESSAGES
** messages. A silent disconnect with --start-broker freezes the broker's
** VM (SIGSTOP, then SIGCONT after the event's duration: lt_broker_freeze):
** the clients connected then are cut off for the silence without knowing
** it, and keep their connections unless their heartbeat notices first;
** with a broker not started here it is applied as a reset (with a
** warning). --clients real (lt_real.h) runs each group with its profile's
** real library instead of the rabbitmq-c emulation. With a broker not started here, disconnect / broker_restart
** events need rabbitmqctl to reach that node: RABBITMQ_NODENAME must be set
** (and HOME must hold its Erlang cookie), otherwise the run is refused
** before it starts (so rabbitmqctl never spawns a stray epmd daemon).
**
** Ownership: lt_run fills *out (caller frees with mq_result_free); the
** scenario and options are borrowed for the call.
*/
#ifndef LT_RUN_H
#define LT_RUN_H

#include "load/lt_client.h"
#include "models/mq_model.h"

typedef struct lt_opts {
    const char *broker_url;  /* amqp://HOST:PORT; ignored with start_broker */
    bool start_broker;       /* run a private node on loopback */
    bool allow_remote;       /* permit a non-loopback broker_url */
    double duration_s;       /* > 0 overrides run.duration (shortened only) */
    double drain_timeout_s;  /* final drain limit; <= 0 = 60 s */
    bool real_clients;       /* each group runs its profile's real library (lt_real.h) */
} lt_opts;

/* What the run learnt besides metrics, for summary.json. */
typedef struct lt_info {
    char broker[300];        /* the address used */
    double broker_startup_s; /* NAN unless started here */
    double duration_s;       /* run length actually used */
    double drain_s;          /* time the final drain took */
} lt_info;

/* Parse url and apply the loopback rule. Nothing is connected or resolved.
** 0 ok; -1 "refusing ..." when the host is not loopback and !allow_remote. */
int lt_check_target(const char *url, bool allow_remote, lt_url *out, sim_err *err);

/* Can this scenario run for real? 0 ok (warnings appended); -1 with why. */
int lt_check_scenario(const mq_scenario *s, sim_strs *warnings, sim_err *err);

/* Run it. 0 ok; -1 on a broker that is down, unreachable, refuses the login
** or does not speak AMQP, or on a failed setup (message in err). Bounded:
** at most duration + drain_timeout + broker start/stop limits. */
int lt_run(const mq_scenario *s, const lt_opts *o, mq_result *out, lt_info *info, sim_err *err);

#endif
