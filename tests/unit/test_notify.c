/* test_notify.c -- unit tests of NOTIFY out (server/notify.h) on a real
 * libuv loop and loopback sockets.
 *
 * A plain UDP socket on 127.0.0.1 plays the secondary: the message is the
 * one RFC 1996 describes, retries come at the doubling times until the
 * tries run out, a reply with the job's ID from the target ends it, a
 * reply with another ID or from another address does not, a newer serial
 * replaces the pending job, and freeing with jobs pending closes cleanly.
 */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "server/notify.h"
#include "unit.h"

static const uint8_t apex[] = "\x07" "example" "\x03" "com";
/* TYPE SOA, IN, TTL 300, RDLENGTH 22: "." "." 7 3600 900 604800 300 */
static const uint8_t soa[] = {
	0, 6, 0, 1, 0, 0, 1, 44, 0, 22, 0, 0,
	0, 0, 0, 7, 0, 0, 14, 16, 0, 0, 3, 132, 0, 9, 58, 128, 0, 0, 1, 44,
};

struct peer {
	int fd;
	struct sockaddr_in addr;
};

static void peer_open(struct peer *p)
{
	socklen_t l = sizeof(p->addr);

	p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	CU_ASSERT_FATAL(p->fd >= 0);
	memset(&p->addr, 0, sizeof(p->addr));
	p->addr.sin_family = AF_INET;
	p->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT_FATAL(bind(p->fd, (struct sockaddr *)&p->addr,
			     sizeof(p->addr)) == 0);
	CU_ASSERT_FATAL(getsockname(p->fd, (struct sockaddr *)&p->addr, &l) == 0);
}

/* Runs the loop up to ms milliseconds or until a datagram reaches p;
 * its length (0: none) and sender. */
