/* test_ebpf.c -- unit tests of the kernel drop map: its keys per prefix,
 * its share, the kernel's test of a datagram and the shared table of
 * listings (server/droplist.c), then the real program (server/ebpf_drop.c)
 * run by the kernel on hand-built Ethernet frames with BPF_PROG_TEST_RUN.
 *
 * The kernel part needs CAP_BPF (root here); where the program cannot
 * load, those tests print why and check nothing. Time is driven by hand
 * for the table; the kernel compares its own CLOCK_MONOTONIC, so its
 * tests list with the real clock. test_cost prints the program's time per
 * datagram (the figures in docs/flood.md); it asserts nothing about them.
 */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "server/droplist.h"
#include "server/ebpf_drop.h"
#include "unit.h"

static const uint8_t seed[16] = "0123456789abcdef";

static struct droplist_config config(unsigned slip)
{
	struct droplist_config c = {
		.v4 = { 32, 24, 20 }, .v4_count = 3,
		.v6 = { 128, 64, 56, 48 }, .v6_count = 4,
		.slip = slip, .hold_ms = 1000, .cookies = true,
	};
	return c;
}

static struct cidr prefix(const char *text)
{
	struct cidr p;

	CU_ASSERT_EQUAL(cidr_parse(text, &p), 0);
	return p;
}

/* --- the share --- */

static void test_keep(void)
{
	CU_ASSERT_EQUAL(droplist_keep(0), 0);
	CU_ASSERT_EQUAL(droplist_keep(1), UINT32_MAX);
	CU_ASSERT_EQUAL(droplist_keep(2), 1u << 31);
	CU_ASSERT_EQUAL(droplist_keep(3), 1431655766u);
	for (unsigned n = 2; n <= 10; n++) {
		uint64_t k = droplist_keep(n);

		/* kept >= 1/n, and the smallest threshold that is */
		CU_ASSERT(k * n >= (1ull << 32));
		CU_ASSERT((k - 1) * n < (1ull << 32));
	}
}

/* --- keys per prefix --- */

static void test_keys(void)
{
	struct droplist_config c = config(0);
	struct droplist *d = droplist_new(&c, seed);
	struct droplist_key k;
	struct cidr p;
	static const uint8_t v4_24[16] = { [10] = 0xff, [11] = 0xff, 192, 0, 2 };
	static const uint8_t v4_20[16] = { [10] = 0xff, [11] = 0xff, 192, 0, 0 };

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	/* 192.0.2.77 at /32, /24, /20 (the host bits cleared by the key) */
	cidr_of_sockaddr((const struct sockaddr *)&(struct sockaddr_in){
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(0xc000024d) }, 24, &p);
	CU_ASSERT_TRUE(droplist_key(d, &p, &k));
	CU_ASSERT_EQUAL(k.bits, 120);
	CU_ASSERT_EQUAL(memcmp(k.addr, v4_24, 16), 0);
	p = prefix("192.0.2.77/20");
	CU_ASSERT_TRUE(droplist_key(d, &p, &k));
	CU_ASSERT_EQUAL(k.bits, 116);
	CU_ASSERT_EQUAL(memcmp(k.addr, v4_20, 16), 0);
	p = prefix("192.0.2.77");
	CU_ASSERT_TRUE(droplist_key(d, &p, &k));
	CU_ASSERT_EQUAL(k.bits, 128);
	CU_ASSERT_EQUAL(k.addr[15], 77);
	/* a length the limits do not decide on: the kernel never looks */
	p = prefix("192.0.2.0/16");
	CU_ASSERT_FALSE(droplist_key(d, &p, &k));
	/* IPv6 /64, /56, /48, /128 */
	p = prefix("2001:db8:1:2:3:4:5:6/56");
	CU_ASSERT_TRUE(droplist_key(d, &p, &k));
	CU_ASSERT_EQUAL(k.bits, 56);
	CU_ASSERT_EQUAL(k.addr[6], 0);
	CU_ASSERT_EQUAL(k.addr[5], 1);
	p = prefix("2001:db8:1:2:3:4:5:6/64");
	CU_ASSERT_TRUE(droplist_key(d, &p, &k));
	CU_ASSERT_EQUAL(k.bits, 64);
	CU_ASSERT_EQUAL(k.addr[7], 2);
	CU_ASSERT_EQUAL(k.addr[8], 0);
	p = prefix("2001:db8::/32");
	CU_ASSERT_FALSE(droplist_key(d, &p, &k));
	droplist_free(d);
}

