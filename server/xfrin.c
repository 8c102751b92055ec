/* xfrin.c -- secondary zones: SOA checks, transfers in, their timers.
 *
 * Why a worker thread with blocking sockets rather than libuv TCP on the
 * main loop: the transfer is read into a zone by zones/xfr.h, whose
 * builder and change API cost CPU in proportion to the zone (seconds for
 * a big AXFR), which must not run on the main loop either; with the
 * socket on the same thread every wait is a poll() with a timeout and the
 * whole check reads top to bottom. The threads are few (XFRIN_MAX_JOBS)
 * and short-lived; main owns every table entry and touches a job only
 * before it starts and after it has signalled its end (uv_async) and been
 * joined, so nothing is shared while it runs but the cancel flag (atomic).
 *
 * Each entry's served version is held (zone_walk.h zone_hold) from the
 * job's start to its end, so a reload that drops the zone meanwhile
 * cannot free the base of an IXFR being applied.
 */
#include "server/xfrin.h"
#include "server/xfrin_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/dns.h"
#include "common/assert.h"
#include "common/errcode.h"
#include "common/name.h"
#include "common/serial.h"
#include "server/config.h"
#include "server/log.h"
#include "server/sigmask.h"
#include "server/tsig.h"
#include "server/wire.h"
#include "server/worker.h"
#include "zones/zdump.h"
#include "zones/zone.h"
#include "zones/zone_walk.h"

/* --- main: the table, the queue, the timers --- */

static void keys_free(struct tsig_key **keys, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		tsig_key_free(keys[i]);
		keys[i] = NULL;
	}
}

/* The n keys of a primaries table and the table itself. */
static void prim_free(struct config_listen **prim, struct tsig_key ***keys,
		      size_t n)
{
	if (*keys)
		keys_free(*keys, n);
	free(*keys);
	free(*prim);
	*keys = NULL;
	*prim = NULL;
}

/* Copies of keys[0..n) into out; false when out of memory (none kept). */
static bool keys_dup(struct tsig_key **out, struct tsig_key *const *keys,
		     size_t n)
{
	for (size_t i = 0; i < n; i++) {
		out[i] = NULL;
		if (keys[i] && !(out[i] = tsig_key_dup(keys[i]))) {
			keys_free(out, i);
			return false;
		}
	}
	return true;
}


static void xzone_schedule(struct xzone *z, unsigned seconds);
static void xzone_resume(struct xzone *z);
static void xfrin_kick(struct xfrin *x);

/* seconds bounded and less up to 10% jitter, never under the minimum. */
static unsigned xfrin_wait(const struct xfrin *x, uint32_t seconds)
{
	uint32_t s = seconds, jit;

	if (s > x->refresh_max)
		s = x->refresh_max;
	jit = s / 10 ? randombytes_uniform(s / 10 + 1) : 0;
	s -= jit;
	if (s < x->refresh_min)
		s = x->refresh_min;
	return s;
}

static void xfrin_enqueue(struct xfrin *x, struct xzone *z)
{
	if (z->queued || z->job || z->gone)
		return;
	lv_require(x->qlen < x->qcap);
	x->queue[(x->qhead + x->qlen) % x->qcap] = z;
	x->qlen++;
	z->queued = true;
	xfrin_kick(x);
}

static void on_timer(uv_timer_t *t)
{
	struct xzone *z = t->data;
	time_t now = time(NULL);

	if (z->expire_at && now >= z->expire_at && !z->expired &&
	    z->have_serial) {
		int rc = z->x->hooks.publish(z->x->hooks.arg, z->domain, NULL,
					     XFR_NONE);

		if (rc == 0) {
			z->expired = true;
			z->have_serial = false;
			z->x->stats.expired++;
			snprintf(z->error, sizeof(z->error), "expired: no good "
				 "check since %lld", (long long)z->last_ok);
			log_error("zone %s expired: no longer served",
				  z->domain);
		}
	}
	xfrin_enqueue(z->x, z);
}

