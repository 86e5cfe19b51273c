/*
** lt_close.c - close client connections by port, server-side, in one
** rabbitmqctl call (see lt_close.h for why).
**
** The Erlang expression is built from integers only (the ports) and a
** reason made of letters, digits, spaces, '-' and ':' (checked), so nothing
** from a scenario can inject code. A connection that dies meanwhile is
** skipped (try/catch), never an error. The output is the node's clock at
** the close and the ports closed, each with the deliveries its channels
** held unacknowledged just before (read in the same expression, so nothing
** the client does between two rabbitmqctl calls can fall in between), e.g.
** "{1765090000123456,[{41234,50}]}", parsed back as integers (bounded by n).
** A call that fails (a time-out on a starved host) is made once more: a
** disruption that never lands would make the whole run compare a scenario
** the broker never saw.
*/
#include "load/lt_close.h"

#include <ctype.h>
#include <math.h>
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

double lt_close_lead(double ctl_latency_s)
{
    return fmin(fmax(4.0 * ctl_latency_s, 3.0), 8.0);
}

int lt_close_ports_held(const lt_broker *b, const int *ports, size_t n, const char *reason,
                        double at_unix_s, int *closed, uint64_t *held, size_t *nclosed,
                        double *landed_unix_s, sim_err *err)
{
    *nclosed = 0;
    if (landed_unix_s) *landed_unix_s = NAN;
    if (n == 0) return 0;
    if (n > LT_MAX_CLIENTS || !reason_ok(reason) || strlen(reason) > 100)
        return sim_err_set(err, "closing connections: bad request (%zu ports)", n);
    char expr[2048];
    /* a close asked for a moment waits for it in the node, whose clock is
    ** the tester's (loopback): the VM that rabbitmqctl starts first may
    ** take seconds on a busy host, the wait in the broker does not */
    size_t k = isnan(at_unix_s) ? 0
             : (size_t)snprintf(expr, sizeof expr, "W = %lld - os:system_time(millisecond), "
                                "if W > 0 -> timer:sleep(W); true -> ok end, ",
                                (long long)llround(at_unix_s * 1e3));
    k += (size_t)snprintf(expr + k, sizeof expr - k, "Ports = [");
    for (size_t i = 0; i < n && k < sizeof expr - 16; i++)
        k += (size_t)snprintf(expr + k, sizeof expr - k, "%s%d", i ? "," : "", ports[i]);
    /* per connection, its channels' unacknowledged count read just before
    ** it is closed; the node's clock (microseconds, CLOCK_REALTIME) before
    ** the first close */
    snprintf(expr + k, sizeof expr - k,
             "], Info = fun(P) -> try rabbit_networking:connection_info(P, [peer_port]) "
             "catch _:_ -> [] end end, "
             "ChInfo = fun(Ch) -> try rabbit_channel:info(Ch, [connection, "
             "messages_unacknowledged]) catch _:_ -> [] end end, "
             "Held = fun(P) -> lists:sum([U || Ch <- rabbit_channel:list(), "
             "[{connection, C}, {messages_unacknowledged, U}] <- [ChInfo(Ch)], C =:= P]) end, "
             "Mine = [{P, Port} || P <- rabbit_networking:connections(), "
             "{peer_port, Port} <- Info(P), lists:member(Port, Ports)], "
             "T = os:system_time(microsecond), "
             "{T, [{Port, U} || {P, Port} <- Mine, U <- [Held(P)], "
             "try rabbit_networking:close_connection(P, \"%s\") =:= ok catch _:_ -> false end]}.",
             reason);
    char out[1024];
    const char *args[] = {"eval", expr, NULL};
    if (lt_ctl(b, CTL_TIMEOUT_S, out, sizeof out, err, args) &&
        lt_ctl(b, CTL_TIMEOUT_S, out, sizeof out, err, args))
        return -1;
    /* "{T,[{Port,Held},...]}": integers only */
    long long v[1 + 2 * LT_MAX_CLIENTS];
    size_t nv = 0;
    for (char *p = out; *p && nv < sizeof v / sizeof v[0];) {
        if (!isdigit((unsigned char)*p)) { p++; continue; }
        char *end;
        v[nv++] = strtoll(p, &end, 10);
        p = end;
    }
    if (nv == 0) return sim_err_set(err, "closing connections: unexpected answer '%s'", out);
    if (landed_unix_s) *landed_unix_s = (double)v[0] * 1e-6;
    for (size_t i = 1; i + 1 < nv && *nclosed < n; i += 2) {
        closed[*nclosed] = (int)v[i];
        if (held) held[*nclosed] = (uint64_t)v[i + 1];
        (*nclosed)++;
    }
    return 0;
}

int lt_close_ports(const lt_broker *b, const int *ports, size_t n, const char *reason,
                   int *closed, size_t *nclosed, sim_err *err)
{
    return lt_close_ports_held(b, ports, n, reason, NAN, closed, NULL, nclosed, NULL, err);
}
