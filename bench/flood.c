/* flood.c -- the flood lab of issue 7: attack replays with legitimate clients.
 *
 * One program, one scenario per run (-s): a flood and, at the same time,
 * legitimate clients, against one DNS server on loopback. Every packet goes
 * to the server address given (127.0.0.0/8 only, checked), the run is bounded
 * in time (-d, at most 60 s), rate (-r, at most 2,000,000/s) and connections
 * (-C, at most 20,000).
 *
 * UDP sources: a few sockets bound to 0.0.0.0 on ephemeral ports ("random
 * ports") send from any 127.x.y.z address chosen per packet with an
 * IP_PKTINFO control message (every 127/8 address is local), so thousands
 * of distinct sources need no socket each; the replies come back to the
 * socket owning the port. Flood packets go out in sendmmsg batches paced by
 * a token bucket; legitimate queries are paced by their own bucket and
 * tracked by ID (send time, name), expired after -t.
 *
 * A legitimate query counts as answered only with the correct answer: NOERROR,
 * the question echoed and an A record with the address bench/mkzone.py gave
 * hostN (10.N>>16.N>>8.N). A truncated reply is retried over TCP from the
 * same source by a pool of threads; it counts as answered only if the retry
 * gets the correct answer, and its latency runs from the UDP send. The
 * TCP scenario's legitimate clients use the same pool (one connection per
 * query). The pool's counters are atomics; nothing else is shared.
 *
 * The server's CPU (utime+stime of the process tree of -P, /proc/PID/stat)
 * and the machine's (/proc/stat busy jiffies) are read before and after.
 * Output: human-readable lines, then one "FLOOD key=value ..." line.
 */
#ifndef _GNU_SOURCE   /* meson passes -D_GNU_SOURCE */
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define FL_BATCH    64
#define FL_FSOCKS   16      /* flood sockets (ports) */
#define FL_LSOCKS   8       /* legitimate UDP sockets */
#define FL_PKT      1600
#define FL_HB       (64 * 16)
#define FL_JOBS     65536   /* TCP job queue */
#define FL_WORKERS  16
#define FL_MAXSRC   65536

enum scen { S_TORTURE, S_DIRECT, S_SPARSE, S_COOKIE, S_REFLECT, S_TCP, S_GARBAGE };
static const char *scen_names[] = { "torture", "direct", "direct-sparse",
	"direct-cookie", "reflection", "tcp", "garbage" };

static struct {
	enum scen s;
	struct sockaddr_in srv;
	double dur, tmo;
	double frate, lrate;
	unsigned nsrc, nres, names, conns;
	int drip, pid;
	const char *vzone, *ozone;
} o;

/* --- small helpers ------------------------------------------------------ */
static uint64_t rng_s = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rng_s ^= rng_s << 13;
	rng_s ^= rng_s >> 7;
	rng_s ^= rng_s << 17;
	return rng_s;
}

static unsigned hidx(uint64_t us)
{
	unsigned msb;
	if (us < 16)
		return (unsigned)us;
	msb = 63 - (unsigned)__builtin_clzll(us);
	return (msb - 3) * 16 + (unsigned)((us >> (msb - 4)) & 15);
}

static uint64_t hval(unsigned i)
{
	unsigned msb;
	if (i < 16)
		return i;
	msb = i / 16 + 3;
	return ((uint64_t)(16 + i % 16) << (msb - 4));
}

struct group {
	uint64_t sent, answered, wrong, tc, tc_ok, lost, bytes_out, bytes_in;
	uint64_t rcode[16];
	uint64_t hist[FL_HB];
};
static struct group gf, gl;      /* flood, legitimate */
static uint64_t shared_sent, shared_ok;  /* legit via the flood's resolvers */

static void hist_add(struct group *g, uint64_t ns)
{
	unsigned i = hidx(ns / 1000);
	if (i >= FL_HB)
		i = FL_HB - 1;
	__atomic_fetch_add(&g->hist[i], 1, __ATOMIC_RELAXED);
}

static double hist_pct(const struct group *g, double p)
{
	uint64_t tot = 0, acc = 0;
	for (unsigned i = 0; i < FL_HB; i++)
		tot += g->hist[i];
	if (!tot)
		return 0;
	for (unsigned i = 0; i < FL_HB; i++) {
		acc += g->hist[i];
		if ((double)acc >= p * (double)tot)
			return (double)hval(i);
	}
	return 0;
}

#define ADD(x, v) __atomic_fetch_add(&(x), (v), __ATOMIC_RELAXED)

/* --- DNS wire ----------------------------------------------------------- */
static size_t put_name(uint8_t *p, const char *s)
{
	size_t n = 0;
	while (*s) {
		const char *d = strchr(s, '.');
		size_t l = d ? (size_t)(d - s) : strlen(s);
		p[n++] = (uint8_t)l;
		memcpy(p + n, s, l);
		n += l;
		s += l;
		if (*s == '.')
			s++;
	}
	p[n++] = 0;
	return n;
}

