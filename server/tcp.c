/* tcp.c -- DNS over TCP (RFC 7766) on a reactor's loop.
 *
 * Listeners are our own sockets (SO_REUSEPORT set before bind) handed to
 * libuv with uv_tcp_open, one per reactor and listen address, so each
 * reactor accepts its own clients. A listener never stops accepting: libuv
 * stops watching one whose connection callback did not uv_accept (1.44
 * uv__server_io), so every path of the callback takes the connection; when
 * it cannot be set up (no memory, a handle that will not initialise, the
 * memory budget) it is accepted into the listener's spare handle and
 * closed at once (tcp-accept-failed), and when the spare is still closing
 * from an earlier one, a timer takes it TCP_RETRY_MS later.
 *
 * Memory. A connection is one calloc at accept (its struct and handles,
 * about 900 bytes). It holds buffers only while it holds bytes: input not
 * yet answered (rbuf: a message split across reads, or, while a write is
 * in flight, the queries read behind it) and replies the kernel did not
 * take (wbuf). Reads go into the reactor's 64 KiB read scratch and replies
 * collect in its reply batch (r->tcp_out); a batch is sent with
 * uv_try_write, and only what the kernel does not take at once is copied
 * into a wbuf of the connection's own for one uv_write. A client that
 * reads its answers therefore costs its struct and nothing more. Every
 * byte a connection holds (struct and buffers, as the allocator counts
 * them: malloc_usable_size) is charged to its reactor, which may hold at
 * most its share of server: tcp-memory-max (default 64 MiB). When a new
 * connection or a buffer would pass it, the connections holding buffers
 * that went longest without progress (r->mem_head first: a whole message
 * in or a write done moves one to the back) are reset to make room (RST:
 * what the kernel still queues for them goes too), at most TCP_EVICT_MAX
 * for one request (tcp-memory-closed); with none to close, the new
 * connection is refused, or the one needing the buffer is closed. Buffers
 * are freed when the connection closes, not when libuv's close callbacks
 * run, so the charge is exact at any moment, and they come from a pool of
 * the reactor's own whose freed pages go back to the system at once
 * (alloc.h), so the budget bounds the resident memory too. The gauges
 * tcp-memory and tcp-memory-peak show the charge. Per
 * connection at most TCP_IN_SCRATCH (or one whole message) of input and
 * TCP_OUT_SCRATCH of replies are held. Nothing is allocated per query: at
 * most one buffer per read that ends inside a message and one per write
 * the kernel does not take at once.
 *
 * Framing: every whole two-byte-length message is answered in order, as
 * soon as it is there (pipelining), into the reactor's 65535-byte reply
 * scratch (tcp_answer_one), and the reply is appended, length first, to
 * the batch; a batch is sent when it holds TCP_OUT_HIGH bytes and at the
 * end of each read. While a write is in flight, nothing more is answered
 * and reading stops: the client that does not read its replies stops
 * being read (back-pressure, and its memory stays bounded).
 *
 * Transfers (xfrout.h). An AXFR the pipeline allows (QUERY_TRANSFER)
 * makes the connection a transfer: its state (charged like a buffer) and
 * a write buffer of TCP_XFR_BUF (64 KiB) are held until the last message
 * is written; nothing more is read or answered meanwhile (pipelined
 * queries wait in rbuf). Each loop turn renders one message into wbuf and
 * writes it with one uv_write, the next one when that write is done
 * (tcp_xfr_pump): back-pressure from the client paces the transfer, and a
 * client that stops reading leaves one write in flight (WRITING) until
 * tcp-idle-timeout resets it. A transfer is a buffer holder like any
 * other for tcp-memory-max.
 *
 * State and timer (RFC 7766 6.2.3). A connection is in one state, and its
 * one timer means one thing in each:
 *   IDLE     no part of a message held, no reply owed: tcp-idle-timeout,
 *            restarted whenever a whole message comes in or a write is
 *            done (activity);
 *   PARTIAL  part of a message held while reading: tcp-message-timeout
 *            from the moment we began to wait for that message, restarted
 *            when a whole message completes and a new partial one begins
 *            (a client making progress is never closed for a partial
 *            message; one that stalls inside a message is closed);
 *   WRITING  a write in flight (the kernel did not take a batch at once;
 *            reading stopped): tcp-idle-timeout from the start of that
 *            write, restarted when it is done and another begins: a client
 *            that takes none of our replies that long is closed.
 * Leaving WRITING for PARTIAL starts the message deadline afresh (we were
 * not reading meanwhile, so the wait is not the client's). A timer firing
 * closes the connection (tcp-timeout).
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
 * the cap, so walks are at least cap / 4 accepts apart). Replies answered
 * under pressure advertise that shorter timeout as their RFC 7828
 * keepalive (daemon_shared.acfg_tcp_pressure). docs/flood.md.
 */
