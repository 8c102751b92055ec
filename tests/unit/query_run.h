/* query_run.h -- runs one message through the real query pipeline
 * (server/query.h) for the engine's unit tests: no sockets, no rate
 * limiters, only the answer config (cookie-required policy included). The
 * pipeline writes into *q; the reply is q->resp[0..q->resp_len) and the
 * engine's facts are in q->req. Header only, for suites linking the
 * engine. */
#ifndef LEVEE_TESTS_QUERY_RUN_H
#define LEVEE_TESTS_QUERY_RUN_H

#include <string.h>

#include "server/query.h"
#include "server/stats.h"

static struct stats query_run_stats;

/* Returns QUERY_SEND or QUERY_DROP. client may be NULL (cookies are then
 * not processed). */
static inline int query_run(const struct zdb *db,
			    const struct answer_config *cfg, struct query *q,
			    const uint8_t *msg, size_t len, uint8_t *resp,
			    size_t cap, bool tcp,
			    const struct sockaddr *client, uint32_t now)
{
	struct query_env env;

	memset(&env, 0, sizeof(env));
	env.acfg = cfg;
	env.stats = &query_run_stats;
	memset(q, 0, sizeof(*q));
	q->msg = msg;
	q->len = len;
	q->resp = resp;
	q->resp_cap = cap;
	q->tcp = tcp;
	q->client = client;
	q->now = now;
	return query_process(&env, db, q);
}

#endif
