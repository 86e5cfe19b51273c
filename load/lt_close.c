/*
** lt_close.c - close client connections by port, server-side, in one
** rabbitmqctl call (see lt_close.h for why).
**
** The Erlang expression is built from integers only (the ports) and a
** reason made of letters, digits, spaces, '-' and ':' (checked), so nothing
** from a scenario can inject code. A connection that dies meanwhile is
** skipped (try/catch), never an error. The output is the list of ports
** closed, e.g. "[41234,41240]", parsed back as integers (bounded by n).
** A call that fails (a time-out on a starved host) is made once more: a
** disruption that never lands would make the whole run compare a scenario
** the broker never saw.
*/
#include "load/lt_close.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One call takes 0.3-0.8 s on a quiet machine; it starts an Erlang VM,
** and with the two cores shared by a dozen runnable processes a node took
** 18.8 s to start (measured). The limit lets such a close still land,
** late (disruption_lag_s says how late), rather than not at all. */
#define CTL_TIMEOUT_S 60

static int reason_ok(const char *r)
{
    for (; *r; r++)
        if (!isalnum((unsigned char)*r) && *r != ' ' && *r != ':' && *r != '-') return 0;
    return 1;
}

int lt_close_ports(const lt_broker *b, const int *ports, size_t n, const char *reason,
                   int *closed, size_t *nclosed, sim_err *err)
{
    *nclosed = 0;
    if (n == 0) return 0;
    if (n > LT_MAX_CLIENTS || !reason_ok(reason) || strlen(reason) > 100)
        return sim_err_set(err, "closing connections: bad request (%zu ports)", n);
    char expr[2048];
    size_t k = (size_t)snprintf(expr, sizeof expr, "Ports = [");
    for (size_t i = 0; i < n && k < sizeof expr - 16; i++)
        k += (size_t)snprintf(expr + k, sizeof expr - k, "%s%d", i ? "," : "", ports[i]);
    snprintf(expr + k, sizeof expr - k,
             "], Info = fun(P) -> try rabbit_networking:connection_info(P, [peer_port]) "
             "catch _:_ -> [] end end, "
             "[Port || P <- rabbit_networking:connections(), {peer_port, Port} <- Info(P), "
             "lists:member(Port, Ports), "
             "try rabbit_networking:close_connection(P, \"%s\") =:= ok catch _:_ -> false end].",
             reason);
    char out[1024];
    const char *args[] = {"eval", expr, NULL};
    if (lt_ctl(b, CTL_TIMEOUT_S, out, sizeof out, err, args) &&
        lt_ctl(b, CTL_TIMEOUT_S, out, sizeof out, err, args))
        return -1;
    for (char *p = out; *p && *nclosed < n; ) {
        if (!isdigit((unsigned char)*p)) { p++; continue; }
        char *end;
        long v = strtol(p, &end, 10);
        closed[(*nclosed)++] = (int)v;
        p = end;
    }
    return 0;
}
