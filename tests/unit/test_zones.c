/* test_zones.c -- unit tests of zones/: names, arena, loader, zone, zdb.
 *
 * Zone files live in tests/data/unit/ (TEST_DATA_DIR). Each refusal case has
 * its own small file so the expected "FILE:LINE:" of the message is fixed.
 * The zdb tests register this thread as a QSBR reader to check that a
 * replaced snapshot is retired while the zones it shares stay alive.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <urcu-qsbr.h>

#include "zones/arena.h"
#include "zones/errcode.h"
#include "zones/name.h"
#include "zones/zdb.h"
#include "zones/zload.h"
#include "zones/zone.h"

#define DATA TEST_DATA_DIR "/unit/"

/* Text ("www.example.com", no escapes) to lowercase-as-given wire. */
static size_t W(const char *text, uint8_t *out)
{
	size_t o = 0;
	const char *p = text;

	while (*p && !(p[0] == '.' && p[1] == '\0')) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);

		out[o++] = (uint8_t)len;
		memcpy(out + o, p, len);
		o += len;
		p += len;
		if (*p == '.')
			p++;
	}
	out[o++] = 0;
	return o;
}

static const struct zone_node *find(const struct zone *z, const char *text)
{
	uint8_t w[NAME_MAX_LEN];
	size_t len = W(text, w);

	return zone_find(z, w, len);
}

static struct zone *load_ok(const char *origin, const char *file)
{
	char err[512] = "";
	struct zone *z = NULL;
	int rc = zload_file(origin, file, &z, err, sizeof(err));

	if (rc != 0)
		fprintf(stderr, "\nload %s failed: %d %s\n", file, rc, err);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_PTR_NOT_NULL(z);
	return z;
}

/* --- name.c --- */

static void test_names(void)
{
	uint8_t a[NAME_MAX_LEN], b[NAME_MAX_LEN], l[NAME_MAX_LEN];
	char buf[64];

	W("WwW.Example.COM", a);
	W("example.com", b);
	CU_ASSERT_EQUAL(name_length(a), 17);
	CU_ASSERT_EQUAL(name_label_count(a), 3);
	CU_ASSERT_EQUAL(name_label_count((const uint8_t *)""), 0);
	CU_ASSERT_EQUAL(name_to_lower(l, a), 17);
	CU_ASSERT_EQUAL(memcmp(l, "\3www\7example\3com", 17), 0);
	CU_ASSERT_TRUE(name_equal_ci(a, l));
	CU_ASSERT_FALSE(name_equal_ci(a, b));
	CU_ASSERT_TRUE(name_is_below_or_equal(l, b));
	CU_ASSERT_TRUE(name_is_below_or_equal(b, b));
	CU_ASSERT_FALSE(name_is_below_or_equal(b, l));
	W("xexample.com", a);
	CU_ASSERT_FALSE(name_is_below_or_equal(a, b));
	CU_ASSERT_TRUE(name_is_below_or_equal(b, (const uint8_t *)""));
	CU_ASSERT_PTR_EQUAL(name_suffix(l, 2), l + 4);
	CU_ASSERT_PTR_EQUAL(name_suffix(l, 0), l + 16);
	CU_ASSERT_EQUAL(name_hash(l, 17), name_hash(l, 17));
	CU_ASSERT_NOT_EQUAL(name_hash(l, 17), name_hash(b, 13));
	CU_ASSERT_STRING_EQUAL(name_to_text(l, buf, sizeof(buf)),
			       "www.example.com.");
	CU_ASSERT_STRING_EQUAL(name_to_text((const uint8_t *)"", buf,
					    sizeof(buf)), ".");
	CU_ASSERT_STRING_EQUAL(name_to_text((const uint8_t *)"\3a.b\1\1\0",
					    buf, sizeof(buf)), "a\\.b.\\001.");
	/* Truncation keeps the string terminated. */
	name_to_text(l, buf, 6);
	CU_ASSERT_EQUAL(strlen(buf), 4);
}

