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

/* Checks that the allocator took Levee's options. Call once, first thing
 * in main(). Returns true when jemalloc serves the process (its options
 * were read before main() ran), false with any other malloc. Main only. */
bool alloc_init(void);

#endif
