/* adversarial.c -- the engine CPU of the worst queries, against the median
 * query of the bench query mix (issue 11, "Tests and bench").
 *
 * No sockets: the zones are loaded into one snapshot (zload.h, zdb.h) and
 * every query runs straight through the engine (answer.h) in adv_answer(),
 * the only call into it. The queries are the table below: 255-octet qnames
 * of one-octet labels under a DNAME, a chain of DNAMEs, CNAME chains of
 * long names, wildcards, ANY, the largest RRsets, names that miss the
 * compression table only in their last octet, many additional records,
 * many NS and glue, long names in RDATA, and the cheap error cases, over
 * UDP (EDNS 1232, as lvload sends) and TCP. Their data is
 * bench/adversarial.zone (bench/mkadv.py). The mix is the first -n lines
 * of a query file in lvload's format (bench/mkzone.py's small.queries, over
 * its small.zone: what bench/compare sends).
 *
 * Cost of a query: the median, over -r repeats, of the nanoseconds per call
 * of a loop lasting about -t microseconds (clock_gettime around the loop);
 * a reply of more than 1,232 octets counts per 1,232 (the cost is divided
 * by ceil(len / 1232)). Each is printed with its ratio to the mix's median
 * query; the target is no ratio above 10. With -c (run under valgrind
 * --tool=callgrind, bench/adversarial CALLGRIND=1) each query runs once
 * between a zeroing and a dump of callgrind's counters instead, so the
 * costs are instruction counts, the same on every run; the wrapper script
 * reads the dumps.
 *
 * usage: adversarial -z ORIGIN=FILE [-z ...] -m MIXFILE [-n MIX] [-r REPEATS]
 *                    [-t US] [-c] [-q SUBSTRING]
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "bench/common.h"
#include "server/answer.h"
#include "server/query.h"
#include "server/stats.h"
#include "zones/zdb.h"
#include "zones/zload.h"

#ifdef ADV_HAVE_CALLGRIND
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_DUMP_STATS_AT(s) ((void)(s))
#endif

#define ADV_UNIT 1232      /* a reply counts per this many octets */
#define ADV_QMAX 600

enum {
	ADV_TCP = 1,       /* over TCP (reply buffer 65535) */
	ADV_NOEDNS = 2,    /* no OPT record */
	ADV_TRAILING = 4,  /* one byte after the question: FORMERR */
	ADV_VER1 = 8,      /* EDNS version 1: BADVERS */
	ADV_DO = 16,       /* DO=1 (issue 15: the signed zones nsec.test. and
			    * nsec3.test., loaded when SIGNED is set) */
};

struct adv_query {
	const char *label;
	const char *name;  /* "^x.SUFFIX": one-octet labels x up to 255 octets */
	const char *type;
	unsigned flags;
};

