/* stats.c -- per-reactor counters: snapshots, sums, one-line format.
 *
 * Nothing here runs on the query path (stats_rcode_counter() is inline in
 * stats.h). The format is stable: the system tests parse
 * "reactor N: udp-queries N tcp-queries N ..." lines.
 */
#include "server/stats.h"

#include <stdio.h>

static const char *const stats_names[STATS_COUNT] = {
	[STATS_UDP_QUERIES] = "udp-queries",
	[STATS_TCP_QUERIES] = "tcp-queries",
	[STATS_RCODE_NOERROR] = "noerror",
	[STATS_RCODE_FORMERR] = "formerr",
	[STATS_RCODE_SERVFAIL] = "servfail",
	[STATS_RCODE_NXDOMAIN] = "nxdomain",
	[STATS_RCODE_NOTIMP] = "notimp",
	[STATS_RCODE_REFUSED] = "refused",
	[STATS_RCODE_OTHER] = "other-rcode",
	[STATS_DROPPED] = "dropped",
	[STATS_TRUNCATED] = "truncated",
	[STATS_TCP_ACCEPTED] = "tcp-accepted",
	[STATS_TCP_CLOSED] = "tcp-closed",
	[STATS_TCP_REFUSED] = "tcp-refused",
	[STATS_TCP_TIMEOUT] = "tcp-timeout",
	[STATS_RRL_DROPPED + 0] = "rrl-dropped-responses",
	[STATS_RRL_DROPPED + 1] = "rrl-dropped-referrals",
	[STATS_RRL_DROPPED + 2] = "rrl-dropped-nodata",
	[STATS_RRL_DROPPED + 3] = "rrl-dropped-nxdomains",
	[STATS_RRL_DROPPED + 4] = "rrl-dropped-errors",
	[STATS_RRL_DROPPED + 5] = "rrl-dropped-all",
	[STATS_RRL_SLIPPED + 0] = "rrl-slipped-responses",
	[STATS_RRL_SLIPPED + 1] = "rrl-slipped-referrals",
	[STATS_RRL_SLIPPED + 2] = "rrl-slipped-nodata",
	[STATS_RRL_SLIPPED + 3] = "rrl-slipped-nxdomains",
	[STATS_RRL_SLIPPED + 4] = "rrl-slipped-errors",
	[STATS_RRL_SLIPPED + 5] = "rrl-slipped-all",
	[STATS_COOKIE_NONE] = "cookie-none",
	[STATS_COOKIE_CLIENT_ONLY] = "cookie-client-only",
	[STATS_COOKIE_VALID] = "cookie-valid",
	[STATS_COOKIE_INVALID] = "cookie-invalid",
	[STATS_BADCOOKIE] = "badcookie",
	[STATS_GARBAGE_DROPPED] = "garbage-dropped",
	[STATS_LIMITS_DROPPED] = "limits-dropped",
	[STATS_LIMITS_CHALLENGED] = "limits-challenged",
	[STATS_ZONE_NX_DROPPED] = "zone-nxdomain-dropped",
	[STATS_ZONE_NX_SLIPPED] = "zone-nxdomain-slipped",
	[STATS_ATTACK_ENGAGED] = "attack-engaged",
	[STATS_ATTACK_DISENGAGED] = "attack-disengaged",
	[STATS_TCP_UNANSWERED_REFUSED] = "tcp-unanswered-refused",
	[STATS_EBPF_LISTED] = "ebpf-drop-listed",
	[STATS_TCP_MEMORY_CLOSED] = "tcp-memory-closed",
	[STATS_TCP_ACCEPT_FAILED] = "tcp-accept-failed",
	[STATS_XFROUT_STARTED] = "xfrout-started",
	[STATS_XFROUT_DONE] = "xfrout-done",
	[STATS_XFROUT_DENIED] = "xfrout-denied",
	[STATS_NOTIFY_IN] = "notify-in",
	[STATS_XFROUT_BUSY] = "xfrout-busy",
	[STATS_XFROUT_MESSAGES] = "xfrout-messages",
	[STATS_XFROUT_IXFR] = "xfrout-ixfr",
	[STATS_TSIG_OK] = "tsig-ok",
	[STATS_TSIG_FORMERR] = "tsig-formerr",
	[STATS_TSIG_BADKEY] = "tsig-badkey",
	[STATS_TSIG_BADSIG] = "tsig-badsig",
	[STATS_TSIG_BADTIME] = "tsig-badtime",
	[STATS_TSIG_BADTRUNC] = "tsig-badtrunc",
	[STATS_TSIG_UNSIGNED] = "tsig-unsigned",
	[STATS_LOCAL_EXEMPT] = "local-exempt",
	[STATS_TCP_MEMORY] = "tcp-memory",
	[STATS_TCP_MEMORY_PEAK] = "tcp-memory-peak",
};

void stats_snapshot(const struct stats *src, struct stats *dst)
{
	for (int i = 0; i < STATS_COUNT; i++)
		dst->c[i] = __atomic_load_n(&src->c[i], __ATOMIC_RELAXED);
}

void stats_sum(struct stats *sum, const struct stats *a)
{
	for (int i = 0; i < STATS_COUNT; i++)
		sum->c[i] += a->c[i];
}

const char *stats_name(enum stats_counter i)
{
	return (unsigned)i < STATS_COUNT ? stats_names[i] : "?";
}

size_t stats_format(const struct stats *s, char *buf, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	for (int i = 0; i < STATS_COUNT; i++) {
		int n = snprintf(buf + off, len - off, "%s%s %llu",
				 i ? " " : "", stats_names[i],
				 (unsigned long long)s->c[i]);

		if (n < 0 || (size_t)n >= len - off)
			return off;
		off += (size_t)n;
	}
	return off;
}