/* build a query; cookie: NULL, or ck (8 client + sclen server bytes). */
static size_t mkquery(uint8_t *p, uint16_t id, uint16_t flags, const char *name,
		      uint16_t qtype, int edns, const uint8_t *ck, size_t cklen)
{
	size_t n = 12;
	memset(p, 0, 12);
	p[0] = (uint8_t)(id >> 8);
	p[1] = (uint8_t)id;
	p[2] = (uint8_t)(flags >> 8);
	p[3] = (uint8_t)flags;
	p[5] = 1;
	n += put_name(p + n, name);
	p[n++] = (uint8_t)(qtype >> 8);
	p[n++] = (uint8_t)qtype;
	p[n++] = 0;
	p[n++] = 1;
	if (edns) {
		size_t rd = ck ? 4 + cklen : 0;
		p[11] = 1;
		p[n++] = 0;
		p[n++] = 0;
		p[n++] = 41;
		p[n++] = 1232 >> 8;
		p[n++] = 1232 & 255;
		memset(p + n, 0, 4);
		n += 4;
		p[n++] = (uint8_t)(rd >> 8);
		p[n++] = (uint8_t)rd;
		if (ck) {
			p[n++] = 0;
			p[n++] = 10;
			p[n++] = (uint8_t)(cklen >> 8);
			p[n++] = (uint8_t)cklen;
			memcpy(p + n, ck, cklen);
			n += cklen;
		}
	}
	return n;
}

static int skip_name(const uint8_t *m, size_t len, size_t *pos)
{
	size_t p = *pos;
	for (unsigned i = 0; i < 128; i++) {
		if (p >= len)
			return -1;
		if ((m[p] & 0xc0) == 0xc0) {
			*pos = p + 2;
			return p + 2 <= len ? 0 : -1;
		}
		if (m[p] == 0) {
			*pos = p + 1;
			return 0;
		}
		p += 1u + m[p];
	}
	return -1;
}

/* one resource record's header at *pos: its type and rdata length, *pos
 * moved past name and header to the rdata; -1 when the header or rdata
 * runs past len */
static int rr_head(const uint8_t *r, size_t len, size_t *pos, unsigned *type,
		   unsigned *rdl)
{
	if (skip_name(r, len, pos) || *pos + 10 > len)
		return -1;
	*type = (unsigned)r[*pos] << 8 | r[*pos + 1];
	*rdl = (unsigned)r[*pos + 8] << 8 | r[*pos + 9];
	*pos += 10;
	if (*pos + *rdl > len)
		return -1;
	return 0;
}

/* the name of legitimate query k (k < 2*names): host{k/2} in vzone or ozone */
static void legit_name(unsigned k, char *buf, size_t cap, uint8_t a[4])
{
	unsigned i = (k / 2) % o.names;
	snprintf(buf, cap, "host%u.%s", i, (k & 1) ? o.ozone : o.vzone);
	a[0] = 10;
	a[1] = (uint8_t)(i >> 16);
	a[2] = (uint8_t)(i >> 8);
	a[3] = (uint8_t)i;
}

/* 1: correct answer; 0: wrong; 2: TC */
static int check_answer(const uint8_t *r, size_t len, const uint8_t *q,
			size_t qlen, const uint8_t a[4])
{
	size_t pos = 12, qend;
	unsigned an;
	if (len < 12 || !(r[2] & 0x80))
		return 0;
	if (r[2] & 0x02)
		return 2;
	if ((r[3] & 15) != 0)
		return 0;
	if (skip_name(r, len, &pos) || pos + 4 > len)
		return 0;
	qend = pos + 4;
	/* question echoed (case-insensitive enough: we send lower case) */
	if (qlen < qend || memcmp(r + 12, q + 12, qend - 12))
		return 0;
	pos = qend;
	an = (unsigned)r[6] << 8 | r[7];
	for (unsigned i = 0; i < an; i++) {
		unsigned type, rdl;
		if (rr_head(r, len, &pos, &type, &rdl))
			return 0;
		if (type == 1 && rdl == 4 && !memcmp(r + pos, a, 4))
			return 1;
		pos += rdl;
	}
	return 0;
}

/* server cookie from the OPT record of a reply: copies client+server cookie */
static size_t get_cookie(const uint8_t *r, size_t len, uint8_t *out)
{
	size_t pos = 12;
	unsigned cnt = ((unsigned)r[4] << 8 | r[5]) + ((unsigned)r[6] << 8 | r[7]) +
		       ((unsigned)r[8] << 8 | r[9]);
	unsigned ar = (unsigned)r[10] << 8 | r[11];
	if (len < 12)
		return 0;
	if (skip_name(r, len, &pos))
		return 0;
	pos += 4;
	cnt = cnt - ((unsigned)r[4] << 8 | r[5]);
	for (unsigned i = 0; i < cnt + ar; i++) {
		unsigned type, rdl;
		if (rr_head(r, len, &pos, &type, &rdl))
			return 0;
		if (type == 41) {
			size_t e = pos + rdl;
			while (pos + 4 <= e) {
				unsigned oc = (unsigned)r[pos] << 8 | r[pos + 1];
				unsigned ol = (unsigned)r[pos + 2] << 8 | r[pos + 3];
				if (pos + 4 + ol > e)
					return 0;
				if (oc == 10 && ol > 8 && ol <= 40) {
					memcpy(out, r + pos + 4, ol);
					return ol;
				}
				pos += 4 + ol;
			}
			return 0;
		}
		pos += rdl;
	}
	return 0;
}

/* --- CPU ---------------------------------------------------------------- */
static uint64_t tree_ticks(int pid, int depth)
{
	char path[64], buf[4096], *p;
	uint64_t sum = 0;
	unsigned long ut = 0, st = 0;
	FILE *f;
	if (pid <= 0 || depth > 4)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((f = fopen(path, "r"))) {
		if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) &&
		    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			   &ut, &st) == 2)
			sum += ut + st;
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	if ((f = fopen(path, "r"))) {
		int c;
		while (fscanf(f, "%d", &c) == 1)
			sum += tree_ticks(c, depth + 1);
		fclose(f);
	}
	return sum;
}