#include "server/tcp.h"

#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <urcu-qsbr.h>

#include "common/cidr.h"
#include "ratelimit/attack.h"
#include "ratelimit/conncount.h"
#include "server/alloc.h"
#include "server/config.h"
#include "server/fault.h"
#include "server/query.h"
#include "server/xfrout.h"
#include "zones/zdb.h"

#define TCP_MSG_MAX (2 + 65535)
#define TCP_IN_SCRATCH (64 * 1024)      /* one read */
#define TCP_OUT_HIGH (64 * 1024)        /* a batch is sent at this size */
#define TCP_OUT_SCRATCH (TCP_OUT_HIGH + TCP_MSG_MAX)
#define TCP_RBUF_MIN 512
#define TCP_BACKLOG 4096
#define TCP_RETRY_MS 10
#define TCP_EVICT_MAX 64
/* A transfer's write buffer: one message, the largest it may be. A loop
 * turn renders one message (of about XFROUT_MSG_TARGET bytes: some 0.3 ms
 * of work on the bench machine), so a transfer delays the other queries
 * of its reactor by about that much a turn: with 128 KiB a turn a third
 * of 10,000 queries/s sent to the same reactor were lost during a
 * 1M-record AXFR, with 32 KiB their p99 was 48 ms, with one message 7 ms
 * (bench/README.md). */
#define TCP_XFR_BUF XFROUT_FRAME_MAX

enum tcp_state { TCP_IDLE, TCP_PARTIAL, TCP_WRITING };

struct tcp_conn {
	uv_tcp_t h;
	uv_timer_t timer;
	uv_write_t wreq;
	struct reactor *r;
	struct tcp_conn *prev, *next;     /* r->conns */
	struct tcp_conn *uprev, *unext;   /* r->unans_head list, while
					     unanswered */
	struct tcp_conn *mprev, *mnext;   /* r->mem_head list, while holding
					     a buffer */
	uint8_t *rbuf;             /* input not answered yet */
	size_t rlen, rcap, rmem;   /* bytes held, asked for, charged */
	uint8_t *wbuf;             /* the write in flight, or NULL; while a
				      transfer runs, its buffer */
	size_t wmem;               /* charged */
	struct xfrout *xfr;        /* the AXFR being written, or NULL: in
				      xbuf, charged xmem */
	uint8_t *xbuf;
	size_t xmem;
	size_t self_mem;           /* the struct, charged until freed */
	int close_pending;         /* handles still to close */
	uint32_t way;              /* its count in sh->tcp_prefix */
	struct sockaddr_storage peer; /* the client (cookies) */
	const struct sockaddr *local; /* its listener's address (dnstap) */
	uint8_t state;             /* enum tcp_state */
	bool counted;              /* holds a place in the limits */
	bool unanswered;           /* counted in tcp_unanswered: no whole
				      query received yet */
	bool accepted;             /* counted in tcp-accepted and tcp-closed */
	bool in_mem;               /* linked in r->mem_head */
	bool writing;
	bool reading;
	bool eof;                  /* peer closed or we are stopping */
	bool closing;
	bool reset;                /* close with RST (tcp_conn_abort) */
};

/* One run of answering for one connection (a read, or a write done): the
 * zone snapshot and clock, read at its first message, the answer config
 * (with the pressure keepalive or not), and the reply batch in
 * r->tcp_out. */
struct tcp_batch {
	const struct zdb *db;
	const struct answer_config *acfg;
	uint32_t now;
	uint64_t now_ms;
	size_t out_len;
	bool online;               /* RCU online (tcp_batch_end) */
	bool progress;             /* a whole message in, or a write done */
};