static void test_arena_errcode(void)
{
	struct arena *a = arena_new(4096);
	uint8_t *p, *q, *big;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	p = arena_alloc(a, 3);
	q = arena_alloc(a, 5);
	CU_ASSERT_EQUAL((uintptr_t)p % 16, 0);
	CU_ASSERT_EQUAL((uintptr_t)q % 16, 0);
	CU_ASSERT_TRUE(q >= p + 3 || q + 5 <= p);
	big = arena_alloc(a, 100000);
	CU_ASSERT_PTR_NOT_NULL(big);
	memset(big, 0xab, 100000);
	q = arena_memdup(a, "hello", 6);
	CU_ASSERT_STRING_EQUAL((char *)q, "hello");
	CU_ASSERT_TRUE(arena_size(a) >= 100000 + 4096);
	for (int i = 0; i < 1000; i++)
		CU_ASSERT_PTR_NOT_NULL(arena_alloc(a, 100));
	arena_destroy(a);
	arena_destroy(NULL);

	const int codes[] = { LV_EMALF, LV_EOUTSIDE, LV_ESOA2, LV_ECNAME,
			      LV_ENOSOA, LV_ENONS, LV_ECLASS, LV_ESYNTAX,
			      LV_ECONFIG, LV_EEXIST };
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		CU_ASSERT_STRING_NOT_EQUAL(lv_strerror(codes[i]),
					   "unknown error");
		for (size_t j = 0; j < i; j++)
			CU_ASSERT_STRING_NOT_EQUAL(lv_strerror(codes[i]),
						   lv_strerror(codes[j]));
	}
	CU_ASSERT_STRING_EQUAL(lv_strerror(-ENOENT), strerror(ENOENT));
	CU_ASSERT_STRING_EQUAL(lv_strerror(-ENOMEM), strerror(ENOMEM));
	CU_ASSERT_PTR_NOT_NULL(lv_strerror(-5000));
}

/* --- zone loading and structure --- */

static struct zone *mainz;

