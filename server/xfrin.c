/* xfrin.c -- secondary zones: SOA checks, transfers in, their timers.
 *
 * Why a worker thread with blocking sockets rather than libuv TCP on the
 * main loop: the transfer is read into a zone by zones/xfr.h, whose
 * builder and change API cost CPU in proportion to the zone (seconds for
 * a big AXFR), which must not run on the main loop either; with the
 * socket on the same thread every wait is a poll() with a timeout and the
 * whole check reads top to bottom. The threads are few (XFRIN_MAX_JOBS)
 * and short-lived; main owns every table entry and touches a job only
 * before it starts and after it has signalled its end (uv_async) and been
 * joined, so nothing is shared while it runs but the cancel flag (atomic).
 *
 * Each entry's served version is held (zone_walk.h zone_hold) from the
 * job's start to its end, so a reload that drops the zone meanwhile
 * cannot free the base of an IXFR being applied.
 */
#include "server/xfrin.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/dns.h"
#include "common/assert.h"
#include "common/errcode.h"
#include "common/name.h"
#include "common/serial.h"
#include "server/config.h"
#include "server/log.h"
#include "server/tsig.h"
#include "server/wire.h"
#include "zones/zdump.h"
#include "zones/zone.h"
#include "zones/zone_walk.h"

struct xjob;

struct xzone {
	struct xfrin *x;
	char *domain;
	uint8_t apex[256];
	size_t apex_len;
	struct config_listen primaries[CONFIG_MAX_REMOTES];
	char primary_ids[CONFIG_MAX_REMOTES][64];
	struct tsig_key *keys[CONFIG_MAX_REMOTES];   /* copies, or NULL */
	size_t nprimaries;
	uv_timer_t timer;
	bool timer_ready;
	bool gone;                /* not configured any more */
	bool queued, again, again_axfr;
	struct xjob *job;         /* running, or NULL */
	char *file;               /* where its copy is kept, or NULL */
	struct xsync *sync;       /* the copy being written, or NULL */
	bool sync_again;          /* a version published meanwhile */
	bool sync_pending;        /* waits in x->sync_head's list */
	struct xzone *sync_next;
	uint32_t synced;          /* serial of the copy last written */
	struct xzone *next_orphan;   /* gone with a job running: x->orphans */

	bool have_serial;
	uint32_t serial;          /* served */
	time_t last_ok;           /* last good check (refresh or transfer) */
	time_t last_try;
	time_t next_check;
	time_t expire_at;         /* 0: not served or never expires yet */
	bool expired;
	unsigned long axfr, ixfr, uptodate, failed, fallback;
	char last_kind[8];
	char error[200];
};

/* One check on a worker. Main fills the inputs before the thread starts
 * and reads the outputs after the join. */
struct xjob {
	struct xzone *z;
	uv_thread_t tid;
	uv_async_t done;
	int cancel;               /* set by main (atomic), read by the job */

	/* in */
	uint8_t apex[256];
	struct config_listen primaries[CONFIG_MAX_REMOTES];
	struct tsig_key *keys[CONFIG_MAX_REMOTES];   /* the job's copies */
	size_t nprimaries;
	struct zone_hold *hold;   /* the served version, or NULL */
	bool force_axfr;
	struct journal *journal;  /* or NULL */
	struct journal_limits jlim;
	time_t expire_at;         /* the zone's expiry before the check */

	/* out */
	int rc;
	struct zone *zone;        /* new version (owned), or NULL */
	enum xfr_kind kind;
	bool fallback;            /* an IXFR failed, the AXFR was used */
	uint64_t last_msg_ms;     /* when the transfer's last message came
				     (monotonic): the publish says how long
				     after it the new version served */
	bool have_expire;         /* the primary sent EDNS EXPIRE */
	uint32_t expire_opt;      /* ... its value, seconds */
	uint32_t primary_serial;
	size_t bytes, records, changes;
	char primary[64];
	char err[200];
};

struct xfrin {
	uv_loop_t *loop;
	struct xfrin_hooks hooks;
	const struct config *cfg;
	struct xzone **zones;
	size_t count;
	struct xzone **by_cfg;    /* cfg->zones[i]'s entry, or NULL */
	struct xzone **queue;     /* FIFO, one place per zone at most */
	size_t qhead, qlen, qcap;
	unsigned running;
	struct xzone *orphans;    /* gone zones whose job still runs */
	unsigned syncing;         /* copies being written */
	struct xzone *sync_head, *sync_tail;   /* zones waiting to write */
	unsigned refresh_min, refresh_max;
	bool started, freeing;
	struct xfrin_stats stats;
};

/* A copy being written (zdump.h) on a thread of its own. */
struct xsync {
	struct xzone *z;
	uv_thread_t tid;
	uv_async_t done;
	struct zone_hold *hold;   /* the version written */
	char *path;
	int rc;
	char err[300];
};

/* --- the worker: sockets with timeouts --- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool job_cancelled(const struct xjob *j)
{
	return __atomic_load_n(&j->cancel, __ATOMIC_RELAXED) != 0;
}

/* Waits until fd is ready for events or deadline (monotonic ms) passes,
 * in slices of at most 200 ms so a cancel is seen. 0, -ETIMEDOUT,
 * -ECANCELED or -errno. */
static int wait_fd(const struct xjob *j, int fd, short events,
		   uint64_t deadline)
{
	for (;;) {
		struct pollfd p = { fd, events, 0 };
		uint64_t now = now_ms();
		int t, rc;

		if (job_cancelled(j))
			return -ECANCELED;
		if (now >= deadline)
			return -ETIMEDOUT;
		t = deadline - now > 200 ? 200 : (int)(deadline - now);
		rc = poll(&p, 1, t);
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR)
			return -errno;
	}
}

/* The OPT record of our queries: UDP size 1232, an empty EXPIRE option
 * (RFC 7314: the primary says what its copy has left). */
static const uint8_t query_opt[] = {
	0, 0, DNS_TYPE_OPT, 0x04, 0xd0, 0, 0, 0, 0, 0, 4,
	0, DNS_OPT_EXPIRE, 0, 0,
};

/* A query of qtype for the apex: header, question, with soa (the served
 * SOA record as zone.h keeps it) an authority section (IXFR), and the
 * OPT with EXPIRE. */
