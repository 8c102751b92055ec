/* dnstap.c -- the writer thread and its sink (dnstap.h); the reactors'
 * side is dnstap_ring.c. */
#include "server/dnstap.h"
#include "server/dnstap_internal.h"

#include "server/log.h"
#include "server/sigmask.h"

#include <errno.h>
#include <fstrm.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#define DNSTAP_CONTENT_TYPE "protobuf:dnstap.Dnstap"
#define DNSTAP_BATCH 64                /* frames per write */

static uint64_t dnstap_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static char *dnstap_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

struct dnstap *dnstap_new(const struct dnstap_config *cfg, unsigned rings,
			  char *err, size_t errlen)
{
	struct dnstap *t = calloc(1, sizeof(*t));

	if (!t || !(t->rings = calloc(rings ? rings : 1, sizeof(*t->rings))))
		goto oom;
	t->cfg = *cfg;
	t->cfg.sink = dnstap_strdup(cfg->sink);
	t->cfg.identity = dnstap_strdup(cfg->identity);
	t->cfg.version = dnstap_strdup(cfg->version);
	if (!t->cfg.sink || (cfg->identity && !t->cfg.identity) ||
	    (cfg->version && !t->cfg.version))
		goto oom;
	if (t->cfg.sample == 0)
		t->cfg.sample = 1;
	if (t->cfg.sample_attack == 0)
		t->cfg.sample_attack = t->cfg.sample;
	if (cfg->identity)
		snprintf(t->identity, sizeof(t->identity), "%s", cfg->identity);
	else if (gethostname(t->identity, sizeof(t->identity) - 1) < 0)
		t->identity[0] = '\0';
	snprintf(t->version, sizeof(t->version), "%s",
		 cfg->version ? cfg->version : "levee " LEVEE_VERSION);
	/* once here, not per message: dnstap_log() copies them */
	t->identity_len = strlen(t->identity);
	t->version_len = strlen(t->version);
	t->nrings = rings ? rings : 1;
	for (unsigned i = 0; i < t->nrings; i++) {
		struct dnstap_ring *r = &t->rings[i];

		r->t = t;
		r->countdown = 1;
		if (!(r->buf = malloc(DNSTAP_RING_BYTES)))
			goto oom;
	}
	return t;
oom:
	snprintf(err, errlen, "dnstap: out of memory");
	dnstap_free(t);
	return NULL;
}

/* --- the socket, with timeouts (libfstrm's own Unix writer has none: a
 * collector that stops reading would stop the writer forever) --- */

struct dnstap_sock {
	struct sockaddr_un sa;
	int fd;
};

static fstrm_res dnstap_sock_open(void *obj)
{
	struct dnstap_sock *s = obj;
	struct timeval tv = { DNSTAP_IO_TIMEOUT_MS / 1000,
			      (DNSTAP_IO_TIMEOUT_MS % 1000) * 1000 };

	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return fstrm_res_failure;
	if (setsockopt(s->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(s->fd, (const struct sockaddr *)&s->sa, sizeof(s->sa)) < 0) {
		close(s->fd);
		s->fd = -1;
		return fstrm_res_failure;
	}
	return fstrm_res_success;
}

static fstrm_res dnstap_sock_close(void *obj)
{
	struct dnstap_sock *s = obj;

	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	return fstrm_res_success;
}

static fstrm_res dnstap_sock_read(void *obj, void *data, size_t count)
{
	struct dnstap_sock *s = obj;
	uint8_t *p = data;

	while (count > 0) {
		ssize_t n = read(s->fd, p, count);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)   /* closed, an error, or SO_RCVTIMEO */
			return fstrm_res_failure;
		p += n;
		count -= (size_t)n;
	}
	return fstrm_res_success;
}

/* The frames of one batch (2 iovecs each) and libfstrm's own few. */
#define DNSTAP_SOCK_IOV (2 * DNSTAP_BATCH + 8)

static fstrm_res dnstap_sock_write(void *obj, const struct iovec *iov,
				   int iovcnt)
{
	struct dnstap_sock *s = obj;
	struct iovec v[DNSTAP_SOCK_IOV];
	struct msghdr msg = { .msg_iov = v };
	int first = 0;

	if (iovcnt <= 0 || iovcnt > DNSTAP_SOCK_IOV)
		return fstrm_res_failure;
	memcpy(v, iov, (size_t)iovcnt * sizeof(*v));
	while (first < iovcnt) {
		ssize_t n;

		msg.msg_iov = v + first;
		msg.msg_iovlen = (size_t)(iovcnt - first);
		n = sendmsg(s->fd, &msg, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)    /* an error, or SO_SNDTIMEO: no progress */
			return fstrm_res_failure;
		while (first < iovcnt && (size_t)n >= v[first].iov_len)
			n -= (ssize_t)v[first++].iov_len;
		if (first < iovcnt) {
			v[first].iov_base = (uint8_t *)v[first].iov_base + n;
			v[first].iov_len -= (size_t)n;
		}
	}
	return fstrm_res_success;
}

