/* test_exist_filter.c -- the existence filter (server/exist_filter.h):
 * the real BPF program, loaded into this kernel and run by it on
 * hand-built Ethernet frames with BPF_PROG_TEST_RUN, against a set filled
 * from user space (zones/exist_set.h).
 *
 * The verdict of each kind of question: names that exist (empty
 * non-terminals too), below a wildcard, cut or DNAME, in no served zone,
 * malformed or compressed, not a plain IN QUERY: passed; names that
 * cannot exist: dropped; in random letter case alike. The kernel's hash
 * chain against the user-space one: every name of a zone of labels of
 * every length 1 to 63, each suffix of which must hash alike for the
 * name to be found, and every verdict equal to exist_set_judge's. Then
 * the sample, the counters, an emptied slot and a swap of sets.
 *
 * Needs CAP_BPF (root here) and a build with clang's BPF target: else
 * the tests print why and check nothing, unless LEVEE_EXIST_FILTER_REQUIRED
 * is set (scripts/qemu-kernel-test.sh sets it under Debian 12's kernel):
 * then a program that is not loaded fails the suite, and libbpf's
 * messages (the verifier's log) are printed. test_cost prints the
 * verifier's instruction count on this kernel; it asserts nothing about
 * it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/name.h"
#include "server/ebpf_drop.h"
#include "server/exist_filter.h"
#include "server/log.h"
#include "zones/exist_set.h"
#include "zones/zload.h"
#include "zones/zone.h"

#include "unit.h"
#include "zone_text.h"

static const uint8_t key[EXIST_KEY_LEN] = "fedcba9876543210";
static struct exist_filter *filter;
static struct exist_set *set;
static struct zone *zone;
static const char *why;   /* why the kernel tests check nothing */

#define ZONE_BODY \
	"www A 192.0.2.2\n" \
	"a.b.c A 192.0.2.3\n" \
	"*.wild A 192.0.2.4\n" \
	"sub NS ns.sub\n" \
	"ns.sub A 192.0.2.5\n" \
	"dn DNAME other.test.\n" \
	"ns A 192.0.2.1\n"


/* --- frames --- */

enum { ETH = 14, IP4 = 20, UDP = 8, DNS = ETH + IP4 + UDP };

static uint8_t frame[DNS + 600];

/* An Ethernet + IPv4 + UDP frame holding a DNS header (flags byte 2,
 * QDCOUNT qd) and body[0..blen); returns its length. */
static size_t frame_raw(uint8_t flags, uint8_t qd, const uint8_t *body,
			size_t blen)
{
	size_t n = DNS + 12 + blen;

	memset(frame, 0, DNS + 12);
	frame[12] = 0x08;
	frame[ETH] = 0x45;
	frame[ETH + 2] = (uint8_t)((n - ETH) >> 8);
	frame[ETH + 3] = (uint8_t)(n - ETH);
	frame[ETH + 8] = 64;
	frame[ETH + 9] = 17;
	memcpy(frame + ETH + 12, "\xc0\x00\x02\x01\xc0\x00\x02\x35", 8);
	frame[ETH + IP4 + 2] = 0;
	frame[ETH + IP4 + 3] = 53;
	frame[ETH + IP4 + 4] = (uint8_t)((n - ETH - IP4) >> 8);
	frame[ETH + IP4 + 5] = (uint8_t)(n - ETH - IP4);
	frame[DNS] = 0x12;
	frame[DNS + 1] = 0x34;
	frame[DNS + 2] = flags;
	frame[DNS + 5] = qd;
	memcpy(frame + DNS + 12, body, blen);
	return n;
}

/* A query for wire name w (any case), type A, class qclass, with an
 * empty OPT record after it. */
static size_t frame_query(const uint8_t *w, uint8_t flags, uint16_t qclass)
{
	uint8_t body[600];
	size_t l = name_length(w);

	memcpy(body, w, l);
	body[l++] = 0;
	body[l++] = 1;
	body[l++] = (uint8_t)(qclass >> 8);
	body[l++] = (uint8_t)qclass;
	memcpy(body + l, "\0\0\x29\x04\xd0\0\0\0\0\0\0", 11);
	l += 11;
	l = frame_raw(flags, 1, body, l);
	frame[DNS + 11] = 1;    /* ARCOUNT */
	return l;
}

