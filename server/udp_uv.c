/* udp_uv.c -- UDP through libuv (udp-io: libuv): a uv_udp_t with
 * UV_UDP_RECVMMSG receives, the query pipeline (query.h) per datagram,
 * uv_udp_try_send replies.
 *
 * The alternative to udp.c, kept so the two can be measured side by side
 * (bench/udp-io.sh). The socket is the same kind udp_socket_open() makes
 * (SO_REUSEPORT, bound on the main thread) and is handed to the uv_udp_t
 * with uv_udp_open, which then owns and closes it. libuv 1.44 splits the
 * buffer its alloc callback returns into 64 KiB chunks, at most 20 per
 * recvmmsg, so each reactor owns one preallocated struct udp_uv_scratch
 * holding 20 such chunks and one reply buffer; the alloc callback hands out
 * the same region every time (libuv delivers every datagram of a batch, then
 * a UV_UDP_MMSG_FREE call, before it allocates again). Nothing is allocated
 * per datagram.
 *
 * Sends are not batched in libuv 1.44 (uv_udp_send queues one request per
 * datagram and flushes from the loop), so each reply is one
 * uv_udp_try_send, a sendmsg copying the reply into the kernel; when the
 * socket buffer is full (UV_EAGAIN) the reply is dropped and counted, as
 * udp.c drops what sendmmsg could not send.
 *
 * RCU: the reactor goes online at the first datagram of a recvmmsg batch
 * and offline at the batch's UV_UDP_MMSG_FREE call (or at the EAGAIN / error
 * call that ends a read); a datagram that libuv delivers outside a batch
 * (recvmmsg unavailable) is answered between its own online/offline pair.
 * The reactor is never online while it sleeps in epoll.
 *
 * libuv gives no PKTINFO, so a socket bound to a wildcard address could not
 * answer from the address it was asked on: config.c refuses udp-io: libuv
 * with a wildcard listen address, and udp_uv_start refuses such a socket.
 */
#include "server/udp.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>
#include <urcu-qsbr.h>

#include "server/answer.h"
#include "server/query.h"
#include "zones/zdb.h"

/* libuv 1.44's recvmmsg chunk (UV__UDP_DGRAM_MAXSIZE) and batch width
 * (UV__MMSG_MAXWIDTH): a smaller buffer gives fewer datagrams per call. */
#define UDP_UV_CHUNK (64 * 1024)
#define UDP_UV_CHUNKS 20

struct udp_uv_scratch {
	size_t resp_cap;
	uint8_t *resp;            /* one reply: try_send copies it at once */
	uint8_t *rx;              /* UDP_UV_CHUNKS * UDP_UV_CHUNK */
};

int udp_uv_scratch_new(struct reactor *r)
{
	const struct answer_config *acfg = r->shared->acfg;
	struct udp_uv_scratch *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->resp_cap = acfg->udp_max > 512 ? acfg->udp_max : 512;
	s->resp = malloc(s->resp_cap);
	s->rx = malloc((size_t)UDP_UV_CHUNKS * UDP_UV_CHUNK);
	if (!s->resp || !s->rx) {
		free(s->resp);
		free(s->rx);
		free(s);
		return -ENOMEM;
	}
	r->uv_scratch = s;
	return 0;
}

void udp_uv_scratch_free(struct reactor *r)
{
	if (!r->uv_scratch)
		return;
	free(r->uv_scratch->resp);
	free(r->uv_scratch->rx);
	free(r->uv_scratch);
	r->uv_scratch = NULL;
}

static void udp_uv_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct udp_sock *us = h->data;
	struct udp_uv_scratch *s = us->r->uv_scratch;

	(void)suggested;
	*buf = uv_buf_init((char *)s->rx, UDP_UV_CHUNKS * UDP_UV_CHUNK);
}

