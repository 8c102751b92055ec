/* udp.c -- UDP: one recvmmsg batch in, answer_query per datagram, one
 * sendmmsg batch out.
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
 * from the address it asked. The zone snapshot is read once per batch
 * between rcu_thread_online() and rcu_thread_offline(): a reactor is offline
 * (quiescent) at every other moment, including while blocked in epoll.
 *
 * server: udp-bpf-filter (default on) attaches a classic BPF socket filter
 * (udp_bpf_attach) to every reactor UDP socket, whichever path reads it: a
 * datagram shorter than a DNS header or with QR=1 is dropped by the kernel
 * before it is queued, counted only in the socket's drops (/proc/net/udp).
 * The user-space garbage drop (udp_flood_pre) stays as the fallback.
 * server: udp-ebpf-filter replaces it with the eBPF drop map's program
 * (ebpf_drop.h): where a source is dropped for its limit, or RRL drops its
 * FORMERR/NOTIMP answers, ebpf_drop_list() has the kernel drop its next
 * datagrams that cannot prove the address, for udp-ebpf-hold-ms.
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

#include "common/dns.h"
#include "ratelimit/attack.h"
#include "ratelimit/cookie.h"
#include "ratelimit/limits.h"
#include "ratelimit/rrl.h"
#include "server/answer.h"
#include "server/ebpf_drop.h"
#include "server/config.h"
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
	uint8_t *query;   /* UDP_BATCH * UDP_QUERY_MAX */
	uint8_t *resp;    /* UDP_BATCH * resp_cap */
};

static int set_int(int fd, int level, int opt, int v)
{
	return setsockopt(fd, level, opt, &v, sizeof(v));
}