/* --- what the kernel examines --- */

static uint8_t qb[512];
static size_t qn;

/* A query for name (wire form, nl bytes) with: opt 0 none, 1 empty OPT,
 * 2 OPT with a client cookie, 3 with client and server cookie, 4 with an
 * NSID option. */
static void build(const char *name, size_t nl, int opt)
{
	memset(qb, 0, sizeof(qb));
	qb[0] = 0x12;
	qb[5] = 1;
	memcpy(qb + 12, name, nl);
	qn = 12 + nl;
	qb[qn + 1] = 1;     /* A */
	qb[qn + 3] = 1;     /* IN */
	qn += 4;
	if (!opt)
		return;
	qb[11] = 1;
	qb[qn + 2] = 41;
	qb[qn + 3] = 0x04;
	qb[qn + 4] = 0xd0;
	qn += 11;
	if (opt == 1)
		return;
	size_t len = opt == 2 ? 8 : opt == 3 ? 24 : 0;
	qb[qn - 1] = (uint8_t)(4 + len);
	qb[qn + 1] = opt == 4 ? 3 : 10;
	qb[qn + 3] = (uint8_t)len;
	memset(qb + qn + 4, 0xab, len);
	qn += 4 + len;
}

#define WWW "\x03www\x04test", 10
#define ROOT "", 1
#define LONG "\x14" "abcdefghijklmnopqrst\x04test", 27

static void test_examined(void)
{
	build(WWW, 0);
	CU_ASSERT_TRUE(droplist_examined(qb, qn, true));
	build(WWW, 1);
	CU_ASSERT_TRUE(droplist_examined(qb, qn, true));
	build(WWW, 2);
	CU_ASSERT_FALSE(droplist_examined(qb, qn, true));
	CU_ASSERT_TRUE(droplist_examined(qb, qn, false));   /* cookies off */
	build(WWW, 3);
	CU_ASSERT_FALSE(droplist_examined(qb, qn, true));
	build(WWW, 4);                       /* an NSID option, 41 bytes: */
	CU_ASSERT_TRUE(droplist_examined(qb, qn, true));    /* too short */
	build(LONG, 4);
	CU_ASSERT_FALSE(droplist_examined(qb, qn, true));   /* another option */
	/* too short for a server cookie, whatever it holds */
	build(ROOT, 2);
	CU_ASSERT(qn < DROPLIST_COOKIE_MIN);
	CU_ASSERT_TRUE(droplist_examined(qb, qn, true));
	/* two additional records: might hold a cookie */
	build(LONG, 1);
	qb[11] = 2;
	CU_ASSERT_FALSE(droplist_examined(qb, qn, true));
	/* a header alone is garbage, not the map's */
	CU_ASSERT_FALSE(droplist_examined(qb, 11, false));
}

/* --- the table --- */

