/* cookie.c -- DNS Cookies (RFC 7873, RFC 9018): server cookies and secrets.
 *
 * The hash is libsodium's crypto_shorthash (SipHash-2-4), the derived
 * secrets libsodium's crypto_kdf (BLAKE2b) with the period as subkey id; no
 * cryptography is written here. A context is immutable after
 * cookie_ctx_new(): reactors share it without locks. The only mutable state
 * is a small per-thread cache of derived secrets (__thread, so no sharing),
 * keyed by the context's serial number and the period; a miss costs one
 * KDF, which happens about once per lifetime per reactor.
 *
 * Validation order: the secret most likely to match first (current, then
 * previous, then next in static mode; in derived mode the one secret the
 * cookie's own timestamp names), so a good cookie costs one hash.
 */
#include "ratelimit/cookie.h"

#include <errno.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define COOKIE_KDF_CONTEXT "LvCookie"   /* crypto_kdf_CONTEXTBYTES = 8 */
#define COOKIE_CACHE_SLOTS 4

struct cookie_ctx {
	uint64_t serial;             /* tells cached derived secrets apart */
	bool derived;
	uint32_t lifetime;           /* derived mode */
	uint8_t master[COOKIE_MASTER_LEN];
	uint8_t secret[COOKIE_SECRET_LEN];     /* static mode: current */
	uint8_t previous[COOKIE_SECRET_LEN];
	uint8_t next[COOKIE_SECRET_LEN];
	bool have_previous;
	bool have_next;
};

struct cookie_cache_slot {
	uint64_t serial;             /* 0: empty */
	uint32_t period;
	uint8_t key[COOKIE_SECRET_LEN];
};

static __thread struct cookie_cache_slot cookie_cache[COOKIE_CACHE_SLOTS];
static __thread unsigned cookie_cache_next;
static uint64_t cookie_serials;   /* atomic */

struct cookie_ctx *cookie_ctx_new(const struct cookie_params *p)
{
	struct cookie_ctx *ctx;
	bool derived = p->master_key || p->lifetime;

	if (derived && (p->secret || p->secret_previous || p->secret_next)) {
		errno = EINVAL;
		return NULL;
	}
	if (!p->secret && (p->secret_previous || p->secret_next)) {
		errno = EINVAL;
		return NULL;
	}
	if (sodium_init() < 0) {
		errno = EIO;
		return NULL;
	}
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		errno = ENOMEM;
		return NULL;
	}
	ctx->serial = __atomic_add_fetch(&cookie_serials, 1, __ATOMIC_RELAXED);
	ctx->derived = derived;
	if (derived) {
		ctx->lifetime = p->lifetime ? p->lifetime : COOKIE_LIFETIME_DEFAULT;
		if (p->master_key)
			memcpy(ctx->master, p->master_key, COOKIE_MASTER_LEN);
		else
			randombytes_buf(ctx->master, COOKIE_MASTER_LEN);
		return ctx;
	}
	if (p->secret)
		memcpy(ctx->secret, p->secret, COOKIE_SECRET_LEN);
	else
		randombytes_buf(ctx->secret, COOKIE_SECRET_LEN);
	if (p->secret_previous) {
		memcpy(ctx->previous, p->secret_previous, COOKIE_SECRET_LEN);
		ctx->have_previous = true;
	}
	if (p->secret_next) {
		memcpy(ctx->next, p->secret_next, COOKIE_SECRET_LEN);
		ctx->have_next = true;
	}
	return ctx;
}

void cookie_ctx_free(struct cookie_ctx *ctx)
{
	if (!ctx)
		return;
	sodium_memzero(ctx, sizeof(*ctx));
	free(ctx);
}

bool cookie_ts_ok(uint32_t ts, uint32_t now)
{
	int32_t age = (int32_t)(now - ts);

	return age <= COOKIE_MAX_AGE && age >= -COOKIE_MAX_FUTURE;
}

/* The hash input: cc | version | reserved | timestamp | address (4 or 16).
 * hdr is the 8 bytes version..timestamp. Returns its length, 0 for an
 * unsupported family. */
static size_t cookie_input(uint8_t in[8 + 8 + 16],
			   const uint8_t cc[COOKIE_CLIENT_LEN],
			   const uint8_t hdr[8], const struct sockaddr *sa)
{
	memcpy(in, cc, 8);
	memcpy(in + 8, hdr, 8);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *a4 = (const struct sockaddr_in *)sa;

		memcpy(in + 16, &a4->sin_addr, 4);
		return 20;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)sa;

		memcpy(in + 16, &a6->sin6_addr, 16);
		return 32;
	}
	return 0;
}

