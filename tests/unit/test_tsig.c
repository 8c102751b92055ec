/* test_tsig.c -- the TSIG module (server/tsig.h) against messages signed
 * by dnspython (tsig_vectors.h, from make_tsig_vectors.py, at a fixed
 * time), for each of the four algorithms: requests verify, and the
 * replies, BADTIME replies and the messages of a transfer we sign are
 * byte for byte what dnspython signs; every way a request can fail gets
 * its verdict (BADKEY, BADSIG, BADTIME, BADTRUNC, FORMERR); a reply never
 * grows past its buffer; the query pipeline signs what it answers.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stdio.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/dns.h"
#include "common/errcode.h"
#include "server/answer.h"
#include "server/tsig.h"
#include "server/wire.h"
#include "tsig_vectors.h"
#include "unit.h"

struct vec {
	const char *keyname;
	enum tsig_alg alg;
	const uint8_t *secret;
	size_t secret_len;
	const uint8_t *req, *unsigned_reply, *reply, *badtime, *xfr[3], *cut;
	size_t req_len, unsigned_len, reply_len, badtime_len, xfr_len[3],
	       cut_len;
	size_t mac_len;
};

#define VEC(s, S, a, hl)                                                     \
	{ VEC_##S##_KEYNAME, a, vec_##s##_secret, sizeof(vec_##s##_secret),  \
	  vec_##s##_request, vec_##s##_reply_unsigned, vec_##s##_reply,      \
	  vec_##s##_badtime,                                                 \
	  { vec_##s##_xfr0, vec_##s##_xfr1, vec_##s##_xfr2 },                \
	  vec_##s##_request_cut,                                             \
	  sizeof(vec_##s##_request), sizeof(vec_##s##_reply_unsigned),       \
	  sizeof(vec_##s##_reply), sizeof(vec_##s##_badtime),                \
	  { sizeof(vec_##s##_xfr0), sizeof(vec_##s##_xfr1),                  \
	    sizeof(vec_##s##_xfr2) },                                        \
	  sizeof(vec_##s##_request_cut), hl }

static const struct vec vecs[] = {
	VEC(sha1, SHA1, TSIG_HMAC_SHA1, 20),
	VEC(sha256, SHA256, TSIG_HMAC_SHA256, 32),
	VEC(sha384, SHA384, TSIG_HMAC_SHA384, 48),
	VEC(sha512, SHA512, TSIG_HMAC_SHA512, 64),
};
#define NVEC (sizeof(vecs) / sizeof(vecs[0]))

static struct tsig_keyring *ring(void)
{
	struct tsig_keyring *kr = tsig_keyring_new();

	CU_ASSERT_FATAL(kr != NULL);
	for (size_t i = 0; i < NVEC; i++)
		CU_ASSERT_EQUAL(tsig_keyring_add(kr, vecs[i].keyname,
						 vecs[i].alg, vecs[i].secret,
						 vecs[i].secret_len), 0);
	return kr;
}

/* The parser's offset of the TSIG record (wire.h). */
static size_t tsig_off(const uint8_t *m, size_t len)
{
	struct wire_query q;
	int st = wire_parse_query(m, len, &q);

	CU_ASSERT(st == WIRE_OK || st == WIRE_NOQUESTION);
	return q.tsig_off;
}

static int verify(const struct tsig_keyring *kr, const uint8_t *m,
		  size_t len, uint64_t now, struct tsig_state *st)
{
	size_t off = tsig_off(m, len);

	CU_ASSERT_FATAL(off != 0);
	return tsig_verify(m, len, off, kr, now, st);
}

static void test_verify_ok(void)
{
	struct tsig_keyring *kr = ring();
	struct tsig_state st;

	for (size_t i = 0; i < NVEC; i++) {
		const struct vec *v = &vecs[i];
		CU_ASSERT_EQUAL(verify(kr, v->req, v->req_len, VEC_TIME, &st),
				TSIG_OK);
		CU_ASSERT(st.key != NULL);
		CU_ASSERT_EQUAL(tsig_key_index(kr, st.key), i);
		CU_ASSERT_EQUAL(st.mac_len, v->mac_len);
		CU_ASSERT_EQUAL(st.error, 0);
		/* the fudge's edges: 300 s either way */
		CU_ASSERT_EQUAL(verify(kr, v->req, v->req_len, VEC_TIME + 300,
				       &st), TSIG_OK);
		CU_ASSERT_EQUAL(verify(kr, v->req, v->req_len, VEC_TIME - 300,
				       &st), TSIG_OK);
		CU_ASSERT_EQUAL(verify(kr, v->req, v->req_len, VEC_TIME + 301,
				       &st), TSIG_BADTIME);
		CU_ASSERT(st.key != NULL);   /* BADTIME is signed */
		CU_ASSERT_EQUAL(st.error, DNS_TSIG_BADTIME);
		CU_ASSERT_EQUAL(verify(kr, v->req, v->req_len, VEC_TIME - 301,
				       &st), TSIG_BADTIME);
	}
	tsig_keyring_free(kr);
}

