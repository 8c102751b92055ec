/* dnstap_ring.c -- the reactors' side of dnstap (dnstap.h): sampling,
 * the encoding into the reactor's ring. No allocation, lock or system
 * call; linked into the engine (query.c calls it). */
#include "server/dnstap.h"
#include "server/dnstap_internal.h"

#include "dnstap.pb-c.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

struct dnstap_ring *dnstap_ring(struct dnstap *t, unsigned i)
{
	return t && i < t->nrings ? &t->rings[i] : NULL;
}

bool dnstap_sampled(struct dnstap_ring *r, bool under_attack)
{
	if (--r->countdown)
		return false;
	r->countdown = under_attack ? r->t->cfg.sample_attack
				    : r->t->cfg.sample;
	return true;
}

/* Packs d into r; false when the ring has no room for it. */
static bool dnstap_put(struct dnstap_ring *r, const Dnstap__Dnstap *d)
{
	size_t len = dnstap__dnstap__get_packed_size(d);
	size_t need = dnstap_align8(4 + len);
	uint64_t head = r->head;
	uint64_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
	size_t off = head & DNSTAP_MASK;
	size_t skip = need > DNSTAP_RING_BYTES - off ?
		      DNSTAP_RING_BYTES - off : 0;
	uint32_t len32 = (uint32_t)len;

	if (need > DNSTAP_RING_BYTES / 2 ||
	    head + skip + need - tail > DNSTAP_RING_BYTES)
		return false;
	if (skip) {   /* off is 8-aligned: at least 8 bytes remain */
		const uint32_t mark = DNSTAP_SKIP;

		memcpy(r->buf + off, &mark, 4);
		off = 0;
	}
	memcpy(r->buf + off, &len32, 4);
	dnstap__dnstap__pack(d, r->buf + off + 4);
	__atomic_store_n(&r->head, head + skip + need, __ATOMIC_RELEASE);
	return true;
}

static void dnstap_address(Dnstap__Message *m, const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;

		m->socket_family = DNSTAP__SOCKET_FAMILY__INET6;
		m->query_address.data = (uint8_t *)a->sin6_addr.s6_addr;
		m->query_address.len = 16;
		m->query_port = ntohs(a->sin6_port);
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)sa;

		m->socket_family = DNSTAP__SOCKET_FAMILY__INET;
		m->query_address.data = (uint8_t *)&a->sin_addr.s_addr;
		m->query_address.len = 4;
		m->query_port = ntohs(a->sin_port);
	}
	m->has_socket_family = true;
	m->has_query_address = true;
	m->has_query_port = true;
}

/* Ours: the port, and the address unless the socket is a wildcard. */
static void dnstap_server_address(Dnstap__Message *m,
				  const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET6 &&
	    m->socket_family == DNSTAP__SOCKET_FAMILY__INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;

		m->has_response_address =
			!IN6_IS_ADDR_UNSPECIFIED(&a->sin6_addr);
		m->response_address.data = (uint8_t *)a->sin6_addr.s6_addr;
		m->response_address.len = 16;
		m->response_port = ntohs(a->sin6_port);
		m->has_response_port = true;
	} else if (sa->sa_family == AF_INET &&
		   m->socket_family == DNSTAP__SOCKET_FAMILY__INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)sa;

		m->has_response_address = a->sin_addr.s_addr != INADDR_ANY;
		m->response_address.data = (uint8_t *)&a->sin_addr.s_addr;
		m->response_address.len = 4;
		m->response_port = ntohs(a->sin_port);
		m->has_response_port = true;
	}
}

void dnstap_log(struct dnstap_ring *r, const struct dnstap_event *e,
		uint64_t *queued, uint64_t *dropped)
{
	const struct dnstap *t = r->t;
	Dnstap__Dnstap d = DNSTAP__DNSTAP__INIT;
	Dnstap__Message m = DNSTAP__MESSAGE__INIT;

	d.type = DNSTAP__DNSTAP__TYPE__MESSAGE;
	d.identity.data = (uint8_t *)t->identity;
	d.identity.len = t->identity_len;
	d.has_identity = d.identity.len > 0;
	d.version.data = (uint8_t *)t->version;
	d.version.len = t->version_len;
	d.has_version = true;
	d.message = &m;
	dnstap_address(&m, e->client);
	if (e->server)
		dnstap_server_address(&m, e->server);
	m.socket_protocol = e->tcp ? DNSTAP__SOCKET_PROTOCOL__TCP
				   : DNSTAP__SOCKET_PROTOCOL__UDP;
	m.has_socket_protocol = true;
	m.query_time_sec = (uint64_t)e->query_time.tv_sec;
	m.query_time_nsec = (uint32_t)e->query_time.tv_nsec;
	m.has_query_time_sec = m.has_query_time_nsec = true;
	if (t->cfg.log_queries) {
		m.type = DNSTAP__MESSAGE__TYPE__AUTH_QUERY;
		m.query_message.data = (uint8_t *)e->query;
		m.query_message.len = e->query_len;
		m.has_query_message = true;
		if (dnstap_put(r, &d))
			(*queued)++;
		else
			(*dropped)++;
	}
	if (t->cfg.log_responses && e->reply) {
		m.type = DNSTAP__MESSAGE__TYPE__AUTH_RESPONSE;
		m.has_query_message = false;
		m.response_message.data = (uint8_t *)e->reply;
		m.response_message.len = e->reply_len;
		m.has_response_message = true;
		m.response_time_sec = (uint64_t)e->reply_time.tv_sec;
		m.response_time_nsec = (uint32_t)e->reply_time.tv_nsec;
		m.has_response_time_sec = m.has_response_time_nsec = true;
		if (dnstap_put(r, &d))
			(*queued)++;
		else
			(*dropped)++;
	}
}
