/* journal.c -- the IXFR journal in LMDB (journal.h).
 *
 * A change's value: "LJ" 1, from, to, removed count, added count (32-bit
 * big-endian), then the removed records (old SOA first) and the added
 * records (new SOA first), each as owner length (1), owner (lowercase
 * wire), record length (2) and TYPE CLASS TTL RDLENGTH RDATA. The chain's
 * bounds (first, last, count, bytes) sit under the apex's 0x01 key and
 * change in the same transaction as the changes.
 */
#include "zones/journal.h"

#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>

#include "common/errcode.h"
#include "common/name.h"
#include "common/serial.h"
#include "zones/zone.h"
#include "zones/zone_diff.h"

#define KEY_CHANGE 0x00
#define KEY_BOUNDS 0x01
#define HEAD_LEN 19                /* "LJ" 1 from to nrem nadd */

/* A zone's timers waiting to be written (journal_timers_put). */
struct timers_pending {
	uint8_t apex[NAME_MAX_LEN + 1];
	struct journal_timers t;
};

struct journal {
	MDB_env *env;
	MDB_dbi dbi;
	MDB_dbi timers;       /* "timers": a secondary's, by apex */
	/* Timers queued, written together (journal_timers_flush): at most
	 * JOURNAL_TIMERS_BATCH; lock guards them and flushing. */
	pthread_mutex_t lock;
	struct timers_pending *pend;
	size_t npend;
	bool flushing;
	uint64_t last_flush_ms;
};

static uint64_t journal_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* --- building a change --- */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

struct journal_change {
	uint32_t from, to;
	struct buf soa[2], rest[2];   /* [0] removed, [1] added */
	uint32_t n[2];
	bool have_soa[2];
};

static int buf_put(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		uint8_t *np;

		while (cap < b->len + n)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np)
			return -ENOMEM;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

struct journal_change *journal_change_new(uint32_t from, uint32_t to)
{
	struct journal_change *c = calloc(1, sizeof(*c));

	if (c) {
		c->from = from;
		c->to = to;
	}
	return c;
}

void journal_change_free(struct journal_change *c)
{
	if (!c)
		return;
	for (int i = 0; i < 2; i++) {
		free(c->soa[i].p);
		free(c->rest[i].p);
	}
	free(c);
}

size_t journal_change_records(const struct journal_change *c)
{
	return (size_t)c->n[0] + c->n[1];
}

int journal_change_add(struct journal_change *c, bool added,
		       const uint8_t *owner, size_t owner_len,
		       const uint8_t *rr, size_t rr_len)
{
	int h = added ? 1 : 0;
	bool soa = rr_len >= 2 && rr[0] == 0 && rr[1] == 6;
	struct buf *b = soa ? &c->soa[h] : &c->rest[h];
	uint8_t ol = (uint8_t)owner_len, rl[2] = { (uint8_t)(rr_len >> 8),
						   (uint8_t)rr_len };

	if (owner_len == 0 || owner_len > 255 || rr_len < 10 ||
	    rr_len > 65535 || (soa && c->have_soa[h]))
		return -EINVAL;
	if (buf_put(b, &ol, 1) || buf_put(b, owner, owner_len) ||
	    buf_put(b, rl, 2) || buf_put(b, rr, rr_len))
		return -ENOMEM;
	if (soa)
		c->have_soa[h] = true;
	c->n[h]++;
	return 0;
}

static int diff_add(void *arg, bool added, const uint8_t *owner,
		    size_t owner_len, const uint8_t *rr, size_t rr_len)
{
	return journal_change_add(arg, added, owner, owner_len, rr, rr_len);
}