static uint64_t machine_busy(void)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");
	if (!f)
		return 0;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
		   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
		v[0] = 0;
	fclose(f);
	return v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
}

/* --- TCP pool: retries of truncated answers and TCP clients ---------------- */
struct job {
	uint64_t t0;
	uint32_t src;   /* source address, host order */
	uint32_t k;     /* legitimate name index */
	uint8_t shared;
};
static struct job jobs[FL_JOBS];
static unsigned jhead, jtail, jbusy;
static int jstop;
static pthread_mutex_t jmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t jcv = PTHREAD_COND_INITIALIZER;

static void job_push(uint64_t t0, uint32_t src, uint32_t k, int shared)
{
	pthread_mutex_lock(&jmu);
	if (jtail - jhead < FL_JOBS) {
		jobs[jtail % FL_JOBS] = (struct job){ t0, src, k, (uint8_t)shared };
		jtail++;
		pthread_cond_signal(&jcv);
	} else {
		ADD(gl.lost, 1);
	}
	pthread_mutex_unlock(&jmu);
}

/* wait for fd events until deadline; 1 ready, 0 timeout */
static int wait_fd(int fd, short ev, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = ev };
	uint64_t n = common_now_ns();
	if (n >= deadline)
		return 0;
	return poll(&p, 1, (int)((deadline - n) / 1000000 + 1)) > 0;
}

static int tcp_query(const struct job *j)
{
	uint8_t q[600], r[4096], a[4];
	char name[300];
	size_t qlen, got = 0, need = 0;
	uint64_t dl = j->t0 + (uint64_t)(o.tmo * 2e9);
	struct sockaddr_in src = { .sin_family = AF_INET };
	int fd, res = 0;

	legit_name(j->k, name, sizeof(name), a);
	qlen = mkquery(q + 2, (uint16_t)rnd(), 0, name, 1, 1, NULL, 0);
	q[0] = (uint8_t)(qlen >> 8);
	q[1] = (uint8_t)qlen;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return 0;
	src.sin_addr.s_addr = htonl(j->src);
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0)
		goto out;
	if (connect(fd, (struct sockaddr *)&o.srv, sizeof(o.srv)) < 0 && errno != EINPROGRESS)
		goto out;
	if (!wait_fd(fd, POLLOUT, dl))
		goto out;
	if (send(fd, q, qlen + 2, MSG_NOSIGNAL) != (ssize_t)(qlen + 2))
		goto out;
	for (;;) {
		ssize_t n;
		if (!wait_fd(fd, POLLIN, dl))
			goto out;
		n = recv(fd, r + got, sizeof(r) - got, 0);
		if (n <= 0)
			goto out;
		got += (size_t)n;
		if (got >= 2)
			need = (size_t)r[0] << 8 | r[1];
		if (need && got >= need + 2)
			break;
		if (got >= sizeof(r))
			goto out;
	}
	res = check_answer(r + 2, need, q + 2, qlen, a) == 1;
out:
	close(fd);
	return res;
}

static void *worker(void *arg)
{
	(void)arg;
	for (;;) {
		struct job j;
		pthread_mutex_lock(&jmu);
		while (jhead == jtail && !jstop)
			pthread_cond_wait(&jcv, &jmu);
		if (jhead == jtail) {
			pthread_mutex_unlock(&jmu);
			return NULL;
		}
		j = jobs[jhead % FL_JOBS];
		jhead++;
		jbusy++;
		pthread_mutex_unlock(&jmu);
		if (tcp_query(&j)) {
			ADD(gl.answered, 1);
			if (o.s != S_TCP)
				ADD(gl.tc_ok, 1);
			if (j.shared)
				ADD(shared_ok, 1);
			hist_add(&gl, common_now_ns() - j.t0);
		} else {
			ADD(gl.lost, 1);
		}
		pthread_mutex_lock(&jmu);
		jbusy--;
		pthread_mutex_unlock(&jmu);
	}
}

/* --- UDP sockets with per-packet source ------------------------------------ */
static int udp_sock(int rcvbuf)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), one = 1;
	struct sockaddr_in a = { .sin_family = AF_INET };
	if (fd < 0)
		common_die("socket");
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		common_die("bind");
	return fd;
}

struct obuf {
	uint8_t pkt[FL_PKT];
	size_t len;
	uint32_t src;
	struct iovec iov;
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} c;
};

static void set_msg(struct mmsghdr *m, struct obuf *b)
{
	struct cmsghdr *cm;
	struct in_pktinfo pi;
	memset(m, 0, sizeof(*m));
	b->iov.iov_base = b->pkt;
	b->iov.iov_len = b->len;
	m->msg_hdr.msg_name = &o.srv;
	m->msg_hdr.msg_namelen = sizeof(o.srv);
	m->msg_hdr.msg_iov = &b->iov;
	m->msg_hdr.msg_iovlen = 1;
	m->msg_hdr.msg_control = b->c.buf;
	m->msg_hdr.msg_controllen = sizeof(b->c.buf);
	cm = CMSG_FIRSTHDR(&m->msg_hdr);
	cm->cmsg_level = IPPROTO_IP;
	cm->cmsg_type = IP_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(pi));
	memset(&pi, 0, sizeof(pi));
	pi.ipi_spec_dst.s_addr = htonl(b->src);
	memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
}

/* flood sources */
static uint32_t *srcs;
static uint8_t (*cookies)[40];
static uint8_t *cklen;
static uint32_t res_shared[64], res_sep[64];
static const uint32_t VICTIM = 0x7f090001; /* 127.9.0.1 */

