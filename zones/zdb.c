/* zdb.c -- the zone database: immutable snapshots published with RCU.
 *
 * A snapshot is an array of zone pointers plus a small open-addressing hash
 * of their apex names, built by the main thread and never changed once
 * published. zdb_find() probes the hash with the suffixes of the query name,
 * longest first (starting at the label count of the deepest apex), so the
 * first hit is the deepest enclosing zone: at most one probe sequence per
 * label.
 *
 * The current snapshot is one global pointer swapped with rcu_xchg_pointer().
 * The old snapshot is released by a call_rcu() callback once every
 * registered reader has passed a quiescent state; it drops one reference on
 * each of its zones, and a zone is freed when its last snapshot goes. The
 * references are atomic because those callbacks run on liburcu's call_rcu
 * thread while main builds the next snapshot. Readers only ever see zones
 * through a snapshot they obtained inside their read-side section.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <urcu-qsbr.h>

#include "common/errcode.h"
#include "zones/internal.h"
#include "common/name.h"
#include "zones/zdb.h"
#include "zones/zone.h"

struct zdb {
	struct zone **zones;
	size_t count, cap;
	const struct zone **index;   /* apex hash, mask + 1 slots */
	uint32_t mask;
	int max_labels;              /* labels of the deepest apex */
	struct rcu_head rcu;
};

static struct zdb *zdb_cur;

struct zdb *zdb_new(void)
{
	return calloc(1, sizeof(struct zdb));
}

static const struct zone *zdb_lookup(const struct zdb *db,
				     const uint8_t *lname, size_t len)
{
	uint32_t i;
	const struct zone *z;

	if (!db->index)
		return NULL;
	i = name_hash(lname, len) & db->mask;
	while ((z = db->index[i]) != NULL) {
		const struct zone_node *apex = zone_apex_node(z);

		if (apex->name_len == len && memcmp(apex->name, lname, len) == 0)
			return z;
		i = (i + 1) & db->mask;
	}
	return NULL;
}

static void zdb_index_put(const struct zone **index, uint32_t mask,
			  const struct zone *z)
{
	const struct zone_node *apex = zone_apex_node(z);
	uint32_t i = name_hash(apex->name, apex->name_len) & mask;

	while (index[i])
		i = (i + 1) & mask;
	index[i] = z;
}

/* Makes room for one more zone: array and index at most half full. */
static int zdb_reserve(struct zdb *db)
{
	size_t slots = (size_t)db->mask + 1;

	if (db->count == db->cap) {
		size_t ncap = db->cap ? db->cap * 2 : 8;
		struct zone **nz = realloc(db->zones, ncap * sizeof(*nz));

		if (!nz)
			return -ENOMEM;
		db->zones = nz;
		db->cap = ncap;
	}
	if (!db->index || (db->count + 1) * 2 > slots) {
		size_t nslots = db->index ? slots * 2 : 16;
		const struct zone **ni = calloc(nslots, sizeof(*ni));

		if (!ni)
			return -ENOMEM;
		for (size_t k = 0; k < db->count; k++)
			zdb_index_put(ni, (uint32_t)(nslots - 1), db->zones[k]);
		free(db->index);
		db->index = ni;
		db->mask = (uint32_t)(nslots - 1);
	}
	return 0;
}

int zdb_add(struct zdb *db, struct zone *z)
{
	const struct zone_node *apex = zone_apex_node(z);
	int rc;

	if (zdb_lookup(db, apex->name, apex->name_len))
		return LV_EEXIST;
	rc = zdb_reserve(db);
	if (rc)
		return rc;
	db->zones[db->count++] = z;
	zdb_index_put(db->index, db->mask, z);
	if (apex->label_count > db->max_labels)
		db->max_labels = apex->label_count;
	return 0;
}

struct zdb *zdb_copy_replace(const struct zdb *db, struct zone *replacement)
{
	const struct zone_node *rapex = zone_apex_node(replacement);
	struct zdb *nd = zdb_new();

