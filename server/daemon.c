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
 * or SIGINT stop the start-up, while a large zone loads (the loaders check
 * a cancel flag before each zone). That worker reads the zone files on up
 * to one thread per CPU (daemon_zones_load: each takes the next zone of
 * the configuration, builds it alone, and the results go into the
 * snapshot in configuration order once all are joined). The loaded
 * snapshot is handed back through the join and published by main. A
 * reload (issue 13) will run daemon_zones_load the same way and publish
 * its result.
 *
 * Order at start (daemon_start): control socket and journal, reactors
 * (every socket bound and every BPF map made, so a bind error stops us
 * before any zone is read), privilege drop, zones (read as the user),
 * publish, reactor threads, the "ready" line. Order at stop: reactors joined,
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
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <urcu-qsbr.h>
#include <uv.h>

#include "common/errcode.h"
#include "ratelimit/attack.h"
#include "ratelimit/cookie.h"
#include "server/answer.h"
#include "server/catalogs.h"
#include "server/config.h"
#include "server/metrics_page.h"
#include "server/ctl.h"
#include "server/dnstap.h"
#include "server/exist_guard.h"
#include "server/service.h"
#include "server/log.h"
#include "server/metrics.h"
#include "server/notify.h"
#include "server/notify_in.h"
#include "server/reactor.h"
#include "server/reload.h"
#include "server/sigcheck.h"
#include "server/sigmask.h"
#include "server/stats.h"
#include "server/worker.h"
#include "server/xfrin.h"
#include "server/tsig.h"
#include "zones/journal.h"
#include "zones/zdb.h"
#include "zones/zload.h"
#include "zones/zone.h"
#include "zones/zone_update.h"

#ifndef LEVEE_VERSION
#define LEVEE_VERSION "0.0.0"
#endif

/* Zone loader threads at most (one per CPU below that). */
#define DAEMON_MAX_LOADERS 16

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

	/* Zones in force: the configuration of the last full reload (owned)
	 * or, before one, cfg's; their states beside the published set. */
	struct config *zcfg;
	struct zstates *zstates;
	time_t started_at;
	struct ctl *ctl;                   /* control socket, or NULL */
	struct metrics *metrics;           /* /metrics (metrics.h), or NULL */
	struct journal *journal;           /* IXFR journal, or NULL */
	struct notifier *notifier;         /* NOTIFY out, made when needed */
	struct xfrin *xfrin;               /* secondary zones (xfrin.h) */
	uv_timer_t sig_timer;              /* signature spans (sigcheck.h) */
	bool sig_timer_ready;
	uv_async_t notify_wake;            /* a NOTIFY in queued a zone */
	bool notify_wake_ready;
	/* Catalog zones consumed (catalogs.h): their member lists; a change
	 * starts a full reload from cat_timer (never inside the hook that
	 * saw it); cat_again: the reload being built left a member out for
	 * a reset, the next puts it back. */
	struct catalogs *catalogs;
	uv_timer_t cat_timer;
	bool cat_timer_ready, cat_again;
	uint64_t cat_last_ms;              /* the last reload it started */

	/* A reload on a worker (daemon_reload_begin). The worker owns job
	 * until it sends reload_done; main reads the result after the join.
	 * again: a full reload asked for while one ran, run next. */
	bool reload_handle;                /* reload_done initialised */
	bool reloading, reload_again;
	uv_thread_t reloader;
	uv_async_t reload_done;
	struct daemon_reload_job {
		struct config *cfg;        /* new (owned), or NULL: zcfg */
		char **only;
		size_t nonly;
		int rc;
		struct zdb *db;
		struct zstates *states;
		struct reload_counts counts;
		char err[256];
		uint64_t t0;
	} job;
	unsigned long reloads_started, reloads_done, reloads_failed;
	struct reload_counts last_counts;
	char last_reload[512];
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

/* Switches to the configured group and user, if any. 0 or -1 (logged).
 * Called once every socket is bound, every BPF map created and program
 * loaded (reactor_group_new), the control socket and the journal opened,
 * and before any zone file is read: from here on files are opened as
 * the user (zones, $INCLUDEs, reloads). The control socket is given to
 * the user, so that levee-ctl run as the service user can talk to it
 * (its mode stays 0600). The LMDB journal is written through the
 * descriptors opened before the drop. */
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
	if (has_uid && cfg->control_listen &&
	    chown(cfg->control_listen, uid, has_gid ? gid : (gid_t)-1) < 0)
		log_warning("control socket %s: cannot give it to user %s: %s",
			    cfg->control_listen, cfg->user, strerror(errno));
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

/* One zone's load, written by the worker that took it, read by
 * daemon_zones_load after every worker is joined. */
struct daemon_zres {
	struct zone *z;           /* loaded, or NULL */
	char *err;                /* why not (malloc), or NULL */
	int rc;
};

/* The zone loaders: each takes the next zone index until none is left or
 * cancel is set. Workers share only next (atomic) and write only their
 * own res[i]; zload_file touches no shared state. */
struct daemon_loaders {
	const struct config *cfg;
	const int *cancel;
	struct daemon_zres *res;
	size_t next;
};

static void daemon_loader_work(void *arg)
{
	struct daemon_loaders *l = arg;
	char err[512];

	for (;;) {
		size_t i = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
		const struct config_zone *cz;
		struct daemon_zres *r;

		if (i >= l->cfg->zone_count)
			return;
		if (l->cancel && __atomic_load_n(l->cancel, __ATOMIC_RELAXED))
			return;
		cz = &l->cfg->zones[i];
		r = &l->res[i];
		/* a secondary: filled by transfers, served at once from its
		 * kept copy when there is one (xfrin.h) */
		if (cz->primaries && (!cz->file || access(cz->file, R_OK)))
			continue;
		err[0] = '\0';
		r->rc = zload_file(cz->domain, cz->file, &r->z, err,
				   sizeof(err));
		if (r->rc == 0)
			r->rc = sigcheck_validate(cz->domain,
						  cz->dnssec_validation, &r->z,
						  err, sizeof(err));
		if (r->rc < 0) {
			r->z = NULL;
			r->err = strdup(err[0] ? err : lv_strerror(r->rc));
		}
	}
}

/* Loader threads for n zones: one per CPU this process may run on, at
 * most DAEMON_MAX_LOADERS, at most n; the calling thread is one of them. */
static unsigned daemon_loader_count(size_t n)
{
	cpu_set_t set;
	int cpus = 1;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		cpus = CPU_COUNT(&set);
	if (cpus > DAEMON_MAX_LOADERS)
		cpus = DAEMON_MAX_LOADERS;
	if ((size_t)cpus > n)
		cpus = (int)n;
	return cpus > 1 ? (unsigned)cpus : 1;
}

/* Runs daemon_loader_work on `threads` threads, this one included. */
static void daemon_loaders_run(struct daemon_loaders *l, unsigned threads)
{
	uv_thread_t tid[DAEMON_MAX_LOADERS];
	unsigned started = 0;

	while (started + 1 < threads &&
	       uv_thread_create(&tid[started], daemon_loader_work, l) == 0)
		started++;
	daemon_loader_work(l);
	for (unsigned i = 0; i < started; i++)
		uv_thread_join(&tid[i]);
}