static size_t make_query(uint8_t *buf, size_t cap, uint16_t id,
			 const uint8_t *apex, size_t apex_len, uint16_t qtype,
			 const struct rrset *soa)
{
	size_t off = DNS_HDR_LEN, rl = 0;

	if (soa)
		rl = 10 + ((size_t)soa->wire[8] << 8 | soa->wire[9]);
	if (DNS_HDR_LEN + apex_len + 4 + (soa ? apex_len + rl : 0) +
	    sizeof(query_opt) > cap)
		return 0;
	memset(buf, 0, DNS_HDR_LEN);
	buf[0] = (uint8_t)(id >> 8);
	buf[1] = (uint8_t)id;
	buf[5] = 1;                        /* QDCOUNT */
	buf[9] = soa ? 1 : 0;              /* NSCOUNT */
	buf[11] = 1;                       /* ARCOUNT: the OPT */
	memcpy(buf + off, apex, apex_len);
	off += apex_len;
	buf[off++] = (uint8_t)(qtype >> 8);
	buf[off++] = (uint8_t)qtype;
	buf[off++] = 0;
	buf[off++] = DNS_CLASS_IN;
	if (soa) {
		memcpy(buf + off, apex, apex_len);
		off += apex_len;
		memcpy(buf + off, soa->wire, rl);
		off += rl;
	}
	memcpy(buf + off, query_opt, sizeof(query_opt));
	return off + sizeof(query_opt);
}

/* The EXPIRE option (RFC 7314) of answer m[0..len): true with its value
 * in *out when the OPT record of the additional section carries one of 4
 * bytes. One walk of the message (each record skipped once). */
static bool find_expire(const uint8_t *m, size_t len, uint32_t *out)
{
	size_t o = DNS_HDR_LEN;
	unsigned qd, rest, ar;

	if (len < DNS_HDR_LEN)
		return false;
	qd = (unsigned)(m[4] << 8 | m[5]);
	rest = (unsigned)(m[6] << 8 | m[7]) + (unsigned)(m[8] << 8 | m[9]);
	ar = (unsigned)(m[10] << 8 | m[11]);
	for (unsigned i = 0; i < qd; i++) {
		if (!wire_skip_name(m, len, &o) || o + 4 > len)
			return false;
		o += 4;
	}
	for (unsigned i = 0; i < rest + ar; i++) {
		size_t rd, end;

		if (!wire_skip_name(m, len, &o) || o + 10 > len)
			return false;
		rd = o + 10;
		end = rd + (size_t)(m[o + 8] << 8 | m[o + 9]);
		if (end > len)
			return false;
		if (i >= rest && (m[o] << 8 | m[o + 1]) == DNS_TYPE_OPT) {
			for (size_t p = rd; p + 4 <= end;) {
				size_t ol = (size_t)(m[p + 2] << 8 | m[p + 3]);

				if (p + 4 + ol > end)
					return false;
				if ((m[p] << 8 | m[p + 1]) == DNS_OPT_EXPIRE &&
				    ol == 4) {
					*out = (uint32_t)m[p + 4] << 24 |
					       (uint32_t)m[p + 5] << 16 |
					       (uint32_t)m[p + 6] << 8 |
					       m[p + 7];
					return true;
				}
				p += 4 + ol;
			}
			return false;
		}
		o = end;
	}
	return false;
}

static uint16_t new_id(void)
{
	return (uint16_t)randombytes_uniform(65536);
}

/* Reads exactly len bytes before deadline. */
static int read_full(const struct xjob *j, int fd, uint8_t *buf, size_t len,
		     uint64_t deadline)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n;
		int rc = wait_fd(j, fd, POLLIN, deadline);

		if (rc < 0)
			return rc;
		n = recv(fd, buf + got, len - got, 0);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	return 0;
}

static int tcp_connect(const struct xjob *j, const struct config_listen *a)
{
	int fd = socket(a->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
			SOCK_CLOEXEC, 0);
	int rc, soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&a->addr, a->addrlen) < 0 &&
	    errno != EINPROGRESS) {
		rc = -errno;
		close(fd);
		return rc;
	}
	rc = wait_fd(j, fd, POLLOUT, now_ms() + XFRIN_MSG_TIMEOUT_MS);
	if (rc == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 &&
	    soerr)
		rc = -soerr;
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

static int send_all(const struct xjob *j, int fd, const uint8_t *buf,
		    size_t len)
{
	size_t off = 0;
	uint64_t deadline = now_ms() + XFRIN_MSG_TIMEOUT_MS;

	while (off < len) {
		ssize_t n = send(fd, buf + off, len - off, MSG_NOSIGNAL);
		int rc;

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if ((rc = wait_fd(j, fd, POLLOUT, deadline)) < 0)
			return rc;
	}
	return 0;
}

/* The serial in an SOA answer (id, apex) of len bytes; 0 or LV_EMALF /
 * LV_ERCODE; *tc when truncated. A small strict walk: header, the one
 * question, the first answer record must be the apex SOA. */
static int parse_soa_answer(const uint8_t *m, size_t len, uint16_t id,
			    const uint8_t *apex, size_t apex_len,
			    uint32_t *serial, bool *tc)
{
	size_t off = DNS_HDR_LEN;
	uint16_t flags, rdlen;

	*tc = false;
	if (len < DNS_HDR_LEN || (m[0] << 8 | m[1]) != id)
		return LV_EMALF;
	flags = (uint16_t)(m[2] << 8 | m[3]);
	if (!(flags & DNS_QR) || (flags & DNS_OPCODE_MASK))
		return LV_EMALF;
	if (flags & DNS_TC) {
		*tc = true;
		return 0;
	}
	if (flags & DNS_RCODE_MASK)
		return LV_ERCODE;
	if (m[4] != 0 || m[5] != 1 || (m[6] == 0 && m[7] == 0))
		return LV_EMALF;
	/* the question: our own name, uncompressed as we sent it */
	if (off + apex_len + 4 > len ||
	    !name_equal_ci(m + off, apex) || m[off + apex_len] != 0 ||
	    m[off + apex_len + 1] != DNS_TYPE_SOA)
		return LV_EMALF;
	off += apex_len + 4;
	/* the answer's owner: a pointer to the question, or the name */
	if (off + 2 <= len && (m[off] & DNS_PTR_BITS) == DNS_PTR_BITS) {
		if (((m[off] & 0x3f) << 8 | m[off + 1]) != DNS_HDR_LEN)
			return LV_EMALF;
		off += 2;
	} else {
		if (off + apex_len > len || !name_equal_ci(m + off, apex))
			return LV_EMALF;
		off += apex_len;
	}
	if (off + 10 > len || m[off] != 0 || m[off + 1] != DNS_TYPE_SOA)
		return LV_EMALF;
	rdlen = (uint16_t)(m[off + 8] << 8 | m[off + 9]);
	off += 10;
	if (rdlen < 22 || off + rdlen > len)
		return LV_EMALF;
	/* serial: 20 bytes before the end of RDATA, whatever the names */
	off += rdlen - 20;
	*serial = (uint32_t)m[off] << 24 | (uint32_t)m[off + 1] << 16 |
		  (uint32_t)m[off + 2] << 8 | m[off + 3];
	return 0;
}

