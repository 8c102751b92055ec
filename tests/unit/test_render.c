/* test_render.c -- unit tests of server/render.c: RRsets and compression.
 *
 * Replies are built straight through render_init()/render_rrset() from
 * RRsets made by hand in the zone's wire form, then read back by a strict
 * checker of our own (check_reply): every compression pointer must go
 * backwards, below 16 KiB, to the start of a label written literally
 * earlier in the reply (so it spells the labels of a name already there),
 * RDATA names must fill their RDLENGTH exactly, SRV targets must stay
 * literal, and every name is decoded (case kept) for the assertions.
 *
 * The compressor is also compared byte for byte with the exhaustive search
 * it replaced (ref_*, the pre-issue-11 algorithm with an unbounded table):
 * for each suffix of a name, longest first, the first remembered offset
 * that spells it ignoring case. Thousands of random replies, and the large
 * ones past 16 KiB, must come out identical while the table has room.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dns.h"
#include "common/name.h"
#include "server/render.h"
#include "server/wire.h"
#include "zones/zone.h"
#include "unit.h"

#define BUF_MAX 65535

static uint8_t buf[BUF_MAX], refbuf[BUF_MAX];

/* --- building blocks --- */

/* Text ("www.Example.com", no escapes, "." for the root) to wire, case as
 * given; returns the length. */
static size_t W(const char *text, uint8_t *out)
{
	size_t o = 0;
	const char *p = text;

	while (*p && strcmp(p, ".") != 0) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		out[o++] = (uint8_t)len;
		memcpy(out + o, p, len);
		o += len;
		p += len + (dot ? 1 : 0);
	}
	out[o++] = 0;
	return o;
}

/* A header and the question for qname into b; returns the question end. */
static size_t question(uint8_t *b, const char *qname)
{
	memset(b, 0, DNS_HDR_LEN);
	wire_write_u16(b + DNS_HDR_QDCOUNT, 1);
	size_t o = DNS_HDR_LEN + W(qname, b + DNS_HDR_LEN);
	wire_write_u16(b + o, DNS_TYPE_A);
	wire_write_u16(b + o + 2, DNS_CLASS_IN);
	return o + 4;
}

/* An RRset under construction: records in wire form after the owner. */
struct set {
	struct rrset s;
	uint8_t wire[60000];
};

static void set_start(struct set *x, uint16_t type)
{
	memset(&x->s, 0, sizeof(x->s));
	x->s.type = type;
	x->s.ttl = 3600;
	x->s.wire = x->wire;
}

/* Appends a record whose RDATA is fixed bytes, then the names (text),
 * then tail bytes (any of them may be empty). */
static void set_add(struct set *x, const void *fixed, size_t nfixed,
		    const char *const *names, const void *tail, size_t ntail)
{
	uint8_t *p = x->wire + x->s.wire_len;
	size_t rd = 0;

	wire_write_u16(p, x->s.type);
	wire_write_u16(p + 2, DNS_CLASS_IN);
	wire_write_u32(p + 4, x->s.ttl);
	if (nfixed)
		memcpy(p + 10, fixed, nfixed);
	rd = nfixed;
	for (; names && *names; names++)
		rd += W(*names, p + 10 + rd);
	if (ntail)
		memcpy(p + 10 + rd, tail, ntail);
	rd += ntail;
	wire_write_u16(p + 8, (uint16_t)rd);
	x->s.wire_len += (uint32_t)(10 + rd);
	x->s.rr_count++;
}

static void set_name(struct set *x, const char *name)
{
	const char *n[2] = { name, NULL };
	set_add(x, NULL, 0, n, NULL, 0);
}

static void set_a(struct set *x, uint8_t last)
{
	uint8_t a[4] = { 192, 0, 2, last };
	set_add(x, a, 4, NULL, NULL, 0);
}

static void set_mx(struct set *x, uint16_t pref, const char *name)
{
	uint8_t f[2];
	const char *n[2] = { name, NULL };
	wire_write_u16(f, pref);
	set_add(x, f, 2, n, NULL, 0);
}

static void set_srv(struct set *x, uint16_t port, const char *target)
{
	uint8_t f[6] = { 0, 10, 0, 5 };
	const char *n[2] = { target, NULL };
	wire_write_u16(f + 4, port);
	set_add(x, f, 6, n, NULL, 0);
}

static void set_soa(struct set *x, const char *mname, const char *rname)
{
	uint8_t t[20] = { 0, 0, 0, 1 };
	const char *n[3] = { mname, rname, NULL };
	set_add(x, NULL, 0, n, t, sizeof(t));
}

/* --- the checker --- */

#define CHECK_RR_MAX 2048
#define TEXT_MAX 1024

struct decoded {
	unsigned n;                  /* records read */
	uint16_t type[CHECK_RR_MAX];
	char text[CHECK_RR_MAX][TEXT_MAX]; /* "owner TYPE name name" */
};

static struct decoded dec;
static bool label_start[BUF_MAX];
static int check_fail_line;

static bool expect_fail(int line)
{
	if (!check_fail_line)
		check_fail_line = line;
	return false;
}

