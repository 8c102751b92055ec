/* test_exist_guard.c -- the guard (server/exist_guard.h): its thread
 * keeps the kernel name filter's set in step with the published zone
 * snapshots, and main's marks keep every name of a change passing until
 * a set that holds the change is swapped in. The real program runs in
 * this kernel (BPF_PROG_TEST_RUN on the guard's own filter), the attack
 * mode on (engaged: a build at most every EXIST_GUARD_GAP_MS), and main's
 * announcements and publishes are made amid a build through the guard's
 * test hook (exist_guard_test_set_hook), which holds the build after its
 * fill until this thread is done.
 *
 * - over capacity, then changes amid that build (commit 088f81f): a
 *   change published that shrinks the zones under capacity, then a new
 *   child zone announced but not published; until it is published no
 *   name of the child is dropped, and after it is the child is judged.
 * - a set of exactly `capacity` names still takes the marks of a new
 *   apex (the slot is not emptied): the other names that cannot exist
 *   are still dropped, those of the new apex pass.
 * - two changes amid one build, one published and one only announced:
 *   both pass in the set swapped in, and each is judged once its own
 *   snapshot is built.
 *
 * Needs CAP_BPF (root here) and a build with clang's BPF target: else
 * the tests print why and check nothing, unless LEVEE_EXIST_FILTER_REQUIRED
 * is set: then the suite fails. About 7 s (the gap between builds).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/name.h"
#include "ratelimit/attack.h"
#include "server/exist_filter.h"
#include "server/exist_guard.h"
#include "server/log.h"
#include "zones/exist_set.h"
#include "zones/zdb.h"
#include "zones/zload.h"
#include "zones/zone.h"

#include "unit.h"
#include "zone_text.h"

static struct attack *attack;   /* mode on: engaged */
static const char *why;         /* why the tests check nothing */


/* The zones: p.test., its children c, d and a (served beside it, not
 * delegated from it), and big.test. (200 names). */
static struct zone *zone_p(void)
{
	return unit_zone("p.test.", "www A 192.0.2.1\nns A 192.0.2.2\n"
		     "mail A 192.0.2.3\n");
}

static struct zone *zone_child(const char *origin)
{
	return unit_zone(origin, "www A 192.0.2.4\nns A 192.0.2.5\n");
}

static struct zone *zone_big(void)
{
	static char body[8000];
	size_t l = 0;

	for (int i = 0; i < 200; i++)
		l += (size_t)snprintf(body + l, sizeof(body) - l,
				      "h%d A 192.0.2.9\n", i);
	return unit_zone("big.test.", body);
}

static const uint8_t *W(const char *text)
{
	static uint8_t w[4][NAME_MAX_LEN + 1];
	static int i;

	i = (i + 1) % 4;
	if (name_from_text(text, w[i]) == 0)
		abort();
	return w[i];
}

/* Entries of a set of zones zs[0..n) (exist_set_count). */
static size_t set_count(struct zone *const *zs, size_t n)
{
	static const uint8_t key[EXIST_KEY_LEN] = "0123456789abcdef";
	struct exist_set *s = exist_set_new(key);
	size_t c;

	for (size_t i = 0; s && i < n; i++)
		if (exist_set_add_zone(s, zs[i], 0) < 0)
			abort();
	c = s ? exist_set_count(s) : 0;
	exist_set_free(s);
	return c;
}

/* --- the program's verdict --- */

enum { ETH = 14, UDP = 8, DNS = ETH + UDP };

/* Whether the guard's program passes a query (type A, class IN, RD, no
 * OPT) for name. Its data starts after the Ethernet header and the DNS
 * message 8 octets in, as on a UDP socket. */
