/* tsig.c -- TSIG (RFC 8945): verifying requests, signing replies and
 * multi-message transfers.
 *
 * A request's TSIG record is read once, in place, with every length checked
 * against the record's RDLENGTH and the message (the parser already checked
 * that the record is the message's last): the owner (the key name, which a
 * client may compress: followed backwards only, at most NAME_PTR_HOPS
 * pointers), the algorithm name (literal), then the fixed fields. The
 * checks then run in RFC 8945 5.2's order: key (5.2.1), MAC with its size
 * rules (5.2.2, 5.2.2.1), time (5.2.3), truncation (5.2.4: our policy
 * accepts full-length MACs only). The MAC is compared in constant time.
 *
 * HMACs are OpenSSL's (EVP_MAC "HMAC"). Each thread keeps one context per
 * algorithm, made on its first MAC and freed when the thread exits; a
 * context remembers the key (by a serial number given to every key added,
 * never reused) it was last keyed with, so a reactor answering one
 * secondary re-initialises without re-keying.
 *
 * Keys are stored in the keyring with their names in lowercase wire form
 * (the canonical form the MAC covers, RFC 8945 4.3.3).
 */
#include "server/tsig.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "common/dns.h"
#include "common/errcode.h"
#include "common/name.h"
#include "server/wire.h"

#define NAME_PTR_HOPS 16      /* compression pointers followed in a key name */
#define TSIG_ALG_NAME_MAX 13  /* "\x0bhmac-sha256\0" and its siblings */

struct tsig_key {
	uint8_t name[TSIG_NAME_MAX];   /* lowercase wire */
	uint8_t name_len;
	uint8_t alg;                   /* enum tsig_alg */
	uint16_t secret_len;
	uint64_t serial;               /* unique over the process */
	uint8_t secret[TSIG_SECRET_MAX];
};

struct tsig_keyring {
	size_t count;
	struct tsig_key keys[TSIG_KEYS_MAX];
};

static const struct {
	const char *text;     /* as configured */
	const char *digest;   /* OpenSSL's name */
	uint8_t wire[TSIG_ALG_NAME_MAX];
	uint8_t wire_len;
	uint8_t mac_len;
} tsig_algs[TSIG_ALG_COUNT] = {
	[TSIG_HMAC_SHA1] = { "hmac-sha1", "SHA1", "\x09hmac-sha1", 11, 20 },
	[TSIG_HMAC_SHA256] = { "hmac-sha256", "SHA256", "\x0bhmac-sha256",
			       13, 32 },
	[TSIG_HMAC_SHA384] = { "hmac-sha384", "SHA384", "\x0bhmac-sha384",
			       13, 48 },
	[TSIG_HMAC_SHA512] = { "hmac-sha512", "SHA512", "\x0bhmac-sha512",
			       13, 64 },
};

/* --- the keyring --- */

static atomic_uint_fast64_t tsig_serials;

struct tsig_keyring *tsig_keyring_new(void)
{
	return calloc(1, sizeof(struct tsig_keyring));
}

void tsig_keyring_free(struct tsig_keyring *kr)
{
	if (!kr)
		return;
	OPENSSL_cleanse(kr, sizeof(*kr));
	free(kr);
}

size_t tsig_keyring_count(const struct tsig_keyring *kr)
{
	return kr ? kr->count : 0;
}

int tsig_alg_from_text(const char *text)
{
	size_t n = text ? strlen(text) : 0;

	if (n && text[n - 1] == '.')
		n--;
	for (int i = 0; i < TSIG_ALG_COUNT; i++)
		if (strlen(tsig_algs[i].text) == n &&
		    strncasecmp(text, tsig_algs[i].text, n) == 0)
			return i;
	return -1;
}

const char *tsig_alg_name(enum tsig_alg alg)
{
	return alg < TSIG_ALG_COUNT ? tsig_algs[alg].text : "?";
}

const uint8_t *tsig_key_name(const struct tsig_key *k)
{
	return k->name;
}

size_t tsig_key_index(const struct tsig_keyring *kr, const struct tsig_key *k)
{
	return (size_t)(k - kr->keys);
}

const struct tsig_key *tsig_keyring_key(const struct tsig_keyring *kr,
					size_t i)
{
	return kr && i < kr->count ? &kr->keys[i] : NULL;
}

