/* zone_builder.c -- builds one zone from records in any order.
 *
 * The contract (zone_builder.h): records in any order, duplicates merged,
 * every zone rule checked as a record arrives, so a loader can name the
 * line and a transfer the record that breaks it, and a refused record
 * changes nothing. The zone file loader uses it today; transfers, reloads
 * and IXFR will too.
 *
 * Adding. zone_builder_add() checks the record (owner inside the zone,
 * class IN, one SOA, CNAME alone, one DNAME and nothing below it) before
 * it touches anything: it finds the owner's node, or its deepest existing
 * ancestor, in a build hash table (open addressing over node indices),
 * and only once the record passed creates the node and every missing
 * ancestor down from that one, so a node's parent always has a smaller
 * index. Whether a DNAME lies above a new record is a walk up the parents,
 * made only in a zone that has a DNAME; whether data lies below a new
 * DNAME is a flag each node gets when its first child is made. Nodes
 * (struct zone_node, 48 bytes, its name right behind it) are final from
 * the start: they are carved from the zone arena's byte pool and never
 * move, so parent and wildcard_child pointers are set at creation; a
 * malloc'd array maps node index to node during the build. Records wait
 * in a temporary arena as a linked list per node (16 bytes plus RDATA
 * each), with per-node build data in one malloc'd array. A loader that
 * holds records ahead calls zone_builder_prefetch() so the build hash's
 * cache misses overlap.
 *
 * Finishing. zone_builder_finish() makes one pass over the nodes in index
 * order: it sorts each node's records by type and RDATA (insertion sort;
 * qsort for big nodes), drops duplicates, writes the RRsets in wire form,
 * and derives the flags, parents first (NONAUTH below a cut, UNDER_DNAME
 * below a DNAME). The build hash, whose slots carry the 32-bit hash
 * beside the node index, becomes the zone's index in place, each slot
 * rewritten as a 16-bit tag of the hash above the node's 48-bit address
 * (internal.h; pages of at most 1,024 slots, at most half full, freed by
 * zone_free()); every other temporary structure is freed. The work is
 * O(n) plus the per-node sorts. Nodes, names and wire bytes are packed
 * in the zone arena at the alignment each needs (zone_pool_alloc), not
 * padded to the arena's 16 bytes. For a zone of one A or AAAA record per
 * name a node costs about 48 (node) + 32 (rrset) + name + wire + 8 to 16
 * (index) bytes.
 *
 * Nothing is sized for a big zone up front: the arenas start at 1 KiB and
 * double (arena.h), the build hash and the node arrays start at
 * ZONE_BUILD_FIRST entries and double, so a zone of ten records holds
 * about 1.5 KiB once built (one arena chunk, an index of 16 slots, its
 * structs) and a large one pays a few more doublings of arrays it doubled
 * anyway.
 *
 * Ownership: the builder owns the zone under construction and its
 * temporary memory until zone_builder_finish() hands the zone (one
 * reference) to the caller or zone_builder_free() drops it all. One
 * thread at a time; no lock, no global state.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dns.h"
#include "zones/arena.h"
#include "common/errcode.h"
#include "zones/internal.h"
#include "common/name.h"
#include "zones/zone.h"
#include "zones/zone_builder.h"

/* The largest arena chunk of a zone and of its build records (arena.h:
 * chunks start at 1 KiB and double up to this). */
#define ZONE_ARENA_CHUNK (256 * 1024)
/* Slots of the build hash and entries of the node arrays at the start;
 * both double as nodes come (the hash stays at most half full), so a zone
 * of a few names holds an index of 16 slots, not one sized for a big
 * zone. */
#define ZONE_BUILD_FIRST 16

enum {
	BHAS_BELOW = ZHAS_FIRST_FREE, /* a node below it exists, so data does */
};

/* Build-time data of one node, indexed like the nodes. */
struct bnode {
	struct brec *head;    /* newest record first */
	uint32_t nrec;
	uint32_t has;
};

struct zone_builder {
	struct zone_family *fam;    /* final: its pool holds nodes, names,
				     * rrsets, wire */
	struct arena *tmp;          /* temporary: brec */
	struct zone_pool tpool;
	struct zone_node **nodes;   /* node index -> node (in the zone arena) */
	struct bnode *info;
	size_t count, cap;
	/* The build hash, in the index's pages (internal.h) so that it
	 * becomes the index in place: slot = hash << 32 | node index + 1
	 * while building, rewritten to the index's form by finish. */
	struct zone_pref *hpages;
	uint32_t hash_mask, hpage_mask;
	uint8_t hpage_shift;
	int64_t last;               /* node of the previous record */
	size_t dnames;              /* nodes holding a DNAME */
	uint8_t origin[NAME_MAX_LEN];
	size_t origin_len;
	int origin_labels;
	size_t records;
	size_t final_records;       /* after duplicates merged */
};

static inline struct zone_node *bnode_at(struct zone_builder *b, size_t i)
{
	return b->nodes[i];
}

void zone_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* --- build hash --- */

/* The build hash's slot i, and the next one of its probe (within its
 * page, as zone_find() probes). */
static inline uint64_t *zone_bslot(const struct zone_builder *b, uint32_t i)
{
	return &b->hpages[i >> b->hpage_shift].slot[i & b->hpage_mask];
}

static inline uint32_t zone_bnext(uint32_t pmask, uint32_t i)
{
	return (i & ~pmask) | ((i + 1) & pmask);
}

