/* tcp.c -- DNS over TCP (RFC 7766) on a reactor's loop.
 *
 * Listeners are our own sockets (SO_REUSEPORT set before bind) handed to
 * libuv with uv_tcp_open, one per reactor and listen address, so each
 * reactor accepts its own clients. A listener never stops accepting: libuv
 * stops watching one whose connection callback did not uv_accept (1.44
 * uv__server_io), so every path of the callback takes the connection; when
 * it cannot be set up (no memory, a handle that will not initialise) it is
 * accepted into the listener's spare handle and closed at once
 * (tcp-accept-failed), and when the spare is still closing from an earlier
 * one, a timer takes it TCP_RETRY_MS later.
 *
 * A connection is one calloc at accept:
 * the struct, then a read buffer (4 KiB, grown once to the largest message
 * seen, at most 2 + 65535 bytes) and two output buffers. Nothing is
 * allocated per query.
 *
 * Framing: every complete two-byte-length message in the read buffer is
 * answered in order, as soon as it is there (pipelining), into the reactor's
 * 65535-byte scratch, and the reply is appended, length first, to the output
 * buffer being filled. One uv_write is in flight per connection at a time;
 * while it is, replies collect in the other buffer. When that one holds
 * TCP_OUT_HIGH bytes, answering pauses and reading stops until the write
 * completes: at most one write and 2 * TCP_OUT_HIGH + 65537 bytes of replies
 * per connection are outstanding.
 *
 * One timer per connection: the idle timer (tcp-idle-timeout, restarted
 * whenever bytes arrive and no partial message is held) or, while the buffer
 * holds part of a message, the message timer (tcp-message-timeout from the
 * first byte of that message, not restarted by further bytes). Either firing
 * closes the connection (counted as timed out).
 *
 * Limits: the number of connections over all reactors (a relaxed atomic
 * counter in struct daemon_shared) and per client prefix (/24 IPv4, /56
 * IPv6) in a table shared by every reactor that keys each prefix with a
 * 40-bit fingerprint under a per-process secret (ratelimit/conncount.h:
 * no prefix can be aimed at another's count); a
 * connection over the prefix limit is accepted and closed at once.
 *
 * Connections that have not yet sent a whole query ("unanswered") are
 * counted over all reactors, and each reactor keeps its own in an
 * intrusive list in accept order (r->unans_head is the oldest). A
 * connection accepted at the total cap (tcp-max-clients) or at
 * limits: tcp-max-unanswered makes room by closing the oldest of its
 * reactor's list, O(1), so connections opened faster than timeouts free
 * them cannot lock real clients out: they only push each other out. The
 * oldest is spared (sent to the back, a few times at most) when a whole
 * query waits unread in its socket: a burst of accepts must not evict a
 * client whose query is already there (tcp_unans_victim). With nobody to
 * close, the total cap refuses the new connection; the unanswered cap
 * keeps it (passed by at most one per reactor until connections are
 * answered or close).
 *
 * While half of the cap is held, or under attack, timers use
 * tcp-pressure-timeout-ms when it is shorter: timers started from then on,
 * and, once when a reactor sees the pressure begin (at an accept), the
 * timers of its unanswered connections already open (a walk of its list,
 * at most the cap; the pressure ends for this purpose below a quarter of
 * the cap, so walks are at least cap / 4 accepts apart). docs/flood.md.
 */
#include "server/tcp.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <urcu-qsbr.h>

#include "common/cidr.h"
#include "ratelimit/conncount.h"
#include "server/answer.h"
#include "server/config.h"
#include "server/fault.h"
#include "zones/zdb.h"

#define TCP_RBUF_INIT 4096
#define TCP_MSG_MAX (2 + 65535)
#define TCP_OUT_INIT 4096
#define TCP_OUT_HIGH (64 * 1024)
#define TCP_BACKLOG 4096
#define TCP_RETRY_MS 10

enum tcp_timer_mode { TCP_TIMER_IDLE, TCP_TIMER_MESSAGE };

