/* arena.h -- region allocator.
 *
 * An arena hands out memory from large chunks and frees it all at once with
 * arena_destroy() (NSD's region allocator). One arena owns one zone; nothing
 * allocated from it is freed on its own. Not thread-safe: one owner at a time.
 */
#ifndef LEVEE_ZONES_ARENA_H
#define LEVEE_ZONES_ARENA_H

#include <stddef.h>

struct arena;

/* New arena whose chunks are at least chunk_size bytes; NULL when out of memory. */
struct arena *arena_new(size_t chunk_size);

/* size bytes aligned to 16; NULL when out of memory. O(1) amortised. */
void *arena_alloc(struct arena *a, size_t size);

/* Copy of size bytes of src into the arena; NULL when out of memory. */
void *arena_memdup(struct arena *a, const void *src, size_t size);

/* Maps in now, with one system call, the whole pages of [p, p + size) that
 * the caller is about to write all over, instead of one page fault each.
 * Advice only (nothing happens on kernels before 5.14); any memory. */
void arena_prefault(void *p, size_t size);

/* Bytes held from the system (for statistics). */
size_t arena_size(const struct arena *a);

/* Frees every chunk and the arena itself. NULL is accepted. */
void arena_destroy(struct arena *a);

#endif
