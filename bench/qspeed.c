/* qspeed.c -- the speed mode of the golden answers (NSD's qtest "speed").
 *
 * usage: qspeed [-r REPEATS] [-t MICROSECONDS] [FILE]
 *
 * Loads the golden-answer file (default tests/data/golden/answers.txt, see
 * tests/golden/golden.h) and runs every query straight through the engine
 * (golden_answer(), no sockets), in a loop long enough to last about -t
 * microseconds (200), -r times (7); prints the median nanoseconds per query
 * for each line of the file, then the median over the lines. The figures
 * are the engine's CPU for hot caches on this machine: compare runs of two
 * builds on the same machine, not with other machines; on a busy machine
 * take the median of several runs. Bench only: never part of a claim
 * against knotd or nsd (that is bench/compare's).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/common.h"
#include "tests/golden/golden.h"

#ifndef GOLDEN_FILE
#define GOLDEN_FILE "tests/data/golden/answers.txt"
#endif

/* Median ns per query of e over reps loops of about target_ns each. */
static double time_entry(const struct golden_file *g,
			 const struct golden_entry *e, uint8_t *resp,
			 unsigned reps, double target_ns)
{
	double v[64];
	size_t len, cap = golden_resp_cap(e);
	uint64_t t0, t1;
	unsigned n = 1;

	/* calibrate: double the loop until it lasts a tenth of the target */
	for (;;) {
		t0 = common_now_ns();
		for (unsigned i = 0; i < n; i++)
			golden_answer(g, e, resp, cap, &len);
		t1 = common_now_ns();
		if ((double)(t1 - t0) >= target_ns / 10 || n >= 1u << 24)
			break;
		n *= 2;
	}
	n = (unsigned)((double)n * target_ns / (double)(t1 - t0 + 1)) + 1;
	for (unsigned r = 0; r < reps; r++) {
		t0 = common_now_ns();
		for (unsigned i = 0; i < n; i++)
			golden_answer(g, e, resp, cap, &len);
		t1 = common_now_ns();
		v[r] = (double)(t1 - t0) / n;
	}
	return common_median(v, reps);
}

int main(int argc, char **argv)
{
	static uint8_t resp[65535];
	unsigned reps = 7;
	double target_us = 200;
	struct golden_file *g;
	char err[1024];
	int c;

	while ((c = getopt(argc, argv, "r:t:")) != -1) {
		switch (c) {
		case 'r':
			reps = (unsigned)atoi(optarg);
			break;
		case 't':
			target_us = atof(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (reps < 1 || reps > 64 || target_us <= 0 || optind + 1 < argc)
		goto usage;
	const char *path = optind < argc ? argv[optind] : GOLDEN_FILE;
	if (golden_load(path, &g, err, sizeof(err))) {
		fprintf(stderr, "qspeed: %s\n", err);
		golden_free(g);
		return 1;
	}
	double *all = calloc(g->count ? g->count : 1, sizeof(double));
	if (!all)
		common_die("calloc");
	printf("%6s %10s  %s\n", "line", "ns/query", "query");
	for (size_t i = 0; i < g->count; i++) {
		const struct golden_entry *e = &g->entries[i];
		all[i] = time_entry(g, e, resp, reps, target_us * 1000);
		printf("%6u %10.1f  %.70s%s\n", e->line, all[i], e->text,
		       strlen(e->text) > 70 ? "..." : "");
	}
	double med = g->count ? common_median(all, g->count) : 0;
	printf("QSPEED queries=%zu repeats=%u median_ns=%.1f max_ns=%.1f\n",
	       g->count, reps, med, g->count ? all[g->count - 1] : 0);
	free(all);
	golden_free(g);
	return 0;
usage:
	fprintf(stderr, "usage: qspeed [-r REPEATS] [-t MICROSECONDS] [FILE]\n");
	return 2;
}