int tcp_socket_open(const struct config_listen *l)
{
	int fd = reactor_socket_new(l, SOCK_STREAM);

	return fd < 0 ? fd : reactor_socket_bind(fd, l);
}

/* ---- memory ------------------------------------------------------------ */

static void tcp_conn_close(struct tcp_conn *c);
static void tcp_conn_abort(struct tcp_conn *c);
static void tcp_xfr_end(struct tcp_conn *c, bool done);

/* r->tcp_mem = bytes, shown in the tcp-memory counter (a gauge). */
static void tcp_mem_set(struct reactor *r, size_t bytes)
{
	r->tcp_mem = bytes;
	__atomic_store_n(&r->stats.c[STATS_TCP_MEMORY], (uint64_t)bytes,
			 __ATOMIC_RELAXED);
	if (bytes > __atomic_load_n(&r->stats.c[STATS_TCP_MEMORY_PEAK],
				    __ATOMIC_RELAXED))
		__atomic_store_n(&r->stats.c[STATS_TCP_MEMORY_PEAK],
				 (uint64_t)bytes, __ATOMIC_RELAXED);
}

static void tcp_mem_unlink(struct tcp_conn *c)
{
	struct reactor *r = c->r;

	if (!c->in_mem)
		return;
	if (c->mprev)
		c->mprev->mnext = c->mnext;
	else
		r->mem_head = c->mnext;
	if (c->mnext)
		c->mnext->mprev = c->mprev;
	else
		r->mem_tail = c->mprev;
	c->mprev = c->mnext = NULL;
	c->in_mem = false;
}

static void tcp_mem_append(struct tcp_conn *c)
{
	struct reactor *r = c->r;

	c->mnext = NULL;
	c->mprev = r->mem_tail;
	if (r->mem_tail)
		r->mem_tail->mnext = c;
	else
		r->mem_head = c;
	r->mem_tail = c;
	c->in_mem = true;
}

/* Keeps c in r's list of buffer holders while it holds one, moved to the
 * back when it made progress. O(1). */
static void tcp_mem_settle(struct tcp_conn *c, bool progress)
{
	bool holds = c->rbuf || c->wbuf || c->xbuf;

	if (holds && c->in_mem && !progress)
		return;
	tcp_mem_unlink(c);
	if (holds)
		tcp_mem_append(c);
}

/* Makes room for need more bytes in r's share of tcp-memory-max by
 * closing the buffer holders longest without progress (never keep), at
 * most TCP_EVICT_MAX. True when there is room. */
static bool tcp_mem_room(struct reactor *r, size_t need,
			 const struct tcp_conn *keep)
{
	for (int i = 0; r->tcp_mem + need > r->tcp_mem_max; i++) {
		struct tcp_conn *v = r->mem_head;

		if (v == keep)
			v = v->mnext;
		if (!v || i == TCP_EVICT_MAX)
			return false;
		STATS_INC(&r->stats, STATS_TCP_MEMORY_CLOSED);
		tcp_conn_abort(v);   /* frees its buffers now */
	}
	return true;
}

/* Resizes *p (capacity *cap, charge *mem) to hold want bytes, charged to
 * c's reactor. False when the budget has no room (after making room) or
 * the allocator no memory: *p is then unchanged. */
static bool tcp_buf_resize(struct tcp_conn *c, uint8_t **p, size_t *cap,
			   size_t *mem, size_t want)
{
	struct reactor *r = c->r;
	uint8_t *np;
	size_t got;

	if (want > *mem && !tcp_mem_room(r, want - *mem, c)) {
		STATS_INC(&r->stats, STATS_TCP_MEMORY_CLOSED);
		return false;
	}
	np = FAULT(FAULT_TCP_BUF_ALLOC) ? NULL :
		alloc_pool_realloc(r->tcp_pool, *p, want);
	if (!np)
		return false;
	got = alloc_pool_usable(r->tcp_pool, np);
	tcp_mem_set(r, r->tcp_mem - *mem + got);
	*mem = got;
	*p = np;
	if (cap)
		*cap = want;
	return true;
}

