/* zone.c -- one zone in memory: the read-only lookups, and the index and
 * version bookkeeping the writers share.
 *
 * A zone version is made by zone_builder.c (zone_builder.h) or
 * zone_update.c (zone_update.h) and never changes once handed out; this
 * file reads it: the accessors, zone_find(), zone_closest_encloser() and
 * the node helpers znode_*(), plus the reference count and zone_free().
 * The layout all sides share is in internal.h.
 *
 * The read functions are safe from any thread and allocate nothing.
 * zone_find() is one hash probe sequence within one index page (the page
 * table, then the page); zone_closest_encloser() binary-searches the
 * suffix label counts, which works because every ancestor down to the
 * apex is a node. A probe that misses reads one cache line of 8-byte
 * slots (the tag rules out other names but once in 65,536); a hit reads
 * the node and its name, which follow each other in memory.
 *
 * The writer's side (index pages, the family's GONE nodes, versions on
 * the live list) is here too, used by the builder and the change code
 * only. Ownership: the versions of a zone share its family (arena, GONE
 * nodes, slots) and reference-count their index pages; zone_free()
 * releases one version, and the family with the last one, once no
 * reader can hold it (zdb.c counts references and frees after the RCU
 * grace period).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "zones/arena.h"
#include "zones/internal.h"
#include "common/name.h"
#include "zones/zone.h"

void zone_ref(struct zone *z)
{
	__atomic_fetch_add(&z->refs, 1, __ATOMIC_RELAXED);
}

void zone_unref(struct zone *z)
{
	if (z && __atomic_sub_fetch(&z->refs, 1, __ATOMIC_ACQ_REL) == 0)
		zone_free(z);
}

void zone_page_unref(struct zone_pref *p)
{
	if (p->pg && __atomic_sub_fetch(&p->pg->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		free(p->slot);
		free(p->pg);
	}
}

static void zone_family_free(struct zone_family *fam)
{
	for (size_t i = 0; i < fam->nslotted; i++) {
		const struct znode_slot *s = fam->slotted[i]->newer;

		while (s) {
			const struct znode_slot *o = s->older;

			free(s->mem);
			s = o;
		}
	}
	free(fam->slotted);
	free(fam->gone.slot);
	pthread_mutex_destroy(&fam->lock);
	arena_destroy(fam->arena);
	free(fam->hits);
	free(fam);
}

void zone_free(struct zone *z)
{
	struct zone_family *fam;
	bool last;

	if (!z)
		return;
	fam = z->fam;
	pthread_mutex_lock(&fam->lock);
	if (fam->live == z && z->live_next) {
		/* the newest goes first: nothing may read its slots again */
		for (size_t i = 0; i < z->ntouched; i++) {
			struct zone_node *n = z->touched[i];
			const struct znode_slot *s = n->newer;

			if (s && s->d.gen == z->gen) {
				__atomic_store_n(&n->newer, s->older,
						 __ATOMIC_RELEASE);
				free(s->mem);
			}
		}
		__atomic_store_n(&fam->broken, true, __ATOMIC_RELAXED);
	}
	if (z->live_prev)
		z->live_prev->live_next = z->live_next;
	else
		fam->live = z->live_next;
	if (z->live_next)
		z->live_next->live_prev = z->live_prev;
	last = fam->live == NULL;
	pthread_mutex_unlock(&fam->lock);
	if (z->pages)
		zone_pages_free(z->pages, (z->index_mask >> z->page_shift) + 1);
	free(z->touched);
	free(z->nsec);
	zone_nsec3_free(z->nsec3);
	free(z);
	if (last)
		zone_family_free(fam);
}

struct zone *zone_version_new(struct zone_family *fam, uint32_t gen)
{
	struct zone *z = calloc(1, sizeof(*z));

	if (!z)
		return NULL;
	z->fam = fam;
	z->gen = gen;
	z->refs = 1;
	pthread_mutex_lock(&fam->lock);
	/* an IXFR of a catalog stays hidden: as the newest version was */
	if (fam->live)
		z->serve = __atomic_load_n(&fam->live->serve,
					   __ATOMIC_RELAXED) & ZONE_SERVE_HIDDEN;
	z->live_next = fam->live;
	if (fam->live)
		fam->live->live_prev = z;
	fam->live = z;
	pthread_mutex_unlock(&fam->lock);
	return z;
}