static void test_load_structure(void)
{
	const struct zone_node *apex, *n, *p;

	mainz = load_ok("example.com", DATA "main.zone");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mainz);
	apex = zone_apex_node(mainz);
	CU_ASSERT_EQUAL(memcmp(zone_apex(mainz), "\7example\3com", 13), 0);
	CU_ASSERT_EQUAL(apex->flags, ZNODE_APEX);
	CU_ASSERT_PTR_NULL(apex->parent);
	CU_ASSERT_EQUAL(apex->label_count, 2);
	CU_ASSERT_EQUAL(zone_serial(mainz), 2024010101u);
	CU_ASSERT_PTR_EQUAL(zone_soa(mainz), znode_rrset(apex, 6));
	CU_ASSERT_EQUAL(zone_soa(mainz)->rr_count, 1);
	CU_ASSERT_EQUAL(znode_rrset(apex, 2)->rr_count, 2);
	/* Sets sorted by type at the apex: NS(2), SOA(6). */
	CU_ASSERT_EQUAL(apex->rrset_count, 2);
	CU_ASSERT_EQUAL(apex->rrsets[0].type, 2);
	CU_ASSERT_EQUAL(apex->rrsets[1].type, 6);

	/* Empty non-terminals between a.b.c and the apex. */
	n = find(mainz, "a.b.c.example.com");
	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	CU_ASSERT_EQUAL(n->flags, 0);
	p = find(mainz, "b.c.example.com");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_PTR_EQUAL(n->parent, p);
	CU_ASSERT_EQUAL(p->flags, ZNODE_EMPTY);
	CU_ASSERT_EQUAL(p->rrset_count, 0);
	CU_ASSERT_PTR_EQUAL(p->parent, find(mainz, "c.example.com"));
	CU_ASSERT_EQUAL(p->parent->flags, ZNODE_EMPTY);
	CU_ASSERT_PTR_EQUAL(p->parent->parent, apex);
	CU_ASSERT_PTR_NULL(find(mainz, "nothere.example.com"));
	CU_ASSERT_PTR_NULL(find(mainz, "example.org"));

	/* Wildcards. */
	n = find(mainz, "wild.example.com");
	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	CU_ASSERT_EQUAL(n->flags, ZNODE_EMPTY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(n->wildcard_child);
	CU_ASSERT_PTR_EQUAL(n->wildcard_child, find(mainz, "*.wild.example.com"));
	CU_ASSERT_EQUAL(n->wildcard_child->flags, ZNODE_WILDCARD);
	CU_ASSERT_EQUAL(n->wildcard_child->rrset_count, 2);
	CU_ASSERT_PTR_NULL(apex->wildcard_child);

	/* Delegations and what lies under them. */
	n = find(mainz, "sub.example.com");
	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	CU_ASSERT_EQUAL(n->flags, ZNODE_DELEGATION);
	CU_ASSERT_PTR_EQUAL(znode_cut(n), n);
	p = find(mainz, "ns.sub.example.com");
	CU_ASSERT_EQUAL(p->flags, ZNODE_NONAUTH);
	CU_ASSERT_PTR_EQUAL(znode_cut(p), n);
	p = find(mainz, "deep.ns.sub.example.com");
	CU_ASSERT_EQUAL(p->flags, ZNODE_NONAUTH);
	CU_ASSERT_PTR_EQUAL(znode_cut(p), n);
	p = find(mainz, "in.sub.example.com");
	CU_ASSERT_EQUAL(p->flags, ZNODE_DELEGATION | ZNODE_NONAUTH);
	CU_ASSERT_PTR_EQUAL(znode_cut(p), n);
	CU_ASSERT_PTR_NULL(znode_cut(find(mainz, "www.example.com")));
	CU_ASSERT_PTR_NULL(znode_cut(apex));

	/* CNAME with RRSIG and NSEC beside it, DNAME and below. */
	n = find(mainz, "cname.example.com");
	CU_ASSERT_EQUAL(n->flags, ZNODE_CNAME);
	CU_ASSERT_EQUAL(n->rrset_count, 3);
	CU_ASSERT_EQUAL(znode_rrset(n, 5)->rr_count, 1);
	CU_ASSERT_PTR_NOT_NULL(znode_rrset(n, 46));
	CU_ASSERT_PTR_NOT_NULL(znode_rrset(n, 47));
	CU_ASSERT_PTR_NULL(znode_rrset(n, 1));
	n = find(mainz, "dn.example.com");
	CU_ASSERT_EQUAL(n->flags, ZNODE_DNAME);
	p = find(mainz, "x.dn.example.com");
	CU_ASSERT_EQUAL(p->flags, ZNODE_UNDER_DNAME);
	CU_ASSERT_PTR_NULL(znode_cut(p));

	/* Node and record counts: apex, ns1, www, mail, txt, unk, c, b.c,
	 * a.b.c, wild, *.wild, sub, ns.sub, deep.ns.sub, in.sub, cname, dn,
	 * x.dn, multi, inc, host.inc, after, rel, r1.rel, r2. */
	CU_ASSERT_EQUAL(zone_node_count(mainz), 25);
	/* SOA+2NS, ns1, 2 www, mx, txt, unk, a.b.c, 2 wild, sub NS, 2 glue,
	 * in.sub NS, CNAME+RRSIG+NSEC, DNAME, x.dn, multi MX, 2 inc, after,
	 * r1.rel, r2. */
	CU_ASSERT_EQUAL(zone_record_count(mainz), 27);
}

