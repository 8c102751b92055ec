/* rrl.c -- response rate limiting: one lock-free table for every reactor.
 *
 * The buckets are a bucket.h table of max-table-size buckets, allocated
 * once by rrl_new() and never grown: set-associative, found or taken over
 * (empty or least recently used first) with relaxed compare-and-swaps, so a
 * full table reuses its oldest buckets and lookup work is bounded by one
 * set. A key is SipHash-2-4 of prefix, class, qtype and lowercased name,
 * keyed with a secret so a client cannot aim collisions at one set.
 *
 * bucket.c keeps the credit (thousandths of a response, rates capped at
 * RRL_MAX_RATE here) and the stamp of the last update; this file keeps two
 * words of each bucket's aux space, both C11 atomics changed with relaxed
 * operations only: aux32[RRL_AUX_SINCE], "limited since", and
 * aux32[RRL_AUX_SLIP], the count of limited responses for slip, reset when
 * the bucket refills after window.
 *
 * Arithmetic (docs/rrl.md): a bucket earns `rate` responses per second,
 * continuously (rate thousandths per millisecond), and holds at most `rate`;
 * a response that finds a whole response of credit spends it and passes;
 * otherwise it is limited: every slip-th limited response slips (a TC=1
 * reply), the others are dropped. A bucket untouched for longer than window
 * starts afresh. A prefix is reported "limited" from its first limited
 * response until a response passes after window seconds with none limited.
 *
 * Nothing here allocates, blocks or calls into the system after rrl_new();
 * the log callback is called at most RRL_LOG_PER_SEC times a second in all
 * and at most once per prefix slot per window for "start" lines.
 */
#include "ratelimit/rrl.h"

#include "ratelimit/bucket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RRL_LOG_PER_SEC 10
#define RRL_LOG_SLOTS 256

/* This file's aux words of a bucket. */
#define RRL_AUX_SINCE 0   /* ms | 1 of the last limited response; 0: not
			     limited */
#define RRL_AUX_SLIP 1    /* limited responses, for slip */

struct rrl_table {
	struct rrl_config cfg;
	unsigned rate[RRL_CLASS_COUNT];
	uint32_t window_ms;
	rrl_log_fn log;
	_Atomic uint32_t log_sec;          /* second of the log budget */
	_Atomic uint32_t log_count;        /* lines logged in it */
	_Atomic uint32_t log_prefix[RRL_LOG_SLOTS];  /* second + 1 of the last
							start line per slot */
	struct bucket_table *bt;
};

static const char *const rrl_class_names[RRL_CLASS_COUNT] = {
	[RRL_CLASS_RESPONSE] = "responses",
	[RRL_CLASS_REFERRAL] = "referrals",
	[RRL_CLASS_NODATA] = "nodata",
	[RRL_CLASS_NXDOMAIN] = "nxdomains",
	[RRL_CLASS_ERROR] = "errors",
	[RRL_CLASS_ALL] = "all",
};

const char *rrl_class_name(enum rrl_class cls)
{
	return (unsigned)cls < RRL_CLASS_COUNT ? rrl_class_names[cls] : "?";
}

void rrl_config_init(struct rrl_config *c)
{
	memset(c, 0, sizeof(*c));
	c->responses_per_second = 0;
	c->referrals_per_second = RRL_RATE_UNSET;
	c->nodata_per_second = RRL_RATE_UNSET;
	c->nxdomains_per_second = RRL_RATE_UNSET;
	c->errors_per_second = RRL_RATE_UNSET;
	c->all_per_second = 0;
	c->window = 15;
	c->slip = 2;
	c->ipv4_prefix_length = 24;
	c->ipv6_prefix_length = 56;
	c->log_only = false;
	c->max_table_size = 20000;
}

unsigned rrl_config_rate(const struct rrl_config *c, enum rrl_class cls)
{
	unsigned r;

	switch (cls) {
	case RRL_CLASS_RESPONSE: return c->responses_per_second;
	case RRL_CLASS_REFERRAL: r = c->referrals_per_second; break;
	case RRL_CLASS_NODATA: r = c->nodata_per_second; break;
	case RRL_CLASS_NXDOMAIN: r = c->nxdomains_per_second; break;
	case RRL_CLASS_ERROR: r = c->errors_per_second; break;
	case RRL_CLASS_ALL: return c->all_per_second;
	default: return 0;
	}
	return r == RRL_RATE_UNSET ? c->responses_per_second : r;
}

bool rrl_config_enabled(const struct rrl_config *c)
{
	for (int i = 0; i < RRL_CLASS_COUNT; i++)
		if (rrl_config_rate(c, (enum rrl_class)i))
			return true;
	return false;
}

