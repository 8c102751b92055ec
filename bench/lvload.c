/* lvload.c -- DNS load generator for bench/: batched UDP or pipelined TCP.
 *
 * One thread drives many connections ("conns"): UDP sockets bound to distinct
 * loopback sources (127.1.x.y) and connected to the server, or TCP
 * connections carrying pipelined queries. Queries come from a file in
 * dnsperf's format ("name TYPE" per line, '#' comments), with an optional
 * third column giving the expected answer: NOERROR (rcode 0 and a non-empty
 * answer section, the default), NXDOMAIN, NODATA (rcode 0, empty answer) or
 * ANY (any rcode counts). Every query carries an EDNS OPT (UDP size 1232)
 * unless -E; -D sets its DO bit (RFC 3225), asking a signed zone's RRSIGs
 * and denial proofs.
 *
 * Each conn owns LV_SLOTS in-flight slots; a query's DNS ID is its slot
 * index in the low 12 bits and a generation in the high 4, so a reply is
 * matched to its send time and query with one array lookup and a late or
 * stray reply is recognised. A conn's slots form a ring in send order: the
 * oldest unanswered query older than the timeout is counted lost and its
 * slot freed, so the loop never waits forever on a dropped datagram.
 *
 * Two pacing modes: a target rate (token bucket refilled from the monotonic
 * clock, sends spread round-robin over conns) or an open throttle (-r 0:
 * keep -o queries outstanding on each conn). The sending phase stops hard
 * after -d seconds; replies are then collected for at most the timeout, and
 * whatever is still unanswered is lost. Every reply's rcode is checked; one
 * reply in -S also has its question and first answer RR (owner, type)
 * compared with the query. "answered" counts replies with the expected
 * outcome; TC, wrong or unexpected replies do not count.
 *
 * Latency goes into a log-bucket histogram (16 sub-buckets per power of two,
 * about 6% resolution) as in HdrHistogram. The last stdout line is
 * machine-readable: "LVLOAD key=value ...". Everything is allocated before
 * the clock starts; the loop allocates nothing.
 */
#ifndef _GNU_SOURCE   /* meson passes -D_GNU_SOURCE */
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define COMMON_DIE_STATUS 2
#include "common.h"

#define LV_SLOTS     4096
#define LV_SLOT_MASK (LV_SLOTS - 1)
#define LV_BATCH     64
#define LV_QMAX      300
#define LV_RMAX      4096
#define LV_HBITS     4            /* sub-buckets per power of two: 16 */
#define LV_HBUCKETS  (64 << LV_HBITS)
#define LV_TCPBUF    (256 * 1024)

enum { EXP_NOERROR, EXP_NXDOMAIN, EXP_NODATA, EXP_ANY };

struct query {
	uint32_t off;      /* into q_wire */
	uint16_t len;
	uint16_t qtype;
	uint8_t expect;
};

struct slot {
	uint64_t sent_ns;
	uint32_t qi;
	uint16_t id;
	uint8_t busy;
};

struct conn {
	int fd;
	uint64_t head, tail;   /* ring of slots in send order */
	uint32_t inflight;
	struct slot slots[LV_SLOTS];
	/* TCP only */
	uint8_t *rbuf;
	size_t rlen;
	uint8_t *wbuf;
	size_t wlen, woff;
	int connected;
};

static struct {
	const char *server;
	int port;
	const char *qfile;
	double duration;
	double rate;          /* 0: open throttle */
	int nconns;
	int outstanding;
	double timeout;
	int tcp;
	int edns;
	int dnssec;           /* -D: the DO bit in the OPT */
	int sample;
	int batch;
} opt = {
	.server = "127.0.0.1", .port = 53, .duration = 5.0, .rate = 0,
	.nconns = 64, .outstanding = 16, .timeout = 0.5, .tcp = 0, .edns = 1,
	.sample = 64, .batch = 32,
};

static uint8_t *q_wire;
static struct query *queries;
static size_t nqueries;
static size_t qnext;

