/* metrics.c -- the Prometheus endpoint: libmicrohttpd's thread asks main's
 * loop for the page (metrics.h).
 *
 * Hand-over: one request at a time (the HTTP thread serves its
 * connections in turn). The HTTP thread bumps want (under lock), sends the
 * async and waits on the condition variable until done == want, stopping
 * is set, or METRICS_RENDER_WAIT_MS passed. Main's async callback renders
 * without the lock, then stores the page tagged with the request it
 * answers; a page for a request that gave up is freed by the next one.
 */
#include "server/metrics.h"

#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/sigmask.h"
#include "server/stats.h"

#ifndef LEVEE_VERSION
#define LEVEE_VERSION "0.0.0"
#endif

struct metrics {
	struct MHD_Daemon *mhd;
	uv_async_t async;
	metrics_render_fn render;
	void *arg;

	pthread_mutex_t lock;
	pthread_cond_t cond;               /* CLOCK_MONOTONIC */
	uint64_t want, done;               /* request numbers */
	char *page;                        /* for request done, or NULL */
	size_t page_len;
	int page_failed;
	bool stopping;
};

/* --- the page --- */

static void metrics_grow(struct metrics_text *t, size_t more)
{
	size_t cap = t->cap ? t->cap : 16384;
	char *b;

	if (t->failed)
		return;
	while (cap - t->len < more + 1)
		cap *= 2;
	if (cap == t->cap)
		return;
	b = realloc(t->buf, cap);
	if (!b) {
		t->failed = -ENOMEM;
		return;
	}
	t->buf = b;
	t->cap = cap;
}

void metrics_printf(struct metrics_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf ? t->buf + t->len : NULL,
		      t->buf ? t->cap - t->len : 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		t->failed = -EINVAL;
		return;
	}
	if (!t->buf || (size_t)n >= t->cap - t->len) {
		metrics_grow(t, (size_t)n);
		if (t->failed)
			return;
		va_start(ap, fmt);
		vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
	}
	t->len += (size_t)n;
}

static void metrics_putc(struct metrics_text *t, char c)
{
	metrics_grow(t, 1);
	if (t->failed)
		return;
	t->buf[t->len++] = c;
	t->buf[t->len] = '\0';
}

/* v escaped: backslash and newline always, double quote when quote. */
static void metrics_escaped(struct metrics_text *t, const char *v,
			    bool quote)
{
	for (; *v; v++) {
		if (*v == '\\') {
			metrics_printf(t, "\\\\");
		} else if (*v == '\n') {
			metrics_printf(t, "\\n");
		} else if (*v == '"' && quote) {
			metrics_printf(t, "\\\"");
		} else {
			metrics_putc(t, *v);
		}
	}
}

void metrics_label_value(struct metrics_text *t, const char *v)
{
	metrics_escaped(t, v, true);
}

void metrics_family(struct metrics_text *t, const char *name,
		    const char *type, const char *help)
{
	metrics_printf(t, "# HELP levee_%s ", name);
	metrics_escaped(t, help, false);
	metrics_printf(t, "\n# TYPE levee_%s %s\n", name, type);
}

void metrics_stats(struct metrics_text *t, const struct stats *sum)
{
	for (int i = 0; i < STATS_COUNT; i++) {
		const struct stats_desc *d = stats_desc((enum stats_counter)i);
		bool first = true;
		char name[96];

		/* each family once, at its first member */
		for (int j = 0; j < i && first; j++)
			first = strcmp(stats_desc((enum stats_counter)j)->metric,
				       d->metric) != 0;
		if (!first)
			continue;
		snprintf(name, sizeof(name), "%s%s", d->metric,
			 d->gauge ? "" : "_total");
		metrics_family(t, name, d->gauge ? "gauge" : "counter",
			       d->help);
		for (int j = i; j < STATS_COUNT; j++) {
			const struct stats_desc *e =
				stats_desc((enum stats_counter)j);

			if (strcmp(e->metric, d->metric) != 0)
				continue;
			metrics_printf(t, "levee_%s%s%s%s %llu\n", name,
				       e->label ? "{" : "",
				       e->label ? e->label : "",
				       e->label ? "}" : "",
				       (unsigned long long)sum->c[j]);
		}
	}
}