static int64_t zone_bfind(struct zone_builder *b, const uint8_t *lname,
			  size_t len, uint32_t h)
{
	uint32_t i = h & b->hash_mask;

	for (;;) {
		uint64_t s = *zone_bslot(b, i);
		struct zone_node *n;
		uint32_t idx = (uint32_t)s - 1;

		if (s == 0)
			return -1;
		if ((uint32_t)(s >> 32) == h) {
			n = bnode_at(b, idx);
			if (n->name_len == len &&
			    memcmp(n->name, lname, len) == 0)
				return idx;
		}
		i = zone_bnext(b->hpage_mask, i);
	}
}

static void zone_bput(struct zone_builder *b, uint64_t s)
{
	uint32_t i = (uint32_t)(s >> 32) & b->hash_mask;

	while (*zone_bslot(b, i))
		i = zone_bnext(b->hpage_mask, i);
	*zone_bslot(b, i) = s;
	b->hpages[i >> b->hpage_shift].pg->used++;
}

static int zone_bhash_grow(struct zone_builder *b)
{
	struct zone_builder old = *b;
	uint32_t nmask = b->hash_mask * 2 + 1;

	b->hpages = zone_pages_new(nmask + 1, &b->hpage_mask,
				    &b->hpage_shift);
	if (!b->hpages) {
		*b = old;
		return -ENOMEM;
	}
	b->hash_mask = nmask;
	for (uint32_t k = 0; k <= old.hash_mask; k++) {
		uint64_t s = *zone_bslot(&old, k);

		if (s)
			zone_bput(b, s);
	}
	zone_pages_free(old.hpages, (old.hash_mask >> old.hpage_shift) + 1);
	return 0;
}

struct zone_node *zone_node_alloc(struct zone_family *fam,
				  const uint8_t *lname, size_t len,
				  const struct zone_node *parent)
{
	/* The name right behind its node: one cache line or two per hit. */
	struct zone_node *n = zone_pool_alloc(&fam->pool, ZNODE_SIZE(len), 8);

	if (!n)
		return NULL;
	if ((uint64_t)(uintptr_t)n >> ZONE_PTR_BITS)
		return NULL; /* cannot be tagged (see ZONE_PTR_BITS) */
	memset(n, 0, offsetof(struct zone_node, name));
	memcpy(n->name, lname, len);
	n->name_len = (uint8_t)len;
	n->label_count = (uint8_t)name_label_count(lname);
	n->parent = parent;
	return n;
}

/* New node for lname (lowercase) under parent index `parent` (-1 for the
 * apex). Returns its index or -ENOMEM. */
static int64_t zone_bnode_new(struct zone_builder *b, const uint8_t *lname,
			      size_t len, uint32_t h, int64_t parent)
{
	struct zone_node *n;
	size_t idx = b->count;

	if (idx >= UINT32_MAX - 1)
		return -ENOMEM;
	if (idx >= b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : ZONE_BUILD_FIRST;
		struct bnode *ni = realloc(b->info, ncap * sizeof(*ni));
		struct zone_node **nn;

		if (!ni)
			return -ENOMEM;
		b->info = ni;
		nn = realloc(b->nodes, ncap * sizeof(*nn));
		if (!nn)
			return -ENOMEM;
		b->nodes = nn;
		b->cap = ncap;
	}
	if ((idx + 1) * 2 > (size_t)b->hash_mask + 1 && zone_bhash_grow(b))
		return -ENOMEM;
	while (!zone_page_has_room(b->hpages[(h & b->hash_mask) >>
					     b->hpage_shift].pg->used,
				   b->hpage_mask + 1)) {
		if (!zone_index_may_grow(b->hash_mask + 1, idx))
			return LV_ECOLLIDE;
		if (zone_bhash_grow(b))
			return -ENOMEM;
	}
	n = zone_node_alloc(b->fam, lname, len,
			    parent >= 0 ? bnode_at(b, (size_t)parent) : NULL);
	if (!n)
		return -ENOMEM;
	b->nodes[idx] = n;
	if (lname[0] == 1 && lname[1] == '*')
		n->base.flags |= ZNODE_WILDCARD;
	if (parent >= 0) {
		struct zone_node *p = bnode_at(b, (size_t)parent);

		p->base.gen++;   /* its live children */
		if (n->base.flags & ZNODE_WILDCARD)
			p->base.wildcard_child = n;
	} else {
		n->base.flags |= ZNODE_APEX;
	}
	memset(&b->info[idx], 0, sizeof(b->info[idx]));
	if (parent >= 0)
		b->info[parent].has |= BHAS_BELOW;
	b->count++;

	zone_bput(b, (uint64_t)h << 32 | ((uint32_t)idx + 1));
	return (int64_t)idx;
}

/* Index of the deepest node that is lname (lowercase, at or below the
 * origin) or one of its ancestors; *strip gets the labels between them (0:
 * lname itself is a node). The apex always exists, so there is one. */
static int64_t zone_bnode_deepest(struct zone_builder *b,
				  const uint8_t *lname, const uint8_t *offs,
				  int labels, int *strip)
{
	size_t total = (size_t)offs[labels] + 1;
	int k = labels - b->origin_labels; /* labels to strip to reach apex */
	int64_t found = -1;
	int at;

	for (at = 0; at <= k; at++) {
		const uint8_t *s = lname + offs[at];
		size_t len = total - offs[at];

		found = zone_bfind(b, s, len, name_hash(s, len));
		if (found >= 0)
			break;
	}
	*strip = at;
	return found;
}

/* Creates the `strip` nodes missing between node `found` and lname (see
 * zone_bnode_deepest); returns lname's index or -ENOMEM. */
