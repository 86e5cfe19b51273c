/*
** sim_stats.c - streaming statistics (see sim_stats.h).
**
** Welford: the textbook one-pass update, merged with Chan, Golub & LeVeque's
** pairwise formula, so per-replication accumulators combine without a second
** pass and without the cancellation of sum/sum-of-squares.
**
** Histogram: HDR-style log buckets read straight off the IEEE-754 bits. For a
** positive double, bits >> (52 - SUB_BITS) is exponent * 2^SUB_BITS plus the
** top SUB_BITS mantissa bits, which is monotonic in the value; subtracting the
** index of SIM_HIST_MIN gives the bucket. sim_hist_add is therefore a bit
** copy, a shift, a subtract, two selects and four flops (no loop, no log):
**     bucket 0                   x <= SIM_HIST_MIN (and negatives)
**     bucket 1 + raw(x) - raw(MIN)   otherwise, clamped to the top bucket
** With SUB_BITS = 7 the range 1e-9 .. 1e9 takes 7655 buckets (about 60 KB of
** uint64 counts, allocated once per histogram). A bucket [lo, hi) has
** hi - lo = lo' * 2^-SUB_BITS where lo' = 2^floor(log2 lo) <= lo, so its
** midpoint is within 2^-(SUB_BITS+1) = SIM_HIST_REL_ERR of any value in it.
** Quantiles scan the counts (O(buckets), off the hot path) and report the
** midpoint, clamped to the exact min and max kept alongside - clamping can
** only move the answer closer to the true value. The exact mean is a
** Kahan-compensated sum divided by the count.
**
** Quantile convention: q selects the order statistic of 0-based rank
** floor(q * (n - 1)), the lower of the two neighbours that GSL's
** gsl_stats_quantile_from_sorted_data interpolates between; q = 0 and q = 1
** return the exact min and max.
*/
#include "sim/sim_stats.h"
#include "sim/sim_err.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- Welford -------------------------------------------------------- */

void sim_welford_add(sim_welford *w, double x)
{
    if (w->n == 0) {
        w->min = w->max = x;
    } else {
        if (x < w->min) w->min = x;
        if (x > w->max) w->max = x;
    }
    w->n++;
    double d = x - w->mean;
    w->mean += d / (double)w->n;
    w->m2 += d * (x - w->mean);
}

double sim_welford_var(const sim_welford *w)
{
    return w->n < 2 ? 0.0 : w->m2 / (double)(w->n - 1);
}

double sim_welford_sd(const sim_welford *w)
{
    return sqrt(sim_welford_var(w));
}

void sim_welford_merge(sim_welford *a, const sim_welford *b)
{
    if (b->n == 0) return;
    if (a->n == 0) {
        *a = *b;
        return;
    }
    double na = (double)a->n, nb = (double)b->n, n = na + nb;
    double d = b->mean - a->mean;
    a->mean += d * nb / n;
    a->m2 += b->m2 + d * d * na * nb / n;
    a->n += b->n;
    if (b->min < a->min) a->min = b->min;
    if (b->max > a->max) a->max = b->max;
}

/* ---- histogram ------------------------------------------------------ */

#define SHIFT (52 - SIM_HIST_SUB_BITS)

struct sim_hist {
    uint64_t n;
    double sum, comp; /* Kahan sum of the values and its compensation */
    double min, max;
    int64_t base;     /* raw index of SIM_HIST_MIN */
    size_t nbuckets;  /* bucket 0 (<= MIN) .. top (holds MAX and above) */
    size_t lo, hi;    /* buckets lo..hi may be non-zero (lo > hi: none), so
                         reset, merge and quantiles skip the empty rest */
    uint64_t counts[];
};

static inline int64_t raw_index(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return (int64_t)(b >> SHIFT);
}

static inline double raw_value(int64_t raw)
{
    uint64_t b = (uint64_t)raw << SHIFT;
    double x;
    memcpy(&x, &b, sizeof x);
    return x;
}

sim_hist *sim_hist_new(void)
{
    int64_t base = raw_index(SIM_HIST_MIN);
    size_t nb = (size_t)(raw_index(SIM_HIST_MAX) - base) + 2;
    sim_hist *h = calloc(1, sizeof *h + nb * sizeof h->counts[0]);
    if (!h) return NULL;
    h->base = base;
    h->nbuckets = nb;
    h->lo = nb;
    h->hi = 0;
    h->min = INFINITY;
    h->max = -INFINITY;
    return h;
}

void sim_hist_free(sim_hist *h)
{
    free(h);
}

