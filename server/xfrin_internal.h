/* xfrin_internal.h -- what xfrin.c (main: the table, the queue, the
 * timers, the copies written) and xfrin_job.c (a check on its worker
 * thread: sockets, TSIG, the transfer, the journal) share. Main owns
 * every struct here; a job reads and writes only its own struct xjob
 * between its start and its signalled end (see xfrin.c). Not a public
 * header: server/xfrin.h is. */
#ifndef LEVEE_SERVER_XFRIN_INTERNAL_H
#define LEVEE_SERVER_XFRIN_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <uv.h>

#include "server/config.h"
#include "server/xfrin.h"

struct tsig_key;
struct zone_hold;

struct xjob;

struct xzone {
	struct xfrin *x;
	char *domain;
	uint8_t apex[256];
	size_t apex_len;
	/* its primaries in order, nprimaries of each (malloc'd to that
	 * count: a table of 10,000 catalog members with one primary each
	 * must not hold CONFIG_MAX_REMOTES slots a zone) */
	struct config_listen *primaries;
	struct tsig_key **keys;   /* copies, or NULL */
	size_t nprimaries;
	uint8_t validation;       /* its dnssec-validation (config.h) */
	int sync_delay;           /* its zonefile-sync: s, 0 at once, -1 never */
	uint64_t sync_due;        /* monotonic ms its delayed write is due,
				     0: none waits (x->sync_timer) */
	uv_timer_t timer;
	bool timer_ready;
	bool gone;                /* not configured any more */
	bool queued, again, again_axfr;
	struct xjob *job;         /* running, or NULL */
	char *file;               /* where its copy is kept, or NULL */
	struct xsync *sync;       /* the copy being written, or NULL */
	bool sync_again;          /* a version published meanwhile */
	bool fresh;               /* made by the last xfrin_configure */
	bool file_moved;          /* file: changed by a reload (a catalog
				     member moved to another template): the
				     served version is written there now */
	bool sync_pending;        /* waits in x->sync_head's list */
	struct xzone *sync_next;
	uint32_t synced;          /* serial of the copy last written */
	struct xzone *next_orphan;   /* gone with a job running: x->orphans */

	bool have_serial;
	uint32_t serial;          /* served */
	time_t last_ok;           /* last good check (refresh or transfer) */
	time_t last_try;
	time_t next_check;
	time_t expire_at;         /* 0: not served or never expires yet */
	bool expired;
	unsigned long axfr, ixfr, uptodate, failed, fallback;
	char last_kind[8];
	char error[200];
};

/* One check on a worker. Main fills the inputs before the thread starts
 * and reads the outputs after the join. */
struct xjob {
	struct xzone *z;
	uv_thread_t tid;
	uv_async_t done;
	int cancel;               /* set by main (atomic), read by the job */

	/* in */
	uint8_t apex[256];
	struct config_listen *primaries;   /* nprimaries, malloc'd */
	struct tsig_key **keys;   /* the job's copies, nprimaries */
	size_t nprimaries;
	struct zone_hold *hold;   /* the served version, or NULL */
	bool force_axfr;
	uint8_t validation;       /* the zone's dnssec-validation */
	char domain[256];         /* for its log lines */
	struct journal *journal;  /* or NULL */
	struct journal_limits jlim;
	time_t expire_at;         /* the zone's expiry before the check */

	/* out */
	int rc;
	struct zone *zone;        /* new version (owned), or NULL */
	enum xfr_kind kind;
	bool fallback;            /* an IXFR failed, the AXFR was used */
	uint64_t last_msg_ms;     /* when the transfer's last message came
				     (monotonic): the publish says how long
				     after it the new version served */
	bool have_expire;         /* the primary sent EDNS EXPIRE */
	uint32_t expire_opt;      /* ... its value, seconds */
	uint32_t primary_serial;
	size_t bytes, records, changes;
	char primary[64];
	char err[200];
};

struct xfrin {
	uv_loop_t *loop;
	struct xfrin_hooks hooks;
	const struct config *cfg;
	struct xzone **zones;
	size_t count;
	struct xzone **by_cfg;    /* cfg->zones[i]'s entry, or NULL */
	struct xzone **queue;     /* FIFO, one place per zone at most */
	size_t qhead, qlen, qcap;
	unsigned running;
	struct xzone *orphans;    /* gone zones whose job still runs */
	unsigned syncing;         /* copies being written */
	struct xzone *sync_head, *sync_tail;   /* zones waiting to write */
	uv_timer_t *sync_timer;   /* zonefile-sync delays: at the earliest
				     sync_due (malloc'd: closed after x) */
	unsigned refresh_min, refresh_max;
	bool started, freeing;
	struct xfrin_stats stats;
};

/* A copy being written (zdump.h) on a thread of its own. */
struct xsync {
	struct xzone *z;
	uv_thread_t tid;
	uv_async_t done;
	struct zone_hold *hold;   /* the version written */
	char *path;
	int rc;
	char err[300];
};

/* The worker (xfrin_job.c). */

/* The thread of job arg (struct xjob): the check, then uv_async_send of
 * its done handle. */
void xfrin_job_run(void *arg);

/* Monotonic milliseconds. */
uint64_t xfrin_job_now_ms(void);

/* The SOA's refresh, retry and expire of zn (zone.h's wire record). */
void xfrin_job_soa_timers(const struct zone *zn, uint32_t *refresh,
			  uint32_t *retry, uint32_t *expire);

/* The expiry a good check at now sets (RFC 7314, see xfrin_job.c). */
time_t xfrin_job_expiry(time_t now, uint32_t soa_expire, bool have_opt,
			uint32_t opt, time_t before);

#endif
