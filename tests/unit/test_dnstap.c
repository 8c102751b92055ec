/* test_dnstap.c -- CUnit suite 'dnstap': the reactors' rings and the
 * writer (server/dnstap.h).
 *
 * A ring nobody drains fills and then drops, counting each message, and
 * never writes past its bytes (AddressSanitizer). With the writer running,
 * 40,000 messages of 12 to 700 bytes (the ring wraps about twenty times,
 * with skip marks at every kind of offset) come out of the file sink
 * whole, once each and in order, decoded by protobuf-c and read back by
 * libfstrm's file reader; a message that found the ring full is sent again
 * by the test, so every one must arrive. Run under ThreadSanitizer by
 * scripts/test.sh (the ring's orderings). Sampling logs exactly 1 in N.
 */
#include <CUnit/Basic.h>
#include <fstrm.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/dnstap.h"
#include "dnstap.pb-c.h"
#include "unit.h"

#define MESSAGES 40000

static char tap_path[64];

static void tap_config(struct dnstap_config *c, bool responses)
{
	memset(c, 0, sizeof(*c));
	c->on = true;
	c->sink = tap_path;
	c->identity = (char *)"unit";
	c->log_queries = true;
	c->log_responses = responses;
	c->sample = 1;
}

/* Query i: 12 to 700 bytes, its first four bytes i, the rest a pattern
 * of i, so a torn or shifted message cannot pass for another. */
static size_t query_wire(unsigned i, uint8_t *buf)
{
	size_t len = 12 + (i * 7919u) % 689;

	memcpy(buf, &i, 4);
	for (size_t k = 4; k < len; k++)
		buf[k] = (uint8_t)(i + k);
	return len;
}

static void event_for(unsigned i, uint8_t *buf, struct sockaddr_in *sin,
		      struct dnstap_event *e)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)(1024 + i % 60000));
	sin->sin_addr.s_addr = htonl(0x7f000001u + (i % 250));
	memset(e, 0, sizeof(*e));
	e->client = (const struct sockaddr *)sin;
	e->tcp = i % 3 == 0;
	e->query = buf;
	e->query_len = query_wire(i, buf);
	e->reply = buf;
	e->reply_len = e->query_len;
	e->query_time.tv_sec = 1700000000 + i;
	e->query_time.tv_nsec = i;
	e->reply_time = e->query_time;
}

