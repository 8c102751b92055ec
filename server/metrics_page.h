/* metrics_page.h -- the /metrics page: what main renders at each scrape
 * (metrics.h calls it through metrics_render_fn; docs/metrics.md lists the
 * series).
 *
 * The daemon fills a struct metrics_page with what it owns, by value or
 * borrowed pointer, and calls metrics_page_render(); this file only reads
 * it. Main thread only (main's loop): the zone states and the transfer and
 * NOTIFY counters are main's, the reactors' counters are read with relaxed
 * loads (stats.h).
 */
#ifndef LEVEE_SERVER_METRICS_PAGE_H
#define LEVEE_SERVER_METRICS_PAGE_H

#include <stdbool.h>
#include <time.h>

#include "server/metrics.h"

struct notifier;
struct reactor_group;
struct xfrin;
struct zstates;

/* What one scrape reads. Every pointer is borrowed for the call and may be
 * NULL (not created yet / not configured). */
struct metrics_page {
	const struct reactor_group *group;   /* the reactors' counters */
	const struct zstates *zstates;       /* zones, served or not */
	const struct xfrin *xfrin;           /* secondary zones */
	const struct notifier *notifier;     /* NOTIFY out */
	unsigned long reloads_started, reloads_done, reloads_failed;
	bool per_zone;                       /* metrics: per-zone */
	time_t started_at;                   /* levee_process_start_time */
};

/* Appends the whole page to t: the registry's counters (metrics_stats),
 * main's own series, the zone-labelled series when pg->per_zone, and the
 * process figures. A failed allocation marks t failed (500). Visits each
 * zone four times and each reactor once per zone and walk: O(reactors x
 * zones), no allocation but t's buffer. Main thread. */
void metrics_page_render(const struct metrics_page *pg,
			 struct metrics_text *t);

#endif