/* The worst queries. Add a row to try another; keep labels unique. */
static const struct adv_query adv_table[] = {
	{ "control: www A", "www.adv.test.", "A", 0 },
	{ "control: www A tcp", "www.adv.test.", "A", ADV_TCP },
	{ "dname, 255-octet qname", "^x.d.adv.test.", "A", 0 },
	{ "dname, 255-octet qname, upper case", "^X.D.ADV.TEST.", "A", 0 },
	{ "dname, 255-octet qname, tcp", "^x.d.adv.test.", "A", ADV_TCP },
	{ "dname chain of 5, 255 octets", "^x.d1.adv.test.", "A", 0 },
	{ "dname chain of 5, 255 octets, tcp", "^x.d1.adv.test.", "A", ADV_TCP },
	{ "cname chain of 6, short names", "s1.adv.test.", "A", 0 },
	{ "cname chain of 255-octet names", "c1.adv.test.", "A", 0 },
	{ "cname chain of 255-octet names, tcp", "c1.adv.test.", "A", ADV_TCP },
	{ "wildcard, 255-octet qname", "^x.w.adv.test.", "A", 0 },
	{ "wildcard, 255-octet qname, ANY", "^x.w.adv.test.", "ANY", 0 },
	{ "wildcard, 255-octet qname, NODATA", "^x.w.adv.test.", "AAAA", 0 },
	{ "wildcard, 255-octet qname, MX + additional", "^x.w.adv.test.", "MX", 0 },
	{ "wildcard CNAME to 255 octets, 255-octet qname", "^x.wc.adv.test.", "A", 0 },
	{ "ANY at a name of 8 types", "any.adv.test.", "ANY", 0 },
	{ "240 TXT (64 KiB), udp: TC", "bigtxt.adv.test.", "TXT", 0 },
	{ "240 TXT (64 KiB), tcp", "bigtxt.adv.test.", "TXT", ADV_TCP },
	{ "16 MX near-miss names, 255-octet qname", "^x.nm.adv.test.", "MX", 0 },
	{ "16 MX near-miss names, 255-octet qname, tcp", "^x.nm.adv.test.", "MX", ADV_TCP },
	{ "16 MX near-miss names, short qname", "nmshort.adv.test.", "MX", 0 },
	{ "16 MX near-miss names, short qname, tcp", "nmshort.adv.test.", "MX", ADV_TCP },
	{ "32 MX in-zone targets, 64 additional", "mx.adv.test.", "MX", 0 },
	{ "32 MX in-zone targets, 64 additional, tcp", "mx.adv.test.", "MX", ADV_TCP },
	{ "8 MX 255-octet in-zone targets", "mxl.adv.test.", "MX", 0 },
	{ "8 MX 255-octet in-zone targets, tcp", "mxl.adv.test.", "MX", ADV_TCP },
	{ "referral, 13 NS, 26 glue", "www.deleg.adv.test.", "A", 0 },
	{ "referral, 13 NS, 26 glue, 255-octet qname", "^x.deleg.adv.test.", "A", 0 },
	{ "referral, 13 NS, 26 glue, tcp", "^x.deleg.adv.test.", "A", ADV_TCP },
	{ "referral, 13 long NS names with glue", "^x.delegl.adv.test.", "A", 0 },
	{ "referral, 13 long NS names with glue, tcp", "^x.delegl.adv.test.", "A", ADV_TCP },
	{ "DS at the cut", "deleg.adv.test.", "DS", 0 },
	{ "SRV with a 255-octet target + additional", "_s._tcp.adv.test.", "SRV", 0 },
	{ "32 PTR of 250-octet names", "ptrs.adv.test.", "PTR", 0 },
	{ "32 PTR of 250-octet names, tcp", "ptrs.adv.test.", "PTR", ADV_TCP },
	{ "RP of two 200-octet names", "rp.adv.test.", "RP", 0 },
	{ "NXDOMAIN, 255-octet qname", "^x.nx.adv.test.", "A", 0 },
	{ "REFUSED, 255-octet qname", "^x.invalid.", "A", 0 },
	{ "REFUSED, 255-octet qname, no EDNS", "^x.invalid.", "A", ADV_NOEDNS },
	{ "FORMERR, 255-octet qname, trailing byte", "^x.d.adv.test.", "A", ADV_TRAILING },
	{ "BADVERS", "www.adv.test.", "A", ADV_VER1 },
	{ "CHAOS version.bind", "version.bind.", "CH TXT", 0 },
	{ "signed: h1 A, DO=0", "h1.nsec.test.", "A", 0 },
	{ "signed: h1 A, DO=1", "h1.nsec.test.", "A", ADV_DO },
	{ "signed NSEC: NXDOMAIN, DO=0", "nx1.nsec.test.", "A", 0 },
	{ "signed NSEC: NXDOMAIN, DO=1", "nx1.nsec.test.", "A", ADV_DO },
	{ "signed NSEC: NXDOMAIN 255-octet, DO=1", "^x.nx.nsec.test.", "A", ADV_DO },
	{ "signed NSEC: wildcard, DO=1", "w1.wild.nsec.test.", "A", ADV_DO },
	{ "signed NSEC: secure referral (DS), DO=1", "www.secure.nsec.test.", "A", ADV_DO },
	{ "signed NSEC: insecure referral, DO=1", "x.insecure.nsec.test.", "A", ADV_DO },
	{ "signed NSEC3: NXDOMAIN, DO=0", "nx1.nsec3.test.", "A", 0 },
	{ "signed NSEC3: NXDOMAIN, DO=1", "nx1.nsec3.test.", "A", ADV_DO },
	{ "signed NSEC3: NXDOMAIN 255-octet, DO=1", "^x.nx.nsec3.test.", "A", ADV_DO },
	{ "signed NSEC3: wildcard NODATA, DO=1", "w1.wild.nsec3.test.", "MX", ADV_DO },
	{ "signed NSEC3: secure referral (DS), DO=1", "www.secure.nsec3.test.", "A", ADV_DO },
	{ "signed NSEC3: cname chain, DO=1", "cc1.nsec3.test.", "A", ADV_DO },
};
#define ADV_COUNT (sizeof(adv_table) / sizeof(adv_table[0]))