struct tcp_conn {
	uv_tcp_t h;
	uv_timer_t timer;
	struct reactor *r;
	struct tcp_conn *prev, *next;
	struct tcp_conn *uprev, *unext;   /* r->unans_head list, while
					     unanswered */
	uint8_t *rbuf;
	size_t rlen, rcap;
	uint8_t *out[2];
	size_t out_len[2], out_cap[2];
	unsigned fill;             /* index of the buffer being filled */
	uv_write_t wreq;
	int close_pending;         /* handles still to close */
	uint32_t way;              /* its count in sh->tcp_prefix */
	struct sockaddr_storage peer; /* the client (cookies) */
	bool counted;              /* holds a place in the limits */
	bool unanswered;           /* counted in tcp_unanswered: no whole
				      query received yet */
	bool accepted;             /* counted in tcp-accepted and tcp-closed */
	bool writing;
	bool reading;
	bool eof;                  /* peer closed or we are stopping */
	bool closing;
	uint8_t timer_mode;
};

int tcp_socket_open(const struct config_listen *l)
{
	int fd = reactor_socket_new(l, SOCK_STREAM);

	return fd < 0 ? fd : reactor_socket_bind(fd, l);
}

/* Appends c (just accepted) to its reactor's unanswered list. O(1). */
static void tcp_unans_append(struct tcp_conn *c)
{
	struct reactor *r = c->r;

	c->unext = NULL;
	c->uprev = r->unans_tail;
	if (r->unans_tail)
		r->unans_tail->unext = c;
	else
		r->unans_head = c;
	r->unans_tail = c;
}

/* c has sent a whole query or is closing: no longer unanswered. Unlinks it
 * (when linked) and gives back its place under the cap. O(1). */
static void tcp_unans_done(struct tcp_conn *c)
{
	struct reactor *r = c->r;

	if (!c->unanswered)
		return;
	c->unanswered = false;
	if (c->uprev)
		c->uprev->unext = c->unext;
	else if (r->unans_head == c)
		r->unans_head = c->unext;
	if (c->unext)
		c->unext->uprev = c->uprev;
	else if (r->unans_tail == c)
		r->unans_tail = c->uprev;
	c->uprev = c->unext = NULL;
	__atomic_sub_fetch(&r->shared->tcp_unanswered, 1, __ATOMIC_RELAXED);
}

/* The unanswered connection to close at the cap: the oldest, except one
 * whose whole first query (of at most TCP_PEEK_MAX bytes) waits unread in
 * its socket (accepted in the same burst, or readable in this very loop
 * iteration: a client whose query is already there must not be pushed out
 * by a burst of accepts; a partial message does not spare it). Such a one
 * goes to the back of the list; after TCP_VICTIM_TRIES of them (one recv
 * with MSG_PEEK each), or when it is alone, NULL: nobody is closed, and the
 * new connection passes the cap until those queries are read (in this loop
 * iteration). The list is not empty. */
#define TCP_VICTIM_TRIES 8
#define TCP_PEEK_MAX 514

static struct tcp_conn *tcp_unans_victim(struct reactor *r)
{
	for (int i = 0; i < TCP_VICTIM_TRIES; i++) {
		struct tcp_conn *c = r->unans_head;
		uint8_t b[TCP_PEEK_MAX];
		uv_os_fd_t fd;
		ssize_t n;

		if (uv_fileno((uv_handle_t *)&c->h, &fd) < 0 || c->rlen)
			return c;
		n = recv(fd, b, sizeof(b), MSG_PEEK | MSG_DONTWAIT);
		if (n < 2 || (size_t)n < 2 + ((size_t)b[0] << 8 | b[1]))
			return c;
		if (c == r->unans_tail)
			return NULL;
		r->unans_head = c->unext;     /* to the back */
		r->unans_head->uprev = NULL;
		tcp_unans_append(c);
	}
	return NULL;
}

