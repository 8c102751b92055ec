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

/* A member a build left out for a reset, and its owner then. */
struct catalog_reset {
	char *name;
	char *owner;
};

struct catalogs {
	struct catalog_entry *e;
	size_t count, cap;
	/* resets: the last build's (read by this one); resets_next: this
	 * build's own (emptied before a build, swapped in after) */
	struct catalog_reset *resets, *resets_next;
	size_t nresets, resets_cap, nresets_next, resets_next_cap;
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
	return a->count == b->count && a->ncoo == b->ncoo &&
	       (a->count == 0 ||
		memcmp(a->m, b->m, a->count * sizeof(*a->m)) == 0) &&
	       (a->ncoo == 0 ||
		memcmp(a->coo, b->coo, a->ncoo * sizeof(*a->coo)) == 0);
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
	uint8_t apex[CATALOGS_MAX][NAME_MAX_LEN + 1];  /* lowercase wire */
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
	const uint8_t *coo;

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
	coo = m ? catalog_coo(&set->e[owner]->list, m) : NULL;
	if (!coo)
		return owner;
	/* change of ownership: to the catalog it names, when that one lists
	 * the member too and its own entry does not name the owner back
	 * (two catalogs pointing at each other would swap it at every
	 * reload) */
	for (size_t i = 0; i < set->n; i++) {
		const struct catalog_member *t;
		const uint8_t *back;

		if (i == owner || memcmp(set->apex[i], coo,
					 name_length(set->apex[i])) != 0 ||
		    !(t = catalog_find(&set->e[i]->list, lname)))
			continue;
		back = catalog_coo(&set->e[i]->list, t);
		if (back && memcmp(back, set->apex[owner],
				   name_length(set->apex[owner])) == 0)
			return owner;
		return i;
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

/* A member this build will add. */
struct candidate {
	char *name;                     /* presentation, no final dot */
	char *path;                     /* its file, or NULL */
	const struct catalog_member *m;
	size_t ci;                      /* its owner in the set */
	unsigned t;                     /* its template */
	bool refused;
};

struct build {
	struct catalogs *c;
	struct config *cfg;
	const struct config *prev;
	struct owner_set set;
	struct candidate *cand;
	size_t ncand, cap;
	bool again;
};

static const char *reset_owner(const struct catalogs *c, const char *name)
{
	for (size_t i = 0; i < c->nresets; i++)
		if (strcasecmp(c->resets[i].name, name) == 0)
			return c->resets[i].owner;
	return NULL;
}

/* Remembers that member name was left out of this build for a reset by
 * owner: the next build gives it back to owner, whoever else lists it. */
static int reset_keep(struct catalogs *c, const char *name,
		      const char *owner)
{
	struct catalog_reset *r;

	if (c->nresets_next == c->resets_next_cap) {
		size_t cap = c->resets_next_cap ? c->resets_next_cap * 2 : 8;
		void *p = realloc(c->resets_next, cap * sizeof(*r));

		if (!p)
			return -ENOMEM;
		c->resets_next = p;
		c->resets_next_cap = cap;
	}
	r = &c->resets_next[c->nresets_next];
	if (!(r->name = strdup(name)) || !(r->owner = strdup(owner))) {
		free(r->name);
		return -ENOMEM;
	}
	c->nresets_next++;
	return 0;
}

static void resets_free(struct catalog_reset *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(r[i].name);
		free(r[i].owner);
	}
}

/* Decides on member m of catalog ci: a candidate, or nothing (logged). */
static int consider(struct build *b, size_t ci, const struct catalog_member *m)
{
	const char *cat = b->set.e[ci]->domain;
	char name[NAME_MAX_LEN * 4 + 2];
	const struct config_zone *pz, *here;
	const char *prev_owner, *forced;
	struct candidate *cd;
	size_t nl, owner;

	if (m->name[0] == 0) {
		log_error("catalog %s: member '.' refused: the root is no "
			  "member zone", cat);
		return 0;
	}
	name_to_text(m->name, name, sizeof(name));
	nl = strlen(name);
	if (nl > 1 && name[nl - 1] == '.')
		name[nl - 1] = '\0';
	here = config_find_zone(b->cfg, name);
	if (here) {             /* here are the file's zones only */
		log_warning("catalog %s: member %s is a zone of the "
			    "configuration: it stays as configured", cat, name);
		return 0;
	}
	pz = b->prev ? config_find_zone(b->prev, name) : NULL;
	if (pz && !pz->member_of)
		pz = NULL;      /* was local: the catalog takes it now */
	forced = reset_owner(b->c, name);
	prev_owner = forced ? forced : pz ? pz->member_of : NULL;
	owner = owner_of(&b->set, m->name, prev_owner);
	if (owner != ci) {
		log_info("catalog %s: member %s is owned by catalog %s", cat,
			 name, b->set.e[owner]->domain);
		return 0;
	}
	/* a unique ID that changed, in the same catalog or in a move by
	 * coo (RFC 9432 5.5, 5.6), resets the member: left out now */
	if (!forced && pz && (pz->member_id_len != m->id_len ||
			      memcmp(pz->member_id, m->id, m->id_len) != 0)) {
		log_info("catalog %s: member %s: unique ID changed: reset "
			 "(removed now, transferred again next)", cat, name);
		b->again = true;
		return reset_keep(b->c, name, cat);
	}
	if (b->ncand == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		void *p = realloc(b->cand, cap * sizeof(*b->cand));

		if (!p)
			return -ENOMEM;
		b->cand = p;
		b->cap = cap;
	}
	cd = &b->cand[b->ncand];
	memset(cd, 0, sizeof(*cd));
	cd->m = m;
	cd->ci = ci;
	cd->t = member_template(b->cfg, b->set.z[ci], m);
	if (!(cd->name = strdup(name)))
		return -ENOMEM;
	b->ncand++;
	return 0;
}

struct path_ref {
	const char *path;
	size_t cand;            /* SIZE_MAX: a file the configuration has */
};

static int cmp_path(const void *a, const void *b)
{
	const struct path_ref *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	size_t rx = x->cand + 1, ry = y->cand + 1;   /* SIZE_MAX: 0, first */

	if (c)
		return c;
	return rx < ry ? -1 : rx > ry;
}

/* Refuses every candidate whose file is another's: a zone of the file
 * (its file would be overwritten by the member's copy, then deleted when
 * the member goes), the configuration file, the control socket, the
 * journal's directory, or a candidate before it (two templates can
 * spell one path). O(n log n). */
static int check_paths(struct build *b)
{
	const struct config *cfg = b->cfg;
	size_t n = 0, cap = cfg->zone_count + b->ncand + 2;
	struct path_ref *refs = calloc(cap, sizeof(*refs));
	size_t jl = cfg->journal_db ? strlen(cfg->journal_db) : 0;
	char err[200];

	if (!refs)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->zone_count; i++)
		if (cfg->zones[i].file)
			refs[n++] = (struct path_ref){ cfg->zones[i].file,
						       SIZE_MAX };
	if (cfg->path)
		refs[n++] = (struct path_ref){ cfg->path, SIZE_MAX };
	if (cfg->control_listen)
		refs[n++] = (struct path_ref){ cfg->control_listen, SIZE_MAX };
	for (size_t i = 0; i < b->ncand; i++) {
		struct candidate *cd = &b->cand[i];
		int rc = config_member_file(cfg, cd->t, cd->name, &cd->path,
					    err, sizeof(err));

		if (rc == -ENOMEM) {
			free(refs);
			return rc;
		}
		if (rc < 0) {
			log_error("catalog %s: member refused: %s",
				  b->set.e[cd->ci]->domain, err);
			cd->refused = true;
			continue;
		}
		if (!cd->path)
			continue;
		if (jl && strncmp(cd->path, cfg->journal_db, jl) == 0 &&
		    (cd->path[jl] == '/' || cd->path[jl] == '\0')) {
			log_error("catalog %s: member %s refused: its file %s "
				  "is in the journal's directory",
				  b->set.e[cd->ci]->domain, cd->name, cd->path);
			cd->refused = true;
			continue;
		}
		refs[n++] = (struct path_ref){ cd->path, i };
	}
	if (n > 1)
		qsort(refs, n, sizeof(*refs), cmp_path);
	/* sorted by path, then the configuration's files before the
	 * candidates, candidates in build order: each later one of a run
	 * of equal paths is refused */
	for (size_t i = 1; i < n; i++) {
		struct candidate *cd;

		if (strcmp(refs[i].path, refs[i - 1].path) != 0 ||
		    refs[i].cand == SIZE_MAX)
			continue;
		cd = &b->cand[refs[i].cand];
		cd->refused = true;
		log_error("catalog %s: member %s refused: its file %s is %s",
			  b->set.e[cd->ci]->domain, cd->name, cd->path,
			  refs[i - 1].cand == SIZE_MAX ?
			  "a file of the configuration" :
			  "another member's");
	}
	free(refs);
	return 0;
}