int journal_change_diff(const struct zone *old, const struct zone *new,
			struct journal_change **out)
{
	struct journal_change *c = journal_change_new(zone_serial(old),
						      zone_serial(new));
	int rc;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	rc = zone_diff(old, new, diff_add, c);
	if (rc) {
		journal_change_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

/* The value of c, malloc'd. */
uint8_t *journal_change_bytes(const struct journal_change *c, size_t *len)
{
	size_t n = HEAD_LEN;
	uint8_t *v, *p;

	for (int i = 0; i < 2; i++)
		n += c->soa[i].len + c->rest[i].len;
	v = malloc(n);
	if (!v)
		return NULL;
	v[0] = 'L';
	v[1] = 'J';
	v[2] = 1;
	put32(v + 3, c->from);
	put32(v + 7, c->to);
	put32(v + 11, c->n[0]);
	put32(v + 15, c->n[1]);
	p = v + HEAD_LEN;
	for (int i = 0; i < 2; i++) {
		memcpy(p, c->soa[i].p, c->soa[i].len);
		p += c->soa[i].len;
		if (c->rest[i].len)
			memcpy(p, c->rest[i].p, c->rest[i].len);
		p += c->rest[i].len;
	}
	*len = n;
	return v;
}

/* --- reading a change --- */

/* Checks one record at b[*off..len): 0 and *off past it, or LV_EMALF. */
static int check_record(const uint8_t *b, size_t len, size_t *off,
			const uint8_t **owner, size_t *ol, const uint8_t **rr,
			size_t *rl)
{
	size_t o = *off;

	if (o + 1 > len)
		return LV_EMALF;
	*ol = b[o++];
	if (*ol == 0 || o + *ol + 2 > len)
		return LV_EMALF;
	*owner = b + o;
	/* a wire name that ends exactly at its length */
	{
		size_t k = 0;

		while (k < *ol && b[o + k] != 0) {
			if (b[o + k] > 63)
				return LV_EMALF;
			k += 1u + b[o + k];
		}
		if (k + 1 != *ol)
			return LV_EMALF;
	}
	o += *ol;
	*rl = (size_t)b[o] << 8 | b[o + 1];
	o += 2;
	if (*rl < 10 || o + *rl > len)
		return LV_EMALF;
	*rr = b + o;
	if (10u + ((size_t)(*rr)[8] << 8 | (*rr)[9]) != *rl)
		return LV_EMALF;
	*off = o + *rl;
	return 0;
}

static int walk(const uint8_t *buf, size_t len, journal_rr_fn fn, void *arg)
{
	uint32_t n[2];
	size_t off = HEAD_LEN;

	if (len < HEAD_LEN || buf[0] != 'L' || buf[1] != 'J' || buf[2] != 1)
		return LV_EMALF;
	n[0] = get32(buf + 11);
	n[1] = get32(buf + 15);
	for (int h = 0; h < 2; h++) {
		if (n[h] == 0)
			return LV_EMALF;       /* each half holds its SOA */
		for (uint32_t i = 0; i < n[h]; i++) {
			const uint8_t *owner, *rr;
			size_t ol, rl;
			int rc = check_record(buf, len, &off, &owner, &ol, &rr,
					      &rl);

			if (rc)
				return rc;
			if (i == 0 && !(rr[0] == 0 && rr[1] == 6))
				return LV_EMALF;
			if (fn && (rc = fn(arg, h == 1, owner, ol, rr, rl)))
				return rc;
		}
	}
	return off == len ? 0 : LV_EMALF;
}

bool journal_record_next(const uint8_t *buf, size_t len, size_t *off,
			 const uint8_t **owner, size_t *owner_len,
			 const uint8_t **rr, size_t *rr_len)
{
	if (*off == 0)
		*off = HEAD_LEN;
	return *off < len && check_record(buf, len, off, owner, owner_len, rr,
					  rr_len) == 0;
}

int journal_walk(const uint8_t *buf, size_t len, journal_rr_fn fn,
		 void *arg)
{
	int rc = walk(buf, len, NULL, NULL);

	return rc ? rc : walk(buf, len, fn, arg);
}

/* --- the database --- */

static int mdb_err(int rc, char *err, size_t errlen, const char *what)
{
	if (err)
		snprintf(err, errlen, "journal: %s: %s", what,
			 mdb_strerror(rc));
	if (rc == MDB_MAP_FULL)
		return -ENOSPC;
	return rc > 0 ? -rc : LV_EMALF;
}

int journal_open(const char *dir, uint64_t map_bytes, struct journal **out,
		 char *err, size_t errlen)
{
	struct journal *j = calloc(1, sizeof(*j));

	if (j)
		pthread_mutex_init(&j->lock, NULL);
	MDB_txn *txn;
	int rc;

	*out = NULL;
	if (!j) {
		snprintf(err, errlen, "journal: out of memory");
		return -ENOMEM;
	}
	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "journal %s: %s", dir, strerror(errno));
		free(j);
		return -errno;
	}
	if ((rc = mdb_env_create(&j->env)) ||
	    (rc = mdb_env_set_mapsize(j->env, (size_t)map_bytes)) ||
	    (rc = mdb_env_set_maxdbs(j->env, 2)) ||
	    (rc = mdb_env_open(j->env, dir, MDB_NOTLS, 0640))) {
		char what[300];

		snprintf(what, sizeof(what), "%s", dir);
		rc = mdb_err(rc, err, errlen, what);
		if (j->env)
			mdb_env_close(j->env);
		free(j);
		return rc;
	}
	if ((rc = mdb_txn_begin(j->env, NULL, 0, &txn)) ||
	    (rc = mdb_dbi_open(txn, "changes", MDB_CREATE, &j->dbi)) ||
	    (rc = mdb_dbi_open(txn, "timers", MDB_CREATE, &j->timers)) ||
	    (rc = mdb_txn_commit(txn))) {
		rc = mdb_err(rc, err, errlen, dir);
		mdb_env_close(j->env);
		free(j);
		return rc;
	}
	*out = j;
	return 0;
}