/* Held unanswered connections, over all reactors (relaxed). */
static unsigned tcp_unanswered_held(const struct reactor *r)
{
	return __atomic_load_n(&r->shared->tcp_unanswered, __ATOMIC_RELAXED);
}

/* Under pressure: half the unanswered cap held, or under attack. */
static bool tcp_under_pressure(const struct reactor *r)
{
	const struct config *cfg = r->shared->cfg;

	return (cfg->limits.tcp_max_unanswered &&
		2u * tcp_unanswered_held(r) >= cfg->limits.tcp_max_unanswered) ||
	       attack_engaged(r->shared->attack);
}

static void tcp_on_timer(uv_timer_t *t);

/* Called at each accept: when this reactor sees the pressure begin,
 * shortens the timers of its unanswered connections already open to the
 * pressure timeout (those due later). Bounded: one walk of its list (at
 * most the cap) per beginning; the pressure is seen to end only below a
 * quarter of the cap, without attack. */
static void tcp_pressure_update(struct reactor *r)
{
	const struct config *cfg = r->shared->cfg;
	uint64_t ms = cfg->limits.tcp_pressure_timeout_ms;
	struct tcp_conn *c;

	if (r->tcp_pressure) {
		if (!attack_engaged(r->shared->attack) &&
		    4u * tcp_unanswered_held(r) <
			    cfg->limits.tcp_max_unanswered)
			r->tcp_pressure = false;
		return;
	}
	if (!tcp_under_pressure(r))
		return;
	r->tcp_pressure = true;
	for (c = r->unans_head; c; c = c->unext)
		if (uv_is_active((uv_handle_t *)&c->timer) &&
		    uv_timer_get_due_in(&c->timer) > ms)
			uv_timer_start(&c->timer, tcp_on_timer, ms, 0);
}

static void tcp_release(struct tcp_conn *c)
{
	struct daemon_shared *sh = c->r->shared;

	tcp_unans_done(c);
	if (!c->counted)
		return;
	c->counted = false;
	__atomic_sub_fetch(&sh->tcp_clients, 1, __ATOMIC_RELAXED);
	conncount_sub(sh->tcp_prefix, c->way);
	c->way = CONNCOUNT_NONE;
}

static void tcp_on_conn_closed(uv_handle_t *h)
{
	struct tcp_conn *c = h->data;

	if (--c->close_pending > 0)
		return;
	free(c->rbuf);
	free(c->out[0]);
	free(c->out[1]);
	free(c);
}

static void tcp_conn_close(struct tcp_conn *c)
{
	struct reactor *r = c->r;

	if (c->closing)
		return;
	c->closing = true;
	if (c->prev)
		c->prev->next = c->next;
	else if (r->conns == c)
		r->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	tcp_release(c);
	if (c->accepted)
		STATS_INC(&r->stats, STATS_TCP_CLOSED);
	c->close_pending = 2;
	uv_close((uv_handle_t *)&c->h, tcp_on_conn_closed);
	uv_close((uv_handle_t *)&c->timer, tcp_on_conn_closed);
}

static void tcp_on_timer(uv_timer_t *t)
{
	struct tcp_conn *c = t->data;

	STATS_INC(&c->r->stats, STATS_TCP_TIMEOUT);
	tcp_conn_close(c);
}

static void tcp_timer_set(struct tcp_conn *c, enum tcp_timer_mode mode)
{
	const struct config *cfg = c->r->shared->cfg;
	uint64_t ms;

	if (mode == TCP_TIMER_MESSAGE && c->timer_mode == TCP_TIMER_MESSAGE &&
	    uv_is_active((uv_handle_t *)&c->timer))
		return;   /* the same partial message: keep its deadline */
	ms = 1000ull * (mode == TCP_TIMER_MESSAGE ? cfg->tcp_message_timeout :
						    cfg->tcp_idle_timeout);
	/* Under pressure (half the unanswered cap held, or under attack):
	 * the short timeout, so held connections cannot lock clients out. */
	if (tcp_under_pressure(c->r))
		if (ms > cfg->limits.tcp_pressure_timeout_ms)
			ms = cfg->limits.tcp_pressure_timeout_ms;
	c->timer_mode = (uint8_t)mode;
	uv_timer_start(&c->timer, tcp_on_timer, ms, 0);
}

