/* levee_ctl.c -- levee-ctl: the control socket's client (server/ctl.h).
 *
 *   levee-ctl [-s SOCKET | -c CONFIG] [-t SECONDS] COMMAND [ARG...]
 *
 * Sends one request, prints the reply's output on stdout; an error reply
 * goes to stderr as "levee-ctl: error: ..." with exit status 1; usage and
 * connection failures exit 2. `reload` waits (up to -t seconds) until the
 * reload it started is done, then prints its result and exits 1 when a
 * zone failed to load.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "server/config.h"
#include "server/ctl.h"

#define DEFAULT_SOCKET "/run/levee/levee.sock"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: levee-ctl [-s SOCKET | -c CONFIG] [-t SECONDS] COMMAND "
		"[ARG...]\n"
		"commands:\n"
		"  status                 the server's state, reload counters\n"
		"  reload [ZONE...]       read the configuration and changed "
		"zone files\n"
		"                         again (ZONEs: those zone files only);"
		" waits\n"
		"  zone-status [ZONE...]  serial, records, file, load time, "
		"last error\n"
		"  stats                  the counters, as JSON\n"
		"  notify ZONE...         send NOTIFY to the zones' remotes now\n"
		"  attack                 the under-attack state\n"
		"  stop                   stop the server\n"
		"SOCKET: the server's control: listen: (default %s, or the one "
		"CONFIG names)\n", DEFAULT_SOCKET);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One request; the reply (NUL-terminated, malloc'd) into *out. 0, or -1
 * with a message printed. */
static int ctl_call(const char *path, const char *req, double timeout,
		    char **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	double end = now_s() + timeout;
	int fd;

	*out = NULL;
	if (!buf)
		return -1;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "levee-ctl: %s: path too long\n", path);
		free(buf);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "levee-ctl: cannot connect to %s: %s\n", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		free(buf);
		return -1;
	}
	size_t rl = strlen(req), off = 0;

	while (off < rl) {
		ssize_t n = send(fd, req + off, rl - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "levee-ctl: %s: %s\n", path,
				strerror(errno));
			close(fd);
			free(buf);
			return -1;
		}
		off += (size_t)n;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		double left = end - now_s();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)(left * 1000) + 1) == 0) {
			fprintf(stderr, "levee-ctl: %s: no reply within %.0f "
				"s\n", path, timeout);
			close(fd);
			free(buf);
			return -1;
		}
		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				close(fd);
				free(buf);
				return -1;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "levee-ctl: %s: %s\n", path,
				strerror(errno));
			close(fd);
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (strncmp(buf, "ok\n", 3) != 0 && strncmp(buf, "error: ", 7) != 0) {
		fprintf(stderr, "levee-ctl: %s: not a Levee control reply\n",
			path);
		free(buf);
		return -1;
	}
	*out = buf;
	return 0;
}

/* The value of "key: value" in a status reply, or NULL. */
static const char *status_value(const char *reply, const char *key,
				char *val, size_t len)
{
	size_t kl = strlen(key);

	for (const char *l = reply; l && *l; l = strchr(l, '\n') ?
	     strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, key, kl) == 0 && l[kl] == ':' && l[kl + 1] == ' ') {
			const char *v = l + kl + 2, *e = strchr(v, '\n');
			size_t vl = e ? (size_t)(e - v) : strlen(v);

			if (vl >= len)
				vl = len - 1;
			memcpy(val, v, vl);
			val[vl] = '\0';
			return val;
		}
	}
	return NULL;
}

/* After "reload N started": polls status until reloads-done reaches N. */
static int wait_reload(const char *path, const char *reply, double timeout)
{
	unsigned long n;
	double end = now_s() + timeout;
	char val[600];

	if (sscanf(reply + 3, "reload %lu", &n) != 1)
		return 0;
	for (;;) {
		char *st;

		if (ctl_call(path, "status\n", end - now_s() > 1 ?
			     end - now_s() : 1, &st) < 0)
			return 2;
		if (status_value(st, "reloads-done", val, sizeof(val)) &&
		    strtoul(val, NULL, 10) >= n) {
			bool failed = status_value(st, "last-reload", val,
						   sizeof(val)) &&
				      (strncmp(val, "failed", 6) == 0 ||
				       !strstr(val, " 0 failed"));

			printf("reload %lu done: %s\n", n, val);
			free(st);
			return failed ? 1 : 0;
		}
		free(st);
		if (now_s() >= end) {
			fprintf(stderr, "levee-ctl: reload %lu not done within "
				"%.0f s (see status)\n", n, timeout);
			return 1;
		}
		usleep(50 * 1000);
	}
}

int main(int argc, char **argv)
{
	const char *sock = NULL, *cfgpath = NULL;
	double timeout = 60;
	char req[CTL_REQUEST_MAX + 1], *reply;
	size_t off = 0;
	int opt, rc;
	struct config cfg;

	while ((opt = getopt(argc, argv, "+s:c:t:h")) != -1) {
		switch (opt) {
		case 's':
			sock = optarg;
			break;
		case 'c':
			cfgpath = optarg;
			break;
		case 't':
			timeout = atof(optarg);
			if (timeout <= 0) {
				fprintf(stderr, "levee-ctl: -t %s: expected "
					"seconds\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	config_init(&cfg);
	if (!sock && cfgpath) {
		char err[512];

		if (config_load(&cfg, cfgpath, err, sizeof(err)) < 0) {
			fprintf(stderr, "levee-ctl: %s\n", err);
			config_free(&cfg);
			return 2;
		}
		if (!cfg.control_listen) {
			fprintf(stderr, "levee-ctl: %s: no control: listen:\n",
				cfgpath);
			config_free(&cfg);
			return 2;
		}
		sock = cfg.control_listen;
	}
	if (!sock)
		sock = DEFAULT_SOCKET;
	for (int i = optind; i < argc; i++) {
		int n = snprintf(req + off, sizeof(req) - off, "%s%s",
				 i > optind ? " " : "", argv[i]);

		if (n < 0 || (size_t)n >= sizeof(req) - off - 1) {
			fprintf(stderr, "levee-ctl: request longer than %d "
				"bytes\n", CTL_REQUEST_MAX);
			config_free(&cfg);
			return 2;
		}
		off += (size_t)n;
	}
	req[off++] = '\n';
	req[off] = '\0';
	if (ctl_call(sock, req, timeout, &reply) < 0) {
		config_free(&cfg);
		return 2;
	}
	if (strncmp(reply, "error: ", 7) == 0) {
		fprintf(stderr, "levee-ctl: %s", reply);
		rc = 1;
	} else {
		fputs(reply + 3, stdout);
		rc = 0;
		if (strcmp(argv[optind], "reload") == 0)
			rc = wait_reload(sock, reply, timeout);
	}
	free(reply);
	config_free(&cfg);
	return rc;
}
