/*
** test_evq.c - the pending-event set (sim/sim_evq.h), for both structures.
**
** Every ordering test runs on the heap and on the ladder queue. The central
** one replays thousands of random pushes, cancels and pops (many at equal
** times and priorities) against a brute-force reference that scans for the
** minimum (time, prio, seq), and requires the identical pop sequence; the
** queue's own structural self-check (sim_evq_check) runs along the way.
** Randomness here is a local xorshift so the tests depend on nothing else.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim/sim_evq.h"
#include "tests/test_util.h"

#include <math.h>
#include <stdlib.h>

static const sim_queue_kind KINDS[] = {SIM_QUEUE_HEAP, SIM_QUEUE_LADDER};
#define NKINDS 2

static void noop(sim *s, void *subject, uint64_t arg)
{
    (void)s;
    (void)subject;
    (void)arg;
}

static uint64_t xs_state = 88172645463325252ULL;
static uint64_t xs(void)
{
    xs_state ^= xs_state << 13;
    xs_state ^= xs_state >> 7;
    xs_state ^= xs_state << 17;
    return xs_state;
}
static double xs_unit(void) { return (double)(xs() >> 11) * 0x1.0p-53; }

static sim_handle push(sim_evq *q, double t, int32_t prio, uint64_t id)
{
    return sim_evq_push(q, t, prio, 0, noop, NULL, id);
}

/* Pop everything <= limit, returning the arg ids in order. */
static size_t drain(sim_evq *q, double limit, uint64_t *out, size_t max)
{
    size_t n = 0;
    sim_evq_item it;
    while (sim_evq_pop(q, limit, &it)) {
        assert_true(n < max);
        out[n++] = it.arg;
    }
    return n;
}

static void test_fifo_at_equal_time(void **state)
{
    (void)state;
    for (int k = 0; k < NKINDS; k++) {
        sim_evq *q = sim_evq_new(KINDS[k]);
        enum { N = 3000 };
        /* Interleave three times so the ties are spread across pushes. */
        for (uint64_t i = 0; i < N; i++) push(q, (double)(i % 3), 0, i);
        static uint64_t got[N];
        assert_int_equal(drain(q, INFINITY, got, N), N);
        for (size_t i = 0; i < N; i++) {
            size_t grp = i / (N / 3), pos = i % (N / 3);
            assert_int_equal(got[i], pos * 3 + grp);
        }
        sim_evq_free(q);
    }
}

static void test_priority_then_fifo(void **state)
{
    (void)state;
    for (int k = 0; k < NKINDS; k++) {
        sim_evq *q = sim_evq_new(KINDS[k]);
        /* ids encode the expected rank: prio -5 first, then 0, then 7. */
        int32_t prios[] = {7, 0, -5, 0, 7, -5, 0};
        uint64_t ids[] = {5, 2, 0, 3, 6, 1, 4};
        for (int i = 0; i < 7; i++) push(q, 1.5, prios[i], ids[i]);
        push(q, 1.0, 100, 99); /* earlier time beats any priority */
        uint64_t got[8];
        assert_int_equal(drain(q, INFINITY, got, 8), 8);
        assert_int_equal(got[0], 99);
        for (uint64_t i = 1; i < 8; i++) assert_int_equal(got[i], i - 1);
        sim_evq_free(q);
    }
}

static void test_cancel_never_fires(void **state)
{
    (void)state;
    for (int k = 0; k < NKINDS; k++) {
        sim_evq *q = sim_evq_new(KINDS[k]);
        sim_handle h[200];
        for (uint64_t i = 0; i < 200; i++) h[i] = push(q, (double)i, 0, i);
        for (int i = 0; i < 200; i += 2) {
            assert_true(sim_evq_is_pending(q, h[i]));
            assert_true(sim_evq_cancel(q, h[i]));
            assert_false(sim_evq_is_pending(q, h[i]));
        }
        assert_int_equal(sim_evq_size(q), 100);
        sim_evq_check(q);
        uint64_t got[200];
        size_t n = drain(q, INFINITY, got, 200);
        assert_int_equal(n, 100);
        for (size_t i = 0; i < n; i++) assert_int_equal(got[i], 2 * i + 1);
        assert_int_equal(sim_evq_size(q), 0);
        assert_int_equal(sim_evq_dead(q), 0);
        sim_evq_free(q);
    }
}

