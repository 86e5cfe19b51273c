/*
** test_loop.c - the engine's public API (sim/sim.h): clock, run loop, stop
** reasons, cancel through the engine, progress, and the pinned fingerprint.
**
** Aborts (scheduling into the past, NaN times) are tested in a fork()ed
** child whose stderr goes through a pipe: the parent checks that the child
** died of SIGABRT and that the message names this file and both times.
** Where the queue structure could matter, tests run on heap and ladder.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim/sim.h"
#include "tests/test_util.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const sim_queue_kind KINDS[] = {SIM_QUEUE_HEAP, SIM_QUEUE_LADDER};
#define NKINDS 2

/* ---- clock ---------------------------------------------------------------- */

typedef struct clockwatch {
    double last;
    int calls;
    bool backwards;
} clockwatch;

static void watch_action(sim *s, void *subject, uint64_t arg)
{
    clockwatch *w = subject;
    if (sim_now(s) < w->last) w->backwards = true;
    w->last = sim_now(s);
    w->calls++;
    if (arg > 0) /* fan out: two children at random-ish later times */
        for (int i = 0; i < 2; i++)
            sim_after(s, (double)((arg * 7 + (uint64_t)i * 3) % 5) * 0.5, 0,
                      1, watch_action, w, arg - 1);
}

static void test_clock_monotonic_and_until(void **state)
{
    (void)state;
    for (int k = 0; k < NKINDS; k++) {
        sim *s = sim_new_queue(KINDS[k]);
        clockwatch w = {0, 0, false};
        sim_at(s, 1.0, 0, 1, watch_action, &w, 10);
        assert_int_equal(sim_run(s, 5.0), SIM_STOP_TIME);
        assert_near(sim_now(s), 5.0, 0.0); /* clock advanced to until */
        assert_false(w.backwards);
        assert_true(w.last <= 5.0);
        assert_true(sim_events_pending(s) > 0);
        int before = w.calls;
        assert_int_equal(sim_run(s, 1e6), SIM_STOP_EMPTY);
        assert_near(sim_now(s), 1e6, 0.0);
        assert_false(w.backwards);
        assert_int_equal(w.calls, (1 << 11) - 1); /* full binary tree */
        assert_true(w.calls > before);
        assert_int_equal(sim_events_executed(s), (uint64_t)w.calls);
        assert_int_equal(sim_events_pending(s), 0);
        sim_free(s);
    }
}

static void count_action(sim *s, void *subject, uint64_t arg)
{
    (void)s;
    (void)arg;
    (*(int *)subject)++;
}

static void test_until_is_inclusive_and_resumable(void **state)
{
    (void)state;
    sim *s = sim_new();
    int n = 0;
    for (int i = 1; i <= 4; i++) sim_at(s, (double)i, 0, 0, count_action, &n, 0);
    assert_int_equal(sim_run(s, 2.0), SIM_STOP_TIME);
    assert_int_equal(n, 2); /* the event at exactly 2.0 ran */
    assert_int_equal(sim_events_pending(s), 2);
    assert_int_equal(sim_run(s, 2.0), SIM_STOP_TIME); /* nothing new */
    assert_int_equal(n, 2);
    assert_int_equal(sim_run(s, INFINITY), SIM_STOP_EMPTY);
    assert_int_equal(n, 4);
    assert_near(sim_now(s), 4.0, 0.0); /* INFINITY leaves the last time */
    sim_free(s);
}

/* ---- aborts ----------------------------------------------------------------- */

static void abort_past(void)
{
    sim *s = sim_new();
    int n = 0;
    sim_at(s, 3.0, 0, 0, count_action, &n, 0);
    sim_run(s, 10.0);
    sim_at(s, 9.5, 0, 0, count_action, &n, 0); /* before now = 10 */
}

static void abort_nan(void)
{
    sim *s = sim_new();
    int n = 0;
    sim_at(s, NAN, 0, 0, count_action, &n, 0);
}

