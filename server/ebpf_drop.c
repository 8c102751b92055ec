/* ebpf_drop.c -- the kernel drop map: an eBPF socket filter fed by reactors.
 *
 * The program is assembled here, by hand, into a struct bpf_insn array (a
 * dozen-line assembler resolves the jump labels), and loaded with libbpf's
 * low-level calls (bpf_map_create, bpf_prog_load): no clang -target bpf, no
 * skeleton, no object file to ship. Where the program runs (a UDP socket
 * filter, udp_queue_rcv_one_skb), the packet data starts at the UDP header:
 * the DNS header is at offset 8, the IP header is reached with
 * bpf_skb_load_bytes_relative(BPF_HDR_START_NET). What it does, in order:
 *   1. classic checks (if asked): shorter than UDP + DNS header, or QR=1:
 *      drop (the same as udp_bpf_attach's classic filter, which it replaces);
 *   2. with cookies on, keep anything that may carry a server cookie: only
 *      a datagram too short for one (under 48 bytes of DNS), with ARCOUNT 0,
 *      or with QDCOUNT 1, ANCOUNT 0, NSCOUNT 0, ARCOUNT 1 and an empty OPT
 *      record as its last 11 bytes goes on (droplist_examined is the same
 *      test in C, for admission);
 *   3. for each prefix length limits: decides on (/32 /24 /20, /128 /64 /56
 *      /48 by default; at most 4 per family, unrolled), look up the source
 *      masked to it; the first entry found unexpired (bpf_ktime_get_ns,
 *      CLOCK_MONOTONIC) decides: one bpf_get_prandom_u32() below its keep
 *      threshold keeps the datagram, else drop. Nothing found: keep whole.
 * At most 8 map lookups, 8 time reads and one random number per datagram
 * (IPv6; IPv4 4), about 200 instructions, no loop.
 *
 * The bound. Let user space's decision for a cookie-less query over its
 * prefix's limit be: slip 0, drop; slip N > 1, every Nth a challenge (TC,
 * or BADCOOKIE) it can follow, the rest dropped; slip 1, a challenge every
 * time. The kernel must never drop more of an address's traffic than that:
 *  - slip 1: nothing is listed (ebpf_drop_new refuses to build the map),
 *    so nothing forgeable is dropped in the kernel;
 *  - slip 0: an entry keeps 0 (droplist_keep): every examined datagram of
 *    the prefix is dropped for the hold, which user space would drop too
 *    while the prefix stays over (the hold is coarser than the bucket: a
 *    prefix that falls back under its limit within the hold is answered
 *    again only at its end);
 *  - slip N > 1: an entry keeps ceil(2^32/N) out of 2^32, so each examined
 *    datagram is dropped with probability at most (N-1)/N, independently,
 *    with one draw per datagram however many of its prefixes are listed
 *    (the first live entry decides: never a product of shares). Admission
 *    then challenges every over-limit query the kernel may have thinned
 *    (droplist_thinned: examined, and a prefix of the source in the shared
 *    table) instead of slipping again, so the owner of a forged address
 *    keeps at least 1/N of its queries answered, as without the map. The
 *    table holds every live kernel entry (droplist.h): written after the
 *    slot is claimed, with the slot's expiry, and a slot reused only
 *    DROPLIST_GRACE_MS after it; where it cannot take a listing, nothing
 *    is written and user space slips as before. A kernel entry evicted
 *    early (LRU) only makes user space challenge more.
 * Datagrams that may carry a server cookie are never dropped here (step
 * 2), a valid-cookie source over its cookie limit is never listed, and
 * neither is a prefix that overlaps limits: whitelist or an acl: address
 * (user space never drops those for their limit; the kernel could not
 * tell their NOTIFY from the flood around them).
 *
 * The map. One BPF_MAP_TYPE_LRU_HASH keyed by (prefix length, masked
 * address), looked up once per configured length, rather than a
 * BPF_MAP_TYPE_LPM_TRIE: an LPM trie has no LRU, so a full trie refuses
 * new entries and expired ones must be deleted by a bpf() call from user
 * space (a timer on the main thread walking the table); its longest match
 * returns an expired /32 entry and hides the live /24 behind it; every
 * update takes the trie's one spinlock. The LRU hash is preallocated
 * (EBPF_DROP_ENTRIES x about 90 bytes: under 6 MiB of kernel memory),
 * evicts what is not looked up, and needs no removal at all: an entry
 * expires by its time. (Its keys are what an attacker sends; the kernel's
 * hash table hashes them with a random seed of its own.) The price, measured with BPF_PROG_TEST_RUN
 * (tests/unit/test_ebpf.c test_cost prints it): 25-35 ns per lookup, so a
 * cookie-less datagram of an unlisted source costs about 70-100 ns (IPv4,
 * 3 lookups) or 110-140 ns (IPv6, 4) more than one with a cookie (90-110
 * ns, no lookup); one LPM lookup costs 15-25 ns, so the trie would save
 * 50-100 ns per such datagram against the 2 us user space spends on one
 * it drops (docs/flood.md). The map exists only with limits: slip 0 or
 * N > 1, so the default configuration pays none of it.
 *
 * Ownership: struct ebpf_drop (map fd, program fd, the shared table of
 * server/droplist.h, one struct ebpf_budget per reactor) is built by main
 * at start and freed after the reactors stopped; budget[i] is written by
 * reactor i only. The kernel map is shared and written by
 * bpf(BPF_MAP_UPDATE_ELEM) from any reactor: the kernel locks it.
 */
