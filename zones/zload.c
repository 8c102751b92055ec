/* zload.c -- zone file (RFC 1035 master file) to zone, with ldns.
 *
 * With zsplit.c, the only file of Levee that holds ldns objects for zone
 * data. Each record is read with ldns_rr_new_frm_fp_l(), turned into owner
 * and RDATA wire bytes and handed to the zone_builder at once; the ldns_rr
 * is freed before the next one is read, so memory stays flat however big
 * the file. A file of at least 1 MiB goes to zsplit.c, which cuts it at
 * record boundaries into one part per CPU, read by as many threads with
 * zload_run() into record buffers that this thread feeds to the builder in
 * file order; the zone and the error messages are the same as on one
 * thread. What the two files share is in zsplit.h.
 *
 * Ownership of the ldns state: ldns frees and replaces *origin on $ORIGIN and
 * *prev on every explicit owner, so each file level owns one origin rdf (a
 * clone of the parent's, restored after a $INCLUDE returns) and one prev rdf,
 * both freed when that level ends. ldns reports $INCLUDE but not its
 * argument: the position before the call is kept, and on
 * LDNS_STATUS_SYNTAX_INCLUDE the line is read again by hand. An included file
 * is found relative to the directory of the file that includes it; includes
 * nest at most ZLOAD_MAX_DEPTH deep, ZLOAD_MAX_INCLUDES in all.
 *
 * Line numbers in messages are those of the first line of the record: ldns
 * only counts lines it consumed, so on an error the bytes since the previous
 * record are scanned again to skip comments and blank lines.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "common/errcode.h"
#include "common/name.h"
#include "zones/zload.h"
#include "zones/zone.h"
#include "zones/zone_builder.h"
#include "zones/zsplit.h"

#define ZLOAD_MAX_DEPTH 10
/* Includes in one load (or one part of a split load), nested or not: without
 * it a file that includes another k times at each of 10 levels costs k^10
 * reads. */
#define ZLOAD_MAX_INCLUDES 1024

void zload_err(struct zload_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->err || c->errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
}

/* First line of the record that starts at byte `from`, whose preceding text
 * began on line `line`; *content tells whether any record text lies between
 * from and to (comments and blanks aside). Leaves the file at byte `to`. */
int zload_record_line(FILE *fp, long from, long to, int line, bool *content)
{
	bool comment = false;
	int ch = 0;

	if (content)
		*content = false;
	if (from < 0 || fseek(fp, from, SEEK_SET) != 0)
		return line;
	for (long i = from; i < to && (ch = getc(fp)) != EOF; i++) {
		if (ch == '\n') {
			line++;
			comment = false;
		} else if (comment) {
			continue;
		} else if (ch == ';') {
			comment = true;
		} else if (!isspace(ch)) {
			if (content)
				*content = true;
			break;
		}
	}
	(void)fseek(fp, to, SEEK_SET);
	return line;
}

/* A zone file is read through a cookie stream that knows its own offset:
 * ftell() before every record then costs no lseek() system call (it was
 * half the load time of a large zone). A file under ZLOAD_MEM_MAX bytes
 * (a small zone, an included snippet) is read whole with one read() into
 * a buffer of its size, its descriptor closed at once, and served from
 * there: the seeks that $ORIGIN, $INCLUDE and error lines make read it
 * again from memory, not from the file (each was a read() of the file).
 * A larger file is read from its descriptor in the C library's buffer
 * (8 KiB reads: glibc ignores setvbuf()'s size without a buffer, so the
 * 64 KiB this file once asked for was never had).
 * Files are open one per $INCLUDE level, so a load holds at most
 * ZLOAD_MAX_DEPTH + 1 such buffers at once. */
#define ZLOAD_MEM_MAX (64 * 1024)

struct zload_src {
	int fd;                    /* -1: the file is in mem */
	off64_t pos;
	size_t len;                /* bytes in mem */
	char mem[];
};

