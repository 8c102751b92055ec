/* droplist.c -- the kernel drop map's listings as user space knows them
 * (droplist.h): keys per prefix, the share, the kernel's test of a
 * datagram, and one lock-free table shared by the reactors.
 *
 * A slot is one 64-bit word, tag << 40 | expiry (ms), changed only by a
 * compare-and-swap, so a reader sees a tag with its own expiry, never a
 * mix of two listings. A slot changes hands (another tag) only once its
 * expiry is DROPLIST_GRACE_MS old; the same tag's expiry only grows. A
 * kernel entry is written after its slot was claimed, with the slot's
 * expiry as an absolute time: written late (the reactor descheduled), it
 * is already expired, so no kernel entry ever outlives its slot.
 * Ordering: the claim is a release, the readers' loads acquire; between a
 * claim on one reactor and a datagram the kernel thinned arriving on
 * another lie the bpf() and recvmmsg() system calls.
 */
#include "server/droplist.h"

#include <netinet/in.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define DROPLIST_TAG_SHIFT 40
#define DROPLIST_TIME_MASK ((1ull << DROPLIST_TAG_SHIFT) - 1)
#define DROPLIST_SETS (DROPLIST_SLOTS / DROPLIST_WAYS)
#define DROPLIST_CAS_TRIES 4

_Static_assert(sizeof(struct droplist_key) == 20, "the kernel map's key");
_Static_assert((DROPLIST_SETS & (DROPLIST_SETS - 1)) == 0, "sets: a power of 2");

struct droplist {
	struct droplist_config cfg;
	uint8_t secret[crypto_shorthash_KEYBYTES];
	_Atomic uint64_t *slot;   /* [DROPLIST_SLOTS], 64-byte aligned */
};

struct droplist *droplist_new(const struct droplist_config *c,
			      const uint8_t *seed)
{
	struct droplist *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->cfg = *c;
	if (d->cfg.v4_count > DROPLIST_MAX_PREFIXES)
		d->cfg.v4_count = DROPLIST_MAX_PREFIXES;
	if (d->cfg.v6_count > DROPLIST_MAX_PREFIXES)
		d->cfg.v6_count = DROPLIST_MAX_PREFIXES;
	d->slot = aligned_alloc(64, DROPLIST_SLOTS * sizeof(*d->slot));
	if (!d->slot || (!seed && sodium_init() < 0)) {
		droplist_free(d);
		return NULL;
	}
	for (size_t i = 0; i < DROPLIST_SLOTS; i++)
		atomic_init(&d->slot[i], 0);
	if (seed)
		memcpy(d->secret, seed, sizeof(d->secret));
	else
		randombytes_buf(d->secret, sizeof(d->secret));
	return d;
}

void droplist_free(struct droplist *d)
{
	if (!d)
		return;
	free(d->slot);
	free(d);
}

const struct droplist_config *droplist_config_of(const struct droplist *d)
{
	return &d->cfg;
}

/* Is bits one of the n lengths in list? */
static bool droplist_has(const uint8_t *list, size_t n, unsigned bits)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == bits)
			return true;
	return false;
}

/* The key of family's address a (4 or 16 bytes) at bits, unchecked. */
static void droplist_key_raw(int family, const uint8_t *a, unsigned bits,
			     struct droplist_key *k)
{
	memset(k, 0, sizeof(*k));
	if (family == AF_INET) {
		k->addr[10] = k->addr[11] = 0xff;
		memcpy(k->addr + 12, a, 4);
		k->bits = 96 + bits;
	} else {
		memcpy(k->addr, a, 16);
		k->bits = bits;
	}
	cidr_mask(k->addr, k->bits);
}

bool droplist_key(const struct droplist *d, const struct cidr *p,
		  struct droplist_key *k)
{
	if (p->family == AF_INET &&
	    droplist_has(d->cfg.v4, d->cfg.v4_count, p->bits))
		droplist_key_raw(AF_INET, p->addr, p->bits, k);
	else if (p->family == AF_INET6 &&
		 droplist_has(d->cfg.v6, d->cfg.v6_count, p->bits))
		droplist_key_raw(AF_INET6, p->addr, p->bits, k);
	else
		return false;
	return true;
}

uint32_t droplist_keep(unsigned slip)
{
	if (slip == 0)
		return 0;
	if (slip == 1)
		return UINT32_MAX;
	/* ceil(2^32 / slip): the kernel keeps at least 1/slip. */
	return (uint32_t)(((1ull << 32) + slip - 1) / slip);
}

bool droplist_examined(const uint8_t *m, size_t len, bool cookies)
{
	if (len < 12)
		return false;   /* garbage: the classic checks, not the map */
	if (!cookies || len < DROPLIST_COOKIE_MIN)
		return true;
	if (m[10] == 0 && m[11] == 0)
		return true;                          /* ARCOUNT 0 */
	if (m[10] != 0 || m[11] != 1 || len < 12 + 5 + 11)
		return false;
	/* QDCOUNT 1, ANCOUNT 0, NSCOUNT 0 */
	if (m[4] != 0 || m[5] != 1 || m[6] || m[7] || m[8] || m[9])
		return false;
	/* The last 11 bytes: owner 0, TYPE 41, CLASS, TTL, RDLENGTH 0. */
	return m[len - 11] == 0 && m[len - 10] == 0 && m[len - 9] == 41 &&
	       m[len - 2] == 0 && m[len - 1] == 0;
}

