/* internal.h -- shared between the files of zones/ only.
 *
 * Nothing outside zones/ (and its unit test) includes this. It holds the
 * layout of struct zone, which zone_builder.c and zone_update.c fill and
 * zone.c reads (the index pages, their slots and tag, the label offsets
 * both sides walk names with), the family its versions share, the
 * reference count that lets several zdb snapshots share one zone (zdb.c
 * takes and drops the references; zone.c owns the field), and
 * one switch for the zone-file splitter's tests (zsplit.c). What zload.c
 * and zsplit.c share, ldns types included, is in zsplit.h instead.
 */
#ifndef LEVEE_ZONES_INTERNAL_H
#define LEVEE_ZONES_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/dns.h"
#include "zones/arena.h"
#include "zones/zone.h"

#include <pthread.h>

/* A final index slot: a 16-bit tag of the hash above a 48-bit node
 * pointer (user addresses fit in 48 bits on x86-64 and arm64 Linux; the
 * builder checks each node it makes). */
#define ZONE_PTR_BITS 48
#define ZONE_PTR_MASK ((UINT64_C(1) << ZONE_PTR_BITS) - 1)

/* The index is cut in pages of at most 2^ZONE_PAGE_BITS slots (8 KiB),
 * probed linearly within the page: a change copies the page table and
 * the pages it writes, and shares the others with the version before. */
#define ZONE_PAGE_BITS 10

/* A page takes at most 3/4 of its slots; past that the index doubles, up
 * to ZONE_INDEX_SPREAD slots per node (a keyed hash fills pages evenly:
 * at half the slots in use no page comes near 3/4). Names that crowd one
 * page beyond that (chosen to collide) are refused, not followed by more
 * doubling: the index never exceeds that many slots per node, and a probe
 * never meets a full page. */
#define ZONE_INDEX_SPREAD 8

/* Whether an index of `slots` slots, pages of per slots, may double for
 * a page too full when it holds `nodes` nodes. */
static inline bool zone_index_may_grow(uint32_t slots, size_t nodes)
{
	return (size_t)slots * 2 <= (nodes + 1) * ZONE_INDEX_SPREAD ||
	       slots < (2u << ZONE_PAGE_BITS);
}

/* Whether a page of per slots holding used can take one more. */
static inline bool zone_page_has_room(uint32_t used, uint32_t per)
{
	return used + 1 <= per - per / 4;
}

/* One index page's count of the versions' page tables that hold it
 * (atomic: versions are freed on the call_rcu thread) and of its slots in
 * use. Apart from the slots, so that 1,024 slots take exactly 8 KiB of
 * the allocator (a header in front would put each page in jemalloc's
 * 10 KiB class). */
struct zone_page {
	int refs;
	uint32_t used;
};

/* An entry of a page table: the slots (all the query path reads) and
 * their page's counts. */
struct zone_pref {
	uint64_t *slot;
	struct zone_page *pg;
};

/* Small pieces (names, nodes, wire bytes, rrset arrays) packed in an
 * arena at the alignment each needs, not padded to the arena's 16 bytes
 * (arena_alloc_align). NULL when out of memory. */
struct zone_pool {
	struct arena *arena;
};

static inline void *zone_pool_alloc(struct zone_pool *p, size_t size,
				    size_t align)
{
	return arena_alloc_align(p->arena, size, align);
}

/* A set of nodes by name (open addressing over node pointers, at most
 * half full). The writer's only: the GONE nodes of a family. */
struct zone_nodeset {
	const struct zone_node **slot;
	uint32_t mask;                   /* slots - 1, or 0 when none */
	size_t count;
};

struct zone_node *zone_nodeset_find(const struct zone_nodeset *s,
				    const uint8_t *lname, size_t len);
int zone_nodeset_add(struct zone_nodeset *s, const struct zone_node *n);
void zone_nodeset_remove(struct zone_nodeset *s, const struct zone_node *n);

/* What the versions of one zone share: the arena of its nodes, names and
 * built RRsets, the GONE nodes (by name, so a change that brings a name
 * back gives its old node, which RRsets may target, its data again), and
 * the slots later versions gave nodes (freed with the family, or when no
 * live version can read them any more: zone_update.c). Freed with its
 * last version. */
