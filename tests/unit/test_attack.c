/* test_attack.c -- CUnit suite 'attack': under-attack mode with a
 * hand-driven clock.
 *
 * Off never engages; on is engaged from the start; auto engages on each of
 * its three measures (query rate, a zone's NXDOMAIN share of its own
 * answers, distinct query names): the rate and the share at the query or
 * answer that takes the second so far over the threshold (a zone's share
 * checked at its NXDOMAIN floor and powers of two above it), otherwise,
 * and for distinct names, when the second that passed it ends; logs the
 * reason, and disengages only after hold-time calm seconds
 * (hysteresis: a second above release-percent of the threshold restarts
 * the count), or after seconds without any query. Queries taken whole from
 * TCP are noted like datagrams.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>

#include "common/name.h"
#include "ratelimit/attack.h"
#include "unit.h"

static char last_log[512];
static unsigned log_count;

static void logger(const char *line)
{
	snprintf(last_log, sizeof(last_log), "%s", line);
	log_count++;
}

/* The qname hash the pipeline hands in for the query NAME.test. */
static uint32_t qhash(unsigned name)
{
	uint8_t w[32];
	size_t off = 0;
	int n = snprintf((char *)w + 1, sizeof(w) - 1, "n%u", name);

	w[off] = (uint8_t)n;
	off += 1 + (size_t)n;
	memcpy(w + off, "\4test\0", 6);
	return name_hash(w, off + 6);
}

/* n queries spread over second sec (same name unless distinct); returns
 * the changes seen. */
static unsigned second(struct attack *a, uint64_t sec, unsigned n,
		       bool distinct, enum attack_change *last)
{
	unsigned changes = 0;

	for (unsigned i = 0; i < n; i++) {
		enum attack_change c = attack_note_query(
			a, qhash(distinct ? i : 0),
			sec * 1000 + (uint64_t)i * 999 / (n ? n : 1));

		if (c != ATTACK_SAME) {
			changes++;
			*last = c;
		}
	}
	return changes;
}

static void test_off_on(void)
{
	struct attack_config c;
	struct attack *a;
	enum attack_change last = ATTACK_SAME;

	attack_config_init(&c);
	CU_ASSERT_EQUAL(c.mode, ATTACK_OFF);
	CU_ASSERT_EQUAL(c.release_percent, 50);
	c.queries_per_second = 10;
	a = attack_new(&c, logger);
	CU_ASSERT_FALSE(attack_engaged(a));
	for (int s = 1; s < 5; s++)
		CU_ASSERT_EQUAL(second(a, (uint64_t)s, 100, false, &last), 0);
	CU_ASSERT_FALSE(attack_engaged(a));
	attack_free(a);
	c.mode = ATTACK_ON;
	a = attack_new(&c, logger);
	CU_ASSERT_TRUE(attack_engaged(a));
	second(a, 1, 1, false, &last);
	second(a, 30, 1, false, &last);
	CU_ASSERT_TRUE(attack_engaged(a));
	attack_free(a);
	CU_ASSERT_FALSE(attack_engaged(NULL));
}