int daemon_zones_load(const struct config *cfg, const int *cancel,
		      struct zdb **out, size_t *loaded, size_t *refused)
{
	struct daemon_loaders l = { cfg, cancel, NULL, 0 };
	uint64_t t0 = uv_hrtime();
	size_t records = 0;
	bool cancelled;
	struct zdb *db;

	*out = NULL;
	*loaded = *refused = 0;
	db = zdb_new();
	l.res = calloc(cfg->zone_count ? cfg->zone_count : 1, sizeof(*l.res));
	if (!db || !l.res) {
		zdb_free(db);
		free(l.res);
		log_error("out of memory");
		return -ENOMEM;
	}
	daemon_loaders_run(&l, daemon_loader_count(cfg->zone_count));
	cancelled = cancel && __atomic_load_n(cancel, __ATOMIC_RELAXED);
	/* Into the snapshot in configuration order, as one thread would: of
	 * two zones with one apex the first is kept, the second refused. */
	for (size_t i = 0; i < cfg->zone_count; i++) {
		const struct config_zone *cz = &cfg->zones[i];
		struct daemon_zres *r = &l.res[i];
		char err[512];

		if (cancelled) {
			if (r->z)
				zone_free(r->z);
			continue;
		}
		if (cz->primaries && !r->z) {
			if (r->err)
				log_warning("zone %s: its kept copy does not "
					    "load (%s): served after its first "
					    "transfer", cz->domain, r->err);
			else
				log_debug("zone %s: secondary, served after "
					  "its first transfer", cz->domain);
			free(r->err);
			r->err = NULL;
			continue;
		}
		if (r->z) {
			uint32_t serial = zone_serial(r->z);
			size_t n = zone_record_count(r->z);
			int rc = zdb_add(db, r->z);

			if (rc == 0) {
				log_debug("zone %s loaded from %s: serial %u, "
					  "%zu records", cz->domain, cz->file,
					  serial, n);
				sigcheck_report(cz->domain, r->z,
						(uint32_t)time(NULL),
						sigcheck_margin());
				if (zone_nsec3_iterations(r->z) > 0)
					log_warning("zone %s: NSEC3 with %d "
						    "extra iterations (RFC 9276: "
						    "0; refused above %d)",
						    cz->domain,
						    zone_nsec3_iterations(r->z),
						    zone_nsec3_iter_max());
				records += n;
				(*loaded)++;
				continue;
			}
			zone_free(r->z);
			snprintf(err, sizeof(err), "%s: %s", cz->file,
				 lv_strerror(rc));
		} else {
			snprintf(err, sizeof(err), "%s",
				 r->err ? r->err : "out of memory");
		}
		log_error("zone %s refused: %s", cz->domain, err);
		(*refused)++;
	}
	for (size_t i = 0; i < cfg->zone_count; i++)
		free(l.res[i].err);
	free(l.res);
	if (cancelled) {
		zdb_free(db);
		return -ECANCELED;
	}
	log_info("%zu zones loaded, %zu refused, %zu records, %.3f s",
		 *loaded, *refused, records, (double)(uv_hrtime() - t0) / 1e9);
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
	if (!d->group || !d->published) {   /* the zones still load */
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
	{
		const struct dnstap *tap = reactor_group_dnstap(d->group);
		char taps[96] = "";

		if (tap)   /* the writer's own counts, dnstap: on only */
			snprintf(taps, sizeof(taps), " dnstap-written %llu "
				 "dnstap-discarded %llu",
				 (unsigned long long)dnstap_written(tap),
				 (unsigned long long)dnstap_discarded(tap));
		char names[128] = "";
		struct exist_guard_stats ns;

		if (reactor_group_names(d->group) &&
		    exist_guard_stats(reactor_group_names(d->group), &ns) == 0)
			snprintf(names, sizeof(names), " name-filter-dropped "
				 "%llu name-filter-sampled %llu "
				 "name-filter-passed %llu",
				 (unsigned long long)ns.counters[EXIST_FILTER_DROP],
				 (unsigned long long)
				 ns.counters[EXIST_FILTER_SAMPLED],
				 (unsigned long long)
				 (ns.counters[EXIST_FILTER_OTHER] +
				  ns.counters[EXIST_FILTER_NONE] +
				  ns.counters[EXIST_FILTER_EXISTS] +
				  ns.counters[EXIST_FILTER_BELOW]));
		log_info("total: %s%s%s log-dropped %llu assert-failed %llu",
			 line, taps, names, (unsigned long long)log_dropped(),
			 (unsigned long long)lv_assert_failures());
	}
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
	service_stopping();
	__atomic_store_n(&d->cancel, 1, __ATOMIC_RELAXED);
	uv_stop(h->loop);
}

/* --- reload (reload.h): SIGHUP and levee-ctl reload --- */

static const struct config *daemon_zcfg(const struct daemon *d)
{
	return d->zcfg ? d->zcfg : d->cfg;
}

static uint64_t daemon_now_ms(void)
{
	return uv_hrtime() / 1000000;
}

/* Run once on liburcu's call_rcu thread (daemon_start): that thread
 * only frees what the others retired. */
static struct rcu_head daemon_bg_rcu;

static void daemon_rcu_background(struct rcu_head *head)
{
	(void)head;
	worker_background();
}

static void daemon_reloader_main(void *arg)
{
	struct daemon *d = arg;
	struct daemon_reload_job *j = &d->job;
	const struct config *cfg = j->cfg ? j->cfg : daemon_zcfg(d);

	/* below the reactors (worker.h); zload's parser threads inherit it */
	worker_background();
	j->rc = reload_run(cfg, (const char *const *)j->only, j->nonly,
			   daemon_zcfg(d), d->zstates, zdb_current(), d->journal, time(NULL),
			   &j->db,
			   &j->states, &j->counts, j->err, sizeof(j->err));
	uv_async_send(&d->reload_done);
}

static void daemon_job_clear(struct daemon_reload_job *j)
{
	for (size_t i = 0; i < j->nonly; i++)
		free(j->only[i]);
	free(j->only);
	if (j->cfg) {
		config_free(j->cfg);
		free(j->cfg);
	}
	memset(j, 0, sizeof(*j));
}

static void daemon_reload_begin(struct daemon *d);

/* The state of the zone named domain: the table follows the order of the
 * configuration in force, so its index is the configured zone's (found
 * by the configuration's name index: O(1)). NULL when not configured. */
static const struct zstate *daemon_zstate(const struct daemon *d,
					  const char *domain)
{
	const struct config *cfg = daemon_zcfg(d);
	const struct config_zone *cz = config_find_zone(cfg, domain);
	size_t i = cz ? (size_t)(cz - cfg->zones) : SIZE_MAX;

	return d->zstates && i < d->zstates->count ? &d->zstates->z[i] : NULL;
}

/* NOTIFY (notify.h) of zone state z's served version to every remote its
 * configuration lists. Returns how many were started. */
static unsigned daemon_notify_zone(struct daemon *d, const struct zstate *z)
{
	const struct config *cfg = daemon_zcfg(d);
	const struct config_zone *cz = config_find_zone(cfg, z->domain);
	const struct rrset *soa;
	unsigned started = 0;
	char err[256];

	if (!cz || !cz->notify || !z->zone)
		return 0;
	if (!d->notifier &&
	    !(d->notifier = notifier_new(&d->loop, 0, err, sizeof(err)))) {
		log_error("zone %s: no NOTIFY: %s", z->domain, err);
		return 0;
	}
	soa = zone_soa(z->zone);
	for (size_t i = 0; i < cfg->remote_count; i++) {
		const struct config_remote *rm = &cfg->remotes[i];
		size_t rl = 10 + ((size_t)soa->wire[8] << 8 | soa->wire[9]);

		if (!(cz->notify >> i & 1))
			continue;
		if (notifier_send(d->notifier, z->domain, zone_apex(z->zone),
				  z->serial, soa->wire, rl,
				  (const struct sockaddr *)&rm->addr.addr,
				  rm->addr.addrlen, rm->key < 0 ? NULL :
				  tsig_keyring_key(cfg->tsig, (size_t)rm->key))
		    == 0)
			started++;
		else
			log_warning("zone %s: NOTIFY to %s (%s) not sent",
				    z->domain, rm->id, rm->addr.text);
	}
	return started;
}

/* NOTIFY in (notify_in.h): each zone queued by the reactors gets a
 * check (merged with one running). */
static void daemon_notified(void *arg, const char *domain)
{
	struct daemon *d = arg;

	log_debug("zone %s: NOTIFY in: SOA check", domain);
	if (d->xfrin)
		xfrin_refresh(d->xfrin, domain, false);
}

static void daemon_on_notify_in(uv_async_t *a)
{
	struct daemon *d = a->data;

	notify_in_drain(reactor_group_notify_in(d->group), daemon_notified, d);
}

static void daemon_notify_wake(void *arg)
{
	struct daemon *d = arg;

	uv_async_send(&d->notify_wake);
}

/* The NOTIFY-in table of cfg published, the old one drained, retired. */
static void daemon_set_notify_in(struct daemon *d, const struct config *cfg)
{
	struct notify_in *old;

	if (!d->group || !d->notify_wake_ready)
		return;
	old = reactor_group_set_notify_in(d->group,
					  notify_in_new(cfg, daemon_notify_wake,
							d));
	notify_in_drain(old, daemon_notified, d);
	notify_in_retire(old);
}

/* xfrin's hooks (xfrin.h): the served version of a secondary, and a
 * transferred version published as a reload publishes (zdb_with, one
 * swap; xfrin has journaled its change, or cleared the chain after an
 * AXFR) and NOTIFY sent to its own secondaries. Nothing is published while a reload runs (its result is
 * built from the snapshot it started with). */
static const struct zone *daemon_xfr_served(void *arg, const char *domain)
{
	const struct zstate *z = daemon_zstate(arg, domain);

	return z ? z->zone : NULL;
}

/* --- signature spans (sigcheck.h) --- */

static void daemon_sig_check(struct daemon *d);

static void daemon_on_sig_timer(uv_timer_t *t)
{
	daemon_sig_check(t->data);
}

/* Rechecks every served zone's signature span (logging what time
 * changed) and sets the timer for the next change of any, at most
 * SIGCHECK_MAX_WAIT away: O(zones) a tick, a few a day for a signed zone
 * (entering the margin, expiring, an inception passing), hourly
 * otherwise. Main only. */
static void daemon_sig_check(struct daemon *d)
{
	uint32_t now = (uint32_t)time(NULL), m = sigcheck_margin();
	uint32_t next = SIGCHECK_MAX_WAIT;

	if (!d->sig_timer_ready || d->stopping)
		return;
	for (size_t i = 0; d->zstates && i < d->zstates->count; i++) {
		struct zstate *z = &d->zstates->z[i];
		uint32_t n;

		if (!z->zone)
			continue;
		sigcheck_recheck(z->domain, z->zone, now, m, &z->sig);
		n = sigcheck_next(&z->sig, now, m);
		if (n < next)
			next = n;
	}
	uv_timer_start(&d->sig_timer, daemon_on_sig_timer,
		       (uint64_t)next * 1000, 0);
}

/* A new version of zone z (a transfer): its span told, and the timer
 * brought forward when it changes state before the timer is due. */
static void daemon_sig_new_version(struct daemon *d, struct zstate *z)
{
	uint32_t now = (uint32_t)time(NULL), m = sigcheck_margin(), n;

	z->sig = sigcheck_report(z->domain, z->zone, now, m);
	if (!d->sig_timer_ready)
		return;
	n = sigcheck_next(&z->sig, now, m);
	if ((uint64_t)n * 1000 < uv_timer_get_due_in(&d->sig_timer))
		uv_timer_start(&d->sig_timer, daemon_on_sig_timer,
			       (uint64_t)n * 1000, 0);
}

/* Marks the versions in s of the catalog zones of cfg (s made for cfg)
 * as not answered to queries, and the others as answered (a zone whose
 * catalog-role went). Before they are published. A version served now
 * changes in place: the name filter is told first (its names answered
 * REFUSED, or again from data, are then never dropped in between). The
 * caller calls exist_guard_published once it published. O(zones). */
static void daemon_hide_catalogs(struct daemon *d, const struct config *cfg,
				 const struct zstates *s)
{
	for (size_t i = 0; s && i < s->count && i < cfg->zone_count; i++) {
		const struct zone *z = s->z[i].zone;
		bool hide = cfg->zones[i].catalog;

		if (!z)
			continue;
		if (!(zone_serve_state(z) & ZONE_SERVE_HIDDEN) != !hide)
			exist_guard_changing(reactor_group_names(d->group),
					     zone_apex(z));
		zone_set_hidden(z, hide);
	}
}

#define DAEMON_CATALOG_GAP_MS 1000

static void daemon_on_cat_timer(uv_timer_t *t)
{
	struct daemon *d = t->data;

	d->cat_last_ms = daemon_now_ms();
	log_info("catalog members changed: reload");
	daemon_reload_begin(d);
}

/* A catalog's member list changed: a full reload applies it, started
 * from the loop (so never inside a hook of xfrin or of a reload). */
static void daemon_catalog_changed(struct daemon *d)
{
	uint64_t now = daemon_now_ms(), at;

	if (!d->cat_timer_ready || d->stopping ||
	    uv_is_active((uv_handle_t *)&d->cat_timer))
		return;
	/* at most one reload a DAEMON_CATALOG_GAP_MS for catalog changes:
	 * a primary changing its catalog all the time gets them merged */
	at = d->cat_last_ms + DAEMON_CATALOG_GAP_MS;
	uv_timer_start(&d->cat_timer, daemon_on_cat_timer,
		       d->cat_last_ms && at > now ? at - now : 0, 0);
}

/* Reads the served version of every catalog zone in force. */
static void daemon_catalogs_read(struct daemon *d)
{
	const struct config *cfg = daemon_zcfg(d);
	bool changed = false;

	if (!d->catalogs || !d->zstates)
		return;
	catalogs_prune(d->catalogs, cfg);
	for (size_t i = 0; i < cfg->zone_count && i < d->zstates->count; i++) {
		int rc;

		if (!cfg->zones[i].catalog || !d->zstates->z[i].zone)
			continue;
		rc = catalogs_update(d->catalogs, cfg->zones[i].domain,
				     d->zstates->z[i].zone);
		if (rc < 0)
			log_error("catalog %s: out of memory: its members stay "
				  "as they are", cfg->zones[i].domain);
		changed |= rc == 1;
	}
	if (changed)
		daemon_catalog_changed(d);
}

static int daemon_xfr_publish(void *arg, const char *domain, struct zone *zn,
			      enum xfr_kind kind)
{
	struct daemon *d = arg;
	struct zstate *z = (struct zstate *)daemon_zstate(d, domain);
	const struct config_zone *cz;
	struct zdb *next;

