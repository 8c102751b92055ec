/* render.h -- writing RRsets into a reply, with name compression.
 *
 * A struct render lives on the caller's stack for one reply. It appends
 * whole RRsets (never part of one) taken from the zone's prebuilt wire form,
 * compressing owner names and the names inside RDATA of the RFC 1035 types
 * (NS, MD, MF, CNAME, SOA, MB, MG, MR, PTR, MINFO, MX) and of no other type
 * (RFC 3597 section 4). When an RRset does not fit below the limit nothing
 * of it stays in the buffer or in the compression table and the call fails;
 * the caller decides between TC and leaving it out. No allocation; any
 * thread.
 *
 * Compression: every name suffix written literally in the first 16 KiB
 * (the qname first, then owners, RDATA names and SRV targets) is remembered
 * once, as its offset keyed by (its first label ignoring ASCII case, the
 * remembered suffix after that label), in a fixed table of RENDER_COMP_MAX
 * entries hashed into RENDER_COMP_BUCKETS chains. A name is looked up from
 * its last label towards its first, one probe of at most RENDER_COMP_PROBES
 * entries per label, and ends in a pointer to the longest suffix found:
 * the same pointer a search of every earlier name would pick (the earliest
 * spelling of that suffix). Names may point at the client's qname and so
 * echo its case. Pointers only go backwards, to offsets below 16 KiB
 * (DNS_PTR_LIMIT); past that, names are written with pointers to what lies
 * below.
 *
 * Work: O(bytes written). Each name handed in costs one pass over its
 * labels; at most RENDER_COMP_DEPTH of them, nearest the root, are looked
 * up and remembered; each label looked up costs a compare with the qname's or a hash
 * and at most RENDER_COMP_PROBES label compares (the lookup stops at the
 * first label not found), each label written literally one hash more: at
 * most (RENDER_COMP_PROBES + 3) x 255 byte steps per name, whatever the
 * table holds. Each name belongs to a record written (at least 12 bytes),
 * and the records after the first of a set take their owner as a pointer
 * or a copy without a lookup. The bound does not depend on what the
 * client asked: a qname chosen to collide in the (unkeyed) hash only makes
 * its own reply less compressed, never slower, since the table lives for
 * one reply. Memory: sizeof(struct render) is under 2 KiB.
 */
#ifndef LEVEE_SERVER_RENDER_H
#define LEVEE_SERVER_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/dns.h"

struct rrset;
struct zone_node;

#define RENDER_COMP_MAX 255         /* suffixes remembered; ids fit a byte */
#define RENDER_COMP_BUCKETS 256     /* hash chains (a power of two) */
#define RENDER_COMP_PROBES 8        /* entries compared per label, at most */
#define RENDER_COMP_DEPTH DNS_COMPRESS_DEPTH /* labels from the root a name is
				       compressed in (and remembered by): a
				       name deeper than that (a 255-octet one
				       has up to 127) keeps its first labels
				       literal, so the walk and the table cost
				       at most this many steps per name; an
				       answer's owner (the qname, ip6.arpa's
				       34 labels too) is a pointer anyway */
#define RENDER_TTL_KEEP 0xFFFFFFFFu /* render_rrset(): keep the set's TTL */
#define RENDER_HINTS 16             /* zone nodes whose spelling is known */

enum render_section {
	RENDER_ANSWER = 0,
	RENDER_AUTHORITY = 1,
	RENDER_ADDITIONAL = 2,
};

/* One remembered suffix: the label at buf[off] followed by suffix `rest`. */
struct render_comp {
	uint16_t off;   /* packet offset of its first label (a literal one) */
	uint16_t hash;  /* of (that label ignoring case, rest); low bits: chain */
	uint8_t rest;   /* id of the suffix after the label, 0: the root */
	uint8_t next;   /* next id in the same chain, 0: end */
};

/* Private to render.c except len, limit, count and rdata_name, which
 * callers read. */
struct render {
	uint8_t *buf;
	size_t len;      /* bytes written so far (header and question included) */
	size_t limit;    /* never write beyond buf[limit] */
	size_t qend;     /* end of the question */
	uint16_t count[3];
	uint16_t rdata_name; /* after render_rrset(): a pointer target (below
				DNS_PTR_LIMIT) spelling the first RDATA name of
				its last record (a CNAME's target), or 0 */
	bool comp_ready; /* the table holds the qname (filled on first use) */
	uint8_t ncomp;   /* entries 1..ncomp in use; id 0 is the root */
	uint8_t nqname;  /* entries 1..nqname: the qname's suffixes, shortest
			    first */
	uint8_t head[RENDER_COMP_BUCKETS];
	struct render_comp comp[RENDER_COMP_MAX + 1];
	/* Zone nodes whose names the reply spells at hint_off (render_hint,
	 * render_owner_node): a target whose node, or whose node's parent,
	 * is here or in the question (qnode) costs a pointer (and its first
	 * label), no compression search. */
	unsigned nhints;
	const struct zone_node *hint_node[RENDER_HINTS];
	uint16_t hint_off[RENDER_HINTS];
	const struct zone_node *owner_node; /* the next render_rrset()'s
				owner: noted once its first owner is written */
	const uint8_t *qoffs;  /* the qname's label offsets (from its first
				  byte), or NULL: comp_prepare walks it */
	unsigned qlabels;
	const struct zone_node *qnode; /* a node the qname ends with (its
				  own or its closest encloser), or NULL */
};