static ssize_t peer_wait(uv_loop_t *loop, struct peer *p, uint8_t *buf,
			 size_t len, unsigned ms, struct sockaddr_in *from)
{
	uint64_t end = uv_hrtime() + (uint64_t)ms * 1000000;

	while (uv_hrtime() < end) {
		socklen_t fl = sizeof(*from);
		ssize_t n = recvfrom(p->fd, buf, len, 0, (struct sockaddr *)from,
				     &fl);

		if (n > 0)
			return n;
		uv_run(loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
	return 0;
}

static void spin(uv_loop_t *loop, unsigned ms)
{
	uint64_t end = uv_hrtime() + (uint64_t)ms * 1000000;

	while (uv_hrtime() < end) {
		uv_run(loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
}

static void reply(struct peer *p, const uint8_t *q, const struct sockaddr_in *to,
		  uint16_t id_xor, unsigned rcode)
{
	uint8_t r[12];

	memcpy(r, q, 12);
	r[0] ^= (uint8_t)(id_xor >> 8);
	r[1] ^= (uint8_t)id_xor;
	r[2] |= 0x80;
	r[3] = (uint8_t)rcode;
	CU_ASSERT(sendto(p->fd, r, 12, 0, (const struct sockaddr *)to,
			 sizeof(*to)) == 12);
}

static struct notifier *make(uv_loop_t *loop, unsigned ms)
{
	char err[128];
	struct notifier *n = notifier_new(loop, ms, err, sizeof(err));

	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	return n;
}

static void finish(uv_loop_t *loop, struct notifier *n)
{
	notifier_free(n);
	uv_run(loop, UV_RUN_DEFAULT);
	CU_ASSERT_EQUAL(uv_loop_close(loop), 0);
}

static void test_message_and_answer(void)
{
	uv_loop_t loop;
	struct peer p;
	uint8_t m[512];
	struct sockaddr_in from;
	struct notify_stats st;
	struct notifier *n;
	ssize_t len;

	uv_loop_init(&loop);
	peer_open(&p);
	n = make(&loop, 50);
	CU_ASSERT_EQUAL(notifier_send(n, "example.com", apex, 7, soa,
				      sizeof(soa), (struct sockaddr *)&p.addr,
				      sizeof(p.addr), NULL), 0);
	len = peer_wait(&loop, &p, m, sizeof(m), 2000, &from);
	CU_ASSERT_EQUAL_FATAL(len, 12 + 13 + 4 + 2 + (ssize_t)sizeof(soa));
	CU_ASSERT_EQUAL((m[2] >> 3) & 0x0f, 4);          /* opcode NOTIFY */
	CU_ASSERT(m[2] & 0x04);                          /* AA */
	CU_ASSERT(!(m[2] & 0x80));                       /* a query */
	CU_ASSERT_EQUAL(m[5], 1);                        /* QDCOUNT */
	CU_ASSERT_EQUAL(m[7], 1);                        /* ANCOUNT */
	CU_ASSERT_EQUAL(memcmp(m + 12, apex, 13), 0);
	CU_ASSERT_EQUAL(m[12 + 13 + 1], 6);              /* QTYPE SOA */
	CU_ASSERT_EQUAL(m[12 + 13 + 4], 0xc0);           /* owner: pointer */
	CU_ASSERT_EQUAL(memcmp(m + 12 + 13 + 6, soa, sizeof(soa)), 0);
	/* a reply with another ID: still pending, tried again */
	reply(&p, m, &from, 0x0101, 0);
	len = peer_wait(&loop, &p, m, sizeof(m), 2000, &from);
	CU_ASSERT(len > 0);
	notifier_stats(n, &st);
	CU_ASSERT_EQUAL(st.pending, 1);
	CU_ASSERT_EQUAL(st.sent, 2);
	/* the reply: done, no more tries */
	reply(&p, m, &from, 0, 0);
	spin(&loop, 400);
	notifier_stats(n, &st);
	CU_ASSERT_EQUAL(st.pending, 0);
	CU_ASSERT_EQUAL(st.answered, 1);
	CU_ASSERT_EQUAL(peer_wait(&loop, &p, m, sizeof(m), 300, &from), 0);
	finish(&loop, n);
	close(p.fd);
}

static void test_retries_then_gives_up(void)
{
	uv_loop_t loop;
	struct peer p;
	uint8_t m[512];
	struct sockaddr_in from;
	struct notify_stats st;
	struct notifier *n;
	uint64_t t0, at[NOTIFY_TRIES];
	int got = 0;

	uv_loop_init(&loop);
	peer_open(&p);
	n = make(&loop, 20);
	t0 = uv_hrtime();
	notifier_send(n, "example.com", apex, 8, soa, sizeof(soa),
		      (struct sockaddr *)&p.addr, sizeof(p.addr), NULL);
	while (got < NOTIFY_TRIES &&
	       peer_wait(&loop, &p, m, sizeof(m), 2000, &from) > 0)
		at[got++] = uv_hrtime() - t0;
	CU_ASSERT_EQUAL(got, NOTIFY_TRIES);
	/* sent at 0, 20, 60, 140, 300 ms at the earliest (timers fire late,
	 * never early, so the bound holds on a busy machine): the waits
	 * double */
	for (int i = 1; i < got; i++)
		CU_ASSERT(at[i] >= (20ull * ((1ull << i) - 1)) * 1000000 * 9 / 10);
	spin(&loop, 400);
	notifier_stats(n, &st);
	CU_ASSERT_EQUAL(st.gave_up, 1);
	CU_ASSERT_EQUAL(st.pending, 0);
	CU_ASSERT_EQUAL(st.sent, NOTIFY_TRIES);
	finish(&loop, n);
	close(p.fd);
}

static void test_newer_serial_replaces(void)
{
	uv_loop_t loop;
	struct peer p, other;
	uint8_t m[512];
	struct sockaddr_in from;
	struct notify_stats st;
	struct notifier *n;

	uv_loop_init(&loop);
	peer_open(&p);
	peer_open(&other);
	n = make(&loop, 1000);
	notifier_send(n, "example.com", apex, 1, soa, sizeof(soa),
		      (struct sockaddr *)&p.addr, sizeof(p.addr), NULL);
	CU_ASSERT(peer_wait(&loop, &p, m, sizeof(m), 2000, &from) > 0);
	notifier_send(n, "example.com", apex, 2, soa, sizeof(soa),
		      (struct sockaddr *)&p.addr, sizeof(p.addr), NULL);
	CU_ASSERT(peer_wait(&loop, &p, m, sizeof(m), 2000, &from) > 0);
	notifier_stats(n, &st);
	CU_ASSERT_EQUAL(st.pending, 1);
	/* the right ID from another address does not end it */
	uint8_t r[12];

	memcpy(r, m, 12);
	r[2] |= 0x80;
	sendto(other.fd, r, 12, 0, (struct sockaddr *)&from, sizeof(from));
	spin(&loop, 100);
	notifier_stats(n, &st);
	CU_ASSERT_EQUAL(st.pending, 1);
	/* an error rcode from the target ends it, counted apart */
	reply(&p, m, &from, 0, 5);
	spin(&loop, 100);
	notifier_stats(n, &st);
	CU_ASSERT_EQUAL(st.pending, 0);
	CU_ASSERT_EQUAL(st.refused, 1);
	/* pending jobs at free: closed cleanly */
	notifier_send(n, "example.com", apex, 3, soa, sizeof(soa),
		      (struct sockaddr *)&p.addr, sizeof(p.addr), NULL);
	finish(&loop, n);
	close(p.fd);
	close(other.fd);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "message_and_answer", test_message_and_answer },
		{ "retries_then_gives_up", test_retries_then_gives_up },
		{ "newer_serial_replaces", test_newer_serial_replaces },
	};

	return unit_run("notify", NULL, NULL, tests, UNIT_COUNT(tests));
}