static struct {
	uint64_t sent, answered, tc, wrong, unexpected, lost, late, stray,
		send_err, rcode[16], checked;
} st;
static uint64_t hist[LV_HBUCKETS];

static unsigned hist_index(uint64_t v)
{
	unsigned e, idx;

	if (v < (1u << LV_HBITS))
		return (unsigned)v;
	e = 63 - (unsigned)__builtin_clzll(v);            /* v in [2^e, 2^e+1) */
	idx = ((e - LV_HBITS + 1) << LV_HBITS) +
	      (unsigned)((v >> (e - LV_HBITS)) & ((1u << LV_HBITS) - 1));
	return idx < LV_HBUCKETS ? idx : LV_HBUCKETS - 1;
}

/* Upper bound of bucket idx. */
static uint64_t hist_value(unsigned idx)
{
	unsigned e = idx >> LV_HBITS, sub = idx & ((1u << LV_HBITS) - 1);

	if (e == 0)
		return sub;
	e = e + LV_HBITS - 1;
	return ((uint64_t)((1u << LV_HBITS) + sub + 1) << (e - LV_HBITS)) - 1;
}

static double hist_pct(double p)
{
	uint64_t total = 0, acc = 0, want;
	unsigned i;

	for (i = 0; i < LV_HBUCKETS; i++)
		total += hist[i];
	if (total == 0)
		return 0;
	want = (uint64_t)(p * (double)total);
	if (want >= total)
		want = total - 1;
	for (i = 0; i < LV_HBUCKETS; i++) {
		acc += hist[i];
		if (acc > want)
			return (double)hist_value(i) / 1000.0;
	}
	return 0;
}

static void load_queries(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	size_t cap = 1024, wcap = 1 << 20, wlen = 0;
	unsigned lineno = 0;

	if (!f)
		common_die(path);
	queries = malloc(cap * sizeof(*queries));
	q_wire = malloc(wcap);
	if (!queries || !q_wire)
		common_die("malloc");
	while (fgets(line, sizeof(line), f)) {
		char name[512], type[32], exp[32];
		uint8_t *w;
		int n, nl, t;

		lineno++;
		if (line[0] == '#' || line[0] == '\n' || line[0] == ';')
			continue;
		exp[0] = 0;
		n = sscanf(line, "%511s %31s %31s", name, type, exp);
		if (n < 2) {
			fprintf(stderr, "%s:%u: expected 'name TYPE [RCODE]'\n",
				path, lineno);
			exit(2);
		}
		t = common_type_code(type);
		if (t <= 0 || t > 65535) {
			fprintf(stderr, "%s:%u: unknown type %s\n", path, lineno,
				type);
			exit(2);
		}
		if (nqueries == cap) {
			cap *= 2;
			queries = realloc(queries, cap * sizeof(*queries));
			if (!queries)
				common_die("realloc");
		}
		if (wlen + LV_QMAX > wcap) {
			wcap *= 2;
			q_wire = realloc(q_wire, wcap);
			if (!q_wire)
				common_die("realloc");
		}
		w = q_wire + wlen;
		memset(w, 0, 12);
		w[5] = 1;                                /* QDCOUNT */
		nl = common_name_wire(name, w + 12, 256);
		if (nl < 0) {
			fprintf(stderr, "%s:%u: bad name %s\n", path, lineno,
				name);
			exit(2);
		}
		n = 12 + nl;
		w[n++] = (uint8_t)(t >> 8);
		w[n++] = (uint8_t)t;
		w[n++] = 0;
		w[n++] = 1;                              /* IN */
		if (opt.edns) {
			/* root owner, type OPT, UDP size 1232, extended
			 * rcode 0, version 0, flags (DO is the top bit),
			 * no options */
			static const uint8_t o[11] = { 0, 0, 41, 0x04, 0xd0,
						       0, 0, 0, 0, 0, 0 };
			w[11] = 1;                       /* ARCOUNT */
			memcpy(w + n, o, sizeof(o));
			if (opt.dnssec)
				w[n + 7] = 0x80;         /* DO */
			n += sizeof(o);
		}
		queries[nqueries].off = (uint32_t)wlen;
		queries[nqueries].len = (uint16_t)n;
		queries[nqueries].qtype = (uint16_t)t;
		if (!exp[0] || strcasecmp(exp, "NOERROR") == 0)
			queries[nqueries].expect = EXP_NOERROR;
		else if (strcasecmp(exp, "NXDOMAIN") == 0)
			queries[nqueries].expect = EXP_NXDOMAIN;
		else if (strcasecmp(exp, "NODATA") == 0)
			queries[nqueries].expect = EXP_NODATA;
		else if (strcasecmp(exp, "ANY") == 0)
			queries[nqueries].expect = EXP_ANY;
		else {
			fprintf(stderr, "%s:%u: unknown expectation %s\n",
				path, lineno, exp);
			exit(2);
		}
		wlen += (size_t)n;
		nqueries++;
	}
	fclose(f);
	if (nqueries == 0) {
		fprintf(stderr, "%s: no queries\n", path);
		exit(2);
	}
}

