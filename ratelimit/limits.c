/* limits.c -- per-source query limits and per-zone NXDOMAIN budgets: one
 * lock-free table shared by every reactor.
 *
 * The table follows rrl.c's design (docs/rrl.md): a fixed array of buckets
 * in sets of LIMITS_WAYS, a key (SipHash-2-4 keyed with a secret, so nobody
 * can aim collisions at one set) picks the set, the bucket holding the key
 * is found by scanning it, and a missing key takes over the empty or least
 * recently used bucket of the set with a compare-and-swap. Buckets differ
 * from RRL's: the credit is wider (36 bits of thousandths, so a /20 may earn
 * hundreds of thousands of queries a second) and there is no slip state per
 * source (a query over its per-source limit is never answered in full).
 * Each word is a C11 atomic changed with relaxed operations only; a CAS loop
 * that loses LIMITS_CAS_TRIES rounds lets the query pass. Nothing here
 * allocates, blocks or calls into the system after limits_new().
 *
 * Keys: kind (source, cookie source, zone) | family | prefix bits | address
 * with host bits cleared, or kind | lowercased zone apex. Prefixes are
 * checked in the order configured (narrowest first by default) and the
 * first one without credit stops the walk: a blasting /32 spends its own
 * credit, not the wider prefixes' its neighbours share.
 */
#include "ratelimit/limits.h"

#include <errno.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define LIMITS_WAYS 8
#define LIMITS_CAS_TRIES 16
#define LIMITS_CLAIM_TRIES 3

/* State word: stamp (ms, 28 bits) << 36 | credit (1/1000 query, 36 bits). */
#define ST_BITS 36
#define ST_CMASK ((1ull << ST_BITS) - 1)
#define ST_SMASK 0xfffffffu
#define ST_STAMP(s) ((uint32_t)((s) >> ST_BITS) & ST_SMASK)
#define ST_CREDIT(s) ((s) & ST_CMASK)
#define ST_PACK(stamp, credit)                                              \
	((uint64_t)((stamp) & ST_SMASK) << ST_BITS | ((credit) & ST_CMASK))

enum limits_kind { KIND_SOURCE = 1, KIND_COOKIE = 2, KIND_ZONE = 3 };

struct limits_bucket {
	_Atomic uint64_t key;        /* 0: empty */
	_Atomic uint64_t state;
	_Atomic uint64_t second;     /* zones: second << 32 | NXDOMAINs in it */
	_Atomic uint32_t slip;       /* zones: limited answers, for slip */
	uint32_t pad;
};

struct limits_table {
	struct limits_config cfg;
	size_t nsets;
	unsigned ways;
	uint8_t key[crypto_shorthash_KEYBYTES];
	struct limits_bucket *b;
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
	t->ways = n < LIMITS_WAYS ? (unsigned)n : LIMITS_WAYS;
	t->nsets = n / t->ways;
	t->b = calloc(t->nsets * t->ways, sizeof(*t->b));
	if (!t->b || (!seed && sodium_init() < 0)) {
		free(t->b);
		free(t);
		return NULL;
	}
	if (seed)
		memcpy(t->key, seed, sizeof(t->key));
	else
		randombytes_buf(t->key, sizeof(t->key));
	return t;
}

void limits_free(struct limits_table *t)
{
	if (!t)
		return;
	free(t->b);
	free(t);
}

const struct limits_config *limits_config_of(const struct limits_table *t)
{
	return &t->cfg;
}

bool limits_is_query(const uint8_t *q, size_t len)
{
	return q && len >= 12 && !(q[2] & 0x80);
}

static uint64_t limits_hash(const struct limits_table *t, const uint8_t *buf,
			    size_t len)
{
	unsigned char out[crypto_shorthash_BYTES];
	uint64_t h;

	crypto_shorthash(out, buf, len, t->key);
	memcpy(&h, out, sizeof(h));
	return h ? h : 1;
}

/* Finds or takes over the bucket of key (rrl.c's rrl_find, with this
 * table's bucket layout). NULL when other threads won every claim. */
static struct limits_bucket *limits_find(struct limits_table *t, uint64_t key,
					 uint32_t now, uint64_t cap)
{
	struct limits_bucket *set =
		t->b + (size_t)((key >> 17) % t->nsets) * t->ways;

	for (int round = 0; round < LIMITS_CLAIM_TRIES; round++) {
		struct limits_bucket *victim = set;
		uint64_t vkey = 0;
		int64_t vage = -1;

		for (unsigned i = 0; i < t->ways; i++) {
			uint64_t k = atomic_load_explicit(&set[i].key,
							  memory_order_relaxed);
			int64_t age;

			if (k == key)
				return &set[i];
			if (k == 0) {
				age = INT64_MAX;
			} else {
				uint64_t s = atomic_load_explicit(
					&set[i].state, memory_order_relaxed);

				age = (int64_t)((now - ST_STAMP(s)) & ST_SMASK);
			}
			if (age > vage) {
				vage = age;
				victim = &set[i];
				vkey = k;
			}
		}
		if (atomic_compare_exchange_strong_explicit(
			    &victim->key, &vkey, key, memory_order_relaxed,
			    memory_order_relaxed)) {
			atomic_store_explicit(&victim->state, ST_PACK(now, cap),
					      memory_order_relaxed);
			atomic_store_explicit(&victim->second, 0,
					      memory_order_relaxed);
			atomic_store_explicit(&victim->slip, 0,
					      memory_order_relaxed);
			return victim;
		}
	}
	return NULL;
}

