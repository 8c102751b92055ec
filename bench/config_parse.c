/* config_parse.c -- the time and peak memory of reading one configuration.
 *
 * Usage: config_parse FILE [ROUNDS]
 * Reads FILE with config_load() ROUNDS times (default 1; each into a
 * fresh config, released before the next) and prints one line:
 *     zones 100000 parse_s 0.281 (best of 3) maxrss_kb 18092
 * maxrss_kb is the process's peak RSS (getrusage), harness included
 * (about 1.5 MB), so it bounds what one config_load of FILE holds at
 * once. Exit status 1 when the file is refused (the error on stderr).
 * Issue 12: a 100,000-zone file (bench/mkmany.py conf levee ...) must
 * parse in time and memory linear in the file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "server/config.h"
#include "server/log.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double best = 0;
	size_t zones = 0;
	struct rusage ru;
	int rounds = argc > 2 ? atoi(argv[2]) : 1;

	if (argc < 2 || rounds < 1) {
		fprintf(stderr, "usage: config_parse FILE [ROUNDS]\n");
		return 2;
	}
	log_init(LOG_LEVEL_ERROR, false);
	for (int r = 0; r < rounds; r++) {
		struct config cfg;
		char err[512];
		double t0 = now_s(), t;
		int rc;

		config_init(&cfg);
		rc = config_load(&cfg, argv[1], err, sizeof(err));
		t = now_s() - t0;
		zones = cfg.zone_count;
		config_free(&cfg);
		if (rc) {
			fprintf(stderr, "config_parse: %s\n", err);
			return 1;
		}
		if (r == 0 || t < best)
			best = t;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("zones %zu parse_s %.3f (best of %d) maxrss_kb %ld\n", zones,
	       best, rounds, ru.ru_maxrss);
	return 0;
}