#define EXPECT(x) do { if (!(x)) return expect_fail(__LINE__); } while (0)

/* Reads the name at b[*off] into text (case kept, "a.b." form); pointers
 * must go back to a label start recorded before. */
static bool read_name(const uint8_t *b, size_t len, size_t *off, char *text,
		      bool literal_only)
{
	size_t p = *off, tl = 0, total = 0;
	bool jumped = false;
	size_t limit = *off;   /* a pointer must point below this */

	text[0] = 0;
	for (unsigned hops = 0;; hops++) {
		EXPECT(p < len && hops < 256);
		uint8_t l = b[p];
		if ((l & DNS_PTR_BITS) == DNS_PTR_BITS) {
			EXPECT(!literal_only);
			EXPECT(p + 1 < len);
			size_t t = ((size_t)(l & 0x3F) << 8) | b[p + 1];
			EXPECT(t < limit && t < DNS_PTR_LIMIT);
			EXPECT(label_start[t]);
			if (!jumped)
				*off = p + 2;
			jumped = true;
			limit = t;
			p = t;
			continue;
		}
		EXPECT(l <= DNS_LABEL_MAX);
		if (!jumped)
			label_start[p] = true;  /* the root too: it spells "." */
		total += 1 + (size_t)l;
		EXPECT(total <= NAME_MAX_LEN);
		if (l == 0) {
			if (!jumped)
				*off = p + 1;
			break;
		}
		EXPECT(p + 1 + l <= len);
		memcpy(text + tl, b + p + 1, l);
		tl += l;
		text[tl++] = '.';
		text[tl] = 0;
		p += 1 + (size_t)l;
	}
	if (tl == 0)
		strcpy(text, ".");
	return true;
}

static const char *type_text(uint16_t t)
{
	switch (t) {
	case DNS_TYPE_A: return "A";
	case DNS_TYPE_NS: return "NS";
	case DNS_TYPE_CNAME: return "CNAME";
	case DNS_TYPE_SOA: return "SOA";
	case DNS_TYPE_PTR: return "PTR";
	case DNS_TYPE_MINFO: return "MINFO";
	case DNS_TYPE_MX: return "MX";
	case DNS_TYPE_TXT: return "TXT";
	case DNS_TYPE_SRV: return "SRV";
	default: return "OTHER";
	}
}

/* Reads the whole reply b[0..len) (header counts from counts[]); fills dec. */
static bool check_reply_(const uint8_t *b, size_t len, const uint16_t counts[3])
{
	size_t off = DNS_HDR_LEN;
	char name[300];

	memset(label_start, 0, len);
	dec.n = 0;
	EXPECT(read_name(b, len, &off, name, true));
	off += 4;
	unsigned total = counts[0] + counts[1] + counts[2];
	for (unsigned i = 0; i < total; i++) {
		EXPECT(dec.n < CHECK_RR_MAX);
		char *t = dec.text[dec.n];
		EXPECT(read_name(b, len, &off, name, false));
		EXPECT(off + 10 <= len);
		uint16_t type = wire_read_u16(b + off);
		size_t rdlen = wire_read_u16(b + off + 8);
		off += 10;
		EXPECT(off + rdlen <= len);
		size_t end = off + rdlen, o = off, fixed = 0, tail = 0;
		unsigned names = 0;
		bool literal = false;
		switch (type) {
		case DNS_TYPE_NS: case DNS_TYPE_CNAME: case DNS_TYPE_PTR:
			names = 1; break;
		case DNS_TYPE_SOA: names = 2; tail = 20; break;
		case DNS_TYPE_MINFO: names = 2; break;
		case DNS_TYPE_MX: fixed = 2; names = 1; break;
		case DNS_TYPE_SRV: fixed = 6; names = 1; literal = true; break;
		default: break;
		}
		snprintf(t, TEXT_MAX, "%s %s", name, type_text(type));
		o += fixed;
		for (unsigned k = 0; k < names; k++) {
			EXPECT(o < end);
			EXPECT(read_name(b, end, &o, name, literal));
			size_t tl = strlen(t);
			snprintf(t + tl, TEXT_MAX - tl, " %s", name);
		}
		if (names)
			EXPECT(o + tail == end);
		dec.type[dec.n++] = type;
		off = end;
	}
	EXPECT(off == len);
	return true;
}

static bool check_reply(const struct render *r)
{
	check_fail_line = 0;
	bool ok = check_reply_(r->buf, r->len, r->count);
	if (!ok)
		fprintf(stderr, "check_reply: failed at line %d\n", check_fail_line);
	return ok;
}

/* --- the reference: the exhaustive search the table replaced --- */

struct ref {
	uint8_t *buf;
	size_t len, limit;
	uint16_t count[3];
	unsigned ncomp;
	uint16_t comp[BUF_MAX];
};

static struct ref ref;

