/* udp.h -- UDP sockets of a reactor: recvmmsg batch in, sendmmsg batch out.
 *
 * Sockets are opened and bound on the main thread before the reactors start
 * (udp_socket_open, udp_start); from then on only the owning reactor thread
 * touches them (udp_close included).
 */
#ifndef LEVEE_SERVER_UDP_H
#define LEVEE_SERVER_UDP_H

#include <stdbool.h>

#include "server/internal.h"

struct config_listen;

/* Messages per recvmmsg/sendmmsg batch, and the largest query accepted
 * (longer datagrams are dropped and counted). */
#define UDP_BATCH 64
#define UDP_QUERY_MAX 4096

/* Opens a non-blocking UDP socket bound to l with SO_REUSEPORT, IPV6_V6ONLY
 * for IPv6, PKTINFO on wildcard addresses (and on every address when
 * pktinfo: server: exempt-local reads the interface a datagram came in on)
 * and the given buffer sizes (0: the kernel's). Returns the fd or a
 * negative errno; *wildcard tells whether l is 0.0.0.0 or ::. Main only. */
int udp_socket_open(const struct config_listen *l, unsigned rcvbuf,
		    unsigned sndbuf, bool pktinfo, bool *wildcard);

/* Attaches the classic BPF filter that drops, in the kernel, datagrams
 * shorter than a DNS header or with QR=1 (config udp-bpf-filter). Returns 0
 * or a negative errno (then the user-space drop does the work alone). Main
 * only, on a socket from udp_socket_open. */
int udp_bpf_attach(int fd);

/* Allocates the reactor's batch scratch (once). 0 or -ENOMEM. Main only,
 * before the reactor runs. */
int udp_scratch_new(struct reactor *r);

/* Frees it. NULL scratch accepted. After the reactor stopped. */
void udp_scratch_free(struct reactor *r);

/* Polls fd (taken: closed by udp_close) on r's loop; with
 * r->shared->local_ifindex set, fd must have PKTINFO on (udp_socket_open's
 * pktinfo). Returns 0 or a libuv error (fd then closed). Main only, before
 * the reactor runs. */
int udp_start(struct reactor *r, struct udp_sock *us, int fd, bool wildcard);

/* Notes us->fd's bound address in us->local (dnstap's response address;
 * zeroed when getsockname fails). Main or the owner, at start. */
void udp_local_address(struct udp_sock *us);

/* Stops polling and closes the socket. Reactor thread. Idempotent. */
void udp_close(struct udp_sock *us);

/* udp_uv.c -- the same sockets in a uv_udp_t (udp-io: libuv): libuv's
 * recvmmsg into the reactor's uv scratch, one uv_udp_try_send per reply.
 * No PKTINFO: wildcard addresses are refused (config.c refuses them first). */

/* Allocates the reactor's libuv receive scratch (once). 0 or -ENOMEM. Main
 * only, before the reactor runs. */
int udp_uv_scratch_new(struct reactor *r);

/* Frees it. NULL scratch accepted. After the reactor stopped. */
void udp_uv_scratch_free(struct reactor *r);

/* Opens fd (from udp_socket_open; taken, closed by udp_uv_close) in a
 * uv_udp_t with UV_UDP_RECVMMSG on r's loop and starts receiving. Returns
 * 0 or a libuv error (UV_EINVAL for a wildcard socket); on error udp_uv_close
 * must still be called. Main only, before the reactor runs. */
int udp_uv_start(struct reactor *r, struct udp_sock *us, int fd,
		 bool wildcard);

/* Stops receiving and closes the handle and its socket. Reactor thread (or
 * main for a reactor that never ran). Idempotent. */
void udp_uv_close(struct udp_sock *us);

#endif
