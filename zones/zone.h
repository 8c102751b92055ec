/* zone.h -- one zone in memory, built once, then read-only.
 *
 * A zone is a set of nodes keyed by lowercase owner name, all allocated in the
 * zone's own arena (shared by its versions: zone_update.h makes a new
 * version from a change, sharing every node and index page it does not
 * touch). Every ancestor of a node between it and the apex exists as
 * a node too (an empty non-terminal when it holds no RRsets), so the closest
 * encloser of any name below the apex is simply its longest suffix that is a
 * node. Everything the query path needs is computed at build time: the RRsets
 * in wire form, and node flags for wildcards, delegations, DNAMEs and data
 * occluded below a cut. Zones are made by the zone builder (zone_builder.h);
 * after zone_builder_finish() the zone is immutable and may be read by any
 * number of threads without locks; a change makes a new version beside it
 * (zone_update.h) and never alters what this one serves. This header is the read side
 * (zone.c).
 *
 * The structs below are exposed read-only for the answer engine in server/,
 * which walks them on the hot path; nothing outside zones/ writes them.
 */
#ifndef LEVEE_ZONES_ZONE_H
#define LEVEE_ZONES_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One RRset. `wire` holds rr_count records one after another, each as it goes
 * on the wire after the owner name:
 *     TYPE(2) CLASS(2) TTL(4) RDLENGTH(2) RDATA(RDLENGTH)
 * all in network byte order, names inside RDATA uncompressed and in the case
 * the zone file gave them. Every record of a set carries the set's TTL (the
 * first record's TTL when the file disagreed). Rendering a set whose RDATA has
 * no compressible name is one memcpy per record after the owner. */
struct rrset {
	uint16_t type;
	uint16_t rr_count;
	uint32_t ttl;
	uint32_t wire_len;
	/* No rendering of the set takes fewer bytes: per record a 1-byte
	 * owner, 10, and its RDATA with each compressible name (RFC 1035
	 * types) cut to its labels past the last DNS_COMPRESS_DEPTH plus a
	 * pointer, or to a pointer alone where its node is resolved (targets:
	 * the renderer may point at where the reply spells that node). The
	 * renderer refuses a set that cannot fit before any work. 0: no
	 * bound known. */
	uint32_t min_len;
	const uint8_t *wire;
	/* NS, MX, SRV and CNAME sets: for record k, the node of this zone
	 * its target names (additional records come from it, a CNAME chain
	 * goes on there, compression points at it), or NULL; the array
	 * itself is NULL when no target is in the zone, and for other types.
	 * Resolved once when the zone is built. */
	const struct zone_node *const *targets;
};

enum znode_flags {
	ZNODE_APEX = 1 << 0,       /* the zone apex */
	ZNODE_DELEGATION = 1 << 1, /* NS below the apex: a zone cut */
	ZNODE_NONAUTH = 1 << 2,    /* strictly below a zone cut (glue or occluded) */
	ZNODE_CNAME = 1 << 3,      /* holds a CNAME */
	ZNODE_DNAME = 1 << 4,      /* holds a DNAME (redirects names below it) */
	ZNODE_UNDER_DNAME = 1 << 5,/* strictly below a DNAME: only NSEC3
				    * data under an apex DNAME, as the
				    * builder refuses all else there */
	ZNODE_WILDCARD = 1 << 6,   /* first label is "*" */
	ZNODE_EMPTY = 1 << 7,      /* empty non-terminal: no RRsets */
	ZNODE_GONE = 1 << 8,       /* not a name of this version: a target
				    * named by some RRset (rrset targets)
				    * that does not exist, or a name a
				    * change removed. Never in the index:
				    * reached only through targets; read
				    * as "no such node". */
	ZNODE_SIGNED = 1 << 9,     /* holds RRSIGs: rrsets[rrset_count + i]
				    * are the RRSIGs covering rrsets[i]
				    * (znode_sigs) */
};