static uint8_t lc(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static bool ref_match_at(const uint8_t *b, size_t off, const uint8_t *name)
{
	for (unsigned hops = 0; hops < 256; hops++) {
		uint8_t l = b[off];
		if ((l & 0xC0) == 0xC0) {
			off = ((size_t)(l & 0x3F) << 8) | b[off + 1];
			continue;
		}
		if (l != name[0])
			return false;
		if (l == 0)
			return true;
		for (unsigned i = 1; i <= l; i++)
			if (lc(b[off + i]) != lc(name[i]))
				return false;
		off += 1 + (size_t)l;
		name += 1 + (size_t)l;
	}
	return false;
}

/* Labels of the name at b[off], the root not counted, pointers followed. */
static int ref_depth(const uint8_t *b, size_t off)
{
	int n = 0;

	for (unsigned hops = 0; hops < 256 && b[off]; hops++) {
		if ((b[off] & 0xC0) == 0xC0) {
			off = ((size_t)(b[off] & 0x3F) << 8) | b[off + 1];
			continue;
		}
		n++;
		off += 1 + (size_t)b[off];
	}
	return n;
}

/* The reference remembers every suffix the renderer may: written below
 * 16 KiB, at most RENDER_COMP_DEPTH labels from the root. */
static void ref_add(struct ref *x, size_t off)
{
	if (off < DNS_PTR_LIMIT && ref_depth(x->buf, off) <= RENDER_COMP_DEPTH)
		x->comp[x->ncomp++] = (uint16_t)off;
}

static void ref_init(struct ref *x, uint8_t *b, size_t qend, size_t limit)
{
	x->buf = b;
	x->len = qend;
	x->limit = limit;
	x->count[0] = x->count[1] = x->count[2] = 0;
	x->ncomp = 0;
	for (size_t off = DNS_HDR_LEN; b[off]; off += 1 + (size_t)b[off])
		ref_add(x, off);
}

static int ref_name(struct ref *x, const uint8_t *name)
{
	const uint8_t *sfx = name;
	size_t ptr = 0;

	int depth = name_label_count(name);

	for (; *sfx; sfx += 1 + (size_t)*sfx, depth--)
		for (unsigned i = 0; depth <= RENDER_COMP_DEPTH && i < x->ncomp; i++)
			if (ref_match_at(x->buf, x->comp[i], sfx)) {
				ptr = x->comp[i] | 0xC000;
				goto found;
			}
found:;
	size_t lit = (size_t)(sfx - name), need = lit + (ptr ? 2 : 1);
	if (x->len + need > x->limit)
		return -1;
	memcpy(x->buf + x->len, name, lit);
	if (ptr)
		wire_write_u16(x->buf + x->len + lit, (uint16_t)ptr);
	else
		x->buf[x->len + lit] = 0;
	/* after the name is whole: ref_add() reads its depth */
	for (size_t o = 0; o < lit; o += 1 + (size_t)name[o])
		ref_add(x, x->len + o);
	x->len += need;
	return 0;
}

static int ref_rrset(struct ref *x, enum render_section sec, const uint8_t *owner,
		     uint16_t owner_ptr, const struct rrset *s)
{
	size_t save_len = x->len, owner_off = 0, owner_len = 0;
	unsigned save_ncomp = x->ncomp, names = 0;
	size_t first = 0;
	const uint8_t *p = s->wire;

	switch (s->type) {
	case DNS_TYPE_NS: case DNS_TYPE_CNAME: case DNS_TYPE_PTR: names = 1; break;
	case DNS_TYPE_SOA: case DNS_TYPE_MINFO: names = 2; break;
	case DNS_TYPE_MX: names = 1; first = 2; break;
	default: break;
	}
	for (unsigned i = 0; i < s->rr_count; i++) {
		size_t rdlen = wire_read_u16(p + 8);
		if (i > 0 && (owner_len <= 2 || owner_off < DNS_PTR_LIMIT)) {
			size_t n = owner_len <= 2 ? owner_len : 2;
			if (x->len + n > x->limit)
				goto fail;
			if (owner_len <= 2)
				memmove(x->buf + x->len, x->buf + owner_off, n);
			else
				wire_write_u16(x->buf + x->len, (uint16_t)(0xC000 | owner_off));
			x->len += n;
		} else if (owner_ptr && x->buf[owner_ptr] != 0) {
			/* (a root owner is its byte, not a pointer to it: the
			 * one change made on purpose since) */
			if (x->len + 2 > x->limit)
				goto fail;
			owner_off = x->len;
			owner_len = 2;
			wire_write_u16(x->buf + x->len, (uint16_t)(0xC000 | owner_ptr));
			x->len += 2;
		} else {
			owner_off = x->len;
			if (ref_name(x, owner) < 0)
				goto fail;
			owner_len = x->len - owner_off;
		}
		if (x->len + 10 + (names ? first : rdlen) > x->limit)
			goto fail;
		memcpy(x->buf + x->len, p, names ? 10 + first : 10 + rdlen);
		size_t lenpos = x->len + 8, start = x->len + 10;
		if (!names) {
			if (s->type == DNS_TYPE_SRV)
				for (size_t o = 16; x->buf[x->len + o]; o += 1 + (size_t)x->buf[x->len + o])
					ref_add(x, x->len + o);
			x->len += 10 + rdlen;
		} else {
			x->len += 10 + first;
			size_t o = 10 + first;
			for (unsigned k = 0; k < names; k++) {
				if (ref_name(x, p + o) < 0)
					goto fail;
				o += name_length(p + o);
			}
			size_t rest = 10 + rdlen - o;
			if (x->len + rest > x->limit)
				goto fail;
			memcpy(x->buf + x->len, p + o, rest);
			x->len += rest;
			wire_write_u16(x->buf + lenpos, (uint16_t)(x->len - start));
		}
		p += 10 + rdlen;
	}
	x->count[sec] += s->rr_count;
	return 0;
fail:
	x->len = save_len;
	x->ncomp = save_ncomp;
	return -1;
}

/* Renders s into both and checks they agree (result, length, bytes). */
static struct render rr;

static int both(enum render_section sec, const char *owner_text, uint16_t ptr,
		const struct rrset *s)
{
	uint8_t owner[NAME_MAX_LEN + 1];
	if (owner_text)
		W(owner_text, owner);
	int a = render_rrset(&rr, sec, owner_text ? owner : NULL, ptr, s,
			     RENDER_TTL_KEEP);
	int b = ref_rrset(&ref, sec, owner_text ? owner : NULL, ptr, s);
	CU_ASSERT_EQUAL(a, b);
	CU_ASSERT_EQUAL(rr.len, ref.len);
	if (rr.len != ref.len && getenv("RENDER_DEBUG")) {
		size_t i = 0;
		while (i < rr.len && i < ref.len && buf[i] == refbuf[i])
			i++;
		fprintf(stderr, "len %zu ref %zu, first difference at %zu\n",
			rr.len, ref.len, i);
	}
	if (rr.len == ref.len)
		CU_ASSERT_EQUAL(memcmp(buf, refbuf, rr.len), 0);
	return a;
}

static void start_both(const char *qname, size_t limit)
{
	size_t q = question(buf, qname);
	question(refbuf, qname);
	render_init(&rr, buf, q, limit);
	ref_init(&ref, refbuf, q, limit);
}

/* --- tests --- */

static struct set s1, s2, s3;

/* A typical reply: every pointer backwards at a name spelling the same
 * labels, and the compression of the exhaustive search. */
static void test_pointers_backwards(void)
{
	start_both("www.example.com", BUF_MAX);
	set_start(&s1, DNS_TYPE_CNAME);
	set_name(&s1, "mail.example.com");
	CU_ASSERT_EQUAL(both(RENDER_ANSWER, "www.example.com", DNS_HDR_LEN, &s1.s), 0);
	set_start(&s1, DNS_TYPE_MX);
	set_mx(&s1, 10, "mail.example.com");
	set_mx(&s1, 20, "mx.example.net");
	set_mx(&s1, 30, "mx.other.example.net");
	CU_ASSERT_EQUAL(both(RENDER_ANSWER, "mail.example.com", 0, &s1.s), 0);
	set_start(&s1, DNS_TYPE_NS);
	set_name(&s1, "ns1.example.com");
	set_name(&s1, "ns2.example.net");
	CU_ASSERT_EQUAL(both(RENDER_AUTHORITY, "example.com", 0, &s1.s), 0);
	set_start(&s1, DNS_TYPE_SOA);
	set_soa(&s1, "ns1.example.com", "hostmaster.example.com");
	CU_ASSERT_EQUAL(both(RENDER_AUTHORITY, "example.com", 0, &s1.s), 0);
	set_start(&s1, DNS_TYPE_A);
	set_a(&s1, 1);
	set_a(&s1, 2);
	CU_ASSERT_EQUAL(both(RENDER_ADDITIONAL, "ns1.example.com", 0, &s1.s), 0);
	CU_ASSERT_EQUAL(both(RENDER_ADDITIONAL, "mx.other.example.net", 0, &s1.s), 0);

	CU_ASSERT_TRUE_FATAL(check_reply(&rr));
	CU_ASSERT_EQUAL(dec.n, 11);
	CU_ASSERT_STRING_EQUAL(dec.text[0], "www.example.com. CNAME mail.example.com.");
	CU_ASSERT_STRING_EQUAL(dec.text[3], "mail.example.com. MX mx.other.example.net.");
	CU_ASSERT_STRING_EQUAL(dec.text[6], "example.com. SOA ns1.example.com. hostmaster.example.com.");
	CU_ASSERT_STRING_EQUAL(dec.text[10], "mx.other.example.net. A");
	/* the CNAME's owner is the qname pointer, its target "mail" and a
	 * pointer to the qname's "example.com" */
	size_t q = DNS_HDR_LEN + 17 + 4;
	CU_ASSERT_EQUAL(wire_read_u16(buf + q), 0xC000 | DNS_HDR_LEN);
	CU_ASSERT_EQUAL(buf[q + 12], 4);
	CU_ASSERT_EQUAL(wire_read_u16(buf + q + 17), 0xC000 | (DNS_HDR_LEN + 4));
	CU_ASSERT_EQUAL(rr.count[RENDER_ANSWER], 4);
	CU_ASSERT_EQUAL(rr.count[RENDER_AUTHORITY], 3);
	CU_ASSERT_EQUAL(rr.count[RENDER_ADDITIONAL], 4);
}

/* Names match the qname ignoring case and point at it: its case echoes. */
static void test_case_insensitive(void)
{
	start_both("WwW.ExAmPlE.CoM", BUF_MAX);
	set_start(&s1, DNS_TYPE_MX);
	set_mx(&s1, 10, "MAIL.EXAMPLE.COM");
	set_mx(&s1, 20, "mail.example.com");
	size_t at = rr.len;
	CU_ASSERT_EQUAL(both(RENDER_ANSWER, "www.example.com", 0, &s1.s), 0);
	/* the whole owner is one pointer to the qname */
	CU_ASSERT_EQUAL(wire_read_u16(buf + at), 0xC000 | DNS_HDR_LEN);
	CU_ASSERT_TRUE_FATAL(check_reply(&rr));
	CU_ASSERT_STRING_EQUAL(dec.text[0], "WwW.ExAmPlE.CoM. MX MAIL.ExAmPlE.CoM.");
	/* the second target points at the first, whose case it then shows */
	CU_ASSERT_STRING_EQUAL(dec.text[1], "WwW.ExAmPlE.CoM. MX MAIL.ExAmPlE.CoM.");
	CU_ASSERT_EQUAL(render_name(&rr, (const uint8_t *)"\x04mAiL\x07" "example\x03" "COM"), 0);
	CU_ASSERT_EQUAL(rr.len, ref.len + 2);
}

/* More suffixes than the table holds, and names deeper than
 * RENDER_COMP_DEPTH labels: later names compress less, never wrongly; a
 * deep name is compressed in its last RENDER_COMP_DEPTH labels only (the
 * bound on the walk); what the table holds still compresses. */
static void test_names_longer_than_table(void)
{
	char q[NAME_MAX_LEN + 1] = "", name[NAME_MAX_LEN + 1];
	struct render *r = &rr;

	/* a qname of 127 one-octet labels: 127 entries */
	for (int i = 0; i < 127; i++)
		strcat(q, i == 126 ? "q" : "a.");
	size_t qend = question(buf, q);
	render_init(r, buf, qend, BUF_MAX);
	set_start(&s1, DNS_TYPE_NS);
	/* 16 names of 60 one-octet labels under "x": each is remembered in
	 * its last RENDER_COMP_DEPTH labels, and the table fills in the
	 * last */
	for (int k = 0; k < 16; k++) {
		name[0] = 0;
		for (int i = 0; i < 60; i++) {
			char l[3] = { (char)('b' + (i + k * 7) % 24), '.', 0 };
			strcat(name, l);
		}
		strcat(name, "x");
		set_name(&s1, name);
	}
	uint8_t owner[NAME_MAX_LEN + 1];
	W(q, owner);
	CU_ASSERT_EQUAL(render_rrset(r, RENDER_ANSWER, owner, 0, &s1.s, RENDER_TTL_KEEP), 0);
	CU_ASSERT_EQUAL(r->ncomp, RENDER_COMP_MAX);
	CU_ASSERT_TRUE_FATAL(check_reply(r));
	CU_ASSERT_EQUAL(dec.n, 16);
	/* the owner, the qname's 127 labels: the first 127 - DEPTH literal,
	 * then a pointer to the qname's suffix of DEPTH labels */
	size_t lit = 2 * (127 - RENDER_COMP_DEPTH);
	CU_ASSERT_EQUAL(memcmp(buf + qend, buf + DNS_HDR_LEN, lit), 0);
	CU_ASSERT_EQUAL(wire_read_u16(buf + qend + lit),
			0xC000 | (DNS_HDR_LEN + lit));
	/* every target decodes to what was asked */
	for (int k = 0; k < 16; k++) {
		char want[300];
		snprintf(want, sizeof(want), "%s. NS ", q);
		CU_ASSERT_EQUAL(strncmp(dec.text[k], want, strlen(want)), 0);
	}
	/* the first target is remembered: the same name (61 labels) is its
	 * first 61 - DEPTH labels and a pointer */
	size_t before = r->len;
	uint8_t t[NAME_MAX_LEN + 1];
	W(strchr(dec.text[0], ' ') + 4, t);
	CU_ASSERT_EQUAL(render_name(r, t), 0);
	CU_ASSERT_EQUAL(r->len, before + 2 * (61 - RENDER_COMP_DEPTH) + 2);
	before = r->len;
	/* a new name under a remembered one: its label and a pointer, and
	 * the full table does not remember it, so the next is the same */
	CU_ASSERT_EQUAL(render_name(r, (const uint8_t *)"\x01z\x01x"), 0);
	CU_ASSERT_EQUAL(r->len, before + 4);
	CU_ASSERT_EQUAL(render_name(r, (const uint8_t *)"\x01z\x01x"), 0);
	CU_ASSERT_EQUAL(r->len, before + 4 + 4);
}

/* A TCP reply past 16 KiB: pointers reach only below 0x4000, owners past
 * it are written out per record (as the exhaustive search did), the name
 * that runs across 16 KiB is still a target through its first labels. */
static void test_tcp_past_16k(void)
{
	char name[64];

	start_both("big.example.com", BUF_MAX);
	set_start(&s1, DNS_TYPE_NS);
	for (int i = 0; i < 1500; i++) {
		snprintf(name, sizeof(name), "ns%d.example.com", i);
		set_name(&s1, name);
	}
	CU_ASSERT_EQUAL(both(RENDER_ANSWER, "big.example.com", DNS_HDR_LEN, &s1.s), 0);
	CU_ASSERT_TRUE(rr.len > DNS_PTR_LIMIT);
	/* a set with a long literal owner written past 16 KiB */
	set_start(&s2, DNS_TYPE_A);
	for (int i = 0; i < 5; i++)
		set_a(&s2, (uint8_t)i);
	CU_ASSERT_EQUAL(both(RENDER_ADDITIONAL, "far.away.example.net", 0, &s2.s), 0);
	/* names below 16 KiB still compress, those past it do not */
	CU_ASSERT_EQUAL(both(RENDER_ADDITIONAL, "ns7.example.com", 0, &s2.s), 0);
	CU_ASSERT_EQUAL(both(RENDER_ADDITIONAL, "ns1499.example.com", 0, &s2.s), 0);
	CU_ASSERT_TRUE_FATAL(check_reply(&rr));
	CU_ASSERT_EQUAL(dec.n, 1515);
	CU_ASSERT_STRING_EQUAL(dec.text[1499], "big.example.com. NS ns1499.example.com.");
	CU_ASSERT_STRING_EQUAL(dec.text[1504], "far.away.example.net. A");
	CU_ASSERT_STRING_EQUAL(dec.text[1514], "ns1499.example.com. A");

	/* a name that starts below 16 KiB and runs across it: its labels
	 * below stay targets */
	for (int pad = 0; pad < 24; pad++) {
		start_both("x.example.com", BUF_MAX);
		set_start(&s1, DNS_TYPE_TXT);
		uint8_t txt[255];
		memset(txt, 'a', sizeof(txt));
		txt[0] = 254;
		int n = (DNS_PTR_LIMIT - 60) / (255 + 12);
		for (int i = 0; i < n; i++)
			set_add(&s1, txt, 255, NULL, NULL, 0);
		set_add(&s1, txt, (size_t)(pad + 1), NULL, NULL, 0);
		txt[0] = (uint8_t)pad;
		CU_ASSERT_EQUAL(both(RENDER_ANSWER, "x.example.com", DNS_HDR_LEN, &s1.s), 0);
		set_start(&s2, DNS_TYPE_CNAME);
		set_name(&s2, "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.example.net");
		CU_ASSERT_EQUAL(both(RENDER_ANSWER, "x.example.com", DNS_HDR_LEN, &s2.s), 0);
		set_start(&s3, DNS_TYPE_PTR);
		set_name(&s3, "z.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.example.net");
		set_name(&s3, "z.p.q.r.s.t.example.net");
		set_name(&s3, "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.example.net");
		CU_ASSERT_EQUAL(both(RENDER_ANSWER, "x.example.com", DNS_HDR_LEN, &s3.s), 0);
		CU_ASSERT_TRUE(check_reply(&rr));
	}
}

/* An RRset that does not fit leaves nothing: the bytes, the counts and the
 * table are as before, so what follows is as if it had never been tried. */
static void test_rrset_not_fit(void)
{
	uint8_t copy[4096];
	size_t copy_len;

	for (int pass = 0; pass < 2; pass++) {
		size_t q = question(buf, "www.example.com");
		render_init(&rr, buf, q, 200);
		set_start(&s1, DNS_TYPE_A);
		set_a(&s1, 1);
		CU_ASSERT_EQUAL(render_rrset(&rr, RENDER_ANSWER, NULL, DNS_HDR_LEN,
					     &s1.s, RENDER_TTL_KEEP), 0);
		if (pass == 1) {
			set_start(&s2, DNS_TYPE_NS);
			char name[64];
			for (int i = 0; i < 20; i++) {
				snprintf(name, sizeof(name), "n%d.fresh.example.org", i);
				set_name(&s2, name);
			}
			size_t len = rr.len;
			uint8_t owner[64];
			W("fresh.example.org", owner);
			CU_ASSERT_EQUAL(render_rrset(&rr, RENDER_AUTHORITY, owner, 0,
						     &s2.s, RENDER_TTL_KEEP), -1);
			CU_ASSERT_EQUAL(rr.len, len);
			CU_ASSERT_EQUAL(rr.ncomp, rr.nqname); /* the qname alone */
			CU_ASSERT_EQUAL(rr.count[RENDER_AUTHORITY], 0);
			CU_ASSERT_EQUAL(rr.count[RENDER_ANSWER], 1);
		}
		set_start(&s3, DNS_TYPE_MX);
		set_mx(&s3, 1, "n1.fresh.example.org");
		set_mx(&s3, 2, "mail.example.com");
		uint8_t owner[64];
		W("fresh.example.org", owner);
		CU_ASSERT_EQUAL(render_rrset(&rr, RENDER_ADDITIONAL, owner, 0, &s3.s,
					     RENDER_TTL_KEEP), 0);
		CU_ASSERT_TRUE(check_reply(&rr));
		if (pass == 0) {
			memcpy(copy, buf, rr.len);
			copy_len = rr.len;
		} else {
			CU_ASSERT_EQUAL(rr.len, copy_len);
			CU_ASSERT_EQUAL(memcmp(copy, buf, copy_len), 0);
		}
	}
	/* a set failing in its RDATA, past its owner, leaves nothing either */
	size_t q = question(buf, "www.example.com");
	render_init(&rr, buf, q, q + 40);
	set_start(&s1, DNS_TYPE_CNAME);
	set_name(&s1, "a-rather-long-target-name.somewhere.example.net");
	CU_ASSERT_EQUAL(render_rrset(&rr, RENDER_ANSWER, NULL, DNS_HDR_LEN, &s1.s,
				     RENDER_TTL_KEEP), -1);
	CU_ASSERT_EQUAL(rr.len, q);
	CU_ASSERT_EQUAL(rr.ncomp, rr.nqname);
	/* a malformed RDATA name (a pointer in the zone's wire form) fails */
	set_start(&s1, DNS_TYPE_NS);
	set_add(&s1, "\xC0\x0C", 2, NULL, NULL, 0);
	render_init(&rr, buf, q, BUF_MAX);
	CU_ASSERT_EQUAL(render_rrset(&rr, RENDER_ANSWER, NULL, DNS_HDR_LEN, &s1.s,
				     RENDER_TTL_KEEP), -1);
	CU_ASSERT_EQUAL(rr.len, q);
}

/* SRV targets are written literally (RFC 2782) but are targets for later
 * names: the A of the target points into the SRV record. */
static void test_srv_targets(void)
{
	start_both("_sip._tcp.example.com", BUF_MAX);
	set_start(&s1, DNS_TYPE_SRV);
	set_srv(&s1, 5060, "sip.example.com");
	set_srv(&s1, 5061, "Sip2.Example.COM");
	set_srv(&s1, 5062, "sip.example.com");
	size_t at = rr.len;
	CU_ASSERT_EQUAL(both(RENDER_ANSWER, "_sip._tcp.example.com", DNS_HDR_LEN, &s1.s), 0);
	/* the first target is at the record's RDATA + 6, literal */
	size_t target = at + 2 + 10 + 6;
	CU_ASSERT_EQUAL(memcmp(buf + target, "\x03sip\x07" "example\x03" "com", 17), 0);
	set_start(&s2, DNS_TYPE_A);
	set_a(&s2, 1);
	size_t a1 = rr.len;
	CU_ASSERT_EQUAL(both(RENDER_ADDITIONAL, "sip.example.com", 0, &s2.s), 0);
	CU_ASSERT_EQUAL(rr.len, a1 + 2 + 14);
	CU_ASSERT_EQUAL(wire_read_u16(buf + a1), 0xC000 | target);
	size_t a2 = rr.len;
	CU_ASSERT_EQUAL(both(RENDER_ADDITIONAL, "sip2.example.com", 0, &s2.s), 0);
	CU_ASSERT_EQUAL(rr.len, a2 + 2 + 14);
	CU_ASSERT_TRUE_FATAL(check_reply(&rr));
	CU_ASSERT_STRING_EQUAL(dec.text[1], "_sip._tcp.example.com. SRV Sip2.Example.COM.");
	CU_ASSERT_STRING_EQUAL(dec.text[4], "Sip2.Example.COM. A");
}

/* After render_truncate() no name points at the bytes it dropped. */
static void test_truncate_forgets(void)
{
	size_t q = question(buf, "www.example.com");

	render_init(&rr, buf, q, BUF_MAX);
	set_start(&s1, DNS_TYPE_NS);
	set_name(&s1, "ns1.dropped.example.org");
	CU_ASSERT_EQUAL(render_rrset(&rr, RENDER_ANSWER, NULL, DNS_HDR_LEN, &s1.s,
				     RENDER_TTL_KEEP), 0);
	render_truncate(&rr, q);
	CU_ASSERT_EQUAL(rr.len, q);
	memset(buf + q, 0xEE, 200);
	set_start(&s2, DNS_TYPE_A);
	set_a(&s2, 1);
	uint8_t owner[64];
	W("ns1.dropped.example.org", owner);
	CU_ASSERT_EQUAL(render_rrset(&rr, RENDER_ADDITIONAL, owner, 0, &s2.s,
				     RENDER_TTL_KEEP), 0);
	CU_ASSERT_TRUE(check_reply(&rr));
	CU_ASSERT_STRING_EQUAL(dec.text[0], "ns1.dropped.example.org. A");
	/* an owner pointer out of reach is replaced by the owner compressed */
	size_t at = rr.len;
	W("www.example.com", owner);
	CU_ASSERT_EQUAL(render_rrset(&rr, RENDER_ADDITIONAL, owner, 0x4000, &s2.s,
				     RENDER_TTL_KEEP), 0);
	CU_ASSERT_EQUAL(wire_read_u16(buf + at), 0xC000 | DNS_HDR_LEN);
	CU_ASSERT_EQUAL(render_rrset(&rr, RENDER_ADDITIONAL, NULL, 0x4000, &s2.s,
				     RENDER_TTL_KEEP), -1);
	CU_ASSERT_TRUE(check_reply(&rr));
}

/* --- random replies against the exhaustive search --- */

static uint32_t rnd_state = 12345;

static uint32_t rnd(uint32_t n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % n;
}

static void rnd_name(char *out, bool big)
{
	static const char *const labels[] = {
		"a", "b", "www", "mail", "ns1", "ns2", "example", "com", "net",
		"x", "sub", "_sip", "_tcp", "host-01", "host-02", "org",
	};
	static const char *const tails[] = {
		"example.com", "example.net", "sub.example.com", "com", "",
	};
	int n = (int)rnd(big ? 12 : 4);
	out[0] = 0;
	for (int i = 0; i < n; i++) {
		strcat(out, labels[rnd(16)]);
		strcat(out, ".");
	}
	strcat(out, tails[rnd(5)]);
	size_t l = strlen(out);
	if (l == 0 || out[l - 1] == '.') {
		if (l == 0)
			strcpy(out, ".");
		else
			out[l - 1] = 0;
	}
	for (char *c = out; *c; c++)
		if (*c >= 'a' && *c <= 'z' && rnd(4) == 0)
			*c = (char)(*c - 32);
}

static void rnd_set(struct set *x, char *owner)
{
	static const uint16_t types[] = {
		DNS_TYPE_A, DNS_TYPE_NS, DNS_TYPE_CNAME, DNS_TYPE_PTR, DNS_TYPE_MX,
		DNS_TYPE_SOA, DNS_TYPE_SRV, DNS_TYPE_TXT, DNS_TYPE_MINFO,
	};
	char a[300], b[300];
	uint16_t t = types[rnd(9)];
	int n = 1 + (int)rnd(rnd(10) == 0 ? 40 : 4);

	set_start(x, t);
	rnd_name(owner, rnd(3) == 0);
	for (int i = 0; i < n; i++) {
		rnd_name(a, false);
		rnd_name(b, false);
		switch (t) {
		case DNS_TYPE_A: set_a(x, (uint8_t)i); break;
		case DNS_TYPE_MX: set_mx(x, (uint16_t)i, a); break;
		case DNS_TYPE_SOA: set_soa(x, a, b); break;
		case DNS_TYPE_SRV: set_srv(x, (uint16_t)i, a); break;
		case DNS_TYPE_MINFO: {
			const char *nn[3] = { a, b, NULL };
			set_add(x, NULL, 0, nn, NULL, 0);
			break;
		}
		case DNS_TYPE_TXT: set_add(x, "\x05hello", 6, NULL, NULL, 0); break;
		default: set_name(x, a); break;
		}
	}
}

static void test_same_as_exhaustive_search(void)
{
	char q[300], owner[300];
	unsigned compared = 0, failed_sets = 0, full = 0;

	for (int round = 0; round < 3000; round++) {
		rnd_name(q, rnd(5) == 0);
		size_t limit = rnd(4) == 0 ? BUF_MAX : 200 + rnd(1400);
		start_both(q, limit);
		int sets = 1 + (int)rnd(14);
		for (int k = 0; k < sets; k++) {
			rnd_set(&s1, owner);
			bool qptr = rnd(3) == 0;
			uint8_t on[NAME_MAX_LEN + 1];
			W(qptr ? q : owner, on);
			int a = render_rrset(&rr, (enum render_section)(k % 3), on,
					     qptr ? DNS_HDR_LEN : 0, &s1.s,
					     RENDER_TTL_KEEP);
			int b = ref_rrset(&ref, (enum render_section)(k % 3), on,
					  qptr ? DNS_HDR_LEN : 0, &s1.s);
			if (rr.ncomp == RENDER_COMP_MAX) {
				full++;   /* the table is full: valid, not equal */
				break;
			}
			if (a != b || rr.len != ref.len ||
			    memcmp(buf, refbuf, rr.len) != 0) {
				fprintf(stderr, "round %d set %d differs\n", round, k);
				CU_FAIL_FATAL("differs from the exhaustive search");
			}
			failed_sets += a != 0;
			compared++;
			if (rnd(10) == 0) {
				render_truncate(&rr, rr.qend);
				ref_init(&ref, refbuf, rr.qend, limit);
			}
		}
		CU_ASSERT_TRUE_FATAL(check_reply(&rr));
	}
	CU_ASSERT_TRUE(compared > 10000);
	CU_ASSERT_TRUE(failed_sets > 100);  /* the limits were reached too */
	CU_ASSERT_TRUE(full < 300);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "pointers go back to the same labels", test_pointers_backwards },
		{ "case-insensitive match, qname case echoed", test_case_insensitive },
		{ "names longer than the table", test_names_longer_than_table },
		{ "TCP replies past 16 KiB", test_tcp_past_16k },
		{ "an RRset that does not fit leaves nothing", test_rrset_not_fit },
		{ "SRV targets are targets", test_srv_targets },
		{ "truncation forgets the names dropped", test_truncate_forgets },
		{ "same bytes as the exhaustive search", test_same_as_exhaustive_search },
	};

	return unit_run("render", NULL, NULL, tests, UNIT_COUNT(tests));
}