static void test_closest_encloser(void)
{
	uint8_t w[NAME_MAX_LEN];

	CU_ASSERT_PTR_NOT_NULL_FATAL(mainz);
	W("q.a.b.c.example.com", w);
	CU_ASSERT_PTR_EQUAL(zone_closest_encloser(mainz, w),
			    find(mainz, "a.b.c.example.com"));
	W("zz.b.c.example.com", w);
	CU_ASSERT_PTR_EQUAL(zone_closest_encloser(mainz, w),
			    find(mainz, "b.c.example.com"));
	W("nothere.example.com", w);
	CU_ASSERT_PTR_EQUAL(zone_closest_encloser(mainz, w),
			    zone_apex_node(mainz));
	W("example.com", w);
	CU_ASSERT_PTR_EQUAL(zone_closest_encloser(mainz, w),
			    zone_apex_node(mainz));
	W("x.y.wild.example.com", w);
	CU_ASSERT_PTR_EQUAL(zone_closest_encloser(mainz, w),
			    find(mainz, "wild.example.com"));
	W("www.example.com", w);
	CU_ASSERT_PTR_EQUAL(zone_closest_encloser(mainz, w),
			    find(mainz, "www.example.com"));
	W("a.b.c.d.e.f.g.h.i.j.deep.ns.sub.example.com", w);
	CU_ASSERT_PTR_EQUAL(zone_closest_encloser(mainz, w),
			    find(mainz, "deep.ns.sub.example.com"));
	W("www.example.org", w);
	CU_ASSERT_PTR_NULL(zone_closest_encloser(mainz, w));
}

static void check_wire(const struct rrset *s, const uint8_t *want,
		       size_t len)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->wire_len, len);
	if (s->wire_len == len)
		CU_ASSERT_EQUAL(memcmp(s->wire, want, len), 0);
}

static void test_rrset_wire(void)
{
	const struct zone_node *n;
	const struct rrset *s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mainz);
	/* www: two A records after merging the duplicate, sorted, both with
	 * the TTL of the first record in the file (300). */
	n = find(mainz, "www.example.com");
	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	s = znode_rrset(n, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->rr_count, 2);
	CU_ASSERT_EQUAL(s->ttl, 300);
	static const uint8_t a[] = {
		0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, 10,
		0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, 11 };
	check_wire(s, a, sizeof(a));

	static const uint8_t mx[] = {
		0, 15, 0, 1, 0, 0, 0x0e, 0x10, 0, 18, 0, 10,
		2, 'm', 'x', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
		3, 'n', 'e', 't', 0 };
	check_wire(znode_rrset(find(mainz, "mail.example.com"), 15), mx,
		   sizeof(mx));

	/* Multi-line MX with a relative exchange. */
	static const uint8_t mx2[] = {
		0, 15, 0, 1, 0, 0, 0x0e, 0x10, 0, 19, 0, 20,
		3, 'm', 'x', '2', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
		3, 'c', 'o', 'm', 0 };
	check_wire(znode_rrset(find(mainz, "multi.example.com"), 15), mx2,
		   sizeof(mx2));

	static const uint8_t txt[] = {
		0, 16, 0, 1, 0, 0, 0x0e, 0x10, 0, 14,
		11, 'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd',
		1, 'x' };
	check_wire(znode_rrset(find(mainz, "txt.example.com"), 16), txt,
		   sizeof(txt));

	static const uint8_t unk[] = {
		0xff, 0xfe, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 0x0a, 0, 0, 1 };
	check_wire(znode_rrset(find(mainz, "unk.example.com"), 65534), unk,
		   sizeof(unk));

	/* NS at the apex: relative name made absolute. */
	s = znode_rrset(zone_apex_node(mainz), 2);
	CU_ASSERT_EQUAL(s->ttl, 3600);
	CU_ASSERT_EQUAL(s->wire[8], 0);
}

static void test_include_origin_ttl(void)
{
	const struct zone_node *n;
	const struct rrset *s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mainz);
	/* $INCLUDE sub/inc.zone inc: origin inc.example.com, $TTL 120 there. */
	n = find(mainz, "host.inc.example.com");
	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	s = znode_rrset(n, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->ttl, 120);
	static const uint8_t a[] = {
		0, 1, 0, 1, 0, 0, 0, 120, 0, 4, 192, 0, 2, 70 };
	check_wire(s, a, sizeof(a));
	n = find(mainz, "inc.example.com");
	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	CU_ASSERT_PTR_NOT_NULL(znode_rrset(n, 16));
	CU_ASSERT_EQUAL(n->flags, 0);
	/* Back in main.zone the origin and $TTL are the including file's. */
	n = find(mainz, "after.example.com");
	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	CU_ASSERT_EQUAL(znode_rrset(n, 1)->ttl, 3600);
	CU_ASSERT_PTR_NULL(find(mainz, "after.inc.example.com"));
	/* A relative $ORIGIN is appended to the current origin. */
	CU_ASSERT_PTR_NOT_NULL(find(mainz, "r1.rel.example.com"));
	CU_ASSERT_EQUAL(find(mainz, "rel.example.com")->flags, ZNODE_EMPTY);
	CU_ASSERT_PTR_NULL(find(mainz, "r1.rel"));
	CU_ASSERT_PTR_NOT_NULL(find(mainz, "r2.example.com"));
}

