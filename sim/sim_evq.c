/*
** sim_evq.c - the pending-event set behind sim.h: a record pool with
** generation-checked handles, and two interchangeable structures over
** 16-byte index entries, a 4-ary heap and a ladder queue (see sim_evq.h for
** the contract, the 64-byte budget and the lazy-cancel scheme).
**
** Key. Entries order by (t, prio, seq). The time is in the entry; prio and
** seq are read from the record only when two times are exactly equal, so
** the common comparison is one double compare on data already in cache.
**
** Heap. Textbook 4-ary min-heap over entries (shallower than binary, four
** children share a cache line). Cancelled entries stay in place until they
** surface at the root or a purge removes them and re-heapifies.
**
** Ladder queue (Tang, Goh & Thng, ACM TOMACS 2005), adapted to arrays:
**   top     unsorted array of the far future (append only);
**   rungs   up to LADDER_MAX_RUNGS levels of equal-width buckets, each
**           bucket a growable array; rung k+1 subdivides the one bucket of
**           rung k that was too full to sort (more than LADDER_THRES);
**   bottom  a small array sorted by the full key, consumed from the head.
** A rung is spawned from a set of entries with about LADDER_PER_BUCKET
** entries per bucket; the bottom is refilled from
** the first non-empty bucket of the deepest rung, and a rung is dropped when
** its last bucket is consumed. Every event is moved a small constant number
** of times (top -> rung -> bottom, one more level now and then), so push and
** pop are O(1) amortised whatever n is, and moves are mostly sequential.
**
** Routing is by one monotone function per rung, d = (t - start) * inv, and
** bucket i holds exactly the entries with floor(d) == i (clamped at the
** rung's ends). Because the same floating-point expression decides both
** where a bucket's entries went and where a later insert goes, two equal
** times always land in the same container and an earlier time never lands
** after a later one: the order stays exact, with no epsilon. Entries below
** the current bucket of the deepest rung go to the bottom by sorted insert
** (binary search; appending when the new key is the largest, which is the
** common "schedule at now" case, so a burst of equal-time events stays
** O(1) each). With no rung yet, top_start separates bottom from top.
**
** Prefetching. The record of each event is the one cache miss per event a
** pooled design cannot avoid (it was written a whole hold cycle ago). The
** ladder knows the future: when the bottom is loaded from a bucket, the
** records of the next bucket and the entry array of the one after are
** prefetched, and while the bottom is consumed the record PREFETCH_AHEAD
** places ahead is too. This alone took the 1e6 hold from 148 to 98 ns per
** event (no prefetch at all: about the reference heap's speed).
**
** Tuning (measured with `mqsim bench hold`, 1e3 and 1e6 pending): buckets
** of ~24 entries at spawn and a split threshold of 96 beat the paper's one
** entry per bucket and threshold 50 by ~25% at 1e6 (fewer bucket headers
** and appends to random places) at no cost at 1e3.
**
** Bucket arrays come from a pool: capacities are powers of two, and a
** bucket consumed into the bottom returns its array to a free list per
** capacity instead of to malloc. A rung spawned a moment later reuses those
** arrays while they are still in cache (and skips malloc/free per bucket);
** in the end-to-end benchmark this removed most of the ladder's cache
** misses on writes. The pool keeps what it was given until sim_evq_free,
** so the ladder's memory is its peak bucket footprint.
*/
#include "sim/sim_evq.h"
#include "sim/sim_mem.h"
#include "sim/sim_err.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- records and entries ------------------------------------------------ */

typedef struct sim_evrec {
    sim_action fn;
    void *subject;
    uint64_t arg; /* the action's arg; next free slot while on free list */
    uint64_t seq; /* insertion sequence, the last tie breaker */
    int32_t prio;
    uint32_t kind;
} sim_evrec;

typedef struct sim_event {
    double t;
    uint32_t slot;
    uint32_t gen; /* record generation at push; a mismatch means cancelled */
} sim_event;

_Static_assert(sizeof(sim_evrec) == 40, "event record must stay 40 bytes");
_Static_assert(sizeof(sim_event) == 16, "index entry must stay 16 bytes");

