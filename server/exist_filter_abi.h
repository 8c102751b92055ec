/* exist_filter_abi.h -- what the existence filter's BPF program
 * (exist_filter.bpf.c) and its loader (exist_filter.c) share: the map
 * layouts, the flag bits of a name (the values of zones/exist_set.h's
 * enum exist_flags; exist_filter.c checks they agree) and the counters.
 * Included by clang's BPF target as well as by the C compiler: kernel
 * types only.
 */
#ifndef LEVEE_SERVER_EXIST_FILTER_ABI_H
#define LEVEE_SERVER_EXIST_FILTER_ABI_H

#include <linux/types.h>

#define EXF_APEX 0x01
#define EXF_WILDCARD 0x02
#define EXF_CUT 0x04
#define EXF_DNAME 0x08
#define EXF_ABOVE 0x10
#define EXF_OPAQUE 0x20
#define EXF_STOP (EXF_CUT | EXF_DNAME | EXF_OPAQUE)

/* The one entry of the config map: the hash key as two little-endian
 * words, H(root), where the DNS message starts in the program's data (8
 * on a UDP socket), the share of would-be drops passed (1 in sample; 0:
 * none), and whether the program also does the classic filter's checks
 * (drop what is shorter than a DNS header or has QR set: classic 1; the
 * program in exf_next, when there is one, does them instead). */
struct exf_config {
	__u64 k0, k1;
	__u64 h_root;
	__u32 dns_offset;
	__u32 sample;
	__u32 classic;
	__u32 pad;
};

/* The counters (a per-CPU array): one a datagram. */
enum exf_counter {
	EXF_C_OTHER,    /* passed unjudged: no set, not a plain IN query
			 * (a transfer or meta qtype, records other than
			 * one version-0 OPT, bytes past them), malformed
			 * or compressed name */
	EXF_C_NONE,     /* passed: in no served zone */
	EXF_C_EXISTS,   /* passed: the name exists */
	EXF_C_BELOW,    /* passed: below a wildcard, cut, DNAME or opaque
			 * apex */
	EXF_C_DROP,     /* dropped: cannot exist */
	EXF_C_SAMPLED,  /* would have been dropped, passed by the sample */
	EXF_C_GARBAGE,  /* dropped by the classic checks (config.classic) */
	EXF_COUNTERS
};

/* The program's name buffer: the question (name, type, class) copied
 * from the datagram, room for 8-byte loads past its end, then the label
 * offsets. */
#define EXF_NAME_BUF 320
#define EXF_MAX_LABELS 128

struct exf_scratch {
	__u8 name[EXF_NAME_BUF];
	__u8 off[EXF_MAX_LABELS];
	__u32 labels;    /* written by the scan, read by the walk */
	__u32 qlen;      /* the question's length (name, type, class) */
};

#endif
