/* log.c -- levelled log lines to stderr and syslog.
 *
 * The line is formatted into a stack buffer (lines longer than 1 KiB are cut)
 * and written with one write(2) to stderr, which the kernel keeps whole for
 * a pipe or a terminal, so concurrent threads need no lock. The threshold and
 * the syslog switch are plain ints read with relaxed atomics: main sets them
 * before the reactors start.
 */
#include "server/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static int log_threshold = LOG_LEVEL_INFO;
static int log_syslog;

static const char *const log_names[] = { "error", "warning", "info", "debug" };

void log_init(enum log_level level, bool use_syslog)
{
	__atomic_store_n(&log_threshold, (int)level, __ATOMIC_RELAXED);
	if (use_syslog && !__atomic_load_n(&log_syslog, __ATOMIC_RELAXED))
		openlog("levee", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else if (!use_syslog && __atomic_load_n(&log_syslog, __ATOMIC_RELAXED))
		closelog();
	__atomic_store_n(&log_syslog, use_syslog ? 1 : 0, __ATOMIC_RELAXED);
}

void log_close(void)
{
	if (__atomic_load_n(&log_syslog, __ATOMIC_RELAXED))
		closelog();
	__atomic_store_n(&log_syslog, 0, __ATOMIC_RELAXED);
}

int log_level_parse(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (strcasecmp(name, log_names[i]) == 0)
			return i;
	if (strcasecmp(name, "warn") == 0)
		return LOG_LEVEL_WARNING;
	return -1;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char line[1024];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	size_t head, len;
	int n;

	if ((int)level > __atomic_load_n(&log_threshold, __ATOMIC_RELAXED))
		return;
	if ((unsigned)level > LOG_LEVEL_DEBUG)
		level = LOG_LEVEL_DEBUG;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	head = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line + head, sizeof(line) - head, ".%03ldZ %s: ",
		     ts.tv_nsec / 1000000, log_names[level]);
	if (n < 0)
		return;
	head += (size_t)n;
	va_start(ap, fmt);
	n = vsnprintf(line + head, sizeof(line) - head - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	len = head + (size_t)n;
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	if (__atomic_load_n(&log_syslog, __ATOMIC_RELAXED)) {
		line[len] = '\0';
		syslog(prio[level], "%s", line + head);
	}
	line[len++] = '\n';
	/* One write; a short write on stderr is not worth retrying. */
	if (write(STDERR_FILENO, line, len) < 0)
		return;
}