static bool passes(struct exist_guard *g, const char *name)
{
	uint8_t frame[DNS + 12 + NAME_MAX_LEN + 5];
	const uint8_t *w = W(name);
	size_t l = name_length(w), n = DNS + 12 + l + 4;
	uint32_t v = 1;

	memset(frame, 0, sizeof(frame));
	frame[12] = 0x08;                        /* IPv4 */
	frame[ETH + 3] = 53;                     /* UDP: port 53 */
	frame[ETH + 4] = (uint8_t)((n - ETH) >> 8);
	frame[ETH + 5] = (uint8_t)(n - ETH);
	frame[DNS] = 0x12;
	frame[DNS + 1] = 0x34;
	frame[DNS + 2] = 0x01;                   /* RD */
	frame[DNS + 5] = 1;                      /* QDCOUNT */
	memcpy(frame + DNS + 12, w, l);
	frame[DNS + 12 + l + 1] = 1;             /* A */
	frame[DNS + 12 + l + 3] = 1;             /* IN */
	CU_ASSERT_EQUAL_FATAL(exist_filter_test_run(exist_guard_test_filter(g),
						    frame, n, &v), 0);
	return v != 0;
}

/* --- the guard and its hook --- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static struct exist_guard_stats stats(struct exist_guard *g)
{
	struct exist_guard_stats s;

	CU_ASSERT_EQUAL(exist_guard_stats(g, &s), 0);
	return s;
}

/* Waits up to ms for the guard's builds counter to reach n. */
static bool wait_builds(struct exist_guard *g, uint64_t n, unsigned ms)
{
	uint64_t end = now_ms() + ms;

	while (stats(g).builds < n) {
		if (now_ms() >= end)
			return false;
		sleep_ms(10);
	}
	return true;
}

/* The hook holds a build, when armed, until main releases it. */
static struct gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int armed;        /* builds still to hold */
	bool held;        /* a build is held */
	bool released;
	unsigned calls;   /* builds that reached the hook */
} gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, false,
	   false, 0 };

static void gate_timeout(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void hook(void *arg)
{
	struct gate *gt = arg;
	struct timespec until;

	gate_timeout(&until, 10000);   /* a failed test does not hang */
	pthread_mutex_lock(&gt->mu);
	gt->calls++;
	if (gt->armed > 0) {
		gt->armed--;
		gt->held = true;
		gt->released = false;
		pthread_cond_broadcast(&gt->cv);
		while (!gt->released &&
		       pthread_cond_timedwait(&gt->cv, &gt->mu, &until) == 0)
			;
		gt->held = false;
	}
	pthread_mutex_unlock(&gt->mu);
}

static void gate_arm(void)
{
	pthread_mutex_lock(&gate.mu);
	gate.armed = 1;
	gate.held = false;
	gate.released = false;
	pthread_mutex_unlock(&gate.mu);
}

/* Waits up to ms for a build to be held in the hook. */
static bool gate_wait_held(unsigned ms)
{
	struct timespec until;
	bool held;

	gate_timeout(&until, ms);
	pthread_mutex_lock(&gate.mu);
	while (!gate.held &&
	       pthread_cond_timedwait(&gate.cv, &gate.mu, &until) == 0)
		;
	held = gate.held;
	pthread_mutex_unlock(&gate.mu);
	return held;
}

static void gate_release(void)
{
	pthread_mutex_lock(&gate.mu);
	gate.armed = 0;
	gate.released = true;
	pthread_cond_broadcast(&gate.cv);
	pthread_mutex_unlock(&gate.mu);
}

static struct exist_guard *guard_new(size_t capacity)
{
	struct exist_guard_config c = {
		.attack = attack, .capacity = capacity, .sample = 0,
		.classic = false, .next_prog_fd = -1,
	};
	struct exist_guard *g;

	if (exist_guard_new(&c, &g) < 0)
		return NULL;
	exist_guard_test_set_hook(g, hook, &gate);
	return g;
}

/* The first snapshot, announced and published as the daemon does at
 * start. */
static void publish_first(struct exist_guard *g, struct zdb *db)
{
	exist_guard_db_changing(g, NULL, db);
	zdb_publish(db);
	exist_guard_published(g);
}

/* Publishes db, announced zone by zone beforehand by the caller. */
static void publish(struct exist_guard *g, struct zdb *db)
{
	zdb_publish(db);
	exist_guard_published(g);
}

#define SKIP_UNLESS_LOADED() do { \
	if (why) { \
		printf("\n    skipped: %s ", why); \
		return; \
	} \
} while (0)

