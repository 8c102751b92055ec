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
#define CATALOG_GROUP_MAX 63       /* a template id's bytes at most: a
				      longer group names no template and
				      is kept as none */

/* 392 bytes a member: 10,000 members, 3.9 MB; the bound, 392 MB. */
struct catalog_member {
	uint8_t name[NAME_MAX_LEN + 1];    /* lowercase wire form */
	uint8_t id[63];                    /* the member node's label */
	uint8_t id_len;
	char group[CATALOG_GROUP_MAX + 1]; /* "" without a group property */
	uint32_t coo;                      /* coo target: index + 1 into
					      the catalog's coo[], 0: none */
};

struct catalog {
	struct catalog_member *m;          /* sorted by name (wire, memcmp) */
	size_t count;
	uint8_t (*coo)[NAME_MAX_LEN + 1];  /* the coo targets, lowercase
					      wire, as the members name them */
	size_t ncoo;
};

/* Member m's coo target (lowercase wire form) or NULL. */
static inline const uint8_t *catalog_coo(const struct catalog *c,
					 const struct catalog_member *m)
{
	return m->coo ? c->coo[m->coo - 1] : NULL;
}

/* Reads version z into *out (released with catalog_free, also after a
 * failure). 0, or LV_EMALF with the reason in err, or -ENOMEM. */
int catalog_read(const struct zone *z, struct catalog *out, char *err,
		 size_t errlen);

/* The member named lname (lowercase wire) or NULL. O(log n). */
const struct catalog_member *catalog_find(const struct catalog *c,
					  const uint8_t *lname);

void catalog_free(struct catalog *c);

#endif
