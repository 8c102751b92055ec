/* render.c -- writing RRsets into a reply, with name compression.
 *
 * Records come from the zone in wire form (TYPE CLASS TTL RDLENGTH RDATA
 * after the owner), so a set of a type whose RDATA holds no compressible
 * name is an owner plus one memcpy per record. For the RFC 1035 types the
 * RDATA is re-emitted name by name, compressed, and RDLENGTH fixed up.
 *
 * Compression: comp[] holds the offsets of every label sequence written
 * literally so far (the qname at offset 12 first). To write a name we take
 * its suffixes longest first and look for an entry spelling the same labels
 * (ignoring case, following the pointers already in the packet); the first
 * hit ends the name with a pointer. Work per name: labels x entries label
 * compares, both bounded (128 labels, RENDER_COMP_MAX entries).
 */
#include <string.h>

#include "common/dns.h"
#include "server/render.h"
#include "server/wire.h"
#include "zones/zone.h"

static inline uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* True when the name at buf[off] (possibly compressed, written by us or
 * validated by wire.c) spells name, ignoring case. */
static bool match_at(const uint8_t *buf, size_t off, const uint8_t *name)
{
	for (unsigned hops = 0; hops < 256; hops++) {
		uint8_t l = buf[off];
		if ((l & 0xC0) == 0xC0) {
			off = ((size_t)(l & 0x3F) << 8) | buf[off + 1];
			continue;
		}
		if (l != name[0])
			return false;
		if (l == 0)
			return true;
		const uint8_t *a = buf + off + 1, *b = name + 1;
		for (unsigned i = 0; i < l; i++)
			if (lower(a[i]) != lower(b[i]))
				return false;
		off += 1 + (size_t)l;
		name += 1 + (size_t)l;
	}
	return false;
}

static void comp_add(struct render *r, size_t off)
{
	if (r->ncomp < RENDER_COMP_MAX && off < 0x4000)
		r->comp[r->ncomp++] = (uint16_t)off;
}

/* Remembers the labels of an uncompressed name written at off. */
static void comp_add_name(struct render *r, size_t off, const uint8_t *n,
			  size_t max)
{
	for (size_t o = 0; o < max && n[o] != 0 && !(n[o] & 0xC0);
	     o += 1 + (size_t)n[o])
		comp_add(r, off + o);
}

void render_init(struct render *r, uint8_t *buf, size_t qend, size_t limit)
{
	r->buf = buf;
	r->len = qend;
	r->limit = limit;
	r->count[0] = r->count[1] = r->count[2] = 0;
	r->ncomp = 0;
	if (qend > DNS_HDR_LEN) {
		size_t off = DNS_HDR_LEN;
		while (buf[off] != 0) {
			comp_add(r, off);
			off += 1 + (size_t)buf[off];
		}
	}
}

void render_truncate(struct render *r, size_t qend)
{
	r->len = qend;
	r->count[0] = r->count[1] = r->count[2] = 0;
}

int render_name(struct render *r, const uint8_t *name)
{
	const uint8_t *sfx = name;
	size_t ptr = 0;

	for (; *sfx; sfx += 1 + (size_t)*sfx) {
		for (unsigned i = 0; i < r->ncomp; i++) {
			size_t o = r->comp[i];
			if (r->buf[o] == sfx[0] && match_at(r->buf, o, sfx)) {
				ptr = o | 0xC000;
				goto found;
			}
		}
	}
found:;
	size_t lit = (size_t)(sfx - name);
	size_t need = lit + (ptr ? 2 : 1);
	if (r->len + need > r->limit)
		return -1;
	uint8_t *p = r->buf + r->len;
	memcpy(p, name, lit);
	for (size_t o = 0; o < lit; o += 1 + (size_t)name[o])
		comp_add(r, r->len + o);
	if (ptr)
		wire_write_u16(p + lit, (uint16_t)ptr);
	else
		p[lit] = 0;
	r->len += need;
	return 0;
}

/* Length of an uncompressed name within max bytes, or 0 when malformed. */
static size_t rdata_name_len(const uint8_t *n, size_t max)
{
	size_t o = 0;
	while (o < max) {
		uint8_t l = n[o];
		if (l == 0)
			return o + 1;
		if (l & 0xC0)
			return 0;
		o += 1 + (size_t)l;
	}
	return 0;
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

/* Writes one record's RDATA with compressed names; the RDLENGTH slot
 * (2 bytes) has just been reserved at r->len - 2. */
static int put_rdata_compressed(struct render *r, const uint8_t *rd,
				size_t rdlen, size_t first, unsigned names)
{
	size_t lenpos = r->len - 2, start = r->len, o = first;

	if (first > rdlen || r->len + first > r->limit)
		return -1;
	memcpy(r->buf + r->len, rd, first);
	r->len += first;
	for (unsigned i = 0; i < names; i++) {
		size_t nl = rdata_name_len(rd + o, rdlen - o);
		if (nl == 0)
			return -1;
		if (render_name(r, rd + o) < 0)
			return -1;
		o += nl;
	}
	size_t rest = rdlen - o;
	if (r->len + rest > r->limit)
		return -1;
	memcpy(r->buf + r->len, rd + o, rest);
	r->len += rest;
	wire_write_u16(r->buf + lenpos, (uint16_t)(r->len - start));
	return 0;
}

int render_rrset(struct render *r, enum render_section sec, const uint8_t *owner,
		 uint16_t owner_ptr, const struct rrset *s, uint32_t ttl)
{
	size_t save_len = r->len;
	unsigned save_ncomp = r->ncomp;
	size_t first;
	unsigned names = compress_layout(s->type, &first);
	const uint8_t *p = s->wire, *end = s->wire + s->wire_len;
	size_t owner_off = 0, owner_len = 0;

	for (unsigned i = 0; i < s->rr_count; i++) {
		if (end - p < 10)
			goto fail;
		size_t rdlen = wire_read_u16(p + 8);
		if ((size_t)(end - p) < 10 + rdlen)
			goto fail;
		/* owner: the first record's, then a pointer to it */
		if (i > 0 && (owner_len <= 2 || owner_off < 0x4000)) {
			size_t n = owner_len <= 2 ? owner_len : 2;
			if (r->len + n > r->limit)
				goto fail;
			if (owner_len <= 2)
				memmove(r->buf + r->len, r->buf + owner_off, n);
			else
				wire_write_u16(r->buf + r->len,
					       (uint16_t)(0xC000 | owner_off));
			r->len += n;
		} else if (owner_ptr) {
			if (r->len + 2 > r->limit)
				goto fail;
			owner_off = r->len;
			owner_len = 2;
			wire_write_u16(r->buf + r->len, (uint16_t)(0xC000 | owner_ptr));
			r->len += 2;
		} else {
			/* first record, or a TCP reply past 16 KiB */
			owner_off = r->len;
			if (render_name(r, owner) < 0)
				goto fail;
			owner_len = r->len - owner_off;
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
			/* Not compressed, but a target for later names (knotd
			 * points additional owners at SRV targets). */
			if (s->type == DNS_TYPE_SRV && rdlen > 6)
				comp_add_name(r, r->len + 16, p + 16, rdlen - 6);
			r->len += 10 + rdlen;
		} else {
			r->len += 10;
			if (put_rdata_compressed(r, p + 10, rdlen, first, names) < 0)
				goto fail;
		}
		p += 10 + rdlen;
	}
	r->count[sec] += s->rr_count;
	return 0;
fail:
	r->len = save_len;
	r->ncomp = save_ncomp;
	return -1;
}
