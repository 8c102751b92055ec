/* nullsrv.c -- the "null responder": the cheapest possible UDP DNS server.
 *
 * One thread, one socket: recvmmsg a batch of up to 64 datagrams (the same
 * batch size as Levee's UDP_BATCH), set the QR bit of each in place and
 * sendmmsg the batch back to its sources. No parsing, no lookup: its answers
 * per CPU-second are the ceiling this kernel allows one core, against which
 * bench/compare measures Levee. It blocks in recvmmsg (MSG_WAITFORONE), so
 * it uses no CPU when idle. Stops on SIGTERM or SIGINT.
 *
 * usage: nullsrv [-l 127.0.0.1] [-p PORT]
 */
#ifndef _GNU_SOURCE   /* meson passes -D_GNU_SOURCE */
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NS_BATCH 64
#define NS_MAX   4096

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	static struct mmsghdr msg[NS_BATCH];
	static struct iovec iov[NS_BATCH];
	static struct sockaddr_in src[NS_BATCH];
	static unsigned char buf[NS_BATCH][NS_MAX];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct sigaction act;
	const char *addr = "127.0.0.1";
	int port = 53, fd, ch, i, size = 4 << 20;

	while ((ch = getopt(argc, argv, "l:p:")) != -1) {
		if (ch == 'l')
			addr = optarg;
		else if (ch == 'p')
			port = atoi(optarg);
		else {
			fprintf(stderr, "usage: nullsrv [-l ADDR] [-p PORT]\n");
			return 2;
		}
	}
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "nullsrv: bad address %s\n", addr);
		return 2;
	}
	sa.sin_port = htons((unsigned short)port);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("nullsrv: socket");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	memset(&act, 0, sizeof(act));
	act.sa_handler = on_signal;       /* no SA_RESTART: recvmmsg returns */
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	for (i = 0; i < NS_BATCH; i++) {
		iov[i].iov_base = buf[i];
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
		msg[i].msg_hdr.msg_name = &src[i];
	}
	fprintf(stderr, "nullsrv: ready on %s@%d\n", addr, port);
	while (!stop) {
		int n, s;

		for (i = 0; i < NS_BATCH; i++) {
			iov[i].iov_len = NS_MAX;
			msg[i].msg_hdr.msg_namelen = sizeof(src[i]);
		}
		n = recvmmsg(fd, msg, NS_BATCH, MSG_WAITFORONE, NULL);
		if (n <= 0)
			continue;
		for (i = 0; i < n; i++) {
			iov[i].iov_len = msg[i].msg_len;
			if (msg[i].msg_len >= 3)
				buf[i][2] |= 0x80;
		}
		s = sendmmsg(fd, msg, (unsigned)n, 0);
		(void)s;
	}
	close(fd);
	return 0;
}
