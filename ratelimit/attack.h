/* attack.h -- under-attack mode: off, on (always) or auto (engages by
 * itself when a measure passes its threshold, disengages with hysteresis).
 *
 * One struct attack is shared by every reactor. Each query, UDP or TCP, is
 * noted with attack_note_query() (a few relaxed atomic adds; the caller's
 * hash of the qname, mixed with a secret, only when the distinct-names
 * threshold is set), and, when the zone
 * threshold is set, each answer from a zone with attack_note_answer(). The
 * first reactor to see a new second wins a compare-and-swap on the second
 * and evaluates the one that ended: the query rate, each zone's own
 * NXDOMAIN share (its NXDOMAIN answers over its answers in that second),
 * and the number of distinct query names (linear counting over a
 * 65,536-bit map per second). Auto mode engages when any measure passes
 * its threshold: the query rate and a zone's share as soon as the second
 * so far has passed it (the query that takes the count over, or a zone's
 * NXDOMAIN answer that reaches zone-nxdomain-min, or a power of two above
 * it, with its share over the percentage both of its answers so far and
 * of those plus its answers of the second before prorated over the rest
 * of this one), distinct names when the second ends; so a flood is met
 * within milliseconds, not at the end of its first whole second, and a
 * burst at the start of a second engages for a busy zone no more easily
 * than a whole second would. It disengages when every measure stays under
 * release-percent of its threshold for hold-time seconds. Every change is
 * logged through the callback with its reason, and reported to the caller
 * (which counts it). While engaged (docs/flood.md): cookie-less UDP sources
 * over their share get TC or BADCOOKIE, cookie holders and TCP keep full
 * service, NXDOMAIN budgets tighten, `cookies: require: under-attack`
 * applies. No lock, no allocation after attack_new(); time is passed in.
 *
 * Per-zone counting (why a table here rather than limits.c's zone buckets):
 * the share needs every answer of a zone counted, not only its NXDOMAINs.
 * The limits.c bucket is found by a SipHash of the lowercased apex and a
 * set-associative search, and counting positives there would also let
 * busy zones evict source buckets. attack.c instead keeps, per second, a
 * fixed open-addressed table of ATTACK_ZONE_CELLS cells keyed by the
 * zone's identity (the snapshot's zone pointer, compared, never
 * dereferenced), mixed with a random key: one multiply to find the cell,
 * one relaxed load of its owner and one relaxed 64-bit add of (answers <<
 * 32 | nxdomain) on the same cache line; a CAS only for a zone's first
 * answer of the second. No name is hashed. Nothing is counted unless
 * `attack: mode: auto` has a zone-nxdomain-percent. More zones answering
 * within one second than the table holds share cells (after
 * ATTACK_ZONE_PROBES probes): a shared cell's share is a weighted average,
 * never above the higher of its zones' shares.
 */
#ifndef LEVEE_RATELIMIT_ATTACK_H
#define LEVEE_RATELIMIT_ATTACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum attack_mode { ATTACK_OFF = 0, ATTACK_ON, ATTACK_AUTO };

enum attack_change {
	ATTACK_SAME = 0,
	ATTACK_ENGAGED = 1,
	ATTACK_DISENGAGED = 2,
};

/* Section attack: (docs/flood.md). Thresholds of 0 are not used. */
struct attack_config {
	int mode;                        /* enum attack_mode, default off */
	unsigned queries_per_second;     /* threshold: all queries */
	unsigned zone_nxdomain_percent;  /* threshold: one zone's NXDOMAIN
					    answers as a share of that zone's
					    answers in the second, 1..100 */
	unsigned zone_nxdomain_min;      /* ...counted only from this many of
					    its NXDOMAINs a second (default
					    100) */
	unsigned distinct_names_per_second;  /* threshold */
	unsigned release_percent;        /* disengage under this share of each
					    threshold, default 50 */
	unsigned hold_time;              /* seconds under it, default 10 */
	unsigned source_share_percent;   /* cookie-less per-source rate while
					    engaged, % of limits', default 50 */
	unsigned nxdomain_budget_percent;/* zone NXDOMAIN budget while
					    engaged, default 25 */
	/* The kernel existence filter while engaged (server/exist_guard.h):
	 * name-filter (default on), name-filter-sample (1 in N would-be
	 * drops still answered, default 32, 0: none), name-filter-capacity
	 * (names a set holds at most, default 1,048,576). */
	bool name_filter;
	unsigned name_filter_sample;
	unsigned name_filter_capacity;
};

struct attack;

/* Receives one log line (no newline), from a reactor thread, at most once
 * per second. */
typedef void (*attack_log_fn)(const char *line);

void attack_config_init(struct attack_config *c);

/* Creates the state (c copied); mode on starts engaged. NULL on ENOMEM.
 * Main only. */
struct attack *attack_new(const struct attack_config *c, attack_log_fn log);

void attack_free(struct attack *a);

/* True while engaged (NULL: false). Any thread, relaxed. */
bool attack_engaged(const struct attack *a);

/* True when attack_note_query() uses the qname hash (auto mode with a
 * distinct-names threshold): the caller computes it only then. */
bool attack_wants_names(const struct attack *a);

/* Notes one query (UDP or TCP) at now_ms; name_hash: a hash of its
 * lowercased qname (name_hash() of common/name.h), or 0 when there is none
 * or attack_wants_names() is false. Evaluates the previous second when
 * this call is the first of a new one, and engages when this query takes
 * the second over queries_per_second. Returns the change this call made
 * (ATTACK_SAME nearly always). Reactor threads. No packet is read here. */
enum attack_change attack_note_query(struct attack *a, uint32_t name_hash,
				     uint64_t now_ms);

/* Notes one answer from a zone at now_ms (after attack_note_query() of its
 * query, same clock). zone: the zone's identity (any pointer unique to the
 * zone while it serves; compared only), NULL: nothing is noted. nxdomain:
 * the answer is NXDOMAIN; then apex (the zone's name, lowercase wire) may
 * be read to name the zone in the log, during this call only. Does nothing
 * unless mode is auto with zone_nxdomain_percent. Returns ATTACK_ENGAGED
 * when this answer engaged the mode (its zone's NXDOMAINs so far this
 * second reached the floor, or a power of two above it, at a share over
 * the threshold), else ATTACK_SAME. Reactor threads: no lock, no
 * allocation. */
enum attack_change attack_note_answer(struct attack *a, const void *zone,
				      const uint8_t *apex, bool nxdomain,
				      uint64_t now_ms);

/* Notes n queries the kernel name filter dropped (would-be NXDOMAINs of
 * served zones) since the last call, at now_ms (same clock): they count
 * as queries for the rate, and a second in which the filter dropped
 * zone_nxdomain_min of them (zone threshold set) or release_percent of
 * distinct_names_per_second is not calm, so the mode does not disengage
 * while the filter holds a flood back. Never engages by itself. Any
 * thread: one relaxed add. */
void attack_note_filtered(struct attack *a, uint64_t n, uint64_t now_ms);

/* The configuration (percentages the server applies while engaged), or
 * NULL for a NULL a. */
const struct attack_config *attack_config_of(const struct attack *a);

/* Number of engagements and disengagements so far. Any thread. */
unsigned long attack_changes(const struct attack *a, bool engaged);

#endif
