/* render.c -- writing RRsets into a reply, with name compression.
 *
 * Records come from the zone in wire form (TYPE CLASS TTL RDLENGTH RDATA
 * after the owner), so a set of a type whose RDATA holds no compressible
 * name is an owner plus one memcpy per record. For the RFC 1035 types the
 * RDATA is re-emitted name by name, compressed, and RDLENGTH fixed up.
 *
 * Compression table: entry e says "the name whose first label is at
 * buf[comp[e].off], followed by the name of entry comp[e].rest (0: the
 * root)". Each distinct name (ignoring case) has at most one entry, the
 * first place it was written literally, so the table is a trie of suffixes
 * whose keys are (label, id of the rest); chains of a 256-bucket hash find
 * a key. Looking a name up walks its labels from the root: with the suffix
 * found so far as `rest`, the next label to the left either has an entry
 * (the longer suffix was written before) or not, and then no longer suffix
 * can have one either. The longest suffix found is the one a search of
 * every name in the packet would find, and its entry is its first
 * spelling, so the pointers are those of the exhaustive search this
 * replaces (issue 11, finding 1), at a bounded cost per label.
 *
 * Entries are added only for names starting below 16 KiB; a name that
 * starts below and runs past it gets entries for all its labels (the left
 * ones need the ids of the right ones) and lookups point only at those
 * below DNS_PTR_LIMIT. When the table is full, the labels left of the last
 * one added are not remembered: later names compress less, never wrongly.
 * A failed RRset takes its entries back (they are the newest, each the head
 * of its chain).
 */
#include <string.h>

#include "common/dns.h"
#include "common/name.h"
#include "server/render.h"
#include "server/wire.h"
#include "zones/zone.h"

/* It lives on the reactor's stack, once per reply (render.h). */
_Static_assert(sizeof(struct render) <= 2048, "struct render above 2 KiB");

static inline uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

/* Hash of the label at l (length byte first) and rest, the same for labels
 * equal ignoring ASCII case: every byte is hashed with bit 0x20 set, which
 * folds A-Z onto a-z (and a few other bytes onto each other: only more
 * collisions, which the compare settles). Four bytes a step, the length
 * byte included; the last step takes the 1 to 4 bytes left. */
static inline uint16_t label_hash(const uint8_t *l, unsigned rest)
{
	unsigned end = 1u + l[0], i = 0;
	uint32_t h = 0x9E3779B9u * (rest + 1), w;

	for (; i + 4 < end; i += 4) {
		memcpy(&w, l + i, 4);
		h = (h ^ (w | 0x20202020u)) * 0x01000193u;
		h ^= h >> 15;
	}
	w = l[i];
	if (i + 1 < end)
		w |= (uint32_t)l[i + 1] << 8;
	if (i + 2 < end)
		w |= (uint32_t)l[i + 2] << 16;
	if (i + 3 < end)
		w |= (uint32_t)l[i + 3] << 24;
	h = (h ^ (w | 0x20202020u)) * 0x01000193u;
	h ^= h >> 13;
	return (uint16_t)(h ^ (h >> 16));
}