/* One answer to a request signed into rq: 0 when signed and valid (its
 * TSIG cut off), else LV_ETSIG with the reason in j->err. */
static int answer_signed(struct xjob *j, const struct tsig_ctx *rq,
			 uint16_t id, uint8_t *m, size_t *len)
{
	struct tsig_answer *a = tsig_answer_new(rq, id);
	int rc;

	if (!a)
		return -ENOMEM;
	rc = tsig_answer_check(a, m, len, (uint64_t)time(NULL), j->err,
			       sizeof(j->err));
	if (rc == 0) {
		snprintf(j->err, sizeof(j->err), "unsigned answer");
		rc = LV_ETSIG;
	}
	tsig_answer_free(a);
	return rc < 0 ? rc : 0;
}

/* The primary's serial over UDP (2 tries), over TCP when truncated;
 * with key, the query signed and the answer checked (TSIG). */
static int soa_query(struct xjob *j, const struct config_listen *a,
		     const struct tsig_key *key, size_t apex_len,
		     uint32_t *serial)
{
	uint8_t q[600], m[4096];
	uint16_t id = new_id();
	size_t ql = make_query(q, sizeof(q), id, j->apex, apex_len,
			       DNS_TYPE_SOA, NULL);
	int fd, rc = -ETIMEDOUT;
	bool tc = false;
	struct tsig_ctx rq;

	if (key && tsig_sign_request(q, &ql, sizeof(q), key,
				     (uint64_t)time(NULL), &rq) < 0)
		return LV_EMALF;

	fd = socket(a->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&a->addr, a->addrlen) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	for (int t = 0; t < 2 && rc == -ETIMEDOUT; t++) {
		uint64_t deadline = now_ms() + XFRIN_SOA_TIMEOUT_MS;

		if (send(fd, q, ql, 0) < 0) {
			rc = -errno;
			break;
		}
		for (;;) {
			ssize_t n;

			if ((rc = wait_fd(j, fd, POLLIN, deadline)) < 0)
				break;
			n = recv(fd, m, sizeof(m), 0);
			if (n < 0) {
				rc = errno == EAGAIN ? -EAGAIN : -errno;
				if (rc == -EAGAIN)
					continue;
				break;
			}
			/* an answer to another query is not ours: wait on */
			if (n >= 2 && (m[0] << 8 | m[1]) != id)
				continue;
			rc = key ? answer_signed(j, &rq, id, m, (size_t *)&n) :
			     0;
			if (rc == 0)
				rc = parse_soa_answer(m, (size_t)n, id, j->apex,
						      apex_len, serial, &tc);
			if (rc == 0 && !tc)
				j->have_expire = find_expire(m, (size_t)n,
							     &j->expire_opt);
			break;
		}
	}
	close(fd);
	if (rc < 0 || !tc)
		return rc;
	/* truncated: the same over TCP */
	if ((fd = tcp_connect(j, a)) < 0)
		return fd;
	{
		uint8_t lq[2 + sizeof(q)];
		uint8_t lb[2];
		uint64_t deadline = now_ms() + XFRIN_MSG_TIMEOUT_MS;
		size_t ml;

		lq[0] = (uint8_t)(ql >> 8);
		lq[1] = (uint8_t)ql;
		memcpy(lq + 2, q, ql);
		rc = send_all(j, fd, lq, ql + 2);
		if (rc == 0)
			rc = read_full(j, fd, lb, 2, deadline);
		ml = (size_t)lb[0] << 8 | lb[1];
		if (rc == 0 && ml > sizeof(m))
			rc = LV_EMALF;
		if (rc == 0)
			rc = read_full(j, fd, m, ml, deadline);
		if (rc == 0 && key)
			rc = answer_signed(j, &rq, id, m, &ml);
		if (rc == 0)
			rc = parse_soa_answer(m, ml, id, j->apex, apex_len,
					      serial, &tc);
		if (rc == 0)
			j->have_expire = find_expire(m, ml, &j->expire_opt);
		if (rc == 0 && tc)
			rc = LV_EMALF;
	}
	close(fd);
	return rc;
}

/* The journal after a good transfer, before it is published: an IXFR's
 * change appended (else the chain cleared: IXFR out falls back to AXFR
 * rather than miss a change), an AXFR clears the chain. */
static void job_journal(struct xjob *j, const struct xfr *x)
{
	struct journal_change *c = NULL;
	char err[200] = "";
	int rc;

	if (j->kind == XFR_FULL) {
		journal_clear(j->journal, j->apex);
		return;
	}
	if (j->kind != XFR_INCR)
		return;
	rc = xfr_journal_change(x, &c);
	if (rc == 0)
		rc = journal_append(j->journal, j->apex, c, &j->jlim, err,
				    sizeof(err));
	if (rc < 0) {
		log_warning("zone %s: IXFR %u -> %u not journaled (%s): IXFR "
			    "out falls back to AXFR", j->z->domain,
			    j->hold ? zone_serial(zone_hold_zone(j->hold)) : 0,
			    xfr_serial(x), err[0] ? err : lv_strerror(rc));
		journal_clear(j->journal, j->apex);
	}
	journal_change_free(c);
}

