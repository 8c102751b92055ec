/* reactor.c -- N reactor threads, one uv_loop each.
 *
 * The main thread builds everything in reactor_group_new(): per reactor a
 * loop, an async handle to stop it, the UDP batch scratch, the TCP reply
 * scratch, and for every listen address one UDP and one TCP socket
 * (SO_REUSEPORT, bound before any thread runs, so errors surface early and
 * privileges can be dropped before the threads start). pthread_create is
 * the hand-over: from then on only the reactor thread touches its loop,
 * sockets and buffers; main reads its counters relaxed.
 *
 * UDP runs one of two paths, chosen by the config key udp-io: udp.c (uv_poll
 * on the fd, our recvmmsg/sendmmsg) or udp_uv.c (a uv_udp_t with libuv's
 * recvmmsg); a socket is in exactly one of those handles.
 *
 * RCU: each reactor registers with liburcu-qsbr and goes offline at once; it
 * is online only while it answers a batch (udp.c, tcp.c), so it is quiescent
 * whenever it sleeps in epoll and grace periods never wait for it. (A
 * uv_prepare/uv_check pair would bracket the wrong span: libuv runs I/O
 * callbacks inside the poll phase, between prepare and check.)
 *
 * Stopping: main sends the stop async; the reactor closes its UDP sockets
 * and listeners, stops reading on every connection, lets replies in flight
 * finish, and a 400 ms timer (unref'd, so it never keeps the loop alive)
 * closes what is left. uv_run returns when no handle remains.
 */
#include "server/reactor.h"

#include "server/dnstap.h"

#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <urcu-qsbr.h>

#include "ratelimit/rrl.h"
#include "ratelimit/limits.h"
#include "ratelimit/attack.h"
#include "ratelimit/conncount.h"
#include "server/answer.h"
#include "server/config.h"
#include "server/internal.h"
#include "server/ebpf_drop.h"
#include "server/exist_guard.h"
#include "server/log.h"
#include "zones/zone.h"
#include "server/stats.h"
#include "server/tcp.h"
#include "server/udp.h"
#include "server/xfrout.h"
#include "server/xdp.h"

#define REACTOR_STOP_GRACE_MS 400

/* RRL start/stop lines (already rate-limited by the table). */
static void reactor_rrl_log(const char *line)
{
	log_info("%s", line);
}

/* The attack detector's last change line (why it engaged or let go),
 * for levee-ctl attack: written by a reactor at most once a second
 * (attack.h), read by main; a mutex, outside the rate-limit objects. */
static pthread_mutex_t reactor_attack_mu = PTHREAD_MUTEX_INITIALIZER;
static char reactor_attack_line[256];

static void reactor_attack_log(const char *line)
{
	log_info("%s", line);
	pthread_mutex_lock(&reactor_attack_mu);
	snprintf(reactor_attack_line, sizeof(reactor_attack_line), "%s", line);
	pthread_mutex_unlock(&reactor_attack_mu);
}

void reactor_attack_last(char *buf, size_t len)
{
	pthread_mutex_lock(&reactor_attack_mu);
	snprintf(buf, len, "%s", reactor_attack_line);
	pthread_mutex_unlock(&reactor_attack_mu);
}

struct reactor_group {
	struct daemon_shared shared;
	struct answer_config acfg_tcp_pressure;   /* shared.acfg_tcp_pressure
						     points here */
	struct reactor *r;
	unsigned n;
	bool running;
};

