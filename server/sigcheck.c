/* sigcheck.c -- the signature span of a loaded zone, in the log. */
#include <stdio.h>
#include <time.h>

#include "server/sigcheck.h"
#include "server/log.h"
#include "zones/zone.h"

/* "2026-12-02T19:04:04Z" of a 32-bit RRSIG time taken in the era of now
 * (RFC 4034 3.1.5: the nearest to now). */
static const char *sig_time(uint32_t t, uint32_t now, char *buf, size_t len)
{
	time_t abs = (time_t)((int64_t)now + (int32_t)(t - now));
	struct tm tm;

	gmtime_r(&abs, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

int64_t sigcheck_report(const char *domain, const struct zone *z,
			uint32_t now, uint32_t margin)
{
	uint32_t exp, inc;
	char e[32], i[32];

	if (!zone_sig_span(z, &exp, &inc))
		return INT64_MAX;
	int64_t left = (int32_t)(exp - now);
	sig_time(exp, now, e, sizeof(e));
	sig_time(inc, now, i, sizeof(i));
	if (left < 0)
		log_error("zone %s: an RRSIG expired at %s: validating "
			  "resolvers treat the zone as bogus", domain, e);
	else if (left < margin)
		log_warning("zone %s: an RRSIG expires at %s, in %lld s "
			    "(within %u s)", domain, e, (long long)left,
			    margin);
	if ((int32_t)(inc - now) > 0)
		log_warning("zone %s: an RRSIG is not valid before %s",
			    domain, i);
	if (left >= (int64_t)margin && (int32_t)(inc - now) <= 0)
		log_debug("zone %s: RRSIGs valid until at least %s (latest "
			  "inception %s)", domain, e, i);
	return left;
}
