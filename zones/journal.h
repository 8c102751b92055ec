/* journal.h -- the IXFR journal: each zone's changes, persisted in LMDB.
 *
 * One LMDB environment (a directory) holds the journal of every zone, as
 * Knot's does. A change takes a zone from serial `from` to serial `to` and
 * is stored as IXFR sends it (RFC 1995 4): the old SOA and the records
 * removed, then the new SOA and the records added. Per zone the changes
 * form one chain first..last; the rules that keep it usable:
 *   - a change whose serial does not go up (RFC 1982) is refused;
 *   - a change that does not start where the chain ends clears the chain
 *     first (a journal that does not end at the served serial is useless);
 *   - after each append the oldest changes are dropped until the zone
 *     holds at most max_depth changes and max_bytes bytes (a single change
 *     above max_bytes leaves the journal empty: IXFR falls back to AXFR);
 *   - the append, the trimming and the chain's bounds are one LMDB write
 *     transaction, committed (durable) before journal_append returns, so
 *     the caller publishes the version only after its change is on disk.
 * Readers copy one change out per read transaction and never hold one
 * across calls. Writers are serialised by LMDB; any thread may call any
 * function (the daemon writes from its reload worker).
 *
 * Keys: the apex (lowercase wire, self-delimiting) then 0x00 and the
 * change's `from` serial (big-endian), or 0x01 for the chain's bounds.
 */
#ifndef LEVEE_ZONES_JOURNAL_H
#define LEVEE_ZONES_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct journal;
struct zone;

struct journal_limits {
	uint64_t max_bytes;        /* per zone; default 100 MiB (knotd's) */
	uint32_t max_depth;        /* changes per zone; default 20 */
};

#define JOURNAL_DEFAULT_MAX_BYTES (100ull << 20)
#define JOURNAL_DEFAULT_MAX_DEPTH 20
#define JOURNAL_DEFAULT_MAP_BYTES (1ull << 30)

/* Opens (creating) the journal in directory dir, whose database may grow
 * to map_bytes. 0, or a negative code with the reason in err. */
int journal_open(const char *dir, uint64_t map_bytes, struct journal **out,
		 char *err, size_t errlen);
void journal_close(struct journal *j);

/* A change being assembled in memory. */
struct journal_change;

/* The change from old to new (same apex, serial going up), from
 * zone_diff. -ENOMEM, -EINVAL (apexes differ), or 0 with *out. */
int journal_change_diff(const struct zone *old, const struct zone *new,
			struct journal_change **out);

/* An empty change from..to; records added with journal_change_add (the
 * SOAs too: each is put first in its half). NULL when out of memory. */
struct journal_change *journal_change_new(uint32_t from, uint32_t to);
int journal_change_add(struct journal_change *c, bool added,
		       const uint8_t *owner, size_t owner_len,
		       const uint8_t *rr, size_t rr_len);
size_t journal_change_records(const struct journal_change *c);
void journal_change_free(struct journal_change *c);

/* Stores c at the end of apex's chain under lim (see above). 0; -EINVAL
 * when c's serial does not go up or it lacks an SOA in either half;
 * -ENOSPC when the database is full (then the zone's journal is cleared,
 * so that it never ends anywhere but at the served serial); or another
 * negative code (err says why). */
int journal_append(struct journal *j, const uint8_t *apex,
		   const struct journal_change *c,
		   const struct journal_limits *lim, char *err, size_t errlen);

/* The chain's bounds: first serial, last serial, changes, bytes.
 * -ENOENT when the zone has none. */
struct journal_info {
	uint32_t first, last;
	uint32_t count;
	uint64_t bytes;
};
int journal_info(struct journal *j, const uint8_t *apex,
		 struct journal_info *out);

/* Drops apex's whole chain. 0 (also when there was none) or an error. */
int journal_clear(struct journal *j, const uint8_t *apex);

/* The change that starts at serial `from`, copied into *buf (malloc'd,
 * *len bytes; the caller frees) with its end serial in *to. -ENOENT when
 * none starts there. */
int journal_get(struct journal *j, const uint8_t *apex, uint32_t from,
		uint32_t *to, uint8_t **buf, size_t *len);

/* The changes from serial `from` up to serial `to` condensed into one
 * (RFC 1995 5: what IXFR sends): the old SOA of `from`, the records
 * removed and not added back later; the new SOA of `to`, the records added
 * and not removed later. Reads the chain one change per read transaction;
 * memory: the distinct records of those changes (bounded by the zone's
 * journal-max-usage). -ENOENT when the chain does not reach from `from` to
 * `to` (the caller falls back to AXFR); -ENOMEM; LV_EMALF for a damaged
 * entry; -E2BIG when the changes read would pass max_bytes (0: no
 * bound; the journal's own bound holds then), checked before each change
 * is copied out: a caller bounds the work by max_bytes. */
int journal_condense(struct journal *j, const uint8_t *apex, uint32_t from,
		     uint32_t to, size_t max_bytes, struct journal_change **out);

/* The value of a change as journal_get returns it (malloc'd, *len bytes):
 * for answering from a condensed change. NULL when out of memory. */
uint8_t *journal_change_bytes(const struct journal_change *c, size_t *len);

/* The records of a change journal_walk accepted, in its order (the
 * removals, old SOA first, then the additions, new SOA first): *off 0 to
 * begin; false at the end. */
bool journal_record_next(const uint8_t *buf, size_t len, size_t *off,
			 const uint8_t **owner, size_t *owner_len,
			 const uint8_t **rr, size_t *rr_len);

/* Walks a change as journal_get returned it: the removals (old SOA
 * first), then the additions (new SOA first). fn's non-zero return stops
 * the walk and is returned; LV_EMALF when buf is not a well-formed change
 * (checked before any callback). */
typedef int (*journal_rr_fn)(void *arg, bool added, const uint8_t *owner,
			     size_t owner_len, const uint8_t *rr,
			     size_t rr_len);
int journal_walk(const uint8_t *buf, size_t len, journal_rr_fn fn,
		 void *arg);

/* A secondary's timers (xfrin.h), kept beside its journal as knotd keeps
 * its timer database: wall-clock seconds of the last good refresh and of
 * the expiry, and the serial they are about. One small record per zone in
 * the "timers" database, untouched by journal_clear. put: written at once
 * (one durable transaction) when none was written for
 * JOURNAL_TIMERS_DELAY_MS, else queued and written with the others of that
 * time in one transaction by a later put, journal_timers_flush (the
 * caller's timer) or journal_close: 10,000 transfers at start cost a few
 * transactions, not 10,000 fsyncs; a crash loses at most the timers of
 * the last JOURNAL_TIMERS_DELAY_MS the caller did not flush (knotd writes
 * its timers at stop only). At most JOURNAL_TIMERS_BATCH queued (a put
 * beyond writes them). get: the queued value or the kept one: 0, -ENOENT
 * (none kept), LV_EMALF or another error. Any thread; put O(queued). */
#define JOURNAL_TIMERS_DELAY_MS 1000
#define JOURNAL_TIMERS_BATCH 4096
struct journal_timers {
	int64_t last_refresh;
	int64_t expire_at;
	uint32_t serial;
};
int journal_timers_put(struct journal *j, const uint8_t *apex,
		       const struct journal_timers *t);
int journal_timers_get(struct journal *j, const uint8_t *apex,
		       struct journal_timers *t);
/* Writes the queued timers now (one transaction; 0 when none or another
 * thread is writing them), and how many are queued. Any thread. */
int journal_timers_flush(struct journal *j);
size_t journal_timers_pending(struct journal *j);

#endif
