/* test_zone_diff.c -- unit tests of zone_diff (zones/zone_diff.h).
 *
 * Named cases (nothing, one record, a TTL change, a name added and one
 * gone, a large set with one record changed, the SOA), then the property
 * the journal relies on: for random pairs of zone texts A and B, applying
 * diff(A, B) to A with the change API (zone_update.h) gives a version
 * whose diff against B is empty, and diff(B, A) is the mirror of
 * diff(A, B). Also a version made by zone_update (sharing nodes with its
 * parent) against a fresh build.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/name.h"
#include "zones/zload.h"
#include "zones/zone.h"
#include "zones/zone_diff.h"
#include "zones/zone_update.h"
#include "unit.h"

#define HEAD "$ORIGIN example.com.\n$TTL 300\n"
#define SOA1 "@ SOA ns1 host 1 3600 900 604800 300\n@ NS ns1\nns1 A 127.0.0.1\n"
#define SOA2 "@ SOA ns1 host 2 3600 900 604800 300\n@ NS ns1\nns1 A 127.0.0.1\n"

static struct zone *build_text(const char *body)
{
	char path[] = "/tmp/levee-diff-XXXXXX", err[512];
	int fd = mkstemp(path);
	FILE *fp = fdopen(fd, "w");
	struct zone *z = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	fputs(HEAD, fp);
	fputs(body, fp);
	fclose(fp);
	if (zload_file("example.com.", path, &z, err, sizeof(err))) {
		fprintf(stderr, "build_text: %s\n", err);
		z = NULL;
	}
	unlink(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(z);
	return z;
}

/* The diff, as counts and a copy of each record. */
struct rec {
	bool added;
	uint8_t owner[256];
	size_t owner_len;
	uint8_t rr[1024];
	size_t rr_len;
};

struct diff {
	struct rec *r;
	size_t n, cap;
	size_t added, removed;
	bool order_ok;             /* no removal after an addition */
};

static int collect(void *arg, bool added, const uint8_t *owner,
		   size_t owner_len, const uint8_t *rr, size_t rr_len)
{
	struct diff *d = arg;

	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		d->r = realloc(d->r, d->cap * sizeof(*d->r));
		CU_ASSERT_PTR_NOT_NULL_FATAL(d->r);
	}
	if (!added && d->added)
		d->order_ok = false;
	CU_ASSERT_FATAL(rr_len <= sizeof(d->r[0].rr));
	struct rec *r = &d->r[d->n++];

	r->added = added;
	memcpy(r->owner, owner, owner_len);
	r->owner_len = owner_len;
	memcpy(r->rr, rr, rr_len);
	r->rr_len = rr_len;
	if (added)
		d->added++;
	else
		d->removed++;
	return 0;
}

static struct diff run_diff(const struct zone *a, const struct zone *b)
{
	struct diff d = { NULL, 0, 0, 0, 0, true };

	CU_ASSERT_EQUAL(zone_diff(a, b, collect, &d), 0);
	CU_ASSERT(d.order_ok);
	return d;
}

static uint16_t rr_type(const struct rec *r)
{
	return (uint16_t)(r->rr[0] << 8 | r->rr[1]);
}

static uint32_t rr_ttl(const struct rec *r)
{
	return (uint32_t)r->rr[4] << 24 | (uint32_t)r->rr[5] << 16 |
	       (uint32_t)r->rr[6] << 8 | r->rr[7];
}