/* "a.b." or "a.b" -> lowercase wire in out (TSIG_NAME_MAX). Letters,
 * digits, '-' and '_' only: no escapes. Returns the length or 0. */
static size_t tsig_key_name_wire(const char *t, uint8_t *out)
{
	size_t o = 0;

	if (!t || !*t)
		return 0;
	if (strcmp(t, ".") == 0) {
		out[0] = 0;
		return 1;
	}
	while (*t) {
		const char *e = t;
		for (; *e && *e != '.'; e++) {
			char c = *e;
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '-' || c == '_'))
				return 0;
		}
		size_t l = (size_t)(e - t);
		if (l == 0 || l > DNS_LABEL_MAX || o + 1 + l + 1 > TSIG_NAME_MAX)
			return 0;
		out[o++] = (uint8_t)l;
		for (size_t i = 0; i < l; i++)
			out[o++] = (uint8_t)(t[i] >= 'A' && t[i] <= 'Z' ?
					     t[i] + 32 : t[i]);
		t = *e ? e + 1 : e;
	}
	out[o++] = 0;
	return o;
}

int tsig_keyring_add(struct tsig_keyring *kr, const char *name,
		     enum tsig_alg alg, const uint8_t *secret, size_t len)
{
	uint8_t wire[TSIG_NAME_MAX];
	size_t n = tsig_key_name_wire(name, wire);
	struct tsig_key *k;

	if (!n || alg >= TSIG_ALG_COUNT || !len || len > TSIG_SECRET_MAX)
		return -EINVAL;
	for (size_t i = 0; i < kr->count; i++)
		if (kr->keys[i].name_len == n &&
		    memcmp(kr->keys[i].name, wire, n) == 0)
			return -EEXIST;
	if (kr->count >= TSIG_KEYS_MAX)
		return -ENOSPC;
	k = &kr->keys[kr->count++];
	memcpy(k->name, wire, n);
	k->name_len = (uint8_t)n;
	k->alg = (uint8_t)alg;
	memcpy(k->secret, secret, len);
	k->secret_len = (uint16_t)len;
	k->serial = atomic_fetch_add(&tsig_serials, 1) + 1;
	return 0;
}

int tsig_keyring_find(const struct tsig_keyring *kr, const char *name)
{
	uint8_t wire[TSIG_NAME_MAX];
	size_t n = tsig_key_name_wire(name, wire);

	for (size_t i = 0; kr && n && i < kr->count; i++)
		if (kr->keys[i].name_len == n &&
		    memcmp(kr->keys[i].name, wire, n) == 0)
			return (int)i;
	return -1;
}

/* --- HMAC (OpenSSL), one context per algorithm and thread --- */

struct tsig_tls {
	EVP_MAC_CTX *ctx[TSIG_ALG_COUNT];
	uint64_t keyed[TSIG_ALG_COUNT];   /* serial of the key in ctx[i] */
};

static EVP_MAC *tsig_hmac;
static pthread_once_t tsig_once = PTHREAD_ONCE_INIT;
static pthread_key_t tsig_tls_key;
static __thread struct tsig_tls *tsig_tls;

static void tsig_tls_free(void *p)
{
	struct tsig_tls *t = p;

	for (int i = 0; i < TSIG_ALG_COUNT; i++)
		EVP_MAC_CTX_free(t->ctx[i]);
	free(t);
}

static void tsig_init_once(void)
{
	tsig_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	pthread_key_create(&tsig_tls_key, tsig_tls_free);
}

