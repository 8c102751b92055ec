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
 *      record as its last 11 bytes goes on;
 *   3. look the source up in the map: present and not expired
 *      (bpf_ktime_get_ns, CLOCK_MONOTONIC): drop; anything else: keep whole.
 * Step 2 mirrors user space: an over-limit source is dropped there unless it
 * might hold a valid server cookie (udp_flood_pre, udp_flood_post).
 *
 * Ownership: struct ebpf_drop (map fd, program fd, one struct ebpf_cache per
 * reactor) is built by main at start and freed after the reactors stopped;
 * cache[i] is written by reactor i only. The kernel map is shared and
 * written by bpf(BPF_MAP_UPDATE_ELEM) from any reactor: the kernel locks it.
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

struct ebpf_slot {
	uint8_t key[16];
	uint64_t until_ms;    /* listed in the kernel until then */
};

struct ebpf_cache {
	struct ebpf_slot slot[EBPF_DROP_CACHE];
	uint64_t window_ms;   /* start of the current second of inserts */
	unsigned inserts;     /* in that second */
	bool refused;         /* EPERM (privileges dropped, old kernel): stop */
} __attribute__((aligned(64)));

struct ebpf_drop {
	int map_fd;
	int prog_fd;
	unsigned hold_ms;
	unsigned reactors;
	struct ebpf_cache *cache;   /* [reactors] */
};

/* --- a tiny assembler ---------------------------------------------------- */

#define EA_MAX 64
#define EA_LABELS 8

enum { L_DROP, L_PASS, L_LOOKUP, L_V4, L_FIND };

/* The shortest query that can hold a server cookie: 12 + 5 + 11 + 4 + 16. */
#define EBPF_DROP_COOKIE_MIN 48

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
#define RSH64_IMM(a, d, k) ea_emit(a, BPF_ALU64 | BPF_RSH | BPF_K, d, 0, 0, k, -1)
#define LDX(a, sz, d, s, o) ea_emit(a, BPF_LDX | BPF_MEM | (sz), d, s, o, 0, -1)
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

/* The program described in the file header. */
static int ebpf_assemble(struct ea *a, int map_fd, bool classic, bool cookies)
{
	static const uint8_t mapped[4] = { 0, 0, 0xff, 0xff };
	int32_t mapped_imm;

	memcpy(&mapped_imm, mapped, sizeof(mapped_imm));
	memset(a, 0, sizeof(*a));
	for (int l = 0; l < EA_LABELS; l++)
		a->label[l] = -1;

	MOV64_REG(a, BPF_REG_6, BPF_REG_1);              /* r6: ctx (LD_ABS) */
	LDX(a, BPF_W, BPF_REG_7, BPF_REG_6, offsetof(struct __sk_buff, len));
	/* Offsets from the UDP header: DNS header at 8. */
	if (classic) {
		JMP_IMM(a, BPF_JLT, BPF_REG_7, 8 + 12, L_DROP);
		LD_ABS(a, BPF_B, 8 + 2);                  /* QR in 0x80 */
		JMP_IMM(a, BPF_JSET, BPF_REG_0, 0x80, L_DROP);
	} else {
		/* Short: user space counts it as garbage. */
		JMP_IMM(a, BPF_JLT, BPF_REG_7, 8 + 12, L_PASS);
	}
	if (cookies) {
		/* Too short for a server cookie: header, root-name question,
		 * OPT, COOKIE option with client and 8-byte server cookie. */
		JMP_IMM(a, BPF_JLT, BPF_REG_7, 8 + EBPF_DROP_COOKIE_MIN,
			L_LOOKUP);
		LD_ABS(a, BPF_H, 8 + 10);                 /* ARCOUNT */
		JMP_IMM(a, BPF_JEQ, BPF_REG_0, 0, L_LOOKUP);
		JMP_IMM(a, BPF_JNE, BPF_REG_0, 1, L_PASS);
		/* Header, a root-name question, an 11-byte empty OPT. */
		JMP_IMM(a, BPF_JLT, BPF_REG_7, 8 + 12 + 5 + 11, L_PASS);
		LD_ABS(a, BPF_W, 8 + 4);                  /* QDCOUNT, ANCOUNT */
		JMP_IMM(a, BPF_JNE, BPF_REG_0, 0x00010000, L_PASS);
		LD_ABS(a, BPF_H, 8 + 8);                  /* NSCOUNT */
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
	/* IPv6 source: 16 bytes at 8 of the network header -> fp-16. */
	ea_load_net(a, 8, -16, 16);
	JA(a, L_FIND);
	LABEL(a, L_V4);
	/* ::ffff:a.b.c.d, the address from 12 of the IPv4 header. */
	ST(a, BPF_DW, BPF_REG_10, -16, 0);
	ST(a, BPF_W, BPF_REG_10, -8, mapped_imm);
	ea_load_net(a, 12, -4, 4);
	LABEL(a, L_FIND);
	ea_map_fd(a, BPF_REG_1, map_fd);
	MOV64_REG(a, BPF_REG_2, BPF_REG_10);
	ADD64_IMM(a, BPF_REG_2, -16);
	CALL(a, BPF_FUNC_map_lookup_elem);
	JMP_IMM(a, BPF_JEQ, BPF_REG_0, 0, L_PASS);
	LDX(a, BPF_DW, BPF_REG_7, BPF_REG_0, 0);         /* expiry, ns */
	CALL(a, BPF_FUNC_ktime_get_ns);
	JMP_REG(a, BPF_JGE, BPF_REG_0, BPF_REG_7, L_PASS);
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
	struct ebpf_drop *e;
	struct ea a;
	char *vlog;
	int rc;

	*out = NULL;
	if (c->reactors == 0 || c->hold_ms == 0)
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->map_fd = e->prog_fd = -1;
	e->hold_ms = c->hold_ms;
	e->reactors = c->reactors;
	e->cache = aligned_alloc(64, sizeof(*e->cache) * c->reactors);
	if (!e->cache) {
		rc = -ENOMEM;
		goto fail;
	}
	memset(e->cache, 0, sizeof(*e->cache) * c->reactors);
	rc = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "levee_drop", 16,
			    sizeof(uint64_t), EBPF_DROP_ENTRIES, NULL);
	if (rc < 0)
		goto fail;
	e->map_fd = rc;
	rc = ebpf_assemble(&a, e->map_fd, c->classic, c->cookies);
	if (rc < 0)
		goto fail;
	rc = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "levee_drop", "GPL",
			   a.i, (size_t)a.n, NULL);
	if (rc < 0 && rc != -EPERM && (vlog = calloc(1, 16384))) {
		int err = rc;

		/* Once more with the verifier's reasons, for the debug log. */
		popts.log_buf = vlog;
		popts.log_size = 16384;
		popts.log_level = 1;
		rc = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "levee_drop",
				   "GPL", a.i, (size_t)a.n, &popts);
		if (rc < 0) {
			log_debug("ebpf: verifier: %s", vlog);
			rc = err;
		}
		free(vlog);
	}
	if (rc < 0)
		goto fail;
	e->prog_fd = rc;
	*out = e;
	return 0;
