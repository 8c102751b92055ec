/* test_exist_set.c -- the set of names that exist (zones/exist_set.h).
 *
 * The chained hash against values computed apart (a Python SipHash-2-4
 * checked on the reference vector of the SipHash paper, key
 * "0123456789abcdef"); the flags of each kind of name of a small zone
 * built from text; every name of the zone found and judged to exist;
 * the walk's verdict for names that do not exist below each kind of
 * name; a child zone judged by its own flags beside its parent; an NSEC3
 * owner judged as a name below its apex.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/name.h"
#include "zones/exist_set.h"
#include "zones/zdb.h"
#include "zones/zload.h"
#include "zones/zone.h"
#include "zones/zone_walk.h"

#include "unit.h"
#include "zone_text.h"

static const uint8_t key[EXIST_KEY_LEN] = "0123456789abcdef";

static struct zone *build(const char *origin, const char *body)
{
	struct zone *z = unit_zone(origin, body);

	CU_ASSERT_PTR_NOT_NULL_FATAL(z);
	return z;
}

static uint64_t hash_text(const char *text)
{
	uint8_t w[NAME_MAX_LEN + 1];

	CU_ASSERT_FATAL(name_from_text(text, w) > 0);
	return exist_hash_name(key, w);
}

static enum exist_verdict judge(const struct exist_set *s, const char *text)
{
	uint8_t w[NAME_MAX_LEN + 1];

	CU_ASSERT_FATAL(name_from_text(text, w) > 0);
	return exist_set_judge(s, w);
}

/* The flags of text's entry, -1 when it has none. */
static int flags_of(const struct exist_set *s, const char *text)
{
	unsigned f;

	return exist_set_get(s, hash_text(text), &f) ? (int)f : -1;
}

static void test_vectors(void)
{
	uint8_t w[NAME_MAX_LEN + 1];

	CU_ASSERT_EQUAL(exist_hash_root(key), 0xfcd0b3d49cba7731ull);
	CU_ASSERT_EQUAL(hash_text("."), 0xfcd0b3d49cba7731ull);
	CU_ASSERT_EQUAL(hash_text("test."), 0x6853e933e47fb2e3ull);
	CU_ASSERT_EQUAL(hash_text("example.test."), 0xb260d6c5483fcf8cull);
	CU_ASSERT_EQUAL(hash_text("www.example.test."), 0xea8dfe60e58e832bull);
	CU_ASSERT_EQUAL(hash_text("WWW.Example.TEST."), 0xea8dfe60e58e832bull);
	/* 63 octets: eight SipHash words with the prefix and length */
	CU_ASSERT_EQUAL(hash_text("a-very-long-label-that-spans-several-"
				  "siphash-words-0123456789AB.example.test."),
			0x49f37861e475fb96ull);
	/* the chain: one label on its parent's hash */
	CU_ASSERT_FATAL(name_from_text("www.example.test.", w) > 0);
	CU_ASSERT_EQUAL(exist_hash_label(key, 0xb260d6c5483fcf8cull, w),
			0xea8dfe60e58e832bull);
	/* bytes outside A-Z are not folded */
	CU_ASSERT_NOT_EQUAL(hash_text("\\192.example.test."),
			    hash_text("\\224.example.test."));
}

#define ZONE_BODY \
	"www A 192.0.2.2\n" \
	"a.b.c A 192.0.2.3\n" \
	"*.wild A 192.0.2.4\n" \
	"sub NS ns.sub\n" \
	"ns.sub A 192.0.2.5\n" \
	"deep.ns.sub A 192.0.2.6\n" \
	"dn DNAME other.test.\n" \
	"ns A 192.0.2.1\n" \
	"alias CNAME www\n"