static ssize_t zload_src_read(void *cookie, char *buf, size_t size)
{
	struct zload_src *s = cookie;
	ssize_t n;

	if (s->fd < 0) {
		size_t left = (size_t)s->pos < s->len ? s->len - (size_t)s->pos
						      : 0;

		n = (ssize_t)(size < left ? size : left);
		if (n == 0)
			return 0;
		memcpy(buf, s->mem + s->pos, (size_t)n);
		s->pos += n;
		return n;
	}
	do
		n = read(s->fd, buf, size);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		s->pos += n;
	return n;
}

static int zload_src_seek(void *cookie, off64_t *off, int whence)
{
	struct zload_src *s = cookie;
	off64_t r;

	if (whence == SEEK_CUR && *off == 0) {
		*off = s->pos;
		return 0;
	}
	if (s->fd < 0) {
		r = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? s->pos :
		    (off64_t)s->len;
		if ((*off < 0 && *off < -r) ||
		    (*off > 0 && *off > INT64_MAX - r)) {
			errno = EINVAL;
			return -1;
		}
		r += *off;
	} else {
		r = lseek(s->fd, *off, whence);
		if (r < 0)
			return -1;
	}
	s->pos = r;
	*off = r;
	return 0;
}

static int zload_src_close(void *cookie)
{
	struct zload_src *s = cookie;
	int rc = s->fd >= 0 ? close(s->fd) : 0;

	free(s);
	return rc;
}

/* The source of fd, of st_size bytes: the whole file in memory when it
 * is small and one read() gets it all (fd closed), else fd itself (at
 * offset 0). NULL with *rc a negative errno. */
static struct zload_src *zload_src_new(int fd, off_t st_size, int *rc)
{
	size_t cap = st_size >= 0 && st_size < ZLOAD_MEM_MAX ?
		     (size_t)st_size + 1 : 0;
	struct zload_src *s = malloc(sizeof(*s) + cap);
	ssize_t n;

	if (!s) {
		*rc = -ENOMEM;
		return NULL;
	}
	s->fd = fd;
	s->pos = 0;
	s->len = 0;
	if (!cap)
		return s;
	do
		n = read(fd, s->mem, cap);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		*rc = -errno;
		free(s);
		return NULL;
	}
	if ((size_t)n < cap) {
		/* a short read of a regular file: all of it */
		s->len = (size_t)n;
		s->fd = -1;
		close(fd);
	} else if (lseek(fd, 0, SEEK_SET) != 0) {
		/* it grew since fstat(): read it as a large one */
		*rc = -errno;
		free(s);
		return NULL;
	}
	return s;
}

/* Opens a regular file for reading; NULL with *rc a negative errno. */
FILE *zload_open(const char *path, int *rc)
{
	cookie_io_functions_t io = {
		.read = zload_src_read,
		.seek = zload_src_seek,
		.close = zload_src_close,
	};
	struct zload_src *s;
	struct stat st;
	FILE *fp;
	int fd;

	*rc = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*rc = -errno;
		return NULL;
	}
	if (fstat(fd, &st) != 0)
		*rc = -errno;
	else if (!S_ISREG(st.st_mode))
		*rc = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	if (*rc) {
		close(fd);
		return NULL;
	}
	s = zload_src_new(fd, st.st_size, rc);
	if (!s) {
		close(fd);
		return NULL;
	}
	fp = fopencookie(s, "r", io);
	if (!fp) {
		zload_src_close(s);
		*rc = -ENOMEM;
		return NULL;
	}
	/* One thread reads the stream: getc() without a lock per byte. */
	__fsetlocking(fp, FSETLOCKING_BYCALLER);
	*rc = 0;
	return fp;
}

/* Next whitespace-separated token of *p into out (quotes allowed around a
 * file name). Returns false when there is none. */