struct adv_msg {
	uint8_t wire[ADV_QMAX];
	size_t len;
	bool tcp;
	size_t resp_len;   /* of its reply, from the first run */
	double ns;         /* per call */
};

static struct zdb *db;
static struct answer_config cfg = {
	.udp_max = 1232,
	.id_server = "adversarial",
	.version = "0",
};

/* --- the engine (the one call into it) --- */

static uint8_t resp[65535];

/* Answers q; returns the reply's length (0: dropped). */
static size_t adv_answer(const struct adv_msg *q)
{
	static struct stats stats;
	struct query_env env = { .acfg = &cfg, .stats = &stats };
	struct query qq = {
		.msg = q->wire,
		.len = q->len,
		.resp = resp,
		.resp_cap = q->tcp ? sizeof(resp) : cfg.udp_max,
		.tcp = q->tcp,
		.now = 1700000000u,
	};

	if (query_process(&env, db, &qq) != QUERY_SEND)
		return 0;
	return qq.resp_len;
}

/* --- queries --- */

/* common_name_wire(), and "^c.suffix": one-octet labels c in front of
 * suffix, up to 255 octets. */
static int name_wire(const char *s, uint8_t *out)
{
	char buf[1024];

	if (s[0] == '^') {
		/* one-octet labels s[1] in front of the suffix up to 255 */
		const char *suffix = strchr(s, '.') + 1;
		size_t slen = 1;
		for (const char *p = suffix; *p; p++)
			slen += 1;
		size_t k = (255 - slen) / 2, b = 0;
		for (size_t i = 0; i < k && b + 3 < sizeof(buf); i++) {
			buf[b++] = s[1];
			buf[b++] = '.';
		}
		snprintf(buf + b, sizeof(buf) - b, "%s", suffix);
		s = buf;
	}
	return common_name_wire(s, out, 256);
}

/* "TYPE" or "CH TYPE"; EDNS 1232 unless ADV_NOEDNS. Returns 0 or -1. */
static int build(struct adv_msg *q, const char *name, const char *type,
		 unsigned flags)
{
	uint8_t *w = q->wire;
	unsigned qclass = 1;
	int nl, t;

	if (strncmp(type, "CH ", 3) == 0) {
		qclass = 3;
		type += 3;
	}
	memset(q, 0, sizeof(*q));
	w[0] = 0x12;
	w[1] = 0x34;
	w[5] = 1;
	nl = name_wire(name, w + 12);
	t = common_type_code(type);
	if (nl < 0 || t <= 0)
		return -1;
	size_t n = 12 + (size_t)nl;
	w[n++] = (uint8_t)(t >> 8);
	w[n++] = (uint8_t)t;
	w[n++] = 0;
	w[n++] = (uint8_t)qclass;
	if (!(flags & ADV_NOEDNS)) {
		static const uint8_t o[11] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0 };
		w[11] = 1;
		memcpy(w + n, o, sizeof(o));
		if (flags & ADV_VER1)
			w[n + 6] = 1;
		if (flags & ADV_DO)
			w[n + 7] = 0x80;
		n += sizeof(o);
	}
	if (flags & ADV_TRAILING)
		w[n++] = 0;
	q->len = n;
	q->tcp = (flags & ADV_TCP) != 0;
	return 0;
}

