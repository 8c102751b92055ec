/* daemon.c -- the daemon's life: start, run, stop, and the zone set.
 *
 * One struct daemon owns what the main thread holds while Levee serves:
 * the main uv loop and its four signal handles, the answer config built
 * from the configuration, the cookie context, the reactor group, and the
 * published zone snapshot (through zdb's global). The configuration itself
 * belongs to main.c, which keeps it alive until daemon_free.
 *
 * Signals are never left to their default action once main.c called
 * daemon_signals_hold(): they stay blocked (pending) until daemon_new has
 * started the libuv handlers, then are unblocked in main; every other
 * thread (the zone loader, the reactors, the log thread) is created with
 * them blocked, so they are delivered to main and handled on its loop. The
 * zones load on a worker thread that main starts and joins, while main runs
 * its loop: that is what lets SIGUSR1 and SIGHUP be answered, and SIGTERM
 * or SIGINT stop the start-up, while a large zone loads (the loader checks
 * a cancel flag before each zone). The loaded snapshot is handed back
 * through the join and published by main. A reload (issue 13) will run
 * daemon_zones_load the same way and publish its result.
 *
 * Order at start (daemon_start): zones, publish, reactors (every socket
 * bound, so a bind error stops us before any thread serves), privilege
 * drop, reactor threads, the "ready" line. Order at stop: reactors joined,
 * loop closed, log thread joined (the reactors' last lines written),
 * cookies and zones freed.
 *
 * Logging: the reactors queue their lines (log.h); main and the loader
 * write theirs themselves, so a stalled stderr stalls at most them, never
 * an answer. SIGUSR1's total line ends with log-dropped N (and
 * assert-failed N: common/assert.h's survived failures), the reactor
 * lines lost to a full queue.
 */
#include "server/daemon.h"

#include "common/assert.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>

#include "common/errcode.h"
#include "ratelimit/cookie.h"
#include "server/answer.h"
#include "server/config.h"
#include "server/log.h"
#include "server/reactor.h"
#include "server/stats.h"
#include "zones/zdb.h"
#include "zones/zload.h"
#include "zones/zone.h"

#ifndef LEVEE_VERSION
#define LEVEE_VERSION "0.0.0"
#endif

enum { DAEMON_SIG_TERM, DAEMON_SIG_INT, DAEMON_SIG_USR1, DAEMON_SIG_HUP,
       DAEMON_SIGS };

static const int daemon_signums[DAEMON_SIGS] = {
	[DAEMON_SIG_TERM] = SIGTERM,
	[DAEMON_SIG_INT] = SIGINT,
	[DAEMON_SIG_USR1] = SIGUSR1,
	[DAEMON_SIG_HUP] = SIGHUP,
};

struct daemon {
	const struct config *cfg;          /* main.c's, outlives d */
	struct answer_config acfg;         /* the reactors read it */
	struct cookie_ctx *cookies;        /* acfg.cookies, or NULL */
	struct reactor_group *group;       /* NULL until created */

	uv_loop_t loop;                    /* main's: signals only */
	bool loop_ready;                   /* uv_loop_init succeeded */
	bool log_queue;                    /* log_queue_start succeeded */
	uv_signal_t sig[DAEMON_SIGS];
	bool start_called;
	bool published;                    /* zdb_shutdown at the end */
	bool stopping;                     /* SIGTERM or SIGINT seen */

	/* Zone loading on a worker thread (daemon_load). The loader writes
	 * load_rc, load_db, loaded and refused; main reads them after the
	 * join. cancel: set by main (relaxed), read by the loader. */
	uv_thread_t loader;
	uv_async_t load_done;
	bool load_finished;
	int cancel;
	int load_rc;
	struct zdb *load_db;
	size_t loaded, refused;
};

static void daemon_sigset(sigset_t *set)
{
	sigemptyset(set);
	for (int i = 0; i < DAEMON_SIGS; i++)
		sigaddset(set, daemon_signums[i]);
}