int catalogs_add_members(struct catalogs *c, struct config *cfg,
			 const struct config *prev, bool *again)
{
	struct build b;
	size_t nzones = cfg->zone_count;
	int rc = 0;

	memset(&b, 0, sizeof(b));
	b.c = c;
	b.cfg = cfg;
	b.prev = prev;
	*again = false;
	for (size_t i = 0; i < nzones; i++) {
		const struct config_zone *z = &cfg->zones[i];
		const struct catalog_entry *e;

		if (!z->catalog || !(e = entry_find(c, z->domain)) || !e->have)
			continue;
		if (b.set.n == CATALOGS_MAX) {
			log_error("catalog %s: more than %d catalogs: its "
				  "members are left out", z->domain,
				  CATALOGS_MAX);
			continue;
		}
		if (!name_from_text(z->domain, b.set.apex[b.set.n]))
			continue;
		b.set.e[b.set.n] = e;
		b.set.z[b.set.n] = z;
		b.set.n++;
	}
	/* the resets of the last build are given back now; this build's
	 * own go to the next */
	resets_free(c->resets_next, c->nresets_next);
	c->nresets_next = 0;
	for (size_t ci = 0; rc == 0 && ci < b.set.n; ci++) {
		const struct catalog *l = &b.set.e[ci]->list;

		for (size_t k = 0; rc == 0 && k < l->count; k++)
			rc = consider(&b, ci, &l->m[k]);
	}
	if (rc == 0)
		rc = check_paths(&b);
	/* cfg->zones moves as members are added: nothing above points
	 * into it from here on */
	for (size_t i = 0; rc == 0 && i < b.ncand; i++) {
		struct candidate *cd = &b.cand[i];
		char err[256];
		int r;

		if (cd->refused)
			continue;
		r = config_add_member(cfg, cd->name, b.set.e[cd->ci]->domain,
				      cd->m->id, cd->m->id_len, cd->t, err,
				      sizeof(err));
		if (r == -ENOMEM)
			rc = r;
		else if (r < 0)
			log_error("catalog %s: member refused: %s",
				  b.set.e[cd->ci]->domain, err);
	}
	for (size_t i = 0; i < b.ncand; i++) {
		free(b.cand[i].name);
		free(b.cand[i].path);
	}
	free(b.cand);
	/* this build's resets are what the next build reads */
	{
		struct catalog_reset *t = c->resets;
		size_t tn = c->nresets, tcap = c->resets_cap;

		resets_free(t, tn);
		c->resets = c->resets_next;
		c->nresets = c->nresets_next;
		c->resets_cap = c->resets_next_cap;
		c->resets_next = t;
		c->nresets_next = 0;
		c->resets_next_cap = tcap;
	}
	*again = b.again;
	return rc;
}

void catalogs_remove_files(const struct config *prev,
			   const struct config *cfg)
{
	for (size_t i = 0; prev && i < prev->zone_count; i++) {
		const struct config_zone *o = &prev->zones[i], *n;

		if (!o->member_of || !o->file)
			continue;
		n = config_find_zone(cfg, o->domain);
		/* kept: the same file, and not a reset (another unique ID:
		 * a reset leaves the member out of one configuration, so
		 * n is NULL then) */
		if (n && n->file && strcmp(n->file, o->file) == 0)
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

void catalogs_free(struct catalogs *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->count; i++) {
		free(c->e[i].domain);
		catalog_free(&c->e[i].list);
	}
	free(c->e);
	resets_free(c->resets, c->nresets);
	resets_free(c->resets_next, c->nresets_next);
	free(c->resets);
	free(c->resets_next);
	free(c);
}
