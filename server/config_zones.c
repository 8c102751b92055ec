/* config_zones.c -- the zones of a configuration, in order and by name.
 *
 * cfg->zones keeps the zones in configuration order (the order they are
 * loaded and added to the zone database). Beside it, an open-addressing
 * index finds a zone by name: keyed with SipHash-2-4 (libsodium's
 * crypto_shorthash) under a random key drawn when the index is made, so
 * no choice of names in a file makes the probes long, and neither a zone
 * given twice nor a -z flag costs a scan of the zones: N zones cost O(N)
 * work and memory (a slot is 16 bytes, at most 4 slots a zone). The key
 * decides only where a name sits in the index, never an order or a
 * result, so runs stay deterministic.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "common/errcode.h"
#include "server/config.h"
#include "server/internal.h"

/* A slot holds index + 1 into cfg->zones (0: empty) and the name's hash
 * (compared before the name, which lies elsewhere in memory); at most half
 * of the slots are used, linear probing. */
struct config_zslot {
	size_t zone;
	size_t hash;
};

struct config_zindex {
	struct config_zslot *slots;
	size_t mask;
	uint8_t key[crypto_shorthash_KEYBYTES];
};

/* A presentation name: labels of 1..63 bytes, at most 253 in all, no empty
 * label except the root ".". Escapes are not supported in config names. */
static bool domain_ok(const char *d, size_t len)
{
	size_t label = 0;

	if (len == 1 && d[0] == '.')
		return true;
	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)d[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (c <= ' ' || c == '\\' || c >= 127 || ++label > 63)
			return false;
	}
	return label > 0;
}

/* Length of domain without its trailing dot (the root "." stays). */
static size_t zone_name_len(const char *domain)
{
	size_t dl = strlen(domain);

	if (dl > 1 && domain[dl - 1] == '.')
		dl--;
	return dl;
}

/* The keyed hash of domain[0..len), case folded. len <= 253 (domain_ok)
 * or the name cannot be in the index; longer ones hash their first 255
 * bytes. */
static size_t zindex_hash(const struct config_zindex *x, const char *domain,
			  size_t len)
{
	unsigned char lc[255], h[crypto_shorthash_BYTES];
	size_t out;

	if (len > sizeof(lc))
		len = sizeof(lc);
	for (size_t i = 0; i < len; i++)
		lc[i] = (unsigned char)((domain[i] >= 'A' && domain[i] <= 'Z') ?
					domain[i] + 32 : domain[i]);
	crypto_shorthash(h, lc, len, x->key);
	memcpy(&out, h, sizeof(out));
	return out;
}

/* The slot holding domain[0..len), or the empty slot where it would go;
 * the name's hash in *hash. At most as many probes as the run of used
 * slots there (short: the index is at most half full, the hash keyed). */
static struct config_zslot *zindex_slot(const struct config *cfg,
					const char *domain, size_t len,
					size_t *hash)
{
	const struct config_zindex *x = cfg->zone_index;
	size_t h = zindex_hash(x, domain, len), i = h & x->mask;

	*hash = h;
	for (;; i = (i + 1) & x->mask) {
		struct config_zslot *s = &x->slots[i];
		const char *d;

		if (!s->zone)
			return s;
		if (s->hash != h)
			continue;
		d = cfg->zones[s->zone - 1].domain;
		if (strlen(d) == len && strncasecmp(d, domain, len) == 0)
			return s;
	}
}

/* Makes room for one more zone in the index (at most half full). 0 or
 * -ENOMEM. */
static int zindex_reserve(struct config *cfg)
{
	struct config_zindex *x = cfg->zone_index;
	struct config_zslot *old;
	size_t cap, oldcap;

	if (!x) {
		if (sodium_init() < 0 || !(x = calloc(1, sizeof(*x))))
			return -ENOMEM;
		randombytes_buf(x->key, sizeof(x->key));
		cfg->zone_index = x;
	}
	oldcap = x->slots ? x->mask + 1 : 0;
	if (2 * (cfg->zone_count + 1) <= oldcap)
		return 0;
	cap = oldcap ? 2 * oldcap : 64;
	old = x->slots;
	if (cap / 2 < cfg->zone_count + 1 ||
	    !(x->slots = calloc(cap, sizeof(*x->slots)))) {
		x->slots = old;
		return -ENOMEM;
	}
	x->mask = cap - 1;
	for (size_t i = 0; i < oldcap; i++) {
		struct config_zslot *s;

		if (!old[i].zone)
			continue;
		for (s = &x->slots[old[i].hash & x->mask]; s->zone;
		     s = &x->slots[(size_t)(s - x->slots + 1) & x->mask])
			;
		*s = old[i];
	}
	free(old);
	return 0;
}

const struct config_zone *config_find_zone(const struct config *cfg,
					   const char *domain)
{
	size_t dl = zone_name_len(domain), h;
	const struct config_zslot *s;

	if (!cfg->zone_index || !cfg->zone_index->slots)
		return NULL;
	s = zindex_slot(cfg, domain, dl, &h);
	return s->zone ? &cfg->zones[s->zone - 1] : NULL;
}

