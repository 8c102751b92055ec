/* fuzz_answer.c -- fuzz target: arbitrary bytes as a query to the engine.
 *
 * Loads tests/data/fuzz.zone once, then feeds each input to answer_query()
 * over UDP (512-byte and 1232-byte buffers) and TCP. Built as a libFuzzer
 * target with -Dfuzz=true (clang), and always as a plain replay driver
 * (replay.c) that runs the seed corpus under `meson test`, so CI replays the
 * corpus in the sanitizer build.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/answer.h"
#include "zones/zdb.h"
#include "zones/zload.h"

#ifndef FUZZ_ZONE_FILE
#define FUZZ_ZONE_FILE "tests/data/fuzz.zone"
#endif

static struct zdb *fuzz_db;
static struct answer_config fuzz_cfg = {
	.udp_max = 1232,
	.nsid = (const uint8_t *)"fuzz",
	.nsid_len = 4,
	.id_server = "fuzz",
	.version = "levee-fuzz",
	.tcp_keepalive = 100,
};

static void fuzz_init(void)
{
	char err[512];
	struct zone *z = NULL;

	fuzz_db = zdb_new();
	if (!fuzz_db)
		abort();
	if (zload_file("example.com", FUZZ_ZONE_FILE, &z, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz: %s\n", err);
		abort();
	}
	if (zdb_add(fuzz_db, z) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t resp[65535];
	static const size_t caps[] = { 512, 1232, sizeof(resp) };

	if (!fuzz_db)
		fuzz_init();
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		struct answer_request req = {
			.query = data,
			.query_len = size,
			.resp = resp,
			.resp_cap = caps[i],
			.tcp = caps[i] == sizeof(resp),
		};
		int st = answer_query(fuzz_db, &fuzz_cfg, &req);
		if (st == ANSWER_SEND && (req.resp_len < 12 || req.resp_len > caps[i]))
			abort();
	}
	return 0;
}