/* Decompress the name at *pos of msg into out (lowercase wire); advances
 * *pos past the name in place. Returns name length or -1. Bounded: at most
 * 128 pointer hops. */
static int read_name(const uint8_t *msg, size_t len, size_t *pos,
		     uint8_t *out)
{
	size_t p = *pos, o = 0;
	int jumped = 0, hops = 0;

	for (;;) {
		uint8_t l;

		if (p >= len)
			return -1;
		l = msg[p];
		if ((l & 0xc0) == 0xc0) {
			if (p + 1 >= len || ++hops > 128)
				return -1;
			if (!jumped)
				*pos = p + 2;
			jumped = 1;
			p = (size_t)((l & 0x3f) << 8 | msg[p + 1]);
			continue;
		}
		if (l > 63 || p + 1 + l > len || o + 1 + l > 255)
			return -1;
		out[o++] = l;
		for (unsigned i = 0; i < l; i++)
			out[o++] = (uint8_t)tolower(msg[p + 1 + i]);
		p += 1 + l;
		if (l == 0)
			break;
	}
	if (!jumped)
		*pos = p;
	return (int)o;
}

/* Sample check: question equals the query's, first answer RR has the
 * query's owner and type. */
static int deep_check(const struct query *q, const uint8_t *r, size_t len,
		      unsigned ancount)
{
	const uint8_t *qw = q_wire + q->off;
	uint8_t qn[256], rn[256];
	size_t qp = 12, rp = 12;
	int ql, rl;

	ql = read_name(qw, q->len, &qp, qn);
	rl = read_name(r, len, &rp, rn);
	if (ql < 0 || rl != ql || memcmp(qn, rn, (size_t)ql) != 0)
		return 0;
	if (rp + 4 > len || memcmp(r + rp, qw + qp, 4) != 0)
		return 0;
	rp += 4;
	if (ancount == 0)
		return 1;
	rl = read_name(r, len, &rp, rn);
	if (rl != ql || memcmp(qn, rn, (size_t)ql) != 0)
		return 0;
	if (rp + 2 > len)
		return 0;
	return (unsigned)(r[rp] << 8 | r[rp + 1]) == q->qtype;
}

static void on_reply(struct conn *c, const uint8_t *r, size_t len,
		     uint64_t now)
{
	uint16_t id, flags;
	unsigned rc, ancount;
	struct slot *s;
	const struct query *q;
	int ok;

	if (len < 12) {
		st.stray++;
		return;
	}
	id = (uint16_t)(r[0] << 8 | r[1]);
	s = &c->slots[id & LV_SLOT_MASK];
	if (!s->busy || s->id != id) {
		st.late++;
		return;
	}
	s->busy = 0;
	c->inflight--;
	flags = (uint16_t)(r[2] << 8 | r[3]);
	rc = flags & 0xf;
	ancount = (unsigned)(r[6] << 8 | r[7]);
	st.rcode[rc]++;
	hist[hist_index(now - s->sent_ns)]++;
	if (!(flags & 0x8000)) {
		st.unexpected++;
		return;
	}
	if (flags & 0x0200) {
		st.tc++;
		return;
	}
	q = &queries[s->qi];
	switch (q->expect) {
	case EXP_NOERROR:
		ok = rc == 0 && ancount > 0;
		break;
	case EXP_NXDOMAIN:
		ok = rc == 3;
		break;
	case EXP_NODATA:
		ok = rc == 0 && ancount == 0;
		break;
	default:
		ok = 1;
	}
	if (!ok) {
		st.unexpected++;
		return;
	}
	if (opt.sample > 0 && (st.answered + st.wrong) % (uint64_t)opt.sample == 0) {
		st.checked++;
		if (!deep_check(q, r, len, q->expect == EXP_NOERROR ? ancount : 0)) {
			st.wrong++;
			return;
		}
	}
	st.answered++;
}

