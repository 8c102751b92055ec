/* test_golden.c -- the golden answers (tests/data/golden/answers.txt).
 *
 * Every query of the file runs straight through the answer engine (no
 * sockets; tests/golden/golden.h) into a reply buffer of exactly the size
 * the server would give it (so AddressSanitizer sees a reply that runs past
 * it), and its reply, decoded to text with ldns, must equal the text under
 * the query in the file. A difference prints the file's line, the query and
 * both replies. After a change of answers made on purpose, regenerate the
 * file with `build/tests/golden/golden -w tests/data/golden/answers.txt`
 * and review the diff.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/golden/golden.h"
#include "unit.h"

#define GOLDEN_FILE TEST_DATA_DIR "/golden/answers.txt"

static struct golden_file *g;

static int suite_init(void)
{
	char err[1024];

	if (golden_load(GOLDEN_FILE, &g, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static int suite_clean(void)
{
	golden_free(g);
	return 0;
}

static void print_block(const char *mark, const char *text)
{
	for (const char *l = text; *l;) {
		const char *nl = strchr(l, '\n');
		fprintf(stderr, "%s\t%.*s\n", mark, (int)(nl - l), l);
		l = nl + 1;
	}
}

static void test_answers(void)
{
	size_t bad = 0;

	CU_ASSERT_TRUE(g->count >= 100);
	for (size_t i = 0; i < g->count; i++) {
		const struct golden_entry *e = &g->entries[i];
		size_t cap = golden_resp_cap(e), len;
		uint8_t *resp = malloc(cap);
		CU_ASSERT_PTR_NOT_NULL_FATAL(resp);
		int st = golden_answer(g, e, resp, cap, &len);
		char *got = golden_reply_text(e, st, resp, len);
		CU_ASSERT_TRUE(len <= cap);
		if (strcmp(got, e->expected) != 0) {
			fprintf(stderr, "%s:%u: %s\n", GOLDEN_FILE, e->line, e->text);
			print_block("-", e->expected);
			print_block("+", got);
			bad++;
		}
		free(got);
		free(resp);
	}
	if (bad)
		fprintf(stderr, "%zu of %zu golden answers differ\n", bad, g->count);
	CU_ASSERT_EQUAL(bad, 0);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "golden answers", test_answers },
	};

	return unit_run("golden", suite_init, suite_clean, tests,
			UNIT_COUNT(tests));
}