/* A context ready for updates, keyed with k; NULL when OpenSSL fails. */
static EVP_MAC_CTX *mac_begin(const struct tsig_key *k)
{
	struct tsig_tls *t = tsig_tls;
	EVP_MAC_CTX *c;

	pthread_once(&tsig_once, tsig_init_once);
	if (!tsig_hmac)
		return NULL;
	if (!t) {
		if (!(t = calloc(1, sizeof(*t))))
			return NULL;
		tsig_tls = t;
		pthread_setspecific(tsig_tls_key, t);
	}
	if (!(c = t->ctx[k->alg])) {
		OSSL_PARAM p[2];
		if (!(c = EVP_MAC_CTX_new(tsig_hmac)))
			return NULL;
		p[0] = OSSL_PARAM_construct_utf8_string(
			OSSL_MAC_PARAM_DIGEST,
			(char *)tsig_algs[k->alg].digest, 0);
		p[1] = OSSL_PARAM_construct_end();
		if (!EVP_MAC_CTX_set_params(c, p)) {
			EVP_MAC_CTX_free(c);
			return NULL;
		}
		t->ctx[k->alg] = c;
		t->keyed[k->alg] = 0;
	}
	if (t->keyed[k->alg] == k->serial) {
		if (!EVP_MAC_init(c, NULL, 0, NULL))
			return NULL;
	} else {
		t->keyed[k->alg] = 0;
		if (!EVP_MAC_init(c, k->secret, k->secret_len, NULL))
			return NULL;
		t->keyed[k->alg] = k->serial;
	}
	return c;
}

static bool mac_add(EVP_MAC_CTX *c, const void *p, size_t n)
{
	return n == 0 || EVP_MAC_update(c, p, n);
}

/* Finishes into out (TSIG_MAC_MAX); returns the MAC length or 0. */
static size_t mac_end(EVP_MAC_CTX *c, uint8_t *out)
{
	size_t n = 0;

	if (!EVP_MAC_final(c, out, &n, TSIG_MAC_MAX))
		return 0;
	return n;
}

/* --- reading the request's record --- */

static void put_u48(uint8_t *p, uint64_t v)
{
	wire_write_u16(p, (uint16_t)(v >> 32));
	wire_write_u32(p + 2, (uint32_t)v);
}

static uint64_t get_u48(const uint8_t *p)
{
	return ((uint64_t)wire_read_u16(p) << 32) | wire_read_u32(p + 2);
}

/* Reads the possibly compressed name at msg[*off] into out (lowercase,
 * uncompressed), *off past its bytes in place. Pointers must point
 * backwards of the pointer itself; at most NAME_PTR_HOPS of them, and the
 * name at most 255 octets. Returns its length, or 0 when malformed. */
static size_t read_name(const uint8_t *msg, size_t len, size_t *off,
			uint8_t *out)
{
	size_t o = *off, n = 0, end = 0;
	unsigned hops = 0;

	for (;;) {
		if (o >= len)
			return 0;
		uint8_t l = msg[o];
		if ((l & DNS_PTR_BITS) == DNS_PTR_BITS) {
			size_t target;
			if (o + 2 > len || ++hops > NAME_PTR_HOPS)
				return 0;
			target = ((size_t)(l & 0x3F) << 8) | msg[o + 1];
			if (target >= o)
				return 0;
			if (!end)
				end = o + 2;
			o = target;
			continue;
		}
		if (l & DNS_PTR_BITS)
			return 0;
		if (n + 1 + l > NAME_MAX_LEN || o + 1 + l > len)
			return 0;
		name_lower_bytes(out + n, msg + o, 1 + (size_t)l);
		n += 1 + (size_t)l;
		o += 1 + (size_t)l;
		if (l == 0)
			break;
	}
	*off = end ? end : o;
	return n;
}

static const struct tsig_key *key_find(const struct tsig_keyring *kr,
				       const uint8_t *name, size_t nl,
				       int alg)
{
	if (!kr || alg < 0)
		return NULL;
	for (size_t i = 0; i < kr->count; i++) {
		const struct tsig_key *k = &kr->keys[i];
		if (k->name_len == nl && k->alg == alg &&
		    memcmp(k->name, name, nl) == 0)
			return k;
	}
	return NULL;
}

static int alg_from_wire(const uint8_t *w, size_t n)
{
	for (int i = 0; i < TSIG_ALG_COUNT; i++)
		if (tsig_algs[i].wire_len == n &&
		    memcmp(tsig_algs[i].wire, w, n) == 0)
			return i;
	return -1;
}

static int verdict(struct tsig_state *st, int result, uint16_t error,
		   const struct tsig_key *k)
{
	st->result = (uint8_t)result;
	st->error = error;
	st->key = k;
	return result;
}

int tsig_verify(const uint8_t *msg, size_t len, size_t tsig_off,
		const struct tsig_keyring *kr, uint64_t now,
		struct tsig_state *st)
{
	uint8_t head[DNS_HDR_LEN], mac[TSIG_MAC_MAX];
	static const uint8_t class_ttl[6] = { 0, DNS_CLASS_ANY, 0, 0, 0, 0 };
	size_t o = tsig_off, nl, al, rd, end, maclen, hl;
	const uint8_t *timers, *tail;
	const struct tsig_key *k;
	EVP_MAC_CTX *c;