static void xzone_schedule(struct xzone *z, unsigned seconds)
{
	time_t now = time(NULL);
	uint64_t ms = (uint64_t)seconds * 1000;

	/* never past the expiry: expire on time */
	if (z->expire_at && !z->expired && z->expire_at > now &&
	    (uint64_t)(z->expire_at - now) * 1000 < ms)
		ms = (uint64_t)(z->expire_at - now) * 1000;
	z->next_check = now + (time_t)(ms / 1000);
	if (z->timer_ready)
		uv_timer_start(&z->timer, on_timer, ms, 0);
}

static void job_closed(uv_handle_t *h)
{
	free(h->data);
}

static void job_end(struct xjob *j);

static void on_job_done(uv_async_t *a)
{
	job_end(a->data);
}

static void xfrin_kick(struct xfrin *x)
{
	while (x->started && !x->freeing && x->qlen &&
	       x->running < XFRIN_MAX_JOBS) {
		struct xzone *z = x->queue[x->qhead];
		struct xjob *j;
		const struct zone *served;
		sigset_t old;
		int rc;

		x->qhead = (x->qhead + 1) % x->qcap;
		x->qlen--;
		z->queued = false;
		if (z->gone || z->job)
			continue;
		j = calloc(1, sizeof(*j));
		if (!j) {
			xzone_schedule(z, x->refresh_min);
			continue;
		}
		j->z = z;
		memcpy(j->apex, z->apex, z->apex_len);
		j->primaries = malloc((z->nprimaries ? z->nprimaries : 1) *
				      sizeof(*j->primaries));
		j->keys = calloc(z->nprimaries ? z->nprimaries : 1,
				 sizeof(*j->keys));
		if (!j->primaries || !j->keys ||
		    !keys_dup(j->keys, z->keys, z->nprimaries)) {
			free(j->primaries);
			free(j->keys);
			free(j);
			xzone_schedule(z, x->refresh_min);
			continue;
		}
		memcpy(j->primaries, z->primaries,
		       z->nprimaries * sizeof(*j->primaries));
		j->nprimaries = z->nprimaries;
		j->validation = z->validation;
		snprintf(j->domain, sizeof(j->domain), "%s", z->domain);
		j->journal = x->hooks.journal;
		j->jlim = x->hooks.jlim;
		j->expire_at = z->expired ? 0 : z->expire_at;
		j->force_axfr = z->again_axfr;
		z->again = z->again_axfr = false;
		/* an expired version is no base for an IXFR */
		served = z->expired ? NULL :
			 x->hooks.served(x->hooks.arg, z->domain);
		if (served && !(j->hold = zone_hold_new(served))) {
			prim_free(&j->primaries, &j->keys, j->nprimaries);
			free(j);
			xzone_schedule(z, x->refresh_min);
			continue;
		}
		uv_async_init(x->loop, &j->done, on_job_done);
		j->done.data = j;
		sigmask_block_all(&old);
		rc = uv_thread_create(&j->tid, xfrin_job_run, j);
		sigmask_restore(&old);
		if (rc < 0) {
			zone_hold_drop(j->hold);
			prim_free(&j->primaries, &j->keys, j->nprimaries);
			uv_close((uv_handle_t *)&j->done, job_closed);
			xzone_schedule(z, x->refresh_min);
			continue;
		}
		z->job = j;
		z->last_try = time(NULL);
		x->running++;
	}
	x->stats.running = x->running;
	x->stats.queued = x->qlen;
}

static void xzone_free(struct xzone *z);

static void sync_main(void *arg)
{
	struct xsync *s = arg;

	worker_background();    /* below the reactors (worker.h) */
	s->rc = zdump_write(zone_hold_zone(s->hold), s->path, s->err,
			    sizeof(s->err));
	uv_async_send(&s->done);
}

static void sync_closed(uv_handle_t *h)
{
	struct xsync *s = h->data;

	free(s->path);
	free(s);
}