	if (d->reloading || !d->published || d->stopping) {
		zone_free(zn);
		return LV_EBUSY;
	}
	if (!z) {
		zone_free(zn);
		return -ENOENT;
	}
	if (!zn && !z->zone)
		return 0;
	if (!zn) {
		/* expired: a version marked so (SERVFAIL, EDE 24) */
		char err[128];
		int rc = zone_update_expired(z->zone, &zn, err, sizeof(err));

		if (rc < 0) {
			log_error("zone %s: cannot mark expired: %s", domain,
				  err);
			return rc;
		}
		kind = XFR_NONE;
	}
	cz = config_find_zone(daemon_zcfg(d), domain);
	zone_set_hidden(zn, cz && cz->catalog);
	next = zdb_with(zdb_current(), zn);
	if (!next) {
		zone_free(zn);
		return -ENOMEM;
	}
	/* the filter passes the zone until a set holding this version is in
	 * (exist_guard.h): no name of it is ever dropped in between */
	exist_guard_changing(reactor_group_names(d->group), zone_apex(zn));
	zdb_publish(next);
	exist_guard_published(reactor_group_names(d->group));
	z->zone = zn;
	z->serial = zone_serial(zn);
	z->loaded_at = time(NULL);
	daemon_sig_new_version(d, z);
	snprintf(z->error, sizeof(z->error), "%s",
		 kind == XFR_NONE ? "expired: SERVFAIL until a transfer" : "");
	if (kind != XFR_NONE)
		daemon_notify_zone(d, z);
	if (kind != XFR_NONE && cz && cz->catalog) {
		int rc = catalogs_update(d->catalogs, domain, zn);

		if (rc < 0)
			log_error("catalog %s: out of memory: its members stay "
				  "as they are", domain);
		if (rc == 1)
			daemon_catalog_changed(d);
	}
	return 0;
}

static void daemon_on_reloaded(uv_async_t *a)
{
	struct daemon *d = a->data;
	struct daemon_reload_job *j = &d->job;
	const struct reload_counts *c = &j->counts;

	if (!d->reloading)
		return;
	uv_thread_join(&d->reloader);
	d->reloading = false;
	if (j->rc == 0) {
		/* The zones' acl lists before the zones: a zone added comes
		 * with its own, one whose acl went is never served with it. */
		if (j->cfg && reactor_group_set_transfers(d->group, j->cfg) < 0)
			log_error("reload: transfers: out of memory: the acl "
				  "lists of the zones stay as they were");
		daemon_hide_catalogs(d, j->cfg ? j->cfg : daemon_zcfg(d),
				     j->states);
		if (j->db) {
			struct exist_guard *names =
				reactor_group_names(d->group);

			exist_guard_db_changing(names, zdb_current(), j->db);
			zdb_publish(j->db);
			j->db = NULL;
		}
		/* the snapshot, or the versions hidden in place, are live */
		exist_guard_published(reactor_group_names(d->group));
		zstates_free(d->zstates);
		d->zstates = j->states;
		j->states = NULL;
		if (j->cfg) {
			struct config *old = d->zcfg;

			d->zcfg = j->cfg;
			j->cfg = NULL;
			if (d->xfrin && xfrin_configure(d->xfrin, d->zcfg) < 0)
				log_error("reload: secondaries: out of memory: "
					  "their table stays as it was");
			daemon_set_notify_in(d, d->zcfg);
			/* the members gone lose their copies: after the
			 * publish (no version is read from them) and after
			 * xfrin_configure (which waits for a write of theirs
			 * still running, so none comes after the unlink) */
			catalogs_remove_files(old ? old : d->cfg, d->zcfg);
			if (old) {
				config_free(old);
				free(old);
			}
		}
		for (size_t i = 0; i < d->zstates->count; i++)
			if (d->zstates->z[i].changed)
				daemon_notify_zone(d, &d->zstates->z[i]);
		daemon_sig_check(d);   /* the timer for the new versions */
		daemon_catalogs_read(d);
		if (d->cat_again) {     /* the members a reset left out */
			d->cat_again = false;
			d->reload_again = true;
		}
		d->last_counts = *c;
		snprintf(d->last_reload, sizeof(d->last_reload),
			 "%zu reloaded, %zu added, %zu removed, %zu "
			 "unchanged, %zu kept (serial not higher), %zu failed, "
			 "%.3f s", c->reloaded, c->added, c->removed,
			 c->unchanged, c->kept, c->failed,
			 (double)(daemon_now_ms() - j->t0) / 1000);
		if (c->failed)
			d->reloads_failed++;
	} else {
		snprintf(d->last_reload, sizeof(d->last_reload), "failed: %s",
			 j->err[0] ? j->err : lv_strerror(j->rc));
		d->reloads_failed++;
	}
	d->reloads_done++;
	log_info("reload %lu: %s", d->reloads_done, d->last_reload);
	daemon_job_clear(j);
	if (d->reload_again && !d->stopping) {
		d->reload_again = false;
		daemon_reload_begin(d);
	}
}

static bool daemon_str_differs(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0);
}