/* Run fn in a child; return its stderr text in buf and expect SIGABRT. */
static void expect_abort(void (*fn)(void), char *buf, size_t cap)
{
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fd[0]);
        dup2(fd[1], 2);
        fn();
        _exit(0); /* not reached if fn aborts */
    }
    close(fd[1]);
    size_t n = 0;
    ssize_t r;
    while (n + 1 < cap && (r = read(fd[0], buf + n, cap - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = '\0';
    close(fd[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
        fail_msg("child did not abort (status 0x%x), stderr: %s", status, buf);
}

static void test_schedule_into_past_aborts(void **state)
{
    (void)state;
    char msg[1024];
    expect_abort(abort_past, msg, sizeof msg);
    if (!strstr(msg, "test_loop.c:") || !strstr(msg, "9.5") ||
        !strstr(msg, "10"))
        fail_msg("message lacks caller file:line or times: %s", msg);
}

static void test_nan_time_aborts(void **state)
{
    (void)state;
    char msg[1024];
    expect_abort(abort_nan, msg, sizeof msg);
    if (!strstr(msg, "test_loop.c:") || !strstr(msg, "NaN"))
        fail_msg("message lacks caller file:line or NaN: %s", msg);
}

/* ---- stopping -------------------------------------------------------------- */

static void tick(sim *s, void *subject, uint64_t arg)
{
    int *n = subject;
    (*n)++;
    sim_after(s, 1.0, 0, 0, tick, n, arg);
    if (arg && (uint64_t)*n == arg) sim_stop(s);
}

static bool stop_at_7(sim *s, void *ud)
{
    (void)ud;
    return sim_now(s) >= 7.0;
}

static void test_stop_condition(void **state)
{
    (void)state;
    sim *s = sim_new();
    int n = 0;
    sim_at(s, 0.0, 0, 0, tick, &n, 0);
    sim_set_stop_condition(s, stop_at_7, NULL);
    assert_int_equal(sim_run(s, 100.0), SIM_STOP_CONDITION);
    assert_near(sim_now(s), 7.0, 0.0); /* stays at the stopping event */
    assert_int_equal(n, 8);            /* t = 0..7 */
    sim_set_stop_condition(s, NULL, NULL);
    assert_int_equal(sim_run(s, 10.5), SIM_STOP_TIME);
    assert_int_equal(n, 11);
    sim_free(s);
}

static void test_sim_stop(void **state)
{
    (void)state;
    sim *s = sim_new();
    int n = 0;
    sim_at(s, 0.0, 0, 0, tick, &n, 5); /* stops after its 5th run */
    assert_int_equal(sim_run(s, 100.0), SIM_STOP_REQUESTED);
    assert_int_equal(n, 5);
    assert_near(sim_now(s), 4.0, 0.0);
    assert_int_equal(sim_events_pending(s), 1);
    /* The request is consumed: the next run continues normally. */
    assert_int_equal(sim_run(s, 6.0), SIM_STOP_TIME);
    assert_int_equal(n, 7);
    sim_free(s);
}

/* ---- cancel through the engine -------------------------------------------- */

typedef struct timer_world {
    sim_handle timeout;
    int fired, replies;
} timer_world;

static void on_timeout(sim *s, void *subject, uint64_t arg)
{
    (void)s;
    (void)arg;
    ((timer_world *)subject)->fired++;
}

static void on_reply(sim *s, void *subject, uint64_t arg)
{
    (void)arg;
    timer_world *w = subject;
    w->replies++;
    assert_true(sim_cancel(s, w->timeout));
    assert_false(sim_cancel(s, w->timeout));
}

static void test_cancel_in_run(void **state)
{
    (void)state;
    for (int k = 0; k < NKINDS; k++) {
        sim *s = sim_new_queue(KINDS[k]);
        timer_world w = {SIM_HANDLE_NONE, 0, 0};
        w.timeout = sim_at(s, 5.0, 0, 0, on_timeout, &w, 0);
        assert_true(sim_is_pending(s, w.timeout));
        sim_at(s, 2.0, 0, 0, on_reply, &w, 0);
        assert_int_equal(sim_events_pending(s), 2);
        assert_int_equal(sim_run(s, 10.0), SIM_STOP_EMPTY);
        assert_int_equal(w.replies, 1);
        assert_int_equal(w.fired, 0);
        assert_false(sim_is_pending(s, w.timeout));
        assert_int_equal(sim_events_executed(s), 1);
        sim_free(s);
    }
}

/* ---- progress --------------------------------------------------------------- */

typedef struct progress_log {
    int calls, done_calls;
    sim_progress last;
} progress_log;

static void on_progress(const sim_progress *p, void *ud)
{
    progress_log *l = ud;
    l->calls++;
    l->done_calls += p->done;
    l->last = *p;
}

static void test_progress_final_report(void **state)
{
    (void)state;
    sim *s = sim_new();
    int n = 0;
    sim_at(s, 0.0, 0, 0, tick, &n, 0);
    progress_log log = {0};
    sim_set_progress(s, on_progress, &log, 0.0); /* every check */
    assert_int_equal(sim_run(s, 20000.0), SIM_STOP_TIME);
    assert_true(log.calls >= 2); /* 20001 events: at least one periodic */
    assert_int_equal(log.done_calls, 1);
    assert_true(log.last.done);
    assert_int_equal(log.last.executed, 20001);
    assert_int_equal(log.last.pending, 1);
    assert_near(log.last.now, 20000.0, 0.0);
    assert_near(log.last.until, 20000.0, 0.0);
    assert_true(log.last.events_per_s > 0);
    sim_free(s);
}

/* ---- fingerprint ------------------------------------------------------------ */

/* A fixed pattern with ties: a poller every 0.25 s (kind 1), a batch every
** 0.5 s (kind 2, prio -1, so it runs first at shared instants) that drops a
** burst of three same-time events (kind 3), and a timer (kind 4) re-armed
** by each batch and cancelled by the next. No RNG involved. */
typedef struct fp_world {
    sim_handle timer;
    int polls, batches;
} fp_world;

static void fp_timer(sim *s, void *subject, uint64_t arg)
{
    (void)s;
    (void)subject;
    (void)arg;
}

static void fp_burst(sim *s, void *subject, uint64_t arg)
{
    (void)s;
    (void)subject;
    (void)arg;
}

static void fp_batch(sim *s, void *subject, uint64_t arg)
{
    fp_world *w = subject;
    w->batches++;
    sim_cancel(s, w->timer);
    w->timer = sim_after(s, 0.75, 0, 4, fp_timer, w, 0);
    for (uint64_t i = 0; i < 3; i++) sim_after(s, 0.125, 0, 3, fp_burst, w, i);
    if (arg < 40) sim_after(s, 0.5, -1, 2, fp_batch, w, arg + 1);
}

static void fp_poll(sim *s, void *subject, uint64_t arg)
{
    fp_world *w = subject;
    w->polls++;
    if (arg < 80) sim_after(s, 0.25, 0, 1, fp_poll, w, arg + 1);
}

static uint64_t fingerprint_of_pattern(sim_queue_kind kind)
{
    sim *s = sim_new_queue(kind);
    fp_world w = {SIM_HANDLE_NONE, 0, 0};
    sim_at(s, 0.0, 0, 1, fp_poll, &w, 0);
    sim_at(s, 0.0, -1, 2, fp_batch, &w, 0);
    sim_run(s, INFINITY);
    assert_int_equal(w.polls, 81);
    assert_int_equal(w.batches, 41);
    /* 81 polls + 41 batches + 123 bursts + 1 timer (the last one) */
    assert_int_equal(sim_events_executed(s), 246);
    assert_int_equal(sim_events_of_kind(s, 3), 123);
    assert_int_equal(sim_events_of_kind(s, 4), 1);
    uint64_t fp = sim_fingerprint(s);
    sim_free(s);
    return fp;
}

#define PINNED_FINGERPRINT 0xa850715630ab57c0ULL

static void test_fingerprint_regression(void **state)
{
    (void)state;
    uint64_t a = fingerprint_of_pattern(SIM_QUEUE_HEAP);
    uint64_t b = fingerprint_of_pattern(SIM_QUEUE_LADDER);
    assert_int_equal(a, b);
    assert_int_equal(a, fingerprint_of_pattern(SIM_QUEUE_HEAP)); /* stable */
    if (a != PINNED_FINGERPRINT)
        fail_msg("fingerprint 0x%016llx, pinned 0x%016llx: event order or "
                 "the fingerprint formula changed", (unsigned long long)a,
                 (unsigned long long)PINNED_FINGERPRINT);
    sim *s = sim_new();
    assert_int_not_equal(sim_fingerprint(s), a); /* the pattern matters */
    sim_free(s);
}

static void test_bytes_per_event(void **state)
{
    (void)state;
    assert_true(sim_bytes_per_event() <= 64);
    sim *s = sim_new();
    int n = 0;
    for (int i = 0; i < 100000; i++)
        sim_at(s, (double)(i % 977), 0, 0, count_action, &n, 0);
    double per = (double)sim_mem_bytes(s) / 100000.0;
    if (per > 2.5 * 64)
        fail_msg("%.1f bytes per pending event at allocated capacity", per);
    sim_free(s);
}

/* ---- lookahead --------------------------------------------------------- */

enum { LA_N = 5000 };
typedef struct la_log {
    uint64_t ran[LA_N + 1], hinted[LA_N + 1];
    size_t hint_at[LA_N + 1]; /* how many had run when the hint came */
    size_t nran, nhint, wrong_kind;
} la_log;

static void la_action(sim *s, void *subject, uint64_t arg)
{
    la_log *l = subject;
    if (l->nran < LA_N) l->ran[l->nran++] = arg;
    if (arg % 3 == 0) /* reschedule some, so the order keeps changing */
        sim_after(s, 0.5 + (double)(arg % 7) * 0.01, 0, 7, la_action, l, arg + LA_N);
}

static void la_hint(void *ud, uint32_t kind, void *subject, uint64_t arg)
{
    la_log *l = ud;
    if (kind != 7 || subject != l) l->wrong_kind++;
    if (l->nhint < LA_N) {
        l->hint_at[l->nhint] = l->nran;
        l->hinted[l->nhint++] = arg;
    }
}

/* The hint names events that really run SIM_LOOKAHEAD places later, and
** setting it changes nothing: same order, same fingerprint. */
static void test_lookahead_hint(void **state)
{
    (void)state;
    static la_log a, b;
    uint64_t fp[2];
    for (int k = 0; k < 2; k++) {
        la_log *l = k ? &b : &a;
        memset(l, 0, sizeof *l);
        sim *s = sim_new_queue(SIM_QUEUE_LADDER);
        assert_non_null(s);
        if (k) sim_set_lookahead(s, la_hint, l);
        for (uint64_t i = 0; i < LA_N / 2; i++)
            sim_at(s, (double)((i * 7919) % 1000) * 0.001, 0, 7, la_action, l, i);
        sim_run(s, INFINITY);
        fp[k] = sim_fingerprint(s);
        sim_free(s);
    }
    assert_true(fp[0] == fp[1]);
    assert_int_equal(a.nran, b.nran);
    assert_memory_equal(a.ran, b.ran, a.nran * sizeof a.ran[0]);
    assert_int_equal(b.wrong_kind, 0);
    assert_true(b.nhint > b.nran / 2); /* most steps had the bottom at hand */
    /* a hint given while ran[i] is about to run names ran[i + SIM_LOOKAHEAD]
    ** (nothing here is cancelled or scheduled that close ahead) */
    for (size_t h = 0; h < b.nhint; h++) {
        size_t j = b.hint_at[h] + SIM_LOOKAHEAD;
        if (j >= b.nran) continue;
        if (b.hinted[h] != b.ran[j])
            fail_msg("hint %zu named event %llu, but %llu ran %d later", h,
                     (unsigned long long)b.hinted[h], (unsigned long long)b.ran[j], SIM_LOOKAHEAD);
    }
}

/* ---- the open-loop source (sim_source_set) -------------------------------- */

/* A subject's times are a pure function of (id, previous time): an
** exponential gap from a hash of both, so the same subject yields the same
** times whether the engine asks ahead (source) or the action reschedules
** (sim_at). Rates differ by four orders of magnitude, so windows cut with
** some subjects capped and their events carried. */
enum { SRC_LOG = 200000 };
typedef struct src_log {
    double t[SRC_LOG];
    uint32_t id[SRC_LOG];
    size_t n;
} src_log;

typedef struct src_subj {
    uint32_t id;
    double rate, horizon; /* events per second; no events after horizon */
    int same_left;        /* tie test: times still to repeat */
    src_log *log;
} src_subj;

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static double src_next(void *subject, double t)
{
    src_subj *u = subject;
    uint64_t tb;
    memcpy(&tb, &t, sizeof tb);
    double v = ((double)(mix64(tb ^ ((uint64_t)u->id << 40)) >> 11) + 0.5) * 0x1p-53;
    double nt = t - log(v) / u->rate;
    return nt <= u->horizon ? nt : INFINITY;
}

static void src_record(src_log *l, double t, uint32_t id)
{
    if (l->n < SRC_LOG) {
        l->t[l->n] = t;
        l->id[l->n] = id;
    }
    l->n++;
}

static void src_action(sim *s, void *subject, uint64_t arg)
{
    (void)arg;
    src_subj *u = subject;
    src_record(u->log, sim_now(s), u->id);
}

static void sched_action(sim *s, void *subject, uint64_t arg)
{
    src_action(s, subject, arg);
    double nt = src_next(subject, sim_now(s));
    if (nt < INFINITY) sim_at(s, nt, 0, 5, sched_action, subject, 0);
}

/* other traffic in the same engine: a ticker at priority 0 and one at -1 */
static void src_tick(sim *s, void *subject, uint64_t arg)
{
    src_record(subject, sim_now(s), 1000 + (uint32_t)(arg & 1));
    if (arg < 2000) sim_after(s, 0.0625, (int32_t)(arg & 1) - 1, 1, src_tick, subject, arg + 2);
}

enum { SRC_SUBJECTS = 40 };

static uint64_t run_src_pattern(sim_queue_kind kind, bool via_source, src_log *l,
                                uint64_t *executed, size_t *pending_at_10)
{
    static src_subj u[SRC_SUBJECTS];
    l->n = 0;
    sim *s = sim_new_queue(kind);
    assert_non_null(s);
    if (via_source) sim_source_set(s, 0, 5, src_action, src_next);
    for (uint32_t i = 0; i < SRC_SUBJECTS; i++) {
        u[i] = (src_subj){i, i == 7 ? 5000.0 : i % 5 == 0 ? 50.0 : 2.0,
                          i == 3 ? 4.0 : i == 7 ? 20.0 : 60.0, 0, l};
        double first = i == 11 ? INFINITY : 0.001 + 0.01 * i; /* 11 never fires */
        if (via_source)
            assert_int_equal(sim_source_add(s, &u[i], first), 0);
        else if (first < INFINITY)
            sim_at(s, first, 0, 5, sched_action, &u[i], 0);
    }
    sim_at(s, 0.0, -1, 1, src_tick, l, 0);
    sim_at(s, 0.0, 0, 1, src_tick, l, 1);
    assert_int_equal(sim_run(s, 10.0), SIM_STOP_TIME);
    *pending_at_10 = sim_events_pending(s);
    assert_int_equal(sim_run(s, INFINITY), SIM_STOP_EMPTY);
    assert_int_equal(sim_events_pending(s), 0);
    uint64_t fp = sim_fingerprint(s);
    *executed = sim_events_executed(s);
    assert_int_equal(sim_events_of_kind(s, 5), l->n - 2002);
    sim_free(s);
    return fp;
}

/* Events from the source run at the same times, in the same order, with
** the same fingerprint as the same events scheduled one by one, on heap and
** ladder; a subject added with INFINITY never runs. Start times avoid the
** tickers' times: at a tie the two ways differ by rule (next test). */
static void test_source_matches_scheduled(void **state)
{
    (void)state;
    static src_log a, b;
    for (int k = 0; k < NKINDS; k++) {
        uint64_t ea, eb;
        size_t pa, pb;
        uint64_t fa = run_src_pattern(KINDS[k], false, &a, &ea, &pa);
        uint64_t fb = run_src_pattern(KINDS[k], true, &b, &eb, &pb);
        assert_int_equal(pa, pb);
        assert_int_equal(pa, 2 + SRC_SUBJECTS - 2); /* tickers; 3 ended, 11 never ran */
        assert_true(a.n > 100000 && a.n <= SRC_LOG); /* subject 7 alone ~100k */
        assert_int_equal(a.n, b.n);
        assert_int_equal(ea, eb);
        for (size_t i = 0; i < a.n; i++)
            if (a.t[i] != b.t[i] || a.id[i] != b.id[i])
                fail_msg("queue %d, event %zu: scheduled (%.17g, %u), source (%.17g, %u)", k,
                         i, a.t[i], a.id[i], b.t[i], b.id[i]);
        assert_true(fa == fb);
        for (size_t i = 0; i < b.n; i++) {
            assert_int_not_equal(b.id[i], 11);
            if (b.id[i] == 3) assert_true(b.t[i] <= 4.0);
        }
    }
}

/* next for the tie test: a subject repeats its time same_left times, then
** steps by 1 s up to its horizon */
static double tie_next(void *subject, double t)
{
    src_subj *u = subject;
    if (u->same_left > 0) {
        u->same_left--;
        return t;
    }
    return t + 1.0 <= u->horizon ? t + 1.0 : INFINITY;
}

static void tie_sched(sim *s, void *subject, uint64_t arg)
{
    src_record(subject, sim_now(s), (uint32_t)arg);
}

/* At equal time: lower priority first; at equal (time, priority) the
** scheduled event before the source's; source events in the order their
** subjects were added (not by address or id), a subject's repeated times
** together. Also: pending counts the source, a time limit stops before
** source events after it, and the run resumes where it stopped. */
static void test_source_ties_pending_and_until(void **state)
{
    (void)state;
    static src_log l;
    l.n = 0;
    src_subj u[3] = {{20, 1, 2.0, 0, &l}, {21, 1, 2.0, 2, &l}, {22, 1, 3.0, 0, &l}};
    sim *s = sim_new();
    sim_source_set(s, 0, 5, src_action, tie_next);
    /* added in the order 22, 20, 21 */
    assert_int_equal(sim_source_add(s, &u[2], 1.0), 0);
    assert_int_equal(sim_source_add(s, &u[0], 1.0), 0);
    assert_int_equal(sim_source_add(s, &u[1], 1.0), 0);
    sim_at(s, 1.0, 1, 2, tie_sched, &l, 31);  /* after the source */
    sim_at(s, 1.0, 0, 2, tie_sched, &l, 30);  /* before it: same prio, scheduled */
    sim_at(s, 1.0, -1, 2, tie_sched, &l, 29); /* first */
    assert_int_equal(sim_events_pending(s), 3 + 3);
    assert_int_equal(sim_run(s, 1.5), SIM_STOP_TIME);
    assert_near(sim_now(s), 1.5, 0.0);
    const uint32_t first[] = {29, 30, 22, 20, 21, 21, 21, 31};
    assert_int_equal(l.n, 8);
    for (size_t i = 0; i < l.n; i++) {
        assert_near(l.t[i], 1.0, 0.0);
        if (l.id[i] != first[i]) fail_msg("event %zu at t = 1: id %u, want %u", i, l.id[i], first[i]);
    }
    assert_int_equal(sim_events_pending(s), 3); /* each subject's t = 2 */
    assert_int_equal(sim_run(s, INFINITY), SIM_STOP_EMPTY);
    const uint32_t rest[] = {22, 20, 21, 22};
    const double rest_t[] = {2, 2, 2, 3};
    assert_int_equal(l.n, 12);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(l.id[8 + i], rest[i]);
        assert_near(l.t[8 + i], rest_t[i], 0.0);
    }
    assert_int_equal(sim_events_pending(s), 0);
    assert_int_equal(sim_events_of_kind(s, 5), 9);
    sim_free(s);
}

static void abort_source_add_late(void)
{
    static src_log l;
    src_subj u = {0, 1, 2.0, 0, &l};
    sim *s = sim_new();
    sim_source_set(s, 0, 5, src_action, tie_next);
    sim_source_add(s, &u, 0.0);
    sim_run(s, 0.5);
    sim_source_add(s, &u, 1.0); /* too late: events were handed out */
}

static void abort_source_stuck(void)
{
    static src_log l;
    src_subj u = {0, 1, 2.0, 1000, &l}; /* 1000 events at one time */
    sim *s = sim_new();
    sim_source_set(s, 0, 5, src_action, tie_next);
    sim_source_add(s, &u, 0.0);
    sim_run(s, INFINITY);
}

/* Misuse aborts with a message: adding after the run started, and a
** subject whose next time never moves on. */
static void test_source_misuse_aborts(void **state)
{
    (void)state;
    char msg[1024];
    expect_abort(abort_source_add_late, msg, sizeof msg);
    if (!strstr(msg, "after the run has started")) fail_msg("message: %s", msg);
    expect_abort(abort_source_stuck, msg, sizeof msg);
    if (!strstr(msg, "same time")) fail_msg("message: %s", msg);
}

/* The source's memory is counted in sim_mem_bytes and is freed with the
** engine (ASan's leak check covers the latter). */
static void test_source_memory(void **state)
{
    (void)state;
    static src_log l;
    static src_subj u[1000];
    sim *s = sim_new();
    size_t empty = sim_mem_bytes(s);
    sim_source_set(s, 0, 5, src_action, src_next);
    for (uint32_t i = 0; i < 1000; i++) {
        u[i] = (src_subj){i, 10.0, 1.0, 0, &l};
        assert_int_equal(sim_source_add(s, &u[i], 0.5 + 0.0001 * i), 0);
    }
    assert_true(sim_mem_bytes(s) >= empty + 1000 * (sizeof(void *) + sizeof(double)));
    assert_int_equal(sim_events_pending(s), 1000);
    l.n = 0;
    assert_int_equal(sim_run(s, INFINITY), SIM_STOP_EMPTY);
    assert_true(l.n >= 1000);
    for (size_t i = 1; i < l.n && i < SRC_LOG; i++) assert_true(l.t[i] >= l.t[i - 1]);
    sim_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clock_monotonic_and_until),
        cmocka_unit_test(test_until_is_inclusive_and_resumable),
        cmocka_unit_test(test_schedule_into_past_aborts),
        cmocka_unit_test(test_nan_time_aborts),
        cmocka_unit_test(test_stop_condition),
        cmocka_unit_test(test_sim_stop),
        cmocka_unit_test(test_cancel_in_run),
        cmocka_unit_test(test_progress_final_report),
        cmocka_unit_test(test_fingerprint_regression),
        cmocka_unit_test(test_lookahead_hint),
        cmocka_unit_test(test_bytes_per_event),
        cmocka_unit_test(test_source_matches_scheduled),
        cmocka_unit_test(test_source_ties_pending_and_until),
        cmocka_unit_test(test_source_misuse_aborts),
        cmocka_unit_test(test_source_memory),
    };
    return cmocka_run_group_tests_name("sim_loop", tests, NULL, NULL);
}
