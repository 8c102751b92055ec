/* xdp.c -- the AF_XDP fast path for UDP (xdp.h): set-up, the reactor's
 * batch, tear-down.
 *
 * Ownership: main builds the group (programs, UMEMs, sockets) before the
 * reactors run and frees it after they stopped; in between each socket
 * (struct xdp_sock: its rings, its UMEM, its free-frame stack) belongs to
 * one reactor thread, which alone touches it.
 *
 * Frames: a UMEM of 2 x ring frames. A frame is in exactly one place: the
 * free stack, the fill ring, the kernel's RX side, the reactor's batch,
 * or the TX/completion rings ("outstanding"). A query's reply is written
 * into the query's own frame, so one frame goes round fill -> RX -> TX ->
 * completion -> free -> fill. Outstanding frames are kept at most ring
 * (a reply over that is lost and counted ring-full), so at least ring
 * frames are always free, in the fill ring or waiting in RX (which wakes
 * the reactor): the fill ring never stays empty while no frame arrives.
 *
 * Built without libxdp, libbpf or clang's BPF target (meson -Dxdp), it
 * reports itself unavailable and every entry falls back.
 */
#include "server/xdp.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "server/config.h"
#include "server/internal.h"
#include "server/log.h"
#include "server/udp.h"

#ifdef LEVEE_HAVE_XDP
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <urcu-qsbr.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#include "server/query.h"
#include "server/xdp_frame.h"
#include "zones/zdb.h"

/* The object file, embedded by meson (xdp_obj.c from xdp.bpf.c). */
extern const unsigned char xdp_obj[];
extern const size_t xdp_obj_len;

/* The BPF program's counters (xdp.bpf.c: XDP_C_*). */
#define XDP_C_PASSED 1

/* Headroom the kernel leaves before a frame's data in copy mode
 * (XDP_PACKET_HEADROOM): a reply must fit after it. */
#define XDP_HEADROOM 256

struct xdp_sock {
	uv_poll_t poll;
	struct reactor *r;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fill, tx;
	struct xsk_ring_cons comp, rx;
	uint8_t *area;
	size_t area_len;
	uint64_t *free;                /* free frames' addresses (a stack) */
	uint32_t nfree, nframes, ring, frame_size, outstanding;
	uint16_t port;                 /* network byte order */
	size_t resp_cap;
	bool polling;
	bool zc;
	uint8_t query[UDP_QUERY_MAX];  /* the query, out of its frame */
};

struct xdp_entry {
	const struct config_xdp *x;
	struct bpf_object *obj;
	int ifindex;
	uint32_t attach_flags;         /* XDP_FLAGS_DRV_MODE or _SKB_MODE */
	int counters_fd;
	struct xdp_sock *socks;        /* socks[i]: reactor i's, i < nsocks */
	unsigned nsocks;
};

struct xdp_group {
	struct xdp_entry e[CONFIG_MAX_XDP];
	unsigned count;
};

bool xdp_available(void)
{
	return true;
}

/* --- the reactor's side --- */

/* Completed TX frames back onto the free stack: at most ring. */
static void xdp_complete(struct xdp_sock *xs)
{
	uint32_t idx, n = xsk_ring_cons__peek(&xs->comp, xs->ring, &idx);

	for (uint32_t i = 0; i < n; i++) {
		uint64_t a = *xsk_ring_cons__comp_addr(&xs->comp, idx + i);

		if (xs->nfree < xs->nframes)
			xs->free[xs->nfree++] = a & ~(uint64_t)(xs->frame_size - 1);
	}
	if (n)
		xsk_ring_cons__release(&xs->comp, n);
	xs->outstanding -= n < xs->outstanding ? n : xs->outstanding;
}

/* Free frames into the fill ring, as many as it has room for. */
static void xdp_refill(struct xdp_sock *xs)
{
	uint32_t idx, n = xsk_prod_nb_free(&xs->fill, xs->nfree);

	if (n > xs->nfree)
		n = xs->nfree;
	if (n == 0 || xsk_ring_prod__reserve(&xs->fill, n, &idx) != n)
		return;
	for (uint32_t i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&xs->fill, idx + i) =
			xs->free[--xs->nfree];
	xsk_ring_prod__submit(&xs->fill, n);
	/* Zero-copy drivers stop taking frames from an empty fill ring
	 * until told (copy mode reads it on every frame). */
	if (xs->zc && xsk_ring_prod__needs_wakeup(&xs->fill))
		(void)recvfrom(xsk_socket__fd(xs->xsk), NULL, 0, MSG_DONTWAIT,
			       NULL, NULL);
}

