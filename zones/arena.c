/* arena.c -- region allocator.
 *
 * Memory comes from a singly linked list of chunks obtained with malloc. The
 * newest chunk is the one being carved: arena_alloc_align() bumps a cursor
 * in it (padding only to the alignment asked, so names and wire bytes pack
 * tight) and starts a new chunk when the request does not fit. Chunks
 * grow: the first is ARENA_FIRST_CHUNK bytes, each new one twice the last,
 * up to the arena's largest, so a small zone holds a chunk or two of a few
 * KiB and a large one pays a dozen extra mallocs on its way to the largest
 * size. A chunk's size counts its header, so a power of two is exactly one
 * of the allocator's size classes (jemalloc rounds 256 KiB + 16 up to 320
 * KiB). A request larger than a quarter of the largest chunk gets a chunk
 * of its own, linked behind the current one so the space left in the
 * current chunk is not wasted. What a chunk wastes is its tail when a
 * request does not fit: at most a quarter of the largest chunk, and never
 * more than the chunk itself. Nothing is freed before arena_destroy(),
 * which walks the list once. The arena is owned by one thread at a time;
 * there is no locking.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "zones/arena.h"

#define ARENA_ALIGN 16
/* Chunks from this size up are mapped in at once (arena_prefault). */
#define ARENA_PREFAULT (64 * 1024)

struct arena_chunk {
	struct arena_chunk *next;
	size_t bytes;              /* malloc'd, this header included */
	/* data follows, aligned to ARENA_ALIGN */
};

#define CHUNK_HDR ((sizeof(struct arena_chunk) + ARENA_ALIGN - 1) & \
		   ~(size_t)(ARENA_ALIGN - 1))

struct arena {
	struct arena_chunk *chunks;/* current chunk first */
	uint8_t *cur;              /* next free byte in the current chunk */
	size_t left;               /* bytes left in the current chunk */
	size_t next_chunk;         /* bytes of the next regular chunk */
	size_t max_chunk;          /* largest regular chunk */
	size_t total;              /* bytes held from malloc */
};

/* A chunk is filled soon after it is made: its pages are mapped in with
 * one system call, cheaper than a page fault per page (on a virtual machine
 * especially). Advice only: an old kernel ignores it. */
void arena_prefault(void *p, size_t size)
{
#ifdef MADV_POPULATE_WRITE
	/* read once, by whichever thread comes first (relaxed: every
	 * thread that races here stores the same value) */
	static size_t page_cache;
	size_t page = __atomic_load_n(&page_cache, __ATOMIC_RELAXED);
	uintptr_t b, e;

	if (!page) {
		page = (size_t)sysconf(_SC_PAGESIZE);
		__atomic_store_n(&page_cache, page, __ATOMIC_RELAXED);
	}
	b = ((uintptr_t)p + page - 1) & ~(uintptr_t)(page - 1);
	e = ((uintptr_t)p + size) & ~(uintptr_t)(page - 1);
	if (e > b)
		(void)madvise((void *)b, e - b, MADV_POPULATE_WRITE);
#else
	(void)p;
	(void)size;
#endif
}

/* A chunk of `bytes` bytes in all; NULL when out of memory. */
static struct arena_chunk *arena_chunk_new(struct arena *a, size_t bytes)
{
	struct arena_chunk *c = malloc(bytes);

	if (!c)
		return NULL;
	if (bytes >= ARENA_PREFAULT)
		arena_prefault(c, bytes);
	c->bytes = bytes;
	a->total += bytes;
	return c;
}

struct arena *arena_new(size_t max_chunk)
{
	struct arena *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	if (max_chunk < ARENA_FIRST_CHUNK)
		max_chunk = ARENA_FIRST_CHUNK;
	a->max_chunk = max_chunk;
	a->next_chunk = ARENA_FIRST_CHUNK;
	a->total = sizeof(*a);
	return a;
}

/* size (at least 1) does not fit the current chunk: a chunk of its own
 * for a big request, else the next regular chunk (doubled until it holds
 * size: at most max_chunk, which holds any request not big). */
static void *arena_alloc_slow(struct arena *a, size_t size)
{
	struct arena_chunk *c;
	size_t bytes;

	if (size > (a->max_chunk - CHUNK_HDR) / 4) {
		if (size > SIZE_MAX - CHUNK_HDR)
			return NULL;
		c = arena_chunk_new(a, CHUNK_HDR + size);
		if (!c)
			return NULL;
		if (a->chunks) {
			/* behind the current one, whose space stays in use */
			c->next = a->chunks->next;
			a->chunks->next = c;
		} else {
			c->next = NULL;
			a->chunks = c;
			a->cur = (uint8_t *)c + CHUNK_HDR + size;
			a->left = 0;
		}
		return (uint8_t *)c + CHUNK_HDR;
	}
	bytes = a->next_chunk;
	while (bytes - CHUNK_HDR < size)
		bytes = bytes * 2 < a->max_chunk ? bytes * 2 : a->max_chunk;
	c = arena_chunk_new(a, bytes);
	if (!c)
		return NULL;
	c->next = a->chunks;
	a->chunks = c;
	a->cur = (uint8_t *)c + CHUNK_HDR + size;
	a->left = bytes - CHUNK_HDR - size;
	a->next_chunk = bytes * 2 < a->max_chunk ? bytes * 2 : a->max_chunk;
	return (uint8_t *)c + CHUNK_HDR;
}

void *arena_alloc_align(struct arena *a, size_t size, size_t align)
{
	size_t pad = (size_t)(-(uintptr_t)a->cur) & (align - 1);
	uint8_t *p;

	if (size == 0)
		size = 1;
	if (size <= a->left && pad <= a->left - size) {
		p = a->cur + pad;
		a->cur = p + size;
		a->left -= pad + size;
		return p;
	}
	/* a chunk's data starts aligned to ARENA_ALIGN: no pad there */
	return arena_alloc_slow(a, size);
}

void *arena_alloc(struct arena *a, size_t size)
{
	return arena_alloc_align(a, size, ARENA_ALIGN);
}

void *arena_memdup(struct arena *a, const void *src, size_t size)
{
	void *p = arena_alloc(a, size);

	if (p && size)
		memcpy(p, src, size);
	return p;
}

size_t arena_size(const struct arena *a)
{
	return a ? a->total : 0;
}

void arena_destroy(struct arena *a)
{
	struct arena_chunk *c, *next;

	if (!a)
		return;
	for (c = a->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}
