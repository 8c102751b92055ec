/* reload.c -- reloading zones (reload.h).
 *
 * reload_run walks the configuration in its order; a zone's old state is
 * found through the old configuration's name index (the table follows its
 * order), so a reload of 100,000 zones is linear. Each change makes a new snapshot from
 * the previous one with zdb_with/zdb_without and frees the intermediate
 * one (never published, it shares everything with the next).
 */
#include "server/reload.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "common/errcode.h"
#include "common/name.h"
#include "common/serial.h"
#include "server/config.h"
#include "server/log.h"
#include "server/sigcheck.h"
#include "zones/journal.h"
#include "zones/zdb.h"
#include "zones/zload.h"
#include "zones/zone.h"
#include "zones/zone_diff.h"
#include "zones/zone_update.h"

/* --- the table --- */

static void zstate_clear(struct zstate *z)
{
	free(z->domain);
	free(z->file);
	memset(z, 0, sizeof(*z));
}

void zstates_free(struct zstates *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->count; i++)
		zstate_clear(&s->z[i]);
	free(s->z);
	free(s);
}

static struct zstates *zstates_alloc(size_t n)
{
	struct zstates *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->z = calloc(n ? n : 1, sizeof(*s->z));
	if (!s->z) {
		free(s);
		return NULL;
	}
	s->count = n;
	return s;
}

static int zstate_names(struct zstate *z, const struct config_zone *cz)
{
	z->domain = strdup(cz->domain);
	z->file = cz->file ? strdup(cz->file) : NULL;
	return z->domain && (z->file || !cz->file) ? 0 : -ENOMEM;
}

struct zstates *zstates_new(const struct config *cfg)
{
	struct zstates *s = zstates_alloc(cfg->zone_count);

	if (!s)
		return NULL;
	for (size_t i = 0; i < cfg->zone_count; i++) {
		if (zstate_names(&s->z[i], &cfg->zones[i]) < 0) {
			zstates_free(s);
			return NULL;
		}
	}
	return s;
}

/* The file's identity into z; false when it cannot be read. */
static bool zstate_stat(struct zstate *z, uint64_t *dev, uint64_t *ino,
			uint64_t *size, int64_t *mtime_ns)
{
	struct stat st;

	if (!z->file || stat(z->file, &st) < 0)
		return false;
	*dev = st.st_dev;
	*ino = st.st_ino;
	*size = (uint64_t)st.st_size;
	*mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
		    st.st_mtim.tv_nsec;
	return true;
}

void zstates_stat_all(struct zstates *s)
{
	for (size_t i = 0; i < s->count; i++) {
		struct zstate *z = &s->z[i];

		z->have_stat = zstate_stat(z, &z->dev, &z->ino, &z->size,
					   &z->mtime_ns);
	}
}

/* The zone db serves under the domain of z, or NULL. */
static const struct zone *zstate_served(const struct zdb *db,
					const struct zstate *z)
{
	uint8_t wire[NAME_MAX_LEN + 1];
	size_t off = name_from_text(z->domain, wire);

	if (!off)
		return NULL;
	off--;          /* the root byte */
	const struct zone *found = zdb_find(db, wire);

	return found && zone_apex_node(found)->name_len == off + 1 ? found :
	       NULL;
}

void zstates_link(struct zstates *s, const struct zdb *db, time_t now)
{
	for (size_t i = 0; i < s->count; i++) {
		struct zstate *z = &s->z[i];

		z->zone = db ? zstate_served(db, z) : NULL;
		if (z->zone) {
			z->serial = zone_serial(z->zone);
			z->loaded_at = now;
			/* reported by the load already */
			z->sig = sigcheck_of(z->zone, (uint32_t)now,
					     sigcheck_margin());
		}
		z->checked_at = now;
	}
}

