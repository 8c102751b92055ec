/* arena.h -- region allocator.
 *
 * An arena hands out memory from chunks and frees it all at once with
 * arena_destroy() (NSD's region allocator). One arena owns one zone; nothing
 * allocated from it is freed on its own. The first chunk is small
 * (ARENA_FIRST_CHUNK) and each new one twice the last, up to the arena's
 * largest chunk: a zone of ten records holds one chunk of 1 KiB or two, a
 * zone of a million records chunks of the largest size. Not thread-safe: one
 * owner at a time.
 */
#ifndef LEVEE_ZONES_ARENA_H
#define LEVEE_ZONES_ARENA_H

#include <stddef.h>

struct arena;

/* Bytes (its header included) of an arena's first chunk. */
#define ARENA_FIRST_CHUNK 1024

/* New arena whose chunks grow from ARENA_FIRST_CHUNK bytes by doubling to
 * max_chunk bytes (a power of two; less than ARENA_FIRST_CHUNK is taken as
 * ARENA_FIRST_CHUNK); a request over max_chunk / 4 gets a chunk of its
 * own. Holds no chunk until the first allocation. NULL when out of
 * memory. */
struct arena *arena_new(size_t max_chunk);

/* size bytes aligned to 16; NULL when out of memory. O(1) amortised. */
void *arena_alloc(struct arena *a, size_t size);

/* size bytes aligned to align (1, 2, 4, 8 or 16), packed behind the
 * previous allocation (no padding to 16); NULL when out of memory. O(1)
 * amortised. */
void *arena_alloc_align(struct arena *a, size_t size, size_t align);

/* Copy of size bytes of src into the arena; NULL when out of memory. */
void *arena_memdup(struct arena *a, const void *src, size_t size);

/* Maps in now, with one system call, the whole pages of [p, p + size) that
 * the caller is about to write all over, instead of one page fault each.
 * Advice only (nothing happens on kernels before 5.14); any memory. */
void arena_prefault(void *p, size_t size);

/* Bytes held from the allocator: every chunk, headers included, and the
 * arena itself (for statistics). O(1). */
size_t arena_size(const struct arena *a);

/* Frees every chunk and the arena itself. NULL is accepted. */
void arena_destroy(struct arena *a);

#endif