void journal_close(struct journal *j)
{
	if (!j)
		return;
	if (journal_timers_flush(j) < 0)
		fprintf(stderr, "journal: timers not written at close\n");
	mdb_env_close(j->env);
	pthread_mutex_destroy(&j->lock);
	free(j->pend);
	free(j);
}

/* Key for apex: kind, and serial for a change. */
static size_t make_key(uint8_t *k, const uint8_t *apex, int kind,
		       uint32_t serial)
{
	size_t al = name_length(apex);

	memcpy(k, apex, al);
	k[al] = (uint8_t)kind;
	if (kind == KEY_BOUNDS)
		return al + 1;
	put32(k + al + 1, serial);
	return al + 5;
}

static int get_bounds(MDB_txn *txn, MDB_dbi dbi, const uint8_t *apex,
		      struct journal_info *info)
{
	uint8_t k[300];
	MDB_val key = { make_key(k, apex, KEY_BOUNDS, 0), k }, val;
	int rc = mdb_get(txn, dbi, &key, &val);
	const uint8_t *v = val.mv_data;

	if (rc == MDB_NOTFOUND)
		return -ENOENT;
	if (rc)
		return mdb_err(rc, NULL, 0, NULL);
	if (val.mv_size != 20)
		return LV_EMALF;
	info->first = get32(v);
	info->last = get32(v + 4);
	info->count = get32(v + 8);
	info->bytes = (uint64_t)get32(v + 12) << 32 | get32(v + 16);
	return 0;
}

static int put_bounds(MDB_txn *txn, MDB_dbi dbi, const uint8_t *apex,
		      const struct journal_info *info)
{
	uint8_t k[300], v[20];
	MDB_val key = { make_key(k, apex, KEY_BOUNDS, 0), k };
	MDB_val val = { sizeof(v), v };

	if (info->count == 0) {
		int rc = mdb_del(txn, dbi, &key, NULL);

		return rc == MDB_NOTFOUND ? 0 : rc;
	}
	put32(v, info->first);
	put32(v + 4, info->last);
	put32(v + 8, info->count);
	put32(v + 12, (uint32_t)(info->bytes >> 32));
	put32(v + 16, (uint32_t)info->bytes);
	return mdb_put(txn, dbi, &key, &val, 0);
}

/* Deletes the change at `from` of the chain in info (its first). */
static int drop_first(MDB_txn *txn, MDB_dbi dbi, const uint8_t *apex,
		      struct journal_info *info)
{
	uint8_t k[300];
	MDB_val key = { make_key(k, apex, KEY_CHANGE, info->first), k }, val;
	int rc = mdb_get(txn, dbi, &key, &val);

	if (rc || val.mv_size < HEAD_LEN)
		return rc && rc != MDB_NOTFOUND ? rc : MDB_CORRUPTED;
	info->first = get32((const uint8_t *)val.mv_data + 7);
	info->bytes -= val.mv_size < info->bytes ? val.mv_size : info->bytes;
	info->count--;
	return mdb_del(txn, dbi, &key, NULL);
}

