/* golden.h -- golden answers: a file of queries, each with its expected
 * reply as text, run straight through the answer engine without sockets.
 *
 * The file (tests/data/golden/answers.txt; the format is described at its
 * top) names its zones and engine settings in `$` directives, then lists
 * queries, one a line, each followed by its reply: lines that begin with a
 * tab, one line of header (rcode, flags, size), then one line per record in
 * presentation form, the OPT last. golden_load() reads it, loads the zones
 * into one snapshot and builds every query in wire form once;
 * golden_answer() is the only call into the engine (the query pipeline,
 * query.h, with no rate limiters);
 * golden_reply_text() decodes a reply with ldns into the same text, so
 * test_golden.c compares, tests/golden/golden_tool.c rewrites the file from
 * the current engine, and bench/qspeed.c times each query. Test and bench
 * code only: ldns here never reaches the server's query path.
 * One thread; golden_answer() is reentrant.
 */
#ifndef LEVEE_TESTS_GOLDEN_H
#define LEVEE_TESTS_GOLDEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "server/answer.h"

#define GOLDEN_QMAX 1024   /* largest query the file may build */

struct golden_entry {
	unsigned line;                 /* the query's line in the file */
	const char *text;              /* the query line as written */
	uint8_t query[GOLDEN_QMAX];
	size_t query_len;
	bool tcp;
	struct answer_config cfg;      /* the settings in force at its line */
	char *expected;                /* its reply lines as in the file, each
					  ending in '\n' without the tab;
					  "" when the file has none */
};

struct golden_file {
	char *path;
	struct zdb *db;
	struct golden_entry *entries;
	size_t count;
	/* every line of the file, for rewriting; reply lines marked */
	char **lines;
	bool *is_reply;
	int *entry_of;                 /* index of the entry a query line
					  starts, or -1 */
	size_t nlines;
	char **strings;                /* settings' text, owned */
	size_t nstrings;
};

/* Reads path, loads its zones and builds its queries. Returns 0, or -1
 * with a line "FILE:LINE: REASON" in err. *out is freed with golden_free. */
int golden_load(const char *path, struct golden_file **out, char *err,
		size_t errlen);
void golden_free(struct golden_file *g);

/* The reply buffer the server would hand the engine for e: 65535 bytes
 * over TCP, max(udp_max, 512) over UDP (server/udp.c). */
size_t golden_resp_cap(const struct golden_entry *e);

/* Runs e through the engine into resp (resp_cap bytes). Returns
 * QUERY_SEND with *len set, or QUERY_DROP. The only engine call of the
 * golden harness (and of bench/qspeed). */
int golden_answer(const struct golden_file *g, const struct golden_entry *e,
		  uint8_t *resp, size_t resp_cap, size_t *len);

/* The reply as the file writes it (malloc'd, lines ending in '\n'): "DROP",
 * or the header line, one line per record, the OPT, and a "qd" line when
 * the question was not echoed byte for byte. */
char *golden_reply_text(const struct golden_entry *e, int status,
			const uint8_t *resp, size_t len);

/* Writes the file with every reply replaced by the current engine's.
 * Returns 0 or -1 (write error). */
int golden_write(const struct golden_file *g, FILE *out);

#endif
