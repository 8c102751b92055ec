/* test_zdb.c -- unit tests of the zone database (zones/zdb.h).
 *
 * The set is a persistent trie: every change makes a new snapshot and
 * leaves the old ones as they were. So the tests keep old snapshots
 * alive across changes and check that each still reads its own zones;
 * they count the nodes a change allocates among 100,000 zones (the path,
 * not the set), the references on zones once snapshots are freed in
 * every order, the deepest enclosing zone and the parent across depths
 * as zones come and go, and run a random walk of changes against a plain
 * model. The last test has a reader thread find names in the current
 * snapshot while main publishes new ones (run under ThreadSanitizer by
 * scripts/test.sh step 4, and ASan in step 3). Zones are fakes
 * (test_zdb_fake.h): the set reads of a zone only its apex and its
 * reference count.
 */
#include <CUnit/Basic.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <urcu-qsbr.h>

#include "common/errcode.h"
#include "common/name.h"
#include "zones/zdb.h"
#include "test_zdb_fake.h"
#include "unit.h"

static uint8_t w[NAME_MAX_LEN];

/* Text to wire form in the static buffer w. */
static const uint8_t *W(const char *text)
{
	fake_wire(text, w);
	return w;
}

/* The zone of name text in db: NULL, or one whose apex reads back (ASan
 * catches a zone freed under a snapshot still holding it). */
static const struct zone *find(const struct zdb *db, const char *text)
{
	const struct zone *z = zdb_find(db, W(text));

	if (z)
		CU_ASSERT_TRUE(name_length(zone_apex(z)) > 0);
	return z;
}

static const struct zone *get(const struct zdb *db, const char *text)
{
	return zdb_get(db, W(text));
}

static int count_visit(const struct zone *z, void *arg)
{
	size_t *n = arg;

	CU_ASSERT_PTR_NOT_NULL(z);
	(*n)++;
	return 0;
}

static size_t walk_count(const struct zdb *db)
{
	size_t n = 0;

	CU_ASSERT_EQUAL(zdb_foreach(db, count_visit, &n), 0);
	return n;
}

/* --- the deepest zone and the parent --- */

static void test_zdb_find_deepest(void)
{
	struct zone *root = fake_zone("."), *com = fake_zone("com");
	struct zone *ex = fake_zone("example.com");
	struct zone *sub = fake_zone("sub.example.com");
	struct zone *ab = fake_zone("a.b.sub.example.com");
	struct zone *dup = fake_zone("sub.example.com");
	struct zdb *db = zdb_new(), *d2;
	uint8_t offs[NAME_MAX_LABELS + 1] = { 0, 4, 6, 10, 18, 22 };

	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_PTR_NULL(zdb_find(NULL, W("com")));
	CU_ASSERT_PTR_NULL(zdb_find(db, W("com")));
	CU_ASSERT_PTR_NULL(zdb_get(db, W("com")));
	CU_ASSERT_EQUAL(zdb_count(NULL), 0);
	CU_ASSERT_EQUAL(walk_count(db), 0);
	CU_ASSERT_EQUAL(zdb_foreach(NULL, count_visit, NULL), 0);
	CU_ASSERT_EQUAL(zdb_add(db, ab), 0);
	CU_ASSERT_EQUAL(zdb_add(db, ex), 0);
	CU_ASSERT_EQUAL(zdb_add(db, root), 0);
	CU_ASSERT_EQUAL(zdb_add(db, sub), 0);
	CU_ASSERT_EQUAL(zdb_add(db, com), 0);
	CU_ASSERT_EQUAL(zdb_add(db, dup), LV_EEXIST);
	CU_ASSERT_EQUAL(fake_refs(dup), 1);
	zone_unref(dup);
	CU_ASSERT_EQUAL(zdb_count(db), 5);
	CU_ASSERT_EQUAL(walk_count(db), 5);

	CU_ASSERT_PTR_EQUAL(find(db, "x.a.b.sub.example.com"), ab);
	CU_ASSERT_PTR_EQUAL(find(db, "a.b.sub.example.com"), ab);
	CU_ASSERT_PTR_EQUAL(find(db, "b.sub.example.com"), sub);
	CU_ASSERT_PTR_EQUAL(find(db, "sub.example.com"), sub);
	CU_ASSERT_PTR_EQUAL(find(db, "www.example.com"), ex);
	CU_ASSERT_PTR_EQUAL(find(db, "net"), root);
	CU_ASSERT_PTR_EQUAL(find(db, "."), root);
	CU_ASSERT_PTR_EQUAL(find(db, "com"), com);
	CU_ASSERT_PTR_EQUAL(get(db, "sub.example.com"), sub);
	CU_ASSERT_PTR_NULL(get(db, "b.sub.example.com"));
	CU_ASSERT_PTR_EQUAL(zdb_find_parent(db, ab), sub);
	CU_ASSERT_PTR_EQUAL(zdb_find_parent(db, sub), ex);
	CU_ASSERT_PTR_EQUAL(zdb_find_parent(db, com), root);
	CU_ASSERT_PTR_NULL(zdb_find_parent(db, root));
	/* The query path's form: offsets known. */
	W("www.b.sub.example.com");
	CU_ASSERT_PTR_EQUAL(zdb_find_labels(db, w, offs, 5), sub);

	/* Without the root: names under no zone find nothing. */
	CU_ASSERT_EQUAL(without(db, W("."), &d2), 0);
	CU_ASSERT_PTR_NULL(find(d2, "net"));
	CU_ASSERT_PTR_NULL(zdb_find_parent(d2, com));
	CU_ASSERT_PTR_EQUAL(find(d2, "x.a.b.sub.example.com"), ab);
	CU_ASSERT_PTR_EQUAL(find(db, "net"), root);
	zdb_free(db);
	CU_ASSERT_EQUAL(fake_refs(com), 1);
	zdb_free(d2);
	zdb_free(NULL);
}

