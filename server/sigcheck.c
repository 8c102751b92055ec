/* sigcheck.c -- the signature span of a served zone, in the log
 * (sigcheck.h). */
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "server/sigcheck.h"
#include "server/log.h"
#include "common/errcode.h"
#include "server/config.h"
#include "zones/zone.h"
#include "zones/zverify.h"

static uint32_t margin_s = SIGCHECK_MARGIN;

void sigcheck_set_margin(uint32_t seconds)
{
	__atomic_store_n(&margin_s, seconds, __ATOMIC_RELAXED);
}

uint32_t sigcheck_margin(void)
{
	return __atomic_load_n(&margin_s, __ATOMIC_RELAXED);
}

const char *sigcheck_time(uint32_t t, uint32_t now, char *buf, size_t len)
{
	time_t abs = (time_t)((int64_t)now + (int32_t)(t - now));
	struct tm tm;

	gmtime_r(&abs, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

int64_t sigcheck_left(const struct sigcheck_state *s, uint32_t now)
{
	return (int32_t)(s->expire - now);
}

struct sigcheck_state sigcheck_of(const struct zone *z, uint32_t now,
				  uint32_t margin)
{
	struct sigcheck_state s = { SIGCHECK_UNSIGNED, false, 0, 0 };
	int64_t left;

	if (!z || !zone_sig_span(z, &s.expire, &s.inception))
		return s;
	left = sigcheck_left(&s, now);
	s.level = left < 0 ? SIGCHECK_EXPIRED :
		  left < (int64_t)margin ? SIGCHECK_SOON : SIGCHECK_OK;
	s.not_yet = (int32_t)(s.inception - now) > 0;
	return s;
}

/* The lines for state s: the level's line unless only_changes and it is
 * last's, the inception's likewise. */
static bool sigcheck_log(const char *domain, const struct sigcheck_state *s,
			 const struct sigcheck_state *last, uint32_t now,
			 uint32_t margin)
{
	char e[32], i[32];
	bool level = !last || last->level != s->level ||
		     last->expire != s->expire;
	bool incep = !last || last->not_yet != s->not_yet;
	bool said = false;

	if (s->level == SIGCHECK_UNSIGNED)
		return false;
	sigcheck_time(s->expire, now, e, sizeof(e));
	sigcheck_time(s->inception, now, i, sizeof(i));
	if (level && s->level == SIGCHECK_EXPIRED) {
		log_error("zone %s: an RRSIG expired at %s: validating "
			  "resolvers treat the zone as bogus", domain, e);
		said = true;
	} else if (level && s->level == SIGCHECK_SOON) {
		log_warning("zone %s: an RRSIG expires at %s, in %lld s "
			    "(within %u s)", domain, e,
			    (long long)sigcheck_left(s, now), margin);
		said = true;
	}
	if (incep && s->not_yet) {
		log_warning("zone %s: an RRSIG is not valid before %s",
			    domain, i);
		said = true;
	} else if (incep && last && last->not_yet) {
		log_info("zone %s: every RRSIG's inception has passed (%s)",
			 domain, i);
		said = true;
	}
	if (!last && s->level == SIGCHECK_OK && !s->not_yet)
		log_debug("zone %s: RRSIGs valid until at least %s (latest "
			  "inception %s)", domain, e, i);
	return said;
}

struct sigcheck_state sigcheck_report(const char *domain,
				      const struct zone *z, uint32_t now,
				      uint32_t margin)
{
	struct sigcheck_state s = sigcheck_of(z, now, margin);

	sigcheck_log(domain, &s, NULL, now, margin);
	return s;
}

bool sigcheck_recheck(const char *domain, const struct zone *z,
		      uint32_t now, uint32_t margin,
		      struct sigcheck_state *last)
{
	struct sigcheck_state s = sigcheck_of(z, now, margin);
	bool said = sigcheck_log(domain, &s, last, now, margin);

	*last = s;
	return said;
}

uint32_t sigcheck_next(const struct sigcheck_state *s, uint32_t now,
		       uint32_t margin)
{
	uint32_t next = SIGCHECK_MAX_WAIT;
	int64_t left = sigcheck_left(s, now);
	/* Seconds until: left < margin (SOON), left < 0 (EXPIRED), the
	 * inception reached; each at least 1. */
	int64_t cand[3] = {
		left >= (int64_t)margin ? left - (int64_t)margin + 1 : -1,
		left >= 0 ? left + 1 : -1,
		(int32_t)(s->inception - now) > 0 ?
			(int64_t)(int32_t)(s->inception - now) : -1,
	};

	if (s->level == SIGCHECK_UNSIGNED)
		return next;
	for (int i = 0; i < 3; i++)
		if (cand[i] > 0 && cand[i] < (int64_t)next)
			next = (uint32_t)cand[i];
	return next;
}

int sigcheck_validate(const char *domain, uint8_t mode, struct zone **z,
		      char *err, size_t errlen)
{
	char why[512];
	int rc;

	if (mode == CONFIG_DNSSEC_VALIDATION_OFF || !*z)
		return 0;
	rc = zone_verify(*z, (uint32_t)time(NULL), why, sizeof(why));
	if (rc == 0)
		return 0;
	if (rc == LV_EMALF && mode == CONFIG_DNSSEC_VALIDATION_WARN) {
		log_warning("zone %s: %s (served: dnssec-validation: warn)",
			    domain, why);
		return 0;
	}
	zone_free(*z);
	*z = NULL;
	snprintf(err, errlen, "%s", rc == LV_EMALF ? why : "out of memory");
	return rc;
}