static bool domain_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 1 && a[la - 1] == '.')
		la--;
	if (lb > 1 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* --- the run --- */

/* The old state of domain: old follows old_cfg's order. */
static const struct zstate *reload_old_state(const struct config *old_cfg,
					     const struct zstates *old,
					     const char *domain)
{
	const struct config_zone *cz = config_find_zone(old_cfg, domain);
	size_t i = cz ? (size_t)(cz - old_cfg->zones) : SIZE_MAX;

	return i < old->count ? &old->z[i] : NULL;
}

struct run {
	struct zdb *db;           /* the newest snapshot, or NULL: cur */
	const struct zdb *cur;
	struct reload_counts *counts;
	time_t now;
	struct journal *journal;
	struct journal_limits lim;
};

static const struct zdb *run_db(const struct run *r)
{
	return r->db ? r->db : r->cur;
}

/* Replaces the run's snapshot by next (NULL: out of memory). */
static int run_step(struct run *r, struct zdb *next)
{
	if (!next)
		return -ENOMEM;
	zdb_free(r->db);
	r->db = next;
	return 0;
}

static bool in_only(const char *domain, const char *const *only, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (domain_eq(only[i], domain))
			return true;
	return false;
}

/* Commits the change old -> new to the journal; on failure clears the
 * zone's journal so that it never ends before the served serial. */
static void reload_journal_change(struct run *r, const struct zstate *ns,
				  const struct zone *old,
				  const struct zone *new)
{
	struct journal_change *c = NULL;
	char err[256] = "";
	int rc = journal_change_diff(old, new, &c);

	if (rc == 0)
		rc = journal_append(r->journal, zone_apex(new), c, &r->lim, err,
				    sizeof(err));
	if (rc) {
		log_warning("zone %s: change %u -> %u not journaled (%s): IXFR "
			    "from older serials falls back to AXFR", ns->domain,
			    zone_serial(old), zone_serial(new),
			    err[0] ? err : lv_strerror(rc));
		journal_clear(r->journal, zone_apex(new));
	} else {
		log_debug("zone %s: change %u -> %u journaled, %zu records",
			  ns->domain, zone_serial(old), zone_serial(new),
			  journal_change_records(c));
	}
	journal_change_free(c);
}

/* Clears z's journal when its chain does not end at serial. */
static void journal_check_one(struct journal *journal, const char *domain,
			      const struct zone *z, uint32_t serial)
{
	struct journal_info info;

	if (journal_info(journal, zone_apex(z), &info) != 0 ||
	    info.last == serial)
		return;
	log_info("zone %s: journal ends at serial %u, the zone is at %u: "
		 "journal cleared", domain, info.last, serial);
	journal_clear(journal, zone_apex(z));
}

/* One record of a change into the update (journal_walk's callback). */
static int replay_one(void *arg, bool added, const uint8_t *owner,
		      size_t owner_len, const uint8_t *rr, size_t rr_len)
{
	struct zone_update *u = arg;
	uint16_t type = (uint16_t)(rr[0] << 8 | rr[1]);
	uint16_t rclass = (uint16_t)(rr[2] << 8 | rr[3]);
	uint32_t ttl = (uint32_t)rr[4] << 24 | (uint32_t)rr[5] << 16 |
		       (uint32_t)rr[6] << 8 | rr[7];
	uint16_t rdlen = (uint16_t)(rr[8] << 8 | rr[9]);

	(void)owner_len;
	if (rr_len != 10u + rdlen)
		return LV_EMALF;
	return added ? zone_update_add(u, owner, type, rclass, ttl, rr + 10,
				       rdlen, NULL, 0)
		     : zone_update_remove(u, owner, type, rclass, rr + 10,
					  rdlen, NULL, 0);
}

/* z (at serial `from`) with the journal's changes up to `to` applied:
 * 0 with *out, or an error with err. */
static int journal_replay(struct journal *journal, const struct zone *z,
			  uint32_t from, uint32_t to, struct zone **out,
			  char *err, size_t errlen)
{
	struct journal_change *c = NULL;
	struct zone_update *u = NULL;
	uint8_t *buf;
	size_t len;
	int rc = journal_condense(journal, zone_apex(z), from, to, 0, &c);

	if (rc < 0) {
		snprintf(err, errlen, "the journal does not continue serial %u "
			 "(%s)", from, lv_strerror(rc));
		return rc;
	}
	buf = journal_change_bytes(c, &len);
	journal_change_free(c);
	if (!buf)
		return -ENOMEM;
	rc = zone_update_new(z, &u);
	if (rc == 0 && (rc = journal_walk(buf, len, replay_one, u)) == 0)
		return free(buf), zone_update_finish(u, out, err, errlen);
	free(buf);
	zone_update_free(u);
	snprintf(err, errlen, "%s", lv_strerror(rc));
	return rc;
}

void reload_journal_start(struct journal *journal, struct zstates *s,
			  const struct config *cfg, struct zdb **db)
{
	for (size_t i = 0; journal && i < s->count; i++) {
		struct zstate *zs = &s->z[i];
		struct journal_info info;
		struct zone *nz = NULL;
		struct zdb *next;
		char err[256];

		if (!zs->zone || journal_info(journal, zone_apex(zs->zone),
					      &info) != 0 ||
		    info.last == zs->serial)
			continue;
		if (i >= cfg->zone_count || !cfg->zones[i].primaries ||
		    !serial_lt(zs->serial, info.last)) {
			journal_check_one(journal, zs->domain, zs->zone,
					  zs->serial);
			continue;
		}
		if (journal_replay(journal, zs->zone, zs->serial, info.last,
				   &nz, err, sizeof(err)) < 0) {
			log_warning("zone %s: journal not replayed (%s): "
				    "serving the kept copy, serial %u", zs->domain,
				    err, zs->serial);
			journal_check_one(journal, zs->domain, zs->zone,
					  zs->serial);
			continue;
		}
		if (!(next = zdb_with(*db, nz))) {
			zone_free(nz);
			continue;
		}
		zdb_free(*db);
		*db = next;
		log_info("zone %s: journal replayed from serial %u to %u",
			 zs->domain, zs->serial, zone_serial(nz));
		zs->zone = nz;
		zs->serial = zone_serial(nz);
		zs->sig = sigcheck_of(nz, (uint32_t)zs->loaded_at,
				      sigcheck_margin());
	}
}

void reload_journal_check(struct journal *journal, const struct zstates *s)
{
	for (size_t i = 0; journal && i < s->count; i++)
		if (s->z[i].zone)
			journal_check_one(journal, s->z[i].domain, s->z[i].zone,
					  s->z[i].serial);
}

static int count_not_soa(void *arg, bool added, const uint8_t *owner,
			 size_t owner_len, const uint8_t *rr, size_t rr_len)
{
	(void)added;
	(void)owner;
	(void)owner_len;
	(void)rr_len;
	if (!(rr[0] == 0 && rr[1] == 6))
		++*(size_t *)arg;
	return 0;
}

/* A version of z whose SOA serial is `serial` (the change API: one SOA
 * out, one in). 0 with *out, or the change's code with err. */
static int zone_with_serial(struct zone *z, uint32_t serial,
			    struct zone **out, char *err, size_t errlen)
{
	const struct rrset *soa = zone_soa(z);
	const uint8_t *rr = soa->wire, *rd = rr + 10;
	uint16_t rdlen = (uint16_t)(rr[8] << 8 | rr[9]);
	size_t names = name_length(rd);
	struct zone_update *u = NULL;
	uint8_t nrd[512];
	int rc;

	names += name_length(rd + names);
	if (names + 20 != rdlen || rdlen > sizeof(nrd)) {
		snprintf(err, errlen, "malformed SOA");
		return LV_EMALF;
	}
	memcpy(nrd, rd, rdlen);
	nrd[names] = (uint8_t)(serial >> 24);
	nrd[names + 1] = (uint8_t)(serial >> 16);
	nrd[names + 2] = (uint8_t)(serial >> 8);
	nrd[names + 3] = (uint8_t)serial;
	if ((rc = zone_update_new(z, &u)))
		return rc;
	if ((rc = zone_update_remove(u, zone_apex(z), 6, 1, rd, rdlen, err,
				     errlen)) ||
	    (rc = zone_update_add(u, zone_apex(z), 6, 1, soa->ttl, nrd, rdlen,
				  err, errlen))) {
		zone_update_free(u);
		return rc;
	}
	return zone_update_finish(u, out, err, errlen);
}

/* serial-policy: increment for z, read again with a serial that is not
 * higher than the served one: its records compared with the served
 * version's (zone_diff); the same records keep the served version (0,
 * *out NULL), others make a version of z with the served serial + 1 in
 * *out (z freed). A negative code when the change API refuses. */
static int reload_increment(struct run *r, struct zstate *ns, struct zone *z,
			    struct zone **out, char *err, size_t errlen)
{
	size_t changed = 0;
	int rc;

	*out = NULL;
	rc = zone_diff(ns->zone, z, count_not_soa, &changed);
	if (rc)
		return rc;
	if (changed == 0)
		return 0;
	rc = zone_with_serial(z, ns->serial + 1, out, err, errlen);
	if (rc)
		return rc;
	zone_free(z);
	log_info("zone %s: %zu records changed, serial %u -> %u "
		 "(serial-policy: increment)", ns->domain, changed, ns->serial,
		 ns->serial + 1);
	(void)r;
	return 0;
}

/* Zone ns (its names set, its old state `old` or NULL) after this run. */
static int reload_zone(struct run *r, struct zstate *ns,
		       const struct zstate *old, bool increment,
		       uint8_t validation)
{
	struct zone *z = NULL;
	char err[sizeof(ns->error)];
	uint64_t dev = 0, ino = 0, size = 0;
	int64_t mtime = 0;
	bool have = zstate_stat(ns, &dev, &ino, &size, &mtime);
	int rc;

	ns->checked_at = r->now;
	ns->changed = false;
	if (old) {
		ns->zone = old->zone;
		ns->serial = old->serial;
		ns->loaded_at = old->loaded_at;
		ns->sig = old->sig;
		memcpy(ns->error, old->error, sizeof(ns->error));
		ns->have_stat = old->have_stat;
		ns->dev = old->dev;
		ns->ino = old->ino;
		ns->size = old->size;
		ns->mtime_ns = old->mtime_ns;
		if (have && old->have_stat && old->file &&
		    strcmp(old->file, ns->file) == 0 &&
		    dev == old->dev && ino == old->ino && size == old->size &&
		    mtime == old->mtime_ns) {
			r->counts->unchanged++;
			return 0;
		}
	}
	err[0] = '\0';
	rc = zload_file(ns->domain, ns->file, &z, err, sizeof(err));
	if (rc == 0)
		rc = sigcheck_validate(ns->domain, validation, &z, err,
				       sizeof(err));
	if (rc < 0) {
		snprintf(ns->error, sizeof(ns->error), "%s",
			 err[0] ? err : lv_strerror(rc));
		log_error("zone %s: reload failed, %s: %s", ns->domain,
			  ns->zone ? "the served version stays" :
			  "not served", ns->error);
		r->counts->failed++;
		return rc == -ENOMEM ? rc : 0;
	}
	/* the file was read: the next reload reads it only if it changes */
	ns->have_stat = have;
	ns->dev = dev;
	ns->ino = ino;
	ns->size = size;
	ns->mtime_ns = mtime;
	if (ns->zone && !serial_lt(ns->serial, zone_serial(z)) && increment) {
		struct zone *bumped;

		rc = reload_increment(r, ns, z, &bumped, err, sizeof(err));
		if (rc || !bumped) {
			zone_free(z);
			if (rc) {
				snprintf(ns->error, sizeof(ns->error),
					 "%.100s: serial-policy increment: %.120s",
					 ns->file, err[0] ? err :
					 lv_strerror(rc));
				log_error("zone %s: %s", ns->domain,
					  ns->error);
				r->counts->failed++;
				return rc == -ENOMEM ? rc : 0;
			}
			r->counts->unchanged++;
			return 0;
		}
		z = bumped;
	}
	if (ns->zone && !serial_lt(ns->serial, zone_serial(z))) {
		snprintf(ns->error, sizeof(ns->error), "%s: serial %u is not "
			 "higher than the served %u: not reloaded", ns->file,
			 zone_serial(z), ns->serial);
		log_warning("zone %s: %s", ns->domain, ns->error);
		zone_free(z);
		r->counts->kept++;
		return 0;
	}
	uint32_t serial = zone_serial(z);
	size_t records = zone_record_count(z);
	bool added = !ns->zone;
	struct zdb *next;

	if (r->journal && ns->zone)
		reload_journal_change(r, ns, ns->zone, z);
	else if (r->journal)
		journal_check_one(r->journal, ns->domain, z, zone_serial(z));
	next = zdb_with(run_db(r), z);

	if (!next) {
		zone_free(z);
		return -ENOMEM;
	}
	run_step(r, next);
	ns->zone = z;
	ns->changed = true;
	ns->loaded_at = r->now;
	ns->error[0] = '\0';
	ns->sig = sigcheck_report(ns->domain, z, (uint32_t)time(NULL),
				  sigcheck_margin());
	if (zone_nsec3_iterations(z) > 0)
		log_warning("zone %s: NSEC3 with %d extra iterations (RFC "
			    "9276: 0; refused above %d)", ns->domain,
			    zone_nsec3_iterations(z), zone_nsec3_iter_max());
	if (added) {
		log_info("zone %s loaded from %s: serial %u, %zu records",
			 ns->domain, ns->file, serial, records);
		r->counts->added++;
	} else {
		log_info("zone %s reloaded from %s: serial %u -> %u, %zu "
			 "records", ns->domain, ns->file, ns->serial, serial,
			 records);
		r->counts->reloaded++;
	}
	ns->serial = serial;
	return 0;
}

int reload_run(const struct config *cfg, const char *const *only,
	       size_t nonly, const struct config *old_cfg,
	       const struct zstates *old, const struct zdb *cur,
	       struct journal *journal, time_t now, struct zdb **db_out,
	       struct zstates **states_out, struct reload_counts *counts,
	       char *err, size_t errlen)
{
	struct run r = { NULL, cur, counts, now, journal,
			 { cfg->journal_max_usage, cfg->journal_max_depth } };
	struct zstates *ns;
	unsigned char *kept = NULL;
	int rc = -ENOMEM;

	*db_out = NULL;
	*states_out = NULL;
	memset(counts, 0, sizeof(*counts));
	err[0] = '\0';
	for (size_t i = 0; i < nonly; i++) {
		if (!config_find_zone(cfg, only[i])) {
			snprintf(err, errlen, "zone %s is not configured",
				 only[i]);
			return -ENOENT;
		}
	}
	ns = zstates_alloc(cfg->zone_count);
	if (!ns || !(kept = calloc(old->count ? old->count : 1, 1)))
		goto fail;
	for (size_t i = 0; i < cfg->zone_count; i++) {
		struct zstate *z = &ns->z[i];
		const struct zstate *o;

		if (zstate_names(z, &cfg->zones[i]) < 0)
			goto fail;
		o = reload_old_state(old_cfg, old, z->domain);
		if (o)
			kept[o - old->z] = 1;
		if (nonly && !in_only(z->domain, only, nonly)) {
			/* not asked for: as it was */
			if (o) {
				char *d = z->domain, *f = z->file;

				*z = *o;
				z->domain = d;
				z->file = f;
				z->changed = false;
			}
			continue;
		}
		if (cfg->zones[i].primaries && !o && z->file &&
		    access(z->file, F_OK) == 0) {
			/* a secondary new here (a catalog's member, a zone
			 * added to the file) with a kept copy: served from
			 * it at once, as at start (xfrin_configure takes it
			 * as the served version) */
			if ((rc = reload_zone(&r, z, NULL, false,
					      cfg->zones[i].dnssec_validation)) < 0)
				goto fail;
			continue;
		}
		if (cfg->zones[i].primaries) {
			/* a secondary: its versions come from transfers
			 * (xfrin.h), never from the file */
			if (o) {
				char *d = z->domain, *f = z->file;

				*z = *o;
				z->domain = d;
				z->file = f;
				z->changed = false;
			}
			counts->unchanged++;
			continue;
		}
		if ((rc = reload_zone(&r, z, o,
				      cfg->zones[i].serial_increment,
				      cfg->zones[i].dnssec_validation)) < 0)
			goto fail;
	}
	for (size_t i = 0; !nonly && i < old->count; i++) {
		const struct zstate *o = &old->z[i];

		if (kept[i] || !o->zone)
			continue;
		rc = run_step(&r, zdb_without(run_db(&r), zone_apex(o->zone)));
		if (rc < 0)
			goto fail;
		if (r.journal)
			journal_clear(r.journal, zone_apex(o->zone));
		log_info("zone %s removed", o->domain);
		counts->removed++;
	}
	free(kept);
	*db_out = r.db;
	*states_out = ns;
	return 0;
fail:
	free(kept);
	zdb_free(r.db);
	zstates_free(ns);
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}
