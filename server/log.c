/* log.c -- levelled log lines to stderr and syslog; a queue for reactors.
 *
 * A line is formatted into a buffer of LOG_LINE_MAX bytes (longer lines are
 * cut) and written with one write(2) to stderr, which the kernel keeps whole
 * for a pipe or a terminal, so concurrent writers need no lock. The
 * threshold and the syslog switch are plain ints read with relaxed atomics:
 * main sets them before the reactors start.
 *
 * Threads marked with log_thread_queued() (the reactors) never write: they
 * format straight into a slot of one bounded multi-producer ring and the
 * log thread writes the slot. The ring is Rigtorp's bounded MPMC queue cut
 * down to one consumer: each slot carries a turn, 2 * lap when free for the
 * lap's producer and 2 * lap + 1 when it holds that lap's line, so a
 * producer claims position `pos` with one compare-and-swap on the head when
 * the slot's turn is 2 * (pos / N), fills it and publishes with a release
 * store of the turn; the consumer reads it with an acquire load, writes it
 * and hands the slot to the next lap. A producer that finds the slot still
 * holding the previous lap's line (the ring is full) drops its line and
 * counts it. No producer ever waits for the consumer or for another
 * producer (a failed CAS means another producer progressed), and the turns
 * start at 0, so the ring needs no initialisation: lines queued before the
 * log thread starts wait for it.
 *
 * The log thread runs its own uv loop with one async handle: a producer
 * sends it after publishing (uv_async_send coalesces, so a burst costs at
 * most one non-blocking eventfd write), the thread drains the ring. It may
 * block in write(2) on a stalled stderr for as long as stderr stays stalled;
 * the reactors only see the ring fill and their lines dropped.
 */
#include "server/log.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "server/sigmask.h"

#define LOG_LINE_MAX 2048   /* the SIGUSR1 total line: ~1,200 bytes */

static int log_threshold = LOG_LEVEL_INFO;
static int log_syslog;
static int log_json;

static const char *const log_names[] = { "error", "warning", "info", "debug" };
static const int log_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

struct log_slot {
	_Atomic size_t turn;        /* see the header comment */
	unsigned short len;         /* line[0..len) ends with '\n' */
	unsigned short head;        /* the message starts at line[head] */
	unsigned char level;
	char line[LOG_LINE_MAX];
};

static struct log_slot log_ring[LOG_QUEUE_LINES];
static _Atomic size_t log_head;          /* next position to claim */
static size_t log_tail;                  /* next to write: log thread (or
					    main once it is joined) only */
static _Atomic uint64_t log_drops;
static _Thread_local bool log_queued;    /* this thread never writes */

static uv_loop_t log_loop;
static uv_async_t log_wake;
static uv_thread_t log_tid;
static atomic_bool log_running;          /* log_wake may be sent */
static atomic_bool log_stopping;         /* the thread should end */

