/* exist_set.h -- the set of names that exist in the served zones, as
 * 64-bit keyed hashes with a few flags each: what the kernel's existence
 * filter (server/exist_filter.h, issue 16) looks query names up in.
 *
 * The hash of a name is chained per label from the root down, with
 * SipHash-2-4 (libsodium's crypto_shorthash) and a 16-byte secret key:
 *
 *     H(root)         = SipHash(key, 0x00)           (the root's wire form)
 *     H(label.parent) = SipHash(key, le64(H(parent)) || len || lower(label))
 *
 * where len is the label's length byte and lower() folds ASCII A-Z to
 * a-z only. A hash is read from SipHash's 8 output bytes as a
 * little-endian number. The chain lets a reader that walks a query name
 * from the root down (the BPF program) hash each suffix from the last
 * one with one SipHash call of 9 + len bytes, and the key makes the
 * hashes unknown to whoever sends queries: names cannot be chosen to
 * collide with a name that exists.
 *
 * The set is built from the zones only (never from traffic), one zone
 * version at a time, on a thread off the query path (main or a worker):
 * it reads the version's name index once and allocates. It is exact up
 * to 64-bit collisions (two names of one hash are one entry, their flags
 * merged as below): every node of the version is in it, empty
 * non-terminals included, and nothing else but the ancestors of each
 * apex (EXIST_ABOVE).
 *
 * What is left out, and why the walk (exist_set_judge, the kernel's copy)
 * stays right: names strictly below a zone cut or a DNAME (the walk stops
 * at the cut or DNAME: every name below passes); NSEC3 owner names
 * (<hash>.apex: the answer engine treats them as names that do not
 * exist, RFC 5155 7.2.8) are in the set, but with their apex's wildcard
 * flag and nothing else, so a name below one is judged as a name below
 * the apex, as the engine judges it.
 *
 * Several zones: an entry holds the flags of the deepest zone that holds
 * the name (the zone whose apex is the deepest ancestor is the one the
 * query path answers from, zdb_find), so a child zone served beside its
 * parent is judged by its own flags, not by the parent's delegation to
 * it. A name a shallower zone holds at or below a deeper zone's apex
 * is in the set by the shallower zone's word: it passes (safe) even where
 * the deeper zone would answer NXDOMAIN.
 *
 * Memory: 16 bytes an entry in an open-addressing table at most half
 * full (32 to 64 bytes a name). Work: exist_set_add_zone hashes each node
 * once (one SipHash per label below the apex, plus the apex's labels
 * once) and probes the table once per node; exist_set_get and
 * exist_set_judge are O(1) and O(labels) probes. Not thread-safe: one
 * writer; readers only once the writer is done.
 */
#ifndef LEVEE_ZONES_EXIST_SET_H
#define LEVEE_ZONES_EXIST_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zones/zone.h"

#define EXIST_KEY_LEN 16

/* The flags of an entry; the BPF program reads the same values
 * (server/exist_filter_abi.h). */
enum exist_flags {
	EXIST_APEX = 1 << 0,     /* a zone apex */
	EXIST_WILDCARD = 1 << 1, /* "*.<this name>" exists: names below
				  * that do not exist are answered by it */
	EXIST_CUT = 1 << 2,      /* a delegation: below it, referrals */
	EXIST_DNAME = 1 << 3,    /* holds a DNAME: below it, redirects */
	EXIST_ABOVE = 1 << 4,    /* a strict ancestor of a served apex that
				  * no served zone holds: the walk goes on
				  * through it, a miss below it passes */
	EXIST_OPAQUE = 1 << 5,   /* the apex of a zone not answered from
				  * its data (expired, hidden catalog):
				  * the name and all below pass */
};

/* A hit on a name with any of these: the name and every name below
 * pass. */
#define EXIST_STOP (EXIST_CUT | EXIST_DNAME | EXIST_OPAQUE)
/* A miss right below a name with any of these: passes. */
#define EXIST_COVER (EXIST_WILDCARD | EXIST_ABOVE)

/* H(root) for key. Pure; any thread. */
uint64_t exist_hash_root(const uint8_t key[EXIST_KEY_LEN]);

/* H(label.parent): label points at the label's length byte (at most 63)
 * and its bytes, in any letter case. One SipHash of 9 + len bytes. */
uint64_t exist_hash_label(const uint8_t key[EXIST_KEY_LEN], uint64_t parent,
			  const uint8_t *label);

/* H(name) for a well-formed uncompressed wire name in any letter case:
 * O(labels) SipHash calls, no allocation. */
uint64_t exist_hash_name(const uint8_t key[EXIST_KEY_LEN],
			 const uint8_t *name);

struct exist_set;

/* An empty set hashing with key (copied). NULL when out of memory. */
struct exist_set *exist_set_new(const uint8_t key[EXIST_KEY_LEN]);

/* Adds every name of version z (see above), and the ancestors of its
 * apex as EXIST_ABOVE, with extra (0 or EXIST_OPAQUE) on its apex.
 * Returns 0 or -ENOMEM (then the set holds part of z: free it). Reads
 * z's index once: O(nodes of z) probes and O(labels below the apex)
 * SipHash calls a node; the table doubles as it fills. z must stay alive
 * for the call only. */
int exist_set_add_zone(struct exist_set *s, const struct zone *z,
		       unsigned extra);

struct zdb;

/* Adds every zone of snapshot db (exist_set_add_zone), EXIST_OPAQUE on
 * those zone_serve_state() does not serve from their data (expired,
 * hidden). The set then describes db as it was when called: a zone that
 * expires or is hidden later needs a new set. 0 or -ENOMEM. O(names of
 * db). The caller holds db (its thread built it, or reads it inside an
 * RCU read-side section). */
int exist_set_add_zdb(struct exist_set *s, const struct zdb *db);

/* Entries in the set (names and ABOVE ancestors). O(1). */
size_t exist_set_count(const struct exist_set *s);

/* Bytes the set holds from the allocator. O(1). */
size_t exist_set_memory(const struct exist_set *s);

/* Whether hash h is in the set; its flags into *flags (may be NULL).
 * O(1) expected. */
bool exist_set_get(const struct exist_set *s, uint64_t h, unsigned *flags);

/* The entries one by one: *cursor 0 to start; each call writes the next
 * entry's hash and flags and returns true, false at the end. The set
 * must not change between calls. O(slots) for a whole pass. */
bool exist_set_next(const struct exist_set *s, size_t *cursor, uint64_t *h,
		    unsigned *flags);

/* What the kernel filter decides for a query name. */
enum exist_verdict {
	EXIST_PASS_NONE,     /* the set is empty, or the name is in no
			      * served zone */
	EXIST_PASS_EXISTS,   /* the name is in the set */
	EXIST_PASS_BELOW,    /* below a cut, DNAME, wildcard or opaque
			      * apex, or an ABOVE-only ancestor */
	EXIST_DROP,          /* in a served zone, it cannot exist: NXDOMAIN */
};

/* The filter's walk in user space, for tests and tools: name (wire, any
 * case, well-formed) hashed from the root down; the first label whose
 * suffix is not in the set decides by its parent's flags (EXIST_COVER:
 * pass; none: drop; the root missing: pass), a suffix with EXIST_STOP
 * passes at once, and a name whose every suffix is in the set exists.
 * O(labels) SipHash calls and probes. */
enum exist_verdict exist_set_judge(const struct exist_set *s,
				   const uint8_t *name);

/* Frees s. NULL accepted. */
void exist_set_free(struct exist_set *s);

#endif