static inline size_t bucket_of(const sim_hist *h, double x)
{
    int64_t i = raw_index(x) - h->base + 1;
    int64_t top = (int64_t)h->nbuckets - 1;
    i = i > top ? top : i;
    return x > SIM_HIST_MIN ? (size_t)i : 0;
}

void sim_hist_add_n(sim_hist *h, double x, uint64_t n)
{
    SIM_ASSERTF(x == x, "NaN added to a histogram");
    size_t b = bucket_of(h, x);
    h->counts[b] += n;
    if (b < h->lo) h->lo = b;
    if (b > h->hi) h->hi = b;
    h->n += n;
    double y = x * (double)n - h->comp;
    double t = h->sum + y;
    h->comp = (t - h->sum) - y;
    h->sum = t;
    h->min = x < h->min ? x : h->min;
    h->max = x > h->max ? x : h->max;
}

void sim_hist_add(sim_hist *h, double x)
{
    sim_hist_add_n(h, x, 1);
}

uint64_t sim_hist_count(const sim_hist *h)
{
    return h->n;
}

double sim_hist_max(const sim_hist *h)
{
    return h->n ? h->max : NAN;
}

double sim_hist_mean(const sim_hist *h)
{
    return h->n ? h->sum / (double)h->n : NAN;
}

double sim_hist_quantile(const sim_hist *h, double q)
{
    SIM_ASSERTF(q >= 0.0 && q <= 1.0, "quantile %g outside [0, 1]", q);
    if (h->n == 0) return NAN;
    if (q == 0.0) return h->min;
    if (q == 1.0) return h->max;
    uint64_t rank = (uint64_t)floor(q * (double)(h->n - 1)); /* 0-based */
    uint64_t cum = 0;
    size_t i = h->lo;
    for (; i <= h->hi; i++) {
        cum += h->counts[i];
        if (cum > rank) break;
    }
    SIM_ASSERTF(i <= h->hi, "histogram counts sum to %llu, not %llu",
                (unsigned long long)cum, (unsigned long long)h->n);
    double v;
    if (i == 0) {
        v = 0.0;
    } else {
        int64_t raw = (int64_t)i - 1 + h->base;
        v = 0.5 * (raw_value(raw) + raw_value(raw + 1));
    }
    if (v < h->min) v = h->min;
    if (v > h->max) v = h->max;
    return v;
}

void sim_hist_reset(sim_hist *h)
{
    if (h->lo <= h->hi) memset(h->counts + h->lo, 0, (h->hi - h->lo + 1) * sizeof h->counts[0]);
    h->lo = h->nbuckets;
    h->hi = 0;
    h->n = 0;
    h->sum = h->comp = 0.0;
    h->min = INFINITY;
    h->max = -INFINITY;
}

void sim_hist_merge(sim_hist *a, const sim_hist *b)
{
    SIM_ASSERT(a->nbuckets == b->nbuckets && a->base == b->base);
    for (size_t i = b->lo; i <= b->hi; i++) a->counts[i] += b->counts[i];
    if (b->lo < a->lo) a->lo = b->lo;
    if (b->hi > a->hi) a->hi = b->hi;
    a->n += b->n;
    double y = b->sum - (a->comp + b->comp);
    double t = a->sum + y;
    a->comp = (t - a->sum) - y;
    a->sum = t;
    if (b->min < a->min) a->min = b->min;
    if (b->max > a->max) a->max = b->max;
}

/* ---- time-weighted average ------------------------------------------ */

void sim_twavg_init(sim_twavg *a, double t0, double value)
{
    a->t0 = a->last_t = t0;
    a->value = value;
    a->area = 0.0;
    a->max = value;
}

void sim_twavg_set(sim_twavg *a, double t, double value)
{
    SIM_ASSERTF(t >= a->last_t, "time went backwards: %.17g < last %.17g",
                t, a->last_t);
    a->area += a->value * (t - a->last_t);
    a->last_t = t;
    a->value = value;
    if (value > a->max) a->max = value;
}

double sim_twavg_mean(const sim_twavg *a, double t)
{
    SIM_ASSERTF(t >= a->last_t, "time went backwards: %.17g < last %.17g",
                t, a->last_t);
    if (t == a->t0) return a->value;
    return (a->area + a->value * (t - a->last_t)) / (t - a->t0);
}

/* ---- confidence interval -------------------------------------------- */

double sim_ci95_halfwidth(uint64_t n, double sd)
{
    if (n < 2) return NAN;
    return gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * sd / sqrt((double)n);
}