static void test_flags(void)
{
	struct zone *z = build("example.test.", ZONE_BODY);
	struct exist_set *s = exist_set_new(key);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(exist_set_add_zone(s, z, 0), 0);
	CU_ASSERT_EQUAL(flags_of(s, "."), EXIST_ABOVE);
	CU_ASSERT_EQUAL(flags_of(s, "test."), EXIST_ABOVE);
	CU_ASSERT_EQUAL(flags_of(s, "example.test."), EXIST_APEX);
	CU_ASSERT_EQUAL(flags_of(s, "www.example.test."), 0);
	CU_ASSERT_EQUAL(flags_of(s, "c.example.test."), 0);   /* ENT */
	CU_ASSERT_EQUAL(flags_of(s, "b.c.example.test."), 0); /* ENT */
	CU_ASSERT_EQUAL(flags_of(s, "a.b.c.example.test."), 0);
	CU_ASSERT_EQUAL(flags_of(s, "wild.example.test."), EXIST_WILDCARD);
	CU_ASSERT_EQUAL(flags_of(s, "*.wild.example.test."), 0);
	CU_ASSERT_EQUAL(flags_of(s, "sub.example.test."), EXIST_CUT);
	CU_ASSERT_EQUAL(flags_of(s, "ns.sub.example.test."), -1);  /* glue */
	CU_ASSERT_EQUAL(flags_of(s, "deep.ns.sub.example.test."), -1);
	CU_ASSERT_EQUAL(flags_of(s, "dn.example.test."), EXIST_DNAME);
	CU_ASSERT_EQUAL(flags_of(s, "alias.example.test."), 0);
	CU_ASSERT_EQUAL(flags_of(s, "nx.example.test."), -1);
	/* root, test, apex, www, c, b.c, a.b.c, wild, *.wild, sub, dn, ns,
	 * alias */
	CU_ASSERT_EQUAL(exist_set_count(s), 13);
	CU_ASSERT(exist_set_memory(s) >= 13 * 16);
	/* an opaque apex */
	exist_set_free(s);
	s = exist_set_new(key);
	CU_ASSERT_EQUAL(exist_set_add_zone(s, z, EXIST_OPAQUE), 0);
	CU_ASSERT_EQUAL(flags_of(s, "example.test."), EXIST_APEX | EXIST_OPAQUE);
	CU_ASSERT_EQUAL(judge(s, "nx.example.test."), EXIST_PASS_BELOW);
	CU_ASSERT_EQUAL(judge(s, "example.test."), EXIST_PASS_BELOW);
	exist_set_free(s);
	zone_free(z);
}

/* Every node of the zone (zone_walk: those with data) is found, its
 * hash being the chain of its own name, and judged to exist (or to pass
 * below a cut). */
static void test_every_name(void)
{
	struct zone *z = build("example.test.", ZONE_BODY);
	struct exist_set *s = exist_set_new(key);
	struct zone_walk w;
	const struct znode_data *d;
	const struct zone_node *n;
	size_t seen = 0, cursor = 0, entries = 0;
	uint64_t h;
	unsigned f;

	CU_ASSERT_EQUAL_FATAL(exist_set_add_zone(s, z, 0), 0);
	zone_walk_init(&w, z);
	while (!zone_walk_done(&w)) {
		n = zone_walk_next(&w, &d, 64);
		if (!n)
			continue;
		seen++;
		if (d->flags & ZNODE_NONAUTH) {
			CU_ASSERT_EQUAL(exist_set_judge(s, n->name),
					EXIST_PASS_BELOW);
			continue;
		}
		CU_ASSERT_TRUE(exist_set_get(s, exist_hash_name(key, n->name),
					     NULL));
		CU_ASSERT(exist_set_judge(s, n->name) == EXIST_PASS_EXISTS ||
			  (d->flags & (ZNODE_DELEGATION | ZNODE_DNAME)));
	}
	/* apex, www, a.b.c, *.wild, sub, ns.sub, deep.ns.sub, dn, ns, alias */
	CU_ASSERT_EQUAL(seen, 10);
	while (exist_set_next(s, &cursor, &h, &f))
		entries++;
	CU_ASSERT_EQUAL(entries, exist_set_count(s));
	/* empty non-terminals exist, in any letter case */
	CU_ASSERT_EQUAL(judge(s, "C.example.test."), EXIST_PASS_EXISTS);
	CU_ASSERT_EQUAL(judge(s, "b.C.Example.Test."), EXIST_PASS_EXISTS);
	CU_ASSERT_EQUAL(judge(s, "WiLd.example.test."), EXIST_PASS_EXISTS);
	/* names that do not exist */
	CU_ASSERT_EQUAL(judge(s, "nx.example.test."), EXIST_DROP);
	CU_ASSERT_EQUAL(judge(s, "NX.EXAMPLE.TEST."), EXIST_DROP);
	CU_ASSERT_EQUAL(judge(s, "x.www.example.test."), EXIST_DROP);
	CU_ASSERT_EQUAL(judge(s, "x.y.b.c.example.test."), EXIST_DROP);
	CU_ASSERT_EQUAL(judge(s, "x.alias.example.test."), EXIST_DROP);
	CU_ASSERT_EQUAL(judge(s, "x.*.wild.example.test."), EXIST_DROP);
	/* ... and those that pass below a wildcard, cut or DNAME */
	CU_ASSERT_EQUAL(judge(s, "x.wild.example.test."), EXIST_PASS_BELOW);
	/* closest encloser wild.example.test: its "*" answers */
	CU_ASSERT_EQUAL(judge(s, "y.x.wild.example.test."), EXIST_PASS_BELOW);
	CU_ASSERT_EQUAL(judge(s, "x.sub.example.test."), EXIST_PASS_BELOW);
	CU_ASSERT_EQUAL(judge(s, "sub.example.test."), EXIST_PASS_BELOW);
	CU_ASSERT_EQUAL(judge(s, "x.y.dn.example.test."), EXIST_PASS_BELOW);
	/* names in no served zone */
	CU_ASSERT_EQUAL(judge(s, "other.test."), EXIST_PASS_NONE);
	CU_ASSERT_EQUAL(judge(s, "x.example.org."), EXIST_PASS_NONE);
	CU_ASSERT_EQUAL(judge(s, "test."), EXIST_PASS_EXISTS);
	exist_set_free(s);
	zone_free(z);
	/* an empty set passes everything */
	s = exist_set_new(key);
	CU_ASSERT_EQUAL(judge(s, "nx.example.test."), EXIST_PASS_NONE);
	exist_set_free(s);
}

