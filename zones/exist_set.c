/* exist_set.c -- the set of names that exist, as chained keyed hashes
 * (exist_set.h).
 *
 * The table is open addressing with linear probing over a power of two
 * of 16-byte slots, doubled before it is half full; the probe starts at
 * the hash's low bits (the hash is keyed: nobody outside can crowd a
 * run). A slot is in use when its `used` byte is set (every 64-bit value
 * is a possible hash). Beside the flags, a slot keeps the depth of the
 * zone that wrote them (apex labels + 1; 0 for an ABOVE entry), and a
 * write merges by depth: a deeper zone's flags replace a shallower one's,
 * equal depths (one zone, or a 64-bit collision inside it) take the
 * union. A collision between names of two zones of different depths
 * (2^-64 a pair) would keep the deeper one's flags only.
 *
 * Nodes are read with zone_index_foreach (internal.h), which visits
 * every node of the version's index, empty non-terminals included; the
 * public zone_walk skips those.
 */
#include "zones/exist_set.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/name.h"
#include "zones/internal.h"
#include "zones/zdb.h"

struct exist_slot {
	uint64_t h;
	uint8_t flags;
	uint8_t depth;
	uint8_t used;
};

struct exist_set {
	uint8_t key[EXIST_KEY_LEN];
	struct exist_slot *slot;
	size_t mask;          /* slots - 1 */
	size_t count;
};

#define EXIST_SET_MIN_SLOTS 64

static uint64_t sip(const uint8_t key[EXIST_KEY_LEN], const uint8_t *in,
		    size_t len)
{
	unsigned char out[crypto_shorthash_BYTES];
	uint64_t h = 0;

	crypto_shorthash(out, in, len, key);
	for (int i = 7; i >= 0; i--)
		h = h << 8 | out[i];
	return h;
}

uint64_t exist_hash_root(const uint8_t key[EXIST_KEY_LEN])
{
	static const uint8_t root = 0;

	return sip(key, &root, 1);
}

uint64_t exist_hash_label(const uint8_t key[EXIST_KEY_LEN], uint64_t parent,
			  const uint8_t *label)
{
	uint8_t buf[8 + 1 + 63];
	unsigned len = label[0] & 63;

	for (int i = 0; i < 8; i++)
		buf[i] = (uint8_t)(parent >> (8 * i));
	buf[8] = (uint8_t)len;
	name_lower_bytes(buf + 9, label + 1, len);
	return sip(key, buf, 9 + len);
}

/* H of the labels of name in front of its last `skip` labels, chained on
 * h, the hash of that suffix. offs: the label offsets, labels of them. */
static uint64_t hash_down(const uint8_t key[EXIST_KEY_LEN], uint64_t h,
			  const uint8_t *name, const uint8_t *offs,
			  int labels, int skip)
{
	for (int i = labels - 1 - skip; i >= 0; i--)
		h = exist_hash_label(key, h, name + offs[i]);
	return h;
}

/* Label offsets of a well-formed name; returns the count. */
static int label_offsets(const uint8_t *name, uint8_t offs[NAME_MAX_LABELS])
{
	int n = 0;
	size_t p = 0;

	while (name[p] && n < NAME_MAX_LABELS && p < NAME_MAX_LEN) {
		offs[n++] = (uint8_t)p;
		p += (size_t)name[p] + 1;
	}
	return n;
}

uint64_t exist_hash_name(const uint8_t key[EXIST_KEY_LEN],
			 const uint8_t *name)
{
	uint8_t offs[NAME_MAX_LABELS];
	int n = label_offsets(name, offs);

	return hash_down(key, exist_hash_root(key), name, offs, n, 0);
}

struct exist_set *exist_set_new(const uint8_t key[EXIST_KEY_LEN])
{
	struct exist_set *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->slot = calloc(EXIST_SET_MIN_SLOTS, sizeof(*s->slot));
	if (!s->slot) {
		free(s);
		return NULL;
	}
	memcpy(s->key, key, EXIST_KEY_LEN);
	s->mask = EXIST_SET_MIN_SLOTS - 1;
	return s;
}

static struct exist_slot *probe(struct exist_slot *t, size_t mask,
				uint64_t h)
{
	size_t i = (size_t)h & mask;

	while (t[i].used && t[i].h != h)
		i = (i + 1) & mask;
	return &t[i];
}

static int grow(struct exist_set *s)
{
	size_t slots = (s->mask + 1) * 2;
	struct exist_slot *t = calloc(slots, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i <= s->mask; i++)
		if (s->slot[i].used)
			*probe(t, slots - 1, s->slot[i].h) = s->slot[i];
	free(s->slot);
	s->slot = t;
	s->mask = slots - 1;
	return 0;
}

/* Writes (h, flags) from a zone of depth (see the file header). */
static int put(struct exist_set *s, uint64_t h, unsigned flags,
	       unsigned depth)
{
	struct exist_slot *e;

	if ((s->count + 1) * 2 > s->mask + 1 && grow(s) < 0)
		return -ENOMEM;
	e = probe(s->slot, s->mask, h);
	if (!e->used) {
		e->used = 1;
		e->h = h;
		e->flags = (uint8_t)flags;
		e->depth = (uint8_t)depth;
		s->count++;
	} else if (depth > e->depth) {
		e->flags = (uint8_t)flags;
		e->depth = (uint8_t)depth;
	} else if (depth == e->depth) {
		e->flags |= (uint8_t)flags;
	}
	return 0;
}