	st->key = NULL;
	st->name_len = st->alg_len = 0;
	st->mac_len = 0;
	st->time_signed = 0;
	st->orig_id = 0;
	if (tsig_off < DNS_HDR_LEN || tsig_off >= len ||
	    !(nl = read_name(msg, len, &o, st->name)) || o + 10 > len)
		return verdict(st, TSIG_FORMERR, 0, NULL);
	/* TYPE TSIG, CLASS ANY, TTL 0 (RFC 8945 4.2), the record the last. */
	rd = o + 10;
	end = rd + wire_read_u16(msg + o + 8);
	if (wire_read_u16(msg + o) != DNS_TYPE_TSIG || end != len ||
	    memcmp(msg + o + 2, class_ttl, 6) != 0)
		return verdict(st, TSIG_FORMERR, 0, NULL);
	/* Algorithm Name: literal labels (never compressed). */
	for (al = 0;;) {
		if (rd + al >= end || (msg[rd + al] & DNS_PTR_BITS))
			return verdict(st, TSIG_FORMERR, 0, NULL);
		if (msg[rd + al] == 0) {
			al++;
			break;
		}
		al += 1 + (size_t)msg[rd + al];
		if (al >= NAME_MAX_LEN)
			return verdict(st, TSIG_FORMERR, 0, NULL);
	}
	/* Time Signed (6), Fudge (2), MAC Size (2), MAC, Original ID (2),
	 * Error (2), Other Len (2), Other Data: exactly RDLENGTH. */
	timers = msg + rd + al;
	if (end - (rd + al) < 10)
		return verdict(st, TSIG_FORMERR, 0, NULL);
	maclen = wire_read_u16(timers + 8);
	if (end - (rd + al) < 10 + maclen + 6)
		return verdict(st, TSIG_FORMERR, 0, NULL);
	tail = timers + 10 + maclen;   /* Original ID, Error, Other */
	if ((size_t)(msg + end - tail) != 6 + (size_t)wire_read_u16(tail + 4))
		return verdict(st, TSIG_FORMERR, 0, NULL);
	name_lower_bytes(st->alg, msg + rd, al);
	st->name_len = (uint8_t)nl;
	st->alg_len = (uint8_t)al;
	st->time_signed = get_u48(timers);
	st->orig_id = wire_read_u16(tail);

	/* 5.2.1: the key and its algorithm; no HMAC for a stranger. */
	k = key_find(kr, st->name, nl, alg_from_wire(st->alg, al));
	if (!k)
		return verdict(st, TSIG_BADKEY, DNS_TSIG_BADKEY, NULL);
	/* 5.2.2.1: longer than the hash, or shorter than max(10, half). */
	hl = tsig_algs[k->alg].mac_len;
	if (maclen > hl || maclen < (hl / 2 > 10 ? hl / 2 : 10))
		return verdict(st, TSIG_FORMERR, 0, NULL);
	memcpy(st->mac, timers + 10, maclen);
	st->mac_len = (uint16_t)maclen;

	/* 5.2.2: the MAC, over the message as the client signed it (its
	 * Original ID, ARCOUNT without the TSIG) and the variables. */
	memcpy(head, msg, DNS_HDR_LEN);
	wire_write_u16(head + DNS_HDR_ID, st->orig_id);
	wire_write_u16(head + DNS_HDR_ARCOUNT,
		       (uint16_t)(wire_read_u16(msg + DNS_HDR_ARCOUNT) - 1));
	if (!(c = mac_begin(k)) || !mac_add(c, head, DNS_HDR_LEN) ||
	    !mac_add(c, msg + DNS_HDR_LEN, tsig_off - DNS_HDR_LEN) ||
	    !mac_add(c, st->name, nl) || !mac_add(c, class_ttl, 6) ||
	    !mac_add(c, st->alg, al) || !mac_add(c, timers, 8) ||
	    !mac_add(c, tail + 2, (size_t)(msg + end - (tail + 2))) ||
	    mac_end(c, mac) != hl ||
	    CRYPTO_memcmp(mac, st->mac, maclen) != 0)
		return verdict(st, TSIG_BADSIG, DNS_TSIG_BADSIG, NULL);
	/* 5.2.3: the time, within the request's fudge. */
	uint64_t fudge = wire_read_u16(timers + 6);
	if ((now > st->time_signed ? now - st->time_signed :
				     st->time_signed - now) > fudge)
		return verdict(st, TSIG_BADTIME, DNS_TSIG_BADTIME, k);
	/* 5.2.4: a truncated MAC is shorter than our policy (full). */
	if (maclen < hl)
		return verdict(st, TSIG_BADTRUNC, DNS_TSIG_BADTRUNC, k);
	return verdict(st, TSIG_OK, 0, k);
}

