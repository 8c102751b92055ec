/* ctl.h -- the control socket: one request and one reply per connection.
 *
 * A Unix stream socket on the main loop (levee-ctl is its client). The
 * protocol, all of it:
 *
 *   request  one line of at most CTL_REQUEST_MAX bytes ending in "\n":
 *            words of printable ASCII separated by single spaces (the
 *            command, then its arguments)
 *   reply    "ok\n" followed by the command's output, or "error: REASON\n";
 *            the server then closes the connection
 *
 * Bounds (a local user who can reach the socket is still not trusted to
 * hold the server): at most CTL_CONNS_MAX connections at once (more are
 * closed at accept), a request must be complete within CTL_REQUEST_MS of
 * the accept, a request longer than CTL_REQUEST_MAX or with a byte that is
 * not printable ASCII is answered "error: ..." and closed. A reply is
 * written with back-pressure and its connection is closed after
 * CTL_REPLY_MS whether or not the client read it.
 *
 * The socket is made owner-only (mode 0600) unless configured otherwise;
 * a stale socket file at the path is replaced, anything else there is an
 * error. Main thread only.
 */
#ifndef LEVEE_SERVER_CTL_H
#define LEVEE_SERVER_CTL_H

#include <stddef.h>
#include <sys/types.h>
#include <uv.h>

#define CTL_REQUEST_MAX 4096
#define CTL_CONNS_MAX 16
#define CTL_REQUEST_MS 5000
#define CTL_REPLY_MS 30000
#define CTL_ARGS_MAX 256

/* A reply being built: ctl_reply_printf appends to the output; ctl_error
 * turns the whole reply into "error: ...". */
struct ctl_reply;

void ctl_reply_printf(struct ctl_reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ctl_error(struct ctl_reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Runs fn(arg) on the main loop once the reply is written (or the client
 * has gone): for a command whose effect would cut the reply off, as stop.
 * One per reply. */
void ctl_reply_then(struct ctl_reply *r, void (*fn)(void *), void *arg);

/* Handles one request: argv[0] the command, argc >= 1 words. Writes the
 * reply through r. Main thread. */
typedef void (*ctl_handler)(void *arg, int argc, char **argv,
			    struct ctl_reply *r);

struct ctl;

/* Listens on path (mode: file permissions, e.g. 0600) on loop. Returns 0
 * with *out, or a negative errno with the reason in err. */
int ctl_start(uv_loop_t *loop, const char *path, mode_t mode,
	      ctl_handler handler, void *arg, struct ctl **out,
	      char *err, size_t errlen);

/* Stops listening, closes every connection, removes the socket file. The
 * handles close on the loop's next iteration; ctl is freed then. NULL
 * accepted. */
void ctl_stop(struct ctl *c);

/* Splits a request line into words (in place). Returns the count, 0 for
 * an empty line, or -1 when a byte is not printable ASCII or there are more
 * than max words. Exposed for the unit test and the fuzz target. */
int ctl_split(char *line, char **argv, int max);

#endif
