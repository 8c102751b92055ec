/* reactor.h -- the reactor threads: one uv_loop each, their sockets, start/stop.
 *
 * A reactor group is N threads. For every listen address each reactor has
 * its own UDP socket and its own TCP listening socket, both with
 * SO_REUSEPORT, so the kernel spreads clients over the reactors and no two
 * threads share a socket. reactor_group_new() creates and binds every socket
 * and prepares every loop on the main thread (so a bind error is reported
 * before any thread runs and privileges can be dropped right after);
 * reactor_group_start() starts the threads, which from then on are the only
 * ones to touch those sockets. Main thread only, every function here.
 */
#ifndef LEVEE_SERVER_REACTOR_H
#define LEVEE_SERVER_REACTOR_H

#include <stddef.h>

struct config;
struct answer_config;
struct stats;
struct reactor_group;
struct attack;
struct dnstap;

/* Creates n reactors (n >= 1) for cfg's listen addresses; cfg and acfg must
 * outlive the group. Returns the group, or NULL with the reason (e.g.
 * "bind 127.0.0.1@53: Permission denied") in err. */
struct reactor_group *reactor_group_new(const struct config *cfg,
					const struct answer_config *acfg,
					unsigned n, char *err, size_t errlen);

/* Starts the threads; every socket is listening when it returns 0. Returns a
 * negative errno if a thread cannot be created (the group is then stopped). */
int reactor_group_start(struct reactor_group *g);

/* Publishes the transfers-out policy of cfg (its zones' acl lists, acl:
 * entries and transfers-max: xfrout.h) for the reactors, the old one
 * freed after a grace period; transfers running go on and keep their
 * slots. 0 or -ENOMEM (the old policy stays). cfg may be freed after. */
int reactor_group_set_transfers(struct reactor_group *g,
				const struct config *cfg);

/* Publishes the NOTIFY-in table n (notify_in.h; NULL: none) for the
 * reactors and returns the one it replaces, which the caller retires
 * (notify_in_retire) after draining it. */
struct notify_in;
struct notify_in *reactor_group_set_notify_in(struct reactor_group *g,
					       struct notify_in *n);

/* The table published now, or NULL. */
struct notify_in *reactor_group_notify_in(const struct reactor_group *g);

/* Number of reactors. */
unsigned reactor_group_count(const struct reactor_group *g);

/* Relaxed copy of reactor i's counters, with what the kernel counted on
 * its XSK sockets added (xdp.h: one getsockopt per entry); reactor 0's
 * carries xdp-passed, read from the XDP programs' maps (one lookup per
 * entry). */
void reactor_group_stats(const struct reactor_group *g, unsigned i,
			 struct stats *out);

/* The attack detector the reactors share (ratelimit/attack.h), or NULL
 * when attack mode is off. Read it with attack.h's any-thread calls. */
const struct attack *reactor_group_attack(const struct reactor_group *g);

/* The group's dnstap writer (dnstap.h), or NULL (off). */
struct dnstap *reactor_group_dnstap(const struct reactor_group *g);

/* The existence filter (exist_guard.h), or NULL (attack: off,
 * name-filter: off, or not loadable). */
struct exist_guard *reactor_group_names(const struct reactor_group *g);

/* The attack detector's last change line (its reason), "" before any.
 * Main thread. */
void reactor_attack_last(char *buf, size_t len);

/* Asks every reactor to stop (stop reading, finish replies in flight, close
 * everything within ~0.5 s) and joins the threads. Idempotent. */
void reactor_group_stop(struct reactor_group *g);

/* Stops if needed and frees the group. NULL accepted. */
void reactor_group_free(struct reactor_group *g);

#endif
