/* cookie.h -- DNS Cookies (RFC 7873) with interoperable server cookies
 * (RFC 9018): minting and validating server cookies, secret rollover.
 *
 * A server cookie is 16 bytes: version 1, three reserved bytes, a 32-bit
 * timestamp (seconds, serial arithmetic) and the SipHash-2-4 (libsodium
 * crypto_shorthash) of client cookie | version | reserved | timestamp |
 * client address, keyed with a 128-bit secret. A struct cookie_ctx holds the
 * secrets and is built once by the main thread (cookie_ctx_new), then only
 * read by every reactor without locks until cookie_ctx_free().
 *
 * Secrets come in two modes:
 *  - static: a current secret (configured or drawn with randombytes_buf),
 *    an optional previous one (still accepted) and an optional next one
 *    (accepted before it becomes current), the rollover of RFC 9018 4.4;
 *  - derived: secret(period) = crypto_kdf(master key, period), period =
 *    timestamp / lifetime. Every node of an anycast set with the same
 *    master key and lifetime mints with the same secret in the same period
 *    and validates a cookie with the secret of the period its own timestamp
 *    names, so nodes rotate in step without talking to each other. Derived
 *    secrets are cached per thread (a few entries): a KDF runs once per
 *    period change per reactor, never per query.
 *
 * The query path (cookie_check) allocates nothing, locks nothing and makes
 * no system call; it hashes at most three times to validate (current,
 * previous, next: one for a good cookie under the current secret) and once
 * to mint.
 */
#ifndef LEVEE_RATELIMIT_COOKIE_H
#define LEVEE_RATELIMIT_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sockaddr;
struct cookie_ctx;

#define COOKIE_OPT_CODE 10         /* EDNS option code */
#define COOKIE_CLIENT_LEN 8
#define COOKIE_SERVER_MIN 8
#define COOKIE_SERVER_MAX 32
#define COOKIE_SERVER_LEN 16       /* the RFC 9018 cookies we mint */
#define COOKIE_REPLY_LEN (COOKIE_CLIENT_LEN + COOKIE_SERVER_LEN)
#define COOKIE_SECRET_LEN 16
#define COOKIE_MASTER_LEN 32

#define COOKIE_MAX_AGE 3600        /* a server cookie older is invalid */
#define COOKIE_MAX_FUTURE 300      /* a timestamp further ahead is invalid */
#define COOKIE_REFRESH_AGE 1800    /* older than this: mint a fresh one */
#define COOKIE_LIFETIME_MIN 3600   /* shortest derived-secret period */
#define COOKIE_LIFETIME_DEFAULT 86400

/* What a query's COOKIE option proved, for the engine, RRL and statistics. */
enum cookie_status {
	COOKIE_OFF = 0,           /* cookies not processed (off, no client address) */
	COOKIE_NONE,              /* cookies on, the query carried no COOKIE */
	COOKIE_CLIENT_ONLY,       /* a client cookie without a server cookie */
	COOKIE_VALID,             /* a server cookie we minted, in its window */
	COOKIE_INVALID,           /* a server cookie that did not verify */
};

/* cookies: require: */
enum cookie_require {
	COOKIE_REQUIRE_OFF = 0,
	COOKIE_REQUIRE_ON,
	COOKIE_REQUIRE_UNDER_ATTACK, /* follows the attack state: server/udp.c
					answers with require ON while
					attack.h says engaged */
};

/* How to build a context. Byte arrays are copied; NULL = not given. */
struct cookie_params {
	const uint8_t *secret;          /* COOKIE_SECRET_LEN: current */
	const uint8_t *secret_previous; /* still accepted */
	const uint8_t *secret_next;     /* accepted, not yet used to mint */
	const uint8_t *master_key;      /* COOKIE_MASTER_LEN: derived mode */
	uint32_t lifetime;              /* seconds per derived secret; 0: static */
};

/* Builds a context. Static mode when lifetime == 0 and no master key: the
 * current secret is p->secret or random. Derived mode otherwise: the master
 * key is p->master_key or random (one node only), the lifetime p->lifetime
 * or COOKIE_LIFETIME_DEFAULT; secrets cannot be combined with a master key.
 * Calls sodium_init(). Returns NULL with errno set (EINVAL: bad
 * combination, ENOMEM, EIO: libsodium failed). Main only. */
struct cookie_ctx *cookie_ctx_new(const struct cookie_params *p);

/* Wipes and frees ctx (NULL accepted). Main only, after the reactors stop. */
void cookie_ctx_free(struct cookie_ctx *ctx);

/* True when the timestamp ts is inside the validity window at now: at most
 * COOKIE_MAX_AGE old and at most COOKIE_MAX_FUTURE ahead (serial
 * arithmetic, so the 2106 wrap is harmless). Pure. */
bool cookie_ts_ok(uint32_t ts, uint32_t now);

/* The RFC 9018 server cookie for client cookie cc from address sa (AF_INET
 * or AF_INET6) at time ts, keyed with secret, into out (16 bytes: version 1,
 * reserved 0). Returns 0, or -EAFNOSUPPORT for another family. Pure. */
int cookie_server_make(const uint8_t secret[COOKIE_SECRET_LEN],
		       const uint8_t cc[COOKIE_CLIENT_LEN], uint32_t ts,
		       const struct sockaddr *sa,
		       uint8_t out[COOKIE_SERVER_LEN]);

/* True when sc (server cookie of sc_len bytes received with client cookie
 * cc from sa) is version 1, 16 bytes long, and its hash matches under
 * secret; the reserved bytes are hashed as received (RFC 9018 A.3). The
 * timestamp is not checked here. Pure. */
bool cookie_server_matches(const uint8_t secret[COOKIE_SECRET_LEN],
			   const uint8_t cc[COOKIE_CLIENT_LEN],
			   const uint8_t *sc, size_t sc_len,
			   const struct sockaddr *sa);

/* Processes the payload of a query's COOKIE option, opt[0..len) (len 8 or
 * 16..40: the caller has rejected other lengths with FORMERR), from client
 * sa at time now. Writes the reply's option payload (client cookie and a
 * server cookie, COOKIE_REPLY_LEN bytes) into reply: the received server
 * cookie when it is valid, minted under the current secret and at most
 * COOKIE_REFRESH_AGE old; a fresh one otherwise. Returns COOKIE_CLIENT_ONLY,
 * COOKIE_VALID or COOKIE_INVALID, or COOKIE_OFF (reply untouched) when sa
 * is neither IPv4 nor IPv6. Reactor threads and tests; reentrant; at most
 * four SipHash runs (three to validate, one to mint) and, in derived mode,
 * a KDF only when the thread's cache misses a period. */
int cookie_check(const struct cookie_ctx *ctx, const struct sockaddr *sa,
		 const uint8_t *opt, size_t len, uint32_t now,
		 uint8_t reply[COOKIE_REPLY_LEN]);

#endif
