/* zload.c -- zone file (RFC 1035 master file) to zone, with ldns.
 *
 * The only file of Levee that holds ldns objects for zone data. Each record
 * is read with ldns_rr_new_frm_fp_l(), turned into owner and RDATA wire bytes
 * and handed to the zone_builder at once; the ldns_rr is freed before the
 * next one is read, so memory stays flat however big the file.
 *
 * Ownership of the ldns state: ldns frees and replaces *origin on $ORIGIN and
 * *prev on every explicit owner, so each file level owns one origin rdf (a
 * clone of the parent's, restored after a $INCLUDE returns) and one prev rdf,
 * both freed when that level ends. ldns reports $INCLUDE but not its
 * argument: the position before the call is kept, and on
 * LDNS_STATUS_SYNTAX_INCLUDE the line is read again by hand. An included file
 * is found relative to the directory of the file that includes it; includes
 * nest at most ZLOAD_MAX_DEPTH deep.
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
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "zones/errcode.h"
#include "zones/name.h"
#include "zones/zload.h"
#include "zones/zone.h"

#define ZLOAD_MAX_DEPTH 10

struct zload_ctx {
	struct zone_builder *b;
	ldns_buffer *buf;
	char *err;
	size_t errlen;
};

static void zload_err(struct zload_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void zload_err(struct zload_ctx *c, const char *fmt, ...)
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
static int zload_record_line(FILE *fp, long from, long to, int line,
			     bool *content)
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
 * half the load time of a large zone). */
struct zload_src {
	int fd;
	off64_t pos;
};

static ssize_t zload_src_read(void *cookie, char *buf, size_t size)
{
	struct zload_src *s = cookie;
	ssize_t n;

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
	r = lseek(s->fd, *off, whence);
	if (r < 0)
		return -1;
	s->pos = r;
	*off = r;
	return 0;
}

static int zload_src_close(void *cookie)
{
	struct zload_src *s = cookie;
	int rc = close(s->fd);

	free(s);
	return rc;
}

/* Opens a regular file for reading; NULL with *rc a negative errno. */
static FILE *zload_open(const char *path, int *rc)
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
	s = malloc(sizeof(*s));
	if (!s) {
		close(fd);
		*rc = -ENOMEM;
		return NULL;
	}
	s->fd = fd;
	s->pos = 0;
	fp = fopencookie(s, "r", io);
	if (!fp) {
		free(s);
		close(fd);
		*rc = -ENOMEM;
		return NULL;
	}
	(void)setvbuf(fp, NULL, _IOFBF, 64 * 1024);
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

/* Feeds one ldns_rr to the builder. */
static int zload_add(struct zload_ctx *c, const ldns_rr *rr, char *why,
		     size_t whylen)
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
	return zone_builder_add(c->b, ldns_rdf_data(owner),
				(uint16_t)ldns_rr_get_type(rr),
				(uint16_t)ldns_rr_get_class(rr),
				ldns_rr_ttl(rr), ldns_buffer_begin(c->buf),
				(uint16_t)rdlen, why, whylen);
}

/* Loads one file into the builder. origin: the origin at the top of the
 * file (borrowed); ttl: the $TTL in force. */
static int zload_fp(struct zload_ctx *c, const char *path, ldns_rdf *origin,
		    uint32_t ttl, int depth)
{
	ldns_rdf *cur = ldns_rdf_clone(origin);
	ldns_rdf *base = ldns_rdf_clone(origin); /* cur before the last $ORIGIN */
	ldns_rdf *prev = NULL;
	char why[512];
	int line = 1, rc = 0;
	FILE *fp;

	if (!cur || !base) {
		zload_err(c, "%s: out of memory", path);
		ldns_rdf_deep_free(cur);
		ldns_rdf_deep_free(base);
		return -ENOMEM;
	}
	fp = zload_open(path, &rc);
	if (!fp) {
		zload_err(c, "%s: cannot open: %s", path, strerror(-rc));
		ldns_rdf_deep_free(cur);
		ldns_rdf_deep_free(base);
		return rc;
	}
	for (;;) {
		ldns_rr *rr = NULL;
		long from = ftell(fp);
		int before = line;
		ldns_status s;
		long to;

		s = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, &cur, &prev, &line);
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
			rc = zload_add(c, rr, why, sizeof(why));
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
					  &cur, &base);
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

			rc = zload_include(c, fp, path, at, from, to, cur, ttl,
					   depth);
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
	fclose(fp);
	ldns_rdf_deep_free(cur);
	ldns_rdf_deep_free(base);
	ldns_rdf_deep_free(prev);
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