int udp_socket_open(const struct config_listen *l, unsigned rcvbuf,
		    unsigned sndbuf, bool *wildcard)
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
		if (*wildcard &&
		    set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1) < 0)
			goto fail;
	} else {
		const struct sockaddr_in *a4 =
			(const struct sockaddr_in *)&l->addr;

		*wildcard = a4->sin_addr.s_addr == htonl(INADDR_ANY);
		if (*wildcard && set_int(fd, IPPROTO_IP, IP_PKTINFO, 1) < 0)
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

/* Response rate limiting of one reply that answer_query() wrote into req,
 * from client src (ratelimit/rrl.h). Returns true to send
 * req->resp[0..resp_len), which a slip has rewritten in place into a TC=1
 * (or BADCOOKIE) reply, false to drop it. Counts the limited replies. Does
 * nothing when rate-limit is off. */
static bool udp_rrl_filter(struct reactor *r, struct answer_request *req,
			   const struct sockaddr *src, uint64_t now_ms)
{
	static const uint8_t kind_class[] = {
		[ANSWER_KIND_POSITIVE] = RRL_CLASS_RESPONSE,
		[ANSWER_KIND_NODATA] = RRL_CLASS_NODATA,
		[ANSWER_KIND_NXDOMAIN] = RRL_CLASS_NXDOMAIN,
		[ANSWER_KIND_REFERRAL] = RRL_CLASS_REFERRAL,
		[ANSWER_KIND_ERROR] = RRL_CLASS_ERROR,
	};
	struct rrl_table *t = r->shared->rrl;
	enum rrl_class cls, decided;
	enum rrl_result res;

	if (!t)
		return true;
	cls = req->kind < sizeof(kind_class) ?
		      (enum rrl_class)kind_class[req->kind] : RRL_CLASS_ERROR;
	/* A valid server cookie proves the source: never limited. */
	res = rrl_check(t, src, cls, req->account_name,
			req->qtype,
			req->cookie == COOKIE_VALID, now_ms, &decided);
	if (res == RRL_PASS)
		return true;
	/* With a client cookie, the slip is BADCOOKIE and a fresh server
	 * cookie rather than TC (as BIND): the resolver can then prove its
	 * address and be exempt. */
	if (res == RRL_SLIP && answer_badcookie(req) == 0) {
		STATS_INC(&r->stats, STATS_RRL_SLIPPED + decided);
		return true;
	}
	if (res == RRL_SLIP && rrl_slip_reply(req->resp, &req->resp_len) == 0) {
		req->truncated = true;
		STATS_INC(&r->stats, STATS_RRL_SLIPPED + decided);
		return true;
	}
	STATS_INC(&r->stats, STATS_RRL_DROPPED + decided);
	/* Garbage answers dropped: the kernel drops the source's next
	 * datagrams for a while (ebpf_drop.h). */
	if (cls == RRL_CLASS_ERROR &&
	    ebpf_drop_list(r->shared->ebpf, r->id, src, now_ms))
		STATS_INC(&r->stats, STATS_EBPF_LISTED);
	return false;
}

/* Flood defences before any lookup (ratelimit/limits.h, attack.h,
 * docs/flood.md). Drops (counted) what cannot be a query and what is over
 * its per-source limit; notes the query for the attack detector. Returns the
 * config to answer with: acfg, acfg_strict (cookies required, so a source
 * asked to prove its address gets TC or BADCOOKIE without any lookup), or
 * NULL to send nothing. *over is set when the source was over its limit. */
static const struct answer_config *udp_flood_pre(struct reactor *r,
						 const uint8_t *q, size_t len,
						 const struct sockaddr *src,
						 uint64_t now_ms, bool *over)
{
	struct daemon_shared *sh = r->shared;
	const struct answer_config *acfg = sh->acfg;
	struct stats *st = &r->stats;
	bool engaged;

	*over = false;
	if (!limits_is_query(q, len)) {
		STATS_INC(st, STATS_GARBAGE_DROPPED);
		STATS_INC(st, STATS_DROPPED);
		return NULL;
	}
	if (!sh->limits && !sh->attack)
		return acfg;
	reactor_note_query(r, q, len, now_ms);
	engaged = attack_engaged(sh->attack);
	if (limits_check(sh->limits, src, false,
			 engaged ? attack_config_of(sh->attack)
					   ->source_share_percent : 100,
			 now_ms) == LIMITS_OVER) {
		/* Without cookies, or without an OPT record that could carry
		 * one, nothing can prove the address: drop, unless under
		 * attack (then TC asks it to come back over TCP). */
		if (!acfg->cookies ||
		    (!engaged && q[10] == 0 && q[11] == 0)) {
			STATS_INC(st, STATS_LIMITS_DROPPED);
			if (ebpf_drop_list(sh->ebpf, r->id, src, now_ms))
				STATS_INC(st, STATS_EBPF_LISTED);
			return NULL;
		}
		*over = true;
	} else if (!(engaged &&
		     acfg->cookie_require == COOKIE_REQUIRE_UNDER_ATTACK)) {
		return acfg;
	}
	return sh->acfg_strict;
}

/* After answer_query: a source over its limit is served only with a valid
 * server cookie within its (higher) cookie limit, or challenged (TC or
 * BADCOOKIE) under attack; an NXDOMAIN answer spends its zone's budget
 * (slipped to TC in place, or dropped). Returns true to go on (RRL, send),
 * false to drop. */
static bool udp_flood_post(struct reactor *r, struct answer_request *req,
			   bool over, const struct sockaddr *src,
			   uint64_t now_ms)
{
	struct daemon_shared *sh = r->shared;
	struct stats *st = &r->stats;
	bool engaged;
	enum rrl_result res;

	if (!sh->limits && !sh->attack)
		return true;
	/* Every answer from a zone, for its NXDOMAIN share (attack.h). */
	reactor_note_answer(r, req, now_ms);
	engaged = attack_engaged(sh->attack);
	if (over) {
		if (req->cookie == COOKIE_VALID) {
			if (limits_check(sh->limits, src, true, 100, now_ms) ==
			    LIMITS_PASS)
				return true;
		} else if (engaged) {
			/* TC or BADCOOKIE, written without a lookup. */
			STATS_INC(st, STATS_LIMITS_CHALLENGED);
			return true;
		}
		STATS_INC(st, STATS_LIMITS_DROPPED);
		if (ebpf_drop_list(sh->ebpf, r->id, src, now_ms))
			STATS_INC(st, STATS_EBPF_LISTED);
		return false;
	}
	if (req->kind != ANSWER_KIND_NXDOMAIN)
		return true;
	res = limits_zone_nxdomain(sh->limits, req->account_name,
				   engaged ? attack_config_of(sh->attack)
						     ->nxdomain_budget_percent :
					     100,
				   now_ms, NULL);
	if (res == RRL_PASS)
		return true;
	if (res == RRL_SLIP && rrl_slip_reply(req->resp, &req->resp_len) == 0) {
		req->truncated = true;
		STATS_INC(st, STATS_ZONE_NX_SLIPPED);
		return true;
	}
	STATS_INC(st, STATS_ZONE_NX_DROPPED);
	return false;
}

bool udp_answer_one(struct reactor *r, const struct zdb *db,
		    struct answer_request *req, uint64_t now_ms)
{
	struct stats *st = &r->stats;
	const struct answer_config *cfg;
	bool over;

	cfg = udp_flood_pre(r, req->query, req->query_len, req->client, now_ms,
			    &over);
	if (!cfg)
		return false;
	if (answer_query(db, cfg, req) != ANSWER_SEND || req->resp_len == 0) {
		STATS_INC(st, STATS_DROPPED);
		return false;
	}
	STATS_COOKIE(st, req->cookie);
	if (!udp_flood_post(r, req, over, req->client, now_ms))
		return false;
	if (!udp_rrl_filter(r, req, req->client, now_ms))
		return false;
	STATS_INC(st, stats_rcode_counter(req->rcode));
	if (req->rcode == DNS_RCODE_BADCOOKIE)
		STATS_INC(st, STATS_BADCOOKIE);
	if (req->truncated)
		STATS_INC(st, STATS_TRUNCATED);
	return true;
}

/* One batch: returns the number of datagrams received (0: nothing more). */
static int udp_batch(struct udp_sock *us)
{
	struct reactor *r = us->r;
	struct udp_scratch *s = r->scratch;
	struct stats *st = &r->stats;
	const struct zdb *db;
	unsigned ntx = 0;
	uint32_t now;
	uint64_t now_ms;
	int n;

	for (int i = 0; i < UDP_BATCH; i++) {
		struct msghdr *h = &s->rx[i].msg_hdr;

		h->msg_namelen = sizeof(s->src[i]);
		h->msg_control = us->wildcard ? s->rctl[i].buf : NULL;
		h->msg_controllen = us->wildcard ? sizeof(s->rctl[i]) : 0;
		h->msg_flags = 0;
	}
	n = recvmmsg(us->fd, s->rx, UDP_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return 0;

	now = (uint32_t)time(NULL);   /* vDSO, once per batch: cookie stamps */
	now_ms = uv_now(&r->loop);
	rcu_thread_online();
	db = zdb_current();
	for (int i = 0; i < n; i++) {
		struct msghdr *qh = &s->rx[i].msg_hdr;
		struct answer_request req;
		struct msghdr *th;

		STATS_INC(st, STATS_UDP_QUERIES);
		if (qh->msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
			STATS_INC(st, STATS_DROPPED);
			continue;
		}
		memset(&req, 0, sizeof(req));
		req.query = s->riov[i].iov_base;
		req.query_len = s->rx[i].msg_len;
		req.resp = s->resp + (size_t)ntx * s->resp_cap;
		req.resp_cap = s->resp_cap;
		req.tcp = false;
		req.client = (const struct sockaddr *)&s->src[i];
		req.now = now;
		if (!udp_answer_one(r, db, &req, now_ms))
			continue;
		s->tiov[ntx].iov_base = req.resp;
		s->tiov[ntx].iov_len = req.resp_len;
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

int udp_start(struct reactor *r, struct udp_sock *us, int fd, bool wildcard)
{
	int rc;

	us->r = r;
	us->fd = fd;
	us->wildcard = wildcard;
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