#define LADDER_MAX_RUNGS 12
#define LADDER_THRES 96     /* a bucket larger than this spawns a rung */
#define LADDER_PER_BUCKET 24 /* target entries per bucket in a new rung */
#define PREFETCH_AHEAD 8    /* bottom entries ahead whose record we prefetch */
#define PREFETCH_BUCKET_MAX 64 /* records prefetched from the next bucket */
#define PURGE_SLACK 1024    /* purge when dead > live + this */
#define INSERTION_SORT_MAX 24
#define POOL_CLASSES 32     /* bucket capacities 2^0 .. 2^31 */

typedef struct bucket {
    sim_event *v;
    uint32_t n, cap;
} bucket;

typedef struct rung {
    double start, inv; /* bucket of t: floor((t - start) * inv) */
    uint32_t nb, cur;  /* buckets; first bucket not yet consumed */
    bucket *b;
    size_t bcap;       /* allocated bucket headers */
} rung;

typedef struct ladder {
    sim_event *top;
    size_t top_n, top_cap;
    double top_start; /* no rungs: t > top_start goes to top, else bottom */
    rung rungs[LADDER_MAX_RUNGS];
    int nrungs;
    sim_event *bot; /* sorted ascending in [bot_head, bot_n) */
    size_t bot_head, bot_n, bot_cap;
    size_t bucket_bytes; /* allocated entry arrays of all buckets */
    sim_event *pool[POOL_CLASSES]; /* free arrays of 2^k entries, linked
                                      through their first bytes */
    size_t pool_bytes;
    sim_event *scratch;  /* merge-sort buffer */
    size_t scratch_cap;
} ladder;

struct sim_evq {
    sim_queue_kind kind;
    sim_evrec *rec; /* slot 0 is reserved so {0,0} never matches */
    uint32_t *gen;  /* per slot, odd while pending; handles carry it */
    uint32_t nslots, slot_cap, free_head;
    uint64_t seq;
    size_t live, dead;
    sim_event *heap;
    size_t heap_n, heap_cap;
    ladder lq;
};

static void *xrealloc(void *p, size_t n, size_t size)
{
    SIM_ASSERTF(size == 0 || n <= SIZE_MAX / size,
                "event queue size overflow: %zu x %zu", n, size);
    size_t bytes = n * size;
    void *r = realloc(p, bytes ? bytes : 1);
    if (!r)
        sim_oom(__FILE__, __LINE__, "out of memory growing the event queue to %zu x %zu bytes",
                  n, size);
    return r;
}

/* sim_grow on an array of the queue: room for `need` entries or the
** process ends (sim_err.h's policy). */
static void grow(void *arr, size_t *cap, size_t need, size_t size)
{
    if (sim_grow((void **)arr, cap, need, size))
        sim_oom(__FILE__, __LINE__, "out of memory growing the event queue to %zu x %zu bytes",
                need, size);
}

static inline bool tie_less(const sim_evrec *rec, uint32_t a, uint32_t b)
{
    const sim_evrec *ra = &rec[a], *rb = &rec[b];
    if (ra->prio != rb->prio) return ra->prio < rb->prio;
    return ra->seq < rb->seq;
}

static inline bool key_less(const sim_evrec *rec, sim_event a, sim_event b)
{
    if (a.t < b.t) return true;
    if (a.t > b.t) return false;
    return tie_less(rec, a.slot, b.slot);
}

static inline bool entry_live(const sim_evq *q, sim_event e)
{
    return q->gen[e.slot] == e.gen;
}

/* Return a slot to the free list. Its generation is already even. */
static inline void slot_release(sim_evq *q, uint32_t slot)
{
    q->rec[slot].arg = q->free_head;
    q->free_head = slot;
}

static uint32_t slot_alloc(sim_evq *q)
{
    uint32_t s = q->free_head;
    if (s) {
        q->free_head = (uint32_t)q->rec[s].arg;
        return s;
    }
    if (q->nslots == q->slot_cap) {
        SIM_ASSERTF(q->slot_cap < UINT32_MAX / 2,
                    "more than %u event records", q->slot_cap);
        uint32_t ncap = q->slot_cap * 2;
        q->rec = xrealloc(q->rec, ncap, sizeof *q->rec);
        q->gen = xrealloc(q->gen, ncap, sizeof *q->gen);
        q->slot_cap = ncap;
    }
    s = q->nslots++;
    q->gen[s] = 0;
    return s;
}

