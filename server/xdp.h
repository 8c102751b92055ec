/* xdp.h -- the AF_XDP fast path for UDP (issue 17; configuration xdp:).
 *
 * For each xdp: listen entry IFACE@PORT, xdp_group_new() loads the XDP
 * program (xdp.bpf.c, built by clang's BPF target and embedded) and
 * attaches it to IFACE (native mode, else generic; never over another
 * program, but over a levee_xdp program a killed levee left there,
 * logged), then opens one XSK
 * socket per reactor, reactor N's bound to queue N of IFACE (as many as
 * the interface has queues: a reactor past the last queue has none for
 * that entry; queues past the last reactor have no socket and their
 * frames go to the kernel's sockets), each with its own UMEM (2 x
 * ring-size frames of 2048 or 4096 bytes) and fill, completion, RX and
 * TX rings of xdp: ring-size entries, zero-copy where the driver binds
 * with it, copy mode elsewhere; the socket's fd goes into the program's
 * XSKMAP at its queue. The program redirects UDP to PORT (IPv4 and
 * IPv6) to the socket of the frame's queue and passes everything else
 * to the kernel.
 *
 * The reactor polls its XSK fds (uv_poll), takes at most XDP_ROUNDS RX
 * batches of XDP_BATCH frames per wakeup, parses each frame's headers
 * (xdp_frame.h; malformed frames are dropped and counted), runs
 * query_process() with the client address from the IP and UDP headers
 * (limits, cookies, RRL, zone budgets and attack mode apply as on
 * sockets; the answer buffer has the sockets' size, so truncation and
 * TC are the same), writes the reply into the query's own frame with
 * the headers swapped and checksums computed, submits it to the TX ring,
 * kicks TX with sendto() and recycles completed frames into the fill
 * ring. No allocation on that path; one sendto() per batch (copy mode
 * sends at most 32 frames a call: at most XDP_BATCH / 32 + 1 calls).
 *
 * TCP, and any entry where the path cannot be set up (no such interface,
 * the program does not attach, no XSK socket on queue 0, a reply of
 * udp-max-payload bytes would not fit the frame or the interface's MTU),
 * stay on the sockets of server: listen: the fallback is logged once per
 * entry at warning ("xdp IFACE@PORT: REASON: UDP stays on sockets"),
 * never fatal. Needs root, or CAP_NET_ADMIN and CAP_BPF (and CAP_IPC_LOCK
 * or a large RLIMIT_MEMLOCK for the UMEM), at start: everything is set
 * up before privileges are dropped.
 *
 * Counters (stats.h), per reactor: xdp-received, xdp-answered,
 * xdp-dropped (malformed frames, and what the kernel's XDP_STATISTICS
 * call dropped or invalid), xdp-ring-full (replies lost to a full TX
 * ring, frames the kernel lost to a full RX ring or an empty fill ring);
 * xdp-passed (frames the program handed to the kernel: not DNS to the
 * port, or no socket on the queue; its per-CPU counters summed) on
 * reactor 0's line. The kernel's figures are read by main when the
 * counters are (reactor_group_stats).
 *
 * Not done yet: the kernel drop map and the existence filter still run
 * as socket filters only (not in the XDP program); a prefix the pipeline
 * lists is listed for the sockets.
 */
#ifndef LEVEE_SERVER_XDP_H
#define LEVEE_SERVER_XDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct reactor;
struct xdp_group;

/* RX frames per batch, and batches per wakeup. */
#define XDP_BATCH 64
#define XDP_ROUNDS 8

/* Whether this build has what the path needs (meson -Dxdp: libxdp,
 * libbpf, clang's BPF target). */
bool xdp_available(void);

/* Sets up every xdp: listen entry of cfg for n reactors, whose UDP reply
 * buffers hold resp_cap bytes, logging once per entry either "xdp
 * IFACE@PORT: AF_XDP on queues 0..K (MODE mode, copy|zero-copy)" at info
 * or the fallback's reason at warning. Returns the group (NULL when no
 * entry is served over AF_XDP, or cfg has none). Never fails the start.
 * Main only, before the reactors run and before privileges are dropped;
 * per entry one program load and attach, and per reactor one UMEM and
 * one socket. */
struct xdp_group *xdp_group_new(const struct config *cfg, unsigned n,
				size_t resp_cap);

/* Starts polling reactor r's XSK sockets on r's loop (none: nothing).
 * A socket whose poll handle does not initialise is logged and left out
 * (its queue's frames are then lost: the program still redirects them).
 * Main only, before r runs. */
void xdp_reactor_start(struct xdp_group *g, struct reactor *r);

/* Stops polling r's XSK sockets and closes their handles (the sockets
 * stay open until xdp_group_free). Reactor thread r, or main for a
 * reactor that never ran. NULL g accepted; idempotent. */
void xdp_reactor_stop(struct xdp_group *g, struct reactor *r);

/* Frames the program passed to the kernel, over every entry and CPU.
 * Main (any thread but a reactor's: one map lookup per entry). */
uint64_t xdp_group_passed(const struct xdp_group *g);

/* What the kernel counted on reactor i's sockets (XDP_STATISTICS): frames
 * lost to a full RX ring or an empty fill ring into *ring_full, frames
 * it dropped otherwise or found invalid into *dropped. Main (getsockopt
 * on each of reactor i's sockets: one per entry; reading a socket's
 * statistics never disturbs its rings). */
void xdp_group_kernel_stats(const struct xdp_group *g, unsigned i,
			    uint64_t *ring_full, uint64_t *dropped);

/* Detaches the programs, closes the sockets and frees their UMEMs. Main
 * only, after every reactor stopped (their handles closed). NULL
 * accepted. */
void xdp_group_free(struct xdp_group *g);

#endif
