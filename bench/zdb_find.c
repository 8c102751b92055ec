/* zdb_find.c -- the zone database at hosting scale (issue 12): the time
 * to find the zone of a query name among N zones, the cost of a change of
 * the set, and the memory of the set itself.
 *
 * For each N (default 10, 10,000 and 100,000) it makes N zones: nine in
 * ten named z<i>.example, one in ten z<i>.co.example, so that the deepest
 * apex has three labels and a query at www.z<i>.example costs a miss at
 * three labels before the hit at two, as a mix of second-level and
 * public-suffix zones makes it. The zones are versions of one small zone
 * built once (zone_version_new), each given an apex node of its own
 * allocated apart (malloc, as zones are spread over the heap): the set
 * reads of a zone only its apex, and the figures are the set's, not the
 * builder's. Then:
 *   - set bytes: the heap the snapshot takes beyond its zones (mallinfo2
 *     of the C library's malloc, which this tool uses: it does not link
 *     jemalloc; freed blocks glibc keeps in its thread cache count as in
 *     use, which shows at 10 zones);
 *   - find ns: zdb_find_labels() (the query path's call, label offsets
 *     known) over 65,536 precomputed names spread over all the zones, in
 *     rounds of 1,000,000 lookups, the fastest of 9 rounds: hits
 *     (www.z<r>.example and www.z<r>.co.example) and misses
 *     (www.nx<r>.example, no zone);
 *   - change us: CHANGE_ROUNDS rounds of three changes (a zone replaced,
 *     a zone added, a zone removed), each a new snapshot beside the
 *     current one (which stays alive, as it does while readers use it):
 *     the time to make it, the trie nodes it allocated and the time to
 *     free it, medians.
 *
 * usage: zdb_find [N...]   (ZDB_FIND_ONLY=1 in the environment: no
 *                            changes, for cachegrind)
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/common.h"
#include "common/dns.h"
#include "common/name.h"
#include "zones/internal.h"
#include "zones/zdb.h"
#include "zones/zone.h"
#include "zones/zone_builder.h"

#define QNAMES 65536
#define MIN_LOOKUPS 1000000
#define FIND_ROUNDS 9
#define CHANGE_ROUNDS 201

/* 48 bytes, so that the names stream through the cache as a packet
 * would, and the set's own misses are what is timed. */
struct qname {
	uint8_t name[40];
	uint8_t offs[7];
	uint8_t labels;
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Bytes the C library's malloc holds in use (0 under jemalloc). */
static double heap_in_use(void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
	struct mallinfo2 mi = mallinfo2();

	return (double)mi.uordblks + (double)mi.hblkhd;
#else
	return 0;
#endif
}

static void apex_text(size_t i, const char *prefix, char *buf, size_t len)
{
	snprintf(buf, len, "%s%zu.%sexample", prefix, i,
		 i % 10 == 9 ? "co." : "");
}

/* A zone of apex text: SOA and NS. Dies on failure. */
static struct zone *small_zone(const char *apex)
{
	uint8_t origin[NAME_MAX_LEN], rd[128];
	char err[256];
	struct zone_builder *b;
	struct zone *z;
	int ol = common_name_wire(apex, origin, sizeof(origin));
	int nl = common_name_wire("ns.example.net", rd, sizeof(rd));

	if (ol < 0 || nl < 0 || !(b = zone_builder_new(origin)))
		common_die("small_zone");
	if (zone_builder_add(b, origin, DNS_TYPE_NS, 1, 3600, rd,
			     (uint16_t)nl, err, sizeof(err)))
		common_die(err);
	memcpy(rd + nl, rd, (size_t)nl);  /* rname: the same name */
	memset(rd + 2 * nl, 0, 20);
	rd[2 * nl + 3] = 1;               /* serial 1 */
	if (zone_builder_add(b, origin, DNS_TYPE_SOA, 1, 3600, rd,
			     (uint16_t)(2 * nl + 20), err, sizeof(err)) ||
	    zone_builder_finish(b, &z, err, sizeof(err)))
		common_die(err);
	return z;
}

/* A version of base's family whose apex is a node of its own (*apex_out,
 * the caller frees it after the zone). */
static struct zone *fake_zone(struct zone *base, const char *apex,
			      struct zone_node **apex_out)
{
	uint8_t w[NAME_MAX_LEN];
	int len = common_name_wire(apex, w, sizeof(w));
	struct zone_node *n;
	struct zone *z;