uint32_t zone_gen(const struct zone *z)
{
	return z->gen;
}

const uint8_t *zone_apex(const struct zone *z)
{
	return z->apex->name;
}

const struct zone_node *zone_apex_node(const struct zone *z)
{
	return z->apex;
}

const struct rrset *zone_soa(const struct zone *z)
{
	return z->soa;
}

bool zone_expired(const struct zone *z)
{
	return __atomic_load_n(&z->serve, __ATOMIC_RELAXED) &
	       ZONE_SERVE_EXPIRED;
}

void zone_set_hidden(const struct zone *z, bool hidden)
{
	struct zone *w = (struct zone *)z;   /* main is the one writer */
	uint8_t now = __atomic_load_n(&w->serve, __ATOMIC_RELAXED);
	uint8_t want = (uint8_t)((now & ~ZONE_SERVE_HIDDEN) |
				 (hidden ? ZONE_SERVE_HIDDEN : 0));

	/* a reload marks every served version: most of them are
	 * published and unchanged, so nothing is written then */
	if (want != now)
		__atomic_store_n(&w->serve, want, __ATOMIC_RELAXED);
}

unsigned zone_serve_state(const struct zone *z)
{
	return __atomic_load_n(&z->serve, __ATOMIC_RELAXED);
}

void zone_set_expire_at(const struct zone *z, int64_t t)
{
	__atomic_store_n(&z->fam->expire_at, t, __ATOMIC_RELAXED);
}

uint32_t zone_expire_remaining(const struct zone *z, int64_t now)
{
	int64_t t = __atomic_load_n(&z->fam->expire_at, __ATOMIC_RELAXED);
	const struct rrset *soa = z->soa;
	size_t rl = (size_t)soa->wire[8] << 8 | soa->wire[9];
	const uint8_t *e = soa->wire + 10 + rl - 8;   /* EXPIRE, MINIMUM */

	if (!t)
		return (uint32_t)e[0] << 24 | (uint32_t)e[1] << 16 |
		       (uint32_t)e[2] << 8 | e[3];
	return t > now ? (uint32_t)(t - now > UINT32_MAX ? UINT32_MAX :
				    t - now) : 0;
}

uint32_t zone_serial(const struct zone *z)
{
	return z->serial;
}

size_t zone_node_count(const struct zone *z)
{
	return z->node_count;
}

size_t zone_record_count(const struct zone *z)
{
	return z->record_count;
}

static unsigned zone_hit_slots;   /* relaxed: set before any build */

void zone_hits_setup(unsigned slots)
{
	__atomic_store_n(&zone_hit_slots, slots, __ATOMIC_RELAXED);
}

void zone_family_hits_init(struct zone_family *fam)
{
	unsigned n = __atomic_load_n(&zone_hit_slots, __ATOMIC_RELAXED);

	if (!n)
		return;
	fam->hits = aligned_alloc(64, (size_t)n * sizeof(*fam->hits));
	if (!fam->hits)   /* no counters: the zone serves the same */
		return;
	memset(fam->hits, 0, (size_t)n * sizeof(*fam->hits));
	fam->nhits = n;
}

void zone_count(const struct zone *z, unsigned slot, enum zone_hit hit)
{
	const struct zone_family *fam = z->fam;
	uint64_t *c;

	if (slot >= fam->nhits)
		return;
	c = &fam->hits[slot].c[hit];
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
}

void zone_hits_sum(const struct zone *z, struct zone_hits *out)
{
	const struct zone_family *fam = z->fam;

	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < fam->nhits; i++)
		for (int j = 0; j < ZONE_HITS; j++)
			out->c[j] += __atomic_load_n(&fam->hits[i].c[j],
						     __ATOMIC_RELAXED);
}

