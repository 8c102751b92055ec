/* tsig.h -- TSIG (RFC 8945): verifying requests, signing replies and
 * every message of a multi-message transfer, with HMAC-SHA1/256/384/512.
 *
 * A keyring (name, algorithm, secret) is built once from the configuration
 * on the main thread and then only read, by every reactor. The query path
 * (query.c) hands tsig_verify() a request whose parser found a TSIG record
 * (wire.h: tsig_off, the last record of the additional section); the
 * verdict and what the reply's TSIG needs land in a struct tsig_state the
 * caller owns. The answer is rendered with tsig_reply_size() bytes kept
 * free (answer.h: tsig_reserve), and tsig_sign_reply() appends the TSIG
 * record into that room: signed (RFC 8945 4.3.1: the request MAC, the
 * reply, the TSIG variables) or, for BADKEY and BADSIG, unsigned (MAC size
 * 0, 5.3.2).
 *
 * Transfers (RFC 8945 5.3.1): each message of an AXFR/IXFR answer is
 * signed, the first as a reply, each later one over the previous MAC, the
 * message and the timers only (4.3.2):
 *
 *     struct tsig_ctx tx;
 *     tsig_ctx_init(&tx, &q->tsig);   // q->tsig: verdict TSIG_OK
 *     for each message m (rendered in a buffer of cap bytes, with
 *                         tsig_ctx_reserve(&tx) bytes kept free):
 *             if (tsig_sign_next(&tx, m, &m_len, cap, now) < 0) fail;
 *
 * The context copies what it needs (the key is the keyring's: it lives as
 * long as the configuration). We sign every message, not every 100th.
 * Our own requests (NOTIFY out, queries to a primary) are signed with
 * tsig_sign_request(); the answers to them (one message, or every
 * message of a transfer in) are checked with a struct tsig_answer:
 *
 *     tsig_sign_request(q, &ql, cap, key, now, &rq);
 *     struct tsig_answer *a = tsig_answer_new(&rq, id);
 *     for each message m: rc = tsig_answer_check(a, m, &m_len, now, ...);
 *             // 1 signed and valid (its TSIG cut off), 0 unsigned
 *             // (allowed between signed ones), LV_ETSIG: give up
 *     at the end: tsig_answer_end(a, ...)   // the last must be signed
 *
 * RFC 8945 5.3.1: the first and the last message must be signed, at most
 * TSIG_UNSIGNED_MAX unsigned in a row, each unsigned one fed whole into
 * the digest of the next signed one (so their bytes are verified too).
 * Requests, replies, BADTIME replies and transfer messages signed here are
 * byte for byte what dnspython signs (tests/unit/test_tsig.c).
 *
 * Work: tsig_verify() reads the TSIG record once, compares the key name
 * with at most TSIG_KEYS_MAX configured names (<= TSIG_NAME_MAX bytes
 * each), and computes at most one HMAC, over the request's bytes before
 * the TSIG record plus at most 2 x 255 + 18 + 65535 bytes of variables,
 * and only when the name and algorithm are a configured key's: a stranger
 * who knows no key name costs no HMAC; one who knows a name but not its
 * secret costs one and gets an unsigned BADSIG; only a replay of a message
 * the key's holder signed costs two (the verification, then the signed
 * answer or BADTIME). Signing is one HMAC over the reply plus at most
 * 183 bytes (the previous MAC, the key name, the variables). State a stranger can make us hold: none
 * (no cache of Time Signed per key, RFC 8945 5.2.3's SHOULD, so a replay
 * within the fudge is answered); each thread keeps one OpenSSL context
 * per algorithm, whoever asks. The MAC compare
 * is constant time (CRYPTO_memcmp). OpenSSL 3.0's HMAC allocates a few
 * small blocks per MAC (its provider duplicates a digest context); the
 * contexts themselves are per thread, made on first use.
 *
 * Reactor threads and tests call the verify and sign functions; the
 * keyring is built and freed on the main thread.
 */
#ifndef LEVEE_SERVER_TSIG_H
#define LEVEE_SERVER_TSIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A configured key's name is at most this many wire octets (a 78-character
 * name): then the largest signed reply's fixed part, header, the longest
 * question (271), the OPT without NSID (45) and the TSIG record (<= 80 +
 * 10 + 13 + 16 + 64 + 6 = 189), fits the 512 bytes of a UDP reply. */
#define TSIG_NAME_MAX 80
#define TSIG_SECRET_MAX 128          /* bytes of a key's secret */
#define TSIG_MAC_MAX 64              /* HMAC-SHA512 */
#define TSIG_KEYS_MAX 64             /* keys in one keyring */
#define TSIG_FUDGE 300               /* seconds, in what we sign */
#define TSIG_UNSIGNED_MAX 99         /* unsigned answer messages in a row
					(RFC 8945 5.3.1) */

