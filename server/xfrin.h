/* xfrin.h -- secondary zones: SOA checks, transfers in, their timers.
 *
 * The table lives on the main loop: one entry per zone with primaries:
 * (config.h), its SOA timers and counters. A check of one zone (a
 * "job") runs on a worker thread of its own with blocking sockets, each
 * wait bounded by poll() timeouts, so neither the reactors nor the main
 * loop ever wait on a primary:
 *
 *   1. the SOA of each primary in turn (UDP, 2 tries of XFRIN_SOA_TIMEOUT_MS;
 *      TCP when the answer is truncated), until one answers;
 *   2. when its serial is above the served one (RFC 1982), or nothing is
 *      served, or a retransfer was asked for: IXFR over TCP from the
 *      served serial (RFC 1995), then AXFR (RFC 5936) when the IXFR is
 *      refused, breaks a rule or does not apply (zones/xfr.h); without a
 *      served version, AXFR at once;
 *   3. the new version goes back to main (uv_async), which hands it to
 *      the publish hook (the daemon: zdb_with + zdb_publish, its zstate).
 *
 * Bounds, written where they are enforced (xfrin.c): a transfer of more
 * than XFRIN_MAX_BYTES, a message not complete within
 * XFRIN_MSG_TIMEOUT_MS, a transfer not done within XFRIN_TOTAL_TIMEOUT_S
 * is abandoned; one job per zone at a time (a NOTIFY or refresh meanwhile
 * sets one flag: one more check after it, however many came); at most
 * XFRIN_MAX_JOBS jobs at once over all zones, the others wait in a queue
 * of at most one place per zone. A failed, short or bad transfer
 * publishes nothing: the served version stays, the reason is logged,
 * counted, shown by zone-status, and the check runs again after the SOA's
 * retry interval.
 *
 * Timers (RFC 1035 3.3.13, as knotd): after a good check the next one
 * comes after the SOA's refresh, after a failed one after its retry,
 * each less up to 10% jitter and bounded by refresh-min-interval and
 * refresh-max-interval (server:); a zone with no good check for the SOA's
 * expire is expired (the hook with NULL: the daemon publishes a version
 * marked so, zone_update_expired: SERVFAIL with EDE 24 as knotd) until an
 * AXFR succeeds again; the timer never waits past the expiry. Before any
 * transfer a zone is not served (REFUSED) and is checked at once.
 *
 * Persistence (docs/decisions.md): a secondary with file: has its copy
 * written there (zones/zdump.h: temporary file, fsync, rename, fsync of
 * the directory) on a thread of its own after each published transfer,
 * one write per zone at a time (a version published meanwhile is
 * written after), at most XFRIN_MAX_SYNCS at once (the other zones wait
 * in a list, each at most once); at start the daemon serves that file at once and
 * xfrin_start takes its version as the served one, with the timers kept
 * in the journal's LMDB (when database: journal-db is set): a copy whose
 * expiry passed while Levee was down is expired at once, one that was
 * expiring keeps its deadline. Then it is checked at once, as always.
 *
 * Main only, every function.
 */
#ifndef LEVEE_SERVER_XFRIN_H
#define LEVEE_SERVER_XFRIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "zones/journal.h"
#include "zones/xfr.h"

#define XFRIN_MAX_BYTES (UINT64_C(1) << 30)   /* one transfer's messages */
#define XFRIN_MSG_TIMEOUT_MS 10000            /* one message, or connect */
#define XFRIN_TOTAL_TIMEOUT_S 3600            /* one transfer */
#define XFRIN_SOA_TIMEOUT_MS 2000             /* one SOA query try */
#define XFRIN_MAX_JOBS 4                      /* checks at once */
#define XFRIN_MAX_SYNCS 2                     /* copies written at once
						 (the others wait, once
						 each) */

struct config;
struct zone;
struct xfrin;

/* The daemon's side. publish: zone domain gets version z (one
 * reference, the hook's in every case) from kind (XFR_FULL, XFR_INCR)
 * or, z NULL, has expired (its served version marked so). Returns 0, or LV_EBUSY
 * when the daemon cannot publish now (a reload runs: the zone is checked
 * again at once after), or -ENOMEM. */
struct xfrin_hooks {
	int (*publish)(void *arg, const char *domain, struct zone *z,
		       enum xfr_kind kind);
	/* The served version of domain, or NULL. */
	const struct zone *(*served)(void *arg, const char *domain);
	void *arg;
	/* The IXFR journal (journal.h) or NULL, and its limits per zone: an
	 * IXFR in is appended (its condensed change) before it is
	 * published, so that this server answers IXFR to its own
	 * secondaries; an AXFR clears the zone's chain. The timers (last
	 * refresh, expiry) are kept there too and read back at start. */
	struct journal *journal;
	struct journal_limits jlim;
};

/* Counters over all zones. */
struct xfrin_stats {
	unsigned long checks;       /* SOA checks ended */
	unsigned long axfr, ixfr;   /* transfers that published */
	unsigned long uptodate;     /* checks that found nothing newer */
	unsigned long failed;       /* checks or transfers that failed */
	unsigned long ixfr_fallback;/* IXFRs that ended in an AXFR */
	unsigned long expired;
	unsigned long running, queued;
};

/* A table for the secondaries of cfg on loop. NULL when out of memory. */
struct xfrin *xfrin_new(uv_loop_t *loop, const struct config *cfg,
			const struct xfrin_hooks *hooks);

/* Starts the checks of every zone (called once the zones are published
 * and the reactors run). */
void xfrin_start(struct xfrin *x);

/* After a reload: the secondaries of cfg (which must outlive the next
 * call), their states kept by name; zones gone stop (a job running
 * finishes and publishes nothing), zones new are checked at once.
 * 0 or -ENOMEM (the table stays as it was). */
int xfrin_configure(struct xfrin *x, const struct config *cfg);

/* A check of domain now (NOTIFY, levee-ctl refresh); axfr: a full
 * transfer whatever the serials (levee-ctl retransfer). Merged with a
 * check running or queued. 0, or -ENOENT when domain is not a
 * secondary. O(1). */
int xfrin_refresh(struct xfrin *x, const char *domain, bool axfr);

/* One line on domain's secondary state (serial, last and next check,
 * expiry, counters, last error) into buf; false when not a secondary. */
bool xfrin_zone_status(const struct xfrin *x, const char *domain, char *buf,
		       size_t len);

void xfrin_stats(const struct xfrin *x, struct xfrin_stats *out);

/* Stops the timers; jobs running are waited for (each ends within its
 * timeouts: the sockets are shut down to make it quick). NULL accepted. */
void xfrin_free(struct xfrin *x);

#endif