/* Applies d to z with the change API; the new version. */
static struct zone *apply(const struct zone *z, const struct diff *d)
{
	struct zone_update *u = NULL;
	struct zone *out = NULL;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(zone_update_new(z, &u), 0);
	for (size_t i = 0; i < d->n; i++) {
		const struct rec *r = &d->r[i];
		uint16_t type = rr_type(r);
		uint16_t cls = (uint16_t)(r->rr[2] << 8 | r->rr[3]);
		uint16_t rdlen = (uint16_t)(r->rr[8] << 8 | r->rr[9]);
		int rc = r->added ?
			zone_update_add(u, r->owner, type, cls, rr_ttl(r),
					r->rr + 10, rdlen, err, sizeof(err)) :
			zone_update_remove(u, r->owner, type, cls, r->rr + 10,
					   rdlen, err, sizeof(err));

		if (rc)
			fprintf(stderr, "apply: %s\n", err);
		CU_ASSERT_EQUAL_FATAL(rc, 0);
	}
	CU_ASSERT_EQUAL_FATAL(zone_update_finish(u, &out, err, sizeof(err)), 0);
	return out;
}

static void test_same_zone(void)
{
	struct zone *a = build_text(SOA1 "www A 127.0.0.2\n");
	struct zone *b = build_text(SOA1 "www A 127.0.0.2\n");
	struct diff d = run_diff(a, b);

	CU_ASSERT_EQUAL(d.n, 0);
	d = run_diff(a, a);
	CU_ASSERT_EQUAL(d.n, 0);
	free(d.r);
	zone_free(a);
	zone_free(b);
}

static void test_one_record_and_soa(void)
{
	struct zone *a = build_text(SOA1 "www A 127.0.0.2\nwww A 127.0.0.3\n");
	struct zone *b = build_text(SOA2 "www A 127.0.0.2\nwww A 127.0.0.4\n");
	struct diff d = run_diff(a, b);
	int soa = 0, a_rr = 0;

	CU_ASSERT_EQUAL(d.removed, 2);
	CU_ASSERT_EQUAL(d.added, 2);
	for (size_t i = 0; i < d.n; i++) {
		if (rr_type(&d.r[i]) == 6)
			soa++;
		if (rr_type(&d.r[i]) == 1) {
			a_rr++;
			CU_ASSERT_EQUAL(d.r[i].rr[13], d.r[i].added ? 4 : 3);
		}
	}
	CU_ASSERT_EQUAL(soa, 2);
	CU_ASSERT_EQUAL(a_rr, 2);
	free(d.r);
	zone_free(a);
	zone_free(b);
}

static void test_ttl_change(void)
{
	struct zone *a = build_text(SOA1 "www 300 A 127.0.0.2\nwww 300 A 127.0.0.3\n");
	struct zone *b = build_text(SOA1 "www 600 A 127.0.0.2\nwww 600 A 127.0.0.3\n");
	struct diff d = run_diff(a, b);

	/* the whole set out at 300, in at 600 */
	CU_ASSERT_EQUAL(d.removed, 2);
	CU_ASSERT_EQUAL(d.added, 2);
	for (size_t i = 0; i < d.n; i++)
		CU_ASSERT_EQUAL(rr_ttl(&d.r[i]), d.r[i].added ? 600 : 300);
	free(d.r);
	zone_free(a);
	zone_free(b);
}

static void test_names_come_and_go(void)
{
	struct zone *a = build_text(SOA1 "old.deep.x TXT \"a\"\nkeep MX 10 ns1\n");
	struct zone *b = build_text(SOA1 "new.y AAAA ::1\nkeep MX 10 ns1\n");
	struct diff d = run_diff(a, b);
	struct zone *c;

	CU_ASSERT_EQUAL(d.removed, 1);
	CU_ASSERT_EQUAL(d.added, 1);
	c = apply(a, &d);
	free(d.r);
	d = run_diff(c, b);
	CU_ASSERT_EQUAL(d.n, 0);
	/* and the version made by the change, sharing nodes with a, against
	 * a: the same diff again */
	free(d.r);
	d = run_diff(a, c);
	CU_ASSERT_EQUAL(d.removed, 1);
	CU_ASSERT_EQUAL(d.added, 1);
	free(d.r);
	zone_free(c);
	zone_free(a);
	zone_free(b);
}