/* config_add_zone's work; file may be NULL only when !need_file. */
static int config_put_zone(struct config *cfg, const char *domain,
			   const char *file, bool need_file, int line,
			   char *err, size_t errlen)
{
	size_t dl = zone_name_len(domain), h;
	struct config_zslot *slot;
	struct config_zone *z;
	char *d, *f;

	if (!domain_ok(domain, dl)) {
		snprintf(err, errlen, "bad domain name '%s'", domain);
		return LV_ECONFIG;
	}
	if (need_file && (!file || !*file)) {
		snprintf(err, errlen, "no file for zone '%s'", domain);
		return LV_ECONFIG;
	}
	d = strndup(domain, dl);
	f = file && *file ? strdup(file) : NULL;
	if (!d || (file && *file && !f) || zindex_reserve(cfg) < 0)
		goto nomem;
	slot = zindex_slot(cfg, d, dl, &h);
	if (slot->zone) {
		z = &cfg->zones[slot->zone - 1];
		free(z->file);
		free(d);
		z->file = f;
		z->line = line;
		return 0;
	}
	if (cfg->zone_count == cfg->zone_cap) {
		size_t cap = cfg->zone_cap ? cfg->zone_cap * 2 : 8;

		if (cap > SIZE_MAX / sizeof(*z) ||
		    !(z = realloc(cfg->zones, cap * sizeof(*z))))
			goto nomem;
		cfg->zones = z;
		cfg->zone_cap = cap;
	}
	z = &cfg->zones[cfg->zone_count++];
	memset(z, 0, sizeof(*z));   /* every later key's default is 0 */
	z->domain = d;
	z->file = f;
	z->line = line;
	slot->zone = cfg->zone_count;
	slot->hash = h;
	return 0;
nomem:
	free(d);
	free(f);
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

int config_add_zone(struct config *cfg, const char *domain, const char *file,
		    int line, char *err, size_t errlen)
{
	return config_put_zone(cfg, domain, file, true, line, err, errlen);
}

int config_add_secondary(struct config *cfg, const char *domain,
			 const char *file, int line, char *err, size_t errlen)
{
	return config_put_zone(cfg, domain, file, false, line, err, errlen);
}

int config_member_file(const struct config *cfg, unsigned t,
		       const char *domain, char **out, char *err,
		       size_t errlen)
{
	const struct config_template *tp = &cfg->templates[t];
	const char *pct;
	char path[4096];
	int n;

	*out = NULL;
	/* the name becomes part of a path: no '/' (no "../" either, as
	 * a '.' inside a label would need an escape, which names here
	 * never have) */
	if (strchr(domain, '/')) {
		snprintf(err, errlen, "zone '%s': a name that cannot be a "
			 "file name", domain);
		return LV_ECONFIG;
	}
	if (!tp->file)
		return 0;
	pct = strstr(tp->file, "%s");
	n = snprintf(path, sizeof(path), "%.*s%s%s", (int)(pct - tp->file),
		     tp->file, domain, pct + 2);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		snprintf(err, errlen, "zone '%s': file name too long", domain);
		return LV_ECONFIG;
	}
	return (*out = strdup(path)) ? 0 : -ENOMEM;
}

int config_add_member(struct config *cfg, const char *domain,
		      const char *catalog, const uint8_t *id, size_t id_len,
		      unsigned t, char *err, size_t errlen)
{
	const struct config_template *tp = &cfg->templates[t];
	struct config_zone *z;
	char *owner, *file;
	int rc;

	if (config_find_zone(cfg, domain)) {
		snprintf(err, errlen, "zone '%s' is configured already",
			 domain);
		return LV_EEXIST;
	}
	if (id_len > sizeof(z->member_id)) {
		snprintf(err, errlen, "zone '%s': unique ID too long", domain);
		return LV_ECONFIG;
	}
	if ((rc = config_member_file(cfg, t, domain, &file, err, errlen)) < 0)
		return rc;
	if (!(owner = strdup(catalog))) {
		free(file);
		return -ENOMEM;
	}
	rc = config_put_zone(cfg, domain, file, false, -1, err, errlen);
	free(file);
	if (rc < 0) {
		free(owner);
		return rc;
	}
	z = &cfg->zones[cfg->zone_count - 1];
	z->member_of = owner;
	z->member_id_len = (uint8_t)id_len;
	memcpy(z->member_id, id, id_len);
	z->member_template = (uint8_t)t;
	z->primaries = tp->primaries;
	z->notify = tp->notify;
	z->acl = tp->acl;
	z->dnssec_validation = tp->dnssec_validation;
	z->zonefile_sync = tp->zonefile_sync;
	return 0;
}

void config_zones_free(struct config *cfg)
{
	for (size_t i = 0; i < cfg->zone_count; i++) {
		free(cfg->zones[i].domain);
		free(cfg->zones[i].file);
		free(cfg->zones[i].member_of);
	}
	free(cfg->zones);
	if (cfg->zone_index)
		free(cfg->zone_index->slots);
	free(cfg->zone_index);
	cfg->zones = NULL;
	cfg->zone_index = NULL;
	cfg->zone_count = cfg->zone_cap = 0;
}
