/* rrl.h -- response rate limiting (RRL), shared by every reactor.
 *
 * The settings are those of BIND 9's rate-limit (the ISC RRL design), so an
 * operator carries them over: a rate per response class, a window, slip, the
 * client prefix lengths, exempt clients, log-only and a table size. The
 * table is one fixed array of buckets allocated by rrl_new() and shared by
 * every reactor thread without any lock: a bucket is two 64-bit words
 * updated with relaxed compare-and-swap. Time is passed in (milliseconds
 * of a monotonic clock), so tests drive it by hand.
 *
 * A bucket is picked by the client's prefix, the response class and, for
 * the classes that have one, a name (lowercase as the engine hands it, hashed with a keyed
 * SipHash so nobody can aim collisions at one set of the table):
 *   RESPONSE  qname (or the wildcard's owner) and qtype
 *   NODATA    the name
 *   NXDOMAIN  the zone apex (every random name under a zone: one bucket)
 *   REFERRAL  the delegation point
 *   ERROR     the prefix alone
 *   ALL       the prefix alone (all-per-second, checked besides the class)
 * See docs/rrl.md for the arithmetic and the options.
 */
#ifndef LEVEE_RATELIMIT_RRL_H
#define LEVEE_RATELIMIT_RRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/cidr.h"

/* Largest exempt-clients list, and the largest rate accepted (BIND's). */
#define RRL_MAX_EXEMPT 64
#define RRL_MAX_RATE 1000
#define RRL_MAX_WINDOW 3600
#define RRL_MAX_SLIP 10
#define RRL_MAX_TABLE (1u << 24)

/* A class rate left out of the configuration: follows responses-per-second. */
#define RRL_RATE_UNSET 0xffffffffu

enum rrl_class {
	RRL_CLASS_RESPONSE = 0,   /* positive answers */
	RRL_CLASS_REFERRAL,
	RRL_CLASS_NODATA,
	RRL_CLASS_NXDOMAIN,
	RRL_CLASS_ERROR,
	RRL_CLASS_ALL,            /* all-per-second (never passed in) */
	RRL_CLASS_COUNT
};

enum rrl_result {
	RRL_PASS = 0,   /* send the response as it is */
	RRL_SLIP = 1,   /* send a truncated reply instead (answer_slip) */
	RRL_DROP = 2,   /* send nothing */
};

/* The configuration (the rate-limit: section). Rates are responses per
 * second, 0 turns a class off; RRL_RATE_UNSET follows responses_per_second. */
struct rrl_config {
	unsigned responses_per_second;   /* default 0 (off) */
	unsigned referrals_per_second;   /* default: responses_per_second */
	unsigned nodata_per_second;      /* default: responses_per_second */
	unsigned nxdomains_per_second;   /* default: responses_per_second */
	unsigned errors_per_second;      /* default: responses_per_second */
	unsigned all_per_second;         /* default 0 (off) */
	unsigned window;                 /* seconds, 1..3600, default 15 */
	unsigned slip;                   /* 0..10, default 2 */
	unsigned ipv4_prefix_length;     /* 0..32, default 24 */
	unsigned ipv6_prefix_length;     /* 0..128, default 56 */
	bool log_only;                   /* account and log, never limit */
	unsigned max_table_size;         /* buckets, default 20000 */
	struct cidr exempt[RRL_MAX_EXEMPT];
	size_t exempt_count;
};

struct rrl_table;

/* Receives one finished log line (no newline). Called from reactor threads,
 * at most a few times per second in all (the table rate-limits its own
 * logs); must not block for long. */
typedef void (*rrl_log_fn)(const char *line);

/* Fills c with the defaults (RRL off). Any thread. */
void rrl_config_init(struct rrl_config *c);

/* The effective rate of class cls (follows responses-per-second when left
 * out). Any thread. */
unsigned rrl_config_rate(const struct rrl_config *c, enum rrl_class cls);

/* True when some class has a non-zero rate (a table is worth creating). */
bool rrl_config_enabled(const struct rrl_config *c);

/* Creates the table for c (copied) with c->max_table_size buckets, all
 * allocated now. seed: 16 bytes of hash key, or NULL for random ones. log:
 * where start/stop lines go, or NULL. Returns NULL on ENOMEM. Main only. */
struct rrl_table *rrl_new(const struct rrl_config *c, const uint8_t *seed,
			  rrl_log_fn log);

/* Frees it, after every reactor stopped. NULL accepted. */
void rrl_free(struct rrl_table *t);

/* Number of buckets (never more than max-table-size). */
size_t rrl_table_size(const struct rrl_table *t);

/* Accounts one UDP response and says what to do with it.
 *   src: the client (AF_INET or AF_INET6 sockaddr)
 *   cls: class of the response (not RRL_CLASS_ALL)
 *   name: the account name in lowercase wire form (answer.h
 *         account_name: the engine's names are lowercase) or NULL; hashed
 *         as it is, never folded again; ignored for ERROR
 *   qtype: the query type (keys RESPONSE buckets only)
 *   cookie_valid: the query carried a valid server cookie: never limited
 *         (the hook for RFC 7873 cookies; pass false until they land)
 *   now_ms: a monotonic clock in milliseconds, read once per batch
 *   decided: if not NULL, receives the class whose bucket decided a
 *         non-PASS result (cls, or RRL_CLASS_ALL when all-per-second did)
 * Returns RRL_PASS, RRL_SLIP or RRL_DROP (log-only: always RRL_PASS).
 * Exempt clients and cookie holders always get RRL_PASS and touch no
 * bucket. Reactor threads, concurrently: lock-free, allocation-free; visits
 * one set of at most 8 buckets per class (two sets with all-per-second),
 * each CAS loop bounded. TCP responses must not be passed here. */
enum rrl_result rrl_check(struct rrl_table *t, const struct sockaddr *src,
			  enum rrl_class cls, const uint8_t *name,
			  uint16_t qtype, bool cookie_valid, uint64_t now_ms,
			  enum rrl_class *decided);

/* Name of a class as printed in logs and counters ("responses", ...). */
const char *rrl_class_name(enum rrl_class cls);

#endif