/* --- writing the reply's record --- */

/* Writes the TSIG record at p: owner name, algorithm alg, the fields;
 * returns its length. */
static size_t put_record(uint8_t *p, const uint8_t *name, size_t nl,
			 const uint8_t *alg, size_t al, uint64_t time_signed,
			 const uint8_t *mac, size_t maclen, uint16_t id,
			 uint16_t error, const uint8_t *other, size_t olen)
{
	size_t o = nl, rdlen = al + 16 + maclen + olen;

	memcpy(p, name, nl);
	wire_write_u16(p + o, DNS_TYPE_TSIG);
	wire_write_u16(p + o + 2, DNS_CLASS_ANY);
	wire_write_u32(p + o + 4, 0);
	wire_write_u16(p + o + 8, (uint16_t)rdlen);
	o += 10;
	memcpy(p + o, alg, al);
	o += al;
	put_u48(p + o, time_signed);
	wire_write_u16(p + o + 6, TSIG_FUDGE);
	wire_write_u16(p + o + 8, (uint16_t)maclen);
	o += 10;
	if (maclen)
		memcpy(p + o, mac, maclen);
	o += maclen;
	wire_write_u16(p + o, id);
	wire_write_u16(p + o + 2, error);
	wire_write_u16(p + o + 4, (uint16_t)olen);
	o += 6;
	if (olen)
		memcpy(p + o, other, olen);
	return o + olen;
}

static void count_record(uint8_t *buf)
{
	wire_write_u16(buf + DNS_HDR_ARCOUNT,
		       (uint16_t)(wire_read_u16(buf + DNS_HDR_ARCOUNT) + 1));
}

size_t tsig_reply_size(const struct tsig_state *st)
{
	if (st->result == TSIG_NONE || st->result == TSIG_FORMERR)
		return 0;
	if (!st->key)
		return (size_t)st->name_len + 10 + st->alg_len + 16;
	struct tsig_ctx c;
	tsig_ctx_init(&c, st);
	return tsig_ctx_reserve(&c);
}

int tsig_sign_reply(uint8_t *buf, size_t *len, size_t cap,
		    const struct tsig_state *st, uint64_t now)
{
	size_t n = tsig_reply_size(st);

	if (!n || *len < DNS_HDR_LEN || *len + n > cap)
		return -1;
	if (st->key) {
		struct tsig_ctx c;
		tsig_ctx_init(&c, st);
		return tsig_sign_next(&c, buf, len, cap, now);
	}
	/* BADKEY, BADSIG: unsigned (RFC 8945 5.3.2), MAC size 0. */
	*len += put_record(buf + *len, st->name, st->name_len, st->alg,
			   st->alg_len, now, NULL, 0,
			   wire_read_u16(buf + DNS_HDR_ID), st->error, NULL, 0);
	count_record(buf);
	return 0;
}

int tsig_sign_request(uint8_t *buf, size_t *len, size_t cap,
		      const struct tsig_key *k, uint64_t now,
		      struct tsig_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->key = k;
	c->first = true;
	c->request = true;
	if (tsig_sign_next(c, buf, len, cap, now) < 0) {
		c->first = true;
		return -1;
	}
	c->request = false;
	return 0;
}

void tsig_ctx_init(struct tsig_ctx *c, const struct tsig_state *st)
{
	c->key = st->key;
	c->error = st->error;
	c->first = true;
	c->request = false;
	c->other_time = st->result == TSIG_BADTIME;
	/* BADTIME: the request's time, ours in Other Data (RFC 8945 5.2.3,
	 * as BIND and Knot). */
	c->time_signed = c->other_time ? st->time_signed : 0;
	c->prev_len = st->mac_len;
	memcpy(c->prev, st->mac, st->mac_len);
}