static void test_sign_reply_as_dnspython(void)
{
	struct tsig_keyring *kr = ring();
	struct tsig_state st;
	uint8_t buf[1024];

	for (size_t i = 0; i < NVEC; i++) {
		const struct vec *v = &vecs[i];
		size_t len = v->unsigned_len;
		CU_ASSERT_EQUAL_FATAL(verify(kr, v->req, v->req_len, VEC_TIME,
					     &st), TSIG_OK);
		memcpy(buf, v->unsigned_reply, len);
		CU_ASSERT_EQUAL(tsig_reply_size(&st), v->reply_len - len);
		/* one byte short of room: nothing written */
		CU_ASSERT_EQUAL(tsig_sign_reply(buf, &len, v->reply_len - 1,
						&st, VEC_TIME), -1);
		CU_ASSERT_EQUAL(len, v->unsigned_len);
		CU_ASSERT(memcmp(buf, v->unsigned_reply, len) == 0);
		CU_ASSERT_EQUAL(tsig_sign_reply(buf, &len, v->reply_len, &st,
						VEC_TIME), 0);
		CU_ASSERT_EQUAL(len, v->reply_len);
		CU_ASSERT(memcmp(buf, v->reply, v->reply_len) == 0);
	}
	tsig_keyring_free(kr);
}

static void test_badtime_as_dnspython(void)
{
	struct tsig_keyring *kr = ring();
	struct tsig_state st;
	uint8_t buf[1024];

	for (size_t i = 0; i < NVEC; i++) {
		const struct vec *v = &vecs[i];
		size_t len = v->unsigned_len;
		CU_ASSERT_EQUAL_FATAL(verify(kr, v->req, v->req_len,
					     VEC_TIME + 1000, &st),
				      TSIG_BADTIME);
		memcpy(buf, v->unsigned_reply, len);
		buf[3] = DNS_RCODE_NOTAUTH;   /* as the vector's reply */
		CU_ASSERT_EQUAL(tsig_sign_reply(buf, &len, sizeof(buf), &st,
						VEC_TIME + 1000), 0);
		CU_ASSERT_EQUAL(len, v->badtime_len);
		CU_ASSERT(memcmp(buf, v->badtime, v->badtime_len) == 0);
	}
	tsig_keyring_free(kr);
}

static void test_transfer_as_dnspython(void)
{
	struct tsig_keyring *kr = ring();
	struct tsig_state st;
	struct tsig_ctx c;
	uint8_t buf[1024];

	for (size_t i = 0; i < NVEC; i++) {
		const struct vec *v = &vecs[i];
		CU_ASSERT_EQUAL_FATAL(verify(kr, v->req, v->req_len, VEC_TIME,
					     &st), TSIG_OK);
		tsig_ctx_init(&c, &st);
		for (unsigned m = 0; m < 3; m++) {
			size_t len = v->unsigned_len;
			memcpy(buf, v->unsigned_reply, len);
			buf[3] = (uint8_t)m;
			CU_ASSERT_EQUAL(len + tsig_ctx_reserve(&c),
					v->xfr_len[m]);
			CU_ASSERT_EQUAL(tsig_sign_next(&c, buf, &len,
						       sizeof(buf),
						       VEC_TIME + m), 0);
			CU_ASSERT_EQUAL(len, v->xfr_len[m]);
			CU_ASSERT(memcmp(buf, v->xfr[m], len) == 0);
		}
	}
	tsig_keyring_free(kr);
}

/* Our own requests (NOTIFY out): the vector's request without its TSIG,
 * signed by us at its time, is dnspython's byte for byte. */