struct add_ctx {
	struct exist_set *s;
	const struct zone *z;
	uint32_t gen;
	uint64_t h_apex;
	int apex_labels;
	unsigned depth;
	unsigned extra;
	unsigned apex_wild;    /* EXIST_WILDCARD when the apex has a "*" */
	int rc;
};

static void add_node(const struct zone_node *n, void *arg)
{
	struct add_ctx *c = arg;
	const struct znode_data *d = znode_at(n, c->gen);
	uint8_t offs[NAME_MAX_LABELS];
	unsigned f = 0;
	int labels;

	if (c->rc < 0)
		return;
	if (d->flags & (ZNODE_GONE | ZNODE_NONAUTH | ZNODE_UNDER_DNAME))
		return;   /* no name, or the walk stops above it */
	if (zone_nsec3_owner(c->z, n)) {
		f = c->apex_wild;   /* judged as its parent, the apex */
	} else {
		if (d->flags & ZNODE_APEX)
			f |= EXIST_APEX | c->extra;
		if (d->wildcard_child)
			f |= EXIST_WILDCARD;
		if (d->flags & ZNODE_DELEGATION)
			f |= EXIST_CUT;
		if (d->flags & ZNODE_DNAME)
			f |= EXIST_DNAME;
	}
	labels = label_offsets(n->name, offs);
	c->rc = put(c->s, hash_down(c->s->key, c->h_apex, n->name, offs,
				    labels, c->apex_labels),
		    f, c->depth);
}

int exist_set_add_zone(struct exist_set *s, const struct zone *z,
		       unsigned extra)
{
	const struct zone_node *apex = zone_apex_node(z);
	uint8_t offs[NAME_MAX_LABELS];
	struct add_ctx c = {
		.s = s, .z = z, .gen = zone_gen(z),
		.extra = extra & EXIST_OPAQUE,
	};
	uint64_t h = exist_hash_root(s->key);
	int labels = label_offsets(apex->name, offs);
	int rc;

	/* the apex's ancestors, the root first */
	for (int i = labels; i > 0; i--) {
		if ((rc = put(s, h, EXIST_ABOVE, 0)) < 0)
			return rc;
		h = exist_hash_label(s->key, h, apex->name + offs[i - 1]);
	}
	c.h_apex = h;
	c.apex_labels = labels;
	c.depth = (unsigned)labels + 1;
	c.apex_wild = znode_at(apex, c.gen)->wildcard_child ?
		EXIST_WILDCARD : 0;
	zone_index_foreach(z, add_node, &c);
	return c.rc;
}

static int add_one(const struct zone *z, void *arg)
{
	return exist_set_add_zone(arg, z, zone_serve_state(z) ?
				  EXIST_OPAQUE : 0);
}

int exist_set_add_zdb(struct exist_set *s, const struct zdb *db)
{
	return zdb_foreach(db, add_one, s);
}

size_t exist_set_count(const struct exist_set *s)
{
	return s->count;
}

size_t exist_set_memory(const struct exist_set *s)
{
	return sizeof(*s) + (s->mask + 1) * sizeof(*s->slot);
}

bool exist_set_get(const struct exist_set *s, uint64_t h, unsigned *flags)
{
	const struct exist_slot *e = probe(s->slot, s->mask, h);

	if (!e->used)
		return false;
	if (flags)
		*flags = e->flags;
	return true;
}

bool exist_set_next(const struct exist_set *s, size_t *cursor, uint64_t *h,
		    unsigned *flags)
{
	for (size_t i = *cursor; i <= s->mask; i++) {
		if (!s->slot[i].used)
			continue;
		*h = s->slot[i].h;
		*flags = s->slot[i].flags;
		*cursor = i + 1;
		return true;
	}
	*cursor = s->mask + 1;
	return false;
}

enum exist_verdict exist_set_judge(const struct exist_set *s,
				   const uint8_t *name)
{
	uint8_t offs[NAME_MAX_LABELS];
	int n = label_offsets(name, offs);
	uint64_t h = exist_hash_root(s->key);
	unsigned f, prev;

	if (!exist_set_get(s, h, &prev))
		return EXIST_PASS_NONE;
	if (prev & EXIST_STOP)
		return EXIST_PASS_BELOW;
	for (int i = n - 1; i >= 0; i--) {
		h = exist_hash_label(s->key, h, name + offs[i]);
		if (!exist_set_get(s, h, &f)) {
			/* ABOVE alone: no zone holds the parent */
			if (prev & EXIST_ABOVE)
				return EXIST_PASS_NONE;
			return prev & EXIST_WILDCARD ? EXIST_PASS_BELOW :
						       EXIST_DROP;
		}
		if (f & EXIST_STOP)
			return EXIST_PASS_BELOW;
		prev = f;
	}
	return EXIST_PASS_EXISTS;
}

void exist_set_free(struct exist_set *s)
{
	if (!s)
		return;
	free(s->slot);
	free(s);
}