#include "server/ebpf_drop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#ifdef LEVEE_HAVE_LIBBPF

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <unistd.h>

#include "server/log.h"

/* The map's value. */
struct ebpf_value {
	uint64_t expiry_ns;   /* CLOCK_MONOTONIC */
	uint32_t keep;        /* kept when bpf_get_prandom_u32() < keep */
	uint32_t pad;
};

struct ebpf_budget {
	uint64_t window_ms;   /* start of the current second of inserts */
	unsigned inserts;     /* in that second */
	bool refused;         /* EPERM (privileges dropped, old kernel): stop */
} __attribute__((aligned(64)));

struct ebpf_drop {
	int map_fd;
	int prog_fd;
	unsigned reactors;
	uint32_t keep;
	struct droplist *table;
	struct ebpf_budget *budget;   /* [reactors] */
};

/* --- a tiny assembler ---------------------------------------------------- */

#define EA_MAX 320
#define EA_LABELS 16

enum { L_DROP, L_PASS, L_LOOKUP, L_V4, L_DRAW, L_NEXT };   /* L_NEXT + i */

struct ea {
	struct bpf_insn i[EA_MAX];
	int n;
	int label[EA_LABELS];
	int target[EA_MAX];     /* label id of a jump, or -1 */
	bool overflow;
};

static void ea_emit(struct ea *a, uint8_t code, uint8_t dst, uint8_t src,
		    int16_t off, int32_t imm, int target)
{
	if (a->n >= EA_MAX) {
		a->overflow = true;
		return;
	}
	a->i[a->n] = (struct bpf_insn){ .code = code, .dst_reg = dst,
					.src_reg = src, .off = off,
					.imm = imm };
	a->target[a->n++] = target;
}

#define MOV64_REG(a, d, s) ea_emit(a, BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0, -1)
#define MOV64_IMM(a, d, k) ea_emit(a, BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, k, -1)
#define MOV32_IMM(a, d, k) ea_emit(a, BPF_ALU | BPF_MOV | BPF_K, d, 0, 0, k, -1)
#define ADD64_IMM(a, d, k) ea_emit(a, BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, k, -1)
#define AND32_IMM(a, d, k) ea_emit(a, BPF_ALU | BPF_AND | BPF_K, d, 0, 0, k, -1)
#define RSH64_IMM(a, d, k) ea_emit(a, BPF_ALU64 | BPF_RSH | BPF_K, d, 0, 0, k, -1)
#define LDX(a, sz, d, s, o) ea_emit(a, BPF_LDX | BPF_MEM | (sz), d, s, o, 0, -1)
#define STX(a, sz, d, s, o) ea_emit(a, BPF_STX | BPF_MEM | (sz), d, s, o, 0, -1)
#define ST(a, sz, d, o, k) ea_emit(a, BPF_ST | BPF_MEM | (sz), d, 0, o, k, -1)
#define LD_ABS(a, sz, k) ea_emit(a, BPF_LD | BPF_ABS | (sz), 0, 0, 0, k, -1)
#define LD_IND(a, sz, s, k) ea_emit(a, BPF_LD | BPF_IND | (sz), 0, s, 0, k, -1)
#define JMP_IMM(a, op, d, k, l) ea_emit(a, BPF_JMP | (op) | BPF_K, d, 0, 0, k, l)
#define JMP_REG(a, op, d, s, l) ea_emit(a, BPF_JMP | (op) | BPF_X, d, s, 0, 0, l)
#define JA(a, l) ea_emit(a, BPF_JMP | BPF_JA, 0, 0, 0, 0, l)
#define CALL(a, fn) ea_emit(a, BPF_JMP | BPF_CALL, 0, 0, 0, fn, -1)
#define EXIT(a) ea_emit(a, BPF_JMP | BPF_EXIT, 0, 0, 0, 0, -1)
#define LABEL(a, l) ((a)->label[l] = (a)->n)

