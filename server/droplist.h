/* droplist.h -- the listings of the kernel drop map as user space knows
 * them: which prefixes are listed, until when, and whether the kernel may
 * have thinned a datagram before admission saw it (server/ebpf_drop.h,
 * docs/flood.md "Kernel drop map (eBPF)").
 *
 * The kernel map (ebpf_drop.c) is keyed by a prefix at one of the lengths
 * the per-source limits decide on (limits: ipv4-prefixes, ipv6-prefixes)
 * and carries the share of a listed prefix's cookie-less datagrams the
 * kernel keeps: none with limits: slip 0 (user space drops them all), at
 * least 1/N with slip N > 1 (user space answers one in N with a
 * challenge). With slip N the kernel has done the slip already, so
 * admission must challenge every over-limit query it lets through rather
 * than slip again (the owner would get 1/N^2): droplist_thinned() tells it.
 * For that, user space must know every live kernel entry, whichever
 * reactor wrote it; this table is that knowledge, shared by all reactors,
 * and the only way into the kernel map (ebpf_drop_list claims a slot here
 * before it writes the kernel entry). The invariant, kept by the claim:
 * every live kernel entry has a slot of its tag here whose expiry is no
 * earlier, and a slot is reused only DROPLIST_GRACE_MS after it expired
 * (datagrams the kernel thinned just before the expiry may still sit in
 * a socket queue). Where the table cannot take a listing (its set full),
 * nothing is written to the kernel: user space keeps its own slip.
 *
 * One 64-bit word per slot: a 24-bit tag (from a SipHash-2-4 of the key
 * with a per-process secret) << 40 | expiry in ms of CLOCK_MONOTONIC. Two
 * keys sharing a tag share the slot's expiry, which only makes user space
 * challenge more (never drop more), so a tag collision is never unsafe.
 * DROPLIST_SLOTS words in sets of DROPLIST_WAYS (one cache line), allocated
 * once; every operation visits one set per prefix length, with relaxed
 * loads and one compare-and-swap; nothing allocates, locks or calls into
 * the system after droplist_new().
 */
#ifndef LEVEE_SERVER_DROPLIST_H
#define LEVEE_SERVER_DROPLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/cidr.h"

#define DROPLIST_SLOTS 65536        /* as many as the kernel map's entries */
#define DROPLIST_WAYS 8
#define DROPLIST_GRACE_MS 200       /* a slot outlives its expiry that long */
#define DROPLIST_MAX_PREFIXES 4     /* per family (LIMITS_MAX_PREFIXES) */
/* The shortest query that can hold a server cookie: 12 + 5 + 11 + 4 + 16. */
#define DROPLIST_COOKIE_MIN 48

/* The kernel map's key: a prefix in the 128-bit space, IPv4 a.b.c.d/b as
 * ::ffff:a.b.c.d/(96 + b), host bits cleared. 20 bytes, no padding; bits
 * in host order (the program stores it as an immediate). */
struct droplist_key {
	uint32_t bits;
	uint8_t addr[16];
};

/* Lists of spared networks (struct droplist_config). */
#define DROPLIST_SPARED_LISTS 3

/* What the table (and the kernel program) are built for. */
struct droplist_config {
	uint8_t v4[DROPLIST_MAX_PREFIXES];   /* prefix lengths listed, 1..32 */
	size_t v4_count;
	uint8_t v6[DROPLIST_MAX_PREFIXES];   /* 1..128 */
	size_t v6_count;
	unsigned slip;        /* limits: slip: 0 drops all, N > 1 keeps 1/N;
				 1: nothing may be listed */
	unsigned hold_ms;     /* a listing lasts that long */
	bool cookies;         /* cookies on: the kernel spares datagrams that
				 may carry one (droplist_examined) */
	/* Networks user space never drops for their limit: limits:
	 * whitelist, the acl: addresses whose replication messages bypass
	 * admission, and 127.0.0.1 and ::1 with server: exempt-local. A
	 * prefix overlapping one is never listed (the kernel cannot tell a
	 * NOTIFY, or this host's load generator, from a flood). Not copied:
	 * they must outlive the table (the configuration's arrays). */
	const struct cidr *spared[DROPLIST_SPARED_LISTS];
	size_t spared_count[DROPLIST_SPARED_LISTS];
};