static void test_sign_request_as_dnspython(void)
{
	struct tsig_keyring *kr = ring();
	struct tsig_ctx c;
	uint8_t buf[1024];

	for (size_t i = 0; i < NVEC; i++) {
		const struct vec *v = &vecs[i];
		size_t off = tsig_off(v->req, v->req_len), len = off;
		memcpy(buf, v->req, off);
		wire_write_u16(buf + DNS_HDR_ARCOUNT,
			       (uint16_t)(wire_read_u16(buf +
							DNS_HDR_ARCOUNT) - 1));
		CU_ASSERT_EQUAL(tsig_sign_request(buf, &len, v->req_len - 1,
						  tsig_keyring_key(kr, i),
						  VEC_TIME, &c), -1);
		CU_ASSERT_EQUAL(len, off);
		CU_ASSERT_EQUAL(tsig_sign_request(buf, &len, sizeof(buf),
						  tsig_keyring_key(kr, i),
						  VEC_TIME, &c), 0);
		CU_ASSERT_EQUAL(len, v->req_len);
		CU_ASSERT(memcmp(buf, v->req, v->req_len) == 0);
		CU_ASSERT_EQUAL(c.prev_len, v->mac_len);
	}
	CU_ASSERT(tsig_keyring_key(kr, NVEC) == NULL);
	tsig_keyring_free(kr);
}

static void test_badkey(void)
{
	struct tsig_keyring *kr = tsig_keyring_new(), *other;
	struct tsig_state st;
	const struct vec *v = &vecs[1];
	uint8_t buf[1024];
	size_t len;

	/* no keys at all, and a NULL keyring */
	CU_ASSERT_EQUAL(verify(kr, v->req, v->req_len, VEC_TIME, &st),
			TSIG_BADKEY);
	CU_ASSERT_EQUAL(verify(NULL, v->req, v->req_len, VEC_TIME, &st),
			TSIG_BADKEY);
	CU_ASSERT(st.key == NULL);
	CU_ASSERT_EQUAL(st.error, DNS_TSIG_BADKEY);
	/* the name with another algorithm */
	other = tsig_keyring_new();
	CU_ASSERT_EQUAL(tsig_keyring_add(other, v->keyname, TSIG_HMAC_SHA512,
					 v->secret, v->secret_len), 0);
	CU_ASSERT_EQUAL(verify(other, v->req, v->req_len, VEC_TIME, &st),
			TSIG_BADKEY);
	/* the unsigned reply echoes name and algorithm, MAC size 0 */
	len = v->unsigned_len;
	memcpy(buf, v->unsigned_reply, len);
	CU_ASSERT_EQUAL(tsig_sign_reply(buf, &len, sizeof(buf), &st,
					VEC_TIME), 0);
	size_t nl = strlen(v->keyname) + 1;
	CU_ASSERT_EQUAL(len, v->unsigned_len + nl + 10 + 13 + 16);
	CU_ASSERT_EQUAL(wire_read_u16(buf + DNS_HDR_ARCOUNT), 2);
	const uint8_t *rd = buf + v->unsigned_len + nl + 10;
	CU_ASSERT(memcmp(rd, "\x0bhmac-sha256", 13) == 0);
	CU_ASSERT_EQUAL(wire_read_u16(rd + 13 + 8), 0);            /* MAC */
	CU_ASSERT_EQUAL(wire_read_u16(rd + 13 + 12), DNS_TSIG_BADKEY);
	tsig_keyring_free(other);
	tsig_keyring_free(kr);
}

static void test_badsig(void)
{
	struct tsig_keyring *kr = ring();
	struct tsig_state st;
	uint8_t m[512];

	for (size_t i = 0; i < NVEC; i++) {
		const struct vec *v = &vecs[i];
		/* a byte of the question, of the MAC, of the time */
		size_t at[] = { 14, v->req_len - 8, v->req_len - 6 - 2 -
				v->mac_len - 2 - 2 - 4 };
		for (size_t k = 0; k < 3; k++) {
			memcpy(m, v->req, v->req_len);
			m[at[k]] ^= 0x20;
			int r = verify(kr, m, v->req_len, VEC_TIME, &st);
			CU_ASSERT_EQUAL(r, TSIG_BADSIG);
			CU_ASSERT(st.key == NULL);
			CU_ASSERT_EQUAL(st.error, DNS_TSIG_BADSIG);
		}
		/* another secret */
		struct tsig_keyring *wrong = tsig_keyring_new();
		uint8_t sec[64];
		memcpy(sec, v->secret, v->secret_len);
		sec[0] ^= 1;
		tsig_keyring_add(wrong, v->keyname, v->alg, sec,
				 v->secret_len);
		CU_ASSERT_EQUAL(verify(wrong, v->req, v->req_len, VEC_TIME,
				       &st), TSIG_BADSIG);
		tsig_keyring_free(wrong);
	}
	tsig_keyring_free(kr);
}