static void tcp_on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct tcp_conn *c = h->data;

	(void)hint;
	buf->base = (char *)c->rbuf + c->rlen;
	buf->len = c->rcap - c->rlen;
}

/* Appends a reply (with its length) to the buffer being filled. Grows it
 * when needed; false when out of memory. */
static bool tcp_append(struct tcp_conn *c, const uint8_t *resp, size_t len)
{
	unsigned f = c->fill;
	size_t need = c->out_len[f] + 2 + len;

	if (need > c->out_cap[f]) {
		size_t cap = c->out_cap[f] ? c->out_cap[f] : TCP_OUT_INIT;
		uint8_t *p;

		while (cap < need)
			cap *= 2;
		p = realloc(c->out[f], cap);
		if (!p)
			return false;
		c->out[f] = p;
		c->out_cap[f] = cap;
	}
	c->out[f][c->out_len[f]] = (uint8_t)(len >> 8);
	c->out[f][c->out_len[f] + 1] = (uint8_t)len;
	memcpy(c->out[f] + c->out_len[f] + 2, resp, len);
	c->out_len[f] = need;
	return true;
}

static void tcp_flush(struct tcp_conn *c);
static void tcp_read_start(struct tcp_conn *c);

/* Answers every complete message in the read buffer, in order, until the
 * output buffer is full. Returns false when the connection was closed. */
