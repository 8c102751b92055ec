/* tcp.h -- TCP per RFC 7766: listeners and connections of a reactor.
 *
 * Listening sockets are opened on the main thread before the reactors start
 * (tcp_socket_open, tcp_start); connections live entirely on the reactor
 * that accepted them. A connection holds its struct, and buffers only while
 * it holds bytes: part of a message, queries waiting behind a write, or
 * replies the kernel did not take at once. Reads and reply batches use the
 * reactor's scratch (tcp_reactor_init); every byte the connections of a
 * reactor hold counts against its share of server: tcp-memory-max.
 * Nothing is allocated per query. Details and the state machine: tcp.c.
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

/* Allocates r's TCP scratch (a 64 KiB read buffer and a 128 KiB reply
 * batch) and sets its memory budget: its connections hold at most share
 * bytes (at least TCP_MEM_REACTOR_MIN, one connection at its largest).
 * Returns 0 or -ENOMEM (tcp_reactor_free releases what was made). Main
 * only, before the reactor runs. */
#define TCP_MEM_REACTOR_MIN (256u * 1024)
int tcp_reactor_init(struct reactor *r, size_t share);
void tcp_reactor_free(struct reactor *r);

/* Closes the listener. Reactor thread. Idempotent. */
void tcp_close_listener(struct tcp_listener *tl);

/* Stops reading on every connection; each closes once its replies are
 * written (force: close them all now, replies in flight are lost).
 * Reactor thread. */
void tcp_stop_conns(struct reactor *r, bool force);

#endif