/* Insertion sort for short runs, bottom-up merge sort above; ascending by
** the full key. Stable order is irrelevant: keys are unique (seq). */
static void insertion_sort(const sim_evrec *rec, sim_event *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        sim_event e = v[i];
        size_t j = i;
        while (j > 0 && key_less(rec, e, v[j - 1])) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = e;
    }
}

static void sort_events(ladder *lq, const sim_evrec *rec, sim_event *v,
                        size_t n)
{
    if (n <= INSERTION_SORT_MAX) {
        insertion_sort(rec, v, n);
        return;
    }
    if (lq->scratch_cap < n) {
        lq->scratch = xrealloc(lq->scratch, n, sizeof *lq->scratch);
        lq->scratch_cap = n;
    }
    for (size_t i = 0; i < n; i += INSERTION_SORT_MAX)
        insertion_sort(rec, v + i,
                       n - i < INSERTION_SORT_MAX ? n - i : INSERTION_SORT_MAX);
    sim_event *src = v, *dst = lq->scratch;
    for (size_t w = INSERTION_SORT_MAX; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n;
            size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = key_less(rec, src[j], src[i]) ? src[j++] : src[i++];
            while (i < mid) dst[k++] = src[i++];
            while (j < hi) dst[k++] = src[j++];
        }
        sim_event *t = src;
        src = dst;
        dst = t;
    }
    if (src != v) memcpy(v, src, n * sizeof *v);
}

/* ---- 4-ary heap ---------------------------------------------------------- */

static void heap_sift_down(const sim_evrec *rec, sim_event *h, size_t n,
                           size_t i)
{
    sim_event e = h[i];
    for (;;) {
        size_t c = 4 * i + 1;
        if (c >= n) break;
        size_t end = c + 4 < n ? c + 4 : n, m = c;
        for (size_t j = c + 1; j < end; j++)
            if (key_less(rec, h[j], h[m])) m = j;
        if (!key_less(rec, h[m], e)) break;
        h[i] = h[m];
        i = m;
    }
    h[i] = e;
}

static void heap_push(sim_evq *q, sim_event e)
{
    if (q->heap_n == q->heap_cap) grow(&q->heap, &q->heap_cap, q->heap_n + 1, sizeof *q->heap);
    sim_event *h = q->heap;
    size_t i = q->heap_n++;
    while (i > 0) {
        size_t p = (i - 1) / 4;
        if (!key_less(q->rec, e, h[p])) break;
        h[i] = h[p];
        i = p;
    }
    h[i] = e;
}

static void heap_remove_front(sim_evq *q)
{
    size_t n = --q->heap_n;
    if (n) {
        q->heap[0] = q->heap[n];
        heap_sift_down(q->rec, q->heap, n, 0);
    }
}

/* ---- ladder queue -------------------------------------------------------- */

static inline double rung_pos(const rung *r, double t)
{
    return (t - r->start) * r->inv;
}

/* Smallest k with 2^k >= n (n >= 1). */
static inline unsigned pool_class(uint32_t n)
{
    return n <= 1 ? 0 : 32u - (unsigned)__builtin_clz(n - 1);
}

/* An array of at least n entries (capacity 2^k written to *cap). */
static sim_event *pool_get(ladder *lq, uint32_t n, uint32_t *cap)
{
    SIM_ASSERTF(n <= (uint32_t)1 << (POOL_CLASSES - 1), "ladder bucket of %u entries", n);
    unsigned k = pool_class(n < 4 ? 4 : n);
    *cap = (uint32_t)1 << k;
    size_t bytes = (size_t)*cap * sizeof(sim_event);
    lq->bucket_bytes += bytes;
    sim_event *v = lq->pool[k];
    if (v) {
        memcpy(&lq->pool[k], (void *)v, sizeof lq->pool[k]); /* next free array */
        lq->pool_bytes -= bytes;
        return v;
    }
    return xrealloc(NULL, *cap, sizeof(sim_event));
}

static void pool_put(ladder *lq, sim_event *v, uint32_t cap)
{
    unsigned k = pool_class(cap);
    SIM_ASSERT(((uint32_t)1 << k) == cap);
    size_t bytes = (size_t)cap * sizeof(sim_event);
    lq->bucket_bytes -= bytes;
    lq->pool_bytes += bytes;
    memcpy((void *)v, &lq->pool[k], sizeof lq->pool[k]);
    lq->pool[k] = v;
}