static void test_stale_handles_are_harmless(void **state)
{
    (void)state;
    for (int k = 0; k < NKINDS; k++) {
        sim_evq *q = sim_evq_new(KINDS[k]);
        assert_false(sim_evq_cancel(q, SIM_HANDLE_NONE));
        assert_false(sim_evq_cancel(q, (sim_handle){12345, 1}));
        sim_handle a = push(q, 1.0, 0, 1);
        assert_true(sim_evq_cancel(q, a));
        assert_false(sim_evq_cancel(q, a)); /* twice */
        sim_handle b = push(q, 2.0, 0, 2);
        sim_evq_item it;
        assert_true(sim_evq_pop(q, INFINITY, &it)); /* discards a, runs b */
        assert_int_equal(it.arg, 2);
        assert_false(sim_evq_cancel(q, b)); /* already ran */
        /* Reuse the slots, then try the stale handles again. */
        sim_handle c = push(q, 3.0, 0, 3), d = push(q, 4.0, 0, 4);
        assert_true(c.slot == a.slot || c.slot == b.slot ||
                    d.slot == a.slot || d.slot == b.slot);
        assert_false(sim_evq_cancel(q, a));
        assert_false(sim_evq_cancel(q, b));
        assert_false(sim_evq_is_pending(q, a));
        assert_true(sim_evq_is_pending(q, c) && sim_evq_is_pending(q, d));
        assert_int_equal(sim_evq_size(q), 2);
        uint64_t got[4];
        assert_int_equal(drain(q, INFINITY, got, 4), 2);
        assert_int_equal(got[0], 3);
        assert_int_equal(got[1], 4);
        sim_evq_free(q);
    }
}

/* Brute-force reference: an unsorted array scanned for the minimum key. */
typedef struct ref_ev {
    double t;
    int32_t prio;
    uint64_t seq, id;
    sim_handle h;
} ref_ev;

static size_t ref_min(const ref_ev *v, size_t n)
{
    size_t m = 0;
    for (size_t i = 1; i < n; i++) {
        const ref_ev *a = &v[i], *b = &v[m];
        if (a->t < b->t ||
            (a->t == b->t &&
             (a->prio < b->prio || (a->prio == b->prio && a->seq < b->seq))))
            m = i;
    }
    return m;
}

