/* internal.h -- shared between the files of zones/ only.
 *
 * Nothing outside zones/ includes this. It carries the reference count that
 * lets several zdb snapshots share one zone (zdb.c takes and drops the
 * references; zone.c owns the field).
 */
#ifndef LEVEE_ZONES_INTERNAL_H
#define LEVEE_ZONES_INTERNAL_H

struct zone;

/* Takes one reference (atomic). A built zone starts with one, owned by
 * whoever called zone_builder_finish(). */
void zone_ref(struct zone *z);

/* Drops one reference and frees the zone when it was the last. Atomic: the
 * call_rcu thread may drop references while main takes others. */
void zone_unref(struct zone *z);

#endif