/* One transfer of qtype from a over TCP into j->zone / j->kind. */
static int transfer(struct xjob *j, const struct config_listen *a,
		    const struct tsig_key *key, size_t apex_len,
		    uint16_t qtype, const struct zone *base)
{
	uint8_t q[2 + 900], lb[2];
	uint8_t *m = NULL;
	uint16_t id = new_id();
	size_t ql = make_query(q + 2, sizeof(q) - 2, id, j->apex, apex_len,
			       qtype, base ? zone_soa(base) : NULL);
	uint64_t end = now_ms() + (uint64_t)XFRIN_TOTAL_TIMEOUT_S * 1000;
	struct xfr *x = NULL;
	struct tsig_answer *ta = NULL;
	struct tsig_ctx rq;
	unsigned nmsg = 0;
	int fd, rc, rcode = 0;

	if (!ql)
		return LV_EMALF;
	/* with a key every message is checked (RFC 8945 5.3.1) */
	if (key && (tsig_sign_request(q + 2, &ql, sizeof(q) - 2, key,
				      (uint64_t)time(NULL), &rq) < 0 ||
		    !(ta = tsig_answer_new(&rq, id))))
		return -ENOMEM;
	q[0] = (uint8_t)(ql >> 8);
	q[1] = (uint8_t)ql;
	if ((fd = tcp_connect(j, a)) < 0) {
		snprintf(j->err, sizeof(j->err), "connect: %s",
			 lv_strerror(fd));
		tsig_answer_free(ta);
		return fd;
	}
	x = xfr_new(j->apex, qtype, id, base);
	m = malloc(UINT16_MAX);
	if (!x || !m) {
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = send_all(j, fd, q, ql + 2)) < 0)
		goto out;
	j->bytes = 0;
	for (;;) {
		uint64_t deadline = now_ms() + XFRIN_MSG_TIMEOUT_MS;
		size_t ml;

		if (deadline > end)
			deadline = end;
		if ((rc = read_full(j, fd, lb, 2, deadline)) < 0)
			break;
		ml = (size_t)lb[0] << 8 | lb[1];
		/* the bound on what a primary can make us hold */
		j->bytes += ml + 2;
		if (j->bytes > XFRIN_MAX_BYTES) {
			rc = LV_ETOOBIG;
			break;
		}
		if ((rc = read_full(j, fd, m, ml, deadline)) < 0)
			break;
		if (ta && (rc = tsig_answer_check(ta, m, &ml,
						  (uint64_t)time(NULL),
						  j->err, sizeof(j->err))) < 0)
			break;
		if (nmsg++ == 0)           /* the first message */
			j->have_expire = find_expire(m, ml, &j->expire_opt) ||
					 j->have_expire;
		rc = xfr_feed(x, m, ml, &rcode, j->err, sizeof(j->err));
		if (rc != 0)
			break;
	}
	j->last_msg_ms = now_ms();
	if (rc == 1 && ta && (rc = tsig_answer_end(ta, j->err,
						   sizeof(j->err))) == 0)
		rc = 1;
	if (rc == 1)
		rc = xfr_finish(x, &j->zone, &j->kind, j->err,
				sizeof(j->err));
	if (rc == 0 && j->journal)
		job_journal(j, x);
	j->records = xfr_records(x);
	j->changes = xfr_changes(x);
out:
	if (rc < 0 && !j->err[0])
		snprintf(j->err, sizeof(j->err), "%s", lv_strerror(rc));
	if (rc == LV_ERCODE)
		rc = -EPROTO;
	xfr_free(x);
	tsig_answer_free(ta);
	free(m);
	close(fd);
	return rc;
}

static void job_main(void *arg)
{
	struct xjob *j = arg;
	const struct zone *base = j->hold ? zone_hold_zone(j->hold) : NULL;
	size_t apex_len = name_length(j->apex);
	int rc = -EHOSTUNREACH;

	for (size_t i = 0; i < j->nprimaries && !job_cancelled(j); i++) {
		const struct config_listen *a = &j->primaries[i];
		const struct tsig_key *key = j->keys[i];
		uint32_t serial = 0;
		char why[200];

		snprintf(j->primary, sizeof(j->primary), "%s", a->text);
		j->err[0] = '\0';
		rc = soa_query(j, a, key, apex_len, &serial);
		if (rc < 0) {
			snprintf(why, sizeof(why), "%s", j->err[0] ? j->err :
				 lv_strerror(rc));
			snprintf(j->err, sizeof(j->err), "SOA query to %.60s: "
				 "%.120s", a->text, why);
			continue;
		}
		j->primary_serial = serial;
		if (base && !j->force_axfr &&
		    !serial_lt(zone_serial(base), serial)) {
			j->kind = XFR_UPTODATE;
			j->rc = 0;
			return;
		}
		if (base && !j->force_axfr) {
			rc = transfer(j, a, key, apex_len, DNS_TYPE_IXFR, base);
			if (rc == 0) {
				j->rc = 0;
				return;
			}
			snprintf(why, sizeof(why), "%s", j->err);
			log_info("zone %.255s: IXFR from %s failed (%s): AXFR",
				 j->z->domain, a->text, why);
			j->fallback = true;
			j->err[0] = '\0';
		}
		rc = transfer(j, a, key, apex_len, DNS_TYPE_AXFR, NULL);
		if (rc == 0 && j->kind == XFR_UPTODATE)
			rc = LV_EMALF;    /* cannot happen for AXFR */
		if (rc == 0) {
			j->rc = 0;
			return;
		}
		snprintf(why, sizeof(why), "%s", j->err);
		snprintf(j->err, sizeof(j->err), "transfer from %.60s: %.120s",
			 a->text, why);
	}
	j->rc = rc < 0 ? rc : -EHOSTUNREACH;
}

static void soa_timers(const struct zone *zn, uint32_t *refresh,
		       uint32_t *retry, uint32_t *expire);

/* The expiry a good check at now sets: the SOA's expire from now, or
 * with the primary's EDNS EXPIRE (RFC 7314) what it has left, never
 * earlier than the expiry already set (a chain of secondaries expires
 * when the first copy does, not later; a primary further behind does
 * not shorten what a better one gave). */
static time_t check_expiry(time_t now, uint32_t soa_expire, bool have_opt,
			   uint32_t opt, time_t before)
{
	time_t t;

	if (!have_opt)
		return now + soa_expire;
	t = now + opt;
	return before > t ? before : t;
}

/* A good check: its time and the expiry it sets, kept (journal.h) so a
 * restart resumes them. One LMDB write transaction. */
static void job_timers(struct xjob *j)
{
	const struct zone *zn = j->zone ? j->zone :
				j->hold ? zone_hold_zone(j->hold) : NULL;
	uint32_t refresh, retry, expire;
	struct journal_timers t;

	if (!zn)
		return;
	soa_timers(zn, &refresh, &retry, &expire);
	t.last_refresh = time(NULL);
	t.expire_at = check_expiry(t.last_refresh, expire, j->have_expire,
				   j->expire_opt, j->expire_at);
	t.serial = zone_serial(zn);
	if (journal_timers_put(j->journal, j->apex, &t) < 0)
		log_warning("zone %s: timers not kept (LMDB)", j->z->domain);
}

