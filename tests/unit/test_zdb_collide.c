/* test_zdb_collide.c -- the zone database's trie when hashes collide.
 *
 * With name_hash's per-process key, zones that share all 32 bits of their
 * hash do not happen by chance, so this suite builds zones/zdb.c itself
 * with the key narrowed by a mask (ZDB_HASH): all apices on one hash, or
 * on a few that agree in the bits of the first and the last levels. It
 * checks the collision list's bound (a ninth zone of one hash is refused
 * with LV_ECOLLIDE and nothing changes), lookups and the deepest enclosing
 * zone through collision lists, and a random walk against a model that
 * also checks the trie's shape after every change: maps and counts agree,
 * every entry lies on its hash's path, every child holds two zones or
 * more (removals pull single zones up), every node is referenced.
 */
#include <CUnit/Basic.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/name.h"

static uint32_t collide_mask;
#define ZDB_HASH(lname, len) (name_hash(lname, len) & collide_mask)
#include "zones/zdb.c"

#include "test_zdb_fake.h"
#include "unit.h"

static uint8_t w[NAME_MAX_LEN];

static const uint8_t *W(const char *text)
{
	fake_wire(text, w);
	return w;
}

/* Zones below n (at shift), checking the shape; -1 when broken. */
static long shape(const struct zdb_node *n, unsigned shift, uint32_t path,
		  bool root)
{
	long total = 0;

	if (__atomic_load_n(&n->refs, __ATOMIC_ACQUIRE) < 1)
		return -1;
	if (shift >= ZDB_HASH_BITS) {
		if (n->nnode || n->datamap || n->nodemap ||
		    n->ndata < 2 || n->ndata > ZDB_COLLIDE_MAX)
			return -1;
		for (unsigned i = 0; i < n->ndata; i++)
			if (n->data[i].hash != path ||
			    n->data[i].hash != n->data[0].hash)
				return -1;
		return n->ndata;
	}
	if (zdb_popcount(n->datamap) != n->ndata ||
	    zdb_popcount(n->nodemap) != n->nnode ||
	    (n->datamap & n->nodemap))
		return -1;
	for (unsigned f = 0; f <= ZDB_MASK; f++) {
		zdb_map_t b = (zdb_map_t)1 << f;
		uint32_t p = path | (uint32_t)f << shift;
		uint32_t low = shift + ZDB_BITS >= 32 ? 0xffffffffu :
			       (1u << (shift + ZDB_BITS)) - 1;

		if (n->datamap & b) {
			const struct zdb_entry *e =
				&n->data[node_index(n->datamap, b)];

			if ((e->hash & low) != p ||
			    e->hash != ZDB_HASH(e->apex->name,
						e->apex->name_len))
				return -1;
			total++;
		}
		if (n->nodemap & b) {
			long k = shape(node_kids(n)[node_index(n->nodemap, b)],
				       shift + ZDB_BITS, p, false);

			if (k < 2)
				return -1;
			total += k;
		}
	}
	return total > 0 || root ? total : -1;
}

static long db_shape(const struct zdb *db)
{
	return db->root ? shape(db->root, 0, 0, true) : 0;
}

/* --- one hash for every apex --- */

static void test_collide_bound(void)
{
	struct zone *z[ZDB_COLLIDE_MAX + 1], *extra;
	struct zdb *db = zdb_new(), *nd, *prev;
	char t[64];

	collide_mask = 0;
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	/* nested apices, all one hash: the list serves every depth */
	CU_ASSERT_EQUAL(zdb_add(db, z[0] = fake_zone("example")), 0);
	CU_ASSERT_EQUAL(zdb_add(db, z[1] = fake_zone("b.example")), 0);
	CU_ASSERT_EQUAL(zdb_add(db, z[2] = fake_zone("a.b.example")), 0);
	for (int i = 3; i < ZDB_COLLIDE_MAX; i++) {
		snprintf(t, sizeof(t), "c%d.example", i);
		CU_ASSERT_EQUAL(zdb_add(db, z[i] = fake_zone(t)), 0);
	}
	CU_ASSERT_EQUAL(db_shape(db), ZDB_COLLIDE_MAX);
	CU_ASSERT_EQUAL(zdb_add(db, z[0]), LV_EEXIST);
	z[ZDB_COLLIDE_MAX] = fake_zone("ninth.example");
	CU_ASSERT_EQUAL(zdb_add(db, z[ZDB_COLLIDE_MAX]), LV_ECOLLIDE);
	nd = (struct zdb *)1;
	CU_ASSERT_EQUAL(with(db, z[ZDB_COLLIDE_MAX], &nd), -1);
	CU_ASSERT_PTR_NULL(nd);
	CU_ASSERT_EQUAL(fake_refs(z[ZDB_COLLIDE_MAX]), 1);
	CU_ASSERT_EQUAL(zdb_count(db), ZDB_COLLIDE_MAX);
	CU_ASSERT_EQUAL(db_shape(db), ZDB_COLLIDE_MAX);
	CU_ASSERT_PTR_EQUAL(zdb_find(db, W("x.a.b.example")), z[2]);
	CU_ASSERT_PTR_EQUAL(zdb_find(db, W("x.b.example")), z[1]);
	CU_ASSERT_PTR_EQUAL(zdb_find(db, W("ninth.example")), z[0]);
	CU_ASSERT_PTR_EQUAL(zdb_find_parent(db, z[2]), z[1]);
	/* A replacement within the list is no addition. */
	extra = fake_zone("b.example");
	CU_ASSERT_EQUAL(with(db, extra, &nd), 0);
	CU_ASSERT_EQUAL(zdb_count(nd), ZDB_COLLIDE_MAX);
	CU_ASSERT_PTR_EQUAL(zdb_find(nd, W("x.b.example")), extra);
	CU_ASSERT_PTR_EQUAL(zdb_find(db, W("x.b.example")), z[1]);
	CU_ASSERT_EQUAL(db_shape(nd), ZDB_COLLIDE_MAX);
	zdb_free(db);
	/* Down to none, each snapshot checked and the one before it kept:
	 * the last zone of the list comes up to the root. */
	for (int i = 0; i < ZDB_COLLIDE_MAX; i++) {
		prev = nd;
		CU_ASSERT_EQUAL_FATAL(without(prev,
						  zone_apex(i == 1 ? extra : z[i]),
						  &nd), 0);
		CU_ASSERT_EQUAL(zdb_count(nd), (size_t)(ZDB_COLLIDE_MAX - 1 - i));
		CU_ASSERT_EQUAL(db_shape(nd), ZDB_COLLIDE_MAX - 1 - i);
		CU_ASSERT_EQUAL(db_shape(prev), ZDB_COLLIDE_MAX - i);
		if (i == ZDB_COLLIDE_MAX - 2)
			CU_ASSERT_TRUE(nd->root && nd->root->ndata == 1 &&
				       nd->root->nnode == 0);
		zdb_free(prev);
	}
	CU_ASSERT_PTR_NULL(nd->root);
	CU_ASSERT_PTR_NULL(zdb_find(nd, W("x.a.b.example")));
	/* the ninth fits now */
	CU_ASSERT_EQUAL(zdb_add(nd, z[ZDB_COLLIDE_MAX]), 0);
	CU_ASSERT_PTR_EQUAL(zdb_find(nd, W("ninth.example")), z[ZDB_COLLIDE_MAX]);
	zdb_free(nd);
}