static void xzone_sync_start(struct xzone *z);
static void xzone_sync_after(struct xzone *z);

/* Joins z's write and frees it; logs how it went. */
static void sync_finish(struct xsync *s)
{
	struct xzone *z = s->z;
	const struct zone *zn = zone_hold_zone(s->hold);

	uv_thread_join(&s->tid);
	if (s->rc < 0) {
		log_warning("zone %s: copy of serial %u not written: %s",
			    z->domain, zone_serial(zn), s->err);
	} else {
		z->synced = zone_serial(zn);
		log_info("zone %s: serial %u written to %s", z->domain,
			 z->synced, s->path);
	}
	zone_hold_drop(s->hold);
	z->sync = NULL;
	z->x->syncing--;
	uv_close((uv_handle_t *)&s->done, sync_closed);
}

static void on_sync_done(uv_async_t *a)
{
	struct xsync *s = a->data;
	struct xzone *z = s->z;
	struct xfrin *x = z->x;

	sync_finish(s);
	if (z->sync_again && !z->gone && !x->freeing) {
		z->sync_again = false;
		xzone_sync_start(z);
	}
	while (!x->freeing && x->syncing < XFRIN_MAX_SYNCS && x->sync_head) {
		struct xzone *w = x->sync_head;

		x->sync_head = w->sync_next;
		if (!x->sync_head)
			x->sync_tail = NULL;
		w->sync_next = NULL;
		w->sync_pending = false;
		xzone_sync_start(w);
	}
}

/* Writes z's served version to its file on a thread of its own, or, when
 * a write runs, once it ends. */
static void xzone_sync_start(struct xzone *z)
{
	struct xfrin *x = z->x;
	const struct zone *served;
	struct xsync *s;
	sigset_t old;
	int rc;

	if (!z->file)
		return;
	if (z->sync) {
		z->sync_again = true;
		return;
	}
	if (x->syncing >= XFRIN_MAX_SYNCS) {
		/* the bound on writer threads: the zone waits its turn, once */
		if (!z->sync_pending) {
			z->sync_pending = true;
			if (x->sync_tail)
				x->sync_tail->sync_next = z;
			else
				x->sync_head = z;
			x->sync_tail = z;
		}
		return;
	}
	served = x->hooks.served(x->hooks.arg, z->domain);
	if (!served || zone_expired(served) || !(s = calloc(1, sizeof(*s))))
		return;
	s->z = z;
	if (!(s->path = strdup(z->file)) || !(s->hold = zone_hold_new(served))) {
		free(s->path);
		free(s);
		return;
	}
	uv_async_init(x->loop, &s->done, on_sync_done);
	s->done.data = s;
	sigmask_block_all(&old);
	rc = uv_thread_create(&s->tid, sync_main, s);
	sigmask_restore(&old);
	if (rc < 0) {
		zone_hold_drop(s->hold);
		uv_close((uv_handle_t *)&s->done, sync_closed);
		return;
	}
	z->sync = s;
	x->syncing++;
}

/* zonefile-sync: the timer for the earliest delayed write. O(zones) when
 * it fires or is re-armed (a few times per delay, never per query). */
static void on_sync_timer(uv_timer_t *t)
{
	struct xfrin *x = t->data;
	uint64_t now = xfrin_job_now_ms(), next = 0;

	for (size_t i = 0; i < x->count; i++) {
		struct xzone *z = x->zones[i];

		if (!z->sync_due)
			continue;
		if (z->sync_due <= now) {
			z->sync_due = 0;
			xzone_sync_start(z);
		} else if (!next || z->sync_due < next) {
			next = z->sync_due;
		}
	}
	if (next)
		uv_timer_start(t, on_sync_timer, next - now, 0);
}

/* After a transfer into z: its copy written now (zonefile-sync: 0), in
 * sync_delay seconds with what else arrives meanwhile, or never (-1). */