int cookie_server_make(const uint8_t secret[COOKIE_SECRET_LEN],
		       const uint8_t cc[COOKIE_CLIENT_LEN], uint32_t ts,
		       const struct sockaddr *sa,
		       uint8_t out[COOKIE_SERVER_LEN])
{
	uint8_t in[32];
	size_t n;

	out[0] = 1;
	out[1] = out[2] = out[3] = 0;
	out[4] = (uint8_t)(ts >> 24);
	out[5] = (uint8_t)(ts >> 16);
	out[6] = (uint8_t)(ts >> 8);
	out[7] = (uint8_t)ts;
	n = cookie_input(in, cc, out, sa);
	if (!n)
		return -EAFNOSUPPORT;
	crypto_shorthash(out + 8, in, n, secret);
	return 0;
}

bool cookie_server_matches(const uint8_t secret[COOKIE_SECRET_LEN],
			   const uint8_t cc[COOKIE_CLIENT_LEN],
			   const uint8_t *sc, size_t sc_len,
			   const struct sockaddr *sa)
{
	uint8_t in[32], h[crypto_shorthash_BYTES];
	size_t n;

	if (sc_len != COOKIE_SERVER_LEN || sc[0] != 1)
		return false;
	n = cookie_input(in, cc, sc, sa);
	if (!n)
		return false;
	crypto_shorthash(h, in, n, secret);
	return sodium_memcmp(h, sc + 8, sizeof(h)) == 0;
}

/* The timestamp of a server cookie (bytes 4..7, network order). */
static uint32_t wire_ts(const uint8_t *sc)
{
	return ((uint32_t)sc[4] << 24) | ((uint32_t)sc[5] << 16) |
	       ((uint32_t)sc[6] << 8) | sc[7];
}

/* The derived secret of period, from this thread's cache or the KDF. */
static const uint8_t *cookie_period_key(const struct cookie_ctx *ctx,
					uint32_t period)
{
	struct cookie_cache_slot *s;

	for (unsigned i = 0; i < COOKIE_CACHE_SLOTS; i++) {
		s = &cookie_cache[i];
		if (s->serial == ctx->serial && s->period == period)
			return s->key;
	}
	s = &cookie_cache[cookie_cache_next++ % COOKIE_CACHE_SLOTS];
	crypto_kdf_derive_from_key(s->key, sizeof(s->key), period,
				   COOKIE_KDF_CONTEXT, ctx->master);
	s->serial = ctx->serial;
	s->period = period;
	return s->key;
}

/* The secret new cookies are minted with at now. */
static const uint8_t *cookie_mint_key(const struct cookie_ctx *ctx,
				      uint32_t now)
{
	return ctx->derived ? cookie_period_key(ctx, now / ctx->lifetime)
			    : ctx->secret;
}

int cookie_check(const struct cookie_ctx *ctx, const struct sockaddr *sa,
		 const uint8_t *opt, size_t len, uint32_t now,
		 uint8_t reply[COOKIE_REPLY_LEN])
{
	const uint8_t *sc = opt + COOKIE_CLIENT_LEN;
	size_t sc_len = len - COOKIE_CLIENT_LEN;
	int status = COOKIE_CLIENT_ONLY;
	bool fresh = false;   /* the received cookie can be echoed */

	if (!sa || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return COOKIE_OFF;
	if (sc_len > 0) {
		status = COOKIE_INVALID;
		if (sc_len == COOKIE_SERVER_LEN &&
		    cookie_ts_ok(wire_ts(sc), now)) {
			uint32_t ts = wire_ts(sc);

			if (ctx->derived) {
				uint32_t period = ts / ctx->lifetime;

				if (cookie_server_matches(
					    cookie_period_key(ctx, period),
					    opt, sc, sc_len, sa)) {
					status = COOKIE_VALID;
					fresh = period == now / ctx->lifetime;
				}
			} else if (cookie_server_matches(ctx->secret, opt, sc,
							 sc_len, sa)) {
				status = COOKIE_VALID;
				fresh = true;
			} else if ((ctx->have_previous &&
				    cookie_server_matches(ctx->previous, opt,
							  sc, sc_len, sa)) ||
				   (ctx->have_next &&
				    cookie_server_matches(ctx->next, opt, sc,
							  sc_len, sa))) {
				status = COOKIE_VALID;
			}
			/* Echo only a cookie minted as we would now mint
			 * it: version 1, reserved 0, under half an hour. */
			fresh = fresh && (sc[1] | sc[2] | sc[3]) == 0 &&
				(int32_t)(now - ts) <= COOKIE_REFRESH_AGE;
		}
	}
	memcpy(reply, opt, COOKIE_CLIENT_LEN);
	if (fresh)
		memcpy(reply + COOKIE_CLIENT_LEN, sc, COOKIE_SERVER_LEN);
	else
		cookie_server_make(cookie_mint_key(ctx, now), opt, now, sa,
				   reply + COOKIE_CLIENT_LEN);
	return status;
}