/* What a node holds in one version of the zone: everything a change may
 * alter (struct zone_node keeps what never changes). */
struct znode_data {
	uint16_t flags;            /* enum znode_flags */
	uint16_t rrset_count;
	/* In a slot: the version that wrote it. In a node's base: the
	 * writer's count of its children that are not GONE (zone_update.c);
	 * no reader looks at either. */
	uint32_t gen;
	const struct rrset *rrsets;/* rrset_count sets, sorted by type */
	const struct zone_node *wildcard_child; /* the "*" child, or NULL */
};

/* A later version's data of a node, newest first (zone_update.c). */
struct znode_slot {
	struct znode_data d;
	const struct znode_slot *older; /* NULL: the node's base is next */
	void *mem;                      /* the writer's: what to free */
};

/* A name of the zone. Its name, label count and parent never change;
 * what it holds is versioned: `base` as the zone was built (or as the
 * change that made the node wrote it), then the slots of later versions
 * newest first. Read it with znode_at() and the version's generation
 * (zone_gen()): a version shares every node with the next and the two
 * are served at once during a change. */
struct zone_node {
	const struct zone_node *parent;         /* NULL at the apex */
	const struct znode_slot *newer;         /* see above; atomic */
	struct znode_data base;
	uint8_t name_len;          /* wire length of name */
	uint8_t label_count;       /* labels of name, root not counted */
	uint8_t name[];            /* lowercase wire form, right behind */
};

/* The bytes a node of a name of len bytes takes (its name included). */
#define ZNODE_SIZE(len) (offsetof(struct zone_node, name) + (len))

/* A generation above every version: the newest data of each node. For
 * the writer and for tests of a zone nobody changes; the query path
 * passes its version's zone_gen(). */
#define ZONE_GEN_NEWEST UINT32_MAX

/* Node n's data in the version of generation gen. The newest slot not
 * newer than gen, else the base. A node changed by no later version
 * costs one load and a branch; one changed, a walk of the slots newer
 * than gen (one while a change is being published: a version is freed
 * before the slots it alone used). Any thread, no allocation. */
static inline const struct znode_data *znode_at(const struct zone_node *n,
						uint32_t gen)
{
	const struct znode_slot *s = __atomic_load_n(&n->newer,
						     __ATOMIC_ACQUIRE);

	while (s && s->d.gen > gen)
		s = s->older;
	return s ? &s->d : &n->base;
}

struct zone;

/* --- reading (any thread, no allocation) --- */

/* Apex name (lowercase wire) and its node. */
const uint8_t *zone_apex(const struct zone *z);
const struct zone_node *zone_apex_node(const struct zone *z);

/* The apex SOA set (always present in a built zone). */
const struct rrset *zone_soa(const struct zone *z);

/* The generation of this version of the zone (znode_at()): 1 as built,
 * one more for each change (zone_update.h). */
uint32_t zone_gen(const struct zone *z);

/* SOA serial, for logs and transfers. */
uint32_t zone_serial(const struct zone *z);

/* A secondary's version past its SOA expire (zone_update_expired): the
 * query path answers SERVFAIL with EDE 24 for its names and transfers it
 * to nobody. O(1). */
bool zone_expired(const struct zone *z);

/* A catalog zone (RFC 9432 7: catalogs are for transfers, not for
 * queries): its names are answered REFUSED but for the SOA at its apex
 * (which its own secondaries ask for), and transfers go on as for any
 * zone. Set by main before a version is published; every version of its
 * family (the IXFRs that follow) keeps it. O(1), any thread. */
void zone_set_hidden(const struct zone *z, bool hidden);

/* How the query path serves z, beside its data: 0 as usual, else
 * ZONE_SERVE_EXPIRED (zone_expired) and/or ZONE_SERVE_HIDDEN
 * (zone_set_hidden). One test for both on the hot path. O(1). */
enum { ZONE_SERVE_EXPIRED = 1, ZONE_SERVE_HIDDEN = 2 };
unsigned zone_serve_state(const struct zone *z);

