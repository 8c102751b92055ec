/* golden.c -- golden answers: the file, the queries, the engine call, the
 * replies as text (golden.h).
 *
 * Parsing: every line of the file is kept (the tool rewrites the file
 * around its comments and directives); a query line is built into wire
 * form at once with the settings in force there, so a `$udp-max` half-way
 * down applies to the lines below it. Decoding: the reply is walked by
 * hand for what ldns hides (the OPT record's place and bytes, the question
 * as echoed, the extended rcode) and handed to ldns_wire2pkt for the
 * records in presentation form. Everything here allocates freely: it is
 * test and bench code, never on the server's query path.
 */
#include <ctype.h>
#include <errno.h>
#include <ldns/ldns.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/golden/golden.h"
#include "server/query.h"
#include "server/stats.h"
#include "zones/zdb.h"
#include "zones/zload.h"

#define GOLDEN_ID 0x1234
#define GOLDEN_NOW 1700000000u

/* --- small helpers --- */

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) {
		perror("golden");
		exit(2);
	}
	return q;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xrealloc(NULL, n), s, n);
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* Hex digits (spaces allowed between bytes) into out; returns the byte
 * count or -1. */
static long hex_decode(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;
		if (isspace((unsigned char)*s) && hi < 0)
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= max)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? (long)n : -1;
}

/* A growing string. */
struct buf {
	char *s;
	size_t len, cap;
};

static void bprintf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL,
			      b->s ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (b->s && b->len + (size_t)n < b->cap)
			break;
		b->cap = (b->len + (size_t)n + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
	b->len += (size_t)n;
}

static void bhex(struct buf *b, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bprintf(b, "%02x", p[i]);
}

/* --- the file --- */

static const char *keep(struct golden_file *g, const char *s)
{
	g->strings = xrealloc(g->strings, (g->nstrings + 1) * sizeof(char *));
	return g->strings[g->nstrings++] = xstrdup(s);
}

