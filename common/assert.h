/* assert.h -- the two kinds of assertion (Knot Resolver's kr_require and
 * kr_fails_assert).
 *
 *   lv_require(x)        always on: when x is false, going on would corrupt
 *                        state (memory written past a buffer, a broken
 *                        invariant of shared data): log file, line and the
 *                        expression to stderr and abort().
 *   lv_fails_assert(x)   true when x is false: the caller survives the bug
 *                        (answers SERVFAIL, drops one message) and goes on;
 *                        each failure is counted (lv_assert_failures()) and
 *                        the first one is printed with file and line.
 *
 * Bad input never trips either: inputs are checked by the code's own
 * errors. Any thread; no allocation; lv_fails_assert costs one branch when
 * x holds.
 */
#ifndef LEVEE_COMMON_ASSERT_H
#define LEVEE_COMMON_ASSERT_H

#include <stdbool.h>
#include <stdint.h>

__attribute__((noreturn, cold)) void lv_require_failed(const char *expr,
							const char *file,
							int line);
__attribute__((cold)) bool lv_assert_failed(const char *expr, const char *file,
					    int line);

#define lv_require(x)                                                       \
	((x) ? (void)0 : lv_require_failed(#x, __FILE__, __LINE__))
#define lv_fails_assert(x)                                                  \
	(__builtin_expect(!(x), 0) && lv_assert_failed(#x, __FILE__, __LINE__))

/* Failed lv_fails_assert() checks since start (relaxed). Any thread. */
uint64_t lv_assert_failures(void);

#endif
