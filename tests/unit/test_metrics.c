/* test_metrics.c -- CUnit suite 'metrics': the text the Prometheus page is
 * made of (server/metrics.c): label values and help texts escaped as the
 * exposition format 0.0.4 asks, and the counter registry (stats.c) rendered
 * one family per metric, every counter once. The HTTP side is tested by
 * tests/system/test_metrics.py (promtool, a real Prometheus).
 */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "server/metrics.h"
#include "server/stats.h"
#include "unit.h"

static void text_free(struct metrics_text *t)
{
	free(t->buf);
	memset(t, 0, sizeof(*t));
}

static void test_label_escaped(void)
{
	struct metrics_text t = { NULL, 0, 0, 0 };

	metrics_label_value(&t, "a\\b\"c\nd.e");
	CU_ASSERT_FATAL(t.buf != NULL);
	CU_ASSERT_STRING_EQUAL(t.buf, "a\\\\b\\\"c\\nd.e");
	CU_ASSERT_EQUAL(t.len, strlen(t.buf));
	text_free(&t);
	metrics_label_value(&t, "");
	CU_ASSERT_EQUAL(t.len, 0);
	text_free(&t);
}

static void test_help_escaped(void)
{
	struct metrics_text t = { NULL, 0, 0, 0 };

	/* help: backslash and newline escaped, a double quote kept */
	metrics_family(&t, "x_total", "counter", "a \"b\" \\ c\nd");
	CU_ASSERT_FATAL(t.buf != NULL);
	CU_ASSERT_STRING_EQUAL(t.buf, "# HELP levee_x_total a \"b\" \\\\ c\\nd\n"
			       "# TYPE levee_x_total counter\n");
	text_free(&t);
}

static void test_grows(void)
{
	struct metrics_text t = { NULL, 0, 0, 0 };

	for (int i = 0; i < 10000; i++)
		metrics_printf(&t, "line %d\n", i);
	CU_ASSERT_EQUAL(t.failed, 0);
	CU_ASSERT_EQUAL(t.len, strlen(t.buf));
	CU_ASSERT(strstr(t.buf, "line 9999\n") != NULL);
	text_free(&t);
}

static void test_registry_rendered_once(void)
{
	struct metrics_text t = { NULL, 0, 0, 0 };
	struct stats s;
	size_t samples = 0;

	memset(&s, 0, sizeof(s));
	for (int i = 0; i < STATS_COUNT; i++) {
		const struct stats_desc *d = stats_desc((enum stats_counter)i);

		CU_ASSERT_FATAL(d && d->name && d->metric && d->help);
		s.c[i] = 1000 + (uint64_t)i;
		/* a family's members share its help and its kind */
		for (int j = 0; j < i; j++) {
			const struct stats_desc *e =
				stats_desc((enum stats_counter)j);

			if (strcmp(e->metric, d->metric) == 0) {
				CU_ASSERT_STRING_EQUAL(e->help, d->help);
				CU_ASSERT_EQUAL(e->gauge, d->gauge);
				CU_ASSERT(d->label && e->label &&
					  strcmp(d->label, e->label) != 0);
			}
			CU_ASSERT(strcmp(e->name, d->name) != 0);
		}
	}
	CU_ASSERT(stats_desc(STATS_COUNT) == NULL);
	metrics_stats(&t, &s);
	CU_ASSERT_FATAL(t.buf && !t.failed);
	for (int i = 0; i < STATS_COUNT; i++) {
		char v[32];
		char *at;

		snprintf(v, sizeof(v), " %d\n", 1000 + i);
		at = strstr(t.buf, v);
		CU_ASSERT(at != NULL);
		if (at)
			CU_ASSERT(strstr(at + 1, v) == NULL);
	}
	for (const char *l = t.buf; *l; l = strchr(l, '\n') + 1)
		samples += *l != '#';
	CU_ASSERT_EQUAL(samples, STATS_COUNT);
	CU_ASSERT(strstr(t.buf, "# TYPE levee_answers_total counter\n"
			 "levee_answers_total{rcode=\"noerror\"} ") != NULL);
	CU_ASSERT(strstr(t.buf, "# TYPE levee_tcp_memory_bytes gauge\n"
			 "levee_tcp_memory_bytes ") != NULL);
	text_free(&t);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "label values escaped", test_label_escaped },
		{ "help texts escaped", test_help_escaped },
		{ "the page grows", test_grows },
		{ "every registry counter once, by family",
		  test_registry_rendered_once },
	};

	return unit_run("metrics", NULL, NULL, tests, UNIT_COUNT(tests));
}
