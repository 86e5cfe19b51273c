/*
** test_real_close.c - the close state of a real consumer library
** (lt_real_close_state), without a broker: the deliveries the library
** completed on a connection the server closed count as busy when a
** redelivered copy of them was completed after the close by any consumer
** of the queue, not only by the closed one (with two consumers per queue
** the broker hands the requeued copies to the one still connected, and a
** search of the closed consumer's own log found none of them); the rest
** of what the broker held is buffered, and the model's rule for the
** profile (mq_consumer_close_duplicates) gives the duplicates.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "load/lt_client.h"
#include "load/lt_client_int.h"
#include "load/lt_real.h"

#include <stdlib.h>

/* A consumer whose library completed ids 0-4 on its connection before it
** saw the server's close at 5.0 s; the broker held 6 unacked then. */
static lt_client closed_client(lt_ctx *x)
{
    lt_client c = {.ctx = x, .consumer = true, .group = 0, .srv_closes = 1,
                   .srv_close_at = {5.0}, .srv_close_held = {6}};
    c.closed_ids = malloc(5 * sizeof *c.closed_ids);
    assert_non_null(c.closed_ids);
    for (uint32_t i = 0; i < 5; i++) c.closed_ids[i] = i;
    c.closed_end[0] = 5;
    return c;
}

static void test_busy_from_any_consumer(void **state)
{
    (void)state;
    mq_consumer_group g[1] = {{.ack = MQ_ACK_MANUAL, .process_buffer_on_close = true}};
    mq_scenario s = {.consumers = g, .nconsumers = 1};
    lt_track t;
    assert_int_equal(lt_track_init(&t, 16, 0), 0);
    lt_ctx x = {.s = &s, .track = &t};
    for (int i = 0; i < 8; i++) lt_track_new(&t, 0.1 * i, false);
    lt_client a = closed_client(&x);
    for (uint32_t i = 0; i < 5; i++) lt_track_consumed(&t, i, 1.0 + i * 0.5, false);
    /* id 1 came back redelivered before the close (an earlier requeue: not
    ** this close's), ids 3 and 4 after it, to the other consumer */
    lt_track_consumed(&t, 1, 2.0, true);
    lt_track_consumed(&t, 3, 5.2, true);
    lt_track_consumed(&t, 4, 5.3, true);
    lt_real_close_state(&a, &t);
    assert_null(a.closed_ids);
    assert_int_equal(a.closes, 1);
    assert_int_equal(a.close_busy, 2);
    assert_int_equal(a.close_buffered, 4);
    assert_int_equal(a.close_dup_model, 6); /* busy + buffered processed again */
    /* a library that drops its buffer at the close: the busy ones only */
    g[0].process_buffer_on_close = false;
    lt_client b = closed_client(&x);
    lt_real_close_state(&b, &t);
    assert_int_equal(b.close_dup_model, 2);
    lt_track_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_busy_from_any_consumer),
    };
    return cmocka_run_group_tests_name("real_close", tests, NULL, NULL);
}