static void test_claim(void)
{
	struct droplist_config c = config(2);
	struct droplist *d = droplist_new(&c, seed);
	struct sockaddr_in in = { .sin_family = AF_INET };
	struct droplist_key k;
	struct cidr p = prefix("192.0.2.0/24");
	uint64_t until = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_TRUE(droplist_key(d, &p, &k));
	CU_ASSERT_EQUAL(droplist_claim(d, &k, 5000, false, &until),
			DROPLIST_REFUSED);
	CU_ASSERT_EQUAL(droplist_claim(d, &k, 5000, true, &until),
			DROPLIST_CLAIMED);
	CU_ASSERT_EQUAL(until, 6000);
	/* listed: no second kernel write until it expires */
	CU_ASSERT_EQUAL(droplist_claim(d, &k, 5999, true, &until),
			DROPLIST_LISTED);
	build(WWW, 1);
	in.sin_addr.s_addr = htonl(0xc00002fe);     /* 192.0.2.254 */
	CU_ASSERT_TRUE(droplist_thinned(d, (struct sockaddr *)&in, qb, qn, 5500));
	CU_ASSERT_TRUE(droplist_thinned(d, (struct sockaddr *)&in, qb, qn,
					6000 + DROPLIST_GRACE_MS - 1));
	CU_ASSERT_FALSE(droplist_thinned(d, (struct sockaddr *)&in, qb, qn,
					 6000 + DROPLIST_GRACE_MS));
	/* not for a datagram the kernel never examines */
	build(WWW, 2);
	CU_ASSERT_FALSE(droplist_thinned(d, (struct sockaddr *)&in, qb, qn, 5500));
	/* nor another /24 */
	build(WWW, 1);
	in.sin_addr.s_addr = htonl(0xc0000301);     /* 192.0.3.1 */
	CU_ASSERT_FALSE(droplist_thinned(d, (struct sockaddr *)&in, qb, qn, 5500));
	/* expired: renewed (one more kernel write) */
	CU_ASSERT_EQUAL(droplist_claim(d, &k, 6000, true, &until),
			DROPLIST_CLAIMED);
	CU_ASSERT_EQUAL(until, 7000);
	droplist_free(d);

	/* slip 0: nothing to undo in user space, never "thinned" */
	c = config(0);
	d = droplist_new(&c, seed);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(droplist_claim(d, &k, 5000, true, &until),
			DROPLIST_CLAIMED);
	in.sin_addr.s_addr = htonl(0xc00002fe);
	CU_ASSERT_FALSE(droplist_thinned(d, (struct sockaddr *)&in, qb, qn, 5500));
	droplist_free(d);
}

/* A full set refuses a new listing (nothing is written to the kernel, user
 * space keeps its slip) until a slot is a grace past its expiry; a live
 * listing is never pushed out. */
static void test_full_set(void)
{
	struct droplist_config c = config(2);
	struct droplist *d = droplist_new(&c, seed);
	struct droplist_key keys[DROPLIST_WAYS + 1], k;
	uint64_t until;
	unsigned n = 0, claimed = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	/* Claim /32s at time 0 until one is refused: its set is full. */
	for (uint32_t a = 1; a < 200000 && n == 0; a++) {
		struct cidr p = { .family = AF_INET, .bits = 32 };
		uint32_t be = htonl(0x0a000000 + a);

		memcpy(p.addr, &be, 4);
		CU_ASSERT_TRUE_FATAL(droplist_key(d, &p, &k));
		switch (droplist_claim(d, &k, 10000, true, &until)) {
		case DROPLIST_CLAIMED:
			claimed++;
			break;
		case DROPLIST_FULL:
			keys[n++] = k;
			break;
		default:
			CU_FAIL("listed twice");
		}
	}
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT(claimed >= DROPLIST_WAYS);
	/* still full while its slots live, and in their grace */
	CU_ASSERT_EQUAL(droplist_claim(d, &keys[0], 10999, true, &until),
			DROPLIST_FULL);
	CU_ASSERT_EQUAL(droplist_claim(d, &keys[0],
				       11000 + DROPLIST_GRACE_MS - 1, true,
				       &until), DROPLIST_FULL);
	CU_ASSERT_EQUAL(droplist_claim(d, &keys[0], 11000 + DROPLIST_GRACE_MS,
				       true, &until), DROPLIST_CLAIMED);
	droplist_free(d);
}

/* A prefix that overlaps limits: whitelist or an acl: address is never
 * listed: user space never drops those for their limit, and the kernel
 * cannot tell their NOTIFY from a flood. */