/* Commit 088f81f: a build over capacity cleared for its own g0, lowering
 * cleared_gen and dropping the marks of a change announced after g0 but
 * not yet published; the thread then built the published snapshot at
 * once and swapped in a set without that change's mark, so names of the
 * new child zone were dropped before it was even published. */
static void test_over_capacity_then_changes(void)
{
	struct zone *p = zone_p(), *big = zone_big(),
		    *cp = zone_child("c.p.test.");
	struct zone *two[] = { p, cp };
	struct exist_guard *g;
	struct zdb *db1, *db2, *db3;
	size_t capacity;
	bool dropped = false;
	uint64_t end;

	SKIP_UNLESS_LOADED();
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cp);
	/* room for p.test. and c.p.test., not for big.test. */
	capacity = set_count(two, 2) + 2;
	CU_ASSERT_FATAL(capacity < 100);
	g = guard_new(capacity);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	db1 = zdb_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(db1);
	CU_ASSERT_EQUAL_FATAL(zdb_add(db1, p), 0);
	CU_ASSERT_EQUAL_FATAL(zdb_add(db1, big), 0);
	publish_first(g, db1);
	gate_arm();
	CU_ASSERT_EQUAL_FATAL(exist_guard_start(g), 0);
	/* the first build, over capacity, held after its fill */
	if (!gate_wait_held(5000)) {
		CU_FAIL("no build reached the hook");
		gate_release();
		exist_guard_free(g);
		zone_free(cp);
		return;
	}
	/* (a) change 2 published: big.test. goes, under capacity now */
	db2 = zdb_without(db1, zone_apex(big));
	CU_ASSERT_PTR_NOT_NULL_FATAL(db2);
	exist_guard_db_changing(g, db1, db2);
	publish(g, db2);
	/* (b) change 3 announced, not published: c.p.test. comes */
	exist_guard_changing(g, zone_apex(cp));
	gate_release();
	/* until change 3 is published no name of c.p.test. is dropped */
	end = now_ms() + 2500;
	while (now_ms() < end && !dropped) {
		dropped = !passes(g, "www.c.p.test.") ||
			  !passes(g, "c.p.test.");
		sleep_ms(20);
	}
	CU_ASSERT_FALSE(dropped);
	CU_ASSERT_TRUE(passes(g, "www.c.p.test."));
	/* the slot stays empty: no set built before change 3 goes in */
	CU_ASSERT_EQUAL(stats(g).builds, 0);
	CU_ASSERT_FALSE(stats(g).loaded);
	/* change 3 published: the next build holds c.p.test. */
	db3 = zdb_with(db2, cp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db3);
	publish(g, db3);
	CU_ASSERT_TRUE(wait_builds(g, 1, 3000));
	CU_ASSERT_TRUE(stats(g).loaded);
	CU_ASSERT_TRUE(passes(g, "www.c.p.test."));
	CU_ASSERT_TRUE(passes(g, "c.p.test."));
	CU_ASSERT_FALSE(passes(g, "nx.c.p.test."));
	CU_ASSERT_TRUE(passes(g, "www.p.test."));
	CU_ASSERT_FALSE(passes(g, "nx.p.test."));
	CU_ASSERT_TRUE(passes(g, "h1.big.test."));   /* no zone serves it */
	exist_guard_free(g);
}

/* A set of exactly `capacity` names still takes the marks of a change:
 * the slot is not emptied, the other names that cannot exist are still
 * dropped, those of the new apex pass. Then the change published: over
 * capacity, the slot emptied, everything passes. */