static void bucket_free(ladder *lq, bucket *b)
{
    if (b->v) pool_put(lq, b->v, b->cap);
    b->v = NULL;
    b->n = b->cap = 0;
}

static void bucket_push(ladder *lq, bucket *b, sim_event e)
{
    if (b->n == b->cap) {
        SIM_ASSERTF(b->cap < UINT32_MAX / 2, "ladder bucket overflow at %u", b->cap);
        uint32_t ncap;
        sim_event *v = pool_get(lq, b->cap ? b->cap * 2 : 4, &ncap);
        if (b->n) memcpy(v, b->v, (size_t)b->n * sizeof *v);
        if (b->v) pool_put(lq, b->v, b->cap);
        b->v = v;
        b->cap = ncap;
    }
    b->v[b->n++] = e;
}

static void top_push(ladder *lq, sim_event e)
{
    if (lq->top_n == lq->top_cap) grow(&lq->top, &lq->top_cap, lq->top_n + 1, sizeof *lq->top);
    lq->top[lq->top_n++] = e;
}

/* Sorted insert into the bottom: append when e is the largest, else binary
** search and shift the (short) tail. */
static void bottom_insert(sim_evq *q, sim_event e)
{
    ladder *lq = &q->lq;
    if (lq->bot_n == lq->bot_cap) {
        if (lq->bot_head > 0) {
            memmove(lq->bot, lq->bot + lq->bot_head,
                    (lq->bot_n - lq->bot_head) * sizeof *lq->bot);
            lq->bot_n -= lq->bot_head;
            lq->bot_head = 0;
        } else {
            grow(&lq->bot, &lq->bot_cap, lq->bot_n + 1, sizeof *lq->bot);
        }
    }
    size_t lo = lq->bot_head, hi = lq->bot_n;
    if (hi > lo && key_less(q->rec, e, lq->bot[hi - 1])) {
        hi--; /* e goes before bot[hi]: find the first entry greater than e */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (key_less(q->rec, e, lq->bot[mid]))
                hi = mid;
            else
                lo = mid + 1;
        }
        memmove(lq->bot + lo + 1, lq->bot + lo,
                (lq->bot_n - lo) * sizeof *lq->bot);
    } else {
        lo = hi;
    }
    lq->bot[lo] = e;
    lq->bot_n++;
}

static void ladder_push(sim_evq *q, sim_event e)
{
    ladder *lq = &q->lq;
    if (lq->nrungs == 0) {
        if (e.t > lq->top_start)
            top_push(lq, e);
        else
            bottom_insert(q, e);
        return;
    }
    for (int k = 0; k < lq->nrungs; k++) {
        rung *r = &lq->rungs[k];
        double d = rung_pos(r, e.t);
        if (d >= (double)r->nb) {
            /* Past this rung's nominal range. For rung 0 that is the top.
            ** A deeper rung lies inside its parent's current bucket, and its
            ** last bucket collects what falls after its range while that
            ** bucket is unconsumed. Once consumed, the last bucket lives on
            ** as rung k+1 (which may span past rung k's range, since it was
            ** spawned from the catch-all's contents) or as the bottom: route
            ** there by the same rules, never by appending blindly. */
            if (k == 0) {
                top_push(lq, e);
                return;
            }
            if (r->cur < r->nb) {
                bucket_push(lq, &r->b[r->nb - 1], e);
                return;
            }
            continue;
        }
        if (d >= (double)r->cur) {
            bucket_push(lq, &r->b[(uint32_t)d], e);
            return;
        }
        /* Inside the bucket that rung k+1 subdivides? Then look there. */
        if (!(d >= (double)r->cur - 1.0)) break;
    }
    bottom_insert(q, e);
}