static void test_spared(void)
{
	struct cidr white[1], acl[2], local[2];
	struct droplist_config c = config(0);
	struct droplist *d;
	struct droplist_key k;
	struct cidr p;
	uint64_t until;
	static const struct { const char *p; int want; } cases[] = {
		{ "192.0.2.0/24", DROPLIST_SPARED },    /* holds the acl /32 */
		{ "192.0.2.9", DROPLIST_CLAIMED },      /* a neighbour */
		{ "192.0.2.53", DROPLIST_SPARED },      /* the primary */
		{ "192.0.0.0/20", DROPLIST_SPARED },
		{ "198.51.100.7", DROPLIST_SPARED },    /* inside a whitelist /24 */
		{ "198.51.101.0/24", DROPLIST_CLAIMED },
		{ "2001:db8:5::/48", DROPLIST_SPARED },
		{ "2001:db8:6::/48", DROPLIST_CLAIMED },
		/* server: exempt-local: this host's own addresses */
		{ "127.0.0.0/24", DROPLIST_SPARED },
		{ "127.0.0.2", DROPLIST_CLAIMED },
		{ "127.0.1.0/24", DROPLIST_CLAIMED },
		{ "::/64", DROPLIST_SPARED },
	};

	white[0] = prefix("198.51.100.0/24");
	acl[0] = prefix("192.0.2.53");
	acl[1] = prefix("2001:db8:5:1::/64");
	c.spared[0] = white;
	c.spared_count[0] = 1;
	c.spared[1] = acl;
	c.spared_count[1] = 2;
	local[0] = prefix("127.0.0.1");
	local[1] = prefix("::1");
	c.spared[2] = local;
	c.spared_count[2] = 2;
	d = droplist_new(&c, seed);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p = prefix(cases[i].p);
		CU_ASSERT_TRUE_FATAL(droplist_key(d, &p, &k));
		CU_ASSERT_EQUAL(droplist_claim(d, &k, 5000, true, &until),
				cases[i].want);
	}
	droplist_free(d);
}

/* --- the program, in the kernel --- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint8_t frame[600];
static size_t flen;

/* An Ethernet frame from src (IPv4 or IPv6 text) to a UDP port holding
 * the query in qb (or, with qr, its QR bit set). */
static void frame_of(const char *src, bool qr)
{
	bool v6 = strchr(src, ':') != NULL;
	size_t ip = v6 ? 40 : 20;

	memset(frame, 0, sizeof(frame));
	frame[12] = v6 ? 0x86 : 0x08;
	frame[13] = v6 ? 0xdd : 0x00;
	if (v6) {
		frame[14] = 0x60;
		frame[14 + 6] = 17;
		inet_pton(AF_INET6, src, frame + 14 + 8);
		inet_pton(AF_INET6, "2001:db8::53", frame + 14 + 24);
	} else {
		frame[14] = 0x45;
		frame[14 + 9] = 17;
		inet_pton(AF_INET, src, frame + 14 + 12);
		inet_pton(AF_INET, "192.0.2.53", frame + 14 + 16);
	}
	memcpy(frame + 14 + ip + 8, qb, qn);
	if (qr)
		frame[14 + ip + 8 + 2] |= 0x80;
	flen = 14 + ip + 8 + qn;
}

/* The program for family's frames with slip (cookies on unless
 * nocookies), or NULL (printed why). */
static struct ebpf_drop *prog_c(bool v6, unsigned slip, bool nocookies)
{
	struct ebpf_drop_config c = {
		.reactors = 1, .classic = true, .list = config(slip),
		.seed = seed, .dns_offset = v6 ? 48 : 28,
	};
	struct ebpf_drop *e;
	int rc;

	c.list.cookies = !nocookies;
	rc = ebpf_drop_new(&c, &e);

	if (rc < 0) {
		printf("\n  kernel part skipped: %s ", strerror(-rc));
		return NULL;
	}
	return e;
}

