/* internal.h -- internals shared by reactor.c, udp.c, udp_uv.c and tcp.c.
 *
 * Not a public API: daemon.c uses reactor.h only. A struct reactor is owned by
 * its thread once started; the main thread reads nothing in it but the
 * counters (relaxed, see stats.h). struct daemon_shared is read-only after
 * start except the TCP connection counters (tcp_clients, tcp_unanswered and
 * the per-prefix table), which reactors update with relaxed atomic
 * operations (the only cross-thread writes on any I/O path).
 * The functions of each file are declared in udp.h and tcp.h; the
 * listening-socket helpers both use (reactor.c) here.
 */
#ifndef LEVEE_SERVER_INTERNAL_H
#define LEVEE_SERVER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "server/query.h"
#include "server/stats.h"

struct config;
struct config_listen;
struct answer_config;
struct udp_scratch;
struct udp_uv_scratch;
struct tcp_conn;
struct reactor;
struct rrl_table;
struct limits_table;
struct attack;
struct ebpf_drop;
struct conncount;
struct xdp_group;
struct xfrout_policy;

/* Kernel drop map listings one UDP batch can note: one per datagram of a
 * batch (UDP_BATCH); more are dropped (noted again at the next drop). */
#define REACTOR_EBPF_PENDING 64

/* One UDP socket of a reactor, in exactly one libuv handle: polled with
 * uv_poll (we do the I/O, udp.c) or a uv_udp_t (udp-io: libuv, udp_uv.c). */
struct udp_sock {
	union {
		uv_poll_t poll;
		uv_udp_t uh;
	};
	struct reactor *r;
	int fd;
	bool wildcard;     /* bound to 0.0.0.0 or ::: reply from PKTINFO */
	bool pktinfo;      /* PKTINFO received (wildcard, or exempt-local) */
	bool open;
	bool libuv;        /* the handle is uh (udp_uv.c) */
	bool online;       /* udp_uv.c: RCU online within a recvmmsg batch */
	uint32_t now;      /* udp_uv.c: time(NULL) at the batch's start */
	struct sockaddr_storage local;   /* as bound (getsockname), dnstap */
};

/* One TCP listening socket of a reactor, and what keeps it accepting when
 * a connection cannot be set up (tcp.c): a spare handle that takes such a
 * connection only to close it, and a timer that retries the accept when
 * the spare is still closing (libuv stops watching a listener whose
 * connection callback did not accept). */
struct tcp_listener {
	uv_tcp_t h;
	uv_tcp_t spare;
	uv_timer_t retry;
	struct reactor *r;
	bool open;
	bool spare_ready;      /* initialised and not closing */
	bool retry_ready;      /* the timer is initialised */
	struct sockaddr_storage local;   /* as bound (getsockname), dnstap */
};

struct daemon_shared {
	const struct config *cfg;
	const struct answer_config *acfg;
	struct rrl_table *rrl;        /* response rate limiting, or NULL (off);
					 lock-free, shared by every reactor */
	struct limits_table *limits;  /* flood defences (limits:), or NULL */
	struct attack *attack;        /* attack: mode, or NULL (off) */
	struct ebpf_drop *ebpf;       /* kernel drop map, or NULL (off or
					 not loadable: user space drops) */
	const struct answer_config *acfg_tcp_pressure;   /* acfg with the
					 RFC 7828 keepalive of the pressure
					 timeout (tcp.c, under pressure) */
	unsigned tcp_unanswered;      /* atomic: connections without a
					 whole query yet */
	unsigned tcp_clients;         /* atomic */
	struct xfrout_policy *xfr;    /* transfers out (xfrout.h): the
					 published policy (atomic pointer:
					 main swaps it at a reload) */
	unsigned xfr_running;         /* atomic: transfers out running */
	struct notify_in *notify_in;  /* NOTIFY in (notify_in.h): the
					 secondaries and who may notify
					 them (atomic pointer), or NULL */
	unsigned local_ifindex;       /* server: exempt-local: the loopback
					 interface's index (udp.c), 0: off */
	struct dnstap *dnstap;        /* dnstap: (dnstap.h), or NULL: off; a
					 ring per reactor */
	struct exist_guard *names;    /* the kernel existence filter, attached
					 while the attack mode is engaged
					 (exist_guard.h), or NULL */
	struct xdp_group *xdp;        /* the AF_XDP path (xdp.h), or NULL */
	struct conncount *tcp_prefix; /* open connections per /24 or /56,
					 keyed fingerprints, exact but for a
					 2^-40 share (ratelimit/conncount.h) */
};