struct zone_family {
	struct arena *arena;
	struct zone_pool pool;
	struct zone_nodeset gone;
	struct zone_node **slotted;      /* nodes that have slots */
	size_t nslotted, slotted_cap;
	size_t dnames;                   /* nodes holding a DNAME (newest) */
	uint32_t next_gen;
	bool updating;                   /* a zone_update is open */
	bool broken;                     /* a change failed half way (out
					  * of memory): no more changes */
	int64_t expire_at;               /* a secondary's expiry, wall-clock
					  * s (zone_set_expire_at); 0: none,
					  * the SOA's expire. Atomic */
	/* Guards the live list: main adds versions, the call_rcu thread
	 * frees them. */
	pthread_mutex_t lock;
	struct zone *live;               /* live versions, newest first */
	/* Answer counters (zone.h, zone_count()): nhits cache-line slots,
	 * one per reactor; NULL when per-zone counting is off. Every
	 * version of the family counts into them. */
	struct zone_hits *hits;
	unsigned nhits;
};

/* One version of a zone. malloc'd; its page table is its own, the pages
 * and everything in the family shared. Written by zone_builder.c and
 * zone_update.c only, before the version is handed out; read-only
 * afterwards (refs and the live list aside). */
struct zone {
	struct zone_family *fam;
	const struct zone_node *apex;
	const struct rrset *soa;
	/* Open addressing, index_mask + 1 slots in pages of page_mask + 1,
	 * at most half full on average: a slot holds zone_tag(hash) << 48 |
	 * node pointer, 0 when empty, so a probe that meets another name
	 * almost never touches its node (a miss reads one cache line of
	 * slots), and a hit reads the node, whose name follows it in
	 * memory. Slot i is pages[i >> page_shift][i & page_mask]; a probe
	 * wraps within its page. */
	struct zone_pref *pages;
	uint32_t index_mask;
	uint32_t page_mask;
	uint8_t page_shift;
	uint32_t gen;
	uint32_t serial;
	int max_labels;                  /* labels of the deepest node, or
					  * more (an upper bound) */
	size_t node_count;               /* nodes not GONE */
	/* The nodes of this version that hold an NSEC, in canonical order
	 * (RFC 4034 6.1), for the covering NSEC of a name (zone_nsec.c);
	 * malloc'd, NULL in a zone without NSEC. */
	const struct zone_node **nsec;
	size_t nsec_count;
	/* NSEC3 (RFC 5155), zone_nsec.c: the parameters of the apex's
	 * NSEC3PARAM, the NSEC3 owner nodes sorted by hash, and for each
	 * name of the zone whose hash has an NSEC3 the pair (node, that
	 * NSEC3's node), sorted by node address. malloc'd; NULL without
	 * NSEC3. */
	struct zone_nsec3 *nsec3;
	/* Its RRSIGs' earliest expiration and latest inception (RFC 4034
	 * 3.1.5 serial arithmetic), sig_count 0 without RRSIGs (zone_nsec.c) */
	uint32_t sig_expire_min, sig_inception_max;
	size_t sig_count;
	size_t record_count;
	int refs;                        /* see zone_ref(); atomic */
	struct zone *live_next, *live_prev; /* family's live list */
	/* Nodes this version gave a slot (zone_update.c): when it is freed
	 * as the family's newest with older versions live (a change made
	 * and never published, or half made), those slots are taken back
	 * and the family takes no more changes. */
	struct zone_node **touched;
	size_t ntouched, touched_cap;
	/* ZONE_SERVE_EXPIRED (zone_update_expired(): answered SERVFAIL,
	 * never transferred) | ZONE_SERVE_HIDDEN (zone_set_hidden, and
	 * taken from the family's newest version when a version is made):
	 * one load on the query path. Atomic for HIDDEN. */
	uint8_t serve;
};

/* A new index page of `slots` zeroed slots, one reference, into *p; 0 or
 * -ENOMEM. Dropping the last reference frees it. */
int zone_page_new(uint32_t slots, struct zone_pref *p);
void zone_page_unref(struct zone_pref *p);

/* A new version's struct zone in fam with gen, on the live list; refs 1.
 * NULL when out of memory. */
struct zone *zone_version_new(struct zone_family *fam, uint32_t gen);

/* Gives a new family its answer counters (zone_hits_setup()'s slots), or
 * none (off, or no memory). */