/* Has the kernel send what the TX ring holds. Copy mode sends at most 32
 * frames a call and says EAGAIN when more are left: at most
 * XDP_BATCH / 32 + 2 calls. */
static void xdp_kick(struct xdp_sock *xs)
{
	int fd = xsk_socket__fd(xs->xsk);

	if (!xsk_ring_prod__needs_wakeup(&xs->tx))
		return;
	for (int i = 0; i < XDP_BATCH / 32 + 2; i++)
		if (sendto(fd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0 ||
		    errno != EAGAIN)
			break;
}

/* One frame at addr (len bytes): the query's reply written into the same
 * frame. Returns the reply frame's length, or 0 (nothing to send: the
 * frame is free again). */
static uint32_t xdp_answer(struct xdp_sock *xs, const struct zdb *db,
			   uint64_t addr, uint32_t len, uint32_t now,
			   uint64_t now_ms)
{
	struct reactor *r = xs->r;
	uint8_t *f = xsk_umem__get_data(xs->area, addr);
	size_t room = xs->frame_size - (addr & (xs->frame_size - 1)), hl;
	struct sockaddr_storage client, server;
	struct xdp_frame_info fi;
	struct query q;
	struct droplist *drops;
	int verdict;

	if (len > room || xdp_frame_parse(f, len, xs->port, &fi) < 0 ||
	    fi.payload_len > UDP_QUERY_MAX ||
	    (hl = xdp_frame_hdrlen(&fi)) + xs->resp_cap > room) {
		STATS_INC(&r->stats, STATS_XDP_DROPPED);
		return 0;
	}
	memcpy(xs->query, fi.payload, fi.payload_len);
	xdp_frame_addrs(&fi, &client, &server);
	q.msg = xs->query;
	q.len = fi.payload_len;
	q.resp = f + hl;
	q.resp_cap = xs->resp_cap;
	q.tcp = false;
	q.local = false;               /* never the loopback interface */
	q.client = (const struct sockaddr *)&client;
	q.server = (const struct sockaddr *)&server;
	q.now = now;
	q.now_ms = now_ms;
	/* The kernel drop map runs on the sockets, not before AF_XDP: no
	 * datagram of a listed prefix was thinned on its way here, so the
	 * pipeline slips 1 in N itself (droplist_thinned would answer every
	 * one and multiply the challenges to a forged source by N). The
	 * reactor's env is its own thread's: restored before it returns. */
	drops = r->qenv.drops;
	r->qenv.drops = NULL;
	verdict = query_process(&r->qenv, db, &q);
	r->qenv.drops = drops;
	if (verdict != QUERY_SEND) {
		reactor_ebpf_note(r, &q.list);   /* dropped or challenged */
		return 0;
	}
	reactor_ebpf_note(r, &q.list);
	return (uint32_t)xdp_frame_reply(f, &fi, q.resp_len);
}

/* Replies addr[0..n) (lens) into the TX ring, as many as it and the
 * outstanding bound take; the rest lost (ring-full), their frames
 * freed. */
static void xdp_transmit(struct xdp_sock *xs, const uint64_t *addr,
			 const uint32_t *lens, uint32_t n)
{
	struct stats *st = &xs->r->stats;
	uint32_t k = n, idx;

	if (xs->outstanding + k > xs->ring)
		k = xs->ring - xs->outstanding;
	if (k > xsk_prod_nb_free(&xs->tx, k))
		k = xsk_prod_nb_free(&xs->tx, k);
	if (k && xsk_ring_prod__reserve(&xs->tx, k, &idx) != k)
		k = 0;
	for (uint32_t i = 0; i < k; i++) {
		struct xdp_desc *d = xsk_ring_prod__tx_desc(&xs->tx, idx + i);

		d->addr = addr[i];
		d->len = lens[i];
		d->options = 0;
	}
	for (uint32_t i = k; i < n; i++)
		xs->free[xs->nfree++] = addr[i] & ~(uint64_t)(xs->frame_size - 1);
	if (n > k)
		STATS_ADD(st, STATS_XDP_RING_FULL, n - k);
	if (k == 0)
		return;
	xsk_ring_prod__submit(&xs->tx, k);
	xs->outstanding += k;
	STATS_ADD(st, STATS_XDP_ANSWERED, k);
	xdp_kick(xs);
}

/* One RX batch: returns the number of frames taken (0: none). */
static uint32_t xdp_batch(struct xdp_sock *xs)
{
	struct reactor *r = xs->r;
	uint64_t txaddr[XDP_BATCH], now_ms;
	uint32_t txlen[XDP_BATCH], idx, n, ntx = 0, now;
	const struct zdb *db;

	xdp_complete(xs);
	xdp_refill(xs);
	n = xsk_ring_cons__peek(&xs->rx, XDP_BATCH, &idx);
	if (n == 0) {
		if (xs->outstanding)
			xdp_kick(xs);   /* a send left over by EAGAIN */
		return 0;
	}
	now = (uint32_t)time(NULL);
	now_ms = uv_now(&r->loop);
	STATS_ADD(&r->stats, STATS_XDP_RECEIVED, n);
	rcu_thread_online();
	db = zdb_current();
	for (uint32_t i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&xs->rx,
								  idx + i);
		uint32_t out = xdp_answer(xs, db, d->addr, d->len, now, now_ms);

		if (out) {
			txaddr[ntx] = d->addr;
			txlen[ntx++] = out;
		} else {
			xs->free[xs->nfree++] =
				d->addr & ~(uint64_t)(xs->frame_size - 1);
		}
	}
	rcu_thread_offline();   /* replies are in the frames */
	xsk_ring_cons__release(&xs->rx, n);
	if (ntx)
		xdp_transmit(xs, txaddr, txlen, ntx);
	xdp_complete(xs);
	xdp_refill(xs);
	reactor_batch_done(r, now_ms);
	return n;
}