/* Whether two dnstap: sections differ in anything. */
static bool daemon_dnstap_changed(const struct dnstap_config *a,
				  const struct dnstap_config *b)
{
	return a->on != b->on || a->unix_socket != b->unix_socket ||
	       daemon_str_differs(a->sink, b->sink) ||
	       daemon_str_differs(a->identity, b->identity) ||
	       daemon_str_differs(a->version, b->version) ||
	       a->log_queries != b->log_queries ||
	       a->log_responses != b->log_responses ||
	       a->sample != b->sample || a->sample_attack != b->sample_attack;
}

/* Reads the configuration file again for a full reload: its zones (and
 * the zones given with -z, kept). Settings that only a restart applies are
 * named in a warning. NULL with the reason logged. */
static struct config *daemon_reread_config(struct daemon *d, char *err,
					   size_t errlen)
{
	const struct config *old = d->cfg;
	struct config *c = malloc(sizeof(*c));

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	config_init(c);
	if (old->path && config_load(c, old->path, err, errlen) < 0) {
		config_free(c);
		free(c);
		return NULL;
	}
	for (size_t i = 0; i < old->zone_count; i++) {
		const struct config_zone *z = &old->zones[i];

		if (z->line == 0 &&
		    config_add_zone(c, z->domain, z->file, 0, err, errlen) < 0) {
			config_free(c);
			free(c);
			return NULL;
		}
	}
	bool listen_same = c->listen_count == 0 ||
			   c->listen_count == old->listen_count;

	for (size_t i = 0; listen_same && i < c->listen_count; i++)
		listen_same = strcmp(c->listen[i].text, old->listen[i].text) == 0;
	if (!listen_same)
		log_warning("reload: server: listen changed: takes effect "
			    "after a restart");
	if (c->reactors && c->reactors != old->reactors)
		log_warning("reload: server: reactors changed: takes effect "
			    "after a restart");
	if (memcmp(&c->rrl, &old->rrl, sizeof(c->rrl)) ||
	    memcmp(&c->limits, &old->limits, sizeof(c->limits)) ||
	    memcmp(&c->attack, &old->attack, sizeof(c->attack)))
		log_warning("reload: rate-limit, limits or attack changed: "
			    "takes effect after a restart");
	/* The endpoint is bound, and the zones' counter lines sized, at
	 * start-up only (metrics.h, reactor.c). */
	bool mlisten = c->metrics != old->metrics ||
		       (c->metrics && strcmp(c->metrics_listen.text,
					     old->metrics_listen.text) != 0);
	bool mzone = c->metrics_per_zone != old->metrics_per_zone;

	if (mlisten || mzone)
		log_warning("reload: metrics: %s changed: takes effect after "
			    "a restart", mlisten && mzone ? "listen and per-zone" :
			    mlisten ? "listen" : "per-zone");
	/* The writer, its rings and the sampling are made at start-up
	 * (reactor.c); so are the process-wide DNSSEC settings (main.c). */
	if (daemon_dnstap_changed(&c->dnstap, &old->dnstap))
		log_warning("reload: dnstap: changed: takes effect after a "
			    "restart");
	if (c->sig_margin != old->sig_margin ||
	    c->nsec3_iter_max != old->nsec3_iter_max)
		log_warning("reload: server: signature-expiry-margin or "
			    "nsec3-iterations-max changed: takes effect after a "
			    "restart");
	bool trusted_same = c->trusted_count == old->trusted_count;

	for (size_t i = 0; trusted_same && i < c->trusted_count; i++)
		trusted_same = memcmp(&c->trusted[i], &old->trusted[i],
				      sizeof(c->trusted[i])) == 0;
	size_t nk = tsig_keyring_count(c->tsig);
	bool keys_same = nk == tsig_keyring_count(old->tsig);

	for (size_t i = 0; keys_same && i < nk; i++)
		keys_same = strcmp((const char *)tsig_key_name(
				   tsig_keyring_key(c->tsig, i)),
				   (const char *)tsig_key_name(
				   tsig_keyring_key(old->tsig, i))) == 0;
	if (!keys_same)
		log_warning("reload: key: changed: the keys queries are "
			    "checked with change after a restart");
	if (!trusted_same)
		log_warning("reload: acl addresses changed: who may transfer "
			    "a zone follows now, the addresses that bypass "
			    "the rate limits after a restart");
	if (catalogs_add_members(d->catalogs, c, daemon_zcfg(d),
				 &d->cat_again) < 0) {
		snprintf(err, errlen, "out of memory (catalog members)");
		config_free(c);
		free(c);
		return NULL;
	}
	return c;
}

