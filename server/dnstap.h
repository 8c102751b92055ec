/* dnstap.h -- query and response messages in the dnstap format
 * (https://dnstap.info), written to a Unix socket or a file in the Frame
 * Streams format by libfstrm, encoded by protobuf-c (dnstap.proto).
 *
 * Threads. Each reactor owns one ring (struct dnstap_ring): a single-
 * producer single-consumer byte ring of DNSTAP_RING_BYTES, allocated once
 * when dnstap is on. The reactor encodes a message straight into its ring
 * (no allocation, no lock, no system call: a relaxed load, an acquire load
 * and a release store); one writer thread (dnstap_start) drains every ring
 * into libfstrm's writer. A message that finds its ring full is dropped and
 * counted by the reactor (stats.h STATS_DNSTAP_DROPPED): a slow or absent
 * collector costs log messages, never answers. The writer never waits on a
 * reactor; it sleeps DNSTAP_IDLE_MS after a pass that found less than a
 * batch, longer (up to DNSTAP_IDLE_MAX_MS) while every ring stays empty:
 * the rings hold far more than that much traffic.
 *
 * The collector. A file sink is opened when dnstap starts (an error then
 * stops the start). A socket sink is connected when it starts, and again
 * every DNSTAP_REOPEN_MS while it is down; while it is down the writer
 * drains the rings and discards what they hold (counted, dnstap_discarded)
 * so that what the collector gets once it is back is recent. A write or a
 * handshake that does not progress for DNSTAP_IO_TIMEOUT_MS (a collector
 * that stopped reading) closes the connection the same way.
 *
 * Cost per logged query, on the reactor: one clock_gettime (vDSO) at the
 * start, and per message one protobuf size walk and one pack, O(query and
 * reply bytes). With dnstap off the pipeline pays one pointer test.
 * Memory: DNSTAP_RING_BYTES per reactor, fixed; nothing a client sends
 * makes it hold more.
 */
#ifndef LEVEE_SERVER_DNSTAP_H
#define LEVEE_SERVER_DNSTAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct sockaddr;

#define DNSTAP_RING_BYTES (1u << 20)   /* per reactor: ~4,000 UDP messages */
#define DNSTAP_IDLE_MS 1               /* the writer's sleep between batches */
#define DNSTAP_IDLE_MAX_MS 8           /* ... growing to this when idle */
#define DNSTAP_REOPEN_MS 1000          /* between connection attempts */
#define DNSTAP_IO_TIMEOUT_MS 2000      /* a stalled collector is dropped */
#define DNSTAP_SAMPLE_MAX 1000000u

/* Section dnstap: of the configuration (config.h). */
struct dnstap_config {
	bool on;                  /* a sink was given */
	char *sink;               /* file path, or socket path (unix_socket) */
	bool unix_socket;         /* sink: written "unix:PATH" */
	char *identity;           /* NULL: the host name */
	char *version;            /* NULL: "levee VERSION" */
	bool log_queries;         /* AUTH_QUERY messages (default on) */
	bool log_responses;       /* AUTH_RESPONSE messages (default on) */
	unsigned sample;          /* log 1 query in sample (default 1) */
	unsigned sample_attack;   /* the same while the attack mode is
				     engaged; 0: as sample */
};

struct dnstap;
struct dnstap_ring;

/* Allocates the writer's state and `rings` rings (one per reactor). No
 * thread yet, no file opened. NULL with err set on failure. Main only. */
struct dnstap *dnstap_new(const struct dnstap_config *cfg, unsigned rings,
			  char *err, size_t errlen);

/* Opens the sink (a file must open; a socket that does not answer yet is
 * retried by the writer, with one warning) and starts the writer thread.
 * Call after the privilege drop, so the sink is the user's. Returns 0, or
 * a negative errno with err set. Main only. */
int dnstap_start(struct dnstap *t, char *err, size_t errlen);

/* Stops the writer after it drained what the rings hold (at most
 * DNSTAP_IO_TIMEOUT_MS more against a stalled collector), closes the
 * sink (the Frame Streams stop frame) and frees t. Main only, after every
 * reactor stopped. NULL: nothing. */
void dnstap_free(struct dnstap *t);

/* Ring i (0 <= i < rings). */
struct dnstap_ring *dnstap_ring(struct dnstap *t, unsigned i);

/* Whether this query is one to log: 1 in sample (1 in sample_attack when
 * under_attack). Reactor of r only. */
bool dnstap_sampled(struct dnstap_ring *r, bool under_attack);

/* One exchange to log. */
struct dnstap_event {
	const struct sockaddr *client;   /* AF_INET or AF_INET6 */
	const struct sockaddr *server;   /* ours as bound, or NULL: the
					    response address (not for a
					    wildcard) and port */
	bool tcp;
	const uint8_t *query;            /* the query's wire */
	size_t query_len;
	const uint8_t *reply;            /* the reply's wire, or NULL (none
					    sent: dropped) */
	size_t reply_len;
	struct timespec query_time;      /* CLOCK_REALTIME at receipt */
	struct timespec reply_time;      /* CLOCK_REALTIME when answered */
};

/* Encodes the event's AUTH_QUERY and (when a reply was sent)
 * AUTH_RESPONSE message, as the configuration asks, into r. Adds to
 * *queued the messages queued and to *dropped those that found the ring
 * full. Reactor of r only; no allocation, lock or system call. */
void dnstap_log(struct dnstap_ring *r, const struct dnstap_event *e,
		uint64_t *queued, uint64_t *dropped);

/* Messages the writer wrote to the sink, and messages it discarded
 * because the sink was down. Any thread (relaxed). t NULL: 0. */
uint64_t dnstap_written(const struct dnstap *t);
uint64_t dnstap_discarded(const struct dnstap *t);

/* Whether the socket sink is connected now (a file: always). Any thread. */
bool dnstap_connected(const struct dnstap *t);

#endif