static void make_sources(void)
{
	srcs = calloc(o.nsrc, sizeof(*srcs));
	cookies = calloc(o.nsrc, sizeof(*cookies));
	cklen = calloc(o.nsrc, 1);
	if (!srcs || !cookies || !cklen)
		common_die("calloc");
	for (unsigned i = 0; i < o.nsrc; i++) {
		if (o.s == S_TORTURE)
			srcs[i] = 0x7f020001u + i;                 /* 127.2.0.x */
		else if (o.s == S_SPARSE)      /* one per /24: 127.X.Y.1 */
			srcs[i] = 0x7f000001u | (16u + i / 256) << 16 | (i % 256) << 8;
		else                            /* dense: 250 per /24 */
			srcs[i] = 0x7f040001u + (i / 250) * 256 + i % 250;
	}
	for (unsigned i = 0; i < 64; i++) {
		res_shared[i] = srcs[i % o.nsrc];
		res_sep[i] = 0x7f030001u + i;                      /* 127.3.0.x */
	}
}

/* flood packet i into b */
static void flood_pkt(struct obuf *b, uint64_t i)
{
	char name[300], lab[13];
	static const char al[] = "abcdefghijklmnopqrstuvw012345678";
	uint64_t r = rnd();
	unsigned si = (unsigned)(r % o.nsrc);
	for (int k = 0; k < 12; k++)
		lab[k] = al[(r >> (5 * k + 4)) & 31];
	lab[12] = 0;
	b->src = srcs[si];
	switch (o.s) {
	case S_REFLECT:
		b->src = VICTIM;
		if (i & 1) {
			snprintf(name, sizeof(name), "%s", o.vzone);
			b->len = mkquery(b->pkt, (uint16_t)r, 0, name, 255, 1, NULL, 0);
		} else {
			snprintf(name, sizeof(name), "big.%s", o.vzone);
			b->len = mkquery(b->pkt, (uint16_t)r, 0, name, 16, 1, NULL, 0);
		}
		break;
	case S_GARBAGE: {
		unsigned kind = (unsigned)(i % 5);
		snprintf(name, sizeof(name), "%s.%s", lab, o.vzone);
		b->len = mkquery(b->pkt, (uint16_t)r, 0, name, 1, 1, NULL, 0);
		if (kind == 0) {                   /* short: 1..11 bytes */
			b->len = 1 + (r >> 40) % 11;
		} else if (kind == 1) {            /* label runs past the end */
			b->pkt[12] = 63;
			b->len = 12 + 20;
		} else if (kind == 2) {            /* QR=1 */
			b->pkt[2] |= 0x80;
		} else {                           /* opcode 3, 4 (NOTIFY), 5 (UPDATE) */
			b->pkt[2] |= (uint8_t)((kind == 3 ? 3 : 5) << 3);
		}
		break;
	}
	case S_COOKIE:
		snprintf(name, sizeof(name), "%s.%s", lab, o.vzone);
		b->len = mkquery(b->pkt, (uint16_t)r, 0, name, 1, 1,
				 cklen[si] ? cookies[si] : NULL, cklen[si]);
		break;
	default:
		snprintf(name, sizeof(name), "%s.%s", lab, o.vzone);
		b->len = mkquery(b->pkt, (uint16_t)r, 0, name, 1, 1, NULL, 0);
	}
	gf.bytes_out += b->len;
}

/* legitimate UDP in flight: per socket, indexed by ID */
struct lq {
	uint64_t t;
	uint32_t k, src;
	uint8_t on, shared;
};
static struct lq *lqs[FL_LSOCKS];
static uint16_t lnext[FL_LSOCKS], ltail[FL_LSOCKS];

static void legit_expire(unsigned s, uint64_t now, int all)
{
	uint64_t tmo = (uint64_t)(o.tmo * 1e9);
	while (ltail[s] != lnext[s]) {
		struct lq *q = &lqs[s][ltail[s]];
		if (q->on) {
			if (!all && q->t + tmo > now)
				break;
			q->on = 0;
			ADD(gl.lost, 1);
		}
		ltail[s]++;
	}
}

static void legit_send(int fd, unsigned s, uint64_t now)
{
	struct obuf b;
	struct mmsghdr m;
	uint8_t a[4];
	char name[300];
	uint16_t id = lnext[s];
	struct lq *q = &lqs[s][id];
	uint32_t k = (uint32_t)(rnd() % (2 * o.names));
	int shared = 0;

	if ((uint16_t)(id + 1) == ltail[s])
		legit_expire(s, now, 1);          /* ring full: cannot happen at sane rates */
	if (o.s == S_TORTURE && (rnd() & 1)) {
		shared = 1;
		b.src = res_shared[rnd() % (o.nres < 64 ? o.nres : 64)];
	} else {
		b.src = res_sep[rnd() % 16];
	}
	legit_name(k, name, sizeof(name), a);
	b.len = mkquery(b.pkt, id, 0, name, 1, 1, NULL, 0);
	set_msg(&m, &b);
	if (sendmmsg(fd, &m, 1, 0) != 1)
		return;
	*q = (struct lq){ now, k, b.src, 1, (uint8_t)shared };
	lnext[s]++;
	gl.sent++;
	gl.bytes_out += b.len;
	if (shared)
		shared_sent++;
}

