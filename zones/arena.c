/* arena.c -- region allocator.
 *
 * Memory comes from a singly linked list of chunks obtained with malloc. The
 * newest chunk is the one being carved: arena_alloc() bumps a cursor in it and
 * starts a new chunk when the request does not fit. A request larger than a
 * quarter of the chunk size gets a chunk of its own, linked behind the current
 * one so the space left in the current chunk is not wasted. Nothing is freed
 * before arena_destroy(), which walks the list once. The arena is owned by one
 * thread at a time; there is no locking.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "zones/arena.h"

#define ARENA_ALIGN 16
#define ARENA_MIN_CHUNK 4096

struct arena_chunk {
	struct arena_chunk *next;
	size_t size;               /* usable bytes after the header */
	/* data follows, aligned to ARENA_ALIGN */
};

#define CHUNK_HDR ((sizeof(struct arena_chunk) + ARENA_ALIGN - 1) & \
		   ~(size_t)(ARENA_ALIGN - 1))

struct arena {
	struct arena_chunk *chunks;/* current chunk first */
	uint8_t *cur;              /* next free byte in the current chunk */
	size_t left;               /* bytes left in the current chunk */
	size_t chunk_size;
	size_t total;              /* bytes held from malloc */
};

/* A chunk is filled soon after it is made: its pages are mapped in with
 * one system call, cheaper than a page fault per page (on a virtual machine
 * especially). Advice only: an old kernel ignores it. */
void arena_prefault(void *p, size_t size)
{
#ifdef MADV_POPULATE_WRITE
	static size_t page;
	uintptr_t b, e;

	if (!page)
		page = (size_t)sysconf(_SC_PAGESIZE);
	b = ((uintptr_t)p + page - 1) & ~(uintptr_t)(page - 1);
	e = ((uintptr_t)p + size) & ~(uintptr_t)(page - 1);
	if (e > b)
		(void)madvise((void *)b, e - b, MADV_POPULATE_WRITE);
#else
	(void)p;
	(void)size;
#endif
}

static struct arena_chunk *arena_chunk_new(struct arena *a, size_t size)
{
	struct arena_chunk *c;

	if (size > SIZE_MAX - CHUNK_HDR)
		return NULL;
	c = malloc(CHUNK_HDR + size);
	if (!c)
		return NULL;
	if (size >= 64 * 1024)
		arena_prefault(c, CHUNK_HDR + size);
	c->size = size;
	a->total += CHUNK_HDR + size;
	return c;
}

struct arena *arena_new(size_t chunk_size)
{
	struct arena *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	if (chunk_size < ARENA_MIN_CHUNK)
		chunk_size = ARENA_MIN_CHUNK;
	a->chunk_size = chunk_size;
	a->total = sizeof(*a);
	return a;
}

void *arena_alloc(struct arena *a, size_t size)
{
	struct arena_chunk *c;
	void *p;

	if (size == 0)
		size = 1;
	if (size > SIZE_MAX - ARENA_ALIGN)
		return NULL;
	size = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (size <= a->left) {
		p = a->cur;
		a->cur += size;
		a->left -= size;
		return p;
	}
	if (size > a->chunk_size / 4) {
		/* Big request: a chunk of its own, kept behind the current. */
		c = arena_chunk_new(a, size);
		if (!c)
			return NULL;
		if (a->chunks) {
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
	c = arena_chunk_new(a, a->chunk_size);
	if (!c)
		return NULL;
	c->next = a->chunks;
	a->chunks = c;
	a->cur = (uint8_t *)c + CHUNK_HDR + size;
	a->left = a->chunk_size - size;
	return (uint8_t *)c + CHUNK_HDR;
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
