/* sigcheck.h -- the signature span of a loaded zone, told in the log.
 *
 * A signed zone whose RRSIGs expire goes dark for every validating
 * resolver. When a zone is loaded or reloaded (and by `levee --check`),
 * sigcheck_report() logs the earliest RRSIG expiration and the latest
 * inception of the version (zone_sig_span(), found at load): an error
 * when a signature has expired, a warning when one expires within the
 * margin or is not valid yet, a debug line otherwise. Main (or the loader's
 * thread); O(1), reads the zone only.
 */
#ifndef LEVEE_SERVER_SIGCHECK_H
#define LEVEE_SERVER_SIGCHECK_H

#include <stdint.h>

struct zone;

/* The default margin: 7 days, as the issue asks. */
#define SIGCHECK_MARGIN (7u * 86400u)

/* Logs zone z's (named domain) signature span against wall-clock now
 * (seconds since the epoch) with the margin in seconds. Nothing for an
 * unsigned zone. Returns the seconds left before the earliest expiration
 * (negative: expired), or INT64_MAX when unsigned. */
int64_t sigcheck_report(const char *domain, const struct zone *z,
			uint32_t now, uint32_t margin);

#endif