size_t zone_memory_bytes(const struct zone *z)
{
	const struct zone_family *fam = z->fam;
	uint32_t npages = (z->index_mask >> z->page_shift) + 1;
	size_t b = sizeof(*z) + z->touched_cap * sizeof(*z->touched);

	if (z->pages) {
		b += npages * sizeof(*z->pages);
		b += (size_t)npages * ((size_t)(z->page_mask + 1) *
				       sizeof(uint64_t) +
				       sizeof(struct zone_page));
	}
	b += sizeof(*fam) + arena_size(fam->arena);
	if (fam->gone.slot)
		b += ((size_t)fam->gone.mask + 1) * sizeof(*fam->gone.slot);
	b += fam->slotted_cap * sizeof(*fam->slotted);
	b += (size_t)fam->nhits * sizeof(*fam->hits);
	return b;
}

const struct zone_node *zone_find(const struct zone *z, const uint8_t *lname,
				  size_t len)
{
	uint32_t h = name_hash(lname, len);
	uint64_t tag = zone_tag(h);
	uint32_t i = h & z->index_mask;
	const uint64_t *pg = z->pages[i >> z->page_shift].slot;
	uint32_t j = i & z->page_mask;
	uint64_t s;

	/* Slots are 8 bytes: a miss usually reads one cache line of them and
	 * no node; a tag match costs a false positive once in 65,536. */
	while ((s = pg[j]) != 0) {
		if ((s & ~ZONE_PTR_MASK) == tag) {
			const struct zone_node *n = (const struct zone_node *)
				(uintptr_t)(s & ZONE_PTR_MASK);

			if (n->name_len == len && n->name[0] == lname[0] &&
			    memcmp(n->name, lname, len) == 0)
				return n;
		}
		j = (j + 1) & z->page_mask;
	}
	return NULL;
}

/* --- the writer's side of the index --- */

int zone_page_new(uint32_t slots, struct zone_pref *p)
{
	p->slot = calloc(slots, sizeof(uint64_t));
	p->pg = calloc(1, sizeof(*p->pg));
	if (!p->slot || !p->pg) {
		free(p->slot);
		free(p->pg);
		p->slot = NULL;
		p->pg = NULL;
		return -ENOMEM;
	}
	p->pg->refs = 1;
	return 0;
}

void zone_index_put(struct zone *z, const struct zone_node *n, uint32_t h)
{
	uint32_t i = h & z->index_mask;
	struct zone_pref *p = &z->pages[i >> z->page_shift];
	uint64_t *pg = p->slot;
	uint32_t j = i & z->page_mask;

	while (pg[j])
		j = (j + 1) & z->page_mask;
	pg[j] = zone_tag(h) | (uint64_t)(uintptr_t)n;
	p->pg->used++;
}

int zone_index_own_page(struct zone *z, uint32_t k)
{
	struct zone_pref old = z->pages[k], nw;
	uint32_t slots = z->page_mask + 1;

	if (__atomic_load_n(&old.pg->refs, __ATOMIC_ACQUIRE) == 1)
		return 0;
	if (zone_page_new(slots, &nw))
		return -ENOMEM;
	memcpy(nw.slot, old.slot, slots * sizeof(uint64_t));
	nw.pg->used = old.pg->used;
	z->pages[k] = nw;
	zone_page_unref(&old);
	return 0;
}

void zone_index_del(struct zone *z, const struct zone_node *n)
{
	uint32_t pm = z->page_mask;
	uint32_t i = name_hash(n->name, n->name_len) & z->index_mask;
	struct zone_pref *p = &z->pages[i >> z->page_shift];
	uint64_t *pg = p->slot;
	uint32_t j = i & pm, k;

	while (pg[j] && (const struct zone_node *)(uintptr_t)
	       (pg[j] & ZONE_PTR_MASK) != n)
		j = (j + 1) & pm;
	if (!pg[j])
		return;
	pg[j] = 0;
	p->pg->used--;
	/* Backward shift: a later slot of the run moves up into the hole
	 * when its home position is not between the hole and itself. */
	for (k = (j + 1) & pm; pg[k]; k = (k + 1) & pm) {
		const struct zone_node *m = (const struct zone_node *)
			(uintptr_t)(pg[k] & ZONE_PTR_MASK);
		uint32_t home = name_hash(m->name, m->name_len) & pm;

		if (((k - home) & pm) >= ((k - j) & pm)) {
			pg[j] = pg[k];
			pg[k] = 0;
			j = k;
		}
	}
}