struct rrl_table *rrl_new(const struct rrl_config *c, const uint8_t *seed,
			  rrl_log_fn log)
{
	struct rrl_table *t;
	size_t n = c->max_table_size ? c->max_table_size : 1;

	if (n > RRL_MAX_TABLE)
		n = RRL_MAX_TABLE;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cfg = *c;
	for (int i = 0; i < RRL_CLASS_COUNT; i++) {
		unsigned r = rrl_config_rate(c, (enum rrl_class)i);

		t->rate[i] = r > RRL_MAX_RATE ? RRL_MAX_RATE : r;
	}
	t->window_ms = (c->window ? c->window : 1) * 1000u;
	t->log = log;
	t->bt = bucket_table_new(n, seed);
	if (!t->bt) {
		free(t);
		return NULL;
	}
	return t;
}

void rrl_free(struct rrl_table *t)
{
	if (!t)
		return;
	bucket_table_free(t->bt);
	free(t);
}

size_t rrl_table_size(const struct rrl_table *t)
{
	return bucket_table_size(t->bt);
}

/* The prefix of src for the configured lengths. false: not IP. */
static bool rrl_prefix_of(const struct rrl_table *t, const struct sockaddr *src,
			  struct cidr *p)
{
	return cidr_of_sockaddr(src, src->sa_family == AF_INET ?
				t->cfg.ipv4_prefix_length :
				t->cfg.ipv6_prefix_length, p);
}

/* Whether src is in one of the exempt networks. At most RRL_MAX_EXEMPT
 * comparisons. */
static bool rrl_exempt(const struct rrl_table *t, const struct sockaddr *src)
{
	const uint8_t *a = cidr_sockaddr_bytes(src);

	return a && cidr_match(t->cfg.exempt, t->cfg.exempt_count,
			       src->sa_family, a);
}

/* Length of an account name (lowercase wire, as answer.h hands it: no
 * copy, no second fold); 0 for NULL or a name that runs past 255 octets or
 * holds a compression pointer, which account names never do. One pass over
 * its labels. */
static size_t rrl_name_len(const uint8_t *name)
{
	size_t off = 0;

	if (!name)
		return 0;
	for (;;) {
		uint8_t l = name[off];

		if (l & 0xc0 || off + l + 1 > 255)
			return 0;
		off += l + 1u;
		if (l == 0)
			return off;
	}
}

/* The bucket key: nonzero 64-bit keyed hash. */
static uint64_t rrl_key(const struct rrl_table *t, const struct cidr *p,
			enum rrl_class cls, const uint8_t *name, uint16_t qtype)
{
	uint8_t buf[2 + 16 + 2 + 255];
	size_t len = 0, alen = p->family == AF_INET ? 4 : 16, nlen;

	/* The keyed hash of family, class, the prefix's bytes (4 for IPv4),
	 * the qtype (responses) and the name as it is: the engine's names
	 * are lowercase already. */
	buf[len++] = p->family;
	buf[len++] = (uint8_t)cls;
	memcpy(buf + len, p->addr, alen);
	len += alen;
	if (cls == RRL_CLASS_RESPONSE) {
		buf[len++] = (uint8_t)(qtype >> 8);
		buf[len++] = (uint8_t)qtype;
	}
	if (cls != RRL_CLASS_ERROR && cls != RRL_CLASS_ALL &&
	    (nlen = rrl_name_len(name)) > 0) {
		memcpy(buf + len, name, nlen);
		len += nlen;
	}
	return bucket_key(t->bt, buf, len);
}

