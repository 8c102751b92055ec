/* tcp.h -- TCP per RFC 7766: listeners and connections of a reactor.
 *
 * Listening sockets are opened on the main thread before the reactors start
 * (tcp_socket_open, tcp_start); connections live entirely on the reactor
 * that accepted them. Each connection owns one read buffer (grown to the
 * largest message seen, at most 65537 bytes) and two output buffers (one
 * being written, one being filled); replies are rendered into the reactor's
 * 65535-byte scratch and appended. Nothing is allocated per query.
 */
#ifndef LEVEE_SERVER_TCP_H
#define LEVEE_SERVER_TCP_H

#include <stdbool.h>

#include "server/internal.h"

struct config_listen;

/* Opens a non-blocking TCP socket bound to l with SO_REUSEPORT (and
 * IPV6_V6ONLY for IPv6); not yet listening. Returns the fd or a negative
 * errno. Main only. */
int tcp_socket_open(const struct config_listen *l);

/* Hands fd (taken) to a uv_tcp_t on r's loop and listens. Returns 0 or a
 * libuv error. Main only, before the reactor runs. */
int tcp_start(struct reactor *r, struct tcp_listener *tl, int fd);

/* Closes the listener. Reactor thread. Idempotent. */
void tcp_close_listener(struct tcp_listener *tl);

/* Stops reading on every connection; each closes once its replies are
 * written (force: close them all now, replies in flight are lost).
 * Reactor thread. */
void tcp_stop_conns(struct reactor *r, bool force);

#endif
