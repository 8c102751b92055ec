/* check.h -- what `levee --check` prints: the summary of what would be
 * served.
 *
 * After the configuration parsed and every zone was loaded (or refused),
 * check_summary() writes, on out, one line per configured zone (its serial
 * and record count, or why it was not loaded), the listen addresses, the
 * reactors and the user the server would run as, and one line per
 * defence saying whether it is on and with which figures. Plain text for a
 * person; the first line (the verdict) is the one scripts read. Main only;
 * O(zones) (one zdb_get each), no allocation.
 */
#ifndef LEVEE_SERVER_CHECK_H
#define LEVEE_SERVER_CHECK_H

#include <stddef.h>
#include <stdio.h>

struct config;
struct zdb;

/* Writes the summary of cfg and the snapshot db that loading its zones
 * gave (loaded and refused zones counted by daemon_zones_load) to out.
 * config_path: the file, or NULL (flags only). */
void check_summary(FILE *out, const struct config *cfg, const struct zdb *db,
		   const char *config_path, size_t loaded, size_t refused);

#endif
