/* zdb.h -- the zone database: an immutable snapshot of every served zone.
 *
 * Reactors read the current snapshot without locks; the main thread builds a
 * new snapshot beside the old one and publishes it with one pointer swap
 * (liburcu QSBR, rcu_xchg_pointer). The old snapshot, and the zones only it
 * referenced, are freed with call_rcu once every reactor has passed a
 * quiescent state. Zones are reference counted between snapshots so a reload
 * of one zone keeps the others shared.
 *
 * Reactor threads must be registered with liburcu-qsbr (rcu_register_thread)
 * and report quiescent states (between batches, and offline while blocked).
 */
#ifndef LEVEE_ZONES_ZDB_H
#define LEVEE_ZONES_ZDB_H

#include <stddef.h>
#include <stdint.h>

struct zone;
struct zdb;

/* New empty snapshot. NULL when out of memory. Any one thread builds an
 * unpublished snapshot (main, or the loader thread main starts and joins):
 * zdb_new, zdb_add, zdb_copy_replace and zdb_free touch no global state. */
struct zdb *zdb_new(void);

/* Adds a zone to a snapshot that is not yet published; the snapshot takes a
 * reference (the caller's zone becomes owned by it). Returns 0, LV_EEXIST
 * when a zone with the same apex is there already (nothing changes), or
 * -ENOMEM. The building thread only. */
int zdb_add(struct zdb *db, struct zone *z);

/* New unpublished snapshot holding the same zones as db (shared, references
 * taken) except the one with the apex of `replacement`, which is replaced
 * (or added). Returns NULL when out of memory. The building thread only. */
struct zdb *zdb_copy_replace(const struct zdb *db, struct zone *replacement);

/* New unpublished snapshot: db with z added, or replacing the zone of the
 * same apex; takes the caller's reference on z (kept by the caller on
 * failure). db may be NULL (empty). NULL when out of memory. The
 * building thread only. */
struct zdb *zdb_with(const struct zdb *db, struct zone *z);

/* New unpublished snapshot: db without the zone whose apex is `apex`
 * (lowercase wire), the same zones when there is none. NULL when out of
 * memory. The building thread only. */
struct zdb *zdb_without(const struct zdb *db, const uint8_t *apex);

/* The deepest zone whose apex is lname or an ancestor of it, or NULL (then
 * the server answers REFUSED). lname lowercase wire form. At most one hash
 * probe per label. Any thread. */
const struct zone *zdb_find(const struct zdb *db, const uint8_t *lname);

/* The same with lname's label offsets known (offs[0..labels], offs[labels]
 * the root byte's, as the query parser keeps them): no walk of the name. */
const struct zone *zdb_find_labels(const struct zdb *db, const uint8_t *lname,
				   const uint8_t *offs, int labels);

/* The deepest zone strictly above the apex of z (for DS at a cut, RFC 4035
 * 3.1.4.1), or NULL. Any thread. */
const struct zone *zdb_find_parent(const struct zdb *db, const struct zone *z);

/* Number of zones, and the i-th (order unspecified) for listing. */
size_t zdb_count(const struct zdb *db);
const struct zone *zdb_zone_at(const struct zdb *db, size_t i);

/* The published snapshot, or NULL before the first publish. Reactors call it
 * once per batch (inside their read-side section); main may call it too. */
const struct zdb *zdb_current(void);

/* Publishes db as the current snapshot; the previous one is released after a
 * grace period (call_rcu). Main only. */
void zdb_publish(struct zdb *db);

/* Releases an unpublished snapshot (and zones only it held). The building
 * thread only. */
void zdb_free(struct zdb *db);

/* At shutdown, after reactors stopped: unpublishes and frees the current
 * snapshot and waits for pending call_rcu callbacks. Main only. */
void zdb_shutdown(void);

#endif