/* Free slots of queries that timed out, oldest first. */
static void expire(struct conn *c, uint64_t now, uint64_t tmo)
{
	while (c->head < c->tail) {
		struct slot *s = &c->slots[c->head & LV_SLOT_MASK];

		if (s->busy) {
			if (now - s->sent_ns < tmo)
				break;
			s->busy = 0;
			c->inflight--;
			st.lost++;
		}
		c->head++;
	}
}

/* Take the next slot and query; writes the query into buf with its ID.
 * Returns length, or 0 if the conn's ring is full. */
static size_t prepare(struct conn *c, uint8_t *buf, uint64_t now)
{
	struct slot *s;
	const struct query *q;
	uint16_t id;

	if (c->tail - c->head >= LV_SLOTS)
		return 0;
	s = &c->slots[c->tail & LV_SLOT_MASK];
	id = (uint16_t)(c->tail & 0xffff);
	q = &queries[qnext];
	memcpy(buf, q_wire + q->off, q->len);
	buf[0] = (uint8_t)(id >> 8);
	buf[1] = (uint8_t)id;
	s->sent_ns = now;
	s->qi = (uint32_t)qnext;
	s->id = id;
	s->busy = 1;
	c->tail++;
	c->inflight++;
	if (++qnext == nqueries)
		qnext = 0;
	return q->len;
}

/* Roll back the last n prepared queries (send failed). */
static void unprepare(struct conn *c, unsigned n)
{
	while (n--) {
		c->tail--;
		c->slots[c->tail & LV_SLOT_MASK].busy = 0;
		c->inflight--;
		qnext = qnext == 0 ? nqueries - 1 : qnext - 1;
	}
}

static struct mmsghdr tx[LV_BATCH], rx[LV_BATCH];
static struct iovec txv[LV_BATCH], rxv[LV_BATCH];
static uint8_t txb[LV_BATCH][LV_QMAX], rxb[LV_BATCH][LV_RMAX];

static unsigned udp_send(struct conn *c, unsigned want, uint64_t now)
{
	unsigned n = 0;
	int r;

	if (want > (unsigned)opt.batch)
		want = (unsigned)opt.batch;
	while (n < want) {
		size_t l = prepare(c, txb[n], now);

		if (l == 0)
			break;
		txv[n].iov_len = l;
		n++;
	}
	if (n == 0)
		return 0;
	r = sendmmsg(c->fd, tx, n, MSG_DONTWAIT);
	if (r < 0) {
		st.send_err++;
		unprepare(c, n);
		return 0;
	}
	if ((unsigned)r < n)
		unprepare(c, n - (unsigned)r);
	st.sent += (unsigned)r;
	return (unsigned)r;
}

static void udp_recv(struct conn *c)
{
	int round, r, i;

	for (round = 0; round < 8; round++) {
		uint64_t now;

		for (i = 0; i < LV_BATCH; i++)
			rxv[i].iov_len = LV_RMAX;
		r = recvmmsg(c->fd, rx, LV_BATCH, MSG_DONTWAIT, NULL);
		if (r <= 0)
			return;
		now = common_now_ns();
		for (i = 0; i < r; i++)
			on_reply(c, rxb[i], rx[i].msg_len, now);
		if (r < LV_BATCH)
			return;
	}
}

