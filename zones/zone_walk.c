/* zone_walk.c -- walking one zone version's nodes in steps; holding a
 * version across RCU quiescent states.
 *
 * The walk reads the version's index pages (internal.h: slot i is
 * pages[i >> page_shift].slot[i & page_mask], a tagged node pointer or 0)
 * in slot order. Every node of a version is in its index exactly once and
 * the pages of a version never change once it is handed out, so a walk
 * that stops between two calls resumes where it was. A hold is one
 * reference (zone_ref) and an rcu_head; dropping it unreferences on the
 * call_rcu thread (see zone_walk.h for why).
 */
#include "zones/zone_walk.h"

#include <stdlib.h>

#include <urcu-qsbr.h>

#include "zones/internal.h"

void zone_walk_init(struct zone_walk *w, const struct zone *z)
{
	w->z = z;
	w->gen = z->gen;
	w->slot = 0;
	w->slots = z->pages ? z->index_mask + 1 : 0;
}

bool zone_walk_done(const struct zone_walk *w)
{
	return w->slot >= w->slots;
}

/* The node in slot i of z's index, or NULL. */
static inline const struct zone_node *zone_walk_slot(const struct zone *z,
						     uint32_t i)
{
	uint64_t s = z->pages[i >> z->page_shift].slot[i & z->page_mask];

	return (const struct zone_node *)(uintptr_t)(s & ZONE_PTR_MASK);
}

/* Index order is hash order: every node is a cache miss, and its sets and
 * their wire bytes two more. The walk asks for each ahead of its visit,
 * in three steps ZONE_WALK_AHEAD slots apart: the node, then (the node in
 * cache by then) its set array, then the first set's wire bytes. */
#define ZONE_WALK_AHEAD 12

static inline void zone_walk_prefetch(const struct zone_walk *w, uint32_t i)
{
	const struct zone_node *n;
	uint32_t k;

	if ((k = i + 3 * ZONE_WALK_AHEAD) < w->slots &&
	    (n = zone_walk_slot(w->z, k)) != NULL) {
		/* a node and its name take about 60 bytes at 8-byte
		 * alignment: mostly across two cache lines */
		__builtin_prefetch(n);
		__builtin_prefetch((const char *)n + 63);
	}
	if ((k = i + 2 * ZONE_WALK_AHEAD) < w->slots &&
	    (n = zone_walk_slot(w->z, k)) != NULL &&
	    !__atomic_load_n(&n->newer, __ATOMIC_RELAXED))
		__builtin_prefetch(n->base.rrsets);
	if ((k = i + ZONE_WALK_AHEAD) < w->slots &&
	    (n = zone_walk_slot(w->z, k)) != NULL &&
	    !__atomic_load_n(&n->newer, __ATOMIC_RELAXED) &&
	    n->base.rrset_count)
		__builtin_prefetch(n->base.rrsets[0].wire);
}

const struct zone_node *zone_walk_next(struct zone_walk *w,
				       const struct znode_data **d,
				       uint32_t budget)
{
	const struct zone *z = w->z;

	*d = NULL;
	while (budget-- && w->slot < w->slots) {
		uint32_t i = w->slot++;
		uint64_t s = z->pages[i >> z->page_shift].slot[i & z->page_mask];
		const struct zone_node *n;
		const struct znode_data *nd;

		if (!s)
			continue;
		n = (const struct zone_node *)(uintptr_t)(s & ZONE_PTR_MASK);
		zone_walk_prefetch(w, i);
		nd = znode_at(n, w->gen);
		if (!nd->rrset_count)
			continue;
		*d = nd;
		return n;
	}
	return NULL;
}

struct zone_hold {
	struct rcu_head rcu;
	struct zone *z;
};

struct zone_hold *zone_hold_new(const struct zone *z)
{
	struct zone_hold *h = malloc(sizeof(*h));

	if (!h)
		return NULL;
	h->z = (struct zone *)z;
	zone_ref(h->z);
	return h;
}

const struct zone *zone_hold_zone(const struct zone_hold *h)
{
	return h->z;
}

/* The call_rcu callback. The empty asm keeps both calls from being tail
 * calls, so that this function is on the stack of every free below it
 * (tests/tsan.supp names it: ThreadSanitizer does not see the grace
 * period). */
static void zone_hold_free(struct rcu_head *head)
{
	struct zone_hold *h = caa_container_of(head, struct zone_hold, rcu);

	zone_unref(h->z);
	free(h);
	__asm__ volatile("" ::: "memory");
}

void zone_hold_drop(struct zone_hold *h)
{
	if (h)
		call_rcu(&h->rcu, zone_hold_free);
}