/* Spread entries v[0..n) over a new rung at level lvl with about
** LADDER_PER_BUCKET per bucket. Returns false, building nothing, when the
** times cannot be spread (all equal, or a width that underflows). */
static bool rung_spawn(sim_evq *q, int lvl, const sim_event *v, size_t n)
{
    ladder *lq = &q->lq;
    double lo = v[0].t, hi = v[0].t;
    for (size_t i = 1; i < n; i++) {
        if (v[i].t < lo) lo = v[i].t;
        if (v[i].t > hi) hi = v[i].t;
    }
    if (!(hi > lo)) return false;
    size_t nb = n / LADDER_PER_BUCKET + 1;
    double width = (hi - lo) / (double)nb;
    double inv = 1.0 / width;
    if (!(width > 0.0) || !isfinite(inv)) return false;
    double dmax = (hi - lo) * inv;
    if (!(dmax < (double)nb + 2.0)) return false;
    size_t nbe = (size_t)dmax + 1; /* every entry's floor(d) is below nbe */

    rung *r = &lq->rungs[lvl];
    if (r->bcap < nbe) {
        r->b = xrealloc(r->b, nbe, sizeof *r->b);
        r->bcap = nbe;
    }
    memset(r->b, 0, nbe * sizeof *r->b);
    r->start = lo;
    r->inv = inv;
    r->nb = (uint32_t)nbe;
    r->cur = 0;
    for (size_t i = 0; i < n; i++) r->b[(uint32_t)rung_pos(r, v[i].t)].cap++;
    for (size_t i = 0; i < nbe; i++) {
        bucket *b = &r->b[i];
        if (!b->cap) continue;
        /* room for a few later inserts */
        b->v = pool_get(lq, b->cap + b->cap / 4 + 2, &b->cap);
    }
    for (size_t i = 0; i < n; i++) {
        bucket *b = &r->b[(uint32_t)rung_pos(r, v[i].t)];
        b->v[b->n++] = v[i];
    }
    lq->nrungs = lvl + 1;
    return true;
}

/* Replace the (empty) bottom with v[0..n), sorted. */
static void bottom_load(sim_evq *q, const sim_event *v, size_t n)
{
    ladder *lq = &q->lq;
    grow(&lq->bot, &lq->bot_cap, n, sizeof *lq->bot);
    memcpy(lq->bot, v, n * sizeof *v);
    sort_events(lq, q->rec, lq->bot, n);
    lq->bot_head = 0;
    lq->bot_n = n;
}

/* The bottom was just loaded from rung r: start fetching the records of
** the next bucket (consumed after this bottom) and the entry array of the
** one after it, so that by the time each is needed it is in cache. */
static void prefetch_next(const sim_evq *q, const rung *r)
{
    if (r->cur < r->nb) {
        const bucket *b = &r->b[r->cur];
        uint32_t n = b->n < PREFETCH_BUCKET_MAX ? b->n : PREFETCH_BUCKET_MAX;
        for (uint32_t i = 0; i < n; i++) {
            __builtin_prefetch(&q->rec[b->v[i].slot]);
            __builtin_prefetch(&q->gen[b->v[i].slot]);
        }
    }
    if (r->cur + 1 < r->nb) {
        const bucket *b = &r->b[r->cur + 1];
        size_t bytes = (size_t)b->n * sizeof(sim_event);
        for (size_t off = 0; off < bytes; off += 64)
            __builtin_prefetch((const char *)b->v + off);
    }
}

/* Bottom is empty: refill it from the deepest rung, spawning finer rungs
** or a new rung 0 from the top as needed. False if the ladder is empty. */
static bool ladder_refill(sim_evq *q)
{
    ladder *lq = &q->lq;
    lq->bot_head = lq->bot_n = 0;
    for (;;) {
        if (lq->nrungs == 0) {
            if (lq->top_n == 0) {
                lq->top_start = -INFINITY;
                return false;
            }
            if (lq->top_n > LADDER_THRES &&
                rung_spawn(q, 0, lq->top, lq->top_n)) {
                lq->top_n = 0;
                continue;
            }
            bottom_load(q, lq->top, lq->top_n);
            lq->top_start = lq->bot[lq->bot_n - 1].t;
            lq->top_n = 0;
            return true;
        }
        rung *r = &lq->rungs[lq->nrungs - 1];
        while (r->cur < r->nb && r->b[r->cur].n == 0) {
            if (r->b[r->cur].v) bucket_free(lq, &r->b[r->cur]);
            r->cur++;
        }
        if (r->cur == r->nb) {
            lq->nrungs--;
            continue;
        }
        bucket *b = &r->b[r->cur++];
        if (b->n > LADDER_THRES && lq->nrungs < LADDER_MAX_RUNGS &&
            rung_spawn(q, lq->nrungs, b->v, b->n)) {
            bucket_free(lq, b);
            continue;
        }
        bottom_load(q, b->v, b->n);
        bucket_free(lq, b);
        prefetch_next(q, r);
        return true;
    }
}