size_t tsig_ctx_reserve(const struct tsig_ctx *c)
{
	if (!c->key)
		return 0;
	return (size_t)c->key->name_len + 10 +
	       tsig_algs[c->key->alg].wire_len + 16 +
	       tsig_algs[c->key->alg].mac_len + (c->other_time ? 6 : 0);
}

int tsig_sign_next(struct tsig_ctx *c, uint8_t *buf, size_t *len,
		   size_t cap, uint64_t now)
{
	const struct tsig_key *k = c->key;
	uint8_t pre[2], vars[8], mac[TSIG_MAC_MAX], other[6];
	static const uint8_t class_ttl[6] = { 0, DNS_CLASS_ANY, 0, 0, 0, 0 };
	uint64_t t = c->time_signed ? c->time_signed : now;
	size_t olen = c->other_time ? 6 : 0, hl;
	EVP_MAC_CTX *m;

	if (!k || *len < DNS_HDR_LEN || *len + tsig_ctx_reserve(c) > cap)
		return -1;
	hl = tsig_algs[k->alg].mac_len;
	wire_write_u16(pre, c->prev_len);
	put_u48(vars, t);
	wire_write_u16(vars + 6, TSIG_FUDGE);
	put_u48(other, now);
	if (!(m = mac_begin(k)) ||
	    (!c->request && (!mac_add(m, pre, 2) ||
			     !mac_add(m, c->prev, c->prev_len))) ||
	    !mac_add(m, buf, *len))
		return -1;
	if (c->first) {
		/* 4.3.1: every variable (4.3.3). */
		uint8_t errs[4];
		wire_write_u16(errs, c->error);
		wire_write_u16(errs + 2, (uint16_t)olen);
		if (!mac_add(m, k->name, k->name_len) ||
		    !mac_add(m, class_ttl, 6) ||
		    !mac_add(m, tsig_algs[k->alg].wire,
			     tsig_algs[k->alg].wire_len) ||
		    !mac_add(m, vars, 8) || !mac_add(m, errs, 4) ||
		    !mac_add(m, other, olen))
			return -1;
	} else if (!mac_add(m, vars, 8)) {   /* 4.3.2: the timers only */
		return -1;
	}
	if (mac_end(m, mac) != hl)
		return -1;
	*len += put_record(buf + *len, k->name, k->name_len,
			   tsig_algs[k->alg].wire, tsig_algs[k->alg].wire_len,
			   t, mac, hl, wire_read_u16(buf + DNS_HDR_ID),
			   c->first ? c->error : 0, other, olen);
	count_record(buf);
	memcpy(c->prev, mac, hl);
	c->prev_len = (uint16_t)hl;
	c->first = false;
	c->other_time = false;
	c->time_signed = 0;
	return 0;
}

/* --- keys copied out of a keyring --- */

struct tsig_key *tsig_key_dup(const struct tsig_key *k)
{
	struct tsig_key *c;

	if (!k || !(c = malloc(sizeof(*c))))
		return NULL;
	*c = *k;
	return c;
}