/* The program's verdict for frame[0..len): true when passed. */
static bool passes(size_t len)
{
	uint32_t v = 1;

	CU_ASSERT_EQUAL_FATAL(exist_filter_test_run(filter, frame, len, &v), 0);
	return v != 0;
}

static bool passes_name(const char *text)
{
	uint8_t w[NAME_MAX_LEN + 1];

	CU_ASSERT_FATAL(name_from_text(text, w) > 0);
	return passes(frame_query(w, 0x01, 1));   /* RD */
}

/* text with each letter's case flipped at random */
static const char *random_case(const char *text)
{
	static char buf[1100];
	size_t i;

	for (i = 0; text[i] && i + 1 < sizeof(buf); i++) {
		char c = text[i];

		if (((c | 0x20) >= 'a' && (c | 0x20) <= 'z') && (rand() & 1))
			c ^= 0x20;
		buf[i] = c;
	}
	buf[i] = '\0';
	return buf;
}

#define SKIP_UNLESS_LOADED() do { \
	if (!filter) { \
		printf("\n    skipped: %s ", why); \
		return; \
	} \
} while (0)

static int load_set(struct zone *z)
{
	struct exist_set *s = exist_set_new(key);
	int rc;

	if (!s || exist_set_add_zone(s, z, 0) < 0) {
		exist_set_free(s);
		return -ENOMEM;
	}
	rc = exist_filter_load(filter, s);
	exist_set_free(set);
	set = s;
	return rc;
}

static int suite_init(void)
{
	struct exist_filter_config c = {
		.key = key, .capacity = 65536, .dns_offset = DNS - ETH,
	};
	bool required = getenv("LEVEE_EXIST_FILTER_REQUIRED") != NULL;
	int rc;

	srand(16);
	zone = unit_zone("example.test.", ZONE_BODY);
	if (!zone)
		return 1;
	if (!exist_filter_available()) {
		why = "built without clang's BPF target or libbpf";
		return required;
	}
	if (required)
		log_init(LOG_LEVEL_DEBUG, false);   /* libbpf's messages */
	rc = exist_filter_new(&c, &filter);
	if (required)
		log_init(LOG_LEVEL_INFO, false);
	if (rc < 0) {
		filter = NULL;
		why = rc == -EPERM ? "no CAP_BPF (run as root)" :
			"the kernel refused the program (the reason above)";
		fprintf(stderr, "exist_filter_new: %s\n", strerror(-rc));
		return required;
	}
	return load_set(zone) < 0;
}

static int suite_clean(void)
{
	exist_filter_free(filter);
	exist_set_free(set);
	zone_free(zone);
	return 0;
}

static void test_verdicts(void)
{
	SKIP_UNLESS_LOADED();
	/* names that exist */
	CU_ASSERT_TRUE(passes_name("example.test."));
	CU_ASSERT_TRUE(passes_name("www.example.test."));
	CU_ASSERT_TRUE(passes_name("ns.example.test."));
	CU_ASSERT_TRUE(passes_name("c.example.test."));        /* ENT */
	CU_ASSERT_TRUE(passes_name("b.c.example.test."));      /* ENT */
	CU_ASSERT_TRUE(passes_name("a.b.c.example.test."));
	CU_ASSERT_TRUE(passes_name("*.wild.example.test."));
	CU_ASSERT_TRUE(passes_name("test."));                  /* above */
	CU_ASSERT_TRUE(passes_name("."));
	/* below a wildcard, a cut, a DNAME */
	CU_ASSERT_TRUE(passes_name("x.wild.example.test."));
	CU_ASSERT_TRUE(passes_name("y.x.wild.example.test."));
	CU_ASSERT_TRUE(passes_name("sub.example.test."));
	CU_ASSERT_TRUE(passes_name("x.sub.example.test."));
	CU_ASSERT_TRUE(passes_name("ns.sub.example.test."));
	CU_ASSERT_TRUE(passes_name("x.y.dn.example.test."));
	/* cannot exist */
	CU_ASSERT_FALSE(passes_name("nx.example.test."));
	CU_ASSERT_FALSE(passes_name("x.www.example.test."));
	CU_ASSERT_FALSE(passes_name("x.y.b.c.example.test."));
	CU_ASSERT_FALSE(passes_name("x.*.wild.example.test."));
	CU_ASSERT_FALSE(passes_name("abcdefghijklmnopqrstuvwxyz0123456789."
				    "example.test."));
	/* random letter case */
	for (int i = 0; i < 16; i++) {
		CU_ASSERT_TRUE(passes_name(random_case("www.example.test.")));
		CU_ASSERT_TRUE(passes_name(random_case("b.c.example.test.")));
		CU_ASSERT_TRUE(passes_name(random_case("q.wild.example.test.")));
		CU_ASSERT_FALSE(passes_name(random_case("nx.example.test.")));
		CU_ASSERT_FALSE(passes_name(random_case("zz.www.example.test.")));
	}
	/* in no served zone */
	CU_ASSERT_TRUE(passes_name("www.example.org."));
	CU_ASSERT_TRUE(passes_name("nx.test."));
	CU_ASSERT_TRUE(passes_name("nx.other.test."));
}

