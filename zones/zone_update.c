/* zone_update.c -- a new version of a zone from a change (zone_update.h).
 *
 * A change is a list of records to remove and to add, grouped by owner
 * (a hash of the owners touched, each with its two lists). finish() works
 * in two phases.
 *
 * Checking (nothing shared is written). For each owner: its records in
 * the base version (decoded from the node's wire RRsets), minus the
 * removals (each must be there), plus the additions (merged when equal),
 * TTLs set; then every zone rule on the result: SOA and NS at the apex,
 * CNAME alone, one DNAME, no data below a DNAME (the owner's ancestors as
 * the change leaves them; a new DNAME: the names below it, by a walk of
 * the index, rare). A broken rule returns here with base untouched.
 *
 * Applying (only memory can fail). A new struct zone takes the base's page
 * table (a copy, every page shared: reference counts). Owners that gain
 * records and were no live name are made live, shallowest first, with any
 * missing ancestor (a GONE node of the family is given its data back, a
 * new name gets a node in the family's arena); owners left without
 * records become empty non-terminals when names below remain, else GONE,
 * deepest first, and an ancestor left empty and childless goes with them.
 * Index writes copy the page they land in (zone_index_own_page). Each
 * node whose data changes (an owner, a parent whose "*" child came or
 * went, an ancestor made live, or, after a cut or DNAME came or went, a
 * name below whose NONAUTH / UNDER_DNAME flag flips) is noted once in a
 * table of dirty nodes; at the end each gets its new data: a node made by
 * this change has it written in place (no older version can reach it),
 * any other gets a slot of the new generation linked in front of its
 * older ones (zone.h znode_at), after the slots no live version can read
 * any more are freed. NS, MX, SRV and CNAME targets of new RRsets are
 * resolved in the new version, with GONE nodes for names that are not
 * there (zone_set_targets), so a later change that adds such a name
 * reaches the RRsets that name it through the same node.
 *
 * Ownership: the change's own memory (records, tables) is freed by
 * finish or free; what it writes into the family lives with the family.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dns.h"
#include "common/errcode.h"
#include "common/name.h"
#include "zones/arena.h"
#include "zones/internal.h"
#include "zones/zone.h"
#include "zones/zone_update.h"

#define UPD_ARENA_CHUNK (64 * 1024)

/* One owner the change touches. */
struct uowner {
	const uint8_t *lname;         /* lowercase, in the change's pool */
	uint8_t len, labels;
	struct zone_node *node;       /* live in base, GONE, or NULL */
	bool live_before;
	struct brec *dels, *adds;     /* newest first */
	struct brec *result;          /* after the change */
	size_t nresult, nbefore;
	uint32_t has;                 /* zone_has bits, ZHAS_NSEC3ONLY */
};

enum {
	ZHAS_NSEC3ONLY = ZHAS_FIRST_FREE, /* every record NSEC3 data (or none) */
};

/* A node whose data the new version changes. */
struct udirty {
	struct zone_node *node;
	struct uowner *own;           /* its owner entry, or NULL */
	uint16_t flags;               /* the new flags */
	bool fresh;                   /* made by this change: write base */
	bool wc_set;                  /* wildcard_child replaced by wc */
	const struct zone_node *wc;
};

struct zone_update {
	struct zone *base;
	struct zone_family *fam;
	struct arena *tmp;
	struct zone_pool pool;
	struct uowner **own;          /* in order of first mention */
	size_t nown, own_cap;
	struct uowner **ohash;        /* owners by name */
	uint32_t omask;
	struct udirty *dirty;
	size_t ndirty, dirty_cap;
	uint32_t *dhash;              /* dirty index + 1, by node address */
	uint32_t dmask;
	struct zone *z;               /* the version being made */
	bool cut_changed;             /* a DELEGATION or DNAME came or went */
	bool any_dname;               /* the zone has or gets a DNAME */
	int index_rc;                 /* why the index took no more */
	int max_labels;
};

