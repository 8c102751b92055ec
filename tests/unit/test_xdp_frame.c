/* test_xdp_frame.c -- the AF_XDP path's headers (server/xdp_frame.h):
 * query frames parsed (IPv4 with options, IPv6, one VLAN tag), malformed
 * ones refused at every length and with every header field broken, and
 * the reply's headers checked against the checksums a receiver computes.
 *
 * Each frame is built in a heap buffer of exactly its length, so a read
 * past the end is one an ASan build reports.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "server/xdp_frame.h"
#include "unit.h"

#define PORT 5353

static const uint8_t MAC_C[6] = { 2, 0, 0, 0, 0, 0xc };
static const uint8_t MAC_S[6] = { 2, 0, 0, 0, 0, 0x5 };
static const uint8_t V4_C[4] = { 10, 99, 0, 2 }, V4_S[4] = { 10, 99, 0, 1 };
static const uint8_t V6_C[16] = { 0xfd, 0x99, [15] = 2 };
static const uint8_t V6_S[16] = { 0xfd, 0x99, [15] = 1 };
/* A query for test. NS (12-byte header and the question). */
static const uint8_t DNS_Q[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0,
				 0, 0, 4, 't', 'e', 's', 't', 0, 0, 2, 0, 1 };

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static unsigned get16(const uint8_t *p)
{
	return (unsigned)(p[0] << 8 | p[1]);
}

/* A query frame into f (room for 256 bytes): v6 or IPv4 with opt bytes
 * of options (a multiple of 4), vlan or not. Returns its length. */
static size_t build(uint8_t *f, bool v6, bool vlan, size_t opt)
{
	size_t l3 = vlan ? 18 : 14, ihl = 20 + opt, ul = 8 + sizeof(DNS_Q);
	uint8_t *ip = f + l3, *u;

	memset(f, 0, 256);
	memcpy(f, MAC_S, 6);
	memcpy(f + 6, MAC_C, 6);
	if (vlan) {
		put16(f + 12, 0x8100);
		put16(f + 14, 42);
	}
	if (v6) {
		put16(f + l3 - 2, 0x86dd);
		ip[0] = 0x60;
		put16(ip + 4, (unsigned)ul);
		ip[6] = 17;
		ip[7] = 64;
		memcpy(ip + 8, V6_C, 16);
		memcpy(ip + 24, V6_S, 16);
		u = ip + 40;
	} else {
		put16(f + l3 - 2, 0x0800);
		ip[0] = (uint8_t)(0x40 | (ihl / 4));
		put16(ip + 2, (unsigned)(ihl + ul));
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, V4_C, 4);
		memcpy(ip + 16, V4_S, 4);
		memset(ip + 20, 1, opt);   /* NOPs */
		put16(ip + 10, xdp_csum_fold(xdp_csum_add(0, ip, ihl)));
		u = ip + ihl;
	}
	put16(u, 40000);
	put16(u + 2, PORT);
	put16(u + 4, (unsigned)ul);
	memcpy(u + 8, DNS_Q, sizeof(DNS_Q));
	return (size_t)(u + ul - f);
}

/* Parses f[0..len) from a heap copy of exactly len bytes. */
static int parse_exact(const uint8_t *f, size_t len, struct xdp_frame_info *fi)
{
	uint8_t *c = malloc(len ? len : 1);
	int rc;

	CU_ASSERT_FATAL(c != NULL);
	memcpy(c, f, len);
	rc = xdp_frame_parse(c, len, htons(PORT), fi);
	/* What the parse points at must not outlive the copy: compare. */
	if (rc == 0)
		CU_ASSERT(fi->payload >= c && fi->payload + fi->payload_len <=
			  c + len);
	free(c);
	return rc;
}

static void test_parse_good(void)
{
	uint8_t f[256];
	struct xdp_frame_info fi;

	for (int v6 = 0; v6 < 2; v6++)
		for (int vlan = 0; vlan < 2; vlan++)
			for (size_t opt = 0; opt <= (v6 ? 0 : 40); opt += 8) {
				size_t len = build(f, v6, vlan, opt);

				CU_ASSERT_EQUAL(xdp_frame_parse(f, len,
								htons(PORT),
								&fi), 0);
				CU_ASSERT_EQUAL(fi.v6, (bool)v6);
				CU_ASSERT_EQUAL(fi.vlan, (bool)vlan);
				CU_ASSERT_EQUAL(fi.payload_len, sizeof(DNS_Q));
				CU_ASSERT(memcmp(fi.payload, DNS_Q,
						 sizeof(DNS_Q)) == 0);
				CU_ASSERT(memcmp(fi.mac_src, MAC_C, 6) == 0);
				CU_ASSERT_EQUAL(ntohs(fi.port_src), 40000);
				/* Ethernet padding after the datagram. */
				CU_ASSERT_EQUAL(xdp_frame_parse(f, len + 6,
								htons(PORT),
								&fi), 0);
				CU_ASSERT_EQUAL(fi.payload_len, sizeof(DNS_Q));
			}
}