static int fail(char *err, size_t errlen, const char *path, unsigned line,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int fail(char *err, size_t errlen, const char *path, unsigned line,
		const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "%s:%u: ", path, line);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* The settings a query line sees: changed by the directives above it. */
static int directive(struct golden_file *g, struct answer_config *cfg,
		     char *line, unsigned ln, char *err, size_t errlen)
{
	char *key = strtok(line + 1, " \t");
	char *arg = strtok(NULL, "");

	while (arg && isspace((unsigned char)*arg))
		arg++;
	if (!key || !arg || !*arg)
		return fail(err, errlen, g->path, ln, "directive without argument");
	bool none = strcmp(arg, "-") == 0;
	if (strcmp(key, "zone") == 0) {
		char origin[300], file[4096], path[4400], zerr[512];
		struct zone *z;
		const char *slash = strrchr(g->path, '/');
		int dl = slash ? (int)(slash - g->path) : 1;
		if (sscanf(arg, "%299s %4095s", origin, file) != 2)
			return fail(err, errlen, g->path, ln, "$zone ORIGIN FILE");
		snprintf(path, sizeof(path), "%.*s/%s", dl, slash ? g->path : ".", file);
		if (zload_file(origin, path, &z, zerr, sizeof(zerr)))
			return fail(err, errlen, g->path, ln, "%s", zerr);
		if (zdb_add(g->db, z))
			return fail(err, errlen, g->path, ln, "zone %s twice", origin);
	} else if (strcmp(key, "nsid") == 0) {
		cfg->nsid = none ? NULL : (const uint8_t *)keep(g, arg);
		cfg->nsid_len = none ? 0 : (uint16_t)strlen(arg);
	} else if (strcmp(key, "id") == 0) {
		cfg->id_server = none ? NULL : keep(g, arg);
	} else if (strcmp(key, "version") == 0) {
		cfg->version = none ? NULL : keep(g, arg);
	} else if (strcmp(key, "udp-max") == 0) {
		cfg->udp_max = (uint16_t)strtoul(arg, NULL, 10);
	} else if (strcmp(key, "keepalive") == 0) {
		cfg->tcp_keepalive = (uint16_t)strtoul(arg, NULL, 10);
	} else {
		return fail(err, errlen, g->path, ln, "unknown directive $%s", key);
	}
	return 0;
}

/* One query line: NAME [CLASS] TYPE [+option ...], or raw HEX [+tcp]. */
static int build_query(struct golden_entry *e, char *text, const char *path,
		       unsigned ln, char *err, size_t errlen)
{
	uint8_t *q = e->query;
	char *tok[64];
	int nt = 0;

	for (char *t = strtok(text, " \t"); t && nt < 64; t = strtok(NULL, " \t"))
		tok[nt++] = t;
	if (nt >= 2 && strcmp(tok[0], "raw") == 0) {
		long n = hex_decode(tok[1], q, GOLDEN_QMAX);
		if (n < 0)
			return fail(err, errlen, path, ln, "bad hex");
		e->query_len = (size_t)n;
		for (int i = 2; i < nt; i++) {
			if (strcmp(tok[i], "+tcp") != 0)
				return fail(err, errlen, path, ln, "raw takes only +tcp");
			e->tcp = true;
		}
		return 0;
	}
	if (nt < 2)
		return fail(err, errlen, path, ln, "want NAME [CLASS] TYPE");

	int ti = 1;
	unsigned qclass = LDNS_RR_CLASS_IN, qtype;
	if (nt > 2 && tok[2][0] != '+') {
		if (strncmp(tok[1], "CLASS", 5) == 0)
			qclass = (unsigned)strtoul(tok[1] + 5, NULL, 10);
		else if (!(qclass = ldns_get_rr_class_by_name(tok[1])))
			return fail(err, errlen, path, ln, "unknown class %s", tok[1]);
		ti = 2;
	}
	if (strncmp(tok[ti], "TYPE", 4) == 0 && isdigit((unsigned char)tok[ti][4]))
		qtype = (unsigned)strtoul(tok[ti] + 4, NULL, 10);
	else if (!(qtype = ldns_get_rr_type_by_name(tok[ti])))
		return fail(err, errlen, path, ln, "unknown type %s", tok[ti]);

	unsigned id = GOLDEN_ID, opcode = 0, edns = 0, ver = 0;
	int qd = 1, an = 0, ar = -1;
	bool rd = false, cd = false, ad = false, qr = false, dobit = false;
	bool noq = false;
	uint8_t opts[512], trail[256];
	size_t olen = 0, tlen = 0;
	for (int i = ti + 1; i < nt; i++) {
		char *o = tok[i], *v = strchr(o, '=');
		if (o[0] != '+')
			return fail(err, errlen, path, ln, "not an option: %s", o);
		o++;
		if (v)
			*v++ = 0;
		unsigned long num = v ? strtoul(v, NULL, 0) : 0;
		bool opt_needs = true;
		if (strcmp(o, "tcp") == 0)
			e->tcp = true, opt_needs = false;
		else if (strcmp(o, "edns") == 0)
			edns = v ? (unsigned)num : 1232;
		else if (strcmp(o, "do") == 0)
			dobit = true;
		else if (strcmp(o, "ednsver") == 0)
			ver = (unsigned)num;
		else if (strcmp(o, "nsid") == 0 || strcmp(o, "keepalive") == 0 ||
			 strcmp(o, "cookie") == 0 || strcmp(o, "opt") == 0) {
			unsigned code = o[0] == 'n' ? LDNS_EDNS_NSID :
					o[0] == 'k' ? 11 : o[1] == 'o' ? 10 : 0;
			const char *hex = v ? v : "";
			if (code == 0) {
				char *colon = v ? strchr(v, ':') : NULL;
				if (!colon)
					return fail(err, errlen, path, ln, "+opt=CODE:HEX");
				code = (unsigned)strtoul(v, NULL, 0);
				hex = colon + 1;
			}
			if (olen + 4 > sizeof(opts))
				return fail(err, errlen, path, ln, "options too long");
			long n = hex_decode(hex, opts + olen + 4, sizeof(opts) - olen - 4);
			if (n < 0)
				return fail(err, errlen, path, ln, "bad hex in +%s", o);
			put16(opts + olen, code);
			put16(opts + olen + 2, (unsigned)n);
			olen += 4 + (size_t)n;
		} else {
			opt_needs = false;
			if (strcmp(o, "rd") == 0)
				rd = true;
			else if (strcmp(o, "cd") == 0)
				cd = true;
			else if (strcmp(o, "ad") == 0)
				ad = true;
			else if (strcmp(o, "qr") == 0)
				qr = true;
			else if (strcmp(o, "id") == 0)
				id = (unsigned)num;
			else if (strcmp(o, "opcode") == 0)
				opcode = (unsigned)num;
			else if (strcmp(o, "qdcount") == 0)
				qd = (int)num;
			else if (strcmp(o, "ancount") == 0)
				an = (int)num;
			else if (strcmp(o, "arcount") == 0)
				ar = (int)num;
			else if (strcmp(o, "noquestion") == 0)
				noq = true, qd = 0;
			else if (strcmp(o, "trailing") == 0) {
				long n = v ? hex_decode(v, trail, sizeof(trail)) : -1;
				if (n < 0)
					return fail(err, errlen, path, ln, "+trailing=HEX");
				tlen = (size_t)n;
			} else
				return fail(err, errlen, path, ln, "unknown option +%s", o);
		}
		if (opt_needs && !edns)
			edns = 1232;
	}

	ldns_rdf *dn = ldns_dname_new_frm_str(tok[0]);
	if (!dn)
		return fail(err, errlen, path, ln, "bad name %s", tok[0]);
	size_t n = 12;
	put16(q, id);
	put16(q + 2, (qr ? 0x8000 : 0) | (opcode & 15) << 11 | (rd ? 0x100 : 0) |
		     (ad ? 0x20 : 0) | (cd ? 0x10 : 0));
	put16(q + 4, (unsigned)qd);
	put16(q + 6, (unsigned)an);
	put16(q + 8, 0);
	put16(q + 10, ar >= 0 ? (unsigned)ar : edns ? 1 : 0);
	if (!noq) {
		memcpy(q + n, ldns_rdf_data(dn), ldns_rdf_size(dn));
		n += ldns_rdf_size(dn);
		put16(q + n, qtype);
		put16(q + n + 2, qclass);
		n += 4;
	}
	ldns_rdf_deep_free(dn);
	if (edns) {
		if (n + 11 + olen + tlen > GOLDEN_QMAX)
			return fail(err, errlen, path, ln, "query too long");
		q[n] = 0;
		put16(q + n + 1, LDNS_RR_TYPE_OPT);
		put16(q + n + 3, edns);
		q[n + 5] = 0;
		q[n + 6] = (uint8_t)ver;
		put16(q + n + 7, dobit ? 0x8000 : 0);
		put16(q + n + 9, (unsigned)olen);
		memcpy(q + n + 11, opts, olen);
		n += 11 + olen;
	}
	memcpy(q + n, trail, tlen);
	e->query_len = n + tlen;
	return 0;
}

static void strip(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' ||
		     s[n - 1] == '\t'))
		s[--n] = 0;
}