static void test_unjudged(void)
{
	uint8_t w[NAME_MAX_LEN + 1], body[300];
	size_t len;

	SKIP_UNLESS_LOADED();
	CU_ASSERT_FATAL(name_from_text("nx.example.test.", w) > 0);
	CU_ASSERT_FALSE(passes(frame_query(w, 0x00, 1)));     /* dropped */
	CU_ASSERT_TRUE(passes(frame_query(w, 0x80, 1)));      /* QR */
	CU_ASSERT_TRUE(passes(frame_query(w, 0x20, 1)));      /* NOTIFY */
	CU_ASSERT_TRUE(passes(frame_query(w, 0x28, 1)));      /* UPDATE */
	CU_ASSERT_TRUE(passes(frame_query(w, 0x08, 1)));      /* IQUERY */
	CU_ASSERT_TRUE(passes(frame_query(w, 0x00, 3)));      /* CH */
	CU_ASSERT_TRUE(passes(frame_query(w, 0x00, 255)));    /* ANY */
	len = frame_query(w, 0x00, 1);
	frame[DNS + 5] = 2;                                   /* QDCOUNT 2 */
	CU_ASSERT_TRUE(passes(len));
	frame[DNS + 5] = 0;
	CU_ASSERT_TRUE(passes(len));
	/* compressed: \2nx then a pointer to offset 12 */
	memcpy(body, "\x02nx\xc0\x0c\x00\x01\x00\x01", 10);
	CU_ASSERT_TRUE(passes(frame_raw(0, 1, body, 10)));
	/* extended label type 0x40 */
	memcpy(body, "\x02nx\x41x\x00\x00\x01\x00\x01", 11);
	CU_ASSERT_TRUE(passes(frame_raw(0, 1, body, 11)));
	/* a label past the datagram's end */
	memcpy(body, "\x02nx\x07" "example\x3ftest", 16);
	CU_ASSERT_TRUE(passes(frame_raw(0, 1, body, 16)));
	/* the name whole but no type and class */
	CU_ASSERT_TRUE(passes(frame_raw(0, 1, w, name_length(w))));
	CU_ASSERT_TRUE(passes(frame_raw(0, 1, w, name_length(w) + 3)));
	CU_ASSERT_FALSE(passes(frame_raw(0, 1, (const uint8_t *)
		"\x02nx\x07" "example\x04test\x00\x00\x01\x00\x01", 21)));
	/* no root within 255 octets: 128 one-octet labels */
	for (int i = 0; i < 128; i++)
		memcpy(body + 2 * i, "\x01x", 2);
	memcpy(body + 256, "\x00\x00\x01\x00\x01", 5);
	CU_ASSERT_TRUE(passes(frame_raw(0, 1, body, 261)));
	/* 121 one-octet labels and example.test: 242 + 14 > 255 */
	for (int i = 0; i < 121; i++)
		memcpy(body + 2 * i, "\x01x", 2);
	memcpy(body + 242, "\x07" "example\x04test\x00\x00\x01\x00\x01", 19);
	CU_ASSERT_TRUE(passes(frame_raw(0, 1, body, 261)));
	/* 120 of them fit (254 octets): cannot exist */
	CU_ASSERT_FALSE(passes(frame_raw(0, 1, body + 2, 258)));
	/* a header alone, and less */
	CU_ASSERT_TRUE(passes(frame_raw(0, 1, body, 0)));
	CU_ASSERT_TRUE(passes(DNS + 4));
}

