/* zdb.c -- the zone database: persistent snapshots published with RCU.
 *
 * A snapshot is a small header (zone count, apices per label depth) and
 * the root of a hash array mapped trie keyed by name_hash() of the apex
 * name (keyed per process: name_hash_set_key). A node at level L (the root
 * is level 0) uses bits 6L..6L+5 of the hash: a 64-bit map of the slots
 * that hold an entry (the zone, its apex node and its hash, inline) and a
 * map of those that hold a child node, the entries first, then the
 * children, each in slot order (CHAMP's layout: Steindorfer and Vinju,
 * OOPSLA 2015). Six levels use the 32 bits; at level 6 a node is a list
 * of the zones whose hashes are all equal, at most ZDB_COLLIDE_MAX. The
 * trie is kept canonical: a child node always holds two zones or more
 * below it (a removal that leaves one pulls it up into the parent), so the
 * shape depends only on the set of hashes, and a lookup visits at most 6
 * nodes and one list (3 nodes among 100,000 zones).
 *
 * Nodes are immutable once reachable from a published snapshot, and
 * shared between snapshots with a reference count; an entry holds a
 * reference on its zone. A change copies the nodes on its path (path
 * copying), each copy taking a reference on every zone and child it
 * holds, and drops the references of what it replaced. A node whose count
 * is one belongs to the one unpublished snapshot being built through it
 * (every node above it is that snapshot's own, too), and is changed in
 * place (a node that grows or shrinks is allocated anew and the old one
 * freed, its references handed over): zdb_add() at load copies no path
 * and takes no reference but the new zone's. The counts are atomic because
 * old snapshots are released on liburcu's call_rcu thread while main
 * builds the next one through nodes they share; a count read as one can
 * not grow behind main's back (only main takes references).
 *
 * zdb_find() hashes the suffixes of the query name, longest first from
 * the label count of the deepest apex and skipping the depths where no
 * apex lies (a count per depth, kept under removals), so the first hit is
 * the deepest enclosing zone: at most one lookup per label.
 *
 * The current snapshot is one global pointer: publishing is one atomic
 * exchange, the old snapshot released by a call_rcu() callback once every
 * registered reader has passed a quiescent state.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <urcu-qsbr.h>

#include "common/assert.h"
#include "common/errcode.h"
#include "common/name.h"
#include "zones/internal.h"
#include "zones/zdb.h"
#include "zones/zone.h"

/* 6 bits a level: 64 slots a node, maps of 64 bits. Against 5 bits and
 * 32 slots (bench/zdb_find, 100,000 zones): one level fewer on most
 * lookups (3 nodes, not 4; 15% fewer L1 misses under cachegrind), and a
 * change that allocates 3 nodes, not 4, of up to twice the size. */
#define ZDB_BITS 6
typedef uint64_t zdb_map_t;
#define ZDB_MASK ((1u << ZDB_BITS) - 1)
#define ZDB_HASH_BITS 32   /* a shift at or past this: the collision list */

/* The key of an apex (tests/unit/test_zdb_collide.c narrows it to make
 * collisions). */
#ifndef ZDB_HASH
#define ZDB_HASH(lname, len) name_hash(lname, len)
#endif

struct zdb_entry {
	uint32_t hash;
	const struct zone_node *apex;      /* zone's apex, read on lookup */
	struct zone *zone;                 /* one reference */
};

struct zdb_node {
	int refs;                          /* atomic */
	uint8_t ndata, nnode;
	zdb_map_t datamap, nodemap;        /* 0 in a collision list */
	struct zdb_entry data[];           /* ndata, then nnode children */
};

struct zdb {
	struct zdb_node *root;             /* one reference; NULL: empty */
	size_t count;
	int max_labels;                    /* deepest apex, 0 when empty */
	bool published;
	uint32_t at_depth[NAME_MAX_LABELS + 1]; /* apices of d labels */
	struct rcu_head rcu;
};

static struct zdb *zdb_cur;
static __thread size_t zdb_made;

