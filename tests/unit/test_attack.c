/* test_attack.c -- CUnit suite 'attack': under-attack mode with a
 * hand-driven clock.
 *
 * Off never engages; on is engaged from the start; auto engages on each of
 * its three measures (query rate, one zone's NXDOMAIN share, distinct query
 * names) when the second that passed it ends, logs the reason, and
 * disengages only after hold-time calm seconds (hysteresis: a second above
 * release-percent of the threshold restarts the count), or after seconds
 * without any query.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>

#include "ratelimit/attack.h"
#include "unit.h"

static char last_log[512];
static unsigned log_count;

static void logger(const char *line)
{
	snprintf(last_log, sizeof(last_log), "%s", line);
	log_count++;
}

/* A query for NAME.test. with a fixed header. */
static size_t make_query(uint8_t *q, unsigned name)
{
	char label[16];
	size_t off = 12;
	int n = snprintf(label, sizeof(label), "n%u", name);

	memset(q, 0, 12);
	q[5] = 1;
	q[off++] = (uint8_t)n;
	memcpy(q + off, label, (size_t)n);
	off += (size_t)n;
	memcpy(q + off, "\4test\0\0\1\0\1", 10);
	return off + 10;
}

/* n queries spread over second sec (same name unless distinct); returns
 * the changes seen. */
static unsigned second(struct attack *a, uint64_t sec, unsigned n,
		       bool distinct, enum attack_change *last)
{
	uint8_t q[64];
	unsigned changes = 0;

	for (unsigned i = 0; i < n; i++) {
		size_t len = make_query(q, distinct ? i : 0);
		enum attack_change c = attack_note_query(
			a, q, len, sec * 1000 + (uint64_t)i * 999 / (n ? n : 1));

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
	CU_ASSERT_EQUAL(second(a, 11, 150, false, &last), 0);
	CU_ASSERT_FALSE(attack_engaged(a));
	/* The first query of second 12 evaluates second 11. */
	CU_ASSERT_EQUAL(second(a, 12, 60, false, &last), 1);
	CU_ASSERT_EQUAL(last, ATTACK_ENGAGED);
	CU_ASSERT_TRUE(attack_engaged(a));
	CU_ASSERT_EQUAL(log_count, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(last_log, "engaged"));
	CU_ASSERT_PTR_NOT_NULL(strstr(last_log, "queries 150/s over 100/s"));
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
	second(a, 17, 200, false, &last);
	CU_ASSERT_EQUAL(second(a, 18, 1, false, &last), 1);
	CU_ASSERT_TRUE(attack_engaged(a));
	CU_ASSERT_EQUAL(second(a, 40, 1, false, &last), 1);
	CU_ASSERT_EQUAL(last, ATTACK_DISENGAGED);
	CU_ASSERT_PTR_NOT_NULL(strstr(last_log, "no queries"));
	attack_free(a);
}

static void test_auto_zone_share(void)
{
	struct attack_config c;
	struct attack *a;
	enum attack_change last = ATTACK_SAME;
	uint8_t q[64];
	size_t len = make_query(q, 1);

	attack_config_init(&c);
	c.mode = ATTACK_AUTO;
	c.zone_nxdomain_percent = 50;
	c.zone_nxdomain_min = 10;
	a = attack_new(&c, logger);
	/* 100 queries, one zone answered 40 NXDOMAINs: under 50%. */
	second(a, 5, 100, false, &last);
	attack_note_zone_nxdomains(a, 40);
	CU_ASSERT_EQUAL(second(a, 6, 100, false, &last), 0);
	attack_note_zone_nxdomains(a, 30);
	attack_note_zone_nxdomains(a, 70);   /* the largest zone counts */
	attack_note_zone_nxdomains(a, 20);
	CU_ASSERT_EQUAL(attack_note_query(a, q, len, 7000), ATTACK_ENGAGED);
	CU_ASSERT_PTR_NOT_NULL(strstr(last_log, "NXDOMAIN share 70%"));
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
		{ "auto: zone NXDOMAIN share", test_auto_zone_share },
		{ "auto: distinct names", test_auto_distinct },
	};

	return unit_run("attack", NULL, NULL, tests, UNIT_COUNT(tests));
}
