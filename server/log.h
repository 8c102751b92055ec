/* log.h -- levelled log lines to stderr and, optionally, syslog.
 *
 * One line per call, written with a single write(2) so lines from several
 * threads never interleave. Each line starts with a timestamp and the level:
 *     2024-05-01T12:00:00.123Z info: levee 0.1.0 ready: ...
 * log_init() is called by main before any thread starts; after that every
 * function here may be called from any thread (the level is read relaxed).
 * Nothing here is meant for the query path: logging a query is a bug.
 */
#ifndef LEVEE_SERVER_LOG_H
#define LEVEE_SERVER_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARNING = 1,
	LOG_LEVEL_INFO = 2,
	LOG_LEVEL_DEBUG = 3,
};

/* Sets the threshold (lines above it are skipped) and opens syslog when
 * use_syslog. Main only, may be called again after the config is read. */
void log_init(enum log_level level, bool use_syslog);

/* Closes syslog if it was opened. Main only, at exit. */
void log_close(void);

/* Level for a name ("error", "warning", "info", "debug"); -1 if unknown. */
int log_level_parse(const char *name);

/* Writes one line at level. Any thread. */
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