static void job_main_async(void *arg)
{
	struct xjob *j = arg;

	job_main(j);
	if (j->rc == 0 && j->journal)
		job_timers(j);
	uv_async_send(&j->done);
}

/* --- main: the table, the queue, the timers --- */

static void keys_free(struct tsig_key **keys, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		tsig_key_free(keys[i]);
		keys[i] = NULL;
	}
}

/* Copies of keys[0..n) into out; false when out of memory (none kept). */
static bool keys_dup(struct tsig_key **out, struct tsig_key *const *keys,
		     size_t n)
{
	for (size_t i = 0; i < n; i++) {
		out[i] = NULL;
		if (keys[i] && !(out[i] = tsig_key_dup(keys[i]))) {
			keys_free(out, i);
			return false;
		}
	}
	return true;
}


static void xzone_schedule(struct xzone *z, unsigned seconds);
static void xfrin_kick(struct xfrin *x);

/* The SOA's refresh, retry and expire of z (zone.h's wire record). */
static void soa_timers(const struct zone *zn, uint32_t *refresh,
		       uint32_t *retry, uint32_t *expire)
{
	const struct rrset *soa = zone_soa(zn);
	size_t rl = (size_t)soa->wire[8] << 8 | soa->wire[9];
	const uint8_t *e = soa->wire + 10 + rl;

	*refresh = (uint32_t)e[-16] << 24 | (uint32_t)e[-15] << 16 |
		   (uint32_t)e[-14] << 8 | e[-13];
	*retry = (uint32_t)e[-12] << 24 | (uint32_t)e[-11] << 16 |
		 (uint32_t)e[-10] << 8 | e[-9];
	*expire = (uint32_t)e[-8] << 24 | (uint32_t)e[-7] << 16 |
		  (uint32_t)e[-6] << 8 | e[-5];
}

/* seconds bounded and less up to 10% jitter, never under the minimum. */
static unsigned xfrin_wait(const struct xfrin *x, uint32_t seconds)
{
	uint32_t s = seconds, jit;

	if (s > x->refresh_max)
		s = x->refresh_max;
	jit = s / 10 ? randombytes_uniform(s / 10 + 1) : 0;
	s -= jit;
	if (s < x->refresh_min)
		s = x->refresh_min;
	return s;
}

static void xfrin_enqueue(struct xfrin *x, struct xzone *z)
{
	if (z->queued || z->job || z->gone)
		return;
	lv_require(x->qlen < x->qcap);
	x->queue[(x->qhead + x->qlen) % x->qcap] = z;
	x->qlen++;
	z->queued = true;
	xfrin_kick(x);
}

static void on_timer(uv_timer_t *t)
{
	struct xzone *z = t->data;
	time_t now = time(NULL);

	if (z->expire_at && now >= z->expire_at && !z->expired &&
	    z->have_serial) {
		int rc = z->x->hooks.publish(z->x->hooks.arg, z->domain, NULL,
					     XFR_NONE);

		if (rc == 0) {
			z->expired = true;
			z->have_serial = false;
			z->x->stats.expired++;
			snprintf(z->error, sizeof(z->error), "expired: no good "
				 "check since %lld", (long long)z->last_ok);
			log_error("zone %s expired: no longer served",
				  z->domain);
		}
	}
	xfrin_enqueue(z->x, z);
}

static void xzone_schedule(struct xzone *z, unsigned seconds)
{
	time_t now = time(NULL);
	uint64_t ms = (uint64_t)seconds * 1000;

	/* never past the expiry: expire on time */
	if (z->expire_at && !z->expired && z->expire_at > now &&
	    (uint64_t)(z->expire_at - now) * 1000 < ms)
		ms = (uint64_t)(z->expire_at - now) * 1000;
	z->next_check = now + (time_t)(ms / 1000);
	if (z->timer_ready)
		uv_timer_start(&z->timer, on_timer, ms, 0);
}

static void job_closed(uv_handle_t *h)
{
	free(h->data);
}

static void job_end(struct xjob *j);

static void on_job_done(uv_async_t *a)
{
	job_end(a->data);
}

static void xfrin_kick(struct xfrin *x)
{
	while (x->started && !x->freeing && x->qlen &&
	       x->running < XFRIN_MAX_JOBS) {
		struct xzone *z = x->queue[x->qhead];
		struct xjob *j;
		const struct zone *served;
		sigset_t all, old;
		int rc;

		x->qhead = (x->qhead + 1) % x->qcap;
		x->qlen--;
		z->queued = false;
		if (z->gone || z->job)
			continue;
		j = calloc(1, sizeof(*j));
		if (!j) {
			xzone_schedule(z, x->refresh_min);
			continue;
		}
		j->z = z;
		memcpy(j->apex, z->apex, z->apex_len);
		memcpy(j->primaries, z->primaries,
		       z->nprimaries * sizeof(z->primaries[0]));
		if (!keys_dup(j->keys, z->keys, z->nprimaries)) {
			free(j);
			xzone_schedule(z, x->refresh_min);
			continue;
		}
		j->nprimaries = z->nprimaries;
		j->journal = x->hooks.journal;
		j->jlim = x->hooks.jlim;
		j->expire_at = z->expired ? 0 : z->expire_at;
		j->force_axfr = z->again_axfr;
		z->again = z->again_axfr = false;
		/* an expired version is no base for an IXFR */
		served = z->expired ? NULL :
			 x->hooks.served(x->hooks.arg, z->domain);
		if (served && !(j->hold = zone_hold_new(served))) {
			keys_free(j->keys, j->nprimaries);
			free(j);
			xzone_schedule(z, x->refresh_min);
			continue;
		}
		uv_async_init(x->loop, &j->done, on_job_done);
		j->done.data = j;
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		rc = uv_thread_create(&j->tid, job_main_async, j);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (rc < 0) {
			zone_hold_drop(j->hold);
			keys_free(j->keys, j->nprimaries);
			uv_close((uv_handle_t *)&j->done, job_closed);
			xzone_schedule(z, x->refresh_min);
			continue;
		}
		z->job = j;
		z->last_try = time(NULL);
		x->running++;
	}
	x->stats.running = x->running;
	x->stats.queued = x->qlen;
}