static void test_auto_rate(void)
{
	struct attack_config c;
	struct attack *a;
	enum attack_change last = ATTACK_SAME;

	attack_config_init(&c);
	c.mode = ATTACK_AUTO;
	c.queries_per_second = 100;
	c.hold_time = 3;
	a = attack_new(&c, logger);
	log_count = 0;
	CU_ASSERT_EQUAL(second(a, 10, 80, false, &last), 0);
	/* The 101st query of second 11 engages, 666 ms into it. */
	CU_ASSERT_EQUAL(second(a, 11, 100, false, &last), 0);
	CU_ASSERT_FALSE(attack_engaged(a));
	CU_ASSERT_EQUAL(attack_note_query(a, 0, 11666), ATTACK_ENGAGED);
	CU_ASSERT_TRUE(attack_engaged(a));
	CU_ASSERT_EQUAL(log_count, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(last_log, "engaged"));
	CU_ASSERT_PTR_NOT_NULL(strstr(last_log, "queries over 100/s: 101 in "
					       "the first 666 ms"));
	/* The rest of second 11 and its end change nothing. */
	CU_ASSERT_EQUAL(second(a, 11, 49, false, &last), 0);
	CU_ASSERT_EQUAL(second(a, 12, 60, false, &last), 0);
	CU_ASSERT_EQUAL(log_count, 1);
	/* 60/s is over release (50%): not calm. Then 3 calm seconds. */
	CU_ASSERT_EQUAL(second(a, 13, 10, false, &last), 0);
	CU_ASSERT_EQUAL(second(a, 14, 10, false, &last), 0);
	CU_ASSERT_EQUAL(second(a, 15, 10, false, &last), 0);
	CU_ASSERT_TRUE(attack_engaged(a));
	CU_ASSERT_EQUAL(second(a, 16, 10, false, &last), 1);
	CU_ASSERT_EQUAL(last, ATTACK_DISENGAGED);
	CU_ASSERT_FALSE(attack_engaged(a));
	CU_ASSERT_PTR_NOT_NULL(strstr(last_log, "disengaged"));
	CU_ASSERT_EQUAL(attack_changes(a, true), 1);
	CU_ASSERT_EQUAL(attack_changes(a, false), 1);
	/* Engage again, then silence: the skipped seconds are calm. */
	CU_ASSERT_EQUAL(second(a, 17, 200, false, &last), 1);
	CU_ASSERT_EQUAL(last, ATTACK_ENGAGED);
	CU_ASSERT_EQUAL(second(a, 18, 1, false, &last), 0);
	CU_ASSERT_TRUE(attack_engaged(a));
	CU_ASSERT_EQUAL(second(a, 40, 1, false, &last), 1);
	CU_ASSERT_EQUAL(last, ATTACK_DISENGAGED);
	CU_ASSERT_PTR_NOT_NULL(strstr(last_log, "no queries"));
	attack_free(a);
}

/* Answers of one zone in second sec: ans of them, nx NXDOMAINs spread
 * among them. */
static void zone_answers(struct attack *a, const void *zone,
			 const uint8_t *apex, uint64_t sec, unsigned ans,
			 unsigned nx)
{
	for (unsigned i = 0; i < ans; i++) {
		bool isnx = (uint64_t)i * nx / ans !=
			    (uint64_t)(i + 1) * nx / ans;

		attack_note_answer(a, zone, isnx ? apex : NULL, isnx,
				   sec * 1000 + (uint64_t)i * 999 / ans);
	}
}

static const uint8_t small_apex[] = "\5small\4test";
static const uint8_t big_apex[] = "\3big\4test";
static char small_zone, big_zone, other_zones[500];

static struct attack *zone_attack(unsigned percent, unsigned min)
{
	struct attack_config c;

	attack_config_init(&c);
	c.mode = ATTACK_AUTO;
	c.zone_nxdomain_percent = percent;
	c.zone_nxdomain_min = min;
	c.hold_time = 2;
	return attack_new(&c, logger);
}

/* The tortured zone's own share counts, however small its part of all
 * traffic: 180 NXDOMAINs of its 200 answers (90%) among 4,000 queries
 * (5% of them). */
static void test_auto_zone_share(void)
{
	struct attack *a = zone_attack(50, 100);
	enum attack_change last = ATTACK_SAME;
	uint32_t h = qhash(1);

	log_count = 0;
	second(a, 5, 4000, false, &last);
	zone_answers(a, &big_zone, big_apex, 5, 3800, 0);
	CU_ASSERT_FALSE(attack_engaged(a));
	/* Its 100th NXDOMAIN (the floor) comes with its 112th answer. */
	zone_answers(a, &small_zone, small_apex, 5, 200, 180);
	CU_ASSERT_TRUE(attack_engaged(a));
	CU_ASSERT_EQUAL(log_count, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(last_log, "zone small.test. NXDOMAIN "
					       "89% of its first 112 answers "
					       "in 554 ms of the second, "
					       "over 50%"));
	CU_ASSERT_EQUAL(attack_note_query(a, h, 6000), ATTACK_SAME);
	CU_ASSERT_EQUAL(log_count, 1);
	/* Hysteresis: 30% is over the release line (25%), 10% is calm. */
	zone_answers(a, &small_zone, small_apex, 6, 400, 120);
	CU_ASSERT_EQUAL(attack_note_query(a, h, 7000), ATTACK_SAME);
	zone_answers(a, &small_zone, small_apex, 7, 2000, 200);
	CU_ASSERT_EQUAL(attack_note_query(a, h, 8000), ATTACK_SAME);
	zone_answers(a, &small_zone, small_apex, 8, 2000, 200);
	CU_ASSERT_EQUAL(attack_note_query(a, h, 9000),
			ATTACK_DISENGAGED);
	CU_ASSERT_EQUAL(attack_changes(a, true), 1);
	CU_ASSERT_EQUAL(attack_changes(a, false), 1);
	attack_free(a);
}