struct reactor {
	unsigned id;
	int cpu;                       /* pinned CPU or -1 */
	struct daemon_shared *shared;
	uv_loop_t loop;
	uv_thread_t thread;
	bool started;
	bool stopping;
	uv_async_t stop_async;
	uv_timer_t stop_timer;         /* forces the last connections closed */

	struct udp_sock *udp;          /* one per listen address */
	struct tcp_listener *tcp;      /* one per listen address */
	unsigned sock_count;
	bool names_on;                 /* the existence filter is on our UDP
					  sockets (reactor_names_sync) */

	struct tcp_conn *conns;        /* open connections, doubly linked */

	/* Connections counted in tcp_unanswered, oldest accept first (tcp.c:
	 * at limits: tcp-max-unanswered the head is closed to make room). */
	struct tcp_conn *unans_head, *unans_tail;
	bool tcp_pressure;             /* pressure seen: timers shortened */

	/* TCP memory (tcp.c): bytes this reactor's connections hold, as the
	 * allocator counts them (their structs and buffers), at most
	 * tcp_mem_max (its share of server: tcp-memory-max); the connections
	 * holding buffers, the one longest without progress first (closed
	 * first to make room). */
	size_t tcp_mem, tcp_mem_max;
	struct tcp_conn *mem_head, *mem_tail;
	int tcp_pool;                  /* buffers' allocator pool (alloc.h) */

	struct udp_scratch *scratch;   /* UDP batch buffers, allocated once */
	struct udp_uv_scratch *uv_scratch;   /* udp-io: libuv buffers, or NULL */
	uint8_t *tcp_resp;             /* 65535-byte TCP reply scratch */
	uint8_t *tcp_in;               /* TCP read scratch (tcp.c) */
	uint8_t *tcp_out;              /* TCP reply batch scratch (tcp.c) */

	struct stats stats;
	struct query_env qenv;         /* the pipeline's view (query.h) */
	struct query_env qenv_tcp_pressure;  /* the same with the TCP pressure
						answer config (tcp.c) */
	/* Prefixes to list in the kernel drop map, noted by the answer loop
	 * of one UDP batch and listed after its send (udp.c). */
	struct cidr ebpf_pending[REACTOR_EBPF_PENDING];
	unsigned ebpf_npending;
};

/* Listening sockets, both protocols (reactor.c). reactor_socket_new opens
 * a non-blocking socket of type SOCK_DGRAM or SOCK_STREAM for l's family
 * with SO_REUSEPORT (one socket per reactor), SO_REUSEADDR for SOCK_STREAM
 * and IPV6_V6ONLY for IPv6; returns the fd or a negative errno.
 * reactor_socket_bind binds fd to l; returns fd, or closes it and returns a
 * negative errno. Main only. */
int reactor_socket_new(const struct config_listen *l, int type);
int reactor_socket_bind(int fd, const struct config_listen *l);

/* Notes a listing the pipeline asked for (query.h: list.bits != 0) in
 * r->ebpf_pending, when the kernel drop map is loaded and there is room.
 * Reactor thread r only; O(1), no system call. */
void reactor_ebpf_note(struct reactor *r, const struct cidr *list);

/* Lists the prefixes the last UDP batch noted in r->ebpf_pending in the
 * kernel drop map (ebpf_drop.h), counting each listed one, and empties the
 * list. After the batch's send, never inside its answer loop. Reactor
 * thread r only. */
void reactor_ebpf_flush(struct reactor *r, uint64_t now_ms);

/* Attaches the existence filter to r's UDP sockets when the attack mode
 * has engaged, their usual filter when it has disengaged (exist_guard.h).
 * Reactor thread r only. */
void reactor_names_sync(struct reactor *r);

/* The end of a UDP batch, after its send: the listings it noted, and the
 * existence filter's state (one relaxed load). Reactor thread r only. */
static inline void reactor_batch_done(struct reactor *r, uint64_t now_ms)
{
	if (r->ebpf_npending)
		reactor_ebpf_flush(r, now_ms);
	if (r->shared->names)
		reactor_names_sync(r);
}

/* config_zones.c, for config_free: releases the zones of cfg and their
 * index, and leaves cfg without zones. Main only. */
void config_zones_free(struct config *cfg);

#endif