static uint32_t ptr_hash(const void *p)
{
	uint64_t x = (uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(x >> 32);
}

int zone_update_new(const struct zone *base, struct zone_update **out)
{
	struct zone_family *fam = base->fam;
	struct zone_update *u;

	*out = NULL;
	if (fam->broken)
		return -ENOMEM;
	pthread_mutex_lock(&fam->lock);
	bool newest = fam->live == base;
	pthread_mutex_unlock(&fam->lock);
	if (!newest)
		return LV_ESTALE;
	if (fam->updating)
		return LV_EBUSY;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->tmp = arena_new(UPD_ARENA_CHUNK);
	if (!u->tmp) {
		free(u);
		return -ENOMEM;
	}
	u->pool.arena = u->tmp;
	u->base = (struct zone *)base;
	u->fam = fam;
	fam->updating = true;
	*out = u;
	return 0;
}

void zone_update_free(struct zone_update *u)
{
	if (!u)
		return;
	u->fam->updating = false;
	free(u->own);
	free(u->ohash);
	free(u->dirty);
	free(u->dhash);
	arena_destroy(u->tmp);
	free(u);
}

/* --- owners --- */

static struct uowner *owner_find(const struct zone_update *u,
				 const uint8_t *lname, size_t len)
{
	if (!u->ohash)
		return NULL;
	for (uint32_t i = name_hash(lname, len) & u->omask; u->ohash[i];
	     i = (i + 1) & u->omask) {
		struct uowner *o = u->ohash[i];

		if (o->len == len && memcmp(o->lname, lname, len) == 0)
			return o;
	}
	return NULL;
}

static void owner_put(struct uowner **h, uint32_t mask, struct uowner *o)
{
	uint32_t i = name_hash(o->lname, o->len) & mask;

	while (h[i])
		i = (i + 1) & mask;
	h[i] = o;
}

static struct uowner *owner_get(struct zone_update *u, const uint8_t *lname,
				size_t len, int labels)
{
	struct uowner *o = owner_find(u, lname, len);
	uint8_t *name;

	if (o)
		return o;
	if (u->nown == u->own_cap) {
		size_t ncap = u->own_cap ? u->own_cap * 2 : 16;
		struct uowner **no = realloc(u->own, ncap * sizeof(*no));

		if (!no)
			return NULL;
		u->own = no;
		u->own_cap = ncap;
	}
	if ((u->nown + 1) * 2 > (size_t)u->omask + 1 || !u->ohash) {
		uint32_t nmask = u->ohash ? u->omask * 2 + 1 : 31;
		struct uowner **nh = calloc((size_t)nmask + 1, sizeof(*nh));

		if (!nh)
			return NULL;
		for (size_t i = 0; i < u->nown; i++)
			owner_put(nh, nmask, u->own[i]);
		free(u->ohash);
		u->ohash = nh;
		u->omask = nmask;
	}
	o = zone_pool_alloc(&u->pool, sizeof(*o), 8);
	name = zone_pool_alloc(&u->pool, len, 1);
	if (!o || !name)
		return NULL;
	memset(o, 0, sizeof(*o));
	memcpy(name, lname, len);
	o->lname = name;
	o->len = (uint8_t)len;
	o->labels = (uint8_t)labels;
	u->own[u->nown++] = o;
	owner_put(u->ohash, u->omask, o);
	return o;
}

static struct brec *rec_new(struct zone_update *u, uint16_t type,
			    uint32_t ttl, const uint8_t *rdata, uint16_t rdlen)
{
	struct brec *r = zone_pool_alloc(&u->pool, sizeof(*r) + rdlen, 8);

	if (!r)
		return NULL;
	r->next = NULL;
	r->type = type;
	r->ttl = ttl;
	r->rdlen = rdlen;
	if (rdlen)
		memcpy(r->rdata, rdata, rdlen);
	return r;
}

/* Checks a record as zone_builder_add() does before any zone rule that
 * needs the rest; returns its owner entry or NULL with *rc set. */
static struct uowner *rec_owner(struct zone_update *u, const uint8_t *owner,
				uint16_t type, uint16_t rclass,
				const uint8_t *rdata, uint16_t rdlen,
				int *rc, char *err, size_t errlen)
{
	const struct zone_node *apex = u->base->apex;
	uint8_t lname[NAME_MAX_LEN];
	uint8_t offs[NAME_MAX_LABELS + 1];
	char text[NAME_MAX_LEN * 4 + 1], atext[NAME_MAX_LEN * 4 + 1];
	size_t len = name_to_lower(lname, owner);
	int labels = zone_label_offsets(lname, offs);
	int al = apex->label_count;
	struct uowner *o;

	if (rclass != DNS_CLASS_IN) {
		zone_err(err, errlen, "class %u of %s is not IN", rclass,
			 name_to_text(lname, text, sizeof(text)));
		*rc = LV_ECLASS;
		return NULL;
	}
	if (labels < al || len - offs[labels - al] != apex->name_len ||
	    memcmp(lname + offs[labels - al], apex->name, apex->name_len)) {
		zone_err(err, errlen, "%s is outside the zone %s",
			 name_to_text(lname, text, sizeof(text)),
			 name_to_text(apex->name, atext, sizeof(atext)));
		*rc = LV_EOUTSIDE;
		return NULL;
	}
	if (type == DNS_TYPE_SOA) {
		size_t m = zone_rdata_name_len(rdata, rdlen);
		size_t rn = m ? zone_rdata_name_len(rdata + m, rdlen - m) : 0;

		if (labels != al) {
			zone_err(err, errlen, "SOA at %s, not at the zone apex",
				 name_to_text(lname, text, sizeof(text)));
			*rc = LV_EMALF;
			return NULL;
		}
		if (!rn || rdlen - m - rn != 20) {
			zone_err(err, errlen, "malformed SOA RDATA");
			*rc = LV_EMALF;
			return NULL;
		}
	}
	o = owner_get(u, lname, len, labels);
	if (!o) {
		zone_err(err, errlen, "out of memory");
		*rc = -ENOMEM;
	}
	return o;
}

/* One record into the owner's list of removals or of additions. */
static int rec_note(struct zone_update *u, bool add, const uint8_t *owner,
		    uint16_t type, uint16_t rclass, uint32_t ttl,
		    const uint8_t *rdata, uint16_t rdlen, char *err,
		    size_t errlen)
{
	int rc = 0;
	struct uowner *o = rec_owner(u, owner, type, rclass, rdata, rdlen,
				     &rc, err, errlen);
	struct brec *r, **list;

	if (!o)
		return rc;
	r = rec_new(u, type, ttl, rdata, rdlen);
	if (!r) {
		zone_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	list = add ? &o->adds : &o->dels;
	r->next = *list;
	*list = r;
	return 0;
}

int zone_update_remove(struct zone_update *u, const uint8_t *owner,
		       uint16_t type, uint16_t rclass, const uint8_t *rdata,
		       uint16_t rdlen, char *err, size_t errlen)
{
	return rec_note(u, false, owner, type, rclass, 0, rdata, rdlen, err,
			errlen);
}

int zone_update_add(struct zone_update *u, const uint8_t *owner,
		    uint16_t type, uint16_t rclass, uint32_t ttl,
		    const uint8_t *rdata, uint16_t rdlen, char *err,
		    size_t errlen)
{
	return rec_note(u, true, owner, type, rclass, ttl, rdata, rdlen, err,
			errlen);
}

/* --- checking --- */

/* o's records in base, as a list in the change's pool. */
static int owner_decode(struct zone_update *u, struct uowner *o)
{
	const struct znode_data *d;

	o->node = (struct zone_node *)zone_find(u->base, o->lname, o->len);
	o->live_before = o->node != NULL;
	if (!o->node) {
		o->node = zone_nodeset_find(&u->fam->gone, o->lname, o->len);
		return 0;
	}
	d = znode_at(o->node, u->base->gen);
	for (uint16_t i = 0; i < d->rrset_count; i++) {
		const struct rrset *s = &d->rrsets[i];
		const uint8_t *p = s->wire;

		for (uint16_t k = 0; k < s->rr_count; k++) {
			uint16_t rdlen = (uint16_t)(p[8] << 8 | p[9]);
			struct brec *r = rec_new(u, s->type, s->ttl, p + 10,
						 rdlen);

			if (!r)
				return -ENOMEM;
			r->next = o->result;
			o->result = r;
			o->nresult++;
			p += 10u + rdlen;
		}
	}
	o->nbefore = o->nresult;
	return 0;
}

/* o's records minus its removals, each of which must be there: the
 * records sorted once and every removal found by binary search, so a
 * change of n records at one name costs O(n log n), not n squared. */
static int owner_remove(struct zone_update *u, struct uowner *o, char *err,
			size_t errlen)
{
	char text[NAME_MAX_LEN * 4 + 1], tbuf[16];
	size_t n = o->nresult, k = 0;
	struct brec **v;
	uint8_t *gone;

	if (!o->dels)
		return 0;
	v = zone_pool_alloc(&u->pool, (n ? n : 1) * sizeof(*v), 8);
	gone = zone_pool_alloc(&u->pool, n ? n : 1, 1);
	if (!v || !gone) {
		zone_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	memset(gone, 0, n ? n : 1);
	for (struct brec *r = o->result; r; r = r->next)
		v[k++] = r;
	qsort(v, n, sizeof(*v), zone_brec_qcmp);
	for (const struct brec *d = o->dels; d; d = d->next) {
		size_t lo = 0, hi = n;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (zone_brec_cmp(v[mid], d) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		/* base holds no duplicates: a second removal finds it gone */
		if (lo == n || zone_brec_cmp(v[lo], d) != 0 || gone[lo]) {
			zone_err(err, errlen, "no %s record at %s to remove",
				 zone_type_text(d->type, tbuf, sizeof(tbuf)),
				 name_to_text(o->lname, text, sizeof(text)));
			return LV_ENOREC;
		}
		gone[lo] = 1;
	}
	o->result = NULL;
	o->nresult = 0;
	for (k = n; k-- > 0;) {
		if (gone[k])
			continue;
		v[k]->next = o->result;
		o->result = v[k];
		o->nresult++;
	}
	return 0;
}

/* The result of o: base minus removals plus additions, TTLs set, and
 * what it holds. */
static int owner_apply(struct zone_update *u, struct uowner *o, char *err,
		       size_t errlen)
{
	char text[NAME_MAX_LEN * 4 + 1];
	int apex_labels = u->base->apex->label_count;
	unsigned cnames = 0, dnames = 0, soas = 0;
	int rc = owner_decode(u, o);

	if (rc)
		return rc;
	rc = owner_remove(u, o, err, errlen);
	if (rc)
		return rc;
	/* The additions go behind the records kept: the list is newest
	 * first, so in its oldest-first order (zone_sets_plan) the first
	 * addition of a type comes before the type's old records and gives
	 * the set its TTL; equal records are merged there too. */
	struct brec **tail = &o->result;
	while (*tail)
		tail = &(*tail)->next;
	*tail = o->adds;
	for (const struct brec *a = o->adds; a; a = a->next)
		o->nresult++;
	o->adds = NULL;
	if (o->nresult > UINT16_MAX) {
		zone_err(err, errlen, "more than 65535 records at %s",
			 name_to_text(o->lname, text, sizeof(text)));
		return LV_EMALF;
	}
	o->has = ZHAS_NSEC3ONLY;
	for (struct brec *r = o->result; r; r = r->next) {
		o->has |= zone_has_of(r->type);
		soas += r->type == DNS_TYPE_SOA;
		cnames += r->type == DNS_TYPE_CNAME;
		dnames += r->type == DNS_TYPE_DNAME;
		if (!zone_is_nsec3_rec(apex_labels, o->labels, r->type,
				       r->rdata, r->rdlen))
			o->has &= ~(uint32_t)ZHAS_NSEC3ONLY;
	}
	name_to_text(o->lname, text, sizeof(text));
	if (o->labels == apex_labels) {
		if (soas == 0) {
			zone_err(err, errlen, "no SOA record at the zone apex %s",
				 text);
			return LV_ENOSOA;
		}
		if (soas > 1) {
			zone_err(err, errlen, "second SOA record");
			return LV_ESOA2;
		}
		if (!(o->has & ZHAS_NS)) {
			zone_err(err, errlen, "no NS record at the zone apex %s",
				 text);
			return LV_ENONS;
		}
	}
	if ((o->has & ZHAS_CNAME) && (o->has & ZHAS_OTHER)) {
		zone_err(err, errlen, "CNAME beside other data at %s", text);
		return LV_ECNAME;
	}
	if (cnames > 1 || dnames > 1) {
		zone_err(err, errlen, "second %s at %s",
			 cnames > 1 ? "CNAME" : "DNAME", text);
		return cnames > 1 ? LV_ECNAME : LV_EDNAME;
	}
	return 0;
}

/* Whether the name (lname, len, its offsets) has a DNAME after the
 * change: its owner entry's result, else base's node. */
static bool has_dname_after(const struct zone_update *u, const uint8_t *lname,
			    size_t len)
{
	const struct uowner *o = owner_find(u, lname, len);
	const struct zone_node *n;

	if (o)
		return (o->has & ZHAS_DNAME) != 0;
	n = zone_find(u->base, lname, len);
	return n && (znode_at(n, u->base->gen)->flags & ZNODE_DNAME);
}

/* Whether name n (nl bytes) lies strictly below a (al bytes): a proper
 * suffix on a label boundary. O(nl). */
static bool name_strictly_below(const uint8_t *n, size_t nl, const uint8_t *a,
				size_t al)
{
	size_t o = 0, off;

	if (nl <= al || memcmp(n + nl - al, a, al) != 0)
		return false;
	off = nl - al;
	while (o < off)
		o += 1u + n[o];
	return o == off;
}

struct below_ctx {
	const struct zone_update *u;
	const struct uowner *top;
	const struct zone_node *found;
};

/* Index walk: a live base node strictly below top with data after the
 * change that is not NSEC3 data only. */
static void below_one(const struct zone_node *n, void *arg)
{
	struct below_ctx *bc = arg;
	const struct uowner *o;
	size_t tl = bc->top->len;

	if (bc->found ||
	    !name_strictly_below(n->name, n->name_len, bc->top->lname, tl))
		return;
	o = owner_find(bc->u, n->name, n->name_len);
	if (o) {
		if (o->nresult && !(o->has & ZHAS_NSEC3ONLY))
			bc->found = n;
		return;
	}
	const struct znode_data *d = znode_at(n, bc->u->base->gen);
	for (uint16_t i = 0; i < d->rrset_count; i++) {
		const struct rrset *s = &d->rrsets[i];
		const uint8_t *p = s->wire;

		for (uint16_t k = 0; k < s->rr_count; k++) {
			uint16_t rdlen = (uint16_t)(p[8] << 8 | p[9]);

			if (!zone_is_nsec3_rec(bc->u->base->apex->label_count,
					       n->label_count, s->type, p + 10,
					       rdlen)) {
				bc->found = n;
				return;
			}
			p += 10u + rdlen;
		}
	}
}

/* RFC 6672 2.4 on the result: no data below a DNAME, in either order. */
static int owner_check_dname(struct zone_update *u, const struct uowner *o,
			     char *err, size_t errlen)
{
	char text[NAME_MAX_LEN * 4 + 1], dtext[NAME_MAX_LEN * 4 + 1];
	int apex_labels = u->base->apex->label_count;
	uint8_t offs[NAME_MAX_LABELS + 1];

	if (o->nresult && !(o->has & ZHAS_NSEC3ONLY) && u->any_dname) {
		zone_label_offsets(o->lname, offs);
		for (int k = 1; k <= o->labels - apex_labels; k++) {
			const uint8_t *sfx = o->lname + offs[k];

			if (!has_dname_after(u, sfx, o->len - offs[k]))
				continue;
			zone_err(err, errlen, "data at %s is below the DNAME at "
				 "%s (RFC 6672 2.4)",
				 name_to_text(o->lname, text, sizeof(text)),
				 name_to_text(sfx, dtext, sizeof(dtext)));
			return LV_EDNAME;
		}
	}
	if ((o->has & ZHAS_DNAME) &&
	    !(o->live_before &&
	      (znode_at(o->node, u->base->gen)->flags & ZNODE_DNAME))) {
		struct below_ctx bc = { u, o, NULL };
		const struct uowner *ob = NULL;

		if (o->live_before && o->node->base.gen)
			zone_index_foreach(u->base, below_one, &bc);
		for (size_t i = 0; i < u->nown && !bc.found && !ob; i++) {
			const struct uowner *x = u->own[i];

			if (x->nresult && !(x->has & ZHAS_NSEC3ONLY) &&
			    name_strictly_below(x->lname, x->len, o->lname,
						o->len))
				ob = x;
		}
		if (bc.found || ob) {
			zone_err(err, errlen, "DNAME at %s has data below it "
				 "at %s (RFC 6672 2.4)",
				 name_to_text(o->lname, text, sizeof(text)),
				 name_to_text(bc.found ? bc.found->name :
					      ob->lname, dtext, sizeof(dtext)));
			return LV_EDNAME;
		}
	}
	return 0;
}

/* --- applying --- */

static struct udirty *dirty_get(struct zone_update *u, struct zone_node *n)
{
	uint32_t i;

	if (u->dhash) {
		for (i = ptr_hash(n) & u->dmask; u->dhash[i];
		     i = (i + 1) & u->dmask)
			if (u->dirty[u->dhash[i] - 1].node == n)
				return &u->dirty[u->dhash[i] - 1];
	}
	if (u->ndirty == u->dirty_cap) {
		size_t ncap = u->dirty_cap ? u->dirty_cap * 2 : 32;
		struct udirty *nd = realloc(u->dirty, ncap * sizeof(*nd));

		if (!nd)
			return NULL;
		u->dirty = nd;
		u->dirty_cap = ncap;
	}
	if (!u->dhash || (u->ndirty + 1) * 2 > (size_t)u->dmask + 1) {
		uint32_t nmask = u->dhash ? u->dmask * 2 + 1 : 63;
		uint32_t *nh = calloc((size_t)nmask + 1, sizeof(*nh));

		if (!nh)
			return NULL;
		for (size_t k = 0; k < u->ndirty; k++) {
			for (i = ptr_hash(u->dirty[k].node) & nmask; nh[i];
			     i = (i + 1) & nmask)
				;
			nh[i] = (uint32_t)k + 1;
		}
		free(u->dhash);
		u->dhash = nh;
		u->dmask = nmask;
	}
	for (i = ptr_hash(n) & u->dmask; u->dhash[i]; i = (i + 1) & u->dmask)
		;
	u->dhash[i] = (uint32_t)u->ndirty + 1;
	struct udirty *d = &u->dirty[u->ndirty++];
	memset(d, 0, sizeof(*d));
	d->node = n;
	d->flags = znode_at(n, ZONE_GEN_NEWEST)->flags;
	return d;
}

static struct udirty *dirty_find(const struct zone_update *u,
				 const struct zone_node *n)
{
	if (!u->dhash)
		return NULL;
	for (uint32_t i = ptr_hash(n) & u->dmask; u->dhash[i];
	     i = (i + 1) & u->dmask)
		if (u->dirty[u->dhash[i] - 1].node == n)
			return &u->dirty[u->dhash[i] - 1];
	return NULL;
}

/* n's flags in the version being made. */
static uint16_t flags_after(const struct zone_update *u,
			    const struct zone_node *n)
{
	const struct udirty *d = dirty_find(u, n);

	return d ? d->flags : znode_at(n, u->base->gen)->flags;
}

/* Puts n in the new index, growing it first when n would make it (or
 * n's page) too full. */
static int index_insert(struct zone_update *u, struct zone_node *n)
{
	struct zone *z = u->z;
	uint32_t h = name_hash(n->name, n->name_len);
	uint32_t slots = z->index_mask + 1;
	uint32_t k = (h & z->index_mask) >> z->page_shift;
	int rc;

	if ((z->node_count + 1) * 2 > slots) {
		rc = zone_index_grow(z);
		if (rc)
			return rc;
		k = (h & z->index_mask) >> z->page_shift;
	}
	while (!zone_page_has_room(z->pages[k].pg->used,
				   z->page_mask + 1)) {
		if (!zone_index_may_grow(z->index_mask + 1, z->node_count))
			return LV_ECOLLIDE;
		rc = zone_index_grow(z);
		if (rc)
			return rc;
		k = (h & z->index_mask) >> z->page_shift;
	}
	rc = zone_index_own_page(z, k);
	if (rc)
		return rc;
	zone_index_put(z, n, h);
	z->node_count++;
	return 0;
}

static int index_remove(struct zone_update *u, const struct zone_node *n)
{
	struct zone *z = u->z;
	uint32_t h = name_hash(n->name, n->name_len);
	int rc = zone_index_own_page(z, (h & z->index_mask) >> z->page_shift);

	if (rc)
		return rc;
	zone_index_del(z, n);
	z->node_count--;
	return 0;
}

/* Makes lname (an owner that gains records) a live name with its
 * ancestors. Returns its node or NULL (out of memory). */
static struct zone_node *make_live(struct zone_update *u, const uint8_t *lname,
				   size_t len)
{
	struct zone_family *fam = u->fam;
	uint8_t offs[NAME_MAX_LABELS + 1];
	int labels = zone_label_offsets(lname, offs);
	int al = u->base->apex->label_count, at;
	struct zone_node *parent = NULL, *n = NULL;

	/* deepest live ancestor (the apex at worst) */
	for (at = 1; at <= labels - al; at++) {
		parent = (struct zone_node *)zone_find(u->z, lname + offs[at],
						       len - offs[at]);
		if (parent)
			break;
	}
	while (at-- > 0) {
		const uint8_t *s = lname + offs[at];
		size_t sl = len - offs[at];
		bool fresh = false;
		struct udirty *d;

		n = zone_nodeset_find(&fam->gone, s, sl);
		if (n) {
			zone_nodeset_remove(&fam->gone, n);
		} else {
			n = zone_node_alloc(fam, s, sl, parent);
			if (!n)
				return NULL;
			fresh = true;
		}
		u->index_rc = index_insert(u, n);
		if (u->index_rc)
			return NULL;
		parent->base.gen++;
		if (n->label_count > u->max_labels)
			u->max_labels = n->label_count;
		d = dirty_get(u, n);
		if (!d)
			return NULL;
		d->fresh = fresh;
		d->flags = ZNODE_EMPTY;
		d->wc_set = true;
		d->wc = NULL;
		if (s[0] == 1 && s[1] == '*') {
			struct udirty *pd = dirty_get(u, parent);

			if (!pd)
				return NULL;
			d->flags |= ZNODE_WILDCARD;
			pd->wc_set = true;
			pd->wc = n;
		}
		parent = n;
	}
	return n;
}

/* Takes n (live, no records after the change, no live children) out of
 * the new version: GONE; then its parent too when that is left an empty
 * non-terminal with no children (not the apex, not an owner that keeps
 * records). 0 or -ENOMEM. */
static int make_gone(struct zone_update *u, struct zone_node *n)
{
	while (n && !(flags_after(u, n) & ZNODE_APEX)) {
		struct zone_node *p = (struct zone_node *)n->parent;
		struct udirty *d = dirty_get(u, n);
		const struct uowner *po;

		if (!d || index_remove(u, n) || zone_nodeset_add(&u->fam->gone, n))
			return -ENOMEM;
		d->flags = ZNODE_GONE;
		d->wc_set = true;
		d->wc = NULL;
		p->base.gen--;
		if (n->name[0] == 1 && n->name[1] == '*') {
			struct udirty *pd = dirty_get(u, p);

			if (!pd)
				return -ENOMEM;
			pd->wc_set = true;
			pd->wc = NULL;
		}
		po = owner_find(u, p->name, p->name_len);
		if (p->base.gen || (po && po->nresult) ||
		    (!po && znode_at(p, u->base->gen)->rrset_count))
			break;
		if (po && po->live_before)
			break;  /* an owner: its own turn comes (deepest first) */
		n = p;
	}
	return 0;
}

static int cmp_owner_up(const void *a, const void *b)
{
	const struct uowner *x = *(struct uowner *const *)a;
	const struct uowner *y = *(struct uowner *const *)b;

	return (int)x->labels - (int)y->labels;
}

/* The own flags of an owner's result (inherited ones: inherit_flags). */
static uint16_t owner_flags(const struct zone_update *u,
			    const struct uowner *o)
{
	uint16_t f = 0;

	if (o->labels == u->base->apex->label_count)
		f |= ZNODE_APEX;
	if (o->lname[0] == 1 && o->lname[1] == '*')
		f |= ZNODE_WILDCARD;
	if (o->has & ZHAS_CNAME)
		f |= ZNODE_CNAME;
	if (o->has & ZHAS_DNAME)
		f |= ZNODE_DNAME;
	if ((o->has & ZHAS_NS) && !(f & ZNODE_APEX))
		f |= ZNODE_DELEGATION;
	if (o->nresult == 0)
		f |= ZNODE_EMPTY;
	return f;
}

#define ZNODE_INHERITED (ZNODE_NONAUTH | ZNODE_UNDER_DNAME)

/* n's NONAUTH and UNDER_DNAME in the new version: from its ancestors'
 * own flags there. O(labels). */
static uint16_t inherit_flags(const struct zone_update *u,
			      const struct zone_node *n)
{
	uint16_t f = 0;

	for (const struct zone_node *p = n->parent; p; p = p->parent) {
		uint16_t pf = flags_after(u, p);

		if ((pf & ZNODE_DELEGATION) && !(pf & ZNODE_APEX))
			f |= ZNODE_NONAUTH;
		if (pf & ZNODE_DNAME)
			f |= ZNODE_UNDER_DNAME;
	}
	return f;
}

struct inherit_ctx {
	struct zone_update *u;
	int rc;
};

static void inherit_one(const struct zone_node *n, void *arg)
{
	struct inherit_ctx *ic = arg;
	uint16_t f = flags_after(ic->u, n), inh = inherit_flags(ic->u, n);
	struct udirty *d;

	if (ic->rc || (f & ZNODE_INHERITED) == inh)
		return;
	d = dirty_get(ic->u, (struct zone_node *)n);
	if (!d) {
		ic->rc = -ENOMEM;
		return;
	}
	d->flags = (uint16_t)((d->flags & ~ZNODE_INHERITED) | inh);
}

/* The oldest generation a live version of the family reads. */
static uint32_t oldest_live_gen(struct zone_family *fam)
{
	uint32_t g = UINT32_MAX;

	pthread_mutex_lock(&fam->lock);
	for (const struct zone *z = fam->live; z; z = z->live_next)
		if (z->gen < g)
			g = z->gen;
	pthread_mutex_unlock(&fam->lock);
	return g;
}

/* Frees the slots of n that no version of generation >= oldest reads. */
static void slots_trim(struct zone_node *n, uint32_t oldest)
{
	struct znode_slot *s = (struct znode_slot *)n->newer;

	while (s && s->d.gen > oldest)
		s = (struct znode_slot *)s->older;
	if (!s)
		return;
	for (struct znode_slot *o = (struct znode_slot *)s->older, *nx; o;
	     o = nx) {
		nx = (struct znode_slot *)o->older;
		free(o->mem);
	}
	s->older = NULL;
}

static int slotted_note(struct zone_family *fam, struct zone_node *n)
{
	if (n->newer)
		return 0;   /* noted when it got its first */
	if (fam->nslotted == fam->slotted_cap) {
		size_t ncap = fam->slotted_cap ? fam->slotted_cap * 2 : 64;
		struct zone_node **ns = realloc(fam->slotted,
						ncap * sizeof(*ns));

		if (!ns)
			return -ENOMEM;
		fam->slotted = ns;
		fam->slotted_cap = ncap;
	}
	fam->slotted[fam->nslotted++] = n;
	return 0;
}

/* Writes dirty node d's new data: sets from its owner's result (else the
 * ones it has), flags, "*" child. A fresh node in place; any other in a
 * new slot. 0 or -ENOMEM (or LV_EMALF: a set of over 65535 records). */
static int dirty_write(struct zone_update *u, struct udirty *d,
		       struct zone_scratch *sc, uint32_t oldest, char *err,
		       size_t errlen)
{
	struct zone_node *n = d->node;
	const struct znode_data *cur = znode_at(n, u->base->gen);
	struct znode_data nd = *cur;
	struct zone_plan p = { 0 };
	size_t ntarg = 0, bytes;
	struct znode_slot *slot = NULL;
	struct rrset *sets = NULL;
	const struct zone_node **targ = NULL;
	uint8_t *wire = NULL, *mem;
	int rc;

	if (d->fresh) {
		nd.rrsets = NULL;
		nd.rrset_count = 0;
		nd.wildcard_child = NULL;
	}
	nd.gen = u->z->gen;
	/* ZNODE_SIGNED goes with the sets: kept with the ones it has,
	 * written afresh with new ones */
	nd.flags = (uint16_t)((d->flags & ~ZNODE_SIGNED) |
			      (d->own ? 0 : cur->flags & ZNODE_SIGNED));
	if (d->wc_set)
		nd.wildcard_child = d->wc;
	if (nd.flags & ZNODE_GONE) {
		nd.rrsets = NULL;
		nd.rrset_count = 0;
		nd.flags &= (uint16_t)~ZNODE_SIGNED;
	} else if (d->own) {
		rc = zone_sets_plan(sc, d->own->result, d->own->nresult, &p);
		if (rc)
			return rc;
		d->own->nresult = p.uniq;   /* duplicates merged */
		/* sized before it is written: the targets' count from the
		 * planned records */
		for (size_t j = 0; j < p.uniq; j++)
			switch (sc->recs[j]->type) {
			case DNS_TYPE_NS: case DNS_TYPE_MX: case DNS_TYPE_SRV:
			case DNS_TYPE_CNAME:
				ntarg++;
				break;
			default:
				break;
			}
	}
	bytes = (d->fresh ? 0 : sizeof(*slot)) +
		zone_plan_slots(&p) * sizeof(*sets) +
		ntarg * sizeof(*targ) + p.wire;
	if (d->fresh)
		mem = bytes ? zone_pool_alloc(&u->fam->pool, bytes, 8) : NULL;
	else
		mem = malloc(bytes);
	if (bytes && !mem)
		return -ENOMEM;
	if (!d->fresh)
		slot = (struct znode_slot *)(void *)mem;
	if (!d->fresh && u->z->ntouched == u->z->touched_cap) {
		size_t ncap = u->z->touched_cap ? u->z->touched_cap * 2 : 16;
		struct zone_node **nt = realloc(u->z->touched,
						ncap * sizeof(*nt));

		if (!nt) {
			free(mem);
			return -ENOMEM;
		}
		u->z->touched = nt;
		u->z->touched_cap = ncap;
	}
	sets = (struct rrset *)(void *)(mem + (d->fresh ? 0 : sizeof(*slot)));
	targ = (const struct zone_node **)(void *)(sets + zone_plan_slots(&p));
	wire = (uint8_t *)(targ + ntarg);
	if (d->own && !(nd.flags & ZNODE_GONE)) {
		rc = zone_sets_write(sc, &p, sets, wire, n->name, err, errlen);
		if (rc) {
			if (!d->fresh)
				free(mem);
			return rc;
		}
		for (size_t i = 0; i < p.nsets; i++) {
			rc = zone_set_targets(u->z, &sets[i], targ);
			if (rc) {
				if (!d->fresh)
					free(mem);
				return rc;
			}
			if (sets[i].targets)
				targ += sets[i].rr_count;
		}
		nd.rrsets = p.nsets ? sets : NULL;
		nd.rrset_count = (uint16_t)p.nsets;
		if (p.sigs)
			nd.flags |= ZNODE_SIGNED;
	}
	if (d->fresh) {
		nd.gen = n->base.gen;   /* the base keeps its children count */
		n->base = nd;
		return 0;
	}
	if (slotted_note(u->fam, n)) {
		free(mem);
		return -ENOMEM;
	}
	slots_trim(n, oldest);
	slot->d = nd;
	slot->older = n->newer;
	slot->mem = mem;
	u->z->touched[u->z->ntouched++] = n;
	__atomic_store_n(&n->newer, slot, __ATOMIC_RELEASE);
	return 0;
}

/* The new version's struct zone: base's fields, a copy of its page
 * table with every page shared. */
static struct zone *version_from(struct zone_update *u)
{
	const struct zone *b = u->base;
	uint32_t npages = (b->index_mask >> b->page_shift) + 1;
	struct zone *z = zone_version_new(u->fam, u->fam->next_gen);

	if (!z)
		return NULL;
	z->pages = malloc(npages * sizeof(*z->pages));
	if (!z->pages) {
		zone_free(z);
		return NULL;
	}
	for (uint32_t k = 0; k < npages; k++) {
		z->pages[k] = b->pages[k];
		__atomic_fetch_add(&b->pages[k].pg->refs, 1,
				   __ATOMIC_RELAXED);
	}
	z->index_mask = b->index_mask;
	z->page_mask = b->page_mask;
	z->page_shift = b->page_shift;
	z->apex = b->apex;
	z->max_labels = b->max_labels;
	z->node_count = b->node_count;
	z->record_count = b->record_count;
	return z;
}

/* Phase two (see the file's comment). 0 or -ENOMEM / LV_EMALF. */
static int update_apply(struct zone_update *u, char *err, size_t errlen)
{
	struct zone_scratch sc = { 0 };
	size_t i;
	int rc = 0;
	uint32_t oldest = oldest_live_gen(u->fam);

	u->max_labels = u->z->max_labels;
	/* shallowest first: made live; then deepest first: gone */
	if (u->nown > 1)
		qsort(u->own, u->nown, sizeof(*u->own), cmp_owner_up);
	for (i = 0; i < u->nown; i++) {
		struct uowner *o = u->own[i];

		if (o->nresult && !o->live_before) {
			o->node = make_live(u, o->lname, o->len);
			if (!o->node)
				return u->index_rc ? u->index_rc : -ENOMEM;
		}
	}
	for (i = u->nown; i-- > 0;) {
		struct uowner *o = u->own[i];

		if (!o->nresult && o->live_before && !o->node->base.gen &&
		    !(znode_at(o->node, u->base->gen)->flags & ZNODE_APEX)) {
			rc = make_gone(u, o->node);
			if (rc)
				return rc;
		}
	}
	/* owners' own flags; did a cut or a DNAME come or go? */
	for (i = 0; i < u->nown; i++) {
		struct uowner *o = u->own[i];
		struct udirty *d;
		uint16_t before;

		if (!o->node || (!o->live_before && !o->nresult))
			continue;   /* not a name before or after */
		before = o->live_before ?
			znode_at(o->node, u->base->gen)->flags : 0;
		if ((flags_after(u, o->node) & ZNODE_GONE)) {
			if (before & (ZNODE_DELEGATION | ZNODE_DNAME))
				u->cut_changed = true;
			continue;
		}
		d = dirty_get(u, o->node);
		if (!d)
			return -ENOMEM;
		d->own = o;
		d->flags = (uint16_t)(owner_flags(u, o) |
				      (d->flags & ZNODE_INHERITED));
		if ((before ^ d->flags) & (ZNODE_DELEGATION | ZNODE_DNAME))
			u->cut_changed = true;
	}
	/* inherited flags: every name when a cut or DNAME moved, else the
	 * dirty ones */
	if (u->cut_changed) {
		struct inherit_ctx ic = { u, 0 };

		zone_index_foreach(u->z, inherit_one, &ic);
		if (ic.rc)
			return ic.rc;
	}
	for (i = 0; i < u->ndirty; i++) {
		struct udirty *d = &u->dirty[i];

		if (!(d->flags & ZNODE_GONE))
			d->flags = (uint16_t)((d->flags & ~ZNODE_INHERITED) |
					      inherit_flags(u, d->node));
	}
	/* the data: after every structural change, so targets resolve in
	 * the new version */
	for (i = 0; i < u->ndirty && !rc; i++)
		rc = dirty_write(u, &u->dirty[i], &sc, oldest, err, errlen);
	free(sc.recs);
	free(sc.first);
	if (rc)
		return rc;
	for (i = 0; i < u->nown; i++)
		u->z->record_count += u->own[i]->nresult - u->own[i]->nbefore;
	u->z->max_labels = u->max_labels;
	u->z->soa = zdata_rrset(znode_at(u->z->apex, u->z->gen), DNS_TYPE_SOA);
	u->z->serial = zone_soa_serial(u->z->soa);
	return 0;
}

int zone_update_finish(struct zone_update *u, struct zone **out, char *err,
		       size_t errlen)
{
	size_t dn_before = 0, dn_after = 0;
	int rc = 0;

	*out = NULL;
	for (size_t i = 0; i < u->nown && !rc; i++)
		rc = owner_apply(u, u->own[i], err, errlen);
	u->any_dname = u->fam->dnames > 0;
	for (size_t i = 0; i < u->nown; i++)
		if (u->own[i]->has & ZHAS_DNAME)
			u->any_dname = true;
	for (size_t i = 0; i < u->nown && !rc; i++)
		rc = owner_check_dname(u, u->own[i], err, errlen);
	if (rc) {
		zone_update_free(u);
		return rc;
	}
	u->z = version_from(u);
	if (!u->z) {
		zone_err(err, errlen, "out of memory");
		zone_update_free(u);
		return -ENOMEM;
	}
	u->fam->next_gen++;
	rc = update_apply(u, err, errlen);
	if (!rc)
		rc = zone_nsec_build(u->z, err, errlen); /* its chains */
	if (rc) {
		/* Only memory (or a set too large, found while writing) can
		 * fail here: base never saw any of it, but the family's
		 * writer state is half changed, so it takes no more. */
		u->fam->broken = true;   /* zone_free takes the slots back */
		if (rc == -ENOMEM)
			zone_err(err, errlen, "out of memory");
		if (rc == LV_ECOLLIDE)
			zone_err(err, errlen, "%s", lv_strerror(rc));
		zone_free(u->z);
		zone_update_free(u);
		return rc;
	}
	for (size_t i = 0; i < u->nown; i++) {
		const struct uowner *o = u->own[i];

		if (o->live_before && o->node &&
		    (znode_at(o->node, u->base->gen)->flags & ZNODE_DNAME))
			dn_before++;
		if (o->has & ZHAS_DNAME)
			dn_after++;
	}
	u->fam->dnames = u->fam->dnames + dn_after - dn_before;
	*out = u->z;
	zone_update_free(u);
	return 0;
}

int zone_update_expired(const struct zone *base, struct zone **out,
			char *err, size_t errlen)
{
	struct zone_update *u;
	int rc = zone_update_new(base, &u);

	*out = NULL;
	if (rc < 0) {
		snprintf(err, errlen, "%s", lv_strerror(rc));
		return rc;
	}
	rc = zone_update_finish(u, out, err, errlen);
	if (rc == 0)
		(*out)->serve |= ZONE_SERVE_EXPIRED;
	return rc;
}
