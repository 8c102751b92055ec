/* test_log.c -- CUnit suite 'log': the reactors' log queue (server/log.c).
 *
 * stderr is redirected to a pipe that a reader thread empties. Lines
 * queued before the log thread runs wait for it, up to LOG_QUEUE_LINES;
 * the rest are dropped and counted. Several producer threads logging at
 * once lose no line without counting it: every line comes out whole, once,
 * in each producer's order, and written + dropped is what was logged (run
 * under ThreadSanitizer by scripts/test.sh: the ring's orderings).
 */
#include <CUnit/Basic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/log.h"
#include "unit.h"

#define PRODUCERS 4
#define PER_PRODUCER 5000

/* stderr into a pipe, read by a thread into a growing buffer. */
struct capture {
	int saved;          /* the real stderr */
	int rfd;
	pthread_t reader;
	char *buf;
	size_t len, cap;
};

static void *capture_reader(void *arg)
{
	struct capture *c = arg;
	char chunk[65536];
	ssize_t n;

	while ((n = read(c->rfd, chunk, sizeof(chunk))) > 0) {
		if (c->len + (size_t)n + 1 > c->cap) {
			size_t cap = (c->cap ? c->cap * 2 : 1 << 20);

			while (cap < c->len + (size_t)n + 1)
				cap *= 2;
			c->buf = realloc(c->buf, cap);
			if (!c->buf)
				abort();
			c->cap = cap;
		}
		memcpy(c->buf + c->len, chunk, (size_t)n);
		c->len += (size_t)n;
		c->buf[c->len] = '\0';
	}
	return NULL;
}

static void capture_start(struct capture *c)
{
	int p[2];

	memset(c, 0, sizeof(*c));
	CU_ASSERT_FATAL(pipe(p) == 0);
	c->saved = dup(STDERR_FILENO);
	CU_ASSERT_FATAL(c->saved >= 0);
	CU_ASSERT_FATAL(dup2(p[1], STDERR_FILENO) == STDERR_FILENO);
	close(p[1]);
	c->rfd = p[0];
	CU_ASSERT_FATAL(pthread_create(&c->reader, NULL, capture_reader, c) ==
			0);
}

/* Puts stderr back (the pipe's last write end closes) and joins the
 * reader; c->buf holds everything written meanwhile. */
static void capture_stop(struct capture *c)
{
	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	pthread_join(c->reader, NULL);
	close(c->rfd);
	if (!c->buf) {
		c->buf = calloc(1, 1);
		if (!c->buf)
			abort();
	}
}

/* Whether line (up to its newline) is "YYYY-MM-DDTHH:MM:SS.mmmZ info: ". */
static bool line_whole(const char *line)
{
	int y, mo, d, h, mi, s, ms;
	char lvl[16];

	return sscanf(line, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ %15[a-z]:", &y, &mo,
		      &d, &h, &mi, &s, &ms, lvl) == 8 &&
	       strcmp(lvl, "info") == 0;
}

struct producer {
	int id;
	int lines;
	bool pause;         /* sleep a little after each line */
	pthread_t tid;
};

static void *producer_main(void *arg)
{
	struct producer *p = arg;

	log_thread_queued();
	for (int i = 0; i < p->lines; i++) {
		log_info("p%d n%d", p->id, i);
		if (p->pause && i % 4 == 0)
			usleep(20);
	}
	return NULL;
}

static void test_queued_before_start(void)
{
	struct producer p = { .id = 9, .lines = LOG_QUEUE_LINES + 36 };
	struct capture c;
	uint64_t drops0 = log_dropped();
	const char *at;
	int next = 0;

	/* No writer yet: the queue keeps the first LOG_QUEUE_LINES. */
	CU_ASSERT_FATAL(pthread_create(&p.tid, NULL, producer_main, &p) == 0);
	pthread_join(p.tid, NULL);
	CU_ASSERT_EQUAL(log_dropped() - drops0, 36);

	capture_start(&c);
	CU_ASSERT_EQUAL_FATAL(log_queue_start(), 0);
	log_queue_stop();
	log_queue_stop();   /* idempotent */
	capture_stop(&c);
	for (at = c.buf; *at; at = strchr(at, '\n') + 1) {
		int id, n;
		const char *msg = strstr(at, "info: ");

		CU_ASSERT_FATAL(strchr(at, '\n') != NULL);
		CU_ASSERT(line_whole(at));
		CU_ASSERT_FATAL(msg != NULL);
		CU_ASSERT_EQUAL(sscanf(msg, "info: p%d n%d", &id, &n), 2);
		CU_ASSERT_EQUAL(id, 9);
		CU_ASSERT_EQUAL(n, next);
		next++;
	}
	CU_ASSERT_EQUAL(next, LOG_QUEUE_LINES);
	free(c.buf);
}

