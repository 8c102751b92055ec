/* config.c -- YAML configuration through libyaml's event API.
 *
 * The file is read as a stream of events, never as a whole document: the
 * top-level mapping is walked here, and each section's value is composed
 * into a small document of its own (ycompose.h) and walked with two
 * tables: config_sections maps a top-level key to a parse function, and
 * config_server_keys maps each key of the server: section to a value
 * parser and the offset of its field in struct config. Adding a section or
 * a key is adding a row. The zones: list is the exception: each entry is
 * composed, checked and copied into cfg, then dropped, so a 100,000-zone
 * file costs what cfg keeps of it (names and paths) and not a tree of it.
 * Every node carries its start mark, so each error names the line of the
 * offending key or value. Strings are copied into cfg (malloc).
 * The zones and their index by name are config_zones.c's.
 */
#include "server/config.h"
#include "server/sigcheck.h"
#include "zones/journal.h"
#include "zones/zone.h"

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sodium.h>
#include <yaml.h>

#include "server/internal.h"
#include "server/log.h"
#include "server/ycompose.h"
#include "common/errcode.h"

/* State of one config_load(). */
struct zone_opts;

struct cparse {
	struct config *cfg;
	yaml_parser_t *parser;
	yaml_document_t *doc;     /* the section or zone entry being walked */
	const char *path;
	char *err;
	size_t errlen;
	uint64_t zone_acl;        /* the acl: list of the zone entry parsed */
	struct zone_opts *zone_opts;  /* the zone or template entry parsed */
	bool xdp_udp_off;         /* xdp: udp: off */
};

struct config_key;
typedef int (*config_value_fn)(struct cparse *p, const struct config_key *k,
			       yaml_node_t *v);

struct config_key {
	const char *name;
	config_value_fn parse;
	size_t off;               /* offset of the field in struct config */
	long min, max;            /* for integers */
};

/* A top-level key: parse walks its composed value, or stream reads the
 * value's events itself (zones:, whose list may be long). */
struct config_section {
	const char *name;
	int (*parse)(struct cparse *p, const char *key, yaml_node_t *v);
	int (*stream)(struct cparse *p, const char *key, yaml_event_t *first);
};