/* Starts a reload of every zone (full: the configuration read again) or,
 * with d->job.only set by the caller, of those zones. */
static void daemon_reload_start_job(struct daemon *d)
{
	sigset_t old;
	int rc;

	d->job.t0 = daemon_now_ms();
	sigmask_block_all(&old);
	rc = uv_thread_create(&d->reloader, daemon_reloader_main, d);
	sigmask_restore(&old);
	if (rc < 0) {
		log_error("reload: cannot start its thread: %s",
			  uv_strerror(rc));
		daemon_job_clear(&d->job);
		d->reloads_started++;
		d->reloads_done++;
		d->reloads_failed++;
		return;
	}
	d->reloading = true;
	d->reloads_started++;
}

/* A full reload (SIGHUP, levee-ctl reload): queued when one runs. */
static void daemon_reload_begin(struct daemon *d)
{
	char err[512];

	if (!d->reload_handle || !d->published || d->stopping)
		return;
	if (d->reloading) {
		d->reload_again = true;
		return;
	}
	memset(&d->job, 0, sizeof(d->job));
	d->job.cfg = daemon_reread_config(d, err, sizeof(err));
	if (!d->job.cfg) {
		log_error("reload: configuration not read, nothing changed: %s",
			  err);
		d->reloads_started++;
		d->reloads_done++;
		d->reloads_failed++;
		snprintf(d->last_reload, sizeof(d->last_reload),
			 "failed: %.480s", err);
		return;
	}
	daemon_reload_start_job(d);
}

static void daemon_on_hup(uv_signal_t *h, int sig)
{
	struct daemon *d = h->data;

	(void)sig;
	if (!d->published) {
		log_info("SIGHUP: zones are still loading: no reload");
		return;
	}
	log_info("SIGHUP: reload");
	daemon_reload_begin(d);
}

/* --- the control socket's commands (ctl.h; levee-ctl) --- */

static void cmd_status(struct daemon *d, int argc, char **argv,
		       struct ctl_reply *r)
{
	size_t served = 0, n = d->zstates ? d->zstates->count : 0;
	struct notify_stats ns = { 0, 0, 0, 0, 0 };

	(void)argc;
	(void)argv;
	if (d->notifier)
		notifier_stats(d->notifier, &ns);
	for (size_t i = 0; i < n; i++)
		served += d->zstates->z[i].zone != NULL;
	ctl_reply_printf(r, "version: %s\nstate: %s\nuptime: %lld\n"
			 "reactors: %u\nzones: %zu\nzones-served: %zu\n"
			 "reload: %s\nreloads-started: %lu\nreloads-done: %lu\n"
			 "reloads-failed: %lu\nlast-reload: %s\n"
			 "notify-sent: %lu\nnotify-answered: %lu\n"
			 "notify-refused: %lu\nnotify-gave-up: %lu\n"
			 "notify-pending: %lu\n",
			 LEVEE_VERSION,
			 d->group && d->published ? "running" : "starting",
			 (long long)(time(NULL) - d->started_at),
			 d->group ? reactor_group_count(d->group) : 0, n,
			 served, d->reloading ? "running" : "idle",
			 d->reloads_started, d->reloads_done,
			 d->reloads_failed,
			 d->last_reload[0] ? d->last_reload : "none",
			 ns.sent, ns.answered, ns.refused, ns.gave_up,
			 ns.pending);
}

static void cmd_reload(struct daemon *d, int argc, char **argv,
		       struct ctl_reply *r)
{
	if (!d->published) {
		ctl_error(r, "zones are still loading");
		return;
	}
	if (argc == 1) {
		bool queued = d->reloading;

		daemon_reload_begin(d);
		ctl_reply_printf(r, "reload %lu %s\n", d->reloads_started +
				 (queued ? 1 : 0), queued ? "queued" :
				 "started");
		return;
	}
	if (d->reloading) {
		ctl_error(r, "a reload is running: try again when "
			  "'status' says reload: idle");
		return;
	}
	memset(&d->job, 0, sizeof(d->job));
	d->job.only = calloc((size_t)argc - 1, sizeof(char *));
	for (int i = 1; d->job.only && i < argc; i++) {
		if (!(d->job.only[d->job.nonly] = strdup(argv[i])))
			break;
		d->job.nonly++;
		if (!daemon_zstate(d, argv[i])) {
			ctl_error(r, "zone %s is not configured", argv[i]);
			daemon_job_clear(&d->job);
			return;
		}
	}
	if (!d->job.only || d->job.nonly != (size_t)argc - 1) {
		daemon_job_clear(&d->job);
		ctl_error(r, "out of memory");
		return;
	}
	daemon_reload_start_job(d);
	ctl_reply_printf(r, "reload %lu started\n", d->reloads_started);
}

static void fmt_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!t || !gmtime_r(&t, &tm))
		snprintf(buf, len, "-");
	else
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void zone_status_line(struct daemon *d, const struct zstate *z,
			     struct ctl_reply *r)
{
	struct journal_info ji = { 0, 0, 0, 0 };
	char loaded[32];

