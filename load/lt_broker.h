/*
** lt_broker.h - a private RabbitMQ node on loopback for `mqsim load
** --start-broker`, and the rabbitmqctl calls the load tester needs.
**
** The node runs as a child process in its own process group: its own node
** name, AMQP / distribution / epmd ports (picked free on 127.0.0.1) and a
** temp folder holding HOME (the Erlang cookie), the Mnesia data and the
** logs. Several nodes can run at once (a conversion runs a source and a
** destination): each has its own epmd, and every rabbitmqctl call gets its
** node's ERL_EPMD_PORT and HOME in its own environment, never in ours.
** Starting is split into launch (spawn, no wait) and await (readiness), so
** two nodes boot in parallel. With the management plugin asked for, its
** HTTP listener gets a free loopback port too (for `mqsim capture`).
** epmd is started in the foreground in the same process group (never
** as a daemon), so killing the group leaves nothing behind. Every started
** broker, and every rabbitmqctl call in flight, is registered for an atexit
** hook and SIGINT/SIGTERM/SIGHUP handlers that kill its process group, so a
** failure or Ctrl-C never leaves it running. rabbitmqctl is always /usr/lib/rabbitmq/bin/rabbitmqctl with
** the node's HOME (the /usr/sbin wrapper switches user and cookie), run with
** a time limit.
**
** A broker not started by us (plain --broker) can still be disrupted when
** rabbitmqctl can reach it; ctl_home/node then come from the environment
** (HOME, RABBITMQ_NODENAME) and may fail: the caller reports it.
**
** Ownership: lt_broker_start fills a caller-owned struct; lt_broker_stop
** stops the node and removes the temp folder (idempotent; two different
** nodes may be stopped from two threads at once).
*/
#ifndef LT_BROKER_H
#define LT_BROKER_H

#include "sim/sim_err.h"

#include <stdbool.h>
#include <sys/types.h>

typedef struct lt_broker {
    pid_t pgid;           /* process group of epmd + server; 0 = not ours */
    pid_t server_pid;
    int amqp_port;
    int mgmt_port;        /* management HTTP API on 127.0.0.1; 0 = plugin off */
    int epmd_port;        /* 0 = the environment's (a node not started here) */
    char node[64];        /* e.g. mqsim12345@localhost, mqsim12345d@localhost */
    char dir[256];        /* temp folder (HOME, data, logs); "" = none */
    double launched_at;   /* CLOCK_MONOTONIC at launch */
    double startup_s;     /* measured time to readiness */
    pid_t watchdog;       /* reaps the node if we die (lt_broker.c); 0 = none */
    int watch_fd;         /* our end of its pipe; -1 = none */
} lt_broker;

/* What makes one private node differ from another started by this process. */
typedef struct lt_node_opts {
    const char *tag;      /* node name suffix, letters only ("" or NULL: none) */
    const char *plugins;  /* comma-separated plugins to enable (NULL: none);
                             with rabbitmq_management the API listens on a
                             free loopback port (lt_broker.mgmt_port) */
    int stats_s;          /* management statistics: emitted and kept at
                             this granularity, s (0: the broker's 5 s) */
} lt_node_opts;

/* A wait on a node that lasts as long as the node is getting somewhere. A
** start-up on a busy machine takes as long as the machine lets it (3 s
** quiet, over a minute with the cores shared by a dozen processes), so a
** wall-clock limit turns contention into failures; what shows a node that
** will never get there is that it stops working. So a wait goes on while
** the node's process group keeps using CPU, fails once it used none for
** stall_s (or, for a node not started here, whose CPU cannot be read,
** once stall_s passed), and never lasts beyond LT_WAIT_CEILING_S. */
#define LT_WAIT_CEILING_S 300.0
typedef struct lt_wait {
    const lt_broker *b;
    double start;         /* CLOCK_MONOTONIC, s */
    double moved;         /* last time the node was seen using CPU */
    double cpu;           /* its CPU time then, s */
    double stall_s;
} lt_wait;
/* Start a wait on b (started at CLOCK_MONOTONIC start, s). */
void lt_wait_begin(lt_wait *w, const lt_broker *b, double start, double stall_s);
/* 0 while the wait may go on; -1 with a message naming `what` (the time
** waited, and why it stopped). */
int lt_wait_going(lt_wait *w, const char *what, sim_err *err);
/* Seconds since the wait's start. */
double lt_wait_elapsed(const lt_wait *w);

/* Spawn a private node (o may be NULL: no tag, no plugins) without waiting
** for it. 0 ok; -1 with a message (nothing left running). */
int lt_broker_launch(lt_broker *b, const lt_node_opts *o, sim_err *err);
/* Wait until a launched node accepts AMQP and `rabbitmqctl await_startup`
** succeeds: an lt_wait from the launch with stall_s (b->startup_s is the
** time it took). 0 ok; -1 with a message (the node is then stopped and
** cleaned up). */
int lt_broker_await(lt_broker *b, double stall_s, sim_err *err);
/* Launch (no tag, no plugins) and await. */
int lt_broker_start(lt_broker *b, double stall_s, sim_err *err);

/* Stop the node: `rabbitmqctl stop`, then SIGTERM/SIGKILL to its process
** group, then remove the temp folder. Safe to call twice or on a zeroed
** struct. */
void lt_broker_stop(lt_broker *b);

/* Freeze (SIGSTOP) or thaw (SIGCONT) the node's Erlang VM (beam.smp in
** its process group): a silent peer. The kernel still accepts and buffers
** the clients' bytes, nothing answers. 0 ok; -1 when the node is not ours
** or no VM was found. */
int lt_broker_freeze(const lt_broker *b, bool freeze, sim_err *err);

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
