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

#include <stdbool.h>
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
	/* Response rate limiting: limited and dropped, limited and slipped,
	 * per class in the order of enum rrl_class (ratelimit/rrl.h). */
	STATS_RRL_DROPPED,      /* + RRL_CLASS_RESPONSE .. RRL_CLASS_ALL */
	STATS_RRL_DROPPED_LAST = STATS_RRL_DROPPED + 5,
	STATS_RRL_SLIPPED,      /* + RRL_CLASS_RESPONSE .. RRL_CLASS_ALL */
	STATS_RRL_SLIPPED_LAST = STATS_RRL_SLIPPED + 5,
	/* DNS Cookies, with cookies on: per query, what its COOKIE option
	 * proved (enum cookie_status from COOKIE_NONE on), and BADCOOKIE
	 * replies sent (required, or an RRL slip). */
	STATS_COOKIE_NONE,
	STATS_COOKIE_CLIENT_ONLY,
	STATS_COOKIE_VALID,
	STATS_COOKIE_INVALID,
	STATS_BADCOOKIE,
	/* Flood defences (docs/flood.md): packets that cannot be queries,
	 * per-source limits (dropped, or answered TC/BADCOOKIE under
	 * attack), zone NXDOMAIN budgets, attack-mode changes made by this
	 * reactor, TCP connections refused by tcp-max-unanswered. */
	STATS_GARBAGE_DROPPED,
	STATS_LIMITS_DROPPED,
	STATS_LIMITS_CHALLENGED,
	STATS_ZONE_NX_DROPPED,
	STATS_ZONE_NX_SLIPPED,
	STATS_ATTACK_ENGAGED,
	STATS_ATTACK_DISENGAGED,
	STATS_TCP_UNANSWERED_REFUSED,
	/* Sources listed in the kernel drop map (server/ebpf_drop.h). */
	STATS_EBPF_LISTED,
	/* TCP (tcp.c): connections closed or refused to stay within
	 * tcp-memory-max; connections accepted and closed at once because
	 * one could not be set up (no memory, a handle that would not
	 * initialise). */
	STATS_TCP_MEMORY_CLOSED,
	STATS_TCP_ACCEPT_FAILED,
	/* AXFR out (xfrout.h): transfers started, completed (the last SOA
	 * written), refused by the zone's acl (NOTAUTH), and refused at
	 * transfers-max or for want of memory (SERVFAIL); messages
	 * written. */
	STATS_XFROUT_STARTED,
	STATS_XFROUT_DONE,
	STATS_XFROUT_DENIED,
	STATS_XFROUT_BUSY,
	STATS_XFROUT_MESSAGES,
	/* NOTIFY in (notify_in.h) answered NOERROR: a secondary's check
	 * queued or merged with one queued. */
	STATS_NOTIFY_IN,
	STATS_XFROUT_IXFR,      /* transfers sent as differences (journal) */
	/* TSIG (tsig.h): requests with a TSIG record by verdict, in the
	 * order of enum tsig_result from TSIG_OK; replies that should have
	 * carried a TSIG record and could not (an OpenSSL failure). */
	STATS_TSIG_OK,
	STATS_TSIG_FORMERR,
	STATS_TSIG_BADKEY,
	STATS_TSIG_BADSIG,
	STATS_TSIG_BADTIME,
	STATS_TSIG_BADTRUNC,
	STATS_TSIG_UNSIGNED,
	/* UDP queries from this host exempt from RRL and the per-source
	 * limits (server: exempt-local; query.h: struct query local). */
	STATS_LOCAL_EXEMPT,
	/* dnstap (dnstap.h): messages queued for the writer, and messages
	 * dropped because the reactor's ring was full (a slow or absent
	 * collector). */
	STATS_DNSTAP_QUEUED,
	STATS_DNSTAP_DROPPED,
	/* The AF_XDP path (xdp.h): frames taken from the RX ring, replies
	 * put in the TX ring, frames dropped as malformed, replies lost to
	 * a full TX ring; frames the XDP program passed to the kernel (its
	 * per-CPU counters, filled in by main on reactor 0's copy). */
	STATS_XDP_RECEIVED,
	STATS_XDP_ANSWERED,
	STATS_XDP_DROPPED,
	STATS_XDP_RING_FULL,
	STATS_XDP_PASSED,
	/* Gauges, not counts: bytes the reactor's TCP connections hold now
	 * (struct and buffers, as the allocator counts them), and the most
	 * they held. */
	STATS_TCP_MEMORY,
	STATS_TCP_MEMORY_PEAK,
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

/* Counts a query's enum cookie_status (COOKIE_OFF: nothing). Reactor only. */
#define STATS_COOKIE(s, status)                                             \
	do {                                                                \
		if ((status) > 0 && (status) <= 4)                          \
			STATS_INC(s, STATS_COOKIE_NONE + (status) - 1);     \
	} while (0)

/* Counter for an answer's extended rcode (0..4095): NOERROR..REFUSED are
 * rcodes 0..5 in order, everything else OTHER. */
static inline enum stats_counter stats_rcode_counter(unsigned rcode)
{
	_Static_assert(STATS_RCODE_REFUSED - STATS_RCODE_NOERROR == 5,
		       "rcode counters follow rcodes 0..5");
	return rcode <= 5 ? (enum stats_counter)(STATS_RCODE_NOERROR + rcode)
			  : STATS_RCODE_OTHER;
}

/* Relaxed copy of src into dst. Any thread. */
void stats_snapshot(const struct stats *src, struct stats *dst);

/* Adds a to sum. */
void stats_sum(struct stats *sum, const struct stats *a);

/* Formats "udp-queries N tcp-queries N noerror N ..." into buf (always
 * NUL-terminated). Returns the length written. */
size_t stats_format(const struct stats *s, char *buf, size_t len);

/* Name of counter i as printed ("udp-queries"). */
const char *stats_name(enum stats_counter i);

/* The counter registry: what levee-ctl stats, SIGUSR1 and /metrics
 * (server/metrics.h) print for counter i. The Prometheus series is
 * levee_<metric>_total{<label>} (a gauge: levee_<metric>, no _total);
 * counters sharing a metric are one family with one help text. */
struct stats_desc {
	const char *name;    /* "udp-queries" */
	const char *metric;  /* "queries" */
	const char *label;   /* "transport=\"udp\"", or NULL */
	const char *help;    /* the family's # HELP text */
	bool gauge;          /* a level, not a count */
};

/* Counter i's entry, or NULL when i is out of range. */
const struct stats_desc *stats_desc(enum stats_counter i);

#endif