/* Ends a batch: offline, then the kernel drop map listings it noted. */
static void udp_uv_offline(struct udp_sock *us)
{
	if (us->online) {
		us->online = false;
		rcu_thread_offline();
	}
	reactor_batch_done(us->r, uv_now(&us->r->loop));
}

/* Answers one datagram and sends the reply; the caller is RCU online. */
static void udp_uv_answer(struct udp_sock *us, const uint8_t *q, size_t len,
			  const struct sockaddr *addr)
{
	struct reactor *r = us->r;
	struct udp_uv_scratch *s = r->uv_scratch;
	struct query qq;
	uv_buf_t out;
	int rc;

	qq.msg = q;
	qq.len = len;
	qq.resp = s->resp;
	qq.resp_cap = s->resp_cap;
	qq.tcp = false;
	qq.local = false;   /* no PKTINFO here: exempt-local does not apply */
	qq.client = addr;
	qq.server = (const struct sockaddr *)&us->local;
	qq.now = us->now;
	qq.now_ms = uv_now(&r->loop);
	rc = query_process(&r->qenv, zdb_current(), &qq);
	reactor_ebpf_note(r, &qq.list);   /* dropped or challenged */
	if (rc != QUERY_SEND)
		return;
	out = uv_buf_init((char *)qq.resp, (unsigned)qq.resp_len);
	/* UV_EAGAIN: socket buffer full; or a bad destination */
	if (uv_udp_try_send(&us->uh, &out, 1, addr) < 0)
		STATS_INC(&r->stats, STATS_DROPPED);
}

static void udp_uv_on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
			   const struct sockaddr *addr, unsigned flags)
{
	struct udp_sock *us = h->data;
	struct stats *st = &us->r->stats;
	bool batch = flags & UV_UDP_MMSG_CHUNK;

	/* End of a batch, nothing more to read (nread 0, no address), or an
	 * error: leave the read phase offline. */
	if ((flags & UV_UDP_MMSG_FREE) || nread < 0 || !addr) {
		udp_uv_offline(us);
		return;
	}
	if (us->r->stopping || (flags & UV_UDP_PARTIAL) ||
	    (size_t)nread > UDP_QUERY_MAX) {
		STATS_INC(st, STATS_UDP_QUERIES);
		STATS_INC(st, STATS_DROPPED);
		return;
	}
	if (!us->online) {
		rcu_thread_online();
		us->online = true;
		us->now = (uint32_t)time(NULL);   /* once per batch: cookies */
	}
	udp_uv_answer(us, (const uint8_t *)buf->base, (size_t)nread, addr);
	if (!batch)
		udp_uv_offline(us);
}

int udp_uv_start(struct reactor *r, struct udp_sock *us, int fd,
		 bool wildcard)
{
	int rc;

	us->r = r;
	us->fd = fd;
	us->wildcard = wildcard;
	us->libuv = true;
	udp_local_address(us);
	us->online = false;
	rc = uv_udp_init_ex(&r->loop, &us->uh, AF_UNSPEC | UV_UDP_RECVMMSG);
	if (rc < 0) {
		close(fd);
		us->fd = -1;
		return rc;
	}
	us->uh.data = us;
	us->open = true;   /* the handle exists: udp_uv_close closes it */
	if (wildcard) {
		rc = UV_EINVAL;   /* no PKTINFO through libuv */
		goto fail_fd;
	}
	rc = uv_udp_open(&us->uh, fd);
	if (rc < 0)
		goto fail_fd;
	/* From here the handle owns the fd. */
	return uv_udp_recv_start(&us->uh, udp_uv_alloc, udp_uv_on_recv);
fail_fd:
	close(fd);
	us->fd = -1;
	return rc;
}

void udp_uv_close(struct udp_sock *us)
{
	if (!us->open)
		return;
	us->open = false;
	udp_uv_offline(us);
	uv_udp_recv_stop(&us->uh);
	/* uv_close closes the socket libuv was given. */
	uv_close((uv_handle_t *)&us->uh, NULL);
	us->fd = -1;
}