static void ea_map_fd(struct ea *a, uint8_t dst, int fd)
{
	ea_emit(a, BPF_LD | BPF_DW | BPF_IMM, dst, BPF_PSEUDO_MAP_FD, 0, fd,
		-1);
	ea_emit(a, 0, 0, 0, 0, 0, -1);
}

/* Copies len bytes at net_off of the network header (the skb in r6) to
 * fp + fp_off; on failure, keeps the datagram (jumps to L_PASS). */
static void ea_load_net(struct ea *a, int32_t net_off, int32_t fp_off,
			int32_t len)
{
	MOV64_REG(a, BPF_REG_1, BPF_REG_6);
	MOV64_IMM(a, BPF_REG_2, net_off);
	MOV64_REG(a, BPF_REG_3, BPF_REG_10);
	ADD64_IMM(a, BPF_REG_3, fp_off);
	MOV64_IMM(a, BPF_REG_4, len);
	MOV64_IMM(a, BPF_REG_5, BPF_HDR_START_NET);
	CALL(a, BPF_FUNC_skb_load_bytes_relative);
	JMP_IMM(a, BPF_JNE, BPF_REG_0, 0, L_PASS);
}

/* Resolves jump targets. Returns 0 or -EINVAL (overflow, missing label). */
static int ea_link(struct ea *a)
{
	if (a->overflow)
		return -EINVAL;
	for (int k = 0; k < a->n; k++) {
		int l = a->target[k];

		if (l < 0)
			continue;
		if (a->label[l] < 0)
			return -EINVAL;
		a->i[k].off = (int16_t)(a->label[l] - (k + 1));
	}
	return 0;
}

/* Stack: the source address (16 bytes, IPv4 as ::ffff:a.b.c.d) at
 * fp-16, the key (struct droplist_key: bits, then 16 bytes) at fp-40. */
#define FP_SRC (-16)
#define FP_KEY (-40)
#define FP_KEY_ADDR (FP_KEY + 4)

/* The 32-bit word w (0..3) of a 16-byte address masked to bits, as the
 * mask to AND it with in host order; *keep_all / *zero for the two
 * cases that need no AND. */
static int32_t ea_word_mask(unsigned bits, int w, bool *keep_all, bool *zero)
{
	uint8_t m[4];
	int32_t imm;

	for (int b = 0; b < 4; b++) {
		int first = (w * 4 + b) * 8;   /* first bit of that byte */

		if ((int)bits >= first + 8)
			m[b] = 0xff;
		else if ((int)bits <= first)
			m[b] = 0;
		else
			m[b] = (uint8_t)(0xff << (8 - (bits - first)));
	}
	memcpy(&imm, m, sizeof(imm));
	*keep_all = imm == -1;
	*zero = imm == 0;
	return imm;
}

/* One lookup: the key at mapped length bits from the address at FP_SRC
 * (words from first_word on; the ones before are set already), then the
 * entry's time and share; falls through to the next label when nothing
 * live is found, jumps to L_DRAW with the share in r8 otherwise. */