	fmt_time(z->loaded_at, loaded, sizeof(loaded));
	if (d->journal && z->zone)
		journal_info(d->journal, zone_apex(z->zone), &ji);
	ctl_reply_printf(r, "%s: state %s, serial %u, records %zu, file %s, "
			 "loaded %s, journal %u changes %llu bytes, error %s\n",
			 z->domain, z->zone ? "served" : "not-served",
			 z->zone ? z->serial : 0,
			 z->zone ? zone_record_count(z->zone) : 0,
			 z->file ? z->file : "-",
			 loaded, ji.count, (unsigned long long)ji.bytes,
			 z->error[0] ? z->error : "-");
	if (z->zone) {   /* the span now: the line says what time did */
		uint32_t now = (uint32_t)time(NULL);
		struct sigcheck_state s = sigcheck_of(z->zone, now,
						      sigcheck_margin());
		static const char *const level[] = {
			"unsigned", "ok", "expiring", "expired"
		};
		char e[32], i[32];

		if (s.level != SIGCHECK_UNSIGNED)
			ctl_reply_printf(r, "%s: rrsig %s, expire %s, expire-in "
					 "%lld s, inception %s%s\n", z->domain,
					 level[s.level],
					 sigcheck_time(s.expire, now, e,
						       sizeof(e)),
					 (long long)sigcheck_left(&s, now),
					 sigcheck_time(s.inception, now, i,
						       sizeof(i)),
					 s.not_yet ? " (not yet valid)" : "");
	}
	if (d->xfrin) {
		char sec[600];

		if (xfrin_zone_status(d->xfrin, z->domain, sec, sizeof(sec)))
			ctl_reply_printf(r, "%s: %s\n", z->domain, sec);
	}
	{
		const struct config_zone *cz =
			config_find_zone(daemon_zcfg(d), z->domain);
		char cat[400];

		if (cz && cz->catalog &&
		    catalogs_status(d->catalogs, z->domain, cat, sizeof(cat)))
			ctl_reply_printf(r, "%s: %s\n", z->domain, cat);
		else if (cz && cz->catalog)
			ctl_reply_printf(r, "%s: catalog: none read\n",
					 z->domain);
		if (cz && cz->member_of)
			ctl_reply_printf(r, "%s: member of catalog %s, "
					 "template %s\n", z->domain,
					 cz->member_of,
					 daemon_zcfg(d)->templates[
						 cz->member_template].id);
	}
}

static void cmd_zone_status(struct daemon *d, int argc, char **argv,
			    struct ctl_reply *r)
{
	if (!d->zstates) {
		ctl_error(r, "zones are still loading");
		return;
	}
	if (argc == 1) {
		for (size_t i = 0; i < d->zstates->count; i++)
			zone_status_line(d, &d->zstates->z[i], r);
		return;
	}
	for (int i = 1; i < argc; i++) {
		const struct zstate *z = daemon_zstate(d, argv[i]);

		if (!z) {
			ctl_error(r, "zone %s is not configured", argv[i]);
			return;
		}
		zone_status_line(d, z, r);
	}
}

static void stats_json(const struct stats *s, struct ctl_reply *r)
{
	ctl_reply_printf(r, "{");
	for (int i = 0; i < STATS_COUNT; i++)
		ctl_reply_printf(r, "%s\"%s\": %llu", i ? ", " : "",
				 stats_name((enum stats_counter)i),
				 (unsigned long long)s->c[i]);
	ctl_reply_printf(r, "}");
}

static void cmd_stats(struct daemon *d, int argc, char **argv,
		      struct ctl_reply *r)
{
	struct stats sum, s;
	unsigned n = d->group ? reactor_group_count(d->group) : 0;

	(void)argc;
	(void)argv;
	memset(&sum, 0, sizeof(sum));
	ctl_reply_printf(r, "{\"reactors\": [");
	for (unsigned i = 0; i < n; i++) {
		reactor_group_stats(d->group, i, &s);
		stats_sum(&sum, &s);
		ctl_reply_printf(r, "%s", i ? ", " : "");
		stats_json(&s, r);
	}
	ctl_reply_printf(r, "], \"total\": ");
	stats_json(&sum, r);
	if (d->xfrin) {
		struct xfrin_stats xs;

		xfrin_stats(d->xfrin, &xs);
		ctl_reply_printf(r, ", \"xfrin\": {\"checks\": %lu, \"axfr\": "
				 "%lu, \"ixfr\": %lu, \"uptodate\": %lu, "
				 "\"failed\": %lu, \"ixfr-fallback\": %lu, "
				 "\"expired\": %lu, \"running\": %lu, "
				 "\"queued\": %lu}", xs.checks, xs.axfr,
				 xs.ixfr, xs.uptodate, xs.failed,
				 xs.ixfr_fallback, xs.expired, xs.running,
				 xs.queued);
	}
	if (reactor_group_dnstap(d->group)) {
		const struct dnstap *tap = reactor_group_dnstap(d->group);

		ctl_reply_printf(r, ", \"dnstap\": {\"connected\": %s, "
				 "\"written\": %llu, \"discarded\": %llu}",
				 dnstap_connected(tap) ? "true" : "false",
				 (unsigned long long)dnstap_written(tap),
				 (unsigned long long)dnstap_discarded(tap));
	}
	if (reactor_group_names(d->group)) {
		struct exist_guard_stats ns;
		const uint64_t *c = ns.counters;

		(void)exist_guard_stats(reactor_group_names(d->group), &ns);
		ctl_reply_printf(r, ", \"name-filter\": {\"engaged\": %s, "
				 "\"loaded\": %s, "
				 "\"names\": %zu, \"kernel-bytes\": %zu, "
				 "\"builds\": %llu, \"build-ms\": %llu, "
				 "\"unjudged\": %llu, \"no-zone\": %llu, "
				 "\"exists\": %llu, \"below\": %llu, "
				 "\"dropped\": %llu, \"sampled\": %llu, "
				 "\"garbage\": %llu}",
				 ns.engaged ? "true" : "false",
				 ns.loaded ? "true" : "false", ns.names,
				 ns.kernel_bytes,
				 (unsigned long long)ns.builds,
				 (unsigned long long)ns.build_ms,
				 (unsigned long long)c[EXIST_FILTER_OTHER],
				 (unsigned long long)c[EXIST_FILTER_NONE],
				 (unsigned long long)c[EXIST_FILTER_EXISTS],
				 (unsigned long long)c[EXIST_FILTER_BELOW],
				 (unsigned long long)c[EXIST_FILTER_DROP],
				 (unsigned long long)c[EXIST_FILTER_SAMPLED],
				 (unsigned long long)c[EXIST_FILTER_GARBAGE]);
	}
	ctl_reply_printf(r, ", \"log-dropped\": %llu, \"assert-failed\": %llu"
			 "}\n", (unsigned long long)log_dropped(),
			 (unsigned long long)lv_assert_failures());
}

static void cmd_attack(struct daemon *d, int argc, char **argv,
		       struct ctl_reply *r)
{
	const struct attack *a = reactor_group_attack(d->group);
	const struct attack_config *c = &d->cfg->attack;
	static const char *const modes[] = { "off", "on", "auto" };