/* EDNS EXPIRE (RFC 7314): the seconds z has left at wall-clock second
 * now: a secondary's remaining time until its expiry (set by main after
 * each good check, for every version of the zone at once: the family's
 * one atomic), else (a primary, t never set) its SOA's EXPIRE field.
 * O(1), any thread, no lock. */
void zone_set_expire_at(const struct zone *z, int64_t t);
uint32_t zone_expire_remaining(const struct zone *z, int64_t now);

/* Per-zone answer counters (server: metrics: per-zone, docs/metrics.md):
 * each zone family (every version built from one load, changed by IXFR)
 * holds one cache line of counters per reactor slot, 64 bytes times the
 * slots, so reactors never share a line: answers sent by rcode (0..5 in
 * order, then every other rcode) and answers dropped by the policy. A zone
 * loaded anew (a reload that reads its file) starts from zero. */
enum zone_hit {
	ZONE_HIT_RCODE,                  /* + rcode 0..5 */
	ZONE_HIT_OTHER = ZONE_HIT_RCODE + 6,
	ZONE_HIT_DROPPED,
	ZONE_HITS
};

struct zone_hits {
	uint64_t c[ZONE_HITS];
} __attribute__((aligned(64)));

/* The slots of every family built from now on (0: none, the default: no
 * counters, nothing allocated). Main, before the first zone is built. */
void zone_hits_setup(unsigned slots);

/* Counts one answer of z in slot (the reactor's; out of range: nothing):
 * a relaxed load and store of one counter, the slot's owner only. */
void zone_count(const struct zone *z, unsigned slot, enum zone_hit hit);

/* The counters of z's family summed over the slots (relaxed loads: a few
 * answers stale, never torn). Any thread holding z. */
void zone_hits_sum(const struct zone *z, struct zone_hits *out);

/* Number of nodes and of records, for logs and statistics. */
size_t zone_node_count(const struct zone *z);
size_t zone_record_count(const struct zone *z);

/* Bytes version z and its family hold from the allocator, as asked (the
 * allocator rounds up): the version's struct, page table and index pages
 * (a page shared with another version counted whole), the family's
 * struct, arena (nodes, names, RRsets, wire) and writer's tables. Not
 * counted: the data slots of later versions (zone_update.h). For
 * statistics and tests; the writer's thread (main), O(index pages). */
size_t zone_memory_bytes(const struct zone *z);

/* Node for exactly lname (lowercase wire, len bytes), or NULL. One hash probe:
 * O(len); a miss usually reads one cache line of the index, a hit that line
 * and the node, whose name follows it in memory. */
const struct zone_node *zone_find(const struct zone *z, const uint8_t *lname,
				  size_t len);

/* True when node n is anc or lies below it (anc's name ends n's on a
 * label boundary). Reads n's and anc's names only: O(n's length). */
bool zone_node_within(const struct zone_node *n, const struct zone_node *anc);

/* The deepest node that is lname or one of its ancestors: at worst the
 * apex; NULL when lname is not at or below the apex. Binary search over
 * the suffixes no deeper than the zone's deepest node: O(log labels) hash
 * probes. */
const struct zone_node *zone_closest_encloser(const struct zone *z,
					      const uint8_t *lname);

/* The same with lname's label offsets known (offs[0..labels], offs[labels]
 * the root byte's): no walk of the name. */
const struct zone_node *zone_closest_encloser_labels(const struct zone *z,
						     const uint8_t *lname,
						     const uint8_t *offs,
						     int labels);

/* The set of `type` in node data d, or NULL. Linear over the node's few
 * sets. */
const struct rrset *zdata_rrset(const struct znode_data *d, uint16_t type);

/* The RRSIGs of node data d that cover its set s (s one of d->rrsets,
 * from zdata_rrset), or NULL when none. Sorted out when the node's data
 * was written (the builder and zone_update.c lay them beside the sets: a
 * view into the node's RRSIG set, TTL the covered set's): O(1), no
 * search. */