static void ea_lookup(struct ea *a, int map_fd, unsigned bits, int first_word,
		      int next)
{
	ST(a, BPF_W, BPF_REG_10, FP_KEY, (int32_t)bits);
	for (int w = first_word; w < 4; w++) {
		bool all, zero;
		int32_t m = ea_word_mask(bits, w, &all, &zero);

		if (zero) {
			ST(a, BPF_W, BPF_REG_10, FP_KEY_ADDR + 4 * w, 0);
			continue;
		}
		LDX(a, BPF_W, BPF_REG_1, BPF_REG_10, FP_SRC + 4 * w);
		if (!all)
			AND32_IMM(a, BPF_REG_1, m);
		STX(a, BPF_W, BPF_REG_10, BPF_REG_1, FP_KEY_ADDR + 4 * w);
	}
	ea_map_fd(a, BPF_REG_1, map_fd);
	MOV64_REG(a, BPF_REG_2, BPF_REG_10);
	ADD64_IMM(a, BPF_REG_2, FP_KEY);
	CALL(a, BPF_FUNC_map_lookup_elem);
	JMP_IMM(a, BPF_JEQ, BPF_REG_0, 0, next);
	LDX(a, BPF_DW, BPF_REG_7, BPF_REG_0,
	    offsetof(struct ebpf_value, expiry_ns));
	LDX(a, BPF_W, BPF_REG_8, BPF_REG_0, offsetof(struct ebpf_value, keep));
	CALL(a, BPF_FUNC_ktime_get_ns);
	JMP_REG(a, BPF_JGE, BPF_REG_0, BPF_REG_7, next);
	JA(a, L_DRAW);
	LABEL(a, next);
}

/* The program described in the file header. o: offset of the DNS header
 * in the program's data. */
static int ebpf_assemble(struct ea *a, int map_fd, bool classic,
			 const struct droplist_config *lc, int32_t o)
{
	static const uint8_t mapped[4] = { 0, 0, 0xff, 0xff };
	int32_t mapped_imm;
	int next = L_NEXT;

	memcpy(&mapped_imm, mapped, sizeof(mapped_imm));
	memset(a, 0, sizeof(*a));
	for (int l = 0; l < EA_LABELS; l++)
		a->label[l] = -1;

	MOV64_REG(a, BPF_REG_6, BPF_REG_1);              /* r6: ctx (LD_ABS) */
	LDX(a, BPF_W, BPF_REG_7, BPF_REG_6, offsetof(struct __sk_buff, len));
	if (classic) {
		JMP_IMM(a, BPF_JLT, BPF_REG_7, o + 12, L_DROP);
		LD_ABS(a, BPF_B, o + 2);                  /* QR in 0x80 */
		JMP_IMM(a, BPF_JSET, BPF_REG_0, 0x80, L_DROP);
	} else {
		/* Short: user space counts it as garbage. */
		JMP_IMM(a, BPF_JLT, BPF_REG_7, o + 12, L_PASS);
	}
	if (lc->cookies) {
		/* Too short for a server cookie: header, root-name question,
		 * OPT, COOKIE option with client and 8-byte server cookie. */
		JMP_IMM(a, BPF_JLT, BPF_REG_7, o + DROPLIST_COOKIE_MIN,
			L_LOOKUP);
		LD_ABS(a, BPF_H, o + 10);                 /* ARCOUNT */
		JMP_IMM(a, BPF_JEQ, BPF_REG_0, 0, L_LOOKUP);
		JMP_IMM(a, BPF_JNE, BPF_REG_0, 1, L_PASS);
		/* Header, a root-name question, an 11-byte empty OPT. */
		JMP_IMM(a, BPF_JLT, BPF_REG_7, o + 12 + 5 + 11, L_PASS);
		LD_ABS(a, BPF_W, o + 4);                  /* QDCOUNT, ANCOUNT */
		JMP_IMM(a, BPF_JNE, BPF_REG_0, 0x00010000, L_PASS);
		LD_ABS(a, BPF_H, o + 8);                  /* NSCOUNT */
		JMP_IMM(a, BPF_JNE, BPF_REG_0, 0, L_PASS);
		/* Last 11 bytes: owner 0, TYPE 41, CLASS, TTL, RDLENGTH 0. */
		LD_IND(a, BPF_W, BPF_REG_7, -11);
		RSH64_IMM(a, BPF_REG_0, 8);
		JMP_IMM(a, BPF_JNE, BPF_REG_0, 41, L_PASS);
		LD_IND(a, BPF_H, BPF_REG_7, -2);
		JMP_IMM(a, BPF_JNE, BPF_REG_0, 0, L_PASS);
	}
	LABEL(a, L_LOOKUP);
	LDX(a, BPF_W, BPF_REG_0, BPF_REG_6,
	    offsetof(struct __sk_buff, protocol));
	JMP_IMM(a, BPF_JEQ, BPF_REG_0, htons(0x0800), L_V4);
	JMP_IMM(a, BPF_JNE, BPF_REG_0, htons(0x86dd), L_PASS);
	/* IPv6 source: 16 bytes at 8 of the network header. */
	ea_load_net(a, 8, FP_SRC, 16);
	for (size_t i = 0; i < lc->v6_count; i++)
		ea_lookup(a, map_fd, lc->v6[i], 0, next++);
	JA(a, L_PASS);
	LABEL(a, L_V4);
	/* ::ffff:a.b.c.d, the address from 12 of the IPv4 header; the key's
	 * first 12 bytes are the same for every IPv4 length (96 + 1..32). */
	ST(a, BPF_DW, BPF_REG_10, FP_SRC, 0);
	ST(a, BPF_W, BPF_REG_10, FP_SRC + 8, mapped_imm);
	ea_load_net(a, 12, FP_SRC + 12, 4);
	ST(a, BPF_W, BPF_REG_10, FP_KEY_ADDR, 0);
	ST(a, BPF_W, BPF_REG_10, FP_KEY_ADDR + 4, 0);
	ST(a, BPF_W, BPF_REG_10, FP_KEY_ADDR + 8, mapped_imm);
	for (size_t i = 0; i < lc->v4_count; i++)
		ea_lookup(a, map_fd, 96u + lc->v4[i], 3, next++);
	JA(a, L_PASS);
	LABEL(a, L_DRAW);
	/* One draw for the datagram: kept below the entry's share (r8);
	 * share 0 (slip 0) needs none. */
	JMP_IMM(a, BPF_JEQ, BPF_REG_8, 0, L_DROP);
	CALL(a, BPF_FUNC_get_prandom_u32);
	JMP_REG(a, BPF_JLT, BPF_REG_0, BPF_REG_8, L_PASS);
	LABEL(a, L_DROP);
	MOV64_IMM(a, BPF_REG_0, 0);
	EXIT(a);
	LABEL(a, L_PASS);
	MOV32_IMM(a, BPF_REG_0, -1);                     /* keep it whole */
	EXIT(a);
	return ea_link(a);
}