/* A child zone served beside its parent, which delegates to it: names
 * below the child's apex are judged by the child. A zone below a name
 * its parent does not hold is reached through the ABOVE entries. */
static void test_child(void)
{
	struct zone *p = build("example.test.", ZONE_BODY
			       "child NS ns.child\nns.child A 192.0.2.7\n");
	struct zone *c = build("child.example.test.", "x A 192.0.2.8\n");
	struct zone *g = build("a.b.example.test.", "y A 192.0.2.9\n");
	struct exist_set *s = exist_set_new(key);

	/* order does not matter: child first, then parent */
	CU_ASSERT_EQUAL(exist_set_add_zone(s, c, 0), 0);
	CU_ASSERT_EQUAL(exist_set_add_zone(s, p, 0), 0);
	CU_ASSERT_EQUAL(exist_set_add_zone(s, g, 0), 0);
	CU_ASSERT_EQUAL(flags_of(s, "child.example.test."), EXIST_APEX);
	CU_ASSERT_EQUAL(judge(s, "x.child.example.test."), EXIST_PASS_EXISTS);
	CU_ASSERT_EQUAL(judge(s, "nx.child.example.test."), EXIST_DROP);
	/* ns.child is glue in the parent, no name of the child */
	CU_ASSERT_EQUAL(judge(s, "ns.child.example.test."), EXIST_DROP);
	/* b.example.test: no name of the parent, above the apex a.b */
	CU_ASSERT_EQUAL(flags_of(s, "b.example.test."), EXIST_ABOVE);
	CU_ASSERT_EQUAL(judge(s, "y.a.b.example.test."), EXIST_PASS_EXISTS);
	CU_ASSERT_EQUAL(judge(s, "nx.a.b.example.test."), EXIST_DROP);
	CU_ASSERT_EQUAL(judge(s, "nx.b.example.test."), EXIST_PASS_NONE);
	CU_ASSERT_EQUAL(judge(s, "nx.example.test."), EXIST_DROP);
	exist_set_free(s);
	zone_free(p);
	zone_free(c);
	zone_free(g);
}

