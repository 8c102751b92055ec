/* daemon.h -- the daemon's life: start, run, stop, and the zone set.
 *
 * main.c turns the command line into a struct config; everything after that
 * is here, in this order:
 *
 *   daemon_signals_hold()   block the signals the daemon handles, so one
 *                           that arrives early waits instead of killing
 *   daemon_new(cfg)         main loop and signal handlers (from here on no
 *                           SIGHUP, SIGUSR1, SIGTERM or SIGINT kills the
 *                           process), answer config, cookies, log thread
 *   daemon_start(d)         zones loaded on a worker thread while the loop
 *                           handles signals, published; reactors created
 *                           (every socket bound), privileges dropped,
 *                           reactor threads started, "ready" logged
 *   daemon_run(d)           the main loop until SIGTERM or SIGINT
 *   daemon_stop(d)          reactors stopped and joined
 *   daemon_free(d)          everything released, "levee stopped" logged
 *
 * Signals: SIGUSR1 logs the counters ("total: ... log-dropped N" last;
 * while zones load: a line saying there are none yet), SIGHUP reloads the
 * configuration and the changed zone files on a worker (reload.h; while
 * zones load: a line saying it does not), SIGTERM and SIGINT stop. With
 * control: listen: the control socket (ctl.h) serves levee-ctl's commands
 * on the main loop from the start. A SIGTERM or
 * SIGINT while zones load stops the start-up after the zone being read: no
 * further zone is read, nothing is published, no socket is opened, and
 * daemon_start returns -ECANCELED (main exits 0, as after any SIGTERM).
 * Repeated stop signals are ignored; from daemon_free on, the four signals
 * stay blocked in the main thread until exit.
 *
 * Every function here is main only, except daemon_zones_load (any one
 * thread that is not a reactor: the loader thread during start-up, later a
 * reload's worker). struct daemon is opaque.
 */
#ifndef LEVEE_SERVER_DAEMON_H
#define LEVEE_SERVER_DAEMON_H

#include <stddef.h>

struct config;
struct zdb;
struct daemon;

/* Blocks SIGTERM, SIGINT, SIGHUP and SIGUSR1 in the calling thread (main,
 * before any thread exists, as early as possible); daemon_new delivers what
 * arrived meanwhile. Without it a signal before daemon_new has its default
 * action. */
void daemon_signals_hold(void);

/* Loads every zone of cfg into a new, unpublished snapshot. The files are
 * read and built (zload_file) on up to one thread per CPU the process may
 * run on (at most 16, this one included), then added to the snapshot in
 * configuration order, so of two zones with one apex the first is kept and
 * the second refused, as on one thread. A zone that does not load is
 * refused alone ("zone NAME refused: FILE:LINE: reason" logged at error,
 * counted in *refused); each one loaded is logged at debug and counted in
 * *loaded; at the end one info line "N zones loaded, M refused, R records,
 * T s". cancel: NULL, or a flag another thread may set (read relaxed):
 * each loader checks it before each zone, so a set flag stops the load
 * after the zones being read. Returns 0 with the snapshot in *out (the
 * caller publishes or frees it), -ECANCELED when cancelled or -ENOMEM
 * (nothing kept, *out NULL). Work: one zload_file per zone; memory beyond
 * the zones: 24 bytes a zone while loading. Any single non-reactor thread
 * (zdb_new/zdb_add on a snapshot nobody else sees; the loader threads it
 * starts block the signals it blocks). */
int daemon_zones_load(const struct config *cfg, const int *cancel,
		      struct zdb **out, size_t *loaded, size_t *refused);

/* Prepares the daemon for cfg, which must outlive it: the main loop and its
 * signal handlers (then unblocks what daemon_signals_hold blocked), the
 * answer config, the cookie context, the open-file limit, SIGPIPE ignored,
 * the log thread that writes the reactors' lines (log.h). Returns 0 with
 * *out set, or a negative errno after logging the reason (nothing kept). */
int daemon_new(const struct config *cfg, struct daemon **out);

/* Loads the zones on a worker thread (see daemon_zones_load; the main loop
 * serves signals meanwhile) and publishes them, creates the reactors and
 * binds every socket, drops privileges (config user/group), starts the
 * reactor threads and logs "levee VERSION ready: ...". Returns 0;
 * -ECANCELED when SIGTERM or SIGINT arrived while the zones loaded
 * (nothing published or bound: main exits 0); or another negative errno
 * after logging why: -EADDRNOTAVAIL a socket not bound (or a reactor not
 * built), -EPERM privileges not dropped, -ENOMEM, or libuv's code for a
 * thread or handle that could not start (main exits 1 for all of them).
 * Call once; daemon_free in every case. */
int daemon_start(struct daemon *d);

/* Runs the main loop (signals) until SIGTERM or SIGINT; returns at once if
 * one arrived during the start. */
void daemon_run(struct daemon *d);

/* Stops the reactors (each finishes what is in flight and closes within
 * ~0.5 s) and joins them. Idempotent; the loop and the published zones stay
 * until daemon_free. */
void daemon_stop(struct daemon *d);

/* Blocks the four signals for good (see above), stops if needed, closes
 * the loop, joins the log thread (after writing what is queued), releases
 * the zones, the cookies and d, and logs "levee stopped" when daemon_start
 * was called. NULL accepted. */
void daemon_free(struct daemon *d);

#endif