/* Two apices at the deepest depth: removing one keeps the other found
 * (the depth's count, not a flag); removing both lowers the start. */
static void test_zdb_depth_after_removal(void)
{
	struct zone *e = fake_zone("example"), *c = fake_zone("c.d.example");
	struct zone *a = fake_zone("a.b.c.d.example");
	struct zone *b = fake_zone("z.b.c.d.example");
	struct zone *deep = fake_zone("1.2.3.4.5.6.7.8.9.example");
	struct zdb *d0 = zdb_new(), *d1, *d2, *d3, *d4, *d5, *none;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d0);
	CU_ASSERT_EQUAL(zdb_add(d0, e), 0);
	CU_ASSERT_EQUAL(zdb_add(d0, c), 0);
	CU_ASSERT_EQUAL(zdb_add(d0, a), 0);
	CU_ASSERT_EQUAL(zdb_add(d0, b), 0);
	CU_ASSERT_EQUAL(without(d0, W("a.b.c.d.example"), &d1), 0);
	CU_ASSERT_PTR_EQUAL(find(d1, "w.z.b.c.d.example"), b);
	CU_ASSERT_PTR_EQUAL(find(d1, "w.a.b.c.d.example"), c);
	CU_ASSERT_EQUAL(without(d1, W("z.b.c.d.example"), &d2), 0);
	CU_ASSERT_PTR_EQUAL(find(d2, "w.z.b.c.d.example"), c);
	CU_ASSERT_EQUAL(without(d2, W("c.d.example"), &d3), 0);
	CU_ASSERT_PTR_EQUAL(find(d3, "w.z.b.c.d.example"), e);
	CU_ASSERT_EQUAL(zdb_count(d3), 1);
	CU_ASSERT_EQUAL(with(d3, deep, &d4), 0);
	CU_ASSERT_PTR_EQUAL(find(d4, "x.1.2.3.4.5.6.7.8.9.example"), deep);
	CU_ASSERT_PTR_EQUAL(find(d4, "2.3.4.5.6.7.8.9.example"), e);
	CU_ASSERT_EQUAL(without(d4, W("example"), &d5), 0);
	CU_ASSERT_PTR_NULL(find(d5, "2.3.4.5.6.7.8.9.example"));
	CU_ASSERT_PTR_EQUAL(find(d5, "1.2.3.4.5.6.7.8.9.example"), deep);
	/* Not there: nothing made. */
	none = (struct zdb *)1;
	CU_ASSERT_EQUAL(without(d2, W("a.b.c.d.example"), &none), -ENOENT);
	CU_ASSERT_PTR_NULL(none);
	CU_ASSERT_EQUAL(without(NULL, W("example"), &none), -ENOENT);
	CU_ASSERT_EQUAL(without(d2, W("b.c.d.example"), &none), -ENOENT);
	/* The old snapshots as they were. */
	CU_ASSERT_PTR_EQUAL(find(d0, "w.a.b.c.d.example"), a);
	CU_ASSERT_PTR_EQUAL(find(d0, "w.z.b.c.d.example"), b);
	CU_ASSERT_PTR_EQUAL(find(d1, "w.z.b.c.d.example"), b);
	CU_ASSERT_EQUAL(zdb_count(d0), 4);
	CU_ASSERT_PTR_EQUAL(find(d3, "x.1.2.3.4.5.6.7.8.9.example"), e);
	zdb_free(d2);
	zdb_free(d0);
	zdb_free(d5);
	zdb_free(d1);
	zdb_free(d4);
	zdb_free(d3);
}

