/* zsplit.c -- a large zone file read on several threads at once.
 *
 * zload.c hands a top-level zone file to zsplit_load() first. A file of
 * at least 1 MiB (zload_set_split) is cut at record boundaries into one
 * part per CPU the process may run on (at most ZSPLIT_MAX_PARTS); each
 * part's thread reads its part with its own ldns state and FILE through
 * zload.c's reader (zload_run()) into record buffers of 1 MiB blocks, and
 * the calling thread feeds the builder from those buffers in file order,
 * block by block while the parts are still being read, so the builder's
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
 * names the line by reading the file again at the record's offset.
 *
 * Ownership and bounds: each part owns its thread, its ldns state, its
 * FILE and the blocks it fills until it hands them over under its mutex;
 * the feeder frees every block it took. zsplit_load() joins every thread
 * and frees every block and state before it returns, on every path. The
 * pre-scan reads the file once through a private read-only mapping. The
 * records waiting in blocks are those the parts read ahead of the builder:
 * at most the whole file's records, in wire form.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
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
#include "zones/internal.h"
#include "zones/zone_builder.h"
#include "zones/zsplit.h"

#define ZSPLIT_MIN (1024 * 1024)       /* smaller files: one thread */
#define ZSPLIT_MAX_PARTS 8
#define ZSPLIT_BLOCK (1024 * 1024)     /* record buffer block */
#define ZSPLIT_TOKEN_MAX 1024          /* longest owner/directive token */
#define ZSPLIT_PREFETCH 8              /* records looked at ahead */

bool zsplit_test_bad_guess;

static size_t zsplit_min = ZSPLIT_MIN;
static int zsplit_parts;               /* 0: one per usable CPU */

/* One record in a part's buffer, 8-byte aligned; owner then RDATA follow. */
struct zsplit_rec {
	int64_t from;       /* offset where ldns began reading the record */
	int32_t before;     /* ldns's line count there */
	uint32_t ttl;
	uint16_t type;
	uint16_t rclass;
	uint16_t rdlen;
	uint16_t path;      /* index in part->paths */
	uint8_t owner_len;
};

static inline size_t zsplit_rec_size(const struct zsplit_rec *r)
{
	return (sizeof(*r) + r->owner_len + r->rdlen + 7) & ~(size_t)7;
}

struct zsplit_block {
	struct zsplit_block *next;
	size_t used;
	uint8_t data[];
};

struct zsplit_part {
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
	struct zsplit_block *fill;   /* being filled (part thread only) */
	int *abort;                 /* set by the feeder to stop all parts */
	pthread_mutex_t mu;         /* guards head, tail, done */
	pthread_cond_t cv;
	struct zsplit_block *head, *tail;
	bool done;
};

static void zsplit_part_publish(struct zsplit_part *p, bool done)
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

