/*
** lt_conv_router.c - the destination's read routing for real-library
** clients in a conversion (see lt_conv_router.h).
**
** One thread with two rabbitmq-c connections of its own (never closed by
** the conversion: they stand for the routing layer, not for a client):
** the source, read with basic.get, and the destination, written with
** confirms. A message is acked on the source only after the destination
** confirmed it, so a failure in between leaves it on the source (at
** worst a copy on both: a duplicate the router counts in routed_twice).
** Every wait is bounded: RPC timeouts on both connections, ROUTE_IDLE_S
** between polls, a stop seen within one poll.
*/
#include "load/change/lt_conv_router.h"
#include "load/lt_admin.h"
#include "load/lt_client_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUTE_LOW 16        /* top a destination queue up to this many ready */
#define ROUTE_IDLE_S 0.002  /* poll period while nothing is to be moved */
#define ROUTE_RETRY_S 0.5   /* re-open a lost routing connection after this */
#define CTL_TIMEOUT_S 10
#define ROUTED_REDELIVERED "x-mqsim-redelivered" /* the drivers read it (load/clients/) */

struct lt_conv_router {
    lt_ctx *x;
    const lt_conv *conv;
    pthread_t th;
    bool th_ok;
    volatile int stop;
    pthread_mutex_t mu; /* guards held */
    int held;           /* taken from the source, not acked there yet */
    uint64_t published; /* publishes on the current destination connection */
};

static void set_held(lt_conv_router *r, int n)
{
    pthread_mutex_lock(&r->mu);
    r->held = n;
    pthread_mutex_unlock(&r->mu);
}

/* Wait for the destination's confirm of publish number upto (RabbitMQ
** confirms one queue's publishes in order). 0 acked. */
static int await_confirm(amqp_connection_state_t d, uint64_t upto)
{
    for (int i = 0; i < 50; i++) {
        amqp_frame_t f;
        struct timeval tv = lt_tv(LT_SLICE_S);
        int st = amqp_simple_wait_frame_noblock(d, &f, &tv);
        if (st == AMQP_STATUS_TIMEOUT) continue;
        if (st != AMQP_STATUS_OK) return -1;
        if (f.frame_type != AMQP_FRAME_METHOD) continue;
        if (f.payload.method.id == AMQP_BASIC_ACK_METHOD) {
            if (((amqp_basic_ack_t *)f.payload.method.decoded)->delivery_tag >= upto) return 0;
            continue;
        }
        if (f.payload.method.id == AMQP_BASIC_NACK_METHOD ||
            f.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD ||
            f.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD)
            return -1;
    }
    return -1;
}

/* Move up to want messages of queue q: each taken with basic.get and
** published to the destination (a redelivered one with the
** ROUTED_REDELIVERED header, the flag a publish cannot set), then, once the
** destination confirmed the last, all acked on the source at once. The
** count moved, or -1 when a connection failed. */
static int move_batch(lt_conv_router *r, amqp_connection_state_t s, amqp_connection_state_t d,
                      const char *q, int want)
{
    amqp_bytes_t qb = amqp_cstring_bytes(q);
    uint64_t last = 0;
    int n = 0;
    for (; n < want; n++) {
        amqp_rpc_reply_t rep = amqp_basic_get(s, 1, qb, 0);
        if (rep.reply_type != AMQP_RESPONSE_NORMAL) return -1;
        if (rep.reply.id == AMQP_BASIC_GET_EMPTY_METHOD) break;
        const amqp_basic_get_ok_t *ok = rep.reply.decoded;
        last = ok->delivery_tag;
        bool again = ok->redelivered;
        set_held(r, n + 1);
        amqp_message_t msg;
        if (amqp_read_message(s, 1, &msg, 0).reply_type != AMQP_RESPONSE_NORMAL) return -1;
        amqp_basic_properties_t props = msg.properties;
        amqp_table_entry_t h = {.key = amqp_cstring_bytes(ROUTED_REDELIVERED),
                                .value = {.kind = AMQP_FIELD_KIND_BOOLEAN, .value.boolean = 1}};
        if (again) {
            props._flags |= AMQP_BASIC_HEADERS_FLAG;
            props.headers = (amqp_table_t){.num_entries = 1, .entries = &h};
        }
        int st = amqp_basic_publish(d, 1, amqp_empty_bytes, qb, 0, 0, &props, msg.body);
        amqp_destroy_message(&msg);
        if (st != AMQP_STATUS_OK) return -1;
        r->published++;
    }
    if (n == 0) return 0;
    if (await_confirm(d, r->published) || amqp_basic_ack(s, 1, last, 1) != AMQP_STATUS_OK) return -1;
    set_held(r, 0);
    return n;
}