static inline unsigned zdb_popcount(zdb_map_t x)
{
#ifdef __POPCNT__
	return (unsigned)__builtin_popcountll(x);
#else
	uint64_t v = x;

	v = v - ((v >> 1) & 0x5555555555555555ull);
	v = (v & 0x3333333333333333ull) + ((v >> 2) & 0x3333333333333333ull);
	v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (unsigned)((v * 0x0101010101010101ull) >> 56);
#endif
}

static inline struct zdb_node **node_kids(const struct zdb_node *n)
{
	return (struct zdb_node **)(uintptr_t)(n->data + n->ndata);
}

static inline zdb_map_t node_bit(uint32_t hash, unsigned shift)
{
	return (zdb_map_t)1 << ((hash >> shift) & ZDB_MASK);
}

/* Index among the set bits of map below bit. */
static inline unsigned node_index(zdb_map_t map, zdb_map_t bit)
{
	return zdb_popcount(map & (bit - 1));
}

static inline bool entry_is(const struct zdb_entry *e, uint32_t h,
			    const uint8_t *lname, size_t len)
{
	return e->hash == h && e->apex->name_len == len &&
	       memcmp(e->apex->name, lname, len) == 0;
}

/* --- reading (any thread) --- */

/* The walk of zdb_lookup() from root n with the apex's hash h: at most 6
 * nodes and one collision list of at most ZDB_COLLIDE_MAX entries. hw: the
 * CPU's popcount instruction (constant: one copy of each). */
static inline __attribute__((always_inline)) const struct zdb_entry *
lookup_in(const struct zdb_node *n, uint32_t h, const uint8_t *lname,
	  size_t len, bool hw)
{
	for (unsigned shift = 0; shift < ZDB_HASH_BITS; shift += ZDB_BITS) {
		zdb_map_t bit = node_bit(h, shift), below;
		const struct zdb_entry *e;

		if (n->datamap & bit) {
			below = n->datamap & (bit - 1);
			e = &n->data[hw ? (unsigned)__builtin_popcountll(below) :
				     zdb_popcount(below)];
			return entry_is(e, h, lname, len) ? e : NULL;
		}
		if (!(n->nodemap & bit))
			return NULL;
		below = n->nodemap & (bit - 1);
		n = node_kids(n)[hw ? (unsigned)__builtin_popcountll(below) :
				 zdb_popcount(below)];
	}
	for (unsigned i = 0; i < n->ndata; i++)
		if (entry_is(&n->data[i], h, lname, len))
			return &n->data[i];
	return NULL;
}

/* x86-64's baseline has no POPCNT: the copy that uses it is chosen once,
 * before main, by what the CPU says. */
#if defined(__x86_64__) && !defined(__POPCNT__)
static bool zdb_hw_popcount;

__attribute__((target("popcnt")))
static const struct zdb_entry *lookup_popcnt(const struct zdb_node *n,
					     uint32_t h, const uint8_t *lname,
					     size_t len)
{
	return lookup_in(n, h, lname, len, true);
}

__attribute__((constructor))
static void zdb_cpu_init(void)
{
	__builtin_cpu_init();
	zdb_hw_popcount = __builtin_cpu_supports("popcnt");
}
#else
static const bool zdb_hw_popcount = true;
#define lookup_popcnt(n, h, lname, len) lookup_in(n, h, lname, len, true)
#endif

static const struct zdb_entry *lookup_plain(const struct zdb_node *n,
					    uint32_t h, const uint8_t *lname,
					    size_t len)
{
	return lookup_in(n, h, lname, len, false);
}

/* The entry of apex lname (len bytes), or NULL (see lookup_in). */
static inline const struct zdb_entry *zdb_lookup(const struct zdb *db,
						 const uint8_t *lname,
						 size_t len)
{
	const struct zdb_node *n = db->root;
	uint32_t h;

	if (!n)
		return NULL;
	h = ZDB_HASH(lname, len);
	return zdb_hw_popcount ? lookup_popcnt(n, h, lname, len) :
				 lookup_plain(n, h, lname, len);
}

