/*
** sim_src.c - the open-loop event source behind sim_source_set (see
** sim_src.h for why it exists).
**
** Cutting a window. Let a be the earliest next time of any subject and
** b = max(a + width, the previous bound). Every subject hands over its
** events before b, but at most SRC_CAP_PER_SUBJECT of them; a subject that
** hits the cap still has events before b, so the window may only be handed
** out up to e = min(b, the next time of every capped subject). The cap
** bounds a window's memory whatever the width guess (a first window over a
** rate step, say). The list (events carried from the last cut plus the new
** ones) is sorted by (time, subject): a counting pass into one bucket per
** event by d = (t - a) * inv, which is monotone in t so buckets are in
** order, then insertion sort, which finds almost nothing out of place.
** Events before e are the window; the rest are carried to the next cut,
** where they are still before its bound. The width then adapts so that a
** window holds about SRC_PER_SUBJECT events per subject.
*/
#include "sim/sim_src.h"
#include "sim/sim_err.h"
#include "sim/sim_mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SRC_PER_SUBJECT 4
#define SRC_CAP_PER_SUBJECT 32
#define SRC_MIN_WINDOW 64

/* Room for `need` elements in a window array; out of memory is fatal here,
** in the middle of a run. */
static void src_grow(void **arr, size_t *cap, size_t need, size_t size)
{
    SIM_NEED(sim_grow(arr, cap, need, size) == 0,
                "out of memory for an event source window of %zu", need);
}

int sim_src_add(sim_src *src, void *subject, double first_t)
{
    SIM_ASSERTF(src->win_end == 0 && src->win_n == 0,
                "sim_source_add after the source has started");
    SIM_ASSERTF(!isnan(first_t) && first_t >= 0, "source event time %g", first_t);
    SIM_ASSERTF(src->n < UINT32_MAX, "too many source subjects");
    /* two arrays of one capacity: grow both, then record it */
    size_t cap_s = src->cap, cap_t = src->cap;
    if (sim_grow((void **)&src->subjects, &cap_s, src->n + 1, sizeof *src->subjects) ||
        sim_grow((void **)&src->next_t, &cap_t, src->n + 1, sizeof *src->next_t))
        return -1;
    src->cap = cap_s;
    src->subjects[src->n] = subject;
    src->next_t[src->n] = first_t;
    src->n++;
    return 0;
}

static inline bool ev_less(sim_src_ev x, sim_src_ev y)
{
    return x.t < y.t || (x.t == y.t && x.subject < y.subject);
}

/* Whether v[0..n) is already in (t, subject) order. It stops at the first
** pair out of order, so with many subjects it costs a few comparisons. */
static bool in_order(const sim_src_ev *v, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (ev_less(v[i], v[i - 1])) return false;
    return true;
}

/* Sort v[0..n) by (t, subject); every t is in [a, b). A window already in
** order (a source of one subject, such as an M/M/1's arrivals) is left as
** it is: the bucket pass would only copy it twice. */
static void sort_list(sim_src *src, sim_src_ev *v, size_t n, double a, double b)
{
    if (in_order(v, n)) return;
    if (n > 16) {
        src_grow((void **)&src->count, &src->count_cap, n + 1, sizeof *src->count);
        src_grow((void **)&src->scratch, &src->scratch_cap, n, sizeof *src->scratch);
        double inv = (double)n / (b - a);
        size_t *c = src->count;
        memset(c, 0, (n + 1) * sizeof *c);
        for (size_t i = 0; i < n; i++) {
            double d = (v[i].t - a) * inv;
            size_t k = d < (double)n ? (size_t)d : n - 1;
            v[i].pad = (uint32_t)k;
            c[k + 1]++;
        }
        for (size_t k = 1; k <= n; k++) c[k] += c[k - 1];
        for (size_t i = 0; i < n; i++) src->scratch[c[v[i].pad]++] = v[i];
        memcpy(v, src->scratch, n * sizeof *v);
    }
    for (size_t i = 1; i < n; i++) {
        sim_src_ev e = v[i];
        size_t j = i;
        while (j > 0 && ev_less(e, v[j - 1])) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = e;
    }
}

