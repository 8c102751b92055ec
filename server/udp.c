/* udp.c -- UDP: one recvmmsg batch in, the query pipeline (query.h) per
 * datagram, one sendmmsg batch out.
 *
 * Each reactor owns its sockets (SO_REUSEPORT, one per listen address) and
 * one struct udp_scratch holding every buffer a batch needs: UDP_BATCH
 * mmsghdrs for receive and send, source addresses, control buffers and the
 * query and reply bytes. It is allocated once when the reactor is created;
 * the batch path allocates nothing. A readable socket is drained for at most
 * UDP_ROUNDS batches per callback so one busy socket cannot starve the
 * reactor's other handles.
 *
 * Sockets bound to a wildcard address receive IP_PKTINFO / IPV6_PKTINFO and
 * reply with the same address in the cmsg, so the client sees the answer come
 * from the address it asked. With server: exempt-local every socket
 * receives PKTINFO, and a datagram from 127.0.0.1 or ::1 whose PKTINFO
 * names the loopback interface is marked local for the pipeline (query.h:
 * it skips RRL and the per-source limits); the same source on any other
 * interface (route_localnet) is not. The zone snapshot is read once per batch
 * between rcu_thread_online() and rcu_thread_offline(): a reactor is offline
 * (quiescent) at every other moment, including while blocked in epoll.
 *
 * server: udp-bpf-filter (default on) attaches a classic BPF socket filter
 * (udp_bpf_attach) to every reactor UDP socket, whichever path reads it: a
 * datagram shorter than a DNS header or with QR=1 is dropped by the kernel
 * before it is queued, counted only in the socket's drops (/proc/net/udp).
 * The pipeline's garbage drop stays as the fallback.
 * server: udp-ebpf-filter replaces it with the eBPF drop map's program
 * (ebpf_drop.h): where the pipeline finds a cookie-less source over its
 * limit (limits: slip 0 or N > 1), the prefix is noted and, once the batch
 * is sent (never inside the answer loop), listed in the kernel map
 * (reactor_ebpf_flush).
 */
#include "server/udp.h"

#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <urcu-qsbr.h>

#include "server/answer.h"
#include "server/config.h"
#include "server/query.h"
#include "zones/zdb.h"

#define UDP_ROUNDS 8

/* Room for either pktinfo, aligned for cmsghdr. */
union udp_cmsg {
	char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) > CMSG_SPACE(sizeof(
			 struct in_pktinfo)) ?
			 CMSG_SPACE(sizeof(struct in6_pktinfo)) :
			 CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct cmsghdr align;
};

struct udp_scratch {
	struct mmsghdr rx[UDP_BATCH];
	struct iovec riov[UDP_BATCH];
	struct sockaddr_storage src[UDP_BATCH];
	union udp_cmsg rctl[UDP_BATCH];
	struct mmsghdr tx[UDP_BATCH];
	struct iovec tiov[UDP_BATCH];
	union udp_cmsg tctl[UDP_BATCH];
	size_t resp_cap;
	/* rx[0..rx_dirty) may hold what the last recvmmsg wrote (names,
	 * control lengths, flags); the rest is as last prepared, for a socket
	 * with pktinfo == rx_pktinfo (rx_dirty = UDP_BATCH: prepare all). */
	unsigned rx_dirty;
	bool rx_pktinfo;
	uint8_t *query;   /* UDP_BATCH * UDP_QUERY_MAX */
	uint8_t *resp;    /* UDP_BATCH * resp_cap */
};

static int set_int(int fd, int level, int opt, int v)
{
	return setsockopt(fd, level, opt, &v, sizeof(v));
}

