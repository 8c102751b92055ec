/* zone_walk.h -- every node of one zone version, a few at a time, and a
 * hold that keeps that version alive while it is walked.
 *
 * For zone transfers out (server/xfrout.h): a transfer reads one version
 * from start to end over many loop iterations, with its reactor RCU
 * offline in between, so it cannot rely on a snapshot's grace period. It
 * takes a hold (zone_hold_new) while the version is still reachable from
 * the snapshot it was found in (the caller RCU online), walks it with a
 * struct zone_walk, and drops the hold at the end (zone_hold_drop). The
 * hold is a reference (zones/internal.h zone_ref); dropping it defers the
 * unreference to the call_rcu thread, so a version whose last reference
 * the transfer held is freed there, never on a reactor (freeing a large
 * zone takes milliseconds and a mutex of its family).
 *
 * The walk visits the version's name index slot by slot: every node of
 * the version exactly once, in index (hash) order, the empty
 * non-terminals skipped. Its state is one slot number: no allocation, and
 * a walk may stop and resume at any node.
 *
 * Known limit (zone.c zone_free): when a family's newest version is freed
 * while an older one is still live (a change made and never published, or
 * the family dropped by a reload with a transfer of an older version
 * under way), zone_free() unlinks and frees the newest version's node
 * slots at once, which a walk of the older version may be stepping over.
 * Nothing in the daemon does either today (no reload yet); reload must
 * keep the newest version until the held ones go (issue 13).
 */
#ifndef LEVEE_ZONES_ZONE_WALK_H
#define LEVEE_ZONES_ZONE_WALK_H

#include <stdbool.h>
#include <stdint.h>

#include "zones/zone.h"

struct zone_walk {
	const struct zone *z;
	uint32_t gen;      /* zone_gen(z) */
	uint32_t slot;     /* next index slot to look at */
	uint32_t slots;    /* slots in z's index */
};

/* Starts a walk of version z (held, or in a snapshot the caller reads
 * inside its RCU read-side section). O(1). Any thread. */
void zone_walk_init(struct zone_walk *w, const struct zone *z);

/* The next node of the walk that holds RRsets, its data in the walk's
 * version into *d; NULL when every node was visited. Reads at most
 * `budget` index slots (empty ones and empty non-terminals included) and
 * returns NULL with *d NULL when that many held nothing yet: call again.
 * A whole walk reads each slot once: at most ZONE_INDEX_SPREAD slots a
 * node. Any thread; no allocation, no lock. */
const struct zone_node *zone_walk_next(struct zone_walk *w,
				       const struct znode_data **d,
				       uint32_t budget);

/* True when the walk has visited every node. */
bool zone_walk_done(const struct zone_walk *w);

/* A reference on version z that outlives RCU read-side sections. */
struct zone_hold;

/* Takes a hold on z, which the caller reaches through the current
 * snapshot inside its read-side section (so z cannot be freed before the
 * reference is taken). NULL when out of memory (one small malloc). Any
 * registered RCU thread. */
struct zone_hold *zone_hold_new(const struct zone *z);

/* The held version. */
const struct zone *zone_hold_zone(const struct zone_hold *h);

/* Drops the hold: the reference goes after a grace period, on the
 * call_rcu thread (which frees the version when it was the last). The
 * caller must not read the version afterwards. O(1), no lock. NULL
 * accepted. Any registered RCU thread. */
void zone_hold_drop(struct zone_hold *h);

#endif