static void xzone_free(struct xzone *z);

static void sync_main(void *arg)
{
	struct xsync *s = arg;

	s->rc = zdump_write(zone_hold_zone(s->hold), s->path, s->err,
			    sizeof(s->err));
	uv_async_send(&s->done);
}

static void sync_closed(uv_handle_t *h)
{
	struct xsync *s = h->data;

	free(s->path);
	free(s);
}

static void xzone_sync_start(struct xzone *z);

/* Joins z's write and frees it; logs how it went. */
static void sync_finish(struct xsync *s)
{
	struct xzone *z = s->z;
	const struct zone *zn = zone_hold_zone(s->hold);

	uv_thread_join(&s->tid);
	if (s->rc < 0) {
		log_warning("zone %s: copy of serial %u not written: %s",
			    z->domain, zone_serial(zn), s->err);
	} else {
		z->synced = zone_serial(zn);
		log_info("zone %s: serial %u written to %s", z->domain,
			 z->synced, s->path);
	}
	zone_hold_drop(s->hold);
	z->sync = NULL;
	z->x->syncing--;
	uv_close((uv_handle_t *)&s->done, sync_closed);
}

static void on_sync_done(uv_async_t *a)
{
	struct xsync *s = a->data;
	struct xzone *z = s->z;
	struct xfrin *x = z->x;

	sync_finish(s);
	if (z->sync_again && !z->gone && !x->freeing) {
		z->sync_again = false;
		xzone_sync_start(z);
	}
	while (!x->freeing && x->syncing < XFRIN_MAX_SYNCS && x->sync_head) {
		struct xzone *w = x->sync_head;

		x->sync_head = w->sync_next;
		if (!x->sync_head)
			x->sync_tail = NULL;
		w->sync_next = NULL;
		w->sync_pending = false;
		xzone_sync_start(w);
	}
}

/* Writes z's served version to its file on a thread of its own, or, when
 * a write runs, once it ends. */
static void xzone_sync_start(struct xzone *z)
{
	struct xfrin *x = z->x;
	const struct zone *served;
	struct xsync *s;
	sigset_t all, old;
	int rc;

	if (!z->file)
		return;
	if (z->sync) {
		z->sync_again = true;
		return;
	}
	if (x->syncing >= XFRIN_MAX_SYNCS) {
		/* the bound on writer threads: the zone waits its turn, once */
		if (!z->sync_pending) {
			z->sync_pending = true;
			if (x->sync_tail)
				x->sync_tail->sync_next = z;
			else
				x->sync_head = z;
			x->sync_tail = z;
		}
		return;
	}
	served = x->hooks.served(x->hooks.arg, z->domain);
	if (!served || zone_expired(served) || !(s = calloc(1, sizeof(*s))))
		return;
	s->z = z;
	if (!(s->path = strdup(z->file)) || !(s->hold = zone_hold_new(served))) {
		free(s->path);
		free(s);
		return;
	}
	uv_async_init(x->loop, &s->done, on_sync_done);
	s->done.data = s;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = uv_thread_create(&s->tid, sync_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc < 0) {
		zone_hold_drop(s->hold);
		uv_close((uv_handle_t *)&s->done, sync_closed);
		return;
	}
	z->sync = s;
	x->syncing++;
}

/* A write running at z's end (reload, shutdown): waited for here (it
 * ends in the time a write of the zone takes). */
static void xzone_sync_join(struct xzone *z)
{
	struct xfrin *x = z->x;

	if (z->sync)
		sync_finish(z->sync);
	if (z->sync_pending) {
		/* out of the waiting list: O(zones waiting), at a zone's end */
		struct xzone **pp = &x->sync_head, *prev = NULL;

		while (*pp && *pp != z) {
			prev = *pp;
			pp = &(*pp)->sync_next;
		}
		if (*pp)
			*pp = z->sync_next;
		if (x->sync_tail == z)
			x->sync_tail = prev;
		z->sync_pending = false;
	}
}

static void job_end(struct xjob *j)
{
	struct xzone *z = j->z;
	struct xfrin *x = z->x;
	time_t now = time(NULL);
	uint32_t refresh = 3600, retry = 600, expire = 604800;
	const struct zone *ref = j->hold ? zone_hold_zone(j->hold) : NULL;
	bool ok = false, busy = false;

	uv_thread_join(&j->tid);
	x->running--;
	z->job = NULL;
	x->stats.checks++;
	if (z->gone || x->freeing) {
		if (j->zone)
			zone_free(j->zone);
		j->zone = NULL;
	} else if (j->rc == 0 && j->kind == XFR_UPTODATE) {
		ok = true;
		z->uptodate++;
		x->stats.uptodate++;
		log_debug("zone %s: serial %u is current (primary %s has %u)",
			  z->domain, z->serial, j->primary, j->primary_serial);
	} else if (j->rc == 0 && j->zone) {
		uint32_t serial = zone_serial(j->zone);
		size_t records = zone_record_count(j->zone);
		struct zone *nz = j->zone;
		int rc;

		j->zone = NULL;
		ref = nz;
		soa_timers(nz, &refresh, &retry, &expire);
		rc = x->hooks.publish(x->hooks.arg, z->domain, nz, j->kind);
		if (rc == LV_EBUSY) {
			/* a reload runs: the check again in a second */
			busy = true;
			ref = NULL;
		} else if (rc < 0) {
			snprintf(z->error, sizeof(z->error), "publish: %s",
				 lv_strerror(rc));
			ref = NULL;
		} else {
			ok = true;
			if (j->kind == XFR_INCR) {
				z->ixfr++;
				x->stats.ixfr++;
			} else {
				z->axfr++;
				x->stats.axfr++;
			}
			if (j->fallback) {
				z->fallback++;
				x->stats.ixfr_fallback++;
			}
			snprintf(z->last_kind, sizeof(z->last_kind), "%s",
				 j->kind == XFR_INCR ? "IXFR" : "AXFR");
			log_info("zone %s: %s from %s: serial %s%u -> %u, "
				 "%zu records, %zu bytes%s, serving %llu ms "
				 "after its last message", z->domain,
				 z->last_kind, j->primary,
				 z->have_serial ? "" : "(none) ",
				 z->have_serial ? z->serial : 0, serial,
				 records, j->bytes,
				 j->fallback ? " (IXFR failed)" : "",
				 (unsigned long long)(now_ms() -
						      j->last_msg_ms));
			z->serial = serial;
			z->have_serial = true;
			z->expired = false;
			xzone_sync_start(z);
		}
	} else {
		z->failed++;
		x->stats.failed++;
		snprintf(z->error, sizeof(z->error), "%s",
			 j->err[0] ? j->err : lv_strerror(j->rc));
		log_warning("zone %s: check failed, %s: %s", z->domain,
			    z->have_serial ? "the served version stays" :
			    "not served", z->error);
	}
	if (ref && z->have_serial)
		soa_timers(ref, &refresh, &retry, &expire);
	zone_hold_drop(j->hold);
	keys_free(j->keys, j->nprimaries);
	uv_close((uv_handle_t *)&j->done, job_closed);
	if (z->gone || x->freeing) {
		if (z->gone) {
			struct xzone **pp = &x->orphans;

			while (*pp && *pp != z)
				pp = &(*pp)->next_orphan;
			if (*pp)
				*pp = z->next_orphan;
			xzone_free(z);
		}
		xfrin_kick(x);
		return;
	}
	if (ok) {
		const struct zone *served = x->hooks.served(x->hooks.arg,
							    z->domain);

		z->last_ok = now;
		z->error[0] = '\0';
		z->expire_at = check_expiry(now, expire, j->have_expire,
					    j->expire_opt, z->expire_at);
		if (served)
			zone_set_expire_at(served, z->expire_at);
	}
	if (busy)
		xzone_schedule(z, 1);
	else if (z->again)
		xzone_schedule(z, 0);
	else if (ok)
		xzone_schedule(z, xfrin_wait(x, refresh));
	else
		xzone_schedule(z, xfrin_wait(x, z->have_serial ? retry :
					     x->refresh_min * 5));
	xfrin_kick(x);
}

