/* exist_filter.h -- the existence filter (issue 16): a UDP socket
 * filter, compiled from restricted C (exist_filter.bpf.c) by clang's BPF
 * target at build time and embedded in the daemon, that drops the
 * queries for names that cannot exist in the served zones, exactly those
 * that would be answered NXDOMAIN, before they reach the socket queue.
 * What it judges and why it stays right: zones/exist_set.h (the set and
 * its walk) and exist_filter.bpf.c's header.
 *
 * One program, its config, counters and scratch maps, a program array
 * (exf_next: what passes goes on to the kernel drop map's program, when
 * there is one), an array of maps with one slot and two set maps (BPF
 * hashes of 64-bit name hashes, at most `capacity` names each, allocated
 * as filled: BPF_F_NO_PREALLOC) are created at start (exist_filter_new,
 * main thread, CAP_BPF: after privileges are dropped a kernel 6.1 refuses
 * new maps but updates them). exist_filter_fill writes a user-space
 * exist_set into the spare set and exist_filter_swap puts it in the slot
 * with one update: the program on every socket sees the old set or the
 * new one, never a mix. exist_filter_mark adds or widens one entry of a
 * set in place (what the guard does before a zone change is published,
 * server/exist_guard.h). Off the reactors: a fill is O(old + new names)
 * bpf() calls in batches.
 *
 * The daemon attaches it only while the attack mode is engaged (each
 * reactor swaps its own sockets' filter, reactor.c); server/exist_guard.h
 * keeps the set in step with the zones. Built without clang's BPF target
 * or libbpf, exist_filter_available() is false and everything returns
 * -ENOTSUP.
 */
#ifndef LEVEE_SERVER_EXIST_FILTER_H
#define LEVEE_SERVER_EXIST_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zones/exist_set.h"

/* The counters, in the order of exist_filter_counters' array. */
enum exist_filter_counter {
	EXIST_FILTER_OTHER,    /* passed unjudged (no set, not a plain IN
				* QUERY, malformed or compressed name) */
	EXIST_FILTER_NONE,     /* passed: in no served zone */
	EXIST_FILTER_EXISTS,   /* passed: the name exists */
	EXIST_FILTER_BELOW,    /* passed: below a wildcard, cut, DNAME */
	EXIST_FILTER_DROP,     /* dropped */
	EXIST_FILTER_SAMPLED,  /* a would-be drop passed by the sample */
	EXIST_FILTER_GARBAGE,  /* dropped by the classic checks (classic) */
	EXIST_FILTER_COUNTERS
};

struct exist_filter_config {
	const uint8_t *key;   /* EXIST_KEY_LEN bytes: the sets' hash key */
	size_t capacity;      /* names a set may hold (0: 1,048,576) */
	unsigned sample;      /* pass 1 in sample would-be drops (0: none) */
	/* Where the DNS message starts in the program's data: 0 means 8
	 * (a socket filter starts at the UDP header); tests running it on
	 * Ethernet frames pass 28 (IPv4) or 48 (IPv6). */
	unsigned dns_offset;
	/* Also do the classic filter's checks (drop what is shorter than a
	 * DNS header or has QR set): where no program follows (exf_next
	 * empty) and server: udp-bpf-filter is on. */
	bool classic;
};

struct exist_filter;

/* Whether this build holds the program (clang's BPF target and libbpf
 * were found). */
bool exist_filter_available(void);

/* Loads the program and creates its maps, the slot empty (every
 * datagram passes). Returns 0 with *out set, or a negative errno:
 * -ENOTSUP (not in this build), -EPERM (no CAP_BPF), -E2BIG or -EINVAL
 * (the verifier refused it: past its instruction budget, or an access it
 * cannot prove; libbpf's warnings, the verifier's log among them, go to
 * the debug log). Main only, at start. */
int exist_filter_new(const struct exist_filter_config *c,
		     struct exist_filter **out);

/* Empties the spare set and writes every entry of s into it; the slot
 * is not touched. Returns 0, -E2BIG (s holds more than capacity names)
 * or a negative errno from the kernel (the spare then holds part of s:
 * never swap it in). Never a reactor; one caller of fill, mark and swap
 * at a time. O(spare's old entries + entries of s) in batches of 4,096. */
int exist_filter_fill(struct exist_filter *f, const struct exist_set *s);

/* Adds entry (h, flags) to the live set (spare false) or the spare
 * (true), its flags ORed with those of an entry of h there already: the
 * set can only pass more. 0, -ENOENT (spare false and no live set:
 * nothing to widen), -E2BIG (the set is full) or -errno. Two bpf()
 * calls. Never a reactor. */
int exist_filter_mark(struct exist_filter *f, bool spare, uint64_t h,
		      unsigned flags);

/* The same, but only where h is missing (an ancestor added as
 * EXIST_ABOVE: present, the walk goes on through it already). */
int exist_filter_mark_absent(struct exist_filter *f, bool spare, uint64_t h,
			     unsigned flags);

/* Puts the spare in the slot (one update); the set read before becomes
 * the spare. 0 or -errno (nothing changed). */
int exist_filter_swap(struct exist_filter *f);

/* Whether the slot holds a set. */
bool exist_filter_live(const struct exist_filter *f);

/* exist_filter_fill then exist_filter_swap; when the fill fails, the
 * slot is emptied (everything passes, never a half set). */
int exist_filter_load(struct exist_filter *f, const struct exist_set *s);

/* Puts prog_fd (a socket filter) in exf_next: what passes goes on to it
 * (-1: nothing, what passes is kept whole). 0 or -errno. Main, before
 * the program is attached. */
int exist_filter_set_next(struct exist_filter *f, int prog_fd);

/* Kernel memory the two sets hold, in bytes (the kernel's own count,
 * /proc/self/fdinfo's memlock: exact from kernel 6.4; 0 when unknown). */
size_t exist_filter_memory(struct exist_filter *f);

/* Empties the slot: every datagram passes unjudged. 0 or -errno. */
int exist_filter_clear(struct exist_filter *f);

/* Sets the sample (1 in n would-be drops passes; 0: none). 0 or -errno. */
int exist_filter_set_sample(struct exist_filter *f, unsigned n);

/* Attaches the program to fd (SO_ATTACH_BPF, replacing any filter).
 * 0 or -errno. Main, before the reactors run. */
int exist_filter_attach(struct exist_filter *f, int fd);

/* The counters summed over the CPUs into out. 0 or -errno. Any thread
 * (one bpf() call). */
int exist_filter_counters(struct exist_filter *f,
			  uint64_t out[EXIST_FILTER_COUNTERS]);

/* The instructions the verifier processed to load the program (kernels
 * from 5.16 tell), and the program's own length; 0 when unknown. */
unsigned exist_filter_verified_insns(struct exist_filter *f);
unsigned exist_filter_prog_insns(struct exist_filter *f);

/* Runs the program on frame[0..len) with BPF_PROG_TEST_RUN once:
 * *verdict gets its return value (0: dropped). 0 or -errno. Tests. */
int exist_filter_test_run(struct exist_filter *f, const void *frame,
			  size_t len, uint32_t *verdict);

/* The same repeat times in the kernel: *ns gets the mean time of a run.
 * 0 or -errno. Tests and benches. */
int exist_filter_test_time(struct exist_filter *f, const void *frame,
			   size_t len, unsigned repeat, uint32_t *ns);

/* Closes the program and its maps (attached sockets keep theirs) and
 * frees f. NULL accepted. */
void exist_filter_free(struct exist_filter *f);

#endif