static void test_full_set_takes_marks(void)
{
	struct zone *p = zone_p(), *cp = zone_child("c.p.test.");
	struct exist_guard *g;
	struct exist_guard_stats s;
	struct zdb *db1, *db2;
	size_t capacity;
	uint64_t end;

	SKIP_UNLESS_LOADED();
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cp);
	capacity = set_count(&p, 1);
	g = guard_new(capacity);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	db1 = zdb_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(db1);
	CU_ASSERT_EQUAL_FATAL(zdb_add(db1, p), 0);
	publish_first(g, db1);
	CU_ASSERT_EQUAL_FATAL(exist_guard_start(g), 0);
	CU_ASSERT_TRUE_FATAL(wait_builds(g, 1, 3000));
	s = stats(g);
	CU_ASSERT_TRUE(s.loaded);
	CU_ASSERT_TRUE(s.engaged);
	CU_ASSERT_EQUAL(s.names, capacity);      /* full */
	CU_ASSERT_TRUE(passes(g, "www.p.test."));
	CU_ASSERT_FALSE(passes(g, "nx.p.test."));
	CU_ASSERT_FALSE(passes(g, "c.p.test."));
	CU_ASSERT_FALSE(passes(g, "www.c.p.test."));
	/* c.p.test. announced: marked in the full set */
	exist_guard_changing(g, zone_apex(cp));
	s = stats(g);
	CU_ASSERT_TRUE(s.loaded);
	CU_ASSERT_EQUAL(s.builds, 1);
	CU_ASSERT_FALSE(passes(g, "nx.p.test."));
	CU_ASSERT_FALSE(passes(g, "x.www.p.test."));
	CU_ASSERT_TRUE(passes(g, "www.p.test."));
	CU_ASSERT_TRUE(passes(g, "c.p.test."));
	CU_ASSERT_TRUE(passes(g, "www.c.p.test."));
	CU_ASSERT_TRUE(passes(g, "nx.c.p.test."));   /* opaque until built */
	/* published: p.test. and c.p.test. are over capacity, the slot is
	 * emptied (after the gap) and everything passes */
	db2 = zdb_with(db1, cp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db2);
	publish(g, db2);
	end = now_ms() + 3000;
	while (stats(g).loaded && now_ms() < end)
		sleep_ms(10);
	s = stats(g);
	CU_ASSERT_FALSE(s.loaded);
	CU_ASSERT_EQUAL(s.builds, 1);
	CU_ASSERT_TRUE(passes(g, "nx.p.test."));
	CU_ASSERT_TRUE(passes(g, "www.c.p.test."));
	exist_guard_free(g);
}

/* Two changes amid one build (of change 2, a.p.test. added): change 3
 * (c.p.test.) announced and published, change 4 (d.p.test.) announced
 * only. The set swapped in (of change 2) passes both; the next (of
 * change 3) judges c.p.test. and still passes d.p.test.; the one after
 * change 4 is published judges both. */
