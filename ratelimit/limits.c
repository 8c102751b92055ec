/* limits.c -- per-source query limits and per-zone NXDOMAIN budgets: one
 * lock-free table shared by every reactor.
 *
 * The buckets are the bucket.h table rrl.c uses too: a fixed array in
 * sets, a key (SipHash-2-4 keyed with a secret, so nobody can aim
 * collisions at one set) picks the set, a missing key takes over the empty
 * or least recently used bucket of the set with a compare-and-swap, and
 * credit is debited with a bounded relaxed CAS loop (one that loses every
 * round lets the query pass). Its credit is wide enough for a /20 to earn
 * hundreds of thousands of queries a second; a bucket holds one second of
 * its rate. Source buckets keep no slip state (a query over its per-source
 * limit is never answered in full); zone buckets use their aux words for
 * NXDOMAINs per second (aux64: second << 32 | count) and slip
 * (aux32[0]), both relaxed atomics. Nothing here allocates, blocks or calls
 * into the system after limits_new().
 *
 * Keys: kind (source, cookie source, zone) | family | prefix bits | address
 * with host bits cleared, or kind | lowercased zone apex. Prefixes are
 * checked in the order configured (narrowest first by default) and the
 * first one without credit stops the walk: a blasting /32 spends its own
 * credit, not the wider prefixes' its neighbours share.
 */
#include "ratelimit/limits.h"

#include "ratelimit/bucket.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define LIMITS_CAS_TRIES 16
#define LIMITS_WINDOW_MS 1000   /* a bucket holds one second of its rate */

enum limits_kind { KIND_SOURCE = 1, KIND_COOKIE = 2, KIND_ZONE = 3 };

struct limits_table {
	struct limits_config cfg;
	struct bucket_table *bt;
};

void limits_config_init(struct limits_config *c)
{
	memset(c, 0, sizeof(*c));
	c->v4[0] = (struct limits_prefix){ 32, 1 };
	c->v4[1] = (struct limits_prefix){ 24, 4 };
	c->v4[2] = (struct limits_prefix){ 20, 16 };
	c->v4_count = 3;
	c->v6[0] = (struct limits_prefix){ 128, 1 };
	c->v6[1] = (struct limits_prefix){ 64, 2 };
	c->v6[2] = (struct limits_prefix){ 56, 4 };
	c->v6[3] = (struct limits_prefix){ 48, 16 };
	c->v6_count = 4;
	c->cookie_multiplier = 4;
	c->zone_slip = 2;
	c->slip = 1;
	c->max_table_size = 65536;
	c->tcp_pressure_timeout_ms = 1000;
}

int limits_parse_prefix(const char *text, int family, struct limits_prefix *out)
{
	long bits, mult;
	char *end;
	int maxbits = family == AF_INET6 ? 128 : 32;

	if (!text || !*text)
		return -EINVAL;
	if (*text == '/')
		text++;
	bits = strtol(text, &end, 10);
	if (end == text || *end != ':' || bits < 1 || bits > maxbits)
		return -EINVAL;
	text = end + 1;
	mult = strtol(text, &end, 10);
	if (end == text || *end || mult < 1 || mult > (long)LIMITS_MAX_MULT)
		return -EINVAL;
	out->bits = (uint8_t)bits;
	out->mult = (unsigned)mult;
	return 0;
}

bool limits_config_enabled(const struct limits_config *c)
{
	return c->queries_per_second || c->zone_nxdomains_per_second;
}

struct limits_table *limits_new(const struct limits_config *c,
				const uint8_t *seed)
{
	struct limits_table *t;
	size_t n = c->max_table_size ? c->max_table_size : 1;

	if (n > LIMITS_MAX_TABLE)
		n = LIMITS_MAX_TABLE;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cfg = *c;
	t->bt = bucket_table_new(n, seed);
	if (!t->bt) {
		free(t);
		return NULL;
	}
	return t;
}

void limits_free(struct limits_table *t)
{
	if (!t)
		return;
	bucket_table_free(t->bt);
	free(t);
}

/* Takes one query's credit from bucket b earning rate per second. */
static bool limits_debit(struct bucket *b, uint32_t rate, uint32_t now)
{
	return bucket_debit(b, rate, rate, LIMITS_WINDOW_MS, now) !=
	       BUCKET_LIMITED;
}