/* Takes one query's credit from bucket b earning rate per second. */
static bool limits_debit(struct limits_bucket *b, uint64_t rate, uint32_t now)
{
	uint64_t cap = rate * 1000u;

	for (int tries = 0; tries < LIMITS_CAS_TRIES; tries++) {
		uint64_t old = atomic_load_explicit(&b->state,
						    memory_order_relaxed);
		uint32_t d = (now - ST_STAMP(old)) & ST_SMASK;
		uint64_t credit = ST_CREDIT(old);
		uint32_t stamp = now;
		bool ok;

		if (d > ST_SMASK / 2) {   /* another reactor's clock is ahead */
			d = 0;
			stamp = ST_STAMP(old);
		}
		credit = d >= 1000 ? cap : credit + (uint64_t)d * rate;
		if (credit > cap)
			credit = cap;
		ok = credit >= 1000;
		if (ok)
			credit -= 1000;
		if (atomic_compare_exchange_weak_explicit(
			    &b->state, &old, ST_PACK(stamp, credit),
			    memory_order_relaxed, memory_order_relaxed))
			return ok;
	}
	return true;   /* lost every round: let it through */
}

static bool limits_whitelisted(const struct limits_table *t, int family,
			       const uint8_t *a)
{
	for (size_t i = 0; i < t->cfg.whitelist_count; i++) {
		const struct rrl_cidr *e = &t->cfg.whitelist[i];
		unsigned full = e->bits / 8u, rest = e->bits % 8u;

		if (e->family != family || memcmp(a, e->addr, full) != 0)
			continue;
		if (rest && ((a[full] ^ e->addr[full]) &
			     (uint8_t)(0xff << (8 - rest))))
			continue;
		return true;
	}
	return false;
}

enum limits_result limits_check(struct limits_table *t,
				const struct sockaddr *src, bool cookie_valid,
				unsigned percent, uint64_t now_ms)
{
	const struct limits_prefix *pf;
	const uint8_t *a;
	size_t n;
	uint32_t now = (uint32_t)now_ms & ST_SMASK;
	uint64_t base;

	if (!t || !t->cfg.queries_per_second)
		return LIMITS_PASS;
	if (src->sa_family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)src)->sin_addr;
		pf = t->cfg.v4;
		n = t->cfg.v4_count;
	} else if (src->sa_family == AF_INET6) {
		a = (const uint8_t *)&((const struct sockaddr_in6 *)src)->sin6_addr;
		pf = t->cfg.v6;
		n = t->cfg.v6_count;
	} else {
		return LIMITS_PASS;
	}
	if (limits_whitelisted(t, src->sa_family, a))
		return LIMITS_PASS;
	base = t->cfg.queries_per_second;
	if (cookie_valid)
		base *= t->cfg.cookie_multiplier ? t->cfg.cookie_multiplier : 1;
	else if (percent < 100)
		base = base * percent / 100u;
	for (size_t i = 0; i < n && i < LIMITS_MAX_PREFIXES; i++) {
		uint8_t buf[3 + 16];
		uint64_t rate = base * pf[i].mult, key;
		struct limits_bucket *b;

		if (rate > LIMITS_MAX_RATE)
			rate = LIMITS_MAX_RATE;
		buf[0] = cookie_valid ? KIND_COOKIE : KIND_SOURCE;
		buf[1] = (uint8_t)src->sa_family;
		buf[2] = pf[i].bits;
		memcpy(buf + 3, a, 16);
		if (src->sa_family == AF_INET)
			memset(buf + 7, 0, 12);
		for (unsigned j = 0; j < 16; j++) {
			int keep = (int)pf[i].bits - 8 * (int)j;

			if (keep <= 0)
				buf[3 + j] = 0;
			else if (keep < 8)
				buf[3 + j] &= (uint8_t)(0xff << (8 - keep));
		}
		key = limits_hash(t, buf, sizeof(buf));
		b = limits_find(t, key, now, rate * 1000u);
		if (b && !limits_debit(b, rate, now))
			return LIMITS_OVER;   /* wider prefixes keep their
						 credit for the neighbours */
	}
	return LIMITS_PASS;
}

enum rrl_result limits_zone_nxdomain(struct limits_table *t,
				     const uint8_t *apex, unsigned percent,
				     uint64_t now_ms, uint32_t *count)
{
	uint8_t buf[1 + 255];
	size_t len = 1, off = 0;
	uint32_t now = (uint32_t)now_ms & ST_SMASK;
	uint32_t sec = (uint32_t)(now_ms / 1000u);
	uint64_t rate, old, nw, key;
	struct limits_bucket *b;

	if (count)
		*count = 0;
	if (!t || !apex)
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
	key = limits_hash(t, buf, len);
	b = limits_find(t, key, now, rate * 1000u);
	if (!b)
		return RRL_PASS;
	/* NXDOMAINs of this zone in this second, for the detector. */
	old = atomic_load_explicit(&b->second, memory_order_relaxed);
	nw = (uint64_t)sec << 32 | 1;
	for (int tries = 0; tries < LIMITS_CAS_TRIES; tries++) {
		nw = (old >> 32) == sec ? old + 1 : (uint64_t)sec << 32 | 1;
		if (atomic_compare_exchange_weak_explicit(
			    &b->second, &old, nw, memory_order_relaxed,
			    memory_order_relaxed))
			break;
	}
	if (count)
		*count = (uint32_t)nw;
	if (!t->cfg.zone_nxdomains_per_second)
		return RRL_PASS;
	if (limits_debit(b, rate, now))
		return RRL_PASS;
	if (t->cfg.zone_slip &&
	    (atomic_fetch_add_explicit(&b->slip, 1, memory_order_relaxed) + 1) %
			    t->cfg.zone_slip == 0)
		return RRL_SLIP;
	return RRL_DROP;
}