/* Starts rendering after the question: buf already holds the 12-byte header
 * and a question of qend bytes in total whose qname (literal labels, as
 * validated by wire.c) becomes the first compression target. O(1): the
 * table is filled when a name is first compressed. */
void render_init(struct render *r, uint8_t *buf, size_t qend, size_t limit);

/* Appends every record of s to section sec. The first record's owner is
 * written as the compression pointer owner_ptr when that is nonzero (the
 * offset, below DNS_PTR_LIMIT, of a name spelling the owner: the qname's
 * DNS_HDR_LEN), else as owner (uncompressed wire, any case) compressed; the
 * others point at it (or copy it when it is a pointer, the root, or lies
 * past 16 KiB). ttl replaces the set's TTL unless RENDER_TTL_KEEP. Returns
 * 0, or -1 when the set does not fit or its wire form is malformed (the
 * buffer, the counts and the table are then as before the call); a set
 * whose min_len (zone.h) does not fit fails before any work.
 * Work: O(bytes written), see above. */
int render_rrset(struct render *r, enum render_section sec, const uint8_t *owner,
		 uint16_t owner_ptr, const struct rrset *s, uint32_t ttl);

/* Appends one CNAME record synthesised from a DNAME (RFC 6672 2.2): the
 * owner a pointer to owner_ptr, TTL ttl, the target the plen bytes of
 * literal labels at prefix followed by a pointer to target_ptr (where the
 * reply spells the DNAME's target). No compression search: O(plen). Sets
 * rdata_name. Returns 0, or -1 when it does not fit or a pointer is 0 or
 * past DNS_PTR_LIMIT (nothing written; the caller renders it the general
 * way). The prefix's labels are not remembered as targets. */
int render_cname_prefixed(struct render *r, enum render_section sec,
			  uint16_t owner_ptr, uint32_t ttl,
			  const uint8_t *prefix, size_t plen,
			  uint16_t target_ptr);

/* Appends name (uncompressed wire, at most NAME_MAX_LEN bytes) compressed.
 * Returns 0, or -1 (no room or malformed, nothing written). */
int render_name(struct render *r, const uint8_t *name);

/* A compression pointer target spelling the name written at buf[off] (by
 * this render): off itself, or where the pointer written there points, so
 * no pointer points at a pointer; 0 when that lies past DNS_PTR_LIMIT. */
uint16_t render_target_of(const struct render *r, size_t off);

/* Notes that the reply spells zone node n's name at off (a name or a
 * pointer written by this render, or the question's). Ignored past
 * DNS_PTR_LIMIT or when RENDER_HINTS are noted. O(1). NS and MX sets
 * whose rrset targets names their targets' nodes use the notes: a target
 * noted is a pointer, one whose parent is noted its first label and a
 * pointer. */
void render_hint(struct render *r, const struct zone_node *n, size_t off);

/* The qname's labels start at offs[0..labels) from its first byte (as
 * the query parser found them): the table is filled without a walk of
 * the qname. offs must outlive the render. */
static inline void render_qname_labels(struct render *r, const uint8_t *offs,
				       unsigned labels)
{
	r->qoffs = offs;
	r->qlabels = labels;
}

/* The qname ends with zone node n's name (n is its node, or its closest
 * encloser; render_qname_labels() given): n and its ancestors are spelled
 * in the question, where the NS, MX and CNAME targets of those nodes (or
 * below them) then point. O(1); looked at only when such a set is
 * rendered. */
static inline void render_qname_node(struct render *r,
				     const struct zone_node *n)
{
	r->qnode = n;
}

/* The owner of the next render_rrset() call is zone node n: noted as a
 * hint once that call has written it, before the set's RDATA (so an NS
 * set's names below the cut point at its owner). One call only. */
static inline void render_owner_node(struct render *r,
				     const struct zone_node *n)
{
	r->owner_node = n;
}

/* Drops everything after the question (for TC), names remembered included. */
void render_truncate(struct render *r, size_t qend);

#endif
