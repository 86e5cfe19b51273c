/*
** lt_broker.h - a private RabbitMQ node on loopback for `mqsim load
** --start-broker`, and the rabbitmqctl calls the load tester needs.
**
** The node runs as a child process in its own process group: its own node
** name, AMQP / distribution / epmd ports (picked free on 127.0.0.1) and a
** temp folder holding HOME (the Erlang cookie), the Mnesia data and the
** logs. epmd is started in the foreground in the same process group (never
** as a daemon), so killing the group leaves nothing behind. Every started
** broker is registered for an atexit hook and SIGINT/SIGTERM/SIGHUP
** handlers that kill its process group, so a failure or Ctrl-C never leaves
** it running. rabbitmqctl is always /usr/lib/rabbitmq/bin/rabbitmqctl with
** the node's HOME (the /usr/sbin wrapper switches user and cookie), run with
** a time limit.
**
** A broker not started by us (plain --broker) can still be disrupted when
** rabbitmqctl can reach it; ctl_home/node then come from the environment
** (HOME, RABBITMQ_NODENAME) and may fail: the caller reports it.
**
** Ownership: lt_broker_start fills a caller-owned struct; lt_broker_stop
** stops the node and removes the temp folder (idempotent).
*/
#ifndef LT_BROKER_H
#define LT_BROKER_H

#include "sim/sim_err.h"

#include <sys/types.h>

typedef struct lt_broker {
    pid_t pgid;           /* process group of epmd + server; 0 = not ours */
    pid_t server_pid;
    int amqp_port;
    char node[64];        /* e.g. mqsim12345@localhost */
    char dir[256];        /* temp folder (HOME, data, logs); "" = none */
    double startup_s;     /* measured time to readiness */
} lt_broker;

/* Start a private node and wait (up to timeout_s) until it accepts AMQP and
** `rabbitmqctl await_startup` succeeds. 0 ok; -1 with a message (the node
** is already stopped and cleaned up on failure). */
int lt_broker_start(lt_broker *b, double timeout_s, sim_err *err);

/* Stop the node: `rabbitmqctl stop`, then SIGTERM/SIGKILL to its process
** group, then remove the temp folder. Safe to call twice or on a zeroed
** struct. */
void lt_broker_stop(lt_broker *b);

/* Run `rabbitmqctl -n NODE ARGS...` (NULL-terminated argv after the node)
** for b (or, with b == NULL or b->node empty, the environment's default
** node), killing it after timeout_s. Its stdout goes to out (up to outsz-1
** bytes, NUL-terminated; out may be NULL). 0 when it exited 0; -1 with a
** message otherwise. */
int lt_ctl(const lt_broker *b, double timeout_s, char *out, size_t outsz,
           sim_err *err, const char *const *args);

/* Install SIGINT/SIGTERM/SIGHUP handlers and an atexit hook that stop every
** broker currently started (idempotent). Also sets SIGPIPE to ignored. */
void lt_broker_install_guards(void);

#endif