void daemon_signals_hold(void)
{
	sigset_t set;

	daemon_sigset(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* Raises the open file limit to its hard limit, and warns when that
 * cannot hold tcp_max_clients connections besides the listening sockets
 * (accept would then fail with EMFILE before the cap is reached). */
static void daemon_raise_nofile(unsigned tcp_max_clients)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_warning("cannot raise the open file limit: %s",
				    strerror(errno));
		else if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
			return;
	}
	if (rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)tcp_max_clients + 256)
		log_warning("open file limit %llu is below tcp-max-clients "
			    "%u + 256: lower tcp-max-clients or raise the limit",
			    (unsigned long long)rl.rlim_cur, tcp_max_clients);
}

/* Switches to the configured group and user, if any. 0 or -1 (logged). */
static int daemon_drop_privileges(const struct config *cfg)
{
	uid_t uid = 0;
	gid_t gid = 0;
	bool has_uid = false, has_gid = false;

	if (cfg->user) {
		struct passwd *pw = getpwnam(cfg->user);

		if (!pw) {
			log_error("no such user '%s'", cfg->user);
			return -1;
		}
		uid = pw->pw_uid;
		gid = pw->pw_gid;
		has_uid = has_gid = true;
	}
	if (cfg->group) {
		struct group *gr = getgrnam(cfg->group);

		if (!gr) {
			log_error("no such group '%s'", cfg->group);
			return -1;
		}
		gid = gr->gr_gid;
		has_gid = true;
	}
	if (has_gid) {
		if (setgroups(1, &gid) < 0 || setgid(gid) < 0) {
			log_error("cannot switch to group %u: %s", (unsigned)gid,
				  strerror(errno));
			return -1;
		}
	}
	if (has_uid && setuid(uid) < 0) {
		log_error("cannot switch to user %s: %s", cfg->user,
			  strerror(errno));
		return -1;
	}
	if (has_uid || has_gid)
		log_info("running as user %s group %s",
			 cfg->user ? cfg->user : "(unchanged)",
			 cfg->group ? cfg->group : "(user's)");
	return 0;
}

int daemon_zones_load(const struct config *cfg, const int *cancel,
		      struct zdb **out, size_t *loaded, size_t *refused)
{
	struct zdb *db = zdb_new();
	char err[512];