static void tcp_buf_free(struct tcp_conn *c, uint8_t **p, size_t *cap,
			 size_t *mem)
{
	if (!*p)
		return;
	alloc_pool_free(c->r->tcp_pool, *p);
	*p = NULL;
	if (cap)
		*cap = 0;
	tcp_mem_set(c->r, c->r->tcp_mem - *mem);
	*mem = 0;
}

/* Makes rbuf hold need bytes (those held kept): doubled from its size, at
 * least TCP_RBUF_MIN, but past need no more than hint (the whole message
 * when its length is known), so a client that sends a message slowly holds
 * about what it sent. */
static bool tcp_rbuf_reserve(struct tcp_conn *c, size_t need, size_t hint)
{
	size_t want;

	if (need <= c->rcap)
		return true;
	want = c->rcap * 2 > TCP_RBUF_MIN ? c->rcap * 2 : TCP_RBUF_MIN;
	if (want > hint)
		want = hint;
	if (want < need)
		want = need;
	return tcp_buf_resize(c, &c->rbuf, &c->rcap, &c->rmem, want);
}

/* The length of the message that starts at p (n bytes there), with its
 * two-byte prefix, or 0 when the prefix itself is not whole. */
static size_t tcp_frame_len(const uint8_t *p, size_t n)
{
	return n < 2 ? 0 : 2 + ((size_t)p[0] << 8 | p[1]);
}

/* Appends data[0..n) to rbuf. False when c was closed (no memory). */
static bool tcp_rbuf_append(struct tcp_conn *c, const uint8_t *data,
			    size_t n)
{
	size_t need = c->rlen + n, hint = need, whole = 0;

	/* The whole message being held, when it is one partial message. */
	if (c->rlen >= 2)
		whole = tcp_frame_len(c->rbuf, c->rlen);
	else if (c->rlen == 0)
		whole = tcp_frame_len(data, n);
	if (whole > need)
		hint = whole;
	if (!tcp_rbuf_reserve(c, need, hint)) {
		tcp_conn_close(c);
		return false;
	}
	memcpy(c->rbuf + c->rlen, data, n);
	c->rlen = need;
	return true;
}

/* Drops the first n bytes of rbuf; frees it when nothing is left. */
static void tcp_rbuf_consume(struct tcp_conn *c, size_t n)
{
	if (n == 0)
		return;
	c->rlen -= n;
	if (c->rlen == 0)
		tcp_buf_free(c, &c->rbuf, &c->rcap, &c->rmem);
	else
		memmove(c->rbuf, c->rbuf + n, c->rlen);
}

/* ---- limits ------------------------------------------------------------ */

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
		if (n < 2 || (size_t)n < tcp_frame_len(b, (size_t)n))
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

/* ---- connections ------------------------------------------------------- */

static void tcp_on_conn_closed(uv_handle_t *h)
{
	struct tcp_conn *c = h->data;

	if (--c->close_pending > 0)
		return;
	tcp_mem_set(c->r, c->r->tcp_mem - c->self_mem);
	free(c);
}

/* Closes c: gives back its places and frees its buffers now, the struct
 * once libuv has closed both handles. A write in flight is cancelled:
 * after uv_close libuv never reads the bytes of a pending write again (it
 * closes the descriptor at once and only calls the request back with
 * ECANCELED, 1.44 src/unix/stream.c uv__stream_close/uv__stream_destroy),
 * so wbuf can go with rbuf; tcp_on_write still runs, before the handle's
 * close callback. */
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
	tcp_mem_unlink(c);
	tcp_xfr_end(c, false);
	tcp_buf_free(c, &c->rbuf, &c->rcap, &c->rmem);
	c->rlen = 0;
	tcp_buf_free(c, &c->wbuf, NULL, &c->wmem);
	c->close_pending = 2;
	if (!c->reset || uv_tcp_close_reset(&c->h, tcp_on_conn_closed) < 0)
		uv_close((uv_handle_t *)&c->h, tcp_on_conn_closed);
	uv_close((uv_handle_t *)&c->timer, tcp_on_conn_closed);
}

/* Closes c with a reset: what the kernel still queues for a client that
 * does not read is dropped at once instead of being retried for minutes
 * (a connection closed for memory, or for a write that never finished). */
static void tcp_conn_abort(struct tcp_conn *c)
{
	c->reset = true;
	tcp_conn_close(c);
}