/* Removes every key of apex inside txn: one seek per key (a zone holds
 * at most max_depth + 2 of them). */
static int clear_in(MDB_txn *txn, MDB_dbi dbi, const uint8_t *apex)
{
	size_t al = name_length(apex);
	MDB_cursor *cur;
	int rc = mdb_cursor_open(txn, dbi, &cur);

	if (rc)
		return rc;
	for (;;) {
		MDB_val key = { al, (void *)apex }, val;

		rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
		if (rc || key.mv_size <= al ||
		    memcmp(key.mv_data, apex, al) != 0)
			break;
		if ((rc = mdb_cursor_del(cur, 0)))
			break;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND || rc == 0 ? 0 : rc;
}

int journal_clear(struct journal *j, const uint8_t *apex)
{
	MDB_txn *txn;
	int rc = mdb_txn_begin(j->env, NULL, 0, &txn);

	if (rc)
		return mdb_err(rc, NULL, 0, NULL);
	if ((rc = clear_in(txn, j->dbi, apex))) {
		mdb_txn_abort(txn);
		return mdb_err(rc, NULL, 0, NULL);
	}
	rc = mdb_txn_commit(txn);
	return rc ? mdb_err(rc, NULL, 0, NULL) : 0;
}

int journal_append(struct journal *j, const uint8_t *apex,
		   const struct journal_change *c,
		   const struct journal_limits *lim, char *err, size_t errlen)
{
	struct journal_info info = { 0, 0, 0, 0 };
	uint8_t k[300];
	size_t vlen;
	uint8_t *v;
	MDB_txn *txn;
	MDB_val key, val;
	int rc;

	err[0] = '\0';
	if (!serial_lt(c->from, c->to)) {
		snprintf(err, errlen, "journal: serial %u -> %u does not go "
			 "up", c->from, c->to);
		return -EINVAL;
	}
	if (!c->have_soa[0] || !c->have_soa[1]) {
		snprintf(err, errlen, "journal: a change without its SOAs");
		return -EINVAL;
	}
	v = journal_change_bytes(c, &vlen);
	if (!v) {
		snprintf(err, errlen, "journal: out of memory");
		return -ENOMEM;
	}
	if ((rc = mdb_txn_begin(j->env, NULL, 0, &txn))) {
		free(v);
		return mdb_err(rc, err, errlen, "begin");
	}
	rc = get_bounds(txn, j->dbi, apex, &info);
	if (rc == -ENOENT || rc == LV_EMALF ||
	    (rc == 0 && info.last != c->from)) {
		/* not the end of the chain (or no chain): start anew */
		if ((rc = clear_in(txn, j->dbi, apex)))
			goto fail;
		memset(&info, 0, sizeof(info));
		info.first = c->from;
	} else if (rc) {
		rc = MDB_CORRUPTED;
		goto fail;
	}
	key = (MDB_val){ make_key(k, apex, KEY_CHANGE, c->from), k };
	val = (MDB_val){ vlen, v };
	if ((rc = mdb_put(txn, j->dbi, &key, &val, 0)))
		goto fail;
	info.last = c->to;
	info.count++;
	info.bytes += vlen;
	while (info.count > 0 && (info.count > lim->max_depth ||
				  info.bytes > lim->max_bytes))
		if ((rc = drop_first(txn, j->dbi, apex, &info)))
			goto fail;
	if ((rc = put_bounds(txn, j->dbi, apex, &info)))
		goto fail;
	rc = mdb_txn_commit(txn);
	free(v);
	if (rc == 0)
		return 0;
	rc = mdb_err(rc, err, errlen, "commit");
	if (rc == -ENOSPC)
		journal_clear(j, apex);
	return rc;
fail:
	mdb_txn_abort(txn);
	free(v);
	rc = mdb_err(rc, err, errlen, "append");
	if (rc == -ENOSPC)
		journal_clear(j, apex);
	return rc;
}

int journal_info(struct journal *j, const uint8_t *apex,
		 struct journal_info *out)
{
	MDB_txn *txn;
	int rc = mdb_txn_begin(j->env, NULL, MDB_RDONLY, &txn);

	if (rc)
		return mdb_err(rc, NULL, 0, NULL);
	rc = get_bounds(txn, j->dbi, apex, out);
	mdb_txn_abort(txn);
	return rc;
}

/* journal_get, refusing (-E2BIG, nothing copied) a change of more than
 * max bytes (0: any). */
static int journal_get_max(struct journal *j, const uint8_t *apex,
			   uint32_t from, size_t max, uint32_t *to,
			   uint8_t **buf, size_t *len)
{
	uint8_t k[300];
	MDB_val key = { make_key(k, apex, KEY_CHANGE, from), k }, val;
	MDB_txn *txn;
	int rc = mdb_txn_begin(j->env, NULL, MDB_RDONLY, &txn);

	*buf = NULL;
	if (rc)
		return mdb_err(rc, NULL, 0, NULL);
	rc = mdb_get(txn, j->dbi, &key, &val);
	if (rc == 0 && max && val.mv_size > max) {
		mdb_txn_abort(txn);
		return -E2BIG;
	}
	if (rc == 0 && val.mv_size >= HEAD_LEN) {
		*buf = malloc(val.mv_size);
		if (*buf) {
			memcpy(*buf, val.mv_data, val.mv_size);
			*len = val.mv_size;
			*to = get32(*buf + 7);
		}
	}
	mdb_txn_abort(txn);
	if (rc == MDB_NOTFOUND)
		return -ENOENT;
	if (rc)
		return mdb_err(rc, NULL, 0, NULL);
	if (val.mv_size < HEAD_LEN)
		return LV_EMALF;
	return *buf ? 0 : -ENOMEM;
}

int journal_get(struct journal *j, const uint8_t *apex, uint32_t from,
		uint32_t *to, uint8_t **buf, size_t *len)
{
	return journal_get_max(j, apex, from, 0, to, buf, len);
}

/* --- condensing a chain --- */

/* A record seen in the chain: its bytes (owner length, owner, record
 * length, record: as in a change) and whether it ends up added or
 * removed. Open addressing on a keyed hash of the bytes. */
struct cset {
	struct centry {
		uint32_t hash;
		int8_t state;            /* +1 added, -1 removed, 0 cancelled */
		uint32_t off, len;       /* in bytes */
	} *e;
	size_t used, mask;
	struct buf bytes;
};

static int cset_grow(struct cset *s)
{
	size_t n = s->mask ? (s->mask + 1) * 2 : 64;
	struct centry *e = calloc(n, sizeof(*e));

	if (!e)
		return -ENOMEM;
	for (size_t i = 0; s->e && i <= s->mask; i++) {
		size_t k;

		if (!s->e[i].len)
			continue;
		for (k = s->e[i].hash & (n - 1); e[k].len; k = (k + 1) & (n - 1))
			;
		e[k] = s->e[i];
	}
	free(s->e);
	s->e = e;
	s->mask = n - 1;
	return 0;
}

struct condense {
	struct cset set;
	struct journal_change *out;
	bool first;                  /* the first change of the chain */
	int rc;
};

static int condense_rr(void *arg, bool added, const uint8_t *owner,
		       size_t owner_len, const uint8_t *rr, size_t rr_len)
{
	struct condense *c = arg;
	struct cset *s = &c->set;
	uint8_t head[3];
	size_t len = 1 + owner_len + 2 + rr_len, k;
	uint32_t h;

	if (rr[0] == 0 && rr[1] == 6) {
		/* the first change's old SOA and each change's new SOA (the
		 * last one stays) */
		if (added) {
			free(c->out->soa[1].p);
			memset(&c->out->soa[1], 0, sizeof(c->out->soa[1]));
			c->out->have_soa[1] = false;
			c->out->n[1]--;
		} else if (!c->first) {
			return 0;
		}
		if (added || !c->out->have_soa[0])
			return journal_change_add(c->out, added, owner,
						  owner_len, rr, rr_len);
		return 0;
	}
	if ((s->used + 1) * 2 > s->mask + 1 && cset_grow(s))
		return -ENOMEM;
	head[0] = (uint8_t)owner_len;
	h = name_hash(owner, owner_len) ^ name_hash(rr, rr_len);
	for (k = h & s->mask; s->e[k].len; k = (k + 1) & s->mask) {
		struct centry *e = &s->e[k];
		const uint8_t *b = s->bytes.p + e->off;

		if (e->hash == h && e->len == len && b[0] == owner_len &&
		    memcmp(b + 1, owner, owner_len) == 0 &&
		    memcmp(b + 3 + owner_len, rr, rr_len) == 0) {
			/* seen before: an add cancels a removal and back */
			e->state = (int8_t)(e->state + (added ? 1 : -1));
			if (e->state > 1)
				e->state = 1;
			if (e->state < -1)
				e->state = -1;
			return 0;
		}
	}
	head[1] = (uint8_t)(rr_len >> 8);
	head[2] = (uint8_t)rr_len;
	s->e[k].hash = h;
	s->e[k].state = added ? 1 : -1;
	s->e[k].off = (uint32_t)s->bytes.len;
	s->e[k].len = (uint32_t)len;
	s->used++;
	if (buf_put(&s->bytes, head, 1) || buf_put(&s->bytes, owner, owner_len) ||
	    buf_put(&s->bytes, head + 1, 2) || buf_put(&s->bytes, rr, rr_len))
		return -ENOMEM;
	return 0;
}

int journal_condense(struct journal *j, const uint8_t *apex, uint32_t from,
		     uint32_t to, size_t max_bytes, struct journal_change **out)
{
	struct condense c = { { NULL, 0, 0, { NULL, 0, 0 } }, NULL, true, 0 };
	uint32_t at = from;
	size_t read = 0;
	int rc = 0;

	*out = NULL;
	c.out = journal_change_new(from, to);
	if (!c.out)
		return -ENOMEM;
	/* the new SOA slot starts "held" so that each change's replaces it */
	c.out->n[1] = 1;
	for (unsigned steps = 0; at != to; steps++) {
		uint8_t *buf;
		size_t len;
		uint32_t next;

		/* a chain goes up at every step (journal_append): more steps
		 * than serials between from and to means a damaged one */
		if (!serial_lt(at, to) || steps > (uint32_t)(to - from)) {
			rc = -ENOENT;
			break;
		}
		/* the bound holds on what is read, before it is read */
		if (max_bytes && read >= max_bytes) {
			rc = -E2BIG;
			break;
		}
		rc = journal_get_max(j, apex, at, max_bytes ? max_bytes - read : 0,
				     &next, &buf, &len);
		if (rc)
			break;
		read += len;
		rc = journal_walk(buf, len, condense_rr, &c);
		free(buf);
		if (rc)
			break;
		c.first = false;
		at = next;
	}
	if (rc == 0 && !c.out->have_soa[1])
		rc = LV_EMALF;
	for (size_t i = 0; rc == 0 && c.set.e && i <= c.set.mask; i++) {
		const struct centry *e = &c.set.e[i];
		const uint8_t *b = c.set.bytes.p + e->off;

		if (!e->len || e->state == 0)
			continue;
		rc = journal_change_add(c.out, e->state > 0, b + 1, b[0],
					b + 3 + b[0],
					(size_t)b[1 + b[0]] << 8 | b[2 + b[0]]);
	}
	free(c.set.e);
	free(c.set.bytes.p);
	if (rc) {
		journal_change_free(c.out);
		return rc;
	}
	*out = c.out;
	return 0;
}

/* --- a secondary's timers --- */

static void put64(uint8_t *p, int64_t v)
{
	put32(p, (uint32_t)((uint64_t)v >> 32));
	put32(p + 4, (uint32_t)v);
}

static int64_t get64(const uint8_t *p)
{
	return (int64_t)((uint64_t)get32(p) << 32 | get32(p + 4));
}

/* Writes pend[0..n) in one transaction. */
static int timers_write(struct journal *j, const struct timers_pending *pend,
			size_t n)
{
	MDB_txn *txn;
	int rc;

	if (!n)
		return 0;
	if ((rc = mdb_txn_begin(j->env, NULL, 0, &txn)))
		return mdb_err(rc, NULL, 0, NULL);
	for (size_t i = 0; i < n; i++) {
		uint8_t v[20];
		MDB_val key = { name_length(pend[i].apex),
				(void *)pend[i].apex };
		MDB_val val = { sizeof(v), v };

		put64(v, pend[i].t.last_refresh);
		put64(v + 8, pend[i].t.expire_at);
		put32(v + 16, pend[i].t.serial);
		if ((rc = mdb_put(txn, j->timers, &key, &val, 0))) {
			mdb_txn_abort(txn);
			return mdb_err(rc, NULL, 0, NULL);
		}
	}
	rc = mdb_txn_commit(txn);
	return rc ? mdb_err(rc, NULL, 0, NULL) : 0;
}

int journal_timers_flush(struct journal *j)
{
	struct timers_pending *pend;
	size_t n;
	int rc;

	pthread_mutex_lock(&j->lock);
	if (j->flushing || !j->npend) {
		pthread_mutex_unlock(&j->lock);
		return 0;        /* the flusher running writes them */
	}
	j->flushing = true;
	do {
		pend = j->pend;
		n = j->npend;
		j->pend = NULL;
		j->npend = 0;
		pthread_mutex_unlock(&j->lock);
		rc = timers_write(j, pend, n);
		free(pend);
		pthread_mutex_lock(&j->lock);
		j->last_flush_ms = journal_now_ms();
	} while (rc == 0 && j->npend >= JOURNAL_TIMERS_BATCH);
	j->flushing = false;
	pthread_mutex_unlock(&j->lock);
	return rc;
}

size_t journal_timers_pending(struct journal *j)
{
	size_t n;

	pthread_mutex_lock(&j->lock);
	n = j->npend;
	pthread_mutex_unlock(&j->lock);
	return n;
}

int journal_timers_put(struct journal *j, const uint8_t *apex,
		       const struct journal_timers *t)
{
	size_t al = name_length(apex), i;
	bool now;

	pthread_mutex_lock(&j->lock);
	for (i = 0; i < j->npend; i++)
		if (memcmp(j->pend[i].apex, apex, al) == 0)
			break;
	if (i == j->npend) {
		if (!j->pend) {
			j->pend = malloc(JOURNAL_TIMERS_BATCH *
					 sizeof(*j->pend));
			if (!j->pend) {
				pthread_mutex_unlock(&j->lock);
				return -ENOMEM;
			}
		}
		memset(j->pend[i].apex, 0, sizeof(j->pend[i].apex));
		memcpy(j->pend[i].apex, apex, al);
		j->npend++;
	}
	j->pend[i].t = *t;
	/* written at once after a quiet second (a lone transfer is
	 * durable when this returns), else with the batch */
	now = j->npend >= JOURNAL_TIMERS_BATCH ||
	      journal_now_ms() - j->last_flush_ms >= JOURNAL_TIMERS_DELAY_MS;
	pthread_mutex_unlock(&j->lock);
	return now ? journal_timers_flush(j) : 0;
}

int journal_timers_get(struct journal *j, const uint8_t *apex,
		       struct journal_timers *t)
{
	MDB_val key = { name_length(apex), (void *)apex }, val;
	MDB_txn *txn;
	int rc;

	pthread_mutex_lock(&j->lock);
	for (size_t i = 0; i < j->npend; i++)
		if (memcmp(j->pend[i].apex, apex, key.mv_size) == 0) {
			*t = j->pend[i].t;
			pthread_mutex_unlock(&j->lock);
			return 0;
		}
	pthread_mutex_unlock(&j->lock);
	rc = mdb_txn_begin(j->env, NULL, MDB_RDONLY, &txn);

	if (rc)
		return mdb_err(rc, NULL, 0, NULL);
	rc = mdb_get(txn, j->timers, &key, &val);
	if (rc == 0 && val.mv_size == 20) {
		const uint8_t *v = val.mv_data;

		t->last_refresh = get64(v);
		t->expire_at = get64(v + 8);
		t->serial = get32(v + 16);
	}
	mdb_txn_abort(txn);
	if (rc == MDB_NOTFOUND)
		return -ENOENT;
	if (rc)
		return mdb_err(rc, NULL, 0, NULL);
	return val.mv_size == 20 ? 0 : LV_EMALF;
}
