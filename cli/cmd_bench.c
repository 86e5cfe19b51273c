/*
** cmd_bench.c - `mqsim bench hold|cancel`: engine benchmarks with a
** reference measured side by side in the same process.
**
** hold: the classic hold model. N events are kept pending; each step takes
** the earliest and schedules it again at now + Exp(1). The engine side runs
** through the PUBLIC loop - sim_at() from inside the action, sim_run() to
** drive it, sim_stop() after M steps - so the figure includes everything a
** model pays per event (pop, clock, fingerprint, action call, push with its
** checks). Exp(1) comes from an engine stream, sim_rng_new(seed, 0, 0,
** sim_hash_str("hold")) with sim_rng_exp (ziggurat). The reference is a
** plain 4-ary min-heap of (double time, uint64 id) with an inline xorshift64
** and -log(u), compiled with the same flags. Both are filled to N and then
** warmed up with N untimed steps, so the timed part is steady state; the
** timer is clock_gettime(CLOCK_MONOTONIC). With --reps R the reference and
** each engine structure run R times interleaved and the best rate of each is
** reported (the machine is shared; the best is the least disturbed run).
**
** cancel: N events pending at uniform times, then M operations each
** cancelling a random pending handle and scheduling a replacement (the
** retry-timer pattern) -> cancel_ns; also cancel_only_ns, cancelling
** min(M, N) distinct handles in random order without replacements.
*/
#include "cli/cli.h"
#include "sim/sim.h"
#include "sim/sim_err.h"
#include "sim/sim_rng.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct bench_opts {
    uint64_t pending, events, ops, seed, reps;
    int queues; /* bit 0: ladder, bit 1: heap */
} bench_opts;

static void usage(FILE *f)
{
    fprintf(f,
        "usage: mqsim bench hold --pending N --events M [--seed S]\n"
        "                        [--queue heap|ladder|both] [--reps R]\n"
        "       mqsim bench cancel --pending N [--ops M] [--seed S]\n"
        "                        [--queue heap|ladder|both] [--reps R]\n"
        "       mqsim bench e2e [--scale F | --curve | --day] [--file FILE]\n"
        "\n"
        "hold    keep N events pending; each step pops the earliest and\n"
        "        reschedules it at now + Exp(1). Runs the engine (public\n"
        "        sim_at/sim_run loop) and a reference 4-ary heap side by side\n"
        "        and prints events_per_s, bytes_per_event and their ratio.\n"
        "cancel  N pending, then M x (cancel a random handle + schedule a\n"
        "        replacement): prints cancel_ns (per pair) and cancel_only_ns.\n"
        "e2e     the end-to-end run of scenarios/bench/e2e-conversion.yaml (10k msg/s,\n"
        "        1000 clients, 5M backlog, 1 h) with duration and backlog scaled by F:\n"
        "        prints wall and CPU time, events/s, messages/s and peak RSS.\n"
        "        --curve: F = 0.01, 0.1, 1 in child processes, then the scaling table\n"
        "        (ns per message at 1x, 10x, 100x) and the target verdict.\n"
        "        --day: the same scenario for 24 h, 5M backlog kept (~869M messages):\n"
        "        the day target (<= 60 s on one core, < 1 GiB) and its verdict.\n"
        "\n"
        "defaults: --seed 1 --queue both --reps 3 --ops 1000000\n");
}

