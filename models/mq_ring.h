/*
** mq_ring.h - one growable double-ended ring, stamped out per element type.
**
** The model keeps several FIFOs on its hot path: queue and client buffers
** of entries, the consumers waiting on a queue, the sends awaiting their
** confirm. They share this one implementation instead of a copy each.
** MQ_RING_DEFINE(name, type) declares `name` (the ring struct) and static
** inline name_push_back / name_push_front / name_pop_front / name_at /
** name_reserve / name_free, so each call compiles to typed loads and stores.
**
** Capacity is always a power of two (64 at first, doubled when full), so an
** index wraps with a mask instead of an integer division (the division was
** visible in profiles: every delivery passes through two or three rings).
** Growth copies the live elements to the front of a new array: O(n), rare;
** name_reserve grows in one step where the final size is known (a stacked
** backlog of millions), and large arrays go on huge pages (sim_mem.h),
** which in a VM saves one page fault per 4 KiB written.
** A ring that becomes empty restarts at index 0, so a ring that holds a few
** elements at a time (most client buffers, an idle queue) keeps using its
** first cache line instead of cycling through its whole array.
**
** Ownership: a ring owns its array; name_free releases it and leaves an
** empty ring. A zeroed struct is a valid empty ring. push returns -1 when
** memory runs out (the ring is unchanged), 0 otherwise; pop_front on an
** empty ring is an invariant violation.
*/
#ifndef MQ_RING_H
#define MQ_RING_H

#include "sim/sim_err.h"
#include "sim/sim_mem.h"

#include <stdint.h>
#include <stdlib.h>

#define MQ_RING_FIRST_CAP 64

#define MQ_RING_DEFINE(name, type)                                             \
    typedef struct name {                                                      \
        type *v;                                                               \
        size_t head, n, cap; /* cap: 0 or a power of two */                    \
    } name;                                                                    \
                                                                               \
    static inline type *name##_at(const name *r, size_t i)                     \
    {                                                                          \
        return &r->v[(r->head + i) & (r->cap - 1)];                            \
    }                                                                          \
                                                                               \
    static inline int name##_grow_to(name *r, size_t ncap)                     \
    {                                                                          \
        if (ncap > SIZE_MAX / sizeof(type)) return -1;                         \
        type *nv = sim_alloc_large(ncap * sizeof *nv);                         \
        if (!nv) return -1;                                                    \
        for (size_t i = 0; i < r->n; i++) nv[i] = *name##_at(r, i);            \
        free(r->v);                                                            \
        r->v = nv;                                                             \
        r->head = 0;                                                           \
        r->cap = ncap;                                                         \
        return 0;                                                              \
    }                                                                          \
                                                                               \
    static inline int name##_grow(name *r)                                     \
    {                                                                          \
        return name##_grow_to(r, r->cap ? r->cap * 2 : MQ_RING_FIRST_CAP);     \
    }                                                                          \
                                                                               \
    /* room for `need` elements in all, in one step (a preload) */            \
    static inline int name##_reserve(name *r, size_t need)                     \
    {                                                                          \
        if (need <= r->cap) return 0;                                          \
        size_t ncap = r->cap ? r->cap : MQ_RING_FIRST_CAP;                     \
        while (ncap < need) {                                                  \
            if (ncap > SIZE_MAX / 2) return -1;                                \
            ncap *= 2;                                                         \
        }                                                                      \
        return name##_grow_to(r, ncap);                                        \
    }                                                                          \
                                                                               \
    static inline int name##_push_back(name *r, type e)                        \
    {                                                                          \
        if (r->n == r->cap && name##_grow(r)) return -1;                       \
        r->v[(r->head + r->n) & (r->cap - 1)] = e;                             \
        r->n++;                                                                \
        return 0;                                                              \
    }                                                                          \
                                                                               \
    static inline int name##_push_front(name *r, type e)                       \
    {                                                                          \
        if (r->n == r->cap && name##_grow(r)) return -1;                       \
        r->head = (r->head - 1) & (r->cap - 1);                                \
        r->v[r->head] = e;                                                     \
        r->n++;                                                                \
        return 0;                                                              \
    }                                                                          \
                                                                               \
    static inline type name##_pop_front(name *r)                               \
    {                                                                          \
        SIM_ASSERT(r->n > 0);                                                  \
        type e = r->v[r->head];                                                \
        r->head = (r->head + 1) & (r->cap - 1);                                \
        if (--r->n == 0) r->head = 0;                                          \
        return e;                                                              \
    }                                                                          \
                                                                               \
    static inline void name##_free(name *r)                                    \
    {                                                                          \
        free(r->v);                                                            \
        r->v = NULL;                                                           \
        r->head = r->n = r->cap = 0;                                           \
    }

#endif
