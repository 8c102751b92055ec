/* test_notify_in.c -- server/notify_in.h: who may notify which secondary,
 * and NOTIFYs merged per zone on their way to main. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "unit.h"
#include "server/config.h"
#include "server/notify_in.h"

#define CONFIG_DIR TEST_DATA_DIR "/config/"

static int wakes;
static char drained[8][64];
static int ndrained;

static void wake(void *arg)
{
	(void)arg;
	wakes++;
}

static void on_zone(void *arg, const char *domain)
{
	(void)arg;
	if (ndrained < 8)
		strncpy(drained[ndrained++], domain, 63);
}

static struct sockaddr_in addr4(const char *ip)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

static const uint8_t com[] = "\7example\3com";
static const uint8_t net[] = "\7example\3net";
static const uint8_t org[] = "\7example\3org";

static void test_acl_and_merge(void)
{
	struct config cfg;
	char err[512];
	struct notify_in *n;
	struct sockaddr_in in = addr4("127.0.0.5"), out = addr4("10.0.0.1");
	const struct sockaddr *ok = (const struct sockaddr *)&in;
	unsigned long allowed, denied;

	config_init(&cfg);
	CU_ASSERT_EQUAL_FATAL(config_load(&cfg, CONFIG_DIR "secondary_good.yaml",
					  err, sizeof(err)), 0);
	n = notify_in_new(&cfg, wake, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	wakes = ndrained = 0;
	CU_ASSERT_EQUAL(notify_in_note(n, com, sizeof(com), ok, 0), 0);
	CU_ASSERT_EQUAL(wakes, 1);
	/* a flood for the same zone: merged, no more wake-ups, one place */
	for (int i = 0; i < 100000; i++)
		CU_ASSERT_EQUAL(notify_in_note(n, com, sizeof(com), ok, 0), 0);
	CU_ASSERT_EQUAL(wakes, 1);
	/* a secondary with no notify acl; a zone that is not a secondary;
	 * an address outside the acl */
	CU_ASSERT_EQUAL(notify_in_note(n, net, sizeof(net), ok, 0), -EPERM);
	CU_ASSERT_EQUAL(notify_in_note(n, org, sizeof(org), ok, 0), -ENOENT);
	CU_ASSERT_EQUAL(notify_in_note(n, com, sizeof(com),
				       (const struct sockaddr *)&out, 0), -EPERM);
	CU_ASSERT_EQUAL(notify_in_drain(n, on_zone, NULL), 1);
	CU_ASSERT_EQUAL(ndrained, 1);
	CU_ASSERT_STRING_EQUAL(drained[0], "example.com");
	CU_ASSERT_EQUAL(notify_in_drain(n, on_zone, NULL), 0);
	/* after the drain a NOTIFY queues it again */
	CU_ASSERT_EQUAL(notify_in_note(n, com, sizeof(com), ok, 0), 0);
	CU_ASSERT_EQUAL(wakes, 2);
	CU_ASSERT_EQUAL(notify_in_drain(n, on_zone, NULL), 1);
	notify_in_counts(n, &allowed, &denied);
	CU_ASSERT_EQUAL(allowed, 100002);
	CU_ASSERT_EQUAL(denied, 2);
	CU_ASSERT_EQUAL(notify_in_note(NULL, com, sizeof(com), ok, 0), -ENOENT);
	notify_in_free(n);
	config_free(&cfg);
}

/* TSIG on NOTIFY in: the keyed primary's address (127.0.0.1) must sign
 * with its key (k1) even though an acl without keys lists it; another
 * loopback address needs no key; an acl entry naming k2 wants k2. */
static void test_keys(void)
{
	struct config cfg;
	char err[512];
	struct notify_in *n;
	struct sockaddr_in pri = addr4("127.0.0.1"), lo = addr4("127.0.0.9"),
			   ten = addr4("10.1.2.3");
	const uint64_t k1 = 1, k2 = 2;

	config_init(&cfg);
	CU_ASSERT_EQUAL_FATAL(config_load(&cfg, CONFIG_DIR "secondary_keys.yaml",
					  err, sizeof(err)), 0);
	n = notify_in_new(&cfg, wake, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	CU_ASSERT_EQUAL(notify_in_note(n, com, sizeof(com),
				       (const struct sockaddr *)&pri, 0), -EPERM);
	CU_ASSERT_EQUAL(notify_in_note(n, com, sizeof(com),
				       (const struct sockaddr *)&pri, k2), -EPERM);
	CU_ASSERT_EQUAL(notify_in_note(n, com, sizeof(com),
				       (const struct sockaddr *)&pri, k1), 0);
	CU_ASSERT_EQUAL(notify_in_note(n, com, sizeof(com),
				       (const struct sockaddr *)&lo, 0), 0);
	CU_ASSERT_EQUAL(notify_in_note(n, com, sizeof(com),
				       (const struct sockaddr *)&ten, 0), -EPERM);
	CU_ASSERT_EQUAL(notify_in_note(n, com, sizeof(com),
				       (const struct sockaddr *)&ten, k1), -EPERM);
	CU_ASSERT_EQUAL(notify_in_note(n, com, sizeof(com),
				       (const struct sockaddr *)&ten, k2), 0);
	notify_in_free(n);
	config_free(&cfg);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "acl, merge per zone, drain", test_acl_and_merge },
		{ "tsig keys of primaries and acl entries", test_keys },
	};

	return unit_run("notify_in", NULL, NULL, tests, UNIT_COUNT(tests));
}
