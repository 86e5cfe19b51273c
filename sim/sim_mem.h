/*
** sim_mem.h - allocation of large arrays (message records, queue rings of
** millions of entries) on huge pages where the system allows it.
**
** A model with millions of messages touches its big arrays at random
** places, and with 4 KiB pages nearly every such access also misses the
** TLB (a page walk costs as much as the cache miss). sim_alloc_large
** aligns blocks of 4 MiB and more to 2 MiB and asks the kernel for
** transparent huge pages (madvise MADV_HUGEPAGE, which works when THP is
** "always" or "madvise" and is ignored otherwise). Smaller blocks are
** plain malloc. Alignment is at least 64 bytes either way.
**
** Ownership: the caller frees the block with free(). NULL on out of memory.
**
** sim_grow is the engine's one growable-array step: room for `need`
** elements of `size` bytes in *arr, doubling from 16. 0, or -1 on out of
** memory or overflow with *arr and *cap unchanged. The array stays the
** caller's (realloc'd, freed with free()).
*/
#ifndef SIM_MEM_H
#define SIM_MEM_H

#include <stddef.h>

void *sim_alloc_large(size_t bytes);
int sim_grow(void **arr, size_t *cap, size_t need, size_t size);

#endif