static void timer_closed(uv_handle_t *h)
{
	struct xzone *z = h->data;

	free(z->domain);
	free(z);
}

static void xzone_free(struct xzone *z)
{
	xzone_sync_join(z);
	free(z->file);
	z->file = NULL;
	keys_free(z->keys, z->nprimaries);
	if (z->timer_ready) {
		uv_timer_stop(&z->timer);
		uv_close((uv_handle_t *)&z->timer, timer_closed);
	} else {
		free(z->domain);
		free(z);
	}
}

static struct xzone *xzone_new(struct xfrin *x, const struct config_zone *cz)
{
	struct xzone *z = calloc(1, sizeof(*z));

	if (!z || !(z->domain = strdup(cz->domain)) ||
	    !(z->apex_len = name_from_text(cz->domain, z->apex))) {
		if (z)
			free(z->domain);
		free(z);
		return NULL;
	}
	z->x = x;
	if (uv_timer_init(x->loop, &z->timer) == 0) {
		z->timer.data = z;
		z->timer_ready = true;
	}
	return z;
}

/* The primaries of cz into z, in remote: order, with copies of their
 * TSIG keys (a remote's key: what its queries are signed with and its
 * answers checked against). -ENOMEM leaves z without keys: the caller
 * fails the configuration. */
static int xzone_primaries(struct xzone *z, const struct config *cfg,
			   const struct config_zone *cz)
{
	keys_free(z->keys, z->nprimaries);
	z->nprimaries = 0;
	for (size_t i = 0; i < cfg->remote_count; i++) {
		const struct config_remote *r = &cfg->remotes[i];
		const struct tsig_key *k;

		if (!(cz->primaries >> i & 1))
			continue;
		z->primaries[z->nprimaries] = r->addr;
		snprintf(z->primary_ids[z->nprimaries], 64, "%s", r->id);
		k = r->key >= 0 ? tsig_keyring_key(cfg->tsig, (size_t)r->key) :
		    NULL;
		z->keys[z->nprimaries] = NULL;
		if (k && !(z->keys[z->nprimaries] = tsig_key_dup(k))) {
			keys_free(z->keys, z->nprimaries);
			z->nprimaries = 0;
			return -ENOMEM;
		}
		z->nprimaries++;
	}
	return 0;
}

struct xfrin *xfrin_new(uv_loop_t *loop, const struct config *cfg,
			const struct xfrin_hooks *hooks)
{
	struct xfrin *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->loop = loop;
	x->hooks = *hooks;
	if (xfrin_configure(x, cfg) < 0) {
		free(x);
		return NULL;
	}
	return x;
}

int xfrin_configure(struct xfrin *x, const struct config *cfg)
{
	size_t n = 0, k = 0;
	struct xzone **zones, **queue, **pos;

	for (size_t i = 0; i < cfg->zone_count; i++)
		n += cfg->zones[i].primaries != 0;
	zones = calloc(n ? n : 1, sizeof(*zones));
	queue = calloc(n ? n : 1, sizeof(*queue));
	pos = calloc(cfg->zone_count ? cfg->zone_count : 1, sizeof(*pos));
	if (!zones || !queue || !pos)
		goto nomem;
	/* old entries kept by name, found through the new configuration's
	 * index: O(1) a zone */
	for (size_t o = 0; o < x->count; o++) {
		const struct config_zone *cz =
			config_find_zone(cfg, x->zones[o]->domain);

		if (cz && cz->primaries)
			pos[cz - cfg->zones] = x->zones[o];
	}
	for (size_t i = 0; i < cfg->zone_count; i++) {
		const struct config_zone *cz = &cfg->zones[i];

		if (!cz->primaries)
			continue;
		if (!pos[i] && !(pos[i] = xzone_new(x, cz)))
			goto nomem_new;
		pos[i]->gone = false;
		pos[i]->queued = false;
		if (!pos[i]->file || !cz->file ||
		    strcmp(pos[i]->file, cz->file) != 0) {
			free(pos[i]->file);
			pos[i]->file = cz->file ? strdup(cz->file) : NULL;
		}
		if (xzone_primaries(pos[i], cfg, cz) < 0)
			log_error("zone %s: out of memory for its TSIG keys: "
				  "no primary until the next reload",
				  cz->domain);
		zones[k++] = pos[i];
	}
	/* zones gone: stopped (a running job frees its entry at its end) */
	for (size_t o = 0; o < x->count; o++) {
		struct xzone *z = x->zones[o];
		const struct config_zone *cz = config_find_zone(cfg, z->domain);

		if (cz && cz->primaries)
			continue;
		z->gone = true;
		if (!z->job) {
			xzone_free(z);
		} else {
			z->next_orphan = x->orphans;
			x->orphans = z;
		}
	}
	free(x->by_cfg);
	x->by_cfg = pos;
	free(x->zones);
	free(x->queue);
	x->zones = zones;
	x->count = k;
	x->queue = queue;
	x->qcap = n ? n : 1;
	x->qhead = x->qlen = 0;
	x->cfg = cfg;
	x->refresh_min = cfg->refresh_min ? cfg->refresh_min : 1;
	x->refresh_max = cfg->refresh_max >= x->refresh_min ?
			 cfg->refresh_max : x->refresh_min;
	for (size_t i = 0; x->started && i < k; i++) {
		if (zones[i]->job)
			continue;
		if (!zones[i]->have_serial)
			xfrin_enqueue(x, zones[i]);
		else if (!uv_is_active((uv_handle_t *)&zones[i]->timer))
			xzone_schedule(zones[i], x->refresh_min);
	}
	return 0;
nomem_new:
	/* the entries made here go; the old table stays as it was */
	for (size_t i = 0; i < cfg->zone_count; i++) {
		bool old = false;

		for (size_t o = 0; pos[i] && o < x->count && !old; o++)
			old = x->zones[o] == pos[i];
		if (pos[i] && !old)
			xzone_free(pos[i]);
	}
nomem:
	free(zones);
	free(queue);
	free(pos);
	return -ENOMEM;
}