static void tcp_on_timer(uv_timer_t *t)
{
	struct tcp_conn *c = t->data;

	STATS_INC(&c->r->stats, STATS_TCP_TIMEOUT);
	if (c->state == TCP_WRITING)
		tcp_conn_abort(c);
	else
		tcp_conn_close(c);
}

/* (Re)starts c's timer for its state: the message timeout while PARTIAL,
 * the idle timeout otherwise; under pressure no longer than the pressure
 * timeout. */
static void tcp_timer_start(struct tcp_conn *c)
{
	const struct config *cfg = c->r->shared->cfg;
	uint64_t ms;

	ms = 1000ull * (c->state == TCP_PARTIAL ? cfg->tcp_message_timeout :
						  cfg->tcp_idle_timeout);
	/* Under pressure (half the unanswered cap held, or under attack):
	 * the short timeout, so held connections cannot lock clients out. */
	if (tcp_under_pressure(c->r) && ms > cfg->limits.tcp_pressure_timeout_ms)
		ms = cfg->limits.tcp_pressure_timeout_ms;
	uv_timer_start(&c->timer, tcp_on_timer, ms, 0);
}

static void tcp_on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct tcp_conn *c = h->data;

	(void)hint;
	/* The reactor's scratch: tcp_on_read uses every byte before it
	 * returns (keeping what it must in c->rbuf), and libuv calls the two
	 * back to back for one connection. */
	buf->base = (char *)c->r->tcp_in;
	buf->len = TCP_IN_SCRATCH;
}

static void tcp_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void tcp_read_start(struct tcp_conn *c)
{
	if (c->reading)
		return;
	if (uv_read_start((uv_stream_t *)&c->h, tcp_on_alloc, tcp_on_read) < 0) {
		tcp_conn_close(c);
		return;
	}
	c->reading = true;
}

static void tcp_read_stop(struct tcp_conn *c)
{
	if (!c->reading)
		return;
	uv_read_stop((uv_stream_t *)&c->h);
	c->reading = false;
}

/* After c's input or output moved: its state and timer (restarted when the
 * state changes or with progress; a partial message that only grows keeps
 * its deadline), its place among the buffer holders, and whether it reads
 * (not while a write is in flight). */
static void tcp_settle(struct tcp_conn *c, bool progress)
{
	enum tcp_state s = c->writing ? TCP_WRITING :
			   c->rlen ? TCP_PARTIAL : TCP_IDLE;

	if (s != c->state || progress) {
		c->state = (uint8_t)s;
		tcp_timer_start(c);
	}
	tcp_mem_settle(c, progress);
	if (c->writing || c->xfr || c->eof || c->r->stopping)
		tcp_read_stop(c);
	else
		tcp_read_start(c);
}

/* ---- answering --------------------------------------------------------- */

static void tcp_batch_begin(struct tcp_conn *c, struct tcp_batch *b)
{
	const struct daemon_shared *sh = c->r->shared;

	memset(b, 0, sizeof(*b));
	b->acfg = sh->acfg;
	if (sh->acfg_tcp_pressure && tcp_under_pressure(c->r))
		b->acfg = sh->acfg_tcp_pressure;
}

static void tcp_batch_end(struct tcp_batch *b)
{
	if (b->online)
		rcu_thread_offline();
	b->online = false;
}

/* ---- transfers out (xfrout.h) ------------------------------------------ */

/* Ends c's transfer (done: its last message is written or queued) and
 * frees its state. */
static void tcp_xfr_end(struct tcp_conn *c, bool done)
{
	if (!c->xfr)
		return;
	if (done)
		STATS_INC(&c->r->stats, STATS_XFROUT_DONE);
	xfrout_end(c->xfr);
	c->xfr = NULL;
	tcp_buf_free(c, &c->xbuf, NULL, &c->xmem);
}

/* Starts the transfer the pipeline allowed for q (QUERY_TRANSFER): its
 * state charged to c like a buffer. From now on c answers nothing else
 * and reads nothing until the transfer is written (tcp_xfr_pump). False
 * when it cannot start: q holds a SERVFAIL then. RCU online (b). */