void tsig_key_free(struct tsig_key *k)
{
	if (k)
		OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

/* --- checking the answers to our own requests (RFC 8945 5.3.1) --- */

struct tsig_answer {
	struct tsig_key key;          /* a copy: outlives any reload */
	EVP_MAC_CTX *run;             /* the digest running since the last
					 signed message (or the request) */
	uint16_t id;                  /* the request's ID */
	unsigned unsigned_run;        /* unsigned messages since then */
	unsigned messages;
	bool last_signed;
};

/* A fresh context of a's key with the prior MAC fed in. */
static bool answer_restart(struct tsig_answer *a, const uint8_t *mac,
			   size_t maclen)
{
	uint8_t pre[2];
	OSSL_PARAM p[2];

	pthread_once(&tsig_once, tsig_init_once);
	if (!tsig_hmac)
		return false;
	if (!a->run) {
		if (!(a->run = EVP_MAC_CTX_new(tsig_hmac)))
			return false;
		p[0] = OSSL_PARAM_construct_utf8_string(
			OSSL_MAC_PARAM_DIGEST,
			(char *)tsig_algs[a->key.alg].digest, 0);
		p[1] = OSSL_PARAM_construct_end();
		if (!EVP_MAC_CTX_set_params(a->run, p))
			return false;
	}
	if (!EVP_MAC_init(a->run, a->key.secret, a->key.secret_len, NULL))
		return false;
	wire_write_u16(pre, (uint16_t)maclen);
	return mac_add(a->run, pre, 2) && mac_add(a->run, mac, maclen);
}

struct tsig_answer *tsig_answer_new(const struct tsig_ctx *req, uint16_t id)
{
	struct tsig_answer *a;

	if (!req->key || req->first || !(a = calloc(1, sizeof(*a))))
		return NULL;
	a->key = *req->key;
	a->id = id;
	if (!answer_restart(a, req->prev, req->prev_len)) {
		tsig_answer_free(a);
		return NULL;
	}
	return a;
}

void tsig_answer_free(struct tsig_answer *a)
{
	if (!a)
		return;
	EVP_MAC_CTX_free(a->run);
	OPENSSL_cleanse(&a->key, sizeof(a->key));
	free(a);
}

/* Where msg's TSIG record starts: the last record of the additional
 * section when its type is TSIG. 1 (found, *off), 0 (none), -1 (the
 * message cannot be walked). O(bytes): each record is skipped once. */
static int answer_find(const uint8_t *msg, size_t len, size_t *off)
{
	size_t o = DNS_HDR_LEN, last = 0;
	unsigned counts[4], total;

	if (len < DNS_HDR_LEN)
		return -1;
	for (int i = 0; i < 4; i++)
		counts[i] = wire_read_u16(msg + 4 + 2 * i);
	total = counts[1] + counts[2] + counts[3];
	for (unsigned i = 0; i < counts[0]; i++) {
		if (!wire_skip_name(msg, len, &o) || o + 4 > len)
			return -1;
		o += 4;
	}
	for (unsigned i = 0; i < total; i++) {
		last = o;
		if (!wire_skip_name(msg, len, &o) || o + 10 > len)
			return -1;
		o += 10 + (size_t)wire_read_u16(msg + o + 8);
		if (o > len)
			return -1;
	}
	if (!counts[3] || !last)
		return 0;
	{
		size_t t = last;

		if (!wire_skip_name(msg, len, &t))
			return -1;
		if (wire_read_u16(msg + t) != DNS_TYPE_TSIG)
			return 0;
	}
	*off = last;
	return 1;
}

static const char *tsig_error_text(uint16_t e)
{
	switch (e) {
	case DNS_TSIG_BADSIG:
		return "BADSIG";
	case DNS_TSIG_BADKEY:
		return "BADKEY";
	case DNS_TSIG_BADTIME:
		return "BADTIME";
	case DNS_TSIG_BADTRUNC:
		return "BADTRUNC";
	}
	return "an error";
}

#define ANSWER_FAIL(...) do { \
		snprintf(err, errlen, __VA_ARGS__); \
		return LV_ETSIG; \
	} while (0)