static void xzone_sync_after(struct xzone *z)
{
	struct xfrin *x = z->x;
	uint64_t due;

	if (z->sync_delay == 0 || !x->sync_timer) {
		if (z->sync_delay >= 0)
			xzone_sync_start(z);
		return;
	}
	if (z->sync_delay < 0 || !z->file || z->sync_due)
		return;                 /* never, nowhere, or already waiting */
	due = xfrin_job_now_ms() + (uint64_t)z->sync_delay * 1000;
	z->sync_due = due;
	if (!uv_is_active((uv_handle_t *)x->sync_timer) ||
	    uv_timer_get_due_in(x->sync_timer) > due - xfrin_job_now_ms())
		uv_timer_start(x->sync_timer, on_sync_timer,
			       (uint64_t)z->sync_delay * 1000, 0);
}

/* A write running at z's end (reload, shutdown): waited for here (it
 * ends in the time a write of the zone takes). */
static void xzone_sync_join(struct xzone *z)
{
	struct xfrin *x = z->x;

	if (z->sync)
		sync_finish(z->sync);
	if (z->sync_pending) {
		/* out of the waiting list: O(zones waiting), at a zone's end */
		struct xzone **pp = &x->sync_head, *prev = NULL;

		while (*pp && *pp != z) {
			prev = *pp;
			pp = &(*pp)->sync_next;
		}
		if (*pp)
			*pp = z->sync_next;
		if (x->sync_tail == z)
			x->sync_tail = prev;
		z->sync_pending = false;
	}
}

static void job_end(struct xjob *j)
{
	struct xzone *z = j->z;
	struct xfrin *x = z->x;
	time_t now = time(NULL);
	uint32_t refresh = 3600, retry = 600, expire = 604800;
	const struct zone *ref = j->hold ? zone_hold_zone(j->hold) : NULL;
	bool ok = false, busy = false;

	uv_thread_join(&j->tid);
	x->running--;
	/* the timers the checks queued (journal.h), written once the last
	 * check of a burst ends: 10,000 transfers, a few transactions */
	if (x->running == 0 && x->hooks.journal &&
	    journal_timers_pending(x->hooks.journal) &&
	    journal_timers_flush(x->hooks.journal) < 0)
		log_warning("secondaries: timers not kept (LMDB)");
	z->job = NULL;
	x->stats.checks++;
	if (z->gone || x->freeing) {
		if (j->zone)
			zone_free(j->zone);
		j->zone = NULL;
	} else if (j->rc == 0 && j->kind == XFR_UPTODATE) {
		ok = true;
		z->uptodate++;
		x->stats.uptodate++;
		log_debug("zone %s: serial %u is current (primary %s has %u)",
			  z->domain, z->serial, j->primary, j->primary_serial);
	} else if (j->rc == 0 && j->zone) {
		uint32_t serial = zone_serial(j->zone);
		size_t records = zone_record_count(j->zone);
		struct zone *nz = j->zone;
		int rc;

		j->zone = NULL;
		ref = nz;
		xfrin_job_soa_timers(nz, &refresh, &retry, &expire);
		rc = x->hooks.publish(x->hooks.arg, z->domain, nz, j->kind);
		if (rc == LV_EBUSY) {
			/* a reload runs: the check again in a second */
			busy = true;
			ref = NULL;
		} else if (rc < 0) {
			snprintf(z->error, sizeof(z->error), "publish: %s",
				 lv_strerror(rc));
			ref = NULL;
		} else {
			ok = true;
			if (j->kind == XFR_INCR) {
				z->ixfr++;
				x->stats.ixfr++;
			} else {
				z->axfr++;
				x->stats.axfr++;
			}
			if (j->fallback) {
				z->fallback++;
				x->stats.ixfr_fallback++;
			}
			snprintf(z->last_kind, sizeof(z->last_kind), "%s",
				 j->kind == XFR_INCR ? "IXFR" : "AXFR");
			log_info("zone %s: %s from %s: serial %s%u -> %u, "
				 "%zu records, %zu bytes%s, serving %llu ms "
				 "after its last message", z->domain,
				 z->last_kind, j->primary,
				 z->have_serial ? "" : "(none) ",
				 z->have_serial ? z->serial : 0, serial,
				 records, j->bytes,
				 j->fallback ? " (IXFR failed)" : "",
				 (unsigned long long)(xfrin_job_now_ms() -
						      j->last_msg_ms));
			z->serial = serial;
			z->have_serial = true;
			z->expired = false;
			xzone_sync_after(z);
		}
	} else {
		z->failed++;
		x->stats.failed++;
		snprintf(z->error, sizeof(z->error), "%s",
			 j->err[0] ? j->err : lv_strerror(j->rc));
		log_warning("zone %s: check failed, %s: %s", z->domain,
			    z->have_serial ? "the served version stays" :
			    "not served", z->error);
	}
	if (ref && z->have_serial)
		xfrin_job_soa_timers(ref, &refresh, &retry, &expire);
	zone_hold_drop(j->hold);
	prim_free(&j->primaries, &j->keys, j->nprimaries);
	uv_close((uv_handle_t *)&j->done, job_closed);
	if (z->gone || x->freeing) {
		if (z->gone) {
			struct xzone **pp = &x->orphans;

			while (*pp && *pp != z)
				pp = &(*pp)->next_orphan;
			if (*pp)
				*pp = z->next_orphan;
			xzone_free(z);
		}
		xfrin_kick(x);
		return;
	}
	if (ok) {
		const struct zone *served = x->hooks.served(x->hooks.arg,
							    z->domain);

		z->last_ok = now;
		z->error[0] = '\0';
		z->expire_at = xfrin_job_expiry(now, expire, j->have_expire,
					    j->expire_opt, z->expire_at);
		if (served)
			zone_set_expire_at(served, z->expire_at);
	}
	if (busy)
		xzone_schedule(z, 1);
	else if (z->again)
		xzone_schedule(z, 0);
	else if (ok)
		xzone_schedule(z, xfrin_wait(x, refresh));
	else
		xzone_schedule(z, xfrin_wait(x, z->have_serial ? retry :
					     x->refresh_min * 5));
	xfrin_kick(x);
}