void log_init(enum log_level level, bool use_syslog)
{
	__atomic_store_n(&log_threshold, (int)level, __ATOMIC_RELAXED);
	if (use_syslog && !__atomic_load_n(&log_syslog, __ATOMIC_RELAXED))
		openlog("levee", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else if (!use_syslog && __atomic_load_n(&log_syslog, __ATOMIC_RELAXED))
		closelog();
	__atomic_store_n(&log_syslog, use_syslog ? 1 : 0, __ATOMIC_RELAXED);
}

void log_set_json(bool on)
{
	__atomic_store_n(&log_json, on ? 1 : 0, __ATOMIC_RELAXED);
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

/* Formats "TIME LEVEL: message\n" into line (LOG_LINE_MAX bytes); returns
 * its length with the newline, and in *head where the message starts. */
static size_t log_format(char *line, enum log_level level, size_t *head,
			 const char *fmt, va_list ap)
{
	struct timespec ts;
	struct tm tm;
	size_t h, len;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	h = strftime(line, LOG_LINE_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line + h, LOG_LINE_MAX - h, ".%03ldZ %s: ",
		     ts.tv_nsec / 1000000, log_names[level]);
	if (n < 0)
		n = 0;
	h += (size_t)n;
	if (h > LOG_LINE_MAX - 2)
		h = LOG_LINE_MAX - 2;
	n = vsnprintf(line + h, LOG_LINE_MAX - h - 1, fmt, ap);
	if (n < 0)
		n = 0;
	len = h + (size_t)n;
	if (len > LOG_LINE_MAX - 2)
		len = LOG_LINE_MAX - 2;
	line[len++] = '\n';
	*head = h;
	return len;
}

/* The JSON form of a text line (log_set_json) into out (cap bytes, at
 * least 128): the time is the line's first 24 bytes, the message
 * line[head..len-1). Escapes what JSON must, and every byte from 0x7f
 * (a zone file's bytes in an error: the line stays valid UTF-8); cut
 * where the rest would not fit, the object always closed. Returns its length
 * with the newline. O(len). */
static size_t log_to_json(char *out, size_t cap, enum log_level level,
			  const char *line, size_t head, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o;
	int n = snprintf(out, cap, "{\"time\":\"%.24s\",\"level\":\"%s\","
			 "\"msg\":\"", line, log_names[level]);

	o = n > 0 ? (size_t)n : 0;
	for (size_t i = head; i + 1 < len && o + 10 < cap; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {   /* bytes of a file */
			memcpy(out + o, "\\u00", 4);
			out[o + 4] = hex[c >> 4];
			out[o + 5] = hex[c & 15];
			o += 6;
		} else {
			out[o++] = (char)c;
		}
	}
	memcpy(out + o, "\"}\n", 3);
	return o + 3;
}

/* Writes a finished line: syslog first (the message alone), then stderr in
 * one write(2), as text or JSON. A short write on stderr is not worth
 * retrying. The log thread (a reactor's queued line) or the thread that
 * logged (main, loaders: never a reactor). */
static void log_emit(enum log_level level, const char *line, size_t head,
		     size_t len)
{
	char js[LOG_LINE_MAX + 256];

	if (__atomic_load_n(&log_syslog, __ATOMIC_RELAXED))
		syslog(log_prio[level], "%.*s", (int)(len - 1 - head),
		       line + head);
	if (__atomic_load_n(&log_json, __ATOMIC_RELAXED)) {
		size_t n = log_to_json(js, sizeof(js), level, line, head, len);

		if (write(STDERR_FILENO, js, n) < 0)
			return;
		return;
	}
	if (write(STDERR_FILENO, line, len) < 0)
		return;
}

/* Claims a free slot; NULL when the ring is full (Rigtorp's try_push). */
static struct log_slot *log_claim(size_t *pos_out)
{
	size_t pos = atomic_load_explicit(&log_head, memory_order_relaxed);

	for (;;) {
		struct log_slot *s = &log_ring[pos % LOG_QUEUE_LINES];
		size_t want = pos / LOG_QUEUE_LINES * 2;
		size_t turn = atomic_load_explicit(&s->turn,
						   memory_order_acquire);

		if (turn == want) {
			if (atomic_compare_exchange_weak_explicit(&log_head,
				    &pos, pos + 1, memory_order_relaxed,
				    memory_order_relaxed)) {
				*pos_out = pos;
				return s;
			}
			/* pos now holds the head another producer moved */
		} else {
			size_t prev = pos;

			pos = atomic_load_explicit(&log_head,
						   memory_order_relaxed);
			if (pos == prev && turn < want)
				return NULL;   /* the previous lap's line */
		}
	}
}

static void log_enqueue(enum log_level level, const char *fmt, va_list ap)
{
	struct log_slot *s;
	size_t pos, head, len;

	s = log_claim(&pos);
	if (!s) {
		atomic_fetch_add_explicit(&log_drops, 1, memory_order_relaxed);
		return;
	}
	len = log_format(s->line, level, &head, fmt, ap);
	s->len = (unsigned short)len;
	s->head = (unsigned short)head;
	s->level = (unsigned char)level;
	atomic_store_explicit(&s->turn, pos / LOG_QUEUE_LINES * 2 + 1,
			      memory_order_release);
	if (atomic_load_explicit(&log_running, memory_order_acquire))
		uv_async_send(&log_wake);
}

/* Writes every published line, in order; stops at the first slot not yet
 * published. The single consumer: the log thread, or main without it. */
static void log_drain(void)
{
	for (;;) {
		struct log_slot *s = &log_ring[log_tail % LOG_QUEUE_LINES];
		size_t want = log_tail / LOG_QUEUE_LINES * 2 + 1;

		if (atomic_load_explicit(&s->turn, memory_order_acquire) !=
		    want)
			return;
		log_emit((enum log_level)s->level, s->line, s->head, s->len);
		atomic_store_explicit(&s->turn, want + 1,
				      memory_order_release);
		log_tail++;
	}
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	va_list ap;
	size_t head, len;

	if ((int)level > __atomic_load_n(&log_threshold, __ATOMIC_RELAXED))
		return;
	if ((unsigned)level > LOG_LEVEL_DEBUG)
		level = LOG_LEVEL_DEBUG;
	va_start(ap, fmt);
	if (log_queued) {
		log_enqueue(level, fmt, ap);
		va_end(ap);
		return;
	}
	len = log_format(line, level, &head, fmt, ap);
	va_end(ap);
	log_emit(level, line, head, len);
}

void log_thread_queued(void)
{
	log_queued = true;
}

uint64_t log_dropped(void)
{
	return atomic_load_explicit(&log_drops, memory_order_relaxed);
}

static void log_on_wake(uv_async_t *a)
{
	log_drain();
	if (atomic_load_explicit(&log_stopping, memory_order_acquire))
		uv_close((uv_handle_t *)a, NULL);
}

static void log_thread_main(void *arg)
{
	(void)arg;
	log_drain();   /* what was queued before the start */
	uv_run(&log_loop, UV_RUN_DEFAULT);
}

int log_queue_start(void)
{
	sigset_t old;
	int rc;

	if (atomic_load_explicit(&log_running, memory_order_relaxed))
		return 0;
	rc = uv_loop_init(&log_loop);
	if (rc < 0)
		return rc;
	rc = uv_async_init(&log_loop, &log_wake, log_on_wake);
	if (rc < 0) {
		uv_loop_close(&log_loop);
		return rc;
	}
	atomic_store_explicit(&log_stopping, false, memory_order_relaxed);
	/* The thread inherits a mask blocking every signal: main handles
	 * them, and no signal interrupts a write. */
	sigmask_block_all(&old);
	rc = uv_thread_create(&log_tid, log_thread_main, NULL);
	sigmask_restore(&old);
	if (rc < 0) {
		uv_close((uv_handle_t *)&log_wake, NULL);
		uv_run(&log_loop, UV_RUN_DEFAULT);
		uv_loop_close(&log_loop);
		return rc;
	}
	atomic_store_explicit(&log_running, true, memory_order_release);
	return 0;
}

void log_queue_stop(void)
{
	if (!atomic_load_explicit(&log_running, memory_order_relaxed))
		return;
	atomic_store_explicit(&log_stopping, true, memory_order_release);
	uv_async_send(&log_wake);
	uv_thread_join(&log_tid);
	atomic_store_explicit(&log_running, false, memory_order_relaxed);
	uv_loop_close(&log_loop);
	log_drain();   /* anything published after the thread's last look */
}