static const char *queue_name(sim_queue_kind k)
{
    return k == SIM_QUEUE_HEAP ? "heap" : "ladder";
}

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int parse_u64(const char *opt, const char *s, uint64_t min,
                     uint64_t *out)
{
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-') {
        fprintf(stderr, "mqsim bench: %s needs a non-negative integer\n", opt);
        return -1;
    }
    unsigned long long v = strtoull(s, &end, 10);
    bool bad = false;
    if (*end == 'e' || *end == 'E' || *end == '.') { /* allow 1e6 */
        double d = strtod(s, &end);
        bad = !(d >= 0 && d <= 1e19 && d == floor(d));
        if (!bad) v = (unsigned long long)d;
    }
    if (bad || *end || errno || v < min) {
        fprintf(stderr, "mqsim bench: %s '%s': expected an integer >= %llu\n",
                opt, s, (unsigned long long)min);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, bool hold, bench_opts *o)
{
    *o = (bench_opts){0, 0, 1000000, 1, 3, 3};
    bool have_pending = false, have_events = false;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        if (!strcmp(a, "--pending")) {
            rc = parse_u64(a, v, 1, &o->pending);
            have_pending = true;
        } else if (!strcmp(a, "--events") && hold) {
            rc = parse_u64(a, v, 1, &o->events);
            have_events = true;
        } else if (!strcmp(a, "--ops") && !hold) {
            rc = parse_u64(a, v, 1, &o->ops);
        } else if (!strcmp(a, "--seed")) {
            rc = parse_u64(a, v, 0, &o->seed);
        } else if (!strcmp(a, "--reps")) {
            rc = parse_u64(a, v, 1, &o->reps);
        } else if (!strcmp(a, "--queue")) {
            if (v && !strcmp(v, "ladder")) o->queues = 1;
            else if (v && !strcmp(v, "heap")) o->queues = 2;
            else if (v && !strcmp(v, "both")) o->queues = 3;
            else {
                fprintf(stderr, "mqsim bench: --queue expects heap, ladder "
                        "or both, got '%s'\n", v ? v : "");
                return -1;
            }
        } else {
            fprintf(stderr, "mqsim bench %s: unknown argument '%s'\n",
                    argv[1], a);
            return -1;
        }
        if (rc) return -1;
        i++;
    }
    if (!have_pending || (hold && !have_events)) {
        fprintf(stderr, "mqsim bench %s: %s required (see --help)\n",
                argv[1], hold ? "--pending and --events are" : "--pending is");
        return -1;
    }
    if (o->pending > 100000000) {
        fprintf(stderr, "mqsim bench: --pending above 1e8 is not supported\n");
        return -1;
    }
    return 0;
}

/* ---- the reference: a plain 4-ary heap of (time, id) ------------------- */

typedef struct ref_ent {
    double t;
    uint64_t id;
} ref_ent;

typedef struct ref_heap {
    ref_ent *h;
    size_t n;
} ref_heap;

static inline void ref_push(ref_heap *q, ref_ent e)
{
    size_t i = q->n++;
    while (i > 0) {
        size_t p = (i - 1) / 4;
        if (!(e.t < q->h[p].t)) break;
        q->h[i] = q->h[p];
        i = p;
    }
    q->h[i] = e;
}

static inline ref_ent ref_pop(ref_heap *q)
{
    ref_ent top = q->h[0], e = q->h[--q->n];
    size_t n = q->n, i = 0;
    for (;;) {
        size_t c = 4 * i + 1;
        if (c >= n) break;
        size_t end = c + 4 < n ? c + 4 : n, m = c;
        for (size_t j = c + 1; j < end; j++)
            if (q->h[j].t < q->h[m].t) m = j;
        if (!(q->h[m].t < e.t)) break;
        q->h[i] = q->h[m];
        i = m;
    }
    if (n) q->h[i] = e;
    return top;
}

