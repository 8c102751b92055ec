/* metrics.h -- the Prometheus endpoint: GET /metrics in the text format
 * 0.0.4 (docs/metrics.md).
 *
 * libmicrohttpd parses HTTP and serves it on its own thread (internal
 * polling), created with every signal blocked; at most METRICS_MAX_CONNS
 * connections at once, each closed after METRICS_TIMEOUT_S seconds idle,
 * METRICS_CONN_MEMORY bytes of request memory each. Only GET (and HEAD)
 * of /metrics is served: another path is 404, another method on /metrics
 * 405.
 *
 * The page is rendered on main's loop, never on the HTTP thread and never
 * on a reactor: the HTTP thread wakes main with a uv_async and waits, at
 * most METRICS_RENDER_WAIT_MS, for the text (503 when it does not come, or
 * at stop). Main's render function reads what it owns (zone states,
 * transfer counters) and the reactors' counters with relaxed loads, as
 * levee-ctl stats does (stats.h). The reactors do nothing for a scrape.
 */
#ifndef LEVEE_SERVER_METRICS_H
#define LEVEE_SERVER_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <uv.h>

#define METRICS_MAX_CONNS 16
#define METRICS_TIMEOUT_S 5
#define METRICS_CONN_MEMORY (32u << 10)
#define METRICS_RENDER_WAIT_MS 3000

struct stats;
struct metrics;

/* The page being written: a buffer that grows (malloc; main's thread). A
 * failed allocation marks it failed, and the scrape gets 500. */
struct metrics_text {
	char *buf;
	size_t len, cap;
	int failed;
};

/* Writes the whole page into t. Main thread (main's loop). */
typedef void (*metrics_render_fn)(void *arg, struct metrics_text *t);

/* Serves addr (IPv4 or IPv6, port set) with render called on loop for
 * each scrape. 0 with *out set, or a negative errno with err filled. Main
 * thread. */
int metrics_start(uv_loop_t *loop, const struct sockaddr *addr,
		  metrics_render_fn render, void *arg, struct metrics **out,
		  char *err, size_t errlen);

/* Stops the HTTP thread (joined: a scrape waiting is answered 503) and
 * closes the async handle; m is freed by the loop's next run (the close
 * callback). NULL: nothing. Main thread. */
void metrics_stop(struct metrics *m);

/* --- writing the page (the render function) --- */

/* Appends printf output. */
void metrics_printf(struct metrics_text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "# HELP levee_NAME HELP\n# TYPE levee_NAME TYPE\n"; type "counter" or
 * "gauge"; help escaped (backslash, newline). */
void metrics_family(struct metrics_text *t, const char *name,
		    const char *type, const char *help);

/* Appends v as a label value: backslash, double quote and newline
 * escaped (\\, \", \n), the rest as is. */
void metrics_label_value(struct metrics_text *t, const char *v);

/* Every counter of the registry (stats.h) from sum, one family per
 * metric: levee_<metric>_total{label} N, gauges levee_<metric> N. */
void metrics_stats(struct metrics_text *t, const struct stats *sum);

/* The process figures: levee_process_resident_memory_bytes
 * (/proc/self/statm), levee_process_start_time_seconds (started_at) and
 * levee_build_info{version} 1. */
void metrics_process(struct metrics_text *t, time_t started_at);

#endif