/* A query for nx.example.test. (cannot exist) of type qtype, then the
 * records rest[0..rlen) counted in ANCOUNT an, NSCOUNT ns and ARCOUNT
 * ar. */
static size_t frame_records(uint16_t qtype, uint8_t an, uint8_t ns,
			    uint8_t ar, const void *rest, size_t rlen)
{
	static const uint8_t q[] = "\x02nx\x07" "example\x04test";
	uint8_t body[600];
	size_t l = sizeof(q);     /* with its root octet */

	memcpy(body, q, l);
	body[l++] = (uint8_t)(qtype >> 8);
	body[l++] = (uint8_t)qtype;
	body[l++] = 0;
	body[l++] = 1;
	memcpy(body + l, rest, rlen);
	l = frame_raw(0, 1, body, l + rlen);
	frame[DNS + 7] = an;
	frame[DNS + 9] = ns;
	frame[DNS + 11] = ar;
	return l;
}

/* An OPT record at the root, EDNS version ver, options opts[0..olen). */
static size_t opt_rr(uint8_t *p, uint8_t ver, const void *opts, size_t olen)
{
	memcpy(p, "\0\0\x29\x04\xd0\0", 6);
	p[6] = ver;
	p[7] = 0x80;              /* DO */
	p[8] = 0;
	p[9] = (uint8_t)(olen >> 8);
	p[10] = (uint8_t)olen;
	memcpy(p + 11, opts, olen);
	return 11 + olen;
}

/* Queries for a name that cannot exist that user space answers other than
 * NXDOMAIN (wire.c, edns.c, query.c: FORMERR, BADVERS, NOTIMP, a TSIG
 * verdict, a transfer) pass unjudged; those it answers NXDOMAIN, with or
 * without a well-formed OPT, are dropped. */