static int cerr_at(struct cparse *p, size_t line, const char *key,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int cerr(struct cparse *p, const yaml_node_t *n, const char *key,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int cerr_va(struct cparse *p, size_t line, const char *key,
		   const char *fmt, va_list ap)
{
	char reason[256];

	vsnprintf(reason, sizeof(reason), fmt, ap);
	if (key)
		snprintf(p->err, p->errlen, "%s:%zu: key '%s': %s", p->path,
			 line, key, reason);
	else
		snprintf(p->err, p->errlen, "%s:%zu: %s", p->path, line,
			 reason);
	return LV_ECONFIG;
}

/* Formats "FILE:LINE: key 'KEY': REASON" into p->err; line is 0-based
 * (libyaml's marks). Returns LV_ECONFIG. */
static int cerr_at(struct cparse *p, size_t line, const char *key,
		   const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = cerr_va(p, line + 1, key, fmt, ap);
	va_end(ap);
	return rc;
}

/* The same at node n's line (0 without a node). */
static int cerr(struct cparse *p, const yaml_node_t *n, const char *key,
		const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = cerr_va(p, n ? n->start_mark.line + 1 : 0, key, fmt, ap);
	va_end(ap);
	return rc;
}

/* A ycompose error as a config error. */
static int cerr_yc(struct cparse *p, const struct ycompose_err *e)
{
	return cerr_at(p, e->line, NULL, "%s", e->msg);
}

static const char *scalar(const yaml_node_t *n)
{
	if (!n || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

static void *field(struct cparse *p, const struct config_key *k)
{
	return (char *)p->cfg + k->off;
}

static int set_string(char **dst, const char *s)
{
	char *c = strdup(s);

	if (!c)
		return -ENOMEM;
	free(*dst);
	*dst = c;
	return 0;
}

/* --- value parsers --- */

static int parse_long(const char *s, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s)
		return -1;
	*out = v;
	return 0;
}

static int val_uint(struct cparse *p, const struct config_key *k,
		    yaml_node_t *v)
{
	const char *s = scalar(v);
	long n;

	if (parse_long(s, &n) < 0 || n < k->min || n > k->max)
		return cerr(p, v, k->name,
			    "expected an integer from %ld to %ld", k->min,
			    k->max);
	*(unsigned *)field(p, k) = (unsigned)n;
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	if (!s)
		return -1;
	for (int i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return *out = true, 0;
		if (strcasecmp(s, no[i]) == 0)
			return *out = false, 0;
	}
	return -1;
}

static int val_bool(struct cparse *p, const struct config_key *k,
		    yaml_node_t *v)
{
	if (parse_bool(scalar(v), (bool *)field(p, k)) < 0)
		return cerr(p, v, k->name, "expected true or false");
	return 0;
}

static int val_string(struct cparse *p, const struct config_key *k,
		      yaml_node_t *v)
{
	const char *s = scalar(v);

	if (!s || !*s)
		return cerr(p, v, k->name, "expected a non-empty string");
	if (strlen(s) > 255)
		return cerr(p, v, k->name, "longer than 255 characters");
	if (set_string((char **)field(p, k), s) < 0)
		return cerr(p, v, k->name, "out of memory");
	return 0;
}

static int val_user(struct cparse *p, const struct config_key *k,
		    yaml_node_t *v)
{
	const char *s = scalar(v);

	if (!s || !*s)
		return cerr(p, v, k->name, "expected a user name");
	if (!getpwnam(s))
		return cerr(p, v, k->name, "no such user '%s'", s);
	return val_string(p, k, v);
}

static int val_group(struct cparse *p, const struct config_key *k,
		     yaml_node_t *v)
{
	const char *s = scalar(v);

	if (!s || !*s)
		return cerr(p, v, k->name, "expected a group name");
	if (!getgrnam(s))
		return cerr(p, v, k->name, "no such group '%s'", s);
	return val_string(p, k, v);
}

static int val_logformat(struct cparse *p, const struct config_key *k,
			 yaml_node_t *v)
{
	const char *s = scalar(v);

	if (s && strcmp(s, "text") == 0)
		*(bool *)field(p, k) = false;
	else if (s && strcmp(s, "json") == 0)
		*(bool *)field(p, k) = true;
	else
		return cerr(p, v, k->name, "expected text or json");
	return 0;
}

static int val_loglevel(struct cparse *p, const struct config_key *k,
			yaml_node_t *v)
{
	int l = scalar(v) ? log_level_parse(scalar(v)) : -1;

	if (l < 0)
		return cerr(p, v, k->name,
			    "expected error, warning, info or debug");
	*(int *)field(p, k) = l;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int val_nsid(struct cparse *p, const struct config_key *k,
		    yaml_node_t *v)
{
	struct config *cfg = p->cfg;
	const char *s = scalar(v);
	size_t len;

	if (!s || !*s)
		return cerr(p, v, k->name, "expected a string or hex:...");
	if (strncasecmp(s, "hex:", 4) == 0) {
		s += 4;
		len = strlen(s);
		if (len == 0 || len % 2 || len / 2 > CONFIG_MAX_NSID)
			return cerr(p, v, k->name,
				    "expected an even number of hex digits "
				    "(at most %d bytes)", CONFIG_MAX_NSID);
		for (size_t i = 0; i < len / 2; i++) {
			int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

			if (hi < 0 || lo < 0)
				return cerr(p, v, k->name,
					    "bad hex digit in '%s'", s);
			cfg->nsid[i] = (uint8_t)(hi << 4 | lo);
		}
		cfg->nsid_len = len / 2;
		return 0;
	}
	len = strlen(s);
	if (len > CONFIG_MAX_NSID)
		return cerr(p, v, k->name, "longer than %d bytes",
			    CONFIG_MAX_NSID);
	memcpy(cfg->nsid, s, len);
	cfg->nsid_len = len;
	return 0;
}

/* Accepts one scalar or a sequence of scalars; calls fn for each. */
static int each_scalar(struct cparse *p, const struct config_key *k,
		       yaml_node_t *v,
		       int (*fn)(struct cparse *, const struct config_key *,
				 yaml_node_t *))
{
	yaml_node_item_t *it;
	int rc;

	if (v->type == YAML_SCALAR_NODE)
		return fn(p, k, v);
	if (v->type != YAML_SEQUENCE_NODE)
		return cerr(p, v, k->name, "expected a list");
	for (it = v->data.sequence.items.start;
	     it < v->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(p->doc, *it);

		if (!e || e->type != YAML_SCALAR_NODE)
			return cerr(p, e ? e : v, k->name,
				    "expected a list of scalars");
		if ((rc = fn(p, k, e)) < 0)
			return rc;
	}
	return 0;
}

static int one_listen(struct cparse *p, const struct config_key *k,
		      yaml_node_t *v)
{
	char reason[160];

	if (config_add_listen(p->cfg, scalar(v), reason, sizeof(reason)) < 0)
		return cerr(p, v, k->name, "%s", reason);
	return 0;
}

static int val_listen(struct cparse *p, const struct config_key *k,
		      yaml_node_t *v)
{
	return each_scalar(p, k, v, one_listen);
}

static int one_cpu(struct cparse *p, const struct config_key *k,
		   yaml_node_t *v)
{
	struct config *cfg = p->cfg;
	long n;

	if (parse_long(scalar(v), &n) < 0 || n < 0 || n >= CONFIG_MAX_CPUS)
		return cerr(p, v, k->name,
			    "expected CPU numbers from 0 to %d",
			    CONFIG_MAX_CPUS - 1);
	if (cfg->cpu_count >= CONFIG_MAX_CPUS)
		return cerr(p, v, k->name, "too many CPUs");
	cfg->cpus[cfg->cpu_count++] = (int)n;
	return 0;
}

static int val_cpus(struct cparse *p, const struct config_key *k,
		    yaml_node_t *v)
{
	p->cfg->cpu_count = 0;
	return each_scalar(p, k, v, one_cpu);
}

/* 0.0.0.0 or ::: answering from the asked address needs PKTINFO. */
static bool listen_wildcard(const struct config_listen *l)
{
	if (l->addr.ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(
			&((const struct sockaddr_in6 *)&l->addr)->sin6_addr);
	return ((const struct sockaddr_in *)&l->addr)->sin_addr.s_addr ==
	       htonl(INADDR_ANY);
}

/* libuv 1.44 gives no PKTINFO: a wildcard address would answer from
 * whatever source the kernel picks, so udp-io: libuv refuses them. */
static int val_udp_io(struct cparse *p, const struct config_key *k,
		      yaml_node_t *v)
{
	const char *s = scalar(v);
	struct config *cfg = p->cfg;

	if (s && strcmp(s, "mmsg") == 0) {
		cfg->udp_io = CONFIG_UDP_IO_MMSG;
		return 0;
	}
	if (!s || strcmp(s, "libuv") != 0)
		return cerr(p, v, k->name, "expected mmsg or libuv");
	for (size_t i = 0; i < cfg->listen_count; i++)
		if (listen_wildcard(&cfg->listen[i]))
			return cerr(p, v, k->name,
				    "libuv cannot serve the wildcard address "
				    "%s (no PKTINFO): use udp-io: mmsg or "
				    "listen on specific addresses",
				    cfg->listen[i].text);
	cfg->udp_io = CONFIG_UDP_IO_LIBUV;
	return 0;
}

#define OFF(f) offsetof(struct config, f)

static const struct config_key config_server_keys[] = {
	{ "listen", val_listen, 0, 0, 0 },
	{ "reactors", val_uint, OFF(reactors), 1, CONFIG_MAX_REACTORS },
	{ "cpu-affinity", val_cpus, 0, 0, 0 },
	{ "user", val_user, OFF(user), 0, 0 },
	{ "group", val_group, OFF(group), 0, 0 },
	{ "identity", val_string, OFF(identity), 0, 0 },
	{ "nsid", val_nsid, 0, 0, 0 },
	{ "version", val_string, OFF(version), 0, 0 },
	{ "udp-max-payload", val_uint, OFF(udp_max_payload), 512, 4096 },
	{ "udp-rcvbuf", val_uint, OFF(udp_rcvbuf), 0, 1 << 30 },
	{ "udp-sndbuf", val_uint, OFF(udp_sndbuf), 0, 1 << 30 },
	{ "tcp-idle-timeout", val_uint, OFF(tcp_idle_timeout), 1, 3600 },
	{ "tcp-keepalive", val_uint, OFF(tcp_keepalive), 1, 6553 },
	{ "tcp-max-clients", val_uint, OFF(tcp_max_clients), 1, 1000000 },
	{ "tcp-max-clients-per-prefix", val_uint, OFF(tcp_max_per_prefix),
	  1, 1000000 },
	{ "tcp-message-timeout", val_uint, OFF(tcp_message_timeout), 1, 3600 },
	{ "tcp-memory-max", val_uint, OFF(tcp_memory_max), 1L << 20,
	  4294967295L },
	{ "log-level", val_loglevel, OFF(log_level), 0, 0 },
	{ "syslog", val_bool, OFF(syslog), 0, 0 },
	{ "log-format", val_logformat, OFF(log_json), 0, 0 },
	{ "udp-io", val_udp_io, 0, 0, 0 },
	{ "udp-bpf-filter", val_bool, OFF(udp_bpf_filter), 0, 0 },
	{ "udp-ebpf-filter", val_bool, OFF(udp_ebpf_filter), 0, 0 },
	{ "udp-ebpf-hold-ms", val_uint, OFF(udp_ebpf_hold_ms), 10, 60000 },
	{ "exempt-local", val_bool, OFF(exempt_local), 0, 0 },
	{ "signature-expiry-margin", val_uint, OFF(sig_margin), 0,
	  366 * 86400 },
	{ "nsec3-iterations-max", val_uint, OFF(nsec3_iter_max), 0,
	  ZONE_NSEC3_ITER_MAX },
	{ "transfers-max", val_uint, OFF(transfers_max), 0, 100000 },
	{ "refresh-min-interval", val_uint, OFF(refresh_min), 1, 86400 * 365 },
	{ "refresh-max-interval", val_uint, OFF(refresh_max), 1, 86400 * 365 },
	{ NULL, NULL, 0, 0, 0 },
};

/* Walks a mapping against a key table; rejects unknown and repeated keys. */
static int parse_keys(struct cparse *p, const char *section, yaml_node_t *map,
		      const struct config_key *keys)
{
	unsigned char seen[64] = { 0 };
	yaml_node_pair_t *pr;
	int rc;

	if (map->type != YAML_MAPPING_NODE)
		return cerr(p, map, section, "expected a mapping of keys");
	for (pr = map->data.mapping.pairs.start;
	     pr < map->data.mapping.pairs.top; pr++) {
		yaml_node_t *kn = yaml_document_get_node(p->doc, pr->key);
		yaml_node_t *vn = yaml_document_get_node(p->doc, pr->value);
		const char *name = scalar(kn);
		size_t i;

		if (!name)
			return cerr(p, kn, section, "keys must be scalars");
		for (i = 0; keys[i].name; i++)
			if (strcmp(keys[i].name, name) == 0)
				break;
		if (!keys[i].name)
			return cerr(p, kn, name, "unknown key in %s", section);
		if (i < sizeof(seen) && seen[i]++)
			return cerr(p, kn, name, "given twice");
		if ((rc = keys[i].parse(p, &keys[i], vn)) < 0)
			return rc;
	}
	return 0;
}

static int section_server(struct cparse *p, const char *key, yaml_node_t *v)
{
	return parse_keys(p, key, v, config_server_keys);
}

/* name relative to the directory of the config file (as zone files are):
 * into buf (len bytes) when it is relative, else name itself. NULL when
 * the result does not fit. */
static const char *config_relative(const struct cparse *p, const char *name,
				   char *buf, size_t len)
{
	int dl;

	if (name[0] == '/' || !strchr(p->path, '/'))
		return name;
	dl = (int)(strrchr(p->path, '/') - p->path);
	if (snprintf(buf, len, "%.*s/%s", dl, p->path, name) >= (int)len)
		return NULL;
	return buf;
}

static int zone_remotes(struct cparse *p, const char *key, yaml_node_t *v,
			uint64_t *mask);

/* One name of a zone's acl: list: an id of the acl: section before. */
static int zone_acl_one(struct cparse *p, const struct config_key *k,
			yaml_node_t *v)
{
	const char *s = scalar(v);

	for (size_t i = 0; s && i < p->cfg->acl_count; i++) {
		if (strcmp(p->cfg->acls[i].id, s) == 0) {
			p->zone_acl |= UINT64_C(1) << i;
			return 0;
		}
	}
	return cerr(p, v, k->name, "no acl '%s' (acl: entries must come "
		    "before zones:)", s ? s : "");
}

/* What a zone entry or a template entry says. */
struct zone_opts {
	const char *domain, *file, *id;
	yaml_node_t *dnode, *fnode, *inode;
	uint64_t notify, primaries, acl;
	bool increment, catalog;
	int zsync;
	uint8_t validation;
	uint8_t ntmpl;
	uint8_t tmpl[CONFIG_MAX_CATALOG_TEMPLATES];
};

/* One name of a catalog's catalog-template: list: a template: id. */
static int zone_tmpl_one(struct cparse *p, const struct config_key *k,
			 yaml_node_t *v)
{
	struct zone_opts *o = p->zone_opts;
	const char *s = scalar(v);

	for (size_t i = 0; s && i < p->cfg->template_count; i++) {
		if (strcmp(p->cfg->templates[i].id, s) != 0)
			continue;
		if (o->ntmpl == CONFIG_MAX_CATALOG_TEMPLATES)
			return cerr(p, v, k->name, "more than %d templates",
				    CONFIG_MAX_CATALOG_TEMPLATES);
		o->tmpl[o->ntmpl++] = (uint8_t)i;
		return 0;
	}
	return cerr(p, v, k->name, "no template '%s' (template: entries "
		    "must come before zones:)", s ? s : "");
}

/* The keys of one zones: entry (tmpl false) or template: entry (true:
 * id instead of domain, no serial-policy or catalog keys) into *o. */
static int zone_keys(struct cparse *p, yaml_node_t *e, bool tmpl,
		     struct zone_opts *o)
{
	yaml_node_pair_t *pr;
	bool notify_seen = false, policy_seen = false;
	bool primaries_seen = false, validation_seen = false;
	bool sync_seen = false, role_seen = false, tmpl_seen = false;
	static const struct config_key acl_key = { "acl", NULL, 0, 0, 0 };
	static const struct config_key tmpl_key = { "catalog-template", NULL,
						    0, 0, 0 };
	const char *section = tmpl ? "template" : "zones";
	bool acl_seen = false;
	int rc;

	memset(o, 0, sizeof(*o));
	o->validation = CONFIG_DNSSEC_VALIDATION_OFF;
	p->zone_acl = 0;
	p->zone_opts = o;
	if (e->type != YAML_MAPPING_NODE)
		return cerr(p, e, section, tmpl ?
			    "expected entries { id: NAME, primaries: [...] }" :
			    "expected entries { domain: NAME, file: PATH }");
	for (pr = e->data.mapping.pairs.start; pr < e->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *kn = yaml_document_get_node(p->doc, pr->key);
		yaml_node_t *vn = yaml_document_get_node(p->doc, pr->value);
		const char *name = scalar(kn);

		if (!name)
			return cerr(p, kn, section, "keys must be scalars");
		if ((!tmpl && strcmp(name, "domain") == 0) ||
		    (tmpl && strcmp(name, "id") == 0) ||
		    strcmp(name, "file") == 0) {
			const char *s = scalar(vn);
			bool is_file = name[0] == 'f';
			yaml_node_t **seen = is_file ? &o->fnode :
					     tmpl ? &o->inode : &o->dnode;

			if (*seen)
				return cerr(p, kn, name, "given twice");
			if (!s || !*s)
				return cerr(p, vn, name,
					    "expected a non-empty string");
			*seen = vn;
			if (is_file)
				o->file = s;
			else if (tmpl)
				o->id = s;
			else
				o->domain = s;
			continue;
		}
		if (!tmpl && strcmp(name, "serial-policy") == 0) {
			const char *sp = scalar(vn);

			if (policy_seen)
				return cerr(p, kn, name, "given twice");
			policy_seen = true;
			if (sp && strcmp(sp, "increment") == 0)
				o->increment = true;
			else if (!sp || strcmp(sp, "keep") != 0)
				return cerr(p, vn, name, "expected keep or "
					    "increment");
			continue;
		}
		if (!tmpl && strcmp(name, "catalog-role") == 0) {
			const char *cr = scalar(vn);

			if (role_seen)
				return cerr(p, kn, name, "given twice");
			role_seen = true;
			if (cr && strcmp(cr, "interpret") == 0)
				o->catalog = true;
			else if (!cr || strcmp(cr, "none") != 0)
				return cerr(p, vn, name, "expected interpret "
					    "or none (a catalog Levee makes "
					    "itself is not supported)");
			continue;
		}
		if (!tmpl && strcmp(name, "catalog-template") == 0) {
			if (tmpl_seen)
				return cerr(p, kn, name, "given twice");
			tmpl_seen = true;
			if ((rc = each_scalar(p, &tmpl_key, vn,
					      zone_tmpl_one)) < 0)
				return rc;
			continue;
		}
		if (strcmp(name, "zonefile-sync") == 0) {
			long n;

			if (sync_seen)
				return cerr(p, kn, name, "given twice");
			sync_seen = true;
			if (parse_long(scalar(vn), &n) < 0 || n < -1 ||
			    n > 86400 * 7)
				return cerr(p, vn, name, "expected -1 (never), 0 "
					    "(after each transfer) or seconds "
					    "up to 604800");
			o->zsync = (int)n;
			continue;
		}
		if (strcmp(name, "dnssec-validation") == 0) {
			const char *dv = scalar(vn);
			bool b;

			if (validation_seen)
				return cerr(p, kn, name, "given twice");
			validation_seen = true;
			if (dv && strcmp(dv, "warn") == 0)
				o->validation = CONFIG_DNSSEC_VALIDATION_WARN;
			else if (parse_bool(dv, &b) == 0)
				o->validation = b ? CONFIG_DNSSEC_VALIDATION_ON :
						CONFIG_DNSSEC_VALIDATION_OFF;
			else
				return cerr(p, vn, name, "expected on, off or "
					    "warn");
			continue;
		}
		if (strcmp(name, "notify") == 0) {
			if (notify_seen)
				return cerr(p, kn, name, "given twice");
			notify_seen = true;
			if ((rc = zone_remotes(p, name, vn, &o->notify)) < 0)
				return rc;
			continue;
		}
		if (strcmp(name, "primaries") == 0) {
			if (primaries_seen)
				return cerr(p, kn, name, "given twice");
			primaries_seen = true;
			if ((rc = zone_remotes(p, name, vn,
					       &o->primaries)) < 0)
				return rc;
			continue;
		}
		if (strcmp(name, "acl") == 0) {
			if (acl_seen)
				return cerr(p, kn, name, "given twice");
			acl_seen = true;
			if ((rc = each_scalar(p, &acl_key, vn, zone_acl_one)) < 0)
				return rc;
			continue;
		}
		return cerr(p, kn, name, tmpl ? "unknown key in template" :
			    "unknown key in zones");
	}
	o->acl = p->zone_acl;
	if (o->catalog && !o->ntmpl)
		return cerr(p, e, "catalog-template", "missing: a catalog "
			    "needs the template of its members");
	if (!o->catalog && o->ntmpl)
		return cerr(p, e, "catalog-template", "given without "
			    "catalog-role: interpret");
	return 0;
}

/* One { domain: NAME, file: PATH, acl:, notify:, serial-policy:,
 * primaries:, dnssec-validation:, catalog-role:, catalog-template: }
 * entry. */
static int zone_entry(struct cparse *p, yaml_node_t *e)
{
	struct zone_opts o;
	char path[PATH_MAX], reason[160];
	const char *file;
	int rc;

	if ((rc = zone_keys(p, e, false, &o)) < 0)
		return rc;
	if (!o.dnode)
		return cerr(p, e, "domain", "missing in zone entry");
	if (!o.fnode && !o.primaries)
		return cerr(p, e, "file", "missing in zone entry");
	file = o.file;
	if (file && !(file = config_relative(p, file, path, sizeof(path))))
		return cerr(p, o.fnode, "file", "path too long");
	{
		const struct config_zone *z = config_find_zone(p->cfg, o.domain);

		if (z && z->line > 0)
			return cerr(p, o.dnode, "domain",
				    "zone '%s' given twice (line %d)",
				    z->domain, z->line);
	}
	rc = config_add_secondary(p->cfg, o.domain, file,
				  (int)o.dnode->start_mark.line + 1, reason,
				  sizeof(reason));
	if (rc < 0)
		return cerr(p, o.dnode, "domain", "%s", reason);
	{
		struct config_zone *z = (struct config_zone *)
			config_find_zone(p->cfg, o.domain);

		z->notify = o.notify;
		z->primaries = o.primaries;
		z->serial_increment = o.increment;
		z->dnssec_validation = o.validation;
		z->zonefile_sync = o.zsync;
		z->acl = o.acl;
		z->catalog = o.catalog;
		z->catalog_template_count = o.ntmpl;
		memcpy(z->catalog_templates, o.tmpl, sizeof(o.tmpl));
	}
	return 0;
}

/* --- section template: (Knot's): settings of catalog member zones --- */

static int template_entry(struct cparse *p, yaml_node_t *e)
{
	struct config_template *t;
	struct zone_opts o;
	char path[PATH_MAX];
	const char *file, *pct;
	int rc;

	if (p->cfg->template_count >= CONFIG_MAX_TEMPLATES)
		return cerr(p, e, "template", "more than %d entries",
			    CONFIG_MAX_TEMPLATES);
	if ((rc = zone_keys(p, e, true, &o)) < 0)
		return rc;
	if (!o.inode)
		return cerr(p, e, "id", "missing in template entry");
	if (strlen(o.id) >= sizeof(t->id))
		return cerr(p, o.inode, "id", "longer than %zu bytes",
			    sizeof(t->id) - 1);
	for (size_t i = 0; i < p->cfg->template_count; i++)
		if (strcmp(p->cfg->templates[i].id, o.id) == 0)
			return cerr(p, o.inode, "id", "template '%s' given "
				    "twice", o.id);
	if (!o.primaries)
		return cerr(p, e, "primaries", "missing in template entry "
			    "(members are secondaries)");
	file = o.file;
	if (file) {
		pct = strstr(file, "%s");
		if (!pct || strstr(pct + 2, "%s") || strchr(file, '%') != pct)
			return cerr(p, o.fnode, "file", "expected one %%s (the "
				    "member's name) and no other %%");
		if (!(file = config_relative(p, file, path, sizeof(path))))
			return cerr(p, o.fnode, "file", "path too long");
	}
	t = &p->cfg->templates[p->cfg->template_count];
	memset(t, 0, sizeof(*t));
	snprintf(t->id, sizeof(t->id), "%s", o.id);
	if (file && !(t->file = strdup(file)))
		return cerr(p, e, "template", "out of memory");
	t->notify = o.notify;
	t->acl = o.acl;
	t->primaries = o.primaries;
	t->dnssec_validation = o.validation;
	t->zonefile_sync = o.zsync;
	t->line = (int)e->start_mark.line + 1;
	p->cfg->template_count++;
	return 0;
}

static int section_template(struct cparse *p, const char *key, yaml_node_t *v)
{
	yaml_node_item_t *it;
	int rc;

	if (v->type != YAML_SEQUENCE_NODE)
		return cerr(p, v, key, "expected a list of { id, primaries, "
			    "file }");
	for (it = v->data.sequence.items.start;
	     it < v->data.sequence.items.top; it++)
		if ((rc = template_entry(p, yaml_document_get_node(p->doc,
								   *it))) < 0)
			return rc;
	return 0;
}

/* The zones: list, its first event in *first (owned here): each entry is
 * composed into a document of its own, added to cfg and dropped, so the
 * list never exists as a whole. */
static int section_zones(struct cparse *p, const char *key,
			 yaml_event_t *first)
{
	struct ycompose_err ye;
	yaml_event_t ev;
	int rc = 0;

	if (first->type == YAML_SCALAR_EVENT && !first->data.scalar.length) {
		yaml_event_delete(first);
		return 0;   /* "zones:" with nothing */
	}
	if (first->type != YAML_SEQUENCE_START_EVENT) {
		rc = cerr_at(p, first->start_mark.line, key,
			     "expected a list of zones");
		yaml_event_delete(first);
		return rc;
	}
	yaml_event_delete(first);
	for (;;) {
		yaml_document_t doc;
		int id;

		if (!ycompose_next(p->parser, &ev, &ye))
			return cerr_yc(p, &ye);
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (!yaml_document_initialize(&doc, NULL, NULL, NULL, 1, 1)) {
			yaml_event_delete(&ev);
			return cerr_at(p, 0, NULL, "out of memory");
		}
		id = ycompose_node(p->parser, &ev, &doc, &ye);
		p->doc = &doc;
		rc = id ? zone_entry(p, yaml_document_get_node(&doc, id)) :
			  cerr_yc(p, &ye);
		p->doc = NULL;
		yaml_document_delete(&doc);
		if (rc < 0)
			return rc;
	}
}

/* --- section key: (TSIG keys, server/tsig.h) --- */

/* One { id, algorithm, secret } entry into cfg->tsig. */
static int key_entry(struct cparse *p, const char *section, yaml_node_t *e)
{
	static const char *const names[] = { "id", "algorithm", "secret" };
	yaml_node_t *val[3] = { NULL, NULL, NULL };
	uint8_t secret[TSIG_SECRET_MAX];
	size_t slen = 0;
	const char *b64end = NULL, *id, *b64;
	struct config *cfg = p->cfg;
	int alg, rc;

	if (!e || e->type != YAML_MAPPING_NODE)
		return cerr(p, e, section, "expected a list of { id, "
			    "algorithm, secret }");
	for (yaml_node_pair_t *pr = e->data.mapping.pairs.start;
	     pr < e->data.mapping.pairs.top; pr++) {
		yaml_node_t *kn = yaml_document_get_node(p->doc, pr->key);
		const char *name = scalar(kn);
		unsigned i;

		for (i = 0; name && i < 3; i++)
			if (strcmp(name, names[i]) == 0)
				break;
		if (!name || i == 3)
			return cerr(p, kn, name ? name : section,
				    "unknown key in key");
		if (val[i])
			return cerr(p, kn, name, "given twice");
		val[i] = yaml_document_get_node(p->doc, pr->value);
	}
	for (unsigned i = 0; i < 3; i++)
		if (!val[i] || !scalar(val[i]))
			return cerr(p, val[i] ? val[i] : e, names[i],
				    val[i] ? "expected a scalar" :
					     "missing in key entry");
	id = scalar(val[0]);
	if ((alg = tsig_alg_from_text(scalar(val[1]))) < 0)
		return cerr(p, val[1], "algorithm", "unknown algorithm '%s' "
			    "(hmac-sha1, hmac-sha256, hmac-sha384 or "
			    "hmac-sha512)", scalar(val[1]));
	b64 = scalar(val[2]);
	if (sodium_base642bin(secret, sizeof(secret), b64, strlen(b64), NULL,
			      &slen, &b64end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    b64end != b64 + strlen(b64) || slen == 0)
		return cerr(p, val[2], "secret", "expected base64 of 1 to %d "
			    "bytes", TSIG_SECRET_MAX);
	if (!cfg->tsig && !(cfg->tsig = tsig_keyring_new()))
		return -ENOMEM;
	rc = tsig_keyring_add(cfg->tsig, id, (enum tsig_alg)alg, secret,
			      slen);
	sodium_memzero(secret, sizeof(secret));
	if (rc == -EEXIST)
		return cerr(p, val[0], "id", "key '%s' given twice (line %d)",
			    id, cfg->tsig_lines[tsig_keyring_find(cfg->tsig,
								  id)]);
	if (rc == -ENOSPC)
		return cerr(p, e, section, "more than %d keys", TSIG_KEYS_MAX);
	if (rc < 0)
		return rc == -ENOMEM ? rc :
		       cerr(p, val[0], "id", "expected a domain name of "
			    "letters, digits, '-' and '_' of at most %d octets",
			    TSIG_NAME_MAX);
	cfg->tsig_lines[tsig_keyring_count(cfg->tsig) - 1] =
		(int)val[0]->start_mark.line + 1;
	return 0;
}

static int section_key(struct cparse *p, const char *key, yaml_node_t *v)
{
	int rc;

	if (v->type != YAML_SEQUENCE_NODE)
		return cerr(p, v, key, "expected a list of { id, algorithm, "
			    "secret }");
	for (yaml_node_item_t *it = v->data.sequence.items.start;
	     it < v->data.sequence.items.top; it++)
		if ((rc = key_entry(p, key,
				    yaml_document_get_node(p->doc, *it))) < 0)
			return rc;
	return 0;
}

/* --- section acl: --- */

/* key: NAME in an acl entry: a key of the key: section above. */
static int acl_key(struct cparse *p, const struct config_key *k,
		   yaml_node_t *v)
{
	int i = tsig_keyring_find(p->cfg->tsig, scalar(v));

	if (i < 0)
		return cerr(p, v, k->name, "no key '%s' in a key: section "
			    "before this acl:", scalar(v));
	p->cfg->acls[p->cfg->acl_count].keys |= 1ull << i;
	return 0;
}

static int val_acl_keys(struct cparse *p, const struct config_key *k,
			yaml_node_t *v)
{
	return each_scalar(p, k, v, acl_key);
}

static int acl_address(struct cparse *p, const struct config_key *k,
		       yaml_node_t *v)
{
	struct config *cfg = p->cfg;

	if (cfg->trusted_count >= CONFIG_MAX_TRUSTED)
		return cerr(p, v, k->name, "more than %d addresses in all acl "
			    "entries", CONFIG_MAX_TRUSTED);
	if (cidr_parse(scalar(v), &cfg->trusted[cfg->trusted_count]) < 0)
		return cerr(p, v, k->name,
			    "expected ADDR or ADDR/BITS (IPv4 or IPv6)");
	cfg->trusted_count++;
	cfg->acls[cfg->acl_count].count++;
	return 0;
}

static int acl_action(struct cparse *p, const struct config_key *k,
		      yaml_node_t *v)
{
	static const char *const names[] = { "transfer", "notify" };
	const char *s = scalar(v);

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (s && strcmp(s, names[i]) == 0) {
			p->cfg->acls[p->cfg->acl_count].actions |= 1u << i;
			return 0;
		}
	}
	return cerr(p, v, k->name, "expected transfer or notify");
}

static int val_acl_addresses(struct cparse *p, const struct config_key *k,
			     yaml_node_t *v)
{
	return each_scalar(p, k, v, acl_address);
}

static int val_acl_actions(struct cparse *p, const struct config_key *k,
			   yaml_node_t *v)
{
	return each_scalar(p, k, v, acl_action);
}

static int val_acl_id(struct cparse *p, const struct config_key *k,
		      yaml_node_t *v)
{
	struct config_acl *a = &p->cfg->acls[p->cfg->acl_count];
	const char *s = scalar(v);

	if (!s || !*s || strlen(s) >= sizeof(a->id))
		return cerr(p, v, k->name, "expected a name of 1 to %zu "
			    "characters", sizeof(a->id) - 1);
	for (size_t i = 0; i < p->cfg->acl_count; i++)
		if (strcmp(p->cfg->acls[i].id, s) == 0)
			return cerr(p, v, k->name, "acl '%s' given twice "
				    "(line %d)", s, p->cfg->acls[i].line);
	strcpy(a->id, s);
	return 0;
}

static const struct config_key config_acl_keys[] = {
	{ "id", val_acl_id, 0, 0, 0 },
	{ "address", val_acl_addresses, 0, 0, 0 },
	{ "action", val_acl_actions, 0, 0, 0 },
	{ "key", val_acl_keys, 0, 0, 0 },
	{ NULL, NULL, 0, 0, 0 },
};

static int section_acl(struct cparse *p, const char *key, yaml_node_t *v)
{
	yaml_node_item_t *it;
	int rc;

	if (v->type != YAML_SEQUENCE_NODE)
		return cerr(p, v, key, "expected a list of { id, address, "
			    "action }");
	for (it = v->data.sequence.items.start;
	     it < v->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(p->doc, *it);
		struct config_acl *a;

		if (p->cfg->acl_count >= CONFIG_MAX_ACL)
			return cerr(p, e, key, "more than %d entries",
				    CONFIG_MAX_ACL);
		a = &p->cfg->acls[p->cfg->acl_count];
		memset(a, 0, sizeof(*a));
		a->first = p->cfg->trusted_count;
		a->line = (int)e->start_mark.line + 1;
		if ((rc = parse_keys(p, key, e, config_acl_keys)) < 0)
			return rc;
		if (!a->id[0])
			return cerr(p, e, "id", "missing in acl entry");
		if (!a->count && !a->keys)
			return cerr(p, e, "address", "missing in acl entry "
				    "(address or key)");
		if (!a->actions)
			return cerr(p, e, "action", "missing in acl entry");
		p->cfg->acl_count++;
	}
	return 0;
}

/* --- section remote: (Knot's remote:): servers Levee talks to --- */

static int val_remote_id(struct cparse *p, const struct config_key *k,
			 yaml_node_t *v)
{
	struct config_remote *r = &p->cfg->remotes[p->cfg->remote_count];
	const char *s = scalar(v);

	if (!s || !*s || strlen(s) >= sizeof(r->id))
		return cerr(p, v, k->name, "expected a name of 1 to %zu "
			    "characters", sizeof(r->id) - 1);
	for (size_t i = 0; i < p->cfg->remote_count; i++)
		if (strcmp(p->cfg->remotes[i].id, s) == 0)
			return cerr(p, v, k->name, "remote '%s' given twice "
				    "(line %d)", s, p->cfg->remotes[i].line);
	strcpy(r->id, s);
	return 0;
}

static int val_remote_address(struct cparse *p, const struct config_key *k,
			      yaml_node_t *v)
{
	struct config_remote *r = &p->cfg->remotes[p->cfg->remote_count];
	char err[160];

	if (config_parse_listen(scalar(v), &r->addr, err, sizeof(err)) < 0)
		return cerr(p, v, k->name, "%s", err);
	r->have_addr = true;
	return 0;
}

static int val_remote_key(struct cparse *p, const struct config_key *k,
			  yaml_node_t *v)
{
	int i = scalar(v) ? tsig_keyring_find(p->cfg->tsig, scalar(v)) : -1;

	if (i < 0)
		return cerr(p, v, k->name, "no key '%s' in a key: section "
			    "before this remote:", scalar(v) ? scalar(v) : "");
	p->cfg->remotes[p->cfg->remote_count].key = i;
	return 0;
}

static const struct config_key config_remote_keys[] = {
	{ "id", val_remote_id, 0, 0, 0 },
	{ "address", val_remote_address, 0, 0, 0 },
	{ "key", val_remote_key, 0, 0, 0 },
	{ NULL, NULL, 0, 0, 0 },
};

static int section_remote(struct cparse *p, const char *key, yaml_node_t *v)
{
	yaml_node_item_t *it;
	int rc;

	if (v->type != YAML_SEQUENCE_NODE)
		return cerr(p, v, key, "expected a list of { id, address }");
	for (it = v->data.sequence.items.start;
	     it < v->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(p->doc, *it);
		struct config_remote *r;

		if (p->cfg->remote_count >= CONFIG_MAX_REMOTES)
			return cerr(p, e, key, "more than %d entries",
				    CONFIG_MAX_REMOTES);
		r = &p->cfg->remotes[p->cfg->remote_count];
		memset(r, 0, sizeof(*r));
		r->key = -1;
		r->line = (int)e->start_mark.line + 1;
		if ((rc = parse_keys(p, key, e, config_remote_keys)) < 0)
			return rc;
		if (!r->id[0])
			return cerr(p, e, "id", "missing in remote entry");
		if (!r->have_addr)
			return cerr(p, e, "address", "missing in remote entry");
		p->cfg->remote_count++;
	}
	return 0;
}

/* A zone's notify: or primaries: (key): one remote id or a list of them,
 * each defined in remote: above; their bits into *mask. */
static int zone_remotes(struct cparse *p, const char *key, yaml_node_t *v,
			uint64_t *mask)
{
	yaml_node_item_t *it = NULL, *end = NULL;
	yaml_node_t *one = v;

	if (v->type == YAML_SEQUENCE_NODE) {
		it = v->data.sequence.items.start;
		end = v->data.sequence.items.top;
	}
	for (;;) {
		const char *id;
		size_t i;

		if (it) {
			if (it == end)
				return 0;
			one = yaml_document_get_node(p->doc, *it++);
		}
		id = scalar(one);
		if (!id || !*id)
			return cerr(p, one, key, "expected a remote id or "
				    "a list of them");
		for (i = 0; i < p->cfg->remote_count; i++)
			if (strcmp(p->cfg->remotes[i].id, id) == 0)
				break;
		if (i == p->cfg->remote_count)
			return cerr(p, one, key, "no remote '%s' (remote: "
				    "entries come before zones:)", id);
		*mask |= 1ull << i;
		if (!it)
			return 0;
	}
}

/* --- section rate-limit: (ratelimit/rrl.h, docs/rrl.md) --- */

static int one_exempt(struct cparse *p, const struct config_key *k,
		      yaml_node_t *v)
{
	struct rrl_config *r = &p->cfg->rrl;

	if (r->exempt_count >= RRL_MAX_EXEMPT)
		return cerr(p, v, k->name, "more than %d networks",
			    RRL_MAX_EXEMPT);
	if (cidr_parse(scalar(v), &r->exempt[r->exempt_count]) < 0)
		return cerr(p, v, k->name,
			    "expected ADDR or ADDR/BITS (IPv4 or IPv6)");
	r->exempt_count++;
	return 0;
}

static int val_exempt(struct cparse *p, const struct config_key *k,
		      yaml_node_t *v)
{
	p->cfg->rrl.exempt_count = 0;
	return each_scalar(p, k, v, one_exempt);
}

static const struct config_key config_rrl_keys[] = {
	{ "responses-per-second", val_uint, OFF(rrl.responses_per_second),
	  0, RRL_MAX_RATE },
	{ "referrals-per-second", val_uint, OFF(rrl.referrals_per_second),
	  0, RRL_MAX_RATE },
	{ "nodata-per-second", val_uint, OFF(rrl.nodata_per_second),
	  0, RRL_MAX_RATE },
	{ "nxdomains-per-second", val_uint, OFF(rrl.nxdomains_per_second),
	  0, RRL_MAX_RATE },
	{ "errors-per-second", val_uint, OFF(rrl.errors_per_second),
	  0, RRL_MAX_RATE },
	{ "all-per-second", val_uint, OFF(rrl.all_per_second),
	  0, RRL_MAX_RATE },
	{ "window", val_uint, OFF(rrl.window), 1, RRL_MAX_WINDOW },
	{ "slip", val_uint, OFF(rrl.slip), 0, RRL_MAX_SLIP },
	{ "ipv4-prefix-length", val_uint, OFF(rrl.ipv4_prefix_length), 0, 32 },
	{ "ipv6-prefix-length", val_uint, OFF(rrl.ipv6_prefix_length), 0, 128 },
	{ "exempt-clients", val_exempt, 0, 0, 0 },
	{ "log-only", val_bool, OFF(rrl.log_only), 0, 0 },
	{ "max-table-size", val_uint, OFF(rrl.max_table_size), 1,
	  RRL_MAX_TABLE },
	{ NULL, NULL, 0, 0, 0 },
};

static int section_rrl(struct cparse *p, const char *key, yaml_node_t *v)
{
	return parse_keys(p, key, v, config_rrl_keys);
}

/* --- section cookies: (ratelimit/cookie.h, docs/cookies.md) --- */

static int val_require(struct cparse *p, const struct config_key *k,
		       yaml_node_t *v)
{
	static const char *const names[] = { "off", "on", "under-attack" };
	const char *s = scalar(v);

	for (int i = 0; s && i < 3; i++) {
		if (strcmp(s, names[i]) == 0) {
			*(int *)field(p, k) = i;
			return 0;
		}
	}
	return cerr(p, v, k->name, "expected off, on or under-attack");
}

/* Exactly k->max bytes as hex; k->min is the offset of the bool that says
 * the key was given. */
static int val_hexkey(struct cparse *p, const struct config_key *k,
		      yaml_node_t *v)
{
	const char *s = scalar(v);
	uint8_t *out = field(p, k);

	if (!s || strlen(s) != 2 * (size_t)k->max)
		return cerr(p, v, k->name, "expected %ld hex digits",
			    2 * k->max);
	for (long i = 0; i < k->max; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return cerr(p, v, k->name, "expected %ld hex digits",
				    2 * k->max);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*(bool *)((char *)p->cfg + k->min) = true;
	return 0;
}

#define COFF(f) offsetof(struct config, cookies.f)

static const struct config_key config_cookie_keys[] = {
	{ "answer", val_bool, COFF(answer), 0, 0 },
	{ "require", val_require, COFF(require), 0, 0 },
	{ "secret", val_hexkey, COFF(secret), COFF(have_secret),
	  COOKIE_SECRET_LEN },
	{ "secret-previous", val_hexkey, COFF(secret_previous),
	  COFF(have_previous), COOKIE_SECRET_LEN },
	{ "secret-next", val_hexkey, COFF(secret_next), COFF(have_next),
	  COOKIE_SECRET_LEN },
	{ "master-key", val_hexkey, COFF(master_key), COFF(have_master),
	  COOKIE_MASTER_LEN },
	{ "lifetime", val_uint, COFF(lifetime), COOKIE_LIFETIME_MIN,
	  1L << 30 },
	{ NULL, NULL, 0, 0, 0 },
};

static int section_cookies(struct cparse *p, const char *key, yaml_node_t *v)
{
	const struct config_cookies *c = &p->cfg->cookies;
	int rc = parse_keys(p, key, v, config_cookie_keys);

	if (rc < 0)
		return rc;
	if ((c->have_previous || c->have_next) && !c->have_secret)
		return cerr(p, v, c->have_previous ? "secret-previous" :
			    "secret-next", "needs secret: as well");
	if (c->have_secret && (c->have_master || c->lifetime))
		return cerr(p, v, c->have_master ? "master-key" : "lifetime",
			    "cannot be combined with secret: (derived secrets "
			    "rotate on their own)");
	return 0;
}

/* --- sections limits: and attack: (ratelimit/limits.h, attack.h,
 * docs/flood.md) --- */

static int one_prefix(struct cparse *p, const struct config_key *k,
		      yaml_node_t *v)
{
	struct limits_config *l = &p->cfg->limits;
	bool v6 = k->min == AF_INET6;
	size_t *n = v6 ? &l->v6_count : &l->v4_count;

	if (*n >= LIMITS_MAX_PREFIXES)
		return cerr(p, v, k->name, "more than %d prefixes",
			    LIMITS_MAX_PREFIXES);
	if (limits_parse_prefix(scalar(v), v6 ? AF_INET6 : AF_INET,
				v6 ? &l->v6[*n] : &l->v4[*n]) < 0)
		return cerr(p, v, k->name,
			    "expected BITS:MULTIPLIER (e.g. \"%s\"), bits up "
			    "to %d, multiplier 1 to %u", v6 ? "56:4" : "24:4",
			    v6 ? 128 : 32, LIMITS_MAX_MULT);
	(*n)++;
	return 0;
}

static int val_prefixes(struct cparse *p, const struct config_key *k,
			yaml_node_t *v)
{
	if (k->min == AF_INET6)
		p->cfg->limits.v6_count = 0;
	else
		p->cfg->limits.v4_count = 0;
	return each_scalar(p, k, v, one_prefix);
}

static int one_whitelist(struct cparse *p, const struct config_key *k,
			 yaml_node_t *v)
{
	struct limits_config *l = &p->cfg->limits;

	if (l->whitelist_count >= LIMITS_MAX_WHITELIST)
		return cerr(p, v, k->name, "more than %d networks",
			    LIMITS_MAX_WHITELIST);
	if (cidr_parse(scalar(v), &l->whitelist[l->whitelist_count]) < 0)
		return cerr(p, v, k->name,
			    "expected ADDR or ADDR/BITS (IPv4 or IPv6)");
	l->whitelist_count++;
	return 0;
}

static int val_whitelist(struct cparse *p, const struct config_key *k,
			 yaml_node_t *v)
{
	p->cfg->limits.whitelist_count = 0;
	return each_scalar(p, k, v, one_whitelist);
}

#define LOFF(f) offsetof(struct config, limits.f)

static const struct config_key config_limits_keys[] = {
	{ "queries-per-second", val_uint, LOFF(queries_per_second), 0,
	  LIMITS_MAX_RATE },
	{ "ipv4-prefixes", val_prefixes, 0, AF_INET, 0 },
	{ "ipv6-prefixes", val_prefixes, 0, AF_INET6, 0 },
	{ "cookie-multiplier", val_uint, LOFF(cookie_multiplier), 1,
	  LIMITS_MAX_MULT },
	{ "whitelist", val_whitelist, 0, 0, 0 },
	{ "zone-nxdomains-per-second", val_uint,
	  LOFF(zone_nxdomains_per_second), 0, LIMITS_MAX_RATE },
	{ "zone-slip", val_uint, LOFF(zone_slip), 0, RRL_MAX_SLIP },
	{ "slip", val_uint, LOFF(slip), 0, RRL_MAX_SLIP },
	{ "max-table-size", val_uint, LOFF(max_table_size), 64,
	  LIMITS_MAX_TABLE },
	{ "tcp-max-unanswered", val_uint, LOFF(tcp_max_unanswered), 0,
	  1000000 },
	{ "tcp-pressure-timeout-ms", val_uint, LOFF(tcp_pressure_timeout_ms),
	  10, 3600000 },
	{ NULL, NULL, 0, 0, 0 },
};

static int section_limits(struct cparse *p, const char *key, yaml_node_t *v)
{
	return parse_keys(p, key, v, config_limits_keys);
}

static int val_attack_mode(struct cparse *p, const struct config_key *k,
			   yaml_node_t *v)
{
	static const char *const names[] = { "off", "on", "auto" };
	const char *s = scalar(v);

	for (int i = 0; s && i < 3; i++) {
		if (strcmp(s, names[i]) == 0) {
			*(int *)field(p, k) = i;
			return 0;
		}
	}
	return cerr(p, v, k->name, "expected off, on or auto");
}

#define AOFF(f) offsetof(struct config, attack.f)

static const struct config_key config_attack_keys[] = {
	{ "mode", val_attack_mode, AOFF(mode), 0, 0 },
	{ "queries-per-second", val_uint, AOFF(queries_per_second), 0,
	  100000000 },
	{ "zone-nxdomain-percent", val_uint, AOFF(zone_nxdomain_percent), 0,
	  100 },
	{ "zone-nxdomain-min", val_uint, AOFF(zone_nxdomain_min), 0,
	  100000000 },
	{ "distinct-names-per-second", val_uint,
	  AOFF(distinct_names_per_second), 0, 1000000 },
	{ "release-percent", val_uint, AOFF(release_percent), 1, 100 },
	{ "hold-time", val_uint, AOFF(hold_time), 1, 3600 },
	{ "source-share-percent", val_uint, AOFF(source_share_percent), 1,
	  100 },
	{ "nxdomain-budget-percent", val_uint, AOFF(nxdomain_budget_percent),
	  1, 100 },
	{ "name-filter", val_bool, AOFF(name_filter), 0, 0 },
	{ "name-filter-sample", val_uint, AOFF(name_filter_sample), 0,
	  1000000 },
	{ "name-filter-capacity", val_uint, AOFF(name_filter_capacity), 1024,
	  1u << 26 },
	{ NULL, NULL, 0, 0, 0 },
};

static int section_attack(struct cparse *p, const char *key, yaml_node_t *v)
{
	const struct attack_config *a = &p->cfg->attack;
	int rc = parse_keys(p, key, v, config_attack_keys);

	if (rc < 0)
		return rc;
	if (a->mode == ATTACK_AUTO && !a->queries_per_second &&
	    !a->zone_nxdomain_percent && !a->distinct_names_per_second)
		return cerr(p, v, "mode", "auto needs a threshold: "
			    "queries-per-second, zone-nxdomain-percent or "
			    "distinct-names-per-second");
	return 0;
}

/* --- section database: (zones/journal.h), Knot's names --- */

/* A size in bytes with an optional K, M or G suffix (powers of 1024), from
 * k->min to k->max bytes, into a uint64_t. */
static int val_size(struct cparse *p, const struct config_key *k,
		    yaml_node_t *v)
{
	const char *s = scalar(v);
	unsigned long long n, mul = 1;
	char *end;

	if (!s || !*s || *s == '-')
		goto bad;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || end == s)
		goto bad;
	if (*end == 'K' || *end == 'k')
		mul = 1ull << 10;
	else if (*end == 'M' || *end == 'm')
		mul = 1ull << 20;
	else if (*end == 'G' || *end == 'g')
		mul = 1ull << 30;
	else if (*end)
		goto bad;
	if (*end && end[1])
		goto bad;
	if (n > (unsigned long long)k->max / mul ||
	    n * mul < (unsigned long long)k->min)
		goto bad;
	*(uint64_t *)field(p, k) = n * mul;
	return 0;
bad:
	return cerr(p, v, k->name, "expected a size from %ld to %ld bytes "
		    "(suffix K, M or G allowed)", k->min, k->max);
}

#define DBOFF(f) offsetof(struct config, f)
static const struct config_key config_database_keys[] = {
	{ "journal-db", val_string, DBOFF(journal_db), 0, 0 },
	{ "journal-db-max-size", val_size, DBOFF(journal_db_max_size),
	  1l << 20, (1l << 40) },
	{ "journal-max-usage", val_size, DBOFF(journal_max_usage), 1l << 10,
	  (1l << 40) },
	{ "journal-max-depth", val_uint, DBOFF(journal_max_depth), 1, 1000000 },
	{ NULL, NULL, 0, 0, 0 },
};

static int section_database(struct cparse *p, const char *key, yaml_node_t *v)
{
	char path[4096];
	int rc = parse_keys(p, key, v, config_database_keys);
	const char *d = p->cfg->journal_db;

	if (rc < 0 || !d)
		return rc;
	d = config_relative(p, d, path, sizeof(path));
	if (!d)
		return cerr(p, v, "journal-db", "path too long");
	if (d == path && set_string(&p->cfg->journal_db, path) < 0)
		return cerr(p, v, "journal-db", "out of memory");
	return 0;
}

/* --- section control: (server/ctl.h) --- */

#define CTLOFF(f) offsetof(struct config, f)
static const struct config_key config_control_keys[] = {
	{ "listen", val_string, CTLOFF(control_listen), 0, 0 },
	{ NULL, NULL, 0, 0, 0 },
};

static int section_control(struct cparse *p, const char *key, yaml_node_t *v)
{
	char path[4096];
	int rc = parse_keys(p, key, v, config_control_keys);
	const char *l = p->cfg->control_listen;

	if (rc < 0 || !l)
		return rc;
	l = config_relative(p, l, path, sizeof(path));
	if (!l)
		return cerr(p, v, "listen", "path too long");
	if (l == path && set_string(&p->cfg->control_listen, path) < 0)
		return cerr(p, v, "listen", "out of memory");
	if (strlen(p->cfg->control_listen) >= 108)
		return cerr(p, v, "listen", "a socket path is at most 107 "
			    "bytes");
	return 0;
}

/* --- section metrics: (server/metrics.h, docs/metrics.md) --- */

static int val_metrics_listen(struct cparse *p, const struct config_key *k,
			      yaml_node_t *v)
{
	const char *s = scalar(v);
	char reason[160];

	if (!s || !strchr(s, '@'))
		return cerr(p, v, k->name, "expected ADDR@PORT");
	if (config_parse_listen(s, &p->cfg->metrics_listen, reason,
				sizeof(reason)) < 0)
		return cerr(p, v, k->name, "%s", reason);
	p->cfg->metrics = true;
	return 0;
}

static const struct config_key config_metrics_keys[] = {
	{ "listen", val_metrics_listen, 0, 0, 0 },
	{ "per-zone", val_bool, CTLOFF(metrics_per_zone), 0, 0 },
	{ NULL, NULL, 0, 0, 0 },
};

static int section_metrics(struct cparse *p, const char *key, yaml_node_t *v)
{
	return parse_keys(p, key, v, config_metrics_keys);
}

/* --- section dnstap: (server/dnstap.h) --- */

static int val_dnstap_sink(struct cparse *p, const struct config_key *k,
			   yaml_node_t *v)
{
	struct dnstap_config *c = &p->cfg->dnstap;
	const char *s = scalar(v);
	const char *path;
	char buf[4096];

	if (!s || !*s)
		return cerr(p, v, k->name, "expected PATH or unix:PATH");
	c->unix_socket = strncmp(s, "unix:", 5) == 0;
	path = c->unix_socket ? s + 5 : s;
	if (!*path)
		return cerr(p, v, k->name, "expected unix:PATH");
	if (!(path = config_relative(p, path, buf, sizeof(buf))))
		return cerr(p, v, k->name, "path too long");
	if (c->unix_socket && strlen(path) >= 108)
		return cerr(p, v, k->name, "a socket path is at most 107 bytes");
	if (set_string(&c->sink, path) < 0)
		return cerr(p, v, k->name, "out of memory");
	c->on = true;
	return 0;
}

#define DTOFF(f) offsetof(struct config, dnstap.f)
static const struct config_key config_dnstap_keys[] = {
	{ "sink", val_dnstap_sink, 0, 0, 0 },
	{ "identity", val_string, DTOFF(identity), 0, 0 },
	{ "version", val_string, DTOFF(version), 0, 0 },
	{ "log-queries", val_bool, DTOFF(log_queries), 0, 0 },
	{ "log-responses", val_bool, DTOFF(log_responses), 0, 0 },
	{ "sample", val_uint, DTOFF(sample), 1, DNSTAP_SAMPLE_MAX },
	{ "sample-under-attack", val_uint, DTOFF(sample_attack), 1,
	  DNSTAP_SAMPLE_MAX },
	{ NULL, NULL, 0, 0, 0 },
};

static int section_dnstap(struct cparse *p, const char *key, yaml_node_t *v)
{
	return parse_keys(p, key, v, config_dnstap_keys);
}

/* --- section xdp: (server/xdp.h; knotd's xdp: names) --- */

/* One listen: entry, IFACE or IFACE@PORT: an interface name of 1 to 15
 * bytes (IFNAMSIZ - 1) without '/', ':' or white space, and a port of 1
 * to 65535 (default 53). Whether the interface exists is the reactors'
 * to find at start (xdp.h: one warning, then UDP stays on sockets). */
static int one_xdp_listen(struct cparse *p, const struct config_key *k,
			  yaml_node_t *v)
{
	struct config *cfg = p->cfg;
	struct config_xdp *x;
	const char *s = scalar(v), *at;
	size_t nlen;
	long port = 53;

	if (!s || !*s)
		return cerr(p, v, k->name, "expected IFACE or IFACE@PORT");
	at = strchr(s, '@');
	nlen = at ? (size_t)(at - s) : strlen(s);
	if (nlen == 0)
		return cerr(p, v, k->name, "'%s': no interface name before @",
			    s);
	if (nlen >= sizeof(x->ifname))
		return cerr(p, v, k->name, "'%s': an interface name is at most "
			    "%zu bytes", s, sizeof(x->ifname) - 1);
	for (size_t i = 0; i < nlen; i++)
		if (s[i] == '/' || s[i] == ':' || s[i] == ' ' || s[i] == '\t')
			return cerr(p, v, k->name, "'%s': not an interface "
				    "name (an address? xdp: listen takes "
				    "IFACE@PORT, e.g. eth0@53)", s);
	{
		/* An IPv4 address is a legal interface name (dots are:
		 * eth0.100) but surely meant as knotd's address form, which
		 * Levee does not take. */
		char name[16];
		struct in_addr a4;

		memcpy(name, s, nlen);
		name[nlen] = '\0';
		if (inet_pton(AF_INET, name, &a4) == 1)
			return cerr(p, v, k->name, "'%s': not an interface "
				    "name (an address? xdp: listen takes "
				    "IFACE@PORT, e.g. eth0@53)", s);
	}
	if (at && (parse_long(at + 1, &port) < 0 || port < 1 || port > 65535))
		return cerr(p, v, k->name, "'%s': expected a port from 1 to "
			    "65535 after @", s);
	for (size_t i = 0; i < cfg->xdp_count; i++)
		if (strlen(cfg->xdp[i].ifname) == nlen &&
		    memcmp(cfg->xdp[i].ifname, s, nlen) == 0 &&
		    cfg->xdp[i].port == port)
			return cerr(p, v, k->name, "'%s' given twice", s);
	for (size_t i = 0; i < cfg->xdp_count; i++)
		if (strlen(cfg->xdp[i].ifname) == nlen &&
		    memcmp(cfg->xdp[i].ifname, s, nlen) == 0)
			return cerr(p, v, k->name, "'%s': one port per "
				    "interface (the XDP program of %.*s "
				    "redirects one port)", s, (int)nlen, s);
	if (cfg->xdp_count >= CONFIG_MAX_XDP)
		return cerr(p, v, k->name, "more than %d interfaces",
			    CONFIG_MAX_XDP);
	x = &cfg->xdp[cfg->xdp_count++];
	memcpy(x->ifname, s, nlen);
	x->ifname[nlen] = '\0';
	x->port = (uint16_t)port;
	/* From s, not x->ifname: snprintf may not read what it writes into. */
	snprintf(x->text, sizeof(x->text), "%.*s@%ld", (int)nlen, s, port);
	return 0;
}

static int val_xdp_listen(struct cparse *p, const struct config_key *k,
			  yaml_node_t *v)
{
	return each_scalar(p, k, v, one_xdp_listen);
}

/* udp: off turns the section off (knotd: UDP over XDP is its default). */
static int val_xdp_udp(struct cparse *p, const struct config_key *k,
		       yaml_node_t *v)
{
	bool on;

	if (parse_bool(scalar(v), &on) < 0)
		return cerr(p, v, k->name, "expected true or false");
	p->xdp_udp_off = !on;
	return 0;
}

static int val_xdp_tcp(struct cparse *p, const struct config_key *k,
		       yaml_node_t *v)
{
	bool on;

	if (parse_bool(scalar(v), &on) < 0)
		return cerr(p, v, k->name, "expected true or false");
	if (on)
		return cerr(p, v, k->name, "TCP over XDP is not supported: "
			    "TCP stays on the sockets of server: listen");
	return 0;
}

static int val_xdp_ring(struct cparse *p, const struct config_key *k,
			yaml_node_t *v)
{
	long n;

	if (parse_long(scalar(v), &n) < 0 || n < 256 || n > 65536 ||
	    (n & (n - 1)))
		return cerr(p, v, k->name, "expected a power of two from 256 "
			    "to 65536");
	p->cfg->xdp_ring_size = (unsigned)n;
	return 0;
}

static const struct config_key config_xdp_keys[] = {
	{ "listen", val_xdp_listen, 0, 0, 0 },
	{ "udp", val_xdp_udp, 0, 0, 0 },
	{ "tcp", val_xdp_tcp, 0, 0, 0 },
	{ "ring-size", val_xdp_ring, 0, 0, 0 },
	{ NULL, NULL, 0, 0, 0 },
};

static int section_xdp(struct cparse *p, const char *key, yaml_node_t *v)
{
	int rc = parse_keys(p, key, v, config_xdp_keys);

	if (rc == 0 && p->xdp_udp_off)
		p->cfg->xdp_count = 0;   /* udp: off: nothing over XDP */
	return rc;
}

static const struct config_section config_sections[] = {
	{ "server", section_server, NULL },
	{ "rate-limit", section_rrl, NULL },
	{ "cookies", section_cookies, NULL },
	{ "limits", section_limits, NULL },
	{ "attack", section_attack, NULL },
	{ "key", section_key, NULL },
	{ "acl", section_acl, NULL },
	{ "template", section_template, NULL },
	{ "zones", NULL, section_zones },
	{ "remote", section_remote, NULL },
	{ "control", section_control, NULL },
	{ "metrics", section_metrics, NULL },
	{ "dnstap", section_dnstap, NULL },
	{ "database", section_database, NULL },
	{ "xdp", section_xdp, NULL },
	{ NULL, NULL, NULL },
};

void config_init(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	rrl_config_init(&cfg->rrl);
	/* The server's default: RRL on, as Debian's nsd (rrl-ratelimit 200),
	 * so a default install is no reflector (docs/rrl.md). */
	cfg->rrl.responses_per_second = CONFIG_DEFAULT_RRL_RATE;
	limits_config_init(&cfg->limits);
	attack_config_init(&cfg->attack);
	cfg->cookies.answer = true;
	cfg->udp_max_payload = 1232;
	cfg->udp_rcvbuf = 512u << 10;
	cfg->udp_sndbuf = 4u << 20;
	cfg->udp_bpf_filter = true;
	cfg->udp_ebpf_filter = true;
	cfg->exempt_local = true;
	cfg->sig_margin = SIGCHECK_MARGIN;
	cfg->nsec3_iter_max = ZONE_NSEC3_ITER_MAX;
	cfg->metrics_per_zone = true;
	cfg->dnstap.log_queries = true;
	cfg->dnstap.log_responses = true;
	cfg->dnstap.sample = 1;
	cfg->udp_ebpf_hold_ms = 1000;
	cfg->xdp_ring_size = CONFIG_XDP_RING_DEFAULT;
	cfg->tcp_idle_timeout = 10;
	cfg->tcp_max_clients = 16384;
	cfg->tcp_max_per_prefix = 50;
	cfg->tcp_message_timeout = 5;
	cfg->tcp_memory_max = CONFIG_DEFAULT_TCP_MEMORY;
	cfg->transfers_max = CONFIG_DEFAULT_TRANSFERS;
	cfg->refresh_min = CONFIG_DEFAULT_REFRESH_MIN;
	cfg->refresh_max = CONFIG_DEFAULT_REFRESH_MAX;
	cfg->log_level = LOG_LEVEL_INFO;
	cfg->journal_db_max_size = JOURNAL_DEFAULT_MAP_BYTES;
	cfg->journal_max_usage = JOURNAL_DEFAULT_MAX_BYTES;
	cfg->journal_max_depth = JOURNAL_DEFAULT_MAX_DEPTH;
}

/* One section: its value composed into a document of its own and walked,
 * or streamed. *first: the value's first event (owned here). */
static int config_section(struct cparse *p, const struct config_section *sec,
			  yaml_event_t *first)
{
	struct ycompose_err ye;
	yaml_document_t doc;
	yaml_node_t *v;
	int id, rc;

	if (sec->stream)
		return sec->stream(p, sec->name, first);
	if (!yaml_document_initialize(&doc, NULL, NULL, NULL, 1, 1)) {
		yaml_event_delete(first);
		return cerr_at(p, 0, NULL, "out of memory");
	}
	id = ycompose_node(p->parser, first, &doc, &ye);
	if (!id) {
		yaml_document_delete(&doc);
		return cerr_yc(p, &ye);
	}
	p->doc = &doc;
	v = yaml_document_get_node(&doc, id);
	/* "server:" alone is an empty section. */
	if (v->type == YAML_SCALAR_NODE && !*scalar(v))
		rc = 0;
	else
		rc = sec->parse(p, sec->name, v);
	p->doc = NULL;
	yaml_document_delete(&doc);
	return rc;
}

/* The root mapping, its MAPPING_START read: each key once, each a known
 * section, each value parsed before the next key is read. */
static int config_root(struct cparse *p)
{
	unsigned char seen[16] = { 0 };
	struct ycompose_err ye;
	yaml_event_t ev;

	for (;;) {
		const char *name;
		size_t i, line;
		int rc;

		if (!ycompose_next(p->parser, &ev, &ye))
			return cerr_yc(p, &ye);
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		line = ev.start_mark.line;
		if (ev.type != YAML_SCALAR_EVENT) {
			yaml_event_delete(&ev);
			return cerr_at(p, line, NULL, "keys must be scalars");
		}
		name = (const char *)ev.data.scalar.value;
		for (i = 0; config_sections[i].name; i++)
			if (strcmp(config_sections[i].name, name) == 0)
				break;
		if (!config_sections[i].name)
			rc = cerr_at(p, line, name, "unknown key");
		else if (i < sizeof(seen) && seen[i]++)
			rc = cerr_at(p, line, name, "given twice");
		else
			rc = 0;
		yaml_event_delete(&ev);
		if (rc < 0)
			return rc;
		if (!ycompose_next(p->parser, &ev, &ye))
			return cerr_yc(p, &ye);
		rc = config_section(p, &config_sections[i], &ev);
		if (rc < 0)
			return rc;
	}
}

/* The stream up to the root node of its first document (later documents
 * are not read), then the root: nothing or an empty scalar (defaults) or
 * a mapping. */
static int config_stream(struct cparse *p)
{
	struct ycompose_err ye;
	yaml_event_t ev;
	size_t line;
	int rc;

	for (;;) {
		if (!ycompose_next(p->parser, &ev, &ye))
			return cerr_yc(p, &ye);
		switch (ev.type) {
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_START_EVENT:
			yaml_event_delete(&ev);
			continue;
		case YAML_STREAM_END_EVENT:
			yaml_event_delete(&ev);
			return 0;   /* empty file: defaults */
		case YAML_MAPPING_START_EVENT:
			yaml_event_delete(&ev);
			return config_root(p);
		case YAML_SCALAR_EVENT:
			rc = ev.data.scalar.length ? 1 : 0;
			break;
		default:
			rc = 1;
			break;
		}
		line = ev.start_mark.line;
		yaml_event_delete(&ev);
		if (rc == 0)
			return 0;   /* an empty document: defaults */
		return cerr_at(p, line, NULL,
			       "expected a mapping with server: and zones:");
	}
}

int config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	struct cparse p = { cfg, NULL, NULL, path, err, errlen, 0, NULL, false };
	yaml_parser_t parser;
	FILE *f;
	int rc;

	if (set_string(&cfg->path, path) < 0) {
		snprintf(err, errlen, "%s: out of memory", path);
		return LV_ECONFIG;
	}
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
			 strerror(errno));
		return LV_ECONFIG;
	}
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return LV_ECONFIG;
	}
	yaml_parser_set_input_file(&parser, f);
	p.parser = &parser;
	rc = config_stream(&p);
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}

int config_parse_listen(const char *text, struct config_listen *l,
			char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 8];
	const char *at;
	long port = 53;
	size_t hl;

	memset(l, 0, sizeof(*l));
	if (!text || !*text) {
		snprintf(err, errlen, "expected ADDR@PORT");
		return LV_ECONFIG;
	}
	at = strrchr(text, '@');
	hl = at ? (size_t)(at - text) : strlen(text);
	if (hl == 0 || hl >= sizeof(host)) {
		snprintf(err, errlen, "bad address '%s'", text);
		return LV_ECONFIG;
	}
	memcpy(host, text, hl);
	host[hl] = '\0';
	if (at && (parse_long(at + 1, &port) < 0 || port < 1 ||
		   port > 65535)) {
		snprintf(err, errlen, "bad port in '%s' (1 to 65535)", text);
		return LV_ECONFIG;
	}
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	if (strchr(host, ':')) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&l->addr;

		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1) {
			snprintf(err, errlen, "bad IPv6 address in '%s'", text);
			return LV_ECONFIG;
		}
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		l->addrlen = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&l->addr;

		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1) {
			snprintf(err, errlen, "bad IPv4 address in '%s'", text);
			return LV_ECONFIG;
		}
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		l->addrlen = sizeof(*a4);
	}
	snprintf(l->text, sizeof(l->text), "%s@%ld", host, port);
	return 0;
}

