/* zone_diff.h -- the records two versions of a zone differ by.
 *
 * What a reload changed, for the IXFR journal (journal.h): every record of
 * `old` that `new` lacks is reported as removed, every record of `new` that
 * `old` lacks as added. Records compare by owner (lowercase), type, TTL
 * and RDATA bytes; a set whose TTL changed is removed and added whole (the
 * wire carries one TTL per set). The SOA is reported like any record (the
 * journal puts the two SOAs where IXFR wants them).
 *
 * The two may be unrelated builds of the same zone (a reload builds the new
 * version from the file) or versions that share nodes (zone_update.h):
 * only the data each version reads is compared. Work: one index walk of
 * each version and one lookup in the other per name; per pair of sets with
 * equal TTL and unequal bytes, a sort of each (O(k log k) for k records).
 * No allocation beyond the sort arrays of the largest pair of sets.
 */
#ifndef LEVEE_ZONES_ZONE_DIFF_H
#define LEVEE_ZONES_ZONE_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct zone;

/* One record: owner (lowercase wire, owner_len bytes) and rr = TYPE CLASS
 * TTL RDLENGTH RDATA as zone.h stores it (rr_len bytes). Valid during the
 * call. Returns 0 to go on, anything else to stop (zone_diff returns it). */
typedef int (*zone_diff_fn)(void *arg, bool added, const uint8_t *owner,
			    size_t owner_len, const uint8_t *rr, size_t rr_len);

/* Reports the differences between old and new (same apex) through fn: all
 * removals first, then all additions (each in index order). Returns 0, the
 * callback's non-zero value, -EINVAL when the apexes differ, or -ENOMEM.
 * Any thread; both versions must stay alive during the call. */
int zone_diff(const struct zone *old, const struct zone *new,
	      zone_diff_fn fn, void *arg);

#endif
