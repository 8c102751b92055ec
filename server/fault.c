/* fault.c -- the armed fault sites of a test build (fault.h). Compiled only
 * into levee_daemon_faults, never into the levee binary. */
#include "server/fault.h"

#include <stdatomic.h>

static _Atomic unsigned fault_hits[FAULT_SITES];

void fault_arm(enum fault_site site, unsigned n)
{
	atomic_store_explicit(&fault_hits[site], n, memory_order_relaxed);
}

unsigned fault_left(enum fault_site site)
{
	return atomic_load_explicit(&fault_hits[site], memory_order_relaxed);
}

bool fault_hit(enum fault_site site)
{
	unsigned n = atomic_load_explicit(&fault_hits[site],
					  memory_order_relaxed);

	while (n > 0)
		if (atomic_compare_exchange_weak_explicit(
			    &fault_hits[site], &n, n - 1,
			    memory_order_relaxed, memory_order_relaxed))
			return true;
	return false;
}