int config_add_listen(struct config *cfg, const char *text,
		      char *err, size_t errlen)
{
	struct config_listen l;
	int rc = config_parse_listen(text, &l, err, errlen);

	if (rc < 0)
		return rc;
	if (cfg->udp_io == CONFIG_UDP_IO_LIBUV && listen_wildcard(&l)) {
		snprintf(err, errlen, "wildcard address '%s' needs udp-io: "
			 "mmsg (libuv has no PKTINFO)", text);
		return LV_ECONFIG;
	}
	for (size_t i = 0; i < cfg->listen_count; i++)
		if (cfg->listen[i].addrlen == l.addrlen &&
		    memcmp(&cfg->listen[i].addr, &l.addr, l.addrlen) == 0)
			return 0;
	if (cfg->listen_count >= CONFIG_MAX_LISTEN) {
		snprintf(err, errlen, "more than %d listen addresses",
			 CONFIG_MAX_LISTEN);
		return LV_ECONFIG;
	}
	cfg->listen[cfg->listen_count++] = l;
	return 0;
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	config_zones_free(cfg);
	free(cfg->path);
	free(cfg->user);
	free(cfg->group);
	free(cfg->identity);
	free(cfg->version);
	tsig_keyring_free(cfg->tsig);
	free(cfg->control_listen);
	free(cfg->dnstap.sink);
	free(cfg->dnstap.identity);
	free(cfg->dnstap.version);
	free(cfg->journal_db);
	for (size_t i = 0; i < cfg->template_count; i++)
		free(cfg->templates[i].file);
	memset(cfg, 0, sizeof(*cfg));
}
