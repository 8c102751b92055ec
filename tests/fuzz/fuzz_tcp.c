/* fuzz_tcp.c -- fuzz target: TCP framing (server/tcp.c) with the query
 * pipeline behind it, through a real reactor on loopback.
 *
 * The first call starts one reactor (reactor.h) listening on 127.0.0.1 at
 * a free port, serving tests/data/fuzz.zone with RRL and cookies on, as
 * the daemon does. Each input is a byte stream a client writes on one
 * fresh TCP connection: the first byte picks how the stream is cut into
 * writes (1 to 64 bytes each, or all at once), the rest is the stream
 * (two-byte lengths and messages, garbage, partial messages, zero
 * lengths, pipelined queries). The client then half-closes and reads
 * until the server closes (at most FUZZ_TCP_WAIT_MS). Whatever comes back
 * must be whole frames: a two-byte length, then a DNS message ldns
 * parses, nothing cut short. The reactor must survive every input; the
 * replay driver runs the seed corpus (fuzz_tcp.in) under `meson test`.
 * Loopback only; every wait is bounded. FUZZ_TCP_DEBUG=1 prints the bytes
 * sent and received per input.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>
#include <urcu-qsbr.h>

#include "server/answer.h"
#include "server/config.h"
#include "server/reactor.h"
#include "zones/zdb.h"
#include "zones/zload.h"

#ifndef FUZZ_ZONE_FILE
#define FUZZ_ZONE_FILE "tests/data/fuzz.zone"
#endif

#define FUZZ_TCP_WAIT_MS 2000
#define FUZZ_TCP_MAX_REPLY (1 << 20)

static struct config fuzz_cfg;
static struct answer_config fuzz_acfg;
static struct reactor_group *fuzz_group;
static struct sockaddr_in fuzz_addr;

/* A port free on 127.0.0.1 for TCP (and UDP: the reactor binds both). */
static int fuzz_free_port(void)
{
	for (int i = 0; i < 50; i++) {
		struct sockaddr_in a = { .sin_family = AF_INET };
		socklen_t al = sizeof(a);
		int t = socket(AF_INET, SOCK_STREAM, 0);
		int u = socket(AF_INET, SOCK_DGRAM, 0);
		int port = -1;

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (t >= 0 && u >= 0 && bind(t, (struct sockaddr *)&a, al) == 0 &&
		    getsockname(t, (struct sockaddr *)&a, &al) == 0 &&
		    bind(u, (struct sockaddr *)&a, al) == 0)
			port = ntohs(a.sin_port);
		close(t);
		close(u);
		if (port > 0)
			return port;
	}
	abort();
}

static void fuzz_init(void)
{
	char err[512], listen[64];
	struct zdb *db = zdb_new();
	struct zone *z = NULL;
	int port = fuzz_free_port();

	if (!db || zload_file("example.com", FUZZ_ZONE_FILE, &z, err,
			      sizeof(err)) != 0 || zdb_add(db, z) != 0)
		abort();
	zdb_publish(db);
	config_init(&fuzz_cfg);
	snprintf(listen, sizeof(listen), "127.0.0.1@%d", port);
	if (config_add_listen(&fuzz_cfg, listen, err, sizeof(err)) < 0)
		abort();
	fuzz_cfg.reactors = 1;
	fuzz_cfg.udp_ebpf_filter = false;
	fuzz_cfg.tcp_idle_timeout = 1;
	fuzz_cfg.tcp_message_timeout = 1;
	fuzz_acfg.udp_max = (uint16_t)fuzz_cfg.udp_max_payload;
	fuzz_acfg.tcp_keepalive = 10;
	fuzz_group = reactor_group_new(&fuzz_cfg, &fuzz_acfg, 1, err,
				       sizeof(err));
	if (!fuzz_group) {
		fprintf(stderr, "fuzz_tcp: %s\n", err);
		abort();
	}
	if (reactor_group_start(fuzz_group) < 0)
		abort();
	fuzz_addr.sin_family = AF_INET;
	fuzz_addr.sin_port = htons((uint16_t)port);
	fuzz_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

static uint64_t fuzz_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Reads what the server sends until it closes or the deadline passes;
 * checks every whole frame. Returns the bytes read. */
static size_t fuzz_read_all(int fd, uint64_t deadline, uint8_t *buf,
			    size_t cap)
{
	size_t n = 0;

	for (;;) {
		uint64_t now = fuzz_ms();
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (now >= deadline)
			break;
		if (poll(&p, 1, (int)(deadline - now)) <= 0)
			break;
		ssize_t k = recv(fd, buf + n, cap - n, 0);
		if (k <= 0)
			break;
		n += (size_t)k;
		if (n == cap)
			break;
	}
	return n;
}

static void fuzz_check_frames(const uint8_t *buf, size_t n)
{
	size_t off = 0;

	while (n - off >= 2) {
		size_t len = (size_t)buf[off] << 8 | buf[off + 1];
		ldns_pkt *pkt = NULL;

		if (len < 12)
			abort();   /* no reply is shorter than a header */
		if (n - off - 2 < len)
			break;     /* cut by our deadline or buffer, not wrong */
		if (ldns_wire2pkt(&pkt, buf + off + 2, len) != LDNS_STATUS_OK)
			abort();
		ldns_pkt_free(pkt);
		off += 2 + len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t replies[FUZZ_TCP_MAX_REPLY];
	size_t chunk, off = 0;
	int fd, one = 1;

	if (!fuzz_group)
		fuzz_init();
	if (size < 1)
		return 0;
	chunk = data[0] == 0 ? size : (size_t)(data[0] % 64) + 1;
	data++;
	size--;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		abort();
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&fuzz_addr, sizeof(fuzz_addr)) < 0) {
		close(fd);
		return 0;   /* the listener is at a cap: not a finding */
	}
	while (off < size) {
		size_t k = size - off < chunk ? size - off : chunk;
		ssize_t w = send(fd, data + off, k, MSG_NOSIGNAL);

		if (w <= 0)
			break;     /* the server closed: bad framing, fine */
		off += (size_t)w;
	}
	shutdown(fd, SHUT_WR);
	size_t got = fuzz_read_all(fd, fuzz_ms() + FUZZ_TCP_WAIT_MS, replies,
				   sizeof(replies));
	if (getenv("FUZZ_TCP_DEBUG"))
		fprintf(stderr, "fuzz_tcp: %zu bytes in, %zu back\n", size, got);
	fuzz_check_frames(replies, got);
	close(fd);
	return 0;
}