static int64_t zone_bnode_make(struct zone_builder *b, const uint8_t *lname,
			       const uint8_t *offs, int labels, int64_t found,
			       int strip)
{
	size_t total = (size_t)offs[labels] + 1;

	while (strip > 0) {
		const uint8_t *s;
		size_t len;

		strip--;
		s = lname + offs[strip];
		len = total - offs[strip];
		found = zone_bnode_new(b, s, len, name_hash(s, len), found);
		if (found < 0)
			return found;
	}
	return found;
}

struct zone_builder *zone_builder_new(const uint8_t *origin)
{
	struct zone_builder *b = calloc(1, sizeof(*b));
	struct arena *a;

	if (!b)
		return NULL;
	a = arena_new(ZONE_ARENA_CHUNK);
	b->tmp = arena_new(ZONE_ARENA_CHUNK);
	b->fam = calloc(1, sizeof(*b->fam));
	if (!a || !b->tmp || !b->fam) {
		arena_destroy(a);
		arena_destroy(b->tmp);
		free(b->fam);
		free(b);
		return NULL;
	}
	b->fam->arena = a;
	b->fam->pool.arena = a;
	b->fam->next_gen = 1;
	pthread_mutex_init(&b->fam->lock, NULL);
	zone_family_hits_init(b->fam);
	b->tpool.arena = b->tmp;
	b->origin_len = name_to_lower(b->origin, origin);
	b->origin_labels = name_label_count(b->origin);
	b->hash_mask = ZONE_BUILD_FIRST - 1;
	b->last = -1;
	b->hpages = zone_pages_new(b->hash_mask + 1, &b->hpage_mask,
				    &b->hpage_shift);
	if (!b->hpages)
		goto fail_arena;
	if (zone_bnode_new(b, b->origin, b->origin_len,
			   name_hash(b->origin, b->origin_len), -1) < 0)
		goto fail_all;
	return b;
fail_all:
	zone_pages_free(b->hpages, (b->hash_mask >> b->hpage_shift) + 1);
	free(b->nodes);
	free(b->info);
fail_arena:
	pthread_mutex_destroy(&b->fam->lock);
	free(b->fam->hits);
	free(b->fam);
	arena_destroy(a);
	arena_destroy(b->tmp);
	free(b);
	return NULL;
}

void zone_builder_free(struct zone_builder *b)
{
	if (!b)
		return;
	if (b->hpages)
		zone_pages_free(b->hpages,
				 (b->hash_mask >> b->hpage_shift) + 1);
	free(b->nodes);
	free(b->info);
	arena_destroy(b->tmp);
	if (b->fam) {
		/* no version was made: the family is the builder's alone */
		free(b->fam->gone.slot);
		pthread_mutex_destroy(&b->fam->lock);
		arena_destroy(b->fam->arena);
		free(b->fam->hits);
		free(b->fam);
	}
	free(b);
}

const char *zone_type_text(uint16_t type, char *buf, size_t len)
{
	static const struct { uint16_t type; const char *name; } names[] = {
		{ DNS_TYPE_A, "A" }, { DNS_TYPE_NS, "NS" },
		{ DNS_TYPE_CNAME, "CNAME" }, { DNS_TYPE_SOA, "SOA" },
		{ DNS_TYPE_PTR, "PTR" }, { DNS_TYPE_MX, "MX" },
		{ DNS_TYPE_TXT, "TXT" }, { DNS_TYPE_AAAA, "AAAA" },
		{ DNS_TYPE_SRV, "SRV" }, { DNS_TYPE_DNAME, "DNAME" },
		{ DNS_TYPE_DS, "DS" }, { DNS_TYPE_RRSIG, "RRSIG" },
		{ DNS_TYPE_NSEC, "NSEC" }, { DNS_TYPE_DNSKEY, "DNSKEY" },
		{ DNS_TYPE_NSEC3, "NSEC3" }, { DNS_TYPE_CAA, "CAA" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].type == type)
			return names[i].name;
	snprintf(buf, len, "TYPE%u", type);
	return buf;
}

/* Length of the uncompressed name at the start of p[0, n), or 0 when
 * none is there (truncated, a compression pointer, over 255 bytes). */
size_t zone_rdata_name_len(const uint8_t *p, size_t n)
{
	size_t o = 0;

	while (o < n) {
		if (p[o] == 0)
			return o + 1;
		if (p[o] > 63)
			return 0;
		o += 1u + p[o];
		if (o >= NAME_MAX_LEN)
			return 0;
	}
	return 0;
}

/* Whether a record is NSEC3 data (an NSEC3, or an RRSIG that covers
 * one) one label below the apex, where RFC 5155 puts NSEC3 owners. Such
 * records may lie below a DNAME at the apex: they belong to the NSEC3
 * chain, not to the names the DNAME redirects (knotd keeps them in a tree
 * of their own). */
bool zone_is_nsec3_rec(int apex_labels, int labels, uint16_t type,
		       const uint8_t *rdata, uint16_t rdlen)
{
	if (labels != apex_labels + 1)
		return false;
	return type == DNS_TYPE_NSEC3 ||
	       (type == DNS_TYPE_RRSIG && rdlen >= 2 &&
		((uint16_t)(rdata[0] << 8 | rdata[1])) == DNS_TYPE_NSEC3);
}

/* A node below node idx that holds data other than NSEC3 data (see
 * zone_is_nsec3_rec), or NULL. Descendants come after their ancestors
 * in index order. O(nodes x labels): only for a DNAME over a node that
 * has nodes below it, which is an error or a signed zone's apex, once. */
