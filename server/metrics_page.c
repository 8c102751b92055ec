/* metrics_page.c -- the /metrics page from main's figures
 * (metrics_page.h).
 *
 * Each family's samples come together (the text format asks it), so the
 * per-zone series walk the zones once per family. The answers, drops and
 * their sum read the zone's per-reactor counter lines (zone_hits_sum) once
 * per walk: three sums of `reactors` cache lines per zone. Summing once
 * would need an array of every zone's sums held across the walks (64 bytes
 * a zone, allocated per scrape: 6.4 MB at 100,000 zones) for a saving of
 * two reads of lines already in cache; the walks stay as they are.
 */
#include "server/metrics_page.h"

#include <string.h>
#include <time.h>

#include "common/assert.h"
#include "ratelimit/attack.h"
#include "server/dnstap.h"
#include "server/exist_guard.h"
#include "server/log.h"
#include "server/notify.h"
#include "server/reactor.h"
#include "server/reload.h"
#include "server/sigcheck.h"
#include "server/stats.h"
#include "server/xfrin.h"
#include "zones/zone.h"

static void page_metric(struct metrics_text *t, const char *name,
			  const char *type, const char *help,
			  unsigned long long v)
{
	metrics_family(t, name, type, help);
	metrics_printf(t, "levee_%s %llu\n", name, v);
}

/* One zone's series start: levee_NAME{zone="DOMAIN" (escaped). */
static void page_zone_series(struct metrics_text *t, const char *name,
			       const struct zstate *z)
{
	metrics_printf(t, "levee_%s{zone=\"", name);
	metrics_label_value(t, z->domain);
	metrics_printf(t, "\"");
}

/* The kernel existence filter (exist_guard.h): one bpf() call. */
static void page_names(struct exist_guard *g, struct metrics_text *t)
{
	static const char *const verdict[EXIST_FILTER_COUNTERS] = {
		"unjudged", "no_zone", "exists", "below", "dropped",
		"sampled", "garbage",
	};
	struct exist_guard_stats s;

	(void)exist_guard_stats(g, &s);
	page_metric(t, "name_filter_engaged", "gauge",
		    "1 while the kernel name filter holds a set.", s.engaged);
	page_metric(t, "name_filter_names", "gauge",
		    "Names in the kernel name filter's set.", s.names);
	page_metric(t, "name_filter_kernel_bytes", "gauge",
		    "Kernel memory of the name filter's two sets.",
		    s.kernel_bytes);
	page_metric(t, "name_filter_builds_total", "counter",
		    "Sets of names built and swapped in.", s.builds);
	metrics_family(t, "name_filter_datagrams_total", "counter",
		       "UDP datagrams the kernel name filter judged, by "
		       "verdict (dropped and garbage: dropped; the rest "
		       "passed).");
	for (int i = 0; i < EXIST_FILTER_COUNTERS; i++)
		metrics_printf(t, "levee_name_filter_datagrams_total"
			       "{verdict=\"%s\"} %llu\n", verdict[i],
			       (unsigned long long)s.counters[i]);
}

/* The seconds left before the earliest RRSIG expiration of any served
 * zone (sigcheck.h; negative: one has expired), when one is signed: the
 * one series to alert on without per-zone series. O(zones). */
static void page_rrsig_min(const struct metrics_page *pg,
			   struct metrics_text *t)
{
	size_t n = pg->zstates ? pg->zstates->count : 0;
	uint32_t now = (uint32_t)time(NULL);
	bool any = false;
	int64_t min = 0;

	for (size_t i = 0; i < n; i++) {
		const struct zstate *z = &pg->zstates->z[i];
		struct sigcheck_state s = sigcheck_of(z->zone, now, 0);

		if (!z->zone || s.level == SIGCHECK_UNSIGNED)
			continue;
		if (!any || sigcheck_left(&s, now) < min)
			min = sigcheck_left(&s, now);
		any = true;
	}
	if (!any)
		return;
	metrics_family(t, "rrsig_expire_min_seconds", "gauge",
		       "Seconds before the earliest RRSIG expiration of any "
		       "served zone (negative: expired).");
	metrics_printf(t, "levee_rrsig_expire_min_seconds %lld\n",
		       (long long)min);
}