int udp_socket_open(const struct config_listen *l, unsigned rcvbuf,
		    unsigned sndbuf, bool pktinfo, bool *wildcard)
{
	int family = l->addr.ss_family;
	int fd, err;

	*wildcard = false;
	fd = reactor_socket_new(l, SOCK_DGRAM);
	if (fd < 0)
		return fd;
	if (family == AF_INET6) {
		const struct sockaddr_in6 *a6 =
			(const struct sockaddr_in6 *)&l->addr;

		*wildcard = IN6_IS_ADDR_UNSPECIFIED(&a6->sin6_addr);
		if ((*wildcard || pktinfo) &&
		    set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1) < 0)
			goto fail;
	} else {
		const struct sockaddr_in *a4 =
			(const struct sockaddr_in *)&l->addr;

		*wildcard = a4->sin_addr.s_addr == htonl(INADDR_ANY);
		if ((*wildcard || pktinfo) &&
		    set_int(fd, IPPROTO_IP, IP_PKTINFO, 1) < 0)
			goto fail;
	}
	/* Buffer sizes are a wish: the kernel caps SO_RCVBUF at rmem_max;
	 * with CAP_NET_ADMIN (root, before dropping privileges)
	 * SO_RCVBUFFORCE passes it. */
	if (rcvbuf && set_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, (int)rcvbuf) < 0)
		(void)set_int(fd, SOL_SOCKET, SO_RCVBUF, (int)rcvbuf);
	if (sndbuf)
		(void)set_int(fd, SOL_SOCKET, SO_SNDBUF, (int)sndbuf);
	return reactor_socket_bind(fd, l);
fail:
	err = -errno;
	close(fd);
	return err;
}

int udp_bpf_attach(int fd)
{
	/* The filter sees the datagram from its UDP header (8 bytes): the
	 * DNS header starts at offset 8, its flags byte (QR: 0x80) at 10. */
	static struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 8 + 12, 0, 3),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 8 + 2),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x80, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, 0xffffffffu),   /* keep it whole */
		BPF_STMT(BPF_RET | BPF_K, 0),             /* drop */
	};
	struct sock_fprog prog = {
		.len = sizeof(code) / sizeof(code[0]),
		.filter = code,
	};

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
		       sizeof(prog)) < 0)
		return -errno;
	return 0;
}

int udp_scratch_new(struct reactor *r)
{
	const struct answer_config *acfg = r->shared->acfg;
	struct udp_scratch *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->resp_cap = acfg->udp_max > 512 ? acfg->udp_max : 512;
	s->query = malloc((size_t)UDP_BATCH * UDP_QUERY_MAX);
	s->resp = malloc((size_t)UDP_BATCH * s->resp_cap);
	if (!s->query || !s->resp) {
		free(s->query);
		free(s->resp);
		free(s);
		return -ENOMEM;
	}
	s->rx_dirty = UDP_BATCH;
	for (int i = 0; i < UDP_BATCH; i++) {
		s->riov[i].iov_base = s->query + (size_t)i * UDP_QUERY_MAX;
		s->riov[i].iov_len = UDP_QUERY_MAX;
		s->rx[i].msg_hdr.msg_iov = &s->riov[i];
		s->rx[i].msg_hdr.msg_iovlen = 1;
		s->rx[i].msg_hdr.msg_name = &s->src[i];
	}
	r->scratch = s;
	return 0;
}

void udp_scratch_free(struct reactor *r)
{
	if (!r->scratch)
		return;
	free(r->scratch->query);
	free(r->scratch->resp);
	free(r->scratch);
	r->scratch = NULL;
}

/* Builds the reply's source-address cmsg from the query's pktinfo. Returns
 * the control length (0 when the query had none). */