static inline const struct rrset *znode_sigs(const struct znode_data *d,
					     const struct rrset *s)
{
	const struct rrset *g;

	if (!(d->flags & ZNODE_SIGNED) || !s)
		return NULL;
	g = &d->rrsets[d->rrset_count + (s - d->rrsets)];
	return g->rr_count ? g : NULL;
}

/* Canonical DNS name order (RFC 4034 6.1) of two lowercase wire names:
 * <0, 0, >0. O(length). */
int zone_canon_cmp(const uint8_t *a, const uint8_t *b);

/* The node holding the NSEC whose range covers or matches lname
 * (lowercase wire, at or below the apex): the last NSEC owner not after
 * it in canonical order (the chain wraps: the last owner covers names past
 * it). NULL when the version holds no NSEC. Binary search over the sorted
 * owners built at load: O(log owners) name compares, no allocation. */
const struct zone_node *zone_nsec_cover(const struct zone *z,
					const uint8_t *lname);

/* NSEC3 (RFC 5155): a zone whose NSEC3 uses more than this many extra
 * iterations is refused (unbound 1.17 and BIND 9.18 treat such zones as
 * insecure already); one with more than 0 loads (RFC 9276 asks for 0),
 * zone_nsec3_iterations() tells the loader to warn. */
#define ZONE_NSEC3_ITER_MAX 150

/* Lowers the ceiling for zones built from now on (server:
 * nsec3-iterations-max, 0..ZONE_NSEC3_ITER_MAX: a higher one would break
 * answer.h's per-query bound). Main, before loading; read relaxed by the
 * loaders. */
void zone_set_nsec3_iter_max(unsigned max);

/* The ceiling in force (ZONE_NSEC3_ITER_MAX unless lowered). */
unsigned zone_nsec3_iter_max(void);

/* The version's NSEC3 extra iterations, or -1 when it has no NSEC3. */
int zone_nsec3_iterations(const struct zone *z);

/* Whether node n of the version is an NSEC3 owner (<hash>.apex holding
 * NSEC3 and its RRSIGs only): a name that is not one of the zone's own
 * (RFC 5155 7.2.8). O(sets of n). */
bool zone_nsec3_owner(const struct zone *z, const struct zone_node *n);

/* The NSEC3 owner node whose hash equals the hash of node n's name
 * (prepared at load: no hashing), or NULL (no NSEC3, or n's name has
 * none: an opt-out span, glue). Binary search: O(log names). */
const struct zone_node *zone_nsec3_match(const struct zone *z,
					 const struct zone_node *n);

/* The NSEC3 owner node whose range covers or matches the hash of lname
 * (lowercase wire): one NSEC3 hash of the name (iterations + 1 SHA-1
 * runs, at most ZONE_NSEC3_ITER_MAX + 1, OpenSSL's SHA1_* on the stack:
 * no allocation)
 * and a binary search over the chain. NULL without NSEC3. */
const struct zone_node *zone_nsec3_cover(const struct zone *z,
					 const uint8_t *lname);

/* The earliest expiration and the latest inception of version z's
 * RRSIGs (seconds since the epoch modulo 2^32, RFC 4034 3.1.5: compare
 * with serial arithmetic), found when the version was made. false (and
 * nothing written) when it has no RRSIG. O(1). */
bool zone_sig_span(const struct zone *z, uint32_t *expire_min,
		   uint32_t *inception_max);

/* The zone cut that n lies in or under in version gen: n itself when it
 * is a delegation and not below another cut, else the nearest ancestor
 * delegation that is not NONAUTH. NULL when n is authoritative data.
 * O(labels). */
const struct zone_node *znode_cut(const struct zone_node *n, uint32_t gen);

/* Frees a zone and everything in its arena. NULL accepted. Main only, after
 * no reader can still hold it (see zdb.h). */
void zone_free(struct zone *z);

#endif