static void timer_closed(uv_handle_t *h)
{
	struct xzone *z = h->data;

	free(z->domain);
	free(z);
}

static void xzone_free(struct xzone *z)
{
	xzone_sync_join(z);
	free(z->file);
	z->file = NULL;
	prim_free(&z->primaries, &z->keys, z->nprimaries);
	if (z->timer_ready) {
		uv_timer_stop(&z->timer);
		uv_close((uv_handle_t *)&z->timer, timer_closed);
	} else {
		free(z->domain);
		free(z);
	}
}

static void sync_timer_closed(uv_handle_t *h)
{
	free(h);
}

static struct xzone *xzone_new(struct xfrin *x, const struct config_zone *cz)
{
	struct xzone *z = calloc(1, sizeof(*z));

	if (!z || !(z->domain = strdup(cz->domain)) ||
	    !(z->apex_len = name_from_text(cz->domain, z->apex))) {
		if (z)
			free(z->domain);
		free(z);
		return NULL;
	}
	z->x = x;
	if (uv_timer_init(x->loop, &z->timer) == 0) {
		z->timer.data = z;
		z->timer_ready = true;
	}
	return z;
}

/* The primaries of cz into z, in remote: order, with copies of their
 * TSIG keys (a remote's key: what its queries are signed with and its
 * answers checked against). -ENOMEM leaves z without keys: the caller
 * fails the configuration. */
