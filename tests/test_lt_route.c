/*
** test_lt_route.c - the load tester's clients follow the routing of the
** active change through its table (load/change/lt_change.h), with no
** broker: without a change a new connection goes to the one node and a
** consumer reads its own node's queue; with a change, lt_route_node and
** lt_read_plan return the table's answers; and the conversion's answers,
** phase by phase, are the seed's routing layer (new connections to the
** destination from phase 1; reads: the own node before phase 1, the
** destination first and then the source in phases 1-3, the destination
** only in phase 4). A group's refusal window (lt_block_slot) starts at
** its event, not when it is set.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "load/change/lt_change.h"
#include "load/change/lt_conv.h"
#include "load/lt_client_int.h"
#include "models/change/mq_rabbitmq.h"

#include <string.h>

static void expect_reads(const lt_reads *r, bool src, bool dst, bool pull)
{
    if (r->push[LT_SRC] != src || r->push[LT_DST] != dst || r->pull_src != pull)
        fail_msg("reads push src %d dst %d pull %d, expected %d %d %d", r->push[LT_SRC],
                 r->push[LT_DST], r->pull_src, src, dst, pull);
}

static void test_no_change(void **state)
{
    (void)state;
    lt_ctx x = {.nnodes = 1};
    lt_reads r;
    assert_int_equal(lt_route_node(&x), LT_SRC);
    lt_read_plan(&x, LT_SRC, &r);
    expect_reads(&r, true, false, false);
    lt_read_plan(&x, -1, &r); /* no connection: nothing */
    expect_reads(&r, false, false, false);
}

/* A made-up change whose state is the answer itself. */
typedef struct fake { int node; lt_reads reads; } fake;
static int fake_node(const void *c) { return ((const fake *)c)->node; }
static void fake_reads(const void *c, int home, lt_reads *out)
{
    (void)home;
    *out = ((const fake *)c)->reads;
}

static void test_asks_the_table(void **state)
{
    (void)state;
    static const lt_change_ops ops = {.key = "fake", .connect_node = fake_node,
                                      .reads = fake_reads};
    fake f = {.node = LT_DST, .reads = {.push = {false, true}, .pull_src = true}};
    lt_ctx x = {.nnodes = 2, .change = &ops, .change_state = &f};
    lt_reads r;
    assert_int_equal(lt_route_node(&x), LT_DST);
    lt_read_plan(&x, LT_SRC, &r);
    expect_reads(&r, false, true, true);
    f.node = LT_SRC;
    f.reads = (lt_reads){.push = {true, false}};
    assert_int_equal(lt_route_node(&x), LT_SRC);
    lt_read_plan(&x, LT_DST, &r);
    expect_reads(&r, true, false, false);
}

static void test_conversion_phases(void **state)
{
    (void)state;
    assert_non_null(lt_conv_ops.connect_node);
    assert_non_null(lt_conv_ops.reads);
    assert_non_null(lt_conv_ops.stage_label);
    assert_int_equal(LT_NPH, MQ_RABBITMQ_NPHASES);
    lt_reads r;
    for (int home = LT_SRC; home <= LT_DST; home++) {
        for (lt_phase ph = LT_PH_NONE; ph <= LT_PH_CREATE; ph++) {
            assert_int_equal(lt_conv_connect_node_in(ph), LT_SRC);
            lt_conv_reads_in(ph, home, &r);
            expect_reads(&r, home == LT_SRC, home == LT_DST, false);
        }
        for (lt_phase ph = LT_PH_DUAL; ph <= LT_PH_DRAIN; ph++) {
            assert_int_equal(lt_conv_connect_node_in(ph), LT_DST);
            lt_conv_reads_in(ph, home, &r);
            expect_reads(&r, false, true, true);
        }
        assert_int_equal(lt_conv_connect_node_in(LT_PH_DEST), LT_DST);
        lt_conv_reads_in(LT_PH_DEST, home, &r);
        expect_reads(&r, false, true, false);
    }
    /* the stage label of a phase is the model's band label; none before */
    assert_string_equal(mq_rabbitmq_phase_label(LT_PH_NONE), "");
    assert_true(strlen(mq_rabbitmq_phase_label(LT_PH_DUAL)) > 0);
}

/* A group's refusal window: refused from its start, not from when it was
** set (a disconnect event sets it 3-8 s early, so that it is in place
** before the close lands, and a client that drops for another reason in
** those seconds must still get back in); a second window set while the
** first is open or ahead widens it, never narrows it; one set after the
** first ended replaces it. */
static void test_refusal_window(void **state)
{
    (void)state;
    lt_block b[1] = {{0, 0}};
    lt_ctx x = {.blocked = b};
    assert_false(lt_slot_blocked(&x, 0, 0));
    lt_block_slot(&x, 0, 20, 30, 14); /* set at 14 for [20, 30) */
    assert_false(lt_slot_blocked(&x, 0, 15));
    assert_true(lt_slot_blocked(&x, 0, 20));
    assert_true(lt_slot_blocked(&x, 0, 29.9));
    assert_false(lt_slot_blocked(&x, 0, 30));
    lt_block_slot(&x, 0, 28, 38, 22); /* the next event, launched at 22 */
    assert_true(lt_slot_blocked(&x, 0, 25)); /* the first window still holds */
    assert_true(lt_slot_blocked(&x, 0, 37));
    assert_false(lt_slot_blocked(&x, 0, 38));
    lt_block_slot(&x, 0, 50, 55, 44); /* after both ended: a fresh window */
    assert_false(lt_slot_blocked(&x, 0, 45));
    assert_true(lt_slot_blocked(&x, 0, 50));
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_no_change),
        cmocka_unit_test(test_asks_the_table),
        cmocka_unit_test(test_conversion_phases),
        cmocka_unit_test(test_refusal_window),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
