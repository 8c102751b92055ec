/* test_tcp.c -- CUnit suite 'tcp': one real reactor serving TCP on a
 * loopback port, with the fault sites of server/fault.h armed on demand
 * (this suite links levee_daemon_faults, the daemon built with
 * -DLEVEE_FAULT_INJECTION; the levee binary has no such sites).
 *
 * test_bug_tcp_listener_enomem (issue 11, finding 5): when a connection
 * cannot be set up (its calloc, its timer or its handle fails) it must be
 * accepted and closed, and the listener must go on accepting; the old code
 * returned without uv_accept and libuv stopped watching the listener for
 * good, so every later client hung. Then a burst of failing accepts, a
 * failure while the spare handle is still closing (the retry timer takes
 * the connection), and a failed buffer allocation, which closes that
 * connection only.
 *
 * Every wait is a poll with a deadline; no zones are loaded, so a query is
 * answered REFUSED, which is all this suite needs.
 */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "server/answer.h"
#include "server/config.h"
#include "server/fault.h"
#include "server/reactor.h"
#include "server/stats.h"
#include "unit.h"

#define WAIT_MS 2000

static struct config cfg;
static struct answer_config acfg;
static struct reactor_group *group;
static int port;

enum outcome { ANSWERED, CLOSED, TIMEOUT };

/* A port free for TCP and UDP on 127.0.0.1 (kernel-chosen). */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int t = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET, SOCK_DGRAM, 0);
	int p = -1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (t >= 0 && u >= 0 && bind(t, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(t, (struct sockaddr *)&a, &len) == 0 &&
	    bind(u, (struct sockaddr *)&a, sizeof(a)) == 0)
		p = ntohs(a.sin_port);
	close(t);
	close(u);
	return p;
}

static int suite_init(void)
{
	char addr[64], err[256];

	signal(SIGPIPE, SIG_IGN);
	config_init(&cfg);
	cfg.udp_bpf_filter = false;
	cfg.udp_ebpf_filter = false;
	cfg.rrl.responses_per_second = 0;
	for (int i = 0; i < 10 && !group; i++) {
		port = free_port();
		snprintf(addr, sizeof(addr), "127.0.0.1@%d", port);
		cfg.listen_count = 0;
		if (port < 0 || config_add_listen(&cfg, addr, err, sizeof(err)))
			continue;
		memset(&acfg, 0, sizeof(acfg));
		acfg.udp_max = 1232;
		group = reactor_group_new(&cfg, &acfg, 1, err, sizeof(err));
	}
	if (!group || reactor_group_start(group) < 0) {
		fprintf(stderr, "test_tcp: cannot start a reactor\n");
		return 1;
	}
	return 0;
}

static int suite_clean(void)
{
	reactor_group_free(group);
	group = NULL;
	config_free(&cfg);
	return 0;
}

static int dial(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int s = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	if (s >= 0 && connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(s);
		return -1;
	}
	return s;
}

/* A query for www.test. A, framed, with id. */
static size_t query(uint8_t *b, uint16_t id)
{
	static const uint8_t q[] = {
		0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		3, 'w', 'w', 'w', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1,
	};

	b[0] = 0;
	b[1] = sizeof(q);
	memcpy(b + 2, q, sizeof(q));
	b[2] = (uint8_t)(id >> 8);
	b[3] = (uint8_t)id;
	return 2 + sizeof(q);
}

/* Reads from s until a reply with id (ANSWERED), EOF or reset (CLOSED),
 * or WAIT_MS without either (TIMEOUT). */
static enum outcome await(int s, uint16_t id)
{
	uint8_t buf[1024];
	size_t have = 0;
	struct pollfd pfd = { .fd = s, .events = POLLIN };

	while (poll(&pfd, 1, WAIT_MS) == 1) {
		ssize_t n = recv(s, buf + have, sizeof(buf) - have, 0);

		if (n <= 0)
			return CLOSED;
		have += (size_t)n;
		if (have >= 4 && (buf[2] << 8 | buf[3]) == id)
			return ANSWERED;
		if (have == sizeof(buf))
			return CLOSED;
	}
	return TIMEOUT;
}

/* One query on a fresh connection. */
static enum outcome ask(uint16_t id)
{
	uint8_t b[64];
	size_t n = query(b, id);
	int s = dial();
	enum outcome o;

	if (s < 0)
		return CLOSED;
	if (send(s, b, n, MSG_NOSIGNAL) != (ssize_t)n) {
		close(s);
		return CLOSED;
	}
	o = await(s, id);
	close(s);
	return o;
}

