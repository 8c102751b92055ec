/* limits.h -- per-source query limits and per-zone NXDOMAIN budgets, shared
 * by every reactor (flood defences, docs/flood.md).
 *
 * Two budgets live in one fixed table of token buckets, allocated once by
 * limits_new() and shared by every reactor thread without any lock: the
 * bucket.h table rrl.c uses too (set-associative buckets found by a keyed
 * SipHash, taken over with a relaxed compare-and-swap, debited with a
 * bounded CAS loop):
 *  - per-source query limits, taken BEFORE any lookup work: one bucket per
 *    configured prefix of the source (e.g. /32, /24, /20 and /128, /64,
 *    /56, /48), each earning base rate x that prefix's multiplier; a query
 *    is over the limit when any of its prefixes is (checked in order; the
 *    first without credit stops the walk). Sources holding a valid
 *    server cookie draw on a second set of buckets, cookie-multiplier times
 *    larger: a higher limit, not an unlimited one. Whitelisted networks
 *    are never limited.
 *  - a server-wide NXDOMAIN budget per zone (keyed by the zone apex), which
 *    engages even when every source stays under its own limit: NXDOMAIN
 *    answers of a tortured zone are slipped (TC) or dropped while answers
 *    for names that exist, and every other zone, are untouched.
 * Credits are thousandths of a query in 32 bits (bucket.h: rates up to
 * 4,000,000/s; a prefix's rate is capped at LIMITS_MAX_RATE);
 * a bucket holds at most one second of its rate. Time is passed in
 * (milliseconds of a monotonic clock), so tests drive it by hand.
 */
#ifndef LEVEE_RATELIMIT_LIMITS_H
#define LEVEE_RATELIMIT_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ratelimit/rrl.h"

#define LIMITS_MAX_PREFIXES 4       /* per family */
#define LIMITS_MAX_WHITELIST 64
#define LIMITS_MAX_RATE 1000000u
#define LIMITS_MAX_MULT 1000u
#define LIMITS_MAX_TABLE (1u << 24)

/* One prefix length with its multiple of the base rate. */
struct limits_prefix {
	uint8_t bits;
	unsigned mult;
};

/* Section limits: (docs/flood.md). Everything 0 is off. */
struct limits_config {
	unsigned queries_per_second;   /* base rate per source; 0: off */
	struct limits_prefix v4[LIMITS_MAX_PREFIXES];
	size_t v4_count;               /* default /32 x1, /24 x4, /20 x16 */
	struct limits_prefix v6[LIMITS_MAX_PREFIXES];
	size_t v6_count;               /* default /128 x1, /64 x2, /56 x4,
					  /48 x16 */
	unsigned cookie_multiplier;    /* default 4 */
	struct cidr whitelist[LIMITS_MAX_WHITELIST];
	size_t whitelist_count;
	unsigned zone_nxdomains_per_second;  /* per zone, server-wide; 0: off */
	unsigned zone_slip;            /* every Nth limited NXDOMAIN: TC; 0:
					  drop all; default 2 */
	unsigned slip;                 /* over-limit without a valid cookie:
					  every Nth gets TC or BADCOOKIE, the
					  others nothing; 0: drop all; default
					  1 (server/query.c) */
	unsigned max_table_size;       /* buckets, default 65536 */
	/* TCP (server/tcp.c) */
	unsigned tcp_max_unanswered;   /* connections without a whole query
					  yet, over all reactors; 0: no cap */
	unsigned tcp_pressure_timeout_ms;  /* idle/message timeout when
					  pressed; default 1000 */
};

enum limits_result {
	LIMITS_PASS = 0,
	LIMITS_OVER = 1,
};

struct limits_table;

/* Fills c with the defaults (everything off). Any thread. */
void limits_config_init(struct limits_config *c);

/* Parses "BITS:MULT" (e.g. "24:4") for family AF_INET or AF_INET6 into out.
 * Returns 0 or -EINVAL. Any thread. */
int limits_parse_prefix(const char *text, int family,
			struct limits_prefix *out);

/* True when the section asks for anything on the query path. */
bool limits_config_enabled(const struct limits_config *c);

/* Creates the table (c copied), every bucket allocated now. seed: 16 bytes
 * of hash key or NULL for random ones. NULL on ENOMEM. Main only. */
struct limits_table *limits_new(const struct limits_config *c,
				const uint8_t *seed);

/* Frees it after every reactor stopped. NULL accepted. */
void limits_free(struct limits_table *t);

/* Debits one query from every prefix bucket of src. cookie_valid: the
 * query proved its address (cookie buckets, cookie-multiplier x larger);
 * percent: the share of the base rate granted (100, or less under attack;
 * cookie buckets are never scaled). Returns LIMITS_PASS when per-source
 * limits are off, src is whitelisted or every prefix had credit, otherwise
 * LIMITS_OVER with *over_bits (if not NULL) set to the length of the
 * prefix that had none. Reactor threads: lock-free, allocation-free, at
 * most LIMITS_MAX_PREFIXES sets of 8 buckets visited. */
enum limits_result limits_check(struct limits_table *t,
				const struct sockaddr *src, bool cookie_valid,
				unsigned percent, uint64_t now_ms,
				unsigned *over_bits);

/* The configured slip (limits_config.slip); 0 for t NULL. Any thread. */
unsigned limits_slip(const struct limits_table *t);

/* Accounts one NXDOMAIN answer of the zone whose apex is apex (wire form,
 * answer.h account_name). percent scales the zone budget (100, or less
 * under attack). count, if not NULL, receives the zone's NXDOMAIN answers
 * so far in this second (for the attack detector). Returns RRL_PASS (also
 * when the budget is off), RRL_SLIP (send TC) or RRL_DROP. Reactor threads,
 * lock-free. */
enum rrl_result limits_zone_nxdomain(struct limits_table *t,
				     const uint8_t *apex, unsigned percent,
				     uint64_t now_ms, uint32_t *count);

#endif
