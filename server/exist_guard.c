/* exist_guard.c -- the existence filter's set kept in step with the zones,
 * on while the attack mode is engaged (exist_guard.h).
 *
 * Generations. main numbers each announced change (exist_guard_changing,
 * exist_guard_db_changing: pre_gen + 1) and, once the snapshot holding it
 * is published, sets pub_gen to it. The thread reads pub_gen (g0) under
 * the lock before it reads zdb_current(): every change numbered up to g0
 * is in the snapshot it builds from, and the marks numbered after g0 are
 * written into the new set before it is swapped in. A mark is kept until
 * a set built from a snapshot that holds its change is in the slot (or,
 * with no build running, until its change is published: a later build
 * reads a later snapshot).
 *
 * The lock (mu) orders main's marks, the thread's swap and clear, and the
 * filter's live/spare indices (exist_filter.h's calls that need one
 * caller at a time). The thread fills the spare without it: nothing else
 * writes the spare.
 */
#include "server/exist_guard.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <urcu-qsbr.h>

#include "common/name.h"
#include "ratelimit/attack.h"
#include "server/log.h"
#include "server/sigmask.h"
#include "zones/exist_set.h"
#include "zones/zdb.h"
#include "zones/zone.h"

struct guard_mark {
	uint64_t gen;
	uint64_t h;
	unsigned flags;
	bool only_absent;     /* an ancestor: added only where missing */
};

struct exist_guard {
	struct exist_filter *f;
	const struct attack *attack;
	uint8_t key[EXIST_KEY_LEN];
	size_t capacity;
	pthread_t thread;
	bool started;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;                 /* mu */
	bool building;             /* mu: a build read its g0 */
	uint64_t building_gen;     /* mu: that g0 */
	uint64_t pre_gen;          /* mu: last change announced */
	uint64_t pub_gen;          /* mu: last change published */
	uint64_t built_gen;        /* mu: g0 of the set in the slot */
	uint64_t cleared_gen;      /* mu: the slot emptied for this change:
				      no set built before it goes in */
	bool over_capacity;        /* mu: the last build was too big */
	bool build_failed;         /* mu: the last build failed */
	struct guard_mark marks[EXIST_GUARD_MARKS];   /* mu */
	size_t nmarks;

	/* for exist_guard_stats: written under mu */
	bool live;
	size_t names, zones;
	uint64_t builds, build_ms;

	void (*test_hook)(void *);   /* mu: exist_guard_test_set_hook */
	void *test_hook_arg;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int exist_guard_new(const struct exist_guard_config *c,
		    struct exist_guard **out)
{
	struct exist_guard *g = calloc(1, sizeof(*g));
	struct exist_filter_config fc = { 0 };
	int rc;

	*out = NULL;
	if (!g)
		return -ENOMEM;
	randombytes_buf(g->key, sizeof(g->key));
	fc.key = g->key;
	/* room in both maps for the marks on top of a full set: a set of
	 * `capacity` names still takes EXIST_GUARD_MARKS marks */
	fc.capacity = c->capacity + EXIST_GUARD_MARKS;
	fc.sample = c->sample;
	fc.classic = c->classic && c->next_prog_fd < 0;
	rc = exist_filter_new(&fc, &g->f);
	if (rc == 0 && c->next_prog_fd >= 0)
		rc = exist_filter_set_next(g->f, c->next_prog_fd);
	if (rc < 0) {
		exist_filter_free(g->f);
		free(g);
		return rc;
	}
	g->attack = c->attack;
	g->capacity = c->capacity;
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	*out = g;
	return 0;
}

bool exist_guard_want(const struct exist_guard *g)
{
	return g && attack_engaged(g->attack);
}

int exist_guard_attach(const struct exist_guard *g, int fd)
{
	return exist_filter_attach(g->f, fd);
}

/* --- marks (main) --- */

/* Writes mark m into the live set (spare false) or the spare. mu held. */
static int mark_write(struct exist_guard *g, const struct guard_mark *m,
		      bool spare)
{
	if (m->only_absent)
		return exist_filter_mark_absent(g->f, spare, m->h, m->flags);
	return exist_filter_mark(g->f, spare, m->h, m->flags);
}

/* The slot emptied: everything passes until a set built from a snapshot
 * holding change gen is swapped in. mu held. */
static void clear_for(struct exist_guard *g, uint64_t gen)
{
	(void)exist_filter_clear(g->f);
	g->live = false;
	if (gen > g->cleared_gen)
		g->cleared_gen = gen;   /* never back: marks of later changes
					   may have gone with an earlier clear */
	g->nmarks = 0;
}

/* Records the marks of apex (lowercase wire) for change gen and writes
 * them into the live set. mu held. */
static void mark_apex(struct exist_guard *g, const uint8_t *apex,
		      uint64_t gen)
{
	uint8_t off[NAME_MAX_LABELS + 1];
	unsigned labels = 0;
	size_t pos = 0;
	uint64_t h = exist_hash_root(g->key);

	if (g->cleared_gen >= gen)
		return;   /* emptied for this change already */
	while (apex[pos] && labels < NAME_MAX_LABELS) {
		off[labels++] = (uint8_t)pos;
		pos += (size_t)apex[pos] + 1;
	}
	if (g->nmarks + labels + 1 > EXIST_GUARD_MARKS) {
		log_info("attack: name filter: more than %u names marked "
			 "between two builds: off until the next build",
			 EXIST_GUARD_MARKS);
		clear_for(g, gen);
		return;
	}
	for (unsigned i = 0; i <= labels; i++) {
		struct guard_mark *m = &g->marks[g->nmarks++];

		if (i > 0)
			h = exist_hash_label(g->key, h, apex + off[labels - i]);
		m->gen = gen;
		m->h = h;
		m->only_absent = i < labels;
		m->flags = i < labels ? EXIST_ABOVE : EXIST_OPAQUE;
		if (g->live && mark_write(g, m, false) < 0) {
			clear_for(g, gen);   /* could not widen: all pass */
			return;
		}
	}
}

/* Drops the marks no build needs any more: with none running, those of
 * published changes (the next build reads a snapshot holding them);
 * with one running, those of changes its snapshot holds (its g0: the
 * live set has them written, the set it builds holds them, and a later
 * build reads a later snapshot). mu held. */
static void marks_trim(struct exist_guard *g)
{
	uint64_t upto = g->building ? g->building_gen : g->pub_gen;
	size_t k = 0;

	for (size_t i = 0; i < g->nmarks; i++)
		if (g->marks[i].gen > upto)
			g->marks[k++] = g->marks[i];
	g->nmarks = k;
}

/* Starts a change: its number. mu held. */
static uint64_t change_begin(struct exist_guard *g)
{
	marks_trim(g);
	return ++g->pre_gen;
}

void exist_guard_changing(struct exist_guard *g, const uint8_t *apex)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->mu);
	mark_apex(g, apex, change_begin(g));
	pthread_mutex_unlock(&g->mu);
}