static bool tcp_xfr_start(struct tcp_conn *c, struct query_env *env,
			  struct query *q, const struct tcp_batch *b)
{
	if (tcp_buf_resize(c, &c->xbuf, NULL, &c->xmem, xfrout_size())) {
		c->xfr = (struct xfrout *)(void *)c->xbuf;
		if (xfrout_start(c->xfr, query_transfer_policy(env), b->acfg,
				 &q->req, (enum xfrout_kind)q->xfr_kind,
				 q->xfr_from, query_tsig_state(q)) == 0) {
			if (xfrout_is_ixfr(c->xfr))
				STATS_INC(&c->r->stats, STATS_XFROUT_IXFR);
			return true;
		}
		c->xfr = NULL;
		tcp_buf_free(c, &c->xbuf, NULL, &c->xmem);
	}
	query_transfer_abort(env, q);
	return false;
}

static void tcp_on_write(uv_write_t *w, int status);

/* Writes the next message of c's transfer (no write in flight), rendered
 * into wbuf, with one uv_write. The write's callback runs in a later loop
 * turn even when the kernel took everything at once (libuv defers it), so
 * one turn renders at most one message of one transfer, and c holds no
 * more than that (besides its state) whatever the zone's size; a client
 * that stops reading leaves that write in flight until the idle timeout
 * closes it (WRITING). Ends the transfer after its last message. False
 * when c was closed. */
static bool tcp_xfr_pump(struct tcp_conn *c)
{
	size_t n;
	uv_buf_t buf;

	if (c->wmem < TCP_XFR_BUF &&
	    !tcp_buf_resize(c, &c->wbuf, NULL, &c->wmem, TCP_XFR_BUF)) {
		tcp_conn_close(c);
		return false;
	}
	n = xfrout_next(c->xfr, c->wbuf, TCP_XFR_BUF);
	if (n)
		STATS_INC(&c->r->stats, STATS_XFROUT_MESSAGES);
	if (xfrout_done(c->xfr))
		tcp_xfr_end(c, true);
	if (n == 0) {
		tcp_buf_free(c, &c->wbuf, NULL, &c->wmem);
		return true;
	}
	buf = uv_buf_init((char *)c->wbuf, (unsigned)n);
	c->wreq.data = c;
	if (uv_write(&c->wreq, (uv_stream_t *)&c->h, &buf, 1, tcp_on_write) < 0) {
		tcp_conn_close(c);
		return false;
	}
	c->writing = true;
	return true;
}

/* Answers one whole message msg[0..len) of c into r->tcp_resp: the
 * counters, the attack detector's notes and answer_query. Returns the
 * reply's length, 0 when nothing is to be sent. Brings the reactor
 * RCU-online at the batch's first message (tcp_batch_end takes it
 * offline). Reactor thread, no allocation. */
static size_t tcp_answer_one(struct tcp_conn *c, const uint8_t *msg,
			     size_t len, struct tcp_batch *b)
{
	struct reactor *r = c->r;
	struct query_env *env;
	struct query q;
	int rc;

	if (!b->online) {
		rcu_thread_online();
		b->db = zdb_current();
		b->online = true;
		b->now = (uint32_t)time(NULL);
		b->now_ms = uv_now(&r->loop);
	}
	q.msg = msg;
	q.len = len;
	q.resp = r->tcp_resp;
	q.resp_cap = 65535;
	q.tcp = true;
	q.local = false;   /* TCP skips the limits and RRL already */
	q.client = (const struct sockaddr *)&c->peer;
	q.server = c->local;
	q.now = b->now;
	q.now_ms = b->now_ms;
	/* Under pressure the pipeline's config advertises the shorter
	 * keepalive (reactor.c builds both environments). */
	env = b->acfg == r->shared->acfg ? &r->qenv : &r->qenv_tcp_pressure;
	rc = query_process(env, b->db, &q);
	if (rc == QUERY_TRANSFER && !tcp_xfr_start(c, env, &q, b))
		return q.resp_len;   /* SERVFAIL */
	if (rc != QUERY_SEND)
		return 0;
	return q.resp_len;
}

static void tcp_on_write(uv_write_t *w, int status);