static inline bool label_equal(const uint8_t *a, const uint8_t *b)
{
	if (a[0] != b[0])
		return false;
	/* Labels of one zone mostly share their case: one compare of whole
	 * words first (at most 64 bytes, the length byte included). */
	if (memcmp(a, b, 1u + a[0]) == 0)
		return true;
	for (unsigned i = 1; i <= a[0]; i++)
		if (a[i] != b[i] && lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

/* Inlined into comp_walk(), itself inlined into its two callers: a call
 * per label costs as much as the lookup. */
#define RENDER_INLINE static inline __attribute__((always_inline))

/* The entry for label l followed by suffix rest, or 0. At most
 * RENDER_COMP_PROBES entries compared. */
RENDER_INLINE unsigned comp_find(const struct render *r, const uint8_t *l,
				 unsigned rest, uint16_t h)
{
	unsigned e = r->head[h & (RENDER_COMP_BUCKETS - 1)];

	for (unsigned n = 0; e && n < RENDER_COMP_PROBES; n++) {
		const struct render_comp *c = &r->comp[e];
		if (c->hash == h && c->rest == rest && label_equal(r->buf + c->off, l))
			return e;
		e = c->next;
	}
	return 0;
}

/* Remembers the label at buf[off] followed by suffix rest (not yet
 * remembered), whose label_hash() is h. Returns its id, or 0 when the table
 * is full. */
static unsigned comp_add(struct render *r, size_t off, unsigned rest,
			 uint16_t h)
{
	if (r->ncomp == RENDER_COMP_MAX)
		return 0;
	unsigned e = ++r->ncomp, b = h & (RENDER_COMP_BUCKETS - 1);
	r->comp[e] = (struct render_comp){ .off = (uint16_t)off, .hash = h,
		.rest = (uint8_t)rest, .next = r->head[b] };
	r->head[b] = (uint8_t)e;
	return e;
}

/* Forgets the entries added after the first n. */
static void comp_rollback(struct render *r, unsigned n)
{
	while (r->ncomp > n) {
		const struct render_comp *c = &r->comp[r->ncomp];
		r->head[c->hash & (RENDER_COMP_BUCKETS - 1)] = c->next;
		r->ncomp--;
	}
}

/* Offsets of the labels of the literal name at n, at most max bytes, into
 * at[]; returns their number and sets *len to the name's length without
 * the root, or returns -1 when it is not a literal name of at most
 * NAME_MAX_LEN bytes within max. */
static int name_labels(const uint8_t *n, size_t max, uint8_t at[NAME_MAX_LABELS],
		       size_t *len)
{
	size_t lim = max < NAME_MAX_LEN ? max : NAME_MAX_LEN, o = 0;
	int k = 0;

	/* Every label takes at least 2 bytes below lim (<= 255): k stays
	 * below NAME_MAX_LABELS without a check of its own. */
	while (o < lim) {
		uint8_t l = n[o];
		if (l == 0) {
			*len = o;
			return k;
		}
		if (l > DNS_LABEL_MAX)
			return -1;
		at[k++] = (uint8_t)o;
		o += 1 + (size_t)l;
	}
	return -1;
}

/* How far the suffixes of a name are remembered: the name's labels are at
 * name + at[0..n-1]; the walk goes from the root towards the first label
 * and stops at the first one not found. */
struct comp_walk {
	int stop;        /* the first label remembered or looked up: names
			    deeper than RENDER_COMP_DEPTH labels are
			    compressed in their last RENDER_COMP_DEPTH only */
	int miss;        /* index of that label, -1: every suffix was found */
	unsigned id;     /* the entry of the suffix after it (0: the root) */
	uint16_t h;      /* label_hash() of it with id (when miss >= 0) */
	unsigned best;   /* the longest suffix found below DNS_PTR_LIMIT, */
	int lit;         /* which starts at label lit (0 and n: none found) */
};

RENDER_INLINE void comp_walk(const struct render *r, const uint8_t *name,
			     const uint8_t *at, int n, struct comp_walk *w)
{
	unsigned id = 0;
	int k = n - 1;

	w->stop = n > RENDER_COMP_DEPTH ? n - RENDER_COMP_DEPTH : 0;
	w->best = 0;
	w->lit = n;
	w->h = 0;
	/* The qname's suffixes are entries 1..nqname (id j: its last j
	 * labels), so most names of a zone find their apex by compares alone:
	 * the hashed lookup below would find the same entries. */
	for (; k >= w->stop && id < r->nqname &&
	       label_equal(name + at[k], r->buf + r->comp[id + 1].off); k--) {
		w->best = ++id;
		w->lit = k;
	}
	for (; k >= w->stop; k--) {
		const uint8_t *l = name + at[k];
		uint16_t h = label_hash(l, id);
		unsigned e = comp_find(r, l, id, h);
		if (!e) {
			w->h = h;
			break;
		}
		id = e;
		if (r->comp[id].off < DNS_PTR_LIMIT) {
			w->best = id;
			w->lit = k;
		}
	}
	w->miss = k;
	w->id = id;
}

/* Adds the labels miss..0 of the literal name written at buf[off] (label
 * offsets at[]), right to left, after a walk that found the rest: each
 * one's rest is then known, and none is remembered yet (their suffixes
 * were not found). Stops when the table is full. */
static void comp_add_labels(struct render *r, size_t off, const uint8_t *at,
			    const struct comp_walk *w)
{
	unsigned rest = w->id;
	uint16_t h = w->h;

	for (int k = w->miss; k >= w->stop; k--) {
		if (!(rest = comp_add(r, off + at[k], rest, h)))
			return;
		if (k > w->stop)
			h = label_hash(r->buf + off + at[k - 1], rest);
	}
}

/* Remembers the literal name written at buf[off] (max bytes at most),
 * when it starts below 16 KiB: its suffixes already remembered are found,
 * the others added. */
static void comp_note_name(struct render *r, size_t off, size_t max)
{
	uint8_t at[NAME_MAX_LABELS];
	struct comp_walk w;
	size_t len;
	int n = name_labels(r->buf + off, max, at, &len);

	if (n < 0 || off >= DNS_PTR_LIMIT)
		return;
	comp_walk(r, r->buf + off, at, n, &w);
	comp_add_labels(r, off, at, &w);
}

/* Fills the table with the qname, once per reply (or after a truncation). */
static void comp_prepare(struct render *r)
{
	if (r->comp_ready)
		return;
	r->comp_ready = true;
	r->ncomp = 0;
	r->nqname = 0;
	memset(r->head, 0, sizeof(r->head));
	if (r->qend <= DNS_HDR_LEN)
		return;
	/* The qname's suffixes, shortest first, in no hash chain: comp_walk()
	 * finds them by their ids alone, and a hashed lookup never looks for
	 * one (it starts where the qname's labels stop matching). */
	uint8_t own[NAME_MAX_LABELS];
	const uint8_t *at = own;
	size_t len;
	int n;
	if (r->qoffs) {
		at = r->qoffs;
		n = (int)r->qlabels;
	} else {
		n = name_labels(r->buf + DNS_HDR_LEN, r->qend - DNS_HDR_LEN,
				own, &len);
	}
	int stop = n > RENDER_COMP_DEPTH ? n - RENDER_COMP_DEPTH : 0;
	for (int k = n - 1; k >= stop; k--) {
		unsigned e = ++r->ncomp;
		r->comp[e] = (struct render_comp){ .off = (uint16_t)(DNS_HDR_LEN + at[k]),
			.rest = (uint8_t)(e - 1) };
	}
	r->nqname = r->ncomp;
}

void render_hint(struct render *r, const struct zone_node *n, size_t off)
{
	if (n && off && off < DNS_PTR_LIMIT && r->nhints < RENDER_HINTS) {
		r->hint_node[r->nhints] = n;
		r->hint_off[r->nhints++] = (uint16_t)off;
	}
}

/* Where node n's name is spelled: a hint, or the question when n is the
 * qname's node (render_qname_node) or one of its ancestors; 0 when
 * neither. At most RENDER_HINTS compares and one walk up the qname's
 * node's ancestors (its labels at most). Never for the root. */
static uint16_t hint_find(const struct render *r, const struct zone_node *n)
{
	/* the root is its one zero byte: a pointer to it is a byte longer */
	if (n->label_count == 0)
		return 0;
	for (unsigned i = 0; i < r->nhints; i++)
		if (r->hint_node[i] == n)
			return r->hint_off[i];
	if (r->qnode && r->qoffs)
		for (const struct zone_node *p = r->qnode;
		     p && p->label_count >= n->label_count; p = p->parent)
			if (p == n && n->label_count <= r->qlabels)
				return (uint16_t)(DNS_HDR_LEN +
					r->qoffs[r->qlabels - n->label_count]);
	return 0;
}

void render_init(struct render *r, uint8_t *buf, size_t qend, size_t limit)
{
	r->buf = buf;
	r->len = qend;
	r->limit = limit;
	r->qend = qend;
	r->count[0] = r->count[1] = r->count[2] = 0;
	r->comp_ready = false;
	r->ncomp = 0;
	r->nqname = 0;
	r->nhints = 0;
	r->owner_node = NULL;
	r->qoffs = NULL;
	r->qlabels = 0;
	r->qnode = NULL;
}

void render_truncate(struct render *r, size_t qend)
{
	r->len = qend;
	r->qend = qend;
	r->count[0] = r->count[1] = r->count[2] = 0;
	r->comp_ready = false;
	r->nhints = 0;
}

/* render_name() of a name within max bytes; *len is set to its length
 * without the root. */
static int put_name(struct render *r, const uint8_t *name, size_t max,
		    size_t *len)
{
	uint8_t at[NAME_MAX_LABELS];
	struct comp_walk w;
	int n = name_labels(name, max, at, len);

	if (n < 0)
		return -1;
	comp_prepare(r);
	comp_walk(r, name, at, n, &w);

	/* labels 0..lit-1 literal, then a pointer to best (or the root) */
	size_t litlen = w.lit == n ? *len : at[w.lit];
	size_t need = litlen + (w.best ? 2 : 1);
	if (r->len + need > r->limit)
		return -1;
	uint8_t *p = r->buf + r->len;
	memcpy(p, name, litlen);
	if (w.best)
		wire_write_u16(p + litlen, (uint16_t)((DNS_PTR_BITS << 8) |
						      r->comp[w.best].off));
	else
		p[litlen] = 0;
	/* Past 16 KiB nothing is added. Only the name that runs across 16 KiB
	 * adds entries at or past it, and no name after it starts below, so
	 * the longest suffix found lies past 16 KiB (miss < lit - 1) only
	 * when there is nothing to add. */
	if (r->len < DNS_PTR_LIMIT && w.miss == w.lit - 1)
		comp_add_labels(r, r->len, at, &w);
	r->len += need;
	return 0;
}

int render_cname_prefixed(struct render *r, enum render_section sec,
			  uint16_t owner_ptr, uint32_t ttl,
			  const uint8_t *prefix, size_t plen,
			  uint16_t target_ptr)
{
	size_t need = 2 + 10 + plen + 2;

	if (!owner_ptr || owner_ptr >= DNS_PTR_LIMIT || !target_ptr ||
	    target_ptr >= DNS_PTR_LIMIT || plen + 2 > 0xffff)
		return -1;
	if (r->len + need > r->limit)
		return -1;
	uint8_t *p = r->buf + r->len;
	wire_write_u16(p, (uint16_t)((DNS_PTR_BITS << 8) | owner_ptr));
	wire_write_u16(p + 2, DNS_TYPE_CNAME);
	wire_write_u16(p + 4, DNS_CLASS_IN);
	wire_write_u32(p + 6, ttl);
	wire_write_u16(p + 10, (uint16_t)(plen + 2));
	memcpy(p + 12, prefix, plen);
	wire_write_u16(p + 12 + plen, (uint16_t)((DNS_PTR_BITS << 8) | target_ptr));
	r->rdata_name = r->len + 12 < DNS_PTR_LIMIT ? (uint16_t)(r->len + 12) : 0;
	r->len += need;
	r->count[sec]++;
	return 0;
}

int render_name(struct render *r, const uint8_t *name)
{
	size_t len;

	return put_name(r, name, NAME_MAX_LEN, &len);
}

/* How many names lead the RDATA of type t and at which offset the first
 * starts; 0 names for types never compressed. */
static unsigned compress_layout(uint16_t t, size_t *first)
{
	*first = 0;
	switch (t) {
	case DNS_TYPE_NS: case DNS_TYPE_MD: case DNS_TYPE_MF:
	case DNS_TYPE_CNAME: case DNS_TYPE_MB: case DNS_TYPE_MG:
	case DNS_TYPE_MR: case DNS_TYPE_PTR:
		return 1;
	case DNS_TYPE_SOA: case DNS_TYPE_MINFO:
		return 2;
	case DNS_TYPE_MX:
		*first = 2;
		return 1;
	default:
		return 0;
	}
}

/* SRV (RFC 2782): priority, weight, port, then the target, which is never
 * compressed but is a target for later names (knotd points additional
 * owners at it). */
#define SRV_TARGET_AT 6

uint16_t render_target_of(const struct render *r, size_t off)
{
	if ((r->buf[off] & DNS_PTR_BITS) == DNS_PTR_BITS)
		off = ((size_t)(r->buf[off] & ~DNS_PTR_BITS) << 8) |
		      r->buf[off + 1];
	return off < DNS_PTR_LIMIT ? (uint16_t)off : 0;
}

/* Writes one record's RDATA with compressed names; the RDLENGTH slot
 * (2 bytes) has just been reserved at r->len - 2. */
/* The first RDATA name of a record whose node the zone resolved (rrset
 * targets): a pointer where the node is noted, its first label and a pointer
 * where its parent is; -1: neither (the caller compresses). Sets *len as
 * put_name() does. O(its first label + the hints). */
static int put_name_node(struct render *r, const uint8_t *name, size_t max,
			 const struct zone_node *node, size_t *len)
{
	uint16_t at = hint_find(r, node);
	size_t lit = 0;

	if (!at && node->parent && (at = hint_find(r, node->parent)))
		lit = 1u + (size_t)name[0];
	if (!at || node->name_len > max + 1 || lit > max)
		return -1;
	if (r->len + lit + 2 > r->limit)
		return -2;
	memcpy(r->buf + r->len, name, lit);
	wire_write_u16(r->buf + r->len + lit,
		       (uint16_t)((DNS_PTR_BITS << 8) | at));
	r->len += lit + 2;
	*len = (size_t)node->name_len - 1;
	return 0;
}

static int put_rdata_compressed(struct render *r, const uint8_t *rd,
				size_t rdlen, size_t first, unsigned names,
				const struct zone_node *node)
{
	size_t lenpos = r->len - 2, start = r->len, o = first;

	if (first > rdlen || r->len + first > r->limit)
		return -1;
	if (first == 2) {          /* MX: the preference */
		r->buf[r->len] = rd[0];
		r->buf[r->len + 1] = rd[1];
	} else if (first) {
		memcpy(r->buf + r->len, rd, first);
	}
	r->len += first;
	for (unsigned i = 0; i < names; i++) {
		size_t nl, at = r->len;
		int rc = i == 0 && node ?
			 put_name_node(r, rd + o, rdlen - o, node, &nl) : -1;
		if (rc == -2)
			return -1;
		if (rc < 0 && put_name(r, rd + o, rdlen - o, &nl) < 0)
			return -1;
		if (i == 0)
			r->rdata_name = render_target_of(r, at);
		o += nl + 1;
	}
	size_t rest = rdlen - o;
	if (r->len + rest > r->limit)
		return -1;
	if (rest) {
		memcpy(r->buf + r->len, rd + o, rest);
		r->len += rest;
	}
	wire_write_u16(r->buf + lenpos, (uint16_t)(r->len - start));
	return 0;
}

/* The owner of record i of a set: the first is owner_ptr or owner
 * compressed; the others point at the first (2 bytes), or copy it when it
 * is 2 bytes or less (a pointer, the root) or starts past 16 KiB (then it
 * is literal labels and a pointer that reaches back, valid anywhere after:
 * the same bytes a new lookup would give, since nothing past 16 KiB is
 * remembered). */
static int put_owner(struct render *r, unsigned i, const uint8_t *owner,
		     uint16_t owner_ptr, size_t *owner_off, size_t *owner_len)
{
	if (i == 0) {
		*owner_off = r->len;
		if (owner_ptr) {
			if (r->len + 2 > r->limit)
				return -1;
			wire_write_u16(r->buf + r->len,
				       (uint16_t)((DNS_PTR_BITS << 8) | owner_ptr));
			r->len += 2;
		} else if (render_name(r, owner) < 0) {
			return -1;
		}
		*owner_len = r->len - *owner_off;
		return 0;
	}
	if (*owner_len > 2 && *owner_off < DNS_PTR_LIMIT) {
		if (r->len + 2 > r->limit)
			return -1;
		wire_write_u16(r->buf + r->len,
			       (uint16_t)((DNS_PTR_BITS << 8) | *owner_off));
		r->len += 2;
		return 0;
	}
	if (r->len + *owner_len > r->limit)
		return -1;
	if (*owner_len == 2) {     /* a pointer (or a 1-label name) */
		r->buf[r->len] = r->buf[*owner_off];
		r->buf[r->len + 1] = r->buf[*owner_off + 1];
	} else {
		memcpy(r->buf + r->len, r->buf + *owner_off, *owner_len);
	}
	r->len += *owner_len;
	return 0;
}

/* render_rrset() of a set with no name to compress (A, AAAA, TXT, ...)
 * whose owner is the pointer owner_ptr: each record is that pointer and
 * one copy of its wire form. Nothing is remembered, nothing to roll back
 * but the length. */
static int render_plain(struct render *r, enum render_section sec,
			uint16_t owner_ptr, const struct rrset *s,
			uint32_t ttl)
{
	const uint8_t *p = s->wire, *end = s->wire + s->wire_len;
	size_t save_len = r->len;
	uint16_t ptr = (uint16_t)((DNS_PTR_BITS << 8) | owner_ptr);

	r->rdata_name = 0;
	r->owner_node = NULL;      /* a pointer owner: spelled already */
	for (unsigned i = 0; i < s->rr_count; i++) {
		if (end - p < 10)
			goto fail;
		size_t n = 10 + wire_read_u16(p + 8);
		if ((size_t)(end - p) < n || r->len + 2 + n > r->limit)
			goto fail;
		uint8_t *o = r->buf + r->len;
		wire_write_u16(o, ptr);
		memcpy(o + 2, p, n);
		if (ttl != RENDER_TTL_KEEP)
			wire_write_u32(o + 6, ttl);
		r->len += 2 + n;
		p += n;
	}
	r->count[sec] += s->rr_count;
	return 0;
fail:
	r->len = save_len;
	return -1;
}

int render_rrset(struct render *r, enum render_section sec, const uint8_t *owner,
		 uint16_t owner_ptr, const struct rrset *s, uint32_t ttl)
{
	size_t first;
	unsigned names = compress_layout(s->type, &first);
	const uint8_t *p = s->wire, *end = s->wire + s->wire_len;
	size_t owner_off = 0, owner_len = 0;

	if (owner_ptr >= DNS_PTR_LIMIT)
		owner_ptr = 0;          /* cannot be reached: compress owner */
	if (owner_ptr && owner && r->buf[owner_ptr] == 0)
		owner_ptr = 0;          /* the root: 1 byte, not a pointer */
	/* An owner node the reply spells already (the question holds the
	 * cut or apex of a deep qname) is a pointer there, at any depth. */
	if (!owner_ptr && r->owner_node &&
	    (owner_ptr = hint_find(r, r->owner_node)) != 0)
		r->owner_node = NULL;
	if (!owner_ptr && !owner)
		return -1;
	/* A set that cannot fit whatever the compression (rrset min_len,
	 * computed when the zone was built) is refused before any work: a
	 * reply that ends in TC costs no more than what fitted. */
	if (r->len + s->min_len > r->limit)
		return -1;
	if (owner_ptr && !names && s->type != DNS_TYPE_SRV)
		return render_plain(r, sec, owner_ptr, s, ttl);
	if (!owner_ptr || names || s->type == DNS_TYPE_SRV)
		comp_prepare(r);        /* before the save: never rolled back */
	size_t save_len = r->len;
	unsigned save_ncomp = r->ncomp, save_nhints = r->nhints;

	r->rdata_name = 0;
	for (unsigned i = 0; i < s->rr_count; i++) {
		if (end - p < 10)
			goto fail;
		size_t rdlen = wire_read_u16(p + 8);
		if ((size_t)(end - p) < 10 + rdlen)
			goto fail;
		if (put_owner(r, i, owner, owner_ptr, &owner_off, &owner_len) < 0)
			goto fail;
		if (i == 0 && r->owner_node) {
			render_hint(r, r->owner_node,
				    render_target_of(r, owner_off));
			r->owner_node = NULL;
		}
		/* fixed part and RDATA */
		if (names == 0) {
			if (r->len + 10 + rdlen > r->limit)
				goto fail;
			memcpy(r->buf + r->len, p, 10 + rdlen);
		} else {
			if (r->len + 10 > r->limit)
				goto fail;
			memcpy(r->buf + r->len, p, 8);
		}
		if (ttl != RENDER_TTL_KEEP)
			wire_write_u32(r->buf + r->len + 4, ttl);
		if (names == 0) {
			if (s->type == DNS_TYPE_SRV && rdlen > SRV_TARGET_AT)
				comp_note_name(r, r->len + 10 + SRV_TARGET_AT,
					       rdlen - SRV_TARGET_AT);
			r->len += 10 + rdlen;
		} else {
			r->len += 10;
			if (put_rdata_compressed(r, p + 10, rdlen, first, names,
						 s->targets ? s->targets[i] : NULL) < 0)
				goto fail;
		}
		p += 10 + rdlen;
	}
	r->count[sec] += s->rr_count;
	return 0;
fail:
	r->len = save_len;
	r->nhints = save_nhints;
	r->owner_node = NULL;
	comp_rollback(r, save_ncomp);
	return -1;
}
