/* zone_mem.c -- the memory of many small zones (issue 12).
 *
 * Loads the first N zones of a list (bench/mkmany.py's zones.list: one
 * "NAME<TAB>FILE<TAB>..." a line) one after the other through the zone
 * file loader, as the server does at start, and keeps them all. Prints
 * the bytes the zones hold by their own count (zone_memory_bytes(), as
 * asked of the allocator) and by the process (VmRSS after less before,
 * and VmHWM), each per zone, the load time and the CPU time of the load
 * (user and system, every thread: steadier than the time on a shared
 * machine). Built with the server's
 * allocator (jemalloc unless -Dmalloc=libc), so the resident figures are
 * the server's.
 *
 * usage: zone_mem LIST [N]   (default: every zone of LIST, at most 1,000,000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#include "zones/zload.h"
#include "zones/zone.h"

#define ZONE_MEM_MAX 1000000

/* User and system CPU seconds of the process, every thread. */
static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* VmRSS or VmHWM of this process in KiB, or -1. */
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

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : ZONE_MEM_MAX;
	struct zone **zones;
	char line[4096], err[512];
	size_t bytes = 0, records = 0;
	long count = 0, rss0, rss1, hwm;
	double t0, t, c0, c;
	FILE *list;

	if (argc < 2 || n < 1 || n > ZONE_MEM_MAX) {
		fprintf(stderr, "usage: zone_mem LIST [N]\n");
		return 2;
	}
	list = fopen(argv[1], "r");
	zones = calloc((size_t)n, sizeof(*zones));
	if (!list || !zones) {
		fprintf(stderr, "zone_mem: cannot open %s\n", argv[1]);
		return 1;
	}
	rss0 = status_kb("VmRSS");
	c0 = cpu_s();
	t0 = now_s();
	while (count < n && fgets(line, sizeof(line), list)) {
		char *name = strtok(line, "\t\n"), *file = strtok(NULL, "\t\n");

		if (!name || !file)
			continue;
		if (zload_file(name, file, &zones[count], err, sizeof(err))) {
			fprintf(stderr, "zone_mem: %s\n", err);
			return 1;
		}
		count++;
	}
	t = now_s() - t0;
	c = cpu_s() - c0;
	rss1 = status_kb("VmRSS");
	hwm = status_kb("VmHWM");
	fclose(list);
	for (long i = 0; i < count; i++) {
		bytes += zone_memory_bytes(zones[i]);
		records += zone_record_count(zones[i]);
	}
	if (count == 0) {
		fprintf(stderr, "zone_mem: no zone in %s\n", argv[1]);
		return 1;
	}
	printf("ZONE_MEM zones=%ld records=%zu load_s=%.3f cpu_s=%.3f "
	       "zone_bytes_per_zone=%.0f rss_bytes_per_zone=%.0f "
	       "vmrss_kb=%ld vmhwm_kb=%ld\n", count, records, t, c,
	       (double)bytes / (double)count,
	       (double)(rss1 - rss0) * 1024.0 / (double)count, rss1, hwm);
	for (long i = 0; i < count; i++)
		zone_free(zones[i]);
	free(zones);
	return 0;
}