const struct zone *zdb_get(const struct zdb *db, const uint8_t *lapex)
{
	const struct zdb_entry *e;

	if (!db)
		return NULL;
	e = zdb_lookup(db, lapex, name_length(lapex));
	return e ? e->zone : NULL;
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
		const struct zdb_entry *e;

		if (db->at_depth[k] == 0)
			continue;
		e = zdb_lookup(db, lname + off, total - off);
		if (e)
			return e->zone;
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

static int node_foreach(const struct zdb_node *n, zdb_visit_fn fn, void *arg)
{
	int rc;

	for (unsigned i = 0; i < n->ndata; i++)
		if ((rc = fn(n->data[i].zone, arg)) != 0)
			return rc;
	for (unsigned i = 0; i < n->nnode; i++)
		if ((rc = node_foreach(node_kids(n)[i], fn, arg)) != 0)
			return rc;
	return 0;
}

int zdb_foreach(const struct zdb *db, zdb_visit_fn fn, void *arg)
{
	return db && db->root ? node_foreach(db->root, fn, arg) : 0;
}

size_t zdb_nodes_made(void)
{
	return zdb_made;
}

/* --- nodes (the building thread, and the call_rcu thread's releases) --- */

static struct zdb_node *node_alloc(unsigned ndata, unsigned nnode)
{
	struct zdb_node *n = malloc(sizeof(*n) + ndata * sizeof(n->data[0]) +
				    nnode * sizeof(struct zdb_node *));

	if (!n)
		return NULL;
	n->refs = 1;
	n->datamap = n->nodemap = 0;
	n->ndata = (uint8_t)ndata;
	n->nnode = (uint8_t)nnode;
	zdb_made++;
	return n;
}

static void node_ref(struct zdb_node *n)
{
	__atomic_fetch_add(&n->refs, 1, __ATOMIC_RELAXED);
}

/* Drops one reference; the last frees n, its zone references and its
 * children's references. Recursion at most 7 deep. */
static void node_unref(struct zdb_node *n)
{
	if (!n || __atomic_sub_fetch(&n->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (unsigned i = 0; i < n->ndata; i++)
		zone_unref(n->data[i].zone);
	for (unsigned i = 0; i < n->nnode; i++)
		node_unref(node_kids(n)[i]);
	free(n);
}

/* True when the building snapshot alone holds n (see the file header). */
static bool node_exclusive(const struct zdb_node *n)
{
	return __atomic_load_n(&n->refs, __ATOMIC_ACQUIRE) == 1;
}

/* Lets go of n once a new node holds what it carried over from n: a
 * shared n gives the new node references of its own (n keeps its for its
 * other holders) and loses the building snapshot's; an exclusive n hands
 * its references over and is freed, but for those of the entry (data
 * index drop_data) or child (drop_kid) it did not carry, dropped here
 * (-1: none). */
static void node_hand_over(struct zdb_node *n, int drop_data, int drop_kid)
{
	if (!node_exclusive(n)) {
		for (unsigned i = 0; i < n->ndata; i++)
			if ((int)i != drop_data)
				zone_ref(n->data[i].zone);
		for (unsigned i = 0; i < n->nnode; i++)
			if ((int)i != drop_kid)
				node_ref(node_kids(n)[i]);
		node_unref(n);
		return;
	}
	if (drop_data >= 0)
		zone_unref(n->data[drop_data].zone);
	if (drop_kid >= 0)
		node_unref(node_kids(n)[drop_kid]);
	free(n);
}

/* Makes *slot the building snapshot's own: a copy when shared. */
static int node_own(struct zdb_node **slot)
{
	struct zdb_node *n = *slot, *c;

	if (node_exclusive(n))
		return 0;
	c = node_alloc(n->ndata, n->nnode);
	if (!c)
		return -ENOMEM;
	c->datamap = n->datamap;
	c->nodemap = n->nodemap;
	memcpy(c->data, n->data, n->ndata * sizeof(n->data[0]));
	memcpy(node_kids(c), node_kids(n), n->nnode * sizeof(*node_kids(n)));
	node_hand_over(n, -1, -1);
	*slot = c;
	return 0;
}

/* A node like bitmap node n with the slot of `bit` changed: entry e there
 * (e non-NULL), child kid there (kid non-NULL), or nothing. What n held
 * at bit is not carried over; e's and kid's references pass to the new
 * node. Replaces *slot and lets n go (node_hand_over). -ENOMEM: nothing
 * changed. */
static int node_set_slot(struct zdb_node **slot, zdb_map_t bit,
			 const struct zdb_entry *e, struct zdb_node *kid)
{
	struct zdb_node *n = *slot, *nn;
	zdb_map_t dm = (n->datamap & ~bit) | (e ? bit : 0);
	zdb_map_t nm = (n->nodemap & ~bit) | (kid ? bit : 0);
	unsigned di = 0, ki = 0;
	int drop_data = -1, drop_kid = -1;

	nn = node_alloc(zdb_popcount(dm), zdb_popcount(nm));
	if (!nn)
		return -ENOMEM;
	nn->datamap = dm;
	nn->nodemap = nm;
	for (unsigned f = 0; f <= ZDB_MASK; f++) {
		zdb_map_t b = (zdb_map_t)1 << f;

		if (dm & b)
			nn->data[di++] = b == bit ? *e :
				n->data[node_index(n->datamap, b)];
		if (nm & b)
			node_kids(nn)[ki++] = b == bit ? kid :
				node_kids(n)[node_index(n->nodemap, b)];
	}
	if (n->datamap & bit)
		drop_data = (int)node_index(n->datamap, bit);
	if (n->nodemap & bit)
		drop_kid = (int)node_index(n->nodemap, bit);
	node_hand_over(n, drop_data, drop_kid);
	*slot = nn;
	return 0;
}

/* A collision list like n without entry drop (-1: none) and with e
 * appended (NULL: none). Replaces *slot and lets n go. */
static int node_set_list(struct zdb_node **slot, int drop,
			 const struct zdb_entry *e)
{
	struct zdb_node *n = *slot, *nn;
	unsigned k = 0;

	nn = node_alloc(n->ndata - (drop >= 0) + (e != NULL), 0);
	if (!nn)
		return -ENOMEM;
	for (unsigned i = 0; i < n->ndata; i++)
		if ((int)i != drop)
			nn->data[k++] = n->data[i];
	if (e)
		nn->data[k] = *e;
	node_hand_over(n, drop, -1);
	*slot = nn;
	return 0;
}

/* Frees what node_pair() made, which holds no references yet: a chain
 * of nodes of one child each, ending in one of two entries. */
static void pair_free(struct zdb_node *n)
{
	while (n) {
		struct zdb_node *next = n->nnode ? node_kids(n)[0] : NULL;

		free(n);
		n = next;
	}
}

/* A subtrie at shift holding entries a and b (different apices), whose
 * hashes agree below shift. NULL when out of memory. Takes no
 * references: the caller's pass to it. */
static struct zdb_node *node_pair(unsigned shift, const struct zdb_entry *a,
				  const struct zdb_entry *b)
{
	struct zdb_node *n, *kid;
	zdb_map_t ba, bb;

	if (shift >= ZDB_HASH_BITS) {
		n = node_alloc(2, 0);
		if (n) {
			n->data[0] = *a;
			n->data[1] = *b;
		}
		return n;
	}
	ba = node_bit(a->hash, shift);
	bb = node_bit(b->hash, shift);
	if (ba != bb) {
		n = node_alloc(2, 0);
		if (n) {
			n->datamap = ba | bb;
			n->data[ba < bb ? 0 : 1] = *a;
			n->data[ba < bb ? 1 : 0] = *b;
		}
		return n;
	}
	kid = node_pair(shift + ZDB_BITS, a, b);
	if (!kid)
		return NULL;
	n = node_alloc(0, 1);
	if (!n) {
		pair_free(kid);
		return NULL;
	}
	n->nodemap = ba;
	node_kids(n)[0] = kid;
	return n;
}

/* Puts e (its zone's reference passes to the trie) into the subtrie at
 * *slot (shift: its level's), replacing an entry of the same apex
 * (*replaced set). On error the subtrie holds the same zones as before
 * (some nodes may be the building snapshot's copies) and e is not in it. */
static int node_insert(struct zdb_node **slot, unsigned shift,
		       const struct zdb_entry *e, bool *replaced)
{
	struct zdb_node *n = *slot, *kid;
	const struct zone_node *a = e->apex;
	zdb_map_t bit;
	unsigned i;
	int rc;

	if (shift >= ZDB_HASH_BITS) {
		for (i = 0; i < n->ndata; i++)
			if (entry_is(&n->data[i], e->hash, a->name,
				     a->name_len))
				break;
		if (i == n->ndata) {
			if (n->ndata >= ZDB_COLLIDE_MAX)
				return LV_ECOLLIDE;
			return node_set_list(slot, -1, e);
		}
	} else {
		bit = node_bit(e->hash, shift);
		if (n->nodemap & bit) {
			if ((rc = node_own(slot)) != 0)
				return rc;
			n = *slot;
			return node_insert(&node_kids(n)[node_index(n->nodemap,
								   bit)],
					   shift + ZDB_BITS, e, replaced);
		}
		if (!(n->datamap & bit))
			return node_set_slot(slot, bit, e, NULL);
		i = node_index(n->datamap, bit);
		if (!entry_is(&n->data[i], e->hash, a->name, a->name_len)) {
			/* Two apices in one slot: both one level down. */
			struct zdb_entry keep = n->data[i];

			kid = node_pair(shift + ZDB_BITS, &keep, e);
			if (!kid)
				return -ENOMEM;
			zone_ref(keep.zone);          /* the child's */
			if ((rc = node_set_slot(slot, bit, NULL, kid)) != 0) {
				zone_unref(keep.zone);  /* n holds one */
				pair_free(kid);
				return rc;
			}
			return 0;
		}
	}
	/* The same apex: the entry replaced in a node of our own. */
	if ((rc = node_own(slot)) != 0)
		return rc;
	n = *slot;
	zone_unref(n->data[i].zone);
	n->data[i] = *e;
	*replaced = true;
	return 0;
}

/* Takes apex lname's entry, which is there, out of the subtrie at *slot,
 * keeping it canonical: a node left with one entry and no child is pulled
 * up by the caller (the root stays; an empty root becomes NULL). On error
 * the subtrie holds the same zones (the caller frees the snapshot). */
static int node_remove(struct zdb_node **slot, unsigned shift,
		       const uint8_t *lname, size_t len, uint32_t h)
{
	struct zdb_node *n = *slot, *kid, **kslot;
	zdb_map_t bit;
	int rc;

	if (shift >= ZDB_HASH_BITS) {
		for (unsigned i = 0; i < n->ndata; i++)
			if (entry_is(&n->data[i], h, lname, len))
				return node_set_list(slot, (int)i, NULL);
		lv_require(0);  /* the caller found it */
	}
	bit = node_bit(h, shift);
	if (n->datamap & bit) {
		if (n->ndata == 1 && n->nnode == 0) {
			node_unref(n);
			*slot = NULL;
			return 0;
		}
		return node_set_slot(slot, bit, NULL, NULL);
	}
	lv_require(n->nodemap & bit);
	if ((rc = node_own(slot)) != 0)
		return rc;
	n = *slot;
	kslot = &node_kids(n)[node_index(n->nodemap, bit)];
	if ((rc = node_remove(kslot, shift + ZDB_BITS, lname, len, h)) != 0)
		return rc;
	kid = *kslot;
	if (!kid)
		return node_set_slot(slot, bit, NULL, NULL);
	if (kid->ndata == 1 && kid->nnode == 0) {
		struct zdb_entry up = kid->data[0];

		zone_ref(up.zone);      /* the parent's; kid's goes with it */
		if ((rc = node_set_slot(slot, bit, &up, NULL)) != 0)
			zone_unref(up.zone);
		return rc;
	}
	return 0;
}

/* --- snapshots --- */

struct zdb *zdb_new(void)
{
	return calloc(1, sizeof(struct zdb));
}

/* A new unpublished snapshot sharing db's trie (NULL db: empty). */
static struct zdb *zdb_clone(const struct zdb *db)
{
	struct zdb *nd = malloc(sizeof(*nd));

	if (!nd)
		return NULL;
	if (db) {
		memcpy(nd, db, sizeof(*nd));
		if (nd->root)
			node_ref(nd->root);
	} else {
		memset(nd, 0, sizeof(*nd));
	}
	nd->published = false;
	return nd;
}

/* Puts z into unpublished db (in place where db alone holds the nodes). */
static int zdb_put(struct zdb *db, struct zone *z)
{
	const struct zone_node *apex = zone_apex_node(z);
	struct zdb_entry e = {
		.hash = ZDB_HASH(apex->name, apex->name_len),
		.apex = apex,
		.zone = z,
	};
	bool replaced = false;
	int rc;

	lv_require(!db->published);
	if (!db->root) {
		db->root = node_alloc(1, 0);
		if (!db->root)
			return -ENOMEM;
		db->root->datamap = node_bit(e.hash, 0);
		db->root->data[0] = e;
	} else if ((rc = node_insert(&db->root, 0, &e, &replaced)) != 0) {
		return rc;
	}
	if (!replaced) {
		db->count++;
		db->at_depth[apex->label_count]++;
		if (apex->label_count > db->max_labels)
			db->max_labels = apex->label_count;
	}
	return 0;
}

int zdb_add(struct zdb *db, struct zone *z)
{
	const struct zone_node *apex = zone_apex_node(z);

	lv_require(!db->published);
	if (zdb_lookup(db, apex->name, apex->name_len))
		return LV_EEXIST;
	return zdb_put(db, z);
}

struct zdb *zdb_with(const struct zdb *db, struct zone *z)
{
	struct zdb *nd = zdb_clone(db);

	if (nd && zdb_put(nd, z) != 0) {
		zdb_free(nd);
		nd = NULL;
	}
	return nd;
}

struct zdb *zdb_without(const struct zdb *db, const uint8_t *lapex)
{
	size_t len = name_length(lapex);
	const struct zdb_entry *e = db ? zdb_lookup(db, lapex, len) : NULL;
	struct zdb *nd = zdb_clone(db);
	int labels;

	if (!nd || !e)
		return nd;
	labels = e->apex->label_count;
	if (node_remove(&nd->root, 0, lapex, len, ZDB_HASH(lapex, len))) {
		zdb_free(nd);
		return NULL;
	}
	nd->count--;
	nd->at_depth[labels]--;
	while (nd->max_labels > 0 && nd->at_depth[nd->max_labels] == 0)
		nd->max_labels--;
	return nd;
}

const struct zdb *zdb_current(void)
{
	return __atomic_load_n(&zdb_cur, __ATOMIC_CONSUME);
}

static void zdb_release(struct zdb *db)
{
	node_unref(db->root);
	free(db);
}

static void zdb_rcu_free(struct rcu_head *head)
{
	zdb_release(caa_container_of(head, struct zdb, rcu));
}

void zdb_publish(struct zdb *db)
{
	struct zdb *old;

	db->published = true;
	/* rcu_xchg_pointer's ordering, in atomics ThreadSanitizer sees */
	old = __atomic_exchange_n(&zdb_cur, db, __ATOMIC_SEQ_CST);
	if (old)
		call_rcu(&old->rcu, zdb_rcu_free);
}

void zdb_free(struct zdb *db)
{
	if (!db)
		return;
	lv_require(!db->published);
	zdb_release(db);
}

void zdb_shutdown(void)
{
	struct zdb *old = __atomic_exchange_n(&zdb_cur, NULL, __ATOMIC_SEQ_CST);

	if (old)
		call_rcu(&old->rcu, zdb_rcu_free);
	rcu_barrier();
}