static int xzone_primaries(struct xzone *z, const struct config *cfg,
			   const struct config_zone *cz)
{
	size_t n = (size_t)__builtin_popcountll(cz->primaries);

	prim_free(&z->primaries, &z->keys, z->nprimaries);
	z->nprimaries = 0;
	z->validation = cz->dnssec_validation;
	z->sync_delay = cz->zonefile_sync;
	z->primaries = malloc((n ? n : 1) * sizeof(*z->primaries));
	z->keys = calloc(n ? n : 1, sizeof(*z->keys));
	if (!z->primaries || !z->keys) {
		prim_free(&z->primaries, &z->keys, 0);
		return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->remote_count; i++) {
		const struct config_remote *r = &cfg->remotes[i];
		const struct tsig_key *k;

		if (!(cz->primaries >> i & 1))
			continue;
		z->primaries[z->nprimaries] = r->addr;
		k = r->key >= 0 ? tsig_keyring_key(cfg->tsig, (size_t)r->key) :
		    NULL;
		z->keys[z->nprimaries] = NULL;
		if (k && !(z->keys[z->nprimaries] = tsig_key_dup(k))) {
			prim_free(&z->primaries, &z->keys, z->nprimaries);
			z->nprimaries = 0;
			return -ENOMEM;
		}
		z->nprimaries++;
	}
	return 0;
}

struct xfrin *xfrin_new(uv_loop_t *loop, const struct config *cfg,
			const struct xfrin_hooks *hooks)
{
	struct xfrin *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->loop = loop;
	x->hooks = *hooks;
	if ((x->sync_timer = malloc(sizeof(*x->sync_timer))) &&
	    uv_timer_init(loop, x->sync_timer) == 0) {
		x->sync_timer->data = x;
	} else {   /* without it every write happens at once */
		free(x->sync_timer);
		x->sync_timer = NULL;
	}
	if (xfrin_configure(x, cfg) < 0) {
		if (x->sync_timer)
			uv_close((uv_handle_t *)x->sync_timer,
				 sync_timer_closed);
		free(x);
		return NULL;
	}
	return x;
}

int xfrin_configure(struct xfrin *x, const struct config *cfg)
{
	size_t n = 0, k = 0;
	struct xzone **zones, **queue, **pos;

	for (size_t i = 0; i < cfg->zone_count; i++)
		n += cfg->zones[i].primaries != 0;
	zones = calloc(n ? n : 1, sizeof(*zones));
	queue = calloc(n ? n : 1, sizeof(*queue));
	pos = calloc(cfg->zone_count ? cfg->zone_count : 1, sizeof(*pos));
	if (!zones || !queue || !pos)
		goto nomem;
	/* old entries kept by name, found through the new configuration's
	 * index: O(1) a zone */
	for (size_t o = 0; o < x->count; o++) {
		const struct config_zone *cz =
			config_find_zone(cfg, x->zones[o]->domain);

		if (cz && cz->primaries)
			pos[cz - cfg->zones] = x->zones[o];
	}
	for (size_t i = 0; i < cfg->zone_count; i++) {
		const struct config_zone *cz = &cfg->zones[i];

		if (!cz->primaries)
			continue;
		if (!pos[i]) {
			if (!(pos[i] = xzone_new(x, cz)))
				goto nomem_new;
			pos[i]->fresh = true;
		}
		pos[i]->gone = false;
		pos[i]->queued = false;
		if (!pos[i]->file || !cz->file ||
		    strcmp(pos[i]->file, cz->file) != 0) {
			pos[i]->file_moved = cz->file != NULL;
			free(pos[i]->file);
			pos[i]->file = cz->file ? strdup(cz->file) : NULL;
		}
		if (xzone_primaries(pos[i], cfg, cz) < 0)
			log_error("zone %s: out of memory for its TSIG keys: "
				  "no primary until the next reload",
				  cz->domain);
		zones[k++] = pos[i];
	}
	/* zones gone: stopped (a running job frees its entry at its end) */
	for (size_t o = 0; o < x->count; o++) {
		struct xzone *z = x->zones[o];
		const struct config_zone *cz = config_find_zone(cfg, z->domain);

		if (cz && cz->primaries)
			continue;
		z->gone = true;
		if (!z->job) {
			xzone_free(z);
		} else {
			z->next_orphan = x->orphans;
			x->orphans = z;
		}
	}
	free(x->by_cfg);
	x->by_cfg = pos;
	free(x->zones);
	free(x->queue);
	x->zones = zones;
	x->count = k;
	x->queue = queue;
	x->qcap = n ? n : 1;
	x->qhead = x->qlen = 0;
	x->cfg = cfg;
	x->refresh_min = cfg->refresh_min ? cfg->refresh_min : 1;
	x->refresh_max = cfg->refresh_max >= x->refresh_min ?
			 cfg->refresh_max : x->refresh_min;
	for (size_t i = 0; x->started && i < k; i++) {
		if (zones[i]->file_moved && zones[i]->have_serial)
			xzone_sync_start(zones[i]);
		zones[i]->file_moved = false;
		if (zones[i]->job)
			continue;
		if (zones[i]->fresh) {
			/* new: its kept copy, when the reload served one,
			 * is the served version; checked at once */
			zones[i]->fresh = false;
			xzone_resume(zones[i]);
			xfrin_enqueue(x, zones[i]);
		} else if (!zones[i]->have_serial)
			xfrin_enqueue(x, zones[i]);
		else if (!uv_is_active((uv_handle_t *)&zones[i]->timer))
			xzone_schedule(zones[i], x->refresh_min);
	}
	return 0;
nomem_new:
	/* the entries made here go; the old table stays as it was */
	for (size_t i = 0; i < cfg->zone_count; i++) {
		bool old = false;

		for (size_t o = 0; pos[i] && o < x->count && !old; o++)
			old = x->zones[o] == pos[i];
		if (pos[i] && !old)
			xzone_free(pos[i]);
	}
nomem:
	free(zones);
	free(queue);
	free(pos);
	return -ENOMEM;
}

