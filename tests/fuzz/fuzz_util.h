/* fuzz_util.h -- small helpers shared by the fuzz targets.
 *
 * Header-only (static inline), so each target stays one source file plus
 * replay.c in tests/fuzz/meson.build. Failures abort(): a fuzz target has no
 * one to report an error to, and an abort is what libFuzzer and the replay
 * driver both notice.
 */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Replace the file at path with the size bytes at data; aborts on any
 * error. */
static inline void fuzz_util_write(const char *path, const uint8_t *data,
				   size_t size)
{
	FILE *f = fopen(path, "w");

	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	if (fclose(f) != 0)
		abort();
}

#endif /* FUZZ_UTIL_H */