static bool tcp_process(struct tcp_conn *c)
{
	struct reactor *r = c->r;
	const struct answer_config *acfg = r->shared->acfg;
	struct stats *st = &r->stats;
	const struct zdb *db = NULL;
	struct attack *atk = r->shared->attack;
	size_t off = 0;
	uint32_t now = 0;
	uint64_t now_ms = 0;
	bool online = false, bad = false;

	while (c->rlen - off >= 2 && c->out_len[c->fill] < TCP_OUT_HIGH) {
		size_t mlen = (size_t)c->rbuf[off] << 8 | c->rbuf[off + 1];
		struct answer_request req;

		if (mlen == 0) {   /* no DNS message is empty: give up */
			STATS_INC(st, STATS_DROPPED);
			bad = true;
			break;
		}
		if (c->rlen - off < 2 + mlen)
			break;
		tcp_unans_done(c);   /* a whole query: no longer pending */
		if (!online) {
			rcu_thread_online();
			db = zdb_current();
			online = true;
			now = (uint32_t)time(NULL);
			now_ms = uv_now(&r->loop);
		}
		STATS_INC(st, STATS_TCP_QUERIES);
		/* The attack detector counts TCP queries too (only counting:
		 * TCP keeps full service under attack). */
		if (atk && limits_is_query(c->rbuf + off + 2, mlen))
			reactor_note_query(r, c->rbuf + off + 2, mlen, now_ms);
		memset(&req, 0, sizeof(req));
		req.query = c->rbuf + off + 2;
		req.query_len = mlen;
		req.resp = r->tcp_resp;
		req.resp_cap = 65535;
		req.tcp = true;
		req.client = (const struct sockaddr *)&c->peer;
		req.now = now;
		off += 2 + mlen;
		if (answer_query(db, acfg, &req) != ANSWER_SEND ||
		    req.resp_len == 0) {
			STATS_INC(st, STATS_DROPPED);
			continue;
		}
		STATS_COOKIE(st, req.cookie);
		if (atk)
			reactor_note_answer(r, &req, now_ms);
		STATS_INC(st, stats_rcode_counter(req.rcode));
		if (req.truncated)
			STATS_INC(st, STATS_TRUNCATED);
		if (!tcp_append(c, req.resp, req.resp_len)) {
			STATS_INC(st, STATS_DROPPED);
			bad = true;
			break;
		}
	}
	if (online)
		rcu_thread_offline();
	if (bad) {
		tcp_conn_close(c);
		return false;
	}
	if (off) {
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
	tcp_flush(c);
	return true;
}

/* True when the read buffer holds a complete message not yet answered. */
static bool tcp_backlog(const struct tcp_conn *c)
{
	return c->rlen >= 2 &&
	       c->rlen >= 2 + ((size_t)c->rbuf[0] << 8 | c->rbuf[1]);
}

static void tcp_on_write(uv_write_t *w, int status)
{
	struct tcp_conn *c = w->data;

	c->writing = false;
	if (c->closing)
		return;
	c->out_len[c->fill ^ 1] = 0;
	if (status < 0) {
		tcp_conn_close(c);
		return;
	}
	/* Answer what waited for room (also after the peer half-closed, not
	 * when we are stopping), then write it. */
	if (!c->r->stopping && tcp_backlog(c) && !tcp_process(c))
		return;
	tcp_flush(c);
	if (c->eof) {
		if (!c->writing)
			tcp_conn_close(c);
		return;
	}
	/* Replies leaving count as activity. */
	if (c->timer_mode == TCP_TIMER_IDLE)
		tcp_timer_set(c, TCP_TIMER_IDLE);
	tcp_read_start(c);
}

/* Starts a write of the filled buffer if none is in flight. */
static void tcp_flush(struct tcp_conn *c)
{
	uv_buf_t b;
	unsigned f = c->fill;

	if (c->writing || c->out_len[f] == 0 || c->closing)
		return;
	b = uv_buf_init((char *)c->out[f], (unsigned)c->out_len[f]);
	c->wreq.data = c;
	if (uv_write(&c->wreq, (uv_stream_t *)&c->h, &b, 1, tcp_on_write) < 0) {
		tcp_conn_close(c);
		return;
	}
	c->writing = true;
	c->fill ^= 1;
}

static void tcp_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct tcp_conn *c = s->data;
	size_t need;

	(void)buf;
	if (nread == 0)
		return;
	if (nread < 0) {
		/* EOF or error: send what is pending, then close. */
		uv_read_stop(s);
		c->reading = false;
		c->eof = true;
		if (!c->writing)   /* then nothing is waiting to be answered */
			tcp_conn_close(c);
		return;
	}
	c->rlen += (size_t)nread;
	if (!tcp_process(c))
		return;
	/* Grow the buffer for a partial message larger than it. */
	if (c->rlen >= 2) {
		need = 2 + ((size_t)c->rbuf[0] << 8 | c->rbuf[1]);
		if (need > c->rcap) {
			uint8_t *p = realloc(c->rbuf, TCP_MSG_MAX);

			if (!p) {
				tcp_conn_close(c);
				return;
			}
			c->rbuf = p;
			c->rcap = TCP_MSG_MAX;
		}
	}
	if (tcp_backlog(c) || c->rlen == c->rcap) {
		/* Output full: wait for the write to finish. */
		uv_read_stop(s);
		c->reading = false;
	}
	if (c->rlen > 0 && !tcp_backlog(c))
		tcp_timer_set(c, TCP_TIMER_MESSAGE);
	else
		tcp_timer_set(c, TCP_TIMER_IDLE);
}

static void tcp_read_start(struct tcp_conn *c)
{
	if (c->reading || c->closing || c->eof || c->r->stopping)
		return;
	if (tcp_backlog(c) || c->rlen == c->rcap)
		return;
	if (uv_read_start((uv_stream_t *)&c->h, tcp_on_alloc, tcp_on_read) < 0) {
		tcp_conn_close(c);
		return;
	}
	c->reading = true;
}

static void tcp_on_retry(uv_timer_t *t);

static void tcp_on_spare_closed(uv_handle_t *h)
{
	struct tcp_listener *tl = h->data;

	if (tl->open && uv_tcp_init(&tl->r->loop, &tl->spare) == 0) {
		tl->spare.data = tl;
		tl->spare_ready = true;
	}
}