enum limits_result limits_check(struct limits_table *t,
				const struct sockaddr *src, bool cookie_valid,
				unsigned percent, uint64_t now_ms,
				unsigned *over_bits)
{
	const struct limits_prefix *pf;
	const uint8_t *a;
	size_t n;
	uint32_t now = (uint32_t)now_ms;
	uint64_t base;

	if (!t || !t->cfg.queries_per_second)
		return LIMITS_PASS;
	a = cidr_sockaddr_bytes(src);
	if (!a)
		return LIMITS_PASS;
	if (src->sa_family == AF_INET) {
		pf = t->cfg.v4;
		n = t->cfg.v4_count;
	} else {
		pf = t->cfg.v6;
		n = t->cfg.v6_count;
	}
	if (cidr_match(t->cfg.whitelist, t->cfg.whitelist_count,
			   src->sa_family, a))
		return LIMITS_PASS;
	base = t->cfg.queries_per_second;
	if (cookie_valid)
		base *= t->cfg.cookie_multiplier ? t->cfg.cookie_multiplier : 1;
	else if (percent < 100)
		base = base * percent / 100u;
	for (size_t i = 0; i < n && i < LIMITS_MAX_PREFIXES; i++) {
		uint8_t buf[3 + 16];
		uint64_t rate = base * pf[i].mult, key;
		struct bucket *b;

		if (rate > LIMITS_MAX_RATE)
			rate = LIMITS_MAX_RATE;
		buf[0] = cookie_valid ? KIND_COOKIE : KIND_SOURCE;
		buf[1] = (uint8_t)src->sa_family;
		buf[2] = pf[i].bits;
		/* the address: 4 bytes of a sockaddr_in (reading 16 would
		 * run past it), the rest zero */
		memset(buf + 3, 0, 16);
		memcpy(buf + 3, a, src->sa_family == AF_INET ? 4 : 16);
		cidr_mask(buf + 3, pf[i].bits);
		key = bucket_key(t->bt, buf, sizeof(buf));
		b = bucket_find(t->bt, key, now, (uint32_t)rate);
		if (b && !limits_debit(b, (uint32_t)rate, now)) {
			if (over_bits)
				*over_bits = pf[i].bits;
			return LIMITS_OVER;   /* wider prefixes keep their
						 credit for the neighbours */
		}
	}
	return LIMITS_PASS;
}

unsigned limits_slip(const struct limits_table *t)
{
	return t ? t->cfg.slip : 0;
}

enum rrl_result limits_zone_nxdomain(struct limits_table *t,
				     const uint8_t *apex, unsigned percent,
				     uint64_t now_ms, uint32_t *count)
{
	uint8_t buf[1 + 255];
	size_t len = 1, off = 0;
	uint32_t now = (uint32_t)now_ms;
	uint32_t sec = (uint32_t)(now_ms / 1000u);
	uint64_t rate, old, nw, key;
	struct bucket *b;

	if (count)
		*count = 0;
	/* Budget off and nobody asking for the count: nothing to account. */
	if (!t || !apex || (!t->cfg.zone_nxdomains_per_second && !count))
		return RRL_PASS;
	buf[0] = KIND_ZONE;
	for (;;) {   /* lowercased apex; account names are never compressed */
		uint8_t l = apex[off];

		if ((l & 0xc0) || off + l + 1 > 255)
			return RRL_PASS;
		buf[len++] = l;
		for (unsigned i = 1; i <= l; i++) {
			uint8_t c = apex[off + i];

			buf[len++] = (c >= 'A' && c <= 'Z') ? c + 32 : c;
		}
		off += l + 1u;
		if (l == 0)
			break;
	}
	rate = t->cfg.zone_nxdomains_per_second;
	if (percent < 100)
		rate = rate * percent / 100u;
	if (rate == 0 && t->cfg.zone_nxdomains_per_second)
		rate = 1;
	if (rate > LIMITS_MAX_RATE)
		rate = LIMITS_MAX_RATE;
	key = bucket_key(t->bt, buf, len);
	b = bucket_find(t->bt, key, now, (uint32_t)rate);
	if (!b)
		return RRL_PASS;
	/* NXDOMAINs of this zone in this second, for the detector. */
	old = atomic_load_explicit(&b->aux64, memory_order_relaxed);
	nw = (uint64_t)sec << 32 | 1;
	for (int tries = 0; tries < LIMITS_CAS_TRIES; tries++) {
		nw = (old >> 32) == sec ? old + 1 : (uint64_t)sec << 32 | 1;
		if (atomic_compare_exchange_weak_explicit(
			    &b->aux64, &old, nw, memory_order_relaxed,
			    memory_order_relaxed))
			break;
	}
	if (count)
		*count = (uint32_t)nw;
	if (!t->cfg.zone_nxdomains_per_second)
		return RRL_PASS;
	if (limits_debit(b, (uint32_t)rate, now))
		return RRL_PASS;
	if (t->cfg.zone_slip &&
	    (atomic_fetch_add_explicit(&b->aux32[0], 1, memory_order_relaxed) + 1) %
			    t->cfg.zone_slip == 0)
		return RRL_SLIP;
	return RRL_DROP;
}
