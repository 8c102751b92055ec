/* catalogs.c -- catalog zones consumed: members into the configuration
 * (catalogs.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/errcode.h"
#include "common/name.h"
#include "server/catalogs.h"
#include "server/config.h"
#include "server/log.h"
#include "zones/catalog.h"
#include "zones/zone.h"

struct catalog_entry {
	char *domain;                /* as configured */
	struct catalog list;         /* the last version read well */
	bool have;                   /* list is one (else none read yet) */
	uint32_t serial;             /* of that version */
	char error[256];             /* why the last version was refused */
};

struct catalogs {
	struct catalog_entry *e;
	size_t count, cap;
};

struct catalogs *catalogs_new(void)
{
	return calloc(1, sizeof(struct catalogs));
}

static struct catalog_entry *entry_find(const struct catalogs *c,
					const char *domain)
{
	size_t dl = strlen(domain);

	if (dl > 1 && domain[dl - 1] == '.')
		dl--;
	for (size_t i = 0; i < c->count; i++)
		if (strlen(c->e[i].domain) == dl &&
		    strncasecmp(c->e[i].domain, domain, dl) == 0)
			return &c->e[i];
	return NULL;
}

static bool lists_equal(const struct catalog *a, const struct catalog *b)
{
	return a->count == b->count &&
	       (a->count == 0 ||
		memcmp(a->m, b->m, a->count * sizeof(*a->m)) == 0);
}

int catalogs_update(struct catalogs *c, const char *domain,
		    const struct zone *z)
{
	struct catalog_entry *e = entry_find(c, domain);
	struct catalog list;
	char err[200];
	bool changed;
	int rc;

	if (!e) {
		char *d;

		if (c->count == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 4;
			void *p = realloc(c->e, cap * sizeof(*c->e));

			if (!p)
				return -ENOMEM;
			c->e = p;
			c->cap = cap;
		}
		if (!(d = strdup(domain)))
			return -ENOMEM;
		e = &c->e[c->count++];
		memset(e, 0, sizeof(*e));
		e->domain = d;
	}
	rc = catalog_read(z, &list, err, sizeof(err));
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0) {
		log_error("catalog %s: serial %u refused, its members stay as "
			  "they are: %s", domain, zone_serial(z), err);
		snprintf(e->error, sizeof(e->error), "serial %u refused: %s",
			 zone_serial(z), err);
		return 0;
	}
	e->error[0] = '\0';
	changed = !e->have || !lists_equal(&e->list, &list);
	catalog_free(&e->list);
	e->list = list;
	e->have = true;
	e->serial = zone_serial(z);
	if (changed)
		log_info("catalog %s: serial %u lists %zu members", domain,
			 e->serial, list.count);
	return changed ? 1 : 0;
}

void catalogs_prune(struct catalogs *c, const struct config *cfg)
{
	size_t k = 0;

	for (size_t i = 0; i < c->count; i++) {
		const struct config_zone *z = config_find_zone(cfg,
							       c->e[i].domain);

		if (z && z->catalog) {
			c->e[k++] = c->e[i];
			continue;
		}
		free(c->e[i].domain);
		catalog_free(&c->e[i].list);
	}
	c->count = k;
}

/* The catalog zones of cfg, in configuration order, with a list read. */
struct owner_set {
	const struct catalog_entry *e[CATALOGS_MAX];
	const struct config_zone *z[CATALOGS_MAX];
	size_t n;
};

/* Which of the catalogs in set owns member lname (listed by at least
 * one of them): by the rules of catalogs.h. prev_owner: the catalog that
 * owns it in the configuration in force, or NULL. */
static size_t owner_of(const struct owner_set *set, const uint8_t *lname,
		       const char *prev_owner)
{
	size_t first = SIZE_MAX, prev = SIZE_MAX, owner;
	const struct catalog_member *m;

	for (size_t i = 0; i < set->n; i++) {
		if (!catalog_find(&set->e[i]->list, lname))
			continue;
		if (first == SIZE_MAX)
			first = i;
		if (prev_owner && strcasecmp(set->e[i]->domain, prev_owner) == 0)
			prev = i;
	}
	owner = prev != SIZE_MAX ? prev : first;
	m = catalog_find(&set->e[owner]->list, lname);
	if (m && m->coo_set) {
		/* change of ownership: to the catalog it names, when that
		 * one lists the member too */
		for (size_t i = 0; i < set->n; i++) {
			uint8_t lapex[NAME_MAX_LEN + 1];

			if (i == owner || !name_from_text(set->e[i]->domain,
							  lapex))
				continue;
			if (memcmp(lapex, m->coo, name_length(lapex)) == 0 &&
			    catalog_find(&set->e[i]->list, lname))
				return i;
		}
	}
	return owner;
}

/* The template of member m in catalog z: its group's, else the first. */
static unsigned member_template(const struct config *cfg,
				const struct config_zone *z,
				const struct catalog_member *m)
{
	for (unsigned i = 0; m->group[0] && i < z->catalog_template_count;
	     i++) {
		unsigned t = z->catalog_templates[i];

		if (strcmp(cfg->templates[t].id, m->group) == 0)
			return t;
	}
	return z->catalog_templates[0];
}