/* Presentation form of a wire name for logs ("." for NULL or bad). */
static void rrl_name_text(const uint8_t *name, char *out, size_t cap)
{
	size_t o = 0, off = 0;

	if (!name || cap < 8) {
		snprintf(out, cap, ".");
		return;
	}
	while (name[off] && !(name[off] & 0xc0) && off < 255) {
		uint8_t l = name[off];

		for (unsigned i = 1; i <= l && o + 5 < cap; i++) {
			uint8_t c = name[off + i];

			if (c > ' ' && c < 127 && c != '.' && c != '\\')
				out[o++] = (char)c;
			else
				o += (size_t)snprintf(out + o, cap - o,
						      "\\%03u", c);
		}
		if (o + 2 < cap)
			out[o++] = '.';
		off += l + 1u;
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
}

static void rrl_prefix_text(const struct cidr *p, char *out, size_t cap)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(p->family, p->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(out, cap, "%s/%u", a, p->bits);
}

/* One log line, if the global budget of this second allows it. */
static void rrl_log(struct rrl_table *t, const struct cidr *p,
		    enum rrl_class cls, const uint8_t *name, uint32_t now_ms,
		    bool start)
{
	uint32_t sec = now_ms / 1000u, cur;
	char pfx[INET6_ADDRSTRLEN + 8], nm[1024], line[1400];

	if (!t->log)
		return;
	cur = atomic_load_explicit(&t->log_sec, memory_order_relaxed);
	if (cur != sec &&
	    atomic_compare_exchange_strong_explicit(&t->log_sec, &cur, sec,
						    memory_order_relaxed,
						    memory_order_relaxed))
		atomic_store_explicit(&t->log_count, 0, memory_order_relaxed);
	if (atomic_fetch_add_explicit(&t->log_count, 1, memory_order_relaxed) >=
	    RRL_LOG_PER_SEC)
		return;
	rrl_prefix_text(p, pfx, sizeof(pfx));
	if (cls == RRL_CLASS_ERROR || cls == RRL_CLASS_ALL)
		snprintf(nm, sizeof(nm), "-");
	else
		rrl_name_text(name, nm, sizeof(nm));
	/* A start line says how to exempt a client on purpose (a load
	 * generator, a monitor): an operator meets RRL here first. */
	snprintf(line, sizeof(line), "rrl: %s%s %s %s %s%s", t->cfg.log_only ?
		 "would " : "", start ? "limit" : "stop limiting", pfx,
		 rrl_class_name(cls), nm, start ? " (to exempt a client: "
		 "rate-limit: exempt-clients, or server: exempt-local for "
		 "this host; docs/rrl.md)" : "");
	t->log(line);
}

/* Whether a "start" line for this prefix may go out now: at most one per
 * prefix slot per window. */
static bool rrl_log_prefix_ok(struct rrl_table *t, const struct cidr *p,
			      uint32_t now_ms)
{
	uint32_t slot = 0, sec = now_ms / 1000u + 1u, last;

	for (int i = 0; i < 16; i++)
		slot = slot * 31u + p->addr[i];
	slot = (slot ^ p->family) % RRL_LOG_SLOTS;
	last = atomic_load_explicit(&t->log_prefix[slot], memory_order_relaxed);
	if (last && sec - last < t->window_ms / 1000u)
		return false;
	return atomic_compare_exchange_strong_explicit(
		&t->log_prefix[slot], &last, sec, memory_order_relaxed,
		memory_order_relaxed);
}

/* Debits one response from the bucket of (p, cls, name, qtype). */
static enum rrl_result rrl_account(struct rrl_table *t,
				   const struct cidr *p,
				   enum rrl_class cls, const uint8_t *name,
				   uint16_t qtype, uint32_t now)
{
	uint32_t rate = t->rate[cls];
	unsigned slip = cls == RRL_CLASS_ALL ? 0 : t->cfg.slip;
	uint64_t key = rrl_key(t, p, cls, name, qtype);
	struct bucket *b = bucket_find(t->bt, key, now, rate);
	_Atomic uint32_t *since, *nslip;
	enum rrl_result res = RRL_PASS;
	uint32_t lim;

	if (!b)
		return RRL_PASS;
	since = &b->aux32[RRL_AUX_SINCE];
	nslip = &b->aux32[RRL_AUX_SLIP];
	switch (bucket_debit(b, rate, rate, t->window_ms, now)) {
	case BUCKET_FRESH:
		atomic_store_explicit(nslip, 0, memory_order_relaxed);
		break;
	case BUCKET_PASS:
		break;
	case BUCKET_LIMITED:
		if (slip && (atomic_fetch_add_explicit(nslip, 1,
						       memory_order_relaxed) +
			     1) % slip == 0)
			res = RRL_SLIP;
		else
			res = RRL_DROP;
		break;
	}
	/* Start and stop of limiting, for the log. */
	lim = atomic_load_explicit(since, memory_order_relaxed);
	if (res != RRL_PASS) {
		if (lim == 0) {
			if (atomic_compare_exchange_strong_explicit(
				    since, &lim, now | 1u,
				    memory_order_relaxed,
				    memory_order_relaxed) &&
			    rrl_log_prefix_ok(t, p, now))
				rrl_log(t, p, cls, name, now, true);
		} else if ((int32_t)(now - lim) >= 1000) {
			atomic_store_explicit(since, now | 1u,
					      memory_order_relaxed);
		}
	} else if (lim && (int32_t)(now - lim) > (int32_t)t->window_ms) {
		if (atomic_compare_exchange_strong_explicit(
			    since, &lim, 0, memory_order_relaxed,
			    memory_order_relaxed))
			rrl_log(t, p, cls, name, now, false);
	}
	return res;
}

enum rrl_result rrl_check(struct rrl_table *t, const struct sockaddr *src,
			  enum rrl_class cls, const uint8_t *name,
			  uint16_t qtype, bool cookie_valid, uint64_t now_ms,
			  enum rrl_class *decided)
{
	struct cidr p;
	enum rrl_result res = RRL_PASS;
	uint32_t now = (uint32_t)now_ms;

	if (decided)
		*decided = cls;
	if (!t || cookie_valid || (unsigned)cls >= RRL_CLASS_ALL)
		return RRL_PASS;
	if (!rrl_prefix_of(t, src, &p) || rrl_exempt(t, src))
		return RRL_PASS;
	if (t->rate[cls])
		res = rrl_account(t, &p, cls, name, qtype, now);
	if (t->rate[RRL_CLASS_ALL] &&
	    rrl_account(t, &p, RRL_CLASS_ALL, NULL, 0, now) != RRL_PASS) {
		res = RRL_DROP;
		if (decided)
			*decided = RRL_CLASS_ALL;
	}
	return t->cfg.log_only ? RRL_PASS : res;
}

