/* assert.c -- the failure paths of lv_require and lv_fails_assert.
 *
 * Both print with one write(2) to stderr (a line of at most 512 bytes);
 * lv_fails_assert prints only its first failure, so a bug on the query
 * path cannot turn into a log flood, and counts every one in a relaxed
 * atomic.
 */
#include "common/assert.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static uint64_t assert_failures;

static void assert_print(const char *what, const char *expr, const char *file,
			 int line)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "levee: %s: %s:%d: %s\n", what,
			 file, line, expr);

	if (n > 0 && write(STDERR_FILENO, buf,
			   (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1) < 0)
		return;
}

void lv_require_failed(const char *expr, const char *file, int line)
{
	assert_print("requirement failed", expr, file, line);
	abort();
}

bool lv_assert_failed(const char *expr, const char *file, int line)
{
	if (__atomic_fetch_add(&assert_failures, 1, __ATOMIC_RELAXED) == 0)
		assert_print("assertion failed (going on)", expr, file, line);
	return true;
}

uint64_t lv_assert_failures(void)
{
	return __atomic_load_n(&assert_failures, __ATOMIC_RELAXED);
}
