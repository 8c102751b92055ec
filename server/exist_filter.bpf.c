/* exist_filter.bpf.c -- the existence filter: a UDP socket filter that
 * drops the queries whose name cannot exist in the served zones (issue
 * 16). Restricted C for clang's BPF target, built by meson and embedded
 * in the daemon (exist_filter.c loads it).
 *
 * The set of names is a BPF hash map of 64-bit chained keyed hashes
 * (zones/exist_set.h has the chain and the flags), held in slot 0 of an
 * array of maps so that user space swaps a whole new set in with one
 * update. The program judges only a query user space would answer from
 * the zone (query.c, wire.c): QDCOUNT 1, opcode QUERY, QR 0, class IN,
 * the name uncompressed and inside the datagram, a qtype other than 0,
 * IXFR and AXFR, no answer or authority records, and after the question
 * nothing, or one OPT record (owner the root, version 0, its options
 * well formed, at most EXF_MAX_OPTIONS of them, a COOKIE of a valid
 * length, once) that ends the datagram. Anything else (a TSIG, BADVERS,
 * FORMERR, NOTIMP) passes unjudged. It then walks the labels from the
 * root down, one
 * bpf_loop step a label (nested bounded loops cost the verifier past its
 * budget on recent kernels), hashing each suffix on the last one. The
 * first suffix missing from the set decides by its parent's flags:
 * dropped unless the parent has a wildcard child or is only an ancestor
 * of a served apex; a suffix that is a cut, a DNAME or an opaque apex
 * passes at once; a name whose every suffix is in the set exists. Of the
 * would-be drops, 1 in config.sample passes (0: none).
 *
 * What passes goes on to the program in exf_next (the kernel drop map's,
 * server/ebpf_drop.c, when it is loaded) by a tail call; with none there,
 * it passes whole. Without that program the classic filter's checks are
 * done here (config.classic): shorter than a DNS header, or QR set: drop.
 *
 * Bounds: at most 127 labels (EXF_MAX_LABELS - 1) and 255 octets; a
 * label costs one SipHash-2-4 of at most 73 bytes (10 compressions) and
 * one hash lookup; the OPT record at most EXF_MAX_OPTIONS + 1 reads.
 * The verifier's bounds: every index into the scratch buffer is masked to the buffer; offsets are kept in 64-bit registers
 * (clang otherwise loses their bounds through 32-bit zero extension).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "server/exist_filter_abi.h"

#define PASS 0xffffffffu
#define DROP 0u

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exf_config);
} exf_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exf_scratch);
} exf_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EXF_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} exf_counters SEC(".maps");

/* The program run next on what passes (one slot, may be empty). */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} exf_next SEC(".maps");

/* The template of a set: user space makes the real ones (same type,
 * sizes and flags; their max_entries may differ). */
struct exf_names {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, __u32);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct exf_names);
} exf_sets SEC(".maps");

static __always_inline void count(__u32 i)
{
	__u64 *c = bpf_map_lookup_elem(&exf_counters, &i);

	if (c)
		*c += 1;
}

static __always_inline void *current_set(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&exf_sets, &zero);
}

/* ASCII A-Z to a-z in each byte of x, other bytes kept: bit 7 of a
 * (of b) is set in the bytes of 7-bit value >= 'A' (> 'Z'); only bytes
 * below 0x80 qualify. */
static __always_inline __u64 fold8(__u64 x)
{
	const __u64 high = 0x8080808080808080ull;
	__u64 t = x & ~high;
	__u64 a = t + 0x3f3f3f3f3f3f3f3full;
	__u64 b = t + 0x2525252525252525ull;

	return x | ((a & ~b & ~x & high) >> 2);
}

/* 8 bytes of the name buffer from offset o (masked into the buffer). */
static __always_inline __u64 load8(const struct exf_scratch *s, __u64 o)
{
	return *(const __u64 *)&s->name[o & 0xff];
}

#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do {                                                   \
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);       \
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                          \
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                          \
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);       \
} while (0)
#define COMPRESS(m) do { v3 ^= (m); SIPROUND; SIPROUND; v0 ^= (m); } while (0)

/* SipHash-2-4 of le64(parent) || name[o] || name[o + 1 .. o + 1 + len)
 * folded to lowercase (the length byte, below 'A', is never folded). */