int golden_load(const char *path, struct golden_file **out, char *err,
		size_t errlen)
{
	struct golden_file *g = xrealloc(NULL, sizeof(*g));
	struct answer_config cfg = { .udp_max = 1232 };
	char *line = NULL;
	size_t cap = 0;
	unsigned ln = 0;
	FILE *f;

	memset(g, 0, sizeof(*g));
	*out = g;
	g->path = xstrdup(path);
	g->db = zdb_new();
	if (!g->db)
		return fail(err, errlen, path, 0, "out of memory");
	f = fopen(path, "r");
	if (!f)
		return fail(err, errlen, path, 0, "%s", strerror(errno));
	while (getline(&line, &cap, f) >= 0) {
		ln++;
		strip(line);
		g->lines = xrealloc(g->lines, ln * sizeof(char *));
		g->is_reply = xrealloc(g->is_reply, ln * sizeof(bool));
		g->entry_of = xrealloc(g->entry_of, ln * sizeof(int));
		g->lines[ln - 1] = xstrdup(line);
		g->is_reply[ln - 1] = line[0] == '\t';
		g->entry_of[ln - 1] = -1;
		g->nlines = ln;
		if (line[0] == '\t') {
			struct golden_entry *e;
			if (!g->count)
				goto bad_reply;
			e = &g->entries[g->count - 1];
			size_t el = strlen(e->expected), add = strlen(line + 1);
			e->expected = xrealloc(e->expected, el + add + 2);
			memcpy(e->expected + el, line + 1, add);
			e->expected[el + add] = '\n';
			e->expected[el + add + 1] = 0;
			continue;
		}
		if (line[0] == 0 || line[0] == '#')
			continue;
		if (line[0] == '$') {
			if (directive(g, &cfg, line, ln, err, errlen))
				goto out;
			continue;
		}
		/* a query; an inline comment after " #" */
		char *hash = strstr(line, " #");
		if (hash)
			*hash = 0;
		g->entries = xrealloc(g->entries, (g->count + 1) * sizeof(*g->entries));
		struct golden_entry *e = &g->entries[g->count];
		memset(e, 0, sizeof(*e));
		e->line = ln;
		e->text = g->lines[ln - 1];
		e->cfg = cfg;
		e->expected = xstrdup("");
		g->entry_of[ln - 1] = (int)g->count++;
		if (build_query(e, line, path, ln, err, errlen))
			goto out;
	}
	free(line);
	fclose(f);
	return 0;
bad_reply:
	fail(err, errlen, path, ln, "a reply line before any query");
out:
	free(line);
	fclose(f);
	return -1;
}

