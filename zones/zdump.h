/* zdump.h -- a zone version written back as a zone file, atomically.
 *
 * How a secondary keeps its transferred copy (docs/decisions.md,
 * "Secondary persistence"): the version is written to a temporary file
 * beside `path` (`path` + ".levee-tmp"), fsync'd, renamed over `path`,
 * and the directory fsync'd, so a crash or a kill at any moment leaves
 * either the old file or the new one, whole, never a file that fails to
 * load. One record a line in presentation form (ldns), absolute names,
 * the SOA first; zload.h reads it back.
 *
 * Work: O(records) (one ldns conversion each) and the file's bytes of
 * I/O; memory: one record's text at a time. Any thread (a worker: a
 * large zone takes seconds); the version must stay alive (a hold) for
 * the call.
 */
#ifndef LEVEE_ZONES_ZDUMP_H
#define LEVEE_ZONES_ZDUMP_H

#include <stddef.h>

struct zone;

/* Writes z to path as above. 0, or a negative errno / LV_EMALF with the
 * reason in err; on failure path is as it was (the temporary removed). */
int zdump_write(const struct zone *z, const char *path, char *err,
		size_t errlen);

#endif