	if (!nd)
		return NULL;
	for (size_t i = 0; db && i < db->count; i++) {
		struct zone *z = db->zones[i];
		const struct zone_node *apex = zone_apex_node(z);

		if (apex->name_len == rapex->name_len &&
		    memcmp(apex->name, rapex->name, apex->name_len) == 0)
			continue;
		zone_ref(z);
		if (zdb_add(nd, z) != 0) {
			zone_unref(z);
			zdb_free(nd);
			return NULL;
		}
	}
	if (zdb_add(nd, replacement) != 0) {
		zdb_free(nd);
		return NULL;
	}
	return nd;
}

struct zdb *zdb_with(const struct zdb *db, struct zone *z)
{
	return zdb_copy_replace(db, z);
}

struct zdb *zdb_without(const struct zdb *db, const uint8_t *apex)
{
	size_t len = name_length(apex);
	struct zdb *nd = zdb_new();

	if (!nd)
		return NULL;
	for (size_t i = 0; db && i < db->count; i++) {
		struct zone *z = db->zones[i];
		const struct zone_node *a = zone_apex_node(z);

		if (a->name_len == len && memcmp(a->name, apex, len) == 0)
			continue;
		zone_ref(z);
		if (zdb_add(nd, z) != 0) {
			zone_unref(z);
			zdb_free(nd);
			return NULL;
		}
	}
	return nd;
}

const struct zone *zdb_find_labels(const struct zdb *db, const uint8_t *lname,
				   const uint8_t *offs, int labels)
{
	size_t total = (size_t)offs[labels] + 1;

	if (!db || db->count == 0)
		return NULL;
	/* k = labels kept; the deepest apex bounds where to start. */
	for (int k = labels < db->max_labels ? labels : db->max_labels;
	     k >= 0; k--) {
		size_t off = offs[labels - k];
		const struct zone *z = zdb_lookup(db, lname + off, total - off);

		if (z)
			return z;
	}
	return NULL;
}

const struct zone *zdb_find(const struct zdb *db, const uint8_t *lname)
{
	uint8_t offs[NAME_MAX_LABELS + 1];
	int labels = 0;
	size_t o = 0;

	if (!db || db->count == 0)
		return NULL;
	while (lname[o]) {
		offs[labels++] = (uint8_t)o;
		o += lname[o] + 1u;
	}
	offs[labels] = (uint8_t)o;
	return zdb_find_labels(db, lname, offs, labels);
}

const struct zone *zdb_find_parent(const struct zdb *db, const struct zone *z)
{
	const struct zone_node *apex = zone_apex_node(z);

	if (!db || apex->label_count == 0)
		return NULL;
	/* The parent's apex is a proper suffix: skip the first label. */
	return zdb_find(db, apex->name + apex->name[0] + 1);
}

size_t zdb_count(const struct zdb *db)
{
	return db ? db->count : 0;
}

const struct zone *zdb_zone_at(const struct zdb *db, size_t i)
{
	return (db && i < db->count) ? db->zones[i] : NULL;
}

/* The pointer is published and read with the compiler's atomics rather
 * than liburcu's rcu_xchg_pointer/rcu_dereference (inline assembly): the
 * same instructions on x86-64 (an xchg, a plain load), and ThreadSanitizer
 * sees the release and acquire that order a snapshot a reload built on
 * its worker before the reactors read it. */
const struct zdb *zdb_current(void)
{
	return __atomic_load_n(&zdb_cur, __ATOMIC_ACQUIRE);
}

static void zdb_rcu_free(struct rcu_head *head)
{
	zdb_free(caa_container_of(head, struct zdb, rcu));
}

void zdb_publish(struct zdb *db)
{
	struct zdb *old = __atomic_exchange_n(&zdb_cur, db, __ATOMIC_ACQ_REL);

	if (old)
		call_rcu(&old->rcu, zdb_rcu_free);
}

void zdb_free(struct zdb *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->count; i++)
		zone_unref(db->zones[i]);
	free(db->zones);
	free(db->index);
	free(db);
}

void zdb_shutdown(void)
{
	struct zdb *old = rcu_xchg_pointer(&zdb_cur, NULL);

	if (old)
		call_rcu(&old->rcu, zdb_rcu_free);
	rcu_barrier();
}
