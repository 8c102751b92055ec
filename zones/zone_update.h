/* zone_update.h -- a new version of a zone: this version, minus these
 * records, plus those.
 *
 * Reload, IXFR and (later) DNSSEC maintenance change a zone through this
 * API. The new version shares with the one it came from every node, RRset
 * and index page the change does not touch (zone.h: versioned node data;
 * internal.h: index pages), so a change of a few records to a zone of
 * millions costs about what it touches, not the zone:
 *
 *   - Work: O(records changed x their name lengths) plus, per touched
 *     node, its records sorted again (removals found by binary search:
 *     O(n log n) for n records at one name); one index page (8 KiB) copied per
 *     page written and the page table (8 bytes per 1,024 slots) copied;
 *     O(nodes) once when a change adds or removes a zone cut or a DNAME
 *     (the flags of the names below are recomputed by a walk of the
 *     index) or makes a DNAME over existing names (checked by a walk of
 *     the index per such name; a change is refused at the first data
 *     found below one, so only DNAMEs whose names below all go in the
 *     same change cost more than one walk). Names chosen to crowd one
 *     index page are refused (LV_ECOLLIDE) once the index has doubled to
 *     ZONE_INDEX_SPREAD slots per name: never more.
 *   - Memory: per touched node one block (its new data, RRsets, targets,
 *     wire), the copied pages and page table, and new nodes in the
 *     family's arena. A node's older data is freed when no live version
 *     can read it; nodes and names stay in the arena until the zone's
 *     last version goes (a name removed is kept, GONE, so RRsets naming
 *     it stay valid and a change that brings it back finds it).
 *   - All or nothing. Every rule of zone_builder.h (class IN, inside the
 *     zone, one SOA at the apex and NS there, CNAME alone, no data below a
 *     DNAME) is checked on the result before anything shared is written; a
 *     change that breaks one is refused as a whole with the reason, and
 *     the version it came from is untouched and keeps serving. A record
 *     to remove that is not there refuses the change (LV_ENOREC), as an
 *     IXFR that does not apply must be.
 *   - One writer. A change is made of the newest version of the zone
 *     (LV_ESTALE otherwise), one at a time (LV_EBUSY), on any one thread
 *     (a worker); readers of every version go on without locks meanwhile.
 *     Running out of memory half way leaves the older version serving and
 *     refuses later changes of that zone (reload it from its file).
 *
 * Records: owner and RDATA in wire form, uncompressed, RDATA well formed
 * for its type (the caller parses: ldns), as zone_builder_add() takes
 * them. A record is equal to another when owner (ignoring ASCII case),
 * type and RDATA byte for byte are. Removing ignores the TTL. An RRset's
 * TTL after the change is that of its first record added by the change,
 * else the one it had.
 */
#ifndef LEVEE_ZONES_ZONE_UPDATE_H
#define LEVEE_ZONES_ZONE_UPDATE_H

#include <stddef.h>
#include <stdint.h>

struct zone;
struct zone_update;

/* Opens a change of base, which must be its zone's newest version. Stores
 * the change in *out and returns 0, or LV_ESTALE, LV_EBUSY, -ENOMEM. The
 * caller keeps its reference to base until the change is finished or
 * freed. */
int zone_update_new(const struct zone *base, struct zone_update **out);

/* Records one removal or addition (applied at finish, removals first).
 * Returns 0, or LV_ECLASS, LV_EOUTSIDE, LV_EMALF (an SOA off the apex or
 * malformed), -ENOMEM, with a one-line reason in err (may be NULL). A
 * refused record changes nothing; the caller may go on or free. */
int zone_update_remove(struct zone_update *u, const uint8_t *owner,
		       uint16_t type, uint16_t rclass, const uint8_t *rdata,
		       uint16_t rdlen, char *err, size_t errlen);
int zone_update_add(struct zone_update *u, const uint8_t *owner,
		    uint16_t type, uint16_t rclass, uint32_t ttl,
		    const uint8_t *rdata, uint16_t rdlen, char *err,
		    size_t errlen);

/* Applies the change. On success stores the new version (one reference,
 * the caller's: zdb_with() and publish, or zone_free()) in *out and
 * returns 0; else stores NULL and returns the rule broken (LV_ENOREC,
 * LV_ENOSOA, LV_ESOA2, LV_ENONS, LV_ECNAME, LV_EDNAME, LV_EMALF), or
 * LV_ECOLLIDE or -ENOMEM (then the zone takes no more changes), with the
 * reason in err. A change with nothing in it gives a
 * new version equal to base. Frees u in every case. */
int zone_update_finish(struct zone_update *u, struct zone **out, char *err,
		       size_t errlen);

/* A new version equal to base (its newest) marked expired (zone.h
 * zone_expired): how a secondary past its SOA expire stops being served
 * without leaving the snapshot, so its names get SERVFAIL and not REFUSED
 * (the least the query path must know: one flag read after the zone is
 * found). Costs an empty change (the index page table copied). 0 with
 * *out (the caller's), or what zone_update_new / _finish return. */
int zone_update_expired(const struct zone *base, struct zone **out,
			char *err, size_t errlen);

/* Abandons a change (nothing was applied). NULL accepted. */
void zone_update_free(struct zone_update *u);

#endif