int ebpf_drop_new(const struct ebpf_drop_config *c, struct ebpf_drop **out)
{
	LIBBPF_OPTS(bpf_prog_load_opts, popts);
	const struct droplist_config *lc = &c->list;
	struct ebpf_drop *e;
	struct ea *a = NULL;
	char *vlog;
	int rc;

	*out = NULL;
	if (c->reactors == 0 || lc->hold_ms == 0 || lc->slip == 1 ||
	    lc->v4_count + lc->v6_count == 0 ||
	    lc->v4_count > DROPLIST_MAX_PREFIXES ||
	    lc->v6_count > DROPLIST_MAX_PREFIXES ||
	    L_NEXT + lc->v4_count + lc->v6_count > EA_LABELS)
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->map_fd = e->prog_fd = -1;
	e->reactors = c->reactors;
	e->keep = droplist_keep(lc->slip);
	e->budget = aligned_alloc(64, sizeof(*e->budget) * c->reactors);
	e->table = droplist_new(lc, c->seed);
	a = malloc(sizeof(*a));
	if (!e->budget || !e->table || !a) {
		rc = -ENOMEM;
		goto fail;
	}
	memset(e->budget, 0, sizeof(*e->budget) * c->reactors);
	rc = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "levee_drop",
			    sizeof(struct droplist_key),
			    sizeof(struct ebpf_value), EBPF_DROP_ENTRIES,
			    NULL);
	if (rc < 0)
		goto fail;
	e->map_fd = rc;
	rc = ebpf_assemble(a, e->map_fd, c->classic, lc,
			   c->dns_offset ? (int32_t)c->dns_offset : 8);
	if (rc < 0)
		goto fail;
	rc = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "levee_drop", "GPL",
			   a->i, (size_t)a->n, NULL);
	if (rc < 0 && rc != -EPERM && (vlog = calloc(1, 65536))) {
		int err = rc;

		/* Once more with the verifier's reasons, for the debug log. */
		popts.log_buf = vlog;
		popts.log_size = 65536;
		popts.log_level = 1;
		rc = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "levee_drop",
				   "GPL", a->i, (size_t)a->n, &popts);
		if (rc < 0) {
			log_debug("ebpf: verifier: %s", vlog);
			rc = err;
		}
		free(vlog);
	}
	if (rc < 0)
		goto fail;
	e->prog_fd = rc;
	log_debug("ebpf: drop program of %d instructions", a->n);
	free(a);
	*out = e;
	return 0;
fail:
	free(a);
	ebpf_drop_free(e);
	return rc < 0 ? rc : -EINVAL;
}