/* The first max queries of an lvload query file ("name TYPE [EXPECT]"). */
static struct adv_msg *load_mix(const char *path, size_t max, size_t *count)
{
	FILE *f = fopen(path, "r");
	struct adv_msg *qs = calloc(max ? max : 1, sizeof(*qs));
	char line[1024], name[512], type[32];
	size_t n = 0;

	if (!f)
		common_die(path);
	if (!qs)
		common_die("calloc");
	while (n < max && fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%511s %31s", name, type) != 2 ||
		    build(&qs[n], name, type, 0)) {
			fprintf(stderr, "%s: cannot use: %s", path, line);
			exit(2);
		}
		n++;
	}
	fclose(f);
	*count = n;
	return qs;
}

/* --- measuring --- */

/* Median ns per call over reps loops of about target_ns each. */
static double measure(const struct adv_msg *q, unsigned reps, double target_ns)
{
	double v[64];
	uint64_t t0, t1;
	unsigned n = 1;

	for (;;) {
		t0 = common_now_ns();
		for (unsigned i = 0; i < n; i++)
			adv_answer(q);
		t1 = common_now_ns();
		if ((double)(t1 - t0) >= target_ns / 8 || n >= 1u << 24)
			break;
		n *= 2;
	}
	n = (unsigned)((double)n * target_ns / (double)(t1 - t0 + 1)) + 1;
	for (unsigned r = 0; r < reps; r++) {
		t0 = common_now_ns();
		for (unsigned i = 0; i < n; i++)
			adv_answer(q);
		t1 = common_now_ns();
		v[r] = (double)(t1 - t0) / n;
	}
	return common_median(v, reps);
}

static unsigned units(size_t len)
{
	return len <= ADV_UNIT ? 1 : (unsigned)((len + ADV_UNIT - 1) / ADV_UNIT);
}

/* One query once between a zeroing and a dump of callgrind's counters
 * (instructions do not depend on the caches being warm). */
static void callgrind_one(struct adv_msg *q, const char *tag)
{
	CALLGRIND_ZERO_STATS;
	q->resp_len = adv_answer(q);
	CALLGRIND_DUMP_STATS_AT(tag);
}