static struct ebpf_drop *prog(bool v6, unsigned slip)
{
	return prog_c(v6, slip, false);
}

/* 1: kept, 0: dropped. */
static int verdict(struct ebpf_drop *e)
{
	uint32_t v = 7;

	CU_ASSERT_EQUAL_FATAL(ebpf_drop_test_run(e, frame, flen, 1, &v, NULL), 0);
	return v != 0;
}

static bool list(struct ebpf_drop *e, const char *text, uint64_t now)
{
	struct cidr p = prefix(text);

	return ebpf_drop_list(e, 0, &p, now);
}

/* slip 0: a listed /24 drops every examined datagram of every address in
 * it, for the hold; cookies, other prefixes and expired entries pass. */
static void test_kernel_prefix(void)
{
	struct ebpf_drop *e = prog(false, 0);
	uint64_t t = now_ms();

	if (!e)
		return;
	build(WWW, 0);
	frame_of("192.0.2.99", false);
	CU_ASSERT_EQUAL(verdict(e), 1);
	CU_ASSERT_TRUE(list(e, "192.0.2.7/24", t));
	CU_ASSERT_FALSE(list(e, "192.0.2.7/24", t));   /* listed already */
	CU_ASSERT_EQUAL(verdict(e), 0);
	build(WWW, 1);
	frame_of("192.0.2.99", false);
	CU_ASSERT_EQUAL(verdict(e), 0);
	build(WWW, 3);                                  /* a server cookie */
	frame_of("192.0.2.99", false);
	CU_ASSERT_EQUAL(verdict(e), 1);
	build(WWW, 2);                                  /* a client cookie */
	frame_of("192.0.2.99", false);
	CU_ASSERT_EQUAL(verdict(e), 1);
	build(WWW, 0);
	frame_of("192.0.3.99", false);                  /* the next /24 */
	CU_ASSERT_EQUAL(verdict(e), 1);
	/* the classic checks */
	frame_of("198.51.100.1", true);
	CU_ASSERT_EQUAL(verdict(e), 0);
	/* a /20 listed with a time already past: expired on arrival */
	CU_ASSERT_TRUE(list(e, "10.1.0.0/20", t - 2000));
	frame_of("10.1.15.1", false);
	CU_ASSERT_EQUAL(verdict(e), 1);
	/* an expired /32 does not hide a live /20 behind it */
	CU_ASSERT_TRUE(list(e, "10.2.0.1", t - 2000));
	CU_ASSERT_TRUE(list(e, "10.2.0.0/20", t));
	frame_of("10.2.0.1", false);
	CU_ASSERT_EQUAL(verdict(e), 0);
	ebpf_drop_free(e);

	e = prog(true, 0);
	if (!e)
		return;
	CU_ASSERT_TRUE(list(e, "2001:db8:1:2::/64", t));
	frame_of("2001:db8:1:2::99", false);
	CU_ASSERT_EQUAL(verdict(e), 0);
	frame_of("2001:db8:1:3::1", false);
	CU_ASSERT_EQUAL(verdict(e), 1);
	CU_ASSERT_TRUE(list(e, "2001:db8:2::/48", t));
	frame_of("2001:db8:2:ffff::1", false);
	CU_ASSERT_EQUAL(verdict(e), 0);
	build(WWW, 3);
	frame_of("2001:db8:2:ffff::1", false);
	CU_ASSERT_EQUAL(verdict(e), 1);
	ebpf_drop_free(e);
}

/* The program examines exactly what droplist_examined says (admission's
 * mirror of it): a listed source's datagram is dropped (slip 0) if and
 * only if the C test is true; with cookies off, every one. */
