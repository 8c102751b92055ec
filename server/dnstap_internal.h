/* dnstap_internal.h -- what the writer (dnstap.c) and the reactors' side
 * (dnstap_ring.c) share: the rings and the writer's state. Nothing else
 * includes it. */
#ifndef LEVEE_SERVER_DNSTAP_INTERNAL_H
#define LEVEE_SERVER_DNSTAP_INTERNAL_H

#include "server/dnstap.h"

#include <pthread.h>
#include <stddef.h>

struct fstrm_writer;

#define DNSTAP_SKIP 0xffffffffu        /* ring entry: the rest is unused */
#define DNSTAP_MASK (DNSTAP_RING_BYTES - 1)

_Static_assert((DNSTAP_RING_BYTES & DNSTAP_MASK) == 0,
	       "the ring's size is a power of two");

/* A ring entry: a 4-byte length, the encoded Dnstap message, padding to 8
 * bytes; or DNSTAP_SKIP where an entry did not fit before the end. head and
 * tail count bytes from the start and never wrap (2^64). The reactor owns
 * head (and the sampling state), the writer owns tail; each publishes its
 * own with a release store and reads the other's with an acquire load. */
struct dnstap_ring {
	uint64_t head __attribute__((aligned(64)));
	unsigned countdown;            /* queries until the next one logged */
	const struct dnstap *t;
	uint8_t *buf;                  /* DNSTAP_RING_BYTES */
	uint64_t tail __attribute__((aligned(64)));
};

struct dnstap {
	struct dnstap_config cfg;      /* strings owned */
	char identity[256];
	char version[64];
	size_t identity_len;           /* strlen(identity), set by dnstap_new */
	size_t version_len;            /* strlen(version), set by dnstap_new */
	struct dnstap_ring *rings;
	unsigned nrings;

	/* the writer thread's */
	pthread_t thread;
	bool started;
	struct fstrm_writer *w;        /* NULL: the socket is down */
	uint64_t next_open_ms;
	bool down_logged;
	bool file_error_logged;

	int stop;                      /* atomic: main asks the writer to end */
	int connected;                 /* atomic */
	uint64_t written;              /* atomic (relaxed) */
	uint64_t discarded;            /* atomic (relaxed) */
};

/* An entry's bytes in the ring: its 4-byte length and len bytes, padded
 * to 8. */
static inline size_t dnstap_align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

#endif