void zone_index_foreach(const struct zone *z,
			void (*fn)(const struct zone_node *n, void *arg),
			void *arg)
{
	for (uint32_t k = 0; k <= (z->index_mask >> z->page_shift); k++) {
		const uint64_t *pg = z->pages[k].slot;

		for (uint32_t j = 0; j <= z->page_mask; j++)
			if (pg[j])
				fn((const struct zone_node *)(uintptr_t)
				   (pg[j] & ZONE_PTR_MASK), arg);
	}
}

static void zone_index_copy_one(const struct zone_node *n, void *arg)
{
	zone_index_put(arg, n, name_hash(n->name, n->name_len));
}

void zone_pages_free(struct zone_pref *pages, uint32_t npages)
{
	for (uint32_t k = 0; pages && k < npages; k++)
		zone_page_unref(&pages[k]);
	free(pages);
}

struct zone_pref *zone_pages_new(uint32_t slots, uint32_t *pmask,
				 uint8_t *shift)
{
	uint32_t per = slots < (1u << ZONE_PAGE_BITS) ? slots :
		       (1u << ZONE_PAGE_BITS);
	uint32_t npages = slots / per;
	struct zone_pref *pages = calloc(npages, sizeof(*pages));

	if (!pages)
		return NULL;
	for (uint32_t k = 0; k < npages; k++) {
		if (zone_page_new(per, &pages[k])) {
			zone_pages_free(pages, k);
			return NULL;
		}
	}
	*pmask = per - 1;
	for (*shift = 0; (1u << *shift) < per; (*shift)++)
		;
	return pages;
}

int zone_index_grow(struct zone *z)
{
	struct zone old = *z;
	uint32_t slots = (z->index_mask + 1) * 2;

	z->pages = zone_pages_new(slots, &z->page_mask, &z->page_shift);
	if (!z->pages) {
		*z = old;
		return -ENOMEM;
	}
	z->index_mask = slots - 1;
	zone_index_foreach(&old, zone_index_copy_one, z);
	zone_pages_free(old.pages, (old.index_mask >> old.page_shift) + 1);
	return 0;
}

/* --- GONE nodes by name --- */

struct zone_node *zone_nodeset_find(const struct zone_nodeset *s,
				    const uint8_t *lname, size_t len)
{
	uint32_t i;

	if (!s->slot)
		return NULL;
	for (i = name_hash(lname, len) & s->mask; s->slot[i];
	     i = (i + 1) & s->mask) {
		const struct zone_node *n = s->slot[i];

		if (n->name_len == len && memcmp(n->name, lname, len) == 0)
			return (struct zone_node *)n;
	}
	return NULL;
}

static void zone_nodeset_put(const struct zone_node **slot, uint32_t mask,
			     const struct zone_node *n)
{
	uint32_t i = name_hash(n->name, n->name_len) & mask;

	while (slot[i])
		i = (i + 1) & mask;
	slot[i] = n;
}

int zone_nodeset_add(struct zone_nodeset *s, const struct zone_node *n)
{
	if (!s->slot || (s->count + 1) * 2 > (size_t)s->mask + 1) {
		uint32_t nmask = s->slot ? s->mask * 2 + 1 : 15;
		const struct zone_node **ns = calloc((size_t)nmask + 1,
						     sizeof(*ns));

		if (!ns)
			return -ENOMEM;
		for (uint32_t i = 0; s->slot && i <= s->mask; i++)
			if (s->slot[i])
				zone_nodeset_put(ns, nmask, s->slot[i]);
		free(s->slot);
		s->slot = ns;
		s->mask = nmask;
	}
	zone_nodeset_put(s->slot, s->mask, n);
	s->count++;
	return 0;
}