/* Takes the connection libuv has accepted and closes it at once, so that
 * libuv goes on watching the listener. When the spare handle is still
 * closing (an earlier reject of this loop iteration), libuv stops watching
 * until the retry timer accepts TCP_RETRY_MS later. */
static void tcp_reject(struct tcp_listener *tl)
{
	if (tl->spare_ready && !FAULT(FAULT_TCP_SPARE_BUSY)) {
		tl->spare_ready = false;
		/* On failure libuv closed the descriptor itself. */
		(void)uv_accept((uv_stream_t *)&tl->h,
				(uv_stream_t *)&tl->spare);
		uv_close((uv_handle_t *)&tl->spare, tcp_on_spare_closed);
		return;
	}
	if (tl->retry_ready && tl->open)
		uv_timer_start(&tl->retry, tcp_on_retry, TCP_RETRY_MS, 0);
}

/* A new connection with its two handles initialised; NULL when memory or
 * a handle is missing (nothing left behind: a handle initialised closes
 * and frees the struct by itself). */
static struct tcp_conn *tcp_conn_new(struct reactor *r)
{
	struct tcp_conn *c;

	c = FAULT(FAULT_TCP_CONN_ALLOC) ? NULL : calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->r = r;
	c->way = CONNCOUNT_NONE;
	if (FAULT(FAULT_TCP_TIMER_INIT) ||
	    uv_timer_init(&r->loop, &c->timer) < 0) {
		free(c);
		return NULL;
	}
	c->timer.data = c;
	if (FAULT(FAULT_TCP_HANDLE_INIT) || uv_tcp_init(&r->loop, &c->h) < 0) {
		c->closing = true;
		c->close_pending = 1;
		uv_close((uv_handle_t *)&c->timer, tcp_on_conn_closed);
		return NULL;
	}
	c->h.data = c;
	return c;
}

/* Accepts the connection libuv holds for tl, or rejects it (accepted and
 * closed): every path takes it. */
static void tcp_accept_one(struct tcp_listener *tl)
{
	struct reactor *r = tl->r;
	struct daemon_shared *sh = r->shared;
	const struct config *cfg = sh->cfg;
	struct sockaddr_storage peer;
	struct cidr pfx;
	int plen = sizeof(peer);
	struct tcp_conn *c;
	unsigned total, per = 0, unans;
	bool made_room = false;

	if (r->stopping) {
		tcp_reject(tl);
		return;
	}
	c = tcp_conn_new(r);
	if (!c) {
		STATS_INC(&r->stats, STATS_TCP_ACCEPT_FAILED);
		tcp_reject(tl);
		return;
	}
	/* Linked first so tcp_conn_close() can always unlink it. */
	c->next = r->conns;
	if (r->conns)
		r->conns->prev = c;
	r->conns = c;
	if (uv_accept((uv_stream_t *)&tl->h, (uv_stream_t *)&c->h) < 0) {
		tcp_conn_close(c);   /* libuv closed the descriptor */
		return;
	}
	memset(&peer, 0, sizeof(peer));
	if (uv_tcp_getpeername(&c->h, (struct sockaddr *)&peer, &plen) < 0)
		memset(&peer, 0, sizeof(peer));
	c->peer = peer;
	c->counted = true;
	total = __atomic_add_fetch(&sh->tcp_clients, 1, __ATOMIC_RELAXED);
	if (cidr_of_sockaddr((const struct sockaddr *)&peer,
			     peer.ss_family == AF_INET ? 24 : 56, &pfx))
		per = conncount_add(sh->tcp_prefix, &pfx, &c->way);
	if (per > cfg->tcp_max_per_prefix) {
		STATS_INC(&r->stats, STATS_TCP_REFUSED);
		tcp_conn_close(c);
		return;
	}
	/* Every new connection is unanswered until its first whole query.
	 * At either cap (all connections, or the unanswered ones), the oldest
	 * unanswered connection of this reactor makes room (it gives its
	 * places back as it closes); held connections then only push each
	 * other out. A new connection that made room is kept (one in, one
	 * out, whatever the other reactors do meanwhile). With none to close:
	 * the unanswered cap keeps it (over that cap by at most one per
	 * reactor, and those whose query waits); the total cap refuses it,
	 * except on a reactor with no unanswered connection at all (the others
	 * hold them all: it would otherwise refuse everyone) while the total
	 * stays within an eighth over the cap. */
	unans = __atomic_add_fetch(&sh->tcp_unanswered, 1, __ATOMIC_RELAXED);
	c->unanswered = true;
	if ((total > cfg->tcp_max_clients ||
	     (cfg->limits.tcp_max_unanswered &&
	      unans > cfg->limits.tcp_max_unanswered)) &&
	    r->unans_head) {
		struct tcp_conn *old = tcp_unans_victim(r);

		if (old) {
			STATS_INC(&r->stats, STATS_TCP_UNANSWERED_REFUSED);
			tcp_conn_close(old);
			made_room = true;
		}
	}
	if (total > cfg->tcp_max_clients && !made_room &&
	    (r->unans_head ||
	     total > cfg->tcp_max_clients + cfg->tcp_max_clients / 8 + 1)) {
		STATS_INC(&r->stats, STATS_TCP_REFUSED);
		tcp_conn_close(c);
		return;
	}
	tcp_unans_append(c);
	if (cfg->limits.tcp_max_unanswered)
		tcp_pressure_update(r);
	c->accepted = true;
	STATS_INC(&r->stats, STATS_TCP_ACCEPTED);
	c->rbuf = FAULT(FAULT_TCP_BUF_ALLOC) ? NULL : malloc(TCP_RBUF_INIT);
	if (!c->rbuf) {
		tcp_conn_close(c);
		return;
	}
	c->rcap = TCP_RBUF_INIT;
	(void)uv_tcp_nodelay(&c->h, 1);   /* latency only */
	tcp_timer_set(c, TCP_TIMER_IDLE);
	tcp_read_start(c);
}