/* Random pushes/cancels/pops against the reference. `spread` chooses the
** time pattern: 0 = small integer grid (ties everywhere), 1 = continuous. */
static void random_vs_reference(sim_queue_kind kind, int spread, int ops,
                                uint64_t seed)
{
    xs_state = seed;
    sim_evq *q = sim_evq_new(kind);
    ref_ev *ref = malloc(sizeof *ref * 4 * (size_t)ops);
    assert_non_null(ref);
    size_t n = 0;
    uint64_t seq = 0, next_id = 0, popped = 0;
    double now = 0;
    for (int op = 0; op < ops; op++) {
        uint64_t r = xs() % 100;
        if (r < 55 || n == 0) { /* push, often in bursts */
            int burst = 1 + (int)(xs() % 4);
            for (int b = 0; b < burst; b++) {
                double t = spread == 0 ? now + (double)(xs() % 8)
                                       : now + 10.0 * xs_unit() * xs_unit();
                int32_t prio = (int32_t)(xs() % 3) - 1;
                ref[n] = (ref_ev){t, prio, seq++, next_id, SIM_HANDLE_NONE};
                ref[n].h = push(q, t, prio, next_id++);
                n++;
            }
        } else if (r < 75) { /* cancel a random pending event */
            size_t i = (size_t)(xs() % n);
            assert_true(sim_evq_cancel(q, ref[i].h));
            assert_false(sim_evq_cancel(q, ref[i].h));
            ref[i] = ref[--n];
        } else { /* pop, sometimes with a limit that stops short */
            size_t m = ref_min(ref, n);
            double limit = (xs() % 4 == 0) ? ref[m].t - 0.5 : INFINITY;
            sim_evq_item it;
            bool ok = sim_evq_pop(q, limit, &it);
            if (ref[m].t > limit) {
                assert_false(ok);
                continue;
            }
            assert_true(ok);
            if (it.arg != ref[m].id)
                fail_msg("%s spread %d op %d pop %llu: got id %llu, want "
                         "%llu (t %.17g)", sim_evq_kind_name(kind), spread,
                         op, (unsigned long long)popped,
                         (unsigned long long)it.arg,
                         (unsigned long long)ref[m].id, ref[m].t);
            assert_near(it.t, ref[m].t, 0.0);
            assert_true(it.t >= now);
            now = it.t;
            popped++;
            ref[m] = ref[--n];
        }
        assert_int_equal(sim_evq_size(q), n);
        if (op % 997 == 0) sim_evq_check(q);
    }
    sim_evq_check(q);
    while (n) { /* drain the rest */
        size_t m = ref_min(ref, n);
        sim_evq_item it;
        assert_true(sim_evq_pop(q, INFINITY, &it));
        assert_int_equal(it.arg, ref[m].id);
        ref[m] = ref[--n];
    }
    sim_evq_item it;
    assert_false(sim_evq_pop(q, INFINITY, &it));
    free(ref);
    sim_evq_free(q);
}

static void test_random_ops_match_reference_ties(void **state)
{
    (void)state;
    for (int k = 0; k < NKINDS; k++)
        for (uint64_t seed = 1; seed <= 3; seed++)
            random_vs_reference(KINDS[k], 0, 20000, seed * 7919);
}

static void test_random_ops_match_reference_continuous(void **state)
{
    (void)state;
    for (int k = 0; k < NKINDS; k++)
        for (uint64_t seed = 1; seed <= 3; seed++)
            random_vs_reference(KINDS[k], 1, 20000, seed * 104729);
}

/* A hold model on both structures, with a share of exact ties and of
** cancels, large enough to build several ladder rungs: both must pop the
** identical sequence. */
static void test_heap_and_ladder_agree_at_scale(void **state)
{
    (void)state;
    enum { N = 20000, STEPS = 200000 };
    sim_evq *q[NKINDS];
    static sim_handle h[NKINDS][N];
    for (int k = 0; k < NKINDS; k++) q[k] = sim_evq_new(KINDS[k]);
    xs_state = 12345;
    for (uint64_t i = 0; i < N; i++) {
        double t = -log(1.0 - xs_unit());
        for (int k = 0; k < NKINDS; k++) h[k][i] = push(q[k], t, 0, i);
    }
    for (int step = 0; step < STEPS; step++) {
        sim_evq_item it[NKINDS];
        for (int k = 0; k < NKINDS; k++)
            assert_true(sim_evq_pop(q[k], INFINITY, &it[k]));
        if (it[0].arg != it[1].arg)
            fail_msg("step %d: heap popped %llu at %.17g, ladder %llu at "
                     "%.17g", step, (unsigned long long)it[0].arg, it[0].t,
                     (unsigned long long)it[1].arg, it[1].t);
        uint64_t id = it[0].arg;
        uint64_t r = xs();
        /* 1 in 8 reschedules at exactly now (a tie), else now + Exp(1). */
        double t = (r % 8 == 0) ? it[0].t : it[0].t - log(1.0 - xs_unit());
        int32_t prio = (int32_t)(r >> 8) % 2;
        for (int k = 0; k < NKINDS; k++) h[k][id] = push(q[k], t, prio, id);
        if (r % 5 == 0) { /* cancel and re-push some other event */
            uint64_t j = (r >> 16) % N;
            double tj = it[0].t + 3.0 * xs_unit();
            for (int k = 0; k < NKINDS; k++) {
                assert_true(sim_evq_cancel(q[k], h[k][j]));
                h[k][j] = push(q[k], tj, 0, j);
            }
        }
        if (step % 50000 == 0)
            for (int k = 0; k < NKINDS; k++) sim_evq_check(q[k]);
    }
    for (int k = 0; k < NKINDS; k++) {
        assert_int_equal(sim_evq_size(q[k]), N);
        sim_evq_check(q[k]);
        sim_evq_free(q[k]);
    }
}

