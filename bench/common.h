/* common.h -- small helpers shared by the single-file bench tools.
 *
 * The bench tools (flood.c, lvload.c, qspeed.c, adversarial.c) are each
 * built from one file
 * (bench/meson.build, under the server's warnings), so this header holds
 * only static inline functions and needs no separate object. A tool that wants a different exit status from common_die()
 * defines COMMON_DIE_STATUS before including it (default 1).
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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

/* A name in presentation form ("www.example.com", "." for the root; no
 * escapes) to wire form in out (cap bytes). Returns its length or -1 for
 * an empty or 64-octet label or a name over 255 octets. */
static inline int common_name_wire(const char *s, uint8_t *out, size_t cap)
{
	size_t o = 0;

	if (strcmp(s, ".") == 0) {
		out[0] = 0;
		return 1;
	}
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);

		if (l == 0 || l > 63 || o + l + 2 > cap)
			return -1;
		out[o++] = (uint8_t)l;
		memcpy(out + o, s, l);
		o += l;
		s += l;
		if (*s == '.')
			s++;
	}
	out[o++] = 0;
	return o > 255 ? -1 : (int)o;
}

/* The code of a type mnemonic the bench query files use, or TYPEnnn;
 * -1 when unknown. */
static inline int common_type_code(const char *t)
{
	static const struct { const char *n; int v; } tab[] = {
		{ "A", 1 }, { "NS", 2 }, { "CNAME", 5 }, { "SOA", 6 },
		{ "PTR", 12 }, { "MX", 15 }, { "TXT", 16 }, { "RP", 17 },
		{ "AAAA", 28 }, { "SRV", 33 }, { "DS", 43 }, { "DNSKEY", 48 },
		{ "ANY", 255 },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcasecmp(t, tab[i].n) == 0)
			return tab[i].v;
	if (strncasecmp(t, "TYPE", 4) == 0)
		return atoi(t + 4);
	return -1;
}

static inline int common_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of v[0..n) (n > 0); sorts v. */
static inline double common_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), common_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif /* BENCH_COMMON_H */