static const struct zone_node *zone_data_below(struct zone_builder *b,
					       size_t idx)
{
	const struct zone_node *top = bnode_at(b, idx);

	for (size_t i = idx + 1; i < b->count; i++) {
		const struct zone_node *n = bnode_at(b, i), *p = n;
		bool nsec3 = true;

		while (p && p->label_count > top->label_count)
			p = p->parent;
		if (p != top || b->info[i].nrec == 0)
			continue;
		for (const struct brec *r = b->info[i].head; r && nsec3;
		     r = r->next)
			nsec3 = zone_is_nsec3_rec(b->origin_labels, n->label_count, r->type,
						   r->rdata, r->rdlen);
		if (!nsec3)
			return n;
	}
	return NULL;
}

/* The rules one record must keep with what the builder holds. idx is
 * the owner's node when strip is 0, else its deepest existing ancestor
 * (see zone_bnode_deepest). Returns 0 to add the record, 1 when it is a
 * CNAME or DNAME already there (merged), or an error with its reason.
 * O(labels) when the zone has a DNAME, O(1) otherwise. */
static int zone_builder_check(struct zone_builder *b, const uint8_t *lname,
			      int labels, int64_t idx, int strip,
			      uint16_t type, const uint8_t *rdata,
			      uint16_t rdlen, char *err, size_t errlen)
{
	const struct bnode *bn = strip ? NULL : &b->info[idx];
	uint32_t has = bn ? bn->has : 0;
	char text[NAME_MAX_LEN * 4 + 1], dtext[NAME_MAX_LEN * 4 + 1];
	char tbuf[16];
	const struct brec *r;
	size_t m, rn;

	if (type == DNS_TYPE_SOA) {
		if (labels != b->origin_labels) {
			zone_err(err, errlen, "SOA at %s, not at the zone apex",
				 name_to_text(lname, text, sizeof(text)));
			return LV_EMALF;
		}
		if (has & ZHAS_SOA) {
			zone_err(err, errlen, "second SOA record");
			return LV_ESOA2;
		}
		/* finish() reads the serial behind the two names */
		m = zone_rdata_name_len(rdata, rdlen);
		rn = m ? zone_rdata_name_len(rdata + m, rdlen - m) : 0;
		if (!rn || rdlen - m - rn != 20) {
			zone_err(err, errlen, "malformed SOA RDATA");
			return LV_EMALF;
		}
	}
	if (type == DNS_TYPE_CNAME) {
		if (has & ZHAS_OTHER) {
			zone_err(err, errlen, "CNAME beside other data at %s",
				 name_to_text(lname, text, sizeof(text)));
			return LV_ECNAME;
		}
	} else if (type != DNS_TYPE_RRSIG && type != DNS_TYPE_NSEC &&
		   (has & ZHAS_CNAME)) {
		zone_err(err, errlen, "%s beside a CNAME at %s",
			 zone_type_text(type, tbuf, sizeof(tbuf)),
			 name_to_text(lname, text, sizeof(text)));
		return LV_ECNAME;
	}
	/* CNAME and DNAME are singletons (RFC 2181 10.1, RFC 6672 2.4):
	 * the same record again is merged, another one refused. */
	if ((type == DNS_TYPE_CNAME && (has & ZHAS_CNAME)) ||
	    (type == DNS_TYPE_DNAME && (has & ZHAS_DNAME))) {
		for (r = bn->head; r; r = r->next)
			if (r->type == type && r->rdlen == rdlen &&
			    memcmp(r->rdata, rdata, rdlen) == 0)
				return 1;
		zone_err(err, errlen, "second %s at %s",
			 zone_type_text(type, tbuf, sizeof(tbuf)),
			 name_to_text(lname, text, sizeof(text)));
		return type == DNS_TYPE_CNAME ? LV_ECNAME : LV_EDNAME;
	}
	/* RFC 6672 2.4: no data below a DNAME. Refused as knotd and nsd
	 * do, in either order: data below one (here), a DNAME above data
	 * (next). The apex's NSEC3 chain is not below its DNAME. */
	if (b->dnames && !zone_is_nsec3_rec(b->origin_labels, labels, type, rdata, rdlen)) {
		const struct zone_node *p = bnode_at(b, (size_t)idx);

		for (p = strip ? p : p->parent; p; p = p->parent) {
			if (!(p->base.flags & ZNODE_DNAME))
				continue;
			zone_err(err, errlen, "%s at %s is below the DNAME at "
				 "%s (RFC 6672 2.4)",
				 zone_type_text(type, tbuf, sizeof(tbuf)),
				 name_to_text(lname, text, sizeof(text)),
				 name_to_text(p->name, dtext, sizeof(dtext)));
			return LV_EDNAME;
		}
	}
	if (type == DNS_TYPE_DNAME && (has & BHAS_BELOW)) {
		const struct zone_node *d = zone_data_below(b, (size_t)idx);

		if (d) {
			zone_err(err, errlen, "DNAME at %s has data below it "
				 "at %s (RFC 6672 2.4)",
				 name_to_text(lname, text, sizeof(text)),
				 name_to_text(d->name, dtext, sizeof(dtext)));
			return LV_EDNAME;
		}
	}
	return 0;
}

