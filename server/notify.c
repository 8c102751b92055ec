/* notify.c -- NOTIFY out (notify.h).
 *
 * Jobs sit on one list (a zone has few targets and the notifier holds at
 * most one job per zone and target: a linear search per send or reply is
 * bounded by what the operator configured). Each job owns a timer for its
 * next try and the message it sends, built once.
 */
#include "server/notify.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/name.h"
#include "server/log.h"
#include "server/tsig.h"

#define NOTIFY_MSG_MAX 512

struct notify_job {
	struct notifier *n;
	struct notify_job *prev, *next;
	uv_timer_t timer;
	struct sockaddr_storage to;
	socklen_t to_len;
	char domain[256];
	char target[INET6_ADDRSTRLEN + 8];
	uint8_t apex[256];
	size_t apex_len;
	uint32_t serial;
	uint16_t id;
	int tries;
	uint8_t msg[NOTIFY_MSG_MAX];
	size_t msg_len;
};

struct notifier {
	uv_loop_t *loop;
	uv_udp_t sock[2];          /* [0] IPv4, [1] IPv6 */
	bool have[2];
	int open_handles;
	unsigned first_ms;
	bool closing;
	struct notify_job *jobs;
	struct notify_stats st;
};

static void notifier_maybe_free(struct notifier *n)
{
	if (n->closing && n->open_handles == 0 && !n->jobs)
		free(n);
}

static void sock_closed(uv_handle_t *h)
{
	struct notifier *n = h->data;

	n->open_handles--;
	notifier_maybe_free(n);
}

static void job_closed(uv_handle_t *h)
{
	struct notify_job *j = h->data;
	struct notifier *n = j->n;

	free(j);
	n->open_handles--;
	notifier_maybe_free(n);
}

static void job_end(struct notify_job *j)
{
	struct notifier *n = j->n;

	if (j->prev)
		j->prev->next = j->next;
	else
		n->jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
	n->st.pending--;
	uv_close((uv_handle_t *)&j->timer, job_closed);
}

static void target_text(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];
	unsigned port;

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		port = ntohs(s4->sin_port);
	}
	snprintf(buf, len, "%s@%u", host, port);
}

static bool same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

	return x->sin6_port == y->sin6_port &&
	       memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

static void job_timeout(uv_timer_t *t);

/* Sends j's message and arms the next try. */
static void job_try(struct notify_job *j)
{
	struct notifier *n = j->n;
	int fam = j->to.ss_family == AF_INET6 ? 1 : 0;
	uv_buf_t b = uv_buf_init((char *)j->msg, (unsigned)j->msg_len);
	int rc;

	j->tries++;
	rc = uv_udp_try_send(&n->sock[fam], &b, 1,
			     (const struct sockaddr *)&j->to);
	if (rc >= 0)
		n->st.sent++;
	else
		log_debug("zone %s: NOTIFY to %s: %s", j->domain, j->target,
			  uv_strerror(rc));
	/* 1, 2, 4, 8 s, then the wait for the last reply */
	uv_timer_start(&j->timer, job_timeout,
		       (uint64_t)n->first_ms << (j->tries - 1), 0);
}

static void job_timeout(uv_timer_t *t)
{
	struct notify_job *j = t->data;

	if (j->tries >= NOTIFY_TRIES) {
		log_warning("zone %s: NOTIFY serial %u to %s: no reply after %d "
			    "tries", j->domain, j->serial, j->target, j->tries);
		j->n->st.gave_up++;
		job_end(j);
		return;
	}
	job_try(j);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	static char buf[NOTIFY_MSG_MAX * 2];

	(void)h;
	(void)hint;
	*b = uv_buf_init(buf, sizeof(buf));
}

static void on_recv(uv_udp_t *u, ssize_t nread, const uv_buf_t *b,
		    const struct sockaddr *from, unsigned flags)
{
	struct notifier *n = u->data;
	const uint8_t *m = (const uint8_t *)b->base;
	uint16_t id;

	(void)flags;
	if (nread < 12 || !from)
		return;
	/* a reply (QR), opcode NOTIFY */
	if (!(m[2] & 0x80) || ((m[2] >> 3) & 0x0f) != 4)
		return;
	id = (uint16_t)(m[0] << 8 | m[1]);
	for (struct notify_job *j = n->jobs; j; j = j->next) {
		if (j->id != id ||
		    !same_addr(from, (const struct sockaddr *)&j->to))
			continue;
		unsigned rcode = m[3] & 0x0f;

		if (rcode == 0) {
			log_info("zone %s: NOTIFY serial %u to %s answered",
				 j->domain, j->serial, j->target);
			n->st.answered++;
		} else {
			log_warning("zone %s: NOTIFY serial %u to %s: rcode %u",
				    j->domain, j->serial, j->target, rcode);
			n->st.refused++;
		}
		job_end(j);
		return;
	}
}