static bool zload_token(const char **p, char *out, size_t outlen)
{
	const char *s = *p;
	size_t n = 0;
	char end = 0;

	while (*s && isspace((unsigned char)*s))
		s++;
	if (!*s || *s == ';')
		return false;
	if (*s == '"')
		end = *s++;
	while (*s && (end ? *s != end : !isspace((unsigned char)*s) &&
		      *s != ';')) {
		if (n + 1 < outlen)
			out[n++] = *s;
		s++;
	}
	if (end && *s == end)
		s++;
	out[n] = '\0';
	*p = s;
	return true;
}

static int zload_fp(struct zload_ctx *c, const char *path, ldns_rdf *origin,
		    uint32_t ttl, int depth);

/* Reads again the line of `directive` ("$INCLUDE", "$ORIGIN") that ldns
 * consumed between from and to. Returns the text after the directive inside
 * *text (to be freed), or NULL. Leaves the file at `to`. */
static const char *zload_reread(FILE *fp, long from, long to,
				const char *directive, char **text)
{
	size_t cap = 0, dl = strlen(directive);
	const char *p = NULL;

	*text = NULL;
	if (fseek(fp, from, SEEK_SET) != 0)
		return NULL;
	while (ftell(fp) < to && getline(text, &cap, fp) > 0) {
		p = *text;
		while (*p && isspace((unsigned char)*p))
			p++;
		if (strncmp(p, directive, dl) == 0) {
			p += dl;
			break;
		}
		p = NULL;
	}
	if (fseek(fp, to, SEEK_SET) != 0)
		return NULL;
	return p;
}

/* Reads again the $INCLUDE line that ldns consumed between from and to, and
 * loads the file it names. */
static int zload_include(struct zload_ctx *c, FILE *fp, const char *path,
			 int line, long from, long to, ldns_rdf *origin,
			 uint32_t ttl, int depth)
{
	char *text = NULL, *file = NULL, *full = NULL;
	char oname[NAME_MAX_LEN * 4 + 2];
	const char *p;
	ldns_rdf *iorigin = NULL;
	int rc;

	p = zload_reread(fp, from, to, "$INCLUDE", &text);
	if (!p)
		goto bad;
	file = malloc(strlen(p) + 1);
	if (!file) {
		free(text);
		zload_err(c, "%s:%d: out of memory", path, line);
		return -ENOMEM;
	}
	if (!zload_token(&p, file, strlen(p) + 1))
		goto bad;
	if (zload_token(&p, oname, sizeof(oname))) {
		if (ldns_str2rdf_dname(&iorigin, oname) != LDNS_STATUS_OK)
			goto bad;
		if (!ldns_dname_str_absolute(oname) &&
		    ldns_dname_cat(iorigin, origin) != LDNS_STATUS_OK)
			goto bad;
	} else {
		iorigin = ldns_rdf_clone(origin);
		if (!iorigin)
			goto nomem;
	}
	if (depth + 1 > ZLOAD_MAX_DEPTH) {
		zload_err(c, "%s:%d: $INCLUDE nested deeper than %d", path,
			  line, ZLOAD_MAX_DEPTH);
		rc = LV_ESYNTAX;
		goto out;
	}
	if (++c->includes > ZLOAD_MAX_INCLUDES) {
		zload_err(c, "%s:%d: more than %d $INCLUDEs in one zone", path,
			  line, ZLOAD_MAX_INCLUDES);
		rc = LV_ESYNTAX;
		goto out;
	}
	if (file[0] != '/' && strchr(path, '/')) {
		const char *slash = strrchr(path, '/');
		size_t dl = (size_t)(slash - path) + 1;

		full = malloc(dl + strlen(file) + 1);
		if (!full)
			goto nomem;
		memcpy(full, path, dl);
		strcpy(full + dl, file);
	}
	rc = zload_fp(c, full ? full : file, iorigin, ttl, depth + 1);
	/* zload_fp reports its own errors; a missing file is this line's. */
	if (rc == -ENOENT || rc == -EACCES || rc == -EISDIR ||
	    rc == -EINVAL) {
		zload_err(c, "%s:%d: cannot open included file %s: %s", path,
			  line, full ? full : file, strerror(-rc));
	}
	goto out;
nomem:
	zload_err(c, "%s:%d: out of memory", path, line);
	rc = -ENOMEM;
	goto out;
bad:
	(void)fseek(fp, to, SEEK_SET);
	zload_err(c, "%s:%d: syntax error: bad $INCLUDE line", path, line);
	rc = LV_ESYNTAX;
out:
	ldns_rdf_deep_free(iorigin);
	free(text);
	free(file);
	free(full);
	return rc;
}