/* What droplist_claim() decided. */
enum droplist_claim {
	DROPLIST_LISTED = 0,  /* listed and unexpired: nothing to write */
	DROPLIST_CLAIMED,     /* the slot holds it until *until_ms: write the
				 kernel entry with that expiry */
	DROPLIST_REFUSED,     /* not listed, and the caller may not write */
	DROPLIST_FULL,        /* not listed, no slot free in its set */
	DROPLIST_SPARED,      /* never listed: it overlaps a spared network */
};

struct droplist;

/* Creates the table (c copied), every slot allocated now. seed: 16 bytes
 * of hash key, or NULL for a random one. NULL on ENOMEM. Main only. */
struct droplist *droplist_new(const struct droplist_config *c,
			      const uint8_t *seed);

/* Frees it after every reactor stopped. NULL accepted. */
void droplist_free(struct droplist *d);

/* The configuration d was built with. */
const struct droplist_config *droplist_config_of(const struct droplist *d);

/* The kernel key of prefix p into *k. Returns false when p's family is
 * neither AF_INET nor AF_INET6 or its length is not one d lists (the
 * program looks up only those). Any thread. */
bool droplist_key(const struct droplist *d, const struct cidr *p,
		  struct droplist_key *k);

/* The share a listing carries: the kernel keeps a listed prefix's
 * examined datagram when bpf_get_prandom_u32() < the returned threshold.
 * slip 0: 0 (keeps none); slip N > 1: ceil(2^32 / N), so the kernel keeps
 * at least 1/N and drops at most (N-1)/N; slip 1: 2^32 - 1 (it is never
 * listed). Pure. */
uint32_t droplist_keep(unsigned slip);

/* True when the kernel program looks msg[0..len) up in the map at all:
 * with cookies off, any datagram of a whole DNS header; with cookies on,
 * only one that cannot carry a server cookie: shorter than
 * DROPLIST_COOKIE_MIN, ARCOUNT 0, or QD 1 AN 0 NS 0 AR 1 ending in an
 * empty OPT record. The same bytes the program reads (the header and the
 * last 11 bytes: O(1), no walk). Pure. */
bool droplist_examined(const uint8_t *msg, size_t len, bool cookies);

/* Claims k until now_ms + hold: DROPLIST_LISTED when it is listed and
 * unexpired (also when another reactor just claimed it), else, when
 * may_write, DROPLIST_CLAIMED with *until_ms set (the caller writes the
 * kernel entry with exactly that expiry), DROPLIST_SPARED when k overlaps
 * a spared network, or DROPLIST_FULL; without may_write DROPLIST_REFUSED.
 * Reactor threads, lock-free: one set, at most a few CAS rounds, and past
 * the LISTED case one comparison per spared network (so the caller counts
 * a SPARED answer against its budget, as a write). */
enum droplist_claim droplist_claim(struct droplist *d,
				   const struct droplist_key *k,
				   uint64_t now_ms, bool may_write,
				   uint64_t *until_ms);

/* True when the kernel may have thinned this datagram of src: d lists
 * with a share (slip > 1), msg is one the program examines, and a prefix
 * of src at a listed length is listed, or expired less than
 * DROPLIST_GRACE_MS ago. Admission then challenges instead of slipping.
 * d NULL: false. Reactor threads, lock-free: at most DROPLIST_MAX_PREFIXES
 * sets read. */
bool droplist_thinned(const struct droplist *d, const struct sockaddr *src,
		      const uint8_t *msg, size_t len, uint64_t now_ms);

#endif
