/*
** lt_client_int.h - what the producer (lt_producer.c) and consumer
** (lt_consumer.c) threads share, implemented in lt_client.c: the reconnect
** plan (the scenario's mq_reconnect, as models/mq_conn.c runs it), the
** client's connection-window bookkeeping, app-restart requests, the
** routing rule for new connections, and small time helpers. Nothing
** outside load/ includes it.
**
** Ownership: a recon borrows its config and owns its rng (the thread frees
** it); everything else works on caller-owned structs.
*/
#ifndef LT_CLIENT_INT_H
#define LT_CLIENT_INT_H

#include "load/lt_client.h"

#include <gsl/gsl_rng.h>
#include <sys/time.h>

#define LT_CONNECT_TIMEOUT_S 3.0
#define LT_SLICE_S 0.1

typedef struct lt_recon {
    const mq_reconnect *cfg;
    gsl_rng *rng;
    double next_try;   /* INFINITY = cut off for good */
    double wait_s;
    int attempts;
} lt_recon;

struct timeval lt_tv(double s);
void lt_sleep(double s);
/* The connection was lost (noticed at now): open the window, plan the way
** back (app restart asked, automatic recovery, or the app's own restart). */
void lt_went_down(lt_client *c, lt_recon *r, double now);
/* The client's own connection to node is up (first: at start, no window). */
void lt_went_up(lt_client *c, amqp_connection_state_t conn, int node, double now, bool first);
/* The same, for a connection known by its local port (a real-library
** driver reports it, load/lt_real.c). */
void lt_mark_up(lt_client *c, int port, int node, double now, bool first);
/* The first connection failed: the client starts cut off (window from 0). */
void lt_start_cut_off(lt_client *c, lt_recon *r);
/* A reconnect attempt failed at now: next wait (backoff, max attempts). */
void lt_failed_attempt(lt_recon *r, double now);
/* The client's group is refused until later (disconnect duration,
** PrivateLink outage). */
bool lt_blocked(lt_client *c, double now);
/* An app restart was asked: true when connected (the caller drops the
** connection, lt_went_down then plans the restart); when already down the
** restart time replaces the plan and false is returned. */
bool lt_take_restart(lt_client *c, lt_recon *r);
/* "mqsim/GROUP/INDEX" plus suffix (connection_name shown by rabbitmqctl). */
void lt_conn_name(const lt_client *c, const char *suffix, char *buf, size_t n);
/* Which node a new connection (and the sends on it) goes to now: the
** active change's answer, else the source (the one node of a plain run). */
int lt_route_node(lt_ctx *x);
/* What a consumer whose own connection is on node home may read now: the
** active change's answer, else home's queue only. */
void lt_read_plan(lt_ctx *x, int home, lt_reads *out);
/* A processing completion of id at now (a second one is a duplicate). */
/* Returns whether id had been consumed before (a duplicate). */
bool lt_track_consumed(lt_track *t, uint32_t id, double now, bool redelivered);

#endif
