/* udp.h -- UDP sockets of a reactor: recvmmsg batch in, sendmmsg batch out.
 *
 * Sockets are opened and bound on the main thread before the reactors start
 * (udp_socket_open, udp_start); from then on only the owning reactor thread
 * touches them (udp_close included).
 */
#ifndef LEVEE_SERVER_UDP_H
#define LEVEE_SERVER_UDP_H

#include <stdbool.h>

#include "server/daemon.h"

struct config_listen;

/* Messages per recvmmsg/sendmmsg batch, and the largest query accepted
 * (longer datagrams are dropped and counted). */
#define UDP_BATCH 64
#define UDP_QUERY_MAX 4096

/* Opens a non-blocking UDP socket bound to l with SO_REUSEPORT, IPV6_V6ONLY
 * for IPv6, PKTINFO on wildcard addresses and the given buffer sizes (0: the
 * kernel's). Returns the fd or a negative errno; *wildcard tells whether l
 * is 0.0.0.0 or ::. Main only. */
int udp_socket_open(const struct config_listen *l, unsigned rcvbuf,
		    unsigned sndbuf, bool *wildcard);

/* Allocates the reactor's batch scratch (once). 0 or -ENOMEM. Main only,
 * before the reactor runs. */
int udp_scratch_new(struct reactor *r);

/* Frees it. NULL scratch accepted. After the reactor stopped. */
void udp_scratch_free(struct reactor *r);

/* Polls fd (taken: closed by udp_close) on r's loop. Returns 0 or a libuv
 * error (fd then closed). Main only, before the reactor runs. */
int udp_start(struct reactor *r, struct udp_sock *us, int fd, bool wildcard);

/* Stops polling and closes the socket. Reactor thread. Idempotent. */
void udp_close(struct udp_sock *us);

#endif