/* After ldns took a $ORIGIN: ldns makes a relative name absolute on its
 * own, so the line is read again and a relative origin is appended to the
 * previous one (*base), as RFC 1035 section 5.1 wants. */
static int zload_origin(struct zload_ctx *c, FILE *fp, const char *path,
			long from, long to, int before, ldns_rdf **cur,
			ldns_rdf **base)
{
	char tok[NAME_MAX_LEN * 4 + 2];
	int line = zload_record_line(fp, from, to, before, NULL);
	char *text = NULL;
	const char *p = zload_reread(fp, from, to, "$ORIGIN", &text);
	ldns_rdf *n = NULL;

	if (!p || !zload_token(&p, tok, sizeof(tok))) {
		free(text);
		zload_err(c, "%s:%d: syntax error: bad $ORIGIN line", path,
			  line);
		return LV_ESYNTAX;
	}
	free(text);
	if (!ldns_dname_str_absolute(tok)) {
		if (ldns_str2rdf_dname(&n, tok) != LDNS_STATUS_OK ||
		    ldns_dname_cat(n, *base) != LDNS_STATUS_OK) {
			ldns_rdf_deep_free(n);
			zload_err(c, "%s:%d: syntax error: bad $ORIGIN %s",
				  path, line, tok);
			return LV_ESYNTAX;
		}
		ldns_rdf_deep_free(*cur);
		*cur = n;
	}
	n = ldns_rdf_clone(*cur);
	if (!n) {
		zload_err(c, "%s:%d: out of memory", path, line);
		return -ENOMEM;
	}
	ldns_rdf_deep_free(*base);
	*base = n;
	return 0;
}

/* Whether an RR of a type ldns knows may have empty RDATA ("\# 0", RFC
 * 3597 section 5), although ldns's descriptor wants a field. Only NULL:
 * "anything at all", zero octets included (RFC 1035 3.3.10). APL (zero
 * or more items, RFC 3123) already has no minimum in ldns, and types
 * ldns does not know have no descriptor. Every other type ldns knows
 * needs at least one field (an empty TXT, A, NSEC... is malformed). */
static bool zload_empty_ok(ldns_rr_type type)
{
	return type == LDNS_RR_TYPE_NULL;
}