/* A snapshot: its zones, a hidden one opaque. */
static void test_zdb(void)
{
	struct zone *p = build("example.test.", ZONE_BODY);
	struct zone *c = build("child.example.test.", "x A 192.0.2.8\n");
	struct zone *h = build("cat.example.org.", "x A 192.0.2.9\n");
	struct zdb *db = zdb_new();
	struct exist_set *s = exist_set_new(key);

	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	zone_set_hidden(h, true);
	CU_ASSERT_EQUAL(zdb_add(db, p), 0);
	CU_ASSERT_EQUAL(zdb_add(db, c), 0);
	CU_ASSERT_EQUAL(zdb_add(db, h), 0);
	CU_ASSERT_EQUAL(exist_set_add_zdb(s, db), 0);
	CU_ASSERT_EQUAL(judge(s, "www.example.test."), EXIST_PASS_EXISTS);
	CU_ASSERT_EQUAL(judge(s, "nx.example.test."), EXIST_DROP);
	CU_ASSERT_EQUAL(judge(s, "x.child.example.test."), EXIST_PASS_EXISTS);
	CU_ASSERT_EQUAL(judge(s, "nx.child.example.test."), EXIST_DROP);
	CU_ASSERT_EQUAL(flags_of(s, "cat.example.org."),
			EXIST_APEX | EXIST_OPAQUE);
	CU_ASSERT_EQUAL(judge(s, "nx.cat.example.org."), EXIST_PASS_BELOW);
	CU_ASSERT_EQUAL(judge(s, "nx.example.org."), EXIST_PASS_NONE);
	exist_set_free(s);
	zdb_free(db);
}

/* An NSEC3 owner is answered as a name that does not exist: a name
 * below it is judged as a name below the apex (here with a wildcard:
 * passes; without: dropped). */
static void test_nsec3_owner(void)
{
	static const char *owner = "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom";
	char body[1024], name[128];
	struct zone *z;
	struct exist_set *s;
	const struct zone_node *n;
	uint8_t w[NAME_MAX_LEN + 1];

	for (int wild = 0; wild < 2; wild++) {
		snprintf(body, sizeof(body),
			 "@ NSEC3PARAM 1 0 0 -\n"
			 "@ RRSIG SOA 13 2 60 20300101000000 20200101000000 1 "
			 "example.test. AAAAAAAAAAAAAAAA\n"
			 "%s NSEC3 1 0 0 - %s A\n%s",
			 owner, owner, wild ? "* TXT \"w\"\n" : "");
		z = build("example.test.", body);
		s = exist_set_new(key);
		snprintf(name, sizeof(name), "%s.example.test.", owner);
		CU_ASSERT_FATAL(name_from_text(name, w) > 0);
		n = zone_find(z, w, name_length(w));
		CU_ASSERT_PTR_NOT_NULL_FATAL(n);
		CU_ASSERT_TRUE(zone_nsec3_owner(z, n));
		CU_ASSERT_EQUAL(exist_set_add_zone(s, z, 0), 0);
		CU_ASSERT_EQUAL(flags_of(s, name), wild ? EXIST_WILDCARD : 0);
		snprintf(name, sizeof(name), "x.%s.example.test.", owner);
		CU_ASSERT_EQUAL(judge(s, name),
				wild ? EXIST_PASS_BELOW : EXIST_DROP);
		exist_set_free(s);
		zone_free(z);
	}
}

/* Many names: the table grows and keeps every one. */
static void test_grow(void)
{
	static char body[200000];
	struct zone *z;
	struct exist_set *s = exist_set_new(key);
	char name[64];
	size_t l = 0;

	for (int i = 0; i < 3000; i++)
		l += (size_t)snprintf(body + l, sizeof(body) - l,
				      "n%d.g%d A 192.0.2.1\n", i, i % 50);
	z = build("example.test.", body);
	CU_ASSERT_EQUAL(exist_set_add_zone(s, z, 0), 0);
	for (int i = 0; i < 3000; i += 7) {
		snprintf(name, sizeof(name), "N%d.g%d.example.test.", i, i % 50);
		CU_ASSERT_EQUAL(judge(s, name), EXIST_PASS_EXISTS);
		snprintf(name, sizeof(name), "n%d.g%d.example.test.", i,
			 (i + 1) % 50);
		CU_ASSERT_EQUAL(judge(s, name), EXIST_DROP);
	}
	/* 3000 names, 50 ENTs g<k>, apex, root, test */
	CU_ASSERT_EQUAL(exist_set_count(s), 3000 + 50 + 3);
	CU_ASSERT(exist_set_memory(s) <= 64 * exist_set_count(s) + 4096);
	exist_set_free(s);
	zone_free(z);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "hash vectors", test_vectors },
		{ "flags of each kind of name", test_flags },
		{ "every name found, others judged", test_every_name },
		{ "child zone beside its parent", test_child },
		{ "NSEC3 owner", test_nsec3_owner },
		{ "a snapshot of zones", test_zdb },
		{ "table growth", test_grow },
	};

	return unit_run("exist_set", NULL, NULL, tests, UNIT_COUNT(tests));
}