static void usage(void)
{
	fprintf(stderr, "usage: adversarial -z ORIGIN=FILE [-z ...] -m MIXFILE "
		"[-n MIX] [-r REPEATS] [-t US] [-c] [-q SUBSTRING]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static struct adv_msg adv[ADV_COUNT];
	const char *mixfile = NULL, *only = NULL;
	size_t nmix = 1000, mixcount;
	unsigned reps = 7;
	double target_us = 200;
	bool cg = false;
	char err[512];
	int c;

	db = zdb_new();
	if (!db)
		common_die("zdb_new");
	while ((c = getopt(argc, argv, "z:m:n:r:t:cq:")) != -1) {
		switch (c) {
		case 'z': {
			char *eq = strchr(optarg, '=');
			struct zone *z;
			if (!eq)
				usage();
			*eq = 0;
			if (zload_file(optarg, eq + 1, &z, err, sizeof(err))) {
				fprintf(stderr, "adversarial: %s\n", err);
				return 1;
			}
			if (zdb_add(db, z)) {
				fprintf(stderr, "adversarial: zone %s twice\n", optarg);
				return 1;
			}
			break;
		}
		case 'm': mixfile = optarg; break;
		case 'n': nmix = (size_t)atol(optarg); break;
		case 'r': reps = (unsigned)atoi(optarg); break;
		case 't': target_us = atof(optarg); break;
		case 'c': cg = true; break;
		case 'q': only = optarg; break;
		default: usage();
		}
	}
	if (!mixfile || nmix < 1 || reps < 1 || reps > 64 || target_us <= 0 ||
	    optind != argc)
		usage();

	struct adv_msg *mix = load_mix(mixfile, nmix, &mixcount);
	if (mixcount == 0) {
		fprintf(stderr, "adversarial: no query in %s\n", mixfile);
		return 1;
	}
	for (size_t i = 0; i < ADV_COUNT; i++) {
		if (build(&adv[i], adv_table[i].name, adv_table[i].type,
			  adv_table[i].flags)) {
			fprintf(stderr, "adversarial: bad row %s\n", adv_table[i].label);
			return 1;
		}
	}
	if (cg) {
		/* Instruction counts: one dump per query, in this order; the
		 * wrapper pairs the dumps with these lines. */
		for (size_t i = 0; i < mixcount; i++) {
			callgrind_one(&mix[i], "mix");
			printf("ADVQ\tmix\t-\tudp\t%zu\t1\n", mix[i].resp_len);
		}
		for (size_t i = 0; i < ADV_COUNT; i++) {
			if (only && !strstr(adv_table[i].label, only))
				continue;
			callgrind_one(&adv[i], adv_table[i].label);
			printf("ADVQ\t%s\t%s\t%s\t%zu\t%u\n", adv_table[i].label,
			       adv_table[i].type, adv[i].tcp ? "tcp" : "udp",
			       adv[i].resp_len, units(adv[i].resp_len));
		}
		return 0;
	}

	for (size_t i = 0; i < ADV_COUNT; i++)
		adv[i].resp_len = adv_answer(&adv[i]);
	double *mns = calloc(mixcount, sizeof(double));
	if (!mns)
		common_die("calloc");
	for (size_t i = 0; i < mixcount; i++)
		mns[i] = measure(&mix[i], reps < 5 ? reps : 5, target_us * 100);
	double med = common_median(mns, mixcount);

	printf("%-50s %-6s %-4s %6s %5s %11s %11s %9s\n", "query", "type", "via",
	       "bytes", "units", "ns/query", "ns/unit", "x median");
	double worst = 0;
	const char *worst_label = "";
	unsigned over = 0, shown = 0;
	for (size_t i = 0; i < ADV_COUNT; i++) {
		if (only && !strstr(adv_table[i].label, only))
			continue;
		double ns = measure(&adv[i], reps, target_us * 1000);
		double per = ns / units(adv[i].resp_len), ratio = per / med;
		printf("%-50s %-6s %-4s %6zu %5u %11.1f %11.1f %9.2f%s\n",
		       adv_table[i].label, adv_table[i].type,
		       adv[i].tcp ? "tcp" : "udp", adv[i].resp_len,
		       units(adv[i].resp_len), ns, per, ratio,
		       ratio > 10 ? "  > 10" : "");
		if (ratio > worst) {
			worst = ratio;
			worst_label = adv_table[i].label;
		}
		over += ratio > 10;
		shown++;
	}
	printf("\nmix: median %.1f ns per query over the first %zu queries of %s "
	       "(median of %u loops of ~%.0f us each)\n", med, mixcount, mixfile,
	       reps < 5 ? reps : 5, target_us / 10);
	printf("worst: %s, %.2f x the median (target: 10); %u of %u queries over 10\n",
	       worst_label, worst, over, shown);
	printf("ADVERSARIAL mix_median_ns=%.1f worst_ratio=%.2f over_10=%u queries=%u\n",
	       med, worst, over, shown);
	free(mns);
	free(mix);
	zdb_free(db);
	return 0;
}