/* ---- the interface ------------------------------------------------------- */

sim_evq *sim_evq_new(sim_queue_kind kind)
{
    SIM_ASSERTF(kind == SIM_QUEUE_HEAP || kind == SIM_QUEUE_LADDER,
                "unknown queue kind %d", (int)kind);
    sim_evq *q = calloc(1, sizeof *q);
    if (!q) return NULL;
    q->kind = kind;
    q->slot_cap = 64;
    q->rec = malloc(q->slot_cap * sizeof *q->rec);
    q->gen = malloc(q->slot_cap * sizeof *q->gen);
    if (!q->rec || !q->gen) {
        free(q->rec);
        free(q->gen);
        free(q);
        return NULL;
    }
    q->rec[0] = (sim_evrec){0};
    q->gen[0] = 0;
    q->nslots = 1; /* slot 0 reserved for SIM_HANDLE_NONE */
    q->lq.top_start = -INFINITY;
    return q;
}

void sim_evq_free(sim_evq *q)
{
    if (!q) return;
    ladder *lq = &q->lq;
    for (int k = 0; k < LADDER_MAX_RUNGS; k++) {
        rung *r = &lq->rungs[k];
        if (k < lq->nrungs)
            for (uint32_t i = 0; i < r->nb; i++) free(r->b[i].v);
        free(r->b);
    }
    for (int k = 0; k < POOL_CLASSES; k++)
        while (lq->pool[k]) {
            sim_event *v = lq->pool[k];
            memcpy(&lq->pool[k], (void *)v, sizeof lq->pool[k]);
            free(v);
        }
    free(lq->top);
    free(lq->bot);
    free(lq->scratch);
    free(q->heap);
    free(q->rec);
    free(q->gen);
    free(q);
}

sim_queue_kind sim_evq_kind(const sim_evq *q) { return q->kind; }

const char *sim_evq_kind_name(sim_queue_kind kind)
{
    return kind == SIM_QUEUE_HEAP ? "heap" : "ladder";
}

sim_handle sim_evq_push(sim_evq *q, double t, int32_t prio, uint32_t kind,
                        sim_action fn, void *subject, uint64_t arg)
{
    uint32_t slot = slot_alloc(q);
    sim_evrec *r = &q->rec[slot];
    uint32_t g = ++q->gen[slot]; /* even -> odd: pending */
    r->fn = fn;
    r->subject = subject;
    r->arg = arg;
    r->seq = q->seq++;
    r->prio = prio;
    r->kind = kind;
    sim_event e = {t, slot, g};
    if (q->kind == SIM_QUEUE_LADDER)
        ladder_push(q, e);
    else
        heap_push(q, e);
    q->live++;
    return (sim_handle){slot, g};
}

/* The front entry (live or dead), or false if the structure is empty. */
static inline bool front(sim_evq *q, sim_event *e)
{
    if (q->kind == SIM_QUEUE_LADDER) {
        ladder *lq = &q->lq;
        if (lq->bot_head == lq->bot_n && !ladder_refill(q)) return false;
        *e = lq->bot[lq->bot_head];
        return true;
    }
    if (!q->heap_n) return false;
    *e = q->heap[0];
    return true;
}

static inline void remove_front(sim_evq *q)
{
    if (q->kind == SIM_QUEUE_LADDER) {
        ladder *lq = &q->lq;
        size_t ahead = ++lq->bot_head + PREFETCH_AHEAD;
        if (ahead < lq->bot_n) {
            __builtin_prefetch(&q->rec[lq->bot[ahead].slot]);
            __builtin_prefetch(&q->gen[lq->bot[ahead].slot]);
        }
    } else {
        heap_remove_front(q);
    }
}

bool sim_evq_pop(sim_evq *q, double limit, sim_evq_item *out)
{
    return sim_evq_pop_before(q, limit, INT32_MAX, out);
}

bool sim_evq_pop_before(sim_evq *q, double limit, int32_t limit_prio, sim_evq_item *out)
{
    sim_event e;
    while (front(q, &e)) {
        if (q->gen[e.slot] != e.gen) { /* cancelled: discard, recycle it */
            remove_front(q);
            slot_release(q, e.slot);
            q->dead--;
            continue;
        }
        if (e.t > limit) return false;
        if (e.t == limit && q->rec[e.slot].prio > limit_prio) return false;
        remove_front(q);
        const sim_evrec *r = &q->rec[e.slot];
        out->t = e.t;
        out->fn = r->fn;
        out->subject = r->subject;
        out->arg = r->arg;
        out->kind = r->kind;
        q->gen[e.slot]++; /* odd -> even: handle now stale */
        slot_release(q, e.slot);
        q->live--;
        return true;
    }
    return false;
}