static void test_badtrunc(void)
{
	struct tsig_keyring *kr = ring();
	struct tsig_state st;
	uint8_t buf[1024];

	for (size_t i = 0; i < NVEC; i++) {
		const struct vec *v = &vecs[i];
		CU_ASSERT_EQUAL(verify(kr, v->cut, v->cut_len, VEC_TIME, &st),
				TSIG_BADTRUNC);
		CU_ASSERT(st.key != NULL);
		CU_ASSERT_EQUAL(st.mac_len, v->mac_len / 2 > 10 ?
				v->mac_len / 2 : 10);
		size_t len = v->unsigned_len;
		memcpy(buf, v->unsigned_reply, len);
		CU_ASSERT_EQUAL(tsig_sign_reply(buf, &len, sizeof(buf), &st,
						VEC_TIME), 0);
	}
	tsig_keyring_free(kr);
}

/* The request of vecs[1] with its MAC Size field set to n (the bytes
 * kept as they are): lengths disagree, or a size the RFC forbids. */
static void test_formerr(void)
{
	struct tsig_keyring *kr = ring();
	struct tsig_state st;
	const struct vec *v = &vecs[1];
	uint8_t m[512];
	size_t off = tsig_off(v->req, v->req_len);
	size_t rd = off + strlen(v->keyname) + 1 + 10;
	size_t macsize_at = rd + 13 + 8;

	/* MAC Size past the record, or short of it */
	uint16_t sizes[] = { 0xffff, 33, 31, 0 };
	for (size_t k = 0; k < 4; k++) {
		memcpy(m, v->req, v->req_len);
		wire_write_u16(m + macsize_at, sizes[k]);
		CU_ASSERT_EQUAL(tsig_verify(m, v->req_len, off, kr, VEC_TIME,
					    &st), TSIG_FORMERR);
	}
	/* class IN, TTL 1 */
	memcpy(m, v->req, v->req_len);
	wire_write_u16(m + rd - 8, DNS_CLASS_IN);
	CU_ASSERT_EQUAL(tsig_verify(m, v->req_len, off, kr, VEC_TIME, &st),
			TSIG_FORMERR);
	memcpy(m, v->req, v->req_len);
	m[rd - 3] = 1;
	CU_ASSERT_EQUAL(tsig_verify(m, v->req_len, off, kr, VEC_TIME, &st),
			TSIG_FORMERR);
	/* RDLENGTH one short or long; the message cut anywhere in the
	 * record */
	for (int d = -1; d <= 1; d += 2) {
		memcpy(m, v->req, v->req_len);
		wire_write_u16(m + rd - 2, (uint16_t)(wire_read_u16(m + rd - 2)
						      + d));
		CU_ASSERT_EQUAL(tsig_verify(m, v->req_len, off, kr, VEC_TIME,
					    &st), TSIG_FORMERR);
	}
	for (size_t cut = off + 1; cut < v->req_len; cut++)
		CU_ASSERT_EQUAL(tsig_verify(v->req, cut, off, kr, VEC_TIME,
					    &st), TSIG_FORMERR);
	/* an algorithm label that runs past the record */
	memcpy(m, v->req, v->req_len);
	m[rd] = 63;
	CU_ASSERT_EQUAL(tsig_verify(m, v->req_len, off, kr, VEC_TIME, &st),
			TSIG_FORMERR);
	/* Other Len past the record */
	memcpy(m, v->req, v->req_len);
	wire_write_u16(m + v->req_len - 2, 1);
	CU_ASSERT_EQUAL(tsig_verify(m, v->req_len, off, kr, VEC_TIME, &st),
			TSIG_FORMERR);
	CU_ASSERT_EQUAL(tsig_reply_size(&st), 0);   /* FORMERR: unsigned */
	tsig_keyring_free(kr);
}