void metrics_process(struct metrics_text *t, time_t started_at)
{
	unsigned long long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	long page = sysconf(_SC_PAGESIZE);

	if (f) {
		if (fscanf(f, "%llu %llu", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	metrics_family(t, "process_resident_memory_bytes", "gauge",
		       "Resident memory of the process (/proc/self/statm).");
	metrics_printf(t, "levee_process_resident_memory_bytes %llu\n",
		       rss * (unsigned long long)(page > 0 ? page : 4096));
	metrics_family(t, "process_start_time_seconds", "gauge",
		       "Start time of the process, seconds since the epoch.");
	metrics_printf(t, "levee_process_start_time_seconds %lld\n",
		       (long long)started_at);
	metrics_family(t, "build_info", "gauge",
		       "Always 1: the version of the running server.");
	metrics_printf(t, "levee_build_info{version=\"");
	metrics_label_value(t, LEVEE_VERSION);
	metrics_printf(t, "\"} 1\n");
}

/* --- main's side --- */

static void metrics_on_async(uv_async_t *a)
{
	struct metrics *m = a->data;
	struct metrics_text t = { NULL, 0, 0, 0 };
	uint64_t want;

	pthread_mutex_lock(&m->lock);
	want = m->want;
	if (m->stopping || want == m->done) {
		pthread_mutex_unlock(&m->lock);
		return;
	}
	pthread_mutex_unlock(&m->lock);

	m->render(m->arg, &t);

	pthread_mutex_lock(&m->lock);
	free(m->page);
	m->page = t.buf;
	m->page_len = t.len;
	m->page_failed = t.failed;
	m->done = want;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

/* --- the HTTP thread --- */

/* The page for a new request (malloc'd, *len bytes), NULL with *status
 * the HTTP status to send instead. */
static char *metrics_fetch(struct metrics *m, size_t *len,
			   unsigned *status)
{
	struct timespec until;
	char *page = NULL;
	uint64_t want;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += METRICS_RENDER_WAIT_MS / 1000;
	until.tv_nsec += (METRICS_RENDER_WAIT_MS % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	*status = MHD_HTTP_SERVICE_UNAVAILABLE;
	pthread_mutex_lock(&m->lock);
	want = ++m->want;
	pthread_mutex_unlock(&m->lock);
	uv_async_send(&m->async);
	pthread_mutex_lock(&m->lock);
	while (m->done < want && !m->stopping)
		if (pthread_cond_timedwait(&m->cond, &m->lock, &until) ==
		    ETIMEDOUT)
			break;
	if (m->done == want && !m->stopping) {
		if (m->page_failed || !m->page) {
			*status = MHD_HTTP_INTERNAL_SERVER_ERROR;
			free(m->page);
		} else {
			page = m->page;
			*len = m->page_len;
			*status = MHD_HTTP_OK;
		}
		m->page = NULL;
	}
	pthread_mutex_unlock(&m->lock);
	return page;
}

static enum MHD_Result metrics_reply(struct MHD_Connection *c,
				     unsigned status, const char *text,
				     bool allow)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(text), (void *)text,
					    MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain");
	if (allow)
		MHD_add_response_header(r, "Allow", "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result metrics_on_request(void *cls, struct MHD_Connection *c,
					  const char *url, const char *method,
					  const char *version,
					  const char *upload,
					  size_t *upload_len, void **req_cls)
{
	struct metrics *m = cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	unsigned status;
	size_t len = 0;
	char *page;

	(void)version;
	(void)upload;
	(void)req_cls;
	*upload_len = 0;   /* a body, if any, is ignored */
	if (!url || strcmp(url, "/metrics") != 0)
		return metrics_reply(c, MHD_HTTP_NOT_FOUND, "not found: "
				     "GET /metrics\n", false);
	if (!method || (strcmp(method, "GET") != 0 &&
			strcmp(method, "HEAD") != 0))
		return metrics_reply(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				     "method not allowed\n", true);
	page = metrics_fetch(m, &len, &status);
	if (!page)
		return metrics_reply(c, status, status ==
				     MHD_HTTP_SERVICE_UNAVAILABLE ?
				     "not ready\n" : "out of memory\n", false);
	r = MHD_create_response_from_buffer(len, page, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(page);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type",
				"text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* --- start and stop --- */

static void metrics_on_closed(uv_handle_t *h)
{
	struct metrics *m = h->data;

	free(m->page);
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

int metrics_start(uv_loop_t *loop, const struct sockaddr *addr,
		  metrics_render_fn render, void *arg, struct metrics **out,
		  char *err, size_t errlen)
{
	struct metrics *m = calloc(1, sizeof(*m));
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
	pthread_condattr_t ca;
	sigset_t old;
	int rc, saved;

	*out = NULL;
	if (!m) {
		snprintf(err, errlen, "metrics: out of memory");
		return -ENOMEM;
	}
	m->render = render;
	m->arg = arg;
	pthread_mutex_init(&m->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->cond, &ca);
	pthread_condattr_destroy(&ca);
	rc = uv_async_init(loop, &m->async, metrics_on_async);
	if (rc < 0) {
		snprintf(err, errlen, "metrics: %s", uv_strerror(rc));
		pthread_cond_destroy(&m->cond);
		pthread_mutex_destroy(&m->lock);
		free(m);
		return rc;
	}
	m->async.data = m;
	if (addr->sa_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* the HTTP thread blocks every signal: main's loop handles them */
	sigmask_block_all(&old);
	errno = 0;
	m->mhd = MHD_start_daemon(flags, 0, NULL, NULL, metrics_on_request, m,
				  MHD_OPTION_SOCK_ADDR, addr,
				  MHD_OPTION_CONNECTION_LIMIT,
				  (unsigned)METRICS_MAX_CONNS,
				  MHD_OPTION_CONNECTION_TIMEOUT,
				  (unsigned)METRICS_TIMEOUT_S,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT,
				  (size_t)METRICS_CONN_MEMORY,
				  MHD_OPTION_END);
	saved = errno;
	sigmask_restore(&old);
	if (!m->mhd) {
		rc = saved ? -saved : -EADDRNOTAVAIL;
		snprintf(err, errlen, "metrics: cannot serve HTTP: %s",
			 strerror(-rc));
		m->async.data = m;
		uv_close((uv_handle_t *)&m->async, metrics_on_closed);
		return rc;
	}
	*out = m;
	return 0;
}

void metrics_stop(struct metrics *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	m->stopping = true;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
	MHD_stop_daemon(m->mhd);
	uv_close((uv_handle_t *)&m->async, metrics_on_closed);
}