int zsplit_put(struct zload_ctx *c, const ldns_rr *rr, const uint8_t *rdata,
	       size_t rdlen, long from, int before)
{
	struct zsplit_part *p = c->part;
	const ldns_rdf *owner = ldns_rr_owner(rr);
	size_t olen = ldns_rdf_size(owner);
	size_t need = (sizeof(struct zsplit_rec) + olen + rdlen + 7) &
		      ~(size_t)7;
	struct zsplit_rec *r;

	if (p->fill && p->fill->used + need > ZSPLIT_BLOCK) {
		zsplit_part_publish(p, false);
		if (__atomic_load_n(p->abort, __ATOMIC_RELAXED))
			return -ECANCELED;
	}
	if (!p->fill) {
		p->fill = malloc(sizeof(*p->fill) + ZSPLIT_BLOCK);
		if (!p->fill)
			return -ENOMEM;
		arena_prefault(p->fill, sizeof(*p->fill) + ZSPLIT_BLOCK);
		p->fill->used = 0;
	}
	r = (struct zsplit_rec *)(p->fill->data + p->fill->used);
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

int zsplit_path(struct zload_ctx *c, const char *path)
{
	struct zsplit_part *p = c->part;
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

static void *zsplit_part_main(void *arg)
{
	struct zsplit_part *p = arg;
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
	zsplit_part_publish(p, true);
	return NULL;
}

/* True when ldns's real state at the end of part a is the state part b was
 * started with. */
static bool zsplit_rdf_same(const ldns_rdf *x, const ldns_rdf *y)
{
	if (!x || !y)
		return x == y;
	return ldns_rdf_size(x) == ldns_rdf_size(y) &&
	       memcmp(ldns_rdf_data(x), ldns_rdf_data(y),
		      ldns_rdf_size(x)) == 0;
}

static bool zsplit_part_follows(const struct zsplit_part *a,
			       const struct zsplit_part *b)
{
	return a->rc == 0 && a->stop == b->start &&
	       a->st.line == b->guess.line && a->st.ttl == b->guess.ttl &&
	       zsplit_rdf_same(a->st.cur, b->guess.cur) &&
	       zsplit_rdf_same(a->st.base, b->guess.base) &&
	       zsplit_rdf_same(a->st.prev, b->guess.prev);
}

/* Line of the record that ldns began at `from` in path (for a builder
 * error found after the part's file was closed). */
static int zsplit_line_at(const char *path, long from, int before)
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
static size_t zsplit_prefetch(struct zload_ctx *c,
			     const struct zsplit_block *blk, size_t pf,
			     const struct zsplit_rec **last)
{
	const struct zsplit_rec *q = (const void *)(blk->data + pf);
	const struct zsplit_rec *l = *last;

	if (!l || l->owner_len != q->owner_len ||
	    memcmp(l + 1, q + 1, q->owner_len) != 0)
		zone_builder_prefetch(c->b, (const uint8_t *)(q + 1));
	*last = q;
	return pf + zsplit_rec_size(q);
}

/* Feeds every record of part p to the builder, waiting for its blocks.
 * Returns 0 or the first error (written to c->err). */
static int zsplit_part_feed(struct zload_ctx *c, struct zsplit_part *p)
{
	char why[512];

	for (;;) {
		struct zsplit_block *blk, *next;
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
			const struct zsplit_rec *last = NULL;
			int ahead = 0;

			next = blk->next;
			while (o < blk->used) {
				const struct zsplit_rec *r =
					(const void *)(blk->data + o);
				const uint8_t *owner = (const uint8_t *)(r + 1);
				int rc;

				for (; pf < blk->used &&
				       ahead < ZSPLIT_PREFETCH; ahead++)
					pf = zsplit_prefetch(c, blk, pf, &last);
				ahead--;
				o += zsplit_rec_size(r);
				rc = zone_builder_add(c->b, owner, r->type,
						      r->rclass, r->ttl,
						      owner + r->owner_len,
						      r->rdlen, why,
						      sizeof(why));
				if (rc) {
					const char *f = p->paths[r->path];

					int line = zsplit_line_at(f,
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
struct zsplit_scan {
	ldns_rdf *origin;       /* origin in force */
	unsigned origin_gen;    /* bumped on each $ORIGIN */
	uint32_t ttl;
	const char *owner;      /* last explicit owner token (in the map) */
	size_t owner_len;
	ldns_rdf *owner_origin; /* origin in force at that owner */
	unsigned owner_gen;
};

/* The first token after `p` on its line, NUL terminated into out. */
static bool zsplit_scan_token(const char *p, const char *end, char *out)
{
	size_t n = 0;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (p < end && !isspace((unsigned char)*p) && *p != ';') {
		if (n + 1 >= ZSPLIT_TOKEN_MAX)
			return false;
		out[n++] = *p++;
	}
	out[n] = '\0';
	return n > 0;
}

/* A directive line at p (starts with '$'): $ORIGIN and $TTL change the
 * state as zload_run() does. Returns false when the scan must give up. */
static bool zsplit_scan_directive(struct zsplit_scan *sc, const char *p,
				 const char *end)
{
	char tok[ZSPLIT_TOKEN_MAX];
	ldns_rdf *n = NULL;

	if (end - p > 7 && strncmp(p, "$ORIGIN", 7) == 0 &&
	    isspace((unsigned char)p[7])) {
		if (!zsplit_scan_token(p + 7, end, tok) ||
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

		if (!zsplit_scan_token(p + 4, end, tok))
			return false;
		sc->ttl = ldns_str2period(tok, &e);
	}
	return true; /* $INCLUDE and others leave the state alone */
}

/* Whether a line that starts with ch starts with an owner name. */
static bool zsplit_scan_owner_char(char ch)
{
	return !isspace((unsigned char)ch) && ch != ';' && ch != '$' &&
	       ch != '(' && ch != ')' && ch != '"';
}

/* The previous-owner rdf ldns will hold at a cut. */
static ldns_rdf *zsplit_scan_prev(struct zsplit_scan *sc, bool *ok)
{
	char tok[ZSPLIT_TOKEN_MAX];
	ldns_rdf *n = NULL;

	*ok = true;
	if (!sc->owner)
		return NULL;
	if (!zsplit_scan_token(sc->owner, sc->owner + sc->owner_len, tok)) {
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
static int zsplit_prescan(const char *m, size_t size, const ldns_rdf *origin,
			 struct zsplit_part *parts, int nparts)
{
	struct zsplit_scan sc = { .origin = ldns_rdf_clone(origin) };
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
			    zsplit_scan_owner_char(m[i])) {
				struct zsplit_part *p = &parts[k];
				bool ok;

				p->start = (long)i;
				p->guess.line = p->st.line = line;
				if (zsplit_test_bad_guess)
					p->guess.line++;
				p->guess.ttl = p->st.ttl = sc.ttl;
				p->guess.cur = ldns_rdf_clone(sc.origin);
				p->guess.base = ldns_rdf_clone(sc.origin);
				p->guess.prev = zsplit_scan_prev(&sc, &ok);
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
				if (!zsplit_scan_directive(&sc, m + i, nl))
					break;
			} else if (zsplit_scan_owner_char(m[i])) {
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

static int zsplit_cpus(void)
{
	cpu_set_t set;
	int n = 0;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	if (n <= 0)
		n = (int)sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? n : 1;
}

void zsplit_set(size_t min_bytes, int parts)
{
	zsplit_min = min_bytes ? min_bytes : ZSPLIT_MIN;
	zsplit_parts = parts > ZSPLIT_MAX_PARTS ? ZSPLIT_MAX_PARTS :
			    parts < 0 ? 0 : parts;
}

int zsplit_load(struct zload_ctx *c, const char *path, ldns_rdf *orig)
{
	struct zsplit_part parts[ZSPLIT_MAX_PARTS];
	int nparts = zsplit_parts ? zsplit_parts : zsplit_cpus();
	int abort_flag = 0, rc = 0, k, n;
	struct stat st;
	void *m;
	int fd;

	if (nparts > ZSPLIT_MAX_PARTS)
		nparts = ZSPLIT_MAX_PARTS;
	if (nparts < 2)
		return 1;
	/* A small file (most zones) costs one system call here. */
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size < zsplit_min)
		return 1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	/* the size of what was opened, which the mapping may not pass */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size < zsplit_min) {
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
		zsplit_prescan(m, (size_t)st.st_size, orig, parts, nparts) : 1;
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
		if (pthread_create(&parts[k].tid, NULL, zsplit_part_main,
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
		if (k > 0 && !zsplit_part_follows(&parts[k - 1], &parts[k]))
			break;
		rc = zsplit_part_feed(c, &parts[k]);
		if (rc)
			break;
	}
	if (rc == 0 && (k < n || parts[k - 1].end >= 0)) {
		/* The guess for part k was wrong, or part k never started:
		 * the rest of the file on this thread, from where ldns
		 * really stopped. */
		struct zsplit_part *p = &parts[k - 1];
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
		struct zsplit_part *p = &parts[k];

		if (p->started) {
			pthread_join(p->tid, NULL);
			while (p->head) {
				struct zsplit_block *next = p->head->next;

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