static void xdp_on_readable(uv_poll_t *h, int status, int events)
{
	struct xdp_sock *xs = h->data;

	(void)events;
	if (status < 0 || xs->r->stopping)
		return;
	for (int round = 0; round < XDP_ROUNDS; round++)
		if (xdp_batch(xs) < XDP_BATCH)
			break;
}

void xdp_reactor_start(struct xdp_group *g, struct reactor *r)
{
	if (!g)
		return;
	for (unsigned i = 0; i < g->count; i++) {
		struct xdp_entry *e = &g->e[i];
		struct xdp_sock *xs;
		int rc;

		if (r->id >= e->nsocks)
			continue;
		xs = &e->socks[r->id];
		xs->r = r;
		rc = uv_poll_init(&r->loop, &xs->poll, xsk_socket__fd(xs->xsk));
		if (rc == 0) {
			xs->poll.data = xs;
			xs->polling = true;
			rc = uv_poll_start(&xs->poll, UV_READABLE,
					   xdp_on_readable);
		}
		if (rc < 0)
			log_warning("xdp %s: reactor %u: cannot poll its XSK "
				    "socket (%s): queue %u is not answered",
				    e->x->text, r->id, uv_strerror(rc), r->id);
	}
}

void xdp_reactor_stop(struct xdp_group *g, struct reactor *r)
{
	if (!g)
		return;
	for (unsigned i = 0; i < g->count; i++) {
		struct xdp_entry *e = &g->e[i];
		struct xdp_sock *xs;

		if (r->id >= e->nsocks || !e->socks[r->id].polling)
			continue;
		xs = &e->socks[r->id];
		xs->polling = false;
		uv_poll_stop(&xs->poll);
		uv_close((uv_handle_t *)&xs->poll, NULL);
	}
}

/* --- set-up and tear-down (main) --- */

static void xdp_sock_close(struct xdp_sock *xs)
{
	if (xs->xsk)
		xsk_socket__delete(xs->xsk);
	if (xs->umem)
		(void)xsk_umem__delete(xs->umem);
	if (xs->area)
		munmap(xs->area, xs->area_len);
	free(xs->free);
	xs->xsk = NULL;
	xs->umem = NULL;
	xs->area = NULL;
	xs->free = NULL;
}

/* One socket on queue of ifname, zero-copy or copy (zc): 0 or a
 * negative errno (everything closed again). */
