/* catalog.h -- reading a catalog zone (RFC 9432, version "2").
 *
 * A catalog is an ordinary zone whose data lists other zones:
 *
 *   version.CAT                  TXT "2"             (required, exactly)
 *   ID.zones.CAT                 PTR member.zone.    (one PTR per ID)
 *   group.ID.zones.CAT           TXT "name"          (optional, one)
 *   coo.ID.zones.CAT             PTR other.catalog.  (optional, one)
 *
 * catalog_read() turns one version of such a zone into its member list,
 * sorted by member name, or refuses the version with a reason: a missing
 * or other version, more than one PTR at a member node, a member listed
 * twice, more than one group or coo, a member name that is the catalog
 * itself or below it. A refused version changes nothing (the caller keeps
 * serving what the last good version listed). Every other name of the
 * catalog is ignored (RFC 9432 3: what a consumer does not know).
 *
 * Work: one walk of the version's nodes and a sort of the members,
 * O(n log n); memory: one struct catalog_member a member. At most
 * CATALOG_MAX_MEMBERS members (more: refused). Any thread that holds the
 * version; no global state.
 */
#ifndef LEVEE_ZONES_CATALOG_H
#define LEVEE_ZONES_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "common/name.h"

struct zone;

#define CATALOG_MAX_MEMBERS 1000000
#define CATALOG_GROUP_MAX 255      /* a TXT string's bytes */

struct catalog_member {
	uint8_t name[NAME_MAX_LEN + 1];    /* lowercase wire form */
	uint8_t id[64];                    /* the member node's label */
	uint8_t id_len;
	char group[CATALOG_GROUP_MAX + 1]; /* "" without a group property */
	uint8_t coo[NAME_MAX_LEN + 1];     /* coo target, lowercase wire;
					      coo[0] == 0 and coo_set false:
					      none */
	uint8_t coo_set;
};

struct catalog {
	struct catalog_member *m;          /* sorted by name (wire, memcmp) */
	size_t count;
};

/* Reads version z into *out (released with catalog_free, also after a
 * failure). 0, or LV_EMALF with the reason in err, or -ENOMEM. */
int catalog_read(const struct zone *z, struct catalog *out, char *err,
		 size_t errlen);

/* The member named lname (lowercase wire) or NULL. O(log n). */
const struct catalog_member *catalog_find(const struct catalog *c,
					  const uint8_t *lname);

void catalog_free(struct catalog *c);

#endif
