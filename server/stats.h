/* stats.h -- per-reactor counters.
 *
 * Each reactor owns one struct stats and is its only writer; it bumps a
 * counter with STATS_INC (a relaxed atomic load and store: a plain add on
 * x86-64, no lock prefix, yet not a data race for the main thread). The main
 * thread reads them relaxed for SIGUSR1 and sums the reactors; a total may be
 * a few queries stale, never torn.
 */
#ifndef LEVEE_SERVER_STATS_H
#define LEVEE_SERVER_STATS_H

#include <stddef.h>
#include <stdint.h>

enum stats_counter {
	STATS_UDP_QUERIES,
	STATS_TCP_QUERIES,
	STATS_RCODE_NOERROR,
	STATS_RCODE_FORMERR,
	STATS_RCODE_SERVFAIL,
	STATS_RCODE_NXDOMAIN,
	STATS_RCODE_NOTIMP,
	STATS_RCODE_REFUSED,
	STATS_RCODE_OTHER,
	STATS_DROPPED,
	STATS_TRUNCATED,
	STATS_TCP_ACCEPTED,
	STATS_TCP_CLOSED,
	STATS_TCP_REFUSED,      /* closed at once: over a connection limit */
	STATS_TCP_TIMEOUT,      /* closed: idle or partial message too long */
	STATS_COUNT
};

struct stats {
	uint64_t c[STATS_COUNT];
} __attribute__((aligned(64)));

/* Reactor only (the owner). */
#define STATS_ADD(s, i, n)                                                  \
	__atomic_store_n(&(s)->c[i],                                        \
			 __atomic_load_n(&(s)->c[i], __ATOMIC_RELAXED) + (n),\
			 __ATOMIC_RELAXED)
#define STATS_INC(s, i) STATS_ADD(s, i, 1)

/* Counter for an answer's extended rcode (0..4095). */
enum stats_counter stats_rcode_counter(unsigned rcode);

/* Relaxed copy of src into dst. Any thread. */
void stats_snapshot(const struct stats *src, struct stats *dst);

/* Adds a to sum. */
void stats_sum(struct stats *sum, const struct stats *a);

/* Formats "udp-queries N tcp-queries N noerror N ..." into buf (always
 * NUL-terminated). Returns the length written. */
size_t stats_format(const struct stats *s, char *buf, size_t len);

/* Name of counter i as printed ("udp-queries"). */
const char *stats_name(enum stats_counter i);

#endif