/* A zone served at start (its kept copy): taken as the served version,
 * with its kept timers when they are about its serial, else counted from
 * now; expired at once when its expiry passed while we were down. */
static void xzone_resume(struct xzone *z)
{
	struct xfrin *x = z->x;
	const struct zone *served = x->hooks.served(x->hooks.arg, z->domain);
	struct journal_timers t;
	uint32_t refresh, retry, expire;
	time_t now = time(NULL);

	if (!served || zone_expired(served))
		return;
	soa_timers(served, &refresh, &retry, &expire);
	z->have_serial = true;
	z->serial = z->synced = zone_serial(served);
	z->last_ok = now;
	z->expire_at = now + expire;
	if (x->hooks.journal &&
	    journal_timers_get(x->hooks.journal, z->apex, &t) == 0 &&
	    t.serial == z->serial) {
		z->last_ok = (time_t)t.last_refresh;
		z->expire_at = (time_t)t.expire_at;
	}
	zone_set_expire_at(served, z->expire_at);
	log_info("zone %s: serving its kept copy, serial %u, expires in %lld "
		 "s", z->domain, z->serial,
		 (long long)(z->expire_at - now));
	if (now >= z->expire_at &&
	    x->hooks.publish(x->hooks.arg, z->domain, NULL, XFR_NONE) == 0) {
		z->expired = true;
		z->have_serial = false;
		x->stats.expired++;
		snprintf(z->error, sizeof(z->error), "expired: no good check "
			 "since %lld", (long long)z->last_ok);
		log_error("zone %s expired while Levee was down: no longer "
			  "served", z->domain);
	}
}

void xfrin_start(struct xfrin *x)
{
	x->started = true;
	for (size_t i = 0; i < x->count; i++) {
		xzone_resume(x->zones[i]);
		xfrin_enqueue(x, x->zones[i]);
	}
}

/* O(1) expected: the configuration's name index. */
static struct xzone *xfrin_find(const struct xfrin *x, const char *domain)
{
	const struct config_zone *cz = x->cfg ?
		config_find_zone(x->cfg, domain) : NULL;

	return cz ? x->by_cfg[cz - x->cfg->zones] : NULL;
}

int xfrin_refresh(struct xfrin *x, const char *domain, bool axfr)
{
	struct xzone *z = xfrin_find(x, domain);

	if (!z)
		return -ENOENT;
	if (axfr)
		z->again_axfr = true;
	if (z->job) {
		z->again = true;
		return 0;
	}
	if (z->timer_ready)
		uv_timer_stop(&z->timer);
	xfrin_enqueue(x, z);
	return 0;
}

static void fmt_t(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!t || !gmtime_r(&t, &tm))
		snprintf(buf, len, "-");
	else
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

bool xfrin_zone_status(const struct xfrin *x, const char *domain, char *buf,
		       size_t len)
{
	const struct xzone *z = xfrin_find(x, domain);
	char last[32], next[32], exp[32];

	if (!z)
		return false;
	fmt_t(z->last_ok, last, sizeof(last));
	fmt_t(z->job || z->queued ? time(NULL) : z->next_check, next,
	      sizeof(next));
	fmt_t(z->expire_at, exp, sizeof(exp));
	snprintf(buf, len, "secondary: %s, serial %u, last refresh %s, next "
		 "refresh %s, expires %s, axfr %lu, ixfr %lu, ixfr-fallback "
		 "%lu, uptodate %lu, failed %lu, last %s, xfr-error %s",
		 z->expired ? "expired" : z->job ? "transferring" :
		 z->have_serial ? "current" : "waiting",
		 z->have_serial ? z->serial : 0, last, next, exp, z->axfr,
		 z->ixfr, z->fallback, z->uptodate, z->failed,
		 z->last_kind[0] ? z->last_kind : "-",
		 z->error[0] ? z->error : "-");
	return true;
}

void xfrin_stats(const struct xfrin *x, struct xfrin_stats *out)
{
	*out = x->stats;
	out->running = x->running;
	out->queued = x->qlen;
}

/* Cancels and joins z's job, if any (shutdown). */
static void xzone_join(struct xzone *z)
{
	if (z->job) {
		__atomic_store_n(&z->job->cancel, 1, __ATOMIC_RELAXED);
		uv_thread_join(&z->job->tid);
		zone_free(z->job->zone);
		zone_hold_drop(z->job->hold);
		keys_free(z->job->keys, z->job->nprimaries);
		uv_close((uv_handle_t *)&z->job->done, job_closed);
		z->job = NULL;
	}
}

void xfrin_free(struct xfrin *x)
{
	if (!x)
		return;
	x->freeing = true;
	while (x->orphans) {
		struct xzone *z = x->orphans;

		x->orphans = z->next_orphan;
		xzone_join(z);
		xzone_free(z);
	}
	for (size_t i = 0; i < x->count; i++) {
		struct xzone *z = x->zones[i];

		xzone_join(z);
		xzone_free(z);
	}
	free(x->zones);
	free(x->by_cfg);
	free(x->queue);
	free(x);
}
