/* zone_nsec.c -- the NSEC chain of a version, sorted for lookups.
 *
 * A negative answer from a signed zone proves what does not exist with
 * the NSEC records whose ranges cover the name (RFC 4035 3.1.3). The
 * hash index (zone.c) has no order, so each version keeps beside it the
 * nodes that hold an NSEC in canonical order (RFC 4034 6.1), built once
 * per version off the reactors (zone_builder_finish, zone_update_finish:
 * n pointers, O(n log n)); the query path binary-searches it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/dns.h"
#include "common/name.h"
#include "zones/internal.h"

int zone_canon_cmp(const uint8_t *a, const uint8_t *b)
{
	uint8_t oa[NAME_MAX_LABELS + 1], ob[NAME_MAX_LABELS + 1];
	int na = zone_label_offsets(a, oa), nb = zone_label_offsets(b, ob);

	/* from the root down: the first label that differs decides, an
	 * absent label (a shorter name) sorts first */
	while (na > 0 && nb > 0) {
		const uint8_t *la = a + oa[--na], *lb = b + ob[--nb];
		size_t m = la[0] < lb[0] ? la[0] : lb[0];
		int d = memcmp(la + 1, lb + 1, m);

		if (d)
			return d;
		if (la[0] != lb[0])
			return la[0] < lb[0] ? -1 : 1;
	}
	return na - nb;
}

struct nsec_collect {
	const struct zone *z;
	const struct zone_node **v;
	size_t n, cap;
	bool oom;
};

static void nsec_collect_one(const struct zone_node *n, void *arg)
{
	struct nsec_collect *c = arg;
	const struct znode_data *d = znode_at(n, c->z->gen);

	if ((d->flags & ZNODE_GONE) || !zdata_rrset(d, DNS_TYPE_NSEC) ||
	    c->oom)
		return;
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 64;
		const struct zone_node **nv = realloc(c->v, ncap * sizeof(*nv));

		if (!nv) {
			c->oom = true;
			return;
		}
		c->v = nv;
		c->cap = ncap;
	}
	c->v[c->n++] = n;
}

static int nsec_qcmp(const void *a, const void *b)
{
	const struct zone_node *x = *(const struct zone_node *const *)a;
	const struct zone_node *y = *(const struct zone_node *const *)b;

	return zone_canon_cmp(x->name, y->name);
}

int zone_nsec_build(struct zone *z)
{
	struct nsec_collect c = { .z = z };

	zone_index_foreach(z, nsec_collect_one, &c);
	if (c.oom) {
		free(c.v);
		return -ENOMEM;
	}
	if (c.n)
		qsort(c.v, c.n, sizeof(*c.v), nsec_qcmp);
	free(z->nsec);
	z->nsec = c.v;
	z->nsec_count = c.n;
	return 0;
}

const struct zone_node *zone_nsec_cover(const struct zone *z,
					const uint8_t *lname)
{
	size_t lo = 0, hi = z->nsec_count;

	if (!hi)
		return NULL;
	/* the first owner after lname is at lo when the loop ends */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (zone_canon_cmp(z->nsec[mid]->name, lname) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return z->nsec[lo ? lo - 1 : z->nsec_count - 1];
}