void zone_family_hits_init(struct zone_family *fam);

/* Puts node n into z's index (pages z alone holds, see
 * zone_index_own_page) at its hash; the page must have room. */
void zone_index_put(struct zone *z, const struct zone_node *n, uint32_t h);

/* Makes z's index page k z's own (a copy when shared). 0 or -ENOMEM. */
int zone_index_own_page(struct zone *z, uint32_t k);

/* Removes n from z's index (its page must be z's own). */
void zone_index_del(struct zone *z, const struct zone_node *n);

/* Pages for `slots` zeroed slots (a power of two), at most
 * 2^ZONE_PAGE_BITS a page: the table, its page mask and shift. NULL when
 * out of memory. zone_pages_free() drops one reference on each of
 * npages pages and frees the table. */
struct zone_pref *zone_pages_new(uint32_t slots, uint32_t *pmask,
				 uint8_t *shift);
void zone_pages_free(struct zone_pref *pages, uint32_t npages);

/* Doubles z's index: new pages (z's own) holding every node of the old
 * ones, which z lets go. 0 or -ENOMEM (z unchanged). */
int zone_index_grow(struct zone *z);

/* The writer's walk over every node in z's index. */
void zone_index_foreach(const struct zone *z,
			void (*fn)(const struct zone_node *n, void *arg),
			void *arg);

/* --- encoding a node's records (zone_builder.c; zone_update.c too) --- */

/* What a node's records hold, for the zone rules (builder and change). */
enum zone_has {
	ZHAS_SOA = 1 << 0,
	ZHAS_CNAME = 1 << 1,
	ZHAS_OTHER = 1 << 2,  /* anything but CNAME, RRSIG, NSEC */
	ZHAS_NS = 1 << 3,
	ZHAS_DNAME = 1 << 4,
	ZHAS_FIRST_FREE = 1 << 5, /* bits from here: the caller's own */
};

/* The zone_has bits a record of `type` gives its node. */
static inline uint32_t zone_has_of(uint16_t type)
{
	switch (type) {
	case DNS_TYPE_SOA: return ZHAS_SOA | ZHAS_OTHER;
	case DNS_TYPE_CNAME: return ZHAS_CNAME;
	case DNS_TYPE_NS: return ZHAS_NS | ZHAS_OTHER;
	case DNS_TYPE_DNAME: return ZHAS_DNAME | ZHAS_OTHER;
	case DNS_TYPE_RRSIG: case DNS_TYPE_NSEC: return 0;
	default: return ZHAS_OTHER;
	}
}

/* A record on its way into a node; RDATA follows. */
struct brec {
	struct brec *next;
	uint16_t type;
	uint16_t rdlen;
	uint32_t ttl;
	uint8_t rdata[];
};

/* Order of records in a node: type, then RDATA (shorter first on a tie
 * of the common prefix); 0 means equal. zone_brec_qcmp: the same for
 * qsort over struct brec pointers. */
int zone_brec_cmp(const struct brec *a, const struct brec *b);
int zone_brec_qcmp(const void *a, const void *b);

/* Scratch arrays reused from node to node (free both when done). */
struct zone_scratch {
	struct brec **recs;
	size_t cap;
	struct { uint16_t type; uint32_t ttl; } *first;
	size_t first_cap;
};

/* What zone_sets_plan() found: sc->recs[0, uniq) sorted by type and
 * RDATA, duplicates gone; nsets sets of `wire` bytes in all. */
struct zone_plan {
	size_t uniq, nsets, wire;
	bool sigs;                       /* an RRSIG set among them: the
					  * node is ZNODE_SIGNED and takes
					  * zone_plan_slots() sets */
	size_t nfirst;                   /* entries of sc->first */
};

/* Orders the cnt records of the list head (newest first) into sets: the
 * TTL of each set is that of its oldest record in the list. 0 or
 * -ENOMEM. O(cnt log cnt). */
int zone_sets_plan(struct zone_scratch *sc, const struct brec *head,
		   size_t cnt, struct zone_plan *p);

/* The struct rrset slots the planned node takes: its sets, and as many
 * again for the RRSIG views when it is signed (zone.h znode_sigs). */
static inline size_t zone_plan_slots(const struct zone_plan *p)
{
	return p->sigs ? 2 * p->nsets : p->nsets;
}

