/*
** sim_sort.c - radix sort of non-negative doubles, largest first (see
** sim_sort.h). Keys are the complemented bit patterns, so ascending keys
** are descending values; four 16-bit LSD passes between two key arrays.
*/
#include "sim/sim_sort.h"
#include "sim/sim_err.h"
#include "sim/sim_mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SMALL 64
#define DIGIT_BITS 16
#define NDIGITS (1u << DIGIT_BITS)

static uint64_t key_of(double x)
{
    SIM_ASSERTF(x >= 0, "sim_sort_desc: value %g is negative or NaN", x);
    if (x == 0) x = 0.0; /* -0.0 sorts as 0 */
    uint64_t k;
    memcpy(&k, &x, sizeof k);
    return ~k;
}

static double value_of(uint64_t k)
{
    k = ~k;
    double x;
    memcpy(&x, &k, sizeof x);
    return x;
}

static void insertion_desc(double *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        double x = v[i];
        SIM_ASSERTF(x >= 0, "sim_sort_desc: value %g is negative or NaN", x);
        size_t j = i;
        while (j > 0 && v[j - 1] < x) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

int sim_sort_desc(double *v, size_t n)
{
    if (n < SMALL) {
        insertion_desc(v, n);
        return 0;
    }
    if (n > SIZE_MAX / sizeof(uint64_t)) return -1;
    /* on huge pages when large: two arrays of 8 bytes a value are written
    ** once each, and on 4 KiB pages every 512 values cost a page fault */
    uint64_t *a = sim_alloc_large(n * sizeof *a), *b = sim_alloc_large(n * sizeof *b);
    size_t *count = malloc(NDIGITS * sizeof *count);
    if (!a || !b || !count) {
        free(a);
        free(b);
        free(count);
        return -1;
    }
    for (size_t i = 0; i < n; i++) a[i] = key_of(v[i]);
    for (unsigned shift = 0; shift < 64; shift += DIGIT_BITS) {
        memset(count, 0, NDIGITS * sizeof *count);
        for (size_t i = 0; i < n; i++) count[(a[i] >> shift) & (NDIGITS - 1)]++;
        if (count[(a[0] >> shift) & (NDIGITS - 1)] == n) continue; /* one digit */
        size_t sum = 0;
        for (size_t d = 0; d < NDIGITS; d++) {
            size_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) b[count[(a[i] >> shift) & (NDIGITS - 1)]++] = a[i];
        uint64_t *t = a;
        a = b;
        b = t;
    }
    for (size_t i = 0; i < n; i++) v[i] = value_of(a[i]);
    free(a);
    free(b);
    free(count);
    return 0;
}
