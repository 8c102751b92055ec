/* test_zverify.c -- the KeyTrap bounds of zone_verify() (zones/zverify.h,
 * CVE-2023-50387): a zone built to make validation work is refused at the
 * bound, and the work done stays under it.
 *
 * keytrap.test. (keytrap_vectors.h, made by make_keytrap_vectors.py) has
 * five ECDSA P-256 DNSKEYs with one key tag, and its RRsets are signed for
 * real by the one that sorts last. Each test adds what costs: the fifth
 * colliding key, or junk RRSIGs with that key tag (they never verify, and
 * each one makes four keys be tried) sorted before the real one. The
 * bounds are the ones zverify.h promises, written here as numbers so that
 * raising one in zverify.c fails a test: 4 DNSKEYs per RRSIG, 16 RRSIGs per
 * RRset, 4 operations per RRset over the zone plus 1000. Signatures are
 * valid 2020-01-01 to 2037-12-01; everything is verified at KT_NOW (2030).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/errcode.h"
#include "zones/zload.h"
#include "zones/zone.h"
#include "zones/zverify.h"

#include "unit.h"
#include "keytrap_vectors.h"

#define KT_SETS (4 + 2 * KT_HOSTS)    /* SOA NS DNSKEY NSEC; A NSEC each */
#define KT_KEYS_PER_SIG 4
#define KT_OPS_PER_SET 4
#define KT_OPS_SLACK 1000

/* keytrap.test. with nkeys DNSKEYs (5: all; 4: the signer and the first
 * three) and, for hK A with K = 1..hosts, junk RRSIGs before the real one
 * (expirations in 2037-11, the real one's 2037-12: they sort first). NULL
 * when it does not load. */
static struct zone *kt_zone(int nkeys, unsigned hosts, unsigned junk)
{
	char path[] = "/tmp/levee-zverify-XXXXXX", err[512];
	int fd = mkstemp(path);
	FILE *fp = fdopen(fd, "w");
	struct zone *z = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	CU_ASSERT_FATAL(junk < 60);
	fputs(kt_body, fp);
	for (int i = 0; i < 5; i++)
		if (nkeys == 5 || i != 3)
			fputs(kt_dnskey[i], fp);
	fputs(nkeys == 5 ? kt_dnskey_sig5 : kt_dnskey_sig4, fp);
	for (unsigned k = 1; k <= hosts; k++)
		for (unsigned j = 0; j < junk; j++)
			fprintf(fp, "h%u." KT_ORIGIN " 300 IN RRSIG A 13 3 300 "
				"2037110100%02u00 " KT_INCEPTION " %d "
				KT_ORIGIN " %.84s%s\n", k, j, KT_TAG,
				"ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"
				"ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ",
				"ZQ==");
	fclose(fp);
	if (zload_file(KT_ORIGIN, path, &z, err, sizeof(err))) {
		fprintf(stderr, "kt_zone: %s\n", err);
		z = NULL;
	}
	unlink(path);
	return z;
}

static int kt_verify(int nkeys, unsigned hosts, unsigned junk, char *err,
		     size_t errlen, struct zone_verify_stats *st)
{
	struct zone *z = kt_zone(nkeys, hosts, junk);
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(z);
	err[0] = '\0';
	rc = zone_verify_counted(z, KT_NOW, err, errlen, st);
	zone_free(z);
	return rc;
}

/* The work can never pass what zverify.h promises. */
static void kt_assert_bounded(const struct zone_verify_stats *st)
{
	CU_ASSERT(st->ops <= KT_OPS_PER_SET * st->sets + KT_OPS_SLACK +
		  KT_KEYS_PER_SIG);
}

/* Four colliding keys, nothing hostile: it passes, every RRset once, each
 * RRSIG tried with the four keys of its tag (one of them verifies). */
static void test_colliding_keys_within_bound(void)
{
	struct zone_verify_stats st;
	char err[512];

	CU_ASSERT_EQUAL(kt_verify(4, 0, 0, err, sizeof(err), &st), 0);
	CU_ASSERT_STRING_EQUAL(err, "");
	CU_ASSERT_EQUAL(st.sets, KT_SETS);
	CU_ASSERT_EQUAL(st.ops, 4 * KT_SETS);
	/* zone_verify() is the same check */
	{
		struct zone *z = kt_zone(4, 0, 0);

		CU_ASSERT_PTR_NOT_NULL_FATAL(z);
		CU_ASSERT_EQUAL(zone_verify(z, KT_NOW, err, sizeof(err)), 0);
		zone_free(z);
	}
}

/* Five keys with one tag: only four are tried per RRSIG, and the signer
 * is the fifth, so the first RRset checked fails after four operations. */
static void test_keys_per_sig_bound(void)
{
	struct zone_verify_stats st;
	char err[512];

	CU_ASSERT_EQUAL(kt_verify(5, 0, 0, err, sizeof(err), &st), LV_EMALF);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no RRSIG verifies"));
	CU_ASSERT_EQUAL(st.sets, 1);
	CU_ASSERT_EQUAL(st.ops, KT_KEYS_PER_SIG);
	kt_assert_bounded(&st);
}

/* h1 A with junk RRSIGs first: the real one is tried as the 16th, not as
 * the 17th. */
static void test_sigs_per_set_bound(void)
{
	struct zone_verify_stats st;
	char err[512];

	CU_ASSERT_EQUAL(kt_verify(4, 1, 15, err, sizeof(err), &st), 0);
	CU_ASSERT_EQUAL(st.sets, KT_SETS);
	CU_ASSERT_EQUAL(st.ops, 4 * KT_SETS + 15 * 4);
	kt_assert_bounded(&st);

	CU_ASSERT_EQUAL(kt_verify(4, 1, 16, err, sizeof(err), &st), LV_EMALF);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "h1." KT_ORIGIN " A: no RRSIG "
					   "verifies"));
	/* the sets before it cost 4 each; h1 A 16 RRSIGs of 4 keys */
	CU_ASSERT_EQUAL(st.ops - 4 * (st.sets - 1), 16 * 4);
	kt_assert_bounded(&st);
}

/* 15 junk RRSIGs on each host's A: 60 operations over the allowance per
 * such RRset. 8 of them stay under the slack of 1000; all 20 would need
 * 4 * 44 + 1200 and are refused at the bound, before the end. */
static void test_ops_per_zone_bound(void)
{
	struct zone_verify_stats st;
	char err[512];

	CU_ASSERT_EQUAL(kt_verify(4, 8, 15, err, sizeof(err), &st), 0);
	CU_ASSERT_EQUAL(st.sets, KT_SETS);
	CU_ASSERT_EQUAL(st.ops, 4 * KT_SETS + 8 * 15 * 4);
	kt_assert_bounded(&st);

	CU_ASSERT_EQUAL(kt_verify(4, KT_HOSTS, 15, err, sizeof(err), &st),
			LV_EMALF);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "validation work over its bound"));
	CU_ASSERT(st.sets < KT_SETS);
	kt_assert_bounded(&st);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "colliding key tags within the bounds",
		  test_colliding_keys_within_bound },
		{ "DNSKEYs tried per RRSIG bounded", test_keys_per_sig_bound },
		{ "RRSIGs tried per RRset bounded", test_sigs_per_set_bound },
		{ "operations over the zone bounded", test_ops_per_zone_bound },
	};

	return unit_run("zverify", NULL, NULL, tests, UNIT_COUNT(tests));
}