void zone_nodeset_remove(struct zone_nodeset *s, const struct zone_node *n)
{
	uint32_t m = s->mask, i, k;

	if (!s->slot)
		return;
	for (i = name_hash(n->name, n->name_len) & m; s->slot[i] != n;
	     i = (i + 1) & m)
		if (!s->slot[i])
			return;
	s->slot[i] = NULL;
	s->count--;
	for (k = (i + 1) & m; s->slot[k]; k = (k + 1) & m) {
		const struct zone_node *x = s->slot[k];
		uint32_t home = name_hash(x->name, x->name_len) & m;

		if (((k - home) & m) >= ((k - i) & m)) {
			s->slot[i] = x;
			s->slot[k] = NULL;
			i = k;
		}
	}
}

const struct zone_node *zone_closest_encloser_labels(const struct zone *z,
						     const uint8_t *lname,
						     const uint8_t *offs,
						     int labels)
{
	size_t total = (size_t)offs[labels] + 1;
	int lo = z->apex->label_count;
	int hi = labels < z->max_labels ? labels : z->max_labels;
	const struct zone_node *best = z->apex;

	/* Guard: a name that is not at or below the apex has no encloser. */
	if (labels < lo || total - offs[labels - lo] != z->apex->name_len ||
	    memcmp(lname + offs[labels - lo], z->apex->name,
		   z->apex->name_len) != 0)
		return NULL;
	/* Largest k in [lo, hi] whose k-label suffix is a node; the suffixes
	 * that are nodes form a prefix of that range. Galloping up from the
	 * apex first (lo + 1, + 2, + 4, ...), then halving the last step: the
	 * suffixes hashed stay about as long as the encloser's own name, not
	 * the query's (a 255-octet name under a shallow DNAME or wildcard
	 * costs a few short hashes). O(log depth) probes. */
	for (int step = 1; lo < hi; step *= 2) {
		int mid = lo + step < hi ? lo + step : hi;
		size_t off = offs[labels - mid];
		const struct zone_node *n = zone_find(z, lname + off,
						      total - off);

		if (!n) {
			hi = mid - 1;
			break;
		}
		lo = mid;
		best = n;
	}
	while (lo < hi) {
		int mid = (lo + hi + 1) / 2;
		size_t off = offs[labels - mid];
		const struct zone_node *n = zone_find(z, lname + off,
						      total - off);

		if (n) {
			lo = mid;
			best = n;
		} else {
			hi = mid - 1;
		}
	}
	return best;
}

const struct rrset *zdata_rrset(const struct znode_data *d, uint16_t type)
{
	for (uint16_t i = 0; i < d->rrset_count; i++) {
		if (d->rrsets[i].type == type)
			return &d->rrsets[i];
		if (d->rrsets[i].type > type)
			break;
	}
	return NULL;
}

const struct zone_node *znode_cut(const struct zone_node *n, uint32_t gen)
{
	if (!(znode_at(n, gen)->flags & (ZNODE_DELEGATION | ZNODE_NONAUTH)))
		return NULL;
	for (; n; n = n->parent) {
		uint16_t f = znode_at(n, gen)->flags;

		if ((f & ZNODE_DELEGATION) && !(f & ZNODE_NONAUTH))
			return n;
	}
	return NULL;
}

const struct zone_node *zone_closest_encloser(const struct zone *z,
					      const uint8_t *lname)
{
	uint8_t offs[NAME_MAX_LABELS + 1];
	int labels = zone_label_offsets(lname, offs);

	return zone_closest_encloser_labels(z, lname, offs, labels);
}

/* One walk of n's name (contiguous bytes), not of its ancestors (a cache
 * miss each). More labels may still be a shorter name: the lengths are
 * compared before the suffix is taken. */
bool zone_node_within(const struct zone_node *n, const struct zone_node *anc)
{
	size_t off, o = 0;

	if (n->label_count < anc->label_count || n->name_len < anc->name_len)
		return false;
	off = (size_t)n->name_len - anc->name_len;
	if (memcmp(n->name + off, anc->name, anc->name_len) != 0)
		return false;
	while (o < off)
		o += 1u + n->name[o];
	return o == off;
}
