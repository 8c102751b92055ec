/* notify_in.h -- NOTIFY in (RFC 1996): which secondary zone may be
 * notified by whom, and the hand-off from the reactors to main.
 *
 * Main builds a table from the configuration: every zone with primaries:
 * (a secondary) under its lowercase apex, with the addresses of its acl
 * entries whose action is notify (and the keys such an entry names) and
 * the addresses of its primaries whose remote: has a key. A NOTIFY from
 * such a primary must be signed with that key (TSIG, verified by the
 * pipeline before: tsig.h), one from an acl entry naming keys with one
 * of them; anything else is NOTAUTH. A reactor's pipeline (query.c) asks
 * notify_in_note() for each NOTIFY: an allowed one marks the zone pending
 * (one atomic exchange) and, only when it was not pending yet, puts the
 * zone in the table's queue and wakes main (the wake hook: uv_async_send). So a flood of
 * NOTIFYs costs each one hash probe, the acl check (at most
 * CONFIG_MAX_TRUSTED addresses) and one atomic operation, and however many
 * arrive for a zone, main sees it once until it has taken it: the queue
 * holds at most one place per secondary zone, never more, and its mutex is
 * taken only on a zone's first NOTIFY since main last drained it.
 *
 * Main drains with notify_in_drain() (the zones' pending marks cleared
 * first, then each handed to the callback: xfrin_refresh, which merges a
 * check already running). At a reload the new table is published and the
 * old one retired after a grace period (call_rcu); a NOTIFY that a reactor
 * still queues on the old table then is lost, the SOA refresh timer covers
 * it.
 */
#ifndef LEVEE_SERVER_NOTIFY_IN_H
#define LEVEE_SERVER_NOTIFY_IN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct config;
struct notify_in;

/* The table for cfg's secondaries; wake(arg): called by the reactor that
 * queued a zone (thread-safe: the daemon's uv_async_send; must outlive
 * the table). NULL when out of memory or when cfg has no secondary. Main
 * only. */
struct notify_in *notify_in_new(const struct config *cfg,
				void (*wake)(void *arg), void *arg);

/* A NOTIFY for lname (lowercase wire, len bytes) from client, signed
 * with the key of bit key (1 << tsig_key_index; 0: unsigned or not
 * valid). Returns 0 (allowed: the zone is or was already queued), -ENOENT
 * (not a secondary here) or -EPERM (no acl of the zone with action
 * notify lists client with its key, or a keyed primary's address
 * without that key).
 * Reactor (inside its RCU read-side section), lock-free but for the
 * queue's mutex on a zone's first NOTIFY since the last drain. n may be
 * NULL (-ENOENT). */
int notify_in_note(struct notify_in *n, const uint8_t *lname, size_t len,
		   const struct sockaddr *client, uint64_t key);

/* Hands each queued zone (its configured name) to cb and empties the
 * queue. Returns how many. Main only. */
size_t notify_in_drain(struct notify_in *n,
		       void (*cb)(void *arg, const char *domain), void *arg);

/* NOTIFYs allowed and refused over the table's life (relaxed). */
void notify_in_counts(const struct notify_in *n, unsigned long *allowed,
		      unsigned long *denied);

/* Frees after a grace period (call_rcu); NULL accepted. Main only. */
void notify_in_retire(struct notify_in *n);

/* Frees now: no reactor may read it (after they stopped). */
void notify_in_free(struct notify_in *n);

#endif