/* --- 100,000 zones --- */

#define MANY 100000

static void many_name(char *buf, size_t len, const char *pre, size_t i)
{
	snprintf(buf, len, "%s%zu.%sexample", pre, i, i % 10 == 9 ? "co." : "");
}

static void test_zdb_many(void)
{
	static struct zone *zs[MANY];
	struct zdb *d0 = zdb_new(), *d1, *d2, *d3;
	struct zone *old7, *new7, *fresh, *z42;
	char t[64];
	size_t made;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d0);
	for (size_t i = 0; i < MANY; i++) {
		many_name(t, sizeof(t), "z", i);
		zs[i] = fake_zone(t);
		CU_ASSERT_EQUAL_FATAL(zdb_add(d0, zs[i]), 0);
	}
	CU_ASSERT_EQUAL(zdb_count(d0), MANY);
	CU_ASSERT_EQUAL(walk_count(d0), MANY);
	for (size_t i = 0; i < MANY; i++) {
		many_name(t, sizeof(t), "www.z", i);
		if (zdb_find(d0, W(t)) != zs[i])
			CU_FAIL("zone not found among 100,000");
		many_name(t, sizeof(t), "www.nx", i);
		if (zdb_find(d0, W(t)) != NULL)
			CU_FAIL("a name under no zone found one");
	}

	/* Each change copies the path: at most 7 nodes (14 for a removal
	 * that pulls zones up), not the set. */
	old7 = zs[7];
	z42 = zs[42];
	new7 = fake_zone("z7.example");
	made = zdb_nodes_made();
	CU_ASSERT_EQUAL_FATAL(with(d0, new7, &d1), 0);
	CU_ASSERT_TRUE(zdb_nodes_made() - made <= 7);
	fresh = fake_zone("fresh.example");
	made = zdb_nodes_made();
	CU_ASSERT_EQUAL_FATAL(with(d1, fresh, &d2), 0);
	CU_ASSERT_TRUE(zdb_nodes_made() - made <= 7);
	made = zdb_nodes_made();
	CU_ASSERT_EQUAL_FATAL(without(d2, W("z42.example"), &d3), 0);
	CU_ASSERT_TRUE(zdb_nodes_made() - made <= 14);

	/* Every snapshot reads its own zones. */
	CU_ASSERT_EQUAL(zdb_count(d0), MANY);
	CU_ASSERT_EQUAL(zdb_count(d1), MANY);
	CU_ASSERT_EQUAL(zdb_count(d2), MANY + 1);
	CU_ASSERT_EQUAL(zdb_count(d3), MANY);
	CU_ASSERT_PTR_EQUAL(get(d0, "z7.example"), old7);
	CU_ASSERT_PTR_EQUAL(get(d1, "z7.example"), new7);
	CU_ASSERT_PTR_EQUAL(get(d3, "z7.example"), new7);
	CU_ASSERT_PTR_NULL(get(d1, "fresh.example"));
	CU_ASSERT_PTR_EQUAL(find(d2, "www.fresh.example"), fresh);
	CU_ASSERT_PTR_EQUAL(find(d2, "www.z42.example"), z42);
	CU_ASSERT_PTR_NULL(find(d3, "www.z42.example"));
	CU_ASSERT_PTR_EQUAL(find(d0, "www.z42.example"), z42);
	CU_ASSERT_EQUAL(walk_count(d3), MANY);
	/* A zone is referenced once per node holding it: the replaced one
	 * by d0's node alone (d1's copy holds new7). */
	CU_ASSERT_EQUAL(fake_refs(old7), 1);
	zone_ref(old7);
	zone_ref(z42);
	zdb_free(d0);
	CU_ASSERT_EQUAL(fake_refs(old7), 1);   /* ours alone */
	CU_ASSERT_TRUE(fake_refs(z42) >= 2);
	zdb_free(d2);
	zdb_free(d1);
	CU_ASSERT_EQUAL(fake_refs(z42), 1);
	CU_ASSERT_STRING_EQUAL((const char *)zone_apex(old7),
			       "\2z7\7example");
	zone_unref(old7);
	zone_unref(z42);
	/* Only d3 left: each of its zones held by one node. */
	for (size_t i = 0; i < MANY; i++)
		if (i != 7 && i != 42 && fake_refs(zs[i]) != 1)
			CU_FAIL("a zone of the last snapshot has refs != 1");
	CU_ASSERT_EQUAL(fake_refs(new7), 1);
	CU_ASSERT_EQUAL(fake_refs(fresh), 1);
	zdb_free(d3);
}