static void test_records(void)
{
	uint8_t r[600], opts[200];
	size_t n;

	SKIP_UNLESS_LOADED();
	/* the question alone, and with an OPT: NXDOMAIN */
	CU_ASSERT_FALSE(passes(frame_records(1, 0, 0, 0, "", 0)));
	n = opt_rr(r, 0, "", 0);
	CU_ASSERT_FALSE(passes(frame_records(1, 0, 0, 1, r, n)));
	/* qtypes: ANY, MAILA, OPT and TSIG as qtypes are looked up; 0, IXFR
	 * and AXFR are not */
	CU_ASSERT_FALSE(passes(frame_records(255, 0, 0, 0, "", 0)));
	CU_ASSERT_FALSE(passes(frame_records(254, 0, 0, 0, "", 0)));
	CU_ASSERT_FALSE(passes(frame_records(41, 0, 0, 0, "", 0)));
	CU_ASSERT_FALSE(passes(frame_records(65535, 0, 0, 0, "", 0)));
	CU_ASSERT_TRUE(passes(frame_records(0, 0, 0, 0, "", 0)));
	CU_ASSERT_TRUE(passes(frame_records(251, 0, 0, 0, "", 0)));
	CU_ASSERT_TRUE(passes(frame_records(252, 0, 0, 0, "", 0)));
	/* trailing bytes: FORMERR */
	CU_ASSERT_TRUE(passes(frame_records(1, 0, 0, 0, "\0", 1)));
	CU_ASSERT_TRUE(passes(frame_records(1, 0, 0, 0, r, n)));  /* ARCOUNT 0 */
	r[n] = 0;
	CU_ASSERT_TRUE(passes(frame_records(1, 0, 0, 1, r, n + 1)));
	/* an OPT shorter than its RDLENGTH, and cut in its fixed part */
	r[10] = 4;
	CU_ASSERT_TRUE(passes(frame_records(1, 0, 0, 1, r, n)));
	CU_ASSERT_TRUE(passes(frame_records(1, 0, 0, 1, r, 7)));
	/* records in the answer or authority section, ARCOUNT 2, 256 */
	n = opt_rr(r, 0, "", 0);
	CU_ASSERT_TRUE(passes(frame_records(1, 1, 0, 0, r, n)));
	CU_ASSERT_TRUE(passes(frame_records(1, 0, 1, 0, r, n)));
	memcpy(r + n, r, n);
	CU_ASSERT_TRUE(passes(frame_records(1, 0, 0, 2, r, 2 * n)));
	CU_ASSERT_TRUE(passes(frame_records(1, 0, 0, 1, r, 2 * n)));
	n = frame_records(1, 0, 0, 1, r, n);
	frame[DNS + 10] = 1;                                  /* ARCOUNT 257 */
	CU_ASSERT_TRUE(passes(n));
	/* EDNS version 1: BADVERS */
	n = opt_rr(r, 1, "", 0);
	CU_ASSERT_TRUE(passes(frame_records(1, 0, 0, 1, r, n)));
	/* an OPT not at the root, a record other than OPT (a TSIG) */
	memcpy(r, "\x01x\0\0\x29\x04\xd0\0\0\0\0\0\0", 13);
	CU_ASSERT_TRUE(passes(frame_records(1, 0, 0, 1, r, 13)));
	memcpy(r, "\0\0\xfa\0\xff\0\0\0\0\0\0", 11);
	CU_ASSERT_TRUE(passes(frame_records(1, 0, 0, 1, r, 11)));
	/* options: a client COOKIE (8), client and server (24), NSID, an
	 * unknown one: NXDOMAIN */
	memcpy(opts, "\0\x0a\0\x08" "abcdefgh" "\0\x03\0\0" "\xfd\xe9\0\x01x",
	       21);
	n = opt_rr(r, 0, opts, 21);
	CU_ASSERT_FALSE(passes(frame_records(1, 0, 0, 1, r, n)));
	memcpy(opts, "\0\x0a\0\x18" "abcdefgh" "0123456789abcdef", 28);
	n = opt_rr(r, 0, opts, 28);
	CU_ASSERT_FALSE(passes(frame_records(1, 0, 0, 1, r, n)));
	/* COOKIE of 5, 9 and 41 octets, twice: FORMERR */
	memcpy(opts, "\0\x0a\0\x05" "abcde", 9);
	n = opt_rr(r, 0, opts, 9);
	CU_ASSERT_TRUE(passes(frame_records(1, 0, 0, 1, r, n)));
	memcpy(opts, "\0\x0a\0\x09" "abcdefghi", 13);
	n = opt_rr(r, 0, opts, 13);
	CU_ASSERT_TRUE(passes(frame_records(1, 0, 0, 1, r, n)));
	memset(opts + 4, 'c', 41);
	memcpy(opts, "\0\x0a\0\x29", 4);
	n = opt_rr(r, 0, opts, 45);
	CU_ASSERT_TRUE(passes(frame_records(1, 0, 0, 1, r, n)));
	memcpy(opts, "\0\x0a\0\x08" "abcdefgh" "\0\x0a\0\x08" "abcdefgh", 24);
	n = opt_rr(r, 0, opts, 24);
	CU_ASSERT_TRUE(passes(frame_records(1, 0, 0, 1, r, n)));
	/* an option running past RDLENGTH, 3 octets of option header */
	memcpy(opts, "\0\x03\0\x05" "abcd", 8);
	n = opt_rr(r, 0, opts, 8);
	CU_ASSERT_TRUE(passes(frame_records(1, 0, 0, 1, r, n)));
	n = opt_rr(r, 0, "\0\x03\0", 3);
	CU_ASSERT_TRUE(passes(frame_records(1, 0, 0, 1, r, n)));
	/* 8 empty options judged; 9 pass unjudged */
	memset(opts, 0, sizeof(opts));
	for (int i = 0; i < 9; i++)
		opts[4 * i + 1] = 3;                          /* NSID */
	n = opt_rr(r, 0, opts, 32);
	CU_ASSERT_FALSE(passes(frame_records(1, 0, 0, 1, r, n)));
	n = opt_rr(r, 0, opts, 36);
	CU_ASSERT_TRUE(passes(frame_records(1, 0, 0, 1, r, n)));
}

/* The kernel's chain against user space's: names of every label length
 * from 1 to 63 octets, two to four labels deep; each found (every suffix
 * hashed alike) and each verdict as exist_set_judge's. */