enum tsig_alg {
	TSIG_HMAC_SHA1,
	TSIG_HMAC_SHA256,
	TSIG_HMAC_SHA384,
	TSIG_HMAC_SHA512,
	TSIG_ALG_COUNT,
};

/* tsig_verify() verdicts (RFC 8945 5.2, in its order of checks). */
enum tsig_result {
	TSIG_NONE = 0,     /* no TSIG record */
	TSIG_OK,           /* valid: sign the reply */
	TSIG_FORMERR,      /* the record cannot be read, or a MAC size the RFC
			      forbids (5.2.2.1): FORMERR, unsigned */
	TSIG_BADKEY,       /* unknown key or algorithm: NOTAUTH, unsigned */
	TSIG_BADSIG,       /* the MAC does not verify: NOTAUTH, unsigned */
	TSIG_BADTIME,      /* outside the fudge: NOTAUTH, signed, Other Data
			      our time (5.2.3) */
	TSIG_BADTRUNC,     /* a truncated MAC (allowed by 5.2.2.1, shorter than
			      our policy: full length): NOTAUTH, signed */
};

struct tsig_key;
struct tsig_keyring;

/* What the reply's TSIG needs, filled by tsig_verify(). Owned by the
 * caller (on its stack, or in struct query). */
struct tsig_state {
	uint8_t result;               /* enum tsig_result */
	uint16_t error;               /* the TSIG error field of the reply */
	const struct tsig_key *key;   /* signing key; NULL: unsigned reply */
	uint64_t time_signed;         /* the request's */
	uint16_t orig_id;             /* the request's Original ID */
	uint16_t mac_len;             /* the request's MAC (as sent, maybe
					 truncated) */
	uint8_t mac[TSIG_MAC_MAX];
	/* Unsigned replies echo the request's key and algorithm names
	 * (lowercase wire); name_len 0: there is nothing to echo. */
	uint8_t name_len, alg_len;
	uint8_t name[255];
	uint8_t alg[255];
};

/* The multi-message signing context (see the file comment). */
struct tsig_ctx {
	const struct tsig_key *key;
	uint16_t error;
	uint64_t time_signed;         /* 0: now, at each message */
	bool first;                   /* next message is the first */
	bool request;                 /* it is a request: no MAC before it */
	bool other_time;              /* the next message is the reply to a
					 BADTIME: Other Data is our time */
	uint16_t prev_len;
	uint8_t prev[TSIG_MAC_MAX];   /* the request's MAC, then each of ours */
};

/* --- the keyring (main thread) --- */

/* An empty keyring, or NULL (out of memory). */
struct tsig_keyring *tsig_keyring_new(void);

/* Frees kr and its keys (NULL accepted). Main only, once no thread can
 * still use it. */
void tsig_keyring_free(struct tsig_keyring *kr);

/* Adds a key named name (text, "key.example." or "key.example"; letters,
 * digits, '-', '_' and dots, <= TSIG_NAME_MAX wire octets), with
 * algorithm alg and secret[0..len) (1..TSIG_SECRET_MAX bytes, copied).
 * Returns 0, -EINVAL (bad name or secret), -EEXIST (a key of that name is
 * there), -ENOSPC (TSIG_KEYS_MAX keys) or -ENOMEM. */
int tsig_keyring_add(struct tsig_keyring *kr, const char *name,
		     enum tsig_alg alg, const uint8_t *secret, size_t len);

/* The index (in the order added) of the key named name (text, as
 * tsig_keyring_add() takes it, case ignored), or -1 (none, kr NULL). */
int tsig_keyring_find(const struct tsig_keyring *kr, const char *name);

/* Number of keys in kr (0 for NULL). */
size_t tsig_keyring_count(const struct tsig_keyring *kr);

/* "hmac-sha256" etc. (case ignored, a trailing dot allowed) -> alg.
 * Returns the enum tsig_alg, or -1 for an unknown name. */
int tsig_alg_from_text(const char *text);

/* The algorithm's name ("hmac-sha256"). */
const char *tsig_alg_name(enum tsig_alg alg);

/* The key's name, lowercase wire (for logs and ACL checks). */
const uint8_t *tsig_key_name(const struct tsig_key *k);

/* The index of k (a key of kr, as tsig_verify() hands it out) in the order
 * added: the bit of config_acl.keys that names it. */
size_t tsig_key_index(const struct tsig_keyring *kr, const struct tsig_key *k);

