/* alloc.h -- the process allocator's options, behind one wrapper.
 *
 * Levee runs on jemalloc (-Dmalloc=jemalloc, the default) or on the C
 * library's malloc (-Dmalloc=libc, for sanitizer builds). Every jemalloc
 * call (mallctl, malloc_conf) lives in alloc.c and nowhere else, as Redis
 * keeps its allocator behind zmalloc.h; with the C library's malloc the
 * wrapper does nothing.
 */
#ifndef LEVEE_SERVER_ALLOC_H
#define LEVEE_SERVER_ALLOC_H

#include <stdbool.h>
#include <stddef.h>

/* Checks that the allocator took Levee's options. Call once, first thing
 * in main(). Returns true when jemalloc serves the process (its options
 * were read before main() ran), false with any other malloc. Main only. */
bool alloc_init(void);

/* Pools of buffers whose pages go back to the system as soon as they are
 * freed, so that a budget kept in allocated bytes (TCP's tcp-memory-max)
 * bounds the resident memory too: with jemalloc a pool is an arena of its
 * own that keeps no freed pages (dirty and muzzy decay 0: purged at once)
 * and is used without the thread cache; with another malloc there is no
 * pool (-1) and these are realloc, free and malloc_usable_size.
 *
 * alloc_pool_new() returns a pool or -1. Main only, once per user (one
 * per reactor: an arena is used without contention by one thread).
 * alloc_pool_realloc() resizes p (NULL: allocates) to n > 0 bytes, NULL
 * on failure with p untouched; alloc_pool_free() frees p (NULL accepted);
 * alloc_pool_usable() is the size the allocator gave p. The three: the
 * pool's thread; each frees or purges at most what it is handed. */
int alloc_pool_new(void);
void *alloc_pool_realloc(int pool, void *p, size_t n);
void alloc_pool_free(int pool, void *p);
size_t alloc_pool_usable(int pool, void *p);

#endif
