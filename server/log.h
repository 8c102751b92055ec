/* log.h -- levelled log lines to stderr and, optionally, syslog.
 *
 * One line per call, written with a single write(2) so lines from several
 * threads never interleave. Each line starts with a timestamp and the level:
 *     2024-05-01T12:00:00.123Z info: levee 0.1.0 ready: ...
 * log_init() is called by main before any thread starts; after that every
 * function here may be called from any thread (the level is read relaxed).
 * Nothing here is meant for the query path: logging a query is a bug.
 *
 * Two ways out. A thread that must never wait on its log (a reactor: a
 * stalled stderr, a full pipe nobody reads, must not stall answering) calls
 * log_thread_queued() once; from then on its lines go into one bounded
 * lock-free queue that the log thread (log_queue_start) writes, and a line
 * that finds the queue full is dropped and counted (log_dropped, shown on
 * SIGUSR1). Every other thread (main, the zone loader) writes its lines
 * itself, synchronously, as before.
 */
#ifndef LEVEE_SERVER_LOG_H
#define LEVEE_SERVER_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARNING = 1,
	LOG_LEVEL_INFO = 2,
	LOG_LEVEL_DEBUG = 3,
};

/* Lines the queue holds; a queued line beyond them is dropped. At most 10
 * reactor lines a second are expected (RRL start/stop lines are budgeted,
 * attack mode changes are rare), so this is several seconds of a stalled
 * writer. */
#define LOG_QUEUE_LINES 64

/* Sets the threshold (lines above it are skipped) and opens syslog when
 * use_syslog. Main only, may be called again after the config is read. */
void log_init(enum log_level level, bool use_syslog);

/* JSON lines on stderr instead of text (server: log-format: json): each
 * line one object {"time":"...Z","level":"info","msg":"..."}, the message
 * escaped (quote, backslash, control bytes as \u00XX; a line cut at the
 * buffer stays valid JSON). syslog still gets the message alone. Main
 * only, before any thread logs. */
void log_set_json(bool on);

/* Closes syslog if it was opened. Main only, at exit, after
 * log_queue_stop(). */
void log_close(void);

/* Level for a name ("error", "warning", "info", "debug"); -1 if unknown. */
int log_level_parse(const char *name);

/* Writes one line at level. Any thread: synchronously (one write(2), and
 * syslog(3) when on), or through the queue on a thread that called
 * log_thread_queued() (no lock, no allocation, no blocking; at most one
 * non-blocking eventfd write to wake the log thread). */
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

/* Marks the calling thread as one whose lines are queued, never written by
 * itself. Call it first thing on the thread (reactor_main does). */
void log_thread_queued(void);

/* Starts the log thread, which writes queued lines (one write(2) each, and
 * syslog(3) when on; it may block there, nobody waits for it). Lines queued
 * before it starts are written then. Returns 0 or a negative errno (libuv
 * code). Main only, once, before any queued thread starts; the log thread
 * blocks every signal. */
int log_queue_start(void);

/* Writes what is queued and joins the log thread; lines queued later are
 * written by the next log_queue_start() or dropped. Main only, after every
 * queued thread stopped. Blocks while the writer is blocked (a stalled
 * stderr stalls main's own lines the same way). Idempotent. */
void log_queue_stop(void);

/* Queued lines dropped because the queue was full, since the start.
 * Any thread (relaxed). */
uint64_t log_dropped(void);

#endif