/* Sends the batch: what the kernel takes at once (uv_try_write), the rest
 * from a wbuf of c's own with one uv_write (c->writing until tcp_on_write).
 * The reactor goes RCU-offline first (the next message of the batch reads
 * the zone snapshot afresh), so it never sends while online. False when c
 * was closed (a socket error, or no memory for the rest). */
static bool tcp_flush(struct tcp_conn *c, struct tcp_batch *b)
{
	struct reactor *r = c->r;
	size_t n = b->out_len, done = 0;
	uv_buf_t buf;
	int rc;

	tcp_batch_end(b);
	b->out_len = 0;
	if (n == 0)
		return true;
	buf = uv_buf_init((char *)r->tcp_out, (unsigned)n);
	rc = uv_try_write((uv_stream_t *)&c->h, &buf, 1);
	if (rc >= 0)
		done = (size_t)rc;
	else if (rc != UV_EAGAIN) {
		tcp_conn_close(c);
		return false;
	}
	if (done == n)
		return true;
	if (!tcp_buf_resize(c, &c->wbuf, NULL, &c->wmem, n - done)) {
		tcp_conn_close(c);
		return false;
	}
	memcpy(c->wbuf, r->tcp_out + done, n - done);
	buf = uv_buf_init((char *)c->wbuf, (unsigned)(n - done));
	c->wreq.data = c;
	if (uv_write(&c->wreq, (uv_stream_t *)&c->h, &buf, 1, tcp_on_write) < 0) {
		tcp_conn_close(c);
		return false;
	}
	c->writing = true;
	return true;
}

/* Answers the whole messages at the start of data[0..n), in order, adding
 * each reply to the batch and sending it when full, until a message is
 * not whole or a write is left in flight. Returns the bytes used, or -1
 * when c was closed (an empty message: no DNS message is; or the send
 * failed). data may be c->rbuf; it is not touched after a close. */
static ssize_t tcp_run(struct tcp_conn *c, struct tcp_batch *b,
		       const uint8_t *data, size_t n)
{
	struct reactor *r = c->r;
	size_t off = 0;

	while (!c->writing && !c->xfr && n - off >= 2) {
		size_t mlen = (size_t)data[off] << 8 | data[off + 1], len;

		if (mlen == 0) {
			STATS_INC(&r->stats, STATS_DROPPED);
			tcp_conn_close(c);
			return -1;
		}
		if (n - off < 2 + mlen)
			break;
		tcp_unans_done(c);   /* a whole query: no longer pending */
		b->progress = true;
		len = tcp_answer_one(c, data + off + 2, mlen, b);
		off += 2 + mlen;
		if (len) {
			uint8_t *o = r->tcp_out + b->out_len;

			o[0] = (uint8_t)(len >> 8);
			o[1] = (uint8_t)len;
			memcpy(o + 2, r->tcp_resp, len);
			b->out_len += 2 + len;
		}
		if (b->out_len >= TCP_OUT_HIGH && !tcp_flush(c, b))
			return -1;
	}
	return (ssize_t)off;
}

/* Takes n new bytes (not writing, so rbuf holds at most part of one
 * message): completes that message and answers it, answers every whole
 * message after it, sends the batch, and keeps what is left (part of a
 * message, or what waits behind a write left in flight) in rbuf. False
 * when c was closed. */
static bool tcp_take(struct tcp_conn *c, struct tcp_batch *b,
		     const uint8_t *data, size_t n)
{
	size_t used = 0;
	ssize_t k;

	if (c->rlen) {
		size_t take;

		if (c->rlen < 2) {   /* the second byte of the length */
			if (!tcp_rbuf_append(c, data, 1))
				return false;
			used = 1;
		}
		take = tcp_frame_len(c->rbuf, c->rlen) - c->rlen;
		if (take > n - used)
			take = n - used;
		if (take && !tcp_rbuf_append(c, data + used, take))
			return false;
		used += take;
		if (c->rlen < tcp_frame_len(c->rbuf, c->rlen))
			return true;         /* still partial: all used */
		if ((k = tcp_run(c, b, c->rbuf, c->rlen)) < 0)
			return false;
		tcp_rbuf_consume(c, (size_t)k);
	}
	if (c->rlen == 0) {
		if ((k = tcp_run(c, b, data + used, n - used)) < 0)
			return false;
		used += (size_t)k;
	}
	if (!tcp_flush(c, b))
		return false;
	if (c->xfr && !c->writing && !tcp_xfr_pump(c))
		return false;
	return used == n || tcp_rbuf_append(c, data + used, n - used);
}