/* Zone-labelled series (metrics: per-zone), served zones only, the zone
 * as configured: SOA serial; answers by rcode, drops and their sum from
 * the family's counters (zone.h zone_count). */
static void page_zones(const struct metrics_page *pg,
		       struct metrics_text *t)
{
	static const char *const rcodes[] = {
		"noerror", "formerr", "servfail", "nxdomain", "notimp",
		"refused", "other"
	};
	size_t n = pg->zstates ? pg->zstates->count : 0;
	struct zone_hits h;

	metrics_family(t, "zone_serial", "gauge",
		       "SOA serial of the version served, per zone.");
	for (size_t i = 0; i < n; i++) {
		const struct zstate *z = &pg->zstates->z[i];

		if (!z->zone)
			continue;
		page_zone_series(t, "zone_serial", z);
		metrics_printf(t, "} %u\n", z->serial);
	}
	metrics_family(t, "zone_rrsig_expire_seconds", "gauge",
		       "Seconds before the zone's earliest RRSIG expiration "
		       "(negative: expired), signed zones only.");
	for (size_t i = 0; i < n; i++) {
		const struct zstate *z = &pg->zstates->z[i];
		uint32_t now = (uint32_t)time(NULL);
		struct sigcheck_state s = sigcheck_of(z->zone, now, 0);

		if (!z->zone || s.level == SIGCHECK_UNSIGNED)
			continue;
		page_zone_series(t, "zone_rrsig_expire_seconds", z);
		metrics_printf(t, "} %lld\n",
			       (long long)sigcheck_left(&s, now));
	}
	metrics_family(t, "zone_answers_total", "counter",
		       "Replies sent for names in the zone, by rcode (since "
		       "the zone was last read in full).");
	for (size_t i = 0; i < n; i++) {
		const struct zstate *z = &pg->zstates->z[i];

		if (!z->zone)
			continue;
		zone_hits_sum(z->zone, &h);
		for (int r = 0; r < 7; r++) {
			page_zone_series(t, "zone_answers_total", z);
			metrics_printf(t, ",rcode=\"%s\"} %llu\n", rcodes[r],
				       (unsigned long long)
				       h.c[ZONE_HIT_RCODE + r]);
		}
	}
	metrics_family(t, "zone_dropped_total", "counter",
		       "Queries for names in the zone dropped by RRL or its "
		       "NXDOMAIN budget.");
	for (size_t i = 0; i < n; i++) {
		const struct zstate *z = &pg->zstates->z[i];

		if (!z->zone)
			continue;
		zone_hits_sum(z->zone, &h);
		page_zone_series(t, "zone_dropped_total", z);
		metrics_printf(t, "} %llu\n",
			       (unsigned long long)h.c[ZONE_HIT_DROPPED]);
	}
	metrics_family(t, "zone_queries_total", "counter",
		       "Queries for names in the zone: answered or dropped.");
	for (size_t i = 0; i < n; i++) {
		const struct zstate *z = &pg->zstates->z[i];
		unsigned long long sum = 0;

		if (!z->zone)
			continue;
		zone_hits_sum(z->zone, &h);
		for (int j = 0; j < ZONE_HITS; j++)
			sum += h.c[j];
		page_zone_series(t, "zone_queries_total", z);
		metrics_printf(t, "} %llu\n", sum);
	}
}

void metrics_page_render(const struct metrics_page *pg,
			 struct metrics_text *t)
{
	unsigned n = pg->group ? reactor_group_count(pg->group) : 0;
	size_t served = 0, nz = pg->zstates ? pg->zstates->count : 0;
	struct notify_stats ns = { 0, 0, 0, 0, 0 };
	struct stats sum, s;