static void test_kernel_mirror(void)
{
	static const struct { const char *name; size_t nl; } names[] = {
		{ ROOT }, { WWW }, { LONG },
	};
	uint64_t t = now_ms();
	unsigned cases = 0;

	for (int off = 0; off < 2; off++) {
		struct ebpf_drop *e = prog_c(false, 0, off);

		if (!e)
			return;
		CU_ASSERT_TRUE(list(e, "192.0.2.7", t));
		for (size_t n = 0; n < 3; n++)
			for (int opt = 0; opt <= 4; opt++)
				for (int tweak = 0; tweak < 4; tweak++) {
					build(names[n].name, names[n].nl, opt);
					if (tweak == 1)
						qb[11] = 2;     /* ARCOUNT */
					else if (tweak == 2)
						qb[9] = 1;      /* NSCOUNT */
					else if (tweak == 3)
						qb[5] = 2;      /* QDCOUNT */
					frame_of("192.0.2.7", false);
					CU_ASSERT_EQUAL(verdict(e) == 0,
							droplist_examined(qb, qn, !off));
					cases++;
				}
		ebpf_drop_free(e);
	}
	CU_ASSERT_EQUAL(cases, 120);
}

/* slip 2: the kernel keeps about half, never much less, and one draw
 * decides however many of the source's prefixes are listed. */
static void test_kernel_share(void)
{
	struct ebpf_drop *e = prog(false, 2);
	uint64_t t = now_ms();
	unsigned kept = 0, runs = 4000;

	if (!e)
		return;
	CU_ASSERT_TRUE(list(e, "192.0.2.7", t));
	CU_ASSERT_TRUE(list(e, "192.0.2.0/24", t));
	CU_ASSERT_TRUE(list(e, "192.0.0.0/20", t));
	build(WWW, 1);
	frame_of("192.0.2.7", false);
	for (unsigned i = 0; i < runs; i++)
		kept += verdict(e);
	printf("\n  slip 2: kept %u of %u ", kept, runs);
	/* 1/2 +- 5 standard deviations (32 each); a product of the three
	 * entries' shares would keep 1/8 */
	CU_ASSERT(kept >= runs / 2 - 160 && kept <= runs / 2 + 160);
	ebpf_drop_free(e);
}

/* The program's time per datagram (printed): the cost of the design. */
static void test_cost(void)
{
	static const struct { const char *src; int opt; const char *what; } c[] = {
		{ "192.0.2.7", 3, "IPv4, server cookie (no lookup)" },
		{ "192.0.2.7", 1, "IPv4, cookie-less, not listed (3 lookups)" },
		{ "10.9.9.9", 1, "IPv4, cookie-less, /32 listed (1 lookup, drop)" },
		{ "2001:db8::7", 1, "IPv6, cookie-less, not listed (4 lookups)" },
	};
	struct ebpf_drop *e4 = prog(false, 0), *e6 = prog(true, 0);

	if (e4)
		list(e4, "10.9.9.9", now_ms() + 600000);
	for (size_t i = 0; e4 && e6 && i < sizeof(c) / sizeof(c[0]); i++) {
		struct ebpf_drop *e = strchr(c[i].src, ':') ? e6 : e4;
		uint32_t v, ns = 0;

		build(WWW, c[i].opt);
		frame_of(c[i].src, false);
		CU_ASSERT_EQUAL(ebpf_drop_test_run(e, frame, flen, 200000, &v,
						   &ns), 0);
		printf("\n  %-48s %4u ns", c[i].what, ns);
	}
	printf("\n");
	ebpf_drop_free(e4);
	ebpf_drop_free(e6);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "share: ceil(2^32/N)", test_keep },
		{ "keys per prefix", test_keys },
		{ "what the kernel examines", test_examined },
		{ "table: claim, listed, thinned, grace", test_claim },
		{ "table: a full set refuses, never evicts", test_full_set },
		{ "table: whitelist and acl: never listed", test_spared },
		{ "kernel: prefixes, cookies, expiry", test_kernel_prefix },
		{ "kernel: examines what admission thinks", test_kernel_mirror },
		{ "kernel: slip 2 keeps half", test_kernel_share },
		{ "kernel: time per datagram", test_cost },
	};

	return unit_run("ebpf", NULL, NULL, tests, UNIT_COUNT(tests));
}