static void tcp_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct tcp_conn *c = s->data;
	struct tcp_batch b;
	bool alive;

	(void)buf;
	if (nread == 0)
		return;
	if (nread < 0) {
		/* EOF or error. Reading happens only with no write in flight
		 * and nothing whole waiting: nothing is owed. */
		tcp_read_stop(c);
		c->eof = true;
		if (!c->writing)
			tcp_conn_close(c);
		return;
	}
	tcp_batch_begin(c, &b);
	alive = tcp_take(c, &b, c->r->tcp_in, (size_t)nread);
	tcp_batch_end(&b);
	if (alive)
		tcp_settle(c, b.progress);
}

static void tcp_on_write(uv_write_t *w, int status)
{
	struct tcp_conn *c = w->data;
	struct tcp_batch b;
	bool alive = true;

	c->writing = false;
	if (c->closing)
		return;   /* wbuf went with the close */
	if (status < 0) {
		tcp_conn_close(c);
		return;
	}
	if (c->xfr) {
		/* The client took that part of the transfer: the next. */
		if (c->r->stopping)
			tcp_conn_close(c);
		else if (tcp_xfr_pump(c))
			tcp_settle(c, true);
		return;
	}
	tcp_buf_free(c, &c->wbuf, NULL, &c->wmem);
	/* Answer what waited behind the write (also after the peer
	 * half-closed, not when we are stopping), then send it. */
	tcp_batch_begin(c, &b);
	b.progress = true;   /* the client took our replies */
	if (!c->r->stopping && c->rlen) {
		ssize_t k = tcp_run(c, &b, c->rbuf, c->rlen);

		alive = k >= 0;
		if (alive) {
			tcp_rbuf_consume(c, (size_t)k);
			alive = tcp_flush(c, &b);
		}
		if (alive && c->xfr && !c->writing)
			alive = tcp_xfr_pump(c);
	}
	tcp_batch_end(&b);
	if (!alive)
		return;
	if (c->eof || c->r->stopping) {
		if (!c->writing)
			tcp_conn_close(c);
		return;
	}
	tcp_settle(c, true);
}

/* ---- listeners --------------------------------------------------------- */

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

/* A new connection with its two handles initialised, charged to r; NULL
 * when memory or a handle is missing (nothing left behind: a handle
 * initialised closes and frees the struct by itself). */
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
	c->self_mem = malloc_usable_size(c);
	tcp_mem_set(r, r->tcp_mem + c->self_mem);
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
	/* The new struct within the budget: buffer holders make room. */
	if (!tcp_mem_room(r, sizeof(*c), NULL)) {
		STATS_INC(&r->stats, STATS_TCP_MEMORY_CLOSED);
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
	c->local = (const struct sockaddr *)&tl->local;
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
	(void)uv_tcp_nodelay(&c->h, 1);   /* latency only */
	c->state = TCP_IDLE;
	tcp_timer_start(c);
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
	{
		int len = sizeof(tl->local);

		if (uv_tcp_getsockname(&tl->h, (struct sockaddr *)&tl->local,
				       &len) < 0)
			memset(&tl->local, 0, sizeof(tl->local));
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
		tcp_read_stop(c);
		c->eof = true;
		if (force || !c->writing)
			tcp_conn_close(c);
	}
}

int tcp_reactor_init(struct reactor *r, size_t share)
{
	r->tcp_mem = 0;
	r->tcp_mem_max = share < TCP_MEM_REACTOR_MIN ? TCP_MEM_REACTOR_MIN :
						       share;
	r->mem_head = r->mem_tail = NULL;
	r->tcp_pool = alloc_pool_new();
	r->tcp_in = malloc(TCP_IN_SCRATCH);
	r->tcp_out = malloc(TCP_OUT_SCRATCH);
	return r->tcp_in && r->tcp_out ? 0 : -ENOMEM;
}

void tcp_reactor_free(struct reactor *r)
{
	free(r->tcp_in);
	free(r->tcp_out);
	r->tcp_in = r->tcp_out = NULL;
}