/* A busy zone with a few NXDOMAINs among many answers (5% of 10,000:
 * 500, far over the floor) does not engage, nor does the sum of zones. */
static void test_auto_zone_busy(void)
{
	struct attack *a = zone_attack(50, 100);
	enum attack_change last = ATTACK_SAME;

	second(a, 5, 10, false, &last);
	zone_answers(a, &big_zone, big_apex, 5, 10000, 500);
	zone_answers(a, &small_zone, small_apex, 5, 300, 60);   /* 20% */
	CU_ASSERT_EQUAL(second(a, 6, 10, false, &last), 0);
	CU_ASSERT_FALSE(attack_engaged(a));
	attack_free(a);
}

/* Under zone-nxdomain-min nothing counts, however high the share; at the
 * floor it does. */
static void test_auto_zone_min(void)
{
	struct attack *a = zone_attack(50, 100);
	enum attack_change last = ATTACK_SAME;

	second(a, 5, 10, false, &last);
	zone_answers(a, &small_zone, small_apex, 5, 99, 99);
	CU_ASSERT_EQUAL(second(a, 6, 10, false, &last), 0);
	CU_ASSERT_FALSE(attack_engaged(a));
	zone_answers(a, &small_zone, small_apex, 6, 100, 100);
	CU_ASSERT_TRUE(attack_engaged(a));
	CU_ASSERT_PTR_NOT_NULL(strstr(last_log, "NXDOMAIN 100% of its first "
					       "100 answers"));
	CU_ASSERT_EQUAL(second(a, 7, 10, false, &last), 0);
	attack_free(a);
	/* Off without the zone threshold: nothing is counted. */
	a = zone_attack(0, 1);
	second(a, 5, 10, false, &last);
	zone_answers(a, &small_zone, small_apex, 5, 1000, 1000);
	CU_ASSERT_EQUAL(second(a, 6, 10, false, &last), 0);
	attack_free(a);
}

/* Five hundred zones answering in the same second keep their own cells:
 * the tortured one among them is still seen, each other stays calm. */
static void test_auto_zone_many(void)
{
	struct attack *a = zone_attack(50, 100);
	enum attack_change last = ATTACK_SAME;

	second(a, 5, 10, false, &last);
	for (unsigned z = 0; z < 500; z++)
		zone_answers(a, &other_zones[z], NULL, 5, 150, 0);
	CU_ASSERT_FALSE(attack_engaged(a));
	zone_answers(a, &small_zone, small_apex, 5, 150, 120);
	zone_answers(a, &big_zone, NULL, 5, 150, 0);
	CU_ASSERT_TRUE(attack_engaged(a));
	CU_ASSERT_PTR_NOT_NULL(strstr(last_log, "zone small.test. NXDOMAIN "
					       "80% of its first 125 answers"));
	attack_free(a);
}

/* Every noted query counts towards the rate (the pipeline notes UDP and
 * TCP alike): 300 in a second engage the rate threshold once, and the
 * changes are counted. */
static void test_auto_rate_noting(void)
{
	struct attack_config c;
	struct attack *a;
	unsigned changes = 0;

	attack_config_init(&c);
	c.mode = ATTACK_AUTO;
	c.queries_per_second = 100;
	c.hold_time = 1;
	a = attack_new(&c, logger);
	for (unsigned i = 0; i < 301; i++) {
		uint64_t ms = i < 300 ? 20000 + i * 3 : 21000;

		if (attack_note_query(a, 0, ms) == ATTACK_ENGAGED)
			changes++;
	}
	CU_ASSERT_EQUAL(changes, 1);
	CU_ASSERT_TRUE(attack_engaged(a));
	CU_ASSERT_PTR_NOT_NULL(strstr(last_log, "queries over 100/s: 101 in "
					       "the first 300 ms"));
	CU_ASSERT_EQUAL(attack_note_query(a, 0, 23000), ATTACK_DISENGAGED);
	CU_ASSERT_EQUAL(attack_changes(a, true), 1);
	CU_ASSERT_EQUAL(attack_changes(a, false), 1);
	attack_free(a);
}