static void test_changes_amid_a_build(void)
{
	struct zone *p = zone_p(), *ap = zone_child("a.p.test."),
		    *cp = zone_child("c.p.test."), *dp = zone_child("d.p.test.");
	struct exist_guard *g;
	struct zdb *db1, *db2, *db3, *db4;

	SKIP_UNLESS_LOADED();
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ap);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	g = guard_new(1000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	db1 = zdb_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(db1);
	CU_ASSERT_EQUAL_FATAL(zdb_add(db1, p), 0);
	publish_first(g, db1);
	CU_ASSERT_EQUAL_FATAL(exist_guard_start(g), 0);
	CU_ASSERT_TRUE_FATAL(wait_builds(g, 1, 3000));
	CU_ASSERT_FALSE(passes(g, "www.a.p.test."));
	/* change 2: a.p.test. comes; its build is held */
	gate_arm();
	exist_guard_changing(g, zone_apex(ap));
	db2 = zdb_with(db1, ap);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db2);
	publish(g, db2);
	CU_ASSERT_TRUE(passes(g, "www.a.p.test."));   /* marked */
	if (!gate_wait_held(5000)) {
		CU_FAIL("no build reached the hook");
		gate_release();
		exist_guard_free(g);
		zone_free(cp);
		zone_free(dp);
		return;
	}
	/* amid it: change 3 announced and published, change 4 announced */
	exist_guard_changing(g, zone_apex(cp));
	db3 = zdb_with(db2, cp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db3);
	publish(g, db3);
	exist_guard_changing(g, zone_apex(dp));
	gate_release();
	/* the set of change 2 swapped in, with the marks of 3 and 4 */
	CU_ASSERT_TRUE_FATAL(wait_builds(g, 2, 3000));
	CU_ASSERT_TRUE(stats(g).loaded);
	CU_ASSERT_TRUE(passes(g, "www.a.p.test."));
	CU_ASSERT_FALSE(passes(g, "nx.a.p.test."));
	CU_ASSERT_TRUE(passes(g, "www.c.p.test."));
	CU_ASSERT_TRUE(passes(g, "www.d.p.test."));
	CU_ASSERT_FALSE(passes(g, "nx.p.test."));
	/* the set of change 3 (after the gap), with the mark of 4 */
	CU_ASSERT_TRUE_FATAL(wait_builds(g, 3, 3000));
	CU_ASSERT_TRUE(passes(g, "www.c.p.test."));
	CU_ASSERT_FALSE(passes(g, "nx.c.p.test."));
	CU_ASSERT_TRUE(passes(g, "www.d.p.test."));
	CU_ASSERT_TRUE(passes(g, "nx.d.p.test."));   /* still opaque */
	CU_ASSERT_FALSE(passes(g, "nx.p.test."));
	/* change 4 published: judged in the next set */
	db4 = zdb_with(db3, dp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db4);
	publish(g, db4);
	CU_ASSERT_TRUE_FATAL(wait_builds(g, 4, 3000));
	CU_ASSERT_TRUE(passes(g, "www.d.p.test."));
	CU_ASSERT_FALSE(passes(g, "nx.d.p.test."));
	CU_ASSERT_FALSE(passes(g, "nx.c.p.test."));
	CU_ASSERT_FALSE(passes(g, "nx.a.p.test."));
	CU_ASSERT_FALSE(passes(g, "nx.p.test."));
	exist_guard_free(g);
}

static void attack_log(const char *line)
{
	printf("\n    attack: %s", line);
}

static int suite_init(void)
{
	struct attack_config ac;
	struct exist_guard_config c = { .capacity = 16, .next_prog_fd = -1 };
	struct exist_guard *g;
	bool required = getenv("LEVEE_EXIST_FILTER_REQUIRED") != NULL;
	int rc;

	attack_config_init(&ac);
	ac.mode = ATTACK_ON;
	attack = attack_new(&ac, attack_log);
	if (!attack || !attack_engaged(attack))
		return 1;
	c.attack = attack;
	if (!exist_filter_available()) {
		why = "built without clang's BPF target or libbpf";
		return required;
	}
	if (required)
		log_init(LOG_LEVEL_DEBUG, false);   /* libbpf's messages */
	rc = exist_guard_new(&c, &g);
	if (required)
		log_init(LOG_LEVEL_INFO, false);
	if (rc == 0)
		exist_guard_free(g);   /* never started */
	if (rc < 0) {
		why = rc == -EPERM ? "no CAP_BPF (run as root)" :
			"the kernel refused the program";
		fprintf(stderr, "exist_guard_new: %s\n", strerror(-rc));
		return required;
	}
	return 0;
}

static int suite_clean(void)
{
	zdb_shutdown();
	attack_free(attack);
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "over capacity, then changes amid the build",
		  test_over_capacity_then_changes },
		{ "a full set takes marks", test_full_set_takes_marks },
		{ "two changes amid one build", test_changes_amid_a_build },
	};

	return unit_run("exist_guard", suite_init, suite_clean, tests,
			UNIT_COUNT(tests));
}
