/*
** mq_kind.c - the broker-kind table (mq_broker_kind, mq_world.h): what the
** base clients do differently on RocketMQ and on RabbitMQ, as one row per
** kind, so that mq_producer.c, mq_consumer.c and mq_model.c read a field
** instead of branching on the kind, and a new broker kind is one row.
** Sources per field: RocketMQ model-reference #16, #26 (a send on a lost
** connection waits for its timeout; sync send), #31 (throttling back-off);
** RabbitMQ #3 (publishing on a closed channel throws at once), and the
** amqp-client measurement behind process_buffer_on_close
** (docs/VALIDATION.md).
*/
#include "models/mq_world.h"
#include "sim/sim_err.h"

static const mq_broker_kind kinds[] = {
    [MQ_KIND_ROCKETMQ] = {
        .name = "rocketmq",
        .attempt_waits_timeout = true,
        .throttle_uses_attempts = true,
        .sync_send = true,
        .reads_before_close = false,
        .spec_bucket = false, /* the instance change type's own bucket */
        .dup_requeue = DUP_REDELIVERY,
        .dup_resend = DUP_SEND_RETRY,
    },
    [MQ_KIND_RABBITMQ] = {
        .name = "rabbitmq",
        .attempt_waits_timeout = false,
        .throttle_uses_attempts = false,
        .sync_send = false,
        .reads_before_close = true,
        .spec_bucket = true,
        .dup_requeue = DUP_REQUEUE,
        .dup_resend = DUP_REPUBLISH,
    },
};

const mq_broker_kind *mq_broker_kind_of(mq_kind kind)
{
    SIM_ASSERT((size_t)kind < sizeof kinds / sizeof kinds[0]);
    return &kinds[kind];
}
