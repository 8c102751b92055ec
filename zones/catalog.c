/* catalog.c -- a catalog zone version into its member list (catalog.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dns.h"
#include "common/errcode.h"
#include "common/name.h"
#include "zones/catalog.h"
#include "zones/zone.h"
#include "zones/zone_walk.h"

/* A property node's value until the members are known. */
struct catalog_prop {
	uint8_t id[64];
	uint8_t id_len;
	bool coo;                          /* else group */
	const struct rrset *set;
};

struct catalog_read {
	struct catalog *out;
	struct catalog_prop *props;
	size_t nprops, props_cap;
	size_t members_cap;
	char *err;
	size_t errlen;
};

static int catalog_fail(struct catalog_read *r, const char *fmt,
			const uint8_t *name)
{
	char text[1024];

	name_to_text(name, text, sizeof(text));
	snprintf(r->err, r->errlen, fmt, text);
	return LV_EMALF;
}

/* Label i (0: the first) of wire name n is the given word. */
static bool label_is(const uint8_t *n, int i, const char *word)
{
	size_t wl = strlen(word);

	while (i-- > 0)
		n += 1 + n[0];
	return n[0] == wl && memcmp(n + 1, word, wl) == 0;
}

/* The first record's RDATA of set, its length in *len. */
static const uint8_t *first_rdata(const struct rrset *set, uint16_t *len)
{
	const uint8_t *w = set->wire;

	*len = (uint16_t)(w[8] << 8 | w[9]);
	return w + 10;
}

/* A PTR's RDATA (an uncompressed name) to lowercase wire form in out. */
static bool ptr_target(const struct rrset *set, uint8_t *out)
{
	uint16_t len;
	const uint8_t *rd = first_rdata(set, &len);
	size_t nl;

	if (len == 0 || (nl = name_length(rd)) != len)
		return false;
	name_to_lower(out, rd);
	return true;
}

static int add_member(struct catalog_read *r, const struct zone_node *n,
		      const struct rrset *ptr, const uint8_t *apex)
{
	struct catalog *c = r->out;
	struct catalog_member *m;

	if (ptr->rr_count != 1)
		return catalog_fail(r, "member %s: more than one PTR "
				    "(RFC 9432 4.2)", n->name);
	if (c->count == CATALOG_MAX_MEMBERS) {
		snprintf(r->err, r->errlen, "more than %d members",
			 CATALOG_MAX_MEMBERS);
		return LV_EMALF;
	}
	if (c->count == r->members_cap) {
		size_t cap = r->members_cap ? r->members_cap * 2 : 64;
		void *p = realloc(c->m, cap * sizeof(*c->m));

		if (!p)
			return -ENOMEM;
		c->m = p;
		r->members_cap = cap;
	}
	m = &c->m[c->count];
	memset(m, 0, sizeof(*m));
	if (!ptr_target(ptr, m->name))
		return catalog_fail(r, "member %s: PTR is not a name",
				    n->name);
	if (name_is_below_or_equal(m->name, apex))
		return catalog_fail(r, "member %s: names the catalog or a "
				    "name in it", n->name);
	if (n->name[0] > sizeof(m->id))
		return catalog_fail(r, "member %s: unique ID longer than 63 "
				    "bytes", n->name);
	m->id_len = n->name[0];
	memcpy(m->id, n->name + 1, m->id_len);
	c->count++;
	return 0;
}

static int add_prop(struct catalog_read *r, const struct zone_node *n,
		    bool coo, const struct rrset *set)
{
	struct catalog_prop *p;
	const uint8_t *id = n->name + 1 + n->name[0];   /* the second label */

	if (set->rr_count != 1)
		return catalog_fail(r, "%s: more than one record in a "
				    "property that takes one", n->name);
	if (r->nprops == r->props_cap) {
		size_t cap = r->props_cap ? r->props_cap * 2 : 64;
		void *q = realloc(r->props, cap * sizeof(*r->props));

		if (!q)
			return -ENOMEM;
		r->props = q;
		r->props_cap = cap;
	}
	p = &r->props[r->nprops++];
	p->id_len = id[0];
	memcpy(p->id, id + 1, id[0]);
	p->coo = coo;
	p->set = set;
	return 0;
}

