/* internal.h -- shared between the files of zones/ only.
 *
 * Nothing outside zones/ (and its unit test) includes this. It carries
 * the reference count that lets several zdb snapshots share one zone (zdb.c
 * takes and drops the references; zone.c owns the field), and one switch
 * for zload.c's tests.
 */
#ifndef LEVEE_ZONES_INTERNAL_H
#define LEVEE_ZONES_INTERNAL_H

#include <stdbool.h>

struct zone;

/* Takes one reference (atomic). A built zone starts with one, owned by
 * whoever called zone_builder_finish(). */
void zone_ref(struct zone *z);

/* Drops one reference and frees the zone when it was the last. Atomic: the
 * call_rcu thread may drop references while main takes others. */
void zone_unref(struct zone *z);

/* Tests only: when true, zload.c spoils the state it guesses for each part
 * of a split load (see zload_split), so every part after the first is
 * rejected and the file is finished on the calling thread. */
extern bool zload_test_bad_guess;

#endif