/* Cut the next window. False when no subject has an event left. */
static bool cut(sim_src *src)
{
    /* carry what the last window did not hand out to the front */
    size_t carried = src->win_n - src->win_pos;
    if (carried) memmove(src->win, src->win + src->win_pos, carried * sizeof *src->win);
    double a = carried ? src->win[0].t : INFINITY;
    for (size_t i = 0; i < src->n; i++) a = fmin(a, src->next_t[i]);
    if (a == INFINITY) {
        src->win_n = src->win_pos = 0;
        return false;
    }
    if (src->width <= 0) src->width = 1.0;
    double b = fmax(a + src->width, src->win_end);
    if (!(b > a)) b = nextafter(a, INFINITY);
    double e = b;
    size_t n = carried;
    for (size_t i = 0; i < src->n; i++) {
        double t = src->next_t[i];
        if (!(t < b)) continue;
        src_grow((void **)&src->win, &src->win_cap, n + SRC_CAP_PER_SUBJECT, sizeof *src->win);
        for (int k = 0; t < b && k < SRC_CAP_PER_SUBJECT; k++) {
            src->win[n++] = (sim_src_ev){t, (uint32_t)i, 0};
            double nt = src->next(src->subjects[i], t);
            SIM_ASSERTF(nt >= t, "source subject %zu: next time %.17g s before %.17g s", i,
                        nt, t);
            t = nt;
        }
        src->next_t[i] = t;
        if (t < b) e = fmin(e, t); /* capped: it has events before b still */
    }
    sort_list(src, src->win, n, a, b);
    size_t out = 0;
    while (out < n && src->win[out].t < e) out++;
    SIM_ASSERTF(out > 0, "source subject returns the same time %d times (%.17g s)",
                SRC_CAP_PER_SUBJECT, a);
    /* hand out [0, out); [out, n) is carried, in order, to the next cut */
    src->win_pos = 0;
    src->win_n = out;
    src->carry_n = n - out;
    src->win_end = b;
    double target = (double)(src->n * SRC_PER_SUBJECT > SRC_MIN_WINDOW
                                 ? src->n * SRC_PER_SUBJECT
                                 : SRC_MIN_WINDOW);
    double f = target / (double)out;
    src->width = (e - a) * fmin(4.0, fmax(0.25, f));
    return true;
}

const sim_src_ev *sim_src_head(sim_src *src)
{
    if (src->win_pos < src->win_n) return &src->win[src->win_pos];
    if (!src->next) return NULL;
    /* the carried tail lies right after the window in src->win */
    src->win_n += src->carry_n;
    src->carry_n = 0;
    if (!cut(src)) return NULL;
    return &src->win[0];
}

size_t sim_src_pending(const sim_src *src)
{
    /* subjects with a time not yet cut, plus the others that still have
    ** an event in the window or the carried tail (each once) */
    size_t n = 0;
    for (size_t i = 0; i < src->n; i++) n += src->next_t[i] < INFINITY;
    size_t end = src->win_n + src->carry_n;
    if (src->win_pos == end) return n;
    unsigned char *seen = calloc(src->n, 1);
    SIM_NEED(seen, "out of memory counting %zu source subjects", src->n);
    for (size_t k = src->win_pos; k < end; k++) {
        uint32_t i = src->win[k].subject;
        if (src->next_t[i] == INFINITY && !seen[i]) {
            seen[i] = 1;
            n++;
        }
    }
    free(seen);
    return n;
}

size_t sim_src_mem_bytes(const sim_src *src)
{
    return src->cap * (sizeof *src->subjects + sizeof *src->next_t) +
           (src->win_cap + src->scratch_cap) * sizeof *src->win + src->count_cap * sizeof *src->count;
}

void sim_src_free(sim_src *src)
{
    free(src->subjects);
    free(src->next_t);
    free(src->win);
    free(src->scratch);
    free(src->count);
    memset(src, 0, sizeof *src);
}