static void sleep_ms(long ms)
{
	const struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Undrained, the ring takes what fits and counts the rest as dropped; a
 * message is never half queued. */
static void test_full_ring_drops_and_counts(void)
{
	struct dnstap_config c;
	struct dnstap *t;
	struct dnstap_ring *r;
	char err[128];
	uint8_t buf[1024];
	uint64_t queued = 0, dropped = 0;
	unsigned i;

	tap_config(&c, true);
	t = dnstap_new(&c, 2, err, sizeof(err));
	CU_ASSERT_FATAL(t != NULL);
	r = dnstap_ring(t, 1);
	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT(dnstap_ring(t, 2) == NULL);
	for (i = 0; i < 20000 && dropped < 100; i++) {
		struct sockaddr_in sin;
		struct dnstap_event e;

		event_for(i, buf, &sin, &e);
		dnstap_log(r, &e, &queued, &dropped);
	}
	CU_ASSERT(dropped >= 100);
	CU_ASSERT(queued + dropped == 2 * (uint64_t)i);
	/* ~420 bytes a message on average with its header: the ring holds
	 * about 2,500 of them, never more than its bytes allow */
	CU_ASSERT(queued > 1500);
	CU_ASSERT(queued * 30 <= DNSTAP_RING_BYTES);
	CU_ASSERT(dnstap_written(t) == 0);
	dnstap_free(t);   /* never started: nothing written, nothing leaked */
}

/* The writer thread drains while this thread produces; every message
 * arrives once, whole and in order. */
static void test_writer_delivers_every_message_in_order(void)
{
	struct dnstap_config c;
	struct dnstap *t;
	struct dnstap_ring *r;
	char err[128];
	uint8_t buf[1024];
	uint64_t queued = 0, dropped = 0, retries = 0;
	struct fstrm_file_options *fopt;
	struct fstrm_reader *rd;
	const uint8_t *data;
	size_t len;
	unsigned seen = 0;
	bool intact = true;

	tap_config(&c, false);
	t = dnstap_new(&c, 1, err, sizeof(err));
	CU_ASSERT_FATAL(t != NULL);
	CU_ASSERT_FATAL(dnstap_start(t, err, sizeof(err)) == 0);
	r = dnstap_ring(t, 0);
	for (unsigned i = 0; i < MESSAGES; i++) {
		struct sockaddr_in sin;
		struct dnstap_event e;
		uint64_t before = dropped;

		event_for(i, buf, &sin, &e);
		dnstap_log(r, &e, &queued, &dropped);
		if (dropped != before) {   /* full: again, once it drained */
			retries++;
			sleep_ms(1);
			i--;
		}
		CU_ASSERT_FATAL(retries < 100000);
	}
	CU_ASSERT(queued == MESSAGES);
	for (int w = 0; w < 5000 && dnstap_written(t) < MESSAGES; w++)
		sleep_ms(1);
	CU_ASSERT(dnstap_written(t) == MESSAGES);
	CU_ASSERT(dnstap_discarded(t) == 0);
	CU_ASSERT(dnstap_connected(t));
	dnstap_free(t);   /* drained, the stop frame written */

	fopt = fstrm_file_options_init();
	fstrm_file_options_set_file_path(fopt, tap_path);
	rd = fstrm_file_reader_init(fopt, NULL);
	fstrm_file_options_destroy(&fopt);
	CU_ASSERT_FATAL(rd != NULL);
	CU_ASSERT_FATAL(fstrm_reader_open(rd) == fstrm_res_success);
	while (fstrm_reader_read(rd, &data, &len) == fstrm_res_success) {
		Dnstap__Dnstap *d = dnstap__dnstap__unpack(NULL, len, data);
		uint8_t want[1024];
		struct sockaddr_in sin;
		struct dnstap_event e;
		const Dnstap__Message *m;

		if (!d || !d->message) {
			intact = false;
			break;
		}
		m = d->message;
		event_for(seen, want, &sin, &e);
		if (m->type != DNSTAP__MESSAGE__TYPE__AUTH_QUERY ||
		    m->has_response_message ||
		    m->query_message.len != e.query_len ||
		    memcmp(m->query_message.data, want, e.query_len) != 0 ||
		    m->query_port != ntohs(sin.sin_port) ||
		    m->query_address.len != 4 ||
		    memcmp(m->query_address.data, &sin.sin_addr, 4) != 0 ||
		    m->socket_protocol != (e.tcp ? DNSTAP__SOCKET_PROTOCOL__TCP
						 : DNSTAP__SOCKET_PROTOCOL__UDP) ||
		    m->query_time_sec != (uint64_t)e.query_time.tv_sec ||
		    m->query_time_nsec != (uint32_t)e.query_time.tv_nsec ||
		    d->identity.len != 4 ||
		    memcmp(d->identity.data, "unit", 4) != 0)
			intact = false;
		dnstap__dnstap__free_unpacked(d, NULL);
		if (!intact)
			break;
		seen++;
	}
	fstrm_reader_destroy(&rd);
	CU_ASSERT(intact);
	CU_ASSERT(seen == MESSAGES);
}

static void test_sampling_one_in_n(void)
{
	struct dnstap_config c;
	struct dnstap *t;
	struct dnstap_ring *r;
	char err[128];
	unsigned logged = 0, first = 0;

	tap_config(&c, true);
	c.sample = 3;
	c.sample_attack = 10;
	t = dnstap_new(&c, 1, err, sizeof(err));
	CU_ASSERT_FATAL(t != NULL);
	r = dnstap_ring(t, 0);
	CU_ASSERT(dnstap_sampled(r, false));   /* the first query */
	for (int i = 0; i < 30; i++)
		logged += dnstap_sampled(r, false);
	CU_ASSERT(logged == 10);
	for (int i = 0; i < 100; i++)
		if (dnstap_sampled(r, true) && !first)
			first = (unsigned)i + 1;
	/* the countdown set before the attack runs out first (3), then 1 in
	 * 10 */
	CU_ASSERT(first == 3);
	logged = 0;
	for (int i = 0; i < 100; i++)
		logged += dnstap_sampled(r, true);
	CU_ASSERT(logged == 10);
	dnstap_free(t);
}

static const struct unit_test tests[] = {
	{ "full ring drops and counts", test_full_ring_drops_and_counts },
	{ "writer delivers every message in order",
	  test_writer_delivers_every_message_in_order },
	{ "sampling one in n", test_sampling_one_in_n },
};

int main(void)
{
	int fd, rc;

	snprintf(tap_path, sizeof(tap_path), "/tmp/levee-dnstap-XXXXXX");
	fd = mkstemp(tap_path);
	if (fd < 0)
		return 2;
	close(fd);
	rc = unit_run("dnstap", NULL, NULL, tests, UNIT_COUNT(tests));
	unlink(tap_path);
	return rc;
}