/* The parser: TSIG only as the additional section's last record. */
static void test_parser_placement(void)
{
	const struct vec *v = &vecs[1];
	uint8_t m[600];
	struct wire_query q;
	size_t off = tsig_off(v->req, v->req_len);

	CU_ASSERT(off > DNS_HDR_LEN);
	/* twice: the first is not last */
	memcpy(m, v->req, v->req_len);
	memcpy(m + v->req_len, v->req + off, v->req_len - off);
	wire_write_u16(m + DNS_HDR_ARCOUNT, 3);
	CU_ASSERT_EQUAL(wire_parse_query(m, v->req_len + (v->req_len - off),
					 &q), WIRE_FORMERR);
	CU_ASSERT_EQUAL(q.tsig_off, 0);
	/* a message without TSIG: tsig_off 0 */
	CU_ASSERT_EQUAL(wire_parse_query(v->unsigned_reply, v->unsigned_len,
					 &q), WIRE_DROP);   /* QR set */
	memcpy(m, v->req, off);
	wire_write_u16(m + DNS_HDR_ARCOUNT, 1);
	CU_ASSERT_EQUAL(wire_parse_query(m, off, &q), WIRE_OK);
	CU_ASSERT_EQUAL(q.tsig_off, 0);
}

/* The room answer.c keeps (answer.h: tsig_reserve): the largest signed
 * TSIG record (an 80-octet key name, hmac-sha512, BADTIME's Other Data:
 * 189 bytes) beside the longest question and an OPT in 512 bytes, so a
 * signed reply always fits UDP; an unsigned echo too long for the room is
 * left out (tsig_reserve cleared) instead of overflowing. */
static void test_reply_room(void)
{
	struct answer_config cfg = { .udp_max = 1232,
				     .nsid = (const uint8_t *)"nsid-nsid",
				     .nsid_len = 9 };
	struct answer_request req;
	uint8_t q[512], resp[512];
	size_t o = DNS_HDR_LEN;

	memset(q, 0, sizeof(q));
	wire_write_u16(q + DNS_HDR_QDCOUNT, 1);
	wire_write_u16(q + DNS_HDR_ARCOUNT, 1);
	for (int l = 0; l < 4; l++) {      /* 3 x 64 + 62 + 1 = 255 */
		size_t n = l < 3 ? 63 : 61;
		q[o] = (uint8_t)n;
		memset(q + o + 1, 'a', n);
		o += 1 + n;
	}
	q[o++] = 0;
	CU_ASSERT_EQUAL(o - DNS_HDR_LEN, 255);
	wire_write_u16(q + o, DNS_TYPE_A);
	wire_write_u16(q + o + 2, DNS_CLASS_IN);
	o += 4;
	/* OPT asking NSID, 512 bytes */
	q[o] = 0;
	wire_write_u16(q + o + 1, DNS_TYPE_OPT);
	wire_write_u16(q + o + 3, 512);
	wire_write_u16(q + o + 9, 4);
	wire_write_u16(q + o + 11, DNS_OPT_NSID);
	o += 15;
	for (unsigned reserve = 150; reserve <= 189; reserve += 39) {
		memset(&req, 0, sizeof(req));
		req.query = q;
		req.query_len = o;
		req.resp = resp;
		req.resp_cap = sizeof(resp);
		CU_ASSERT_EQUAL(answer_parse(&cfg, &req), WIRE_OK);
		req.tsig_reserve = (uint16_t)reserve;
		answer_query(NULL, &cfg, &req);
		CU_ASSERT_EQUAL(req.tsig_reserve, reserve);
		CU_ASSERT(req.resp_len + reserve <= 512);
		answer_error(&cfg, &req, DNS_RCODE_NOTAUTH);
		CU_ASSERT_EQUAL(req.tsig_reserve, reserve);
		CU_ASSERT(req.resp_len + reserve <= 512);
	}
	/* an unsigned echo of 2 x 255 names: no room, left out */
	memset(&req, 0, sizeof(req));
	req.query = q;
	req.query_len = o;
	req.resp = resp;
	req.resp_cap = sizeof(resp);
	answer_parse(&cfg, &req);
	req.tsig_reserve = 2 * 255 + 26;
	answer_error(&cfg, &req, DNS_RCODE_NOTAUTH);
	CU_ASSERT_EQUAL(req.tsig_reserve, 0);
	CU_ASSERT(req.resp_len <= 512);
}

