/*
** sim_sort.h - sorting sampled values, for building large initial states
** (a stacked backlog of millions of messages sorted by age).
**
** sim_sort_desc sorts non-negative doubles largest first with an LSD radix
** sort on their bit patterns (for x >= 0 the IEEE-754 bits order like the
** values), 16 bits per pass and passes whose digit is the same for every
** key skipped: O(n), about ten times faster than qsort on 5 M values, which
** made the preload of the end-to-end benchmark's backlog a second shorter.
** Equal values are indistinguishable, so the result is exactly what any
** correct sort gives. Small inputs go to insertion sort.
**
** Returns 0, or -1 when the scratch memory (2 x 8 bytes per value) cannot
** be had; v is then unchanged. Negative values and NaN are an invariant
** violation (the caller clamps ages at 0); -0.0 counts as 0.
*/
#ifndef SIM_SORT_H
#define SIM_SORT_H

#include <stddef.h>

int sim_sort_desc(double *v, size_t n);

#endif