int tsig_answer_check(struct tsig_answer *a, uint8_t *msg, size_t *len,
		      uint64_t now, char *err, size_t errlen)
{
	static const uint8_t class_ttl[6] = { 0, DNS_CLASS_ANY, 0, 0, 0, 0 };
	const struct tsig_key *k = &a->key;
	uint8_t name[NAME_MAX_LEN], head[DNS_HDR_LEN], mac[TSIG_MAC_MAX];
	size_t off = 0, o, nl, rd, end, al, maclen, hl;
	const uint8_t *timers, *tail;
	uint16_t error;
	uint64_t t;
	int f = answer_find(msg, *len, &off);
	bool first = a->messages == 0;

	if (f < 0)
		ANSWER_FAIL("message %u cannot be read for its TSIG",
			    a->messages + 1);
	a->messages++;
	if (f == 0) {
		/* 5.3.1: the first must be signed, then at most 99 unsigned
		 * in a row; each goes whole into the next digest. */
		a->last_signed = false;
		if (first)
			ANSWER_FAIL("the first message is not signed");
		if (++a->unsigned_run > TSIG_UNSIGNED_MAX)
			ANSWER_FAIL("more than %d unsigned messages in a row",
				    TSIG_UNSIGNED_MAX);
		if (!mac_add(a->run, msg, *len))
			ANSWER_FAIL("HMAC failed");
		return 0;
	}
	o = off;
	if (!(nl = read_name(msg, *len, &o, name)) || o + 10 > *len)
		ANSWER_FAIL("malformed TSIG record");
	rd = o + 10;
	end = rd + wire_read_u16(msg + o + 8);
	if (end != *len || memcmp(msg + o + 2, class_ttl, 6) != 0)
		ANSWER_FAIL("malformed TSIG record");
	al = tsig_algs[k->alg].wire_len;
	if (nl != k->name_len || memcmp(name, k->name, nl) != 0 ||
	    end - rd < al + 16 || !name_equal_ci(msg + rd, tsig_algs[k->alg].wire))
		ANSWER_FAIL("signed with another key or algorithm");
	timers = msg + rd + al;
	maclen = wire_read_u16(timers + 8);
	if (end - (rd + al) < 10 + maclen + 6)
		ANSWER_FAIL("malformed TSIG record");
	tail = timers + 10 + maclen;
	if ((size_t)(msg + end - tail) != 6 + (size_t)wire_read_u16(tail + 4))
		ANSWER_FAIL("malformed TSIG record");
	error = wire_read_u16(tail + 2);
	if (error)
		ANSWER_FAIL("the primary answered TSIG %s (%u): wrong key?",
			    tsig_error_text(error), error);
	hl = tsig_algs[k->alg].mac_len;
	if (maclen != hl)
		ANSWER_FAIL("MAC of %zu bytes, %zu expected", maclen, hl);
	if (wire_read_u16(tail) != a->id)
		ANSWER_FAIL("TSIG Original ID is not the request's");
	/* The digest: the prior MAC and unsigned messages (in a->run), this
	 * message as signed (Original ID, ARCOUNT without the TSIG), then
	 * every variable (first) or the timers only (4.3.2, 5.3.1). */
	memcpy(head, msg, DNS_HDR_LEN);
	wire_write_u16(head + DNS_HDR_ID, wire_read_u16(tail));
	wire_write_u16(head + DNS_HDR_ARCOUNT,
		       (uint16_t)(wire_read_u16(msg + DNS_HDR_ARCOUNT) - 1));
	if (!mac_add(a->run, head, DNS_HDR_LEN) ||
	    !mac_add(a->run, msg + DNS_HDR_LEN, off - DNS_HDR_LEN))
		ANSWER_FAIL("HMAC failed");
	if (first) {
		if (!mac_add(a->run, k->name, k->name_len) ||
		    !mac_add(a->run, class_ttl, 6) ||
		    !mac_add(a->run, tsig_algs[k->alg].wire, al) ||
		    !mac_add(a->run, timers, 8) ||
		    !mac_add(a->run, tail + 2, (size_t)(msg + end - (tail + 2))))
			ANSWER_FAIL("HMAC failed");
	} else if (!mac_add(a->run, timers, 8)) {
		ANSWER_FAIL("HMAC failed");
	}
	if (mac_end(a->run, mac) != hl ||
	    CRYPTO_memcmp(mac, timers + 10, hl) != 0)
		ANSWER_FAIL("the MAC of message %u does not verify (BADSIG)",
			    a->messages);
	t = get_u48(timers);
	if ((now > t ? now - t : t - now) > wire_read_u16(timers + 6))
		ANSWER_FAIL("message %u signed at %llu, now %llu: outside "
			    "its fudge (BADTIME)", a->messages,
			    (unsigned long long)t, (unsigned long long)now);
	if (!answer_restart(a, mac, hl))
		ANSWER_FAIL("HMAC failed");
	a->unsigned_run = 0;
	a->last_signed = true;
	/* the record goes: the parsers behind see the message unsigned */
	*len = off;
	wire_write_u16(msg + DNS_HDR_ARCOUNT,
		       (uint16_t)(wire_read_u16(msg + DNS_HDR_ARCOUNT) - 1));
	return 1;
}

int tsig_answer_end(const struct tsig_answer *a, char *err, size_t errlen)
{
	if (!a->messages || !a->last_signed)
		ANSWER_FAIL("the last message is not signed");
	return 0;
}