int reactor_socket_new(const struct config_listen *l, int type)
{
	int family = l->addr.ss_family, one = 1, fd, err;

	fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if ((type == SOCK_STREAM &&
	     setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
					      &one, sizeof(one)) < 0)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int reactor_socket_bind(int fd, const struct config_listen *l)
{
	int err;

	if (bind(fd, (const struct sockaddr *)&l->addr, l->addrlen) == 0)
		return fd;
	err = -errno;
	close(fd);
	return err;
}

/* Whether another process holds l's address and port (type SOCK_DGRAM or
 * SOCK_STREAM): a bind without SO_REUSEPORT fails then, as ours with it
 * would not (the kernel would share the queries between the two, and a
 * second levee started by mistake would answer half of them with its own
 * zones). SO_REUSEADDR for TCP, as ours: a TIME_WAIT left by a previous
 * run is no holder. 0, -EADDRINUSE, or another error (left to the real
 * bind to report). Main only. */
static int reactor_listen_probe(const struct config_listen *l, int type)
{
	int family = l->addr.ss_family, one = 1, fd, rc = 0;

	fd = socket(family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if ((type == SOCK_STREAM &&
	     setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) ||
	    (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
					      &one, sizeof(one)) < 0) ||
	    bind(fd, (const struct sockaddr *)&l->addr, l->addrlen) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static void reactor_close_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

/* Closes a UDP socket with the path that opened it (config udp-io). */
static void reactor_udp_close(struct udp_sock *us)
{
	if (us->libuv)
		udp_uv_close(us);
	else
		udp_close(us);
}

static void reactor_on_stop_timer(uv_timer_t *t)
{
	struct reactor *r = t->data;

	tcp_stop_conns(r, true);
	uv_close((uv_handle_t *)t, NULL);
}

static void reactor_on_stop(uv_async_t *a)
{
	struct reactor *r = a->data;

	if (r->stopping)
		return;
	r->stopping = true;
	for (unsigned i = 0; i < r->sock_count; i++) {
		reactor_udp_close(&r->udp[i]);
		tcp_close_listener(&r->tcp[i]);
	}
	xdp_reactor_stop(r->shared->xdp, r);
	tcp_stop_conns(r, false);
	uv_close((uv_handle_t *)&r->stop_async, NULL);
	if (uv_timer_start(&r->stop_timer, reactor_on_stop_timer,
			   REACTOR_STOP_GRACE_MS, 0) < 0) {
		/* No grace then: close what is left now. */
		reactor_on_stop_timer(&r->stop_timer);
		return;
	}
	uv_unref((uv_handle_t *)&r->stop_timer);
}

static void reactor_main(void *arg)
{
	struct reactor *r = arg;

	/* Lines from here are queued, never written by this thread: a
	 * stalled stderr must not stall answering (log.h). */
	log_thread_queued();
	if (r->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(r->cpu, &set);
		/* Best effort: a CPU that is not there is only not pinned. */
		if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
			log_warning("reactor %u: cannot pin to CPU %d", r->id,
				    r->cpu);
	}
	rcu_register_thread();
	rcu_thread_offline();
	uv_run(&r->loop, UV_RUN_DEFAULT);
	/* The unref'd stop timer and anything else: close, then drain. */
	uv_walk(&r->loop, reactor_close_walk, NULL);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	rcu_unregister_thread();
}

/* Closes every handle of a reactor that never ran, and its loop. */
static void reactor_teardown(struct reactor *r)
{
	if (r->loop.data != r)
		return;   /* uv_loop_init failed or never ran */
	for (unsigned i = 0; i < r->sock_count; i++) {
		reactor_udp_close(&r->udp[i]);
		tcp_close_listener(&r->tcp[i]);
	}
	xdp_reactor_stop(r->shared->xdp, r);
	uv_walk(&r->loop, reactor_close_walk, NULL);
	uv_run(&r->loop, UV_RUN_DEFAULT);
}

void reactor_ebpf_note(struct reactor *r, const struct cidr *list)
{
	if (list->bits && r->shared->ebpf &&
	    r->ebpf_npending < REACTOR_EBPF_PENDING)
		r->ebpf_pending[r->ebpf_npending++] = *list;
}

/* The filter a reactor UDP socket has when the existence filter is off:
 * the kernel drop map's program, else the classic filter, else none. */
static int reactor_udp_filter(struct reactor *r, int fd)
{
	int rc = -1, off = 0;

	if (r->shared->ebpf && (rc = ebpf_drop_attach(r->shared->ebpf, fd)) == 0)
		return 0;
	if (r->shared->cfg->udp_bpf_filter && (rc = udp_bpf_attach(fd)) == 0)
		return 0;
	if (setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &off, sizeof(off)) < 0 &&
	    errno != ENOENT)
		return -errno;
	return rc < 0 ? rc : 0;
}

/* The existence filter on this reactor's UDP sockets while the attack
 * mode is engaged, their usual filter back when it is not: a relaxed
 * load a batch, two setsockopt() a socket at a change. */
void reactor_names_sync(struct reactor *r)
{
	bool want = exist_guard_want(r->shared->names);

	if (want == r->names_on)
		return;
	r->names_on = want;
	for (unsigned i = 0; i < r->sock_count; i++) {
		int fd = r->udp[i].fd, rc;

		if (!r->udp[i].open)
			continue;
		rc = want ? exist_guard_attach(r->shared->names, fd) :
			reactor_udp_filter(r, fd);
		if (rc < 0 && r->id == 0)
			log_warning("udp %s: cannot %s the name filter: %s",
				    r->shared->cfg->listen[i].text,
				    want ? "attach" : "detach", strerror(-rc));
	}
}

void reactor_ebpf_flush(struct reactor *r, uint64_t now_ms)
{
	for (unsigned i = 0; i < r->ebpf_npending; i++)
		if (ebpf_drop_list(r->shared->ebpf, r->id, &r->ebpf_pending[i],
				   now_ms))
			STATS_INC(&r->stats, STATS_EBPF_LISTED);
	r->ebpf_npending = 0;
}

/* The pipeline's environment of reactor r (query.h). */
static void reactor_query_env(struct reactor *r)
{
	struct daemon_shared *sh = r->shared;
	struct query_env *e = &r->qenv;

	memset(e, 0, sizeof(*e));
	e->acfg = sh->acfg;
	e->rrl = sh->rrl;
	e->limits = sh->limits;
	e->attack = sh->attack;
	e->drops = ebpf_drop_table(sh->ebpf);
	e->xfr = &sh->xfr;
	e->notify_in = &sh->notify_in;
	e->trusted = sh->cfg->trusted;
	e->trusted_count = sh->cfg->trusted_count;
	e->stats = &r->stats;
	e->zone_counts = sh->cfg->metrics && sh->cfg->metrics_per_zone;
	e->zone_slot = r->id;
	e->tap = dnstap_ring(sh->dnstap, r->id);
	r->qenv_tcp_pressure = *e;
	r->qenv_tcp_pressure.acfg = sh->acfg_tcp_pressure;
}

static int reactor_init(struct reactor_group *g, struct reactor *r,
			unsigned id, char *err, size_t errlen)
{
	const struct config *cfg = g->shared.cfg;
	int rc;

	r->id = id;
	r->shared = &g->shared;
	r->cpu = cfg->cpu_count ? cfg->cpus[id % cfg->cpu_count] : -1;
	r->sock_count = 0;
	reactor_query_env(r);
	rc = uv_loop_init(&r->loop);
	if (rc < 0) {
		snprintf(err, errlen, "reactor %u: %s", id, uv_strerror(rc));
		return rc;
	}
	r->loop.data = r;
	rc = uv_async_init(&r->loop, &r->stop_async, reactor_on_stop);
	if (rc == 0)
		rc = uv_timer_init(&r->loop, &r->stop_timer);
	if (rc < 0) {
		snprintf(err, errlen, "reactor %u: %s", id, uv_strerror(rc));
		return rc;
	}
	r->stop_async.data = r;
	r->stop_timer.data = r;
	r->udp = calloc(cfg->listen_count ? cfg->listen_count : 1,
			sizeof(*r->udp));
	r->tcp = calloc(cfg->listen_count ? cfg->listen_count : 1,
			sizeof(*r->tcp));
	r->tcp_resp = malloc(65535);
	if (!r->udp || !r->tcp || !r->tcp_resp || udp_scratch_new(r) < 0 ||
	    tcp_reactor_init(r, cfg->tcp_memory_max / g->n) < 0 ||
	    (cfg->udp_io == CONFIG_UDP_IO_LIBUV && udp_uv_scratch_new(r) < 0)) {
		snprintf(err, errlen, "reactor %u: out of memory", id);
		return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->listen_count; i++) {
		const struct config_listen *l = &cfg->listen[i];
		bool wildcard;
		int fd;

		fd = udp_socket_open(l, cfg->udp_rcvbuf, cfg->udp_sndbuf,
				     g->shared.local_ifindex != 0, &wildcard);
		if (fd < 0) {
			snprintf(err, errlen, "udp %s: %s", l->text,
				 strerror(-fd));
			return fd;
		}
		r->sock_count = (unsigned)i + 1;
		/* The kernel drops what cannot be a query: the eBPF drop
		 * map's program (it does the classic checks too), else the
		 * classic filter; where neither loads, the user-space drop
		 * does it (warned once per address). */
		rc = -1;
		if (g->shared.ebpf &&
		    (rc = ebpf_drop_attach(g->shared.ebpf, fd)) < 0 && id == 0)
			log_warning("udp %s: eBPF drop map not attached (%s): "
				    "over-limit sources dropped in user space",
				    l->text, strerror(-rc));
		if (rc < 0 && cfg->udp_bpf_filter &&
		    (rc = udp_bpf_attach(fd)) < 0 && id == 0)
			log_warning("udp %s: socket filter not attached (%s): "
				    "garbage dropped in user space", l->text,
				    strerror(-rc));
		if (cfg->udp_io == CONFIG_UDP_IO_LIBUV)
			rc = udp_uv_start(r, &r->udp[i], fd, wildcard);
		else
			rc = udp_start(r, &r->udp[i], fd, wildcard);
		if (rc < 0) {
			snprintf(err, errlen, "udp %s: %s", l->text,
				 uv_strerror(rc));
			return rc;
		}
		fd = tcp_socket_open(l);
		if (fd < 0) {
			snprintf(err, errlen, "tcp %s: %s", l->text,
				 strerror(-fd));
			return fd;
		}
		rc = tcp_start(r, &r->tcp[i], fd);
		if (rc < 0) {
			snprintf(err, errlen, "tcp %s: %s", l->text,
				 uv_strerror(rc));
			return rc;
		}
	}
	xdp_reactor_start(g->shared.xdp, r);
	return 0;
}

static void reactor_release(struct reactor *r)
{
	if (r->loop.data == r)
		uv_loop_close(&r->loop);
	udp_scratch_free(r);
	udp_uv_scratch_free(r);
	free(r->tcp_resp);
	tcp_reactor_free(r);
	free(r->udp);
	free(r->tcp);
}

/* Frees the first n reactors (torn down already), the shared tables and g. */
static void reactor_group_release(struct reactor_group *g, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		reactor_release(&g->r[i]);
	rrl_free(g->shared.rrl);
	limits_free(g->shared.limits);
	exist_guard_free(g->shared.names);   /* before the detector it reads */
	attack_free(g->shared.attack);
	dnstap_free(g->shared.dnstap);   /* the writer drains, then ends */
	ebpf_drop_free(g->shared.ebpf);
	conncount_free(g->shared.tcp_prefix);
	xdp_group_free(g->shared.xdp);   /* every loop closed */
	xfrout_policy_free(g->shared.xfr);   /* no reactor runs */
	free(g->r);
	free(g);
}

/* server: exempt-local: the sources udp.c exempts when they come in on
 * the loopback interface. The kernel drop map never lists a prefix that
 * holds one (droplist.h: spared), or a flood from 127.0.0.2 would have the
 * kernel drop this host's own load generator at 127.0.0.1. */
static const struct cidr reactor_local[2] = {
	{ .family = AF_INET, .bits = 32, .addr = { 127, 0, 0, 1 } },
	{ .family = AF_INET6, .bits = 128,
	  .addr = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } },
};

/* server: exempt-local: the loopback interface's index, or 0 (off, or
 * udp-io: libuv, which reads no PKTINFO). Main only: one ioctl. */
static unsigned reactor_local_ifindex(const struct config *cfg)
{
	unsigned lo;

	if (!cfg->exempt_local || cfg->udp_io == CONFIG_UDP_IO_LIBUV)
		return 0;
	lo = if_nametoindex("lo");
	return lo ? lo : 1;   /* Linux numbers loopback 1 in every netns */
}

/* The kernel drop map (server/ebpf_drop.h), when asked for and something
 * can feed it: per-source limits on with a slip other than 1 (with slip 1
 * every over-limit query is challenged, so the kernel may drop none of
 * them; RRL never lists). Keyed at the prefixes the limits decide on.
 * Where it cannot load, one warning: the classic filter and user space do
 * the work. */
static void reactor_ebpf_new(struct reactor_group *g, unsigned n)
{
	const struct config *cfg = g->shared.cfg;
	const struct limits_config *lc = &cfg->limits;
	struct ebpf_drop_config ec = {
		.reactors = n,
		.classic = cfg->udp_bpf_filter,
		.list = {
			.slip = lc->slip,
			.hold_ms = cfg->udp_ebpf_hold_ms,
			.cookies = g->shared.acfg->cookies != NULL,
			.spared = { lc->whitelist, cfg->trusted,
				    reactor_local },
			.spared_count = { lc->whitelist_count,
					  cfg->trusted_count,
					  g->shared.local_ifindex ? 2 : 0 },
		},
	};
	int rc;

	if (!cfg->udp_ebpf_filter || !g->shared.limits ||
	    !lc->queries_per_second)
		return;
	if (lc->slip == 1) {
		log_info("udp-ebpf-filter: no eBPF drop map: limits: slip 1 "
			 "challenges every over-limit query, the kernel may "
			 "drop none");
		return;
	}
	for (size_t i = 0; i < lc->v4_count && i < DROPLIST_MAX_PREFIXES; i++)
		ec.list.v4[ec.list.v4_count++] = lc->v4[i].bits;
	for (size_t i = 0; i < lc->v6_count && i < DROPLIST_MAX_PREFIXES; i++)
		ec.list.v6[ec.list.v6_count++] = lc->v6[i].bits;
	rc = ebpf_drop_new(&ec, &g->shared.ebpf);
	if (rc < 0)
		log_warning("udp-ebpf-filter: eBPF drop map not loaded (%s): "
			    "over-limit sources dropped in user space",
			    strerror(-rc));
	else if (lc->slip == 0)
		log_info("udp-ebpf-filter: eBPF drop map loaded (hold %u ms; "
			 "slip 0: the kernel drops a listed prefix's "
			 "cookie-less datagrams)", cfg->udp_ebpf_hold_ms);
	else
		log_info("udp-ebpf-filter: eBPF drop map loaded (hold %u ms; "
			 "slip %u: the kernel drops at most %u/%u of a listed "
			 "prefix's cookie-less datagrams)",
			 cfg->udp_ebpf_hold_ms, lc->slip, lc->slip - 1,
			 lc->slip);
}

/* The existence filter (server/exist_guard.h), with the attack mode and
 * attack: name-filter on: on what passes it the kernel drop map's program
 * runs next, or it does the classic filter's checks itself. Where it
 * cannot load, one line: the attack mode works without it. */
static void reactor_names_new(struct reactor_group *g)
{
	const struct config *cfg = g->shared.cfg;
	struct exist_guard_config c = {
		.attack = g->shared.attack,
		.capacity = cfg->attack.name_filter_capacity,
		.sample = cfg->attack.name_filter_sample,
		.classic = cfg->udp_bpf_filter,
		.next_prog_fd = ebpf_drop_prog_fd(g->shared.ebpf),
	};
	int rc;

	if (!g->shared.attack || !cfg->attack.name_filter)
		return;
	rc = exist_guard_new(&c, &g->shared.names);
	if (rc == -ENOTSUP)
		log_info("attack: name-filter: not in this build (no clang "
			 "BPF target or libbpf)");
	else if (rc < 0)
		log_warning("attack: name-filter: not loaded (%s): the attack "
			    "mode works without it", strerror(-rc));
}

struct reactor_group *reactor_group_new(const struct config *cfg,
					const struct answer_config *acfg,
					unsigned n, char *err, size_t errlen)
{
	struct reactor_group *g;
	unsigned made = 0;

	if (n == 0)
		n = 1;
	g = calloc(1, sizeof(*g));
	if (!g || !(g->r = calloc(n, sizeof(*g->r)))) {
		free(g);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	g->shared.cfg = cfg;
	g->shared.acfg = acfg;
	for (size_t i = 0; i < cfg->listen_count; i++)
		for (int t = 0; t < 2; t++)
			if (reactor_listen_probe(&cfg->listen[i],
						 t ? SOCK_STREAM : SOCK_DGRAM) ==
			    -EADDRINUSE) {
				snprintf(err, errlen, "listen %s: %s in use by "
					 "another process (SO_REUSEPORT would "
					 "share its queries with it)",
					 cfg->listen[i].text, t ? "TCP" : "UDP");
				free(g->r);
				free(g);
				return NULL;
			}
	/* Under TCP pressure (tcp.c) idle connections are closed after
	 * tcp-pressure-timeout-ms: the RFC 7828 keepalive advertised then
	 * says so (units of 100 ms, at least 1: 0 would mean "close now"). */
	g->acfg_tcp_pressure = *acfg;
	{
		unsigned ka = cfg->limits.tcp_pressure_timeout_ms / 100;

		if (ka == 0)
			ka = 1;
		if (acfg->tcp_keepalive > ka)
			g->acfg_tcp_pressure.tcp_keepalive = (uint16_t)ka;
	}
	g->shared.acfg_tcp_pressure = &g->acfg_tcp_pressure;
	g->n = n;
	/* Open TCP connections per /24 or /56, for tcp-max-clients-per-prefix:
	 * sized for every connection from its own prefix (1 MiB at 16,384). */
	if (!(g->shared.tcp_prefix = conncount_new(cfg->tcp_max_clients,
						   NULL))) {
		snprintf(err, errlen, "tcp: out of memory");
		free(g->r);
		free(g);
		return NULL;
	}
	if (cfg->tcp_memory_max / n < TCP_MEM_REACTOR_MIN)
		log_warning("tcp-memory-max %u over %u reactors is below %u "
			    "bytes each: each reactor gets %u", cfg->tcp_memory_max,
			    n, TCP_MEM_REACTOR_MIN, TCP_MEM_REACTOR_MIN);
	/* One RRL table for every reactor, allocated here once. */
	if (rrl_config_enabled(&cfg->rrl) &&
	    !(g->shared.rrl = rrl_new(&cfg->rrl, NULL, reactor_rrl_log))) {
		snprintf(err, errlen, "rate-limit: out of memory");
		conncount_free(g->shared.tcp_prefix);
		free(g->r);
		free(g);
		return NULL;
	}
	/* Flood defences (docs/flood.md): tables allocated here once. */
	if (limits_config_enabled(&cfg->limits) &&
	    !(g->shared.limits = limits_new(&cfg->limits, NULL))) {
		snprintf(err, errlen, "limits: out of memory");
		goto fail;
	}
	if (cfg->attack.mode != ATTACK_OFF &&
	    !(g->shared.attack = attack_new(&cfg->attack, reactor_attack_log))) {
		snprintf(err, errlen, "attack: out of memory");
		goto fail;
	}
	/* dnstap: a ring per reactor; its writer starts later
	 * (dnstap_start, after the privilege drop). */
	if (cfg->dnstap.on &&
	    !(g->shared.dnstap = dnstap_new(&cfg->dnstap, n, err, errlen)))
		goto fail;
	/* Transfers out: the zones' acl lists and transfers-max. */
	if (!(g->shared.xfr = xfrout_policy_new(cfg, &g->shared.xfr_running))) {
		snprintf(err, errlen, "transfers: out of memory");
		goto fail;
	}
	g->shared.local_ifindex = reactor_local_ifindex(cfg);
	reactor_ebpf_new(g, n);
	reactor_names_new(g);
	/* xdp: entries over AF_XDP, each fallback logged once. */
	g->shared.xdp = xdp_group_new(cfg, n, acfg->udp_max > 512 ?
				      acfg->udp_max : 512);
	for (; made < n; made++) {
		if (reactor_init(g, &g->r[made], made, err, errlen) < 0) {
			made++;   /* partly built: tear it down too */
			goto fail;
		}
	}
	return g;
fail:
	for (unsigned i = 0; i < made; i++)
		reactor_teardown(&g->r[i]);
	reactor_group_release(g, made);
	return NULL;
}

int reactor_group_start(struct reactor_group *g)
{
	sigset_t all, old;
	int rc = 0;

	/* Reactors inherit a mask blocking the signals main handles, so
	 * signals never interrupt their epoll. */
	sigemptyset(&all);
	sigaddset(&all, SIGTERM);
	sigaddset(&all, SIGINT);
	sigaddset(&all, SIGUSR1);
	sigaddset(&all, SIGHUP);
	sigaddset(&all, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (unsigned i = 0; i < g->n; i++) {
		rc = uv_thread_create(&g->r[i].thread, reactor_main, &g->r[i]);
		if (rc < 0)
			break;
		g->r[i].started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	g->running = true;
	if (rc == 0 && g->shared.names)
		rc = exist_guard_start(g->shared.names);
	if (rc < 0) {
		reactor_group_stop(g);
		return rc;
	}
	return 0;
}

const struct attack *reactor_group_attack(const struct reactor_group *g)
{
	return g ? g->shared.attack : NULL;
}

struct dnstap *reactor_group_dnstap(const struct reactor_group *g)
{
	return g ? g->shared.dnstap : NULL;
}

struct exist_guard *reactor_group_names(const struct reactor_group *g)
{
	return g ? g->shared.names : NULL;
}

int reactor_group_set_transfers(struct reactor_group *g,
				const struct config *cfg)
{
	struct xfrout_policy *p = xfrout_policy_new(cfg,
						    &g->shared.xfr_running);

	if (!p)
		return -ENOMEM;
	xfrout_policy_retire(__atomic_exchange_n(&g->shared.xfr, p,
						 __ATOMIC_ACQ_REL));
	return 0;
}

struct notify_in *reactor_group_set_notify_in(struct reactor_group *g,
					       struct notify_in *n)
{
	return __atomic_exchange_n(&g->shared.notify_in, n, __ATOMIC_ACQ_REL);
}

struct notify_in *reactor_group_notify_in(const struct reactor_group *g)
{
	return g ? __atomic_load_n(&g->shared.notify_in, __ATOMIC_ACQUIRE) :
		   NULL;
}

unsigned reactor_group_count(const struct reactor_group *g)
{
	return g->n;
}

void reactor_group_stats(const struct reactor_group *g, unsigned i,
			 struct stats *out)
{
	memset(out, 0, sizeof(*out));
	if (i < g->n)
		stats_snapshot(&g->r[i].stats, out);
	if (i < g->n && g->shared.xdp) {
		uint64_t full, dropped;

		xdp_group_kernel_stats(g->shared.xdp, i, &full, &dropped);
		out->c[STATS_XDP_RING_FULL] += full;
		out->c[STATS_XDP_DROPPED] += dropped;
		if (i == 0)
			out->c[STATS_XDP_PASSED] =
				xdp_group_passed(g->shared.xdp);
	}
}

void reactor_group_stop(struct reactor_group *g)
{
	if (!g || !g->running)
		return;
	g->running = false;
	for (unsigned i = 0; i < g->n; i++) {
		struct reactor *r = &g->r[i];

		if (r->started)
			uv_async_send(&r->stop_async);
		else
			reactor_teardown(r);
	}
	for (unsigned i = 0; i < g->n; i++) {
		if (g->r[i].started) {
			uv_thread_join(&g->r[i].thread);
			g->r[i].started = false;
		}
	}
}

void reactor_group_free(struct reactor_group *g)
{
	if (!g)
		return;
	if (g->running)
		reactor_group_stop(g);
	else
		for (unsigned i = 0; i < g->n; i++)
			reactor_teardown(&g->r[i]);
	reactor_group_release(g, g->n);
}