static __always_inline __u64 label_hash(const struct exf_config *c,
					__u64 parent,
					const struct exf_scratch *s, __u64 o,
					__u64 len)
{
	__u64 v0 = c->k0 ^ 0x736f6d6570736575ull;
	__u64 v1 = c->k1 ^ 0x646f72616e646f6dull;
	__u64 v2 = c->k0 ^ 0x6c7967656e657261ull;
	__u64 v3 = c->k1 ^ 0x7465646279746573ull;
	__u64 rest = len + 1, total = 9 + len, m;

	COMPRESS(parent);
	for (int j = 0; j < 8; j++) {       /* rest <= 64: <= 8 words */
		if (rest < 8)
			break;
		m = fold8(load8(s, o));
		COMPRESS(m);
		o += 8;
		rest -= 8;
	}
	m = 0;
	if (rest)
		m = fold8(load8(s, o)) & ((1ull << (8 * (rest & 7))) - 1);
	m |= total << 56;
	COMPRESS(m);
	v2 ^= 0xff;
	SIPROUND; SIPROUND; SIPROUND; SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

struct walk {
	void *set;        /* the set, looked up once: one walk reads one */
	__u64 h;          /* hash of the suffix walked so far */
	__u32 labels;
	__u32 prev;       /* its flags */
	__u32 result;     /* enum exf_counter */
};

/* Step i of the walk: the label i + 1 from the right (bpf_loop's
 * callback). Returns 1 to stop. */
static long walk_step(__u32 i, void *ctx)
{
	struct walk *w = ctx;
	__u32 zero = 0, *v;
	struct exf_scratch *s = bpf_map_lookup_elem(&exf_scratch, &zero);
	struct exf_config *c = bpf_map_lookup_elem(&exf_config, &zero);
	void *set = w->set;
	__u64 k, o, len;

	if (!s || !c || !set || i >= w->labels) {
		w->result = EXF_C_OTHER;
		return 1;
	}
	k = (__u64)(w->labels - 1 - i) & (EXF_MAX_LABELS - 1);
	o = s->off[k];
	len = s->name[o & 0xff] & 63;
	w->h = label_hash(c, w->h, s, o, len);
	v = bpf_map_lookup_elem(set, &w->h);
	if (!v) {
		if (w->prev & EXF_ABOVE)
			w->result = EXF_C_NONE;
		else if (w->prev & EXF_WILDCARD)
			w->result = EXF_C_BELOW;
		else
			w->result = EXF_C_DROP;
		return 1;
	}
	if (*v & EXF_STOP) {
		w->result = EXF_C_BELOW;
		return 1;
	}
	w->prev = *v;
	return 0;
}

/* The question's labels into s->off; their count, or -1 when the name is
 * compressed, malformed or runs past the n bytes copied. */
static __always_inline int scan_labels(struct exf_scratch *s, __u64 n)
{
	__u64 pos = 0;
	int labels = 0;
	__u32 qtype;

	for (int i = 0; i < EXF_MAX_LABELS; i++) {
		__u64 l = s->name[pos & 0xff];

		if (l == 0)
			break;
		if (l > 63)
			return -1;    /* a pointer or an extended label */
		s->off[i & (EXF_MAX_LABELS - 1)] = (__u8)pos;
		labels = i + 1;
		pos += l + 1;
		if (pos > 254 || pos + 5 > n)
			return -1;    /* past 255 octets or the datagram */
	}
	asm volatile("" : "+r"(pos));
	if (pos > 254 || s->name[pos] != 0)
		return -1;            /* 128 labels and no root */
	if (s->name[pos + 3] != 0 || s->name[pos + 4] != 1)
		return -1;            /* QCLASS not IN */
	qtype = (__u32)s->name[pos + 1] << 8 | s->name[pos + 2];
	if (qtype == 0 || qtype == 251 || qtype == 252)
		return -1;            /* NOTIMP or a transfer (query.c) */
	s->qlen = (__u32)pos + 5;
	return labels;
}

#define EXF_MAX_OPTIONS 8
#define OPT_COOKIE 10

/* Whether the records after the question, from offset at to the end of
 * the datagram (len), leave the query one user space answers from the
 * zone (judge checked ANCOUNT and NSCOUNT are 0, ARCOUNT at most 1):
 * none (ARCOUNT 0), or ARCOUNT 1 and one OPT record that ends the datagram, owner the root, EDNS version 0, its
 * options each inside RDLENGTH, a COOKIE of 8 or 16..40 octets at most
 * once (edns.c: else FORMERR), no more than EXF_MAX_OPTIONS options (more
 * pass unjudged). Offsets go to bpf_skb_load_bytes, which checks them. */
static __always_inline int rest_plain(struct __sk_buff *skb, __u64 at,
				       __u64 len, const __u8 *hdr)
{
	__u8 rr[11], oh[4];
	__u64 end, olen;
	int cookie = 0;

	if (hdr[11] == 0)
		return at == len;     /* else FORMERR: trailing bytes */
	if (len < at + 11 || bpf_skb_load_bytes(skb, at, rr, 11))
		return 0;
	if (rr[0] != 0 || rr[1] != 0 || rr[2] != 41 || rr[6] != 0)
		return 0;     /* not a root OPT, or BADVERS */
	end = at + 11 + ((__u64)rr[9] << 8 | rr[10]);
	if (end != len)
		return 0;     /* RDLENGTH past the end, or short */
	at += 11;
	for (int i = 0; i < EXF_MAX_OPTIONS; i++) {
		if (at == end)
			return 1;
		if (end - at < 4 || bpf_skb_load_bytes(skb, at, oh, 4))
			return 0;
		olen = (__u64)oh[2] << 8 | oh[3];
		at += 4;
		if (end - at < olen)
			return 0;
		if (oh[0] == 0 && oh[1] == OPT_COOKIE) {
			if (cookie || (olen != 8 && (olen < 16 || olen > 40)))
				return 0;
			cookie = 1;
		}
		at += olen;
	}
	return at == end;
}

static __always_inline __u32 judge(struct __sk_buff *skb)
{
	__u32 zero = 0, *v;
	struct exf_config *c = bpf_map_lookup_elem(&exf_config, &zero);
	struct exf_scratch *s = bpf_map_lookup_elem(&exf_scratch, &zero);
	struct walk w = { 0 };
	__u64 base, n, m, len = skb->len;
	__u8 hdr[12];
	void *set;
	int labels;

	if (!c || !s)
		return EXF_C_OTHER;
	base = c->dns_offset & 0xff;
	if (len < base + 12 || bpf_skb_load_bytes(skb, base, hdr, 12))
		return c->classic ? EXF_C_GARBAGE : EXF_C_OTHER;
	if (c->classic && (hdr[2] & 0x80))
		return EXF_C_GARBAGE;
	if (len < base + 12 + 5)
		return EXF_C_OTHER;
	if ((hdr[2] & 0xf8) || hdr[4] || hdr[5] != 1)
		return EXF_C_OTHER;   /* QR, opcode not QUERY, QDCOUNT not 1 */
	if (hdr[6] | hdr[7] | hdr[8] | hdr[9] | hdr[10] || hdr[11] > 1)
		return EXF_C_OTHER;   /* more records than one OPT */
	set = current_set();
	if (!set)
		return EXF_C_OTHER;   /* no set: the filter is off */
	n = len - base - 12;
	if (n > 259)
		n = 259;              /* 255 octets of name, type, class */
	if (n < 5)
		return EXF_C_OTHER;
	/* The size's bounds (5 to 260) made by arithmetic just before the
	 * call, with m hidden from clang so that it keeps the mask: Linux
	 * 6.1's verifier refused the bounds the comparisons gave when clang
	 * had spilled n before them (a spilled scalar is not linked to its
	 * register there, so the reloaded size could be 0). */
	m = n - 5;
	asm volatile("" : "+r"(m));
	n = (m & 0xff) + 5;
	if (bpf_skb_load_bytes(skb, base + 12, s->name, n))
		return EXF_C_OTHER;
	labels = scan_labels(s, n);
	if (labels < 0 || !rest_plain(skb, base + 12 + (s->qlen & 0x1ff), len,
				      hdr))
		return EXF_C_OTHER;
	w.h = c->h_root;
	v = bpf_map_lookup_elem(set, &w.h);
	if (!v)
		return EXF_C_NONE;    /* an empty set */
	if (*v & EXF_STOP)
		return EXF_C_BELOW;
	w.prev = *v;
	/* Through memory: the verifier then sees one unknown count here,
	 * not one state per count the scan can end with (each would
	 * verify the walk again). */
	s->labels = (__u32)labels;
	w.labels = *(volatile __u32 *)&s->labels & (EXF_MAX_LABELS - 1);
	w.result = EXF_C_EXISTS;
	w.set = set;
	if (w.labels)
		bpf_loop(w.labels, walk_step, &w, 0);
	if (w.result == EXF_C_DROP && c->sample &&
	    bpf_get_prandom_u32() % c->sample == 0)
		return EXF_C_SAMPLED;
	return w.result;
}

SEC("socket")
int exist_filter(struct __sk_buff *skb)
{
	__u32 r = judge(skb);

	count(r);
	if (r == EXF_C_DROP || r == EXF_C_GARBAGE)
		return DROP;
	bpf_tail_call(skb, &exf_next, 0);
	return PASS;   /* no program next */
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