/* A hold model whose increments (Exp, mean 14 ms) are short against the
** initial spread (uniform over 2.4 s): late events pile into a rung's
** catch-all last bucket, which later becomes a finer rung spanning past its
** parent's range. Found in the field: an insert past the parent's range was
** appended to the finer rung's last bucket although an earlier bucket held
** a later event, so the ladder popped out of order. The parameters are the
** first case a random search found against the broken version (which fails
** at step 7817); both structures must pop the same sequence. */
static void test_catchall_subrung_order(void **state)
{
    (void)state;
    uint64_t st = 88172645463325252ULL + 41u * 7919u; /* the search's trial 41 */
#define XS() (st ^= st << 13, st ^= st >> 7, st ^= st << 17, st)
#define UNIT() ((double)(XS() >> 11) * 0x1.0p-53)
    int n = 50 + (int)(XS() % 3000);
    double spread = 0.5 + UNIT() * 20, inc = 0.01 + UNIT() * 0.5;
    assert_int_equal(n, 624);
    sim_evq *q[NKINDS];
    for (int k = 0; k < NKINDS; k++) q[k] = sim_evq_new(KINDS[k]);
    for (int i = 0; i < n; i++) {
        double t = UNIT() * spread;
        for (int k = 0; k < NKINDS; k++) push(q[k], t, 0, (uint64_t)i);
    }
    for (int step = 0; step < 20000; step++) {
        sim_evq_item it[NKINDS];
        for (int k = 0; k < NKINDS; k++) assert_true(sim_evq_pop(q[k], INFINITY, &it[k]));
        if (it[0].arg != it[1].arg || it[0].t != it[1].t)
            fail_msg("step %d: heap popped %llu at %.17g, ladder %llu at %.17g", step,
                     (unsigned long long)it[0].arg, it[0].t,
                     (unsigned long long)it[1].arg, it[1].t);
        double t = it[0].t - log(1.0 - UNIT()) * inc;
        for (int k = 0; k < NKINDS; k++) push(q[k], t, 0, it[0].arg);
        if (step % 500 == 0) sim_evq_check(q[1]);
    }
#undef XS
#undef UNIT
    for (int k = 0; k < NKINDS; k++) {
        sim_evq_check(q[k]);
        sim_evq_free(q[k]);
    }
}

/* Many events at one instant, each pushing another at the same instant:
** FIFO must hold and the ladder must not degrade into re-sorting. */
static void test_equal_time_burst(void **state)
{
    (void)state;
    for (int k = 0; k < NKINDS; k++) {
        sim_evq *q = sim_evq_new(KINDS[k]);
        enum { N = 20000 };
        for (uint64_t i = 0; i < N; i++) push(q, 5.0, 0, i);
        uint64_t expect = 0, next = N;
        sim_evq_item it;
        while (sim_evq_pop(q, INFINITY, &it)) {
            assert_int_equal(it.arg, expect);
            expect++;
            assert_near(it.t, 5.0, 0.0);
            if (next < 2 * N) push(q, 5.0, 0, next++);
        }
        assert_int_equal(expect, 2 * N);
        sim_evq_free(q);
    }
}