static fstrm_res dnstap_sock_destroy(void *obj)
{
	dnstap_sock_close(obj);
	free(obj);
	return fstrm_res_success;
}

/* --- the writer thread --- */

static struct fstrm_writer *dnstap_writer_new(const struct dnstap *t)
{
	struct fstrm_writer_options *wopt = fstrm_writer_options_init();
	struct fstrm_writer *w = NULL;

	if (!wopt)
		return NULL;
	fstrm_writer_options_add_content_type(wopt, DNSTAP_CONTENT_TYPE,
					      strlen(DNSTAP_CONTENT_TYPE));
	if (t->cfg.unix_socket) {
		struct dnstap_sock *s = calloc(1, sizeof(*s));
		struct fstrm_rdwr *rdwr;

		if (!s || strlen(t->cfg.sink) >= sizeof(s->sa.sun_path) ||
		    !(rdwr = fstrm_rdwr_init(s))) {
			free(s);
			goto out;
		}
		s->fd = -1;
		s->sa.sun_family = AF_UNIX;
		memcpy(s->sa.sun_path, t->cfg.sink, strlen(t->cfg.sink) + 1);
		fstrm_rdwr_set_destroy(rdwr, dnstap_sock_destroy);
		fstrm_rdwr_set_open(rdwr, dnstap_sock_open);
		fstrm_rdwr_set_close(rdwr, dnstap_sock_close);
		fstrm_rdwr_set_read(rdwr, dnstap_sock_read);
		fstrm_rdwr_set_write(rdwr, dnstap_sock_write);
		w = fstrm_writer_init(wopt, &rdwr);
	} else {
		struct fstrm_file_options *fopt = fstrm_file_options_init();

		if (fopt) {
			fstrm_file_options_set_file_path(fopt, t->cfg.sink);
			w = fstrm_file_writer_init(fopt, wopt);
			fstrm_file_options_destroy(&fopt);
		}
	}
	if (w && fstrm_writer_open(w) != fstrm_res_success)
		fstrm_writer_destroy(&w);   /* sets w to NULL */
out:
	fstrm_writer_options_destroy(&wopt);
	return w;
}

/* The socket: connects when it is time to try. Writer thread. */
static void dnstap_reconnect(struct dnstap *t)
{
	uint64_t now = dnstap_now_ms();

	if (now < t->next_open_ms)
		return;
	t->next_open_ms = now + DNSTAP_REOPEN_MS;
	t->w = dnstap_writer_new(t);
	if (t->w) {
		__atomic_store_n(&t->connected, 1, __ATOMIC_RELAXED);
		log_info("dnstap: connected to unix:%s", t->cfg.sink);
		t->down_logged = false;
	} else if (!t->down_logged) {
		log_warning("dnstap: cannot connect to unix:%s: %s; trying "
			    "again every %u ms, messages discarded meanwhile",
			    t->cfg.sink, strerror(errno), DNSTAP_REOPEN_MS);
		t->down_logged = true;
	}
}

/* A failed write: a socket is closed (reconnected later); a file keeps
 * its writer (a full disk may drain) and says so once. */
static void dnstap_write_failed(struct dnstap *t)
{
	if (!t->cfg.unix_socket) {
		if (!t->file_error_logged)
			log_error("dnstap: cannot write %s: %s; messages "
				  "discarded", t->cfg.sink, strerror(errno));
		t->file_error_logged = true;
		return;
	}
	fstrm_writer_destroy(&t->w);
	__atomic_store_n(&t->connected, 0, __ATOMIC_RELAXED);
	t->next_open_ms = dnstap_now_ms() + DNSTAP_REOPEN_MS;
	log_warning("dnstap: lost unix:%s (a write failed or stalled for %u "
		    "ms); reconnecting", t->cfg.sink, DNSTAP_IO_TIMEOUT_MS);
	t->down_logged = true;
}

/* Writes (or, with no sink, discards) up to DNSTAP_BATCH entries of r.
 * Returns how many it took. */
