/*
** lt_admin.c - topology, ready counts and the final drain over AMQP (see
** lt_admin.h). Each call checks the method's reply and turns a server
** refusal (a 404, a precondition failure) into one message naming the
** object.
*/
#include "load/lt_admin.h"

#include <stdio.h>
#include <string.h>

static int reply_ok(amqp_connection_state_t c, sim_err *err, const char *what, const char *name)
{
    amqp_rpc_reply_t rep = amqp_get_rpc_reply(c);
    if (rep.reply_type == AMQP_RESPONSE_NORMAL) return 0;
    char b[256];
    return sim_err_set(err, "%s '%s': %s", what, name, lt_reply_text(rep, b, sizeof b));
}

int lt_admin_queue(amqp_connection_state_t c, const char *queue, const char *exchange,
                   sim_err *err)
{
    amqp_bytes_t q = amqp_cstring_bytes(queue);
    amqp_queue_declare(c, 1, q, 0, 1, 0, 0, amqp_empty_table);
    if (reply_ok(c, err, "declaring queue", queue)) return -1;
    amqp_queue_purge(c, 1, q);
    if (reply_ok(c, err, "purging queue", queue)) return -1;
    if (!exchange) return 0;
    amqp_queue_bind(c, 1, q, amqp_cstring_bytes(exchange), q, amqp_empty_table);
    return reply_ok(c, err, "binding queue", queue);
}

int lt_admin_exchange(amqp_connection_state_t c, const char *name, const char *type,
                      const char *alternate, sim_err *err)
{
    amqp_table_entry_t ae = {.key = amqp_cstring_bytes("alternate-exchange"),
                             .value = {.kind = AMQP_FIELD_KIND_UTF8,
                                       .value.bytes = amqp_cstring_bytes(alternate ? alternate : "")}};
    amqp_table_t args = {.num_entries = alternate ? 1 : 0, .entries = &ae};
    amqp_exchange_declare(c, 1, amqp_cstring_bytes(name), amqp_cstring_bytes(type), 0, 1, 0, 0, args);
    return reply_ok(c, err, "declaring exchange", name);
}

int lt_admin_unbind(amqp_connection_state_t c, const char *queue, const char *exchange,
                    sim_err *err)
{
    amqp_bytes_t q = amqp_cstring_bytes(queue);
    amqp_queue_unbind(c, 1, q, amqp_cstring_bytes(exchange), q, amqp_empty_table);
    return reply_ok(c, err, "unbinding queue", queue);
}

int lt_admin_ready(amqp_connection_state_t c, const char *queue, uint64_t *ready, sim_err *err)
{
    amqp_queue_declare_ok_t *ok =
        amqp_queue_declare(c, 1, amqp_cstring_bytes(queue), 1, 1, 0, 0, amqp_empty_table);
    if (!ok) {
        if (reply_ok(c, err, "reading queue", queue) == 0) sim_err_set(err, "reading queue '%s'", queue);
        return -1;
    }
    *ready = ok->message_count;
    amqp_maybe_release_buffers(c);
    return 0;
}

int lt_admin_drain(const lt_ctx *x, const lt_url *u, const char *const *queues, size_t n,
                   double deadline, sim_err *err)
{
    amqp_connection_state_t c = lt_connect(u, 5, "mqsim/drain", err);
    if (!c) return -1;
    lt_track *t = x->track;
    uint64_t limit = (uint64_t)t->n * 4 + 1000;
    for (size_t q = 0; q < n; q++) {
        for (uint64_t k = 0; k < limit && lt_now(x) < deadline; k++) {
            amqp_maybe_release_buffers(c);
            amqp_rpc_reply_t rep = amqp_basic_get(c, 1, amqp_cstring_bytes(queues[q]), 1);
            if (rep.reply_type != AMQP_RESPONSE_NORMAL) {
                char b[256];
                sim_err_set(err, "final drain of '%s': %s", queues[q], lt_reply_text(rep, b, sizeof b));
                lt_disconnect(c, false);
                return -1;
            }
            if (rep.reply.id == AMQP_BASIC_GET_EMPTY_METHOD) break;
            amqp_message_t msg;
            rep = amqp_read_message(c, 1, &msg, 0);
            if (rep.reply_type != AMQP_RESPONSE_NORMAL) {
                lt_disconnect(c, false);
                return sim_err_set(err, "final drain of '%s': cannot read a message", queues[q]);
            }
            uint32_t id = lt_body_id(msg.body.bytes, msg.body.len);
            amqp_destroy_message(&msg);
            if (id < t->n) t->drained[id] = 1;
        }
    }
    lt_disconnect(c, true);
    return 0;
}