/* --- a random walk on few hashes --- */

#define WALK_NAMES 48
#define WALK_STEPS 4000

static uint64_t walk_rng = 777;

static size_t walk_rand(size_t n)
{
	walk_rng ^= walk_rng << 13;
	walk_rng ^= walk_rng >> 7;
	walk_rng ^= walk_rng << 17;
	return (size_t)(walk_rng % n);
}

/* A snapshot matches a model: contents and shape. */
static void walk_check(const struct zdb *db, char (*text)[32],
		       struct zone *const *model, size_t count)
{
	CU_ASSERT_EQUAL(zdb_count(db), count);
	CU_ASSERT_EQUAL(db_shape(db), (long)count);
	for (int j = 0; j < WALK_NAMES; j++)
		if (zdb_get(db, W(text[j])) != model[j])
			CU_FAIL("zdb_get differs from the model");
}

/* Returns the changes refused with LV_ECOLLIDE. */
static int walk(uint32_t mask)
{
	static char text[WALK_NAMES][32];
	static struct zone *model[WALK_NAMES], *prev[WALK_NAMES],
			   *old_model[WALK_NAMES];
	uint32_t h[WALK_NAMES];
	struct zdb *db = zdb_new(), *old = NULL, *nd;
	size_t count = 0, prev_count, old_count = 0;
	int refused = 0;

	collide_mask = mask;
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	for (int i = 0; i < WALK_NAMES; i++) {
		snprintf(text[i], sizeof(text[i]), "w%d.example", i);
		W(text[i]);
		h[i] = ZDB_HASH(w, name_length(w));
		model[i] = NULL;
	}
	for (int step = 0; step < WALK_STEPS; step++) {
		int i = (int)walk_rand(WALK_NAMES), same = 0, rc;

		memcpy(prev, model, sizeof(model));
		prev_count = count;
		for (int j = 0; j < WALK_NAMES; j++)
			same += model[j] && j != i && h[j] == h[i];
		if (walk_rand(3) == 0) {
			rc = without(db, W(text[i]), &nd);
			CU_ASSERT_EQUAL_FATAL(rc, model[i] ? 0 : -ENOENT);
			if (rc)
				continue;
			model[i] = NULL;
			count--;
		} else {
			struct zone *z = fake_zone(text[i]);

			rc = with(db, z, &nd);
			if (!model[i] && same >= ZDB_COLLIDE_MAX) {
				/* refused whole: db as it was */
				CU_ASSERT_EQUAL_FATAL(rc, -1);
				CU_ASSERT_EQUAL(fake_refs(z), 1);
				zone_unref(z);
				refused++;
				walk_check(db, text, model, count);
				continue;
			}
			CU_ASSERT_EQUAL_FATAL(rc, 0);
			count += !model[i];
			model[i] = z;
		}
		walk_check(nd, text, model, count);
		/* the source as it was; the one before it too, then freed */
		walk_check(db, text, prev, prev_count);
		if (old) {
			walk_check(old, text, old_model, old_count);
			zdb_free(old);
		}
		old = db;
		memcpy(old_model, prev, sizeof(prev));
		old_count = prev_count;
		db = nd;
	}
	zdb_free(old);
	zdb_free(db);
	return refused;
}

static void test_collide_walk_four(void)
{
	/* 4 hashes: lists full, ECOLLIDE often */
	CU_ASSERT_TRUE(walk(0x40000001u) > 100);
}

static void test_collide_walk_deep(void)
{
	/* 16 hashes: levels 0, 1 and 5, then lists */
	CU_ASSERT_EQUAL(walk(0xc0000041u), 0);
}

static int suite_clean(void)
{
	fake_done();
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "bound", test_collide_bound },
		{ "walk_four_hashes", test_collide_walk_four },
		{ "walk_deep", test_collide_walk_deep },
	};

	fake_init();
	return unit_run("zdb_collide", NULL, suite_clean, tests,
			UNIT_COUNT(tests));
}