struct diff {
	struct exist_guard *g;
	const struct zdb *other;
	uint64_t gen;
	bool both;    /* also mark zones the other holds in another version */
};

static int diff_one(const struct zone *z, void *arg)
{
	struct diff *d = arg;
	const struct zone *o = zdb_get(d->other, zone_apex(z));

	/* a zone hidden in place (same version) was marked before it was
	 * hidden (daemon.c's daemon_hide_catalogs calls
	 * exist_guard_changing) */
	if (!o || (d->both && o != z))
		mark_apex(d->g, zone_apex(z), d->gen);
	return d->g->cleared_gen == d->gen;   /* all pass: stop */
}

void exist_guard_db_changing(struct exist_guard *g, const struct zdb *old,
			     const struct zdb *next)
{
	struct diff d = { .g = g };

	if (!g)
		return;
	pthread_mutex_lock(&g->mu);
	d.gen = change_begin(g);
	/* zones of next: new ones */
	d.other = old;
	if (next && old)
		zdb_foreach(next, diff_one, &d);
	/* zones of old: gone, or another version in next */
	d.other = next;
	d.both = true;
	if (old && next && g->cleared_gen != d.gen)
		zdb_foreach(old, diff_one, &d);
	if (!old || !next)
		clear_for(g, d.gen);   /* everything changes */
	pthread_mutex_unlock(&g->mu);
}

void exist_guard_published(struct exist_guard *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->mu);
	g->pub_gen = g->pre_gen;
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

/* --- the thread --- */

/* Builds the set of the published snapshot, fills the spare and swaps it
 * in, unless a clear since g0 says it is stale. mu held on entry and
 * exit, released while building and filling. */