static void test_pending_count_and_peek(void **state)
{
    (void)state;
    for (int k = 0; k < NKINDS; k++) {
        sim_evq *q = sim_evq_new(KINDS[k]);
        assert_int_equal(sim_evq_size(q), 0);
        assert_true(isinf(sim_evq_peek_time(q)));
        sim_handle a = push(q, 2.0, 0, 1);
        push(q, 3.0, 0, 2);
        assert_int_equal(sim_evq_size(q), 2);
        assert_near(sim_evq_peek_time(q), 2.0, 0.0);
        sim_evq_cancel(q, a);
        assert_int_equal(sim_evq_size(q), 1);
        assert_near(sim_evq_peek_time(q), 3.0, 0.0);
        sim_evq_item it;
        assert_false(sim_evq_pop(q, 2.5, &it)); /* next is after limit */
        assert_int_equal(sim_evq_size(q), 1);
        assert_true(sim_evq_pop(q, 3.0, &it)); /* limit is inclusive */
        assert_int_equal(sim_evq_size(q), 0);
        sim_evq_free(q);
    }
}

static void test_bytes_per_event(void **state)
{
    (void)state;
    assert_true(sim_evq_bytes_per_event() <= 64);
    assert_true(sim_bytes_per_event() <= 64);
    assert_int_equal(sim_bytes_per_event(), sim_evq_bytes_per_event());
}

/* Retry timers: 1000 live timers, each cancelled and re-armed 500 times,
** never reached. Lazy cancel must purge, not accumulate. */
static void test_cancel_heavy_memory_bounded(void **state)
{
    (void)state;
    for (int k = 0; k < NKINDS; k++) {
        sim_evq *q = sim_evq_new(KINDS[k]);
        enum { LIVE = 1000, ROUNDS = 500 };
        sim_handle h[LIVE];
        xs_state = 777;
        for (int i = 0; i < LIVE; i++)
            h[i] = push(q, 100.0 + xs_unit(), 0, (uint64_t)i);
        size_t mem0 = sim_evq_mem_bytes(q), peak = 0;
        for (int r = 0; r < ROUNDS; r++) {
            for (int i = 0; i < LIVE; i++) {
                assert_true(sim_evq_cancel(q, h[i]));
                h[i] = push(q, 100.0 + xs_unit(), 0, (uint64_t)i);
            }
            assert_true(sim_evq_dead(q) <= sim_evq_size(q) + 1024);
            size_t m = sim_evq_mem_bytes(q);
            if (m > peak) peak = m;
        }
        sim_evq_check(q);
        assert_int_equal(sim_evq_size(q), LIVE);
        /* 500k cancels; memory stays within a small multiple of the start. */
        if (peak > 8 * mem0 + 256 * 1024)
            fail_msg("%s: memory grew from %zu to %zu bytes",
                     sim_evq_kind_name(KINDS[k]), mem0, peak);
        sim_evq_free(q);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_at_equal_time),
        cmocka_unit_test(test_priority_then_fifo),
        cmocka_unit_test(test_cancel_never_fires),
        cmocka_unit_test(test_stale_handles_are_harmless),
        cmocka_unit_test(test_random_ops_match_reference_ties),
        cmocka_unit_test(test_random_ops_match_reference_continuous),
        cmocka_unit_test(test_heap_and_ladder_agree_at_scale),
        cmocka_unit_test(test_catchall_subrung_order),
        cmocka_unit_test(test_equal_time_burst),
        cmocka_unit_test(test_pending_count_and_peek),
        cmocka_unit_test(test_bytes_per_event),
        cmocka_unit_test(test_cancel_heavy_memory_bounded),
    };
    return cmocka_run_group_tests_name("sim_evq", tests, NULL, NULL);
}
