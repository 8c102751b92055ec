/* zload.c -- zone file (RFC 1035 master file) to zone, with ldns.
 *
 * The only file of Levee that holds ldns objects for zone data. Each record
 * is read with ldns_rr_new_frm_fp_l(), turned into owner and RDATA wire bytes
 * and handed to the zone_builder at once; the ldns_rr is freed before the
 * next one is read, so memory stays flat however big the file. A file of
 * at least 1 MiB is cut at record boundaries into one part per CPU, parsed
 * by as many threads into record buffers that this thread feeds to the
 * builder in file order (see "loading on several threads" below); the zone
 * and the error messages are the same as on one thread.
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
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "zones/arena.h"
#include "common/errcode.h"
#include "zones/internal.h"
#include "common/name.h"
#include "zones/zload.h"
#include "zones/zone.h"
#include "zones/zone_builder.h"

#define ZLOAD_MAX_DEPTH 10
/* Includes in one load (or one part of a split load), nested or not: without
 * it a file that includes another k times at each of 10 levels costs k^10
 * reads. */
#define ZLOAD_MAX_INCLUDES 1024
#define ZLOAD_SPLIT_MIN (1024 * 1024)  /* smaller files: one thread */
#define ZLOAD_MAX_PARTS 8
#define ZLOAD_BLOCK (1024 * 1024)      /* record buffer block */
#define ZLOAD_TOKEN_MAX 1024           /* longest owner/directive token */
#define ZLOAD_PREFETCH 8               /* records looked at ahead */

bool zload_test_bad_guess;

static size_t zload_split_min = ZLOAD_SPLIT_MIN;
static int zload_split_parts;          /* 0: one per usable CPU */

/* What ldns carries from one record to the next. */
struct zload_state {
	ldns_rdf *cur;   /* origin in force; ldns replaces it on $ORIGIN */
	ldns_rdf *base;  /* cur before the last $ORIGIN */
	ldns_rdf *prev;  /* previous owner, NULL before the first */
	uint32_t ttl;    /* $TTL in force, 0 before the first */
	int line;        /* lines consumed so far + 1 */
};

struct zload_part;