static void test_chain(void)
{
	static char body[200000];
	char name[1100], lab[64];
	struct zone *z;
	size_t l = 0;
	uint8_t w[NAME_MAX_LEN + 1];
	int mismatches = 0;

	SKIP_UNLESS_LOADED();
	for (int len = 1; len <= 63; len++) {
		for (int i = 0; i < len; i++)
			lab[i] = "abcdefghijklmnopqrstuvwxyz0123456789-_"[(len * 7 + i * 3) % 38];
		lab[len] = '\0';
		l += (size_t)snprintf(body + l, sizeof(body) - l,
				      "%s A 192.0.2.1\n%s.d%d TXT \"x\"\n"
				      "q.%s.e A 192.0.2.2\n",
				      lab, lab, len, lab);
	}
	z = unit_zone("chain.example.", body);
	CU_ASSERT_PTR_NOT_NULL_FATAL(z);
	CU_ASSERT_EQUAL_FATAL(load_set(z), 0);
	for (int len = 1; len <= 63; len++) {
		const char *forms[] = { "%s.chain.example.",
			"%s.d%d.chain.example.", "q.%s.e.chain.example.",
			"nx.%s.chain.example.", "%s.nx.chain.example.",
			"%s.d%d.x.chain.example.", "x.%s.d%d.chain.example." };

		for (int i = 0; i < len; i++)
			lab[i] = "abcdefghijklmnopqrstuvwxyz0123456789-_"[(len * 7 + i * 3) % 38];
		lab[len] = '\0';
		for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
			enum exist_verdict v;

			snprintf(name, sizeof(name), forms[f], lab, len);
			CU_ASSERT_FATAL(name_from_text(random_case(name), w) > 0);
			v = exist_set_judge(set, w);
			CU_ASSERT_EQUAL(v == EXIST_DROP, f >= 3);
			if (passes(frame_query(w, 0, 1)) != (v != EXIST_DROP))
				mismatches++;
		}
	}
	CU_ASSERT_EQUAL(mismatches, 0);
	CU_ASSERT_EQUAL(load_set(zone), 0);
	zone_free(z);
}

static void test_sample_and_counters(void)
{
	uint64_t a[EXIST_FILTER_COUNTERS], b[EXIST_FILTER_COUNTERS];
	int passed = 0;

	SKIP_UNLESS_LOADED();
	CU_ASSERT_EQUAL_FATAL(exist_filter_counters(filter, a), 0);
	CU_ASSERT_TRUE(passes_name("www.example.test."));
	CU_ASSERT_TRUE(passes_name("x.wild.example.test."));
	CU_ASSERT_TRUE(passes_name("nx.test."));
	CU_ASSERT_FALSE(passes_name("nx.example.test."));
	CU_ASSERT_TRUE(passes(DNS + 4));
	CU_ASSERT_EQUAL(exist_filter_set_sample(filter, 1), 0);
	CU_ASSERT_TRUE(passes_name("nx.example.test."));    /* 1 in 1 */
	CU_ASSERT_EQUAL(exist_filter_set_sample(filter, 4), 0);
	for (int i = 0; i < 400; i++)
		passed += passes_name("nx.example.test.");
	CU_ASSERT(passed > 40 && passed < 200);   /* about 100 */
	CU_ASSERT_EQUAL(exist_filter_set_sample(filter, 0), 0);
	CU_ASSERT_EQUAL_FATAL(exist_filter_counters(filter, b), 0);
	CU_ASSERT_EQUAL(b[EXIST_FILTER_EXISTS] - a[EXIST_FILTER_EXISTS], 1);
	CU_ASSERT_EQUAL(b[EXIST_FILTER_BELOW] - a[EXIST_FILTER_BELOW], 1);
	CU_ASSERT_EQUAL(b[EXIST_FILTER_NONE] - a[EXIST_FILTER_NONE], 1);
	CU_ASSERT_EQUAL(b[EXIST_FILTER_OTHER] - a[EXIST_FILTER_OTHER], 1);
	CU_ASSERT_EQUAL(b[EXIST_FILTER_SAMPLED] - a[EXIST_FILTER_SAMPLED],
			1 + (uint64_t)passed);
	CU_ASSERT_EQUAL(b[EXIST_FILTER_DROP] - a[EXIST_FILTER_DROP],
			1 + 400 - (uint64_t)passed);
}