int zone_builder_add(struct zone_builder *b, const uint8_t *owner,
		     uint16_t type, uint16_t rclass, uint32_t ttl,
		     const uint8_t *rdata, uint16_t rdlen,
		     char *err, size_t errlen)
{
	uint8_t lname[NAME_MAX_LEN];
	uint8_t offs[NAME_MAX_LABELS + 1];
	char text[NAME_MAX_LEN * 4 + 1];
	struct bnode *bn;
	struct brec *r;
	const struct zone_node *ln;
	size_t len;
	int64_t idx;
	int labels, strip = 0, rc;

	len = name_to_lower(lname, owner);
	if (rclass != DNS_CLASS_IN) {
		zone_err(err, errlen, "class %u of %s is not IN", rclass,
			 name_to_text(lname, text, sizeof(text)));
		return LV_ECLASS;
	}
	labels = zone_label_offsets(lname, offs);
	if (labels < b->origin_labels ||
	    len - offs[labels - b->origin_labels] != b->origin_len ||
	    memcmp(lname + offs[labels - b->origin_labels], b->origin,
		   b->origin_len) != 0) {
		char otext[NAME_MAX_LEN * 4 + 1];

		zone_err(err, errlen, "%s is outside the zone %s",
			 name_to_text(lname, text, sizeof(text)),
			 name_to_text(b->origin, otext, sizeof(otext)));
		return LV_EOUTSIDE;
	}
	/* Records of one owner usually come together: try the last one.
	 * Nothing is created before the record passed its checks, so a
	 * refused record leaves the builder as it was. */
	idx = b->last;
	ln = idx >= 0 ? bnode_at(b, (size_t)idx) : NULL;
	if (!ln || ln->name_len != len || memcmp(ln->name, lname, len) != 0)
		idx = zone_bnode_deepest(b, lname, offs, labels, &strip);
	if (idx < 0) {
		zone_err(err, errlen, "out of memory");
		return -ENOMEM; /* no apex: cannot happen */
	}
	rc = zone_builder_check(b, lname, labels, idx, strip, type, rdata,
				rdlen, err, errlen);
	if (rc)
		return rc == 1 ? 0 : rc;

	r = zone_pool_alloc(&b->tpool, sizeof(*r) + rdlen, 8);
	if (r && strip)
		idx = zone_bnode_make(b, lname, offs, labels, idx, strip);
	if (idx == LV_ECOLLIDE) {
		zone_err(err, errlen, "%s: %s",
			 name_to_text(lname, text, sizeof(text)),
			 lv_strerror(LV_ECOLLIDE));
		return LV_ECOLLIDE;
	}
	if (!r || idx < 0) {
		zone_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	b->last = idx;
	bn = &b->info[idx];
	r->type = type;
	r->rdlen = rdlen;
	r->ttl = ttl;
	if (rdlen)
		memcpy(r->rdata, rdata, rdlen);
	r->next = bn->head;
	bn->head = r;
	bn->nrec++;
	if (type == DNS_TYPE_DNAME && !(bn->has & ZHAS_DNAME)) {
		/* zone_builder_check() walks ancestors by node flags */
		bnode_at(b, (size_t)idx)->base.flags |= ZNODE_DNAME;
		b->dnames++;
	}
	bn->has |= zone_has_of(type);
	b->records++;
	return 0;
}

void zone_builder_prefetch(const struct zone_builder *b, const uint8_t *owner)
{
	uint8_t lname[NAME_MAX_LEN];
	size_t len = name_to_lower(lname, owner);

	__builtin_prefetch(zone_bslot(b, name_hash(lname, len) & b->hash_mask));
}

/* Order of records in a node: type, then RDATA (shorter first on a tie of
 * the common prefix); equal means duplicate. */
int zone_brec_cmp(const struct brec *a, const struct brec *b)
{
	size_t m;
	int c;

	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	m = a->rdlen < b->rdlen ? a->rdlen : b->rdlen;
	c = memcmp(a->rdata, b->rdata, m);
	if (c)
		return c;
	return (int)a->rdlen - (int)b->rdlen;
}

int zone_brec_qcmp(const void *a, const void *b)
{
	return zone_brec_cmp(*(struct brec *const *)a,
			     *(struct brec *const *)b);
}

static inline void zone_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void zone_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* The smallest number of bytes a compressed name n of len bytes can take:
 * its labels past the last DNS_COMPRESS_DEPTH literal, then a pointer (a
 * name of no more labels: the pointer alone; the root: 1 byte). */
static size_t zone_name_min(const uint8_t *n, size_t len)
{
	uint8_t offs[NAME_MAX_LABELS + 1];
	int labels = zone_label_offsets(n, offs);

	if (labels == 0)
		return 1;
	if (labels <= DNS_COMPRESS_DEPTH)
		return 2;
	size_t lit = offs[labels - DNS_COMPRESS_DEPTH];
	return lit + 2 < len ? lit + 2 : len;
}

/* rrset min_len (zone.h): per record 1 (the smallest owner) + 10 + RDATA
 * with its compressible names (the RFC 1035 types render.c compresses) at
 * their smallest. O(bytes of the set), once per set. */
static uint32_t zone_min_render(const struct rrset *s)
{
	unsigned names = 0;
	size_t first = 0, total = 0;
	const uint8_t *p = s->wire;

	switch (s->type) {
	case DNS_TYPE_NS: case DNS_TYPE_MD: case DNS_TYPE_MF:
	case DNS_TYPE_CNAME: case DNS_TYPE_MB: case DNS_TYPE_MG:
	case DNS_TYPE_MR: case DNS_TYPE_PTR:
		names = 1;
		break;
	case DNS_TYPE_SOA: case DNS_TYPE_MINFO:
		names = 2;
		break;
	case DNS_TYPE_MX:
		names = 1;
		first = 2;
		break;
	default:
		break;
	}
	for (uint16_t r = 0; r < s->rr_count; r++) {
		size_t rdlen = (size_t)p[8] << 8 | p[9], o = first, min = rdlen;

		for (unsigned k = 0; k < names && o < rdlen; k++) {
			size_t len = zone_rdata_name_len(p + 10 + o, rdlen - o);

			if (len == 0)
				break;
			min -= len - zone_name_min(p + 10 + o, len);
			o += len;
		}
		total += 1 + 10 + min;
		p += 10 + rdlen;
	}
	return total > UINT32_MAX ? UINT32_MAX : (uint32_t)total;
}

int zone_sets_plan(struct zone_scratch *sc, const struct brec *head,
		   size_t cnt, struct zone_plan *p)
{
	size_t nfirst = 0, j, k;
	const struct brec *r;

	memset(p, 0, sizeof(*p));
	if (cnt == 0)
		return 0;
	if (cnt > sc->cap) {
		size_t ncap = cnt < 64 ? 64 : cnt;
		struct brec **nr = realloc(sc->recs, ncap * sizeof(*nr));
		void *nf;

		if (nr)
			sc->recs = nr;
		nf = realloc(sc->first, ncap * sizeof(*sc->first));
		if (nf)
			sc->first = nf;
		if (!nr || !nf)
			return -ENOMEM;
		sc->cap = sc->first_cap = ncap;
	}
	/* File order (the list is newest first). */
	j = cnt;
	for (r = head; r && j > 0; r = r->next)
		sc->recs[--j] = (struct brec *)r;
	/* The TTL of a set is the TTL of its first record in the file. */
	for (j = 0; j < cnt; j++) {
		for (k = 0; k < nfirst; k++)
			if (sc->first[k].type == sc->recs[j]->type)
				break;
		if (k == nfirst) {
			sc->first[nfirst].type = sc->recs[j]->type;
			sc->first[nfirst].ttl = sc->recs[j]->ttl;
			nfirst++;
		}
	}
	if (cnt <= 16) {
		for (j = 1; j < cnt; j++) {
			struct brec *x = sc->recs[j];

			for (k = j; k > 0 && zone_brec_cmp(sc->recs[k - 1], x) > 0; k--)
				sc->recs[k] = sc->recs[k - 1];
			sc->recs[k] = x;
		}
	} else {
		qsort(sc->recs, cnt, sizeof(*sc->recs), zone_brec_qcmp);
	}
	/* Drop duplicates, count sets and wire bytes. */
	for (j = 0; j < cnt; j++) {
		if (p->uniq && zone_brec_cmp(sc->recs[p->uniq - 1], sc->recs[j]) == 0)
			continue;
		if (!p->uniq || sc->recs[p->uniq - 1]->type != sc->recs[j]->type)
			p->nsets++;
		if (sc->recs[j]->type == DNS_TYPE_RRSIG)
			p->sigs = true;
		sc->recs[p->uniq++] = sc->recs[j];
		p->wire += 10u + sc->recs[j]->rdlen;
	}
	p->nfirst = nfirst;
	return 0;
}

/* The RRSIG views of sets[0, n), one of them the RRSIG set, into
 * sets[n + i]: the RRSIG set's records are sorted by RDATA, which starts
 * with the type covered, so each covered type's records are one run of
 * it. One pass over the RRSIG set and the sets (both sorted by type). */
static void zone_sets_sigs(struct rrset *sets, size_t n)
{
	const struct rrset *rs = NULL;
	struct rrset *g = sets + n;

	for (size_t i = 0; i < n; i++) {
		g[i] = (struct rrset){ .type = DNS_TYPE_RRSIG,
				       .ttl = sets[i].ttl };
		if (sets[i].type == DNS_TYPE_RRSIG)
			rs = &sets[i];
	}
	if (!rs)
		return;
	const uint8_t *p = rs->wire, *end = rs->wire + rs->wire_len;
	size_t i = 0;
	while (p < end) {
		uint16_t rdlen = (uint16_t)(p[8] << 8 | p[9]);
		uint16_t cov = rdlen >= 2 ? (uint16_t)(p[10] << 8 | p[11]) : 0;
		size_t len = 10u + rdlen;

		while (i < n && sets[i].type < cov)
			i++;
		if (i < n && sets[i].type == cov) {
			struct rrset *v = &g[i];

			if (!v->rr_count)
				v->wire = p;
			v->rr_count++;
			v->wire_len += (uint32_t)len;
		}
		p += len;
	}
	for (i = 0; i < n; i++)
		if (g[i].rr_count)
			g[i].min_len = zone_min_render(&g[i]);
}

int zone_sets_write(const struct zone_scratch *sc, const struct zone_plan *p,
		    struct rrset *sets, uint8_t *w, const uint8_t *owner,
		    char *err, size_t errlen)
{
	size_t j, k = 0;

	for (j = 0; j < p->uniq; ) {
		uint16_t type = sc->recs[j]->type;
		uint32_t ttl = 0;
		size_t e, f;
		struct rrset *s = &sets[k++];

		for (f = 0; f < p->nfirst; f++)
			if (sc->first[f].type == type)
				ttl = sc->first[f].ttl;
		for (e = j; e < p->uniq && sc->recs[e]->type == type; e++)
			;
		if (e - j > UINT16_MAX) {
			char text[NAME_MAX_LEN * 4 + 1];

			zone_err(err, errlen, "more than 65535 records of type "
				 "%u at %s", type,
				 name_to_text(owner, text, sizeof(text)));
			return LV_EMALF;
		}
		s->type = type;
		s->rr_count = (uint16_t)(e - j);
		s->ttl = ttl;
		s->wire = w;
		s->targets = NULL;      /* zone_set_targets() */
		for (; j < e; j++) {
			const struct brec *r = sc->recs[j];

			zone_put16(w, type);
			zone_put16(w + 2, DNS_CLASS_IN);
			zone_put32(w + 4, ttl);
			zone_put16(w + 8, r->rdlen);
			if (r->rdlen)
				memcpy(w + 10, r->rdata, r->rdlen);
			w += 10u + r->rdlen;
		}
		s->wire_len = (uint32_t)(w - s->wire);
		s->min_len = zone_min_render(s);
	}
	if (p->sigs)
		zone_sets_sigs(sets, p->nsets);
	return 0;
}

/* Writes the RRsets of node idx. Returns 0, -ENOMEM or LV_EMALF. */
static int zone_build_node(struct zone_builder *b, size_t idx,
			   struct zone_scratch *sc, char *err, size_t errlen)
{
	struct bnode *bn = &b->info[idx];
	struct zone_node *n = bnode_at(b, idx);
	struct zone_plan p;
	struct rrset *sets;
	uint8_t *w;
	int rc;

	if (bn->nrec == 0)
		return 0;
	rc = zone_sets_plan(sc, bn->head, bn->nrec, &p);
	if (rc)
		return rc;
	sets = zone_pool_alloc(&b->fam->pool, zone_plan_slots(&p) *
			       sizeof(*sets), 8);
	w = zone_pool_alloc(&b->fam->pool, p.wire, 1);
	if (!sets || !w)
		return -ENOMEM;
	rc = zone_sets_write(sc, &p, sets, w, n->name, err, errlen);
	if (rc)
		return rc;
	n->base.rrsets = sets;
	n->base.rrset_count = (uint16_t)p.nsets;
	if (p.sigs)
		n->base.flags |= ZNODE_SIGNED;
	b->final_records += p.uniq;
	return 0;
}

/* The RDATA offset of the target name of a set whose targets are resolved
 * (RFC 1035 NS, MX and CNAME, RFC 2782 SRV), or -1 for another type. */
static int zone_addl_skip(uint16_t type)
{
	switch (type) {
	case DNS_TYPE_NS:
	case DNS_TYPE_CNAME:
		return 0;
	case DNS_TYPE_MX:
		return 2;
	case DNS_TYPE_SRV:
		return 6;
	default:
		return -1;
	}
}

/* A compressed target name whose node is resolved may be a pointer to
 * where the reply spells that node (render.c hints), at any depth: it
 * takes 2 bytes at least, not zone_name_min()'s literal labels past the
 * last DNS_COMPRESS_DEPTH. Lowers s->min_len to match. */
static void zone_min_hinted(struct rrset *s, const uint8_t *name, size_t max)
{
	size_t len = zone_rdata_name_len(name, max), min;

	if (len == 0 || s->min_len == UINT32_MAX)
		return;
	min = zone_name_min(name, len);
	if (min > 2 && s->min_len >= min - 2)
		s->min_len -= (uint32_t)(min - 2);
}

size_t zone_sets_target_slots(const struct rrset *sets, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (zone_addl_skip(sets[i].type) >= 0)
			k += sets[i].rr_count;
	return k;
}

/* The node for target lname (lowercase, len bytes) in version z: live,
 * else GONE (made, with the GONE ancestors it needs, when the family
 * has none), NULL outside the zone or out of memory (*oom set). */
static const struct zone_node *zone_target_node(struct zone *z,
						const uint8_t *lname,
						size_t len, bool *oom)
{
	struct zone_family *fam = z->fam;
	const struct zone_node *apex = z->apex, *n;
	uint8_t offs[NAME_MAX_LABELS + 1];
	int labels, at;

	n = zone_find(z, lname, len);
	if (n)
		return n;
	labels = zone_label_offsets(lname, offs);
	if (labels <= apex->label_count ||
	    len - offs[labels - apex->label_count] != apex->name_len ||
	    memcmp(lname + offs[labels - apex->label_count], apex->name,
		   apex->name_len) != 0)
		return NULL;
	/* the deepest ancestor the family has, then GONE nodes down */
	for (at = 0; at < labels - apex->label_count; at++) {
		const uint8_t *sfx = lname + offs[at];
		size_t sl = len - offs[at];

		n = zone_find(z, sfx, sl);
		if (!n)
			n = zone_nodeset_find(&fam->gone, sfx, sl);
		if (n)
			break;
	}
	if (!n)
		n = apex;
	while (at-- > 0) {
		struct zone_node *m = zone_node_alloc(fam, lname + offs[at],
						      len - offs[at], n);

		if (!m || zone_nodeset_add(&fam->gone, m)) {
			*oom = true;
			return NULL;
		}
		m->base.flags = ZNODE_GONE;
		n = m;
	}
	return n;
}

int zone_set_targets(struct zone *z, struct rrset *s,
		     const struct zone_node **t)
{
	uint8_t lname[NAME_MAX_LEN + 1];
	int skip = zone_addl_skip(s->type);
	const uint8_t *p = s->wire;
	bool any = false, oom = false;

	s->targets = NULL;
	if (skip < 0)
		return 0;
	if (t)
		memset(t, 0, s->rr_count * sizeof(*t));
	for (uint16_t r = 0; r < s->rr_count; r++) {
		size_t rdlen = (size_t)p[8] << 8 | p[9];
		const struct zone_node *tn = NULL;

		if (rdlen > (size_t)skip) {
			size_t len = name_to_lower(lname, p + 10 + skip);

			tn = zone_target_node(z, lname, len, &oom);
			if (oom)
				return -ENOMEM;
		}
		if (tn && !t) {
			t = zone_pool_alloc(&z->fam->pool,
					    s->rr_count * sizeof(*t), 8);
			if (!t)
				return -ENOMEM;
			memset(t, 0, s->rr_count * sizeof(*t));
		}
		if (tn) {
			t[r] = tn;
			any = true;
			if (skip != 6)
				zone_min_hinted(s, p + 10 + skip,
						rdlen - (size_t)skip);
		}
		p += 10 + rdlen;
	}
	if (any)
		s->targets = (const struct zone_node *const *)t;
	return 0;
}

uint32_t zone_soa_serial(const struct rrset *soa)
{
	/* SOA RDATA: mname, rname, then serial. */
	const uint8_t *rd = soa->wire + 10;

	rd += name_length(rd);
	rd += name_length(rd);
	return (uint32_t)rd[0] << 24 | (uint32_t)rd[1] << 16 |
	       (uint32_t)rd[2] << 8 | rd[3];
}

int zone_builder_finish(struct zone_builder *b, struct zone **out,
			char *err, size_t errlen)
{
	struct zone_scratch sc = { 0 };
	struct zone *z = NULL;
	char text[NAME_MAX_LEN * 4 + 1];
	int max_labels = 0;
	size_t i;
	int rc;

	*out = NULL;
	if (!(b->info[0].has & ZHAS_SOA)) {
		zone_err(err, errlen, "no SOA record at the zone apex %s",
			 name_to_text(b->origin, text, sizeof(text)));
		rc = LV_ENOSOA;
		goto fail;
	}
	if (!(b->info[0].has & ZHAS_NS)) {
		zone_err(err, errlen, "no NS record at the zone apex %s",
			 name_to_text(b->origin, text, sizeof(text)));
		rc = LV_ENONS;
		goto fail;
	}
	for (i = 0; i < b->count; i++) {
		struct zone_node *n = bnode_at(b, i);
		struct znode_data *d = &n->base;
		uint32_t has = b->info[i].has;

		if (n->label_count > max_labels)
			max_labels = n->label_count;
		rc = zone_build_node(b, i, &sc, err, errlen);
		if (rc) {
			if (rc == -ENOMEM)
				zone_err(err, errlen, "out of memory");
			goto fail;
		}
		if (d->rrset_count == 0)
			d->flags |= ZNODE_EMPTY;
		if (has & ZHAS_CNAME)
			d->flags |= ZNODE_CNAME;
		if (has & ZHAS_DNAME)
			d->flags |= ZNODE_DNAME;
		if ((has & ZHAS_NS) && i != 0)
			d->flags |= ZNODE_DELEGATION;
		if (n->parent) {
			uint16_t pf = n->parent->base.flags;

			if (pf & (ZNODE_DELEGATION | ZNODE_NONAUTH))
				d->flags |= ZNODE_NONAUTH;
			if (pf & (ZNODE_DNAME | ZNODE_UNDER_DNAME))
				d->flags |= ZNODE_UNDER_DNAME;
		}
	}
	free(sc.recs);
	free(sc.first);
	sc.recs = NULL;
	sc.first = NULL;

	/* The first version: the build hash becomes the index pages. */
	z = zone_version_new(b->fam, b->fam->next_gen);
	if (z) {
		b->fam->next_gen++;
		b->fam->dnames = b->dnames;
		b->fam = NULL;     /* z's now; freed with it */
	}
	if (!z) {
		zone_err(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto fail;
	}
	/* each slot's node index becomes the node's address under the
	 * tag; positions do not move */
	for (uint32_t k = 0; k <= b->hash_mask; k++) {
		uint64_t *sl = zone_bslot(b, k), s = *sl;

		if (s)
			*sl = zone_tag((uint32_t)(s >> 32)) |
			      (uint64_t)(uintptr_t)b->nodes[(uint32_t)s - 1];
	}
	z->pages = b->hpages;
	z->index_mask = b->hash_mask;
	z->page_mask = b->hpage_mask;
	z->page_shift = b->hpage_shift;
	b->hpages = NULL;
	z->apex = bnode_at(b, 0);
	z->max_labels = max_labels;
	z->node_count = b->count;
	z->record_count = b->final_records;
	/* Targets after the index: every name resolves. */
	for (i = 0; i < b->count; i++) {
		struct zone_node *n = bnode_at(b, i);

		for (uint16_t k = 0; k < n->base.rrset_count; k++) {
			rc = zone_set_targets(z, (struct rrset *)&n->base.rrsets[k],
					      NULL);
			if (rc) {
				zone_err(err, errlen, "out of memory");
				goto fail;
			}
		}
	}
	z->soa = zdata_rrset(&z->apex->base, DNS_TYPE_SOA);
	z->serial = zone_soa_serial(z->soa);
	rc = zone_nsec_build(z, err, errlen);
	if (rc) {
		if (rc == -ENOMEM)
			zone_err(err, errlen, "out of memory");
		goto fail;
	}
	zone_builder_free(b);
	*out = z;
	return 0;
fail:
	free(sc.recs);
	free(sc.first);
	zone_builder_free(b);
	zone_free(z);
	return rc;
}