/* Every prefix of a good frame shorter than its IP datagram is refused
 * (and read within its bounds). */
static void test_parse_every_length(void)
{
	uint8_t f[256];
	struct xdp_frame_info fi;

	for (int v6 = 0; v6 < 2; v6++)
		for (int vlan = 0; vlan < 2; vlan++) {
			size_t len = build(f, v6, vlan, v6 ? 0 : 12);

			for (size_t l = 0; l < len; l++)
				CU_ASSERT_EQUAL(parse_exact(f, l, &fi), -1);
			CU_ASSERT_EQUAL(parse_exact(f, len, &fi), 0);
		}
}

/* One field broken at a time: each refused. */
static void test_parse_malformed(void)
{
	uint8_t f[256];
	struct xdp_frame_info fi;
	size_t len;

/* The checksum made right again after the change, so that the check
 * under test is the one that refuses (but for the checksum's own). */
#define BAD4(stmt)                                                          \
	do {                                                                \
		len = build(f, false, false, 0);                            \
		stmt;                                                       \
		put16(f + 24, 0);                                           \
		put16(f + 24, xdp_csum_fold(xdp_csum_add(0, f + 14, 20)));  \
		CU_ASSERT_EQUAL(parse_exact(f, len, &fi), -1);              \
	} while (0)
	BAD4(put16(f + 12, 0x0806));                 /* ARP */
	BAD4(f[14] = 0x65);                          /* version 6 in v4 */
	BAD4(f[14] = 0x44);                          /* IHL 4 */
	BAD4(f[14] = 0x4f);                          /* IHL past the frame */
	BAD4(f[23] = 6);                             /* TCP */
	BAD4(put16(f + 20, 0x2000));                 /* MF */
	BAD4(put16(f + 20, 0x0001));                 /* a fragment offset */
	BAD4(put16(f + 16, 27));                     /* total < IHL + 8 */
	BAD4(put16(f + 16, get16(f + 16) + 1));      /* total past frame */
	BAD4(put16(f + 34 + 2, PORT + 1));           /* another port */
	BAD4(put16(f + 34, 0));                      /* source port 0 */
	BAD4(put16(f + 34 + 4, 7));                  /* UDP length < 8 */
	BAD4(put16(f + 34 + 4, get16(f + 38) + 1));  /* past the IP payload */
#undef BAD4
	len = build(f, false, false, 0);
	f[24] ^= 1;                                  /* header checksum */
	CU_ASSERT_EQUAL(parse_exact(f, len, &fi), -1);
	len = build(f, true, false, 0);
	f[20] = 0;                                   /* hop-by-hop header */
	CU_ASSERT_EQUAL(parse_exact(f, len, &fi), -1);
	len = build(f, true, false, 0);
	put16(f + 18, 7);                            /* payload < 8 */
	CU_ASSERT_EQUAL(parse_exact(f, len, &fi), -1);
	len = build(f, true, false, 0);
	put16(f + 18, get16(f + 18) + 1);            /* past the frame */
	CU_ASSERT_EQUAL(parse_exact(f, len, &fi), -1);
	len = build(f, true, true, 0);
	put16(f + 16, 0x8100);                       /* a second tag */
	CU_ASSERT_EQUAL(parse_exact(f, len, &fi), -1);
}

/* The sum a receiver computes over the UDP pseudo-header and datagram:
 * 0xffff when the checksum is right (0 before the complement). */
static uint16_t udp_verify(const uint8_t *ip, bool v6, const uint8_t *u)
{
	size_t ul = get16(u + 4), al = v6 ? 16 : 4;
	uint32_t sum = 0;

	sum = xdp_csum_add(sum, ip + (v6 ? 8 : 12), al);
	sum = xdp_csum_add(sum, ip + (v6 ? 24 : 16), al);
	sum += 17 + (uint32_t)ul;
	sum = xdp_csum_add(sum, u, ul);
	return xdp_csum_fold(sum);
}