static void test_swap(void)
{
	struct zone *other = unit_zone("example.test.", "nx A 192.0.2.9\n");
	struct exist_set *big = exist_set_new(key);
	struct exist_filter *small;
	struct exist_filter_config c = {
		.key = key, .capacity = 2, .dns_offset = DNS - ETH,
	};

	SKIP_UNLESS_LOADED();
	CU_ASSERT_PTR_NOT_NULL_FATAL(other);
	CU_ASSERT_FALSE(passes_name("nx.example.test."));
	CU_ASSERT_EQUAL(load_set(other), 0);   /* a new version */
	CU_ASSERT_TRUE(passes_name("nx.example.test."));
	CU_ASSERT_FALSE(passes_name("www.example.test."));
	CU_ASSERT_EQUAL(load_set(zone), 0);    /* and back: both sets used */
	CU_ASSERT_FALSE(passes_name("nx.example.test."));
	CU_ASSERT_TRUE(passes_name("www.example.test."));
	CU_ASSERT_EQUAL(exist_filter_clear(filter), 0);
	CU_ASSERT_TRUE(passes_name("nx.example.test."));
	CU_ASSERT_EQUAL(load_set(zone), 0);
	CU_ASSERT_FALSE(passes_name("nx.example.test."));
	/* a set over capacity is refused, nothing changed */
	CU_ASSERT_EQUAL_FATAL(exist_filter_new(&c, &small), 0);
	CU_ASSERT_EQUAL(exist_set_add_zone(big, zone, 0), 0);
	CU_ASSERT_EQUAL(exist_filter_load(small, big), -E2BIG);
	exist_filter_free(small);
	exist_set_free(big);
	zone_free(other);
}

/* The classic checks (no program next), the tail call into the kernel
 * drop map's program (which does them then), and marks: an entry
 * widened in the live set, an ancestor added only where missing, a swap
 * that keeps the filled spare. */
static void test_next_and_marks(void)
{
	struct exist_filter_config c = {
		.key = key, .capacity = 64, .dns_offset = DNS - ETH,
		.classic = true,
	};
	struct ebpf_drop_config ec = {
		.reactors = 1, .classic = true, .dns_offset = DNS - ETH,
		.list = { .slip = 0, .v4 = { 32 }, .v4_count = 1,
			  .hold_ms = 1000 },
	};
	struct exist_filter *f2, *keep = filter;
	struct ebpf_drop *drop = NULL;
	uint64_t a[EXIST_FILTER_COUNTERS], b[EXIST_FILTER_COUNTERS];
	uint8_t w[NAME_MAX_LEN + 1];
	size_t len;

	SKIP_UNLESS_LOADED();
	/* the filter of the suite: no classic checks, nothing next */
	CU_ASSERT_TRUE(passes(DNS + 4));                /* short: passes */
	len = frame_query((const uint8_t *)"\3www\7example\4test", 0x81, 1);
	CU_ASSERT_TRUE(passes(len));                    /* QR=1: passes */
	/* with the classic checks */
	CU_ASSERT_EQUAL_FATAL(exist_filter_new(&c, &f2), 0);
	filter = f2;
	CU_ASSERT_EQUAL(exist_filter_counters(f2, a), 0);
	CU_ASSERT_FALSE(passes(DNS + 4));
	len = frame_query((const uint8_t *)"\3www\7example\4test", 0x81, 1);
	CU_ASSERT_FALSE(passes(len));
	CU_ASSERT_TRUE(passes_name("www.example.test."));   /* no set yet */
	CU_ASSERT_EQUAL(exist_filter_counters(f2, b), 0);
	CU_ASSERT_EQUAL(b[EXIST_FILTER_GARBAGE] - a[EXIST_FILTER_GARBAGE], 2);
	/* marks need a live set; the spare can be marked and swapped in */
	CU_ASSERT_EQUAL(exist_filter_mark(f2, false, 1, EXIST_OPAQUE),
			-ENOENT);
	CU_ASSERT_EQUAL(exist_filter_fill(f2, set), 0);
	CU_ASSERT_TRUE(passes_name("nx.example.test."));    /* not swapped */
	CU_ASSERT_EQUAL(exist_filter_swap(f2), 0);
	CU_ASSERT_TRUE(exist_filter_live(f2));
	CU_ASSERT_FALSE(passes_name("nx.example.test."));
	CU_ASSERT_FALSE(passes_name("a.new.example.test."));
	/* the apex opaque: the zone and all below pass */
	CU_ASSERT_TRUE(name_from_text("example.test.", w) > 0);
	CU_ASSERT_EQUAL(exist_filter_mark(f2, false, exist_hash_name(key, w),
					  EXIST_OPAQUE), 0);
	CU_ASSERT_TRUE(passes_name("nx.example.test."));
	/* an ancestor added where missing: a miss below it passes */
	CU_ASSERT_EQUAL(exist_filter_fill(f2, set), 0);
	CU_ASSERT_TRUE(name_from_text("new.example.test.", w) > 0);
	CU_ASSERT_EQUAL(exist_filter_mark_absent(f2, true,
						 exist_hash_name(key, w),
						 EXIST_ABOVE), 0);
	CU_ASSERT_TRUE(name_from_text("www.example.test.", w) > 0);
	CU_ASSERT_EQUAL(exist_filter_mark_absent(f2, true,
						 exist_hash_name(key, w),
						 EXIST_ABOVE), 0);   /* present: kept */
	CU_ASSERT_EQUAL(exist_filter_swap(f2), 0);
	CU_ASSERT_FALSE(passes_name("nx.example.test."));
	CU_ASSERT_TRUE(passes_name("a.new.example.test."));
	CU_ASSERT_FALSE(passes_name("a.www.example.test."));
	/* the kernel drop map's program next: it does the classic checks */
	filter = keep;
	if (ebpf_drop_new(&ec, &drop) == 0) {
		CU_ASSERT_EQUAL(exist_filter_set_next(filter,
						      ebpf_drop_prog_fd(drop)), 0);
		CU_ASSERT_FALSE(passes(DNS + 4));
		len = frame_query((const uint8_t *)"\3www\7example\4test",
				  0x81, 1);
		CU_ASSERT_FALSE(passes(len));
		CU_ASSERT_TRUE(passes_name("www.example.test."));
		CU_ASSERT_FALSE(passes_name("nx.example.test."));
		CU_ASSERT_EQUAL(exist_filter_set_next(filter, -1), 0);
		CU_ASSERT_TRUE(passes(DNS + 4));
		ebpf_drop_free(drop);
	} else {
		CU_FAIL("the kernel drop map did not load");
	}
	exist_filter_free(f2);
}

