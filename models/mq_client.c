/*
** mq_client.c - a connection's state changes handed to the client that owns
** it (mq_world.h, "mq_conn.c: reconnect state machine"): the reconnect state
** machine (mq_conn.c) calls these, and they call the producer or consumer
** model. Kept apart from the model driver (mq_model.c) so that the
** connection code and the driver do not call each other.
*/
#include "models/mq_world.h"

void mq_client_on_up(mq_world *w, mq_conn *c)
{
    if (c->consumer) mq_consumer_up(w, (mq_consumer *)c);
    else mq_producer_up(w, (mq_producer *)c);
}

void mq_client_on_down(mq_world *w, mq_conn *c)
{
    if (c->consumer) mq_consumer_down(w, (mq_consumer *)c);
    else mq_producer_down(w, (mq_producer *)c);
}

void mq_client_on_silent(mq_world *w, mq_conn *c)
{
    if (c->consumer) mq_consumer_silent(w, (mq_consumer *)c);
}

void mq_client_on_resume(mq_world *w, mq_conn *c)
{
    if (c->consumer) mq_consumer_resume(w, (mq_consumer *)c);
    else mq_producer_resume(w, (mq_producer *)c, sim_now(w->sim) - c->down_since);
}
