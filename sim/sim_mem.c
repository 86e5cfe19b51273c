/*
** sim_mem.c - large-array allocation on transparent huge pages (sim_mem.h).
*/
#include "sim/sim_mem.h"

#include <stdlib.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)
#define LARGE ((size_t)4 << 20)

void *sim_alloc_large(size_t bytes)
{
    size_t align = bytes >= LARGE ? HUGE_PAGE : 64;
    size_t rounded = (bytes + align - 1) / align * align;
    if (rounded < bytes) return NULL; /* overflow */
    void *p = aligned_alloc(align, rounded ? rounded : align);
#ifdef MADV_HUGEPAGE
    if (p && align == HUGE_PAGE) (void)madvise(p, rounded, MADV_HUGEPAGE); /* a hint */
#endif
    return p;
}
