/* ctl.c -- the control socket (ctl.h): accept, read one line, answer, close.
 *
 * Each connection is a uv_pipe_t and a uv_timer_t (the request deadline,
 * then the reply's); it is freed when both handles have closed. The
 * struct ctl lives while its listener or any connection does (refs), so
 * ctl_stop can close everything at once.
 */
#include "server/ctl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* A reply that would grow past this is replaced by an error (a listing
 * of every zone of 100,000 stays well below it). */
#define CTL_REPLY_MAX (64u << 20)

struct ctl_reply {
	char *buf;
	size_t len, cap;
	bool error;
	bool overflow;
	void (*then)(void *);
	void *then_arg;
};

struct ctl_conn {
	uv_pipe_t pipe;
	uv_timer_t timer;
	uv_write_t wr;
	struct ctl *ctl;
	struct ctl_conn *prev, *next;
	int open_handles;
	bool answered;
	size_t len;
	char req[CTL_REQUEST_MAX + 1];
	struct ctl_reply reply;
};

struct ctl {
	uv_pipe_t listener;
	ctl_handler handler;
	void *arg;
	char *path;
	struct ctl_conn *conns;
	unsigned nconns;
	int refs;
	bool stopping;
};

static void ctl_unref(struct ctl *c)
{
	if (--c->refs == 0) {
		free(c->path);
		free(c);
	}
}

/* --- replies --- */

static void reply_vappend(struct ctl_reply *r, const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	if (r->overflow)
		return;
	va_copy(aq, ap);
	n = vsnprintf(r->buf ? r->buf + r->len : NULL,
		      r->buf ? r->cap - r->len : 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		return;
	if (r->len + (size_t)n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 256;
		char *nb;

		while (cap < r->len + (size_t)n + 1)
			cap *= 2;
		if (cap > CTL_REPLY_MAX || !(nb = realloc(r->buf, cap))) {
			r->overflow = true;
			return;
		}
		r->buf = nb;
		r->cap = cap;
		vsnprintf(r->buf + r->len, r->cap - r->len, fmt, ap);
	}
	r->len += (size_t)n;
}

static void reply_append(struct ctl_reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void reply_append(struct ctl_reply *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_vappend(r, fmt, ap);
	va_end(ap);
}

void ctl_reply_printf(struct ctl_reply *r, const char *fmt, ...)
{
	va_list ap;

	if (r->error)
		return;
	va_start(ap, fmt);
	reply_vappend(r, fmt, ap);
	va_end(ap);
}

void ctl_error(struct ctl_reply *r, const char *fmt, ...)
{
	va_list ap;

	if (r->error)
		return;
	r->error = true;
	r->overflow = false;
	r->len = 0;
	reply_append(r, "error: ");
	va_start(ap, fmt);
	reply_vappend(r, fmt, ap);
	va_end(ap);
	reply_append(r, "\n");
}

void ctl_reply_then(struct ctl_reply *r, void (*fn)(void *), void *arg)
{
	r->then = fn;
	r->then_arg = arg;
}

int ctl_split(char *line, char **argv, int max)
{
	int argc = 0;
	char *p = line;

	for (char *q = line; *q; q++)
		if ((unsigned char)*q < 0x20 || (unsigned char)*q > 0x7e)
			return -1;
	while (*p) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (argc == max)
			return -1;
		argv[argc++] = p;
		while (*p && *p != ' ')
			p++;
		if (*p)
			*p++ = '\0';
	}
	return argc;
}

/* --- connections --- */

static void conn_closed(uv_handle_t *h)
{
	struct ctl_conn *k = h->data;
	struct ctl *c = k->ctl;

	if (--k->open_handles > 0)
		return;
	if (k->prev)
		k->prev->next = k->next;
	else
		c->conns = k->next;
	if (k->next)
		k->next->prev = k->prev;
	c->nconns--;
	if (k->reply.then)
		k->reply.then(k->reply.then_arg);
	free(k->reply.buf);
	free(k);
	ctl_unref(c);
}

static void conn_close(struct ctl_conn *k)
{
	if (!uv_is_closing((uv_handle_t *)&k->pipe))
		uv_close((uv_handle_t *)&k->pipe, conn_closed);
	if (!uv_is_closing((uv_handle_t *)&k->timer))
		uv_close((uv_handle_t *)&k->timer, conn_closed);
}

static void conn_timeout(uv_timer_t *t)
{
	conn_close(t->data);
}

static void conn_written(uv_write_t *w, int status)
{
	(void)status;
	conn_close(w->data);
}

/* Answers the request in k->req (complete: too_long when it is not). */
static void conn_answer(struct ctl_conn *k, bool too_long)
{
	struct ctl_reply *r = &k->reply;
	char *argv[CTL_ARGS_MAX];
	int argc = 0;
	uv_buf_t b;

	k->answered = true;
	uv_read_stop((uv_stream_t *)&k->pipe);
	if (!too_long)
		argc = ctl_split(k->req, argv, CTL_ARGS_MAX);
	if (too_long)
		ctl_error(r, "request longer than %d bytes", CTL_REQUEST_MAX);
	else if (argc < 0)
		ctl_error(r, "malformed request (printable ASCII words, at "
			  "most %d)", CTL_ARGS_MAX);
	else if (argc == 0)
		ctl_error(r, "empty request");
	else {
		ctl_reply_printf(r, "ok\n");
		k->ctl->handler(k->ctl->arg, argc, argv, r);
	}
	if (r->overflow) {
		r->error = false;
		ctl_error(r, "reply longer than %u bytes", CTL_REPLY_MAX);
	}
	if (!r->buf) {
		conn_close(k);
		return;
	}
	uv_timer_start(&k->timer, conn_timeout, CTL_REPLY_MS, 0);
	b = uv_buf_init(r->buf, (unsigned)r->len);
	k->wr.data = k;
	if (uv_write(&k->wr, (uv_stream_t *)&k->pipe, &b, 1, conn_written))
		conn_close(k);
}

static void conn_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct ctl_conn *k = h->data;

	(void)hint;
	/* one byte more than a request may hold: a longer one shows */
	*b = uv_buf_init(k->req + k->len, (unsigned)(sizeof(k->req) - k->len));
}

