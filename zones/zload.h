/* zload.h -- zone file (RFC 1035 master file) to zone, with ldns.
 *
 * zload.c and its splitter zsplit.c (a large file on several threads) are
 * the only files in Levee that hold ldns objects for zone data. Records are
 * streamed one at a time (ldns_rr_new_frm_fp_l) into a zone_builder, so a
 * large zone never exists as an ldns_zone. Supports $ORIGIN, $TTL, $INCLUDE
 * (relative to the including file's directory), relative names, "@", every
 * type ldns knows and RFC 3597 "TYPEnnn \# len hex".
 */
#ifndef LEVEE_ZONES_ZLOAD_H
#define LEVEE_ZONES_ZLOAD_H

#include <stddef.h>

struct zone;

/* Loads the zone `origin` (presentation form, "example.com" or
 * "example.com.") from path. On success returns 0 and stores the zone in
 * *out. On failure returns a negative code and writes one line to err of the
 * form "FILE:LINE: REASON" (LINE omitted when the error concerns the whole
 * file, e.g. it cannot be opened or has no SOA); nothing is kept.
 * Main thread only (or any single thread: it touches no shared state). */
int zload_file(const char *origin, const char *path, struct zone **out,
	       char *err, size_t errlen);

/* Files of at least min_bytes (0: the default, 1 MiB) are cut into `parts`
 * parts (0: one per CPU the process may run on; at most 8) parsed on as many
 * threads at once; the result and the errors are those of a load on one
 * thread. For tests and benchmarks; main only, before any load. */
void zload_set_split(size_t min_bytes, int parts);

#endif
