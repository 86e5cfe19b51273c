/*
** lt_preload.c - the stacked backlog into the broker (see lt_preload.h).
**
** Confirms: publish a window of WINDOW messages, then read basic.ack
** frames (multiple acks included) until every tag of the window is
** confirmed; a nack or a timeout fails the preload. Delivery tags count
** from 1 on the channel and ids are handed out in publish order with no
** other publisher running yet, so tag k is id first + k - 1.
*/
#include "load/lt_preload.h"
#include "load/lt_client_int.h"
#include "sim/sim_rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW 256

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* Wait until tag `upto` is confirmed; *acked is the highest tag confirmed. */
static int await_confirms(lt_ctx *x, amqp_connection_state_t c, uint64_t upto, uint64_t *acked,
                          uint32_t first, double deadline, sim_err *err)
{
    while (*acked < upto) {
        double left = deadline - lt_now(x);
        if (left <= 0) return sim_err_set(err, "preloading the backlog: confirms timed out");
        struct timeval tv = lt_tv(fmin(left, LT_SLICE_S));
        amqp_frame_t f;
        int st = amqp_simple_wait_frame_noblock(c, &f, &tv);
        if (st == AMQP_STATUS_TIMEOUT) continue;
        if (st != AMQP_STATUS_OK)
            return sim_err_set(err, "preloading the backlog: %s", amqp_error_string2(st));
        if (f.frame_type != AMQP_FRAME_METHOD) continue;
        if (f.payload.method.id == AMQP_BASIC_NACK_METHOD)
            return sim_err_set(err, "preloading the backlog: the broker refused a message");
        if (f.payload.method.id != AMQP_BASIC_ACK_METHOD)
            return sim_err_set(err, "preloading the backlog: unexpected method 0x%08x",
                               f.payload.method.id);
        /* one queue: RabbitMQ confirms in publish order, so a high-water
        ** mark is enough */
        amqp_basic_ack_t *a = f.payload.method.decoded;
        uint64_t from = a->multiple ? *acked + 1 : a->delivery_tag;
        for (uint64_t tag = from; tag <= a->delivery_tag && tag > *acked; tag++)
            lt_track_confirmed(x->track, first + (uint32_t)(tag - 1));
        if (a->delivery_tag > *acked) *acked = a->delivery_tag;
    }
    return 0;
}

int lt_preload(lt_ctx *x, const lt_url *u, const char *exchange, double timeout_s,
               uint64_t *count, sim_err *err)
{
    const mq_scenario *s = x->s;
    *count = 0;
    uint64_t total = 0;
    for (size_t i = 0; i < s->nbacklogs; i++) total += s->backlogs[i].messages;
    if (total == 0) return 0;
    if (total > LT_MAX_BACKLOG)
        return sim_err_set(err, "load mode preloads at most %u stacked messages (scenario: %llu)",
                           LT_MAX_BACKLOG, (unsigned long long)total);
    double deadline = lt_now(x) + timeout_s;
    amqp_connection_state_t c = lt_connect(u, 5, "mqsim/preload", err);
    if (!c) return -1;
    amqp_confirm_select(c, 1);
    int rc = 0;
    if (amqp_get_rpc_reply(c).reply_type != AMQP_RESPONSE_NORMAL)
        rc = sim_err_set(err, "preloading the backlog: confirm.select refused");
    uint64_t tag = 0, acked = 0;
    uint32_t first = x->track->n;
    for (size_t i = 0; rc == 0 && i < s->nbacklogs; i++) {
        const mq_backlog *b = &s->backlogs[i];
        gsl_rng *r = sim_rng_new(s->run.seed, 0, sim_mix64(sim_hash_str("backlog") + i),
                                 sim_hash_str("age"));
        double *age = malloc((b->messages ? b->messages : 1) * sizeof *age);
        SIM_NEED(r && age, "out of memory");
        for (uint64_t k = 0; rc == 0 && k < b->messages; k++) age[k] = fmax(0, sim_dist_sample(&b->age, r));
        if (rc == 0) qsort(age, b->messages, sizeof *age, cmp_desc); /* oldest first */
        amqp_basic_properties_t props = {._flags = AMQP_BASIC_DELIVERY_MODE_FLAG, .delivery_mode = 2};
        amqp_bytes_t key = amqp_cstring_bytes(s->queues[b->queue].name);
        for (uint64_t k = 0; rc == 0 && k < b->messages; k++) {
            uint32_t id = lt_track_new(x->track, -age[k], true);
            if (id == UINT32_MAX) {
                rc = sim_err_set(err, "preloading the backlog: the tracker is full");
                break;
            }
            char body[64];
            int len = lt_body_format(body, sizeof body, id, -age[k]);
            if (amqp_basic_publish(c, 1, amqp_cstring_bytes(exchange), key, 0, 0, &props,
                                   (amqp_bytes_t){.len = (size_t)len, .bytes = body}) != AMQP_STATUS_OK)
                rc = sim_err_set(err, "preloading the backlog: publish failed");
            tag++;
            if (rc == 0 && tag - acked >= WINDOW)
                rc = await_confirms(x, c, tag, &acked, first, deadline, err);
        }
        free(age);
        gsl_rng_free(r);
    }
    if (rc == 0) rc = await_confirms(x, c, tag, &acked, first, deadline, err);
    lt_disconnect(c, rc == 0);
    *count = tag;
    return rc;
}