/* --- snapshots freed in every order --- */

#define ORDER_ZONES 2000

static void test_zdb_free_orders(void)
{
	static const int perms[24][4] = {
		{0,1,2,3},{0,1,3,2},{0,2,1,3},{0,2,3,1},{0,3,1,2},{0,3,2,1},
		{1,0,2,3},{1,0,3,2},{1,2,0,3},{1,2,3,0},{1,3,0,2},{1,3,2,0},
		{2,0,1,3},{2,0,3,1},{2,1,0,3},{2,1,3,0},{2,3,0,1},{2,3,1,0},
		{3,0,1,2},{3,0,2,1},{3,1,0,2},{3,1,2,0},{3,2,0,1},{3,2,1,0},
	};
	static struct zone *zs[ORDER_ZONES + 8];
	char t[64];

	for (int p = 0; p < 24; p++) {
		struct zdb *d[4];
		size_t nz = 0;

		d[0] = zdb_new();
		CU_ASSERT_PTR_NOT_NULL_FATAL(d[0]);
		for (size_t i = 0; i < ORDER_ZONES; i++) {
			many_name(t, sizeof(t), "o", i);
			zs[nz] = fake_zone(t);
			CU_ASSERT_EQUAL_FATAL(zdb_add(d[0], zs[nz]), 0);
			nz++;
		}
		/* replace, add, remove: each from the one before */
		many_name(t, sizeof(t), "o", (size_t)p * 17);
		zs[nz] = fake_zone(t);
		CU_ASSERT_EQUAL_FATAL(with(d[0], zs[nz++], &d[1]), 0);
		zs[nz] = fake_zone("added.example");
		CU_ASSERT_EQUAL_FATAL(with(d[1], zs[nz++], &d[2]), 0);
		many_name(t, sizeof(t), "o", (size_t)p * 31 + 5);
		CU_ASSERT_EQUAL_FATAL(without(d[2], W(t), &d[3]), 0);
		for (size_t i = 0; i < nz; i++)
			zone_ref(zs[i]);
		for (int k = 0; k < 4; k++) {
			zdb_free(d[perms[p][k]]);
			/* the ones left still read their zones */
			for (int j = k + 1; j < 4; j++) {
				const struct zdb *l = d[perms[p][j]];

				CU_ASSERT_EQUAL(walk_count(l), zdb_count(l));
				CU_ASSERT_PTR_NOT_NULL(find(l, "x.o3.example"));
			}
		}
		for (size_t i = 0; i < nz; i++) {
			if (fake_refs(zs[i]) != 1)
				CU_FAIL("a reference left after every free");
			zone_unref(zs[i]);
		}
	}
}