bool sim_evq_ahead(const sim_evq *q, size_t k, uint32_t *kind, void **subject, uint64_t *arg)
{
    const ladder *lq = &q->lq;
    if (q->kind != SIM_QUEUE_LADDER || lq->bot_head + k >= lq->bot_n) return false;
    const sim_evrec *r = &q->rec[lq->bot[lq->bot_head + k].slot];
    *kind = r->kind;
    *subject = r->subject;
    *arg = r->arg;
    return true;
}

double sim_evq_peek_time(sim_evq *q)
{
    sim_event e;
    while (front(q, &e)) {
        if (entry_live(q, e)) return e.t;
        remove_front(q);
        slot_release(q, e.slot);
        q->dead--;
    }
    return INFINITY;
}

/* Drop dead entries from v[0..*n) keeping order; release their slots. */
static void filter_dead(sim_evq *q, sim_event *v, size_t *n, size_t *dropped)
{
    size_t k = 0;
    for (size_t i = 0; i < *n; i++) {
        if (entry_live(q, v[i]))
            v[k++] = v[i];
        else
            slot_release(q, v[i].slot);
    }
    *dropped += *n - k;
    *n = k;
}

static void purge(sim_evq *q)
{
    size_t dropped = 0;
    if (q->kind == SIM_QUEUE_HEAP) {
        filter_dead(q, q->heap, &q->heap_n, &dropped);
        for (size_t i = q->heap_n / 4 + 1; i-- > 0;)
            if (i < q->heap_n) heap_sift_down(q->rec, q->heap, q->heap_n, i);
    } else {
        ladder *lq = &q->lq;
        filter_dead(q, lq->top, &lq->top_n, &dropped);
        for (int k = 0; k < lq->nrungs; k++) {
            rung *r = &lq->rungs[k];
            for (uint32_t i = r->cur; i < r->nb; i++) {
                size_t n = r->b[i].n;
                filter_dead(q, r->b[i].v, &n, &dropped);
                r->b[i].n = (uint32_t)n;
            }
        }
        size_t n = lq->bot_n - lq->bot_head;
        filter_dead(q, lq->bot + lq->bot_head, &n, &dropped);
        lq->bot_n = lq->bot_head + n;
    }
    SIM_ASSERTF(dropped == q->dead, "purge dropped %zu dead entries, "
                "expected %zu", dropped, q->dead);
    q->dead = 0;
}

bool sim_evq_is_pending(const sim_evq *q, sim_handle h)
{
    return h.slot != 0 && h.slot < q->nslots && (h.gen & 1u) &&
           q->gen[h.slot] == h.gen;
}

bool sim_evq_cancel(sim_evq *q, sim_handle h)
{
    if (!sim_evq_is_pending(q, h)) return false;
    q->gen[h.slot]++; /* odd -> even: its entry is dead from now on */
    q->live--;
    q->dead++;
    if (q->dead > q->live + PURGE_SLACK) purge(q);
    return true;
}

size_t sim_evq_size(const sim_evq *q) { return q->live; }
size_t sim_evq_dead(const sim_evq *q) { return q->dead; }

size_t sim_evq_bytes_per_event(void)
{
    return sizeof(sim_evrec) + sizeof(uint32_t) + sizeof(sim_event);
}

size_t sim_evq_mem_bytes(const sim_evq *q)
{
    const ladder *lq = &q->lq;
    size_t b = sizeof *q + (size_t)q->slot_cap * (sizeof(sim_evrec) + sizeof(uint32_t)) +
               q->heap_cap * sizeof(sim_event) +
               (lq->top_cap + lq->bot_cap + lq->scratch_cap) *
                   sizeof(sim_event) +
               lq->bucket_bytes + lq->pool_bytes;
    for (int k = 0; k < LADDER_MAX_RUNGS; k++)
        b += lq->rungs[k].bcap * sizeof(bucket);
    return b;
}

/* ---- self-check ---------------------------------------------------------- */