/* A zone served at start (its kept copy): taken as the served version,
 * with its kept timers when they are about its serial, else counted from
 * now; expired at once when its expiry passed while we were down. */
static void xzone_resume(struct xzone *z)
{
	struct xfrin *x = z->x;
	const struct zone *served = x->hooks.served(x->hooks.arg, z->domain);
	struct journal_timers t;
	uint32_t refresh, retry, expire;
	time_t now = time(NULL);

	if (!served || zone_expired(served))
		return;
	xfrin_job_soa_timers(served, &refresh, &retry, &expire);
	z->have_serial = true;
	z->serial = z->synced = zone_serial(served);
	z->last_ok = now;
	z->expire_at = now + expire;
	if (x->hooks.journal &&
	    journal_timers_get(x->hooks.journal, z->apex, &t) == 0 &&
	    t.serial == z->serial) {
		z->last_ok = (time_t)t.last_refresh;
		z->expire_at = (time_t)t.expire_at;
	}
	zone_set_expire_at(served, z->expire_at);
	log_info("zone %s: serving its kept copy, serial %u, expires in %lld "
		 "s", z->domain, z->serial,
		 (long long)(z->expire_at - now));
	if (now >= z->expire_at &&
	    x->hooks.publish(x->hooks.arg, z->domain, NULL, XFR_NONE) == 0) {
		z->expired = true;
		z->have_serial = false;
		x->stats.expired++;
		snprintf(z->error, sizeof(z->error), "expired: no good check "
			 "since %lld", (long long)z->last_ok);
		log_error("zone %s expired while Levee was down: no longer "
			  "served", z->domain);
	}
}

void xfrin_start(struct xfrin *x)
{
	x->started = true;
	for (size_t i = 0; i < x->count; i++) {
		x->zones[i]->fresh = false;
		xzone_resume(x->zones[i]);
		xfrin_enqueue(x, x->zones[i]);
	}
}

/* O(1) expected: the configuration's name index. */
static struct xzone *xfrin_find(const struct xfrin *x, const char *domain)
{
	const struct config_zone *cz = x->cfg ?
		config_find_zone(x->cfg, domain) : NULL;