static unsigned dnstap_drain(struct dnstap *t, struct dnstap_ring *r)
{
	uint64_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	uint64_t pos = r->tail;
	struct iovec iov[DNSTAP_BATCH];
	unsigned n = 0;

	while (pos < head && n < DNSTAP_BATCH) {
		size_t off = pos & DNSTAP_MASK;
		uint32_t len;

		memcpy(&len, r->buf + off, 4);
		if (len == DNSTAP_SKIP) {
			pos += DNSTAP_RING_BYTES - off;
			continue;
		}
		iov[n].iov_base = r->buf + off + 4;
		iov[n].iov_len = len;
		n++;
		pos += dnstap_align8(4 + (size_t)len);
	}
	if (n > 0) {
		if (t->w && fstrm_writer_writev(t->w, iov, (int)n) ==
			    fstrm_res_success) {
			__atomic_fetch_add(&t->written, n, __ATOMIC_RELAXED);
			t->file_error_logged = false;
		} else {
			if (t->w)
				dnstap_write_failed(t);
			__atomic_fetch_add(&t->discarded, n, __ATOMIC_RELAXED);
		}
	}
	__atomic_store_n(&r->tail, pos, __ATOMIC_RELEASE);
	return n;
}

static void *dnstap_writer_main(void *arg)
{
	struct dnstap *t = arg;
	long idle_ms = DNSTAP_IDLE_MS;

	for (;;) {
		bool stopping = __atomic_load_n(&t->stop, __ATOMIC_ACQUIRE);
		unsigned n = 0;

		if (!t->w && t->cfg.unix_socket)
			dnstap_reconnect(t);
		for (unsigned i = 0; i < t->nrings; i++)
			n += dnstap_drain(t, &t->rings[i]);
		if (stopping && n == 0)
			break;   /* asked after the reactors stopped: drained */
		/* Less than a batch: let the rings fill for a while, so a write
		 * carries many frames; idle, sleep longer, up to
		 * DNSTAP_IDLE_MAX_MS. */
		if (n < DNSTAP_BATCH && !stopping) {
			const struct timespec ts = { 0, idle_ms * 1000000L };

			nanosleep(&ts, NULL);
			idle_ms = n > 0 ? DNSTAP_IDLE_MS :
				  idle_ms * 2 > DNSTAP_IDLE_MAX_MS ?
				  DNSTAP_IDLE_MAX_MS : idle_ms * 2;
		}
	}
	if (t->w)
		fstrm_writer_destroy(&t->w);   /* the stop frame */
	return NULL;
}

int dnstap_start(struct dnstap *t, char *err, size_t errlen)
{
	int rc;

	if (t->cfg.unix_socket) {
		dnstap_reconnect(t);   /* a warning if nobody listens yet */
	} else if (!(t->w = dnstap_writer_new(t))) {
		snprintf(err, errlen, "dnstap: cannot open %s: %s",
			 t->cfg.sink, errno ? strerror(errno) : "failed");
		return -EIO;
	} else {
		__atomic_store_n(&t->connected, 1, __ATOMIC_RELAXED);
	}
	{   /* the writer takes no signal: main handles them (daemon.c) */
		sigset_t old;

		sigmask_block_all(&old);
		rc = pthread_create(&t->thread, NULL, dnstap_writer_main, t);
		sigmask_restore(&old);
	}
	if (rc != 0) {
		snprintf(err, errlen, "dnstap: writer thread: %s",
			 strerror(rc));
		if (t->w)
			fstrm_writer_destroy(&t->w);
		return -rc;
	}
	t->started = true;
	return 0;
}

void dnstap_free(struct dnstap *t)
{
	if (!t)
		return;
	if (t->started) {
		__atomic_store_n(&t->stop, 1, __ATOMIC_RELEASE);
		pthread_join(t->thread, NULL);
	}
	if (t->rings)
		for (unsigned i = 0; i < t->nrings; i++)
			free(t->rings[i].buf);
	free(t->rings);
	free(t->cfg.sink);
	free(t->cfg.identity);
	free(t->cfg.version);
	free(t);
}

uint64_t dnstap_written(const struct dnstap *t)
{
	return t ? __atomic_load_n(&t->written, __ATOMIC_RELAXED) : 0;
}

uint64_t dnstap_discarded(const struct dnstap *t)
{
	return t ? __atomic_load_n(&t->discarded, __ATOMIC_RELAXED) : 0;
}

bool dnstap_connected(const struct dnstap *t)
{
	return t && __atomic_load_n(&t->connected, __ATOMIC_RELAXED);
}
