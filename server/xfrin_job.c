/* xfrin_job.c -- one check of a secondary zone on its worker thread:
 * the SOA query, IXFR or AXFR over TCP with blocking sockets whose every
 * wait is bounded (xfrin.h), TSIG on each (tsig.h tsig_answer_*), EDNS
 * EXPIRE read from the answers, the journal and timers written before the
 * result goes back to main. Touches nothing but its struct xjob (and the
 * held base version, read-only) and the thread-safe journal and log.
 */
#include "server/xfrin_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/dns.h"
#include "common/errcode.h"
#include "common/name.h"
#include "common/serial.h"
#include "server/log.h"
#include "server/sigcheck.h"
#include "server/tsig.h"
#include "server/wire.h"
#include "server/worker.h"
#include "zones/journal.h"
#include "zones/xfr.h"
#include "zones/zone.h"
#include "zones/zone_walk.h"

/* --- the worker: sockets with timeouts --- */

uint64_t xfrin_job_now_ms(void)
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
		uint64_t now = xfrin_job_now_ms();
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
	rc = wait_fd(j, fd, POLLOUT, xfrin_job_now_ms() + XFRIN_MSG_TIMEOUT_MS);
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
	uint64_t deadline = xfrin_job_now_ms() + XFRIN_MSG_TIMEOUT_MS;

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

/* The primary's serial over UDP (2 tries), over TCP when truncated or
 * refused;
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
		uint64_t deadline = xfrin_job_now_ms() + XFRIN_SOA_TIMEOUT_MS;

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
	/* truncated, or an error rcode (knotd refuses every UDP query for
	 * a catalog it generates, RFC 9432 7, and answers its SOA over
	 * TCP): the same over TCP */
	if ((rc < 0 && rc != LV_ERCODE) || (rc == 0 && !tc))
		return rc;
	if ((fd = tcp_connect(j, a)) < 0)
		return fd;
	{
		uint8_t lq[2 + sizeof(q)];
		uint8_t lb[2];
		uint64_t deadline = xfrin_job_now_ms() + XFRIN_MSG_TIMEOUT_MS;
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
	uint64_t end = xfrin_job_now_ms() + (uint64_t)XFRIN_TOTAL_TIMEOUT_S * 1000;
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
		uint64_t deadline = xfrin_job_now_ms() + XFRIN_MSG_TIMEOUT_MS;
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
	j->last_msg_ms = xfrin_job_now_ms();
	if (rc == 1 && ta && (rc = tsig_answer_end(ta, j->err,
						   sizeof(j->err))) == 0)
		rc = 1;
	if (rc == 1)
		rc = xfr_finish(x, &j->zone, &j->kind, j->err,
				sizeof(j->err));
	if (rc == 0)   /* dnssec-validation: on refuses, warn logs */
		rc = sigcheck_validate(j->domain, j->validation, &j->zone,
				       j->err, sizeof(j->err));
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
		/* nothing served: straight to the AXFR, whose first message
		 * brings the serial and EDNS EXPIRE too (as knotd's
		 * bootstrap; 10,000 new catalog members save a query each) */
		rc = base ? soa_query(j, a, key, apex_len, &serial) : 0;
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
			if (!base && j->zone)
				j->primary_serial = zone_serial(j->zone);
			j->rc = 0;
			return;
		}
		snprintf(why, sizeof(why), "%s", j->err);
		snprintf(j->err, sizeof(j->err), "transfer from %.60s: %.120s",
			 a->text, why);
	}
	j->rc = rc < 0 ? rc : -EHOSTUNREACH;
}

/* The expiry a good check at now sets: the SOA's expire from now, or
 * with the primary's EDNS EXPIRE (RFC 7314) what it has left, never
 * earlier than the expiry already set (a chain of secondaries expires
 * when the first copy does, not later; a primary further behind does
 * not shorten what a better one gave). */
time_t xfrin_job_expiry(time_t now, uint32_t soa_expire, bool have_opt,
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
	xfrin_job_soa_timers(zn, &refresh, &retry, &expire);
	t.last_refresh = time(NULL);
	t.expire_at = xfrin_job_expiry(t.last_refresh, expire, j->have_expire,
				   j->expire_opt, j->expire_at);
	t.serial = zone_serial(zn);
	if (journal_timers_put(j->journal, j->apex, &t) < 0)
		log_warning("zone %s: timers not kept (LMDB)", j->z->domain);
}

void xfrin_job_run(void *arg)
{
	struct xjob *j = arg;

	worker_background();    /* below the reactors (worker.h) */
	job_main(j);
	if (j->rc == 0 && j->journal)
		job_timers(j);
	uv_async_send(&j->done);
}

/* The SOA's refresh, retry and expire of z (zone.h's wire record). */
void xfrin_job_soa_timers(const struct zone *zn, uint32_t *refresh,
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