void golden_free(struct golden_file *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->count; i++)
		free(g->entries[i].expected);
	for (size_t i = 0; i < g->nlines; i++)
		free(g->lines[i]);
	for (size_t i = 0; i < g->nstrings; i++)
		free(g->strings[i]);
	free(g->entries);
	free(g->lines);
	free(g->is_reply);
	free(g->entry_of);
	free(g->strings);
	if (g->db)
		zdb_free(g->db);
	free(g->path);
	free(g);
}

/* --- the engine --- */

size_t golden_resp_cap(const struct golden_entry *e)
{
	if (e->tcp)
		return 65535;
	return e->cfg.udp_max > 512 ? e->cfg.udp_max : 512;
}

int golden_answer(const struct golden_file *g, const struct golden_entry *e,
		  uint8_t *resp, size_t resp_cap, size_t *len)
{
	static struct stats stats;
	struct query_env env = { .acfg = &e->cfg, .stats = &stats };
	struct query q = {
		.msg = e->query,
		.len = e->query_len,
		.resp = resp,
		.resp_cap = resp_cap,
		.tcp = e->tcp,
		.now = GOLDEN_NOW,
	};
	int st = query_process(&env, g->db, &q);

	*len = st == QUERY_SEND ? q.resp_len : 0;
	return st;
}

/* --- the reply as text --- */

static const char *rcode_name(unsigned rc, char *buf, size_t n)
{
	static const char *names[] = { "NOERROR", "FORMERR", "SERVFAIL",
		"NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
		"NXRRSET", "NOTAUTH", "NOTZONE" };
	if (rc < sizeof(names) / sizeof(names[0]))
		return names[rc];
	if (rc == 16)
		return "BADVERS";
	if (rc == 23)
		return "BADCOOKIE";
	snprintf(buf, n, "RCODE%u", rc);
	return buf;
}