fail:
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

/* Slot of key: a multiplicative hash of its last 8 bytes (the host part of
 * an IPv4 key) folded with the first 8. */
static unsigned ebpf_slot_of(const uint8_t key[16])
{
	uint64_t a, b;

	memcpy(&a, key, 8);
	memcpy(&b, key + 8, 8);
	return (unsigned)(((a * 0x9e3779b97f4a7c15ull) ^ b) *
			  0xff51afd7ed558ccdull >> 40) & (EBPF_DROP_CACHE - 1);
}

/* The map key of a whole address: 16 bytes, IPv4 as ::ffff:a.b.c.d.
 * Returns 0, or -EINVAL for a shorter prefix (the map keys whole
 * addresses) or another family. */
static int ebpf_drop_key(const struct cidr *p, uint8_t key[16])
{
	if (p->family == AF_INET && p->bits == 32) {
		memset(key, 0, 10);
		key[10] = key[11] = 0xff;
		memcpy(key + 12, p->addr, 4);
		return 0;
	}
	if (p->family == AF_INET6 && p->bits == 128) {
		memcpy(key, p->addr, 16);
		return 0;
	}
	return -EINVAL;
}

bool ebpf_drop_list(struct ebpf_drop *e, unsigned reactor,
		    const struct cidr *src, uint64_t now_ms)
{
	struct ebpf_cache *c;
	struct ebpf_slot *s;
	uint8_t key[16];
	uint64_t expiry_ns;

	if (!e || reactor >= e->reactors || ebpf_drop_key(src, key) < 0)
		return false;
	c = &e->cache[reactor];
	s = &c->slot[ebpf_slot_of(key)];
	if (s->until_ms > now_ms && memcmp(s->key, key, 16) == 0)
		return false;   /* listed already */
	if (now_ms - c->window_ms >= 1000) {
		c->window_ms = now_ms;
		c->inserts = 0;
	}
	if (c->inserts >= EBPF_DROP_RATE || c->refused)
		return false;   /* user space drops it, as without the map */
	c->inserts++;
	/* uv_now() and bpf_ktime_get_ns() both count CLOCK_MONOTONIC. */
	expiry_ns = (now_ms + e->hold_ms) * 1000000ull;
	if (bpf_map_update_elem(e->map_fd, key, &expiry_ns, BPF_ANY) < 0) {
		/* Before Linux 6.5, with unprivileged BPF disabled, every
		 * bpf() call needs CAP_BPF: after `user:` dropped it, none
		 * will work. */
		if (errno == EPERM)
			c->refused = true;
		return false;
	}
	memcpy(s->key, key, 16);
	s->until_ms = now_ms + e->hold_ms;
	return true;
}

void ebpf_drop_free(struct ebpf_drop *e)
{
	if (!e)
		return;
	if (e->prog_fd >= 0)
		close(e->prog_fd);
	if (e->map_fd >= 0)
		close(e->map_fd);
	free(e->cache);
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

bool ebpf_drop_list(struct ebpf_drop *e, unsigned reactor,
		    const struct cidr *src, uint64_t now_ms)
{
	(void)e;
	(void)reactor;
	(void)src;
	(void)now_ms;
	return false;
}

void ebpf_drop_free(struct ebpf_drop *e)
{
	(void)e;
}

#endif