static int xdp_sock_try(struct xdp_sock *xs, const char *ifname,
			unsigned queue, bool zc)
{
	struct xsk_umem_config uc = {
		.fill_size = xs->ring,
		.comp_size = xs->ring,
		.frame_size = xs->frame_size,
		.frame_headroom = 0,
		.flags = 0,
	};
	struct xsk_socket_config sc = {
		.rx_size = xs->ring,
		.tx_size = xs->ring,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = (uint16_t)((zc ? XDP_ZEROCOPY : XDP_COPY) |
					 XDP_USE_NEED_WAKEUP),
	};
	int rc;

	xs->area_len = (size_t)xs->nframes * xs->frame_size;
	xs->area = mmap(NULL, xs->area_len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (xs->area == MAP_FAILED) {
		xs->area = NULL;
		return -errno;
	}
	xs->free = malloc(sizeof(*xs->free) * xs->nframes);
	if (!xs->free) {
		xdp_sock_close(xs);
		return -ENOMEM;
	}
	rc = xsk_umem__create(&xs->umem, xs->area, xs->area_len, &xs->fill,
			      &xs->comp, &uc);
	if (rc == 0)
		rc = xsk_socket__create(&xs->xsk, ifname, queue, xs->umem,
					&xs->rx, &xs->tx, &sc);
	if (rc < 0) {
		if (rc == -1)
			rc = -errno;
		xs->xsk = NULL;
		xdp_sock_close(xs);
		return rc;
	}
	xs->zc = zc;
	xs->nfree = 0;
	for (uint32_t i = 0; i < xs->nframes; i++)
		xs->free[xs->nfree++] = (uint64_t)i * xs->frame_size;
	xdp_refill(xs);
	return 0;
}

/* Reactor queue's socket of entry e: zero-copy first, then copy mode;
 * its fd into the XSKMAP. 0 or a negative errno. */
static int xdp_sock_open(struct xdp_entry *e, struct xdp_sock *xs,
			 unsigned queue, unsigned ring, size_t resp_cap)
{
	struct bpf_map *map = bpf_object__find_map_by_name(e->obj, "xdp_xsks");
	int rc;

	memset(xs, 0, sizeof(*xs));
	xs->ring = ring;
	xs->nframes = 2 * ring;
	xs->frame_size = XDP_HEADROOM + XDP_FRAME_HDR_MAX + resp_cap <= 2048 ?
			 2048 : 4096;
	xs->port = htons(e->x->port);
	xs->resp_cap = resp_cap;
	if (!map)
		return -ENOENT;
	rc = xdp_sock_try(xs, e->x->ifname, queue, true);
	if (rc < 0)
		rc = xdp_sock_try(xs, e->x->ifname, queue, false);
	if (rc < 0)
		return rc;
	rc = xsk_socket__update_xskmap(xs->xsk, bpf_map__fd(map));
	if (rc < 0) {
		xdp_sock_close(xs);
		return rc;
	}
	return 0;
}

/* The mode (XDP_FLAGS_DRV_MODE or _SKB_MODE) in which a program named
 * levee_xdp is attached to ifindex, or 0 (none, or another program).
 * At most two queries and two info calls. */
static uint32_t xdp_stale_mode(int ifindex)
{
	static const uint32_t modes[] = { XDP_FLAGS_DRV_MODE,
					  XDP_FLAGS_SKB_MODE };

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct bpf_prog_info info;
		uint32_t id = 0, len = sizeof(info);
		int fd, rc;

		if (bpf_xdp_query_id(ifindex, (int)modes[i], &id) < 0 || !id)
			continue;
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		rc = bpf_obj_get_info_by_fd(fd, &info, &len);
		close(fd);
		if (rc == 0 && strcmp(info.name, "levee_xdp") == 0)
			return modes[i];
	}
	return 0;
}

/* Attaches fd to e->ifindex, native (driver) mode first, then generic
 * (skb), never over another program. 0 or a negative errno. */