static void build(struct exist_guard *g, uint64_t g0)
{
	uint64_t t0 = mono_ms();
	struct exist_set *s = exist_set_new(g->key);
	size_t zones = 0, count;
	int rc = s ? 0 : -ENOMEM;
	void (*hook)(void *) = g->test_hook;
	void *hook_arg = g->test_hook_arg;

	g->building = true;
	g->building_gen = g0;
	pthread_mutex_unlock(&g->mu);
	if (s) {
		const struct zdb *db;

		rcu_thread_online();
		db = zdb_current();
		if (db) {
			zones = zdb_count(db);
			rc = exist_set_add_zdb(s, db);
		}
		rcu_thread_offline();
	}
	count = s ? exist_set_count(s) : 0;
	if (rc == 0 && count > g->capacity)
		rc = -E2BIG;
	if (rc == 0)
		rc = exist_filter_fill(g->f, s);
	exist_set_free(s);
	if (hook)
		hook(hook_arg);   /* tests only: main's calls amid a build */
	pthread_mutex_lock(&g->mu);
	g->building = false;
	if (rc == -E2BIG) {
		if (!g->over_capacity)
			log_warning("attack: name filter off: the zones hold "
				    "%zu names, name-filter-capacity is %zu",
				    count, g->capacity);
		g->over_capacity = true;
		g->built_gen = g0;
		/* every mark goes, those of changes announced after g0 too:
		 * no set before the last of them is published */
		clear_for(g, g->pre_gen);
		return;
	}
	g->build_failed = rc < 0;
	if (rc < 0) {
		log_error("attack: name filter: cannot build the set: %s",
			  strerror(-rc));
		return;   /* tried again after the gap */
	}
	g->over_capacity = false;
	if (g->cleared_gen > g0)
		return;   /* emptied for a later change: build again */
	for (size_t i = 0; i < g->nmarks && rc == 0; i++)
		if (g->marks[i].gen > g0)
			rc = mark_write(g, &g->marks[i], true);
	if (rc == 0)
		rc = exist_filter_swap(g->f);
	if (rc < 0) {
		log_error("attack: name filter: cannot swap the set in: %s",
			  strerror(-rc));
		g->build_failed = true;
		return;
	}
	if (!g->live)
		log_info("attack: name filter: set of %zu names of %zu zones "
			 "built in %llu ms (in use while the attack mode is "
			 "engaged)", count, zones,
			 (unsigned long long)(mono_ms() - t0));
	g->live = true;
	g->names = count;
	g->zones = zones;
	g->builds++;
	g->build_ms = mono_ms() - t0;
	g->built_gen = g0;
	marks_trim(g);
}

static void *guard_main(void *arg)
{
	struct exist_guard *g = arg;
	uint64_t last = 0;
	bool was_engaged = false, built = false, announced = false;

	rcu_register_thread();
	rcu_thread_offline();
	pthread_mutex_lock(&g->mu);
	while (!g->stop) {
		bool engaged = attack_engaged(g->attack);
		uint64_t now = mono_ms();
		uint64_t gap = engaged ? EXIST_GUARD_GAP_MS :
			EXIST_GUARD_IDLE_GAP_MS;
		struct timespec until;

		if (engaged && g->live && !announced) {
			log_warning("attack: name filter on: %zu names of %zu "
				    "zones (built in %llu ms): queries for names "
				    "that cannot exist dropped in the kernel",
				    g->names, g->zones,
				    (unsigned long long)g->build_ms);
			announced = true;
		} else if (!engaged && announced) {
			log_warning("attack: name filter off: the attack mode "
				    "disengaged");
			announced = false;
		}
		if (engaged && !was_engaged && !g->live)
			log_warning("attack: name filter: no set yet, "
				    "everything passes until it is built");
		was_engaged = engaged;
		/* a build when the zones changed since the last, after the
		 * gap (at once when engaged without a set), never before the
		 * change that emptied the slot is published (the build would
		 * be stale), nor again after a set too big for the same
		 * zones or, before the gap, after a failed one */
		if ((!built || now >= last + gap ||
		     (engaged && !g->live && !g->build_failed)) &&
		    g->pub_gen >= g->cleared_gen &&
		    (!built || g->built_gen != g->pub_gen ||
		     (!g->live && !g->over_capacity))) {
			last = now;
			built = true;
			build(g, g->pub_gen);
			if (g->live && !engaged)
				announced = false;
			continue;
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += EXIST_GUARD_POLL_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&g->cv, &g->mu, &until);
	}
	pthread_mutex_unlock(&g->mu);
	rcu_unregister_thread();
	return NULL;
}

int exist_guard_start(struct exist_guard *g)
{
	sigset_t old;
	int rc;

	sigmask_block_all(&old);
	rc = pthread_create(&g->thread, NULL, guard_main, g);
	sigmask_restore(&old);
	if (rc)
		return -rc;
	g->started = true;
	return 0;
}

int exist_guard_stats(struct exist_guard *g, struct exist_guard_stats *s)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_lock(&g->mu);
	s->engaged = g->live && attack_engaged(g->attack);
	s->loaded = g->live;
	s->names = g->live ? g->names : 0;
	s->builds = g->builds;
	s->build_ms = g->build_ms;
	pthread_mutex_unlock(&g->mu);
	s->kernel_bytes = exist_filter_memory(g->f);
	return exist_filter_counters(g->f, s->counters);
}

void exist_guard_test_set_hook(struct exist_guard *g, void (*fn)(void *),
			       void *arg)
{
	pthread_mutex_lock(&g->mu);
	g->test_hook = fn;
	g->test_hook_arg = arg;
	pthread_mutex_unlock(&g->mu);
}

struct exist_filter *exist_guard_test_filter(struct exist_guard *g)
{
	return g->f;
}

void exist_guard_free(struct exist_guard *g)
{
	if (!g)
		return;
	if (g->started) {
		pthread_mutex_lock(&g->mu);
		g->stop = true;
		pthread_cond_signal(&g->cv);
		pthread_mutex_unlock(&g->mu);
		pthread_join(g->thread, NULL);
	}
	(void)exist_filter_clear(g->f);
	exist_filter_free(g->f);
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	free(g);
}