static void test_keyring(void)
{
	struct tsig_keyring *kr = tsig_keyring_new();
	uint8_t s[TSIG_SECRET_MAX + 1] = { 1 };
	char name[100];

	CU_ASSERT_EQUAL(tsig_keyring_add(kr, "Key.Example", TSIG_HMAC_SHA1, s,
					 16), 0);
	CU_ASSERT_EQUAL(tsig_keyring_add(kr, "key.example.", TSIG_HMAC_SHA256,
					 s, 16), -EEXIST);
	CU_ASSERT_EQUAL(tsig_keyring_find(kr, "KEY.example."), 0);
	CU_ASSERT_EQUAL(tsig_keyring_find(kr, "other"), -1);
	CU_ASSERT_EQUAL(tsig_keyring_add(kr, "a..b", TSIG_HMAC_SHA1, s, 16),
			-EINVAL);
	CU_ASSERT_EQUAL(tsig_keyring_add(kr, "a b", TSIG_HMAC_SHA1, s, 16),
			-EINVAL);
	CU_ASSERT_EQUAL(tsig_keyring_add(kr, "", TSIG_HMAC_SHA1, s, 16),
			-EINVAL);
	CU_ASSERT_EQUAL(tsig_keyring_add(kr, "k", TSIG_HMAC_SHA1, s, 0),
			-EINVAL);
	CU_ASSERT_EQUAL(tsig_keyring_add(kr, "k", TSIG_HMAC_SHA1, s,
					 TSIG_SECRET_MAX + 1), -EINVAL);
	/* TSIG_NAME_MAX wire octets: 77 letters + 2 length/root bytes
	 * fit, 79 do not */
	memset(name, 'a', sizeof(name));
	strcpy(name + 60, ".bbbbbbbbbbbbbbbb");   /* 60 + 1 + 16 = 77 */
	CU_ASSERT_EQUAL(tsig_keyring_add(kr, name, TSIG_HMAC_SHA1, s, 16), 0);
	strcpy(name + 60, ".bbbbbbbbbbbbbbbbbb"); /* wire 1+60+1+18+1 = 81 */
	CU_ASSERT_EQUAL(tsig_keyring_add(kr, name, TSIG_HMAC_SHA1, s, 16),
			-EINVAL);
	memset(name, 'a', 64);
	name[64] = 0;                              /* a 64-octet label */
	CU_ASSERT_EQUAL(tsig_keyring_add(kr, name, TSIG_HMAC_SHA1, s, 16),
			-EINVAL);
	CU_ASSERT_EQUAL(tsig_alg_from_text("HMAC-SHA384."), TSIG_HMAC_SHA384);
	CU_ASSERT_EQUAL(tsig_alg_from_text("hmac-md5"), -1);
	CU_ASSERT_EQUAL(tsig_keyring_count(kr), 2);
	tsig_keyring_free(kr);
}

/* The signed request of vector v (our bytes, dnspython's) into buf and
 * its context; returns its length. */
static size_t our_request(const struct tsig_keyring *kr, size_t i,
			  uint8_t *buf, size_t cap, struct tsig_ctx *rq)
{
	const struct vec *v = &vecs[i];
	size_t off = tsig_off(v->req, v->req_len), len = off;

	memcpy(buf, v->req, off);
	wire_write_u16(buf + DNS_HDR_ARCOUNT,
		       (uint16_t)(wire_read_u16(buf + DNS_HDR_ARCOUNT) - 1));
	CU_ASSERT_EQUAL_FATAL(tsig_sign_request(buf, &len, cap,
						tsig_keyring_key(kr, i),
						VEC_TIME, rq), 0);
	return len;
}

/* Re-MACs the TSIG record at off of m (signed by tsig_sign_next after
 * `prev`) as if the unsigned message u came between: RFC 8945 5.3.1's
 * digest of prior MAC, u, m unsigned, timers. */
