/* sigcheck.h -- the signature span of a served zone: told in the log at
 * load, and again whenever time moves it into another state.
 *
 * A signed zone whose RRSIGs expire goes dark for every validating
 * resolver, and time passes without reloads. Each version knows from one
 * pass at load its earliest RRSIG expiration and latest inception
 * (zone_sig_span()). sigcheck_report() logs them when a zone is loaded,
 * reloaded or transferred (and by `levee --check`): an error when a
 * signature has expired, a warning when one expires within the margin
 * (server: signature-expiry-margin, default 7 days) or is not valid yet.
 * sigcheck_recheck() runs from main's timer (daemon.c) at the next moment
 * a served zone changes state (sigcheck_next(): entering the margin,
 * expiring, an inception passing; at least hourly) and logs only what
 * changed. O(1) per zone, reads the zone only; RFC 4034 3.1.5 serial
 * arithmetic on the 32-bit times.
 */
#ifndef LEVEE_SERVER_SIGCHECK_H
#define LEVEE_SERVER_SIGCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct zone;

/* The default margin: 7 days, as the issue asks. */
#define SIGCHECK_MARGIN (7u * 86400u)

/* The longest the timer waits between two checks, seconds. */
#define SIGCHECK_MAX_WAIT 3600u

enum sigcheck_level {
	SIGCHECK_UNSIGNED = 0,
	SIGCHECK_OK,          /* every RRSIG valid beyond the margin */
	SIGCHECK_SOON,        /* one expires within the margin */
	SIGCHECK_EXPIRED,     /* one has expired */
};

struct sigcheck_state {
	uint8_t level;        /* enum sigcheck_level */
	bool not_yet;         /* the latest inception is in the future */
	uint32_t expire;      /* earliest RRSIG expiration (signed only) */
	uint32_t inception;   /* latest RRSIG inception (signed only) */
};

/* The margin in force (SIGCHECK_MARGIN unless set). Main sets it once,
 * before any zone is read; any thread reads it (relaxed). */
void sigcheck_set_margin(uint32_t seconds);
uint32_t sigcheck_margin(void);

/* Zone z's span at wall-clock now (seconds since the epoch); no log. */
struct sigcheck_state sigcheck_of(const struct zone *z, uint32_t now,
				  uint32_t margin);

/* sigcheck_of(), logged as above for zone domain. Nothing logged for an
 * unsigned zone. Main (or the loader's thread). */
struct sigcheck_state sigcheck_report(const char *domain,
				      const struct zone *z, uint32_t now,
				      uint32_t margin);

/* The span now against *last: logs what changed (into the margin,
 * expired, an inception passed) and stores the new state in *last.
 * Returns whether it logged. Main only. */
bool sigcheck_recheck(const char *domain, const struct zone *z,
		      uint32_t now, uint32_t margin,
		      struct sigcheck_state *last);

/* Seconds from now until s changes state by time alone (capped at
 * SIGCHECK_MAX_WAIT; that cap for an unsigned zone or an expired one). */
uint32_t sigcheck_next(const struct sigcheck_state *s, uint32_t now,
		       uint32_t margin);

/* Seconds left before the earliest expiration (negative: expired);
 * meaningless for an unsigned zone. */
int64_t sigcheck_left(const struct sigcheck_state *s, uint32_t now);

/* After a version is built (a zone file read, a transfer received): its
 * DNSSEC validation as the zone's dnssec-validation asks (config.h enum
 * config_dnssec_validation, zones/zverify.h). Off: nothing. On: a failure
 * frees *z, sets it NULL and returns LV_EMALF with the reason in err (the
 * caller keeps the version it serves). Warn: a failure is logged as a
 * warning for zone domain and *z kept. -ENOMEM frees *z too. Off the
 * reactors (the loader's, the reload's or the transfer's thread). */
int sigcheck_validate(const char *domain, uint8_t mode, struct zone **z,
		      char *err, size_t errlen);

/* "2026-12-02T19:04:04Z" of a 32-bit RRSIG time taken in the era of now
 * (RFC 4034 3.1.5: the nearest to now), into buf (>= 21 bytes). */
const char *sigcheck_time(uint32_t t, uint32_t now, char *buf, size_t len);

#endif