/* Feeds one ldns_rr to the builder, or to the part's record buffer. */
static int zload_add(struct zload_ctx *c, const ldns_rr *rr, char *why,
		     size_t whylen, long from, int before)
{
	const ldns_rdf *owner = ldns_rr_owner(rr);
	size_t rdlen;

	ldns_buffer_clear(c->buf);
	if (ldns_rr_rdata2buffer_wire(c->buf, rr) != LDNS_STATUS_OK) {
		snprintf(why, whylen, "cannot convert RDATA to wire form");
		return LV_EMALF;
	}
	rdlen = ldns_buffer_position(c->buf);
	if (rdlen > UINT16_MAX) {
		snprintf(why, whylen, "RDATA longer than 65535 bytes");
		return LV_EMALF;
	}
	if (!owner || ldns_rdf_get_type(owner) != LDNS_RDF_TYPE_DNAME) {
		snprintf(why, whylen, "bad owner name");
		return LV_EMALF;
	}
	/* ldns appends the origin to a relative name without checking the
	 * length: the whole name may exceed 255 bytes (fuzz_zload). */
	for (size_t i = 0; i <= ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *d = i ? ldns_rr_rdf(rr, i - 1) : owner;

		if (d && ldns_rdf_get_type(d) == LDNS_RDF_TYPE_DNAME &&
		    ldns_rdf_size(d) > NAME_MAX_LEN) {
			snprintf(why, whylen, "name longer than %d bytes",
				 NAME_MAX_LEN);
			return LV_EMALF;
		}
	}
	/* ldns may drop a field of a known type it could not parse ("SOA
	 * ns1 \# x 1 2 3 4 5" has no RNAME): count them (fuzz_zload). The
	 * generic "\# 0" gives no field at all, which only a type whose
	 * RDATA may be empty can have (zload_empty_ok). */
	{
		const ldns_rr_descriptor *desc =
			ldns_rr_descript((uint16_t)ldns_rr_get_type(rr));
		size_t n = ldns_rr_rd_count(rr);

		if (desc && desc->_type == ldns_rr_get_type(rr) &&
		    (n < ldns_rr_descriptor_minimum(desc) ||
		     n > ldns_rr_descriptor_maximum(desc)) &&
		    !(n == 0 && rdlen == 0 &&
		      zload_empty_ok(ldns_rr_get_type(rr)))) {
			if (n == 0 && rdlen == 0)
				snprintf(why, whylen, "empty RDATA is not "
					 "valid for type %s", desc->_name);
			else
				snprintf(why, whylen, "malformed RDATA: %zu "
					 "fields", n);
			return LV_EMALF;
		}
	}
	if (c->part) {
		if (zsplit_put(c, rr, ldns_buffer_begin(c->buf), rdlen, from,
			       before) == 0)
			return 0;
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	return zone_builder_add(c->b, ldns_rdf_data(owner),
				(uint16_t)ldns_rr_get_type(rr),
				(uint16_t)ldns_rr_get_class(rr),
				ldns_rr_ttl(rr), ldns_buffer_begin(c->buf),
				(uint16_t)rdlen, why, whylen);
}

void zload_state_free(struct zload_state *st)
{
	ldns_rdf_deep_free(st->cur);
	ldns_rdf_deep_free(st->base);
	ldns_rdf_deep_free(st->prev);
	st->cur = st->base = st->prev = NULL;
}

/* Parses records of fp from its position until byte `end` (-1: the end of
 * the file) with the ldns state st, which it updates as ldns does. Each
 * record goes to zload_add(). A record that began before `end` is read to
 * its end even when that lies beyond `end` (the caller sees it by ftell). */
int zload_run(struct zload_ctx *c, FILE *fp, const char *path,
	      struct zload_state *st, int depth, long end)
{
	char why[512];
	int rc = 0;

	for (;;) {
		ldns_rr *rr = NULL;
		long from = ftell(fp);
		int before = st->line;
		ldns_status s;
		long to;

		if (end >= 0 && from >= end)
			break;
		s = ldns_rr_new_frm_fp_l(&rr, fp, &st->ttl, &st->cur,
					 &st->prev, &st->line);
		to = ftell(fp);
		if (ferror(fp) || (s != LDNS_STATUS_OK && to == from &&
				   !feof(fp))) {
			/* A read error, or no progress: never spin. */
			ldns_rr_free(rr);
			zload_err(c, "%s:%d: read error", path, before);
			rc = -EIO;
			break;
		}
		if (s == LDNS_STATUS_OK) {
			rc = zload_add(c, rr, why, sizeof(why), from, before);
			ldns_rr_free(rr);
			if (rc) {
				zload_err(c, "%s:%d: %s", path,
					  zload_record_line(fp, from, to, before, NULL),
					  why);
				break;
			}
			continue;
		}
		if (s == LDNS_STATUS_SYNTAX_ORIGIN) {
			rc = zload_origin(c, fp, path, from, to, before,
					  &st->cur, &st->base);
			if (rc)
				break;
			if (feof(fp))
				break;
			continue;
		}
		if (s == LDNS_STATUS_SYNTAX_EMPTY || s == LDNS_STATUS_SYNTAX_TTL) {
			if (feof(fp))
				break;
			continue;
		}
		if (s == LDNS_STATUS_SYNTAX_INCLUDE) {
			int at = zload_record_line(fp, from, to, before, NULL);

			rc = zload_include(c, fp, path, at, from, to, st->cur,
					   st->ttl, depth);
			if (rc)
				break;
			continue;
		}
		if (s == LDNS_STATUS_SYNTAX_ERR && feof(fp)) {
			bool content;
			int at = zload_record_line(fp, from, to, before,
						   &content);

			/* ldns found nothing more to read: the end. */
			if (!content)
				break;
			zload_err(c, "%s:%d: syntax error: %s", path, at,
				  ldns_get_errorstr_by_id(s));
			rc = LV_ESYNTAX;
			break;
		}
		if (s == LDNS_STATUS_MEM_ERR) {
			zload_err(c, "%s:%d: out of memory", path, before);
			rc = -ENOMEM;
			break;
		}
		zload_err(c, "%s:%d: syntax error: %s", path,
			  zload_record_line(fp, from, to, before, NULL),
			  ldns_get_errorstr_by_id(s));
		rc = LV_ESYNTAX;
		break;
	}
	if (rc == 0 && ferror(fp)) {
		zload_err(c, "%s: read error", path);
		rc = -EIO;
	}
	return rc;
}

/* Loads one whole file. origin: the origin at the top of the file
 * (borrowed); ttl: the $TTL in force. */
static int zload_fp(struct zload_ctx *c, const char *path, ldns_rdf *origin,
		    uint32_t ttl, int depth)
{
	struct zload_state st = {
		.cur = ldns_rdf_clone(origin),
		.base = ldns_rdf_clone(origin),
		.ttl = ttl,
		.line = 1,
	};
	uint16_t saved = c->path_idx;
	int rc = 0;
	FILE *fp;

	if (!st.cur || !st.base) {
		zload_err(c, "%s: out of memory", path);
		zload_state_free(&st);
		return -ENOMEM;
	}
	fp = zload_open(path, &rc);
	if (!fp) {
		zload_err(c, "%s: cannot open: %s", path, strerror(-rc));
		zload_state_free(&st);
		return rc;
	}
	if (c->part && (rc = zsplit_path(c, path)) != 0) {
		zload_err(c, "%s: out of memory", path);
	} else {
		rc = zload_run(c, fp, path, &st, depth, -1);
	}
	c->path_idx = saved;
	fclose(fp);
	zload_state_free(&st);
	return rc;
}

int zload_file(const char *origin, const char *path, struct zone **out,
	       char *err, size_t errlen)
{
	struct zload_ctx c = { .err = err, .errlen = errlen };
	ldns_rdf *orig = NULL;
	char why[512];
	int rc;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (ldns_str2rdf_dname(&orig, origin) != LDNS_STATUS_OK || !orig) {
		zload_err(&c, "%s: bad zone name '%s'", path, origin);
		return LV_ECONFIG;
	}
	c.buf = ldns_buffer_new(4096);
	c.b = zone_builder_new(ldns_rdf_data(orig));
	if (!c.buf || !c.b) {
		zload_err(&c, "%s: out of memory", path);
		rc = -ENOMEM;
		goto out;
	}
	rc = zsplit_load(&c, path, orig);
	if (rc == 1)
		rc = zload_fp(&c, path, orig, 0, 0);
	if (rc == 0) {
		rc = zone_builder_finish(c.b, out, why, sizeof(why));
		c.b = NULL;
		if (rc)
			zload_err(&c, "%s: %s", path, why);
	}
out:
	zone_builder_free(c.b);
	if (c.buf)
		ldns_buffer_free(c.buf);
	ldns_rdf_deep_free(orig);
	return rc;
}

void zload_set_split(size_t min_bytes, int parts)
{
	zsplit_set(min_bytes, parts);
}
