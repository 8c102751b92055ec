/* fuzz_ctl.c -- the control protocol (server/ctl.c): the bytes of one
 * client connection, sent to a real control socket on a libuv loop, whose
 * handler echoes the words it was given. The reply must be "ok\n" and the
 * words, or "error: ..."; any crash, hang or sanitizer finding is a bug.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include "server/ctl.h"

static uv_loop_t loop;
static struct ctl *ctl;
static char path[108];

static void echo(void *arg, int argc, char **argv, struct ctl_reply *r)
{
	(void)arg;
	for (int i = 0; i < argc; i++)
		ctl_reply_printf(r, "%s%s", i ? " " : "", argv[i]);
	ctl_reply_printf(r, "\n");
}

static void teardown(void)
{
	unlink(path);
}

static void setup(void)
{
	char err[256];

	snprintf(path, sizeof(path), "/tmp/fuzz_ctl.%d.sock", (int)getpid());
	if (uv_loop_init(&loop) ||
	    ctl_start(&loop, path, 0600, echo, NULL, &ctl, err, sizeof(err))) {
		fprintf(stderr, "fuzz_ctl: %s\n", err);
		abort();
	}
	atexit(teardown);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char reply[8192];
	size_t got = 0, sent = 0;
	int fd;

	if (!ctl)
		setup();
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		abort();
	/* bounded: every iteration sends, receives or runs the loop once;
	 * the server answers or closes within its own bounds */
	for (int it = 0; it < 100000; it++) {
		ssize_t n;

		if (sent < size) {
			n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
			if (n > 0)
				sent += (size_t)n;
			else if (n < 0 && errno != EAGAIN)
				sent = size;
			if (sent == size)
				shutdown(fd, SHUT_WR);
		} else if (it == 0) {
			shutdown(fd, SHUT_WR);
		}
		uv_run(&loop, UV_RUN_NOWAIT);
		n = recv(fd, reply + got, sizeof(reply) - 1 - got, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN) ||
		    got == sizeof(reply) - 1)
			break;
		if (n > 0)
			got += (size_t)n;
	}
	close(fd);
	uv_run(&loop, UV_RUN_NOWAIT);
	reply[got] = '\0';
	if (got && strncmp(reply, "ok\n", 3) != 0 &&
	    strncmp(reply, "error: ", 7) != 0)
		abort();
	return 0;
}