static void test_reply(void)
{
	static const uint8_t resp[] = "a reply of an odd length!";
	uint8_t f[256];
	struct xdp_frame_info fi;

	for (int v6 = 0; v6 < 2; v6++)
		for (int vlan = 0; vlan < 2; vlan++) {
			size_t len = build(f, v6, vlan, v6 ? 0 : 8), hl, out;
			const uint8_t *ip, *u;

			CU_ASSERT_FATAL(xdp_frame_parse(f, len, htons(PORT),
							&fi) == 0);
			hl = xdp_frame_hdrlen(&fi);
			CU_ASSERT_EQUAL(hl, (size_t)(14 + (vlan ? 4 : 0) +
						     (v6 ? 40 : 20) + 8));
			memcpy(f + hl, resp, sizeof(resp));
			out = xdp_frame_reply(f, &fi, sizeof(resp));
			CU_ASSERT_EQUAL(out, hl + sizeof(resp));
			CU_ASSERT(memcmp(f, MAC_C, 6) == 0);
			CU_ASSERT(memcmp(f + 6, MAC_S, 6) == 0);
			if (vlan)
				CU_ASSERT_EQUAL(get16(f + 14), 42);
			ip = f + 14 + (vlan ? 4 : 0);
			u = ip + (v6 ? 40 : 20);
			if (v6) {
				CU_ASSERT(memcmp(ip + 8, V6_S, 16) == 0);
				CU_ASSERT(memcmp(ip + 24, V6_C, 16) == 0);
				CU_ASSERT_EQUAL(get16(ip + 4),
						8 + sizeof(resp));
				CU_ASSERT_EQUAL(ip[7], 64);
			} else {
				CU_ASSERT(memcmp(ip + 12, V4_S, 4) == 0);
				CU_ASSERT(memcmp(ip + 16, V4_C, 4) == 0);
				CU_ASSERT_EQUAL(get16(ip + 2),
						20 + 8 + sizeof(resp));
				CU_ASSERT_EQUAL(ip[8], 64);
				CU_ASSERT_EQUAL(xdp_csum_fold(xdp_csum_add(
						0, ip, 20)), 0);
			}
			CU_ASSERT_EQUAL(get16(u), PORT);
			CU_ASSERT_EQUAL(get16(u + 2), 40000);
			CU_ASSERT(get16(u + 6) != 0);
			CU_ASSERT_EQUAL(udp_verify(ip, v6, u), 0);
			/* The reply parses back (the ports swapped). */
			CU_ASSERT_EQUAL(xdp_frame_parse(f, out, htons(40000),
							&fi), 0);
			CU_ASSERT_EQUAL(fi.payload_len, sizeof(resp));
		}
}

/* Good frames with random bytes changed (1 to 8 of them) and random
 * lengths, each parsed from a copy of exactly its length: whatever the
 * verdict, no read outside it (an ASan build checks), and a frame taken
 * has its payload inside it. A fixed seed: the same frames every run. */
static void test_parse_mutated(void)
{
	uint8_t f[256];
	struct xdp_frame_info fi;
	unsigned seed = 20261204, taken = 0;

	for (int i = 0; i < 20000; i++) {
		size_t len = build(f, i & 1, i & 2, (i & 1) ? 0 : 4 * (i % 11));
		int n = 1 + (int)(rand_r(&seed) % 8);

		for (int k = 0; k < n; k++)
			f[rand_r(&seed) % len] = (uint8_t)rand_r(&seed);
		if (rand_r(&seed) % 4 == 0)
			len = rand_r(&seed) % (len + 1);
		taken += parse_exact(f, len, &fi) == 0;
	}
	/* Most changes hit a byte no check reads (the DNS payload). */
	CU_ASSERT(taken > 0 && taken < 20000);
}

static void test_addrs(void)
{
	uint8_t f[256];
	struct xdp_frame_info fi;
	struct sockaddr_storage c, s;
	size_t len = build(f, false, false, 0);

	CU_ASSERT_FATAL(xdp_frame_parse(f, len, htons(PORT), &fi) == 0);
	xdp_frame_addrs(&fi, &c, &s);
	CU_ASSERT_EQUAL(c.ss_family, AF_INET);
	CU_ASSERT(memcmp(&((struct sockaddr_in *)&c)->sin_addr, V4_C, 4) == 0);
	CU_ASSERT_EQUAL(ntohs(((struct sockaddr_in *)&c)->sin_port), 40000);
	CU_ASSERT_EQUAL(ntohs(((struct sockaddr_in *)&s)->sin_port), PORT);
	len = build(f, true, false, 0);
	CU_ASSERT_FATAL(xdp_frame_parse(f, len, htons(PORT), &fi) == 0);
	xdp_frame_addrs(&fi, &c, &s);
	CU_ASSERT_EQUAL(c.ss_family, AF_INET6);
	CU_ASSERT(memcmp(&((struct sockaddr_in6 *)&c)->sin6_addr, V6_C,
			 16) == 0);
	CU_ASSERT(memcmp(&((struct sockaddr_in6 *)&s)->sin6_addr, V6_S,
			 16) == 0);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "parse good frames", test_parse_good },
		{ "every short length refused", test_parse_every_length },
		{ "malformed headers refused", test_parse_malformed },
		{ "mutated frames read within bounds", test_parse_mutated },
		{ "reply headers and checksums", test_reply },
		{ "client and server addresses", test_addrs },
	};

	return unit_run("xdp_frame", NULL, NULL, tests, UNIT_COUNT(tests));
}
