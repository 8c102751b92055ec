/* catalogs.h -- catalog zones consumed (RFC 9432): their members become
 * secondary zones of the configuration.
 *
 * The daemon keeps one struct catalogs: per zone with catalog-role:
 * interpret, the member list (zones/catalog.h) of the last version that
 * read well, and the reason the last one that did not was refused. A
 * refused version, an expired catalog, a catalog that never transferred:
 * the members stay as they are (a broken catalog never removes what is
 * served). When a list changes, the daemon runs a full reload whose
 * configuration is the file's plus the members (catalogs_add_members);
 * zones removed by it have their kept copies deleted after it is
 * published (catalogs_remove_files).
 *
 * Who owns a name (RFC 9432 5.4, 5.6):
 *   - a zone of the file (or -z) stays as configured; catalogs that list
 *     it are logged;
 *   - a name listed by several catalogs stays with the one that owns it
 *     now, unless that catalog's coo property for it names one of the
 *     others, which then takes it (its data kept when its unique ID there
 *     is the same), but not when that one's own coo points back (two
 *     catalogs would swap it at every reload);
 *   - otherwise the first catalog of the configuration that lists it;
 *   - a member whose unique ID (its node's label) differs from the one
 *     it was added with, in its owner or after a move by coo, is reset
 *     (RFC 9432 5.5): left out of one reload (its data, journal and copy
 *     go) and added by the next, which transfers it again (*again); that
 *     build gives it back to the catalog it had, whoever else lists it.
 * A member takes the template (config.h) its group property names among
 * its catalog's catalog-template, else the first of them. A member is
 * refused (logged) when it is the root, or when its file would be a
 * file of the configuration's zones, the configuration file, the
 * control socket, in the journal's directory, or another member's (its
 * copy would overwrite that file, and be deleted with the member).
 * Known limit: owners and unique IDs are not kept across a restart: the
 * first build after a start gives a name to the first catalog of the
 * configuration that lists it, sees no change of ID made while down, and
 * cannot delete the copies of members removed while down.
 *
 * Work: a catalog version read is O(m log m) for m members
 * (catalog_read); building a configuration O(M c log m) for M members of
 * c catalogs, plus the reload itself (one stat a member with a file).
 * Main only.
 */
#ifndef LEVEE_SERVER_CATALOGS_H
#define LEVEE_SERVER_CATALOGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CATALOGS_MAX 64        /* catalogs whose members are served (the
				  ownership rules compare them all) */

struct catalogs;
struct config;
struct zone;

/* An empty table, or NULL (out of memory). */
struct catalogs *catalogs_new(void);

/* Reads version z of catalog domain. 1 when its member list differs from
 * the last one read well (a reload must apply it), 0 when it does not or
 * the version was refused (the list stays; the reason logged, kept for
 * catalogs_status), -ENOMEM. */
int catalogs_update(struct catalogs *c, const char *domain,
		    const struct zone *z);

/* Forgets the catalogs cfg does not have (any more). */
void catalogs_prune(struct catalogs *c, const struct config *cfg);

/* Adds to cfg (read from the file, no member in it) the members of every
 * catalog of cfg by the rules above. prev: the configuration in force,
 * or NULL at start. *again: a member was left out for a reset. 0 or
 * -ENOMEM (cfg then has some of the members). */
int catalogs_add_members(struct catalogs *c, struct config *cfg,
			 const struct config *prev, bool *again);

/* Deletes the kept copies of the members of prev that cfg has not (or
 * keeps elsewhere). After the reload from prev to cfg is published. */
void catalogs_remove_files(const struct config *prev,
			   const struct config *cfg);

/* One line on catalog domain (members, last error) into buf; false when
 * domain was never read as a catalog. */
bool catalogs_status(const struct catalogs *c, const char *domain,
		     char *buf, size_t len);

void catalogs_free(struct catalogs *c);

#endif