static int add_member(struct config *cfg, const struct owner_set *set,
		      size_t ci, const struct catalog_member *m,
		      const struct config *prev, bool *again)
{
	const char *cat = set->e[ci]->domain;
	char name[NAME_MAX_LEN * 4 + 2], err[256];
	const struct config_zone *pz, *here;
	size_t nl, owner;
	int rc;

	name_to_text(m->name, name, sizeof(name));
	nl = strlen(name);
	if (nl > 1 && name[nl - 1] == '.')
		name[nl - 1] = '\0';
	here = config_find_zone(cfg, name);
	if (here && !here->member_of) {
		log_warning("catalog %s: member %s is a zone of the "
			    "configuration: it stays as configured", cat, name);
		return 0;
	}
	if (here) {             /* a catalog before took it */
		log_info("catalog %s: member %s is owned by catalog %s", cat,
			 name, here->member_of);
		return 0;
	}
	pz = prev ? config_find_zone(prev, name) : NULL;
	if (pz && !pz->member_of)
		pz = NULL;      /* was local: the catalog takes it now */
	owner = owner_of(set, m->name, pz ? pz->member_of : NULL);
	if (owner != ci) {
		log_info("catalog %s: member %s is owned by catalog %s", cat,
			 name, set->e[owner]->domain);
		return 0;
	}
	if (pz && strcasecmp(pz->member_of, cat) == 0 &&
	    (pz->member_id_len != m->id_len ||
	     memcmp(pz->member_id, m->id, m->id_len) != 0)) {
		log_info("catalog %s: member %s: unique ID changed: reset "
			 "(removed now, transferred again next)", cat, name);
		*again = true;
		return 0;
	}
	rc = config_add_member(cfg, name, cat, m->id, m->id_len,
			       member_template(cfg, set->z[ci], m), err,
			       sizeof(err));
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0)
		log_error("catalog %s: member refused: %s", cat, err);
	return 0;
}

int catalogs_add_members(const struct catalogs *c, struct config *cfg,
			 const struct config *prev, bool *again)
{
	struct owner_set set;
	size_t nzones = cfg->zone_count;
	int rc;

	*again = false;
	set.n = 0;
	for (size_t i = 0; i < nzones; i++) {
		const struct config_zone *z = &cfg->zones[i];
		const struct catalog_entry *e;

		if (!z->catalog || !(e = entry_find(c, z->domain)) || !e->have)
			continue;
		if (set.n == CATALOGS_MAX) {
			log_error("catalog %s: more than %d catalogs: its "
				  "members are left out", z->domain,
				  CATALOGS_MAX);
			continue;
		}
		set.e[set.n] = e;
		set.z[set.n] = z;
		set.n++;
	}
	for (size_t ci = 0; ci < set.n; ci++) {
		const struct catalog *l = &set.e[ci]->list;

		for (size_t k = 0; k < l->count; k++) {
			/* cfg->zones may move as members are added: the
			 * set's zone pointers are re-found */
			set.z[ci] = config_find_zone(cfg, set.e[ci]->domain);
			if ((rc = add_member(cfg, &set, ci, &l->m[k], prev,
					     again)) < 0)
				return rc;
		}
	}
	return 0;
}

void catalogs_remove_files(const struct config *prev,
			   const struct config *cfg)
{
	for (size_t i = 0; prev && i < prev->zone_count; i++) {
		const struct config_zone *o = &prev->zones[i], *n;

		if (!o->member_of || !o->file)
			continue;
		n = config_find_zone(cfg, o->domain);
		/* kept: the same file, and not a reset (the same owner
		 * with another unique ID); a move to another catalog (coo)
		 * or into the file keeps its data */
		if (n && n->file && strcmp(n->file, o->file) == 0 &&
		    !(n->member_of &&
		      strcasecmp(n->member_of, o->member_of) == 0 &&
		      (n->member_id_len != o->member_id_len ||
		       memcmp(n->member_id, o->member_id,
			      o->member_id_len) != 0)))
			continue;
		if (unlink(o->file) == 0)
			log_info("zone %s: no longer a member of %s: its copy "
				 "%s removed", o->domain, o->member_of, o->file);
	}
}

bool catalogs_status(const struct catalogs *c, const char *domain,
		     char *buf, size_t len)
{
	const struct catalog_entry *e = entry_find(c, domain);

	if (!e)
		return false;
	if (e->have)
		snprintf(buf, len, "catalog: %zu members (serial %u)%s%s",
			 e->list.count, e->serial, e->error[0] ? ", " : "",
			 e->error);
	else
		snprintf(buf, len, "catalog: none read%s%s",
			 e->error[0] ? ", " : "", e->error);
	return true;
}

size_t catalogs_member_count(const struct catalogs *c)
{
	size_t n = 0;

	for (size_t i = 0; c && i < c->count; i++)
		n += c->e[i].list.count;
	return n;
}

void catalogs_free(struct catalogs *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->count; i++) {
		free(c->e[i].domain);
		catalog_free(&c->e[i].list);
	}
	free(c->e);
	free(c);
}
