/* zdb.h -- the zone database: a persistent snapshot of every served zone.
 *
 * A snapshot is a set of zones keyed by apex name. Snapshots share their
 * structure: zdb_with() and zdb_without() make a new snapshot from an old
 * one by copying only the O(log n) nodes on the path to the changed zone
 * (at most 7 nodes of at most 64 slots), whatever the number of zones, and
 * leave the old one as it was, readable by whoever holds it. Zones and
 * nodes are reference counted (atomically) between snapshots.
 *
 * Reactors read the current snapshot without locks; the main thread builds
 * a new snapshot beside the old one and publishes it with one pointer swap.
 * The old snapshot, and the nodes and zones only it held, are released with
 * call_rcu (liburcu QSBR) once every reactor has passed a quiescent state,
 * on liburcu's call_rcu thread, while main may be building the next.
 *
 * Reactor threads must be registered with liburcu-qsbr (rcu_register_thread)
 * and report quiescent states (between batches, and offline while blocked).
 *
 * Bound on the work of a lookup: one keyed hash of each suffix tried, at
 * most one suffix per label (from the deepest apex down, skipping depths
 * where no apex lies), each a walk of at most 6 trie nodes and one list of
 * at most ZDB_COLLIDE_MAX zones whose 32-bit hashes are equal (zones the
 * operator configured; a longer list is refused with LV_ECOLLIDE).
 */
#ifndef LEVEE_ZONES_ZDB_H
#define LEVEE_ZONES_ZDB_H

#include <stddef.h>
#include <stdint.h>

struct zone;
struct zdb;

/* Zones whose apex names share all 32 bits of their hash that one snapshot
 * holds at most (with name_hash's per-process key, a ninth among 10^6
 * zones comes by chance with a probability below 10^-28). */
#define ZDB_COLLIDE_MAX 8

/* New empty snapshot. NULL when out of memory. Any one thread builds an
 * unpublished snapshot (main, or the loader thread main starts and joins):
 * zdb_new, zdb_add, zdb_with, zdb_without and zdb_free touch no global
 * state, and may run while the call_rcu thread frees older snapshots that
 * share nodes with the one being built. */
struct zdb *zdb_new(void);

/* Adds a zone to a snapshot that is not yet published, in place (the nodes
 * only this snapshot holds are changed, shared ones copied); the snapshot
 * takes the caller's reference on z. Returns 0, LV_EEXIST when a zone with
 * the same apex is there already, LV_ECOLLIDE (see ZDB_COLLIDE_MAX) or
 * -ENOMEM; on error nothing changes and the caller keeps z. O(log n). The
 * building thread only; a published snapshot stops the process. */
int zdb_add(struct zdb *db, struct zone *z);

/* A new unpublished snapshot: db's zones, with z added or in place of the
 * zone with z's apex. Takes the caller's reference on z on success; db is
 * left as it was (its zones stay referenced by it). NULL when out of
 * memory, or when z would be the ninth zone of one 32-bit hash
 * (ZDB_COLLIDE_MAX; zdb_add says LV_ECOLLIDE): then the caller keeps z.
 * db may be published or NULL (an empty set). Allocates at most 7 nodes
 * (the path to z's slot, copied from db's where db holds it) and takes one
 * reference on each zone and node the copies hold (at most 64 each): O(log
 * n), whatever n. The building thread only. */
struct zdb *zdb_with(const struct zdb *db, struct zone *z);

/* A new unpublished snapshot: db's zones but the one whose apex is lapex
 * (lowercase wire form); the same zones (sharing every node: O(1)) when
 * there is none. NULL when out of memory. Cost as zdb_with, but for at
 * most 7 more nodes (the ones left with one zone are pulled up into their
 * parents, so the trie's shape depends only on the set of zones). The
 * building thread only. */
struct zdb *zdb_without(const struct zdb *db, const uint8_t *lapex);

/* The zone whose apex is exactly lapex (lowercase wire form), or NULL.
 * Any thread that holds db. */
const struct zone *zdb_get(const struct zdb *db, const uint8_t *lapex);

/* The deepest zone whose apex is lname or an ancestor of it, or NULL (then
 * the server answers REFUSED). lname lowercase wire form. At most one
 * lookup per label (see the bound above). Any thread. */
const struct zone *zdb_find(const struct zdb *db, const uint8_t *lname);

/* The same with lname's label offsets known (offs[0..labels], offs[labels]
 * the root byte's, as the query parser keeps them): no walk of the name. */
const struct zone *zdb_find_labels(const struct zdb *db, const uint8_t *lname,
				   const uint8_t *offs, int labels);

/* The deepest zone strictly above the apex of z (for DS at a cut, RFC 4035
 * 3.1.4.1), or NULL. Any thread. */
const struct zone *zdb_find_parent(const struct zdb *db, const struct zone *z);

/* Number of zones. O(1). */
size_t zdb_count(const struct zdb *db);

/* Calls fn(zone, arg) for every zone of db, in an order fixed by the keyed
 * hashes of the apex names, until fn returns non-zero; returns that value,
 * or 0 when every zone was visited. fn must not change db. O(n). */
typedef int (*zdb_visit_fn)(const struct zone *z, void *arg);
int zdb_foreach(const struct zdb *db, zdb_visit_fn fn, void *arg);

/* Trie nodes the calling thread has allocated since it started: the cost
 * of a change, for tests and bench/zdb_find. */
size_t zdb_nodes_made(void);

/* The published snapshot, or NULL before the first publish. Reactors call it
 * once per batch (inside their read-side section); main may call it too. */
const struct zdb *zdb_current(void);

/* Publishes db as the current snapshot; from then on db is read-only. The
 * previous one is released after a grace period (call_rcu). Main only. */
void zdb_publish(struct zdb *db);

/* Releases an unpublished snapshot: its nodes and zones that no other
 * snapshot holds are freed. NULL accepted. The building thread only. */
void zdb_free(struct zdb *db);

/* At shutdown, after reactors stopped: unpublishes and frees the current
 * snapshot and waits for pending call_rcu callbacks. Main only. */
void zdb_shutdown(void);

#endif