static void remac(const struct vec *v, const uint8_t *prev, size_t prev_len,
		  const uint8_t *u, size_t ulen, uint8_t *m, size_t off)
{
	static uint8_t data[4096];
	size_t n = 0, kl = strlen(v->keyname) + 2, al, t;
	const char *digest = v->alg == TSIG_HMAC_SHA1 ? "SHA1" :
		v->alg == TSIG_HMAC_SHA256 ? "SHA256" :
		v->alg == TSIG_HMAC_SHA384 ? "SHA384" : "SHA512";
	unsigned int ml = 0;

	if (v->keyname[strlen(v->keyname) - 1] == '.')
		kl--;
	al = v->alg == TSIG_HMAC_SHA1 ? 11 : 13;
	t = off + kl + 10 + al;          /* time signed, fudge, mac size */
	data[n++] = (uint8_t)(prev_len >> 8);
	data[n++] = (uint8_t)prev_len;
	memcpy(data + n, prev, prev_len);
	n += prev_len;
	memcpy(data + n, u, ulen);
	n += ulen;
	memcpy(data + n, m, off);
	wire_write_u16(data + n + DNS_HDR_ARCOUNT,
		       (uint16_t)(wire_read_u16(m + DNS_HDR_ARCOUNT) - 1));
	n += off;
	memcpy(data + n, m + t, 8);
	n += 8;
	CU_ASSERT_FATAL(HMAC(EVP_get_digestbyname(digest), v->secret,
			     (int)v->secret_len, data, n, m + t + 10, &ml) !=
			NULL);
	CU_ASSERT_EQUAL(ml, v->mac_len);
}

/* Answers to our own requests (RFC 8945 5.3.1): dnspython's transfer
 * messages verify and lose their TSIG; an unsigned first or last
 * message, a changed byte, another key, a TSIG error, a time outside
 * the fudge and 100 unsigned in a row are refused; unsigned messages
 * between signed ones are allowed and covered by the next MAC. */