	(void)argc;
	(void)argv;
	ctl_reply_printf(r, "mode: %s\nengaged: %s\nengagements: %lu\n"
			 "disengagements: %lu\n",
			 c->mode >= 0 && c->mode <= 2 ? modes[c->mode] : "?",
			 attack_engaged(a) ? "yes" : "no",
			 a ? attack_changes(a, true) : 0,
			 a ? attack_changes(a, false) : 0);
	{
		char last[256];

		reactor_attack_last(last, sizeof(last));
		ctl_reply_printf(r, "last-change: %s\n", last[0] ? last : "none");
	}
	if (reactor_group_names(d->group)) {
		struct exist_guard_stats ns;

		(void)exist_guard_stats(reactor_group_names(d->group), &ns);
		ctl_reply_printf(r, "name-filter: %s (%zu names; dropped %llu, "
				 "sampled %llu)\n", ns.engaged ? "on" :
				 ns.loaded ? "ready" : "no set",
				 ns.names,
				 (unsigned long long)
				 ns.counters[EXIST_FILTER_DROP],
				 (unsigned long long)
				 ns.counters[EXIST_FILTER_SAMPLED]);
	} else {
		ctl_reply_printf(r, "name-filter: %s\n",
				 c->mode != ATTACK_OFF && c->name_filter ?
				 "not loaded" : "off");
	}
	if (c->mode == ATTACK_AUTO)
		ctl_reply_printf(r, "queries-per-second: %u\n"
				 "zone-nxdomain-percent: %u\n"
				 "distinct-names-per-second: %u\n",
				 c->queries_per_second,
				 c->zone_nxdomain_percent,
				 c->distinct_names_per_second);
}

/* --- the /metrics page (metrics_page.h): main's loop, at each scrape --- */

static void daemon_metrics_render(void *arg, struct metrics_text *t)
{
	const struct daemon *d = arg;
	const struct metrics_page pg = {
		.group = d->group, .zstates = d->zstates, .xfrin = d->xfrin,
		.notifier = d->notifier, .reloads_started = d->reloads_started,
		.reloads_done = d->reloads_done,
		.reloads_failed = d->reloads_failed,
		.per_zone = d->cfg->metrics_per_zone,
		.started_at = d->started_at,
	};

	metrics_page_render(&pg, t);
}

static void daemon_stop_now(void *arg)
{
	struct daemon *d = arg;

	if (d->stopping)
		return;
	d->stopping = true;
	log_info("levee-ctl stop: stopping");
	service_stopping();
	__atomic_store_n(&d->cancel, 1, __ATOMIC_RELAXED);
	uv_stop(&d->loop);
}

static void cmd_stop(struct daemon *d, int argc, char **argv,
		     struct ctl_reply *r)
{
	(void)argc;
	(void)argv;
	ctl_reply_printf(r, "stopping\n");
	ctl_reply_then(r, daemon_stop_now, d);
}

static void cmd_notify(struct daemon *d, int argc, char **argv,
		       struct ctl_reply *r)
{
	for (int i = 1; i < argc; i++) {
		const struct zstate *z = daemon_zstate(d, argv[i]);

		if (!z) {
			ctl_error(r, "zone %s is not configured", argv[i]);
			return;
		}
		if (!z->zone) {
			ctl_error(r, "zone %s is not served", argv[i]);
			return;
		}
	}
	for (int i = 1; i < argc; i++) {
		const struct zstate *z = daemon_zstate(d, argv[i]);

		ctl_reply_printf(r, "%s: NOTIFY serial %u to %u remotes\n",
				 z->domain, z->serial,
				 daemon_notify_zone(d, z));
	}
}

/* refresh ZONE... (knotc zone-refresh): an SOA check now, a transfer if
 * the primary is ahead; retransfer ZONE... (zone-retransfer): an AXFR
 * whatever the serials. */
static void cmd_refresh_any(struct daemon *d, int argc, char **argv,
			    struct ctl_reply *r, bool axfr)
{
	for (int i = 1; i < argc; i++) {
		const struct config_zone *cz =
			config_find_zone(daemon_zcfg(d), argv[i]);

		if (!cz) {
			ctl_error(r, "zone %s is not configured", argv[i]);
			return;
		}
		if (!cz->primaries || !d->xfrin) {
			ctl_error(r, "zone %s is not a secondary", argv[i]);
			return;
		}
	}
	for (int i = 1; i < argc; i++) {
		xfrin_refresh(d->xfrin, argv[i], axfr);
		ctl_reply_printf(r, "%s: %s started\n", argv[i],
				 axfr ? "retransfer" : "refresh");
	}
}

static void cmd_refresh(struct daemon *d, int argc, char **argv,
			struct ctl_reply *r)
{
	cmd_refresh_any(d, argc, argv, r, false);
}

static void cmd_retransfer(struct daemon *d, int argc, char **argv,
			   struct ctl_reply *r)
{
	cmd_refresh_any(d, argc, argv, r, true);
}

static const struct {
	const char *name;
	void (*fn)(struct daemon *d, int argc, char **argv,
		   struct ctl_reply *r);
	int min_args, max_args;   /* after the command; -1: no limit */
	const char *usage;
} daemon_cmds[] = {
	{ "status", cmd_status, 0, 0, "status" },
	{ "reload", cmd_reload, 0, -1, "reload [ZONE...]" },
	{ "zone-status", cmd_zone_status, 0, -1, "zone-status [ZONE...]" },
	{ "stats", cmd_stats, 0, 0, "stats" },
	{ "attack", cmd_attack, 0, 0, "attack" },
	{ "notify", cmd_notify, 1, -1, "notify ZONE..." },
	{ "refresh", cmd_refresh, 1, -1, "refresh ZONE..." },
	{ "retransfer", cmd_retransfer, 1, -1, "retransfer ZONE..." },
	{ "stop", cmd_stop, 0, 0, "stop" },
};

static void daemon_on_ctl(void *arg, int argc, char **argv,
			  struct ctl_reply *r)
{
	struct daemon *d = arg;

	for (size_t i = 0; i < sizeof(daemon_cmds) / sizeof(daemon_cmds[0]);
	     i++) {
		if (strcmp(daemon_cmds[i].name, argv[0]) != 0)
			continue;
		if (argc - 1 < daemon_cmds[i].min_args ||
		    (daemon_cmds[i].max_args >= 0 &&
		     argc - 1 > daemon_cmds[i].max_args)) {
			ctl_error(r, "usage: %s", daemon_cmds[i].usage);
			return;
		}
		daemon_cmds[i].fn(d, argc, argv, r);
		return;
	}
	ctl_error(r, "unknown command '%s' (status, reload, zone-status, "
		  "notify, refresh, retransfer, stats, attack, stop)",
		  argv[0]);
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
	if (!(d->catalogs = catalogs_new())) {
		log_error("cannot start: out of memory");
		rc = -ENOMEM;
		goto fail;
	}
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

	/* the files' identities before they are read: one changed in
	 * between is read again by the next reload */
	if (d->zstates)
		zstates_stat_all(d->zstates);
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
	sigset_t old;
	int rc;

