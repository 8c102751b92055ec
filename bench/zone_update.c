/* zone_update.c -- the cost of a small change to a large zone (issue 12).
 *
 * Loads a zone file (bench/mkzone.py's large.zone: 1,000,000 records
 * under big.test, A on every name r<i>, AAAA on every other), then makes
 * ROUNDS successive changes of it through the zone builder's change API
 * (zones/zone_update.h), each as an IXFR would bring it: the SOA serial,
 * CHANGE/2 A records removed from existing names and the rest added at new
 * names. For each change: the time from zone_update_new() to a version
 * ready to publish, and the peak memory it took above what the process
 * held before it (VmHWM reset through /proc/self/clear_refs, against
 * VmRSS before). The older version stays alive until the next one is
 * made, as an RCU swap keeps it. Prints one line per change and the
 * medians; checks every change in the new version and the old one.
 *
 * usage: zone_update ZONEFILE [ORIGIN [CHANGE [ROUNDS]]]
 *        (defaults: big.test, 100 records, 11 rounds)
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/name.h"
#include "zones/zload.h"
#include "zones/zone.h"
#include "zones/zone_update.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* VmRSS or VmHWM of this process in KiB. */
static long status_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	size_t kl = strlen(key);

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, kl) == 0 && line[kl] == ':')
			v = strtol(line + kl + 1, NULL, 10);
	fclose(f);
	return v;
}

/* Bytes the C library's malloc holds in use (0 under jemalloc, whose
 * memory glibc does not see: build with -Dmalloc=libc for this figure). */
static double heap_in_use(void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
	struct mallinfo2 mi = mallinfo2();

	return (double)mi.uordblks + (double)mi.hblkhd;
#else
	return 0;
#endif
}

static void reset_hwm(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");

	if (f) {
		fputs("5", f);
		fclose(f);
	}
}

/* "label.origin." in wire form into out; returns its length. */
static size_t wname(const char *label, const char *origin, uint8_t *out)
{
	char text[300];
	size_t o = 0;
	const char *p;

	snprintf(text, sizeof(text), "%s.%s", label, origin);
	p = text;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		out[o++] = (uint8_t)l;
		memcpy(out + o, p, l);
		o += l;
		p += l + (dot ? 1 : 0);
	}
	out[o++] = 0;
	return o;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The SOA RDATA of mkzone.py's header with serial s. */
static uint16_t soa_rdata(const char *origin, uint32_t s, uint8_t *rd)
{
	size_t o = wname("ns1", origin, rd);

	o += wname("hostmaster", origin, rd + o);
	uint32_t v[5] = { s, 7200, 3600, 1209600, 3600 };
	for (int i = 0; i < 5; i++) {
		rd[o++] = (uint8_t)(v[i] >> 24);
		rd[o++] = (uint8_t)(v[i] >> 16);
		rd[o++] = (uint8_t)(v[i] >> 8);
		rd[o++] = (uint8_t)v[i];
	}
	return (uint16_t)o;
}