static int xdp_attach_fd(struct xdp_entry *e, int fd)
{
	int rc;

	e->attach_flags = XDP_FLAGS_DRV_MODE;
	rc = bpf_xdp_attach(e->ifindex, fd, XDP_FLAGS_DRV_MODE |
			    XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	if (rc < 0) {
		e->attach_flags = XDP_FLAGS_SKB_MODE;
		rc = bpf_xdp_attach(e->ifindex, fd, XDP_FLAGS_SKB_MODE |
				    XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	}
	if (rc < 0)
		e->attach_flags = 0;
	return rc;
}

/* Loads the program for e's port and attaches it to e->ifindex
 * (xdp_attach_fd). A levee_xdp program found attached there (left by a
 * levee killed before its stop: the listen probe has already refused a
 * second levee on the same addresses) is detached and replaced, once,
 * with a line at info; any other program is left alone. 0 or a negative
 * errno (-EPERM: no CAP_BPF or CAP_NET_ADMIN; -EBUSY/-EEXIST: another
 * program is attached). */
static int xdp_attach(struct xdp_entry *e)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts, .object_name = "levee_xdp");
	struct bpf_program *prog;
	struct bpf_map *cfg, *cnt;
	uint32_t zero = 0, nport = htons(e->x->port);
	int rc, fd;

	e->obj = bpf_object__open_mem(xdp_obj, xdp_obj_len, &oopts);
	if (!e->obj) {
		rc = errno ? -errno : -EINVAL;
		return rc;
	}
	rc = bpf_object__load(e->obj);
	if (rc < 0)
		return rc;
	prog = bpf_object__find_program_by_name(e->obj, "levee_xdp");
	cfg = bpf_object__find_map_by_name(e->obj, "xdp_config");
	cnt = bpf_object__find_map_by_name(e->obj, "xdp_counters");
	if (!prog || !cfg || !cnt)
		return -ENOENT;
	if (bpf_map_update_elem(bpf_map__fd(cfg), &zero, &nport, BPF_ANY) < 0)
		return -errno;
	e->counters_fd = bpf_map__fd(cnt);
	fd = bpf_program__fd(prog);
	rc = xdp_attach_fd(e, fd);
	if (rc < 0) {
		uint32_t stale = xdp_stale_mode(e->ifindex);

		if (stale && bpf_xdp_detach(e->ifindex, stale, NULL) == 0) {
			log_info("xdp %s: a levee_xdp program left attached (a "
				 "levee that did not stop) replaced",
				 e->x->text);
			rc = xdp_attach_fd(e, fd);
		}
	}
	return rc;
}

/* The interface's MTU, or 0 when it cannot be read. One ioctl. */
static unsigned xdp_mtu(const char *ifname)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	unsigned mtu = 0;

	if (fd < 0)
		return 0;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 0)
		mtu = (unsigned)ifr.ifr_mtu;
	close(fd);
	return mtu;
}

static void xdp_entry_close(struct xdp_entry *e)
{
	for (unsigned i = 0; i < e->nsocks; i++)
		xdp_sock_close(&e->socks[i]);
	free(e->socks);
	e->socks = NULL;
	e->nsocks = 0;
	if (e->attach_flags)
		(void)bpf_xdp_detach(e->ifindex, e->attach_flags, NULL);
	e->attach_flags = 0;
	bpf_object__close(e->obj);
	e->obj = NULL;
}

/* Sets up entry e for n reactors: 0, or a negative errno with *what
 * naming the step that failed (e closed again). */
static int xdp_entry_open(struct xdp_entry *e, unsigned n, unsigned ring,
			  size_t resp_cap, const char **what)
{
	unsigned mtu = xdp_mtu(e->x->ifname);
	int rc;

	if (mtu && resp_cap + 48 > mtu) {
		*what = "udp-max-payload and its IPv6 and UDP headers are "
			"over the interface's MTU";
		return -EMSGSIZE;
	}
	if (XDP_HEADROOM + XDP_FRAME_HDR_MAX + resp_cap > 4096) {
		*what = "udp-max-payload does not fit a 4096-byte frame";
		return -EMSGSIZE;
	}
	*what = "the XDP program does not attach";
	rc = xdp_attach(e);
	if (rc < 0)
		goto fail;
	*what = "no AF_XDP socket on queue 0";
	e->socks = calloc(n, sizeof(*e->socks));
	if (!e->socks) {
		rc = -ENOMEM;
		goto fail;
	}
	for (unsigned i = 0; i < n; i++) {
		rc = xdp_sock_open(e, &e->socks[i], i, ring, resp_cap);
		if (rc < 0)
			break;
		e->nsocks = i + 1;
	}
	if (e->nsocks == 0)
		goto fail;
	if (e->nsocks < n)
		log_info("xdp %s: no AF_XDP socket on queue %u (%s): reactors "
			 "%u to %u have none on this interface", e->x->text,
			 e->nsocks, strerror(-rc), e->nsocks, n - 1);
	return 0;
fail:
	xdp_entry_close(e);
	return rc;
}