	rc = uv_async_init(&d->loop, &d->load_done, daemon_on_loaded);
	if (rc < 0) {
		log_error("cannot load zones: %s", uv_strerror(rc));
		return rc;
	}
	d->load_done.data = d;
	/* The loader (and the parser threads zload starts) block every
	 * signal: main's loop handles them. */
	sigmask_block_all(&old);
	rc = uv_thread_create(&d->loader, daemon_loader_main, d);
	sigmask_restore(&old);
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
	d->started_at = time(NULL);
	d->zstates = zstates_new(cfg);
	if (!d->zstates) {
		log_error("cannot start: out of memory");
		return -ENOMEM;
	}
	if (cfg->control_listen) {
		rc = ctl_start(&d->loop, cfg->control_listen, 0600,
			       daemon_on_ctl, d, &d->ctl, err, sizeof(err));
		if (rc < 0) {
			log_error("cannot start: %s", err);
			return rc;
		}
	}
	if (cfg->journal_db) {
		rc = journal_open(cfg->journal_db, cfg->journal_db_max_size,
				  &d->journal, err, sizeof(err));
		if (rc < 0) {
			log_error("cannot start: %s", err);
			return rc;
		}
		d->acfg.journal = d->journal;   /* IXFR out reads it */
	}
	rc = uv_async_init(&d->loop, &d->reload_done, daemon_on_reloaded);
	if (rc < 0) {
		log_error("cannot start: %s", uv_strerror(rc));
		return rc;
	}
	d->reload_done.data = d;
	d->reload_handle = true;
	/* Every socket bound and every BPF map made as root, then the drop,
	 * then the zone files read as the user (daemon_drop_privileges). */
	d->group = reactor_group_new(cfg, &d->acfg, cfg->reactors, err,
				     sizeof(err));
	if (!d->group) {
		log_error("cannot start: %s", err);
		return -EADDRNOTAVAIL;
	}
	if (daemon_drop_privileges(cfg) < 0)
		return -EPERM;
	/* per-zone counters in every zone built from here on (zone.h) */
	if (cfg->metrics && cfg->metrics_per_zone)
		zone_hits_setup(cfg->reactors);
	rc = daemon_load(d);
	if (rc < 0)
		return rc;
	if (cfg->zone_count == 0)
		log_warning("no zones configured: every query gets REFUSED");
	zstates_link(d->zstates, d->load_db, time(NULL));
	reload_journal_start(d->journal, d->zstates, cfg, &d->load_db);
	daemon_hide_catalogs(d, cfg, d->zstates);
	exist_guard_db_changing(reactor_group_names(d->group), NULL, d->load_db);
	zdb_publish(d->load_db);
	exist_guard_published(reactor_group_names(d->group));
	d->load_db = NULL;
	d->published = true;
	rc = uv_timer_init(&d->loop, &d->sig_timer);
	if (rc < 0) {
		log_error("cannot start: %s", uv_strerror(rc));
		return rc;
	}
	d->sig_timer.data = d;
	uv_unref((uv_handle_t *)&d->sig_timer);   /* never keeps main up */
	d->sig_timer_ready = true;
	daemon_sig_check(d);
	if (uv_timer_init(&d->loop, &d->cat_timer) == 0) {
		d->cat_timer.data = d;
		uv_unref((uv_handle_t *)&d->cat_timer);
		d->cat_timer_ready = true;
	}
	/* the call_rcu thread frees retired versions (a large zone's free
	 * takes milliseconds of CPU): below the reactors too. liburcu makes
	 * that thread at this first call_rcu, with this thread's signal mask:
	 * every signal blocked, or a second SIGTERM during the stop (after
	 * main's handlers are closed) would kill the process there. */
	{
		sigset_t old;

		sigmask_block_all(&old);
		call_rcu(&daemon_bg_rcu, daemon_rcu_background);
		sigmask_restore(&old);
	}

	if (reactor_group_dnstap(d->group) &&
	    dnstap_start(reactor_group_dnstap(d->group), err,
			 sizeof(err)) < 0) {
		log_error("cannot start: %s", err);
		return -EIO;
	}
	rc = reactor_group_start(d->group);
	if (rc < 0) {
		log_error("cannot start reactor threads: %s", uv_strerror(rc));
		return rc;
	}
	{
		const struct xfrin_hooks hooks = {
			daemon_xfr_publish, daemon_xfr_served, d, d->journal,
			{ cfg->journal_max_usage, cfg->journal_max_depth }
		};

		d->xfrin = xfrin_new(&d->loop, daemon_zcfg(d), &hooks);
		if (!d->xfrin) {
			log_error("cannot start: out of memory");
			return -ENOMEM;
		}
		xfrin_start(d->xfrin);
		daemon_catalogs_read(d);   /* the copies loaded: members now */
		if (uv_async_init(&d->loop, &d->notify_wake,
				  daemon_on_notify_in) == 0) {
			d->notify_wake.data = d;
			d->notify_wake_ready = true;
			daemon_set_notify_in(d, daemon_zcfg(d));
		}
	}
	if (cfg->metrics) {
		rc = metrics_start(&d->loop,
				   (const struct sockaddr *)&cfg->metrics_listen.addr,
				   daemon_metrics_render, d, &d->metrics, err,
				   sizeof(err));
		if (rc < 0) {
			log_error("cannot start: %s (metrics: listen %s)", err,
				  cfg->metrics_listen.text);
			return rc;
		}
	}
	daemon_listen_text(cfg, addrs, sizeof(addrs));
	{
		char status[256];

		snprintf(status, sizeof(status), "serving %zu zones (%zu "
			 "refused) on %u reactors", d->loaded, d->refused,
			 cfg->reactors);
		service_ready(status);   /* systemd Type=notify (service.h) */
	}
	log_info("levee %s ready: %u reactors, listening %s, zones %zu "
		 "loaded %zu refused, exempt-local %s%s%s%s%s%s",
		 LEVEE_VERSION,
		 cfg->reactors, addrs, d->loaded, d->refused,
		 !cfg->exempt_local ? "off" :
		 cfg->udp_io == CONFIG_UDP_IO_LIBUV ?
		 "off (udp-io: libuv reads no interface)" :
		 "on (UDP from 127.0.0.1 and ::1 on lo skips RRL and limits)",
		 cfg->metrics ? ", metrics on " : "",
		 cfg->metrics ? cfg->metrics_listen.text : "",
		 cfg->dnstap.on ? ", dnstap to " : "",
		 !cfg->dnstap.on ? "" : cfg->dnstap.unix_socket ? "unix:" : "",
		 cfg->dnstap.on ? cfg->dnstap.sink : "");
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
	if (d->reloading) {
		/* its result is dropped: nothing more is published */
		uv_thread_join(&d->reloader);
		d->reloading = false;
		zdb_free(d->job.db);
		zstates_free(d->job.states);
		daemon_job_clear(&d->job);
	}
	ctl_stop(d->ctl);
	metrics_stop(d->metrics);   /* HTTP thread joined; freed below */
	d->metrics = NULL;
	xfrin_free(d->xfrin);
	d->xfrin = NULL;
	notifier_free(d->notifier);
	if (d->loop_ready) {
		uv_walk(&d->loop, daemon_close_walk, NULL);
		uv_run(&d->loop, UV_RUN_DEFAULT);
		if (uv_loop_close(&d->loop) < 0)
			log_warning("main loop: handles left open at exit");
	}
	if (d->group)   /* no reactor runs: freed now */
		notify_in_free(reactor_group_set_notify_in(d->group, NULL));
	reactor_group_free(d->group);
	if (d->log_queue)
		log_queue_stop();
	cookie_ctx_free(d->cookies);
	zdb_free(d->load_db);
	zstates_free(d->zstates);
	journal_close(d->journal);
	catalogs_free(d->catalogs);
	if (d->zcfg) {
		config_free(d->zcfg);
		free(d->zcfg);
	}
	if (d->published)
		zdb_shutdown();
	if (d->start_called)
		log_info("levee stopped");
	free(d);
}