	if (len < 0 || !(n = calloc(1, ZNODE_SIZE((size_t)len))))
		common_die("fake_zone");
	memcpy(n->name, w, (size_t)len);
	n->name_len = (uint8_t)len;
	n->label_count = (uint8_t)name_label_count(w);
	z = zone_version_new(base->fam, base->gen);
	if (!z)
		common_die("zone_version_new");
	z->apex = n;
	z->soa = base->soa;
	*apex_out = n;
	return z;
}

static void qname_set(struct qname *q, const char *text)
{
	size_t o = 0;

	if (common_name_wire(text, q->name, sizeof(q->name)) < 0 ||
	    name_label_count(q->name) > 6)
		common_die("qname");
	q->labels = 0;
	while (q->name[o]) {
		q->offs[q->labels++] = (uint8_t)o;
		o += q->name[o] + 1u;
	}
	q->offs[q->labels] = (uint8_t)o;
}

/* The fastest round's ns per lookup of qs (the machine is shared: the
 * fastest is the one least disturbed); *found counts the hits of the
 * last round. */
static double find_ns(const struct zdb *db, const struct qname *qs,
		      size_t *found)
{
	double r[FIND_ROUNDS];

	for (int k = 0; k < FIND_ROUNDS; k++) {
		uint64_t t0 = common_now_ns();
		size_t hits = 0;

		for (size_t i = 0; i < MIN_LOOKUPS; i++) {
			const struct qname *q = &qs[i & (QNAMES - 1)];

			hits += zdb_find_labels(db, q->name, q->offs,
						q->labels) != NULL;
		}
		r[k] = (double)(common_now_ns() - t0) / MIN_LOOKUPS;
		*found = hits;
	}
	qsort(r, FIND_ROUNDS, sizeof(r[0]), common_cmp_double);
	return r[0];
}

static void run(size_t n)
{
	struct zone **zones = malloc(n * sizeof(*zones));
	struct zone_node **apices = calloc(n + 2 * CHANGE_ROUNDS,
					   sizeof(*apices));
	struct zone *base = small_zone("base.invalid");
	struct qname *hit = malloc(QNAMES * sizeof(*hit));
	struct qname *miss = malloc(QNAMES * sizeof(*miss));
	static double mk[3][CHANGE_ROUNDS], fr[3][CHANGE_ROUNDS];
	static double nodes[3][CHANGE_ROUNDS];
	double h0, h1, fh, fm;
	uint64_t t_load;
	struct zdb *db;
	char text[300];
	size_t hits, misses;

	if (!zones || !apices || !hit || !miss)
		common_die("malloc");
	for (size_t i = 0; i < n; i++) {
		apex_text(i, "z", text, sizeof(text));
		zones[i] = fake_zone(base, text, &apices[i]);
	}
	h0 = heap_in_use();
	t_load = common_now_ns();
	db = zdb_new();
	for (size_t i = 0; i < n; i++)
		if (!db || zdb_add(db, zones[i]) != 0)
			common_die("zdb_add");
	t_load = common_now_ns() - t_load;
	h1 = heap_in_use();
	for (size_t i = 0; i < QNAMES; i++) {
		size_t r = (size_t)(rnd() % n);

		apex_text(r, "www.z", text, sizeof(text));
		qname_set(&hit[i], text);
		apex_text(r, "www.nx", text, sizeof(text));
		qname_set(&miss[i], text);
	}
	fh = find_ns(db, hit, &hits);
	fm = find_ns(db, miss, &misses);
	if (hits != MIN_LOOKUPS || misses != 0)
		common_die("lookups found the wrong zones");

	/* One change at a time, the new snapshot beside the current one:
	 * a zone replaced, a zone added, a zone removed. */
	for (int k = 0; k < CHANGE_ROUNDS && !getenv("ZDB_FIND_ONLY"); k++) {
		uint8_t w[NAME_MAX_LEN];
		struct zdb *nd;
		uint64_t t0, t1, t2;
		size_t made;
		struct zone *z;

		for (int kind = 0; kind < 3; kind++) {
			const char *pre = kind == 1 ? "new" : "z";
			size_t apex = kind == 1 ? (size_t)k :
				      (size_t)(rnd() % n);

			apex_text(apex, pre, text, sizeof(text));
			z = NULL;
			if (kind < 2)
				z = fake_zone(base, text,
					      &apices[n + 2 * (size_t)k +
						      (size_t)kind]);
			else if (common_name_wire(text, w, sizeof(w)) < 0)
				common_die("name");
			made = zdb_nodes_made();
			t0 = common_now_ns();
			nd = kind < 2 ? zdb_with(db, z) : zdb_without(db, w);
			if (!nd)
				common_die("change");
			t1 = common_now_ns();
			nodes[kind][k] = (double)(zdb_nodes_made() - made);
			if (zdb_count(nd) != n + (kind == 1) - (kind == 2))
				common_die("change count");
			zdb_free(nd);
			t2 = common_now_ns();
			mk[kind][k] = (double)(t1 - t0) / 1e3;
			fr[kind][k] = (double)(t2 - t1) / 1e3;
		}
	}
	printf("%8zu zones  set %10.0f bytes (%6.1f a zone)  find hit %6.1f ns"
	       "  miss %6.1f ns\n", n, h1 - h0, (h1 - h0) / (double)n, fh, fm);
	for (int kind = 0; kind < 3 && !getenv("ZDB_FIND_ONLY"); kind++)
		printf("%8zu zones  %-7s %7.2f us, %4.1f nodes made;"
		       " free %7.2f us\n", n,
		       kind == 0 ? "replace" : kind == 1 ? "add" : "remove",
		       common_median(mk[kind], CHANGE_ROUNDS),
		       common_median(nodes[kind], CHANGE_ROUNDS),
		       common_median(fr[kind], CHANGE_ROUNDS));
	printf("%8zu zones  zdb_add of all %.2f ms\n", n, (double)t_load / 1e6);
	fflush(stdout);
	zdb_free(db);
	zone_unref(base);
	for (size_t i = 0; i < n + 2 * CHANGE_ROUNDS; i++)
		free(apices[i]);
	free(apices);
	free(zones);
	free(hit);
	free(miss);
}

int main(int argc, char **argv)
{
	static const size_t defaults[] = { 10, 10000, 100000 };

	if (argc > 1)
		for (int i = 1; i < argc; i++)
			run((size_t)strtoull(argv[i], NULL, 10));
	else
		for (size_t i = 0; i < 3; i++)
			run(defaults[i]);
	return 0;
}