static void legit_recv(int fd, unsigned s)
{
	uint8_t r[4096], q[600], a[4];
	char name[300];
	for (int n = 0; n < 256; n++) {
		ssize_t len = recv(fd, r, sizeof(r), 0);
		struct lq *lq;
		size_t qlen;
		int c;
		uint64_t now;
		if (len < 12)
			return;
		lq = &lqs[s][(uint16_t)(r[0] << 8 | r[1])];
		if (!lq->on)
			continue;
		now = common_now_ns();
		lq->on = 0;
		legit_name(lq->k, name, sizeof(name), a);
		qlen = mkquery(q, 0, 0, name, 1, 1, NULL, 0);
		gl.rcode[r[3] & 15]++;
		gl.bytes_in += (uint64_t)len;
		c = check_answer(r, (size_t)len, q, qlen, a);
		if (c == 1) {
			gl.answered++;
			if (lq->shared)
				shared_ok++;
			hist_add(&gl, now - lq->t);
		} else if (c == 2) {
			gl.tc++;
			job_push(lq->t, lq->src, lq->k, lq->shared);
		} else {
			gl.wrong++;
		}
	}
}

static void flood_recv(int fd)
{
	static struct mmsghdr m[FL_BATCH];
	static struct iovec iov[FL_BATCH];
	static uint8_t buf[FL_BATCH][2048];
	for (int round = 0; round < 8; round++) {
		int n;
		for (int i = 0; i < FL_BATCH; i++) {
			iov[i].iov_base = buf[i];
			iov[i].iov_len = sizeof(buf[i]);
			memset(&m[i].msg_hdr, 0, sizeof(m[i].msg_hdr));
			m[i].msg_hdr.msg_iov = &iov[i];
			m[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(fd, m, FL_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (int i = 0; i < n; i++) {
			uint8_t *r = buf[i];
			if (m[i].msg_len < 4)
				continue;
			gf.answered++;
			gf.bytes_in += m[i].msg_len;
			gf.rcode[r[3] & 15]++;
			if (r[2] & 2)
				gf.tc++;
		}
	}
}

/* direct-cookie: each bot asks once with a client cookie, keeps the answer's */
static void fetch_cookies(int fd)
{
	unsigned got = 0;
	char name[300];
	uint8_t a[4];
	for (int pass = 0; pass < 2 && got < o.nsrc; pass++) {
		uint64_t dl;
		for (unsigned i = 0; i < o.nsrc; i += FL_BATCH) {
			struct mmsghdr m[FL_BATCH];
			static struct obuf b[FL_BATCH];
			unsigned n = 0;
			for (unsigned j = i; j < o.nsrc && j < i + FL_BATCH; j++) {
				uint8_t ck[8];
				uint64_t v = j * 0x9e3779b97f4a7c15ull + 1;
				if (cklen[j])
					continue;
				memcpy(ck, &v, 8);
				legit_name(2 * j, name, sizeof(name), a);
				b[n].src = srcs[j];
				b[n].len = mkquery(b[n].pkt, (uint16_t)j, 0, name, 1, 1, ck, 8);
				set_msg(&m[n], &b[n]);
				n++;
			}
			if (n && sendmmsg(fd, m, n, 0) < 0)
				common_die("sendmmsg");
			usleep(8000);   /* 8,000/s in all: under every RRL */
		}
		dl = common_now_ns() + 500000000ull;
		while (common_now_ns() < dl && got < o.nsrc) {
			uint8_t r[4096];
			ssize_t len;
			if (!wait_fd(fd, POLLIN, dl))
				break;
			while ((len = recv(fd, r, sizeof(r), 0)) >= 12) {
				unsigned id = (unsigned)r[0] << 8 | r[1];
				uint8_t c[40];
				size_t cl = get_cookie(r, (size_t)len, c);
				if (id < o.nsrc && cl && !cklen[id]) {
					memcpy(cookies[id], c, cl);
					cklen[id] = (uint8_t)cl;
					got++;
				}
			}
		}
	}
	printf("cookies: %u of %u bots hold a server cookie\n", got, o.nsrc);
}

/* --- TCP attack --------------------------------------------------------- */
struct aconn {
	int fd;
	uint32_t src;
	unsigned fed;
};
static uint64_t tcp_reopened, tcp_open_sum, tcp_open_n;

static int aconn_open(struct aconn *c, int ep)
{
	struct sockaddr_in s = { .sin_family = AF_INET };
	struct epoll_event ev = { .events = EPOLLRDHUP | EPOLLIN };
	int one = 1;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	c->fed = 0;
	if (c->fd < 0)
		return -1;
	setsockopt(c->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	s.sin_addr.s_addr = htonl(c->src);
	if (bind(c->fd, (struct sockaddr *)&s, sizeof(s)) < 0 ||
	    (connect(c->fd, (struct sockaddr *)&o.srv, sizeof(o.srv)) < 0 &&
	     errno != EINPROGRESS)) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	ev.data.ptr = c;
	epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
	return 0;
}

static void run_tcp(void)
{
	struct aconn *cs = calloc(o.conns, sizeof(*cs));
	struct epoll_event evs[256];
	uint8_t q[300];
	size_t qlen;
	int ep = epoll_create1(0);
	uint64_t t0 = common_now_ns(), end = t0 + (uint64_t)(o.dur * 1e9), last = t0;
	uint64_t next_drip = t0, lastj = t0;
	double ltok = 0;
	unsigned reopen_budget = 0;

	if (!cs || ep < 0)
		common_die("tcp setup");
	q[2] = 0;
	qlen = mkquery(q + 2, 1, 0, "host1.example.com", 1, 0, NULL, 0);
	q[0] = 0;
	q[1] = (uint8_t)qlen;
	for (unsigned i = 0; i < o.conns; i++) {
		cs[i].src = 0x7f050001u + (i / 250) * 256 + i % 250;
		aconn_open(&cs[i], ep);
	}
	while (common_now_ns() < end) {
		uint64_t now = common_now_ns();
		int n = epoll_wait(ep, evs, 256, 1);
		unsigned open = 0;
		for (int i = 0; i < n; i++) {
			struct aconn *c = evs[i].data.ptr;
			char junk[512];
			if (evs[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				close(c->fd);
				c->fd = -1;
			} else if (recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT) == 0) {
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				close(c->fd);
				c->fd = -1;
			}
		}
		now = common_now_ns();
		/* legitimate TCP clients */
		ltok += (double)(now - lastj) * 1e-9 * o.lrate;
		lastj = now;
		while (ltok >= 1) {
			ltok -= 1;
			gl.sent++;
			job_push(now, res_sep[rnd() % 16], (uint32_t)(rnd() % (2 * o.names)), 0);
		}
		if (now < next_drip)
			continue;
		/* every 500 ms: feed a byte to each, reopen what the server closed
		 * (at most conns per second) */
		next_drip = now + 500000000ull;
		reopen_budget += o.conns / 2;
		for (unsigned i = 0; i < o.conns; i++) {
			struct aconn *c = &cs[i];
			if (c->fd < 0) {
				if (!reopen_budget)
					continue;
				reopen_budget--;
				if (aconn_open(c, ep) == 0)
					tcp_reopened++;
				continue;
			}
			open++;
			if (o.drip) {
				if (send(c->fd, q + c->fed % (qlen + 2), 1,
					 MSG_NOSIGNAL | MSG_DONTWAIT) == 1)
					c->fed++;
			}
		}
		tcp_open_sum += open;
		tcp_open_n++;
		(void)last;
	}
	for (unsigned i = 0; i < o.conns; i++)
		if (cs[i].fd >= 0)
			close(cs[i].fd);
	close(ep);
	free(cs);
}

/* --- UDP scenarios ------------------------------------------------------- */
static uint64_t phase_pkts;
/* CPU snapshots: taken when the sockets are ready (after the cookie fetch)
 * and when the sending phase ends, so CPU is per second of flood. */
static uint64_t snap_c0, snap_m0, snap_t0, snap_c1, snap_m1, snap_t1;
static void run_udp_ready(void);
static void run_udp_sent(void);

/* Waits up to timeout_ms for replies and reads them: legitimate sockets
 * are tagged 100 + index, flood sockets by their index. */
static void udp_poll(int ep, const int *ffd, const int *lfd, int timeout_ms)
{
	struct epoll_event evs[32];
	int n = epoll_wait(ep, evs, 32, timeout_ms);

	for (int i = 0; i < n; i++) {
		uint32_t u = evs[i].data.u32;
		if (u >= 100)
			legit_recv(lfd[u - 100], u - 100);
		else
			flood_recv(ffd[u]);
	}
}

static void run_udp(double dur, int garbage_phase)
{
	static int ffd[FL_FSOCKS], lfd[FL_LSOCKS], init;
	static int ep;
	static struct obuf fb[FL_BATCH];
	struct mmsghdr m[FL_BATCH];
	uint64_t t0, end, last, lastx;
	double ftok = 0, ltok = 0;
	uint64_t fi = 0;
	unsigned fs = 0, ls = 0;

	if (!init) {
		init = 1;
		ep = epoll_create1(0);
		for (int i = 0; i < FL_FSOCKS; i++) {
			struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
			ffd[i] = udp_sock(4 << 20);
			epoll_ctl(ep, EPOLL_CTL_ADD, ffd[i], &ev);
		}
		for (int i = 0; i < FL_LSOCKS; i++) {
			struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 100u + (uint32_t)i };
			lfd[i] = udp_sock(1 << 20);
			lqs[i] = calloc(65536, sizeof(struct lq));
			if (!lqs[i])
				common_die("calloc");
			epoll_ctl(ep, EPOLL_CTL_ADD, lfd[i], &ev);
		}
		if (o.s == S_COOKIE)
			fetch_cookies(ffd[0]);
		run_udp_ready();
	}
	t0 = common_now_ns();
	end = t0 + (uint64_t)(dur * 1e9);
	last = lastx = t0;
	phase_pkts = 0;
	for (;;) {
		uint64_t now = common_now_ns();
		int idle = 1;
		if (now >= end)
			break;
		ftok += (double)(now - last) * 1e-9 * o.frate;
		ltok += (double)(now - last) * 1e-9 * o.lrate;
		last = now;
		if (ftok > 4 * FL_BATCH)
			ftok = 4 * FL_BATCH;
		if (ftok >= FL_BATCH || (ftok >= 1 && o.frate < 20000)) {
			unsigned want = ftok >= FL_BATCH ? FL_BATCH : (unsigned)ftok;
			int sent;
			for (unsigned i = 0; i < want; i++) {
				if (garbage_phase == 2) {     /* valid queries: existing names */
					char name[300];
					uint8_t a[4];
					uint64_t r = rnd();
					legit_name((uint32_t)(r % o.names) * 2, name, sizeof(name), a);
					fb[i].src = srcs[(r >> 32) % o.nsrc];
					fb[i].len = mkquery(fb[i].pkt, (uint16_t)r, 0, name, 1, 1, NULL, 0);
					gf.bytes_out += fb[i].len;
				} else {
					flood_pkt(&fb[i], fi + i);
				}
				set_msg(&m[i], &fb[i]);
			}
			sent = sendmmsg(ffd[fs], m, want, 0);
			if (sent > 0) {
				gf.sent += (unsigned)sent;
				phase_pkts += (unsigned)sent;
				fi += (unsigned)sent;
				ftok -= sent;
			} else {
				ftok = 0;
			}
			fs = (fs + 1) % FL_FSOCKS;
			idle = 0;
		}
		while (ltok >= 1) {
			ltok -= 1;
			legit_send(lfd[ls], ls, now);
			ls = (ls + 1) % FL_LSOCKS;
			idle = 0;
		}
		udp_poll(ep, ffd, lfd, idle ? 1 : 0);
		if (now - lastx > 5000000) {
			lastx = now;
			for (unsigned s = 0; s < FL_LSOCKS; s++)
				legit_expire(s, now, 0);
		}
	}
	run_udp_sent();
	if (garbage_phase == 1)
		return;
	/* collect for the timeout, then the rest is lost */
	{
		uint64_t dl = common_now_ns() + (uint64_t)(o.tmo * 1e9);
		for (;;) {
			uint64_t now = common_now_ns();
			if (now >= dl)
				break;
			udp_poll(ep, ffd, lfd, 2);
			for (unsigned s = 0; s < FL_LSOCKS; s++)
				legit_expire(s, now, 0);
		}
		for (unsigned s = 0; s < FL_LSOCKS; s++)
			legit_expire(s, common_now_ns(), 1);
	}
}

static void run_udp_ready(void)
{
	snap_c0 = tree_ticks(o.pid, 0);
	snap_m0 = machine_busy();
	snap_t0 = common_now_ns();
}

static void run_udp_sent(void)
{
	snap_c1 = tree_ticks(o.pid, 0);
	snap_m1 = machine_busy();
	snap_t1 = common_now_ns();
}

static void usage(void)
{
	fprintf(stderr,
		"usage: flood -s torture|direct|direct-sparse|direct-cookie|reflection|tcp|garbage\n"
		"  [-a 127.0.0.1] [-p PORT] [-d SECONDS (2)] [-r FLOOD_QPS (100000)]\n"
		"  [-l LEGIT_QPS (2000; tcp: 200)] [-n SOURCES] [-N NAMES (10000)]\n"
		"  [-z VICTIM_ZONE (example.com)] [-Z OTHER_ZONE (other.test)]\n"
		"  [-C TCP_CONNS (2000, at most 20000)] [-D (tcp: feed one byte at a time)]\n"
		"  [-t TIMEOUT_S (1)] [-P SERVER_PID]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int c;
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t c0, c1, m0, m1, t0, t1, gm = 0, gs = 0, gpk = 0, gnoerr = 0;
	pthread_t th[FL_WORKERS];
	double el;

	o.srv.sin_family = AF_INET;
	o.srv.sin_port = htons(53);
	inet_pton(AF_INET, "127.0.0.1", &o.srv.sin_addr);
	o.dur = 2;
	o.tmo = 1;
	o.frate = 100000;
	o.lrate = -1;
	o.names = 10000;
	o.conns = 2000;
	o.vzone = "example.com";
	o.ozone = "other.test";
	o.s = (enum scen)-1;
	while ((c = getopt(argc, argv, "s:a:p:d:r:l:n:N:z:Z:C:Dt:P:")) != -1) {
		switch (c) {
		case 's':
			for (unsigned i = 0; i < sizeof(scen_names) / sizeof(*scen_names); i++)
				if (!strcmp(optarg, scen_names[i]))
					o.s = (enum scen)i;
			break;
		case 'a':
			if (inet_pton(AF_INET, optarg, &o.srv.sin_addr) != 1)
				usage();
			break;
		case 'p': o.srv.sin_port = htons((uint16_t)atoi(optarg)); break;
		case 'd': o.dur = atof(optarg); break;
		case 'r': o.frate = atof(optarg); break;
		case 'l': o.lrate = atof(optarg); break;
		case 'n': o.nsrc = (unsigned)atoi(optarg); break;
		case 'N': o.names = (unsigned)atoi(optarg); break;
		case 'z': o.vzone = optarg; break;
		case 'Z': o.ozone = optarg; break;
		case 'C': o.conns = (unsigned)atoi(optarg); break;
		case 'D': o.drip = 1; break;
		case 't': o.tmo = atof(optarg); break;
		case 'P': o.pid = atoi(optarg); break;
		default: usage();
		}
	}
	if ((int)o.s < 0 || o.names == 0)
		usage();
	if ((ntohl(o.srv.sin_addr.s_addr) >> 24) != 127) {
		fprintf(stderr, "flood: loopback (127.0.0.0/8) only\n");
		return 2;
	}
	if (o.dur <= 0 || o.dur > 60 || o.frate < 0 || o.frate > 2e6 || o.tmo <= 0 ||
	    o.tmo > 5 || o.conns > 20000 || o.lrate > 100000) {
		fprintf(stderr, "flood: out of bounds (-d <= 60, -r <= 2e6, -l <= 1e5, -C <= 20000, -t <= 5)\n");
		return 2;
	}
	if (o.lrate < 0)
		o.lrate = o.s == S_TCP ? 200 : 2000;
	if (!o.nsrc)
		o.nsrc = o.s == S_TORTURE ? 32 : 4096;
	if (o.nsrc > FL_MAXSRC)
		o.nsrc = FL_MAXSRC;
	o.nres = o.nsrc;
	if (o.s == S_TCP) {
		struct rlimit rl = { o.conns + 1024, o.conns + 1024 };
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			common_die("setrlimit");
	}
	rng_s ^= (uint64_t)getpid() << 20 ^ common_now_ns();
	make_sources();
	for (int i = 0; i < FL_WORKERS; i++)
		pthread_create(&th[i], NULL, worker, NULL);

	c0 = tree_ticks(o.pid, 0);
	m0 = machine_busy();
	t0 = common_now_ns();
	if (o.s == S_TCP) {
		run_tcp();
	} else if (o.s == S_GARBAGE) {
		uint64_t a = machine_busy(), b = tree_ticks(o.pid, 0);
		run_udp(o.dur / 2, 1);
		gm = machine_busy() - a;
		gs = tree_ticks(o.pid, 0) - b;
		gpk = phase_pkts;
		gnoerr = gf.rcode[0];
		run_udp(o.dur / 2, 2);
	} else {
		run_udp(o.dur, 0);
	}
	/* let the TCP pool finish (bounded by its own timeouts) */
	pthread_mutex_lock(&jmu);
	jstop = 1;
	pthread_cond_broadcast(&jcv);
	pthread_mutex_unlock(&jmu);
	for (int i = 0; i < FL_WORKERS; i++)
		pthread_join(th[i], NULL);
	t1 = common_now_ns();
	m1 = machine_busy();
	c1 = tree_ticks(o.pid, 0);
	el = (double)(t1 - t0) * 1e-9;
	if (o.s != S_TCP) {   /* CPU over the sending phases only */
		c0 = snap_c0;
		m0 = snap_m0;
		c1 = snap_c1;
		m1 = snap_m1;
		el = (double)(snap_t1 - snap_t0) * 1e-9;
	}

	printf("scenario %s: %.2f s, flood %u sources at %.0f/s, legit %.0f/s\n",
	       scen_names[o.s], el, o.nsrc, o.frate, o.lrate);
	printf("flood: sent %lu replies %lu (noerror %lu nxdomain %lu formerr %lu notimp %lu refused %lu) tc %lu\n",
	       gf.sent, gf.answered, gf.rcode[0], gf.rcode[3], gf.rcode[1], gf.rcode[4],
	       gf.rcode[5], gf.tc);
	printf("legit: sent %lu answered %lu (%.3f%%; via TCP after TC %lu) tc %lu wrong %lu lost %lu p50 %.0f us p99 %.0f us\n",
	       gl.sent, gl.answered, gl.sent ? 100.0 * (double)gl.answered / (double)gl.sent : 0,
	       gl.tc_ok, gl.tc, gl.wrong, gl.lost, hist_pct(&gl, 0.5), hist_pct(&gl, 0.99));
	printf("FLOOD scenario=%s dur=%.3f flood_rate=%.0f flood_sent=%lu flood_replies=%lu "
	       "flood_noerror=%lu flood_nxdomain=%lu flood_formerr=%lu flood_notimp=%lu "
	       "flood_refused=%lu flood_tc=%lu flood_lost=%lu flood_bytes_out=%lu flood_bytes_in=%lu "
	       "amp=%.3f legit_sent=%lu legit_answered=%lu legit_pct=%.3f legit_tc=%lu "
	       "legit_tc_ok=%lu legit_wrong=%lu legit_lost=%lu legit_noerror=%lu legit_servfail=%lu "
	       "legit_refused=%lu p50_us=%.0f p99_us=%.0f shared_sent=%lu shared_ok=%lu "
	       "srv_cpu=%.3f mach_cpu=%.3f",
	       scen_names[o.s], el, (double)gf.sent / o.dur, gf.sent, gf.answered,
	       gf.rcode[0], gf.rcode[3], gf.rcode[1], gf.rcode[4], gf.rcode[5], gf.tc,
	       gf.sent > gf.answered ? gf.sent - gf.answered : 0, gf.bytes_out, gf.bytes_in,
	       gf.bytes_out ? (double)gf.bytes_in / (double)gf.bytes_out : 0,
	       gl.sent, gl.answered, gl.sent ? 100.0 * (double)gl.answered / (double)gl.sent : 0,
	       gl.tc, gl.tc_ok, gl.wrong, gl.lost, gl.rcode[0], gl.rcode[2], gl.rcode[5],
	       hist_pct(&gl, 0.5), hist_pct(&gl, 0.99), shared_sent, shared_ok,
	       (double)(c1 - c0) / (double)hz / el, (double)(m1 - m0) / (double)hz / el);
	if (o.s == S_TCP)
		printf(" tcp_conns=%u tcp_open_avg=%.0f tcp_reopened=%lu",
		       o.conns, tcp_open_n ? (double)tcp_open_sum / (double)tcp_open_n : 0,
		       tcp_reopened);
	if (o.s == S_GARBAGE) {
		uint64_t vm = (m1 - m0) - gm, vs = (c1 - c0) - gs;
		uint64_t vans = gf.rcode[0] - gnoerr;
		printf(" garbage_pkts=%lu mach_us_per_garbage=%.3f srv_us_per_garbage=%.3f "
		       "valid_answered=%lu mach_us_per_answer=%.3f srv_us_per_answer=%.3f",
		       gpk, gpk ? (double)gm / (double)hz / (double)gpk * 1e6 : 0,
		       gpk ? (double)gs / (double)hz / (double)gpk * 1e6 : 0, vans,
		       vans ? (double)vm / (double)hz / (double)vans * 1e6 : 0,
		       vans ? (double)vs / (double)hz / (double)vans * 1e6 : 0);
	}
	printf("\n");
	return 0;
}