/* One round over the queues: top each destination queue up to ROUTE_LOW
** ready messages from the source. -1 when a connection failed. */
static int route_round(lt_conv_router *r, amqp_connection_state_t s, amqp_connection_state_t d,
                       bool *moved)
{
    const mq_scenario *sc = r->x->s;
    for (size_t q = 0; q < sc->nqueues; q++) {
        const char *name = sc->queues[q].name;
        uint64_t ready;
        if (lt_admin_ready(d, name, &ready, NULL)) return -1;
        if (ready >= ROUTE_LOW) continue;
        int rc = move_batch(r, s, d, name, ROUTE_LOW - (int)ready);
        if (rc < 0) return -1;
        *moved |= rc > 0;
    }
    return 0;
}

static void *router_main(void *arg)
{
    lt_conv_router *r = arg;
    lt_ctx *x = r->x;
    amqp_connection_state_t s = NULL, d = NULL;
    double next_open = 0;
    while (!r->stop && !x->stop_consumers) { /* the final drain must find what is left */
        lt_phase ph = lt_conv_phase(r->conv);
        if (ph >= LT_PH_DEST) break; /* the source is closed for reads (lt_conv's shovels) */
        if (ph < LT_PH_DUAL) {
            lt_sleep(LT_SLICE_S / 2);
            continue;
        }
        double now = lt_now(x);
        if ((!s || !d) && now >= next_open) {
            if (!s) s = lt_connect(&x->nodes[LT_SRC], LT_CONNECT_TIMEOUT_S, "mqsim/read-routing", NULL);
            if (!d && (d = lt_connect(&x->nodes[LT_DST], LT_CONNECT_TIMEOUT_S, "mqsim/read-routing",
                                      NULL))) {
                r->published = 0;
                if (!amqp_confirm_select(d, 1)) {
                    lt_disconnect(d, false);
                    d = NULL;
                }
            }
            next_open = now + ROUTE_RETRY_S;
        }
        bool moved = false;
        if (s && d && route_round(r, s, d, &moved)) {
            /* unacked on a lost source connection is requeued there */
            lt_disconnect(s, false);
            lt_disconnect(d, false);
            s = d = NULL;
            set_held(r, 0);
            lt_warn(x, "read routing: a connection was lost at %.1f s and re-opened", now);
        }
        if (!moved) lt_sleep(ROUTE_IDLE_S);
    }
    lt_disconnect(s, true);
    lt_disconnect(d, true);
    set_held(r, 0);
    return NULL;
}

int lt_conv_router_start(lt_ctx *x, const lt_conv *c, lt_conv_router **out, sim_err *err)
{
    *out = NULL;
    lt_conv_router *r = calloc(1, sizeof *r);
    SIM_NEED(r != NULL, "out of memory");
    r->x = x;
    r->conv = c;
    pthread_mutex_init(&r->mu, NULL);
    r->th_ok = pthread_create(&r->th, NULL, router_main, r) == 0;
    if (!r->th_ok) {
        lt_conv_router_free(r);
        return sim_err_set(err, "cannot start the read-routing thread");
    }
    *out = r;
    return 0;
}

/* The source's unacked count over the scenario's queues; -1 unknown. */
static long source_unacked(const lt_ctx *x, const lt_broker *src)
{
    const char *args[] = {"list_queues", "-q", "--no-table-headers", "name",
                          "messages_unacknowledged", NULL};
    char out[8192];
    if (lt_ctl(src, CTL_TIMEOUT_S, out, sizeof out, NULL, args)) return -1;
    long total = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        char name[256];
        long n;
        if (sscanf(line, "%255s %ld", name, &n) != 2) continue;
        for (size_t q = 0; q < x->s->nqueues; q++)
            if (!strcmp(name, x->s->queues[q].name)) total += n;
    }
    return total;
}

int lt_conv_router_source_held(lt_conv_router *r, const lt_broker *src, const lt_client *clients,
                             size_t n)
{
    pthread_mutex_lock(&r->mu);
    int held = r->held;
    pthread_mutex_unlock(&r->mu);
    if (held) return held;
    bool on_source = false;
    pthread_mutex_lock(&r->x->mu);
    for (size_t i = 0; i < n; i++) on_source |= clients[i].consumer && clients[i].up && clients[i].home == LT_SRC;
    pthread_mutex_unlock(&r->x->mu);
    if (!on_source) return 0;
    long u = source_unacked(r->x, src);
    return u < 0 ? 1 : (int)u; /* unknown: keep waiting (the run's end bounds it) */
}

void lt_conv_router_free(lt_conv_router *r)
{
    if (!r) return;
    r->stop = 1;
    if (r->th_ok) pthread_join(r->th, NULL);
    pthread_mutex_destroy(&r->mu);
    free(r);
}
