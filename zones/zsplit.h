/* zsplit.h -- between the zone file loader (zload.c) and its splitter
 * (zsplit.c); zones/ only.
 *
 * zload.c reads a zone file with ldns, one record at a time, into the
 * zone builder. zsplit.c cuts a file of 1 MiB or more into parts that as
 * many threads read with zload.c's own reader, zload_run(), into record
 * buffers, and feeds those to the builder in file order. The two share
 * what ldns carries from record to record (struct zload_state), the
 * context of one load (struct zload_ctx) and the functions below; nothing
 * else of Levee sees them. These two files are the only ones that hold
 * ldns objects for zone data.
 *
 * Threads: a zload_ctx belongs to one thread, the loading thread or one
 * part's thread; zsplit.c's parts share nothing with each other but their
 * record queues (a mutex and a condition variable per part).
 */
#ifndef LEVEE_ZONES_ZSPLIT_H
#define LEVEE_ZONES_ZSPLIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <ldns/ldns.h>

struct zone_builder;
struct zsplit_part;

/* What ldns carries from one record to the next. Owns the three rdfs
 * (zload_state_free()). */
struct zload_state {
	ldns_rdf *cur;   /* origin in force; ldns replaces it on $ORIGIN */
	ldns_rdf *base;  /* cur before the last $ORIGIN */
	ldns_rdf *prev;  /* previous owner, NULL before the first */
	uint32_t ttl;    /* $TTL in force, 0 before the first */
	int line;        /* lines consumed so far + 1 */
};

/* One load, or one part of a split load: where records go and where the
 * error goes. */
struct zload_ctx {
	struct zone_builder *b;     /* NULL when records go to a part */
	struct zsplit_part *part;   /* the part being read, or NULL */
	uint16_t path_idx;          /* current file in the part's paths */
	unsigned includes;          /* $INCLUDEs followed so far */
	ldns_buffer *buf;           /* RDATA in wire form, reused */
	char *err;                  /* "FILE:LINE: REASON", errlen bytes */
	size_t errlen;
};

/* --- zload.c, for the splitter --- */

/* Writes one message to c->err (when it has room). */
void zload_err(struct zload_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* First line of the record that ldns began at byte `from`, its line count
 * there being `line`; *content (may be NULL) tells whether record text
 * lies between from and to. Leaves fp at byte `to`. O(to - from). */
int zload_record_line(FILE *fp, long from, long to, int line, bool *content);

/* Opens a regular file for reading through a stream that keeps its own
 * offset (ftell() without a system call); NULL with *rc a negative errno. */
FILE *zload_open(const char *path, int *rc);

/* Frees the rdfs of st and clears them. */
void zload_state_free(struct zload_state *st);

/* Reads records from fp's position until byte `end` (-1: the end of the
 * file) with the ldns state st, which it updates as ldns does, and hands
 * each to the builder or, with c->part set, to zsplit_put(); a record that
 * begins before `end` is read to its end. depth: $INCLUDE nesting. Returns
 * 0 or the first error, written to c->err as "FILE:LINE: REASON". */
int zload_run(struct zload_ctx *c, FILE *fp, const char *path,
	      struct zload_state *st, int depth, long end);

/* --- zsplit.c, for the loader --- */

/* Loads the top-level file path (origin orig, borrowed) into c->b on
 * several threads, with the result and the errors of a load on one. Returns
 * 1 when it did not split the file (too small, one CPU, no cut found):
 * then the caller loads it on this thread; else 0 or the first error.
 * Calling thread only; starts and joins its threads before it returns. */
int zsplit_load(struct zload_ctx *c, const char *path, ldns_rdf *orig);

/* A part's record sink (zload_run() with c->part set): copies the record
 * into the part's buffer, handing full blocks to the feeding thread.
 * Returns 0, -ENOMEM, or -ECANCELED when the load is being abandoned. */
int zsplit_put(struct zload_ctx *c, const ldns_rr *rr, const uint8_t *rdata,
	       size_t rdlen, long from, int before);

/* Makes path (an included file) the file of the part's next records.
 * Returns 0 or -ENOMEM. */
int zsplit_path(struct zload_ctx *c, const char *path);

/* zload_set_split() (zload.h). */
void zsplit_set(size_t min_bytes, int parts);

#endif
