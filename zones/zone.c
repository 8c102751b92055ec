/* zone.c -- one zone in memory: the read-only lookups.
 *
 * A zone is made by zone_builder.c (zone_builder.h) and never changes
 * afterwards; this file reads it: the accessors, zone_find(),
 * zone_closest_encloser() and the node helpers znode_*(), plus the
 * reference count and zone_free(). The layout both sides share is in
 * internal.h.
 *
 * Every function here is safe from any thread and allocates nothing.
 * zone_find() is one hash probe sequence; zone_closest_encloser()
 * binary-searches the suffix label counts, which works because every
 * ancestor down to the apex is a node. A probe that misses reads one
 * cache line of 8-byte slots (the tag rules out other names but once in
 * 65,536); a hit reads the node and its name, which follow each other in
 * memory. Ownership: the zone owns its arena (nodes, names, RRsets) and
 * its index; zone_free() releases both, once no reader can hold the zone
 * (zdb.c counts references and frees after the RCU grace period).
 */
#include <stdlib.h>
#include <string.h>

#include "zones/arena.h"
#include "zones/internal.h"
#include "common/name.h"
#include "zones/zone.h"

void zone_ref(struct zone *z)
{
	__atomic_fetch_add(&z->refs, 1, __ATOMIC_RELAXED);
}

void zone_unref(struct zone *z)
{
	if (z && __atomic_sub_fetch(&z->refs, 1, __ATOMIC_ACQ_REL) == 0)
		zone_free(z);
}

void zone_free(struct zone *z)
{
	if (z) {
		free(z->index);
		arena_destroy(z->arena);
	}
}

const uint8_t *zone_apex(const struct zone *z)
{
	return z->apex->name;
}

const struct zone_node *zone_apex_node(const struct zone *z)
{
	return z->apex;
}

const struct rrset *zone_soa(const struct zone *z)
{
	return z->soa;
}

uint32_t zone_serial(const struct zone *z)
{
	return z->serial;
}

size_t zone_node_count(const struct zone *z)
{
	return z->node_count;
}

size_t zone_record_count(const struct zone *z)
{
	return z->record_count;
}

const struct zone_node *zone_find(const struct zone *z, const uint8_t *lname,
				  size_t len)
{
	uint32_t h = name_hash(lname, len);
	uint64_t tag = zone_tag(h);
	uint32_t i = h & z->index_mask;
	uint64_t s;

	/* Slots are 8 bytes: a miss usually reads one cache line of them and
	 * no node; a tag match costs a false positive once in 65,536. */
	while ((s = z->index[i]) != 0) {
		if ((s & ~ZONE_PTR_MASK) == tag) {
			const struct zone_node *n = (const struct zone_node *)
				(uintptr_t)(s & ZONE_PTR_MASK);

			if (n->name_len == len && n->name[0] == lname[0] &&
			    memcmp(n->name, lname, len) == 0)
				return n;
		}
		i = (i + 1) & z->index_mask;
	}
	return NULL;
}

const struct zone_node *zone_closest_encloser_labels(const struct zone *z,
						     const uint8_t *lname,
						     const uint8_t *offs,
						     int labels)
{
	size_t total = (size_t)offs[labels] + 1;
	int lo = z->apex->label_count;
	int hi = labels < z->max_labels ? labels : z->max_labels;
	const struct zone_node *best = z->apex;

	/* Guard: a name that is not at or below the apex has no encloser. */
	if (labels < lo || total - offs[labels - lo] != z->apex->name_len ||
	    memcmp(lname + offs[labels - lo], z->apex->name,
		   z->apex->name_len) != 0)
		return NULL;
	/* Largest k in [lo, hi] whose k-label suffix is a node; the suffixes
	 * that are nodes form a prefix of that range. Galloping up from the
	 * apex first (lo + 1, + 2, + 4, ...), then halving the last step: the
	 * suffixes hashed stay about as long as the encloser's own name, not
	 * the query's (a 255-octet name under a shallow DNAME or wildcard
	 * costs a few short hashes). O(log depth) probes. */
	for (int step = 1; lo < hi; step *= 2) {
		int mid = lo + step < hi ? lo + step : hi;
		size_t off = offs[labels - mid];
		const struct zone_node *n = zone_find(z, lname + off,
						      total - off);

		if (!n) {
			hi = mid - 1;
			break;
		}
		lo = mid;
		best = n;
	}
	while (lo < hi) {
		int mid = (lo + hi + 1) / 2;
		size_t off = offs[labels - mid];
		const struct zone_node *n = zone_find(z, lname + off,
						      total - off);

		if (n) {
			lo = mid;
			best = n;
		} else {
			hi = mid - 1;
		}
	}
	return best;
}

const struct rrset *znode_rrset(const struct zone_node *n, uint16_t type)
{
	for (uint16_t i = 0; i < n->rrset_count; i++) {
		if (n->rrsets[i].type == type)
			return &n->rrsets[i];
		if (n->rrsets[i].type > type)
			break;
	}
	return NULL;
}

const struct zone_node *znode_cut(const struct zone_node *n)
{
	if (!(n->flags & (ZNODE_DELEGATION | ZNODE_NONAUTH)))
		return NULL;
	for (; n; n = n->parent)
		if ((n->flags & ZNODE_DELEGATION) &&
		    !(n->flags & ZNODE_NONAUTH))
			return n;
	return NULL;
}

const struct zone_node *zone_closest_encloser(const struct zone *z,
					      const uint8_t *lname)
{
	uint8_t offs[NAME_MAX_LABELS + 1];
	int labels = zone_label_offsets(lname, offs);

	return zone_closest_encloser_labels(z, lname, offs, labels);
}

/* One walk of n's name (contiguous bytes), not of its ancestors (a cache
 * miss each). More labels may still be a shorter name: the lengths are
 * compared before the suffix is taken. */
bool zone_node_within(const struct zone_node *n, const struct zone_node *anc)
{
	size_t off, o = 0;

	if (n->label_count < anc->label_count || n->name_len < anc->name_len)
		return false;
	off = (size_t)n->name_len - anc->name_len;
	if (memcmp(n->name + off, anc->name, anc->name_len) != 0)
		return false;
	while (o < off)
		o += 1u + n->name[o];
	return o == off;
}
