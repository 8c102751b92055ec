/* ebpf_drop.h -- the kernel drop map: an eBPF socket filter that drops, on
 * every reactor UDP socket, the queries of sources user space has just
 * dropped for being over their limit (server: udp-ebpf-filter,
 * docs/flood.md "Kernel drop map (eBPF)").
 *
 * One BPF_MAP_TYPE_LRU_HASH (EBPF_DROP_ENTRIES entries; key: the 16-byte
 * source address, IPv4 as ::ffff:a.b.c.d; value: expiry in nanoseconds of
 * CLOCK_MONOTONIC) and one BPF_PROG_TYPE_SOCKET_FILTER program are created
 * once at start (ebpf_drop_new, main thread) and shared by every reactor
 * socket. The program drops a datagram of a listed, unexpired source only
 * when it cannot prove its address (too short for a server cookie, no
 * additional record, or one empty OPT record at the end: no COOKIE
 * option); with cookies off, every datagram of a listed source. It can also do the classic checks of
 * udp_bpf_attach (shorter than a DNS header, QR=1).
 *
 * Reactors list a source (ebpf_drop_list) where user space drops it: one
 * bpf() system call, at most once per source per hold period (a small
 * direct-mapped cache per reactor, allocated at start) and at most
 * EBPF_DROP_RATE calls per reactor per second, so a flood of fresh sources
 * cannot turn the query path into a system call per packet. Without
 * libbpf (meson -Debpf=disabled) everything returns -ENOTSUP.
 */
#ifndef LEVEE_SERVER_EBPF_DROP_H
#define LEVEE_SERVER_EBPF_DROP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/cidr.h"

#define EBPF_DROP_ENTRIES 65536     /* kernel map: LRU beyond this */
#define EBPF_DROP_CACHE 4096        /* per reactor, direct-mapped slots */
#define EBPF_DROP_RATE 10000        /* inserts per reactor per second */

struct ebpf_drop;

/* What the program checks besides the map. */
struct ebpf_drop_config {
	unsigned reactors;    /* callers of ebpf_drop_list: ids 0..n-1 */
	unsigned hold_ms;     /* how long a listed source stays listed */
	bool classic;         /* also drop short and QR=1 datagrams */
	bool cookies;         /* cookies on: spare datagrams that may carry one */
};

/* Creates the map and loads the program. Returns 0 with *out set, or a
 * negative errno (-ENOTSUP without libbpf, -EPERM without CAP_BPF, ...):
 * then the caller falls back to the classic filter and user space. Main
 * only, at start. */
int ebpf_drop_new(const struct ebpf_drop_config *c, struct ebpf_drop **out);

/* Attaches the program to fd (SO_ATTACH_BPF, replacing a classic filter).
 * Returns 0 or a negative errno. Main only, before the reactors run. */
int ebpf_drop_attach(struct ebpf_drop *e, int fd);

/* Lists src (a whole AF_INET or AF_INET6 address: /32 or /128; shorter
 * prefixes are not listed) in the kernel map until now_ms + hold,
 * unless reactor's cache shows it listed already or reactor's insert
 * budget for this second is spent. now_ms: milliseconds of CLOCK_MONOTONIC
 * (uv_now). Returns true when an entry was written (one bpf() system
 * call), false otherwise (also for e NULL). Reactor thread reactor only;
 * no allocation, no lock. */
bool ebpf_drop_list(struct ebpf_drop *e, unsigned reactor,
		    const struct cidr *src, uint64_t now_ms);

/* Closes the program and the map (sockets keep their own reference) and
 * frees e. NULL accepted. After the reactors stopped. */
void ebpf_drop_free(struct ebpf_drop *e);

#endif