/* Skips a name (compressed or not) at p[*off]. */
static bool skip_name(const uint8_t *p, size_t len, size_t *off)
{
	while (*off < len) {
		uint8_t l = p[*off];
		if ((l & 0xC0) == 0xC0) {
			*off += 2;
			return *off <= len;
		}
		if (l & 0xC0)
			return false;
		*off += 1 + (size_t)l;
		if (l == 0)
			return true;
	}
	return false;
}

/* One record of ldns as a line: tabs to single spaces, no newline. */
static void put_rr(struct buf *b, const char *prefix, const ldns_rr *rr)
{
	char *s = ldns_rr2str(rr);
	if (!s) {
		bprintf(b, "%s ?\n", prefix);
		return;
	}
	strip(s);
	for (char *c = s; *c; c++)
		if (*c == '\t')
			*c = ' ';
	bprintf(b, "%s %s\n", prefix, s);
	free(s);
}

static void put_opt(struct buf *b, const uint8_t *o, size_t avail)
{
	/* o: TYPE CLASS TTL RDLENGTH RDATA of the OPT */
	unsigned udp = get16(o + 2), ver = o[5], z = get16(o + 6);
	size_t rdlen = get16(o + 8);
	const uint8_t *p = o + 10, *end = o + 10 + (rdlen <= avail - 10 ? rdlen : 0);

	bprintf(b, "opt udp=%u ver=%u", udp, ver);
	if (z & 0x8000)
		bprintf(b, " do");
	if (z & 0x7fff)
		bprintf(b, " z=0x%04x", z & 0x7fff);
	while (end - p >= 4) {
		unsigned code = get16(p), l = get16(p + 2);
		const uint8_t *d = p + 4;
		if ((size_t)(end - d) < l) {
			bprintf(b, " malformed");
			break;
		}
		bool text = l > 0;
		for (unsigned i = 0; i < l; i++)
			text &= d[i] >= 0x20 && d[i] < 0x7f && d[i] != '"' && d[i] != '\\';
		if (code == LDNS_EDNS_NSID && text)
			bprintf(b, " nsid=\"%.*s\"", (int)l, (const char *)d);
		else if (code == 15 && l >= 2) {
			bprintf(b, " ede=%u", get16(d));
			if (l > 2)
				bprintf(b, ":\"%.*s\"", (int)(l - 2), (const char *)d + 2);
		} else if (code == 11 && l == 2)
			bprintf(b, " keepalive=%u", get16(d));
		else if (code == 12)
			bprintf(b, " padding=%u", l);
		else {
			bprintf(b, " %s=", code == LDNS_EDNS_NSID ? "nsid" :
				code == 10 ? "cookie" : "opt");
			if (code != LDNS_EDNS_NSID && code != 10)
				bprintf(b, "%u:", code);
			bhex(b, d, l);
		}
		p = d + l;
	}
	bprintf(b, "\n");
}