typedef struct span {
    bool any;
    sim_event lo, hi;
} span;

static void span_add(const sim_evq *q, span *s, sim_event e)
{
    if (!s->any || key_less(q->rec, e, s->lo)) s->lo = e;
    if (!s->any || key_less(q->rec, s->hi, e)) s->hi = e;
    s->any = true;
}

/* Groups must come in key order: everything in `prev` before `next`. */
static void span_follow(const sim_evq *q, span *prev, const span *next)
{
    if (!next->any) return;
    if (prev->any)
        SIM_ASSERTF(key_less(q->rec, prev->hi, next->lo),
                    "ladder order broken: %.17g (slot %u) not before %.17g "
                    "(slot %u)", prev->hi.t, prev->hi.slot, next->lo.t,
                    next->lo.slot);
    *prev = *next;
}

static void check_entry(const sim_evq *q, sim_event e, size_t *live,
                        size_t *dead)
{
    SIM_ASSERTF(e.slot > 0 && e.slot < q->nslots, "entry slot %u of %u",
                e.slot, q->nslots);
    SIM_ASSERTF(e.gen & 1u, "entry with even generation %u", e.gen);
    SIM_ASSERTF(isfinite(e.t), "entry with time %g", e.t);
    uint32_t g = q->gen[e.slot];
    if (g == e.gen)
        (*live)++;
    else {
        SIM_ASSERTF(g == e.gen + 1, "slot %u reused (gen %u) while its "
                    "cancelled entry (gen %u) is queued", e.slot, g, e.gen);
        (*dead)++;
    }
}

void sim_evq_check(const sim_evq *q)
{
    size_t live = 0, dead = 0;
    if (q->kind == SIM_QUEUE_HEAP) {
        for (size_t i = 0; i < q->heap_n; i++) {
            check_entry(q, q->heap[i], &live, &dead);
            if (i > 0)
                SIM_ASSERTF(!key_less(q->rec, q->heap[i], q->heap[(i - 1) / 4]),
                            "heap order broken at %zu", i);
        }
    } else {
        const ladder *lq = &q->lq;
        span done = {0}, cur = {0};
        for (size_t i = lq->bot_head; i < lq->bot_n; i++) {
            check_entry(q, lq->bot[i], &live, &dead);
            if (i > lq->bot_head)
                SIM_ASSERTF(key_less(q->rec, lq->bot[i - 1], lq->bot[i]),
                            "bottom not sorted at %zu", i);
            span_add(q, &cur, lq->bot[i]);
        }
        span_follow(q, &done, &cur);
        for (int k = lq->nrungs - 1; k >= 0; k--) {
            const rung *r = &lq->rungs[k];
            for (uint32_t i = 0; i < r->nb; i++) {
                const bucket *b = &r->b[i];
                SIM_ASSERTF(i >= r->cur || b->n == 0,
                            "consumed bucket %u of rung %d holds %u", i, k,
                            b->n);
                cur = (span){0};
                for (uint32_t j = 0; j < b->n; j++) {
                    check_entry(q, b->v[j], &live, &dead);
                    span_add(q, &cur, b->v[j]);
                }
                span_follow(q, &done, &cur);
            }
        }
        cur = (span){0};
        for (size_t i = 0; i < lq->top_n; i++) {
            check_entry(q, lq->top[i], &live, &dead);
            span_add(q, &cur, lq->top[i]);
            if (lq->nrungs == 0)
                SIM_ASSERTF(lq->top[i].t > lq->top_start,
                            "top entry %.17g not above top_start %.17g",
                            lq->top[i].t, lq->top_start);
        }
        span_follow(q, &done, &cur);
    }
    SIM_ASSERTF(live == q->live && dead == q->dead,
                "queue holds %zu live + %zu dead entries, counters say %zu "
                "+ %zu", live, dead, q->live, q->dead);
    size_t nfree = 0;
    for (uint32_t s = q->free_head; s; s = (uint32_t)q->rec[s].arg) {
        SIM_ASSERTF(!(q->gen[s] & 1u), "free slot %u is pending", s);
        SIM_ASSERTF(++nfree < q->nslots, "free list has a cycle");
    }
    SIM_ASSERTF(nfree + live + dead + 1 == q->nslots,
                "slots: %zu free + %zu live + %zu dead + 1 != %u", nfree, live,
                dead, q->nslots);
}
