/* test_journal.c -- unit tests of the IXFR journal (zones/journal.h) on a
 * real LMDB environment in a temporary directory.
 *
 * A chain of changes made from real zone diffs, read back record by record
 * and applied with the change API (the result must equal the newest zone);
 * the rules (serial must go up, a change that does not start at the end
 * restarts the chain, depth and byte limits drop the oldest, a change over
 * the byte limit leaves nothing), persistence across close and open, zones
 * kept apart, and malformed change bytes refused before any callback.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/errcode.h"
#include "common/name.h"
#include "zones/journal.h"
#include "zones/zload.h"
#include "zones/zone.h"
#include "zones/zone_diff.h"
#include "zones/zone_update.h"
#include "unit.h"

static char dir[64];
static const struct journal_limits lim = { 1 << 20, 20 };

static struct zone *zone_at(const char *origin, uint32_t serial,
			    const char *extra)
{
	char path[] = "/tmp/levee-jz-XXXXXX", err[512];
	int fd = mkstemp(path);
	FILE *fp = fdopen(fd, "w");
	struct zone *z = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	fprintf(fp, "$ORIGIN %s\n$TTL 300\n@ SOA ns1 host %u 3600 900 604800 "
		"300\n@ NS ns1\nns1 A 127.0.0.1\n%s", origin, serial, extra);
	fclose(fp);
	if (zload_file(origin, path, &z, err, sizeof(err)))
		fprintf(stderr, "zone_at: %s\n", err);
	unlink(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(z);
	return z;
}

static struct journal *open_j(void)
{
	struct journal *j = NULL;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(journal_open(dir, 64 << 20, &j, err, sizeof(err)),
			      0);
	return j;
}

static int append_diff(struct journal *j, const struct zone *a,
		       const struct zone *b, const struct journal_limits *l)
{
	struct journal_change *c = NULL;
	char err[256];
	int rc;

	CU_ASSERT_EQUAL_FATAL(journal_change_diff(a, b, &c), 0);
	rc = journal_append(j, zone_apex(a), c, l, err, sizeof(err));
	journal_change_free(c);
	return rc;
}

struct apply_ctx {
	struct zone_update *u;
	int soas[2];
	int n;
};

static int apply_rr(void *arg, bool added, const uint8_t *owner,
		    size_t owner_len, const uint8_t *rr, size_t rr_len)
{
	struct apply_ctx *a = arg;
	uint16_t type = (uint16_t)(rr[0] << 8 | rr[1]);
	uint16_t cls = (uint16_t)(rr[2] << 8 | rr[3]);
	uint32_t ttl = (uint32_t)rr[4] << 24 | (uint32_t)rr[5] << 16 |
		       (uint32_t)rr[6] << 8 | rr[7];
	char err[256];

	(void)owner_len;
	CU_ASSERT_EQUAL(rr_len, 10u + (rr[8] << 8 | rr[9]));
	if (type == 6)
		a->soas[added]++;
	a->n++;
	if (!a->u)
		return 0;
	return added ? zone_update_add(a->u, owner, type, cls, ttl, rr + 10,
				       (uint16_t)(rr_len - 10), err,
				       sizeof(err)) :
		       zone_update_remove(a->u, owner, type, cls, rr + 10,
					  (uint16_t)(rr_len - 10), err,
					  sizeof(err));
}

static int count_diff(void *arg, bool added, const uint8_t *o, size_t ol,
		      const uint8_t *rr, size_t rl)
{
	(void)added;
	(void)o;
	(void)ol;
	(void)rr;
	(void)rl;
	(*(int *)arg)++;
	return 0;
}

static void test_chain_applies(void)
{
	struct journal *j = open_j();
	struct zone *v[4];
	struct journal_info info;

	v[0] = zone_at("a.test.", 1, "www A 127.0.0.2\n");
	v[1] = zone_at("a.test.", 2, "www A 127.0.0.3\nmail MX 10 www\n");
	v[2] = zone_at("a.test.", 3, "www A 127.0.0.3\nmail MX 20 www\n");
	v[3] = zone_at("a.test.", 4, "mail MX 20 www\nnew TXT \"x\"\n");
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(append_diff(j, v[i], v[i + 1], &lim), 0);
	CU_ASSERT_EQUAL_FATAL(journal_info(j, zone_apex(v[0]), &info), 0);
	CU_ASSERT_EQUAL(info.first, 1);
	CU_ASSERT_EQUAL(info.last, 4);
	CU_ASSERT_EQUAL(info.count, 3);
	/* closed and opened again: the same chain */
	journal_close(j);
	j = open_j();
	/* walk 1 -> 4 applying each change to v[0] */
	const struct zone *cur = v[0];
	struct zone *made[3] = { NULL, NULL, NULL };
	uint32_t s = 1;

	for (int i = 0; i < 3; i++) {
		uint8_t *buf;
		size_t len;
		uint32_t to;
		struct apply_ctx a = { NULL, { 0, 0 }, 0 };
		char err[256];

		CU_ASSERT_EQUAL_FATAL(journal_get(j, zone_apex(cur), s, &to, &buf,
						  &len), 0);
		CU_ASSERT_EQUAL(to, s + 1);
		CU_ASSERT_EQUAL_FATAL(zone_update_new(cur, &a.u), 0);
		CU_ASSERT_EQUAL(journal_walk(buf, len, apply_rr, &a), 0);
		CU_ASSERT_EQUAL(a.soas[0], 1);
		CU_ASSERT_EQUAL(a.soas[1], 1);
		CU_ASSERT_EQUAL_FATAL(zone_update_finish(a.u, &made[i], err,
							 sizeof(err)), 0);
		free(buf);
		cur = made[i];
		s = to;
	}
	int n = 0;

	CU_ASSERT_EQUAL(zone_diff(cur, v[3], count_diff, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(zone_serial(cur), 4);
	uint32_t to;
	uint8_t *buf;
	size_t len;

	CU_ASSERT_EQUAL(journal_get(j, zone_apex(v[0]), 4, &to, &buf, &len),
			-ENOENT);
	CU_ASSERT_EQUAL(journal_clear(j, zone_apex(v[0])), 0);
	CU_ASSERT_EQUAL(journal_info(j, zone_apex(v[0]), &info), -ENOENT);
	for (int i = 2; i >= 0; i--)
		zone_free(made[i]);
	for (int i = 0; i < 4; i++)
		zone_free(v[i]);
	journal_close(j);
}

static void test_rules(void)
{
	struct journal *j = open_j();
	struct zone *a = zone_at("b.test.", 10, "");
	struct zone *b = zone_at("b.test.", 11, "x A 127.0.0.9\n");
	struct zone *c = zone_at("b.test.", 12, "x A 127.0.0.8\n");
	struct zone *d = zone_at("b.test.", 20, "y A 127.0.0.7\n");
	struct zone *e = zone_at("b.test.", 21, "y A 127.0.0.6\n");
	struct journal_info info;

	/* serial does not go up: refused, nothing stored */
	CU_ASSERT_EQUAL(append_diff(j, b, a, &lim), -EINVAL);
	CU_ASSERT_EQUAL(journal_info(j, zone_apex(a), &info), -ENOENT);
	CU_ASSERT_EQUAL(append_diff(j, a, b, &lim), 0);
	CU_ASSERT_EQUAL(append_diff(j, b, c, &lim), 0);
	/* a change from 20: the chain ended at 12, so it starts anew */
	CU_ASSERT_EQUAL(append_diff(j, d, e, &lim), 0);
	CU_ASSERT_EQUAL_FATAL(journal_info(j, zone_apex(a), &info), 0);
	CU_ASSERT_EQUAL(info.first, 20);
	CU_ASSERT_EQUAL(info.last, 21);
	CU_ASSERT_EQUAL(info.count, 1);
	uint32_t to;
	uint8_t *buf;
	size_t len;

	CU_ASSERT_EQUAL(journal_get(j, zone_apex(a), 10, &to, &buf, &len),
			-ENOENT);
	/* a change without SOAs is refused */
	struct journal_change *ch = journal_change_new(21, 22);
	char err[256];

	CU_ASSERT_EQUAL(journal_append(j, zone_apex(a), ch, &lim, err,
				       sizeof(err)), -EINVAL);
	journal_change_free(ch);
	zone_free(a);
	zone_free(b);
	zone_free(c);
	zone_free(d);
	zone_free(e);
	journal_close(j);
}

static void test_limits(void)
{
	struct journal *j = open_j();
	struct journal_limits small = { 1 << 20, 5 };
	struct zone *v[12];
	struct journal_info info;
	char extra[64];

	for (int i = 0; i < 12; i++) {
		snprintf(extra, sizeof(extra), "n%d A 127.0.0.%d\n", i, i + 1);
		v[i] = zone_at("c.test.", 100 + (uint32_t)i, extra);
	}
	for (int i = 0; i < 11; i++)
		CU_ASSERT_EQUAL(append_diff(j, v[i], v[i + 1], &small), 0);
	CU_ASSERT_EQUAL_FATAL(journal_info(j, zone_apex(v[0]), &info), 0);
	CU_ASSERT_EQUAL(info.count, 5);             /* oldest dropped */
	CU_ASSERT_EQUAL(info.first, 106);
	CU_ASSERT_EQUAL(info.last, 111);
	/* bytes: a limit that holds about two changes */
	uint64_t one = info.bytes / info.count;
	struct journal_limits bytes = { 2 * one + one / 2, 100 };
	struct zone *w = zone_at("c.test.", 112, "n99 A 127.0.0.99\n");

	CU_ASSERT_EQUAL(append_diff(j, v[11], w, &bytes), 0);
	CU_ASSERT_EQUAL_FATAL(journal_info(j, zone_apex(v[0]), &info), 0);
	CU_ASSERT(info.count <= 2 && info.count >= 1);
	CU_ASSERT(info.bytes <= bytes.max_bytes);
	CU_ASSERT_EQUAL(info.last, 112);
	/* a change bigger than the limit: nothing left */
	struct journal_limits tiny = { 10, 100 };
	struct zone *x = zone_at("c.test.", 113, "n98 A 127.0.0.98\n");

	CU_ASSERT_EQUAL(append_diff(j, w, x, &tiny), 0);
	CU_ASSERT_EQUAL(journal_info(j, zone_apex(v[0]), &info), -ENOENT);
	for (int i = 0; i < 12; i++)
		zone_free(v[i]);
	zone_free(w);
	zone_free(x);
	journal_close(j);
}

static void test_zones_apart(void)
{
	struct journal *j = open_j();
	struct zone *a1 = zone_at("d.test.", 1, ""), *a2 = zone_at("d.test.", 2, "q A 127.0.0.1\n");
	struct zone *b1 = zone_at("x.d.test.", 1, ""), *b2 = zone_at("x.d.test.", 2, "q A 127.0.0.1\n");
	struct journal_info info;

	CU_ASSERT_EQUAL(append_diff(j, a1, a2, &lim), 0);
	CU_ASSERT_EQUAL(append_diff(j, b1, b2, &lim), 0);
	CU_ASSERT_EQUAL(journal_clear(j, zone_apex(a1)), 0);
	CU_ASSERT_EQUAL(journal_info(j, zone_apex(a1), &info), -ENOENT);
	CU_ASSERT_EQUAL(journal_info(j, zone_apex(b1), &info), 0);
	CU_ASSERT_EQUAL(info.count, 1);
	zone_free(a1);
	zone_free(a2);
	zone_free(b1);
	zone_free(b2);
	journal_close(j);
}

static void test_malformed_changes(void)
{
	struct journal *j = open_j();
	struct zone *a = zone_at("e.test.", 1, "w A 127.0.0.5\n");
	struct zone *b = zone_at("e.test.", 2, "w A 127.0.0.6\nv TXT \"t\"\n");
	uint8_t *buf, *m;
	size_t len;
	uint32_t to;
	unsigned seed = 7;
	int ok = 0, bad = 0;

	CU_ASSERT_EQUAL(append_diff(j, a, b, &lim), 0);
	CU_ASSERT_EQUAL_FATAL(journal_get(j, zone_apex(a), 1, &to, &buf, &len), 0);
	m = malloc(len);
	for (int i = 0; i < 20000; i++) {
		struct apply_ctx c = { NULL, { 0, 0 }, 0 };
		size_t ml = len - (size_t)(rand_r(&seed) % 3 == 0 ?
					   rand_r(&seed) % len : 0);
		int rc;

		memcpy(m, buf, len);
		for (int k = rand_r(&seed) % 4; k >= 0; k--)
			m[rand_r(&seed) % ml] = (uint8_t)rand_r(&seed);
		rc = journal_walk(m, ml, apply_rr, &c);
		if (rc == LV_EMALF) {
			CU_ASSERT_EQUAL(c.n, 0);    /* refused before any call */
			bad++;
		} else {
			CU_ASSERT_EQUAL(rc, 0);
			ok++;
		}
	}
	CU_ASSERT(bad > 1000);
	free(m);
	free(buf);
	zone_free(a);
	zone_free(b);
	journal_close(j);
}

/* A random walk of versions journaled one by one; for every pair (i, k)
 * the condensed change i -> k applied to version i gives version k, and
 * holds no record twice. */
static void test_condense(void)
{
	enum { N = 8 };
	static const char *const rrs[] = {
		"a A 127.0.0.1", "a A 127.0.0.2", "b TXT \"x\"", "b TXT \"y\"",
		"c.d MX 10 a", "e 600 AAAA ::1", "e 300 AAAA ::1", "w.x A 127.0.0.9",
	};
	struct journal *j = open_j();
	struct journal_limits big = { 1 << 20, 100 };
	struct zone *v[N];
	unsigned seed = 99;
	static char texts[N][2048];

	for (int i = 0; i < N; i++) {
		char *text = texts[i];
		size_t off = 0;
		bool used_e = false;

		text[0] = '\0';
		for (size_t r = 0; r < sizeof(rrs) / sizeof(rrs[0]); r++) {
			if (rand_r(&seed) % 2)
				continue;
			if (rrs[r][0] == 'e' && used_e)
				continue;   /* one TTL per set */
			used_e |= rrs[r][0] == 'e';
			off += (size_t)snprintf(text + off, sizeof(texts[i]) - off,
						"%s\n", rrs[r]);
		}
		v[i] = zone_at("f.test.", 1000 + (uint32_t)i, text);
		if (i)
			CU_ASSERT_EQUAL(append_diff(j, v[i - 1], v[i], &big), 0);
	}
	for (int i = 0; i < N; i++) {
		for (int k = i + 1; k < N; k++) {
			struct journal_change *c = NULL;
			struct apply_ctx a = { NULL, { 0, 0 }, 0 };
			/* a change is made from a family's newest version: a
			 * fresh build of version i each time */
			struct zone *base = zone_at("f.test.", 1000 + (uint32_t)i,
						    texts[i]);
			struct zone *made = NULL;
			uint8_t *buf;
			size_t len;
			char err[256];
			int n = 0;

			CU_ASSERT_EQUAL_FATAL(journal_condense(j, zone_apex(v[0]),
							       1000 + (uint32_t)i,
							       1000 + (uint32_t)k,
							       0, &c), 0);
			buf = journal_change_bytes(c, &len);
			CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
			CU_ASSERT_EQUAL_FATAL(zone_update_new(base, &a.u), 0);
			CU_ASSERT_EQUAL(journal_walk(buf, len, apply_rr, &a), 0);
			CU_ASSERT_EQUAL(a.soas[0], 1);
			CU_ASSERT_EQUAL(a.soas[1], 1);
			CU_ASSERT_EQUAL_FATAL(zone_update_finish(a.u, &made, err,
								 sizeof(err)), 0);
			CU_ASSERT_EQUAL(zone_diff(made, v[k], count_diff, &n), 0);
			CU_ASSERT_EQUAL(n, 0);
			CU_ASSERT_EQUAL(zone_serial(made), 1000 + (uint32_t)k);
			/* condensed: exactly the records i and k differ by */
			n = 0;
			CU_ASSERT_EQUAL(zone_diff(v[i], v[k], count_diff, &n), 0);
			CU_ASSERT_EQUAL(a.n, n);
			zone_free(made);
			zone_free(base);
			free(buf);
			journal_change_free(c);
		}
	}
	/* outside the chain: no condensed change */
	struct journal_change *c = NULL;

	CU_ASSERT_EQUAL(journal_condense(j, zone_apex(v[0]), 999, 1003, 0, &c),
			-ENOENT);
	CU_ASSERT_EQUAL(journal_condense(j, zone_apex(v[0]), 1002, 1100, 0, &c),
			-ENOENT);
	/* a bound below the chain's records: refused */
	CU_ASSERT_EQUAL(journal_condense(j, zone_apex(v[0]), 1000, 1007, 10, &c),
			-E2BIG);
	for (int i = 0; i < N; i++)
		zone_free(v[i]);
	journal_close(j);
}

/* Timers: the first put after a quiet second is written at once; the
 * puts right after it wait (queued, read back by get) and go in one
 * transaction with journal_timers_flush or journal_close; a reopened
 * journal reads them all. */
static void test_timers_batched(void)
{
	struct journal *j = open_j();
	struct journal_timers t, got;
	uint8_t apex[64];
	char text[32];

	for (int i = 0; i < 50; i++) {
		snprintf(text, sizeof(text), "t%d.example", i);
		CU_ASSERT_FATAL(name_from_text(text, apex) > 0);
		t.last_refresh = 1000 + i;
		t.expire_at = 2000 + i;
		t.serial = (uint32_t)i;
		CU_ASSERT_EQUAL(journal_timers_put(j, apex, &t), 0);
	}
	/* the first was written, the other 49 wait (well within 1 s) */
	CU_ASSERT_EQUAL(journal_timers_pending(j), 49);
	CU_ASSERT_FATAL(name_from_text("t7.example", apex) > 0);
	CU_ASSERT_EQUAL(journal_timers_get(j, apex, &got), 0);
	CU_ASSERT_EQUAL(got.serial, 7);
	/* a put of a queued zone replaces its entry */
	t.serial = 77;
	CU_ASSERT_EQUAL(journal_timers_put(j, apex, &t), 0);
	CU_ASSERT_EQUAL(journal_timers_pending(j), 49);
	CU_ASSERT_EQUAL(journal_timers_flush(j), 0);
	CU_ASSERT_EQUAL(journal_timers_pending(j), 0);
	CU_ASSERT_FATAL(name_from_text("t8.example", apex) > 0);
	t.serial = 88;
	CU_ASSERT_EQUAL(journal_timers_put(j, apex, &t), 0);
	journal_close(j);            /* writes the one queued */
	j = open_j();
	for (int i = 0; i < 50; i++) {
		snprintf(text, sizeof(text), "t%d.example", i);
		CU_ASSERT_FATAL(name_from_text(text, apex) > 0);
		CU_ASSERT_EQUAL_FATAL(journal_timers_get(j, apex, &got), 0);
		CU_ASSERT_EQUAL(got.serial, i == 7 ? 77u : i == 8 ? 88u :
				(uint32_t)i);
		CU_ASSERT_EQUAL(got.expire_at, i == 7 || i == 8 ? 2049 : 2000 + i);
	}
	journal_close(j);
}

static int setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/levee-journal-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "chain_applies", test_chain_applies },
		{ "rules", test_rules },
		{ "limits", test_limits },
		{ "zones_apart", test_zones_apart },
		{ "malformed_changes", test_malformed_changes },
		{ "condense", test_condense },
		{ "timers_batched", test_timers_batched },
	};

	return unit_run("journal", setup, teardown, tests, UNIT_COUNT(tests));
}