/* Prints the verifier's count and the time of one run for a few kinds
 * of name (BPF_PROG_TEST_RUN, 100,000 runs each; the kernel's mean):
 * the filter's own cost a datagram, without the socket's. Asserts
 * nothing about the figures. */
static void test_cost(void)
{
	static const char *const names[] = {
		"qx3jd9wkza1b.example.test.",           /* dropped */
		"www.example.test.",                    /* exists */
		"a.b.c.example.test.",                  /* exists, 5 labels */
		"x.wild.example.test.",                 /* below a wildcard */
		"nx.other.",                            /* in no zone */
		"qx3jd9wkza1b.qx3jd9wkza1b.qx3jd9wkza1b.qx3jd9wkza1b."
		"a.b.c.example.test.",                  /* dropped, 9 labels */
	};

	SKIP_UNLESS_LOADED();
	printf("\n    program: %u instructions; verifier: %u processed",
	       exist_filter_prog_insns(filter),
	       exist_filter_verified_insns(filter));
	CU_ASSERT(exist_filter_prog_insns(filter) > 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		uint8_t w[NAME_MAX_LEN + 1];
		uint32_t ns = 0;
		size_t len;

		CU_ASSERT_FATAL(name_from_text(names[i], w) > 0);
		len = frame_query(w, 0x01, 1);
		CU_ASSERT_EQUAL(exist_filter_test_time(filter, frame, len,
						       100000, &ns), 0);
		printf("\n    %s: %u ns a run", names[i], ns);
	}
	printf("\n   ");
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "verdicts by kind of name", test_verdicts },
		{ "questions passed unjudged", test_unjudged },
		{ "records after the question", test_records },
		{ "kernel hash chain = user space's", test_chain },
		{ "sample and counters", test_sample_and_counters },
		{ "swap, clear, capacity", test_swap },
		{ "classic checks, next program, marks", test_next_and_marks },
		{ "verifier cost", test_cost },
	};

	return unit_run("exist_filter", suite_init, suite_clean, tests,
			UNIT_COUNT(tests));
}