char *golden_reply_text(const struct golden_entry *e, int status,
			const uint8_t *r, size_t len)
{
	struct buf b = { 0 };
	char rcb[16];

	if (status != QUERY_SEND) {
		bprintf(&b, "DROP\n");
		return b.s;
	}
	if (len < 12) {
		bprintf(&b, "short ");
		bhex(&b, r, len);
		bprintf(&b, "\n");
		return b.s;
	}
	/* Walk the sections for the question's end and the OPT. */
	unsigned qd = get16(r + 4), counts = get16(r + 6) + get16(r + 8) +
		      get16(r + 10), ar_from = get16(r + 6) + get16(r + 8);
	size_t off = 12, opt = 0;
	bool ok = true;
	for (unsigned i = 0; ok && i < qd; i++) {
		ok = skip_name(r, len, &off) && off + 4 <= len;
		off += 4;
	}
	size_t qend = off;
	for (unsigned i = 0; ok && i < counts; i++) {
		ok = skip_name(r, len, &off) && off + 10 <= len;
		if (ok && i >= ar_from && get16(r + off) == LDNS_RR_TYPE_OPT)
			opt = off;
		if (ok)
			off += 10 + get16(r + off + 8);
		ok = ok && off <= len;
	}
	ldns_pkt *p = NULL;
	if (!ok || off != len || ldns_wire2pkt(&p, r, len) != LDNS_STATUS_OK) {
		bprintf(&b, "undecodable ");
		bhex(&b, r, len);
		bprintf(&b, "\n");
		ldns_pkt_free(p);
		return b.s;
	}

	unsigned flags = get16(r + 2);
	unsigned rcode = (flags & 15) | (opt ? (unsigned)r[opt + 4] << 4 : 0);
	bprintf(&b, "%s", rcode_name(rcode, rcb, sizeof(rcb)));
	static const struct { unsigned bit; const char *name; } fl[] = {
		{ 0x8000, "qr" }, { 0x0400, "aa" }, { 0x0200, "tc" },
		{ 0x0100, "rd" }, { 0x0080, "ra" }, { 0x0040, "z" },
		{ 0x0020, "ad" }, { 0x0010, "cd" },
	};
	for (size_t i = 0; i < sizeof(fl) / sizeof(fl[0]); i++)
		if (flags & fl[i].bit)
			bprintf(&b, " %s", fl[i].name);
	if ((flags >> 11) & 15)
		bprintf(&b, " opcode=%u", (flags >> 11) & 15);
	if (get16(r) != get16(e->query))
		bprintf(&b, " id=%u", get16(r));
	bprintf(&b, " len=%zu\n", len);

	/* The question: silent when echoed byte for byte. */
	unsigned want_qd = e->query_len >= 12 ? get16(e->query + 4) : 0;
	if (qd == 0 && want_qd != 0)
		bprintf(&b, "qd none\n");
	else if (qd != want_qd || qend > e->query_len ||
		 memcmp(r + 12, e->query + 12, qend - 12) != 0) {
		ldns_rr_list *ql = ldns_pkt_question(p);
		for (size_t i = 0; i < ldns_rr_list_rr_count(ql); i++)
			put_rr(&b, "qd", ldns_rr_list_rr(ql, i));
	}
	static const struct { ldns_pkt_section sec; const char *name; } secs[] = {
		{ LDNS_SECTION_ANSWER, "an" },
		{ LDNS_SECTION_AUTHORITY, "ns" },
		{ LDNS_SECTION_ADDITIONAL, "ad" },
	};
	for (size_t s = 0; s < 3; s++) {
		ldns_rr_list *l = ldns_pkt_get_section_clone(p, secs[s].sec);
		for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
			put_rr(&b, secs[s].name, ldns_rr_list_rr(l, i));
		ldns_rr_list_deep_free(l);
	}
	if (opt)
		put_opt(&b, r + opt, len - opt);
	ldns_pkt_free(p);
	return b.s;
}

int golden_write(const struct golden_file *g, FILE *out)
{
	static uint8_t resp[65535];

	for (size_t i = 0; i < g->nlines; i++) {
		if (g->is_reply[i])
			continue;
		fprintf(out, "%s\n", g->lines[i]);
		if (g->entry_of[i] < 0)
			continue;
		const struct golden_entry *e = &g->entries[g->entry_of[i]];
		size_t len;
		int st = golden_answer(g, e, resp, golden_resp_cap(e), &len);
		char *t = golden_reply_text(e, st, resp, len);
		for (char *l = t; *l;) {
			char *nl = strchr(l, '\n');
			fprintf(out, "\t%.*s\n", (int)(nl - l), l);
			l = nl + 1;
		}
		free(t);
	}
	return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
