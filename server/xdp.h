/* xdp.h -- the AF_XDP fast path for UDP (issue 17; configuration xdp:).
 *
 * Contract (the whole path; what this build does is below): for each
 * xdp: listen entry IFACE@PORT, an XDP program (restricted C built by
 * clang's BPF target, embedded like exist_filter.bpf.c) redirects UDP to
 * PORT (IPv4 and IPv6) through an XSKMAP to one XSK socket per reactor,
 * bound to queue (reactor id) of IFACE, zero-copy where the driver
 * supports it, copy mode elsewhere; everything else goes to the kernel.
 * The reactor polls the XSK fd (uv_poll), takes at most one RX batch per
 * wakeup, runs query_process() per frame with the client address from
 * the IP and UDP headers, and writes replies into the TX ring with the
 * headers swapped and the checksums computed. TCP, and any interface or
 * queue where XDP cannot attach, stay on sockets: the fallback is logged
 * once per entry, never fatal. Needs root, or CAP_NET_ADMIN and CAP_BPF.
 *
 * This build: the configuration is parsed and validated (config.c), the
 * meson option xdp decides whether libxdp, libbpf and clang's BPF target
 * are there (xdp_available), the XDP program (xdp.bpf.c) is built and
 * embedded, and xdp_plan() loads it and attaches it to each entry's
 * interface (native mode, else generic) to check that it can, detaches
 * it, and logs the fallback of every entry: the AF_XDP rings and the
 * reactor's side are not written yet, so UDP is served by the sockets of
 * server: listen. Main only.
 */
#ifndef LEVEE_SERVER_XDP_H
#define LEVEE_SERVER_XDP_H

#include <stdbool.h>

struct config;

/* Whether this build has what the path needs (meson -Dxdp: libxdp,
 * libbpf, clang's BPF target). */
bool xdp_available(void);

/* For each xdp: listen entry of cfg (n reactors: queues 0..n-1), decides
 * whether AF_XDP can serve it and logs once per entry, at warning, why
 * not when it cannot ("xdp eth0@53: ...: UDP stays on sockets").
 * ("xdp eth0@53: the XDP program loads and attaches (generic mode)" at
 * info when the probe attach worked). Returns the number of entries
 * served over AF_XDP (0 in this build). Never fails the start. Main
 * only, before the reactors run (before privileges are dropped); per
 * entry one ioctl, one program load, at most two attaches and a
 * detach. */
unsigned xdp_plan(const struct config *cfg, unsigned n);

#endif