static inline uint64_t xorshift64(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static inline double ref_exp(uint64_t *s)
{
    double u = (double)((xorshift64(s) >> 11) + 1) * 0x1.0p-53; /* (0,1] */
    return -log(u);
}

typedef struct result {
    double rate;    /* events per second, best of reps */
    double final_t; /* sim time reached, as a sanity check */
    double mem_per_event;
    uint64_t fingerprint;
} result;

static void ref_hold(uint64_t n, uint64_t m, uint64_t seed, result *r)
{
    ref_heap q = {malloc(n * sizeof(ref_ent)), 0};
    SIM_NEED(q.h != NULL, "out of memory for %llu pending events", (unsigned long long)n);
    uint64_t x = sim_mix64(seed) | 1;
    for (uint64_t i = 0; i < n; i++) ref_push(&q, (ref_ent){ref_exp(&x), i});
    for (uint64_t i = 0; i < n; i++) { /* warm-up */
        ref_ent e = ref_pop(&q);
        e.t += ref_exp(&x);
        ref_push(&q, e);
    }
    double t0 = wall();
    ref_ent e = {0, 0};
    for (uint64_t i = 0; i < m; i++) {
        e = ref_pop(&q);
        e.t += ref_exp(&x);
        ref_push(&q, e);
    }
    double dt = wall() - t0;
    r->rate = (double)m / dt;
    r->final_t = e.t;
    r->mem_per_event = (double)sizeof(ref_ent);
    r->fingerprint = 0;
    free(q.h);
}

/* ---- the engine, through the public loop ------------------------------- */

typedef struct hold_ctx {
    gsl_rng *rng;
    uint64_t left;
} hold_ctx;

static void hold_action(sim *s, void *subject, uint64_t arg)
{
    hold_ctx *c = subject;
    sim_at(s, sim_now(s) + sim_rng_exp(c->rng, 1.0), 0, 0, hold_action, c,
           arg);
    if (--c->left == 0) sim_stop(s);
}

static int engine_hold(sim_queue_kind kind, uint64_t n, uint64_t m,
                       uint64_t seed, result *r)
{
    sim *s = sim_new_queue(kind);
    hold_ctx c = {sim_rng_new(seed, 0, 0, sim_hash_str("hold")), n};
    SIM_NEED(s && c.rng, "out of memory");
    for (uint64_t i = 0; i < n; i++)
        sim_at(s, sim_rng_exp(c.rng, 1.0), 0, 0, hold_action, &c, i);
    sim_run(s, INFINITY); /* warm-up: n steps, then sim_stop */
    c.left = m;
    double t0 = wall();
    sim_run(s, INFINITY);
    double dt = wall() - t0;
    if (sim_events_pending(s) != n) {
        fprintf(stderr, "mqsim bench: engine holds %zu events, expected "
                "%llu\n", sim_events_pending(s), (unsigned long long)n);
        sim_free(s);
        gsl_rng_free(c.rng);
        return -1;
    }
    r->rate = (double)m / dt;
    r->final_t = sim_now(s);
    r->mem_per_event = (double)sim_mem_bytes(s) / (double)n;
    r->fingerprint = sim_fingerprint(s);
    sim_free(s);
    gsl_rng_free(c.rng);
    return 0;
}

static void keep_best(result *best, const result *r)
{
    if (r->rate > best->rate) *best = *r;
}

static int bench_hold(const bench_opts *o)
{
    printf("bench hold: pending=%llu events=%llu seed=%llu reps=%llu "
           "(engine through sim_at/sim_run, best of reps)\n",
           (unsigned long long)o->pending, (unsigned long long)o->events,
           (unsigned long long)o->seed, (unsigned long long)o->reps);
    result ref = {0}, eng[2];
    memset(eng, 0, sizeof eng);
    sim_queue_kind kinds[2] = {SIM_QUEUE_LADDER, SIM_QUEUE_HEAP};
    for (uint64_t rep = 0; rep < o->reps; rep++) {
        result r;
        ref_hold(o->pending, o->events, o->seed, &r);
        keep_best(&ref, &r);
        for (int k = 0; k < 2; k++) {
            if (!(o->queues & (1 << k))) continue;
            if (engine_hold(kinds[k], o->pending, o->events, o->seed, &r))
                return CLI_INTERNAL; /* the engine lost or made events: printed */
            keep_best(&eng[k], &r);
        }
    }
    printf("reference 4-ary-heap  events_per_s=%.0f ns_per_event=%.1f "
           "bytes_per_event=%zu final_t=%.6g\n", ref.rate, 1e9 / ref.rate,
           sizeof(ref_ent), ref.final_t);
    for (int k = 0; k < 2; k++) {
        if (!(o->queues & (1 << k))) continue;
        printf("engine %-14s events_per_s=%.0f ns_per_event=%.1f "
               "bytes_per_event=%zu mem_bytes_per_event=%.1f final_t=%.6g "
               "ratio=%.3f\n", queue_name(kinds[k]), eng[k].rate,
               1e9 / eng[k].rate, sim_bytes_per_event(), eng[k].mem_per_event,
               eng[k].final_t, eng[k].rate / ref.rate);
    }
    return CLI_OK;
}

/* ---- cancel ------------------------------------------------------------- */

static void never(sim *s, void *subject, uint64_t arg)
{
    (void)s;
    (void)subject;
    (void)arg;
}

typedef struct cancel_result {
    double pair_ns, only_ns, mem_per_event;
} cancel_result;

static int engine_cancel(sim_queue_kind kind, const bench_opts *o,
                         cancel_result *r)
{
    uint64_t n = o->pending, m = o->ops;
    sim *s = sim_new_queue(kind);
    sim_handle *h = malloc(n * sizeof *h);
    uint64_t *perm = malloc(n * sizeof *perm);
    if (!s || !h || !perm) {
        sim_free(s);
        free(h);
        free(perm);
        return -1;
    }
    uint64_t x = sim_mix64(o->seed + 17) | 1;
    for (uint64_t i = 0; i < n; i++)
        h[i] = sim_at(s, 1000.0 * (double)(xorshift64(&x) >> 11) * 0x1.0p-53,
                      0, 0, never, NULL, i);
    uint64_t failed = 0;
    double t0 = wall();
    for (uint64_t i = 0; i < m; i++) {
        uint64_t j = xorshift64(&x) % n;
        failed += !sim_cancel(s, h[j]);
        h[j] = sim_at(s, 1000.0 * (double)(xorshift64(&x) >> 11) * 0x1.0p-53,
                      0, 0, never, NULL, j);
    }
    r->pair_ns = 1e9 * (wall() - t0) / (double)m;
    r->mem_per_event = (double)sim_mem_bytes(s) / (double)n;
    /* cancel only: distinct handles in random order (Fisher-Yates). */
    for (uint64_t i = 0; i < n; i++) perm[i] = i;
    for (uint64_t i = n - 1; i > 0; i--) {
        uint64_t j = xorshift64(&x) % (i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    uint64_t k = m < n ? m : n;
    t0 = wall();
    for (uint64_t i = 0; i < k; i++) failed += !sim_cancel(s, h[perm[i]]);
    r->only_ns = 1e9 * (wall() - t0) / (double)k;
    bool ok = failed == 0 && sim_events_pending(s) == n - k;
    sim_free(s);
    free(h);
    free(perm);
    if (!ok) {
        fprintf(stderr, "mqsim bench: %llu cancels failed\n",
                (unsigned long long)failed);
        return -1;
    }
    return 0;
}

static int bench_cancel(const bench_opts *o)
{
    printf("bench cancel: pending=%llu ops=%llu seed=%llu reps=%llu "
           "(cancel_ns = cancel + replacement schedule; best of reps)\n",
           (unsigned long long)o->pending, (unsigned long long)o->ops,
           (unsigned long long)o->seed, (unsigned long long)o->reps);
    sim_queue_kind kinds[2] = {SIM_QUEUE_LADDER, SIM_QUEUE_HEAP};
    for (int k = 0; k < 2; k++) {
        if (!(o->queues & (1 << k))) continue;
        cancel_result best = {INFINITY, INFINITY, 0};
        for (uint64_t rep = 0; rep < o->reps; rep++) {
            cancel_result r;
            if (engine_cancel(kinds[k], o, &r)) return CLI_INTERNAL;
            if (r.pair_ns < best.pair_ns) best.pair_ns = r.pair_ns;
            if (r.only_ns < best.only_ns) best.only_ns = r.only_ns;
            best.mem_per_event = r.mem_per_event;
        }
        printf("engine %-14s cancel_ns=%.1f cancel_only_ns=%.1f "
               "bytes_per_event=%zu mem_bytes_per_event=%.1f\n",
               queue_name(kinds[k]), best.pair_ns, best.only_ns,
               sim_bytes_per_event(), best.mem_per_event);
    }
    return CLI_OK;
}

int cli_bench(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    const char *what = argv[1];
    if (!strcmp(what, "--help") || !strcmp(what, "-h") ||
        !strcmp(what, "help")) {
        usage(stdout);
        return CLI_OK;
    }
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return CLI_OK;
        }
    if (!strcmp(what, "e2e")) return cli_bench_e2e(argc, argv);
    bool hold = !strcmp(what, "hold");
    if (!hold && strcmp(what, "cancel")) {
        fprintf(stderr, "mqsim bench: unknown benchmark '%s' (hold, "
                "cancel or e2e)\n", what);
        usage(stderr);
        return CLI_USAGE;
    }
    bench_opts o;
    if (parse_args(argc, argv, hold, &o)) return CLI_USAGE;
    return hold ? bench_hold(&o) : bench_cancel(&o);
}
