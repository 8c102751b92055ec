/* test_catalog.c -- reading catalog zones (zones/catalog.h, RFC 9432).
 *
 * Catalogs built from text with zload: the members sorted by name with
 * their unique IDs, groups and coo; names that are not catalog data
 * ignored; each kind of broken version refused with its reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/errcode.h"
#include "common/name.h"
#include "zones/catalog.h"
#include "zones/zload.h"
#include "zones/zone.h"

#include "unit.h"

#define HEAD "$ORIGIN cat.test.\n$TTL 0\n" \
	"@ SOA invalid. invalid. 1 3600 600 86400 0\n@ NS invalid.\n"

static struct zone *build(const char *body)
{
	char path[] = "/tmp/levee-catalog-XXXXXX", err[256];
	int fd = mkstemp(path);
	FILE *fp = fdopen(fd, "w");
	struct zone *z = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	fputs(HEAD, fp);
	fputs(body, fp);
	fclose(fp);
	if (zload_file("cat.test.", path, &z, err, sizeof(err)) < 0) {
		fprintf(stderr, "zload: %s\n", err);
		z = NULL;
	}
	unlink(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(z);
	return z;
}

/* catalog_read's result for body: rc, the reason in err. */
static int read_text(const char *body, struct catalog *c, char *err,
		     size_t len)
{
	struct zone *z = build(body);
	int rc = catalog_read(z, c, err, len);

	zone_free(z);
	return rc;
}

static bool name_is(const uint8_t *wire, const char *text)
{
	uint8_t w[NAME_MAX_LEN + 1];

	return name_from_text(text, w) && memcmp(w, wire, name_length(w)) == 0;
}

static void test_members(void)
{
	struct catalog c;
	char err[256];
	uint8_t lname[NAME_MAX_LEN + 1];
	const struct catalog_member *m;
	int rc = read_text(
		"version TXT \"2\"\n"
		"zz.zones PTR Two.Example.\n"
		"aa.zones PTR one.example.\n"
		"group.aa.zones TXT \"blue\" \"ignored\"\n"
		"coo.zz.zones PTR other.catalog.\n"
		"group.nobody.zones TXT \"x\"\n"      /* a property of no member */
		"ext.zones TXT \"unknown\"\n"        /* not catalog data */
		"zones TXT \"ignored\"\n"
		"x.y.zones PTR deep.example.\n"      /* not a member node */
		"info TXT \"ignored\"\n", &c, err, sizeof(err));

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL_FATAL(c.count, 2);
	CU_ASSERT_TRUE(name_is(c.m[0].name, "one.example"));
	CU_ASSERT_TRUE(name_is(c.m[1].name, "two.example")); /* lowercase */
	CU_ASSERT_EQUAL(c.m[0].id_len, 2);
	CU_ASSERT_EQUAL(memcmp(c.m[0].id, "aa", 2), 0);
	CU_ASSERT_STRING_EQUAL(c.m[0].group, "blue");
	CU_ASSERT_PTR_NULL(catalog_coo(&c, &c.m[0]));
	CU_ASSERT_STRING_EQUAL(c.m[1].group, "");
	CU_ASSERT_PTR_NOT_NULL_FATAL(catalog_coo(&c, &c.m[1]));
	CU_ASSERT_TRUE(name_is(catalog_coo(&c, &c.m[1]), "other.catalog"));
	name_from_text("two.example", lname);
	m = catalog_find(&c, lname);
	CU_ASSERT_PTR_EQUAL(m, &c.m[1]);
	name_from_text("three.example", lname);
	CU_ASSERT_PTR_NULL(catalog_find(&c, lname));
	catalog_free(&c);
}