static unsigned tcp_send(struct conn *c, unsigned want, uint64_t now)
{
	unsigned n = 0;
	ssize_t w;

	if (!c->connected)
		return 0;
	if (c->wlen == c->woff)
		c->wlen = c->woff = 0;
	while (n < want && c->wlen + LV_QMAX + 2 <= LV_TCPBUF) {
		size_t l = prepare(c, c->wbuf + c->wlen + 2, now);

		if (l == 0)
			break;
		c->wbuf[c->wlen] = (uint8_t)(l >> 8);
		c->wbuf[c->wlen + 1] = (uint8_t)l;
		c->wlen += l + 2;
		n++;
	}
	st.sent += n;
	if (c->wlen > c->woff) {
		w = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w > 0)
			c->woff += (size_t)w;
		else if (w < 0 && errno != EAGAIN)
			st.send_err++;
	}
	return n;
}

static void tcp_recv(struct conn *c)
{
	ssize_t r;
	size_t p = 0;
	uint64_t now;

	r = recv(c->fd, c->rbuf + c->rlen, LV_TCPBUF - c->rlen, MSG_DONTWAIT);
	if (r <= 0)
		return;
	c->rlen += (size_t)r;
	now = common_now_ns();
	while (c->rlen - p >= 2) {
		size_t l = (size_t)(c->rbuf[p] << 8 | c->rbuf[p + 1]);

		if (c->rlen - p < 2 + l)
			break;
		on_reply(c, c->rbuf + p + 2, l, now);
		p += 2 + l;
	}
	memmove(c->rbuf, c->rbuf + p, c->rlen - p);
	c->rlen -= p;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: lvload -q QUERYFILE [-s 127.0.0.1] [-p 53] [-d SECONDS]\n"
		"  [-r QPS (0 = open throttle)] [-c CONNS] [-o OUTSTANDING/conn]\n"
		"  [-t TIMEOUT_S] [-T (tcp; -o is the pipeline depth)] [-E (no EDNS)]\n"
		"  [-D (DO=1 in the OPT; not with -E)]\n"
		"  [-S SAMPLE (deep-check 1 reply in N, 0 off)] [-b BATCH]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct epoll_event ev, evs[256];
	struct conn *conns;
	uint64_t start, end, now, last, tmo, drain_end, send_end;
	double tokens = 0, burst, elapsed;
	int ep, ch, i;
	unsigned rr = 0;

	while ((ch = getopt(argc, argv, "s:p:q:d:r:c:o:t:TEDS:b:h")) != -1) {
		switch (ch) {
		case 's': opt.server = optarg; break;
		case 'p': opt.port = atoi(optarg); break;
		case 'q': opt.qfile = optarg; break;
		case 'd': opt.duration = atof(optarg); break;
		case 'r': opt.rate = atof(optarg); break;
		case 'c': opt.nconns = atoi(optarg); break;
		case 'o': opt.outstanding = atoi(optarg); break;
		case 't': opt.timeout = atof(optarg); break;
		case 'T': opt.tcp = 1; break;
		case 'E': opt.edns = 0; break;
		case 'D': opt.dnssec = 1; break;
		case 'S': opt.sample = atoi(optarg); break;
		case 'b': opt.batch = atoi(optarg); break;
		default: usage();
		}
	}
	if (!opt.qfile || opt.nconns < 1 || opt.nconns > 60000 ||
	    opt.outstanding < 1 || opt.outstanding > LV_SLOTS ||
	    opt.duration <= 0 || opt.duration > 3600 || opt.timeout <= 0 ||
	    opt.timeout > 10 || opt.batch < 1 || opt.batch > LV_BATCH ||
	    opt.rate < 0 || (opt.dnssec && !opt.edns))
		usage();
	if (inet_pton(AF_INET, opt.server, &sa.sin_addr) != 1 ||
	    (ntohl(sa.sin_addr.s_addr) >> 24) != 127) {
		fprintf(stderr, "lvload: server must be an IPv4 loopback address\n");
		exit(2);
	}
	sa.sin_port = htons((uint16_t)opt.port);
	load_queries(opt.qfile);

	for (i = 0; i < LV_BATCH; i++) {
		txv[i].iov_base = txb[i];
		tx[i].msg_hdr.msg_iov = &txv[i];
		tx[i].msg_hdr.msg_iovlen = 1;
		rxv[i].iov_base = rxb[i];
		rxv[i].iov_len = LV_RMAX;
		rx[i].msg_hdr.msg_iov = &rxv[i];
		rx[i].msg_hdr.msg_iovlen = 1;
	}
	conns = calloc((size_t)opt.nconns, sizeof(*conns));
	ep = epoll_create1(0);
	if (!conns || ep < 0)
		common_die("setup");
	for (i = 0; i < opt.nconns; i++) {
		struct conn *c = &conns[i];
		struct sockaddr_in src = { .sin_family = AF_INET };
		int one = 1, buf = 4 << 20;

		/* 127.1.x.y: distinct sources, never the server's address. */
		src.sin_addr.s_addr = htonl(0x7f010000u |
					    (uint32_t)((i / 250) << 8) |
					    (uint32_t)(i % 250 + 1));
		c->fd = socket(AF_INET, (opt.tcp ? SOCK_STREAM : SOCK_DGRAM) |
				       SOCK_NONBLOCK, 0);
		if (c->fd < 0)
			common_die("socket");
		setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
		setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
		if (bind(c->fd, (struct sockaddr *)&src, sizeof(src)) < 0)
			common_die("bind");
		if (opt.tcp) {
			setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one,
				   sizeof(one));
			c->rbuf = malloc(LV_TCPBUF);
			c->wbuf = malloc(LV_TCPBUF);
			if (!c->rbuf || !c->wbuf)
				common_die("malloc");
		}
		if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
		    errno != EINPROGRESS)
			common_die("connect");
		c->connected = !opt.tcp;
		ev.events = EPOLLIN | (opt.tcp ? EPOLLOUT : 0);
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
			common_die("epoll_ctl");
	}

	tmo = (uint64_t)(opt.timeout * 1e9);
	start = last = now = common_now_ns();
	send_end = start + (uint64_t)(opt.duration * 1e9);
	drain_end = send_end + tmo;
	end = send_end;
	burst = opt.rate > 0 ? (opt.rate / 500 > LV_BATCH ? opt.rate / 500 :
			       LV_BATCH) : 0;
	while (now < drain_end) {
		int sending = now < send_end, n;
		struct timespec wait = { 0, 0 };

		/* Rate mode: sleep until a batch is due; open: until a reply. */
		if (sending && opt.rate > 0)
			wait.tv_nsec = tokens >= 1 ? 0 : 200000;
		else
			wait.tv_nsec = 1000000;
		n = epoll_pwait2(ep, evs, 256, &wait, NULL);
		now = common_now_ns();
		for (i = 0; i < n; i++) {
			struct conn *c = &conns[evs[i].data.u32];

			if (opt.tcp && !c->connected &&
			    (evs[i].events & EPOLLOUT)) {
				int err = 0;
				socklen_t el = sizeof(err);

				getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
				if (err) {
					errno = err;
					common_die("tcp connect");
				}
				c->connected = 1;
				ev.events = EPOLLIN;
				ev.data.u32 = evs[i].data.u32;
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
			}
			if (evs[i].events & EPOLLIN) {
				if (opt.tcp)
					tcp_recv(c);
				else
					udp_recv(c);
			}
		}
		now = common_now_ns();
		for (i = 0; i < opt.nconns; i++)
			expire(&conns[i], now, tmo);
		if (!sending) {
			uint64_t inflight = 0;

			for (i = 0; i < opt.nconns; i++)
				inflight += conns[i].inflight;
			if (inflight == 0)
				break;
			if (opt.tcp)   /* flush what is buffered */
				for (i = 0; i < opt.nconns; i++)
					tcp_send(&conns[i], 0, now);
			continue;
		}
		if (opt.rate > 0) {
			unsigned guard = 0;

			tokens += opt.rate * (double)(now - last) / 1e9;
			if (tokens > burst)
				tokens = burst;
			last = now;
			while (tokens >= 1 && guard++ < (unsigned)opt.nconns) {
				struct conn *c = &conns[rr++ % (unsigned)opt.nconns];
				unsigned want = tokens > opt.batch ?
						(unsigned)opt.batch : (unsigned)tokens;
				unsigned s = opt.tcp ? tcp_send(c, want, now) :
						       udp_send(c, want, now);

				tokens -= s;
			}
		} else {
			for (i = 0; i < opt.nconns; i++) {
				struct conn *c = &conns[i];
				unsigned want;

				if (c->inflight >= (unsigned)opt.outstanding)
					continue;
				want = (unsigned)opt.outstanding - c->inflight;
				if (opt.tcp)
					tcp_send(c, want, now);
				else
					udp_send(c, want, now);
			}
		}
		end = now;
	}
	/* Whatever is still in flight is lost. */
	for (i = 0; i < opt.nconns; i++) {
		st.lost += conns[i].inflight;
		close(conns[i].fd);
		free(conns[i].rbuf);
		free(conns[i].wbuf);
	}
	free(conns);
	close(ep);
	elapsed = (double)(end - start) / 1e9;
	if (elapsed <= 0)
		elapsed = 1e-9;

	printf("mode            %s, %s, %d conns, %s\n",
	       opt.tcp ? "tcp" : "udp", opt.rate > 0 ? "fixed rate" : "open throttle",
	       opt.nconns,
	       !opt.edns ? "no EDNS" : opt.dnssec ? "EDNS, DO=1" : "EDNS");
	printf("sent            %llu (%.0f/s over %.2f s)\n",
	       (unsigned long long)st.sent, (double)st.sent / elapsed, elapsed);
	printf("answered        %llu (%.0f/s)\n",
	       (unsigned long long)st.answered, (double)st.answered / elapsed);
	printf("rcodes          NOERROR %llu  NXDOMAIN %llu  SERVFAIL %llu  REFUSED %llu\n",
	       (unsigned long long)st.rcode[0], (unsigned long long)st.rcode[3],
	       (unsigned long long)st.rcode[2], (unsigned long long)st.rcode[5]);
	printf("not counted     TC %llu  unexpected %llu  wrong %llu of %llu checked\n",
	       (unsigned long long)st.tc, (unsigned long long)st.unexpected,
	       (unsigned long long)st.wrong, (unsigned long long)st.checked);
	printf("lost            %llu (%.2f%%)  late %llu  send errors %llu\n",
	       (unsigned long long)st.lost,
	       st.sent ? 100.0 * (double)st.lost / (double)st.sent : 0.0,
	       (unsigned long long)st.late, (unsigned long long)st.send_err);
	printf("latency         p50 %.1f us  p99 %.1f us\n", hist_pct(0.50),
	       hist_pct(0.99));
	printf("LVLOAD mode=%s do=%d rate=%.0f conns=%d duration=%.3f sent=%llu "
	       "answered=%llu noerror=%llu nxdomain=%llu servfail=%llu "
	       "refused=%llu tc=%llu unexpected=%llu wrong=%llu checked=%llu "
	       "lost=%llu late=%llu p50_us=%.1f p99_us=%.1f "
	       "answered_per_s=%.0f sent_per_s=%.0f\n",
	       opt.tcp ? "tcp" : "udp", opt.dnssec, opt.rate, opt.nconns, elapsed,
	       (unsigned long long)st.sent, (unsigned long long)st.answered,
	       (unsigned long long)st.rcode[0], (unsigned long long)st.rcode[3],
	       (unsigned long long)st.rcode[2], (unsigned long long)st.rcode[5],
	       (unsigned long long)st.tc, (unsigned long long)st.unexpected,
	       (unsigned long long)st.wrong, (unsigned long long)st.checked,
	       (unsigned long long)st.lost, (unsigned long long)st.late,
	       hist_pct(0.50), hist_pct(0.99),
	       (double)st.answered / elapsed, (double)st.sent / elapsed);
	free(queries);
	free(q_wire);
	return 0;
}
