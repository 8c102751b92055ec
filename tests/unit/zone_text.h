/* zone_text.h -- a zone for a unit test from the text of its records.
 *
 * unit_zone() writes "$ORIGIN origin", a TTL, the apex SOA and NS (both
 * naming ns.origin) and then body into a temporary file, loads it with
 * zload_file and removes the file. Returns the zone, or NULL (the loader's
 * message on stderr). Header only, for the suites that judge names
 * against small zones (test_exist_set.c, test_exist_filter.c,
 * test_exist_guard.c).
 */
#ifndef LEVEE_TESTS_ZONE_TEXT_H
#define LEVEE_TESTS_ZONE_TEXT_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "zones/zload.h"
#include "zones/zone.h"

static inline struct zone *unit_zone(const char *origin, const char *body)
{
	char path[] = "/tmp/levee-unit-zone-XXXXXX", err[256];
	int fd = mkstemp(path);
	FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;
	struct zone *z = NULL;

	if (!fp) {
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		return NULL;
	}
	fprintf(fp, "$ORIGIN %s\n$TTL 60\n"
		"@ SOA ns.%s h.%s 1 3600 600 86400 60\n@ NS ns.%s\n",
		origin, origin, origin, origin);
	fputs(body, fp);
	fclose(fp);
	if (zload_file(origin, path, &z, err, sizeof(err)) < 0) {
		fprintf(stderr, "zload: %s\n", err);
		z = NULL;
	}
	unlink(path);
	return z;
}

#endif