int main(int argc, char **argv)
{
	const char *file = argc > 1 ? argv[1] : NULL;
	const char *origin = argc > 2 ? argv[2] : "big.test";
	int change = argc > 3 ? atoi(argv[3]) : 100;
	int rounds = argc > 4 ? atoi(argv[4]) : 11;
	double times[256], peaks[256], kept[256];
	struct zone *z = NULL, *prev = NULL;
	char err[512];
	uint8_t owner[256], rd[512], apex[256];
	int bad = 0;

	if (!file || change < 2 || rounds < 1 || rounds > 256) {
		fprintf(stderr, "usage: zone_update ZONEFILE [ORIGIN [CHANGE "
			"[ROUNDS]]]\n");
		return 2;
	}
	double t0 = now_s();
	if (zload_file(origin, file, &z, err, sizeof(err))) {
		fprintf(stderr, "zone_update: %s\n", err);
		return 1;
	}
	double load = now_s() - t0;
	long rss0 = status_kb("VmRSS"), hwm0 = status_kb("VmHWM");
	size_t recs = zone_record_count(z);

	printf("zone %s: %zu records, %zu names; load %.2f s, VmRSS %.1f MB "
	       "(VmHWM of the load %.1f MB)\n", origin, recs,
	       zone_node_count(z), load, rss0 / 1024.0, hwm0 / 1024.0);
	wname("@", origin, apex);
	memmove(apex, apex + 2, sizeof(apex) - 2); /* drop the "@" label */
	for (int r = 0; r < rounds; r++) {
		struct zone_update *u;
		struct zone *nz = NULL;
		uint32_t serial = zone_serial(z);
		int rem = change / 2, add = change - rem - 1, rc;
		long rss = status_kb("VmRSS");
		double heap = heap_in_use();

		reset_hwm();
		t0 = now_s();
		rc = zone_update_new(z, &u);
		uint16_t l = soa_rdata(origin, serial, rd);
		rc = rc ? rc : zone_update_remove(u, apex, 6, 1, rd, l, err,
						  sizeof(err));
		l = soa_rdata(origin, serial + 1, rd);
		rc = rc ? rc : zone_update_add(u, apex, 6, 1, 3600, rd, l, err,
					       sizeof(err));
		for (int k = 0; k < rem && !rc; k++) {
			/* r<i> A 10.(i>>16).(i>>8).i, spread over the zone */
			unsigned i = (unsigned)(r * rem + k) * 4999u % 600000u;
			char lab[32];
			uint8_t a[4] = { 10, (uint8_t)(i >> 16), (uint8_t)(i >> 8),
					 (uint8_t)i };

			snprintf(lab, sizeof(lab), "r%u", i);
			wname(lab, origin, owner);
			rc = zone_update_remove(u, owner, 1, 1, a, 4, err,
						sizeof(err));
		}
		for (int k = 0; k < add && !rc; k++) {
			char lab[32];
			uint8_t a[4] = { 10, 200, (uint8_t)r, (uint8_t)k };

			snprintf(lab, sizeof(lab), "new%d-%d", r, k);
			wname(lab, origin, owner);
			rc = zone_update_add(u, owner, 1, 1, 3600, a, 4, err,
					     sizeof(err));
		}
		rc = rc ? rc : zone_update_finish(u, &nz, err, sizeof(err));
		times[r] = now_s() - t0;
		if (rc) {
			fprintf(stderr, "zone_update: change %d: %s\n", r, err);
			return 1;
		}
		peaks[r] = (double)(status_kb("VmHWM") - rss) * 100.0 / rss0;
		kept[r] = (heap_in_use() - heap) * 100.0 / (rss0 * 1024.0);
		/* the change is there in the new version, not in the old */
		snprintf((char *)rd, sizeof(rd), "new%d-0", r);
		size_t nl = wname((char *)rd, origin, owner);
		if (!zone_find(nz, owner, nl) || zone_find(z, owner, nl) ||
		    zone_serial(nz) != serial + 1 || zone_serial(z) != serial ||
		    zone_record_count(nz) != zone_record_count(z) + add - rem)
			bad++;
		printf("change %2d: %d records, %.2f ms, peak RSS +%.2f%%, heap "
		       "held by the new version +%.3f%% of the zone's RSS\n", r,
		       change, times[r] * 1e3, peaks[r], kept[r]);
		if (prev)
			zone_free(prev);  /* after its grace period */
		prev = z;
		z = nz;
	}
	qsort(times, (size_t)rounds, sizeof(double), cmp_d);
	qsort(peaks, (size_t)rounds, sizeof(double), cmp_d);
	qsort(kept, (size_t)rounds, sizeof(double), cmp_d);
	printf("median of %d changes of %d records: %.2f ms (a full load: "
	       "%.0f ms), peak RSS +%.2f%% (worst +%.2f%%), heap held by the "
	       "new version +%.3f%% (worst +%.3f%%)%s\n", rounds,
	       change, times[rounds / 2] * 1e3, load * 1e3, peaks[rounds / 2],
	       peaks[rounds - 1], kept[rounds / 2], kept[rounds - 1],
	       bad ? "; CHECKS FAILED" : "");
	zone_free(prev);
	zone_free(z);
	return bad ? 1 : 0;
}