static void test_answer_check(void)
{
	struct tsig_keyring *kr = ring();
	char err[200];

	for (size_t i = 0; i < NVEC; i++) {
		const struct vec *v = &vecs[i];
		struct tsig_ctx rq, sc;
		struct tsig_state st;
		struct tsig_answer *a;
		uint8_t q[1024], m[3][1024], u[1024];
		size_t ql = our_request(kr, i, q, sizeof(q), &rq), len, ul;
		uint16_t id = wire_read_u16(q);
		uint8_t mac1[TSIG_MAC_MAX];

		CU_ASSERT_EQUAL(ql, v->req_len);
		/* dnspython's three messages */
		a = tsig_answer_new(&rq, id);
		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT_EQUAL(tsig_answer_end(a, err, sizeof(err)), LV_ETSIG);
		for (unsigned k = 0; k < 3; k++) {
			memcpy(m[k], v->xfr[k], v->xfr_len[k]);
			len = v->xfr_len[k];
			CU_ASSERT_EQUAL(tsig_answer_check(a, m[k], &len,
							  VEC_TIME + k, err,
							  sizeof(err)), 1);
			CU_ASSERT_EQUAL(len, v->unsigned_len);
			CU_ASSERT_EQUAL(wire_read_u16(m[k] + DNS_HDR_ARCOUNT),
					wire_read_u16(v->unsigned_reply +
						      DNS_HDR_ARCOUNT));
		}
		CU_ASSERT_EQUAL(tsig_answer_end(a, err, sizeof(err)), 0);
		tsig_answer_free(a);

		/* a changed byte in the second: BADSIG */
		a = tsig_answer_new(&rq, id);
		for (unsigned k = 0; k < 2; k++) {
			memcpy(m[k], v->xfr[k], v->xfr_len[k]);
			len = v->xfr_len[k];
			if (k == 1)
				m[k][3] ^= 0x80;   /* RA */
			CU_ASSERT_EQUAL(tsig_answer_check(a, m[k], &len,
							  VEC_TIME, err,
							  sizeof(err)),
					k == 1 ? LV_ETSIG : 1);
		}
		CU_ASSERT(strstr(err, "BADSIG") != NULL);
		tsig_answer_free(a);

		/* the first unsigned */
		a = tsig_answer_new(&rq, id);
		memcpy(u, v->unsigned_reply, v->unsigned_len);
		ul = v->unsigned_len;
		CU_ASSERT_EQUAL(tsig_answer_check(a, u, &ul, VEC_TIME, err,
						  sizeof(err)), LV_ETSIG);
		tsig_answer_free(a);

		/* outside the fudge */
		a = tsig_answer_new(&rq, id);
		memcpy(m[0], v->xfr[0], v->xfr_len[0]);
		len = v->xfr_len[0];
		CU_ASSERT_EQUAL(tsig_answer_check(a, m[0], &len, VEC_TIME + 301,
						  err, sizeof(err)), LV_ETSIG);
		CU_ASSERT(strstr(err, "BADTIME") != NULL);
		tsig_answer_free(a);

		/* signed, unsigned, signed over both (our own signer for the
		 * server's side, the third MAC redone with the unsigned one
		 * in), then unsigned last: refused at the end */
		CU_ASSERT_EQUAL_FATAL(verify(kr, v->req, v->req_len, VEC_TIME,
					     &st), TSIG_OK);
		tsig_ctx_init(&sc, &st);
		for (unsigned k = 0; k < 3; k += 2) {
			len = v->unsigned_len;
			memcpy(m[k], v->unsigned_reply, len);
			CU_ASSERT_EQUAL(tsig_sign_next(&sc, m[k], &len, 1024,
						       VEC_TIME), 0);
			if (k == 0)
				memcpy(mac1, sc.prev, sc.prev_len);
		}
		remac(v, mac1, v->mac_len, u, ul, m[2], v->unsigned_len);
		a = tsig_answer_new(&rq, id);
		len = v->xfr_len[0];
		CU_ASSERT_EQUAL(tsig_answer_check(a, m[0], &len, VEC_TIME, err,
						  sizeof(err)), 1);
		memcpy(u, v->unsigned_reply, v->unsigned_len);
		ul = v->unsigned_len;
		CU_ASSERT_EQUAL(tsig_answer_check(a, u, &ul, VEC_TIME, err,
						  sizeof(err)), 0);
		CU_ASSERT_EQUAL(ul, v->unsigned_len);
		CU_ASSERT_EQUAL(tsig_answer_end(a, err, sizeof(err)), LV_ETSIG);
		len = v->xfr_len[0];
		CU_ASSERT_EQUAL(tsig_answer_check(a, m[2], &len, VEC_TIME, err,
						  sizeof(err)), 1);
		CU_ASSERT_EQUAL(tsig_answer_end(a, err, sizeof(err)), 0);
		/* 99 unsigned in a row pass, the 100th does not */
		for (unsigned k = 1; k <= TSIG_UNSIGNED_MAX + 1; k++) {
			memcpy(u, v->unsigned_reply, v->unsigned_len);
			ul = v->unsigned_len;
			CU_ASSERT_EQUAL(tsig_answer_check(a, u, &ul, VEC_TIME,
							  err, sizeof(err)),
					k <= TSIG_UNSIGNED_MAX ? 0 : LV_ETSIG);
		}
		tsig_answer_free(a);

		/* another key's answer */
		a = tsig_answer_new(&rq, id);
		memcpy(m[0], vecs[(i + 1) % NVEC].xfr[0],
		       vecs[(i + 1) % NVEC].xfr_len[0]);
		len = vecs[(i + 1) % NVEC].xfr_len[0];
		CU_ASSERT_EQUAL(tsig_answer_check(a, m[0], &len, VEC_TIME, err,
						  sizeof(err)), LV_ETSIG);
		tsig_answer_free(a);

		/* the primary's unsigned BADSIG */
		st.key = NULL;
		st.result = TSIG_BADSIG;
		st.error = DNS_TSIG_BADSIG;
		len = v->unsigned_len;
		memcpy(m[0], v->unsigned_reply, len);
		CU_ASSERT_EQUAL(tsig_sign_reply(m[0], &len, 1024, &st,
						VEC_TIME), 0);
		a = tsig_answer_new(&rq, id);
		CU_ASSERT_EQUAL(tsig_answer_check(a, m[0], &len, VEC_TIME, err,
						  sizeof(err)), LV_ETSIG);
		if (!strstr(err, "BADSIG"))
			fprintf(stderr, "\n%s\n", err);
		CU_ASSERT(strstr(err, "BADSIG") != NULL);
		tsig_answer_free(a);
	}
	tsig_keyring_free(kr);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "verify_ok", test_verify_ok },
		{ "sign_reply_as_dnspython", test_sign_reply_as_dnspython },
		{ "badtime_as_dnspython", test_badtime_as_dnspython },
		{ "transfer_as_dnspython", test_transfer_as_dnspython },
		{ "sign_request_as_dnspython", test_sign_request_as_dnspython },
		{ "badkey", test_badkey },
		{ "badsig", test_badsig },
		{ "badtrunc", test_badtrunc },
		{ "formerr", test_formerr },
		{ "parser_placement", test_parser_placement },
		{ "reply_room", test_reply_room },
		{ "keyring", test_keyring },
		{ "answer_check", test_answer_check },
	};

	return unit_run("tsig", NULL, NULL, tests, UNIT_COUNT(tests));
}
