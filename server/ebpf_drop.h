/* ebpf_drop.h -- the kernel drop map: an eBPF socket filter that drops, on
 * every reactor UDP socket, the cookie-less datagrams of prefixes user
 * space has just found over their per-source limit, never more of them
 * than user space itself would drop (server: udp-ebpf-filter,
 * docs/flood.md "Kernel drop map (eBPF)"; the bound is argued in
 * ebpf_drop.c's header).
 *
 * One BPF_MAP_TYPE_LRU_HASH (EBPF_DROP_ENTRIES entries; key: struct
 * droplist_key, a prefix at one of the lengths limits: decides on; value:
 * expiry in nanoseconds of CLOCK_MONOTONIC and the share kept) and one
 * BPF_PROG_TYPE_SOCKET_FILTER program are created once at start
 * (ebpf_drop_new, main thread) and shared by every reactor socket. The
 * program looks up a datagram only when it cannot prove its address (too
 * short for a server cookie, no additional record, or one empty OPT record
 * at the end: no COOKIE option; with cookies off, every datagram), at each
 * configured prefix length of its source, and drops it with the share of
 * the first live entry: all with limits: slip 0, at most (N-1)/N with
 * slip N. With slip 1 (the default) nothing is ever listed. It can also do
 * the classic checks of udp_bpf_attach (shorter than a DNS header, QR=1).
 *
 * Reactors list a prefix (ebpf_drop_list) after a batch's send, never in
 * its answer loop: one bpf() system call, at most once per prefix per hold
 * period over all reactors (the shared table of server/droplist.h, which
 * also tells admission what the kernel thinned) and at most EBPF_DROP_RATE
 * calls per reactor per second, so a flood of fresh sources cannot turn
 * the batch into a system call per packet. Entries expire by their own
 * time (the program compares it) and leave the map by LRU eviction: no
 * system call removes anything. Without libbpf (meson -Debpf=disabled)
 * everything returns -ENOTSUP.
 */
#ifndef LEVEE_SERVER_EBPF_DROP_H
#define LEVEE_SERVER_EBPF_DROP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/cidr.h"
#include "server/droplist.h"

#define EBPF_DROP_ENTRIES DROPLIST_SLOTS  /* kernel map: LRU beyond this */
#define EBPF_DROP_RATE 10000        /* inserts per reactor per second */

struct ebpf_drop;

/* What the program checks besides the map. */
struct ebpf_drop_config {
	unsigned reactors;    /* callers of ebpf_drop_list: ids 0..n-1 */
	bool classic;         /* also drop short and QR=1 datagrams */
	struct droplist_config list;   /* prefix lengths, slip (the share),
					  hold, cookies */
	const uint8_t *seed;  /* the table's hash key (16 bytes) or NULL */
	/* Where the DNS message starts in the program's data: 0 means 8,
	 * the UDP header, where a socket filter starts. Tests running the
	 * program on Ethernet frames (ebpf_drop_test_run) pass 28 (IPv4) or
	 * 48 (IPv6). */
	unsigned dns_offset;
};

/* Creates the map and the table and loads the program. Returns 0 with
 * *out set, or a negative errno (-ENOTSUP without libbpf, -EPERM without
 * CAP_BPF, -EINVAL for slip 1 or no prefix: nothing could be listed):
 * then the caller falls back to the classic filter and user space. Main
 * only, at start. */
int ebpf_drop_new(const struct ebpf_drop_config *c, struct ebpf_drop **out);

/* Attaches the program to fd (SO_ATTACH_BPF, replacing a classic filter).
 * Returns 0 or a negative errno. Main only, before the reactors run. */
int ebpf_drop_attach(struct ebpf_drop *e, int fd);

/* The table of what e lists, for admission (droplist_thinned); NULL for e
 * NULL. */
struct droplist *ebpf_drop_table(struct ebpf_drop *e);

/* The program's descriptor (the existence filter runs it next on what it
 * passes, server/exist_filter.h), or -1 for e NULL. */
int ebpf_drop_prog_fd(const struct ebpf_drop *e);

/* Lists prefix p (at a length the table lists; others are ignored) in the
 * kernel map until now_ms + hold, unless the table shows it listed
 * already, its set is full, or reactor's insert budget for this second is
 * spent. now_ms: milliseconds of CLOCK_MONOTONIC (uv_now). Returns true
 * when an entry was written (one bpf() system call), false otherwise
 * (also for e NULL). Reactor thread reactor only, after its batch's send;
 * no allocation, no lock. */
bool ebpf_drop_list(struct ebpf_drop *e, unsigned reactor,
		    const struct cidr *p, uint64_t now_ms);

/* Runs the program on frame[0..len) (an Ethernet frame) with
 * BPF_PROG_TEST_RUN, repeat times (0: once): *verdict gets the last run's
 * return value (0: drop, else the bytes kept), *ns (if not NULL) the mean
 * time of a run. Returns 0 or a negative errno. Tests only: e built with
 * dns_offset for such frames. */
int ebpf_drop_test_run(struct ebpf_drop *e, const void *frame, size_t len,
		       unsigned repeat, uint32_t *verdict, uint32_t *ns);

/* Closes the program and the map (sockets keep their own reference) and
 * frees e. NULL accepted. After the reactors stopped. */
void ebpf_drop_free(struct ebpf_drop *e);

#endif
