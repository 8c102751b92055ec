/* test_sigcheck.c -- CUnit suite 'sigcheck': when the timer of
 * server/sigcheck.h must next look at a zone's signature span, with RFC
 * 4034 3.1.5 serial arithmetic across the 32-bit wrap. */
#include <CUnit/Basic.h>
#include <string.h>

#include "server/sigcheck.h"
#include "unit.h"

static struct sigcheck_state span(uint8_t level, uint32_t expire,
				  uint32_t inception)
{
	struct sigcheck_state s = { level, false, expire, inception };

	return s;
}

static void test_next_transition(void)
{
	uint32_t now = 1700000000u;
	struct sigcheck_state s;

	/* valid beyond the margin: next when it enters it */
	s = span(SIGCHECK_OK, now + 100, now - 10);
	CU_ASSERT_EQUAL(sigcheck_next(&s, now, 30), 71);
	/* within it: when it expires */
	s = span(SIGCHECK_SOON, now + 20, now - 10);
	CU_ASSERT_EQUAL(sigcheck_next(&s, now, 30), 21);
	/* expired, inception past: nothing but the hourly look */
	s = span(SIGCHECK_EXPIRED, now - 5, now - 10);
	CU_ASSERT_EQUAL(sigcheck_next(&s, now, 30), SIGCHECK_MAX_WAIT);
	/* an inception ahead comes first */
	s = span(SIGCHECK_OK, now + 100000, now + 7);
	CU_ASSERT_EQUAL(sigcheck_next(&s, now, 30), 7);
	/* far away: capped */
	s = span(SIGCHECK_OK, now + 10 * 86400, now - 10);
	CU_ASSERT_EQUAL(sigcheck_next(&s, now, 7 * 86400), SIGCHECK_MAX_WAIT);
	/* unsigned: the hourly look */
	s = span(SIGCHECK_UNSIGNED, 0, 0);
	CU_ASSERT_EQUAL(sigcheck_next(&s, now, 30), SIGCHECK_MAX_WAIT);
	/* the margin's edge: left == margin is not within it yet */
	s = span(SIGCHECK_OK, now + 30, now - 10);
	CU_ASSERT_EQUAL(sigcheck_next(&s, now, 30), 1);
}

static void test_serial_arithmetic_wrap(void)
{
	uint32_t now = 0xfffffff0u;
	struct sigcheck_state s = span(SIGCHECK_OK, 0x10u, now - 100);
	char buf[32];

	/* 0x10 is 32 s after 0xfffffff0 in RFC 1982 terms */
	CU_ASSERT_EQUAL(sigcheck_left(&s, now), 32);
	CU_ASSERT_EQUAL(sigcheck_next(&s, now, 10), 23);
	/* and is printed in the era nearest to now: 2106-02-07 */
	sigcheck_time(0x10u, now, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "2106-02-07T06:28:32Z");
	sigcheck_time(1700000000u, 1700000000u, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "2023-11-14T22:13:20Z");
}

static void test_margin_setting(void)
{
	CU_ASSERT_EQUAL(sigcheck_margin(), SIGCHECK_MARGIN);
	sigcheck_set_margin(60);
	CU_ASSERT_EQUAL(sigcheck_margin(), 60);
	sigcheck_set_margin(SIGCHECK_MARGIN);
}

static const struct unit_test tests[] = {
	{ "next transition", test_next_transition },
	{ "serial arithmetic wrap", test_serial_arithmetic_wrap },
	{ "margin setting", test_margin_setting },
};

int main(void)
{
	return unit_run("sigcheck", NULL, NULL, tests, UNIT_COUNT(tests));
}