	memset(&sum, 0, sizeof(sum));
	for (unsigned i = 0; i < n; i++) {
		reactor_group_stats(pg->group, i, &s);
		stats_sum(&sum, &s);
	}
	metrics_stats(t, &sum);
	page_metric(t, "under_attack", "gauge",
		      "1 while the under-attack mode is engaged (attack:).",
		      attack_engaged(reactor_group_attack(pg->group)));
	page_metric(t, "reactors", "gauge", "Reactor threads.", n);
	for (size_t i = 0; i < nz; i++)
		served += pg->zstates->z[i].zone != NULL;
	page_metric(t, "zones", "gauge", "Zones configured.", nz);
	page_metric(t, "zones_served", "gauge",
		      "Zones configured and served.", served);
	page_metric(t, "reloads_started_total", "counter",
		      "Reloads started.", pg->reloads_started);
	page_metric(t, "reloads_done_total", "counter",
		      "Reloads that ended and published.", pg->reloads_done);
	page_metric(t, "reloads_failed_total", "counter",
		      "Reloads that failed.", pg->reloads_failed);
	if (pg->xfrin) {
		struct xfrin_stats xs;

		xfrin_stats(pg->xfrin, &xs);
		page_metric(t, "xfrin_checks_total", "counter",
			      "Secondary zones' SOA checks ended.", xs.checks);
		metrics_family(t, "xfrin_transfers_total", "counter",
			       "Transfers in that published, by kind.");
		metrics_printf(t, "levee_xfrin_transfers_total{kind=\"axfr\"}"
			       " %lu\nlevee_xfrin_transfers_total{kind="
			       "\"ixfr\"} %lu\n", xs.axfr, xs.ixfr);
		page_metric(t, "xfrin_uptodate_total", "counter",
			      "SOA checks that found nothing newer.",
			      xs.uptodate);
		page_metric(t, "xfrin_failed_total", "counter",
			      "SOA checks or transfers in that failed.",
			      xs.failed);
		page_metric(t, "xfrin_ixfr_fallback_total", "counter",
			      "IXFRs in that ended in an AXFR.",
			      xs.ixfr_fallback);
		page_metric(t, "xfrin_expired_total", "counter",
			      "Secondary zones that expired.", xs.expired);
		page_metric(t, "xfrin_running", "gauge",
			      "Transfers in running now.", xs.running);
		page_metric(t, "xfrin_queued", "gauge",
			      "Transfers in queued now.", xs.queued);
	}
	if (pg->notifier)
		notifier_stats(pg->notifier, &ns);
	page_metric(t, "notify_sent_total", "counter",
		      "NOTIFY datagrams sent, retries included.", ns.sent);
	page_metric(t, "notify_answered_total", "counter",
		      "NOTIFY jobs ended by a NOERROR reply.", ns.answered);
	page_metric(t, "notify_refused_total", "counter",
		      "NOTIFY jobs ended by an error reply.", ns.refused);
	page_metric(t, "notify_gave_up_total", "counter",
		      "NOTIFY jobs that ran out of tries.", ns.gave_up);
	page_metric(t, "notify_pending", "gauge", "NOTIFY jobs now.",
		      ns.pending);
	page_metric(t, "log_dropped_total", "counter",
		      "Reactor log lines lost to a full queue.", log_dropped());
	if (reactor_group_dnstap(pg->group)) {
		const struct dnstap *tap = reactor_group_dnstap(pg->group);

		page_metric(t, "dnstap_written_total", "counter",
			    "dnstap messages written to the sink.",
			    dnstap_written(tap));
		page_metric(t, "dnstap_discarded_total", "counter",
			    "dnstap messages discarded: the sink was down.",
			    dnstap_discarded(tap));
		page_metric(t, "dnstap_connected", "gauge",
			    "1 while the dnstap sink is open.",
			    dnstap_connected(tap));
	}
	if (reactor_group_names(pg->group))
		page_names(reactor_group_names(pg->group), t);
	page_rrsig_min(pg, t);
	page_metric(t, "assert_failed_total", "counter",
		      "Internal checks that failed and were survived.",
		      lv_assert_failures());
	if (pg->per_zone)
		page_zones(pg, t);
	metrics_process(t, pg->started_at);
}
