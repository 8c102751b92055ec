/* fuzz_zload.c -- fuzz target: arbitrary bytes as a zone file.
 *
 * Each input is written to one file in a private directory made once per
 * process (mkdtemp under /tmp, removed at exit) and loaded as example.com
 * with zload_file(); a clean error is as good as a zone. On success the zone
 * goes into a snapshot and answers a few queries over UDP and TCP: SOA, NS
 * and ANY at the apex, and A/TXT/ANY for the owner names written at the
 * start of the first lines (and a name below each, for wildcards, cuts and
 * NXDOMAIN). Every reply must fit its buffer and parse with ldns.
 *
 * $INCLUDE is fuzzed, but kept inside the private directory: it holds the
 * input ("zone", so a file may include itself) and a small valid fragment
 * ("inc.zone"); an input naming a path with a slash, or holding more than
 * one $INCLUDE, is skipped (a chain of self-inclusions is bounded by
 * ZLOAD_MAX_DEPTH, but k of them per file cost k^depth loads). Inputs are
 * capped at FUZZ_ZLOAD_MAX bytes. Built as a libFuzzer target with
 * -Dfuzz=true, and always as a replay driver of the seed corpus (replay.c).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "server/answer.h"
#include "server/query.h"
#include "server/stats.h"
#include "zones/zdb.h"
#include "zones/zload.h"

#include "fuzz_util.h"

#define FUZZ_ZLOAD_MAX 16384
#define FUZZ_ZLOAD_NAMES 4

static char fuzz_dir[64];
static char fuzz_zone_path[96];
static char fuzz_inc_path[96];
static const struct answer_config fuzz_cfg = {
	.udp_max = 1232,
	.id_server = "fuzz",
	.version = "levee-fuzz",
	.tcp_keepalive = 100,
};

static void fuzz_cleanup(void)
{
	if (!fuzz_dir[0])
		return;
	(void)unlink(fuzz_zone_path);
	(void)unlink(fuzz_inc_path);
	(void)rmdir(fuzz_dir);
}

static void fuzz_init(void)
{
	static const char inc[] =
		"inc\tA\t192.0.2.7\n"
		"inc\tTXT\t\"included\"\n"
		"*.inc\tAAAA\t2001:db8::7\n";
	FILE *f;

	snprintf(fuzz_dir, sizeof(fuzz_dir), "/tmp/levee-fuzz-zload.XXXXXX");
	if (!mkdtemp(fuzz_dir))
		abort();
	snprintf(fuzz_zone_path, sizeof(fuzz_zone_path), "%s/zone", fuzz_dir);
	snprintf(fuzz_inc_path, sizeof(fuzz_inc_path), "%s/inc.zone", fuzz_dir);
	atexit(fuzz_cleanup);
	f = fopen(fuzz_inc_path, "w");
	if (!f || fwrite(inc, 1, sizeof(inc) - 1, f) != sizeof(inc) - 1)
		abort();
	fclose(f);
}

/* True when every $INCLUDE stays in the private directory, and there is
 * at most one. */
static bool fuzz_include_ok(const uint8_t *data, size_t size)
{
	int count = 0;

	for (size_t i = 0; i + 8 <= size; i++) {
		if (strncasecmp((const char *)data + i, "$include", 8) != 0)
			continue;
		if (++count > 1)
			return false;
	}
	if (!count)
		return true;
	/* A slash anywhere could be the path: too strict, but simple. */
	return memchr(data, '/', size) == NULL;
}

/* Answers name/type over a 512-byte UDP buffer and TCP. */
static void fuzz_ask(const struct zdb *db, const char *name, ldns_rr_type type)
{
	static uint8_t resp[65535];
	static const size_t caps[] = { 512, sizeof(resp) };
	ldns_pkt *q = NULL;
	uint8_t *wire = NULL;
	size_t wlen = 0;

	if (ldns_pkt_query_new_frm_str(&q, name, type, LDNS_RR_CLASS_IN,
				       LDNS_RD) != LDNS_STATUS_OK)
		return;
	ldns_pkt_set_edns_udp_size(q, 1232);
	if (ldns_pkt2wire(&wire, q, &wlen) != LDNS_STATUS_OK) {
		ldns_pkt_free(q);
		return;
	}
	ldns_pkt_free(q);
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		static struct stats stats;
		struct query_env env = { .acfg = &fuzz_cfg, .stats = &stats };
		struct query qq = {
			.msg = wire,
			.len = wlen,
			.resp = resp,
			.resp_cap = caps[i],
			.tcp = caps[i] > 512,
		};
		ldns_pkt *r = NULL;

		if (query_process(&env, db, &qq) != QUERY_SEND)
			abort();   /* a well-formed query is always answered */
		if (qq.resp_len < 12 || qq.resp_len > caps[i])
			abort();
		if (ldns_wire2pkt(&r, resp, qq.resp_len) != LDNS_STATUS_OK)
			abort();
		ldns_pkt_free(r);
	}
	free(wire);
}

/* Queries the apex, and the owner names that start the first lines of the
 * input (relative to example.com unless they end with a dot). */
static void fuzz_queries(const struct zdb *db, const uint8_t *data, size_t size)
{
	char name[300], below[310];
	size_t i = 0;
	int names = 0;

	fuzz_ask(db, "example.com.", LDNS_RR_TYPE_SOA);
	fuzz_ask(db, "example.com.", LDNS_RR_TYPE_NS);
	fuzz_ask(db, "example.com.", LDNS_RR_TYPE_ANY);
	while (i < size && names < FUZZ_ZLOAD_NAMES) {
		size_t n = 0;

		/* an owner name: a line starting with a printable token */
		while (i < size && data[i] != '\n' && n < 253 &&
		       isgraph(data[i]) && data[i] != ';' && data[i] != '(' &&
		       data[i] != '"')
			name[n++] = (char)data[i++];
		name[n] = '\0';
		while (i < size && data[i] != '\n')
			i++;
		i++;
		if (n == 0 || name[0] == '$')
			continue;
		if (strcmp(name, "@") == 0)
			snprintf(name, sizeof(name), "example.com.");
		else if (name[n - 1] != '.')
			snprintf(name + n, sizeof(name) - n, ".example.com.");
		names++;
		fuzz_ask(db, name, LDNS_RR_TYPE_A);
		fuzz_ask(db, name, LDNS_RR_TYPE_TXT);
		fuzz_ask(db, name, LDNS_RR_TYPE_ANY);
		snprintf(below, sizeof(below), "x.%s", name);
		fuzz_ask(db, below, LDNS_RR_TYPE_A);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zone *z = NULL;
	struct zdb *db;
	char err[512];

	if (!fuzz_dir[0])
		fuzz_init();
	if (size > FUZZ_ZLOAD_MAX || !fuzz_include_ok(data, size))
		return 0;
	fuzz_util_write(fuzz_zone_path, data, size);
	err[0] = '\0';
	if (zload_file("example.com", fuzz_zone_path, &z, err, sizeof(err)) != 0) {
		if (z || !err[0] || !memchr(err, '\0', sizeof(err)))
			abort();   /* an error keeps nothing and says why */
		return 0;
	}
	if (!z)
		abort();
	db = zdb_new();
	if (!db)
		abort();
	if (zdb_add(db, z) != 0)
		abort();
	fuzz_queries(db, data, size);
	zdb_free(db);
	return 0;
}