/* A group longer than any template id names none: kept as no group. */
static void test_long_group(void)
{
	struct catalog c;
	char err[256];
	char body[512];

	snprintf(body, sizeof(body), "version TXT \"2\"\n"
		 "a.zones PTR one.example.\ngroup.a.zones TXT \"%s\"\n"
		 "b.zones PTR two.example.\ngroup.b.zones TXT \"%.63s\"\n",
		 "gggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg",
		 "gggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg");
	CU_ASSERT_EQUAL_FATAL(read_text(body, &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(c.count, 2);
	CU_ASSERT_STRING_EQUAL(c.m[0].group, "");        /* 64 bytes */
	CU_ASSERT_EQUAL(strlen(c.m[1].group), 63);
	catalog_free(&c);
}

static void test_empty_catalog(void)
{
	struct catalog c;
	char err[256];

	CU_ASSERT_EQUAL(read_text("version TXT \"2\"\n", &c, err,
				  sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.count, 0);
	catalog_free(&c);
}

static void test_refused(void)
{
	static const struct {
		const char *body, *why;
	} cases[] = {
		{ "a.zones PTR one.example.\n", "no version.cat.test" },
		{ "version TXT \"1\"\na.zones PTR one.example.\n",
		  "another version" },
		{ "version TXT \"2\" \"2\"\n", "another version" },
		{ "version TXT \"2\"\nversion TXT \"3\"\n", "another version" },
		{ "version TXT \"2\"\na.zones PTR one.example.\n"
		  "a.zones PTR two.example.\n", "more than one PTR" },
		{ "version TXT \"2\"\na.zones PTR one.example.\n"
		  "b.zones PTR ONE.example.\n", "listed twice" },
		{ "version TXT \"2\"\na.zones PTR one.example.\n"
		  "group.a.zones TXT \"x\"\ngroup.a.zones TXT \"y\"\n",
		  "more than one record" },
		{ "version TXT \"2\"\na.zones PTR one.example.\n"
		  "coo.a.zones PTR c1.\ncoo.a.zones PTR c2.\n",
		  "more than one record" },
		{ "version TXT \"2\"\na.zones PTR cat.test.\n",
		  "names the catalog" },
		{ "version TXT \"2\"\na.zones PTR x.zones.cat.test.\n",
		  "names the catalog" },
	};

	for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
		struct catalog c;
		char err[256];
		int rc = read_text(cases[i].body, &c, err, sizeof(err));

		CU_ASSERT_EQUAL(rc, LV_EMALF);
		if (!strstr(err, cases[i].why))
			fprintf(stderr, "case %zu: '%s' lacks '%s'\n", i, err,
				cases[i].why);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, cases[i].why));
		CU_ASSERT_EQUAL(c.count, 0);
		CU_ASSERT_PTR_NULL(c.m);
	}
}

/* Many members: sorted, found, each once. */
static void test_many(void)
{
	size_t n = 5000, len = 0, cap = n * 64 + 64;
	char *body = malloc(cap);
	struct catalog c;
	char err[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(body);
	len += (size_t)snprintf(body + len, cap - len, "version TXT \"2\"\n");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(body + len, cap - len,
					"id%zu.zones PTR m%zu.example.\n",
					(i * 7919) % n, i);
	CU_ASSERT_EQUAL_FATAL(read_text(body, &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.count, n);
	for (size_t i = 1; i < c.count; i++)
		CU_ASSERT_TRUE(memcmp(c.m[i - 1].name, c.m[i].name,
				      sizeof(c.m[i].name)) < 0);
	for (size_t i = 0; i < n; i += 97) {
		uint8_t lname[NAME_MAX_LEN + 1];
		char text[64];

		snprintf(text, sizeof(text), "m%zu.example", i);
		name_from_text(text, lname);
		CU_ASSERT_PTR_NOT_NULL(catalog_find(&c, lname));
	}
	catalog_free(&c);
	free(body);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "members, groups, coo", test_members },
		{ "an empty catalog", test_empty_catalog },
		{ "a group longer than a template id", test_long_group },
		{ "broken versions refused", test_refused },
		{ "5000 members", test_many },
	};

	return unit_run("catalog", NULL, NULL, tests, UNIT_COUNT(tests));
}