static void test_large_set_one_changed(void)
{
	char *ta = malloc(200000), *tb = malloc(200000);
	size_t oa = 0, ob = 0;

	oa += (size_t)sprintf(ta + oa, SOA1);
	ob += (size_t)sprintf(tb + ob, SOA1);
	for (int i = 0; i < 2000; i++) {
		oa += (size_t)sprintf(ta + oa, "big TXT \"r%d\"\n", i);
		ob += (size_t)sprintf(tb + ob, "big TXT \"r%d\"\n",
				      i == 1234 ? 99999 : i);
	}
	struct zone *a = build_text(ta), *b = build_text(tb);
	struct diff d = run_diff(a, b);

	CU_ASSERT_EQUAL(d.removed, 1);
	CU_ASSERT_EQUAL(d.added, 1);
	free(d.r);
	zone_free(a);
	zone_free(b);
	free(ta);
	free(tb);
}

static void test_apex_differs(void)
{
	char path[] = "/tmp/levee-diff-XXXXXX", err[256];
	int fd = mkstemp(path);
	FILE *fp = fdopen(fd, "w");
	struct zone *a = build_text(SOA1), *b = NULL;

	fputs("$ORIGIN example.net.\n$TTL 300\n" SOA1, fp);
	fclose(fp);
	CU_ASSERT_EQUAL_FATAL(zload_file("example.net.", path, &b, err,
					 sizeof(err)), 0);
	unlink(path);
	CU_ASSERT_EQUAL(zone_diff(a, b, collect, NULL), -EINVAL);
	zone_free(a);
	zone_free(b);
}

/* A random zone text over a small pool of names and records. */
static void random_text(char *buf, size_t cap, unsigned *seed)
{
	static const char *const names[] = { "a", "b", "c.b", "d.c.b", "*.w",
					     "mail", "x.y.z" };
	static const char *const rrs[] = {
		"A 127.0.0.1", "A 127.0.0.2", "A 127.0.0.3", "AAAA ::1",
		"TXT \"one\"", "TXT \"two\"", "MX 10 mail", "MX 20 a",
	};
	size_t off = (size_t)snprintf(buf, cap, SOA1);

	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
		int ttl = rand_r(seed) % 2 ? 300 : 600;

		for (size_t r = 0; r < sizeof(rrs) / sizeof(rrs[0]); r++)
			if (rand_r(seed) % 3 == 0)
				off += (size_t)snprintf(buf + off, cap - off,
							"%s %d %s\n", names[n],
							ttl, rrs[r]);
	}
}

static void test_random_pairs(void)
{
	unsigned seed = 12345;
	static char ta[8192], tb[8192];

	for (int round = 0; round < 200; round++) {
		random_text(ta, sizeof(ta), &seed);
		random_text(tb, sizeof(tb), &seed);
		struct zone *a = build_text(ta), *b = build_text(tb);
		struct diff d = run_diff(a, b), back = run_diff(b, a);
		struct zone *c;

		/* mirror: as many added one way as removed the other */
		CU_ASSERT_EQUAL(d.added, back.removed);
		CU_ASSERT_EQUAL(d.removed, back.added);
		c = apply(a, &d);
		free(d.r);
		d = run_diff(c, b);
		CU_ASSERT_EQUAL(d.n, 0);
		if (d.n)
			fprintf(stderr, "round %d:\nA:\n%s\nB:\n%s\n", round,
				ta, tb);
		free(d.r);
		free(back.r);
		zone_free(c);
		zone_free(a);
		zone_free(b);
	}
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "same_zone", test_same_zone },
		{ "one_record_and_soa", test_one_record_and_soa },
		{ "ttl_change", test_ttl_change },
		{ "names_come_and_go", test_names_come_and_go },
		{ "large_set_one_changed", test_large_set_one_changed },
		{ "apex_differs", test_apex_differs },
		{ "random_pairs", test_random_pairs },
	};

	return unit_run("zone_diff", NULL, NULL, tests, UNIT_COUNT(tests));
}
