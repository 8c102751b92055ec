/* stats.c -- per-reactor counters: the registry of their names, snapshots,
 * sums, one-line format.
 *
 * Nothing here runs on the query path (stats_rcode_counter() is inline in
 * stats.h). The format is stable: the system tests parse
 * "reactor N: udp-queries N tcp-queries N ..." lines.
 */
#include "server/stats.h"

#include <stdio.h>

/* The registry: every counter's levee-ctl stats name and its Prometheus
 * series (server/metrics.h renders it). Members of one family (same
 * metric) share its help. */
#define STATS_RCODE_HELP \
	"Replies sent, by rcode (other: any rcode past REFUSED, extended ones too)."
#define C(i, n, m, l, h) [i] = { n, m, l, h, false }
#define G(i, n, m, l, h) [i] = { n, m, l, h, true }
static const struct stats_desc stats_descs[STATS_COUNT] = {
	C(STATS_UDP_QUERIES, "udp-queries", "queries", "transport=\"udp\"",
	  "Queries received, by transport (parsed or not)."),
	C(STATS_TCP_QUERIES, "tcp-queries", "queries", "transport=\"tcp\"",
	  "Queries received, by transport (parsed or not)."),
	C(STATS_RCODE_NOERROR, "noerror", "answers", "rcode=\"noerror\"",
	  STATS_RCODE_HELP),
	C(STATS_RCODE_FORMERR, "formerr", "answers", "rcode=\"formerr\"",
	  STATS_RCODE_HELP),
	C(STATS_RCODE_SERVFAIL, "servfail", "answers", "rcode=\"servfail\"",
	  STATS_RCODE_HELP),
	C(STATS_RCODE_NXDOMAIN, "nxdomain", "answers", "rcode=\"nxdomain\"",
	  STATS_RCODE_HELP),
	C(STATS_RCODE_NOTIMP, "notimp", "answers", "rcode=\"notimp\"",
	  STATS_RCODE_HELP),
	C(STATS_RCODE_REFUSED, "refused", "answers", "rcode=\"refused\"",
	  STATS_RCODE_HELP),
	C(STATS_RCODE_OTHER, "other-rcode", "answers", "rcode=\"other\"",
	  STATS_RCODE_HELP),
	C(STATS_DROPPED, "dropped", "dropped", NULL,
	  "Queries dropped unanswered (garbage, limits, RRL, zone budgets)."),
	C(STATS_TRUNCATED, "truncated", "truncated", NULL,
	  "Replies sent with TC=1."),
	C(STATS_TCP_ACCEPTED, "tcp-accepted", "tcp_accepted", NULL,
	  "TCP connections accepted."),
	C(STATS_TCP_CLOSED, "tcp-closed", "tcp_closed", NULL,
	  "TCP connections closed."),
	C(STATS_TCP_REFUSED, "tcp-refused", "tcp_refused", NULL,
	  "TCP connections closed at once: over a connection limit."),
	C(STATS_TCP_TIMEOUT, "tcp-timeout", "tcp_timeout", NULL,
	  "TCP connections closed: idle or a partial message held too long."),
	C(STATS_RRL_DROPPED + 0, "rrl-dropped-responses", "rrl_dropped", "class=\"responses\"",
	  "Responses dropped by response rate limiting, by RRL class (docs/rrl.md)."),
	C(STATS_RRL_DROPPED + 1, "rrl-dropped-referrals", "rrl_dropped", "class=\"referrals\"",
	  "Responses dropped by response rate limiting, by RRL class (docs/rrl.md)."),
	C(STATS_RRL_DROPPED + 2, "rrl-dropped-nodata", "rrl_dropped", "class=\"nodata\"",
	  "Responses dropped by response rate limiting, by RRL class (docs/rrl.md)."),
	C(STATS_RRL_DROPPED + 3, "rrl-dropped-nxdomains", "rrl_dropped", "class=\"nxdomains\"",
	  "Responses dropped by response rate limiting, by RRL class (docs/rrl.md)."),
	C(STATS_RRL_DROPPED + 4, "rrl-dropped-errors", "rrl_dropped", "class=\"errors\"",
	  "Responses dropped by response rate limiting, by RRL class (docs/rrl.md)."),
	C(STATS_RRL_DROPPED + 5, "rrl-dropped-all", "rrl_dropped", "class=\"all\"",
	  "Responses dropped by response rate limiting, by RRL class (docs/rrl.md)."),
	C(STATS_RRL_SLIPPED + 0, "rrl-slipped-responses", "rrl_slipped", "class=\"responses\"",
	  "Responses slipped (TC or BADCOOKIE) by response rate limiting, by RRL class."),
	C(STATS_RRL_SLIPPED + 1, "rrl-slipped-referrals", "rrl_slipped", "class=\"referrals\"",
	  "Responses slipped (TC or BADCOOKIE) by response rate limiting, by RRL class."),
	C(STATS_RRL_SLIPPED + 2, "rrl-slipped-nodata", "rrl_slipped", "class=\"nodata\"",
	  "Responses slipped (TC or BADCOOKIE) by response rate limiting, by RRL class."),
	C(STATS_RRL_SLIPPED + 3, "rrl-slipped-nxdomains", "rrl_slipped", "class=\"nxdomains\"",
	  "Responses slipped (TC or BADCOOKIE) by response rate limiting, by RRL class."),
	C(STATS_RRL_SLIPPED + 4, "rrl-slipped-errors", "rrl_slipped", "class=\"errors\"",
	  "Responses slipped (TC or BADCOOKIE) by response rate limiting, by RRL class."),
	C(STATS_RRL_SLIPPED + 5, "rrl-slipped-all", "rrl_slipped", "class=\"all\"",
	  "Responses slipped (TC or BADCOOKIE) by response rate limiting, by RRL class."),
	C(STATS_COOKIE_NONE, "cookie-none", "cookie_queries", "status=\"none\"",
	  "Queries by what their DNS COOKIE option proved (cookies on)."),
	C(STATS_COOKIE_CLIENT_ONLY, "cookie-client-only", "cookie_queries", "status=\"client-only\"",
	  "Queries by what their DNS COOKIE option proved (cookies on)."),
	C(STATS_COOKIE_VALID, "cookie-valid", "cookie_queries", "status=\"valid\"",
	  "Queries by what their DNS COOKIE option proved (cookies on)."),
	C(STATS_COOKIE_INVALID, "cookie-invalid", "cookie_queries", "status=\"invalid\"",
	  "Queries by what their DNS COOKIE option proved (cookies on)."),
	C(STATS_BADCOOKIE, "badcookie", "badcookie", NULL,
	  "BADCOOKIE replies sent (cookie required, or an RRL slip)."),
	C(STATS_GARBAGE_DROPPED, "garbage-dropped", "garbage_dropped", NULL,
	  "Packets dropped that cannot be queries (flood defences)."),
	C(STATS_LIMITS_DROPPED, "limits-dropped", "limits_dropped", NULL,
	  "Queries dropped over their source's limit (limits:)."),
	C(STATS_LIMITS_CHALLENGED, "limits-challenged", "limits_challenged", NULL,
	  "Queries over their source's limit answered TC or BADCOOKIE."),
	C(STATS_ZONE_NX_DROPPED, "zone-nxdomain-dropped", "zone_nxdomain_dropped", NULL,
	  "NXDOMAIN answers dropped over their zone's NXDOMAIN budget."),
	C(STATS_ZONE_NX_SLIPPED, "zone-nxdomain-slipped", "zone_nxdomain_slipped", NULL,
	  "NXDOMAIN answers slipped (TC) over their zone's NXDOMAIN budget."),
	C(STATS_ATTACK_ENGAGED, "attack-engaged", "attack_engaged", NULL,
	  "Times the under-attack mode engaged."),
	C(STATS_ATTACK_DISENGAGED, "attack-disengaged", "attack_disengaged", NULL,
	  "Times the under-attack mode disengaged."),
	C(STATS_TCP_UNANSWERED_REFUSED, "tcp-unanswered-refused", "tcp_unanswered_refused", NULL,
	  "TCP connections refused by tcp-max-unanswered."),
	C(STATS_EBPF_LISTED, "ebpf-drop-listed", "ebpf_drop_listed", NULL,
	  "Source prefixes listed in the kernel drop map."),
	C(STATS_TCP_MEMORY_CLOSED, "tcp-memory-closed", "tcp_memory_closed", NULL,
	  "TCP connections closed or refused to stay within tcp-memory-max."),
	C(STATS_TCP_ACCEPT_FAILED, "tcp-accept-failed", "tcp_accept_failed", NULL,
	  "TCP connections closed at once: could not be set up."),
	C(STATS_XFROUT_STARTED, "xfrout-started", "xfrout_started", NULL,
	  "Zone transfers out started."),
	C(STATS_XFROUT_DONE, "xfrout-done", "xfrout_done", NULL,
	  "Zone transfers out completed."),
	C(STATS_XFROUT_DENIED, "xfrout-denied", "xfrout_denied", NULL,
	  "Zone transfers out refused by the zone's acl (NOTAUTH)."),
	C(STATS_NOTIFY_IN, "notify-in", "notify_in", NULL,
	  "NOTIFY messages accepted (NOERROR)."),
	C(STATS_XFROUT_BUSY, "xfrout-busy", "xfrout_busy", NULL,
	  "Zone transfers out refused at transfers-max or for want of memory."),
	C(STATS_XFROUT_MESSAGES, "xfrout-messages", "xfrout_messages", NULL,
	  "Messages written by zone transfers out."),
	C(STATS_XFROUT_IXFR, "xfrout-ixfr", "xfrout_ixfr", NULL,
	  "Zone transfers out sent as differences (IXFR)."),
	C(STATS_TSIG_OK, "tsig-ok", "tsig", "result=\"ok\"",
	  "Requests carrying a TSIG record, by verdict."),
	C(STATS_TSIG_FORMERR, "tsig-formerr", "tsig", "result=\"formerr\"",
	  "Requests carrying a TSIG record, by verdict."),
	C(STATS_TSIG_BADKEY, "tsig-badkey", "tsig", "result=\"badkey\"",
	  "Requests carrying a TSIG record, by verdict."),
	C(STATS_TSIG_BADSIG, "tsig-badsig", "tsig", "result=\"badsig\"",
	  "Requests carrying a TSIG record, by verdict."),
	C(STATS_TSIG_BADTIME, "tsig-badtime", "tsig", "result=\"badtime\"",
	  "Requests carrying a TSIG record, by verdict."),
	C(STATS_TSIG_BADTRUNC, "tsig-badtrunc", "tsig", "result=\"badtrunc\"",
	  "Requests carrying a TSIG record, by verdict."),
	C(STATS_TSIG_UNSIGNED, "tsig-unsigned", "tsig_unsigned", NULL,
	  "Replies that should have carried a TSIG record and could not."),
	C(STATS_LOCAL_EXEMPT, "local-exempt", "local_exempt", NULL,
	  "UDP queries from this host exempt from RRL and the limits (exempt-local)."),
	C(STATS_DNSTAP_QUEUED, "dnstap-queued", "dnstap_queued", NULL,
	  "dnstap messages queued for the writer thread."),
	C(STATS_DNSTAP_DROPPED, "dnstap-dropped", "dnstap_dropped", NULL,
	  "dnstap messages dropped: the reactor's queue was full."),
	C(STATS_XDP_RECEIVED, "xdp-received", "xdp_received", NULL,
	  "Frames taken from the AF_XDP RX rings."),
	C(STATS_XDP_ANSWERED, "xdp-answered", "xdp_answered", NULL,
	  "Replies put in the AF_XDP TX rings."),
	C(STATS_XDP_DROPPED, "xdp-dropped", "xdp_dropped", NULL,
	  "AF_XDP frames dropped: malformed, or not a UDP query to the port."),
	C(STATS_XDP_RING_FULL, "xdp-ring-full", "xdp_ring_full", NULL,
	  "AF_XDP replies lost: the TX ring was full."),
	C(STATS_XDP_PASSED, "xdp-passed", "xdp_passed", NULL,
	  "Frames the XDP program passed to the kernel's stack."),
	G(STATS_TCP_MEMORY, "tcp-memory", "tcp_memory_bytes", NULL,
	  "Bytes the TCP connections hold now."),
	G(STATS_TCP_MEMORY_PEAK, "tcp-memory-peak", "tcp_memory_peak_bytes", NULL,
	  "Sum over the reactors of the most bytes each one's TCP connections held."),
};
#undef C
#undef G
#undef STATS_RCODE_HELP

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

const struct stats_desc *stats_desc(enum stats_counter i)
{
	return (unsigned)i < STATS_COUNT ? &stats_descs[i] : NULL;
}

const char *stats_name(enum stats_counter i)
{
	return (unsigned)i < STATS_COUNT ? stats_descs[i].name : "?";
}

size_t stats_format(const struct stats *s, char *buf, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	for (int i = 0; i < STATS_COUNT; i++) {
		int n = snprintf(buf + off, len - off, "%s%s %llu",
				 i ? " " : "", stats_descs[i].name,
				 (unsigned long long)s->c[i]);

		if (n < 0 || (size_t)n >= len - off)
			return off;
		off += (size_t)n;
	}
	return off;
}