static size_t udp_reply_cmsg(struct msghdr *qh, union udp_cmsg *out)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(qh); c; c = CMSG_NXTHDR(qh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			struct cmsghdr *o = &out->align;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			pi.ipi_spec_dst = pi.ipi_addr;
			pi.ipi_ifindex = 0;
			memset(out, 0, sizeof(*out));
			o->cmsg_level = IPPROTO_IP;
			o->cmsg_type = IP_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(o), &pi, sizeof(pi));
			return CMSG_SPACE(sizeof(pi));
		}
		if (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			struct cmsghdr *o = &out->align;

			/* Keep the interface: link-local needs it. */
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memset(out, 0, sizeof(*out));
			o->cmsg_level = IPPROTO_IPV6;
			o->cmsg_type = IPV6_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(o), &pi, sizeof(pi));
			return CMSG_SPACE(sizeof(pi));
		}
	}
	return 0;
}

/* server: exempt-local: is the datagram from 127.0.0.1 or ::1 and did it
 * come in on the loopback interface (index lo)? The interface is the
 * kernel's word (PKTINFO), since with net.ipv4.conf.*.route_localnet=1
 * (kube-proxy sets it) a datagram from the network may carry source
 * 127.0.0.1. One compare for any other source; for a local one, a walk of
 * the datagram's one or two control messages. */
static bool udp_local(const struct sockaddr_storage *src, struct msghdr *qh,
		      unsigned lo)
{
	struct cmsghdr *c;

	if (src->ss_family == AF_INET) {
		if (((const struct sockaddr_in *)src)->sin_addr.s_addr !=
		    htonl(INADDR_LOOPBACK))
			return false;
	} else if (src->ss_family != AF_INET6 ||
		   !IN6_IS_ADDR_LOOPBACK(
			   &((const struct sockaddr_in6 *)src)->sin6_addr)) {
		return false;
	}
	for (c = CMSG_FIRSTHDR(qh); c; c = CMSG_NXTHDR(qh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			return src->ss_family == AF_INET &&
			       (unsigned)pi.ipi_ifindex == lo;
		}
		if (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			return src->ss_family == AF_INET6 &&
			       pi.ipi6_ifindex == lo;
		}
	}
	return false;
}

/* Sends tx[0..n), skipping a message the kernel refuses (the first of a
 * sendmmsg call failing returns -1). At most n + a few calls. */
static void udp_send(struct udp_sock *us, struct udp_scratch *s, unsigned n)
{
	struct stats *st = &us->r->stats;
	unsigned off = 0, eintr = 0;

	while (off < n) {
		int k = sendmmsg(us->fd, s->tx + off, n - off, MSG_DONTWAIT);

		if (k > 0) {
			off += (unsigned)k;
			continue;
		}
		if (k < 0 && errno == EINTR && eintr++ < 4)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* Socket buffer full: the rest is lost. */
			STATS_ADD(st, STATS_DROPPED, n - off);
			return;
		}
		STATS_INC(st, STATS_DROPPED);   /* this destination failed */
		off++;
	}
}

