/* internal.h -- shared between the files of zones/ only.
 *
 * Nothing outside zones/ (and its unit test) includes this. It holds the
 * layout of struct zone, which zone_builder.c fills and zone.c reads (the
 * index slots and their tag, the label offsets both sides walk names
 * with), the reference count that lets several zdb snapshots share one
 * zone (zdb.c takes and drops the references; zone.c owns the field), and
 * one switch for the zone-file splitter's tests (zsplit.c). What zload.c
 * and zsplit.c share, ldns types included, is in zsplit.h instead.
 */
#ifndef LEVEE_ZONES_INTERNAL_H
#define LEVEE_ZONES_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zones/zone.h"

struct arena;

/* A final index slot: a 16-bit tag of the hash above a 48-bit node
 * pointer (user addresses fit in 48 bits on x86-64 and arm64 Linux; the
 * builder checks each node it makes). */
#define ZONE_PTR_BITS 48
#define ZONE_PTR_MASK ((UINT64_C(1) << ZONE_PTR_BITS) - 1)

/* One built zone. Everything, itself included, lives in `arena` except
 * the index. Written by zone_builder.c only, before the zone is handed
 * out; read-only afterwards (refs aside). */
struct zone {
	struct arena *arena;
	const struct zone_node *apex;
	const struct rrset *soa;
	/* Open addressing, mask + 1 slots, at most half full: a slot holds
	 * zone_tag(hash) << 48 | node pointer, 0 when empty, so a probe that
	 * meets another name almost never touches its node (a miss reads one
	 * cache line of slots), and a hit reads the node, whose name follows it
	 * in memory. malloc'd: the build hash, rewritten in place; freed by
	 * zone_free(). */
	uint64_t *index;
	uint32_t index_mask;
	uint32_t serial;
	int max_labels;                  /* labels of the deepest node */
	size_t node_count;
	size_t record_count;
	int refs;                        /* see zone_ref(); atomic */
};

/* The 16 bits of a name's hash kept in its index slot: a multiply mixes
 * the high bits, which the slot position does not use, into the tag. */
static inline uint64_t zone_tag(uint32_t h)
{
	return (uint64_t)((h * 0x9e3779b1u) >> 16) << ZONE_PTR_BITS;
}

/* Offsets of each label of name; offs[k] = offset of the suffix that has
 * `k` labels removed from the front (offs must hold NAME_MAX_LABELS + 1).
 * Returns the label count. O(labels). */
static inline int zone_label_offsets(const uint8_t *name, uint8_t *offs)
{
	int n = 0;
	size_t o = 0;

	while (name[o]) {
		offs[n++] = (uint8_t)o;
		o += name[o] + 1u;
	}
	offs[n] = (uint8_t)o;
	return n;
}

/* Takes one reference (atomic). A built zone starts with one, owned by
 * whoever called zone_builder_finish(). */
void zone_ref(struct zone *z);

/* Drops one reference and frees the zone when it was the last. Atomic: the
 * call_rcu thread may drop references while main takes others. */
void zone_unref(struct zone *z);

/* Tests only: when true, zsplit.c spoils the state it guesses for each
 * part of a split load (see zsplit_load), so every part after the first is
 * rejected and the file is finished on the calling thread. */
extern bool zsplit_test_bad_guess;

#endif