/* --- refusals --- */

static void refuse(const char *file, int want_rc, const char *want_msg)
{
	char path[512], err[512] = "";
	struct zone *z = (struct zone *)1;
	int rc;

	snprintf(path, sizeof(path), DATA "%s", file);
	rc = zload_file("example.com.", path, &z, err, sizeof(err));
	if (rc != want_rc || !strstr(err, want_msg))
		fprintf(stderr, "\n%s: rc %d (want %d) msg '%s' (want '%s')\n",
			file, rc, want_rc, err, want_msg);
	CU_ASSERT_EQUAL(rc, want_rc);
	CU_ASSERT_PTR_NULL(z);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, want_msg));
}

static void test_refusals(void)
{
	refuse("bad_syntax.zone", LV_ESYNTAX, "bad_syntax.zone:4: syntax error");
	refuse("bad_nosoa.zone", LV_ENOSOA, "bad_nosoa.zone: no SOA");
	refuse("bad_soa2.zone", LV_ESOA2, "bad_soa2.zone:5: second SOA");
	refuse("bad_outside.zone", LV_EOUTSIDE,
	       "bad_outside.zone:5: www.example.org. is outside");
	refuse("bad_cname.zone", LV_ECNAME,
	       "bad_cname.zone:6: A beside a CNAME at alias.example.com.");
	refuse("bad_cname2.zone", LV_ECNAME,
	       "bad_cname2.zone:7: CNAME beside other data");
	refuse("bad_nons.zone", LV_ENONS, "bad_nons.zone: no NS");
	refuse("bad_class.zone", LV_ECLASS, "bad_class.zone:6: class 3");
	refuse("bad_include.zone", -ENOENT,
	       "bad_include.zone:4: cannot open included file");
	refuse("bad_inc_syntax.zone", LV_ESYNTAX, "broken.zone:3: syntax error");
	refuse("bad_loop.zone", LV_ESYNTAX, "nested deeper than");
	refuse("bad_multiline.zone", LV_EMALF,
	       "bad_multiline.zone:5: SOA at bad.example.com.");
	refuse("does-not-exist.zone", -ENOENT,
	       "does-not-exist.zone: cannot open");
	/* A directory is not a readable zone file. */
	{
		char err[512] = "";
		struct zone *z = NULL;

		CU_ASSERT_NOT_EQUAL(zload_file("example.com", DATA "sub", &z,
					       err, sizeof(err)), 0);
		CU_ASSERT_PTR_NULL(z);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "sub"));
	}
}