int ebpf_drop_attach(struct ebpf_drop *e, int fd)
{
	if (!e)
		return -EINVAL;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, &e->prog_fd,
		       sizeof(e->prog_fd)) < 0)
		return -errno;
	return 0;
}

struct droplist *ebpf_drop_table(struct ebpf_drop *e)
{
	return e ? e->table : NULL;
}

int ebpf_drop_prog_fd(const struct ebpf_drop *e)
{
	return e ? e->prog_fd : -1;
}

bool ebpf_drop_list(struct ebpf_drop *e, unsigned reactor,
		    const struct cidr *p, uint64_t now_ms)
{
	struct ebpf_budget *b;
	struct droplist_key key;
	struct ebpf_value v = { 0 };
	uint64_t until;
	bool may;

	if (!e || reactor >= e->reactors || !droplist_key(e->table, p, &key))
		return false;
	b = &e->budget[reactor];
	if (now_ms - b->window_ms >= 1000) {
		b->window_ms = now_ms;
		b->inserts = 0;
	}
	may = b->inserts < EBPF_DROP_RATE && !b->refused;
	/* Listed already (by any reactor), or no room: no system call, and
	 * where it is not listed user space keeps slipping on its own. */
	switch (droplist_claim(e->table, &key, now_ms, may, &until)) {
	case DROPLIST_CLAIMED:
		break;
	case DROPLIST_SPARED:
		b->inserts++;   /* the overlap test cost as much as a write */
		return false;
	default:
		return false;
	}
	b->inserts++;
	/* uv_now() and bpf_ktime_get_ns() both count CLOCK_MONOTONIC; the
	 * entry expires exactly when its slot does. */
	v.expiry_ns = until * 1000000ull;
	v.keep = e->keep;
	if (bpf_map_update_elem(e->map_fd, &key, &v, BPF_ANY) < 0) {
		/* Before Linux 6.5, with unprivileged BPF disabled, every
		 * bpf() call needs CAP_BPF: after `user:` dropped it, none
		 * will work. The slot stays: user space then challenges the
		 * prefix's over-limit queries until it expires (never
		 * drops more). */
		if (errno == EPERM)
			b->refused = true;
		return false;
	}
	return true;
}

int ebpf_drop_test_run(struct ebpf_drop *e, const void *frame, size_t len,
		       unsigned repeat, uint32_t *verdict, uint32_t *ns)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
		    .data_size_in = (uint32_t)len, .repeat = (int)repeat);

	int rc;

	if (!e)
		return -EINVAL;
	rc = bpf_prog_test_run_opts(e->prog_fd, &o);
	if (rc < 0)
		return rc;   /* libbpf 1.x: a negative errno */
	*verdict = o.retval;
	if (ns)
		*ns = o.duration;
	return 0;
}

void ebpf_drop_free(struct ebpf_drop *e)
{
	if (!e)
		return;
	if (e->prog_fd >= 0)
		close(e->prog_fd);
	if (e->map_fd >= 0)
		close(e->map_fd);
	droplist_free(e->table);
	free(e->budget);
	free(e);
}

#else /* !LEVEE_HAVE_LIBBPF: stubs, the classic filter and user space only */

int ebpf_drop_new(const struct ebpf_drop_config *c, struct ebpf_drop **out)
{
	(void)c;
	*out = NULL;
	return -ENOTSUP;
}

int ebpf_drop_attach(struct ebpf_drop *e, int fd)
{
	(void)e;
	(void)fd;
	return -ENOTSUP;
}

struct droplist *ebpf_drop_table(struct ebpf_drop *e)
{
	(void)e;
	return NULL;
}

int ebpf_drop_prog_fd(const struct ebpf_drop *e)
{
	(void)e;
	return -1;
}

bool ebpf_drop_list(struct ebpf_drop *e, unsigned reactor,
		    const struct cidr *p, uint64_t now_ms)
{
	(void)e;
	(void)reactor;
	(void)p;
	(void)now_ms;
	return false;
}

int ebpf_drop_test_run(struct ebpf_drop *e, const void *frame, size_t len,
		       unsigned repeat, uint32_t *verdict, uint32_t *ns)
{
	(void)e;
	(void)frame;
	(void)len;
	(void)repeat;
	(void)verdict;
	(void)ns;
	return -ENOTSUP;
}

void ebpf_drop_free(struct ebpf_drop *e)
{
	(void)e;
}

#endif