/* Does k overlap one of list[0..n)? (The shorter of the two prefixes
 * holds the other's first bits.) */
static bool droplist_overlaps(const struct cidr *list, size_t n,
			      const struct droplist_key *k)
{
	for (size_t i = 0; i < n; i++) {
		struct droplist_key c;
		unsigned bits, full;

		if (list[i].family != AF_INET && list[i].family != AF_INET6)
			continue;
		droplist_key_raw(list[i].family, list[i].addr, list[i].bits, &c);
		bits = c.bits < k->bits ? c.bits : k->bits;
		full = bits / 8;
		if (memcmp(c.addr, k->addr, full) == 0 &&
		    (bits % 8 == 0 ||
		     ((c.addr[full] ^ k->addr[full]) &
		      (uint8_t)(0xff << (8 - bits % 8))) == 0))
			return true;
	}
	return false;
}

/* Does k overlap a spared network of any list? */
static bool droplist_spared(const struct droplist *d,
			    const struct droplist_key *k)
{
	for (int i = 0; i < DROPLIST_SPARED_LISTS; i++)
		if (droplist_overlaps(d->cfg.spared[i], d->cfg.spared_count[i],
				      k))
			return true;
	return false;
}

/* The keyed hash of k: the set (low bits) and the tag (top 24, never 0). */
static _Atomic uint64_t *droplist_set(const struct droplist *d,
				      const struct droplist_key *k,
				      uint64_t *tag)
{
	uint8_t out[crypto_shorthash_BYTES];
	uint64_t h;

	crypto_shorthash(out, (const unsigned char *)k, sizeof(*k), d->secret);
	memcpy(&h, out, sizeof(h));
	*tag = h >> DROPLIST_TAG_SHIFT;
	if (*tag == 0)
		*tag = 1;
	return &d->slot[(h & (DROPLIST_SETS - 1)) * DROPLIST_WAYS];
}

enum droplist_claim droplist_claim(struct droplist *d,
				   const struct droplist_key *k,
				   uint64_t now_ms, bool may_write,
				   uint64_t *until_ms)
{
	uint64_t tag, until = (now_ms + d->cfg.hold_ms) & DROPLIST_TIME_MASK;
	_Atomic uint64_t *set = droplist_set(d, k, &tag);

	for (int round = 0; round < DROPLIST_CAS_TRIES; round++) {
		_Atomic uint64_t *target = NULL;
		uint64_t seen = 0;

		for (int w = 0; w < DROPLIST_WAYS; w++) {
			uint64_t v = atomic_load_explicit(&set[w],
							  memory_order_acquire);
			uint64_t t = v >> DROPLIST_TAG_SHIFT;
			uint64_t exp = v & DROPLIST_TIME_MASK;

			if (t == tag) {
				if (exp > now_ms)
					return DROPLIST_LISTED;
				target = &set[w];   /* ours, expired: extend */
				seen = v;
				break;
			}
			if (!target &&
			    (v == 0 || exp + DROPLIST_GRACE_MS <= now_ms)) {
				target = &set[w];
				seen = v;
			}
		}
		if (!may_write)
			return DROPLIST_REFUSED;
		if (round == 0 && droplist_spared(d, k))
			return DROPLIST_SPARED;
		if (!target)
			return DROPLIST_FULL;
		if (atomic_compare_exchange_strong_explicit(
			    target, &seen, tag << DROPLIST_TAG_SHIFT | until,
			    memory_order_acq_rel, memory_order_acquire)) {
			*until_ms = until;
			return DROPLIST_CLAIMED;
		}
		/* Another reactor changed that slot: look again. */
	}
	return DROPLIST_FULL;
}

/* Is k's tag in its set, unexpired or expired less than the grace ago? */
static bool droplist_holds(const struct droplist *d,
			   const struct droplist_key *k, uint64_t now_ms)
{
	uint64_t tag;
	_Atomic uint64_t *set = droplist_set(d, k, &tag);

	for (int w = 0; w < DROPLIST_WAYS; w++) {
		uint64_t v = atomic_load_explicit(&set[w],
						  memory_order_acquire);

		if (v >> DROPLIST_TAG_SHIFT == tag &&
		    (v & DROPLIST_TIME_MASK) + DROPLIST_GRACE_MS > now_ms)
			return true;
	}
	return false;
}

bool droplist_thinned(const struct droplist *d, const struct sockaddr *src,
		      const uint8_t *msg, size_t len, uint64_t now_ms)
{
	const uint8_t *a, *bits;
	size_t n;

	if (!d || d->cfg.slip < 2 || !(a = cidr_sockaddr_bytes(src)) ||
	    !droplist_examined(msg, len, d->cfg.cookies))
		return false;
	if (src->sa_family == AF_INET) {
		bits = d->cfg.v4;
		n = d->cfg.v4_count;
	} else {
		bits = d->cfg.v6;
		n = d->cfg.v6_count;
	}
	for (size_t i = 0; i < n; i++) {
		struct droplist_key k;

		droplist_key_raw(src->sa_family, a, bits[i], &k);
		if (droplist_holds(d, &k, now_ms))
			return true;
	}
	return false;
}
