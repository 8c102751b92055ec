/* zone_diff.c -- the records two versions of a zone differ by (zone_diff.h).
 *
 * Two passes over the index of one version, each looking names up in the
 * other: old's names for the removals, new's for the additions, so the
 * callback sees every removal before any addition. For a name in both,
 * the sets are matched by type (both arrays are sorted by type); two sets
 * with the same TTL whose wire bytes differ are compared record by record
 * after sorting each set's records by their bytes.
 */
#include "zones/zone_diff.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "zones/internal.h"
#include "zones/zone.h"

struct rec {
	const uint8_t *p;
	uint16_t len;
};

struct pass {
	const struct zone *self, *other;  /* walked, looked up */
	bool added;
	zone_diff_fn fn;
	void *arg;
	int rc;
	struct rec *a, *b;                /* sort arrays */
	size_t cap;
};

/* The records of set s into r[] (s->rr_count entries). */
static void set_records(const struct rrset *s, struct rec *r)
{
	const uint8_t *p = s->wire;

	for (uint16_t i = 0; i < s->rr_count; i++) {
		uint16_t rdlen = (uint16_t)(p[8] << 8 | p[9]);

		r[i].p = p;
		r[i].len = (uint16_t)(10 + rdlen);
		p += 10 + rdlen;
	}
}

static int rec_cmp(const void *x, const void *y)
{
	const struct rec *a = x, *b = y;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->p, b->p, n);

	return c ? c : (int)a->len - (int)b->len;
}

static void report_set(struct pass *ps, const struct zone_node *n,
		       const struct rrset *s)
{
	const uint8_t *p = s->wire;

	for (uint16_t i = 0; i < s->rr_count && !ps->rc; i++) {
		uint16_t rdlen = (uint16_t)(p[8] << 8 | p[9]);

		ps->rc = ps->fn(ps->arg, ps->added, n->name, n->name_len, p,
				10u + rdlen);
		p += 10 + rdlen;
	}
}

/* Reports the records of `mine` that `theirs` (same type and TTL) lacks. */
static void report_missing(struct pass *ps, const struct zone_node *n,
			   const struct rrset *mine,
			   const struct rrset *theirs)
{
	size_t need = mine->rr_count > theirs->rr_count ? mine->rr_count :
		      theirs->rr_count;
	size_t i = 0, j = 0;

	if (need > ps->cap) {
		struct rec *a = realloc(ps->a, need * sizeof(*a));
		struct rec *b = a ? realloc(ps->b, need * sizeof(*b)) : NULL;

		if (a)
			ps->a = a;
		if (!a || !b) {
			ps->rc = -ENOMEM;
			return;
		}
		ps->b = b;
		ps->cap = need;
	}
	set_records(mine, ps->a);
	set_records(theirs, ps->b);
	qsort(ps->a, mine->rr_count, sizeof(struct rec), rec_cmp);
	qsort(ps->b, theirs->rr_count, sizeof(struct rec), rec_cmp);
	while (i < mine->rr_count && !ps->rc) {
		int c = j < theirs->rr_count ? rec_cmp(&ps->a[i], &ps->b[j]) :
			-1;

		if (c == 0) {
			i++;
			j++;
		} else if (c > 0) {
			j++;
		} else {
			ps->rc = ps->fn(ps->arg, ps->added, n->name,
					n->name_len, ps->a[i].p, ps->a[i].len);
			i++;
		}
	}
}

static void pass_node(const struct zone_node *n, void *arg)
{
	struct pass *ps = arg;
	const struct znode_data *d, *od = NULL;
	const struct zone_node *o;

	if (ps->rc)
		return;
	d = znode_at(n, zone_gen(ps->self));
	if (d->flags & ZNODE_GONE)
		return;
	o = zone_find(ps->other, n->name, n->name_len);
	if (o) {
		od = znode_at(o, zone_gen(ps->other));
		if (od->flags & ZNODE_GONE)
			od = NULL;
	}
	for (uint16_t i = 0; i < d->rrset_count && !ps->rc; i++) {
		const struct rrset *s = &d->rrsets[i];
		const struct rrset *t = od ? zdata_rrset(od, s->type) : NULL;

		if (!t || t->ttl != s->ttl)
			report_set(ps, n, s);
		else if (t->wire_len != s->wire_len ||
			 t->rr_count != s->rr_count ||
			 memcmp(t->wire, s->wire, s->wire_len) != 0)
			report_missing(ps, n, s, t);
	}
}

int zone_diff(const struct zone *old, const struct zone *new,
	      zone_diff_fn fn, void *arg)
{
	const struct zone_node *a = zone_apex_node(old);
	const struct zone_node *b = zone_apex_node(new);
	struct pass ps = { old, new, false, fn, arg, 0, NULL, NULL, 0 };

	if (a->name_len != b->name_len || memcmp(a->name, b->name,
						 a->name_len) != 0)
		return -EINVAL;
	zone_index_foreach(old, pass_node, &ps);
	if (!ps.rc) {
		ps.self = new;
		ps.other = old;
		ps.added = true;
		zone_index_foreach(new, pass_node, &ps);
	}
	free(ps.a);
	free(ps.b);
	return ps.rc;
}