/* log-format: json: one object a line, the message escaped (quote,
 * backslash, control bytes and bytes from 0x7f as \u00XX), a line longer
 * than the buffer cut and still closed. */
static void test_json(void)
{
	struct capture c;
	char big[3000];
	const char *want = "\",\"level\":\"warning\",\"msg\":\"a \\\"q\\\" "
			   "b\\\\c \\u0001\\u00ff\\u0009end\"}\n";
	const char *second;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_set_json(true);
	capture_start(&c);
	log_warning("a \"q\" b\\c \001\377\tend");
	log_info("%s", big);
	capture_stop(&c);
	log_set_json(false);
	CU_ASSERT_EQUAL(strncmp(c.buf, "{\"time\":\"", 9), 0);
	CU_ASSERT_EQUAL(c.buf[9 + 23], 'Z');
	CU_ASSERT_EQUAL(strncmp(c.buf + 9 + 24, want, strlen(want)), 0);
	second = strchr(c.buf, '\n');
	CU_ASSERT_FATAL(second != NULL);
	second++;
	CU_ASSERT_EQUAL(strncmp(second, "{\"time\":\"", 9), 0);
	CU_ASSERT(strlen(second) > 2000 && strlen(second) < 2400);
	CU_ASSERT_EQUAL(strcmp(second + strlen(second) - 3, "\"}\n"), 0);
	free(c.buf);
}

static void test_many_producers(void)
{
	struct producer p[PRODUCERS];
	int next[PRODUCERS] = { 0 }, written = 0;
	struct capture c;
	uint64_t drops0 = log_dropped(), drops;
	const char *at;

	capture_start(&c);
	CU_ASSERT_EQUAL_FATAL(log_queue_start(), 0);
	for (int i = 0; i < PRODUCERS; i++) {
		p[i].id = i;
		p[i].lines = PER_PRODUCER;
		p[i].pause = true;   /* the ring wraps many times */
		CU_ASSERT_FATAL(pthread_create(&p[i].tid, NULL, producer_main,
					       &p[i]) == 0);
	}
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(p[i].tid, NULL);
	log_queue_stop();
	/* A thread that did not ask for the queue writes itself. */
	log_info("p%d n%d", PRODUCERS, 0);
	capture_stop(&c);
	drops = log_dropped() - drops0;

	for (at = c.buf; *at; at = strchr(at, '\n') + 1) {
		int id = -1, n = -1;
		const char *msg = strstr(at, "info: ");

		CU_ASSERT_FATAL(strchr(at, '\n') != NULL);
		CU_ASSERT(line_whole(at));
		CU_ASSERT_FATAL(msg != NULL);
		CU_ASSERT_EQUAL_FATAL(sscanf(msg, "info: p%d n%d", &id, &n), 2);
		CU_ASSERT_FATAL(id >= 0 && id <= PRODUCERS);
		if (id == PRODUCERS)
			continue;
		/* Each producer's lines in its order, none twice. */
		CU_ASSERT(n >= next[id]);
		next[id] = n + 1;
		written++;
	}
	CU_ASSERT_EQUAL((uint64_t)written + drops,
			(uint64_t)PRODUCERS * PER_PRODUCER);
	CU_ASSERT(strstr(c.buf, "info: p4 n0\n") != NULL);
	printf("\n  %d lines written, %llu dropped\n", written,
	       (unsigned long long)drops);
	free(c.buf);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "queued before the writer starts", test_queued_before_start },
		{ "many producers, one writer", test_many_producers },
		{ "log-format: json", test_json },
	};

	log_init(LOG_LEVEL_INFO, false);
	return unit_run("log", NULL, NULL, tests, UNIT_COUNT(tests));
}