static void tcp_on_connection(uv_stream_t *server, int status)
{
	/* status < 0: libuv accepted nothing (it handles EMFILE itself) and
	 * keeps watching. */
	if (status == 0)
		tcp_accept_one(server->data);
}

static void tcp_on_retry(uv_timer_t *t)
{
	struct tcp_listener *tl = t->data;

	if (tl->open)
		tcp_accept_one(tl);
}

int tcp_start(struct reactor *r, struct tcp_listener *tl, int fd)
{
	int rc;

	tl->r = r;
	rc = uv_tcp_init(&r->loop, &tl->h);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	tl->h.data = tl;
	tl->open = true;
	rc = uv_tcp_init(&r->loop, &tl->spare);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	tl->spare.data = tl;
	tl->spare_ready = true;
	rc = uv_timer_init(&r->loop, &tl->retry);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	tl->retry.data = tl;
	tl->retry_ready = true;
	rc = uv_tcp_open(&tl->h, fd);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return uv_listen((uv_stream_t *)&tl->h, TCP_BACKLOG, tcp_on_connection);
}

void tcp_close_listener(struct tcp_listener *tl)
{
	if (!tl->open)
		return;
	tl->open = false;
	uv_close((uv_handle_t *)&tl->h, NULL);
	if (tl->spare_ready) {
		tl->spare_ready = false;
		uv_close((uv_handle_t *)&tl->spare, NULL);
	}
	if (tl->retry_ready) {
		tl->retry_ready = false;
		uv_close((uv_handle_t *)&tl->retry, NULL);
	}
}

void tcp_stop_conns(struct reactor *r, bool force)
{
	struct tcp_conn *c = r->conns, *next;

	/* Bounded by the number of open connections. */
	for (; c; c = next) {
		next = c->next;
		if (c->reading) {
			uv_read_stop((uv_stream_t *)&c->h);
			c->reading = false;
		}
		c->eof = true;
		if (force || !c->writing)
			tcp_conn_close(c);
	}
}