	*out = NULL;
	*loaded = *refused = 0;
	if (!db) {
		log_error("out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->zone_count; i++) {
		const struct config_zone *cz = &cfg->zones[i];
		struct zone *z = NULL;
		int rc;

		if (cancel && __atomic_load_n(cancel, __ATOMIC_RELAXED)) {
			zdb_free(db);
			return -ECANCELED;
		}
		err[0] = '\0';
		rc = zload_file(cz->domain, cz->file, &z, err, sizeof(err));
		if (rc == 0) {
			uint32_t serial = zone_serial(z);
			size_t records = zone_record_count(z);

			rc = zdb_add(db, z);
			if (rc < 0) {
				zone_free(z);
				snprintf(err, sizeof(err), "%s: %s", cz->file,
					 lv_strerror(rc));
			} else {
				log_info("zone %s loaded from %s: serial %u, "
					 "%zu records", cz->domain, cz->file,
					 serial, records);
			}
		}
		if (rc < 0) {
			log_error("zone %s refused: %s", cz->domain,
				  err[0] ? err : lv_strerror(rc));
			(*refused)++;
			continue;
		}
		(*loaded)++;
	}
	*out = db;
	return 0;
}

static void daemon_on_usr1(uv_signal_t *h, int sig)
{
	struct daemon *d = h->data;
	struct stats sum, s;
	char line[2048];
	unsigned n;

	(void)sig;
	if (!d->group) {
		log_info("SIGUSR1: starting, no counters yet");
		return;
	}
	n = reactor_group_count(d->group);
	memset(&sum, 0, sizeof(sum));
	for (unsigned i = 0; i < n; i++) {
		reactor_group_stats(d->group, i, &s);
		stats_sum(&sum, &s);
		stats_format(&s, line, sizeof(line));
		log_info("reactor %u: %s", i, line);
	}
	stats_format(&sum, line, sizeof(line));
	log_info("total: %s log-dropped %llu assert-failed %llu", line,
		 (unsigned long long)log_dropped(),
		 (unsigned long long)lv_assert_failures());
}

/* SIGTERM, SIGINT: the first one stops (while zones load: the loader stops
 * before its next zone), later ones are ignored. */
static void daemon_on_stop(uv_signal_t *h, int sig)
{
	struct daemon *d = h->data;

	if (d->stopping)
		return;
	d->stopping = true;
	log_info("signal %d: stopping", sig);
	__atomic_store_n(&d->cancel, 1, __ATOMIC_RELAXED);
	uv_stop(h->loop);
}

static void daemon_on_hup(uv_signal_t *h, int sig)
{
	(void)h;
	(void)sig;
	log_info("SIGHUP: reload is not supported yet, ignored");
}

static const uv_signal_cb daemon_sig_cbs[DAEMON_SIGS] = {
	[DAEMON_SIG_TERM] = daemon_on_stop,
	[DAEMON_SIG_INT] = daemon_on_stop,
	[DAEMON_SIG_USR1] = daemon_on_usr1,
	[DAEMON_SIG_HUP] = daemon_on_hup,
};

static void daemon_close_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

/* The answer config and cookies from d->cfg. 0 or a negative errno. */
static int daemon_answer_config(struct daemon *d)
{
	const struct config *cfg = d->cfg;
	struct answer_config *acfg = &d->acfg;
	unsigned ka = (cfg->tcp_keepalive ? cfg->tcp_keepalive :
		       cfg->tcp_idle_timeout) * 10;

	memset(acfg, 0, sizeof(*acfg));
	acfg->udp_max = (uint16_t)cfg->udp_max_payload;
	acfg->nsid = cfg->nsid_len ? cfg->nsid : NULL;
	acfg->nsid_len = (uint16_t)cfg->nsid_len;
	acfg->id_server = cfg->identity;
	acfg->version = cfg->version;
	acfg->tcp_keepalive = (uint16_t)(ka > 65535 ? 65535 : ka);
	acfg->tsig = cfg->tsig;
	if (cfg->cookies.answer) {
		const struct config_cookies *cc = &cfg->cookies;
		struct cookie_params cp = {
			.secret = cc->have_secret ? cc->secret : NULL,
			.secret_previous = cc->have_previous ?
					   cc->secret_previous : NULL,
			.secret_next = cc->have_next ? cc->secret_next : NULL,
			.master_key = cc->have_master ? cc->master_key : NULL,
			.lifetime = cc->lifetime,
		};

		d->cookies = cookie_ctx_new(&cp);
		if (!d->cookies) {
			int rc = errno ? -errno : -ENOMEM;

			log_error("cannot set up cookies: %s", strerror(-rc));
			return rc;
		}
		acfg->cookies = d->cookies;
		acfg->cookie_require = (uint8_t)cc->require;
	}
	return 0;
}

int daemon_new(const struct config *cfg, struct daemon **out)
{
	struct daemon *d = calloc(1, sizeof(*d));
	sigset_t set;
	int rc;

	*out = NULL;
	if (!d) {
		log_error("cannot start: out of memory");
		return -ENOMEM;
	}
	d->cfg = cfg;
	rc = uv_loop_init(&d->loop);
	if (rc < 0) {
		log_error("cannot start: main loop: %s", uv_strerror(rc));
		goto fail;
	}
	d->loop_ready = true;
	for (int i = 0; i < DAEMON_SIGS; i++) {
		rc = uv_signal_init(&d->loop, &d->sig[i]);
		if (rc < 0) {
			log_error("cannot start: signal %d: %s",
				  daemon_signums[i], uv_strerror(rc));
			goto fail;
		}
		d->sig[i].data = d;
		rc = uv_signal_start(&d->sig[i], daemon_sig_cbs[i],
				     daemon_signums[i]);
		if (rc < 0) {
			log_error("cannot start: signal %d: %s",
				  daemon_signums[i], uv_strerror(rc));
			goto fail;
		}
	}
	/* Handled from here on: what arrived while held is delivered now and
	 * waits in libuv's pipe for the loop. */
	daemon_sigset(&set);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	rc = daemon_answer_config(d);
	if (rc < 0)
		goto fail;
	daemon_raise_nofile(cfg->tcp_max_clients);
	signal(SIGPIPE, SIG_IGN);
	rc = log_queue_start();
	if (rc < 0) {
		log_error("cannot start the log thread: %s", uv_strerror(rc));
		goto fail;
	}
	d->log_queue = true;
	*out = d;
	return 0;
fail:
	daemon_free(d);
	return rc;
}

static void daemon_loader_main(void *arg)
{
	struct daemon *d = arg;

	d->load_rc = daemon_zones_load(d->cfg, &d->cancel, &d->load_db,
				       &d->loaded, &d->refused);
	uv_async_send(&d->load_done);
}

static void daemon_on_loaded(uv_async_t *a)
{
	struct daemon *d = a->data;

	uv_thread_join(&d->loader);
	d->load_finished = true;
	uv_close((uv_handle_t *)a, NULL);
}

/* Loads the zones on the loader thread while the loop serves signals.
 * Returns 0 with d->load_db set, -ECANCELED (SIGTERM, SIGINT), or another
 * negative errno (logged). */
static int daemon_load(struct daemon *d)
{
	sigset_t all, old;
	int rc;

	rc = uv_async_init(&d->loop, &d->load_done, daemon_on_loaded);
	if (rc < 0) {
		log_error("cannot load zones: %s", uv_strerror(rc));
		return rc;
	}
	d->load_done.data = d;
	/* The loader (and the parser threads zload starts) block every
	 * signal: main's loop handles them. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = uv_thread_create(&d->loader, daemon_loader_main, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc < 0) {
		log_error("cannot load zones: %s", uv_strerror(rc));
		uv_close((uv_handle_t *)&d->load_done, NULL);
		return rc;
	}
	while (!d->load_finished)
		uv_run(&d->loop, UV_RUN_ONCE);
	if (d->stopping) {
		zdb_free(d->load_db);
		d->load_db = NULL;
		return -ECANCELED;
	}
	return d->load_rc;
}

/* "ADDR@PORT ADDR@PORT ..." of every listen address, cut to len. */
static void daemon_listen_text(const struct config *cfg, char *buf,
			       size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < cfg->listen_count && off < len; i++) {
		int n = snprintf(buf + off, len - off, "%s%s", i ? " " : "",
				 cfg->listen[i].text);

		if (n < 0)
			break;
		off += (size_t)n;
	}
}

int daemon_start(struct daemon *d)
{
	const struct config *cfg = d->cfg;
	char err[512], addrs[1024];
	int rc;

	d->start_called = true;
	rc = daemon_load(d);
	if (rc < 0)
		return rc;
	if (cfg->zone_count == 0)
		log_warning("no zones configured: every query gets REFUSED");
	zdb_publish(d->load_db);
	d->load_db = NULL;
	d->published = true;

	d->group = reactor_group_new(cfg, &d->acfg, cfg->reactors, err,
				     sizeof(err));
	if (!d->group) {
		log_error("cannot start: %s", err);
		return -EADDRNOTAVAIL;
	}
	if (daemon_drop_privileges(cfg) < 0)
		return -EPERM;
	rc = reactor_group_start(d->group);
	if (rc < 0) {
		log_error("cannot start reactor threads: %s", uv_strerror(rc));
		return rc;
	}
	daemon_listen_text(cfg, addrs, sizeof(addrs));
	log_info("levee %s ready: %u reactors, listening %s, zones %zu "
		 "loaded %zu refused", LEVEE_VERSION, cfg->reactors, addrs,
		 d->loaded, d->refused);
	return 0;
}

void daemon_run(struct daemon *d)
{
	if (!d->stopping)
		uv_run(&d->loop, UV_RUN_DEFAULT);
}

void daemon_stop(struct daemon *d)
{
	if (d && d->group)
		reactor_group_stop(d->group);
}

void daemon_free(struct daemon *d)
{
	sigset_t set;

	if (!d)
		return;
	/* From here to exit the signals wait, blocked: closing the handles
	 * gives them back their default action. */
	daemon_sigset(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	daemon_stop(d);
	if (d->loop_ready) {
		uv_walk(&d->loop, daemon_close_walk, NULL);
		uv_run(&d->loop, UV_RUN_DEFAULT);
		if (uv_loop_close(&d->loop) < 0)
			log_warning("main loop: handles left open at exit");
	}
	reactor_group_free(d->group);
	if (d->log_queue)
		log_queue_stop();
	cookie_ctx_free(d->cookies);
	zdb_free(d->load_db);
	if (d->published)
		zdb_shutdown();
	if (d->start_called)
		log_info("levee stopped");
	free(d);
}