struct zload_ctx {
	struct zone_builder *b;     /* NULL when records go to a part */
	struct zload_part *part;
	uint16_t path_idx;          /* current file in part->paths */
	unsigned includes;          /* $INCLUDEs followed so far */
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

static int zload_part_put(struct zload_ctx *c, const ldns_rr *rr,
			  const uint8_t *rdata, size_t rdlen, long from,
			  int before);

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
		if (zload_part_put(c, rr, ldns_buffer_begin(c->buf), rdlen,
				   from, before) == 0)
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

static void zload_state_free(struct zload_state *st)
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
static int zload_run(struct zload_ctx *c, FILE *fp, const char *path,
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

static int zload_part_path(struct zload_ctx *c, const char *path);

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
	if (c->part && (rc = zload_part_path(c, path)) != 0) {
		zload_err(c, "%s: out of memory", path);
	} else {
		rc = zload_run(c, fp, path, &st, depth, -1);
	}
	c->path_idx = saved;
	fclose(fp);
	zload_state_free(&st);
	return rc;
}

/* --- loading on several threads ---
 *
 * A large file is cut at record boundaries into parts that separate threads
 * parse at once, each with its own ldns state and FILE, into record buffers;
 * the calling thread feeds the builder from those buffers in file order,
 * block by block while the parts are still being parsed, so the builder's
 * work overlaps the parsing too.
 *
 * The cuts come from a lexical pre-scan of the file (comments, quotes,
 * backslash escapes, parentheses, as ldns reads them): a cut is the first
 * line start at or after the nominal offset that is not inside parentheses
 * or quotes; the scan also computes the state ldns will have there ($ORIGIN,
 * $TTL, previous owner, line number). The scan is only a guess: when part k
 * is done, ldns's real state at its end (the offset where it stopped, the
 * origin, the previous owner, the $TTL, the line) must equal the guess that
 * part k + 1 started from. If anything differs, the remaining parts are
 * thrown away and the rest of the file is parsed on the calling thread from
 * where part k really stopped, so the result never depends on the guess.
 *
 * Errors keep their file order: the builder sees part k's records before
 * part k + 1's, and a part's own error (syntax, $INCLUDE) is reported only
 * once every record before it has been fed without error. A builder error
 * names the line by reading the file again at the record's offset. */

/* One record in a part's buffer, 8-byte aligned; owner then RDATA follow. */
struct zload_rec {
	int64_t from;       /* offset where ldns began reading the record */
	int32_t before;     /* ldns's line count there */
	uint32_t ttl;
	uint16_t type;
	uint16_t rclass;
	uint16_t rdlen;
	uint16_t path;      /* index in part->paths */
	uint8_t owner_len;
};

static inline size_t zload_rec_size(const struct zload_rec *r)
{
	return (sizeof(*r) + r->owner_len + r->rdlen + 7) & ~(size_t)7;
}

struct zload_block {
	struct zload_block *next;
	size_t used;
	uint8_t data[];
};

struct zload_part {
	pthread_t tid;
	bool started;
	const char *path;           /* the zone file (borrowed) */
	long start, end;            /* bytes [start, end); end -1: to EOF */
	struct zload_state guess;   /* the pre-scan's start state */
	struct zload_state st;      /* a copy of it, then the real end */
	long stop;                  /* where parsing stopped */
	int rc;                     /* the part's own error */
	char err[1024];
	char **paths;               /* [0] = path (borrowed), then includes */
	size_t npaths;
	struct zload_block *fill;   /* being filled (part thread only) */
	int *abort;                 /* set by the feeder to stop all parts */
	pthread_mutex_t mu;         /* guards head, tail, done */
	pthread_cond_t cv;
	struct zload_block *head, *tail;
	bool done;
};

static void zload_part_publish(struct zload_part *p, bool done)
{
	pthread_mutex_lock(&p->mu);
	if (p->fill) {
		p->fill->next = NULL;
		if (p->tail)
			p->tail->next = p->fill;
		else
			p->head = p->fill;
		p->tail = p->fill;
		p->fill = NULL;
	}
	if (done)
		p->done = true;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static int zload_part_put(struct zload_ctx *c, const ldns_rr *rr,
			  const uint8_t *rdata, size_t rdlen, long from,
			  int before)
{
	struct zload_part *p = c->part;
	const ldns_rdf *owner = ldns_rr_owner(rr);
	size_t olen = ldns_rdf_size(owner);
	size_t need = (sizeof(struct zload_rec) + olen + rdlen + 7) &
		      ~(size_t)7;
	struct zload_rec *r;

	if (p->fill && p->fill->used + need > ZLOAD_BLOCK) {
		zload_part_publish(p, false);
		if (__atomic_load_n(p->abort, __ATOMIC_RELAXED))
			return -ECANCELED;
	}
	if (!p->fill) {
		p->fill = malloc(sizeof(*p->fill) + ZLOAD_BLOCK);
		if (!p->fill)
			return -ENOMEM;
		arena_prefault(p->fill, sizeof(*p->fill) + ZLOAD_BLOCK);
		p->fill->used = 0;
	}
	r = (struct zload_rec *)(p->fill->data + p->fill->used);
	r->from = from;
	r->before = before;
	r->ttl = ldns_rr_ttl(rr);
	r->type = (uint16_t)ldns_rr_get_type(rr);
	r->rclass = (uint16_t)ldns_rr_get_class(rr);
	r->rdlen = (uint16_t)rdlen;
	r->path = c->path_idx;
	r->owner_len = (uint8_t)olen;
	memcpy(r + 1, ldns_rdf_data(owner), olen);
	if (rdlen)
		memcpy((uint8_t *)(r + 1) + olen, rdata, rdlen);
	p->fill->used += need;
	return 0;
}

/* Makes path the current file of the part's records (an include). */
static int zload_part_path(struct zload_ctx *c, const char *path)
{
	struct zload_part *p = c->part;
	char **np;

	if (p->npaths >= UINT16_MAX)
		return -ENOMEM;
	np = realloc(p->paths, (p->npaths + 1) * sizeof(*np));
	if (!np)
		return -ENOMEM;
	p->paths = np;
	np[p->npaths] = strdup(path);
	if (!np[p->npaths])
		return -ENOMEM;
	c->path_idx = (uint16_t)p->npaths++;
	return 0;
}

static void *zload_part_main(void *arg)
{
	struct zload_part *p = arg;
	struct zload_ctx c = {
		.part = p,
		.err = p->err,
		.errlen = sizeof(p->err),
	};
	FILE *fp;

	p->stop = p->start;
	c.buf = ldns_buffer_new(4096);
	fp = zload_open(p->path, &p->rc);
	if (!c.buf || !fp) {
		if (!p->rc)
			p->rc = -ENOMEM;
		zload_err(&c, "%s: cannot open: %s", p->path,
			  strerror(-p->rc));
	} else if (fseek(fp, p->start, SEEK_SET) != 0) {
		p->rc = -EIO;
		zload_err(&c, "%s: read error", p->path);
	} else {
		p->rc = zload_run(&c, fp, p->path, &p->st, 0, p->end);
		p->stop = ftell(fp);
	}
	if (fp)
		fclose(fp);
	if (c.buf)
		ldns_buffer_free(c.buf);
	zload_part_publish(p, true);
	return NULL;
}

/* True when ldns's real state at the end of part a is the state part b was
 * started with. */
static bool zload_rdf_same(const ldns_rdf *x, const ldns_rdf *y)
{
	if (!x || !y)
		return x == y;
	return ldns_rdf_size(x) == ldns_rdf_size(y) &&
	       memcmp(ldns_rdf_data(x), ldns_rdf_data(y),
		      ldns_rdf_size(x)) == 0;
}

static bool zload_part_follows(const struct zload_part *a,
			       const struct zload_part *b)
{
	return a->rc == 0 && a->stop == b->start &&
	       a->st.line == b->guess.line && a->st.ttl == b->guess.ttl &&
	       zload_rdf_same(a->st.cur, b->guess.cur) &&
	       zload_rdf_same(a->st.base, b->guess.base) &&
	       zload_rdf_same(a->st.prev, b->guess.prev);
}

/* Line of the record that ldns began at `from` in path (for a builder
 * error found after the part's file was closed). */
static int zload_line_at(const char *path, long from, int before)
{
	int rc, line = before;
	FILE *fp = zload_open(path, &rc);

	if (fp) {
		line = zload_record_line(fp, from, LONG_MAX, before, NULL);
		fclose(fp);
	}
	return line;
}

/* Starts loading the build hash slot of the record at offset pf of blk
 * (a cache miss) unless its owner is that of *last; returns the offset of
 * the next record. */
static size_t zload_prefetch(struct zload_ctx *c,
			     const struct zload_block *blk, size_t pf,
			     const struct zload_rec **last)
{
	const struct zload_rec *q = (const void *)(blk->data + pf);
	const struct zload_rec *l = *last;

	if (!l || l->owner_len != q->owner_len ||
	    memcmp(l + 1, q + 1, q->owner_len) != 0)
		zone_builder_prefetch(c->b, (const uint8_t *)(q + 1));
	*last = q;
	return pf + zload_rec_size(q);
}

/* Feeds every record of part p to the builder, waiting for its blocks.
 * Returns 0 or the first error (written to c->err). */
static int zload_part_feed(struct zload_ctx *c, struct zload_part *p)
{
	char why[512];

	for (;;) {
		struct zload_block *blk, *next;
		bool done;

		pthread_mutex_lock(&p->mu);
		while (!p->head && !p->done)
			pthread_cond_wait(&p->cv, &p->mu);
		blk = p->head;
		p->head = p->tail = NULL;
		done = p->done;
		pthread_mutex_unlock(&p->mu);
		for (; blk; blk = next) {
			size_t o = 0, pf = 0;
			const struct zload_rec *last = NULL;
			int ahead = 0;

			next = blk->next;
			while (o < blk->used) {
				const struct zload_rec *r =
					(const void *)(blk->data + o);
				const uint8_t *owner = (const uint8_t *)(r + 1);
				int rc;

				for (; pf < blk->used && ahead < ZLOAD_PREFETCH;
				     ahead++)
					pf = zload_prefetch(c, blk, pf, &last);
				ahead--;
				o += zload_rec_size(r);
				rc = zone_builder_add(c->b, owner, r->type,
						      r->rclass, r->ttl,
						      owner + r->owner_len,
						      r->rdlen, why,
						      sizeof(why));
				if (rc) {
					const char *f = p->paths[r->path];

					int line = zload_line_at(f,
						(long)r->from, r->before);

					zload_err(c, "%s:%d: %s", f, line, why);
					while (blk) {
						next = blk->next;
						free(blk);
						blk = next;
					}
					return rc;
				}
			}
			free(blk);
		}
		if (done)
			break;
	}
	if (p->rc && c->err && c->errlen)
		snprintf(c->err, c->errlen, "%s", p->err);
	return p->rc;
}

/* Pre-scan state: the lexical position and what ldns will carry. */
struct zload_scan {
	ldns_rdf *origin;       /* origin in force */
	unsigned origin_gen;    /* bumped on each $ORIGIN */
	uint32_t ttl;
	const char *owner;      /* last explicit owner token (in the map) */
	size_t owner_len;
	ldns_rdf *owner_origin; /* origin in force at that owner */
	unsigned owner_gen;
};

/* The first token after `p` on its line, NUL terminated into out. */
static bool zload_scan_token(const char *p, const char *end, char *out)
{
	size_t n = 0;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (p < end && !isspace((unsigned char)*p) && *p != ';') {
		if (n + 1 >= ZLOAD_TOKEN_MAX)
			return false;
		out[n++] = *p++;
	}
	out[n] = '\0';
	return n > 0;
}

/* A directive line at p (starts with '$'): $ORIGIN and $TTL change the
 * state as zload_run() does. Returns false when the scan must give up. */
static bool zload_scan_directive(struct zload_scan *sc, const char *p,
				 const char *end)
{
	char tok[ZLOAD_TOKEN_MAX];
	ldns_rdf *n = NULL;

	if (end - p > 7 && strncmp(p, "$ORIGIN", 7) == 0 &&
	    isspace((unsigned char)p[7])) {
		if (!zload_scan_token(p + 7, end, tok) ||
		    ldns_str2rdf_dname(&n, tok) != LDNS_STATUS_OK)
			return false;
		if (!ldns_dname_str_absolute(tok) &&
		    ldns_dname_cat(n, sc->origin) != LDNS_STATUS_OK) {
			ldns_rdf_deep_free(n);
			return false;
		}
		ldns_rdf_deep_free(sc->origin);
		sc->origin = n;
		sc->origin_gen++;
	} else if (end - p > 4 && strncmp(p, "$TTL", 4) == 0 &&
		   isspace((unsigned char)p[4])) {
		const char *e;

		if (!zload_scan_token(p + 4, end, tok))
			return false;
		sc->ttl = ldns_str2period(tok, &e);
	}
	return true; /* $INCLUDE and others leave the state alone */
}

/* Whether a line that starts with ch starts with an owner name. */
static bool zload_scan_owner_char(char ch)
{
	return !isspace((unsigned char)ch) && ch != ';' && ch != '$' &&
	       ch != '(' && ch != ')' && ch != '"';
}

/* The previous-owner rdf ldns will hold at a cut. */
static ldns_rdf *zload_scan_prev(struct zload_scan *sc, bool *ok)
{
	char tok[ZLOAD_TOKEN_MAX];
	ldns_rdf *n = NULL;

	*ok = true;
	if (!sc->owner)
		return NULL;
	if (!zload_scan_token(sc->owner, sc->owner + sc->owner_len, tok)) {
		*ok = false;
		return NULL;
	}
	if (strcmp(tok, "@") == 0) {
		n = ldns_rdf_clone(sc->owner_origin);
	} else if (ldns_str2rdf_dname(&n, tok) != LDNS_STATUS_OK) {
		n = NULL;
	} else if (!ldns_dname_str_absolute(tok) &&
		   ldns_dname_cat(n, sc->owner_origin) != LDNS_STATUS_OK) {
		ldns_rdf_deep_free(n);
		n = NULL;
	}
	if (!n)
		*ok = false;
	return n;
}

/* Scans m[0, size) and fills parts 1..nparts-1 with their start offset and
 * guessed start state, part k starting at the first line start at or after
 * size * k / nparts outside parentheses and quotes. Returns the number of
 * parts it could cut (1 when none). */
static int zload_prescan(const char *m, size_t size, const ldns_rdf *origin,
			 struct zload_part *parts, int nparts)
{
	struct zload_scan sc = { .origin = ldns_rdf_clone(origin) };
	size_t i = 0;
	int depth = 0, line = 1, k = 1;
	bool quote = false, text = false;

	if (!sc.origin)
		return 1;
	while (i < size && k < nparts) {
		const char *nl;

		/* i is at the start of a line. A cut goes only before a line
		 * that starts with an owner and follows a line with record
		 * text: ldns takes blank and comment lines with the record
		 * before them. */
		if (depth == 0 && !quote) {
			if (i >= size * (size_t)k / (size_t)nparts && text &&
			    zload_scan_owner_char(m[i])) {
				struct zload_part *p = &parts[k];
				bool ok;

				p->start = (long)i;
				p->guess.line = p->st.line = line;
				if (zload_test_bad_guess)
					p->guess.line++;
				p->guess.ttl = p->st.ttl = sc.ttl;
				p->guess.cur = ldns_rdf_clone(sc.origin);
				p->guess.base = ldns_rdf_clone(sc.origin);
				p->guess.prev = zload_scan_prev(&sc, &ok);
				p->st.cur = ldns_rdf_clone(sc.origin);
				p->st.base = ldns_rdf_clone(sc.origin);
				p->st.prev = p->guess.prev ?
					ldns_rdf_clone(p->guess.prev) : NULL;
				if (!ok || !p->guess.cur || !p->guess.base ||
				    !p->st.cur || !p->st.base ||
				    (p->guess.prev && !p->st.prev)) {
					zload_state_free(&p->guess);
					zload_state_free(&p->st);
					break;
				}
				parts[k - 1].end = (long)i;
				k++;
				continue;
			}
			nl = memchr(m + i, '\n', size - i);
			if (!nl)
				nl = m + size;
			if (m[i] == '$') {
				if (!zload_scan_directive(&sc, m + i, nl))
					break;
			} else if (zload_scan_owner_char(m[i])) {
				sc.owner = m + i;
				sc.owner_len = (size_t)(nl - (m + i));
				if (sc.owner_gen != sc.origin_gen ||
				    !sc.owner_origin) {
					ldns_rdf_deep_free(sc.owner_origin);
					sc.owner_origin =
						ldns_rdf_clone(sc.origin);
					sc.owner_gen = sc.origin_gen;
					if (!sc.owner_origin)
						break;
				}
			}
		}
		/* The rest of the line, as ldns tokenises it. */
		text = false;
		for (bool comment = false; i < size; i++) {
			char ch = m[i];

			if (ch == '\n')
				break;
			if (comment)
				continue;
			if (!isspace((unsigned char)ch) && ch != ';')
				text = true;
			if (ch == '\\') {
				if (i + 1 < size && m[i + 1] != '\n')
					i++;
			} else if (ch == '"') {
				quote = !quote;
			} else if (quote) {
				continue;
			} else if (ch == ';') {
				comment = true;
			} else if (ch == '(') {
				depth++;
			} else if (ch == ')' && depth > 0) {
				depth--;
			}
		}
		i++;
		line++;
	}
	ldns_rdf_deep_free(sc.origin);
	ldns_rdf_deep_free(sc.owner_origin);
	parts[k - 1].end = -1;
	return k;
}

static int zload_cpus(void)
{
	cpu_set_t set;
	int n = 0;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	if (n <= 0)
		n = (int)sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? n : 1;
}

void zload_set_split(size_t min_bytes, int parts)
{
	zload_split_min = min_bytes ? min_bytes : ZLOAD_SPLIT_MIN;
	zload_split_parts = parts > ZLOAD_MAX_PARTS ? ZLOAD_MAX_PARTS :
			    parts < 0 ? 0 : parts;
}

/* The whole top-level file on several threads (see above). Returns 1 when
 * the file was not split and the caller should load it on this thread. */
static int zload_split(struct zload_ctx *c, const char *path, ldns_rdf *orig)
{
	struct zload_part parts[ZLOAD_MAX_PARTS];
	int nparts = zload_split_parts ? zload_split_parts : zload_cpus();
	int abort_flag = 0, rc = 0, k, n;
	struct stat st;
	void *m;
	int fd;

	if (nparts > ZLOAD_MAX_PARTS)
		nparts = ZLOAD_MAX_PARTS;
	if (nparts < 2)
		return 1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size < zload_split_min) {
		close(fd);
		return 1;
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return 1;
	memset(parts, 0, sizeof(parts));
	for (k = 0; k < nparts; k++) {
		parts[k].path = path;
		parts[k].abort = &abort_flag;
		parts[k].end = -1;
		pthread_mutex_init(&parts[k].mu, NULL);
		pthread_cond_init(&parts[k].cv, NULL);
	}
	parts[0].st.cur = ldns_rdf_clone(orig);
	parts[0].st.base = ldns_rdf_clone(orig);
	parts[0].st.line = 1;
	n = parts[0].st.cur && parts[0].st.base ?
		zload_prescan(m, (size_t)st.st_size, orig, parts, nparts) : 1;
	munmap(m, (size_t)st.st_size);
	if (n < 2) {
		rc = 1;
		goto out;
	}
	for (k = 0; k < n; k++) {
		parts[k].paths = malloc(sizeof(*parts[k].paths));
		if (!parts[k].paths) {
			n = k;
			rc = 1;
			goto out;
		}
		parts[k].paths[0] = (char *)path;
		parts[k].npaths = 1;
		if (pthread_create(&parts[k].tid, NULL, zload_part_main,
				   &parts[k]) != 0) {
			free(parts[k].paths);
			parts[k].paths = NULL;
			n = k;
			break;
		}
		parts[k].started = true;
	}
	if (!parts[0].started) {
		rc = 1;
		goto out;
	}
	for (k = 0; k < n && parts[k].started; k++) {
		if (k > 0 && !zload_part_follows(&parts[k - 1], &parts[k]))
			break;
		rc = zload_part_feed(c, &parts[k]);
		if (rc)
			break;
	}
	if (rc == 0 && (k < n || parts[k - 1].end >= 0)) {
		/* The guess for part k was wrong, or part k never started:
		 * the rest of the file on this thread, from where ldns
		 * really stopped. */
		struct zload_part *p = &parts[k - 1];
		FILE *fp;

		__atomic_store_n(&abort_flag, 1, __ATOMIC_RELAXED);
		fp = zload_open(path, &rc);
		if (!fp) {
			zload_err(c, "%s: cannot open: %s", path,
				  strerror(-rc));
		} else {
			if (fseek(fp, p->stop, SEEK_SET) != 0) {
				zload_err(c, "%s: read error", path);
				rc = -EIO;
			} else {
				rc = zload_run(c, fp, path, &p->st, 0, -1);
			}
			fclose(fp);
		}
	}
out:
	__atomic_store_n(&abort_flag, 1, __ATOMIC_RELAXED);
	for (k = 0; k < nparts; k++) {
		struct zload_part *p = &parts[k];

		if (p->started) {
			pthread_join(p->tid, NULL);
			while (p->head) {
				struct zload_block *next = p->head->next;

				free(p->head);
				p->head = next;
			}
			free(p->fill);
		}
		for (size_t j = 1; j < p->npaths; j++)
			free(p->paths[j]);
		free(p->paths);
		zload_state_free(&p->st);
		zload_state_free(&p->guess);
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->cv);
	}
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
	rc = zload_split(&c, path, orig);
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