static uint64_t counter(enum stats_counter i)
{
	struct stats st;

	reactor_group_stats(group, 0, &st);
	return st.c[i];
}

static void test_bug_tcp_listener_enomem(void)
{
	static const enum fault_site sites[] = {
		FAULT_TCP_CONN_ALLOC, FAULT_TCP_TIMER_INIT,
		FAULT_TCP_HANDLE_INIT,
	};
	uint64_t failed0 = counter(STATS_TCP_ACCEPT_FAILED);
	uint16_t id = 100;

	CU_ASSERT_EQUAL_FATAL(ask(id++), ANSWERED);
	for (size_t i = 0; i < sizeof(sites) / sizeof(sites[0]); i++) {
		unsigned closed = 0;

		fault_arm(sites[i], 3);
		/* A connection that meets the fault is accepted and closed,
		 * never left hanging (the old listener stopped at the first).
		 * Three hits, one connection each; or one that came in the
		 * same loop iteration as the last reject waits for the retry
		 * timer, which hits again (closed) or, the hits spent, serves
		 * it. */
		for (int k = 0; k < 3 && fault_left(sites[i]); k++) {
			enum outcome o = ask(id++);

			CU_ASSERT_NOT_EQUAL(o, TIMEOUT);
			closed += o == CLOSED;
		}
		CU_ASSERT(closed >= 1);
		CU_ASSERT_EQUAL(fault_left(sites[i]), 0);
		fault_arm(sites[i], 0);
		/* And the listener goes on. */
		CU_ASSERT_EQUAL(ask(id++), ANSWERED);
	}
	CU_ASSERT_EQUAL(counter(STATS_TCP_ACCEPT_FAILED) - failed0, 9);
}

/* Twenty connections at once, all failing: several rejects in one loop
 * iteration, so the spare handle is still closing and the retry timer
 * takes the next one. None may hang; the listener goes on. */
static void test_burst_of_failures(void)
{
	enum { N = 20 };
	int s[N];
	uint8_t b[64];
	unsigned hung = 0;

	fault_arm(FAULT_TCP_CONN_ALLOC, N);
	for (int i = 0; i < N; i++)
		s[i] = dial();
	for (int i = 0; i < N; i++) {
		size_t n = query(b, (uint16_t)(500 + i));

		if (s[i] < 0)
			continue;
		(void)send(s[i], b, n, MSG_NOSIGNAL);
	}
	for (int i = 0; i < N; i++) {
		if (s[i] < 0)
			continue;
		if (await(s[i], (uint16_t)(500 + i)) == TIMEOUT)
			hung++;
		close(s[i]);
	}
	CU_ASSERT_EQUAL(hung, 0);
	fault_arm(FAULT_TCP_CONN_ALLOC, 0);
	CU_ASSERT_EQUAL(ask(600), ANSWERED);
}

/* A connection that cannot be set up while the spare handle is still
 * closing: libuv stops watching the listener until the retry timer takes
 * the connection, TCP_RETRY_MS later, and then sets it up (the failure
 * was once). */
static void test_retry_timer(void)
{
	fault_arm(FAULT_TCP_CONN_ALLOC, 1);
	fault_arm(FAULT_TCP_SPARE_BUSY, 1);
	CU_ASSERT_EQUAL(ask(650), ANSWERED);
	fault_arm(FAULT_TCP_CONN_ALLOC, 0);
	fault_arm(FAULT_TCP_SPARE_BUSY, 0);
	CU_ASSERT_EQUAL(ask(651), ANSWERED);
}

/* A buffer that cannot be had (for half a message) closes that
 * connection only. */
static void test_buffer_failure(void)
{
	uint8_t b[64];
	size_t n = query(b, 700);
	int s = dial();

	CU_ASSERT_FATAL(s >= 0);
	fault_arm(FAULT_TCP_BUF_ALLOC, 1);
	CU_ASSERT_EQUAL(send(s, b, n / 2, MSG_NOSIGNAL), (ssize_t)(n / 2));
	CU_ASSERT_EQUAL(await(s, 700), CLOSED);
	close(s);
	fault_arm(FAULT_TCP_BUF_ALLOC, 0);
	CU_ASSERT_EQUAL(ask(701), ANSWERED);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "test_bug_tcp_listener_enomem", test_bug_tcp_listener_enomem },
		{ "a burst of failed accepts", test_burst_of_failures },
		{ "the retry timer accepts", test_retry_timer },
		{ "a failed buffer closes one connection", test_buffer_failure },
	};

	return unit_run("tcp", suite_init, suite_clean, tests,
			UNIT_COUNT(tests));
}
