/* reload.h -- reloading zones: which files changed, the new zone set.
 *
 * The daemon keeps one struct zstates beside the published zone set: per
 * configured zone its file, the file's identity when it was last read
 * (device, inode, size, modification time), the serial and time of the
 * version served, and the last error. reload_run() (a worker thread, never
 * a reactor) walks a configuration against it: a zone whose file did not
 * change is left as it is; a changed one is read again (zload_file) and
 * replaces the served version only when its serial is higher (RFC 1982),
 * otherwise the served version stays and a warning says why (secondaries
 * would drift apart silently); a file that does not load keeps the served
 * version and the error is kept for zone-status; zones new in the
 * configuration are added, zones gone from it removed. The result is a new
 * unpublished snapshot built from the served one with zdb_with/zdb_without
 * (the zones not touched are shared, not copied), and the new zstates.
 * Main publishes both together. With a journal, the difference between the
 * served and the new version of each replaced zone (zone_diff) is
 * committed to it before reload_run returns, so before it is published; a
 * change the journal cannot take clears that zone's journal (IXFR from
 * older serials then falls back to AXFR) and is logged.
 *
 * Work: one stat() per zone plus one zone load per changed file; memory:
 * the new versions of the changed zones beside the served ones until the
 * old are freed after the grace period.
 */
#ifndef LEVEE_SERVER_RELOAD_H
#define LEVEE_SERVER_RELOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "server/sigcheck.h"

struct config;
struct journal;
struct zdb;
struct zone;

struct zstate {
	char *domain;             /* as configured */
	char *file;
	bool have_stat;           /* the file's identity below is known */
	uint64_t dev, ino, size;
	int64_t mtime_ns;
	const struct zone *zone;  /* the served version, or NULL (refused) */
	uint32_t serial;
	time_t loaded_at;         /* when the served version was read */
	time_t checked_at;        /* the last reload that looked at it */
	char error[256];          /* the last failure or warning, or "" */
	/* The signature span of the version served (sigcheck.h), as last
	 * reported: what the periodic check compares with, so a change of
	 * state (into the margin, expired) is logged once. */
	struct sigcheck_state sig;
	bool changed;             /* a new version by the last run (NOTIFY) */
};

struct zstates {
	struct zstate *z;
	size_t count;
};

struct reload_counts {
	size_t reloaded, unchanged, kept, failed, added, removed;
};

/* The table after the first load: every zone of cfg, its file's identity
 * as stat() saw it before the load (see zstates_stat_all) and the zone db
 * serves under its name. NULL when out of memory. */
struct zstates *zstates_new(const struct config *cfg);

/* Records the file identities of every zone of s (before loading them:
 * a file changed in between is read again by the next reload). */
void zstates_stat_all(struct zstates *s);

/* Fills in the served version of each zone from db (after the load). */
void zstates_link(struct zstates *s, const struct zdb *db, time_t now);

/* A table follows the order of the configuration it was made for: the
 * state of cfg->zones[i] is s->z[i]. */

void zstates_free(struct zstates *s);

/* Builds the snapshot after a reload. cfg: the configuration to reload
 * to; only/nonly: when nonly > 0, only these zones (by name) are looked
 * at, the others kept as they are, and zones are neither added nor
 * removed; old: the current table; cur: the published snapshot (read
 * only; main publishes nothing meanwhile). Returns 0 with *db_out (NULL
 * when nothing changed) and *states_out (always new), or -ENOMEM (nothing
 * changed) or -ENOENT when a zone of `only` is not configured
 * (message in err). Logs each zone reloaded, kept, failed, added or
 * removed. old_cfg: the configuration old was made for. Any one
 * non-reactor thread. */
int reload_run(const struct config *cfg, const char *const *only,
	       size_t nonly, const struct config *old_cfg,
	       const struct zstates *old, const struct zdb *cur,
	       struct journal *journal, time_t now, struct zdb **db_out,
	       struct zstates **states_out, struct reload_counts *counts,
	       char *err, size_t errlen);

/* Clears the journal of every served zone of s whose chain does not end
 * at the zone's serial (logged). After a load, before serving. */
void reload_journal_check(struct journal *journal, const struct zstates *s);

/* At start, before the first publish (s made for cfg, its zones in *db):
 * a secondary whose kept copy is older than its journal (zonefile-sync N
 * or -1, a stop before the write) gets the journal's changes from the
 * copy's serial to the journal's last applied (one change, condensed as
 * IXFR out condenses them), so it serves what it served before the stop;
 * *db and s then hold the new version. Every other zone whose journal
 * does not end at its serial has the journal cleared (logged), as
 * reload_journal_check. Work: per replayed zone the changes' records;
 * memory: them (the journal's per-zone bound). Main only. */
void reload_journal_start(struct journal *journal, struct zstates *s,
			  const struct config *cfg, struct zdb **db);

#endif