/* A zone's NXDOMAINs that come late in the second keep its share under
 * the threshold at every early check (its floor and each power of two):
 * the second's end engages, with the whole second's share. */
static void test_auto_zone_late(void)
{
	struct attack *a = zone_attack(50, 100);
	enum attack_change last = ATTACK_SAME;

	log_count = 0;
	second(a, 5, 10, false, &last);
	zone_answers(a, &small_zone, small_apex, 5, 150, 0);
	for (unsigned i = 0; i < 250; i++)
		CU_ASSERT_EQUAL(attack_note_answer(a, &small_zone, small_apex,
						   true, 5600 + i),
				ATTACK_SAME);
	CU_ASSERT_FALSE(attack_engaged(a));
	CU_ASSERT_EQUAL(attack_note_query(a, 0, 6000), ATTACK_ENGAGED);
	CU_ASSERT_EQUAL(log_count, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(last_log, "NXDOMAIN 62% of its 400 "
					       "queries/s over 50%"));
	attack_free(a);
}

/* A busy zone (10,000 answers a second): a burst of 1,000 NXDOMAINs at
 * the start of a second is 99% of its answers so far but under 10% of
 * what its second before says the second will hold: no early engagement,
 * nor at the second's end (1,000 of 11,000). A flood of 20,000 NXDOMAINs
 * among its 10,000 answers engages within that second. */
static void test_auto_zone_burst(void)
{
	struct attack *a = zone_attack(50, 1000);
	enum attack_change last = ATTACK_SAME;

	log_count = 0;
	second(a, 5, 10, false, &last);
	zone_answers(a, &big_zone, big_apex, 5, 10000, 0);
	second(a, 6, 10, false, &last);
	for (unsigned i = 0; i < 1000; i++)
		CU_ASSERT_EQUAL(attack_note_answer(a, &big_zone, big_apex, true,
						   6000 + i / 500),
				ATTACK_SAME);
	for (unsigned i = 0; i < 10000; i++)
		attack_note_answer(a, &big_zone, NULL, false,
				   6002 + (uint64_t)i * 997 / 10000);
	CU_ASSERT_FALSE(attack_engaged(a));
	CU_ASSERT_EQUAL(second(a, 7, 10, false, &last), 0);
	CU_ASSERT_FALSE(attack_engaged(a));
	zone_answers(a, &big_zone, big_apex, 7, 30000, 20000);
	CU_ASSERT_TRUE(attack_engaged(a));
	CU_ASSERT_EQUAL(log_count, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(last_log, "zone big.test. NXDOMAIN 66% "
					       "of its first "));
	attack_free(a);
}

/* While the name filter drops the flood in the kernel, user space sees
 * only the sampled few: the drops it is told of keep the seconds from
 * being calm (zone-nxdomain-min of them), and count towards the rate;
 * once they stop, calm seconds disengage. */
static void test_auto_filtered(void)
{
	struct attack *a = zone_attack(50, 100);
	struct attack_config c;
	enum attack_change last = ATTACK_SAME;

	second(a, 5, 10, false, &last);
	zone_answers(a, &small_zone, small_apex, 5, 200, 200);
	CU_ASSERT_TRUE(attack_engaged(a));
	/* seconds 6 and 7: a few answers, the filter drops 5,000 */
	for (uint64_t sec = 6; sec <= 7; sec++) {
		CU_ASSERT_EQUAL(second(a, sec, 10, false, &last), 0);
		zone_answers(a, &small_zone, small_apex, sec, 20, 1);
		attack_note_filtered(a, 5000, sec * 1000 + 500);
	}
	/* 100 dropped among 5,000 queries (2%): the floor, not calm; then
	 * 99 (under it) twice: calm, hold-time 2 */
	CU_ASSERT_EQUAL(second(a, 8, 4900, false, &last), 0);
	attack_note_filtered(a, 100, 8500);
	CU_ASSERT_EQUAL(second(a, 9, 10, false, &last), 0);
	attack_note_filtered(a, 99, 9500);
	CU_ASSERT_EQUAL(second(a, 10, 800, false, &last), 0);
	attack_note_filtered(a, 99, 10500);
	CU_ASSERT_TRUE(attack_engaged(a));
	CU_ASSERT_EQUAL(second(a, 11, 10, false, &last), 1);
	CU_ASSERT_EQUAL(last, ATTACK_DISENGAGED);
	CU_ASSERT_PTR_NOT_NULL(strstr(last_log, "(queries 899/s, 99 of them "
					       "dropped by the name filter)"));
	/* the filter's drops never engage by themselves, but are queries */
	attack_note_filtered(a, 100000, 11500);
	CU_ASSERT_EQUAL(second(a, 12, 10, false, &last), 0);
	CU_ASSERT_FALSE(attack_engaged(a));
	attack_free(a);
	attack_config_init(&c);
	c.mode = ATTACK_AUTO;
	c.queries_per_second = 1000;
	c.hold_time = 1;
	a = attack_new(&c, logger);
	second(a, 5, 1001, false, &last);
	CU_ASSERT_TRUE(attack_engaged(a));
	/* 10 queries and 600 dropped: over the release line (500) */
	CU_ASSERT_EQUAL(second(a, 6, 10, false, &last), 0);
	attack_note_filtered(a, 600, 6500);
	CU_ASSERT_EQUAL(second(a, 7, 10, false, &last), 0);
	CU_ASSERT_TRUE(attack_engaged(a));
	CU_ASSERT_EQUAL(second(a, 8, 10, false, &last), 1);
	CU_ASSERT_EQUAL(last, ATTACK_DISENGAGED);
	attack_free(a);
}