struct notifier *notifier_new(uv_loop_t *loop, unsigned first_ms, char *err,
			      size_t errlen)
{
	struct notifier *n = calloc(1, sizeof(*n));
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	const struct sockaddr *any[2] = { (void *)&a4, (void *)&a6 };

	if (!n) {
		snprintf(err, errlen, "notify: out of memory");
		return NULL;
	}
	n->loop = loop;
	n->first_ms = first_ms ? first_ms : NOTIFY_FIRST_TIMEOUT_MS;
	a6.sin6_addr = in6addr_any;
	for (int f = 0; f < 2; f++) {
		if (uv_udp_init(loop, &n->sock[f]) < 0)
			continue;
		n->sock[f].data = n;
		n->open_handles++;
		if (uv_udp_bind(&n->sock[f], any[f],
				f ? UV_UDP_IPV6ONLY : 0) == 0 &&
		    uv_udp_recv_start(&n->sock[f], on_alloc, on_recv) == 0) {
			n->have[f] = true;
		} else {
			uv_close((uv_handle_t *)&n->sock[f], sock_closed);
		}
	}
	if (!n->have[0] && !n->have[1]) {
		snprintf(err, errlen, "notify: no UDP socket could be bound");
		n->closing = true;
		if (n->open_handles == 0)
			free(n);
		return NULL;
	}
	return n;
}

/* The NOTIFY message of j (RFC 1996 3.7): question apex SOA IN, answer
 * the SOA (owner compressed to the question's name). */
static int job_build(struct notify_job *j, const uint8_t *soa_rr,
		     size_t soa_len)
{
	uint8_t *m = j->msg;
	size_t o = 12;

	if (12 + j->apex_len + 4 + 2 + soa_len > sizeof(j->msg))
		return -EINVAL;
	memset(m, 0, 12);
	m[0] = (uint8_t)(j->id >> 8);
	m[1] = (uint8_t)j->id;
	m[2] = (4 << 3) | 0x04;    /* opcode NOTIFY, AA */
	m[5] = 1;                  /* QDCOUNT */
	m[7] = 1;                  /* ANCOUNT */
	memcpy(m + o, j->apex, j->apex_len);
	o += j->apex_len;
	m[o++] = 0;
	m[o++] = 6;                /* SOA */
	m[o++] = 0;
	m[o++] = 1;                /* IN */
	m[o++] = 0xc0;
	m[o++] = 12;
	memcpy(m + o, soa_rr, soa_len);
	o += soa_len;
	j->msg_len = o;
	return 0;
}

int notifier_send(struct notifier *n, const char *domain,
		  const uint8_t *apex, uint32_t serial, const uint8_t *soa_rr,
		  size_t soa_len, const struct sockaddr *target,
		  socklen_t target_len, const struct tsig_key *key)
{
	size_t al = name_length(apex);
	int fam = target->sa_family == AF_INET6 ? 1 : 0;
	struct notify_job *j;

	if (n->closing || !n->have[fam] || target_len > sizeof(j->to))
		return -EAFNOSUPPORT;
	for (j = n->jobs; j; j = j->next) {
		if (j->apex_len == al && memcmp(j->apex, apex, al) == 0 &&
		    same_addr(target, (const struct sockaddr *)&j->to)) {
			job_end(j);     /* the newest serial replaces it */
			break;
		}
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->n = n;
	memcpy(&j->to, target, target_len);
	j->to_len = target_len;
	snprintf(j->domain, sizeof(j->domain), "%s", domain);
	target_text(target, j->target, sizeof(j->target));
	memcpy(j->apex, apex, al);
	j->apex_len = al;
	j->serial = serial;
	j->id = (uint16_t)arc4random_uniform(65536);
	if (job_build(j, soa_rr, soa_len) < 0) {
		free(j);
		return -EINVAL;
	}
	if (key) {
		struct tsig_ctx tx;

		if (tsig_sign_request(j->msg, &j->msg_len, sizeof(j->msg), key,
				      (uint64_t)time(NULL), &tx) < 0) {
			free(j);
			return -EINVAL;
		}
	}
	uv_timer_init(n->loop, &j->timer);
	j->timer.data = j;
	n->open_handles++;
	j->next = n->jobs;
	if (n->jobs)
		n->jobs->prev = j;
	n->jobs = j;
	n->st.pending++;
	job_try(j);
	return 0;
}

void notifier_stats(const struct notifier *n, struct notify_stats *out)
{
	*out = n->st;
}

void notifier_free(struct notifier *n)
{
	if (!n || n->closing)
		return;
	n->closing = true;
	while (n->jobs)
		job_end(n->jobs);
	for (int f = 0; f < 2; f++)
		if (n->have[f])
			uv_close((uv_handle_t *)&n->sock[f], sock_closed);
	notifier_maybe_free(n);
}