	return cz ? x->by_cfg[cz - x->cfg->zones] : NULL;
}

int xfrin_refresh(struct xfrin *x, const char *domain, bool axfr)
{
	struct xzone *z = xfrin_find(x, domain);

	if (!z)
		return -ENOENT;
	if (axfr)
		z->again_axfr = true;
	if (z->job) {
		z->again = true;
		return 0;
	}
	if (z->timer_ready)
		uv_timer_stop(&z->timer);
	xfrin_enqueue(x, z);
	return 0;
}

static void fmt_t(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!t || !gmtime_r(&t, &tm))
		snprintf(buf, len, "-");
	else
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

bool xfrin_zone_status(const struct xfrin *x, const char *domain, char *buf,
		       size_t len)
{
	const struct xzone *z = xfrin_find(x, domain);
	char last[32], next[32], exp[32];

	if (!z)
		return false;
	fmt_t(z->last_ok, last, sizeof(last));
	fmt_t(z->job || z->queued ? time(NULL) : z->next_check, next,
	      sizeof(next));
	fmt_t(z->expire_at, exp, sizeof(exp));
	snprintf(buf, len, "secondary: %s, serial %u, last refresh %s, next "
		 "refresh %s, expires %s, axfr %lu, ixfr %lu, ixfr-fallback "
		 "%lu, uptodate %lu, failed %lu, last %s, xfr-error %s",
		 z->expired ? "expired" : z->job ? "transferring" :
		 z->have_serial ? "current" : "waiting",
		 z->have_serial ? z->serial : 0, last, next, exp, z->axfr,
		 z->ixfr, z->fallback, z->uptodate, z->failed,
		 z->last_kind[0] ? z->last_kind : "-",
		 z->error[0] ? z->error : "-");
	return true;
}

void xfrin_stats(const struct xfrin *x, struct xfrin_stats *out)
{
	*out = x->stats;
	out->running = x->running;
	out->queued = x->qlen;
}

/* Cancels and joins z's job, if any (shutdown). */
static void xzone_join(struct xzone *z)
{
	if (z->job) {
		__atomic_store_n(&z->job->cancel, 1, __ATOMIC_RELAXED);
		uv_thread_join(&z->job->tid);
		zone_free(z->job->zone);
		zone_hold_drop(z->job->hold);
		prim_free(&z->job->primaries, &z->job->keys,
			  z->job->nprimaries);
		uv_close((uv_handle_t *)&z->job->done, job_closed);
		z->job = NULL;
	}
}

void xfrin_free(struct xfrin *x)
{
	if (!x)
		return;
	/* zonefile-sync: a write still waiting its delay is made now, one
	 * after another (the writes running end first), so a restart serves
	 * what was served: stopping takes the time of those writes. */
	for (size_t i = 0; i < x->count; i++)
		if (x->zones[i]->sync)
			sync_finish(x->zones[i]->sync);
	for (size_t i = 0; i < x->count; i++) {
		struct xzone *z = x->zones[i];

		if (!z->sync_due || z->gone)
			continue;
		z->sync_due = 0;
		xzone_sync_start(z);
		if (z->sync)
			sync_finish(z->sync);
	}
	if (x->sync_timer) {
		uv_timer_stop(x->sync_timer);
		uv_close((uv_handle_t *)x->sync_timer, sync_timer_closed);
		x->sync_timer = NULL;
	}
	x->freeing = true;
	while (x->orphans) {
		struct xzone *z = x->orphans;

		x->orphans = z->next_orphan;
		xzone_join(z);
		xzone_free(z);
	}
	for (size_t i = 0; i < x->count; i++) {
		struct xzone *z = x->zones[i];

		xzone_join(z);
		xzone_free(z);
	}
	free(x->zones);
	free(x->by_cfg);
	free(x->queue);
	free(x);
}