/* The answer that engages early says so (the pipeline counts it), once:
 * the answers after it, and the end of the second, change nothing. */
static void test_auto_zone_early_once(void)
{
	struct attack *a = zone_attack(50, 100);
	unsigned engaged = 0, at = 0;

	log_count = 0;
	for (unsigned i = 0; i < 1000; i++)
		if (attack_note_answer(a, &small_zone, small_apex, true,
				       9000 + i / 10) == ATTACK_ENGAGED) {
			engaged++;
			at = i;
		}
	CU_ASSERT_EQUAL(engaged, 1);
	CU_ASSERT_EQUAL(at, 99);
	CU_ASSERT_EQUAL(attack_note_query(a, 0, 10000), ATTACK_SAME);
	CU_ASSERT_EQUAL(attack_changes(a, true), 1);
	CU_ASSERT_EQUAL(log_count, 1);
	attack_free(a);
}

static void test_auto_distinct(void)
{
	struct attack_config c;
	struct attack *a;
	enum attack_change last = ATTACK_SAME;

	attack_config_init(&c);
	c.mode = ATTACK_AUTO;
	c.distinct_names_per_second = 2000;
	c.hold_time = 1;
	a = attack_new(&c, logger);
	/* 5,000 queries for one name: one distinct name. */
	second(a, 1, 5000, false, &last);
	CU_ASSERT_EQUAL(second(a, 2, 1500, true, &last), 0);
	CU_ASSERT_FALSE(attack_engaged(a));
	/* 1,500 distinct (under 2,000), then 3,000 distinct. */
	CU_ASSERT_EQUAL(second(a, 3, 3000, true, &last), 0);
	CU_ASSERT_EQUAL(second(a, 4, 500, true, &last), 1);
	CU_ASSERT_EQUAL(last, ATTACK_ENGAGED);
	CU_ASSERT_PTR_NOT_NULL(strstr(last_log, "distinct query names"));
	/* 500 distinct: under the release line (1,000): one calm second. */
	CU_ASSERT_EQUAL(second(a, 5, 10, true, &last), 1);
	CU_ASSERT_EQUAL(last, ATTACK_DISENGAGED);
	attack_free(a);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "off and on", test_off_on },
		{ "auto: query rate, hysteresis", test_auto_rate },
		{ "auto: a zone's own NXDOMAIN share", test_auto_zone_share },
		{ "auto: a busy zone's few NXDOMAINs", test_auto_zone_busy },
		{ "auto: zone NXDOMAIN floor", test_auto_zone_min },
		{ "auto: five hundred zones", test_auto_zone_many },
		{ "auto: a zone's NXDOMAINs late in the second",
		  test_auto_zone_late },
		{ "auto: a burst at a busy zone's second start",
		  test_auto_zone_burst },
		{ "auto: the name filter's drops", test_auto_filtered },
		{ "auto: an early engagement reported once",
		  test_auto_zone_early_once },
		{ "auto: every query noted", test_auto_rate_noting },
		{ "auto: distinct names", test_auto_distinct },
	};

	return unit_run("attack", NULL, NULL, tests, UNIT_COUNT(tests));
}