/* --- a random walk against a model --- */

#define MODEL_NAMES 1024
#define MODEL_KEEP 8
#define MODEL_STEPS 6000

struct model {
	struct zdb *db;
	struct zone *z[MODEL_NAMES];
	size_t count;
};

static char model_text[MODEL_NAMES][48];
static int model_parent[MODEL_NAMES];

/* Names: example, co.example, n<k>.example, n<k>.co.example and
 * s.n<k>.example, each with its parent in the set (the zone above). */
static void model_names(void)
{
	strcpy(model_text[0], "example");
	model_parent[0] = -1;
	strcpy(model_text[1], "co.example");
	model_parent[1] = 0;
	for (int i = 2; i < MODEL_NAMES; i++) {
		int k = (i - 2) / 3;

		switch ((i - 2) % 3) {
		case 0:
			snprintf(model_text[i], 48, "n%d.example", k);
			model_parent[i] = 0;
			break;
		case 1:
			snprintf(model_text[i], 48, "n%d.co.example", k);
			model_parent[i] = 1;
			break;
		default:
			snprintf(model_text[i], 48, "s.n%d.example", k);
			model_parent[i] = i - 2;
		}
	}
}

/* The model's deepest zone for a name just below name i. */
static const struct zone *model_find(const struct model *m, int i)
{
	for (; i >= 0; i = model_parent[i])
		if (m->z[i])
			return m->z[i];
	return NULL;
}

static uint64_t model_rng = 12345;

static size_t model_rand(size_t n)
{
	model_rng ^= model_rng << 13;
	model_rng ^= model_rng >> 7;
	model_rng ^= model_rng << 17;
	return (size_t)(model_rng % n);
}

static void model_check(const struct model *m, size_t samples)
{
	char t[64];

	CU_ASSERT_EQUAL(zdb_count(m->db), m->count);
	for (size_t s = 0; s < samples; s++) {
		int i = samples >= MODEL_NAMES ? (int)s :
			(int)model_rand(MODEL_NAMES);

		if (zdb_get(m->db, W(model_text[i])) != m->z[i])
			CU_FAIL("zdb_get differs from the model");
		snprintf(t, sizeof(t), "www.%s", model_text[i]);
		if (find(m->db, t) != model_find(m, i))
			CU_FAIL("zdb_find differs from the model");
	}
}

static void test_zdb_random_model(void)
{
	static struct model keep[MODEL_KEEP];
	int nkeep = 1, newest = 0;

	model_names();
	memset(keep, 0, sizeof(keep));
	keep[0].db = zdb_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(keep[0].db);
	for (int step = 0; step < MODEL_STEPS; step++) {
		/* Mostly from the newest, as main does; sometimes a branch
		 * from an older one, which shares nodes with both. */
		int from = model_rand(10) ? newest : (int)model_rand((size_t)nkeep);
		struct model *src = &keep[from], next;
		int i = (int)model_rand(MODEL_NAMES), slot, rc;

		next = *src;
		if (model_rand(3) == 0) {
			rc = without(src->db, W(model_text[i]), &next.db);
			if (!src->z[i]) {
				CU_ASSERT_EQUAL(rc, -ENOENT);
				continue;
			}
			CU_ASSERT_EQUAL_FATAL(rc, 0);
			next.z[i] = NULL;
			next.count--;
		} else {
			struct zone *z = fake_zone(model_text[i]);

			CU_ASSERT_EQUAL_FATAL(with(src->db, z, &next.db), 0);
			if (!src->z[i])
				next.count++;
			next.z[i] = z;
		}
		model_check(&next, 16);
		/* Keep it; when full, check a random one whole and free it. */
		if (nkeep < MODEL_KEEP) {
			slot = nkeep++;
		} else {
			slot = (int)model_rand(MODEL_KEEP);
			model_check(&keep[slot], MODEL_NAMES);
			zdb_free(keep[slot].db);
		}
		keep[slot] = next;
		newest = slot;
	}
	for (int k = 0; k < nkeep; k++) {
		model_check(&keep[k], MODEL_NAMES);
		CU_ASSERT_EQUAL(walk_count(keep[k].db), keep[k].count);
		zdb_free(keep[k].db);
	}
}

