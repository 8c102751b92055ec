/* notify.h -- NOTIFY out (RFC 1996): telling secondaries a zone changed.
 *
 * On the main loop. notifier_send() starts, for one zone and one target
 * address, a NOTIFY (opcode 4, AA, the apex SOA in the question and the new
 * SOA in the answer) sent from a socket of the notifier's own, and tries
 * again after 1, 2, 4 and 8 seconds while no reply with its ID comes from
 * that address (NOTIFY_TRIES sends in all, as knotd's default), then gives
 * up with a warning. Any reply ends it (an error rcode is logged). A new
 * send for the same zone and target replaces the one pending (only the
 * newest serial matters), so the notifier holds at most one job per zone
 * and configured target: what the operator configured, nothing a stranger
 * can grow. Replies from other addresses or with other IDs are dropped.
 * A signer hook lets TSIG sign each message (NULL: unsigned).
 */
#ifndef LEVEE_SERVER_NOTIFY_H
#define LEVEE_SERVER_NOTIFY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#define NOTIFY_TRIES 5
#define NOTIFY_FIRST_TIMEOUT_MS 1000

struct notifier;
struct tsig_key;

/* Counters, for status and tests. */
struct notify_stats {
	unsigned long sent;        /* datagrams, retries included */
	unsigned long answered;    /* jobs ended by a NOERROR reply */
	unsigned long refused;     /* jobs ended by an error reply */
	unsigned long gave_up;     /* jobs that ran out of tries */
	unsigned long pending;     /* jobs now */
};

/* A notifier on loop with its own UDP sockets (IPv4 and IPv6, whichever
 * the host has); first_ms: the wait after the first try (0: the default,
 * NOTIFY_FIRST_TIMEOUT_MS; tests pass less), doubled after each. NULL with
 * the reason in err. */
struct notifier *notifier_new(uv_loop_t *loop, unsigned first_ms, char *err,
			      size_t errlen);

/* Starts (or restarts) the NOTIFY of zone `domain` (for the log; apex its
 * lowercase wire name) at serial to target. soa_rr: the apex SOA record as
 * zone.h stores it (TYPE CLASS TTL RDLENGTH RDATA), copied. key: signs the
 * message (TSIG, tsig.h; signed once, at the first try: the retries fall
 * well inside the fudge), or NULL. The reply's TSIG is not checked. 0, or -ENOMEM
 * / -EAFNOSUPPORT (nothing started). */
int notifier_send(struct notifier *n, const char *domain,
		  const uint8_t *apex, uint32_t serial, const uint8_t *soa_rr,
		  size_t soa_len, const struct sockaddr *target,
		  socklen_t target_len, const struct tsig_key *key);

void notifier_stats(const struct notifier *n, struct notify_stats *out);

/* Cancels every job and closes the sockets; freed once the handles have
 * closed on the loop. NULL accepted. */
void notifier_free(struct notifier *n);

#endif