/* One node of the catalog. */
static int catalog_node(struct catalog_read *r, const struct zone_node *n,
			const struct znode_data *d, const uint8_t *apex,
			int apex_labels, bool *version_ok)
{
	int rel = n->label_count - apex_labels;
	const struct rrset *set;

	if (rel == 1 && label_is(n->name, 0, "version")) {
		uint16_t len;
		const uint8_t *rd;

		set = zdata_rrset(d, DNS_TYPE_TXT);
		if (!set)
			return 0;
		rd = first_rdata(set, &len);
		if (set->rr_count != 1 || len != 2 || rd[0] != 1 ||
		    rd[1] != '2')
			return catalog_fail(r, "%s: not TXT \"2\": a catalog "
					    "of another version (RFC 9432 "
					    "4.1)", n->name);
		*version_ok = true;
		return 0;
	}
	if (rel == 2 && label_is(n->name, 1, "zones")) {
		set = zdata_rrset(d, DNS_TYPE_PTR);
		return set ? add_member(r, n, set, apex) : 0;
	}
	if (rel == 3 && label_is(n->name, 2, "zones")) {
		if (label_is(n->name, 0, "group") &&
		    (set = zdata_rrset(d, DNS_TYPE_TXT)))
			return add_prop(r, n, false, set);
		if (label_is(n->name, 0, "coo") &&
		    (set = zdata_rrset(d, DNS_TYPE_PTR)))
			return add_prop(r, n, true, set);
	}
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	const struct catalog_member *x = a, *y = b;
	size_t l = x->id_len < y->id_len ? x->id_len : y->id_len;
	int c = memcmp(x->id, y->id, l);

	return c ? c : (int)x->id_len - (int)y->id_len;
}

static int cmp_name(const void *a, const void *b)
{
	const struct catalog_member *x = a, *y = b;

	return memcmp(x->name, y->name, sizeof(x->name));
}

/* Gives each property to its member (members sorted by id). */
static int catalog_props(struct catalog_read *r)
{
	struct catalog *c = r->out;

	for (size_t i = 0; i < r->nprops; i++) {
		const struct catalog_prop *p = &r->props[i];
		struct catalog_member key, *m;
		uint16_t len;
		const uint8_t *rd = first_rdata(p->set, &len);

		key.id_len = p->id_len;
		memcpy(key.id, p->id, p->id_len);
		m = bsearch(&key, c->m, c->count, sizeof(*m), cmp_id);
		if (!m)
			continue;       /* a property of no member: ignored */
		if (p->coo) {
			void *q = realloc(c->coo, (c->ncoo + 1) *
					  sizeof(*c->coo));

			if (!q)
				return -ENOMEM;
			c->coo = q;
			memset(c->coo[c->ncoo], 0, sizeof(c->coo[0]));
			if (!ptr_target(p->set, c->coo[c->ncoo]))
				return catalog_fail(r, "member %s: coo is not "
						    "a name", m->name);
			m->coo = (uint32_t)++c->ncoo;
			continue;
		}
		if (len < 1 || rd[0] + 1 > len)
			return catalog_fail(r, "member %s: group is not a "
					    "TXT string", m->name);
		if (memchr(rd + 1, 0, rd[0]))
			return catalog_fail(r, "member %s: group holds a "
					    "zero byte", m->name);
		if (rd[0] <= CATALOG_GROUP_MAX) {   /* else it names none */
			memcpy(m->group, rd + 1, rd[0]);
			m->group[rd[0]] = '\0';
		}
	}
	return 0;
}

int catalog_read(const struct zone *z, struct catalog *out, char *err,
		 size_t errlen)
{
	struct catalog_read r = { out, NULL, 0, 0, 0, err, errlen };
	const uint8_t *apex = zone_apex(z);
	int apex_labels = name_label_count(apex);
	bool version_ok = false;
	struct zone_walk w;
	const struct zone_node *n;
	const struct znode_data *d;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (errlen)
		err[0] = '\0';
	zone_walk_init(&w, z);
	while (rc == 0 && (n = zone_walk_next(&w, &d, UINT32_MAX)))
		rc = catalog_node(&r, n, d, apex, apex_labels, &version_ok);
	if (rc == 0 && !version_ok)
		rc = catalog_fail(&r, "no version.%s TXT \"2\" (RFC 9432 "
				  "4.1)", apex);
	if (rc == 0 && out->count) {
		qsort(out->m, out->count, sizeof(*out->m), cmp_id);
		rc = catalog_props(&r);
	}
	if (rc == 0 && out->count) {
		qsort(out->m, out->count, sizeof(*out->m), cmp_name);
		for (size_t i = 1; i < out->count; i++)
			if (memcmp(out->m[i].name, out->m[i - 1].name,
				   sizeof(out->m[i].name)) == 0) {
				rc = catalog_fail(&r, "member %s listed twice",
						  out->m[i].name);
				break;
			}
	}
	free(r.props);
	if (rc < 0)
		catalog_free(out);
	return rc;
}

const struct catalog_member *catalog_find(const struct catalog *c,
					  const uint8_t *lname)
{
	struct catalog_member key;
	size_t len = name_length(lname);

	if (!c->count)
		return NULL;
	memset(key.name, 0, sizeof(key.name));
	memcpy(key.name, lname, len);
	return bsearch(&key, c->m, c->count, sizeof(key), cmp_name);
}

void catalog_free(struct catalog *c)
{
	if (!c)
		return;
	free(c->m);
	free(c->coo);
	c->m = NULL;
	c->coo = NULL;
	c->count = c->ncoo = 0;
}
