/* exist_guard.h -- keeps the existence filter (server/exist_filter.h,
 * issue 16) in step with the served zones, and on only while the attack
 * mode is engaged.
 *
 * One struct exist_guard per daemon, made by the reactor group at start
 * (main, before the privilege drop: the maps are created then) when
 * `attack:` is not off and `name-filter:` is on. Its own thread (started
 * with the reactors) builds the set of the published zone snapshot
 * (zones/exist_set.h: read inside an RCU read-side section, off main and
 * off the reactors), writes it into the spare kernel map and swaps it in;
 * then, waking every EXIST_GUARD_POLL_MS, again whenever a snapshot was
 * published since, at most once every EXIST_GUARD_GAP_MS while the
 * attack mode is engaged and every EXIST_GUARD_IDLE_GAP_MS while it is
 * not (the marks below keep a set right between builds). The set is
 * ready when an attack starts: the filter is on from the reactors' next
 * batch after the mode engages, and it logs each change.
 * Each reactor attaches the program to its own UDP sockets when it sees
 * the mode engaged, and the usual filter back when it is not
 * (exist_guard_want, once a batch: a relaxed load), so a server not under
 * attack runs no part of it.
 *
 * A change of the zones never drops a name that exists in the version
 * served. main calls exist_guard_changing for each zone whose version
 * changes, is added or goes (or exist_guard_db_changing for a whole new
 * snapshot) before it publishes, and exist_guard_published after. The
 * first marks each such apex EXIST_OPAQUE in the live set (the zone and
 * all below it pass) and its ancestors EXIST_ABOVE (a miss below them
 * passes): until a set built from a snapshot that holds the change is
 * swapped in, the zone is not filtered; a new set swapped in gets the
 * marks made after its snapshot was read. More than EXIST_GUARD_MARKS
 * changing zones between two builds: the slot is emptied instead, and no
 * set built before that is swapped in. The cost to main: one or two bpf()
 * calls per label of each changing apex.
 *
 * Bounds: a set holds at most `capacity` names (name-filter-capacity);
 * zones with more are not filtered (one warning, the slot emptied). Both
 * maps have room for EXIST_GUARD_MARKS more, so a full set still takes
 * the marks of a change. A build costs O(names of every zone) on the
 * guard's thread: one SipHash per label below each apex, 16 bytes of
 * table per entry, then one bpf() batch per 4,096 names. A program run
 * costs one SipHash and one lookup per label walked: at most 127, and
 * only as deep as the deepest name of the zones (measured on 6.18: 0.2 to
 * 0.5 us for the usual names, 5.7 us for a 120-label chain).
 * The spare is refilled only after it was swapped out, and the kernel
 * waits for an RCU grace period in each update of the array of maps
 * (map-in-map: no program run that read the old set outlives the update;
 * measured 9 ms a swap or clear, taken with mu held): no program reads a
 * set while it is emptied and refilled.
 */
#ifndef LEVEE_SERVER_EXIST_GUARD_H
#define LEVEE_SERVER_EXIST_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/exist_filter.h"

#define EXIST_GUARD_POLL_MS 100
#define EXIST_GUARD_GAP_MS 1000         /* between builds, engaged */
#define EXIST_GUARD_IDLE_GAP_MS 30000   /* ... not engaged */
#define EXIST_GUARD_MARKS 4096   /* marked names between two builds */

struct attack;
struct zdb;
struct zone;

struct exist_guard_config {
	const struct attack *attack;   /* engaged: the filter is wanted */
	size_t capacity;               /* names a set may hold */
	unsigned sample;               /* 1 in sample would-be drops pass */
	bool classic;                  /* the program does the classic
					  filter's checks (no next program) */
	int next_prog_fd;              /* the kernel drop map's program, run
					  on what passes, or -1 */
};

struct exist_guard;

/* Loads the program and creates its maps (exist_filter_new). 0 with *out
 * set, or a negative errno (-ENOTSUP: not in this build; -EPERM: no
 * CAP_BPF; the caller warns and runs without it). Main, at start. */
int exist_guard_new(const struct exist_guard_config *c,
		    struct exist_guard **out);

/* Starts the thread. 0 or -errno. Main, once. */
int exist_guard_start(struct exist_guard *g);

/* Whether the reactors should have the program on their sockets (the
 * attack mode engaged). Any thread: one relaxed load. g NULL: false. */
bool exist_guard_want(const struct exist_guard *g);

/* Attaches the program to UDP socket fd (SO_ATTACH_BPF, replacing its
 * filter). 0 or -errno. The reactor that owns fd. */
int exist_guard_attach(const struct exist_guard *g, int fd);

/* Before main publishes a snapshot in which the zone of apex (lowercase
 * wire) changes, appears or goes. Main only. g NULL: nothing. */
void exist_guard_changing(struct exist_guard *g, const uint8_t *apex);

/* The same for every zone whose version differs between old and next
 * (by pointer, or by zone_serve_state), or that only one of them holds:
 * O(zones of both). Main only. */
void exist_guard_db_changing(struct exist_guard *g, const struct zdb *old,
			     const struct zdb *next);

/* After main published the snapshot the calls above announced. */
void exist_guard_published(struct exist_guard *g);

struct exist_guard_stats {
	bool engaged;        /* in use: loaded and the mode engaged */
	bool loaded;         /* a set is in the slot */
	size_t names;        /* entries of that set */
	size_t kernel_bytes; /* both kernel maps (exist_filter_memory) */
	uint64_t builds;     /* sets swapped in */
	uint64_t build_ms;   /* the last build, fill and swap */
	uint64_t counters[EXIST_FILTER_COUNTERS];   /* summed over CPUs */
};

/* What the filter did (counters read from the kernel: one bpf() call).
 * Main. 0 or -errno (then the counters are 0). */
int exist_guard_stats(struct exist_guard *g, struct exist_guard_stats *s);

/* Tests only (tests/unit/test_exist_guard.c): fn(arg) is called on the
 * guard's thread in each build, after the set was built and filled (or
 * found over capacity) and before the lock is taken again to swap it in,
 * so a test can announce and publish changes amid a build. NULL: none.
 * Any thread. */
void exist_guard_test_set_hook(struct exist_guard *g, void (*fn)(void *),
			       void *arg);

/* Tests only: the guard's filter, to run its program on a frame
 * (exist_filter_test_run: the DNS message 8 octets into the data, as on
 * a UDP socket). */
struct exist_filter *exist_guard_test_filter(struct exist_guard *g);

/* Stops and joins the thread, empties the slot, frees g (sockets keep
 * the program while they live). After the reactors stopped. NULL
 * accepted. */
void exist_guard_free(struct exist_guard *g);

#endif