/* Writes the planned sets into sets[p->nsets] (and, when p->sigs, the
 * RRSIG view of each into sets[p->nsets + i]: the records of the RRSIG
 * set whose type covered is sets[i]'s type, which its order keeps
 * together) and wire[p->wire] (targets
 * left NULL, min_len set). 0, or LV_EMALF with the reason for a set of
 * more than 65535 records (owner names it). */
int zone_sets_write(const struct zone_scratch *sc, const struct zone_plan *p,
		    struct rrset *sets, uint8_t *wire, const uint8_t *owner,
		    char *err, size_t errlen);

/* Records of the sets that name a target (NS, MX, SRV, CNAME): how many
 * target pointers zone_set_targets() may need for sets[n]. */
size_t zone_sets_target_slots(const struct rrset *sets, size_t n);

/* Resolves the targets of set s in version z: each record's node (a live
 * one, else a GONE node of the family, made when none exists yet: so a
 * name that appears later is found by the RRsets that name it) or NULL
 * outside the zone; t holds s->rr_count pointers, or is NULL to take
 * them from the family pool when one resolves. Sets s->targets and
 * lowers s->min_len. 0 or -ENOMEM. O(records x name length). */
int zone_set_targets(struct zone *z, struct rrset *s,
		     const struct zone_node **t);

/* A new node of the family for lname (lowercase, len bytes) under
 * parent, its name behind it, data zero. NULL when out of memory. */
struct zone_node *zone_node_alloc(struct zone_family *fam,
				  const uint8_t *lname, size_t len,
				  const struct zone_node *parent);

/* Whether a record is NSEC3 data (an NSEC3, or an RRSIG that covers one)
 * one label below an apex of apex_labels labels (RFC 5155's owners):
 * allowed below a DNAME at the apex. */
bool zone_is_nsec3_rec(int apex_labels, int labels, uint16_t type,
		       const uint8_t *rdata, uint16_t rdlen);

/* Length of the uncompressed name at the start of p[0, n), or 0. */
size_t zone_rdata_name_len(const uint8_t *p, size_t n);

/* The SOA serial of version z's SOA set. */
uint32_t zone_soa_serial(const struct rrset *soa);

/* One-line error text (printf); err may be NULL. */
void zone_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The type's mnemonic, or "TYPEnnn" in buf. */
const char *zone_type_text(uint16_t type, char *buf, size_t len);

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

struct zone_nsec3_pair {
	const struct zone_node *node, *nsec3;
};

struct zone_nsec3 {
	uint8_t alg;
	uint16_t iterations;
	uint8_t salt_len;
	uint8_t salt[255];
	const struct zone_node **chain;  /* by hash (the first label) */
	size_t count;
	struct zone_nsec3_pair *match;   /* by node address */
	size_t nmatch;
};

/* Sorts the nodes of version z holding an NSEC into z->nsec, and
 * prepares its NSEC3 data (z->nsec3: the parameters, the chain, the
 * hash of every name and its matching NSEC3), replacing any. 0, -ENOMEM
 * or LV_EMALF with the reason in err (NSEC3 iterations above
 * ZONE_NSEC3_ITER_MAX, an unknown NSEC3 hash algorithm). O(nodes x
 * (iterations + 1) SHA-1 + n log n), main or a worker thread: once per
 * version. */
int zone_nsec_build(struct zone *z, char *err, size_t errlen);
void zone_nsec3_free(struct zone_nsec3 *n3);

/* Base32hex (RFC 4648 7), lowercase as owner names are kept: an NSEC3
 * hash (20 bytes) as its 32-character label. */
void zone_nsec3_b32(const uint8_t h[20], uint8_t out[32]);

/* Takes one reference (atomic). A built zone starts with one, owned by
 * whoever called zone_builder_finish() (or zone_update_finish()). */
void zone_ref(struct zone *z);

/* Drops one reference and frees the zone when it was the last. Atomic: the
 * call_rcu thread may drop references while main takes others. */
void zone_unref(struct zone *z);

/* Tests only: when true, zsplit.c spoils the state it guesses for each
 * part of a split load (see zsplit_load), so every part after the first is
 * rejected and the file is finished on the calling thread. */
extern bool zsplit_test_bad_guess;

#endif