/* Key i of kr (in the order added), or NULL past the last. */
const struct tsig_key *tsig_keyring_key(const struct tsig_keyring *kr,
					size_t i);

/* --- requests and replies (any thread) --- */

/* Verifies the TSIG record of request msg[0..len) at tsig_off (the parser's
 * wire_query.tsig_off, nonzero: the owner of the last record of the
 * additional section, type TSIG) against kr (NULL: no keys: BADKEY) at
 * wall-clock second now. Fills st and returns st->result, never TSIG_NONE.
 * At most one HMAC (file comment). */
int tsig_verify(const uint8_t *msg, size_t len, size_t tsig_off,
		const struct tsig_keyring *kr, uint64_t now,
		struct tsig_state *st);

/* Bytes tsig_sign_reply() will append for st (0: none, TSIG_FORMERR). At
 * most 189 for a signed reply (TSIG_NAME_MAX), 2 x 255 + 26 unsigned. */
size_t tsig_reply_size(const struct tsig_state *st);

/* Appends the reply's TSIG record for st to the finished reply
 * buf[0..*len) (its header's ARCOUNT not yet counting it) and counts it:
 * signed when st->key, else unsigned with st's error. cap: the bytes buf
 * may hold. Returns 0 (*len grown by tsig_reply_size(st)), or -1 when it
 * does not fit or st has nothing to sign (buf unchanged). */
int tsig_sign_reply(uint8_t *buf, size_t *len, size_t cap,
		    const struct tsig_state *st, uint64_t now);

/* Signs a request of ours (a NOTIFY, a query to a primary) with key k:
 * appends and counts the TSIG record (RFC 8945 4.3.1: no MAC before the
 * message; Original ID the message's ID; fudge TSIG_FUDGE). c is filled
 * with the request's MAC (c->prev) for checking the answer. Returns 0, or
 * -1 when the record does not fit cap (nothing changed). */
int tsig_sign_request(uint8_t *buf, size_t *len, size_t cap,
		      const struct tsig_key *k, uint64_t now,
		      struct tsig_ctx *c);

/* Starts a multi-message signing context from a verified request (st with
 * a key: TSIG_OK, or BADTIME/BADTRUNC). */
void tsig_ctx_init(struct tsig_ctx *c, const struct tsig_state *st);

/* Bytes tsig_sign_next() appends to each message of c. */
size_t tsig_ctx_reserve(const struct tsig_ctx *c);

/* Signs the next message buf[0..*len) of c (its ARCOUNT not counting the
 * TSIG record), appending and counting the record: the first as a reply
 * (prefixed with the request MAC, all the TSIG variables), each later one
 * prefixed with the previous MAC, over the timers only (RFC 8945 4.3.2).
 * Returns 0, or -1 when the record does not fit cap (nothing changed; the
 * context unchanged too). */
int tsig_sign_next(struct tsig_ctx *c, uint8_t *buf, size_t *len,
		   size_t cap, uint64_t now);

/* --- keys outside their keyring, answers to our requests --- */

/* A copy of k (malloc'd: for a worker that may outlive a reload's
 * keyring), or NULL. tsig_key_free() wipes and frees it (NULL
 * accepted). */
struct tsig_key *tsig_key_dup(const struct tsig_key *k);
void tsig_key_free(struct tsig_key *k);

struct tsig_answer;

/* A checker for the answer to the request that tsig_sign_request() signed
 * into req (its ID id). Copies the key. NULL when out of memory or req
 * was not signed. Any thread; one checker, one thread at a time. */
struct tsig_answer *tsig_answer_new(const struct tsig_ctx *req, uint16_t id);

/* Checks the next answer message msg[0..*len) at wall-clock second now.
 * Returns 1: signed with the request's key, the MAC (over the prior MAC,
 * the unsigned messages since, this message) and the time valid; the TSIG
 * record is cut off (*len shrunk, ARCOUNT less one). 0: unsigned and
 * allowed (not the first, at most TSIG_UNSIGNED_MAX in a row), fed to the
 * digest. LV_ETSIG: the transfer must be dropped, the reason (a TSIG
 * error the peer sent, another key, BADSIG, BADTIME, unsigned first
 * message...) in err. Work: one walk of the message and one HMAC pass
 * over it. */
int tsig_answer_check(struct tsig_answer *a, uint8_t *msg, size_t *len,
		      uint64_t now, char *err, size_t errlen);

/* After the last message: 0 when it was signed, else LV_ETSIG (err). */
int tsig_answer_end(const struct tsig_answer *a, char *err, size_t errlen);

/* NULL accepted. */
void tsig_answer_free(struct tsig_answer *a);

#endif