struct xdp_group *xdp_group_new(const struct config *cfg, unsigned n,
				size_t resp_cap)
{
	struct xdp_group *g;

	if (cfg->xdp_count == 0)
		return NULL;
	g = calloc(1, sizeof(*g));
	if (!g) {
		log_warning("xdp: out of memory: UDP stays on sockets");
		return NULL;
	}
	for (size_t i = 0; i < cfg->xdp_count; i++) {
		const struct config_xdp *x = &cfg->xdp[i];
		struct xdp_entry *e = &g->e[g->count];
		const char *what = "";
		int rc;

		memset(e, 0, sizeof(*e));
		e->x = x;
		e->ifindex = (int)if_nametoindex(x->ifname);
		if (e->ifindex == 0) {
			log_warning("xdp %s: no such interface: UDP stays on "
				    "sockets", x->text);
			continue;
		}
		rc = xdp_entry_open(e, n, cfg->xdp_ring_size, resp_cap, &what);
		if (rc < 0) {
			log_warning("xdp %s: %s (%s): UDP stays on sockets",
				    x->text, what, strerror(-rc));
			continue;
		}
		log_info("xdp %s: AF_XDP on queues 0..%u (%s mode, %s)",
			 x->text, e->nsocks - 1,
			 e->attach_flags == XDP_FLAGS_DRV_MODE ? "native" :
								 "generic",
			 e->socks[0].zc ? "zero-copy" : "copy");
		g->count++;
	}
	if (g->count == 0) {
		free(g);
		return NULL;
	}
	return g;
}

void xdp_group_kernel_stats(const struct xdp_group *g, unsigned i,
			    uint64_t *ring_full, uint64_t *dropped)
{
	*ring_full = *dropped = 0;
	for (unsigned k = 0; g && k < g->count; k++) {
		struct xdp_statistics st;
		socklen_t len = sizeof(st);

		if (i >= g->e[k].nsocks ||
		    getsockopt(xsk_socket__fd(g->e[k].socks[i].xsk), SOL_XDP,
			       XDP_STATISTICS, &st, &len) < 0)
			continue;
		*ring_full += st.rx_ring_full + st.rx_fill_ring_empty_descs;
		*dropped += st.rx_dropped + st.rx_invalid_descs +
			    st.tx_invalid_descs;
	}
}

uint64_t xdp_group_passed(const struct xdp_group *g)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t sum = 0, *v;
	uint32_t key = XDP_C_PASSED;

	if (!g || ncpu <= 0 || !(v = calloc((size_t)ncpu, sizeof(*v))))
		return 0;
	for (unsigned i = 0; i < g->count; i++)
		if (bpf_map_lookup_elem(g->e[i].counters_fd, &key, v) == 0)
			for (int c = 0; c < ncpu; c++)
				sum += v[c];
	free(v);
	return sum;
}

void xdp_group_free(struct xdp_group *g)
{
	if (!g)
		return;
	for (unsigned i = 0; i < g->count; i++)
		xdp_entry_close(&g->e[i]);
	free(g);
}
#else
bool xdp_available(void)
{
	return false;
}

struct xdp_group *xdp_group_new(const struct config *cfg, unsigned n,
				size_t resp_cap)
{
	(void)n;
	(void)resp_cap;
	for (size_t i = 0; i < cfg->xdp_count; i++)
		log_warning("xdp %s: AF_XDP not in this build (no libxdp, "
			    "libbpf or clang BPF target): UDP stays on sockets",
			    cfg->xdp[i].text);
	return NULL;
}

void xdp_reactor_start(struct xdp_group *g, struct reactor *r)
{
	(void)g;
	(void)r;
}

void xdp_reactor_stop(struct xdp_group *g, struct reactor *r)
{
	(void)g;
	(void)r;
}

void xdp_group_kernel_stats(const struct xdp_group *g, unsigned i,
			    uint64_t *ring_full, uint64_t *dropped)
{
	(void)g;
	(void)i;
	*ring_full = *dropped = 0;
}

uint64_t xdp_group_passed(const struct xdp_group *g)
{
	(void)g;
	return 0;
}

void xdp_group_free(struct xdp_group *g)
{
	(void)g;
}
#endif
