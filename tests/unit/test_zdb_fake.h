/* test_zdb_fake.h -- cheap zones for the zone database's tests.
 *
 * The set of zones reads of a zone only its apex node and its reference
 * count, and a hundred thousand zones through the builder would make the
 * suite's time (and ASan's and TSan's) the builder's. So a fake zone is a
 * version of one
 * small built zone's family (zone_version_new: a struct zone that
 * zone_unref frees as it frees any version) whose apex is a node of its
 * own, allocated here and freed by fake_done() after every zone. A freed
 * fake zone is heap memory ASan watches: a lookup that hands out a zone no
 * snapshot holds any more is caught when the test reads its apex.
 * Header only, static functions: each suite that includes it is one file.
 */
#ifndef LEVEE_TESTS_TEST_ZDB_FAKE_H
#define LEVEE_TESTS_TEST_ZDB_FAKE_H

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dns.h"
#include "common/errcode.h"
#include "common/name.h"
#include "zones/internal.h"
#include "zones/zdb.h"
#include "zones/zone.h"
#include "zones/zone_builder.h"

static struct zone *fake_base;
static struct zone_node **fake_apices;
static size_t fake_n, fake_cap;

/* Text ("www.example.com", "." for the root) to wire form in out; its
 * length. */
static size_t fake_wire(const char *s, uint8_t *out)
{
	size_t o = 0;

	if (strcmp(s, ".") == 0) {
		out[0] = 0;
		return 1;
	}
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);

		out[o++] = (uint8_t)l;
		memcpy(out + o, s, l);
		o += l;
		s += l;
		if (*s == '.')
			s++;
	}
	out[o++] = 0;
	return o;
}

/* The family's one built zone: SOA and NS at base.invalid. Before the
 * suite runs (no CUnit assertions): stops the process on failure. */
static void fake_init(void)
{
	uint8_t origin[NAME_MAX_LEN], rd[128];
	char err[256] = "out of memory";
	struct zone_builder *b;
	size_t nl = fake_wire("ns.example.net", rd);

	fake_wire("base.invalid", origin);
	b = zone_builder_new(origin);
	if (!b || zone_builder_add(b, origin, DNS_TYPE_NS, 1, 60, rd,
				   (uint16_t)nl, err, sizeof(err)))
		goto fail;
	memcpy(rd + nl, rd, nl);
	memset(rd + 2 * nl, 0, 20);
	if (zone_builder_add(b, origin, DNS_TYPE_SOA, 1, 60, rd,
			     (uint16_t)(2 * nl + 20), err, sizeof(err)) ||
	    zone_builder_finish(b, &fake_base, err, sizeof(err)))
		goto fail;
	return;
fail:
	fprintf(stderr, "fake_init: %s\n", err);
	exit(2);
}

/* A zone of apex text (one reference, the caller's). */
static struct zone *fake_zone(const char *text)
{
	uint8_t w[NAME_MAX_LEN];
	size_t len = fake_wire(text, w);
	struct zone_node *n = calloc(1, ZNODE_SIZE(len));
	struct zone *z = zone_version_new(fake_base->fam, fake_base->gen);

	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(z);
	memcpy(n->name, w, len);
	n->name_len = (uint8_t)len;
	n->label_count = (uint8_t)name_label_count(w);
	z->apex = n;
	z->soa = fake_base->soa;
	if (fake_n == fake_cap) {
		fake_cap = fake_cap ? fake_cap * 2 : 1024;
		fake_apices = realloc(fake_apices,
				      fake_cap * sizeof(*fake_apices));
		CU_ASSERT_PTR_NOT_NULL_FATAL(fake_apices);
	}
	fake_apices[fake_n++] = n;
	return z;
}

/* The references held on z (by snapshots' nodes, and the test's own). */
static int fake_refs(const struct zone *z)
{
	return __atomic_load_n(&z->refs, __ATOMIC_ACQUIRE);
}

/* zdb_with into *out: 0, or -1 for NULL (out of memory, or a ninth zone
 * of one hash). */
static int with(const struct zdb *db, struct zone *z, struct zdb **out)
{
	*out = zdb_with(db, z);
	return *out ? 0 : -1;
}

/* zdb_without into *out: 0, -ENOENT when db has no such zone (the
 * snapshot made holds the same zones: checked, freed, *out NULL), -1 for
 * NULL. */
static int without(const struct zdb *db, const uint8_t *lapex,
		   struct zdb **out)
{
	bool had = zdb_get(db, lapex) != NULL;

	*out = zdb_without(db, lapex);
	if (!*out)
		return -1;
	if (had)
		return 0;
	CU_ASSERT_EQUAL(zdb_count(*out), zdb_count(db));
	zdb_free(*out);
	*out = NULL;
	return -ENOENT;
}

/* After every fake zone is gone: the base zone and the apex nodes. */
static void fake_done(void)
{
	zone_unref(fake_base);
	fake_base = NULL;
	for (size_t i = 0; i < fake_n; i++)
		free(fake_apices[i]);
	free(fake_apices);
	fake_apices = NULL;
	fake_n = fake_cap = 0;
}

#endif /* LEVEE_TESTS_TEST_ZDB_FAKE_H */