static void test_builder_direct(void)
{
	uint8_t origin[NAME_MAX_LEN], owner[NAME_MAX_LEN];
	static const uint8_t a1[4] = { 10, 0, 0, 1 }, a2[4] = { 10, 0, 0, 2 };
	uint8_t soa[64];
	size_t sl;
	char err[256];
	struct zone_builder *b;
	struct zone *z = NULL;

	W("Test.", origin);
	b = zone_builder_new(origin);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	sl = W("ns.test", soa);
	sl += W("h.test", soa + sl);
	memset(soa + sl, 0, 20);
	soa[sl + 3] = 42;
	sl += 20;
	CU_ASSERT_EQUAL(zone_builder_add(b, origin, 6, 1, 60, soa,
					 (uint16_t)sl, err, sizeof(err)), 0);
	W("ns.test", owner);
	CU_ASSERT_EQUAL(zone_builder_add(b, origin, 2, 1, 60, owner, 9, err,
					 sizeof(err)), 0);
	W("NS.TEST", owner);
	CU_ASSERT_EQUAL(zone_builder_add(b, owner, 1, 1, 60, a1, 4, err,
					 sizeof(err)), 0);
	CU_ASSERT_EQUAL(zone_builder_add(b, owner, 1, 1, 30, a2, 4, err,
					 sizeof(err)), 0);
	CU_ASSERT_EQUAL(zone_builder_add(b, owner, 1, 1, 60, a1, 4, err,
					 sizeof(err)), 0);
	CU_ASSERT_EQUAL(zone_builder_add(b, owner, 1, 3, 60, a1, 4, err,
					 sizeof(err)), LV_ECLASS);
	W("ns.other", owner);
	CU_ASSERT_EQUAL(zone_builder_add(b, owner, 1, 1, 60, a1, 4, err,
					 sizeof(err)), LV_EOUTSIDE);
	CU_ASSERT_EQUAL(zone_builder_finish(b, &z, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(z);
	CU_ASSERT_EQUAL(zone_serial(z), 42);
	CU_ASSERT_EQUAL(zone_record_count(z), 4);
	CU_ASSERT_EQUAL(zone_node_count(z), 2);
	{
		const struct zone_node *n = find(z, "ns.test");
		const struct rrset *s;

		CU_ASSERT_PTR_NOT_NULL_FATAL(n);
		s = znode_rrset(n, 1);
		CU_ASSERT_EQUAL(s->rr_count, 2);
		CU_ASSERT_EQUAL(s->ttl, 60);
		CU_ASSERT_EQUAL(s->wire[7], 60);
		CU_ASSERT_EQUAL(s->wire[14 + 7], 60);
	}
	zone_free(z);

	/* Abandoned build and failed finish leak nothing. */
	b = zone_builder_new(origin);
	CU_ASSERT_EQUAL(zone_builder_add(b, owner, 1, 1, 60, a1, 4, err,
					 sizeof(err)), LV_EOUTSIDE);
	zone_builder_free(b);
	zone_builder_free(NULL);
	b = zone_builder_new(origin);
	z = (struct zone *)1;
	CU_ASSERT_EQUAL(zone_builder_finish(b, &z, err, sizeof(err)),
			LV_ENOSOA);
	CU_ASSERT_PTR_NULL(z);
	zone_free(NULL);
}

/* --- zdb --- */

static void test_zdb(void)
{
	struct zone *child = load_ok("sub.example.com", DATA "child.zone");
	struct zone *parent2 = load_ok("example.com", DATA "main.zone");
	struct zone *dup = load_ok("example.com", DATA "main.zone");
	struct zdb *db = zdb_new(), *db2;
	const struct zdb *cur;
	uint8_t w[NAME_MAX_LEN];

	CU_ASSERT_PTR_NOT_NULL_FATAL(mainz);
	CU_ASSERT_PTR_NOT_NULL_FATAL(child);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_PTR_NULL(zdb_find(db, (const uint8_t *)"\3com"));
	CU_ASSERT_EQUAL(zdb_add(db, mainz), 0);
	CU_ASSERT_EQUAL(zdb_add(db, child), 0);
	CU_ASSERT_EQUAL(zdb_add(db, dup), LV_EEXIST);
	zone_free(dup);
	mainz = NULL; /* owned by db now */
	CU_ASSERT_EQUAL(zdb_count(db), 2);

	W("www.sub.example.com", w);
	CU_ASSERT_PTR_EQUAL(zdb_find(db, w), child);
	W("sub.example.com", w);
	CU_ASSERT_PTR_EQUAL(zdb_find(db, w), child);
	W("a.b.c.d.e.f.sub.example.com", w);
	CU_ASSERT_PTR_EQUAL(zdb_find(db, w), child);
	W("www.example.com", w);
	const struct zone *parent = zdb_find(db, w);
	CU_ASSERT_PTR_NOT_NULL_FATAL(parent);
	CU_ASSERT_EQUAL(memcmp(zone_apex(parent), "\7example\3com", 13), 0);
	W("xsub.example.com", w);
	CU_ASSERT_PTR_EQUAL(zdb_find(db, w), parent);
	W("example.com", w);
	CU_ASSERT_PTR_EQUAL(zdb_find(db, w), parent);
	W("com", w);
	CU_ASSERT_PTR_NULL(zdb_find(db, w));
	W("www.example.org", w);
	CU_ASSERT_PTR_NULL(zdb_find(db, w));
	CU_ASSERT_PTR_EQUAL(zdb_find_parent(db, child), parent);
	CU_ASSERT_PTR_NULL(zdb_find_parent(db, parent));
	CU_ASSERT_TRUE((zdb_zone_at(db, 0) == parent && zdb_zone_at(db, 1) == child) ||
		       (zdb_zone_at(db, 1) == parent && zdb_zone_at(db, 0) == child));
	CU_ASSERT_PTR_NULL(zdb_zone_at(db, 2));

	/* Publish, then replace the parent; the child is shared. */
	rcu_register_thread();
	CU_ASSERT_PTR_NULL(zdb_current());
	zdb_publish(db);
	rcu_read_lock();
	CU_ASSERT_PTR_EQUAL(zdb_current(), db);
	rcu_read_unlock();
	db2 = zdb_copy_replace(db, parent2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db2);
	CU_ASSERT_EQUAL(zdb_count(db2), 2);
	W("www.example.com", w);
	CU_ASSERT_PTR_EQUAL(zdb_find(db2, w), parent2);
	W("www.sub.example.com", w);
	CU_ASSERT_PTR_EQUAL(zdb_find(db2, w), child);
	zdb_publish(db2);
	/* Let the old snapshot go: quiescent, then wait for the callback. */
	rcu_quiescent_state();
	rcu_thread_offline();
	rcu_barrier();
	rcu_thread_online();
	rcu_read_lock();
	cur = zdb_current();
	CU_ASSERT_PTR_EQUAL(cur, db2);
	/* The shared child is still alive (ASan would catch a free). */
	W("www.sub.example.com", w);
	CU_ASSERT_PTR_EQUAL(zdb_find(cur, w), child);
	CU_ASSERT_EQUAL(zone_serial(zdb_find(cur, w)), 7);
	CU_ASSERT_PTR_NOT_NULL(zone_find(child, (const uint8_t *)"\3www\3sub\7example\3com", 21));
	CU_ASSERT_PTR_EQUAL(zdb_find_parent(cur, child), parent2);
	rcu_read_unlock();
	rcu_unregister_thread();
	zdb_shutdown();
	CU_ASSERT_PTR_NULL(zdb_current());

	/* An unpublished snapshot is freed with its zones. */
	db = zdb_new();
	CU_ASSERT_EQUAL(zdb_add(db, load_ok("sub.example.com",
					    DATA "child.zone")), 0);
	zdb_free(db);
	zdb_free(NULL);
}

static void test_cleanup(void)
{
	zone_free(mainz);
	mainz = NULL;
}

int main(void)
{
	CU_pSuite s;
	unsigned failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("zones", NULL, NULL);
	if (!s ||
	    !CU_add_test(s, "names", test_names) ||
	    !CU_add_test(s, "arena and error texts", test_arena_errcode) ||
	    !CU_add_test(s, "load and node structure", test_load_structure) ||
	    !CU_add_test(s, "closest encloser", test_closest_encloser) ||
	    !CU_add_test(s, "rrset wire form", test_rrset_wire) ||
	    !CU_add_test(s, "$INCLUDE, $ORIGIN, $TTL", test_include_origin_ttl) ||
	    !CU_add_test(s, "refusals", test_refusals) ||
	    !CU_add_test(s, "builder directly", test_builder_direct) ||
	    !CU_add_test(s, "zdb find and publish", test_zdb) ||
	    !CU_add_test(s, "cleanup", test_cleanup)) {
		CU_cleanup_registry();
		return 1;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