static void conn_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct ctl_conn *k = s->data;
	char *nl;

	(void)b;
	if (k->answered)
		return;
	if (n < 0) {
		conn_close(k);
		return;
	}
	if (n == 0)
		return;
	nl = memchr(k->req + k->len, '\n', (size_t)n);
	k->len += (size_t)n;
	if (nl && nl < k->req + CTL_REQUEST_MAX) {
		*nl = '\0';
		conn_answer(k, false);
	} else if (k->len >= CTL_REQUEST_MAX) {
		conn_answer(k, true);
	}
}

static void ctl_on_connection(uv_stream_t *server, int status)
{
	struct ctl *c = server->data;
	struct ctl_conn *k;

	if (status < 0)
		return;
	k = calloc(1, sizeof(*k));
	if (!k)
		return;   /* libuv holds the connection back until one fits */
	k->ctl = c;
	uv_pipe_init(server->loop, &k->pipe, 0);
	uv_timer_init(server->loop, &k->timer);
	k->pipe.data = k;
	k->timer.data = k;
	k->open_handles = 2;
	k->next = c->conns;
	if (c->conns)
		c->conns->prev = k;
	c->conns = k;
	c->nconns++;
	c->refs++;
	if (uv_accept(server, (uv_stream_t *)&k->pipe) < 0 ||
	    c->nconns > CTL_CONNS_MAX || c->stopping) {
		conn_close(k);
		return;
	}
	uv_timer_start(&k->timer, conn_timeout, CTL_REQUEST_MS, 0);
	if (uv_read_start((uv_stream_t *)&k->pipe, conn_alloc, conn_read))
		conn_close(k);
}

/* --- the listener --- */

static void ctl_listener_closed(uv_handle_t *h)
{
	ctl_unref(h->data);
}

/* True when a connect to the socket at path succeeds. */
static bool ctl_path_listened(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool up;

	if (fd < 0)
		return false;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	up = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return up;
}

/* Removes a socket left by an earlier run; refuses to remove anything that
 * is not a socket, and a socket something still listens on. */
static int ctl_clear_path(uv_loop_t *loop, const char *path, char *err,
			  size_t errlen)
{
	struct stat st;

	(void)loop;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "control socket %s: exists and is not a "
			 "socket", path);
		return -EEXIST;
	}
	if (ctl_path_listened(path)) {
		snprintf(err, errlen, "control socket %s: another process "
			 "listens on it", path);
		return -EADDRINUSE;
	}
	if (unlink(path) < 0) {
		snprintf(err, errlen, "control socket %s: cannot remove the "
			 "old socket: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

int ctl_start(uv_loop_t *loop, const char *path, mode_t mode,
	      ctl_handler handler, void *arg, struct ctl **out,
	      char *err, size_t errlen)
{
	struct ctl *c;
	mode_t old;
	int rc;

	*out = NULL;
	err[0] = '\0';
	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		snprintf(err, errlen, "control socket %s: path too long", path);
		return -ENAMETOOLONG;
	}
	rc = ctl_clear_path(loop, path, err, errlen);
	if (rc < 0) {
		if (!err[0])
			snprintf(err, errlen, "control socket %s: %s", path,
				 strerror(-rc));
		return rc;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->path = strdup(path))) {
		free(c);
		snprintf(err, errlen, "control socket %s: out of memory", path);
		return -ENOMEM;
	}
	c->handler = handler;
	c->arg = arg;
	c->refs = 1;
	uv_pipe_init(loop, &c->listener, 0);
	c->listener.data = c;
	/* the socket file is born with the mode: no window where another
	 * user may connect */
	old = umask(0777 & ~mode);
	rc = uv_pipe_bind(&c->listener, path);
	umask(old);
	if (rc == 0)
		rc = chmod(path, mode) < 0 ? -errno : 0;
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&c->listener, CTL_CONNS_MAX,
			       ctl_on_connection);
	if (rc < 0) {
		snprintf(err, errlen, "control socket %s: %s", path,
			 uv_strerror(rc));
		unlink(path);
		uv_close((uv_handle_t *)&c->listener, ctl_listener_closed);
		return rc;
	}
	*out = c;
	return 0;
}

void ctl_stop(struct ctl *c)
{
	if (!c || c->stopping)
		return;
	c->stopping = true;
	for (struct ctl_conn *k = c->conns; k; k = k->next)
		conn_close(k);
	unlink(c->path);
	uv_close((uv_handle_t *)&c->listener, ctl_listener_closed);
}
