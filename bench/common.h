/* common.h -- small helpers shared by the single-file bench tools.
 *
 * The bench tools (flood.c, lvload.c) are each built from one file
 * (bench/meson.build, under the server's warnings), so this header holds
 * only static inline functions and needs no separate object. A tool that wants a different exit status from common_die()
 * defines COMMON_DIE_STATUS before including it (default 1).
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifndef COMMON_DIE_STATUS
#define COMMON_DIE_STATUS 1
#endif

/* Monotonic clock in nanoseconds. */
static inline uint64_t common_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* perror(what), then exit with COMMON_DIE_STATUS. */
static inline void common_die(const char *what)
{
	perror(what);
	exit(COMMON_DIE_STATUS);
}

#endif /* BENCH_COMMON_H */