/* --- a reader thread while main publishes --- */

#define RACE_ZONES 1000
#define RACE_CHANGES 3000

static volatile int race_stop;
static int race_bad, race_reads;

static void *race_reader(void *arg)
{
	uint8_t qn[NAME_MAX_LEN], ap[NAME_MAX_LEN];
	char t[64];
	uint64_t r = 99;
	int reads = 0;

	time_t end = time(NULL) + 60;

	(void)arg;
	rcu_register_thread();
	/* until main is done; at most 20,000,000 reads and 60 s */
	while (!__atomic_load_n(&race_stop, __ATOMIC_ACQUIRE) &&
	       reads < 20000000 && (reads % 4096 || time(NULL) < end)) {
		const struct zdb *db;
		const struct zone *z;
		size_t i;

		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		i = (size_t)(r % RACE_ZONES);
		snprintf(t, sizeof(t), "www.r%zu.example", i);
		fake_wire(t, qn);
		fake_wire(t + 4, ap);
		rcu_read_lock();
		db = zdb_current();
		z = db ? zdb_find(db, qn) : NULL;
		/* Every snapshot has r<i> (replaced, or removed and back in
		 * the next) or example above it. */
		if (!z || !(name_equal_ci(zone_apex(z), ap) ||
			    name_equal_ci(zone_apex(z),
					  (const uint8_t *)"\7example")))
			__atomic_fetch_add(&race_bad, 1, __ATOMIC_RELAXED);
		rcu_read_unlock();
		if (++reads % 64 == 0)
			rcu_quiescent_state();
	}
	__atomic_store_n(&race_reads, reads, __ATOMIC_RELEASE);
	rcu_unregister_thread();
	return NULL;
}

static void test_zdb_reader_while_publishing(void)
{
	struct zdb *db = zdb_new(), *nd;
	pthread_t th;
	char t[64];
	time_t end = time(NULL) + 60;

	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL_FATAL(zdb_add(db, fake_zone("example")), 0);
	for (size_t i = 0; i < RACE_ZONES; i++) {
		snprintf(t, sizeof(t), "r%zu.example", i);
		CU_ASSERT_EQUAL_FATAL(zdb_add(db, fake_zone(t)), 0);
	}
	rcu_register_thread();
	zdb_publish(db);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, race_reader, NULL), 0);
	for (int k = 0; k < RACE_CHANGES && time(NULL) < end; k++) {
		const struct zdb *cur = zdb_current();
		size_t i = model_rand(RACE_ZONES);

		struct zone *z;

		snprintf(t, sizeof(t), "r%zu.example", i);
		if (k % 10 == 9) {
			/* out for one snapshot: the reader finds example */
			if (without(cur, W(t), &nd) != 0) {
				CU_FAIL("zdb_without");
				break;
			}
			zdb_publish(nd);
			rcu_quiescent_state();
			cur = zdb_current();
		}
		z = fake_zone(t);
		if (with(cur, z, &nd) != 0) {
			CU_FAIL("zdb_with");
			zone_unref(z);
			break;
		}
		zdb_publish(nd);
		rcu_quiescent_state();
	}
	__atomic_store_n(&race_stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(race_bad, 0);
	CU_ASSERT_TRUE(race_reads > 0);
	rcu_thread_offline();
	zdb_shutdown();
	rcu_thread_online();
	rcu_unregister_thread();
	CU_ASSERT_PTR_NULL(zdb_current());
}

static int suite_clean(void)
{
	rcu_barrier();
	fake_done();
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "find_deepest", test_zdb_find_deepest },
		{ "depth_after_removal", test_zdb_depth_after_removal },
		{ "many_100000", test_zdb_many },
		{ "free_orders", test_zdb_free_orders },
		{ "random_model", test_zdb_random_model },
		{ "reader_while_publishing", test_zdb_reader_while_publishing },
	};

	fake_init();
	return unit_run("zdb", NULL, suite_clean, tests, UNIT_COUNT(tests));
}
