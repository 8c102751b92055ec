/* conncount.h -- open connections per client prefix, shared by every
 * reactor without a lock (the TCP cap tcp-max-clients-per-prefix).
 *
 * At every accept and close a reactor adds or removes one connection of
 * the client's prefix (/24 IPv4, /56 IPv6) and compares the prefix's total
 * over all reactors with the cap. The client chooses its prefix, so the
 * table must not let it choose which prefixes share a count: with 4,096
 * slots of an unkeyed hash, 50 connections from 127.30.240.0/24 locked
 * 127.0.0.0/24 out of TCP (issue 11, finding 6).
 *
 * Layout: an array of sets of CONNCOUNT_WAYS 64-bit words (one cache line
 * a set), allocated once by conncount_new() and never grown. A prefix is
 * hashed with SipHash-2-4 under a secret of the table (random per
 * process); the hash picks the set and gives a 40-bit fingerprint. A word
 * is fingerprint << 24 | count, count 0 being a free way. The prefix's
 * count is the sum of the ways of its set that hold its fingerprint with a
 * count. An add increments such a way, or claims a free one, with one
 * compare-and-swap of the whole word: owner and count change together, so
 * a way never changes owner while it counts a connection (no ABA), and two
 * reactors that claim two ways for one prefix at the same moment still
 * count it right (the sum). A remove is one atomic subtract on the way the
 * add returned.
 *
 * Exactness: two prefixes share a count only when they fall in one set
 * with one fingerprint, 2^-40 for a pair in a set, and the secret keeps a
 * client from looking for such a pair. Bound: the sets are the power of two
 * at or above max_entries (the most connections that can be open at once),
 * so when every open connection comes from a prefix of its own a set holds
 * one prefix on average, and a ninth live prefix in one set (Poisson(1) at
 * 9 or more: 1.0e-6 a set, 0.02 sets at 16,384) is not counted: it fails
 * open, the other caps still hold. Memory: 64 bytes a set, 1 MiB for
 * tcp-max-clients 16,384. Work: one SipHash of 18 bytes, then at most
 * CONNCOUNT_WAYS words read per round, at most CONNCOUNT_TRIES rounds
 * (a round lost to another reactor's CAS is retried; all lost: not
 * counted). Every operation is a relaxed atomic on one word; nothing here
 * allocates or blocks after conncount_new(). Any thread.
 */
#ifndef LEVEE_RATELIMIT_CONNCOUNT_H
#define LEVEE_RATELIMIT_CONNCOUNT_H

#include <stddef.h>
#include <stdint.h>

#include "common/cidr.h"

#define CONNCOUNT_WAYS 8
#define CONNCOUNT_TRIES 8
#define CONNCOUNT_SEED_BYTES 16
#define CONNCOUNT_NONE UINT32_MAX   /* a way that counts nothing */

struct conncount;

/* Creates an empty table for max_entries live prefixes at most (sets: the
 * power of two at or above it, at least 64; capped at 2^24). seed:
 * CONNCOUNT_SEED_BYTES of SipHash key (tests), or NULL for a random one
 * from libsodium. NULL on ENOMEM or when libsodium cannot start. Main
 * only. */
struct conncount *conncount_new(size_t max_entries, const uint8_t *seed);

/* Frees it once no thread uses it. NULL accepted. */
void conncount_free(struct conncount *t);

/* Counts one more connection of prefix p. Returns the prefix's count with
 * this one, and in *way what conncount_sub() needs to take it back; when
 * the set is full of other prefixes (or every CAS round was lost), 0 and
 * CONNCOUNT_NONE: not counted. */
uint32_t conncount_add(struct conncount *t, const struct cidr *p,
		       uint32_t *way);

/* Takes back one connection counted by conncount_add() in way
 * (CONNCOUNT_NONE: nothing). */
void conncount_sub(struct conncount *t, uint32_t way);

/* The count of prefix p now (relaxed: another reactor may be changing
 * it). */
uint32_t conncount_get(const struct conncount *t, const struct cidr *p);

/* The number of sets (tests). */
size_t conncount_sets(const struct conncount *t);

#endif