/* One batch: returns the number of datagrams received (0: nothing more). */
static int udp_batch(struct udp_sock *us)
{
	struct reactor *r = us->r;
	struct udp_scratch *s = r->scratch;
	struct stats *st = &r->stats;
	const struct zdb *db;
	unsigned ntx = 0, lo = r->shared->local_ifindex;
	uint32_t now;
	uint64_t now_ms;
	int n;

	/* Only the headers the kernel wrote last time need resetting (a few
	 * at a low rate, not all 64), unless the scratch was last set up for
	 * a socket of the other kind (PKTINFO or not). */
	if (s->rx_pktinfo != us->pktinfo) {
		s->rx_pktinfo = us->pktinfo;
		s->rx_dirty = UDP_BATCH;
	}
	for (unsigned i = 0; i < s->rx_dirty; i++) {
		struct msghdr *h = &s->rx[i].msg_hdr;

		h->msg_namelen = sizeof(s->src[i]);
		h->msg_control = us->pktinfo ? s->rctl[i].buf : NULL;
		h->msg_controllen = us->pktinfo ? sizeof(s->rctl[i]) : 0;
		h->msg_flags = 0;
	}
	n = recvmmsg(us->fd, s->rx, UDP_BATCH, MSG_DONTWAIT, NULL);
	s->rx_dirty = n > 0 ? (unsigned)n : 0;
	if (n <= 0)
		return 0;

	now = (uint32_t)time(NULL);   /* vDSO, once per batch: cookie stamps */
	now_ms = uv_now(&r->loop);
	rcu_thread_online();
	db = zdb_current();
	for (int i = 0; i < n; i++) {
		struct msghdr *qh = &s->rx[i].msg_hdr;
		struct query q;
		struct msghdr *th;
		int rc;

		if (qh->msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
			STATS_INC(st, STATS_UDP_QUERIES);
			STATS_INC(st, STATS_DROPPED);
			continue;
		}
		q.msg = s->riov[i].iov_base;
		q.len = s->rx[i].msg_len;
		q.resp = s->resp + (size_t)ntx * s->resp_cap;
		q.resp_cap = s->resp_cap;
		q.tcp = false;
		q.local = lo && udp_local(&s->src[i], qh, lo);
		q.client = (const struct sockaddr *)&s->src[i];
		q.server = (const struct sockaddr *)&us->local;
		q.now = now;
		q.now_ms = now_ms;
		rc = query_process(&r->qenv, db, &q);
		reactor_ebpf_note(r, &q.list);   /* dropped or challenged */
		if (rc != QUERY_SEND)
			continue;
		s->tiov[ntx].iov_base = q.resp;
		s->tiov[ntx].iov_len = q.resp_len;
		th = &s->tx[ntx].msg_hdr;
		th->msg_name = &s->src[i];
		th->msg_namelen = qh->msg_namelen;
		th->msg_iov = &s->tiov[ntx];
		th->msg_iovlen = 1;
		th->msg_flags = 0;
		th->msg_control = NULL;
		th->msg_controllen = 0;
		if (us->wildcard) {
			size_t cl = udp_reply_cmsg(qh, &s->tctl[ntx]);

			if (cl) {
				th->msg_control = s->tctl[ntx].buf;
				th->msg_controllen = cl;
			}
		}
		ntx++;
	}
	/* Replies are in our buffers: nothing refers to the snapshot now. */
	rcu_thread_offline();
	if (ntx)
		udp_send(us, s, ntx);
	reactor_batch_done(r, now_ms);
	return n;
}

static void udp_on_readable(uv_poll_t *h, int status, int events)
{
	struct udp_sock *us = h->data;

	(void)events;
	if (status < 0 || us->r->stopping)
		return;
	for (int round = 0; round < UDP_ROUNDS; round++)
		if (udp_batch(us) < UDP_BATCH)
			break;
}

void udp_local_address(struct udp_sock *us)
{
	socklen_t len = sizeof(us->local);

	if (getsockname(us->fd, (struct sockaddr *)&us->local, &len) < 0)
		memset(&us->local, 0, sizeof(us->local));
}

int udp_start(struct reactor *r, struct udp_sock *us, int fd, bool wildcard)
{
	int rc;

	us->r = r;
	us->fd = fd;
	us->wildcard = wildcard;
	us->pktinfo = wildcard || r->shared->local_ifindex;
	udp_local_address(us);
	rc = uv_poll_init(&r->loop, &us->poll, fd);
	if (rc < 0) {
		close(fd);
		us->fd = -1;
		return rc;
	}
	us->poll.data = us;
	us->open = true;
	return uv_poll_start(&us->poll, UV_READABLE, udp_on_readable);
}

static void udp_on_close(uv_handle_t *h)
{
	struct udp_sock *us = h->data;

	/* uv_poll never closes the fd it watched: ours to close. */
	close(us->fd);
	us->fd = -1;
}

void udp_close(struct udp_sock *us)
{
	if (!us->open)
		return;
	us->open = false;
	uv_poll_stop(&us->poll);
	uv_close((uv_handle_t *)&us->poll, udp_on_close);
}
